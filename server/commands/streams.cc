// Stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XSETID, XREAD, XGROUP, XREADGROUP,
// XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO (Redis 7.0's t_stream.c: its replies, error texts and
// the order it checks arguments, types and values in). The keyspace stores them
// (server/keyspace/streams.cc).
//
// Replication follows Redis: XADD propagates with the ID it generated and an approximate (~)
// trimming rewritten to the exact one it did; XREADGROUP, XCLAIM and XAUTOCLAIM propagate one
// XCLAIM ... FORCE JUSTID per pending entry they changed, then XGROUP SETID when the group's
// last ID moved (a consumer XREADGROUP creates is made on the replica by those XCLAIMs).
#include <cerrno>
#include <cstdint>
#include <cstdlib>
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

using keyspace::kMaxStreamId;
using keyspace::StreamClaimResult;
using keyspace::StreamClaimSpec;
using keyspace::StreamEntry;
using keyspace::StreamGroup;
using keyspace::StreamGroupStatus;
using keyspace::StreamId;
using keyspace::StreamTrimSpec;

constexpr std::string_view kInvalidId =
    "ERR Invalid stream ID specified as stream command argument";

// Redis's string2ull: a non-negative decimal that fits in 64 bits.
bool ParseU64(std::string_view text, uint64_t* value) {
  int64_t v = 0;
  if (protocol::ParseInt64(text, &v)) {
    if (v < 0) return false;
    *value = static_cast<uint64_t>(v);
    return true;
  }
  if (text.empty() || text.size() > 20) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  const std::string s(text);
  errno = 0;
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(s.c_str(), &end, 10);  // NOLINT(runtime/int)
  if (errno == ERANGE || end != s.c_str() + s.size()) return false;
  *value = parsed;
  return true;
}

// Redis's streamGenericParseIDOrReply: "-", "+" (unless strict), "<ms>", "<ms>-<seq>", and with
// seq_given "<ms>-*" (*seq_given false). A missing sequence is `missing_seq`.
bool ParseId(std::string_view text, StreamId* id, uint64_t missing_seq = 0, bool strict = false,
             bool* seq_given = nullptr) {
  if (text.size() > 127) return false;
  if (strict && (text == "-" || text == "+")) return false;
  if (seq_given != nullptr) *seq_given = true;
  if (text == "-") {
    *id = StreamId{};
    return true;
  }
  if (text == "+") {
    *id = kMaxStreamId;
    return true;
  }
  const size_t dash = text.find('-');
  uint64_t ms = 0;
  uint64_t seq = missing_seq;
  if (!ParseU64(text.substr(0, dash), &ms)) return false;
  if (dash != std::string_view::npos) {
    const std::string_view rest = text.substr(dash + 1);
    if (seq_given != nullptr && rest == "*") {
      seq = 0;
      *seq_given = false;
    } else if (!ParseU64(rest, &seq)) {
      return false;
    }
  }
  *id = {ms, seq};
  return true;
}
bool ParseStrictId(std::string_view text, StreamId* id, bool* seq_given = nullptr) {
  return ParseId(text, id, 0, true, seq_given);
}

std::string FormatId(StreamId id) { return std::to_string(id.ms) + "-" + std::to_string(id.seq); }

bool IncrementId(StreamId* id) {
  if (id->seq == UINT64_MAX) {
    if (id->ms == UINT64_MAX) return false;
    id->ms++;
    id->seq = 0;
  } else {
    id->seq++;
  }
  return true;
}
bool DecrementId(StreamId* id) {
  if (id->seq == 0) {
    if (id->ms == 0) return false;
    id->ms--;
    id->seq = UINT64_MAX;
  } else {
    id->seq--;
  }
  return true;
}

// Redis's streamParseIntervalIDOrReply: an ID, or "(" and a strict ID (exclusive).
bool ParseIntervalId(std::string_view text, StreamId* id, bool* exclusive, uint64_t missing_seq) {
  *exclusive = text.size() > 1 && text[0] == '(';
  if (*exclusive) return ParseId(text.substr(1), id, missing_seq, true);
  return ParseId(text, id, missing_seq);
}

void ReplyEntry(CommandContext& ctx, const StreamEntry& e) {
  ctx.reply.ArrayHeader(2);
  ctx.reply.Bulk(FormatId(e.id));
  if (e.deleted) return ctx.reply.NullArray();
  ctx.reply.ArrayHeader(e.fields.size());
  for (const std::string& f : e.fields) ctx.reply.Bulk(f);
}
void ReplyEntries(CommandContext& ctx, const std::vector<StreamEntry>& entries) {
  ctx.reply.ArrayHeader(entries.size());
  for (const StreamEntry& e : entries) ReplyEntry(ctx, e);
}

// getLongLongFromObjectOrReply with Redis's default or given message.
bool ParseLongLong(CommandContext& ctx, std::string_view text, int64_t* value,
                   std::string_view error = kNotIntegerError) {
  if (ParseInt64(text, value)) return true;
  ctx.reply.Error(error);
  return false;
}

std::vector<std::string_view> Views(const std::vector<std::string>& argv) {
  return {argv.begin(), argv.end()};
}

// The parsed XADD / XTRIM options (Redis's streamParseAddOrTrimArgsOrReply).
struct AddOrTrimArgs {
  keyspace::StreamAddSpec spec;
  size_t id_index = 0;       // XADD: the ID argument's index
  size_t trim_index = 0;     // the trimming threshold's index (the `~` / `=` is before it)
  bool trim_marker = false;  // a `~` or `=` argument stands before the threshold
};

// Returns false after replying an error.
bool ParseAddOrTrim(CommandContext& ctx, bool xadd, AddOrTrimArgs* out) {
  const auto& args = ctx.args;
  StreamTrimSpec& trim = out->spec.trim;
  bool limit_given = false;
  size_t i = 2;
  for (; i < args.size(); ++i) {
    const size_t more = args.size() - 1 - i;
    const std::string_view opt = args[i];
    if (xadd && opt == "*") {
      break;
    } else if ((EqualsIgnoreCase(opt, "maxlen") || EqualsIgnoreCase(opt, "minid")) && more > 0) {
      const bool maxlen = EqualsIgnoreCase(opt, "maxlen");
      if (trim.strategy != StreamTrimSpec::Strategy::kNone) {
        ctx.reply.Error(
            "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
        return false;
      }
      trim.approx = false;
      out->trim_marker = false;
      const std::string_view next = args[i + 1];
      if (more >= 2 && (next == "~" || next == "=")) {
        trim.approx = next == "~";
        out->trim_marker = true;
        ++i;
      }
      if (maxlen) {
        if (!ParseLongLong(ctx, args[i + 1], &trim.maxlen)) return false;
        if (trim.maxlen < 0) {
          ctx.reply.Error("ERR The MAXLEN argument must be >= 0.");
          return false;
        }
        trim.strategy = StreamTrimSpec::Strategy::kMaxLen;
      } else {
        if (!ParseStrictId(args[i + 1], &trim.minid)) {
          ctx.reply.Error(kInvalidId);
          return false;
        }
        trim.strategy = StreamTrimSpec::Strategy::kMinId;
      }
      ++i;
      out->trim_index = i;
    } else if (EqualsIgnoreCase(opt, "limit") && more > 0) {
      if (!ParseLongLong(ctx, args[i + 1], &trim.limit)) return false;
      if (trim.limit < 0) {
        ctx.reply.Error("ERR The LIMIT argument must be >= 0.");
        return false;
      }
      limit_given = true;
      ++i;
    } else if (xadd && EqualsIgnoreCase(opt, "nomkstream")) {
      out->spec.no_mkstream = true;
    } else if (xadd) {
      if (!ParseStrictId(opt, &out->spec.id, &out->spec.seq_given)) {
        ctx.reply.Error(kInvalidId);
        return false;
      }
      out->spec.id_given = true;
      break;
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
  }
  out->id_index = i;
  if (trim.limit != 0 && trim.strategy == StreamTrimSpec::Strategy::kNone) {
    ctx.reply.Error(
        "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
    return false;
  }
  if (!xadd && trim.strategy == StreamTrimSpec::Strategy::kNone) {
    ctx.reply.Error("ERR syntax error, XTRIM must be called with a trimming strategy");
    return false;
  }
  if (limit_given) {
    if (!trim.approx) {
      ctx.reply.Error("ERR syntax error, LIMIT cannot be used without the special ~ option");
      return false;
    }
  } else {
    trim.limit = trim.approx ? 100 * keyspace::kStreamNodeEntries : 0;
  }
  return true;
}

// The propagated form of XADD / XTRIM whose approximate trimming is rewritten to the exact one
// done (`=` and the length or first ID it left), as Redis's streamRewriteTrimArgument.
void RewriteTrim(const AddOrTrimArgs& parsed, uint64_t length, StreamId first_id,
                 std::vector<std::string>* argv) {
  if (!parsed.spec.trim.approx) return;
  (*argv)[parsed.trim_index - 1] = "=";
  (*argv)[parsed.trim_index] = parsed.spec.trim.strategy == StreamTrimSpec::Strategy::kMaxLen
                                   ? std::to_string(length)
                                   : FormatId(first_id);
}

// XADD key [NOMKSTREAM] [MAXLEN | MINID [= | ~] threshold [LIMIT count]] * | id field value ...
void XAddCommand(CommandContext& ctx) {
  AddOrTrimArgs parsed;
  if (!ParseAddOrTrim(ctx, true, &parsed)) return;
  const size_t field_pos = parsed.id_index + 1;
  if (ctx.args.size() < field_pos + 2 || (ctx.args.size() - field_pos) % 2 == 1) {
    return ctx.reply.Error(WrongArityError(ctx.args[0]));
  }
  const keyspace::StreamAddSpec& spec = parsed.spec;
  if (spec.id_given && spec.seq_given && spec.id.IsZero()) {
    return ctx.reply.Error("ERR The ID specified in XADD must be greater than 0-0");
  }
  const std::vector<std::string_view> fields(ctx.args.begin() + static_cast<ptrdiff_t>(field_pos),
                                             ctx.args.end());
  keyspace::StreamAddResult result;
  storage::Status status =
      ctx.ks.StreamAdd(ctx.connection.db(), ctx.args[1], spec, fields, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (result.absent) return ctx.reply.NullBulk();
  if (!result.error.empty()) return ctx.reply.Error(result.error);
  const std::string id = FormatId(result.id);
  ctx.reply.Bulk(id);
  Notify(ctx, kNotifyStream, "xadd", ctx.args[1]);
  if (result.trimmed > 0) Notify(ctx, kNotifyStream, "xtrim", ctx.args[1]);
  std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
  if (spec.trim.strategy != StreamTrimSpec::Strategy::kNone) {
    RewriteTrim(parsed, result.length, result.first_id, &argv);
  }
  if (!spec.id_given || !spec.seq_given) argv[parsed.id_index] = id;
  PropagateAs(ctx, Views(argv));
}

// XTRIM key MAXLEN | MINID [= | ~] threshold [LIMIT count]
void XTrimCommand(CommandContext& ctx) {
  AddOrTrimArgs parsed;
  if (!ParseAddOrTrim(ctx, false, &parsed)) return;
  // Every argument must be an option: XTRIM has no ID.
  if (parsed.id_index != ctx.args.size()) return ctx.reply.Error(kSyntaxError);
  int64_t removed = 0;
  bool exists = false;
  uint64_t length = 0;
  StreamId first_id;
  storage::Status status = ctx.ks.StreamTrim(ctx.connection.db(), ctx.args[1], parsed.spec.trim,
                                             &removed, &exists, &length, &first_id);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) Notify(ctx, kNotifyStream, "xtrim", ctx.args[1]);
  if (parsed.spec.trim.approx && removed > 0) {
    std::vector<std::string> argv(ctx.args.begin(), ctx.args.end());
    RewriteTrim(parsed, length, first_id, &argv);
    PropagateAs(ctx, Views(argv));
  }
  ctx.reply.Integer(removed);
}

void XLenCommand(CommandContext& ctx) {
  keyspace::StreamInfo info;
  bool exists = false;
  storage::Status status = ctx.ks.StreamState(ctx.connection.db(), ctx.args[1], &info, &exists);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(static_cast<int64_t>(info.length));
}

// XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count]
void RangeGeneric(CommandContext& ctx, bool reverse) {
  const std::string_view start_arg = ctx.args[reverse ? 3 : 2];
  const std::string_view end_arg = ctx.args[reverse ? 2 : 3];
  StreamId start;
  StreamId end;
  bool exclusive = false;
  if (!ParseIntervalId(start_arg, &start, &exclusive, 0)) return ctx.reply.Error(kInvalidId);
  if (exclusive && !IncrementId(&start)) {
    return ctx.reply.Error("ERR invalid start ID for the interval");
  }
  if (!ParseIntervalId(end_arg, &end, &exclusive, UINT64_MAX)) return ctx.reply.Error(kInvalidId);
  if (exclusive && !DecrementId(&end)) {
    return ctx.reply.Error("ERR invalid end ID for the interval");
  }
  int64_t count = -1;
  for (size_t j = 4; j < ctx.args.size(); ++j) {
    const size_t more = ctx.args.size() - j - 1;
    if (EqualsIgnoreCase(ctx.args[j], "count") && more >= 1) {
      if (!ParseLongLong(ctx, ctx.args[j + 1], &count)) return;
      if (count < 0) count = 0;
      ++j;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  std::vector<StreamEntry> entries;
  if (count == 0) {
    // Redis answers a null array for COUNT 0, once the key is known to be a stream.
    keyspace::StreamInfo info;
    bool exists = false;
    storage::Status status = ctx.ks.StreamState(ctx.connection.db(), ctx.args[1], &info, &exists);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (!exists) return ctx.reply.ArrayHeader(0);
    return ctx.reply.NullArray();
  }
  storage::Status status =
      ctx.ks.StreamRange(ctx.connection.db(), ctx.args[1], start, end, reverse,
                         count < 0 ? 0 : static_cast<uint64_t>(count), &entries);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ReplyEntries(ctx, entries);
}
void XRangeCommand(CommandContext& ctx) { RangeGeneric(ctx, false); }
void XRevRangeCommand(CommandContext& ctx) { RangeGeneric(ctx, true); }

// XDEL key id [id ...]
void XDelCommand(CommandContext& ctx) {
  keyspace::StreamInfo info;
  bool exists = false;
  storage::Status status = ctx.ks.StreamState(ctx.connection.db(), ctx.args[1], &info, &exists);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!exists) return ctx.reply.Integer(0);
  std::vector<StreamId> ids(ctx.args.size() - 2);
  for (size_t j = 2; j < ctx.args.size(); ++j) {
    if (!ParseStrictId(ctx.args[j], &ids[j - 2])) return ctx.reply.Error(kInvalidId);
  }
  int64_t removed = 0;
  status = ctx.ks.StreamDelete(ctx.connection.db(), ctx.args[1], ids, &removed);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (removed > 0) Notify(ctx, kNotifyStream, "xdel", ctx.args[1]);
  ctx.reply.Integer(removed);
}

// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
void XSetIdCommand(CommandContext& ctx) {
  StreamId id;
  if (!ParseStrictId(ctx.args[2], &id)) return ctx.reply.Error(kInvalidId);
  int64_t entries_added = -1;
  StreamId max_deleted;
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    const size_t more = ctx.args.size() - i - 1;
    if (EqualsIgnoreCase(ctx.args[i], "entriesadded") && more >= 1) {
      if (!ParseLongLong(ctx, ctx.args[i + 1], &entries_added)) return;
      if (entries_added < 0) return ctx.reply.Error("ERR entries_added must be positive");
      ++i;
    } else if (EqualsIgnoreCase(ctx.args[i], "maxdeletedid") && more >= 1) {
      if (!ParseStrictId(ctx.args[i + 1], &max_deleted)) return ctx.reply.Error(kInvalidId);
      if (id < max_deleted) {
        return ctx.reply.Error(
            "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
      }
      ++i;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  std::string error;
  storage::Status status =
      ctx.ks.StreamSetId(ctx.connection.db(), ctx.args[1], id, entries_added, max_deleted, &error);
  if (status.IsNotFound()) return ctx.reply.Error("ERR no such key");
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!error.empty()) return ctx.reply.Error(error);
  Notify(ctx, kNotifyStream, "xsetid", ctx.args[1]);
  ctx.reply.SimpleString("OK");
}

// --- XREAD / XREADGROUP ---

// The keys of XREAD / XREADGROUP: the first half of what follows STREAMS.
void StreamReadKeys(const std::vector<std::string_view>& args,
                    std::vector<std::string_view>* keys) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (EqualsIgnoreCase(args[i], "streams")) {
      const size_t rest = args.size() - i - 1;
      if (rest == 0 || rest % 2 != 0) return;
      for (size_t j = 0; j < rest / 2; ++j) keys->push_back(args[i + 1 + j]);
      return;
    }
  }
}

std::string NoGroupReadError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "' in XREADGROUP with GROUP option";
}

// Propagates XREADGROUP's, XCLAIM's and XAUTOCLAIM's changes as Redis does.
void PropagateClaims(CommandContext& ctx, std::string_view key, const StreamGroup& group,
                     const std::vector<keyspace::StreamPending>& records, bool group_advanced,
                     std::vector<std::vector<std::string>>* out) {
  const std::string last = FormatId(group.last_id);
  for (const keyspace::StreamPending& p : records) {
    out->push_back({"XCLAIM", std::string(key), group.name, p.consumer, "0", FormatId(p.id), "TIME",
                    std::to_string(p.delivered_ms), "RETRYCOUNT", std::to_string(p.deliveries),
                    "FORCE", "JUSTID", "LASTID", last});
  }
  // As Redis 7.0: the XCLAIMs' LASTID carries the group's last ID; XGROUP SETID goes only when
  // no XCLAIM does (a NOACK read).
  if (group_advanced && records.empty()) {
    out->push_back({"XGROUP", "SETID", std::string(key), group.name, last, "ENTRIESREAD",
                    std::to_string(group.entries_read)});
  }
  (void)ctx;
}
void SendPropagation(CommandContext& ctx, const std::vector<std::vector<std::string>>& commands) {
  if (commands.empty()) return PropagateNothing(ctx);
  for (const auto& argv : commands) PropagateAs(ctx, Views(argv));
}

void ReadGeneric(CommandContext& ctx, bool group_read) {
  const auto& args = ctx.args;
  Connection::BlockState& block = ctx.connection.block();
  // A run after blocking: the IDs resolved when it blocked, and its deadline.
  const bool rerun = !block.stream_ids.empty();
  int64_t timeout = -1;
  int64_t count = 0;
  size_t streams_arg = 0;
  size_t streams_count = 0;
  std::string_view group;
  std::string_view consumer;
  bool has_group = false;
  bool noack = false;
  for (size_t i = 1; i < args.size(); ++i) {
    const size_t more = args.size() - i - 1;
    const std::string_view o = args[i];
    if (EqualsIgnoreCase(o, "block") && more > 0) {
      ++i;
      if (!ParseInt64(args[i], &timeout)) {
        return ctx.reply.Error("ERR timeout is not an integer or out of range");
      }
      if (timeout < 0) return ctx.reply.Error("ERR timeout is negative");
    } else if (EqualsIgnoreCase(o, "count") && more > 0) {
      ++i;
      if (!ParseLongLong(ctx, args[i], &count)) return;
      if (count < 0) count = 0;
    } else if (EqualsIgnoreCase(o, "streams") && more > 0) {
      streams_arg = i + 1;
      streams_count = args.size() - streams_arg;
      if (streams_count % 2 != 0) {
        // Redis 7.0 names XREAD and `$` here for XREADGROUP too.
        return ctx.reply.Error(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
      }
      streams_count /= 2;
      break;
    } else if (EqualsIgnoreCase(o, "group") && more >= 2) {
      if (!group_read) {
        return ctx.reply.Error(
            "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      }
      group = args[i + 1];
      consumer = args[i + 2];
      has_group = true;
      i += 2;
    } else if (EqualsIgnoreCase(o, "noack")) {
      if (!group_read) {
        return ctx.reply.Error(
            "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      }
      noack = true;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  if (streams_arg == 0) return ctx.reply.Error(kSyntaxError);
  if (group_read && !has_group) return ctx.reply.Error("ERR Missing GROUP option for XREADGROUP");
  uint64_t deadline = 0;
  if (timeout > 0) {
    const uint64_t now = ctx.ks.NowMs();
    if (static_cast<uint64_t>(timeout) > static_cast<uint64_t>(INT64_MAX) - now) {
      return ctx.reply.Error("ERR timeout is out of range");
    }
    deadline = now + static_cast<uint64_t>(timeout);
  }
  if (rerun) deadline = block.deadline_ms;
  const int db = ctx.connection.db();
  // Resolve the IDs (and check the types and groups) before anything is read.
  std::vector<StreamId> ids(streams_count);
  std::vector<keyspace::StreamInfo> infos(streams_count);
  std::vector<bool> exists(streams_count, false);
  std::vector<StreamGroup> groups(streams_count);
  for (size_t k = 0; k < streams_count; ++k) {
    const std::string_view key = args[streams_arg + k];
    const std::string_view id_arg = args[streams_arg + streams_count + k];
    bool e = false;
    storage::Status status = ctx.ks.StreamState(db, key, &infos[k], &e);
    if (rerun && keyspace::IsWrongType(status)) {
      // Overwritten by another type while the reader waited: for XREAD the key is as absent.
      status = storage::Status::Ok();
      e = false;
    }
    if (!status.ok()) {
      block.stream_ids.clear();
      return ReplyStorageError(ctx, status);
    }
    exists[k] = e;
    if (group_read) {
      StreamGroupStatus gs = StreamGroupStatus::kNoKey;
      if (e) {
        status = ctx.ks.StreamGroupOf(db, key, group, &groups[k], &gs);
        if (!status.ok()) {
          block.stream_ids.clear();
          return ReplyStorageError(ctx, status);
        }
      }
      if (gs != StreamGroupStatus::kOk) {
        block.stream_ids.clear();
        // A blocked reader whose stream or group went away (Redis 7.0's texts).
        if (rerun && gs == StreamGroupStatus::kNoKey) {
          return ctx.reply.Error("UNBLOCKED the stream key no longer exists");
        }
        if (rerun) {
          return ctx.reply.Error(
              "NOGROUP the consumer group this client was blocked on no longer exists");
        }
        return ctx.reply.Error(NoGroupReadError(key, group));
      }
    }
    if (rerun && k < block.stream_ids.size()) {
      if (!ParseId(block.stream_ids[k], &ids[k])) ids[k] = kMaxStreamId;
      continue;
    }
    if (id_arg == "$") {
      if (group_read) {
        return ctx.reply.Error(
            "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
      }
      ids[k] = e ? infos[k].meta.last_id : StreamId{};
      continue;
    }
    if (id_arg == ">") {
      if (!group_read) {
        return ctx.reply.Error(
            "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
      }
      ids[k] = kMaxStreamId;
      continue;
    }
    if (!ParseStrictId(id_arg, &ids[k])) return ctx.reply.Error(kInvalidId);
  }
  // Serve what can be served now.
  struct Served {
    size_t k;
    std::vector<StreamEntry> entries;
  };
  std::vector<Served> served;
  std::vector<std::vector<std::string>> propagation;
  bool wrote = false;
  for (size_t k = 0; k < streams_count; ++k) {
    if (!exists[k]) continue;
    const std::string_view key = args[streams_arg + k];
    const keyspace::StreamInfo& info = infos[k];
    if (group_read) {
      const bool history = ids[k] != kMaxStreamId;
      if (!history) {
        // New entries only when the stream has some past the group's last ID.
        bool any = false;
        StreamId after = groups[k].last_id;
        if (info.length > 0 && IncrementId(&after)) {
          std::vector<StreamEntry> next;
          storage::Status status =
              ctx.ks.StreamRange(db, key, after, kMaxStreamId, false, 1, &next);
          if (!status.ok()) return ReplyStorageError(ctx, status);
          any = !next.empty();
        }
        if (!any) continue;
      }
      // History is read from after the ID given.
      StreamId from = ids[k];
      if (history && !IncrementId(&from)) from = kMaxStreamId;
      keyspace::StreamReadGroupResult result;
      storage::Status status = ctx.ks.StreamReadGroup(db, key, group, consumer, from,
                                                      static_cast<uint64_t>(count), noack, &result);
      if (!status.ok()) return ReplyStorageError(ctx, status);
      wrote = true;
      // A consumer XREADGROUP creates is not propagated by itself (Redis 7.0): the replica's
      // XCLAIMs create it.
      if (result.consumer_created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", key);
      PropagateClaims(ctx, key, result.group, result.delivered, result.group_advanced,
                      &propagation);
      served.push_back({k, std::move(result.entries)});
    } else {
      if (info.length == 0) continue;
      StreamId start = ids[k];
      if (!IncrementId(&start)) continue;
      std::vector<StreamEntry> entries;
      storage::Status status = ctx.ks.StreamRange(db, key, start, kMaxStreamId, false,
                                                  static_cast<uint64_t>(count), &entries);
      if (!status.ok()) return ReplyStorageError(ctx, status);
      if (entries.empty()) continue;
      served.push_back({k, std::move(entries)});
    }
  }
  if (!served.empty()) {
    block.stream_ids.clear();
    block.timed_out = false;
    // RESP3: a map of key -> entries; RESP2: an array of [key, entries] pairs.
    const bool resp3 = ctx.connection.protocol() == 3;
    if (resp3) {
      ctx.reply.MapHeader(served.size());
    } else {
      ctx.reply.ArrayHeader(served.size());
    }
    for (const Served& s : served) {
      if (!resp3) ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(args[streams_arg + s.k]);
      ReplyEntries(ctx, s.entries);
    }
    if (group_read) SendPropagation(ctx, propagation);
    return;
  }
  if (group_read && !wrote) PropagateNothing(ctx);
  if (timeout == -1 || AnswerNothingNow(ctx)) {
    block.stream_ids.clear();
    return ctx.reply.NullArray();
  }
  // Block: remember the IDs as resolved now ($ = the last ID at this moment).
  block.stream_ids.clear();
  for (StreamId id : ids) block.stream_ids.push_back(FormatId(id));
  const std::vector<std::string_view> keys(
      args.begin() + static_cast<ptrdiff_t>(streams_arg),
      args.begin() + static_cast<ptrdiff_t>(streams_arg + streams_count));
  ctx.server.BlockForKeys(ctx.connection, keys, deadline, keyspace::ValueType::kStream);
}
void XReadCommand(CommandContext& ctx) { ReadGeneric(ctx, false); }
void XReadGroupCommand(CommandContext& ctx) { ReadGeneric(ctx, true); }

// --- consumer groups ---

// Redis's addReplySubcommandSyntaxError.
void SubcommandSyntaxError(CommandContext& ctx) {
  std::string upper(ctx.args[0]);
  for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                  std::string(ctx.args[1].substr(0, 128)) + "'. Try " + upper + " HELP.");
}

std::string NoGroupError(std::string_view key, std::string_view group) {
  return "NOGROUP No such key '" + std::string(key) + "' or consumer group '" + std::string(group) +
         "'";
}

void XGroupHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CREATE <key> <groupname> <id|$> [option]",
      "    Create a new consumer group. Options are:",
      "    * MKSTREAM",
      "      Create the empty stream if it does not exist.",
      "    * ENTRIESREAD entries_read",
      "      Set the group's entries_read counter (internal use).",
      "CREATECONSUMER <key> <groupname> <consumer>",
      "    Create a new consumer in the specified group.",
      "DELCONSUMER <key> <groupname> <consumer>",
      "    Remove the specified consumer.",
      "DESTROY <key> <groupname>",
      "    Remove the specified group.",
      "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
      "    Set the current group ID and entries_read counter.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* line : kLines) ctx.reply.SimpleString(line);
}

// XGROUP CREATE | SETID | DESTROY | CREATECONSUMER | DELCONSUMER | HELP
void XGroupCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  const std::string_view sub = args[1];
  const bool create = EqualsIgnoreCase(sub, "create");
  const bool setid = EqualsIgnoreCase(sub, "setid");
  const bool destroy = EqualsIgnoreCase(sub, "destroy");
  const bool createconsumer = EqualsIgnoreCase(sub, "createconsumer");
  const bool delconsumer = EqualsIgnoreCase(sub, "delconsumer");
  if (EqualsIgnoreCase(sub, "help")) {
    if (args.size() != 2) return ctx.reply.Error(WrongArityError("xgroup|help"));
    return XGroupHelp(ctx);
  }
  if (!create && !setid && !destroy && !createconsumer && !delconsumer) {
    return ctx.reply.Error(UnknownSubcommandError("xgroup", sub));
  }
  // Redis 7's subcommand arities.
  const size_t argc = args.size();
  if ((create && argc < 5) || (setid && argc < 5) || (destroy && argc != 4) ||
      ((createconsumer || delconsumer) && argc != 5)) {
    return ctx.reply.Error(WrongArityError("xgroup|" + ToLower(sub)));
  }
  const std::string_view key = args[2];
  const std::string_view group = args[3];
  const int db = ctx.connection.db();
  bool mkstream = false;
  int64_t entries_read = -1;
  if (create || setid) {
    for (size_t i = 5; i < argc;) {
      if (create && EqualsIgnoreCase(args[i], "mkstream")) {
        mkstream = true;
        ++i;
      } else if (EqualsIgnoreCase(args[i], "entriesread") && i + 1 < argc) {
        if (!ParseLongLong(ctx, args[i + 1], &entries_read)) return;
        if (entries_read < 0 && entries_read != -1) {
          return ctx.reply.Error("ERR value for ENTRIESREAD must be positive or -1");
        }
        i += 2;
      } else {
        return SubcommandSyntaxError(ctx);
      }
    }
  }
  if ((create && argc > 8) || (setid && argc != 5 && argc != 7)) {
    return SubcommandSyntaxError(ctx);
  }
  keyspace::StreamInfo info;
  bool exists = false;
  storage::Status status = ctx.ks.StreamState(db, key, &info, &exists);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  StreamGroup found;
  StreamGroupStatus gs = StreamGroupStatus::kNoKey;
  if (!mkstream) {
    if (!exists) {
      return ctx.reply.Error(
          "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
          "want to use the MKSTREAM option to create an empty stream automatically.");
    }
    status = ctx.ks.StreamGroupOf(db, key, group, &found, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (gs != StreamGroupStatus::kOk && (setid || createconsumer || delconsumer)) {
      return ctx.reply.Error("NOGROUP No such consumer group '" + std::string(group) +
                             "' for key name '" + std::string(key) + "'");
    }
  }
  if (create) {
    StreamId id;
    const bool dollar = args[4] == "$";
    if (!dollar && !ParseStrictId(args[4], &id)) return ctx.reply.Error(kInvalidId);
    status = ctx.ks.StreamGroupCreate(db, key, group, dollar ? nullptr : &id, mkstream,
                                      entries_read, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (gs == StreamGroupStatus::kExists) {
      return ctx.reply.Error("BUSYGROUP Consumer Group name already exists");
    }
    ctx.reply.SimpleString("OK");
    Notify(ctx, kNotifyStream, "xgroup-create", key);
  } else if (setid) {
    StreamId id;
    const bool dollar = args[4] == "$";
    if (!dollar && !ParseId(args[4], &id)) return ctx.reply.Error(kInvalidId);
    status = ctx.ks.StreamGroupSetId(db, key, group, dollar ? nullptr : &id, entries_read, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    ctx.reply.SimpleString("OK");
    Notify(ctx, kNotifyStream, "xgroup-setid", key);
  } else if (destroy) {
    if (gs != StreamGroupStatus::kOk) return ctx.reply.Integer(0);
    status = ctx.ks.StreamGroupDestroy(db, key, group, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    ctx.reply.Integer(1);
    Notify(ctx, kNotifyStream, "xgroup-destroy", key);
  } else if (createconsumer) {
    int64_t created = 0;
    status = ctx.ks.StreamConsumerCreate(db, key, group, args[4], &created, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (created == 0) PropagateNothing(ctx);
    if (created > 0) Notify(ctx, kNotifyStream, "xgroup-createconsumer", key);
    ctx.reply.Integer(created);
  } else {
    int64_t pending = 0;
    bool deleted = false;
    status = ctx.ks.StreamConsumerDelete(db, key, group, args[4], &pending, &deleted, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (deleted) Notify(ctx, kNotifyStream, "xgroup-delconsumer", key);
    ctx.reply.Integer(pending);
  }
}

// XACK key group id [id ...]
void XAckCommand(CommandContext& ctx) {
  std::vector<StreamId> ids(ctx.args.size() - 3);
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    if (!ParseStrictId(ctx.args[j], &ids[j - 3])) return ctx.reply.Error(kInvalidId);
  }
  int64_t acked = 0;
  storage::Status status =
      ctx.ks.StreamAck(ctx.connection.db(), ctx.args[1], ctx.args[2], ids, &acked);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(acked);
}

// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
void XPendingCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  const size_t argc = args.size();
  const bool summary = argc == 3;
  if (argc != 3 && (argc < 6 || argc > 9)) return ctx.reply.Error(kSyntaxError);
  int64_t min_idle = 0;
  int64_t count = 0;
  StreamId start;
  StreamId end;
  std::string_view consumer;
  if (argc >= 6) {
    size_t startidx = 3;
    if (EqualsIgnoreCase(args[3], "idle")) {
      if (!ParseLongLong(ctx, args[4], &min_idle)) return;
      if (argc < 8) return ctx.reply.Error(kSyntaxError);
      startidx += 2;
    }
    if (!ParseLongLong(ctx, args[startidx + 2], &count)) return;
    if (count < 0) count = 0;
    bool exclusive = false;
    if (!ParseIntervalId(args[startidx], &start, &exclusive, 0)) {
      return ctx.reply.Error(kInvalidId);
    }
    if (exclusive && !IncrementId(&start)) {
      return ctx.reply.Error("ERR invalid start ID for the interval");
    }
    if (!ParseIntervalId(args[startidx + 1], &end, &exclusive, UINT64_MAX)) {
      return ctx.reply.Error(kInvalidId);
    }
    if (exclusive && !DecrementId(&end)) {
      return ctx.reply.Error("ERR invalid end ID for the interval");
    }
    if (startidx + 3 < argc) consumer = args[startidx + 3];
  }
  const int db = ctx.connection.db();
  StreamGroupStatus gs = StreamGroupStatus::kOk;
  if (summary) {
    StreamGroup group;
    StreamId first;
    StreamId last;
    std::vector<std::pair<std::string, uint64_t>> per_consumer;
    storage::Status status = ctx.ks.StreamPendingSummary(db, args[1], args[2], &group, &first,
                                                         &last, &per_consumer, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (gs != StreamGroupStatus::kOk) return ctx.reply.Error(NoGroupError(args[1], args[2]));
    ctx.reply.ArrayHeader(4);
    ctx.reply.Integer(static_cast<int64_t>(group.pending));
    if (group.pending == 0) {
      ctx.reply.NullBulk();
      ctx.reply.NullBulk();
      return ctx.reply.NullArray();
    }
    ctx.reply.Bulk(FormatId(first));
    ctx.reply.Bulk(FormatId(last));
    ctx.reply.ArrayHeader(per_consumer.size());
    for (const auto& [name, n] : per_consumer) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Bulk(name);
      ctx.reply.Bulk(std::to_string(n));
    }
    return;
  }
  std::vector<keyspace::StreamPending> pending;
  storage::Status status = ctx.ks.StreamPendingRange(
      db, args[1], args[2], start, end, static_cast<uint64_t>(count), consumer,
      min_idle < 0 ? 0 : static_cast<uint64_t>(min_idle), &pending, &gs);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (gs != StreamGroupStatus::kOk) return ctx.reply.Error(NoGroupError(args[1], args[2]));
  const uint64_t now = ctx.ks.NowMs();
  ctx.reply.ArrayHeader(pending.size());
  for (const keyspace::StreamPending& p : pending) {
    ctx.reply.ArrayHeader(4);
    ctx.reply.Bulk(FormatId(p.id));
    ctx.reply.Bulk(p.consumer);
    ctx.reply.Integer(now > p.delivered_ms ? static_cast<int64_t>(now - p.delivered_ms) : 0);
    ctx.reply.Integer(static_cast<int64_t>(p.deliveries));
  }
}

// Checks that `key` is a stream (or absent) with `group`: false after replying the error.
bool CheckGroup(CommandContext& ctx, std::string_view key, std::string_view group) {
  StreamGroup found;
  StreamGroupStatus gs = StreamGroupStatus::kOk;
  storage::Status status = ctx.ks.StreamGroupOf(ctx.connection.db(), key, group, &found, &gs);
  if (!status.ok()) {
    ReplyStorageError(ctx, status);
    return false;
  }
  if (gs != StreamGroupStatus::kOk) {
    ctx.reply.Error(NoGroupError(key, group));
    return false;
  }
  return true;
}

void ReplyClaimed(CommandContext& ctx, const std::vector<StreamEntry>& claimed, bool just_id) {
  ctx.reply.ArrayHeader(claimed.size());
  for (const StreamEntry& e : claimed) {
    if (just_id) {
      ctx.reply.Bulk(FormatId(e.id));
    } else {
      ReplyEntry(ctx, e);
    }
  }
}

// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
//   [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
void XClaimCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (!CheckGroup(ctx, args[1], args[2])) return;
  int64_t min_idle = 0;
  if (!ParseLongLong(ctx, args[4], &min_idle, "ERR Invalid min-idle-time argument for XCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  std::vector<StreamId> ids;
  size_t j = 5;
  for (; j < args.size(); ++j) {
    StreamId id;
    if (!ParseStrictId(args[j], &id)) break;
    ids.push_back(id);
  }
  const auto now = static_cast<int64_t>(ctx.ks.NowMs());
  int64_t delivery = -1;
  StreamClaimSpec spec;
  for (; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    const std::string_view opt = args[j];
    if (EqualsIgnoreCase(opt, "force")) {
      spec.force = true;
    } else if (EqualsIgnoreCase(opt, "justid")) {
      spec.just_id = true;
    } else if (EqualsIgnoreCase(opt, "idle") && more > 0) {
      ++j;
      if (!ParseLongLong(ctx, args[j], &delivery, "ERR Invalid IDLE option argument for XCLAIM")) {
        return;
      }
      delivery = now - delivery;
    } else if (EqualsIgnoreCase(opt, "time") && more > 0) {
      ++j;
      if (!ParseLongLong(ctx, args[j], &delivery, "ERR Invalid TIME option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "retrycount") && more > 0) {
      ++j;
      if (!ParseLongLong(ctx, args[j], &spec.retry_count,
                         "ERR Invalid RETRYCOUNT option argument for XCLAIM")) {
        return;
      }
    } else if (EqualsIgnoreCase(opt, "lastid") && more > 0) {
      ++j;
      if (!ParseStrictId(args[j], &spec.last_id)) return ctx.reply.Error(kInvalidId);
    } else {
      return ctx.reply.Error("ERR Unrecognized XCLAIM option '" + std::string(opt) + "'");
    }
  }
  if (delivery < 0 || delivery > now) delivery = now;
  spec.delivered_ms = static_cast<uint64_t>(delivery);
  spec.min_idle_ms = static_cast<uint64_t>(min_idle);
  StreamClaimResult result;
  storage::Status status =
      ctx.ks.StreamClaim(ctx.connection.db(), args[1], args[2], args[3], ids, spec, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (result.status != StreamGroupStatus::kOk) {
    return ctx.reply.Error(NoGroupError(args[1], args[2]));
  }
  ReplyClaimed(ctx, result.claimed, spec.just_id);
  if (result.consumer_created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", args[1]);
  std::vector<std::vector<std::string>> propagation;
  PropagateClaims(ctx, args[1], result.group, result.propagate, result.group_advanced,
                  &propagation);
  SendPropagation(ctx, propagation);
}

// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
void XAutoClaimCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (!CheckGroup(ctx, args[1], args[2])) return;
  int64_t min_idle = 0;
  if (!ParseLongLong(ctx, args[4], &min_idle,
                     "ERR Invalid min-idle-time argument for XAUTOCLAIM")) {
    return;
  }
  if (min_idle < 0) min_idle = 0;
  StreamId start;
  bool exclusive = false;
  if (!ParseId(args[5], &start)) return ctx.reply.Error(kInvalidId);
  (void)exclusive;
  int64_t count = 100;
  bool just_id = false;
  for (size_t j = 6; j < args.size(); ++j) {
    const size_t more = args.size() - 1 - j;
    if (EqualsIgnoreCase(args[j], "count") && more > 0) {
      constexpr int64_t kMaxCount = INT64_MAX / 16;
      if (!ParseInt64(args[j + 1], &count) || count < 1 || count > kMaxCount) {
        return ctx.reply.Error("ERR COUNT must be > 0");
      }
      ++j;
    } else if (EqualsIgnoreCase(args[j], "justid")) {
      just_id = true;
    } else {
      return ctx.reply.Error(kSyntaxError);
    }
  }
  StreamClaimResult result;
  storage::Status status = ctx.ks.StreamAutoClaim(ctx.connection.db(), args[1], args[2], args[3],
                                                  static_cast<uint64_t>(min_idle), start,
                                                  static_cast<uint64_t>(count), just_id, &result);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (result.status != StreamGroupStatus::kOk) {
    return ctx.reply.Error(NoGroupError(args[1], args[2]));
  }
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk(FormatId(result.next));
  ReplyClaimed(ctx, result.claimed, just_id);
  ctx.reply.ArrayHeader(result.deleted.size());
  for (StreamId id : result.deleted) ctx.reply.Bulk(FormatId(id));
  if (result.consumer_created) Notify(ctx, kNotifyStream, "xgroup-createconsumer", args[1]);
  std::vector<std::vector<std::string>> propagation;
  PropagateClaims(ctx, args[1], result.group, result.propagate, false, &propagation);
  SendPropagation(ctx, propagation);
}

// --- XINFO ---

// Redis's streamReplyWithCGLag's figure; *valid false when it cannot be known.
int64_t GroupLag(const keyspace::StreamInfo& info, const StreamGroup& g, bool* valid) {
  const keyspace::StreamMeta& m = info.meta;
  *valid = true;
  if (m.entries_added == 0) return 0;
  const bool tombstones = info.length > 0 && !m.max_deleted.IsZero() &&
                          !(m.first_id > m.max_deleted) && g.last_id <= m.max_deleted;
  if (g.entries_read != -1 && !tombstones) {
    return static_cast<int64_t>(m.entries_added) - g.entries_read;
  }
  // streamEstimateDistanceFromFirstEverEntry of the group's last ID.
  const auto added = static_cast<int64_t>(m.entries_added);
  int64_t read = -1;
  const StreamId id = g.last_id;
  if ((info.length == 0 && id <= m.last_id) || id == m.last_id) {
    read = added;
  } else if (id < m.last_id && (m.max_deleted.IsZero() || m.max_deleted < m.first_id)) {
    if (id < m.first_id) {
      read = added - static_cast<int64_t>(info.length);
    } else if (id == m.first_id) {
      read = added - static_cast<int64_t>(info.length) + 1;
    }
  }
  if (read == -1) {
    *valid = false;
    return 0;
  }
  return added - read;
}

void ReplyGroupFields(CommandContext& ctx, const keyspace::StreamInfo& info, const StreamGroup& g) {
  ctx.reply.Bulk("name");
  ctx.reply.Bulk(g.name);
  ctx.reply.Bulk("consumers");
  ctx.reply.Integer(static_cast<int64_t>(g.consumers));
  ctx.reply.Bulk("pending");
  ctx.reply.Integer(static_cast<int64_t>(g.pending));
  ctx.reply.Bulk("last-delivered-id");
  ctx.reply.Bulk(FormatId(g.last_id));
  ctx.reply.Bulk("entries-read");
  if (g.entries_read != -1) {
    ctx.reply.Integer(g.entries_read);
  } else {
    ctx.reply.NullBulk();
  }
  ctx.reply.Bulk("lag");
  bool valid = false;
  const int64_t lag = GroupLag(info, g, &valid);
  if (valid) {
    ctx.reply.Integer(lag);
  } else {
    ctx.reply.NullBulk();
  }
}

void XInfoHelp(CommandContext& ctx) {
  static const char* const kLines[] = {
      "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "CONSUMERS <key> <groupname>",
      "    Show consumers of <groupname>.",
      "GROUPS <key>",
      "    Show the stream consumer groups.",
      "STREAM <key> [FULL [COUNT <count>]",
      "    Show information about the stream.",
      "HELP",
      "    Print this help.",
  };
  ctx.reply.ArrayHeader(std::size(kLines));
  for (const char* line : kLines) ctx.reply.SimpleString(line);
}

void XInfoStream(CommandContext& ctx, std::string_view key, bool full, int64_t count,
                 const keyspace::StreamInfo& info) {
  const int db = ctx.connection.db();
  // Redis's radix tree holds listpack nodes of up to stream-node-max-entries entries.
  const auto nodes =
      static_cast<int64_t>((info.length + static_cast<uint64_t>(keyspace::kStreamNodeEntries) - 1) /
                           static_cast<uint64_t>(keyspace::kStreamNodeEntries));
  std::vector<StreamGroup> groups;
  bool exists = false;
  storage::Status status = ctx.ks.StreamGroups(db, key, &groups, &exists);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  std::vector<StreamEntry> entries;
  std::vector<StreamEntry> first;
  std::vector<StreamEntry> last;
  if (full) {
    status = ctx.ks.StreamRange(db, key, StreamId{}, kMaxStreamId, false,
                                static_cast<uint64_t>(count), &entries);
  } else {
    status = ctx.ks.StreamRange(db, key, StreamId{}, kMaxStreamId, false, 1, &first);
    if (status.ok()) status = ctx.ks.StreamRange(db, key, StreamId{}, kMaxStreamId, true, 1, &last);
  }
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.MapHeader(full ? 9 : 10);
  ctx.reply.Bulk("length");
  ctx.reply.Integer(static_cast<int64_t>(info.length));
  ctx.reply.Bulk("radix-tree-keys");
  ctx.reply.Integer(nodes);
  ctx.reply.Bulk("radix-tree-nodes");
  ctx.reply.Integer(nodes == 0 ? 1 : nodes + 1);
  ctx.reply.Bulk("last-generated-id");
  ctx.reply.Bulk(FormatId(info.meta.last_id));
  ctx.reply.Bulk("max-deleted-entry-id");
  ctx.reply.Bulk(FormatId(info.meta.max_deleted));
  ctx.reply.Bulk("entries-added");
  ctx.reply.Integer(static_cast<int64_t>(info.meta.entries_added));
  ctx.reply.Bulk("recorded-first-entry-id");
  ctx.reply.Bulk(FormatId(info.meta.first_id));
  if (!full) {
    ctx.reply.Bulk("groups");
    ctx.reply.Integer(static_cast<int64_t>(groups.size()));
    ctx.reply.Bulk("first-entry");
    if (first.empty()) {
      ctx.reply.NullBulk();
    } else {
      ReplyEntry(ctx, first[0]);
    }
    ctx.reply.Bulk("last-entry");
    if (last.empty()) {
      ctx.reply.NullBulk();
    } else {
      ReplyEntry(ctx, last[0]);
    }
    return;
  }
  ctx.reply.Bulk("entries");
  ReplyEntries(ctx, entries);
  ctx.reply.Bulk("groups");
  ctx.reply.ArrayHeader(groups.size());
  const uint64_t now = ctx.ks.NowMs();
  for (const StreamGroup& g : groups) {
    std::vector<keyspace::StreamPending> pel;
    status = ctx.ks.StreamGroupPending(db, key, g.name, {}, static_cast<uint64_t>(count), &pel);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    std::vector<keyspace::StreamConsumer> consumers;
    StreamGroupStatus gs;
    status = ctx.ks.StreamConsumers(db, key, g.name, &consumers, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    ctx.reply.MapHeader(7);
    ctx.reply.Bulk("name");
    ctx.reply.Bulk(g.name);
    ctx.reply.Bulk("last-delivered-id");
    ctx.reply.Bulk(FormatId(g.last_id));
    ctx.reply.Bulk("entries-read");
    if (g.entries_read != -1) {
      ctx.reply.Integer(g.entries_read);
    } else {
      ctx.reply.NullBulk();
    }
    ctx.reply.Bulk("lag");
    bool valid = false;
    const int64_t lag = GroupLag(info, g, &valid);
    if (valid) {
      ctx.reply.Integer(lag);
    } else {
      ctx.reply.NullBulk();
    }
    ctx.reply.Bulk("pel-count");
    ctx.reply.Integer(static_cast<int64_t>(g.pending));
    ctx.reply.Bulk("pending");
    ctx.reply.ArrayHeader(pel.size());
    for (const keyspace::StreamPending& p : pel) {
      ctx.reply.ArrayHeader(4);
      ctx.reply.Bulk(FormatId(p.id));
      ctx.reply.Bulk(p.consumer);
      ctx.reply.Integer(static_cast<int64_t>(p.delivered_ms));
      ctx.reply.Integer(static_cast<int64_t>(p.deliveries));
    }
    ctx.reply.Bulk("consumers");
    ctx.reply.ArrayHeader(consumers.size());
    for (const keyspace::StreamConsumer& c : consumers) {
      std::vector<keyspace::StreamPending> mine;
      status =
          ctx.ks.StreamGroupPending(db, key, g.name, c.name, static_cast<uint64_t>(count), &mine);
      if (!status.ok()) return ReplyStorageError(ctx, status);
      ctx.reply.MapHeader(4);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(c.name);
      ctx.reply.Bulk("seen-time");
      ctx.reply.Integer(static_cast<int64_t>(c.seen_ms));
      ctx.reply.Bulk("pel-count");
      ctx.reply.Integer(static_cast<int64_t>(c.pending));
      ctx.reply.Bulk("pending");
      ctx.reply.ArrayHeader(mine.size());
      for (const keyspace::StreamPending& p : mine) {
        ctx.reply.ArrayHeader(3);
        ctx.reply.Bulk(FormatId(p.id));
        ctx.reply.Integer(static_cast<int64_t>(p.delivered_ms));
        ctx.reply.Integer(static_cast<int64_t>(p.deliveries));
      }
    }
  }
  (void)now;
}

// XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group | HELP
void XInfoCommand(CommandContext& ctx) {
  const auto& args = ctx.args;
  const std::string_view sub = args[1];
  if (EqualsIgnoreCase(sub, "help")) {
    if (args.size() != 2) return ctx.reply.Error(WrongArityError("xinfo|help"));
    return XInfoHelp(ctx);
  }
  const bool stream = EqualsIgnoreCase(sub, "stream");
  const bool groups = EqualsIgnoreCase(sub, "groups");
  const bool consumers = EqualsIgnoreCase(sub, "consumers");
  if (!stream && !groups && !consumers) {
    return ctx.reply.Error(UnknownSubcommandError("xinfo", sub));
  }
  if ((stream && args.size() < 3) || (groups && args.size() != 3) ||
      (consumers && args.size() != 4)) {
    return ctx.reply.Error(WrongArityError("xinfo|" + ToLower(sub)));
  }
  const std::string_view key = args[2];
  const int db = ctx.connection.db();
  keyspace::StreamInfo info;
  bool exists = false;
  storage::Status status = ctx.ks.StreamState(db, key, &info, &exists);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!exists) return ctx.reply.Error("ERR no such key");
  if (consumers) {
    std::vector<keyspace::StreamConsumer> list;
    StreamGroupStatus gs;
    status = ctx.ks.StreamConsumers(db, key, args[3], &list, &gs);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    if (gs != StreamGroupStatus::kOk) {
      return ctx.reply.Error("NOGROUP No such consumer group '" + std::string(args[3]) +
                             "' for key name '" + std::string(key) + "'");
    }
    const uint64_t now = ctx.ks.NowMs();
    ctx.reply.ArrayHeader(list.size());
    for (const keyspace::StreamConsumer& c : list) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(c.name);
      ctx.reply.Bulk("pending");
      ctx.reply.Integer(static_cast<int64_t>(c.pending));
      ctx.reply.Bulk("idle");
      ctx.reply.Integer(now > c.seen_ms ? static_cast<int64_t>(now - c.seen_ms) : 0);
    }
    return;
  }
  if (groups) {
    std::vector<StreamGroup> list;
    status = ctx.ks.StreamGroups(db, key, &list, &exists);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    ctx.reply.ArrayHeader(list.size());
    for (const StreamGroup& g : list) {
      ctx.reply.MapHeader(6);
      ReplyGroupFields(ctx, info, g);
    }
    return;
  }
  bool full = false;
  int64_t count = 10;
  if (args.size() > 3) {
    if (!EqualsIgnoreCase(args[3], "full")) return SubcommandSyntaxError(ctx);
    full = true;
    if (args.size() == 6 && EqualsIgnoreCase(args[4], "count")) {
      if (!ParseLongLong(ctx, args[5], &count)) return;
      if (count < 0) count = 10;
    } else if (args.size() > 4) {
      return SubcommandSyntaxError(ctx);
    }
  }
  XInfoStream(ctx, key, full, count, info);
}

const CommandSpec kStreamCommands[] = {
    {"xadd", -5, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, XAddCommand, "stream", "5.0.0",
     "Appends a new message to a stream. Creates the key if it doesn't exist.",
     "key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value "
     "[field value ...]"},
    {"xlen", 2, kCmdReadOnly | kCmdFast, 1, 1, 1, XLenCommand, "stream", "5.0.0",
     "Return the number of messages in a stream.", "key"},
    {"xrange", -4, kCmdReadOnly, 1, 1, 1, XRangeCommand, "stream", "5.0.0",
     "Returns the messages from a stream within a range of IDs.", "key start end [COUNT count]"},
    {"xrevrange", -4, kCmdReadOnly, 1, 1, 1, XRevRangeCommand, "stream", "5.0.0",
     "Returns the messages from a stream within a range of IDs in reverse order.",
     "key end start [COUNT count]"},
    {"xdel", -3, kCmdWrite | kCmdFast, 1, 1, 1, XDelCommand, "stream", "5.0.0",
     "Returns the number of messages after removing them from a stream.", "key id [id ...]"},
    {"xtrim", -4, kCmdWrite, 1, 1, 1, XTrimCommand, "stream", "5.0.0",
     "Deletes messages from the beginning of a stream.",
     "key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]"},
    {"xsetid", -3, kCmdWrite | kCmdDenyOom | kCmdFast, 1, 1, 1, XSetIdCommand, "stream", "5.0.0",
     "An internal command for replicating stream values.",
     "key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]"},
    {"xread", -4, kCmdReadOnly, 0, 0, 0, XReadCommand, "stream", "5.0.0",
     "Returns messages from multiple streams with IDs greater than the ones requested. Blocks "
     "until a message is available otherwise.",
     "[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]", StreamReadKeys},
    {"xreadgroup", -7, kCmdWrite, 0, 0, 0, XReadGroupCommand, "stream", "5.0.0",
     "Returns new or historical messages from a stream for a consumer in a group. Blocks until a "
     "message is available otherwise.",
     "GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id "
     "[id ...]",
     StreamReadKeys},
    {"xgroup", -2, kCmdWrite, 2, 2, 1, XGroupCommand, "stream", "5.0.0",
     "A container for consumer groups commands.", "subcommand [argument ...]"},
    {"xack", -4, kCmdWrite | kCmdFast, 1, 1, 1, XAckCommand, "stream", "5.0.0",
     "Returns the number of messages that were successfully acknowledged by the consumer group "
     "member of a stream.",
     "key group id [id ...]"},
    {"xpending", -3, kCmdReadOnly, 1, 1, 1, XPendingCommand, "stream", "5.0.0",
     "Returns the information and entries from a stream consumer group's pending entries list.",
     "key group [[IDLE min-idle-time] start end count [consumer]]"},
    {"xclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, XClaimCommand, "stream", "5.0.0",
     "Changes, or acquires, ownership of a message in a consumer group, as if the message was "
     "delivered a consumer group member.",
     "key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] "
     "[RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]"},
    {"xautoclaim", -6, kCmdWrite | kCmdFast, 1, 1, 1, XAutoClaimCommand, "stream", "6.2.0",
     "Changes, or acquires, ownership of messages in a consumer group, as if the messages were "
     "delivered to as consumer group member.",
     "key group consumer min-idle-time start [COUNT count] [JUSTID]"},
    {"xinfo", -2, kCmdReadOnly, 2, 2, 1, XInfoCommand, "stream", "5.0.0",
     "A container for stream introspection commands.", "subcommand [argument ...]"},
};

}  // namespace

void RegisterStreamCommands(CommandTable& table) {
  table.Register(kStreamCommands, std::size(kStreamCommands));
}

}  // namespace shale::server
