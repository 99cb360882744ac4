// Db::GetSnapshot (db.h): a read at a snapshot sees exactly the writes before it, across all
// shards, while writes, flushes and compactions go on.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "storage/db.h"
#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 4;
    options_.background_maintenance = false;
    options_.compaction.min_threshold = 2;
    Status s = Db::Open(options_, &db_);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Write(const std::string& key, const std::string& value) {
    WriteBatch batch;
    batch.Put(key, value);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  void Delete(const std::string& key) {
    WriteBatch batch;
    batch.Delete(key);
    ASSERT_TRUE(db_->Write(batch).ok());
  }
  std::string Read(const std::string& key, const Snapshot* snapshot) {
    ReadOptions read;
    read.snapshot = snapshot;
    std::string value;
    Status s = db_->Get(read, key, &value);
    if (s.IsNotFound()) return "(none)";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }
  std::map<std::string, std::string> Iterate(const Snapshot* snapshot) {
    ReadOptions read;
    read.snapshot = snapshot;
    std::unique_ptr<Iterator> it;
    EXPECT_TRUE(db_->NewIterator(read, &it).ok());
    std::map<std::string, std::string> all;
    std::string previous;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      EXPECT_LT(previous, std::string(it->key()));
      previous = std::string(it->key());
      all[previous] = std::string(it->value());
    }
    EXPECT_TRUE(it->status().ok());
    return all;
  }

  test_util::TempDir dir_;
  Options options_;
  std::unique_ptr<Db> db_;
};

TEST_F(SnapshotTest, SeesTheWritesBeforeItThroughFlushesAndCompactions) {
  constexpr int kKeys = 200;
  std::map<std::string, std::string> before;
  for (int i = 0; i < kKeys; ++i) {
    Write("k" + std::to_string(i), "old" + std::to_string(i));
    before["k" + std::to_string(i)] = "old" + std::to_string(i);
  }
  ASSERT_TRUE(db_->FlushMemTables().ok());  // some of what the snapshot sees is in tables
  const Snapshot* snapshot = db_->GetSnapshot();
  for (int i = 0; i < kKeys; ++i) {
    const std::string key = "k" + std::to_string(i);
    if (i % 3 == 0) {
      Delete(key);
    } else {
      Write(key, "new" + std::to_string(i));
    }
    if (i % 50 == 0) {
      ASSERT_TRUE(db_->FlushMemTables().ok());  // versions in several tables
    }
  }
  Write("later", "x");
  auto check = [&](const char* when) {
    for (int i = 0; i < kKeys; ++i) {
      const std::string key = "k" + std::to_string(i);
      EXPECT_EQ(Read(key, snapshot), "old" + std::to_string(i)) << key << " " << when;
      EXPECT_EQ(Read(key, nullptr), i % 3 == 0 ? "(none)" : "new" + std::to_string(i))
          << key << " " << when;
    }
    EXPECT_EQ(Read("later", snapshot), "(none)") << when;
    EXPECT_EQ(Iterate(snapshot), before) << when;
  };
  check("in memtables and tables");
  ASSERT_TRUE(db_->FlushMemTables().ok());
  check("after a flush");
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  check("after a compaction");

  // Released, the old versions go at the next compaction; the current state stays.
  db_->ReleaseSnapshot(snapshot);
  ASSERT_TRUE(db_->CompactAll().ok());
  ASSERT_TRUE(db_->WaitForFlushes().ok());
  std::map<std::string, std::string> now = Iterate(nullptr);
  EXPECT_EQ(now.size(), static_cast<size_t>(kKeys - (kKeys + 2) / 3 + 1));
}

TEST_F(SnapshotTest, AMultiShardBatchIsInASnapshotWholeOrNotAtAll) {
  WriteBatch batch;
  for (int i = 0; i < 16; ++i) batch.Put("b" + std::to_string(i), "1");
  const Snapshot* empty = db_->GetSnapshot();
  ASSERT_TRUE(db_->Write(batch).ok());
  const Snapshot* full = db_->GetSnapshot();
  ASSERT_TRUE(db_->FlushMemTables().ok());
  EXPECT_TRUE(Iterate(empty).empty());
  EXPECT_EQ(Iterate(full).size(), 16u);
  db_->ReleaseSnapshot(empty);
  db_->ReleaseSnapshot(full);
}

}  // namespace
}  // namespace shale::storage
