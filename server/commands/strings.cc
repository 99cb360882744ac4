// String commands: GET, SET, SETNX, GETSET, MGET, MSET (Redis's t_string.c).
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"
#include "storage/db.h"

namespace shale::server {

namespace {

void GetCommand(CommandContext& ctx) {
  std::string value;
  storage::Status status = ctx.db.Get(ctx.connection.db(), ctx.args[1], &value);
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

// SET key value [NX | XX] [GET] [EX seconds | PX ms | EXAT ts | PXAT ts-ms | KEEPTTL]
void SetCommand(CommandContext& ctx) {
  storage::SetCondition condition = storage::SetCondition::kAlways;
  bool get = false, keepttl = false;
  std::string_view expire_option;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "nx") && condition != storage::SetCondition::kIfPresent) {
      condition = storage::SetCondition::kIfAbsent;
    } else if (EqualsIgnoreCase(opt, "xx") && condition != storage::SetCondition::kIfAbsent) {
      condition = storage::SetCondition::kIfPresent;
    } else if (EqualsIgnoreCase(opt, "get")) {
      get = true;
    } else if (EqualsIgnoreCase(opt, "keepttl") && expire_option.empty()) {
      keepttl = true;
    } else if ((EqualsIgnoreCase(opt, "ex") || EqualsIgnoreCase(opt, "px") ||
                EqualsIgnoreCase(opt, "exat") || EqualsIgnoreCase(opt, "pxat")) &&
               expire_option.empty() && !keepttl && has_next) {
      expire_option = opt;
      int64_t when = 0;
      if (!ParseInt64(ctx.args[++i], &when)) {
        ctx.reply.Error(kNotIntegerError);
        return;
      }
      if (when <= 0) {
        ctx.reply.Error("ERR invalid expire time in 'set' command");
        return;
      }
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  if (!expire_option.empty()) {
    // Keys cannot carry a time to live yet; refusing is better than storing a key forever.
    ctx.reply.Error("ERR SET " + ToLower(expire_option) +
                    " is not supported yet: keys with a time to live are not available");
    return;
  }
  // KEEPTTL keeps the key's time to live; no key has one, so it changes nothing.
  bool applied = false, had_old = false;
  std::string old_value;
  storage::Status status =
      ctx.db.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], condition, &applied,
                 get ? &old_value : nullptr, get ? &had_old : nullptr);
  if (!status.ok()) {
    ReplyStorageError(ctx, status);
  } else if (get) {
    if (had_old) {
      ctx.reply.Bulk(old_value);
    } else {
      ctx.reply.NullBulk();
    }
  } else if (applied) {
    ctx.reply.SimpleString("OK");
  } else {
    ctx.reply.NullBulk();
  }
}

void SetNxCommand(CommandContext& ctx) {
  bool applied = false;
  storage::Status status = ctx.db.Set(ctx.connection.db(), ctx.args[1], ctx.args[2],
                                      storage::SetCondition::kIfAbsent, &applied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(applied ? 1 : 0);
}

void GetSetCommand(CommandContext& ctx) {
  bool applied = false, had_old = false;
  std::string old_value;
  storage::Status status =
      ctx.db.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], storage::SetCondition::kAlways,
                 &applied, &old_value, &had_old);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (had_old) {
    ctx.reply.Bulk(old_value);
  } else {
    ctx.reply.NullBulk();
  }
}

// A key that cannot be read (a damaged table) fails the whole command with GET's error: a nil
// would tell the client the key is absent. The values are therefore read before the reply.
void MGetCommand(CommandContext& ctx) {
  std::vector<std::string> values(ctx.args.size() - 1);
  std::vector<bool> found(ctx.args.size() - 1);
  uint64_t hits = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    storage::Status status = ctx.db.Get(ctx.connection.db(), ctx.args[i], &values[i - 1]);
    if (status.ok()) {
      found[i - 1] = true;
      ++hits;
    } else if (!status.IsNotFound()) {
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
  std::vector<storage::KeyValue> pairs;
  pairs.reserve((ctx.args.size() - 1) / 2);
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    pairs.push_back({ctx.args[i], ctx.args[i + 1]});
  }
  storage::Status status = ctx.db.MultiSet(ctx.connection.db(), pairs);
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
