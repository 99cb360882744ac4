#include "storage/shard.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <unordered_set>
#include <utility>

#include "storage/filename.h"
#include "storage/flush_job.h"
#include "storage/key_format.h"
#include "storage/log_reader.h"
#include "storage/merging_iterator.h"
#include "storage/table.h"

namespace shale::storage {

namespace {

// A version the reader sees: live unless it is a tombstone or dead by a group drop.
bool IsLive(ValueKind kind, uint64_t sequence, uint64_t cutoff) {
  return kind == ValueKind::kValue && sequence >= cutoff;
}

// Writes the manifest records as durable are missing from the WAL files: refused by
// absolute-consistency and tolerate-corrupted-tail-records (neither accepts losing a complete,
// acknowledged record), accepted with a warning by point-in-time and skip-any.
Status WalLoss(uint32_t shard, WalRecoveryMode mode, const std::string& what) {
  const std::string mode_name(WalRecoveryModeName(mode));
  if (mode == WalRecoveryMode::kPointInTimeRecovery ||
      mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
    spdlog::warn("shard {}: {}; wal-recovery-mode {} starts without them", shard, what, mode_name);
    return Status::Ok();
  }
  std::string msg = what + "; wal-recovery-mode " + mode_name +
                    " refuses to start (restore the file, or set wal-recovery-mode to "
                    "point-in-time-recovery or skip-any-corrupted-records to start without "
                    "those writes)";
  spdlog::error("shard {}: {}", shard, msg);
  return Status::Corruption(std::move(msg));
}

// Every record of one WAL file, read on its own (Shard::Verify).
ShardFileFinding CheckWalFile(FileSystem* fs, const std::string& path, uint32_t shard) {
  ShardFileFinding finding{path, Status::Ok(), ""};
  uint64_t size = 0;
  std::unique_ptr<RandomAccessFile> file;
  Status s = fs->GetFileSize(path, &size);
  if (s.ok()) s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) {
    finding.status = s;
    return finding;
  }
  log::LogReader reader(file.get(), size, shard);
  uint64_t records = 0;
  for (;;) {
    using Outcome = log::LogReader::Outcome;
    const Outcome o = reader.Next();
    const std::string at = "at offset " + std::to_string(reader.bad_offset()) + ": ";
    switch (o) {
      case Outcome::kRecord: {
        s = WriteBatch::Iterate(reader.payload(), /*handler=*/nullptr);  // validates only
        if (!s.ok()) {
          finding.status =
              Status::Corruption("unusable record at offset " +
                                 std::to_string(reader.record_offset()) + ": " + s.message());
          return finding;
        }
        ++records;
        continue;
      }
      case Outcome::kEnd:
        finding.note = std::to_string(records) + " record(s)";
        return finding;
      case Outcome::kTornTail:
        finding.note = std::to_string(records) + " record(s), torn tail " + at +
                       reader.bad_reason() + " (what a crash leaves; start-up cuts it off)";
        return finding;
      case Outcome::kCorruptTail:
        finding.status = Status::Corruption("corrupt last record " + at + reader.bad_reason() +
                                            " (the record is complete: damage, not a torn write)");
        return finding;
      case Outcome::kCorruption:
        finding.status = Status::Corruption("corrupt record " + at + reader.bad_reason() +
                                            ", followed by valid records at offset " +
                                            std::to_string(reader.resume_offset()));
        return finding;
      case Outcome::kBadHeader:
        finding.status = Status::Corruption(
            reader.foreign()
                ? "not a WAL file of shard " + std::to_string(shard) + ": " + reader.bad_reason()
                : "bad WAL header " + at + reader.bad_reason());
        return finding;
      case Outcome::kIOError:
        finding.status = reader.status();
        return finding;
    }
  }
}

// Every block of a table the manifest lists, and its properties against the manifest's record.
ShardFileFinding CheckListedTable(FileSystem* fs, const std::string& path, const TableMeta& meta) {
  ShardFileFinding finding{path, Status::Ok(), ""};
  Status s = CheckTableFile(fs, path, meta.file_size);
  std::unique_ptr<RandomAccessFile> file;
  std::unique_ptr<Table> table;
  if (s.ok()) s = fs->NewRandomAccessFile(path, &file);
  if (s.ok()) s = Table::Open(path, std::move(file), meta.file_size, /*cache=*/nullptr, &table);
  if (s.ok()) s = table->VerifyChecksums();
  if (s.ok()) s = CheckTableMatchesMeta(path, table->properties(), meta);
  finding.status = s;
  return finding;
}

}  // namespace

// Applies a batch's entries to the memtable, the counters and the group cut-offs: for a write
// and for a replayed record alike. REQUIRES: mu_ held, or the shard not yet shared. The
// analysis checks the bodies against REQUIRES(mu_) but not the callers: WriteBatch::Iterate
// reaches these through the base class.
class Shard::ApplyHandler final : public WriteBatch::Handler {
 public:
  explicit ApplyHandler(Shard* shard) : shard_(shard) {}

  void Put(uint64_t sequence, std::string_view key, std::string_view value) override
      REQUIRES(shard_->mu_) {
    shard_->mem_->Add(sequence, ValueKind::kValue, key, value);
  }
  void Delete(uint64_t sequence, std::string_view key) override REQUIRES(shard_->mu_) {
    shard_->mem_->Add(sequence, ValueKind::kDeletion, key, {});
  }
  void DropGroup(uint64_t sequence, uint16_t group) override REQUIRES(shard_->mu_) {
    shard_->cutoffs_.Set(group, sequence);
  }
  void AddCounter(uint32_t counter, int64_t delta) override REQUIRES(shard_->mu_) {
    shard_->AdjustCounter(counter, delta);
  }
  void SetCounter(uint32_t counter, int64_t value) override REQUIRES(shard_->mu_) {
    if (value == 0) {
      shard_->counters_.erase(counter);
    } else {
      shard_->counters_[counter] = value;
    }
  }

 private:
  Shard* const shard_;
};

Shard::Shard(const ShardOptions& options)
    : options_(options),
      fs_(options.fs),
      mem_(std::make_shared<MemTable>()),
      version_(std::make_shared<Version>()),
      wal_(options.fs, options.dir, options.index),
      versions_(options.fs, options.dir, options.index, options.max_manifest_size) {}

Shard::~Shard() {
  BeginStop();
  if (worker_.joinable()) worker_.join();
  if (opened_) RecordDurableWals();
}

void Shard::BeginStop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
    stopping_.store(true);
  }
  work_cv_.notify_all();
  flushed_cv_.notify_all();
  stall_cv_.notify_all();
}

std::string Shard::WalPath(uint64_t number) const {
  return JoinPath(options_.dir, WalFileName(number));
}

uint64_t Shard::AllocateFileNumber() {
  MutexLock lock(&mu_);
  return next_file_number_++;
}

Status Shard::Open(const ShardOptions& options, std::unique_ptr<Shard>* shard,
                   WalRecoveryResult* recovery) {
  std::unique_ptr<Shard> s(new Shard(options));
  Status status = s->fs_->CreateDir(options.dir);
  if (status.ok()) status = s->Recover(recovery, /*read_only=*/false);
  if (status.ok()) status = s->StartNewWal();
  if (status.ok()) {
    // A fresh manifest holding the recovered state; the one replayed goes.
    VersionEdit edit;
    {
      MutexLock lock(&s->mu_);
      edit.SetNextFileNumber(s->next_file_number_);
      if (options.shard_count > 0) edit.SetShardCount(static_cast<uint32_t>(options.shard_count));
      // What is known durable now: less than recorded when the recovery mode accepted a loss.
      const ManifestState& state = s->versions_.state();
      const uint64_t durable = std::min(state.durable_wal_sequence, s->last_sequence_);
      std::vector<uint64_t> listed;
      for (uint64_t number : state.durable_wal_files) {
        if (s->wal_.HasClosed(number)) listed.push_back(number);
      }
      if (durable != state.durable_wal_sequence ||
          listed.size() != state.durable_wal_files.size()) {
        edit.SetDurableWals(durable, std::move(listed));
      }
    }
    Shard* self = s.get();
    status = s->versions_.LogAndApply(
        edit, [self] { return self->AllocateFileNumber(); }, /*new_manifest=*/true);
  }
  if (!status.ok()) return status;
  s->RemoveStrayFiles();
  {
    MutexLock lock(&s->mu_);
    // WAL replay may have filled more than a memtable: hand it to the worker at once.
    if (s->mem_->entries() > 0 && s->mem_->ApproximateMemoryUsage() >= options.memtable_size) {
      s->imm_.push_back({s->mem_, s->wal_.number(), s->last_sequence_, s->counters_, s->cutoffs_});
      s->mem_ = std::make_shared<MemTable>();
    }
  }
  Shard* self = s.get();
  s->worker_ = std::thread([self] { self->WorkerLoop(); });
  s->opened_ = true;
  *shard = std::move(s);
  return Status::Ok();
}

namespace {

// Finds the kParticipants entry of a batch, if any.
class PartFinder final : public WriteBatch::Handler {
 public:
  void Put(uint64_t, std::string_view, std::string_view) override {}
  void Delete(uint64_t, std::string_view) override {}
  void DropGroup(uint64_t, uint16_t) override {}
  void AddCounter(uint32_t, int64_t) override {}
  void SetCounter(uint32_t, int64_t) override {}
  void Participants(const std::vector<TxnParticipant>& parts) override { this->parts = parts; }
  std::vector<TxnParticipant> parts;
};

}  // namespace

Status Shard::ApplyReplayedBatch(std::string_view payload) {
  uint64_t first = 0;
  uint32_t count = 0;
  Status s = WriteBatch::ReadHeader(payload, &first, &count);
  if (!s.ok()) return s;
  if (count == 0 || first == 0 || first > kMaxSequence - count + 1) {
    return Status::Corruption("write batch: bad sequence range");
  }
  // Written twice (a retry after a failed fsync), or in a table already: applied.
  if (first <= last_sequence_) return Status::Ok();
  // Sequences are handed out one after another and every WAL file continues the one before,
  // so a batch that does not start right after the last one means writes are missing: a WAL
  // file before it was removed, emptied or cut. A bad record at this offset for the recovery
  // mode (wal_recovery.h); only skip-any goes on with the gap.
  if (first != last_sequence_ + 1) {
    std::string gap = "write batch starts at sequence " + std::to_string(first) +
                      " but the writes before it end at sequence " +
                      std::to_string(last_sequence_) + ": writes " +
                      std::to_string(last_sequence_ + 1) + ".." + std::to_string(first - 1) +
                      " are missing (a WAL file before this record was removed, emptied or cut";
    // The writes before the gap are what the manifest's tables hold: a manifest cut back to an
    // earlier edit forgets a table and shows up here too, so name it as a suspect as well.
    if (versions_.manifest_number() != 0) {
      gap += ", or " + ManifestFileName(versions_.manifest_number()) +
             " lost the edit recording the table that holds them";
    }
    gap += ")";
    if (options_.wal_recovery_mode != WalRecoveryMode::kSkipAnyCorruptedRecords) {
      return Status::Corruption(std::move(gap));
    }
    spdlog::warn("shard {}: {}; skip-any-corrupted-records goes on without them", options_.index,
                 gap);
  }
  PartFinder finder;
  s = WriteBatch::Iterate(payload, &finder);
  if (!s.ok()) return s;
  if (collect_parts_ != nullptr) {
    if (!finder.parts.empty()) collect_parts_->push_back({first, std::move(finder.parts)});
    last_sequence_ = first + count - 1;
    return Status::Ok();
  }
  if (!finder.parts.empty() && options_.part_complete &&
      !options_.part_complete(first, finder.parts)) {
    spdlog::warn(
        "shard {}: left out the write at sequences {}..{}: it is part of an atomic write across "
        "shards whose part in another shard never became durable",
        options_.index, first, first + count - 1);
    ++discarded_parts_;
    last_sequence_ = first + count - 1;
    return Status::Ok();
  }
  ApplyHandler handler(this);
  s = WriteBatch::Iterate(payload, &handler);
  if (!s.ok()) return s;
  last_sequence_ = first + count - 1;
  return Status::Ok();
}

Status Shard::CollectParts(const ShardOptions& options, std::vector<CollectedPart>* parts,
                           uint64_t* table_sequence) {
  *table_sequence = 0;
  if (!options.fs->FileExists(options.dir)) return Status::Ok();
  ShardOptions read_options = options;
  read_options.block_cache = nullptr;
  std::unique_ptr<Shard> shard(new Shard(read_options));
  shard->collect_parts_ = parts;
  WalRecoveryResult recovery;
  Status s = shard->Recover(&recovery, /*read_only=*/true);
  *table_sequence = shard->versions_.state().last_sequence;
  return s;
}

Status Shard::Recover(WalRecoveryResult* recovery, bool read_only) {
  bool found = false;
  Status s = versions_.Recover(&found);
  if (!s.ok()) return s;
  const ManifestState& state = versions_.state();
  if (state.shard_count != 0 && options_.shard_count != 0 &&
      state.shard_count != static_cast<uint32_t>(options_.shard_count)) {
    std::string msg = JoinPath(options_.dir, ManifestFileName(versions_.manifest_number())) +
                      " records a data directory of " + std::to_string(state.shard_count) +
                      " shards, but its SHARDS file says " + std::to_string(options_.shard_count) +
                      ": the SHARDS file was changed; keys would be routed to the wrong shards";
    spdlog::error("shard {}: {}", options_.index, msg);
    return Status::Corruption(std::move(msg));
  }

  std::vector<std::string> names;
  s = fs_->GetChildren(options_.dir, &names);
  if (!s.ok()) return s;
  std::vector<WalFileInfo> files;
  uint64_t max_number = 0;
  bool has_tables = false;
  for (const std::string& name : names) {
    uint64_t number = 0;
    if (ParseWalFileName(name, /*dropped=*/false, &number)) {
      if (number >= state.log_number) files.push_back({number, JoinPath(options_.dir, name)});
    } else if (ParseWalFileName(name, /*dropped=*/true, &number)) {
    } else if (ParseTableFileName(name, &number)) {
      has_tables = true;
    } else if (!ParseManifestFileName(name, &number)) {
      continue;
    }
    max_number = std::max(max_number, number);
  }
  if (!found && has_tables) {
    return Status::Corruption(options_.dir +
                              ": holds table files but no manifest (CURRENT and MANIFEST files "
                              "are missing); refusing to start rather than ignore the tables");
  }

  // The manifest's state.
  for (const auto& [counter, value] : state.counters) {
    counters_[counter] = static_cast<int64_t>(value);
  }
  cutoffs_ = GroupCutoffs::FromMap(state.group_cutoffs);
  last_sequence_ = state.last_sequence;
  log_number_ = state.log_number;
  std::vector<std::shared_ptr<const TableHandle>> tables;
  for (const auto& [number, meta] : state.tables) {
    const std::string path = JoinPath(options_.dir, TableFileName(number));
    s = CheckTableFile(fs_, path, meta.file_size);
    if (!s.ok()) {
      spdlog::error("shard {}: {}", options_.index, s.message());
      return s;
    }
    tables.push_back(std::make_shared<TableHandle>(meta, path, fs_, options_.block_cache));
  }
  version_ = Version().With(std::move(tables), {});
  open_tables_ = !version_->tables.empty();
  next_file_number_ = std::max(state.next_file_number, max_number + 1);

  // Then the WAL files the manifest does not cover.
  std::sort(files.begin(), files.end(),
            [](const WalFileInfo& a, const WalFileInfo& b) { return a.number < b.number; });
  s = CheckListedWalsPresent(files);
  if (!s.ok()) return s;
  auto handler = [this](std::string_view payload) { return ApplyReplayedBatch(payload); };
  s = RecoverWalFiles(fs_, files, options_.index, options_.wal_recovery_mode, handler, recovery,
                      read_only);
  if (!s.ok()) return s;
  s = CheckDurableWritesReplayed();
  if (!s.ok()) return s;

  // Files holding no batch are of no use: remove them. The rest stay until a flush, made
  // durable now (Truncate to their size fsyncs them): the records replayed from them may be
  // in the page cache only (a killed process), and the next clean close records them as
  // durable.
  bool removed = false;
  for (const WalFileOutcome& file : recovery->files) {
    if (file.dropped) continue;
    if (file.records == 0 && file.final_size <= kHeaderOnlyWalSize) {
      if (read_only) continue;
      s = fs_->RemoveFile(file.path);
      if (!s.ok()) return s;
      removed = true;
    } else {
      if (!read_only) {
        s = fs_->Truncate(file.path, file.final_size);
        if (!s.ok()) return s;
      }
      wal_.AddClosed(file.number, file.final_size);
    }
  }
  if (removed) {
    s = fs_->SyncDir(options_.dir);
    if (!s.ok()) return s;
  }
  if (!version_->tables.empty() || recovery->records > 0) {
    spdlog::info(
        "shard {}: {} table(s) ({} bytes) from {}, {} WAL record(s) replayed from {} file(s), "
        "last sequence {}",
        options_.index, version_->tables.size(), version_->table_bytes,
        found ? ManifestFileName(versions_.manifest_number()) : std::string("no manifest"),
        recovery->records, files.size(), last_sequence_);
  }
  return Status::Ok();
}

Status Shard::CheckListedWalsPresent(const std::vector<WalFileInfo>& files) const {
  const ManifestState& state = versions_.state();
  for (uint64_t number : state.durable_wal_files) {
    const bool present = std::any_of(files.begin(), files.end(),
                                     [number](const WalFileInfo& f) { return f.number == number; });
    if (present) continue;
    Status s = WalLoss(options_.index, options_.wal_recovery_mode,
                       "WAL file " + WalPath(number) + " is missing, but " +
                           JoinPath(options_.dir, ManifestFileName(versions_.manifest_number())) +
                           " records it as holding writes (up to sequence " +
                           std::to_string(state.durable_wal_sequence) +
                           ") that were durable at the last clean shutdown");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Shard::CheckDurableWritesReplayed() const {
  const ManifestState& state = versions_.state();
  if (last_sequence_ >= state.durable_wal_sequence) return Status::Ok();
  const std::string where = state.durable_wal_files.empty()
                                ? "the WAL files of " + options_.dir
                                : "WAL file " + WalPath(*state.durable_wal_files.rbegin());
  return WalLoss(options_.index, options_.wal_recovery_mode,
                 where + " ends at sequence " + std::to_string(last_sequence_) + ", but " +
                     JoinPath(options_.dir, ManifestFileName(versions_.manifest_number())) +
                     " records writes up to sequence " +
                     std::to_string(state.durable_wal_sequence) +
                     " as durable at the last clean shutdown: the file was emptied, truncated or "
                     "replaced, and " +
                     std::to_string(state.durable_wal_sequence - last_sequence_) +
                     " acknowledged write(s) are missing");
}

void Shard::RecordDurableWals() {
  std::vector<uint64_t> files;
  std::vector<std::pair<std::string, uint64_t>> to_sync;
  uint64_t sequence = 0;
  {
    MutexLock lock(&mu_);
    // Not a clean close: nothing more is known durable.
    if (!wal_.DurableFiles(&files, &to_sync)) return;
    sequence = last_sequence_;
  }
  // Closed WAL files of a switch under appendfsync=no were never fsynced: Truncate to their
  // size does it.
  for (const auto& [path, size] : to_sync) {
    Status s = fs_->Truncate(path, size);
    if (!s.ok()) {
      spdlog::warn("shard {}: could not sync {} at close: {}", options_.index, path, s.ToString());
      return;
    }
  }
  const ManifestState& state = versions_.state();
  if (sequence == state.durable_wal_sequence &&
      std::equal(files.begin(), files.end(), state.durable_wal_files.begin(),
                 state.durable_wal_files.end())) {
    return;
  }
  VersionEdit edit;
  edit.SetDurableWals(sequence, std::move(files));
  Status s = versions_.LogAndApply(edit, [this] { return AllocateFileNumber(); });
  if (!s.ok()) {
    spdlog::warn("shard {}: could not record the durable WAL files at close: {}", options_.index,
                 s.ToString());
  }
}

Status Shard::Verify(const ShardOptions& options, std::vector<ShardFileFinding>* findings) {
  ShardOptions read_options = options;
  read_options.block_cache = nullptr;
  std::unique_ptr<Shard> shard(new Shard(read_options));
  WalRecoveryResult recovery;
  // The start-up verdict, by the code Open runs.
  Status verdict = shard->Recover(&recovery, /*read_only=*/true);

  // Then every file on its own, further than start-up goes.
  std::vector<std::string> names;
  Status s = shard->fs_->GetChildren(options.dir, &names);
  if (!s.ok()) {
    findings->push_back({options.dir, s, ""});
    return verdict.ok() ? s : verdict;
  }
  std::sort(names.begin(), names.end());
  const ManifestState& state = shard->versions_.state();
  for (const auto& [number, meta] : state.tables) {
    const std::string path = JoinPath(options.dir, TableFileName(number));
    if (!shard->fs_->FileExists(path)) {
      findings->push_back(
          {path, Status::Corruption(path + ": table file listed in the manifest is missing"), ""});
    }
  }
  for (const std::string& name : names) {
    const std::string path = JoinPath(options.dir, name);
    uint64_t number = 0;
    if (ParseTableFileName(name, &number)) {
      auto it = state.tables.find(number);
      if (it != state.tables.end()) {
        findings->push_back(CheckListedTable(shard->fs_, path, it->second));
      } else {
        findings->push_back(
            {path, Status::Ok(), "not listed in the manifest: start-up removes it"});
      }
    } else if (ParseWalFileName(name, /*dropped=*/false, &number)) {
      ShardFileFinding finding = CheckWalFile(shard->fs_, path, options.index);
      if (number < state.log_number) {
        finding.note = "obsolete (its writes are in tables): start-up removes it";
        finding.status = Status::Ok();
      }
      findings->push_back(std::move(finding));
    } else if (ParseWalFileName(name, /*dropped=*/true, &number)) {
      findings->push_back(
          {path, Status::Ok(), "set aside by point-in-time recovery, not replayed"});
    }
  }
  if (!verdict.ok()) findings->push_back({options.dir, verdict, ""});
  return verdict;
}

void Shard::RemoveStrayFiles() {
  std::vector<std::string> names;
  Status s = fs_->GetChildren(options_.dir, &names);
  if (!s.ok()) {
    spdlog::warn("shard {}: listing {} for stray files failed: {}", options_.index, options_.dir,
                 s.ToString());
    return;
  }
  const ManifestState& state = versions_.state();
  for (const std::string& name : names) {
    uint64_t number = 0;
    const char* what = nullptr;
    if (ParseWalFileName(name, /*dropped=*/false, &number)) {
      if (number < state.log_number) what = "obsolete WAL file";
    } else if (ParseTableFileName(name, &number)) {
      if (state.tables.count(number) == 0) what = "table file the manifest does not list";
    } else if (ParseManifestFileName(name, &number)) {
      if (number != versions_.manifest_number()) what = "old manifest";
    } else if (IsTempFileName(name)) {
      what = "temporary file";
    }
    if (what == nullptr) continue;
    const std::string path = JoinPath(options_.dir, name);
    s = fs_->RemoveFile(path);
    if (s.ok()) {
      spdlog::info("shard {}: removed {} {}", options_.index, what, path);
    } else {
      spdlog::warn("shard {}: could not remove {} {}: {}", options_.index, what, path,
                   s.ToString());
    }
  }
}

Status Shard::StartNewWal() {
  const uint64_t number = AllocateFileNumber();
  MutexLock lock(&mu_);
  return wal_.Start(number);
}

// --- reads ---

bool Shard::FindInMemTables(std::string_view storage_key, MemTable::Entry* entry,
                            uint64_t snapshot) const {
  if (mem_->Get(storage_key, entry, snapshot)) return true;
  for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) {
    if (it->mem->Get(storage_key, entry, snapshot)) return true;
  }
  return false;
}

Status Shard::FindInTables(const Version& version, std::string_view storage_key, uint64_t snapshot,
                           bool* found, ValueKind* kind, uint64_t* sequence, std::string* value) {
  *found = false;
  for (const auto& handle : version.tables) {
    // Tables come newest first: once one holds the key, a table whose newest sequence is
    // older cannot hold a newer version.
    if (*found && handle->meta().largest_sequence < *sequence) break;
    if (!handle->InRange(storage_key)) continue;
    std::shared_ptr<const Table> table;
    Status s = handle->GetTable(&table);
    if (!s.ok()) return s;
    bool hit = false;
    ValueKind hit_kind = ValueKind::kValue;
    uint64_t hit_sequence = 0;
    std::string hit_value;
    s = table->Get(storage_key, snapshot, &hit, &hit_kind, &hit_sequence, &hit_value);
    if (!s.ok()) return s;
    if (hit && (!*found || hit_sequence > *sequence)) {
      *found = true;
      *kind = hit_kind;
      *sequence = hit_sequence;
      *value = std::move(hit_value);
    }
  }
  return Status::Ok();
}

Status Shard::Get(std::string_view key, std::string* value, bool* found, uint64_t snapshot) const {
  *found = false;
  std::shared_ptr<const Version> version;
  uint64_t cutoff = 0;
  {
    MutexLock lock(&mu_);
    cutoff = cutoffs_.Of(key);
    snapshot = std::min(snapshot, last_sequence_);
    MemTable::Entry entry;
    if (FindInMemTables(key, &entry, snapshot)) {
      *found = IsLive(entry.kind, entry.sequence, cutoff);
      if (*found) value->assign(entry.value.data(), entry.value.size());
      return Status::Ok();
    }
    version = version_;
  }
  // Tables are read without the lock, on the version current at the lookup.
  bool hit = false;
  ValueKind kind = ValueKind::kValue;
  uint64_t sequence = 0;
  Status s = FindInTables(*version, key, snapshot, &hit, &kind, &sequence, value);
  if (!s.ok()) return s;
  *found = hit && IsLive(kind, sequence, cutoff);
  return Status::Ok();
}

uint64_t Shard::AcquireSnapshot() {
  MutexLock lock(&mu_);
  snapshots_.insert(last_sequence_);
  return last_sequence_;
}

void Shard::ReleaseSnapshot(uint64_t sequence) {
  MutexLock lock(&mu_);
  auto it = snapshots_.find(sequence);
  if (it != snapshots_.end()) snapshots_.erase(it);
}

std::map<uint32_t, int64_t> Shard::Counters() const {
  MutexLock lock(&mu_);
  return counters_;
}

int64_t Shard::Counter(uint32_t counter) const {
  MutexLock lock(&mu_);
  auto it = counters_.find(counter);
  return it == counters_.end() ? 0 : it->second;
}

void Shard::AdjustCounter(uint32_t counter, int64_t delta) {
  if (delta == 0) return;
  auto [it, inserted] = counters_.try_emplace(counter, delta);
  if (!inserted) {
    it->second += delta;
    if (it->second == 0) counters_.erase(it);
  }
}

namespace {

// The live entries of one shard in key order: the newest version of each key as of the
// snapshot, tombstones and entries dead by a group drop left out. Holds what it reads.
class LiveIterator final : public Iterator {
 public:
  LiveIterator(std::vector<std::shared_ptr<const MemTable>> memtables,
               std::shared_ptr<const Version> version,
               std::vector<std::shared_ptr<const Table>> tables, std::unique_ptr<Iterator> input,
               GroupCutoffs cutoffs, std::string upper_bound)
      : memtables_(std::move(memtables)),
        version_(std::move(version)),
        tables_(std::move(tables)),
        input_(std::move(input)),
        cutoffs_(std::move(cutoffs)),
        upper_bound_(std::move(upper_bound)) {}

  bool Valid() const override { return !at_bound_ && input_->Valid(); }
  void SeekToFirst() override {
    input_->SeekToFirst();
    SkipDead();
  }
  void Seek(std::string_view key) override {
    target_.assign(key.data(), key.size());
    PutFixed64(&target_, PackTrailer(kMaxSequence, ValueKind::kValue));
    input_->Seek(target_);
    SkipDead();
  }
  void Next() override {
    input_->Next();
    SkipDead();
  }
  std::string_view key() const override { return InternalKeyStorageKey(input_->key()); }
  std::string_view value() const override { return input_->value(); }
  Status status() const override { return input_->status(); }

 private:
  // Steps over dead entries to the next live one, stopping at the upper bound.
  void SkipDead() {
    at_bound_ = false;
    while (input_->Valid()) {
      const ParsedInternalKey parsed = ParseInternalKey(input_->key());
      if (!upper_bound_.empty() && parsed.storage_key >= upper_bound_) {
        at_bound_ = true;
        return;
      }
      if (IsLive(parsed.kind, parsed.sequence, cutoffs_.Of(parsed.storage_key))) return;
      input_->Next();
    }
  }

  std::vector<std::shared_ptr<const MemTable>> memtables_;
  std::shared_ptr<const Version> version_;
  std::vector<std::shared_ptr<const Table>> tables_;
  std::unique_ptr<Iterator> input_;
  GroupCutoffs cutoffs_;
  const std::string upper_bound_;
  bool at_bound_ = false;
  std::string target_;
};

}  // namespace

Status Shard::NewIterator(std::unique_ptr<Iterator>* iterator, uint64_t snapshot,
                          std::string upper_bound) const {
  std::vector<std::shared_ptr<const MemTable>> memtables;
  std::shared_ptr<const Version> version;
  GroupCutoffs cutoffs;
  {
    MutexLock lock(&mu_);
    memtables.push_back(mem_);
    for (auto it = imm_.rbegin(); it != imm_.rend(); ++it) memtables.push_back(it->mem);
    version = version_;
    snapshot = std::min(snapshot, last_sequence_);
    cutoffs = cutoffs_;
  }
  std::vector<std::shared_ptr<const Table>> tables;
  std::vector<std::unique_ptr<Iterator>> children;
  children.reserve(memtables.size() + version->tables.size());
  for (const auto& mem : memtables) children.push_back(mem->NewIterator());
  for (const auto& handle : version->tables) {
    std::shared_ptr<const Table> table;
    Status s = handle->GetTable(&table);
    if (!s.ok()) return s;
    children.push_back(table->NewIterator());
    tables.push_back(std::move(table));
  }
  std::unique_ptr<Iterator> input =
      NewVisibleIterator(NewMergingIterator(std::move(children)), snapshot);
  *iterator =
      std::make_unique<LiveIterator>(std::move(memtables), std::move(version), std::move(tables),
                                     std::move(input), std::move(cutoffs), std::move(upper_bound));
  return Status::Ok();
}

// --- writes ---

Status Shard::Write(WriteBatch* batch) {
  Throttle();
  MutexLock lock(&mu_);
  return WriteLocked(batch);
}

Status Shard::WriteLocked(WriteBatch* batch) {
  if (wal_.failed()) return wal_.failure();
  if (batch->empty()) return Status::Ok();
  batch->set_sequence(last_sequence_ + 1);
  ApplyHandler handler(this);
  Status s = WriteBatch::Iterate(batch->payload(), &handler);
  if (!s.ok()) return s;  // only a malformed batch: nothing was applied
  last_sequence_ += batch->count();
  user_bytes_written_ += batch->user_bytes();
  if (atomic_) {
    if (atomic_batch_.empty()) atomic_batch_.set_sequence(batch->sequence());
    atomic_batch_.Append(*batch);
    return Status::Ok();
  }
  wal_.AppendBatch(batch->payload());
  return Status::Ok();
}

void Shard::BeginAtomic() {
  MutexLock lock(&mu_);
  atomic_ = true;
  atomic_batch_.Clear();
}

bool Shard::AtomicPending(uint64_t* first_sequence, uint32_t* count) const {
  MutexLock lock(&mu_);
  if (atomic_batch_.empty()) return false;
  *first_sequence = atomic_batch_.sequence();
  *count = atomic_batch_.count() + 1;  // and the kParticipants entry
  return true;
}

void Shard::EndAtomic(const std::vector<TxnParticipant>* parts) {
  MutexLock lock(&mu_);
  atomic_ = false;
  if (atomic_batch_.empty()) return;
  if (parts != nullptr) {
    atomic_batch_.AddParticipants(*parts);
    ++last_sequence_;  // the kParticipants entry's
    for (const TxnParticipant& part : *parts) {
      if (part.shard != options_.index) atomic_peers_.insert(part.shard);
    }
  }
  wal_.AppendBatch(atomic_batch_.payload());
  atomic_batch_.Clear();
}

Status Shard::Put(std::string_view key, std::string_view value_prefix, std::string_view value,
                  std::span<const CounterDelta> counters) {
  Throttle();
  MutexLock lock(&mu_);
  if (atomic_) {  // the group's entries are collected into one record: through a batch
    WriteBatch batch;
    batch.Put(key, value_prefix, value);
    for (const CounterDelta& c : counters) batch.AddCounter(c.counter, c.delta);
    return WriteLocked(&batch);
  }
  if (wal_.failed()) return wal_.failure();
  // The record is encoded straight into the WAL buffer and the value copied straight into the
  // memtable: a large value is copied twice in all (a batch would add a copy).
  const uint64_t sequence = last_sequence_ + 1;
  uint32_t count = 0;
  wal_.AppendBatchInPlace([&](std::string* dst) {
    count = WriteBatch::AppendSinglePut(sequence, key, value_prefix, value, counters.data(),
                                        counters.size(), dst);
  });
  mem_->Add(sequence, ValueKind::kValue, key, value_prefix, value);
  for (const CounterDelta& c : counters) AdjustCounter(c.counter, c.delta);
  last_sequence_ = sequence + count - 1;
  user_bytes_written_ += key.size() + value.size();
  return Status::Ok();
}

// --- WAL ---

Status Shard::WritePending(FsyncPolicy policy, bool* wrote, bool allow_switch) {
  MutexLock lock(&mu_);
  Status s = wal_.WritePending(policy, wrote);
  if (!s.ok()) return s;
  if (allow_switch && !wal_.failed() && mem_->entries() > 0 &&
      mem_->ApproximateMemoryUsage() >= options_.memtable_size) {
    s = SwitchMemTableLocked(policy);
    // Only a failed fsync concerns this commit's writes; a new WAL file that could not be
    // started is logged and tried again by the next call.
    if (!s.ok() && wal_.failed()) return s;
  }
  return Status::Ok();
}

Status Shard::SwitchMemTableLocked(FsyncPolicy policy, bool force) {
  if (wal_.failed()) return wal_.failure();
  if (mem_->entries() == 0 && !force) return Status::Ok();
  // 1. Everything written to the current WAL becomes durable first (wal_writer.h).
  Status s = wal_.SyncForRotation(policy);
  if (!s.ok()) return s;
  // 2. The new WAL file. Its header and directory entry are synced by the next SyncWal.
  s = wal_.Rotate(next_file_number_++);
  if (!s.ok()) return s;
  // 3. Freeze the memtable with the state as of its last write; writes go on in a new one.
  imm_.push_back({mem_, wal_.number(), last_sequence_, counters_, cutoffs_});
  mem_ = std::make_shared<MemTable>();
  atomic_peers_.clear();
  work_cv_.notify_one();
  return Status::Ok();
}

Status Shard::SwitchMemTable(FsyncPolicy policy, bool force) {
  MutexLock lock(&mu_);
  bool wrote = false;
  Status s = wal_.WritePending(policy, &wrote);
  if (!s.ok()) return s;
  return SwitchMemTableLocked(policy, force);
}

bool Shard::SwitchDue() const {
  MutexLock lock(&mu_);
  return !wal_.failed() && mem_->entries() > 0 &&
         mem_->ApproximateMemoryUsage() >= options_.memtable_size;
}

std::vector<uint32_t> Shard::AtomicPeers() const {
  MutexLock lock(&mu_);
  return std::vector<uint32_t>(atomic_peers_.begin(), atomic_peers_.end());
}

bool Shard::HasUnsynced() const {
  MutexLock lock(&mu_);
  return wal_.HasUnsynced();
}

Status Shard::SyncWal() {
  MutexLock sync_lock(&sync_mu_);
  WalWriter::SyncJob job;
  {
    MutexLock lock(&mu_);
    Status s = wal_.PrepareSync(&job);
    if (!s.ok() || job.file == nullptr) return s;
  }
  // No lock a writer needs is held while the disk works. Only RetryFailedWrites (which takes
  // sync_mu_) and a memtable switch (which syncs the file itself first) replace the file.
  const Status result = job.Run();
  MutexLock lock(&mu_);
  return wal_.FinishSync(job, result);
}

Status Shard::RetryFailedWrites() {
  MutexLock sync_lock(&sync_mu_);
  WalWriter::RetryJob job;
  {
    MutexLock lock(&mu_);
    bool needed = false;
    wal_.PrepareRetry(next_file_number_, &job, &needed);
    if (!needed) return Status::Ok();
    ++next_file_number_;
  }
  const Status result = job.Run();
  MutexLock lock(&mu_);
  return wal_.FinishRetry(&job, result);
}

Status Shard::WriteState() const {
  MutexLock lock(&mu_);
  return wal_.failed() ? wal_.failure() : Status::Ok();
}

bool Shard::failed() const {
  MutexLock lock(&mu_);
  return wal_.failed();
}

// --- flushes ---

Status Shard::WaitForFlushes() {
  MutexLock lock(&mu_);
  const uint64_t failures = flush_failures_;
  if (!imm_.empty() && !flush_error_.ok()) {
    retry_now_ = true;  // the worker is waiting out a failure: try again now
    work_cv_.notify_all();
  }
  while (!(imm_.empty() && idle_) && flush_failures_ == failures && !stop_) {
    flushed_cv_.wait(lock.unique());
  }
  if (imm_.empty() && idle_) return Status::Ok();
  if (flush_failures_ != failures) return last_flush_failure_;
  return Status::IOError("shard " + std::to_string(options_.index) + " is closing");
}

void Shard::WorkerLoop() {
  MutexLock lock(&mu_);
  while (!stop_) {
    if (!imm_.empty()) {
      lock.Unlock();
      Status s = FlushOldestImmutable();
      lock.Lock();
      if (s.ok()) {
        flush_error_ = Status::Ok();
        flushed_cv_.notify_all();
        stall_cv_.notify_all();
        continue;
      }
      if (s.IsAborted()) continue;  // closing: stop_ ends the loop
      if (s.message() != flush_error_.message()) {
        spdlog::error("shard {}: flush failed: {}; retrying every {}s", options_.index,
                      s.ToString(), kFlushRetryInterval.count());
      }
      flush_error_ = s;
      last_flush_failure_ = s;
      ++flush_failures_;
      flushed_cv_.notify_all();
      retry_now_ = false;
      const auto retry_at = std::chrono::steady_clock::now() + kFlushRetryInterval;
      while (!stop_ && !retry_now_) {
        if (work_cv_.wait_until(lock.unique(), retry_at) == std::cv_status::timeout) break;
      }
      retry_now_ = false;
      continue;
    }
    if (open_tables_) {
      open_tables_ = false;
      lock.Unlock();
      OpenTablesInBackground();
      lock.Lock();
      continue;
    }
    lock.Unlock();
    bool ran = false;
    Status s = MaybeCompact(&ran);
    lock.Lock();
    if (ran) {
      compaction_error_ = Status::Ok();
      stall_cv_.notify_all();
      continue;
    }
    std::chrono::seconds wait = kCompactionRecheckInterval;
    if (!s.ok() && !s.IsAborted()) {
      if (s.message() != compaction_error_.message()) {
        spdlog::error("shard {}: compaction failed: {}; retrying in {}s", options_.index,
                      s.ToString(), kFlushRetryInterval.count());
      }
      compaction_error_ = s;
      wait = kFlushRetryInterval;
    }
    idle_ = true;
    flushed_cv_.notify_all();
    // Woken by a memtable to flush or a CompactAll; otherwise the picker looks again after
    // `wait` (a table may have become old enough for a tombstone rewrite).
    const auto recheck_at = std::chrono::steady_clock::now() + wait;
    while (!stop_ && imm_.empty() && !manual_compaction_) {
      if (work_cv_.wait_until(lock.unique(), recheck_at) == std::cv_status::timeout) break;
    }
    idle_ = false;
  }
  idle_ = true;
  flushed_cv_.notify_all();
}

// --- compactions ---

void Shard::CompactAll() {
  MutexLock lock(&mu_);
  manual_compaction_ = true;
  idle_ = false;  // WaitForFlushes waits for it
  work_cv_.notify_all();
}

bool Shard::CompactionRunning() const {
  MutexLock lock(&mu_);
  return manual_compaction_ || compacting_;
}

std::shared_ptr<const Version> Shard::CurrentVersion() const {
  MutexLock lock(&mu_);
  return version_;
}

bool Shard::WritesStopped() const {
  const CompactionOptions& c = options_.compaction;
  return (c.stop_tables > 0 && version_->tables.size() >= static_cast<size_t>(c.stop_tables)) ||
         (c.stop_immutable_memtables > 0 &&
          imm_.size() >= static_cast<size_t>(c.stop_immutable_memtables));
}

bool Shard::WritesSlowed() const {
  const CompactionOptions& c = options_.compaction;
  return (c.slowdown_tables > 0 &&
          version_->tables.size() >= static_cast<size_t>(c.slowdown_tables)) ||
         (c.stop_immutable_memtables > 0 &&
          imm_.size() + 1 >= static_cast<size_t>(c.stop_immutable_memtables));
}

Status Shard::CheckWriteRoom(WriteRoom* room) const {
  MutexLock lock(&mu_);
  *room = WriteRoom::kOpen;
  if (stop_ || wal_.failed()) return Status::Ok();  // the write itself reports a failed shard
  if (WritesStopped()) {
    const Status& error = !flush_error_.ok() ? flush_error_ : compaction_error_;
    if (!error.ok()) {
      return Status::IOError("writes to shard " + std::to_string(options_.index) +
                             " are stopped and its background work fails: " + error.ToString());
    }
    *room = WriteRoom::kStopped;
  } else if (WritesSlowed()) {
    *room = WriteRoom::kSlowed;
  }
  return Status::Ok();
}

void Shard::RecordStall(WriteRoom room, uint64_t micros) {
  MutexLock lock(&mu_);
  if (room == WriteRoom::kStopped) ++stall_stops_;
  if (room == WriteRoom::kSlowed) ++stall_slowdowns_;
  stall_micros_ += micros;
}

void Shard::Throttle() {
  if (!options_.wait_on_back_pressure) return;
  MutexLock lock(&mu_);
  if (stop_ || wal_.failed()) return;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&start] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
  };
  if (WritesStopped()) {
    ++stall_stops_;
    while (!stop_ && WritesStopped()) stall_cv_.wait(lock.unique());
    stall_micros_ += elapsed();
    return;
  }
  if (WritesSlowed()) {
    ++stall_slowdowns_;
    lock.Unlock();
    std::this_thread::sleep_for(kSlowdownDelay);
    lock.Lock();
    stall_micros_ += elapsed();
  }
}

Status Shard::MaybeCompact(bool* ran) {
  *ran = false;
  std::shared_ptr<const Version> base;
  bool manual = false;
  {
    MutexLock lock(&mu_);
    base = version_;
    manual = manual_compaction_;
  }
  // What the picker needs; opening a table (first use) reads its properties.
  std::vector<CompactionTableInfo> infos;
  infos.reserve(base->tables.size());
  for (const auto& handle : base->tables) {
    CompactionTableInfo info;
    info.number = handle->meta().number;
    info.file_size = handle->meta().file_size;
    info.num_entries = handle->meta().entries;
    info.smallest = handle->meta().smallest;
    info.largest = handle->meta().largest;
    std::shared_ptr<const Table> table;
    if (handle->GetTable(&table).ok()) {
      info.num_deletions = table->properties().num_deletions;
      info.creation_time_ms = table->properties().creation_time_ms;
    }
    if (useless_rewrites_.count(info.number) != 0) info.num_deletions = 0;
    infos.push_back(std::move(info));
  }
  const uint64_t now_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  CompactionPick pick = PickCompaction(infos, options_.compaction, now_ms);
  std::vector<uint64_t> buckets;
  for (const auto& bucket : BucketTables(infos, options_.compaction)) {
    buckets.push_back(bucket.size());
  }
  const CompactionOptions& c = options_.compaction;
  const bool too_many =
      c.stop_tables > 0 && base->tables.size() >= static_cast<size_t>(c.stop_tables);
  if (manual || (pick.reason == CompactionReason::kNone && too_many)) {
    pick.reason = manual ? CompactionReason::kManual : CompactionReason::kSizeTiered;
    pick.files.clear();
    pick.input_bytes = 0;
    for (const CompactionTableInfo& info : infos) {
      pick.files.push_back(info.number);
      pick.input_bytes += info.file_size;
    }
  }
  {
    MutexLock lock(&mu_);
    pending_compaction_bytes_ = pick.input_bytes;
    tables_per_bucket_ = std::move(buckets);
    manual_compaction_ = false;
    if (pick.files.empty()) return Status::Ok();
    compacting_ = true;
  }
  Status s = RunCompactionOf(pick.files, pick.reason, base);
  {
    MutexLock lock(&mu_);
    compacting_ = false;
    if (s.ok()) pending_compaction_bytes_ = 0;
  }
  *ran = s.ok();
  return s;
}

Status Shard::RunCompactionOf(const std::vector<uint64_t>& files, CompactionReason reason,
                              const std::shared_ptr<const Version>& base) {
  const auto started = std::chrono::steady_clock::now();
  CompactionInput input;
  std::vector<std::shared_ptr<const TableHandle>> outside;
  for (const auto& handle : base->tables) {
    const bool chosen = std::find(files.begin(), files.end(), handle->meta().number) != files.end();
    (chosen ? input.tables : outside).push_back(handle);
  }
  // Group cut-offs as the manifest records them (compaction_job.h).
  const GroupCutoffs cutoffs = GroupCutoffs::FromMap(versions_.state().group_cutoffs);
  input.cutoffs = &cutoffs;
  input.filter = options_.compaction_filter;
  {
    MutexLock lock(&mu_);
    input.snapshots.assign(snapshots_.begin(), snapshots_.end());
  }
  input.outside_may_hold = [&outside](std::string_view storage_key) {
    for (const auto& handle : outside) {
      if (!handle->InRange(storage_key)) continue;
      std::shared_ptr<const Table> table;
      if (!handle->GetTable(&table).ok()) return true;  // cannot tell: keep the tombstone
      if (table->MayContain(storage_key)) return true;
    }
    return false;
  };
  input.limiter = options_.compaction_limiter;
  input.cancel = &stopping_;
  input.yield = [this] { FlushFrozenMemTables(); };
  const uint64_t number = AllocateFileNumber();
  CompactionOutput output;
  Status s = RunCompaction(fs_, options_.dir, number, options_.table, options_.block_cache, input,
                           &output);
  if (!s.ok()) return s;

  VersionEdit edit;
  std::shared_ptr<const TableHandle> added;
  if (output.has_table) {
    added = std::make_shared<TableHandle>(output.meta, output.table);
    edit.AddTable(output.meta);
  }
  for (uint64_t file : files) edit.RemoveTable(file);
  {
    MutexLock lock(&mu_);
    edit.SetNextFileNumber(next_file_number_);
  }
  // The output is durable; this one edit makes it live and the inputs dead. On failure the
  // output file stays (the edit may have reached the disk): the next open removes it if the
  // manifest does not list it.
  s = versions_.LogAndApply(edit, [this] { return AllocateFileNumber(); });
  if (!s.ok()) return s;
  {
    MutexLock lock(&mu_);
    version_ = version_->With(
        added != nullptr ? std::vector{added} : std::vector<std::shared_ptr<const TableHandle>>{},
        files);
    ++compactions_;
    last_compaction_micros_ =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count());
    compaction_bytes_read_ += output.bytes_read;
    compaction_bytes_written_ += output.bytes_written;
  }
  for (const auto& handle : input.tables) {
    handle->MarkObsolete(fs_, options_.block_cache);
    useless_rewrites_.erase(handle->meta().number);
  }
  if (reason == CompactionReason::kTombstones && added != nullptr &&
      output.dropped_tombstones == 0 && output.dropped_dead == 0) {
    useless_rewrites_.insert(added->meta().number);
  }
  spdlog::debug(
      "shard {}: {} compaction of {} table(s) ({} bytes) into {} ({} bytes): {} entries, {} "
      "shadowed, {} dead, {} tombstones dropped",
      options_.index, CompactionReasonName(reason), files.size(), output.bytes_read,
      output.has_table ? TableFileName(number) : std::string("nothing"), output.bytes_written,
      output.entries_in, output.dropped_shadowed, output.dropped_dead, output.dropped_tombstones);
  // The inputs' files go when the last reference to them does (here, unless a reader holds an
  // older version).
  return Status::Ok();
}

void Shard::FlushFrozenMemTables() {
  while (true) {
    {
      MutexLock lock(&mu_);
      if (imm_.empty() || stop_) return;
    }
    Status s = FlushOldestImmutable();
    MutexLock lock(&mu_);
    // A failure is left to the worker loop, which reports and retries it after the merge.
    if (!s.ok()) return;
    flush_error_ = Status::Ok();
    flushed_cv_.notify_all();
    stall_cv_.notify_all();
  }
}

void Shard::OpenTablesInBackground() {
  std::shared_ptr<const Version> version;
  {
    MutexLock lock(&mu_);
    version = version_;
  }
  for (const auto& handle : version->tables) {
    {
      MutexLock lock(&mu_);
      if (stop_) return;
      if (!imm_.empty()) {
        open_tables_ = true;  // flushes first; carry on afterwards
        return;
      }
    }
    if (handle->is_open()) continue;
    std::shared_ptr<const Table> table;
    Status s = handle->GetTable(&table);
    if (!s.ok()) {
      spdlog::error("shard {}: opening table {} failed: {}", options_.index, handle->path(),
                    s.ToString());
    }
  }
}

Status Shard::FlushOldestImmutable() {
  const auto started = std::chrono::steady_clock::now();
  if (!pending_flush_) {
    ImmutableMemTable job;
    std::shared_ptr<const Version> base;
    uint64_t number = 0;
    {
      MutexLock lock(&mu_);
      job = imm_.front();
      base = version_;
      number = next_file_number_++;
    }
    FlushInput input;
    input.mem = job.mem.get();
    input.cutoffs = &job.cutoffs;
    input.filter = options_.compaction_filter;
    {
      MutexLock lock(&mu_);
      input.snapshots.assign(snapshots_.begin(), snapshots_.end());
    }
    input.older_tables_may_hold = [&base](std::string_view storage_key) {
      for (const auto& table : base->tables) {
        if (table->InRange(storage_key)) return true;
      }
      return false;
    };
    input.cancel = &stopping_;
    FlushOutput output;
    Status s = WriteMemTableToTable(fs_, options_.dir, number, options_.table, options_.block_cache,
                                    input, &output);
    if (!s.ok()) return s;

    PendingFlush pending;
    pending.log_number = job.next_log_number;
    VersionEdit& edit = pending.edit;
    if (output.has_table) {
      pending.table = std::make_shared<TableHandle>(output.meta, output.table);
      edit.AddTable(output.meta);
    }
    edit.SetLogNumber(job.next_log_number);
    edit.SetLastSequence(job.last_sequence);
    // Counters and cut-offs as of the memtable's last write, where they changed.
    const ManifestState& persisted = versions_.state();
    for (const auto& [counter, value] : job.counters) {
      auto it = persisted.counters.find(counter);
      if (it == persisted.counters.end() || it->second != static_cast<uint64_t>(value)) {
        edit.SetCounter(counter, static_cast<uint64_t>(value));
      }
    }
    for (const auto& [counter, value] : persisted.counters) {
      if (job.counters.count(counter) == 0) edit.SetCounter(counter, 0);
    }
    for (const auto& [group, sequence] : job.cutoffs.ToMap()) {
      auto it = persisted.group_cutoffs.find(group);
      if (it == persisted.group_cutoffs.end() || it->second != sequence) {
        edit.SetGroupCutoff(group, sequence);
      }
    }
    {
      MutexLock lock(&mu_);
      edit.SetNextFileNumber(next_file_number_);
    }
    spdlog::debug(
        "shard {}: flushed {} memtable entries ({} shadowed, {} dead, {} tombstones "
        "dropped): {}",
        options_.index, output.entries_in, output.dropped_shadowed, output.dropped_dead,
        output.dropped_tombstones, edit.DebugString());
    pending_flush_ = std::move(pending);
  }
  // The table is durable; the manifest edit makes it live. If the edit fails it is retried as
  // it is (the table stays: the edit may have reached the disk).
  Status s = versions_.LogAndApply(pending_flush_->edit, [this] { return AllocateFileNumber(); });
  if (!s.ok()) return s;

  std::vector<uint64_t> obsolete;
  {
    MutexLock lock(&mu_);
    if (pending_flush_->table != nullptr) {
      version_ = version_->With({pending_flush_->table}, {});
      flush_bytes_ += pending_flush_->table->meta().file_size;
    }
    ++flushes_;
    last_flush_micros_ =
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count());
    imm_.pop_front();
    log_number_ = pending_flush_->log_number;
    wal_.DropClosedBelow(log_number_, &obsolete);
  }
  pending_flush_.reset();
  // Only now may the WAL files the flushed memtable needed go.
  for (uint64_t number : obsolete) {
    const std::string path = WalPath(number);
    Status r = fs_->RemoveFile(path);
    if (!r.ok()) {
      spdlog::warn("shard {}: could not remove obsolete WAL file {}: {}", options_.index, path,
                   r.ToString());
    }
  }
  return Status::Ok();
}

ShardStats Shard::Stats() const {
  MutexLock lock(&mu_);
  ShardStats stats;
  stats.memtable_bytes = mem_->ApproximateMemoryUsage();
  stats.memtable_entries = mem_->entries();
  stats.wal_bytes = wal_.total_bytes();
  stats.wal_buffer_bytes = wal_.buffer_capacity();
  stats.wal_records = wal_.records();
  stats.fsyncs = wal_.fsyncs();
  stats.last_sequence = last_sequence_;
  stats.write_failed = wal_.failed();
  stats.last_error = wal_.last_error();
  stats.immutable_memtables = imm_.size();
  for (const ImmutableMemTable& imm : imm_) {
    stats.immutable_memtable_bytes += imm.mem->ApproximateMemoryUsage();
  }
  stats.tables = version_->tables.size();
  stats.table_bytes = version_->table_bytes;
  stats.flushes = flushes_;
  stats.last_flush_micros = last_flush_micros_;
  stats.last_fsync_micros = wal_.last_fsync_micros();
  stats.last_compaction_micros = last_compaction_micros_;
  stats.flush_bytes_written = flush_bytes_;
  stats.flush_failures = flush_failures_;
  stats.flush_error = flush_error_.ok() ? std::string() : flush_error_.ToString();
  stats.compactions = compactions_;
  stats.compaction_bytes_read = compaction_bytes_read_;
  stats.compaction_bytes_written = compaction_bytes_written_;
  stats.pending_compaction_bytes = pending_compaction_bytes_;
  stats.tables_per_bucket = tables_per_bucket_;
  stats.stall_slowdowns = stall_slowdowns_;
  stats.stall_stops = stall_stops_;
  stats.stall_micros = stall_micros_;
  stats.user_bytes_written = user_bytes_written_;
  stats.wal_bytes_written = wal_.bytes_written();
  return stats;
}

}  // namespace shale::storage
