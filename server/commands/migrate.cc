// MIGRATE (Redis's cluster.c migrateCommand outside a cluster): moves keys to another Redis or
// Shale server by DUMP payload and RESTORE, blocking the server meanwhile as Redis does; and the
// cluster commands, which answer Redis's error for a server not in cluster mode.
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "server/acl_categories.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/rdb.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

// A blocking connection to the target with the command's timeout on every step.
class TargetConnection {
 public:
  ~TargetConnection() {
    if (fd_ >= 0) close(fd_);
  }
  bool Connect(const std::string& host, const std::string& port, int timeout_ms) {
    timeout_ms_ = timeout_ms;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) return false;
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        close(fd);
        continue;
      }
      pollfd p{fd, POLLOUT, 0};
      int error = 0;
      socklen_t length = sizeof(error);
      if (poll(&p, 1, timeout_ms) != 1 ||
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
        close(fd);
        continue;
      }
      fd_ = fd;
    }
    freeaddrinfo(found);
    return fd_ >= 0;
  }
  bool Send(const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, timeout_ms_) != 1) return false;
      const ssize_t n = send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // One reply line (the target answers AUTH, SELECT and RESTORE with a status or an error).
  bool ReadLine(std::string* line) {
    while (true) {
      const size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        *line = buffer_.substr(0, end);
        buffer_.erase(0, end + 2);
        return true;
      }
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, timeout_ms_) != 1) return false;
      char chunk[4096];
      const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  int fd_ = -1;
  int timeout_ms_ = 1000;
  std::string buffer_;
};

std::string RespCommand(const std::vector<std::string_view>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n";
    out.append(arg);
    out += "\r\n";
  }
  return out;
}

// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password |
// AUTH2 username password] [KEYS key [key ...]]
void MigrateCommand(CommandContext& ctx) {
  const std::vector<std::string_view>& args = ctx.args;
  bool copy = false;
  bool replace = false;
  std::vector<std::string_view> auth;
  size_t first_key = 3;
  size_t key_count = 1;
  for (size_t i = 6; i < args.size(); ++i) {
    const bool more = i + 1 < args.size();
    if (EqualsIgnoreCase(args[i], "copy")) {
      copy = true;
    } else if (EqualsIgnoreCase(args[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[i], "auth") && more) {
      auth = {args[i + 1]};
      ++i;
    } else if (EqualsIgnoreCase(args[i], "auth2") && i + 2 < args.size()) {
      auth = {args[i + 1], args[i + 2]};
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "keys")) {
      if (!args[3].empty()) {
        ctx.reply.Error(
            "ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
        return;
      }
      first_key = i + 1;
      key_count = args.size() - i - 1;
      break;
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  int64_t timeout = 0;
  int64_t target_db = 0;
  if (!ParseInt64(args[5], &timeout) || !ParseInt64(args[4], &target_db)) {
    ctx.reply.Error(kNotIntegerError);
    return;
  }
  if (timeout <= 0) timeout = 1000;
  // The keys that exist, with their payloads and remaining times to live.
  struct Moving {
    std::string_view key;
    std::string payload;
    int64_t ttl_ms;
  };
  std::vector<Moving> moving;
  const uint64_t now = ctx.ks.NowMs();
  for (size_t i = first_key; i < first_key + key_count; ++i) {
    keyspace::DumpedValue value;
    bool found = false;
    uint64_t expire_ms = 0;
    storage::Status s = ctx.ks.ReadValue(ctx.connection.db(), args[i], &value, &found, &expire_ms);
    if (!s.ok()) return ReplyStorageError(ctx, s);
    if (!found) continue;
    const int64_t ttl =
        expire_ms == 0 ? 0 : std::max<int64_t>(1, static_cast<int64_t>(expire_ms - now));
    moving.push_back({args[i], keyspace::DumpValue(value), ttl});
  }
  if (moving.empty()) {
    ctx.reply.SimpleString("NOKEY");
    PropagateNothing(ctx);
    return;
  }
  TargetConnection target;
  if (!target.Connect(std::string(args[1]), std::string(args[2]), static_cast<int>(timeout))) {
    ctx.reply.Error("IOERR error or timeout connecting to the client");
    PropagateNothing(ctx);
    return;
  }
  std::string request;
  size_t replies = 0;
  if (!auth.empty()) {
    std::vector<std::string_view> command = {"AUTH"};
    command.insert(command.end(), auth.begin(), auth.end());
    request += RespCommand(command);
    ++replies;
  }
  const std::string db_text = std::to_string(target_db);
  request += RespCommand({"SELECT", db_text});
  ++replies;
  std::vector<std::string> ttls;
  ttls.reserve(moving.size());
  for (const Moving& m : moving) {
    ttls.push_back(std::to_string(m.ttl_ms));
    std::vector<std::string_view> command = {"RESTORE", m.key, ttls.back(), m.payload};
    if (replace) command.push_back("REPLACE");
    request += RespCommand(command);
  }
  if (!target.Send(request)) {
    ctx.reply.Error("IOERR error or timeout writing to target instance");
    PropagateNothing(ctx);
    return;
  }
  std::string line;
  for (size_t i = 0; i < replies; ++i) {
    if (!target.ReadLine(&line)) {
      ctx.reply.Error("IOERR error or timeout reading to target instance");
      PropagateNothing(ctx);
      return;
    }
    if (!line.empty() && line[0] == '-') {
      ctx.reply.Error("ERR Target instance replied with error: " + line.substr(1));
      PropagateNothing(ctx);
      return;
    }
  }
  std::string error;
  std::vector<std::string_view> moved;
  for (const Moving& m : moving) {
    if (!target.ReadLine(&line)) {
      if (error.empty()) error = "IOERR error or timeout reading to target instance";
      break;
    }
    if (!line.empty() && line[0] == '-') {
      if (error.empty()) error = "ERR Target instance replied with error: " + line.substr(1);
      continue;
    }
    moved.push_back(m.key);
  }
  if (!copy && !moved.empty()) {
    int64_t removed = 0;
    storage::Status s = ctx.ks.Delete(ctx.connection.db(), moved, &removed);
    if (!s.ok()) return ReplyStorageError(ctx, s);
    for (std::string_view key : moved) {
      NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "del", ctx.connection.db(), key);
    }
    // Replicas delete what left (Redis propagates MIGRATE as DEL).
    std::vector<std::string_view> del = {"DEL"};
    del.insert(del.end(), moved.begin(), moved.end());
    PropagateAs(ctx, del);
  } else {
    PropagateNothing(ctx);
  }
  if (!error.empty()) {
    ctx.reply.Error(error);
  } else {
    ctx.reply.SimpleString("OK");
  }
}

// The key at argument 3 unless it is empty, and those after KEYS.
void MigrateKeys(const std::vector<std::string_view>& args, std::vector<std::string_view>* keys) {
  if (args.size() > 3 && !args[3].empty()) {
    keys->push_back(args[3]);
    return;
  }
  for (size_t i = 6; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "keys")) {
      keys->insert(keys->end(), args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return;
    }
  }
}

void ClusterDisabled(CommandContext& ctx) {
  ctx.reply.Error("ERR This instance has cluster support disabled");
}

const CommandSpec kMigrateCommands[] = {
    {"migrate", -6, kCmdWrite, 0, 0, 0, MigrateCommand, "generic", "2.6.0",
     "Atomically transfers a key from one Redis instance to another.",
     "host port <key | \"\"> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 "
     "username password] [KEYS key [key ...]]",
     MigrateKeys, kAclDangerous},
    {"cluster", -2, 0, 0, 0, 0, ClusterDisabled, "cluster", "3.0.0",
     "A container for Redis Cluster commands.", "subcommand [argument ...]"},
    {"readonly", 1, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, ClusterDisabled, "cluster",
     "3.0.0", "Enables read-only queries for a connection to a Redis Cluster replica node.", ""},
    {"readwrite", 1, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, ClusterDisabled, "cluster",
     "3.0.0", "Enables read-write queries for a connection to a Redis Cluster replica node.", ""},
    {"asking", 1, kCmdFast, 0, 0, 0, ClusterDisabled, "cluster", "3.0.0",
     "Signals that a cluster client is following an -ASK redirect.", ""},
};

}  // namespace

void RegisterMigrateCommands(CommandTable& table) {
  table.Register(kMigrateCommands, std::size(kMigrateCommands));
}

}  // namespace shale::server
