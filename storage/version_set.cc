#include "storage/version_set.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "storage/filename.h"
#include "storage/format.h"
#include "storage/key_format.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"

namespace shale::storage {

namespace {

std::string Where(const std::string& path, uint64_t offset) {
  return "manifest " + path + " at offset " + std::to_string(offset);
}

}  // namespace

// --- ManifestState ---

Status ManifestState::Apply(const VersionEdit& edit) {
  if (edit.snapshot()) *this = ManifestState();
  if (edit.log_number()) log_number = *edit.log_number();
  if (edit.next_file_number()) {
    next_file_number = std::max(next_file_number, *edit.next_file_number());
  }
  if (edit.last_sequence()) last_sequence = *edit.last_sequence();
  for (uint64_t number : edit.removed_tables()) {
    if (tables.erase(number) == 0) {
      return Status::Corruption("edit removes table " + std::to_string(number) +
                                ", which is not live");
    }
  }
  for (const TableMeta& table : edit.added_tables()) {
    if (!tables.emplace(table.number, table).second) {
      return Status::Corruption("edit adds table " + std::to_string(table.number) +
                                ", which is live already");
    }
    next_file_number = std::max(next_file_number, table.number + 1);
  }
  for (const auto& [db, count] : edit.counters()) {
    if (count == 0) {
      counters.erase(db);
    } else {
      counters[db] = count;
    }
  }
  for (const auto& [db, sequence] : edit.group_cutoffs()) {
    if (sequence == 0) {
      group_cutoffs.erase(db);
    } else {
      group_cutoffs[db] = sequence;
    }
  }
  if (edit.shard_count()) shard_count = *edit.shard_count();
  if (edit.durable_wal_sequence()) {
    durable_wal_sequence = *edit.durable_wal_sequence();
    durable_wal_files.clear();
    durable_wal_files.insert(edit.durable_wal_files().begin(), edit.durable_wal_files().end());
  }
  // WAL files below the log number are obsolete: their writes are in tables.
  durable_wal_files.erase(durable_wal_files.begin(), durable_wal_files.lower_bound(log_number));
  return Status::Ok();
}

VersionEdit ManifestState::Snapshot() const {
  VersionEdit edit;
  edit.SetSnapshot();
  edit.SetLogNumber(log_number);
  edit.SetNextFileNumber(next_file_number);
  edit.SetLastSequence(last_sequence);
  for (const auto& [number, table] : tables) edit.AddTable(table);
  for (const auto& [db, count] : counters) edit.SetCounter(db, count);
  for (const auto& [db, sequence] : group_cutoffs) edit.SetGroupCutoff(db, sequence);
  if (shard_count != 0) edit.SetShardCount(shard_count);
  if (durable_wal_sequence != 0 || !durable_wal_files.empty()) {
    edit.SetDurableWals(durable_wal_sequence, {durable_wal_files.begin(), durable_wal_files.end()});
  }
  return edit;
}

// --- TableHandle, Version ---

TableHandle::TableHandle(TableMeta meta, std::string path, FileSystem* fs, BlockCache* cache)
    : meta_(std::move(meta)), path_(std::move(path)), fs_(fs), cache_(cache) {}

TableHandle::TableHandle(TableMeta meta, std::shared_ptr<const Table> table)
    : meta_(std::move(meta)), path_(table->path()), table_(std::move(table)) {}

bool TableHandle::InRange(std::string_view storage_key) const {
  return storage_key >= InternalKeyStorageKey(meta_.smallest) &&
         storage_key <= InternalKeyStorageKey(meta_.largest);
}

Status TableHandle::GetTable(std::shared_ptr<const Table>* table) const {
  {
    MutexLock lock(&mu_);
    if (table_ != nullptr) {
      *table = table_;
      return Status::Ok();
    }
  }
  // Opened without the lock, so no thread waits for another's I/O; when two threads race,
  // the first to finish wins and the other's copy is dropped.
  std::unique_ptr<RandomAccessFile> file;
  Status s = fs_->NewRandomAccessFile(path_, &file);
  if (!s.ok()) return s;
  std::unique_ptr<Table> opened;
  s = Table::Open(path_, std::move(file), meta_.file_size, cache_, &opened);
  if (s.ok()) s = CheckTableMatchesMeta(path_, opened->properties(), meta_);
  if (!s.ok()) return s;
  MutexLock lock(&mu_);
  if (table_ == nullptr) table_ = std::move(opened);
  *table = table_;
  return Status::Ok();
}

TableHandle::~TableHandle() {
  if (obsolete_fs_ == nullptr) return;
  if (table_ != nullptr && obsolete_cache_ != nullptr) {
    obsolete_cache_->EraseTable(table_->cache_id());
  }
  table_.reset();
  Status s = obsolete_fs_->RemoveFile(path_);
  if (!s.ok()) {
    spdlog::warn("could not remove the obsolete table file {}: {}", path_, s.ToString());
  }
}

void TableHandle::MarkObsolete(FileSystem* fs, BlockCache* cache) const {
  MutexLock lock(&mu_);
  obsolete_fs_ = fs;
  obsolete_cache_ = cache;
}

bool TableHandle::is_open() const {
  MutexLock lock(&mu_);
  return table_ != nullptr;
}

std::shared_ptr<const Version> Version::With(std::vector<std::shared_ptr<const TableHandle>> added,
                                             const std::vector<uint64_t>& removed) const {
  auto next = std::make_shared<Version>();
  next->tables = std::move(added);
  for (const auto& table : tables) {
    if (std::find(removed.begin(), removed.end(), table->meta().number) == removed.end()) {
      next->tables.push_back(table);
    }
  }
  std::sort(next->tables.begin(), next->tables.end(), [](const auto& a, const auto& b) {
    if (a->meta().largest_sequence != b->meta().largest_sequence) {
      return a->meta().largest_sequence > b->meta().largest_sequence;
    }
    return a->meta().number > b->meta().number;
  });
  for (const auto& table : next->tables) next->table_bytes += table->meta().file_size;
  return next;
}

Status CheckTableMatchesMeta(const std::string& path, const TableProperties& props,
                             const TableMeta& meta) {
  if (props.num_entries != meta.entries || props.smallest_key != meta.smallest ||
      props.largest_key != meta.largest || props.smallest_sequence != meta.smallest_sequence ||
      props.largest_sequence != meta.largest_sequence) {
    return Status::Corruption(path +
                              ": not the table the manifest lists (its entries, key range "
                              "or sequence range differ): replaced by another table");
  }
  return Status::Ok();
}

Status CheckTableFile(FileSystem* fs, const std::string& path, uint64_t expected_size) {
  if (!fs->FileExists(path)) {
    return Status::Corruption(path + ": table file listed in the manifest is missing");
  }
  uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  if (!s.ok()) return s;
  if (size != expected_size) {
    return Status::Corruption(path + ": table file is " + std::to_string(size) +
                              " bytes but the manifest records " + std::to_string(expected_size) +
                              " (truncated or replaced)");
  }
  if (size < kFooterSize) {
    return Status::Corruption(path + ": table file of " + std::to_string(size) +
                              " bytes is too small to be a table");
  }
  std::unique_ptr<RandomAccessFile> file;
  s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  char scratch[kFooterSize];
  std::string_view footer_bytes;
  s = file->Read(size - kFooterSize, kFooterSize, scratch, &footer_bytes);
  if (!s.ok()) return s;
  if (footer_bytes.size() != kFooterSize) {
    return Status::Corruption(path + ": short read of the table footer");
  }
  Footer footer;
  s = footer.DecodeFrom(footer_bytes);
  if (!s.ok()) {
    return Status::Corruption(path + ": not the table the manifest lists: " + s.message());
  }
  return Status::Ok();
}

// --- VersionSet ---

VersionSet::VersionSet(FileSystem* fs, std::string dir, uint32_t shard_index,
                       uint64_t max_manifest_size)
    : fs_(fs),
      dir_(std::move(dir)),
      shard_index_(shard_index),
      max_manifest_size_(max_manifest_size) {}

VersionSet::~VersionSet() = default;

uint64_t VersionSet::manifest_size() const { return writer_ != nullptr ? writer_->Size() : 0; }

Status VersionSet::Replay(const std::string& path, ManifestState* state) {
  uint64_t size = 0;
  Status s = fs_->GetFileSize(path, &size);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  s = fs_->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  log::LogReader reader(file.get(), size, shard_index_);
  ManifestState replayed;
  bool have_snapshot = false;
  bool done = false;
  while (!done) {
    using Outcome = log::LogReader::Outcome;
    switch (reader.Next()) {
      case Outcome::kRecord: {
        VersionEdit edit;
        s = edit.DecodeFrom(reader.payload());
        if (!s.ok()) {
          return Status::Corruption(Where(path, reader.record_offset()) + ": " + s.message());
        }
        if (!have_snapshot && !edit.snapshot()) {
          return Status::Corruption(Where(path, reader.record_offset()) +
                                    ": the first edit is not a snapshot");
        }
        have_snapshot = true;
        s = replayed.Apply(edit);
        if (!s.ok()) {
          return Status::Corruption(Where(path, reader.record_offset()) + ": " + s.message());
        }
        break;
      }
      case Outcome::kEnd:
        done = true;
        break;
      case Outcome::kTornTail:
        spdlog::warn("{}: torn last record ({}) ignored: an edit whose fsync never completed",
                     Where(path, reader.bad_offset()), reader.bad_reason());
        done = true;
        break;
      case Outcome::kCorruptTail:
        return Status::Corruption(Where(path, reader.bad_offset()) + ": " + reader.bad_reason() +
                                  " in the last record, which is complete (damage, not a torn "
                                  "append)");
      case Outcome::kBadHeader:
        if (reader.foreign()) {
          return Status::Corruption(path + ": not a manifest of shard " +
                                    std::to_string(shard_index_) + ": " + reader.bad_reason());
        }
        [[fallthrough]];
      case Outcome::kCorruption:
        return Status::Corruption(Where(path, reader.bad_offset()) + ": " + reader.bad_reason() +
                                  ", followed by valid records at offset " +
                                  std::to_string(reader.resume_offset()));
      case Outcome::kIOError:
        return reader.status();
    }
  }
  if (!have_snapshot) return Status::Corruption(path + ": holds no complete snapshot edit");
  *state = std::move(replayed);
  return Status::Ok();
}

Status VersionSet::Recover(bool* found) {
  *found = false;
  state_ = ManifestState();
  manifest_number_ = 0;
  writer_.reset();

  std::vector<std::string> names;
  Status s = fs_->GetChildren(dir_, &names);
  if (!s.ok()) return s;
  std::vector<uint64_t> manifests;
  for (const std::string& name : names) {
    uint64_t number = 0;
    if (ParseManifestFileName(name, &number)) manifests.push_back(number);
  }

  const std::string current_path = JoinPath(dir_, kCurrentFileName);
  ManifestState state;
  uint64_t number = 0;
  if (fs_->FileExists(current_path)) {
    std::string contents;
    s = ReadFileToString(fs_, current_path, &contents);
    if (!s.ok()) return s;
    std::string name = contents;
    if (!name.empty() && name.back() == '\n') name.pop_back();
    if (!ParseManifestFileName(name, &number)) {
      return Status::Corruption(current_path + ": does not name a manifest: \"" + contents + "\"");
    }
    const std::string path = JoinPath(dir_, name);
    if (!fs_->FileExists(path)) {
      return Status::Corruption(current_path + " names " + name + ", which does not exist");
    }
    s = Replay(path, &state);
    if (!s.ok()) return s;
  } else if (!manifests.empty()) {
    std::sort(manifests.rbegin(), manifests.rend());
    Status first_error;
    bool recovered = false;
    for (uint64_t candidate : manifests) {
      const std::string path = JoinPath(dir_, ManifestFileName(candidate));
      s = Replay(path, &state);
      if (s.ok()) {
        spdlog::warn("{}: CURRENT is missing; recovered from {}, the newest intact manifest", dir_,
                     path);
        number = candidate;
        recovered = true;
        break;
      }
      if (first_error.ok()) first_error = s;
    }
    if (!recovered) {
      return Status::Corruption(
          dir_ + ": CURRENT is missing and no manifest is intact: " + first_error.message());
    }
  } else {
    return Status::Ok();
  }
  state.next_file_number = std::max(state.next_file_number, number + 1);
  state_ = std::move(state);
  manifest_number_ = number;
  *found = true;
  return Status::Ok();
}

Status VersionSet::WriteNewManifest(uint64_t number, ManifestState* state) {
  const std::string path = JoinPath(dir_, ManifestFileName(number));
  state->next_file_number = std::max(state->next_file_number, number + 1);
  std::string payload;
  state->Snapshot().EncodeTo(&payload);

  writer_.reset();
  std::unique_ptr<log::LogWriter> writer;
  Status s =
      log::LogWriter::Create(fs_, path, {log::kFormatVersion, shard_index_, number}, &writer);
  if (s.ok()) s = writer->AddRecord(log::RecordType::kBatch, payload);
  if (s.ok()) s = writer->Sync();
  if (s.ok()) s = fs_->SyncDir(dir_);
  if (!s.ok()) {
    // CURRENT does not name it: the file is of no use.
    writer.reset();
    if (fs_->FileExists(path) && !fs_->RemoveFile(path).ok()) {
      spdlog::warn("shard {}: could not remove {}; the next open removes it", shard_index_, path);
    }
    spdlog::error("shard {}: writing manifest {} failed: {}", shard_index_, path, s.ToString());
    return s;
  }
  // Once the rename may have happened CURRENT may name the new file, so it stays even when the
  // switch fails; the next edit then starts yet another manifest.
  s = WriteFileAtomically(fs_, JoinPath(dir_, kCurrentFileName), ManifestFileName(number) + "\n");
  if (!s.ok()) {
    spdlog::error("shard {}: switching CURRENT to {} failed: {}", shard_index_, path, s.ToString());
    return s;
  }
  const uint64_t previous = manifest_number_;
  snapshot_size_ = writer->Size();
  writer_ = std::move(writer);
  manifest_number_ = number;
  if (previous != 0 && previous != number) {
    const std::string old_path = JoinPath(dir_, ManifestFileName(previous));
    Status r = fs_->RemoveFile(old_path);
    if (!r.ok()) {
      spdlog::warn("shard {}: could not remove the old manifest {}: {}", shard_index_, old_path,
                   r.ToString());
    }
  }
  return Status::Ok();
}

Status VersionSet::LogAndApply(const VersionEdit& edit,
                               const std::function<uint64_t()>& allocate_number,
                               bool new_manifest) {
  ManifestState next = state_;
  Status s = next.Apply(edit);
  if (!s.ok()) return s;
  if (new_manifest || writer_ == nullptr ||
      writer_->Size() >= std::max(max_manifest_size_, 2 * snapshot_size_)) {
    s = WriteNewManifest(allocate_number(), &next);
    if (!s.ok()) return s;
    state_ = std::move(next);
    return Status::Ok();
  }
  std::string payload;
  edit.EncodeTo(&payload);
  s = writer_->AddRecord(log::RecordType::kBatch, payload);
  if (s.ok()) s = writer_->Sync();
  if (!s.ok()) {
    spdlog::error(
        "shard {}: appending to manifest {} failed: {}; the next edit starts a new "
        "manifest",
        shard_index_, ManifestFileName(manifest_number_), s.ToString());
    writer_.reset();
    return s;
  }
  state_ = std::move(next);
  return Status::Ok();
}

}  // namespace shale::storage
