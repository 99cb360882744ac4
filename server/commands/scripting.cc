// Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's eval.c). The
// engine is server/scripting.h.
#include "server/scripting.h"

#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
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
    switch (scripting.Kill()) {
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
};

}  // namespace

void RegisterScriptingCommands(CommandTable& table) {
  table.Register(kScriptingCommands, std::size(kScriptingCommands));
}

}  // namespace shale::server
