// Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS,
// HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN (Redis 7.0's t_hash.c: its replies, error
// texts and the order it checks arguments, types and values in).
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/scan_cursors.h"
#include "server/server.h"
#include "storage/coding.h"

namespace shale::server {

namespace {

using protocol::FormatLongDouble;
using protocol::ParseLongDouble;

constexpr std::string_view kInvalidCursor = "ERR invalid cursor";

// HSET / HMSET key field value [field value ...]: the pairs, or false after the arity error
// (Redis checks the count of arguments before the key).
bool FieldValuePairs(CommandContext& ctx,
                     std::vector<std::pair<std::string_view, std::string_view>>* pairs) {
  if (ctx.args.size() % 2 != 0) {
    ctx.reply.Error(WrongArityError(ctx.args[0]));
    return false;
  }
  pairs->reserve((ctx.args.size() - 2) / 2);
  for (size_t i = 2; i + 1 < ctx.args.size(); i += 2) {
    pairs->emplace_back(ctx.args[i], ctx.args[i + 1]);
  }
  return true;
}

void HSetCommand(CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  if (!FieldValuePairs(ctx, &pairs)) return;
  int64_t added = 0;
  storage::Status status = ctx.ks.HashSet(ctx.connection.db(), ctx.args[1], pairs, false, &added);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  Notify(ctx, kNotifyHash, "hset", ctx.args[1]);
  ctx.reply.Integer(added);
}

void HMSetCommand(CommandContext& ctx) {
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  if (!FieldValuePairs(ctx, &pairs)) return;
  int64_t added = 0;
  storage::Status status = ctx.ks.HashSet(ctx.connection.db(), ctx.args[1], pairs, false, &added);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  Notify(ctx, kNotifyHash, "hset", ctx.args[1]);
  ctx.reply.SimpleString("OK");
}

void HSetNxCommand(CommandContext& ctx) {
  int64_t added = 0;
  storage::Status status =
      ctx.ks.HashSet(ctx.connection.db(), ctx.args[1], {{ctx.args[2], ctx.args[3]}}, true, &added);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (added > 0) Notify(ctx, kNotifyHash, "hset", ctx.args[1]);
  ctx.reply.Integer(added);
}

// HGET, HEXISTS, HSTRLEN: the field's value; false after a storage error reply. *found false when
// the key or field is absent.
bool GetField(CommandContext& ctx, std::string* value, bool* found) {
  storage::Status status = ctx.ks.HashGet(ctx.connection.db(), ctx.args[1], ctx.args[2], value);
  *found = status.ok();
  if (status.ok() || status.IsNotFound()) return true;
  ReplyStorageError(ctx, status);
  return false;
}

void HGetCommand(CommandContext& ctx) {
  std::string value;
  bool found = false;
  if (!GetField(ctx, &value, &found)) return;
  if (!found) return ctx.reply.NullBulk();
  ctx.reply.Bulk(value);
}

void HExistsCommand(CommandContext& ctx) {
  std::string value;
  bool found = false;
  if (!GetField(ctx, &value, &found)) return;
  ctx.reply.Integer(found ? 1 : 0);
}

void HStrLenCommand(CommandContext& ctx) {
  std::string value;
  bool found = false;
  if (!GetField(ctx, &value, &found)) return;
  ctx.reply.Integer(found ? static_cast<int64_t>(value.size()) : 0);
}

void HMGetCommand(CommandContext& ctx) {
  const std::vector<std::string_view> fields(ctx.args.begin() + 2, ctx.args.end());
  std::vector<std::string> values;
  std::vector<bool> found;
  storage::Status status =
      ctx.ks.HashMultiGet(ctx.connection.db(), ctx.args[1], fields, &values, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplyBulksOrNulls(ctx.reply, values, found);
}

void HDelCommand(CommandContext& ctx) {
  const std::vector<std::string_view> fields(ctx.args.begin() + 2, ctx.args.end());
  int64_t removed = 0;
  storage::Status status = ctx.ks.HashDelete(ctx.connection.db(), ctx.args[1], fields, &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) NotifyRemoval(ctx, kNotifyHash, "hdel", ctx.args[1]);
  ctx.reply.Integer(removed);
}

void HLenCommand(CommandContext& ctx) {
  int64_t length = 0;
  storage::Status status = ctx.ks.HashLength(ctx.connection.db(), ctx.args[1], &length);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(length);
}

void HKeysCommand(CommandContext& ctx) {
  std::vector<std::string> out;
  storage::Status status = ctx.ks.HashEntries(ctx.connection.db(), ctx.args[1], true, false, &out);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

void HValsCommand(CommandContext& ctx) {
  std::vector<std::string> out;
  storage::Status status = ctx.ks.HashEntries(ctx.connection.db(), ctx.args[1], false, true, &out);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.ArrayHeader(out.size());
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

// A map in RESP3, a flat array of field, value in RESP2.
void HGetAllCommand(CommandContext& ctx) {
  std::vector<std::string> out;
  storage::Status status = ctx.ks.HashEntries(ctx.connection.db(), ctx.args[1], true, true, &out);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.MapHeader(out.size() / 2);
  for (const std::string& s : out) ctx.reply.Bulk(s);
}

// HINCRBY key field increment: the increment is checked before the key's type.
void HIncrByCommand(CommandContext& ctx) {
  int64_t increment = 0;
  if (!ParseInt64(ctx.args[3], &increment)) return ctx.reply.Error(kNotIntegerError);
  std::string_view error;
  int64_t result = 0;
  storage::Status status =
      ctx.ks.HashUpdate(ctx.connection.db(), ctx.args[1], ctx.args[2],
                        [&](const std::string_view* old, std::string* value) {
                          int64_t current = 0;
                          if (old != nullptr && !ParseInt64(*old, &current)) {
                            error = "ERR hash value is not an integer";
                            return false;
                          }
                          if ((increment < 0 && current < 0 && increment < INT64_MIN - current) ||
                              (increment > 0 && current > 0 && increment > INT64_MAX - current)) {
                            error = "ERR increment or decrement would overflow";
                            return false;
                          }
                          result = current + increment;
                          *value = std::to_string(result);
                          return true;
                        });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!error.empty()) return ctx.reply.Error(error);
  Notify(ctx, kNotifyHash, "hincrby", ctx.args[1]);
  ctx.reply.Integer(result);
}

// HINCRBYFLOAT key field increment: the increment (a finite long double) is checked before the
// key's type; the result is written as INCRBYFLOAT writes it.
void HIncrByFloatCommand(CommandContext& ctx) {
  long double increment = 0;
  if (!ParseLongDouble(ctx.args[3], &increment)) {
    return ctx.reply.Error("ERR value is not a valid float");
  }
  if (std::isnan(increment) || std::isinf(increment)) {
    return ctx.reply.Error("ERR value is NaN or Infinity");
  }
  std::string_view error;
  std::string result;
  storage::Status status =
      ctx.ks.HashUpdate(ctx.connection.db(), ctx.args[1], ctx.args[2],
                        [&](const std::string_view* old, std::string* value) {
                          long double current = 0;
                          if (old != nullptr && !ParseLongDouble(*old, &current)) {
                            error = "ERR hash value is not a float";
                            return false;
                          }
                          current += increment;
                          if (std::isnan(current) || std::isinf(current)) {
                            error = "ERR increment would produce NaN or Infinity";
                            return false;
                          }
                          result = FormatLongDouble(current);
                          *value = result;
                          return true;
                        });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!error.empty()) return ctx.reply.Error(error);
  Notify(ctx, kNotifyHash, "hincrbyfloat", ctx.args[1]);
  // The result, not the increment, so float rounding cannot make replicas differ.
  PropagateAs(ctx, {"HSET", ctx.args[1], ctx.args[2], result});
  ctx.reply.Bulk(result);
}

// HRANDFIELD key [count [WITHVALUES]]: without a count one field (nil when absent); with one, a
// negative count draws that many with repeats, a positive one up to that many distinct fields.
// WITHVALUES pairs each field with its value: flat in RESP2, a two-element array each in RESP3.
void HRandFieldCommand(CommandContext& ctx) {
  const int db = ctx.connection.db();
  std::vector<std::string> out;
  bool found = false;
  if (ctx.args.size() == 2) {
    storage::Status status =
        ctx.ks.HashRandomFields(db, ctx.args[1], 1, false, false, &out, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (out.empty()) return ctx.reply.NullBulk();
    return ctx.reply.Bulk(out[0]);
  }
  int64_t count = 0;
  if (!ParseInt64(ctx.args[2], &count)) return ctx.reply.Error(kNotIntegerError);
  if (count == INT64_MIN) {
    return ctx.reply.Error(
        "ERR value is out of range, value must between -9223372036854775807 and "
        "9223372036854775807");
  }
  const bool with_values = ctx.args.size() == 4;
  if (ctx.args.size() > 4 || (with_values && !EqualsIgnoreCase(ctx.args[3], "withvalues"))) {
    return ctx.reply.Error(kSyntaxError);
  }
  if (with_values && (count < -(INT64_MAX / 2) || count > INT64_MAX / 2)) {
    return ctx.reply.Error("ERR value is out of range");
  }
  const bool repeats = count < 0;
  const uint64_t n = repeats ? static_cast<uint64_t>(-count) : static_cast<uint64_t>(count);
  storage::Status status =
      ctx.ks.HashRandomFields(db, ctx.args[1], n, repeats, with_values, &out, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!with_values) {
    ctx.reply.ArrayHeader(out.size());
    for (const std::string& field : out) ctx.reply.Bulk(field);
    return;
  }
  const bool nested = ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(nested ? out.size() / 2 : out.size());
  for (size_t i = 0; i + 1 < out.size(); i += 2) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(out[i]);
    ctx.reply.Bulk(out[i + 1]);
  }
}

// An HSCAN position in the server's cursor table: the hash's name (so a cursor of another key or
// of SCAN is refused) and the last field returned.
std::string EncodeHashPosition(std::string_view key, std::string_view field) {
  std::string position = "H";
  storage::PutFixed32(&position, static_cast<uint32_t>(key.size()));
  position.append(key);
  position.append(field);
  return position;
}
bool DecodeHashPosition(std::string_view position, std::string_view key, std::string* field) {
  if (position.size() < 5 || position[0] != 'H') return false;
  const uint32_t n = storage::DecodeFixed32(position.data() + 1);
  if (position.size() - 5 < n || position.substr(5, n) != key) return false;
  field->assign(position.substr(5 + n));
  return true;
}

// HSCAN key cursor [MATCH pattern] [COUNT count]: the cursor is read first, then the key (an
// absent key answers an empty scan without looking at the options), then the options. A hash in
// Redis's compact encoding is answered whole with cursor 0, whatever the cursor, as Redis does;
// a larger one returns about COUNT fields a call, resuming after the last field returned.
void HScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseElementScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error(kInvalidCursor);
  const int db = ctx.connection.db();
  int64_t length = 0;
  storage::Status status = ctx.ks.HashLength(db, ctx.args[1], &length);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (length == 0) {
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk("0");
    ctx.reply.ArrayHeader(0);
    return;
  }
  std::string_view pattern = "*";
  int64_t count = 10;
  const std::string_view error = ParseElementScanOptions(ctx.args, 3, &pattern, &count);
  if (!error.empty()) return ctx.reply.Error(error);
  std::string after;
  bool resume = false;
  if (cursor != 0) {
    auto position = ctx.server.scan_cursors().Find(cursor);
    resume = position && position->db == db &&
             DecodeHashPosition(position->last_key, ctx.args[1], &after);
  }
  std::vector<std::string> out;
  bool done = true;
  status = ctx.ks.HashScan(db, ctx.args[1], resume ? &after : nullptr,
                           static_cast<size_t>(std::min<int64_t>(count, 1 << 20)), &out, &done);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  // A large hash resumes only from a cursor this server handed out for it (a compact one is
  // answered whole, whatever the cursor, with cursor 0).
  if (cursor != 0 && !resume && !done) return ctx.reply.Error(kInvalidCursor);
  const uint64_t next = done || out.empty()
                            ? 0
                            : ctx.server.scan_cursors().Save(
                                  db, EncodeHashPosition(ctx.args[1], out[out.size() - 2]));
  const bool match_all = pattern == "*";
  size_t matched = 0;
  for (size_t i = 0; i + 1 < out.size(); i += 2) {
    if (match_all || GlobMatch(pattern, out[i])) {
      if (matched != i) {
        out[matched] = std::move(out[i]);
        out[matched + 1] = std::move(out[i + 1]);
      }
      matched += 2;
    }
  }
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  ctx.reply.ArrayHeader(matched);
  for (size_t i = 0; i < matched; ++i) ctx.reply.Bulk(out[i]);
}

const CommandSpec kHashCommands[] = {
    {"hset", -4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, HSetCommand, "hash", "2.0.0",
     "Creates or modifies the value of a field in a hash.", "key field value [field value ...]"},
    {"hmset", -4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, HMSetCommand, "hash", "2.0.0",
     "Sets the values of multiple fields.", "key field value [field value ...]"},
    {"hsetnx", 4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, HSetNxCommand, "hash", "2.0.0",
     "Sets the value of a field in a hash only when the field doesn't exist.", "key field value"},
    {"hget", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, HGetCommand, "hash", "2.0.0",
     "Returns the value of a field in a hash.", "key field"},
    {"hmget", -3, kCmdReadOnly | kCmdFast, 1, 1, 1, HMGetCommand, "hash", "2.0.0",
     "Returns the values of all fields in a hash.", "key field [field ...]"},
    {"hdel", -3, kCmdWrite | kCmdFast, 1, 1, 1, HDelCommand, "hash", "2.0.0",
     "Deletes one or more fields and their values from a hash. Deletes the hash if no fields "
     "remain.",
     "key field [field ...]"},
    {"hlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, HLenCommand, "hash", "2.0.0",
     "Returns the number of fields in a hash.", "key"},
    {"hstrlen", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, HStrLenCommand, "hash", "3.2.0",
     "Returns the length of the value of a field.", "key field"},
    {"hexists", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, HExistsCommand, "hash", "2.0.0",
     "Determines whether a field exists in a hash.", "key field"},
    {"hkeys", 2, kCmdReadOnly, 1, 1, 1, HKeysCommand, "hash", "2.0.0",
     "Returns all fields in a hash.", "key"},
    {"hvals", 2, kCmdReadOnly, 1, 1, 1, HValsCommand, "hash", "2.0.0",
     "Returns all values in a hash.", "key"},
    {"hgetall", 2, kCmdReadOnly, 1, 1, 1, HGetAllCommand, "hash", "2.0.0",
     "Returns all fields and values in a hash.", "key"},
    {"hincrby", 4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, HIncrByCommand, "hash", "2.0.0",
     "Increments the integer value of a field in a hash by a number. Uses 0 as initial value if "
     "the field doesn't exist.",
     "key field increment"},
    {"hincrbyfloat", 4, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, HIncrByFloatCommand, "hash",
     "2.6.0",
     "Increments the floating point value of a field by a number. Uses 0 as initial value if the "
     "field doesn't exist.",
     "key field increment"},
    {"hrandfield", -2, kCmdReadOnly, 1, 1, 1, HRandFieldCommand, "hash", "6.2.0",
     "Returns one or more random fields from a hash.", "key [count [WITHVALUES]]"},
    {"hscan", -3, kCmdReadOnly, 1, 1, 1, HScanCommand, "hash", "2.8.0",
     "Iterates over fields and values of a hash.", "key cursor [MATCH pattern] [COUNT count]"},
};

}  // namespace

void RegisterHashCommands(CommandTable& table) {
  table.Register(kHashCommands, std::size(kHashCommands));
}

}  // namespace shale::server
