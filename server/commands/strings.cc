// String commands: GET, SET, SETEX, PSETEX, SETNX, GETSET, GETDEL, GETEX, MGET, MSET (Redis's
// t_string.c).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/server.h"

namespace shale::server {

namespace {

void GetCommand(CommandContext& ctx) {
  std::string value;
  storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[1], &value);
  if (status.IsNotFound()) {
    ctx.server.stats().keyspace_misses++;
    ctx.reply.NullBulk();
  } else if (!status.ok()) {
    ReplyStorageError(ctx, status);
  } else {
    ctx.server.stats().keyspace_hits++;
    ctx.reply.Bulk(value);
  }
}

// Parses the expiry argument `text` of an EX/PX/EXAT/PXAT option (or of SETEX/PSETEX) into an
// absolute deadline in ms, with Redis's rules and texts; false after replying the error.
bool ParseSetExpiry(CommandContext& ctx, std::string_view text, bool seconds, bool absolute,
                    std::string_view command, uint64_t* deadline_ms) {
  int64_t when = 0;
  if (!ParseInt64(text, &when)) {
    ctx.reply.Error(kNotIntegerError);
    return false;
  }
  const std::string invalid = "ERR invalid expire time in '" + std::string(command) + "' command";
  if (when <= 0 || (seconds && when > INT64_MAX / 1000)) {
    ctx.reply.Error(invalid);
    return false;
  }
  if (seconds) when *= 1000;
  if (!absolute) {
    const auto now = static_cast<int64_t>(ctx.ks.NowMs());
    if (when > INT64_MAX - now) {
      ctx.reply.Error(invalid);
      return false;
    }
    when += now;
  }
  *deadline_ms = static_cast<uint64_t>(when);
  return true;
}

// Which of EX/PX/EXAT/PXAT `opt` is: false when none.
bool ExpiryOption(std::string_view opt, bool* seconds, bool* absolute) {
  if (EqualsIgnoreCase(opt, "ex")) {
    *seconds = true, *absolute = false;
  } else if (EqualsIgnoreCase(opt, "px")) {
    *seconds = false, *absolute = false;
  } else if (EqualsIgnoreCase(opt, "exat")) {
    *seconds = true, *absolute = true;
  } else if (EqualsIgnoreCase(opt, "pxat")) {
    *seconds = false, *absolute = true;
  } else {
    return false;
  }
  return true;
}

void ReplySetResult(CommandContext& ctx, const keyspace::SetOptions& options,
                    const keyspace::SetResult& result) {
  if (options.get) {
    if (result.had_old) {
      ctx.reply.Bulk(result.old_value);
    } else {
      ctx.reply.NullBulk();
    }
  } else if (result.applied) {
    ctx.reply.SimpleString("OK");
  } else {
    ctx.reply.NullBulk();
  }
}

// SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT ts | PXAT ts-ms | KEEPTTL]
void SetCommand(CommandContext& ctx) {
  keyspace::SetOptions options;
  bool has_expiry = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    bool seconds = false, absolute = false;
    if (EqualsIgnoreCase(opt, "nx") && options.condition != keyspace::SetCondition::kIfPresent) {
      options.condition = keyspace::SetCondition::kIfAbsent;
    } else if (EqualsIgnoreCase(opt, "xx") &&
               options.condition != keyspace::SetCondition::kIfAbsent) {
      options.condition = keyspace::SetCondition::kIfPresent;
    } else if (EqualsIgnoreCase(opt, "get")) {
      options.get = true;
    } else if (EqualsIgnoreCase(opt, "keepttl") && !has_expiry) {
      options.keep_ttl = true;
    } else if (ExpiryOption(opt, &seconds, &absolute) && !has_expiry && !options.keep_ttl &&
               has_next) {
      has_expiry = true;
      if (!ParseSetExpiry(ctx, ctx.args[++i], seconds, absolute, "set", &options.expire_ms)) {
        return;
      }
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  keyspace::SetResult result;
  storage::Status status =
      ctx.ks.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplySetResult(ctx, options, result);
}

// SETEX key seconds value / PSETEX key milliseconds value
void SetExGeneric(CommandContext& ctx, bool seconds, std::string_view command) {
  keyspace::SetOptions options;
  if (!ParseSetExpiry(ctx, ctx.args[2], seconds, false, command, &options.expire_ms)) return;
  keyspace::SetResult result;
  storage::Status status =
      ctx.ks.Set(ctx.connection.db(), ctx.args[1], ctx.args[3], options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}
void SetExCommand(CommandContext& ctx) { SetExGeneric(ctx, true, "setex"); }
void PSetExCommand(CommandContext& ctx) { SetExGeneric(ctx, false, "psetex"); }

void SetNxCommand(CommandContext& ctx) {
  keyspace::SetOptions options;
  options.condition = keyspace::SetCondition::kIfAbsent;
  keyspace::SetResult result;
  storage::Status status =
      ctx.ks.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(result.applied ? 1 : 0);
}

void GetSetCommand(CommandContext& ctx) {
  keyspace::SetOptions options;
  options.get = true;
  keyspace::SetResult result;
  storage::Status status =
      ctx.ks.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplySetResult(ctx, options, result);
}

void ReplyValueOrNil(CommandContext& ctx, const storage::Status& status, const std::string& value) {
  if (status.IsNotFound()) {
    ctx.server.stats().keyspace_misses++;
    ctx.reply.NullBulk();
  } else if (!status.ok()) {
    ReplyStorageError(ctx, status);
  } else {
    ctx.server.stats().keyspace_hits++;
    ctx.reply.Bulk(value);
  }
}

void GetDelCommand(CommandContext& ctx) {
  std::string value;
  ReplyValueOrNil(ctx, ctx.ks.GetDel(ctx.connection.db(), ctx.args[1], &value), value);
}

// GETEX key [EX seconds | PX ms | EXAT ts | PXAT ts-ms | PERSIST]
void GetExCommand(CommandContext& ctx) {
  keyspace::GetExOptions options;
  using Action = keyspace::GetExOptions::Action;
  std::string_view expiry;
  bool seconds = false, absolute = false;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "persist") && options.action == Action::kKeep) {
      options.action = Action::kPersist;
    } else if (ExpiryOption(opt, &seconds, &absolute) && options.action == Action::kKeep &&
               i + 1 < ctx.args.size()) {
      options.action = Action::kSet;
      expiry = ctx.args[++i];
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  std::string value;
  if (options.action == Action::kSet) {
    // As Redis: a missing key answers nil before the time is checked.
    int64_t exists = 0;
    storage::Status status = ctx.ks.Exists(ctx.connection.db(), {ctx.args[1]}, &exists);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (exists == 0) return ReplyValueOrNil(ctx, storage::Status::NotFound(), value);
    if (!ParseSetExpiry(ctx, expiry, seconds, absolute, "getex", &options.expire_ms)) return;
  }
  ReplyValueOrNil(ctx, ctx.ks.GetEx(ctx.connection.db(), ctx.args[1], options, &value), value);
}

// A key that cannot be read (a damaged table) fails the whole command with GET's error: a nil
// would tell the client the key is absent. The values are therefore read before the reply.
void MGetCommand(CommandContext& ctx) {
  std::vector<std::string> values(ctx.args.size() - 1);
  std::vector<bool> found(ctx.args.size() - 1);
  uint64_t hits = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[i], &values[i - 1]);
    if (status.ok()) {
      found[i - 1] = true;
      ++hits;
    } else if (!status.IsNotFound() && !keyspace::IsWrongType(status)) {  // another type: nil
      return ReplyStorageError(ctx, status);
    }
  }
  ctx.server.stats().keyspace_hits += hits;
  ctx.server.stats().keyspace_misses += values.size() - hits;
  ctx.reply.ArrayHeader(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (found[i]) {
      ctx.reply.Bulk(values[i]);
    } else {
      ctx.reply.NullBulk();
    }
  }
}

void MSetCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.reply.Error(WrongArityError("mset"));
    return;
  }
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve((ctx.args.size() - 1) / 2);
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  }
  storage::Status status = ctx.ks.MultiSet(ctx.connection.db(), pairs);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

const CommandSpec kStringCommands[] = {
    {"get", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, GetCommand, "string", "1.0.0",
     "Returns the string value of a key.", "key"},
    {"set", -3, kCmdWrite, 1, 1, 1, SetCommand, "string", "1.0.0",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
     "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT "
     "unix-time-milliseconds | KEEPTTL]"},
    {"setnx", 3, kCmdWrite | kCmdFast, 1, 1, 1, SetNxCommand, "string", "1.0.0",
     "Set the string value of a key only when the key doesn't exist.", "key value"},
    {"setex", 4, kCmdWrite, 1, 1, 1, SetExCommand, "string", "2.0.0",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
     "key seconds value"},
    {"psetex", 4, kCmdWrite, 1, 1, 1, PSetExCommand, "string", "2.6.0",
     "Sets both string value and expiration time in milliseconds of a key. The key is created if "
     "it doesn't exist.",
     "key milliseconds value"},
    {"getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, GetDelCommand, "string", "6.2.0",
     "Returns the string value of a key after deleting the key.", "key"},
    {"getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, GetExCommand, "string", "6.2.0",
     "Returns the string value of a key after setting its expiration time.",
     "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | "
     "PERSIST]"},
    {"getset", 3, kCmdWrite | kCmdFast, 1, 1, 1, GetSetCommand, "string", "1.0.0",
     "Returns the previous string value of a key after setting it to a new value.", "key value"},
    {"mget", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, MGetCommand, "string", "1.0.0",
     "Atomically returns the string values of one or more keys.", "key [key ...]"},
    {"mset", -3, kCmdWrite, 1, -1, 2, MSetCommand, "string", "1.0.1",
     "Atomically creates or modifies the string values of one or more keys.",
     "key value [key value ...]"},
};

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Register(kStringCommands, std::size(kStringCommands));
}

}  // namespace shale::server
