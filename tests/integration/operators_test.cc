// What operators use on a running server: CLIENT KILL (old form and filters), CLIENT PAUSE and
// UNPAUSE (WRITE and ALL), CLIENT UNBLOCK (TIMEOUT and ERROR), CLIENT NO-EVICT/NO-TOUCH, MONITOR
// (Redis's line format, scripts' commands, redacted passwords), MEMORY (USAGE, STATS, DOCTOR,
// PURGE) and DEBUG behind enable-debug-command (SLEEP, OBJECT, DIGEST, DIGEST-VALUE,
// SET-ACTIVE-EXPIRE, RELOAD).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"
#include "tests/integration/server_process.h"

namespace shale::integration {
namespace {

std::string Command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

class OperatorsTest : public ServerFixture {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "2", "--enable-debug-command", "yes"};
  }
  // The CLIENT LIST line whose cmd= is `command`, or empty.
  std::string LineWithCommand(const std::string& command) {
    for (const std::string& line : ClientListLines()) {
      if (line.find(" cmd=" + command + " ") != std::string::npos) return line;
    }
    return "";
  }
  static std::string Field(const std::string& line, const std::string& name) {
    const size_t at = line.find(name + "=");
    if (at == std::string::npos) return "";
    const size_t start = at + name.size() + 1;
    return line.substr(start, line.find(' ', start) - start);
  }
};

TEST_F(OperatorsTest, ClientKillByFilterAndOldForm) {
  auto victim = Connect();
  ASSERT_NE(victim, nullptr);
  const std::string id = victim->Run({"CLIENT", "ID"}).substr(1);
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "999999"}), ":0");
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "0"}), "-ERR client-id should be greater than 0");
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "bogus"}), "-ERR Unknown client type 'bogus'");
  EXPECT_EQ(Run({"CLIENT", "KILL", "USER", "nobody"}), "-ERR No such user 'nobody'");
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID"}), "-ERR No such client") << "the old form: an address";
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", "1", "TYPE"}), "-ERR syntax error");
  EXPECT_EQ(Run({"CLIENT", "KILL", "ID", id}), ":1");
  EXPECT_EQ(victim->Run({"PING"}).substr(0, 1), "(") << "the connection is closed";
  ASSERT_TRUE(WaitForClientCount(1));

  // Old form: one address, +OK or an error.
  auto second = Connect();
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(WaitForClientCount(2));
  std::string self_line;
  for (const std::string& line : ClientListLines()) {
    if (line.find("cmd=client|list") == std::string::npos) self_line = line;
  }
  const std::string addr = Field(self_line, "addr");
  EXPECT_EQ(Run({"CLIENT", "KILL", "127.0.0.1:1"}), "-ERR No such client");
  EXPECT_EQ(Run({"CLIENT", "KILL", addr}), "+OK");
  ASSERT_TRUE(WaitForClientCount(1));
  // SKIPME yes (the default): the caller stays.
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  ASSERT_TRUE(WaitForClientCount(2));
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "normal"}), ":1");
  EXPECT_EQ(Run({"PING"}), "+PONG");
  // SKIPME no kills the caller too, after its reply.
  EXPECT_EQ(Run({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "no"}), ":1");
  EXPECT_EQ(Run({"PING"}).substr(0, 1), "(");
}

TEST_F(OperatorsTest, ClientPauseHoldsWritesOrEverything) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SET", "k", "before"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "x"}), "-ERR timeout is not an integer or out of range");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "100", "SOME"}), "-ERR CLIENT PAUSE mode must be WRITE or ALL");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "60000", "WRITE"}), "+OK");
  // Reads go on; a write waits, unread, until UNPAUSE.
  EXPECT_EQ(other->Run({"GET", "k"}), "\"before\"");
  std::unique_ptr<RawConnection> writer = ConnectRaw();
  ASSERT_NE(writer, nullptr);
  ASSERT_TRUE(writer->Send(Command({"SET", "k", "after"})));
  EXPECT_EQ(writer->Read(1, std::chrono::milliseconds(300)), "") << "held by the pause";
  EXPECT_EQ(other->Run({"GET", "k"}), "\"before\"");
  EXPECT_EQ(Run({"CLIENT", "UNPAUSE"}), "+OK");
  EXPECT_EQ(writer->ReadReplyText(), "+OK");
  EXPECT_EQ(other->Run({"GET", "k"}), "\"after\"");

  // A shorter pause never shortens a longer one.
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "60000", "WRITE"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "10", "WRITE"}), "+OK");
  ASSERT_TRUE(writer->Send(Command({"SET", "k", "later"})));
  EXPECT_EQ(writer->Read(1, std::chrono::milliseconds(300)), "") << "still held";
  EXPECT_EQ(Run({"CLIENT", "UNPAUSE"}), "+OK");
  EXPECT_EQ(writer->ReadReplyText(), "+OK");

  // ALL holds every command, this client's own too (as in Redis), until its deadline.
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "100", "ALL"}), "+OK");
  EXPECT_EQ(other->Run({"GET", "k"}), "\"later\"") << "answered once the pause ended by itself";
}

TEST_F(OperatorsTest, ClientPauseKeepsExpiredKeysUntilItEnds) {
  EXPECT_EQ(Run({"SET", "short", "v", "PX", "50"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "PAUSE", "60000", "WRITE"}), "+OK");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Run({"GET", "short"}) == "(nil)";
      },
      std::chrono::seconds(10)))
      << "an expired key is invisible";
  EXPECT_EQ(Run({"DBSIZE"}), ":1") << "but not deleted while paused";
  EXPECT_EQ(Run({"CLIENT", "UNPAUSE"}), "+OK");
  EXPECT_EQ(Run({"GET", "short"}), "(nil)");
  ASSERT_TRUE(WaitUntil([&] { return Run({"DBSIZE"}) == ":0"; }, std::chrono::seconds(10)));
}

TEST_F(OperatorsTest, ClientUnblockWithTimeoutOrError) {
  std::unique_ptr<RawConnection> blocked = ConnectRaw();
  ASSERT_NE(blocked, nullptr);
  ASSERT_TRUE(blocked->Send(Command({"BLPOP", "nolist", "0"})));
  std::string line;
  ASSERT_TRUE(WaitUntil([&] { return !(line = LineWithCommand("blpop")).empty(); },
                        std::chrono::seconds(10)));
  EXPECT_NE(Field(line, "flags").find('b'), std::string::npos) << line;
  const std::string id = Field(line, "id");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "MAYBE"}),
            "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), ":1");
  EXPECT_EQ(blocked->ReadReplyText(), "(nil array)") << "as if it had timed out";
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), ":0") << "no longer blocked";

  ASSERT_TRUE(blocked->Send(Command({"BLPOP", "nolist", "0"})));
  ASSERT_TRUE(
      WaitUntil([&] { return !LineWithCommand("blpop").empty(); }, std::chrono::seconds(10)));
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "ERROR"}), ":1");
  EXPECT_EQ(blocked->ReadReplyText(), "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
  ASSERT_TRUE(blocked->Send(Command({"PING"})));
  EXPECT_EQ(blocked->ReadReplyText(), "+PONG");
}

TEST_F(OperatorsTest, ClientNoEvictAndNoTouchAreShown) {
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "maybe"}), "-ERR syntax error");
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "on"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "NO-TOUCH", "on"}), "+OK");
  const std::string info = Run({"CLIENT", "INFO"});
  EXPECT_NE(info.find("flags=eT "), std::string::npos) << info;
  EXPECT_EQ(Run({"CLIENT", "NO-EVICT", "off"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "NO-TOUCH", "off"}), "+OK");
  EXPECT_NE(Run({"CLIENT", "INFO"}).find("flags=N "), std::string::npos);
}

TEST_F(OperatorsTest, MonitorStreamsCommandsAsRedisPrintsThem) {
  std::unique_ptr<RawConnection> monitor = ConnectRaw();
  ASSERT_NE(monitor, nullptr);
  ASSERT_TRUE(monitor->Send(Command({"MONITOR"})));
  EXPECT_EQ(monitor->ReadReplyText(), "+OK");
  EXPECT_EQ(Run({"SET", "key", "a \"quoted\"\nvalue"}), "+OK");
  EXPECT_EQ(Run({"EVAL", "return redis.call('get', KEYS[1])", "1", "key"}),
            "\"a \\\"quoted\\\"\\nvalue\"");
  Run({"AUTH", "secret"});
  Run({"CONFIG", "GET", "port"});  // admin commands are not shown
  Run({"PING"});
  auto next = [&] { return monitor->ReadReplyText(); };
  std::string line = next();
  EXPECT_TRUE(StartsWith(line, "+1")) << line;
  EXPECT_NE(line.find(" [0 127.0.0.1:"), std::string::npos) << line;
  EXPECT_NE(line.find("] \"SET\" \"key\" \"a \\\"quoted\\\"\\nvalue\""), std::string::npos) << line;
  line = next();
  EXPECT_NE(line.find("] \"EVAL\" \"return redis.call('get', KEYS[1])\" \"1\" \"key\""),
            std::string::npos)
      << line;
  line = next();
  EXPECT_NE(line.find(" [0 lua] \"get\" \"key\""), std::string::npos) << line;
  line = next();
  EXPECT_NE(line.find("] \"AUTH\" \"(redacted)\""), std::string::npos) << line;
  line = next();
  EXPECT_NE(line.find("] \"PING\""), std::string::npos) << line;
  EXPECT_NE(Field(LineWithCommand("monitor"), "flags").find('O'), std::string::npos);
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"MONITOR"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[-ERR MONITOR isn't allowed for DENY BLOCKING client]");
}

TEST_F(OperatorsTest, MemoryUsageAndStats) {
  EXPECT_EQ(Run({"SET", "s", std::string(1000, 'x')}), "+OK");
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Run({"RPUSH", "l", std::string(100, 'y')}), ":" + std::to_string(i + 1));
  }
  const long long string_bytes = std::stoll(Run({"MEMORY", "USAGE", "s"}).substr(1));
  EXPECT_GE(string_bytes, 1000);
  EXPECT_LT(string_bytes, 1100);
  const long long sampled = std::stoll(Run({"MEMORY", "USAGE", "l"}).substr(1));
  const long long all = std::stoll(Run({"MEMORY", "USAGE", "l", "SAMPLES", "0"}).substr(1));
  EXPECT_GE(all, 100 * 100);
  EXPECT_EQ(sampled, all) << "elements of one size: the sample stands for all of them exactly";
  EXPECT_EQ(Run({"MEMORY", "USAGE", "missing"}), "(nil)");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES"}), "-ERR syntax error");
  EXPECT_EQ(Run({"MEMORY", "USAGE", "s", "SAMPLES", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "MEMORY", "USAGE", "s"}), "[\"s\"]");
  const std::string stats = Run({"MEMORY", "STATS"});
  EXPECT_NE(stats.find("\"keys.count\", :2"), std::string::npos) << stats;
  EXPECT_NE(stats.find("\"total.allocated\""), std::string::npos) << stats;
  EXPECT_EQ(Run({"MEMORY", "PURGE"}), "+OK");
  EXPECT_TRUE(StartsWith(Run({"MEMORY", "DOCTOR"}), "\"No memory problem found."))
      << Run({"MEMORY", "DOCTOR"});
  EXPECT_EQ(Run({"MEMORY", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try MEMORY HELP.");
}

TEST_F(OperatorsTest, DebugSubcommands) {
  EXPECT_EQ(Run({"DEBUG", "DIGEST"}), "+0000000000000000000000000000000000000000");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1");
  EXPECT_EQ(Run({"EXPIRE", "h", "1000"}), ":1");
  const std::string digest = Run({"DEBUG", "DIGEST"});
  EXPECT_EQ(digest.size(), 41u);
  const std::string values = Run({"DEBUG", "DIGEST-VALUE", "a", "missing"});
  EXPECT_TRUE(StartsWith(values, "[+")) << values;
  EXPECT_NE(values.find("+0000000000000000000000000000000000000000]"), std::string::npos);
  const std::string object = Run({"DEBUG", "OBJECT", "a"});
  EXPECT_TRUE(StartsWith(object, "+Value at:")) << object;
  EXPECT_NE(object.find(" encoding:int "), std::string::npos) << object;
  EXPECT_NE(object.find(" serializedlength:"), std::string::npos) << object;
  EXPECT_EQ(Run({"DEBUG", "OBJECT", "missing"}), "-ERR no such key");
  EXPECT_EQ(Run({"DEBUG", "SLEEP", "0"}), "+OK");
  EXPECT_EQ(Run({"DEBUG", "JMAP"}), "-ERR DEBUG JMAP is not available (DEBUG HELP lists what is)");

  // RELOAD: everything made durable, the engine closed and opened again; nothing changes.
  EXPECT_EQ(Run({"DEBUG", "RELOAD"}), "+OK");
  EXPECT_EQ(Run({"DEBUG", "DIGEST"}), digest);
  EXPECT_EQ(Run({"HGET", "h", "f"}), "\"v\"");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK");
  EXPECT_NE(Run({"DEBUG", "DIGEST"}), digest);
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"GET", "b"}), "\"2\"") << "writes after the reload went to the new engine's WAL";

  // SET-ACTIVE-EXPIRE 0: only a read deletes a key past its deadline.
  EXPECT_EQ(Run({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}), "+OK");
  EXPECT_EQ(Run({"SET", "gone", "v", "PX", "10"}), "+OK");
  ASSERT_TRUE(WaitUntil([&] { return Run({"PTTL", "gone"}) == ":-2"; }, std::chrono::seconds(10)));
  EXPECT_EQ(Run({"DEBUG", "SET-ACTIVE-EXPIRE", "1"}), "+OK");
}

TEST_F(OperatorsTest, MigrateMovesKeysToAnotherServer) {
  if (IsRedis()) GTEST_SKIP() << "the target is a second Shale";
  ServerProcess target;
  std::string error;
  ASSERT_TRUE(target.Start({"--shards", "1"}, &error)) << error;
  Client to;
  ASSERT_TRUE(to.Connect(target.port(), &error)) << error;
  const std::string port = std::to_string(target.port());
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "x", "y"}), ":2");
  EXPECT_EQ(Run({"EXPIRE", "l", "1000"}), ":1");
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "a", "0", "5000"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0") << "moved, not copied";
  EXPECT_EQ(to.Run({"GET", "a"}), "\"1\"");
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "", "3", "5000", "COPY", "KEYS", "l", "none"}),
            "+OK");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":1") << "COPY keeps the key";
  EXPECT_EQ(to.Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(to.Run({"LRANGE", "l", "0", "-1"}), "[\"x\", \"y\"]");
  const std::string ttl = to.Run({"TTL", "l"});
  EXPECT_TRUE(ttl == ":1000" || ttl == ":999") << "the time to live goes along: " << ttl;
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "", "3", "5000", "KEYS", "l"}),
            "-ERR Target instance replied with error: BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":1") << "a refused key stays";
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "", "3", "5000", "REPLACE", "KEYS", "l"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0");
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "missing", "0", "5000"}), "+NOKEY");
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "a", "0", "5000", "KEYS", "b"}),
            "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty "
            "string");
  EXPECT_EQ(Run({"MIGRATE", "127.0.0.1", port, "", "0", "5000", "BOGUS"}), "-ERR syntax error");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "5", "KEYS", "k1", "k2"}),
            "[\"k1\", \"k2\"]");
  EXPECT_EQ(Run({"CLUSTER", "INFO"}), "-ERR This instance has cluster support disabled");
  EXPECT_EQ(Run({"READONLY"}), "-ERR This instance has cluster support disabled");
  ASSERT_TRUE(target.Stop(&error)) << error;
}

class DebugDisabledTest : public ServerFixture {};

TEST_F(DebugDisabledTest, DebugIsRefusedByDefault) {
  if (IsRedis()) GTEST_SKIP() << "Redis's default is the same, but its test config may differ";
  EXPECT_TRUE(StartsWith(Run({"DEBUG", "DIGEST"}), "-ERR DEBUG command not allowed."));
  EXPECT_EQ(Run({"CONFIG", "GET", "enable-debug-command"}), "[\"enable-debug-command\", \"no\"]");
  EXPECT_TRUE(StartsWith(Run({"CONFIG", "SET", "enable-debug-command", "yes"}), "-ERR"));
}

}  // namespace
}  // namespace shale::integration
