// HashIndex: the memtable's index for exact-key lookups: storage key -> the newest entry of that
// key (an arena entry, memtable.h). The skiplist keeps the order for iterators and seeks; a
// point lookup through it visits ~20-30 nodes over a large memtable, each a likely cache miss,
// where this index touches one or two slots.
//
// Open addressing with linear probing over a power-of-two array of slots (0 = empty), kept at
// most half full. A slot holds an entry's address in its low 48 bits and 16 bits of the key's
// hash in the high ones, so a probe passes the slots of other keys without reading their
// entries, and a lookup reads about one entry for a hit and almost none for a miss. User-space
// addresses fit in 48 bits on x86-64 and AArch64 Linux (the kernel hands out higher ones only
// when asked); should an entry's address not fit, the index switches itself off (usable()
// turns false) and the memtable uses its skiplist alone.
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
  // The entry of `key` with the highest sequence, or null. REQUIRES: usable().
  const char* Find(std::string_view key) const;
  // False once an entry could not be indexed: Find would not be exact any more.
  bool usable() const { return usable_.load(std::memory_order_acquire); }

  // Bytes of slot arrays allocated (current and retired).
  size_t MemoryUsage() const { return memory_.load(std::memory_order_relaxed); }

 private:
  struct Slots {
    explicit Slots(size_t capacity);
    const size_t mask;
    std::unique_ptr<std::atomic<uintptr_t>[]> slot;
  };

  static uint64_t Hash(std::string_view key);
  // Inserts into `slots` (no growth); the writer's only.
  void Place(Slots* slots, std::string_view key, uint64_t hash, uintptr_t packed);
  void Grow();

  const KeyOf key_of_;
  const SequenceOf sequence_of_;
  std::atomic<Slots*> current_;
  std::vector<std::unique_ptr<Slots>> arrays_;  // every array allocated, the current one last
  size_t used_ = 0;                             // distinct keys (writer only)
  std::atomic<size_t> memory_{0};
  std::atomic<bool> usable_{true};
};

}  // namespace shale::storage
