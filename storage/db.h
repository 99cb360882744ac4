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
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"
#include "storage/iterator.h"
#include "storage/key_slot.h"
#include "storage/options.h"
#include "storage/stats.h"
#include "storage/status.h"
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
  // Options::compaction_filter as opened (the layer above attaches its state to it).
  const CompactionFilter* compaction_filter() const;
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
  // Every counter that is not zero, summed over the shards.
  std::map<uint32_t, int64_t> Counters() const;

  // An iterator over the live entries of every shard, merged in key order, as of the call (each
  // shard as of the moment its part was made; nothing is written in between on the writer's
  // thread). Seek takes a key. A damaged table ends it with its status. ReadOptions may bound
  // it (upper_bound) and limit it to one shard (shard_key).
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
  // (every shard when `routing_keys` is empty): the worst of them in *room, and in *shard the index
  // of that shard. Non-OK when a shard is stopped and its flushes or compactions keep failing, so
  // the stall cannot end by itself: the write should fail rather than wait.
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
  // Blocks read from table files so far (block cache misses): cheap, for the cold-read event.
  uint64_t BlockCacheMisses() const;

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

}  // namespace shale::storage
