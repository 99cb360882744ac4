// Size-tiered compaction picking (Cassandra's STCS): a pure function from a description of a
// shard's live tables to the compaction to run, if any. No I/O, no locks, no clock.
//
// Rules:
//   1. Buckets. Tables are sorted by size (ascending; ties by file number). Each table joins
//      the first existing bucket whose average size `avg` satisfies
//        bucket_low * avg <= size <= bucket_high * avg, or
//        size < min_sstable_size and avg < min_sstable_size (small tables share one bucket);
//      otherwise it starts a new bucket. A bucket's average is updated as tables join.
//   2. Candidates. A bucket with at least min_threshold tables is a candidate; only its
//      max_threshold smallest tables are considered (the most similar ones, as they come
//      sorted).
//   3. Choice ("most interesting bucket"): the candidate with the most tables (after the cap);
//      ties go to the one with the smallest total size (cheapest to merge), then the one with
//      the smallest first file number. Reason kSizeTiered.
//   4. Otherwise a tombstone rewrite: among tables whose num_deletions / num_entries exceeds
//      tombstone_threshold and whose age (now_ms - creation_time_ms) is at least
//      tombstone_compaction_interval_ms, the one with the highest ratio (ties: smallest file
//      number) is rewritten, together with every table whose storage-key range overlaps it
//      (the tombstones can only go with the versions they shadow). Reason kTombstones.
//   5. Otherwise nothing (reason kNone, no files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shale::storage {

struct CompactionOptions;

// What the picker needs to know about one live table.
struct CompactionTableInfo {
  uint64_t number = 0;
  uint64_t file_size = 0;
  uint64_t num_entries = 0;
  uint64_t num_deletions = 0;
  uint64_t creation_time_ms = 0;  // milliseconds since the epoch
  std::string smallest;           // internal keys (used only by rule 4's overlap)
  std::string largest;
};

enum class CompactionReason { kNone, kSizeTiered, kTombstones, kManual };

const char* CompactionReasonName(CompactionReason reason);

struct CompactionPick {
  CompactionReason reason = CompactionReason::kNone;
  std::vector<uint64_t> files;  // the chosen tables' numbers, smallest table first
  uint64_t input_bytes = 0;     // their total size
};

// The buckets of rule 1, each a list of indexes into `tables`, smallest table first; buckets
// are ordered by their first (smallest) table's size.
std::vector<std::vector<size_t>> BucketTables(const std::vector<CompactionTableInfo>& tables,
                                              const CompactionOptions& options);

// Rules 1 to 5. `now_ms` is the current time in milliseconds since the epoch.
CompactionPick PickCompaction(const std::vector<CompactionTableInfo>& tables,
                              const CompactionOptions& options, uint64_t now_ms);

}  // namespace shale::storage
