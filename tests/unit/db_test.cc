// Db (db.h) over the POSIX file system, or the fault-injecting one where power loss matters.
#include "storage/db.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

class DbTest : public ::testing::Test {
 protected:
  DbTest() {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 4;
    options_.fsync = FsyncPolicy::kAlways;
    options_.background_maintenance = false;
    options_.fs = &fs_;
  }

  void Open() {
    db_.reset();
    Status s = Db::Open(options_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // Power loss: nothing more reaches the disk, the process goes away, unsynced data is lost.
  void Crash() {
    fs_.SimulateCrashAfter(0);
    db_.reset();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  }

  void Put(int db, std::string_view key, std::string_view value) {
    bool applied = false;
    Status s = db_->Set(db, key, value, SetCondition::kAlways, &applied);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(applied);
  }

  std::string GetOr(int db, std::string_view key, std::string missing = "<missing>") {
    std::string value;
    Status s = db_->Get(db, key, &value);
    if (s.IsNotFound()) return missing;
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }

  std::vector<std::string> ScanAll(int db, std::string_view prefix, size_t limit) {
    std::vector<std::string> keys;
    std::string after;
    bool done = false;
    for (int guard = 0; !done && guard < 100000; ++guard) {
      std::vector<std::string> batch;
      Status s = db_->Scan(db, after, prefix, limit, &batch, &done);
      EXPECT_TRUE(s.ok()) << s.ToString();
      EXPECT_LE(batch.size(), limit);
      if (!batch.empty()) after = batch.back();
      keys.insert(keys.end(), batch.begin(), batch.end());
    }
    EXPECT_TRUE(done);
    return keys;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  Options options_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, OpenCreatesTheDirectoryLayout) {
  Open();
  EXPECT_EQ(db_->shard_count(), 4);
  EXPECT_EQ(db_->database_count(), 16);
  std::string shards;
  ASSERT_TRUE(ReadFileToString(&fs_, JoinPath(options_.dir, "SHARDS"), &shards).ok());
  EXPECT_EQ(shards.substr(0, 24), "shale-shards 1\nshards 4\n");
  for (const char* name : {"LOCK", "shard-000", "shard-003"}) {
    EXPECT_TRUE(fs_.FileExists(JoinPath(options_.dir, name))) << name;
  }
  EXPECT_TRUE(fs_.FileExists(JoinPath(options_.dir, "shard-000/000001.log")));
  // The manifest: started right after the first WAL file.
  std::string current;
  ASSERT_TRUE(ReadFileToString(&fs_, JoinPath(options_.dir, "shard-000/CURRENT"), &current).ok());
  EXPECT_EQ(current, "MANIFEST-000002\n");
  EXPECT_TRUE(fs_.FileExists(JoinPath(options_.dir, "shard-000/MANIFEST-000002")));
}

// A data directory whose shards hold WAL files only (no CURRENT, no manifest, as written before
// shards had tables) opens with every record replayed, and gets its manifest.
TEST_F(DbTest, OpensShardsWithoutAManifest) {
  options_.shards = 2;
  Open();
  for (int i = 0; i < 50; ++i) Put(0, "k" + std::to_string(i), "v" + std::to_string(i));
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  for (const char* shard : {"shard-000", "shard-001"}) {
    const std::string dir = JoinPath(options_.dir, shard);
    std::vector<std::string> names;
    ASSERT_TRUE(fs_.GetChildren(dir, &names).ok());
    for (const std::string& name : names) {
      if (name == "CURRENT" || name.rfind("MANIFEST-", 0) == 0) {
        ASSERT_TRUE(fs_.RemoveFile(JoinPath(dir, name)).ok());
      }
    }
  }
  Open();
  EXPECT_EQ(db_->KeyCount(0), 50u);
  EXPECT_EQ(GetOr(0, "k7"), "v7");
  EXPECT_EQ(db_->Stats().recovered_records, 50u);
  EXPECT_TRUE(fs_.FileExists(JoinPath(options_.dir, "shard-001/CURRENT")));
}

// Tables without any manifest cannot be placed: refuse rather than ignore (or delete) them.
TEST_F(DbTest, TableFilesWithoutAManifestAreRefused) {
  options_.shards = 1;
  Open();
  Put(0, "k", "v");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  db_.reset();
  const std::string dir = JoinPath(options_.dir, "shard-000");
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren(dir, &names).ok());
  for (const std::string& name : names) {
    if (name == "CURRENT" || name.rfind("MANIFEST-", 0) == 0) {
      ASSERT_TRUE(fs_.RemoveFile(JoinPath(dir, name)).ok());
    }
  }
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("no manifest"), std::string::npos) << s.message();
}

TEST_F(DbTest, SecondOpenOfTheSameDirectoryFails) {
  Open();
  std::unique_ptr<Db> second;
  Status s = Db::Open(options_, &second);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("LOCK"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("another shale-server"), std::string::npos) << s.message();
}

TEST_F(DbTest, ShardCountIsFixedByTheDirectory) {
  Open();
  Put(0, "k", "v");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();

  options_.shards = 8;
  std::unique_ptr<Db> other;
  Status s = Db::Open(options_, &other);
  ASSERT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("created with 4 shards"), std::string::npos) << s.message();

  options_.shards = 0;  // use the directory's count
  Open();
  EXPECT_EQ(db_->shard_count(), 4);
  EXPECT_EQ(GetOr(0, "k"), "v");
}

// Writing another count into SHARDS must not make the server create shards and serve nil.
TEST_F(DbTest, ShardsFileThatDisagreesWithTheDirectoryIsRefused) {
  options_.shards = 2;
  Open();
  for (int i = 0; i < 20; ++i) Put(0, "k" + std::to_string(i), "v");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  const std::string shards_path = JoinPath(options_.dir, "SHARDS");
  std::string original;
  ASSERT_TRUE(ReadFileToString(&fs_, shards_path, &original).ok());
  options_.shards = 0;
  for (const char* edited : {"9\n", "1\n", "3\n"}) {
    ASSERT_TRUE(WriteFileAtomically(&fs_, shards_path, edited).ok());
    std::unique_ptr<Db> db;
    Status s = Db::Open(options_, &db);
    ASSERT_TRUE(s.IsCorruption()) << edited << ": " << s.ToString();
    EXPECT_NE(s.message().find(shards_path), std::string::npos) << s.message();
    EXPECT_FALSE(fs_.FileExists(JoinPath(options_.dir, "shard-002"))) << edited;
  }
  // The count edited without its checksum.
  std::string flipped = original;
  flipped[flipped.find("shards 2") + 7] = '3';
  ASSERT_TRUE(WriteFileAtomically(&fs_, shards_path, flipped).ok());
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("checksum"), std::string::npos) << s.message();
  // A third shard directory made up to match a changed count: the manifests know better.
  ASSERT_TRUE(fs_.CreateDir(JoinPath(options_.dir, "shard-002")).ok());
  ASSERT_TRUE(WriteFileAtomically(&fs_, shards_path, "3\n").ok());
  s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("records a data directory of 2 shards"), std::string::npos)
      << s.message();
  // The old count-only format with the right count still opens (once the made-up directory is
  // gone: the refused open gave it a manifest of its own).
  std::filesystem::remove_all(JoinPath(options_.dir, "shard-002"));
  ASSERT_TRUE(WriteFileAtomically(&fs_, shards_path, "2\n").ok());
  Open();
  EXPECT_EQ(db_->shard_count(), 2);
  EXPECT_EQ(db_->KeyCount(0), 20u);
}

TEST_F(DbTest, MissingShardsFileWithDataIsRefused) {
  Open();
  Put(0, "k", "v");
  db_.reset();
  ASSERT_TRUE(fs_.RemoveFile(JoinPath(options_.dir, "SHARDS")).ok());
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("SHARDS is missing"), std::string::npos) << s.message();
}

TEST_F(DbTest, DefaultShardCountIsAtLeastOne) {
  options_.shards = 0;
  Open();
  EXPECT_GE(db_->shard_count(), 1);
}

TEST_F(DbTest, InvalidArguments) {
  options_.databases = 0;
  std::unique_ptr<Db> db;
  EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument);
  options_.databases = 16;
  options_.dir.clear();
  EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument);
  options_.dir = JoinPath(dir_.path(), "data");
  Open();
  std::string value;
  EXPECT_EQ(db_->Get(16, "k", &value).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(db_->Get(-1, "k", &value).code(), Status::Code::kInvalidArgument);
  bool applied = true;
  EXPECT_EQ(db_->Set(16, "k", "v", SetCondition::kAlways, &applied).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(db_->FlushDb(99).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(db_->KeyCount(99), 0u);
}

TEST_F(DbTest, GetSetAndOverwrite) {
  Open();
  std::string value;
  EXPECT_TRUE(db_->Get(0, "k", &value).IsNotFound());
  Put(0, "k", "v1");
  EXPECT_EQ(GetOr(0, "k"), "v1");
  Put(0, "k", "v2");
  EXPECT_EQ(GetOr(0, "k"), "v2");
  EXPECT_EQ(db_->KeyCount(0), 1u);
  Put(0, "", "empty key");
  Put(0, std::string("bin\0key", 7), std::string("\0\xff\0", 3));
  Put(0, "big", std::string(1 << 20, 'b'));
  Put(0, "emptyvalue", "");
  EXPECT_EQ(GetOr(0, ""), "empty key");
  EXPECT_EQ(GetOr(0, std::string("bin\0key", 7)), std::string("\0\xff\0", 3));
  EXPECT_EQ(GetOr(0, "big"), std::string(1 << 20, 'b'));
  EXPECT_EQ(GetOr(0, "emptyvalue"), "");
  EXPECT_EQ(db_->KeyCount(0), 5u);
}

TEST_F(DbTest, SetConditionsAndGet) {
  Open();
  bool applied = false;
  std::string old;
  bool had_old = true;
  // NX on an absent key.
  ASSERT_TRUE(db_->Set(0, "k", "1", SetCondition::kIfAbsent, &applied, &old, &had_old).ok());
  EXPECT_TRUE(applied);
  EXPECT_FALSE(had_old);
  // NX on a present key: not applied, GET still returns the value.
  ASSERT_TRUE(db_->Set(0, "k", "2", SetCondition::kIfAbsent, &applied, &old, &had_old).ok());
  EXPECT_FALSE(applied);
  EXPECT_TRUE(had_old);
  EXPECT_EQ(old, "1");
  EXPECT_EQ(GetOr(0, "k"), "1");
  // XX on an absent key.
  ASSERT_TRUE(db_->Set(0, "x", "1", SetCondition::kIfPresent, &applied, &old, &had_old).ok());
  EXPECT_FALSE(applied);
  EXPECT_FALSE(had_old);
  EXPECT_EQ(GetOr(0, "x"), "<missing>");
  // XX on a present key, with GET.
  ASSERT_TRUE(db_->Set(0, "k", "3", SetCondition::kIfPresent, &applied, &old, &had_old).ok());
  EXPECT_TRUE(applied);
  EXPECT_TRUE(had_old);
  EXPECT_EQ(old, "1");
  EXPECT_EQ(GetOr(0, "k"), "3");
  // Plain SET with GET.
  ASSERT_TRUE(db_->Set(0, "k", "4", SetCondition::kAlways, &applied, &old, &had_old).ok());
  EXPECT_TRUE(applied);
  EXPECT_EQ(old, "3");
  EXPECT_EQ(db_->KeyCount(0), 1u);
  // A deleted key counts as absent.
  int64_t removed = 0;
  ASSERT_TRUE(db_->Delete(0, {"k"}, &removed).ok());
  ASSERT_TRUE(db_->Set(0, "k", "5", SetCondition::kIfPresent, &applied).ok());
  EXPECT_FALSE(applied);
  ASSERT_TRUE(db_->Set(0, "k", "5", SetCondition::kIfAbsent, &applied, &old, &had_old).ok());
  EXPECT_TRUE(applied);
  EXPECT_FALSE(had_old);
}

TEST_F(DbTest, MultiSetDuplicatesAndCounts) {
  Open();
  Put(0, "existing", "old");
  std::vector<KeyValue> pairs = {{"a", "1"},          {"b", "2"},      {"a", "3"},
                                 {"existing", "new"}, {"{tag}x", "4"}, {"{tag}y", "5"}};
  ASSERT_TRUE(db_->MultiSet(0, pairs).ok());
  EXPECT_EQ(GetOr(0, "a"), "3");
  EXPECT_EQ(GetOr(0, "b"), "2");
  EXPECT_EQ(GetOr(0, "existing"), "new");
  EXPECT_EQ(db_->KeyCount(0), 5u);
  ASSERT_TRUE(db_->MultiSet(0, {}).ok());
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(GetOr(0, "a"), "3");
  EXPECT_EQ(db_->KeyCount(0), 5u);
}

TEST_F(DbTest, DeleteCountsEachExistingKeyOnce) {
  Open();
  Put(0, "a", "1");
  Put(0, "b", "2");
  Put(1, "a", "other db");
  int64_t removed = -1;
  ASSERT_TRUE(db_->Delete(0, {"a", "a", "missing", "b"}, &removed).ok());
  EXPECT_EQ(removed, 2);
  EXPECT_EQ(GetOr(0, "a"), "<missing>");
  EXPECT_EQ(GetOr(1, "a"), "other db");
  EXPECT_EQ(db_->KeyCount(0), 0u);
  EXPECT_EQ(db_->KeyCount(1), 1u);
  ASSERT_TRUE(db_->Delete(0, {"a"}, &removed).ok());
  EXPECT_EQ(removed, 0);
  ASSERT_TRUE(db_->Delete(0, {}, &removed).ok());
  EXPECT_EQ(removed, 0);
}

TEST_F(DbTest, ExistsCountsRepeatedKeys) {
  Open();
  Put(0, "a", "1");
  Put(0, "b", "1");
  int64_t count = -1;
  ASSERT_TRUE(db_->Exists(0, {"a", "a", "b", "missing"}, &count).ok());
  EXPECT_EQ(count, 3);
  ASSERT_TRUE(db_->Exists(1, {"a"}, &count).ok());
  EXPECT_EQ(count, 0);
}

TEST_F(DbTest, FlushDbIsolatesDatabasesAndPersists) {
  Open();
  for (int i = 0; i < 50; ++i) {
    Put(0, "k" + std::to_string(i), "db0");
    Put(1, "k" + std::to_string(i), "db1");
  }
  ASSERT_TRUE(db_->FlushDb(0).ok());
  EXPECT_EQ(db_->KeyCount(0), 0u);
  EXPECT_EQ(db_->KeyCount(1), 50u);
  EXPECT_EQ(GetOr(0, "k1"), "<missing>");
  EXPECT_EQ(GetOr(1, "k1"), "db1");
  EXPECT_TRUE(ScanAll(0, "", 10).empty());
  EXPECT_EQ(ScanAll(1, "", 10).size(), 50u);
  // Writes after the flush live.
  Put(0, "k1", "after");
  Put(0, "new", "after");
  EXPECT_EQ(db_->KeyCount(0), 2u);
  ASSERT_TRUE(db_->Commit().ok());

  Open();
  EXPECT_EQ(GetOr(0, "k1"), "after");
  EXPECT_EQ(GetOr(0, "k2"), "<missing>");
  EXPECT_EQ(GetOr(1, "k2"), "db1");
  EXPECT_EQ(db_->KeyCount(0), 2u);
  EXPECT_EQ(db_->KeyCount(1), 50u);
  EXPECT_EQ(ScanAll(0, "", 10), (std::vector<std::string>{"k1", "new"}));

  ASSERT_TRUE(db_->FlushAll().ok());
  EXPECT_EQ(db_->KeyCount(0), 0u);
  EXPECT_EQ(db_->KeyCount(1), 0u);
  Put(2, "x", "y");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(db_->KeyCount(0), 0u);
  EXPECT_EQ(db_->KeyCount(1), 0u);
  EXPECT_EQ(db_->KeyCount(2), 1u);
  EXPECT_EQ(GetOr(1, "k3"), "<missing>");
  EXPECT_EQ(GetOr(2, "x"), "y");
}

TEST_F(DbTest, KeyCountsAreExactAfterReopen) {
  Open();
  std::mt19937 rng(42);
  std::map<std::pair<int, std::string>, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    const int db = static_cast<int>(rng() % 3);
    const std::string key = "key" + std::to_string(rng() % 400);
    switch (rng() % 10) {
      case 0: {
        int64_t removed = 0;
        ASSERT_TRUE(db_->Delete(db, {key}, &removed).ok());
        EXPECT_EQ(removed, model.erase({db, key}) ? 1 : 0);
        break;
      }
      case 1:
        if (rng() % 20 == 0) {
          ASSERT_TRUE(db_->FlushDb(db).ok());
          std::erase_if(model, [db](const auto& e) { return e.first.first == db; });
        }
        break;
      default: {
        const std::string value = "v" + std::to_string(i);
        Put(db, key, value);
        model[{db, key}] = value;
      }
    }
    if (i % 100 == 0) {
      ASSERT_TRUE(db_->Commit().ok());
    }
  }
  ASSERT_TRUE(db_->Commit().ok());
  auto check = [&] {
    for (int db = 0; db < 3; ++db) {
      uint64_t expected = 0;
      for (const auto& [k, v] : model) expected += k.first == db ? 1 : 0;
      EXPECT_EQ(db_->KeyCount(db), expected) << db;
      EXPECT_EQ(ScanAll(db, "", 37).size(), expected) << db;
    }
    for (const auto& [k, v] : model) EXPECT_EQ(GetOr(k.first, k.second), v);
  };
  check();
  Open();
  check();
  Open();  // a second reopen replays the older files plus an empty one
  check();
}

TEST_F(DbTest, ScanReturnsEveryKeyOnceInOrder) {
  Open();
  std::set<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string key = (i % 3 == 0 ? "user:" : "item:") + std::to_string(i);
    Put(0, key, "v");
    expected.insert(key);
  }
  Put(1, "user:other-db", "v");
  // Deleted keys are not returned.
  int64_t removed = 0;
  ASSERT_TRUE(db_->Delete(0, {"item:1", "user:0"}, &removed).ok());
  expected.erase("item:1");
  expected.erase("user:0");
  for (size_t limit : {1u, 7u, 100u, 1000u}) {
    std::vector<std::string> keys = ScanAll(0, "", limit);
    EXPECT_EQ(keys, std::vector<std::string>(expected.begin(), expected.end())) << limit;
  }
  std::vector<std::string> users;
  for (const std::string& k : expected) {
    if (k.rfind("user:", 0) == 0) users.push_back(k);
  }
  EXPECT_EQ(ScanAll(0, "user:", 9), users);
  EXPECT_TRUE(ScanAll(0, "nomatch", 9).empty());

  // done is reported with the last batch when the keys fit exactly.
  std::vector<std::string> batch;
  bool done = false;
  ASSERT_TRUE(db_->Scan(0, "", "", expected.size(), &batch, &done).ok());
  EXPECT_EQ(batch.size(), expected.size());
  EXPECT_TRUE(done);
  batch.clear();
  ASSERT_TRUE(db_->Scan(0, "", "", expected.size() - 1, &batch, &done).ok());
  EXPECT_FALSE(done);
  // An `after` between keys, and one past everything.
  batch.clear();
  ASSERT_TRUE(db_->Scan(0, "user:9", "user:", 100, &batch, &done).ok());
  EXPECT_TRUE(done);
  for (const std::string& k : batch) EXPECT_GT(k, "user:9");
  batch.clear();
  ASSERT_TRUE(db_->Scan(0, "zzz", "", 100, &batch, &done).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(done);
}

TEST_F(DbTest, ScanWithWritesBetweenCalls) {
  Open();
  std::set<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    std::string key = "s" + std::to_string(i);
    Put(0, key, "v");
    stable.insert(key);
  }
  std::vector<std::string> seen;
  std::string after;
  bool done = false;
  int round = 0;
  while (!done) {
    std::vector<std::string> batch;
    ASSERT_TRUE(db_->Scan(0, after, "", 11, &batch, &done).ok());
    if (!batch.empty()) after = batch.back();
    seen.insert(seen.end(), batch.begin(), batch.end());
    // Churn: add keys before and after the cursor, overwrite stable keys, delete new ones.
    ++round;
    Put(0, "n" + std::to_string(round), "new");
    Put(0, "t" + std::to_string(round), "new");
    Put(0, "s" + std::to_string(round % 300), "overwritten");
    int64_t removed = 0;
    ASSERT_TRUE(db_->Delete(0, {"n" + std::to_string(round - 1)}, &removed).ok());
  }
  std::map<std::string, int> times;
  for (const std::string& k : seen) ++times[k];
  for (const std::string& k : stable) EXPECT_EQ(times[k], 1) << k;
  for (const auto& [k, n] : times) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(DbTest, CommittedWritesSurvivePowerLossUnderAlways) {
  Open();
  for (int i = 0; i < 200; ++i) {
    Put(i % 2, "k" + std::to_string(i), "v" + std::to_string(i));
    if (i % 10 == 9) {
      ASSERT_TRUE(db_->Commit().ok());
    }
  }
  int64_t removed = 0;
  ASSERT_TRUE(db_->Delete(0, {"k0", "k2"}, &removed).ok());
  ASSERT_TRUE(db_->Commit().ok());
  // Not committed: may or may not survive, but never half a batch.
  ASSERT_TRUE(db_->MultiSet(1, {{"u1", "x"}, {"u2", "y"}}).ok());
  Crash();
  Open();
  for (int i = 0; i < 200; ++i) {
    const std::string expected = (i == 0 || i == 2) ? "<missing>" : "v" + std::to_string(i);
    EXPECT_EQ(GetOr(i % 2, "k" + std::to_string(i)), expected) << i;
  }
  EXPECT_EQ(db_->KeyCount(0), 98u);
  EXPECT_EQ(db_->KeyCount(1), 100u);
}

TEST_F(DbTest, GroupCommitSharesOneFsyncPerShard) {
  Open();
  const uint64_t before = db_->Stats().fsyncs;
  std::set<int> shards;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key" + std::to_string(i);
    Put(0, key, "v");
    shards.insert(db_->ShardOf(key));
  }
  ASSERT_TRUE(db_->Commit().ok());
  DbStats stats = db_->Stats();
  EXPECT_EQ(stats.fsyncs - before, shards.size());
  EXPECT_EQ(stats.commits, 1u);
  uint64_t records = 0;
  for (const ShardStats& s : stats.shards) records += s.wal_records;
  EXPECT_EQ(records, 100u);
  // Nothing to write: no fsync, no commit counted.
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_EQ(db_->Stats().fsyncs, stats.fsyncs);
  EXPECT_EQ(db_->Stats().commits, 1u);
  // One write: one fsync.
  Put(0, "one", "v");
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_EQ(db_->Stats().fsyncs, stats.fsyncs + 1);
}

TEST_F(DbTest, EverySecSyncsInMaintenance) {
  options_.fsync = FsyncPolicy::kEverySec;
  Open();
  Put(0, "synced", "v");
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 0u);
  ASSERT_TRUE(db_->RunMaintenance().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  ASSERT_TRUE(db_->RunMaintenance().ok());  // nothing new
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  Put(0, "written only", "v");
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr(0, "synced"), "v");
  EXPECT_EQ(GetOr(0, "written only"), "<missing>");  // everysec: within the last second
}

TEST_F(DbTest, PolicyNoNeverSyncsButSyncAllDoes) {
  options_.fsync = FsyncPolicy::kNo;
  Open();
  Put(0, "a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->RunMaintenance().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 0u);
  ASSERT_TRUE(db_->SyncAll().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  Put(0, "b", "2");
  db_->set_fsync_policy(FsyncPolicy::kAlways);
  EXPECT_EQ(db_->fsync_policy(), FsyncPolicy::kAlways);
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
  EXPECT_EQ(GetOr(0, "b"), "2");
}

TEST_F(DbTest, CloseSyncsEverything) {
  options_.fsync = FsyncPolicy::kNo;
  Open();
  Put(0, "a", "1");  // not even committed
  db_.reset();
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
}

TEST_F(DbTest, ReplaySkipsRecordsWrittenTwice) {
  options_.shards = 1;
  Open();
  Put(0, "a", "1");
  Put(0, "b", "2");
  int64_t removed = 0;
  ASSERT_TRUE(db_->Delete(0, {"a"}, &removed).ok());
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  // The same records again in a later file.
  const std::string shard_dir = JoinPath(options_.dir, "shard-000");
  std::string contents;
  ASSERT_TRUE(ReadFileToString(&fs_, JoinPath(shard_dir, "000001.log"), &contents).ok());
  ASSERT_TRUE(WriteFileAtomically(&fs_, JoinPath(shard_dir, "000009.log"), contents).ok());
  Open();
  EXPECT_EQ(db_->KeyCount(0), 1u);
  EXPECT_EQ(GetOr(0, "a"), "<missing>");
  EXPECT_EQ(GetOr(0, "b"), "2");
  EXPECT_EQ(db_->Stats().shards[0].last_sequence, 3u);
}

TEST_F(DbTest, TornTailIsCutAtOpenAndAbsoluteConsistencyRefusesIt) {
  options_.shards = 1;
  Open();
  Put(0, "a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  const std::string wal = JoinPath(options_.dir, "shard-000/000001.log");
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(wal, &size).ok());
  {
    // Half a record at the end, as a crash during an append leaves it.
    std::string contents;
    ASSERT_TRUE(ReadFileToString(&fs_, wal, &contents).ok());
    contents += std::string("\x20\0\0\0\x01\x02", 6);
    ASSERT_TRUE(WriteFileAtomically(&fs_, wal, contents).ok());
  }
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(wal), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("offset " + std::to_string(size)), std::string::npos);

  options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
  EXPECT_EQ(db_->Stats().recovery_truncated_bytes, 6u);
  EXPECT_EQ(db_->Stats().recovered_records, 1u);
  uint64_t after = 0;
  ASSERT_TRUE(fs_.GetFileSize(wal, &after).ok());
  EXPECT_EQ(after, size);
}

// A torn write shortens the last record; a complete last record with a flipped byte is damage:
// refused by default (as RocksDB's kTolerateCorruptedTailRecords does), cut by point-in-time.
TEST_F(DbTest, FlippedByteInTheLastWalRecordIsRefusedNotCutAsATornTail) {
  options_.shards = 1;
  Open();
  Put(0, "a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  Put(0, "b", "2");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  const std::string wal = JoinPath(options_.dir, "shard-000/000001.log");
  std::string contents;
  ASSERT_TRUE(ReadFileToString(&fs_, wal, &contents).ok());
  contents.back() ^= 0x04;  // inside the value of "b"
  ASSERT_TRUE(WriteFileAtomically(&fs_, wal, contents).ok());

  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(wal), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not a torn write"), std::string::npos) << s.message();
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(wal, &size).ok());
  EXPECT_EQ(size, contents.size());  // nothing cut

  options_.wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
  EXPECT_EQ(GetOr(0, "b"), "<missing>");
}

// After a clean shutdown the manifest knows which WAL files hold acknowledged writes: one that
// is removed or emptied stops start-up (naming it) unless the recovery mode accepts the loss.
TEST_F(DbTest, RemovedOrEmptiedWalAfterACleanShutdownIsRefused) {
  options_.shards = 1;
  std::string wal;
  std::string contents;
  struct Damage {
    const char* what;
    std::function<void()> apply;
  };
  const std::vector<Damage> damages = {
      {"removed", [&] { ASSERT_TRUE(fs_.RemoveFile(wal).ok()); }},
      {"emptied", [&] { ASSERT_TRUE(fs_.Truncate(wal, 0).ok()); }},
      {"header only", [&] { ASSERT_TRUE(fs_.Truncate(wal, 33).ok()); }},
      {"cut in a record", [&] { ASSERT_TRUE(fs_.Truncate(wal, contents.size() - 5).ok()); }},
  };
  for (const Damage& damage : damages) {
    SCOPED_TRACE(damage.what);
    TempDir dir;
    options_.dir = JoinPath(dir.path(), "data");
    options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
    Open();
    Put(0, "a", "1");
    Put(0, "b", "2");
    ASSERT_TRUE(db_->Commit().ok());
    db_.reset();  // a clean shutdown
    wal = JoinPath(options_.dir, "shard-000/000001.log");
    ASSERT_TRUE(ReadFileToString(&fs_, wal, &contents).ok());
    damage.apply();
    for (WalRecoveryMode mode :
         {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency}) {
      options_.wal_recovery_mode = mode;
      std::unique_ptr<Db> db;
      Status s = Db::Open(options_, &db);
      ASSERT_TRUE(s.IsCorruption()) << s.ToString();
      EXPECT_NE(s.message().find(wal), std::string::npos) << s.message();
    }
    // Point-in-time recovery accepts the loss (with a warning), and records what is left.
    options_.wal_recovery_mode = WalRecoveryMode::kPointInTimeRecovery;
    Open();
    EXPECT_EQ(GetOr(0, "b"), "<missing>");
    db_.reset();
    options_.wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
    Open();
    db_.reset();
  }
}

// A WAL emptied while a later WAL holds later writes: the gap in the sequence numbers shows it,
// even without a clean shutdown since.
TEST_F(DbTest, EmptiedWalBeforeALaterOneIsRefused) {
  options_.shards = 1;
  Open();
  Put(0, "a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();  // 000001.log is replayed and kept; writes go to a new file
  Put(0, "b", "2");
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  const std::string wal = JoinPath(options_.dir, "shard-000/000001.log");
  ASSERT_TRUE(fs_.Truncate(wal, 0).ok());
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
  // Skip-any goes on without the missing writes.
  options_.wal_recovery_mode = WalRecoveryMode::kSkipAnyCorruptedRecords;
  Open();
  EXPECT_EQ(GetOr(0, "a"), "<missing>");
  EXPECT_EQ(GetOr(0, "b"), "2");
}

// A manifest cut back to an earlier edit forgets a table; the WAL after it then starts past a
// gap. The refusal names the manifest as well as the WAL: either may be the damaged file.
TEST_F(DbTest, ManifestCutBeforeATableEditIsRefusedNamingTheManifest) {
  options_.shards = 1;
  Open();
  const std::string manifest = JoinPath(options_.dir, "shard-000/MANIFEST-000002");
  uint64_t snapshot_size = 0;
  ASSERT_TRUE(fs_.GetFileSize(manifest, &snapshot_size).ok());
  Put(0, "a", "1");
  ASSERT_TRUE(db_->FlushMemTables().ok());  // "a" is in a table the manifest's next edit adds
  Put(0, "b", "2");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  ASSERT_TRUE(fs_.Truncate(manifest, snapshot_size).ok());
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("MANIFEST-000002"), std::string::npos) << s.message();
}

// A table file replaced by another table of exactly the same size passes the size and footer
// checks; its first read must still see that it is not the table the manifest lists, instead
// of answering from the wrong table (NotFound, or an older value from a table below it).
TEST_F(DbTest, TableReplacedByAnotherOfTheSameSizeIsNotServed) {
  options_.shards = 1;
  options_.table.compression = Compression::kNone;
  Open();
  // Sequences 1..200 go to a first table, so that both tables below have sequences of the same
  // varint length and so the same size.
  for (int i = 0; i < 200; ++i) Put(0, "pad", std::to_string(i % 10));
  ASSERT_TRUE(db_->FlushMemTables().ok());
  const std::string value(50, 'x');
  for (char prefix : {'a', 'b'}) {
    for (int i = 0; i < 100; ++i) Put(0, prefix + std::to_string(10000 + i), value);
    ASSERT_TRUE(db_->FlushMemTables().ok());
  }
  ASSERT_EQ(db_->Stats().shards[0].tables, 3u);
  db_.reset();
  std::vector<std::string> tables;
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren(JoinPath(options_.dir, "shard-000"), &names).ok());
  for (const std::string& name : names) {
    if (name.size() > 4 && name.substr(name.size() - 4) == ".sst") tables.push_back(name);
  }
  std::sort(tables.begin(), tables.end());
  ASSERT_EQ(tables.size(), 3u);
  const std::string a_table = JoinPath(options_.dir, "shard-000/" + tables[1]);
  const std::string b_table = JoinPath(options_.dir, "shard-000/" + tables[2]);
  ASSERT_EQ(std::filesystem::file_size(a_table), std::filesystem::file_size(b_table));
  std::filesystem::copy_file(b_table, a_table, std::filesystem::copy_options::overwrite_existing);

  Open();
  std::string got;
  Status s = db_->Get(0, "a10005", &got);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString() << " " << got;
  EXPECT_NE(s.message().find(tables[1]), std::string::npos) << s.ToString() << " " << got;
  EXPECT_EQ(GetOr(0, "b10005"), value);
  EXPECT_EQ(GetOr(0, "pad"), "9");
}

// What a crash leaves is not a loss: a fresh, empty WAL after a rotation or an open.
TEST_F(DbTest, CrashWithAnEmptyFreshWalStartsNormally) {
  options_.shards = 1;
  options_.memtable_size = 1;  // every commit rotates the WAL
  Open();
  Put(0, "a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();
  Crash();  // right after the open: its WAL holds the header at most
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
  Put(0, "b", "2");
  ASSERT_TRUE(db_->Commit().ok());  // rotates
  Crash();
  Open();
  EXPECT_EQ(GetOr(0, "a"), "1");
  EXPECT_EQ(GetOr(0, "b"), "2");
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  db_.reset();
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  Open();
  EXPECT_EQ(GetOr(0, "b"), "2");
}

TEST_F(DbTest, FewerDatabasesThanTheDataNeedsIsRefused) {
  Open();
  Put(10, "k", "v");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  options_.databases = 4;
  std::unique_ptr<Db> db;
  Status s = Db::Open(options_, &db);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("database 10"), std::string::npos) << s.message();
}

TEST_F(DbTest, StatsReflectTheShards) {
  Open();
  Put(0, "a", "1");
  Put(0, "b", "2");
  ASSERT_TRUE(db_->Commit().ok());
  DbStats stats = db_->Stats();
  ASSERT_EQ(stats.shards.size(), 4u);
  uint64_t entries = 0, records = 0, sequence = 0;
  for (const ShardStats& s : stats.shards) {
    entries += s.memtable_entries;
    records += s.wal_records;
    sequence += s.last_sequence;
    EXPECT_FALSE(s.write_failed);
    EXPECT_TRUE(s.last_error.empty());
    EXPECT_GT(s.wal_bytes, 0u);
  }
  EXPECT_EQ(entries, 2u);
  EXPECT_EQ(records, 2u);
  EXPECT_EQ(sequence, 2u);
  EXPECT_TRUE(db_->WriteState().ok());
}

TEST_F(DbTest, MaintenanceRunsConcurrentlyWithWrites) {
  options_.fsync = FsyncPolicy::kEverySec;
  Open();
  std::atomic<bool> stop{false};
  std::thread maintenance([&] {
    while (!stop.load()) {
      ASSERT_TRUE(db_->RunMaintenance().ok());
    }
  });
  for (int i = 0; i < 2000; ++i) {
    Put(0, "k" + std::to_string(i % 300), std::to_string(i));
    if (i % 7 == 0) {
      ASSERT_TRUE(db_->Commit().ok());
    }
    if (i % 500 == 0) db_->Stats();
  }
  ASSERT_TRUE(db_->Commit().ok());
  stop.store(true);
  maintenance.join();
  ASSERT_TRUE(db_->RunMaintenance().ok());
  Crash();
  Open();
  EXPECT_EQ(db_->KeyCount(0), 300u);
  EXPECT_EQ(GetOr(0, "k299"), "1799");
}

TEST_F(DbTest, BackgroundThreadStartsAndStops) {
  options_.fsync = FsyncPolicy::kEverySec;
  options_.background_maintenance = true;
  options_.fs = nullptr;  // the POSIX file system
  Open();
  for (int i = 0; i < 100; ++i) Put(0, "k" + std::to_string(i), "v");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();
  EXPECT_EQ(db_->KeyCount(0), 100u);
}

}  // namespace
}  // namespace shale::storage
