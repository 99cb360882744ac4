// Keyspace commands against a real server: RENAME, RENAMENX, COPY, MOVE, SWAPDB (with WATCH and
// across a restart), RANDOMKEY, TOUCH, WAIT, DUMP and RESTORE of every type (also moving values
// to and from Debian's redis-server), SCAN ... TYPE, KEYS patterns, FLUSHDB/FLUSHALL modes and
// UNLINK. Every expectation is Redis 7.0's behaviour (the file passes with
// SHALE_TEST_SERVER=redis-server).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";

class KeyspaceCommandsTest : public ServerFixture {
 protected:
  // Starts Debian's redis-server (`redis`, made with kRedisServer) on a free port and connects
  // `other` to it; the caller skips first when it is not installed.
  static void StartRedis(ServerProcess* redis, Client* other) {
    std::string error;
    ASSERT_TRUE(redis->Start({}, &error)) << error;
    ASSERT_TRUE(other->Connect(redis->port(), &error)) << error;
  }
  // The raw bytes of a bulk reply (DUMP's payload).
  std::string Bytes(Client* client, const std::vector<std::string>& args) {
    ReplyPtr reply = client->Command(args);
    EXPECT_TRUE(reply != nullptr && reply->type == REDIS_REPLY_STRING) << Describe(reply);
    if (reply == nullptr || reply->type != REDIS_REPLY_STRING) return {};
    return std::string(reply->str, reply->len);
  }
};

TEST_F(KeyspaceCommandsTest, RenameMovesTheValueAndItsTtl) {
  EXPECT_EQ(Run({"SET", "mykey", "hello"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "mykey", "mykey1"}), "+OK");
  EXPECT_EQ(Run({"GET", "mykey1"}), "\"hello\"");
  EXPECT_EQ(Run({"EXISTS", "mykey"}), ":0");
  // Over an existing key: replaced.
  EXPECT_EQ(Run({"SET", "other", "x"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "mykey1", "other"}), "+OK");
  EXPECT_EQ(Run({"GET", "other"}), "\"hello\"");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  // The TTL moves with the value, and the target's TTL is not inherited.
  EXPECT_EQ(Run({"SET", "vol", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "vol", "moved"}), "+OK");
  EXPECT_EQ(Run({"TTL", "moved"}), ":100");
  EXPECT_EQ(Run({"SET", "target", "t", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "other", "target"}), "+OK");
  EXPECT_EQ(Run({"TTL", "target"}), ":-1");
  // Many keys, so some renames cross shards.
  for (int i = 0; i < 20; ++i) {
    const std::string from = "from" + std::to_string(i);
    const std::string to = "to" + std::to_string(i);
    EXPECT_EQ(Run({"SET", from, std::to_string(i), "PX", "1000000"}), "+OK");
    EXPECT_EQ(Run({"RENAME", from, to}), "+OK");
    EXPECT_EQ(Run({"GET", to}), "\"" + std::to_string(i) + "\"");
    EXPECT_EQ(Run({"EXISTS", from}), ":0");
  }
  EXPECT_EQ(Run({"DBSIZE"}), ":22");  // moved, target and to0..to19
}

TEST_F(KeyspaceCommandsTest, RenameErrorsAndTheSameKey) {
  EXPECT_EQ(Run({"RENAME", "nokey", "x"}), "-ERR no such key");
  EXPECT_EQ(Run({"RENAMENX", "nokey", "x"}), "-ERR no such key");
  EXPECT_EQ(Run({"RENAME", "nokey", "nokey"}), "-ERR no such key");
  EXPECT_EQ(Run({"RENAME", "a"}), "-ERR wrong number of arguments for 'rename' command");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "k", "k"}), "+OK");
  EXPECT_EQ(Run({"RENAMENX", "k", "k"}), ":0");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
}

TEST_F(KeyspaceCommandsTest, RenameNx) {
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK");
  EXPECT_EQ(Run({"RENAMENX", "a", "b"}), ":0");
  EXPECT_EQ(Run({"GET", "a"}), "\"1\"");
  EXPECT_EQ(Run({"RENAMENX", "a", "c"}), ":1");
  EXPECT_EQ(Run({"GET", "c"}), "\"1\"");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0");
}

TEST_F(KeyspaceCommandsTest, Copy) {
  EXPECT_EQ(Run({"SET", "src", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":1");
  EXPECT_EQ(Run({"GET", "dst"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "dst"}), ":100");
  EXPECT_EQ(Run({"GET", "src"}), "\"v\"");
  EXPECT_EQ(Run({"SET", "src", "w"}), "+OK");
  EXPECT_EQ(Run({"COPY", "src", "dst"}), ":0");
  EXPECT_EQ(Run({"GET", "dst"}), "\"v\"");
  EXPECT_EQ(Run({"COPY", "src", "dst", "REPLACE"}), ":1");
  EXPECT_EQ(Run({"GET", "dst"}), "\"w\"");
  EXPECT_EQ(Run({"TTL", "dst"}), ":-1");
  EXPECT_EQ(Run({"COPY", "nokey", "x"}), ":0");
  EXPECT_EQ(Run({"COPY", "src", "dst", "DB", "1"}), ":1");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"GET", "dst"}), "\"w\"");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  // Errors.
  EXPECT_EQ(Run({"COPY", "src", "src"}), "-ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "src", "src", "DB", "0"}),
            "-ERR source and destination objects are the same");
  EXPECT_EQ(Run({"COPY", "src", "src", "DB", "1"}), ":1");
  EXPECT_EQ(Run({"COPY", "src", "x", "DB", "a"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"COPY", "src", "x", "DB", "99"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "src", "x", "DB", "-1"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"COPY", "src", "x", "FOO"}), "-ERR syntax error");
  EXPECT_EQ(Run({"COPY", "src", "x", "DB"}), "-ERR syntax error");
}

TEST_F(KeyspaceCommandsTest, Move) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"MOVE", "k", "1"}), ":1");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"MOVE", "k", "1"}), ":0");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":100");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  // A key already in the target stays; the source keeps its key.
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"SET", "k", "mine"}), "+OK");
  EXPECT_EQ(Run({"MOVE", "k", "1"}), ":0");
  EXPECT_EQ(Run({"GET", "k"}), "\"mine\"");
  EXPECT_EQ(Run({"MOVE", "k", "0"}), "-ERR source and destination objects are the same");
  EXPECT_EQ(Run({"MOVE", "k", "notanumber"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"MOVE", "k", "16"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"MOVE", "k", "2147483648"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647");
}

TEST_F(KeyspaceCommandsTest, SwapDb) {
  EXPECT_EQ(Run({"SET", "zero", "0", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"SET", "both", "in0"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "both", "in1"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":2");
  EXPECT_EQ(Run({"GET", "zero"}), "\"0\"");
  EXPECT_EQ(Run({"TTL", "zero"}), ":100");
  EXPECT_EQ(Run({"GET", "both"}), "\"in0\"");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  EXPECT_EQ(Run({"GET", "both"}), "\"in1\"");
  EXPECT_EQ(InfoField(client_.get(), "keyspace", "db0"), "keys=1,expires=0,avg_ttl=0");
  EXPECT_EQ(InfoField(client_.get(), "keyspace", "db1").substr(0, 16), "keys=2,expires=1");
  EXPECT_EQ(Run({"SWAPDB", "3", "3"}), "+OK");
  // Redis's errors.
  EXPECT_EQ(Run({"SWAPDB", "a", "0"}), "-ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "a"}), "-ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "99", "a"}), "-ERR invalid second DB index");
  EXPECT_EQ(Run({"SWAPDB", "0", "16"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"SWAPDB", "-1", "0"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"SWAPDB", "2147483648", "0"}), "-ERR invalid first DB index");
  EXPECT_EQ(Run({"SWAPDB", "0"}), "-ERR wrong number of arguments for 'swapdb' command");
  // The swap is durable.
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"GET", "both"}), "\"in1\"");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"GET", "zero"}), "\"0\"");
  EXPECT_EQ(Run({"DBSIZE"}), ":2");
}

TEST_F(KeyspaceCommandsTest, SwapDbTouchesWatchedKeys) {
  // A watched key that exists is touched (SWAPDB "deletes" it).
  EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
  // A watched key that does not exist is touched when the other database has it.
  EXPECT_EQ(Run({"FLUSHALL"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "y", "30"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "y"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "1"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
  // Keys in neither database, or in others, are not touched.
  EXPECT_EQ(Run({"SET", "z", "1"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "absent", "z"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "2", "3"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
  EXPECT_EQ(Run({"WATCH", "absent"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "5"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
  // Inside MULTI, SWAPDB runs with EXEC.
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SWAPDB", "0", "5"}), "+QUEUED");
  EXPECT_EQ(Run({"GET", "z"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK, \"1\"]");
}

TEST_F(KeyspaceCommandsTest, RandomKeyAndTouch) {
  EXPECT_EQ(Run({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(Run({"SET", "foo", "x"}), "+OK");
  EXPECT_EQ(Run({"SET", "bar", "y"}), "+OK");
  std::set<std::string> seen;
  for (int i = 0; i < 100 && seen.size() < 2; ++i) seen.insert(Run({"RANDOMKEY"}));
  EXPECT_EQ(seen, (std::set<std::string>{"\"foo\"", "\"bar\""}));
  EXPECT_EQ(Run({"DEL", "foo", "bar"}), ":2");
  EXPECT_EQ(Run({"RANDOMKEY"}), "(nil)");
  EXPECT_EQ(Run({"RANDOMKEY", "x"}), "-ERR wrong number of arguments for 'randomkey' command");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"TOUCH", "k", "k", "nokey"}), ":2");
  EXPECT_EQ(Run({"TOUCH"}), "-ERR wrong number of arguments for 'touch' command");
}

TEST_F(KeyspaceCommandsTest, WaitAnswersZeroReplicas) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"WAIT", "0", "0"}), ":0");
  EXPECT_EQ(Run({"WAIT", "-1", "100"}), ":0");
  EXPECT_EQ(Run({"WAIT", "a", "0"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"WAIT", "0", "a"}), "-ERR timeout is not an integer or out of range");
  EXPECT_EQ(Run({"WAIT", "0", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(Run({"WAIT", "0"}), "-ERR wrong number of arguments for 'wait' command");
}

TEST_F(KeyspaceCommandsTest, DumpAndRestore) {
  EXPECT_EQ(Run({"DUMP", "nokey"}), "(nil)");
  const std::vector<std::string> values = {"hello",
                                           "12345",
                                           "-7",
                                           "100000",
                                           "",
                                           "007",
                                           std::string(20000, 'z'),
                                           std::string("bin\0\r\n", 6)};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = "k" + std::to_string(i);
    EXPECT_EQ(Run({"SET", key, values[i]}), "+OK");
    const std::string payload = Bytes(client_.get(), {"DUMP", key});
    EXPECT_EQ(Run({"RESTORE", "r" + std::to_string(i), "0", payload}), "+OK");
    ReplyPtr got = client_->Command({"GET", "r" + std::to_string(i)});
    ASSERT_TRUE(got != nullptr && got->type == REDIS_REPLY_STRING);
    EXPECT_EQ(std::string(got->str, got->len), values[i]) << i;
    EXPECT_EQ(Run({"TTL", "r" + std::to_string(i)}), ":-1");
  }
  const std::string payload = Bytes(client_.get(), {"DUMP", "k0"});
  // TTL, ABSTTL, REPLACE, BUSYKEY.
  EXPECT_EQ(Run({"RESTORE", "k0", "0", payload}), "-BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"RESTORE", "k0", "100000", payload, "REPLACE"}), "+OK");
  EXPECT_EQ(Run({"TTL", "k0"}), ":100");
  EXPECT_EQ(Run({"RESTORE", "abs", "4000000000000", payload, "ABSTTL"}), "+OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "abs"}), ":4000000000000");
  // A deadline already past: nothing is created, and REPLACE deletes the old key.
  EXPECT_EQ(Run({"RESTORE", "past", "1", payload, "ABSTTL"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "past"}), ":0");
  EXPECT_EQ(Run({"RESTORE", "abs", "1", payload, "ABSTTL", "REPLACE"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "abs"}), ":0");
  EXPECT_EQ(Run({"RESTORE", "idle", "0", payload, "IDLETIME", "1000"}), "+OK");
  EXPECT_EQ(Run({"RESTORE", "freq", "0", payload, "FREQ", "100"}), "+OK");
  EXPECT_EQ(Run({"GET", "freq"}), "\"hello\"");
  // Errors, in Redis's order.
  EXPECT_EQ(Run({"RESTORE", "x", "-1", payload}), "-ERR Invalid TTL value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "x", "a", payload}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"RESTORE", "k0", "-1", payload}), "-BUSYKEY Target key name already exists.");
  EXPECT_EQ(Run({"RESTORE", "x", "0", "garbage"}),
            "-ERR DUMP payload version or checksum are wrong");
  std::string corrupted = payload;
  corrupted[2] ^= 1;
  EXPECT_EQ(Run({"RESTORE", "x", "0", corrupted}),
            "-ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FOO"}), "-ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME", "-1"}),
            "-ERR Invalid IDLETIME value, must be >= 0");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FREQ", "256"}),
            "-ERR Invalid FREQ value, must be >= 0 and <= 255");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "FREQ", "1", "IDLETIME", "1"}), "-ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload, "IDLETIME"}), "-ERR syntax error");
  EXPECT_EQ(Run({"RESTORE", "x", "0"}), "-ERR wrong number of arguments for 'restore' command");
  EXPECT_EQ(Run({"EXISTS", "x"}), ":0");
}

// Values dumped by Debian's redis-server restore in the server under test, and the other way
// round; a long compressible value is LZF-compressed by Redis.
TEST_F(KeyspaceCommandsTest, DumpPayloadsMoveToAndFromRedis) {
  if (access(kRedisServer, X_OK) != 0) {
    GTEST_SKIP() << kRedisServer << " is not installed (Debian's redis-server package)";
  }
  ServerProcess redis(kRedisServer);
  Client other;
  ASSERT_NO_FATAL_FAILURE(StartRedis(&redis, &other));
  std::string compressible;
  for (int i = 0; i < 1000; ++i) compressible += "abcdefgh" + std::to_string(i % 10);
  const std::vector<std::string> values = {
      "hello", "12345", "-7", "100000", "", "9223372036854775807", compressible};
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string key = "v" + std::to_string(i);
    SCOPED_TRACE(key);
    // Redis -> server under test.
    EXPECT_EQ(other.Run({"SET", key, values[i]}), "+OK");
    const std::string from_redis = Bytes(&other, {"DUMP", key});
    EXPECT_EQ(Run({"RESTORE", key, "0", from_redis}), "+OK");
    ReplyPtr got = client_->Command({"GET", key});
    ASSERT_TRUE(got != nullptr && got->type == REDIS_REPLY_STRING);
    EXPECT_EQ(std::string(got->str, got->len), values[i]);
    // Server under test -> Redis.
    const std::string to_redis = Bytes(client_.get(), {"DUMP", key});
    EXPECT_EQ(other.Run({"RESTORE", key + "back", "0", to_redis}), "+OK");
    got = other.Command({"GET", key + "back"});
    ASSERT_TRUE(got != nullptr && got->type == REDIS_REPLY_STRING);
    EXPECT_EQ(std::string(got->str, got->len), values[i]);
  }
  // Redis compressed the long value (it would be longer otherwise).
  EXPECT_LT(Bytes(&other, {"DUMP", "v6"}).size(), compressible.size() / 2);
}

// Lists, sets, hashes and sorted sets: DUMP and RESTORE within the server (deadline, REPLACE of
// another type, a past deadline, refused payloads), and both ways with Redis in each encoding it
// writes (listpack, intset, quicklist with compressed nodes, hashtable, skiplist).
TEST_F(KeyspaceCommandsTest, DumpAndRestoreEveryType) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "12", "", "a"}), ":4");
  EXPECT_EQ(Run({"SADD", "s", "x", "5", "-3"}), ":3");
  EXPECT_EQ(Run({"HSET", "h", "f", "v", "n", "1"}), ":2");
  EXPECT_EQ(Run({"ZADD", "z", "1.5", "a", "-inf", "b", "3", "c"}), ":3");
  const std::vector<std::pair<std::string, std::string>> reads = {
      {"l", "LRANGE"}, {"s", "SMEMBERS"}, {"h", "HGETALL"}, {"z", "ZRANGE"}};
  // A value's contents, in an order that does not depend on how it is stored.
  const auto read = [](Client* client, const std::string& command, const std::string& key) {
    if (command == "LRANGE") return client->Run({"LRANGE", key, "0", "-1"});
    if (command == "ZRANGE") return client->Run({"ZRANGE", key, "0", "-1", "WITHSCORES"});
    if (command == "SMEMBERS") return client->Run({"SORT", key, "ALPHA"});
    ReplyPtr all = client->Command({"HGETALL", key});
    const std::vector<std::string> flat = ArrayStrings(all.get());
    std::set<std::pair<std::string, std::string>> pairs;
    for (size_t i = 0; i + 1 < flat.size(); i += 2) pairs.emplace(flat[i], flat[i + 1]);
    std::string out;
    for (const auto& [field, value] : pairs) out += field + "=" + value + ";";
    return out;
  };
  for (const auto& [key, command] : reads) {
    SCOPED_TRACE(key);
    const std::string payload = Bytes(client_.get(), {"DUMP", key});
    EXPECT_EQ(Run({"RESTORE", key + "2", "100000", payload}), "+OK");
    EXPECT_EQ(read(client_.get(), command, key + "2"), read(client_.get(), command, key));
    EXPECT_EQ(Run({"TTL", key + "2"}), ":100");
    EXPECT_EQ(Run({"TYPE", key + "2"}), Run({"TYPE", key}));
    // Over a string, with REPLACE; then a past deadline deletes what was there.
    EXPECT_EQ(Run({"SET", "t", "v"}), "+OK");
    EXPECT_EQ(Run({"RESTORE", "t", "0", payload}), "-BUSYKEY Target key name already exists.");
    EXPECT_EQ(Run({"RESTORE", "t", "0", payload, "REPLACE"}), "+OK");
    EXPECT_EQ(read(client_.get(), command, "t"), read(client_.get(), command, key));
    EXPECT_EQ(Run({"TTL", "t"}), ":-1");
    EXPECT_EQ(Run({"RESTORE", "t", "1", payload, "ABSTTL", "REPLACE"}), "+OK");
    EXPECT_EQ(Run({"EXISTS", "t"}), ":0");
  }
  // A restored list wakes a client blocked on it.
  auto blocked = ConnectRaw();
  ASSERT_NE(blocked, nullptr);
  ASSERT_TRUE(blocked->Send("BLPOP fresh 10\r\n"));
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"RESTORE", "fresh", "0", Bytes(client_.get(), {"DUMP", "l"})}), "+OK");
  EXPECT_EQ(blocked->Read(std::string("*2\r\n$5\r\nfresh\r\n$1\r\na\r\n").size()),
            "*2\r\n$5\r\nfresh\r\n$1\r\na\r\n");
  // Both ways with Redis.
  if (access(kRedisServer, X_OK) != 0) {
    GTEST_SKIP() << kRedisServer << " is not installed (Debian's redis-server package)";
  }
  ServerProcess redis(kRedisServer);
  Client other;
  ASSERT_NO_FATAL_FAILURE(StartRedis(&redis, &other));
  EXPECT_EQ(other.Run({"CONFIG", "SET", "list-max-listpack-size", "4", "list-compress-depth", "1"}),
            "+OK");
  std::vector<std::string> push = {"RPUSH", "ql"};
  for (int i = 0; i < 30; ++i) push.push_back(std::string(40, 'q') + std::to_string(i));
  EXPECT_EQ(other.Run(push), ":30");
  EXPECT_EQ(other.Run({"RPUSH", "sl", "a", "1", "-5", "70000", "", "9223372036854775807"}), ":6");
  EXPECT_EQ(other.Run({"SADD", "is", "1", "-2", "300", "4294967296"}), ":4");
  std::vector<std::string> sadd = {"SADD", "hs"};
  for (int i = 0; i < 600; ++i) sadd.push_back("m" + std::to_string(i));
  EXPECT_EQ(other.Run(sadd), ":600");
  EXPECT_EQ(other.Run({"HSET", "lh", "f", "v", "n", "12345", "e", ""}), ":3");
  std::vector<std::string> hset = {"HSET", "bh"};
  for (int i = 0; i < 600; ++i) {
    hset.push_back("f" + std::to_string(i));
    hset.push_back(std::to_string(i * 7));
  }
  EXPECT_EQ(other.Run(hset), ":600");
  EXPECT_EQ(other.Run({"ZADD", "lz", "1", "a", "2.5", "b", "-3", "c", "-inf", "d"}), ":4");
  std::vector<std::string> zadd = {"ZADD", "bz"};
  for (int i = 0; i < 200; ++i) {
    zadd.push_back(std::to_string(i) + ".25");
    zadd.push_back("m" + std::to_string(i));
  }
  EXPECT_EQ(other.Run(zadd), ":200");
  const std::vector<std::pair<std::string, std::string>> keys = {
      {"ql", "LRANGE"},  {"sl", "LRANGE"},  {"is", "SMEMBERS"}, {"hs", "SMEMBERS"},
      {"lh", "HGETALL"}, {"bh", "HGETALL"}, {"lz", "ZRANGE"},   {"bz", "ZRANGE"}};
  for (const auto& [key, command] : keys) {
    SCOPED_TRACE(key + " (" + other.Run({"OBJECT", "ENCODING", key}) + ")");
    EXPECT_EQ(Run({"RESTORE", key, "0", Bytes(&other, {"DUMP", key})}), "+OK");
    const std::string expected = read(&other, command, key);
    EXPECT_EQ(read(client_.get(), command, key), expected);
    EXPECT_EQ(other.Run({"RESTORE", key + "back", "0", Bytes(client_.get(), {"DUMP", key})}),
              "+OK");
    EXPECT_EQ(read(&other, command, key + "back"), expected);
  }
}

TEST_F(KeyspaceCommandsTest, ScanTypeKeysFlushAndUnlink) {
  for (const char* key : {"user:1", "user:2", "user:10", "other", "u*ser"}) {
    EXPECT_EQ(Run({"SET", key, "v"}), "+OK");
  }
  ReplyPtr scan = client_->Command({"SCAN", "0", "TYPE", "string", "COUNT", "100"});
  ASSERT_TRUE(scan != nullptr && scan->type == REDIS_REPLY_ARRAY && scan->elements == 2);
  EXPECT_EQ(scan->element[1]->elements, 5u);
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "list", "COUNT", "100"}), "[\"0\", []]");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "STRING", "MATCH", "other", "COUNT", "100"}),
            "[\"0\", [\"other\"]]");
  ReplyPtr keys = client_->Command({"KEYS", "user:?"});
  std::vector<std::string> names = ArrayStrings(keys.get());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"user:1", "user:2"}));
  keys = client_->Command({"KEYS", "u\\*ser"});
  EXPECT_EQ(ArrayStrings(keys.get()), std::vector<std::string>{"u*ser"});
  keys = client_->Command({"KEYS", "user:[12]*"});
  names = ArrayStrings(keys.get());
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()),
            (std::set<std::string>{"user:1", "user:2", "user:10"}));
  EXPECT_EQ(Run({"UNLINK", "user:1", "user:1", "nokey"}), ":1");
  EXPECT_EQ(Run({"FLUSHDB", "ASYNC"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"FLUSHDB", "sync"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"FLUSHALL", "ASYNC"}), "+OK");
  EXPECT_EQ(Run({"FLUSHALL", "SYNC"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"FLUSHDB", "LATER"}), "-ERR syntax error");
  EXPECT_EQ(Run({"FLUSHALL", "SYNC", "ASYNC"}), "-ERR syntax error");
}

}  // namespace
}  // namespace shale::integration
