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
  // S: a replica; P: subscribed; x: in MULTI, with `multi` commands queued (-1 outside MULTI);
  // N: none of them.
  const bool in_multi = c.transaction().in_multi();
  std::string flags;
  if (c.is_replica()) flags += 'S';
  if (c.subscribed()) flags += 'P';
  if (in_multi) flags += 'x';
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
    "LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB)] [ID <id> [<id> ...]]",
    "    Return information about client connections.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are: LIB-NAME, LIB-VER.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "HELP",
    "    Print this help.",
};

void ReplyHelp(CommandContext& ctx, const std::string_view* lines, size_t n) {
  ctx.reply.ArrayHeader(n);
  for (size_t i = 0; i < n; ++i) ctx.reply.SimpleString(lines[i]);
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
  } else if (EqualsIgnoreCase(sub, "help")) {
    ReplyHelp(ctx, kClientHelp, std::size(kClientHelp));
  } else {
    ctx.reply.Error(UnknownSubcommandError("client", sub));
  }
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
};

}  // namespace

void RegisterConnectionCommands(CommandTable& table) {
  table.Register(kConnectionCommands, std::size(kConnectionCommands));
}

}  // namespace shale::server
