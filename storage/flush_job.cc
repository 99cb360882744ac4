#include "storage/flush_job.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "storage/key_format.h"
#include "storage/table_file.h"
#include "storage/version_set.h"

namespace shale::storage {

namespace {

// Feeds the surviving entries of `input` to `builder` (rules in flush_job.h).
void AddSurvivors(const FlushInput& input, TableBuilder* builder, FlushOutput* output) {
  std::unique_ptr<Iterator> iter = input.mem->NewIterator();
  std::string previous;
  bool has_previous = false;
  for (iter->SeekToFirst(); iter->Valid(); iter->Next()) {
    ++output->entries_in;
    const ParsedInternalKey parsed = ParseInternalKey(iter->key());
    if (has_previous && parsed.storage_key == previous) {
      ++output->dropped_shadowed;  // an older version: the newest came first
      continue;
    }
    previous.assign(parsed.storage_key.data(), parsed.storage_key.size());
    has_previous = true;
    const size_t db =
        parsed.storage_key.size() >= kDbPrefixSize ? StorageKeyDb(parsed.storage_key) : 0;
    const uint64_t boundary = db < input.flushed_before->size() ? (*input.flushed_before)[db] : 0;
    if (parsed.sequence < boundary) {
      ++output->dropped_dead;
      continue;
    }
    if (parsed.kind == ValueKind::kDeletion &&
        !(input.older_tables_may_hold && input.older_tables_may_hold(parsed.storage_key))) {
      ++output->dropped_tombstones;
      continue;
    }
    builder->Add(iter->key(), iter->value());
  }
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
  AddSurvivors(input, &builder, output);
  s = FinishTableFile(fs, dir, path, number, cache, Status::Ok(), &builder, &file, &output->table,
                      &output->meta);
  output->has_table = s.ok() && output->table != nullptr;
  return s;
}

}  // namespace shale::storage
