// Replication, the primary's side: SYNC and PSYNC give a snapshot in RDB format (checked with
// redis-check-rdb) followed by the command stream in Redis's form (absolute deadlines, DEL for
// expired keys, MULTI/EXEC around transactions, SELECT), PSYNC continues from the backlog,
// Debian's redis-server follows Shale as a replica (data before and after it attached, WAIT,
// ROLE, INFO replication, min-replicas-to-write), and Shale follows Redis and another Shale
// (REPLICAOF: snapshot, stream, READONLY, promotion).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

constexpr const char* kRedisServer = "/usr/bin/redis-server";
constexpr const char* kRedisCheckRdb = "/usr/bin/redis-check-rdb";

class ReplicationTest : public ServerFixture {
 protected:
  // Sends `handshake` on a new raw connection and reads the snapshot that follows: a
  // "+FULLRESYNC <id> <offset>" line first for PSYNC (in *first_line), then $<length> and the
  // RDB file (in *rdb).
  std::unique_ptr<RawConnection> Attach(const std::string& handshake, std::string* first_line,
                                        std::string* rdb) {
    // As Redis's harness does: no PING in the stream while the test reads it.
    EXPECT_EQ(Run({"CONFIG", "SET", "repl-ping-replica-period", "3600"}), "+OK");
    std::unique_ptr<RawConnection> raw = ConnectRaw();
    if (raw == nullptr) return nullptr;
    EXPECT_TRUE(raw->Send(handshake));
    if (first_line != nullptr) *first_line = ReadLine(raw.get());
    const std::string header = ReadLine(raw.get());
    EXPECT_EQ(header.substr(0, 1), "$") << header;
    if (header.empty() || header[0] != '$') return nullptr;
    const size_t length = std::stoul(header.substr(1));
    *rdb = raw->Read(length);
    EXPECT_EQ(rdb->size(), length);
    return raw;
  }
  static std::string ReadLine(RawConnection* raw) {
    std::string line;
    while (line.size() < 2 || line.compare(line.size() - 2, 2, "\r\n") != 0) {
      const std::string byte = raw->Read(1);
      if (byte.empty()) return line;
      line += byte;
    }
    return line.substr(0, line.size() - 2);
  }
  static bool StartsWith(const std::string& text, const std::string& prefix) {
    const bool starts = text.compare(0, prefix.size(), prefix) == 0;
    EXPECT_TRUE(starts) << text << " does not start with " << prefix;
    return starts;
  }
  // The next command of the stream as text ([SET, a, b]).
  static std::string NextCommand(RawConnection* raw) { return raw->ReadReplyText(); }
  // Whether redis-check-rdb accepts `rdb` (true when it is not installed: nothing to ask).
  static void ExpectValidRdb(const std::string& rdb) {
    if (access(kRedisCheckRdb, X_OK) != 0) return;
    char path[] = "/tmp/shale-rdb-XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, rdb.data(), rdb.size()), static_cast<ssize_t>(rdb.size()));
    close(fd);
    const std::string command = std::string(kRedisCheckRdb) + " " + path + " >/dev/null 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << "redis-check-rdb refused the snapshot";
    unlink(path);
  }
};

TEST_F(ReplicationTest, SyncSendsASnapshotThenTheCommandStream) {
  // Every type, a deadline, and two databases in the snapshot.
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"SET", "n", "12345", "EX", "1000"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c"}), ":3");
  EXPECT_EQ(Run({"SADD", "set", "x", "y"}), ":2");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1");
  EXPECT_EQ(Run({"ZADD", "z", "1.5", "m"}), ":1");
  EXPECT_EQ(Run({"XADD", "x", "1-1", "f", "v"}), "\"1-1\"");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "x", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"}).substr(0, 7), "[[\"x\", ");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"SET", "in3", "v"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");

  std::string rdb;
  std::unique_ptr<RawConnection> replica = Attach("SYNC\r\n", nullptr, &rdb);
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(rdb.substr(0, 9), "REDIS0010");
  for (const char* key : {"s", "n", "l", "set", "h", "z", "in3"}) {
    EXPECT_NE(rdb.find(key), std::string::npos) << key;
  }
  ExpectValidRdb(rdb);

  // Relative deadlines become absolute; INCRBYFLOAT goes as its result.
  EXPECT_EQ(Run({"SET", "a", "b", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"EXPIRE", "s", "100"}), ":1");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1.5"}), "\"1.5\"");
  EXPECT_EQ(Run({"GETDEL", "a"}), "\"b\"");
  // A write that changes nothing is not propagated.
  EXPECT_EQ(Run({"DEL", "nothing"}), ":0");
  // A transaction of several writes goes as MULTI ... EXEC, without its reads.
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "t1", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"GET", "t1"}), "+QUEUED");
  EXPECT_EQ(Run({"SET", "t2", "2"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK, \"1\", +OK]");
  // Another database: SELECT first.
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"LPUSH", "l3", "x"}), ":1");
  // A key whose deadline passed goes as DEL when a read finds it.
  EXPECT_EQ(Run({"SET", "gone", "v", "PX", "1"}), "+OK");
  const auto deadline_passed = [&] { return Run({"PTTL", "gone"}) == ":-2"; };
  ASSERT_TRUE(WaitUntil(deadline_passed, std::chrono::seconds(10)));

  EXPECT_EQ(NextCommand(replica.get()), "[\"SELECT\", \"0\"]");
  EXPECT_TRUE(StartsWith(NextCommand(replica.get()), "[\"SET\", \"a\", \"b\", \"PXAT\", \"1"));
  EXPECT_TRUE(StartsWith(NextCommand(replica.get()), "[\"PEXPIREAT\", \"s\", \"1"));
  EXPECT_EQ(NextCommand(replica.get()), "[\"SET\", \"f\", \"1.5\", \"KEEPTTL\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"DEL\", \"a\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"MULTI\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SET\", \"t1\", \"1\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SET\", \"t2\", \"2\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"EXEC\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SELECT\", \"3\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"LPUSH\", \"l3\", \"x\"]");
  EXPECT_TRUE(StartsWith(NextCommand(replica.get()), "[\"SET\", \"gone\", \"v\", \"PXAT\""));
  EXPECT_EQ(NextCommand(replica.get()), "[\"DEL\", \"gone\"]");

  // The replica is listed as one, and gets no replies of its own.
  bool listed = false;
  for (const std::string& line : ClientListLines()) {
    if (line.find("flags=S") != std::string::npos) listed = true;
  }
  EXPECT_TRUE(listed);
  EXPECT_EQ(InfoField(client_.get(), "replication", "connected_slaves"), "1");
  EXPECT_EQ(InfoField(client_.get(), "replication", "repl_backlog_active"), "1");
}

TEST_F(ReplicationTest, ScriptsPropagateTheirEffects) {
  std::string rdb;
  std::unique_ptr<RawConnection> replica = Attach("SYNC\r\n", nullptr, &rdb);
  ASSERT_NE(replica, nullptr);
  // Several writes: in MULTI/EXEC; the reads and the script itself are not sent.
  EXPECT_EQ(Run({"EVAL",
                 "redis.call('set', KEYS[1], 'a') redis.call('get', KEYS[1]) "
                 "redis.call('incrby', KEYS[2], 2) return 1",
                 "2", "s1", "n1"}),
            ":1");
  // One write alone; a script that writes nothing sends nothing.
  EXPECT_EQ(Run({"EVAL", "return redis.call('del', 'missing')", "0"}), ":0");
  EXPECT_EQ(Run({"EVAL", "return redis.call('lpush', 'l', 'x')", "0"}), ":1");
  // redis.set_repl(REPL_NONE): what follows stays here.
  EXPECT_EQ(Run({"EVAL",
                 "redis.set_repl(redis.REPL_NONE) redis.call('set', 'local', '1') "
                 "redis.set_repl(redis.REPL_ALL) redis.call('set', 'shared', '1') return 1",
                 "0"}),
            ":1");
  EXPECT_EQ(Run({"GET", "local"}), "\"1\"");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SELECT\", \"0\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"MULTI\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"set\", \"s1\", \"a\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"incrby\", \"n1\", \"2\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"EXEC\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"lpush\", \"l\", \"x\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"set\", \"shared\", \"1\"]");
}

TEST_F(ReplicationTest, FunctionLibrariesReachReplicasBothWays) {
  if (IsRedis() || access(kRedisServer, X_OK) != 0) GTEST_SKIP() << "needs Debian's redis-server";
  const std::string before =
      "#!lua name=before\nredis.register_function{function_name = 'one', flags = {'no-writes'}, "
      "callback = function() return 1 end}";
  EXPECT_EQ(Run({"FUNCTION", "LOAD", before}), "\"before\"");
  // A Redis replica gets the library in the snapshot, and a later one in the stream.
  ServerProcess redis(kRedisServer);
  std::string error;
  ASSERT_TRUE(redis.Start({"--replicaof", "127.0.0.1", std::to_string(server_.port())}, &error))
      << error;
  Client replica;
  ASSERT_TRUE(replica.Connect(redis.port(), &error)) << error;
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(&replica, "replication", "master_link_status") == "up"; },
                std::chrono::seconds(30)))
      << redis.ReadLog();
  EXPECT_EQ(Run({"FUNCTION", "LOAD",
                 "#!lua name=after\nredis.register_function{function_name = 'two', flags = "
                 "{'no-writes'}, callback = function() return 2 end}"}),
            "\"after\"");
  EXPECT_EQ(Run({"WAIT", "1", "10000"}), ":1");
  EXPECT_EQ(replica.Run({"FCALL", "one", "0"}), ":1");
  EXPECT_EQ(replica.Run({"FCALL", "two", "0"}), ":2");
  redis.Kill();

  // Shale follows a Redis primary holding a library: the snapshot's library replaces its own.
  ServerProcess primary(kRedisServer);
  ASSERT_TRUE(primary.Start({}, &error)) << error;
  Client to_primary;
  ASSERT_TRUE(to_primary.Connect(primary.port(), &error)) << error;
  EXPECT_EQ(to_primary.Run({"FUNCTION", "LOAD",
                            "#!lua name=redislib\nredis.register_function{function_name = "
                            "'three', flags = {'no-writes'}, callback = function() return 3 end}"}),
            "\"redislib\"");
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", std::to_string(primary.port())}), "+OK");
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Run({"FCALL", "three", "0"}) == ":3";
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(Run({"FCALL", "one", "0"}), "-ERR Function not found");
  EXPECT_EQ(Run({"REPLICAOF", "NO", "ONE"}), "+OK");
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"FCALL", "three", "0"}), ":3") << "stored in the engine";
}

TEST_F(ReplicationTest, PsyncContinuesFromTheBacklog) {
  std::string line;
  std::string rdb;
  std::unique_ptr<RawConnection> replica = Attach("PSYNC ? -1\r\n", &line, &rdb);
  ASSERT_NE(replica, nullptr);
  ASSERT_TRUE(StartsWith(line, "+FULLRESYNC "));
  const std::string replid = line.substr(12, 40);
  const uint64_t offset = std::stoull(line.substr(53));
  ExpectValidRdb(rdb);

  EXPECT_EQ(Run({"SET", "k1", "v1"}), "+OK");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SELECT\", \"0\"]");
  EXPECT_EQ(NextCommand(replica.get()), "[\"SET\", \"k1\", \"v1\"]");
  // What the replica has processed: the stream so far.
  const uint64_t processed =
      std::stoull(InfoField(client_.get(), "replication", "master_repl_offset"));
  ASSERT_GT(processed, offset);
  replica->Close();
  ASSERT_TRUE(WaitForClientCount(1));

  // Written while it was away, then asked for from where it stopped.
  EXPECT_EQ(Run({"SET", "k2", "v2"}), "+OK");
  std::unique_ptr<RawConnection> again = ConnectRaw();
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Send("PSYNC " + replid + " " + std::to_string(processed + 1) + "\r\n"));
  EXPECT_EQ(ReadLine(again.get()), "+CONTINUE " + replid);
  EXPECT_EQ(NextCommand(again.get()), "[\"SET\", \"k2\", \"v2\"]");

  // Another history (or an offset the backlog no longer has) resynchronises fully.
  std::unique_ptr<RawConnection> other = ConnectRaw();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->Send("PSYNC " + std::string(40, 'a') + " 5\r\n"));
  EXPECT_TRUE(StartsWith(ReadLine(other.get()), "+FULLRESYNC "));

  // REPLCONF's errors.
  EXPECT_EQ(Run({"REPLCONF", "listening-port"}), "-ERR syntax error");
  EXPECT_EQ(Run({"REPLCONF", "nosuch", "1"}), "-ERR Unrecognized REPLCONF option: nosuch");
  EXPECT_EQ(Run({"REPLCONF", "capa", "eof"}), "+OK");
  EXPECT_TRUE(StartsWith(Run({"ROLE"}), "[\"master\", :"));
}

TEST_F(ReplicationTest, WaitTimesOutWithoutReplicasAndMinReplicasRefusesWrites) {
  EXPECT_EQ(Run({"WAIT", "0", "0"}), ":0");
  // No replica: the timeout (ms) ends the wait.
  EXPECT_EQ(Run({"WAIT", "1", "100"}), ":0");
  EXPECT_EQ(Run({"CONFIG", "SET", "min-replicas-to-write", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "k", "v"}), "-NOREPLICAS Not enough good replicas to write.");
  EXPECT_EQ(Run({"WAIT", "x", "0"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"WAIT", "1", "-1"}), "-ERR timeout is negative");
}

// Debian's redis-server as a replica of Shale: it loads the snapshot, applies the stream, and
// ends with the same data; WAIT counts it; min-replicas-to-write lets writes through.
TEST_F(ReplicationTest, RedisFollowsShaleAsAReplica) {
  if (IsRedis() || access(kRedisServer, X_OK) != 0) GTEST_SKIP() << "needs Debian's redis-server";
  EXPECT_EQ(Run({"SET", "before", "1"}), "+OK");
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), ":2");
  EXPECT_EQ(Run({"ZADD", "z", "1", "one", "2", "two"}), ":2");
  EXPECT_EQ(Run({"SET", "ttl", "v", "EX", "1000"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "2"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "1", "2", "3"}), ":3");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");

  ServerProcess redis(kRedisServer);
  std::string error;
  ASSERT_TRUE(redis.Start({"--replicaof", "127.0.0.1", std::to_string(server_.port())}, &error))
      << error;
  Client replica;
  ASSERT_TRUE(replica.Connect(redis.port(), &error)) << error;
  const auto link_up = [&] {
    return InfoField(&replica, "replication", "master_link_status") == "up";
  };
  ASSERT_TRUE(WaitUntil(link_up, std::chrono::seconds(30))) << redis.ReadLog();

  EXPECT_EQ(Run({"SET", "after", "2"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "\"0.1\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "a", "1.5"}), "\"2.5\"");
  EXPECT_EQ(Run({"DEL", "before"}), ":1");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SADD", "s", "x"}), "+QUEUED");
  EXPECT_EQ(Run({"EXPIRE", "s", "500"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:1, :1]");
  // WAIT: the replica acknowledges everything written so far.
  EXPECT_EQ(Run({"WAIT", "1", "10000"}), ":1");

  EXPECT_EQ(replica.Run({"GET", "before"}), "(nil)");
  EXPECT_EQ(replica.Run({"GET", "after"}), "\"2\"");
  EXPECT_EQ(replica.Run({"GET", "f"}), "\"0.1\"");
  EXPECT_EQ(replica.Run({"HGETALL", "h"}), "[\"a\", \"2.5\", \"b\", \"2\"]");
  EXPECT_EQ(replica.Run({"ZRANGE", "z", "0", "-1", "WITHSCORES"}),
            "[\"one\", \"1\", \"two\", \"2\"]");
  EXPECT_EQ(replica.Run({"SMEMBERS", "s"}), "[\"x\"]");
  // Deadlines are the same absolute times on both.
  EXPECT_EQ(replica.Run({"PEXPIRETIME", "ttl"}), Run({"PEXPIRETIME", "ttl"}));
  EXPECT_EQ(replica.Run({"PEXPIRETIME", "s"}), Run({"PEXPIRETIME", "s"}));
  EXPECT_EQ(replica.Run({"SELECT", "2"}), "+OK");
  EXPECT_EQ(replica.Run({"LRANGE", "l", "0", "-1"}), "[\"1\", \"2\", \"3\"]");

  EXPECT_EQ(InfoField(client_.get(), "replication", "connected_slaves"), "1");
  EXPECT_EQ(Run({"CONFIG", "SET", "min-replicas-to-write", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "guarded", "v"}), "+OK");
  EXPECT_EQ(Run({"WAIT", "1", "10000"}), ":1");
  EXPECT_EQ(replica.Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(replica.Run({"GET", "guarded"}), "\"v\"");
}

// Streams as Redis propagates them: XADD with the ID it made and its approximate trimming made
// exact; XREADGROUP, XCLAIM and XAUTOCLAIM as XCLAIM ... FORCE JUSTID and XGROUP SETID /
// CREATECONSUMER. Redis, following Shale, ends with the same streams, groups and pending lists.
TEST_F(ReplicationTest, RedisFollowsShaleStreams) {
  if (IsRedis() || access(kRedisServer, X_OK) != 0) GTEST_SKIP() << "needs Debian's redis-server";
  // A stream with a group and pending entries goes in the snapshot.
  EXPECT_EQ(Run({"XADD", "snap", "1-1", "a", "1"}), "\"1-1\"");
  EXPECT_EQ(Run({"XADD", "snap", "2-2", "b", "2"}), "\"2-2\"");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "snap", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "snap", ">"}),
            "[[\"snap\", [[\"1-1\", [\"a\", \"1\"]]]]]");
  ServerProcess redis(kRedisServer);
  std::string error;
  ASSERT_TRUE(redis.Start({"--replicaof", "127.0.0.1", std::to_string(server_.port())}, &error))
      << error;
  Client replica;
  ASSERT_TRUE(replica.Connect(redis.port(), &error)) << error;
  const auto link_up = [&] {
    return InfoField(&replica, "replication", "master_link_status") == "up";
  };
  ASSERT_TRUE(WaitUntil(link_up, std::chrono::seconds(30))) << redis.ReadLog();

  for (int i = 0; i < 250; ++i) {
    ASSERT_EQ(Run({"XADD", "s", "*", "n", std::to_string(i)}).substr(0, 1), "\"");
  }
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "~", "120", "*", "n", "last"}).substr(0, 1), "\"");
  EXPECT_EQ(Run({"XLEN", "s"}), ":151");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "$"}), "+OK");
  EXPECT_EQ(
      Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "s", ">"}).substr(0, 7),
      "[[\"s\", ");
  EXPECT_EQ(
      Run({"XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">"}).substr(0, 7),
      "[[\"s\", ");
  // NOACK by a consumer that exists: Redis 7.0 propagates no consumer XREADGROUP creates by
  // itself (the XCLAIMs of its deliveries make it), so a new one reading NOACK stays here.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "NOACK", "COUNT", "2", "STREAMS", "s", ">"})
                .substr(0, 7),
            "[[\"s\", ");
  ReplyPtr head = client_->Command({"XRANGE", "s", "-", "+", "COUNT", "1"});
  ASSERT_TRUE(head != nullptr && head->type == REDIS_REPLY_ARRAY && head->elements == 1);
  const std::string first_id = ReplyString(head->element[0]->element[0]);
  EXPECT_EQ(Run({"XACK", "s", "g", first_id}), ":1");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "dan", "0", "0", "COUNT", "2", "JUSTID"}).substr(0, 1),
            "[");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "h", "erin"}), ":1");
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "~", "0"}), ":0");
  EXPECT_EQ(Run({"XADD", "t", "1-1", "f", "v"}), "\"1-1\"");
  EXPECT_EQ(Run({"XDEL", "t", "1-1"}), ":1");
  EXPECT_EQ(Run({"XSETID", "t", "5-5", "ENTRIESADDED", "9"}), "+OK");
  EXPECT_EQ(Run({"WAIT", "1", "10000"}), ":1");

  for (const std::vector<std::string>& read :
       std::vector<std::vector<std::string>>{{"XRANGE", "s", "-", "+"},
                                             {"XINFO", "GROUPS", "s"},
                                             {"XPENDING", "s", "g"},
                                             {"XINFO", "STREAM", "t"},
                                             {"XINFO", "STREAM", "snap", "FULL"}}) {
    EXPECT_EQ(replica.Run(read), Run(read)) << read[0] << " " << read[1];
  }
  // XINFO STREAM but its radix tree's shape, which is Redis's own.
  const std::string ours = Run({"XINFO", "STREAM", "s"});
  const std::string theirs = replica.Run({"XINFO", "STREAM", "s"});
  const size_t from = ours.find("\"last-generated-id\"");
  ASSERT_NE(from, std::string::npos) << ours;
  EXPECT_EQ(ours.substr(from), theirs.substr(theirs.find("\"last-generated-id\""))) << theirs;
  EXPECT_EQ(ours.substr(0, 14), theirs.substr(0, 14));
  // The pending entries: same IDs, owners, delivery counts and delivery times.
  const auto pending = [](Client* client) {
    std::vector<std::string> out;
    ReplyPtr reply = client->Command({"XINFO", "STREAM", "s", "FULL"});
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
      if (ReplyString(reply->element[i]) != "groups") continue;
      out.push_back(Describe(reply->element[i + 1]));
    }
    return out;
  };
  const std::vector<std::string> our_groups = pending(client_.get());
  ASSERT_EQ(our_groups.size(), 1u);
  // Consumers' seen-times are each server's own clock.
  const auto cut = [](const std::string& text) { return text.substr(0, text.find("consumers")); };
  EXPECT_EQ(cut(our_groups[0]), cut(pending(&replica).at(0)));
}

// A replica whose primary cannot be reached: with replica-serve-stale-data no, only the commands
// flagged stale run (MASTERDOWN otherwise, also for an EXEC holding one); writes are READONLY.
TEST_F(ReplicationTest, StaleReplicaRefusesWhatRedisRefuses) {
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK");
  // Port 1: nothing listens there, so the link keeps retrying.
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", "1"}), "+OK");
  EXPECT_EQ(InfoField(client_.get(), "replication", "master_link_status"), "down");
  EXPECT_TRUE(StartsWith(Run({"ROLE"}), "[\"slave\", \"127.0.0.1\", :1, \"conn"));
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
  EXPECT_EQ(Run({"SET", "k", "w"}), "-READONLY You can't write against a read only replica.");
  EXPECT_EQ(Run({"CONFIG", "SET", "replica-serve-stale-data", "no"}), "+OK");
  const std::string masterdown =
      "-MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";
  EXPECT_EQ(Run({"GET", "k"}), masterdown);
  EXPECT_EQ(Run({"PING"}), masterdown);
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), masterdown);
  EXPECT_EQ(Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(InfoField(client_.get(), "replication", "role"), "slave");
  EXPECT_EQ(Run({"REPLICAOF", "NO", "ONE"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
}

// REPLICAOF: Shale follows Debian's redis-server (its snapshot and stream replace Shale's data),
// refuses other clients' writes, then another Shale; REPLICAOF NO ONE keeps the data.
TEST_F(ReplicationTest, ShaleFollowsRedisThenAnotherShale) {
  if (IsRedis() || access(kRedisServer, X_OK) != 0) GTEST_SKIP() << "needs Debian's redis-server";
  EXPECT_EQ(Run({"SET", "mine", "replaced by the primary's data"}), "+OK");
  ServerProcess redis(kRedisServer);
  std::string error;
  ASSERT_TRUE(redis.Start({}, &error)) << error;
  Client primary;
  ASSERT_TRUE(primary.Connect(redis.port(), &error)) << error;
  // Every type, in the encodings Redis 7.0 writes to its RDB, and a deadline.
  EXPECT_EQ(primary.Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(primary.Run({"SET", "num", "42", "PX", "900000"}), "+OK");
  EXPECT_EQ(primary.Run({"RPUSH", "l", "a", "b", "c"}), ":3");
  EXPECT_EQ(primary.Run({"SADD", "ints", "1", "2", "3"}), ":3");
  EXPECT_EQ(primary.Run({"SADD", "words", "x", "y"}), ":2");
  EXPECT_EQ(primary.Run({"HSET", "h", "f", "v"}), ":1");
  EXPECT_EQ(primary.Run({"ZADD", "z", "1", "a", "2.5", "b"}), ":2");
  EXPECT_EQ(primary.Run({"XADD", "x", "1-1", "f", "v"}), "\"1-1\"");
  EXPECT_EQ(primary.Run({"XADD", "x", "2-2", "f", "w"}), "\"2-2\"");
  EXPECT_EQ(primary.Run({"XGROUP", "CREATE", "x", "g", "0"}), "+OK");
  EXPECT_EQ(primary.Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", "x", ">"})
                .substr(0, 7),
            "[[\"x\", ");
  EXPECT_EQ(primary.Run({"SELECT", "4"}), "+OK");
  EXPECT_EQ(primary.Run({"SET", "in4", "v"}), "+OK");
  EXPECT_EQ(primary.Run({"SELECT", "0"}), "+OK");

  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", std::to_string(redis.port())}), "+OK");
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", std::to_string(redis.port())}),
            "+OK Already connected to specified master");
  const auto link_up = [&] {
    return InfoField(client_.get(), "replication", "master_link_status") == "up";
  };
  ASSERT_TRUE(WaitUntil(link_up, std::chrono::seconds(30))) << server_.ReadLog();
  EXPECT_EQ(InfoField(client_.get(), "replication", "role"), "slave");
  EXPECT_EQ(Run({"GET", "mine"}), "(nil)");
  EXPECT_EQ(Run({"GET", "s"}), "\"v\"");
  EXPECT_EQ(Run({"PEXPIRETIME", "num"}), primary.Run({"PEXPIRETIME", "num"}));
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Run({"SCARD", "ints"}), ":3");
  EXPECT_EQ(Run({"SISMEMBER", "words", "y"}), ":1");
  EXPECT_EQ(Run({"HGET", "h", "f"}), "\"v\"");
  EXPECT_EQ(Run({"ZSCORE", "z", "b"}), "\"2.5\"");
  EXPECT_EQ(Run({"XINFO", "STREAM", "x", "FULL"}), primary.Run({"XINFO", "STREAM", "x", "FULL"}))
      << "a stream in the primary's snapshot";
  EXPECT_EQ(Run({"SET", "x", "y"}), "-READONLY You can't write against a read only replica.");

  // The stream: a transaction, a deadline, a deletion, another database.
  EXPECT_EQ(primary.Run({"MULTI"}), "+OK");
  EXPECT_EQ(primary.Run({"INCR", "counter"}), "+QUEUED");
  EXPECT_EQ(primary.Run({"LPUSH", "l", "first"}), "+QUEUED");
  EXPECT_EQ(primary.Run({"EXEC"}), "[:1, :4]");
  EXPECT_EQ(primary.Run({"EXPIRE", "s", "1000"}), ":1");
  EXPECT_EQ(primary.Run({"DEL", "h"}), ":1");
  EXPECT_EQ(primary.Run({"SELECT", "4"}), "+OK");
  EXPECT_EQ(primary.Run({"SET", "last", "done"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "4"}), "+OK");
  const auto caught_up = [&] { return Run({"GET", "last"}) == "\"done\""; };
  ASSERT_TRUE(WaitUntil(caught_up, std::chrono::seconds(30))) << server_.ReadLog();
  EXPECT_EQ(Run({"GET", "in4"}), "\"v\"");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(primary.Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"GET", "counter"}), "\"1\"");
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "\"first\"");
  EXPECT_EQ(Run({"EXISTS", "h"}), ":0");
  EXPECT_EQ(Run({"PEXPIRETIME", "s"}), primary.Run({"PEXPIRETIME", "s"}));
  // Redis sees Shale as its replica.
  EXPECT_EQ(InfoField(&primary, "replication", "connected_slaves"), "1");

  // Another Shale as the primary: its data replaces Redis's.
  ServerProcess other;
  ASSERT_TRUE(other.Start({"--shards", "2"}, &error)) << error;
  Client shale_primary;
  ASSERT_TRUE(shale_primary.Connect(other.port(), &error)) << error;
  EXPECT_EQ(shale_primary.Run({"HSET", "from-shale", "k", "v"}), ":1");
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", std::to_string(other.port())}), "+OK");
  const auto switched = [&] { return Run({"HGET", "from-shale", "k"}) == "\"v\""; };
  ASSERT_TRUE(WaitUntil(switched, std::chrono::seconds(30))) << server_.ReadLog();
  EXPECT_EQ(Run({"EXISTS", "counter"}), ":0");
  EXPECT_EQ(shale_primary.Run({"WAIT", "1", "10000"}), ":1");

  // Promoted: the data stays and writes are taken.
  EXPECT_EQ(Run({"REPLICAOF", "NO", "ONE"}), "+OK");
  EXPECT_EQ(InfoField(client_.get(), "replication", "role"), "master");
  EXPECT_EQ(Run({"SET", "x", "y"}), "+OK");
  EXPECT_EQ(Run({"HGET", "from-shale", "k"}), "\"v\"");
  EXPECT_EQ(Run({"REPLICAOF", "127.0.0.1", "notaport"}),
            "-ERR value is not an integer or out of range");
}

}  // namespace
}  // namespace shale::integration
