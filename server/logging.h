// spdlog set-up from the config: `logfile` (empty = standard output) and `loglevel`
// (Redis's debug/verbose/notice/warning/nothing mapped onto spdlog's levels).
#pragma once

#include <string>

#include "server/config.h"

namespace shale::server {

// Installs the default logger. Returns false with *error if the log file cannot be opened.
bool SetUpLogging(const Config& config, std::string* error);
void ApplyLogLevel(LogLevel level);

}  // namespace shale::server
