#include "storage/table_file.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "storage/key_format.h"

namespace shale::storage {

bool SurvivorFilter::Keep(std::string_view internal_key) {
  ++entries_in;
  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  if (has_previous_ && parsed.storage_key == previous_) {
    ++dropped_shadowed;  // an older version: the newest came first
    return false;
  }
  previous_.assign(parsed.storage_key.data(), parsed.storage_key.size());
  has_previous_ = true;
  const size_t db =
      parsed.storage_key.size() >= kDbPrefixSize ? StorageKeyDb(parsed.storage_key) : 0;
  const uint64_t boundary =
      flushed_before_ != nullptr && db < flushed_before_->size() ? (*flushed_before_)[db] : 0;
  if (parsed.sequence < boundary) {
    ++dropped_dead;
    return false;
  }
  if (parsed.kind == ValueKind::kDeletion &&
      !(may_hold_older_ && may_hold_older_(parsed.storage_key))) {
    ++dropped_tombstones;
    return false;
  }
  return true;
}

Status FinishTableFile(FileSystem* fs, const std::string& dir, const std::string& path,
                       uint64_t number, BlockCache* cache, Status status, TableBuilder* builder,
                       std::unique_ptr<WritableFile>* file, std::shared_ptr<const Table>* table,
                       TableMeta* meta) {
  Status s = std::move(status);
  if (s.ok()) s = builder->status();
  const bool empty = s.ok() && builder->NumEntries() == 0;
  if (!s.ok() || empty) {
    builder->Abandon();
  } else {
    s = builder->Finish();
  }
  if (s.ok() && !empty) s = (*file)->Sync();
  if (s.ok()) s = (*file)->Close();
  file->reset();
  if (s.ok() && !empty) s = fs->SyncDir(dir);

  if (s.ok() && !empty) {
    std::unique_ptr<RandomAccessFile> reader;
    s = fs->NewRandomAccessFile(path, &reader);
    std::unique_ptr<Table> opened;
    if (s.ok()) s = Table::Open(path, std::move(reader), builder->FileSize(), cache, &opened);
    if (s.ok()) *table = std::move(opened);
  }
  if (!s.ok() || empty) {
    Status removed = fs->RemoveFile(path);
    if (!removed.ok() && s.ok()) {
      // Nothing survived but the empty file stays: a stray the next open deletes.
      spdlog::warn("could not remove the empty table file {}: {}", path, removed.ToString());
    }
    return s;
  }

  const TableProperties& props = builder->properties();
  meta->number = number;
  meta->file_size = builder->FileSize();
  meta->smallest = props.smallest_key;
  meta->largest = props.largest_key;
  meta->smallest_sequence = props.smallest_sequence;
  meta->largest_sequence = props.largest_sequence;
  meta->entries = props.num_entries;
  return Status::Ok();
}

}  // namespace shale::storage
