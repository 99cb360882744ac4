// Hashes on the keyspace (Redis's t_hash.c semantics): a hash is a metadata record (version and
// size: format.h) and one sub-key per field, `MakeSubKeyPrefix(key, version) + field`, whose
// value is the field's value. A point operation reads one sub-key per field (db_->Get); the whole
// hash is one iteration of its version's sub-keys, in field (byte) order. Every command's writes
// are one WriteBatch. A deleted field's sub-key is deleted; a deleted, overwritten or expired
// hash leaves its sub-keys to the compaction filter (keyspace.cc).
//
// OBJECT ENCODING: a hash is "listpack" until a write gives it more fields than
// hash-max-listpack-entries or writes a field or value longer than hash-max-listpack-value
// (Redis 7.0's hashTypeTryConversion and hashTypeSet), "hashtable" from then on (CompositeRef's
// `large`, sticky as Redis never converts back).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

namespace {

// The fields of one command seen so far, to count a field named twice once. A linear search
// while few (the usual HSET of a handful of fields allocates nothing more), a hash set beyond.
class FieldsSeen {
 public:
  // Whether `field` was seen before; remembers it.
  bool Seen(std::string_view field) {
    if (set_.empty()) {
      if (std::find(few_.begin(), few_.end(), field) != few_.end()) return true;
      if (few_.size() < kFew) {
        few_.push_back(field);
        return false;
      }
      set_.insert(few_.begin(), few_.end());
    }
    return !set_.insert(field).second;
  }

 private:
  static constexpr size_t kFew = 16;
  std::vector<std::string_view> few_;
  std::unordered_set<std::string_view> set_;
};

}  // namespace

void Keyspace::NoteHashWrite(CompositeRef* hash, std::string_view field,
                             std::string_view value) const {
  const auto limit = static_cast<uint64_t>(std::max<int64_t>(limits_.hash_value, 0));
  if (field.size() > limit || value.size() > limit) hash->large = true;
}

Status Keyspace::HashSet(int db, std::string_view key,
                         const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
                         bool only_new, int64_t* added) {
  *added = 0;
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok()) return s;
  const bool existed = hash.exists;
  const uint64_t version_before = last_version_;
  TakeVersion(&hash);
  storage::WriteBatch batch;
  std::string sub;
  std::string old;
  FieldsSeen seen;
  int64_t new_fields = 0;
  for (const auto& [field, value] : pairs) {
    MakeHashFieldKey(db, key, hash.meta.version, field, &sub);
    bool present = seen.Seen(field);
    if (!present && existed) {
      s = db_->Get(sub, &old);
      if (!s.ok() && !s.IsNotFound()) return s;
      present = s.ok();
    }
    if (!present) {
      ++new_fields;
    } else if (only_new) {
      continue;
    }
    NoteHashWrite(&hash, field, value);
    batch.Put(sub, value);
  }
  if (batch.empty()) {  // HSETNX of a field that is there
    last_version_ = version_before;
    return Status::Ok();
  }
  hash.meta.size += static_cast<uint64_t>(new_fields);
  if (hash.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.hash_entries, 0))) {
    hash.large = true;
  }
  AddCompositeMeta(db, key, ValueType::kHash, &hash, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  *added = new_fields;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::HashGet(int db, std::string_view key, std::string_view field, std::string* value) {
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok()) return s;
  if (!hash.exists) return Status::NotFound();
  std::string sub;
  MakeHashFieldKey(db, key, hash.meta.version, field, &sub);
  return db_->Get(sub, value);
}

Status Keyspace::HashMultiGet(int db, std::string_view key,
                              const std::vector<std::string_view>& fields,
                              std::vector<std::string>* values, std::vector<bool>* found) {
  values->assign(fields.size(), std::string());
  found->assign(fields.size(), false);
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok() || !hash.exists) return s;
  std::string sub;
  for (size_t i = 0; i < fields.size(); ++i) {
    MakeHashFieldKey(db, key, hash.meta.version, fields[i], &sub);
    s = db_->Get(sub, &(*values)[i]);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    (*found)[i] = true;
  }
  return Status::Ok();
}

Status Keyspace::HashDelete(int db, std::string_view key,
                            const std::vector<std::string_view>& fields, int64_t* removed) {
  *removed = 0;
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok() || !hash.exists) return s;
  storage::WriteBatch batch;
  std::string sub;
  std::string old;
  FieldsSeen seen;
  uint64_t n = 0;
  for (std::string_view field : fields) {
    if (seen.Seen(field)) continue;
    MakeHashFieldKey(db, key, hash.meta.version, field, &sub);
    s = db_->Get(sub, &old);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    batch.Delete(sub);
    ++n;
  }
  if (n == 0) return Status::Ok();
  hash.meta.size = n >= hash.meta.size ? 0 : hash.meta.size - n;
  AddCompositeMeta(db, key, ValueType::kHash, &hash, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  *removed = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::HashLength(int db, std::string_view key, int64_t* length) {
  return CompositeSize(db, key, ValueType::kHash, length);
}

Status Keyspace::HashEntries(int db, std::string_view key, bool fields, bool values,
                             std::vector<std::string>* out) {
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok() || !hash.exists) return s;
  out->reserve(out->size() + hash.meta.size * ((fields ? 1 : 0) + (values ? 1 : 0)));
  return ForEachElement(db, key, ValueType::kHash, hash.meta,
                        [&](std::string_view field, std::string_view value) {
                          if (fields) out->emplace_back(field);
                          if (values) out->emplace_back(value);
                          return true;
                        });
}

Status Keyspace::HashUpdate(int db, std::string_view key, std::string_view field,
                            const StringUpdate& update) {
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok()) return s;
  std::string sub;
  std::string old;
  bool present = false;
  if (hash.exists) {
    MakeHashFieldKey(db, key, hash.meta.version, field, &sub);
    s = db_->Get(sub, &old);
    if (!s.ok() && !s.IsNotFound()) return s;
    present = s.ok();
  }
  const std::string_view old_view(old);
  std::string value;
  if (!update(present ? &old_view : nullptr, &value)) return Status::Ok();
  const uint64_t version_before = last_version_;
  TakeVersion(&hash);
  MakeHashFieldKey(db, key, hash.meta.version, field, &sub);
  storage::WriteBatch batch;
  batch.Put(sub, value);
  NoteHashWrite(&hash, field, value);
  if (!present) {
    hash.meta.size++;
    if (hash.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.hash_entries, 0))) {
      hash.large = true;
    }
  }
  AddCompositeMeta(db, key, ValueType::kHash, &hash, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::HashRandomFields(int db, std::string_view key, uint64_t count, bool repeats,
                                  bool with_values, std::vector<std::string>* out, bool* found) {
  *found = false;
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok() || !hash.exists) return s;
  *found = true;
  const uint64_t size = hash.meta.size;
  if (count == 0 || size == 0) return Status::Ok();
  // The positions wanted, ascending (with repeats: a position drawn twice appears twice), so one
  // iteration collects them (and stops after the last).
  std::vector<uint64_t> positions;
  const bool all = !repeats && count >= size;
  if (repeats) {
    // Reserved up to a bound: a count of billions grows as it is drawn, as Redis's reply does.
    positions.reserve(std::min<uint64_t>(count, uint64_t{1} << 20));
    std::uniform_int_distribution<uint64_t> pick(0, size - 1);
    for (uint64_t i = 0; i < count; ++i) positions.push_back(pick(random_));
    std::sort(positions.begin(), positions.end());
  } else if (!all) {
    // Floyd's sampling: `count` distinct positions in O(count) draws.
    std::unordered_set<uint64_t> chosen;
    chosen.reserve(count);
    for (uint64_t j = size - count; j < size; ++j) {
      const uint64_t t = std::uniform_int_distribution<uint64_t>(0, j)(random_);
      if (!chosen.insert(t).second) chosen.insert(j);
    }
    positions.assign(chosen.begin(), chosen.end());
    std::sort(positions.begin(), positions.end());
  }
  const uint64_t wanted = all ? size : positions.size();
  std::vector<std::pair<std::string, std::string>> picked;
  picked.reserve(wanted);
  uint64_t position = 0;
  size_t next = 0;
  s = ForEachElement(db, key, ValueType::kHash, hash.meta,
                     [&](std::string_view field, std::string_view value) {
                       if (all) {
                         picked.emplace_back(field, with_values ? value : std::string_view());
                       } else {
                         while (next < positions.size() && positions[next] == position) {
                           picked.emplace_back(field, with_values ? value : std::string_view());
                           ++next;
                         }
                       }
                       ++position;
                       return all || next < positions.size();
                     });
  if (!s.ok()) return s;
  if (picked.size() != wanted) return Status::Corruption("hash field missing");
  std::shuffle(picked.begin(), picked.end(), random_);
  out->reserve(out->size() + picked.size() * (with_values ? 2 : 1));
  for (auto& [field, value] : picked) {
    out->push_back(std::move(field));
    if (with_values) out->push_back(std::move(value));
  }
  return Status::Ok();
}

Status Keyspace::HashScan(int db, std::string_view key, const std::string* after, size_t limit,
                          std::vector<std::string>* out, bool* done) {
  *done = true;
  CompositeRef hash;
  Status s = LoadHash(db, key, &hash);
  if (!s.ok() || !hash.exists) return s;
  const bool compact = !hash.large;
  size_t n = 0;
  return ForEachElement(
      db, key, ValueType::kHash, hash.meta,
      [&](std::string_view field, std::string_view value) {
        if (after != nullptr && field == *after) return true;  // the last one returned before
        if (!compact && n == limit) {
          *done = false;
          return false;
        }
        out->emplace_back(field);
        out->emplace_back(value);
        ++n;
        return true;
      },
      after != nullptr ? std::string_view(*after) : std::string_view());
}

Status Keyspace::HashStore(int db, std::string_view destination,
                           const std::vector<std::pair<std::string, std::string>>& pairs,
                           uint64_t expire_ms) {
  CompositeRef hash;  // a new key, replacing whatever is there
  Status s = Lookup(db, destination, &hash.entry);
  if (!s.ok()) return s;
  if (pairs.empty() && !hash.entry.stored) return Status::Ok();
  const uint64_t version_before = last_version_;
  storage::WriteBatch batch;
  if (!pairs.empty()) {
    TakeVersion(&hash);
    std::string sub;
    for (const auto& [field, value] : pairs) {
      MakeHashFieldKey(db, destination, hash.meta.version, field, &sub);
      batch.Put(sub, value);
      NoteHashWrite(&hash, field, value);
    }
    hash.meta.size = pairs.size();
    if (hash.meta.size > static_cast<uint64_t>(std::max<int64_t>(limits_.hash_entries, 0))) {
      hash.large = true;
    }
  }
  AddCompositeMeta(db, destination, ValueType::kHash, &hash, &batch, expire_ms);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, destination);
  return Status::Ok();
}

}  // namespace shale::keyspace
