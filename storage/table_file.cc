#include "storage/table_file.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "storage/key_format.h"

namespace shale::storage {

void SurvivorFilter::AddIfSurvives(std::string_view internal_key, std::string_view value,
                                   TableBuilder* builder) {
  ++entries_in;
  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  if (has_previous_ && parsed.storage_key == previous_) {
    // An older version (the newest came first): kept only for a snapshot that sees it, one in
    // [its sequence, the next newer version's).
    const uint64_t newer = previous_sequence_;
    previous_sequence_ = parsed.sequence;
    auto it = std::lower_bound(snapshots_.begin(), snapshots_.end(), parsed.sequence);
    if (it == snapshots_.end() || *it >= newer) {
      ++dropped_shadowed;
      return;
    }
  } else {
    previous_.assign(parsed.storage_key.data(), parsed.storage_key.size());
    has_previous_ = true;
    previous_sequence_ = parsed.sequence;
  }
  if (cutoffs_ != nullptr && cutoffs_->IsDead(parsed.storage_key, parsed.sequence)) {
    ++dropped_dead;
    return;
  }
  // An older version may stay: in another table, or in this one for a snapshot below this one.
  const bool may_hold_older = (!snapshots_.empty() && snapshots_.front() < parsed.sequence) ||
                              (may_hold_older_ && may_hold_older_(parsed.storage_key));
  if (parsed.kind == ValueKind::kDeletion) {
    if (may_hold_older) {
      builder->Add(internal_key, value);
    } else {
      ++dropped_tombstones;
    }
    return;
  }
  if (filter_ != nullptr) {
    using Decision = CompactionFilter::Decision;
    switch (filter_->Filter(parsed.storage_key, value, &new_value_)) {
      case Decision::kKeep:
        break;
      case Decision::kRemove:
        ++dropped_filtered;
        if (may_hold_older) {
          tombstone_.clear();
          AppendInternalKey(parsed.storage_key, parsed.sequence, ValueKind::kDeletion, &tombstone_);
          builder->Add(tombstone_, {});
        }
        return;
      case Decision::kChangeValue:
        ++changed_filtered;
        builder->Add(internal_key, new_value_);
        return;
    }
  }
  builder->Add(internal_key, value);
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
