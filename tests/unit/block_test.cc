// Key/value blocks (storage/block_builder.h, storage/block.h): round trip, restart points,
// seeking, prefix compression, and malformed blocks rejected without reading out of bounds.
#include "storage/block.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "storage/block_builder.h"
#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::storage {
namespace {

std::string IKey(std::string_view storage_key, uint64_t sequence,
                 ValueKind kind = ValueKind::kValue) {
  std::string k;
  AppendInternalKey(storage_key, sequence, kind, &k);
  return k;
}

std::string NumberedKey(int i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "user:key:%06d", i);
  return buf;
}

using Entries = std::vector<std::pair<std::string, std::string>>;

Entries MakeEntries(int n) {
  Entries entries;
  for (int i = 0; i < n; ++i) {
    entries.emplace_back(IKey(NumberedKey(2 * i), 100 + i), "value" + std::to_string(i));
  }
  return entries;
}

std::shared_ptr<const std::string> Build(const Entries& entries, int restart_interval = 16) {
  BlockBuilder builder(restart_interval);
  for (const auto& [k, v] : entries) builder.Add(k, v);
  EXPECT_EQ(builder.num_entries(), entries.size());
  const size_t estimate = builder.CurrentSizeEstimate();
  auto block = std::make_shared<const std::string>(builder.Finish());
  EXPECT_EQ(block->size(), estimate);
  return block;
}

Entries ReadAll(const Block& block, Status* status) {
  Entries out;
  auto it = block.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  *status = it->status();
  return out;
}

TEST(BlockTest, RoundTrip) {
  for (const int interval : {1, 2, 16, 1000}) {
    const Entries entries = MakeEntries(500);
    Block block;
    ASSERT_TRUE(block.Init(Build(entries, interval)).ok());
    Status s;
    EXPECT_EQ(ReadAll(block, &s), entries) << interval;
    EXPECT_TRUE(s.ok());
  }
}

TEST(BlockTest, RestartPointsEveryInterval) {
  for (const int n : {1, 15, 16, 17, 32, 33, 100}) {
    const Entries entries = MakeEntries(n);
    Block block;
    ASSERT_TRUE(block.Init(Build(entries, 16)).ok());
    EXPECT_EQ(block.num_restarts(), static_cast<uint32_t>((n + 15) / 16)) << n;
    EXPECT_EQ(block.restarts_offset(), block.size() - 4 - 4 * block.num_restarts());
  }
}

TEST(BlockTest, EmptyBlock) {
  BlockBuilder builder(16);
  EXPECT_TRUE(builder.empty());
  auto contents = std::make_shared<const std::string>(builder.Finish());
  EXPECT_EQ(contents->size(), 8u);  // restart 0 and the count 1
  Block block;
  ASSERT_TRUE(block.Init(contents).ok());
  auto it = block.NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  it->Seek(IKey("a", 1));
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
}

TEST(BlockTest, PrefixCompression) {
  const Entries entries = MakeEntries(256);
  size_t raw = 0;
  for (const auto& [k, v] : entries) raw += k.size() + v.size();
  auto compressed = Build(entries, 16);
  auto uncompressed = Build(entries, 1);  // every entry a restart point: whole keys
  // Keys share "user:key:000" and more; at interval 1 every key is stored whole.
  EXPECT_LT(compressed->size(), uncompressed->size() - 256 * 8);
  EXPECT_GT(uncompressed->size(), raw);

  // The second entry of a restart run stores only its differing suffix.
  BlockBuilder builder(16);
  builder.Add(IKey("prefix-aaaa", 2), "v");
  builder.Add(IKey("prefix-aaab", 1), "w");
  const std::string block(builder.Finish());
  std::string_view in = block;
  uint32_t shared = 0, non_shared = 0, value_len = 0;
  ASSERT_TRUE(GetVarint32(&in, &shared) && GetVarint32(&in, &non_shared) &&
              GetVarint32(&in, &value_len));
  EXPECT_EQ(shared, 0u);
  in.remove_prefix(non_shared + value_len);
  ASSERT_TRUE(GetVarint32(&in, &shared) && GetVarint32(&in, &non_shared) &&
              GetVarint32(&in, &value_len));
  EXPECT_EQ(shared, 10u);     // "prefix-aaa"
  EXPECT_EQ(non_shared, 9u);  // "b" + 8-byte trailer
}

TEST(BlockTest, Seek) {
  const Entries entries = MakeEntries(300);  // storage keys with even numbers
  Block block;
  ASSERT_TRUE(block.Init(Build(entries, 16)).ok());
  auto it = block.NewIterator();
  for (int i = 0; i < 300; ++i) {
    // Exactly at a key.
    it->Seek(entries[i].first);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), entries[i].first);
    EXPECT_EQ(it->value(), entries[i].second);
    // Between keys: the odd number before key i lands on key i.
    it->Seek(IKey(NumberedKey(2 * i - 1), 5));
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), entries[i].first);
    // The same storage key with a newer snapshot than stored lands on it, an older one after.
    it->Seek(IKey(NumberedKey(2 * i), 100000));
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), entries[i].first);
    it->Seek(IKey(NumberedKey(2 * i), 1));
    if (i + 1 < 300) {
      ASSERT_TRUE(it->Valid());
      EXPECT_EQ(it->key(), entries[i + 1].first);
    } else {
      EXPECT_FALSE(it->Valid());
    }
  }
  it->Seek(IKey("a", 1));  // before everything
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), entries[0].first);
  it->Seek(IKey("zzz", 1));  // after everything
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());

  // Next after a Seek continues in order.
  it->Seek(entries[100].first);
  for (int i = 100; i < 300; ++i) {
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(it->key(), entries[i].first);
    it->Next();
  }
  EXPECT_FALSE(it->Valid());
}

TEST(BlockTest, VersionsOfOneKeyNewestFirst) {
  Entries entries;
  for (uint64_t seq = 40; seq >= 1; --seq) {
    entries.emplace_back(IKey("k", seq, seq % 3 == 0 ? ValueKind::kDeletion : ValueKind::kValue),
                         "v" + std::to_string(seq));
  }
  Block block;
  ASSERT_TRUE(block.Init(Build(entries, 4)).ok());
  auto it = block.NewIterator();
  for (uint64_t snapshot = 1; snapshot <= 40; ++snapshot) {
    std::string target = "k";
    PutFixed64(&target, (snapshot << 8) | 0xff);
    it->Seek(target);
    ASSERT_TRUE(it->Valid());
    EXPECT_EQ(ParseInternalKey(it->key()).sequence, snapshot);
  }
}

// A block whose restart array says `restarts` (count appended).
std::shared_ptr<const std::string> WithRestarts(std::string entries,
                                                const std::vector<uint32_t>& restarts) {
  for (uint32_t r : restarts) PutFixed32(&entries, r);
  PutFixed32(&entries, static_cast<uint32_t>(restarts.size()));
  return std::make_shared<const std::string>(std::move(entries));
}

// The entry bytes of a well-formed block (without its restart array).
std::string EntryBytes(const Entries& entries, int interval, std::vector<uint32_t>* restarts) {
  auto block = Build(entries, interval);
  Block parsed;
  EXPECT_TRUE(parsed.Init(block).ok());
  restarts->clear();
  for (uint32_t i = 0; i < parsed.num_restarts(); ++i) {
    restarts->push_back(DecodeFixed32(block->data() + parsed.restarts_offset() + 4 * i));
  }
  return block->substr(0, parsed.restarts_offset());
}

TEST(BlockTest, CorruptRestartArraysRejected) {
  std::vector<uint32_t> restarts;
  const std::string entries = EntryBytes(MakeEntries(40), 16, &restarts);
  ASSERT_EQ(restarts.size(), 3u);
  Block block;
  EXPECT_TRUE(block.Init(WithRestarts(entries, restarts)).ok());

  // Too short to hold a count.
  EXPECT_TRUE(block.Init(std::make_shared<const std::string>("abc")).IsCorruption());
  EXPECT_TRUE(block.Init(nullptr).IsCorruption());
  // A count larger than the block.
  {
    std::string bad = entries;
    PutFixed32(&bad, 0xfffffff0u);
    EXPECT_TRUE(block.Init(std::make_shared<const std::string>(bad)).IsCorruption());
  }
  // Entries but no restart point.
  EXPECT_TRUE(block.Init(WithRestarts(entries, {})).IsCorruption());
  // First restart not at 0.
  EXPECT_TRUE(block.Init(WithRestarts(entries, {1, restarts[1], restarts[2]})).IsCorruption());
  // Not ascending.
  EXPECT_TRUE(block.Init(WithRestarts(entries, {0, restarts[2], restarts[1]})).IsCorruption());
  EXPECT_TRUE(block.Init(WithRestarts(entries, {0, restarts[1], restarts[1]})).IsCorruption());
  // Past the entries.
  EXPECT_TRUE(
      block.Init(WithRestarts(entries, {0, restarts[1], static_cast<uint32_t>(entries.size())}))
          .IsCorruption());
  EXPECT_TRUE(block.Init(WithRestarts(entries, {0, restarts[1], 0x7fffffffu})).IsCorruption());
  // An empty entries area may only name offset 0.
  EXPECT_TRUE(block.Init(WithRestarts("", {0})).ok());
  EXPECT_TRUE(block.Init(WithRestarts("", {0, 1})).IsCorruption());
  // A failed Init leaves an empty block.
  auto it = block.NewIterator();
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
}

TEST(BlockTest, RestartInsideARunDetectedOnSeek) {
  // A restart point aimed at an entry that shares a prefix (not a real restart) is caught when
  // a seek lands on it.
  std::vector<uint32_t> restarts;
  const Entries entries = MakeEntries(40);
  const std::string bytes = EntryBytes(entries, 16, &restarts);
  // Offset of the second entry in the interval-16 encoding: find it by decoding the first.
  std::string_view in = bytes;
  uint32_t shared = 0, non_shared = 0, value_len = 0;
  ASSERT_TRUE(GetVarint32(&in, &shared) && GetVarint32(&in, &non_shared) &&
              GetVarint32(&in, &value_len));
  const auto second = static_cast<uint32_t>(bytes.size() - in.size() + non_shared + value_len);
  Block block;
  ASSERT_TRUE(block.Init(WithRestarts(bytes, {0, second})).ok());
  auto it = block.NewIterator();
  it->Seek(entries[30].first);
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
}

TEST(BlockTest, VerifyChecksRestartPointsAndOrder) {
  std::vector<uint32_t> restarts;
  const Entries entries = MakeEntries(40);
  const std::string bytes = EntryBytes(entries, 16, &restarts);
  Block block;
  ASSERT_TRUE(block.Init(WithRestarts(bytes, restarts)).ok());
  EXPECT_TRUE(block.Verify().ok());
  ASSERT_TRUE(block.Init(Build({}, 16)).ok());
  EXPECT_TRUE(block.Verify().ok());

  // A restart point inside an entry, or on an entry that shares a prefix: iteration from the
  // first entry does not notice, Verify does.
  for (const uint32_t bad : {restarts[1] + 1, restarts[1] - 1}) {
    ASSERT_TRUE(block.Init(WithRestarts(bytes, {0, bad, restarts[2]})).ok());
    Status s;
    EXPECT_EQ(ReadAll(block, &s).size(), entries.size());
    EXPECT_TRUE(s.ok());
    EXPECT_TRUE(block.Verify().IsCorruption()) << bad;
  }
  // Keys out of order.
  Entries reversed(entries.rbegin(), entries.rend());
  ASSERT_TRUE(block.Init(Build(reversed, 16)).ok());
  EXPECT_TRUE(block.Verify().IsCorruption());
  // Malformed entries.
  ASSERT_TRUE(block.Init(WithRestarts(bytes.substr(0, bytes.size() - 1), {0})).ok());
  EXPECT_TRUE(block.Verify().IsCorruption());
}

TEST(BlockTest, MalformedEntriesStopTheIterator) {
  std::vector<uint32_t> restarts;
  const Entries entries = MakeEntries(5);
  const std::string bytes = EntryBytes(entries, 16, &restarts);

  // Cut the entries short: the last entry's value runs into the restart array.
  {
    Block block;
    ASSERT_TRUE(block.Init(WithRestarts(bytes.substr(0, bytes.size() - 2), {0})).ok());
    Status s;
    const Entries got = ReadAll(block, &s);
    EXPECT_EQ(got.size(), 4u);
    EXPECT_TRUE(s.IsCorruption());
  }
  // A shared prefix longer than the previous key.
  {
    std::string entry;
    PutVarint32(&entry, 200);
    PutVarint32(&entry, 1);
    PutVarint32(&entry, 0);
    entry += "x";
    Block block;
    ASSERT_TRUE(block.Init(WithRestarts(bytes + entry, {0})).ok());
    Status s;
    EXPECT_EQ(ReadAll(block, &s).size(), 5u);
    EXPECT_TRUE(s.IsCorruption());
  }
  // A key shorter than an internal-key trailer.
  {
    std::string entry;
    PutVarint32(&entry, 0);
    PutVarint32(&entry, 3);
    PutVarint32(&entry, 1);
    entry += "abcv";
    Block block;
    ASSERT_TRUE(block.Init(WithRestarts(entry, {0})).ok());
    Status s;
    EXPECT_TRUE(ReadAll(block, &s).empty());
    EXPECT_TRUE(s.IsCorruption());
    auto it = block.NewIterator();
    it->Seek(IKey("a", 1));
    EXPECT_FALSE(it->Valid());
  }
  // A varint running past the entries.
  {
    Block block;
    ASSERT_TRUE(block.Init(WithRestarts("\x80\x80", {0})).ok());
    Status s;
    EXPECT_TRUE(ReadAll(block, &s).empty());
    EXPECT_TRUE(s.IsCorruption());
  }
}

// Random damage to a valid block: Init and iteration never crash, never loop, and whatever is
// returned is well-formed. (Run under ASan this also proves no out-of-bounds read.)
TEST(BlockTest, RandomDamageIsHandled) {
  const Entries entries = MakeEntries(64);
  const std::string good = *Build(entries, 8);
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bad[rng() % bad.size()] = static_cast<char>(rng() & 0xff);
    }
    if (rng() % 4 == 0) bad.resize(rng() % bad.size());
    Block block;
    if (!block.Init(std::make_shared<const std::string>(bad)).ok()) continue;
    auto it = block.NewIterator();
    size_t steps = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ASSERT_GE(it->key().size(), kInternalKeyTrailerSize);
      ASSERT_LE(++steps, bad.size());
    }
    it->Seek(entries[rng() % entries.size()].first);
    if (it->Valid()) {
      ASSERT_GE(it->key().size(), kInternalKeyTrailerSize);
    }
  }
}

}  // namespace
}  // namespace shale::storage
