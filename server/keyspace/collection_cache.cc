#include "server/keyspace/collection_cache.h"

#include <algorithm>

namespace shale::keyspace {

size_t RankIndex::BucketOf(std::string_view element) const {
  // bounds[0] is empty, so some bound is <= every element.
  auto it = std::upper_bound(bounds.begin(), bounds.end(), element,
                             [](std::string_view e, const std::string& b) { return e < b; });
  return static_cast<size_t>(it - bounds.begin()) - 1;
}

std::string CollectionCache::Id(uint16_t db, std::string_view key) {
  std::string id;
  id.reserve(2 + key.size());
  id.push_back(static_cast<char>(db >> 8));
  id.push_back(static_cast<char>(db & 0xff));
  id.append(key.data(), key.size());
  return id;
}

CollectionEntry* CollectionCache::Find(uint16_t db, std::string_view key, uint64_t version,
                                       bool create) {
  std::string id = Id(db, key);
  auto found = map_.find(id);
  if (found == map_.end()) {
    if (!create) return nullptr;
    lru_.push_front(Slot{id, CollectionEntry()});
    lru_.front().entry.version = version;
    map_.emplace(std::move(id), lru_.begin());
    EvictBeyondLimits(&lru_.front().entry);
    return &lru_.front().entry;
  }
  lru_.splice(lru_.begin(), lru_, found->second);
  CollectionEntry& entry = found->second->entry;
  if (entry.version != version) {
    buckets_ -= entry.index.bounds.size();
    entry = CollectionEntry();
    entry.version = version;
  }
  return &entry;
}

void CollectionCache::Drop(uint16_t db, std::string_view key) {
  auto found = map_.find(Id(db, key));
  if (found == map_.end()) return;
  buckets_ -= found->second->entry.index.bounds.size();
  lru_.erase(found->second);
  map_.erase(found);
}

void CollectionCache::IndexResized(CollectionEntry* entry, size_t old_buckets, size_t buckets) {
  buckets_ = buckets_ - old_buckets + buckets;
  EvictBeyondLimits(entry);
}

void CollectionCache::EvictBeyondLimits(const CollectionEntry* keep) {
  while (!lru_.empty() && (map_.size() > kMaxEntries || buckets_ > kMaxBuckets)) {
    auto last = std::prev(lru_.end());
    if (&last->entry == keep) {
      if (lru_.size() == 1) return;
      // The entry kept is the least recently used: the next one goes instead.
      lru_.splice(lru_.begin(), lru_, last);
      continue;
    }
    buckets_ -= last->entry.index.bounds.size();
    map_.erase(last->id);
    lru_.erase(last);
  }
}

}  // namespace shale::keyspace
