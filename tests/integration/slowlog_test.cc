// SLOWLOG (entries, trimming, redaction, limits), LATENCY (LATEST, HISTORY, RESET, HISTOGRAM,
// HELP) and the CONFIG parameters that drive them. Passes against Redis too
// (SHALE_TEST_SERVER=/usr/bin/redis-server), except the checks of Shale's own answers.
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class SlowlogTest : public ServerFixture {};

TEST_F(SlowlogTest, LogsCommandsWithRedisEntryFormat) {
  ASSERT_EQ(Run({"CLIENT", "SETNAME", "logger"}), "+OK");
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK");
  ASSERT_EQ(Run({"SLOWLOG", "RESET"}), "+OK");
  ASSERT_EQ(Run({"SET", "foo", "bar"}), "+OK");
  const ReplyPtr reply = client_->Command({"SLOWLOG", "GET", "1"});
  ASSERT_NE(reply, nullptr);
  ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(reply->elements, 1U);
  const redisReply* entry = reply->element[0];
  ASSERT_EQ(entry->type, REDIS_REPLY_ARRAY);
  ASSERT_EQ(entry->elements, 6U);
  EXPECT_EQ(entry->element[0]->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(entry->element[1]->type, REDIS_REPLY_INTEGER);
  EXPECT_GT(entry->element[1]->integer, 1600000000);
  EXPECT_EQ(entry->element[2]->type, REDIS_REPLY_INTEGER);
  EXPECT_EQ(Describe(entry->element[3]), "[\"SET\", \"foo\", \"bar\"]");
  EXPECT_TRUE(
      std::regex_match(ReplyString(entry->element[4]), std::regex("127\\.0\\.0\\.1:[0-9]+")))
      << ReplyString(entry->element[4]);
  EXPECT_EQ(ReplyString(entry->element[5]), "logger");
  // SLOWLOG RESET itself, SET, then SLOWLOG GET: each logged after it ran.
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":3");
}

TEST_F(SlowlogTest, TrimsArgumentsAsRedis) {
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK");
  std::vector<std::string> many = {"DEL", "k"};
  for (int i = 0; i < 38; ++i) many.push_back(std::to_string(i));
  ASSERT_EQ(client_->Run(many), ":0");
  const ReplyPtr reply = client_->Command({"SLOWLOG", "GET", "1"});
  ASSERT_NE(reply, nullptr);
  ASSERT_EQ(reply->elements, 1U);
  const redisReply* args = reply->element[0]->element[3];
  ASSERT_EQ(args->elements, 32U);
  EXPECT_EQ(ReplyString(args->element[31]), "... (9 more arguments)");
  EXPECT_EQ(ReplyString(args->element[30]), "28");

  const std::string big(200, 'x');
  ASSERT_EQ(Run({"SET", "k", big}), "+OK");
  const ReplyPtr second = client_->Command({"SLOWLOG", "GET", "1"});
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(ReplyString(second->element[0]->element[3]->element[2]),
            std::string(128, 'x') + "... (72 more bytes)");
}

TEST_F(SlowlogTest, RedactsAuthArguments) {
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0"}), "+OK");
  client_->Run({"AUTH", "user", "secret"});
  const ReplyPtr reply = client_->Command({"SLOWLOG", "GET", "1"});
  ASSERT_NE(reply, nullptr);
  ASSERT_EQ(reply->elements, 1U);
  EXPECT_EQ(Describe(reply->element[0]->element[3]), "[\"AUTH\", \"(redacted)\", \"(redacted)\"]");
}

TEST_F(SlowlogTest, ThresholdAndMaxLen) {
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "100000000"}), "+OK");
  ASSERT_EQ(Run({"SLOWLOG", "RESET"}), "+OK");
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":0");
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "-1"}), "+OK");
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":0");
  ASSERT_EQ(Run({"CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3"}), "+OK");
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"SLOWLOG", "LEN"}), ":3");
  EXPECT_EQ(Run({"CONFIG", "GET", "slowlog-max-len"}), "[\"slowlog-max-len\", \"3\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "slowlog-max-len", "-1"}).substr(0, 4), "-ERR");
}

TEST_F(SlowlogTest, Errors) {
  EXPECT_EQ(Run({"SLOWLOG", "GET", "-2"}), "-ERR count should be greater than or equal to -1");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "x"}), "-ERR count should be greater than or equal to -1");
  EXPECT_EQ(Run({"SLOWLOG", "LEN", "x"}),
            "-ERR wrong number of arguments for 'slowlog|len' command");
  EXPECT_EQ(Run({"SLOWLOG", "RESET", "x"}),
            "-ERR wrong number of arguments for 'slowlog|reset' command");
  EXPECT_EQ(Run({"SLOWLOG", "GET", "1", "2"}),
            "-ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.");
  EXPECT_EQ(Run({"SLOWLOG", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try SLOWLOG HELP.");
  EXPECT_EQ(Run({"SLOWLOG"}), "-ERR wrong number of arguments for 'slowlog' command");
  EXPECT_EQ(Run({"LATENCY"}), "-ERR wrong number of arguments for 'latency' command");
  EXPECT_EQ(Run({"LATENCY", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try LATENCY HELP.");
  EXPECT_EQ(Run({"LATENCY", "HISTORY"}),
            "-ERR wrong number of arguments for 'latency|history' command");
  EXPECT_EQ(Run({"LATENCY", "LATEST", "x"}),
            "-ERR wrong number of arguments for 'latency|latest' command");
}

TEST_F(SlowlogTest, Help) {
  const ReplyPtr slowlog = client_->Command({"SLOWLOG", "HELP"});
  ASSERT_NE(slowlog, nullptr);
  ASSERT_EQ(slowlog->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(ReplyString(slowlog->element[0]),
            "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  const ReplyPtr latency = client_->Command({"LATENCY", "HELP"});
  ASSERT_NE(latency, nullptr);
  ASSERT_EQ(latency->type, REDIS_REPLY_ARRAY);
  EXPECT_EQ(ReplyString(latency->element[0]),
            "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
}

TEST_F(SlowlogTest, LatencyMonitor) {
  EXPECT_EQ(Run({"CONFIG", "GET", "latency-monitor-threshold"}),
            "[\"latency-monitor-threshold\", \"0\"]");
  EXPECT_EQ(Run({"LATENCY", "LATEST"}), "[]");
  EXPECT_EQ(Run({"LATENCY", "HISTORY", "command"}), "[]");
  EXPECT_EQ(Run({"LATENCY", "RESET"}), ":0");
  EXPECT_EQ(Run({"LATENCY", "RESET", "command", "fast-command"}), ":0");
  ASSERT_EQ(Run({"CONFIG", "SET", "latency-monitor-threshold", "200"}), "+OK");
  EXPECT_EQ(Run({"LATENCY", "LATEST"}), "[]");
  EXPECT_EQ(Run({"CONFIG", "SET", "latency-monitor-threshold", "-1"}).substr(0, 4), "-ERR");
}

TEST_F(SlowlogTest, LatencyHistogram) {
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK");
  ASSERT_EQ(Run({"SET", "a", "2"}), "+OK");
  const ReplyPtr reply = client_->Command({"LATENCY", "HISTOGRAM", "set"});
  ASSERT_NE(reply, nullptr);
  const std::string text = Describe(reply);
  EXPECT_TRUE(std::regex_match(text, std::regex("\\[\"set\", \\[\"calls\", :2, \"histogram_usec\", "
                                                "\\[:[0-9]+, :[12](, :[0-9]+, :[12])*\\]\\]\\]")))
      << text;
  EXPECT_EQ(Run({"LATENCY", "HISTOGRAM", "nosuchcommand"}), "[]");
}

TEST_F(SlowlogTest, ConfigRewriteNeedsAConfigFile) {
  EXPECT_EQ(Run({"CONFIG", "REWRITE"}), "-ERR The server is running without a config file");
  EXPECT_EQ(Run({"CONFIG", "REWRITE", "x"}),
            "-ERR wrong number of arguments for 'config|rewrite' command");
}

// What Shale answers for the Redis settings that cannot apply to it.
TEST_F(SlowlogTest, PersistenceSettingsDescribeShale) {
  if (IsRedis()) GTEST_SKIP() << "Shale's own answers";
  EXPECT_EQ(Run({"CONFIG", "GET", "save"}), "[\"save\", \"\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "appendonly"}), "[\"appendonly\", \"yes\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "save", "", "appendonly", "yes"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "SET", "appendonly", "no"}),
            "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - Shale always "
            "logs every write to its WAL: appendonly is always yes");
  EXPECT_EQ(Run({"CONFIG", "SET", "save", "900 1"}).substr(0, 60),
            "-ERR CONFIG SET failed (possibly related to argument 'save')");
  // All or nothing: the valid hz is not applied either.
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "50", "appendonly", "no"}).substr(0, 4), "-ERR");
  EXPECT_EQ(Run({"CONFIG", "GET", "hz"}), "[\"hz\", \"10\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "hz", "50"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "hz"}), "[\"hz\", \"50\"]");
}

}  // namespace
}  // namespace shale::integration
