// The engine's options (storage::Options) as the server's configuration sets them: used when
// the server opens its data directory, and again by DEBUG RELOAD.
#pragma once

#include "server/config.h"
#include "storage/options.h"

namespace shale::server {

storage::Options EngineOptions(const Config& config);

}  // namespace shale::server
