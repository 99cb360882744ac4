// Hash commands (HSET ... HSCAN) with Redis 7.0's replies, error texts and argument order; a hash
// as one key for DEL, EXISTS, TYPE, SCAN, RENAME, COPY, MOVE and TTL; OBJECT ENCODING by
// hash-max-listpack-*; WRONGTYPE both ways; RESP3's map and nested pairs; MULTI/EXEC; restart;
// and a damaged table as an error reply. Also passes against Redis (SHALE_TEST_SERVER), except
// the test that damages Shale's files. Field order: the hashes compared whole are small (Redis
// keeps a listpack in insertion order) and filled in byte order, Shale's order.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class HashesTest : public ServerFixture {
 protected:
  // The elements of an array reply as strings (bulk, integer or nil as "(nil)").
  std::vector<std::string> Elements(const std::vector<std::string>& command) {
    std::vector<std::string> out;
    ReplyPtr reply = client_->Command(command);
    EXPECT_NE(reply, nullptr);
    if (reply == nullptr) return out;
    EXPECT_EQ(reply->type, REDIS_REPLY_ARRAY) << command[0];
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* e = reply->element[i];
      out.emplace_back(e->type == REDIS_REPLY_NIL ? "(nil)" : std::string(e->str, e->len));
    }
    return out;
  }
};

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range";
constexpr const char* kSyntax = "-ERR syntax error";

TEST_F(HashesTest, SetGetAndDelete) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), ":2");
  EXPECT_EQ(Run({"HSET", "h", "a", "3", "c", "4", "c", "5"}), ":1");
  EXPECT_EQ(Run({"HGETALL", "h"}), "[\"a\", \"3\", \"b\", \"2\", \"c\", \"5\"]");
  EXPECT_EQ(Run({"HMSET", "h", "d", "6"}), "+OK");
  EXPECT_EQ(Run({"HGET", "h", "c"}), "\"5\"");
  EXPECT_EQ(Run({"HGET", "h", "zz"}), "(nil)");
  EXPECT_EQ(Run({"HGET", "missing", "a"}), "(nil)");
  EXPECT_EQ(Run({"HMGET", "h", "a", "zz", "d"}), "[\"3\", (nil), \"6\"]");
  EXPECT_EQ(Run({"HMGET", "missing", "a", "b"}), "[(nil), (nil)]");
  EXPECT_EQ(Run({"HLEN", "h"}), ":4");
  EXPECT_EQ(Run({"HLEN", "missing"}), ":0");
  EXPECT_EQ(Run({"HSTRLEN", "h", "a"}), ":1");
  EXPECT_EQ(Run({"HSTRLEN", "h", "zz"}), ":0");
  EXPECT_EQ(Run({"HSTRLEN", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"HEXISTS", "h", "a"}), ":1");
  EXPECT_EQ(Run({"HEXISTS", "h", "zz"}), ":0");
  EXPECT_EQ(Run({"HEXISTS", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"HKEYS", "h"}), "[\"a\", \"b\", \"c\", \"d\"]");
  EXPECT_EQ(Run({"HVALS", "h"}), "[\"3\", \"2\", \"5\", \"6\"]");
  EXPECT_EQ(Run({"HKEYS", "missing"}), "[]");
  EXPECT_EQ(Run({"HVALS", "missing"}), "[]");
  EXPECT_EQ(Run({"HGETALL", "missing"}), "[]");
  EXPECT_EQ(Run({"HSETNX", "h", "a", "new"}), ":0");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "\"3\"");
  EXPECT_EQ(Run({"HSETNX", "h", "e", "7"}), ":1");
  EXPECT_EQ(Run({"HSETNX", "nx", "f", "v"}), ":1");
  EXPECT_EQ(Run({"HDEL", "h", "a", "a", "zz"}), ":1");
  EXPECT_EQ(Run({"HDEL", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"HDEL", "h", "b", "c", "d", "e"}), ":4");
  EXPECT_EQ(Run({"EXISTS", "h"}), ":0") << "an emptied hash is deleted";
  EXPECT_EQ(Run({"HSET", "h", "", "empty field"}), ":1");
  EXPECT_EQ(Run({"HGET", "h", ""}), "\"empty field\"");
  EXPECT_EQ(Run({"HGETALL", "h"}), "[\"\", \"empty field\"]");
}

TEST_F(HashesTest, ArgumentErrors) {
  EXPECT_EQ(Run({"HSET", "h", "a"}), "-ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b"}), "-ERR wrong number of arguments for 'hset' command");
  EXPECT_EQ(Run({"HMSET", "h", "a", "1", "b"}),
            "-ERR wrong number of arguments for 'hmset' command");
  EXPECT_EQ(Run({"HSETNX", "h", "a"}), "-ERR wrong number of arguments for 'hsetnx' command");
  EXPECT_EQ(Run({"HGET", "h"}), "-ERR wrong number of arguments for 'hget' command");
  EXPECT_EQ(Run({"HMGET", "h"}), "-ERR wrong number of arguments for 'hmget' command");
  EXPECT_EQ(Run({"HDEL", "h"}), "-ERR wrong number of arguments for 'hdel' command");
  EXPECT_EQ(Run({"HLEN", "h", "x"}), "-ERR wrong number of arguments for 'hlen' command");
  EXPECT_EQ(Run({"HGETALL"}), "-ERR wrong number of arguments for 'hgetall' command");
  EXPECT_EQ(Run({"HINCRBY", "h", "f"}), "-ERR wrong number of arguments for 'hincrby' command");
  EXPECT_EQ(Run({"HRANDFIELD"}), "-ERR wrong number of arguments for 'hrandfield' command");
  EXPECT_EQ(Run({"HSCAN", "h"}), "-ERR wrong number of arguments for 'hscan' command");
  EXPECT_EQ(Run({"EXISTS", "h"}), ":0") << "nothing was made";
}

TEST_F(HashesTest, IncrBy) {
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "5"}), ":5");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "-7"}), ":-2");
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "x"}), kNotInteger);
  EXPECT_EQ(Run({"HINCRBY", "h", "n", "1.5"}), kNotInteger);
  EXPECT_EQ(Run({"HSET", "h", "s", "abc", "sp", " 1", "big", "9223372036854775807"}), ":3");
  EXPECT_EQ(Run({"HINCRBY", "h", "s", "1"}), "-ERR hash value is not an integer");
  EXPECT_EQ(Run({"HINCRBY", "h", "sp", "1"}), "-ERR hash value is not an integer");
  EXPECT_EQ(Run({"HINCRBY", "h", "big", "1"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"HINCRBY", "h", "big", "-1"}), ":9223372036854775806");
  EXPECT_EQ(Run({"HINCRBY", "h", "neg", "-9223372036854775808"}), ":-9223372036854775808");
  EXPECT_EQ(Run({"HINCRBY", "h", "neg", "-1"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"HGET", "h", "neg"}), "\"-9223372036854775808\"");
  EXPECT_EQ(Run({"HINCRBY", "h", "new", "0"}), ":0");
  EXPECT_EQ(Run({"HLEN", "h"}), ":6");
}

TEST_F(HashesTest, IncrByFloat) {
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "10.5"}), "\"10.5\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "0.1"}), "\"10.6\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "-10.6"}), "\"0\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "5.0e3"}), "\"5000\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "abc"}), "-ERR value is not a valid float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", "inf"}), "-ERR value is NaN or Infinity");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f", " 1"}), "-ERR value is not a valid float");
  EXPECT_EQ(Run({"HSET", "h", "s", "abc", "i", "3"}), ":2");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "s", "1"}), "-ERR hash value is not a float");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "i", "1.25"}), "\"4.25\"");
  EXPECT_GT(Run({"HINCRBYFLOAT", "h", "huge", "1.1e4932"}).size(), 4900u);
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "huge", "1.1e4932"}),
            "-ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"HINCRBY", "h", "f", "1"}), ":5001") << "an integral float is an integer";
}

TEST_F(HashesTest, RandomField) {
  EXPECT_EQ(Run({"HRANDFIELD", "missing"}), "(nil)");
  EXPECT_EQ(Run({"HRANDFIELD", "missing", "3"}), "[]");
  EXPECT_EQ(Run({"HRANDFIELD", "missing", "-3", "WITHVALUES"}), "[]");
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2", "c", "3"}), ":3");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0"}), "[]");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "0", "WITHVALUES"}), "[]");
  const std::set<std::string> fields{"a", "b", "c"};
  EXPECT_EQ(fields.count(Run({"HRANDFIELD", "h"}).substr(1, 1)), 1u);
  // Positive: distinct, all of them when asked for more.
  std::vector<std::string> all = Elements({"HRANDFIELD", "h", "10"});
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), fields);
  EXPECT_EQ(all.size(), 3u);
  std::vector<std::string> two = Elements({"HRANDFIELD", "h", "2"});
  ASSERT_EQ(two.size(), 2u);
  EXPECT_NE(two[0], two[1]);
  std::vector<std::string> pairs = Elements({"HRANDFIELD", "h", "3", "withvalues"});
  ASSERT_EQ(pairs.size(), 6u);
  const std::map<std::string, std::string> values{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  for (size_t i = 0; i < pairs.size(); i += 2) EXPECT_EQ(values.at(pairs[i]), pairs[i + 1]);
  // Negative: exactly that many, repeats allowed, every field eventually.
  std::vector<std::string> many = Elements({"HRANDFIELD", "h", "-20"});
  EXPECT_EQ(many.size(), 20u);
  EXPECT_EQ(std::set<std::string>(many.begin(), many.end()).size() <= 3, true);
  std::vector<std::string> repeated = Elements({"HRANDFIELD", "h", "-5", "WITHVALUES"});
  ASSERT_EQ(repeated.size(), 10u);
  for (size_t i = 0; i < repeated.size(); i += 2) {
    EXPECT_EQ(values.at(repeated[i]), repeated[i + 1]);
  }
  // Errors, in Redis's order: the count, then the option, then WITHVALUES's range, then the key.
  EXPECT_EQ(Run({"HRANDFIELD", "h", "x"}), kNotInteger);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "1", "foo"}), kSyntax);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "1", "withvalues", "x"}), kSyntax);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-9223372036854770000", "withvalues"}),
            "-ERR value is out of range");
  EXPECT_EQ(Run({"HRANDFIELD", "h", "9223372036854775807", "withvalues"}),
            "-ERR value is out of range");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"HRANDFIELD", "s", "x"}), kNotInteger);
  EXPECT_EQ(Run({"HRANDFIELD", "s", "0"}), kWrongType);
  EXPECT_EQ(Run({"HRANDFIELD", "s"}), kWrongType);
}

// HSCAN: the cursor is read first, then the key, then the options; a compact hash is answered
// whole with cursor 0; a hashtable one pages through every field once.
TEST_F(HashesTest, Scan) {
  EXPECT_EQ(Run({"HSCAN", "missing", "0"}), "[\"0\", []]");
  EXPECT_EQ(Run({"HSCAN", "missing", "0", "COUNT", "0"}), "[\"0\", []]");
  EXPECT_EQ(Run({"HSCAN", "missing", "abc"}), "-ERR invalid cursor");
  EXPECT_EQ(Run({"HSET", "h", "a1", "1", "a2", "2", "b1", "3"}), ":3");
  EXPECT_EQ(Run({"HSCAN", "h", "0"}), "[\"0\", [\"a1\", \"1\", \"a2\", \"2\", \"b1\", \"3\"]]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "1"}),
            "[\"0\", [\"a1\", \"1\", \"a2\", \"2\", \"b1\", \"3\"]]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "MATCH", "a*"}), "[\"0\", [\"a1\", \"1\", \"a2\", \"2\"]]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "match", "x*", "count", "5"}), "[\"0\", []]");
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT", "x"}), kNotInteger);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "COUNT"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "TYPE", "string"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", "0", "NOVALUES"}), kSyntax);
  EXPECT_EQ(Run({"HSCAN", "h", " 1"}), "-ERR invalid cursor");
  EXPECT_EQ(Run({"HSCAN", "h", "18446744073709551616"}), "-ERR invalid cursor");
  EXPECT_EQ(Run({"HSCAN", "h", "1x"}), "-ERR invalid cursor");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"HSCAN", "s", "0", "COUNT", "x"}), kWrongType);
  EXPECT_EQ(Run({"HSCAN", "s", "abc"}), "-ERR invalid cursor");

  std::vector<std::string> command{"HSET", "big"};
  for (int i = 0; i < 600; ++i) {
    command.push_back("field:" + std::to_string(i));
    command.push_back(std::to_string(i));
  }
  EXPECT_EQ(Run(command), ":600") << "more than hash-max-listpack-entries (512)";
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "\"hashtable\"");
  std::map<std::string, int> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    ReplyPtr reply = client_->Command({"HSCAN", "big", cursor, "COUNT", "20"});
    ASSERT_NE(reply, nullptr);
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(reply->elements, 2u);
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    const redisReply* items = reply->element[1];
    ASSERT_EQ(items->elements % 2, 0u);
    for (size_t i = 0; i < items->elements; i += 2) {
      const std::string field(items->element[i]->str, items->element[i]->len);
      const std::string value(items->element[i + 1]->str, items->element[i + 1]->len);
      EXPECT_EQ(field, "field:" + value);
      seen[field]++;
    }
    ASSERT_LT(++calls, 1000);
  } while (cursor != "0");
  EXPECT_GT(calls, 5) << "a hashtable hash comes in pages";
  EXPECT_EQ(seen.size(), 600u);
  if (!IsRedis()) {
    for (const auto& [field, times] : seen) EXPECT_EQ(times, 1) << field;
    EXPECT_EQ(Run({"HSCAN", "big", "12345"}), "-ERR invalid cursor")
        << "a large hash resumes only from a cursor handed out for it";
  }
  std::vector<std::string> matched = Elements({"HSCAN", "big", "0", "MATCH", "field:49?"});
  EXPECT_EQ(matched.size(), 2u);
}

TEST_F(HashesTest, ObjectEncodingFollowsTheListpackLimits) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "\"listpack\"");
  EXPECT_EQ(Run({"TYPE", "h"}), "+hash");
  EXPECT_EQ(Run({"HSET", "h", "long", std::string(65, 'x')}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "\"hashtable\"");
  EXPECT_EQ(Run({"HDEL", "h", "long"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "h"}), "\"hashtable\"") << "no way back";
  EXPECT_EQ(Run({"HSET", "f", std::string(65, 'x'), "1"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "f"}), "\"hashtable\"");
  EXPECT_EQ(Run({"HSET", "v64", "a", std::string(64, 'x')}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "v64"}), "\"listpack\"");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-entries", "2"}), "+OK");
  EXPECT_EQ(Run({"HSET", "n", "a", "1", "b", "2"}), ":2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n"}), "\"listpack\"");
  EXPECT_EQ(Run({"HSET", "n", "c", "3"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n"}), "\"hashtable\"");
  EXPECT_EQ(Run({"HSET", "i", "a", "1", "b", "2"}), ":2");
  EXPECT_EQ(Run({"HINCRBY", "i", "c", "1"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "\"hashtable\"");
  EXPECT_EQ(Run({"CONFIG", "SET", "hash-max-listpack-value", "3"}), "+OK");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "fl", "a", "1.5"}), "\"1.5\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "fl"}), "\"listpack\"");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "fl", "a", "0.25"}), "\"1.75\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "fl"}), "\"hashtable\"") << "a long result";
  EXPECT_EQ(Run({"COPY", "n", "n2"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "n2"}), "\"hashtable\"");
}

TEST_F(HashesTest, WrongTypeBothWays) {
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), ":1");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "a"}), ":1");
  for (const std::string key : {"s", "l"}) {
    for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
             {"HSET", key, "f", "v"},
             {"HMSET", key, "f", "v"},
             {"HSETNX", key, "f", "v"},
             {"HGET", key, "f"},
             {"HMGET", key, "f"},
             {"HDEL", key, "f"},
             {"HLEN", key},
             {"HSTRLEN", key, "f"},
             {"HEXISTS", key, "f"},
             {"HKEYS", key},
             {"HVALS", key},
             {"HGETALL", key},
             {"HINCRBY", key, "f", "1"},
             {"HINCRBYFLOAT", key, "f", "1"},
             {"HRANDFIELD", key},
             {"HRANDFIELD", key, "2", "WITHVALUES"},
             {"HSCAN", key, "0"},
         }) {
      EXPECT_EQ(Run(command), kWrongType) << command[0] << " " << key;
    }
  }
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"GET", "h"},
           {"GETDEL", "h"},
           {"GETEX", "h"},
           {"GETSET", "h", "v"},
           {"SET", "h", "v", "GET"},
           {"APPEND", "h", "v"},
           {"INCR", "h"},
           {"INCRBYFLOAT", "h", "1"},
           {"STRLEN", "h"},
           {"GETRANGE", "h", "0", "1"},
           {"SETRANGE", "h", "0", "x"},
           {"GETBIT", "h", "0"},
           {"BITCOUNT", "h"},
           {"LPUSH", "h", "a"},
           {"LLEN", "h"},
       }) {
    EXPECT_EQ(Run(command), kWrongType) << command[0];
  }
  EXPECT_EQ(Run({"MGET", "h", "s"}), "[(nil), \"v\"]");
  EXPECT_EQ(Run({"HGETALL", "h"}), "[\"f\", \"v\"]") << "nothing changed";
  EXPECT_EQ(Run({"SET", "h", "now a string"}), "+OK") << "SET overwrites any type";
  EXPECT_EQ(Run({"GET", "h"}), "\"now a string\"");
  EXPECT_EQ(Run({"HSET", "h", "f", "v"}), kWrongType);
}

// A hash is one key for the keyspace commands, keeps its deadline through writes, and goes whole
// with RENAME, COPY and MOVE.
TEST_F(HashesTest, AHashIsOneKey) {
  EXPECT_EQ(Run({"HSET", "h1", "a", "1", "b", "2"}), ":2");
  EXPECT_EQ(Run({"HSET", "h2", "x", "y"}), ":1");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":3");
  EXPECT_EQ(Run({"EXISTS", "h1", "h2", "h1", "nope"}), ":3");
  EXPECT_EQ(Run({"SCAN", "0", "TYPE", "string", "COUNT", "100"}), "[\"0\", [\"s\"]]");
  EXPECT_NE(Run({"SCAN", "0", "TYPE", "hash", "COUNT", "100"}).find("\"h1\""), std::string::npos);
  EXPECT_EQ(Run({"EXPIREAT", "h1", "4000000000"}), ":1");
  EXPECT_EQ(Run({"HSET", "h1", "c", "3"}), ":1");
  EXPECT_EQ(Run({"HDEL", "h1", "a"}), ":1");
  EXPECT_EQ(Run({"HINCRBY", "h1", "n", "1"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "h1"}), ":4000000000") << "writes keep the deadline";
  EXPECT_EQ(Run({"RENAME", "h1", "r"}), "+OK");
  EXPECT_EQ(Run({"HGETALL", "r"}), "[\"b\", \"2\", \"c\", \"3\", \"n\", \"1\"]");
  EXPECT_EQ(Run({"EXPIRETIME", "r"}), ":4000000000");
  EXPECT_EQ(Run({"COPY", "r", "c"}), ":1");
  EXPECT_EQ(Run({"HSET", "c", "z", "26"}), ":1");
  EXPECT_EQ(Run({"HLEN", "r"}), ":3") << "a copy, not a view";
  EXPECT_EQ(Run({"MOVE", "c", "3"}), ":1");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"HLEN", "c"}), ":4");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"DEL", "r", "s"}), ":2");
  EXPECT_EQ(Run({"HSET", "r", "new", "1"}), ":1");
  EXPECT_EQ(Run({"HGETALL", "r"}), "[\"new\", \"1\"]") << "nothing of the deleted hash";
  EXPECT_EQ(Run({"PEXPIRE", "r", "1"}), ":1");
  EXPECT_TRUE(WaitUntil([&] { return Run({"EXISTS", "r"}) == ":0"; }, std::chrono::seconds(10)));
  EXPECT_EQ(Run({"HGET", "r", "new"}), "(nil)");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Run({"HLEN", "h2"}), ":0");
}

TEST_F(HashesTest, InsideMultiExec) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"HSET", "h", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"HINCRBY", "h", "a", "2"}), "+QUEUED");
  EXPECT_EQ(Run({"HDEL", "h", "a"}), "+QUEUED");
  EXPECT_EQ(Run({"HSETNX", "h", "b", "x"}), "+QUEUED");
  EXPECT_EQ(Run({"HGETALL", "h"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:1, :3, :1, :1, [\"b\", \"x\"]]");
}

// RESP3: HGETALL is a map, HRANDFIELD WITHVALUES an array of pairs, and missing values `_`.
TEST_F(HashesTest, Resp3Replies) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1"}), ":1");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue value;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&value, &error)) << error;
  auto reply = [&](const std::string& command) {
    EXPECT_TRUE(raw->Send(command + "\r\n"));
    RespValue v;
    std::string e;
    if (!raw->ReadReply(&v, &e)) return "<" + e + ">";
    return v.ToString();
  };
  EXPECT_EQ(reply("HGETALL h"), "%{\"a\": \"1\"}");
  EXPECT_EQ(reply("HGETALL missing"), "%{}");
  EXPECT_EQ(reply("HRANDFIELD h 1 WITHVALUES"), "[[\"a\", \"1\"]]");
  EXPECT_EQ(reply("HRANDFIELD h -2 WITHVALUES"), "[[\"a\", \"1\"], [\"a\", \"1\"]]");
  EXPECT_EQ(reply("HRANDFIELD h -2"), "[\"a\", \"a\"]");
  EXPECT_EQ(reply("HRANDFIELD missing"), "_");
  EXPECT_EQ(reply("HGET h zz"), "_");
  EXPECT_EQ(reply("HMGET h zz a"), "[_, \"1\"]");
  EXPECT_EQ(reply("HSCAN h 0"), "[\"0\", [\"a\", \"1\"]]");
  EXPECT_EQ(reply("HINCRBYFLOAT h a 1.5"), "\"2.5\"");
}

TEST_F(HashesTest, SurvivesRestart) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(2000);
  for (int i = 0; i < 2000; ++i) {
    commands.push_back({"HSET", "big", "f" + std::to_string(i), "v" + std::to_string(i)});
  }
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  }
  EXPECT_EQ(Run({"HDEL", "big", "f0", "f1"}), ":2");
  EXPECT_EQ(Run({"HSET", "gone", "x", "1"}), ":1");
  EXPECT_EQ(Run({"DEL", "gone"}), ":1");
  EXPECT_EQ(Run({"EXPIREAT", "big", "4000000000"}), ":1");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"HLEN", "big"}), ":1998");
  EXPECT_EQ(Run({"HGET", "big", "f1999"}), "\"v1999\"");
  EXPECT_EQ(Run({"HGET", "big", "f0"}), "(nil)");
  EXPECT_EQ(Elements({"HGETALL", "big"}).size(), 3996u);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "\"hashtable\"");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "big"}), ":4000000000");
  EXPECT_EQ(Run({"HSET", "gone", "y", "2"}), ":1");
  EXPECT_EQ(Run({"HGETALL", "gone"}), "[\"y\", \"2\"]");
}

// A hash whose fields sit in a damaged table block: its reads are errors, never a nil or a
// short answer.
class HashReadErrorTest : public ServerFixture {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "1", "--memtable-size", "256kb"};
  }
};

TEST_F(HashReadErrorTest, ReadsOfDamagedFieldsAreErrors) {
  if (IsRedis()) GTEST_SKIP() << "damages Shale's tables";
  constexpr int kFields = 5000;
  auto value = [](int i) {
    return std::string(150, static_cast<char>('a' + i % 26)) + std::to_string(i);
  };
  std::vector<std::vector<std::string>> commands;
  commands.reserve(kFields);
  for (int i = 0; i < kFields; ++i) {
    commands.push_back({"HSET", "h", "f" + std::to_string(i), value(i)});
  }
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  }
  ASSERT_GT(StopAndDamageEveryTable(), 0);
  RestartAndReconnect();
  int unreadable = 0;
  for (int i = 0; i < kFields; i += 7) {
    const std::string reply = Run({"HGET", "h", "f" + std::to_string(i)});
    if (reply.rfind("-ERR", 0) == 0) {
      ++unreadable;
    } else {
      EXPECT_EQ(reply, "\"" + value(i) + "\"") << i;
    }
  }
  ASSERT_GT(unreadable, 0) << "the damage hit no field";
  EXPECT_EQ(Run({"HGETALL", "h"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"HVALS", "h"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"HRANDFIELD", "h", "-3"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

}  // namespace
}  // namespace shale::integration
