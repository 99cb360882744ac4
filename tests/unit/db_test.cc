// Db (db.h) over the POSIX file system, or the fault-injecting one where power loss matters:
// the generic engine API (batches of puts, deletes, group drops and counter changes; Get; the
// merged iterator; atomic groups; the compaction filter), the data directory's layout and its
// checks at open, WAL durability and recovery.
#include "storage/db.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/compaction_filter.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/key_format.h"
#include "storage/shards_file.h"
#include "storage/write_batch.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::MarkerFilter;

using shale::test_util::GroupedKey;
using shale::test_util::LiveKeys;
using shale::test_util::TempDir;

class DbTest : public ::testing::Test {
 protected:
  // A counter the tests keep as a writer keeping a key count would.
  static constexpr uint32_t kKeys = 0;

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

  // One put (or delete) of `key`, with counter kKeys changed by `count_delta` beside it.
  void Put(std::string_view key, std::string_view value, int64_t count_delta = 0) {
    Status s = count_delta == 0 ? test_util::PutKey(*db_, key, value)
                                : test_util::PutKey(*db_, key, value, {{kKeys, count_delta}});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Delete(std::string_view key, int64_t count_delta = 0) {
    Status s = count_delta == 0 ? test_util::DeleteKey(*db_, key)
                                : test_util::DeleteKey(*db_, key, {{kKeys, count_delta}});
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string GetOr(std::string_view key) { return test_util::GetOr(*db_, key); }

  uint64_t WalRecords() { return test_util::SumOverShards(*db_, &ShardStats::wal_records); }

  // `count` keys `prefix`N on as many distinct shards.
  std::vector<std::string> KeysOnDistinctShards(const std::string& prefix, size_t count) {
    std::vector<std::string> keys;
    std::set<int> shards;
    for (int i = 0; keys.size() < count && i < 100000; ++i) {
      std::string key = prefix + std::to_string(i);
      if (shards.insert(db_->ShardOf(key)).second) keys.push_back(std::move(key));
    }
    EXPECT_EQ(keys.size(), count);
    return keys;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  MarkerFilter filter_;  // outlives db_
  Options options_;
  std::unique_ptr<Db> db_;
};

TEST_F(DbTest, OpenCreatesTheDirectoryLayout) {
  Open();
  EXPECT_EQ(db_->shard_count(), 4);
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
  for (int i = 0; i < 50; ++i) Put("k" + std::to_string(i), "v" + std::to_string(i), 1);
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
  EXPECT_EQ(db_->Counter(kKeys), 50);
  EXPECT_EQ(GetOr("k7"), "v7");
  EXPECT_EQ(db_->Stats().recovered_records, 50u);
  EXPECT_TRUE(fs_.FileExists(JoinPath(options_.dir, "shard-001/CURRENT")));
}

// Tables without any manifest cannot be placed: refuse rather than ignore (or delete) them.
TEST_F(DbTest, TableFilesWithoutAManifestAreRefused) {
  options_.shards = 1;
  Open();
  Put("k", "v");
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
  Put("k", "v");
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
  EXPECT_EQ(GetOr("k"), "v");
}

// Writing another count into SHARDS must not make the server create shards and serve nil.
TEST_F(DbTest, ShardsFileThatDisagreesWithTheDirectoryIsRefused) {
  options_.shards = 2;
  Open();
  for (int i = 0; i < 20; ++i) Put("k" + std::to_string(i), "v", 1);
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
  EXPECT_EQ(db_->Counter(kKeys), 20);
}

TEST_F(DbTest, MissingShardsFileWithDataIsRefused) {
  Open();
  Put("k", "v");
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
  std::unique_ptr<Db> db;
  options_.dir.clear();
  EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument);
  options_.dir = JoinPath(dir_.path(), "data");
  for (int shards : {-1, kMaxShards + 1}) {
    options_.shards = shards;
    EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument) << shards;
  }
  options_.shards = 4;
  options_.compaction.min_threshold = 1;
  EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument);
  options_.compaction = CompactionOptions();
  options_.compaction.bucket_low = 0;
  EXPECT_EQ(Db::Open(options_, &db).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(db, nullptr);
}

TEST_F(DbTest, PutGetDeleteAndOverwrite) {
  Open();
  std::string value;
  EXPECT_TRUE(db_->Get("k", &value).IsNotFound());
  Put("k", "v1");
  EXPECT_EQ(GetOr("k"), "v1");
  Put("k", "v2");
  EXPECT_EQ(GetOr("k"), "v2");
  Put("", "empty key");
  Put("x", "no group");
  Put(std::string("bin\0key", 7), std::string("\0\xff\0", 3));
  Put("big", std::string(1 << 20, 'b'));
  Put("emptyvalue", "");
  EXPECT_EQ(GetOr(""), "empty key");
  EXPECT_EQ(GetOr("x"), "no group");
  EXPECT_EQ(GetOr(std::string("bin\0key", 7)), std::string("\0\xff\0", 3));
  EXPECT_EQ(GetOr("big"), std::string(1 << 20, 'b'));
  EXPECT_EQ(GetOr("emptyvalue"), "");
  // Keys are exact: no prefix or extension of a key matches it.
  EXPECT_EQ(GetOr("bi"), "<missing>");
  EXPECT_EQ(GetOr("bigger"), "<missing>");
  Delete("k");
  EXPECT_EQ(GetOr("k"), "<missing>");
  Delete("never written");  // a tombstone of nothing
  EXPECT_EQ(GetOr("never written"), "<missing>");
  Put("k", "back");
  // Db::Put stores the prefix, then the value.
  ASSERT_TRUE(db_->Put("joined", "head:", "tail").ok());
  EXPECT_EQ(GetOr("joined"), "head:tail");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(GetOr("k"), "back");
  EXPECT_EQ(GetOr("big"), std::string(1 << 20, 'b'));
  EXPECT_EQ(GetOr("joined"), "head:tail");
  EXPECT_EQ(GetOr("never written"), "<missing>");
}

// A batch over several shards: every entry in its key's shard, counters summed over the shards.
TEST_F(DbTest, WriteRoutesEveryEntryOfABatch) {
  Open();
  const std::vector<std::string> keys = KeysOnDistinctShards("k", 4);
  Put(keys[3], "old", 1);
  WriteBatch batch;
  for (size_t i = 0; i < 3; ++i) {
    batch.Put(keys[i], "v" + std::to_string(i));
    batch.AddCounter(kKeys, 1);
    batch.AddCounter(9, static_cast<int64_t>(i) - 5);
  }
  batch.Delete(keys[3]);
  batch.AddCounter(kKeys, -1);
  ASSERT_TRUE(db_->Write(batch).ok());
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(GetOr(keys[i]), "v" + std::to_string(i));
  EXPECT_EQ(GetOr(keys[3]), "<missing>");
  EXPECT_EQ(db_->Counter(kKeys), 3);
  EXPECT_EQ(db_->Counter(9), -5 - 4 - 3);
  EXPECT_EQ(db_->Counter(12345), 0);  // never written
  // An empty batch is no write.
  const uint64_t records = WalRecords();
  ASSERT_TRUE(db_->Write(WriteBatch()).ok());
  EXPECT_EQ(WalRecords(), records);
  // A batch the engine cannot read changes nothing.
  WriteBatch bad;
  bad.AddParticipants({{0, 1, 1}});
  EXPECT_TRUE(db_->Write(bad).IsCorruption());
  EXPECT_EQ(WalRecords(), records);
}

// Counters change only with the entries beside them and are recovered exactly: replayed from
// the WAL, read from the manifest after a flush, and both together.
TEST_F(DbTest, CountersAreExactAcrossReopenReplayAndFlush) {
  Open();
  std::map<uint32_t, int64_t> expected;
  auto check = [&](const char* when) {
    for (const auto& [counter, value] : expected) {
      EXPECT_EQ(db_->Counter(counter), value) << "counter " << counter << " " << when;
    }
  };
  std::mt19937 rng(99);
  auto write_some = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const std::string key = "k" + std::to_string(rng() % 500);
      const auto counter = static_cast<uint32_t>(rng() % 4);
      const int64_t delta = static_cast<int64_t>(rng() % 7) - 3;  // negative ones too
      WriteBatch batch;
      if (rng() % 3 == 0) {
        batch.Delete(key);
      } else {
        batch.Put(key, "v");
      }
      batch.AddCounter(counter, delta);
      batch.AddCounter(0x10000 + counter, delta * 1000000000000);
      ASSERT_TRUE(db_->Write(batch).ok());
      expected[counter] += delta;
      expected[0x10000 + counter] += delta * 1000000000000;
    }
  };
  write_some(400);
  check("as written");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  check("replayed");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  check("flushed");
  Open();
  EXPECT_EQ(db_->Stats().recovered_records, 0u);
  check("from the manifest");
  write_some(300);
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  check("from the manifest and the WAL");

  // SetCounter sets every shard's part (it goes to every shard): to 0, the counter is gone.
  WriteBatch reset;
  reset.SetCounter(1, 0);
  reset.SetCounter(0x10001, 0);
  ASSERT_TRUE(db_->Write(reset).ok());
  expected[1] = expected[0x10001] = 0;
  check("reset");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  check("reset, replayed");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  check("reset, from the manifest");
  WriteBatch set;
  set.SetCounter(2, 7);
  ASSERT_TRUE(db_->Write(set).ok());
  expected[2] = 7 * db_->shard_count();
  check("set");
  // A counter brought back to exactly zero by its changes is zero in the manifest too.
  ASSERT_TRUE(test_util::PutKey(*db_, "z", "v", {{20, 5}}).ok());
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  EXPECT_EQ(db_->Counter(20), 5);
  ASSERT_TRUE(test_util::PutKey(*db_, "z", "w", {{20, -5}}).ok());
  expected[20] = 0;
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  check("zeroed, from the manifest");
  ASSERT_TRUE(test_util::PutKey(*db_, "k1", "v", {{1, 5}}).ok());
  expected[1] = 5;
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  check("after the reset");
}

// A group drop makes the group's older entries dead, in every shard, and nothing else.
TEST_F(DbTest, DropGroupHidesOlderEntriesOfThatGroupOnly) {
  Open();
  for (int i = 0; i < 50; ++i) {
    Put(GroupedKey(1, "a" + std::to_string(i)), "g1");
    Put(GroupedKey(2, "a" + std::to_string(i)), "g2");
    Put(GroupedKey(0x0101, "a" + std::to_string(i)), "g257");
  }
  Put(std::string("\0", 1), "no group");  // one byte: no group, though a prefix of group 1's
  Put(std::string("\0\x01", 2), "group 1, empty rest");
  WriteBatch drop;
  drop.DropGroup(1);
  ASSERT_TRUE(db_->Write(drop).ok());
  auto check = [&](const char* when) {
    SCOPED_TRACE(when);
    EXPECT_EQ(GetOr(GroupedKey(1, "a7")), "<missing>");
    EXPECT_EQ(GetOr(std::string("\0\x01", 2)), "<missing>");
    EXPECT_EQ(LiveKeys(*db_, GroupedKey(1, "")), std::vector<std::string>{GroupedKey(1, "after")});
    EXPECT_EQ(GetOr(GroupedKey(2, "a7")), "g2");
    EXPECT_EQ(LiveKeys(*db_, GroupedKey(2, "")).size(), 50u);
    EXPECT_EQ(LiveKeys(*db_, GroupedKey(0x0101, "")).size(), 50u);
    EXPECT_EQ(GetOr(std::string("\0", 1)), "no group");
    EXPECT_EQ(GetOr(GroupedKey(1, "after")), "new");
  };
  Put(GroupedKey(1, "after"), "new");  // written after the drop: live
  check("in the memtable");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  check("replayed");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  check("flushed");
  Open();
  check("from the tables and the manifest");
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  check("compacted");

  // A drop over data already in tables, recorded by a later flush.
  for (int i = 0; i < 30; ++i) Put(GroupedKey(3, "t" + std::to_string(i)), "in a table");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  ASSERT_TRUE(db_->Write(drop).ok());  // group 1 again: raises its cut-off
  WriteBatch drop3;
  drop3.DropGroup(3);
  ASSERT_TRUE(db_->Write(drop3).ok());
  EXPECT_EQ(GetOr(GroupedKey(3, "t3")), "<missing>");
  EXPECT_EQ(GetOr(GroupedKey(1, "after")), "<missing>");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(GetOr(GroupedKey(3, "t3")), "<missing>");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  EXPECT_TRUE(LiveKeys(*db_, GroupedKey(3, "")).empty());
  EXPECT_TRUE(LiveKeys(*db_, GroupedKey(1, "")).empty());
  EXPECT_EQ(LiveKeys(*db_, GroupedKey(2, "")).size(), 50u);

  // Inside one batch, order decides: a put before the drop is dead, one after it lives.
  WriteBatch mixed;
  mixed.Put(GroupedKey(5, "before"), "x");
  mixed.DropGroup(5);
  mixed.Put(GroupedKey(5, "after"), "y");
  ASSERT_TRUE(db_->Write(mixed).ok());
  EXPECT_EQ(GetOr(GroupedKey(5, "before")), "<missing>");
  EXPECT_EQ(GetOr(GroupedKey(5, "after")), "y");
  ASSERT_TRUE(db_->Commit().ok());
  Open();
  EXPECT_EQ(GetOr(GroupedKey(5, "before")), "<missing>");
  EXPECT_EQ(GetOr(GroupedKey(5, "after")), "y");
}

// NewIterator: the live entries of every shard in key order, newest versions only, without
// tombstones or entries of dropped groups, as of the call.
TEST_F(DbTest, NewIteratorMergesShardsInKeyOrder) {
  Open();
  std::map<std::string, std::string> expected;
  std::mt19937 rng(5);
  std::vector<int> order(300);
  for (int i = 0; i < 300; ++i) order[static_cast<size_t>(i)] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (int i : order) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i);
    Put(key, "old");
    expected[key] = "old";
  }
  ASSERT_TRUE(db_->FlushMemTables().ok());  // tables below, memtables above
  for (int i = 0; i < 300; i += 3) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i);
    Put(key, "new");
    expected[key] = "new";
  }
  for (int i = 1; i < 300; i += 10) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i);
    Delete(key);
    expected.erase(key);
  }
  for (int i = 0; i < 20; ++i) Put(GroupedKey(7, std::to_string(i)), "dropped");
  WriteBatch drop;
  drop.DropGroup(7);
  ASSERT_TRUE(db_->Write(drop).ok());
  std::set<int> shards;
  for (const auto& [key, value] : expected) shards.insert(db_->ShardOf(key));
  ASSERT_EQ(shards.size(), 4u);

  std::unique_ptr<Iterator> it;
  ASSERT_TRUE(db_->NewIterator(&it).ok());
  Put("key0000a", "after the iterator");  // not seen: the iterator is as of its creation
  std::vector<std::pair<std::string, std::string>> seen;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    seen.emplace_back(std::string(it->key()), std::string(it->value()));
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(seen, Entries(expected.begin(), expected.end()));
  // Seek takes a plain key: the first live key at or after it.
  it->Seek("key0100");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "key0100");
  it->Seek("key0011");  // deleted: the next one
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "key0012");
  it->Seek("key0298a");
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "key0299");
  EXPECT_EQ(it->value(), "old");
  it->Next();
  EXPECT_FALSE(it->Valid());
  it->Seek("zzz");
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().ok());
  it.reset();
  ASSERT_TRUE(db_->NewIterator(&it).ok());
  it->Seek("key0000");
  ASSERT_TRUE(it->Valid());
  it->Next();
  ASSERT_TRUE(it->Valid());
  EXPECT_EQ(it->key(), "key0000a");  // a new iterator sees it
}

// ReadOptions bound an iterator: upper_bound ends it before the first key at or after the
// bound (deleted keys past it included), shard_key reads only that key's shard.
TEST_F(DbTest, NewIteratorHonoursUpperBoundAndShardKey) {
  Open();
  std::map<std::string, std::string> live;
  for (int i = 0; i < 200; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i);
    Put(key, "v");
    live[key] = "v";
  }
  ASSERT_TRUE(db_->FlushMemTables().ok());
  for (int i = 100; i < 200; ++i) {  // everything after key0100 deleted, in memtables
    char key[16];
    std::snprintf(key, sizeof(key), "key%04d", i);
    Delete(key);
    live.erase(key);
  }
  Put("key0150", "back");
  live["key0150"] = "back";
  const auto collect = [this](const ReadOptions& options, std::string_view from) {
    std::unique_ptr<Iterator> it;
    EXPECT_TRUE(db_->NewIterator(options, &it).ok());
    std::vector<std::string> keys;
    for (it->Seek(from); it->Valid(); it->Next()) keys.emplace_back(it->key());
    EXPECT_TRUE(it->status().ok());
    return keys;
  };
  ReadOptions bounded;
  bounded.upper_bound = "key0150";
  std::vector<std::string> keys = collect(bounded, "key0090");
  ASSERT_EQ(keys.size(), 10u);
  EXPECT_EQ(keys.front(), "key0090");
  EXPECT_EQ(keys.back(), "key0099");
  EXPECT_TRUE(collect(bounded, "key0100").empty()) << "only deleted keys before the bound";
  EXPECT_TRUE(collect(bounded, "key0150").empty()) << "the bound itself is excluded";
  bounded.upper_bound = "key0150a";
  EXPECT_EQ(collect(bounded, "key0100"), std::vector<std::string>{"key0150"});
  // One shard: exactly the live keys that route to it, in order.
  for (const std::string shard_key : {"key0000", "key0001", "key0002", "key0003"}) {
    ReadOptions one;
    one.shard_key = shard_key;
    std::vector<std::string> expected;
    for (const auto& [key, value] : live) {
      if (db_->ShardOf(key) == db_->ShardOf(shard_key)) expected.push_back(key);
    }
    EXPECT_EQ(collect(one, ""), expected) << shard_key;
    EXPECT_LT(expected.size(), live.size());
  }
}

// Between BeginAtomic and EndAtomic every write is applied at once and each shard logs what it
// got as one WAL record at the end.
TEST_F(DbTest, AtomicGroupsAreVisibleAtOnceAndOneRecordPerShard) {
  Open();
  const std::vector<std::string> keys = KeysOnDistinctShards("k", 4);
  const std::vector<std::string> two = {keys[0], keys[1]};
  ASSERT_TRUE(db_->Commit().ok());
  const uint64_t before = WalRecords();
  db_->BeginAtomic();
  db_->BeginAtomic();  // nested: one group
  for (const std::string& key : two) {
    WriteBatch batch;
    batch.Put(key, "batch");
    batch.AddCounter(kKeys, 1);
    ASSERT_TRUE(db_->Write(batch).ok());
    EXPECT_EQ(GetOr(key), "batch");
  }
  ASSERT_TRUE(db_->Put(two[0], "prefix:", "put").ok());
  EXPECT_EQ(GetOr(two[0]), "prefix:put");
  Delete(two[1], -1);
  EXPECT_EQ(GetOr(two[1]), "<missing>");
  EXPECT_EQ(db_->Counter(kKeys), 1);
  ASSERT_TRUE(db_->EndAtomic().ok());
  EXPECT_EQ(WalRecords(), before);  // the outer group is still open
  ASSERT_TRUE(db_->EndAtomic().ok());
  EXPECT_EQ(WalRecords() - before, two.size());  // one per shard touched
  ASSERT_TRUE(db_->EndAtomic().ok());            // unmatched: nothing happens
  // A group that wrote nothing logs nothing.
  db_->BeginAtomic();
  ASSERT_TRUE(db_->EndAtomic().ok());
  EXPECT_EQ(WalRecords() - before, two.size());
  // Outside a group, a batch across four shards is one record per shard too.
  WriteBatch spread;
  for (const std::string& key : keys) spread.Put(key, "spread");
  ASSERT_TRUE(db_->Write(spread).ok());
  EXPECT_EQ(WalRecords() - before, two.size() + keys.size());
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  Open();
  for (const std::string& key : keys) EXPECT_EQ(GetOr(key), "spread");
  EXPECT_EQ(db_->Counter(kKeys), 1);
}

// The compaction filter: a value it drops is gone after the flush or compaction that asked,
// and an older value of the key in an older table never comes back (a tombstone takes its
// place when a table outside may hold the key).
TEST_F(DbTest, CompactionFilterDropsValuesAndOlderVersionsStayHidden) {
  options_.shards = 1;
  options_.compaction.min_threshold = 32;  // only CompactAll merges
  // Not owned by the options: filter_ outlives db_.
  options_.compaction_filter =
      std::shared_ptr<const storage::CompactionFilter>(std::shared_ptr<void>(), &filter_);
  Open();
  // Flush: dropped; nothing older anywhere, so no tombstone either.
  Put("a", "drop:1");
  Put("b", "keep");
  Put("t", "x");
  Delete("t");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(GetOr("a"), "<missing>");
  EXPECT_EQ(GetOr("b"), "keep");
  const std::vector<std::string> asked = filter_.asked();
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "a"), 1);
  EXPECT_EQ(std::count(asked.begin(), asked.end(), "t"), 0);  // never asked about tombstones
  // Flush over an older table holding the key: the tombstone rule.
  Put("c", "old");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Put("c", "drop:new");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(GetOr("c"), "<missing>");
  Open();
  EXPECT_EQ(GetOr("a"), "<missing>");
  EXPECT_EQ(GetOr("c"), "<missing>");
  EXPECT_EQ(GetOr("b"), "keep");

  // Compaction: values the filter kept at their flush and drops now.
  filter_.set_active(false);
  Put("e", "old");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Put("e", "drop:new");
  Put("f", "drop:f");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(GetOr("e"), "drop:new");
  EXPECT_EQ(GetOr("f"), "drop:f");
  filter_.set_active(true);
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_EQ(db_->Stats().shards[0].tables, 1u);
  EXPECT_EQ(GetOr("e"), "<missing>");
  EXPECT_EQ(GetOr("f"), "<missing>");
  EXPECT_EQ(GetOr("c"), "<missing>");
  EXPECT_EQ(GetOr("b"), "keep");
  EXPECT_EQ(LiveKeys(*db_), std::vector<std::string>{"b"});
  Open();
  EXPECT_EQ(GetOr("e"), "<missing>");
  EXPECT_EQ(GetOr("c"), "<missing>");
  EXPECT_EQ(LiveKeys(*db_), std::vector<std::string>{"b"});

  // A changed value replaces the old one in the new table, and stays changed after a reopen.
  Put("g", "shrink:a long value the filter shortens");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(GetOr("g"), "shrunk");
  Open();
  EXPECT_EQ(GetOr("g"), "shrunk");
  EXPECT_EQ(LiveKeys(*db_), (std::vector<std::string>{"b", "g"}));
}

TEST_F(DbTest, CommittedWritesSurvivePowerLossUnderAlways) {
  Open();
  for (int i = 0; i < 200; ++i) {
    Put("k" + std::to_string(i), "v" + std::to_string(i), /*count_delta=*/1);
    if (i % 10 == 9) {
      ASSERT_TRUE(db_->Commit().ok());
    }
  }
  WriteBatch deletes;
  for (const char* key : {"k0", "k2"}) {
    deletes.Delete(key);
    deletes.AddCounter(kKeys, -1);
  }
  ASSERT_TRUE(db_->Write(deletes).ok());
  ASSERT_TRUE(db_->Commit().ok());
  // Not committed: may or may not survive, but never half a batch (its keys on two shards).
  const std::vector<std::string> uncommitted = KeysOnDistinctShards("u", 2);
  WriteBatch batch;
  for (const std::string& key : uncommitted) {
    batch.Put(key, "x");
    batch.AddCounter(kKeys, 1);
  }
  ASSERT_TRUE(db_->Write(batch).ok());
  Crash();
  Open();
  for (int i = 0; i < 200; ++i) {
    const std::string expected = (i == 0 || i == 2) ? "<missing>" : "v" + std::to_string(i);
    EXPECT_EQ(GetOr("k" + std::to_string(i)), expected) << i;
  }
  const bool first = GetOr(uncommitted[0]) == "x";
  EXPECT_EQ(GetOr(uncommitted[1]) == "x", first);
  EXPECT_EQ(db_->Counter(kKeys), first ? 200 : 198);
}

TEST_F(DbTest, GroupCommitSharesOneFsyncPerShard) {
  Open();
  const uint64_t before = db_->Stats().fsyncs;
  std::set<int> shards;
  for (int i = 0; i < 100; ++i) {
    const std::string key = "key" + std::to_string(i);
    Put(key, "v");
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
  Put("one", "v");
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_EQ(db_->Stats().fsyncs, stats.fsyncs + 1);
}

TEST_F(DbTest, EverySecSyncsInMaintenance) {
  options_.fsync = FsyncPolicy::kEverySec;
  Open();
  Put("synced", "v");
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 0u);
  ASSERT_TRUE(db_->RunMaintenance().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  ASSERT_TRUE(db_->RunMaintenance().ok());  // nothing new
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  Put("written only", "v");
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr("synced"), "v");
  EXPECT_EQ(GetOr("written only"), "<missing>");  // everysec: within the last second
}

TEST_F(DbTest, PolicyNoNeverSyncsButSyncAllDoes) {
  options_.fsync = FsyncPolicy::kNo;
  Open();
  Put("a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->RunMaintenance().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 0u);
  ASSERT_TRUE(db_->SyncAll().ok());
  EXPECT_EQ(db_->Stats().fsyncs, 1u);
  Put("b", "2");
  db_->set_fsync_policy(FsyncPolicy::kAlways);
  EXPECT_EQ(db_->fsync_policy(), FsyncPolicy::kAlways);
  ASSERT_TRUE(db_->Commit().ok());
  Crash();
  Open();
  EXPECT_EQ(GetOr("a"), "1");
  EXPECT_EQ(GetOr("b"), "2");
}

TEST_F(DbTest, CloseSyncsEverything) {
  options_.fsync = FsyncPolicy::kNo;
  Open();
  Put("a", "1");  // not even committed
  db_.reset();
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  Open();
  EXPECT_EQ(GetOr("a"), "1");
}

TEST_F(DbTest, ReplaySkipsRecordsWrittenTwice) {
  options_.shards = 1;
  Open();
  Put("a", "1", /*count_delta=*/1);
  Put("b", "2", /*count_delta=*/1);
  Delete("a", /*count_delta=*/-1);
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  // The same records again in a later file: neither their entries nor their counter changes
  // apply twice.
  const std::string shard_dir = JoinPath(options_.dir, "shard-000");
  std::string contents;
  ASSERT_TRUE(ReadFileToString(&fs_, JoinPath(shard_dir, "000001.log"), &contents).ok());
  ASSERT_TRUE(WriteFileAtomically(&fs_, JoinPath(shard_dir, "000009.log"), contents).ok());
  Open();
  EXPECT_EQ(db_->Counter(kKeys), 1);
  EXPECT_EQ(GetOr("a"), "<missing>");
  EXPECT_EQ(GetOr("b"), "2");
  EXPECT_EQ(db_->Stats().shards[0].last_sequence, 6u);  // three writes of two entries each
}

TEST_F(DbTest, TornTailIsCutAtOpenAndAbsoluteConsistencyRefusesIt) {
  options_.shards = 1;
  Open();
  Put("a", "1");
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
  EXPECT_EQ(GetOr("a"), "1");
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
  Put("a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  Put("b", "2");
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
  EXPECT_EQ(GetOr("a"), "1");
  EXPECT_EQ(GetOr("b"), "<missing>");
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
    Put("a", "1");
    Put("b", "2");
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
    EXPECT_EQ(GetOr("b"), "<missing>");
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
  Put("a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();  // 000001.log is replayed and kept; writes go to a new file
  Put("b", "2");
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
  EXPECT_EQ(GetOr("a"), "<missing>");
  EXPECT_EQ(GetOr("b"), "2");
}

// A manifest cut back to an earlier edit forgets a table; the WAL after it then starts past a
// gap. The refusal names the manifest as well as the WAL: either may be the damaged file.
TEST_F(DbTest, ManifestCutBeforeATableEditIsRefusedNamingTheManifest) {
  options_.shards = 1;
  Open();
  const std::string manifest = JoinPath(options_.dir, "shard-000/MANIFEST-000002");
  uint64_t snapshot_size = 0;
  ASSERT_TRUE(fs_.GetFileSize(manifest, &snapshot_size).ok());
  Put("a", "1");
  ASSERT_TRUE(db_->FlushMemTables().ok());  // "a" is in a table the manifest's next edit adds
  Put("b", "2");
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
  for (int i = 0; i < 200; ++i) Put("pad", std::to_string(i % 10));
  ASSERT_TRUE(db_->FlushMemTables().ok());
  const std::string value(50, 'x');
  for (char prefix : {'a', 'b'}) {
    for (int i = 0; i < 100; ++i) Put(prefix + std::to_string(10000 + i), value);
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
  Status s = db_->Get("a10005", &got);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString() << " " << got;
  EXPECT_NE(s.message().find(tables[1]), std::string::npos) << s.ToString() << " " << got;
  EXPECT_EQ(GetOr("b10005"), value);
  EXPECT_EQ(GetOr("pad"), "9");
}

// What a crash leaves is not a loss: a fresh, empty WAL after a rotation or an open.
TEST_F(DbTest, CrashWithAnEmptyFreshWalStartsNormally) {
  options_.shards = 1;
  options_.memtable_size = 1;  // every commit rotates the WAL
  Open();
  Put("a", "1");
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();
  Crash();  // right after the open: its WAL holds the header at most
  Open();
  EXPECT_EQ(GetOr("a"), "1");
  Put("b", "2");
  ASSERT_TRUE(db_->Commit().ok());  // rotates
  Crash();
  Open();
  EXPECT_EQ(GetOr("a"), "1");
  EXPECT_EQ(GetOr("b"), "2");
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  db_.reset();
  options_.wal_recovery_mode = WalRecoveryMode::kAbsoluteConsistency;
  Open();
  EXPECT_EQ(GetOr("b"), "2");
}

TEST_F(DbTest, StatsReflectTheShards) {
  Open();
  Put("a", "1");
  Put("b", "2");
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
    Put("k" + std::to_string(i % 300), std::to_string(i));
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
  EXPECT_EQ(test_util::LiveKeys(*db_).size(), 300u);
  EXPECT_EQ(GetOr("k299"), "1799");
}

TEST_F(DbTest, BackgroundThreadStartsAndStops) {
  options_.fsync = FsyncPolicy::kEverySec;
  options_.background_maintenance = true;
  options_.fs = nullptr;  // the POSIX file system
  Open();
  for (int i = 0; i < 100; ++i) Put("k" + std::to_string(i), "v", /*count_delta=*/1);
  ASSERT_TRUE(db_->Commit().ok());
  db_.reset();
  Open();
  EXPECT_EQ(db_->Counter(kKeys), 100);
  EXPECT_EQ(test_util::LiveKeys(*db_).size(), 100u);
}

}  // namespace
}  // namespace shale::storage
