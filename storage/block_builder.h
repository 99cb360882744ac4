// BlockBuilder: builds one key/value block (the data blocks and the index block of an SSTable,
// format.h). Keys are prefix-compressed against the previous key, except at restart points.
//
// Block layout (all of it, before any compression):
//
//   | entry 0 | entry 1 | ... | entry N-1 | restart 0: u32 | ... | restart R-1: u32 | R: u32 |
//
// Entry:
//
//   | shared: varint32 | non_shared: varint32 | value_len: varint32 |
//   | key delta: non_shared bytes | value: value_len bytes |
//
//   The entry's key is the first `shared` bytes of the previous entry's key followed by the
//   key delta. At a restart point `shared` is 0 (the whole key is stored).
//
// Restart array: R fixed32 LE offsets (from the start of the block) of the entries that are
// restart points, strictly ascending, the first one 0; then R itself as fixed32 LE. Every
// `restart_interval`-th entry (entries 0, k, 2k, ...) is a restart point, so a reader binary
// searches the restart points and then scans at most k entries. An empty block is its restart
// array alone: R = 1, restart 0 = 0.
//
// Keys must be added in strictly ascending order (internal-key order for SSTable blocks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shale::storage {

class BlockBuilder {
 public:
  // REQUIRES: restart_interval >= 1
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // Forgets everything added, ready for a new block.
  void Reset();
  // REQUIRES: Finish() not called since the last Reset(); `key` greater than every key added.
  void Add(std::string_view key, std::string_view value);
  // Appends the restart array and returns the whole block, valid until Reset() or destruction.
  std::string_view Finish();

  // The size of the block if Finish() were called now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return num_entries_ == 0; }
  size_t num_entries() const { return num_entries_; }
  std::string_view last_key() const { return last_key_; }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart point
  size_t num_entries_ = 0;
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace shale::storage
