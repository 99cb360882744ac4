// KeySlot (declared in db.h): Redis Cluster's hash slot of a key.
//
// slot = CRC16(hashed part) mod 16384, CRC16 being CRC-16/XMODEM (polynomial 0x1021, initial
// value 0, no reflection, no final xor). The hashed part is the whole key, unless the key has
// a hash tag: the bytes between its first '{' and the first '}' after it, when there is at
// least one byte between them. "{user1000}.following" hashes "user1000"; "foo{}{bar}" hashes
// the whole key (the first tag is empty); "foo{{bar}}zap" hashes "{bar".
#include "storage/key_slot.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace shale::storage {

namespace {

constexpr std::array<uint16_t, 256> MakeCrc16Table() {
  std::array<uint16_t, 256> table{};
  for (int i = 0; i < 256; ++i) {
    uint16_t crc = static_cast<uint16_t>(i << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                           : static_cast<uint16_t>(crc << 1);
    }
    table[static_cast<size_t>(i)] = crc;
  }
  return table;
}

constexpr std::array<uint16_t, 256> kCrc16Table = MakeCrc16Table();

uint16_t Crc16(std::string_view bytes) {
  uint16_t crc = 0;
  for (char c : bytes) {
    const auto index = static_cast<uint8_t>((crc >> 8) ^ static_cast<uint8_t>(c));
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16Table[index]);
  }
  return crc;
}

}  // namespace

uint16_t KeySlot(std::string_view key) {
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      return Crc16(key.substr(open + 1, close - open - 1)) & 16383;
    }
  }
  return Crc16(key) & 16383;
}

}  // namespace shale::storage
