// A key that cannot be read (a damaged table block) is an error for every command that needs
// it, never a nil or a 0 that claims the key is absent: GET, MGET, EXISTS, TYPE, KEYS, SCAN.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

std::string Key(int i) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "key:%05d", i);
  return buffer;
}

// A value that does not compress, so a flipped byte lands in stored data.
std::string Value(int i) {
  std::string v;
  uint64_t x = 0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(i + 1);
  while (v.size() < 200) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v.push_back(static_cast<char>('!' + x % 90));
  }
  return v;
}

class ReadErrorTest : public ServerFixture {
 protected:
  static constexpr int kKeys = 5000;

  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "1", "--memtable-size", "256kb"};
  }

  // Writes kKeys keys, waits until they are all in tables, stops the server, flips one byte in
  // the first data block of every table and restarts. Returns the keys whose GET now fails.
  std::vector<std::string> DamageTables() {
    std::vector<std::vector<std::string>> commands;
    for (int i = 0; i < kKeys; ++i) commands.push_back({"SET", Key(i), Value(i)});
    for (const ReplyPtr& reply : client_->Pipeline(commands)) {
      EXPECT_EQ(Describe(reply), "+OK");
    }
    EXPECT_GT(StopAndDamageEveryTable(), 0) << "no table was written";
    RestartAndReconnect();
    std::vector<std::string> unreadable;
    for (int i = 0; i < kKeys; ++i) {
      const std::string reply = Run({"GET", Key(i)});
      if (reply.rfind("-ERR", 0) == 0) {
        unreadable.push_back(Key(i));
      } else {
        EXPECT_EQ(reply, Describe(client_->Command({"ECHO", Value(i)}))) << Key(i);
      }
    }
    return unreadable;
  }
};

TEST_F(ReadErrorTest, EveryReadOfADamagedKeyIsAnError) {
  if (IsRedis()) GTEST_SKIP() << "damages Shale's tables";
  const std::vector<std::string> unreadable = DamageTables();
  ASSERT_FALSE(unreadable.empty()) << "the damaged block did not make any key unreadable";
  const std::string& bad = unreadable.front();
  // A readable key in a block that was not damaged.
  std::string good;
  for (int i = kKeys - 1; i >= 0 && good.empty(); --i) {
    if (std::find(unreadable.begin(), unreadable.end(), Key(i)) == unreadable.end()) good = Key(i);
  }
  ASSERT_FALSE(good.empty());

  const std::string get_error = Run({"GET", bad});
  EXPECT_EQ(Run({"MGET", bad, good}), get_error);
  EXPECT_EQ(Run({"MGET", good, bad, "absent"}), get_error);
  EXPECT_EQ(Run({"EXISTS", good, bad}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"TYPE", bad}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"KEYS", "*"}).rfind("-ERR", 0), 0u);
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "100000"}).rfind("-ERR", 0), 0u);
  // Keys elsewhere are still served.
  EXPECT_EQ(Run({"MGET", good, "absent"}).rfind("[\"", 0), 0u);
  EXPECT_EQ(Run({"EXISTS", good}), ":1");
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

// The bitmap commands, reading or read-modify-writing a damaged key, answer GET's error.
TEST_F(ReadErrorTest, BitCommandsOnADamagedKeyAreErrors) {
  if (IsRedis()) GTEST_SKIP() << "damages Shale's tables";
  const std::vector<std::string> unreadable = DamageTables();
  ASSERT_FALSE(unreadable.empty()) << "the damaged block did not make any key unreadable";
  const std::string& bad = unreadable.front();
  const std::string get_error = Run({"GET", bad});
  const std::vector<std::vector<std::string>> commands = {
      {"GETBIT", bad, "0"},
      {"SETBIT", bad, "0", "1"},
      {"BITCOUNT", bad},
      {"BITPOS", bad, "1"},
      {"BITOP", "OR", "dest", "absent", bad},
      {"BITFIELD", bad, "GET", "u8", "0"},
      {"BITFIELD", bad, "INCRBY", "u8", "0", "1"},
      {"BITFIELD_RO", bad, "GET", "u8", "0"},
  };
  for (const std::vector<std::string>& command : commands) {
    EXPECT_EQ(Run(command), get_error) << command[0];
  }
  EXPECT_EQ(Run({"EXISTS", "dest"}), ":0") << "a failed BITOP writes nothing";
}

}  // namespace
}  // namespace shale::integration
