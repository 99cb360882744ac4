// Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its first non-empty {hash tag},
// modulo 16384. Db routes a key to shard `KeySlot(routing key) % shards`.
#pragma once

#include <cstdint>
#include <string_view>

namespace shale::storage {

uint16_t KeySlot(std::string_view key);

}  // namespace shale::storage
