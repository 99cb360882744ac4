#include "storage/memtable.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "storage/coding.h"
#include "storage/merging_iterator.h"

namespace shale::storage {

namespace {

// The length-prefixed internal key at the start of an arena entry. Entries were written by
// Add, so their varints are well-formed.
std::string_view EntryInternalKey(const char* entry) {
  std::string_view input(entry, kMaxVarint32Bytes);
  uint32_t len = 0;
  GetVarint32(&input, &len);
  return std::string_view(input.data(), len);
}

std::string_view EntryValue(std::string_view internal_key) {
  std::string_view input(internal_key.data() + internal_key.size(), kMaxVarint32Bytes);
  uint32_t len = 0;
  GetVarint32(&input, &len);
  return std::string_view(input.data(), len);
}

std::string_view EntryStorageKey(const char* entry) {
  const std::string_view internal_key = EntryInternalKey(entry);
  return internal_key.substr(0, internal_key.size() - kInternalKeyTrailerSize);
}

uint64_t EntrySequence(const char* entry) {
  return ParseInternalKey(EntryInternalKey(entry)).sequence;
}

// Encodes `internal_key` length-prefixed into `scratch` (or `small` when it fits), for seeking.
const char* EncodeLookupKey(std::string_view internal_key, char* small, size_t small_size,
                            std::string* scratch) {
  const size_t needed = kMaxVarint32Bytes + internal_key.size();
  char* buf = small;
  if (needed > small_size) {
    scratch->resize(needed);
    buf = scratch->data();
  }
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(internal_key.size()));
  std::memcpy(p, internal_key.data(), internal_key.size());
  return buf;
}

int CompareEntries(const char* a, const char* b) {
  return CompareInternalKeys(EntryInternalKey(a), EntryInternalKey(b));
}

bool EntryLess(const char* a, const char* b) { return CompareEntries(a, b) < 0; }

// An entry with the 8 bytes of its storage key after the batch's common prefix, big-endian and
// zero-padded: comparing two prefixes orders the keys as comparing the keys would, except when
// they are equal (then the entries decide), so a sort reads entries only to break ties.
struct SortKey {
  uint64_t prefix;
  const char* entry;
};

uint64_t PrefixAt(std::string_view key, size_t offset) {
  uint64_t prefix = 0;
  for (size_t i = 0; i < 8; ++i) {
    const size_t at = offset + i;
    const uint64_t byte = at < key.size() ? static_cast<unsigned char>(key[at]) : 0;
    prefix = (prefix << 8) | byte;
  }
  return prefix;
}

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  return CompareEntries(a, b);
}

class MemTable::RunIterator final : public Iterator {
 public:
  explicit RunIterator(std::shared_ptr<const Run> run) : run_(std::move(run)), at_(run_->size()) {}

  bool Valid() const override { return at_ < run_->size(); }
  void SeekToFirst() override { at_ = 0; }
  void Seek(std::string_view target) override {
    char small[128];
    const char* lookup = EncodeLookupKey(target, small, sizeof(small), &scratch_);
    at_ = static_cast<size_t>(std::lower_bound(run_->begin(), run_->end(), lookup, EntryLess) -
                              run_->begin());
  }
  void Next() override { ++at_; }
  std::string_view key() const override { return EntryInternalKey((*run_)[at_]); }
  std::string_view value() const override { return EntryValue(key()); }
  Status status() const override { return Status::Ok(); }

 private:
  const std::shared_ptr<const Run> run_;
  size_t at_;
  std::string scratch_;
};

class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void Seek(std::string_view target) override {
    char small[128];
    iter_.Seek(EncodeLookupKey(target, small, sizeof(small), &scratch_));
  }
  void Next() override { iter_.Next(); }
  std::string_view key() const override { return EntryInternalKey(iter_.key()); }
  std::string_view value() const override { return EntryValue(key()); }
  Status status() const override { return Status::Ok(); }

 private:
  Table::Iterator iter_;
  std::string scratch_;
};

MemTable::MemTable() : table_(EntryComparator(), &arena_), index_(EntryStorageKey, EntrySequence) {}

void MemTable::Add(uint64_t sequence, ValueKind kind, std::string_view storage_key,
                   std::string_view value_prefix, std::string_view value) {
  const size_t key_size = storage_key.size() + kInternalKeyTrailerSize;
  const size_t value_size = value_prefix.size() + value.size();
  const size_t encoded = static_cast<size_t>(VarintLength(key_size)) + key_size +
                         static_cast<size_t>(VarintLength(value_size)) + value_size;
  // The entry lives in its skiplist node's allocation (SkipList::Reserve).
  const Table::Reservation reservation = table_.Reserve(encoded);
  char* buf = reservation.data();
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(key_size));
  std::memcpy(p, storage_key.data(), storage_key.size());
  p += storage_key.size();
  EncodeFixed64(p, PackTrailer(sequence, kind));
  p += kInternalKeyTrailerSize;
  p = EncodeVarint32(p, static_cast<uint32_t>(value_size));
  if (!value_prefix.empty()) std::memcpy(p, value_prefix.data(), value_prefix.size());
  p += value_prefix.size();
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  index_.Insert(storage_key, buf);
  {
    MutexLock lock(&order_mu_);
    if (index_.usable()) {
      // Found by the index at once; ordered when something needs order.
      const size_t capacity = pending_.capacity();
      pending_.push_back(reservation);
      if (pending_.capacity() != capacity) UpdateOrderMemoryLocked();
    } else {
      table_.Insert(reservation);  // no index to find it by: it must be in order now
    }
  }
  entries_.fetch_add(1, std::memory_order_relaxed);
}

MemTable::Runs MemTable::Order() const {
  MutexLock lock(&order_mu_);
  if (pending_.empty()) return runs_;
  if (pending_.size() <= kLinkLimit) {
    for (const Table::Reservation& reservation : pending_) table_.Insert(reservation);
    pending_.clear();
  } else {
    AddRunLocked();
    std::vector<Table::Reservation>().swap(pending_);
  }
  UpdateOrderMemoryLocked();
  return runs_;
}

void MemTable::AddRunLocked() const {
  // The keys' common prefix: the sort keys start after it. Pending entries are in arrival
  // order, which is arena order, so these passes read memory nearly sequentially.
  const std::string_view first = EntryStorageKey(pending_.front().data());
  size_t common = first.size();
  std::vector<SortKey> keys;
  keys.reserve(pending_.size());
  for (const Table::Reservation& reservation : pending_) {
    const char* entry = reservation.data();
    const std::string_view key = EntryStorageKey(entry);
    const size_t limit = std::min(common, key.size());
    common = static_cast<size_t>(std::mismatch(first.begin(),
                                               first.begin() + static_cast<std::ptrdiff_t>(limit),
                                               key.begin())
                                     .first -
                                 first.begin());
    keys.push_back({0, entry});
  }
  for (SortKey& k : keys) k.prefix = PrefixAt(EntryStorageKey(k.entry), common);
  std::sort(keys.begin(), keys.end(), [](const SortKey& a, const SortKey& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return EntryLess(a.entry, b.entry);
  });
  auto run = std::make_shared<Run>();
  run->reserve(keys.size());
  for (const SortKey& k : keys) run->push_back(k.entry);
  runs_.push_back(std::move(run));
  // Merge while the newest run is at least half the size of the one before it.
  while (runs_.size() >= 2 &&
         runs_[runs_.size() - 1]->size() * 2 >= runs_[runs_.size() - 2]->size()) {
    const Run& older = *runs_[runs_.size() - 2];
    const Run& newer = *runs_[runs_.size() - 1];
    auto merged = std::make_shared<Run>();
    merged->reserve(older.size() + newer.size());
    std::merge(older.begin(), older.end(), newer.begin(), newer.end(), std::back_inserter(*merged),
               EntryLess);
    runs_.pop_back();
    runs_.back() = std::move(merged);
  }
}

void MemTable::UpdateOrderMemoryLocked() const {
  size_t bytes = pending_.capacity() * sizeof(Table::Reservation);
  for (const auto& run : runs_) bytes += run->capacity() * sizeof(const char*);
  order_memory_.store(bytes, std::memory_order_relaxed);
}

size_t MemTable::pending_entries() const {
  MutexLock lock(&order_mu_);
  return pending_.size();
}

size_t MemTable::runs() const {
  MutexLock lock(&order_mu_);
  return runs_.size();
}

bool MemTable::Get(std::string_view storage_key, Entry* entry, uint64_t snapshot) const {
  // The newest version, through the hash index; the ordered entries only for an older one.
  if (index_.usable()) {
    const char* newest = index_.Find(storage_key);
    if (newest == nullptr) return false;
    const std::string_view newest_key = EntryInternalKey(newest);
    const ParsedInternalKey newest_parsed = ParseInternalKey(newest_key);
    if (newest_parsed.sequence <= snapshot) {
      entry->kind = newest_parsed.kind;
      entry->sequence = newest_parsed.sequence;
      entry->value = EntryValue(newest_key);
      return true;
    }
  }
  const Runs runs = Order();
  // The lookup key sorts before every version of storage_key newer than the snapshot.
  char small[256];
  std::string scratch;
  const size_t key_size = storage_key.size() + kInternalKeyTrailerSize;
  const size_t needed = kMaxVarint32Bytes + key_size;
  char* buf = small;
  if (needed > sizeof(small)) {
    scratch.resize(needed);
    buf = scratch.data();
  }
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(key_size));
  std::memcpy(p, storage_key.data(), storage_key.size());
  EncodeFixed64(p + storage_key.size(), PackTrailer(snapshot, ValueKind::kValue));

  // The first entry at or after the lookup key, over the skiplist and every run.
  const char* found = nullptr;
  Table::Iterator iter(&table_);
  iter.Seek(buf);
  if (iter.Valid()) found = iter.key();
  for (const auto& run : runs) {
    const auto at = std::lower_bound(run->begin(), run->end(), buf, EntryLess);
    if (at != run->end() && (found == nullptr || EntryLess(*at, found))) found = *at;
  }
  if (found == nullptr) return false;
  const std::string_view internal_key = EntryInternalKey(found);
  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  if (parsed.storage_key != storage_key) return false;
  entry->kind = parsed.kind;
  entry->sequence = parsed.sequence;
  entry->value = EntryValue(internal_key);
  return true;
}

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  const Runs runs = Order();
  if (runs.empty()) return std::make_unique<MemTableIterator>(&table_);
  std::vector<std::unique_ptr<Iterator>> children;
  children.reserve(runs.size() + 1);
  children.push_back(std::make_unique<MemTableIterator>(&table_));
  for (const auto& run : runs) children.push_back(std::make_unique<RunIterator>(run));
  return NewMergingIterator(std::move(children));
}

}  // namespace shale::storage
