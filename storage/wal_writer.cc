#include "storage/wal_writer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "storage/filename.h"

namespace shale::storage {

namespace {

Status FailureOf(const Status& cause, std::string message) {
  return cause.code() == Status::Code::kNoSpace ? Status::NoSpace(std::move(message))
                                                : Status::IOError(std::move(message));
}

}  // namespace

WalWriter::WalWriter(FileSystem* fs, std::string dir, uint32_t shard)
    : fs_(fs), dir_(std::move(dir)), shard_(shard) {}

std::string WalWriter::Path(uint64_t number) const { return JoinPath(dir_, WalFileName(number)); }

void WalWriter::Install(std::unique_ptr<log::LogWriter> file, uint64_t number, bool dir_synced) {
  file_ = std::move(file);
  number_ = number;
  dir_synced_ = dir_synced;
  buffer_file_offset_ = written_end_ = file_->Size();
  synced_end_ = dir_synced ? written_end_ : 0;
  buffer_.clear();
  ReleaseLargeBuffer();
}

void WalWriter::Retire(uint64_t end) {
  if (end <= buffer_file_offset_) return;
  buffer_.erase(0, static_cast<size_t>(end - buffer_file_offset_));
  buffer_file_offset_ = end;
  ReleaseLargeBuffer();
}

void WalWriter::ReleaseLargeBuffer() {
  // After a large write the buffer would otherwise keep its size for the life of the process.
  constexpr size_t kKeepBytes = 4 << 20;
  if (buffer_.empty() && buffer_.capacity() > kKeepBytes) std::string().swap(buffer_);
}

Status WalWriter::Start(uint64_t number) {
  std::unique_ptr<log::LogWriter> file;
  Status s =
      log::LogWriter::Create(fs_, Path(number), {log::kFormatVersion, shard_, number}, &file);
  if (s.ok()) s = file->Sync();
  if (s.ok()) s = fs_->SyncDir(dir_);
  if (!s.ok()) return s;
  Install(std::move(file), number, /*dir_synced=*/true);
  return Status::Ok();
}

void WalWriter::DropClosedBelow(uint64_t number, std::vector<uint64_t>* obsolete) {
  for (auto it = closed_.begin(); it != closed_.end() && it->first < number;) {
    obsolete->push_back(it->first);
    it = closed_.erase(it);
  }
}

void WalWriter::AppendBatch(std::string_view payload) {
  log::AppendRecord(log::RecordType::kBatch, payload, &buffer_);
  ++records_;
}

Status WalWriter::WritePending(FsyncPolicy policy, bool* wrote) {
  *wrote = false;
  const size_t written_in_buffer = static_cast<size_t>(written_end_ - buffer_file_offset_);
  const size_t pending = buffer_.size() - written_in_buffer;
  if (failed_) return pending > 0 ? failure_ : Status::Ok();
  if (pending > 0) {
    Status s = file_->AppendEncoded(std::string_view(buffer_).substr(written_in_buffer));
    if (!s.ok()) {
      EnterFailedState("write", s);
      return failure_;
    }
    *wrote = true;
    written_end_ += pending;
    bytes_written_ += pending;
  }
  // appendfsync no: written is as durable as this policy promises.
  if (policy == FsyncPolicy::kNo) Retire(written_end_);
  return Status::Ok();
}

namespace {
uint64_t MicrosSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}
}  // namespace

Status WalWriter::SyncForRotation(FsyncPolicy policy) {
  if (failed_) return failure_;
  if (written_end_ <= synced_end_ && dir_synced_) return Status::Ok();
  if (policy == FsyncPolicy::kNo) {
    closed_unsynced_ = true;
    return Status::Ok();
  }
  const auto start = std::chrono::steady_clock::now();
  Status s = file_->Sync();
  ++fsyncs_;
  if (s.ok() && !dir_synced_) s = fs_->SyncDir(dir_);
  last_fsync_micros_ = MicrosSince(start);
  if (!s.ok()) {
    EnterFailedState("fsync", s);
    return failure_;
  }
  synced_end_ = written_end_;
  dir_synced_ = true;
  Retire(written_end_);
  return Status::Ok();
}

Status WalWriter::Rotate(uint64_t number) {
  if (failed_) return failure_;
  const std::string path = Path(number);
  std::unique_ptr<log::LogWriter> file;
  Status s = log::LogWriter::Create(fs_, path, {log::kFormatVersion, shard_, number}, &file);
  if (!s.ok()) {
    file.reset();
    if (fs_->FileExists(path) && !fs_->RemoveFile(path).ok()) {
      spdlog::warn("shard {}: could not remove {}; the next open removes it", shard_, path);
    }
    const std::string message =
        "shard " + std::to_string(shard_) +
        ": cannot start a new WAL file, the memtable stays active: " + s.ToString();
    if (message != last_rotate_error_) spdlog::warn("{}", message);
    last_rotate_error_ = message;
    return s;
  }
  last_rotate_error_.clear();
  closed_[number_] = written_end_;
  // The records still buffered (appendfsync no, or none) were written to the closed file.
  Install(std::move(file), number, /*dir_synced=*/false);
  return Status::Ok();
}

Status WalWriter::SyncJob::Run() const {
  const auto start = std::chrono::steady_clock::now();
  Status s = file->Sync();
  if (s.ok() && sync_dir) s = fs->SyncDir(dir);
  micros = MicrosSince(start);
  return s;
}

Status WalWriter::PrepareSync(SyncJob* job) const {
  job->file.reset();
  if (failed_) return failure_;
  if (written_end_ <= synced_end_) return Status::Ok();
  job->file = file_->file();
  job->fs = fs_;
  job->dir = dir_;
  job->target = written_end_;
  job->number = number_;
  job->sync_dir = !dir_synced_;
  return Status::Ok();
}

Status WalWriter::FinishSync(const SyncJob& job, const Status& result) {
  ++fsyncs_;
  last_fsync_micros_ = job.micros;
  if (job.number != number_) {
    // A rotation retired the file meanwhile, after fsyncing it: nothing to record.
    if (!result.ok()) {
      spdlog::warn("shard {}: fsync of retired WAL file {} failed: {}", shard_, Path(job.number),
                   result.ToString());
    }
    return Status::Ok();
  }
  if (!result.ok()) {
    EnterFailedState("fsync", result);
    return failure_;
  }
  synced_end_ = std::max(synced_end_, job.target);
  if (job.sync_dir) dir_synced_ = true;
  Retire(job.target);
  return Status::Ok();
}

void WalWriter::PrepareRetry(uint64_t number, RetryJob* job, bool* needed) {
  *needed = failed_;
  if (!failed_) return;
  // While failed nothing is appended to the buffer (the owner refuses writes, WritePending and
  // syncs do nothing, no rotation happens), so this copy is all of it.
  job->retained = buffer_;
  const std::string current = Path(number_);
  if (abandoned_.empty() || abandoned_.back().path != current) {
    abandoned_.push_back({number_, current, buffer_file_offset_});
  }
  job->abandoned = abandoned_;
  job->fs = fs_;
  job->dir = dir_;
  job->shard = shard_;
  job->number = number;
  job->path = Path(number);
}

Status WalWriter::RetryJob::Run() {
  // 1. A fresh file with the retained records, durable with its directory entry.
  Status s = log::LogWriter::Create(fs, path, {log::kFormatVersion, shard, number}, &writer);
  if (s.ok() && !retained.empty()) s = writer->AppendEncoded(retained);
  if (s.ok()) s = writer->Sync();
  if (s.ok()) s = fs->SyncDir(dir);
  // 2. The abandoned files end cleanly at their durable part: whatever a failed write left
  //    after it (a torn record, or records now in the fresh file) goes.
  for (const Abandoned& old : abandoned) {
    if (!s.ok()) break;
    s = fs->Truncate(old.path, old.durable_size);
  }
  if (!s.ok()) {
    writer.reset();
    // The fresh file is of no use; if it cannot even be removed, the next successful retry
    // empties it, so it never ends in a torn record.
    left_behind = fs->FileExists(path) && !fs->RemoveFile(path).ok();
  }
  return s;
}

Status WalWriter::FinishRetry(RetryJob* job, const Status& result) {
  if (!result.ok()) {
    if (job->left_behind) {
      abandoned_.insert(abandoned_.begin(), Abandoned{job->number, job->path, 0});
    }
    const std::string message =
        "shard " + std::to_string(shard_) + ": retrying WAL writes failed: " + result.message();
    if (message != last_error_) spdlog::warn("{}", message);
    last_error_ = message;
    failure_ = FailureOf(result, message);
    return failure_;
  }
  // 3. Resume in the fresh file. The abandoned files stay until a flush makes them obsolete:
  //    their durable records belong to the active memtable.
  for (const Abandoned& old : job->abandoned) closed_[old.number] = old.durable_size;
  abandoned_.clear();
  Install(std::move(job->writer), job->number, /*dir_synced=*/true);
  failed_ = false;
  failure_ = Status::Ok();
  spdlog::info("shard {}: WAL writes resumed in {} ({} retained bytes rewritten)", shard_,
               job->path, job->retained.size());
  return Status::Ok();
}

void WalWriter::EnterFailedState(std::string_view operation, const Status& cause) {
  std::string message = "shard " + std::to_string(shard_) + ": WAL " + std::string(operation) +
                        " failed: " + cause.message();
  spdlog::error("{}; writes to this shard are refused until the WAL can be written again", message);
  failed_ = true;
  last_error_ = message;
  failure_ = FailureOf(cause, std::move(message));
}

bool WalWriter::DurableFiles(std::vector<uint64_t>* files,
                             std::vector<std::pair<std::string, uint64_t>>* to_sync) const {
  const size_t written_in_buffer = static_cast<size_t>(written_end_ - buffer_file_offset_);
  const bool all_synced = !failed_ && abandoned_.empty() && file_ != nullptr &&
                          buffer_.size() == written_in_buffer && written_end_ == synced_end_ &&
                          dir_synced_;
  if (!all_synced) return false;
  for (const auto& [number, size] : closed_) {
    if (size <= kHeaderOnlyWalSize) continue;
    files->push_back(number);
    if (closed_unsynced_) to_sync->emplace_back(Path(number), size);
  }
  if (written_end_ > kHeaderOnlyWalSize) files->push_back(number_);
  return true;
}

uint64_t WalWriter::total_bytes() const {
  uint64_t bytes = written_end_;
  for (const auto& [number, size] : closed_) bytes += size;
  return bytes;
}

}  // namespace shale::storage
