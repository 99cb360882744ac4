// Keyspace commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, KEYS, SCAN, RANDOMKEY, DBSIZE, RENAME,
// RENAMENX, COPY, MOVE, SWAPDB, FLUSHDB, FLUSHALL (Redis's db.c), DUMP and RESTORE (cluster.c),
// and the time to live: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL,
// EXPIRETIME, PEXPIRETIME, PERSIST (Redis's expire.c).
#include "server/keyspace/keyspace.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/keyspace/rdb.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

std::vector<std::string_view> KeysFrom(const CommandContext& ctx, size_t first) {
  return std::vector<std::string_view>(ctx.args.begin() + static_cast<ptrdiff_t>(first),
                                       ctx.args.end());
}

// The distinct keys of `keys` that are live now: the ones a DEL will report as deleted.
storage::Status LiveKeys(CommandContext& ctx, const std::vector<std::string_view>& keys,
                         std::vector<std::string_view>* live) {
  for (std::string_view key : keys) {
    if (std::find(live->begin(), live->end(), key) != live->end()) continue;
    keyspace::KeyState state = keyspace::KeyState::kAbsent;
    storage::Status status = ctx.ks.Peek(ctx.connection.db(), key, &state);
    if (!status.ok()) return status;
    if (state == keyspace::KeyState::kLive) live->push_back(key);
  }
  return storage::Status::Ok();
}

// DEL / UNLINK: one "del" event per key deleted, which only a look before the (atomic)
// deletion can tell apart; it is taken only when the event is published.
void DelCommand(CommandContext& ctx) {
  const std::vector<std::string_view> keys = KeysFrom(ctx, 1);
  std::vector<std::string_view> live;
  if (NotifyEnabled(ctx.server, kNotifyGeneric)) {
    storage::Status status = LiveKeys(ctx, keys, &live);
    if (!status.ok()) return ReplyStorageError(ctx, status);
  }
  int64_t removed = 0;
  storage::Status status = ctx.ks.Delete(ctx.connection.db(), keys, &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  for (std::string_view key : live) Notify(ctx, kNotifyGeneric, "del", key);
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
  if (applied) {
    // A deadline not in the future deleted the key. Replicas get DEL or the absolute deadline
    // (PEXPIREAT, with the condition the client gave).
    const bool deleted = when <= static_cast<int64_t>(ctx.ks.NowMs());
    Notify(ctx, kNotifyGeneric, deleted ? "del" : "expire", ctx.args[1]);
    if (deleted) {
      PropagateAs(ctx, {"DEL", ctx.args[1]});
    } else {
      const std::string deadline = std::to_string(when);
      std::vector<std::string_view> argv = {"PEXPIREAT", ctx.args[1], deadline};
      argv.insert(argv.end(), ctx.args.begin() + 3, ctx.args.end());
      PropagateAs(ctx, argv);
    }
  }
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

// Redis's getIntFromObjectOrReply: a strict decimal that fits an int.
bool ParseInt(std::string_view text, int* value) {
  int64_t n = 0;
  if (!ParseInt64(text, &n) || n < std::numeric_limits<int>::min() ||
      n > std::numeric_limits<int>::max()) {
    return false;
  }
  *value = static_cast<int>(n);
  return true;
}

constexpr std::string_view kNoSuchKeyError = "ERR no such key";
constexpr std::string_view kSameObjectError = "ERR source and destination objects are the same";
constexpr std::string_view kDbIndexOutOfRangeError = "ERR DB index is out of range";

// A destination database argument (MOVE, COPY ... DB): false after replying the error.
bool ParseDbArgument(CommandContext& ctx, std::string_view text, int* db) {
  int64_t n = 0;
  if (!ParseInt64(text, &n)) {
    ctx.reply.Error(kNotIntegerError);
    return false;
  }
  if (!ParseInt(text, db)) {
    ctx.reply.Error("ERR value is out of range, value must between -2147483648 and 2147483647");
    return false;
  }
  if (*db < 0 || *db >= ctx.ks.databases()) {
    ctx.reply.Error(kDbIndexOutOfRangeError);
    return false;
  }
  return true;
}

// RENAME key newkey / RENAMENX key newkey
void RenameGeneric(CommandContext& ctx, bool if_absent) {
  bool applied = false;
  storage::Status status =
      ctx.ks.Rename(ctx.connection.db(), ctx.args[1], ctx.args[2], if_absent, &applied);
  if (status.IsNotFound()) return ctx.reply.Error(kNoSuchKeyError);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (applied && ctx.args[1] != ctx.args[2]) {
    Notify(ctx, kNotifyGeneric, "rename_from", ctx.args[1]);
    Notify(ctx, kNotifyGeneric, "rename_to", ctx.args[2]);
  }
  if (if_absent) {
    ctx.reply.Integer(applied ? 1 : 0);
  } else {
    ctx.reply.SimpleString("OK");
  }
}
void RenameCommand(CommandContext& ctx) { RenameGeneric(ctx, false); }
void RenameNxCommand(CommandContext& ctx) { RenameGeneric(ctx, true); }

// COPY source destination [DB destination-db] [REPLACE]
void CopyCommand(CommandContext& ctx) {
  const int db = ctx.connection.db();
  int to_db = db;
  bool replace = false;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(ctx.args[i], "db") && i + 1 < ctx.args.size()) {
      if (!ParseDbArgument(ctx, ctx.args[++i], &to_db)) return;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (to_db == db && ctx.args[1] == ctx.args[2]) return ctx.reply.Error(kSameObjectError);
  bool copied = false;
  storage::Status status = ctx.ks.Copy(db, ctx.args[1], to_db, ctx.args[2], replace, &copied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (copied) NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "copy_to", to_db, ctx.args[2]);
  ctx.reply.Integer(copied ? 1 : 0);
}

// MOVE key db
void MoveCommand(CommandContext& ctx) {
  int to_db = 0;
  if (!ParseDbArgument(ctx, ctx.args[2], &to_db)) return;
  if (to_db == ctx.connection.db()) return ctx.reply.Error(kSameObjectError);
  bool moved = false;
  storage::Status status = ctx.ks.Move(ctx.connection.db(), ctx.args[1], to_db, &moved);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (moved) {
    Notify(ctx, kNotifyGeneric, "move_from", ctx.args[1]);
    NotifyKeyspaceEvent(ctx.server, kNotifyGeneric, "move_to", to_db, ctx.args[1]);
  }
  ctx.reply.Integer(moved ? 1 : 0);
}

// SWAPDB index1 index2: one write of the database map (format.h), whatever the databases hold.
void SwapDbCommand(CommandContext& ctx) {
  int a = 0;
  int b = 0;
  if (!ParseInt(ctx.args[1], &a)) return ctx.reply.Error("ERR invalid first DB index");
  if (!ParseInt(ctx.args[2], &b)) return ctx.reply.Error("ERR invalid second DB index");
  if (a < 0 || a >= ctx.ks.databases() || b < 0 || b >= ctx.ks.databases()) {
    return ctx.reply.Error(kDbIndexOutOfRangeError);
  }
  storage::Status status = ctx.ks.SwapDb(a, b);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  // Propagated even when both databases are empty, as Redis does (it always counts a change).
  ForcePropagation(ctx);
  ctx.reply.SimpleString("OK");
}

void RandomKeyCommand(CommandContext& ctx) {
  std::string key;
  storage::Status status = ctx.ks.RandomKey(ctx.connection.db(), &key);
  if (status.IsNotFound()) return ctx.reply.NullBulk();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Bulk(key);
}

// TOUCH key [key ...]: the keys that exist (a key named twice counts twice); each one's access
// time becomes now (OBJECT IDLETIME starts again from 0).
void TouchCommand(CommandContext& ctx) {
  int64_t count = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    int64_t exists = 0;
    storage::Status status = ctx.ks.Exists(ctx.connection.db(), {ctx.args[i]}, &exists);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (exists == 0) continue;
    ++count;
    ctx.server.NoteTouched(ctx.connection.db(), ctx.args[i]);
  }
  ctx.reply.Integer(count);
}

// DUMP key: the value, of any type, in Redis's serialization format (server/keyspace/rdb.h),
// nil when absent.
void DumpCommand(CommandContext& ctx) {
  keyspace::DumpedValue value;
  bool found = false;
  storage::Status status = ctx.ks.ReadValue(ctx.connection.db(), ctx.args[1], &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!found) return ctx.reply.NullBulk();
  ctx.reply.Bulk(keyspace::DumpValue(value));
}

// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
// IDLETIME and FREQ are checked as Redis checks them; Shale keeps no access times or counts.
void RestoreCommand(CommandContext& ctx) {
  bool replace = false;
  bool absolute = false;
  int64_t idle = -1;
  int64_t freq = -1;
  for (size_t i = 4; i < ctx.args.size(); ++i) {
    const std::string_view opt = ctx.args[i];
    const bool has_next = i + 1 < ctx.args.size();
    if (EqualsIgnoreCase(opt, "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(opt, "absttl")) {
      absolute = true;
    } else if (EqualsIgnoreCase(opt, "idletime") && has_next && freq == -1) {
      if (!ParseInt64(ctx.args[++i], &idle)) return ctx.reply.Error(kNotIntegerError);
      if (idle < 0) return ctx.reply.Error("ERR Invalid IDLETIME value, must be >= 0");
    } else if (EqualsIgnoreCase(opt, "freq") && has_next && idle == -1) {
      if (!ParseInt64(ctx.args[++i], &freq)) return ctx.reply.Error(kNotIntegerError);
      if (freq < 0 || freq > 255) {
        return ctx.reply.Error("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  const int db = ctx.connection.db();
  if (!replace) {
    int64_t exists = 0;
    storage::Status status = ctx.ks.Exists(db, {ctx.args[1]}, &exists);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (exists != 0) return ctx.reply.Error("BUSYKEY Target key name already exists.");
  }
  int64_t ttl = 0;
  if (!ParseInt64(ctx.args[2], &ttl)) return ctx.reply.Error(kNotIntegerError);
  if (ttl < 0) return ctx.reply.Error("ERR Invalid TTL value, must be >= 0");
  keyspace::DumpedValue value;
  switch (keyspace::DecodeDumpPayload(ctx.args[3], &value)) {
    case keyspace::DumpPayloadStatus::kOk:
      break;
    case keyspace::DumpPayloadStatus::kBadVersionOrChecksum:
      return ctx.reply.Error("ERR DUMP payload version or checksum are wrong");
    case keyspace::DumpPayloadStatus::kBadFormat:
      return ctx.reply.Error("ERR Bad data format");
  }
  uint64_t expire_ms = 0;
  if (ttl != 0) {
    const auto now = static_cast<int64_t>(ctx.ks.NowMs());
    if (absolute) {
      expire_ms = static_cast<uint64_t>(ttl);
    } else {
      expire_ms = static_cast<uint64_t>(ttl > INT64_MAX - now ? INT64_MAX : ttl + now);
    }
  }
  // A deadline already past: the key is not created (with REPLACE, the old one goes, which is
  // its "del" event).
  const bool past = expire_ms != 0 && expire_ms <= ctx.ks.NowMs();
  std::vector<std::string_view> replaced;
  if (past && replace && NotifyEnabled(ctx.server, kNotifyGeneric)) {
    storage::Status status = LiveKeys(ctx, {ctx.args[1]}, &replaced);
    if (!status.ok()) return ReplyStorageError(ctx, status);
  }
  storage::Status status = ctx.ks.WriteValue(db, ctx.args[1], value, expire_ms);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  // A relative TTL goes to replicas as the absolute deadline (ABSTTL); a past one as DEL.
  if (past) {
    PropagateAs(ctx, {"DEL", ctx.args[1]});
  } else if (ttl != 0 && !absolute) {
    const std::string deadline = std::to_string(expire_ms);
    std::vector<std::string_view> argv(ctx.args.begin(), ctx.args.end());
    argv[2] = deadline;
    argv.emplace_back("ABSTTL");
    PropagateAs(ctx, argv);
  }
  if (!past) {
    Notify(ctx, kNotifyGeneric, "restore", ctx.args[1]);
  } else if (!replaced.empty()) {
    Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
  }
  ctx.reply.SimpleString("OK");
}

void PersistCommand(CommandContext& ctx) {
  bool applied = false;
  storage::Status status = ctx.ks.Persist(ctx.connection.db(), ctx.args[1], &applied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (applied) Notify(ctx, kNotifyGeneric, "persist", ctx.args[1]);
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
    {"rename", 3, kCmdWrite, 1, 2, 1, RenameCommand, "generic", "1.0.0",
     "Renames a key and overwrites the destination.", "key newkey"},
    {"renamenx", 3, kCmdWrite | kCmdFast, 1, 2, 1, RenameNxCommand, "generic", "1.0.0",
     "Renames a key only when the target key name doesn't exist.", "key newkey"},
    {"copy", -3, kCmdWrite | kCmdDenyOom, 1, 2, 1, CopyCommand, "generic", "6.2.0",
     "Copies the value of a key to a new key.", "source destination [DB destination-db] [REPLACE]"},
    {"move", 3, kCmdWrite | kCmdFast, 1, 1, 1, MoveCommand, "generic", "1.0.0",
     "Moves a key to another database.", "key db"},
    {"swapdb", 3, kCmdWrite | kCmdFast, 0, 0, 0, SwapDbCommand, "server", "4.0.0",
     "Swaps two Redis databases.", "index1 index2"},
    {"randomkey", 1, kCmdReadOnly, 0, 0, 0, RandomKeyCommand, "generic", "1.0.0",
     "Returns a random key name from the database.", ""},
    {"touch", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, TouchCommand, "generic", "3.2.1",
     "Returns the number of existing keys out of those specified after updating the time they were "
     "last accessed.",
     "key [key ...]"},
    {"dump", 2, kCmdReadOnly, 1, 1, 1, DumpCommand, "generic", "2.6.0",
     "Returns a serialized representation of the value stored at a key.", "key"},
    {"restore", -4, kCmdWrite | kCmdDenyOom, 1, 1, 1, RestoreCommand, "generic", "2.6.0",
     "Creates a key from the serialized representation of a value.",
     "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]"},
};

}  // namespace

void RegisterKeyspaceCommands(CommandTable& table) {
  table.Register(kKeyspaceCommands, std::size(kKeyspaceCommands));
}

}  // namespace shale::server
