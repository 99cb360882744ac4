// The last steps every new SSTable goes through, whether a flush or a compaction wrote it:
// finish (or abandon) the builder, fsync the file and its directory, and open the result, which
// reads back and verifies the footer, index, filter and properties just written. Only then may a
// manifest edit name the table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/block_cache.h"
#include "storage/compaction_filter.h"
#include "storage/file_system.h"
#include "storage/group_cutoffs.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/table_builder.h"
#include "storage/version_edit.h"

namespace shale::storage {

// Decides, for entries seen in internal-key order (each key's newest version first), which ones a
// new table keeps, for flushes and compactions alike: only the newest version of each key and
// the versions live snapshots see (`snapshots`, ascending: a version is kept when a snapshot
// lies at or above it and below the next newer version); not
// an entry dead by a group drop (sequence below its group's cut-off in `cutoffs`, nullable); not
// a value the compaction filter (nullable) drops; not a tombstone unless `may_hold_older`
// (nullable = never) says another table may still hold an older version of its key (a filtered
// value becomes a tombstone in that case). Counts what it drops.
class SurvivorFilter {
 public:
  SurvivorFilter(const GroupCutoffs* cutoffs, const CompactionFilter* filter,
                 std::function<bool(std::string_view storage_key)> may_hold_older,
                 std::vector<uint64_t> snapshots = {})
      : cutoffs_(cutoffs),
        filter_(filter),
        may_hold_older_(std::move(may_hold_older)),
        snapshots_(std::move(snapshots)) {}

  // Adds the entry to `builder` if it survives (possibly as a tombstone).
  void AddIfSurvives(std::string_view internal_key, std::string_view value, TableBuilder* builder);

  uint64_t entries_in = 0;
  uint64_t dropped_shadowed = 0;
  uint64_t dropped_dead = 0;
  uint64_t dropped_tombstones = 0;
  uint64_t dropped_filtered = 0;  // values the compaction filter removed
  uint64_t changed_filtered = 0;  // values the compaction filter changed

 private:
  const GroupCutoffs* cutoffs_;
  const CompactionFilter* filter_;
  std::function<bool(std::string_view)> may_hold_older_;
  std::vector<uint64_t> snapshots_;
  uint64_t previous_sequence_ = 0;  // of the version before, same key
  std::string tombstone_;
  std::string new_value_;
  std::string previous_;
  bool has_previous_ = false;
};

// `status` is the outcome of building so far (e.g. the input iterator's). When it is OK and the
// builder holds entries, the table is finished, made durable, opened into *table and described
// in *meta (number `number`). Otherwise — a failure, or nothing to write — the file is removed,
// *table stays null, and the failure (or OK for "nothing") is returned. `*file` is closed and
// released either way.
Status FinishTableFile(FileSystem* fs, const std::string& dir, const std::string& path,
                       uint64_t number, BlockCache* cache, Status status, TableBuilder* builder,
                       std::unique_ptr<WritableFile>* file, std::shared_ptr<const Table>* table,
                       TableMeta* meta);

}  // namespace shale::storage
