// MemTable: the newest writes of a shard, in memory, ordered by internal key (key_format.h).
// A skiplist over an arena, ordered for iterators and seeks, and a hash index (hash_index.h)
// from each key to its newest entry, for point lookups. Each entry is stored inline in its
// skiplist node's arena allocation, after the node's links:
//
//   | varint32 internal key len | internal key | varint32 value len | value |
//
// Values are stored values (key_format.h) for kValue entries and empty for kDeletion.
//
// Thread-safety: Add must be serialized (one writer); Get, iterators and the statistics may be
// used concurrently with Add and with each other, without locks. A memtable lives until its
// last user drops it (shared_ptr), so a future flush can hand an immutable one to a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "storage/arena.h"
#include "storage/hash_index.h"
#include "storage/iterator.h"
#include "storage/key_format.h"
#include "storage/skiplist.h"

namespace shale::storage {

class MemTable {
 public:
  MemTable();
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Adds a version of `storage_key`. REQUIRES: no entry with the same key and sequence.
  void Add(uint64_t sequence, ValueKind kind, std::string_view storage_key,
           std::string_view value) {
    Add(sequence, kind, storage_key, {}, value);
  }
  // The entry's value is `value_prefix` followed by `value` (no copy of the joined value).
  void Add(uint64_t sequence, ValueKind kind, std::string_view storage_key,
           std::string_view value_prefix, std::string_view value);

  struct Entry {
    ValueKind kind = ValueKind::kValue;
    uint64_t sequence = 0;
    std::string_view value;  // memtable memory: valid while the memtable lives
  };
  // The newest entry for `storage_key` with a sequence at most `snapshot`; false when the
  // memtable has none.
  bool Get(std::string_view storage_key, Entry* entry, uint64_t snapshot = kMaxSequence) const;

  // Iterates over every entry (all versions) in internal-key order. The memtable must outlive it.
  std::unique_ptr<Iterator> NewIterator() const;

  // The arena and the hash index.
  size_t ApproximateMemoryUsage() const { return arena_.MemoryUsage() + index_.MemoryUsage(); }
  uint64_t entries() const { return entries_.load(std::memory_order_relaxed); }

 private:
  class MemTableIterator;

  // Compares two arena entries by their internal keys.
  struct EntryComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, EntryComparator>;

  Arena arena_;
  Table table_;
  HashIndex index_;  // newest entry per key, for Get
  std::atomic<uint64_t> entries_{0};
};

}  // namespace shale::storage
