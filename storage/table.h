// Table: an open SSTable (layout in format.h), read through a RandomAccessFile.
//
// Open() reads and verifies the footer, the index, the filter and the properties block and keeps
// the index (decoded) and the filter in memory; data blocks are read on demand, through the
// block cache when there is one: from the cache, or by one pread of the block and its trailer,
// checksum verification and LZ4 decompression, after which the uncompressed block is cached.
//
// The file is untrusted. Every offset and size is checked against the file before it is used,
// every block's checksum is verified on every read from the file, and every structure inside a
// block is bounds-checked. Damage is reported as Status::Corruption naming the file and the
// offset ("<path>: bad block checksum at offset N", "<path>: not an SSTable (bad magic number)",
// ...) and logged once with spdlog::error; it never yields wrong data or a crash.
//
// Thread-safety: a Table is immutable after Open(); Get, MayContain, NewIterator and
// VerifyChecksums may run concurrently. Each iterator is used by one thread and must not
// outlive its Table.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block.h"
#include "storage/block_cache.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/iterator.h"
#include "storage/key_format.h"
#include "storage/status.h"

namespace shale::storage {

class Table {
 public:
  // Reads and verifies footer, index, filter, properties (checksums); keeps index + filter in
  // memory. `cache` (nullable) must outlive the table. Errors name the file:
  // Status::Corruption("<path>: bad block checksum at offset N") etc.
  static Status Open(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
                     BlockCache* cache /*nullable*/, std::unique_ptr<Table>* table);

  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;
  ~Table();

  // Newest entry for storage_key with sequence <= snapshot. *found=false if none.
  // Checks key range and bloom filter first, then one data block (cache or pread + checksum +
  // LZ4). A tombstone is found with *kind == ValueKind::kDeletion and an empty value.
  Status Get(std::string_view storage_key, uint64_t snapshot, bool* found, ValueKind* kind,
             uint64_t* sequence, std::string* value) const;

  // Bloom filter check (true if the table has no filter).
  bool MayContain(std::string_view storage_key) const;

  // Every entry in internal-key order; status() carries corruption.
  std::unique_ptr<Iterator> NewIterator() const;

  // Reads every block and the footer from the file again (bypassing the cache) and verifies
  // their checksums; checks every data block's structure (Block::Verify), that keys ascend
  // across blocks, have known kinds and lie within their blocks' index ranges.
  Status VerifyChecksums() const;

  const TableProperties& properties() const { return props_; }
  const std::string& path() const { return path_; }
  uint64_t file_size() const { return file_size_; }
  // The cache id of this table (0 without a cache), for BlockCache::EraseTable.
  uint64_t cache_id() const { return cache_id_; }

 private:
  class TableIterator;
  struct IndexEntry {
    std::string separator;  // internal key
    BlockHandle handle;
  };

  Table(std::string path, std::unique_ptr<RandomAccessFile> file, uint64_t file_size,
        BlockCache* cache);

  // The data block at index position `i`, from the cache or the file (then cached), with its
  // restart array checked. Errors name the file and the block's offset, and are logged.
  Status ReadDataBlock(size_t i, Block* block) const;
  // The first index position whose separator is >= `target`; index_.size() if none.
  size_t FindBlock(std::string_view target) const;
  // Corruption("<path>: <what>") logged once.
  Status Corrupt(const std::string& what) const;
  // Prefixes an error found inside a block (which names neither) with the file and the block's
  // offset, and logs it.
  Status BlockError(const Status& s, uint64_t offset) const;
  // Logs an error that names the file already (ReadBlock's, the FileSystem's) and returns it.
  Status Logged(Status s) const;

  const std::string path_;
  const std::unique_ptr<RandomAccessFile> file_;
  const uint64_t file_size_;
  BlockCache* const cache_;
  uint64_t cache_id_ = 0;

  Footer footer_;
  TableProperties props_;
  std::vector<IndexEntry> index_;
  std::string filter_;  // empty: no filter
  std::string smallest_storage_key_, largest_storage_key_;
};

}  // namespace shale::storage
