// Helpers for tests of the engine (storage/db.h) through its generic API: keys and values are
// bytes, writes are WriteBatches, counters are the writer's (write_batch.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "storage/compaction_filter.h"
#include "storage/db.h"
#include "storage/iterator.h"
#include "storage/key_format.h"
#include "storage/status.h"
#include "storage/write_batch.h"

namespace shale::test_util {

// `group`'s two-byte prefix followed by `rest` (storage/key_format.h).
inline std::string GroupedKey(uint16_t group, std::string_view rest) {
  std::string key;
  storage::MakeGroupedKey(group, rest, &key);
  return key;
}

// One put of `key`, with `counters` changed beside it, as one batch.
inline storage::Status PutKey(storage::Db& db, std::string_view key, std::string_view value,
                              std::initializer_list<storage::CounterDelta> counters = {}) {
  storage::WriteBatch batch;
  batch.Put(key, value);
  for (const storage::CounterDelta& c : counters) batch.AddCounter(c.counter, c.delta);
  return db.Write(batch);
}

// One delete of `key`, with `counters` changed beside it, as one batch.
inline storage::Status DeleteKey(storage::Db& db, std::string_view key,
                                 std::initializer_list<storage::CounterDelta> counters = {}) {
  storage::WriteBatch batch;
  batch.Delete(key);
  for (const storage::CounterDelta& c : counters) batch.AddCounter(c.counter, c.delta);
  return db.Write(batch);
}

// The value of `key`; "<missing>" when it has none. Any other status fails the test and reads
// "<error>".
inline std::string GetOr(storage::Db& db, std::string_view key) {
  std::string value;
  storage::Status s = db.Get(key, &value);
  if (s.IsNotFound()) return "<missing>";
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok() ? value : "<error>";
}

// The keys of the live entries that start with `prefix`, ascending, through Db::NewIterator. A
// bad status fails the test.
inline std::vector<std::string> LiveKeys(storage::Db& db, std::string_view prefix = {}) {
  std::vector<std::string> keys;
  std::unique_ptr<storage::Iterator> it;
  storage::Status s = db.NewIterator(&it);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok()) return keys;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    keys.emplace_back(it->key());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return keys;
}

// The sum of one field over the shards' statistics.
inline uint64_t SumOverShards(const storage::Db& db, uint64_t storage::ShardStats::*field) {
  uint64_t total = 0;
  for (const storage::ShardStats& s : db.Stats().shards) total += s.*field;
  return total;
}

// A compaction filter for tests: while active, removes the values that start with "drop:" and
// changes those that start with "shrink:" to "shrunk"; records every key it was asked about (the
// worker threads call it).
class MarkerFilter final : public storage::CompactionFilter {
 public:
  Decision Filter(std::string_view key, std::string_view value,
                  std::string* new_value) const override {
    std::lock_guard<std::mutex> lock(mu_);
    asked_.emplace_back(key);
    if (!active_) return Decision::kKeep;
    if (value.starts_with("drop:")) return Decision::kRemove;
    if (value.starts_with("shrink:")) {
      *new_value = "shrunk";
      return Decision::kChangeValue;
    }
    return Decision::kKeep;
  }
  void set_active(bool active) {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = active;
  }
  std::vector<std::string> asked() const {
    std::lock_guard<std::mutex> lock(mu_);
    return asked_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::vector<std::string> asked_;
  bool active_ = true;
};

}  // namespace shale::test_util
