#include "storage/arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <utility>
#include <vector>

namespace shale::storage {
namespace {

TEST(ArenaTest, EmptyUsesNothing) {
  Arena arena;
  EXPECT_EQ(arena.MemoryUsage(), 0u);
}

TEST(ArenaTest, AllocationsKeepTheirContents) {
  Arena arena;
  std::mt19937 rng(301);
  std::vector<std::pair<size_t, char*>> allocated;
  size_t total = 0;
  for (int i = 0; i < 2000; ++i) {
    size_t size = (i % 100 == 0) ? rng() % 6000 + 1 : rng() % 64 + 1;  // some large ones
    char* p = (i % 3 == 0) ? arena.AllocateAligned(size) : arena.Allocate(size);
    std::memset(p, static_cast<int>(i % 256), size);
    allocated.emplace_back(size, p);
    total += size;
  }
  for (size_t i = 0; i < allocated.size(); ++i) {
    const auto [size, p] = allocated[i];
    for (size_t j = 0; j < size; ++j) {
      ASSERT_EQ(static_cast<unsigned char>(p[j]), i % 256) << i;
    }
  }
  EXPECT_GE(arena.MemoryUsage(), total);
  EXPECT_LE(arena.MemoryUsage(), total * 2 + 64 * Arena::kBlockSize);
}

TEST(ArenaTest, AlignedAllocationsAreAligned) {
  Arena arena;
  for (int i = 0; i < 500; ++i) {
    arena.Allocate(static_cast<size_t>(i % 7 + 1));  // misalign the bump pointer
    char* p = arena.AllocateAligned(static_cast<size_t>(i % 50 + 1));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(void*), 0u);
  }
}

TEST(ArenaTest, LargeAllocationGetsItsOwnBlock) {
  Arena arena;
  char* small1 = arena.Allocate(16);
  const size_t after_small = arena.MemoryUsage();
  char* big = arena.Allocate(100000);
  EXPECT_GE(arena.MemoryUsage(), after_small + 100000);
  // The current block keeps serving small allocations right after the first one.
  char* small2 = arena.Allocate(16);
  EXPECT_EQ(small2, small1 + 16);
  EXPECT_NE(big, nullptr);
  std::memset(big, 'x', 100000);
}

}  // namespace
}  // namespace shale::storage
