// String commands and the keyspace: GET/SET and its options, DEL/EXISTS/MGET/MSET,
// binary safety, SELECT isolation, DBSIZE, FLUSHDB/FLUSHALL, and data surviving a clean
// restart (SHUTDOWN, SIGTERM).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

using std::chrono::seconds;

class StringsTest : public ServerFixture {};

std::string Quoted(const std::string& bytes) { return "\"" + EscapeBytes(bytes) + "\""; }

TEST_F(StringsTest, SetAndGet) {
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v1"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v1\"");
  EXPECT_EQ(Run({"SET", "k", "v2"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v2\"");
  EXPECT_EQ(Run({"GET", "K"}), "(nil)") << "keys are case-sensitive";
  EXPECT_EQ(Run({"set", "k", "v3"}), "+OK") << "command names are case-insensitive";
  EXPECT_EQ(Run({"GET", "k"}), "\"v3\"");
  EXPECT_EQ(Run({"SET", "k"}), "-ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(Run({"GET", "k", "x"}), "-ERR wrong number of arguments for 'get' command");
}

TEST_F(StringsTest, SetNxXx) {
  EXPECT_EQ(Run({"SET", "k", "v1", "NX"}), "+OK");
  EXPECT_EQ(Run({"SET", "k", "v2", "NX"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "\"v1\"");
  EXPECT_EQ(Run({"SET", "k", "v3", "XX"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v3\"");
  EXPECT_EQ(Run({"SET", "missing", "v", "XX"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "missing"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "v4", "nx"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v4", "xx"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v4\"");
}

TEST_F(StringsTest, SetGetOption) {
  EXPECT_EQ(Run({"SET", "k", "v1", "GET"}), "(nil)");
  EXPECT_EQ(Run({"GET", "k"}), "\"v1\"");
  EXPECT_EQ(Run({"SET", "k", "v2", "GET"}), "\"v1\"");
  EXPECT_EQ(Run({"GET", "k"}), "\"v2\"");
  // NX GET: returns the old value and does not set.
  EXPECT_EQ(Run({"SET", "k", "v3", "NX", "GET"}), "\"v2\"");
  EXPECT_EQ(Run({"GET", "k"}), "\"v2\"");
  EXPECT_EQ(Run({"SET", "fresh", "f1", "GET", "NX"}), "(nil)");
  EXPECT_EQ(Run({"GET", "fresh"}), "\"f1\"");
  // XX GET: sets only an existing key.
  EXPECT_EQ(Run({"SET", "k", "v4", "XX", "GET"}), "\"v2\"");
  EXPECT_EQ(Run({"GET", "k"}), "\"v4\"");
  EXPECT_EQ(Run({"SET", "none", "x", "XX", "GET"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "none"}), ":0");
}

TEST_F(StringsTest, SetSyntaxErrors) {
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "XX", "NX"}), "-ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "FOO"}), "-ERR syntax error");
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "bar"}), "-ERR syntax error");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0") << "a rejected SET must not write";
}

TEST_F(StringsTest, DelAndExistsWithManyKeys) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3", "d", "4"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "a", "a", "a", "missing", "b"}), ":4");
  EXPECT_EQ(Run({"EXISTS", "missing", "other"}), ":0");
  EXPECT_EQ(Run({"DEL", "a", "a", "a", "b", "missing"}), ":2");
  EXPECT_EQ(Run({"EXISTS", "a", "b", "c", "d"}), ":2");
  EXPECT_EQ(Run({"DEL", "a", "b"}), ":0");
  EXPECT_EQ(Run({"DEL"}), "-ERR wrong number of arguments for 'del' command");
  EXPECT_EQ(Run({"EXISTS"}), "-ERR wrong number of arguments for 'exists' command");

  // A thousand keys in one command.
  std::vector<std::string> mset = {"MSET"};
  std::vector<std::string> del = {"DEL"};
  std::vector<std::string> exists = {"EXISTS"};
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "many:" + std::to_string(i);
    mset.insert(mset.end(), {key, std::to_string(i)});
    exists.push_back(key);
    if (i % 2 == 0) del.push_back(key);
  }
  EXPECT_EQ(Run(mset), "+OK");
  EXPECT_EQ(Run(exists), ":1000");
  EXPECT_EQ(Run(del), ":500");
  EXPECT_EQ(Run(exists), ":500");
  EXPECT_EQ(Run({"DBSIZE"}), ":502");
}

TEST_F(StringsTest, MgetAndMset) {
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2"}), "+OK");
  EXPECT_EQ(Run({"MGET", "a", "missing", "b", "a"}), "[\"1\", (nil), \"2\", \"1\"]");
  EXPECT_EQ(Run({"MGET", "missing"}), "[(nil)]");
  EXPECT_EQ(Run({"MSET", "a"}), "-ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"MSET", "a", "9", "b"}), "-ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Run({"GET", "a"}), "\"1\"") << "a rejected MSET must not write";
  // The last value of a repeated key wins.
  EXPECT_EQ(Run({"MSET", "x", "first", "y", "y1", "x", "second"}), "+OK");
  EXPECT_EQ(Run({"MGET", "x", "y"}), "[\"second\", \"y1\"]");
  EXPECT_EQ(Run({"MSET", "a", "overwritten"}), "+OK");
  EXPECT_EQ(Run({"GET", "a"}), "\"overwritten\"");
}

TEST_F(StringsTest, BinarySafeKeysAndValues) {
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {std::string("nul\0key", 7), std::string("nul\0value\0", 10)},
      {"crlf\r\nkey", "value\r\n$3\r\nfoo\r\n"},
      {"*1\r\n$4\r\nPING\r\n", "+OK\r\n"},
      {"\xff\xfe\x80", "\x00\x01\x02"},
      {all_bytes, all_bytes},
      {"space key", " spaces  "},
  };
  for (const auto& [key, value] : pairs) {
    EXPECT_EQ(Run({"SET", key, value}), "+OK") << EscapeBytes(key);
  }
  for (const auto& [key, value] : pairs) {
    EXPECT_EQ(Run({"GET", key}), Quoted(value)) << EscapeBytes(key);
    EXPECT_EQ(Run({"EXISTS", key}), ":1") << EscapeBytes(key);
  }
  EXPECT_EQ(Run({"GET", "nul"}), "(nil)") << "a key is not cut at NUL";
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(pairs.size()));

  // 1 MB values of random bytes, through SET/GET and MSET/MGET.
  std::mt19937 rng(12345);
  std::string big1(1 << 20, '\0');
  std::string big2(1 << 20, '\0');
  for (char& c : big1) c = static_cast<char>(rng());
  for (char& c : big2) c = static_cast<char>(rng());
  EXPECT_EQ(Run({"SET", "big1", big1}), "+OK");
  const ReplyPtr got = client_->Command({"GET", "big1"});
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->type, REDIS_REPLY_STRING);
  EXPECT_TRUE(ReplyString(got.get()) == big1) << "1 MB value differs";
  EXPECT_EQ(Run({"MSET", "big2", big2, "big3", big1}), "+OK");
  const ReplyPtr both = client_->Command({"MGET", "big2", "big3", "big1"});
  ASSERT_NE(both, nullptr);
  const std::vector<std::string> values = ArrayStrings(both.get());
  ASSERT_EQ(values.size(), 3u);
  EXPECT_TRUE(values[0] == big2);
  EXPECT_TRUE(values[1] == big1);
  EXPECT_TRUE(values[2] == big1);
}

TEST_F(StringsTest, EmptyKeyAndValue) {
  EXPECT_EQ(Run({"GET", ""}), "(nil)");
  EXPECT_EQ(Run({"SET", "", "value-of-empty-key"}), "+OK");
  EXPECT_EQ(Run({"GET", ""}), "\"value-of-empty-key\"");
  EXPECT_EQ(Run({"SET", "empty", ""}), "+OK");
  EXPECT_EQ(Run({"GET", "empty"}), "\"\"") << "an empty value is not a missing key";
  EXPECT_EQ(Run({"EXISTS", "", "empty"}), ":2");
  EXPECT_EQ(Run({"MGET", "", "empty"}), "[\"value-of-empty-key\", \"\"]");
  EXPECT_EQ(Run({"DBSIZE"}), ":2");
  EXPECT_EQ(Run({"DEL", ""}), ":1");
  EXPECT_EQ(Run({"EXISTS", ""}), ":0");
}

TEST_F(StringsTest, SelectIsolatesDatabases) {
  EXPECT_EQ(Run({"SET", "k", "db0"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "db1"}), "+OK");
  EXPECT_EQ(Run({"MSET", "only1", "x", "k2", "y"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":3");
  EXPECT_EQ(Run({"SELECT", "15"}), "+OK");
  EXPECT_EQ(Run({"MGET", "k", "only1"}), "[(nil), (nil)]");
  EXPECT_EQ(Run({"DEL", "k"}), ":0");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"db0\"");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");

  // Another connection starts in db 0; its SELECT does not affect client_.
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Run({"GET", "k"}), "\"db0\"");
  EXPECT_EQ(other->Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(other->Run({"GET", "k"}), "\"db1\"");
  EXPECT_EQ(other->Run({"DEL", "k"}), ":1");
  EXPECT_EQ(Run({"GET", "k"}), "\"db0\"");
}

TEST_F(StringsTest, DbsizeIsExact) {
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  std::vector<std::vector<std::string>> commands;
  commands.reserve(2000);
  for (int i = 0; i < 2000; ++i) commands.push_back({"SET", "key:" + std::to_string(i), "v"});
  ASSERT_EQ(client_->Pipeline(commands).size(), commands.size());
  EXPECT_EQ(Run({"DBSIZE"}), ":2000");
  commands.clear();
  for (int i = 0; i < 1000; ++i) commands.push_back({"SET", "key:" + std::to_string(i), "new"});
  ASSERT_EQ(client_->Pipeline(commands).size(), commands.size());
  EXPECT_EQ(Run({"DBSIZE"}), ":2000") << "overwrites do not add keys";
  commands.clear();
  for (int i = 0; i < 700; ++i) commands.push_back({"DEL", "key:" + std::to_string(i * 2)});
  ASSERT_EQ(client_->Pipeline(commands).size(), commands.size());
  EXPECT_EQ(Run({"DBSIZE"}), ":1300");
  ASSERT_EQ(client_->Pipeline(commands).size(), commands.size());
  EXPECT_EQ(Run({"DBSIZE"}), ":1300") << "deleting deleted keys changes nothing";
  EXPECT_EQ(Run({"SET", "key:0", "back"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":1301");
  EXPECT_EQ(Run({"DBSIZE", "x"}), "-ERR wrong number of arguments for 'dbsize' command");
}

TEST_F(StringsTest, FlushdbAndFlushall) {
  for (const char* db : {"0", "1", "5"}) {
    EXPECT_EQ(Run({"SELECT", db}), "+OK");
    EXPECT_EQ(Run({"MSET", "a", db, "b", db, "c", db}), "+OK");
  }
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"GET", "a"}), "(nil)");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":3");
  EXPECT_EQ(Run({"GET", "a"}), "\"0\"");
  EXPECT_EQ(Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":3");

  // Writes after a flush are kept.
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "after", "flush"}), "+OK");
  EXPECT_EQ(Run({"GET", "after"}), "\"flush\"");
  EXPECT_EQ(Run({"FLUSHDB", "SYNC"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  EXPECT_EQ(Run({"FLUSHDB", "foo"}), "-ERR syntax error");

  EXPECT_EQ(Run({"FLUSHALL"}), "+OK");
  for (const char* db : {"0", "1", "5"}) {
    EXPECT_EQ(Run({"SELECT", db}), "+OK");
    EXPECT_EQ(Run({"DBSIZE"}), ":0") << "db " << db;
    EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[(nil), (nil), (nil)]") << "db " << db;
  }
  EXPECT_EQ(Run({"SET", "a", "new"}), "+OK");
  EXPECT_EQ(Run({"FLUSHALL", "ASYNC"}), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
}

// A data set written before a restart and checked after it: several databases, binary keys
// and values, a large value, overwritten and deleted keys.
class Dataset {
 public:
  void Write(Client* client) {
    std::mt19937 rng(7);
    for (int db : {0, 3}) {
      ASSERT_EQ(client->Run({"SELECT", std::to_string(db)}), "+OK");
      std::vector<std::vector<std::string>> commands;
      for (int batch = 0; batch < 20; ++batch) {
        std::vector<std::string> mset = {"MSET"};
        for (int i = 0; i < 250; ++i) {
          const std::string key = "db" + std::to_string(db) + ":" + std::to_string(batch * 250 + i);
          const std::string value = std::string("v\0", 2) + std::to_string(rng());
          mset.insert(mset.end(), {key, value});
          expected_[{db, key}] = value;
        }
        commands.push_back(std::move(mset));
      }
      for (int i = 0; i < 500; ++i) {  // overwrite
        const std::string key = "db" + std::to_string(db) + ":" + std::to_string(i * 3);
        const std::string value = "overwritten:" + std::to_string(i);
        commands.push_back({"SET", key, value});
        expected_[{db, key}] = value;
      }
      for (int i = 0; i < 300; ++i) {  // delete
        const std::string key = "db" + std::to_string(db) + ":" + std::to_string(i * 7 + 1);
        commands.push_back({"DEL", key});
        expected_.erase({db, key});
        deleted_.insert({db, key});
      }
      const std::string binary_key = std::string("bin\0\r\n\xff", 7) + std::to_string(db);
      std::string big(300 * 1024, '\0');
      for (char& c : big) c = static_cast<char>(rng());
      commands.push_back({"SET", binary_key, big});
      expected_[{db, binary_key}] = big;
      const std::vector<ReplyPtr> replies = client->Pipeline(commands);
      ASSERT_EQ(replies.size(), commands.size()) << client->error();
      for (const ReplyPtr& reply : replies) {
        ASSERT_TRUE(reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_INTEGER)
            << Describe(reply);
      }
    }
    ASSERT_EQ(client->Run({"SELECT", "0"}), "+OK");
  }

  void Verify(Client* client) const {
    for (int db : {0, 3}) {
      ASSERT_EQ(client->Run({"SELECT", std::to_string(db)}), "+OK");
      std::vector<std::string> keys;
      std::vector<std::string> values;
      for (const auto& [db_key, value] : expected_) {
        if (db_key.first != db) continue;
        keys.push_back(db_key.second);
        values.push_back(value);
      }
      EXPECT_EQ(client->Run({"DBSIZE"}), ":" + std::to_string(keys.size())) << "db " << db;
      size_t mismatches = 0;
      for (size_t start = 0; start < keys.size(); start += 500) {
        std::vector<std::string> mget = {"MGET"};
        const size_t end = std::min(keys.size(), start + 500);
        mget.insert(mget.end(), keys.begin() + start, keys.begin() + end);
        const ReplyPtr reply = client->Command(mget);
        ASSERT_NE(reply, nullptr) << client->error();
        ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY) << Describe(reply);
        ASSERT_EQ(reply->elements, end - start);
        for (size_t i = start; i < end; ++i) {
          const redisReply* got = reply->element[i - start];
          if (got->type != REDIS_REPLY_STRING || ReplyString(got) != values[i]) {
            if (++mismatches <= 10) {
              ADD_FAILURE() << "db " << db << " key \"" << EscapeBytes(keys[i]) << "\": expected \""
                            << EscapeBytes(values[i].substr(0, 40)) << "\", got "
                            << Describe(got).substr(0, 60);
            }
          }
        }
      }
      EXPECT_EQ(mismatches, 0u) << "db " << db;
      std::vector<std::string> exists = {"EXISTS"};
      for (const auto& [deleted_db, key] : deleted_) {
        if (deleted_db == db) exists.push_back(key);
      }
      EXPECT_EQ(client->Run(exists), ":0") << "deleted keys came back in db " << db;
    }
    ASSERT_EQ(client->Run({"SELECT", "0"}), "+OK");
  }

 private:
  std::map<std::pair<int, std::string>, std::string> expected_;
  std::set<std::pair<int, std::string>> deleted_;
};

TEST_F(StringsTest, DataSurvivesShutdownAndRestart) {
  Dataset data;
  ASSERT_NO_FATAL_FAILURE(data.Write(client_.get()));
  ASSERT_NO_FATAL_FAILURE(data.Verify(client_.get()));
  // SHUTDOWN closes the connection instead of replying.
  EXPECT_EQ(Run({"SHUTDOWN"}), "(no reply)");
  int status = 0;
  ASSERT_TRUE(server_.WaitForExit(seconds(30), &status)) << "server still running";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  ASSERT_NO_FATAL_FAILURE(data.Verify(client_.get()));
  // And the restarted server keeps accepting writes that survive another restart.
  EXPECT_EQ(Run({"SET", "after-restart", "yes"}), "+OK");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  EXPECT_EQ(Run({"GET", "after-restart"}), "\"yes\"");
}

TEST_F(StringsTest, DataSurvivesSigtermAndRestart) {
  Dataset data;
  ASSERT_NO_FATAL_FAILURE(data.Write(client_.get()));
  std::string error;
  int status = 0;
  ASSERT_TRUE(server_.Stop(&error, &status)) << error;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "wait status " << status;
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  ASSERT_NO_FATAL_FAILURE(data.Verify(client_.get()));
}

}  // namespace
}  // namespace shale::integration
