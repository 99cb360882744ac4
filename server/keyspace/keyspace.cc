#include "server/keyspace/keyspace.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <unordered_set>
#include <utility>

namespace shale::keyspace {

namespace {

uint64_t SystemNowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

constexpr std::string_view kFormatMarkerName = "keyspace-format";
constexpr std::string_view kDatabaseMapName = "db-map";

// The keyspace's compaction filter.
//
// Data keys: lets flushes and compactions shrink the value of a data key whose deadline has
// passed to its header: readers treat the key as absent already, and its payload is what takes
// the space. The header stays, so the key is still stored (counted by DBSIZE, as Redis counts an
// expired key) until lazy or active expiry deletes it through the write path, which keeps the
// counts exact.
//
// Sub-keys: drops the sub-key of a composite key unless the key's current metadata record (read
// from the Db, attached at Keyspace::Open) is a live composite value of the sub-key's version
// (and, for a list, the index lies in [head, tail)). Why that is safe: a version is never handed
// out twice (kVersionCounter), and a metadata record, once replaced or deleted, never comes back
// at the latest sequence; so a sub-key found dead is dead for every later reader. Older readers
// could only be snapshots and iterators opened before the metadata changed: the keyspace takes
// no snapshots and reads a key's sub-keys only within one command, on the one thread that also
// writes the metadata, so no reader that still sees the old version exists when the filter runs
// after the change. When the metadata cannot be read (no Db attached yet, a read error), the
// sub-key is kept.
class KeyspaceFilter final : public storage::CompactionFilter {
 public:
  void Attach(storage::Db* db) const { db_.store(db, std::memory_order_release); }

  Decision Filter(std::string_view key, std::string_view value,
                  std::string* new_value) const override {
    uint16_t group = 0;
    if (!storage::KeyGroup(key, &group)) return Decision::kKeep;
    if (group < kSubKeyGroupBase) return FilterData(value, new_value);
    if (group < kExpiryGroupBase) return FilterSubKey(key);
    return Decision::kKeep;
  }

 private:
  static Decision FilterData(std::string_view value, std::string* new_value) {
    ValueHeader header;
    if (!DecodeValueHeader(value, &header) || header.expire_ms == 0 ||
        header.expire_ms > SystemNowMs() || value.size() == header.size) {
      return Decision::kKeep;
    }
    new_value->assign(value.substr(0, header.size));
    return Decision::kChangeValue;
  }

  Decision FilterSubKey(std::string_view key) const {
    storage::Db* db = db_.load(std::memory_order_acquire);
    SubKey sub;
    if (db == nullptr || !DecodeSubKey(key, &sub)) return Decision::kKeep;
    std::string data_key;
    MakeDataKey(sub.db, sub.user_key, &data_key);
    std::string raw;
    Status s = db->Get(data_key, &raw);
    if (s.IsNotFound()) return Decision::kRemove;
    ValueHeader header;
    if (!s.ok() || !DecodeValueHeader(raw, &header)) return Decision::kKeep;
    if (!IsCompositeType(header.type)) return Decision::kRemove;
    CompositeMeta meta;
    if (!DecodeCompositeMeta(header.type, std::string_view(raw).substr(header.size), &meta)) {
      // Shrunk by FilterData: expired, so its elements are unreadable already.
      return header.expire_ms != 0 && raw.size() == header.size ? Decision::kRemove
                                                                : Decision::kKeep;
    }
    if (meta.version != sub.version) return Decision::kRemove;
    if (header.type == ValueType::kList && sub.element.size() == kListIndexSize) {
      const uint64_t index = GetBigEndian64(sub.element.data());
      if (index < meta.head || index >= meta.tail) return Decision::kRemove;
    }
    return Decision::kKeep;
  }

  mutable std::atomic<storage::Db*> db_{nullptr};
};

void MakeMarkerKey(std::string* dst) {
  storage::MakeGroupedKey(kMetaGroup, kFormatMarkerName, dst);
}

constexpr std::string_view kLibraryPrefix = "function:";

void MakeLibraryKey(std::string_view name, std::string* dst) {
  std::string suffix(kLibraryPrefix);
  suffix.append(name);
  storage::MakeGroupedKey(kMetaGroup, suffix, dst);
}

void MakeDatabaseMapKey(std::string* dst) {
  storage::MakeGroupedKey(kMetaGroup, kDatabaseMapName, dst);
}

void EncodeDatabaseMap(const std::vector<std::pair<int, int>>& map, std::string* dst) {
  dst->clear();
  storage::PutVarint32(dst, static_cast<uint32_t>(map.size()));
  for (const auto& [logical, physical] : map) {
    storage::PutVarint32(dst, static_cast<uint32_t>(logical));
    storage::PutVarint32(dst, static_cast<uint32_t>(physical));
  }
}

}  // namespace

Status WrongType() { return Status::InvalidArgument(std::string(kWrongTypeError)); }

bool IsWrongType(const Status& status) {
  return status.code() == Status::Code::kInvalidArgument && status.message() == kWrongTypeError;
}

std::string_view TypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kList:
      return "list";
    case ValueType::kHash:
      return "hash";
    case ValueType::kSet:
      return "set";
    case ValueType::kZSet:
      return "zset";
    case ValueType::kStream:
      return "stream";
  }
  return "none";
}

void Keyspace::ConfigureEngine(storage::Options* options) {
  options->router = RoutingKey;
  // One per engine, owned by its options; Keyspace::Open attaches the Db to it.
  options->compaction_filter = std::make_shared<KeyspaceFilter>();
}

Keyspace::Keyspace(storage::Db* db, int databases, std::vector<std::pair<int, int>> remapped)
    : db_(db),
      databases_(databases),
      clock_(SystemNowMs),
      expire_cursor_(static_cast<size_t>(databases), 0),
      physical_(static_cast<size_t>(databases)),
      remapped_(std::move(remapped)) {
  for (int d = 0; d < databases; ++d) physical_[static_cast<size_t>(d)] = static_cast<uint16_t>(d);
  for (const auto& [logical, physical] : remapped_) {
    if (logical < databases) {
      physical_[static_cast<size_t>(logical)] = static_cast<uint16_t>(physical);
    }
  }
}

bool Keyspace::DecodeDatabaseMap(std::string_view value, std::vector<std::pair<int, int>>* map) {
  map->clear();
  uint32_t n = 0;
  if (!storage::GetVarint32(&value, &n) || n > static_cast<uint32_t>(kMaxDatabases)) return false;
  std::vector<int> logicals;
  std::vector<int> physicals;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t logical = 0;
    uint32_t physical = 0;
    if (!storage::GetVarint32(&value, &logical) || !storage::GetVarint32(&value, &physical) ||
        logical >= static_cast<uint32_t>(kMaxDatabases) ||
        physical >= static_cast<uint32_t>(kMaxDatabases) || logical == physical) {
      return false;
    }
    map->emplace_back(static_cast<int>(logical), static_cast<int>(physical));
    logicals.push_back(static_cast<int>(logical));
    physicals.push_back(static_cast<int>(physical));
  }
  if (!value.empty()) return false;
  // A permutation: the same indexes on both sides, each once.
  std::sort(logicals.begin(), logicals.end());
  std::sort(physicals.begin(), physicals.end());
  return std::adjacent_find(logicals.begin(), logicals.end()) == logicals.end() &&
         logicals == physicals;
}

uint16_t Keyspace::PhysicalDb(int db) const {
  if (db < 0 || db >= databases_) return static_cast<uint16_t>(db);
  return physical_[static_cast<size_t>(db)];
}

Keyspace::~Keyspace() {
  if (const auto* filter = dynamic_cast<const KeyspaceFilter*>(db_->compaction_filter())) {
    filter->Attach(nullptr);
  }
}

Status Keyspace::Open(storage::Db* db, int databases, std::unique_ptr<Keyspace>* keyspace) {
  if (databases < 1 || databases > kMaxDatabases) {
    return Status::InvalidArgument("databases must be between 1 and " +
                                   std::to_string(kMaxDatabases));
  }
  std::string marker_key;
  MakeMarkerKey(&marker_key);
  std::string marker;
  Status s = db->Get(marker_key, &marker);
  if (s.IsNotFound()) {
    std::unique_ptr<storage::Iterator> it;
    s = db->NewIterator(&it);
    if (!s.ok()) return s;
    it->SeekToFirst();
    if (!it->status().ok()) return it->status();
    if (it->Valid()) {
      return Status::Corruption(
          "the data directory holds keys in keyspace format version 1 (values without a type "
          "byte), written by an earlier release; this build reads format version " +
          std::to_string(kFormatVersion) +
          " only: start it with the release that wrote it, or with an empty directory");
    }
    storage::WriteBatch batch;
    batch.Put(marker_key, std::to_string(kFormatVersion));
    s = db->Write(batch);
    // Durable before any key is written: data without the marker would read as format 1.
    if (s.ok()) s = db->SyncAll();
    if (!s.ok()) return s;
  } else if (!s.ok()) {
    return s;
  } else if (marker == std::to_string(kUpgradableFormatVersion)) {
    // Format 2 is format 3 with strings only: the marker is raised before anything new is
    // written.
    storage::WriteBatch batch;
    batch.Put(marker_key, std::to_string(kFormatVersion));
    s = db->Write(batch);
    if (s.ok()) s = db->SyncAll();
    if (!s.ok()) return s;
  } else if (marker != std::to_string(kFormatVersion)) {
    return Status::Corruption("the data directory holds keys in keyspace format version " + marker +
                              "; this build reads format version " +
                              std::to_string(kFormatVersion));
  }
  std::string map_key;
  MakeDatabaseMapKey(&map_key);
  std::string map_value;
  std::vector<std::pair<int, int>> remapped;
  s = db->Get(map_key, &map_value);
  if (s.ok()) {
    if (!DecodeDatabaseMap(map_value, &remapped)) {
      return Status::Corruption("malformed database map (SWAPDB) in the keyspace's meta group");
    }
  } else if (!s.IsNotFound()) {
    return s;
  }
  for (const auto& [counter, count] : db->Counters()) {
    if (count == 0 || counter >= keyspace::KeyCountCounter(kMaxDatabases)) continue;
    // The logical database stored in physical group `counter`.
    auto d = static_cast<int>(counter);
    for (const auto& [logical, physical] : remapped) {
      if (physical == d) {
        d = logical;
        break;
      }
    }
    if (d >= databases) {
      return Status::InvalidArgument("the data directory holds keys of database " +
                                     std::to_string(d) + " but databases is set to " +
                                     std::to_string(databases) + "; raise databases to at least " +
                                     std::to_string(d + 1));
    }
  }
  keyspace->reset(new Keyspace(db, databases, std::move(remapped)));
  (*keyspace)->last_version_ = static_cast<uint64_t>(db->Counter(kVersionCounter));
  if (const auto* filter = dynamic_cast<const KeyspaceFilter*>(db->compaction_filter())) {
    filter->Attach(db);
  }
  return Status::Ok();
}

// --- the liveness predicate ---

Status Keyspace::CheckDb(int db) const {
  if (db < 0 || db >= databases_) return Status::InvalidArgument("DB index is out of range");
  return Status::Ok();
}

Status Keyspace::Lookup(int db, std::string_view key, Entry* entry) {
  entry->stored = entry->live = false;
  Status s = CheckDb(db);
  if (!s.ok()) return s;
  MakeDataKey(db, key, &key_);
  s = db_->Get(key_, &entry->raw);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return s;
  if (!DecodeValueHeader(entry->raw, &entry->header)) {
    spdlog::error("keyspace: malformed value header of a key in database {}", db);
    return Status::Corruption("malformed value header");
  }
  entry->stored = true;
  entry->live = entry->header.expire_ms == 0 || entry->header.expire_ms > NowMs();
  if (!entry->live && DeleteExpired(db, key, *entry)) {
    // Deleted now: for the caller the key is gone, counts and index entry included.
    entry->stored = false;
    entry->header = ValueHeader();
  }
  return Status::Ok();
}

bool Keyspace::DeleteExpired(int db, std::string_view key, const Entry& entry) {
  // Stays invisible; deleted once writes work again, or the pause ends.
  if (expiry_paused_ || !db_->WriteState().ok()) return false;
  storage::WriteBatch batch;
  AddDelete(db, key, entry, &batch);
  const bool deleted = Apply(batch).ok();
  MakeDataKey(db, key, &key_);  // Lookup's callers rely on key_
  if (!deleted) return false;
  stats_.expired_keys++;
  if (observer_ != nullptr) observer_->KeyExpired(db, key);
  return true;
}

void Keyspace::AddDelete(int db, std::string_view key, const Entry& entry,
                         storage::WriteBatch* batch) {
  MakeDataKey(db, key, &key_);
  batch->Delete(key_);
  batch->AddCounter(KeyCountCounter(db), -1);
  if (entry.header.expire_ms != 0) {
    MakeExpiryKey(db, entry.header.expire_ms, key, &index_key_);
    batch->Delete(index_key_);
    batch->AddCounter(ExpiresCounter(db), -1);
    batch->AddCounter(DeadlineSumCounter(db), -DeadlineSeconds(entry.header.expire_ms));
  }
}

uint32_t Keyspace::WrittenSeconds() const {
  const uint64_t seconds = NowMs() / 1000;
  return seconds == 0 ? 1 : static_cast<uint32_t>(std::min<uint64_t>(seconds, UINT32_MAX));
}

void Keyspace::AddPut(int db, std::string_view key, std::string_view value, uint64_t expire_ms,
                      const Entry& old, storage::WriteBatch* batch, StringEncoding encoding,
                      ValueType type) {
  MakeDataKey(db, key, &key_);
  EncodeValueHeader(type, expire_ms, &header_, encoding, WrittenSeconds());
  batch->Put(key_, header_, value);
  if (!old.stored) batch->AddCounter(KeyCountCounter(db), 1);
  const uint64_t old_expire = old.stored ? old.header.expire_ms : 0;
  if (old_expire == expire_ms) return;
  if (old_expire != 0) {
    MakeExpiryKey(db, old_expire, key, &index_key_);
    batch->Delete(index_key_);
    if (expire_ms == 0) batch->AddCounter(ExpiresCounter(db), -1);
    batch->AddCounter(DeadlineSumCounter(db), -DeadlineSeconds(old_expire));
  }
  if (expire_ms != 0) {
    MakeExpiryKey(db, expire_ms, key, &index_key_);
    batch->Put(index_key_, {});
    if (old_expire == 0) batch->AddCounter(ExpiresCounter(db), 1);
    batch->AddCounter(DeadlineSumCounter(db), DeadlineSeconds(expire_ms));
  }
}

Status Keyspace::Apply(const storage::WriteBatch& batch) { return db_->Write(batch); }

Status Keyspace::PutLibrary(std::string_view name, std::string_view code) {
  std::string key;
  MakeLibraryKey(name, &key);
  storage::WriteBatch batch;
  batch.Put(key, code);
  return Apply(batch);
}

Status Keyspace::DeleteLibraries(const std::vector<std::string>& names) {
  if (names.empty()) return Status::Ok();
  storage::WriteBatch batch;
  std::string key;
  for (const std::string& name : names) {
    MakeLibraryKey(name, &key);
    batch.Delete(key);
  }
  return Apply(batch);
}

Status Keyspace::Libraries(std::vector<std::pair<std::string, std::string>>* libraries) {
  libraries->clear();
  std::string prefix;
  MakeLibraryKey("", &prefix);
  std::unique_ptr<storage::Iterator> it;
  Status s = db_->NewIterator(&it);
  if (!s.ok()) return s;
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    const std::string_view key = it->key();
    if (key.substr(0, prefix.size()) != prefix) break;
    libraries->emplace_back(std::string(key.substr(prefix.size())), std::string(it->value()));
  }
  return it->status();
}

void Keyspace::Modified(int db, std::string_view key) {
  if (observer_ != nullptr) observer_->KeyModified(db, key);
}

// --- strings ---

Status Keyspace::Get(int db, std::string_view key, std::string* value) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::NotFound();
  if (entry.header.type != ValueType::kString) return WrongType();
  value->assign(entry.payload());
  return Status::Ok();
}

Status Keyspace::Set(int db, std::string_view key, std::string_view value,
                     const SetOptions& options, SetResult* result) {
  result->applied = false;
  result->had_old = false;
  Entry old;
  Status s = Lookup(db, key, &old);
  if (!s.ok()) return s;
  if (options.get && old.live) {
    if (old.header.type != ValueType::kString) return WrongType();
    result->had_old = true;
    result->old_value.assign(old.payload());
  }
  if ((options.condition == SetCondition::kIfAbsent && old.live) ||
      (options.condition == SetCondition::kIfPresent && !old.live)) {
    return Status::Ok();
  }
  uint64_t expire_ms = options.expire_ms;
  if (options.keep_ttl && old.live) expire_ms = old.header.expire_ms;
  if (expire_ms != 0 && expire_ms <= NowMs()) {
    // A deadline already past: the key is written and expires at once, i.e. it goes.
    if (old.stored) {
      batch_.Clear();
      AddDelete(db, key, old, &batch_);
      s = Apply(batch_);
      if (!s.ok()) return s;
    }
    result->applied = true;
    Modified(db, key);
    return Status::Ok();
  }
  const uint64_t old_expire = old.stored ? old.header.expire_ms : 0;
  if (atomic_depth_ == 0 && expire_ms == old_expire && expire_ms == 0) {
    // The path of a plain SET: one put, encoded straight into the WAL buffer.
    MakeDataKey(db, key, &key_);
    EncodeValueHeader(ValueType::kString, 0, &header_, StringEncoding::kAuto, WrittenSeconds());
    const storage::CounterDelta added{KeyCountCounter(db), 1};
    s = db_->Put(key_, header_, value,
                 old.stored ? std::span<const storage::CounterDelta>()
                            : std::span<const storage::CounterDelta>(&added, 1));
  } else {
    batch_.Clear();
    AddPut(db, key, value, expire_ms, old, &batch_);
    s = Apply(batch_);
  }
  if (!s.ok()) return s;
  result->applied = true;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::MultiSet(int db,
                          const std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  bool applied = false;
  return MultiSetGeneric(db, pairs, false, &applied);
}

Status Keyspace::MultiSetIfNoneExist(
    int db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
    bool* applied) {
  return MultiSetGeneric(db, pairs, true, applied);
}

Status Keyspace::MultiSetGeneric(
    int db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
    bool if_none_exist, bool* applied) {
  *applied = false;
  // Every lookup first, so a failing read leaves nothing half applied. A key named again is
  // stored by then (its earlier put is in the batch), without a deadline.
  std::vector<Entry> old(pairs.size());
  std::unordered_set<std::string_view> named;
  named.reserve(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (!named.insert(pairs[i].first).second) {
      old[i].stored = true;
      continue;
    }
    Status s = Lookup(db, pairs[i].first, &old[i]);
    if (!s.ok()) return s;
    if (if_none_exist && old[i].live) return Status::Ok();
  }
  storage::WriteBatch batch;
  for (size_t i = 0; i < pairs.size(); ++i) {
    AddPut(db, pairs[i].first, pairs[i].second, 0, old[i], &batch);
  }
  Status s = Apply(batch);
  if (!s.ok()) return s;
  *applied = true;
  for (const auto& pair : pairs) Modified(db, pair.first);
  return Status::Ok();
}

Status Keyspace::GetDel(int db, std::string_view key, std::string* value) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::NotFound();
  if (entry.header.type != ValueType::kString) return WrongType();
  batch_.Clear();
  AddDelete(db, key, entry, &batch_);
  s = Apply(batch_);
  if (!s.ok()) return s;
  value->assign(entry.payload());
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::GetEx(int db, std::string_view key, const GetExOptions& options,
                       std::string* value) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::NotFound();
  if (entry.header.type != ValueType::kString) return WrongType();
  value->assign(entry.payload());
  using Action = GetExOptions::Action;
  if (options.action == Action::kKeep) return Status::Ok();
  if (options.action == Action::kPersist && entry.header.expire_ms == 0) return Status::Ok();
  batch_.Clear();
  if (options.action == Action::kSet && options.expire_ms <= NowMs()) {
    AddDelete(db, key, entry, &batch_);
  } else {
    const uint64_t expire = options.action == Action::kSet ? options.expire_ms : 0;
    AddPut(db, key, entry.payload(), expire, entry, &batch_, entry.header.encoding);
  }
  s = Apply(batch_);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::UpdateString(int db, std::string_view key, const StringUpdate& update) {
  return RewriteString(db, key, [&update](const std::string_view* old, StringWrite* write) {
    return update(old, &write->value);
  });
}

Status Keyspace::RewriteString(int db, std::string_view key, const StringRewrite& rewrite) {
  Entry old;
  Status s = Lookup(db, key, &old);
  if (!s.ok()) return s;
  if (old.live && old.header.type != ValueType::kString) return WrongType();
  const std::string_view old_value = old.live ? old.payload() : std::string_view();
  StringWrite write;
  if (!rewrite(old.live ? &old_value : nullptr, &write)) return Status::Ok();
  batch_.Clear();
  AddPut(db, key, write.value, old.live ? old.header.expire_ms : 0, old, &batch_, write.encoding);
  s = Apply(batch_);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::Inspect(int db, std::string_view key, std::string* value, ValueHeader* header) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::NotFound();
  value->assign(entry.payload());
  *header = entry.header;
  return Status::Ok();
}

// --- keys ---

Status Keyspace::Delete(int db, const std::vector<std::string_view>& keys, int64_t* removed) {
  *removed = 0;
  std::unordered_set<std::string_view> named;
  named.reserve(keys.size());
  storage::WriteBatch batch;
  std::vector<std::string_view> deleted;
  for (std::string_view key : keys) {
    if (!named.insert(key).second) continue;
    Entry entry;
    Status s = Lookup(db, key, &entry);
    if (!s.ok()) return s;
    if (!entry.live) continue;
    AddDelete(db, key, entry, &batch);
    deleted.push_back(key);
  }
  if (deleted.empty()) return Status::Ok();
  Status s = Apply(batch);
  if (!s.ok()) return s;
  *removed = static_cast<int64_t>(deleted.size());
  for (std::string_view key : deleted) Modified(db, key);
  return Status::Ok();
}

Status Keyspace::Exists(int db, const std::vector<std::string_view>& keys, int64_t* count) {
  *count = 0;
  for (std::string_view key : keys) {
    Entry entry;
    Status s = Lookup(db, key, &entry);
    if (!s.ok()) {
      *count = 0;
      return s;
    }
    if (entry.live) ++*count;
  }
  return Status::Ok();
}

Status Keyspace::Peek(int db, std::string_view key, KeyState* state) {
  *state = KeyState::kAbsent;
  Status s = CheckDb(db);
  if (!s.ok()) return s;
  MakeDataKey(db, key, &key_);
  std::string raw;
  s = db_->Get(key_, &raw);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return s;
  ValueHeader header;
  if (!DecodeValueHeader(raw, &header)) return Status::Corruption("malformed value header");
  *state =
      header.expire_ms == 0 || header.expire_ms > NowMs() ? KeyState::kLive : KeyState::kExpired;
  return Status::Ok();
}

Status Keyspace::Type(int db, std::string_view key, std::string_view* type) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  *type = entry.live ? TypeName(entry.header.type) : "none";
  return Status::Ok();
}

uint64_t Keyspace::KeyCount(int db) const {
  if (!CheckDb(db).ok()) return 0;
  const int64_t n = db_->Counter(KeyCountCounter(db));
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

uint64_t Keyspace::ExpiresCount(int db) const {
  if (!CheckDb(db).ok()) return 0;
  const int64_t n = db_->Counter(ExpiresCounter(db));
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

uint64_t Keyspace::AverageTtlMs(int db) const {
  const int64_t n = db_->Counter(ExpiresCounter(db));
  if (n <= 0) return 0;
  const int64_t mean_deadline_ms = db_->Counter(DeadlineSumCounter(db)) / n * 1000;
  const auto now = static_cast<int64_t>(NowMs());
  return mean_deadline_ms > now ? static_cast<uint64_t>(mean_deadline_ms - now) : 0;
}

void Keyspace::AddFlushOf(int db, storage::WriteBatch* batch) const {
  batch->DropGroup(PhysicalDb(db));
  batch->DropGroup(static_cast<uint16_t>(kSubKeyGroupBase + PhysicalDb(db)));
  batch->DropGroup(static_cast<uint16_t>(kExpiryGroupBase + PhysicalDb(db)));
  batch->SetCounter(KeyCountCounter(db), 0);
  batch->SetCounter(ExpiresCounter(db), 0);
  batch->SetCounter(DeadlineSumCounter(db), 0);
}

Status Keyspace::FlushDb(int db) {
  Status s = CheckDb(db);
  if (!s.ok()) return s;
  if (observer_ != nullptr) observer_->DatabaseFlushed(db);
  storage::WriteBatch batch;
  AddFlushOf(db, &batch);
  return Apply(batch);
}

Status Keyspace::FlushAll() {
  if (observer_ != nullptr) observer_->DatabaseFlushed(-1);
  storage::WriteBatch batch;
  for (int db = 0; db < databases_; ++db) AddFlushOf(db, &batch);
  return Apply(batch);
}

Status Keyspace::Scan(int db, std::string_view after, std::string_view prefix, size_t limit,
                      std::vector<std::string>* keys, bool* done) {
  *done = true;
  Status checked = CheckDb(db);
  if (!checked.ok()) return checked;
  // Start at the first user key that is > after and >= prefix.
  std::string start;
  if (!after.empty()) {
    start.assign(after.data(), after.size());
    start.push_back('\0');  // the smallest key greater than `after`
  }
  if (std::string_view(start) < prefix) start.assign(prefix.data(), prefix.size());
  std::string seek;
  MakeDataKey(db, start, &seek);
  std::string range;
  MakeDataKey(db, prefix, &range);
  storage::ReadOptions options;
  options.upper_bound = PrefixSuccessor(range);  // deleted keys past the prefix cost nothing
  std::unique_ptr<storage::Iterator> it;
  Status s = db_->NewIterator(options, &it);
  if (!s.ok()) return s;
  const uint64_t now = NowMs();
  size_t found = 0;
  for (it->Seek(seek); it->Valid(); it->Next()) {
    uint16_t group = 0;
    if (!storage::KeyGroup(it->key(), &group) || group != PhysicalDb(db)) break;
    const std::string_view user_key = it->key().substr(kGroupPrefix);
    if (user_key.substr(0, prefix.size()) != prefix) break;  // past the prefix range
    ValueHeader header;
    if (!DecodeValueHeader(it->value(), &header)) {
      return Status::Corruption("malformed value header");
    }
    if (header.expire_ms != 0 && header.expire_ms <= now) continue;
    if (found == limit) {
      *done = false;  // one more live key exists
      break;
    }
    keys->emplace_back(user_key);
    ++found;
  }
  return it->status();
}

Status Keyspace::Rename(int db, std::string_view from, std::string_view to, bool if_absent,
                        bool* applied) {
  *applied = false;
  Entry source;
  Status s = Lookup(db, from, &source);
  if (!s.ok()) return s;
  if (!source.live) return Status::NotFound();
  if (from == to) {
    *applied = !if_absent;
    return Status::Ok();
  }
  return Transfer(db, from, source, db, to, /*replace=*/!if_absent, /*move=*/true, applied);
}

Status Keyspace::AddCopyOf(int from_db, std::string_view from, const Entry& source, int to_db,
                           std::string_view to, const Entry& target, storage::WriteBatch* batch) {
  if (IsCompositeType(source.header.type)) {
    return AddCopyOfComposite(from_db, from, source, to_db, to, target, batch);
  }
  AddPut(to_db, to, source.payload(), source.header.expire_ms, target, batch,
         source.header.encoding);
  return Status::Ok();
}

Status Keyspace::Copy(int db, std::string_view from, int to_db, std::string_view to, bool replace,
                      bool* copied) {
  return CopyOrMove(db, from, to_db, to, replace, /*move=*/false, copied);
}

Status Keyspace::Move(int db, std::string_view key, int to_db, bool* moved) {
  return CopyOrMove(db, key, to_db, key, /*replace=*/false, /*move=*/true, moved);
}

Status Keyspace::CopyOrMove(int db, std::string_view from, int to_db, std::string_view to,
                            bool replace, bool move, bool* done) {
  *done = false;
  Status s = CheckDb(to_db);
  if (!s.ok()) return s;
  Entry source;
  s = Lookup(db, from, &source);
  if (!s.ok()) return s;
  if (!source.live) return Status::Ok();
  return Transfer(db, from, source, to_db, to, replace, move, done);
}

Status Keyspace::Transfer(int db, std::string_view from, const Entry& source, int to_db,
                          std::string_view to, bool replace, bool move, bool* done) {
  Entry target;
  Status s = Lookup(to_db, to, &target);
  if (!s.ok()) return s;
  if (target.live && !replace) return Status::Ok();
  // One batch: the put of `to` (replacing what it held) and, for a move, the delete of `from`,
  // which may live in different shards; the engine commits it atomically across them.
  storage::WriteBatch batch;
  const uint64_t version_before = last_version_;
  s = AddCopyOf(db, from, source, to_db, to, target, &batch);
  if (!s.ok()) return s;
  if (move) AddDelete(db, from, source, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  *done = true;
  if (move) Modified(db, from);
  Modified(to_db, to);
  return Status::Ok();
}

Status Keyspace::SwapDb(int a, int b) {
  Status s = CheckDb(a);
  if (s.ok()) s = CheckDb(b);
  if (!s.ok()) return s;
  if (a == b) return Status::Ok();
  // The new map: a is stored where b was and the other way round; identity entries drop out.
  const int physical_a = PhysicalDb(a);
  const int physical_b = PhysicalDb(b);
  std::vector<std::pair<int, int>> remapped;
  for (const auto& entry : remapped_) {
    if (entry.first != a && entry.first != b) remapped.push_back(entry);
  }
  if (physical_b != a) remapped.emplace_back(a, physical_b);
  if (physical_a != b) remapped.emplace_back(b, physical_a);
  std::sort(remapped.begin(), remapped.end());
  if (observer_ != nullptr) observer_->DatabasesSwapped(a, b);
  std::string map_key;
  MakeDatabaseMapKey(&map_key);
  std::string map_value;
  EncodeDatabaseMap(remapped, &map_value);
  storage::WriteBatch batch;
  batch.Put(map_key, map_value);
  s = Apply(batch);
  if (!s.ok()) return s;
  remapped_ = std::move(remapped);
  std::swap(physical_[static_cast<size_t>(a)], physical_[static_cast<size_t>(b)]);
  std::swap(expire_cursor_[static_cast<size_t>(a)], expire_cursor_[static_cast<size_t>(b)]);
  return Status::Ok();
}

Status Keyspace::RandomKey(int db, std::string* key) {
  Status s = CheckDb(db);
  if (!s.ok()) return s;
  // A small database: every live key is a candidate, chosen uniformly. A large one: one of the
  // first kWindow live keys at or after a random position (wrapping around once), so the answer
  // is a live key, or none after one pass at most (every key expired). The engine orders keys
  // without knowing how they spread, so in a large database some keys come up more often than
  // others.
  static constexpr size_t kUniformLimit = 1024;
  static constexpr size_t kWindow = 64;
  std::unique_ptr<storage::Iterator> it;
  s = db_->NewIterator(&it);
  if (!s.ok()) return s;
  const uint64_t now = NowMs();
  std::string seek;
  MakeDataKey(db, {}, &seek);
  const std::string group_start = seek;
  std::string position;
  const bool uniform = KeyCount(db) <= kUniformLimit;
  if (!uniform) {
    for (int i = 0; i < 8; ++i) {
      position.push_back(static_cast<char>(random_() & 0xff));
    }
    MakeDataKey(db, position, &seek);
  }
  std::vector<std::string> candidates;
  for (int pass = 0; pass < 2; ++pass) {
    for (it->Seek(pass == 0 ? seek : group_start); it->Valid(); it->Next()) {
      uint16_t group = 0;
      if (!storage::KeyGroup(it->key(), &group) || group != PhysicalDb(db)) break;
      const std::string_view user_key = it->key().substr(kGroupPrefix);
      if (pass == 1 && !uniform && user_key >= position) break;
      ValueHeader header;
      if (!DecodeValueHeader(it->value(), &header)) {
        return Status::Corruption("malformed value header");
      }
      if (header.expire_ms != 0 && header.expire_ms <= now) continue;
      candidates.emplace_back(user_key);
      if (!uniform && candidates.size() == kWindow) break;
    }
    if (!it->status().ok()) return it->status();
    if (uniform || candidates.size() == kWindow) break;
  }
  if (candidates.empty()) return Status::NotFound();
  *key = std::move(candidates[random_() % candidates.size()]);
  return Status::Ok();
}

// --- time to live ---

Status Keyspace::Ttl(int db, std::string_view key, int64_t* ms) {
  Status s = ExpireTime(db, key, ms);
  if (s.ok() && *ms >= 0) {
    const auto now = static_cast<int64_t>(NowMs());
    *ms = *ms > now ? *ms - now : 0;
  }
  return s;
}

Status Keyspace::ExpireTime(int db, std::string_view key, int64_t* ms) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) {
    *ms = -2;
  } else {
    *ms = entry.header.expire_ms == 0 ? -1 : static_cast<int64_t>(entry.header.expire_ms);
  }
  return Status::Ok();
}

Status Keyspace::SetExpire(int db, std::string_view key, int64_t deadline_ms,
                           ExpireCondition condition, bool* applied) {
  *applied = false;
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live) return Status::Ok();
  const uint64_t current = entry.header.expire_ms;  // 0 = none, i.e. an infinite TTL
  const auto wanted = static_cast<uint64_t>(deadline_ms);
  if (condition.if_none && current != 0) return Status::Ok();
  if (condition.if_some && current == 0) return Status::Ok();
  if (condition.if_greater && (current == 0 || deadline_ms <= static_cast<int64_t>(current))) {
    return Status::Ok();
  }
  if (condition.if_less && current != 0 && deadline_ms >= static_cast<int64_t>(current)) {
    return Status::Ok();
  }
  batch_.Clear();
  if (deadline_ms <= static_cast<int64_t>(NowMs())) {
    AddDelete(db, key, entry, &batch_);
  } else {
    AddPut(db, key, entry.payload(), wanted, entry, &batch_, entry.header.encoding,
           entry.header.type);
  }
  s = Apply(batch_);
  if (!s.ok()) return s;
  *applied = true;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::Persist(int db, std::string_view key, bool* applied) {
  *applied = false;
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  if (!entry.live || entry.header.expire_ms == 0) return Status::Ok();
  batch_.Clear();
  AddPut(db, key, entry.payload(), 0, entry, &batch_, entry.header.encoding, entry.header.type);
  s = Apply(batch_);
  if (!s.ok()) return s;
  *applied = true;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ExpireCycle(uint64_t budget_us, uint64_t* expired) {
  *expired = 0;
  if (!db_->WriteState().ok()) return Status::Ok();
  const auto started = std::chrono::steady_clock::now();
  auto spent_us = [&] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  };
  const uint64_t now = NowMs();
  // Every deadline below a database's cursor has been dealt with, and a new deadline is never
  // in the past (a past one deletes at once), so the scan starts there. Now and then it starts
  // from the beginning, in case the clock went back.
  if (stats_.expire_cycles % kFullExpiryScanInterval == 0) {
    std::fill(expire_cursor_.begin(), expire_cursor_.end(), 0);
  }
  Status result;
  for (int db = 0; db < databases_ && result.ok() && spent_us() < budget_us; ++db) {
    if (ExpiresCount(db) == 0) continue;
    // Only the deadlines due are read.
    storage::ReadOptions options;
    MakeExpiryKey(db, now + 1, {}, &options.upper_bound);
    std::unique_ptr<storage::Iterator> it;
    result = db_->NewIterator(options, &it);
    if (!result.ok()) break;
    std::string seek;
    MakeExpiryKey(db, expire_cursor_[static_cast<size_t>(db)], {}, &seek);
    it->Seek(seek);
    // In chunks: one batch of deletions each. The iterator reads the state of its creation, so
    // the deletions do not disturb it; they only touch entries it has passed.
    bool more = true;
    while (more && result.ok() && spent_us() < budget_us) {
      storage::WriteBatch batch;
      std::vector<std::string> expired_keys;
      for (size_t n = 0; n < kExpiryChunk; ++n, it->Next()) {
        uint16_t group = 0;
        const std::string_view k = it->Valid() ? it->key() : std::string_view();
        if (!it->Valid() || !storage::KeyGroup(k, &group) ||
            group != kExpiryGroupBase + PhysicalDb(db) || k.size() < kGroupPrefix + kDeadlineSize ||
            GetBigEndian64(k.data() + kGroupPrefix) > now) {
          more = false;
          break;
        }
        const uint64_t deadline = GetBigEndian64(k.data() + kGroupPrefix);
        const std::string_view key = k.substr(kGroupPrefix + kDeadlineSize);
        bool deleted = false;
        result = AddExpiryOf(db, deadline, key, &batch, &deleted);
        if (!result.ok()) break;
        if (deleted) expired_keys.emplace_back(key);
        expire_cursor_[static_cast<size_t>(db)] = deadline;
      }
      if (!result.ok()) break;
      result = it->status();
      if (!result.ok() || batch.empty()) break;
      result = Apply(batch);
      if (!result.ok()) break;
      *expired += expired_keys.size();
      stats_.expired_keys += expired_keys.size();
      if (observer_ != nullptr) {
        for (const std::string& key : expired_keys) observer_->KeyExpired(db, key);
      }
    }
  }
  stats_.expire_cycles++;
  stats_.expire_cycle_micros += spent_us();
  return result;
}

Status Keyspace::AddExpiryOf(int db, uint64_t deadline, std::string_view key,
                             storage::WriteBatch* batch, bool* deleted) {
  *deleted = false;
  Entry entry;
  MakeDataKey(db, key, &key_);
  Status s = db_->Get(key_, &entry.raw);
  if (!s.ok() && !s.IsNotFound()) return s;
  if (s.ok() && DecodeValueHeader(entry.raw, &entry.header) && entry.header.expire_ms == deadline) {
    entry.stored = true;
    AddDelete(db, key, entry, batch);
    *deleted = true;
    return Status::Ok();
  }
  // An index entry whose key changed its deadline or lost it: only the entry goes.
  MakeExpiryKey(db, deadline, key, &index_key_);
  batch->Delete(index_key_);
  return Status::Ok();
}

void Keyspace::BeginAtomic() {
  if (atomic_depth_++ == 0) db_->BeginAtomic();
}

Status Keyspace::EndAtomic() {
  if (--atomic_depth_ > 0) return Status::Ok();
  return db_->EndAtomic();
}

}  // namespace shale::keyspace
