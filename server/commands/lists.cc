// List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT,
// LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP and the blocking BLPOP, BRPOP, BLMOVE,
// BRPOPLPUSH, BLMPOP (Redis's t_list.c; waiting: Server::BlockForKeys).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

using keyspace::ListEnd;

constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";

bool ParseEnd(std::string_view text, ListEnd* end) {
  if (EqualsIgnoreCase(text, "left")) {
    *end = ListEnd::kLeft;
  } else if (EqualsIgnoreCase(text, "right")) {
    *end = ListEnd::kRight;
  } else {
    return false;
  }
  return true;
}

// An integer argument, replying Redis's error when it is not one.
bool IntegerArg(CommandContext& ctx, size_t i, int64_t* value) {
  if (ParseInt64(ctx.args[i], value)) return true;
  ctx.reply.Error(kNotIntegerError);
  return false;
}

// The events of a push to and a pop from `end`.
std::string_view PushEvent(ListEnd end) { return end == ListEnd::kLeft ? "lpush" : "rpush"; }
std::string_view PopEvent(ListEnd end) { return end == ListEnd::kLeft ? "lpop" : "rpop"; }

void PushGeneric(CommandContext& ctx, ListEnd end, bool only_existing) {
  std::vector<std::string_view> values(ctx.args.begin() + 2, ctx.args.end());
  int64_t length = 0;
  storage::Status status =
      ctx.ks.ListPush(ctx.connection.db(), ctx.args[1], end, values, only_existing, &length);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (length > 0) Notify(ctx, kNotifyList, PushEvent(end), ctx.args[1]);
  ctx.reply.Integer(length);
}
void LPushCommand(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, false); }
void RPushCommand(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, false); }
void LPushXCommand(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kLeft, true); }
void RPushXCommand(CommandContext& ctx) { PushGeneric(ctx, ListEnd::kRight, true); }

// LPOP/RPOP key [count]: without a count one bulk (nil when absent); with one an array (a nil
// array when absent, an empty one for count 0).
void PopGeneric(CommandContext& ctx, ListEnd end) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(WrongArityError(ctx.args[0]));
    return;
  }
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    ctx.reply.Error(kMustBePositive);
    return;
  }
  std::vector<std::string> values;
  bool found = false;
  storage::Status status = ctx.ks.ListPop(ctx.connection.db(), ctx.args[1], end,
                                          static_cast<uint64_t>(count), &values, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (found && !values.empty()) NotifyRemoval(ctx, kNotifyList, PopEvent(end), ctx.args[1]);
  if (!found) {
    if (has_count) {
      ctx.reply.NullArray();
    } else {
      ctx.reply.NullBulk();
    }
    return;
  }
  if (!has_count) {
    ctx.reply.Bulk(values[0]);
    return;
  }
  ctx.reply.ArrayHeader(values.size());
  for (const std::string& value : values) ctx.reply.Bulk(value);
}
void LPopCommand(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kLeft); }
void RPopCommand(CommandContext& ctx) { PopGeneric(ctx, ListEnd::kRight); }

void LLenCommand(CommandContext& ctx) {
  int64_t length = 0;
  storage::Status status = ctx.ks.ListLength(ctx.connection.db(), ctx.args[1], &length);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(length);
}

void LRangeCommand(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!IntegerArg(ctx, 2, &start) || !IntegerArg(ctx, 3, &stop)) return;
  std::vector<std::string> values;
  storage::Status status = ctx.ks.ListRange(ctx.connection.db(), ctx.args[1], start, stop, &values);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.ArrayHeader(values.size());
  for (const std::string& value : values) ctx.reply.Bulk(value);
}

void LIndexCommand(CommandContext& ctx) {
  int64_t index = 0;
  if (!IntegerArg(ctx, 2, &index)) return;
  std::string value;
  storage::Status status = ctx.ks.ListIndex(ctx.connection.db(), ctx.args[1], index, &value);
  if (status.IsNotFound()) return ctx.reply.NullBulk();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Bulk(value);
}

void LSetCommand(CommandContext& ctx) {
  int64_t index = 0;
  if (!IntegerArg(ctx, 2, &index)) return;
  keyspace::ListSetResult result = keyspace::ListSetResult::kOk;
  storage::Status status =
      ctx.ks.ListSet(ctx.connection.db(), ctx.args[1], index, ctx.args[3], &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  switch (result) {
    case keyspace::ListSetResult::kOk:
      Notify(ctx, kNotifyList, "lset", ctx.args[1]);
      return ctx.reply.SimpleString("OK");
    case keyspace::ListSetResult::kNoSuchKey:
      return ctx.reply.Error("ERR no such key");
    case keyspace::ListSetResult::kOutOfRange:
      return ctx.reply.Error("ERR index out of range");
  }
}

// LINSERT key BEFORE | AFTER pivot element
void LInsertCommand(CommandContext& ctx) {
  bool before = false;
  if (EqualsIgnoreCase(ctx.args[2], "before")) {
    before = true;
  } else if (!EqualsIgnoreCase(ctx.args[2], "after")) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  int64_t length = 0;
  storage::Status status = ctx.ks.ListInsert(ctx.connection.db(), ctx.args[1], before, ctx.args[3],
                                             ctx.args[4], &length);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (length > 0) Notify(ctx, kNotifyList, "linsert", ctx.args[1]);
  ctx.reply.Integer(length);
}

void LRemCommand(CommandContext& ctx) {
  int64_t count = 0;
  if (!IntegerArg(ctx, 2, &count)) return;
  int64_t removed = 0;
  storage::Status status =
      ctx.ks.ListRemove(ctx.connection.db(), ctx.args[1], count, ctx.args[3], &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) NotifyRemoval(ctx, kNotifyList, "lrem", ctx.args[1]);
  ctx.reply.Integer(removed);
}

void LTrimCommand(CommandContext& ctx) {
  int64_t start = 0, stop = 0;
  if (!IntegerArg(ctx, 2, &start) || !IntegerArg(ctx, 3, &stop)) return;
  // "ltrim" is reported for a list that exists, trimmed or not.
  keyspace::KeyState state = keyspace::KeyState::kAbsent;
  if (NotifyEnabled(ctx.server, kNotifyList)) {
    storage::Status status = ctx.ks.Peek(ctx.connection.db(), ctx.args[1], &state);
    if (!status.ok()) return ReplyStorageError(ctx, status);
  }
  storage::Status status = ctx.ks.ListTrim(ctx.connection.db(), ctx.args[1], start, stop);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (state == keyspace::KeyState::kLive) NotifyRemoval(ctx, kNotifyList, "ltrim", ctx.args[1]);
  ctx.reply.SimpleString("OK");
}

// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
void LPosCommand(CommandContext& ctx) {
  keyspace::ListPosOptions options;
  bool has_count = false;
  for (size_t i = 3; i < ctx.args.size(); i += 2) {
    std::string_view opt = ctx.args[i];
    if (i + 1 >= ctx.args.size()) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    int64_t n = 0;
    if (EqualsIgnoreCase(opt, "rank")) {
      if (!IntegerArg(ctx, i + 1, &n)) return;
      if (n == 0) {
        ctx.reply.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
      // Redis 7.0 negates the rank to scan from the tail; INT64_MIN stays negative there, so
      // its first match from the tail counts: the same as -1.
      options.rank = n == INT64_MIN ? -1 : n;
    } else if (EqualsIgnoreCase(opt, "count")) {
      if (!IntegerArg(ctx, i + 1, &n)) return;
      if (n < 0) {
        ctx.reply.Error("ERR COUNT can't be negative");
        return;
      }
      has_count = true;
      options.count = static_cast<uint64_t>(n);
    } else if (EqualsIgnoreCase(opt, "maxlen")) {
      if (!IntegerArg(ctx, i + 1, &n)) return;
      if (n < 0) {
        ctx.reply.Error("ERR MAXLEN can't be negative");
        return;
      }
      options.maxlen = static_cast<uint64_t>(n);
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  std::vector<int64_t> positions;
  storage::Status status =
      ctx.ks.ListPositions(ctx.connection.db(), ctx.args[1], ctx.args[2], options, &positions);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (has_count) {
    ctx.reply.ArrayHeader(positions.size());
    for (int64_t position : positions) ctx.reply.Integer(position);
  } else if (positions.empty()) {
    ctx.reply.NullBulk();
  } else {
    ctx.reply.Integer(positions[0]);
  }
}

// LMOVE's events, as Redis orders them: the push to the destination, then the pop from the
// source (and its "del" if that emptied it).
void NotifyMove(CommandContext& ctx, ListEnd from, ListEnd to) {
  Notify(ctx, kNotifyList, PushEvent(to), ctx.args[2]);
  NotifyRemoval(ctx, kNotifyList, PopEvent(from), ctx.args[1]);
}

void MoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to) {
  std::string value;
  bool found = false;
  storage::Status status =
      ctx.ks.ListMove(ctx.connection.db(), ctx.args[1], ctx.args[2], from, to, &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!found) return ctx.reply.NullBulk();
  NotifyMove(ctx, from, to);
  ctx.reply.Bulk(value);
}

// LMOVE source destination LEFT | RIGHT LEFT | RIGHT
void LMoveCommand(CommandContext& ctx) {
  ListEnd from = ListEnd::kLeft, to = ListEnd::kLeft;
  if (!ParseEnd(ctx.args[3], &from) || !ParseEnd(ctx.args[4], &to)) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  MoveGeneric(ctx, from, to);
}

void RPopLPushCommand(CommandContext& ctx) { MoveGeneric(ctx, ListEnd::kRight, ListEnd::kLeft); }

// [BLMPOP timeout] LMPOP numkeys key [key ...] LEFT | RIGHT [COUNT count]: the first non-empty
// list of the keys; `first` is the index of numkeys.
void MPopGeneric(CommandContext& ctx, size_t first, bool blocking) {
  constexpr std::string_view kNumKeys = "ERR numkeys should be greater than 0";
  uint64_t deadline = 0;
  if (blocking && !ParseTimeout(ctx, ctx.args[1], &deadline)) return;
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[first], &numkeys) || numkeys <= 0) {
    ctx.reply.Error(kNumKeys);
    return;
  }
  // Keys, then the end, then at most COUNT and its number.
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - first - 2) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  const size_t where = first + 1 + static_cast<size_t>(numkeys);
  ListEnd end = ListEnd::kLeft;
  if (!ParseEnd(ctx.args[where], &end)) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  int64_t count = 1;
  bool has_count = false;
  for (size_t i = where + 1; i < ctx.args.size(); i += 2) {
    if (!EqualsIgnoreCase(ctx.args[i], "count") || has_count || i + 1 >= ctx.args.size()) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    if (!ParseInt64(ctx.args[i + 1], &count) || count <= 0) {
      ctx.reply.Error("ERR count should be greater than 0");
      return;
    }
    has_count = true;
  }
  for (size_t i = first + 1; i < where; ++i) {
    std::vector<std::string> values;
    bool found = false;
    storage::Status status = ctx.ks.ListPop(ctx.connection.db(), ctx.args[i], end,
                                            static_cast<uint64_t>(count), &values, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!found) continue;
    NotifyRemoval(ctx, kNotifyList, PopEvent(end), ctx.args[i]);
    // Replicas get the plain pop of the key that had elements.
    const std::string popped = std::to_string(values.size());
    PropagateAs(ctx, {end == ListEnd::kLeft ? "LPOP" : "RPOP", ctx.args[i], popped});
    if (blocking) ctx.connection.block().timed_out = false;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.ArrayHeader(values.size());
    for (const std::string& value : values) ctx.reply.Bulk(value);
    return;
  }
  if (!blocking || AnswerNothingNow(ctx)) return ctx.reply.NullArray();
  const std::vector<std::string_view> keys(ctx.args.begin() + static_cast<ptrdiff_t>(first) + 1,
                                           ctx.args.begin() + static_cast<ptrdiff_t>(where));
  ctx.server.BlockForKeys(ctx.connection, keys, deadline);
}

void LMPopCommand(CommandContext& ctx) { MPopGeneric(ctx, 1, false); }

// --- blocking commands ---

}  // namespace

bool ParseTimeout(CommandContext& ctx, std::string_view text, uint64_t* deadline_ms) {
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  const long double seconds = s.empty() || std::isspace(static_cast<unsigned char>(s[0]))
                                  ? NAN
                                  : std::strtold(s.c_str(), &end);
  if (std::isnan(seconds) || end != s.c_str() + s.size() || errno == ERANGE) {
    ctx.reply.Error("ERR timeout is not a float or out of range");
    return false;
  }
  if (seconds < 0) {
    ctx.reply.Error("ERR timeout is negative");
    return false;
  }
  const long double ms = std::ceil(seconds * 1000.0L);
  const auto now = static_cast<long double>(ctx.ks.NowMs());
  if (ms + now >= static_cast<long double>(INT64_MAX)) {
    ctx.reply.Error("ERR timeout is out of range");
    return false;
  }
  *deadline_ms = ms == 0 ? 0 : static_cast<uint64_t>(ms + now);
  return true;
}

// Whether a blocking command that found nothing answers its timeout reply now: inside EXEC (it
// never blocks there, as in Redis) or once its deadline has passed. Clears the timeout mark.
bool AnswerNothingNow(CommandContext& ctx) {
  const bool timed_out = ctx.connection.block().timed_out;
  ctx.connection.block().timed_out = false;
  return timed_out || ctx.connection.transaction().in_multi() || ctx.connection.script_client();
}

namespace {

// BLPOP/BRPOP key [key ...] timeout
void BlockingPopGeneric(CommandContext& ctx, ListEnd end) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, ctx.args.back(), &deadline)) return;
  std::vector<std::string_view> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  for (std::string_view key : keys) {
    std::vector<std::string> values;
    bool found = false;
    storage::Status status = ctx.ks.ListPop(ctx.connection.db(), key, end, 1, &values, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!found) continue;
    NotifyRemoval(ctx, kNotifyList, PopEvent(end), key);
    PropagateAs(ctx, {end == ListEnd::kLeft ? "LPOP" : "RPOP", key});
    ctx.connection.block().timed_out = false;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(key);
    ctx.reply.Bulk(values[0]);
    return;
  }
  if (AnswerNothingNow(ctx)) return ctx.reply.NullArray();
  ctx.server.BlockForKeys(ctx.connection, keys, deadline);
}
void BLPopCommand(CommandContext& ctx) { BlockingPopGeneric(ctx, ListEnd::kLeft); }
void BRPopCommand(CommandContext& ctx) { BlockingPopGeneric(ctx, ListEnd::kRight); }

void BlockingMoveGeneric(CommandContext& ctx, ListEnd from, ListEnd to, std::string_view timeout) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, timeout, &deadline)) return;
  std::string value;
  bool found = false;
  storage::Status status =
      ctx.ks.ListMove(ctx.connection.db(), ctx.args[1], ctx.args[2], from, to, &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (found) {
    NotifyMove(ctx, from, to);
    PropagateAs(ctx, {"LMOVE", ctx.args[1], ctx.args[2], from == ListEnd::kLeft ? "LEFT" : "RIGHT",
                      to == ListEnd::kLeft ? "LEFT" : "RIGHT"});
    ctx.connection.block().timed_out = false;
    return ctx.reply.Bulk(value);
  }
  // As Redis 7.0: a null bulk inside EXEC, but a null array at the timeout.
  const bool timed_out = ctx.connection.block().timed_out;
  if (AnswerNothingNow(ctx)) return timed_out ? ctx.reply.NullArray() : ctx.reply.NullBulk();
  ctx.server.BlockForKeys(ctx.connection, {ctx.args[1]}, deadline);
}

// BLMOVE source destination LEFT | RIGHT LEFT | RIGHT timeout
void BLMoveCommand(CommandContext& ctx) {
  ListEnd from = ListEnd::kLeft, to = ListEnd::kLeft;
  if (!ParseEnd(ctx.args[3], &from) || !ParseEnd(ctx.args[4], &to)) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  BlockingMoveGeneric(ctx, from, to, ctx.args[5]);
}

// BRPOPLPUSH source destination timeout
void BRPopLPushCommand(CommandContext& ctx) {
  BlockingMoveGeneric(ctx, ListEnd::kRight, ListEnd::kLeft, ctx.args[3]);
}

void BLMPopCommand(CommandContext& ctx) { MPopGeneric(ctx, 2, true); }

const CommandSpec kListCommands[] = {
    {"lpush", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, LPushCommand, "list", "1.0.0",
     "Prepends one or more elements to a list. Creates the key if it doesn't exist.",
     "key element [element ...]"},
    {"rpush", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, RPushCommand, "list", "1.0.0",
     "Appends one or more elements to a list. Creates the key if it doesn't exist.",
     "key element [element ...]"},
    {"lpushx", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, LPushXCommand, "list", "2.2.0",
     "Prepends one or more elements to a list only when the list exists.",
     "key element [element ...]"},
    {"rpushx", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, RPushXCommand, "list", "2.2.0",
     "Appends an element to a list only when the list exists.", "key element [element ...]"},
    {"lpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, LPopCommand, "list", "1.0.0",
     "Returns the first elements in a list after removing it. Deletes the list if the last "
     "element was popped.",
     "key [count]"},
    {"rpop", -2, kCmdWrite | kCmdFast, 1, 1, 1, RPopCommand, "list", "1.0.0",
     "Returns and removes the last elements of a list. Deletes the list if the last element was "
     "popped.",
     "key [count]"},
    {"llen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, LLenCommand, "list", "1.0.0",
     "Returns the length of a list.", "key"},
    {"lrange", 4, kCmdReadOnly, 1, 1, 1, LRangeCommand, "list", "1.0.0",
     "Returns a range of elements from a list.", "key start stop"},
    {"lindex", 3, kCmdReadOnly, 1, 1, 1, LIndexCommand, "list", "1.0.0",
     "Returns an element from a list by its index.", "key index"},
    {"lset", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, LSetCommand, "list", "1.0.0",
     "Sets the value of an element in a list by its index.", "key index element"},
    {"linsert", 5, kCmdWrite | kCmdDenyOom, 1, 1, 1, LInsertCommand, "list", "2.2.0",
     "Inserts an element before or after another element in a list.",
     "key BEFORE | AFTER pivot element"},
    {"lrem", 4, kCmdWrite, 1, 1, 1, LRemCommand, "list", "1.0.0",
     "Removes elements from a list. Deletes the list if the last element was removed.",
     "key count element"},
    {"ltrim", 4, kCmdWrite, 1, 1, 1, LTrimCommand, "list", "1.0.0",
     "Removes elements from both ends a list. Deletes the list if all elements were trimmed.",
     "key start stop"},
    {"lpos", -3, kCmdReadOnly, 1, 1, 1, LPosCommand, "list", "6.0.6",
     "Returns the index of matching elements in a list.",
     "key element [RANK rank] [COUNT num-matches] [MAXLEN len]"},
    {"lmove", 5, kCmdWrite | kCmdDenyOom, 1, 2, 1, LMoveCommand, "list", "6.2.0",
     "Returns an element after popping it from one list and pushing it to another. Deletes the "
     "list if the last element was moved.",
     "source destination LEFT | RIGHT LEFT | RIGHT"},
    {"rpoplpush", 3, kCmdWrite | kCmdDenyOom, 1, 2, 1, RPopLPushCommand, "list", "1.2.0",
     "Returns the last element of a list after removing and pushing it to another list. Deletes "
     "the list if the last element was popped.",
     "source destination"},
    {"blpop", -3, kCmdWrite, 1, -2, 1, BLPopCommand, "list", "2.0.0",
     "Removes and returns the first element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "key [key ...] timeout"},
    {"brpop", -3, kCmdWrite, 1, -2, 1, BRPopCommand, "list", "2.0.0",
     "Removes and returns the last element in a list. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "key [key ...] timeout"},
    {"blmove", 6, kCmdWrite | kCmdDenyOom, 1, 2, 1, BLMoveCommand, "list", "6.2.0",
     "Pops an element from a list, pushes it to another list and returns it. Blocks until an "
     "element is available otherwise. Deletes the list if the last element was moved.",
     "source destination LEFT | RIGHT LEFT | RIGHT timeout"},
    {"brpoplpush", 4, kCmdWrite | kCmdDenyOom, 1, 2, 1, BRPopLPushCommand, "list", "2.2.0",
     "Pops an element from a list, pushes it to another list and returns it. Block until an "
     "element is available otherwise. Deletes the list if the last element was popped.",
     "source destination timeout"},
    {"blmpop", -5, kCmdWrite, 0, 0, 0, BLMPopCommand, "list", "7.0.0",
     "Pops the first element from one of multiple lists. Blocks until an element is available "
     "otherwise. Deletes the list if the last element was popped.",
     "timeout numkeys key [key ...] LEFT | RIGHT [COUNT count]", KeysAfterNumKeys<2>},
    {"lmpop", -4, kCmdWrite, 0, 0, 0, LMPopCommand, "list", "7.0.0",
     "Returns multiple elements from a list after removing them. Deletes the list if the last "
     "element was popped.",
     "numkeys key [key ...] LEFT | RIGHT [COUNT count]", KeysAfterNumKeys<1>},
};

}  // namespace

void RegisterListCommands(CommandTable& table) {
  table.Register(kListCommands, std::size(kListCommands));
}

}  // namespace shale::server
