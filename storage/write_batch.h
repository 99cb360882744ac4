// WriteBatch: writes applied atomically, and logged as one WAL record (log_format.h) per shard
// they touch, whose payload is the batch's part for that shard:
//
//   first sequence: u64 LE | count: u32 LE | count entries
//
// Entry i has sequence `first sequence + i`. Each entry is an op byte and its operands:
//
//   kPut         5 | varint32 key len | key | varint32 value len | value
//   kDelete      6 | varint32 key len | key
//   kDropGroup   7 | varint32 group
//   kAddCounter  8 | varint32 counter | varint64 zigzag(delta)
//   kSetCounter  9 | varint32 counter | varint64 value (two's complement)
//   kParticipants 10 | varint32 n | n x (varint32 shard | varint64 first sequence | varint32 count)
//
// kParticipants ends a batch that is one shard's part of an atomic write spanning several
// shards (Db::Write, Db::EndAtomic): it names every part, the shard's own included, by the
// sequence range of its WAL record (the kParticipants entry counts). Recovery applies a part
// only when every part it names is durable (db.cc, "Atomic writes across shards"); otherwise
// the whole write is left out, in every shard.
//
// The engine gives keys and values no meaning beyond this:
//   - a key's first two bytes (big-endian) are its group (key_format.h); kDropGroup makes every
//     entry of the group with a lower sequence dead, in O(1) (RocksDB's column family drop);
//   - counters are signed 64-bit numbers per shard, identified by the writer's own ids, changed
//     only by the batch entries above and recovered exactly (manifest + WAL replay). Db::Counter
//     sums a counter over the shards. The layer above keeps, for example, key counts in them.
//
// Routing (Db::Write): kPut and kDelete go to the shard of their key; kAddCounter goes with the
// kPut or kDelete before it (a batch may not start with one); kDropGroup and kSetCounter go to
// every shard. Ops 1-4 were the format of WAL version 1 and are not read any more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace shale::storage {

enum class BatchOp : uint8_t {
  kPut = 5,
  kDelete = 6,
  kDropGroup = 7,
  kAddCounter = 8,
  kSetCounter = 9,
  kParticipants = 10,
};

// One part of an atomic write across shards: the WAL record [first_sequence, +count) of `shard`.
struct TxnParticipant {
  uint32_t shard = 0;
  uint64_t first_sequence = 0;
  uint32_t count = 0;
  bool operator==(const TxnParticipant&) const = default;
};

// A change of one counter, as a writer states it beside a put or delete.
struct CounterDelta {
  uint32_t counter = 0;
  int64_t delta = 0;
};

class WriteBatch {
 public:
  static constexpr size_t kHeaderSize = 8 + 4;

  // Receives a batch's entries in order.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void Put(uint64_t sequence, std::string_view key, std::string_view value) = 0;
    virtual void Delete(uint64_t sequence, std::string_view key) = 0;
    virtual void DropGroup(uint64_t sequence, uint16_t group) = 0;
    virtual void AddCounter(uint32_t counter, int64_t delta) = 0;
    virtual void SetCounter(uint32_t counter, int64_t value) = 0;
    // The batch is a part of an atomic write across shards (it comes last).
    virtual void Participants(const std::vector<TxnParticipant>& /*parts*/) {}
  };

  WriteBatch();

  // Empties the batch, keeping its memory.
  void Clear();

  void Put(std::string_view key, std::string_view value) { Put(key, {}, value); }
  // The stored value is `value_prefix` followed by `value` (no joined copy is made).
  void Put(std::string_view key, std::string_view value_prefix, std::string_view value);
  void Delete(std::string_view key);
  void DropGroup(uint16_t group);
  // REQUIRES: a Put or Delete before it (the counter lives in that entry's shard).
  void AddCounter(uint32_t counter, int64_t delta);
  void SetCounter(uint32_t counter, int64_t value);
  void AddParticipants(const std::vector<TxnParticipant>& parts);
  // Appends every entry of `other` (its sequence is ignored).
  void Append(const WriteBatch& other);

  void set_sequence(uint64_t sequence);
  uint64_t sequence() const;
  uint32_t count() const;
  bool empty() const { return count() == 0; }
  // The encoded batch: a WAL batch record's payload.
  std::string_view payload() const { return rep_; }
  // Bytes of keys and values put or deleted (what the writer asked to store).
  uint64_t user_bytes() const { return user_bytes_; }

  // Appends to *dst the payload of a batch holding one put of `key` whose stored value is
  // `value_prefix` followed by `value`, then `counters`, without building the value or the batch
  // first (a large value is copied once, into the WAL buffer). Returns the entry count.
  static uint32_t AppendSinglePut(uint64_t sequence, std::string_view key,
                                  std::string_view value_prefix, std::string_view value,
                                  const CounterDelta* counters, size_t counter_count,
                                  std::string* dst);

  // Reads the first sequence and count of an encoded batch.
  static Status ReadHeader(std::string_view payload, uint64_t* sequence, uint32_t* count);
  // Checks that `payload` is a well-formed batch, then hands every entry to `handler`. A
  // malformed batch returns Corruption before any entry is handed over.
  static Status Iterate(std::string_view payload, Handler* handler);

 private:
  void SetCount(uint32_t count);

  std::string rep_;
  uint64_t user_bytes_ = 0;
};

}  // namespace shale::storage
