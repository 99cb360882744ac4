#include "server/scan_cursors.h"

#include <gtest/gtest.h>

#include <set>

namespace shale::server {
namespace {

TEST(ScanCursorsTest, SavesAndFindsPositions) {
  ScanCursors cursors(10);
  uint64_t a = cursors.Save(0, "apple");
  uint64_t b = cursors.Save(3, "banana");
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  auto pa = cursors.Find(a);
  ASSERT_TRUE(pa.has_value());
  EXPECT_EQ(pa->db, 0);
  EXPECT_EQ(pa->last_key, "apple");
  auto pb = cursors.Find(b);
  ASSERT_TRUE(pb.has_value());
  EXPECT_EQ(pb->db, 3);
  EXPECT_EQ(pb->last_key, "banana");
  EXPECT_FALSE(cursors.Find(a + 1000).has_value());
}

TEST(ScanCursorsTest, ForgetsTheOldestWhenFull) {
  ScanCursors cursors(3);
  std::vector<uint64_t> saved;
  for (int i = 0; i < 5; ++i) saved.push_back(cursors.Save(0, std::string(1, char('a' + i))));
  EXPECT_EQ(cursors.size(), 3u);
  EXPECT_FALSE(cursors.Find(saved[0]).has_value());
  EXPECT_FALSE(cursors.Find(saved[1]).has_value());
  for (int i = 2; i < 5; ++i) {
    auto p = cursors.Find(saved[i]);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->last_key, std::string(1, char('a' + i)));
  }
}

TEST(ScanCursorsTest, CursorsAreUniqueAndNonZero) {
  ScanCursors cursors(100000);
  std::set<uint64_t> seen;
  for (int i = 0; i < 20000; ++i) {
    uint64_t c = cursors.Save(0, "k");
    EXPECT_NE(c, 0u);
    EXPECT_TRUE(seen.insert(c).second);
  }
}

TEST(ScanCursorsTest, KeepsBinaryKeys) {
  ScanCursors cursors;
  std::string key("a\0b\r\n", 5);
  uint64_t c = cursors.Save(1, key);
  auto p = cursors.Find(c);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->last_key, key);
}

}  // namespace
}  // namespace shale::server
