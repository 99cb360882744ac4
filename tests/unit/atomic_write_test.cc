// Atomic writes across shards (db.h, Db::Write and Db::BeginAtomic/EndAtomic; protocol in
// db.cc): after a power loss at any point of writing and syncing a multi-shard batch, and at any
// point of the memtable switches and flushes that follow it, either every entry of the batch is
// there or none is, and a batch whose Commit succeeded is all there.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

constexpr int kShards = 4;
// A commit that switches all four memtables, then their flushes, make about 60 file changes.
constexpr uint64_t kSwitchCrashPoints = 80;

class AtomicWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = kShards;
    options_.background_maintenance = false;
    options_.fs = &fs_;
  }

  void Open() {
    db_.reset();
    Status s = Db::Open(options_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // `count` keys named `prefix`N spread so that every shard gets at least one.
  std::vector<std::string> SpreadKeys(const std::string& prefix, size_t count) {
    std::vector<std::string> keys;
    std::set<int> shards;
    for (int i = 0; keys.size() < count; ++i) {
      std::string key = prefix + std::to_string(i);
      const int shard = db_->ShardOf(key);
      if (shards.size() < kShards && shards.count(shard) != 0) continue;
      shards.insert(shard);
      keys.push_back(key);
    }
    return keys;
  }

  // How many of `keys` hold `value`; any other value fails the test.
  size_t Present(const std::vector<std::string>& keys, const std::string& value) {
    size_t present = 0;
    for (const std::string& key : keys) {
      std::string got;
      Status s = db_->Get(key, &got);
      if (s.IsNotFound()) continue;
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_EQ(got, value) << key;
      ++present;
    }
    return present;
  }

  test_util::TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  Options options_;
  std::unique_ptr<Db> db_;
};

// One multi-shard batch, with the power lost after each step of its Commit in turn.
TEST_F(AtomicWriteTest, PowerLossAtEveryStepOfACommitLeavesAllOrNothing) {
  options_.fsync = FsyncPolicy::kAlways;
  uint64_t all = 0, none = 0;
  for (uint64_t crash_after = 0;; ++crash_after) {
    fs_.ClearFaults();
    ASSERT_TRUE(DefaultFileSystem()->CreateDir(options_.dir).ok());
    Open();
    const std::vector<std::string> keys = SpreadKeys("k", 8);
    WriteBatch batch;
    for (const std::string& key : keys) {
      batch.Put(key, "v");
      batch.AddCounter(7, 1);
    }
    fs_.SimulateCrashAfter(crash_after);
    ASSERT_TRUE(db_->Write(batch).ok());
    const bool committed = db_->Commit().ok();
    db_.reset();  // the process is gone; closing writes nothing (the machine is down)
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    fs_.ClearFaults();
    Open();
    const size_t present = Present(keys, "v");
    EXPECT_TRUE(present == 0 || present == keys.size())
        << present << " of " << keys.size() << " after a crash after " << crash_after;
    EXPECT_EQ(db_->Counter(7), static_cast<int64_t>(present));
    if (committed) {
      EXPECT_EQ(present, keys.size()) << "crash after " << crash_after;
    }
    (present == 0 ? none : all)++;
    // The reopened store takes writes again, and a later open still agrees.
    WriteBatch more;
    for (const std::string& key : SpreadKeys("m", 4)) more.Put(key, "w");
    ASSERT_TRUE(db_->Write(more).ok());
    ASSERT_TRUE(db_->Commit().ok());
    Open();
    EXPECT_EQ(Present(keys, "v"), present);
    db_.reset();
    std::filesystem::remove_all(options_.dir);
    if (committed) break;  // every later crash point lies after the commit
  }
  EXPECT_GT(none, 0u);
  EXPECT_GT(all, 0u);
}

// Under appendfsync everysec a full memtable is switched and flushed while the batch's parts in
// other shards are not yet fsynced: the switch makes them durable first, so a table never holds
// a part whose siblings a power loss can take away.
TEST_F(AtomicWriteTest, PowerLossAroundMemtableSwitchesLeavesAllOrNothing) {
  options_.fsync = FsyncPolicy::kEverySec;
  options_.memtable_size = 1;  // every commit switches
  uint64_t rounds = 0;
  for (uint64_t crash_after = 0; crash_after < kSwitchCrashPoints; ++crash_after) {
    fs_.ClearFaults();
    ASSERT_TRUE(DefaultFileSystem()->CreateDir(options_.dir).ok());
    Open();
    const std::vector<std::string> keys = SpreadKeys("k", 8);
    WriteBatch batch;
    for (const std::string& key : keys) batch.Put(key, "v");
    fs_.SimulateCrashAfter(crash_after);
    ASSERT_TRUE(db_->Write(batch).ok());
    (void)db_->Commit();
    (void)db_->WaitForFlushes();
    db_.reset();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    fs_.ClearFaults();
    Open();
    const size_t present = Present(keys, "v");
    EXPECT_TRUE(present == 0 || present == keys.size())
        << present << " of " << keys.size() << " after a crash after " << crash_after;
    db_.reset();
    std::filesystem::remove_all(options_.dir);
    ++rounds;
  }
  EXPECT_EQ(rounds, kSwitchCrashPoints);
}

// Writes between BeginAtomic and EndAtomic are seen at once and logged as one record per shard.
TEST_F(AtomicWriteTest, AtomicGroupIsVisibleAtOnceAndOneRecordPerShard) {
  options_.fsync = FsyncPolicy::kAlways;
  Open();
  const std::vector<std::string> keys = SpreadKeys("k", 8);
  const uint64_t records_before = [&] {
    uint64_t n = 0;
    for (const ShardStats& shard : db_->Stats().shards) n += shard.wal_records;
    return n;
  }();
  db_->BeginAtomic();
  for (const std::string& key : keys) {
    ASSERT_TRUE(db_->Put(key, {}, "a").ok());
    std::string got;
    ASSERT_TRUE(db_->Get(key, &got).ok());
    EXPECT_EQ(got, "a");
  }
  ASSERT_TRUE(db_->EndAtomic().ok());
  uint64_t records_after = 0;
  for (const ShardStats& shard : db_->Stats().shards) records_after += shard.wal_records;
  EXPECT_EQ(records_after - records_before, static_cast<uint64_t>(kShards));
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(Present(keys, "a"), keys.size());
}

}  // namespace
}  // namespace shale::storage
