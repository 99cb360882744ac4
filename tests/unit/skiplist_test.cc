#include "storage/skiplist.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "storage/arena.h"

namespace shale::storage {
namespace {

struct IntComparator {
  int operator()(uint64_t a, uint64_t b) const { return a < b ? -1 : (a > b ? 1 : 0); }
};
using IntList = SkipList<uint64_t, IntComparator>;

TEST(SkipListTest, Empty) {
  Arena arena;
  IntList list(IntComparator(), &arena);
  EXPECT_FALSE(list.Contains(10));
  IntList::Iterator iter(&list);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToFirst();
  EXPECT_FALSE(iter.Valid());
  iter.Seek(100);
  EXPECT_FALSE(iter.Valid());
  iter.SeekToLast();
  EXPECT_FALSE(iter.Valid());
}

// Keys stored in their nodes (Reserve): NUL-terminated strings of varied lengths, written into
// the reserved bytes; order, lookups and the bytes themselves stay intact as the list grows.
struct StringComparator {
  int operator()(const char* a, const char* b) const {
    if (a == nullptr || b == nullptr) return a == b ? 0 : (a == nullptr ? -1 : 1);
    return std::strcmp(a, b);
  }
};
using StringList = SkipList<const char*, StringComparator>;

TEST(SkipListTest, InlineKeysMatchStdSet) {
  Arena arena;
  StringList list(StringComparator(), &arena);
  std::set<std::string> model;
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string key = std::to_string(rng() % 20000) + std::string(rng() % 40, 'x');
    if (!model.insert(key).second) continue;
    const StringList::Reservation r = list.Reserve(key.size() + 1);
    std::memcpy(r.data(), key.c_str(), key.size() + 1);
    list.Insert(r);
  }
  for (const std::string& key : model) ASSERT_TRUE(list.Contains(key.c_str())) << key;
  EXPECT_FALSE(list.Contains("absent"));
  StringList::Iterator iter(&list);
  iter.SeekToFirst();
  for (const std::string& key : model) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_STREQ(iter.key(), key.c_str());
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());
}

TEST(SkipListTest, InsertAndLookupMatchStdSet) {
  Arena arena;
  IntList list(IntComparator(), &arena);
  std::set<uint64_t> model;
  std::mt19937_64 rng(1000);
  for (int i = 0; i < 5000; ++i) {
    uint64_t key = rng() % 20000;
    if (model.insert(key).second) list.Insert(key);
  }
  for (uint64_t k = 0; k < 20000; ++k) ASSERT_EQ(list.Contains(k), model.count(k) == 1) << k;

  // Forward iteration.
  IntList::Iterator iter(&list);
  iter.SeekToFirst();
  for (uint64_t k : model) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(iter.key(), k);
    iter.Next();
  }
  EXPECT_FALSE(iter.Valid());

  // Seek lands on the first key >= target.
  for (uint64_t target = 0; target < 20000; target += 7) {
    iter.Seek(target);
    auto it = model.lower_bound(target);
    if (it == model.end()) {
      EXPECT_FALSE(iter.Valid());
    } else {
      ASSERT_TRUE(iter.Valid());
      EXPECT_EQ(iter.key(), *it);
    }
  }

  // Backward iteration.
  iter.SeekToLast();
  for (auto it = model.rbegin(); it != model.rend(); ++it) {
    ASSERT_TRUE(iter.Valid());
    EXPECT_EQ(iter.key(), *it);
    iter.Prev();
  }
  EXPECT_FALSE(iter.Valid());
}

// Keys are pointers to arena records written by the writer before it inserts them: a reader
// that sees a node must see its record complete (acquire/release publication).
struct Record {
  uint64_t key;
  uint64_t check;  // ~key
};
struct RecordComparator {
  int operator()(const Record* a, const Record* b) const {
    if (a == nullptr || b == nullptr) return a == b ? 0 : (a == nullptr ? -1 : 1);
    return a->key < b->key ? -1 : (a->key > b->key ? 1 : 0);
  }
};
using RecordList = SkipList<const Record*, RecordComparator>;

TEST(SkipListTest, ConcurrentReaderWhileWriting) {
  Arena arena;
  RecordList list(RecordComparator(), &arena);
  constexpr int kInserts = 20000;
  std::atomic<bool> writer_done{false};
  std::atomic<uint64_t> reader_rounds{0};

  std::thread reader([&] {
    std::mt19937_64 rng(7);
    Record probe{0, 0};
    // At least one full pass after the writer finished, so the final state is checked too.
    bool last_round = false;
    while (!last_round) {
      last_round = writer_done.load(std::memory_order_acquire);
      RecordList::Iterator iter(&list);
      iter.SeekToFirst();
      uint64_t previous = 0;
      bool first = true;
      size_t seen = 0;
      while (iter.Valid()) {
        const Record* r = iter.key();
        ASSERT_EQ(r->check, ~r->key);
        if (!first) {
          ASSERT_LT(previous, r->key);
        }
        previous = r->key;
        first = false;
        ++seen;
        iter.Next();
      }
      if (last_round) {
        EXPECT_EQ(seen, static_cast<size_t>(kInserts));
      }
      probe.key = rng() % (kInserts * 3);
      iter.Seek(&probe);
      if (iter.Valid()) {
        ASSERT_GE(iter.key()->key, probe.key);
      }
      reader_rounds.fetch_add(1, std::memory_order_relaxed);
    }
  });

  std::mt19937_64 rng(99);
  std::set<uint64_t> used;
  for (int i = 0; i < kInserts; ++i) {
    uint64_t key;
    do {
      key = rng() % (kInserts * 3);
    } while (!used.insert(key).second);
    auto* record = reinterpret_cast<Record*>(arena.AllocateAligned(sizeof(Record)));
    record->key = key;
    record->check = ~key;
    list.Insert(record);
  }
  writer_done.store(true, std::memory_order_release);
  reader.join();
  EXPECT_GE(reader_rounds.load(), 1u);
}

}  // namespace
}  // namespace shale::storage
