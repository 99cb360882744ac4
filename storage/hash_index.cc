#include "storage/hash_index.h"

#include <xxhash.h>

namespace shale::storage {

namespace {

// Small, so a small memtable (tests use a few KB) is not filled by its own index; growth doubles.
constexpr size_t kInitialCapacity = 16;

// Slot layout: | tag: 16 bits | entry address: 48 bits |; 0 = empty.
constexpr int kTagShift = 48;
constexpr uintptr_t kAddressMask = (uintptr_t{1} << kTagShift) - 1;
static_assert(sizeof(uintptr_t) == 8, "tagged slots need 64-bit addresses");

// Never 0, so a filled slot is never 0.
uintptr_t TagOf(uint64_t hash) {
  return static_cast<uintptr_t>((hash >> kTagShift) | 1) << kTagShift;
}

const char* EntryOf(uintptr_t slot) { return reinterpret_cast<const char*>(slot & kAddressMask); }

}  // namespace

HashIndex::Slots::Slots(size_t capacity)
    : mask(capacity - 1), slot(new std::atomic<uintptr_t>[capacity]) {
  for (size_t i = 0; i < capacity; ++i) slot[i].store(0, std::memory_order_relaxed);
}

HashIndex::HashIndex(KeyOf key_of, SequenceOf sequence_of)
    : key_of_(key_of), sequence_of_(sequence_of) {
  arrays_.push_back(std::make_unique<Slots>(kInitialCapacity));
  memory_.store(kInitialCapacity * sizeof(uintptr_t), std::memory_order_relaxed);
  current_.store(arrays_.back().get(), std::memory_order_release);
}

uint64_t HashIndex::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void HashIndex::Place(Slots* slots, std::string_view key, uint64_t hash, uintptr_t packed) {
  const uintptr_t tag = packed & ~kAddressMask;
  for (size_t i = hash & slots->mask;; i = (i + 1) & slots->mask) {
    const uintptr_t present = slots->slot[i].load(std::memory_order_relaxed);
    if (present == 0) {
      slots->slot[i].store(packed, std::memory_order_release);
      ++used_;
      return;
    }
    if ((present & ~kAddressMask) == tag && key_of_(EntryOf(present)) == key) {
      if (sequence_of_(EntryOf(packed)) > sequence_of_(EntryOf(present))) {
        slots->slot[i].store(packed, std::memory_order_release);
      }
      return;
    }
  }
}

void HashIndex::Insert(std::string_view key, const char* entry) {
  if (!usable()) return;
  const auto address = reinterpret_cast<uintptr_t>(entry);
  if ((address & ~kAddressMask) != 0) {
    usable_.store(false, std::memory_order_release);
    return;
  }
  Slots* slots = current_.load(std::memory_order_relaxed);
  if ((used_ + 1) * 2 > slots->mask + 1) {
    Grow();
    slots = current_.load(std::memory_order_relaxed);
  }
  const uint64_t hash = Hash(key);
  Place(slots, key, hash, address | TagOf(hash));
}

void HashIndex::Grow() {
  const Slots* old = current_.load(std::memory_order_relaxed);
  const size_t capacity = (old->mask + 1) * 2;
  auto grown = std::make_unique<Slots>(capacity);
  used_ = 0;
  for (size_t i = 0; i <= old->mask; ++i) {
    const uintptr_t packed = old->slot[i].load(std::memory_order_relaxed);
    if (packed == 0) continue;
    const std::string_view key = key_of_(EntryOf(packed));
    Place(grown.get(), key, Hash(key), packed);
  }
  memory_.fetch_add(capacity * sizeof(uintptr_t), std::memory_order_relaxed);
  arrays_.push_back(std::move(grown));
  current_.store(arrays_.back().get(), std::memory_order_release);
}

const char* HashIndex::Find(std::string_view key) const {
  const Slots* slots = current_.load(std::memory_order_acquire);
  const uint64_t hash = Hash(key);
  const uintptr_t tag = TagOf(hash);
  for (size_t i = hash & slots->mask;; i = (i + 1) & slots->mask) {
    const uintptr_t packed = slots->slot[i].load(std::memory_order_acquire);
    if (packed == 0) return nullptr;
    if ((packed & ~kAddressMask) == tag && key_of_(EntryOf(packed)) == key) {
      return EntryOf(packed);
    }
  }
}

}  // namespace shale::storage
