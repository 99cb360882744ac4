// Set commands: SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS, SRANDMEMBER, SPOP, SMOVE,
// SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN (Redis 7.0's
// t_set.c: argument order, error texts, RESP3 set replies), and SORT / SORT_RO over lists and sets
// (Redis's sort.c).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/scan_cursors.h"
#include "server/server.h"

namespace shale::server {

namespace {

using keyspace::SetOperation;

constexpr std::string_view kMustBePositive = "ERR value is out of range, must be positive";

std::vector<std::string_view> ArgsFrom(const CommandContext& ctx, size_t first) {
  return std::vector<std::string_view>(ctx.args.begin() + static_cast<ptrdiff_t>(first),
                                       ctx.args.end());
}

// A RESP3 set (an array in RESP2) of bulks.
void ReplySet(CommandContext& ctx, const std::vector<std::string>& members) {
  ctx.reply.SetHeader(members.size());
  for (const std::string& member : members) ctx.reply.Bulk(member);
}

void SAddCommand(CommandContext& ctx) {
  int64_t added = 0;
  storage::Status status =
      ctx.ks.SetAdd(ctx.connection.db(), ctx.args[1], ArgsFrom(ctx, 2), &added);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (added > 0) Notify(ctx, kNotifySet, "sadd", ctx.args[1]);
  ctx.reply.Integer(added);
}

void SRemCommand(CommandContext& ctx) {
  int64_t removed = 0;
  storage::Status status =
      ctx.ks.SetRemove(ctx.connection.db(), ctx.args[1], ArgsFrom(ctx, 2), &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) NotifyRemoval(ctx, kNotifySet, "srem", ctx.args[1]);
  ctx.reply.Integer(removed);
}

void SCardCommand(CommandContext& ctx) {
  int64_t size = 0;
  storage::Status status = ctx.ks.SetCard(ctx.connection.db(), ctx.args[1], &size);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(size);
}

void SIsMemberCommand(CommandContext& ctx) {
  std::vector<bool> found;
  storage::Status status =
      ctx.ks.SetIsMember(ctx.connection.db(), ctx.args[1], {ctx.args[2]}, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(found[0] ? 1 : 0);
}

void SMIsMemberCommand(CommandContext& ctx) {
  std::vector<bool> found;
  storage::Status status =
      ctx.ks.SetIsMember(ctx.connection.db(), ctx.args[1], ArgsFrom(ctx, 2), &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.ArrayHeader(found.size());
  for (bool f : found) ctx.reply.Integer(f ? 1 : 0);
}

void SMembersCommand(CommandContext& ctx) {
  std::vector<std::string> members;
  storage::Status status = ctx.ks.SetMembers(ctx.connection.db(), ctx.args[1], &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplySet(ctx, members);
}

// SRANDMEMBER key [count]: without a count one bulk (nil when absent); with one an array (empty
// when absent), distinct members for count >= 0, -count members that may repeat otherwise.
void SRandMemberCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count) {
    if (!ParseInt64(ctx.args[2], &count)) {
      ctx.reply.Error(kNotIntegerError);
      return;
    }
    if (count == INT64_MIN) {  // Redis's range is -LONG_MAX .. LONG_MAX (and its wording)
      ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
      return;
    }
  }
  std::vector<std::string> members;
  storage::Status status =
      ctx.ks.SetRandomMembers(ctx.connection.db(), ctx.args[1], count, &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (has_count) {
    ctx.reply.ArrayHeader(members.size());
    for (const std::string& member : members) ctx.reply.Bulk(member);
  } else if (members.empty()) {
    ctx.reply.NullBulk();
  } else {
    ctx.reply.Bulk(members[0]);
  }
}

// SPOP key [count]: without a count one bulk (nil when absent); with one a set (empty when
// absent).
void SPopCommand(CommandContext& ctx) {
  if (ctx.args.size() > 3) {
    ctx.reply.Error(kSyntaxError);
    return;
  }
  const bool has_count = ctx.args.size() == 3;
  int64_t count = 1;
  if (has_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    ctx.reply.Error(kMustBePositive);
    return;
  }
  std::vector<std::string> members;
  bool found = false;
  storage::Status status = ctx.ks.SetPop(ctx.connection.db(), ctx.args[1],
                                         static_cast<uint64_t>(count), &members, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!members.empty()) NotifyRemoval(ctx, kNotifySet, "spop", ctx.args[1]);
  // Replicas remove the members that were drawn: SREM, 1,024 members at most per command (as
  // Redis batches them).
  PropagateNothing(ctx);
  if (ctx.server.replication().active()) {
    constexpr size_t kBatch = 1024;
    for (size_t i = 0; i < members.size(); i += kBatch) {
      std::vector<std::string_view> argv = {"SREM", ctx.args[1]};
      for (size_t j = i; j < std::min(members.size(), i + kBatch); ++j) argv.push_back(members[j]);
      PropagateAs(ctx, argv);
    }
  }
  if (has_count) return ReplySet(ctx, members);
  if (members.empty()) return ctx.reply.NullBulk();
  ctx.reply.Bulk(members[0]);
}

// SMOVE's events: "srem" on the source (and "del" if it emptied), then "sadd" on the destination
// if the member was not there yet; none when source and destination are one key.
void SMoveCommand(CommandContext& ctx) {
  const int db = ctx.connection.db();
  std::vector<bool> in_destination{false};
  if (NotifyEnabled(ctx.server, kNotifySet)) {
    storage::Status status = ctx.ks.SetIsMember(db, ctx.args[2], {ctx.args[3]}, &in_destination);
    // A destination of another type fails the move itself (below).
    if (!status.ok() && !keyspace::IsWrongType(status)) return ReplyStorageError(ctx, status);
  }
  bool moved = false;
  storage::Status status = ctx.ks.SetMove(db, ctx.args[1], ctx.args[2], ctx.args[3], &moved);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (moved && ctx.args[1] != ctx.args[2]) {
    NotifyRemoval(ctx, kNotifySet, "srem", ctx.args[1]);
    if (!in_destination[0]) Notify(ctx, kNotifySet, "sadd", ctx.args[2]);
  }
  ctx.reply.Integer(moved ? 1 : 0);
}

void CombineGeneric(CommandContext& ctx, SetOperation operation) {
  std::vector<std::string> members;
  storage::Status status =
      ctx.ks.SetCombine(ctx.connection.db(), operation, ArgsFrom(ctx, 1), 0, &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplySet(ctx, members);
}
void SInterCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kIntersection); }
void SUnionCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kUnion); }
void SDiffCommand(CommandContext& ctx) { CombineGeneric(ctx, SetOperation::kDifference); }

void CombineStoreGeneric(CommandContext& ctx, SetOperation operation) {
  bool existed = false;
  storage::Status status = LiveBeforeStore(ctx, ctx.args[1], &existed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  int64_t size = 0;
  status =
      ctx.ks.SetCombineStore(ctx.connection.db(), operation, ctx.args[1], ArgsFrom(ctx, 2), &size);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  const std::string_view event = operation == SetOperation::kIntersection ? "sinterstore"
                                 : operation == SetOperation::kUnion      ? "sunionstore"
                                                                          : "sdiffstore";
  NotifyStore(ctx, kNotifySet, event, ctx.args[1], size > 0, existed);
  ctx.reply.Integer(size);
}
void SInterStoreCommand(CommandContext& ctx) {
  CombineStoreGeneric(ctx, SetOperation::kIntersection);
}
void SUnionStoreCommand(CommandContext& ctx) { CombineStoreGeneric(ctx, SetOperation::kUnion); }
void SDiffStoreCommand(CommandContext& ctx) { CombineStoreGeneric(ctx, SetOperation::kDifference); }

// SINTERCARD numkeys key [key ...] [LIMIT limit]
void SInterCardCommand(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[1], &numkeys) || numkeys < 1) {
    ctx.reply.Error("ERR numkeys should be greater than 0");
    return;
  }
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - 2) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  const size_t end = 2 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t i = end; i < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "limit") || i + 1 >= ctx.args.size()) {
      ctx.reply.Error(kSyntaxError);
      return;
    }
    ++i;
    if (!ParseInt64(ctx.args[i], &limit) || limit < 0) {
      ctx.reply.Error("ERR LIMIT can't be negative");
      return;
    }
  }
  const std::vector<std::string_view> keys(ctx.args.begin() + 2,
                                           ctx.args.begin() + static_cast<ptrdiff_t>(end));
  std::vector<std::string> members;
  storage::Status status = ctx.ks.SetCombine(ctx.connection.db(), SetOperation::kIntersection, keys,
                                             static_cast<uint64_t>(limit), &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(static_cast<int64_t>(members.size()));
}

// SSCAN key cursor [MATCH pattern] [COUNT count]. As in Redis the cursor is parsed first, then
// the key is looked up (absent: an empty answer, whatever the options), then the options. A set
// still in its compact (intset) encoding is returned whole with cursor 0, whatever the cursor; a
// large one is walked in member order from the position the cursor names (SCAN's cursor table).
void SScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseElementScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error("ERR invalid cursor");
  const int db = ctx.connection.db();
  int64_t size = 0;
  storage::Status status = ctx.ks.SetCard(db, ctx.args[1], &size);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (size == 0) {
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
  bool known = cursor == 0;
  if (cursor != 0) {
    auto position = ctx.server.scan_cursors().Find(cursor);
    if (position && position->db == db) {
      after = std::move(position->last_key);
      known = true;
    }
  }
  const bool match_all = pattern == "*";
  const std::string prefix = match_all ? std::string() : GlobLiteralPrefix(pattern);
  std::vector<std::string> members;
  bool complete = true, compact = true;
  status = ctx.ks.SetScan(db, ctx.args[1], after, prefix,
                          static_cast<size_t>(std::min<int64_t>(count, 1 << 20)), &members,
                          &complete, &compact);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  // An unknown cursor is an error for a walked (large) set; a compact one ignores the cursor.
  if (!known && !compact) {
    ctx.reply.Error("ERR invalid cursor");
    return;
  }
  uint64_t next = 0;
  if (!complete) next = ctx.server.scan_cursors().Save(db, members.back());
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  size_t matched = 0;
  for (const std::string& member : members) {
    if (match_all || GlobMatch(pattern, member)) ++matched;
  }
  ctx.reply.ArrayHeader(matched);
  for (const std::string& member : members) {
    if (match_all || GlobMatch(pattern, member)) ctx.reply.Bulk(member);
  }
}

// --- SORT ---

// The value a SORT BY / GET pattern names for `element` (Redis's lookupKeyByPattern): "#" is the
// element itself; otherwise the first '*' is replaced by it and the key's string value is read, or
// with "key->field" a hash's field. Nothing (nullopt) when the pattern has no '*', the key is
// absent or of another type, or the field is absent.
storage::Status LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                std::string_view element, std::optional<std::string>* value) {
  value->reset();
  if (pattern == "#") {
    value->emplace(element);
    return storage::Status::Ok();
  }
  const size_t star = pattern.find('*');
  if (star == std::string_view::npos) return storage::Status::Ok();
  std::string_view field;
  std::string_view rest = pattern.substr(star + 1);
  const size_t arrow = rest.find("->");
  if (arrow != std::string_view::npos && arrow + 2 < rest.size()) {
    field = rest.substr(arrow + 2);
    rest = rest.substr(0, arrow);
  }
  std::string key;
  key.reserve(pattern.size() + element.size());
  key.append(pattern.substr(0, star));
  key.append(element);
  key.append(rest);
  const int db = ctx.connection.db();
  if (field.empty()) {
    std::string found;
    storage::Status status = ctx.ks.Get(db, key, &found);
    if (status.IsNotFound() || keyspace::IsWrongType(status)) return storage::Status::Ok();
    if (!status.ok()) return status;
    value->emplace(std::move(found));
    return storage::Status::Ok();
  }
  // A hash's field: its sub-key element is the field's bytes (format.h), found in field order.
  std::string_view type;
  storage::Status status = ctx.ks.Type(db, key, &type);
  if (!status.ok() || type != "hash") return status;
  status = ctx.ks.ForEachSubKey(db, key, [&](std::string_view element_field, std::string_view v) {
    if (element_field < field) return true;
    if (element_field == field) value->emplace(v);
    return false;
  });
  return status.IsNotFound() ? storage::Status::Ok() : status;
}

// Redis's numeric reading of a sort weight (strtod: blanks before, hex and "inf" accepted; NaN,
// overflow, underflow and trailing bytes are not).
bool SortScore(const std::string& text, double* score) {
  char* end = nullptr;
  errno = 0;
  *score = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*score);
}

// SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]
// [STORE destination], and SORT_RO (no STORE).
void SortGeneric(CommandContext& ctx, bool read_only) {
  bool desc = false, alpha = false, dontsort = false;
  std::optional<std::string_view> by, store;
  std::vector<std::string_view> gets;
  int64_t limit_offset = 0, limit_count = -1;
  const size_t argc = ctx.args.size();
  for (size_t j = 2; j < argc; ++j) {
    const std::string_view opt = ctx.args[j];
    const size_t left = argc - j - 1;
    if (EqualsIgnoreCase(opt, "asc")) {
      desc = false;
    } else if (EqualsIgnoreCase(opt, "desc")) {
      desc = true;
    } else if (EqualsIgnoreCase(opt, "alpha")) {
      alpha = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!ParseInt64(ctx.args[j + 1], &limit_offset) ||
          !ParseInt64(ctx.args[j + 2], &limit_count)) {
        ctx.reply.Error(kNotIntegerError);
        return;
      }
      j += 2;
    } else if (EqualsIgnoreCase(opt, "store") && left >= 1 && !read_only) {
      store = ctx.args[++j];
    } else if (EqualsIgnoreCase(opt, "by") && left >= 1) {
      by = ctx.args[++j];
      // A pattern without '*' names one key for every element: no sorting at all.
      if (by->find('*') == std::string_view::npos) dontsort = true;
    } else if (EqualsIgnoreCase(opt, "get") && left >= 1) {
      gets.push_back(ctx.args[++j]);
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  const int db = ctx.connection.db();
  std::vector<std::string> elements;
  bool is_set = true;
  storage::Status status = ctx.ks.SetMembers(db, ctx.args[1], &elements);
  if (keyspace::IsWrongType(status)) {
    is_set = false;
    status = ctx.ks.ListRange(db, ctx.args[1], 0, -1, &elements);
  }
  if (keyspace::IsWrongType(status)) {
    // A sorted set's members in score order, handled as a list's elements.
    std::vector<keyspace::ScoredMember> members;
    status = ctx.ks.ZSetRange(db, ctx.args[1], keyspace::ZRangeSpec(), &members);
    for (keyspace::ScoredMember& m : members) elements.push_back(std::move(m.member));
  }
  if (!status.ok()) return ReplyStorageError(ctx, status);
  // A set stored unsorted would depend on member order: Redis sorts it (ALPHA, no BY) then.
  if (dontsort && is_set && store) {
    dontsort = false;
    alpha = true;
    by.reset();
  }
  struct Item {
    std::string element;
    double score = 0;
    std::optional<std::string> weight;  // ALPHA with BY: the compared value
  };
  std::vector<Item> items(elements.size());
  for (size_t i = 0; i < elements.size(); ++i) items[i].element = std::move(elements[i]);
  // An unsorted list with DESC is read from its tail (LIMIT counts from there), as in Redis.
  if (dontsort && !is_set && desc) std::reverse(items.begin(), items.end());
  if (!dontsort) {
    bool bad_score = false;
    for (Item& item : items) {
      std::optional<std::string> weight;
      if (by) {
        status = LookupByPattern(ctx, *by, item.element, &weight);
        if (!status.ok()) return ReplyStorageError(ctx, status);
        if (!weight) continue;  // a missing weight sorts as 0 (numeric) or first (ALPHA)
      }
      if (alpha) {
        if (by) item.weight = std::move(weight);
      } else if (!SortScore(by ? *weight : item.element, &item.score)) {
        bad_score = true;
      }
    }
    if (bad_score) {
      ctx.reply.Error("ERR One or more scores can't be converted into double");
      return;
    }
    const bool by_pattern = by.has_value();
    std::stable_sort(items.begin(), items.end(), [&](const Item& a, const Item& b) {
      int cmp = 0;
      if (!alpha) {
        cmp = a.score < b.score ? -1 : (a.score > b.score ? 1 : a.element.compare(b.element));
      } else if (by_pattern) {
        if (!a.weight || !b.weight) {
          cmp = a.weight.has_value() == b.weight.has_value() ? 0 : (a.weight ? 1 : -1);
        } else {
          cmp = a.weight->compare(*b.weight);
        }
      } else {
        cmp = a.element.compare(b.element);
      }
      return desc ? cmp > 0 : cmp < 0;
    });
  }
  // Redis's LIMIT: a negative offset is 0, a negative count is "to the end".
  const auto size = static_cast<int64_t>(items.size());
  int64_t start = limit_offset < 0 ? 0 : limit_offset;
  int64_t end = limit_count < 0 || limit_count > size ? size - 1 : start + limit_count - 1;
  if (start >= size) {
    start = size - 1;
    end = size - 2;
  }
  if (end >= size) end = size - 1;
  const auto n = static_cast<size_t>(end - start + 1);
  // Every GET is read before anything is written, so a storage error is the whole reply.
  std::vector<std::optional<std::string>> values;
  if (!gets.empty()) {
    values.reserve(n * gets.size());
    for (size_t i = 0; i < n; ++i) {
      const std::string& element = items[static_cast<size_t>(start) + i].element;
      for (std::string_view get : gets) {
        values.emplace_back();
        status = LookupByPattern(ctx, get, element, &values.back());
        if (!status.ok()) return ReplyStorageError(ctx, status);
      }
    }
  }
  if (store) {
    std::vector<std::string> stored;
    stored.reserve(gets.empty() ? n : values.size());
    if (gets.empty()) {
      for (size_t i = 0; i < n; ++i) {
        stored.push_back(std::move(items[static_cast<size_t>(start) + i].element));
      }
    } else {
      for (std::optional<std::string>& value : values) {
        stored.push_back(value ? std::move(*value) : std::string());  // nil is stored as ""
      }
    }
    bool existed = false;
    status = LiveBeforeStore(ctx, *store, &existed);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    status = ctx.ks.StoreList(db, *store, stored);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    NotifyStore(ctx, kNotifyList, "sortstore", *store, !stored.empty(), existed);
    ctx.reply.Integer(static_cast<int64_t>(stored.size()));
    return;
  }
  if (gets.empty()) {
    ctx.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) ctx.reply.Bulk(items[static_cast<size_t>(start) + i].element);
    return;
  }
  ctx.reply.ArrayHeader(values.size());
  for (const std::optional<std::string>& value : values) {
    if (value) {
      ctx.reply.Bulk(*value);
    } else {
      ctx.reply.NullBulk();
    }
  }
}

void SortCommand(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRoCommand(CommandContext& ctx) { SortGeneric(ctx, true); }

// SORT's keys beyond the sorted one: the STORE destination (the last STORE counts, as in Redis's
// sortGetKeys, which skips LIMIT's two arguments and BY's and GET's one).
void SortStoreKey(const std::vector<std::string_view>& args, std::vector<std::string_view>* keys) {
  const std::string_view* destination = nullptr;  // "" is a key name too
  for (size_t i = 2; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(args[i], "by") || EqualsIgnoreCase(args[i], "get")) {
      i += 1;
    } else if (EqualsIgnoreCase(args[i], "store") && i + 1 < args.size()) {
      destination = &args[++i];
    }
  }
  if (destination != nullptr) keys->push_back(*destination);
}

// SORT_RO names no key beyond the sorted one, but its BY and GET patterns may read any key, so
// Redis marks it movablekeys (its key specs are incomplete); so does this table.
void SortPatternKeys(const std::vector<std::string_view>& /*args*/,
                     std::vector<std::string_view>* /*keys*/) {}

const CommandSpec kSetCommands[] = {
    {"sadd", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, SAddCommand, "set", "1.0.0",
     "Adds one or more members to a set. Creates the key if it doesn't exist.",
     "key member [member ...]"},
    {"srem", -3, kCmdWrite | kCmdFast, 1, 1, 1, SRemCommand, "set", "1.0.0",
     "Removes one or more members from a set. Deletes the set if the last member was removed.",
     "key member [member ...]"},
    {"scard", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, SCardCommand, "set", "1.0.0",
     "Returns the number of members in a set.", "key"},
    {"sismember", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, SIsMemberCommand, "set", "1.0.0",
     "Determines whether a member belongs to a set.", "key member"},
    {"smismember", -3, kCmdReadOnly | kCmdFast, 1, 1, 1, SMIsMemberCommand, "set", "6.2.0",
     "Determines whether multiple members belong to a set.", "key member [member ...]"},
    {"smembers", 2, kCmdReadOnly, 1, 1, 1, SMembersCommand, "set", "1.0.0",
     "Returns all members of a set.", "key"},
    {"srandmember", -2, kCmdReadOnly, 1, 1, 1, SRandMemberCommand, "set", "1.0.0",
     "Get one or multiple random members from a set", "key [count]"},
    {"spop", -2, kCmdWrite | kCmdFast, 1, 1, 1, SPopCommand, "set", "1.0.0",
     "Returns one or more random members from a set after removing them. Deletes the set if the "
     "last member was popped.",
     "key [count]"},
    {"smove", 4, kCmdWrite | kCmdFast, 1, 2, 1, SMoveCommand, "set", "1.0.0",
     "Moves a member from one set to another.", "source destination member"},
    {"sinter", -2, kCmdReadOnly, 1, -1, 1, SInterCommand, "set", "1.0.0",
     "Returns the intersect of multiple sets.", "key [key ...]"},
    {"sintercard", -3, kCmdReadOnly, 0, 0, 0, SInterCardCommand, "set", "7.0.0",
     "Returns the number of members of the intersect of multiple sets.",
     "numkeys key [key ...] [LIMIT limit]", KeysAfterNumKeys<1>},
    {"sinterstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1, SInterStoreCommand, "set", "1.0.0",
     "Stores the intersect of multiple sets in a key.", "destination key [key ...]"},
    {"sunion", -2, kCmdReadOnly, 1, -1, 1, SUnionCommand, "set", "1.0.0",
     "Returns the union of multiple sets.", "key [key ...]"},
    {"sunionstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1, SUnionStoreCommand, "set", "1.0.0",
     "Stores the union of multiple sets in a key.", "destination key [key ...]"},
    {"sdiff", -2, kCmdReadOnly, 1, -1, 1, SDiffCommand, "set", "1.0.0",
     "Returns the difference of multiple sets.", "key [key ...]"},
    {"sdiffstore", -3, kCmdWrite | kCmdDenyOom, 1, -1, 1, SDiffStoreCommand, "set", "1.0.0",
     "Stores the difference of multiple sets in a key.", "destination key [key ...]"},
    {"sscan", -3, kCmdReadOnly, 1, 1, 1, SScanCommand, "set", "2.8.0",
     "Iterates over members of a set.", "key cursor [MATCH pattern] [COUNT count]"},
    {"sort", -2, kCmdWrite | kCmdDenyOom, 1, 1, 1, SortCommand, "generic", "1.0.0",
     "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
     "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] "
     "[STORE destination]",
     SortStoreKey},
    {"sort_ro", -2, kCmdReadOnly, 1, 1, 1, SortRoCommand, "generic", "7.0.0",
     "Returns the sorted elements of a list, a set, or a sorted set.",
     "key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] "
     "[ALPHA]",
     SortPatternKeys},
};

}  // namespace

void RegisterSetCommands(CommandTable& table) {
  table.Register(kSetCommands, std::size(kSetCommands));
}

}  // namespace shale::server
