// The engine's statistics (Db::Stats): per shard and for the whole store.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace shale::storage {

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
  bool write_failed = false;              // in the failed state (writes refused)
  std::string last_error;                 // text of the last WAL failure, empty if none
  uint64_t immutable_memtables = 0;       // memtables waiting for their flush
  uint64_t immutable_memtable_bytes = 0;  // their arena bytes
  uint64_t tables = 0;                    // live SSTables
  uint64_t table_bytes = 0;               // their file sizes
  uint64_t flushes = 0;                   // memtables flushed since start
  uint64_t flush_bytes_written = 0;       // table bytes written by those flushes
  uint64_t flush_failures = 0;            // failed flush attempts since start (each retried)
  std::string flush_error;                // the last flush attempt's error, empty if it succeeded
  uint64_t compactions = 0;               // compactions completed since start
  // How long the latest flush and the latest compaction took (the attempt that succeeded, with
  // a flush's retries of its manifest edit), for LATENCY's memtable-flush and compaction.
  uint64_t last_flush_micros = 0;
  uint64_t last_fsync_micros = 0;  // the latest WAL fsync's duration
  uint64_t last_compaction_micros = 0;
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

}  // namespace shale::storage
