// Shard: one partition of the keyspace, one LSM tree, with its own WAL, memtables, tables,
// manifest, key counts and sequence numbers, living in its own directory `<dir>/shard-NNN/`:
//
//   shard-NNN/NNNNNN.log          WAL files (log_format.h). A fresh one is started at every
//                                 open and at every memtable switch
//   shard-NNN/NNNNNN.log.dropped  files set aside by point-in-time recovery (never replayed)
//   shard-NNN/NNNNNN.sst          tables (format.h)
//   shard-NNN/CURRENT, MANIFEST-NNNNNN   the manifest (version_set.h)
//
// Writes (Write, Put) come from one thread, the event loop. Each applies its batch's entries to
// the active memtable, the counters and the group cut-offs, and appends one batch record to the
// in-memory log buffer. The shard gives keys and values no meaning (write_batch.h). WritePending()
// writes the buffer to the WAL file; SyncWal() fsyncs it. Both run without blocking each other: the
// fsync happens with no lock held that a write or WritePending needs (only `sync_mu_`, which orders
// fsyncs against each other and against RetryFailedWrites).
//
// The log buffer, the WAL files and their failed state are the WalWriter's (wal_writer.h, with
// the log buffer invariant), guarded by mu_.
//
// Memtable switch: once the active memtable reaches memtable_size, the next WritePending()
// (after writing the pending records to the current WAL) fsyncs the current WAL and, if not
// yet done, its directory entry (so a later WAL never holds durable records while an earlier
// one lacks some; skipped under appendfsync=no), starts a new WAL file, makes the memtable
// immutable and starts an empty one; writes continue at once (this fsync, one per switch, is
// the only disk wait the switch puts on the writer thread). So every record in a WAL file
// belongs to the memtable that was active when the file was current or to an older one, and
// the records of an immutable memtable lie in WAL files numbered below the WAL started when it
// was frozen (its next_log_number).
//
// Flush: the shard's worker thread writes the oldest immutable memtable to a table
// (flush_job.h) without holding mu_, records it in the manifest (fsynced) together with
// log number = that memtable's next_log_number, last sequence = its last sequence and the
// counters and group cut-offs as of that sequence, installs the new table set, drops the
// immutable memtable and only then deletes the WAL files numbered below the new log number.
// Recovery = the manifest's state + replay of the WAL files at or above its log number
// (batches at or below its last sequence are skipped). A failed flush is retried after
// kFlushRetryInterval.
//
// Durable WAL record: a clean close (no failed WAL write, everything written fsynced) appends
// to the manifest the last sequence and the WAL files holding records (version_edit.h, field
// 10). Recovery then refuses (unless the recovery mode accepts the loss, wal_recovery.h) a
// listed WAL file that is missing, WAL files that end before that sequence, and any gap in
// the sequence numbers of the replayed batches (every file continues the one before). WAL files
// kept after recovery are fsynced, since a killed process may have left their records in the
// page cache only and the next clean close vouches for them; a crash records nothing, so an
// empty WAL it leaves behind (after a rotation, or right after an open) is never required.
//
// Compaction (same worker; flushes always go first): when no memtable waits for its flush, the
// worker asks the picker (compaction_picker.h) for a compaction over the current version and
// runs it (compaction_job.h) without holding mu_, so reads and writes go on. Then ONE manifest
// edit records "add the output, remove the inputs" (fsynced); only after it succeeds is the
// new version installed and the inputs marked obsolete: each input file is removed (and its
// block cache entries erased) when the last Version listing it goes, i.e. once no ongoing Get
// or Scan uses it (TableHandle::MarkObsolete). A crash at any point leaves either the old or
// the new table set in the manifest; whatever file it does not list is a stray removed at the
// next open. A failed edit leaves its output file on disk (the edit may have reached the
// manifest) and the inputs in place; it is retried as a new compaction after
// kFlushRetryInterval, and the unlisted output is removed at the next open. CompactAll()
// schedules one compaction of every table of the shard. With stop_tables tables or more and no
// bucket to merge, the worker merges every table so that stopped writes can resume.
//
// Back-pressure: with slowdown_tables tables or more, or stop_immutable_memtables - 1
// immutable memtables or more, a write is delayed by ~1 ms; with stop_tables tables or
// stop_immutable_memtables immutable memtables or more it waits until the worker has brought
// the shard below both limits. With wait_on_back_pressure every write method first calls
// Throttle(), which does this on the writer's thread (stall_cv_, notified by every flush and
// compaction). Without it (the server) write methods never wait: the writer asks
// CheckWriteRoom() first and delays the write itself, so a stalled shard holds up only the
// writes that need it. CheckWriteRoom reports an error instead of kStopped when the worker's
// last flush or compaction failed, so a stall on a failing disk ends with an error.
//
// Reads see the active memtable, then the immutable ones newest first, then the tables newest
// first; the first version found decides (a tombstone or an entry dead by FLUSHDB means
// absent). Among tables the version with the highest sequence wins, which for tables written
// by flushes (disjoint sequence ranges) is the first one found. Memtable lookups happen under
// mu_, so a reader sees whole batches only; table lookups happen on a reference-counted
// Version taken under mu_, without the lock, so a flush installing a new version never frees a
// table in use. Writes keep mu_ across their existence checks (table reads included); the
// background threads only ever wait for them, never the other way round: no background thread
// holds mu_ during I/O.
//
// Failure: a failed write(2) or fsync of the WAL puts the shard in the failed state
// (wal_writer.h): writes return the failure (IOError or NoSpace, with the reason), reads go on,
// no memtable switch happens. RetryFailedWrites() writes the retained records to a fresh WAL
// file and leaves the failed state.
//
// Dead entries: a kDropGroup entry at sequence S sets the group's cut-off to S; every entry of
// that group with a smaller sequence is dead for reads and iterators, and flushes and
// compactions leave it out, which makes dropping a group O(1).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "storage/block_cache.h"
#include "storage/compaction_filter.h"
#include "storage/compaction_job.h"
#include "storage/compaction_picker.h"
#include "storage/file_system.h"
#include "storage/group_cutoffs.h"
#include "storage/log_writer.h"
#include "storage/memtable.h"
#include "storage/mutex.h"
#include "storage/options.h"
#include "storage/stats.h"
#include "storage/status.h"
#include "storage/table_builder.h"
#include "storage/thread_annotations.h"
#include "storage/version_set.h"
#include "storage/wal_recovery.h"
#include "storage/wal_writer.h"
#include "storage/write_batch.h"

namespace shale::storage {

struct ShardOptions {
  FileSystem* fs = nullptr;
  std::string dir;  // the shard's own directory
  uint32_t index = 0;
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  uint64_t memtable_size = 64 << 20;
  TableOptions table;
  BlockCache* block_cache = nullptr;  // shared by all shards; nullable; outlives the shard
  uint64_t max_manifest_size = VersionSet::kDefaultMaxManifestSize;
  CompactionOptions compaction;
  RateLimiter* compaction_limiter = nullptr;  // shared by all shards; nullable; outlives them
  bool wait_on_back_pressure = true;          // Options::wait_on_back_pressure
  const CompactionFilter* compaction_filter = nullptr;  // nullable; outlives the shard
  // Recovery of parts of atomic writes across shards (write_batch.h, kParticipants): whether
  // the part whose record starts at `first_sequence` may be applied, i.e. every part it names
  // is durable. Null: all are. A part not applied is left out (its sequences stay used).
  std::function<bool(uint64_t first_sequence, const std::vector<TxnParticipant>& parts)>
      part_complete;
  // The data directory's shard count (its SHARDS file), recorded in the manifest and checked
  // against it at recovery; 0 = not known (nothing recorded or checked).
  int shard_count = 0;
};

// What Shard::Verify found about one file (or the shard directory itself, for findings about no
// single file): `status` is not OK for damage; `note` describes what start-up would do about an
// intact file (cut a torn tail, remove a stray).
// A part of an atomic write across shards found in a shard's WAL files (CollectParts).
struct CollectedPart {
  uint64_t first_sequence = 0;
  std::vector<TxnParticipant> parts;
};

struct ShardFileFinding {
  std::string path;
  Status status;
  std::string note;
};

class Shard {
 public:
  static constexpr std::chrono::seconds kFlushRetryInterval{1};
  // How often an idle worker asks the picker again (tombstone rewrites depend on table age).
  static constexpr std::chrono::seconds kCompactionRecheckInterval{60};
  static constexpr std::chrono::milliseconds kSlowdownDelay{1};

  // Creates the directory if needed, recovers (manifest, then WAL files), starts a fresh WAL
  // and a fresh manifest, removes stray files and starts the flush worker.
  static Status Open(const ShardOptions& options, std::unique_ptr<Shard>* shard,
                     WalRecoveryResult* recovery);
  // Checks the shard directory as Open would, with the same recovery code, without changing
  // anything (no cut, no removal, no new file): the returned status is what Open would return
  // (before creating files). Goes further than Open, into *findings: every block of every table
  // the manifest lists (and its properties against the manifest's record of it), every record of
  // every WAL file, stray files. `options.block_cache` is not used.
  static Status Verify(const ShardOptions& options, std::vector<ShardFileFinding>* findings);
  // Reads the shard directory as Open would, changing nothing and applying nothing, and lists
  // the parts of atomic writes across shards its WAL files hold beyond the tables, and the
  // sequence up to which every write is in a table (*table_sequence). A directory that does not
  // exist yet has neither.
  static Status CollectParts(const ShardOptions& options, std::vector<CollectedPart>* parts,
                             uint64_t* table_sequence);
  // Parts that recovery left out because another shard lacks its part (see part_complete).
  uint64_t discarded_parts() const { return discarded_parts_; }

  // Stops the worker: a flush or compaction in progress is abandoned within a few entries (its
  // partial output removed; the inputs and the WAL stay, as after a crash). After a clean run
  // (no failed WAL write, everything written synced), records in the manifest which WAL files
  // hold which writes durably (version_edit.h, field 10), so that the next open can tell a WAL
  // file that was removed or emptied from one that never held anything.
  ~Shard();
  // Tells the worker to stop without waiting for it, so a store closing many shards stops
  // them all at once; the destructor then only joins.
  void BeginStop() EXCLUDES(mu_);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  uint32_t index() const { return options_.index; }

  // --- reads (any thread) ---
  // The live value of `key` into *value (*found false when it has none). A damaged table makes
  // them return its Corruption status.
  // With `snapshot` (AcquireSnapshot), as of that sequence.
  Status Get(std::string_view key, std::string* value, bool* found,
             uint64_t snapshot = kMaxSequence) const EXCLUDES(mu_);
  // An iterator over the live entries (keys ascending; values as stored) as of the call (or of
  // `snapshot`), holding what it reads; Seek takes a key (not an internal key).
  // The live entries as of `snapshot`, ending before `upper_bound` (empty: no bound).
  Status NewIterator(std::unique_ptr<Iterator>* iterator, uint64_t snapshot = kMaxSequence,
                     std::string upper_bound = {}) const EXCLUDES(mu_);
  // A snapshot: the current last sequence, which flushes and compactions keep readable (the
  // versions a read at it sees are kept) until ReleaseSnapshot. A group drop after it is seen by
  // reads at it too: a snapshot does not keep a dropped group.
  uint64_t AcquireSnapshot() EXCLUDES(mu_);
  void ReleaseSnapshot(uint64_t sequence) EXCLUDES(mu_);
  std::map<uint32_t, int64_t> Counters() const EXCLUDES(mu_);
  int64_t Counter(uint32_t counter) const EXCLUDES(mu_);

  // Back-pressure now (Db::CheckWriteRoom). Any thread.
  Status CheckWriteRoom(WriteRoom* room) const EXCLUDES(mu_);
  void RecordStall(WriteRoom room, uint64_t micros) EXCLUDES(mu_);

  // --- writes (one thread at a time) ---
  // Applies `batch` (its entries for this shard, write_batch.h) at the next sequences, which it
  // sets in the batch, and appends its record to the log buffer.
  Status Write(WriteBatch* batch) EXCLUDES(mu_);
  // A batch of one put of `key` (stored value: `value_prefix` then `value`) and `counters`,
  // encoded straight into the log buffer.
  Status Put(std::string_view key, std::string_view value_prefix, std::string_view value,
             std::span<const CounterDelta> counters) EXCLUDES(mu_);
  // Between BeginAtomic and EndAtomic, writes are applied at once (readers see them) but their
  // entries are collected into one batch, logged by EndAtomic as one record: one atomic unit
  // for recovery.
  void BeginAtomic() EXCLUDES(mu_);
  // With `parts` (an atomic write across shards; this shard's own part among them, made from
  // AtomicPending), the record ends with a kParticipants entry, which takes the next sequence.
  void EndAtomic(const std::vector<TxnParticipant>* parts = nullptr) EXCLUDES(mu_);
  // The sequences the record EndAtomic will log starts at, and how many (the kParticipants
  // entry included); false when nothing was written since BeginAtomic.
  bool AtomicPending(uint64_t* first_sequence, uint32_t* count) const EXCLUDES(mu_);

  // --- WAL (the writer thread, or after it stopped) ---
  // Writes the records not yet written to the WAL file (one Append). *wrote says whether there
  // was anything to write. Under FsyncPolicy::kNo written records stop being retained. Then,
  // when `allow_switch` and the memtable has reached memtable_size, switches memtables (see
  // the top of this file); a switch that cannot start its new WAL file is logged and tried
  // again by the next call. Returns the failure if the write (or the switch's fsync) fails, or
  // if the shard is failed with records unwritten.
  Status WritePending(FsyncPolicy policy, bool* wrote, bool allow_switch = true) EXCLUDES(mu_);
  // True when written records await an fsync.
  bool HasUnsynced() const EXCLUDES(mu_);
  // fsyncs the WAL file up to what has been written; on success those records stop being
  // retained. Holds no lock a writer or WritePending needs while it waits for the disk.
  Status SyncWal() EXCLUDES(sync_mu_, mu_);
  // In the failed state: writes the retained records to a fresh WAL file and resumes writes.
  // OK at once when not failed.
  Status RetryFailedWrites() EXCLUDES(sync_mu_, mu_);
  // OK, or the reason writes are refused.
  Status WriteState() const EXCLUDES(mu_);
  bool failed() const EXCLUDES(mu_);

  // --- flushes ---
  // Writes pending records, then makes the active memtable immutable (if it holds anything)
  // for the worker to flush; the error of the switch if it fails. Writer thread.
  // With `force`, an empty memtable is switched too, so every WAL file before the new one
  // becomes obsolete once the (empty) flush is recorded.
  Status SwitchMemTable(FsyncPolicy policy, bool force = false) EXCLUDES(mu_);
  // Whether the active memtable has reached memtable_size (the next Commit should switch).
  bool SwitchDue() const EXCLUDES(mu_);
  // The other shards whose parts of atomic writes the active memtable holds: before the
  // memtable is switched (and so may reach a table), their WAL files must be durable too.
  std::vector<uint32_t> AtomicPeers() const EXCLUDES(mu_);
  // Waits until no immutable memtable is left. Returns OK then, or the error of a flush attempt
  // that failed while waiting (the worker retries it later).
  // Waits until no immutable memtable is left and the worker has no compaction to run (or
  // is waiting out a failed one). Returns OK then, or the error of a flush attempt that failed
  // while waiting (the worker retries it later).
  Status WaitForFlushes() EXCLUDES(mu_);

  // --- compactions ---
  // Schedules one compaction of all the shard's tables into one; returns at once.
  void CompactAll() EXCLUDES(mu_);
  // True while a compaction runs or a CompactAll is scheduled.
  bool CompactionRunning() const EXCLUDES(mu_);
  // The current version (tests: holding it keeps its tables' files).
  std::shared_ptr<const Version> CurrentVersion() const EXCLUDES(mu_);

  ShardStats Stats() const EXCLUDES(mu_);

 private:
  class ApplyHandler;
  // A memtable waiting for its flush, with the shard's persistent state as of its last write.
  struct ImmutableMemTable {
    std::shared_ptr<MemTable> mem;
    uint64_t next_log_number = 0;  // WAL started when it was frozen
    uint64_t last_sequence = 0;
    std::map<uint32_t, int64_t> counters;
    GroupCutoffs cutoffs;
  };
  // A flush whose table is written but whose manifest edit has not succeeded yet (worker only).
  struct PendingFlush {
    std::shared_ptr<const TableHandle> table;  // null: nothing survived, no table
    VersionEdit edit;
    uint64_t log_number = 0;
  };

  explicit Shard(const ShardOptions& options);

  std::string WalPath(uint64_t number) const;
  // REQUIRES: the shard not yet shared (Open, Verify or CollectParts). With `read_only`
  // nothing is changed. Recover and the two functions below it read and write the state
  // guarded by mu_ without it: no other thread can reach the shard yet, which the analysis
  // cannot know, so it is off for them.
  Status Recover(WalRecoveryResult* recovery, bool read_only) NO_THREAD_SAFETY_ANALYSIS;
  Status ApplyReplayedBatch(std::string_view payload) NO_THREAD_SAFETY_ANALYSIS;
  // The checks of the WAL files against the manifest's record of durable writes (Recover).
  Status CheckListedWalsPresent(const std::vector<WalFileInfo>& files) const;
  Status CheckDurableWritesReplayed() const NO_THREAD_SAFETY_ANALYSIS;
  // Records, at a clean close, which WAL files hold the shard's writes durably (~Shard).
  void RecordDurableWals() EXCLUDES(mu_);
  Status StartNewWal() EXCLUDES(mu_);
  // Removes files no live state refers to (after the new manifest is in place).
  void RemoveStrayFiles();
  uint64_t AllocateFileNumber() EXCLUDES(mu_);

  bool FindInMemTables(std::string_view storage_key, MemTable::Entry* entry,
                       uint64_t snapshot) const REQUIRES(mu_);
  // Write's body. REQUIRES: mu_ held.
  Status WriteLocked(WriteBatch* batch) REQUIRES(mu_);
  void AdjustCounter(uint32_t counter, int64_t delta) REQUIRES(mu_);
  Status SwitchMemTableLocked(FsyncPolicy policy, bool force = false) REQUIRES(mu_);

  // No lock needed: versions are immutable.
  static Status FindInTables(const Version& version, std::string_view storage_key,
                             uint64_t snapshot, bool* found, ValueKind* kind, uint64_t* sequence,
                             std::string* value);

  // Flush worker.
  void WorkerLoop() EXCLUDES(mu_);
  Status FlushOldestImmutable() EXCLUDES(mu_);
  // Flushes every frozen memtable now; called by a running compaction between its entries.
  // REQUIRES: on the worker thread.
  void FlushFrozenMemTables() EXCLUDES(mu_);
  void OpenTablesInBackground() EXCLUDES(mu_);
  // Picks a compaction over the current version and runs it; *ran says whether one ran.
  // Also refreshes the picker statistics. Worker only.
  Status MaybeCompact(bool* ran) EXCLUDES(mu_);
  Status RunCompactionOf(const std::vector<uint64_t>& files, CompactionReason reason,
                         const std::shared_ptr<const Version>& base) EXCLUDES(mu_);
  // Back-pressure before a write (see the top of this file).
  void Throttle() EXCLUDES(mu_);
  bool WritesStopped() const REQUIRES(mu_);
  bool WritesSlowed() const REQUIRES(mu_);

  const ShardOptions options_;
  FileSystem* const fs_;

  mutable Mutex mu_;
  Mutex sync_mu_;                    // orders SyncWal and RetryFailedWrites; held across the fsync
  std::condition_variable work_cv_;  // the worker waits for work (with mu_)
  std::condition_variable flushed_cv_;  // WaitForFlushes waits for flush attempts (with mu_)
  std::condition_variable stall_cv_;    // stopped writes wait for flush/compaction progress

  // Guarded by mu_ (written only by the writer thread, the worker where noted, or Recover
  // before the shard is shared).
  std::shared_ptr<MemTable> mem_ GUARDED_BY(mu_);
  std::deque<ImmutableMemTable> imm_ GUARDED_BY(mu_);  // oldest first; the worker pops the front
  std::shared_ptr<const Version> version_ GUARDED_BY(mu_);  // replaced by the worker
  std::map<uint32_t, int64_t> counters_ GUARDED_BY(mu_);    // write_batch.h; zeros are absent
  GroupCutoffs cutoffs_ GUARDED_BY(mu_);  // entries of a group below its cut-off are dead
  uint64_t last_sequence_ GUARDED_BY(mu_) = 0;
  uint64_t next_file_number_ GUARDED_BY(mu_) = 1;  // WALs (writer), tables and manifests (worker)
  uint64_t log_number_ GUARDED_BY(mu_) = 0;  // the manifest's: WAL files below it are obsolete

  // The WAL: log buffer, files and the failed state (wal_writer.h).
  WalWriter wal_ GUARDED_BY(mu_);
  bool atomic_ GUARDED_BY(mu_) = false;                // between BeginAtomic and EndAtomic
  WriteBatch atomic_batch_ GUARDED_BY(mu_);            // the entries written since BeginAtomic
  std::set<uint32_t> atomic_peers_ GUARDED_BY(mu_);    // AtomicPeers() of the active memtable
  std::multiset<uint64_t> snapshots_ GUARDED_BY(mu_);  // live snapshots (AcquireSnapshot)

  // Flush state, guarded by mu_.
  bool stop_ GUARDED_BY(mu_) = false;
  bool retry_now_ GUARDED_BY(mu_) = false;    // WaitForFlushes cut the retry interval short
  bool open_tables_ GUARDED_BY(mu_) = false;  // the worker still has to open the recovered tables
  uint64_t flushes_ GUARDED_BY(mu_) = 0;
  uint64_t last_flush_micros_ GUARDED_BY(mu_) = 0;
  uint64_t last_compaction_micros_ GUARDED_BY(mu_) = 0;
  uint64_t flush_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t flush_failures_ GUARDED_BY(mu_) = 0;
  Status flush_error_ GUARDED_BY(mu_);         // of the last attempt (OK when it succeeded)
  Status last_flush_failure_ GUARDED_BY(mu_);  // of the last failed attempt

  // Compaction state, guarded by mu_.
  bool idle_ GUARDED_BY(mu_) = false;               // the worker waits with nothing to do
  bool manual_compaction_ GUARDED_BY(mu_) = false;  // CompactAll scheduled
  bool compacting_ GUARDED_BY(mu_) = false;         // a compaction runs
  uint64_t compactions_ GUARDED_BY(mu_) = 0;
  uint64_t compaction_bytes_read_ GUARDED_BY(mu_) = 0;
  uint64_t compaction_bytes_written_ GUARDED_BY(mu_) = 0;
  uint64_t pending_compaction_bytes_ GUARDED_BY(mu_) = 0;    // as of the worker's last pick
  std::vector<uint64_t> tables_per_bucket_ GUARDED_BY(mu_);  // as of the worker's last pick
  Status compaction_error_ GUARDED_BY(mu_);                  // of the last attempt
  uint64_t stall_slowdowns_ GUARDED_BY(mu_) = 0;
  uint64_t stall_stops_ GUARDED_BY(mu_) = 0;
  uint64_t stall_micros_ GUARDED_BY(mu_) = 0;
  uint64_t user_bytes_written_ GUARDED_BY(mu_) = 0;  // key + value bytes of client writes

  // Not guarded by mu_.
  std::atomic<bool> stopping_{false};  // set with stop_; cancels compaction pacing waits
  // Open completed: the close may record durable WALs. Set by Open, read by the destructor.
  bool opened_ = false;
  // Written by Recover before the shard is shared, then only read.
  uint64_t discarded_parts_ = 0;
  std::vector<CollectedPart>* collect_parts_ = nullptr;  // CollectParts: list parts, apply nothing
  // Tables whose lone tombstone rewrite dropped nothing: not offered for another one (worker).
  std::set<uint64_t> useless_rewrites_;

  // Used by Open, then only by the worker thread.
  VersionSet versions_;
  std::optional<PendingFlush> pending_flush_;
  std::thread worker_;
};

}  // namespace shale::storage
