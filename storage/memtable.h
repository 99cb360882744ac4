// MemTable: the newest writes of a shard, in memory, ordered by internal key (key_format.h).
// A hash index (hash_index.h) from each key to its newest entry serves point lookups; order,
// for iterators, seeks and reads at an older snapshot, is established lazily. Each entry is
// stored inline in a skiplist node's arena allocation, after the node's links:
//
//   | varint32 internal key len | internal key | varint32 value len | value |
//
// Values are stored values (key_format.h) for kValue entries and empty for kDeletion.
//
// Deferred order. Linking a node into a skiplist of a million entries visits ~20 nodes, each a
// likely cache miss: that search was most of a write's cost. So Add only writes the entry and
// indexes it by hash; the entry waits in `pending_` (in arrival order) until something needs
// order (Order(): an iterator, a read at an older snapshot, the flush). Then the pending
// entries are either linked into the skiplist, when they are few, or sorted into a run: an
// array of entries in internal-key order. Sorting compares 8-byte key prefixes held in the
// sort array (taken after the batch's common prefix), so it reads each entry about once, where
// linking reads ~20 other nodes per entry. Runs are merged when a newer one grows to half the
// size of the one before it, so a memtable has O(log n) runs. An iterator merges the skiplist
// with the runs. A memtable written without any read needing order (plain SETs, for one) is
// sorted once, by the flush on the worker thread.
//
// Thread-safety: Add must be serialized (one writer); Get, iterators and the statistics may be
// used concurrently with Add and with each other. Get's hash-index path and iteration take no
// lock; ordering (and the hand-over of pending entries) is under `order_mu_`. Entries never
// move once a run or the skiplist holds them, and a run never changes once published, so an
// iterator sees a consistent set: whatever is ordered when it is created, plus entries the
// skiplist gains later (all newer than anything it was created to read). A memtable lives
// until its last user drops it (shared_ptr), so a flush can hand an immutable one to a worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "storage/arena.h"
#include "storage/hash_index.h"
#include "storage/iterator.h"
#include "storage/key_format.h"
#include "storage/mutex.h"
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

  // The arena, the hash index and the ordering arrays (pending entries, runs).
  size_t ApproximateMemoryUsage() const {
    return arena_.MemoryUsage() + index_.MemoryUsage() +
           order_memory_.load(std::memory_order_relaxed);
  }
  uint64_t entries() const { return entries_.load(std::memory_order_relaxed); }

  // Entries not yet ordered, and sorted runs (tests and statistics).
  size_t pending_entries() const;
  size_t runs() const;

  // Pending batches up to this size are linked into the skiplist; larger ones become runs.
  static constexpr size_t kLinkLimit = 256;

 private:
  class MemTableIterator;
  class RunIterator;

  // Compares two arena entries by their internal keys.
  struct EntryComparator {
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, EntryComparator>;
  using Run = std::vector<const char*>;  // entries in internal-key order
  using Runs = std::vector<std::shared_ptr<const Run>>;

  // Orders every pending entry; returns the runs as they are then (the skiplist is shared).
  Runs Order() const EXCLUDES(order_mu_);
  // Sorts the pending entries into a new run and merges runs that have become alike in size.
  void AddRunLocked() const REQUIRES(order_mu_);
  void UpdateOrderMemoryLocked() const REQUIRES(order_mu_);

  Arena arena_;
  // Linked under order_mu_ (the skiplist's one writer); read without it.
  mutable Table table_;
  HashIndex index_;  // newest entry per key, for Get
  mutable Mutex order_mu_;
  mutable std::vector<Table::Reservation> pending_ GUARDED_BY(order_mu_);  // arrival order
  mutable Runs runs_ GUARDED_BY(order_mu_);                                // oldest (largest) first
  mutable std::atomic<size_t> order_memory_{0};
  std::atomic<uint64_t> entries_{0};
};

}  // namespace shale::storage
