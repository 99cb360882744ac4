#include "storage/flush_job.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "storage/key_format.h"
#include "storage/table_file.h"
#include "storage/version_set.h"

namespace shale::storage {

namespace {

// Feeds the surviving entries of `input` to `builder` (rules in flush_job.h).
Status AddSurvivors(const FlushInput& input, TableBuilder* builder, FlushOutput* output) {
  std::unique_ptr<Iterator> iter = input.mem->NewIterator();
  SurvivorFilter filter(input.cutoffs, input.filter, input.older_tables_may_hold, input.snapshots);
  Status status;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    // Checked every entry: a relaxed load costs next to nothing beside building the table.
    if (input.cancel != nullptr && input.cancel->load(std::memory_order_relaxed)) {
      status = Status::Aborted("flush interrupted by shutdown");
      break;
    }
    filter.AddIfSurvives(iter->key(), iter->value(), builder);
  }
  output->entries_in = filter.entries_in;
  output->dropped_shadowed = filter.dropped_shadowed;
  output->dropped_dead = filter.dropped_dead;
  output->dropped_tombstones = filter.dropped_tombstones;
  output->dropped_filtered = filter.dropped_filtered;
  return status;
}

}  // namespace

Status WriteMemTableToTable(FileSystem* fs, const std::string& dir, uint64_t number,
                            const TableOptions& options, BlockCache* cache, const FlushInput& input,
                            FlushOutput* output) {
  *output = FlushOutput();
  const std::string path = JoinPath(dir, TableFileName(number));
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (!s.ok()) return s;

  TableBuilder builder(options, file.get());
  s = FinishTableFile(fs, dir, path, number, cache, AddSurvivors(input, &builder, output), &builder,
                      &file, &output->table, &output->meta);
  output->has_table = s.ok() && output->table != nullptr;
  return s;
}

}  // namespace shale::storage
