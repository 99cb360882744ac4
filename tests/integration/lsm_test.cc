// The LSM tree through the server: with a small memtable, data goes to SSTables, survives a
// restart, and SCAN, DBSIZE and reads see it exactly; memory stays bounded while the dataset
// grows far beyond it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"
#include "tests/unit/test_util.h"

namespace shale::integration {
namespace {

std::string Key(int i) { return "lsm:" + std::to_string(i); }

// A 100-byte value that names its key, so a value read back under the wrong key is caught.
std::string Value(int i, size_t size = 100) {
  std::string v = "v" + std::to_string(i) + ":";
  while (v.size() < size) v += static_cast<char>('a' + (i + v.size()) % 26);
  v.resize(size);
  return v;
}

class LsmTest : public ServerFixture {
 protected:
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "2", "--memtable-size", "1mb"};
  }
};

TEST_F(LsmTest, ThreeHundredThousandKeysSurviveRestart) {
  if (IsRedis()) GTEST_SKIP() << "memtable-size and INFO storage are Shale's";
  constexpr int kKeys = 300000;
  constexpr int kBatch = 1000;
  for (int start = 0; start < kKeys; start += kBatch) {
    std::vector<std::vector<std::string>> commands;
    std::vector<std::string> mset = {"MSET"};
    for (int i = start; i < start + kBatch; ++i) {
      mset.push_back(Key(i));
      mset.push_back(Value(i));
    }
    commands.push_back(std::move(mset));
    for (const ReplyPtr& reply : client_->Pipeline(commands)) ASSERT_EQ(Describe(reply), "+OK");
  }
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kKeys));
  // With a 1 MB memtable, ~35 MB of writes must have been flushed into tables.
  const std::string flushes = InfoField(client_.get(), "storage", "flushes");
  ASSERT_FALSE(flushes.empty()) << "INFO storage has no flushes field";
  EXPECT_GT(std::stoll(flushes), 10);

  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kKeys));

  for (int start = 0; start < kKeys; start += kBatch) {
    std::vector<std::string> mget = {"MGET"};
    for (int i = start; i < start + kBatch; ++i) mget.push_back(Key(i));
    ReplyPtr reply = client_->Command(mget);
    ASSERT_NE(reply, nullptr);
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
    ASSERT_EQ(reply->elements, static_cast<size_t>(kBatch));
    for (int i = start; i < start + kBatch; ++i) {
      const redisReply* element = reply->element[i - start];
      ASSERT_EQ(element->type, REDIS_REPLY_STRING) << Key(i);
      ASSERT_EQ(std::string(element->str, element->len), Value(i)) << Key(i);
    }
  }

  std::set<std::string> seen;
  std::string cursor = "0";
  size_t returned = 0;
  do {
    ReplyPtr reply = client_->Command({"SCAN", cursor, "COUNT", "1000"});
    ASSERT_NE(reply, nullptr);
    ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY);
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    for (const std::string& key : ArrayStrings(reply->element[1])) {
      seen.insert(key);
      ++returned;
    }
    ASSERT_LT(returned, static_cast<size_t>(kKeys) * 2) << "SCAN does not end";
  } while (cursor != "0");
  EXPECT_EQ(returned, static_cast<size_t>(kKeys));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kKeys));

  // Deletes with data on disk keep exact counts, also across a restart.
  EXPECT_EQ(Run({"DEL", Key(1), Key(2), Key(2), "lsm:missing"}), ":2");
  EXPECT_EQ(Run({"EXISTS", Key(1), Key(3), Key(3)}), ":2");
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kKeys - 2));
  EXPECT_EQ(Run({"GET", Key(1)}), "(nil)");
  EXPECT_EQ(Run({"GET", Key(3)}), "\"" + Value(3) + "\"");
}

// Loads SHALE_LSM_LOAD_MB (default 2048) megabytes of 4 KB values and checks that the server's
// resident memory after loading is under memtable-size x shards x 3 + block cache + 64 MB.
class LsmMemoryTest : public ServerFixture {
 protected:
  static constexpr uint64_t kMemtable = 8ULL << 20;
  static constexpr uint64_t kBlockCache = 32ULL << 20;
  std::vector<std::string> ShaleArgs() const override {
    // At most one active and two frozen memtables per shard: the "x 3" of the bound.
    return {"--shards",
            "2",
            "--memtable-size",
            "8mb",
            "--block-cache-size",
            "32mb",
            "--write-stop-immutable-memtables",
            "2"};
  }
};

TEST_F(LsmMemoryTest, ResidentMemoryStaysBoundedWhileLoading) {
  if (IsRedis()) GTEST_SKIP() << "Redis keeps the dataset in memory";
  if (test_util::kUnderSanitizer)
    GTEST_SKIP() << "resident memory is not meaningful under a sanitizer";
  const char* env = std::getenv("SHALE_LSM_LOAD_MB");
  const uint64_t megabytes = env != nullptr ? std::strtoull(env, nullptr, 10) : 2048;
  constexpr size_t kValueSize = 4096;
  const uint64_t keys = megabytes * (1 << 20) / kValueSize;
  const uint64_t limit = kMemtable * 2 * 3 + kBlockCache + (64ULL << 20);

  std::mt19937_64 rng(42);
  std::string noise(kValueSize * 2, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  uint64_t peak = 0;
  constexpr uint64_t kBatch = 64;
  for (uint64_t start = 0; start < keys; start += kBatch) {
    std::vector<std::string> mset = {"MSET"};
    for (uint64_t i = start; i < std::min(keys, start + kBatch); ++i) {
      mset.push_back("big:" + std::to_string(i));
      // Incompressible bytes, different for every key.
      mset.push_back(noise.substr(i % kValueSize, kValueSize));
    }
    ASSERT_EQ(Run(mset), "+OK");
    if ((start / kBatch) % 256 == 0)
      peak = std::max(peak, ProcessMemoryBytes(server_.pid(), "VmRSS"));
  }
  // Under everysec the WAL buffers keep up to about a second of writes until the background
  // fsync, then give large buffers back: measure once that has happened (at most 4 MB kept per
  // shard).
  EXPECT_TRUE(WaitUntil(
      [&] {
        const std::string bytes = InfoField(client_.get(), "memory", "used_memory_wal_buffers");
        return !bytes.empty() && std::stoull(bytes) <= 2 * (4u << 20);
      },
      std::chrono::seconds(10)))
      << "WAL buffers: " << InfoField(client_.get(), "memory", "used_memory_wal_buffers")
      << " bytes; " << Run({"INFO", "persistence"});
  const uint64_t after = ProcessMemoryBytes(server_.pid(), "VmRSS");
  peak = std::max(peak, after);
  std::printf(
      "loaded %llu MB in %llu keys; RSS after loading %llu MB (peak while loading %llu MB);"
      " limit %llu MB\n",
      static_cast<unsigned long long>(megabytes), static_cast<unsigned long long>(keys),
      static_cast<unsigned long long>(after >> 20), static_cast<unsigned long long>(peak >> 20),
      static_cast<unsigned long long>(limit >> 20));
  EXPECT_LT(after, limit);
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(keys));
  ReplyPtr first = client_->Command({"GET", "big:0"});
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(first->str, first->len), noise.substr(0, kValueSize));
  ReplyPtr last = client_->Command({"GET", "big:" + std::to_string(keys - 1)});
  ASSERT_NE(last, nullptr);
  ASSERT_EQ(last->type, REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(last->str, last->len), noise.substr((keys - 1) % kValueSize, kValueSize));
}

}  // namespace
}  // namespace shale::integration
