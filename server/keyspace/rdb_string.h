// DUMP and RESTORE payloads of strings in Redis's serialization format (the RDB object format
// that Redis 7.0's DUMP writes), so values move between Shale and Redis both ways.
//
//   | type: u8 = 0 (string) | string | RDB version: u16 LE | CRC64: u64 LE |
//
// The CRC64 (Jones polynomial, reflected, initial value 0, no final xor: Redis's crc64) covers
// every byte before it, the version included. A string is a length followed by its bytes, or a
// special encoding. The first byte's top two bits say which:
//
//   00LLLLLL                       length < 64 in the low 6 bits
//   01LLLLLL LLLLLLLL              length < 16384, 14 bits big-endian
//   10000000 + u32 BE              32-bit length
//   10000001 + u64 BE              64-bit length
//   11000000 + i8                  the decimal text of an integer (INT8)
//   11000001 + i16 LE              INT16
//   11000010 + i32 LE              INT32
//   11000011 + clen + len + bytes  LZF-compressed: clen compressed bytes that expand to len
//
// DumpString writes what Redis writes for a string except compression: the integer encodings
// for the canonical decimal text of an integer that fits 32 bits, plain length-prefixed bytes
// otherwise. DecodeDumpPayload reads every encoding above, LZF included (Redis compresses values
// longer than 20 bytes when that saves at least 4 bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shale::keyspace {

// The RDB version DUMP writes, and the highest RESTORE accepts (Redis 7.0's RDB_VERSION).
inline constexpr uint16_t kRdbVersion = 10;
// The object type byte of a string.
inline constexpr uint8_t kRdbTypeString = 0;

// Redis's crc64 of `data`, continuing from `crc` (0 to start).
uint64_t Crc64(uint64_t crc, std::string_view data);

// DUMP's payload of a string value.
std::string DumpString(std::string_view value);

enum class DumpPayloadStatus {
  kOk,
  kBadVersionOrChecksum,  // RESTORE: "ERR DUMP payload version or checksum are wrong"
  kBadFormat,             // RESTORE: "ERR Bad data format" (also: a type other than string)
};

// Checks the footer of `payload` (length, version, checksum), then decodes the string it holds
// into *value.
DumpPayloadStatus DecodeDumpPayload(std::string_view payload, std::string* value);

// LZF decompression (liblzf's format) of `in` into exactly `expected_size` bytes; false when the
// input is malformed or expands to another size.
bool LzfDecompress(std::string_view in, size_t expected_size, std::string* out);

}  // namespace shale::keyspace
