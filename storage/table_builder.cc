#include "storage/table_builder.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <utility>

#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::storage {

namespace {

// A short internal key S with a <= S < b, for the index entry between two data blocks whose
// last and first keys are a < b. When the storage keys differ at some byte that can be
// incremented while staying below b's, S is a's storage key cut after that byte, the byte
// incremented, followed by the largest trailer (the first internal key of that storage key);
// otherwise S = a.
std::string IndexSeparator(std::string_view a, std::string_view b) {
  const std::string_view sa = InternalKeyStorageKey(a);
  const std::string_view sb = InternalKeyStorageKey(b);
  const size_t limit = std::min(sa.size(), sb.size());
  size_t diff = 0;
  while (diff < limit && sa[diff] == sb[diff]) ++diff;
  if (diff < limit) {
    const auto byte = static_cast<unsigned char>(sa[diff]);
    if (byte < 0xff && byte + 1 < static_cast<unsigned char>(sb[diff]) && diff + 1 < sa.size()) {
      std::string separator(sa.substr(0, diff + 1));
      separator.back() = static_cast<char>(byte + 1);
      PutFixed64(&separator, PackTrailer(kMaxSequence, ValueKind::kValue));
      assert(CompareInternalKeys(a, separator) < 0 && CompareInternalKeys(separator, b) < 0);
      return separator;
    }
  }
  return std::string(a);
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

TableBuilder::TableBuilder(const TableOptions& options, WritableFile* file)
    : options_(options),
      file_(file),
      data_block_(std::max(options.restart_interval, 1)),
      index_block_(1) {
  if (options_.bloom_bits_per_key > 0) {
    filter_ = std::make_unique<BloomFilterBuilder>(options_.bloom_bits_per_key);
  }
  props_.format_version = kTableFormatVersion;
  props_.bloom_bits_per_key = static_cast<uint64_t>(std::max(options_.bloom_bits_per_key, 0));
}

TableBuilder::~TableBuilder() = default;

void TableBuilder::Add(std::string_view internal_key, std::string_view value) {
  assert(!closed_);
  assert(internal_key.size() >= kInternalKeyTrailerSize);
  assert(props_.num_entries == 0 || CompareInternalKeys(last_key_, internal_key) < 0);
  if (closed_ || !status_.ok()) return;

  if (pending_index_entry_) {
    std::string separator = IndexSeparator(last_key_, internal_key);
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(separator, handle);
    pending_index_entry_ = false;
  }

  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  if (filter_) filter_->AddKey(parsed.storage_key);
  if (props_.num_entries == 0) {
    props_.smallest_key.assign(internal_key.data(), internal_key.size());
    props_.smallest_sequence = parsed.sequence;
    props_.largest_sequence = parsed.sequence;
  }
  props_.largest_key.assign(internal_key.data(), internal_key.size());
  props_.smallest_sequence = std::min(props_.smallest_sequence, parsed.sequence);
  props_.largest_sequence = std::max(props_.largest_sequence, parsed.sequence);
  ++props_.num_entries;
  if (parsed.kind == ValueKind::kDeletion) ++props_.num_deletions;
  props_.raw_key_bytes += internal_key.size();
  props_.raw_value_bytes += value.size();

  data_block_.Add(internal_key, value);
  last_key_.assign(internal_key.data(), internal_key.size());
  if (data_block_.CurrentSizeEstimate() >= options_.block_size) FlushDataBlock();
}

void TableBuilder::FlushDataBlock() {
  if (data_block_.empty() || !status_.ok()) return;
  const std::string_view raw = data_block_.Finish();
  block_scratch_.clear();
  Compression used = Compression::kNone;
  AppendBlock(raw, options_.compression, &block_scratch_, &used);
  pending_handle_ = {offset_, block_scratch_.size() - kBlockTrailerSize};
  pending_index_entry_ = true;
  ++props_.num_data_blocks;
  props_.data_bytes += block_scratch_.size();
  props_.uncompressed_data_bytes += raw.size();
  if (used == Compression::kLZ4) ++props_.num_compressed_blocks;
  Write(block_scratch_);
  data_block_.Reset();
}

void TableBuilder::Write(std::string_view bytes) {
  if (!status_.ok()) return;
  status_ = file_->Append(bytes);
  if (status_.ok()) offset_ += bytes.size();
}

Status TableBuilder::Finish() {
  assert(!closed_);
  if (closed_) return Status::InvalidArgument("table builder already finished");
  FlushDataBlock();
  closed_ = true;
  if (!status_.ok()) return status_;

  if (pending_index_entry_) {
    std::string handle;
    pending_handle_.EncodeTo(&handle);
    index_block_.Add(last_key_, handle);
    pending_index_entry_ = false;
  }

  Footer footer;
  footer.format_version = kTableFormatVersion;
  std::string block;
  if (filter_) {
    AppendBlock(filter_->Finish(), Compression::kNone, &block);
    footer.filter = {offset_, block.size() - kBlockTrailerSize};
    props_.filter_bytes = block.size();
    Write(block);
  }

  block.clear();
  AppendBlock(index_block_.Finish(), Compression::kNone, &block);
  footer.index = {offset_, block.size() - kBlockTrailerSize};
  props_.index_bytes = block.size();
  Write(block);

  props_.creation_time_ms = NowMs();
  std::string encoded;
  EncodeProperties(props_, &encoded);
  block.clear();
  AppendBlock(encoded, Compression::kNone, &block);
  footer.properties = {offset_, block.size() - kBlockTrailerSize};
  Write(block);

  block.clear();
  footer.EncodeTo(&block);
  Write(block);
  return status_;
}

void TableBuilder::Abandon() {
  assert(!closed_);
  closed_ = true;
}

Status TableBuilder::status() const { return status_; }
uint64_t TableBuilder::NumEntries() const { return props_.num_entries; }
uint64_t TableBuilder::FileSize() const { return offset_; }
const TableProperties& TableBuilder::properties() const { return props_; }

}  // namespace shale::storage
