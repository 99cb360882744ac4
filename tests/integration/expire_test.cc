// Key expiry as clients see it: the TTL options of SET, SETEX, PSETEX, GETEX, GETDEL, the
// EXPIRE family with NX/XX/GT/LT, TTL/PTTL/EXPIRETIME/PEXPIRETIME and PERSIST, with Redis 7's
// replies and error texts; expired keys invisible to every read; deadlines that survive a
// restart, a kill -9, a flush into a table and a compaction; and active expiry of 100,000 keys
// that no client reads, counted by INFO.
//
// Every test holds against Redis 7 too (SHALE_TEST_SERVER=/usr/bin/redis-server); the steps
// that need Shale's own commands or settings (small memtables, COMPACT, INFO storage) are
// skipped there. Time passes only where a deadline must: the tests use short TTLs or absolute
// deadlines and wait, bounded, for the server's clock (TIME) to pass them.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

constexpr char kNotInteger[] = "-ERR value is not an integer or out of range";
constexpr char kSyntaxError[] = "-ERR syntax error";
constexpr char kNxIncompatible[] =
    "-ERR NX and XX, GT or LT options at the same time are not compatible";
constexpr char kGtLtIncompatible[] = "-ERR GT and LT options at the same time are not compatible";
constexpr char kMaxInt64[] = "9223372036854775807";
constexpr char kMinInt64[] = "-9223372036854775808";
// 2100-01-01T00:00:00Z: an absolute deadline no test outlives.
constexpr int64_t kFarSeconds = 4102444800;
constexpr int64_t kFarMs = kFarSeconds * 1000;

std::string InvalidExpire(const std::string& command) {
  return "-ERR invalid expire time in '" + command + "' command";
}

std::string WrongArity(const std::string& command) {
  return "-ERR wrong number of arguments for '" + command + "' command";
}

std::string ToLowerAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    std::error_code size_ec;
    if (entry.is_regular_file(size_ec)) total += entry.file_size(size_ec);
  }
  return total;
}

// The parts of an INFO keyspace line `keys=N,expires=M,avg_ttl=T`.
struct KeyspaceLine {
  bool valid = false;
  int64_t keys = 0, expires = 0, avg_ttl = 0;
};

KeyspaceLine ParseKeyspaceLine(const std::string& line) {
  static const std::regex kFormat("keys=(\\d+),expires=(\\d+),avg_ttl=(\\d+)");
  std::smatch match;
  KeyspaceLine parsed;
  if (!std::regex_match(line, match, kFormat)) return parsed;
  parsed.valid = true;
  parsed.keys = std::stoll(match[1]);
  parsed.expires = std::stoll(match[2]);
  parsed.avg_ttl = std::stoll(match[3]);
  return parsed;
}

class ExpireTest : public ServerFixture {
 protected:
  // The integer a command answers; records a failure (and returns INT64_MIN) otherwise.
  int64_t Integer(const std::vector<std::string>& args) {
    const ReplyPtr reply = client_->Command(args);
    if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
      ADD_FAILURE() << args[0] << " answered " << Describe(reply);
      return INT64_MIN;
    }
    return reply->integer;
  }

  // TTL of `key` is `seconds`, or up to two seconds less (time passes between the commands).
  ::testing::AssertionResult TtlAbout(const std::string& key, int64_t seconds) {
    const std::string reply = Run({"TTL", key});
    for (int64_t s = seconds - 2; s <= seconds; ++s) {
      if (reply == ":" + std::to_string(s)) return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "TTL " << key << " answered " << reply << ", expected "
                                         << seconds - 2 << ".." << seconds;
  }

  // The server's clock (TIME) in milliseconds.
  int64_t ServerTimeMs() {
    const std::vector<std::string> time = ArrayStrings(client_->Command({"TIME"}).get());
    if (time.size() != 2) {
      ADD_FAILURE() << "TIME answered " << time.size() << " elements";
      return 0;
    }
    return std::stoll(time[0]) * 1000 + std::stoll(time[1]) / 1000;
  }

  // Waits (bounded) until the server's clock is past `deadline_ms`.
  void WaitForServerTimePast(int64_t deadline_ms) {
    ASSERT_TRUE(WaitUntil([&] { return ServerTimeMs() > deadline_ms; }, std::chrono::seconds(10)))
        << "the server's clock did not pass " << deadline_ms;
  }

  // Every key a full SCAN iteration returns for `pattern`.
  std::set<std::string> ScanAll(const std::string& pattern) {
    std::set<std::string> keys;
    std::string cursor = "0";
    for (int calls = 0; calls < 100000; ++calls) {
      const ReplyPtr reply = client_->Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "100"});
      if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        ADD_FAILURE() << "SCAN answered " << Describe(reply);
        return keys;
      }
      cursor = ReplyString(reply->element[0]);
      for (const std::string& key : ArrayStrings(reply->element[1])) keys.insert(key);
      if (cursor == "0") return keys;
    }
    ADD_FAILURE() << "SCAN did not finish";
    return keys;
  }

  std::set<std::string> Keys(const std::string& pattern) {
    const std::vector<std::string> keys = ArrayStrings(client_->Command({"KEYS", pattern}).get());
    return {keys.begin(), keys.end()};
  }

  KeyspaceLine Db0() { return ParseKeyspaceLine(InfoField(client_.get(), "keyspace", "db0")); }
};

// --- SET and its TTL options ---

TEST_F(ExpireTest, SetExPxExatPxatSetTheDeadline) {
  ASSERT_EQ(Run({"SET", "ex", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"GET", "ex"}), "\"v\"");
  EXPECT_TRUE(TtlAbout("ex", 100));
  int64_t pttl = Integer({"PTTL", "ex"});
  EXPECT_TRUE(pttl > 98000 && pttl <= 100000) << pttl;

  ASSERT_EQ(Run({"SET", "px", "v", "px", "100000"}), "+OK");
  pttl = Integer({"PTTL", "px"});
  EXPECT_TRUE(pttl > 98000 && pttl <= 100000) << pttl;

  ASSERT_EQ(Run({"SET", "exat", "v", "EXAT", std::to_string(kFarSeconds)}), "+OK");
  EXPECT_EQ(Run({"EXPIRETIME", "exat"}), ":" + std::to_string(kFarSeconds));
  EXPECT_EQ(Run({"PEXPIRETIME", "exat"}), ":" + std::to_string(kFarMs));

  ASSERT_EQ(Run({"SET", "pxat", "v", "PXAT", std::to_string(kFarMs + 123)}), "+OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "pxat"}), ":" + std::to_string(kFarMs + 123));
  // EXPIRETIME rounds to the nearest second, as TTL does.
  EXPECT_EQ(Run({"EXPIRETIME", "pxat"}), ":" + std::to_string(kFarSeconds));
  ASSERT_EQ(Run({"SET", "pxat", "v", "PXAT", std::to_string(kFarMs + 700)}), "+OK");
  EXPECT_EQ(Run({"EXPIRETIME", "pxat"}), ":" + std::to_string(kFarSeconds + 1));

  // The largest PXAT is accepted (it never comes).
  ASSERT_EQ(Run({"SET", "max", "v", "PXAT", kMaxInt64}), "+OK");
  EXPECT_EQ(Run({"PEXPIRETIME", "max"}), std::string(":") + kMaxInt64);
  EXPECT_EQ(Run({"GET", "max"}), "\"v\"");
}

TEST_F(ExpireTest, SetRejectsInvalidExpireTimes) {
  for (const char* option : {"EX", "PX", "EXAT", "PXAT"}) {
    for (const char* value : {"0", "-1"}) {
      EXPECT_EQ(Run({"SET", "k", "v", option, value}), InvalidExpire("set"))
          << option << " " << value;
    }
    EXPECT_EQ(Run({"SET", "k", "v", option, "abc"}), kNotInteger) << option;
    EXPECT_EQ(Run({"SET", "k", "v", option, "1.5"}), kNotInteger) << option;
    EXPECT_EQ(Run({"SET", "k", "v", option, "99999999999999999999"}), kNotInteger) << option;
  }
  // Overflow: seconds that do not fit in milliseconds, or a deadline past the largest integer.
  EXPECT_EQ(Run({"SET", "k", "v", "EX", kMaxInt64}), InvalidExpire("set"));
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}), InvalidExpire("set"));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", kMaxInt64}), InvalidExpire("set"));
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775000"}), InvalidExpire("set"));
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", kMaxInt64}), InvalidExpire("set"));
  // A rejected SET writes nothing.
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  ASSERT_EQ(Run({"SET", "k", "old"}), "+OK");
  EXPECT_EQ(Run({"SET", "k", "new", "EX", "0"}), InvalidExpire("set"));
  EXPECT_EQ(Run({"GET", "k"}), "\"old\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
}

TEST_F(ExpireTest, SetOptionSyntaxErrors) {
  const std::vector<std::vector<std::string>> invalid = {
      {"SET", "k", "v", "EX", "10", "PX", "10"},
      {"SET", "k", "v", "PX", "10", "EX", "20"},
      {"SET", "k", "v", "EXAT", "10", "PXAT", "20"},
      {"SET", "k", "v", "EX", "10", "KEEPTTL"},
      {"SET", "k", "v", "KEEPTTL", "EX", "5"},
      {"SET", "k", "v", "KEEPTTL", "PX", "10"},
      {"SET", "k", "v", "NX", "XX"},
      {"SET", "k", "v", "EX"},
      {"SET", "k", "v", "PXAT"},
      {"SET", "k", "v", "EX", "10", "FOO"},
  };
  for (const auto& command : invalid) {
    std::string text;
    for (const std::string& word : command) text += word + " ";
    EXPECT_EQ(Run(command), kSyntaxError) << text;
  }
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
}

TEST_F(ExpireTest, SetKeepTtlGetNxXxCombinations) {
  // KEEPTTL keeps the deadline; a plain SET clears it.
  ASSERT_EQ(Run({"SET", "k", "v1", "EX", "100"}), "+OK");
  const int64_t deadline = Integer({"PEXPIRETIME", "k"});
  ASSERT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v2\"");
  EXPECT_EQ(Integer({"PEXPIRETIME", "k"}), deadline);
  ASSERT_EQ(Run({"SET", "k", "v3"}), "+OK");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  // KEEPTTL on a key without a deadline, or a new key: none.
  ASSERT_EQ(Run({"SET", "k", "v3b", "KEEPTTL"}), "+OK");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  ASSERT_EQ(Run({"SET", "fresh", "v", "keepttl"}), "+OK");
  EXPECT_EQ(Run({"TTL", "fresh"}), ":-1");

  // GET answers the old value; without a TTL option the deadline goes.
  ASSERT_EQ(Run({"SET", "k", "v4", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"SET", "k", "v5", "GET"}), "\"v4\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"SET", "k", "v6", "Ex", "100", "Get"}), "\"v5\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"SET", "k", "v7", "KEEPTTL", "GET"}), "\"v6\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"SET", "missing", "v", "GET"}), "(nil)");
  EXPECT_EQ(Run({"GET", "missing"}), "\"v\"");

  // NX: only a missing key is set; with GET the old value comes back and nothing changes.
  EXPECT_EQ(Run({"SET", "k", "v8", "NX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "k", "v8", "NX", "GET"}), "\"v7\"");
  EXPECT_EQ(Run({"GET", "k"}), "\"v7\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"SET", "nx", "v", "NX", "EX", "100"}), "+OK");
  EXPECT_TRUE(TtlAbout("nx", 100));
  EXPECT_EQ(Run({"SET", "nx2", "v", "NX", "GET"}), "(nil)");
  EXPECT_EQ(Run({"GET", "nx2"}), "\"v\"");

  // XX: only an existing key is set.
  EXPECT_EQ(Run({"SET", "xx", "v", "XX"}), "(nil)");
  EXPECT_EQ(Run({"SET", "xx", "v", "XX", "GET"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "xx"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "v9", "XX", "GET", "EX", "50"}), "\"v7\"");
  EXPECT_TRUE(TtlAbout("k", 50));
  EXPECT_EQ(Run({"SET", "k", "v10", "XX", "KEEPTTL"}), "+OK");
  EXPECT_TRUE(TtlAbout("k", 50));
  EXPECT_EQ(Run({"SET", "k", "v11", "XX"}), "+OK");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"GET", "k"}), "\"v11\"");
}

TEST_F(ExpireTest, SetWithPastDeadlineLeavesNoKey) {
  ASSERT_EQ(Run({"SET", "new", "v", "EXAT", "1000"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "new"}), ":0");
  ASSERT_EQ(Run({"SET", "old", "before"}), "+OK");
  EXPECT_EQ(Run({"SET", "old", "after", "PXAT", "1000", "GET"}), "\"before\"");
  EXPECT_EQ(Run({"EXISTS", "old"}), ":0");
  EXPECT_EQ(Run({"GET", "old"}), "(nil)");
  EXPECT_EQ(Run({"TTL", "old"}), ":-2");
}

TEST_F(ExpireTest, SetexAndPsetex) {
  ASSERT_EQ(Run({"SETEX", "k", "100", "v"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  ASSERT_EQ(Run({"PSETEX", "p", "100000", "v"}), "+OK");
  const int64_t pttl = Integer({"PTTL", "p"});
  EXPECT_TRUE(pttl > 98000 && pttl <= 100000) << pttl;
  // SETEX replaces the value and the deadline of an existing key.
  ASSERT_EQ(Run({"SETEX", "k", "50", "w"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "\"w\"");
  EXPECT_TRUE(TtlAbout("k", 50));

  for (const char* seconds : {"0", "-1", kMaxInt64, "9223372036854775"}) {
    EXPECT_EQ(Run({"SETEX", "bad", seconds, "v"}), InvalidExpire("setex")) << seconds;
  }
  for (const char* ms : {"0", "-5", kMaxInt64, "9223372036854775000"}) {
    EXPECT_EQ(Run({"PSETEX", "bad", ms, "v"}), InvalidExpire("psetex")) << ms;
  }
  EXPECT_EQ(Run({"SETEX", "bad", "abc", "v"}), kNotInteger);
  EXPECT_EQ(Run({"PSETEX", "bad", "1.5", "v"}), kNotInteger);
  EXPECT_EQ(Run({"EXISTS", "bad"}), ":0");
  EXPECT_EQ(Run({"SETEX", "k", "10"}), WrongArity("setex"));
  EXPECT_EQ(Run({"PSETEX", "k", "10"}), WrongArity("psetex"));
  EXPECT_EQ(Run({"SETEX", "k", "10", "v", "extra"}), WrongArity("setex"));
}

// --- GETEX and GETDEL ---

TEST_F(ExpireTest, GetexSetsOrRemovesTheDeadline) {
  ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  // Without options GETEX is GET.
  EXPECT_EQ(Run({"GETEX", "k"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"GETEX", "k", "EX", "100"}), "\"v\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"GETEX", "k"}), "\"v\"");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"GETEX", "k", "px", "30000"}), "\"v\"");
  const int64_t pttl = Integer({"PTTL", "k"});
  EXPECT_TRUE(pttl > 28000 && pttl <= 30000) << pttl;
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", std::to_string(kFarSeconds)}), "\"v\"");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":" + std::to_string(kFarMs));
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", std::to_string(kFarMs + 5)}), "\"v\"");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":" + std::to_string(kFarMs + 5));
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");

  // A missing key: nil, whatever the options.
  EXPECT_EQ(Run({"GETEX", "missing"}), "(nil)");
  EXPECT_EQ(Run({"GETEX", "missing", "PERSIST"}), "(nil)");
  EXPECT_EQ(Run({"GETEX", "missing", "EX", "10"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "missing"}), ":0");

  // A deadline in the past answers the value and deletes the key.
  EXPECT_EQ(Run({"GETEX", "k", "EXAT", "1000"}), "\"v\"");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  ASSERT_EQ(Run({"SET", "k", "w"}), "+OK");
  EXPECT_EQ(Run({"GETEX", "k", "PXAT", "1"}), "\"w\"");
  EXPECT_EQ(Run({"GET", "k"}), "(nil)");
}

TEST_F(ExpireTest, GetexErrors) {
  ASSERT_EQ(Run({"SET", "k", "v", "EX", "100"}), "+OK");
  for (const char* option : {"EX", "PX", "EXAT", "PXAT"}) {
    EXPECT_EQ(Run({"GETEX", "k", option, "0"}), InvalidExpire("getex")) << option;
    EXPECT_EQ(Run({"GETEX", "k", option, "-1"}), InvalidExpire("getex")) << option;
    EXPECT_EQ(Run({"GETEX", "k", option, "abc"}), kNotInteger) << option;
    EXPECT_EQ(Run({"GETEX", "k", option}), kSyntaxError) << option;
  }
  EXPECT_EQ(Run({"GETEX", "k", "EX", kMaxInt64}), InvalidExpire("getex"));
  EXPECT_EQ(Run({"GETEX", "k", "PX", kMaxInt64}), InvalidExpire("getex"));
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PX", "10"}), kSyntaxError);
  EXPECT_EQ(Run({"GETEX", "k", "PERSIST", "EX", "10"}), kSyntaxError);
  EXPECT_EQ(Run({"GETEX", "k", "EX", "10", "PERSIST"}), kSyntaxError);
  EXPECT_EQ(Run({"GETEX", "k", "FOO"}), kSyntaxError);
  // A failed GETEX leaves the deadline alone.
  EXPECT_TRUE(TtlAbout("k", 100));
  // Redis looks the key up before it validates the time: a missing key answers nil.
  EXPECT_EQ(Run({"GETEX", "missing", "EX", "0"}), "(nil)");
  EXPECT_EQ(Run({"GETEX"}), WrongArity("getex"));
}

TEST_F(ExpireTest, GetdelAnswersAndDeletes) {
  ASSERT_EQ(Run({"SET", "k", "v", "EX", "100"}), "+OK");
  ASSERT_EQ(Run({"SET", "p", "w"}), "+OK");
  EXPECT_EQ(Run({"GETDEL", "k"}), "\"v\"");
  EXPECT_EQ(Run({"GETDEL", "k"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"TTL", "k"}), ":-2");
  EXPECT_EQ(Run({"GETDEL", "p"}), "\"w\"");
  EXPECT_EQ(Run({"GET", "p"}), "(nil)");
  EXPECT_EQ(Run({"GETDEL", "missing"}), "(nil)");
  // A key set again after GETDEL has no deadline left over.
  ASSERT_EQ(Run({"SET", "k", "again"}), "+OK");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"GETDEL"}), WrongArity("getdel"));
  EXPECT_EQ(Run({"GETDEL", "a", "b"}), WrongArity("getdel"));
}

// --- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT ---

TEST_F(ExpireTest, ExpireFamilyNxXxGtLt) {
  ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  // No deadline yet: XX and GT fail (no deadline counts as infinite), NX and LT succeed.
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX"}), ":0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "GT"}), ":0");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "NX"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "NX"}), ":0");
  EXPECT_EQ(Run({"EXPIRE", "k", "50", "GT"}), ":0");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"EXPIRE", "k", "200", "gt"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 200));
  EXPECT_EQ(Run({"EXPIRE", "k", "300", "LT"}), ":0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "lt"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"EXPIRE", "k", "150", "XX"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 150));
  // XX with GT or LT is allowed.
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX", "GT"}), ":0");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "XX", "LT"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"PERSIST", "k"}), ":1");
  EXPECT_EQ(Run({"EXPIRE", "k", "100", "LT"}), ":1");
  EXPECT_TRUE(TtlAbout("k", 100));

  // The same conditions on the millisecond and absolute forms.
  ASSERT_EQ(Run({"SET", "p", "v"}), "+OK");
  EXPECT_EQ(Run({"PEXPIRE", "p", "100000", "XX"}), ":0");
  EXPECT_EQ(Run({"PEXPIRE", "p", "100000", "NX"}), ":1");
  EXPECT_EQ(Run({"PEXPIRE", "p", "200000", "LT"}), ":0");
  EXPECT_EQ(Run({"PEXPIRE", "p", "200000", "GT"}), ":1");
  int64_t pttl = Integer({"PTTL", "p"});
  EXPECT_TRUE(pttl > 198000 && pttl <= 200000) << pttl;

  ASSERT_EQ(Run({"SET", "a", "v"}), "+OK");
  EXPECT_EQ(Run({"EXPIREAT", "a", std::to_string(kFarSeconds), "XX"}), ":0");
  EXPECT_EQ(Run({"EXPIREAT", "a", std::to_string(kFarSeconds), "NX"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "a"}), ":" + std::to_string(kFarSeconds));
  EXPECT_EQ(Run({"EXPIREAT", "a", std::to_string(kFarSeconds + 10), "LT"}), ":0");
  EXPECT_EQ(Run({"EXPIREAT", "a", std::to_string(kFarSeconds + 10), "GT"}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "a"}), ":" + std::to_string(kFarSeconds + 10));
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 1), "GT"}), ":0");
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 1), "LT"}), ":1");
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}), ":" + std::to_string(kFarMs + 1));
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 2), "NX"}), ":0");
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 2), "XX"}), ":1");
  EXPECT_EQ(Run({"PEXPIRETIME", "a"}), ":" + std::to_string(kFarMs + 2));
  // Equal deadlines are neither greater nor less.
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 2), "GT"}), ":0");
  EXPECT_EQ(Run({"PEXPIREAT", "a", std::to_string(kFarMs + 2), "LT"}), ":0");

  // A missing key: 0 whatever the condition.
  for (const char* condition : {"NX", "XX", "GT", "LT"}) {
    EXPECT_EQ(Run({"EXPIRE", "missing", "100", condition}), ":0") << condition;
  }
  EXPECT_EQ(Run({"EXPIRE", "missing", "100"}), ":0");
  EXPECT_EQ(Run({"PEXPIREAT", "missing", std::to_string(kFarMs)}), ":0");
  EXPECT_EQ(Run({"EXISTS", "missing"}), ":0");
}

TEST_F(ExpireTest, ExpireFamilyErrorsAndOverflow) {
  ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  for (const char* command : {"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"}) {
    EXPECT_EQ(Run({command, "k", "10", "NX", "XX"}), kNxIncompatible) << command;
    EXPECT_EQ(Run({command, "k", "10", "NX", "GT"}), kNxIncompatible) << command;
    EXPECT_EQ(Run({command, "k", "10", "nx", "lt"}), kNxIncompatible) << command;
    EXPECT_EQ(Run({command, "k", "10", "GT", "LT"}), kGtLtIncompatible) << command;
    EXPECT_EQ(Run({command, "k", "10", "XX", "LT", "GT"}), kGtLtIncompatible) << command;
    EXPECT_EQ(Run({command, "k", "10", "FOO"}), "-ERR Unsupported option FOO") << command;
    EXPECT_EQ(Run({command, "k", "10", "NX", "5"}), "-ERR Unsupported option 5") << command;
    EXPECT_EQ(Run({command, "k", "abc"}), kNotInteger) << command;
    EXPECT_EQ(Run({command, "k", "1.5"}), kNotInteger) << command;
    EXPECT_EQ(Run({command, "k"}), WrongArity(ToLowerAscii(command))) << command;
  }
  // Overflow: a relative time that does not fit once added to now (in milliseconds).
  EXPECT_EQ(Run({"EXPIRE", "k", kMaxInt64}), InvalidExpire("expire"));
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775"}), InvalidExpire("expire"));
  EXPECT_EQ(Run({"EXPIRE", "k", kMinInt64}), InvalidExpire("expire"));
  EXPECT_EQ(Run({"PEXPIRE", "k", kMaxInt64}), InvalidExpire("pexpire"));
  EXPECT_EQ(Run({"PEXPIRE", "k", "9223372036854775806"}), InvalidExpire("pexpire"));
  EXPECT_EQ(Run({"EXPIREAT", "k", kMaxInt64}), InvalidExpire("expireat"));
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854776"}), InvalidExpire("expireat"));
  EXPECT_EQ(Run({"EXPIREAT", "k", kMinInt64}), InvalidExpire("expireat"));
  // None of them touched the key.
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  // The largest deadlines that fit are accepted.
  EXPECT_EQ(Run({"EXPIREAT", "k", "9223372036854775"}), ":1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":9223372036854775000");
  EXPECT_EQ(Run({"PEXPIREAT", "k", kMaxInt64}), ":1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), std::string(":") + kMaxInt64);
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
}

TEST_F(ExpireTest, NonPositiveOrPastExpireDeletes) {
  const std::vector<std::vector<std::string>> deleting = {
      {"EXPIRE", "k", "-1"},         {"EXPIRE", "k", "0"},           {"PEXPIRE", "k", "0"},
      {"PEXPIRE", "k", kMinInt64},   {"EXPIREAT", "k", "1000"},      {"PEXPIREAT", "k", "1"},
      {"EXPIRE", "k", "-100", "NX"}, {"PEXPIRE", "k", "-100", "LT"},
  };
  for (const auto& command : deleting) {
    ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
    EXPECT_EQ(Run(command), ":1") << command[0] << " " << command[2];
    EXPECT_EQ(Run({"EXISTS", "k"}), ":0") << command[0] << " " << command[2];
    EXPECT_EQ(Run({"GET", "k"}), "(nil)") << command[0] << " " << command[2];
  }
  // A condition that fails keeps the key, even with a time in the past.
  ASSERT_EQ(Run({"SET", "k", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"EXPIRE", "k", "-100", "GT"}), ":0");
  EXPECT_EQ(Run({"EXPIRE", "k", "-100", "NX"}), ":0");
  EXPECT_TRUE(TtlAbout("k", 100));
  EXPECT_EQ(Run({"EXPIRE", "k", "-100", "LT"}), ":1");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Run({"PEXPIRE", "k", "0", "XX"}), ":0");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");
  EXPECT_EQ(Run({"EXPIRE", "missing", "-1"}), ":0");
}

TEST_F(ExpireTest, TtlPttlExpiretimeAndPersistReplies) {
  for (const char* command : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(Run({command, "missing"}), ":-2") << command;
  }
  ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  for (const char* command : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"}) {
    EXPECT_EQ(Run({command, "k"}), ":-1") << command;
  }
  EXPECT_EQ(Run({"PERSIST", "k"}), ":0");
  EXPECT_EQ(Run({"PERSIST", "missing"}), ":0");
  EXPECT_EQ(Run({"PEXPIREAT", "k", std::to_string(kFarMs + 700)}), ":1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":" + std::to_string(kFarMs + 700));
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), ":" + std::to_string(kFarSeconds + 1));
  EXPECT_EQ(Run({"PEXPIREAT", "k", std::to_string(kFarMs + 400)}), ":1");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), ":" + std::to_string(kFarSeconds));
  const int64_t ttl = Integer({"TTL", "k"});
  const int64_t now_seconds = ServerTimeMs() / 1000;
  EXPECT_TRUE(ttl > kFarSeconds - now_seconds - 5 && ttl <= kFarSeconds - now_seconds + 1) << ttl;
  EXPECT_EQ(Run({"PERSIST", "k"}), ":1");
  EXPECT_EQ(Run({"PERSIST", "k"}), ":0");
  EXPECT_EQ(Run({"TTL", "k"}), ":-1");
  EXPECT_EQ(Run({"PEXPIRETIME", "k"}), ":-1");
  EXPECT_EQ(Run({"GET", "k"}), "\"v\"");

  for (const char* command : {"TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"}) {
    EXPECT_EQ(Run({command}), WrongArity(ToLowerAscii(command))) << command;
    EXPECT_EQ(Run({command, "a", "b"}), WrongArity(ToLowerAscii(command))) << command;
  }
}

TEST_F(ExpireTest, WritesWithoutKeepTtlClearTheDeadline) {
  ASSERT_EQ(Run({"SET", "set", "v", "EX", "100"}), "+OK");
  ASSERT_EQ(Run({"SET", "set", "w"}), "+OK");
  EXPECT_EQ(Run({"TTL", "set"}), ":-1");

  ASSERT_EQ(Run({"SET", "getset", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"GETSET", "getset", "w"}), "\"v\"");
  EXPECT_EQ(Run({"TTL", "getset"}), ":-1");

  ASSERT_EQ(Run({"SET", "mset", "v", "EX", "100"}), "+OK");
  ASSERT_EQ(Run({"MSET", "mset", "w", "other", "x"}), "+OK");
  EXPECT_EQ(Run({"TTL", "mset"}), ":-1");
  EXPECT_EQ(Run({"GET", "mset"}), "\"w\"");

  ASSERT_EQ(Run({"SET", "expire", "v"}), "+OK");
  ASSERT_EQ(Run({"EXPIRE", "expire", "100"}), ":1");
  ASSERT_EQ(Run({"SET", "expire", "w"}), "+OK");
  EXPECT_EQ(Run({"TTL", "expire"}), ":-1");

  // A refused write leaves the deadline alone.
  ASSERT_EQ(Run({"SET", "setnx", "v", "EX", "100"}), "+OK");
  EXPECT_EQ(Run({"SETNX", "setnx", "w"}), ":0");
  EXPECT_EQ(Run({"SET", "setnx", "w", "NX"}), "(nil)");
  EXPECT_TRUE(TtlAbout("setnx", 100));

  // A deleted and re-created key starts without a deadline.
  ASSERT_EQ(Run({"SET", "del", "v", "EX", "100"}), "+OK");
  ASSERT_EQ(Run({"DEL", "del"}), ":1");
  ASSERT_EQ(Run({"SET", "del", "w"}), "+OK");
  EXPECT_EQ(Run({"TTL", "del"}), ":-1");
}

// --- Expired keys ---

TEST_F(ExpireTest, ExpiredKeyIsInvisibleToReads) {
  const std::vector<std::string> live = {"live:1", "live:2", "live:3"};
  for (const std::string& key : live) ASSERT_EQ(Run({"SET", key, "v"}), "+OK");
  ASSERT_EQ(Run({"SET", "live:ttl", "v", "EX", "1000"}), "+OK");
  // One key per read path, so that each path meets a key no other read has touched.
  const std::vector<std::string> gone = {"gone:scan",   "gone:get",  "gone:mget",
                                         "gone:exists", "gone:type", "gone:ttl",
                                         "gone:pttl",   "gone:time", "gone:ptime"};
  const int64_t deadline = ServerTimeMs() + 300;
  for (const std::string& key : gone) {
    ASSERT_EQ(Run({"SET", key, "v", "PXAT", std::to_string(deadline)}), "+OK");
  }
  EXPECT_EQ(Run({"EXISTS", "gone:get"}), ":1");
  WaitForServerTimePast(deadline);

  const std::set<std::string> expected = {"live:1", "live:2", "live:3", "live:ttl"};
  EXPECT_EQ(ScanAll("*"), expected);
  EXPECT_EQ(ScanAll("gone:*"), std::set<std::string>{});
  EXPECT_EQ(Keys("*"), expected);
  EXPECT_EQ(Keys("gone:*"), std::set<std::string>{});
  EXPECT_EQ(Run({"GET", "gone:get"}), "(nil)");
  EXPECT_EQ(Run({"MGET", "live:1", "gone:mget", "live:2"}), "[\"v\", (nil), \"v\"]");
  EXPECT_EQ(Run({"EXISTS", "gone:exists", "live:1", "gone:exists"}), ":1");
  EXPECT_EQ(Run({"TYPE", "gone:type"}), "+none");
  EXPECT_EQ(Run({"TYPE", "live:1"}), "+string");
  EXPECT_EQ(Run({"TTL", "gone:ttl"}), ":-2");
  EXPECT_EQ(Run({"PTTL", "gone:pttl"}), ":-2");
  EXPECT_EQ(Run({"EXPIRETIME", "gone:time"}), ":-2");
  EXPECT_EQ(Run({"PEXPIRETIME", "gone:ptime"}), ":-2");

  // DBSIZE counts an expired key until it is deleted; active expiry deletes them all.
  EXPECT_TRUE(WaitUntil([&] { return Run({"DBSIZE"}) == ":4"; }, std::chrono::seconds(10)))
      << "DBSIZE " << Run({"DBSIZE"});
  EXPECT_TRUE(WaitUntil(
      [&] {
        return InfoField(client_.get(), "stats", "expired_keys") == std::to_string(gone.size());
      },
      std::chrono::seconds(10)))
      << "expired_keys:" << InfoField(client_.get(), "stats", "expired_keys");
  const KeyspaceLine db0 = Db0();
  EXPECT_TRUE(db0.valid) << InfoField(client_.get(), "keyspace", "db0");
  EXPECT_EQ(db0.keys, 4);
  EXPECT_EQ(db0.expires, 1);
}

TEST_F(ExpireTest, ExpiredKeyIsMissingToWrites) {
  const std::vector<std::string> keys = {"nx",     "xx",      "setget", "setnx", "getset",
                                         "expire", "persist", "getdel", "getex", "keepttl"};
  const int64_t deadline = ServerTimeMs() + 300;
  for (const std::string& key : keys) {
    ASSERT_EQ(Run({"SET", key, "old", "PXAT", std::to_string(deadline)}), "+OK");
  }
  WaitForServerTimePast(deadline);

  EXPECT_EQ(Run({"SET", "nx", "new", "NX"}), "+OK");
  EXPECT_EQ(Run({"GET", "nx"}), "\"new\"");
  EXPECT_EQ(Run({"TTL", "nx"}), ":-1");
  EXPECT_EQ(Run({"SET", "xx", "new", "XX"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "xx"}), ":0");
  EXPECT_EQ(Run({"SET", "setget", "new", "GET"}), "(nil)");
  EXPECT_EQ(Run({"TTL", "setget"}), ":-1");
  EXPECT_EQ(Run({"SETNX", "setnx", "new"}), ":1");
  EXPECT_EQ(Run({"GET", "setnx"}), "\"new\"");
  EXPECT_EQ(Run({"GETSET", "getset", "new"}), "(nil)");
  EXPECT_EQ(Run({"GET", "getset"}), "\"new\"");
  EXPECT_EQ(Run({"EXPIRE", "expire", "100"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "expire"}), ":0");
  EXPECT_EQ(Run({"PERSIST", "persist"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "persist"}), ":0");
  EXPECT_EQ(Run({"GETDEL", "getdel"}), "(nil)");
  EXPECT_EQ(Run({"GETEX", "getex", "PERSIST"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "getex"}), ":0");
  // KEEPTTL on an expired key keeps nothing: the new key has no deadline.
  EXPECT_EQ(Run({"SET", "keepttl", "new", "KEEPTTL"}), "+OK");
  EXPECT_EQ(Run({"TTL", "keepttl"}), ":-1");
  EXPECT_EQ(Run({"GET", "keepttl"}), "\"new\"");
}

TEST_F(ExpireTest, InfoKeyspaceCountsKeysWithDeadlines) {
  EXPECT_EQ(InfoField(client_.get(), "keyspace", "db0"), "");
  ASSERT_EQ(Run({"SET", "a", "1"}), "+OK");
  ASSERT_EQ(Run({"SET", "b", "2", "EX", "1000"}), "+OK");
  ASSERT_EQ(Run({"SET", "c", "3", "PX", "500000"}), "+OK");
  KeyspaceLine db0 = Db0();
  ASSERT_TRUE(db0.valid) << InfoField(client_.get(), "keyspace", "db0");
  EXPECT_EQ(db0.keys, 3);
  EXPECT_EQ(db0.expires, 2);
  EXPECT_LE(db0.avg_ttl, 1000000);
  // avg_ttl is the mean remaining TTL in milliseconds (Redis estimates it by sampling, so
  // it may read 0 at first): about 750,000 here.
  EXPECT_TRUE(WaitUntil(
      [&] {
        db0 = Db0();
        return db0.avg_ttl > 400000 && db0.avg_ttl <= 1000000;
      },
      std::chrono::seconds(10)))
      << InfoField(client_.get(), "keyspace", "db0");

  ASSERT_EQ(Run({"PERSIST", "b"}), ":1");
  EXPECT_EQ(Db0().expires, 1);
  ASSERT_EQ(Run({"EXPIRE", "a", "100"}), ":1");
  EXPECT_EQ(Db0().expires, 2);
  ASSERT_EQ(Run({"DEL", "c"}), ":1");
  db0 = Db0();
  EXPECT_EQ(db0.keys, 2);
  EXPECT_EQ(db0.expires, 1);
  ASSERT_EQ(Run({"SET", "a", "overwritten"}), "+OK");
  EXPECT_EQ(Db0().expires, 0);
  ASSERT_EQ(Run({"FLUSHALL"}), "+OK");
  EXPECT_EQ(InfoField(client_.get(), "keyspace", "db0"), "");
}

// --- Durability of deadlines ---

class ExpireDurabilityTest : public ExpireTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--appendfsync", "always"}; }

  // Writes keys whose deadlines come from every kind of write, and returns the PEXPIRETIME of
  // each (-1: none) as the server reports it. "short" has a deadline the test waits for.
  std::map<std::string, int64_t> WriteDeadlines(int64_t* short_deadline) {
    const std::string far = std::to_string(kFarMs);
    EXPECT_EQ(Run({"SET", "ttl:pxat", "v-pxat", "PXAT", far}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:ex", "v-ex", "EX", "1000"}), "+OK");
    EXPECT_EQ(Run({"SETEX", "ttl:setex", "2000", "v-setex"}), "+OK");
    EXPECT_EQ(Run({"PSETEX", "ttl:psetex", "3000000", "v-psetex"}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:expire", "v-expire"}), "+OK");
    EXPECT_EQ(Run({"EXPIRE", "ttl:expire", "4000"}), ":1");
    EXPECT_EQ(Run({"SET", "ttl:changed", "v-changed", "EX", "1000"}), "+OK");
    EXPECT_EQ(Run({"PEXPIREAT", "ttl:changed", std::to_string(kFarMs + 5000)}), ":1");
    EXPECT_EQ(Run({"SET", "ttl:keepttl", "v-old", "EX", "1000"}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:keepttl", "v-keepttl", "KEEPTTL"}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:getex", "v-getex"}), "+OK");
    EXPECT_EQ(Run({"GETEX", "ttl:getex", "PXAT", std::to_string(kFarMs + 7000)}), "\"v-getex\"");
    EXPECT_EQ(Run({"SET", "ttl:persisted", "v-persisted", "EX", "1000"}), "+OK");
    EXPECT_EQ(Run({"PERSIST", "ttl:persisted"}), ":1");
    EXPECT_EQ(Run({"SET", "ttl:cleared", "v-old", "EX", "1000"}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:cleared", "v-cleared"}), "+OK");
    EXPECT_EQ(Run({"SET", "ttl:plain", "v-plain"}), "+OK");
    *short_deadline = ServerTimeMs() + 500;
    EXPECT_EQ(Run({"SET", "ttl:short", "v-short", "PXAT", std::to_string(*short_deadline)}), "+OK");

    std::map<std::string, int64_t> deadlines;
    for (const char* key :
         {"ttl:pxat", "ttl:ex", "ttl:setex", "ttl:psetex", "ttl:expire", "ttl:changed",
          "ttl:keepttl", "ttl:getex", "ttl:persisted", "ttl:cleared", "ttl:plain"}) {
      deadlines[key] = Integer({"PEXPIRETIME", key});
    }
    EXPECT_EQ(deadlines["ttl:pxat"], kFarMs);
    EXPECT_EQ(deadlines["ttl:changed"], kFarMs + 5000);
    EXPECT_EQ(deadlines["ttl:getex"], kFarMs + 7000);
    EXPECT_EQ(deadlines["ttl:persisted"], -1);
    EXPECT_EQ(deadlines["ttl:cleared"], -1);
    EXPECT_EQ(deadlines["ttl:plain"], -1);
    for (const char* key : {"ttl:ex", "ttl:setex", "ttl:psetex", "ttl:expire", "ttl:keepttl"}) {
      EXPECT_GT(deadlines[key], 0) << key;
    }
    return deadlines;
  }

  // Every key still has its value and exactly its deadline; "short" is gone once its time
  // has passed.
  void CheckDeadlines(const std::map<std::string, int64_t>& deadlines, int64_t short_deadline,
                      const std::string& when) {
    for (const auto& [key, deadline] : deadlines) {
      EXPECT_EQ(Integer({"PEXPIRETIME", key}), deadline) << key << " " << when;
      EXPECT_EQ(Run({"GET", key}), "\"v-" + key.substr(4) + "\"") << key << " " << when;
    }
    WaitForServerTimePast(short_deadline);
    EXPECT_EQ(Run({"GET", "ttl:short"}), "(nil)") << when;
    EXPECT_EQ(Run({"TTL", "ttl:short"}), ":-2") << when;
    EXPECT_EQ(Keys("ttl:*").size(), deadlines.size()) << when;
  }
};

TEST_F(ExpireDurabilityTest, DeadlinesSurviveShutdownAndRestart) {
  int64_t short_deadline = 0;
  const std::map<std::string, int64_t> deadlines = WriteDeadlines(&short_deadline);
  client_->Command({"SHUTDOWN"});  // answers nothing: the connection closes
  ASSERT_TRUE(server_.WaitForExit(std::chrono::seconds(30))) << "SHUTDOWN did not stop the server";
  RestartAndReconnect();
  CheckDeadlines(deadlines, short_deadline, "after SHUTDOWN and restart");
}

TEST_F(ExpireDurabilityTest, DeadlinesSurviveSigkill) {
  int64_t short_deadline = 0;
  const std::map<std::string, int64_t> deadlines = WriteDeadlines(&short_deadline);
  server_.Kill();
  RestartAndReconnect();
  CheckDeadlines(deadlines, short_deadline, "after kill -9 and restart");
  // And again, now that the deadlines were recovered once.
  ASSERT_EQ(Run({"PERSIST", "ttl:ex"}), ":1");
  server_.Kill();
  RestartAndReconnect();
  EXPECT_EQ(Run({"TTL", "ttl:ex"}), ":-1");
  EXPECT_EQ(Integer({"PEXPIRETIME", "ttl:pxat"}), kFarMs);
}

// Deadlines stored in tables: a small memtable so that they are flushed, then compacted.
class ExpireStorageTest : public ExpireDurabilityTest {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "2", "--memtable-size", "64kb", "--compaction-tombstone-min-age", "0"};
  }

  // The flush count of each shard (INFO storage `shardN:...,flushes=F,...`).
  std::vector<int64_t> ShardFlushes() {
    std::vector<int64_t> flushes;
    for (int shard = 0;; ++shard) {
      const std::string line = InfoField(client_.get(), "storage", "shard" + std::to_string(shard));
      if (line.empty()) break;
      const size_t at = line.find(",flushes=");
      if (at == std::string::npos) break;
      flushes.push_back(std::stoll(line.substr(at + 9)));
    }
    return flushes;
  }

  // Writes filler keys until every shard has flushed its memtable at least once more than
  // `before` says, so that everything written earlier is in tables.
  void FlushEveryShard(int round) {
    const std::vector<int64_t> before = ShardFlushes();
    ASSERT_FALSE(before.empty()) << "INFO storage has no shardN lines";
    const std::string filler(1000, 'f');
    auto every_shard_flushed = [&] {
      const std::vector<int64_t> now = ShardFlushes();
      if (now.size() != before.size()) return false;
      for (size_t i = 0; i < now.size(); ++i) {
        if (now[i] <= before[i]) return false;
      }
      return InfoField(client_.get(), "storage", "immutable_memtables") == "0";
    };
    for (int batch = 0; batch < 100 && !every_shard_flushed(); ++batch) {
      std::vector<std::string> mset = {"MSET"};
      for (int i = 0; i < 100; ++i) {
        mset.push_back("filler:" + std::to_string(round) + ":" + std::to_string(batch * 100 + i));
        mset.push_back(filler);
      }
      ASSERT_EQ(Run(mset), "+OK");
    }
    ASSERT_TRUE(WaitUntil(every_shard_flushed, std::chrono::seconds(30)))
        << InfoField(client_.get(), "storage", "shard0") << " / "
        << InfoField(client_.get(), "storage", "shard1");
  }
};

TEST_F(ExpireStorageTest, DeadlinesSurviveFlushAndCompaction) {
  if (IsRedis()) GTEST_SKIP() << "memtable-size, flushes and COMPACT are Shale's";
  int64_t short_deadline = 0;
  std::map<std::string, int64_t> deadlines = WriteDeadlines(&short_deadline);
  // Two more short keys flushed with their deadlines: one nobody writes again, one written
  // again without a deadline once it has expired.
  ASSERT_EQ(Run({"SET", "dead:short", "v", "PXAT", std::to_string(short_deadline)}), "+OK");
  ASSERT_EQ(Run({"SET", "dead:revived", "v-old", "PXAT", std::to_string(short_deadline)}), "+OK");
  FlushEveryShard(0);
  CheckDeadlines(deadlines, short_deadline, "after a flush");

  // Newer versions in the memtable over older ones (with other deadlines) in tables.
  ASSERT_EQ(Run({"SET", "ttl:ex", "v-ex"}), "+OK");  // clears the deadline
  deadlines["ttl:ex"] = -1;
  ASSERT_EQ(Run({"PERSIST", "ttl:setex"}), ":1");
  deadlines["ttl:setex"] = -1;
  ASSERT_EQ(Run({"PEXPIREAT", "ttl:plain", std::to_string(kFarMs + 9000)}), ":1");
  deadlines["ttl:plain"] = kFarMs + 9000;
  ASSERT_EQ(Run({"SET", "ttl:keepttl", "v-keepttl", "KEEPTTL"}), "+OK");
  // The expired key written again without a deadline: alive, whatever the table holds.
  ASSERT_EQ(Run({"SET", "dead:revived", "v-revived"}), "+OK");
  FlushEveryShard(1);
  for (const auto& [key, deadline] : deadlines) {
    EXPECT_EQ(Integer({"PEXPIRETIME", key}), deadline) << key << " after the second flush";
  }

  const uint64_t compactions_before =
      std::stoull(InfoField(client_.get(), "storage", "compactions"));
  ASSERT_EQ(Run({"COMPACT"}), "+OK");
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "storage", "compaction_running") == "0"; },
                std::chrono::seconds(60)));
  EXPECT_GT(std::stoull(InfoField(client_.get(), "storage", "compactions")), compactions_before);
  CheckDeadlines(deadlines, short_deadline, "after COMPACT");
  EXPECT_EQ(Run({"GET", "dead:short"}), "(nil)");
  EXPECT_EQ(Keys("dead:*"), std::set<std::string>{"dead:revived"});
  EXPECT_EQ(Run({"GET", "dead:revived"}), "\"v-revived\"");
  EXPECT_EQ(Run({"TTL", "dead:revived"}), ":-1");

  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  CheckDeadlines(deadlines, short_deadline, "after COMPACT and restart");
  EXPECT_EQ(Run({"EXISTS", "dead:short"}), ":0");
  EXPECT_EQ(Run({"GET", "dead:revived"}), "\"v-revived\"");
  EXPECT_EQ(Run({"TTL", "dead:revived"}), ":-1");
}

// --- Active expiry ---

class MassExpiryTest : public ExpireTest {
 protected:
  // Tables that hold the keys, so that compaction has their expired versions to drop.
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "2", "--memtable-size", "1mb", "--compaction-tombstone-min-age", "0"};
  }
};

TEST_F(MassExpiryTest, HundredThousandKeysExpireWithoutReaders) {
  constexpr int kKeys = 100000;
  constexpr int kChunk = 1000;
  // 100-byte values of printable noise, so that compression does not hide their size.
  uint64_t x = 0x9E3779B97F4A7C15;
  for (int start = 0; start < kKeys; start += kChunk) {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(kChunk);
    for (int i = start; i < start + kChunk; ++i) {
      std::string value;
      while (value.size() < 100) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        value.push_back(static_cast<char>('!' + x % 94));
      }
      commands.push_back({"SET", "mass:" + std::to_string(i), value, "PX", "1000"});
    }
    const std::vector<ReplyPtr> replies = client_->Pipeline(commands);
    ASSERT_EQ(replies.size(), commands.size()) << client_->error();
    for (const ReplyPtr& reply : replies) ASSERT_EQ(Describe(reply), "+OK");
  }
  // While they live (some may already be gone): every key counted has a deadline under 1 s.
  const std::string line = InfoField(client_.get(), "keyspace", "db0");
  const KeyspaceLine db0 = ParseKeyspaceLine(line);
  EXPECT_TRUE(db0.valid) << "db0:" << line;
  EXPECT_GT(db0.keys, 0) << line;
  EXPECT_LE(db0.keys, kKeys) << line;
  EXPECT_GT(db0.expires, 0) << line;
  EXPECT_LE(db0.expires, db0.keys) << line;
  EXPECT_LE(db0.avg_ttl, 1000) << line;
  const uint64_t bytes_before = IsRedis() ? 0 : DirectoryBytes(server_.dir());

  // Nobody reads them: active expiry alone must delete them all.
  EXPECT_TRUE(WaitUntil([&] { return Run({"DBSIZE"}) == ":0"; }, std::chrono::seconds(10)))
      << "DBSIZE " << Run({"DBSIZE"}) << " 10 s after the writes";
  EXPECT_TRUE(WaitUntil(
      [&] { return InfoField(client_.get(), "stats", "expired_keys") == std::to_string(kKeys); },
      std::chrono::seconds(10)))
      << "expired_keys:" << InfoField(client_.get(), "stats", "expired_keys");
  EXPECT_EQ(InfoField(client_.get(), "keyspace", "db0"), "");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "1000"}), "[\"0\", []]");
  EXPECT_EQ(Run({"GET", "mass:0"}), "(nil)");

  if (IsRedis()) return;
  // The expired data goes from disk too, once compacted.
  ASSERT_EQ(Run({"COMPACT"}), "+OK");
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "storage", "compaction_running") == "0"; },
                std::chrono::seconds(60)));
  const bool shrank = WaitUntil([&] { return DirectoryBytes(server_.dir()) < bytes_before / 2; },
                                std::chrono::seconds(60));
  std::printf("data directory: %" PRIu64 " KB after the writes, %" PRIu64
              " KB after expiry and COMPACT (table_bytes %s)\n",
              bytes_before >> 10, DirectoryBytes(server_.dir()) >> 10,
              InfoField(client_.get(), "storage", "table_bytes").c_str());
  EXPECT_TRUE(shrank);
}

}  // namespace
}  // namespace shale::integration
