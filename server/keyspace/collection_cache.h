// CollectionCache: what the keyspace remembers in memory about a few thousand collection keys
// between commands, so that repeated pops and ranks of one big key do not pay again for what the
// previous command already found. Nothing here is persisted or needed for correctness beyond its
// stated invariants: a lost entry (evicted, or the process restarted) only costs the read it
// would have saved.
//
// An entry belongs to one version of one key (format.h: every incarnation of a composite key has
// its own version, so an entry whose version is not the key's current one is stale and is reset
// before use). Per entry:
//
// - Pop hints over a sorted set's score sub-keys ('s' elements, zsets.cc), as elements (the bytes
//   after the version's sub-key prefix): `low`: no live score sub-key sorts before it; `high`:
//   none sorts at or after it (empty: unknown). ZPOPMIN leaves `low` just past what it popped and
//   ZPOPMAX leaves `high` at the lowest member it popped, so the next pop seeks past (or stops
//   before) the deletion markers earlier pops left, instead of stepping over each of them until
//   compaction drops them. Every write that adds a score sub-key to that version widens them
//   (ZSetAdd), and a new version resets them.
// - A sorted set's rank index as loaded from its bucket sub-keys (zsets.cc), kept equal to them
//   by every write of that version that changes them; or a set's positional index (sets.cc), the
//   same buckets over its member order, held here only: built by one walk of the set and kept
//   exact by every write of that version while the entry is cached.
//
// Bounded: at most kMaxEntries keys and kMaxBuckets index buckets in all, least recently used
// first out.
//
// Threading: one thread (the keyspace's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shale::keyspace {

// A sorted set's rank index in memory: bucket i holds the members whose score element (ordered
// score + member, zsets.cc) is in [bounds[i], bounds[i + 1]), counts[i] of them. bounds[0] is
// empty (the lowest bucket starts at the lowest possible element).
struct RankIndex {
  std::vector<std::string> bounds;
  std::vector<uint64_t> counts;
  // The bucket that holds `element`: the last whose bound is <= it.
  size_t BucketOf(std::string_view element) const;
};

struct CollectionEntry {
  uint64_t version = 0;
  std::string low;   // pop hint: no live score element before it (empty: unknown)
  std::string high;  // pop hint: no live score element at or after it (empty: unknown)
  enum class Index { kUnknown, kAbsent, kLoaded } index_state = Index::kUnknown;
  RankIndex index;  // when index_state == kLoaded
};

class CollectionCache {
 public:
  static constexpr size_t kMaxEntries = 4096;
  static constexpr size_t kMaxBuckets = size_t{1} << 18;

  // The entry of `key` of physical database `db`, reset if it belonged to another version;
  // created when absent only if `create` (else nullptr). The pointer is valid until the next
  // call of Find or Drop.
  CollectionEntry* Find(uint16_t db, std::string_view key, uint64_t version, bool create);
  // Forgets `key` of `db`.
  void Drop(uint16_t db, std::string_view key);
  // The entry's index grew or shrank to `buckets` (accounting for kMaxBuckets); may evict other
  // entries, never `entry`.
  void IndexResized(CollectionEntry* entry, size_t old_buckets, size_t buckets);
  size_t size() const { return map_.size(); }

 private:
  struct Slot {
    std::string id;
    CollectionEntry entry;
  };
  static std::string Id(uint16_t db, std::string_view key);
  void EvictBeyondLimits(const CollectionEntry* keep);

  std::list<Slot> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Slot>::iterator> map_;
  size_t buckets_ = 0;
};

}  // namespace shale::keyspace
