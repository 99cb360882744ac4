// The size-tiered compaction picker (compaction_picker.h): a pure function, tested on table
// descriptions only.
#include "storage/compaction_picker.h"

#include <gtest/gtest.h>

#include <vector>

#include "storage/db.h"
#include "storage/key_format.h"

namespace shale::storage {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kNow = 1'000'000'000;

CompactionTableInfo Table(uint64_t number, uint64_t size) {
  CompactionTableInfo t;
  t.number = number;
  t.file_size = size;
  t.num_entries = 100;
  t.creation_time_ms = kNow;
  return t;
}

TEST(CompactionPickerTest, NoTablesNoCompaction) {
  const CompactionPick pick = PickCompaction({}, CompactionOptions(), kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kNone);
  EXPECT_TRUE(pick.files.empty());
  EXPECT_EQ(pick.input_bytes, 0u);
  EXPECT_TRUE(BucketTables({}, CompactionOptions()).empty());
}

TEST(CompactionPickerTest, OneTableNoCompaction) {
  const CompactionPick pick = PickCompaction({Table(1, 100 * kMiB)}, CompactionOptions(), kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kNone);
}

TEST(CompactionPickerTest, OneBucketBelowTheThreshold) {
  std::vector<CompactionTableInfo> tables = {Table(1, 100 * kMiB), Table(2, 110 * kMiB),
                                             Table(3, 90 * kMiB)};
  EXPECT_EQ(BucketTables(tables, CompactionOptions()).size(), 1u);
  EXPECT_EQ(PickCompaction(tables, CompactionOptions(), kNow).reason, CompactionReason::kNone);
  tables.push_back(Table(4, 100 * kMiB));
  const CompactionPick pick = PickCompaction(tables, CompactionOptions(), kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kSizeTiered);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{3, 1, 4, 2}));  // smallest first
  EXPECT_EQ(pick.input_bytes, 400 * kMiB);
}

TEST(CompactionPickerTest, MixedSizesFormSeparateBuckets) {
  std::vector<CompactionTableInfo> tables;
  // Four of ~100 MiB, three of ~1 GiB, two of ~10 GiB.
  for (uint64_t i = 0; i < 4; ++i) tables.push_back(Table(10 + i, (100 + i) * kMiB));
  for (uint64_t i = 0; i < 3; ++i) tables.push_back(Table(20 + i, (1000 + i) * kMiB));
  for (uint64_t i = 0; i < 2; ++i) tables.push_back(Table(30 + i, (10000 + i) * kMiB));
  const std::vector<std::vector<size_t>> buckets = BucketTables(tables, CompactionOptions());
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(buckets[0].size(), 4u);
  EXPECT_EQ(buckets[1].size(), 3u);
  EXPECT_EQ(buckets[2].size(), 2u);
  const CompactionPick pick = PickCompaction(tables, CompactionOptions(), kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kSizeTiered);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{10, 11, 12, 13}));

  // The bucket with more tables wins even when bigger.
  for (uint64_t i = 3; i < 5; ++i) tables.push_back(Table(20 + i, (1000 + i) * kMiB));
  EXPECT_EQ(PickCompaction(tables, CompactionOptions(), kNow).files,
            (std::vector<uint64_t>{20, 21, 22, 23, 24}));
}

TEST(CompactionPickerTest, SmallTablesShareOneBucket) {
  std::vector<CompactionTableInfo> tables = {Table(1, 1 * kMiB), Table(2, 40 * kMiB),
                                             Table(3, 100 << 10), Table(4, 10 * kMiB)};
  // Far apart in size, but all below min_sstable_size (50 MiB).
  const std::vector<std::vector<size_t>> buckets = BucketTables(tables, CompactionOptions());
  ASSERT_EQ(buckets.size(), 1u);
  const CompactionPick pick = PickCompaction(tables, CompactionOptions(), kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kSizeTiered);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{3, 1, 4, 2}));

  // Without the small-table rule they are four buckets of one.
  CompactionOptions options;
  options.min_sstable_size = 0;
  EXPECT_EQ(BucketTables(tables, options).size(), 4u);
  EXPECT_EQ(PickCompaction(tables, options, kNow).reason, CompactionReason::kNone);
}

TEST(CompactionPickerTest, AtMostMaxThresholdOfTheSmallestTables) {
  std::vector<CompactionTableInfo> tables;
  for (uint64_t i = 0; i < 40; ++i) tables.push_back(Table(100 - i, kMiB + i));
  CompactionPick pick = PickCompaction(tables, CompactionOptions(), kNow);
  ASSERT_EQ(pick.files.size(), 32u);
  for (size_t k = 0; k < pick.files.size(); ++k) EXPECT_EQ(pick.files[k], 100 - k);

  CompactionOptions options;
  options.max_threshold = 5;
  pick = PickCompaction(tables, options, kNow);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{100, 99, 98, 97, 96}));
  EXPECT_EQ(pick.input_bytes, 5 * kMiB + 0 + 1 + 2 + 3 + 4);
}

TEST(CompactionPickerTest, TombstoneRatioAndAgeTriggerALoneRewrite) {
  CompactionOptions options;
  options.tombstone_threshold = 0.2;
  options.tombstone_compaction_interval_ms = 60'000;
  CompactionTableInfo small = Table(1, kMiB);
  CompactionTableInfo big = Table(2, 500 * kMiB);
  big.num_entries = 1000;
  big.num_deletions = 300;  // 30%
  big.creation_time_ms = kNow - 120'000;
  std::vector<CompactionTableInfo> tables = {small, big};
  CompactionPick pick = PickCompaction(tables, options, kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kTombstones);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{2}));
  EXPECT_EQ(pick.input_bytes, 500 * kMiB);

  // Too young: nothing.
  tables[1].creation_time_ms = kNow - 30'000;
  EXPECT_EQ(PickCompaction(tables, options, kNow).reason, CompactionReason::kNone);
  // Old enough but the ratio is at the threshold, not above: nothing.
  tables[1].creation_time_ms = kNow - 120'000;
  tables[1].num_deletions = 200;
  EXPECT_EQ(PickCompaction(tables, options, kNow).reason, CompactionReason::kNone);
  // The highest ratio wins among several.
  tables[1].num_deletions = 300;
  CompactionTableInfo worse = Table(3, 800 * kMiB);
  worse.num_deletions = 90;  // of 100
  worse.creation_time_ms = kNow - 120'000;
  tables.push_back(worse);
  EXPECT_EQ(PickCompaction(tables, options, kNow).files, (std::vector<uint64_t>{3}));
  // A size-tiered bucket goes first.
  for (uint64_t i = 10; i < 14; ++i) tables.push_back(Table(i, kMiB));
  EXPECT_EQ(PickCompaction(tables, options, kNow).reason, CompactionReason::kSizeTiered);
}

// Internal key of `storage_key` (any sequence) for a table's recorded range.
std::string RangeKey(const std::string& storage_key) {
  std::string key;
  AppendInternalKey(storage_key, 1, ValueKind::kValue, &key);
  return key;
}

TEST(CompactionPickerTest, TombstoneRewriteTakesTheTablesItShadows) {
  CompactionOptions options;
  options.tombstone_compaction_interval_ms = 0;
  // Table 1 holds the data, table 2 the deletes of part of it, table 3 another key range.
  CompactionTableInfo data = Table(1, 500 * kMiB);
  data.smallest = RangeKey("a");
  data.largest = RangeKey("m");
  CompactionTableInfo deletes = Table(2, 2 * kMiB);
  deletes.num_entries = 100;
  deletes.num_deletions = 100;
  deletes.smallest = RangeKey("c");
  deletes.largest = RangeKey("f");
  CompactionTableInfo elsewhere = Table(3, 50 * kMiB);
  elsewhere.smallest = RangeKey("n");
  elsewhere.largest = RangeKey("z");
  CompactionPick pick = PickCompaction({data, deletes, elsewhere}, options, kNow);
  EXPECT_EQ(pick.reason, CompactionReason::kTombstones);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{2, 1}));
  EXPECT_EQ(pick.input_bytes, 502 * kMiB);
  // Touching ranges overlap; disjoint ones do not.
  elsewhere.smallest = RangeKey("f");
  pick = PickCompaction({data, deletes, elsewhere}, options, kNow);
  EXPECT_EQ(pick.files, (std::vector<uint64_t>{2, 1, 3}));
}

}  // namespace
}  // namespace shale::storage
