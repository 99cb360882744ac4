// CompactionFilter: how the layer above decides which values flushes and compactions may drop
// (RocksDB's CompactionFilter). The engine calls it for the newest version of each key that is
// a value (never for tombstones or versions shadowed anyway); when it answers true, the new
// table leaves the value out, writing a tombstone in its place when another table may still
// hold an older version of the key, so that an older value can never reappear. Readers see a
// dropped value as absent from the moment the new table is installed, so the filter may only
// drop what readers already treat as absent (an expired key, a sub-key of a deleted version).
//
// Thread-safety: called from the shards' worker threads, concurrently; it must be thread-safe
// and must not call back into the Db.
#pragma once

#include <string_view>

namespace shale::storage {

class CompactionFilter {
 public:
  virtual ~CompactionFilter() = default;
  virtual bool Drop(std::string_view key, std::string_view value) const = 0;
};

}  // namespace shale::storage
