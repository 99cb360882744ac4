// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c). The
// engine is server/scripting.h.
#include "server/scripting.h"

#include <map>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/keyspace/keyspace.h"
#include "server/keyspace/rdb.h"
#include "server/server.h"

namespace shale::server {

namespace {

void EvalCommand(CommandContext& ctx) { ctx.server.scripting().Eval(ctx, false, false); }
void EvalShaCommand(CommandContext& ctx) { ctx.server.scripting().Eval(ctx, true, false); }
void EvalRoCommand(CommandContext& ctx) { ctx.server.scripting().Eval(ctx, false, true); }
void EvalShaRoCommand(CommandContext& ctx) { ctx.server.scripting().Eval(ctx, true, true); }

constexpr std::string_view kScriptHelp[] = {
    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
    "HELP",
    "    Print this help.",
};

// SCRIPT KILL and FUNCTION KILL.
void ReplyKill(CommandContext& ctx, bool function) {
  switch (ctx.server.scripting().Kill(function)) {
    case Scripting::KillResult::kNotBusy:
      ctx.reply.Error("NOTBUSY No scripts in execution right now.");
      break;
    case Scripting::KillResult::kUnkillable:
      ctx.reply.Error(
          "UNKILLABLE Sorry the script already executed write commands against the dataset. "
          "You can either wait the script termination or kill the server in a hard way using "
          "the SHUTDOWN NOSAVE command.");
      break;
    case Scripting::KillResult::kKilled:
      ctx.reply.SimpleString("OK");
      break;
  }
}

void ScriptCommand(CommandContext& ctx) {
  Scripting& scripting = ctx.server.scripting();
  std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  auto arity_error = [&] {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                    "'. Try SCRIPT HELP.");
  };
  if (EqualsIgnoreCase(sub, "load")) {
    if (argc != 3) return arity_error();
    std::string sha;
    std::string error;
    if (!scripting.Load(ctx.args[2], &sha, &error)) {
      ctx.reply.Error(error);
      return;
    }
    ctx.reply.Bulk(sha);
  } else if (EqualsIgnoreCase(sub, "exists")) {
    if (argc < 3) return arity_error();
    ctx.reply.ArrayHeader(argc - 2);
    for (size_t i = 2; i < argc; ++i) ctx.reply.Integer(scripting.Exists(ctx.args[i]) ? 1 : 0);
  } else if (EqualsIgnoreCase(sub, "flush")) {
    if (argc > 3 || (argc == 3 && !EqualsIgnoreCase(ctx.args[2], "async") &&
                     !EqualsIgnoreCase(ctx.args[2], "sync"))) {
      ctx.reply.Error("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      return;
    }
    scripting.Flush();
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "kill")) {
    if (argc != 2) return arity_error();
    ReplyKill(ctx, /*function=*/false);
  } else if (EqualsIgnoreCase(sub, "debug")) {
    if (argc != 3) return arity_error();
    ctx.reply.Error("ERR SCRIPT DEBUG is not available: Shale has no Lua debugger");
  } else if (EqualsIgnoreCase(sub, "help")) {
    if (argc != 2) return arity_error();
    ctx.reply.ArrayHeader(std::size(kScriptHelp));
    for (std::string_view line : kScriptHelp) ctx.reply.SimpleString(line);
  } else {
    ctx.reply.Error(UnknownSubcommandError("script", sub));
  }
}

void FcallCommand(CommandContext& ctx) { ctx.server.scripting().Call(ctx, false); }
void FcallRoCommand(CommandContext& ctx) { ctx.server.scripting().Call(ctx, true); }

// FUNCTION DUMP's payload: per library the RDB function opcode and its code as an RDB string,
// then the RDB version and the CRC64 footer, as Redis writes it.
constexpr unsigned char kRdbOpcodeFunction = 245;

std::string DumpLibraries(const std::map<std::string, Scripting::Library>& libraries) {
  std::string body;
  std::string footer_version;
  for (const auto& [name, library] : libraries) {
    // DumpString's payload is type byte, RDB string, version, CRC: keep the string.
    const std::string payload = keyspace::DumpString(library.code);
    body.push_back(static_cast<char>(kRdbOpcodeFunction));
    body.append(payload, 1, payload.size() - 11);
  }
  body.push_back(static_cast<char>(keyspace::kRdbVersion & 0xFF));
  body.push_back(static_cast<char>(keyspace::kRdbVersion >> 8));
  const uint64_t crc = keyspace::Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return body;
}

// Reads the libraries' codes back from a FUNCTION DUMP payload (Redis's or Shale's); false when
// its footer or format is wrong.
bool ReadLibraries(std::string_view payload, std::vector<std::string>* codes) {
  if (payload.size() < 10) return false;
  const std::string_view body = payload.substr(0, payload.size() - 10);
  const std::string_view footer = payload.substr(payload.size() - 10);
  const uint16_t version = static_cast<uint16_t>(static_cast<unsigned char>(footer[0]) |
                                                 (static_cast<unsigned char>(footer[1]) << 8));
  uint64_t crc = 0;
  for (int i = 0; i < 8; ++i) {
    crc |= static_cast<uint64_t>(static_cast<unsigned char>(footer[2 + i])) << (8 * i);
  }
  if (version > 11 || keyspace::Crc64(0, payload.substr(0, payload.size() - 8)) != crc) {
    return false;
  }
  size_t pos = 0;
  while (pos < body.size()) {
    if (static_cast<unsigned char>(body[pos]) != kRdbOpcodeFunction) return false;
    ++pos;
    // The string that follows, decoded by the DUMP decoder: type byte 0, the string, a footer.
    // Its length is found by trying the decoder on growing prefixes would be slow, so read the
    // RDB length encoding here.
    if (pos >= body.size()) return false;
    const unsigned char first = static_cast<unsigned char>(body[pos]);
    size_t header = 0;
    uint64_t length = 0;
    bool compressed = false;
    uint64_t raw_length = 0;
    auto read_length = [&](size_t at, size_t* used, uint64_t* value) {
      if (at >= body.size()) return false;
      const unsigned char b = static_cast<unsigned char>(body[at]);
      switch (b >> 6) {
        case 0:
          *value = b & 0x3F;
          *used = 1;
          return true;
        case 1:
          if (at + 1 >= body.size()) return false;
          *value =
              (static_cast<uint64_t>(b & 0x3F) << 8) | static_cast<unsigned char>(body[at + 1]);
          *used = 2;
          return true;
        case 2: {
          const size_t n = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
          if (n == 0 || at + n >= body.size()) return false;
          *value = 0;
          for (size_t i = 0; i < n; ++i) {
            *value = (*value << 8) | static_cast<unsigned char>(body[at + 1 + i]);
          }
          *used = 1 + n;
          return true;
        }
        default:
          return false;
      }
    };
    if (first == 0xC3) {  // LZF: compressed length, then the raw length, then the data
      size_t used1 = 0;
      size_t used2 = 0;
      if (!read_length(pos + 1, &used1, &length) ||
          !read_length(pos + 1 + used1, &used2, &raw_length)) {
        return false;
      }
      header = 1 + used1 + used2;
      compressed = true;
    } else if (!read_length(pos, &header, &length)) {
      return false;
    }
    if (pos + header + length > body.size()) return false;
    const std::string_view data = body.substr(pos + header, length);
    std::string code;
    if (compressed) {
      if (!keyspace::LzfDecompress(data, raw_length, &code)) return false;
    } else {
      code = std::string(data);
    }
    codes->push_back(std::move(code));
    pos += header + length;
  }
  return true;
}

constexpr std::string_view kFunctionHelp[] = {
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "KILL",
    "    Kill the current running function.",
    "STATS",
    "    Return information about the current function running.",
    "DUMP",
    "    Return a serialized payload representing the current libraries.",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload.",
    "HELP",
    "    Print this help.",
};

// A write FUNCTION subcommand may not run on a read-only replica, except from its primary.
bool RefusedOnReplica(CommandContext& ctx) {
  if (ctx.server.replica_link().following() && ctx.server.config().replica_read_only &&
      ctx.server.replica_link().client() != &ctx.connection) {
    ctx.reply.Error("READONLY You can't write against a read only replica.");
    return true;
  }
  return false;
}

void FunctionCommand(CommandContext& ctx) {
  Scripting& scripting = ctx.server.scripting();
  std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  auto arity_error = [&] {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                    "'. Try FUNCTION HELP.");
  };
  auto stored = [&](const storage::Status& status) {
    if (!status.ok()) {
      ReplyStorageError(ctx, status);
      return false;
    }
    ForcePropagation(ctx);
    ctx.connection.NoteWrite();
    return true;
  };
  if (EqualsIgnoreCase(sub, "load")) {
    if (argc != 3 && argc != 4) return arity_error();
    bool replace = false;
    if (argc == 4) {
      if (!EqualsIgnoreCase(ctx.args[2], "replace")) {
        ctx.reply.Error("ERR Unknown option given: " + std::string(ctx.args[2]));
        return;
      }
      replace = true;
    }
    if (RefusedOnReplica(ctx)) return;
    std::string name;
    std::string error;
    if (!scripting.LoadLibrary(ctx.args.back(), replace, &name, &error)) {
      ctx.reply.Error(error);
      return;
    }
    if (!stored(ctx.ks.PutLibrary(name, ctx.args.back()))) {
      scripting.DeleteLibrary(name);
      return;
    }
    ctx.reply.Bulk(name);
  } else if (EqualsIgnoreCase(sub, "delete")) {
    if (argc != 3) return arity_error();
    if (RefusedOnReplica(ctx)) return;
    if (!scripting.DeleteLibrary(ctx.args[2])) {
      ctx.reply.Error("ERR Library not found");
      return;
    }
    if (!stored(ctx.ks.DeleteLibraries({std::string(ctx.args[2])}))) return;
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "flush")) {
    if (argc > 3 || (argc == 3 && !EqualsIgnoreCase(ctx.args[2], "async") &&
                     !EqualsIgnoreCase(ctx.args[2], "sync"))) {
      ctx.reply.Error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
      return;
    }
    if (RefusedOnReplica(ctx)) return;
    std::vector<std::string> names;
    for (const auto& [name, library] : scripting.libraries()) names.push_back(name);
    scripting.FlushLibraries();
    if (!stored(ctx.ks.DeleteLibraries(names))) return;
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "list")) {
    std::string_view pattern;
    bool with_code = false;
    bool has_pattern = false;
    for (size_t i = 2; i < argc; ++i) {
      if (EqualsIgnoreCase(ctx.args[i], "withcode") && !with_code) {
        with_code = true;
      } else if (EqualsIgnoreCase(ctx.args[i], "libraryname") && !has_pattern) {
        if (i + 1 >= argc) {
          ctx.reply.Error("ERR library name argument was not given");
          return;
        }
        pattern = ctx.args[++i];
        has_pattern = true;
      } else {
        ctx.reply.Error("ERR Unknown argument " + std::string(ctx.args[i]));
        return;
      }
    }
    std::vector<const std::pair<const std::string, Scripting::Library>*> listed;
    for (const auto& entry : scripting.libraries()) {
      if (has_pattern && !GlobMatch(pattern, entry.first, /*nocase=*/false)) continue;
      listed.push_back(&entry);
    }
    ctx.reply.ArrayHeader(listed.size());
    for (const auto* entry : listed) {
      ctx.reply.MapHeader(with_code ? 4 : 3);
      ctx.reply.Bulk("library_name");
      ctx.reply.Bulk(entry->first);
      ctx.reply.Bulk("engine");
      ctx.reply.Bulk("LUA");
      ctx.reply.Bulk("functions");
      ctx.reply.ArrayHeader(entry->second.functions.size());
      for (const Scripting::FunctionInfo& f : entry->second.functions) {
        ctx.reply.MapHeader(3);
        ctx.reply.Bulk("name");
        ctx.reply.Bulk(f.name);
        ctx.reply.Bulk("description");
        if (f.description.empty()) {
          ctx.reply.NullBulk();
        } else {
          ctx.reply.Bulk(f.description);
        }
        ctx.reply.Bulk("flags");
        ctx.reply.SetHeader(f.flags.size());
        for (const std::string& flag : f.flags) ctx.reply.SimpleString(flag);
      }
      if (with_code) {
        ctx.reply.Bulk("library_code");
        ctx.reply.Bulk(entry->second.code);
      }
    }
  } else if (EqualsIgnoreCase(sub, "stats")) {
    if (argc != 2) return arity_error();
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("running_script");
    if (scripting.running_function()) {
      ctx.reply.MapHeader(3);
      ctx.reply.Bulk("name");
      ctx.reply.Bulk(scripting.running_name());
      ctx.reply.Bulk("command");
      ctx.reply.ArrayHeader(0);
      ctx.reply.Bulk("duration_ms");
      ctx.reply.Integer(static_cast<int64_t>(scripting.now_ms() - scripting.running_since_ms()));
    } else {
      ctx.reply.NullBulk();
    }
    ctx.reply.Bulk("engines");
    ctx.reply.MapHeader(1);
    ctx.reply.Bulk("LUA");
    ctx.reply.MapHeader(2);
    ctx.reply.Bulk("libraries_count");
    ctx.reply.Integer(static_cast<int64_t>(scripting.libraries().size()));
    ctx.reply.Bulk("functions_count");
    ctx.reply.Integer(static_cast<int64_t>(scripting.function_count()));
  } else if (EqualsIgnoreCase(sub, "kill")) {
    if (argc != 2) return arity_error();
    ReplyKill(ctx, /*function=*/true);
  } else if (EqualsIgnoreCase(sub, "dump")) {
    if (argc != 2) return arity_error();
    ctx.reply.Bulk(DumpLibraries(scripting.libraries()));
  } else if (EqualsIgnoreCase(sub, "restore")) {
    if (argc != 3 && argc != 4) return arity_error();
    enum class Policy { kAppend, kReplace, kFlush } policy = Policy::kAppend;
    if (argc == 4) {
      if (EqualsIgnoreCase(ctx.args[3], "flush")) {
        policy = Policy::kFlush;
      } else if (EqualsIgnoreCase(ctx.args[3], "replace")) {
        policy = Policy::kReplace;
      } else if (!EqualsIgnoreCase(ctx.args[3], "append")) {
        ctx.reply.Error(
            "ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
            "REPLACE.");
        return;
      }
    }
    if (RefusedOnReplica(ctx)) return;
    std::vector<std::string> codes;
    if (!ReadLibraries(ctx.args[2], &codes)) {
      ctx.reply.Error("ERR DUMP payload version or checksum are wrong");
      return;
    }
    // Checked whole before anything changes: names, and clashes under APPEND.
    std::vector<std::string> names;
    for (const std::string& code : codes) {
      std::string name;
      std::string error;
      if (!ParseLibraryName(code, &name, &error)) {
        ctx.reply.Error(error);
        return;
      }
      if (policy == Policy::kAppend && scripting.libraries().count(name) != 0) {
        ctx.reply.Error("ERR Library " + name + " already exists");
        return;
      }
      names.push_back(name);
    }
    std::vector<std::string> removed;
    if (policy == Policy::kFlush) {
      for (const auto& [name, library] : scripting.libraries()) removed.push_back(name);
      scripting.FlushLibraries();
    }
    for (size_t i = 0; i < codes.size(); ++i) {
      std::string name;
      std::string error;
      if (!scripting.LoadLibrary(codes[i], policy != Policy::kAppend, &name, &error)) {
        ctx.reply.Error(error);
        return;
      }
      storage::Status s = ctx.ks.PutLibrary(name, codes[i]);
      if (!s.ok()) return ReplyStorageError(ctx, s);
    }
    std::vector<std::string> gone;
    for (const std::string& name : removed) {
      if (scripting.libraries().count(name) == 0) gone.push_back(name);
    }
    if (!stored(ctx.ks.DeleteLibraries(gone))) return;
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "help")) {
    if (argc != 2) return arity_error();
    ctx.reply.ArrayHeader(std::size(kFunctionHelp));
    for (std::string_view line : kFunctionHelp) ctx.reply.SimpleString(line);
  } else {
    ctx.reply.Error(UnknownSubcommandError("function", sub));
  }
}

constexpr uint32_t kEvalFlags = kCmdNoScript | kCmdStale | kCmdNoMandatoryKeys;

const CommandSpec kScriptingCommands[] = {
    {"eval", -3, kEvalFlags, 0, 0, 0, EvalCommand, "scripting", "2.6.0",
     "Executes a server-side Lua script.", "script numkeys [key [key ...]] [arg [arg ...]]",
     KeysAfterNumKeys<2>},
    {"evalsha", -3, kEvalFlags, 0, 0, 0, EvalShaCommand, "scripting", "2.6.0",
     "Executes a server-side Lua script by SHA1 digest.",
     "sha1 numkeys [key [key ...]] [arg [arg ...]]", KeysAfterNumKeys<2>},
    {"eval_ro", -3, kEvalFlags | kCmdReadOnly, 0, 0, 0, EvalRoCommand, "scripting", "7.0.0",
     "Executes a read-only server-side Lua script.",
     "script numkeys [key [key ...]] [arg [arg ...]]", KeysAfterNumKeys<2>},
    {"evalsha_ro", -3, kEvalFlags | kCmdReadOnly, 0, 0, 0, EvalShaRoCommand, "scripting", "7.0.0",
     "Executes a read-only server-side Lua script by SHA1 digest.",
     "sha1 numkeys [key [key ...]] [arg [arg ...]]", KeysAfterNumKeys<2>},
    {"script", -2, kCmdNoScript, 0, 0, 0, ScriptCommand, "scripting", "2.6.0",
     "A container for Lua scripts management commands.", "subcommand [argument ...]"},
    {"fcall", -3, kEvalFlags, 0, 0, 0, FcallCommand, "scripting", "7.0.0", "Invokes a function.",
     "function numkeys [key [key ...]] [arg [arg ...]]", KeysAfterNumKeys<2>},
    {"fcall_ro", -3, kEvalFlags | kCmdReadOnly, 0, 0, 0, FcallRoCommand, "scripting", "7.0.0",
     "Invokes a read-only function.", "function numkeys [key [key ...]] [arg [arg ...]]",
     KeysAfterNumKeys<2>},
    {"function", -2, kCmdNoScript, 0, 0, 0, FunctionCommand, "scripting", "7.0.0",
     "A container for function commands.", "subcommand [argument ...]"},
};

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  table.Register(kScriptingCommands, std::size(kScriptingCommands));
}

}  // namespace shale::server
