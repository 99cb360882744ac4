// The SHARDS file format and the shard layout rules (shards_file.h).
#include "storage/shards_file.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstdio>
#include <string>

#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

TEST(ShardsFileTest, FormatIsTheDocumentedOne) {
  const std::string covered = "shale-shards 1\nshards 12\n";
  char checksum[16];
  std::snprintf(checksum, sizeof(checksum), "%08x",
                static_cast<uint32_t>(XXH3_64bits(covered.data(), covered.size())));
  EXPECT_EQ(EncodeShardsFile(12), covered + "checksum " + checksum + "\n");
  int shards = 0;
  bool legacy = true;
  ASSERT_TRUE(DecodeShardsFile("SHARDS", EncodeShardsFile(12), &shards, &legacy).ok());
  EXPECT_EQ(shards, 12);
  EXPECT_FALSE(legacy);
}

TEST(ShardsFileTest, OldCountOnlyFormatIsStillRead) {
  int shards = 0;
  bool legacy = false;
  ASSERT_TRUE(DecodeShardsFile("SHARDS", "4\n", &shards, &legacy).ok());
  EXPECT_EQ(shards, 4);
  EXPECT_TRUE(legacy);
}

TEST(ShardsFileTest, DamageIsCorruptionNamingTheFile) {
  const std::string good = EncodeShardsFile(4);
  std::string changed_count = good;
  changed_count[good.find("4\n")] = '9';  // the count edited, the checksum not
  std::string truncated = good.substr(0, good.size() - 4);
  for (const std::string& bad : {changed_count, truncated, std::string("shale-shards 1\nsh"),
                                 std::string("0\n"), std::string("x\n"), std::string("")}) {
    int shards = 0;
    bool legacy = false;
    Status s = DecodeShardsFile("/d/SHARDS", bad, &shards, &legacy);
    EXPECT_TRUE(s.IsCorruption()) << bad;
    EXPECT_NE(s.message().find("/d/SHARDS"), std::string::npos) << s.message();
  }
}

TEST(ShardsFileTest, ShardDirectoryNames) {
  EXPECT_EQ(ShardDirName(7), "shard-007");
  EXPECT_EQ(ShardDirName(1023), "shard-1023");
  int index = -1;
  EXPECT_TRUE(ParseShardDirName("shard-012", &index));
  EXPECT_EQ(index, 12);
  EXPECT_FALSE(ParseShardDirName("shard-0", &index));
  EXPECT_FALSE(ParseShardDirName("shard-0012", &index));
  EXPECT_FALSE(ParseShardDirName("shard-01x", &index));
}

class ShardLayoutTest : public ::testing::Test {
 protected:
  void MakeShard(int index, bool with_file) {
    const std::string dir = JoinPath(dir_.path(), ShardDirName(index));
    ASSERT_TRUE(fs_->CreateDir(dir).ok());
    if (with_file) {
      ASSERT_TRUE(WriteFileAtomically(fs_, JoinPath(dir, "CURRENT"), "x").ok());
    }
  }
  void WriteShards(const std::string& contents) {
    ASSERT_TRUE(WriteFileAtomically(fs_, JoinPath(dir_.path(), "SHARDS"), contents).ok());
  }
  Status Read(int* shards) { return ReadShardLayout(fs_, dir_.path(), shards); }

  TempDir dir_;
  FileSystem* fs_ = DefaultFileSystem();
};

TEST_F(ShardLayoutTest, NewDirectoryGetsShardDirectoriesThenSHARDS) {
  int shards = -1;
  ASSERT_TRUE(Read(&shards).ok());
  EXPECT_EQ(shards, 0);
  ASSERT_TRUE(ResolveShardLayout(fs_, dir_.path(), 3, &shards).ok());
  EXPECT_EQ(shards, 3);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(fs_->FileExists(JoinPath(dir_.path(), ShardDirName(i))));
  std::string contents;
  ASSERT_TRUE(ReadFileToString(fs_, JoinPath(dir_.path(), "SHARDS"), &contents).ok());
  EXPECT_EQ(contents, EncodeShardsFile(3));
  ASSERT_TRUE(Read(&shards).ok());
  EXPECT_EQ(shards, 3);
}

TEST_F(ShardLayoutTest, CountAboveTheDirectoriesIsRefused) {
  MakeShard(0, true);
  MakeShard(1, true);
  WriteShards("9\n");
  int shards = 0;
  Status s = Read(&shards);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(JoinPath(dir_.path(), "SHARDS")), std::string::npos);
  EXPECT_NE(s.message().find("shard-002 is missing"), std::string::npos) << s.message();
  WriteShards(EncodeShardsFile(9));
  EXPECT_TRUE(Read(&shards).IsCorruption());
}

TEST_F(ShardLayoutTest, CountBelowTheDirectoriesIsRefused) {
  MakeShard(0, true);
  MakeShard(1, true);
  WriteShards(EncodeShardsFile(1));
  int shards = 0;
  Status s = Read(&shards);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("shard-001 holds data"), std::string::npos) << s.message();
  // An empty directory beyond the count holds nothing: fine.
  MakeShard(5, false);
  WriteShards(EncodeShardsFile(2));
  ASSERT_TRUE(Read(&shards).ok());
  EXPECT_EQ(shards, 2);
}

TEST_F(ShardLayoutTest, MissingSHARDSWithDataIsRefusedWithoutDataIsNew) {
  MakeShard(0, false);
  MakeShard(1, false);
  int shards = -1;
  ASSERT_TRUE(Read(&shards).ok());  // an interrupted first open
  EXPECT_EQ(shards, 0);
  MakeShard(1, true);
  Status s = Read(&shards);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("SHARDS is missing"), std::string::npos) << s.message();
}

TEST_F(ShardLayoutTest, OldFormatWithoutAnyShardDirectoryIsAnInterruptedFirstOpen) {
  WriteShards("4\n");
  int shards = 0;
  ASSERT_TRUE(Read(&shards).ok());
  EXPECT_EQ(shards, 4);
  WriteShards(EncodeShardsFile(4));
  EXPECT_TRUE(Read(&shards).IsCorruption());  // the new format is written after the directories
}

}  // namespace
}  // namespace shale::storage
