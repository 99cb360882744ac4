#include "server/scripting.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <lua.hpp>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

extern "C" {
int luaopen_cjson(lua_State* L);
int luaopen_bit(lua_State* L);
}

namespace shale::server {

namespace {

// Registry keys.
constexpr const char* kScriptingKey = "shale.scripting";  // lightuserdata: the Scripting
constexpr const char* kGlobalsKey = "shale.globals";      // the real globals behind the guard

// Instructions between two calls of the Lua hook (Redis's figure).
constexpr int kHookInstructions = 100000;

std::string Sha1Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xF]);
  }
  return hex;
}

// math.random's generator: the 48-bit linear congruential one of POSIX's lrand48, so a script
// sees the same sequence on every machine. As in Redis 7 (which replicates a script's effects,
// not the script) the sequence goes on from one script to the next; math.randomseed restarts it.
class Rand48 {
 public:
  void Seed(int32_t seed) {
    state_ = (static_cast<uint64_t>(static_cast<uint32_t>(seed)) << 16) | 0x330E;
  }
  int32_t Next() {
    state_ = (0x5DEECE66DULL * state_ + 0xB) & ((1ULL << 48) - 1);
    return static_cast<int32_t>(state_ >> 17);
  }
  static constexpr int32_t kMax = std::numeric_limits<int32_t>::max();

 private:
  uint64_t state_ = 0x330E;
};
Rand48 g_rand;

Scripting* ScriptingOf(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kScriptingKey);
  auto* scripting = static_cast<Scripting*>(lua_touserdata(L, -1));
  lua_pop(L, 1);
  return scripting;
}

// Pushes Redis's error table {err = "CODE message"}: `error` is "-CODE message" (the code is
// kept) or a bare message (the code is ERR). A trailing CR/LF is dropped.
void PushError(lua_State* L, std::string_view error) {
  std::string text;
  if (!error.empty() && error[0] == '-') {
    error.remove_prefix(1);
    const size_t space = error.find(' ');
    if (space == std::string_view::npos) {
      text = "ERR " + std::string(error);
    } else {
      text = std::string(error);
    }
  } else {
    text = "ERR " + std::string(error);
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n')) text.pop_back();
  lua_newtable(L);
  lua_pushstring(L, "err");
  lua_pushlstring(L, text.data(), text.size());
  lua_settable(L, -3);
}

// Marks the error table on top as already counted (the command that failed counted it).
void MarkCounted(lua_State* L) {
  lua_pushstring(L, "ignore_error_stats_update");
  lua_pushboolean(L, 1);
  lua_settable(L, -3);
}

// --- replies -> Lua values (Redis's conversion table) ---

bool ReadLine(std::string_view* in, std::string_view* line) {
  const size_t end = in->find("\r\n");
  if (end == std::string_view::npos) return false;
  *line = in->substr(1, end - 1);
  in->remove_prefix(end + 2);
  return true;
}

int64_t LineInteger(std::string_view line) {
  int64_t value = 0;
  protocol::ParseInt64(line, &value);
  return value;
}

// Converts one reply at the front of `in` and pushes it (nothing when `lua` is null: an
// attribute being skipped). The bytes are Shale's own reply writer's, so they are well formed.
void PushReply(lua_State* L, std::string_view* in, bool push = true) {
  if (in->empty()) {
    if (push) lua_pushboolean(L, 0);
    return;
  }
  const char type = (*in)[0];
  std::string_view line;
  if (!ReadLine(in, &line)) {
    if (push) lua_pushboolean(L, 0);
    return;
  }
  luaL_checkstack(L, 4, "reply too deep");
  switch (type) {
    case '+':
      if (!push) return;
      lua_newtable(L);
      lua_pushstring(L, "ok");
      lua_pushlstring(L, line.data(), line.size());
      lua_settable(L, -3);
      return;
    case '-':
      if (!push) return;
      PushError(L, "-" + std::string(line));
      MarkCounted(L);
      return;
    case ':':
      if (push) lua_pushnumber(L, static_cast<lua_Number>(LineInteger(line)));
      return;
    case '$':
    case '=': {
      const int64_t length = LineInteger(line);
      if (length < 0) {
        if (push) lua_pushboolean(L, 0);
        return;
      }
      std::string_view data = in->substr(0, static_cast<size_t>(length));
      in->remove_prefix(std::min(in->size(), static_cast<size_t>(length) + 2));
      if (!push) return;
      if (type == '$') {
        lua_pushlstring(L, data.data(), data.size());
        return;
      }
      // Verbatim: {verbatim_string = {format = "txt", string = "..."}}
      lua_newtable(L);
      lua_pushstring(L, "verbatim_string");
      lua_newtable(L);
      lua_pushstring(L, "string");
      std::string_view text = data.size() >= 4 ? data.substr(4) : std::string_view();
      lua_pushlstring(L, text.data(), text.size());
      lua_settable(L, -3);
      lua_pushstring(L, "format");
      lua_pushlstring(L, data.data(), std::min<size_t>(3, data.size()));
      lua_settable(L, -3);
      lua_settable(L, -3);
      return;
    }
    case '*':
    case '>': {
      const int64_t n = LineInteger(line);
      if (n < 0) {
        if (push) lua_pushboolean(L, 0);
        return;
      }
      if (push) lua_newtable(L);
      for (int64_t i = 0; i < n; ++i) {
        if (push) lua_pushnumber(L, static_cast<lua_Number>(i + 1));
        PushReply(L, in, push);
        if (push) lua_settable(L, -3);
      }
      return;
    }
    case '%': {
      const int64_t n = LineInteger(line);
      if (push) {
        lua_newtable(L);
        lua_pushstring(L, "map");
        lua_newtable(L);
      }
      for (int64_t i = 0; i < n; ++i) {
        PushReply(L, in, push);
        PushReply(L, in, push);
        if (push) lua_settable(L, -3);
      }
      if (push) lua_settable(L, -3);
      return;
    }
    case '~': {
      const int64_t n = LineInteger(line);
      if (push) {
        lua_newtable(L);
        lua_pushstring(L, "set");
        lua_newtable(L);
      }
      for (int64_t i = 0; i < n; ++i) {
        PushReply(L, in, push);
        if (push) {
          lua_pushboolean(L, 1);
          lua_settable(L, -3);
        }
      }
      if (push) lua_settable(L, -3);
      return;
    }
    case '|': {  // attributes are not shown to scripts: skip them, then the reply itself
      const int64_t n = LineInteger(line);
      for (int64_t i = 0; i < 2 * n; ++i) PushReply(L, in, false);
      PushReply(L, in, push);
      return;
    }
    case '_':
      if (push) lua_pushnil(L);
      return;
    case '#':
      if (push) lua_pushboolean(L, line == "t");
      return;
    case ',':
      if (!push) return;
      lua_newtable(L);
      lua_pushstring(L, "double");
      lua_pushnumber(L, std::strtod(std::string(line).c_str(), nullptr));
      lua_settable(L, -3);
      return;
    case '(':
      if (!push) return;
      lua_newtable(L);
      lua_pushstring(L, "big_number");
      lua_pushlstring(L, line.data(), line.size());
      lua_settable(L, -3);
      return;
    default:
      if (push) lua_pushboolean(L, 0);
      return;
  }
}

// --- Lua values -> replies ---

// The error message of an error table or string on top of the stack (not popped), with where
// the error happened when the handler recorded it.
struct ErrorInfo {
  std::string message;
  std::string source;
  std::string line;
  bool counted = false;
};

ErrorInfo ExtractError(lua_State* L) {
  ErrorInfo info;
  if (lua_isstring(L, -1)) {
    info.message = "ERR " + std::string(lua_tostring(L, -1));
    return info;
  }
  if (!lua_istable(L, -1)) return info;
  lua_getfield(L, -1, "err");
  if (lua_isstring(L, -1)) info.message = lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, -1, "source");
  if (lua_isstring(L, -1)) info.source = lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, -1, "line");
  if (lua_isstring(L, -1)) info.line = lua_tostring(L, -1);
  lua_pop(L, 1);
  lua_getfield(L, -1, "ignore_error_stats_update");
  info.counted = lua_toboolean(L, -1) != 0;
  lua_pop(L, 1);
  return info;
}

void WriteError(protocol::ReplyWriter& reply, const ErrorInfo& info, std::string_view suffix) {
  std::string message = info.message + std::string(suffix);
  if (info.counted) {
    reply.ErrorUncounted(message);
  } else {
    reply.Error(message);
  }
}

std::string NoNewlines(const char* s, size_t n) {
  std::string out(s, n);
  for (char& c : out) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return out;
}

// Pushes field `name` of the table on top (raw access) and returns true when it is of `type`;
// otherwise pushes nothing and returns false.
bool RawField(lua_State* L, const char* name, int type) {
  lua_pushstring(L, name);
  lua_rawget(L, -2);
  if (lua_type(L, -1) == type) return true;
  lua_pop(L, 1);
  return false;
}

// The number of entries of the table on top.
size_t TableSize(lua_State* L) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    lua_pop(L, 1);
    ++n;
  }
  return n;
}

// Writes the value on top of the stack as a reply and pops it. `script_resp` is the protocol
// the script chose (redis.setresp): under 2, booleans are 1 and nil as Redis 6 did.
void WriteLuaValue(lua_State* L, protocol::ReplyWriter& reply, int script_resp) {
  if (!lua_checkstack(L, 4)) {
    reply.Error("ERR reached lua stack limit");
    lua_pop(L, 1);
    return;
  }
  switch (lua_type(L, -1)) {
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, -1, &n);
      reply.Bulk(std::string_view(s, n));
      break;
    }
    case LUA_TBOOLEAN:
      if (script_resp == 2) {
        if (lua_toboolean(L, -1)) {
          reply.Integer(1);
        } else {
          reply.NullBulk();
        }
      } else {
        reply.Boolean(lua_toboolean(L, -1) != 0);
      }
      break;
    case LUA_TNUMBER: {
      const double number = lua_tonumber(L, -1);
      int64_t value = 0;
      if (std::isnan(number)) {
        value = std::numeric_limits<int64_t>::min();
      } else if (number >= 9.2233720368547758e18) {
        value = std::numeric_limits<int64_t>::max();
      } else if (number <= -9.2233720368547758e18) {
        value = std::numeric_limits<int64_t>::min();
      } else {
        value = static_cast<int64_t>(number);
      }
      reply.Integer(value);
      break;
    }
    case LUA_TTABLE: {
      if (RawField(L, "err", LUA_TSTRING)) {
        lua_pop(L, 1);
        WriteError(reply, ExtractError(L), "");
        break;
      }
      if (RawField(L, "ok", LUA_TSTRING)) {
        size_t n = 0;
        const char* s = lua_tolstring(L, -1, &n);
        reply.SimpleString(NoNewlines(s, n));
        lua_pop(L, 1);
        break;
      }
      if (RawField(L, "double", LUA_TNUMBER)) {
        reply.Double(lua_tonumber(L, -1));
        lua_pop(L, 1);
        break;
      }
      if (RawField(L, "big_number", LUA_TSTRING)) {
        size_t n = 0;
        const char* s = lua_tolstring(L, -1, &n);
        reply.BigNumber(NoNewlines(s, n));
        lua_pop(L, 1);
        break;
      }
      if (RawField(L, "verbatim_string", LUA_TTABLE)) {
        lua_getfield(L, -1, "format");
        lua_getfield(L, -2, "string");
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
          size_t n = 0;
          const char* s = lua_tolstring(L, -1, &n);
          reply.Verbatim(lua_tostring(L, -2), std::string_view(s, n));
          lua_pop(L, 3);
          break;
        }
        lua_pop(L, 3);
      }
      if (RawField(L, "map", LUA_TTABLE)) {
        reply.MapHeader(TableSize(L));
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
          lua_pushvalue(L, -2);
          WriteLuaValue(L, reply, script_resp);  // the key
          WriteLuaValue(L, reply, script_resp);  // the value
        }
        lua_pop(L, 1);
        break;
      }
      if (RawField(L, "set", LUA_TTABLE)) {
        reply.SetHeader(TableSize(L));
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
          lua_pop(L, 1);
          lua_pushvalue(L, -1);
          WriteLuaValue(L, reply, script_resp);
        }
        lua_pop(L, 1);
        break;
      }
      // An array: the elements from 1 up to the first nil.
      size_t n = 0;
      while (true) {
        lua_rawgeti(L, -1, static_cast<int>(n + 1));
        const bool end = lua_isnil(L, -1);
        lua_pop(L, 1);
        if (end) break;
        ++n;
      }
      reply.ArrayHeader(n);
      for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, -1, static_cast<int>(i));
        WriteLuaValue(L, reply, script_resp);
      }
      break;
    }
    default:
      reply.NullBulk();
  }
  lua_pop(L, 1);
}

// --- the redis.* library ---

int RedisCommand(lua_State* L, bool raise) {
  Scripting* scripting = ScriptingOf(L);
  Scripting::Run* run = scripting->run();
  const int argc = lua_gettop(L);
  if (run == nullptr) {
    PushError(L, "redis.call() can only be used inside a script invocation");
    return lua_error(L);
  }
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    return raise ? lua_error(L) : 1;
  }
  std::vector<std::string> argv;
  argv.reserve(static_cast<size_t>(argc));
  for (int i = 1; i <= argc; ++i) {
    if (lua_type(L, i) == LUA_TNUMBER) {
      // Not lua_tolstring: Lua's own format loses precision.
      char buffer[64];
      const int n = std::snprintf(buffer, sizeof(buffer), "%.17g", lua_tonumber(L, i));
      argv.emplace_back(buffer, static_cast<size_t>(n));
    } else if (lua_type(L, i) == LUA_TSTRING) {
      size_t n = 0;
      const char* s = lua_tolstring(L, i, &n);
      argv.emplace_back(s, n);
    } else {
      lua_pop(L, argc);
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      return raise ? lua_error(L) : 1;
    }
  }
  lua_pop(L, argc);
  std::vector<std::string_view> args(argv.begin(), argv.end());
  std::string output;
  std::string error = run->server->RunFromScript(*run, args, &output);
  if (!error.empty()) {
    PushError(L, error);
    MarkCounted(L);
    return raise ? lua_error(L) : 1;
  }
  std::string_view in = output;
  PushReply(L, &in);
  if (raise && !output.empty() && output[0] == '-') return lua_error(L);
  return 1;
}

int RedisCall(lua_State* L) { return RedisCommand(L, true); }
int RedisPcall(lua_State* L) { return RedisCommand(L, false); }

// pcall: as Lua's, but an error table raised by redis.call comes back as its message (what
// scripts written for Redis 6 expect).
int ProtectedCall(lua_State* L) {
  const int argc = lua_gettop(L);
  lua_pushboolean(L, 1);
  lua_insert(L, 1);
  if (lua_pcall(L, argc - 1, LUA_MULTRET, 0) != 0) {
    lua_remove(L, 1);
    if (lua_istable(L, -1)) {
      lua_getfield(L, -1, "err");
      if (lua_isstring(L, -1)) {
        lua_replace(L, -2);
      } else {
        lua_pop(L, 1);
      }
    }
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
  }
  return lua_gettop(L);
}

int RedisSha1Hex(lua_State* L) {
  if (lua_gettop(L) != 1) {
    PushError(L, "wrong number of arguments");
    return lua_error(L);
  }
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  const std::string hex = Sha1Hex(s == nullptr ? std::string_view() : std::string_view(s, n));
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int RedisErrorReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  std::string error = lua_tostring(L, -1);
  if (error.empty() || error[0] != '-') error.insert(error.begin(), '-');
  PushError(L, error);
  return 1;
}

int RedisStatusReply(lua_State* L) {
  if (lua_gettop(L) != 1 || lua_type(L, -1) != LUA_TSTRING) {
    PushError(L, "wrong number or type of arguments");
    return 1;
  }
  lua_newtable(L);
  lua_pushstring(L, "ok");
  lua_pushvalue(L, -3);
  lua_settable(L, -3);
  return 1;
}

// Redis's replication flags (PROPAGATE_AOF 1, PROPAGATE_REPL 2).
constexpr int kReplAof = 1;
constexpr int kReplReplica = 2;

int RedisSetRepl(lua_State* L) {
  Scripting::Run* run = ScriptingOf(L)->run();
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.set_repl() requires one argument.");
    return lua_error(L);
  }
  const auto flags = static_cast<int>(lua_tonumber(L, -1));
  if ((flags & ~(kReplAof | kReplReplica)) != 0) {
    PushError(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
    return lua_error(L);
  }
  // Shale has no AOF: the WAL keeps every write whatever the flags say. REPL_REPLICA decides
  // whether replicas get the script's writes from now on.
  if (run != nullptr) run->propagate = (flags & kReplReplica) != 0;
  return 0;
}

int RedisReplicateCommands(lua_State* L) {
  // Effects replication is the only kind (as in Redis 7): always true.
  lua_pushboolean(L, 1);
  return 1;
}

int RedisSetResp(lua_State* L) {
  Scripting::Run* run = ScriptingOf(L)->run();
  if (lua_gettop(L) != 1) {
    PushError(L, "redis.setresp() requires one argument.");
    return lua_error(L);
  }
  const auto resp = static_cast<int>(lua_tonumber(L, -1));
  if (resp != 2 && resp != 3) {
    PushError(L, "RESP version must be 2 or 3.");
    return lua_error(L);
  }
  if (run != nullptr) {
    run->resp = resp;
    run->client->set_protocol(resp);
  }
  return 0;
}

// Redis's log levels (LL_DEBUG .. LL_WARNING).
constexpr int kLogDebug = 0;
constexpr int kLogVerbose = 1;
constexpr int kLogNotice = 2;
constexpr int kLogWarning = 3;

int RedisLog(lua_State* L) {
  const int argc = lua_gettop(L);
  if (argc < 2) {
    PushError(L, "redis.log() requires two arguments or more.");
    return lua_error(L);
  }
  if (!lua_isnumber(L, 1)) {
    PushError(L, "First argument must be a number (log level).");
    return lua_error(L);
  }
  const auto level = static_cast<int>(lua_tonumber(L, 1));
  if (level < kLogDebug || level > kLogWarning) {
    PushError(L, "Invalid log level.");
    return lua_error(L);
  }
  std::string message;
  for (int i = 2; i <= argc; ++i) {
    size_t n = 0;
    const char* s = lua_tolstring(L, i, &n);
    if (s == nullptr) continue;
    if (i != 2) message.push_back(' ');
    message.append(s, n);
  }
  switch (level) {
    case kLogDebug:
    case kLogVerbose:  // spdlog has no level between debug and info
      spdlog::debug("{}", message);
      break;
    case kLogNotice:
      spdlog::info("{}", message);
      break;
    default:
      spdlog::warn("{}", message);
  }
  return 0;
}

int RedisBreakpoint(lua_State* L) {
  // No debugger session is ever active (SCRIPT DEBUG is not available).
  lua_pushboolean(L, 0);
  return 1;
}

int RedisDebug(lua_State* /*L*/) { return 0; }

int RedisAclCheckCmd(lua_State* L) {
  Scripting::Run* run = ScriptingOf(L)->run();
  const int argc = lua_gettop(L);
  if (argc == 0) {
    PushError(L, "Please specify at least one argument for this redis lib call");
    return lua_error(L);
  }
  std::vector<std::string> argv;
  for (int i = 1; i <= argc; ++i) {
    size_t n = 0;
    const char* s = lua_tolstring(L, i, &n);
    if (s == nullptr) {
      PushError(L, "Lua redis lib command arguments must be strings or integers");
      return lua_error(L);
    }
    argv.emplace_back(s, n);
  }
  std::vector<std::string_view> args(argv.begin(), argv.end());
  int allowed = 0;
  if (run == nullptr || !run->server->ScriptMayRun(*run, args, &allowed)) {
    PushError(L, "Invalid command passed to redis.acl_check_cmd()");
    return lua_error(L);
  }
  lua_pushboolean(L, allowed);
  return 1;
}

int MathRandom(lua_State* L) {
  const lua_Number r =
      static_cast<lua_Number>(g_rand.Next() % Rand48::kMax) / static_cast<lua_Number>(Rand48::kMax);
  switch (lua_gettop(L)) {
    case 0:
      lua_pushnumber(L, r);
      break;
    case 1: {
      const int upper = luaL_checkint(L, 1);
      luaL_argcheck(L, 1 <= upper, 1, "interval is empty");
      lua_pushnumber(L, std::floor(r * upper) + 1);
      break;
    }
    case 2: {
      const int lower = luaL_checkint(L, 1);
      const int upper = luaL_checkint(L, 2);
      luaL_argcheck(L, lower <= upper, 2, "interval is empty");
      lua_pushnumber(L, std::floor(r * (upper - lower + 1)) + lower);
      break;
    }
    default:
      return luaL_error(L, "wrong number of arguments");
  }
  return 1;
}

int MathRandomSeed(lua_State* L) {
  g_rand.Seed(luaL_checkint(L, 1));
  return 0;
}

// The guard's metamethods: globals are read-only, and reading an unknown one is an error.
int GuardIndex(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_pushvalue(L, 2);
  lua_rawget(L, -2);
  if (lua_isnil(L, -1)) {
    const char* name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      name == nullptr ? "?" : name);
  }
  return 1;
}

int ReadOnlyError(lua_State* L) { return luaL_error(L, "Attempt to modify a readonly table"); }

// Replaces the table on top with a read-only view of it (reads go through, writes fail).
void PushReadOnlyView(lua_State* L) {
  lua_newtable(L);       // the view
  lua_newtable(L);       // its metatable
  lua_pushvalue(L, -3);  // the table
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_remove(L, -2);
}

// The error handler of every script: turns the error into Redis's table and notes where it
// happened (the innermost Lua function, skipping a C function such as redis.call).
int ErrorHandler(lua_State* L) {
  lua_Debug ar;
  bool found = false;
  if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "nSl", &ar) != 0) {
    found = true;
    if (std::strcmp(ar.what, "C") == 0) {
      found = lua_getstack(L, 2, &ar) != 0 && lua_getinfo(L, "nSl", &ar) != 0;
    }
  }
  if (!lua_istable(L, 1)) {
    const char* message = lua_tostring(L, 1);
    std::string text = "ERR ";
    text += message == nullptr ? "(error object is not a string)" : message;
    lua_newtable(L);
    lua_pushstring(L, "err");
    lua_pushlstring(L, text.data(), text.size());
    lua_settable(L, -3);
    lua_replace(L, 1);
  }
  lua_settop(L, 1);
  if (found) {
    lua_pushstring(L, ar.source);
    lua_setfield(L, 1, "source");
    lua_pushnumber(L, ar.currentline);
    lua_setfield(L, 1, "line");
  }
  return 1;
}

void Hook(lua_State* L, lua_Debug* /*ar*/) {
  Scripting* scripting = ScriptingOf(L);
  Scripting::Run* run = scripting->run();
  if (run == nullptr) return;
  Server* server = run->server;
  const int64_t threshold = server->config().busy_reply_threshold;
  if (!run->busy && threshold > 0 && server->NowMs() - run->start_ms >= uint64_t(threshold)) {
    run->busy = true;
    spdlog::warn(
        "Slow script detected: still in execution after {} milliseconds. You can try killing "
        "the script using the SCRIPT KILL command.",
        server->NowMs() - run->start_ms);
  }
  if (run->busy) server->ServeWhileBusy(run->caller);
  if (run->killed) {
    spdlog::info("Lua script killed by user with SCRIPT KILL.");
    // From now on the hook runs on every line, so a pcall cannot swallow the kill for long.
    lua_sethook(L, Hook, LUA_MASKLINE, 0);
    PushError(L, "Script killed by user with SCRIPT KILL...");
    lua_error(L);
  }
}

// Function names and library names: letters, digits and underscores (Redis's rule).
bool ValidFunctionName(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return true;
}

// redis.register_function(name, callback) or redis.register_function{function_name = ...,
// callback = ..., flags = {...}, description = ...}, only while FUNCTION LOAD runs the library.
int RedisRegisterFunction(lua_State* L) {
  Scripting::Library* library = ScriptingOf(L)->loading();
  if (library == nullptr) {
    return luaL_error(L, "redis.register_function can only be called on FUNCTION LOAD command");
  }
  Scripting::FunctionInfo info;
  const int argc = lua_gettop(L);
  if (argc == 2) {
    if (!lua_isstring(L, 1)) {
      return luaL_error(L, "first argument to redis.register_function must be a string");
    }
    if (!lua_isfunction(L, 2)) {
      return luaL_error(L, "second argument to redis.register_function must be a function");
    }
    info.name = lua_tostring(L, 1);
    lua_pushvalue(L, 2);
  } else if (argc == 1 && lua_istable(L, 1)) {
    bool has_callback = false;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
      const char* field = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
      if (std::strcmp(field, "function_name") == 0 && lua_type(L, -1) == LUA_TSTRING) {
        info.name = lua_tostring(L, -1);
      } else if (std::strcmp(field, "description") == 0 && lua_type(L, -1) == LUA_TSTRING) {
        info.description = lua_tostring(L, -1);
      } else if (std::strcmp(field, "callback") == 0 && lua_isfunction(L, -1)) {
        has_callback = true;
      } else if (std::strcmp(field, "flags") == 0 && lua_istable(L, -1)) {
        for (int i = 1;; ++i) {
          lua_rawgeti(L, -1, i);
          if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            break;
          }
          const char* flag = lua_tostring(L, -1);
          const std::string name = flag == nullptr ? "" : flag;
          lua_pop(L, 1);
          if (name == "no-writes") {
            info.no_writes = true;
          } else if (name == "allow-oom") {
            info.allow_oom = true;
          } else if (name == "allow-stale") {
            info.allow_stale = true;
          } else if (name != "no-cluster" && name != "allow-cross-slot-keys") {
            return luaL_error(L, "unknown flag given");
          }
          info.flags.push_back(name);
        }
      } else {
        return luaL_error(L, "unknown argument given to redis.register_function");
      }
      lua_pop(L, 1);
    }
    if (info.name.empty()) {
      return luaL_error(L, "redis.register_function must get a function name argument");
    }
    if (!has_callback) return luaL_error(L, "redis.register_function must get a callback argument");
    lua_getfield(L, 1, "callback");
  } else {
    return luaL_error(L, "wrong number of arguments to redis.register_function");
  }
  if (!ValidFunctionName(info.name)) {
    return luaL_error(L,
                      "Function names can only contain letters, numbers, or underscores(_) and "
                      "must be at least one character long");
  }
  for (const Scripting::FunctionInfo& other : library->functions) {
    if (other.name == info.name) return luaL_error(L, "Function already exists in the library");
  }
  info.ref = luaL_ref(L, LUA_REGISTRYINDEX);  // pops the callback
  library->functions.push_back(std::move(info));
  return 0;
}

// FUNCTION LOAD's time limit, as Redis's (the library's top level only registers functions).
constexpr uint64_t kLoadTimeoutMs = 500;
uint64_t g_load_deadline_ms = 0;

void LoadHook(lua_State* L, lua_Debug* /*ar*/) {
  Scripting* scripting = ScriptingOf(L);
  if (scripting->loading() != nullptr && scripting->now_ms() > g_load_deadline_ms) {
    luaL_error(L, "FUNCTION LOAD timeout");
  }
}

void SetField(lua_State* L, const char* name, lua_CFunction function) {
  lua_pushcfunction(L, function);
  lua_setfield(L, -2, name);
}

void SetNumber(lua_State* L, const char* name, lua_Number value) {
  lua_pushnumber(L, value);
  lua_setfield(L, -2, name);
}

void OpenLibrary(lua_State* L, const char* name, lua_CFunction open) {
  lua_pushcfunction(L, open);
  lua_pushstring(L, name);
  lua_call(L, 1, 0);
}

}  // namespace

Scripting::Scripting(Server* server) : server_(server) { CreateState(); }

Scripting::~Scripting() {
  if (lua_ != nullptr) lua_close(lua_);
}

void Scripting::CreateState() {
  lua_State* L = luaL_newstate();
  lua_ = L;
  lua_pushlightuserdata(L, this);
  lua_setfield(L, LUA_REGISTRYINDEX, kScriptingKey);

  OpenLibrary(L, "", luaopen_base);
  OpenLibrary(L, LUA_TABLIBNAME, luaopen_table);
  OpenLibrary(L, LUA_STRLIBNAME, luaopen_string);
  OpenLibrary(L, LUA_MATHLIBNAME, luaopen_math);
  // lua-cjson returns its module without setting a global; lua-bitop sets "bit" too.
  for (auto [name, open] : {std::pair<const char*, lua_CFunction>{"cjson", luaopen_cjson},
                            std::pair<const char*, lua_CFunction>{"bit", luaopen_bit}}) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    lua_setglobal(L, name);
  }
  // Not for scripts: files, printing to the server's terminal.
  for (const char* name : {"dofile", "loadfile", "print"}) {
    lua_pushnil(L);
    lua_setglobal(L, name);
  }
  lua_pushcfunction(L, ProtectedCall);
  lua_setglobal(L, "pcall");

  lua_getglobal(L, "math");
  SetField(L, "random", MathRandom);
  SetField(L, "randomseed", MathRandomSeed);
  lua_pop(L, 1);

  lua_newtable(L);
  SetField(L, "call", RedisCall);
  SetField(L, "pcall", RedisPcall);
  SetField(L, "sha1hex", RedisSha1Hex);
  SetField(L, "error_reply", RedisErrorReply);
  SetField(L, "status_reply", RedisStatusReply);
  SetField(L, "log", RedisLog);
  SetField(L, "setresp", RedisSetResp);
  SetField(L, "set_repl", RedisSetRepl);
  SetField(L, "replicate_commands", RedisReplicateCommands);
  SetField(L, "breakpoint", RedisBreakpoint);
  SetField(L, "debug", RedisDebug);
  SetField(L, "acl_check_cmd", RedisAclCheckCmd);
  SetField(L, "register_function", RedisRegisterFunction);
  SetNumber(L, "LOG_DEBUG", kLogDebug);
  SetNumber(L, "LOG_VERBOSE", kLogVerbose);
  SetNumber(L, "LOG_NOTICE", kLogNotice);
  SetNumber(L, "LOG_WARNING", kLogWarning);
  SetNumber(L, "REPL_NONE", 0);
  SetNumber(L, "REPL_AOF", kReplAof);
  SetNumber(L, "REPL_SLAVE", kReplReplica);
  SetNumber(L, "REPL_REPLICA", kReplReplica);
  SetNumber(L, "REPL_ALL", kReplAof | kReplReplica);
  lua_pushstring(L, std::string(kRedisCompatibleVersion).c_str());
  lua_setfield(L, -2, "REDIS_VERSION");
  {
    // 7.2.0 -> 0x070200
    const std::string version(kRedisCompatibleVersion);
    const char* p = version.c_str();
    char* end = nullptr;
    const long major = std::strtol(p, &end, 10);
    const long minor = *end == '.' ? std::strtol(end + 1, &end, 10) : 0;
    const long patch = *end == '.' ? std::strtol(end + 1, &end, 10) : 0;
    SetNumber(L, "REDIS_VERSION_NUM",
              static_cast<lua_Number>((major << 16) | (minor << 8) | patch));
  }
  lua_setglobal(L, "redis");

  // Read-only views of the libraries, then of the globals themselves.
  for (const char* name : {"redis", "string", "table", "math", "cjson", "bit", "coroutine"}) {
    lua_getglobal(L, name);
    if (lua_istable(L, -1)) {
      PushReadOnlyView(L);
      lua_setglobal(L, name);
    } else {
      lua_pop(L, 1);
    }
  }
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_setfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_newtable(L);  // the guard every script sees as its globals
  lua_newtable(L);
  lua_pushcfunction(L, GuardIndex);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, ReadOnlyError);
  lua_setfield(L, -2, "__newindex");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_GLOBALSINDEX, "_G");  // _G is the guard, not the table behind it
  lua_replace(L, LUA_GLOBALSINDEX);
}

bool Scripting::Compile(const std::string& sha, std::string_view body, std::string* error) {
  const std::string name = "f_" + sha;
  lua_getfield(lua_, LUA_REGISTRYINDEX, name.c_str());
  const bool known = !lua_isnil(lua_, -1);
  lua_pop(lua_, 1);
  if (known) return true;
  // A shebang line ("#!lua flags=...") is not Lua: it is compiled as a comment, keeping the
  // line numbers.
  std::string code(body);
  if (code.size() >= 2 && code[0] == '#' && code[1] == '!') code[0] = code[1] = '-';
  if (luaL_loadbuffer(lua_, code.data(), code.size(), "@user_script") != 0) {
    *error = "ERR Error compiling script (new function): ";
    const char* message = lua_tostring(lua_, -1);
    if (message != nullptr) *error += message;
    lua_pop(lua_, 1);
    return false;
  }
  lua_setfield(lua_, LUA_REGISTRYINDEX, name.c_str());
  if (bodies_.emplace(sha, std::string(body)).second) bodies_bytes_ += body.size();
  return true;
}

namespace {

// The flags of a "#!lua" first line (Redis 7): false with the error when it does not parse.
struct ScriptFlags {
  bool shebang = false;
  bool no_writes = false;
  bool allow_oom = false;
  bool allow_stale = false;
};

bool ParseShebang(std::string_view body, ScriptFlags* flags, std::string* error) {
  if (body.size() < 2 || body[0] != '#' || body[1] != '!') return true;
  flags->shebang = true;
  std::string_view line = body.substr(
      2, body.find('\n') == std::string_view::npos ? std::string_view::npos : body.find('\n') - 2);
  std::vector<std::string_view> parts;
  while (!line.empty()) {
    const size_t space = line.find(' ');
    std::string_view part = line.substr(0, space);
    if (!part.empty()) parts.push_back(part);
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (parts.empty() || parts[0] != "lua") {
    *error = "ERR Unexpected engine in script shebang: #!" +
             std::string(parts.empty() ? std::string_view() : parts[0]);
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 6) != "flags=") {
      *error = "ERR Unknown lua shebang option: " + std::string(parts[i]);
      return false;
    }
    std::string_view list = parts[i].substr(6);
    while (!list.empty()) {
      const size_t comma = list.find(',');
      std::string_view flag = list.substr(0, comma);
      if (flag == "no-writes") {
        flags->no_writes = true;
      } else if (flag == "allow-oom") {
        flags->allow_oom = true;
      } else if (flag == "allow-stale") {
        flags->allow_stale = true;
      } else if (flag == "no-cluster" || flag == "allow-cross-slot-keys") {
        // Shale has no cluster mode: these flags only matter there.
      } else {
        *error = "ERR Unexpected flag in script shebang: " + std::string(flag);
        return false;
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace

bool Scripting::Load(std::string_view body, std::string* sha, std::string* error) {
  ScriptFlags flags;
  if (!ParseShebang(body, &flags, error)) return false;
  *sha = Sha1Hex(body);
  return Compile(*sha, body, error);
}

bool Scripting::Exists(std::string_view sha) const {
  std::string lower(sha);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return bodies_.count(lower) != 0;
}

void Scripting::Flush() {
  lua_close(lua_);
  lua_ = nullptr;
  bodies_.clear();
  bodies_bytes_ = 0;
  CreateState();
  ReloadLibraries();  // the functions' callbacks lived in the old state
}

Scripting::KillResult Scripting::Kill(bool function) {
  if (run_ == nullptr || run_->is_function != function) return KillResult::kNotBusy;
  if (run_->wrote) return KillResult::kUnkillable;
  run_->killed = true;
  return KillResult::kKilled;
}

uint64_t Scripting::lua_memory() const {
  return static_cast<uint64_t>(lua_gc(lua_, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<uint64_t>(lua_gc(lua_, LUA_GCCOUNTB, 0));
}

void Scripting::Eval(CommandContext& ctx, bool by_sha, bool read_only) {
  const std::vector<std::string_view>& args = ctx.args;
  int64_t numkeys = 0;
  if (!ParseInt64(args[2], &numkeys)) {
    ctx.reply.Error(kNotIntegerError);
    return;
  }
  if (numkeys > static_cast<int64_t>(args.size()) - 3) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return;
  }
  if (run_ != nullptr) {  // cannot happen: EVAL is not allowed from a script or while busy
    ctx.reply.Error(
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or "
        "SHUTDOWN NOSAVE.");
    return;
  }
  std::string sha;
  std::string_view body;
  if (by_sha) {
    sha = std::string(args[1]);
    for (char& c : sha) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = bodies_.find(sha);
    if (it == bodies_.end()) {
      ctx.reply.Error("NOSCRIPT No matching script. Please use EVAL.");
      return;
    }
    body = it->second;
  } else {
    body = args[1];
    sha = Sha1Hex(body);
  }
  ScriptFlags flags;
  std::string error;
  if (!ParseShebang(body, &flags, &error) || !Compile(sha, body, &error)) {
    ctx.reply.Error(error);
    return;
  }
  if (flags.no_writes) read_only = true;
  if (flags.shebang) {
    // A script that declares itself (Redis 7) is checked once before it runs instead of at
    // each command.
    std::string refusal = server_->ScriptRefusal(read_only, flags.allow_oom, flags.allow_stale);
    if (!refusal.empty()) {
      ctx.reply.Error(refusal);
      return;
    }
  }

  Run run;
  run.function = sha;  // what errors name (the registry holds it as f_<sha>)
  run.read_only = read_only;
  run.check_oom = !flags.shebang || flags.allow_oom;
  run.declared = flags.shebang;
  lua_pushcfunction(lua_, ErrorHandler);
  lua_getfield(lua_, LUA_REGISTRYINDEX, ("f_" + sha).c_str());
  Execute(ctx, run, static_cast<size_t>(numkeys));
}

void Scripting::Execute(CommandContext& ctx, Run& run, size_t numkeys) {
  const std::vector<std::string_view>& args = ctx.args;
  run.server = server_;
  run.caller = &ctx.connection;
  run.client = std::make_unique<Connection>(server_, 0);
  run.client->set_db(ctx.connection.db());
  run.client->set_user(ctx.connection.user_ptr());
  run.client->set_authenticated(true);
  run.client->set_script_client(true);
  run.start_ms = server_->NowMs();
  run_ = &run;

  lua_State* L = lua_;
  // KEYS and ARGV: globals behind the guard for EVAL (scripts read them but cannot replace
  // them), the two arguments of a function.
  if (!run.is_function) lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
  lua_createtable(L, static_cast<int>(numkeys), 0);
  for (size_t i = 0; i < numkeys; ++i) {
    lua_pushlstring(L, args[3 + i].data(), args[3 + i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  if (!run.is_function) lua_setfield(L, -2, "KEYS");
  const size_t argv_count = args.size() - 3 - numkeys;
  lua_createtable(L, static_cast<int>(argv_count), 0);
  for (size_t i = 0; i < argv_count; ++i) {
    std::string_view arg = args[3 + numkeys + i];
    lua_pushlstring(L, arg.data(), arg.size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  if (!run.is_function) {
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
  }

  if (server_->config().busy_reply_threshold > 0) {
    lua_sethook(L, Hook, LUA_MASKCOUNT, kHookInstructions);
  }
  ctx.ks.BeginAtomic();
  const int status = lua_pcall(L, run.is_function ? 2 : 0, 1, run.is_function ? -4 : -2);
  const storage::Status logged = ctx.ks.EndAtomic();
  lua_sethook(L, nullptr, 0, 0);
  if (!logged.ok()) spdlog::error("EVAL: logging its writes failed: {}", logged.ToString());

  if (status != 0) {
    if (!lua_istable(L, -1)) {
      const char* message = lua_tostring(L, -1);
      ctx.reply.Error("ERR Error running script " + run.function + ", " +
                      std::string(message == nullptr ? "execution failure" : message));
    } else {
      ErrorInfo info = ExtractError(L);
      std::string where;
      if (!info.line.empty() && !info.source.empty()) {
        where = " script: " + run.function + ", on " + info.source + ":" + info.line + ".";
      }
      WriteError(ctx.reply, info, where);
    }
    lua_pop(L, 1);
  } else {
    WriteLuaValue(L, ctx.reply, run.resp);
  }
  lua_pop(L, 1);  // the error handler
  if (!run.is_function) {
    // KEYS and ARGV of this call are not kept.
    lua_getfield(L, LUA_REGISTRYINDEX, kGlobalsKey);
    lua_pushnil(L);
    lua_setfield(L, -2, "KEYS");
    lua_pushnil(L);
    lua_setfield(L, -2, "ARGV");
    lua_pop(L, 1);
  }
  lua_gc(L, LUA_GCSTEP, 1);
  run_ = nullptr;
}

// --- functions ---

bool ParseLibraryName(std::string_view code, std::string* name, std::string* error) {
  if (code.size() < 2 || code[0] != '#' || code[1] != '!') {
    *error = "ERR Missing library metadata";
    return false;
  }
  std::string_view line = code.substr(
      2, code.find('\n') == std::string_view::npos ? std::string_view::npos : code.find('\n') - 2);
  std::vector<std::string_view> parts;
  while (!line.empty()) {
    const size_t space = line.find(' ');
    if (space != 0) parts.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  if (parts.empty() || parts[0] != "lua") {
    *error =
        "ERR Engine '" + std::string(parts.empty() ? std::string_view() : parts[0]) + "' not found";
    return false;
  }
  name->clear();
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].substr(0, 5) != "name=") {
      *error = "ERR Invalid metadata value given: " + std::string(parts[i]);
      return false;
    }
    *name = std::string(parts[i].substr(5));
  }
  if (name->empty()) {
    *error = "ERR Library name was not given";
    return false;
  }
  if (!ValidFunctionName(*name)) {
    *error =
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at "
        "least one character long";
    return false;
  }
  return true;
}

uint64_t Scripting::now_ms() const { return server_->NowMs(); }

bool Scripting::LoadLibrary(std::string_view code, bool replace, std::string* name,
                            std::string* error) {
  if (!ParseLibraryName(code, name, error)) return false;
  auto existing = libraries_.find(*name);
  if (existing != libraries_.end() && !replace) {
    *error = "ERR Library '" + *name + "' already exists";
    return false;
  }
  std::string body(code);
  body[0] = body[1] = '-';  // the header line is compiled as a comment
  lua_State* L = lua_;
  if (luaL_loadbuffer(L, body.data(), body.size(), "@user_function") != 0) {
    const char* message = lua_tostring(L, -1);
    *error = "ERR Error compiling function: " + std::string(message == nullptr ? "" : message);
    lua_pop(L, 1);
    return false;
  }
  Library library;
  library.code = std::string(code);
  loading_ = &library;
  g_load_deadline_ms = now_ms() + kLoadTimeoutMs;
  lua_sethook(L, LoadHook, LUA_MASKCOUNT, kHookInstructions / 10);
  const int status = lua_pcall(L, 0, 0, 0);
  lua_sethook(L, nullptr, 0, 0);
  loading_ = nullptr;
  auto release = [&] {
    for (const FunctionInfo& f : library.functions) luaL_unref(L, LUA_REGISTRYINDEX, f.ref);
  };
  if (status != 0) {
    const char* message = lua_tostring(L, -1);
    *error = "ERR Error registering functions: " +
             std::string(message == nullptr ? "(error object is not a string)" : message);
    lua_pop(L, 1);
    release();
    return false;
  }
  if (library.functions.empty()) {
    *error = "ERR No functions registered";
    release();
    return false;
  }
  for (const FunctionInfo& f : library.functions) {
    auto owner = function_owner_.find(f.name);
    if (owner != function_owner_.end() && owner->second != *name) {
      *error = "ERR Function " + f.name + " already exists";
      release();
      return false;
    }
  }
  if (existing != libraries_.end()) DeleteLibrary(*name);
  for (const FunctionInfo& f : library.functions) function_owner_[f.name] = *name;
  libraries_[*name] = std::move(library);
  return true;
}

bool Scripting::DeleteLibrary(std::string_view name) {
  auto it = libraries_.find(std::string(name));
  if (it == libraries_.end()) return false;
  for (const FunctionInfo& f : it->second.functions) {
    luaL_unref(lua_, LUA_REGISTRYINDEX, f.ref);
    function_owner_.erase(f.name);
  }
  libraries_.erase(it);
  return true;
}

void Scripting::FlushLibraries() {
  std::vector<std::string> names;
  for (const auto& [name, library] : libraries_) names.push_back(name);
  for (const std::string& name : names) DeleteLibrary(name);
}

void Scripting::ReloadLibraries() {
  std::map<std::string, Library> old;
  old.swap(libraries_);
  function_owner_.clear();
  for (const auto& [name, library] : old) {
    std::string loaded;
    std::string error;
    if (!LoadLibrary(library.code, false, &loaded, &error)) {
      spdlog::error("function library {} could not be loaded again: {}", name, error);
    }
  }
}

const std::string& Scripting::running_name() const {
  static const std::string kNone;
  return run_ == nullptr ? kNone : run_->function;
}

void Scripting::Call(CommandContext& ctx, bool read_only) {
  const std::vector<std::string_view>& args = ctx.args;
  int64_t numkeys = 0;
  if (!ParseInt64(args[2], &numkeys)) {
    ctx.reply.Error(kNotIntegerError);
    return;
  }
  if (numkeys > static_cast<int64_t>(args.size()) - 3) {
    ctx.reply.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  if (numkeys < 0) {
    ctx.reply.Error("ERR Number of keys can't be negative");
    return;
  }
  auto owner = function_owner_.find(std::string(args[1]));
  if (owner == function_owner_.end()) {
    ctx.reply.Error("ERR Function not found");
    return;
  }
  const Library& library = libraries_.at(owner->second);
  const FunctionInfo* info = nullptr;
  for (const FunctionInfo& f : library.functions) {
    if (f.name == owner->first) info = &f;
  }
  if (info == nullptr) {  // function_owner_ and libraries_ always agree
    ctx.reply.Error("ERR Function not found");
    return;
  }
  if (read_only && !info->no_writes) {
    ctx.reply.Error("ERR Can not execute a script with write flag using *_ro command.");
    return;
  }
  std::string refusal =
      server_->ScriptRefusal(info->no_writes || read_only, info->allow_oom, info->allow_stale);
  if (!refusal.empty()) {
    ctx.reply.Error(refusal);
    return;
  }
  Run run;
  run.function = info->name;
  run.is_function = true;
  run.read_only = info->no_writes || read_only;
  run.check_oom = info->allow_oom;
  run.declared = true;
  lua_pushcfunction(lua_, ErrorHandler);
  lua_rawgeti(lua_, LUA_REGISTRYINDEX, info->ref);
  Execute(ctx, run, static_cast<size_t>(numkeys));
}

}  // namespace shale::server
