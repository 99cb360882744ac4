#include "storage/block_cache.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>

namespace shale::storage {

namespace {

struct CacheKey {
  uint64_t id;
  uint64_t offset;
  friend bool operator==(const CacheKey&, const CacheKey&) = default;
};

// A 64-bit mix of both halves of the key (the finaliser of SplitMix64), so keys of one table,
// whose offsets differ by a few KiB, spread over all shards.
uint64_t HashKey(uint64_t id, uint64_t offset) {
  uint64_t x = id * 0x9e3779b97f4a7c15ull ^ offset;
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const {
    return static_cast<size_t>(HashKey(k.id, k.offset));
  }
};

}  // namespace

// One LRU list. Invariant: usage_ = sum of the sizes of the blocks in lru_, and usage_ <=
// capacity_ after every public call.
class BlockCache::Shard {
 public:
  explicit Shard(size_t capacity) : capacity_(capacity) {}

  std::shared_ptr<const std::string> Lookup(const CacheKey& key) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
    return it->second->block;
  }

  // Returns whether the block was cached; *evicted counts entries dropped to make room.
  bool Insert(const CacheKey& key, std::shared_ptr<const std::string> block, uint64_t* evicted)
      EXCLUDES(mu_) {
    const size_t charge = block->size();
    MutexLock lock(&mu_);
    EraseLocked(key);
    if (charge > capacity_) return false;
    *evicted += EvictLocked(capacity_ - charge);
    lru_.push_front(Entry{key, std::move(block)});
    map_.emplace(key, lru_.begin());
    usage_ += charge;
    return true;
  }

  void EraseTable(uint64_t id) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
      if (it->key.id == id) {
        usage_ -= it->block->size();
        map_.erase(it->key);
        it = lru_.erase(it);
      } else {
        ++it;
      }
    }
  }

  uint64_t SetCapacity(size_t capacity) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    capacity_ = capacity;
    return EvictLocked(capacity_);
  }

  size_t usage() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return usage_;
  }

  size_t entries() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return map_.size();
  }

 private:
  struct Entry {
    CacheKey key;
    std::shared_ptr<const std::string> block;
  };

  // Drops least recently used entries until usage_ <= limit.
  uint64_t EvictLocked(size_t limit) REQUIRES(mu_) {
    uint64_t evicted = 0;
    while (usage_ > limit && !lru_.empty()) {
      Entry& victim = lru_.back();
      usage_ -= victim.block->size();
      map_.erase(victim.key);
      lru_.pop_back();
      ++evicted;
    }
    return evicted;
  }

  void EraseLocked(const CacheKey& key) REQUIRES(mu_) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    usage_ -= it->second->block->size();
    lru_.erase(it->second);
    map_.erase(it);
  }

  mutable Mutex mu_;
  size_t capacity_ GUARDED_BY(mu_);
  size_t usage_ GUARDED_BY(mu_) = 0;
  std::list<Entry> lru_ GUARDED_BY(mu_);
  std::unordered_map<CacheKey, std::list<Entry>::iterator, CacheKeyHash> map_ GUARDED_BY(mu_);
};

namespace {

// Shard i's share of `capacity` over `n` shards; the shares add up to `capacity`.
size_t ShardCapacity(size_t capacity, size_t n, size_t i) {
  return capacity / n + (i < capacity % n ? 1 : 0);
}

}  // namespace

BlockCache::BlockCache(size_t capacity_bytes, int shard_bits) : capacity_(capacity_bytes) {
  assert(shard_bits >= 0 && shard_bits <= 10);
  shard_bits = std::clamp(shard_bits, 0, 10);
  const size_t n = size_t{1} << shard_bits;
  shards_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>(ShardCapacity(capacity_bytes, n, i)));
  }
}

BlockCache::~BlockCache() = default;

uint64_t BlockCache::NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed); }

BlockCache::Shard& BlockCache::ShardFor(uint64_t id, uint64_t offset) {
  if (shards_.size() == 1) return *shards_[0];
  // The top bits of the hash pick the shard; the map inside uses all of it.
  const int shift = 64 - std::countr_zero(shards_.size());
  return *shards_[static_cast<size_t>(HashKey(id, offset) >> shift)];
}

std::shared_ptr<const std::string> BlockCache::Lookup(uint64_t id, uint64_t offset) {
  auto block = ShardFor(id, offset).Lookup(CacheKey{id, offset});
  (block ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return block;
}

void BlockCache::Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block) {
  if (block == nullptr) return;
  uint64_t evicted = 0;
  const bool cached = ShardFor(id, offset).Insert(CacheKey{id, offset}, std::move(block), &evicted);
  if (cached) inserts_.fetch_add(1, std::memory_order_relaxed);
  if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
}

void BlockCache::EraseTable(uint64_t id) {
  for (auto& shard : shards_) shard->EraseTable(id);
}

void BlockCache::SetCapacity(size_t capacity_bytes) {
  MutexLock lock(&set_capacity_mu_);
  capacity_.store(capacity_bytes, std::memory_order_relaxed);
  uint64_t evicted = 0;
  for (size_t i = 0; i < shards_.size(); ++i) {
    evicted += shards_[i]->SetCapacity(ShardCapacity(capacity_bytes, shards_.size(), i));
  }
  if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
}

size_t BlockCache::capacity() const { return capacity_.load(std::memory_order_relaxed); }

size_t BlockCache::usage() const {
  size_t total = 0;
  for (const auto& shard : shards_) total += shard->usage();
  return total;
}

size_t BlockCache::entries() const {
  size_t total = 0;
  for (const auto& shard : shards_) total += shard->entries();
  return total;
}

uint64_t BlockCache::hits() const { return hits_.load(std::memory_order_relaxed); }
uint64_t BlockCache::misses() const { return misses_.load(std::memory_order_relaxed); }
uint64_t BlockCache::inserts() const { return inserts_.load(std::memory_order_relaxed); }
uint64_t BlockCache::evictions() const { return evictions_.load(std::memory_order_relaxed); }

}  // namespace shale::storage
