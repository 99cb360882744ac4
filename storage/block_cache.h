// BlockCache: the uncompressed data blocks of open SSTables, kept in memory up to a byte
// capacity. Entries are keyed by (cache id, block offset); every opened table takes a fresh id
// from NewId(), so a reopened or replaced file never sees another file's blocks.
//
// The cache is split into 2^shard_bits shards, each an LRU list with its own mutex and an equal
// share of the capacity; a key's shard is chosen from a hash of the key. An entry is charged the
// size of its block in bytes. Inserting into a full shard evicts its least recently used entries
// (Lookup hits and Inserts make an entry most recently used) until the new one fits; a block
// larger than a shard's whole capacity is not cached. Blocks are shared_ptrs: an evicted block
// stays alive while a reader still holds it.
//
// Thread-safety: every method may be called concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/mutex.h"
#include "storage/thread_annotations.h"

namespace shale::storage {

class BlockCache {
 public:
  // REQUIRES: 0 <= shard_bits <= 10
  explicit BlockCache(size_t capacity_bytes, int shard_bits = 4);
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache();

  // A cache id never returned before by this cache (unique per opened table).
  uint64_t NewId();

  // The cached block, or null (a miss).
  std::shared_ptr<const std::string> Lookup(uint64_t id, uint64_t offset);
  // Caches `block` under (id, offset), replacing any block cached there.
  void Insert(uint64_t id, uint64_t offset, std::shared_ptr<const std::string> block);
  // Drops every block of cache id `id` (when its table is deleted).
  void EraseTable(uint64_t id);
  // Changes the capacity, evicting at once if usage exceeds it.
  void SetCapacity(size_t capacity_bytes) EXCLUDES(set_capacity_mu_);

  size_t capacity() const;
  size_t usage() const;  // bytes charged by cached blocks
  size_t entries() const;
  uint64_t hits() const;
  uint64_t misses() const;
  uint64_t inserts() const;
  // Entries dropped to make room (for an Insert or a smaller capacity); replacements and
  // EraseTable do not count.
  uint64_t evictions() const;
  int num_shards() const { return static_cast<int>(shards_.size()); }

 private:
  class Shard;
  Shard& ShardFor(uint64_t id, uint64_t offset);

  std::vector<std::unique_ptr<Shard>> shards_;
  Mutex set_capacity_mu_;  // serialises SetCapacity calls
  std::atomic<size_t> capacity_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<uint64_t> hits_{0}, misses_{0}, inserts_{0}, evictions_{0};
};

}  // namespace shale::storage
