#include "storage/compaction_picker.h"

#include <algorithm>
#include <numeric>

#include "storage/key_format.h"
#include "storage/options.h"

namespace shale::storage {

const char* CompactionReasonName(CompactionReason reason) {
  switch (reason) {
    case CompactionReason::kNone:
      return "none";
    case CompactionReason::kSizeTiered:
      return "size-tiered";
    case CompactionReason::kTombstones:
      return "tombstones";
    case CompactionReason::kManual:
      return "manual";
  }
  return "unknown";
}

namespace {

// Whether two tables' storage-key ranges overlap. A table without a recorded range (keys
// shorter than an internal-key trailer) overlaps nothing.
bool RangesOverlap(const CompactionTableInfo& a, const CompactionTableInfo& b) {
  const size_t trailer = 8;
  if (a.smallest.size() < trailer || a.largest.size() < trailer || b.smallest.size() < trailer ||
      b.largest.size() < trailer) {
    return false;
  }
  return InternalKeyStorageKey(a.smallest) <= InternalKeyStorageKey(b.largest) &&
         InternalKeyStorageKey(b.smallest) <= InternalKeyStorageKey(a.largest);
}

}  // namespace

std::vector<std::vector<size_t>> BucketTables(const std::vector<CompactionTableInfo>& tables,
                                              const CompactionOptions& options) {
  std::vector<size_t> order(tables.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&tables](size_t a, size_t b) {
    if (tables[a].file_size != tables[b].file_size) {
      return tables[a].file_size < tables[b].file_size;
    }
    return tables[a].number < tables[b].number;
  });
  std::vector<std::vector<size_t>> buckets;
  std::vector<double> totals;  // per bucket: the sum of its sizes
  const double min_size = static_cast<double>(options.min_sstable_size);
  for (size_t i : order) {
    const double size = static_cast<double>(tables[i].file_size);
    bool placed = false;
    for (size_t b = 0; b < buckets.size(); ++b) {
      const double avg = totals[b] / static_cast<double>(buckets[b].size());
      if ((size >= options.bucket_low * avg && size <= options.bucket_high * avg) ||
          (size < min_size && avg < min_size)) {
        buckets[b].push_back(i);
        totals[b] += size;
        placed = true;
        break;
      }
    }
    if (!placed) {
      buckets.push_back({i});
      totals.push_back(size);
    }
  }
  return buckets;
}

CompactionPick PickCompaction(const std::vector<CompactionTableInfo>& tables,
                              const CompactionOptions& options, uint64_t now_ms) {
  CompactionPick best;
  uint64_t best_first_number = 0;
  const size_t min_threshold = static_cast<size_t>(std::max(options.min_threshold, 2));
  const size_t max_threshold =
      std::max(static_cast<size_t>(std::max(options.max_threshold, 0)), min_threshold);
  for (const std::vector<size_t>& bucket : BucketTables(tables, options)) {
    if (bucket.size() < min_threshold) continue;
    const size_t n = std::min(bucket.size(), max_threshold);
    CompactionPick pick;
    pick.reason = CompactionReason::kSizeTiered;
    uint64_t first_number = UINT64_MAX;
    for (size_t k = 0; k < n; ++k) {
      pick.files.push_back(tables[bucket[k]].number);
      pick.input_bytes += tables[bucket[k]].file_size;
      first_number = std::min(first_number, tables[bucket[k]].number);
    }
    const bool better =
        best.reason == CompactionReason::kNone || pick.files.size() > best.files.size() ||
        (pick.files.size() == best.files.size() &&
         (pick.input_bytes < best.input_bytes ||
          (pick.input_bytes == best.input_bytes && first_number < best_first_number)));
    if (better) {
      best = std::move(pick);
      best_first_number = first_number;
    }
  }
  if (best.reason != CompactionReason::kNone) return best;

  const CompactionTableInfo* chosen = nullptr;
  double chosen_ratio = 0;
  for (const CompactionTableInfo& table : tables) {
    if (table.num_entries == 0) continue;
    const double ratio =
        static_cast<double>(table.num_deletions) / static_cast<double>(table.num_entries);
    if (ratio <= options.tombstone_threshold) continue;
    if (now_ms < table.creation_time_ms ||
        now_ms - table.creation_time_ms < options.tombstone_compaction_interval_ms) {
      continue;
    }
    if (chosen == nullptr || ratio > chosen_ratio ||
        (ratio == chosen_ratio && table.number < chosen->number)) {
      chosen = &table;
      chosen_ratio = ratio;
    }
  }
  if (chosen != nullptr) {
    best.reason = CompactionReason::kTombstones;
    best.files = {chosen->number};
    best.input_bytes = chosen->file_size;
    // The tables whose key ranges overlap the chosen one join the merge: a tombstone can only
    // be dropped together with the older versions it shadows, so without them a rewrite after
    // a mass delete would give no space back.
    for (const CompactionTableInfo& table : tables) {
      if (&table != chosen && RangesOverlap(table, *chosen)) {
        best.files.push_back(table.number);
        best.input_bytes += table.file_size;
      }
    }
  }
  return best;
}

}  // namespace shale::storage
