// WalWriter: one shard's write-ahead log as the writer side sees it: the in-memory log buffer,
// the current WAL file, the WAL files before it, and the failed state.
//
// Log buffer invariant: the buffer holds the current file's bytes [buffer_file_offset,
// written_end) followed by the records not yet written. Everything of the file before
// buffer_file_offset is durable (synced), or under appendfsync=no at least written, except the
// header record of a file started by a rotation until its first fsync (a retry writes its own
// header). So the buffer is exactly the set of records not known to be durable: what a retry
// must write. Every WAL file before the current one is fully synced (under appendfsync=no:
// fully written; closed_unsynced() says so).
//
// Failed state: a failed write(2) or fsync puts the log in the failed state: appends are
// refused by the owner (failed(), failure()), WritePending and syncs do nothing, the buffer is
// kept and no rotation happens. A retry (PrepareRetry, RetryJob::Run without the lock,
// FinishRetry) writes the buffer to a fresh file, fsyncs file and directory, cuts every
// abandoned file back to its durable part (so it ends cleanly) and leaves the failed state.
// Replay skips batches whose sequence was applied already, so a record present in both files
// is harmless. The abandoned files stay, as closed files, until a flush makes them obsolete.
//
// Threading: not synchronised itself. The owner (Shard) guards it with its mutex: every method
// REQUIRES that mutex. The disk waits of a sync and of a retry run without it, as jobs
// (SyncJob, RetryJob) prepared and finished under the mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/file_system.h"
#include "storage/log_writer.h"
#include "storage/options.h"
#include "storage/status.h"

namespace shale::storage {

// Size of a WAL file holding its header record only.
inline constexpr uint64_t kHeaderOnlyWalSize = log::kRecordHeaderSize + log::kHeaderPayloadSize;

class WalWriter {
 public:
  // WAL files of shard `shard` in directory `dir`.
  WalWriter(FileSystem* fs, std::string dir, uint32_t shard);

  WalWriter(const WalWriter&) = delete;
  WalWriter& operator=(const WalWriter&) = delete;

  std::string Path(uint64_t number) const;

  // --- the current file ---
  // Creates WAL file `number` and makes it and its directory entry durable, as the current file
  // (at open: nothing is buffered yet).
  Status Start(uint64_t number);
  bool started() const { return file_ != nullptr; }
  uint64_t number() const { return number_; }
  // A file before the current one, kept with `size` bytes (recovery: a replayed file).
  void AddClosed(uint64_t number, uint64_t size) { closed_[number] = size; }
  bool HasClosed(uint64_t number) const { return closed_.count(number) != 0; }
  // Forgets the closed files numbered below `number` (a flush made them obsolete) and lists
  // them in *obsolete, for the caller to remove.
  void DropClosedBelow(uint64_t number, std::vector<uint64_t>* obsolete);

  // --- appending ---
  // Appends one encoded batch record to the buffer.
  void AppendBatch(std::string_view payload);
  // Appends one batch record whose payload `encode(std::string* dst)` appends in place.
  template <typename Encode>
  void AppendBatchInPlace(Encode&& encode) {
    const size_t start = log::BeginRecord(&buffer_);
    encode(&buffer_);
    log::FinishRecord(log::RecordType::kBatch, start, &buffer_);
    ++records_;
  }

  // Writes the records not yet written to the current file (one Append); *wrote says whether
  // there was anything to write. Under FsyncPolicy::kNo written records stop being retained.
  // The failure if the write fails, or if the log is failed with records unwritten.
  Status WritePending(FsyncPolicy policy, bool* wrote);
  // Written records await an fsync.
  bool HasUnsynced() const { return !failed_ && written_end_ > synced_end_; }

  // --- rotation (a memtable switch) ---
  // Step 1: everything written to the current file becomes durable, with its directory entry
  // (a later file must never hold durable records while an earlier one lacks some); its
  // records are then no longer retained. Under appendfsync=no only noted (closed_unsynced).
  Status SyncForRotation(FsyncPolicy policy);
  // Step 2: WAL file `number` becomes the current one (its header and directory entry are
  // synced by the next sync); the old one is closed with its size. On failure nothing changes
  // and the error is returned (logged once per distinct message).
  Status Rotate(uint64_t number);

  // --- syncs, with the disk wait outside the owner's mutex ---
  struct SyncJob {
    std::shared_ptr<WritableFile> file;  // null: nothing to sync
    FileSystem* fs = nullptr;
    std::string dir;
    uint64_t target = 0;  // file offset made durable
    uint64_t number = 0;
    bool sync_dir = false;
    mutable uint64_t micros = 0;  // how long Run took
    // The fsync (and directory sync). Needs no lock.
    Status Run() const;
  };
  // What a sync must do (job->file null: nothing); the failure when failed.
  Status PrepareSync(SyncJob* job) const;
  // Records the job's outcome: the synced records stop being retained; a failure of the
  // current file enters the failed state. A file rotated away meanwhile (after being synced
  // by the rotation) changes nothing.
  Status FinishSync(const SyncJob& job, const Status& result);

  // --- retrying after a failure, with the disk work outside the owner's mutex ---
  struct Abandoned {
    uint64_t number;
    std::string path;
    uint64_t durable_size;  // cut the file back to this many bytes
  };
  struct RetryJob {
    FileSystem* fs = nullptr;
    std::string dir;
    uint32_t shard = 0;
    uint64_t number = 0;  // the fresh file
    std::string path;
    std::string retained;  // the buffer: every record not known durable
    std::vector<Abandoned> abandoned;
    std::unique_ptr<log::LogWriter> writer;  // the fresh file, after a successful Run
    bool left_behind = false;  // after a failed Run: the fresh file exists and would not go
    // Writes the fresh file (synced, with its directory entry) and cuts the abandoned files
    // back; on failure removes the fresh file. Needs no lock.
    Status Run();
  };
  // *needed = false when not failed; otherwise fills the job for fresh file `number`.
  void PrepareRetry(uint64_t number, RetryJob* job, bool* needed);
  // Resumes in the job's fresh file after a successful Run; after a failed one stays failed
  // with the retry's error (a fresh file that could not be removed is abandoned too).
  Status FinishRetry(RetryJob* job, const Status& result);

  // --- state ---
  bool failed() const { return failed_; }
  const Status& failure() const { return failure_; }
  // A failed write or fsync: enters the failed state with `cause`.
  void EnterFailedState(std::string_view operation, const Status& cause);
  // Everything is written and synced, nothing failed or abandoned: a clean state, in which
  // *files lists the files that hold records (closed ones, then the current one) and *to_sync
  // the closed files a rotation under appendfsync=no left unsynced. False otherwise.
  bool DurableFiles(std::vector<uint64_t>* files,
                    std::vector<std::pair<std::string, uint64_t>>* to_sync) const;

  // Statistics.
  uint64_t total_bytes() const;  // closed files and the current one
  size_t buffer_capacity() const { return buffer_.capacity(); }
  uint64_t records() const { return records_; }
  uint64_t fsyncs() const { return fsyncs_; }
  // How long the latest fsync took (LATENCY's wal-fsync event).
  uint64_t last_fsync_micros() const { return last_fsync_micros_; }
  uint64_t bytes_written() const { return bytes_written_; }
  const std::string& last_error() const { return last_error_; }

 private:
  // Installs `file` (synced or not) as the current file with an empty buffer.
  void Install(std::unique_ptr<log::LogWriter> file, uint64_t number, bool dir_synced);
  // Forgets the buffer's records up to file offset `end` (they are durable).
  void Retire(uint64_t end);
  // Gives back the buffer's memory when it is empty and large.
  void ReleaseLargeBuffer();

  FileSystem* const fs_;
  const std::string dir_;
  const uint32_t shard_;

  std::unique_ptr<log::LogWriter> file_;
  uint64_t number_ = 0;
  bool dir_synced_ = false;  // the current file's directory entry is durable
  std::string buffer_;
  uint64_t buffer_file_offset_ = 0;
  uint64_t written_end_ = 0;
  uint64_t synced_end_ = 0;
  std::map<uint64_t, uint64_t> closed_;  // files before the current one: number -> size
  bool closed_unsynced_ = false;         // a rotation under appendfsync=no left one unsynced
  std::vector<Abandoned> abandoned_;

  bool failed_ = false;
  Status failure_;
  std::string last_error_;
  std::string last_rotate_error_;

  uint64_t records_ = 0;
  uint64_t fsyncs_ = 0;
  uint64_t last_fsync_micros_ = 0;
  uint64_t bytes_written_ = 0;  // appended to WAL files since start
};

}  // namespace shale::storage
