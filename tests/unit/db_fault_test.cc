// Db under storage faults (through FaultInjectionFileSystem): failed WAL writes and fsyncs,
// a full disk, power loss, and crashes in the middle of RetryFailedWrites.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/key_format.h"
#include "storage/write_batch.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

// The group of a key of at least two bytes (key_format.h).
uint16_t KeyGroupOf(std::string_view key) {
  uint16_t group = 0;
  EXPECT_TRUE(KeyGroup(key, &group));
  return group;
}

// Closes the database when a loop iteration ends, even early, before its directory goes.
struct CloseBefore {
  std::unique_ptr<Db>* db;
  ~CloseBefore() { db->reset(); }
};

class DbFaultTest : public ::testing::Test {
 protected:
  // The key count the tests keep, as a writer keeping one does (write_batch.h).
  static constexpr uint32_t kKeys = 0;

  DbFaultTest() {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 2;
    options_.fsync = FsyncPolicy::kAlways;
    options_.background_maintenance = false;
    options_.fs = &fs_;
  }

  void Open() {
    db_.reset();
    Status s = Db::Open(options_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Crash() {
    fs_.SimulateCrashAfter(0);
    db_.reset();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  }

  // Writes `key`, adding one to counter kKeys in the same batch when it has no value yet.
  Status Put(std::string_view key, std::string_view value) {
    std::string old;
    Status s = db_->Get(key, &old);
    if (!s.ok() && !s.IsNotFound()) return s;
    WriteBatch batch;
    batch.Put(key, value);
    if (s.IsNotFound()) batch.AddCounter(kKeys, 1);
    return db_->Write(batch);
  }

  // Writes `key` and commits; on success remembers it as acknowledged.
  Status PutAndCommit(const std::string& key, const std::string& value) {
    Status s = Put(key, value);
    if (!s.ok()) return s;
    s = db_->Commit();
    if (s.ok()) acknowledged_[key] = value;
    return s;
  }

  std::string GetOr(std::string_view key) { return test_util::GetOr(*db_, key); }

  void ExpectAcknowledgedPresent() {
    for (const auto& [key, value] : acknowledged_) EXPECT_EQ(GetOr(key), value) << key;
  }

  // The key count agrees with what Get sees for every key ever written: each change of it is
  // in the WAL record of its write.
  void ExpectCountsConsistent(const std::vector<std::string>& all_keys) {
    uint64_t present = 0;
    const std::set<std::string> distinct(all_keys.begin(), all_keys.end());
    for (const std::string& key : distinct) present += GetOr(key) != "<missing>" ? 1 : 0;
    EXPECT_EQ(db_->Counter(kKeys), static_cast<int64_t>(present));
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  Options options_;
  std::unique_ptr<Db> db_;
  std::map<std::string, std::string> acknowledged_;
};

TEST_F(DbFaultTest, FailedFsyncUnderAlwaysRefusesWritesUntilRetried) {
  Open();
  ASSERT_TRUE(PutAndCommit("k1", "v1").ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  ASSERT_TRUE(Put("k2", "v2").ok());
  Status commit = db_->Commit();
  ASSERT_EQ(commit.code(), Status::Code::kIOError) << commit.ToString();
  EXPECT_NE(commit.message().find("fsync"), std::string::npos) << commit.message();

  // Writes to the failed shard are refused with the reason; reads go on.
  const int failed_shard = db_->ShardOf("k2");
  Status state = db_->WriteState();
  ASSERT_FALSE(state.ok());
  EXPECT_EQ(state.message(), commit.message());
  Status refused = Put("k2", "again");
  EXPECT_EQ(refused.code(), Status::Code::kIOError);
  EXPECT_EQ(refused.message(), commit.message());
  EXPECT_EQ(GetOr("k1"), "v1");
  EXPECT_EQ(GetOr("k2"), "v2");
  DbStats stats = db_->Stats();
  EXPECT_TRUE(stats.shards[static_cast<size_t>(failed_shard)].write_failed);
  EXPECT_FALSE(stats.shards[static_cast<size_t>(failed_shard)].last_error.empty());
  // A batch for every shard (a group drop, a counter reset) is refused whole.
  WriteBatch everywhere;
  everywhere.DropGroup(KeyGroupOf("k1"));
  everywhere.SetCounter(kKeys, 0);
  EXPECT_TRUE(db_->Write(everywhere).IsIOError());
  EXPECT_EQ(db_->Counter(kKeys), 2);
  EXPECT_EQ(GetOr("k1"), "v1");

  // While the disk is still broken, retrying fails and changes nothing.
  EXPECT_FALSE(db_->RetryFailedWrites().ok());
  EXPECT_FALSE(db_->WriteState().ok());

  fs_.ClearFaults();
  Status retry = db_->RetryFailedWrites();
  ASSERT_TRUE(retry.ok()) << retry.ToString();
  EXPECT_TRUE(db_->WriteState().ok());
  EXPECT_FALSE(db_->Stats().shards[static_cast<size_t>(failed_shard)].write_failed);
  ASSERT_TRUE(PutAndCommit("k3", "v3").ok());

  Crash();
  Open();
  ExpectAcknowledgedPresent();
  // The retry made the unacknowledged k2 durable too.
  EXPECT_EQ(GetOr("k2"), "v2");
  EXPECT_EQ(db_->Counter(kKeys), 3);
}

TEST_F(DbFaultTest, DiskFullOnAppendWithATornWrite) {
  options_.shards = 1;
  Open();
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(PutAndCommit("a" + std::to_string(i), "x").ok());
  fs_.SetDiskFull(true);
  fs_.SetPartialWriteBytes(5);  // the failing write leaves half a record behind
  ASSERT_TRUE(Put("full", "value").ok());
  Status commit = db_->Commit();
  ASSERT_EQ(commit.code(), Status::Code::kNoSpace) << commit.ToString();
  Status refused = Put("refused", "value");
  EXPECT_EQ(refused.code(), Status::Code::kNoSpace);
  EXPECT_TRUE(refused.IsIOError());
  EXPECT_EQ(GetOr("full"), "value");
  EXPECT_EQ(GetOr("a3"), "x");
  EXPECT_EQ(db_->RetryFailedWrites().code(), Status::Code::kNoSpace);

  fs_.ClearFaults();
  ASSERT_TRUE(db_->RetryFailedWrites().ok());
  ASSERT_TRUE(PutAndCommit("after", "1").ok());
  Crash();
  // The abandoned file was cut back to its durable part: even the strictest mode opens.
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  Open();
  ExpectAcknowledgedPresent();
  EXPECT_EQ(GetOr("full"), "value");
  EXPECT_EQ(GetOr("refused"), "<missing>");
  EXPECT_EQ(db_->Counter(kKeys), 22);
}

TEST_F(DbFaultTest, FailedAppendUnderEverySecRecoversInMaintenance) {
  options_.fsync = FsyncPolicy::kEverySec;
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->RunMaintenance().ok());
  fs_.FailNthAppend(1);
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_TRUE(db_->Commit().IsIOError());
  EXPECT_FALSE(db_->WriteState().ok());
  // The fault was one-off: the next maintenance round retries and succeeds.
  ASSERT_TRUE(db_->RunMaintenance().ok());
  EXPECT_TRUE(db_->WriteState().ok());
  ASSERT_TRUE(Put("c", "3").ok());
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->RunMaintenance().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr("a"), "1");
  EXPECT_EQ(GetOr("b"), "2");
  EXPECT_EQ(GetOr("c"), "3");
}

TEST_F(DbFaultTest, FailedBackgroundFsyncKeepsTheRecords) {
  options_.fsync = FsyncPolicy::kEverySec;
  options_.shards = 1;
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Commit().ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  EXPECT_TRUE(db_->RunMaintenance().IsIOError());  // the fsync and the retry fail
  EXPECT_TRUE(Put("b", "2").IsIOError());
  // Commit has nothing of its own to write: the failure is the retry's business.
  EXPECT_TRUE(db_->Commit().ok());
  fs_.ClearFaults();
  ASSERT_TRUE(db_->RunMaintenance().ok());
  ASSERT_TRUE(Put("b", "2").ok());
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->RunMaintenance().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr("a"), "1");
  EXPECT_EQ(GetOr("b"), "2");
}

TEST_F(DbFaultTest, FailedWriteUnderPolicyNo) {
  options_.fsync = FsyncPolicy::kNo;
  Open();
  ASSERT_TRUE(Put("a", "1").ok());
  ASSERT_TRUE(db_->Commit().ok());
  fs_.FailNthAppend(1);
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_TRUE(db_->Commit().IsIOError());
  ASSERT_TRUE(db_->RetryFailedWrites().ok());
  ASSERT_TRUE(db_->SyncAll().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr("a"), "1");  // written before the failure, kept by the retry's cut
  EXPECT_EQ(GetOr("b"), "2");
}

TEST_F(DbFaultTest, MultiKeyWritesAreRefusedWholeWhileAShardIsFailed) {
  Open();
  // Two keys on different shards.
  std::string k0 = "x", k1;
  for (int i = 0; k1.empty(); ++i) {
    std::string candidate = "y" + std::to_string(i);
    if (db_->ShardOf(candidate) != db_->ShardOf(k0)) k1 = candidate;
  }
  fs_.FailNthSync(1, /*sticky=*/true);
  ASSERT_TRUE(Put(k0, "1").ok());
  EXPECT_FALSE(db_->Commit().ok());
  fs_.ClearFaults();
  WriteBatch puts;
  puts.Put(k0, "2");
  puts.Put(k1, "2");
  puts.AddCounter(kKeys, 1);
  EXPECT_FALSE(db_->Write(puts).ok());
  EXPECT_EQ(GetOr(k0), "1");
  EXPECT_EQ(GetOr(k1), "<missing>");
  WriteBatch deletes;
  deletes.Delete(k0);
  deletes.AddCounter(kKeys, -1);
  deletes.Delete(k1);
  EXPECT_FALSE(db_->Write(deletes).ok());
  EXPECT_EQ(GetOr(k0), "1");
  WriteBatch drop;
  drop.DropGroup(0);
  drop.SetCounter(kKeys, 0);
  EXPECT_FALSE(db_->Write(drop).ok());
  EXPECT_EQ(GetOr(k0), "1");
  EXPECT_EQ(db_->Counter(kKeys), 1);
  // The other shard alone still takes writes.
  ASSERT_TRUE(Put(k1, "3").ok());
  EXPECT_EQ(GetOr(k1), "3");
  EXPECT_EQ(db_->Counter(kKeys), 2);
}

TEST_F(DbFaultTest, ClosingWhileFailedLosesNothingAcknowledged) {
  Open();
  ASSERT_TRUE(PutAndCommit("a", "1").ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  ASSERT_TRUE(Put("b", "2").ok());
  EXPECT_FALSE(db_->Commit().ok());
  db_.reset();  // the close cannot persist "b" and says so in the log
  fs_.ClearFaults();
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  Open();
  ExpectAcknowledgedPresent();
  ExpectCountsConsistent({"a", "b"});
}

// A crash between any two file-system steps of RetryFailedWrites loses nothing acknowledged,
// and the database opens cleanly afterwards, with consistent counts.
TEST_F(DbFaultTest, CrashAtEveryStepOfRetryFailedWrites) {
  bool retry_completed = false;
  for (uint64_t steps = 0; !retry_completed && steps < 30; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    CloseBefore close_before_dir_goes{&db_};
    options_.dir = JoinPath(dir.path(), "data");
    acknowledged_.clear();
    Open();
    std::vector<std::string> keys;
    for (int i = 0; i < 10; ++i) {
      keys.push_back("acked" + std::to_string(i));
      ASSERT_TRUE(PutAndCommit(keys.back(), "v").ok());
    }
    fs_.FailNthSync(1, /*sticky=*/true);
    fs_.SetPartialWriteBytes(3);
    for (int i = 0; i < 10; ++i) {
      keys.push_back("pending" + std::to_string(i));
      ASSERT_TRUE(Put(keys.back(), "p").ok());
    }
    ASSERT_FALSE(db_->Commit().ok());
    fs_.ClearFaults();
    fs_.SimulateCrashAfter(steps);
    retry_completed = db_->RetryFailedWrites().ok();
    Crash();
    for (WalRecoveryMode mode :
         {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kPointInTimeRecovery}) {
      options_.wal_recovery_mode = mode;
      Open();
      ExpectAcknowledgedPresent();
      ExpectCountsConsistent(keys);
      // And the database takes writes again.
      ASSERT_TRUE(PutAndCommit("later", "x").ok());
      if (keys.back() != "later") keys.push_back("later");
      db_.reset();
    }
    options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
    if (retry_completed) {
      Open();
      for (int i = 0; i < 10; ++i) EXPECT_EQ(GetOr("pending" + std::to_string(i)), "p");
      db_.reset();
    }
  }
  EXPECT_TRUE(retry_completed);
}

// Power loss at every step of a sequence of writes and commits: what was acknowledged is
// there, counts agree with the data, and the WAL opens cleanly.
TEST_F(DbFaultTest, CrashAtEveryStepOfCommits) {
  bool finished = false;
  for (uint64_t steps = 0; !finished && steps < 60; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    CloseBefore close_before_dir_goes{&db_};
    options_.dir = JoinPath(dir.path(), "data");
    acknowledged_.clear();
    Open();
    fs_.SimulateCrashAfter(steps);
    std::vector<std::string> keys;
    finished = true;
    for (int i = 0; i < 12; ++i) {
      keys.push_back("k" + std::to_string(i % 8));
      Status s = PutAndCommit(keys.back(), "v" + std::to_string(i));
      if (!s.ok()) {
        finished = false;
        break;
      }
    }
    Crash();
    Open();
    ExpectAcknowledgedPresent();
    ExpectCountsConsistent(keys);
    db_.reset();
  }
  EXPECT_TRUE(finished);
}

// The WAL's retained-records protocol across memtable switches: a switch fsyncs the WAL it
// retires; when that fsync fails the shard is failed (no switch happens), the retry rewrites
// the records, and switching and flushing then go on.
TEST_F(DbFaultTest, FailedFsyncAtAMemtableSwitch) {
  options_.shards = 1;
  options_.fsync = FsyncPolicy::kEverySec;  // Commit itself does not fsync: the switch does
  options_.memtable_size = 4 << 10;
  Open();
  int i = 0;
  // Fill the memtable to just below the switch.
  while (db_->Stats().shards[0].memtable_bytes < options_.memtable_size / 2) {
    ASSERT_TRUE(Put("k" + std::to_string(i++), std::string(100, 'v')).ok());
    ASSERT_TRUE(db_->Commit().ok());
  }
  fs_.FailNthSync(1, /*sticky=*/true);
  Status s;
  while (s.ok() && i < 1000) {
    ASSERT_TRUE(Put("k" + std::to_string(i++), std::string(100, 'v')).ok());
    s = db_->Commit();
  }
  ASSERT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("fsync"), std::string::npos) << s.message();
  EXPECT_FALSE(db_->WriteState().ok());
  EXPECT_EQ(db_->Stats().shards[0].immutable_memtables, 0u);  // no switch happened
  EXPECT_EQ(GetOr("k0"), std::string(100, 'v'));
  EXPECT_TRUE(Put("refused", "x").IsIOError());
  fs_.ClearFaults();
  ASSERT_TRUE(db_->RetryFailedWrites().ok());
  for (int j = 0; j < 200; ++j) {
    ASSERT_TRUE(Put("k" + std::to_string(i++), std::string(100, 'v')).ok());
    ASSERT_TRUE(db_->Commit().ok());
  }
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_GT(db_->Stats().shards[0].flushes, 0u);
  ASSERT_TRUE(db_->SyncAll().ok());
  Crash();
  Open();
  EXPECT_EQ(db_->Counter(kKeys), i);
  for (int j = 0; j < i; ++j) ASSERT_EQ(GetOr("k" + std::to_string(j)), std::string(100, 'v')) << j;
  EXPECT_EQ(GetOr("refused"), "<missing>");
}

// Power loss at every step of a sequence of commits during which memtables are switched and
// flushed (each commit waits for the flushes it started, so the steps come in a fixed order):
// what was acknowledged is there, counts agree with the data.
TEST_F(DbFaultTest, CrashAtEveryStepOfCommitsWithFlushes) {
  options_.shards = 1;
  options_.memtable_size = 1;  // every commit switches and flushes
  bool finished = false;
  for (uint64_t steps = 0; !finished && steps < 120; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    CloseBefore close_before_dir_goes{&db_};
    options_.dir = JoinPath(dir.path(), "data");
    acknowledged_.clear();
    Open();
    fs_.SimulateCrashAfter(steps);
    std::vector<std::string> keys;
    std::string unacknowledged;  // the value of a write whose commit failed, if any
    finished = true;
    for (int i = 0; i < 6; ++i) {
      keys.push_back("k" + std::to_string(i % 4));
      const std::string value = "v" + std::to_string(i);
      Status s = PutAndCommit(keys.back(), value);
      if (!s.ok()) unacknowledged = value;
      if (s.ok()) s = db_->WaitForFlushes();
      if (!s.ok()) {
        finished = false;
        break;
      }
    }
    Crash();
    Open();
    // A failed commit may still have made its write durable (the switch fsyncs the retired WAL
    // before it can fail on the new one): that key holds the acknowledged or the newer value.
    for (const auto& [key, value] : acknowledged_) {
      const std::string got = GetOr(key);
      if (!unacknowledged.empty() && key == keys.back()) {
        EXPECT_TRUE(got == value || got == unacknowledged) << key << " = " << got;
      } else {
        EXPECT_EQ(got, value) << key;
      }
    }
    ExpectCountsConsistent(keys);
    db_.reset();
  }
  EXPECT_TRUE(finished);
}

}  // namespace
}  // namespace shale::storage
