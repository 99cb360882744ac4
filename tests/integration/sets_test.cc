// Set commands (SADD ... SSCAN) with Redis 7.0's replies, error texts and argument order; OBJECT
// ENCODING by the intset rules; RESP3's set replies; WRONGTYPE both ways; the STORE commands and
// SMOVE; SSCAN's cursors; MULTI/EXEC; restart. Also passes against Redis (SHALE_TEST_SERVER), where
// member order is Redis's own: tests compare sorted members where it differs.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class SetsTest : public ServerFixture {
 protected:
  // The members a command answers (SMEMBERS, SINTER...), sorted.
  std::vector<std::string> Sorted(const std::vector<std::string>& args) {
    ReplyPtr reply = client_->Command(args);
    EXPECT_NE(reply, nullptr);
    if (reply == nullptr) return {};
    EXPECT_EQ(reply->type, REDIS_REPLY_ARRAY) << Describe(reply);
    std::vector<std::string> members = ArrayStrings(reply.get());
    std::sort(members.begin(), members.end());
    return members;
  }
  std::vector<std::string> Members(const std::string& key) { return Sorted({"SMEMBERS", key}); }
  using Strings = std::vector<std::string>;
};

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kNotInteger = "-ERR value is not an integer or out of range";
constexpr const char* kSyntax = "-ERR syntax error";
constexpr const char* kMustBePositive = "-ERR value is out of range, must be positive";

// A set large enough for the positional index (1,024 members): SPOP and SRANDMEMBER give members
// of the set (distinct ones with a positive count) while SADD, SREM and SMOVE change it.
TEST_F(SetsTest, LargeSetRandomMembersAndPops) {
  std::set<std::string> model;
  std::vector<std::string> args = {"SADD", "big"};
  for (int i = 0; i < 3000; ++i) {
    args.push_back("e" + std::to_string(i));
    model.insert(args.back());
  }
  EXPECT_EQ(Run(args), ":3000");
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE(round);
    Strings popped = Sorted({"SPOP", "big", "3"});
    ASSERT_EQ(popped.size(), 3u);
    for (const std::string& p : popped) ASSERT_EQ(model.erase(p), 1u) << p;
    const std::string added = "n" + std::to_string(round);
    ASSERT_EQ(Run({"SADD", "big", added}), ":1");
    model.insert(added);
    const std::string gone = *model.begin();
    ASSERT_EQ(Run({"SMOVE", "big", "other", gone}), ":1");
    model.erase(gone);
    Strings drawn = Sorted({"SRANDMEMBER", "big", "5"});
    ASSERT_EQ(drawn.size(), 5u);
    ASSERT_EQ(std::set<std::string>(drawn.begin(), drawn.end()).size(), 5u) << "distinct";
    for (const std::string& d : drawn) ASSERT_EQ(model.count(d), 1u) << d;
  }
  EXPECT_EQ(Run({"SCARD", "big"}), ":" + std::to_string(model.size()));
  EXPECT_EQ(Members("big"), Strings(model.begin(), model.end()));
}

TEST_F(SetsTest, AddRemoveAndMembership) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "a"}), ":2");
  EXPECT_EQ(Run({"SADD", "s", "b", "c"}), ":1");
  EXPECT_EQ(Members("s"), (Strings{"a", "b", "c"}));
  EXPECT_EQ(Run({"SCARD", "s"}), ":3");
  EXPECT_EQ(Run({"SCARD", "missing"}), ":0");
  EXPECT_EQ(Run({"SISMEMBER", "s", "a"}), ":1");
  EXPECT_EQ(Run({"SISMEMBER", "s", "z"}), ":0");
  EXPECT_EQ(Run({"SISMEMBER", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"SMISMEMBER", "s", "a", "z", "c"}), "[:1, :0, :1]");
  EXPECT_EQ(Run({"SMISMEMBER", "missing", "a", "b"}), "[:0, :0]");
  EXPECT_EQ(Run({"SMEMBERS", "missing"}), "[]");
  EXPECT_EQ(Run({"SREM", "s", "a", "a", "z"}), ":1");
  EXPECT_EQ(Run({"SREM", "missing", "a"}), ":0");
  EXPECT_EQ(Run({"TYPE", "s"}), "+set");
  EXPECT_EQ(Run({"SREM", "s", "b", "c"}), ":2");
  EXPECT_EQ(Run({"EXISTS", "s"}), ":0") << "an emptied set is deleted";
  EXPECT_EQ(Run({"SADD", "n", "3", "1", "2"}), ":3");
  EXPECT_EQ(Run({"SMEMBERS", "n"}), "[\"1\", \"2\", \"3\"]") << "an intset's order";
  EXPECT_EQ(Run({"SADD", "s"}), "-ERR wrong number of arguments for 'sadd' command");
  EXPECT_EQ(Run({"SMISMEMBER", "s"}), "-ERR wrong number of arguments for 'smismember' command");
  EXPECT_EQ(Run({"SINTERCARD", "1"}), "-ERR wrong number of arguments for 'sintercard' command");
}

// Redis 7.0: intset while every member is a canonical int64 and there are at most
// set-max-intset-entries; hashtable for good from then on.
TEST_F(SetsTest, Encodings) {
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-intset-entries", "4"}), "+OK");
  EXPECT_EQ(Run({"SADD", "i", "1", "-2", "9223372036854775807", "-9223372036854775808"}), ":4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "\"intset\"");
  EXPECT_EQ(Run({"SADD", "i", "5"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "\"hashtable\"");
  EXPECT_EQ(Run({"SREM", "i", "5", "1"}), ":2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "i"}), "\"hashtable\"") << "sticky";
  for (const char* odd : {"-0", "007", "+1", "9223372036854775808", "1.5", "x"}) {
    SCOPED_TRACE(odd);
    Run({"DEL", "o"});
    EXPECT_EQ(Run({"SADD", "o", "1"}), ":1");
    EXPECT_EQ(Run({"OBJECT", "ENCODING", "o"}), "\"intset\"");
    EXPECT_EQ(Run({"SADD", "o", odd}), ":1");
    EXPECT_EQ(Run({"OBJECT", "ENCODING", "o"}), "\"hashtable\"");
  }
  // The STORE commands and SMOVE make the destination's encoding by the same rules.
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "i"}), ":3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "u"}), "\"intset\"");
  EXPECT_EQ(Run({"SADD", "src", "7", "x"}), ":2");
  EXPECT_EQ(Run({"SMOVE", "src", "d", "7"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "d"}), "\"intset\"");
  EXPECT_EQ(Run({"SMOVE", "src", "d", "x"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "d"}), "\"hashtable\"");
  // SPOP leaving few members rebuilds the set from them (Redis's case 3).
  EXPECT_EQ(Run({"SADD", "p", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}), ":10");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "p"}), "\"hashtable\"");
  EXPECT_EQ(Run({"EXPIRE", "p", "100"}), ":1");
  EXPECT_EQ(Sorted({"SPOP", "p", "9"}).size(), 9u);
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "p"}), "\"intset\"");
  EXPECT_EQ(Run({"TTL", "p"}), ":100");
  // COPY keeps the encoding.
  EXPECT_EQ(Run({"COPY", "i", "icopy"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "icopy"}), "\"hashtable\"");
  EXPECT_EQ(Run({"CONFIG", "SET", "set-max-intset-entries", "512"}), "+OK");
}

TEST_F(SetsTest, RandomMemberAndPop) {
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "c", "d", "e"}), ":5");
  const std::set<std::string> all = {"a", "b", "c", "d", "e"};
  std::string one = client_->Run({"SRANDMEMBER", "s"});
  EXPECT_EQ(all.count(one.substr(1, one.size() - 2)), 1u) << one;
  Strings three = Sorted({"SRANDMEMBER", "s", "3"});
  EXPECT_EQ(three.size(), 3u);
  EXPECT_EQ(std::set<std::string>(three.begin(), three.end()).size(), 3u) << "distinct";
  EXPECT_EQ(Sorted({"SRANDMEMBER", "s", "10"}), Strings(all.begin(), all.end()));
  Strings repeats = Sorted({"SRANDMEMBER", "s", "-20"});
  EXPECT_EQ(repeats.size(), 20u);
  for (const std::string& m : repeats) EXPECT_EQ(all.count(m), 1u) << m;
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "0"}), "[]");
  EXPECT_EQ(Run({"SRANDMEMBER", "missing"}), "(nil)");
  EXPECT_EQ(Run({"SRANDMEMBER", "missing", "5"}), "[]");
  EXPECT_EQ(Run({"SRANDMEMBER", "missing", "-5"}), "[]");
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "abc"}), kNotInteger);
  EXPECT_EQ(Run({"SRANDMEMBER", "missing", "abc"}), kNotInteger);
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "-9223372036854775808"}),
            "-ERR value is out of range, value must between -9223372036854775807 and "
            "9223372036854775807");
  EXPECT_EQ(Run({"SRANDMEMBER", "s", "1", "2"}), kSyntax);
  EXPECT_EQ(Run({"SCARD", "s"}), ":5") << "SRANDMEMBER changes nothing";

  EXPECT_EQ(Run({"SPOP", "s", "-1"}), kMustBePositive);
  EXPECT_EQ(Run({"SPOP", "s", "abc"}), kMustBePositive);
  EXPECT_EQ(Run({"SPOP", "missing", "-1"}), kMustBePositive);
  EXPECT_EQ(Run({"SPOP", "s", "1", "2"}), kSyntax);
  EXPECT_EQ(Run({"SPOP", "s", "0"}), "[]");
  EXPECT_EQ(Run({"SPOP", "missing"}), "(nil)");
  EXPECT_EQ(Run({"SPOP", "missing", "2"}), "[]");
  Strings popped = Sorted({"SPOP", "s", "2"});
  EXPECT_EQ(popped.size(), 2u);
  EXPECT_EQ(Run({"SCARD", "s"}), ":3");
  for (const std::string& m : popped) EXPECT_EQ(Run({"SISMEMBER", "s", m}), ":0");
  one = client_->Run({"SPOP", "s"});
  EXPECT_EQ(Run({"SCARD", "s"}), ":2");
  Strings rest = Sorted({"SPOP", "s", "10"});
  EXPECT_EQ(rest.size(), 2u);
  popped.insert(popped.end(), rest.begin(), rest.end());
  popped.push_back(one.substr(1, one.size() - 2));
  std::sort(popped.begin(), popped.end());
  EXPECT_EQ(popped, Strings(all.begin(), all.end()));
  EXPECT_EQ(Run({"EXISTS", "s"}), ":0") << "the last pop deletes the key";
}

TEST_F(SetsTest, Move) {
  EXPECT_EQ(Run({"SADD", "src", "a", "b"}), ":2");
  EXPECT_EQ(Run({"SADD", "dst", "b"}), ":1");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "a"}), ":1");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "a"}), ":0");
  EXPECT_EQ(Run({"SMOVE", "src", "dst", "b"}), ":1") << "also when the destination has it";
  EXPECT_EQ(Run({"EXISTS", "src"}), ":0");
  EXPECT_EQ(Members("dst"), (Strings{"a", "b"}));
  EXPECT_EQ(Run({"SMOVE", "dst", "dst", "a"}), ":1");
  EXPECT_EQ(Run({"SMOVE", "dst", "dst", "z"}), ":0");
  EXPECT_EQ(Run({"SMOVE", "missing", "dst", "a"}), ":0");
  EXPECT_EQ(Run({"SMOVE", "dst", "new", "a"}), ":1");
  EXPECT_EQ(Members("new"), (Strings{"a"}));
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"SMOVE", "dst", "str", "nope"}), kWrongType) << "even when the member is absent";
  EXPECT_EQ(Run({"SMOVE", "dst", "str", "b"}), kWrongType);
  EXPECT_EQ(Run({"SMOVE", "str", "dst", "b"}), kWrongType);
  EXPECT_EQ(Run({"SMOVE", "missing", "str", "b"}), ":0") << "an absent source decides first";
  EXPECT_EQ(Members("dst"), (Strings{"b"}));
}

TEST_F(SetsTest, AlgebraAndStore) {
  EXPECT_EQ(Run({"SADD", "a", "1", "2", "3", "4", "x"}), ":5");
  EXPECT_EQ(Run({"SADD", "b", "3", "4", "5"}), ":3");
  EXPECT_EQ(Run({"SADD", "c", "4", "x", "9"}), ":3");
  EXPECT_EQ(Sorted({"SINTER", "a", "b"}), (Strings{"3", "4"}));
  EXPECT_EQ(Sorted({"SINTER", "a", "b", "c"}), (Strings{"4"}));
  EXPECT_EQ(Sorted({"SINTER", "a", "missing"}), Strings{});
  EXPECT_EQ(Sorted({"SUNION", "b", "c", "missing"}), (Strings{"3", "4", "5", "9", "x"}));
  EXPECT_EQ(Sorted({"SDIFF", "a", "b", "c"}), (Strings{"1", "2"}));
  EXPECT_EQ(Sorted({"SDIFF", "missing", "a"}), Strings{});
  EXPECT_EQ(Sorted({"SDIFF", "a", "a"}), Strings{});
  EXPECT_EQ(Run({"SINTERSTORE", "d", "a", "b"}), ":2");
  EXPECT_EQ(Members("d"), (Strings{"3", "4"}));
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "b", "c"}), ":5");
  EXPECT_EQ(Members("d"), (Strings{"3", "4", "5", "9", "x"}));
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "a", "b"}), ":3");
  EXPECT_EQ(Members("d"), (Strings{"1", "2", "x"}));
  EXPECT_EQ(Run({"SINTERSTORE", "a", "a", "c"}), ":2") << "the destination may be a source";
  EXPECT_EQ(Members("a"), (Strings{"4", "x"}));
  // The destination is replaced whatever it holds, its deadline dropped; an empty result deletes.
  EXPECT_EQ(Run({"SET", "str", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"SUNIONSTORE", "str", "b"}), ":3");
  EXPECT_EQ(Run({"TYPE", "str"}), "+set");
  EXPECT_EQ(Run({"TTL", "str"}), ":-1");
  EXPECT_EQ(Run({"SINTERSTORE", "str", "b", "missing"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "str"}), ":0");
  EXPECT_EQ(Run({"SUNIONSTORE", "d", "missing"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
  EXPECT_EQ(Run({"SDIFFSTORE", "d", "b", "b"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
  // Every key is type-checked, also after an absent one.
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  for (const char* command : {"SINTER", "SUNION", "SDIFF"}) {
    SCOPED_TRACE(command);
    EXPECT_EQ(Run({command, "missing", "str"}), kWrongType);
    EXPECT_EQ(Run({std::string(command) + "STORE", "d", "missing", "str"}), kWrongType);
    EXPECT_EQ(Run({command, "b", "str"}), kWrongType);
  }
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
}

TEST_F(SetsTest, InterCard) {
  EXPECT_EQ(Run({"SADD", "a", "1", "2", "3", "4"}), ":4");
  EXPECT_EQ(Run({"SADD", "b", "2", "3", "4", "5"}), ":4");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b"}), ":3");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "2"}), ":2");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "limit", "0"}), ":3");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "b", "LIMIT", "9", "LIMIT", "1"}), ":1");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a"}), ":4");
  EXPECT_EQ(Run({"SINTERCARD", "2", "a", "missing"}), ":0");
  const char* kNumKeys = "-ERR numkeys should be greater than 0";
  EXPECT_EQ(Run({"SINTERCARD", "0", "a"}), kNumKeys);
  EXPECT_EQ(Run({"SINTERCARD", "-1", "a"}), kNumKeys);
  EXPECT_EQ(Run({"SINTERCARD", "abc", "a"}), kNumKeys);
  EXPECT_EQ(Run({"SINTERCARD", "3", "a", "b"}),
            "-ERR Number of keys can't be greater than number of args");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT"}), kSyntax);
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT", "-1"}), "-ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "LIMIT", "abc"}), "-ERR LIMIT can't be negative");
  EXPECT_EQ(Run({"SINTERCARD", "1", "a", "foo", "1"}), kSyntax);
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"SINTERCARD", "2", "missing", "str"}), kWrongType);
}

TEST_F(SetsTest, ScanReturnsAnIntsetWholeAndWalksAHashtable) {
  EXPECT_EQ(Run({"SADD", "small", "1", "2", "3"}), ":3");
  EXPECT_EQ(Run({"SSCAN", "small", "0", "COUNT", "1"}), "[\"0\", [\"1\", \"2\", \"3\"]]");
  EXPECT_EQ(Run({"SSCAN", "small", "0", "MATCH", "2*"}), "[\"0\", [\"2\"]]");
  EXPECT_EQ(Run({"SSCAN", "small", "12345"}), "[\"0\", [\"1\", \"2\", \"3\"]]")
      << "an intset ignores the cursor";
  EXPECT_EQ(Run({"SSCAN", "missing", "0", "COUNT", "0"}), "[\"0\", []]")
      << "an absent key answers before the options are read";
  EXPECT_EQ(Run({"SSCAN", "small", "abc"}), "-ERR invalid cursor");
  EXPECT_EQ(Run({"SSCAN", "small", "0", "COUNT", "0"}), kSyntax);
  EXPECT_EQ(Run({"SSCAN", "small", "0", "COUNT", "abc"}), kNotInteger);
  EXPECT_EQ(Run({"SSCAN", "small", "0", "MATCH"}), kSyntax);
  EXPECT_EQ(Run({"SSCAN", "small", "0", "TYPE", "string"}), kSyntax);
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"SSCAN", "str", "0"}), kWrongType);
  EXPECT_EQ(Run({"SSCAN", "str", "abc"}), "-ERR invalid cursor");
  // A hashtable is walked: every member exactly once, then cursor 0.
  std::vector<std::string> add = {"SADD", "big"};
  add.reserve(102);
  for (int i = 0; i < 100; ++i) add.push_back("m" + std::to_string(i));
  EXPECT_EQ(Run(add), ":100");
  std::multiset<std::string> seen;
  std::string cursor = "0";
  int calls = 0;
  do {
    ReplyPtr reply = client_->Command({"SSCAN", "big", cursor, "COUNT", "10"});
    ASSERT_NE(reply, nullptr);
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY) << Describe(reply);
    ASSERT_EQ(reply->elements, 2u);
    cursor = ReplyString(reply->element[0]);
    for (const std::string& m : ArrayStrings(reply->element[1])) seen.insert(m);
    ++calls;
  } while (cursor != "0" && calls < 1000);
  EXPECT_EQ(cursor, "0");
  EXPECT_GT(calls, 1);
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 100u) << "no repeats";
  // MATCH filters what a walk returns.
  std::set<std::string> matched;
  cursor = "0";
  calls = 0;
  do {
    ReplyPtr reply = client_->Command({"SSCAN", "big", cursor, "MATCH", "m1*", "COUNT", "5"});
    ASSERT_NE(reply, nullptr);
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY) << Describe(reply);
    cursor = ReplyString(reply->element[0]);
    for (const std::string& m : ArrayStrings(reply->element[1])) matched.insert(m);
    ++calls;
  } while (cursor != "0" && calls < 1000);
  EXPECT_EQ(matched.size(), 11u);  // m1, m10 .. m19
}

TEST_F(SetsTest, WrongTypeBothWays) {
  EXPECT_EQ(Run({"SADD", "set", "a"}), ":1");
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "list", "v"}), ":1");
  for (const std::vector<std::string>& command : std::vector<std::vector<std::string>>{
           {"GET", "set"},
           {"INCR", "set"},
           {"APPEND", "set", "x"},
           {"STRLEN", "set"},
           {"GETRANGE", "set", "0", "1"},
           {"LPUSH", "set", "x"},
           {"LLEN", "set"},
           {"LRANGE", "set", "0", "-1"},
           {"LPOP", "set"},
           {"SADD", "str", "a"},
           {"SREM", "str", "a"},
           {"SCARD", "str"},
           {"SISMEMBER", "str", "a"},
           {"SMISMEMBER", "str", "a"},
           {"SMEMBERS", "list"},
           {"SRANDMEMBER", "str"},
           {"SRANDMEMBER", "str", "0"},
           {"SPOP", "list"},
           {"SPOP", "str", "0"},
           {"SADD", "list", "a"},
       }) {
    EXPECT_EQ(Run(command), kWrongType) << command[0] << " " << command[1];
  }
  EXPECT_EQ(Run({"MGET", "set", "str"}), "[(nil), \"v\"]");
  EXPECT_EQ(Run({"SET", "set", "now a string"}), "+OK");
  EXPECT_EQ(Run({"GET", "set"}), "\"now a string\"");
}

TEST_F(SetsTest, Resp3Replies) {
  EXPECT_EQ(Run({"SADD", "s", "a"}), ":1");
  EXPECT_EQ(Run({"SADD", "t", "a"}), ":1");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  const std::string set_a = "~1\r\n$1\r\na\r\n";
  const std::string commands[][2] = {
      {"SMEMBERS s", set_a},
      {"SMEMBERS missing", "~0\r\n"},
      {"SINTER s t", set_a},
      {"SINTER s missing", "~0\r\n"},
      {"SUNION s t", set_a},
      {"SDIFF s t", "~0\r\n"},
      {"SRANDMEMBER s 2", "*1\r\n$1\r\na\r\n"},
      {"SRANDMEMBER missing 2", "*0\r\n"},
      {"SRANDMEMBER missing", "_\r\n"},
      {"SPOP missing", "_\r\n"},
      {"SPOP missing 2", "~0\r\n"},
      {"SPOP s 0", "~0\r\n"},
      {"SMISMEMBER s a", "*1\r\n:1\r\n"},
      {"SSCAN s 0", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"},
      {"SPOP t 5", set_a},
  };
  for (const auto& [command, reply] : commands) {
    ASSERT_TRUE(raw->Send(command + "\r\n"));
    EXPECT_EQ(raw->Read(reply.size()), reply) << command;
  }
}

TEST_F(SetsTest, RenameCopyMoveAndTransactions) {
  EXPECT_EQ(Run({"SADD", "a", "1", "2", "x"}), ":3");
  EXPECT_EQ(Run({"EXPIRE", "a", "100"}), ":1");
  EXPECT_EQ(Run({"RENAME", "a", "b"}), "+OK");
  EXPECT_EQ(Members("b"), (Strings{"1", "2", "x"}));
  EXPECT_EQ(Run({"TTL", "b"}), ":100");
  EXPECT_EQ(Run({"COPY", "b", "c"}), ":1");
  EXPECT_EQ(Run({"SADD", "c", "y"}), ":1");
  EXPECT_EQ(Run({"SCARD", "b"}), ":3") << "a copy, not a view";
  EXPECT_EQ(Run({"MOVE", "c", "3"}), ":1");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"SCARD", "c"}), ":4");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"SADD", "a", "new"}), ":1");
  EXPECT_EQ(Members("a"), (Strings{"new"}));
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SADD", "m", "1", "2"}), "+QUEUED");
  EXPECT_EQ(Run({"SMOVE", "m", "n", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"SCARD", "n"}), "+QUEUED");
  EXPECT_EQ(Run({"SINTERSTORE", "o", "m", "n"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:2, :1, :1, :0]");
}

// SORT and SORT_RO over lists and sets (Redis's sort.c): numeric and ALPHA order, BY and GET
// patterns, LIMIT, STORE.
TEST_F(SetsTest, Sort) {
  EXPECT_EQ(Run({"RPUSH", "l", "3", "1", "2", "10"}), ":4");
  EXPECT_EQ(Run({"SORT", "l"}), "[\"1\", \"2\", \"3\", \"10\"]");
  EXPECT_EQ(Run({"SORT", "l", "DESC"}), "[\"10\", \"3\", \"2\", \"1\"]");
  EXPECT_EQ(Run({"SORT", "l", "ALPHA"}), "[\"1\", \"10\", \"2\", \"3\"]");
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "1", "2"}), "[\"2\", \"3\"]");
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "-1", "2"}), "[\"1\", \"2\"]");
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "2", "-1"}), "[\"3\", \"10\"]");
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "10", "2"}), "[]");
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "1", "9223372036854775807"}), "[\"2\", \"3\", \"10\"]");
  EXPECT_EQ(Run({"SORT_RO", "l", "ASC", "DESC"}), "[\"10\", \"3\", \"2\", \"1\"]");
  EXPECT_EQ(Run({"SORT", "l", "BY", "nosort"}), "[\"3\", \"1\", \"2\", \"10\"]");
  EXPECT_EQ(Run({"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"}), "[\"2\", \"1\"]");
  EXPECT_EQ(Run({"SET", "w_3", "30"}), "+OK");
  EXPECT_EQ(Run({"SET", "w_1", "100"}), "+OK");
  EXPECT_EQ(Run({"SET", "w_2", "x"}), "+OK");
  EXPECT_EQ(Run({"SORT", "l", "BY", "w_*", "ALPHA"}), "[\"10\", \"1\", \"3\", \"2\"]")
      << "a missing weight sorts first";
  EXPECT_EQ(Run({"SORT", "l", "BY", "w_*"}),
            "-ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT", "l", "GET", "#", "GET", "w_*"}),
            "[\"1\", \"100\", \"2\", \"x\", \"3\", \"30\", \"10\", (nil)]");
  EXPECT_EQ(Run({"SORT", "l", "GET", "w_"}), "[(nil), (nil), (nil), (nil)]");
  EXPECT_EQ(Run({"SET", "x_1", "5"}), "+OK");
  EXPECT_EQ(Run({"SET", "x_2", "5"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "t", "2", "1", "3"}), ":3");
  EXPECT_EQ(Run({"SORT", "t", "BY", "x_*"}), "[\"3\", \"1\", \"2\"]") << "ties by element";
  EXPECT_EQ(Run({"SORT", "t", "BY", "x_*", "DESC"}), "[\"2\", \"1\", \"3\"]");
  // Scores are read as strtod reads them.
  EXPECT_EQ(Run({"RPUSH", "f", "1.5", "-2", "1e3", "0x10", "-inf", ""}), ":6");
  EXPECT_EQ(Run({"SORT", "f"}), "[\"-inf\", \"-2\", \"\", \"1.5\", \"0x10\", \"1e3\"]");
  EXPECT_EQ(Run({"RPUSH", "g", "2", "nan"}), ":2");
  EXPECT_EQ(Run({"SORT", "g"}), "-ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT", "g", "ALPHA"}), "[\"2\", \"nan\"]");
  // Sets; an unsorted set is sorted when stored.
  EXPECT_EQ(Run({"SADD", "s", "c", "a", "b"}), ":3");
  EXPECT_EQ(Run({"SORT", "s", "ALPHA", "DESC"}), "[\"c\", \"b\", \"a\"]");
  EXPECT_EQ(Run({"SORT", "s"}), "-ERR One or more scores can't be converted into double");
  EXPECT_EQ(Run({"SORT", "s", "BY", "nosort", "STORE", "d"}), ":3");
  EXPECT_EQ(Run({"LRANGE", "d", "0", "-1"}), "[\"a\", \"b\", \"c\"]");
  // STORE: a list replacing the destination (deadline dropped); nil GETs stored as "".
  EXPECT_EQ(Run({"SET", "dst", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"SORT", "l", "GET", "w_*", "STORE", "dst"}), ":4");
  EXPECT_EQ(Run({"TYPE", "dst"}), "+list");
  EXPECT_EQ(Run({"TTL", "dst"}), ":-1");
  EXPECT_EQ(Run({"LRANGE", "dst", "0", "-1"}), "[\"100\", \"x\", \"30\", \"\"]");
  EXPECT_EQ(Run({"SORT", "missing", "STORE", "dst"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "dst"}), ":0");
  EXPECT_EQ(Run({"SORT", "missing"}), "[]");
  // Errors: options first, then the key's type.
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"SORT", "str"}), kWrongType);
  EXPECT_EQ(Run({"SORT", "str", "foo"}), kSyntax);
  EXPECT_EQ(Run({"SORT_RO", "l", "STORE", "x"}), kSyntax);
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "1"}), kSyntax);
  EXPECT_EQ(Run({"SORT", "l", "LIMIT", "a", "b"}), kNotInteger);
  EXPECT_EQ(Run({"SORT", "l", "GET"}), kSyntax);
  EXPECT_EQ(Run({"SORT", "l", "BY"}), kSyntax);
  EXPECT_EQ(Run({"SORT", "l", "STORE"}), kSyntax);
}

// Every set write (and SORT ... STORE, also of an empty result) touches the keys a WATCH sees.
TEST_F(SetsTest, WritesTouchWatchedKeys) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  const std::vector<std::vector<std::string>> writes = {
      {"SADD", "k", "new"},       {"SREM", "k", "a"},          {"SPOP", "k"},
      {"SMOVE", "k", "o", "a"},   {"SMOVE", "o2", "k", "x"},   {"SUNIONSTORE", "k", "o2"},
      {"SINTERSTORE", "k", "nx"}, {"SORT", "nx", "STORE", "k"}};
  for (const std::vector<std::string>& write : writes) {
    SCOPED_TRACE(write[0]);
    Run({"DEL", "k", "o", "o2"});
    EXPECT_EQ(Run({"SADD", "k", "a"}), ":1");
    EXPECT_EQ(Run({"SADD", "o2", "x"}), ":1");
    EXPECT_EQ(Run({"WATCH", "k"}), "+OK");
    other->Run(write);
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"PING"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), "(nil)");
  }
  // A write that changes nothing leaves the watch alone.
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK");
  EXPECT_EQ(other->Run({"SREM", "k", "nope"}), ":0");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
}

TEST_F(SetsTest, SurvivesRestart) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(1000);
  for (int i = 0; i < 1000; ++i) commands.push_back({"SADD", "big", "v" + std::to_string(i)});
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_INTEGER);
  }
  EXPECT_EQ(Run({"SREM", "big", "v0", "v1"}), ":2");
  EXPECT_EQ(Run({"SADD", "gone", "x"}), ":1");
  EXPECT_EQ(Run({"DEL", "gone"}), ":1");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"SCARD", "big"}), ":998");
  EXPECT_EQ(Run({"SISMEMBER", "big", "v0"}), ":0");
  EXPECT_EQ(Run({"SISMEMBER", "big", "v999"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "big"}), "\"hashtable\"");
  EXPECT_EQ(Run({"SADD", "gone", "y"}), ":1");
  EXPECT_EQ(Members("gone"), (Strings{"y"}));
}

}  // namespace
}  // namespace shale::integration
