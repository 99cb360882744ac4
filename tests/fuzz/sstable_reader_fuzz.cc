// Fuzz target for the SSTable reader (storage/table.h, storage/block.h, storage/format.h,
// storage/bloom.h).
//
// The first input byte picks what the rest is, modulo 4:
//   0  a table file image, opened as it is;
//   1  the same, after every checksum the image names (footer, metadata blocks, and the data
//      blocks its index names) has been recomputed, so the structure behind the checksums
//      (index, properties, restart arrays, entries, LZ4 data) is reached too;
//   2  the contents of one key/value block;
//   3  bytes for the small decoders: footer, properties block, stored block, bloom filter.
// Invariants checked: nothing crashes or reads out of bounds (the sanitizers watch), every
// iteration ends within a bound set by the input size, every entry an iterator yields has an
// internal key with a known kind, a table that opened answers Get for the keys it yields
// without error when its checksums verify, and reading it twice (through the block cache)
// yields the same entries.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/block.h"
#include "storage/block_cache.h"
#include "storage/bloom.h"
#include "storage/coding.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/iterator.h"
#include "storage/key_format.h"
#include "storage/table.h"

namespace {

using namespace shale::storage;  // NOLINT(build/namespaces): a fuzz target uses most of it

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "sstable_reader_fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

// Every entry consumes at least three bytes of some uncompressed block, and LZ4 expands each
// stored byte into at most 255, so no iteration over an image of n bytes yields more entries.
size_t MaxEntries(size_t image_size) { return 256 * image_size + 16; }

void CheckEntry(std::string_view key) {
  Check(key.size() >= kInternalKeyTrailerSize, "keys are internal keys");
  const auto kind = static_cast<uint8_t>(key[key.size() - kInternalKeyTrailerSize]);
  Check(kind <= static_cast<uint8_t>(ValueKind::kValue), "entries have a known kind");
}

std::vector<std::pair<std::string, std::string>> Scan(const Table& table, size_t limit,
                                                      Status* status) {
  std::vector<std::pair<std::string, std::string>> entries;
  auto it = table.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    CheckEntry(it->key());
    entries.emplace_back(it->key(), it->value());
    Check(entries.size() <= limit, "iteration ends");
  }
  *status = it->status();
  return entries;
}

void FuzzTable(const std::string& image) {
  BlockCache cache(16 * 1024, 1);
  std::unique_ptr<Table> table;
  Status s =
      Table::Open("fuzz.sst", NewStringRandomAccessFile(image), image.size(), &cache, &table);
  if (!s.ok()) {
    Check(table == nullptr, "a failed open yields no table");
    Check(!s.message().empty(), "errors say why");
    return;
  }
  const size_t limit = MaxEntries(image.size());
  Status first_status;
  const auto first = Scan(*table, limit, &first_status);
  Status second_status;
  const auto second = Scan(*table, limit, &second_status);
  Check(first == second && first_status.code() == second_status.code(),
        "reading twice (through the cache) yields the same");

  const bool verified = table->VerifyChecksums().ok();
  size_t gets = 0;
  for (const auto& [key, value] : first) {
    if (++gets > 64) break;
    const ParsedInternalKey parsed = ParseInternalKey(key);
    bool found = false;
    ValueKind kind = ValueKind::kValue;
    uint64_t sequence = 0;
    std::string got;
    s = table->Get(parsed.storage_key, parsed.sequence, &found, &kind, &sequence, &got);
    if (verified) Check(s.ok(), "a verified table answers Get");
    table->MayContain(parsed.storage_key);
    auto it = table->NewIterator();
    it->Seek(key);
    for (int i = 0; i < 2 && it->Valid(); ++i, it->Next()) CheckEntry(it->key());
  }
  auto it = table->NewIterator();
  it->Seek(std::string_view(image).substr(0, std::min<size_t>(image.size(), 20)));
  if (it->Valid()) CheckEntry(it->key());
}

// Rewrites the checksum of the block at `h` when the block lies inside the image.
void FixBlockChecksum(std::string* image, const BlockHandle& h) {
  if (h.offset > image->size() || h.size > image->size() - h.offset ||
      kBlockTrailerSize > image->size() - h.offset - h.size) {
    return;
  }
  const std::string_view covered(image->data() + h.offset, h.size + 1);
  EncodeFixed64(image->data() + h.offset + h.size + 1, BlockChecksum(covered));
}

void FixChecksums(std::string* image) {
  if (image->size() < kFooterSize) return;
  char* footer = image->data() + image->size() - kFooterSize;
  EncodeFixed64(footer + 56, kTableMagic);
  std::string encoded;
  Footer f;
  f.filter = {DecodeFixed64(footer), DecodeFixed64(footer + 8)};
  f.index = {DecodeFixed64(footer + 16), DecodeFixed64(footer + 24)};
  f.properties = {DecodeFixed64(footer + 32), DecodeFixed64(footer + 40)};
  f.format_version = DecodeFixed32(footer + 48);
  f.EncodeTo(&encoded);
  std::copy(encoded.begin(), encoded.end(), footer);

  for (const BlockHandle& h : {f.filter, f.index, f.properties}) FixBlockChecksum(image, h);
  // The data blocks the index names.
  if (f.index.offset > image->size() || f.index.size > image->size() - f.index.offset ||
      kBlockTrailerSize > image->size() - f.index.offset - f.index.size) {
    return;
  }
  std::string contents;
  if (!DecodeBlock(
           std::string_view(*image).substr(f.index.offset, f.index.size + kBlockTrailerSize),
           &contents)
           .ok()) {
    return;
  }
  Block index;
  if (!index.Init(std::make_shared<const std::string>(std::move(contents))).ok()) return;
  auto it = index.NewIterator();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid() && n < MaxEntries(image->size()); it->Next(), ++n) {
    std::string_view value = it->value();
    BlockHandle h;
    if (h.DecodeFrom(&value)) FixBlockChecksum(image, h);
  }
}

void FuzzBlock(std::string_view data) {
  Block block;
  if (!block.Init(std::make_shared<const std::string>(data)).ok()) return;
  const size_t limit = data.size();
  std::vector<std::string> keys;
  auto it = block.NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    Check(it->key().size() >= kInternalKeyTrailerSize, "block keys are internal keys");
    if (keys.size() < 32) keys.emplace_back(it->key());
    Check(keys.size() <= limit, "block iteration ends");
  }
  for (const std::string& key : keys) {
    it->Seek(key);
    if (it->Valid()) Check(it->key().size() >= kInternalKeyTrailerSize, "seek lands on a key");
  }
  it->Seek(data.substr(0, std::min<size_t>(data.size(), 12)));
  it->Seek("");
}

void FuzzDecoders(std::string_view data) {
  Footer footer;
  if (data.size() >= kFooterSize) (void)footer.DecodeFrom(data.substr(data.size() - kFooterSize));
  TableProperties props;
  (void)DecodeProperties(data, &props);
  std::string contents;
  (void)DecodeBlock(data, &contents);
  BlockHandle handle;
  std::string_view input = data;
  (void)handle.DecodeFrom(&input);
  (void)BloomFilterMayContain(data, "key");
  (void)BloomFilterMayContain(data, data.substr(0, data.size() / 2));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::off);  // corruption is the normal case here
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const uint8_t mode = data[0] % 4;
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (mode) {
    case 0:
      FuzzTable(rest);
      break;
    case 1:
      FixChecksums(&rest);
      FuzzTable(rest);
      break;
    case 2:
      FuzzBlock(rest);
      break;
    default:
      FuzzDecoders(rest);
      break;
  }
  return 0;
}
