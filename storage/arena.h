// Arena: bump allocation out of 4 KiB blocks, all freed together when the arena dies (the
// memtable's memory). An allocation larger than a quarter block gets a block of its own, so
// big values waste nothing and small ones stay packed.
//
// Not thread-safe for allocation (the memtable has one writer); MemoryUsage() may be read from
// any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace shale::storage {

class Arena {
 public:
  static constexpr size_t kBlockSize = 4096;

  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // `bytes` > 0. No alignment guarantee.
  char* Allocate(size_t bytes) {
    if (bytes <= remaining_) {
      char* result = ptr_;
      ptr_ += bytes;
      remaining_ -= bytes;
      return result;
    }
    return AllocateFallback(bytes);
  }

  // Aligned for any object (alignof(std::max_align_t)... at least pointer alignment).
  char* AllocateAligned(size_t bytes);

  // Bytes of blocks held, plus bookkeeping.
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t bytes);

  char* ptr_ = nullptr;
  size_t remaining_ = 0;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
};

}  // namespace shale::storage
