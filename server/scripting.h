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
  std::string function;                // f_<sha>, in error messages
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
  // SCRIPT KILL.
  enum class KillResult { kNotBusy, kUnkillable, kKilled };
  KillResult Kill();

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
  // Compiles `body` as f_<sha> into the registry unless there; false with the error.
  bool Compile(const std::string& sha, std::string_view body, std::string* error);

  Server* server_;
  lua_State* lua_ = nullptr;
  std::unordered_map<std::string, std::string> bodies_;  // sha -> body
  uint64_t bodies_bytes_ = 0;
  Run* run_ = nullptr;
  uint64_t next_client_id_ = 0;
};

}  // namespace shale::server
