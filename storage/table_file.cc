#include "storage/table_file.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace shale::storage {

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
