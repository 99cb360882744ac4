#include "storage/shard.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <utility>

#include "storage/key_format.h"
#include "storage/log_reader.h"

namespace shale::storage {

namespace {

// Parses "NNNNNN.log" (or "NNNNNN.log.dropped" when `dropped`) into its number.
bool ParseWalFileName(std::string_view name, bool dropped, uint64_t* number) {
  const std::string_view suffix = dropped ? ".log.dropped" : ".log";
  if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
    return false;
  }
  const std::string_view digits = name.substr(0, name.size() - suffix.size());
  if (digits.size() > 19) return false;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = n;
  return true;
}

}  // namespace

// Applies replayed batch entries to the memtable and the counts.
class Shard::ReplayHandler final : public WriteBatch::Handler {
 public:
  explicit ReplayHandler(Shard* shard) : shard_(shard) {}

  void Put(uint64_t sequence, std::string_view key, std::string_view value, bool is_new) override {
    shard_->mem_->Add(sequence, ValueKind::kValue, key, value);
    if (is_new) ++shard_->key_counts_[StorageKeyDb(key)];
  }
  void Delete(uint64_t sequence, std::string_view key) override {
    shard_->mem_->Add(sequence, ValueKind::kDeletion, key, {});
    uint64_t& count = shard_->key_counts_[StorageKeyDb(key)];
    // Only a skipped record (skip-any recovery) can make this go below zero.
    if (count > 0) --count;
  }
  void FlushDb(uint64_t sequence, uint32_t db) override {
    shard_->flushed_before_[db] = sequence;
    shard_->key_counts_[db] = 0;
  }

 private:
  Shard* const shard_;
};

// Checks every database index of a batch before anything is applied.
class DatabaseRangeCheck final : public WriteBatch::Handler {
 public:
  void Put(uint64_t, std::string_view key, std::string_view, bool) override {
    Check(StorageKeyDb(key));
  }
  void Delete(uint64_t, std::string_view key) override { Check(StorageKeyDb(key)); }
  void FlushDb(uint64_t, uint32_t db) override { Check(db); }
  int max_db() const { return max_db_; }

 private:
  void Check(uint32_t db) { max_db_ = std::max(max_db_, static_cast<int>(db)); }
  int max_db_ = -1;
};

Shard::Shard(const ShardOptions& options)
    : options_(options),
      fs_(options.fs),
      mem_(std::make_shared<MemTable>()),
      key_counts_(static_cast<size_t>(options.databases), 0),
      flushed_before_(static_cast<size_t>(options.databases), 0) {}

Shard::~Shard() = default;

std::string Shard::WalPath(uint64_t number) const {
  char name[32];
  std::snprintf(name, sizeof(name), "%06" PRIu64 ".log", number);
  return JoinPath(options_.dir, name);
}

Status Shard::Open(const ShardOptions& options, std::unique_ptr<Shard>* shard,
                   WalRecoveryResult* recovery) {
  std::unique_ptr<Shard> s(new Shard(options));
  Status status = s->fs_->CreateDir(options.dir);
  if (status.ok()) status = s->Recover(recovery);
  if (status.ok()) status = s->StartNewWal();
  if (!status.ok()) return status;
  *shard = std::move(s);
  return Status::Ok();
}

Status Shard::ApplyReplayedBatch(std::string_view payload) {
  uint64_t first = 0;
  uint32_t count = 0;
  Status s = WriteBatch::ReadHeader(payload, &first, &count);
  if (!s.ok()) return s;
  if (count == 0 || first == 0 || first > kMaxSequence - count + 1) {
    return Status::Corruption("write batch: bad sequence range");
  }
  // Written twice (a retry after a failed fsync): applied already.
  if (first <= last_sequence_) return Status::Ok();
  DatabaseRangeCheck check;
  s = WriteBatch::Iterate(payload, &check);
  if (!s.ok()) return s;
  if (check.max_db() >= options_.databases) {
    return Status::InvalidArgument(
        "the WAL holds data of database " + std::to_string(check.max_db()) +
        " but databases is set to " + std::to_string(options_.databases) +
        "; raise databases to at least " + std::to_string(check.max_db() + 1));
  }
  ReplayHandler handler(this);
  s = WriteBatch::Iterate(payload, &handler);
  if (!s.ok()) return s;
  last_sequence_ = first + count - 1;
  return Status::Ok();
}

Status Shard::Recover(WalRecoveryResult* recovery) {
  std::vector<std::string> names;
  Status s = fs_->GetChildren(options_.dir, &names);
  if (!s.ok()) return s;
  std::vector<WalFileInfo> files;
  uint64_t max_number = 0;
  for (const std::string& name : names) {
    uint64_t number = 0;
    if (ParseWalFileName(name, /*dropped=*/false, &number)) {
      files.push_back({number, JoinPath(options_.dir, name)});
      max_number = std::max(max_number, number);
    } else if (ParseWalFileName(name, /*dropped=*/true, &number)) {
      max_number = std::max(max_number, number);
    }
  }
  std::sort(files.begin(), files.end(),
            [](const WalFileInfo& a, const WalFileInfo& b) { return a.number < b.number; });
  next_file_number_ = max_number + 1;

  auto handler = [this](std::string_view payload) { return ApplyReplayedBatch(payload); };
  s = RecoverWalFiles(fs_, files, options_.index, options_.wal_recovery_mode, handler, recovery);
  if (!s.ok()) return s;

  // Files holding no batch are of no use: remove them, keep the rest until a flush.
  bool removed = false;
  for (const WalFileOutcome& file : recovery->files) {
    if (file.dropped) continue;
    const uint64_t header_only = log::kRecordHeaderSize + log::kHeaderPayloadSize;
    if (file.records == 0 && file.final_size <= header_only) {
      s = fs_->RemoveFile(file.path);
      if (!s.ok()) return s;
      removed = true;
    } else {
      older_wal_bytes_ += file.final_size;
    }
  }
  if (removed) {
    s = fs_->SyncDir(options_.dir);
    if (!s.ok()) return s;
  }
  if (recovery->records > 0) {
    spdlog::info("shard {}: replayed {} WAL records from {} file(s), last sequence {}",
                 options_.index, recovery->records, files.size(), last_sequence_);
  }
  return Status::Ok();
}

Status Shard::StartNewWal() {
  const uint64_t number = next_file_number_++;
  const std::string path = WalPath(number);
  std::unique_ptr<log::LogWriter> writer;
  Status s =
      log::LogWriter::Create(fs_, path, {log::kFormatVersion, options_.index, number}, &writer);
  if (s.ok()) s = writer->Sync();
  if (s.ok()) s = fs_->SyncDir(options_.dir);
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(mu_);
  wal_ = std::move(writer);
  wal_number_ = number;
  written_end_ = synced_end_ = buffer_file_offset_ = wal_->Size();
  log_buffer_.clear();
  return Status::Ok();
}

// --- reads ---

bool Shard::LiveEntry(uint16_t db, std::string_view storage_key, MemTable::Entry* entry) const {
  return mem_->Get(storage_key, entry) && entry->kind == ValueKind::kValue &&
         entry->sequence >= flushed_before_[db];
}

Status Shard::Get(uint16_t db, std::string_view key, std::string* value) const {
  std::lock_guard<std::mutex> lock(mu_);
  MakeStorageKey(db, key, &read_scratch_);
  MemTable::Entry entry;
  if (!LiveEntry(db, read_scratch_, &entry)) return Status::NotFound();
  std::string_view user_value;
  if (!StoredValueUserValue(entry.value, &user_value)) {
    spdlog::error("shard {}: malformed stored value in the memtable", options_.index);
    return Status::Corruption("malformed stored value");
  }
  value->assign(user_value.data(), user_value.size());
  return Status::Ok();
}

bool Shard::Exists(uint16_t db, std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  MakeStorageKey(db, key, &read_scratch_);
  MemTable::Entry entry;
  return LiveEntry(db, read_scratch_, &entry);
}

uint64_t Shard::KeyCount(uint16_t db) const {
  std::lock_guard<std::mutex> lock(mu_);
  return key_counts_[db];
}

Status Shard::Scan(uint16_t db, std::string_view after, std::string_view prefix, size_t limit,
                   std::vector<std::string>* keys, bool* done) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Start at the first user key that is > after and >= prefix.
  std::string start;
  if (!after.empty()) {
    start.assign(after.data(), after.size());
    start.push_back('\0');  // the smallest key greater than `after`
  }
  if (std::string_view(start) < prefix) start.assign(prefix.data(), prefix.size());
  std::string target;
  AppendDbPrefix(db, &target);
  target.append(start);
  PutFixed64(&target, PackTrailer(kMaxSequence, ValueKind::kValue));

  const uint64_t flushed_before = flushed_before_[db];
  size_t found = 0;
  *done = true;
  std::unique_ptr<Iterator> iter = mem_->NewIterator();
  iter->Seek(target);
  while (iter->Valid()) {
    const ParsedInternalKey newest = ParseInternalKey(iter->key());
    if (newest.storage_key.size() < kDbPrefixSize || StorageKeyDb(newest.storage_key) != db) {
      break;
    }
    const std::string_view user_key = StorageKeyUserKey(newest.storage_key);
    if (user_key.substr(0, prefix.size()) != prefix) break;  // past the prefix range
    if (newest.kind == ValueKind::kValue && newest.sequence >= flushed_before) {
      if (found == limit) {
        *done = false;  // one more live key exists
        break;
      }
      keys->emplace_back(user_key);
      ++found;
    }
    // Older versions of this key follow; pass over them. The view stays valid: memtable
    // memory does not move.
    const std::string_view current = newest.storage_key;
    do {
      iter->Next();
    } while (iter->Valid() && InternalKeyStorageKey(iter->key()) == current);
  }
  return iter->status();
}

// --- writes ---

void Shard::AppendBatchRecord() {
  log::AppendRecord(log::RecordType::kBatch, batch_.payload(), &log_buffer_);
  ++wal_records_;
}

Status Shard::Set(uint16_t db, std::string_view key, std::string_view value, SetCondition condition,
                  bool* applied, std::string* old_value, bool* had_old) {
  std::lock_guard<std::mutex> lock(mu_);
  if (applied != nullptr) *applied = false;
  if (failed_) return failure_;
  MakeStorageKey(db, key, &key_scratch_);
  MemTable::Entry entry;
  const bool exists = LiveEntry(db, key_scratch_, &entry);
  if (old_value != nullptr) {
    std::string_view user_value;
    if (exists && !StoredValueUserValue(entry.value, &user_value)) {
      return Status::Corruption("malformed stored value");
    }
    if (had_old != nullptr) *had_old = exists;
    if (exists) old_value->assign(user_value.data(), user_value.size());
  }
  if ((condition == SetCondition::kIfAbsent && exists) ||
      (condition == SetCondition::kIfPresent && !exists)) {
    return Status::Ok();
  }
  MakeStoredValue(value, &value_scratch_);
  const uint64_t sequence = last_sequence_ + 1;
  batch_.Clear();
  batch_.set_sequence(sequence);
  if (exists) {
    batch_.PutOverwrite(key_scratch_, value_scratch_);
  } else {
    batch_.PutNew(key_scratch_, value_scratch_);
    ++key_counts_[db];
  }
  mem_->Add(sequence, ValueKind::kValue, key_scratch_, value_scratch_);
  last_sequence_ = sequence;
  AppendBatchRecord();
  if (applied != nullptr) *applied = true;
  return Status::Ok();
}

Status Shard::MultiSet(uint16_t db, std::span<const KeyValue* const> pairs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return failure_;
  if (pairs.empty()) return Status::Ok();
  batch_.Clear();
  batch_.set_sequence(last_sequence_ + 1);
  // Each entry goes into the memtable as it is added, so a key named twice sees its own
  // earlier entry: the first is new, the second an overwrite.
  for (const KeyValue* pair : pairs) {
    const uint64_t sequence = last_sequence_ + 1 + batch_.count();
    MakeStorageKey(db, pair->key, &key_scratch_);
    MakeStoredValue(pair->value, &value_scratch_);
    MemTable::Entry entry;
    if (LiveEntry(db, key_scratch_, &entry)) {
      batch_.PutOverwrite(key_scratch_, value_scratch_);
    } else {
      batch_.PutNew(key_scratch_, value_scratch_);
      ++key_counts_[db];
    }
    mem_->Add(sequence, ValueKind::kValue, key_scratch_, value_scratch_);
  }
  last_sequence_ += batch_.count();
  AppendBatchRecord();
  return Status::Ok();
}

Status Shard::Delete(uint16_t db, std::span<const std::string_view* const> keys, int64_t* removed) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return failure_;
  batch_.Clear();
  batch_.set_sequence(last_sequence_ + 1);
  for (const std::string_view* key : keys) {
    MakeStorageKey(db, *key, &key_scratch_);
    MemTable::Entry entry;
    if (!LiveEntry(db, key_scratch_, &entry)) continue;
    const uint64_t sequence = last_sequence_ + 1 + batch_.count();
    batch_.DeleteExisting(key_scratch_);
    mem_->Add(sequence, ValueKind::kDeletion, key_scratch_, {});
    --key_counts_[db];
  }
  if (batch_.empty()) return Status::Ok();
  *removed += batch_.count();
  last_sequence_ += batch_.count();
  AppendBatchRecord();
  return Status::Ok();
}

Status Shard::FlushDb(uint16_t db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return failure_;
  const uint64_t sequence = last_sequence_ + 1;
  batch_.Clear();
  batch_.set_sequence(sequence);
  batch_.FlushDb(db);
  flushed_before_[db] = sequence;
  key_counts_[db] = 0;
  last_sequence_ = sequence;
  AppendBatchRecord();
  return Status::Ok();
}

Status Shard::FlushAll() {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return failure_;
  batch_.Clear();
  batch_.set_sequence(last_sequence_ + 1);
  for (int db = 0; db < options_.databases; ++db) {
    flushed_before_[static_cast<size_t>(db)] = last_sequence_ + 1 + batch_.count();
    key_counts_[static_cast<size_t>(db)] = 0;
    batch_.FlushDb(static_cast<uint32_t>(db));
  }
  last_sequence_ += batch_.count();
  AppendBatchRecord();
  return Status::Ok();
}

// --- WAL ---

void Shard::EnterFailedState(std::string_view operation, const Status& cause) {
  std::string message = "shard " + std::to_string(options_.index) + ": WAL " +
                        std::string(operation) + " failed: " + cause.message();
  spdlog::error("{}; writes to this shard are refused until the WAL can be written again", message);
  failed_ = true;
  last_error_ = message;
  failure_ = cause.code() == Status::Code::kNoSpace ? Status::NoSpace(std::move(message))
                                                    : Status::IOError(std::move(message));
}

Status Shard::WritePending(FsyncPolicy policy, bool* wrote) {
  std::lock_guard<std::mutex> lock(mu_);
  *wrote = false;
  const size_t written_in_buffer = static_cast<size_t>(written_end_ - buffer_file_offset_);
  const size_t pending = log_buffer_.size() - written_in_buffer;
  if (failed_) return pending > 0 ? failure_ : Status::Ok();
  if (pending > 0) {
    Status s = wal_->AppendEncoded(std::string_view(log_buffer_).substr(written_in_buffer));
    if (!s.ok()) {
      EnterFailedState("write", s);
      return failure_;
    }
    *wrote = true;
    written_end_ += pending;
  }
  if (policy == FsyncPolicy::kNo) {
    // appendfsync no: written is as durable as this policy promises.
    log_buffer_.clear();
    buffer_file_offset_ = written_end_;
  }
  return Status::Ok();
}

bool Shard::HasUnsynced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return !failed_ && written_end_ > synced_end_;
}

Status Shard::SyncWal() {
  std::lock_guard<std::mutex> sync_lock(sync_mu_);
  std::shared_ptr<WritableFile> file;
  uint64_t target = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_) return failure_;
    if (written_end_ <= synced_end_) return Status::Ok();
    file = wal_->file();
    target = written_end_;
  }
  // No lock a writer needs is held while the disk works. The file cannot change under us:
  // only RetryFailedWrites replaces it, and it takes sync_mu_.
  Status s = file->Sync();
  std::lock_guard<std::mutex> lock(mu_);
  ++fsyncs_;
  if (!s.ok()) {
    EnterFailedState("fsync", s);
    return failure_;
  }
  synced_end_ = std::max(synced_end_, target);
  if (target > buffer_file_offset_) {
    log_buffer_.erase(0, static_cast<size_t>(target - buffer_file_offset_));
    buffer_file_offset_ = target;
  }
  return Status::Ok();
}

Status Shard::RetryFailedWrites() {
  std::lock_guard<std::mutex> sync_lock(sync_mu_);
  std::string retained;
  uint64_t number = 0;
  std::vector<AbandonedWal> abandoned;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failed_) return Status::Ok();
    // While failed nothing is appended to the buffer (writes are refused, WritePending and
    // SyncWal do nothing), so this copy is all of it.
    retained = log_buffer_;
    const std::string current = WalPath(wal_number_);
    if (abandoned_.empty() || abandoned_.back().path != current) {
      abandoned_.push_back({current, buffer_file_offset_});
    }
    abandoned = abandoned_;
    number = next_file_number_++;
  }
  const std::string path = WalPath(number);
  std::unique_ptr<log::LogWriter> writer;
  // 1. A fresh file with the retained records, durable with its directory entry.
  Status s =
      log::LogWriter::Create(fs_, path, {log::kFormatVersion, options_.index, number}, &writer);
  if (s.ok() && !retained.empty()) s = writer->AppendEncoded(retained);
  if (s.ok()) s = writer->Sync();
  if (s.ok()) s = fs_->SyncDir(options_.dir);
  // 2. The abandoned files end cleanly at their durable part: whatever a failed write left
  //    after it (a torn record, or records now in the fresh file) goes.
  for (const AbandonedWal& old : abandoned) {
    if (!s.ok()) break;
    s = fs_->Truncate(old.path, old.durable_size);
  }
  if (!s.ok()) {
    writer.reset();
    // The fresh file is of no use; if it cannot even be removed, the next successful retry
    // empties it, so it never ends in a torn record.
    const bool left_behind = fs_->FileExists(path) && !fs_->RemoveFile(path).ok();
    std::lock_guard<std::mutex> lock(mu_);
    if (left_behind) abandoned_.insert(abandoned_.begin(), AbandonedWal{path, 0});
    const std::string message =
        "shard " + std::to_string(options_.index) + ": retrying WAL writes failed: " + s.message();
    if (message != last_error_) spdlog::warn("{}", message);
    last_error_ = message;
    failure_ =
        s.code() == Status::Code::kNoSpace ? Status::NoSpace(message) : Status::IOError(message);
    return failure_;
  }
  // 3. Resume in the fresh file.
  std::lock_guard<std::mutex> lock(mu_);
  for (const AbandonedWal& old : abandoned) older_wal_bytes_ += old.durable_size;
  abandoned_.clear();
  wal_ = std::move(writer);
  wal_number_ = number;
  written_end_ = synced_end_ = buffer_file_offset_ = wal_->Size();
  log_buffer_.clear();
  failed_ = false;
  failure_ = Status::Ok();
  spdlog::info("shard {}: WAL writes resumed in {} ({} retained bytes rewritten)", options_.index,
               path, retained.size());
  return Status::Ok();
}

Status Shard::WriteState() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_ ? failure_ : Status::Ok();
}

bool Shard::failed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

ShardStats Shard::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  ShardStats stats;
  stats.memtable_bytes = mem_->ApproximateMemoryUsage();
  stats.memtable_entries = mem_->entries();
  stats.wal_bytes = older_wal_bytes_ + written_end_;
  stats.wal_records = wal_records_;
  stats.fsyncs = fsyncs_;
  stats.last_sequence = last_sequence_;
  stats.write_failed = failed_;
  stats.last_error = last_error_;
  return stats;
}

}  // namespace shale::storage
