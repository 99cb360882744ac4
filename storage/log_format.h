// WAL file format (also the record format of the future manifest).
//
// A log file `NNNNNN.log` is a sequence of records, each:
//
//   +-------------+------------------+-----------+---------------------+
//   | len: u32 LE | checksum: u32 LE | type: u8  | payload: len bytes  |
//   +-------------+------------------+-----------+---------------------+
//
//   len      = payload length (the 9-byte record header is not counted)
//   checksum = low 32 bits of XXH3_64bits over the type byte followed by the payload
//   type     = RecordType below; 0 is never written, so a zero-filled region never parses
//
// The first record of every file is a kHeader record whose payload is:
//
//   magic "SHALEWAL" (8 bytes) | format version u32 | shard index u32 | file number u64
//
// Every further record is a kBatch record whose payload is a write batch (write_batch.h).
// A record is written with one Append and never spans files; records are not aligned or
// padded. A file that ends inside a record (or in bytes that cannot start one, such as zeros)
// has a torn tail: what a crash during an append leaves. A bad record followed by a valid one
// is corruption, and so is a complete last record (its length fits the file) whose checksum
// fails: a torn append shortens a record, it does not change its bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace shale::storage::log {

enum class RecordType : uint8_t {
  kHeader = 1,
  kBatch = 2,
};

constexpr size_t kRecordHeaderSize = 4 + 4 + 1;  // len, checksum, type
// The largest payload a record's u32 length holds.
constexpr uint64_t kMaxRecordPayload = 0xffffffffULL;
// The largest command the server accepts (proto-max-bulk-len, client-query-buffer-limit): its
// batch record (entries no larger than the command's RESP encoding, plus a small header) must
// fit kMaxRecordPayload, with a megabyte to spare.
constexpr uint64_t kMaxCommandBytes = kMaxRecordPayload - (uint64_t{1} << 20);
constexpr std::string_view kMagic = "SHALEWAL";
// Version 1 had the batch ops of Redis key counts (write_batch.h); it is refused.
constexpr uint32_t kFormatVersion = 2;
constexpr size_t kHeaderPayloadSize = 8 + 4 + 4 + 8;

// Checksum of a record: `type_and_payload` is the type byte followed by the payload.
uint32_t RecordChecksum(std::string_view type_and_payload);

inline bool IsKnownRecordType(uint8_t type) {
  return type == static_cast<uint8_t>(RecordType::kHeader) ||
         type == static_cast<uint8_t>(RecordType::kBatch);
}

}  // namespace shale::storage::log
