#include "storage/arena.h"

#include <cstdint>

namespace shale::storage {

namespace {
constexpr size_t kAlign = alignof(std::max_align_t) > 8 ? alignof(std::max_align_t) : 8;
}  // namespace

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // Its own block; the current block keeps serving small allocations.
    return NewBlock(bytes);
  }
  ptr_ = NewBlock(kBlockSize);
  remaining_ = kBlockSize;
  char* result = ptr_;
  ptr_ += bytes;
  remaining_ -= bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  const size_t misalign = reinterpret_cast<uintptr_t>(ptr_) & (kAlign - 1);
  const size_t padding = misalign == 0 ? 0 : kAlign - misalign;
  if (bytes + padding <= remaining_) {
    char* result = ptr_ + padding;
    ptr_ += bytes + padding;
    remaining_ -= bytes + padding;
    return result;
  }
  // new[] blocks are aligned for any fundamental type.
  return AllocateFallback(bytes);
}

char* Arena::NewBlock(size_t bytes) {
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(bytes));
  memory_usage_.fetch_add(bytes + sizeof(std::unique_ptr<char[]>), std::memory_order_relaxed);
  return blocks_.back().get();
}

}  // namespace shale::storage
