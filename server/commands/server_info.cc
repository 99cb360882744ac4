// Server commands: INFO, CONFIG, COMMAND, TIME, SHUTDOWN (Redis's server.c and config.c).
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "server/acl_categories.h"
#include "server/command_stats.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/key_specs.h"
#include "server/server.h"
#include "storage/db.h"

namespace shale::server {

namespace {

std::string HumanBytes(uint64_t n) {
  char buf[64];
  double d = static_cast<double>(n);
  if (n < 1024) {
    std::snprintf(buf, sizeof(buf), "%" PRIu64 "B", n);
  } else if (n < 1024ULL * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fK", d / 1024);
  } else if (n < 1024ULL * 1024 * 1024) {
    std::snprintf(buf, sizeof(buf), "%.2fM", d / (1024 * 1024));
  } else {
    std::snprintf(buf, sizeof(buf), "%.2fG", d / (1024.0 * 1024 * 1024));
  }
  return buf;
}

uint64_t ResidentSetBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

class InfoBuilder {
 public:
  void Section(std::string_view name) {
    if (!text_.empty()) text_ += "\r\n";
    text_ += "# ";
    text_ += name;
    text_ += "\r\n";
  }
  template <typename T>
  void Field(std::string_view name, const T& value) {
    text_ += name;
    text_ += ':';
    if constexpr (std::is_convertible_v<T, std::string_view>) {
      text_ += std::string_view(value);
    } else {
      text_ += std::to_string(value);
    }
    text_ += "\r\n";
  }
  std::string& text() { return text_; }

 private:
  std::string text_;
};

void InfoServer(Server& server, InfoBuilder& info) {
  utsname name{};
  uname(&name);
  uint64_t uptime = (server.NowMs() - server.start_time_ms()) / 1000;
  char exe[4096];
  ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  std::string executable = exe_len > 0 ? std::string(exe, static_cast<size_t>(exe_len)) : "";
  info.Section("Server");
  info.Field("redis_version", kRedisCompatibleVersion);
  info.Field("shale_version", SHALE_VERSION);
  info.Field("redis_git_sha1", "00000000");
  info.Field("redis_git_dirty", 0);
  info.Field("redis_build_id", "0");
  info.Field("redis_mode", "standalone");
  info.Field("os", std::string(name.sysname) + " " + name.release + " " + name.machine);
  info.Field("arch_bits", sizeof(void*) * 8);
  info.Field("monotonic_clock", "POSIX clock_gettime");
  info.Field("multiplexing_api", "libuv");
  info.Field("atomicvar_api", "c11-builtin");
#if defined(__clang__)
  info.Field("gcc_version", std::to_string(__clang_major__) + "." +
                                std::to_string(__clang_minor__) + "." +
                                std::to_string(__clang_patchlevel__));
#elif defined(__GNUC__)
  info.Field("gcc_version", std::to_string(__GNUC__) + "." + std::to_string(__GNUC_MINOR__) + "." +
                                std::to_string(__GNUC_PATCHLEVEL__));
#endif
  info.Field("process_id", static_cast<int64_t>(getpid()));
  info.Field("process_supervised", "no");
  info.Field("run_id", server.run_id());
  info.Field("tcp_port", server.port());
  info.Field("server_time_usec", std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  info.Field("uptime_in_seconds", uptime);
  info.Field("uptime_in_days", uptime / 86400);
  info.Field("hz", std::clamp<int64_t>(server.config().hz, 1, 500));
  info.Field("configured_hz", server.config().hz);
  info.Field("lru_clock", (server.NowMs() / 1000) & ((1U << 24) - 1));
  info.Field("executable", executable);
  info.Field("config_file", server.config_file());
  info.Field("io_threads_active", 0);
  info.Field("shards", server.db().shard_count());
}

void InfoClients(Server& server, InfoBuilder& info) {
  size_t max_in = 0, max_out = 0;
  for (const auto& [id, c] : server.clients()) {
    max_in = std::max(max_in, c->query_buffer_bytes());
    max_out = std::max(max_out, c->output_bytes());
  }
  info.Section("Clients");
  info.Field("connected_clients", server.clients().size());
  info.Field("cluster_connections", 0);
  info.Field("maxclients", server.config().maxclients);
  info.Field("client_recent_max_input_buffer", max_in);
  info.Field("client_recent_max_output_buffer", max_out);
  info.Field("blocked_clients", server.blocked_count());
  info.Field("tracking_clients", 0);
  info.Field("clients_in_timeout_table", 0);
}

std::string Ratio(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", value);
  return buf;
}

uint64_t TotalSystemMemory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) : 0;
}

// used_memory is what Shale itself holds: memtables (mutable and waiting for flush), the WAL
// buffers, the block cache and the clients' buffers. The RSS also holds the code, the
// allocator's slack and the tables' index and filter blocks, which are not counted apart yet.
void InfoMemory(Server& server, InfoBuilder& info, const storage::DbStats& stats) {
  const Server::MemoryUsage usage = server.Memory(stats);
  const uint64_t memtables = usage.memtables;
  const uint64_t wal_buffers = usage.wal_buffers;
  const uint64_t query_buffers = usage.query_buffers;
  const uint64_t buffers = usage.clients();
  const uint64_t overhead = usage.overhead();
  const uint64_t used = usage.used();
  const uint64_t rss = ResidentSetBytes();
  const uint64_t system = TotalSystemMemory();
  info.Section("Memory");
  info.Field("used_memory", used);
  info.Field("used_memory_human", HumanBytes(used));
  info.Field("used_memory_rss", rss);
  info.Field("used_memory_rss_human", HumanBytes(rss));
  ServerStats& stats_now = server.stats();
  stats_now.used_memory_peak = std::max(stats_now.used_memory_peak, used);
  const uint64_t peak = stats_now.used_memory_peak;
  info.Field("used_memory_peak", peak);
  info.Field("used_memory_peak_human", HumanBytes(peak));
  char peak_perc[32];
  std::snprintf(peak_perc, sizeof(peak_perc), "%.2f%%",
                peak == 0 ? 100.0 : 100.0 * static_cast<double>(used) / static_cast<double>(peak));
  info.Field("used_memory_peak_perc", peak_perc);
  info.Field("used_memory_overhead", overhead);
  info.Field("used_memory_startup", 0);
  info.Field("used_memory_dataset", used - overhead);
  info.Field("used_memory_memtables", memtables);
  info.Field("used_memory_wal_buffers", wal_buffers);
  info.Field("used_memory_block_cache", stats.block_cache_usage);
  info.Field("used_memory_clients", buffers);
  info.Field("used_memory_query_buffers", query_buffers);
  info.Field("total_system_memory", system);
  info.Field("total_system_memory_human", HumanBytes(system));
  const uint64_t lua_memory = server.scripting().lua_memory();
  info.Field("used_memory_lua", lua_memory);
  info.Field("used_memory_vm_eval", lua_memory);
  info.Field("used_memory_lua_human", HumanBytes(lua_memory));
  info.Field("used_memory_scripts_eval", server.scripting().bodies_memory());
  info.Field("used_memory_scripts", server.scripting().bodies_memory());
  info.Field("used_memory_scripts_human", HumanBytes(server.scripting().bodies_memory()));
  info.Field("number_of_cached_scripts", server.scripting().script_count());
  info.Field("number_of_functions", 0);
  info.Field("number_of_libraries", 0);
  const auto maxmemory = static_cast<uint64_t>(server.config().maxmemory);
  info.Field("maxmemory", maxmemory);
  info.Field("maxmemory_human", HumanBytes(maxmemory));
  info.Field("maxmemory_policy", "noeviction");
  info.Field("mem_fragmentation_ratio",
             Ratio(used == 0 ? 0 : static_cast<double>(rss) / static_cast<double>(used)));
  info.Field("mem_fragmentation_bytes", static_cast<int64_t>(rss) - static_cast<int64_t>(used));
  info.Field("mem_not_counted_for_evict", usage.block_cache);
  info.Field("mem_replication_backlog", server.replication().backlog_histlen());
  info.Field("mem_clients_slaves", 0);
  info.Field("mem_clients_normal", buffers);
  info.Field("mem_aof_buffer", wal_buffers);
  info.Field("mem_allocator", "libc");
  info.Field("active_defrag_running", 0);
  info.Field("lazyfree_pending_objects", 0);
  info.Field("lazyfreed_objects", 0);
}

void InfoPersistence(Server& server, InfoBuilder& info, const storage::DbStats& stats) {
  storage::Status state = server.db().WriteState();
  uint64_t wal_bytes = 0, wal_records = 0;
  for (const auto& shard : stats.shards) {
    wal_bytes += shard.wal_bytes;
    wal_records += shard.wal_records;
  }
  const char* status = state.ok() ? "ok" : "err";
  info.Section("Persistence");
  info.Field("loading", 0);
  info.Field("async_loading", 0);
  // Key changes since start or the last SAVE. Every change is in the WAL when its reply goes
  // out (and on disk by appendfsync's rule); SAVE also makes them tables (Server::Save).
  info.Field("rdb_changes_since_last_save", server.stats().dirty);
  info.Field("rdb_bgsave_in_progress", 0);
  info.Field("rdb_last_save_time", server.last_save_s());
  info.Field("rdb_last_bgsave_status", "ok");
  info.Field("rdb_last_bgsave_time_sec", -1);
  info.Field("rdb_current_bgsave_time_sec", -1);
  info.Field("rdb_saves", server.stats().saves);
  info.Field("aof_enabled", 1);
  info.Field("aof_rewrite_in_progress", 0);
  info.Field("aof_rewrite_scheduled", 0);
  info.Field("aof_last_rewrite_time_sec", -1);
  info.Field("aof_current_rewrite_time_sec", -1);
  info.Field("aof_last_bgrewrite_status", "ok");
  info.Field("aof_rewrites", 0);
  info.Field("aof_rewrites_consecutive_failures", 0);
  info.Field("aof_last_write_status", status);
  info.Field("module_fork_in_progress", 0);
  info.Field("appendfsync", AppendFsyncName(server.config().appendfsync));
  info.Field("wal_fsyncs", stats.fsyncs);
  info.Field("wal_commits", stats.commits);
  info.Field("wal_commit_failures", server.stats().wal_commit_failures);
  info.Field("wal_records", wal_records);
  info.Field("wal_bytes", wal_bytes);
  info.Field("wal_recovered_records", stats.recovered_records);
  info.Field("wal_recovery_truncated_bytes", stats.recovery_truncated_bytes);
  info.Field("wal_write_failed", state.ok() ? 0 : 1);
  info.Field("wal_last_error", state.ok() ? std::string() : state.message());
}

// The picker's size buckets as table counts, e.g. "4/1/2"; "-" when the shard has no tables.
std::string BucketList(const std::vector<uint64_t>& buckets) {
  if (buckets.empty()) return "-";
  std::string list;
  for (uint64_t count : buckets) {
    if (!list.empty()) list += '/';
    list += std::to_string(count);
  }
  return list;
}

// Shale's own section: the LSM tree of every shard, and the shared block cache.
void InfoStorage(Server& server, InfoBuilder& info, const storage::DbStats& stats) {
  storage::ShardStats total;
  for (const auto& shard : stats.shards) {
    total.memtable_bytes += shard.memtable_bytes;
    total.immutable_memtables += shard.immutable_memtables;
    total.immutable_memtable_bytes += shard.immutable_memtable_bytes;
    total.tables += shard.tables;
    total.table_bytes += shard.table_bytes;
    total.flushes += shard.flushes;
    total.flush_bytes_written += shard.flush_bytes_written;
    total.flush_failures += shard.flush_failures;
    total.compactions += shard.compactions;
    total.compaction_bytes_read += shard.compaction_bytes_read;
    total.compaction_bytes_written += shard.compaction_bytes_written;
    total.pending_compaction_bytes += shard.pending_compaction_bytes;
    total.stall_slowdowns += shard.stall_slowdowns;
    total.stall_stops += shard.stall_stops;
    total.stall_micros += shard.stall_micros;
  }
  info.Section("Storage");
  info.Field("shards", stats.shards.size());
  info.Field("write_stalled_clients", server.parked_count());
  info.Field("memtable_size", server.config().memtable_size);
  info.Field("memtable_bytes", total.memtable_bytes);
  info.Field("immutable_memtables", total.immutable_memtables);
  info.Field("immutable_memtable_bytes", total.immutable_memtable_bytes);
  info.Field("tables", total.tables);
  info.Field("table_bytes", total.table_bytes);
  info.Field("flushes", total.flushes);
  info.Field("flush_bytes_written", total.flush_bytes_written);
  info.Field("flush_failures", total.flush_failures);
  info.Field("compactions", total.compactions);
  info.Field("compaction_running", server.db().CompactionRunning() ? 1 : 0);
  info.Field("compaction_bytes_read", total.compaction_bytes_read);
  info.Field("compaction_bytes_written", total.compaction_bytes_written);
  info.Field("pending_compaction_bytes", total.pending_compaction_bytes);
  info.Field("user_bytes_written", stats.user_bytes_written);
  char amplification[32];
  std::snprintf(amplification, sizeof(amplification), "%.2f", stats.write_amplification);
  info.Field("write_amplification", amplification);
  info.Field("stall_slowdowns", total.stall_slowdowns);
  info.Field("stall_stops", total.stall_stops);
  info.Field("stall_micros", total.stall_micros);
  info.Field("block_cache_capacity", stats.block_cache_capacity);
  info.Field("block_cache_usage", stats.block_cache_usage);
  info.Field("block_cache_hits", stats.block_cache_hits);
  info.Field("block_cache_misses", stats.block_cache_misses);
  for (size_t i = 0; i < stats.shards.size(); ++i) {
    const storage::ShardStats& s = stats.shards[i];
    info.Field("shard" + std::to_string(i),
               "memtable_bytes=" + std::to_string(s.memtable_bytes) + ",immutable_memtables=" +
                   std::to_string(s.immutable_memtables) + ",tables=" + std::to_string(s.tables) +
                   ",table_bytes=" + std::to_string(s.table_bytes) +
                   ",flushes=" + std::to_string(s.flushes) +
                   ",flush_bytes_written=" + std::to_string(s.flush_bytes_written) +
                   ",compactions=" + std::to_string(s.compactions) +
                   ",pending_compaction_bytes=" + std::to_string(s.pending_compaction_bytes) +
                   ",buckets=" + BucketList(s.tables_per_bucket) +
                   ",stall_stops=" + std::to_string(s.stall_stops) +
                   ",last_sequence=" + std::to_string(s.last_sequence) +
                   ",flush_error=" + (s.flush_error.empty() ? "none" : "yes"));
  }
}

std::string Kbps(double bytes_per_sec) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", bytes_per_sec / 1024);
  return buf;
}

void InfoStats(Server& server, InfoBuilder& info) {
  const ServerStats& s = server.stats();
  info.Section("Stats");
  info.Field("total_connections_received", s.total_connections_received);
  info.Field("total_commands_processed", s.total_commands_processed);
  info.Field("instantaneous_ops_per_sec", s.instantaneous_ops_per_sec);
  info.Field("total_net_input_bytes", s.total_net_input_bytes);
  info.Field("total_net_output_bytes", s.total_net_output_bytes);
  info.Field("total_net_repl_input_bytes", server.replica_link().input_bytes());
  info.Field("total_net_repl_output_bytes", server.replication().output_bytes());
  info.Field("instantaneous_input_kbps", Kbps(s.input_series.Mean()));
  info.Field("instantaneous_output_kbps", Kbps(s.output_series.Mean()));
  info.Field("instantaneous_input_repl_kbps", "0.00");
  info.Field("instantaneous_output_repl_kbps", "0.00");
  info.Field("rejected_connections", s.rejected_connections);
  info.Field("sync_full", server.replication().full_syncs());
  info.Field("sync_partial_ok", server.replication().partial_syncs_ok());
  info.Field("sync_partial_err", server.replication().partial_syncs_refused());
  info.Field("expired_keys", server.keyspace().stats().expired_keys - s.expired_keys_base);
  info.Field("expire_cycle_cpu_milliseconds", server.keyspace().stats().expire_cycle_micros / 1000);
  info.Field("evicted_keys", 0);
  info.Field("evicted_clients", 0);
  info.Field("keyspace_hits", s.keyspace_hits);
  info.Field("keyspace_misses", s.keyspace_misses);
  info.Field("pubsub_channels", server.pubsub().channel_count());
  info.Field("pubsub_patterns", server.pubsub().pattern_count());
  info.Field("pubsubshard_channels", server.pubsub().shard_channel_count());
  info.Field("latest_fork_usec", 0);
  info.Field("total_forks", 0);
  info.Field("migrate_cached_sockets", 0);
  info.Field("slave_expires_tracked_keys", 0);
  info.Field("tracking_total_keys", 0);
  info.Field("tracking_total_items", 0);
  info.Field("tracking_total_prefixes", 0);
  info.Field("unexpected_error_replies", 0);
  info.Field("total_error_replies", s.total_error_replies);
  info.Field("dump_payload_sanitizations", 0);
  info.Field("client_query_buffer_limit_disconnections",
             s.client_query_buffer_limit_disconnections);
  info.Field("client_output_buffer_limit_disconnections",
             s.client_output_buffer_limit_disconnections);
  info.Field("acl_access_denied_auth", s.acl_access_denied_auth);
  info.Field("acl_access_denied_cmd", s.acl_access_denied_cmd);
  info.Field("acl_access_denied_key", s.acl_access_denied_key);
  info.Field("acl_access_denied_channel", s.acl_access_denied_channel);
  info.Field("total_reads_processed", s.total_reads_processed);
  info.Field("total_writes_processed", s.total_writes_processed);
  info.Field("io_threaded_reads_processed", 0);
  info.Field("io_threaded_writes_processed", 0);
  info.Field("tls_errors", s.tls_errors);
}

void InfoReplication(Server& server, InfoBuilder& info) {
  const Replication& replication = server.replication();
  const ReplicaLink& link = server.replica_link();
  const uint64_t now = server.NowMs();
  info.Section("Replication");
  info.Field("role", link.following() ? "slave" : "master");
  if (link.following()) {
    info.Field("master_host", link.host());
    info.Field("master_port", link.port());
    info.Field("master_link_status", link.link_up() ? "up" : "down");
    info.Field("master_last_io_seconds_ago",
               link.state() == ReplicaLink::State::kConnect ||
                       link.state() == ReplicaLink::State::kConnecting
                   ? -1
                   : static_cast<int64_t>((now - std::min(now, link.last_io_ms())) / 1000));
    const bool syncing = link.state() == ReplicaLink::State::kTransfer;
    info.Field("master_sync_in_progress", syncing ? 1 : 0);
    info.Field("slave_read_repl_offset", link.offset());
    info.Field("slave_repl_offset", link.offset());
    if (syncing) {
      info.Field("master_sync_total_bytes", link.transfer_size());
      info.Field("master_sync_read_bytes", link.transfer_read());
      info.Field("master_sync_left_bytes",
                 link.transfer_size() - std::min(link.transfer_size(), link.transfer_read()));
    }
    if (!link.link_up()) {
      info.Field("master_link_down_since_seconds",
                 (now - std::min(now, link.link_down_since_ms())) / 1000);
    }
    info.Field("slave_priority", 100);
    info.Field("slave_read_only", server.config().replica_read_only ? 1 : 0);
    info.Field("replica_announced", 1);
  }
  const std::vector<Replication::ReplicaInfo> replicas = replication.Replicas(server.NowMs());
  info.Field("connected_slaves", replicas.size());
  if (server.config().min_replicas_to_write > 0 && server.config().min_replicas_max_lag > 0) {
    info.Field("min_slaves_good_slaves",
               replication.GoodReplicas(
                   server.NowMs(), static_cast<uint64_t>(server.config().min_replicas_max_lag)));
  }
  for (size_t i = 0; i < replicas.size(); ++i) {
    const Replication::ReplicaInfo& replica = replicas[i];
    info.Field("slave" + std::to_string(i),
               "ip=" + replica.ip + ",port=" + std::to_string(replica.port) +
                   ",state=online,offset=" + std::to_string(replica.ack_offset) +
                   ",lag=" + std::to_string(replica.lag_s));
  }
  info.Field("master_failover_state", "no-failover");
  if (link.following() && !link.primary_replid().empty()) {
    info.Field("master_replid", link.primary_replid());
  } else {
    info.Field("master_replid", replication.active() ? replication.replid() : server.run_id());
  }
  info.Field("master_replid2", std::string(40, '0'));
  info.Field("master_repl_offset", link.following() ? link.offset() : replication.offset());
  info.Field("second_repl_offset", -1);
  info.Field("repl_backlog_active", replication.active() ? 1 : 0);
  info.Field("repl_backlog_size", replication.backlog_size());
  info.Field("repl_backlog_first_byte_offset",
             replication.active() ? replication.backlog_first_byte() : 0);
  info.Field("repl_backlog_histlen", replication.backlog_histlen());
}

std::string Seconds(const timeval& tv) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%ld.%06ld", static_cast<long>(tv.tv_sec),
                static_cast<long>(tv.tv_usec));
  return buf;
}

void InfoCpu(InfoBuilder& info) {
  rusage self{}, children{}, thread{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  getrusage(RUSAGE_THREAD, &thread);
  info.Section("CPU");
  info.Field("used_cpu_sys", Seconds(self.ru_stime));
  info.Field("used_cpu_user", Seconds(self.ru_utime));
  info.Field("used_cpu_sys_children", Seconds(children.ru_stime));
  info.Field("used_cpu_user_children", Seconds(children.ru_utime));
  info.Field("used_cpu_sys_main_thread", Seconds(thread.ru_stime));
  info.Field("used_cpu_user_main_thread", Seconds(thread.ru_utime));
}

void InfoCommandStats(Server& server, InfoBuilder& info) {
  info.Section("Commandstats");
  for (const CommandStats::Named& n : server.command_stats().Sorted()) {
    const CommandCounters& c = *n.counters;
    const uint64_t usec = c.nanos / 1000;
    char line[256];
    std::snprintf(line, sizeof(line),
                  "calls=%" PRIu64 ",usec=%" PRIu64 ",usec_per_call=%.2f,rejected_calls=%" PRIu64
                  ",failed_calls=%" PRIu64,
                  c.calls, usec,
                  c.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(c.calls),
                  c.rejected_calls, c.failed_calls);
    info.Field("cmdstat_" + n.name, line);
  }
}

void InfoErrorStats(Server& server, InfoBuilder& info) {
  info.Section("Errorstats");
  for (const auto& [prefix, count] : server.command_stats().errors()) {
    info.Field("errorstat_" + prefix, "count=" + std::to_string(count));
  }
}

void InfoLatencyStats(Server& server, InfoBuilder& info) {
  info.Section("Latencystats");
  for (const CommandStats::Named& n : server.command_stats().Sorted()) {
    const LatencyHistogram* h = n.counters->latency.get();
    if (h == nullptr || h->count() == 0) continue;
    char line[160];
    std::snprintf(line, sizeof(line), "p50=%.3f,p99=%.3f,p99.9=%.3f",
                  static_cast<double>(h->PercentileNanos(50)) / 1000,
                  static_cast<double>(h->PercentileNanos(99)) / 1000,
                  static_cast<double>(h->PercentileNanos(99.9)) / 1000);
    info.Field("latency_percentiles_usec_" + n.name, line);
  }
}

void InfoKeyspace(Server& server, InfoBuilder& info) {
  info.Section("Keyspace");
  for (int db = 0; db < server.keyspace().databases(); ++db) {
    uint64_t keys = server.keyspace().KeyCount(db);
    if (keys == 0) continue;
    info.Field("db" + std::to_string(db),
               "keys=" + std::to_string(keys) +
                   ",expires=" + std::to_string(server.keyspace().ExpiresCount(db)) +
                   ",avg_ttl=" + std::to_string(server.keyspace().AverageTtlMs(db)));
  }
}

// Redis 7's sections in its order; `storage` is Shale's own. default: the sections INFO gives
// without arguments; all: every section but the modules' own; everything: all of them.
struct InfoSection {
  std::string_view name;
  bool in_default;
};
constexpr InfoSection kInfoSections[] = {
    {"server", true},        {"clients", true},     {"memory", true},        {"persistence", true},
    {"stats", true},         {"replication", true}, {"cpu", true},           {"modules", true},
    {"commandstats", false}, {"errorstats", true},  {"latencystats", false}, {"cluster", true},
    {"storage", true},       {"keyspace", true},
};

// INFO [section [section ...]]: sections in Redis's order whatever the order asked; unknown
// names add nothing.
void InfoCommand(CommandContext& ctx) {
  std::vector<std::string_view> wanted;
  auto add = [&](std::string_view name) {
    if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) wanted.push_back(name);
  };
  auto add_group = [&](bool every) {
    for (const InfoSection& section : kInfoSections) {
      if (every || section.in_default) add(section.name);
    }
  };
  if (ctx.args.size() == 1) add_group(false);
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view arg = ctx.args[i];
    if (EqualsIgnoreCase(arg, "default")) {
      add_group(false);
    } else if (EqualsIgnoreCase(arg, "all") || EqualsIgnoreCase(arg, "everything")) {
      add_group(true);
    } else {
      for (const InfoSection& section : kInfoSections) {
        if (EqualsIgnoreCase(arg, section.name)) add(section.name);
      }
    }
  }
  auto has = [&](std::string_view s) {
    return std::find(wanted.begin(), wanted.end(), s) != wanted.end();
  };
  InfoBuilder info;
  storage::DbStats stats;
  if (has("memory") || has("persistence") || has("storage")) stats = ctx.db.Stats();
  if (has("server")) InfoServer(ctx.server, info);
  if (has("clients")) InfoClients(ctx.server, info);
  if (has("memory")) InfoMemory(ctx.server, info, stats);
  if (has("persistence")) InfoPersistence(ctx.server, info, stats);
  if (has("stats")) InfoStats(ctx.server, info);
  if (has("replication")) InfoReplication(ctx.server, info);
  if (has("cpu")) InfoCpu(info);
  if (has("modules")) info.Section("Modules");
  if (has("commandstats")) InfoCommandStats(ctx.server, info);
  if (has("errorstats")) InfoErrorStats(ctx.server, info);
  if (has("latencystats")) InfoLatencyStats(ctx.server, info);
  if (has("cluster")) {
    info.Section("Cluster");
    info.Field("cluster_enabled", 0);
  }
  if (has("storage")) InfoStorage(ctx.server, info, stats);
  if (has("keyspace")) InfoKeyspace(ctx.server, info);
  ctx.reply.Verbatim("txt", info.text());
}

constexpr std::string_view kConfigHelp[] = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Print this help.",
};

// CONFIG REWRITE: the config file rewritten with the current values (RewriteConfigText),
// written to a temporary file that then replaces it, so a crash leaves the old or the new one.
bool RewriteConfigFile(Server& server, std::string* error) {
  const std::string& path = server.config_file();
  if (path.empty()) {
    *error = "ERR The server is running without a config file";
    return false;
  }
  std::string text;
  {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
  }
  // Without an aclfile the users live in the config file, as Redis's rewriteConfigUserOption.
  const std::vector<std::string> users = server.acl().DescribeAll();
  const std::string rewritten =
      RewriteConfigText(text, server.config(), server.config().aclfile.empty() ? &users : nullptr);
  const std::string tmp = path + ".rewrite.tmp";
  auto fail = [&](const char* what) {
    *error = std::string("ERR Rewriting config file: ") + what + ": " + std::strerror(errno);
    std::remove(tmp.c_str());
    spdlog::warn("CONFIG REWRITE failed: {}", *error);
    return false;
  };
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return fail("open");
  const bool written = std::fwrite(rewritten.data(), 1, rewritten.size(), f) == rewritten.size();
  const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (std::fclose(f) != 0 || !written || !flushed) return fail("write");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  spdlog::info("CONFIG REWRITE executed with success.");
  return true;
}

void ConfigCommand(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  auto arity_error = [&] {
    ctx.reply.Error("ERR wrong number of arguments for 'config|" + ToLower(sub) + "' command");
  };
  if (EqualsIgnoreCase(sub, "get")) {
    if (ctx.args.size() < 3) return arity_error();
    std::vector<std::string_view> patterns(ctx.args.begin() + 2, ctx.args.end());
    std::vector<std::pair<std::string, std::string>> found =
        ConfigGet(ctx.server.config(), patterns);
    ctx.reply.MapHeader(found.size());
    for (const auto& [name, value] : found) {
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(value);
    }
  } else if (EqualsIgnoreCase(sub, "set")) {
    if (ctx.args.size() < 4 || ctx.args.size() % 2 != 0) return arity_error();
    std::vector<std::string_view> pairs(ctx.args.begin() + 2, ctx.args.end());
    std::string error;
    std::vector<std::string> changed;
    Config previous = ctx.server.config();
    if (!ConfigSet(&ctx.server.config(), pairs, &error, &changed)) {
      ctx.reply.Error(error);
      return;
    }
    std::string failed;
    if (!ctx.server.OnConfigChanged(changed, &error, &failed)) {
      ctx.server.config() = std::move(previous);
      ctx.reply.Error("ERR CONFIG SET failed (possibly related to argument '" + failed + "') - " +
                      error);
      return;
    }
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "rewrite")) {
    if (ctx.args.size() != 2) return arity_error();
    std::string error;
    if (!RewriteConfigFile(ctx.server, &error)) {
      ctx.reply.Error(error);
      return;
    }
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "resetstat")) {
    if (ctx.args.size() != 2) return arity_error();
    ctx.server.ResetStats();
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "help")) {
    ctx.reply.ArrayHeader(std::size(kConfigHelp));
    for (std::string_view line : kConfigHelp) ctx.reply.SimpleString(line);
  } else {
    ctx.reply.Error(UnknownSubcommandError("config", sub));
  }
}

void ReplyFlags(CommandContext& ctx, const CommandSpec& spec) {
  std::vector<std::string_view> flags;
  if (spec.flags & kCmdWrite) flags.push_back("write");
  if (spec.flags & kCmdReadOnly) flags.push_back("readonly");
  if (spec.flags & kCmdDenyOom) flags.push_back("denyoom");
  if (spec.flags & kCmdAdmin) flags.push_back("admin");
  if (spec.flags & kCmdNoAuth) flags.push_back("no_auth");
  if (spec.flags & kCmdLoading) flags.push_back("loading");
  if (spec.flags & kCmdStale) flags.push_back("stale");
  if (spec.flags & kCmdFast) flags.push_back("fast");
  if (spec.flags & kCmdNoScript) flags.push_back("noscript");
  if (spec.flags & kCmdNoMandatoryKeys) flags.push_back("no_mandatory_keys");
  if (spec.flags & kCmdNoMulti) flags.push_back("no_multi");
  if (spec.movable_keys != nullptr) flags.push_back("movablekeys");
  ctx.reply.SetHeader(flags.size());
  for (std::string_view f : flags) ctx.reply.SimpleString(f);
}

// One key spec of COMMAND INFO, as Redis 7.0 shows it: flags, then begin_search and find_keys,
// each a map of its type and that type's arguments (empty for "unknown").
void ReplyKeySpec(CommandContext& ctx, const KeySpec& spec) {
  ctx.reply.MapHeader(3);
  ctx.reply.Bulk("flags");
  const std::vector<std::string_view> flags = KeySpecFlagNames(spec.flags);
  ctx.reply.SetHeader(flags.size());
  for (std::string_view flag : flags) ctx.reply.SimpleString(flag);
  ctx.reply.Bulk("begin_search");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("type");
  const KeySearchBegin& begin = spec.begin;
  if (begin.type == KeySearchBegin::Type::kIndex) {
    ctx.reply.Bulk("index");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(1);
    ctx.reply.Bulk("index");
    ctx.reply.Integer(begin.index);
  } else if (begin.type == KeySearchBegin::Type::kKeyword) {
    ctx.reply.Bulk("keyword");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("keyword");
    ctx.reply.Bulk(begin.keyword);
    ctx.reply.Bulk("startfrom");
    ctx.reply.Integer(begin.startfrom);
  } else {
    ctx.reply.Bulk("unknown");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(0);
  }
  ctx.reply.Bulk("find_keys");
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("type");
  const KeySearchFind& find = spec.find;
  if (find.type == KeySearchFind::Type::kRange) {
    ctx.reply.Bulk("range");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("lastkey");
    ctx.reply.Integer(find.lastkey);
    ctx.reply.Bulk("keystep");
    ctx.reply.Integer(find.keystep);
    ctx.reply.Bulk("limit");
    ctx.reply.Integer(find.limit);
  } else if (find.type == KeySearchFind::Type::kKeyNum) {
    ctx.reply.Bulk("keynum");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(3);
    ctx.reply.Bulk("keynumidx");
    ctx.reply.Integer(find.keynumidx);
    ctx.reply.Bulk("firstkey");
    ctx.reply.Integer(find.firstkey);
    ctx.reply.Bulk("keystep");
    ctx.reply.Integer(find.keystep);
  } else {
    ctx.reply.Bulk("unknown");
    ctx.reply.Bulk("spec");
    ctx.reply.MapHeader(0);
  }
}

// COMMAND INFO's ten-element entry (Redis 7).
void ReplyCommandInfo(CommandContext& ctx, const CommandSpec& spec) {
  ctx.reply.ArrayHeader(10);
  ctx.reply.Bulk(spec.name);
  ctx.reply.Integer(spec.arity);
  ReplyFlags(ctx, spec);
  ctx.reply.Integer(spec.first_key);
  ctx.reply.Integer(spec.last_key);
  ctx.reply.Integer(spec.key_step);
  const std::vector<std::string_view> categories = AclCategoryLabels(spec.acl_categories);
  ctx.reply.SetHeader(categories.size());
  for (std::string_view category : categories) ctx.reply.SimpleString(category);
  // Tips, key specs and (for want of subcommand entries) subcommands are sets in Redis 7.0's
  // RESP3 reply.
  ctx.reply.SetHeader(0);  // tips
  const CommandKeySpecs* key_specs = FindKeySpecs(spec.name);
  ctx.reply.SetHeader(key_specs == nullptr ? 0 : key_specs->specs.size());
  if (key_specs != nullptr) {
    for (const KeySpec& key_spec : key_specs->specs) ReplyKeySpec(ctx, key_spec);
  }
  ctx.reply.SetHeader(0);  // subcommands
}

// COMMAND DOCS entry: summary, since, group, and the syntax line as redis-cli shows it.
void ReplyCommandDocs(CommandContext& ctx, const CommandSpec& spec) {
  ctx.reply.Bulk(spec.name);
  ctx.reply.MapHeader(4);
  ctx.reply.Bulk("summary");
  ctx.reply.Bulk(spec.summary);
  ctx.reply.Bulk("since");
  ctx.reply.Bulk(spec.since);
  ctx.reply.Bulk("group");
  ctx.reply.Bulk(spec.group);
  ctx.reply.Bulk("syntax");
  ctx.reply.Bulk(spec.syntax);
}

// COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and
// subcommand ("client|list") name, as Redis 7. There are no modules, so MODULE lists nothing.
void CommandList(CommandContext& ctx) {
  const size_t argc = ctx.args.size();
  if (argc != 2 && (argc != 5 || !EqualsIgnoreCase(ctx.args[2], "filterby"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  enum class Filter { kNone, kModule, kCategory, kPattern } filter = Filter::kNone;
  std::string_view value;
  if (argc == 5) {
    value = ctx.args[4];
    if (EqualsIgnoreCase(ctx.args[3], "module")) {
      filter = Filter::kModule;
    } else if (EqualsIgnoreCase(ctx.args[3], "aclcat")) {
      filter = Filter::kCategory;
    } else if (EqualsIgnoreCase(ctx.args[3], "pattern")) {
      filter = Filter::kPattern;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  std::vector<std::string_view> names;
  if (filter != Filter::kModule) {
    for (const std::string& name : ctx.server.command_stats().names()) {
      const CommandSpec* spec = ctx.server.commands().Find(name.substr(0, name.find('|')));
      if (spec == nullptr) continue;
      bool wanted = true;
      if (filter == Filter::kPattern) {
        wanted = GlobMatch(value, name, /*nocase=*/true);
      } else if (filter == Filter::kCategory) {
        // A subcommand by its own categories, as Redis.
        const uint64_t categories = name.find('|') == std::string::npos
                                        ? spec->acl_categories
                                        : SubcommandAclCategories(name);
        wanted = (categories & AclCategoryByName(value)) != 0;
      }
      if (wanted) names.push_back(name);
    }
  }
  ctx.reply.ArrayHeader(names.size());
  for (std::string_view name : names) ctx.reply.Bulk(name);
}

// COMMAND GETKEYS command [arg ...] and COMMAND GETKEYSANDFLAGS command [arg ...]: the key
// arguments of that call (found as KeysAndFlags says), the latter each with how the call uses it
// (its key spec's flags), by Redis's rules and errors. A container's call is looked up as its
// subcommand's ("object|encoding").
void CommandGetKeys(CommandContext& ctx, bool with_flags) {
  if (ctx.args.size() < 4) {
    return ctx.reply.Error(
        with_flags ? "ERR wrong number of arguments for 'command|getkeysandflags' command"
                   : "ERR wrong number of arguments for 'command|getkeys' command");
  }
  const CommandSpec* row = ctx.server.commands().Find(ctx.args[2]);
  if (row == nullptr) return ctx.reply.Error("ERR Invalid command specified");
  const std::vector<std::string_view> call(ctx.args.begin() + 2, ctx.args.end());
  const CommandKeySpecs* entry = nullptr;
  int arity = row->arity;
  bool has_keys = false;
  if (IsContainerCommand(row->name) || HasSubcommandKeySpecs(row->name)) {
    const std::string name = std::string(row->name) + "|" + ToLower(call[1]);
    entry = FindKeySpecs(name);
    if (entry == nullptr) {
      const std::vector<std::string>& known = ctx.server.command_stats().names();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        return ctx.reply.Error("ERR Invalid command specified");
      }
    } else {
      arity = entry->arity;
      has_keys = SpecsHaveKeys(entry->specs);
    }
  } else {
    entry = FindKeySpecs(row->name);
    has_keys = entry != nullptr ? SpecsHaveKeys(entry->specs) || row->movable_keys != nullptr
                                : row->HasKeys();
  }
  if (!has_keys) return ctx.reply.Error("ERR The command has no key arguments");
  const size_t argc = call.size();
  if (arity >= 0 ? argc != static_cast<size_t>(arity) : argc < static_cast<size_t>(-arity)) {
    return ctx.reply.Error("ERR Invalid number of arguments specified for command");
  }
  const std::vector<KeyWithFlags> keys = KeysAndFlags(*row, entry, call);
  if (keys.empty() && (row->flags & kCmdNoMandatoryKeys) == 0) {
    return ctx.reply.Error("ERR Invalid arguments specified for command");
  }
  ctx.reply.ArrayHeader(keys.size());
  for (const KeyWithFlags& key : keys) {
    if (!with_flags) {
      ctx.reply.Bulk(key.key);
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key.key);
    const std::vector<std::string_view> flags = KeySpecFlagNames(key.flags);
    ctx.reply.SetHeader(flags.size());
    for (std::string_view flag : flags) ctx.reply.SimpleString(flag);
  }
}

void CommandCommand(CommandContext& ctx) {
  const auto& all = ctx.server.commands().commands();
  if (ctx.args.size() == 1) {
    ctx.reply.ArrayHeader(all.size());
    for (const CommandSpec& spec : all) ReplyCommandInfo(ctx, spec);
    return;
  }
  std::string_view sub = ctx.args[1];
  if (EqualsIgnoreCase(sub, "count")) {
    ctx.reply.Integer(static_cast<int64_t>(all.size()));
  } else if (EqualsIgnoreCase(sub, "list")) {
    CommandList(ctx);
  } else if (EqualsIgnoreCase(sub, "getkeys")) {
    CommandGetKeys(ctx, /*with_flags=*/false);
  } else if (EqualsIgnoreCase(sub, "getkeysandflags")) {
    CommandGetKeys(ctx, /*with_flags=*/true);
  } else if (EqualsIgnoreCase(sub, "info")) {
    if (ctx.args.size() == 2) {
      ctx.reply.ArrayHeader(all.size());
      for (const CommandSpec& spec : all) ReplyCommandInfo(ctx, spec);
      return;
    }
    ctx.reply.ArrayHeader(ctx.args.size() - 2);
    for (size_t i = 2; i < ctx.args.size(); ++i) {
      const CommandSpec* spec = ctx.server.commands().Find(ctx.args[i]);
      if (spec == nullptr) {
        ctx.reply.NullArray();
      } else {
        ReplyCommandInfo(ctx, *spec);
      }
    }
  } else if (EqualsIgnoreCase(sub, "docs")) {
    std::vector<const CommandSpec*> specs;
    if (ctx.args.size() == 2) {
      for (const CommandSpec& spec : all) specs.push_back(&spec);
    } else {
      for (size_t i = 2; i < ctx.args.size(); ++i) {
        if (const CommandSpec* spec = ctx.server.commands().Find(ctx.args[i])) {
          specs.push_back(spec);
        }
      }
    }
    ctx.reply.MapHeader(specs.size());
    for (const CommandSpec* spec : specs) ReplyCommandDocs(ctx, *spec);
  } else {
    ctx.reply.Error(UnknownSubcommandError("command", sub));
  }
}

// COMPACT (as Kvrocks): schedules a full compaction of every shard and answers at once;
// INFO storage shows compaction_running and the figures as it goes.
void CompactCommand(CommandContext& ctx) {
  storage::Status status = ctx.db.CompactAll();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

void TimeCommand(CommandContext& ctx) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(micros / 1000000));
  ctx.reply.Bulk(std::to_string(micros % 1000000));
}

// SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT]: Shale always makes every write durable
// first, so the save options do not change what happens.
void ShutdownCommand(CommandContext& ctx) {
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "abort")) {
      ctx.reply.Error("ERR No shutdown in progress.");
      return;
    }
    if (!EqualsIgnoreCase(opt, "nosave") && !EqualsIgnoreCase(opt, "save") &&
        !EqualsIgnoreCase(opt, "now") && !EqualsIgnoreCase(opt, "force")) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  if (!ctx.server.Shutdown("SHUTDOWN command")) {
    ctx.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.");
  }
}

// SAVE: everything durable now (Server::Save).
void SaveCommand(CommandContext& ctx) {
  storage::Status status = ctx.server.Save();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

void LastSaveCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.last_save_s()));
}

const CommandSpec kServerCommands[] = {
    {"save", 1, kCmdAdmin | kCmdNoMulti | kCmdNoScript, 0, 0, 0, SaveCommand, "server", "1.0.0",
     "Synchronously saves the database(s) to disk.", ""},
    {"lastsave", 1, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, LastSaveCommand, "server", "1.0.0",
     "Returns the Unix timestamp of the last successful save to disk.", ""},
    {"info", -1, kCmdLoading | kCmdStale, 0, 0, 0, InfoCommand, "server", "1.0.0",
     "Returns information and statistics about the server.", "[section [section ...]]"},
    {"config", -2, kCmdAdmin | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, ConfigCommand,
     "server", "2.0.0", "A container for server configuration commands.",
     "subcommand [argument ...]"},
    {"command", -1, kCmdLoading | kCmdStale, 0, 0, 0, CommandCommand, "server", "2.8.13",
     "Returns detailed information about all commands.", "[COUNT | LIST | INFO | DOCS ...]"},
    {"compact", 1, kCmdAdmin, 0, 0, 0, CompactCommand, "server", "0.1.0",
     "Merges every shard's tables into one, in the background.", ""},
    {"time", 1, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, TimeCommand, "server", "2.6.0",
     "Returns the server time.", ""},
    {"shutdown", -1, kCmdAdmin | kCmdLoading | kCmdStale | kCmdNoMulti | kCmdNoScript, 0, 0, 0,
     ShutdownCommand, "server", "1.0.0",
     "Synchronously saves the database(s) to disk and shuts down the Redis server.",
     "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"},
};

}  // namespace

void RegisterServerCommands(CommandTable& table) {
  table.Register(kServerCommands, std::size(kServerCommands));
}

}  // namespace shale::server
