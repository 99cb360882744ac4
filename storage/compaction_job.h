// Merging tables: the I/O half of a compaction. The shard's worker picks the inputs
// (compaction_picker.h) and calls RunCompaction without holding any shard lock; it then records
// "add the output, remove the inputs" in the manifest as one edit and installs the new version
// (shard.cc).
//
// What is written, in internal-key order (a MergingIterator over the inputs, newest first):
//   - of each storage key, only the newest version found in the inputs. Dropping the older ones
//     is safe because no snapshot outlives a single read call in this engine: a Get or a Scan
//     that started before the compaction holds a Version that still lists the input tables
//     themselves, and every later read sees the output, whose newest version wins exactly as it
//     did among the inputs;
//   - no entry dead by a group drop: sequence below the group's cut-off as recorded in the
//     manifest (a cut-off only in the WAL could still be lost by a crash under
//     appendfsync=everysec/no, so it is not used);
//   - no value the compaction filter drops (compaction_filter.h; a tombstone instead when a
//     table outside the merge may hold an older version);
//   - a tombstone only when a table outside the merge may hold an older version of its key
//     (its key range covers the key and its bloom filter does not rule it out). Memtables only
//     hold newer data than any table, so they never need it.
// When nothing is left no table results (the inputs simply go).
//
// The output is fsynced, closed and its directory entry fsynced before the call returns. On
// failure the partial file is removed (best effort: a leftover is a stray the next open
// deletes).
//
// Throughput: reads (key + value bytes of each input entry) and writes (bytes appended to the
// output) are paced by a RateLimiter shared by the shards.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block_cache.h"
#include "storage/compaction_filter.h"
#include "storage/file_system.h"
#include "storage/group_cutoffs.h"
#include "storage/mutex.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/table_builder.h"
#include "storage/thread_annotations.h"
#include "storage/version_edit.h"

namespace shale::storage {

class TableHandle;

// A token bucket: Request(n) returns once n bytes may pass at `rate` bytes per second (with a
// burst of a tenth of a second's worth). Rate 0 = unlimited. Thread-safe; the rate may change
// at any time and takes effect for waiting callers within 100 ms.
class RateLimiter {
 public:
  explicit RateLimiter(uint64_t bytes_per_sec);
  void SetRate(uint64_t bytes_per_sec);
  uint64_t rate() const { return rate_.load(std::memory_order_relaxed); }
  // Waits until `bytes` may pass, or until *cancel becomes true (nullable).
  void Request(uint64_t bytes, const std::atomic<bool>* cancel) EXCLUDES(mu_);

 private:
  std::atomic<uint64_t> rate_;
  Mutex mu_;
  double available_ GUARDED_BY(mu_) = 0;  // may go negative (debt)
  std::chrono::steady_clock::time_point last_ GUARDED_BY(mu_);
};

struct CompactionInput {
  // The tables to merge, newest first (as Version::tables orders them).
  std::vector<std::shared_ptr<const TableHandle>> tables;
  // Entries of a dropped group below its cut-off are dead (nullable: none).
  const GroupCutoffs* cutoffs = nullptr;
  // Drops values the layer above no longer needs (nullable: none).
  const CompactionFilter* filter = nullptr;
  // Sequences of live snapshots, ascending: the versions they see are kept.
  std::vector<uint64_t> snapshots;
  // Whether a table outside the merge may hold a version of `storage_key`.
  std::function<bool(std::string_view storage_key)> outside_may_hold;
  RateLimiter* limiter = nullptr;  // nullable
  // Nullable. Once true (shutdown), pacing waits end and the merge stops within a few entries:
  // RunCompaction returns Aborted and removes its partial output, leaving the inputs live, as
  // after a crash.
  const std::atomic<bool>* cancel = nullptr;
  // Called every kYieldInterval entries (nullable). The shard flushes memtables that froze
  // meanwhile, so a long merge never holds up flushes (and with them, memory and writes).
  std::function<void()> yield;
  static constexpr uint64_t kYieldInterval = 4096;
};

struct CompactionOutput {
  bool has_table = false;  // false: nothing survived, no file
  TableMeta meta;
  std::shared_ptr<const Table> table;  // the new table, open
  uint64_t entries_in = 0;
  uint64_t dropped_shadowed = 0;
  uint64_t dropped_dead = 0;
  uint64_t dropped_tombstones = 0;
  uint64_t dropped_filtered = 0;
  uint64_t bytes_read = 0;     // input file bytes
  uint64_t bytes_written = 0;  // output file bytes
};

// Merges `input` into `dir`/TableFileName(number) (rules above).
Status RunCompaction(FileSystem* fs, const std::string& dir, uint64_t number,
                     const TableOptions& options, BlockCache* cache, const CompactionInput& input,
                     CompactionOutput* output);

}  // namespace shale::storage
