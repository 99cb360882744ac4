#include "storage/memtable.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
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

}  // namespace
}  // namespace shale::storage
