// Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
// BITFIELD_RO (Redis's bitops.c). The bit arithmetic is in server/bits.h; this file parses
// arguments in Redis's order (so that the same error wins), reads and writes through the
// keyspace and replies.
#include "server/bits.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/notifications.h"
#include "server/server.h"

namespace shale::server {

namespace {

constexpr std::string_view kBitOffsetError = "ERR bit offset is not an integer or out of range";
constexpr std::string_view kBitValueError = "ERR bit is not an integer or out of range";
constexpr std::string_view kBitArgumentError = "ERR The bit argument must be 1 or 0.";
constexpr std::string_view kBitOpNotError =
    "ERR BITOP NOT must be called with a single source key.";
constexpr std::string_view kFieldTypeError =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "
    "is.";
constexpr std::string_view kOverflowTypeError = "ERR Invalid OVERFLOW type specified";
constexpr std::string_view kReadOnlyFieldError = "ERR BITFIELD_RO only supports the GET subcommand";

int64_t MaxBulkLen(CommandContext& ctx) { return ctx.server.config().proto_max_bulk_len; }

// Reads the string at `key` for a read command, counting a keyspace hit or miss as Redis's
// lookupKeyRead does. *found is false for an absent key (the status is then OK).
storage::Status ReadString(CommandContext& ctx, std::string_view key, std::string* value,
                           bool* found) {
  storage::Status status = ctx.ks.Get(ctx.connection.db(), key, value);
  *found = status.ok();
  if (status.IsNotFound()) {
    ctx.server.KeyMiss(ctx.connection.db(), key);
    value->clear();
    return storage::Status::Ok();
  }
  if (status.ok()) ctx.server.stats().keyspace_hits++;
  return status;
}

// A BYTE | BIT argument: false after replying the syntax error.
bool ParseRangeUnit(CommandContext& ctx, std::string_view arg, bool* in_bits) {
  if (EqualsIgnoreCase(arg, "bit")) {
    *in_bits = true;
  } else if (EqualsIgnoreCase(arg, "byte")) {
    *in_bits = false;
  } else {
    ctx.reply.Error(kSyntaxError);
    return false;
  }
  return true;
}

// An integer argument: false after replying Redis's not-an-integer error.
bool ParseIntegerArg(CommandContext& ctx, std::string_view arg, int64_t* value) {
  if (ParseInt64(arg, value)) return true;
  ctx.reply.Error(kNotIntegerError);
  return false;
}

// SETBIT key offset value: replies the bit's old value. Writes only when the value changes (the
// bit flips, or the string is created or grows).
void SetBitCommand(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!bits::ParseBitOffset(ctx.args[2], 0, MaxBulkLen(ctx), &offset)) {
    return ctx.reply.Error(kBitOffsetError);
  }
  int64_t on = 0;
  if (!ParseInt64(ctx.args[3], &on) || (on != 0 && on != 1)) {
    return ctx.reply.Error(kBitValueError);
  }
  bool old_bit = false;
  const size_t needed = static_cast<size_t>(offset / 8) + 1;
  storage::Status status = ctx.ks.UpdateString(
      ctx.connection.db(), ctx.args[1], [&](const std::string_view* old, std::string* value) {
        old_bit = old != nullptr && bits::GetBit(*old, offset);
        const bool grows = old == nullptr || old->size() < needed;
        if (!grows && old_bit == (on == 1)) return false;
        if (old != nullptr) value->assign(*old);
        if (value->size() < needed) value->resize(needed, '\0');
        bits::SetBit(value, offset, on == 1);
        return true;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  Notify(ctx, kNotifyString, "setbit", ctx.args[1]);
  ctx.reply.Integer(old_bit ? 1 : 0);
}

// GETBIT key offset
void GetBitCommand(CommandContext& ctx) {
  uint64_t offset = 0;
  if (!bits::ParseBitOffset(ctx.args[2], 0, MaxBulkLen(ctx), &offset)) {
    return ctx.reply.Error(kBitOffsetError);
  }
  std::string value;
  bool found = false;
  storage::Status status = ReadString(ctx, ctx.args[1], &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  ctx.reply.Integer(bits::GetBit(value, offset) ? 1 : 0);
}

// BITCOUNT key [start end [BYTE | BIT]]. As in Redis 7.0 the key is read first: an absent key
// answers 0 whatever the other arguments.
void BitCountCommand(CommandContext& ctx) {
  std::string value;
  bool found = false;
  storage::Status status = ReadString(ctx, ctx.args[1], &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!found) return ctx.reply.Integer(0);
  const size_t argc = ctx.args.size();
  if (argc == 2) return ctx.reply.Integer(static_cast<int64_t>(bits::PopCount(value)));
  if (argc != 4 && argc != 5) return ctx.reply.Error(kSyntaxError);
  int64_t start = 0, end = 0;
  bool in_bits = false;
  if (!ParseIntegerArg(ctx, ctx.args[2], &start) || !ParseIntegerArg(ctx, ctx.args[3], &end)) {
    return;
  }
  // Both from the end with start after end: empty, although clamping would make them overlap.
  // Redis 7.0 answers this before it looks at the unit.
  if (start < 0 && end < 0 && start > end) return ctx.reply.Integer(0);
  if (argc == 5 && !ParseRangeUnit(ctx, ctx.args[4], &in_bits)) return;
  bits::BitRange range;
  if (!bits::ResolveRange(start, end, value.size(), in_bits, &range)) {
    return ctx.reply.Integer(0);
  }
  ctx.reply.Integer(static_cast<int64_t>(bits::CountBits(value, range)));
}

// BITPOS key bit [start [end [BYTE | BIT]]]. An absent key is an endless run of zeros. Without
// an end, a string of ones is followed by the zero just past it; with one, no clear bit is -1.
void BitPosCommand(CommandContext& ctx) {
  int64_t bit = 0;
  if (!ParseIntegerArg(ctx, ctx.args[2], &bit)) return;
  if (bit != 0 && bit != 1) return ctx.reply.Error(kBitArgumentError);
  std::string value;
  bool found = false;
  storage::Status status = ReadString(ctx, ctx.args[1], &value, &found);
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!found) return ctx.reply.Integer(bit == 1 ? -1 : 0);
  const size_t argc = ctx.args.size();
  if (argc > 6) return ctx.reply.Error(kSyntaxError);
  int64_t start = 0, end = INT64_MAX;  // clamped to the value's last byte or bit
  bool in_bits = false;
  const bool end_given = argc >= 5;
  if (argc >= 4 && !ParseIntegerArg(ctx, ctx.args[3], &start)) return;
  if (argc == 6 && !ParseRangeUnit(ctx, ctx.args[5], &in_bits)) return;
  if (end_given && !ParseIntegerArg(ctx, ctx.args[4], &end)) return;
  bits::BitRange range;
  if (!bits::ResolveRange(start, end, value.size(), in_bits, &range)) {
    return ctx.reply.Integer(-1);
  }
  int64_t pos = bits::FindBit(value, bit == 1, range);
  if (pos < 0 && bit == 0 && !end_given) pos = static_cast<int64_t>(value.size() * 8);
  ctx.reply.Integer(pos);
}

// BITOP AND | OR | XOR | NOT destkey key [key ...]: replies the result's length. An absent
// source is an empty string; an empty result deletes the destination; otherwise the destination
// is replaced by a plain string (without the time to live it had). The sources are read and the
// destination written in one turn of the keyspace's single thread: no other client sees between.
void BitOpCommand(CommandContext& ctx) {
  const std::string_view name = ctx.args[1];
  bits::BitOpKind op{};
  if (EqualsIgnoreCase(name, "and")) {
    op = bits::BitOpKind::kAnd;
  } else if (EqualsIgnoreCase(name, "or")) {
    op = bits::BitOpKind::kOr;
  } else if (EqualsIgnoreCase(name, "xor")) {
    op = bits::BitOpKind::kXor;
  } else if (EqualsIgnoreCase(name, "not")) {
    op = bits::BitOpKind::kNot;
  } else {
    return ctx.reply.Error(kSyntaxError);
  }
  if (op == bits::BitOpKind::kNot && ctx.args.size() != 4) {
    return ctx.reply.Error(kBitOpNotError);
  }
  std::vector<std::string> values(ctx.args.size() - 3);
  for (size_t i = 3; i < ctx.args.size(); ++i) {
    bool found = false;
    storage::Status status = ReadString(ctx, ctx.args[i], &values[i - 3], &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
  }
  const std::vector<std::string_view> sources(values.begin(), values.end());
  const std::string result = bits::BitOp(op, sources);
  const int db = ctx.connection.db();
  storage::Status status;
  int64_t removed = 0;
  if (result.empty()) {
    status = ctx.ks.Delete(db, {ctx.args[2]}, &removed);
  } else {
    keyspace::SetResult set_result;
    status = ctx.ks.Set(db, ctx.args[2], result, keyspace::SetOptions{}, &set_result);
  }
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (!result.empty()) {
    Notify(ctx, kNotifyString, "set", ctx.args[2]);
  } else if (removed > 0) {
    Notify(ctx, kNotifyGeneric, "del", ctx.args[2]);
  }
  ctx.reply.Integer(static_cast<int64_t>(result.size()));
}

// One BITFIELD operation.
struct FieldOp {
  enum class Kind { kGet, kSet, kIncrBy } kind = Kind::kGet;
  bool is_signed = false;
  int width = 0;
  uint64_t offset = 0;
  int64_t value = 0;  // SET's value or INCRBY's increment
  bits::Overflow overflow = bits::Overflow::kWrap;
};

// Parses BITFIELD's operations (args[2...]) as Redis does, left to right, the first bad
// argument's error winning. False after replying the error.
bool ParseFieldOps(CommandContext& ctx, std::vector<FieldOp>* ops) {
  bits::Overflow overflow = bits::Overflow::kWrap;
  const size_t argc = ctx.args.size();
  for (size_t i = 2; i < argc; ++i) {
    const std::string_view sub = ctx.args[i];
    const size_t remaining = argc - i - 1;
    FieldOp op;
    if (EqualsIgnoreCase(sub, "get") && remaining >= 2) {
      op.kind = FieldOp::Kind::kGet;
    } else if (EqualsIgnoreCase(sub, "set") && remaining >= 3) {
      op.kind = FieldOp::Kind::kSet;
    } else if (EqualsIgnoreCase(sub, "incrby") && remaining >= 3) {
      op.kind = FieldOp::Kind::kIncrBy;
    } else if (EqualsIgnoreCase(sub, "overflow") && remaining >= 1) {
      const std::string_view policy = ctx.args[++i];
      if (EqualsIgnoreCase(policy, "wrap")) {
        overflow = bits::Overflow::kWrap;
      } else if (EqualsIgnoreCase(policy, "sat")) {
        overflow = bits::Overflow::kSat;
      } else if (EqualsIgnoreCase(policy, "fail")) {
        overflow = bits::Overflow::kFail;
      } else {
        ctx.reply.Error(kOverflowTypeError);
        return false;
      }
      continue;
    } else {
      ctx.reply.Error(kSyntaxError);
      return false;
    }
    if (!bits::ParseFieldType(ctx.args[i + 1], &op.is_signed, &op.width)) {
      ctx.reply.Error(kFieldTypeError);
      return false;
    }
    if (!bits::ParseBitOffset(ctx.args[i + 2], op.width, MaxBulkLen(ctx), &op.offset)) {
      ctx.reply.Error(kBitOffsetError);
      return false;
    }
    if (op.kind != FieldOp::Kind::kGet && !ParseIntegerArg(ctx, ctx.args[i + 3], &op.value)) {
      return false;
    }
    op.overflow = overflow;
    ops->push_back(op);
    i += op.kind == FieldOp::Kind::kGet ? 2 : 3;
  }
  return true;
}

// Runs a SET or INCRBY on `value` (long enough): the reply (nullopt: a FAIL overflow, nothing
// written) and whether the field changed.
std::optional<int64_t> ApplyFieldWrite(const FieldOp& op, std::string* value, bool* changed) {
  const int64_t incr = op.kind == FieldOp::Kind::kIncrBy ? op.value : 0;
  *changed = false;
  if (op.is_signed) {
    const int64_t old = bits::GetSignedField(*value, op.offset, op.width);
    const int64_t base = op.kind == FieldOp::Kind::kIncrBy ? old : op.value;
    int64_t result = base;
    if (bits::AddSigned(base, incr, op.width, op.overflow, &result) &&
        op.overflow == bits::Overflow::kFail) {
      return std::nullopt;
    }
    bits::SetField(value, op.offset, op.width, static_cast<uint64_t>(result));
    *changed = result != old;
    return op.kind == FieldOp::Kind::kIncrBy ? result : old;
  }
  const uint64_t old = bits::GetUnsignedField(*value, op.offset, op.width);
  const uint64_t base = op.kind == FieldOp::Kind::kIncrBy ? old : static_cast<uint64_t>(op.value);
  uint64_t result = base;
  if (bits::AddUnsigned(base, incr, op.width, op.overflow, &result) &&
      op.overflow == bits::Overflow::kFail) {
    return std::nullopt;
  }
  bits::SetField(value, op.offset, op.width, result);
  *changed = result != old;
  // Unsigned fields are at most 63 bits wide: every value fits an int64.
  return static_cast<int64_t>(op.kind == FieldOp::Kind::kIncrBy ? result : old);
}

int64_t ReadField(const FieldOp& op, std::string_view value) {
  if (op.is_signed) return bits::GetSignedField(value, op.offset, op.width);
  return static_cast<int64_t>(bits::GetUnsignedField(value, op.offset, op.width));
}

void ReplyFieldResults(CommandContext& ctx, const std::vector<std::optional<int64_t>>& results) {
  ctx.reply.ArrayHeader(results.size());
  for (const std::optional<int64_t>& result : results) {
    if (result.has_value()) {
      ctx.reply.Integer(*result);
    } else {
      ctx.reply.NullBulk();
    }
  }
}

// BITFIELD / BITFIELD_RO key [GET type offset | [OVERFLOW WRAP|SAT|FAIL] SET type offset value |
// INCRBY type offset increment ...]. With only GETs the key is read; otherwise it is one
// read-modify-write that first grows the string to cover the highest bit written (creating it
// when absent, as Redis does even when every write then fails), keeps its time to live, and
// writes only when something changed.
void BitFieldGeneric(CommandContext& ctx, bool read_only_command) {
  std::vector<FieldOp> ops;
  if (!ParseFieldOps(ctx, &ops)) return;
  uint64_t highest_bit = 0;
  bool writes = false;
  for (const FieldOp& op : ops) {
    if (op.kind == FieldOp::Kind::kGet) continue;
    writes = true;
    highest_bit = std::max(highest_bit, op.offset + op.width - 1);
  }
  std::vector<std::optional<int64_t>> results;
  results.reserve(ops.size());
  if (!writes) {
    std::string value;
    bool found = false;
    storage::Status status = ReadString(ctx, ctx.args[1], &value, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    for (const FieldOp& op : ops) results.emplace_back(ReadField(op, value));
    return ReplyFieldResults(ctx, results);
  }
  if (read_only_command) return ctx.reply.Error(kReadOnlyFieldError);
  const size_t needed = static_cast<size_t>(highest_bit / 8) + 1;
  bool wrote = false;
  storage::Status status = ctx.ks.UpdateString(
      ctx.connection.db(), ctx.args[1], [&](const std::string_view* old, std::string* value) {
        results.clear();
        if (old != nullptr) value->assign(*old);
        bool changed = old == nullptr || value->size() < needed;
        if (value->size() < needed) value->resize(needed, '\0');
        for (const FieldOp& op : ops) {
          if (op.kind == FieldOp::Kind::kGet) {
            results.emplace_back(ReadField(op, *value));
            continue;
          }
          bool field_changed = false;
          results.push_back(ApplyFieldWrite(op, value, &field_changed));
          changed = changed || field_changed;
        }
        wrote = changed;
        return changed;
      });
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (wrote) Notify(ctx, kNotifyString, "setbit", ctx.args[1]);
  ReplyFieldResults(ctx, results);
}

void BitFieldCommand(CommandContext& ctx) { BitFieldGeneric(ctx, false); }
void BitFieldRoCommand(CommandContext& ctx) { BitFieldGeneric(ctx, true); }

const CommandSpec kBitCommands[] = {
    {"setbit", 4, kCmdWrite | kCmdDenyOom, 1, 1, 1, SetBitCommand, "bitmap", "2.2.0",
     "Sets or clears one bit of a string, creating or zero-extending the string as needed.",
     "key offset value"},
    {"getbit", 3, kCmdReadOnly | kCmdFast, 1, 1, 1, GetBitCommand, "bitmap", "2.2.0",
     "Returns one bit of a string (0 beyond its end).", "key offset"},
    {"bitcount", -2, kCmdReadOnly, 1, 1, 1, BitCountCommand, "bitmap", "2.6.0",
     "Counts the set bits of a string, or of a range of its bytes or bits.",
     "key [start end [BYTE | BIT]]"},
    {"bitpos", -3, kCmdReadOnly, 1, 1, 1, BitPosCommand, "bitmap", "2.8.7",
     "Returns the position of the first set or clear bit of a string, or of a range of it.",
     "key bit [start [end [BYTE | BIT]]]"},
    {"bitop", -4, kCmdWrite | kCmdDenyOom, 2, -1, 1, BitOpCommand, "bitmap", "2.6.0",
     "Stores the bitwise AND, OR, XOR or NOT of strings in a destination key.",
     "AND | OR | XOR | NOT destkey key [key ...]"},
    {"bitfield", -2, kCmdWrite | kCmdDenyOom, 1, 1, 1, BitFieldCommand, "bitmap", "3.2.0",
     "Reads, sets and increments integer fields of any width at any bit offset of a string.",
     "key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | "
     "[OVERFLOW WRAP | SAT | FAIL] INCRBY encoding offset increment ...]"},
    {"bitfield_ro", -2, kCmdReadOnly | kCmdFast, 1, 1, 1, BitFieldRoCommand, "bitmap", "6.0.0",
     "Reads integer fields of a string (BITFIELD's GET only).",
     "key [GET encoding offset [GET encoding offset ...]]"},
};

}  // namespace

void RegisterBitCommands(CommandTable& table) {
  table.Register(kBitCommands, std::size(kBitCommands));
}

}  // namespace shale::server
