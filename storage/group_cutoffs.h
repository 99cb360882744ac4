// GroupCutoffs: the cut-off sequences of dropped key groups (key_format.h; WriteBatch's
// kDropGroup). An entry of a group whose sequence is below the group's cut-off is dead: reads
// treat it as absent and flushes and compactions leave it out. Few groups are ever dropped, so
// the cut-offs are a small sorted vector, cheap to copy with every immutable memtable and
// cheaper still to consult when empty (a read of a store that never dropped a group).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/key_format.h"

namespace shale::storage {

class GroupCutoffs {
 public:
  // Entries of `group` below `sequence` are dead from now on (a later drop only raises it).
  void Set(uint16_t group, uint64_t sequence) {
    auto it =
        std::lower_bound(entries_.begin(), entries_.end(), std::make_pair(group, uint64_t{0}));
    if (it != entries_.end() && it->first == group) {
      it->second = std::max(it->second, sequence);
    } else {
      entries_.insert(it, {group, sequence});
    }
  }

  // The cut-off of `key`'s group; 0 when the group was never dropped or the key has no group.
  uint64_t Of(std::string_view key) const {
    if (entries_.empty()) return 0;
    uint16_t group = 0;
    if (!KeyGroup(key, &group)) return 0;
    auto it =
        std::lower_bound(entries_.begin(), entries_.end(), std::make_pair(group, uint64_t{0}));
    return it != entries_.end() && it->first == group ? it->second : 0;
  }

  bool IsDead(std::string_view key, uint64_t sequence) const { return sequence < Of(key); }

  // As the manifest records them (version_set.h): group -> cut-off.
  std::map<uint32_t, uint64_t> ToMap() const {
    return std::map<uint32_t, uint64_t>(entries_.begin(), entries_.end());
  }
  static GroupCutoffs FromMap(const std::map<uint32_t, uint64_t>& map) {
    GroupCutoffs cutoffs;
    for (const auto& [group, sequence] : map) {
      if (group <= 0xffff) cutoffs.Set(static_cast<uint16_t>(group), sequence);
    }
    return cutoffs;
  }

 private:
  std::vector<std::pair<uint16_t, uint64_t>> entries_;  // by group
};

}  // namespace shale::storage
