// HashIndex (storage/hash_index.h): newest entry per key across growth, misses, keys that are
// prefixes of each other, and readers running while the writer inserts and grows the index.
#include "storage/hash_index.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <deque>
#include <string>
#include <thread>
#include <vector>

namespace shale::storage {
namespace {

// Test entries: | sequence u64 | key bytes | NUL |, held in a deque so they never move.
class Entries {
 public:
  const char* Make(std::string_view key, uint64_t sequence) {
    std::string& e = store_.emplace_back(sizeof(sequence), '\0');
    std::memcpy(e.data(), &sequence, sizeof(sequence));
    e.append(key);
    return e.c_str();
  }
  static std::string_view KeyOf(const char* entry) { return std::string_view(entry + 8); }
  static uint64_t SequenceOf(const char* entry) {
    uint64_t sequence = 0;
    std::memcpy(&sequence, entry, sizeof(sequence));
    return sequence;
  }

 private:
  std::deque<std::string> store_;
};

TEST(HashIndexTest, FindsTheNewestEntryOfEachKeyAcrossGrowth) {
  Entries entries;
  HashIndex index(Entries::KeyOf, Entries::SequenceOf);
  EXPECT_EQ(index.Find("absent"), nullptr);
  const size_t initial = index.MemoryUsage();
  constexpr int kKeys = 20000;
  uint64_t sequence = 0;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "key" + std::to_string(i);
      index.Insert(key, entries.Make(key, ++sequence));
    }
  }
  EXPECT_GT(index.MemoryUsage(), initial) << "grew";
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "key" + std::to_string(i);
    const char* found = index.Find(key);
    ASSERT_NE(found, nullptr) << key;
    EXPECT_EQ(Entries::KeyOf(found), key);
    EXPECT_EQ(Entries::SequenceOf(found), static_cast<uint64_t>(2 * kKeys + i + 1)) << key;
  }
  EXPECT_EQ(index.Find("key"), nullptr) << "a prefix of stored keys is another key";
  EXPECT_EQ(index.Find("key1x"), nullptr);
  EXPECT_EQ(index.Find(""), nullptr);
}

TEST(HashIndexTest, AnOlderEntryNeverReplacesANewerOne) {
  Entries entries;
  HashIndex index(Entries::KeyOf, Entries::SequenceOf);
  const char* newer = entries.Make("k", 10);
  index.Insert("k", newer);
  index.Insert("k", entries.Make("k", 7));
  EXPECT_EQ(index.Find("k"), newer);
  const char* newest = entries.Make("k", 11);
  index.Insert("k", newest);
  EXPECT_EQ(index.Find("k"), newest);
}

// Readers take no lock while the writer inserts and grows the index; every key a reader looks
// up after its insert was published (ready) is found, with a sequence no older than it saw.
TEST(HashIndexTest, ConcurrentReadersSeeEveryPublishedKey) {
  Entries entries;
  HashIndex index(Entries::KeyOf, Entries::SequenceOf);
  constexpr int kKeys = 50000;
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("k" + std::to_string(i));
  std::vector<const char*> made;
  for (int i = 0; i < kKeys; ++i) made.push_back(entries.Make(keys[i], i + 1));
  std::atomic<int> ready{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      int checked = 0;
      while (checked < kKeys) {
        const int upto = ready.load(std::memory_order_acquire);
        for (int i = checked; i < upto; i += 1 + t) {
          const char* found = index.Find(keys[i]);
          if (found != made[i]) failed.store(true);
        }
        checked = upto;
        if (upto < kKeys) std::this_thread::yield();
      }
    });
  }
  for (int i = 0; i < kKeys; ++i) {
    index.Insert(keys[i], made[i]);
    ready.store(i + 1, std::memory_order_release);
  }
  for (std::thread& r : readers) r.join();
  EXPECT_FALSE(failed.load());
}

}  // namespace
}  // namespace shale::storage
