// The engine's options (LevelDB's include/leveldb/options.h): what Db::Open takes and what reads
// take. Low-level files include this header rather than db.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "storage/compaction_filter.h"
#include "storage/table_builder.h"

namespace shale::storage {

class FileSystem;
class Snapshot;

struct ReadOptions {
  const Snapshot* snapshot = nullptr;  // null: the current state
  // Iterators: the iteration ends before the first key at or after this one (RocksDB's
  // iterate_upper_bound), and nothing past it is read, live or not (a range with many deleted
  // keys after it costs nothing). Empty: no bound.
  std::string upper_bound;
  // Iterators: only the shard this key routes to is read. Every key the iterator is used for
  // must route there (the sub-keys of one Redis key do). Empty: every shard, merged.
  std::string shard_key;
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
  std::string dir;  // data directory; created if missing
  int shards = 0;   // 0 = number of cores
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
  // Decides which values flushes and compactions may drop (compaction_filter.h); nullable. The
  // Db keeps it alive while it is open.
  std::shared_ptr<const CompactionFilter> compaction_filter;
};

// Back-pressure as a writer that must not wait sees it (Options::wait_on_back_pressure false).
enum class WriteRoom {
  kOpen,     // write now
  kSlowed,   // the shard is falling behind: delay this write by about a millisecond
  kStopped,  // the shard is at its limit: write only once CheckWriteRoom says so
};

}  // namespace shale::storage
