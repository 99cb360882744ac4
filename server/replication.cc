#include "server/replication.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>
#include <utility>

#include "protocol/reply_writer.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace shale::server {

namespace {

// A command as the stream carries it: a RESP2 array of bulk strings.
void AppendCommand(const std::vector<std::string_view>& argv, std::string* out) {
  protocol::ReplyWriter writer(out);
  writer.BulkArray(argv.data(), argv.size());
}

std::vector<std::string_view> Views(const std::vector<std::string>& argv) {
  return {argv.begin(), argv.end()};
}

}  // namespace

Replication::Replication(Server* server) : server_(server) {}

Replication::CallFrame Replication::EnterCall() {
  ++depth_;
  CallFrame outer{pending_.size(), rewritten_, forced_, inner_forced_};
  rewritten_ = forced_ = inner_forced_ = false;
  return outer;
}

void Replication::LeaveCall(const CallFrame& outer, bool write, bool changed, int db,
                            const std::vector<std::string_view>& args) {
  const bool keep = changed || forced_ || inner_forced_;
  if (!keep) {
    pending_.resize(std::min(pending_.size(), outer.start));
  } else if (backlog_active_ && (write || forced_) && !rewritten_) {
    pending_.push_back({db, std::vector<std::string>(args.begin(), args.end())});
  }
  const bool any_forced = forced_ || inner_forced_;
  rewritten_ = outer.rewritten;
  forced_ = outer.forced;
  inner_forced_ = outer.inner_forced || any_forced;
  if (--depth_ == 0) {
    inner_forced_ = false;
    FlushPending();
  }
}

void Replication::Rewrite(int db, std::vector<std::string> argv) {
  rewritten_ = true;
  if (!backlog_active_) return;
  pending_.push_back({db, std::move(argv)});
}

void Replication::KeyExpired(int db, std::string_view key) {
  if (!backlog_active_) return;
  Emit(db, {"DEL", key});
}

void Replication::FlushPending() {
  if (pending_.empty()) return;
  std::vector<Pending> pending;
  pending.swap(pending_);
  if (pending.size() == 1) {
    Emit(pending[0].db, Views(pending[0].argv));
    return;
  }
  // MULTI goes to the first command's database, so a SELECT comes before it.
  Emit(pending[0].db, {"MULTI"});
  for (const Pending& command : pending) Emit(command.db, Views(command.argv));
  Emit(-1, {"EXEC"});
}

void Replication::Emit(int db, const std::vector<std::string_view>& argv) {
  std::string bytes;
  if (db >= 0 && db != selected_db_) {
    const std::string number = std::to_string(db);
    AppendCommand({"SELECT", number}, &bytes);
    selected_db_ = db;
  }
  AppendCommand(argv, &bytes);
  Feed(bytes);
}

uint64_t Replication::backlog_size() const {
  return static_cast<uint64_t>(std::max<int64_t>(server_->config().repl_backlog_size, 1));
}

void Replication::Feed(std::string_view bytes) {
  offset_ += bytes.size();
  backlog_.append(bytes);
  // Trimmed in steps of a quarter of the size, so a command does not move the whole backlog.
  const uint64_t size = backlog_size();
  if (backlog_.size() > size + size / 4) backlog_.erase(0, backlog_.size() - size);
  for (auto& [connection, replica] : replicas_) {
    connection->AppendRaw(bytes);
    server_->ScheduleFlush(connection);
  }
  output_bytes_ += bytes.size() * replicas_.size();
}

void Replication::CreateBacklog() {
  // A new history: a replica of an earlier one (an earlier replid) resynchronises fully.
  replid_ = RandomHexId();
  backlog_.clear();
  backlog_active_ = true;
  spdlog::info("replication backlog created, replication id {}", replid_);
}

void Replication::Attach(Connection& connection, bool psync, std::string_view replid,
                         int64_t offset) {
  if (!backlog_active_) CreateBacklog();
  const uint64_t now = server_->NowMs();
  if (psync && replid == replid_ && offset > 0 &&
      static_cast<uint64_t>(offset) >= backlog_first_byte() &&
      static_cast<uint64_t>(offset) <= offset_ + 1) {
    // The replica has everything up to offset - 1: it gets the rest of the backlog.
    const uint64_t missing = offset_ + 1 - static_cast<uint64_t>(offset);
    connection.AppendRaw("+CONTINUE " + replid_ + "\r\n");
    connection.AppendRaw(std::string_view(backlog_).substr(backlog_.size() - missing));
    output_bytes_ += missing;
    ++partial_ok_;
    spdlog::info("replica {} continues from offset {} ({} bytes of backlog)",
                 connection.peer_address(), offset, missing);
  } else {
    if (psync && replid != "?") ++partial_refused_;
    ++full_syncs_;
    std::string rdb;
    const std::vector<std::pair<std::string, std::string>> aux = {
        {"redis-ver", std::string(kRedisCompatibleVersion)},
        {"redis-bits", "64"},
        {"ctime", std::to_string(now / 1000)},
        {"repl-stream-db", "0"},
        {"repl-id", replid_},
        {"repl-offset", std::to_string(offset_)},
        {"aof-base", "0"},
    };
    storage::Status s = server_->keyspace().SnapshotRdb(aux, &rdb);
    if (!s.ok()) {
      connection.reply().Error("ERR cannot make the snapshot for the replica: " + s.ToString());
      spdlog::error("full resynchronisation of {} failed: {}", connection.peer_address(),
                    s.ToString());
      return;
    }
    if (psync) {
      connection.AppendRaw("+FULLRESYNC " + replid_ + " " + std::to_string(offset_) + "\r\n");
    }
    connection.AppendRaw("$" + std::to_string(rdb.size()) + "\r\n");
    connection.AppendSnapshot(rdb);
    output_bytes_ += rdb.size();
    // The stream after a new snapshot starts with a SELECT.
    selected_db_ = -1;
    spdlog::info("replica {} resynchronised fully: {} bytes of snapshot at offset {}",
                 connection.peer_address(), rdb.size(), offset_);
  }
  // The PING period starts with the first replica.
  if (replicas_.empty()) last_ping_ms_ = now;
  Replica& replica = replicas_[&connection];
  replica.connection = &connection;
  replica.psync = psync;
  replica.ack_ms = now;
  connection.MakeReplica();
  server_->ScheduleFlush(&connection);
  no_replicas_since_ms_ = 0;
}

void Replication::Acknowledge(Connection& connection, int64_t offset) {
  auto it = replicas_.find(&connection);
  if (it == replicas_.end()) return;
  it->second.ack_offset = static_cast<uint64_t>(std::max<int64_t>(offset, 0));
  it->second.ack_ms = server_->NowMs();
  if (!waiters_.empty()) acks_arrived_ = true;
}

void Replication::WaitForAcks(Connection* connection) {
  if (std::find(waiters_.begin(), waiters_.end(), connection) == waiters_.end()) {
    waiters_.push_back(connection);
  }
}

void Replication::StopWaiting(Connection* connection) { std::erase(waiters_, connection); }

void Replication::WakeWaiters() {
  if (!acks_arrived_) return;
  acks_arrived_ = false;
  const std::vector<Connection*> waiters = waiters_;
  for (Connection* connection : waiters) server_->WakeBlocked(connection);
}

void Replication::OnConnectionClosed(Connection* connection) {
  StopWaiting(connection);
  if (replicas_.erase(connection) == 0) return;
  spdlog::info("replica {} disconnected", connection->peer_address());
  if (replicas_.empty()) no_replicas_since_ms_ = server_->NowMs();
}

void Replication::DisconnectReplicas() {
  std::vector<Connection*> replicas;
  for (const auto& [connection, replica] : replicas_) replicas.push_back(connection);
  for (Connection* connection : replicas) connection->Close();
}

void Replication::RequestAcks() {
  if (replicas_.empty()) return;
  Emit(-1, {"REPLCONF", "GETACK", "*"});
}

void Replication::Cron(uint64_t now_ms) {
  if (!backlog_active_) return;
  const Config& config = server_->config();
  if (!replicas_.empty()) {
    const auto period_ms =
        static_cast<uint64_t>(std::max<int64_t>(config.repl_ping_replica_period, 1)) * 1000;
    if (now_ms - last_ping_ms_ >= period_ms) {
      last_ping_ms_ = now_ms;
      Emit(-1, {"PING"});
    }
    // A replica that stopped acknowledging is dropped (not an old SYNC one, which never does).
    const auto timeout_ms = static_cast<uint64_t>(std::max<int64_t>(config.repl_timeout, 1)) * 1000;
    std::vector<Connection*> stale;
    for (const auto& [connection, replica] : replicas_) {
      if (replica.psync && now_ms - replica.ack_ms > timeout_ms) stale.push_back(connection);
    }
    for (Connection* connection : stale) {
      spdlog::warn("replica {} timed out: no ACK for {} s", connection->peer_address(),
                   config.repl_timeout);
      connection->Close();
    }
    return;
  }
  if (config.repl_backlog_ttl > 0 && no_replicas_since_ms_ != 0 &&
      now_ms - no_replicas_since_ms_ >= static_cast<uint64_t>(config.repl_backlog_ttl) * 1000) {
    spdlog::info("replication backlog freed: no replica for {} s", config.repl_backlog_ttl);
    backlog_active_ = false;
    backlog_.clear();
    backlog_.shrink_to_fit();
    no_replicas_since_ms_ = 0;
  }
}

std::vector<Replication::ReplicaInfo> Replication::Replicas(uint64_t now_ms) const {
  std::vector<ReplicaInfo> out;
  for (const auto& [connection, replica] : replicas_) {
    ReplicaInfo info;
    info.ip = connection->peer_ip();
    info.port = connection->replica_listening_port();
    info.ack_offset = replica.ack_offset;
    info.lag_s = (now_ms - std::min(now_ms, replica.ack_ms)) / 1000;
    out.push_back(std::move(info));
  }
  return out;
}

size_t Replication::GoodReplicas(uint64_t now_ms, uint64_t max_lag_s) const {
  size_t good = 0;
  for (const auto& [connection, replica] : replicas_) {
    if ((now_ms - std::min(now_ms, replica.ack_ms)) / 1000 <= max_lag_s) ++good;
  }
  return good;
}

size_t Replication::ReplicasAt(uint64_t offset) const {
  size_t n = 0;
  for (const auto& [connection, replica] : replicas_) {
    if (replica.ack_offset >= offset) ++n;
  }
  return n;
}

}  // namespace shale::server
