#include <gtest/gtest.h>

#include <string>

#include "storage/db.h"

namespace shale::storage {
namespace {

TEST(KeySlotTest, KnownRedisSlots) {
  // Values as reported by Redis's CLUSTER KEYSLOT.
  EXPECT_EQ(KeySlot("foo"), 12182);
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot("hello"), 866);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlotTest, SlotsAreInRange) {
  for (int i = 0; i < 10000; ++i) EXPECT_LT(KeySlot("key:" + std::to_string(i)), 16384);
}

TEST(KeySlotTest, HashTagsGroupKeys) {
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("{user1000}.followers"));
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("prefix{tag}suffix"), KeySlot("tag"));
}

TEST(KeySlotTest, EmptyTagHashesTheWholeKey) {
  // The first '{' is followed at once by '}': no tag, the whole key is hashed.
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
  EXPECT_NE(KeySlot("{}a"), KeySlot("a"));
}

TEST(KeySlotTest, TagIsUpToTheFirstClosingBrace) {
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
}

TEST(KeySlotTest, UnbalancedBracesHashTheWholeKey) {
  // No '}' after the first '{': the whole key.
  EXPECT_NE(KeySlot("foo{bar"), KeySlot("bar"));
  EXPECT_NE(KeySlot("foo}bar{"), KeySlot("bar"));
  // A '}' before the first '{' does not count.
  EXPECT_EQ(KeySlot("}x{tag}"), KeySlot("tag"));
}

}  // namespace
}  // namespace shale::storage
