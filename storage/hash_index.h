// HashIndex: the memtable's index for exact-key lookups: storage key -> the newest entry of that
// key (an arena entry, memtable.h). The skiplist keeps the order for iterators and seeks; a
// point lookup through it visits ~20-30 nodes over a large memtable, each a likely cache miss,
// where this index touches one or two slots.
//
// Open addressing with linear probing over a power-of-two array of slots, each an atomic
// pointer to an entry (null = empty), kept at most half full. A probe compares keys through
// `key_of`, so a lookup reads one entry per occupied slot it passes (at half load about 1.5 for
// a hit and 2.5 for a miss, by Knuth's analysis of linear probing).
//
// Thread-safety: one writer (Insert, externally serialized) and any number of readers (Find)
// without locks, as the skiplist. A slot is filled or replaced with a release store of a
// fully written entry; readers load with acquire. Growing builds a new array, copies every
// entry into it and publishes it with a release store; a reader still on the old array sees
// the state before the growth, which is a state the index was in. Old arrays are kept until
// the index is destroyed (their total is less than the current array's size), so a reader
// never touches freed memory. Entries are never removed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace shale::storage {

class HashIndex {
 public:
  // The storage key of an entry, and its sequence number.
  using KeyOf = std::string_view (*)(const char* entry);
  using SequenceOf = uint64_t (*)(const char* entry);

  HashIndex(KeyOf key_of, SequenceOf sequence_of);
  HashIndex(const HashIndex&) = delete;
  HashIndex& operator=(const HashIndex&) = delete;

  // Makes `entry` the one found for `key` (= key_of(entry)) unless an entry of the key with a
  // higher sequence is there already. REQUIRES: external synchronisation against other Inserts.
  void Insert(std::string_view key, const char* entry);
  // The entry of `key` with the highest sequence, or null.
  const char* Find(std::string_view key) const;

  // Bytes of slot arrays allocated (current and retired).
  size_t MemoryUsage() const { return memory_.load(std::memory_order_relaxed); }

 private:
  struct Slots {
    explicit Slots(size_t capacity);
    const size_t mask;
    std::unique_ptr<std::atomic<const char*>[]> slot;
  };

  static uint64_t Hash(std::string_view key);
  // Inserts into `slots` (no growth); the writer's only.
  void Place(Slots* slots, std::string_view key, uint64_t hash, const char* entry);
  void Grow();

  const KeyOf key_of_;
  const SequenceOf sequence_of_;
  std::atomic<Slots*> current_;
  std::vector<std::unique_ptr<Slots>> arrays_;  // every array allocated, the current one last
  size_t used_ = 0;                             // distinct keys (writer only)
  std::atomic<size_t> memory_{0};
};

}  // namespace shale::storage
