#include "storage/memtable.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "storage/key_format.h"

namespace shale::storage {
namespace {

std::string Key(uint16_t group, std::string_view rest) {
  std::string k;
  MakeGroupedKey(group, rest, &k);
  return k;
}

TEST(MemTableTest, GetReturnsNewestVersion) {
  MemTable mem;
  const std::string a = Key(0, "a");
  MemTable::Entry entry;
  EXPECT_FALSE(mem.Get(a, &entry));
  mem.Add(1, ValueKind::kValue, a, "v1");
  mem.Add(5, ValueKind::kValue, a, "v5");
  mem.Add(3, ValueKind::kValue, a, "v3");
  ASSERT_TRUE(mem.Get(a, &entry));
  EXPECT_EQ(entry.kind, ValueKind::kValue);
  EXPECT_EQ(entry.sequence, 5u);
  EXPECT_EQ(entry.value, "v5");
  mem.Add(7, ValueKind::kDeletion, a, "");
  ASSERT_TRUE(mem.Get(a, &entry));
  EXPECT_EQ(entry.kind, ValueKind::kDeletion);
  EXPECT_EQ(entry.sequence, 7u);
  EXPECT_EQ(mem.entries(), 4u);
}

TEST(MemTableTest, ValueInTwoPiecesIsStoredJoined) {
  MemTable mem;
  const std::string key = Key(0, "k");
  mem.Add(5, ValueKind::kValue, key, std::string_view("\0", 1), "value");
  MemTable::Entry entry;
  ASSERT_TRUE(mem.Get(key, &entry));
  EXPECT_EQ(entry.sequence, 5u);
  EXPECT_EQ(entry.value, std::string_view("\0value", 6));
}

TEST(MemTableTest, KeysArePrefixFreeAndGroupsSeparate) {
  MemTable mem;
  mem.Add(1, ValueKind::kValue, Key(0, "ab"), "x");
  MemTable::Entry entry;
  EXPECT_FALSE(mem.Get(Key(0, "a"), &entry));
  EXPECT_FALSE(mem.Get(Key(0, "abc"), &entry));
  EXPECT_FALSE(mem.Get(Key(1, "ab"), &entry));
  EXPECT_TRUE(mem.Get(Key(0, "ab"), &entry));
  // Empty rest of the key, binary bytes, and keys too short to have a group.
  mem.Add(2, ValueKind::kValue, Key(0, ""), "empty");
  mem.Add(3, ValueKind::kValue, Key(0, std::string("\0\xff", 2)), "bin");
  ASSERT_TRUE(mem.Get(Key(0, ""), &entry));
  EXPECT_EQ(entry.value, "empty");
  ASSERT_TRUE(mem.Get(Key(0, std::string("\0\xff", 2)), &entry));
  EXPECT_EQ(entry.value, "bin");
  mem.Add(4, ValueKind::kValue, "", "no key");
  mem.Add(5, ValueKind::kValue, "x", "one byte");
  ASSERT_TRUE(mem.Get("", &entry));
  EXPECT_EQ(entry.value, "no key");
  ASSERT_TRUE(mem.Get("x", &entry));
  EXPECT_EQ(entry.value, "one byte");
  EXPECT_FALSE(mem.Get(std::string_view("x\0", 2), &entry));
}

TEST(MemTableTest, IteratorOrdersByKeyThenSequenceDescending) {
  MemTable mem;
  mem.Add(4, ValueKind::kValue, Key(1, "a"), "1a4");
  mem.Add(2, ValueKind::kValue, Key(0, "b"), "0b2");
  mem.Add(6, ValueKind::kDeletion, Key(0, "b"), "");
  mem.Add(1, ValueKind::kValue, Key(0, "a"), "0a1");
  mem.Add(9, ValueKind::kValue, Key(0, "a"), "0a9");
  mem.Add(3, ValueKind::kValue, Key(256, "a"), "256a3");

  struct Expected {
    std::string key;
    uint64_t seq;
    ValueKind kind;
    std::string value;
  };
  std::vector<Expected> expected = {
      {Key(0, "a"), 9, ValueKind::kValue, "0a9"}, {Key(0, "a"), 1, ValueKind::kValue, "0a1"},
      {Key(0, "b"), 6, ValueKind::kDeletion, ""}, {Key(0, "b"), 2, ValueKind::kValue, "0b2"},
      {Key(1, "a"), 4, ValueKind::kValue, "1a4"}, {Key(256, "a"), 3, ValueKind::kValue, "256a3"},
  };
  auto iter = mem.NewIterator();
  iter->SeekToFirst();
  for (const Expected& e : expected) {
    ASSERT_TRUE(iter->Valid());
    ParsedInternalKey parsed = ParseInternalKey(iter->key());
    EXPECT_EQ(parsed.storage_key, e.key);
    EXPECT_EQ(parsed.sequence, e.seq);
    EXPECT_EQ(parsed.kind, e.kind);
    EXPECT_EQ(iter->value(), e.value);
    iter->Next();
  }
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MemTableTest, SeekFindsFirstEntryAtOrAfterTarget) {
  MemTable mem;
  mem.Add(1, ValueKind::kValue, Key(0, "apple"), "1");
  mem.Add(2, ValueKind::kValue, Key(0, "banana"), "2");
  mem.Add(5, ValueKind::kValue, Key(0, "banana"), "5");
  mem.Add(3, ValueKind::kValue, Key(0, "cherry"), "3");
  auto iter = mem.NewIterator();

  std::string target;
  AppendInternalKey(Key(0, "b"), kMaxSequence, ValueKind::kValue, &target);
  iter->Seek(target);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ParseInternalKey(iter->key()).storage_key, Key(0, "banana"));
  EXPECT_EQ(ParseInternalKey(iter->key()).sequence, 5u);

  // A snapshot-style seek: banana at sequence <= 4 is the older version.
  target.clear();
  AppendInternalKey(Key(0, "banana"), 4, ValueKind::kValue, &target);
  iter->Seek(target);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ParseInternalKey(iter->key()).sequence, 2u);

  target.clear();
  AppendInternalKey(Key(0, "zzz"), kMaxSequence, ValueKind::kValue, &target);
  iter->Seek(target);
  EXPECT_FALSE(iter->Valid());

  // A long target takes the iterator's heap path.
  target.clear();
  AppendInternalKey(Key(0, std::string(1000, 'b')), kMaxSequence, ValueKind::kValue, &target);
  iter->Seek(target);
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ParseInternalKey(iter->key()).storage_key, Key(0, "cherry"));
}

TEST(MemTableTest, LargeValuesAndMemoryAccounting) {
  MemTable mem;
  const size_t before = mem.ApproximateMemoryUsage();
  std::string big(1 << 20, 'v');
  mem.Add(1, ValueKind::kValue, Key(0, "big"), big);
  std::string long_key(70000, 'k');
  mem.Add(2, ValueKind::kValue, Key(0, long_key), "small");
  EXPECT_GE(mem.ApproximateMemoryUsage(), before + big.size());
  MemTable::Entry entry;
  ASSERT_TRUE(mem.Get(Key(0, "big"), &entry));
  EXPECT_EQ(entry.value, big);
  ASSERT_TRUE(mem.Get(Key(0, long_key), &entry));
  EXPECT_EQ(entry.value, "small");
}

TEST(MemTableTest, GroupedKeyLayoutIsBigEndianGroupThenTheRest) {
  EXPECT_EQ(Key(0x0102, "k"), std::string("\x01\x02k", 3));
  uint16_t group = 0;
  ASSERT_TRUE(KeyGroup(Key(300, "x"), &group));
  EXPECT_EQ(group, 300);
  ASSERT_TRUE(KeyGroup(Key(0xffff, ""), &group));
  EXPECT_EQ(group, 0xffff);
  EXPECT_EQ(Key(300, "xyz").substr(kGroupPrefixSize), "xyz");
  // Keys shorter than the prefix belong to no group.
  group = 7;
  EXPECT_FALSE(KeyGroup("", &group));
  EXPECT_FALSE(KeyGroup("x", &group));
  EXPECT_EQ(group, 7);
  // Every key of group 1 sorts before every key of group 2: a group is one key range.
  EXPECT_LT(Key(1, std::string(10, '\xff')), Key(2, ""));
  EXPECT_LT(Key(0x00ff, std::string(10, '\xff')), Key(0x0100, ""));
}

// Internal keys in the memtable's order (storage key ascending, then sequence descending).
struct InternalKeyLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return CompareInternalKeys(a, b) < 0;
  }
};
using Model = std::map<std::string, std::string, InternalKeyLess>;

void ExpectSameAsModel(const MemTable& mem, const Model& model) {
  auto iter = mem.NewIterator();
  iter->SeekToFirst();
  size_t seen = 0;
  for (const auto& [internal_key, value] : model) {
    ASSERT_TRUE(iter->Valid()) << "after " << seen << " of " << model.size();
    ASSERT_EQ(iter->key(), internal_key) << "at " << seen;
    ASSERT_EQ(iter->value(), value);
    iter->Next();
    ++seen;
  }
  EXPECT_FALSE(iter->Valid());
}

// Keys that share long prefixes, are prefixes of one another, differ only past the first 8
// bytes after their common part, or hold zero and 0xff bytes: the cases a sort by prefixes
// must order exactly as the full comparison does.
std::string AwkwardKey(std::mt19937_64& rng) {
  static const std::string_view kStems[] = {"", "key:", "key:0000", "key:00000000",
                                            std::string_view("\0\0", 2)};
  std::string key = Key(static_cast<uint16_t>(rng() % 3), kStems[rng() % 5]);
  const size_t extra = rng() % 14;
  for (size_t i = 0; i < extra; ++i) {
    const uint64_t r = rng() % 8;
    key.push_back(r == 0 ? '\0' : r == 1 ? '\xff' : static_cast<char>('0' + rng() % 4));
  }
  return key;
}

TEST(MemTableTest, DeferredOrderMatchesAModelThroughLinksRunsAndMerges) {
  MemTable mem;
  Model model;
  std::mt19937_64 rng(11);
  uint64_t sequence = 0;
  // Batch sizes on both sides of the link limit, so the skiplist and runs (and merges of runs)
  // all hold entries; an iterator after each batch orders it.
  const size_t batches[] = {3, 300, 1000, 10, 257, 256, 2000, 600, 1, 5000, 700, 40, 3000};
  size_t max_runs = 0;
  for (const size_t batch : batches) {
    for (size_t i = 0; i < batch; ++i) {
      const std::string key = AwkwardKey(rng);
      const bool deletion = rng() % 5 == 0;
      const std::string value = deletion ? "" : "v" + std::to_string(sequence + 1);
      mem.Add(++sequence, deletion ? ValueKind::kDeletion : ValueKind::kValue, key, value);
      std::string internal_key;
      AppendInternalKey(key, sequence, deletion ? ValueKind::kDeletion : ValueKind::kValue,
                        &internal_key);
      model.emplace(internal_key, value);
    }
    EXPECT_EQ(mem.pending_entries(), batch);
    ExpectSameAsModel(mem, model);
    EXPECT_EQ(mem.pending_entries(), 0u);
    max_runs = std::max(max_runs, mem.runs());
  }
  EXPECT_GE(max_runs, 1u);
  EXPECT_LE(max_runs, 8u);  // merged as they become alike in size: O(log n) runs
  EXPECT_EQ(mem.entries(), sequence);

  // Reads at older snapshots search the skiplist and every run.
  for (int i = 0; i < 2000; ++i) {
    const uint64_t snapshot = 1 + rng() % sequence;
    const std::string key = AwkwardKey(rng);
    std::string lookup;
    AppendInternalKey(key, snapshot, ValueKind::kValue, &lookup);
    const auto at = model.lower_bound(lookup);
    const bool expect_found = at != model.end() && InternalKeyStorageKey(at->first) == key;
    MemTable::Entry entry;
    ASSERT_EQ(mem.Get(key, &entry, snapshot), expect_found) << i;
    if (expect_found) {
      EXPECT_EQ(entry.sequence, ParseInternalKey(at->first).sequence);
      EXPECT_EQ(entry.value, at->second);
    }
  }
}

TEST(MemTableTest, ReadAtAnOlderSnapshotOrdersPendingEntries) {
  MemTable mem;
  for (uint64_t s = 1; s <= 1000; ++s) {
    mem.Add(s, ValueKind::kValue, Key(0, "k" + std::to_string(s % 100)), "v" + std::to_string(s));
  }
  EXPECT_EQ(mem.pending_entries(), 1000u);
  MemTable::Entry entry;
  ASSERT_TRUE(mem.Get(Key(0, "k7"), &entry));  // newest: the hash index, nothing ordered
  EXPECT_EQ(entry.sequence, 907u);
  EXPECT_EQ(mem.pending_entries(), 1000u);
  ASSERT_TRUE(mem.Get(Key(0, "k7"), &entry, 500));
  EXPECT_EQ(entry.sequence, 407u);
  EXPECT_EQ(entry.value, "v407");
  EXPECT_EQ(mem.pending_entries(), 0u);
  EXPECT_FALSE(mem.Get(Key(0, "k7"), &entry, 6));
}

// One writer adds while readers iterate and read at snapshots: every reader sees every entry
// up to the sequence published before it started, in order (and ThreadSanitizer sees the
// hand-over between Add and the ordering).
TEST(MemTableTest, ReadersOrderConcurrentlyWithTheWriter) {
  MemTable mem;
  constexpr uint64_t kEntries = 20000;
  std::atomic<uint64_t> published{0};
  std::thread writer([&] {
    for (uint64_t s = 1; s <= kEntries; ++s) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%08llu",
                    static_cast<unsigned long long>((s * 7919) % kEntries));
      mem.Add(s, ValueKind::kValue, Key(0, key), std::to_string(s));
      published.store(s, std::memory_order_release);
    }
  });
  std::vector<std::thread> readers;
  std::atomic<int> failures{0};
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      uint64_t snapshot = 0;
      while (snapshot < kEntries) {
        snapshot = published.load(std::memory_order_acquire);
        auto iter = mem.NewIterator();
        uint64_t visible = 0;
        std::string previous;
        for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
          const std::string internal_key(iter->key());
          if (!previous.empty() && CompareInternalKeys(previous, internal_key) >= 0) ++failures;
          previous = internal_key;
          if (ParseInternalKey(internal_key).sequence <= snapshot) ++visible;
        }
        if (visible != snapshot) ++failures;
        MemTable::Entry entry;
        if (snapshot > 0 && !mem.Get(Key(0, "k00000000"), &entry, snapshot) &&
            snapshot >= kEntries) {
          ++failures;
        }
      }
    });
  }
  writer.join();
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace shale::storage
