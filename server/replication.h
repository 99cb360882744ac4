// The primary's side of Redis's replication protocol, so that a Redis replica (or any client
// that speaks SYNC/PSYNC) can follow Shale.
//
// Handshake. A replica connects as a client and sends `PSYNC <replid> <offset>` (`?` `-1` the
// first time) or the older `SYNC`; REPLCONF (listening-port, capa, ACK) comes around it. Shale
// answers one of:
//   +FULLRESYNC <replid> <offset>\r\n  then  $<length>\r\n<RDB file>   (no CRLF after the file)
//   +CONTINUE <replid>\r\n             then the stream from <offset> on, out of the backlog
// SYNC gets the `$<length>` and RDB part alone. The RDB file (keyspace/rdb.h) holds every live
// key with its deadline at the moment of the reply; the stream starts right after it, so
// nothing is missed or applied twice. The file is made on the event loop, in memory, when the
// replica asks: other clients wait while it is made (about the time DUMP of every key takes).
//
// The stream is what a Redis primary sends: RESP arrays of bulk strings, one per command.
//   - A write command that changed something goes as the client sent it, unless the command
//     says what to send instead (Rewrite): a relative deadline becomes absolute (SET ... EX ->
//     SET key value PXAT ms, EXPIRE/SETEX/GETEX EX -> PEXPIREAT, RESTORE ttl -> RESTORE ...
//     ABSTTL), a deadline in the past becomes DEL, GETDEL becomes DEL, GETEX PERSIST becomes
//     PERSIST, INCRBYFLOAT becomes SET ... KEEPTTL, a served blocking pop becomes the plain pop,
//     SPOP becomes SREM, so that every replica ends with the same data at any time.
//   - What one command (or one EXEC) sends is wrapped in MULTI ... EXEC when it is more than
//     one command, so a replica applies it at once.
//   - A key deleted because its deadline passed (read by a command, or found by the expiry
//     cycle) is sent as DEL key, at once and on its own.
//   - SELECT n comes before a command for another database than the previous one (and before
//     the first command after a full resynchronisation).
//   - PING every repl-ping-replica-period seconds while replicas are connected.
// master_repl_offset counts the bytes of the stream; the backlog keeps the last
// repl-backlog-size of them for +CONTINUE. It exists from the first replica on, until
// repl-backlog-ttl seconds after the last one left: before that, nothing is propagated and
// commands pay nothing for replication.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shale::server {

class Connection;
class Server;
struct CommandSpec;

class Replication {
 public:
  explicit Replication(Server* server);
  Replication(const Replication&) = delete;
  Replication& operator=(const Replication&) = delete;

  // Whether writes are propagated (a backlog exists). Commands check it before they build a
  // rewritten command.
  bool active() const { return backlog_active_; }

  // Server::Call brackets every command with these. A command that changed the data
  // (`changed`: Redis's server.dirty moved) propagates what it rewrote itself to, or else, if it
  // is a `write` command, `args`; one that changed nothing propagates nothing unless forced.
  // When the outermost call ends, what it gathered goes out (wrapped in MULTI/EXEC when more
  // than one command).
  struct CallFrame {
    size_t start = 0;
    bool rewritten = false;
    bool forced = false;
    bool inner_forced = false;
  };
  CallFrame EnterCall();
  void LeaveCall(const CallFrame& outer, bool write, bool changed, int db,
                 const std::vector<std::string_view>& args);

  // The running command propagates `argv` (for `db`) instead of what the client sent; called
  // several times, it propagates several commands. Nothing is kept while inactive.
  void Rewrite(int db, std::vector<std::string> argv);
  // The running command propagates nothing of its own.
  void Suppress() { rewritten_ = true; }
  // What the running command has gathered so far, and dropping what it gathered since (a
  // script's commands after redis.set_repl(redis.REPL_NONE)).
  size_t pending_size() const { return pending_.size(); }
  void DropPendingFrom(size_t size) {
    if (pending_.size() > size) pending_.resize(size);
  }
  // The running command propagates even if it changed nothing (PUBLISH, SWAPDB).
  void Force() { forced_ = true; }
  // A key deleted because its deadline passed: DEL key, sent at once.
  void KeyExpired(int db, std::string_view key);

  // SYNC (`psync` false) and PSYNC: answers as described above and makes `connection` a
  // replica. `replid`/`offset` are PSYNC's arguments.
  void Attach(Connection& connection, bool psync, std::string_view replid, int64_t offset);
  // REPLCONF ACK <offset> from a replica.
  void Acknowledge(Connection& connection, int64_t offset);
  void OnConnectionClosed(Connection* connection);
  // Closes every replica's connection (they reconnect and resynchronise): this server's data
  // was replaced by another primary's.
  void DisconnectReplicas();
  // Once a second: PINGs, replica timeouts, the backlog's time to live.
  void Cron(uint64_t now_ms);

  // INFO replication, ROLE, min-replicas-to-write, WAIT.
  struct ReplicaInfo {
    std::string ip;
    int64_t port = 0;
    uint64_t ack_offset = 0;
    uint64_t lag_s = 0;  // since the last ACK (or since it attached)
  };
  std::vector<ReplicaInfo> Replicas(uint64_t now_ms) const;
  size_t replica_count() const { return replicas_.size(); }
  // Replicas whose last ACK is at most `max_lag_s` old (min-replicas-to-write's good replicas).
  size_t GoodReplicas(uint64_t now_ms, uint64_t max_lag_s) const;
  // Replicas that acknowledged at least `offset`.
  size_t ReplicasAt(uint64_t offset) const;
  // Asks every replica to acknowledge its offset (REPLCONF GETACK *), for WAIT.
  void RequestAcks();
  // WAIT's blocked connections: run again (Server::WakeBlocked) after an ACK arrives.
  void WaitForAcks(Connection* connection);
  void StopWaiting(Connection* connection);
  // Called after every command: wakes the waiters if an ACK came in.
  void WakeWaiters();
  const std::string& replid() const { return replid_; }
  uint64_t offset() const { return offset_; }
  uint64_t backlog_size() const;
  uint64_t backlog_first_byte() const { return offset_ - backlog_.size() + 1; }
  uint64_t backlog_histlen() const { return backlog_.size(); }
  uint64_t output_bytes() const { return output_bytes_; }
  // INFO stats' sync_full, sync_partial_ok, sync_partial_err.
  uint64_t full_syncs() const { return full_syncs_; }
  uint64_t partial_syncs_ok() const { return partial_ok_; }
  uint64_t partial_syncs_refused() const { return partial_refused_; }

 private:
  struct Replica {
    Connection* connection = nullptr;
    bool psync = false;  // SYNC clients (Redis's pre-PSYNC) are never timed out
    uint64_t ack_offset = 0;
    uint64_t ack_ms = 0;
  };
  struct Pending {
    int db;
    std::vector<std::string> argv;
  };
  void CreateBacklog();
  // Appends the command to the stream (SELECT first when `db` >= 0 differs from the last one).
  void Emit(int db, const std::vector<std::string_view>& argv);
  void Feed(std::string_view bytes);
  void FlushPending();

  Server* server_;
  bool backlog_active_ = false;
  std::string replid_;
  uint64_t offset_ = 0;  // master_repl_offset: bytes of stream so far
  // The last stream bytes (at most repl-backlog-size of them, trimmed in steps).
  std::string backlog_;
  int selected_db_ = -1;
  std::unordered_map<Connection*, Replica> replicas_;
  uint64_t no_replicas_since_ms_ = 0;
  uint64_t last_ping_ms_ = 0;
  uint64_t output_bytes_ = 0;  // total_net_repl_output_bytes
  uint64_t full_syncs_ = 0;
  uint64_t partial_ok_ = 0;
  uint64_t partial_refused_ = 0;  // a PSYNC for a history or offset the backlog does not have
  int depth_ = 0;
  // The running command's: it rewrote (or suppressed) its propagation; it forced it; a command
  // it ran (EXEC's) forced its own.
  bool rewritten_ = false;
  bool forced_ = false;
  bool inner_forced_ = false;
  std::vector<Pending> pending_;
  std::vector<Connection*> waiters_;
  bool acks_arrived_ = false;
};

}  // namespace shale::server
