// String commands: GET, SET, SETEX, PSETEX, SETNX, GETSET, GETDEL, GETEX, MGET, MSET, MSETNX,
// INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE, LCS
// (Redis's t_string.c).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

void GetCommand(CommandContext& ctx) {
  std::string value;
  storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[1], &value);
  if (status.IsNotFound()) {
    ctx.server.KeyMiss(ctx.connection.db(), ctx.args[1]);
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

// SET's events: "set", and "expire" when it gave the key a deadline.
void NotifySet(CommandContext& ctx, const keyspace::SetOptions& options,
               const keyspace::SetResult& result) {
  if (!result.applied) return;
  Notify(ctx, kNotifyString, "set", ctx.args[1]);
  if (options.expire_ms != 0) Notify(ctx, kNotifyGeneric, "expire", ctx.args[1]);
}

// A SET that gave the key a deadline goes to replicas as SET key value PXAT ms, so every replica
// expires it at the same moment (Redis 7's rule, whatever form the deadline took).
void PropagateSet(CommandContext& ctx, const keyspace::SetOptions& options,
                  const keyspace::SetResult& result, std::string_view value) {
  if (!result.applied || options.expire_ms == 0) return;
  const std::string deadline = std::to_string(options.expire_ms);
  PropagateAs(ctx, {"SET", ctx.args[1], value, "PXAT", deadline});
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
  NotifySet(ctx, options, result);
  PropagateSet(ctx, options, result, ctx.args[2]);
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
  NotifySet(ctx, options, result);
  PropagateSet(ctx, options, result, ctx.args[3]);
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
  NotifySet(ctx, options, result);
  ctx.reply.Integer(result.applied ? 1 : 0);
}

void GetSetCommand(CommandContext& ctx) {
  keyspace::SetOptions options;
  options.get = true;
  keyspace::SetResult result;
  storage::Status status =
      ctx.ks.Set(ctx.connection.db(), ctx.args[1], ctx.args[2], options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  NotifySet(ctx, options, result);
  ReplySetResult(ctx, options, result);
}

// The reply of a read of the string at args[1].
void ReplyValueOrNil(CommandContext& ctx, const storage::Status& status, const std::string& value) {
  if (status.IsNotFound()) {
    ctx.server.KeyMiss(ctx.connection.db(), ctx.args[1]);
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
  storage::Status status = ctx.ks.GetDel(ctx.connection.db(), ctx.args[1], &value);
  if (status.ok()) {
    Notify(ctx, kNotifyGeneric, "del", ctx.args[1]);
    PropagateAs(ctx, {"DEL", ctx.args[1]});
  }
  ReplyValueOrNil(ctx, status, value);
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
  // PERSIST reports "persist" (and goes to replicas) only when the key had a deadline to drop.
  int64_t ttl = -1;
  if (options.action == Action::kPersist &&
      (NotifyEnabled(ctx.server, kNotifyGeneric) || ctx.server.replication().active())) {
    storage::Status status = ctx.ks.Ttl(ctx.connection.db(), ctx.args[1], &ttl);
    if (!status.ok()) return ReplyStorageError(ctx, status);
  }
  storage::Status status = ctx.ks.GetEx(ctx.connection.db(), ctx.args[1], options, &value);
  // Replicas get the change as PEXPIREAT, DEL or PERSIST; a GETEX that changed nothing, nothing.
  PropagateNothing(ctx);
  if (status.ok()) {
    if (options.action == Action::kSet) {
      // A deadline already passed deletes the key.
      const bool deleted = options.expire_ms <= ctx.ks.NowMs();
      Notify(ctx, kNotifyGeneric, deleted ? "del" : "expire", ctx.args[1]);
      const std::string deadline = std::to_string(options.expire_ms);
      if (deleted) {
        PropagateAs(ctx, {"DEL", ctx.args[1]});
      } else {
        PropagateAs(ctx, {"PEXPIREAT", ctx.args[1], deadline});
      }
    } else if (options.action == Action::kPersist && ttl >= 0) {
      Notify(ctx, kNotifyGeneric, "persist", ctx.args[1]);
      PropagateAs(ctx, {"PERSIST", ctx.args[1]});
    }
  }
  ReplyValueOrNil(ctx, status, value);
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
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    if (!found[i - 1]) ctx.server.KeyMiss(ctx.connection.db(), ctx.args[i]);
  }
  ReplyBulksOrNulls(ctx.reply, values, found);
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
  for (const auto& [key, value] : pairs) Notify(ctx, kNotifyString, "set", key);
  ctx.reply.SimpleString("OK");
}

void MSetNxCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) {
    ctx.reply.Error(WrongArityError("msetnx"));
    return;
  }
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  pairs.reserve((ctx.args.size() - 1) / 2);
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    pairs.emplace_back(ctx.args[i], ctx.args[i + 1]);
  }
  bool applied = false;
  storage::Status status = ctx.ks.MultiSetIfNoneExist(ctx.connection.db(), pairs, &applied);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (applied) {
    for (const auto& [key, value] : pairs) Notify(ctx, kNotifyString, "set", key);
  }
  ctx.reply.Integer(applied ? 1 : 0);
}

// --- counters ---

constexpr std::string_view kOverflowError = "ERR increment or decrement would overflow";
constexpr std::string_view kNotFloatError = "ERR value is not a valid float";
constexpr std::string_view kNanOrInfinityError = "ERR increment would produce NaN or Infinity";
constexpr std::string_view kMaxSizeError =
    "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
using protocol::FormatLongDouble;
using protocol::ParseLongDouble;

// INCR/DECR/INCRBY/DECRBY: one read-modify-write; the reply is the new value.
void IncrementBy(CommandContext& ctx, int64_t increment) {
  std::string_view error;
  int64_t result = 0;
  storage::Status status = ctx.ks.RewriteString(
      ctx.connection.db(), ctx.args[1],
      [&](const std::string_view* old, keyspace::StringWrite* write) {
        int64_t value = 0;
        if (old != nullptr && !ParseInt64(*old, &value)) {
          error = kNotIntegerError;
          return false;
        }
        if ((increment < 0 && value < 0 && increment < INT64_MIN - value) ||
            (increment > 0 && value > 0 && increment > INT64_MAX - value)) {
          error = kOverflowError;
          return false;
        }
        result = value + increment;
        write->value = std::to_string(result);
        write->encoding = keyspace::StringEncoding::kAuto;  // an integer: "int"
        return true;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!error.empty()) return ctx.reply.Error(error);
  Notify(ctx, kNotifyString, "incrby", ctx.args[1]);
  ctx.reply.Integer(result);
}

void IncrCommand(CommandContext& ctx) { IncrementBy(ctx, 1); }
void DecrCommand(CommandContext& ctx) { IncrementBy(ctx, -1); }

void IncrByCommand(CommandContext& ctx) {
  int64_t increment = 0;
  if (!ParseInt64(ctx.args[2], &increment)) return ctx.reply.Error(kNotIntegerError);
  IncrementBy(ctx, increment);
}

void DecrByCommand(CommandContext& ctx) {
  int64_t decrement = 0;
  if (!ParseInt64(ctx.args[2], &decrement)) return ctx.reply.Error(kNotIntegerError);
  if (decrement == INT64_MIN) return ctx.reply.Error("ERR decrement would overflow");
  IncrementBy(ctx, -decrement);
}

void IncrByFloatCommand(CommandContext& ctx) {
  std::string_view error;
  std::string result;
  storage::Status status = ctx.ks.RewriteString(
      ctx.connection.db(), ctx.args[1],
      [&](const std::string_view* old, keyspace::StringWrite* write) {
        long double value = 0;
        long double increment = 0;
        // As Redis: the stored value is checked before the increment.
        if ((old != nullptr && !ParseLongDouble(*old, &value)) ||
            !ParseLongDouble(ctx.args[2], &increment)) {
          error = kNotFloatError;
          return false;
        }
        value += increment;
        if (std::isnan(value) || std::isinf(value)) {
          error = kNanOrInfinityError;
          return false;
        }
        result = FormatLongDouble(value);
        write->value = result;
        write->encoding = keyspace::StringEncoding::kPlain;  // never "int", as in Redis
        return true;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!error.empty()) return ctx.reply.Error(error);
  Notify(ctx, kNotifyString, "incrbyfloat", ctx.args[1]);
  // The sum, not the increment, so float rounding cannot make replicas differ.
  PropagateAs(ctx, {"SET", ctx.args[1], result, "KEEPTTL"});
  ctx.reply.Bulk(result);
}

// --- ranges ---

// Redis's checkStringLength: whether a string of `size` + `append` bytes is within
// proto-max-bulk-len (and the sum does not overflow); false after replying the error.
bool CheckStringLength(CommandContext& ctx, uint64_t size, uint64_t append) {
  const uint64_t total = size + append;
  const auto limit = static_cast<uint64_t>(ctx.server.config().proto_max_bulk_len);
  if (total < size || total > limit || total > static_cast<uint64_t>(INT64_MAX)) {
    ctx.reply.Error(kMaxSizeError);
    return false;
  }
  return true;
}

void AppendCommand(CommandContext& ctx) {
  const std::string_view tail = ctx.args[2];
  bool too_long = false;
  size_t length = 0;
  storage::Status status = ctx.ks.RewriteString(
      ctx.connection.db(), ctx.args[1],
      [&](const std::string_view* old, keyspace::StringWrite* write) {
        if (old == nullptr) {
          write->value.assign(tail);
          write->encoding = keyspace::StringEncoding::kAuto;  // stored as SET stores it
        } else {
          if (!CheckStringLength(ctx, old->size(), tail.size())) {
            too_long = true;
            return false;
          }
          write->value.reserve(old->size() + tail.size());
          write->value.assign(*old);
          write->value.append(tail);
          write->encoding = keyspace::StringEncoding::kRaw;  // even when `tail` is empty
        }
        length = write->value.size();
        return true;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (too_long) return;  // replied
  Notify(ctx, kNotifyString, "append", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(length));
}

void StrlenCommand(CommandContext& ctx) {
  std::string value;
  storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[1], &value);
  if (status.IsNotFound()) {
    ctx.server.KeyMiss(ctx.connection.db(), ctx.args[1]);
    return ctx.reply.Integer(0);
  }
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.server.stats().keyspace_hits++;
  ctx.reply.Integer(static_cast<int64_t>(value.size()));
}

// GETRANGE key start end (and SUBSTR): indexes from the end when negative, clamped to the
// string, both inclusive.
void GetRangeCommand(CommandContext& ctx) {
  int64_t start = 0;
  int64_t end = 0;
  if (!ParseInt64(ctx.args[2], &start) || !ParseInt64(ctx.args[3], &end)) {
    return ctx.reply.Error(kNotIntegerError);
  }
  std::string value;
  storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[1], &value);
  if (status.IsNotFound()) {
    ctx.server.KeyMiss(ctx.connection.db(), ctx.args[1]);
    return ctx.reply.Bulk("");
  }
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.server.stats().keyspace_hits++;
  const auto length = static_cast<int64_t>(value.size());
  if (start < 0 && end < 0 && start > end) return ctx.reply.Bulk("");
  if (start < 0) start += length;
  if (end < 0) end += length;
  if (start < 0) start = 0;
  if (end < 0) end = 0;  // as Redis 7.0: an end before the string's start still takes byte 0
  if (end >= length) end = length - 1;
  if (start > end || length == 0) return ctx.reply.Bulk("");
  ctx.reply.Bulk(std::string_view(value).substr(static_cast<size_t>(start),
                                                static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value: overwrites from `offset`, padding with zero bytes; the reply is the
// new length.
void SetRangeCommand(CommandContext& ctx) {
  int64_t offset = 0;
  if (!ParseInt64(ctx.args[2], &offset)) return ctx.reply.Error(kNotIntegerError);
  if (offset < 0) return ctx.reply.Error("ERR offset is out of range");
  const std::string_view patch = ctx.args[3];
  bool replied = false;
  size_t length = 0;
  storage::Status status = ctx.ks.RewriteString(
      ctx.connection.db(), ctx.args[1],
      [&](const std::string_view* old, keyspace::StringWrite* write) {
        // Setting nothing changes nothing: 0 for a missing key (which is not created), the
        // length otherwise.
        length = old != nullptr ? old->size() : 0;
        if (patch.empty()) return false;
        if (!CheckStringLength(ctx, static_cast<uint64_t>(offset), patch.size())) {
          replied = true;
          return false;
        }
        const auto start = static_cast<size_t>(offset);
        if (old != nullptr) write->value.assign(*old);
        if (write->value.size() < start + patch.size()) write->value.resize(start + patch.size());
        write->value.replace(start, patch.size(), patch);
        write->encoding = keyspace::StringEncoding::kRaw;
        length = write->value.size();
        return true;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (replied) return;
  if (!patch.empty()) Notify(ctx, kNotifyString, "setrange", ctx.args[1]);
  ctx.reply.Integer(static_cast<int64_t>(length));
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]: the longest common subsequence
// of two strings (a missing key is an empty string), by the dynamic-programming table Redis
// uses, walked back from the end so the ranges come last match first, as Redis emits them.
void LcsCommand(CommandContext& ctx) {
  std::string a;
  std::string b;
  for (size_t k = 1; k <= 2; ++k) {
    storage::Status status = ctx.ks.Get(ctx.connection.db(), ctx.args[k], k == 1 ? &a : &b);
    if (status.IsNotFound()) {
      ctx.server.KeyMiss(ctx.connection.db(), ctx.args[k]);
    } else if (!status.ok()) {
      return ReplyStorageError(ctx, status);
    } else {
      ctx.server.stats().keyspace_hits++;
    }
  }
  bool get_len = false;
  bool get_idx = false;
  bool with_match_len = false;
  int64_t min_match_len = 0;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const std::string_view opt = ctx.args[i];
    if (EqualsIgnoreCase(opt, "idx")) {
      get_idx = true;
    } else if (EqualsIgnoreCase(opt, "len")) {
      get_len = true;
    } else if (EqualsIgnoreCase(opt, "withmatchlen")) {
      with_match_len = true;
    } else if (EqualsIgnoreCase(opt, "minmatchlen") && i + 1 < ctx.args.size()) {
      if (!ParseInt64(ctx.args[++i], &min_match_len)) return ctx.reply.Error(kNotIntegerError);
      if (min_match_len < 0) min_match_len = 0;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (get_idx && get_len) {
    return ctx.reply.Error("ERR If you want both the length and indexes, please just use IDX.");
  }
  // Redis also refuses strings of 4 GiB or more ("String too long for LCS"); no Shale string is
  // that long (proto-max-bulk-len is at most 4 GiB - 1 MiB).
  const size_t alen = a.size();
  const size_t blen = b.size();
  // As Redis: the table (4 bytes a cell) may not be larger than proto-max-bulk-len.
  const size_t cells = (alen + 1) * (blen + 1);
  const auto limit = static_cast<uint64_t>(ctx.server.config().proto_max_bulk_len);
  if (cells > limit / sizeof(uint32_t)) {
    return ctx.reply.Error(
        "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  std::unique_ptr<uint32_t[]> table(new (std::nothrow) uint32_t[cells]);
  if (table == nullptr) {
    return ctx.reply.Error("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  auto at = [&](size_t i, size_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (size_t i = 0; i <= alen; ++i) {
    for (size_t j = 0; j <= blen; ++j) {
      if (i == 0 || j == 0) {
        at(i, j) = 0;
      } else if (a[i - 1] == b[j - 1]) {
        at(i, j) = at(i - 1, j - 1) + 1;
      } else {
        at(i, j) = std::max(at(i - 1, j), at(i, j - 1));
      }
    }
  }
  const uint32_t lcs_len = at(alen, blen);
  if (get_len) return ctx.reply.Integer(lcs_len);

  struct Range {
    size_t a_start, a_end, b_start, b_end;
  };
  std::vector<Range> ranges;
  std::string lcs(lcs_len, '\0');
  size_t out = lcs_len;
  bool in_range = false;
  Range current{};
  size_t i = alen;
  size_t j = blen;
  while (i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      lcs[--out] = a[i - 1];
      if (!in_range) {
        current = Range{i - 1, i - 1, j - 1, j - 1};
        in_range = true;
      } else if (current.a_start == i && current.b_start == j) {
        --current.a_start;  // contiguous: the range grows backwards
        --current.b_start;
      } else {
        emit = true;
      }
      if (current.a_start == 0 || current.b_start == 0) emit = true;
      --i;
      --j;
    } else {
      if (at(i - 1, j) > at(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (in_range) emit = true;
    }
    if (emit) {
      const size_t match_len = current.a_end - current.a_start + 1;
      if (min_match_len == 0 || match_len >= static_cast<uint64_t>(min_match_len)) {
        ranges.push_back(current);
      }
      in_range = false;
    }
  }
  if (!get_idx) return ctx.reply.Bulk(lcs);
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("matches");
  ctx.reply.ArrayHeader(ranges.size());
  for (const Range& range : ranges) {
    ctx.reply.ArrayHeader(with_match_len ? 3 : 2);
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(static_cast<int64_t>(range.a_start));
    ctx.reply.Integer(static_cast<int64_t>(range.a_end));
    ctx.reply.ArrayHeader(2);
    ctx.reply.Integer(static_cast<int64_t>(range.b_start));
    ctx.reply.Integer(static_cast<int64_t>(range.b_end));
    if (with_match_len) ctx.reply.Integer(static_cast<int64_t>(range.a_end - range.a_start + 1));
  }
  ctx.reply.Bulk("len");
  ctx.reply.Integer(lcs_len);
}

const CommandSpec kStringCommands[] = {
    {"get", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, GetCommand, "string", "1.0.0",
     "Returns the string value of a key.", "key"},
    {"set", -3, kCmdWrite | kCmdDenyOom, 1, 1, 1, SetCommand, "string", "1.0.0",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't exist.",
     "key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT "
     "unix-time-milliseconds | KEEPTTL]"},
    {"setnx", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, SetNxCommand, "string", "1.0.0",
     "Set the string value of a key only when the key doesn't exist.", "key value"},
    {"setex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, SetExCommand, "string", "2.0.0",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't exist.",
     "key seconds value"},
    {"psetex", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, PSetExCommand, "string", "2.6.0",
     "Sets both string value and expiration time in milliseconds of a key. The key is created if "
     "it doesn't exist.",
     "key milliseconds value"},
    {"getdel", 2, kCmdWrite | kCmdFast, 1, 1, 1, GetDelCommand, "string", "6.2.0",
     "Returns the string value of a key after deleting the key.", "key"},
    {"getex", -2, kCmdWrite | kCmdFast, 1, 1, 1, GetExCommand, "string", "6.2.0",
     "Returns the string value of a key after setting its expiration time.",
     "key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | "
     "PERSIST]"},
    {"getset", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, GetSetCommand, "string", "1.0.0",
     "Returns the previous string value of a key after setting it to a new value.", "key value"},
    {"mget", -2, kCmdReadOnly | kCmdFast, 1, -1, 1, MGetCommand, "string", "1.0.0",
     "Atomically returns the string values of one or more keys.", "key [key ...]"},
    {"mset", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2, MSetCommand, "string", "1.0.1",
     "Atomically creates or modifies the string values of one or more keys.",
     "key value [key value ...]"},
    {"msetnx", -3, kCmdWrite | kCmdDenyOom, 1, -1, 2, MSetNxCommand, "string", "1.0.1",
     "Atomically modifies the string values of one or more keys only when all keys don't exist.",
     "key value [key value ...]"},
    {"incr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, IncrCommand, "string", "1.0.0",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.",
     "key"},
    {"decr", 2, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, DecrCommand, "string", "1.0.0",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key doesn't "
     "exist.",
     "key"},
    {"incrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, IncrByCommand, "string", "1.0.0",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist.",
     "key increment"},
    {"decrby", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, DecrByCommand, "string", "1.0.0",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the key "
     "doesn't exist.",
     "key decrement"},
    {"incrbyfloat", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, IncrByFloatCommand, "string",
     "2.6.0",
     "Increment the floating point value of a key by a number. Uses 0 as initial value if the "
     "key doesn't exist.",
     "key increment"},
    {"append", 3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, AppendCommand, "string", "2.0.0",
     "Appends a string to the value of a key. Creates the key if it doesn't exist.", "key value"},
    {"strlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, StrlenCommand, "string", "2.2.0",
     "Returns the length of a string value.", "key"},
    {"getrange", 4, kCmdReadOnly, 1, 1, 1, GetRangeCommand, "string", "2.4.0",
     "Returns a substring of the string stored at a key.", "key start end"},
    {"substr", 4, kCmdReadOnly, 1, 1, 1, GetRangeCommand, "string", "1.0.0",
     "Returns a substring from a string value.", "key start end"},
    {"setrange", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, SetRangeCommand, "string", "2.2.0",
     "Overwrites a part of a string value with another by an offset. Creates the key if it "
     "doesn't exist.",
     "key offset value"},
    {"lcs", -3, kCmdReadOnly, 1, 2, 1, LcsCommand, "string", "7.0.0",
     "Finds the longest common substring.",
     "key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]"},
};

}  // namespace

void RegisterStringCommands(CommandTable& table) {
  table.Register(kStringCommands, std::size(kStringCommands));
}

}  // namespace shale::server
