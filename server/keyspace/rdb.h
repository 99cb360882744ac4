// DUMP and RESTORE payloads in Redis's serialization format (the RDB object format that Redis
// 7.0's DUMP writes), so values move between Shale and Redis both ways.
//
//   | type: u8 | object | RDB version: u16 LE | CRC64: u64 LE |
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
//
// The other types' objects. DUMP writes the plain forms, which every Redis since 2.x reads (a
// length, then the elements as strings):
//
//   1  list       count, then each element in order
//   2  set        count, then each member
//   4  hash       count, then field and value of each
//   5  sorted set count, then each member and its score as a binary double (f64 LE)
//
// RESTORE also reads what Redis 7.0's DUMP writes for them:
//
//   3  sorted set with text scores: a u8 length and the text; 253 NaN, 254 +inf, 255 -inf
//   11 intset: one string holding u32 LE width (2, 4 or 8), u32 LE count, then the integers (LE)
//   16 hash listpack: one string holding a listpack of field, value, field, value...
//   17 sorted-set listpack: a listpack of member, score, member, score...
//   18 quicklist: a count of nodes, each a container kind (1 one plain element, 2 a listpack
//      of elements) and a string with the element or the listpack
//
// A listpack: u32 LE total bytes, u16 LE count (65535: unknown), the entries, then 0xFF. An
// entry is an encoding, its data, and its own size again ("backlen", 1 to 5 bytes):
//   0xxxxxxx            7-bit unsigned integer        10LLLLLL + bytes     string, 6-bit length
//   110xxxxx + 1 byte   13-bit signed integer         1110LLLL + 1 byte    string, 12-bit length
//   11110000 + u32 LE   string, 32-bit length         11110001..11110100   16/24/32/64-bit ints
// Integers are the decimal text of the element. A payload that is malformed, empty, or repeats a
// member or field is refused, as Redis refuses it.
//
// Streams (DUMP writes 19, Redis 7.0's; RESTORE also reads 15 of Redis 5/6 and 21 of Redis 7.2):
//   count of nodes, each a key (a string: the node's master ID, ms and seq u64 BE) and a listpack
//   (a string): | entries | deleted | master field count | master fields ... | 0 |, then per
//   entry | flags | ms - master ms | seq - master seq | [field count | field, value ...] or,
//   with flag 2 (same fields as the master), | values ... |, then | element count of the entry |;
//   flag 1 marks a deleted entry. DUMP writes nodes of up to 100 entries, each with its fields.
//   Then: length, last ID (ms, seq), [19, 21: first ID, max deleted ID, entries added], the
//   group count, and per group: name, last ID, [19, 21: entries read], the PEL (count, then
//   per entry its raw ID (16 bytes BE), delivery time (u64 LE ms) and delivery count), the
//   consumers (count, then per consumer: name, seen time (u64 LE ms), [21: active time], and its
//   pending IDs: count, raw IDs). Every length above is an RDB length.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/keyspace/format.h"

namespace shale::keyspace {

// The RDB version DUMP writes, and the highest RESTORE accepts (Redis 7.0's RDB_VERSION).
inline constexpr uint16_t kRdbVersion = 10;
// The object type byte of a string.
inline constexpr uint8_t kRdbTypeString = 0;

// A stream as DUMP writes it and RESTORE reads it: entries in ID order, the metadata, and the
// groups with their pending entries (each naming its consumer) and consumers.
struct DumpedStream {
  struct Entry {
    StreamId id;
    std::vector<std::string> fields;  // field, value, ...
  };
  struct Pending {
    StreamId id;
    uint64_t delivered_ms = 0;
    uint64_t deliveries = 0;
    std::string consumer;
  };
  struct Consumer {
    std::string name;
    uint64_t seen_ms = 0;
  };
  struct Group {
    std::string name;
    StreamId last_id;
    int64_t entries_read = -1;
    std::vector<Pending> pending;  // in ID order
    std::vector<Consumer> consumers;
  };
  std::vector<Entry> entries;
  StreamMeta meta;  // its `groups` is groups.size()
  std::vector<Group> groups;
};

// A value of any type as DUMP writes it and RESTORE reads it.
struct DumpedValue {
  ValueType type = ValueType::kString;
  std::string string;                                       // kString
  std::vector<std::string> elements;                        // kList (in order), kSet
  std::vector<std::pair<std::string, std::string>> fields;  // kHash
  std::vector<std::pair<std::string, double>> scored;       // kZSet
  DumpedStream stream;                                      // kStream
};

// Redis's crc64 of `data`, continuing from `crc` (0 to start).
uint64_t Crc64(uint64_t crc, std::string_view data);

// DUMP's payload of a string value.
std::string DumpString(std::string_view value);

enum class DumpPayloadStatus {
  kOk,
  kBadVersionOrChecksum,  // RESTORE: "ERR DUMP payload version or checksum are wrong"
  kBadFormat,             // RESTORE: "ERR Bad data format" (also: a type other than string)
};

// DUMP's payload of a value of any type.
std::string DumpValue(const DumpedValue& value);
// The value's type byte and object, as in DUMP's payload and in an RDB file.
void AppendRdbObject(const DumpedValue& value, std::string* out);

// A whole RDB file, as a full resynchronisation sends it to a replica (and redis-check-rdb reads
// it):
//
//   "REDIS0010" | aux* | (select-db resize-db entry*)* | 0xFF | CRC64: u64 LE
//   aux       = 0xFA name value                  (two strings: redis-ver, ctime, repl-id...)
//   select-db = 0xFE db-number                   (a length)
//   resize-db = 0xFB keys expires                (two lengths: how many entries follow)
//   entry     = [0xFC deadline: u64 LE ms] type key object
//
// `type object` is what DUMP writes before its footer (above); the CRC64 covers every byte
// before it.
class RdbFileWriter {
 public:
  explicit RdbFileWriter(const std::vector<std::pair<std::string, std::string>>& aux);
  // Starts database `db`, which holds `keys` entries, `expires` of them with a deadline.
  void SelectDb(int db, uint64_t keys, uint64_t expires);
  // A function library's code (Redis 7's function opcode), before the first database.
  void AddFunctionLibrary(std::string_view code);
  // An entry of the current database; `expire_ms` 0 = no deadline.
  void Add(std::string_view key, const DumpedValue& value, uint64_t expire_ms);
  // The file: what was added, the end marker and the checksum.
  std::string Finish();

 private:
  std::string out_;
};

// Checks the footer of `payload` (length, version, checksum), then decodes the value it holds.
DumpPayloadStatus DecodeDumpPayload(std::string_view payload, DumpedValue* value);
// The same for a payload that must hold a string (kBadFormat for another type).
DumpPayloadStatus DecodeDumpPayload(std::string_view payload, std::string* value);

// Reads a whole RDB file (any Redis up to 7.2 writes: RDB version 11 at most) and calls
// `entry(db, key, value, expire_ms)` for each key (expire_ms 0: no deadline); false (with *error)
// when the file is malformed or truncated, its checksum is wrong, it holds what Shale cannot
// store (modules, functions), or `entry` returns false.
using RdbEntryFunction =
    std::function<bool(int db, std::string key, DumpedValue value, uint64_t expire_ms)>;
// `function_library(code)`, when given, gets each function library the file holds (else such
// a file is refused).
using RdbFunctionLibrary = std::function<bool(std::string code)>;
bool ReadRdbFile(std::string_view file, const RdbEntryFunction& entry, std::string* error,
                 const RdbFunctionLibrary& function_library = nullptr);

// LZF decompression (liblzf's format) of `in` into exactly `expected_size` bytes; false when the
// input is malformed or expands to another size.
bool LzfDecompress(std::string_view in, size_t expected_size, std::string* out);

}  // namespace shale::keyspace
