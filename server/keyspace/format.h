// The keyspace layer's records in the engine (storage/ gives keys and values no meaning; this
// file does). All of them live in key groups (storage/key_format.h: a key's first two bytes).
//
// Data key, group = database index d (0 <= d < 0x8000):
//
//   | d: u16 BE | user key bytes |
//
// Expiry index key, group = 0x8000 + d: one per key of database d that has a deadline, so the
// active expiry cycle finds due keys by reading the group from its start (deadlines ascending)
// instead of scanning the keyspace:
//
//   | 0x8000 + d: u16 BE | deadline: u64 BE ms since the epoch | user key bytes |   value: empty
//
// Both route (Db's router) by the user key alone, so a key, its index entry and, later, a
// composite key's sub-keys share one shard and a batch touching one key stays single-shard.
//
// Format marker, group 0xFFFF: key `| 0xFFFF | "keyspace-format" |`, value the decimal format
// version (kFormatVersion). A data directory with data and no marker was written by format 1
// (values without a type byte) and is refused. Format 2 had no flag bits beyond kHasExpiry; its
// values are format 3 values, so a format 2 directory is opened and its marker rewritten to 3
// (after which a format 2 release refuses it clearly instead of finding unknown flags).
//
// Database map, group 0xFFFF: key `| 0xFFFF | "db-map" |`, value
//
//   | n: varint32 | n x (logical: varint32 | physical: varint32) |
//
// Every "d" above is a physical database: the key group a logical database (SELECT's index) is
// stored under. The map lists the logical databases that are not stored under their own index
// (absent key or n = 0: every database is); it is a permutation (the logical indexes listed are
// the physical ones listed). SWAPDB a b exchanges the two entries and writes the new map: one put
// of one key, so it is O(1) and atomic across a crash, and the keys, index entries and counters
// of both databases follow without being touched. Every keyspace operation addresses its
// database through the map (Keyspace::Physical).
//
// Value of a data key (the key's metadata record; for strings the value follows):
//
//   | type: u8 | flags: u8 | expiry: u64 LE ms since the epoch, if flags & kHasExpiry |
//   | written: u32 LE seconds since the epoch, if flags & kHasWriteTime | payload |
//
// flags: bit 0 kHasExpiry; bits 1-2 the string's encoding class (StringEncoding: what OBJECT
// ENCODING reports, which in Redis depends on how the value was made, not only on its bytes);
// bit 3 kHasWriteTime (when the key was last written, for OBJECT IDLETIME). Other bits are
// invalid. Values written before bits 1-3 existed (flags 0 or 1) decode as kAuto with no write
// time.
//
// type: ValueType below. String payload: the value's bytes. The composite types (hashes, lists,
// sets, sorted sets) will put `version: u64 LE | size: varint64 | type-specific fields` in the
// payload and store their elements as sub-keys `(key, version, element)` in a group of their
// own, so deleting or expiring one is a single metadata write and the compaction filter drops
// the sub-keys of dead versions.
//
// Counters (storage/write_batch.h), per physical database d: counter d = number of keys (live or
// expired but not yet deleted, as Redis counts them); counter 0x8000 + d = number of those with
// a deadline; counter 0x10000 + d = the sum of those deadlines in seconds since the epoch (for
// INFO keyspace's avg_ttl).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::keyspace {

inline constexpr uint32_t kFormatVersion = 3;
inline constexpr uint32_t kUpgradableFormatVersion = 2;  // read as format 3
inline constexpr uint16_t kExpiryGroupBase = 0x8000;
inline constexpr uint16_t kMetaGroup = 0xffff;
inline constexpr int kMaxDatabases = kExpiryGroupBase;
inline constexpr size_t kGroupPrefix = storage::kGroupPrefixSize;
inline constexpr size_t kDeadlineSize = 8;

enum class ValueType : uint8_t { kString = 0 };
inline constexpr uint8_t kHasExpiry = 1;
inline constexpr uint8_t kEncodingShift = 1;
inline constexpr uint8_t kEncodingMask = 3 << kEncodingShift;
inline constexpr uint8_t kHasWriteTime = 8;

// How a string value was made, which decides Redis's OBJECT ENCODING of it (object.c):
// kAuto: stored as SET stores its argument (tryObjectEncoding): "int" when the bytes are a
//   canonical 64-bit integer of at most 20 characters, else "embstr" up to 44 bytes, else "raw";
//   also what INCR/DECR make (always an integer).
// kRaw: modified in place (APPEND to an existing key, SETRANGE, SETBIT): "raw" at any length.
// kPlain: made as a new string object without trying the integer encoding (INCRBYFLOAT's
//   result): "embstr" up to 44 bytes, else "raw".
enum class StringEncoding : uint8_t { kAuto = 0, kRaw = 1, kPlain = 2 };

inline uint32_t KeyCountCounter(int db) { return static_cast<uint32_t>(db); }
inline uint32_t ExpiresCounter(int db) { return kExpiryGroupBase + static_cast<uint32_t>(db); }
inline uint32_t DeadlineSumCounter(int db) { return 0x10000 + static_cast<uint32_t>(db); }
inline int64_t DeadlineSeconds(uint64_t expire_ms) {
  return static_cast<int64_t>(expire_ms / 1000);
}

inline void MakeDataKey(int db, std::string_view user_key, std::string* dst) {
  storage::MakeGroupedKey(static_cast<uint16_t>(db), user_key, dst);
}

inline void PutBigEndian64(uint64_t v, std::string* dst) {
  for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}
inline uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

inline void MakeExpiryKey(int db, uint64_t deadline_ms, std::string_view user_key,
                          std::string* dst) {
  storage::MakeGroupedKey(static_cast<uint16_t>(kExpiryGroupBase + db), {}, dst);
  PutBigEndian64(deadline_ms, dst);
  dst->append(user_key.data(), user_key.size());
}

// The key's routing key (Db's router): the user key of a data or expiry index key.
inline std::string_view RoutingKey(std::string_view key) {
  uint16_t group = 0;
  if (!storage::KeyGroup(key, &group)) return key;
  if (group < kExpiryGroupBase) return key.substr(kGroupPrefix);
  if (group == kMetaGroup) return key;
  if (key.size() < kGroupPrefix + kDeadlineSize) return key;
  return key.substr(kGroupPrefix + kDeadlineSize);
}

// A decoded value header.
struct ValueHeader {
  ValueType type = ValueType::kString;
  uint64_t expire_ms = 0;  // 0 = no deadline
  StringEncoding encoding = StringEncoding::kAuto;
  uint32_t written_s = 0;  // when last written (s since the epoch); 0 = not recorded
  size_t size = 0;         // header bytes
};

inline bool DecodeValueHeader(std::string_view value, ValueHeader* header) {
  if (value.size() < 2) return false;
  header->type = static_cast<ValueType>(value[0]);
  if (header->type != ValueType::kString) return false;
  const auto flags = static_cast<uint8_t>(value[1]);
  if ((flags & ~(kHasExpiry | kEncodingMask | kHasWriteTime)) != 0) return false;
  const auto encoding = static_cast<uint8_t>((flags & kEncodingMask) >> kEncodingShift);
  if (encoding > static_cast<uint8_t>(StringEncoding::kPlain)) return false;
  header->encoding = static_cast<StringEncoding>(encoding);
  header->size = 2;
  header->expire_ms = 0;
  header->written_s = 0;
  if (flags & kHasExpiry) {
    if (value.size() < header->size + 8) return false;
    header->expire_ms = storage::DecodeFixed64(value.data() + header->size);
    if (header->expire_ms == 0) return false;
    header->size += 8;
  }
  if (flags & kHasWriteTime) {
    if (value.size() < header->size + 4) return false;
    header->written_s = storage::DecodeFixed32(value.data() + header->size);
    header->size += 4;
  }
  return true;
}

// The header of a value of `type` with deadline `expire_ms` (0 = none), encoding class
// `encoding` and write time `written_s` (0 = not recorded), into *dst.
inline void EncodeValueHeader(ValueType type, uint64_t expire_ms, std::string* dst,
                              StringEncoding encoding = StringEncoding::kAuto,
                              uint32_t written_s = 0) {
  dst->clear();
  dst->push_back(static_cast<char>(type));
  uint8_t flags = static_cast<uint8_t>(static_cast<uint8_t>(encoding) << kEncodingShift);
  if (expire_ms != 0) flags |= kHasExpiry;
  if (written_s != 0) flags |= kHasWriteTime;
  dst->push_back(static_cast<char>(flags));
  if (expire_ms != 0) storage::PutFixed64(dst, expire_ms);
  if (written_s != 0) storage::PutFixed32(dst, written_s);
}

}  // namespace shale::keyspace
