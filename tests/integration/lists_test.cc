// List commands (LPUSH ... LMPOP) with Redis 7.0's replies, error texts and argument order; a
// list as one key for DEL, EXISTS, TYPE, SCAN, DBSIZE and TTL; WRONGTYPE both ways; RESP3's
// nulls; MULTI/EXEC; restart; and a damaged table as an error reply. Also passes against Redis
// (SHALE_TEST_SERVER), except the test that damages Shale's files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class ListsTest : public ServerFixture {};

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range";
constexpr const char* kSyntax = "-ERR syntax error";

TEST_F(ListsTest, PushPopAndRange) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c"}), ":3");
  EXPECT_EQ(Run({"LPUSH", "l", "y", "z"}), ":5");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"z\", \"y\", \"a\", \"b\", \"c\"]");
  EXPECT_EQ(Run({"LRANGE", "l", "-2", "100"}), "[\"b\", \"c\"]");
  EXPECT_EQ(Run({"LRANGE", "l", "3", "1"}), "[]");
  EXPECT_EQ(Run({"LRANGE", "missing", "0", "-1"}), "[]");
  EXPECT_EQ(Run({"LLEN", "l"}), ":5");
  EXPECT_EQ(Run({"LLEN", "missing"}), ":0");
  EXPECT_EQ(Run({"LINDEX", "l", "0"}), "\"z\"");
  EXPECT_EQ(Run({"LINDEX", "l", "-1"}), "\"c\"");
  EXPECT_EQ(Run({"LINDEX", "l", "5"}), "(nil)");
  EXPECT_EQ(Run({"LINDEX", "missing", "0"}), "(nil)");
  EXPECT_EQ(Run({"LPOP", "l"}), "\"z\"");
  EXPECT_EQ(Run({"RPOP", "l"}), "\"c\"");
  EXPECT_EQ(Run({"LPOP", "l", "2"}), "[\"y\", \"a\"]");
  EXPECT_EQ(Run({"RPOP", "l", "0"}), "[]");
  EXPECT_EQ(Run({"RPOP", "l", "5"}), "[\"b\"]");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0") << "an emptied list is deleted";
  EXPECT_EQ(Run({"LPOP", "l"}), "(nil)");
  EXPECT_EQ(Run({"LPOP", "l", "2"}), "(nil)");
  EXPECT_EQ(Run({"LPOP", "l", "0"}), "(nil)");
  EXPECT_EQ(Run({"LPUSHX", "l", "a"}), ":0");
  EXPECT_EQ(Run({"RPUSHX", "l", "a"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0");
  EXPECT_EQ(Run({"RPUSH", "l", "a"}), ":1");
  EXPECT_EQ(Run({"LPUSHX", "l", "b", "c"}), ":3");
  EXPECT_EQ(Run({"RPUSHX", "l", "d"}), ":4");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"c\", \"b\", \"a\", \"d\"]");
}

// RENAME, COPY and MOVE take a list whole, with its deadline; the source's elements do not
// show through a later list of the old name.
TEST_F(ListsTest, RenameCopyAndMoveTakeTheWholeList) {
  EXPECT_EQ(Run({"RPUSH", "a", "1", "2", "3"}), ":3");
  EXPECT_EQ(Run({"EXPIRE", "a", "100"}), ":1");
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "+OK");
  EXPECT_EQ(Run({"LRANGE", "b", "0", "-1"}), "[\"1\", \"2\", \"3\"]");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0");
  EXPECT_EQ(Run({"TTL", "b"}), ":100");
  EXPECT_EQ(Run({"COPY", "b", "c"}), ":1");
  EXPECT_EQ(Run({"RPUSH", "c", "4"}), ":4");
  EXPECT_EQ(Run({"LRANGE", "b", "0", "-1"}), "[\"1\", \"2\", \"3\"]") << "a copy, not a view";
  EXPECT_EQ(Run({"MOVE", "c", "3"}), ":1");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"LRANGE", "c", "0", "-1"}), "[\"1\", \"2\", \"3\", \"4\"]");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "c"}), ":0");
  EXPECT_EQ(Run({"RPUSH", "a", "new"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "a", "0", "-1"}), "[\"new\"]");
  EXPECT_EQ(Run({"SET", "s", "x"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "s", "b"}), "+OK");
  EXPECT_EQ(Run({"TYPE", "b"}), "+string");
  EXPECT_EQ(Run({"DBSIZE"}), ":2");
  // A list grown at both ends copies whole, and its copy can grow at both ends.
  EXPECT_EQ(Run({"LPUSH", "both", "b", "a"}), ":2");
  EXPECT_EQ(Run({"RPUSH", "both", "c"}), ":3");
  EXPECT_EQ(Run({"COPY", "both", "copy"}), ":1");
  EXPECT_EQ(Run({"LPUSH", "copy", "0"}), ":4");
  EXPECT_EQ(Run({"RPUSH", "copy", "d"}), ":5");
  EXPECT_EQ(Run({"LRANGE", "copy", "0", "-1"}), "[\"0\", \"a\", \"b\", \"c\", \"d\"]");
  EXPECT_EQ(Run({"LRANGE", "both", "0", "-1"}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "copy"}), "\"quicklist\"");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "copy"}), ":1");
}

TEST_F(ListsTest, ArgumentErrors) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b"}), ":2");
  EXPECT_EQ(Run({"LPUSH", "l"}), "-ERR wrong number of arguments for 'lpush' command");
  EXPECT_EQ(Run({"LPOP", "l", "1", "2"}), "-ERR wrong number of arguments for 'lpop' command");
  EXPECT_EQ(Run({"LPOP", "l", "-1"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"LPOP", "l", "x"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"LRANGE", "l", "a", "1"}), kNotInteger);
  EXPECT_EQ(Run({"LINDEX", "l", "x"}), kNotInteger);
  EXPECT_EQ(Run({"LREM", "l", "x", "a"}), kNotInteger);
  EXPECT_EQ(Run({"LTRIM", "missing", "a", "1"}), kNotInteger);
  EXPECT_EQ(Run({"LSET", "l", "x", "v"}), kNotInteger);
  EXPECT_EQ(Run({"LSET", "missing", "0", "v"}), "-ERR no such key");
  EXPECT_EQ(Run({"LSET", "l", "2", "v"}), "-ERR index out of range");
  EXPECT_EQ(Run({"LSET", "l", "-3", "v"}), "-ERR index out of range");
  EXPECT_EQ(Run({"LINSERT", "l", "middle", "a", "b"}), kSyntax);
  EXPECT_EQ(Run({"LINSERT", "missing", "middle", "a", "b"}), kSyntax);
  EXPECT_EQ(Run({"LMOVE", "l", "d", "up", "left"}), kSyntax);
  EXPECT_EQ(Run({"LMOVE", "l", "d", "left", "down"}), kSyntax);
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"a\", \"b\"]");
}

TEST_F(ListsTest, SetInsertRemoveTrim) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c", "b", "a"}), ":5");
  EXPECT_EQ(Run({"LSET", "l", "-1", "A"}), "+OK");
  EXPECT_EQ(Run({"LSET", "l", "0", "first"}), "+OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"first\", \"b\", \"c\", \"b\", \"A\"]");
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "c", "x"}), ":6");
  EXPECT_EQ(Run({"LINSERT", "l", "after", "A", "end"}), ":7");
  EXPECT_EQ(Run({"LINSERT", "l", "before", "first", "start"}), ":8");
  EXPECT_EQ(Run({"LINSERT", "l", "before", "nope", "v"}), ":-1");
  EXPECT_EQ(Run({"LINSERT", "missing", "before", "a", "v"}), ":0");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}),
            "[\"start\", \"first\", \"b\", \"x\", \"c\", \"b\", \"A\", \"end\"]");
  EXPECT_EQ(Run({"LREM", "l", "-1", "b"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}),
            "[\"start\", \"first\", \"b\", \"x\", \"c\", \"A\", \"end\"]");
  EXPECT_EQ(Run({"RPUSH", "l", "b", "b"}), ":9");
  EXPECT_EQ(Run({"LREM", "l", "2", "b"}), ":2");
  EXPECT_EQ(Run({"LREM", "l", "0", "b"}), ":1");
  EXPECT_EQ(Run({"LREM", "l", "0", "b"}), ":0");
  EXPECT_EQ(Run({"LREM", "missing", "0", "b"}), ":0");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}),
            "[\"start\", \"first\", \"x\", \"c\", \"A\", \"end\"]");
  EXPECT_EQ(Run({"LTRIM", "l", "1", "-2"}), "+OK");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"first\", \"x\", \"c\", \"A\"]");
  EXPECT_EQ(Run({"LTRIM", "missing", "0", "1"}), "+OK");
  EXPECT_EQ(Run({"LTRIM", "l", "5", "10"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0") << "trimmed to nothing: deleted";
  EXPECT_EQ(Run({"RPUSH", "l", "a", "a"}), ":2");
  EXPECT_EQ(Run({"LREM", "l", "0", "a"}), ":2");
  EXPECT_EQ(Run({"EXISTS", "l"}), ":0");
}

TEST_F(ListsTest, Pos) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"}), ":8");
  EXPECT_EQ(Run({"LPOS", "l", "c"}), ":2");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "2"}), ":6");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1"}), ":7");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-9223372036854775808"}), ":7");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "9223372036854775807"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "0"}), "[:2, :6, :7]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "-1", "COUNT", "2"}), "[:7, :6]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"}), "[:2]");
  EXPECT_EQ(Run({"LPOS", "l", "x"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "l", "x", "COUNT", "2"}), "[]");
  EXPECT_EQ(Run({"LPOS", "missing", "x"}), "(nil)");
  EXPECT_EQ(Run({"LPOS", "missing", "x", "COUNT", "1"}), "[]");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "0"}),
            "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
  EXPECT_EQ(Run({"LPOS", "l", "c", "COUNT", "-1"}), "-ERR COUNT can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "c", "MAXLEN", "-1"}), "-ERR MAXLEN can't be negative");
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK", "x"}), kNotInteger);
  EXPECT_EQ(Run({"LPOS", "l", "c", "FOO", "1"}), kSyntax);
  EXPECT_EQ(Run({"LPOS", "l", "c", "RANK"}), kSyntax);
}

TEST_F(ListsTest, MoveAndRPopLPush) {
  EXPECT_EQ(Run({"RPUSH", "src", "a", "b", "c"}), ":3");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "LEFT", "RIGHT"}), "\"a\"");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "right", "left"}), "\"c\"");
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "\"b\"");
  EXPECT_EQ(Run({"EXISTS", "src"}), ":0");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[\"b\", \"c\", \"a\"]");
  EXPECT_EQ(Run({"RPOPLPUSH", "src", "dst"}), "(nil)");
  EXPECT_EQ(Run({"LMOVE", "src", "dst", "left", "left"}), "(nil)");
  EXPECT_EQ(Run({"RPOPLPUSH", "dst", "dst"}), "\"a\"") << "rotation";
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[\"a\", \"b\", \"c\"]");
  EXPECT_EQ(Run({"LMOVE", "dst", "dst", "left", "right"}), "\"a\"");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[\"b\", \"c\", \"a\"]");
  EXPECT_EQ(Run({"RPUSH", "one", "x"}), ":1");
  EXPECT_EQ(Run({"LMOVE", "one", "one", "left", "right"}), "\"x\"");
  EXPECT_EQ(Run({"LRANGE", "one", "0", "-1"}), "[\"x\"]");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"RPOPLPUSH", "dst", "s"}), kWrongType);
  EXPECT_EQ(Run({"RPOPLPUSH", "s", "dst"}), kWrongType);
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[\"b\", \"c\", \"a\"]") << "nothing moved";
}

TEST_F(ListsTest, MPop) {
  EXPECT_EQ(Run({"RPUSH", "b", "1", "2", "3"}), ":3");
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "LEFT"}), "[\"b\", [\"1\"]]");
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "right", "COUNT", "5"}), "[\"b\", [\"3\", \"2\"]]");
  EXPECT_EQ(Run({"LMPOP", "2", "a", "b", "left"}), "(nil)");
  EXPECT_EQ(Run({"LMPOP", "0", "a", "left"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "-1", "a", "left"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "x", "a", "left"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "1", "a", "left", "count", "x"}), "-ERR count should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "1", "a", "left", "count", "0"}), "-ERR count should be greater than 0");
  EXPECT_EQ(Run({"LMPOP", "1", "a", "middle"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "2", "a"}), "-ERR wrong number of arguments for 'lmpop' command");
  EXPECT_EQ(Run({"LMPOP", "5", "a", "left"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "a", "left", "count", "1", "count", "2"}), kSyntax);
  EXPECT_EQ(Run({"LMPOP", "1", "a", "left", "foo"}), kSyntax);
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"LMPOP", "2", "a", "s", "left"}), kWrongType);
}

TEST_F(ListsTest, WrongTypeBothWays) {
  EXPECT_EQ(Run({"RPUSH", "l", "a"}), ":1");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"GET", "l"},
           {"GETDEL", "l"},
           {"GETEX", "l"},
           {"GETSET", "l", "v"},
           {"SET", "l", "v", "GET"},
           {"APPEND", "l", "v"},
           {"INCR", "l"},
           {"STRLEN", "l"},
           {"GETBIT", "l", "0"},
           {"SETBIT", "l", "0", "1"},
           {"BITCOUNT", "l"},
           {"BITOP", "OR", "dest", "l"},
           {"LPUSH", "s", "a"},
           {"RPUSHX", "s", "a"},
           {"LPOP", "s"},
           {"LLEN", "s"},
           {"LRANGE", "s", "0", "-1"},
           {"LINDEX", "s", "0"},
           {"LSET", "s", "0", "v"},
           {"LINSERT", "s", "before", "a", "b"},
           {"LREM", "s", "0", "a"},
           {"LTRIM", "s", "0", "1"},
           {"LPOS", "s", "a"},
           {"LMOVE", "s", "l", "left", "left"},
       }) {
    const std::string reply = Run(command);
    // STRLEN, APPEND, INCR are another family's; they may be missing from this build.
    if (reply.rfind("-ERR unknown command", 0) == 0) continue;
    EXPECT_EQ(reply, kWrongType) << command[0];
  }
  EXPECT_EQ(Run({"MGET", "l", "s"}), "[(nil), \"v\"]");
  EXPECT_EQ(Run({"TYPE", "l"}), "+list");
  EXPECT_EQ(Run({"TYPE", "s"}), "+string");
  EXPECT_EQ(Run({"SET", "l", "now a string"}), "+OK") << "SET overwrites any type";
  EXPECT_EQ(Run({"GET", "l"}), "\"now a string\"");
  EXPECT_EQ(Run({"LPUSH", "l", "a"}), kWrongType);
}

TEST_F(ListsTest, AListIsOneKey) {
  EXPECT_EQ(Run({"RPUSH", "l1", "a", "b", "c"}), ":3");
  EXPECT_EQ(Run({"RPUSH", "l2", "x"}), ":1");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":3");
  EXPECT_EQ(Run({"EXISTS", "l1", "l2", "l1", "nope"}), ":3");
  EXPECT_EQ(Run({"KEYS", "l*"}).size(), std::string("[\"l1\", \"l2\"]").size());
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "list", "COUNT", "100"}).find("\"s\""), std::string::npos);
  EXPECT_NE(Run({"SCAN", "0", "TYPE", "list", "COUNT", "100"}).find("\"l1\""), std::string::npos);
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "string", "COUNT", "100"}), "[\"0\", [\"s\"]]");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "hash", "COUNT", "100"}), "[\"0\", []]");
  EXPECT_EQ(Run({"DEL", "l1", "s"}), ":2");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  EXPECT_EQ(Run({"UNLINK", "l2"}), ":1");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"RPUSH", "l1", "new"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "l1", "0", "-1"}), "[\"new\"]") << "nothing of the deleted list";
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Run({"LRANGE", "l1", "0", "-1"}), "[]");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
}

TEST_F(ListsTest, TimeToLiveOnAList) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b"}), ":2");
  EXPECT_EQ(Run({"EXPIREAT", "l", "4000000000"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "l"}), ":4000000000");
  EXPECT_EQ(Run({"RPUSH", "l", "c"}), ":3");
  EXPECT_EQ(Run({"LPOP", "l"}), "\"a\"");
  EXPECT_EQ(Run({"EXPIRETIME", "l"}), ":4000000000") << "writes keep the deadline";
  EXPECT_EQ(Run({"TYPE", "l"}), "+list");
  EXPECT_EQ(Run({"PERSIST", "l"}), ":1");
  EXPECT_EQ(Run({"TTL", "l"}), ":-1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"b\", \"c\"]");
  EXPECT_EQ(Run({"PEXPIRE", "l", "1"}), ":1");
  EXPECT_TRUE(WaitUntil([&] { return Run({"EXISTS", "l"}) == ":0"; }, std::chrono::seconds(10)));
  EXPECT_EQ(Run({"LLEN", "l"}), ":0");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"RPUSH", "l", "fresh"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}), "[\"fresh\"]");
  EXPECT_EQ(Run({"TTL", "l"}), ":-1");
}

TEST_F(ListsTest, InsideMultiExec) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "a", "1", "2"}), "+QUEUED");
  EXPECT_EQ(Run({"DEL", "a"}), "+QUEUED");
  EXPECT_EQ(Run({"RPUSH", "a", "3"}), "+QUEUED");
  EXPECT_EQ(Run({"LMOVE", "a", "b", "left", "left"}), "+QUEUED");
  EXPECT_EQ(Run({"RPUSH", "a", "4"}), "+QUEUED");
  EXPECT_EQ(Run({"LRANGE", "a", "0", "-1"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:2, :1, :1, \"3\", :1, [\"4\"]]");
  EXPECT_EQ(Run({"LRANGE", "b", "0", "-1"}), "[\"3\"]");
}

// RESP3 answers every missing list with its null, `_`.
TEST_F(ListsTest, Resp3Nulls) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_TRUE(
      raw->Send("LPOP missing\r\nLPOP missing 2\r\nLMPOP 1 missing left\r\n"
                "LINDEX missing 0\r\nRPOPLPUSH missing d\r\nLPOS missing a\r\n"));
  EXPECT_EQ(raw->Read(18), "_\r\n_\r\n_\r\n_\r\n_\r\n_\r\n");
}

TEST_F(ListsTest, SurvivesRestart) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(2000);
  for (int i = 0; i < 2000; ++i) commands.push_back({"RPUSH", "big", "v" + std::to_string(i)});
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  }
  EXPECT_EQ(Run({"LPOP", "big", "3"}), "[\"v0\", \"v1\", \"v2\"]");
  EXPECT_EQ(Run({"RPUSH", "gone", "x"}), ":1");
  EXPECT_EQ(Run({"DEL", "gone"}), ":1");
  EXPECT_EQ(Run({"EXPIREAT", "big", "4000000000"}), ":1");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"LLEN", "big"}), ":1997");
  EXPECT_EQ(Run({"LINDEX", "big", "0"}), "\"v3\"");
  EXPECT_EQ(Run({"LINDEX", "big", "-1"}), "\"v1999\"");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "big"}), ":4000000000");
  EXPECT_EQ(Run({"RPUSH", "gone", "y"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "gone", "0", "-1"}), "[\"y\"]");
}

// --- blocking commands ---

class BlockingListsTest : public ServerFixture {
 protected:
  // A raw connection that sends `command` (inline) and is blocked by it once this returns.
  std::unique_ptr<RawConnection> Blocked(const std::string& command, size_t blocked_before) {
    auto raw = ConnectRaw();
    EXPECT_NE(raw, nullptr);
    if (raw == nullptr) return raw;
    EXPECT_TRUE(raw->Send(command + "\r\n"));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return InfoField(client_.get(), "clients", "blocked_clients") ==
                 std::to_string(blocked_before + 1);
        },
        std::chrono::seconds(10)))
        << command;
    return raw;
  }
  static std::string Reply(RawConnection* raw) {
    RespValue value;
    std::string error;
    if (!raw->ReadReply(&value, &error)) return "<" + error + ">";
    return value.ToString();
  }
};

TEST_F(BlockingListsTest, AnElementThereIsPoppedAtOnce) {
  EXPECT_EQ(Run({"RPUSH", "b", "x", "y"}), ":2");
  EXPECT_EQ(Run({"BLPOP", "a", "b", "0"}), "[\"b\", \"x\"]");
  EXPECT_EQ(Run({"BRPOP", "a", "b", "0"}), "[\"b\", \"y\"]");
  EXPECT_EQ(Run({"RPUSH", "b", "1", "2", "3"}), ":3");
  EXPECT_EQ(Run({"BLMPOP", "0", "2", "a", "b", "RIGHT", "COUNT", "2"}), "[\"b\", [\"3\", \"2\"]]");
  EXPECT_EQ(Run({"BRPOPLPUSH", "b", "c", "0"}), "\"1\"");
  EXPECT_EQ(Run({"BLMOVE", "c", "d", "LEFT", "RIGHT", "0"}), "\"1\"");
  EXPECT_EQ(Run({"LRANGE", "d", "0", "-1"}), "[\"1\"]");
}

TEST_F(BlockingListsTest, TimeoutsAndErrors) {
  EXPECT_EQ(Run({"BLPOP", "a", "0.01"}), "(nil)");
  EXPECT_EQ(Run({"BRPOP", "a", "b", "0.01"}), "(nil)");
  EXPECT_EQ(Run({"BLMPOP", "0.01", "1", "a", "LEFT"}), "(nil)");
  EXPECT_EQ(Run({"BRPOPLPUSH", "a", "b", "0.01"}), "(nil)");
  EXPECT_EQ(Run({"BLMOVE", "a", "b", "left", "left", "0.01"}), "(nil)");
  EXPECT_EQ(Run({"BLPOP", "a", "x"}), "-ERR timeout is not a float or out of range");
  EXPECT_EQ(Run({"BLPOP", "a", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(Run({"BLMOVE", "a", "b", "up", "left", "0"}), kSyntax);
  EXPECT_EQ(Run({"BLMPOP", "0", "0", "a", "LEFT"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"BLPOP", "a", "s", "0"}), kWrongType);
  EXPECT_EQ(Run({"BRPOPLPUSH", "s", "b", "0"}), kWrongType);
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "0");
}

TEST_F(BlockingListsTest, APushWakesTheBlockedClientsInOrder) {
  auto first = Blocked("BLPOP q 0", 0);
  auto second = Blocked("BRPOP other q 0", 1);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Run({"RPUSH", "q", "one"}), ":1");
  EXPECT_EQ(Reply(first.get()), "[\"q\", \"one\"]");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "1");
  EXPECT_EQ(Run({"LPUSH", "q", "two", "three"}), ":2");
  EXPECT_EQ(Reply(second.get()), "[\"q\", \"two\"]") << "BRPOP takes the tail";
  EXPECT_EQ(Run({"LRANGE", "q", "0", "-1"}), "[\"three\"]");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "0");
  // The connection works on afterwards.
  ASSERT_TRUE(first->Send("PING\r\n"));
  EXPECT_EQ(Reply(first.get()), "+PONG");
}

TEST_F(BlockingListsTest, ATimeoutAnswersNil) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("BLPOP q 0.05\r\nBLMOVE q r left left 0.05\r\n"));
  EXPECT_EQ(Reply(raw.get()), "(nil array)");
  EXPECT_EQ(Reply(raw.get()), "(nil array)") << "BLMOVE too, at its timeout";
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "0");
  EXPECT_EQ(Run({"RPUSH", "q", "x"}), ":1");
  EXPECT_EQ(Run({"LLEN", "q"}), ":1") << "nobody took it";
}

TEST_F(BlockingListsTest, MovesWakeAndChain) {
  auto mover = Blocked("BLMOVE src mid RIGHT LEFT 0", 0);
  auto popper = Blocked("BLPOP mid 0", 1);
  ASSERT_NE(mover, nullptr);
  ASSERT_NE(popper, nullptr);
  EXPECT_EQ(Run({"RPUSH", "src", "a", "b"}), ":2");
  EXPECT_EQ(Reply(mover.get()), "\"b\"");
  EXPECT_EQ(Reply(popper.get()), "[\"mid\", \"b\"]") << "woken by the move";
  EXPECT_EQ(Run({"LRANGE", "src", "0", "-1"}), "[\"a\"]");
  EXPECT_EQ(Run({"EXISTS", "mid"}), ":0");
  auto multi = Blocked("BLMPOP 0 2 x src2 LEFT COUNT 5", 0);
  ASSERT_NE(multi, nullptr);
  EXPECT_EQ(Run({"RPUSH", "src2", "a", "b", "c"}), ":3");
  EXPECT_EQ(Reply(multi.get()), "[\"src2\", [\"a\", \"b\", \"c\"]]");
}

TEST_F(BlockingListsTest, InsideMultiTheyDoNotBlockAndExecWakes) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"BLPOP", "q", "0"}), "+QUEUED");
  EXPECT_EQ(Run({"BLMOVE", "q", "r", "left", "left", "0"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[(nil), (nil)]");
  {
    auto exec = ConnectRaw();
    ASSERT_NE(exec, nullptr);
    ASSERT_TRUE(exec->Send("MULTI\r\nBLPOP q 0\r\nBLMOVE q r left left 0\r\nEXEC\r\n"));
    EXPECT_EQ(Reply(exec.get()), "+OK");
    EXPECT_EQ(Reply(exec.get()), "+QUEUED");
    EXPECT_EQ(Reply(exec.get()), "+QUEUED");
    EXPECT_EQ(Reply(exec.get()), "[(nil array), (nil)]") << "BLMOVE answers a null bulk there";
  }
  auto raw = Blocked("BLPOP q 0", 0);
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "q", "a", "b"}), "+QUEUED");
  EXPECT_EQ(Run({"LPOP", "q"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:2, \"a\"]");
  EXPECT_EQ(Reply(raw.get()), "[\"q\", \"b\"]") << "served after the EXEC, with what it left";
}

TEST_F(BlockingListsTest, AClientThatLeftTakesNothing) {
  auto raw = Blocked("BLPOP q 0", 0);
  ASSERT_NE(raw, nullptr);
  raw->Close();
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "0"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"RPUSH", "q", "x"}), ":1");
  EXPECT_EQ(Run({"LRANGE", "q", "0", "-1"}), "[\"x\"]");
}

// A list whose elements sit in a damaged table block: its reads are errors, never an empty or
// short answer.
class ListReadErrorTest : public ServerFixture {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "1", "--memtable-size", "256kb"};
  }
};

TEST_F(ListReadErrorTest, ReadsOfDamagedElementsAreErrors) {
  if (IsRedis()) GTEST_SKIP() << "damages Shale's tables";
  constexpr int kElements = 5000;
  auto value = [](int i) {
    return std::string(150, static_cast<char>('a' + i % 26)) + std::to_string(i);
  };
  std::vector<std::vector<std::string>> commands;
  commands.reserve(kElements);
  for (int i = 0; i < kElements; ++i) commands.push_back({"RPUSH", "l", value(i)});
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  }
  ASSERT_GT(StopAndDamageEveryTable(), 0);
  RestartAndReconnect();
  int unreadable = 0;
  for (int i = 0; i < kElements; i += 7) {
    const std::string reply = Run({"LINDEX", "l", std::to_string(i)});
    if (reply.rfind("-ERR", 0) == 0) {
      ++unreadable;
    } else {
      EXPECT_EQ(reply, "\"" + value(i) + "\"") << i;
    }
  }
  ASSERT_GT(unreadable, 0) << "the damage hit no element";
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"LPOS", "l", "nothing"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"LREM", "l", "0", "nothing"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

}  // namespace
}  // namespace shale::integration
