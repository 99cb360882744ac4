// Block cache (storage/block_cache.h): LRU order by bytes, capacity changes, sharding,
// counters, per-table erase, and concurrent use.
#include "storage/block_cache.h"

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace shale::storage {
namespace {

std::shared_ptr<const std::string> Bytes(size_t n, char fill = 'x') {
  return std::make_shared<const std::string>(n, fill);
}

bool Cached(BlockCache* cache, uint64_t id, uint64_t offset) {
  return cache->Lookup(id, offset) != nullptr;
}

TEST(BlockCacheTest, LookupInsertAndCounters) {
  BlockCache cache(1000, 0);
  EXPECT_EQ(cache.num_shards(), 1);
  EXPECT_EQ(cache.Lookup(1, 0), nullptr);
  auto block = Bytes(100, 'a');
  cache.Insert(1, 0, block);
  auto got = cache.Lookup(1, 0);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(*got, *block);
  EXPECT_EQ(cache.Lookup(1, 4096), nullptr);  // another offset
  EXPECT_EQ(cache.Lookup(2, 0), nullptr);     // another table
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.inserts(), 1u);
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(cache.usage(), 100u);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(cache.capacity(), 1000u);
}

TEST(BlockCacheTest, EvictsLeastRecentlyUsedByBytes) {
  BlockCache cache(300, 0);
  cache.Insert(1, 0, Bytes(100));
  cache.Insert(1, 1, Bytes(100));
  cache.Insert(1, 2, Bytes(100));
  EXPECT_EQ(cache.usage(), 300u);
  ASSERT_TRUE(Cached(&cache, 1, 0));  // 0 becomes the most recently used; 1 is now the oldest
  cache.Insert(1, 3, Bytes(100));
  EXPECT_FALSE(Cached(&cache, 1, 1));
  EXPECT_TRUE(Cached(&cache, 1, 0));
  EXPECT_TRUE(Cached(&cache, 1, 2));
  EXPECT_TRUE(Cached(&cache, 1, 3));
  EXPECT_EQ(cache.evictions(), 1u);

  // The lookups above left the order (oldest first) 0, 2, 3. A 250-byte block needs 250 of the
  // 300 bytes: all three go, oldest first.
  cache.Insert(1, 4, Bytes(250));
  EXPECT_FALSE(Cached(&cache, 1, 0));
  EXPECT_FALSE(Cached(&cache, 1, 2));
  EXPECT_FALSE(Cached(&cache, 1, 3));
  EXPECT_TRUE(Cached(&cache, 1, 4));
  EXPECT_EQ(cache.usage(), 250u);
  EXPECT_EQ(cache.evictions(), 4u);

  // Small blocks evict only as many bytes as they need.
  cache.Insert(1, 5, Bytes(50));
  EXPECT_EQ(cache.usage(), 300u);
  EXPECT_TRUE(Cached(&cache, 1, 4));
  cache.Insert(1, 6, Bytes(10));  // evicts 5 (older than the 4 just looked up)
  EXPECT_FALSE(Cached(&cache, 1, 5));
  EXPECT_TRUE(Cached(&cache, 1, 4));
  EXPECT_EQ(cache.usage(), 260u);
}

TEST(BlockCacheTest, ReplaceAndTooLarge) {
  BlockCache cache(300, 0);
  cache.Insert(1, 0, Bytes(100, 'a'));
  cache.Insert(1, 0, Bytes(50, 'b'));
  EXPECT_EQ(cache.usage(), 50u);
  EXPECT_EQ(cache.entries(), 1u);
  EXPECT_EQ(*cache.Lookup(1, 0), std::string(50, 'b'));

  // Larger than the whole capacity: not cached, nothing evicted.
  cache.Insert(1, 1, Bytes(301));
  EXPECT_FALSE(Cached(&cache, 1, 1));
  EXPECT_TRUE(Cached(&cache, 1, 0));
  EXPECT_EQ(cache.evictions(), 0u);
  EXPECT_EQ(cache.inserts(), 2u);

  cache.Insert(1, 2, nullptr);
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(BlockCacheTest, EvictedBlockStaysAliveForItsHolder) {
  BlockCache cache(100, 0);
  cache.Insert(1, 0, Bytes(100, 'a'));
  auto held = cache.Lookup(1, 0);
  cache.Insert(1, 1, Bytes(100, 'b'));
  EXPECT_FALSE(Cached(&cache, 1, 0));
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, std::string(100, 'a'));
}

TEST(BlockCacheTest, SetCapacity) {
  BlockCache cache(1000, 0);
  for (uint64_t i = 0; i < 10; ++i) cache.Insert(1, i, Bytes(100));
  EXPECT_EQ(cache.usage(), 1000u);
  ASSERT_TRUE(Cached(&cache, 1, 0));  // 0 is now the most recently used
  cache.SetCapacity(350);
  EXPECT_EQ(cache.capacity(), 350u);
  EXPECT_EQ(cache.usage(), 300u);
  EXPECT_EQ(cache.evictions(), 7u);
  EXPECT_TRUE(Cached(&cache, 1, 0));
  EXPECT_TRUE(Cached(&cache, 1, 9));
  EXPECT_TRUE(Cached(&cache, 1, 8));
  EXPECT_FALSE(Cached(&cache, 1, 7));

  cache.SetCapacity(2000);
  for (uint64_t i = 10; i < 27; ++i) cache.Insert(1, i, Bytes(100));
  EXPECT_EQ(cache.usage(), 2000u);

  cache.SetCapacity(0);
  EXPECT_EQ(cache.usage(), 0u);
  EXPECT_EQ(cache.entries(), 0u);
  cache.Insert(1, 100, Bytes(1));
  EXPECT_FALSE(Cached(&cache, 1, 100));
}

TEST(BlockCacheTest, EraseTable) {
  BlockCache cache(10000, 2);
  for (uint64_t i = 0; i < 20; ++i) {
    cache.Insert(1, i * 4096, Bytes(10));
    cache.Insert(2, i * 4096, Bytes(10));
  }
  EXPECT_EQ(cache.usage(), 400u);
  cache.EraseTable(1);
  EXPECT_EQ(cache.usage(), 200u);
  for (uint64_t i = 0; i < 20; ++i) {
    EXPECT_FALSE(Cached(&cache, 1, i * 4096));
    EXPECT_TRUE(Cached(&cache, 2, i * 4096));
  }
  EXPECT_EQ(cache.evictions(), 0u);
}

TEST(BlockCacheTest, ShardsSplitTheCapacity) {
  // 16 shards of 100 bytes each: 100-byte blocks fill one slot per shard.
  BlockCache cache(1600, 4);
  EXPECT_EQ(cache.num_shards(), 16);
  for (uint64_t i = 0; i < 1000; ++i) cache.Insert(1, i * 4096, Bytes(100));
  // Every shard holds exactly one block if the keys reach every shard.
  EXPECT_EQ(cache.entries(), 16u);
  EXPECT_EQ(cache.usage(), 1600u);
  EXPECT_EQ(cache.evictions(), 1000u - 16u);
  // Capacity shares add up to the total even when it does not divide evenly.
  cache.SetCapacity(1615);
  EXPECT_EQ(cache.capacity(), 1615u);
  EXPECT_LE(cache.usage(), 1615u);
}

TEST(BlockCacheTest, NewIdIsUnique) {
  BlockCache cache(100);
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<std::vector<uint64_t>> ids(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, &ids, t] {
      for (int i = 0; i < 1000; ++i) ids[t].push_back(cache.NewId());
    });
  }
  for (auto& th : threads) th.join();
  std::set<uint64_t> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 4000u);
  EXPECT_EQ(all.count(0), 0u);
}

TEST(BlockCacheTest, ConcurrentUse) {
  BlockCache cache(64 * 1024, 3);
  constexpr int kThreads = 4;
  constexpr int kOps = 20000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  std::vector<uint64_t> hits(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&cache, &hits, t] {
      uint64_t x = 0x9e3779b97f4a7c15ull * (t + 1);
      for (int i = 0; i < kOps; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const uint64_t id = 1 + x % 3;
        const uint64_t offset = (x >> 8) % 200 * 4096;
        const char fill = static_cast<char>('a' + (id + offset / 4096) % 26);
        switch (x % 16) {
          case 0:
            cache.EraseTable(id);
            break;
          case 1:
            cache.SetCapacity(32 * 1024 + (x >> 20) % (64 * 1024));
            break;
          default:
            if (auto block = cache.Lookup(id, offset)) {
              // Every block under a key has that key's contents.
              ASSERT_EQ((*block)[0], fill);
              ++hits[t];
            } else {
              cache.Insert(id, offset, Bytes(512 + (x >> 30) % 1024, fill));
            }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.usage(), cache.capacity());
  uint64_t total_hits = 0;
  for (uint64_t h : hits) total_hits += h;
  EXPECT_EQ(cache.hits(), total_hits);
  EXPECT_GT(cache.hits() + cache.misses(), 0u);
}

}  // namespace
}  // namespace shale::storage
