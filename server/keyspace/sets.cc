// Sets on the keyspace (Redis 7.0's t_set.c semantics): a set is a metadata record (version and
// size: format.h) and one sub-key per member under the key's version, the member's bytes after the
// prefix and an empty value. A member test is one point read of its sub-key; SMEMBERS is one
// iteration, in member (byte) order. Unlike a list's, a removed member's sub-key is deleted in the
// command's batch: a point read must not find it. Every command's writes are one WriteBatch, atomic
// across shards for SMOVE and the STORE commands.
//
// Random members (SRANDMEMBER, SPOP): the chosen positions are drawn first (uniformly) and sorted.
// A set of ZSetIndexLimits::build_at members or more gets a positional index in memory
// (CollectionCache, the same counted buckets as a sorted set's rank index, over member order, not
// persisted): built by one walk of the set the first time it is asked for, then kept exact by
// every write of that version while it stays cached (SADD, SREM, SPOP, SMOVE), so a position is
// one seek to its bucket and O(bucket) reads, and SPOP or SRANDMEMBER of one member costs
// O(n / B + B) instead of O(n). Without it (a small set, or the first call after the key left the
// cache or a restart) the positions are read in one iteration that stops after the last of them:
// O(highest position) sub-keys read, at most the set's size.
//
// OBJECT ENCODING (CompositeRef::large): Redis 7.0 keeps a set as an intset while every member is
// a canonical int64 (string2ll) and there are at most set-max-intset-entries of them, and turns it
// into a hashtable for good as soon as a write breaks either rule. Writes decide it the same way
// here; SPOP's rebuild (see SetPop) and the STORE commands' new destination decide it afresh.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "protocol/numbers.h"
#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

namespace {

// Whether Redis 7.0 can keep `member` in an intset: the canonical decimal text of an int64.
bool IsIntsetMember(std::string_view member) {
  int64_t value = 0;
  return protocol::ParseInt64(member, &value);
}

Status MissingMember() {
  spdlog::error("keyspace: a set member is missing");
  return Status::Corruption("set member missing");
}

// Redis's SPOP_MOVE_STRATEGY_MUL: SPOP with a count rebuilds the set from the members left when
// they are at most a fifth of those popped.
constexpr uint64_t kPopRebuildFactor = 5;

}  // namespace

// --- set helpers ---

Status Keyspace::SetHas(std::string* sub_key, size_t prefix_size, std::string_view member,
                        bool* has) {
  *has = false;
  sub_key->resize(prefix_size);
  sub_key->append(member.data(), member.size());
  std::string value;
  Status s = db_->Get(*sub_key, &value);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return s;
  *has = true;
  return Status::Ok();
}

std::vector<uint64_t> Keyspace::DistinctPositions(uint64_t size, uint64_t n) {
  std::vector<uint64_t> positions;
  positions.reserve(n);
  if (n * 3 > size) {
    // Dense: a partial Fisher-Yates shuffle of every position.
    std::vector<uint64_t> all(size);
    std::iota(all.begin(), all.end(), uint64_t{0});
    for (uint64_t i = 0; i < n; ++i) {
      std::uniform_int_distribution<uint64_t> pick(i, size - 1);
      std::swap(all[i], all[pick(random_)]);
    }
    positions.assign(all.begin(), all.begin() + static_cast<ptrdiff_t>(n));
  } else {
    // Sparse: Floyd's algorithm, O(n) draws.
    std::unordered_set<uint64_t> chosen;
    chosen.reserve(n);
    for (uint64_t j = size - n; j < size; ++j) {
      std::uniform_int_distribution<uint64_t> pick(0, j);
      const uint64_t t = pick(random_);
      chosen.insert(chosen.count(t) == 0 ? t : j);
    }
    positions.assign(chosen.begin(), chosen.end());
  }
  std::sort(positions.begin(), positions.end());
  return positions;
}

Status Keyspace::SetIndexOf(int db, std::string_view key, const CompositeRef& set,
                            CollectionEntry** out) {
  *out = nullptr;
  if (set.meta.size < index_limits_.build_at) return Status::Ok();
  CollectionEntry* entry =
      collections_.Find(PhysicalDb(db), key, set.meta.version, /*create=*/true);
  if (entry->index_state != CollectionEntry::Index::kLoaded) {
    const uint64_t target = std::max<uint64_t>(index_limits_.target, 1);
    RankIndex index;
    index.bounds.emplace_back();
    index.counts.push_back(0);
    uint64_t n = 0;
    Status s = ForEachElement(db, key, ValueType::kSet, set.meta,
                              [&](std::string_view element, std::string_view) {
                                if (n > 0 && n % target == 0) {
                                  index.bounds.emplace_back(element);
                                  index.counts.push_back(0);
                                }
                                ++index.counts.back();
                                ++n;
                                return true;
                              });
    if (!s.ok()) return s;
    if (n != set.meta.size) return MissingMember();
    const size_t buckets = index.bounds.size();
    entry->index = std::move(index);
    entry->index_state = CollectionEntry::Index::kLoaded;
    collections_.IndexResized(entry, 0, buckets);
  }
  *out = entry;
  return Status::Ok();
}

void Keyspace::AfterSetWrite(int db, std::string_view key, const CompositeRef& set,
                             const std::vector<std::string_view>& added,
                             const std::vector<std::string_view>& removed) {
  if (set.meta.size == 0) {
    collections_.Drop(PhysicalDb(db), key);
    return;
  }
  CollectionEntry* entry =
      collections_.Find(PhysicalDb(db), key, set.meta.version, /*create=*/false);
  if (entry == nullptr || entry->index_state != CollectionEntry::Index::kLoaded) return;
  RankIndex& index = entry->index;
  if (set.meta.size < index_limits_.build_at / 2) {
    collections_.IndexResized(entry, index.bounds.size(), 0);
    entry->index = RankIndex();
    entry->index_state = CollectionEntry::Index::kUnknown;
    return;
  }
  std::map<size_t, int64_t> deltas;
  for (std::string_view member : added) ++deltas[index.BucketOf(member)];
  for (std::string_view member : removed) --deltas[index.BucketOf(member)];
  for (const auto& [bucket, delta] : deltas) {
    const int64_t count = static_cast<int64_t>(index.counts[bucket]) + delta;
    if (count < 0) {
      // Not what the set holds: forget it (the next random read builds it again).
      spdlog::error("keyspace: a set's positional index does not match its members");
      collections_.Drop(PhysicalDb(db), key);
      return;
    }
    index.counts[bucket] = static_cast<uint64_t>(count);
  }
  std::string prefix;
  MakeSubKeyPrefix(db, key, set.meta.version, &prefix);
  const size_t old_buckets = index.bounds.size();
  if (!RebalanceBuckets(prefix, prefix, deltas, &index, [](std::string_view, int64_t) {})) {
    spdlog::error("keyspace: a set's positional index does not match its members");
    collections_.Drop(PhysicalDb(db), key);
    return;
  }
  collections_.IndexResized(entry, old_buckets, index.bounds.size());
}

Status Keyspace::SetMembersAt(int db, std::string_view key, const CompositeRef& set,
                              const std::vector<uint64_t>& positions,
                              std::vector<std::string>* members, bool* rest_compact) {
  members->reserve(members->size() + positions.size());
  if (rest_compact == nullptr) {
    CollectionEntry* entry = nullptr;
    Status s = SetIndexOf(db, key, set, &entry);
    if (!s.ok()) return s;
    if (entry != nullptr) {
      std::string prefix;
      MakeSubKeyPrefix(db, key, set.meta.version, &prefix);
      return ElementsAt(
          prefix, prefix, entry->index, positions,
          [&](std::string_view element, std::string_view) { members->emplace_back(element); });
    }
  }
  const bool want_rest = rest_compact != nullptr;
  bool compact = true;
  size_t next = 0;
  uint64_t index = 0;
  Status s = ForEachElement(db, key, ValueType::kSet, set.meta,
                            [&](std::string_view element, std::string_view) {
                              bool chosen = false;
                              while (next < positions.size() && positions[next] == index) {
                                members->emplace_back(element);
                                ++next;
                                chosen = true;
                              }
                              if (!chosen && want_rest && !IsIntsetMember(element)) {
                                compact = false;
                              }
                              ++index;
                              return next < positions.size() || (want_rest && compact);
                            });
  if (!s.ok()) return s;
  if (next < positions.size()) return MissingMember();
  if (want_rest) *rest_compact = compact;
  return Status::Ok();
}

// --- set operations ---

Status Keyspace::SetAdd(int db, std::string_view key, const std::vector<std::string_view>& members,
                        int64_t* added) {
  *added = 0;
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok()) return s;
  const bool existed = set.exists;
  const uint64_t version_before = last_version_;
  TakeVersion(&set);
  std::string sub;
  MakeSubKeyPrefix(db, key, set.meta.version, &sub);
  const size_t prefix = sub.size();
  storage::WriteBatch batch;
  std::unordered_set<std::string_view> seen;  // a member named twice counts once
  const bool dedupe = members.size() > 1;
  if (dedupe) seen.reserve(members.size());
  uint64_t n = 0;
  std::vector<std::string_view> new_members;
  for (std::string_view member : members) {
    if (dedupe && !seen.insert(member).second) continue;
    if (existed) {
      bool has = false;
      s = SetHas(&sub, prefix, member, &has);
      if (!s.ok()) return s;
      if (has) continue;
    }
    sub.resize(prefix);
    sub.append(member.data(), member.size());
    batch.Put(sub, std::string_view());
    if (existed) new_members.push_back(member);
    ++n;
    if (!set.large && !IsIntsetMember(member)) set.large = true;
  }
  if (n == 0) {
    last_version_ = version_before;
    return Status::Ok();
  }
  set.meta.size += n;
  if (set.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.set_intset_entries, 0))) {
    set.large = true;
  }
  AddCompositeMeta(db, key, ValueType::kSet, &set, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  if (existed) AfterSetWrite(db, key, set, new_members, {});
  *added = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::SetRemove(int db, std::string_view key,
                           const std::vector<std::string_view>& members, int64_t* removed) {
  *removed = 0;
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists) return s;
  std::string sub;
  MakeSubKeyPrefix(db, key, set.meta.version, &sub);
  const size_t prefix = sub.size();
  storage::WriteBatch batch;
  std::unordered_set<std::string_view> seen;
  const bool dedupe = members.size() > 1;
  if (dedupe) seen.reserve(members.size());
  uint64_t n = 0;
  std::vector<std::string_view> gone;
  for (std::string_view member : members) {
    if (dedupe && !seen.insert(member).second) continue;
    bool has = false;
    s = SetHas(&sub, prefix, member, &has);
    if (!s.ok()) return s;
    if (!has) continue;
    batch.Delete(sub);
    gone.push_back(member);
    ++n;
  }
  if (n == 0) return Status::Ok();
  if (n > set.meta.size) return MissingMember();  // more members than the size says
  set.meta.size -= n;
  AddCompositeMeta(db, key, ValueType::kSet, &set, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  AfterSetWrite(db, key, set, {}, gone);
  *removed = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::SetCard(int db, std::string_view key, int64_t* size) {
  return CompositeSize(db, key, ValueType::kSet, size);
}

Status Keyspace::SetIsMember(int db, std::string_view key,
                             const std::vector<std::string_view>& members,
                             std::vector<bool>* found) {
  found->assign(members.size(), false);
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists) return s;
  std::string sub;
  MakeSubKeyPrefix(db, key, set.meta.version, &sub);
  const size_t prefix = sub.size();
  for (size_t i = 0; i < members.size(); ++i) {
    bool has = false;
    s = SetHas(&sub, prefix, members[i], &has);
    if (!s.ok()) return s;
    (*found)[i] = has;
  }
  return Status::Ok();
}

Status Keyspace::SetMembers(int db, std::string_view key, std::vector<std::string>* members) {
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists) return s;
  members->reserve(members->size() + std::min<uint64_t>(set.meta.size, 1 << 20));
  return ForEachElement(db, key, ValueType::kSet, set.meta,
                        [&](std::string_view element, std::string_view) {
                          members->emplace_back(element);
                          return true;
                        });
}

Status Keyspace::SetRandomMembers(int db, std::string_view key, int64_t count,
                                  std::vector<std::string>* members) {
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists || count == 0) return s;
  const uint64_t size = set.meta.size;
  if (count > 0) {
    const auto n = static_cast<uint64_t>(count);
    if (n >= size) return SetMembers(db, key, members);  // the whole set (Redis's CASE 2)
    const size_t first = members->size();
    s = SetMembersAt(db, key, set, DistinctPositions(size, n), members, nullptr);
    if (!s.ok()) return s;
    std::shuffle(members->begin() + static_cast<ptrdiff_t>(first), members->end(), random_);
    return Status::Ok();
  }
  // Repeats allowed: -count draws, each uniform over the whole set, in the order drawn.
  const uint64_t n = 0 - static_cast<uint64_t>(count);
  std::uniform_int_distribution<uint64_t> pick(0, size - 1);
  if (n >= size) {
    std::vector<std::string> all;
    s = SetMembers(db, key, &all);
    if (!s.ok()) return s;
    if (all.size() != size) return MissingMember();
    for (uint64_t i = 0; i < n; ++i) members->push_back(all[pick(random_)]);
    return Status::Ok();
  }
  std::vector<uint64_t> drawn(n);
  for (uint64_t& d : drawn) d = pick(random_);
  std::vector<uint64_t> sorted = drawn;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> at;
  s = SetMembersAt(db, key, set, sorted, &at, nullptr);
  if (!s.ok()) return s;
  members->reserve(members->size() + n);
  for (uint64_t d : drawn) {
    members->push_back(at[static_cast<size_t>(std::lower_bound(sorted.begin(), sorted.end(), d) -
                                              sorted.begin())]);
  }
  return Status::Ok();
}

Status Keyspace::SetPop(int db, std::string_view key, uint64_t count,
                        std::vector<std::string>* members, bool* found) {
  *found = false;
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists) return s;
  *found = true;
  if (count == 0) return Status::Ok();
  const uint64_t size = set.meta.size;
  const uint64_t n = std::min(count, size);
  const size_t first = members->size();
  storage::WriteBatch batch;
  if (n == size) {
    // The whole set: the key goes, its sub-keys with its version.
    s = SetMembers(db, key, members);
    if (!s.ok()) return s;
    set.meta.size = 0;
  } else {
    // Redis's SPOP case 3 builds a new set of the members left, which decides its encoding anew.
    const uint64_t remaining = size - n;
    const bool rebuild = remaining * kPopRebuildFactor <= n;
    bool rest_compact = true;
    s = SetMembersAt(db, key, set, DistinctPositions(size, n), members,
                     rebuild ? &rest_compact : nullptr);
    if (!s.ok()) {
      members->resize(first);
      return s;
    }
    std::string sub;
    MakeSubKeyPrefix(db, key, set.meta.version, &sub);
    const size_t prefix = sub.size();
    for (size_t i = first; i < members->size(); ++i) {
      sub.resize(prefix);
      sub.append((*members)[i]);
      batch.Delete(sub);
    }
    std::shuffle(members->begin() + static_cast<ptrdiff_t>(first), members->end(), random_);
    set.meta.size = remaining;
    if (rebuild) {
      set.large = !rest_compact || remaining > static_cast<uint64_t>(std::max<int64_t>(
                                                   limits_.set_intset_entries, 0));
    }
  }
  AddCompositeMeta(db, key, ValueType::kSet, &set, &batch);
  s = Apply(batch);
  if (!s.ok()) {
    members->resize(first);
    return s;
  }
  std::vector<std::string_view> gone(members->begin() + static_cast<ptrdiff_t>(first),
                                     members->end());
  AfterSetWrite(db, key, set, {}, gone);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::SetMove(int db, std::string_view source, std::string_view destination,
                         std::string_view member, bool* moved) {
  *moved = false;
  CompositeRef src;
  Status s = LoadSet(db, source, &src);
  if (!s.ok() || !src.exists) return s;
  const bool same = source == destination;
  CompositeRef dst;
  if (!same) {
    s = LoadSet(db, destination, &dst);
    if (!s.ok()) return s;
  }
  std::string src_sub;
  MakeSubKeyPrefix(db, source, src.meta.version, &src_sub);
  bool has = false;
  s = SetHas(&src_sub, src_sub.size(), member, &has);
  if (!s.ok()) return s;
  if (same || !has) {
    *moved = has;  // SMOVE of a key onto itself only reports membership
    return Status::Ok();
  }
  const uint64_t version_before = last_version_;
  bool dst_has = false;
  std::string dst_sub;
  if (dst.exists) {
    MakeSubKeyPrefix(db, destination, dst.meta.version, &dst_sub);
    s = SetHas(&dst_sub, dst_sub.size(), member, &dst_has);
    if (!s.ok()) return s;
  }
  if (src.meta.size == 0) return MissingMember();
  storage::WriteBatch batch;
  batch.Delete(src_sub);
  src.meta.size--;
  AddCompositeMeta(db, source, ValueType::kSet, &src, &batch);
  if (!dst_has) {
    TakeVersion(&dst);
    dst_sub.clear();
    MakeSubKeyPrefix(db, destination, dst.meta.version, &dst_sub);
    dst_sub.append(member.data(), member.size());
    batch.Put(dst_sub, std::string_view());
    dst.meta.size++;
    if (!IsIntsetMember(member) ||
        dst.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.set_intset_entries, 0))) {
      dst.large = true;
    }
    AddCompositeMeta(db, destination, ValueType::kSet, &dst, &batch);
  }
  const bool dst_existed = dst.exists;
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  AfterSetWrite(db, source, src, {}, {member});
  if (!dst_has && dst_existed) AfterSetWrite(db, destination, dst, {member}, {});
  *moved = true;
  Modified(db, source);
  if (!dst_has) Modified(db, destination);
  return Status::Ok();
}

Status Keyspace::SetCombine(int db, SetOperation operation,
                            const std::vector<std::string_view>& keys, uint64_t limit,
                            std::vector<std::string>* members) {
  // Every key is read and type-checked before anything is computed (Redis 7.0 does so too, also
  // when an absent key already decides an intersection).
  std::vector<CompositeRef> sets(keys.size());
  bool any_absent = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    Status s = LoadSet(db, keys[i], &sets[i]);
    if (!s.ok()) return s;
    if (!sets[i].exists) any_absent = true;
  }
  if (keys.empty()) return Status::Ok();
  if (operation == SetOperation::kUnion) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!sets[i].exists || std::find(keys.begin(), keys.begin() + static_cast<ptrdiff_t>(i),
                                       keys[i]) != keys.begin() + static_cast<ptrdiff_t>(i)) {
        continue;  // absent, or named before
      }
      Status s = ForEachElement(db, keys[i], ValueType::kSet, sets[i].meta,
                                [&](std::string_view element, std::string_view) {
                                  members->emplace_back(element);
                                  return true;
                                });
      if (!s.ok()) return s;
    }
    std::sort(members->begin(), members->end());
    members->erase(std::unique(members->begin(), members->end()), members->end());
    return Status::Ok();
  }
  if (operation == SetOperation::kIntersection) {
    if (any_absent) return Status::Ok();
    // The smallest set's members, each looked up in the others.
    size_t smallest = 0;
    for (size_t i = 1; i < keys.size(); ++i) {
      if (sets[i].meta.size < sets[smallest].meta.size) smallest = i;
    }
    std::vector<std::string> candidates;
    Status s = SetMembers(db, keys[smallest], &candidates);
    if (!s.ok()) return s;
    std::vector<std::string> prefixes;
    std::vector<std::string_view> others;  // each key once
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == keys[smallest]) continue;
      if (std::find(others.begin(), others.end(), keys[i]) != others.end()) continue;
      others.push_back(keys[i]);
      prefixes.emplace_back();
      MakeSubKeyPrefix(db, keys[i], sets[i].meta.version, &prefixes.back());
    }
    std::string sub;
    for (std::string& candidate : candidates) {
      bool in_all = true;
      for (const std::string& prefix : prefixes) {
        sub = prefix;
        s = SetHas(&sub, prefix.size(), candidate, &in_all);
        if (!s.ok()) return s;
        if (!in_all) break;
      }
      if (!in_all) continue;
      members->push_back(std::move(candidate));
      if (limit != 0 && members->size() >= limit) break;
    }
    return Status::Ok();
  }
  // Difference: the first set's members, minus those of every other set.
  if (!sets[0].exists) return Status::Ok();
  std::vector<std::string> result;
  Status s = SetMembers(db, keys[0], &result);
  if (!s.ok()) return s;
  std::vector<bool> gone(result.size(), false);
  size_t left = result.size();
  std::string sub;
  for (size_t i = 1; i < keys.size() && left > 0; ++i) {
    if (!sets[i].exists) continue;
    if (keys[i] == keys[0]) {
      left = 0;
      break;
    }
    MakeSubKeyPrefix(db, keys[i], sets[i].meta.version, &sub);
    const size_t prefix = sub.size();
    if (left * 8 < sets[i].meta.size) {
      // Few members left: a point read each.
      for (size_t j = 0; j < result.size(); ++j) {
        if (gone[j]) continue;
        bool has = false;
        s = SetHas(&sub, prefix, result[j], &has);
        if (!s.ok()) return s;
        if (has) {
          gone[j] = true;
          --left;
        }
      }
      continue;
    }
    // Otherwise a merge of the two ascending sequences, from the first member left.
    size_t j = 0;
    while (gone[j]) ++j;
    s = ForEachElement(
        db, keys[i], ValueType::kSet, sets[i].meta,
        [&](std::string_view element, std::string_view) {
          while (j < result.size() && (gone[j] || result[j] < element)) ++j;
          if (j == result.size()) return false;
          if (result[j] == element) {
            gone[j] = true;
            --left;
          }
          return true;
        },
        result[j]);
    if (!s.ok()) return s;
  }
  if (left == 0) return Status::Ok();
  members->reserve(members->size() + left);
  for (size_t j = 0; j < result.size(); ++j) {
    if (!gone[j]) members->push_back(std::move(result[j]));
  }
  return Status::Ok();
}

Status Keyspace::SetCombineStore(int db, SetOperation operation, std::string_view destination,
                                 const std::vector<std::string_view>& keys, int64_t* size) {
  *size = 0;
  std::vector<std::string> result;
  Status s = SetCombine(db, operation, keys, 0, &result);
  if (!s.ok()) return s;
  s = SetStore(db, destination, result);
  if (!s.ok()) return s;
  *size = static_cast<int64_t>(result.size());
  return Status::Ok();
}

Status Keyspace::SetStore(int db, std::string_view destination,
                          const std::vector<std::string>& members, uint64_t expire_ms) {
  CompositeRef dst;  // a new key, replacing whatever is there
  Status s = Lookup(db, destination, &dst.entry);
  if (!s.ok()) return s;
  if (members.empty() && !dst.entry.stored) return Status::Ok();
  const uint64_t version_before = last_version_;
  storage::WriteBatch batch;
  if (!members.empty()) {
    TakeVersion(&dst);
    std::string sub;
    MakeSubKeyPrefix(db, destination, dst.meta.version, &sub);
    const size_t prefix = sub.size();
    for (const std::string& member : members) {
      sub.resize(prefix);
      sub.append(member);
      batch.Put(sub, std::string_view());
      if (!dst.large && !IsIntsetMember(member)) dst.large = true;
    }
    dst.meta.size = members.size();
    if (dst.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.set_intset_entries, 0))) {
      dst.large = true;
    }
  }
  AddCompositeMeta(db, destination, ValueType::kSet, &dst, &batch, expire_ms);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, destination);
  return Status::Ok();
}

Status Keyspace::SetScan(int db, std::string_view key, std::string_view after,
                         std::string_view prefix, size_t count, std::vector<std::string>* members,
                         bool* complete, bool* compact) {
  *complete = *compact = true;
  CompositeRef set;
  Status s = LoadSet(db, key, &set);
  if (!s.ok() || !set.exists) return s;
  if (!set.large) return SetMembers(db, key, members);
  *compact = false;
  const std::string_view from = after.empty() || after < prefix ? prefix : after;
  return ForEachElement(
      db, key, ValueType::kSet, set.meta,
      [&](std::string_view element, std::string_view) {
        if (!after.empty() && element == after) return true;
        if (!element.starts_with(prefix)) return false;
        if (members->size() >= count) {
          *complete = false;
          return false;
        }
        members->emplace_back(element);
        return true;
      },
      from);
}

Status Keyspace::StoreList(int db, std::string_view destination,
                           const std::vector<std::string>& values, uint64_t expire_ms) {
  CompositeRef list;  // a new key, replacing whatever is there
  Status s = Lookup(db, destination, &list.entry);
  if (!s.ok()) return s;
  if (values.empty() && !list.entry.stored) return Status::Ok();
  const uint64_t version_before = last_version_;
  storage::WriteBatch batch;
  if (!values.empty()) {
    TakeVersion(&list);
    std::string sub;
    for (const std::string& value : values) {
      MakeListKey(db, destination, list.meta.version, list.meta.tail++, &sub);
      batch.Put(sub, value);
    }
    list.meta.size = values.size();
  }
  AddCompositeMeta(db, destination, ValueType::kList, &list, &batch, expire_ms);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, destination);
  return Status::Ok();
}

}  // namespace shale::keyspace
