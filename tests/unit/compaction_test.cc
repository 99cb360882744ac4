// Compactions: the merge on its own (compaction_job.h), a shard holding an old version across a
// compaction, and Db with tiny memtables and tables so that flushes and compactions run all the
// time: bounded table counts, dropped tombstones and dead entries, CompactAll, power loss at
// every step of a compaction, and write stalls.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "storage/compaction_job.h"
#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/flush_job.h"
#include "storage/group_cutoffs.h"
#include "storage/key_format.h"
#include "storage/memtable.h"
#include "storage/shard.h"
#include "storage/version_set.h"
#include "storage/write_batch.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::MarkerFilter;

using shale::test_util::GroupedKey;
using shale::test_util::TempDir;

std::string SKey(uint16_t group, std::string_view rest) { return GroupedKey(group, rest); }

std::string Value(int i) { return "value-" + std::to_string(i) + std::string(60, 'x'); }

// --- the merge on its own ---

class CompactionJobTest : public ::testing::Test {
 protected:
  // Writes `mem` as table `number` and returns its handle.
  std::shared_ptr<const TableHandle> MakeTable(const MemTable& mem, uint64_t number) {
    FlushInput input;
    input.mem = &mem;
    input.older_tables_may_hold = [](std::string_view) { return true; };
    FlushOutput output;
    Status s = WriteMemTableToTable(DefaultFileSystem(), dir_.path(), number, TableOptions(),
                                    nullptr, input, &output);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::make_shared<TableHandle>(output.meta, output.table);
  }

  // "group:key@sequence" (with "(del)" for tombstones) of every entry of the output.
  std::vector<std::string> Entries(const CompactionOutput& output) {
    std::vector<std::string> entries;
    if (!output.has_table) return entries;
    std::unique_ptr<Iterator> iter = output.table->NewIterator();
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      const ParsedInternalKey p = ParseInternalKey(iter->key());
      uint16_t group = 0;
      EXPECT_TRUE(KeyGroup(p.storage_key, &group));
      entries.push_back(
          std::to_string(group) + ":" + std::string(p.storage_key.substr(kGroupPrefixSize)) + "@" +
          std::to_string(p.sequence) + (p.kind == ValueKind::kDeletion ? "(del)" : ""));
    }
    EXPECT_TRUE(iter->status().ok());
    return entries;
  }

  TempDir dir_;
};

TEST_F(CompactionJobTest, NewestWinsAndDeadEntriesAndLoneTombstonesGo) {
  MemTable older, newer;
  older.Add(1, ValueKind::kValue, SKey(0, "a"), "a1");
  older.Add(2, ValueKind::kValue, SKey(0, "b"), "b2");
  older.Add(3, ValueKind::kValue, SKey(1, "dead"), "d3");
  older.Add(4, ValueKind::kValue, SKey(0, "c"), "c4");
  newer.Add(10, ValueKind::kValue, SKey(0, "a"), "a10");
  newer.Add(11, ValueKind::kDeletion, SKey(0, "b"), "");
  newer.Add(12, ValueKind::kDeletion, SKey(0, "z"), "");
  newer.Add(13, ValueKind::kValue, SKey(1, "live"), "l13");
  GroupCutoffs cutoffs;
  cutoffs.Set(1, 5);  // group 1 dropped at sequence 5

  CompactionInput input;
  input.tables = {MakeTable(newer, 2), MakeTable(older, 1)};
  input.cutoffs = &cutoffs;
  // Nothing outside the merge: tombstones shadow nothing and go with what they deleted.
  CompactionOutput output;
  ASSERT_TRUE(
      RunCompaction(DefaultFileSystem(), dir_.path(), 3, TableOptions(), nullptr, input, &output)
          .ok());
  EXPECT_EQ(Entries(output), (std::vector<std::string>{"0:a@10", "0:c@4", "1:live@13"}));
  EXPECT_EQ(output.entries_in, 8u);
  EXPECT_EQ(output.dropped_shadowed, 2u);  // a@1, b@2
  EXPECT_EQ(output.dropped_dead, 1u);
  EXPECT_EQ(output.dropped_tombstones, 2u);
  EXPECT_EQ(output.meta.smallest_sequence, 4u);
  EXPECT_EQ(output.meta.largest_sequence, 13u);
  EXPECT_GT(output.bytes_read, 0u);
  EXPECT_EQ(output.bytes_written, output.meta.file_size);

  // A table outside the merge may hold "b": its tombstone stays (and only it).
  input.outside_may_hold = [](std::string_view key) { return key == SKey(0, "b"); };
  ASSERT_TRUE(
      RunCompaction(DefaultFileSystem(), dir_.path(), 4, TableOptions(), nullptr, input, &output)
          .ok());
  EXPECT_EQ(Entries(output),
            (std::vector<std::string>{"0:a@10", "0:b@11(del)", "0:c@4", "1:live@13"}));
}

TEST_F(CompactionJobTest, FilteredValuesBecomeTombstonesOnlyWhereATableOutsideMayHoldThem) {
  MemTable older, newer;
  older.Add(1, ValueKind::kValue, SKey(0, "a"), "a1");
  older.Add(2, ValueKind::kValue, SKey(0, "b"), "drop:b2");
  newer.Add(10, ValueKind::kValue, SKey(0, "a"), "drop:a10");
  newer.Add(11, ValueKind::kValue, SKey(0, "c"), "c11");
  MarkerFilter filter;
  CompactionInput input;
  input.tables = {MakeTable(newer, 2), MakeTable(older, 1)};
  input.filter = &filter;
  // Nothing outside the merge: the filtered values go, and the older "a" with them.
  CompactionOutput output;
  ASSERT_TRUE(
      RunCompaction(DefaultFileSystem(), dir_.path(), 3, TableOptions(), nullptr, input, &output)
          .ok());
  EXPECT_EQ(Entries(output), std::vector<std::string>{"0:c@11"});
  EXPECT_EQ(output.dropped_filtered, 2u);
  EXPECT_EQ(output.dropped_shadowed, 1u);
  // A table outside may hold "a": a tombstone takes the filtered value's place.
  input.outside_may_hold = [](std::string_view key) { return key == SKey(0, "a"); };
  ASSERT_TRUE(
      RunCompaction(DefaultFileSystem(), dir_.path(), 4, TableOptions(), nullptr, input, &output)
          .ok());
  EXPECT_EQ(Entries(output), (std::vector<std::string>{"0:a@10(del)", "0:c@11"}));
  EXPECT_EQ(output.dropped_filtered, 2u);
}

TEST_F(CompactionJobTest, NothingLeftMeansNoTable) {
  MemTable mem;
  mem.Add(1, ValueKind::kValue, SKey(0, "a"), "a1");
  mem.Add(2, ValueKind::kDeletion, SKey(0, "a"), "");
  CompactionInput input;
  input.tables = {MakeTable(mem, 1)};
  CompactionOutput output;
  ASSERT_TRUE(
      RunCompaction(DefaultFileSystem(), dir_.path(), 2, TableOptions(), nullptr, input, &output)
          .ok());
  EXPECT_FALSE(output.has_table);
  EXPECT_FALSE(std::filesystem::exists(JoinPath(dir_.path(), TableFileName(2))));
}

TEST(RateLimiterTest, UnlimitedNeverWaitsAndTheRateCanChange) {
  RateLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) limiter.Request(1 << 20, nullptr);
  limiter.SetRate(1 << 30);
  EXPECT_EQ(limiter.rate(), uint64_t{1} << 30);
  limiter.Request(1000, nullptr);  // within the burst
  std::atomic<bool> cancel{true};
  limiter.SetRate(1);
  limiter.Request(1 << 20, &cancel);  // would take days; cancelled
}

// --- a shard: deferred deletion of compacted tables ---

TEST(ShardCompactionTest, InputFilesGoOnlyWhenNoReaderHoldsThem) {
  TempDir dir;
  ShardOptions options;
  options.fs = DefaultFileSystem();
  options.dir = JoinPath(dir.path(), "shard");
  options.memtable_size = 64 << 20;
  options.compaction.min_threshold = 32;  // compactions only when asked
  std::unique_ptr<Shard> shard;
  WalRecoveryResult recovery;
  ASSERT_TRUE(Shard::Open(options, &shard, &recovery).ok());
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 50; ++i) {
      WriteBatch batch;
      batch.Put("k" + std::to_string(i), Value(t * 100 + i));
      ASSERT_TRUE(shard->Write(&batch).ok());
    }
    ASSERT_TRUE(shard->SwitchMemTable(FsyncPolicy::kAlways).ok());
    ASSERT_TRUE(shard->WaitForFlushes().ok());
  }
  // A reader's view of the tables, held across the compaction (as a Scan holds it).
  std::shared_ptr<const Version> held = shard->CurrentVersion();
  ASSERT_EQ(held->tables.size(), 3u);
  std::vector<std::string> paths;
  for (const auto& handle : held->tables) paths.push_back(handle->path());

  shard->CompactAll();
  ASSERT_TRUE(shard->WaitForFlushes().ok());
  EXPECT_FALSE(shard->CompactionRunning());
  EXPECT_EQ(shard->Stats().compactions, 1u);
  EXPECT_EQ(shard->CurrentVersion()->tables.size(), 1u);
  for (const std::string& path : paths) EXPECT_TRUE(std::filesystem::exists(path)) << path;
  // The held view still reads consistently: the newest version of every key.
  std::unique_ptr<Iterator> live;
  ASSERT_TRUE(shard->NewIterator(&live).ok());
  size_t keys = 0;
  for (live->SeekToFirst(); live->Valid(); live->Next()) ++keys;
  EXPECT_TRUE(live->status().ok());
  live.reset();
  EXPECT_EQ(keys, 50u);
  for (int i = 0; i < 50; ++i) {
    std::string value;
    bool found = false;
    ASSERT_TRUE(shard->Get("k" + std::to_string(i), &value, &found).ok());
    EXPECT_TRUE(found);
    EXPECT_EQ(value, Value(200 + i));
  }
  for (const auto& handle : held->tables) {
    std::shared_ptr<const Table> table;
    ASSERT_TRUE(handle->GetTable(&table).ok());
    std::unique_ptr<Iterator> iter = table->NewIterator();
    size_t n = 0;
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) ++n;
    EXPECT_TRUE(iter->status().ok());
    EXPECT_EQ(n, 50u);
  }
  held.reset();  // the reader is done: the inputs go
  for (const std::string& path : paths) EXPECT_FALSE(std::filesystem::exists(path)) << path;
}

// --- Db with tiny memtables ---

class CompactionDbTest : public ::testing::Test {
 protected:
  CompactionDbTest() {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 2;
    options_.fsync = FsyncPolicy::kAlways;
    options_.background_maintenance = false;
    options_.fs = &fs_;
    options_.memtable_size = 8 << 10;
    options_.table.block_size = 1024;
    options_.compaction.tombstone_compaction_interval_ms = 0;
    options_.compaction.tombstone_threshold = 1.0;  // no lone tombstone rewrites unless asked
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

  // A put of `key` in `group` (the tests' "database"); `count_delta` changes counter `group`
  // beside it, as a writer keeping a key count does.
  void Put(int group, std::string_view key, std::string_view value, int64_t count_delta = 0) {
    WriteBatch batch;
    batch.Put(GroupedKey(static_cast<uint16_t>(group), key), value);
    if (count_delta != 0) batch.AddCounter(static_cast<uint32_t>(group), count_delta);
    Status s = db_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Deletes the keys in one batch, each counted out of `group`'s counter.
  void Delete(int group, const std::vector<std::string>& keys) {
    WriteBatch batch;
    for (const std::string& key : keys) {
      batch.Delete(GroupedKey(static_cast<uint16_t>(group), key));
      batch.AddCounter(static_cast<uint32_t>(group), -1);
    }
    Status s = db_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string GetOr(int group, std::string_view key) {
    return test_util::GetOr(*db_, GroupedKey(static_cast<uint16_t>(group), key));
  }

  int64_t Count(int group) { return db_->Counter(static_cast<uint32_t>(group)); }

  size_t ScanCount(int group) {
    return test_util::LiveKeys(*db_, GroupedKey(static_cast<uint16_t>(group), "")).size();
  }

  uint64_t Sum(uint64_t ShardStats::*field) { return test_util::SumOverShards(*db_, field); }

  std::string ShardDir(int shard) {
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%03d", shard);
    return JoinPath(options_.dir, name);
  }

  // Table files in a shard directory, and files that are neither tables, WALs, manifests nor
  // CURRENT.
  void ListFiles(int shard, std::vector<std::string>* tables, std::vector<std::string>* others) {
    std::vector<std::string> names;
    ASSERT_TRUE(fs_.GetChildren(ShardDir(shard), &names).ok());
    for (const std::string& n : names) {
      uint64_t number = 0;
      if (ParseTableFileName(n, &number)) {
        tables->push_back(n);
      } else if (!(n.size() > 4 && n.substr(n.size() - 4) == ".log") &&
                 !ParseManifestFileName(n, &number) && n != "CURRENT") {
        others->push_back(n);
      }
    }
  }

  // With the workers idle: every shard holds exactly its live tables and nothing stray.
  void ExpectNoStrayFiles() {
    ASSERT_TRUE(db_->WaitForFlushes().ok());
    DbStats stats = db_->Stats();
    for (int i = 0; i < db_->shard_count(); ++i) {
      std::vector<std::string> tables, others;
      ListFiles(i, &tables, &others);
      EXPECT_EQ(tables.size(), stats.shards[static_cast<size_t>(i)].tables) << "shard " << i;
      EXPECT_TRUE(others.empty()) << others.front();
    }
  }

  // Entries (all versions, tombstones included) in the live tables of every shard.
  uint64_t TableEntries() {
    uint64_t n = 0;
    for (int i = 0; i < db_->shard_count(); ++i) {
      std::vector<std::string> tables, others;
      ListFiles(i, &tables, &others);
      for (const std::string& name : tables) {
        const std::string path = JoinPath(ShardDir(i), name);
        uint64_t size = 0;
        EXPECT_TRUE(fs_.GetFileSize(path, &size).ok());
        std::unique_ptr<RandomAccessFile> file;
        EXPECT_TRUE(fs_.NewRandomAccessFile(path, &file).ok());
        std::unique_ptr<Table> table;
        Status s = Table::Open(path, std::move(file), size, nullptr, &table);
        EXPECT_TRUE(s.ok()) << s.ToString();
        if (s.ok()) n += table->properties().num_entries;
      }
    }
    return n;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  Options options_;
  std::unique_ptr<Db> db_;
};

TEST_F(CompactionDbTest, OverwritesKeepTheTableCountBoundedAndReadsRight) {
  Open();
  const int kKeys = 100;
  uint64_t max_tables = 0;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < kKeys; ++i) {
      Put(0, "k" + std::to_string(i), Value(round * 1000 + i), round == 0 ? 1 : 0);
    }
    ASSERT_TRUE(db_->Commit().ok());
    for (int i = 0; i < kKeys; i += 9) {
      ASSERT_EQ(GetOr(0, "k" + std::to_string(i)), Value(round * 1000 + i)) << round << " " << i;
    }
    if (round % 5 == 4) {
      ASSERT_TRUE(db_->WaitForFlushes().ok());
      for (const ShardStats& s : db_->Stats().shards) max_tables = std::max(max_tables, s.tables);
      EXPECT_EQ(ScanCount(0), static_cast<size_t>(kKeys));
    }
  }
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  DbStats stats = db_->Stats();
  EXPECT_GT(Sum(&ShardStats::flushes), 20u);
  EXPECT_GT(Sum(&ShardStats::compactions), 0u);
  EXPECT_GT(Sum(&ShardStats::compaction_bytes_written), 0u);
  EXPECT_LE(Sum(&ShardStats::compaction_bytes_written), Sum(&ShardStats::compaction_bytes_read));
  // All tables are far below min_sstable_size: one bucket, merged whenever it reaches 4.
  EXPECT_LT(max_tables, 4u);
  EXPECT_GT(stats.user_bytes_written, 0u);
  EXPECT_GT(stats.write_amplification, 1.0);
  EXPECT_EQ(Count(0), kKeys);
  ExpectNoStrayFiles();
  Open();
  for (int i = 0; i < kKeys; ++i) ASSERT_EQ(GetOr(0, "k" + std::to_string(i)), Value(29000 + i));
}

TEST_F(CompactionDbTest, DeletesThenCompactionDropTombstonesAndData) {
  options_.compaction.min_threshold = 32;  // only CompactAll merges
  Open();
  for (int i = 0; i < 300; ++i) Put(0, "k" + std::to_string(i), Value(i), 1);
  ASSERT_TRUE(db_->FlushMemTables().ok());
  std::vector<std::string> doomed;
  for (int i = 0; i < 300; ++i) {
    if (i % 10 != 0) doomed.push_back("k" + std::to_string(i));
  }
  ASSERT_EQ(doomed.size(), 270u);
  Delete(0, doomed);
  ASSERT_TRUE(db_->FlushMemTables().ok());
  const uint64_t bytes_before = Sum(&ShardStats::table_bytes);
  EXPECT_EQ(TableEntries(), 300u + 270u);

  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_FALSE(db_->CompactionRunning());
  for (const ShardStats& s : db_->Stats().shards) {
    EXPECT_EQ(s.tables, 1u);
    EXPECT_EQ(s.compactions, 1u);
  }
  EXPECT_EQ(TableEntries(), 30u);  // the tombstones and what they deleted are gone
  EXPECT_LT(Sum(&ShardStats::table_bytes), bytes_before / 3);
  EXPECT_EQ(Count(0), 30);
  EXPECT_EQ(ScanCount(0), 30u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(GetOr(0, "k" + std::to_string(i)), i % 10 == 0 ? Value(i) : "<missing>");
  }
  ExpectNoStrayFiles();
}

TEST_F(CompactionDbTest, TombstoneRewriteMergesTheTablesItShadows) {
  options_.shards = 1;
  options_.compaction.min_threshold = 32;
  options_.compaction.tombstone_threshold = 0.3;
  Open();
  // An older table holding "victim" (and many other keys, so it is not a tombstone candidate).
  for (int i = 0; i < 200; ++i) Put(0, "k" + std::to_string(i), Value(i));
  Put(0, "victim", "old");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  // A small table with mostly tombstones. Its rewrite takes the older table whose range it
  // overlaps, so the tombstones go together with the versions they shadow (the merge itself
  // keeps a tombstone while a table outside it may hold the key: CompactionJobTest).
  Delete(0, {"victim", "k1", "k2"});
  Put(0, "zz", "z");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_EQ(Sum(&ShardStats::compactions), 1u);
  EXPECT_EQ(Sum(&ShardStats::tables), 1u);
  EXPECT_EQ(TableEntries(), 201u - 3u + 1u);  // the deleted keys and their tombstones are gone
  EXPECT_EQ(GetOr(0, "victim"), "<missing>");
  Open();
  EXPECT_EQ(GetOr(0, "victim"), "<missing>");
  EXPECT_EQ(GetOr(0, "k1"), "<missing>");
  EXPECT_EQ(GetOr(0, "k3"), Value(3));
  EXPECT_EQ(GetOr(0, "zz"), "z");
}

TEST_F(CompactionDbTest, EntriesOfADroppedGroupAreDropped) {
  options_.shards = 1;
  options_.compaction.min_threshold = 32;
  Open();
  for (int i = 0; i < 200; ++i) Put(1, "gone" + std::to_string(i), Value(i), 1);
  for (int i = 0; i < 20; ++i) Put(0, "kept" + std::to_string(i), Value(i), 1);
  ASSERT_TRUE(db_->FlushMemTables().ok());
  WriteBatch drop;
  drop.DropGroup(1);
  drop.SetCounter(1, 0);
  ASSERT_TRUE(db_->Write(drop).ok());
  Put(0, "after", "x", 1);  // a later flush records the group's cut-off in the manifest
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(TableEntries(), 221u);
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_EQ(TableEntries(), 21u);
  EXPECT_EQ(Count(1), 0);
  EXPECT_EQ(Count(0), 21);
  EXPECT_EQ(ScanCount(1), 0u);
  EXPECT_EQ(GetOr(1, "gone3"), "<missing>");
  EXPECT_EQ(GetOr(0, "kept3"), Value(3));
  Open();
  EXPECT_EQ(ScanCount(1), 0u);
  EXPECT_EQ(ScanCount(0), 21u);
}

TEST_F(CompactionDbTest, CompactAllMergesEverythingIntoOneTablePerShard) {
  options_.compaction.min_threshold = 32;
  Open();
  for (int t = 0; t < 5; ++t) {
    for (int i = 0; i < 40; ++i) Put(0, "t" + std::to_string(t) + "-" + std::to_string(i), "v");
    ASSERT_TRUE(db_->FlushMemTables().ok());
  }
  for (const ShardStats& s : db_->Stats().shards) EXPECT_EQ(s.tables, 5u);
  for (const ShardStats& s : db_->Stats().shards) {
    EXPECT_EQ(s.tables_per_bucket, (std::vector<uint64_t>{5}));
    EXPECT_EQ(s.pending_compaction_bytes, 0u);  // 5 is below min_threshold
  }
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  for (const ShardStats& s : db_->Stats().shards) {
    EXPECT_EQ(s.tables, 1u);
    EXPECT_EQ(s.tables_per_bucket, (std::vector<uint64_t>{1}));
  }
  EXPECT_EQ(ScanCount(0), 200u);
  ExpectNoStrayFiles();
}

// Closing the store while a compaction runs abandons it: the close does not wait for the merge
// to finish (here it would take minutes at 1 KB/s), the partial output is removed, and the
// inputs stay live with all their data.
TEST_F(CompactionDbTest, ClosingInterruptsARunningCompaction) {
  options_.compaction.min_threshold = 32;
  options_.compaction.throughput_bytes_per_sec = 1024;
  Open();
  const std::string value(100, 'v');
  for (int t = 0; t < 5; ++t) {
    for (int i = 0; i < 200; ++i) Put(0, "t" + std::to_string(t) + "-" + std::to_string(i), value);
    ASSERT_TRUE(db_->FlushMemTables().ok());
  }
  std::vector<uint64_t> before;
  for (const ShardStats& s : db_->Stats().shards) before.push_back(s.tables);
  ASSERT_TRUE(db_->CompactAll().ok());
  // The merge has begun once a shard's output table exists beside its inputs.
  auto output_created = [&] {
    for (int i = 0; i < db_->shard_count(); ++i) {
      std::vector<std::string> tables, others;
      ListFiles(i, &tables, &others);
      if (tables.size() > before[static_cast<size_t>(i)]) return true;
    }
    return false;
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!output_created() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(output_created());
  db_.reset();

  Open();
  std::vector<uint64_t> after;
  for (const ShardStats& s : db_->Stats().shards) after.push_back(s.tables);
  EXPECT_EQ(after, before) << "the compaction ran to its end during the close";
  EXPECT_EQ(Sum(&ShardStats::compactions), 0u);
  EXPECT_EQ(ScanCount(0), 1000u);
  EXPECT_EQ(GetOr(0, "t3-77"), value);
  ExpectNoStrayFiles();
}

// Power loss after every step of a compaction (the output's appends, its fsync, its directory
// entry, the manifest edit, the removal of the inputs): the restarted tree holds all the data,
// either the inputs or the output, and no file it does not list.
TEST_F(CompactionDbTest, CrashAtEveryStepOfACompaction) {
  options_.shards = 1;
  options_.memtable_size = 64 << 20;
  options_.compaction.min_threshold = 32;
  bool completed = false;
  int crashed_before = 0, crashed_after = 0;
  for (uint64_t steps = 0; !completed && steps < 80; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    options_.dir = JoinPath(dir.path(), "data");
    Open();
    std::map<std::string, std::string> expected;
    for (int t = 0; t < 4; ++t) {
      for (int i = 0; i < 30; ++i) {
        const std::string key = "k" + std::to_string(i * 4 + t % 2);
        Put(0, key, Value(t * 100 + i), expected.count(key) ? 0 : 1);
        expected[key] = Value(t * 100 + i);
      }
      const std::string doomed = "k" + std::to_string(t);
      if (expected.erase(doomed) != 0) Delete(0, {doomed});
      ASSERT_TRUE(db_->FlushMemTables().ok());
    }
    ASSERT_EQ(db_->Stats().shards[0].tables, 4u);

    fs_.SimulateCrashAfter(steps);
    ASSERT_TRUE(db_->CompactAll().ok());
    (void)db_->WaitForFlushes();  // fails when the crash stops the compaction: that is the point
    completed = db_->Stats().shards[0].compactions == 1 && db_->Stats().shards[0].tables == 1;
    Crash();

    Open();
    const uint64_t tables = db_->Stats().shards[0].tables;
    EXPECT_TRUE(tables == 1 || tables == 4) << tables;
    (tables == 4 ? crashed_before : crashed_after)++;
    for (const auto& [key, value] : expected) EXPECT_EQ(GetOr(0, key), value) << key;
    for (int t = 0; t < 4; ++t) {
      if (expected.count("k" + std::to_string(t)) == 0) {
        EXPECT_EQ(GetOr(0, "k" + std::to_string(t)), "<missing>");
      }
    }
    EXPECT_EQ(Count(0), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(ScanCount(0), expected.size());
    ExpectNoStrayFiles();
    db_.reset();
  }
  EXPECT_TRUE(completed);
  EXPECT_GE(crashed_before, 3);
  EXPECT_GE(crashed_after, 1);
}

TEST_F(CompactionDbTest, StallCountersMoveWhenFlushesAreBlocked) {
  options_.shards = 1;
  options_.fsync = FsyncPolicy::kNo;  // memtable switches do not fsync: only flushes fail
  options_.compaction.stop_immutable_memtables = 2;
  Open();
  fs_.FailNthSync(1, /*sticky=*/true);
  Put(0, "a", "1");
  EXPECT_FALSE(db_->FlushMemTables().ok());  // the flush fails: one immutable memtable
  EXPECT_EQ(db_->Stats().shards[0].immutable_memtables, 1u);
  Put(0, "b", "2");  // slowed down
  EXPECT_EQ(db_->Stats().shards[0].stall_slowdowns, 1u);
  EXPECT_EQ(db_->Stats().shards[0].stall_stops, 0u);
  EXPECT_FALSE(db_->FlushMemTables().ok());
  EXPECT_EQ(db_->Stats().shards[0].immutable_memtables, 2u);

  std::atomic<bool> written{false};
  std::thread writer([&] {
    EXPECT_TRUE(test_util::PutKey(*db_, GroupedKey(0, "c"), "3").ok());
    written = true;
  });
  while (db_->Stats().shards[0].stall_stops == 0) std::this_thread::yield();
  EXPECT_FALSE(written);  // stopped until the flushes catch up
  fs_.ClearFaults();
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  writer.join();
  EXPECT_TRUE(written);
  const ShardStats stats = db_->Stats().shards[0];
  EXPECT_EQ(stats.stall_stops, 1u);
  EXPECT_GT(stats.stall_micros, 0u);
  EXPECT_EQ(GetOr(0, "a"), "1");
  EXPECT_EQ(GetOr(0, "c"), "3");
}

}  // namespace
}  // namespace shale::storage
