// Sorted-set commands (ZADD ... ZSCAN) with Redis 7's replies, error texts and argument order;
// OBJECT ENCODING by the listpack rules; RESP3's pair replies; WRONGTYPE; the STORE commands and
// sets as inputs; ZSCAN's cursors; the blocking pops; MULTI/EXEC, RENAME/COPY/MOVE, SORT and
// restart.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class ZSetsTest : public ServerFixture {
 protected:
  std::unique_ptr<RawConnection> Resp3() {
    auto raw = ConnectRaw();
    EXPECT_NE(raw, nullptr);
    if (raw == nullptr) return raw;
    EXPECT_TRUE(raw->Send("HELLO 3\r\n"));
    RespValue hello;
    std::string error;
    EXPECT_TRUE(raw->ReadReply(&hello, &error)) << error;
    return raw;
  }
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

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kSyntax = "-ERR syntax error";
constexpr const char* kNotFloat = "-ERR value is not a valid float";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range";

TEST_F(ZSetsTest, AddAndPointReads) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "1", "a"}), ":2");
  EXPECT_EQ(Run({"ZADD", "z", "CH", "3", "a", "2", "b", "4", "c"}), ":2") << "a changed, c added";
  EXPECT_EQ(Run({"ZADD", "z", "NX", "9", "a", "5", "d"}), ":1");
  EXPECT_EQ(Run({"ZADD", "z", "XX", "CH", "9", "a", "5", "e"}), ":1");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "CH", "1", "a", "10", "b"}), ":1");
  EXPECT_EQ(Run({"ZADD", "z", "LT", "CH", "2", "a", "1", "new"}), ":2");
  EXPECT_EQ(Run({"ZSCORE", "z", "a"}), "\"2\"");
  EXPECT_EQ(Run({"ZSCORE", "z", "e"}), "(nil)");
  EXPECT_EQ(Run({"ZSCORE", "missing", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZMSCORE", "z", "a", "nope", "b"}), "[\"2\", (nil), \"10\"]");
  EXPECT_EQ(Run({"ZMSCORE", "missing", "a"}), "[(nil)]");
  EXPECT_EQ(Run({"ZCARD", "z"}), ":5");
  EXPECT_EQ(Run({"ZCARD", "missing"}), ":0");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "1.5", "a"}), "\"3.5\"");
  EXPECT_EQ(Run({"ZADD", "z", "NX", "INCR", "1", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "nokey", "XX", "INCR", "1", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZADD", "nokey", "XX", "1", "a"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "nokey"}), ":0");
  EXPECT_EQ(Run({"ZINCRBY", "z", "-0.5", "a"}), "\"3\"");
  EXPECT_EQ(Run({"ZINCRBY", "z", "2", "fresh"}), "\"2\"");
  EXPECT_EQ(Run({"ZADD", "z", "-inf", "lo", "+inf", "hi", "1e3", "k"}), ":3");
  EXPECT_EQ(Run({"ZSCORE", "z", "lo"}), "\"-inf\"");
  EXPECT_EQ(Run({"ZSCORE", "z", "k"}), "\"1000\"");
  EXPECT_EQ(Run({"ZADD", "inf", "inf", "m"}), ":1");
  EXPECT_EQ(Run({"ZINCRBY", "inf", "-inf", "m"}), "-ERR resulting score is not a number (NaN)");
  EXPECT_EQ(Run({"ZSCORE", "inf", "m"}), "\"inf\"");
  // Errors, as Redis words them.
  EXPECT_EQ(Run({"ZADD", "z", "NX", "1"}), kSyntax);
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2"}), kSyntax);
  EXPECT_EQ(Run({"ZADD", "z", "NX", "XX", "1", "a"}),
            "-ERR XX and NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "z", "GT", "LT", "1", "a"}),
            "-ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "z", "NX", "GT", "1", "a"}),
            "-ERR GT, LT, and/or NX options at the same time are not compatible");
  EXPECT_EQ(Run({"ZADD", "z", "INCR", "1", "a", "2", "b"}),
            "-ERR INCR option supports a single increment-element pair");
  for (const char* bad : {"x", "nan", " 1", "1 ", "", "1e999"}) {
    EXPECT_EQ(Run({"ZADD", "z", bad, "a"}), kNotFloat) << bad;
  }
  EXPECT_EQ(Run({"ZINCRBY", "z", "x", "a"}), kNotFloat);
  EXPECT_EQ(Run({"ZADD", "z"}), "-ERR wrong number of arguments for 'zadd' command");
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Run({"ZADD", "s", "1", "a"}), kWrongType);
  EXPECT_EQ(Run({"ZSCORE", "s", "a"}), kWrongType);
  EXPECT_EQ(Run({"ZCARD", "s"}), kWrongType);
  EXPECT_EQ(Run({"GET", "z"}), kWrongType);
  EXPECT_EQ(Run({"TYPE", "z"}), "+zset");
  EXPECT_EQ(Run({"ZREM", "z", "a", "a", "nope", "b"}), ":2");
  EXPECT_EQ(Run({"ZREM", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"ZREM", "inf", "m"}), ":1");
  EXPECT_EQ(Run({"EXISTS", "inf"}), ":0") << "an emptied sorted set is deleted";
}

TEST_F(ZSetsTest, Ranks) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), ":3");
  EXPECT_EQ(Run({"ZRANK", "z", "a"}), ":0");
  EXPECT_EQ(Run({"ZRANK", "z", "c"}), ":2");
  EXPECT_EQ(Run({"ZREVRANK", "z", "c"}), ":0");
  EXPECT_EQ(Run({"ZRANK", "z", "nope"}), "(nil)");
  EXPECT_EQ(Run({"ZRANK", "missing", "a"}), "(nil)");
  EXPECT_EQ(Run({"ZRANK", "z", "b", "WITHSCORE"}), "[:1, \"2\"]");
  EXPECT_EQ(Run({"ZREVRANK", "z", "b", "withscore"}), "[:1, \"2\"]");
  EXPECT_EQ(Run({"ZRANK", "z", "nope", "WITHSCORE"}), "(nil)");
  EXPECT_EQ(Run({"ZRANK", "z", "a", "bogus"}), kSyntax);
}

TEST_F(ZSetsTest, RangeFamily) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"}), ":5");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1"}), "[\"a\", \"b\", \"c\", \"d\", \"e\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "1", "2", "WITHSCORES"}), "[\"b\", \"2\", \"c\", \"3\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "REV"}), "[\"e\", \"d\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "-2", "100"}), "[\"d\", \"e\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "3", "1"}), "[]");
  EXPECT_EQ(Run({"ZRANGE", "missing", "0", "-1"}), "[]");
  EXPECT_EQ(Run({"ZRANGE", "z", "(1", "3", "BYSCORE"}), "[\"b\", \"c\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "3", "(1", "BYSCORE", "REV"}), "[\"c\", \"b\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"}), "[\"b\", \"c\"]");
  EXPECT_EQ(Run({"ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"}),
            "[\"d\", \"4\", \"c\", \"3\"]");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "2", "4"}), "[\"b\", \"c\", \"d\"]");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES", "LIMIT", "0", "1"}),
            "[\"b\", \"2\"]");
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "z", "4", "(2"}), "[\"d\", \"c\"]");
  EXPECT_EQ(Run({"ZREVRANGE", "z", "0", "0", "WITHSCORES"}), "[\"e\", \"5\"]");
  EXPECT_EQ(Run({"ZCOUNT", "z", "(1", "(5"}), ":3");
  EXPECT_EQ(Run({"ZCOUNT", "z", "-inf", "+inf"}), ":5");
  EXPECT_EQ(Run({"ZCOUNT", "missing", "-inf", "+inf"}), ":0");
  // Lex ranges over equal scores.
  EXPECT_EQ(Run({"ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"}), ":4");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "l", "[b", "+"}), "[\"b\", \"c\", \"d\"]");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "l", "-", "(c"}), "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "2"}), "[\"b\", \"c\"]");
  EXPECT_EQ(Run({"ZREVRANGEBYLEX", "l", "+", "(b"}), "[\"d\", \"c\"]");
  EXPECT_EQ(Run({"ZRANGE", "l", "[c", "-", "BYLEX", "REV"}), "[\"c\", \"b\", \"a\"]");
  EXPECT_EQ(Run({"ZLEXCOUNT", "l", "(a", "[c"}), ":2");
  EXPECT_EQ(Run({"ZLEXCOUNT", "l", "+", "-"}), ":0");
  // ZRANGESTORE: a new sorted set; an empty result deletes the destination.
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "z", "1", "3", "BYSCORE"}), ":3");
  EXPECT_EQ(Run({"ZRANGE", "dst", "0", "-1", "WITHSCORES"}),
            "[\"a\", \"1\", \"b\", \"2\", \"c\", \"3\"]");
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "z", "0", "0", "REV"}), ":1");
  EXPECT_EQ(Run({"ZRANGE", "dst", "0", "-1"}), "[\"e\"]");
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "missing", "0", "-1"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "dst"}), ":0");
  // Errors.
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "LIMIT", "0", "1"}),
            "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or "
            "BYLEX");
  EXPECT_EQ(Run({"ZRANGE", "l", "-", "+", "BYLEX", "WITHSCORES"}),
            "-ERR syntax error, WITHSCORES not supported in combination with BYLEX");
  EXPECT_EQ(Run({"ZRANGE", "z", "a", "1"}), kNotInteger);
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "1", "bogus"}), kSyntax);
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "0", "1", "REV"}), kSyntax) << "fixed direction";
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "x", "1"}), "-ERR min or max is not a float");
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "1", "(nan"}), "-ERR min or max is not a float");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "z", "a", "+"}), "-ERR min or max not valid string range item");
  EXPECT_EQ(Run({"ZRANGEBYLEX", "z", "++", "+"}), "-ERR min or max not valid string range item");
  EXPECT_EQ(Run({"ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES"}), kSyntax);
  EXPECT_EQ(Run({"ZRANGEBYSCORE", "z", "0", "1", "LIMIT", "x", "1"}), kNotInteger);
}

TEST_F(ZSetsTest, RemoveRangesAndPops) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"}), ":6");
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "0", "0"}), ":1");
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "(2", "3"}), ":1");
  EXPECT_EQ(Run({"ZADD", "z", "0", "aa", "0", "ab"}), ":2");
  EXPECT_EQ(Run({"ZREMRANGEBYLEX", "z", "[aa", "(ab"}), ":1");
  EXPECT_EQ(Run({"ZRANGE", "z", "0", "-1"}), "[\"ab\", \"b\", \"d\", \"e\", \"f\"]");
  EXPECT_EQ(Run({"ZPOPMIN", "z"}), "[\"ab\", \"0\"]");
  EXPECT_EQ(Run({"ZPOPMAX", "z", "2"}), "[\"f\", \"6\", \"e\", \"5\"]");
  EXPECT_EQ(Run({"ZPOPMIN", "z", "0"}), "[]");
  EXPECT_EQ(Run({"ZPOPMIN", "missing"}), "[]");
  EXPECT_EQ(Run({"ZPOPMIN", "z", "-1"}), "-ERR value is out of range, must be positive");
  EXPECT_EQ(Run({"ZPOPMIN", "z", "1", "2"}), kSyntax);
  EXPECT_EQ(Run({"ZMPOP", "2", "missing", "z", "MIN"}), "[\"z\", [[\"b\", \"2\"]]]");
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MAX", "COUNT", "10"}), "[\"z\", [[\"d\", \"4\"]]]");
  EXPECT_EQ(Run({"EXISTS", "z"}), ":0");
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MIN"}), "(nil)");
  EXPECT_EQ(Run({"ZMPOP", "0", "z", "MIN"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MID"}), kSyntax);
  EXPECT_EQ(Run({"ZMPOP", "1", "z", "MIN", "COUNT", "0"}), "-ERR count should be greater than 0");
  EXPECT_EQ(Run({"ZMPOP", "5", "z", "MIN"}), kSyntax);
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "z", "x", "1"}), kNotInteger);
  EXPECT_EQ(Run({"ZREMRANGEBYSCORE", "z", "x", "1"}), "-ERR min or max is not a float");
}

TEST_F(ZSetsTest, UnionInterDiffAndStore) {
  EXPECT_EQ(Run({"ZADD", "a", "1", "x", "2", "y", "3", "z"}), ":3");
  EXPECT_EQ(Run({"ZADD", "b", "10", "y", "20", "z", "30", "w"}), ":3");
  EXPECT_EQ(Run({"SADD", "s", "z", "q"}), ":2");
  EXPECT_EQ(Run({"ZUNION", "2", "a", "b", "WITHSCORES"}),
            "[\"x\", \"1\", \"y\", \"12\", \"z\", \"23\", \"w\", \"30\"]");
  EXPECT_EQ(Run({"ZINTER", "2", "a", "b", "WEIGHTS", "2", "1", "WITHSCORES"}),
            "[\"y\", \"14\", \"z\", \"26\"]");
  EXPECT_EQ(Run({"ZINTER", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"}),
            "[\"y\", \"2\", \"z\", \"3\"]");
  EXPECT_EQ(Run({"ZUNION", "2", "a", "b", "AGGREGATE", "MAX"}), "[\"x\", \"y\", \"z\", \"w\"]");
  EXPECT_EQ(Run({"ZDIFF", "2", "a", "b", "WITHSCORES"}), "[\"x\", \"1\"]");
  EXPECT_EQ(Run({"ZINTER", "2", "a", "s", "WITHSCORES"}), "[\"z\", \"4\"]") << "a set scores 1";
  EXPECT_EQ(Run({"ZUNION", "2", "a", "missing"}), "[\"x\", \"y\", \"z\"]");
  EXPECT_EQ(Run({"ZINTER", "2", "a", "missing"}), "[]");
  EXPECT_EQ(Run({"ZINTERCARD", "2", "a", "b"}), ":2");
  EXPECT_EQ(Run({"ZINTERCARD", "2", "a", "b", "LIMIT", "1"}), ":1");
  EXPECT_EQ(Run({"ZINTERCARD", "2", "a", "s"}), ":1");
  EXPECT_EQ(Run({"ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "1", "0.5"}), ":4");
  EXPECT_EQ(Run({"ZRANGE", "u", "0", "-1", "WITHSCORES"}),
            "[\"x\", \"1\", \"y\", \"7\", \"z\", \"13\", \"w\", \"15\"]");
  EXPECT_EQ(Run({"ZINTERSTORE", "u", "2", "a", "b"}), ":2");
  EXPECT_EQ(Run({"ZCARD", "u"}), ":2");
  EXPECT_EQ(Run({"ZDIFFSTORE", "u", "2", "a", "a"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "u"}), ":0") << "an empty result deletes the destination";
  EXPECT_EQ(Run({"ZADD", "inf", "inf", "m"}), ":1");
  EXPECT_EQ(Run({"ZADD", "ninf", "-inf", "m"}), ":1");
  EXPECT_EQ(Run({"ZUNION", "2", "inf", "ninf", "WITHSCORES"}), "[\"m\", \"0\"]")
      << "inf + -inf sums to 0, as in Redis";
  EXPECT_EQ(Run({"ZUNION", "1", "inf", "WEIGHTS", "0", "WITHSCORES"}), "[\"m\", \"0\"]");
  // Errors.
  EXPECT_EQ(Run({"ZUNION", "0", "a"}), "-ERR at least 1 input key is needed for 'zunion' command");
  EXPECT_EQ(Run({"ZUNIONSTORE", "d", "0", "a"}),
            "-ERR at least 1 input key is needed for 'zunionstore' command");
  EXPECT_EQ(Run({"ZUNION", "3", "a", "b"}), kSyntax);
  EXPECT_EQ(Run({"ZUNION", "x", "a"}), kNotInteger);
  EXPECT_EQ(Run({"ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"}),
            "-ERR weight value is not a float");
  EXPECT_EQ(Run({"ZUNION", "2", "a", "b", "AGGREGATE", "AVG"}), kSyntax);
  EXPECT_EQ(Run({"ZDIFF", "2", "a", "b", "WEIGHTS", "1", "1"}), kSyntax);
  EXPECT_EQ(Run({"ZUNIONSTORE", "d", "1", "a", "WITHSCORES"}), kSyntax);
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"ZUNION", "2", "a", "str"}), kWrongType);
  EXPECT_EQ(Run({"ZINTERCARD", "0", "a"}), "-ERR numkeys should be greater than 0");
  EXPECT_EQ(Run({"ZINTERCARD", "1", "a", "LIMIT", "-1"}), "-ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"}),
            "[\"d\", \"a\", \"b\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ZINTER", "2", "a", "b"}), "[\"a\", \"b\"]");
}

TEST_F(ZSetsTest, RandomMemberAndScan) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b", "3", "c"}), ":3");
  ReplyPtr one = client_->Command({"ZRANDMEMBER", "z"});
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->type, REDIS_REPLY_STRING);
  EXPECT_EQ(Run({"ZRANDMEMBER", "missing"}), "(nil)");
  EXPECT_EQ(Run({"ZRANDMEMBER", "missing", "3"}), "[]");
  ReplyPtr all = client_->Command({"ZRANDMEMBER", "z", "10", "WITHSCORES"});
  ASSERT_NE(all, nullptr);
  ASSERT_EQ(all->elements, 6u);
  std::set<std::string> seen;
  for (size_t i = 0; i < 6; i += 2) {
    seen.insert(all->element[i]->str);
    EXPECT_EQ(Run({"ZSCORE", "z", all->element[i]->str}),
              "\"" + std::string(all->element[i + 1]->str) + "\"");
  }
  EXPECT_EQ(seen.size(), 3u);
  ReplyPtr many = client_->Command({"ZRANDMEMBER", "z", "-20"});
  ASSERT_NE(many, nullptr);
  EXPECT_EQ(many->elements, 20u);
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "1", "bogus"}), kSyntax);
  EXPECT_EQ(Run({"ZRANDMEMBER", "z", "x"}), kNotInteger);
  // A listpack sorted set comes whole; a skiplist one is walked.
  EXPECT_EQ(Run({"ZSCAN", "z", "0"}), "[\"0\", [\"a\", \"1\", \"b\", \"2\", \"c\", \"3\"]]");
  EXPECT_EQ(Run({"ZSCAN", "missing", "0"}), "[\"0\", []]");
  EXPECT_EQ(Run({"ZSCAN", "z", "0", "MATCH", "b*"}), "[\"0\", [\"b\", \"2\"]]");
  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-entries", "4"}), "+OK");
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(Run({"ZADD", "big", std::to_string(i), "m" + std::to_string(i)}), ":1");
  }
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "\"skiplist\"");
  std::string cursor = "0";
  std::set<std::string> members;
  int rounds = 0;
  do {
    ReplyPtr page = client_->Command({"ZSCAN", "big", cursor, "COUNT", "7"});
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(page->elements, 2u);
    cursor = page->element[0]->str;
    for (size_t i = 0; i + 1 < page->element[1]->elements; i += 2) {
      EXPECT_TRUE(members.insert(page->element[1]->element[i]->str).second);
    }
  } while (cursor != "0" && ++rounds < 100);
  EXPECT_EQ(members.size(), 30u);
  EXPECT_EQ(Run({"ZSCAN", "big", "12345"}), "-ERR invalid cursor");
}

TEST_F(ZSetsTest, Encodings) {
  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-entries", "2"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "zset-max-listpack-value", "5"}), "+OK");
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2", "b"}), ":2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "\"listpack\"");
  EXPECT_EQ(Run({"ZADD", "z", "3", "c"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "\"skiplist\"");
  EXPECT_EQ(Run({"ZREM", "z", "a", "b"}), ":2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "z"}), "\"skiplist\"") << "sticky";
  EXPECT_EQ(Run({"ZADD", "long", "1", "abcdef"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "long"}), "\"skiplist\"");
  EXPECT_EQ(Run({"ZUNIONSTORE", "u", "1", "z"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "u"}), "\"listpack\"") << "a STORE decides afresh";
}

TEST_F(ZSetsTest, Resp3Replies) {
  EXPECT_EQ(Run({"ZADD", "z", "1", "a", "2.5", "b"}), ":2");
  auto raw = Resp3();
  ASSERT_NE(raw, nullptr);
  const std::string commands[][2] = {
      {"ZSCORE z b", ",2.5\r\n"},
      {"ZSCORE z nope", "_\r\n"},
      {"ZMSCORE z a nope", "*2\r\n,1\r\n_\r\n"},
      {"ZRANGE z 0 -1 WITHSCORES", "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n"},
      {"ZRANGE z 0 0", "*1\r\n$1\r\na\r\n"},
      {"ZRANK z b WITHSCORE", "*2\r\n:1\r\n,2.5\r\n"},
      {"ZINCRBY z 1 a", ",2\r\n"},
      {"ZPOPMIN missing", "*0\r\n"},
      {"ZPOPMIN z", "*2\r\n$1\r\na\r\n,2\r\n"},
      {"ZADD z 7 c", ":1\r\n"},
      {"ZPOPMAX z 1", "*1\r\n*2\r\n$1\r\nc\r\n,7\r\n"},
      {"ZSCAN z 0", "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nb\r\n$3\r\n2.5\r\n"},
      {"ZMPOP 1 missing MIN", "_\r\n"},
  };
  for (const auto& [command, reply] : commands) {
    ASSERT_TRUE(raw->Send(command + "\r\n"));
    EXPECT_EQ(raw->Read(reply.size()), reply) << command;
  }
}

TEST_F(ZSetsTest, BlockingPops) {
  EXPECT_EQ(Run({"ZADD", "b", "1", "x", "2", "y"}), ":2");
  EXPECT_EQ(Run({"BZPOPMIN", "a", "b", "0"}), "[\"b\", \"x\", \"1\"]");
  EXPECT_EQ(Run({"BZPOPMAX", "a", "b", "0"}), "[\"b\", \"y\", \"2\"]");
  EXPECT_EQ(Run({"BZPOPMIN", "a", "0.01"}), "(nil)");
  EXPECT_EQ(Run({"BZMPOP", "0.01", "1", "a", "MIN"}), "(nil)");
  EXPECT_EQ(Run({"BZPOPMIN", "a", "x"}), "-ERR timeout is not a float or out of range");
  EXPECT_EQ(Run({"BZPOPMIN", "a", "-1"}), "-ERR timeout is negative");
  EXPECT_EQ(Run({"RPUSH", "list", "v"}), ":1");
  EXPECT_EQ(Run({"BZPOPMIN", "list", "0"}), kWrongType);
  // A ZADD wakes the blocked clients in the order they blocked.
  auto first = Blocked("BZPOPMIN q 0", 0);
  auto second = Blocked("BZMPOP 0 2 other q MAX COUNT 5", 1);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Run({"ZADD", "q", "5", "m5"}), ":1");
  EXPECT_EQ(Reply(first.get()), "[\"q\", \"m5\", \"5\"]");
  EXPECT_EQ(Run({"ZADD", "q", "1", "m1", "2", "m2"}), ":2");
  EXPECT_EQ(Reply(second.get()), "[\"q\", [[\"m2\", \"2\"], [\"m1\", \"1\"]]]");
  EXPECT_EQ(Run({"EXISTS", "q"}), ":0");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "0");
  // A list pushed under the key does not wake a client waiting for a sorted set.
  auto waiting = Blocked("BZPOPMAX k 0", 0);
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(Run({"RPUSH", "k", "v"}), ":1");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "1");
  EXPECT_EQ(Run({"DEL", "k"}), ":1");
  EXPECT_EQ(Run({"ZADD", "k", "3", "z"}), ":1");
  EXPECT_EQ(Reply(waiting.get()), "[\"k\", \"z\", \"3\"]");
  // Inside MULTI it never blocks.
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"BZPOPMIN", "none", "0"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[(nil)]");
}

// A sorted set large enough for the rank index (1,024 members): ranks, rank ranges, counts and
// reversed LIMIT ranges while pops from both ends and adds at both ends interleave, then the
// same after a restart (the index read back from disk).
TEST_F(ZSetsTest, LargeSortedSetRanksAndPops) {
  constexpr int kMembers = 5000;
  auto name = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "m%05d", i);
    return std::string(buf);
  };
  for (int first = 0; first < kMembers; first += 500) {
    std::vector<std::string> args = {"ZADD", "big"};
    for (int i = first; i < first + 500; ++i) {
      args.push_back(std::to_string(i));
      args.push_back(name(i));
    }
    EXPECT_EQ(Run(args), ":500");
  }
  EXPECT_EQ(Run({"ZRANK", "big", name(2500)}), ":2500");
  EXPECT_EQ(Run({"ZREVRANK", "big", name(2500)}), ":2499");
  EXPECT_EQ(Run({"ZRANGE", "big", "3000", "3002"}),
            "[\"" + name(3000) + "\", \"" + name(3001) + "\", \"" + name(3002) + "\"]");
  EXPECT_EQ(Run({"ZCOUNT", "big", "(1000", "2000"}), ":1000");
  EXPECT_EQ(Run({"ZREVRANGEBYSCORE", "big", "4000", "-inf", "LIMIT", "10", "2"}),
            "[\"" + name(3990) + "\", \"" + name(3989) + "\"]");
  // 1,000 pops from each end, with a member added below and above every 100 pops.
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(Run({"ZPOPMIN", "big"}), "[\"" + name(i) + "\", \"" + std::to_string(i) + "\"]");
    ASSERT_EQ(Run({"ZPOPMAX", "big"}),
              "[\"" + name(kMembers - 1 - i) + "\", \"" + std::to_string(kMembers - 1 - i) + "\"]");
  }
  EXPECT_EQ(Run({"ZADD", "big", "-1", "low", "99999", "high"}), ":2");
  EXPECT_EQ(Run({"ZPOPMIN", "big"}), "[\"low\", \"-1\"]");
  EXPECT_EQ(Run({"ZPOPMAX", "big"}), "[\"high\", \"99999\"]");
  EXPECT_EQ(Run({"ZCARD", "big"}), ":3000");
  EXPECT_EQ(Run({"ZRANK", "big", name(2500)}), ":1500");
  EXPECT_EQ(Run({"ZREMRANGEBYRANK", "big", "0", "9"}), ":10");
  EXPECT_EQ(Run({"ZRANGE", "big", "0", "0"}), "[\"" + name(1010) + "\"]");
  client_->Command({"SHUTDOWN"});  // answers nothing: the connection closes
  ASSERT_TRUE(server_.WaitForExit(std::chrono::seconds(30)));
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  EXPECT_EQ(Run({"ZCARD", "big"}), ":2990");
  EXPECT_EQ(Run({"ZRANK", "big", name(2500)}), ":1490");
  EXPECT_EQ(Run({"ZREVRANK", "big", name(2500)}), ":1499");
  EXPECT_EQ(Run({"ZPOPMIN", "big"}), "[\"" + name(1010) + "\", \"1010\"]");
  EXPECT_EQ(Run({"ZRANGE", "big", "-1", "-1"}), "[\"" + name(3999) + "\"]");
}

TEST_F(ZSetsTest, KeyspaceCommandsTransactionsSortAndRestart) {
  EXPECT_EQ(Run({"ZADD", "a", "3", "x", "1", "y", "2", "z"}), ":3");
  EXPECT_EQ(Run({"EXPIRE", "a", "100"}), ":1");
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "+OK");
  EXPECT_EQ(Run({"TTL", "b"}), ":100");
  EXPECT_EQ(Run({"COPY", "b", "c"}), ":1");
  EXPECT_EQ(Run({"ZADD", "c", "9", "w"}), ":1");
  EXPECT_EQ(Run({"ZCARD", "b"}), ":3") << "a copy, not a view";
  EXPECT_EQ(Run({"MOVE", "c", "3"}), ":1");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"ZRANGE", "c", "0", "-1"}), "[\"y\", \"z\", \"x\", \"w\"]");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"SORT", "b"}), "-ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT", "b", "BY", "nosort"}), "[\"y\", \"z\", \"x\"]") << "score order";
  EXPECT_EQ(Run({"SORT", "b", "ALPHA", "DESC"}), "[\"z\", \"y\", \"x\"]");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"ZADD", "m", "1", "p"}), "+QUEUED");
  EXPECT_EQ(Run({"ZINCRBY", "m", "2", "p"}), "+QUEUED");
  EXPECT_EQ(Run({"ZUNIONSTORE", "n", "2", "m", "b"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:1, \"3\", :4]");
  client_->Command({"SHUTDOWN"});  // answers nothing: the connection closes
  ASSERT_TRUE(server_.WaitForExit(std::chrono::seconds(30)));
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  EXPECT_EQ(Run({"ZRANGE", "n", "0", "-1", "WITHSCORES"}),
            "[\"y\", \"1\", \"z\", \"2\", \"p\", \"3\", \"x\", \"3\"]");
  EXPECT_EQ(Run({"ZSCORE", "b", "x"}), "\"3\"");
  EXPECT_GT(std::stoi(Run({"TTL", "b"}).substr(1)), 0);
}

}  // namespace
}  // namespace shale::integration
