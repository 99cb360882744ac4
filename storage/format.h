// SSTable file format (`NNNNNN.sst`): the layout of every byte, and the helpers that encode,
// read and verify the pieces (block handles, block trailers, the footer, the properties block).
//
// A table file is a sequence of blocks followed by a fixed-size footer:
//
//   +--------------------------+  offset 0
//   | data block 0  + trailer  |
//   | data block 1  + trailer  |
//   | ...                      |
//   | data block N-1 + trailer |  data blocks are contiguous, in key order
//   +--------------------------+
//   | filter block + trailer   |  absent when the table has no bloom filter
//   | index block + trailer    |
//   | properties block + trl.  |
//   | footer (64 bytes)        |
//   +--------------------------+  end of file
//
// Block (every block above, data and metadata alike):
//
//   | stored contents: size bytes | compression: u8 | checksum: u64 LE |
//
//   size        given by the block's BlockHandle (the 9-byte trailer is not counted)
//   compression Compression below: kNone (0) = the contents are stored as they are;
//               kLZ4 (1) = the stored contents are `varint32 uncompressed size` followed by
//               one LZ4 block (LZ4_compress_default), decompressed with LZ4_decompress_safe
//               into exactly that many bytes. Any other value is corruption.
//   checksum    XXH3_64bits over the stored contents followed by the compression byte (the
//               size + 1 bytes in front of the checksum in the file)
//
// The writer compresses a block with LZ4 only when that saves at least 1/8 of its bytes
// (stored size <= raw size - raw size / 8); metadata blocks are never compressed.
//
// BlockHandle (in the index block): varint64 offset of the block's first byte in the file,
// varint64 size of its stored contents (trailer not counted).
//
// Data block and index block: the key/value block format described in block_builder.h. Keys
// are internal keys (key_format.h). A data block holds ~TableOptions::block_size bytes of
// entries before compression; its values are stored values (empty for tombstones). The index
// block has one entry per data block, in order: the key is a separator S with
// last key of the block <= S < first key of the next block (for the last block, its last key),
// and the value is the data block's BlockHandle. The index block uses a restart interval of 1.
//
// Filter block: a bloom filter over the storage keys of the table (bloom.h has its layout).
//
// Properties block: a sequence of named fields, each
//
//   | varint32 name length | name | varint32 value length | value |
//
// Numeric fields hold one varint64 as their value; string fields hold raw bytes. Names are
// ASCII and written in the order listed in EncodeProperties (format.cc); a reader ignores
// names it does not know, and the last occurrence of a repeated name wins. Fields: see
// TableProperties.
//
// Footer (kFooterSize = 64 bytes, at file size - 64):
//
//   | filter offset u64 | filter size u64 |        bytes  0..15 (both 0: no filter block)
//   | index offset u64 | index size u64 |          bytes 16..31
//   | properties offset u64 | properties size u64 |  bytes 32..47
//   | format version u32 |                         bytes 48..51 (kTableFormatVersion = 1)
//   | footer checksum u32 |                        bytes 52..55: low 32 bits of XXH3_64bits
//   |                                                 over bytes 0..51
//   | magic u64 |                                  bytes 56..63: kTableMagic, the ASCII
//                                                     bytes "SHALESST"
//
// All fixed-width integers are little-endian. Sizes in the footer are stored-contents sizes,
// like BlockHandle sizes. A reader checks the magic first (a foreign file), then the footer
// checksum, then the version, then that every handle lies inside the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "storage/coding.h"
#include "storage/file_system.h"
#include "storage/status.h"

namespace shale::storage {

enum class Compression : uint8_t { kNone = 0, kLZ4 = 1 };

constexpr uint32_t kTableFormatVersion = 1;
// "SHALESST" read as a little-endian u64.
constexpr uint64_t kTableMagic = 0x545353454c414853ull;
constexpr size_t kBlockTrailerSize = 1 + 8;  // compression u8, checksum u64
constexpr size_t kFooterSize = 64;
// No legitimate block is larger; a handle naming a bigger one is corruption. Bounds the memory
// a corrupt file can make a reader allocate.
constexpr uint64_t kMaxBlockSize = uint64_t{1} << 30;

// Where a block lives in the file: offset of its first byte and size of its stored contents
// (trailer not counted).
struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;

  static constexpr size_t kMaxEncodedLength = 2 * kMaxVarint64Bytes;

  // Appends varint64 offset, varint64 size.
  void EncodeTo(std::string* dst) const;
  // Consumes an encoded handle from the front of *input; false when malformed.
  bool DecodeFrom(std::string_view* input);
  // Offset just past the block's trailer.
  uint64_t end() const { return offset + size + kBlockTrailerSize; }

  friend bool operator==(const BlockHandle&, const BlockHandle&) = default;
};

struct Footer {
  BlockHandle filter;  // {0, 0}: the table has no filter block
  BlockHandle index;
  BlockHandle properties;
  uint32_t format_version = kTableFormatVersion;

  bool has_filter() const { return filter.offset != 0 || filter.size != 0; }
  // Appends exactly kFooterSize bytes (checksum and magic included).
  void EncodeTo(std::string* dst) const;
  // Decodes exactly kFooterSize bytes. Corruption (without a file name) when the magic, the
  // checksum or the version is wrong, in that order of checking.
  Status DecodeFrom(std::string_view input);
};

// Per-table statistics, stored in the properties block.
struct TableProperties {
  uint64_t num_entries = 0, num_deletions = 0;      // deletions = tombstones (ValueKind::kDeletion)
  uint64_t raw_key_bytes = 0, raw_value_bytes = 0;  // internal keys, stored values, as added
  // Bytes in the file, trailers included: all data blocks, the index, the filter (0: none).
  uint64_t data_bytes = 0, index_bytes = 0, filter_bytes = 0, num_data_blocks = 0;
  std::string smallest_key, largest_key;  // internal keys
  uint64_t smallest_sequence = 0, largest_sequence = 0;
  uint64_t creation_time_ms = 0;  // milliseconds since the epoch
  uint32_t format_version = 1;
  // Data blocks stored LZ4-compressed, and the data blocks' total size before compression.
  uint64_t num_compressed_blocks = 0;
  uint64_t uncompressed_data_bytes = 0;
  // Bloom filter setting the table was written with (0: no filter).
  uint64_t bloom_bits_per_key = 0;

  friend bool operator==(const TableProperties&, const TableProperties&) = default;
};

// Appends the properties block contents (format above).
void EncodeProperties(const TableProperties& props, std::string* dst);
// Corruption (without a file name) when a field is malformed or a known numeric field does not
// hold exactly one varint64.
Status DecodeProperties(std::string_view contents, TableProperties* props);

// XXH3_64bits of `stored_and_compression`: a block's stored contents followed by its
// compression byte.
uint64_t BlockChecksum(std::string_view stored_and_compression);

// Appends `raw` as one block (stored contents + trailer) to *dst. With Compression::kLZ4 the
// block is compressed when that saves at least 1/8; *used (if not null) says which was stored.
void AppendBlock(std::string_view raw, Compression compression, std::string* dst,
                 Compression* used = nullptr);

// Verifies a block read from the file: `block` is its stored contents followed by its 9-byte
// trailer. On success *contents holds the uncompressed contents. Corruption (without a file
// name) on a bad checksum, an unknown compression byte or a failed decompression.
Status DecodeBlock(std::string_view block, std::string* contents);

// Reads the block at `handle` from `file` (of `file_size` bytes), verifies its checksum and
// decompresses it into *contents. Errors name the file and the block's offset, e.g.
// Corruption("<path>: bad block checksum at offset N").
Status ReadBlock(const RandomAccessFile* file, const std::string& path, uint64_t file_size,
                 const BlockHandle& handle, std::string* contents);

}  // namespace shale::storage
