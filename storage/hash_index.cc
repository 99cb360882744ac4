#include "storage/hash_index.h"

#include <xxhash.h>

namespace shale::storage {

namespace {

constexpr size_t kInitialCapacity = 1024;

}  // namespace

HashIndex::Slots::Slots(size_t capacity)
    : mask(capacity - 1), slot(new std::atomic<const char*>[capacity]) {
  for (size_t i = 0; i < capacity; ++i) slot[i].store(nullptr, std::memory_order_relaxed);
}

HashIndex::HashIndex(KeyOf key_of, SequenceOf sequence_of)
    : key_of_(key_of), sequence_of_(sequence_of) {
  arrays_.push_back(std::make_unique<Slots>(kInitialCapacity));
  memory_.store(kInitialCapacity * sizeof(std::atomic<const char*>), std::memory_order_relaxed);
  current_.store(arrays_.back().get(), std::memory_order_release);
}

uint64_t HashIndex::Hash(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

void HashIndex::Place(Slots* slots, std::string_view key, uint64_t hash, const char* entry) {
  for (size_t i = hash & slots->mask;; i = (i + 1) & slots->mask) {
    const char* present = slots->slot[i].load(std::memory_order_relaxed);
    if (present == nullptr) {
      slots->slot[i].store(entry, std::memory_order_release);
      ++used_;
      return;
    }
    if (key_of_(present) == key) {
      if (sequence_of_(entry) > sequence_of_(present)) {
        slots->slot[i].store(entry, std::memory_order_release);
      }
      return;
    }
  }
}

void HashIndex::Insert(std::string_view key, const char* entry) {
  Slots* slots = current_.load(std::memory_order_relaxed);
  if ((used_ + 1) * 2 > slots->mask + 1) {
    Grow();
    slots = current_.load(std::memory_order_relaxed);
  }
  Place(slots, key, Hash(key), entry);
}

void HashIndex::Grow() {
  const Slots* old = current_.load(std::memory_order_relaxed);
  const size_t capacity = (old->mask + 1) * 2;
  auto grown = std::make_unique<Slots>(capacity);
  used_ = 0;
  for (size_t i = 0; i <= old->mask; ++i) {
    const char* entry = old->slot[i].load(std::memory_order_relaxed);
    if (entry == nullptr) continue;
    const std::string_view key = key_of_(entry);
    Place(grown.get(), key, Hash(key), entry);
  }
  memory_.fetch_add(capacity * sizeof(std::atomic<const char*>), std::memory_order_relaxed);
  arrays_.push_back(std::move(grown));
  current_.store(arrays_.back().get(), std::memory_order_release);
}

const char* HashIndex::Find(std::string_view key) const {
  const Slots* slots = current_.load(std::memory_order_acquire);
  for (size_t i = Hash(key) & slots->mask;; i = (i + 1) & slots->mask) {
    const char* entry = slots->slot[i].load(std::memory_order_acquire);
    if (entry == nullptr) return nullptr;
    if (key_of_(entry) == key) return entry;
  }
}

}  // namespace shale::storage
