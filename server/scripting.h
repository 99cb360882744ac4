// Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT): Redis 7.0's model on the Lua 5.1
// interpreter, with Redis's libraries cjson and bit (Debian's lua-cjson and lua-bitop; struct and
// cmsgpack are not available).
//
// One Lua state holds every script the server has seen, as the function f_<sha1 of the body> in
// its registry; SCRIPT FLUSH replaces the state. A script runs on the event loop with nothing
// else in between (Redis's atomicity): its redis.call()s run through Server::RunFromScript as a
// client of their own (the caller's database and user) whose replies are converted to Lua values,
// and all its writes are one atomic group for the engine (Keyspace::BeginAtomic), so after a
// crash either every write of the script is there or none is. Replicas get the script's effects
// (the commands it ran, in MULTI/EXEC when more than one), never the script itself.
//
// A script that runs longer than busy-reply-threshold is busy: from the Lua hook, every 100,000
// instructions, the server reads what other clients sent (Server::ServeWhileBusy) and answers
// -BUSY to everything but the few commands Redis allows then (SCRIPT KILL, SHUTDOWN NOSAVE, AUTH,
// MULTI...). SCRIPT KILL stops a script that has not written; one that has is unkillable, since
// its writes cannot be taken back.
//
// The globals a script sees are read-only (Redis 7's protection): writing any global fails with
// "Attempt to modify a readonly table", reading an unknown one with "Script attempted to access
// nonexistent global variable"; the library tables (redis, string, math, table, cjson, bit) are
// read-only too.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

struct lua_State;

namespace shale::server {

class Connection;
class Server;
struct CommandContext;

// The state of the running script (one at a time).
struct ScriptRun {
  Server* server;
  Connection* caller;
  std::unique_ptr<Connection> client;  // runs the script's redis.call()s
  std::string function;                // f_<sha> or the function's name, in error messages
  bool is_function = false;            // FCALL: KEYS and ARGV are the callback's arguments
  bool read_only = false;
  bool wrote = false;     // a write command changed the data: no SCRIPT KILL any more
  bool busy = false;      // past busy-reply-threshold
  bool killed = false;    // SCRIPT KILL asked to stop it
  bool propagate = true;  // redis.set_repl: replicas get its writes
  // Commands that may use memory are refused over maxmemory until the script has written
  // (Redis's rule for scripts without a shebang; one with a shebang was checked at its start).
  bool check_oom = true;
  bool declared = false;  // it has a shebang line: checked once at the start
  uint64_t start_ms = 0;
  int resp = 2;  // redis.setresp: the protocol of redis.call's replies
};

// The library name of a FUNCTION LOAD code, from its first line "#!lua name=<library>"; false
// with Redis's error when the line is missing or wrong.
bool ParseLibraryName(std::string_view code, std::string* name, std::string* error);

class Scripting {
 public:
  using Run = ScriptRun;
  explicit Scripting(Server* server);
  ~Scripting();
  Scripting(const Scripting&) = delete;
  Scripting& operator=(const Scripting&) = delete;

  // EVAL / EVALSHA (`by_sha`) and their _RO forms (`read_only`: the script may not write).
  void Eval(CommandContext& ctx, bool by_sha, bool read_only);
  // SCRIPT LOAD: compiles `body` and keeps it; the SHA1 on success, else false with Redis's
  // compile error in *error.
  bool Load(std::string_view body, std::string* sha, std::string* error);
  bool Exists(std::string_view sha) const;
  // SCRIPT FLUSH: forgets every script (a new Lua state).
  void Flush();
  // SCRIPT KILL (`function` false) and FUNCTION KILL (true): each stops only its own kind.
  enum class KillResult { kNotBusy, kUnkillable, kKilled };
  KillResult Kill(bool function = false);

  // --- Redis 7 functions (FUNCTION, FCALL) ---
  // FUNCTION LOAD: runs `code` (which starts with "#!lua name=<library>") so that it registers
  // its functions; they replace a library of that name only with `replace`. The library's name
  // on success, else false with Redis's error. The caller stores the code (Keyspace::PutLibrary).
  bool LoadLibrary(std::string_view code, bool replace, std::string* name, std::string* error);
  // FUNCTION DELETE (false when there is no such library) and FUNCTION FLUSH.
  bool DeleteLibrary(std::string_view name);
  void FlushLibraries();
  // FCALL / FCALL_RO (`read_only`).
  void Call(CommandContext& ctx, bool read_only);
  struct FunctionInfo {
    std::string name;
    std::string description;  // empty: none
    std::vector<std::string> flags;
    bool no_writes = false;
    bool allow_oom = false;
    bool allow_stale = false;
    int ref = 0;  // the callback, in the Lua registry
  };
  struct Library {
    std::string code;
    std::vector<FunctionInfo> functions;
  };
  const std::map<std::string, Library>& libraries() const { return libraries_; }
  size_t function_count() const { return function_owner_.size(); }
  // The library being loaded (redis.register_function adds to it); nullptr outside FUNCTION LOAD.
  Library* loading() { return loading_; }
  const std::string& running_name() const;
  bool running_function() const { return run_ != nullptr && run_->is_function; }
  uint64_t running_since_ms() const { return run_ != nullptr ? run_->start_ms : 0; }
  uint64_t now_ms() const;

  // A script is running (the loop is inside it).
  bool running() const { return run_ != nullptr; }
  // It has run past busy-reply-threshold: other clients get -BUSY.
  bool busy() const { return run_ != nullptr && run_->busy; }
  // The connection whose script is running (nullptr if none).
  const Connection* caller() const { return run_ != nullptr ? run_->caller : nullptr; }
  // INFO: used_memory_lua, number_of_cached_scripts, used_memory_scripts.
  uint64_t lua_memory() const;
  size_t script_count() const { return bodies_.size(); }
  uint64_t bodies_memory() const { return bodies_bytes_; }

  // The running script (for the Lua bindings in scripting.cc).
  Run* run() { return run_; }

 private:
  void CreateState();
  // Runs the Lua function on top of the stack (below it, the error handler) for ctx: KEYS and
  // ARGV as globals (EVAL) or as its two arguments (a function), in one atomic group.
  void Execute(CommandContext& ctx, Run& run, size_t numkeys);
  // Loads every library of libraries_ into a new Lua state (after SCRIPT FLUSH).
  void ReloadLibraries();
  // Compiles `body` as f_<sha> into the registry unless there; false with the error.
  bool Compile(const std::string& sha, std::string_view body, std::string* error);

  Server* server_;
  lua_State* lua_ = nullptr;
  std::unordered_map<std::string, std::string> bodies_;  // sha -> body
  uint64_t bodies_bytes_ = 0;
  Run* run_ = nullptr;
  std::map<std::string, Library> libraries_;
  std::map<std::string, std::string> function_owner_;  // function -> library
  Library* loading_ = nullptr;
};

}  // namespace shale::server
