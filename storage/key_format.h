// How keys and values are laid out inside the engine.
//
// Storage key: the database index as u16 big-endian, then the user key:
//
//   | db: u16 BE | user key bytes |
//
// Big-endian makes each database one contiguous range of storage keys in bytewise order, so a
// database is scanned (and later compacted or dropped) as a range.
//
// Stored value: a flags byte, optional fields chosen by the flags, then the user value:
//
//   | flags: u8 | expiry: u64 LE ms since the epoch, if flags & kHasExpiry | user value |
//
// No flag is set yet; the byte is there so expiry can be added without a format change.
//
// Internal key (memtable, and later SSTables): the storage key followed by an 8-byte trailer
// `(sequence << 8) | kind` as u64 LE. Internal keys order by storage key ascending (bytewise),
// then sequence descending, so the newest version of a key comes first.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/coding.h"

namespace shale::storage {

// --- storage keys ---

constexpr size_t kDbPrefixSize = 2;

inline void AppendDbPrefix(uint16_t db, std::string* dst) {
  dst->push_back(static_cast<char>(db >> 8));
  dst->push_back(static_cast<char>(db & 0xff));
}

// Sets *dst to the storage key of `user_key` in database `db`.
inline void MakeStorageKey(uint16_t db, std::string_view user_key, std::string* dst) {
  dst->clear();
  AppendDbPrefix(db, dst);
  dst->append(user_key.data(), user_key.size());
}

// REQUIRES: storage_key.size() >= kDbPrefixSize
inline uint16_t StorageKeyDb(std::string_view storage_key) {
  return static_cast<uint16_t>((static_cast<unsigned char>(storage_key[0]) << 8) |
                               static_cast<unsigned char>(storage_key[1]));
}
inline std::string_view StorageKeyUserKey(std::string_view storage_key) {
  return storage_key.substr(kDbPrefixSize);
}

// --- stored values ---

constexpr uint8_t kValueHasExpiry = 1;

// Sets *dst to the stored value for `user_value` (no expiry).
// The header of a stored value without flags (MakeStoredValue's first byte).
inline constexpr std::string_view kPlainValueHeader{"\0", 1};

inline void MakeStoredValue(std::string_view user_value, std::string* dst) {
  dst->clear();
  dst->push_back('\0');
  dst->append(user_value.data(), user_value.size());
}

// The user value inside a stored value; false when the stored value is malformed.
inline bool StoredValueUserValue(std::string_view stored, std::string_view* user_value) {
  if (stored.empty()) return false;
  const auto flags = static_cast<uint8_t>(stored[0]);
  size_t header = 1;
  if (flags & kValueHasExpiry) header += 8;
  if (stored.size() < header) return false;
  *user_value = stored.substr(header);
  return true;
}

// --- internal keys ---

enum class ValueKind : uint8_t {
  kDeletion = 0,
  kValue = 1,
};

// Sequences fill 56 bits of the trailer.
constexpr uint64_t kMaxSequence = (uint64_t{1} << 56) - 1;
constexpr size_t kInternalKeyTrailerSize = 8;

inline uint64_t PackTrailer(uint64_t sequence, ValueKind kind) {
  return (sequence << 8) | static_cast<uint8_t>(kind);
}

inline void AppendInternalKey(std::string_view storage_key, uint64_t sequence, ValueKind kind,
                              std::string* dst) {
  dst->append(storage_key.data(), storage_key.size());
  PutFixed64(dst, PackTrailer(sequence, kind));
}

struct ParsedInternalKey {
  std::string_view storage_key;
  uint64_t sequence = 0;
  ValueKind kind = ValueKind::kValue;
};

// REQUIRES: internal_key.size() >= kInternalKeyTrailerSize
inline ParsedInternalKey ParseInternalKey(std::string_view internal_key) {
  const size_t n = internal_key.size() - kInternalKeyTrailerSize;
  const uint64_t trailer = DecodeFixed64(internal_key.data() + n);
  return {internal_key.substr(0, n), trailer >> 8, static_cast<ValueKind>(trailer & 0xff)};
}

inline std::string_view InternalKeyStorageKey(std::string_view internal_key) {
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerSize);
}

// Orders internal keys: storage key ascending, then trailer (sequence, kind) descending.
inline int CompareInternalKeys(std::string_view a, std::string_view b) {
  const int r = InternalKeyStorageKey(a).compare(InternalKeyStorageKey(b));
  if (r != 0) return r;
  const uint64_t ta = DecodeFixed64(a.data() + a.size() - kInternalKeyTrailerSize);
  const uint64_t tb = DecodeFixed64(b.data() + b.size() - kInternalKeyTrailerSize);
  if (ta > tb) return -1;
  if (ta < tb) return 1;
  return 0;
}

}  // namespace shale::storage
