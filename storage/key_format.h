// How keys are laid out inside the engine.
//
// Key: any bytes. A key's first two bytes, read as u16 big-endian, are its group (keys shorter
// than two bytes belong to no group). Groups are contiguous ranges in bytewise order, so one is
// scanned as a range; WriteBatch::DropGroup makes every older entry of a group dead at once
// (the engine keeps one cut-off sequence per dropped group, write_batch.h). What a group means
// is the writer's business (the keyspace layer uses one per database).
//
// Value: any bytes; the engine stores them as given.
//
// Internal key (memtable and SSTables): the key followed by an 8-byte trailer
// `(sequence << 8) | kind` as u64 LE. Internal keys order by key ascending (bytewise), then
// sequence descending, so the newest version of a key comes first.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "storage/coding.h"

namespace shale::storage {

// --- groups ---

constexpr size_t kGroupPrefixSize = 2;

inline void AppendGroupPrefix(uint16_t group, std::string* dst) {
  dst->push_back(static_cast<char>(group >> 8));
  dst->push_back(static_cast<char>(group & 0xff));
}

// Sets *dst to the group prefix of `group` followed by `rest`.
inline void MakeGroupedKey(uint16_t group, std::string_view rest, std::string* dst) {
  dst->clear();
  AppendGroupPrefix(group, dst);
  dst->append(rest.data(), rest.size());
}

// Whether `key` belongs to a group, and which.
inline bool KeyGroup(std::string_view key, uint16_t* group) {
  if (key.size() < kGroupPrefixSize) return false;
  *group = static_cast<uint16_t>((static_cast<unsigned char>(key[0]) << 8) |
                                 static_cast<unsigned char>(key[1]));
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
