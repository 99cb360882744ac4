// Start-up refuses a data directory whose SHARDS file or WAL files contradict what the
// manifests record, printing the reason and exiting non-zero (storage/shards_file.h,
// storage/shard.h), instead of starting and serving nil for acknowledged keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class StartupChecksTest : public ServerFixture {
 protected:
  // The directory's own count, as a server started without --shards uses it.
  std::vector<std::string> ShaleArgs() const override { return {"--shards", "0"}; }

  void SetUp() override {
    ServerFixture::SetUp();
    if (IsRedis()) GTEST_SKIP() << "Shale's data directory";
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(Run({"SET", "key" + std::to_string(i), "value"}), "+OK");
    }
    std::string error;
    int status = 0;
    ASSERT_TRUE(server_.Stop(&error, &status)) << error;  // a clean shutdown
  }

  std::string DataPath(const std::string& name) const { return server_.dir() + "/" + name; }

  static void Overwrite(const std::string& path, const std::string& contents) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
  }

  // The server refuses to start; its output names `needle`.
  void ExpectRefused(const std::string& needle) {
    std::string error;
    EXPECT_FALSE(server_.Restart(&error));
    EXPECT_NE(error.find("exited before it was ready"), std::string::npos) << error;
    EXPECT_EQ(error.find("(status 0)"), std::string::npos) << error;
    EXPECT_NE(error.find(needle), std::string::npos) << error;
  }
};

TEST_F(StartupChecksTest, ChangedShardCountIsRefused) {
  int shards = 0;
  while (std::filesystem::exists(DataPath("shard-00" + std::to_string(shards)))) ++shards;
  ASSERT_GT(shards, 0);
  Overwrite(DataPath("SHARDS"), std::to_string(shards + 7) + "\n");
  ExpectRefused(DataPath("SHARDS"));
  EXPECT_FALSE(std::filesystem::exists(DataPath("shard-00" + std::to_string(shards))));
}

TEST_F(StartupChecksTest, RemovedWalIsRefused) {
  std::vector<std::string> wals;
  for (const auto& entry : std::filesystem::directory_iterator(DataPath("shard-000"))) {
    if (entry.path().extension() == ".log") wals.push_back(entry.path().string());
  }
  ASSERT_EQ(wals.size(), 1u);
  std::filesystem::remove(wals[0]);
  ExpectRefused(wals[0]);
}

}  // namespace
}  // namespace shale::integration
