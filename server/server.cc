#include "server/server.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <random>

#include "server/connection.h"
#include "server/engine_options.h"
#include "server/logging.h"
#include "server/notifications.h"
#include "server/tls.h"

namespace shale::server {

std::string RandomHexId() {
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) | rd());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (char& c : id) c = kHex[rng() % 16];
  return id;
}

namespace {

// Redis 7.0's answer to a client refused by protected mode, naming Shale where it names the
// server (the wording, "Setup a an" included, is Redis's).
constexpr std::string_view kProtectedModeDenied =
    "DENIED Shale is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface. If you want to connect from external computers to Shale you may adopt "
    "one of the following solutions: 1) Just disable protected mode sending the command "
    "'CONFIG SET protected-mode no' from the loopback interface by connecting to Shale from the "
    "same host the server is running, however MAKE SURE Shale is not publicly accessible from "
    "internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Shale configuration file, and "
    "setting the protected mode option to 'no', and then restarting the server. 3) If you "
    "started the server manually just for testing, restart it with the '--protected-mode no' "
    "option. 4) Setup a an authentication password for the default user. NOTE: You only need to "
    "do one of the above things in order for the server to start accepting connections from "
    "the outside.";

// Redis clamps hz to 1..500.
uint64_t CronIntervalMs(int64_t hz) {
  return 1000 / static_cast<uint64_t>(std::clamp<int64_t>(hz, 1, 500));
}

// Redis's slow expiry cycle may take 25% of the CPU: a quarter of the 100 ms cron period.
constexpr uint64_t kExpireCycleBudgetMicros = 25000;

// The commands a RESP2 client may send while subscribed (Redis's processCommand list).
bool AllowedWhileSubscribed(const CommandSpec& spec) {
  static constexpr std::string_view kAllowed[] = {"ping",         "subscribe",    "ssubscribe",
                                                  "unsubscribe",  "sunsubscribe", "psubscribe",
                                                  "punsubscribe", "quit",         "reset"};
  return std::find(std::begin(kAllowed), std::end(kAllowed), spec.name) != std::end(kAllowed);
}

// The commands a busy script leaves to other clients (Redis's allow-busy flag).
bool AllowedWhileBusy(const CommandSpec& spec, const std::vector<std::string_view>& args) {
  static constexpr std::string_view kAllowed[] = {"auth",    "hello", "reset",   "quit",    "multi",
                                                  "discard", "watch", "unwatch", "shutdown"};
  if (std::find(std::begin(kAllowed), std::end(kAllowed), spec.name) != std::end(kAllowed)) {
    return true;
  }
  if (args.size() < 2) return false;
  if (spec.name == "script") return EqualsIgnoreCase(args[1], "kill");
  if (spec.name == "function") {
    return EqualsIgnoreCase(args[1], "kill") || EqualsIgnoreCase(args[1], "stats");
  }
  return false;
}

constexpr std::string_view kBusyError =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";

constexpr std::string_view kMasterDownError =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

constexpr std::string_view kBusyFunctionError =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

uint64_t SteadyMicros() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

}  // namespace

Server::Server(Config config, std::string config_file, std::unique_ptr<storage::Db> db,
               std::unique_ptr<keyspace::Keyspace> keyspace)
    : config_(std::move(config)),
      config_file_(std::move(config_file)),
      db_(std::move(db)),
      keyspace_(std::move(keyspace)),
      watches_([this](int index, std::string_view key) {
        keyspace::KeyState state = keyspace::KeyState::kAbsent;
        // A key that cannot be read counts as live: WATCH then sees any later change to it.
        if (!keyspace_->Peek(index, key, &state).ok()) return WatchedKeyState::kLive;
        switch (state) {
          case keyspace::KeyState::kAbsent:
            return WatchedKeyState::kAbsent;
          case keyspace::KeyState::kExpired:
            return WatchedKeyState::kExpired;
          case keyspace::KeyState::kLive:
            break;
        }
        return WatchedKeyState::kLive;
      }),
      keyspace_observer_(&watches_, &stats_.dirty) {
  keyspace_->set_observer(&keyspace_observer_);
  ApplyEncodingLimits();
  keyspace_observer_.set_on_modified([this](int db, std::string_view key) { KeyWritten(db, key); });
  keyspace_observer_.set_on_expired([this](int db, std::string_view key) {
    replication_.KeyExpired(db, key);
    NotifyKeyspaceEvent(*this, kNotifyExpired, "expired", db, key);
  });
  // The function libraries FUNCTION LOAD stored.
  std::vector<std::pair<std::string, std::string>> libraries;
  storage::Status status = keyspace_->Libraries(&libraries);
  if (!status.ok()) spdlog::error("reading the function libraries failed: {}", status.ToString());
  for (const auto& [name, code] : libraries) {
    std::string loaded;
    std::string error;
    if (!scripting_.LoadLibrary(code, false, &loaded, &error)) {
      spdlog::error("function library {} could not be loaded: {}", name, error);
    }
  }
  uv_loop_init(&loop_);
  start_time_ms_ = NowMs();
  last_save_s_ = start_time_ms_ / 1000;
  run_id_ = RandomHexId();
}

Server::~Server() {
  CloseHandles();
  // Run the loop until every close callback has fired, then release it.
  while (uv_loop_close(&loop_) == UV_EBUSY) uv_run(&loop_, UV_RUN_NOWAIT);
}

uint64_t Server::NowMs() const {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

bool Server::Listen() {
  if (config_.port == 0 && config_.tls_port == 0) {
    spdlog::error("Configured to not listen anywhere, exiting.");
    return false;
  }
  if (config_.port != 0 && !ListenOn(config_.port, false)) return false;
  if (config_.tls_port != 0 && !ListenOn(config_.tls_port, true)) return false;
  return !listeners_.empty();
}

bool Server::ListenOn(int port, bool tls) {
  const size_t before = listeners_.size();
  for (const std::string& address : config_.bind) {
    std::string host = address;
    bool optional = false;
    if (!host.empty() && host[0] == '-') {  // Redis: "-::1" means "skip if unavailable"
      host = host.substr(1);
      optional = true;
    }
    sockaddr_storage addr{};
    if (host.find(':') != std::string::npos) {
      if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&addr)) != 0) {
        spdlog::error("Invalid bind address '{}'", host);
        return false;
      }
    } else if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&addr)) != 0) {
      spdlog::error("Invalid bind address '{}'", host);
      return false;
    }
    auto listener = std::make_unique<Listener>();
    uv_tcp_init(&loop_, &listener->handle);
    listener->handle.data = listener.get();
    listener->server = this;
    listener->tls = tls;
    unsigned flags = addr.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0;
    int rc = uv_tcp_bind(&listener->handle, reinterpret_cast<sockaddr*>(&addr), flags);
    if (rc == 0) {
      rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener->handle), config_.tcp_backlog,
                     OnNewConnection);
    }
    if (rc != 0) {
      uv_close(reinterpret_cast<uv_handle_t*>(&listener.release()->handle),
               [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
      if (optional) {
        spdlog::warn("Skipping bind address {}:{}: {}", host, port, uv_strerror(rc));
        continue;
      }
      spdlog::error("Could not create server {}TCP listening socket {}:{}: {}", tls ? "TLS " : "",
                    host, port, uv_strerror(rc));
      return false;
    }
    listeners_.push_back(std::move(listener));
  }
  return listeners_.size() > before;
}

void Server::set_tls_context(std::unique_ptr<TlsContext> context) {
  tls_context_ = std::move(context);
}

int Server::Run() {
  if (!Listen()) {
    CloseHandles();
    return 1;
  }
  uv_check_init(&loop_, &check_);
  check_.data = this;
  uv_check_start(&check_, OnCheck);
  uv_idle_init(&loop_, &idle_);
  idle_.data = this;
  uv_timer_init(&loop_, &cron_);
  cron_.data = this;
  uv_timer_start(&cron_, OnCron, CronIntervalMs(config_.hz), CronIntervalMs(config_.hz));
  uv_timer_init(&loop_, &park_timer_);
  park_timer_.data = this;
  uv_timer_init(&loop_, &block_timer_);
  block_timer_.data = this;
  uv_timer_init(&loop_, &pause_timer_);
  pause_timer_.data = this;
  uv_signal_init(&loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_init(&loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(&sigint_, OnSignal, SIGINT);

  if (config_.tls_port != 0 && tls_context_ == nullptr) {
    spdlog::error("tls-port is set but no TLS context was configured");
    CloseHandles();
    return 1;
  }
  if (config_.port != 0) spdlog::info("Ready to accept connections tcp on port {}", config_.port);
  if (config_.tls_port != 0) {
    spdlog::info("Ready to accept connections tls on port {}", config_.tls_port);
  }
  if (!config_.replicaof_host.empty()) {
    replica_link_.Follow(config_.replicaof_host, static_cast<int>(config_.replicaof_port));
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  return exit_code_;
}

void Server::CloseHandles() {
  auto close_if_open = [](uv_handle_t* handle) {
    if (handle->loop != nullptr && !uv_is_closing(handle)) uv_close(handle, nullptr);
  };
  for (auto& listener : listeners_) {
    Listener* raw = listener.release();
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&raw->handle))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&raw->handle),
               [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
    }
  }
  listeners_.clear();
  replica_link_.Close();
  if (check_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&check_));
  if (idle_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&idle_));
  if (cron_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&cron_));
  if (park_timer_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&park_timer_));
  if (block_timer_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&block_timer_));
  if (pause_timer_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&pause_timer_));
  if (sigterm_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&sigterm_));
  if (sigint_.loop == &loop_) close_if_open(reinterpret_cast<uv_handle_t*>(&sigint_));
  std::vector<Connection*> open;
  for (auto& [id, connection] : clients_) open.push_back(connection);
  for (Connection* connection : open) connection->Close();
}

void Server::OnNewConnection(uv_stream_t* stream, int status) {
  auto* listener = static_cast<Listener*>(stream->data);
  if (status < 0) {
    spdlog::warn("Accept error: {}", uv_strerror(status));
    return;
  }
  listener->server->Accept(listener);
}

void Server::Accept(Listener* listener) {
  auto* connection = new Connection(this, next_client_id_++);  // deleted by its close callback
  uv_tcp_init(&loop_, connection->handle());
  if (uv_accept(reinterpret_cast<uv_stream_t*>(&listener->handle),
                reinterpret_cast<uv_stream_t*>(connection->handle())) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(connection->handle()),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
    return;
  }
  stats_.total_connections_received++;
  // A TLS client's replies, refusals included, go out once its handshake is done (as in Redis,
  // which checks maxclients and protected mode after the handshake).
  std::unique_ptr<TlsSession> tls;
  if (listener->tls) tls = std::make_unique<TlsSession>(*tls_context_, config_.tls_auth_clients);
  if (shutting_down_ || clients_.size() >= static_cast<size_t>(config_.maxclients)) {
    // Redis answers and closes; the reply goes out with the first flush.
    stats_.rejected_connections++;
    clients_.emplace(connection->id(), connection);
    connection->Start(std::move(tls));
    connection->reply().Error("ERR max number of clients reached");
    connection->CloseAfterReply();
    ScheduleFlush(connection);
    return;
  }
  clients_.emplace(connection->id(), connection);
  connection->Start(std::move(tls));
  // Redis's protected mode: without a password, only clients on this host's loopback are served.
  if (config_.protected_mode && acl_.default_user()->nopass() && !connection->peer_is_loopback()) {
    stats_.rejected_connections++;
    spdlog::debug("Protected mode: refused client id={} addr={}", connection->id(),
                  connection->peer_address());
    connection->reply().Error(kProtectedModeDenied);
    connection->CloseAfterReply();
    ScheduleFlush(connection);
  }
}

void Server::OnConnectionClosed(Connection* connection) {
  watches_.UnwatchAll(connection->transaction().watcher());
  pubsub_.UnsubscribeAll(connection);
  replication_.OnConnectionClosed(connection);
  clients_.erase(connection->id());
  std::erase(pending_flush_, connection);
  std::erase(uncommitted_, connection);
  std::erase(parked_, connection);
  std::erase(postponed_, connection);
  std::erase(monitors_, connection);
  if (connection->block().active) Unblock(connection);
}

void Server::ScheduleFlush(Connection* connection) {
  if (connection->in_pending_flush_ || connection->closing()) return;
  connection->in_pending_flush_ = true;
  pending_flush_.push_back(connection);
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_)) && idle_.loop == &loop_) {
    uv_idle_start(&idle_, [](uv_idle_t*) {});
  }
}

void Server::NoteUncommittedWrite(Connection* connection) { uncommitted_.push_back(connection); }

void Server::OnCheck(uv_check_t* handle) { static_cast<Server*>(handle->data)->OnIterationEnd(); }

void Server::OnIterationEnd() {
  // 1. Make this iteration's writes durable per appendfsync (one write + fsync per shard).
  storage::Status status = db_->Commit();
  if (!status.ok() && !uncommitted_.empty()) {
    // A failed shard keeps failing commits until its retry succeeds; storage logs the failure
    // itself, so only commits that cost clients their acknowledgement are counted here.
    stats_.wal_commit_failures++;
    spdlog::warn("WAL commit failed, {} client(s) get -MISCONF: {}", uncommitted_.size(),
                 status.ToString());
    std::string error = "MISCONF Errors writing to the WAL: " + status.message();
    for (Connection* connection : uncommitted_) connection->FailUncommittedReplies(error);
  } else {
    for (Connection* connection : uncommitted_) connection->MarkCommitted();
  }
  uncommitted_.clear();
  // 2. Send replies. Flush may run buffered commands of a resumed client, which schedules
  // it again for the next iteration.
  std::vector<Connection*> flushing;
  flushing.swap(pending_flush_);
  for (Connection* connection : flushing) connection->in_pending_flush_ = false;
  for (size_t i = 0; i < flushing.size(); ++i) {
    Connection* connection = flushing[i];
    // A connection closed by an earlier flush in this batch has been removed from clients_.
    if (clients_.count(connection->id()) == 0 || clients_.at(connection->id()) != connection) {
      continue;
    }
    connection->Flush();
  }
  if (pending_flush_.empty() && uv_is_active(reinterpret_cast<uv_handle_t*>(&idle_))) {
    uv_idle_stop(&idle_);
  }
}

void Server::OnCron(uv_timer_t* handle) { static_cast<Server*>(handle->data)->Cron(); }

void Server::OnParkTimer(uv_timer_t* handle) { static_cast<Server*>(handle->data)->RetryParked(); }

// --- blocking list commands ---

void Server::BlockForKeys(Connection& connection, const std::vector<std::string_view>& keys,
                          uint64_t deadline_ms, keyspace::ValueType type) {
  Connection::BlockState& block = connection.block();
  block.type = type;
  block.requested = true;
  block.active = true;
  block.db = connection.db();
  block.keys.assign(keys.begin(), keys.end());
  block.deadline_ms = deadline_ms;
  for (const std::string& key : block.keys) {
    std::deque<Connection*>& waiting = blocked_keys_[{block.db, key}];
    if (std::find(waiting.begin(), waiting.end(), &connection) == waiting.end()) {
      waiting.push_back(&connection);
    }
  }
  blocked_.push_back(&connection);
  if (deadline_ms != 0 && block_timer_.loop == &loop_ &&
      !uv_is_active(reinterpret_cast<uv_handle_t*>(&block_timer_))) {
    uv_timer_start(&block_timer_, OnBlockTimer, 10, 10);
  }
}

void Server::Unblock(Connection* connection) {
  Connection::BlockState& block = connection->block();
  for (const std::string& key : block.keys) {
    auto it = blocked_keys_.find({block.db, key});
    if (it == blocked_keys_.end()) continue;
    std::erase(it->second, connection);
    if (it->second.empty()) blocked_keys_.erase(it);
  }
  block.active = false;
  block.keys.clear();
  std::erase(blocked_, connection);
  if (blocked_.empty()) uv_timer_stop(&block_timer_);
}

void Server::ApplyFromPrimary(Connection& client,
                              const std::vector<std::vector<std::string_view>>& commands,
                              bool atomic) {
  if (atomic) keyspace_->BeginAtomic();
  for (const std::vector<std::string_view>& args : commands) {
    const CommandSpec* spec = args.empty() ? nullptr : commands_.Find(args[0]);
    if (spec == nullptr || !spec->ArityMatches(args.size())) {
      spdlog::warn("replication: the primary sent '{}', which cannot run here",
                   args.empty() ? std::string() : std::string(args[0]));
      continue;
    }
    stats_.total_commands_processed++;
    Call(client, *spec, args);
    // A blocking command from the primary never waits (a primary sends the plain forms).
    if (client.block().requested) {
      client.block().requested = false;
      if (client.block().active) Unblock(&client);
    }
    client.output_.clear();
  }
  if (atomic) {
    storage::Status status = keyspace_->EndAtomic();
    if (!status.ok()) {
      spdlog::error("replication: logging a transaction failed: {}", status.ToString());
    }
  }
  if (!serving_ready_ && !ready_keys_.empty()) ServeReadyKeys();
}

namespace {
std::string TouchedId(int db, std::string_view key) {
  std::string id = std::to_string(db);
  id.push_back(':');
  id.append(key);
  return id;
}
}  // namespace

void Server::NoteTouched(int db, std::string_view key) {
  if (touched_.size() >= kMaxTouched) {
    // Drop the older half: an idle time is a hint, and the table must stay bounded.
    std::vector<uint64_t> times;
    times.reserve(touched_.size());
    for (const auto& [id, ms] : touched_) times.push_back(ms);
    std::nth_element(times.begin(), times.begin() + static_cast<ptrdiff_t>(times.size() / 2),
                     times.end());
    const uint64_t cut = times[times.size() / 2];
    std::erase_if(touched_, [cut](const auto& entry) { return entry.second <= cut; });
  }
  touched_[TouchedId(db, key)] = NowMs();
}

uint64_t Server::TouchedMs(int db, std::string_view key) const {
  auto it = touched_.find(TouchedId(db, key));
  return it == touched_.end() ? 0 : it->second;
}

void Server::WakeBlocked(Connection* connection) {
  if (!connection->block().active) return;
  Unblock(connection);
  if (!connection->closing()) connection->Unpark();
}

void Server::KeyWritten(int db, std::string_view key) {
  if (blocked_keys_.empty()) return;
  std::pair<int, std::string> id{db, std::string(key)};
  if (blocked_keys_.count(id) == 0) return;
  if (std::find(ready_keys_.begin(), ready_keys_.end(), id) == ready_keys_.end()) {
    ready_keys_.push_back(std::move(id));
  }
}

void Server::ServeReadyKeys() {
  serving_ready_ = true;
  while (!ready_keys_.empty()) {
    const std::pair<int, std::string> key = std::move(ready_keys_.front());
    ready_keys_.erase(ready_keys_.begin());
    // At most the connections waiting now: one that blocks again goes to the back.
    auto it = blocked_keys_.find(key);
    size_t turns = it == blocked_keys_.end() ? 0 : it->second.size();
    for (; turns > 0 && it != blocked_keys_.end() && !it->second.empty();
         --turns, it = blocked_keys_.find(key)) {
      Connection* connection = it->second.front();
      // A stream reader runs again whatever the write was: its command decides (from the IDs it
      // blocked with) whether there is something new, and otherwise blocks again, at the back.
      if (connection->block().type != keyspace::ValueType::kStream) {
        int64_t length = 0;
        const storage::Status status = connection->block().type == keyspace::ValueType::kZSet
                                           ? keyspace_->ZSetCard(key.first, key.second, &length)
                                           : keyspace_->ListLength(key.first, key.second, &length);
        if (!status.ok() || length == 0) break;
      }
      Unblock(connection);
      // Runs its command again, which pops now (or blocks again, at the back).
      if (!connection->closing()) connection->Unpark();
    }
  }
  serving_ready_ = false;
}

void Server::OnBlockTimer(uv_timer_t* handle) {
  static_cast<Server*>(handle->data)->TimeOutBlocked();
}

void Server::TimeOutBlocked() {
  const uint64_t now = NowMs();
  std::vector<Connection*> due;
  for (Connection* connection : blocked_) {
    const uint64_t deadline = connection->block().deadline_ms;
    if (deadline != 0 && deadline <= now) due.push_back(connection);
  }
  for (Connection* connection : due) {
    Unblock(connection);
    if (connection->closing()) continue;
    connection->block().timed_out = true;
    connection->Unpark();
  }
  if (!ready_keys_.empty() && !serving_ready_) ServeReadyKeys();
}

void Server::RetryParked() {
  std::vector<Connection*> retry;
  retry.swap(parked_);
  for (Connection* connection : retry) {
    // Unpark runs the parked command again, which may park the connection again.
    if (!connection->closing()) connection->Unpark();
  }
  if (parked_.empty()) uv_timer_stop(&park_timer_);
}

Server::Admission Server::AdmitWrite(Connection& connection,
                                     const std::vector<std::string_view>& keys,
                                     std::string* error) {
  storage::WriteRoom room = storage::WriteRoom::kOpen;
  int shard = 0;
  storage::Status status = db_->CheckWriteRoom(keys, &room, &shard);
  if (!status.ok()) {
    connection.stalled_since_us_ = 0;
    connection.slowdown_served_ = false;
    *error = "MISCONF Errors writing tables to disk: " + status.message();
    return Admission::kFail;
  }
  const bool slowdown_due = room == storage::WriteRoom::kSlowed && !connection.slowdown_served_;
  if (room == storage::WriteRoom::kStopped || slowdown_due) {
    if (connection.stalled_since_us_ == 0) {
      connection.stalled_since_us_ = SteadyMicros();
      connection.stall_room_ = room;
      connection.stall_shard_ = shard;
    } else if (room == storage::WriteRoom::kStopped) {
      connection.stall_room_ = room;
    }
    if (slowdown_due) connection.slowdown_served_ = true;
    connection.Park();
    if (parked_.empty() && park_timer_.loop == &loop_) {
      uv_timer_start(&park_timer_, OnParkTimer, 1, 1);
    }
    parked_.push_back(&connection);
    return Admission::kParked;
  }
  if (connection.stalled_since_us_ != 0) {
    const uint64_t stalled = SteadyMicros() - connection.stalled_since_us_;
    db_->RecordStall(connection.stall_shard_, connection.stall_room_, stalled);
    NoteLatency("write-stall", stalled);
    connection.stalled_since_us_ = 0;
  }
  connection.slowdown_served_ = false;
  return Admission::kRun;
}

void Server::Cron() {
  uint64_t now = NowMs();
  stats_.ops_series.Sample(stats_.total_commands_processed, now);
  stats_.input_series.Sample(stats_.total_net_input_bytes, now);
  stats_.output_series.Sample(stats_.total_net_output_bytes, now);
  stats_.instantaneous_ops_per_sec = static_cast<uint64_t>(stats_.ops_series.Mean());
  WatchStorageLatency();
  // Active expiry (Keyspace::ExpireCycle).
  if (!shutting_down_) {
    uint64_t expired = 0;
    const uint64_t started = SteadyMicros();
    storage::Status expiry = keyspace_->expiry_paused() || !active_expire_
                                 ? storage::Status::Ok()
                                 : keyspace_->ExpireCycle(kExpireCycleBudgetMicros, &expired);
    NoteLatency("expire-cycle", SteadyMicros() - started);
    if (!expiry.ok()) spdlog::warn("active expiry stopped: {}", expiry.ToString());
  }
  std::vector<Connection*> to_close;
  replication_.Cron(now);
  replica_link_.Cron(now);
  stats_.used_memory_peak = std::max(stats_.used_memory_peak, Memory(db_->Stats()).used());
  for (auto& [id, connection] : clients_) {
    if (config_.timeout > 0 && !connection->is_replica() && connection->output_bytes() == 0 &&
        now - connection->last_interaction_ms() > static_cast<uint64_t>(config_.timeout) * 1000) {
      to_close.push_back(connection);
    } else if (connection->soft_limit_since_ms != 0) {
      ScheduleFlush(connection);  // re-checks the soft output limit
    }
  }
  for (Connection* connection : to_close) {
    spdlog::debug("Closing idle client id={}", connection->id());
    connection->Close();
  }
}

void Server::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Server*>(handle->data);
  spdlog::warn("Received {} scheduling shutdown...", signum == SIGINT ? "SIGINT" : "SIGTERM");
  if (!self->Shutdown("signal")) {
    // As Redis does when its final save fails: stay up rather than drop unsynced data.
    spdlog::error(
        "SIGTERM received but errors trying to shut down the server, check the logs "
        "for more information");
  }
}

bool Server::Shutdown(std::string_view reason) {
  spdlog::info("User requested shutdown ({})...", reason);
  storage::Status status = db_->Commit();
  if (status.ok()) status = db_->SyncAll();
  if (!status.ok()) {
    spdlog::error("Error syncing the WAL on shutdown: {}", status.ToString());
    return false;
  }
  // Replies already produced were acknowledged by the commit above: send what can be sent.
  for (Connection* connection : uncommitted_) connection->MarkCommitted();
  uncommitted_.clear();
  for (auto& [id, connection] : clients_) connection->Flush();
  shutting_down_ = true;
  CloseHandles();
  spdlog::info("Shale is now ready to exit, bye bye...");
  return true;
}

bool Server::OnConfigChanged(const std::vector<std::string>& names, std::string* error,
                             std::string* failed) {
  if (config_.tls_port != 0) {
    auto tls_setting = std::find_if(names.begin(), names.end(), IsTlsContextSetting);
    if (tls_setting != names.end()) {
      std::string reason;
      std::unique_ptr<TlsContext> context = TlsContext::Create(config_, &reason);
      if (context == nullptr) {
        spdlog::warn("{}", reason);
        spdlog::warn(
            "Failed applying new configuration. Possibly related to new {} setting. Restoring "
            "previous settings.",
            *tls_setting);
        *error = "Unable to update TLS configuration. Check server logs.";
        *failed = *tls_setting;
        return false;
      }
      tls_context_ = std::move(context);
    }
  }
  for (const std::string& name : names) {
    if (name == "appendfsync") {
      db_->set_fsync_policy(
          config_.appendfsync == AppendFsync::kAlways     ? storage::FsyncPolicy::kAlways
          : config_.appendfsync == AppendFsync::kEverySec ? storage::FsyncPolicy::kEverySec
                                                          : storage::FsyncPolicy::kNo);
    } else if (name == "block-cache-size") {
      storage::Status status =
          db_->SetBlockCacheSize(static_cast<size_t>(config_.block_cache_size));
      if (!status.ok()) spdlog::warn("Resizing the block cache: {}", status.ToString());
    } else if (name == "compaction-throughput") {
      storage::Status status =
          db_->SetCompactionThroughput(static_cast<uint64_t>(config_.compaction_throughput) << 20);
      if (!status.ok()) spdlog::warn("Changing compaction-throughput: {}", status.ToString());
    } else if (name == "hz") {
      uv_timer_start(&cron_, OnCron, CronIntervalMs(config_.hz), CronIntervalMs(config_.hz));
    } else if (name == "slowlog-max-len") {
      slowlog_.Trim(static_cast<size_t>(config_.slowlog_max_len));
    } else if (name == "requirepass") {
      acl_.SetDefaultPassword(config_.requirepass);
    } else if (name == "loglevel") {
      ApplyLogLevel(config_.loglevel);
    } else if (name == "hash-max-listpack-entries" || name == "hash-max-listpack-value" ||
               name == "set-max-intset-entries" || name == "zset-max-listpack-entries" ||
               name == "zset-max-listpack-value") {
      ApplyEncodingLimits();
    }
  }
  return true;
}

Server::MemoryUsage Server::Memory(const storage::DbStats& stats) const {
  MemoryUsage usage;
  for (const auto& shard : stats.shards) {
    usage.memtables += shard.memtable_bytes + shard.immutable_memtable_bytes;
    usage.wal_buffers += shard.wal_buffer_bytes;
  }
  for (const auto& [id, c] : clients_) {
    usage.query_buffers += c->query_buffer_capacity();
    usage.output_buffers += c->output_bytes();
  }
  usage.block_cache = stats.block_cache_usage;
  return usage;
}

bool Server::OverMaxMemory() const {
  if (config_.maxmemory <= 0) return false;
  return Memory(db_->Stats()).counted_for_maxmemory() > static_cast<uint64_t>(config_.maxmemory);
}

void Server::ApplyEncodingLimits() {
  keyspace::EncodingLimits limits;
  limits.hash_entries = config_.hash_max_listpack_entries;
  limits.hash_value = config_.hash_max_listpack_value;
  limits.set_intset_entries = config_.set_max_intset_entries;
  limits.zset_entries = config_.zset_max_listpack_entries;
  limits.zset_value = config_.zset_max_listpack_value;
  keyspace_->set_encoding_limits(limits);
}

bool Server::Dispatch(Connection& connection, const std::vector<std::string_view>& args) {
  protocol::ReplyWriter& reply = connection.reply();
  Transaction& transaction = connection.transaction();
  const CommandSpec* spec = commands_.Find(args[0]);
  // Redis's rejectCommand: a command refused before it runs dooms the open transaction, and a
  // refused EXEC ends it.
  auto reject = [&](std::string_view error) {
    stats_.total_commands_processed++;
    if (spec != nullptr && IsExec(*spec)) {
      transaction.Discard(watches_);
      reply.Error(ExecAbortError(error));
    } else {
      transaction.Flag();
      reply.Error(error);
    }
    // Redis's rejected_calls: a known command refused before it ran.
    if (spec != nullptr) {
      command_stats_.RecordRejected(command_stats_.SlotOf(*spec, args.size(), args.data()));
    }
    errors_counted_ = stats_.total_error_replies;
    return true;
  };
  if (connection.block().unblock_error) {
    // CLIENT UNBLOCK ... ERROR: the blocked command ends with this error instead of running.
    connection.block().unblock_error = false;
    connection.block().stream_ids.clear();  // a stream read's next run starts afresh
    stats_.total_commands_processed++;
    reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    errors_counted_ = stats_.total_error_replies;
    return true;
  }
  // Redis's order: existence, arity, authentication, then the checks of the server's state.
  if (spec == nullptr) return reject(UnknownCommandError(args));
  if (!spec->ArityMatches(args.size())) return reject(WrongArityError(spec->name));
  if (connection.auth_required() && (spec->flags & kCmdNoAuth) == 0) {
    return reject("NOAUTH Authentication required.");
  }
  // ACL; nothing to check for a user allowed everything (the default user unless restricted).
  if (!connection.user().unrestricted()) {
    std::string denial = CheckPermissions(*this, connection, *spec, args);
    if (!denial.empty()) return reject(denial);
  }
  if (transaction.in_multi() && (spec->flags & kCmdNoMulti) != 0) {
    return reject("ERR Command not allowed inside a transaction");
  }
  // EXEC writes whatever its queued commands write.
  const bool exec = IsExec(*spec);
  const bool writes = exec ? transaction.has_writes() : (spec->flags & kCmdWrite) != 0;
  // Redis's maxmemory check (noeviction): refused are the commands that may use more memory,
  // an EXEC of any of them, and inside MULTI everything but EXEC, DISCARD, QUIT and RESET,
  // since queueing itself takes memory.
  if (config_.maxmemory > 0) {
    const bool denyoom = exec ? transaction.has_denyoom() : (spec->flags & kCmdDenyOom) != 0;
    const bool queueing = transaction.in_multi() && !exec && spec->name != "discard" &&
                          spec->name != "quit" && spec->name != "reset";
    if ((denyoom || queueing) && OverMaxMemory()) {
      return reject("OOM command not allowed when used memory > 'maxmemory'.");
    }
  }
  if (writes) {
    std::string refusal = WriteRefusal();
    if (!refusal.empty()) return reject(refusal);
  }
  // A replica whose link is down, with replica-serve-stale-data no: only the commands flagged
  // stale run (an EXEC of anything else is refused).
  if (StaleReplica() && (exec ? transaction.has_non_stale() : (spec->flags & kCmdStale) == 0)) {
    return reject(kMasterDownError);
  }
  // RESP2 has no push type: a subscribed client reads only pub/sub messages, so it may send
  // only the commands whose replies a pub/sub reader understands (RESP3 has no such limit).
  if (connection.subscribed() && connection.protocol() == 2 && !AllowedWhileSubscribed(*spec)) {
    return reject("ERR Can't execute '" +
                  command_stats_.names()[command_stats_.SlotOf(*spec, args.size(), args.data())] +
                  "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in "
                  "this context");
  }
  if (scripting_.busy() && &connection != scripting_.caller()) {
    if (!AllowedWhileBusy(*spec, args)) {
      return reject(scripting_.running_function() ? kBusyFunctionError : kBusyError);
    }
    if (spec->name == "shutdown") {
      // Only SHUTDOWN NOSAVE, which ends the process at once: the script's writes were never
      // logged (a script is one atomic group, logged when it ends) and no reply has
      // acknowledged anything this loop iteration wrote, so what is lost is what a crash would
      // lose.
      bool nosave = false;
      for (size_t i = 1; i < args.size(); ++i) {
        nosave = nosave || EqualsIgnoreCase(args[i], "nosave");
      }
      if (!nosave) return reject(scripting_.running_function() ? kBusyFunctionError : kBusyError);
      spdlog::warn("SHUTDOWN NOSAVE while a script is busy: exiting, the script's writes are lost");
      spdlog::shutdown();
      std::_Exit(0);
    }
  }
  if (pause_end_ms_ != 0 && PausedFor(connection, *spec, IsExec(*spec))) {
    connection.Park();
    postponed_.push_back(&connection);
    return false;
  }
  if (transaction.in_multi() && (spec->flags & kCmdNotQueued) == 0) {
    transaction.Queue(*spec, args);
    connection.last_command_ = spec->name;
    reply.SimpleString("QUEUED");
    return true;
  }
  // A doomed EXEC writes nothing: it need not wait for room.
  if (writes && !(exec && transaction.doomed())) {
    std::string error;
    switch (AdmitWrite(connection, exec ? transaction.WriteKeys() : spec->KeysOf(args), &error)) {
      case Admission::kRun:
        break;
      case Admission::kParked:
        return false;
      case Admission::kFail:
        return reject(error);
    }
    connection.NoteWrite();
  }
  stats_.total_commands_processed++;
  connection.last_command_ = spec->name;
  Call(connection, *spec, args);
  if (connection.block().requested) {
    // Nothing to pop: the command waits, unconsumed, and runs again when woken.
    connection.block().requested = false;
    stats_.total_commands_processed--;
    connection.Block();
    return false;
  }
  if (!serving_ready_ && !ready_keys_.empty()) ServeReadyKeys();
  replication_.WakeWaiters();
  return true;
}

void Server::Call(Connection& connection, const CommandSpec& spec,
                  const std::vector<std::string_view>& args) {
  CommandContext ctx{*this, connection, *db_, *keyspace_, args, connection.reply()};
  const size_t slot = command_stats_.SlotOf(spec, args.size(), args.data());
  // "new" events: the keys of a write that were not live before it are checked after it (or
  // at the key's first event, which the "new" event then precedes, as in Redis).
  std::vector<std::pair<int, std::string>> outer_new_keys;
  outer_new_keys.swap(maybe_new_keys_);
  if ((spec.flags & kCmdWrite) != 0 && spec.HasKeys() && NotifyEnabled(*this, kNotifyNew)) {
    for (std::string_view key : spec.KeysOf(args)) {
      std::pair<int, std::string> id{connection.db(), std::string(key)};
      keyspace::KeyState state = keyspace::KeyState::kAbsent;
      if (!keyspace_->Peek(id.first, key, &state).ok() || state == keyspace::KeyState::kLive ||
          std::find(maybe_new_keys_.begin(), maybe_new_keys_.end(), id) != maybe_new_keys_.end()) {
        continue;
      }
      maybe_new_keys_.push_back(std::move(id));
    }
  }
  if (!monitors_.empty() && (spec.flags & kCmdAdmin) == 0) {
    FeedMonitors(connection, connection.db(), args);
  }
  const Replication::CallFrame outer_call = replication_.EnterCall();
  const uint64_t dirty_before = stats_.dirty;
  // LATENCY's cold-read: a read command that had to read blocks from table files.
  const bool watch_cold = config_.latency_monitor_threshold > 0 && (spec.flags & kCmdReadOnly) != 0;
  const uint64_t misses_before = watch_cold ? db_->BlockCacheMisses() : 0;
  const auto start = std::chrono::steady_clock::now();
  spec.handler(ctx);
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start)
          .count();
  // The keys created without an event of their own get their "new" event now.
  std::vector<std::pair<int, std::string>> unreported;
  unreported.swap(maybe_new_keys_);
  for (const auto& [db, key] : unreported) {
    keyspace::KeyState state = keyspace::KeyState::kAbsent;
    if (keyspace_->Peek(db, key, &state).ok() && state == keyspace::KeyState::kLive) {
      NotifyKeyspaceEvent(*this, kNotifyNew, "new", db, key);
    }
  }
  maybe_new_keys_.swap(outer_new_keys);
  replication_.LeaveCall(outer_call, (spec.flags & kCmdWrite) != 0, stats_.dirty != dirty_before,
                         connection.db(), args);
  const bool failed = stats_.total_error_replies > errors_counted_;
  errors_counted_ = stats_.total_error_replies;
  command_stats_.RecordCall(slot, static_cast<uint64_t>(nanos), failed);
  const auto micros = static_cast<uint64_t>(nanos) / 1000;
  // Redis's slowlog and latency checks after call(); EXEC itself is not logged (SKIP_SLOWLOG),
  // its commands are.
  if (config_.slowlog_log_slower_than >= 0 && !IsExec(spec) &&
      micros >= static_cast<uint64_t>(config_.slowlog_log_slower_than)) {
    slowlog_.Push(args, micros, static_cast<int64_t>(NowMs() / 1000), connection.peer_address(),
                  connection.name(), static_cast<size_t>(config_.slowlog_max_len));
  }
  if (config_.latency_monitor_threshold > 0) {
    NoteLatency((spec.flags & kCmdFast) != 0 ? "fast-command" : "command", micros);
    if (watch_cold && db_->BlockCacheMisses() != misses_before) NoteLatency("cold-read", micros);
  }
}

// LATENCY's memtable-flush, compaction and wal-fsync events: while the monitor is on, the cron
// notes the duration of the latest flush, compaction and WAL fsync of every shard that completed
// one since the previous tick (several in one tick count as the latest).
void Server::WatchStorageLatency() {
  if (config_.latency_monitor_threshold <= 0) {
    storage_latency_primed_ = false;
    return;
  }
  const storage::DbStats stats = db_->Stats();
  const size_t n = stats.shards.size();
  if (!storage_latency_primed_ || seen_flushes_.size() != n) {
    seen_flushes_.assign(n, 0);
    seen_compactions_.assign(n, 0);
    seen_fsyncs_.assign(n, 0);
    for (size_t i = 0; i < n; ++i) {
      seen_flushes_[i] = stats.shards[i].flushes;
      seen_compactions_[i] = stats.shards[i].compactions;
      seen_fsyncs_[i] = stats.shards[i].fsyncs;
    }
    storage_latency_primed_ = true;
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    const storage::ShardStats& shard = stats.shards[i];
    if (shard.flushes != seen_flushes_[i]) {
      NoteLatency("memtable-flush", shard.last_flush_micros);
      seen_flushes_[i] = shard.flushes;
    }
    if (shard.compactions != seen_compactions_[i]) {
      NoteLatency("compaction", shard.last_compaction_micros);
      seen_compactions_[i] = shard.compactions;
    }
    if (shard.fsyncs != seen_fsyncs_[i]) {
      NoteLatency("wal-fsync", shard.last_fsync_micros);
      seen_fsyncs_[i] = shard.fsyncs;
    }
  }
}

void Server::NoteLatency(std::string_view event, uint64_t micros) {
  const uint64_t threshold = static_cast<uint64_t>(config_.latency_monitor_threshold);
  if (threshold == 0 || micros / 1000 < threshold) return;
  latency_monitor_.Add(event, static_cast<int64_t>(NowMs() / 1000), micros / 1000);
}

void Server::BeforeKeyspaceEvent(int db, std::string_view key) {
  auto it = std::find_if(maybe_new_keys_.begin(), maybe_new_keys_.end(),
                         [&](const auto& id) { return id.first == db && id.second == key; });
  if (it == maybe_new_keys_.end()) return;
  // Not live yet (an event before the key is written, such as the "expired" of the old key a
  // write replaces): it may still be created by this command.
  keyspace::KeyState state = keyspace::KeyState::kAbsent;
  if (!keyspace_->Peek(db, key, &state).ok() || state != keyspace::KeyState::kLive) return;
  maybe_new_keys_.erase(it);
  NotifyKeyspaceEvent(*this, kNotifyNew, "new", db, key);
}

void Server::KeyMiss(int db, std::string_view key) {
  stats_.keyspace_misses++;
  NotifyKeyspaceEvent(*this, kNotifyKeyMiss, "keymiss", db, key);
}

void Server::OnErrorReply(std::string_view message) {
  stats_.total_error_replies++;
  command_stats_.RecordError(message);
}

storage::Status Server::Save() {
  storage::Status status = db_->SyncAll();
  if (status.ok()) status = db_->FlushMemTables();
  if (status.ok()) status = db_->WaitForFlushes();
  if (!status.ok()) {
    spdlog::warn("SAVE failed: {}", status.ToString());
    return status;
  }
  stats_.dirty = 0;
  stats_.saves++;
  last_save_s_ = NowMs() / 1000;
  spdlog::info("DB saved on disk");
  return status;
}

storage::Status Server::ReplaceLibraries(const std::vector<std::string>& codes) {
  std::vector<std::string> old;
  for (const auto& [name, library] : scripting_.libraries()) old.push_back(name);
  scripting_.FlushLibraries();
  storage::Status status = keyspace_->DeleteLibraries(old);
  if (!status.ok()) return status;
  for (const std::string& code : codes) {
    std::string name;
    std::string error;
    if (!scripting_.LoadLibrary(code, /*replace=*/true, &name, &error)) {
      spdlog::warn("replication: the primary's function library does not load here: {}", error);
      continue;
    }
    status = keyspace_->PutLibrary(name, code);
    if (!status.ok()) return status;
  }
  return storage::Status::Ok();
}

storage::Status Server::ReloadEngine() {
  storage::Status status = Save();
  if (!status.ok()) return status;
  const keyspace::KeyspaceStats keyspace_stats = keyspace_->stats();
  const bool expiry_paused = keyspace_->expiry_paused();
  keyspace_.reset();
  db_.reset();
  std::unique_ptr<storage::Db> db;
  status = storage::Db::Open(EngineOptions(config_), &db);
  std::unique_ptr<keyspace::Keyspace> keyspace;
  if (status.ok()) {
    status = keyspace::Keyspace::Open(db.get(), static_cast<int>(config_.databases), &keyspace);
  }
  if (!status.ok()) {
    spdlog::critical("DEBUG RELOAD: cannot open the data directory '{}' again: {}", config_.dir,
                     status.ToString());
    spdlog::shutdown();
    std::_Exit(1);
  }
  db_ = std::move(db);
  keyspace_ = std::move(keyspace);
  keyspace_->AdoptStats(keyspace_stats);
  keyspace_->set_expiry_paused(expiry_paused);
  keyspace_->set_observer(&keyspace_observer_);
  ApplyEncodingLimits();
  spdlog::info("DB reloaded by DEBUG RELOAD");
  return storage::Status::Ok();
}

void Server::ResetStats() {
  const uint64_t dirty = stats_.dirty;  // Redis's RESETSTAT keeps server.dirty (not rdb_saves)
  stats_ = ServerStats{};
  stats_.dirty = dirty;
  errors_counted_ = 0;
  command_stats_.Reset();
  stats_.expired_keys_base = keyspace_->stats().expired_keys;
}

double ServerStats::Series::Mean() const {
  double sum = 0;
  for (double r : rates) sum += r;
  return sum / kSamples;
}

// Redis's trackInstantaneousMetric: one sample per 100 ms of cron.
void ServerStats::Series::Sample(uint64_t total, uint64_t now_ms) {
  if (last_ms != 0 && now_ms - last_ms < 100) return;
  if (last_ms != 0) {
    const double elapsed = static_cast<double>(now_ms - last_ms);
    rates[static_cast<size_t>(index)] = static_cast<double>(total - last_total) * 1000 / elapsed;
    index = (index + 1) % kSamples;
  }
  last_total = total;
  last_ms = now_ms;
}

void Server::RunTransaction(Connection& connection) {
  Transaction& transaction = connection.transaction();
  // The transaction's own writes must not count as changes to the keys it watched.
  watches_.UnwatchAll(transaction.watcher());
  connection.reply().ArrayHeader(transaction.commands().size());
  // Every write of the EXEC is one atomic group for the engine: all of it or none of it after a
  // crash, across shards.
  keyspace_->BeginAtomic();
  for (const QueuedCommand& command : transaction.commands()) {
    // Not checked again: arity and authentication were checked when the command was queued,
    // and Dispatch admitted the writes of all of them before EXEC began.
    const std::vector<std::string_view> args = command.Args();
    stats_.total_commands_processed++;
    if (!connection.user().unrestricted()) {
      // The user's rules may have changed since the command was queued, as Redis checks again.
      std::string denial = CheckQueuedPermissions(*this, connection, command.spec(), args);
      if (!denial.empty()) {
        connection.reply().Error(denial);
        continue;
      }
    }
    Call(connection, command.spec(), args);
  }
  storage::Status status = keyspace_->EndAtomic();
  if (!status.ok()) spdlog::error("EXEC: logging its writes failed: {}", status.ToString());
  transaction.Discard(watches_);
}

// --- scripting ---

std::string Server::RunFromScript(Scripting::Run& run, const std::vector<std::string_view>& args,
                                  std::string* output) {
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr) return "Unknown Redis command called from script";
  if (!spec->ArityMatches(args.size())) {
    return "Wrong number of args calling Redis command from script";
  }
  if ((spec->flags & kCmdNoScript) != 0) return "This Redis command is not allowed from script";
  Connection& client = *run.client;
  if (!client.user().unrestricted()) {
    std::string denial = CheckPermissions(*this, client, *spec, args);
    if (!denial.empty()) {
      constexpr std::string_view kNoPerm = "NOPERM ";
      if (denial.compare(0, kNoPerm.size(), kNoPerm) == 0) denial.erase(0, kNoPerm.size());
      return "ACL failure in script: " + denial;
    }
  }
  const bool writes = (spec->flags & kCmdWrite) != 0;
  if (writes) {
    if (run.read_only) return "Write commands are not allowed from read-only scripts.";
    if (!run.declared) {
      // As "-CODE message", so the script's error keeps the code.
      std::string refusal = WriteRefusal();
      if (!refusal.empty()) return "-" + refusal;
    }
  }
  // Until a script has written, a command that may take memory is refused over maxmemory (a
  // script that wrote must be able to finish).
  if (!run.declared && !run.wrote && config_.maxmemory > 0 && (spec->flags & kCmdDenyOom) != 0 &&
      OverMaxMemory()) {
    return "-OOM command not allowed when used memory > 'maxmemory'.";
  }
  if (!run.declared && StaleReplica() && (spec->flags & kCmdStale) == 0) {
    return "-" + std::string(kMasterDownError);
  }
  const size_t propagated_before = replication_.pending_size();
  const uint64_t dirty_before = stats_.dirty;
  stats_.total_commands_processed++;
  Call(client, *spec, args);
  if (client.block().requested) {  // cannot block in a script: AnswerNothingNow answered
    client.block().requested = false;
    if (client.block().active) Unblock(&client);
  }
  if (writes && stats_.dirty != dirty_before) run.wrote = true;
  if (!run.propagate) replication_.DropPendingFrom(propagated_before);
  *output = client.TakeOutput();
  return std::string();
}

bool Server::ScriptMayRun(Scripting::Run& run, const std::vector<std::string_view>& args,
                          int* allowed) {
  const CommandSpec* spec = commands_.Find(args[0]);
  if (spec == nullptr) return false;
  *allowed = run.client->user().unrestricted() ||
             CheckPermissions(*this, *run.client, *spec, args).empty();
  return true;
}

std::string Server::ScriptRefusal(bool read_only, bool allow_oom, bool allow_stale) {
  if (!read_only) {
    std::string refusal = WriteRefusal();
    if (!refusal.empty()) return refusal;
    if (!allow_oom && config_.maxmemory > 0 && OverMaxMemory()) {
      return "OOM command not allowed when used memory > 'maxmemory'.";
    }
  }
  if (!allow_stale && StaleReplica()) return std::string(kMasterDownError);
  return std::string();
}

std::string Server::WriteRefusal() {
  storage::Status state = db_->WriteState();
  if (!state.ok()) return "MISCONF Errors writing to the WAL: " + state.message();
  if (replica_link_.following() && config_.replica_read_only) {
    return "READONLY You can't write against a read only replica.";
  }
  // Redis's min-replicas-to-write: enough replicas acknowledged within the lag.
  if (config_.min_replicas_to_write > 0 && config_.min_replicas_max_lag > 0 &&
      replication_.GoodReplicas(NowMs(), static_cast<uint64_t>(config_.min_replicas_max_lag)) <
          static_cast<size_t>(config_.min_replicas_to_write)) {
    return "NOREPLICAS Not enough good replicas to write.";
  }
  return std::string();
}

bool Server::StaleReplica() const {
  return replica_link_.following() && !replica_link_.link_up() && !config_.replica_serve_stale_data;
}

void Server::ServeWhileBusy(Connection* caller) {
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  for (const auto& [id, connection] : clients_) {
    if (connection == caller || connection->closing() || connection->is_replica()) continue;
    const int fd = connection->fd();
    if (fd < 0) continue;
    fds.push_back(pollfd{fd, POLLIN, 0});
    ids.push_back(id);
  }
  if (!fds.empty() && poll(fds.data(), fds.size(), 0) > 0) {
    for (size_t i = 0; i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      auto it = clients_.find(ids[i]);
      if (it != clients_.end()) it->second->ReadWhileBusy();
    }
  }
  // Replies that acknowledge no write of this iteration may go now (the WAL cannot be
  // committed while the script's atomic group is open).
  for (uint64_t id : ids) {
    auto it = clients_.find(id);
    if (it == clients_.end()) continue;
    Connection* connection = it->second;
    if (!connection->closing() && !connection->has_uncommitted_write()) connection->Flush();
  }
}

// --- CLIENT PAUSE, MONITOR, CLIENT UNBLOCK ---

namespace {

// Redis's may-replicate commands beyond the writes: what CLIENT PAUSE WRITE also holds back.
bool MayReplicate(const CommandSpec& spec) {
  static constexpr std::string_view kNames[] = {"eval",   "evalsha",  "publish", "spublish",
                                                "script", "function", "pfcount"};
  return std::find(std::begin(kNames), std::end(kNames), spec.name) != std::end(kNames);
}

}  // namespace

bool Server::PausedFor(const Connection& connection, const CommandSpec& spec, bool exec) {
  if (connection.is_replica() || connection.script_client()) return false;
  if (NowMs() >= pause_end_ms_) return false;  // over: the pause timer runs the waiting ones
  if (pause_all_) return true;
  if (exec) {
    const Transaction& transaction = connection.transaction();
    if (transaction.has_writes()) return true;
    for (const QueuedCommand& command : transaction.commands()) {
      if (MayReplicate(command.spec())) return true;
    }
    return false;
  }
  return (spec.flags & kCmdWrite) != 0 || MayReplicate(spec);
}

void Server::PauseClients(uint64_t end_ms, bool all) {
  // A pause for everything stays one until it ends; a longer one extends it.
  pause_all_ = (pause_end_ms_ != 0 && pause_all_) || all;
  pause_end_ms_ = std::max(pause_end_ms_, end_ms);
  keyspace_->set_expiry_paused(true);
  if (pause_timer_.loop == &loop_) {
    const uint64_t now = NowMs();
    uv_timer_start(&pause_timer_, OnPauseTimer, pause_end_ms_ > now ? pause_end_ms_ - now : 0, 0);
  }
}

void Server::OnPauseTimer(uv_timer_t* handle) {
  auto* server = static_cast<Server*>(handle->data);
  const uint64_t now = server->NowMs();
  if (server->pause_end_ms_ == 0) return;
  if (now >= server->pause_end_ms_) {
    server->UnpauseClients();
  } else {
    uv_timer_start(handle, OnPauseTimer, server->pause_end_ms_ - now, 0);
  }
}

void Server::UnpauseClients() {
  pause_end_ms_ = 0;
  pause_all_ = false;
  keyspace_->set_expiry_paused(false);
  if (pause_timer_.loop == &loop_) uv_timer_stop(&pause_timer_);
  std::vector<Connection*> waiting;
  waiting.swap(postponed_);
  for (Connection* connection : waiting) {
    // In the order they arrived; a command may pause again only if a new pause began.
    if (!connection->closing()) connection->Unpark();
  }
}

void Server::AddMonitor(Connection* connection) {
  if (std::find(monitors_.begin(), monitors_.end(), connection) == monitors_.end()) {
    monitors_.push_back(connection);
  }
}

namespace {

// Redis's sdscatrepr: the argument in double quotes with C escapes.
void AppendQuoted(std::string* out, std::string_view arg) {
  out->push_back('"');
  for (unsigned char c : arg) {
    switch (c) {
      case '\\':
      case '"':
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\a':
        out->append("\\a");
        break;
      case '\b':
        out->append("\\b");
        break;
      default:
        if (std::isprint(c)) {
          out->push_back(static_cast<char>(c));
        } else {
          static constexpr char kHex[] = "0123456789abcdef";
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        }
    }
  }
  out->push_back('"');
}

}  // namespace

void Server::FeedMonitors(const Connection& connection, int db,
                          const std::vector<std::string_view>& args) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "+%lld.%06lld ", static_cast<long long>(micros / 1000000),
                static_cast<long long>(micros % 1000000));
  std::string line = stamp;
  line += "[" + std::to_string(db) + " ";
  line += connection.script_client() ? std::string("lua") : connection.peer_address();
  line += "]";
  // Passwords are not shown (Redis's redacted arguments): AUTH's, and HELLO's after AUTH.
  size_t redact_from = args.size();
  size_t redact_to = args.size();
  if (EqualsIgnoreCase(args[0], "auth")) {
    redact_from = 1;
  } else if (EqualsIgnoreCase(args[0], "hello")) {
    for (size_t i = 2; i < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "auth")) {
        redact_from = i + 1;
        redact_to = std::min(args.size(), i + 3);
        break;
      }
    }
  }
  for (size_t i = 0; i < args.size(); ++i) {
    line.push_back(' ');
    if (i >= redact_from && i < redact_to) {
      line += "\"(redacted)\"";
    } else {
      AppendQuoted(&line, args[i]);
    }
  }
  line += "\r\n";
  for (Connection* monitor : monitors_) {
    if (monitor->closing()) continue;
    monitor->AppendRaw(line);
    ScheduleFlush(monitor);
  }
}

bool Server::UnblockClient(uint64_t id, bool error) {
  auto it = clients_.find(id);
  if (it == clients_.end()) return false;
  Connection* connection = it->second;
  if (!connection->block().active) return false;
  Unblock(connection);
  replication_.StopWaiting(connection);
  if (error) {
    connection->block().unblock_error = true;
  } else {
    connection->block().timed_out = true;
  }
  if (!connection->closing()) connection->Unpark();
  return true;
}

}  // namespace shale::server
