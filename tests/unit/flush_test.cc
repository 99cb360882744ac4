// Flushes: the flush job (flush_job.h) on its own, and Db with a tiny memtable_size so that
// memtables are switched and flushed to tables all the time: reads through memtables and
// tables, exact counters, group drops, restart (manifest + unflushed WAL), iterators during
// flushes, damaged tables, flush failures, and power loss at every step of a flush.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "storage/compaction_filter.h"
#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/flush_job.h"
#include "storage/group_cutoffs.h"
#include "storage/key_format.h"
#include "storage/memtable.h"
#include "storage/version_set.h"
#include "storage/write_batch.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::MarkerFilter;

using shale::test_util::GroupedKey;
using shale::test_util::TempDir;

// "group:rest" of a grouped key.
std::string Show(std::string_view key) {
  uint16_t group = 0;
  if (!KeyGroup(key, &group)) return "raw:" + std::string(key);
  return std::to_string(group) + ":" + std::string(key.substr(kGroupPrefixSize));
}

// --- the flush job ---

struct TableEntry {
  std::string key;  // Show()n
  uint64_t sequence;
  ValueKind kind;
  friend bool operator==(const TableEntry&, const TableEntry&) = default;
};

std::ostream& operator<<(std::ostream& os, const TableEntry& e) {
  return os << e.key << "@" << e.sequence << (e.kind == ValueKind::kDeletion ? "(del)" : "");
}

class FlushJobTest : public ::testing::Test {
 protected:
  FlushJobTest() {
    mem_.Add(1, ValueKind::kValue, GroupedKey(0, "a"), "a1");
    mem_.Add(5, ValueKind::kValue, GroupedKey(0, "a"), "a5");
    mem_.Add(2, ValueKind::kValue, GroupedKey(0, "b"), "b2");
    mem_.Add(6, ValueKind::kDeletion, GroupedKey(0, "b"), "");
    mem_.Add(3, ValueKind::kDeletion, GroupedKey(0, "c"), "");
    mem_.Add(4, ValueKind::kValue, GroupedKey(1, "dead"), "dropped with its group");
    mem_.Add(8, ValueKind::kValue, GroupedKey(1, "live"), "after the drop");
    mem_.Add(7, ValueKind::kValue, GroupedKey(2, "x"), "x7");
    cutoffs_.Set(1, 5);  // group 1 was dropped at sequence 5
  }

  std::vector<TableEntry> Flush(bool older_tables, FlushOutput* output,
                                const CompactionFilter* filter = nullptr) {
    FlushInput input;
    input.mem = &mem_;
    input.cutoffs = &cutoffs_;
    input.filter = filter;
    input.older_tables_may_hold = [older_tables](std::string_view) { return older_tables; };
    Status s = WriteMemTableToTable(DefaultFileSystem(), dir_.path(), ++number_, TableOptions(),
                                    nullptr, input, output);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::vector<TableEntry> entries;
    if (!output->has_table) return entries;
    std::unique_ptr<Iterator> iter = output->table->NewIterator();
    for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
      const ParsedInternalKey p = ParseInternalKey(iter->key());
      entries.push_back({Show(p.storage_key), p.sequence, p.kind});
    }
    EXPECT_TRUE(iter->status().ok());
    return entries;
  }

  TempDir dir_;
  MemTable mem_;
  GroupCutoffs cutoffs_;
  uint64_t number_ = 0;
};

TEST_F(FlushJobTest, KeepsTheNewestVersionAndDropsDeadEntries) {
  FlushOutput output;
  const std::vector<TableEntry> entries = Flush(/*older_tables=*/true, &output);
  EXPECT_EQ(entries, (std::vector<TableEntry>{{"0:a", 5, ValueKind::kValue},
                                              {"0:b", 6, ValueKind::kDeletion},
                                              {"0:c", 3, ValueKind::kDeletion},
                                              {"1:live", 8, ValueKind::kValue},
                                              {"2:x", 7, ValueKind::kValue}}));
  EXPECT_EQ(output.entries_in, 8u);
  EXPECT_EQ(output.dropped_shadowed, 2u);
  EXPECT_EQ(output.dropped_dead, 1u);
  EXPECT_EQ(output.dropped_tombstones, 0u);
  EXPECT_EQ(output.dropped_filtered, 0u);
  EXPECT_EQ(output.meta.number, 1u);
  EXPECT_EQ(output.meta.entries, 5u);
  EXPECT_EQ(output.meta.smallest_sequence, 3u);
  EXPECT_EQ(output.meta.largest_sequence, 8u);
  EXPECT_EQ(ParseInternalKey(output.meta.smallest).storage_key, GroupedKey(0, "a"));
  EXPECT_EQ(ParseInternalKey(output.meta.largest).storage_key, GroupedKey(2, "x"));
  uint64_t size = 0;
  ASSERT_TRUE(DefaultFileSystem()->GetFileSize(output.table->path(), &size).ok());
  EXPECT_EQ(size, output.meta.file_size);

  // The table answers point reads.
  bool found = false;
  ValueKind kind;
  uint64_t sequence = 0;
  std::string value;
  ASSERT_TRUE(
      output.table->Get(GroupedKey(0, "a"), kMaxSequence, &found, &kind, &sequence, &value).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(value, "a5");
}

TEST_F(FlushJobTest, TombstonesThatShadowNothingAreDropped) {
  FlushOutput output;
  const std::vector<TableEntry> entries = Flush(/*older_tables=*/false, &output);
  EXPECT_EQ(entries, (std::vector<TableEntry>{{"0:a", 5, ValueKind::kValue},
                                              {"1:live", 8, ValueKind::kValue},
                                              {"2:x", 7, ValueKind::kValue}}));
  EXPECT_EQ(output.dropped_tombstones, 2u);
}

// A value the filter drops leaves a tombstone only where an older table may hold the key; the
// filter sees the newest version of a key only, never a tombstone.
TEST_F(FlushJobTest, FilteredValuesBecomeTombstonesOnlyOverOlderTables) {
  mem_.Add(9, ValueKind::kValue, GroupedKey(0, "a"), "drop:a9");
  mem_.Add(10, ValueKind::kValue, GroupedKey(2, "y"), "drop:y10");
  mem_.Add(11, ValueKind::kValue, GroupedKey(0, "b"), "drop:b11");
  mem_.Add(12, ValueKind::kDeletion, GroupedKey(0, "b"), "");
  MarkerFilter filter;
  FlushOutput output;
  EXPECT_EQ(Flush(/*older_tables=*/true, &output, &filter),
            (std::vector<TableEntry>{{"0:a", 9, ValueKind::kDeletion},
                                     {"0:b", 12, ValueKind::kDeletion},
                                     {"0:c", 3, ValueKind::kDeletion},
                                     {"1:live", 8, ValueKind::kValue},
                                     {"2:x", 7, ValueKind::kValue},
                                     {"2:y", 10, ValueKind::kDeletion}}));
  EXPECT_EQ(output.dropped_filtered, 2u);
  EXPECT_EQ(
      Flush(/*older_tables=*/false, &output, &filter),
      (std::vector<TableEntry>{{"1:live", 8, ValueKind::kValue}, {"2:x", 7, ValueKind::kValue}}));
  EXPECT_EQ(output.dropped_filtered, 2u);
  EXPECT_EQ(output.dropped_tombstones, 2u);
}

TEST_F(FlushJobTest, NothingLeftMeansNoTable) {
  MemTable dead;
  dead.Add(1, ValueKind::kValue, GroupedKey(1, "old"), "v");
  dead.Add(2, ValueKind::kDeletion, GroupedKey(0, "gone"), "");
  FlushInput input;
  input.mem = &dead;
  input.cutoffs = &cutoffs_;
  FlushOutput output;
  ASSERT_TRUE(WriteMemTableToTable(DefaultFileSystem(), dir_.path(), 42, TableOptions(), nullptr,
                                   input, &output)
                  .ok());
  EXPECT_FALSE(output.has_table);
  EXPECT_FALSE(DefaultFileSystem()->FileExists(JoinPath(dir_.path(), TableFileName(42))));
}

TEST_F(FlushJobTest, AFailedWriteRemovesThePartialFile) {
  FaultInjectionFileSystem fs(DefaultFileSystem());
  fs.FailNthSync(1);
  FlushInput input;
  input.mem = &mem_;
  input.cutoffs = &cutoffs_;
  FlushOutput output;
  Status s = WriteMemTableToTable(&fs, dir_.path(), 7, TableOptions(), nullptr, input, &output);
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_FALSE(output.has_table);
  EXPECT_FALSE(fs.FileExists(JoinPath(dir_.path(), TableFileName(7))));
}

// --- Db with flushes ---

// Closes the database when a loop iteration ends, even early, before its directory goes.
struct CloseBefore {
  std::unique_ptr<Db>* db;
  ~CloseBefore() { db->reset(); }
};

// Keys are grouped (group = the tests' "database"); counter `group` is kept by the tests as a
// writer keeping a key count would.
class FlushDbTest : public ::testing::Test {
 protected:
  FlushDbTest() {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 2;
    options_.fsync = FsyncPolicy::kAlways;
    options_.background_maintenance = false;
    options_.fs = &fs_;
    options_.memtable_size = 8 << 10;  // a flush every few dozen writes
    options_.table.block_size = 1024;
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

  // A put of `key` in `group`; `count_delta` changes counter `group` beside it.
  void Put(int group, std::string_view key, std::string_view value, int64_t count_delta = 0) {
    WriteBatch batch;
    batch.Put(GroupedKey(static_cast<uint16_t>(group), key), value);
    if (count_delta != 0) batch.AddCounter(static_cast<uint32_t>(group), count_delta);
    Status s = db_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Delete(int group, std::string_view key, int64_t count_delta = 0) {
    WriteBatch batch;
    batch.Delete(GroupedKey(static_cast<uint16_t>(group), key));
    if (count_delta != 0) batch.AddCounter(static_cast<uint32_t>(group), count_delta);
    Status s = db_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // Drops the groups and sets their counters to zero, as FLUSHDB does.
  void DropGroups(std::initializer_list<int> groups) {
    WriteBatch batch;
    for (int group : groups) {
      batch.DropGroup(static_cast<uint16_t>(group));
      batch.SetCounter(static_cast<uint32_t>(group), 0);
    }
    Status s = db_->Write(batch);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  std::string GetOr(int group, std::string_view key) {
    return test_util::GetOr(*db_, GroupedKey(static_cast<uint16_t>(group), key));
  }
  uint64_t Count(int group) {
    const int64_t n = db_->Counter(static_cast<uint32_t>(group));
    EXPECT_GE(n, 0) << group;
    return static_cast<uint64_t>(n);
  }

  // Up to `limit` live keys of `group` after `after`, through a new iterator (as the keyspace's
  // SCAN reads the engine): appended to *keys; *done when there are no more.
  Status ScanPage(int group, std::string_view after, size_t limit, std::vector<std::string>* keys,
                  bool* done) {
    const std::string prefix = GroupedKey(static_cast<uint16_t>(group), "");
    std::string start = prefix + std::string(after);
    if (!after.empty()) start.push_back('\0');
    std::unique_ptr<Iterator> it;
    Status s = db_->NewIterator(&it);
    if (!s.ok()) return s;
    *done = true;
    size_t found = 0;
    for (it->Seek(start); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (found == limit) {
        *done = false;
        break;
      }
      keys->emplace_back(it->key().substr(prefix.size()));
      ++found;
    }
    return it->status();
  }

  std::vector<std::string> ScanAll(int group, size_t limit) {
    std::vector<std::string> keys;
    std::string after;
    bool done = false;
    while (!done) {
      std::vector<std::string> batch;
      Status s = ScanPage(group, after, limit, &batch, &done);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) break;
      if (!batch.empty()) after = batch.back();
      keys.insert(keys.end(), batch.begin(), batch.end());
    }
    return keys;
  }

  uint64_t Sum(uint64_t ShardStats::*field) { return test_util::SumOverShards(*db_, field); }

  // Names in a shard directory, by kind.
  struct Listing {
    std::vector<std::string> wals, tables, manifests, others;
  };
  Listing List(int shard) {
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%03d", shard);
    std::vector<std::string> names;
    EXPECT_TRUE(fs_.GetChildren(JoinPath(options_.dir, name), &names).ok());
    Listing listing;
    for (const std::string& n : names) {
      uint64_t number = 0;
      if (n.size() > 4 && n.substr(n.size() - 4) == ".log") {
        listing.wals.push_back(n);
      } else if (ParseTableFileName(n, &number)) {
        listing.tables.push_back(n);
      } else if (ParseManifestFileName(n, &number)) {
        listing.manifests.push_back(n);
      } else if (n != "CURRENT") {
        listing.others.push_back(n);
      }
    }
    return listing;
  }

  std::string ShardDir(int shard) {
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%03d", shard);
    return JoinPath(options_.dir, name);
  }

  // With every flush done: each shard holds CURRENT, one manifest, exactly its live tables,
  // the current WAL file plus at most the one the active memtable still needs, nothing else.
  void ExpectNoStrayFiles() {
    ASSERT_TRUE(db_->WaitForFlushes().ok());
    DbStats stats = db_->Stats();
    for (int i = 0; i < db_->shard_count(); ++i) {
      SCOPED_TRACE("shard " + std::to_string(i));
      Listing listing = List(i);
      EXPECT_EQ(listing.manifests.size(), 1u);
      EXPECT_EQ(listing.tables.size(), stats.shards[static_cast<size_t>(i)].tables);
      EXPECT_GE(listing.wals.size(), 1u);
      EXPECT_LE(listing.wals.size(), 2u);
      EXPECT_TRUE(listing.others.empty()) << listing.others.front();
    }
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  Options options_;
  std::unique_ptr<Db> db_;
};

std::string Value(int i) { return "value-" + std::to_string(i) + std::string(60, 'x'); }

TEST_F(FlushDbTest, ManyFlushesEveryKeyReadableThroughout) {
  Open();
  const int kKeys = 1500;
  for (int i = 0; i < kKeys; ++i) {
    Put(0, "key" + std::to_string(i), Value(i), 1);
    if (i % 10 == 9) {
      ASSERT_TRUE(db_->Commit().ok());
    }
    if (i % 250 == 249) {
      // Whatever is in flight, every key is readable; and once the flushes are done, too.
      for (int j = 0; j <= i; j += 7) ASSERT_EQ(GetOr(0, "key" + std::to_string(j)), Value(j)) << j;
      ASSERT_TRUE(db_->WaitForFlushes().ok());
      for (int j = 0; j <= i; ++j) ASSERT_EQ(GetOr(0, "key" + std::to_string(j)), Value(j)) << j;
    }
  }
  ASSERT_TRUE(db_->Commit().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  DbStats stats = db_->Stats();
  uint64_t flushes = 0, tables = 0, table_bytes = 0, flush_bytes = 0, active_entries = 0;
  uint64_t compacted_in = 0, compacted_out = 0;
  for (const ShardStats& s : stats.shards) {
    flushes += s.flushes;
    tables += s.tables;
    table_bytes += s.table_bytes;
    flush_bytes += s.flush_bytes_written;
    compacted_in += s.compaction_bytes_read;
    compacted_out += s.compaction_bytes_written;
    active_entries += s.memtable_entries;
    EXPECT_EQ(s.immutable_memtables, 0u);
    EXPECT_EQ(s.immutable_memtable_bytes, 0u);
    EXPECT_EQ(s.flush_failures, 0u);
    EXPECT_TRUE(s.flush_error.empty());
  }
  EXPECT_GE(flushes, 10u);
  EXPECT_LE(tables, flushes);  // one table per flush, fewer once compactions merged some
  EXPECT_EQ(table_bytes, flush_bytes + compacted_out - compacted_in);
  EXPECT_EQ(Count(0), static_cast<uint64_t>(kKeys));
  EXPECT_EQ(ScanAll(0, 97).size(), static_cast<size_t>(kKeys));
  ExpectNoStrayFiles();

  // Restart: the tables hold everything flushed; only the active memtables' records replay.
  Open();
  EXPECT_EQ(db_->Stats().recovered_records, active_entries);
  EXPECT_EQ(Count(0), static_cast<uint64_t>(kKeys));
  for (int j = 0; j < kKeys; ++j) ASSERT_EQ(GetOr(0, "key" + std::to_string(j)), Value(j)) << j;
  EXPECT_EQ(ScanAll(0, 1000).size(), static_cast<size_t>(kKeys));
  ExpectNoStrayFiles();

  // Everything in tables, then a restart replays nothing.
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(Sum(&ShardStats::memtable_entries), 0u);
  Open();
  EXPECT_EQ(db_->Stats().recovered_records, 0u);
  for (int j = 0; j < kKeys; j += 3) ASSERT_EQ(GetOr(0, "key" + std::to_string(j)), Value(j));
  ExpectNoStrayFiles();
}

// Counters written beside puts and deletes stay exact with the data in memtables and tables,
// across group drops and restarts, and agree with what reads and iterators see.
TEST_F(FlushDbTest, CountsAreExactWithDataOnDiskAndAfterRestart) {
  Open();
  std::mt19937 rng(1234);
  std::map<std::pair<int, std::string>, std::string> model;
  auto check = [&] {
    for (int group = 0; group < 3; ++group) {
      uint64_t expected = 0;
      for (const auto& [k, v] : model) expected += k.first == group ? 1 : 0;
      EXPECT_EQ(Count(group), expected) << group;
      EXPECT_EQ(ScanAll(group, 53).size(), expected) << group;
    }
    for (const auto& [k, v] : model) ASSERT_EQ(GetOr(k.first, k.second), v) << k.second;
  };
  for (int i = 0; i < 4000; ++i) {
    const int group = static_cast<int>(rng() % 3);
    const std::string key = "key" + std::to_string(rng() % 300);
    const int op = static_cast<int>(rng() % 20);
    if (op < 3) {
      Delete(group, key, model.erase({group, key}) ? -1 : 0);
    } else if (op == 3) {
      EXPECT_EQ(GetOr(group, key) != "<missing>", model.count({group, key}) == 1) << key;
    } else if (op == 5) {
      // Several puts in one batch, a key named twice (the later value wins).
      const std::string other = "key" + std::to_string(rng() % 300);
      WriteBatch batch;
      for (const auto& [k, v] : {std::pair{key, "m1"}, {other, "m2"}, {key, "m3"}}) {
        batch.Put(GroupedKey(static_cast<uint16_t>(group), k), v);
        if (model.count({group, k}) == 0) batch.AddCounter(static_cast<uint32_t>(group), 1);
        model[{group, k}] = v;
      }
      ASSERT_TRUE(db_->Write(batch).ok());
    } else if (op == 6 && rng() % 40 == 0) {
      DropGroups({group});
      std::erase_if(model, [group](const auto& e) { return e.first.first == group; });
    } else {
      const std::string value = Value(i);
      Put(group, key, value, model.count({group, key}) ? 0 : 1);
      model[{group, key}] = value;
    }
    if (i % 5 == 0) {
      ASSERT_TRUE(db_->Commit().ok());
    }
    if (i % 1000 == 999) check();
  }
  ASSERT_TRUE(db_->Commit().ok());
  EXPECT_GT(Sum(&ShardStats::flushes), 10u);
  check();
  Open();
  check();
  ASSERT_TRUE(db_->FlushMemTables().ok());
  check();
  Open();
  check();
  ExpectNoStrayFiles();
}

TEST_F(FlushDbTest, DropGroupWithDataInTables) {
  Open();
  for (int i = 0; i < 300; ++i) {
    Put(0, "k" + std::to_string(i), "db0", 1);
    Put(1, "k" + std::to_string(i), "db1", 1);
  }
  ASSERT_TRUE(db_->FlushMemTables().ok());
  ASSERT_GT(Sum(&ShardStats::tables), 0u);
  ASSERT_EQ(Sum(&ShardStats::memtable_entries), 0u);
  DropGroups({0});
  EXPECT_EQ(Count(0), 0u);
  EXPECT_EQ(Count(1), 300u);
  EXPECT_EQ(GetOr(0, "k1"), "<missing>");
  EXPECT_EQ(GetOr(1, "k1"), "db1");
  EXPECT_TRUE(ScanAll(0, 10).empty());
  EXPECT_EQ(GetOr(0, "k2"), "<missing>");
  Put(0, "k1", "after", 1);
  EXPECT_EQ(Count(0), 1u);
  ASSERT_TRUE(db_->Commit().ok());
  // The cut-off reaches the manifest with the next flush, and survives restarts.
  Open();
  EXPECT_EQ(Count(0), 1u);
  EXPECT_EQ(GetOr(0, "k5"), "<missing>");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  EXPECT_EQ(Count(0), 1u);
  EXPECT_EQ(Count(1), 300u);
  EXPECT_EQ(GetOr(0, "k1"), "after");
  EXPECT_EQ(GetOr(0, "k5"), "<missing>");
  EXPECT_EQ(ScanAll(0, 10), std::vector<std::string>{"k1"});
  EXPECT_EQ(ScanAll(1, 1000).size(), 300u);

  DropGroups({0, 1});
  ASSERT_TRUE(db_->FlushMemTables().ok());
  Open();
  EXPECT_EQ(Count(0), 0u);
  EXPECT_EQ(Count(1), 0u);
  EXPECT_EQ(GetOr(1, "k7"), "<missing>");
  EXPECT_TRUE(ScanAll(1, 10).empty());
}

TEST_F(FlushDbTest, DeletesAndOverwritesShadowOlderTables) {
  Open();
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 100; ++i) {
      Put(0, "k" + std::to_string(i), "r" + std::to_string(round), round == 0 ? 1 : 0);
    }
    ASSERT_TRUE(db_->FlushMemTables().ok());
  }
  WriteBatch doomed;
  for (const char* key : {"k1", "k2", "k3"}) {
    doomed.Delete(GroupedKey(0, key));
    doomed.AddCounter(0, -1);
  }
  ASSERT_TRUE(db_->Write(doomed).ok());
  EXPECT_EQ(GetOr(0, "k1"), "<missing>");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_EQ(GetOr(0, "k1"), "<missing>");  // the tombstone is in a table now
  EXPECT_EQ(GetOr(0, "k4"), "r3");
  EXPECT_EQ(Count(0), 97u);
  Open();
  EXPECT_EQ(GetOr(0, "k2"), "<missing>");
  EXPECT_EQ(GetOr(0, "k50"), "r3");
  EXPECT_EQ(ScanAll(0, 30).size(), 97u);
  EXPECT_EQ(GetOr(0, "k3"), "<missing>");  // the tombstone in a table still hides the older ones
  Put(0, "k3", "back", 1);
  EXPECT_EQ(GetOr(0, "k3"), "back");
  EXPECT_EQ(Count(0), 98u);
}

// Pages read through new iterators page through a group while writes go on and memtables are
// flushed under them: every key present throughout is returned exactly once, in order.
TEST_F(FlushDbTest, ScanReturnsEachKeyOnceWhileWritesAndFlushesGoOn) {
  options_.memtable_size = 4 << 10;
  Open();
  std::set<std::string> stable;
  for (int i = 0; i < 600; ++i) {
    const std::string key = "s" + std::to_string(1000 + i);
    Put(0, key, Value(i));
    stable.insert(key);
  }
  ASSERT_TRUE(db_->Commit().ok());
  std::vector<std::string> seen;
  std::string after;
  bool done = false;
  int round = 0;
  while (!done) {
    std::vector<std::string> batch;
    ASSERT_TRUE(ScanPage(0, after, 13, &batch, &done).ok());
    if (!batch.empty()) after = batch.back();
    seen.insert(seen.end(), batch.begin(), batch.end());
    ++round;
    for (int j = 0; j < 8; ++j) {
      Put(0, "n" + std::to_string(round * 10 + j), Value(j));  // before the cursor
      Put(0, "t" + std::to_string(round * 10 + j), Value(j));  // after it
      Put(0, "s" + std::to_string(1000 + (round * 7 + j) % 600), "overwritten");
    }
    Delete(0, "t" + std::to_string(round * 10 - 5));
    ASSERT_TRUE(db_->Commit().ok());  // switches memtables; the workers flush meanwhile
  }
  std::map<std::string, int> times;
  for (const std::string& k : seen) ++times[k];
  for (const std::string& k : stable) EXPECT_EQ(times[k], 1) << k;
  for (const auto& [k, n] : times) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_GT(Sum(&ShardStats::flushes), 5u);
}

// Power loss at every step of a flush: the switch to a new WAL, the table's writes and fsync,
// its directory entry, the manifest edit, the removal of the old WAL. Every committed write is
// there after the restart, counts agree, and no stray file is left once the restarted shard
// has flushed what it replayed.
TEST_F(FlushDbTest, CrashAtEveryStepOfAFlush) {
  options_.shards = 1;
  options_.memtable_size = 64 << 20;  // flushes only when asked
  bool completed = false;
  int crashed_before_edit = 0;  // the table incomplete, or complete but not in the manifest
  int crashed_after_edit = 0;   // the manifest lists the table; the old WAL may remain
  bool old_wal_left = true;
  for (uint64_t steps = 0; (!completed || old_wal_left) && steps < 60; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    CloseBefore close_before_dir_goes{&db_};
    options_.dir = JoinPath(dir.path(), "data");
    Open();
    std::map<std::string, std::string> acknowledged;
    // A first flush, so the crashing one has a table and a manifest history before it.
    for (int i = 0; i < 40; ++i) {
      Put(0, "old" + std::to_string(i), Value(i), 1);
      acknowledged["old" + std::to_string(i)] = Value(i);
    }
    Delete(0, "old3", -1);
    acknowledged.erase("old3");
    ASSERT_TRUE(db_->FlushMemTables().ok());
    for (int i = 0; i < 60; ++i) {
      Put(0, "new" + std::to_string(i), Value(i), 1);
      acknowledged["new" + std::to_string(i)] = Value(i);
    }
    Delete(0, "old5", -1);
    Delete(0, "new7", -1);
    acknowledged.erase("old5");
    acknowledged.erase("new7");
    DropGroups({1});
    ASSERT_TRUE(db_->Commit().ok());

    const std::vector<std::string> wals = List(0).wals;  // the WAL the flush makes obsolete
    ASSERT_EQ(wals.size(), 1u);
    const std::string old_wal = JoinPath(ShardDir(0), wals[0]);

    fs_.SimulateCrashAfter(steps);
    completed = db_->FlushMemTables().ok();
    Crash();
    old_wal_left = fs_.FileExists(old_wal);

    Open();
    const uint64_t tables = db_->Stats().shards[0].tables;
    EXPECT_TRUE(tables == 1 || tables == 2) << tables;
    if (tables == 1) {
      EXPECT_FALSE(completed);
      ++crashed_before_edit;
    } else if (old_wal_left) {
      ++crashed_after_edit;
    }
    for (const auto& [key, value] : acknowledged) EXPECT_EQ(GetOr(0, key), value) << key;
    EXPECT_EQ(GetOr(0, "old3"), "<missing>");
    EXPECT_EQ(GetOr(0, "new7"), "<missing>");
    EXPECT_EQ(Count(0), acknowledged.size());
    EXPECT_EQ(ScanAll(0, 17).size(), acknowledged.size());
    ExpectNoStrayFiles();
    // Once the replayed memtable is flushed too, exactly one WAL file is left.
    ASSERT_TRUE(db_->FlushMemTables().ok());
    EXPECT_EQ(List(0).wals.size(), 1u);
    // And it takes writes and flushes again.
    Put(0, "later", "x", 1);
    ASSERT_TRUE(db_->FlushMemTables().ok());
    Open();
    EXPECT_EQ(GetOr(0, "later"), "x");
    EXPECT_EQ(Count(0), acknowledged.size() + 1);
  }
  EXPECT_TRUE(completed);
  EXPECT_GE(crashed_before_edit, 5);
  EXPECT_GE(crashed_after_edit, 1);
}

TEST_F(FlushDbTest, FailedFlushIsRetried) {
  options_.shards = 1;
  options_.memtable_size = 64 << 20;
  Open();
  for (int i = 0; i < 50; ++i) Put(0, "k" + std::to_string(i), Value(i), 1);
  ASSERT_TRUE(db_->Commit().ok());
  // The table's fsync fails (the memtable switch itself needs none: all is synced).
  fs_.FailNthSync(1, /*sticky=*/true);
  Status s = db_->FlushMemTables();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  ShardStats stats = db_->Stats().shards[0];
  EXPECT_EQ(stats.immutable_memtables, 1u);
  EXPECT_GE(stats.flush_failures, 1u);
  EXPECT_FALSE(stats.flush_error.empty());
  EXPECT_EQ(stats.tables, 0u);
  EXPECT_EQ(GetOr(0, "k7"), Value(7));  // reads go on from the immutable memtable
  fs_.ClearFaults();
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  stats = db_->Stats().shards[0];
  EXPECT_EQ(stats.immutable_memtables, 0u);
  EXPECT_EQ(stats.tables, 1u);
  EXPECT_TRUE(stats.flush_error.empty());
  EXPECT_EQ(GetOr(0, "k7"), Value(7));
  ExpectNoStrayFiles();
  Open();
  EXPECT_EQ(Count(0), 50u);
  EXPECT_EQ(GetOr(0, "k49"), Value(49));
}

TEST_F(FlushDbTest, FailedManifestEditIsRetried) {
  options_.shards = 1;
  options_.memtable_size = 64 << 20;
  Open();
  for (int i = 0; i < 50; ++i) Put(0, "k" + std::to_string(i), Value(i), 1);
  ASSERT_TRUE(db_->Commit().ok());
  fs_.FailNthSync(2);  // the table's fsync succeeds, the manifest's fails
  EXPECT_FALSE(db_->FlushMemTables().ok());
  EXPECT_EQ(db_->Stats().shards[0].tables, 0u);
  ASSERT_TRUE(db_->WaitForFlushes().ok());  // retried: a new manifest with the same edit
  EXPECT_EQ(db_->Stats().shards[0].tables, 1u);
  ExpectNoStrayFiles();
  Open();
  EXPECT_EQ(Count(0), 50u);
  EXPECT_EQ(db_->Stats().recovered_records, 0u);
  EXPECT_EQ(GetOr(0, "k0"), Value(0));
}

TEST_F(FlushDbTest, DamagedTableFilesAreReportedAtStartUp) {
  options_.shards = 1;
  Open();
  for (int i = 0; i < 200; ++i) Put(0, "k" + std::to_string(i), Value(i));
  ASSERT_TRUE(db_->FlushMemTables().ok());
  db_.reset();
  const std::string table = JoinPath(ShardDir(0), List(0).tables.at(0));
  std::string good;
  ASSERT_TRUE(ReadFileToString(&fs_, table, &good).ok());

  auto expect_refused = [&](std::string_view why, std::string_view needle) {
    std::unique_ptr<Db> db;
    Status s = Db::Open(options_, &db);
    EXPECT_TRUE(s.IsCorruption()) << why << ": " << s.ToString();
    EXPECT_NE(s.message().find(table), std::string::npos) << why << ": " << s.message();
    EXPECT_NE(s.message().find(needle), std::string::npos) << why << ": " << s.message();
  };
  ASSERT_TRUE(fs_.Truncate(table, good.size() - 100).ok());
  expect_refused("truncated", "truncated or replaced");
  ASSERT_TRUE(WriteFileAtomically(&fs_, table, std::string(good.size(), 'f')).ok());
  expect_refused("foreign", "bad magic");
  ASSERT_TRUE(fs_.RemoveFile(table).ok());
  expect_refused("missing", "missing");

  ASSERT_TRUE(WriteFileAtomically(&fs_, table, good).ok());
  Open();
  EXPECT_EQ(GetOr(0, "k100"), Value(100));
}

TEST_F(FlushDbTest, CorruptDataBlockIsAnErrorNeverWrongData) {
  options_.shards = 1;
  Open();
  for (int i = 0; i < 20; ++i) Put(0, "k" + std::to_string(i), Value(i), 1);
  ASSERT_TRUE(db_->FlushMemTables().ok());
  db_.reset();
  const std::string table = JoinPath(ShardDir(0), List(0).tables.at(0));
  std::string contents;
  ASSERT_TRUE(ReadFileToString(&fs_, table, &contents).ok());
  contents[3] ^= 0x20;  // inside the first data block, which holds the smallest keys
  ASSERT_TRUE(WriteFileAtomically(&fs_, table, contents).ok());
  Open();
  std::string value;
  Status s = db_->Get(GroupedKey(0, "k0"), &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(table), std::string::npos) << s.message();
  // An iterator over the damaged block ends with its status, whether it starts there or
  // reaches it.
  std::unique_ptr<Iterator> it;
  ASSERT_TRUE(db_->NewIterator(&it).ok());
  it->SeekToFirst();
  EXPECT_FALSE(it->Valid());
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  it.reset();
  ASSERT_TRUE(db_->NewIterator(&it).ok());
  it->Seek(GroupedKey(0, "k0"));
  EXPECT_TRUE(it->status().IsCorruption()) << it->status().ToString();
  // Keys in intact blocks still read right.
  EXPECT_EQ(GetOr(0, "k9"), Value(9));
  EXPECT_EQ(Count(0), 20u);
}

TEST_F(FlushDbTest, BlockCacheStats) {
  options_.shards = 1;
  options_.block_cache_size = 1 << 20;
  Open();
  for (int i = 0; i < 300; ++i) Put(0, "k" + std::to_string(i), Value(i));
  ASSERT_TRUE(db_->FlushMemTables().ok());
  DbStats before = db_->Stats();
  EXPECT_EQ(before.block_cache_capacity, 1u << 20);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 300; i += 10) ASSERT_EQ(GetOr(0, "k" + std::to_string(i)), Value(i));
  }
  DbStats after = db_->Stats();
  EXPECT_GT(after.block_cache_misses, before.block_cache_misses);
  EXPECT_GT(after.block_cache_hits, before.block_cache_hits);
  EXPECT_GT(after.block_cache_usage, 0u);
  ASSERT_TRUE(db_->SetBlockCacheSize(0).ok());
  EXPECT_EQ(db_->Stats().block_cache_capacity, 0u);
  EXPECT_EQ(db_->Stats().block_cache_usage, 0u);
  EXPECT_EQ(GetOr(0, "k10"), Value(10));  // reads work without a cache
}

TEST_F(FlushDbTest, WritesContinueWhileFlushesPileUp) {
  options_.memtable_size = 4 << 10;
  options_.fsync = FsyncPolicy::kEverySec;  // a switch still fsyncs the WAL it retires
  Open();
  for (int i = 0; i < 800; ++i) {
    Put(0, "k" + std::to_string(i % 200), Value(i), i < 200 ? 1 : 0);
    ASSERT_TRUE(db_->Commit().ok());
    if (i % 100 == 0) {
      DbStats stats = db_->Stats();
      for (const ShardStats& s : stats.shards) {
        EXPECT_EQ(s.immutable_memtables == 0, s.immutable_memtable_bytes == 0);
      }
    }
  }
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  EXPECT_EQ(Count(0), 200u);
  for (int i = 600; i < 800; ++i) EXPECT_EQ(GetOr(0, "k" + std::to_string(i % 200)), Value(i));
}

}  // namespace
}  // namespace shale::storage
