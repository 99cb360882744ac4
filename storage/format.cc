#include "storage/format.h"

#include <lz4.h>
#include <xxhash.h>

#include <limits>
#include <string>
#include <utility>

#include "storage/coding.h"

namespace shale::storage {

namespace {

constexpr size_t kFooterChecksummedBytes = 52;  // everything before the footer checksum

// LZ4 never expands one input byte into more than 255 output bytes; a stored uncompressed size
// beyond that ratio is corruption, so a corrupt size cannot make the reader allocate much more
// than the block it read.
constexpr uint64_t kMaxLZ4Ratio = 255;

// Property names, in the order EncodeProperties writes them.
constexpr std::string_view kNumEntries = "num_entries";
constexpr std::string_view kNumDeletions = "num_deletions";
constexpr std::string_view kRawKeyBytes = "raw_key_bytes";
constexpr std::string_view kRawValueBytes = "raw_value_bytes";
constexpr std::string_view kDataBytes = "data_bytes";
constexpr std::string_view kIndexBytes = "index_bytes";
constexpr std::string_view kFilterBytes = "filter_bytes";
constexpr std::string_view kNumDataBlocks = "num_data_blocks";
constexpr std::string_view kSmallestKey = "smallest_key";
constexpr std::string_view kLargestKey = "largest_key";
constexpr std::string_view kSmallestSequence = "smallest_sequence";
constexpr std::string_view kLargestSequence = "largest_sequence";
constexpr std::string_view kCreationTimeMs = "creation_time_ms";
constexpr std::string_view kFormatVersion = "format_version";
constexpr std::string_view kNumCompressedBlocks = "num_compressed_blocks";
constexpr std::string_view kUncompressedDataBytes = "uncompressed_data_bytes";
constexpr std::string_view kBloomBitsPerKey = "bloom_bits_per_key";

void PutNumberField(std::string* dst, std::string_view name, uint64_t value) {
  PutLengthPrefixed(dst, name);
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, value);
  PutLengthPrefixed(dst, std::string_view(buf, static_cast<size_t>(end - buf)));
}

void PutStringField(std::string* dst, std::string_view name, std::string_view value) {
  PutLengthPrefixed(dst, name);
  PutLengthPrefixed(dst, value);
}

bool ParseNumber(std::string_view value, uint64_t* out) {
  return GetVarint64(&value, out) && value.empty();
}

}  // namespace

// --- BlockHandle ---

void BlockHandle::EncodeTo(std::string* dst) const {
  PutVarint64(dst, offset);
  PutVarint64(dst, size);
}

bool BlockHandle::DecodeFrom(std::string_view* input) {
  return GetVarint64(input, &offset) && GetVarint64(input, &size);
}

// --- Footer ---

void Footer::EncodeTo(std::string* dst) const {
  const size_t start = dst->size();
  PutFixed64(dst, filter.offset);
  PutFixed64(dst, filter.size);
  PutFixed64(dst, index.offset);
  PutFixed64(dst, index.size);
  PutFixed64(dst, properties.offset);
  PutFixed64(dst, properties.size);
  PutFixed32(dst, format_version);
  const auto checksum =
      static_cast<uint32_t>(XXH3_64bits(dst->data() + start, kFooterChecksummedBytes));
  PutFixed32(dst, checksum);
  PutFixed64(dst, kTableMagic);
}

Status Footer::DecodeFrom(std::string_view input) {
  if (input.size() != kFooterSize) {
    return Status::Corruption("footer has " + std::to_string(input.size()) + " bytes, not " +
                              std::to_string(kFooterSize));
  }
  if (DecodeFixed64(input.data() + 56) != kTableMagic) {
    return Status::Corruption("not an SSTable (bad magic number)");
  }
  const auto expected = static_cast<uint32_t>(XXH3_64bits(input.data(), kFooterChecksummedBytes));
  if (DecodeFixed32(input.data() + kFooterChecksummedBytes) != expected) {
    return Status::Corruption("bad footer checksum");
  }
  const uint32_t version = DecodeFixed32(input.data() + 48);
  if (version != kTableFormatVersion) {
    return Status::Corruption("unsupported SSTable format version " + std::to_string(version));
  }
  const char* p = input.data();
  filter = {DecodeFixed64(p), DecodeFixed64(p + 8)};
  index = {DecodeFixed64(p + 16), DecodeFixed64(p + 24)};
  properties = {DecodeFixed64(p + 32), DecodeFixed64(p + 40)};
  format_version = version;
  return Status::Ok();
}

// --- properties ---

void EncodeProperties(const TableProperties& props, std::string* dst) {
  PutNumberField(dst, kNumEntries, props.num_entries);
  PutNumberField(dst, kNumDeletions, props.num_deletions);
  PutNumberField(dst, kRawKeyBytes, props.raw_key_bytes);
  PutNumberField(dst, kRawValueBytes, props.raw_value_bytes);
  PutNumberField(dst, kDataBytes, props.data_bytes);
  PutNumberField(dst, kIndexBytes, props.index_bytes);
  PutNumberField(dst, kFilterBytes, props.filter_bytes);
  PutNumberField(dst, kNumDataBlocks, props.num_data_blocks);
  PutStringField(dst, kSmallestKey, props.smallest_key);
  PutStringField(dst, kLargestKey, props.largest_key);
  PutNumberField(dst, kSmallestSequence, props.smallest_sequence);
  PutNumberField(dst, kLargestSequence, props.largest_sequence);
  PutNumberField(dst, kCreationTimeMs, props.creation_time_ms);
  PutNumberField(dst, kFormatVersion, props.format_version);
  PutNumberField(dst, kNumCompressedBlocks, props.num_compressed_blocks);
  PutNumberField(dst, kUncompressedDataBytes, props.uncompressed_data_bytes);
  PutNumberField(dst, kBloomBitsPerKey, props.bloom_bits_per_key);
}

Status DecodeProperties(std::string_view contents, TableProperties* props) {
  *props = TableProperties();
  const std::pair<std::string_view, uint64_t*> numbers[] = {
      {kNumEntries, &props->num_entries},
      {kNumDeletions, &props->num_deletions},
      {kRawKeyBytes, &props->raw_key_bytes},
      {kRawValueBytes, &props->raw_value_bytes},
      {kDataBytes, &props->data_bytes},
      {kIndexBytes, &props->index_bytes},
      {kFilterBytes, &props->filter_bytes},
      {kNumDataBlocks, &props->num_data_blocks},
      {kSmallestSequence, &props->smallest_sequence},
      {kLargestSequence, &props->largest_sequence},
      {kCreationTimeMs, &props->creation_time_ms},
      {kNumCompressedBlocks, &props->num_compressed_blocks},
      {kUncompressedDataBytes, &props->uncompressed_data_bytes},
      {kBloomBitsPerKey, &props->bloom_bits_per_key},
  };
  bool have_version = false;
  while (!contents.empty()) {
    std::string_view name, value;
    if (!GetLengthPrefixed(&contents, &name) || !GetLengthPrefixed(&contents, &value)) {
      return Status::Corruption("malformed properties block");
    }
    if (name == kSmallestKey) {
      props->smallest_key.assign(value.data(), value.size());
      continue;
    }
    if (name == kLargestKey) {
      props->largest_key.assign(value.data(), value.size());
      continue;
    }
    if (name == kFormatVersion) {
      uint64_t v = 0;
      if (!ParseNumber(value, &v) || v > std::numeric_limits<uint32_t>::max()) {
        return Status::Corruption("malformed property format_version");
      }
      props->format_version = static_cast<uint32_t>(v);
      have_version = true;
      continue;
    }
    for (const auto& [known, field] : numbers) {
      if (name == known) {
        if (!ParseNumber(value, field)) {
          return Status::Corruption("malformed property " + std::string(known));
        }
        break;
      }
    }
  }
  if (!have_version) return Status::Corruption("properties block lacks format_version");
  return Status::Ok();
}

// --- blocks ---

uint64_t BlockChecksum(std::string_view stored_and_compression) {
  return XXH3_64bits(stored_and_compression.data(), stored_and_compression.size());
}

void AppendBlock(std::string_view raw, Compression compression, std::string* dst,
                 Compression* used) {
  const size_t start = dst->size();
  Compression stored = Compression::kNone;
  if (compression == Compression::kLZ4 && !raw.empty() && raw.size() <= LZ4_MAX_INPUT_SIZE) {
    const int bound = LZ4_compressBound(static_cast<int>(raw.size()));
    dst->resize(start + kMaxVarint32Bytes + static_cast<size_t>(bound));
    char* p = EncodeVarint32(dst->data() + start, static_cast<uint32_t>(raw.size()));
    const int n = LZ4_compress_default(raw.data(), p, static_cast<int>(raw.size()), bound);
    const size_t stored_size =
        static_cast<size_t>(p - (dst->data() + start)) + static_cast<size_t>(n > 0 ? n : 0);
    // Keep the compressed form only when it saves at least 1/8 of the raw size.
    if (n > 0 && stored_size <= raw.size() - raw.size() / 8) {
      dst->resize(start + stored_size);
      stored = Compression::kLZ4;
    } else {
      dst->resize(start);
    }
  }
  if (stored == Compression::kNone) dst->append(raw.data(), raw.size());
  dst->push_back(static_cast<char>(stored));
  const uint64_t checksum = BlockChecksum(std::string_view(*dst).substr(start));
  PutFixed64(dst, checksum);
  if (used != nullptr) *used = stored;
}

Status DecodeBlock(std::string_view block, std::string* contents) {
  if (block.size() < kBlockTrailerSize) return Status::Corruption("truncated block");
  const size_t stored_size = block.size() - kBlockTrailerSize;
  const uint64_t expected = DecodeFixed64(block.data() + stored_size + 1);
  if (BlockChecksum(block.substr(0, stored_size + 1)) != expected) {
    return Status::Corruption("bad block checksum");
  }
  std::string_view stored = block.substr(0, stored_size);
  const auto compression = static_cast<uint8_t>(block[stored_size]);
  switch (compression) {
    case static_cast<uint8_t>(Compression::kNone):
      contents->assign(stored.data(), stored.size());
      return Status::Ok();
    case static_cast<uint8_t>(Compression::kLZ4): {
      uint32_t raw_size = 0;
      if (!GetVarint32(&stored, &raw_size)) {
        return Status::Corruption("bad uncompressed size in LZ4 block");
      }
      if (raw_size > kMaxBlockSize || raw_size > stored.size() * kMaxLZ4Ratio ||
          stored.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
        return Status::Corruption("implausible uncompressed size in LZ4 block");
      }
      contents->resize(raw_size);
      const int n =
          LZ4_decompress_safe(stored.data(), contents->data(), static_cast<int>(stored.size()),
                              static_cast<int>(raw_size));
      if (n < 0 || static_cast<uint32_t>(n) != raw_size) {
        contents->clear();
        return Status::Corruption("corrupt LZ4 block");
      }
      return Status::Ok();
    }
    default:
      return Status::Corruption("unknown block compression type " + std::to_string(compression));
  }
}

Status ReadBlock(const RandomAccessFile* file, const std::string& path, uint64_t file_size,
                 const BlockHandle& handle, std::string* contents) {
  const std::string where = " at offset " + std::to_string(handle.offset);
  if (handle.size > kMaxBlockSize || handle.offset > file_size ||
      handle.size + kBlockTrailerSize > file_size - handle.offset) {
    return Status::Corruption(path + ": block" + where + " (" + std::to_string(handle.size) +
                              " bytes) extends past the end of the file");
  }
  const size_t n = static_cast<size_t>(handle.size) + kBlockTrailerSize;
  std::string scratch(n, '\0');
  std::string_view result;
  Status s = file->Read(handle.offset, n, scratch.data(), &result);
  if (!s.ok()) return s;
  if (result.size() != n) {
    return Status::Corruption(path + ": truncated block" + where);
  }
  s = DecodeBlock(result, contents);
  if (!s.ok()) return Status::Corruption(path + ": " + s.message() + where);
  return Status::Ok();
}

}  // namespace shale::storage
