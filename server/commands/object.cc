// OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP (Redis's object.c), answered from what the
// value header records (format.h): the encoding class of a string, and when it was last
// written.
//
// What Shale reports:
// - ENCODING: Redis's rules for strings. "int" for a value stored as SET stores its argument
//   that is a canonical 64-bit integer of at most 20 characters (INCR's results too), else
//   "embstr" up to 44 bytes, else "raw"; a value modified in place (APPEND to an existing key,
//   SETRANGE) is "raw" at any length; INCRBYFLOAT's result is never "int".
// - REFCOUNT: 2147483647 for the integers 0..9999 Redis shares (OBJ_SHARED_INTEGERS), else 1.
// - IDLETIME: seconds since the key was last written or TOUCHed (Redis counts every read too;
//   Shale does not write on reads, and keeps TOUCH's times in memory, for a bounded number of
//   keys). Keys written by a release that did not record it report 0.
// - FREQ: Redis's error, as with a non-LFU maxmemory-policy (Shale has no maxmemory policy).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/format.h"
#include "server/keyspace/keyspace.h"
#include "server/server.h"

namespace shale::server {

namespace {

// Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT and OBJ_SHARED_INTEGERS.
constexpr size_t kEmbstrSizeLimit = 44;
constexpr int64_t kSharedIntegers = 10000;
constexpr int64_t kSharedRefcount = 2147483647;  // OBJ_SHARED_REFCOUNT (INT_MAX)

constexpr std::string_view kObjectHelp[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

// Whether a value of encoding class `encoding` is held as an integer ("int"); *value is it.
bool IsIntEncoded(keyspace::StringEncoding encoding, std::string_view payload, int64_t* value) {
  return encoding == keyspace::StringEncoding::kAuto && ParseInt64(payload, value);
}

// A value's OBJECT ENCODING: a string's by its encoding class (and bytes), a collection's by
// whether it has outgrown its compact encoding (format.h's kLargeEncoding), as Redis 7.0 names
// them.
std::string_view EncodingName(const keyspace::ValueHeader& header, std::string_view payload) {
  using keyspace::ValueType;
  const bool large = header.encoding == keyspace::kLargeEncoding;
  switch (header.type) {
    case ValueType::kString:
      break;
    case ValueType::kList:
      return "quicklist";
    case ValueType::kHash:
      return large ? "hashtable" : "listpack";
    case ValueType::kSet:
      return large ? "hashtable" : "intset";
    case ValueType::kZSet:
      return large ? "skiplist" : "listpack";
    case ValueType::kStream:
      return "stream";
  }
  const keyspace::StringEncoding encoding = header.encoding;
  int64_t value = 0;
  if (encoding == keyspace::StringEncoding::kRaw) return "raw";
  if (IsIntEncoded(encoding, payload, &value)) return "int";
  return payload.size() <= kEmbstrSizeLimit ? "embstr" : "raw";
}

void ObjectCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const bool help = EqualsIgnoreCase(sub, "help");
  const bool known = help || EqualsIgnoreCase(sub, "encoding") ||
                     EqualsIgnoreCase(sub, "refcount") || EqualsIgnoreCase(sub, "idletime") ||
                     EqualsIgnoreCase(sub, "freq");
  if (!known) return ctx.reply.Error(UnknownSubcommandError("object", sub));
  if (ctx.args.size() != (help ? 2U : 3U)) {
    return ctx.reply.Error("ERR wrong number of arguments for 'object|" + ToLower(sub) +
                           "' command");
  }
  if (help) {
    ctx.reply.ArrayHeader(std::size(kObjectHelp));
    for (std::string_view line : kObjectHelp) ctx.reply.SimpleString(line);
    return;
  }
  std::string value;
  keyspace::ValueHeader header;
  storage::Status status = ctx.ks.Inspect(ctx.connection.db(), ctx.args[2], &value, &header);
  if (status.IsNotFound()) return ctx.reply.NullBulk();
  if (!status.ok()) return ReplyStorageError(ctx, status);
  if (EqualsIgnoreCase(sub, "encoding")) {
    ctx.reply.Bulk(EncodingName(header, value));
  } else if (EqualsIgnoreCase(sub, "refcount")) {
    int64_t integer = 0;
    const bool shared = header.type == keyspace::ValueType::kString &&
                        IsIntEncoded(header.encoding, value, &integer) && integer >= 0 &&
                        integer < kSharedIntegers;
    ctx.reply.Integer(shared ? kSharedRefcount : 1);
  } else if (EqualsIgnoreCase(sub, "idletime")) {
    const uint64_t now_s = ctx.ks.NowMs() / 1000;
    const uint64_t written_s = std::max<uint64_t>(
        header.written_s, ctx.server.TouchedMs(ctx.connection.db(), ctx.args[2]) / 1000);
    ctx.reply.Integer(written_s != 0 && now_s > written_s ? static_cast<int64_t>(now_s - written_s)
                                                          : 0);
  } else {  // freq
    ctx.reply.Error(
        "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note "
        "that when switching between policies at runtime LRU and LFU data will take some time to "
        "adjust.");
  }
}

const CommandSpec kObjectCommands[] = {
    {"object", -2, kCmdReadOnly, 2, 2, 1, ObjectCommand, "generic", "2.2.3",
     "A container for object introspection commands.", "subcommand [key]"},
};

}  // namespace

void RegisterObjectCommands(CommandTable& table) {
  table.Register(kObjectCommands, std::size(kObjectCommands));
}

}  // namespace shale::server
