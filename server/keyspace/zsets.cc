// Sorted sets on the keyspace (Redis 7.0's t_zset.c semantics). A sorted set is a metadata record
// (version and size: format.h) and two sub-keys per member under the key's version:
//
//   | prefix | 'm' | member bytes |                           value: score (u64 LE, IEEE 754 bits)
//   | prefix | 's' | ordered score: u64 BE | member bytes |    value: score (u64 LE, IEEE 754 bits)
//
// where prefix is MakeSubKeyPrefix(db, key, version). The 'm' sub-keys answer ZSCORE, ZADD's and
// ZREM's lookups with one point read and list the members in member (byte) order (ZSCAN,
// ZRANDMEMBER, ZUNION's inputs). The 's' sub-keys list them in score order, ties by member bytes,
// as Redis's skiplist does: the ordered score is the double's bits with the sign bit flipped for
// positive numbers and every bit flipped for negative ones, so unsigned big-endian comparison is
// numeric comparison (-inf < ... < -0 = 0 < ... < +inf; -0 is written as 0, so it ties with 0;
// NaN is never stored, as Redis refuses it). The value repeats the exact score so that -0 reads
// back as -0. A member removed has both sub-keys deleted in the command's batch; deleting the key
// is one metadata write, and the compaction filter drops the old version's sub-keys.
//
// Rank index. Once a sorted set has ZSetIndexLimits::build_at members (1024), its score order is
// also cut into counted buckets, one sub-key each:
//
//   | prefix | 'b' | bound: ordered score u64 BE + member bytes |       value: count (u64 LE)
//
// Bucket i holds the members whose score position (ordered score + member, what follows 's' in
// their score sub-key) is at or after its bound and before the next bucket's; the lowest bucket's
// bound is empty (key `prefix 'b'`), and its presence says the set has an index. The counts sum to
// the metadata's size. Every write that adds or removes a score sub-key (ZADD, ZINCRBY, ZREM,
// ZREMRANGEBY*, ZPOP*, BZPOP*, ZMPOP) puts the changed counts in the same batch as the members,
// so the index is exact across a crash. Afterwards, in a batch of its own (either state is a valid
// index), a bucket grown past split_above (2048) is split at its middle member and one shrunk
// below merge_below (256) joins its neighbour when the two fit. The first write or rank that finds
// a set of build_at members without an index builds it in one walk (a set restored or stored
// large, or written before the index existed), in a batch of its own; one that takes the set
// below build_at / 2 deletes the buckets in its batch, so a set that small never has any. RENAME,
// COPY and MOVE copy the bucket sub-keys with the members (they do not name the key); DEL and
// the compaction filter treat them as any sub-key of their version. The index is read into
// memory (CollectionCache, with the pop hints) once per key and kept equal to the stored buckets.
//
// Costs (n = members, k = members returned or removed, r = a rank, B = a bucket, ~1-2K): ZSCORE,
// ZMSCORE, ZADD and ZREM per member are point reads (plus one bucket count written per change in
// an indexed set); ZRANGE by score or by lex seeks to the interval's start and reads O(k)
// sub-keys (ZCOUNT and ZLEXCOUNT read the interval); a reversed score or lex interval reads the
// whole interval even with a LIMIT (the engine's iterators move forward only). With an index,
// ZRANK and ZREVRANK cost O(n / B) in memory plus O(B) sub-keys read (the bucket's members before
// the member), and a rank range (ZRANGE by rank, ZREMRANGEBYRANK, ZPOPMAX) seeks to the bucket
// holding its first rank: O(n / B + B + k). Without one (a set below build_at), ZRANK and ZREVRANK
// walk from both ends of the score order at once, O(min(r, n - r)); a rank range near the low end
// reads up to its last rank, and one near the high end is found by ZSetTail: a bisection over the
// 64-bit ordered-score space for the lowest score from which at most k members follow, each step
// one seek and at most k reads, so O(64 k) sub-keys read; the members that share the boundary score
// are all read.
//
// Pops: the members ZPOPMIN and ZPOPMAX remove leave deletion markers at the ends of the score
// order until compaction drops them. CollectionCache's pop hints (collection_cache.h) remember
// where the live members start and end for a few thousand keys, so a pop, a rank or a range seeks
// past the markers of the pops before it instead of stepping over each of them: a run of pops
// costs O(k) each, not O(pops so far).
//
// OBJECT ENCODING (CompositeRef::large): Redis keeps a sorted set as a listpack while it has at
// most zset-max-listpack-entries members, none longer than zset-max-listpack-value bytes, and
// converts it to a skiplist for good once a write breaks either; the STORE commands decide it
// afresh for their new key.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/keyspace/keyspace.h"
#include "storage/coding.h"

namespace shale::keyspace {

namespace {

constexpr char kMemberTag = 'm';
constexpr char kScoreTag = 's';
constexpr char kBucketTag = kZSetBucketTag;
constexpr size_t kScoreSize = 8;
constexpr size_t kCountSize = 8;

// The order-preserving form of `score` (see the header comment).
void AppendOrderedScore(double score, std::string* dst) {
  uint64_t bits = std::bit_cast<uint64_t>(score == 0 ? 0.0 : score);
  constexpr uint64_t kSign = uint64_t{1} << 63;
  bits = (bits & kSign) != 0 ? ~bits : bits | kSign;
  PutBigEndian64(bits, dst);
}

void AppendScoreValue(double score, std::string* dst) {
  storage::PutFixed64(dst, std::bit_cast<uint64_t>(score));
}

bool DecodeScoreValue(std::string_view value, double* score) {
  if (value.size() != kScoreSize) return false;
  *score = std::bit_cast<double>(storage::DecodeFixed64(value.data()));
  return !std::isnan(*score);
}

// A member's two sub-keys, built after `prefix` (the version's sub-key prefix).
void MakeMemberKey(const std::string& prefix, std::string_view member, std::string* dst) {
  *dst = prefix;
  dst->push_back(kMemberTag);
  dst->append(member.data(), member.size());
}
void MakeScoreKey(const std::string& prefix, double score, std::string_view member,
                  std::string* dst) {
  *dst = prefix;
  dst->push_back(kScoreTag);
  AppendOrderedScore(score, dst);
  dst->append(member.data(), member.size());
}

// A score sub-key's element (what follows the version's prefix): 's', ordered score, member.
std::string ScoreElement(double score, std::string_view member) {
  std::string element(1, kScoreTag);
  AppendOrderedScore(score, &element);
  element.append(member.data(), member.size());
  return element;
}

// A score sub-key's position in score order: its element without the tag (ordered score, member).
std::string ScorePosition(double score, std::string_view member) {
  std::string position;
  AppendOrderedScore(score, &position);
  position.append(member.data(), member.size());
  return position;
}

void MakeBucketKey(const std::string& prefix, std::string_view bound, std::string* dst) {
  *dst = prefix;
  dst->push_back(kBucketTag);
  dst->append(bound.data(), bound.size());
}
void AddBucketPut(const std::string& prefix, std::string_view bound, uint64_t count,
                  storage::WriteBatch* batch) {
  std::string sub, value;
  MakeBucketKey(prefix, bound, &sub);
  storage::PutFixed64(&value, count);
  batch->Put(sub, value);
}
void AddBucketDelete(const std::string& prefix, std::string_view bound,
                     storage::WriteBatch* batch) {
  std::string sub;
  MakeBucketKey(prefix, bound, &sub);
  batch->Delete(sub);
}

bool IndexLoaded(const CollectionEntry* entry) {
  return entry != nullptr && entry->index_state == CollectionEntry::Index::kLoaded;
}

// A member's score sub-key at `position` is added (+1) or removed (-1) by a write: the count of
// its bucket changes (nothing without a loaded index).
void NoteIndexChange(const CollectionEntry* entry, std::string_view position, int64_t delta,
                     std::map<size_t, int64_t>* deltas) {
  if (!IndexLoaded(entry)) return;
  (*deltas)[entry->index.BucketOf(position)] += delta;
}

// Adds to `batch` what `deltas` make of the index's buckets when the set has `new_size` members
// afterwards: the changed counts, or the removal of every bucket when it falls below
// `drop_below` (nothing when it is emptied: the key goes with its version). False when a count
// would fall below 0 (the index does not match the members).
bool AddIndexChanges(const std::string& prefix, const CollectionEntry* entry,
                     const std::map<size_t, int64_t>& deltas, uint64_t new_size,
                     uint64_t drop_below, storage::WriteBatch* batch) {
  if (!IndexLoaded(entry) || new_size == 0) return true;
  const RankIndex& index = entry->index;
  if (new_size < drop_below) {
    for (const std::string& bound : index.bounds) AddBucketDelete(prefix, bound, batch);
    return true;
  }
  for (const auto& [bucket, delta] : deltas) {
    const int64_t count = static_cast<int64_t>(index.counts[bucket]) + delta;
    if (count < 0) return false;
    AddBucketPut(prefix, index.bounds[bucket], static_cast<uint64_t>(count), batch);
  }
  return true;
}

void AddMemberPut(const std::string& prefix, std::string_view member, double score,
                  storage::WriteBatch* batch) {
  std::string sub, value;
  AppendScoreValue(score, &value);
  MakeMemberKey(prefix, member, &sub);
  batch->Put(sub, value);
  MakeScoreKey(prefix, score, member, &sub);
  batch->Put(sub, value);
}

void AddMemberDelete(const std::string& prefix, std::string_view member, double score,
                     storage::WriteBatch* batch) {
  std::string sub;
  MakeMemberKey(prefix, member, &sub);
  batch->Delete(sub);
  MakeScoreKey(prefix, score, member, &sub);
  batch->Delete(sub);
}

Status Malformed() {
  spdlog::error("keyspace: a sorted-set sub-key is malformed or missing");
  return Status::Corruption("malformed sorted-set element");
}

bool AboveMin(double score, const ScoreBound& min) {
  return min.exclusive ? score > min.value : score >= min.value;
}
bool BelowMax(double score, const ScoreBound& max) {
  return max.exclusive ? score < max.value : score <= max.value;
}
bool LexAboveMin(std::string_view member, const LexBound& min) {
  switch (min.kind) {
    case LexBound::Kind::kMinusInfinity:
      return true;
    case LexBound::Kind::kPlusInfinity:
      return false;
    case LexBound::Kind::kInclusive:
      return member >= min.value;
    case LexBound::Kind::kExclusive:
      return member > min.value;
  }
  return false;
}
bool LexBelowMax(std::string_view member, const LexBound& max) {
  switch (max.kind) {
    case LexBound::Kind::kMinusInfinity:
      return false;
    case LexBound::Kind::kPlusInfinity:
      return true;
    case LexBound::Kind::kInclusive:
      return member <= max.value;
    case LexBound::Kind::kExclusive:
      return member < max.value;
  }
  return false;
}

// Redis's rank rules: negative from the end, clamped; false when nothing is selected.
// ZSetTail's bisection costs up to 64 seeks of up to k reads each: it is used when that is less
// than reading every rank below.
constexpr int64_t kTailCostFactor = 64;

bool NormalizeRanks(int64_t size, int64_t* start, int64_t* stop) {
  if (*start < 0) *start += size;
  if (*stop < 0) *stop += size;
  if (*start < 0) *start = 0;
  if (*start > *stop || *start >= size) return false;
  if (*stop >= size) *stop = size - 1;
  return true;
}

}  // namespace

// --- sorted-set helpers ---

void Keyspace::NoteZSetWrite(CompositeRef* zset, std::string_view member) const {
  if (member.size() > static_cast<uint64_t>(std::max<int64_t>(limits_.zset_value, 0))) {
    zset->large = true;
  }
  if (zset->meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.zset_entries, 0))) {
    zset->large = true;
  }
}

// --- the rank index ---

Status Keyspace::LoadRankIndex(int db, std::string_view key, const CompositeRef& zset, bool build,
                               CollectionEntry** out) {
  CollectionEntry* entry =
      collections_.Find(PhysicalDb(db), key, zset.meta.version, /*create=*/true);
  *out = entry;
  if (entry->index_state == CollectionEntry::Index::kUnknown) {
    std::string prefix;
    MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
    prefix.push_back(kBucketTag);
    std::unique_ptr<storage::Iterator> it;
    Status s = NewSubKeyIterator(prefix, &it);
    if (!s.ok()) return s;
    RankIndex index;
    uint64_t total = 0;
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      if (!it->key().starts_with(prefix) || it->value().size() != kCountSize) return Malformed();
      index.bounds.emplace_back(it->key().substr(prefix.size()));
      index.counts.push_back(storage::DecodeFixed64(it->value().data()));
      total += index.counts.back();
    }
    if (!it->status().ok()) return it->status();
    if (index.bounds.empty()) {
      entry->index_state = CollectionEntry::Index::kAbsent;
    } else {
      if (!index.bounds[0].empty() || total != zset.meta.size) return Malformed();
      const size_t buckets = index.bounds.size();
      entry->index = std::move(index);
      entry->index_state = CollectionEntry::Index::kLoaded;
      collections_.IndexResized(entry, 0, buckets);
    }
  }
  if (build && entry->index_state == CollectionEntry::Index::kAbsent &&
      zset.meta.size >= index_limits_.build_at) {
    return BuildRankIndex(db, key, zset, entry);
  }
  return Status::Ok();
}

Status Keyspace::IndexForWrite(int db, std::string_view key, const CompositeRef& zset,
                               CollectionEntry** entry) {
  *entry = nullptr;
  if (!zset.exists || zset.meta.size < index_limits_.build_at / 2) return Status::Ok();
  CollectionEntry* found = nullptr;
  Status s = LoadRankIndex(db, key, zset, /*build=*/false, &found);
  if (!s.ok()) return s;
  if (IndexLoaded(found)) *entry = found;
  return Status::Ok();
}

Status Keyspace::BuildRankIndex(int db, std::string_view key, const CompositeRef& zset,
                                CollectionEntry* entry) {
  const uint64_t target = std::max<uint64_t>(index_limits_.target, 1);
  RankIndex index;
  index.bounds.emplace_back();
  index.counts.push_back(0);
  uint64_t n = 0;
  Status s = ForEachByScore(db, key, zset, {}, [&](std::string_view member, double score) {
    if (n > 0 && n % target == 0) {
      index.bounds.push_back(ScorePosition(score, member));
      index.counts.push_back(0);
    }
    ++index.counts.back();
    ++n;
    return true;
  });
  if (!s.ok()) return s;
  if (n != zset.meta.size) return Malformed();
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  storage::WriteBatch batch;
  for (size_t i = 0; i < index.bounds.size(); ++i) {
    AddBucketPut(prefix, index.bounds[i], index.counts[i], &batch);
  }
  s = Apply(batch);
  if (!s.ok()) {
    // Without the index the set is read as before; the next write or rank tries again.
    spdlog::warn("keyspace: a sorted set's rank index could not be written: {}", s.ToString());
    return Status::Ok();
  }
  const size_t buckets = index.bounds.size();
  entry->index = std::move(index);
  entry->index_state = CollectionEntry::Index::kLoaded;
  collections_.IndexResized(entry, 0, buckets);
  return Status::Ok();
}

void Keyspace::AfterZSetWrite(int db, std::string_view key, const CompositeRef& zset,
                              CollectionEntry* entry, const std::map<size_t, int64_t>& deltas) {
  if (zset.meta.size == 0) {
    collections_.Drop(PhysicalDb(db), key);
    return;
  }
  if (!IndexLoaded(entry)) {
    if (zset.meta.size < index_limits_.build_at) return;
    CollectionEntry* built = nullptr;
    Status s = LoadRankIndex(db, key, zset, /*build=*/true, &built);
    if (!s.ok()) spdlog::warn("keyspace: a sorted set's rank index: {}", s.ToString());
    return;
  }
  RankIndex& index = entry->index;
  if (zset.meta.size < index_limits_.build_at / 2) {
    // Its buckets were deleted in the write's batch (AddIndexChanges).
    collections_.IndexResized(entry, index.bounds.size(), 0);
    entry->index = RankIndex();
    entry->index_state = CollectionEntry::Index::kAbsent;
    return;
  }
  bool unbalanced = false;
  for (const auto& [bucket, delta] : deltas) {
    index.counts[bucket] =
        static_cast<uint64_t>(static_cast<int64_t>(index.counts[bucket]) + delta);
    const uint64_t count = index.counts[bucket];
    if (count > index_limits_.split_above ||
        (count < index_limits_.merge_below && index.bounds.size() > 1)) {
      unbalanced = true;
    }
  }
  if (!unbalanced) return;
  RankIndex next = index;
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  std::string floor = prefix + kScoreTag;
  if (const CollectionEntry* hints = PopHints(db, key, zset);
      hints && !hints->low.empty() && prefix + hints->low > floor) {
    floor = prefix + hints->low;
  }
  storage::WriteBatch batch;
  const bool balanced = RebalanceBuckets(
      prefix + kScoreTag, floor, deltas, &next, [&](std::string_view bound, int64_t count) {
        if (count < 0) {
          AddBucketDelete(prefix, bound, &batch);
        } else {
          AddBucketPut(prefix, bound, static_cast<uint64_t>(count), &batch);
        }
      });
  if (!balanced) {
    spdlog::error("keyspace: a sorted set's rank index bucket holds fewer members than counted");
    return;
  }
  if (batch.empty()) return;
  Status s = Apply(batch);
  if (!s.ok()) {
    spdlog::warn("keyspace: a sorted set's rank index was not rebalanced: {}", s.ToString());
    return;
  }
  const size_t old_buckets = index.bounds.size();
  index = std::move(next);
  collections_.IndexResized(entry, old_buckets, index.bounds.size());
}

bool Keyspace::RebalanceBuckets(const std::string& scan_prefix, const std::string& floor,
                                const std::map<size_t, int64_t>& touched, RankIndex* next,
                                const std::function<void(std::string_view, int64_t)>& changed) {
  for (auto it = touched.rbegin(); it != touched.rend(); ++it) {
    const size_t i = it->first;
    if (i >= next->bounds.size()) continue;
    const uint64_t count = next->counts[i];
    if (count > index_limits_.split_above) {
      // The member at offset count / 2 of the bucket starts its upper half.
      std::string seek = scan_prefix + next->bounds[i];
      if (floor > seek) seek = floor;
      std::string bound;
      if (i + 1 < next->bounds.size()) bound = scan_prefix + next->bounds[i + 1];
      std::unique_ptr<storage::Iterator> scan;
      if (!NewSubKeyIterator(scan_prefix, &scan, bound).ok()) return true;  // tried again later
      uint64_t offset = 0;
      for (scan->Seek(seek); scan->Valid() && offset < count / 2; scan->Next()) ++offset;
      if (!scan->status().ok()) return true;
      if (!scan->Valid() || offset != count / 2) return false;
      std::string split(scan->key().substr(scan_prefix.size()));
      next->bounds.insert(next->bounds.begin() + static_cast<ptrdiff_t>(i) + 1, std::move(split));
      next->counts.insert(next->counts.begin() + static_cast<ptrdiff_t>(i) + 1, count - count / 2);
      next->counts[i] = count / 2;
      changed(next->bounds[i], static_cast<int64_t>(next->counts[i]));
      changed(next->bounds[i + 1], static_cast<int64_t>(next->counts[i + 1]));
    } else if (count < index_limits_.merge_below && next->bounds.size() > 1) {
      // Into the bucket below, or (the lowest bucket) the one above into it.
      const size_t into = i > 0 ? i - 1 : 0;
      const size_t gone = i > 0 ? i : 1;
      if (next->counts[into] + next->counts[gone] > index_limits_.split_above) continue;
      next->counts[into] += next->counts[gone];
      changed(next->bounds[gone], -1);
      next->bounds.erase(next->bounds.begin() + static_cast<ptrdiff_t>(gone));
      next->counts.erase(next->counts.begin() + static_cast<ptrdiff_t>(gone));
      changed(next->bounds[into], static_cast<int64_t>(next->counts[into]));
    }
  }
  return true;
}

Status Keyspace::ElementsAt(const std::string& scan_prefix, const std::string& floor,
                            const RankIndex& index, const std::vector<uint64_t>& positions,
                            const std::function<void(std::string_view, std::string_view)>& fn) {
  if (positions.empty()) return Status::Ok();
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(scan_prefix, &it);
  if (!s.ok()) return s;
  size_t bucket = 0;
  uint64_t bucket_start = 0;  // the rank of the bucket's first member
  bool positioned = false;
  uint64_t at = 0;  // the rank of the iterator's member
  for (uint64_t p : positions) {
    if (!positioned || p >= bucket_start + index.counts[bucket]) {
      while (bucket + 1 < index.counts.size() && bucket_start + index.counts[bucket] <= p) {
        bucket_start += index.counts[bucket];
        ++bucket;
      }
      std::string seek = scan_prefix + index.bounds[bucket];
      if (floor > seek) seek = floor;
      it->Seek(seek);
      at = bucket_start;
      positioned = true;
    }
    for (; at < p && it->Valid(); ++at) it->Next();
    if (!it->Valid()) {
      if (!it->status().ok()) return it->status();
      spdlog::error("keyspace: a collection holds fewer members than its index counts");
      return Status::Corruption("collection index mismatch");
    }
    fn(it->key().substr(scan_prefix.size()), it->value());
  }
  return it->status();
}

Status Keyspace::RankOfPosition(int db, std::string_view key, const CompositeRef& zset,
                                const CollectionEntry& entry, std::string_view position,
                                uint64_t* rank) {
  const RankIndex& index = entry.index;
  const size_t bucket = index.BucketOf(position);
  uint64_t below = 0;
  for (size_t i = 0; i < bucket; ++i) below += index.counts[i];
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  std::string seek = prefix + kScoreTag + index.bounds[bucket];
  if (!entry.low.empty() && prefix + entry.low > seek) seek = prefix + entry.low;
  const std::string bound = prefix + kScoreTag + std::string(position);
  prefix.push_back(kScoreTag);
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(prefix, &it, bound);
  if (!s.ok()) return s;
  for (it->Seek(seek); it->Valid(); it->Next()) ++below;
  if (!it->status().ok()) return it->status();
  *rank = below;
  return Status::Ok();
}

Status Keyspace::ScoreIntervalRanks(int db, std::string_view key, const CompositeRef& zset,
                                    const ScoreBound& min, const ScoreBound& max, bool* indexed,
                                    uint64_t* low, uint64_t* high) {
  *indexed = false;
  *low = *high = 0;
  CollectionEntry* entry = nullptr;
  Status s = LoadRankIndex(db, key, zset, /*build=*/true, &entry);
  if (!s.ok() || !IndexLoaded(entry)) return s;
  *indexed = true;
  if (min.value > max.value || (min.value == max.value && (min.exclusive || max.exclusive))) {
    return Status::Ok();
  }
  // A position of 8 bytes (no member) sorts before every member of that ordered score, so the
  // members below the interval are those before `from`, those up to its top those before `to`
  // (no ordered score is UINT64_MAX: that would be a NaN).
  std::string ordered;
  AppendOrderedScore(min.value, &ordered);
  std::string from;
  PutBigEndian64(GetBigEndian64(ordered.data()) + (min.exclusive ? 1 : 0), &from);
  ordered.clear();
  AppendOrderedScore(max.value, &ordered);
  std::string to;
  PutBigEndian64(GetBigEndian64(ordered.data()) + (max.exclusive ? 0 : 1), &to);
  s = RankOfPosition(db, key, zset, *entry, from, low);
  if (s.ok()) s = RankOfPosition(db, key, zset, *entry, to, high);
  return s;
}

CollectionEntry* Keyspace::PopHints(int db, std::string_view key, const CompositeRef& zset) {
  return collections_.Find(PhysicalDb(db), key, zset.meta.version, /*create=*/false);
}

Status Keyspace::ForEachByScore(int db, std::string_view key, const CompositeRef& zset,
                                std::string_view from,
                                const std::function<bool(std::string_view, double)>& fn) {
  std::string seek(1, kScoreTag);
  seek.append(from.data(), from.size());
  // Past the deletion markers of earlier pops at either end (collection_cache.h).
  std::string upper;
  if (const CollectionEntry* hints = PopHints(db, key, zset)) {
    if (hints->low > seek) seek = hints->low;
    upper = hints->high;
  }
  bool malformed = false;
  Status s = ForEachElement(
      db, key, ValueType::kZSet, zset.meta,
      [&](std::string_view element, std::string_view value) {
        if (element.empty() || element[0] != kScoreTag) return false;
        double score = 0;
        if (element.size() < 1 + kScoreSize || !DecodeScoreValue(value, &score)) {
          malformed = true;
          return false;
        }
        return fn(element.substr(1 + kScoreSize), score);
      },
      seek, upper);
  if (!s.ok()) return s;
  return malformed ? Malformed() : Status::Ok();
}

Status Keyspace::ForEachByMember(int db, std::string_view key, const CompositeRef& zset,
                                 std::string_view from,
                                 const std::function<bool(std::string_view, double)>& fn) {
  std::string seek(1, kMemberTag);
  seek.append(from.data(), from.size());
  bool malformed = false;
  Status s = ForEachElement(
      db, key, ValueType::kZSet, zset.meta,
      [&](std::string_view element, std::string_view value) {
        if (element.empty() || element[0] != kMemberTag) return false;
        double score = 0;
        if (!DecodeScoreValue(value, &score)) {
          malformed = true;
          return false;
        }
        return fn(element.substr(1), score);
      },
      seek);
  if (!s.ok()) return s;
  return malformed ? Malformed() : Status::Ok();
}

Status Keyspace::ZSetWalk(int db, std::string_view key, const CompositeRef& zset,
                          const ZRangeSpec& spec,
                          const std::function<bool(std::string_view, double)>& fn) {
  const auto size = static_cast<int64_t>(zset.meta.size);
  switch (spec.by) {
    case ZRangeSpec::By::kRank: {
      int64_t start = spec.start, stop = spec.stop;
      if (!NormalizeRanks(size, &start, &stop)) return Status::Ok();
      if (spec.reverse) {
        const int64_t first = size - 1 - stop;
        stop = size - 1 - start;
        start = first;
      }
      CollectionEntry* entry = nullptr;
      Status s = LoadRankIndex(db, key, zset, /*build=*/true, &entry);
      if (!s.ok()) return s;
      std::string from;
      int64_t rank = 0;
      if (IndexLoaded(entry)) {
        // From the bucket that holds rank `start`.
        const RankIndex& index = entry->index;
        size_t bucket = 0;
        while (bucket + 1 < index.counts.size() &&
               rank + static_cast<int64_t>(index.counts[bucket]) <= start) {
          rank += static_cast<int64_t>(index.counts[bucket]);
          ++bucket;
        }
        from = index.bounds[bucket];
      }
      // The ranks read before `start`: from the lowest, or from the start of its bucket.
      if ((size - start) * kTailCostFactor < start - rank) {
        // Near the high end: from there rather than through every lower rank.
        std::vector<ScoredMember> tail;
        s = ZSetTail(db, key, zset, static_cast<uint64_t>(size - start), &tail);
        if (!s.ok()) return s;
        if (static_cast<int64_t>(tail.size()) != size - start) return Malformed();
        for (int64_t i = 0; i <= stop - start; ++i) {
          if (!fn(tail[static_cast<size_t>(i)].member, tail[static_cast<size_t>(i)].score)) break;
        }
        return Status::Ok();
      }
      bool stopped = false;
      s = ForEachByScore(db, key, zset, from, [&](std::string_view member, double score) {
        if (rank < start) {
          ++rank;
          return true;
        }
        if (!fn(member, score)) {
          stopped = true;
          return false;
        }
        return ++rank <= stop;
      });
      if (!s.ok()) return s;
      // The metadata promised members up to `stop`.
      return !stopped && rank <= stop ? Malformed() : Status::Ok();
    }
    case ZRangeSpec::By::kScore: {
      const ScoreBound& min = spec.score_min;
      const ScoreBound& max = spec.score_max;
      if (min.value > max.value || (min.value == max.value && (min.exclusive || max.exclusive))) {
        return Status::Ok();
      }
      std::string from;
      AppendOrderedScore(min.value, &from);
      return ForEachByScore(db, key, zset, from, [&](std::string_view member, double score) {
        if (!AboveMin(score, min)) return true;
        if (!BelowMax(score, max)) return false;
        return fn(member, score);
      });
    }
    case ZRangeSpec::By::kLex: {
      const LexBound& min = spec.lex_min;
      const LexBound& max = spec.lex_max;
      if (min.kind == LexBound::Kind::kPlusInfinity || max.kind == LexBound::Kind::kMinusInfinity) {
        return Status::Ok();
      }
      // Redis's lex ranges assume every score is equal: the interval starts at the first score's
      // entry for `min`.
      std::string from;
      if (min.kind != LexBound::Kind::kMinusInfinity) {
        bool any = false;
        double first = 0;
        Status s = ForEachByScore(db, key, zset, {}, [&](std::string_view, double score) {
          any = true;
          first = score;
          return false;
        });
        if (!s.ok() || !any) return s;
        AppendOrderedScore(first, &from);
        from.append(min.value);
      }
      return ForEachByScore(db, key, zset, from, [&](std::string_view member, double score) {
        if (!LexAboveMin(member, min)) return true;
        if (!LexBelowMax(member, max)) return false;
        return fn(member, score);
      });
    }
  }
  return Status::Ok();
}

Status Keyspace::ZSetTail(int db, std::string_view key, const CompositeRef& zset, uint64_t k,
                          std::vector<ScoredMember>* out) {
  if (k == 0) return Status::Ok();
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  // Nothing live at or above the high pop hint: the markers ZPOPMAX left there are not read.
  std::string bound;
  if (const CollectionEntry* hints = PopHints(db, key, zset); hints && !hints->high.empty()) {
    bound = prefix + hints->high;
  }
  prefix.push_back(kScoreTag);
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(prefix, &it, bound);
  if (!s.ok()) return s;
  std::string seek;
  // How many members have an ordered score of `from` or more, counting no further than `cap`.
  auto count_from = [&](uint64_t from, uint64_t cap) {
    seek = prefix;
    PutBigEndian64(from, &seek);
    uint64_t n = 0;
    for (it->Seek(seek); it->Valid() && n < cap && it->key().starts_with(prefix); it->Next()) ++n;
    return n;
  };
  // Invariant: at least k members from `low` on, fewer than k from `high` on (no stored ordered
  // score is UINT64_MAX: that would be a NaN).
  uint64_t low = 0, high = UINT64_MAX;
  while (high - low > 1) {
    const uint64_t mid = low + (high - low) / 2;
    if (count_from(mid, k) >= k) {
      low = mid;
    } else {
      high = mid;
    }
    if (!it->status().ok()) return it->status();
  }
  // Every member from `low` on: the boundary score's members and fewer than k above them.
  std::vector<ScoredMember> from_low;
  seek = prefix;
  PutBigEndian64(low, &seek);
  for (it->Seek(seek); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    double score = 0;
    const std::string_view sub = it->key().substr(prefix.size());
    if (sub.size() < kScoreSize || !DecodeScoreValue(it->value(), &score)) return Malformed();
    from_low.push_back({std::string(sub.substr(kScoreSize)), score});
  }
  if (!it->status().ok()) return it->status();
  const size_t skip = from_low.size() > k ? from_low.size() - k : 0;
  out->insert(out->end(), std::make_move_iterator(from_low.begin() + static_cast<ptrdiff_t>(skip)),
              std::make_move_iterator(from_low.end()));
  return Status::Ok();
}

Status Keyspace::ZSetSelect(int db, std::string_view key, const CompositeRef& zset,
                            const ZRangeSpec& spec, bool limit, std::vector<ScoredMember>* out) {
  const size_t first = out->size();
  const bool limited = limit && spec.by != ZRangeSpec::By::kRank;
  if (limited && spec.offset < 0) return Status::Ok();  // Redis skips everything
  if (limited && spec.count == 0) return Status::Ok();
  if (limited && spec.reverse && spec.by == ZRangeSpec::By::kScore) {
    // With a rank index: the interval's ranks, then LIMIT counted from its top, then one forward
    // walk of just those ranks (instead of reading the whole interval).
    uint64_t low = 0, high = 0;
    bool indexed = false;
    Status s =
        ScoreIntervalRanks(db, key, zset, spec.score_min, spec.score_max, &indexed, &low, &high);
    if (!s.ok()) return s;
    if (indexed) {
      const auto offset = static_cast<uint64_t>(spec.offset);
      if (high <= low || high - low <= offset) return Status::Ok();
      const uint64_t top = high - offset;  // one past the first rank listed
      const uint64_t bottom =
          spec.count < 0 ? low
                         : std::max(low, top - std::min(top, static_cast<uint64_t>(spec.count)));
      ZRangeSpec ranks;
      ranks.start = static_cast<int64_t>(bottom);
      ranks.stop = static_cast<int64_t>(top) - 1;
      s = ZSetWalk(db, key, zset, ranks, [&](std::string_view member, double score) {
        out->push_back({std::string(member), score});
        return true;
      });
      if (!s.ok()) {
        out->resize(first);
        return s;
      }
      std::reverse(out->begin() + static_cast<ptrdiff_t>(first), out->end());
      return Status::Ok();
    }
  }
  if (limited && !spec.reverse) {
    // Forward with a LIMIT: stops once `count` members are taken.
    int64_t skip = spec.offset;
    int64_t left = spec.count;
    return ZSetWalk(db, key, zset, spec, [&](std::string_view member, double score) {
      if (skip > 0) {
        --skip;
        return true;
      }
      out->push_back({std::string(member), score});
      return left < 0 || --left > 0;
    });
  }
  Status s = ZSetWalk(db, key, zset, spec, [&](std::string_view member, double score) {
    out->push_back({std::string(member), score});
    return true;
  });
  if (!s.ok()) {
    out->resize(first);
    return s;
  }
  if (spec.reverse) std::reverse(out->begin() + static_cast<ptrdiff_t>(first), out->end());
  if (limited) {
    const auto have = static_cast<int64_t>(out->size() - first);
    const int64_t begin = std::min(spec.offset, have);
    const int64_t end = spec.count < 0 ? have : std::min(have, begin + spec.count);
    out->erase(out->begin() + static_cast<ptrdiff_t>(first + static_cast<size_t>(end)), out->end());
    out->erase(out->begin() + static_cast<ptrdiff_t>(first),
               out->begin() + static_cast<ptrdiff_t>(first + static_cast<size_t>(begin)));
  }
  return Status::Ok();
}

// --- sorted-set operations ---

Status Keyspace::ZSetAdd(int db, std::string_view key,
                         const std::vector<std::pair<double, std::string_view>>& pairs,
                         const ZAddOptions& options, ZAddResult* result) {
  *result = ZAddResult();
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok()) return s;
  const bool existed = zset.exists;
  const uint64_t version_before = last_version_;
  TakeVersion(&zset);
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  // Each member's state as the pairs are applied in order; written once at the end.
  struct State {
    bool was_there = false;
    double old_score = 0;
    bool there = false;
    double score = 0;
  };
  std::unordered_map<std::string_view, State> states;
  std::vector<std::string_view> order;  // members in the order first named
  states.reserve(pairs.size());
  std::string sub, value;
  for (const auto& [given, member] : pairs) {
    auto it = states.find(member);
    if (it == states.end()) {
      State state;
      if (existed) {
        MakeMemberKey(prefix, member, &sub);
        s = db_->Get(sub, &value);
        if (!s.ok() && !s.IsNotFound()) {
          last_version_ = version_before;
          return s;
        }
        if (s.ok()) {
          if (!DecodeScoreValue(value, &state.old_score)) {
            last_version_ = version_before;
            return Malformed();
          }
          state.was_there = state.there = true;
          state.score = state.old_score;
        }
      }
      it = states.emplace(member, state).first;
      order.push_back(member);
    }
    State& state = it->second;
    double score = given;
    if (options.incr) {
      if (state.there) score += state.score;
      if (std::isnan(score)) {
        last_version_ = version_before;
        *result = ZAddResult();
        result->nan = true;
        return Status::Ok();
      }
    }
    if (state.there) {
      if (options.condition == SetCondition::kIfAbsent) continue;
      if ((options.gt && score <= state.score) || (options.lt && score >= state.score)) continue;
      if (score != state.score) {
        state.score = score;
        ++result->updated;
      }
    } else {
      if (options.condition == SetCondition::kIfPresent) continue;
      state.there = true;
      state.score = score;
      ++result->added;
    }
    result->incr_applied = true;
    result->incr_score = state.score;
  }
  CollectionEntry* index = nullptr;
  s = IndexForWrite(db, key, zset, &index);
  if (!s.ok()) {
    last_version_ = version_before;
    return s;
  }
  std::map<size_t, int64_t> deltas;
  storage::WriteBatch batch;
  uint64_t added = 0;
  std::vector<std::pair<double, std::string_view>> puts;
  for (std::string_view member : order) {
    const State& state = states[member];
    if (!state.there) continue;
    if (state.was_there) {
      if (state.score == state.old_score) continue;  // also -0 for 0: Redis keeps the old
      AddMemberDelete(prefix, member, state.old_score, &batch);
      NoteIndexChange(index, ScorePosition(state.old_score, member), -1, &deltas);
    } else {
      ++added;
    }
    AddMemberPut(prefix, member, state.score, &batch);
    NoteIndexChange(index, ScorePosition(state.score, member), 1, &deltas);
    puts.emplace_back(state.score, member);
    NoteZSetWrite(&zset, member);
  }
  if (batch.empty()) {
    last_version_ = version_before;
    return Status::Ok();
  }
  zset.meta.size += added;
  NoteZSetWrite(&zset, {});
  if (!AddIndexChanges(prefix, index, deltas, zset.meta.size, index_limits_.build_at / 2, &batch)) {
    last_version_ = version_before;
    return Malformed();
  }
  AddCompositeMeta(db, key, ValueType::kZSet, &zset, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) {
    *result = ZAddResult();
    return s;
  }
  if (CollectionEntry* hints = existed ? PopHints(db, key, zset) : nullptr) {
    // The pop hints widen to take in every score sub-key written.
    for (const auto& [score, member] : puts) {
      std::string element = ScoreElement(score, member);
      if (!hints->low.empty() && element < hints->low) hints->low = element;
      if (!hints->high.empty() && element >= hints->high) {
        hints->high = std::move(element);
        hints->high.push_back('\0');
      }
    }
  }
  zset.exists = true;
  AfterZSetWrite(db, key, zset, index, deltas);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ZSetRemove(int db, std::string_view key,
                            const std::vector<std::string_view>& members, int64_t* removed) {
  *removed = 0;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  CollectionEntry* index = nullptr;
  s = IndexForWrite(db, key, zset, &index);
  if (!s.ok()) return s;
  std::map<size_t, int64_t> deltas;
  std::unordered_set<std::string_view> seen;
  storage::WriteBatch batch;
  uint64_t n = 0;
  std::string sub, value;
  for (std::string_view member : members) {
    if (!seen.insert(member).second) continue;
    MakeMemberKey(prefix, member, &sub);
    s = db_->Get(sub, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    double score = 0;
    if (!DecodeScoreValue(value, &score)) return Malformed();
    AddMemberDelete(prefix, member, score, &batch);
    NoteIndexChange(index, ScorePosition(score, member), -1, &deltas);
    ++n;
  }
  if (n == 0) return Status::Ok();
  if (n > zset.meta.size) return Malformed();
  zset.meta.size -= n;
  if (!AddIndexChanges(prefix, index, deltas, zset.meta.size, index_limits_.build_at / 2, &batch)) {
    return Malformed();
  }
  AddCompositeMeta(db, key, ValueType::kZSet, &zset, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  AfterZSetWrite(db, key, zset, index, deltas);
  *removed = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ZSetCard(int db, std::string_view key, int64_t* size) {
  return CompositeSize(db, key, ValueType::kZSet, size);
}

Status Keyspace::ZSetScores(int db, std::string_view key,
                            const std::vector<std::string_view>& members,
                            std::vector<double>* scores, std::vector<bool>* found) {
  scores->assign(members.size(), 0);
  found->assign(members.size(), false);
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  std::string sub, value;
  for (size_t i = 0; i < members.size(); ++i) {
    MakeMemberKey(prefix, members[i], &sub);
    s = db_->Get(sub, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    if (!DecodeScoreValue(value, &(*scores)[i])) return Malformed();
    (*found)[i] = true;
  }
  return Status::Ok();
}

Status Keyspace::ZSetRank(int db, std::string_view key, std::string_view member, bool reverse,
                          int64_t* rank, double* score) {
  *rank = -1;
  std::vector<double> scores;
  std::vector<bool> found;
  Status s = ZSetScores(db, key, {member}, &scores, &found);
  if (!s.ok() || !found[0]) return s;
  CompositeRef zset;
  s = LoadZSet(db, key, &zset);
  if (!s.ok()) return s;
  *score = scores[0];
  const auto size = static_cast<int64_t>(zset.meta.size);
  CollectionEntry* entry = nullptr;
  s = LoadRankIndex(db, key, zset, /*build=*/true, &entry);
  if (!s.ok()) return s;
  if (IndexLoaded(entry)) {
    uint64_t below = 0;
    s = RankOfPosition(db, key, zset, *entry, ScorePosition(scores[0], member), &below);
    if (!s.ok()) return s;
    if (below >= zset.meta.size) return Malformed();
    *rank = reverse ? size - 1 - static_cast<int64_t>(below) : static_cast<int64_t>(below);
    return Status::Ok();
  }
  // Without an index (a small set), two walks at once: from the lowest score up to the member (its
  // rank) and from the member to the end (the members above it); the first to finish gives the
  // rank.
  std::string prefix, target;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  MakeScoreKey(prefix, scores[0], member, &target);
  prefix.push_back(kScoreTag);
  // Past the deletion markers pops left at either end (collection_cache.h).
  std::string from = prefix, high;
  if (const CollectionEntry* hints = PopHints(db, key, zset)) {
    if (!hints->low.empty()) from = prefix.substr(0, prefix.size() - 1) + hints->low;
    if (!hints->high.empty()) high = prefix.substr(0, prefix.size() - 1) + hints->high;
  }
  std::unique_ptr<storage::Iterator> up, down;
  s = NewSubKeyIterator(prefix, &up);
  if (s.ok()) s = NewSubKeyIterator(prefix, &down, high);
  if (!s.ok()) return s;
  up->Seek(from);
  down->Seek(target);
  if (!down->Valid() || down->key() != target) {
    return down->status().ok() ? Malformed() : down->status();
  }
  down->Next();
  int64_t below = 0, above = 0;
  for (;;) {
    if (!up->Valid() || !up->key().starts_with(prefix)) {
      return up->status().ok() ? Malformed() : up->status();
    }
    if (up->key() == target) break;
    ++below;
    up->Next();
    if (!down->Valid() || !down->key().starts_with(prefix)) {
      if (!down->status().ok()) return down->status();
      below = size - 1 - above;
      break;
    }
    ++above;
    down->Next();
  }
  if (below < 0 || below >= size) return Malformed();
  *rank = reverse ? size - 1 - below : below;
  return Status::Ok();
}

Status Keyspace::ZSetRange(int db, std::string_view key, const ZRangeSpec& spec,
                           std::vector<ScoredMember>* out) {
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  return ZSetSelect(db, key, zset, spec, true, out);
}

Status Keyspace::ZSetCount(int db, std::string_view key, const ZRangeSpec& spec, int64_t* count) {
  *count = 0;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  if (spec.by == ZRangeSpec::By::kScore) {
    uint64_t low = 0, high = 0;
    bool indexed = false;
    s = ScoreIntervalRanks(db, key, zset, spec.score_min, spec.score_max, &indexed, &low, &high);
    if (!s.ok()) return s;
    if (indexed) {
      *count = high > low ? static_cast<int64_t>(high - low) : 0;
      return Status::Ok();
    }
  }
  return ZSetWalk(db, key, zset, spec, [&](std::string_view, double) {
    ++*count;
    return true;
  });
}

Status Keyspace::ZSetRemoveRange(int db, std::string_view key, const ZRangeSpec& spec,
                                 int64_t* removed) {
  *removed = 0;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  storage::WriteBatch batch;
  std::vector<std::string> positions;
  s = ZSetWalk(db, key, zset, spec, [&](std::string_view member, double score) {
    AddMemberDelete(prefix, member, score, &batch);
    positions.push_back(ScorePosition(score, member));
    return true;
  });
  const uint64_t n = positions.size();
  if (!s.ok() || n == 0) return s;
  if (n > zset.meta.size) return Malformed();
  CollectionEntry* index = nullptr;
  s = IndexForWrite(db, key, zset, &index);
  if (!s.ok()) return s;
  std::map<size_t, int64_t> deltas;
  for (const std::string& position : positions) NoteIndexChange(index, position, -1, &deltas);
  zset.meta.size -= n;
  if (!AddIndexChanges(prefix, index, deltas, zset.meta.size, index_limits_.build_at / 2, &batch)) {
    return Malformed();
  }
  AddCompositeMeta(db, key, ValueType::kZSet, &zset, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  AfterZSetWrite(db, key, zset, index, deltas);
  *removed = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ZSetPop(int db, std::string_view key, bool max, uint64_t count,
                         std::vector<ScoredMember>* out, bool* found) {
  *found = false;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  *found = true;
  if (count == 0) return Status::Ok();
  const uint64_t n = std::min(count, zset.meta.size);
  ZRangeSpec spec;
  spec.reverse = max;
  spec.start = 0;
  spec.stop = static_cast<int64_t>(n) - 1;
  const size_t first = out->size();
  s = ZSetSelect(db, key, zset, spec, false, out);
  if (!s.ok()) return s;
  if (out->size() - first != n) {
    out->resize(first);
    return Malformed();
  }
  CollectionEntry* index = nullptr;
  s = IndexForWrite(db, key, zset, &index);
  if (!s.ok()) {
    out->resize(first);
    return s;
  }
  std::map<size_t, int64_t> deltas;
  storage::WriteBatch batch;
  std::string prefix;
  MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
  for (size_t i = first; i < out->size(); ++i) {
    AddMemberDelete(prefix, (*out)[i].member, (*out)[i].score, &batch);
    NoteIndexChange(index, ScorePosition((*out)[i].score, (*out)[i].member), -1, &deltas);
  }
  zset.meta.size -= n;
  if (!AddIndexChanges(prefix, index, deltas, zset.meta.size, index_limits_.build_at / 2, &batch)) {
    out->resize(first);
    return Malformed();
  }
  AddCompositeMeta(db, key, ValueType::kZSet, &zset, &batch);
  s = Apply(batch);
  if (!s.ok()) {
    out->resize(first);
    return s;
  }
  if (zset.meta.size > 0) {
    // What is left lies above (ZPOPMIN) or below (ZPOPMAX) the last member popped.
    CollectionEntry* hints =
        collections_.Find(PhysicalDb(db), key, zset.meta.version, /*create=*/true);
    std::string element = ScoreElement(out->back().score, out->back().member);
    (max ? hints->high : hints->low) = std::move(element);
  }
  AfterZSetWrite(db, key, zset, index, deltas);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ZSetRandomMembers(int db, std::string_view key, int64_t count,
                                   std::vector<ScoredMember>* out) {
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists || count == 0) return s;
  const uint64_t size = zset.meta.size;
  // The members at the sorted positions `positions` (repeats allowed), in one walk in member
  // order that stops after the last of them.
  CollectionEntry* entry = nullptr;
  s = LoadRankIndex(db, key, zset, /*build=*/true, &entry);
  if (!s.ok()) return s;
  auto members_at = [&](const std::vector<uint64_t>& positions, std::vector<ScoredMember>* at) {
    if (IndexLoaded(entry)) {
      // Positions in score order through the rank index: a seek per bucket touched.
      std::string prefix;
      MakeSubKeyPrefix(db, key, zset.meta.version, &prefix);
      std::string floor = prefix + kScoreTag;
      if (!entry->low.empty() && prefix + entry->low > floor) floor = prefix + entry->low;
      bool malformed = false;
      Status st =
          ElementsAt(prefix + kScoreTag, floor, entry->index, positions,
                     [&](std::string_view element, std::string_view value) {
                       double score = 0;
                       if (element.size() < kScoreSize || !DecodeScoreValue(value, &score)) {
                         malformed = true;
                         return;
                       }
                       at->push_back({std::string(element.substr(kScoreSize)), score});
                     });
      if (st.ok() && malformed) return Malformed();
      return st;
    }
    size_t next = 0;
    uint64_t index = 0;
    Status st = ForEachByMember(db, key, zset, {}, [&](std::string_view member, double score) {
      while (next < positions.size() && positions[next] == index) {
        at->push_back({std::string(member), score});
        ++next;
      }
      ++index;
      return next < positions.size();
    });
    if (st.ok() && next < positions.size()) return Malformed();
    return st;
  };
  if (count > 0) {
    const uint64_t n = std::min(static_cast<uint64_t>(count), size);
    std::vector<uint64_t> positions;
    if (n == size) {
      positions.resize(size);
      for (uint64_t i = 0; i < size; ++i) positions[i] = i;
    } else {
      positions = DistinctPositions(size, n);
    }
    const size_t first = out->size();
    s = members_at(positions, out);
    if (!s.ok()) return s;
    std::shuffle(out->begin() + static_cast<ptrdiff_t>(first), out->end(), random_);
    return Status::Ok();
  }
  // Repeats allowed: -count draws, each uniform over the whole set, in the order drawn.
  const uint64_t n = 0 - static_cast<uint64_t>(count);
  std::uniform_int_distribution<uint64_t> pick(0, size - 1);
  std::vector<uint64_t> drawn(n);
  for (uint64_t& d : drawn) d = pick(random_);
  std::vector<uint64_t> sorted = drawn;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::vector<ScoredMember> at;
  s = members_at(sorted, &at);
  if (!s.ok()) return s;
  out->reserve(out->size() + n);
  for (uint64_t d : drawn) {
    out->push_back(at[static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), d) -
                                          sorted.begin())]);
  }
  return Status::Ok();
}

Status Keyspace::ZSetReadInput(int db, std::string_view key, std::vector<ScoredMember>* out,
                               bool* exists) {
  *exists = false;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (IsWrongType(s)) {
    // A set is an input too, every member scoring 1.
    CompositeRef set;
    Status st = LoadSet(db, key, &set);
    if (!st.ok()) return st;
    *exists = set.exists;
    return ForEachElement(db, key, ValueType::kSet, set.meta,
                          [&](std::string_view member, std::string_view) {
                            out->push_back({std::string(member), 1.0});
                            return true;
                          });
  }
  if (!s.ok() || !zset.exists) return s;
  *exists = true;
  out->reserve(out->size() + std::min<uint64_t>(zset.meta.size, 1 << 20));
  return ForEachByMember(db, key, zset, {}, [&](std::string_view member, double score) {
    out->push_back({std::string(member), score});
    return true;
  });
}

Status Keyspace::ZSetScan(int db, std::string_view key, std::string_view after,
                          std::string_view prefix, size_t count, std::vector<ScoredMember>* out,
                          bool* complete, bool* compact) {
  *complete = *compact = true;
  CompositeRef zset;
  Status s = LoadZSet(db, key, &zset);
  if (!s.ok() || !zset.exists) return s;
  if (!zset.large) {
    return ForEachByMember(db, key, zset, {}, [&](std::string_view member, double score) {
      out->push_back({std::string(member), score});
      return true;
    });
  }
  *compact = false;
  const std::string_view from = after.empty() || after < prefix ? prefix : after;
  return ForEachByMember(db, key, zset, from, [&](std::string_view member, double score) {
    if (!after.empty() && member == after) return true;
    if (!member.starts_with(prefix)) return false;
    if (out->size() >= count) {
      *complete = false;
      return false;
    }
    out->push_back({std::string(member), score});
    return true;
  });
}

Status Keyspace::ZSetStore(int db, std::string_view destination,
                           const std::vector<ScoredMember>& members, uint64_t expire_ms) {
  CompositeRef zset;  // a new key, replacing whatever is there
  Status s = Lookup(db, destination, &zset.entry);
  if (!s.ok()) return s;
  if (members.empty() && !zset.entry.stored) return Status::Ok();
  const uint64_t version_before = last_version_;
  storage::WriteBatch batch;
  if (!members.empty()) {
    TakeVersion(&zset);
    std::string prefix;
    MakeSubKeyPrefix(db, destination, zset.meta.version, &prefix);
    zset.meta.size = members.size();
    for (const ScoredMember& m : members) {
      AddMemberPut(prefix, m.member, m.score, &batch);
      NoteZSetWrite(&zset, m.member);
    }
  }
  AddCompositeMeta(db, destination, ValueType::kZSet, &zset, &batch, expire_ms);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, destination);
  return Status::Ok();
}

}  // namespace shale::keyspace
