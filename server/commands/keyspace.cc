// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL (Redis's
// db.c), and the time to live: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME,
// PEXPIRETIME, PERSIST (Redis's expire.c).
#include "server/keyspace/keyspace.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/server.h"

namespace shale::server {

namespace {

std::vector<std::string_view> KeysFrom(const CommandContext& ctx, size_t first) {
  return std::vector<std::string_view>(ctx.args.begin() + static_cast<ptrdiff_t>(first),
                                       ctx.args.end());
}

void DelCommand(CommandContext& ctx) {
  int64_t removed = 0;
  storage::Status status = ctx.ks.Delete(ctx.connection.db(), KeysFrom(ctx, 1), &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(removed);
}

void ExistsCommand(CommandContext& ctx) {
  int64_t count = 0;
  storage::Status status = ctx.ks.Exists(ctx.connection.db(), KeysFrom(ctx, 1), &count);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(count);
}

void TypeCommand(CommandContext& ctx) {
  std::string_view type;
  storage::Status status = ctx.ks.Type(ctx.connection.db(), ctx.args[1], &type);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString(type);
}

void DbSizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.ks.KeyCount(ctx.connection.db())));
}

// FLUSHDB / FLUSHALL [ASYNC | SYNC]: both are O(1) in the engine, so the modes behave alike.
bool ParseFlushMode(CommandContext& ctx) {
  if (ctx.args.size() == 1) return true;
  if (ctx.args.size() == 2 &&
      (EqualsIgnoreCase(ctx.args[1], "async") || EqualsIgnoreCase(ctx.args[1], "sync"))) {
    return true;
  }
  ctx.reply.Error(kSyntaxError);
  return false;
}

void FlushDbCommand(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  storage::Status status = ctx.ks.FlushDb(ctx.connection.db());
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

void FlushAllCommand(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  storage::Status status = ctx.ks.FlushAll();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

// Walks the keys of the connection's database in order from `after`, calling `visit` for
// each key that matches `pattern`, `limit` keys examined at most (0 = all). Returns the last
// key examined and whether the keyspace is exhausted.
struct WalkResult {
  storage::Status status;
  std::string last_key;
  bool done = false;
};

template <typename Visit>
WalkResult WalkKeys(CommandContext& ctx, int db, std::string after, std::string_view pattern,
                    size_t limit, Visit visit) {
  WalkResult result;
  bool match_all = pattern == "*";
  std::string prefix = GlobLiteralPrefix(pattern);
  size_t examined = 0;
  std::vector<std::string> batch;
  while (true) {
    size_t want = limit == 0 ? 1000 : std::min<size_t>(1000, limit - examined);
    batch.clear();
    result.status = ctx.ks.Scan(db, after, prefix, want, &batch, &result.done);
    if (!result.status.ok()) return result;
    // The position is the last key examined, taken before `visit` may move keys away.
    if (!batch.empty()) after = batch.back();
    for (std::string& key : batch) {
      if (match_all || GlobMatch(pattern, key)) visit(key);
    }
    examined += batch.size();
    result.last_key = after;
    if (result.done || (limit != 0 && examined >= limit)) return result;
  }
}

void KeysCommand(CommandContext& ctx) {
  std::vector<std::string> keys;
  WalkResult walk = WalkKeys(ctx, ctx.connection.db(), "", ctx.args[1], 0,
                             [&](std::string& key) { keys.push_back(std::move(key)); });
  if (!walk.status.ok()) return ReplyStorageError(ctx, walk.status);
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.reply.Bulk(key);
}

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
void ScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  {
    std::string_view text = ctx.args[1];
    bool valid = !text.empty() && text.size() <= 20;
    for (char c : text) valid = valid && c >= '0' && c <= '9';
    if (valid) {
      errno = 0;
      cursor = std::strtoull(std::string(text).c_str(), nullptr, 10);
      valid = errno == 0;
    }
    if (!valid) {
      ctx.reply.Error("ERR invalid cursor");
      return;
    }
  }
  std::string_view pattern = "*";
  int64_t count = 10;
  std::string_view type;
  for (size_t i = 2; i < ctx.args.size(); i += 2) {
    std::string_view opt = ctx.args[i];
    if (i + 1 >= ctx.args.size()) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    if (EqualsIgnoreCase(opt, "match")) {
      pattern = ctx.args[i + 1];
    } else if (EqualsIgnoreCase(opt, "count")) {
      if (!ParseInt64(ctx.args[i + 1], &count)) {
        ctx.reply.Error(kNotIntegerError);
        return;
      }
      if (count < 1) {
        ctx.reply.Error(kSyntaxError);
        return;
      }
    } else if (EqualsIgnoreCase(opt, "type")) {
      type = ctx.args[i + 1];
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  std::string after;
  if (cursor != 0) {
    auto position = ctx.server.scan_cursors().Find(cursor);
    if (!position || position->db != ctx.connection.db()) {
      ctx.reply.Error("ERR invalid cursor");
      return;
    }
    after = std::move(position->last_key);
  }
  std::vector<std::string> keys;
  storage::Status type_status;
  WalkResult walk =
      WalkKeys(ctx, ctx.connection.db(), std::move(after), pattern,
               static_cast<size_t>(std::min<int64_t>(count, 1 << 20)), [&](std::string& key) {
                 if (!type.empty()) {
                   std::string_view key_type;
                   storage::Status s = ctx.ks.Type(ctx.connection.db(), key, &key_type);
                   if (!s.ok() && type_status.ok()) type_status = s;
                   if (!s.ok() || !EqualsIgnoreCase(type, key_type)) return;
                 }
                 keys.push_back(std::move(key));
               });
  if (!walk.status.ok()) return ReplyStorageError(ctx, walk.status);
  if (!type_status.ok()) return ReplyStorageError(ctx, type_status);
  uint64_t next =
      walk.done ? 0 : ctx.server.scan_cursors().Save(ctx.connection.db(), std::move(walk.last_key));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.reply.Bulk(key);
}

// EXPIRE key seconds [NX | XX | GT | LT] and its PEXPIRE / EXPIREAT / PEXPIREAT forms.
void ExpireGeneric(CommandContext& ctx, bool seconds, bool absolute) {
  int64_t when = 0;
  if (!ParseInt64(ctx.args[2], &when)) {
    ctx.reply.Error(kNotIntegerError);
    return;
  }
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(opt, "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(opt, "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(opt, "lt")) {
      lt = true;
    } else {
      ctx.reply.Error("ERR Unsupported option " + std::string(opt));
      return;
    }
  }
  if (nx && (xx || gt || lt)) {
    ctx.reply.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return;
  }
  if (gt && lt) {
    ctx.reply.Error("ERR GT and LT options at the same time are not compatible");
    return;
  }
  const keyspace::ExpireCondition condition{nx, xx, gt, lt};
  const std::string invalid = "ERR invalid expire time in '" + ToLower(ctx.args[0]) + "' command";
  if (seconds && (when > INT64_MAX / 1000 || when < INT64_MIN / 1000)) {
    ctx.reply.Error(invalid);
    return;
  }
  if (seconds) when *= 1000;
  if (!absolute) {
    const auto now = static_cast<int64_t>(ctx.ks.NowMs());
    if ((when > 0 && now > INT64_MAX - when) || (when < 0 && now < INT64_MIN - when)) {
      ctx.reply.Error(invalid);
      return;
    }
    when += now;
  }
  bool applied = false;
  storage::Status status =
      ctx.ks.SetExpire(ctx.connection.db(), ctx.args[1], when, condition, &applied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(applied ? 1 : 0);
}
void ExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, true, false); }
void PExpireCommand(CommandContext& ctx) { ExpireGeneric(ctx, false, false); }
void ExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, true, true); }
void PExpireAtCommand(CommandContext& ctx) { ExpireGeneric(ctx, false, true); }

// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 absent, -1 no deadline; seconds round to nearest.
void TtlGeneric(CommandContext& ctx, bool ms, bool absolute) {
  int64_t value = 0;
  storage::Status status = absolute ? ctx.ks.ExpireTime(ctx.connection.db(), ctx.args[1], &value)
                                    : ctx.ks.Ttl(ctx.connection.db(), ctx.args[1], &value);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (value >= 0 && !ms) value = (value + 500) / 1000;
  ctx.reply.Integer(value);
}
void TtlCommand(CommandContext& ctx) { TtlGeneric(ctx, false, false); }
void PTtlCommand(CommandContext& ctx) { TtlGeneric(ctx, true, false); }
void ExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, false, true); }
void PExpireTimeCommand(CommandContext& ctx) { TtlGeneric(ctx, true, true); }

void PersistCommand(CommandContext& ctx) {
  bool applied = false;
  storage::Status status = ctx.ks.Persist(ctx.connection.db(), ctx.args[1], &applied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(applied ? 1 : 0);
}

const CommandSpec kKeyspaceCommands[] = {
    {"expire", -3, kCmdWrite | kCmdFast, 1, 1, 1, ExpireCommand, "generic", "1.0.0",
     "Sets the expiration time of a key in seconds.", "key seconds [NX | XX | GT | LT]"},
    {"pexpire", -3, kCmdWrite | kCmdFast, 1, 1, 1, PExpireCommand, "generic", "2.6.0",
     "Sets the expiration time of a key in milliseconds.", "key milliseconds [NX | XX | GT | LT]"},
    {"expireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, ExpireAtCommand, "generic", "1.2.0",
     "Sets the expiration time of a key to a Unix timestamp.",
     "key unix-time-seconds [NX | XX | GT | LT]"},
    {"pexpireat", -3, kCmdWrite | kCmdFast, 1, 1, 1, PExpireAtCommand, "generic", "2.6.0",
     "Sets the expiration time of a key to a Unix milliseconds timestamp.",
     "key unix-time-milliseconds [NX | XX | GT | LT]"},
    {"ttl", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, TtlCommand, "generic", "1.0.0",
     "Returns the expiration time in seconds of a key.", "key"},
    {"pttl", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, PTtlCommand, "generic", "2.6.0",
     "Returns the expiration time in milliseconds of a key.", "key"},
    {"expiretime", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, ExpireTimeCommand, "generic", "7.0.0",
     "Returns the expiration time of a key as a Unix timestamp.", "key"},
    {"pexpiretime", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, PExpireTimeCommand, "generic", "7.0.0",
     "Returns the expiration time of a key as a Unix milliseconds timestamp.", "key"},
    {"persist", 2, kCmdWrite | kCmdFast, 1, 1, 1, PersistCommand, "generic", "2.2.0",
     "Removes the expiration time of a key.", "key"},
    {"del", -2, kCmdWrite, 1, -1, 1, DelCommand, "generic", "1.0.0", "Deletes one or more keys.",
     "key [key ...]"},
    {"unlink", -2, kCmdWrite | kCmdFast, 1, -1, 1, DelCommand, "generic", "4.0.0",
     "Asynchronously deletes one or more keys.", "key [key ...]"},
    {"exists", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, ExistsCommand, "generic", "1.0.0",
     "Determines whether one or more keys exist.", "key [key ...]"},
    {"type", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, TypeCommand, "generic", "1.0.0",
     "Determines the type of value stored at a key.", "key"},
    {"keys", 2, kCmdReadOnly, 0, 0, 0, KeysCommand, "generic", "1.0.0",
     "Returns all key names that match a pattern.", "pattern"},
    {"scan", -2, kCmdReadOnly, 0, 0, 0, ScanCommand, "generic", "2.8.0",
     "Iterates over the key names in the database.",
     "cursor [MATCH pattern] [COUNT count] [TYPE type]"},
    {"dbsize", 1, kCmdReadOnly | kCmdFast, 0, 0, 0, DbSizeCommand, "server", "1.0.0",
     "Returns the number of keys in the database.", ""},
    {"flushdb", -1, kCmdWrite, 0, 0, 0, FlushDbCommand, "server", "1.0.0",
     "Removes all keys from the current database.", "[ASYNC | SYNC]"},
    {"flushall", -1, kCmdWrite, 0, 0, 0, FlushAllCommand, "server", "1.0.0",
     "Removes all keys from all databases.", "[ASYNC | SYNC]"},
};

}  // namespace

void RegisterKeyspaceCommands(CommandTable& table) {
  table.Register(kKeyspaceCommands, std::size(kKeyspaceCommands));
}

}  // namespace shale::server
