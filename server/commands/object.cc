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
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/format.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/rdb.h"
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

// --- DEBUG (behind enable-debug-command) ---

constexpr std::string_view kDebugHelp[] = {
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "OBJECT <key>",
    "    Show low level info about the key and associated value.",
    "RELOAD",
    "    Make everything durable, close the storage engine and open the data directory again.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not accessed.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "HELP",
    "    Print this help.",
};

using Digest = std::array<unsigned char, 20>;

Digest Sha1(std::string_view data) {
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha1(), nullptr);
  return digest;
}

std::string Hex(const Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : digest) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 0xF]);
  }
  return hex;
}

// A key's digest: SHA1 of its serialized value (DUMP's payload) and deadline, or all zeros when
// the key is absent. *found says which.
storage::Status KeyDigest(CommandContext& ctx, int db, std::string_view key, Digest* digest,
                          bool* found) {
  keyspace::DumpedValue value;
  uint64_t expire_ms = 0;
  digest->fill(0);
  storage::Status s = ctx.ks.ReadValue(db, key, &value, found, &expire_ms);
  if (!s.ok() || !*found) return s;
  std::string text = keyspace::DumpValue(value);
  text += "!" + std::to_string(expire_ms);
  *digest = Sha1(text);
  return s;
}

void DebugCommand(CommandContext& ctx) {
  const std::string& mode = ctx.server.config().enable_debug_command;
  if (mode != "yes" && !(mode == "local" && ctx.connection.peer_is_loopback())) {
    ctx.reply.Error(
        "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
        "you can run it from a local connection, otherwise you need to set this option in the "
        "configuration file, and then restart the server.");
    return;
  }
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  auto arity_error = [&] {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                    "'. Try DEBUG HELP.");
  };
  if (EqualsIgnoreCase(sub, "help")) {
    ctx.reply.ArrayHeader(std::size(kDebugHelp));
    for (std::string_view line : kDebugHelp) ctx.reply.SimpleString(line);
  } else if (EqualsIgnoreCase(sub, "sleep")) {
    if (argc != 3) return arity_error();
    double seconds = 0;
    if (!ParseDouble(ctx.args[2], &seconds) || seconds < 0) {
      ctx.reply.Error("ERR value is not a valid float");
      return;
    }
    // Blocks the server, as Redis's DEBUG SLEEP does (it exists to simulate a slow command).
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "set-active-expire")) {
    if (argc != 3) return arity_error();
    int64_t on = 0;
    if (!ParseInt64(ctx.args[2], &on)) {
      ctx.reply.Error(kNotIntegerError);
      return;
    }
    ctx.server.set_active_expire(on != 0);
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "object")) {
    if (argc != 3) return arity_error();
    std::string value;
    keyspace::ValueHeader header;
    storage::Status status = ctx.ks.Inspect(ctx.connection.db(), ctx.args[2], &value, &header);
    if (status.IsNotFound()) {
      ctx.reply.Error("ERR no such key");
      return;
    }
    if (!status.ok()) return ReplyStorageError(ctx, status);
    keyspace::DumpedValue dumped;
    bool found = false;
    status = ctx.ks.ReadValue(ctx.connection.db(), ctx.args[2], &dumped, &found);
    if (!status.ok()) return ReplyStorageError(ctx, status);
    // DUMP's payload less its type byte and 10-byte footer: Redis's serialized length.
    const std::string payload = keyspace::DumpValue(dumped);
    const size_t serialized = payload.size() > 11 ? payload.size() - 11 : 0;
    const uint64_t now_s = ctx.ks.NowMs() / 1000;
    const uint64_t written_s = std::max<uint64_t>(
        header.written_s, ctx.server.TouchedMs(ctx.connection.db(), ctx.args[2]) / 1000);
    const uint64_t idle = written_s != 0 && now_s > written_s ? now_s - written_s : 0;
    int64_t integer = 0;
    const bool shared = header.type == keyspace::ValueType::kString &&
                        IsIntEncoded(header.encoding, value, &integer) && integer >= 0 &&
                        integer < kSharedIntegers;
    ctx.reply.SimpleString("Value at:0x0 refcount:" + std::to_string(shared ? kSharedRefcount : 1) +
                           " encoding:" + std::string(EncodingName(header, value)) +
                           " serializedlength:" + std::to_string(serialized) +
                           " lru:" + std::to_string(written_s & 0xFFFFFF) +
                           " lru_seconds_idle:" + std::to_string(idle));
  } else if (EqualsIgnoreCase(sub, "digest-value")) {
    ctx.reply.ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; ++i) {
      Digest digest{};
      bool found = false;
      storage::Status s = KeyDigest(ctx, ctx.connection.db(), ctx.args[i], &digest, &found);
      if (!s.ok()) {
        ReplyStorageError(ctx, s);
        continue;
      }
      ctx.reply.SimpleString(Hex(digest));
    }
  } else if (EqualsIgnoreCase(sub, "digest")) {
    if (argc != 2) return arity_error();
    // Order-independent: the XOR of every key's SHA1(database, key, key digest); all zeros for
    // an empty dataset, as Redis's.
    Digest total{};
    for (int db = 0; db < ctx.ks.databases(); ++db) {
      std::string after;
      bool done = false;
      while (!done) {
        std::vector<std::string> keys;
        storage::Status s = ctx.ks.Scan(db, after, "", 1000, &keys, &done);
        if (!s.ok()) return ReplyStorageError(ctx, s);
        for (const std::string& key : keys) {
          Digest digest{};
          bool found = false;
          s = KeyDigest(ctx, db, key, &digest, &found);
          if (!s.ok()) return ReplyStorageError(ctx, s);
          if (!found) continue;
          std::string mixed = std::to_string(db) + ":" + key + ":";
          mixed.append(reinterpret_cast<const char*>(digest.data()), digest.size());
          const Digest one = Sha1(mixed);
          for (size_t i = 0; i < total.size(); ++i) total[i] ^= one[i];
        }
        if (!keys.empty()) after = keys.back();
      }
    }
    ctx.reply.SimpleString(Hex(total));
  } else if (EqualsIgnoreCase(sub, "reload")) {
    if (ctx.connection.transaction().in_multi()) {
      ctx.reply.Error("ERR DEBUG RELOAD is not allowed inside MULTI");
      return;
    }
    storage::Status s = ctx.server.ReloadEngine();
    if (!s.ok()) {
      ctx.reply.Error("ERR Error trying to save the dataset before reloading: " + s.ToString());
      return;
    }
    ctx.reply.SimpleString("OK");
  } else {
    ctx.reply.Error("ERR DEBUG " + std::string(sub) +
                    " is not available (DEBUG HELP lists what is)");
  }
}

const CommandSpec kObjectCommands[] = {
    {"object", -2, kCmdReadOnly, 2, 2, 1, ObjectCommand, "generic", "2.2.3",
     "A container for object introspection commands.", "subcommand [key]"},
    {"debug", -2, kCmdAdmin | kCmdNoScript | kCmdLoading | kCmdStale, 0, 0, 0, DebugCommand,
     "server", "1.0.0", "A container for debugging commands.", "subcommand [argument ...]"},
};

}  // namespace

void RegisterObjectCommands(CommandTable& table) {
  table.Register(kObjectCommands, std::size(kObjectCommands));
}

}  // namespace shale::server
