// The server: one libuv event loop on the main thread that accepts clients, parses and runs
// their commands against storage::Db, and once per loop iteration (uv_check, right after the
// poll phase) commits the WAL and then flushes every connection's replies — so no reply
// acknowledges a write before the write is in the OS, or on disk under appendfsync always,
// and clients that write in the same iteration share one fsync per shard.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/acl.h"
#include "server/command_stats.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/keyspace/keyspace.h"
#include "server/pubsub.h"
#include "server/replica_link.h"
#include "server/replication.h"
#include "server/scan_cursors.h"
#include "server/scripting.h"
#include "server/slowlog.h"
#include "server/transactions.h"
#include "storage/db.h"

namespace shale::server {

class Connection;
class TlsContext;

// 40 random hex digits (the run id, a replication id).
std::string RandomHexId();

struct ServerStats {
  uint64_t total_connections_received = 0;
  uint64_t total_commands_processed = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  // Socket reads and writes done for clients (Redis's stat_total_reads/writes_processed).
  uint64_t total_reads_processed = 0;
  uint64_t total_writes_processed = 0;
  // The largest used_memory seen (by the cron or INFO) since start or CONFIG RESETSTAT.
  uint64_t used_memory_peak = 0;
  uint64_t keyspace_hits = 0;
  uint64_t keyspace_misses = 0;
  uint64_t total_error_replies = 0;
  uint64_t client_query_buffer_limit_disconnections = 0;
  uint64_t client_output_buffer_limit_disconnections = 0;
  uint64_t acl_access_denied_auth = 0;  // failed AUTH and HELLO AUTH
  // Calls refused by ACL (server/acl.h): for the command, a key, a channel.
  uint64_t acl_access_denied_cmd = 0;
  uint64_t acl_access_denied_key = 0;
  uint64_t acl_access_denied_channel = 0;
  uint64_t wal_commit_failures = 0;
  // TLS connections closed for a TLS error: a failed handshake (no or a bad client
  // certificate, a client that does not speak TLS) or a bad record later.
  uint64_t tls_errors = 0;
  // Key changes since start or the last SAVE (Redis's server.dirty, which CONFIG RESETSTAT
  // keeps, shown as rdb_changes_since_last_save): every key a command really changed, as the
  // keyspace reports it; a write that changes nothing adds nothing.
  uint64_t dirty = 0;
  uint64_t saves = 0;  // SAVEs that succeeded (rdb_saves)
  // The keyspace's expired_keys at the last CONFIG RESETSTAT (INFO shows the difference).
  uint64_t expired_keys_base = 0;
  // instantaneous_*: Redis's cron samples the totals every 100 ms into a ring of 16 samples
  // and reports the mean rate over them.
  static constexpr int kSamples = 16;
  struct Series {
    uint64_t last_total = 0;
    uint64_t last_ms = 0;
    std::array<double, kSamples> rates{};
    int index = 0;
    double Mean() const;
    void Sample(uint64_t total, uint64_t now_ms);
  };
  Series ops_series, input_series, output_series;
  uint64_t instantaneous_ops_per_sec = 0;
};

class Server {
 public:
  Server(Config config, std::string config_file, std::unique_ptr<storage::Db> db,
         std::unique_ptr<keyspace::Keyspace> keyspace);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and runs the loop until shutdown. Returns the process exit code.
  int Run();
  // SHUTDOWN / SIGTERM: stop accepting, commit and fsync everything, close, stop the loop.
  // Returns false (and stays up) if the final sync fails.
  bool Shutdown(std::string_view reason);

  Config& config() { return config_; }
  const Config& config() const { return config_; }
  const std::string& config_file() const { return config_file_; }
  storage::Db& db() { return *db_; }
  keyspace::Keyspace& keyspace() { return *keyspace_; }
  ServerStats& stats() { return stats_; }
  CommandStats& command_stats() { return command_stats_; }
  Slowlog& slowlog() { return slowlog_; }
  // Users and permissions (ACL); the default user's password is requirepass.
  Acl& acl() { return acl_; }
  LatencyMonitor& latency_monitor() { return latency_monitor_; }
  // Adds a latency sample of `micros` for `event` if latency-monitor-threshold is set and the
  // sample reaches it.
  void NoteLatency(std::string_view event, uint64_t micros);
  // Every error reply of every client (ReplyWriter's hook).
  void OnErrorReply(std::string_view message);
  // CONFIG RESETSTAT: what Redis's resetServerStats and resetCommandTableStats reset.
  void ResetStats();
  const CommandTable& commands() const { return commands_; }
  ScanCursors& scan_cursors() { return scan_cursors_; }
  // Who watches which keys (WATCH). The data model reports its changes here.
  WatchRegistry& watches() { return watches_; }
  const std::unordered_map<uint64_t, Connection*>& clients() const { return clients_; }
  // Channels, patterns and their subscribers (SUBSCRIBE, PUBLISH, keyspace notifications).
  PubSub& pubsub() { return pubsub_; }
  // The primary's side of replication: replicas, the stream, the backlog.
  Replication& replication() { return replication_; }
  // The replica's side (REPLICAOF): the link to the primary this server follows.
  ReplicaLink& replica_link() { return replica_link_; }
  // Runs commands of the primary's stream as `client` (no checks: the primary already made
  // them), in one atomic batch when `atomic` (MULTI ... EXEC); replies are dropped.
  void ApplyFromPrimary(Connection& client,
                        const std::vector<std::vector<std::string_view>>& commands, bool atomic);
  // Called by NotifyKeyspaceEvent before it publishes an event on `key` of `db`: a key the
  // running command has just created gets its "new" event first (notify-keyspace-events n).
  void BeforeKeyspaceEvent(int db, std::string_view key);
  // TOUCH's access times (OBJECT IDLETIME counts from the later of the last write and the last
  // TOUCH). In memory only, for at most kMaxTouched keys: when full, the oldest half is dropped.
  void NoteTouched(int db, std::string_view key);
  // When `key` was last touched (ms), 0 if not known.
  uint64_t TouchedMs(int db, std::string_view key) const;
  static constexpr size_t kMaxTouched = 100000;
  // A read found no `key` in `db` (INFO keyspace_misses, the "keymiss" event).
  void KeyMiss(int db, std::string_view key);

  // What Shale itself holds in memory (INFO memory's used_memory and its parts).
  struct MemoryUsage {
    uint64_t memtables = 0;  // mutable and waiting for flush
    uint64_t wal_buffers = 0;
    uint64_t query_buffers = 0;
    uint64_t output_buffers = 0;
    uint64_t block_cache = 0;
    uint64_t clients() const { return query_buffers + output_buffers; }
    uint64_t overhead() const { return wal_buffers + clients(); }
    uint64_t used() const { return memtables + overhead() + block_cache; }
    // What maxmemory is compared with: used memory less the block cache, which has its own
    // bound (block-cache-size) and gives memory back by itself (INFO's
    // mem_not_counted_for_evict).
    uint64_t counted_for_maxmemory() const { return used() - block_cache; }
  };
  MemoryUsage Memory(const storage::DbStats& stats) const;
  // Redis's out-of-memory state under maxmemory (noeviction: nothing is evicted, so commands
  // that may use more memory are refused): maxmemory is set and exceeded.
  bool OverMaxMemory() const;
  uint64_t start_time_ms() const { return start_time_ms_; }
  // SAVE: fsyncs every WAL and writes every memtable into a table, so everything written so far
  // is durable whatever appendfsync says and a restart has no log to replay; then
  // rdb_changes_since_last_save starts again from 0. Blocks the event loop, as Redis's SAVE.
  storage::Status Save();
  // DEBUG RELOAD: SAVE, then close the engine and open the data directory again, as a restart
  // would (the WAL has nothing left to replay). A directory that cannot be opened again ends
  // the process (as Redis exits when its reload fails).
  storage::Status ReloadEngine();
  // DEBUG SET-ACTIVE-EXPIRE: whether the cron deletes keys whose deadline passed.
  void set_active_expire(bool on) { active_expire_ = on; }
  // When the last SAVE finished, or the server started (LASTSAVE, rdb_last_save_time), in s.
  uint64_t last_save_s() const { return last_save_s_; }
  const std::string& run_id() const { return run_id_; }
  int port() const { return config_.port; }
  uint64_t NowMs() const;

  // Applies CONFIG SET changes that need more than the field update. False when a change
  // cannot be applied (*error holds Redis's reason, the setting it names is *failed): the caller
  // restores the previous settings. A TLS setting changed while tls-port is set rebuilds the
  // TLS context (new connections use it; open ones keep theirs); a context that cannot be built
  // leaves the running one in place.
  bool OnConfigChanged(const std::vector<std::string>& names, std::string* error,
                       std::string* failed);
  // The TLS context for connections on tls-port, built by the caller from the config before
  // Run() (a server with tls-port set must have one).
  void set_tls_context(std::unique_ptr<TlsContext> context);
  // Gives the keyspace the encoding thresholds of the config (OBJECT ENCODING's rules).
  void ApplyEncodingLimits();

  // Connection hooks. Dispatch runs a command and returns true, or parks the connection (a
  // write whose shard is stalled by back-pressure) and returns false without running it.
  // Inside MULTI it queues the command instead; an EXEC is admitted as the write of every key
  // its queued writes name, so it parks as a whole and never stops half-way.
  bool Dispatch(Connection& connection, const std::vector<std::string_view>& args);
  // EXEC, once it may run: replies with the array of the queued commands' replies, runs them
  // in order with nothing in between, and ends the transaction.
  void RunTransaction(Connection& connection);
  void ScheduleFlush(Connection* connection);
  void NoteUncommittedWrite(Connection* connection);
  void OnConnectionClosed(Connection* connection);
  uv_loop_t* loop() { return &loop_; }
  // Connections whose write waits for storage back-pressure to ease.
  size_t parked_count() const { return parked_.size(); }

  // Blocking list commands (BLPOP...): the handler, finding nothing to pop, calls BlockForKeys
  // and replies nothing; Dispatch then parks the connection with the command unconsumed. A write
  // to one of the keys (any client's command, or an EXEC) wakes the connections blocked on it
  // in the order they blocked, once that command is done, by running their command again; the
  // deadline (ms, 0 = none) runs it again with block().timed_out set. Not inside MULTI.
  // `type` is what the command pops from (a list or a sorted set): a key is ready when it holds
  // a non-empty value of that type.
  void BlockForKeys(Connection& connection, const std::vector<std::string_view>& keys,
                    uint64_t deadline_ms, keyspace::ValueType type = keyspace::ValueType::kList);
  size_t blocked_count() const { return blocked_.size(); }
  // Query-buffer bytes held by clients that must still authenticate, all together.
  uint64_t unauthenticated_input_bytes() const { return unauthenticated_input_bytes_; }
  void AddUnauthenticatedInput(int64_t delta) {
    unauthenticated_input_bytes_ =
        static_cast<uint64_t>(static_cast<int64_t>(unauthenticated_input_bytes_) + delta);
  }
  // Runs a blocked connection's command again now (WAIT, when an acknowledgement arrives).
  void WakeBlocked(Connection* connection);

  // Lua scripts (EVAL, SCRIPT).
  Scripting& scripting() { return scripting_; }
  // A script's redis.call(`args`): the checks Redis makes for commands called from scripts,
  // then the command as the script's client. Returns the error that refused it ("" when it ran,
  // its reply in *output).
  std::string RunFromScript(Scripting::Run& run, const std::vector<std::string_view>& args,
                            std::string* output);
  // redis.acl_check_cmd: false when `args` names no command; else *allowed says whether the
  // script's user may run it.
  bool ScriptMayRun(Scripting::Run& run, const std::vector<std::string_view>& args, int* allowed);
  // Why a script with a shebang line may not start now ("" when it may): a write script on a
  // read-only replica or failing WAL, over maxmemory without allow-oom, on a stale replica
  // without allow-stale.
  std::string ScriptRefusal(bool read_only, bool allow_oom, bool allow_stale);
  // CLIENT PAUSE: until `end_ms` (absolute ms), every client's commands (`all`) or only those
  // that may write or replicate (WRITE mode: writes, EVAL, PUBLISH...) wait, unread, and keys
  // are not expired (expired ones stay invisible), so the data stays still. A later pause
  // extends it, never shortens it; a pause for all commands stays one for all until it ends.
  // Replicas are never paused. UnpauseClients (CLIENT UNPAUSE, or the deadline) runs them.
  void PauseClients(uint64_t end_ms, bool all);
  void UnpauseClients();
  bool clients_paused() const { return pause_end_ms_ != 0; }
  // MONITOR: `connection` gets every command that runs from now on, as Redis prints them.
  void AddMonitor(Connection* connection);
  size_t monitor_count() const { return monitors_.size(); }
  // CLIENT UNBLOCK: a client blocked in BLPOP, WAIT... runs its command again as if it had timed
  // out, or (`error`) answers -UNBLOCKED instead. False when `id` is not blocked.
  bool UnblockClient(uint64_t id, bool error);
  // A full resynchronisation: the primary's function libraries (their codes) replace this
  // server's, in memory and in the engine. A library that does not load is logged and left out.
  storage::Status ReplaceLibraries(const std::vector<std::string>& codes);
  // Why a write may not run now ("" when it may): the WAL is failing (MISCONF), this is a
  // read-only replica (READONLY), too few good replicas (NOREPLICAS). Dispatch and scripts ask.
  std::string WriteRefusal();
  // A replica whose link is down with replica-serve-stale-data no (MASTERDOWN for non-stale
  // commands).
  bool StaleReplica() const;
  // From a busy script's hook: reads what the other clients sent and answers it (-BUSY to most
  // commands), and sends the replies that wait for no WAL commit. New connections wait for the
  // script to end.
  void ServeWhileBusy(Connection* caller);

 private:
  // A listening socket: the plain port's or tls-port's.
  struct Listener {
    uv_tcp_t handle;
    Server* server;
    bool tls;
  };
  static void OnNewConnection(uv_stream_t* listener, int status);
  static void OnCheck(uv_check_t* handle);
  static void OnCron(uv_timer_t* handle);
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnParkTimer(uv_timer_t* handle);
  static void OnBlockTimer(uv_timer_t* handle);

  bool Listen();
  // Binds every `bind` address on `port`; false (logged) when a required one fails.
  bool ListenOn(int port, bool tls);
  void Accept(Listener* listener);
  void OnIterationEnd();
  void Cron();
  void CloseHandles();
  // Whether a write command may run now. kParked: the connection is parked while the
  // command's shards are stopped, or for ~1 ms while they are slowed. kFail (*error says why):
  // a shard is stopped and its background work keeps failing, so the stall cannot end.
  enum class Admission { kRun, kParked, kFail };
  // `keys` are the keys the write names (empty: it may write to every shard).
  Admission AdmitWrite(Connection& connection, const std::vector<std::string_view>& keys,
                       std::string* error);
  void RetryParked();
  void KeyWritten(int db, std::string_view key);
  void Unblock(Connection* connection);
  // Runs the commands of the connections blocked on the keys written since (FIFO per key).
  void ServeReadyKeys();
  void TimeOutBlocked();
  void WatchStorageLatency();
  // Whether `spec` (for `connection`) waits for CLIENT PAUSE to end.
  bool PausedFor(const Connection& connection, const CommandSpec& spec, bool exec);
  static void OnPauseTimer(uv_timer_t* handle);
  // Sends `args`, as `connection` ran it in `db`, to every MONITOR client.
  void FeedMonitors(const Connection& connection, int db,
                    const std::vector<std::string_view>& args);
  // Runs one command that passed Dispatch's checks (Redis's call()).
  void Call(Connection& connection, const CommandSpec& spec,
            const std::vector<std::string_view>& args);

  Config config_;
  std::string config_file_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<keyspace::Keyspace> keyspace_;  // declared after db_: destroyed before it
  Scripting scripting_{this};
  CommandTable commands_;
  ScanCursors scan_cursors_;
  WatchRegistry watches_;
  PubSub pubsub_;
  Replication replication_{this};
  ReplicaLink replica_link_{this};
  // While a write command runs with "new" events enabled: the keys it names that were not
  // live before it ran (Call), each taken off when its "new" event is published.
  std::vector<std::pair<int, std::string>> maybe_new_keys_;
  std::unordered_map<std::string, uint64_t> touched_;  // db byte + key -> ms
  ServerStats stats_;                   // before keyspace_observer_, which counts into it
  WatchingObserver keyspace_observer_;  // tells watches_ what the keyspace changes
  CommandStats command_stats_{commands_};
  Acl acl_{commands_, command_stats_};
  Slowlog slowlog_;
  LatencyMonitor latency_monitor_;
  // Flushes and compactions per shard at the last cron tick (WatchStorageLatency).
  std::vector<uint64_t> seen_flushes_;
  std::vector<uint64_t> seen_compactions_;
  std::vector<uint64_t> seen_fsyncs_;
  bool storage_latency_primed_ = false;
  // total_error_replies when the last command's errors were counted (Redis's prev_err_count):
  // a command failed if errors were replied since, so EXEC does not count its inner
  // commands' errors as its own.
  uint64_t errors_counted_ = 0;

  uv_loop_t loop_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unique_ptr<TlsContext> tls_context_;
  uv_check_t check_;
  uv_idle_t idle_;  // active while flushes are pending, so the next poll does not block
  uv_timer_t cron_;
  uv_timer_t park_timer_;  // retries parked writes every millisecond while there are any
  uv_signal_t sigterm_;
  uv_signal_t sigint_;

  std::unordered_map<uint64_t, Connection*> clients_;  // owned; deleted on close
  std::vector<Connection*> pending_flush_;
  std::vector<Connection*> uncommitted_;
  std::vector<Connection*> parked_;
  std::map<std::pair<int, std::string>, std::deque<Connection*>> blocked_keys_;
  std::vector<Connection*> blocked_;
  std::vector<std::pair<int, std::string>> ready_keys_;
  bool serving_ready_ = false;
  uv_timer_t block_timer_;  // every 10 ms while a blocked connection has a deadline
  // CLIENT PAUSE: its end (0 = not paused), its kind, the connections waiting for it.
  uint64_t pause_end_ms_ = 0;
  bool pause_all_ = false;
  std::vector<Connection*> postponed_;
  uv_timer_t pause_timer_;
  std::vector<Connection*> monitors_;
  uint64_t next_client_id_ = 1;
  uint64_t unauthenticated_input_bytes_ = 0;
  uint64_t start_time_ms_ = 0;
  uint64_t last_save_s_ = 0;
  std::string run_id_;
  bool shutting_down_ = false;
  bool active_expire_ = true;
  int exit_code_ = 0;
};

}  // namespace shale::server
