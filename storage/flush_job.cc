#include "storage/flush_job.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "storage/key_format.h"
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
  s = builder.status();
  const bool empty = s.ok() && builder.NumEntries() == 0;
  if (!s.ok() || empty) {
    builder.Abandon();
  } else {
    s = builder.Finish();
  }
  if (s.ok() && !empty) s = file->Sync();
  if (s.ok()) s = file->Close();
  file.reset();
  if (s.ok() && !empty) s = fs->SyncDir(dir);

  std::shared_ptr<const Table> table;
  if (s.ok() && !empty) {
    // Opening reads back and verifies the footer, index, filter and properties just written.
    std::unique_ptr<RandomAccessFile> reader;
    s = fs->NewRandomAccessFile(path, &reader);
    std::unique_ptr<Table> opened;
    if (s.ok()) s = Table::Open(path, std::move(reader), builder.FileSize(), cache, &opened);
    if (s.ok()) table = std::move(opened);
  }
  if (!s.ok() || empty) {
    Status removed = fs->RemoveFile(path);
    if (!removed.ok() && s.ok()) {
      // Nothing survived but the empty file stays: a stray the next open deletes.
      spdlog::warn("could not remove the empty table file {}: {}", path, removed.ToString());
    }
    return s;
  }

  const TableProperties& props = builder.properties();
  output->has_table = true;
  output->table = std::move(table);
  output->meta.number = number;
  output->meta.file_size = builder.FileSize();
  output->meta.smallest = props.smallest_key;
  output->meta.largest = props.largest_key;
  output->meta.smallest_sequence = props.smallest_sequence;
  output->meta.largest_sequence = props.largest_sequence;
  output->meta.entries = props.num_entries;
  return Status::Ok();
}

}  // namespace shale::storage
