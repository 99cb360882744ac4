#include "storage/memtable.h"

#include <cstring>
#include <string>

#include "storage/coding.h"

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

}  // namespace

int MemTable::EntryComparator::operator()(const char* a, const char* b) const {
  return CompareInternalKeys(EntryInternalKey(a), EntryInternalKey(b));
}

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
  char* buf = reservation.data;
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(key_size));
  std::memcpy(p, storage_key.data(), storage_key.size());
  p += storage_key.size();
  EncodeFixed64(p, PackTrailer(sequence, kind));
  p += kInternalKeyTrailerSize;
  p = EncodeVarint32(p, static_cast<uint32_t>(value_size));
  if (!value_prefix.empty()) std::memcpy(p, value_prefix.data(), value_prefix.size());
  p += value_prefix.size();
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  table_.Insert(reservation);
  index_.Insert(storage_key, buf);
  entries_.fetch_add(1, std::memory_order_relaxed);
}

bool MemTable::Get(std::string_view storage_key, Entry* entry, uint64_t snapshot) const {
  // The newest version, through the hash index; the skiplist only for an older one.
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

  Table::Iterator iter(&table_);
  iter.Seek(buf);
  if (!iter.Valid()) return false;
  const std::string_view internal_key = EntryInternalKey(iter.key());
  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  if (parsed.storage_key != storage_key) return false;
  entry->kind = parsed.kind;
  entry->sequence = parsed.sequence;
  entry->value = EntryValue(internal_key);
  return true;
}

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

}  // namespace shale::storage
