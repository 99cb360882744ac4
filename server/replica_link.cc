#include "server/replica_link.h"

#include <netdb.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "protocol/reply_writer.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/rdb.h"
#include "server/server.h"

namespace shale::server {

struct ReplicaLink::Socket {
  uv_tcp_t tcp;
  uv_connect_t connect;
  ReplicaLink* owner = nullptr;  // null once the link let go of it
  std::string read_buffer;
};

namespace {

constexpr uint64_t kRetryMs = 1000;
constexpr uint64_t kAckPeriodMs = 1000;
constexpr size_t kReadChunk = 64 * 1024;

struct WriteRequest {
  uv_write_t req;
  std::string data;
};

}  // namespace

ReplicaLink::ReplicaLink(Server* server) : server_(server) {}

ReplicaLink::~ReplicaLink() { Close(); }

const char* ReplicaLink::state_name() const {
  switch (state_) {
    case State::kConnect:
      return "connect";
    case State::kConnecting:
      return "connecting";
    case State::kHandshake:
      return "handshake";
    case State::kTransfer:
      return "sync";
    case State::kConnected:
      return "connected";
  }
  return "connect";
}

void ReplicaLink::Follow(std::string host, int port) {
  Close();
  following_ = true;
  host_ = std::move(host);
  port_ = port;
  state_ = State::kConnect;
  last_attempt_ms_ = 0;
  link_down_since_ms_ = server_->NowMs();
  if (client_ == nullptr) client_ = std::make_unique<Connection>(server_, 0);
  client_->set_authenticated(true);
  spdlog::info("following primary {}:{}", host_, port_);
  Connect();
}

void ReplicaLink::Stop() {
  if (!following_) return;
  Close();
  following_ = false;
  spdlog::info("no longer following {}:{}; serving as a primary", host_, port_);
  host_.clear();
  port_ = 0;
  state_ = State::kConnect;
}

void ReplicaLink::Close() {
  if (socket_ != nullptr) {
    Socket* socket = socket_;
    socket_ = nullptr;
    socket->owner = nullptr;
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&socket->tcp))) {
      uv_close(reinterpret_cast<uv_handle_t*>(&socket->tcp),
               [](uv_handle_t* handle) { delete static_cast<Socket*>(handle->data); });
    }
  }
  if (state_ == State::kConnected) link_down_since_ms_ = server_->NowMs();
  if (state_ == State::kTransfer) primary_replid_.clear();  // a half-loaded snapshot
  state_ = State::kConnect;
  input_.clear();
  parser_.Reset();
  in_multi_ = false;
  queued_.clear();
}

void ReplicaLink::Fail(std::string why) {
  spdlog::warn("replication from {}:{}: {}", host_, port_, why);
  last_error_ = std::move(why);
  Close();
}

void ReplicaLink::Connect() {
  last_attempt_ms_ = server_->NowMs();
  state_ = State::kConnecting;
  // Resolved on the loop, as a Redis replica resolves its primary (usually a literal address or
  // a name in /etc/hosts).
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string port = std::to_string(port_);
  if (getaddrinfo(host_.c_str(), port.c_str(), &hints, &result) != 0 || result == nullptr) {
    return Fail("cannot resolve " + host_);
  }
  auto* socket = new Socket;  // owned by libuv from uv_tcp_init on: freed in the close callback
  socket->owner = this;
  socket->tcp.data = socket;
  socket->connect.data = socket;
  uv_tcp_init(server_->loop(), &socket->tcp);
  socket_ = socket;
  const int rc = uv_tcp_connect(&socket->connect, &socket->tcp, result->ai_addr, OnConnected);
  freeaddrinfo(result);
  if (rc != 0) Fail(std::string("connecting: ") + uv_strerror(rc));
}

void ReplicaLink::OnConnected(uv_connect_t* request, int status) {
  auto* socket = static_cast<Socket*>(request->data);
  ReplicaLink* self = socket->owner;
  if (self == nullptr) return;  // let go of while connecting
  if (status < 0) return self->Fail(std::string("connecting: ") + uv_strerror(status));
  uv_tcp_nodelay(&socket->tcp, 1);
  uv_read_start(reinterpret_cast<uv_stream_t*>(&socket->tcp), OnAlloc, OnRead);
  self->state_ = State::kHandshake;
  self->handshake_step_ = 0;
  self->last_io_ms_ = self->server_->NowMs();
  self->SendCommand({"PING"});
}

void ReplicaLink::OnAlloc(uv_handle_t* handle, size_t /*suggested*/, uv_buf_t* buf) {
  auto* socket = static_cast<Socket*>(handle->data);
  socket->read_buffer.resize(kReadChunk);
  *buf = uv_buf_init(socket->read_buffer.data(), static_cast<unsigned>(kReadChunk));
}

void ReplicaLink::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* socket = static_cast<Socket*>(stream->data);
  ReplicaLink* self = socket->owner;
  if (self == nullptr || nread == 0) return;
  if (nread < 0) {
    return self->Fail(nread == UV_EOF ? std::string("the primary closed the link")
                                      : std::string("reading: ") + uv_strerror(nread));
  }
  self->input_.append(buf->base, static_cast<size_t>(nread));
  self->input_bytes_ += static_cast<uint64_t>(nread);
  self->last_io_ms_ = self->server_->NowMs();
  self->OnData();
}

void ReplicaLink::Send(std::string_view bytes) {
  if (socket_ == nullptr) return;
  uv_buf_t buf = uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
  int written = uv_try_write(reinterpret_cast<uv_stream_t*>(&socket_->tcp), &buf, 1);
  if (written == UV_EAGAIN || written == UV_ENOSYS) written = 0;
  if (written < 0) return Fail(std::string("writing: ") + uv_strerror(written));
  if (static_cast<size_t>(written) == bytes.size()) return;
  auto* request = new WriteRequest;  // owned by libuv until the callback
  request->data.assign(bytes.substr(static_cast<size_t>(written)));
  request->req.data = request;
  uv_buf_t rest = uv_buf_init(request->data.data(), static_cast<unsigned>(request->data.size()));
  const int rc =
      uv_write(&request->req, reinterpret_cast<uv_stream_t*>(&socket_->tcp), &rest, 1,
               [](uv_write_t* req, int) { delete static_cast<WriteRequest*>(req->data); });
  if (rc != 0) {
    delete request;
    Fail(std::string("writing: ") + uv_strerror(rc));
  }
}

void ReplicaLink::SendCommand(const std::vector<std::string_view>& argv) {
  std::string bytes;
  protocol::ReplyWriter writer(&bytes);
  writer.BulkArray(argv.data(), argv.size());
  Send(bytes);
}

void ReplicaLink::OnData() {
  while (socket_ != nullptr) {
    switch (state_) {
      case State::kHandshake:
        if (!HandleHandshakeLine()) return;
        continue;
      case State::kTransfer: {
        if (!transfer_length_known_) {
          const size_t eol = input_.find('\n');
          if (eol == std::string::npos) return;
          std::string line = input_.substr(0, eol);
          input_.erase(0, eol + 1);
          if (!line.empty() && line.back() == '\r') line.pop_back();
          if (line.empty()) continue;  // the primary's keep-alive while it makes the file
          if (line[0] != '$' || line.size() < 2 || line.compare(0, 5, "$EOF:") == 0) {
            return Fail("unexpected reply instead of the snapshot: " + line.substr(0, 64));
          }
          int64_t size = 0;
          if (!ParseInt64(std::string_view(line).substr(1), &size) || size < 0) {
            return Fail("bad snapshot length: " + line.substr(0, 64));
          }
          transfer_size_ = static_cast<uint64_t>(size);
          transfer_length_known_ = true;
          input_.reserve(transfer_size_);
          continue;
        }
        if (input_.size() < transfer_size_) return;
        std::string rest = input_.substr(transfer_size_);
        input_.resize(transfer_size_);
        LoadSnapshot(input_);
        if (socket_ == nullptr) return;  // the load failed
        input_ = std::move(rest);
        state_ = State::kConnected;
        continue;
      }
      case State::kConnected:
        ApplyStream();
        return;
      default:
        return;
    }
  }
}

// Steps: 0 PING's reply; 1 AUTH's (when masterauth is set); 2 and 3 the two REPLCONFs'; 4
// PSYNC's.
bool ReplicaLink::HandleHandshakeLine() {
  const size_t eol = input_.find("\r\n");
  if (eol == std::string::npos) return false;
  const std::string line = input_.substr(0, eol);
  input_.erase(0, eol + 2);
  if (line.empty()) return true;  // a keep-alive newline
  const Config& config = server_->config();
  switch (handshake_step_) {
    case 0: {
      // An error other than "a password is needed" ends the attempt (as Redis's replica).
      if (line[0] == '-' && line.compare(0, 7, "-NOAUTH") != 0 &&
          line.compare(0, 7, "-NOPERM") != 0 &&
          line.compare(0, 28, "-ERR operation not permitted") != 0) {
        Fail("PING answered " + line);
        return false;
      }
      if (!config.masterauth.empty()) {
        if (config.masteruser.empty()) {
          SendCommand({"AUTH", config.masterauth});
        } else {
          SendCommand({"AUTH", config.masteruser, config.masterauth});
        }
        handshake_step_ = 1;
      } else {
        handshake_step_ = 2;
      }
      const std::string port = std::to_string(server_->port());
      SendCommand({"REPLCONF", "listening-port", port});
      SendCommand({"REPLCONF", "capa", "psync2"});
      return true;
    }
    case 1:
      if (line[0] == '-') {
        Fail("AUTH answered " + line);
        return false;
      }
      handshake_step_ = 2;
      return true;
    case 2:
      handshake_step_ = 3;  // REPLCONF listening-port: an error is tolerated, as by Redis
      return true;
    case 3: {
      handshake_step_ = 4;
      const std::string offset = std::to_string(offset_ + 1);
      if (primary_replid_.empty()) {
        SendCommand({"PSYNC", "?", "-1"});
      } else {
        SendCommand({"PSYNC", primary_replid_, offset});
      }
      return true;
    }
    default:
      break;
  }
  // PSYNC's reply.
  if (line.compare(0, 12, "+FULLRESYNC ") == 0) {
    const size_t space = line.find(' ', 12);
    int64_t offset = 0;
    if (space == std::string::npos ||
        !ParseInt64(std::string_view(line).substr(space + 1), &offset) || offset < 0) {
      Fail("bad FULLRESYNC reply: " + line);
      return false;
    }
    primary_replid_ = line.substr(12, space - 12);
    offset_ = static_cast<uint64_t>(offset);
    StartTransfer();
    return true;
  }
  if (line.compare(0, 9, "+CONTINUE") == 0) {
    if (line.size() > 10) primary_replid_ = line.substr(10);
    ++partial_syncs_;
    spdlog::info("replication from {}:{} continues at offset {}", host_, port_, offset_ + 1);
    state_ = State::kConnected;
    last_ack_ms_ = 0;
    return true;
  }
  Fail("PSYNC answered " + line);
  return false;
}

void ReplicaLink::StartTransfer() {
  state_ = State::kTransfer;
  transfer_length_known_ = false;
  transfer_size_ = 0;
  spdlog::info("full resynchronisation from {}:{}: replication id {}, offset {}", host_, port_,
               primary_replid_, offset_);
}

void ReplicaLink::LoadSnapshot(std::string_view rdb) {
  keyspace::Keyspace& keyspace = server_->keyspace();
  // A replica of this server would now differ from it: it must resynchronise too.
  server_->replication().DisconnectReplicas();
  storage::Status status = keyspace.FlushAll();
  if (!status.ok()) return Fail("emptying the data before loading: " + status.ToString());
  uint64_t keys = 0;
  std::string error;
  std::vector<std::string> libraries;  // the primary's function libraries replace this server's
  const bool loaded = keyspace::ReadRdbFile(
      rdb,
      [&](int db, const std::string& key, const keyspace::DumpedValue& value, uint64_t expire_ms) {
        if (db < 0 || db >= keyspace.databases()) {
          error = "the snapshot has database " + std::to_string(db) + ", beyond databases";
          return false;
        }
        storage::Status s = keyspace.WriteValue(db, key, value, expire_ms);
        if (!s.ok()) {
          error = "storing '" + key + "': " + s.ToString();
          return false;
        }
        ++keys;
        return true;
      },
      &error,
      [&](std::string code) {
        libraries.push_back(std::move(code));
        return true;
      });
  if (!loaded) {
    primary_replid_.clear();
    return Fail("loading the snapshot: " + error);
  }
  status = server_->ReplaceLibraries(libraries);
  if (!status.ok()) return Fail("storing the primary's function libraries: " + status.ToString());
  ++full_syncs_;
  in_multi_ = false;
  queued_.clear();
  client_->set_db(0);
  last_ack_ms_ = 0;
  spdlog::info("loaded the primary's snapshot: {} keys, {} bytes", keys, rdb.size());
}

void ReplicaLink::ApplyStream() {
  size_t done = 0;
  while (socket_ != nullptr) {
    const std::string_view rest = std::string_view(input_).substr(done);
    const protocol::ParseStatus status = parser_.Parse(rest);
    if (status == protocol::ParseStatus::kError) {
      return Fail("protocol error in the stream: " + parser_.error());
    }
    if (status == protocol::ParseStatus::kNeedMore) {
      done += parser_.consumed();
      break;
    }
    const std::vector<std::string_view>& args = parser_.args();
    const size_t consumed = parser_.consumed();
    if (!args.empty()) {
      const std::string_view name = args[0];
      if (EqualsIgnoreCase(name, "replconf") && args.size() >= 2 &&
          EqualsIgnoreCase(args[1], "getack")) {
        Acknowledge();  // the offset before this command, as a Redis replica reports it
      } else if (EqualsIgnoreCase(name, "ping")) {
        // keep-alive: counts in the offset only
      } else if (EqualsIgnoreCase(name, "multi")) {
        in_multi_ = true;
        queued_.clear();
      } else if (EqualsIgnoreCase(name, "exec")) {
        std::vector<std::vector<std::string_view>> commands;
        for (const std::vector<std::string>& command : queued_) {
          commands.emplace_back(command.begin(), command.end());
        }
        server_->ApplyFromPrimary(*client_, commands, true);
        in_multi_ = false;
        queued_.clear();
      } else if (EqualsIgnoreCase(name, "discard")) {
        in_multi_ = false;
        queued_.clear();
      } else if (in_multi_) {
        queued_.emplace_back(args.begin(), args.end());
      } else {
        server_->ApplyFromPrimary(*client_, {args}, false);
      }
    }
    offset_ += consumed;
    done += consumed;
  }
  if (socket_ != nullptr) input_.erase(0, done);
}

void ReplicaLink::Acknowledge() {
  last_ack_ms_ = server_->NowMs();
  const std::string offset = std::to_string(offset_);
  SendCommand({"REPLCONF", "ACK", offset});
}

void ReplicaLink::Cron(uint64_t now_ms) {
  if (!following_) return;
  if (state_ == State::kConnect) {
    if (now_ms - last_attempt_ms_ >= kRetryMs) Connect();
    return;
  }
  const auto timeout_ms =
      static_cast<uint64_t>(std::max<int64_t>(server_->config().repl_timeout, 1)) * 1000;
  if (state_ != State::kConnecting && now_ms - last_io_ms_ > timeout_ms) {
    return Fail("no data from the primary for " + std::to_string(timeout_ms / 1000) + " s");
  }
  if (state_ == State::kConnected && now_ms - last_ack_ms_ >= kAckPeriodMs) Acknowledge();
}

}  // namespace shale::server
