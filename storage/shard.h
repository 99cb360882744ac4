// Shard: one partition of the keyspace with its own WAL, memtable, key counts and sequence
// numbers, living in its own directory `<dir>/shard-NNN/`:
//
//   shard-NNN/NNNNNN.log          WAL files (log_format.h), replayed in number order at open;
//                                 a fresh one is started at every open
//   shard-NNN/NNNNNN.log.dropped  files set aside by point-in-time recovery (never replayed)
//
// Writes (Set, MultiSet, Delete, FlushDb, FlushAll) come from one thread, the event loop. Each
// checks the current state of its keys (for key counts, NX/XX, GET), applies its entries to the
// memtable and appends one batch record to the in-memory log buffer. WritePending() writes the
// buffer to the WAL file; SyncWal() fsyncs it. Both run without blocking each other: the fsync
// happens with no lock held that a write or WritePending needs (only `sync_mu_`, which orders
// fsyncs against each other and against RetryFailedWrites).
//
// Log buffer invariant: log_buffer_ holds the WAL file's bytes [buffer_file_offset_,
// written_end_) followed by the records not yet written. Everything before
// buffer_file_offset_ is durable (synced), or under appendfsync=no at least written. So
// log_buffer_ is exactly the set of records not known to be durable: what a retry must write.
//
// Failure: a failed write(2) or fsync puts the shard in the failed state: writes return the
// failure (IOError or NoSpace, with the reason), reads go on, the log buffer is kept.
// RetryFailedWrites() writes it to a fresh WAL file, fsyncs file and directory, cuts the
// abandoned file back to its durable part (so it ends cleanly), and leaves the failed state.
// Replay skips batches whose sequence was applied already, so a record present in both files
// is harmless.
//
// Dead entries: FlushDb(db) at sequence S sets flushed_before_[db] = S; every entry of that
// database with a smaller sequence is dead for reads and scans (later flush and compaction
// will drop them), which makes FLUSHDB O(1).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/db.h"
#include "storage/file_system.h"
#include "storage/log_writer.h"
#include "storage/memtable.h"
#include "storage/status.h"
#include "storage/wal_recovery.h"
#include "storage/write_batch.h"

namespace shale::storage {

struct ShardOptions {
  FileSystem* fs = nullptr;
  std::string dir;  // the shard's own directory
  uint32_t index = 0;
  int databases = 16;
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
};

class Shard {
 public:
  // Creates the directory if needed, replays the WAL files, starts a fresh one.
  static Status Open(const ShardOptions& options, std::unique_ptr<Shard>* shard,
                     WalRecoveryResult* recovery);
  ~Shard();
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  uint32_t index() const { return options_.index; }

  // --- reads (any thread) ---
  // `db` must be below the database count (Db checks).
  Status Get(uint16_t db, std::string_view key, std::string* value) const;
  bool Exists(uint16_t db, std::string_view key) const;
  uint64_t KeyCount(uint16_t db) const;
  // Up to `limit` live keys of `db` after `after` starting with `prefix`, ascending, appended
  // to *keys; *done when there are no more.
  Status Scan(uint16_t db, std::string_view after, std::string_view prefix, size_t limit,
              std::vector<std::string>* keys, bool* done) const;

  // --- writes (one thread at a time) ---
  Status Set(uint16_t db, std::string_view key, std::string_view value, SetCondition condition,
             bool* applied, std::string* old_value, bool* had_old);
  Status MultiSet(uint16_t db, std::span<const KeyValue* const> pairs);
  // Deletes the keys that exist (a key named twice is deleted once); *removed += their number.
  Status Delete(uint16_t db, std::span<const std::string_view* const> keys, int64_t* removed);
  Status FlushDb(uint16_t db);
  Status FlushAll();

  // --- WAL ---
  // Writes the records not yet written to the WAL file (one Append). *wrote says whether there
  // was anything to write. Under FsyncPolicy::kNo written records stop being retained.
  // Returns the failure if the write fails, or if the shard is failed with records unwritten.
  Status WritePending(FsyncPolicy policy, bool* wrote);
  // True when written records await an fsync.
  bool HasUnsynced() const;
  // fsyncs the WAL file up to what has been written; on success those records stop being
  // retained. Holds no lock a writer or WritePending needs while it waits for the disk.
  Status SyncWal();
  // In the failed state: writes the retained records to a fresh WAL file and resumes writes.
  // OK at once when not failed.
  Status RetryFailedWrites();
  // OK, or the reason writes are refused.
  Status WriteState() const;
  bool failed() const;

  ShardStats Stats() const;

 private:
  class ReplayHandler;
  struct AbandonedWal {
    std::string path;
    uint64_t durable_size;  // cut the file back to this many bytes
  };

  explicit Shard(const ShardOptions& options);

  std::string WalPath(uint64_t number) const;
  Status Recover(WalRecoveryResult* recovery);
  Status StartNewWal();
  Status ApplyReplayedBatch(std::string_view payload);

  // REQUIRES: mu_ held.
  bool LiveEntry(uint16_t db, std::string_view storage_key, MemTable::Entry* entry) const;
  void AppendBatchRecord();
  void EnterFailedState(std::string_view operation, const Status& cause);

  const ShardOptions options_;
  FileSystem* const fs_;

  mutable std::mutex mu_;
  std::mutex sync_mu_;  // orders SyncWal and RetryFailedWrites; held across the fsync

  // Guarded by mu_ (written only by the writer thread, or Recover before the shard is shared).
  std::shared_ptr<MemTable> mem_;
  std::vector<uint64_t> key_counts_;      // per database
  std::vector<uint64_t> flushed_before_;  // per database: entries below this sequence are dead
  uint64_t last_sequence_ = 0;

  // WAL state, guarded by mu_.
  std::unique_ptr<log::LogWriter> wal_;
  uint64_t wal_number_ = 0;
  uint64_t next_file_number_ = 1;
  std::string log_buffer_;
  uint64_t buffer_file_offset_ = 0;
  uint64_t written_end_ = 0;
  uint64_t synced_end_ = 0;
  uint64_t older_wal_bytes_ = 0;  // sizes of the live WAL files before the current one
  std::vector<AbandonedWal> abandoned_;
  bool failed_ = false;
  Status failure_;
  std::string last_error_;
  uint64_t wal_records_ = 0;
  uint64_t fsyncs_ = 0;

  // Scratch of the writer thread, kept to avoid allocating per write.
  WriteBatch batch_;
  std::string key_scratch_;
  std::string value_scratch_;
  mutable std::string read_scratch_;  // REQUIRES: mu_ held
};

}  // namespace shale::storage
