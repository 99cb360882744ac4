// Connection commands: PING, ECHO, QUIT, RESET, AUTH, HELLO, SELECT, CLIENT (Redis's
// networking.c and acl.c; the users are server/acl.h's).
#include "server/connection.h"

#include <algorithm>
#include <string>
#include <vector>

#include "server/acl.h"
#include "server/command_table.h"
#include "server/server.h"
#include "storage/db.h"

namespace shale::server {

namespace {

void PingCommand(CommandContext& ctx) {
  if (ctx.args.size() > 2) {
    ctx.reply.Error(WrongArityError("ping"));
  } else if (ctx.connection.subscribed() && ctx.connection.protocol() == 2) {
    // A RESP2 subscriber reads arrays only: ["pong", message or ""].
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("pong");
    ctx.reply.Bulk(ctx.args.size() == 2 ? ctx.args[1] : std::string_view());
  } else if (ctx.args.size() == 2) {
    ctx.reply.Bulk(ctx.args[1]);
  } else {
    ctx.reply.SimpleString("PONG");
  }
}

void EchoCommand(CommandContext& ctx) { ctx.reply.Bulk(ctx.args[1]); }

void QuitCommand(CommandContext& ctx) {
  ctx.reply.SimpleString("OK");
  ctx.connection.CloseAfterReply();
}

// RESET (Redis's clearClientConnectionState): the connection as it was when it connected,
// except for its library name and version: no transaction or watched keys, no subscriptions,
// database 0, RESP2, replies on, no name, the default user, and authenticated only if that user
// needs no password.
void ResetCommand(CommandContext& ctx) {
  Connection& connection = ctx.connection;
  connection.transaction().Discard(ctx.server.watches());
  ctx.server.pubsub().UnsubscribeAll(&connection);
  connection.set_db(0);
  connection.set_protocol(2);
  connection.ResetReplyMode();
  connection.set_name({});
  connection.set_user(ctx.server.acl().default_user());
  connection.set_authenticated(!ctx.server.acl().DefaultUserNeedsAuth());
  ctx.reply.SimpleString("RESET");
}

// Checks a username/password pair (Acl::Authenticate) and makes the connection that user's.
// Returns an error text to reply with, or empty on success.
std::string Authenticate(CommandContext& ctx, std::string_view user, std::string_view password) {
  std::shared_ptr<AclUser> found = ctx.server.acl().Authenticate(user, password);
  if (found == nullptr) {
    NoteFailedAuth(ctx.server, ctx.connection, user);
    return "WRONGPASS invalid username-password pair or user is disabled.";
  }
  ctx.connection.set_user(std::move(found));
  ctx.connection.set_authenticated(true);
  return {};
}

void AuthCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  if (ctx.args.size() == 2 && ctx.server.acl().default_user()->nopass()) {
    ctx.reply.Error(
        "ERR AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?");
    return;
  }
  std::string_view user = ctx.args.size() == 3 ? ctx.args[1] : std::string_view("default");
  std::string error = Authenticate(ctx, user, ctx.args.back());
  if (!error.empty()) {
    ctx.reply.Error(error);
  } else {
    ctx.reply.SimpleString("OK");
  }
}

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;
  }
  return true;
}

constexpr std::string_view kBadClientName =
    "ERR Client names cannot contain spaces, newlines or special characters.";

// HELLO [protover [AUTH username password] [SETNAME clientname]]
void HelloCommand(CommandContext& ctx) {
  int64_t version = ctx.connection.protocol();
  size_t i = 1;
  if (ctx.args.size() >= 2) {
    if (!ParseInt64(ctx.args[1], &version)) {
      ctx.reply.Error("ERR Protocol version is not an integer or out of range");
      return;
    }
    if (version < 2 || version > 3) {
      ctx.reply.Error("NOPROTO unsupported protocol version");
      return;
    }
    i = 2;
  }
  std::string_view user, password, name;
  bool has_auth = false, has_name = false;
  for (; i < ctx.args.size(); ++i) {
    bool more = ctx.args.size() - i - 1 > 0;
    if (EqualsIgnoreCase(ctx.args[i], "auth") && ctx.args.size() - i - 1 >= 2) {
      has_auth = true;
      user = ctx.args[i + 1];
      password = ctx.args[i + 2];
      i += 2;
    } else if (EqualsIgnoreCase(ctx.args[i], "setname") && more) {
      has_name = true;
      name = ctx.args[++i];
      if (!ValidClientName(name)) {
        ctx.reply.Error(kBadClientName);
        return;
      }
    } else {
      ctx.reply.Error("ERR Syntax error in HELLO option '" + std::string(ctx.args[i]) + "'");
      return;
    }
  }
  if (has_auth) {
    std::string error = Authenticate(ctx, user, password);
    if (!error.empty()) {
      ctx.reply.Error(error);
      return;
    }
  }
  if (ctx.connection.auth_required()) {
    ctx.reply.Error(
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
        "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
        "select the RESP protocol version at the same time");
    return;
  }
  if (has_name) ctx.connection.set_name(std::string(name));
  ctx.connection.set_protocol(static_cast<int>(version));
  ctx.reply.MapHeader(7);
  ctx.reply.Bulk("server");
  ctx.reply.Bulk("redis");
  ctx.reply.Bulk("version");
  ctx.reply.Bulk(kRedisCompatibleVersion);
  ctx.reply.Bulk("proto");
  ctx.reply.Integer(version);
  ctx.reply.Bulk("id");
  ctx.reply.Integer(static_cast<int64_t>(ctx.connection.id()));
  ctx.reply.Bulk("mode");
  ctx.reply.Bulk("standalone");
  ctx.reply.Bulk("role");
  ctx.reply.Bulk("master");
  ctx.reply.Bulk("modules");
  ctx.reply.ArrayHeader(0);
}

void SelectCommand(CommandContext& ctx) {
  int64_t index = 0;
  if (!ParseInt64(ctx.args[1], &index)) {
    ctx.reply.Error(kNotIntegerError);
    return;
  }
  if (index < 0 || index >= ctx.ks.databases()) {
    ctx.reply.Error("ERR DB index is out of range");
    return;
  }
  ctx.connection.set_db(static_cast<int>(index));
  ctx.reply.SimpleString("OK");
}

}  // namespace

// One CLIENT LIST line, in Redis's field order (fields Shale has no notion of are constant).
std::string DescribeClient(Server& server, const Connection& c) {
  uint64_t now = server.NowMs();
  std::string line;
  line.reserve(256);
  line += "id=" + std::to_string(c.id());
  line += " addr=" + c.peer_address();
  line += " laddr=" + c.local_address();
  line += " fd=" + std::to_string(c.fd());
  line += " name=" + c.name();
  line += " age=" + std::to_string((now - c.created_ms()) / 1000);
  line += " idle=" + std::to_string((now - c.last_interaction_ms()) / 1000);
  // O: MONITOR; S: a replica; P: subscribed; x: in MULTI, with `multi` commands queued (-1
  // outside MULTI); b: blocked (BLPOP, WAIT...); e: CLIENT NO-EVICT; T: CLIENT NO-TOUCH; N: none.
  const bool in_multi = c.transaction().in_multi();
  std::string flags;
  if (c.monitor()) flags += 'O';
  if (c.is_replica()) flags += 'S';
  if (c.subscribed()) flags += 'P';
  if (in_multi) flags += 'x';
  if (c.block().active) flags += 'b';
  if (c.no_evict) flags += 'e';
  if (c.no_touch) flags += 'T';
  if (flags.empty()) flags = "N";
  line += " flags=" + flags;
  line += " db=" + std::to_string(c.db());
  line += " sub=" + std::to_string(c.channels().size());
  line += " psub=" + std::to_string(c.patterns().size());
  line += " ssub=" + std::to_string(c.shard_channels().size());
  line += " multi=";
  line += in_multi ? std::to_string(c.transaction().commands().size()) : "-1";
  line += " qbuf=" + std::to_string(c.query_buffer_bytes());
  line += " qbuf-free=" + std::to_string(c.query_buffer_free());
  line += " argv-mem=0 multi-mem=0";
  line += " obl=0 oll=0 omem=" + std::to_string(c.output_bytes());
  line += " tot-mem=" +
          std::to_string(c.query_buffer_bytes() + c.query_buffer_free() + c.output_bytes());
  line += " events=r cmd=" + (c.last_command().empty() ? std::string("NULL") : c.last_command());
  line += " user=" + c.user().name() + " redir=-1 resp=" + std::to_string(c.protocol());
  line += " lib-name=" + c.lib_name();
  line += " lib-ver=" + c.lib_version();
  line += "\n";
  return line;
}

namespace {

constexpr std::string_view kClientHelp[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "    * MAXAGE <maxage>",
    "      Kill connections older than the specified age.",
    "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
    "    Return information about client connections.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Print this help.",
};

void ReplyHelp(CommandContext& ctx, const std::string_view* lines, size_t n) {
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) ctx.reply.SimpleString(lines[i]);
}

// CLIENT KILL addr:port (the old form: +OK or an error), or CLIENT KILL <filter> <value> ...
// (the number of clients closed; the caller is skipped unless SKIPME no).
void ClientKill(CommandContext& ctx) {
  const std::vector<std::string_view>& args = ctx.args;
  const size_t argc = args.size();
  if (argc < 3) {
    ctx.reply.Error("ERR wrong number of arguments for 'client|kill' command");
    return;
  }
  std::string addr;
  std::string laddr;
  std::string user;
  std::string type;
  uint64_t id = 0;
  int64_t max_age = 0;
  bool skip_me = true;
  const bool old_form = argc == 3;
  if (old_form) {
    addr = std::string(args[2]);
    skip_me = false;
  } else {
    if ((argc - 2) % 2 != 0) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    for (size_t i = 2; i + 1 < argc; i += 2) {
      std::string_view option = args[i];
      std::string_view value = args[i + 1];
      if (EqualsIgnoreCase(option, "id")) {
        int64_t n = 0;
        if (!ParseInt64(value, &n) || n <= 0) {
          ctx.reply.Error("ERR client-id should be greater than 0");
          return;
        }
        id = static_cast<uint64_t>(n);
      } else if (EqualsIgnoreCase(option, "type")) {
        if (!EqualsIgnoreCase(value, "normal") && !EqualsIgnoreCase(value, "master") &&
            !EqualsIgnoreCase(value, "replica") && !EqualsIgnoreCase(value, "slave") &&
            !EqualsIgnoreCase(value, "pubsub")) {
          ctx.reply.Error("ERR Unknown client type '" + std::string(value) + "'");
          return;
        }
        type = ToLower(value);
        if (type == "slave") type = "replica";
      } else if (EqualsIgnoreCase(option, "addr")) {
        addr = std::string(value);
      } else if (EqualsIgnoreCase(option, "laddr")) {
        laddr = std::string(value);
      } else if (EqualsIgnoreCase(option, "user")) {
        if (ctx.server.acl().Find(value) == nullptr) {
          ctx.reply.Error("ERR No such user '" + std::string(value) + "'");
          return;
        }
        user = std::string(value);
      } else if (EqualsIgnoreCase(option, "skipme")) {
        if (EqualsIgnoreCase(value, "yes")) {
          skip_me = true;
        } else if (EqualsIgnoreCase(value, "no")) {
          skip_me = false;
        } else {
          ctx.reply.Error(kSyntaxError);
          return;
        }
      } else if (EqualsIgnoreCase(option, "maxage")) {
        if (!ParseInt64(value, &max_age) || max_age <= 0) {
          ctx.reply.Error("ERR syntax error");
          return;
        }
      } else {
        ctx.reply.Error(kSyntaxError);
        return;
      }
    }
  }
  const uint64_t now = ctx.server.NowMs();
  std::vector<Connection*> victims;
  for (const auto& [client_id, connection] : ctx.server.clients()) {
    if (connection->closing()) continue;
    if (id != 0 && client_id != id) continue;
    if ((old_form || !addr.empty()) && connection->peer_address() != addr) continue;
    if (!laddr.empty() && connection->local_address() != laddr) continue;
    if (!user.empty() && connection->user().name() != user) continue;
    if (!type.empty()) {
      const bool replica = connection->is_replica();
      const bool pubsub = !replica && connection->subscribed();
      if ((type == "normal" && (replica || pubsub)) || (type == "replica" && !replica) ||
          (type == "pubsub" && !pubsub) || type == "master") {
        continue;
      }
    }
    if (max_age > 0 && (now - connection->created_ms()) / 1000 < static_cast<uint64_t>(max_age)) {
      continue;
    }
    if (skip_me && connection == &ctx.connection) continue;
    victims.push_back(connection);
  }
  for (Connection* victim : victims) {
    if (victim == &ctx.connection) {
      victim->CloseAfterReply();  // it still gets its answer
    } else {
      victim->Close();
    }
  }
  if (old_form) {
    if (victims.empty()) {
      ctx.reply.Error("ERR No such client");
    } else {
      ctx.reply.SimpleString("OK");
    }
  } else {
    ctx.reply.Integer(static_cast<int64_t>(victims.size()));
  }
}

void ClientCommand(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  size_t argc = ctx.args.size();
  auto arity_error = [&] {
    ctx.reply.Error("ERR wrong number of arguments for 'client|" + ToLower(sub) + "' command");
  };
  if (EqualsIgnoreCase(sub, "id")) {
    if (argc != 2) return arity_error();
    ctx.reply.Integer(static_cast<int64_t>(ctx.connection.id()));
  } else if (EqualsIgnoreCase(sub, "getname")) {
    if (argc != 2) return arity_error();
    if (ctx.connection.name().empty()) {
      ctx.reply.NullBulk();
    } else {
      ctx.reply.Bulk(ctx.connection.name());
    }
  } else if (EqualsIgnoreCase(sub, "setname")) {
    if (argc != 3) return arity_error();
    if (!ValidClientName(ctx.args[2])) {
      ctx.reply.Error(kBadClientName);
      return;
    }
    ctx.connection.set_name(std::string(ctx.args[2]));
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "setinfo")) {
    if (argc != 4) return arity_error();
    if (!ValidClientName(ctx.args[3])) {
      ctx.reply.Error("ERR " + std::string(ctx.args[2]) +
                      " cannot contain spaces, newlines or special characters.");
      return;
    }
    if (EqualsIgnoreCase(ctx.args[2], "lib-name")) {
      ctx.connection.set_lib_name(std::string(ctx.args[3]));
    } else if (EqualsIgnoreCase(ctx.args[2], "lib-ver")) {
      ctx.connection.set_lib_version(std::string(ctx.args[3]));
    } else {
      ctx.reply.Error("ERR Unrecognized option '" + std::string(ctx.args[2]) + "'");
      return;
    }
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "reply")) {
    if (argc != 3) return arity_error();
    if (EqualsIgnoreCase(ctx.args[2], "on")) {
      ctx.connection.set_reply_mode(Connection::ReplyMode::kOn);
      ctx.reply.SimpleString("OK");
    } else if (EqualsIgnoreCase(ctx.args[2], "off")) {
      ctx.connection.set_reply_mode(Connection::ReplyMode::kOff);
    } else if (EqualsIgnoreCase(ctx.args[2], "skip")) {
      ctx.connection.set_reply_mode(Connection::ReplyMode::kSkip);
    } else {
      ctx.reply.Error(kSyntaxError);
    }
  } else if (EqualsIgnoreCase(sub, "info")) {
    if (argc != 2) return arity_error();
    ctx.reply.Verbatim("txt", DescribeClient(ctx.server, ctx.connection));
  } else if (EqualsIgnoreCase(sub, "list")) {
    std::vector<uint64_t> ids;
    // TYPE: Redis's client classes; Shale has replicas but no master.
    enum class Type { kAny, kNormal, kReplica, kPubSub, kNone } type = Type::kAny;
    for (size_t i = 2; i < argc; ++i) {
      if (EqualsIgnoreCase(ctx.args[i], "type") && i + 1 < argc) {
        std::string_view name = ctx.args[++i];
        if (!EqualsIgnoreCase(name, "normal") && !EqualsIgnoreCase(name, "master") &&
            !EqualsIgnoreCase(name, "replica") && !EqualsIgnoreCase(name, "slave") &&
            !EqualsIgnoreCase(name, "pubsub")) {
          ctx.reply.Error("ERR Unknown client type '" + std::string(name) + "'");
          return;
        }
        type = EqualsIgnoreCase(name, "normal")   ? Type::kNormal
               : EqualsIgnoreCase(name, "pubsub") ? Type::kPubSub
               : EqualsIgnoreCase(name, "replica") || EqualsIgnoreCase(name, "slave")
                   ? Type::kReplica
                   : Type::kNone;
      } else if (EqualsIgnoreCase(ctx.args[i], "id") && i + 1 < argc) {
        while (i + 1 < argc) {
          int64_t id = 0;
          if (!ParseInt64(ctx.args[++i], &id) || id <= 0) {
            ctx.reply.Error("ERR Invalid client ID");
            return;
          }
          ids.push_back(static_cast<uint64_t>(id));
        }
      } else {
        ctx.reply.Error(kSyntaxError);
        return;
      }
    }
    std::string text;
    std::vector<const Connection*> listed;
    for (const auto& [id, connection] : ctx.server.clients()) listed.push_back(connection);
    std::sort(listed.begin(), listed.end(),
              [](const Connection* a, const Connection* b) { return a->id() < b->id(); });
    for (const Connection* connection : listed) {
      if (!ids.empty() && std::find(ids.begin(), ids.end(), connection->id()) == ids.end()) {
        continue;
      }
      const bool replica = connection->is_replica();
      if (type == Type::kNone || (type == Type::kNormal && (connection->subscribed() || replica)) ||
          (type == Type::kReplica && !replica) ||
          (type == Type::kPubSub && (!connection->subscribed() || replica))) {
        continue;
      }
      text += DescribeClient(ctx.server, *connection);
    }
    ctx.reply.Verbatim("txt", text);
  } else if (EqualsIgnoreCase(sub, "kill")) {
    ClientKill(ctx);
  } else if (EqualsIgnoreCase(sub, "pause")) {
    if (argc != 3 && argc != 4) return arity_error();
    int64_t timeout = 0;
    if (!ParseInt64(ctx.args[2], &timeout)) {
      ctx.reply.Error("ERR timeout is not an integer or out of range");
      return;
    }
    if (timeout < 0) {
      ctx.reply.Error("ERR timeout is negative");
      return;
    }
    bool all = true;
    if (argc == 4) {
      if (EqualsIgnoreCase(ctx.args[3], "write")) {
        all = false;
      } else if (!EqualsIgnoreCase(ctx.args[3], "all")) {
        ctx.reply.Error("ERR CLIENT PAUSE mode must be WRITE or ALL");
        return;
      }
    }
    ctx.server.PauseClients(ctx.server.NowMs() + static_cast<uint64_t>(timeout), all);
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "unpause")) {
    if (argc != 2) return arity_error();
    ctx.server.UnpauseClients();
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "unblock")) {
    if (argc != 3 && argc != 4) return arity_error();
    int64_t id = 0;
    if (!ParseInt64(ctx.args[2], &id)) {
      ctx.reply.Error("ERR value is not an integer or out of range");
      return;
    }
    bool error = false;
    if (argc == 4) {
      if (EqualsIgnoreCase(ctx.args[3], "error")) {
        error = true;
      } else if (!EqualsIgnoreCase(ctx.args[3], "timeout")) {
        ctx.reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
      }
    }
    ctx.reply.Integer(id > 0 && ctx.server.UnblockClient(static_cast<uint64_t>(id), error) ? 1 : 0);
  } else if (EqualsIgnoreCase(sub, "no-evict") || EqualsIgnoreCase(sub, "no-touch")) {
    if (argc != 3) return arity_error();
    bool on = false;
    if (EqualsIgnoreCase(ctx.args[2], "on")) {
      on = true;
    } else if (!EqualsIgnoreCase(ctx.args[2], "off")) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    // Shale evicts neither clients nor keys, and a read never changes a key's idle time (only
    // writes and TOUCH do), so both modes hold by construction; CLIENT LIST shows them.
    if (EqualsIgnoreCase(sub, "no-evict")) {
      ctx.connection.no_evict = on;
    } else {
      ctx.connection.no_touch = on;
    }
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "help")) {
    ReplyHelp(ctx, kClientHelp, std::size(kClientHelp));
  } else {
    ctx.reply.Error(UnknownSubcommandError("client", sub));
  }
}

// MONITOR: from now on the connection gets every command the server runs (Redis's format).
void MonitorCommand(CommandContext& ctx) {
  if (ctx.connection.transaction().in_multi()) {
    ctx.reply.Error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    return;
  }
  // A replica, or a client already monitoring: nothing changes and nothing is answered.
  if (ctx.connection.is_replica() || ctx.connection.monitor()) return;
  ctx.connection.set_monitor();
  ctx.server.AddMonitor(&ctx.connection);
  ctx.reply.SimpleString("OK");
}

const CommandSpec kConnectionCommands[] = {
    {"ping", -1, kCmdFast, 0, 0, 0, PingCommand, "connection", "1.0.0",
     "Returns the server's liveliness response.", "[message]"},
    {"echo", 2, kCmdFast, 0, 0, 0, EchoCommand, "connection", "1.0.0", "Returns the given string.",
     "message"},
    {"quit", -1, kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 0,
     0, 0, QuitCommand, "connection", "1.0.0", "Closes the connection.", ""},
    {"reset", 1, kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 0,
     0, 0, ResetCommand, "connection", "6.2.0", "Resets the connection.", ""},
    {"auth", -2, kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0,
     AuthCommand, "connection", "1.0.0", "Authenticates the connection.", "[username] password"},
    {"hello", -1, kCmdNoAuth | kCmdFast | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0,
     HelloCommand, "connection", "6.0.0", "Handshakes with the Redis server.",
     "[protover [AUTH username password] [SETNAME clientname]]"},
    {"select", 2, kCmdFast | kCmdLoading | kCmdStale, 0, 0, 0, SelectCommand, "connection", "1.0.0",
     "Changes the selected database.", "index"},
    {"client", -2, kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, ClientCommand, "connection",
     "2.4.0", "A container for client connection commands.", "subcommand [argument ...]"},
    {"monitor", 1, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, 0, 0, 0, MonitorCommand,
     "server", "1.0.0", "Listens for all requests received by the server in real-time.", ""},
};

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  table.Register(kConnectionCommands, std::size(kConnectionCommands));
}

}  // namespace shale::server
