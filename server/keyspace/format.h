// The keyspace layer's records in the engine (storage/ gives keys and values no meaning; this
// file does). All of them live in key groups (storage/key_format.h: a key's first two bytes).
//
// Data key, group = database index d (0 <= d < 0x4000, kMaxDatabases):
//
//   | d: u16 BE | user key bytes |
//
// Expiry index key, group = 0x8000 + d: one per key of database d that has a deadline, so the
// active expiry cycle finds due keys by reading the group from its start (deadlines ascending)
// instead of scanning the keyspace:
//
//   | 0x8000 + d: u16 BE | deadline: u64 BE ms since the epoch | user key bytes |   value: empty
//
// Sub-key, group = 0x4000 + d (kSubKeyGroupBase): one per element of a composite key of database
// d (lists, hashes, sets, sorted sets and streams):
//
//   | 0x4000 + d: u16 BE | key length: u32 BE | user key bytes | version: u64 BE | element |
//
// The length prefix keeps the sub-keys of keys that are prefixes of each other apart ("a" and
// "ab"), and all sub-keys of one version of one key are contiguous, sorted by element. A list's
// element is its index (u64 BE, so indexes sort numerically); indexes start at the midpoint 2^63
// and grow outward: LPUSH takes head - 1, RPUSH tail + 1 (Kvrocks's scheme).
//
// Data, expiry index and sub-keys all route (Db's router) by the user key alone, so a key, its
// index entry and its sub-keys share one shard and a batch touching one key stays single-shard.
//
// Format marker, group 0xFFFF: key `| 0xFFFF | "keyspace-format" |`, value the decimal format
// version (kFormatVersion). A data directory with data and no marker was written by format 1
// (values without a type byte) and is refused. Format 3 added the string encoding class and
// write time to the value header, lists (and the sub-key groups) and the database map. A format
// 2 directory (no flag bits beyond kHasExpiry, strings only) holds valid format 3 values, so it is
// opened and its marker raised to 3 (after which a format 2 release refuses it clearly instead
// of finding unknown flags).
//
// Function libraries, group 0xFFFF: key `| 0xFFFF | "function:" library name |`, value the
// library's code as FUNCTION LOAD was given it (loaded again at start-up).
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
// ENCODING reports, which in Redis depends on how the value was made, not only on its bytes), or
// a collection's (kLargeEncoding);
// bit 3 kHasWriteTime (when the key was last written, for OBJECT IDLETIME). Other bits are
// invalid. Values written before bits 1-3 existed (flags 0 or 1) decode as kAuto with no write
// time.
//
// type: ValueType below. String payload: the value's bytes. Composite payload (CompositeMeta):
//
//   | version: u64 LE | size: u64 LE | type-specific fields |
//   list's fields: | head: u64 LE | tail: u64 LE |
//   hash, set and sorted set: none (16 bytes in all)
//   stream's fields (StreamMeta, 80 bytes in all):
//     | last-id ms: u64 LE | last-id seq: u64 LE | first-id ms | first-id seq |
//     | max-deleted-id ms | max-deleted-id seq | entries-added: u64 LE | groups: u64 LE |
//
// `size` is the element count (a list's elements, a hash's fields, a set's or sorted set's
// members). A hash's sub-key element is the field's bytes, its value the field's value; a set's
// element is the member's bytes, its value empty. A sorted set's elements begin with a tag byte:
// 'm' (member -> score), 's' (score order) and 'b' (kZSetBucketTag: its rank index, a counted
// bucket of the score order per sub-key, present only once the set has grown large); the layouts
// are in zsets.cc's header comment.
//
// A stream's `size` is its entry count; unlike the other types an emptied stream stays (Redis
// keeps it, with its last id and groups) until deleted. Its elements begin with a tag byte:
//
//   'e' | ms: u64 BE | seq: u64 BE |                 an entry, ordered by ID (XRANGE is one
//                                                    range scan); value: | n: varint32 |
//                                                    n x (len: varint32 | bytes) | (field,
//                                                    value, field, value ...)
//   'g' | group name |                               a consumer group; value: | last-id ms:
//                                                    u64 LE | seq: u64 LE | entries-read: i64
//                                                    LE (-1 unknown) | pending: u64 LE |
//                                                    consumers: u64 LE |
//   'c' | group length: u32 BE | group | consumer |  a consumer; value: | seen: u64 LE ms |
//                                                    pending: u64 LE |
//   'p' | group length: u32 BE | group | ms | seq |  an entry of the group's pending entries
//                                                    list (PEL), ordered by ID; value: |
//                                                    delivered: u64 LE ms | deliveries: u64 LE
//                                                    | consumer bytes |
//
// A consumer's own pending entries are the group's PEL entries that name it (read by one scan of
// the group's PEL). The metadata's `groups` counts the 'g' sub-keys.
//
// A list's elements are at indexes head .. tail - 1 (tail one past the last; head == tail when
// empty, which is never stored: an emptied list is deleted). `version` names the sub-keys of this
// incarnation of the key: every composite key created gets a new version (counter 0x20000 holds
// the highest version written, kVersionCounter), so deleting, overwriting or expiring the key is
// one write of its metadata record, and the sub-keys of every other version are garbage that the
// compaction filter drops (a sub-key is kept only while the key's current metadata record is a
// composite value of that version).
//
// Counters (storage/write_batch.h), per physical database d: counter d = number of keys (live or
// expired but not yet deleted, as Redis counts them); counter 0x8000 + d = number of those with
// a deadline; counter 0x10000 + d = the sum of those deadlines in seconds since the epoch (for
// INFO keyspace's avg_ttl). Counter 0x20000: the highest composite version written (set, not
// added, so a failed write never leaves a used version above it).
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
inline constexpr uint16_t kSubKeyGroupBase = 0x4000;
inline constexpr uint16_t kExpiryGroupBase = 0x8000;
inline constexpr uint16_t kMetaGroup = 0xffff;
inline constexpr int kMaxDatabases = kSubKeyGroupBase;
inline constexpr size_t kGroupPrefix = storage::kGroupPrefixSize;
inline constexpr size_t kDeadlineSize = 8;

// 1 is skipped: format 1 values began with a flags byte of 0 or 1, and must not decode.
enum class ValueType : uint8_t {
  kString = 0,
  kList = 2,
  kHash = 3,
  kSet = 4,
  kZSet = 5,
  kStream = 6
};
inline bool IsCompositeType(ValueType type) {
  return type == ValueType::kList || type == ValueType::kHash || type == ValueType::kSet ||
         type == ValueType::kZSet || type == ValueType::kStream;
}
inline bool IsKnownType(ValueType type) {
  return type == ValueType::kString || IsCompositeType(type);
}
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
// A hash's, set's or sorted set's encoding bits: 0 while it is within Redis's compact encoding
// (listpack, intset; Keyspace's EncodingLimits), kLargeEncoding once it has outgrown it
// (hashtable, skiplist). Lists are always Redis 7.0's quicklist; their bits are 0.
inline constexpr StringEncoding kLargeEncoding = StringEncoding::kRaw;

inline uint32_t KeyCountCounter(int db) { return static_cast<uint32_t>(db); }
inline uint32_t ExpiresCounter(int db) { return kExpiryGroupBase + static_cast<uint32_t>(db); }
inline uint32_t DeadlineSumCounter(int db) { return 0x10000 + static_cast<uint32_t>(db); }
inline constexpr uint32_t kVersionCounter = 0x20000;
inline int64_t DeadlineSeconds(uint64_t expire_ms) {
  return static_cast<int64_t>(expire_ms / 1000);
}

inline void MakeDataKey(int db, std::string_view user_key, std::string* dst) {
  storage::MakeGroupedKey(static_cast<uint16_t>(db), user_key, dst);
}

// The first key after every key that starts with `prefix` (an iterator's upper bound): the
// prefix with its last byte that is not 0xff incremented, what follows it cut off; empty (no
// bound) when every byte is 0xff.
inline std::string PrefixSuccessor(std::string_view prefix) {
  std::string bound(prefix);
  while (!bound.empty() && static_cast<unsigned char>(bound.back()) == 0xff) bound.pop_back();
  if (!bound.empty()) {
    bound.back() = static_cast<char>(static_cast<unsigned char>(bound.back()) + 1);
  }
  return bound;
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

// The tag byte of a sorted set's rank index sub-keys (zsets.cc).
inline constexpr char kZSetBucketTag = 'b';
// The tag bytes of a stream's sub-keys (the format above).
inline constexpr char kStreamEntryTag = 'e';
inline constexpr char kStreamGroupTag = 'g';
inline constexpr char kStreamConsumerTag = 'c';
inline constexpr char kStreamPendingTag = 'p';

inline constexpr size_t kSubKeyLengthSize = 4;
inline constexpr size_t kListIndexSize = 8;
inline constexpr uint64_t kListMidpoint = uint64_t{1} << 63;

// The prefix of every sub-key of `version` of `user_key` in database `db`.
inline void MakeSubKeyPrefix(int db, std::string_view user_key, uint64_t version,
                             std::string* dst) {
  storage::MakeGroupedKey(static_cast<uint16_t>(kSubKeyGroupBase + db), {}, dst);
  const auto n = static_cast<uint32_t>(user_key.size());
  for (int shift = 24; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(n >> shift));
  dst->append(user_key.data(), user_key.size());
  PutBigEndian64(version, dst);
}
// The prefix of every sub-key of `user_key` (all versions).
inline void MakeSubKeyKeyPrefix(int db, std::string_view user_key, std::string* dst) {
  MakeSubKeyPrefix(db, user_key, 0, dst);
  dst->resize(dst->size() - 8);
}
inline void MakeListKey(int db, std::string_view user_key, uint64_t version, uint64_t index,
                        std::string* dst) {
  MakeSubKeyPrefix(db, user_key, version, dst);
  PutBigEndian64(index, dst);
}

// A decoded sub-key: its database, user key, version and element bytes.
struct SubKey {
  int db = 0;
  std::string_view user_key;
  uint64_t version = 0;
  std::string_view element;
};
inline bool DecodeSubKey(std::string_view key, SubKey* sub) {
  uint16_t group = 0;
  if (!storage::KeyGroup(key, &group) || group < kSubKeyGroupBase || group >= kExpiryGroupBase ||
      key.size() < kGroupPrefix + kSubKeyLengthSize) {
    return false;
  }
  uint32_t n = 0;
  for (size_t i = 0; i < kSubKeyLengthSize; ++i) {
    n = (n << 8) | static_cast<unsigned char>(key[kGroupPrefix + i]);
  }
  const size_t start = kGroupPrefix + kSubKeyLengthSize;
  if (key.size() < start + n + 8) return false;
  sub->db = group - kSubKeyGroupBase;
  sub->user_key = key.substr(start, n);
  sub->version = GetBigEndian64(key.data() + start + n);
  sub->element = key.substr(start + n + 8);
  return true;
}

// The key's routing key (Db's router): the user key of a data, sub- or expiry index key.
inline std::string_view RoutingKey(std::string_view key) {
  uint16_t group = 0;
  if (!storage::KeyGroup(key, &group)) return key;
  if (group < kSubKeyGroupBase) return key.substr(kGroupPrefix);
  if (group < kExpiryGroupBase) {
    SubKey sub;
    return DecodeSubKey(key, &sub) ? sub.user_key : key;
  }
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
  if (!IsKnownType(header->type)) return false;
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

// A stream entry's ID: milliseconds and sequence number, ordered as a pair.
struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  // (clang-tidy 14 reads the defaulted comparison's 0 as a null pointer constant.)
  auto operator<=>(const StreamId&) const = default;  // NOLINT(modernize-use-nullptr)
  bool IsZero() const { return ms == 0 && seq == 0; }
};
inline constexpr StreamId kMaxStreamId{UINT64_MAX, UINT64_MAX};

// A stream's own metadata fields (the format above).
struct StreamMeta {
  StreamId last_id;      // the highest ID ever added (or set by XSETID)
  StreamId first_id;     // the first entry's ID (0-0 when empty)
  StreamId max_deleted;  // the highest ID deleted by XDEL (0-0: none)
  uint64_t entries_added = 0;
  uint64_t groups = 0;
};

// The payload of a composite key's metadata record (the format above).
struct CompositeMeta {
  uint64_t version = 0;
  uint64_t size = 0;
  uint64_t head = kListMidpoint;  // lists: first index
  uint64_t tail = kListMidpoint;  // lists: one past the last index
  StreamMeta stream;              // streams
};
inline constexpr size_t kListMetaSize = 32;
inline constexpr size_t kCollectionMetaSize = 16;  // hash, set, sorted set
inline constexpr size_t kStreamMetaSize = 80;

inline bool DecodeCompositeMeta(ValueType type, std::string_view payload, CompositeMeta* meta) {
  if (!IsCompositeType(type)) return false;
  const bool list = type == ValueType::kList;
  const bool stream = type == ValueType::kStream;
  if (payload.size() != (list ? kListMetaSize : stream ? kStreamMetaSize : kCollectionMetaSize)) {
    return false;
  }
  meta->version = storage::DecodeFixed64(payload.data());
  meta->size = storage::DecodeFixed64(payload.data() + 8);
  if (stream) {
    const char* p = payload.data() + 16;
    StreamId* ids[] = {&meta->stream.last_id, &meta->stream.first_id, &meta->stream.max_deleted};
    for (StreamId* id : ids) {
      id->ms = storage::DecodeFixed64(p);
      id->seq = storage::DecodeFixed64(p + 8);
      p += 16;
    }
    meta->stream.entries_added = storage::DecodeFixed64(p);
    meta->stream.groups = storage::DecodeFixed64(p + 8);
  }
  if (!list) {
    meta->head = meta->tail = kListMidpoint;
    return true;
  }
  meta->head = storage::DecodeFixed64(payload.data() + 16);
  meta->tail = storage::DecodeFixed64(payload.data() + 24);
  return meta->tail - meta->head == meta->size;
}
inline void EncodeCompositeMeta(ValueType type, const CompositeMeta& meta, std::string* dst) {
  storage::PutFixed64(dst, meta.version);
  storage::PutFixed64(dst, meta.size);
  if (type == ValueType::kStream) {
    for (const StreamId& id :
         {meta.stream.last_id, meta.stream.first_id, meta.stream.max_deleted}) {
      storage::PutFixed64(dst, id.ms);
      storage::PutFixed64(dst, id.seq);
    }
    storage::PutFixed64(dst, meta.stream.entries_added);
    storage::PutFixed64(dst, meta.stream.groups);
    return;
  }
  if (type != ValueType::kList) return;
  storage::PutFixed64(dst, meta.head);
  storage::PutFixed64(dst, meta.tail);
}

}  // namespace shale::keyspace
