// WriteBatch: the writes of one command to one shard, applied atomically and logged as one
// WAL record (log_format.h) whose payload is the batch:
//
//   first sequence: u64 LE | count: u32 LE | count entries
//
// Entry i has sequence `first sequence + i`. Each entry is an op byte and its operands:
//
//   kPutNew         1 | varint32 key len | key | varint32 value len | value
//   kPutOverwrite   2 | varint32 key len | key | varint32 value len | value
//   kDeleteExisting 3 | varint32 key len | key
//   kFlushDb        4 | varint32 database index
//
// Keys are storage keys (so at least the 2-byte database prefix) and values stored values
// (key_format.h); a database index fits in u16. The op records what the
// write did to the key count of its database, decided when the write was made: kPutNew adds a
// key, kPutOverwrite replaces one, kDeleteExisting removes one (a delete is only logged for a
// key that existed), kFlushDb empties the database. Replay rebuilds exact counts from these
// without reading any data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace shale::storage {

enum class BatchOp : uint8_t {
  kPutNew = 1,
  kPutOverwrite = 2,
  kDeleteExisting = 3,
  kFlushDb = 4,
};

class WriteBatch {
 public:
  static constexpr size_t kHeaderSize = 8 + 4;

  // Receives a batch's entries in order.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(uint64_t sequence, std::string_view key, std::string_view value,
                     bool is_new) = 0;
    virtual void Delete(uint64_t sequence, std::string_view key) = 0;
    virtual void FlushDb(uint64_t sequence, uint32_t db) = 0;
  };

  WriteBatch();

  // Empties the batch, keeping its memory.
  void Clear();

  void PutNew(std::string_view key, std::string_view value) {
    AddPut(BatchOp::kPutNew, key, value);
  }
  void PutOverwrite(std::string_view key, std::string_view value) {
    AddPut(BatchOp::kPutOverwrite, key, value);
  }
  void DeleteExisting(std::string_view key);
  void FlushDb(uint32_t db);

  void set_sequence(uint64_t sequence);
  uint64_t sequence() const;
  uint32_t count() const;
  bool empty() const { return count() == 0; }
  // The encoded batch: a WAL batch record's payload.
  std::string_view payload() const { return rep_; }
  // Appends to *dst the payload of a batch holding one put of `key` whose stored value is
  // `value_header` followed by `value`, without building the value or the batch first (a
  // large SET is copied once, into the WAL buffer).
  static void AppendSinglePut(uint64_t sequence, BatchOp op, std::string_view key,
                              std::string_view value_header, std::string_view value,
                              std::string* dst);

  // Reads the first sequence and count of an encoded batch.
  static Status ReadHeader(std::string_view payload, uint64_t* sequence, uint32_t* count);
  // Checks that `payload` is a well-formed batch, then hands every entry to `handler`. A
  // malformed batch returns Corruption before any entry is handed over.
  static Status Iterate(std::string_view payload, Handler* handler);

 private:
  void AddPut(BatchOp op, std::string_view key, std::string_view value);
  void SetCount(uint32_t count);

  std::string rep_;
};

}  // namespace shale::storage
