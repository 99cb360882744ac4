// Lua scripting: EVAL/EVALSHA/EVAL_RO, SCRIPT LOAD/EXISTS/FLUSH/KILL, the conversions between
// Lua values and replies both ways (RESP2 and RESP3), the redis.* library, Redis 7's error
// texts with the script and line, read-only globals, the commands a script may not call,
// shebang flags, scripts as one atomic write across a restart, busy scripts (-BUSY, SCRIPT KILL,
// UNKILLABLE, SHUTDOWN NOSAVE), and what replicas get: the script's effects, not the script.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class ScriptingTest : public ServerFixture {
 protected:
  // The SHA1 that SCRIPT LOAD gives for `body`.
  std::string Sha(const std::string& body) {
    std::string sha = Run({"SCRIPT", "LOAD", body});
    EXPECT_EQ(sha.size(), 42u) << sha;
    return sha.size() == 42 ? sha.substr(1, 40) : std::string();
  }
  // `args` as a RESP command.
  static std::string Command(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& arg : args) {
      out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    }
    return out;
  }
  static bool StartsWith(const std::string& text, const std::string& prefix) {
    return text.compare(0, prefix.size(), prefix) == 0;
  }
};

TEST_F(ScriptingTest, LuaValuesBecomeReplies) {
  EXPECT_EQ(Run({"EVAL", "return 1", "0"}), ":1");
  EXPECT_EQ(Run({"EVAL", "return 3.99", "0"}), ":3") << "numbers are truncated to integers";
  EXPECT_EQ(Run({"EVAL", "return -3.99", "0"}), ":-3");
  EXPECT_EQ(Run({"EVAL", "return 'hello'", "0"}), "\"hello\"");
  EXPECT_EQ(Run({"EVAL", "return true", "0"}), ":1");
  EXPECT_EQ(Run({"EVAL", "return false", "0"}), "(nil)");
  EXPECT_EQ(Run({"EVAL", "return nil", "0"}), "(nil)");
  EXPECT_EQ(Run({"EVAL", "return {1, 'two', {3, 'four'}}", "0"}), "[:1, \"two\", [:3, \"four\"]]");
  EXPECT_EQ(Run({"EVAL", "return {1, 2, nil, 4}", "0"}), "[:1, :2]")
      << "an array ends at its first nil";
  EXPECT_EQ(Run({"EVAL", "return {ok = 'FINE'}", "0"}), "+FINE");
  EXPECT_EQ(Run({"EVAL", "return redis.status_reply('DONE')", "0"}), "+DONE");
  EXPECT_EQ(Run({"EVAL", "return {err = 'MYCODE something failed'}", "0"}),
            "-MYCODE something failed");
  EXPECT_EQ(Run({"EVAL", "return redis.error_reply('My Error')", "0"}), "-My Error");
  EXPECT_EQ(Run({"EVAL", "return {double = 3.5}", "0"}), "\"3.5\"") << "RESP2: a bulk";
  EXPECT_EQ(Run({"EVAL", "return KEYS[1] .. ARGV[1] .. #KEYS .. #ARGV", "2", "k1", "k2", "a1"}),
            "\"k1a121\"");
  // Binary-safe both ways.
  EXPECT_EQ(Run({"EVAL", "return ARGV[1]", "0", std::string("a\0b\r\n", 5)}), "\"a\\x00b\\r\\n\"");
}

TEST_F(ScriptingTest, RedisCallConvertsRepliesToLua) {
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b"}), ":2");
  EXPECT_EQ(Run({"EVAL", "return type(redis.call('get', 'missing'))", "0"}), "\"boolean\"")
      << "nil bulk -> false";
  EXPECT_EQ(Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "s"}), "\"v\"");
  EXPECT_EQ(Run({"EVAL", "return redis.call('lrange', 'l', 0, -1)", "0"}), "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"EVAL", "return redis.call('set', 'x', 'y')['ok']", "0"}), "\"OK\"");
  EXPECT_EQ(Run({"EVAL", "return redis.call('incrby', 'n', 5) + 1", "0"}), ":6");
  // Numbers given to redis.call go as their exact text.
  EXPECT_EQ(Run({"EVAL", "redis.call('set', 'f', 0.1) return redis.call('get', 'f')", "0"}),
            "\"0.10000000000000001\"");
  EXPECT_EQ(Run({"EVAL", "return redis.call('set', 'x', {})", "0"}),
            "-ERR Lua redis lib command arguments must be strings or integers script: "
            "f_" +
                Sha("return redis.call('set', 'x', {})") + ", on @user_script:1.");
  // pcall gives the error as a table; call raises it.
  EXPECT_EQ(Run({"EVAL", "return redis.pcall('incr', 's')['err']", "0"}),
            "\"ERR value is not an integer or out of range\"");
  const std::string body = "return redis.call('incr', 's')";
  EXPECT_EQ(Run({"EVAL", body, "0"}), "-ERR value is not an integer or out of range script: f_" +
                                          Sha(body) + ", on @user_script:1.");
  EXPECT_EQ(Run({"EVAL", "local ok, e = pcall(redis.call, 'incr', 's') return e", "0"}),
            "\"ERR value is not an integer or out of range\"")
      << "Lua's pcall catches redis.call's error and gives its message";
  // A blocking command never blocks in a script.
  EXPECT_EQ(Run({"EVAL", "return redis.call('blpop', 'nolist', 0)", "0"}), "(nil)");
  // SELECT in a script does not change the caller's database.
  EXPECT_EQ(Run({"EVAL", "redis.call('select', 5) redis.call('set', 'in5', '1') return 1", "0"}),
            ":1");
  EXPECT_EQ(Run({"EXISTS", "in5"}), ":0");
  EXPECT_EQ(Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "in5"}), ":1");
}

TEST_F(ScriptingTest, ScriptCacheLoadExistsFlush) {
  const std::string sha = Sha("return 'cached'");
  EXPECT_EQ(sha, "952f49ffc8f7b098d8ab5da45d3164ca36ed18b1") << "SHA1 of the body";
  EXPECT_EQ(Run({"EVALSHA", sha, "0"}), "\"cached\"");
  std::string upper = sha;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(Run({"EVALSHA", upper, "0"}), "\"cached\"") << "the digest is case-insensitive";
  EXPECT_EQ(Run({"EVALSHA_RO", sha, "0"}), "\"cached\"");
  // EVAL caches what it ran.
  EXPECT_EQ(Run({"EVAL", "return 2", "0"}), ":2");
  EXPECT_EQ(Run({"SCRIPT", "EXISTS", sha, "7f923f79fe76194c868d7e1d0820de36700eb649", "0000"}),
            "[:1, :1, :0]");
  EXPECT_EQ(Run({"EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"}),
            "-NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(Run({"SCRIPT", "FLUSH", "BOTH"}), "-ERR SCRIPT FLUSH only support SYNC|ASYNC option");
  EXPECT_EQ(Run({"SCRIPT", "FLUSH", "ASYNC"}), "+OK");
  EXPECT_EQ(Run({"SCRIPT", "EXISTS", sha}), "[:0]");
  EXPECT_EQ(Run({"EVALSHA", sha, "0"}), "-NOSCRIPT No matching script. Please use EVAL.");
  EXPECT_EQ(Run({"SCRIPT", "LOAD", "return ("}),
            "-ERR Error compiling script (new function): user_script:1: unexpected symbol near "
            "'<eof>'");
  EXPECT_EQ(Run({"SCRIPT", "KILL"}), "-NOTBUSY No scripts in execution right now.");
  EXPECT_EQ(Run({"SCRIPT", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try SCRIPT HELP.");
  EXPECT_NE(Run({"INFO", "memory"}).find("number_of_cached_scripts:0"), std::string::npos);
  Sha("return 'again'");
  EXPECT_NE(Run({"INFO", "memory"}).find("number_of_cached_scripts:1"), std::string::npos);
}

TEST_F(ScriptingTest, NumkeysIsChecked) {
  EXPECT_EQ(Run({"EVAL", "return 1", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"EVAL", "return 1", "-1"}), "-ERR Number of keys can't be negative");
  EXPECT_EQ(Run({"EVAL", "return 1", "2", "a"}),
            "-ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Run({"EVAL", "return 1"}), "-ERR wrong number of arguments for 'eval' command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "EVAL", "return 1", "2", "a", "b", "c"}), "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "EVAL", "return 1", "0"}), "[]");
}

TEST_F(ScriptingTest, GlobalsAreReadOnly) {
  std::string reply = Run({"EVAL", "x = 1", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR user_script:1: Attempt to modify a readonly table script: "))
      << reply;
  reply = Run({"EVAL", "return undefined_name", "0"});
  EXPECT_TRUE(StartsWith(reply,
                         "-ERR user_script:1: Script attempted to access nonexistent global "
                         "variable 'undefined_name'"))
      << reply;
  reply = Run({"EVAL", "redis.call = nil", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR user_script:1: Attempt to modify a readonly table")) << reply;
  reply = Run({"EVAL", "string.len = nil", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR user_script:1: Attempt to modify a readonly table")) << reply;
  EXPECT_EQ(Run({"EVAL", "return redis.call('ping')['ok']", "0"}), "\"PONG\"")
      << "nothing was replaced";
  // Locals are fine, and nothing is left for the next script.
  EXPECT_EQ(Run({"EVAL", "local y = 5 return y", "0"}), ":5");
  reply = Run({"EVAL", "return loadfile", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR user_script:1: Script attempted to access nonexistent"))
      << reply;
  // The libraries Redis gives scripts.
  EXPECT_EQ(Run({"EVAL", "return cjson.encode({1, 2, {a = 'b'}})", "0"}),
            "\"[1,2,{\\\"a\\\":\\\"b\\\"}]\"");
  EXPECT_EQ(Run({"EVAL", "return cjson.decode('[1,2,3]')[3]", "0"}), ":3");
  EXPECT_EQ(Run({"EVAL", "return bit.band(7, 3) + bit.lshift(1, 4)", "0"}), ":19");
  EXPECT_EQ(Run({"EVAL", "return string.format('%05d', 42)", "0"}), "\"00042\"");
  EXPECT_EQ(Run({"EVAL", "return redis.sha1hex('')", "0"}),
            "\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"");
  // math.random starts from the same seed in every script.
  const std::string first = Run({"EVAL", "return tostring(math.random())", "0"});
  EXPECT_EQ(Run({"EVAL", "return tostring(math.random())", "0"}), first);
  EXPECT_EQ(Run({"EVAL", "math.randomseed(7) local a = math.random(100) return a >= 1 and a <= 100",
                 "0"}),
            ":1");
}

TEST_F(ScriptingTest, CommandsScriptsMayNotCall) {
  for (const std::string command : {"multi", "exec", "subscribe", "eval", "script", "watch"}) {
    SCOPED_TRACE(command);
    const std::string body = "return redis.call('" + command + "', 'x')";
    const std::string reply = Run({"EVAL", body, "0"});
    EXPECT_TRUE(StartsWith(reply, "-ERR This Redis command is not allowed from script") ||
                StartsWith(reply, "-ERR Wrong number of args calling Redis command from script"))
        << reply;
  }
  std::string reply = Run({"EVAL", "return redis.call('nosuch')", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR Unknown Redis command called from script script: f_"))
      << reply;
  reply = Run({"EVAL", "return redis.call('get')", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR Wrong number of args calling Redis command from script"))
      << reply;
  reply = Run({"EVAL", "return redis.call()", "0"});
  EXPECT_TRUE(
      StartsWith(reply, "-ERR Please specify at least one argument for this redis lib call"))
      << reply;
  // Read-only scripts: EVAL_RO, and the no-writes shebang flag.
  reply = Run({"EVAL_RO", "return redis.call('set', 'k', 'v')", "1", "k"});
  EXPECT_TRUE(StartsWith(reply, "-ERR Write commands are not allowed from read-only scripts."))
      << reply;
  reply = Run({"EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", "0"});
  EXPECT_TRUE(StartsWith(reply, "-ERR Write commands are not allowed from read-only scripts."))
      << reply;
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'k')", "0"}), "(nil)");
  EXPECT_EQ(Run({"EVAL", "#!lua flags=bogus\nreturn 1", "0"}),
            "-ERR Unexpected flag in script shebang: bogus");
  EXPECT_EQ(Run({"EVAL", "#!python\nreturn 1", "0"}), "-ERR Could not find engine 'python'");
  // Error on line 2 names line 2.
  reply = Run({"EVAL", "local a = 1\nreturn redis.call('nosuch')", "0"});
  EXPECT_NE(reply.find(", on @user_script:2."), std::string::npos) << reply;
}

TEST_F(ScriptingTest, ScriptWritesAreOneAtomicGroupAndSurviveRestart) {
  EXPECT_EQ(Run({"EVAL",
                 "for i = 1, 100 do redis.call('set', 'key:' .. i, i) end "
                 "redis.call('rpush', 'list', 'a', 'b') return redis.call('dbsize')",
                 "0"}),
            ":101");
  // An error half-way leaves what ran before it (as in Redis: no rollback).
  std::string reply = Run({"EVAL",
                           "redis.call('set', 'before', '1') redis.call('incr', 'list') "
                           "redis.call('set', 'after', '1')",
                           "0"});
  EXPECT_TRUE(StartsWith(reply, "-WRONGTYPE")) << reply;
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"GET", "key:1"}), "\"1\"");
  EXPECT_EQ(Run({"GET", "key:100"}), "\"100\"");
  EXPECT_EQ(Run({"LRANGE", "list", "0", "-1"}), "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"GET", "before"}), "\"1\"");
  EXPECT_EQ(Run({"EXISTS", "after"}), ":0");
}

TEST_F(ScriptingTest, ScriptsInsideMultiAndWatch) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "c"}), "+QUEUED");
  EXPECT_EQ(Run({"EVAL", "return redis.call('incr', KEYS[1])", "1", "c"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:1, :2]");
  // A script's write touches a watched key.
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"WATCH", "c"}), "+OK");
  EXPECT_EQ(other->Run({"EVAL", "return redis.call('incr', 'c')", "0"}), ":3");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"GET", "c"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(ScriptingTest, Resp3Replies) {
  std::unique_ptr<RawConnection> raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1");
  // The reply's bytes are `expected`.
  auto expect_eval = [&](const std::string& body, const std::string& expected) {
    EXPECT_TRUE(raw->Send(Command({"EVAL", body, "0"})));
    EXPECT_EQ(raw->Read(expected.size()), expected) << body;
  };
  // Under RESP2 (the default for scripts) HGETALL is a flat array; with setresp(3) a map, which
  // a script returns as a map.
  expect_eval("return redis.call('hgetall', 'h')", "*2\r\n$1\r\nf\r\n$1\r\nv\r\n");
  expect_eval("redis.setresp(3) return redis.call('hgetall', 'h')", "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  expect_eval("redis.setresp(3) return redis.call('hgetall', 'h')['map']['f']", "$1\r\nv\r\n");
  expect_eval("return {double = 1.5}", ",1.5\r\n");
  expect_eval("return nil", "_\r\n");
  expect_eval("redis.setresp(3) return true", "#t\r\n");
  expect_eval("return true", ":1\r\n");
  expect_eval("return {big_number = '123456789012345678901234567890'}",
              "(123456789012345678901234567890\r\n");
  ASSERT_TRUE(raw->Send(Command({"EVAL", "redis.setresp(4)", "0"})));
  EXPECT_TRUE(StartsWith(raw->ReadReplyText(), "-ERR RESP version must be 2 or 3. script: f_"));
}

TEST_F(ScriptingTest, BusyScriptAnswersBusyUntilKilled) {
  EXPECT_EQ(Run({"CONFIG", "SET", "lua-time-limit", "50"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "busy-reply-threshold"}), "[\"busy-reply-threshold\", \"50\"]");
  std::unique_ptr<RawConnection> looping = ConnectRaw();
  ASSERT_NE(looping, nullptr);
  ASSERT_TRUE(looping->Send(Command({"EVAL", "local i = 0 while true do i = i + 1 end", "0"})));
  // Until the threshold the server runs nothing else (a PING waits); after it, -BUSY. A PING
  // that arrives before the script starts is answered +PONG: ask again.
  const std::string busy =
      "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
  ASSERT_TRUE(WaitUntil([&] { return Run({"PING"}) == busy; }, std::chrono::seconds(20)));
  EXPECT_EQ(Run({"GET", "x"}), busy);
  EXPECT_EQ(Run({"SHUTDOWN"}), busy) << "only SHUTDOWN NOSAVE";
  EXPECT_EQ(Run({"SCRIPT", "KILL"}), "+OK");
  const std::string killed = looping->ReadReplyText();
  EXPECT_TRUE(StartsWith(killed, "-ERR Script killed by user with SCRIPT KILL... script: f_"))
      << killed;
  EXPECT_EQ(Run({"PING"}), "+PONG");
  ASSERT_TRUE(looping->Send(Command({"PING"})));
  EXPECT_EQ(looping->ReadReplyText(), "+PONG");
  EXPECT_EQ(Run({"SCRIPT", "KILL"}), "-NOTBUSY No scripts in execution right now.");
}

TEST_F(ScriptingTest, BusyScriptThatWroteIsUnkillableAndShutdownNosaveDropsIt) {
  EXPECT_EQ(Run({"SET", "kept", "1"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "busy-reply-threshold", "50"}), "+OK");
  std::unique_ptr<RawConnection> looping = ConnectRaw();
  ASSERT_NE(looping, nullptr);
  ASSERT_TRUE(
      looping->Send(Command({"EVAL", "redis.call('set', 'written', '1') while true do end", "0"})));
  ASSERT_TRUE(
      WaitUntil([&] { return StartsWith(Run({"PING"}), "-BUSY"); }, std::chrono::seconds(20)));
  EXPECT_TRUE(StartsWith(Run({"SCRIPT", "KILL"}), "-UNKILLABLE Sorry the script already executed"))
      << "a script that wrote cannot be stopped half-way";
  Run({"SHUTDOWN", "NOSAVE"});
  int status = -1;
  ASSERT_TRUE(server_.WaitForExit(std::chrono::seconds(30), &status));
  RestartAndReconnect();
  EXPECT_EQ(Run({"GET", "kept"}), "\"1\"");
  EXPECT_EQ(Run({"EXISTS", "written"}), ":0")
      << "the script's writes are one group, never logged: none of them is there";
}

TEST_F(ScriptingTest, FunctionsLoadCallListAndSurviveRestart) {
  const std::string code =
      "#!lua name=mylib\n"
      "redis.register_function('hello', function(keys, args) return 'hi ' .. args[1] end)\n"
      "redis.register_function{function_name = 'setit', description = 'sets a key',\n"
      "  callback = function(keys, args) return redis.call('set', keys[1], args[1]) end}\n"
      "redis.register_function{function_name = 'getit', flags = {'no-writes'},\n"
      "  callback = function(keys, args) return redis.call('get', keys[1]) end}\n";
  EXPECT_EQ(Run({"FUNCTION", "LOAD", code}), "\"mylib\"");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", code}), "-ERR Library 'mylib' already exists");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "REPLACE", code}), "\"mylib\"");
  EXPECT_EQ(Run({"FCALL", "hello", "0", "world"}), "\"hi world\"");
  EXPECT_EQ(Run({"FCALL", "setit", "1", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"FCALL_RO", "getit", "1", "k"}), "\"v\"");
  EXPECT_EQ(Run({"FCALL_RO", "setit", "1", "k", "v"}),
            "-ERR Can not execute a script with write flag using *_ro command.");
  EXPECT_EQ(Run({"FCALL", "nosuch", "0"}), "-ERR Function not found");
  EXPECT_EQ(Run({"FCALL", "hello", "-1"}), "-ERR Number of keys can't be negative");
  EXPECT_EQ(Run({"FUNCTION", "LIST", "LIBRARYNAME", "my*"}),
            "[[\"library_name\", \"mylib\", \"engine\", \"LUA\", \"functions\", "
            "[[\"name\", \"hello\", \"description\", (nil), \"flags\", []], "
            "[\"name\", \"setit\", \"description\", \"sets a key\", \"flags\", []], "
            "[\"name\", \"getit\", \"description\", (nil), \"flags\", [\"no-writes\"]]]]]");
  EXPECT_EQ(Run({"FUNCTION", "LIST", "LIBRARYNAME", "other*"}), "[]");
  // Redis's errors for bad libraries.
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "return 1"}), "-ERR Missing library metadata");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua\nreturn 1"}), "-ERR Library name was not given");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!python name=x\n"}), "-ERR Engine 'python' not found");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua name=empty\nlocal a = 1"}),
            "-ERR No functions registered");
  EXPECT_EQ(Run({"FUNCTION", "LOAD",
                 "#!lua name=clash\nredis.register_function('hello', function() return 1 end)"}),
            "-ERR Function hello already exists");
  const std::string bad = Run({"FUNCTION", "LOAD", "#!lua name=bad\nredis.call('ping')"});
  EXPECT_TRUE(StartsWith(bad, "-ERR Error registering functions: ")) << bad;
  // A function's error names the function and its line.
  EXPECT_EQ(Run({"FUNCTION", "LOAD",
                 "#!lua name=failing\nredis.register_function('boom',\n"
                 "  function() return redis.call('nosuch') end)"}),
            "\"failing\"");
  EXPECT_EQ(Run({"FCALL", "boom", "0"}),
            "-ERR Unknown Redis command called from script script: boom, on @user_function:3.");
  EXPECT_EQ(Run({"FUNCTION", "DELETE", "failing"}), "+OK");
  EXPECT_EQ(Run({"FUNCTION", "DELETE", "failing"}), "-ERR Library not found");
  EXPECT_EQ(Run({"FUNCTION", "STATS"}),
            "[\"running_script\", (nil), \"engines\", [\"LUA\", [\"libraries_count\", :1, "
            "\"functions_count\", :3]]]");

  // Libraries are data: they survive a crash and SCRIPT FLUSH, not FUNCTION FLUSH.
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"FCALL", "hello", "0", "again"}), "\"hi again\"");
  EXPECT_EQ(Run({"SCRIPT", "FLUSH"}), "+OK");
  EXPECT_EQ(Run({"FCALL", "hello", "0", "flushed"}), "\"hi flushed\"");
  EXPECT_EQ(Run({"FLUSHALL"}), "+OK");
  EXPECT_EQ(Run({"FCALL", "hello", "0", "x"}), "\"hi x\"") << "FLUSHALL keeps functions";

  // DUMP and RESTORE (FLUSH, APPEND, REPLACE).
  ReplyPtr dump = client_->Command({"FUNCTION", "DUMP"});
  ASSERT_NE(dump, nullptr);
  const std::string payload(dump->str, dump->len);
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload}), "-ERR Library mylib already exists");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload, "REPLACE"}), "+OK");
  EXPECT_EQ(Run({"FUNCTION", "FLUSH"}), "+OK");
  EXPECT_EQ(Run({"FCALL", "hello", "0", "x"}), "-ERR Function not found");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", "garbage"}), "-ERR payload version or checksum are wrong");
  EXPECT_EQ(Run({"FUNCTION", "RESTORE", payload, "FLUSH"}), "+OK");
  EXPECT_EQ(Run({"FCALL", "hello", "0", "back"}), "\"hi back\"");
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"FCALL", "hello", "0", "restored"}), "\"hi restored\"");
}

}  // namespace
}  // namespace shale::integration
