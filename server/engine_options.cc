#include "server/engine_options.h"

#include <string>

#include "server/keyspace/keyspace.h"

namespace shale::server {

namespace {

storage::FsyncPolicy ToFsyncPolicy(AppendFsync value) {
  switch (value) {
    case AppendFsync::kAlways:
      return storage::FsyncPolicy::kAlways;
    case AppendFsync::kEverySec:
      return storage::FsyncPolicy::kEverySec;
    case AppendFsync::kNo:
      return storage::FsyncPolicy::kNo;
  }
  return storage::FsyncPolicy::kEverySec;
}

storage::WalRecoveryMode ToRecoveryMode(const std::string& name) {
  using storage::WalRecoveryMode;
  if (name == "absolute-consistency") return WalRecoveryMode::kAbsoluteConsistency;
  if (name == "point-in-time") return WalRecoveryMode::kPointInTimeRecovery;
  if (name == "skip-any-corrupted") return WalRecoveryMode::kSkipAnyCorruptedRecords;
  return WalRecoveryMode::kTolerateCorruptedTailRecords;
}

}  // namespace

storage::Options EngineOptions(const Config& config) {
  storage::Options options;
  options.dir = config.dir;
  options.shards = static_cast<int>(config.shards);
  options.fsync = ToFsyncPolicy(config.appendfsync);
  options.wal_recovery_mode = ToRecoveryMode(config.wal_recovery_mode);
  options.memtable_size = static_cast<uint64_t>(config.memtable_size);
  options.table.compression =
      config.compression == "none" ? storage::Compression::kNone : storage::Compression::kLZ4;
  options.table.bloom_bits_per_key = static_cast<int>(config.bloom_bits_per_key);
  options.block_cache_size = static_cast<size_t>(config.block_cache_size);
  storage::CompactionOptions& compaction = options.compaction;
  compaction.bucket_low = config.compaction_bucket_low;
  compaction.bucket_high = config.compaction_bucket_high;
  compaction.min_sstable_size = static_cast<uint64_t>(config.compaction_min_sstable_size);
  compaction.min_threshold = static_cast<int>(config.compaction_min_threshold);
  compaction.max_threshold = static_cast<int>(config.compaction_max_threshold);
  compaction.tombstone_threshold = config.compaction_tombstone_threshold;
  compaction.tombstone_compaction_interval_ms =
      static_cast<uint64_t>(config.compaction_tombstone_min_age) * 1000;
  compaction.throughput_bytes_per_sec = static_cast<uint64_t>(config.compaction_throughput) << 20;
  compaction.slowdown_tables = static_cast<int>(config.write_slowdown_tables);
  compaction.stop_tables = static_cast<int>(config.write_stop_tables);
  compaction.stop_immutable_memtables = static_cast<int>(config.write_stop_immutable_memtables);
  // A stalled write parks its command; the event loop goes on serving everything else.
  options.wait_on_back_pressure = false;
  keyspace::Keyspace::ConfigureEngine(&options);
  return options;
}

}  // namespace shale::server
