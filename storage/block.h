// Block: reads a key/value block built by BlockBuilder (layout in block_builder.h) whose keys
// are internal keys (key_format.h), as SSTable data and index blocks are.
//
// The contents are untrusted: Init() checks the restart array (count, bounds, order) before any
// use, and the iterator checks every varint, length and shared prefix as it decodes entries and
// every restart point it jumps to. A malformed entry stops the iterator (Valid() false) with
// status() Corruption; nothing is ever read outside the contents, and each step of an iterator
// moves strictly forward, so iteration always ends.
//
// Thread-safety: a Block is immutable once initialised and may be shared by threads; each
// iterator is used by one thread. An iterator keeps the contents alive on its own.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "storage/iterator.h"
#include "storage/status.h"

namespace shale::storage {

class Block {
 public:
  Block() = default;

  // Adopts `contents` (uncompressed). Corruption (without a file name, the caller adds it) when
  // the restart array is malformed; the block is then empty.
  Status Init(std::shared_ptr<const std::string> contents);

  // Decodes every entry and checks what iteration alone does not: that every restart point is
  // the start of an entry storing its whole key, and that keys are strictly ascending. Together
  // these make Seek's binary search exact. O(block size); for integrity checks, not every read.
  Status Verify() const;

  // Entries in key order. Keys are internal keys, values the bytes stored with them. Seek
  // compares with CompareInternalKeys; a key shorter than an internal-key trailer is corruption.
  std::unique_ptr<Iterator> NewIterator() const;

  size_t size() const { return contents_ ? contents_->size() : 0; }
  uint32_t num_restarts() const { return num_restarts_; }
  // Offset of the restart array: the entries occupy [0, restarts_offset()).
  uint32_t restarts_offset() const { return restarts_offset_; }

 private:
  class Iter;

  std::shared_ptr<const std::string> contents_;
  uint32_t restarts_offset_ = 0;
  uint32_t num_restarts_ = 0;
};

}  // namespace shale::storage
