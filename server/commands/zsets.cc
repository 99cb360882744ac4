// Sorted-set commands (Redis 7.0's t_zset.c: argument order, error texts, RESP2 and RESP3
// replies): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, the
// ZRANGE family (ZRANGE, ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX,
// ZREVRANGEBYLEX), ZREMRANGEBYRANK/BYSCORE/BYLEX, ZPOPMIN, ZPOPMAX, ZMPOP, the blocking BZPOPMIN,
// BZPOPMAX and BZMPOP, ZRANDMEMBER, ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD and
// ZSCAN. Storage: server/keyspace/zsets.cc.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <unordered_map>
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

using keyspace::LexBound;
using keyspace::ScoredMember;
using keyspace::ZRangeSpec;

constexpr std::string_view kNotFloat = "ERR value is not a valid float";

// Redis's zslParseRange item: "(" makes it exclusive; the rest is read by strtod, which must
// take all of it and give a number.
bool ParseScoreBound(std::string_view text, keyspace::ScoreBound* bound) {
  bound->exclusive = !text.empty() && text[0] == '(';
  const std::string s(text.substr(bound->exclusive ? 1 : 0));
  char* end = nullptr;
  bound->value = std::strtod(s.c_str(), &end);
  return *end == '\0' && !std::isnan(bound->value);
}

// Redis's zslParseLexRangeItem: "+", "-", "[member" or "(member".
bool ParseLexBound(std::string_view text, LexBound* bound) {
  if (text.empty()) return false;
  switch (text[0]) {
    case '+':
      bound->kind = LexBound::Kind::kPlusInfinity;
      return text.size() == 1;
    case '-':
      bound->kind = LexBound::Kind::kMinusInfinity;
      return text.size() == 1;
    case '[':
      bound->kind = LexBound::Kind::kInclusive;
      bound->value = std::string(text.substr(1));
      return true;
    case '(':
      bound->kind = LexBound::Kind::kExclusive;
      bound->value = std::string(text.substr(1));
      return true;
    default:
      return false;
  }
}

// Parses min and max of a score or lex range into `spec`; false after replying Redis's error.
bool ParseRangeBounds(CommandContext& ctx, std::string_view min, std::string_view max,
                      ZRangeSpec* spec) {
  if (spec->by == ZRangeSpec::By::kScore) {
    if (!ParseScoreBound(min, &spec->score_min) || !ParseScoreBound(max, &spec->score_max)) {
      ctx.reply.Error("ERR min or max is not a float");
      return false;
    }
  } else if (!ParseLexBound(min, &spec->lex_min) || !ParseLexBound(max, &spec->lex_max)) {
    ctx.reply.Error("ERR min or max not valid string range item");
    return false;
  }
  return true;
}

// Members, with their scores when `with_scores`: RESP2 a flat array, RESP3 an array of
// [member, score] pairs (Redis 7).
void ReplyScored(CommandContext& ctx, const std::vector<ScoredMember>& members, bool with_scores) {
  if (!with_scores) {
    ctx.reply.ArrayHeader(members.size());
    for (const ScoredMember& m : members) ctx.reply.Bulk(m.member);
    return;
  }
  const bool pairs = ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(pairs ? members.size() : members.size() * 2);
  for (const ScoredMember& m : members) {
    if (pairs) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(m.member);
    ctx.reply.Double(m.score);
  }
}

// --- ZADD, ZINCRBY, ZREM ---

// ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]
void ZAddGeneric(CommandContext& ctx, bool incr_command) {
  keyspace::ZAddOptions options;
  options.incr = incr_command;
  bool nx = false, xx = false, ch = false;
  size_t i = 2;
  if (!incr_command) {
    for (; i < ctx.args.size(); ++i) {
      const std::string_view opt = ctx.args[i];
      if (EqualsIgnoreCase(opt, "nx")) {
        nx = true;
      } else if (EqualsIgnoreCase(opt, "xx")) {
        xx = true;
      } else if (EqualsIgnoreCase(opt, "gt")) {
        options.gt = true;
      } else if (EqualsIgnoreCase(opt, "lt")) {
        options.lt = true;
      } else if (EqualsIgnoreCase(opt, "ch")) {
        ch = true;
      } else if (EqualsIgnoreCase(opt, "incr")) {
        options.incr = true;
      } else {
        break;
      }
    }
  }
  const size_t elements = ctx.args.size() - i;
  if (elements == 0 || elements % 2 != 0) return ctx.reply.Error(kSyntaxError);
  if (nx && xx) return ctx.reply.Error("ERR XX and NX options at the same time are not compatible");
  if ((options.gt && nx) || (options.lt && nx) || (options.gt && options.lt)) {
    return ctx.reply.Error("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if (options.incr && elements > 2) {
    return ctx.reply.Error("ERR INCR option supports a single increment-element pair");
  }
  options.condition = nx   ? keyspace::SetCondition::kIfAbsent
                      : xx ? keyspace::SetCondition::kIfPresent
                           : keyspace::SetCondition::kAlways;
  std::vector<std::pair<double, std::string_view>> pairs;
  pairs.reserve(elements / 2);
  for (; i < ctx.args.size(); i += 2) {
    double score = 0;
    if (!ParseDouble(ctx.args[i], &score)) return ctx.reply.Error(kNotFloat);
    pairs.emplace_back(score, ctx.args[i + 1]);
  }
  keyspace::ZAddResult result;
  storage::Status status =
      ctx.ks.ZSetAdd(ctx.connection.db(), ctx.args[1], pairs, options, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (result.nan) return ctx.reply.Error("ERR resulting score is not a number (NaN)");
  if (result.added + result.updated > 0) {
    Notify(ctx, kNotifyZset, options.incr ? "zincr" : "zadd", ctx.args[1]);
  }
  if (options.incr) {
    if (!result.incr_applied) return ctx.reply.NullBulk();
    return ctx.reply.Double(result.incr_score);
  }
  ctx.reply.Integer(ch ? result.added + result.updated : result.added);
}
void ZAddCommand(CommandContext& ctx) { ZAddGeneric(ctx, false); }

// ZINCRBY key increment member
void ZIncrByCommand(CommandContext& ctx) { ZAddGeneric(ctx, true); }

void ZRemCommand(CommandContext& ctx) {
  const std::vector<std::string_view> members(ctx.args.begin() + 2, ctx.args.end());
  int64_t removed = 0;
  storage::Status status = ctx.ks.ZSetRemove(ctx.connection.db(), ctx.args[1], members, &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) NotifyRemoval(ctx, kNotifyZset, "zrem", ctx.args[1]);
  ctx.reply.Integer(removed);
}

// --- reads of members ---

void ZCardCommand(CommandContext& ctx) {
  int64_t size = 0;
  storage::Status status = ctx.ks.ZSetCard(ctx.connection.db(), ctx.args[1], &size);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(size);
}

void ZScoreGeneric(CommandContext& ctx, bool multi) {
  const std::vector<std::string_view> members(ctx.args.begin() + 2, ctx.args.end());
  std::vector<double> scores;
  std::vector<bool> found;
  storage::Status status =
      ctx.ks.ZSetScores(ctx.connection.db(), ctx.args[1], members, &scores, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (multi) ctx.reply.ArrayHeader(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (found[i]) {
      ctx.reply.Double(scores[i]);
    } else {
      ctx.reply.NullBulk();
    }
  }
}
void ZScoreCommand(CommandContext& ctx) { ZScoreGeneric(ctx, false); }
void ZMScoreCommand(CommandContext& ctx) { ZScoreGeneric(ctx, true); }

// ZRANK / ZREVRANK key member [WITHSCORE] (WITHSCORE: Redis 7.2)
void ZRankGeneric(CommandContext& ctx, bool reverse) {
  bool with_score = false;
  if (ctx.args.size() > 4) return ctx.reply.Error(kSyntaxError);
  if (ctx.args.size() == 4) {
    if (!EqualsIgnoreCase(ctx.args[3], "withscore")) return ctx.reply.Error(kSyntaxError);
    with_score = true;
  }
  int64_t rank = -1;
  double score = 0;
  storage::Status status =
      ctx.ks.ZSetRank(ctx.connection.db(), ctx.args[1], ctx.args[2], reverse, &rank, &score);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (rank < 0) return with_score ? ctx.reply.NullArray() : ctx.reply.NullBulk();
  if (!with_score) return ctx.reply.Integer(rank);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Integer(rank);
  ctx.reply.Double(score);
}
void ZRankCommand(CommandContext& ctx) { ZRankGeneric(ctx, false); }
void ZRevRankCommand(CommandContext& ctx) { ZRankGeneric(ctx, true); }

// ZCOUNT key min max / ZLEXCOUNT key min max
void ZCountGeneric(CommandContext& ctx, ZRangeSpec::By by) {
  ZRangeSpec spec;
  spec.by = by;
  if (!ParseRangeBounds(ctx, ctx.args[2], ctx.args[3], &spec)) return;
  int64_t count = 0;
  storage::Status status = ctx.ks.ZSetCount(ctx.connection.db(), ctx.args[1], spec, &count);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(count);
}
void ZCountCommand(CommandContext& ctx) { ZCountGeneric(ctx, ZRangeSpec::By::kScore); }
void ZLexCountCommand(CommandContext& ctx) { ZCountGeneric(ctx, ZRangeSpec::By::kLex); }

// --- the ZRANGE family ---

enum class RangeForm { kAuto, kRank, kScore, kLex };

// Redis's zrangeGenericCommand: the range starts at argument `first` (min or start; max or stop
// follows), the options after it. `store`: ZRANGESTORE's destination (no WITHSCORES). `by` and
// `reverse` are fixed by the old commands (kAuto / !fixed_direction: ZRANGE's own options).
void ZRangeGeneric(CommandContext& ctx, size_t first, const std::string_view* store, RangeForm form,
                   bool fixed_direction, bool reverse) {
  const std::string_view key = ctx.args[first - 1];
  bool with_scores = false, limit = false;
  ZRangeSpec spec;
  for (size_t j = first + 2; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const size_t left = ctx.args.size() - j - 1;
    if (store == nullptr && EqualsIgnoreCase(opt, "withscores")) {
      with_scores = true;
    } else if (EqualsIgnoreCase(opt, "limit") && left >= 2) {
      if (!ParseInt64(ctx.args[j + 1], &spec.offset) || !ParseInt64(ctx.args[j + 2], &spec.count)) {
        return ctx.reply.Error(kNotIntegerError);
      }
      limit = true;
      j += 2;
    } else if (!fixed_direction && EqualsIgnoreCase(opt, "rev")) {
      reverse = true;
      fixed_direction = true;
    } else if (form == RangeForm::kAuto && EqualsIgnoreCase(opt, "bylex")) {
      form = RangeForm::kLex;
    } else if (form == RangeForm::kAuto && EqualsIgnoreCase(opt, "byscore")) {
      form = RangeForm::kScore;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (form == RangeForm::kAuto) form = RangeForm::kRank;
  if (limit && form == RangeForm::kRank) {
    return ctx.reply.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
  }
  if (with_scores && form == RangeForm::kLex) {
    return ctx.reply.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  }
  spec.reverse = reverse;
  std::string_view min = ctx.args[first], max = ctx.args[first + 1];
  if (reverse && form != RangeForm::kRank) std::swap(min, max);
  if (form == RangeForm::kRank) {
    if (!ParseInt64(min, &spec.start) || !ParseInt64(max, &spec.stop)) {
      return ctx.reply.Error(kNotIntegerError);
    }
  } else {
    spec.by = form == RangeForm::kScore ? ZRangeSpec::By::kScore : ZRangeSpec::By::kLex;
    if (!ParseRangeBounds(ctx, min, max, &spec)) return;
  }
  std::vector<ScoredMember> members;
  storage::Status status = ctx.ks.ZSetRange(ctx.connection.db(), key, spec, &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (store != nullptr) return StoreZSetAndReply(ctx, *store, members, "zrangestore");
  ReplyScored(ctx, members, with_scores);
}

// ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
void ZRangeCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kAuto, false, false);
}
// ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]
void ZRangeStoreCommand(CommandContext& ctx) {
  const std::string_view destination = ctx.args[1];
  ZRangeGeneric(ctx, 3, &destination, RangeForm::kAuto, false, false);
}
void ZRevRangeCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kRank, true, true);
}
void ZRangeByScoreCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kScore, true, false);
}
void ZRevRangeByScoreCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kScore, true, true);
}
void ZRangeByLexCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kLex, true, false);
}
void ZRevRangeByLexCommand(CommandContext& ctx) {
  ZRangeGeneric(ctx, 2, nullptr, RangeForm::kLex, true, true);
}

// ZREMRANGEBYRANK key start stop / ZREMRANGEBYSCORE key min max / ZREMRANGEBYLEX key min max
void ZRemRangeGeneric(CommandContext& ctx, ZRangeSpec::By by, std::string_view event) {
  ZRangeSpec spec;
  spec.by = by;
  if (by == ZRangeSpec::By::kRank) {
    if (!ParseInt64(ctx.args[2], &spec.start) || !ParseInt64(ctx.args[3], &spec.stop)) {
      return ctx.reply.Error(kNotIntegerError);
    }
  } else if (!ParseRangeBounds(ctx, ctx.args[2], ctx.args[3], &spec)) {
    return;
  }
  int64_t removed = 0;
  storage::Status status = ctx.ks.ZSetRemoveRange(ctx.connection.db(), ctx.args[1], spec, &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) NotifyRemoval(ctx, kNotifyZset, event, ctx.args[1]);
  ctx.reply.Integer(removed);
}
void ZRemRangeByRankCommand(CommandContext& ctx) {
  ZRemRangeGeneric(ctx, ZRangeSpec::By::kRank, "zremrangebyrank");
}
void ZRemRangeByScoreCommand(CommandContext& ctx) {
  ZRemRangeGeneric(ctx, ZRangeSpec::By::kScore, "zremrangebyscore");
}
void ZRemRangeByLexCommand(CommandContext& ctx) {
  ZRemRangeGeneric(ctx, ZRangeSpec::By::kLex, "zremrangebylex");
}

// --- pops ---

// Pops up to `count` members of `key` from its low (high, `max`) end with the events; *found
// false when the key is absent.
storage::Status Pop(CommandContext& ctx, std::string_view key, bool max, uint64_t count,
                    std::vector<ScoredMember>* members, bool* found) {
  storage::Status status = ctx.ks.ZSetPop(ctx.connection.db(), key, max, count, members, found);
  if (status.ok() && !members->empty()) {
    NotifyRemoval(ctx, kNotifyZset, max ? "zpopmax" : "zpopmin", key);
  }
  return status;
}

// ZPOPMIN / ZPOPMAX key [count]: RESP3 nests the pairs when a count is given.
void ZPopGeneric(CommandContext& ctx, bool max) {
  if (ctx.args.size() > 3) return ctx.reply.Error(kSyntaxError);
  int64_t count = 1;
  const bool has_count = ctx.args.size() == 3;
  if (has_count && (!ParseInt64(ctx.args[2], &count) || count < 0)) {
    return ctx.reply.Error("ERR value is out of range, must be positive");
  }
  std::vector<ScoredMember> members;
  bool found = false;
  storage::Status status =
      Pop(ctx, ctx.args[1], max, static_cast<uint64_t>(count), &members, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  const bool nested = has_count && ctx.reply.protocol() >= 3;
  ctx.reply.ArrayHeader(nested ? members.size() : members.size() * 2);
  for (const ScoredMember& m : members) {
    if (nested) ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(m.member);
    ctx.reply.Double(m.score);
  }
}
void ZPopMinCommand(CommandContext& ctx) { ZPopGeneric(ctx, false); }
void ZPopMaxCommand(CommandContext& ctx) { ZPopGeneric(ctx, true); }

// BZPOPMIN / BZPOPMAX key [key ...] timeout: [key, member, score] from the first non-empty key.
void BlockingPopGeneric(CommandContext& ctx, bool max) {
  uint64_t deadline = 0;
  if (!ParseTimeout(ctx, ctx.args.back(), &deadline)) return;
  const std::vector<std::string_view> keys(ctx.args.begin() + 1, ctx.args.end() - 1);
  for (std::string_view key : keys) {
    std::vector<ScoredMember> members;
    bool found = false;
    storage::Status status = Pop(ctx, key, max, 1, &members, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!found || members.empty()) continue;
    PropagateAs(ctx, {max ? "ZPOPMAX" : "ZPOPMIN", key});
    ctx.connection.block().timed_out = false;
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(key);
    ctx.reply.Bulk(members[0].member);
    ctx.reply.Double(members[0].score);
    return;
  }
  if (AnswerNothingNow(ctx)) return ctx.reply.NullArray();
  ctx.server.BlockForKeys(ctx.connection, keys, deadline, keyspace::ValueType::kZSet);
}
void BZPopMinCommand(CommandContext& ctx) { BlockingPopGeneric(ctx, false); }
void BZPopMaxCommand(CommandContext& ctx) { BlockingPopGeneric(ctx, true); }

// [BZMPOP timeout] ZMPOP numkeys key [key ...] MIN | MAX [COUNT count]: `first` is numkeys'
// index.
void MPopGeneric(CommandContext& ctx, size_t first, bool blocking) {
  uint64_t deadline = 0;
  if (blocking && !ParseTimeout(ctx, ctx.args[1], &deadline)) return;
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[first], &numkeys) || numkeys <= 0) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - first - 2) {
    return ctx.reply.Error(kSyntaxError);
  }
  const size_t where = first + 1 + static_cast<size_t>(numkeys);
  bool max = false;
  if (EqualsIgnoreCase(ctx.args[where], "max")) {
    max = true;
  } else if (!EqualsIgnoreCase(ctx.args[where], "min")) {
    return ctx.reply.Error(kSyntaxError);
  }
  int64_t count = 1;
  bool has_count = false;
  for (size_t i = where + 1; i < ctx.args.size(); i += 2) {
    if (!EqualsIgnoreCase(ctx.args[i], "count") || has_count || i + 1 >= ctx.args.size()) {
      return ctx.reply.Error(kSyntaxError);
    }
    if (!ParseInt64(ctx.args[i + 1], &count) || count <= 0) {
      return ctx.reply.Error("ERR count should be greater than 0");
    }
    has_count = true;
  }
  for (size_t i = first + 1; i < where; ++i) {
    std::vector<ScoredMember> members;
    bool found = false;
    storage::Status status =
        Pop(ctx, ctx.args[i], max, static_cast<uint64_t>(count), &members, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!found || members.empty()) continue;
    const std::string popped = std::to_string(members.size());
    PropagateAs(ctx, {max ? "ZPOPMAX" : "ZPOPMIN", ctx.args[i], popped});
    if (blocking) ctx.connection.block().timed_out = false;
    ctx.reply.ArrayHeader(2);
    ctx.reply.Bulk(ctx.args[i]);
    ctx.reply.ArrayHeader(members.size());
    for (const ScoredMember& m : members) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(m.member);
      ctx.reply.Double(m.score);
    }
    return;
  }
  if (!blocking || AnswerNothingNow(ctx)) return ctx.reply.NullArray();
  const std::vector<std::string_view> keys(ctx.args.begin() + static_cast<ptrdiff_t>(first) + 1,
                                           ctx.args.begin() + static_cast<ptrdiff_t>(where));
  ctx.server.BlockForKeys(ctx.connection, keys, deadline, keyspace::ValueType::kZSet);
}
void ZMPopCommand(CommandContext& ctx) { MPopGeneric(ctx, 1, false); }
void BZMPopCommand(CommandContext& ctx) { MPopGeneric(ctx, 2, true); }

// ZRANDMEMBER key [count [WITHSCORES]]
void ZRandMemberCommand(CommandContext& ctx) {
  if (ctx.args.size() > 4) return ctx.reply.Error(kSyntaxError);
  const bool has_count = ctx.args.size() >= 3;
  bool with_scores = false;
  int64_t count = 1;
  if (has_count) {
    if (!ParseInt64(ctx.args[2], &count)) return ctx.reply.Error(kNotIntegerError);
    if (count == INT64_MIN) {  // Redis's range is -LONG_MAX .. LONG_MAX (and its wording)
      return ctx.reply.Error(
          "ERR value is out of range, value must between -9223372036854775807 and "
          "9223372036854775807");
    }
    if (ctx.args.size() == 4) {
      if (!EqualsIgnoreCase(ctx.args[3], "withscores")) return ctx.reply.Error(kSyntaxError);
      with_scores = true;
      // Redis refuses a count whose reply length (2 x -count) would overflow.
      if (count < -INT64_MAX / 2) return ctx.reply.Error("ERR value is out of range");
    }
  }
  std::vector<ScoredMember> members;
  storage::Status status =
      ctx.ks.ZSetRandomMembers(ctx.connection.db(), ctx.args[1], count, &members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (has_count) return ReplyScored(ctx, members, with_scores);
  if (members.empty()) return ctx.reply.NullBulk();
  ctx.reply.Bulk(members[0].member);
}

// --- ZUNION, ZINTER, ZDIFF ---

enum class Combine { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

std::string_view CommandName(Combine op, bool store) {
  switch (op) {
    case Combine::kUnion:
      return store ? "zunionstore" : "zunion";
    case Combine::kInter:
      return store ? "zinterstore" : "zinter";
    case Combine::kDiff:
      return store ? "zdiffstore" : "zdiff";
  }
  return "";
}

double Weighted(double score, double weight) {
  const double value = score * weight;
  return std::isnan(value) ? 0 : value;  // 0 x inf counts as 0, as in Redis
}

double AggregateScores(Aggregate aggregate, double a, double b) {
  switch (aggregate) {
    case Aggregate::kSum: {
      const double sum = a + b;
      return std::isnan(sum) ? 0 : sum;  // inf + -inf
    }
    case Aggregate::kMin:
      return std::min(a, b);
    case Aggregate::kMax:
      return std::max(a, b);
  }
  return a;
}

// The result of combining `inputs` (each in member order), sorted by score then member.
std::vector<ScoredMember> CombineInputs(Combine op, Aggregate aggregate,
                                        const std::vector<std::vector<ScoredMember>>& inputs,
                                        const std::vector<double>& weights) {
  std::vector<ScoredMember> result;
  if (inputs.empty()) return result;
  if (op == Combine::kDiff) {
    std::unordered_map<std::string_view, bool> removed;
    for (size_t i = 1; i < inputs.size(); ++i) {
      for (const ScoredMember& m : inputs[i]) removed[m.member] = true;
    }
    for (const ScoredMember& m : inputs[0]) {
      if (removed.count(m.member) == 0) result.push_back(m);
    }
  } else if (op == Combine::kUnion) {
    std::unordered_map<std::string_view, size_t> at;
    for (size_t i = 0; i < inputs.size(); ++i) {
      for (const ScoredMember& m : inputs[i]) {
        const double score = Weighted(m.score, weights[i]);
        auto [it, inserted] = at.emplace(m.member, result.size());
        if (inserted) {
          result.push_back({m.member, score});
        } else {
          result[it->second].score = AggregateScores(aggregate, result[it->second].score, score);
        }
      }
    }
  } else {
    // Intersection: the smallest input's members, each found in every other.
    size_t smallest = 0;
    for (size_t i = 1; i < inputs.size(); ++i) {
      if (inputs[i].size() < inputs[smallest].size()) smallest = i;
    }
    std::vector<std::unordered_map<std::string_view, double>> maps(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (i == smallest) continue;
      maps[i].reserve(inputs[i].size());
      for (const ScoredMember& m : inputs[i]) maps[i].emplace(m.member, m.score);
    }
    for (const ScoredMember& m : inputs[smallest]) {
      bool in_all = true;
      double score = 0;
      for (size_t i = 0; i < inputs.size() && in_all; ++i) {
        double s = m.score;
        if (i != smallest) {
          auto it = maps[i].find(m.member);
          if (it == maps[i].end()) {
            in_all = false;
            break;
          }
          s = it->second;
        }
        const double weighted = Weighted(s, weights[i]);
        score = i == 0 ? weighted : AggregateScores(aggregate, score, weighted);
      }
      if (in_all) result.push_back({m.member, score});
    }
  }
  std::sort(result.begin(), result.end(), [](const ScoredMember& a, const ScoredMember& b) {
    return a.score < b.score || (a.score == b.score && a.member < b.member);
  });
  return result;
}

// ZUNION / ZINTER / ZDIFF numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM | MIN | MAX]
// [WITHSCORES], and the STORE forms with a destination first (no WITHSCORES).
void CombineGeneric(CommandContext& ctx, Combine op, bool store) {
  const size_t numkeys_index = store ? 2 : 1;
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[numkeys_index], &numkeys)) return ctx.reply.Error(kNotIntegerError);
  if (numkeys < 1) {
    return ctx.reply.Error("ERR at least 1 input key is needed for '" +
                           std::string(CommandName(op, store)) + "' command");
  }
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - numkeys_index - 1) {
    return ctx.reply.Error(kSyntaxError);
  }
  const auto n = static_cast<size_t>(numkeys);
  const int db = ctx.connection.db();
  // Every key is read (and type-checked) before the options are parsed, as in Redis.
  std::vector<std::vector<ScoredMember>> inputs(n);
  std::vector<bool> exists(n);
  for (size_t i = 0; i < n; ++i) {
    bool e = false;
    storage::Status status =
        ctx.ks.ZSetReadInput(db, ctx.args[numkeys_index + 1 + i], &inputs[i], &e);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    exists[i] = e;
  }
  std::vector<double> weights(n, 1.0);
  Aggregate aggregate = Aggregate::kSum;
  bool with_scores = false;
  for (size_t j = numkeys_index + 1 + n; j < ctx.args.size(); ++j) {
    const std::string_view opt = ctx.args[j];
    const size_t left = ctx.args.size() - j - 1;
    if (op != Combine::kDiff && left >= n && EqualsIgnoreCase(opt, "weights")) {
      for (size_t i = 0; i < n; ++i) {
        if (!ParseDouble(ctx.args[j + 1 + i], &weights[i])) {
          return ctx.reply.Error("ERR weight value is not a float");
        }
      }
      j += n;
    } else if (op != Combine::kDiff && left >= 1 && EqualsIgnoreCase(opt, "aggregate")) {
      const std::string_view how = ctx.args[++j];
      if (EqualsIgnoreCase(how, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqualsIgnoreCase(how, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqualsIgnoreCase(how, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        return ctx.reply.Error(kSyntaxError);
      }
    } else if (!store && EqualsIgnoreCase(opt, "withscores")) {
      with_scores = true;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  // An absent key is an empty input; an intersection or a difference with an absent first key
  // is empty.
  std::vector<ScoredMember> result;
  const bool empty =
      (op == Combine::kInter && std::find(exists.begin(), exists.end(), false) != exists.end()) ||
      (op == Combine::kDiff && !exists[0]);
  if (!empty) result = CombineInputs(op, aggregate, inputs, weights);
  if (store) return StoreZSetAndReply(ctx, ctx.args[1], result, CommandName(op, true));
  ReplyScored(ctx, result, with_scores);
}
void ZUnionCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kUnion, false); }
void ZInterCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kInter, false); }
void ZDiffCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kDiff, false); }
void ZUnionStoreCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kUnion, true); }
void ZInterStoreCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kInter, true); }
void ZDiffStoreCommand(CommandContext& ctx) { CombineGeneric(ctx, Combine::kDiff, true); }

// ZINTERCARD numkeys key [key ...] [LIMIT limit]
void ZInterCardCommand(CommandContext& ctx) {
  int64_t numkeys = 0;
  if (!ParseInt64(ctx.args[1], &numkeys) || numkeys < 1) {
    return ctx.reply.Error("ERR numkeys should be greater than 0");
  }
  if (static_cast<uint64_t>(numkeys) > ctx.args.size() - 2) {
    return ctx.reply.Error("ERR Number of keys can't be greater than number of args");
  }
  const size_t end = 2 + static_cast<size_t>(numkeys);
  int64_t limit = 0;
  for (size_t i = end; i < ctx.args.size(); ++i) {
    if (!EqualsIgnoreCase(ctx.args[i], "limit") || i + 1 >= ctx.args.size()) {
      return ctx.reply.Error(kSyntaxError);
    }
    ++i;
    if (!ParseInt64(ctx.args[i], &limit) || limit < 0) {
      return ctx.reply.Error("ERR LIMIT can't be negative");
    }
  }
  const int db = ctx.connection.db();
  std::vector<std::vector<ScoredMember>> inputs(end - 2);
  bool any_absent = false;
  for (size_t i = 2; i < end; ++i) {
    bool e = false;
    storage::Status status = ctx.ks.ZSetReadInput(db, ctx.args[i], &inputs[i - 2], &e);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!e) any_absent = true;
  }
  int64_t count = 0;
  if (!any_absent) {
    const std::vector<double> weights(inputs.size(), 1.0);
    count = static_cast<int64_t>(
        CombineInputs(Combine::kInter, Aggregate::kSum, inputs, weights).size());
  }
  if (limit > 0) count = std::min(count, limit);
  ctx.reply.Integer(count);
}

// ZSCAN key cursor [MATCH pattern] [COUNT count]: SSCAN's rules (a listpack sorted set is
// returned whole with cursor 0); member, score pairs, the scores as bulk strings.
void ZScanCommand(CommandContext& ctx) {
  uint64_t cursor = 0;
  if (!ParseElementScanCursor(ctx.args[2], &cursor)) return ctx.reply.Error("ERR invalid cursor");
  const int db = ctx.connection.db();
  int64_t size = 0;
  storage::Status status = ctx.ks.ZSetCard(db, ctx.args[1], &size);
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
  std::vector<ScoredMember> members;
  bool complete = true, compact = true;
  status = ctx.ks.ZSetScan(db, ctx.args[1], after, prefix,
                           static_cast<size_t>(std::min<int64_t>(count, 1 << 20)), &members,
                           &complete, &compact);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!known && !compact) return ctx.reply.Error("ERR invalid cursor");
  uint64_t next = 0;
  if (!complete) next = ctx.server.scan_cursors().Save(db, members.back().member);
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(std::to_string(next));
  size_t matched = 0;
  for (const ScoredMember& m : members) {
    if (match_all || GlobMatch(pattern, m.member)) ++matched;
  }
  ctx.reply.ArrayHeader(matched * 2);
  std::string score;
  for (const ScoredMember& m : members) {
    if (!match_all && !GlobMatch(pattern, m.member)) continue;
    ctx.reply.Bulk(m.member);
    score.clear();
    protocol::AppendDouble(&score, m.score);
    ctx.reply.Bulk(score);
  }
}

constexpr uint32_t kRead = kCmdReadOnly;
constexpr uint32_t kWrite = kCmdWrite;

const CommandSpec kZSetCommands[] = {
    {"zadd", -4, kWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, ZAddCommand, "sorted_set", "1.2.0",
     "Adds one or more members to a sorted set, or updates their scores. Creates the key if it "
     "doesn't exist.",
     "key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]"},
    {"zincrby", 4, kWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, ZIncrByCommand, "sorted_set", "1.2.0",
     "Increments the score of a member in a sorted set.", "key increment member"},
    {"zrem", -3, kWrite | kCmdFast, 1, 1, 1, ZRemCommand, "sorted_set", "1.2.0",
     "Removes one or more members from a sorted set. Deletes the sorted set if all members were "
     "removed.",
     "key member [member ...]"},
    {"zcard", 2, kRead | kCmdFast, 1, 1, 1, ZCardCommand, "sorted_set", "1.2.0",
     "Returns the number of members in a sorted set.", "key"},
    {"zscore", 3, kRead | kCmdFast, 1, 1, 1, ZScoreCommand, "sorted_set", "1.2.0",
     "Returns the score of a member in a sorted set.", "key member"},
    {"zmscore", -3, kRead | kCmdFast, 1, 1, 1, ZMScoreCommand, "sorted_set", "6.2.0",
     "Returns the score of one or more members in a sorted set.", "key member [member ...]"},
    {"zrank", -3, kRead | kCmdFast, 1, 1, 1, ZRankCommand, "sorted_set", "2.0.0",
     "Returns the index of a member in a sorted set ordered by ascending scores.",
     "key member [WITHSCORE]"},
    {"zrevrank", -3, kRead | kCmdFast, 1, 1, 1, ZRevRankCommand, "sorted_set", "2.0.0",
     "Returns the index of a member in a sorted set ordered by descending scores.",
     "key member [WITHSCORE]"},
    {"zcount", 4, kRead | kCmdFast, 1, 1, 1, ZCountCommand, "sorted_set", "2.0.0",
     "Returns the count of members in a sorted set that have scores within a range.",
     "key min max"},
    {"zlexcount", 4, kRead | kCmdFast, 1, 1, 1, ZLexCountCommand, "sorted_set", "2.8.9",
     "Returns the number of members in a sorted set within a lexicographical range.",
     "key min max"},
    {"zrange", -4, kRead, 1, 1, 1, ZRangeCommand, "sorted_set", "1.2.0",
     "Returns members in a sorted set within a range of indexes.",
     "key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]"},
    {"zrangestore", -5, kWrite | kCmdDenyOom, 1, 2, 1, ZRangeStoreCommand, "sorted_set", "6.2.0",
     "Stores a range of members from sorted set in a key.",
     "dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]"},
    {"zrevrange", -4, kRead, 1, 1, 1, ZRevRangeCommand, "sorted_set", "1.2.0",
     "Returns members in a sorted set within a range of indexes in reverse order.",
     "key start stop [WITHSCORES]"},
    {"zrangebyscore", -4, kRead, 1, 1, 1, ZRangeByScoreCommand, "sorted_set", "1.0.5",
     "Returns members in a sorted set within a range of scores.",
     "key min max [WITHSCORES] [LIMIT offset count]"},
    {"zrevrangebyscore", -4, kRead, 1, 1, 1, ZRevRangeByScoreCommand, "sorted_set", "2.2.0",
     "Returns members in a sorted set within a range of scores in reverse order.",
     "key max min [WITHSCORES] [LIMIT offset count]"},
    {"zrangebylex", -4, kRead, 1, 1, 1, ZRangeByLexCommand, "sorted_set", "2.8.9",
     "Returns members in a sorted set within a lexicographical range.",
     "key min max [LIMIT offset count]"},
    {"zrevrangebylex", -4, kRead, 1, 1, 1, ZRevRangeByLexCommand, "sorted_set", "2.8.9",
     "Returns members in a sorted set within a lexicographical range in reverse order.",
     "key max min [LIMIT offset count]"},
    {"zremrangebyrank", 4, kWrite, 1, 1, 1, ZRemRangeByRankCommand, "sorted_set", "2.0.0",
     "Removes members in a sorted set within a range of indexes. Deletes the sorted set if all "
     "members were removed.",
     "key start stop"},
    {"zremrangebyscore", 4, kWrite, 1, 1, 1, ZRemRangeByScoreCommand, "sorted_set", "1.2.0",
     "Removes members in a sorted set within a range of scores. Deletes the sorted set if all "
     "members were removed.",
     "key min max"},
    {"zremrangebylex", 4, kWrite, 1, 1, 1, ZRemRangeByLexCommand, "sorted_set", "2.8.9",
     "Removes members in a sorted set within a lexicographical range. Deletes the sorted set if "
     "all members were removed.",
     "key min max"},
    {"zpopmin", -2, kWrite | kCmdFast, 1, 1, 1, ZPopMinCommand, "sorted_set", "5.0.0",
     "Returns the lowest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     "key [count]"},
    {"zpopmax", -2, kWrite | kCmdFast, 1, 1, 1, ZPopMaxCommand, "sorted_set", "5.0.0",
     "Returns the highest-scoring members from a sorted set after removing them. Deletes the "
     "sorted set if the last member was popped.",
     "key [count]"},
    {"zmpop", -4, kWrite, 0, 0, 0, ZMPopCommand, "sorted_set", "7.0.0",
     "Returns the highest- or lowest-scoring members from one or more sorted sets after removing "
     "them. Deletes the sorted set if the last member was popped.",
     "numkeys key [key ...] MIN | MAX [COUNT count]", KeysAfterNumKeys<1>},
    {"bzpopmin", -3, kWrite | kCmdFast | kCmdNoScript, 1, -2, 1, BZPopMinCommand, "sorted_set",
     "5.0.0",
     "Removes and returns the member with the lowest score from one or more sorted sets. Blocks "
     "until a member is available otherwise. Deletes the sorted set if the last element was "
     "popped.",
     "key [key ...] timeout"},
    {"bzpopmax", -3, kWrite | kCmdFast | kCmdNoScript, 1, -2, 1, BZPopMaxCommand, "sorted_set",
     "5.0.0",
     "Removes and returns the member with the highest score from one or more sorted sets. "
     "Blocks until a member available otherwise.  Deletes the sorted set if the last element "
     "was popped.",
     "key [key ...] timeout"},
    {"bzmpop", -5, kWrite | kCmdNoScript, 0, 0, 0, BZMPopCommand, "sorted_set", "7.0.0",
     "Removes and returns a member by score from one or more sorted sets. Blocks until a member "
     "is available otherwise. Deletes the sorted set if the last element was popped.",
     "timeout numkeys key [key ...] MIN | MAX [COUNT count]", KeysAfterNumKeys<2>},
    {"zrandmember", -2, kRead, 1, 1, 1, ZRandMemberCommand, "sorted_set", "6.2.0",
     "Returns one or more random members from a sorted set.", "key [count [WITHSCORES]]"},
    {"zunion", -3, kRead, 0, 0, 0, ZUnionCommand, "sorted_set", "6.2.0",
     "Returns the union of multiple sorted sets.",
     "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] "
     "[WITHSCORES]",
     KeysAfterNumKeys<1>},
    {"zinter", -3, kRead, 0, 0, 0, ZInterCommand, "sorted_set", "6.2.0",
     "Returns the intersect of multiple sorted sets.",
     "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | MAX] "
     "[WITHSCORES]",
     KeysAfterNumKeys<1>},
    {"zdiff", -3, kRead, 0, 0, 0, ZDiffCommand, "sorted_set", "6.2.0",
     "Returns the difference between multiple sorted sets.", "numkeys key [key ...] [WITHSCORES]",
     KeysAfterNumKeys<1>},
    {"zunionstore", -4, kWrite | kCmdDenyOom, 1, 1, 1, ZUnionStoreCommand, "sorted_set", "2.0.0",
     "Stores the union of multiple sorted sets in a key.",
     "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | "
     "MAX]",
     KeysAfterNumKeys<2>},
    {"zinterstore", -4, kWrite | kCmdDenyOom, 1, 1, 1, ZInterStoreCommand, "sorted_set", "2.0.0",
     "Stores the intersect of multiple sorted sets in a key.",
     "destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM | MIN | "
     "MAX]",
     KeysAfterNumKeys<2>},
    {"zdiffstore", -4, kWrite | kCmdDenyOom, 1, 1, 1, ZDiffStoreCommand, "sorted_set", "6.2.0",
     "Stores the difference of multiple sorted sets in a key.", "destination numkeys key [key ...]",
     KeysAfterNumKeys<2>},
    {"zintercard", -3, kRead, 0, 0, 0, ZInterCardCommand, "sorted_set", "7.0.0",
     "Returns the number of members of the intersect of multiple sorted sets.",
     "numkeys key [key ...] [LIMIT limit]", KeysAfterNumKeys<1>},
    {"zscan", -3, kRead, 1, 1, 1, ZScanCommand, "sorted_set", "2.8.0",
     "Iterates over members and scores of a sorted set.",
     "key cursor [MATCH pattern] [COUNT count]"},
};

}  // namespace

void StoreZSetAndReply(CommandContext& ctx, std::string_view destination,
                       const std::vector<ScoredMember>& members, std::string_view event) {
  bool existed = false;
  storage::Status status = LiveBeforeStore(ctx, destination, &existed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  status = ctx.ks.ZSetStore(ctx.connection.db(), destination, members);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  NotifyStore(ctx, kNotifyZset, event, destination, !members.empty(), existed);
  ctx.reply.Integer(static_cast<int64_t>(members.size()));
}

void RegisterZSetCommands(CommandTable& table) {
  table.Register(kZSetCommands, std::size(kZSetCommands));
}

}  // namespace shale::server
