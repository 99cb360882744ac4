#include "storage/table.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "storage/bloom.h"
#include "storage/coding.h"

namespace shale::storage {

namespace {

// A seek target as an internal key: a shorter target (not an internal key) is taken as a storage
// key and padded with the largest trailer, i.e. the first entry of that storage key.
std::string_view SeekTarget(std::string_view target, std::string* scratch) {
  if (target.size() >= kInternalKeyTrailerSize) return target;
  scratch->assign(target.data(), target.size());
  PutFixed64(scratch, ~uint64_t{0});
  return *scratch;
}

bool ValidKind(std::string_view internal_key) {
  const auto kind = static_cast<uint8_t>(internal_key[internal_key.size() - 8]);
  return kind == static_cast<uint8_t>(ValueKind::kDeletion) ||
         kind == static_cast<uint8_t>(ValueKind::kValue);
}

std::string Offset(uint64_t offset) { return " at offset " + std::to_string(offset); }

}  // namespace

// Two-level iteration: the in-memory index picks a data block, a block iterator walks it.
class Table::TableIterator final : public Iterator {
 public:
  explicit TableIterator(const Table* table) : table_(table) {}

  bool Valid() const override { return block_iter_ != nullptr && block_iter_->Valid(); }

  void SeekToFirst() override {
    status_ = Status::Ok();
    if (!LoadBlock(0)) return;
    block_iter_->SeekToFirst();
    SkipToValidEntry();
  }

  void Seek(std::string_view target) override {
    status_ = Status::Ok();
    std::string scratch;
    target = SeekTarget(target, &scratch);
    if (!LoadBlock(table_->FindBlock(target))) return;
    block_iter_->Seek(target);
    SkipToValidEntry();
  }

  void Next() override {
    block_iter_->Next();
    SkipToValidEntry();
  }

  std::string_view key() const override { return block_iter_->key(); }
  std::string_view value() const override { return block_iter_->value(); }
  Status status() const override { return status_; }

 private:
  // Positions on block `i`'s iterator (unpositioned); false at the end of the table or on error.
  bool LoadBlock(size_t i) {
    block_iter_.reset();
    block_index_ = i;
    if (i >= table_->index_.size()) return false;
    Block block;
    Status s = table_->ReadDataBlock(i, &block);
    if (!s.ok()) {
      status_ = s;
      return false;
    }
    block_iter_ = block.NewIterator();
    return true;
  }

  // Moves past exhausted blocks to the next entry; stops at an error.
  void SkipToValidEntry() {
    while (block_iter_ != nullptr) {
      if (block_iter_->Valid()) {
        if (ValidKind(block_iter_->key())) return;
        status_ = table_->BlockError(Status::Corruption("unknown value kind"),
                                     table_->index_[block_index_].handle.offset);
        block_iter_.reset();
        return;
      }
      if (!block_iter_->status().ok()) {
        status_ =
            table_->BlockError(block_iter_->status(), table_->index_[block_index_].handle.offset);
        block_iter_.reset();
        return;
      }
      if (!LoadBlock(block_index_ + 1)) return;
      block_iter_->SeekToFirst();
    }
  }

  const Table* const table_;
  size_t block_index_ = 0;
  std::unique_ptr<Iterator> block_iter_;  // null: not Valid()
  Status status_;
};

Table::Table(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
             BlockCache* cache)
    : path_(std::move(path)), file_(std::move(file)), file_size_(file_size), cache_(cache) {}

Table::~Table() = default;

Status Table::Corrupt(const std::string& what) const {
  Status s = Status::Corruption(path_ + ": " + what);
  spdlog::error("{}", s.ToString());
  return s;
}

Status Table::Logged(Status s) const {
  spdlog::error("{}", s.ToString());
  return s;
}

Status Table::BlockError(const Status& s, uint64_t offset) const {
  if (!s.IsCorruption()) return Logged(Status(s));
  return Corrupt("corrupt block" + Offset(offset) + ": " + s.message());
}

Status Table::Open(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                   BlockCache* cache, std::unique_ptr<Table>* table) {
  table->reset();
  std::unique_ptr<Table> t(new Table(std::move(path), std::move(file), file_size, cache));

  // Footer.
  if (file_size < kFooterSize) {
    return t->Corrupt("file too short to be an SSTable (" + std::to_string(file_size) + " bytes)");
  }
  const uint64_t footer_offset = file_size - kFooterSize;
  char footer_buf[kFooterSize];
  std::string_view footer_bytes;
  Status s = t->file_->Read(footer_offset, kFooterSize, footer_buf, &footer_bytes);
  if (!s.ok()) return t->Logged(s);
  if (footer_bytes.size() != kFooterSize) {
    return t->Corrupt("truncated footer" + Offset(footer_offset));
  }
  s = t->footer_.DecodeFrom(footer_bytes);
  if (!s.ok()) return t->Corrupt(s.message() + Offset(footer_offset));

  // The metadata blocks lie back to back between the data blocks and the footer, in order.
  const Footer& f = t->footer_;
  auto in_file = [&](const BlockHandle& h) {
    return h.size <= kMaxBlockSize && h.offset <= footer_offset &&
           h.size + kBlockTrailerSize <= footer_offset - h.offset;
  };
  if ((f.has_filter() && !in_file(f.filter)) || !in_file(f.index) || !in_file(f.properties) ||
      (f.has_filter() && f.filter.end() != f.index.offset) ||
      f.index.end() != f.properties.offset || f.properties.end() != footer_offset) {
    return t->Corrupt("footer block handles do not match the file layout" + Offset(footer_offset));
  }
  const uint64_t data_end = f.has_filter() ? f.filter.offset : f.index.offset;

  // Properties.
  std::string contents;
  s = ReadBlock(t->file_.get(), t->path_, file_size, f.properties, &contents);
  if (!s.ok()) return t->Logged(s);
  s = DecodeProperties(contents, &t->props_);
  if (!s.ok()) return t->Corrupt(s.message() + Offset(f.properties.offset));
  if (t->props_.format_version != f.format_version) {
    return t->Corrupt("properties and footer disagree on the format version" +
                      Offset(f.properties.offset));
  }

  // Index: every entry decoded and checked; the handles must tile [0, data_end) in order.
  s = ReadBlock(t->file_.get(), t->path_, file_size, f.index, &contents);
  if (!s.ok()) return t->Logged(s);
  {
    Block index_block;
    s = index_block.Init(std::make_shared<const std::string>(std::move(contents)));
    if (!s.ok()) return t->Corrupt("bad index block" + Offset(f.index.offset) + ": " + s.message());
    auto it = index_block.NewIterator();
    uint64_t expected_offset = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      IndexEntry entry;
      std::string_view value = it->value();
      if (!entry.handle.DecodeFrom(&value) || !value.empty()) {
        return t->Corrupt("bad block handle in index block" + Offset(f.index.offset));
      }
      if (entry.handle.offset != expected_offset || entry.handle.size > kMaxBlockSize ||
          entry.handle.size + kBlockTrailerSize > data_end - expected_offset) {
        return t->Corrupt("index entry " + std::to_string(t->index_.size()) +
                          " names a misplaced data block" + Offset(f.index.offset));
      }
      if (!t->index_.empty() && CompareInternalKeys(t->index_.back().separator, it->key()) >= 0) {
        return t->Corrupt("index keys out of order" + Offset(f.index.offset));
      }
      entry.separator.assign(it->key().data(), it->key().size());
      expected_offset = entry.handle.end();
      t->index_.push_back(std::move(entry));
    }
    if (!it->status().ok()) {
      return t->Corrupt("bad index block" + Offset(f.index.offset) + ": " + it->status().message());
    }
    if (expected_offset != data_end) {
      return t->Corrupt("index does not cover the data blocks" + Offset(f.index.offset));
    }
  }
  if (t->props_.num_data_blocks != t->index_.size()) {
    return t->Corrupt("properties count " + std::to_string(t->props_.num_data_blocks) +
                      " data blocks, the index " + std::to_string(t->index_.size()) +
                      Offset(f.properties.offset));
  }

  // Key range, for Get's range check.
  if (t->props_.num_entries > 0) {
    if (t->props_.smallest_key.size() < kInternalKeyTrailerSize ||
        t->props_.largest_key.size() < kInternalKeyTrailerSize ||
        CompareInternalKeys(t->props_.smallest_key, t->props_.largest_key) > 0) {
      return t->Corrupt("bad key range in properties" + Offset(f.properties.offset));
    }
    t->smallest_storage_key_ = InternalKeyStorageKey(t->props_.smallest_key);
    t->largest_storage_key_ = InternalKeyStorageKey(t->props_.largest_key);
  } else if (!t->index_.empty()) {
    return t->Corrupt("properties count no entries but the index has data blocks" +
                      Offset(f.properties.offset));
  }

  // Filter.
  if (f.has_filter()) {
    s = ReadBlock(t->file_.get(), t->path_, file_size, f.filter, &t->filter_);
    if (!s.ok()) return t->Logged(s);
  }

  if (cache != nullptr) t->cache_id_ = cache->NewId();
  *table = std::move(t);
  return Status::Ok();
}

size_t Table::FindBlock(std::string_view target) const {
  // index_ is sorted by separator; the first separator >= target.
  auto it = std::lower_bound(index_.begin(), index_.end(), target,
                             [](const IndexEntry& e, std::string_view t) {
                               return CompareInternalKeys(e.separator, t) < 0;
                             });
  return static_cast<size_t>(it - index_.begin());
}

Status Table::ReadDataBlock(size_t i, Block* block) const {
  const BlockHandle& handle = index_[i].handle;
  std::shared_ptr<const std::string> contents;
  if (cache_ != nullptr) contents = cache_->Lookup(cache_id_, handle.offset);
  const bool from_cache = contents != nullptr;
  if (!from_cache) {
    std::string data;
    Status s = ReadBlock(file_.get(), path_, file_size_, handle, &data);
    if (!s.ok()) return Logged(s);
    contents = std::make_shared<const std::string>(std::move(data));
  }
  Status s = block->Init(contents);
  if (!s.ok()) return BlockError(s, handle.offset);
  if (cache_ != nullptr && !from_cache) cache_->Insert(cache_id_, handle.offset, contents);
  return Status::Ok();
}

bool Table::MayContain(std::string_view storage_key) const {
  if (filter_.empty()) return true;
  return BloomFilterMayContain(filter_, storage_key);
}

Status Table::Get(std::string_view storage_key, uint64_t snapshot, bool* found, ValueKind* kind,
                  uint64_t* sequence, std::string* value) const {
  *found = false;
  if (index_.empty() || storage_key < smallest_storage_key_ || storage_key > largest_storage_key_) {
    return Status::Ok();
  }
  if (!MayContain(storage_key)) return Status::Ok();

  // The first entry of storage_key with sequence <= snapshot: kinds are < 0xff, so every such
  // entry's trailer is <= (snapshot << 8) | 0xff and every newer one's is greater.
  std::string target(storage_key);
  PutFixed64(&target, (std::min(snapshot, kMaxSequence) << 8) | 0xff);

  // That entry is in the first block whose separator is >= target or, when target falls after
  // that block's last key, first in the next one.
  for (size_t i = FindBlock(target); i < index_.size(); ++i) {
    Block block;
    Status s = ReadDataBlock(i, &block);
    if (!s.ok()) return s;
    auto it = block.NewIterator();
    it->Seek(target);
    if (it->Valid()) {
      if (!ValidKind(it->key())) {
        return BlockError(Status::Corruption("unknown value kind"), index_[i].handle.offset);
      }
      const ParsedInternalKey parsed = ParseInternalKey(it->key());
      if (parsed.storage_key != storage_key) return Status::Ok();
      *found = true;
      *kind = parsed.kind;
      *sequence = parsed.sequence;
      value->assign(it->value().data(), it->value().size());
      return Status::Ok();
    }
    if (!it->status().ok()) return BlockError(it->status(), index_[i].handle.offset);
  }
  return Status::Ok();
}

std::unique_ptr<Iterator> Table::NewIterator() const {
  return std::make_unique<TableIterator>(this);
}

Status Table::VerifyChecksums() const {
  // The footer and metadata blocks, as they are in the file now.
  const uint64_t footer_offset = file_size_ - kFooterSize;
  char footer_buf[kFooterSize];
  std::string_view footer_bytes;
  Status s = file_->Read(footer_offset, kFooterSize, footer_buf, &footer_bytes);
  if (!s.ok()) return Logged(s);
  Footer footer;
  if (footer_bytes.size() != kFooterSize) {
    return Corrupt("truncated footer" + Offset(footer_offset));
  }
  s = footer.DecodeFrom(footer_bytes);
  if (!s.ok()) return Corrupt(s.message() + Offset(footer_offset));
  if (!(footer.filter == footer_.filter && footer.index == footer_.index &&
        footer.properties == footer_.properties)) {
    return Corrupt("footer changed since the table was opened" + Offset(footer_offset));
  }
  std::string contents;
  for (const BlockHandle* h : {&footer_.filter, &footer_.index, &footer_.properties}) {
    if (h == &footer_.filter && !footer_.has_filter()) continue;
    s = ReadBlock(file_.get(), path_, file_size_, *h, &contents);
    if (!s.ok()) return Logged(s);
  }

  // Every data block: checksum, structure (Block::Verify), key order across blocks, known
  // kinds, and each key inside its block's index range.
  std::string previous_key;
  for (size_t i = 0; i < index_.size(); ++i) {
    const BlockHandle& handle = index_[i].handle;
    s = ReadBlock(file_.get(), path_, file_size_, handle, &contents);
    if (!s.ok()) return Logged(s);
    Block block;
    s = block.Init(std::make_shared<const std::string>(std::move(contents)));
    if (s.ok()) s = block.Verify();
    if (!s.ok()) return BlockError(s, handle.offset);
    auto it = block.NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string_view key = it->key();
      if (!ValidKind(key)) {
        return BlockError(Status::Corruption("unknown value kind"), handle.offset);
      }
      if (!previous_key.empty() && CompareInternalKeys(previous_key, key) >= 0) {
        return BlockError(Status::Corruption("keys out of order"), handle.offset);
      }
      if (CompareInternalKeys(key, index_[i].separator) > 0) {
        return BlockError(Status::Corruption("key beyond the block's index separator"),
                          handle.offset);
      }
      previous_key.assign(key.data(), key.size());
    }
    if (!it->status().ok()) return BlockError(it->status(), handle.offset);
  }
  return Status::Ok();
}

}  // namespace shale::storage
