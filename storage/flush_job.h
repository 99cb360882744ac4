// Writing an immutable memtable out as a table file: the I/O half of a flush. The shard's flush
// worker calls it without holding any shard lock, then records the table in the manifest and
// installs it (shard.cc).
//
// What is written, in internal-key order:
//   - of each storage key, only the newest version in the memtable (no snapshot outlives a
//     call in this engine, so no older version can still be needed);
//   - no entry dead by a group drop: sequence below its group's cut-off as of the memtable's
//     last write (such an entry, and every older version of its key, is invisible for ever);
//   - no value the compaction filter drops (compaction_filter.h);
//   - a tombstone only when an older table may hold its key (otherwise it shadows nothing).
// When nothing is left the file is removed and no table results.
//
// The file is fsynced, closed and its directory entry fsynced before the call returns, so a
// manifest edit naming it may be written right after. On failure the partial file is removed
// (best effort: a leftover is a stray that the next open deletes).
#pragma once

#include <atomic>
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
#include "storage/memtable.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/table_builder.h"
#include "storage/version_edit.h"

namespace shale::storage {

struct FlushInput {
  const MemTable* mem = nullptr;
  // Entries of a dropped group below its cut-off are dead (nullable: none).
  const GroupCutoffs* cutoffs = nullptr;
  // Drops values the layer above no longer needs (nullable: none).
  const CompactionFilter* filter = nullptr;
  // Sequences of live snapshots, ascending: the versions they see are kept.
  std::vector<uint64_t> snapshots;
  // Whether an older table may hold a version of `storage_key` (its key range covers it).
  std::function<bool(std::string_view storage_key)> older_tables_may_hold;
  // Nullable. Once true (shutdown), the flush stops and returns Aborted, removing its partial
  // output; the memtable stays in its WAL, to be replayed at the next open.
  const std::atomic<bool>* cancel = nullptr;
};

struct FlushOutput {
  bool has_table = false;  // false: nothing survived, no file
  TableMeta meta;
  std::shared_ptr<const Table> table;  // the new table, open
  uint64_t entries_in = 0;             // memtable entries examined
  uint64_t dropped_shadowed = 0;       // older versions left out
  uint64_t dropped_dead = 0;           // entries dead by a group drop left out
  uint64_t dropped_tombstones = 0;     // tombstones that shadowed nothing
  uint64_t dropped_filtered = 0;       // values the compaction filter dropped
};

// Writes `input` to `dir`/TableFileName(number) with `options`, opening the result through
// `cache` (nullable).
Status WriteMemTableToTable(FileSystem* fs, const std::string& dir, uint64_t number,
                            const TableOptions& options, BlockCache* cache, const FlushInput& input,
                            FlushOutput* output);

}  // namespace shale::storage
