// CompactionFilter: how the layer above decides which values flushes and compactions may drop
// or shrink (RocksDB's CompactionFilter). The engine calls it for the newest version of each key
// that is a value (never for tombstones or versions shadowed anyway), and the new table holds:
//   kKeep         the value as it is;
//   kRemove       nothing for the key, or a tombstone when another table (or a live snapshot)
//                 may still hold an older version, so that an older value can never reappear;
//   kChangeValue  *new_value instead.
// Readers see the change from the moment the new table is installed, so the filter may only
// remove or change what readers can no longer tell apart (a sub-key of a deleted version, the
// payload of an expired key).
//
// Thread-safety: called from the shards' worker threads, concurrently; it must be thread-safe
// and must not call back into the Db.
#pragma once

#include <string>
#include <string_view>

namespace shale::storage {

class CompactionFilter {
 public:
  enum class Decision { kKeep, kRemove, kChangeValue };
  virtual ~CompactionFilter() = default;
  virtual Decision Filter(std::string_view key, std::string_view value,
                          std::string* new_value) const = 0;
};

}  // namespace shale::storage
