// Size-tiered compaction through the server: overwrites and deletes do not leave the data
// directory growing without bound, the table count stays bounded, and every read stays right.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

std::string Key(int i) { return "ck:" + std::to_string(i); }

// 100 bytes that name their round and key, the rest pseudo-random so that LZ4 cannot shrink
// the data below its real size.
std::string Value(int round, int i) {
  std::string v = "r" + std::to_string(round) + ":" + std::to_string(i) + ":";
  uint64_t x = (static_cast<uint64_t>(round) << 32) ^ static_cast<uint64_t>(i) ^ 0x9E3779B97F4A7C15;
  while (v.size() < 100) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    v += static_cast<char>('!' + x % 90);
  }
  return v;
}

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

class CompactionTest : public ServerFixture {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards",
            "2",
            "--memtable-size",
            "1mb",
            "--compaction-min-sstable-size",
            "1mb",
            "--compaction-tombstone-min-age",
            "0"};
  }

  void WriteRound(int round, int keys) {
    constexpr int kBatch = 500;
    for (int start = 0; start < keys; start += kBatch) {
      std::vector<std::string> mset = {"MSET"};
      for (int i = start; i < start + kBatch; ++i) {
        mset.push_back(Key(i));
        mset.push_back(Value(round, i));
      }
      ASSERT_EQ(Run(mset), "+OK");
    }
  }

  void CheckRound(int round, int keys) {
    constexpr int kBatch = 1000;
    for (int start = 0; start < keys; start += kBatch) {
      std::vector<std::string> mget = {"MGET"};
      for (int i = start; i < start + kBatch; ++i) mget.push_back(Key(i));
      ReplyPtr reply = client_->Command(mget);
      ASSERT_NE(reply, nullptr);
      ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
      for (int i = start; i < start + kBatch; ++i) {
        const redisReply* element = reply->element[i - start];
        ASSERT_EQ(element->type, REDIS_REPLY_STRING) << Key(i);
        ASSERT_EQ(std::string(element->str, element->len), Value(round, i)) << Key(i);
      }
    }
  }
};

TEST_F(CompactionTest, OverwritesAndDeletesGiveSpaceBack) {
  if (IsRedis()) GTEST_SKIP() << "compaction is Shale's";
  constexpr int kKeys = 100000;
  constexpr int kRounds = 20;
  const uint64_t live_bytes = static_cast<uint64_t>(kKeys) * (100 + 9);
  uint64_t peak = 0;
  uint64_t max_tables = 0;
  for (int round = 0; round < kRounds; ++round) {
    WriteRound(round, kKeys);
    CheckRound(round, kKeys);
    const uint64_t tables = std::stoull(InfoField(client_.get(), "storage", "tables"));
    const uint64_t bytes = DirectoryBytes(server_.dir());
    max_tables = std::max(max_tables, tables);
    peak = std::max(peak, bytes);
    std::printf("round %d: tables %llu, data dir %llu KB, write amplification %s\n", round,
                static_cast<unsigned long long>(tables),
                static_cast<unsigned long long>(bytes >> 10),
                InfoField(client_.get(), "storage", "write_amplification").c_str());
  }
  EXPECT_LT(max_tables, 40u);
  // Let pending compactions finish, then the directory holds at most 3x the live data.
  ASSERT_EQ(Run({"COMPACT"}), "+OK");
  ASSERT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "storage", "compaction_running") == "0"; },
                std::chrono::seconds(120)));
  // The merged inputs' files go once the last read holding them is done: wait for that.
  EXPECT_TRUE(WaitUntil([&] { return DirectoryBytes(server_.dir()) < 3 * live_bytes; },
                        std::chrono::seconds(60)))
      << DirectoryBytes(server_.dir()) << " bytes on disk for " << live_bytes << " live";
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kKeys));
  CheckRound(kRounds - 1, kKeys);

  // Delete everything: tombstone-heavy tables are rewritten and the space comes back.
  for (int start = 0; start < kKeys; start += 1000) {
    std::vector<std::string> del = {"DEL"};
    for (int i = start; i < start + 1000; ++i) del.push_back(Key(i));
    ASSERT_EQ(Run(del), ":1000");
  }
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  const uint64_t target = peak / 10;
  const bool shrank =
      WaitUntil([&] { return DirectoryBytes(server_.dir()) < target; }, std::chrono::seconds(120));
  std::printf("after deleting everything: data dir %llu KB (peak %llu KB)\n",
              static_cast<unsigned long long>(DirectoryBytes(server_.dir()) >> 10),
              static_cast<unsigned long long>(peak >> 10));
  EXPECT_TRUE(shrank);
  EXPECT_EQ(Run({"GET", Key(0)}), "(nil)");
  EXPECT_EQ(Run({"SCAN", "0", "COUNT", "1000"}), "[\"0\", []]");
}

}  // namespace
}  // namespace shale::integration
