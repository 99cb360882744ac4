// Db: the engine's facade, a generic sharded key-value store in the spirit of LevelDB's DB:
// Write(batch), Get(key), NewIterator(), counters, a compaction filter. It gives keys and values
// no meaning (key_format.h, write_batch.h): what a key or value is belongs to the layer above.
// A fixed number of Shards, each one LSM tree with its own WAL and memtable; a key's shard is
// `KeySlot(router(key)) % shards` (Redis Cluster's CRC16 slot of the part of the key the
// router names, so keys the layer above wants together share a shard and a later cluster mode
// can move whole slots).
//
// Threading: the server calls every method below from its event-loop thread. Background
// threads (WAL fsync every second; one worker per shard for flushes and compactions) only touch
// shard state under the shard's own locks and never hold them during disk I/O, so reads and
// writes never wait for the disk work of a background thread, with one deliberate exception:
// back-pressure (CompactionOptions) delays or stops a write to a shard whose worker has fallen
// behind, on the caller's thread, i.e. the event loop, until the worker catches up.
//
// Storage: each shard is an LSM tree (shard.h): writes go to a memtable; a full memtable
// (memtable_size) becomes immutable, a new WAL file starts, and the shard's flush worker writes
// it out as an SSTable and records it in the shard's manifest. The same worker merges tables of
// similar size (size-tiered compaction, compaction_picker.h) when no flush is waiting. Reads look
// at the memtables and then the tables, newest first. One block cache (block_cache_size) serves
// every shard's tables.
//
// Durability: write methods apply a write to the memtable and append its WAL record to the
// shard's in-memory log buffer. Commit() then writes every shard's buffer to its WAL file, and
// under appendfsync=always also fsyncs them (shards in parallel), so all writes since the last
// Commit share one fsync per shard (group commit). The server calls Commit() once per event
// loop iteration, before any reply of that iteration leaves the process; a reply to a write is
// therefore never sent before the write is in the OS (everysec/no) or on disk (always).
//
// Damage: a table whose checksums or structure do not hold makes a read (or a write's
// existence check) that needs it fail with Status::Corruption naming the file; wrong data is
// never returned.
//
// Failure: when a shard's WAL write or fsync fails, the shard enters a failed state: new
// writes to it return an IOError status (the server answers -MISCONF) while reads go on.
// Records not known to be durable are kept in memory and a background retry writes them to a
// fresh WAL file; once that succeeds the shard accepts writes again. Nothing acknowledged is
// lost.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <functional>
#include <span>

#include "storage/compaction_filter.h"
#include "storage/file_system.h"
#include "storage/iterator.h"
#include "storage/status.h"
#include "storage/table_builder.h"
#include "storage/write_batch.h"

namespace shale::storage {

class Shard;

// A consistent view of every shard (Db::GetSnapshot): a read at it sees exactly the writes made
// before it, across all shards. Taken and used on the writer's thread (between two writes, so
// no batch is half in it).
class Snapshot {
 public:
  const std::vector<uint64_t>& sequences() const { return sequences_; }  // one per shard

 private:
  friend class Db;
  std::vector<uint64_t> sequences_;
};

struct ReadOptions {
  const Snapshot* snapshot = nullptr;  // null: the current state
};

enum class FsyncPolicy { kAlways, kEverySec, kNo };

// RocksDB's WAL recovery modes (details: wal_recovery.h, shard.cc's recovery).
//
// A torn tail is an incomplete last record: what a crash leaves. A complete last record whose
// checksum fails is damage, not a torn tail (a torn write shortens, it does not flip), and so
// is a loss of writes the manifest records as durable: a WAL file it lists that is missing,
// WAL files ending before the sequence it records (emptied, cut), a gap in the sequence
// numbers between replayed batches. kTolerateCorruptedTailRecords and kAbsoluteConsistency
// refuse all damage (Db::Open returns Corruption naming the file); kPointInTimeRecovery and
// kSkipAnyCorruptedRecords accept it with a logged warning.
enum class WalRecoveryMode {
  kTolerateCorruptedTailRecords,  // default: only an incomplete (torn) last record is cut off
  kAbsoluteConsistency,           // any bad record, even a torn tail, refuses start-up
  kPointInTimeRecovery,           // stop replay at the first bad record or gap, drop the rest
  kSkipAnyCorruptedRecords,       // skip bad records, accept gaps and go on (salvage)
};

// Size-tiered compaction and write back-pressure, per shard (compaction_picker.h, shard.h).
struct CompactionOptions {
  double bucket_low = 0.5;  // a table joins a bucket within [low, high] x its average size
  double bucket_high = 1.5;
  uint64_t min_sstable_size = uint64_t{50} << 20;  // smaller tables all share one bucket
  int min_threshold = 4;                           // a bucket with this many tables is merged
  int max_threshold = 32;                          // at most this many tables per compaction
  double tombstone_threshold = 0.2;  // tombstones / entries above it: rewrite the table alone
  // Minimum table age before a lone tombstone rewrite.
  uint64_t tombstone_compaction_interval_ms = 10 * 60 * 1000;
  // Compaction reads and writes of all shards together, paced (0 = unlimited).
  uint64_t throughput_bytes_per_sec = 0;
  // Back-pressure: with this many tables (or stop_immutable_memtables - 1 immutable memtables)
  // each write to the shard is delayed ~1 ms; at stop_tables tables or stop_immutable_memtables
  // immutable memtables writes wait until the shard's worker has caught up.
  int slowdown_tables = 24;
  int stop_tables = 48;
  int stop_immutable_memtables = 4;
};

struct Options {
  std::string dir;     // data directory; created if missing
  int shards = 0;  // 0 = number of cores
  FsyncPolicy fsync = FsyncPolicy::kEverySec;
  WalRecoveryMode wal_recovery_mode = WalRecoveryMode::kTolerateCorruptedTailRecords;
  FileSystem* fs = nullptr;  // nullptr = the POSIX file system; not owned
  // Run the maintenance thread (RunMaintenance() once a second). Tests turn it off and call
  // RunMaintenance() / RetryFailedWrites() themselves, so they stay deterministic.
  bool background_maintenance = true;
  // A shard's active memtable becomes immutable (and is flushed to a table) once its memory
  // reaches this many bytes; checked at each Commit(). When the disk is slower than the writes,
  // immutable memtables pile up until back-pressure (CompactionOptions) slows writes down.
  uint64_t memtable_size = uint64_t{64} << 20;
  // How tables are written: block size, restart interval, compression, bloom bits per key.
  TableOptions table;
  // Capacity of the block cache shared by all shards (uncompressed data blocks).
  size_t block_cache_size = size_t{256} << 20;
  CompactionOptions compaction;
  // true: a write to a shard under back-pressure (CompactionOptions) waits or is delayed on the
  // writer's thread. false: write methods never wait; the caller asks CheckWriteRoom() before
  // each write and delays it itself (the server parks the command and serves other clients).
  bool wait_on_back_pressure = true;
  // The part of a key that decides its shard (its routing key): the whole key when null. Must
  // be a pure function of the key, the same at every open.
  std::function<std::string_view(std::string_view key)> router;
  // Decides which values flushes and compactions may drop (compaction_filter.h); nullable, not
  // owned, outlives the Db.
  const CompactionFilter* compaction_filter = nullptr;
};

// Back-pressure as a writer that must not wait sees it (Options::wait_on_back_pressure false).
enum class WriteRoom {
  kOpen,     // write now
  kSlowed,   // the shard is falling behind: delay this write by about a millisecond
  kStopped,  // the shard is at its limit: write only once CheckWriteRoom says so
};

struct ShardStats {
  uint64_t memtable_bytes = 0;  // arena bytes in use
  uint64_t memtable_entries = 0;
  uint64_t wal_bytes = 0;  // size of the live WAL file(s)
  // Memory of the in-memory log buffer: records not yet known durable are kept there (up to
  // about a second of writes under everysec) so that a failed fsync can be retried.
  uint64_t wal_buffer_bytes = 0;
  uint64_t wal_records = 0;  // records appended since start
  uint64_t fsyncs = 0;       // fsync calls on the WAL since start
  uint64_t last_sequence = 0;
  bool write_failed = false;                // in the failed state (writes refused)
  std::string last_error;                   // text of the last WAL failure, empty if none
  uint64_t immutable_memtables = 0;         // memtables waiting for their flush
  uint64_t immutable_memtable_bytes = 0;    // their arena bytes
  uint64_t tables = 0;                      // live SSTables
  uint64_t table_bytes = 0;                 // their file sizes
  uint64_t flushes = 0;                     // memtables flushed since start
  uint64_t flush_bytes_written = 0;         // table bytes written by those flushes
  uint64_t flush_failures = 0;              // failed flush attempts since start (each retried)
  std::string flush_error;                  // the last flush attempt's error, empty if it succeeded
  uint64_t compactions = 0;                 // compactions completed since start
  uint64_t compaction_bytes_read = 0;       // input table bytes of those compactions
  uint64_t compaction_bytes_written = 0;    // output table bytes of those compactions
  uint64_t pending_compaction_bytes = 0;    // input bytes of the compaction the picker would choose
  std::vector<uint64_t> tables_per_bucket;  // the picker's current size buckets (table counts)
  uint64_t stall_slowdowns = 0;             // writes delayed ~1 ms by back-pressure
  uint64_t stall_stops = 0;                 // writes that waited for the worker to catch up
  uint64_t stall_micros = 0;                // total time writes spent delayed or waiting
  uint64_t user_bytes_written = 0;          // key + value bytes written by clients
  uint64_t wal_bytes_written = 0;           // bytes appended to WAL files since start
};

struct DbStats {
  std::vector<ShardStats> shards;
  uint64_t fsyncs = 0;                    // sum over shards
  uint64_t commits = 0;                   // Commit() calls that had something to write
  uint64_t recovered_records = 0;         // WAL records replayed at open
  uint64_t recovery_truncated_bytes = 0;  // torn tail bytes cut off at open
  // The block cache shared by all shards.
  uint64_t block_cache_capacity = 0;
  uint64_t block_cache_usage = 0;  // bytes of cached blocks
  uint64_t block_cache_hits = 0;
  uint64_t block_cache_misses = 0;
  // Key + value bytes of puts and key bytes of deletes.
  uint64_t user_bytes_written = 0;
  // (WAL bytes + flush bytes + compaction bytes written) / user_bytes_written; 0 without
  // user writes. WAL bytes = records appended since start (ShardStats::wal_bytes_written).
  double write_amplification = 0;
};

class Db {
 public:
  // Opens (creating if needed) the data directory; recovers every shard (manifest, then the
  // WAL files it does not cover) and starts the shards' flush workers. Tables are opened on
  // first use (and by the workers in the background), so opening stays fast with many tables.
  static Status Open(const Options& options, std::unique_ptr<Db>* db);
  // Commits pending writes and syncs every WAL, then stops the shards' workers, interrupting a
  // flush or compaction in progress (its partial table is removed; immutable memtables not yet
  // flushed are recovered from their WAL files at the next open, compaction inputs stay live).
  // Returns within a few milliseconds of the sync, whatever the workers were doing.
  ~Db();

  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  int shard_count() const;
  // The shard of a key, and of a routing key (Options::router).
  int ShardOf(std::string_view key) const;
  int ShardOfRoutingKey(std::string_view routing_key) const;

  // The live value of `key`; NotFound when it has none. A damaged table: its Corruption.
  Status Get(std::string_view key, std::string* value) { return Get(ReadOptions(), key, value); }
  Status Get(const ReadOptions& options, std::string_view key, std::string* value);

  // Applies every entry of `batch` (write_batch.h), each in its key's shard, and logs each
  // shard's part as one WAL record. Refuses (changing nothing) when a shard involved is in the
  // failed state. Readers on the writer's thread see all of the batch or none of it.
  Status Write(const WriteBatch& batch);
  // A batch of one put (stored value: `value_prefix` then `value`) with counter changes,
  // encoded straight into the shard's WAL buffer: the path of a plain SET.
  Status Put(std::string_view key, std::string_view value_prefix, std::string_view value,
             std::span<const CounterDelta> counters = {});

  // Between BeginAtomic and EndAtomic (nestable; the writer's thread), every write is applied
  // at once but each shard logs what it got as one WAL record at EndAtomic, so the group is one
  // unit for recovery (MULTI/EXEC). Commit() must not run in between.
  void BeginAtomic();
  Status EndAtomic();

  // A counter (write_batch.h) summed over the shards.
  int64_t Counter(uint32_t counter) const;

  // An iterator over the live entries of every shard, merged in key order, as of the call (each
  // shard as of the moment its part was made; nothing is written in between on the writer's
  // thread). Seek takes a key. A damaged table ends it with its status.
  Status NewIterator(std::unique_ptr<Iterator>* iterator) {
    return NewIterator(ReadOptions(), iterator);
  }
  Status NewIterator(const ReadOptions& options, std::unique_ptr<Iterator>* iterator);

  // A snapshot of every shard; flushes and compactions keep what it sees until it is released.
  // A group drop made after it is seen by reads at it too (a snapshot does not keep a dropped
  // group). Release every snapshot before the Db goes.
  const Snapshot* GetSnapshot();
  void ReleaseSnapshot(const Snapshot* snapshot);

  // Writes pending WAL buffers of every shard, fsyncing them under appendfsync=always.
  // Returns the first failure; a failed shard keeps its records for the background retry.
  Status Commit();
  // SHUTDOWN / BGREWRITEAOF-style: write and fsync everything now, whatever the policy.
  Status SyncAll();

  // Non-OK while any shard is in the failed state (its reason); writes will be refused.
  Status WriteState() const;

  // The back-pressure of the shards that writing the keys with these routing keys touches
  // (every shard when `routing_keys` is empty): the worst of them in *room, and in *shard the index of that shard. Non-OK when a
  // shard is stopped and its flushes or compactions keep failing, so the stall cannot end by
  // itself: the write should fail rather than wait.
  Status CheckWriteRoom(const std::vector<std::string_view>& routing_keys, WriteRoom* room,
                        int* shard) const;
  // Adds a write delayed by the caller after CheckWriteRoom to `shard`'s stall counters.
  void RecordStall(int shard, WriteRoom room, uint64_t micros);

  // For every shard in the failed state: writes its retained records to a fresh WAL file,
  // fsyncs the file and the directory and, on success, accepts writes again. OK when no shard
  // is failed (any more); otherwise the first shard's failure. The maintenance thread calls it
  // every second; any thread may call it.
  Status RetryFailedWrites();

  // One round of what the maintenance thread does every second: under everysec, fsync every
  // WAL with written but unsynced records (without holding any lock Commit needs while the
  // disk works), then RetryFailedWrites(). Returns the first failure.
  Status RunMaintenance();

  void set_fsync_policy(FsyncPolicy policy);
  FsyncPolicy fsync_policy() const;

  // Makes every shard's active memtable immutable (after writing its pending WAL records) and
  // waits until every immutable memtable is flushed to a table. Returns the first failure (a
  // failed flush is retried by its worker in the background). Call it where writes are made.
  Status FlushMemTables();
  // Waits until no shard has an immutable memtable left and every shard's worker is idle (no
  // compaction running, due or scheduled by CompactAll; a failed compaction counts as done until
  // its retry); the first failure of a flush attempt made while waiting otherwise.
  Status WaitForFlushes();
  // Changes the block cache's capacity (evicting at once when it shrinks).
  Status SetBlockCacheSize(size_t bytes);

  // Schedules a compaction of every shard's tables into one table per shard; returns at once.
  Status CompactAll();
  // True while any shard runs a compaction or has a CompactAll scheduled.
  bool CompactionRunning() const;
  // Paces compaction I/O of all shards to `bytes_per_sec` from now on (0 = unlimited).
  Status SetCompactionThroughput(uint64_t bytes_per_sec);

  DbStats Stats() const;

 private:
  Db();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ShardFileFinding;

// Checks the data directory `options.dir` as Db::Open would, with the same code (the SHARDS
// layout, then every shard's recovery: manifest, tables, WAL files against the manifest), but
// changes nothing and takes no lock: the status is the one Open would fail with (OK when Open
// would succeed). Goes further than Open, into *findings (shard.h): every block of every listed
// table, every record of every WAL file, stray files. NotFound when `dir` is no data directory.
Status VerifyDataDirectory(const Options& options, std::vector<ShardFileFinding>* findings);

// Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its first non-empty {hash tag},
// modulo 16384.
uint16_t KeySlot(std::string_view key);

}  // namespace shale::storage
