// TableBuilder: writes one SSTable (layout in format.h) from entries added in internal-key
// order, through a WritableFile it does not own.
//
// Each data block is written (one Append) as soon as it reaches TableOptions::block_size bytes
// before compression; the filter, index and properties blocks and the footer are written by
// Finish(). The builder never syncs or closes the file: the caller does both after Finish().
//
// The first failed Append makes the builder fail for good: status() and Finish() return that
// error and later Adds are ignored.
//
// Thread-safety: none; one thread uses a builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/block_builder.h"
#include "storage/bloom.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/status.h"

namespace shale::storage {

struct TableOptions {
  size_t block_size = 4096;                     // target uncompressed data block size
  int restart_interval = 16;                    // keys between restart points
  Compression compression = Compression::kLZ4;  // LZ4 only when it saves >= 1/8
  int bloom_bits_per_key = 10;                  // 0 = no filter
};

class TableBuilder {
 public:
  TableBuilder(const TableOptions& options, WritableFile* file);
  TableBuilder(const TableBuilder&) = delete;
  TableBuilder& operator=(const TableBuilder&) = delete;
  ~TableBuilder();

  // Adds an entry. REQUIRES: `internal_key` is a valid internal key (at least the 8-byte
  // trailer), strictly greater than every key added before; Finish()/Abandon() not called.
  // `value` is the stored value (empty for a tombstone).
  void Add(std::string_view internal_key, std::string_view value);

  // The first write error, if any.
  Status status() const;

  // Writes the last data block, the filter, index and properties blocks and the footer.
  // REQUIRES: Finish()/Abandon() not called before.
  Status Finish();

  // Stops building; the caller deletes the partial file. REQUIRES: Finish() not called.
  void Abandon();

  uint64_t NumEntries() const;
  // Bytes written to the file so far (the final file size after a successful Finish()).
  uint64_t FileSize() const;
  // Complete after Finish(); before it, the counters cover the entries added so far.
  const TableProperties& properties() const;

 private:
  // Writes the pending data block (if any) and remembers its handle for the index.
  void FlushDataBlock();
  // Appends `bytes` to the file at offset_; records the first failure in status_.
  void Write(std::string_view bytes);

  const TableOptions options_;
  WritableFile* const file_;
  Status status_;
  bool closed_ = false;  // Finish() or Abandon() called

  uint64_t offset_ = 0;  // bytes written so far
  TableProperties props_;
  BlockBuilder data_block_;
  BlockBuilder index_block_;
  std::unique_ptr<BloomFilterBuilder> filter_;

  std::string last_key_;              // the last internal key added
  bool pending_index_entry_ = false;  // a data block was written; its index entry waits for
  BlockHandle pending_handle_;        // the next key (to shorten the separator) or Finish()
  std::string block_scratch_;         // the current block, compressed and with its trailer
};

}  // namespace shale::storage
