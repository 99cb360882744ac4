#include "storage/write_batch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
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

// "group:rest" for a grouped key, "raw:key" for one shorter than a group prefix.
std::string Show(std::string_view key) {
  uint16_t group = 0;
  if (!KeyGroup(key, &group)) return "raw:" + std::string(key);
  return std::to_string(group) + ":" + std::string(key.substr(kGroupPrefixSize));
}

// Prints every entry as text.
class Recorder : public WriteBatch::Handler {
 public:
  void Put(uint64_t seq, std::string_view key, std::string_view value) override {
    log.push_back(std::to_string(seq) + " put " + Show(key) + "=" + std::string(value));
  }
  void Delete(uint64_t seq, std::string_view key) override {
    log.push_back(std::to_string(seq) + " del " + Show(key));
  }
  void DropGroup(uint64_t seq, uint16_t group) override {
    log.push_back(std::to_string(seq) + " drop " + std::to_string(group));
  }
  void AddCounter(uint32_t counter, int64_t delta) override {
    log.push_back("add " + std::to_string(counter) + " " + std::to_string(delta));
  }
  void SetCounter(uint32_t counter, int64_t value) override {
    log.push_back("set " + std::to_string(counter) + " " + std::to_string(value));
  }
  void Participants(const std::vector<TxnParticipant>& parts) override {
    std::string line = "parts";
    for (const TxnParticipant& p : parts) {
      line += " " + std::to_string(p.shard) + ":" + std::to_string(p.first_sequence) + "+" +
              std::to_string(p.count);
    }
    log.push_back(line);
  }
  std::vector<std::string> log;
};

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.count(), 0u);
  EXPECT_EQ(batch.user_bytes(), 0u);
  EXPECT_EQ(batch.payload().size(), WriteBatch::kHeaderSize);
  Recorder r;
  EXPECT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  EXPECT_TRUE(r.log.empty());
}

TEST(WriteBatchTest, RoundTripEveryOp) {
  WriteBatch batch;
  batch.set_sequence(100);
  batch.Put(Key(0, "a"), "1");
  batch.AddCounter(0, 1);
  batch.Put(Key(3, "b"), "");
  batch.Put(Key(3, "c"), "head:", "tail");
  batch.Delete(Key(0, "d"));
  batch.AddCounter(7, -1);
  batch.DropGroup(7);
  batch.SetCounter(0x10000, 0);
  batch.Put(Key(65535, std::string(300, 'k')), std::string(70000, 'v'));
  batch.Put("x", "short key");
  EXPECT_EQ(batch.count(), 10u);
  EXPECT_EQ(batch.sequence(), 100u);

  uint64_t seq = 0;
  uint32_t count = 0;
  ASSERT_TRUE(WriteBatch::ReadHeader(batch.payload(), &seq, &count).ok());
  EXPECT_EQ(seq, 100u);
  EXPECT_EQ(count, 10u);

  // Every entry takes a sequence, counters included: entry i has `first + i`.
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  const std::vector<std::string> expected = {
      "100 put 0:a=1",
      "add 0 1",
      "102 put 3:b=",
      "103 put 3:c=head:tail",
      "104 del 0:d",
      "add 7 -1",
      "106 drop 7",
      "set 65536 0",
      "108 put 65535:" + std::string(300, 'k') + "=" + std::string(70000, 'v'),
      "109 put raw:x=short key",
  };
  EXPECT_EQ(r.log, expected);
}

TEST(WriteBatchTest, CountersKeepTheirFullRange) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  WriteBatch batch;
  batch.set_sequence(1);
  batch.Put(Key(0, "k"), "v");
  for (int64_t delta : {int64_t{0}, int64_t{-1}, int64_t{1}, int64_t{-300}, kMin, kMax}) {
    batch.AddCounter(1, delta);
  }
  for (int64_t value : {int64_t{-1}, kMin, kMax}) batch.SetCounter(0xffffffff, value);
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  const std::vector<std::string> expected = {
      "1 put 0:k=v",
      "add 1 0",
      "add 1 -1",
      "add 1 1",
      "add 1 -300",
      "add 1 " + std::to_string(kMin),
      "add 1 " + std::to_string(kMax),
      "set 4294967295 -1",
      "set 4294967295 " + std::to_string(kMin),
      "set 4294967295 " + std::to_string(kMax),
  };
  EXPECT_EQ(r.log, expected);
}

TEST(WriteBatchTest, SinglePutEncodesLikeABatch) {
  const std::string key = Key(3, "user:1");
  const std::string prefix("\0\1", 2);
  const std::string value(70000, 'v');  // a value length needing a 3-byte varint
  const std::vector<CounterDelta> counters = {{0, 1}, {0x8000, -1}, {0x10000, 1700000000}};
  for (size_t n : {size_t{0}, size_t{1}, counters.size()}) {
    WriteBatch batch;
    batch.set_sequence(77);
    batch.Put(key, prefix, value);
    for (size_t i = 0; i < n; ++i) batch.AddCounter(counters[i].counter, counters[i].delta);
    std::string direct = "prefix";
    const uint32_t count =
        WriteBatch::AppendSinglePut(77, key, prefix, value, counters.data(), n, &direct);
    EXPECT_EQ(count, 1 + n);
    EXPECT_EQ(direct.substr(6), batch.payload()) << n;
  }
}

TEST(WriteBatchTest, ByteLayout) {
  WriteBatch batch;
  batch.set_sequence(0x0102);
  batch.Put(Key(0, "k"), "v");
  batch.AddCounter(3, -2);
  batch.Delete(Key(1, "x"));
  batch.DropGroup(0x8001);
  batch.SetCounter(5, 300);
  const std::string expected(
      "\x02\x01\0\0\0\0\0\0"  // sequence
      "\x05\0\0\0"            // count
      "\x05\x03\0\0k\x01v"    // put: key "\0\0k", value "v"
      "\x08\x03\x03"          // add counter 3, zigzag(-2) = 3
      "\x06\x03\0\x01x"       // delete: key "\0\1x"
      "\x07\x81\x80\x02"      // drop group 0x8001 (varint)
      "\x09\x05\xac\x02",     // set counter 5 to 300 (varint)
      8 + 4 + 7 + 3 + 5 + 4 + 4);
  EXPECT_EQ(batch.payload(), expected);
}

TEST(WriteBatchTest, ClearKeepsWorking) {
  WriteBatch batch;
  batch.Put(Key(0, "a"), "1");
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.user_bytes(), 0u);
  batch.set_sequence(5);
  batch.Delete(Key(1, "x"));
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  ASSERT_EQ(r.log.size(), 1u);
  EXPECT_EQ(r.log[0], "5 del 1:x");
}

TEST(WriteBatchTest, AppendJoinsEntriesUnderTheFirstSequence) {
  WriteBatch first;
  first.set_sequence(10);
  first.Put(Key(0, "a"), "1");
  first.AddCounter(0, 1);
  WriteBatch second;
  second.set_sequence(999);  // ignored
  second.Delete(Key(0, "b"));
  second.DropGroup(2);
  first.Append(second);
  EXPECT_EQ(first.count(), 4u);
  EXPECT_EQ(first.sequence(), 10u);
  EXPECT_EQ(first.user_bytes(), 3u + 1u + 3u);
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(first.payload(), &r).ok());
  EXPECT_EQ(r.log,
            (std::vector<std::string>{"10 put 0:a=1", "add 0 1", "12 del 0:b", "13 drop 2"}));
}

TEST(WriteBatchTest, UserBytesCountKeysAndValuesOfPutsAndDeletes) {
  WriteBatch batch;
  batch.Put("key", "value");           // 3 + 5
  batch.Put("k2", "prefix", "value");  // the prefix is the writer's, not the user's: 2 + 5
  batch.Delete("gone");                // 4
  batch.AddCounter(0, 1);
  batch.DropGroup(1);
  batch.SetCounter(1, 1);
  EXPECT_EQ(batch.user_bytes(), 8u + 7u + 4u);
}

TEST(WriteBatchTest, ParticipantsEndAPartOfAnAtomicWrite) {
  WriteBatch batch;
  batch.set_sequence(40);
  batch.Put(Key(0, "a"), "1");
  batch.AddCounter(0, 1);
  batch.AddParticipants({{0, 40, 3}, {3, 7, 2}, {1, uint64_t{1} << 40, 1}});
  EXPECT_EQ(batch.count(), 3u);  // the entry takes a sequence of its own
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  EXPECT_EQ(r.log, (std::vector<std::string>{"40 put 0:a=1", "add 0 1",
                                             "parts 0:40+3 3:7+2 1:1099511627776+1"}));

  WriteBatch layout;
  layout.Delete("k");
  layout.AddParticipants({{0, 1, 2}, {2, 300, 1}});
  const std::string expected(
      "\0\0\0\0\0\0\0\0"
      "\x02\0\0\0"
      "\x06\x01k"
      "\x0a\x02"           // participants, n = 2
      "\x00\x01\x02"       // shard 0, first 1, count 2
      "\x02\xac\x02\x01",  // shard 2, first 300, count 1
      12 + 3 + 2 + 3 + 4);
  EXPECT_EQ(layout.payload(), expected);
}

TEST(WriteBatchTest, MalformedParticipantsAreRejected) {
  // Not the last entry.
  WriteBatch early;
  early.Put("a", "1");
  early.AddParticipants({{0, 1, 3}, {1, 1, 1}});
  early.Put("b", "2");
  Recorder r1;
  EXPECT_TRUE(WriteBatch::Iterate(early.payload(), &r1).IsCorruption());
  EXPECT_TRUE(r1.log.empty());
  // Fewer than two parts: an atomic write of one shard needs no entry.
  WriteBatch alone;
  alone.Put("a", "1");
  alone.AddParticipants({{0, 1, 2}});
  EXPECT_TRUE(WriteBatch::Iterate(alone.payload(), nullptr).IsCorruption());
  // A part of no entries.
  WriteBatch empty_part;
  empty_part.Put("a", "1");
  empty_part.AddParticipants({{0, 1, 2}, {1, 5, 0}});
  EXPECT_TRUE(WriteBatch::Iterate(empty_part.payload(), nullptr).IsCorruption());
}

TEST(WriteBatchTest, MalformedBatchesAreRejectedBeforeAnyEntry) {
  WriteBatch batch;
  batch.set_sequence(1);
  batch.Put(Key(0, "a"), "1");
  batch.AddCounter(0, 1);
  batch.Put(Key(0, "b"), "2");
  const std::string good(batch.payload());

  // Every truncation is rejected, and no entry reaches the handler.
  for (size_t len = 0; len < good.size(); ++len) {
    Recorder r;
    EXPECT_TRUE(WriteBatch::Iterate(good.substr(0, len), &r).IsCorruption()) << len;
    EXPECT_TRUE(r.log.empty()) << len;
  }
  // Trailing bytes.
  Recorder r1;
  EXPECT_TRUE(WriteBatch::Iterate(good + "x", &r1).IsCorruption());
  EXPECT_TRUE(r1.log.empty());
  // Count larger than the entries.
  std::string more = good;
  more[8] = 4;
  Recorder r2;
  EXPECT_TRUE(WriteBatch::Iterate(more, &r2).IsCorruption());
  EXPECT_TRUE(r2.log.empty());
  // An unknown op in the last entry, and the ops of WAL version 1 (1-4), which are not read any
  // more: the put is at offset 7 from its start, the counter entry 3 bytes long.
  const size_t last_entry = WriteBatch::kHeaderSize + 7 + 3;
  ASSERT_EQ(good[last_entry], static_cast<char>(BatchOp::kPut));
  for (char op : {'\0', '\x01', '\x02', '\x03', '\x04', '\x0b', '\xff'}) {
    std::string bad_op = good;
    bad_op[last_entry] = op;
    Recorder r3;
    EXPECT_TRUE(WriteBatch::Iterate(bad_op, &r3).IsCorruption()) << static_cast<int>(op);
    EXPECT_TRUE(r3.log.empty());
  }
  // A group beyond u16 (the API cannot make one; the bytes can).
  WriteBatch drop;
  drop.DropGroup(0xffff);
  std::string big_group(drop.payload());
  big_group.replace(WriteBatch::kHeaderSize + 1, 3, std::string("\x80\x80\x04", 3));  // 65536
  EXPECT_TRUE(WriteBatch::Iterate(big_group, nullptr).IsCorruption());
  // Keys need no group: a key shorter than a group prefix is a valid entry.
  WriteBatch short_key;
  short_key.Put("x", "1");
  short_key.Delete("");
  EXPECT_TRUE(WriteBatch::Iterate(short_key.payload(), nullptr).ok());
}

}  // namespace
}  // namespace shale::storage
