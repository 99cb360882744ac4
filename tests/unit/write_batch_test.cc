#include "storage/write_batch.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/key_format.h"

namespace shale::storage {
namespace {

std::string Key(uint16_t db, std::string_view user_key) {
  std::string k;
  MakeStorageKey(db, user_key, &k);
  return k;
}

// Prints every entry as text.
class Recorder : public WriteBatch::Handler {
 public:
  void Put(uint64_t seq, std::string_view key, std::string_view value, bool is_new) override {
    log.push_back(std::to_string(seq) + (is_new ? " putnew " : " putover ") +
                  std::to_string(StorageKeyDb(key)) + ":" + std::string(StorageKeyUserKey(key)) +
                  "=" + std::string(value));
  }
  void Delete(uint64_t seq, std::string_view key) override {
    log.push_back(std::to_string(seq) + " del " + std::to_string(StorageKeyDb(key)) + ":" +
                  std::string(StorageKeyUserKey(key)));
  }
  void FlushDb(uint64_t seq, uint32_t db) override {
    log.push_back(std::to_string(seq) + " flushdb " + std::to_string(db));
  }
  std::vector<std::string> log;
};

TEST(WriteBatchTest, EmptyBatch) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.count(), 0u);
  EXPECT_EQ(batch.payload().size(), WriteBatch::kHeaderSize);
  Recorder r;
  EXPECT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  EXPECT_TRUE(r.log.empty());
}

TEST(WriteBatchTest, RoundTripEveryOp) {
  WriteBatch batch;
  batch.set_sequence(100);
  batch.PutNew(Key(0, "a"), "1");
  batch.PutOverwrite(Key(3, "b"), "");
  batch.DeleteExisting(Key(0, "c"));
  batch.FlushDb(7);
  batch.PutNew(Key(65535, std::string(300, 'k')), std::string(70000, 'v'));
  EXPECT_EQ(batch.count(), 5u);
  EXPECT_EQ(batch.sequence(), 100u);

  uint64_t seq = 0;
  uint32_t count = 0;
  ASSERT_TRUE(WriteBatch::ReadHeader(batch.payload(), &seq, &count).ok());
  EXPECT_EQ(seq, 100u);
  EXPECT_EQ(count, 5u);

  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  ASSERT_EQ(r.log.size(), 5u);
  EXPECT_EQ(r.log[0], "100 putnew 0:a=1");
  EXPECT_EQ(r.log[1], "101 putover 3:b=");
  EXPECT_EQ(r.log[2], "102 del 0:c");
  EXPECT_EQ(r.log[3], "103 flushdb 7");
  EXPECT_EQ(r.log[4], "104 putnew 65535:" + std::string(300, 'k') + "=" + std::string(70000, 'v'));
}

TEST(WriteBatchTest, SinglePutEncodesLikeABatch) {
  const std::string key = std::string("\0\3", 2) + "user:1";
  const std::string value(70000, 'v');  // a value length needing a 3-byte varint
  for (BatchOp op : {BatchOp::kPutNew, BatchOp::kPutOverwrite}) {
    WriteBatch batch;
    batch.set_sequence(77);
    const std::string stored = std::string(1, '\0') + value;
    if (op == BatchOp::kPutNew) {
      batch.PutNew(key, stored);
    } else {
      batch.PutOverwrite(key, stored);
    }
    std::string direct = "prefix";
    WriteBatch::AppendSinglePut(77, op, key, std::string_view("\0", 1), value, &direct);
    EXPECT_EQ(direct.substr(6), batch.payload());
  }
}

TEST(WriteBatchTest, ByteLayout) {
  WriteBatch batch;
  batch.set_sequence(0x0102);
  batch.PutNew(Key(0, "k"), "v");
  batch.FlushDb(2);
  const std::string expected(
      "\x02\x01\0\0\0\0\0\0"  // sequence
      "\x02\0\0\0"            // count
      "\x01\x03\0\0k\x01v"    // put new: key "\0\0k", value "v"
      "\x04\x02",             // flushdb 2
      8 + 4 + 7 + 2);
  EXPECT_EQ(batch.payload(), expected);
}

TEST(WriteBatchTest, ClearKeepsWorking) {
  WriteBatch batch;
  batch.PutNew(Key(0, "a"), "1");
  batch.Clear();
  EXPECT_TRUE(batch.empty());
  batch.set_sequence(5);
  batch.DeleteExisting(Key(1, "x"));
  Recorder r;
  ASSERT_TRUE(WriteBatch::Iterate(batch.payload(), &r).ok());
  ASSERT_EQ(r.log.size(), 1u);
  EXPECT_EQ(r.log[0], "5 del 1:x");
}

TEST(WriteBatchTest, MalformedBatchesAreRejectedBeforeAnyEntry) {
  WriteBatch batch;
  batch.set_sequence(1);
  batch.PutNew(Key(0, "a"), "1");
  batch.PutNew(Key(0, "b"), "2");
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
  more[8] = 3;
  Recorder r2;
  EXPECT_TRUE(WriteBatch::Iterate(more, &r2).IsCorruption());
  EXPECT_TRUE(r2.log.empty());
  // Unknown op in the second entry.
  std::string bad_op = good;
  bad_op[WriteBatch::kHeaderSize + 7] = 9;
  Recorder r3;
  EXPECT_TRUE(WriteBatch::Iterate(bad_op, &r3).IsCorruption());
  EXPECT_TRUE(r3.log.empty());
  // A key shorter than the database prefix.
  WriteBatch short_key;
  short_key.PutNew("x", "1");
  EXPECT_TRUE(WriteBatch::Iterate(short_key.payload(), nullptr).IsCorruption());
  // A database index beyond u16.
  WriteBatch big_db;
  big_db.FlushDb(70000);
  EXPECT_TRUE(WriteBatch::Iterate(big_db.payload(), nullptr).IsCorruption());
}

}  // namespace
}  // namespace shale::storage
