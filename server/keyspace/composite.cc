// What every composite type (list, hash, set, sorted set, stream) shares on the keyspace: a
// metadata record (version, size and the type's own fields: format.h) and one sub-key per element
// under the key's current version. Loading, writing the metadata, deleting in O(1), iterating and
// copying work the same for every type; the types' own files (lists.cc, hashes.cc, sets.cc,
// zsets.cc) build their commands on these.
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

Status Keyspace::AddDeleteOf(int db, std::string_view key, storage::WriteBatch* batch,
                             bool* removed) {
  *removed = false;
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::Ok();
  AddDelete(db, key, entry, batch);
  *removed = true;
  return Status::Ok();
}

Status Keyspace::LoadComposite(int db, std::string_view key, ValueType type, CompositeRef* ref) {
  ref->exists = false;
  ref->meta = CompositeMeta();
  Status s = Lookup(db, key, &ref->entry);
  if (!s.ok()) return s;
  if (!ref->entry.live) return Status::Ok();
  if (ref->entry.header.type != type) return WrongType();
  if (ref->entry.payload().empty() && ref->entry.header.expire_ms != 0) {
    // Shrunk to its header by the compaction filter, which found it expired by the system clock:
    // its elements may be gone, so it is absent (a clock that went back since cannot revive it).
    return Status::Ok();
  }
  if (!DecodeCompositeMeta(type, ref->entry.payload(), &ref->meta)) {
    spdlog::error("keyspace: malformed {} metadata of a key in database {}", TypeName(type), db);
    return Status::Corruption("malformed composite metadata");
  }
  ref->exists = true;
  ref->large = ref->entry.header.encoding == kLargeEncoding;
  return Status::Ok();
}

Status Keyspace::MemoryUsage(int db, std::string_view key, uint64_t samples, uint64_t* bytes,
                             bool* found) {
  *bytes = 0;
  *found = false;
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok() || !entry.live) return s;
  *found = true;
  std::string data_key;
  MakeDataKey(db, key, &data_key);
  uint64_t total = data_key.size() + entry.raw.size();
  if (entry.header.expire_ms != 0) {
    std::string index_key;
    MakeExpiryKey(db, entry.header.expire_ms, key, &index_key);
    total += index_key.size();
  }
  const ValueType type = entry.header.type;
  const bool collection = type == ValueType::kList || type == ValueType::kHash ||
                          type == ValueType::kSet || type == ValueType::kZSet;
  if (!collection || entry.payload().empty()) {
    *bytes = total;
    return Status::Ok();
  }
  CompositeMeta meta;
  if (!DecodeCompositeMeta(type, entry.payload(), &meta)) {
    return Status::Corruption("malformed composite metadata");
  }
  std::string prefix;
  MakeSubKeyPrefix(db, key, meta.version, &prefix);
  uint64_t read = 0;
  uint64_t element_bytes = 0;
  s = ForEachElement(db, key, type, meta, [&](std::string_view element, std::string_view value) {
    element_bytes += prefix.size() + element.size() + value.size();
    ++read;
    return samples == 0 || read < samples;
  });
  if (!s.ok()) return s;
  if (samples != 0 && read > 0 && meta.size > read) {
    // A sorted set has two records per member (by member, by score); the first ones read are
    // of the first kind.
    const uint64_t records = type == ValueType::kZSet ? 2 * meta.size : meta.size;
    element_bytes = element_bytes / read * records;
  }
  *bytes = total + element_bytes;
  return Status::Ok();
}

Status Keyspace::CompositeSize(int db, std::string_view key, ValueType type, int64_t* size) {
  *size = 0;
  CompositeRef ref;
  Status s = LoadComposite(db, key, type, &ref);
  if (s.ok()) *size = static_cast<int64_t>(ref.meta.size);
  return s;
}

void Keyspace::TakeVersion(CompositeRef* ref) {
  if (!ref->exists) ref->meta.version = ++last_version_;
}

void Keyspace::AddCompositeMeta(int db, std::string_view key, ValueType type, CompositeRef* ref,
                                storage::WriteBatch* batch, uint64_t new_expire_ms) {
  // An emptied stream stays (Redis keeps it); the other types are deleted when emptied.
  if (ref->meta.size == 0 && type != ValueType::kStream) {
    if (ref->entry.stored) AddDelete(db, key, ref->entry, batch);
    return;
  }
  std::string payload;
  EncodeCompositeMeta(type, ref->meta, &payload);
  const uint64_t expire_ms = ref->exists ? ref->entry.header.expire_ms : new_expire_ms;
  AddPut(db, key, payload, expire_ms, ref->entry, batch,
         ref->large ? kLargeEncoding : StringEncoding::kAuto, type);
  // The highest version handed out, summed over shards (it goes with the put before it).
  if (!ref->exists) batch->AddCounter(kVersionCounter, 1);
}

Status Keyspace::ApplyComposite(const storage::WriteBatch& batch, uint64_t version_before) {
  Status s = Apply(batch);
  if (!s.ok()) last_version_ = version_before;  // nothing of the batch was applied
  return s;
}

Status Keyspace::ForEachSubKey(int db, std::string_view key,
                               const std::function<bool(std::string_view, std::string_view)>& fn) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::NotFound();
  if (!IsCompositeType(entry.header.type)) return WrongType();
  CompositeMeta meta;
  if (!DecodeCompositeMeta(entry.header.type, entry.payload(), &meta)) {
    return Status::Corruption("malformed composite metadata");
  }
  return ForEachElement(db, key, entry.header.type, meta, fn);
}

Status Keyspace::NewSubKeyIterator(std::string_view prefix, std::unique_ptr<storage::Iterator>* it,
                                   std::string_view upper_bound) {
  storage::ReadOptions options;
  options.shard_key = std::string(prefix);
  options.upper_bound = PrefixSuccessor(prefix);
  if (!upper_bound.empty() && upper_bound < options.upper_bound) {
    options.upper_bound = std::string(upper_bound);
  }
  return db_->NewIterator(options, it);
}

Status Keyspace::ForEachElement(int db, std::string_view key, ValueType type,
                                const CompositeMeta& meta,
                                const std::function<bool(std::string_view, std::string_view)>& fn,
                                std::string_view from, std::string_view upper) {
  std::string prefix;
  MakeSubKeyPrefix(db, key, meta.version, &prefix);
  std::string seek = prefix;
  const bool list = type == ValueType::kList;
  if (list) {
    PutBigEndian64(meta.head, &seek);
  } else {
    seek.append(from.data(), from.size());
  }
  std::string bound;
  if (!list && !upper.empty()) {
    bound = prefix;
    bound.append(upper.data(), upper.size());
  }
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(prefix, &it, bound);
  if (!s.ok()) return s;
  for (it->Seek(seek); it->Valid(); it->Next()) {
    const std::string_view k = it->key();
    if (k.substr(0, prefix.size()) != prefix) break;
    const std::string_view element = k.substr(prefix.size());
    if (list && (element.size() != kListIndexSize || GetBigEndian64(element.data()) >= meta.tail)) {
      break;
    }
    if (!fn(element, it->value())) break;
  }
  return it->status();
}

Status Keyspace::AddCopyOfComposite(int from_db, std::string_view from, const Entry& source,
                                    int to_db, std::string_view to, const Entry& target,
                                    storage::WriteBatch* batch) {
  const ValueType type = source.header.type;
  CompositeMeta meta;
  if (!DecodeCompositeMeta(type, source.payload(), &meta)) {
    return Status::Corruption("malformed composite metadata");
  }
  CompositeRef copy;  // a new key, replacing `target`
  copy.entry = target;
  copy.meta = meta;
  copy.large = source.header.encoding == kLargeEncoding;
  TakeVersion(&copy);
  // Every element of the source's version, under the copy's: the element bytes (a list's index,
  // a field, a member) carry over unchanged, only the key and version in front of them change.
  uint64_t copied = 0;
  std::string prefix;
  MakeSubKeyPrefix(to_db, to, copy.meta.version, &prefix);
  std::string sub;
  Status s = ForEachElement(
      from_db, from, type, meta, [&](std::string_view element, std::string_view value) {
        sub = prefix;
        sub.append(element.data(), element.size());
        batch->Put(sub, value);
        // A sorted set's rank index buckets carry over too (they name
        // positions, not the key), but are not members.
        // A stream's groups, consumers and pending entries carry over too, but are not entries.
        if (type == ValueType::kStream) {
          if (!element.empty() && element[0] == kStreamEntryTag) ++copied;
        } else if (type != ValueType::kZSet || element.empty() || element[0] != kZSetBucketTag) {
          ++copied;
        }
        return true;
      });
  if (!s.ok()) return s;
  // A sorted set has two sub-keys per member (zsets.cc).
  const uint64_t expected = type == ValueType::kZSet ? 2 * meta.size : meta.size;
  if (copied != expected) {
    spdlog::error("keyspace: a {} of {} elements has {} stored", TypeName(type), meta.size, copied);
    return Status::Corruption("composite element missing");
  }
  AddCompositeMeta(to_db, to, type, &copy, batch, source.header.expire_ms);
  return Status::Ok();
}

}  // namespace shale::keyspace
