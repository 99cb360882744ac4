// Keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, DBSIZE, FLUSHDB, FLUSHALL
// (Redis's db.c).
#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/server.h"
#include "storage/db.h"

namespace shale::server {

namespace {

std::vector<std::string_view> KeysFrom(const CommandContext& ctx, size_t first) {
  return std::vector<std::string_view>(ctx.args.begin() + static_cast<ptrdiff_t>(first),
                                       ctx.args.end());
}

void DelCommand(CommandContext& ctx) {
  int64_t removed = 0;
  storage::Status status = ctx.db.Delete(ctx.connection.db(), KeysFrom(ctx, 1), &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(removed);
}

void ExistsCommand(CommandContext& ctx) {
  int64_t count = 0;
  storage::Status status = ctx.db.Exists(ctx.connection.db(), KeysFrom(ctx, 1), &count);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(count);
}

void TypeCommand(CommandContext& ctx) {
  int64_t count = 0;
  storage::Status status = ctx.db.Exists(ctx.connection.db(), {ctx.args[1]}, &count);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString(count > 0 ? "string" : "none");
}

void DbSizeCommand(CommandContext& ctx) {
  ctx.reply.Integer(static_cast<int64_t>(ctx.db.KeyCount(ctx.connection.db())));
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
  storage::Status status = ctx.db.FlushDb(ctx.connection.db());
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.SimpleString("OK");
}

void FlushAllCommand(CommandContext& ctx) {
  if (!ParseFlushMode(ctx)) return;
  storage::Status status = ctx.db.FlushAll();
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
    result.status = ctx.db.Scan(db, after, prefix, want, &batch, &result.done);
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
  // Every key is a string: TYPE string keeps all, any other type name none.
  bool type_matches = type.empty() || EqualsIgnoreCase(type, "string");
  std::vector<std::string> keys;
  WalkResult walk =
      WalkKeys(ctx, ctx.connection.db(), std::move(after), pattern,
               static_cast<size_t>(std::min<int64_t>(count, 1 << 20)), [&](std::string& key) {
                 if (type_matches) keys.push_back(std::move(key));
               });
  if (!walk.status.ok()) return ReplyStorageError(ctx, walk.status);
  uint64_t next =
      walk.done ? 0 : ctx.server.scan_cursors().Save(ctx.connection.db(), std::move(walk.last_key));
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(keys.size());
  for (const std::string& key : keys) ctx.reply.Bulk(key);
}

const CommandSpec kKeyspaceCommands[] = {
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
