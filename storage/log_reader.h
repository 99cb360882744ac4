// Reading a WAL file (format in log_format.h), telling apart every way it can end:
//
//   kRecord      a valid batch record; payload() views it until the next call
//   kEnd         clean end of file (also: an empty file, which has not even its header)
//   kTornTail    the record at bad_offset() is incomplete (its header is cut short, its length
//                runs past the end of the file) or unreadable as a record at all (an unknown
//                type byte, e.g. a zero-filled region) and no valid record follows it: what a
//                crash in the middle of an append leaves. Further calls: kEnd.
//   kCorruptTail the last record, at bad_offset(), is complete (its length field fits the
//                file and its type is known) but its checksum does not hold, and no valid
//                record follows it. A torn append shortens a record, it does not change its
//                bytes, so this is damage, not a crash's leftover. Further calls: kEnd.
//   kCorruption  the record at bad_offset() is bad but a valid record starts at
//                resume_offset(): damage in the middle. The next call returns that record.
//   kBadHeader   the file does not start with a valid header record for this shard:
//                - foreign(): the first record is valid but is not a Shale WAL header of a
//                  supported version for the expected shard (a foreign file); further calls
//                  return kEnd;
//                - otherwise the header record is garbled but a valid record follows at
//                  resume_offset(); the next call returns it.
//   kIOError     reading failed; status() says why. Further calls: kEnd.
//
// Whether a bad record is torn or corrupt is found by scanning forward byte by byte for a
// position where a valid batch record starts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/file_system.h"
#include "storage/log_format.h"
#include "storage/log_writer.h"
#include "storage/status.h"

namespace shale::storage::log {

class LogReader {
 public:
  enum class Outcome { kRecord, kEnd, kTornTail, kCorruptTail, kCorruption, kBadHeader, kIOError };

  // Reads `file` of `file_size` bytes; not owned. When `expected_shard` is set, a header naming
  // another shard makes the file foreign.
  LogReader(const RandomAccessFile* file, uint64_t file_size,
            std::optional<uint32_t> expected_shard = std::nullopt);

  LogReader(const LogReader&) = delete;
  LogReader& operator=(const LogReader&) = delete;

  Outcome Next();

  // The last kRecord's payload and offset of its first byte.
  std::string_view payload() const { return payload_; }
  uint64_t record_offset() const { return record_offset_; }
  // Offset just past the last valid record read (header included).
  uint64_t valid_end() const { return valid_end_; }
  // For kTornTail / kCorruptTail / kCorruption / kBadHeader: where the bad bytes start, why they
  // are bad, and (kCorruption, garbled header) where valid records resume.
  uint64_t bad_offset() const { return bad_offset_; }
  uint64_t resume_offset() const { return resume_offset_; }
  const std::string& bad_reason() const { return bad_reason_; }
  bool foreign() const { return foreign_; }
  // The header, once the first call to Next() has read a valid one.
  const std::optional<FileHeader>& header() const { return header_; }
  const Status& status() const { return status_; }
  uint64_t file_size() const { return file_size_; }

  // Parses a header record's payload; false with *reason when it is not a supported header.
  static bool ParseHeaderPayload(std::string_view payload, FileHeader* header, std::string* reason);

 private:
  // Makes bytes [offset, offset + n) of the file available in *out; false when they extend
  // past the end of the file or a read fails (then status_ is set).
  bool Fetch(uint64_t offset, size_t n, std::string_view* out);
  // True when a valid record of an acceptable type starts at `offset` (any known type when
  // `any_type`, else only kBatch); fills *type, *payload, or *reason when invalid. When
  // `complete` is non-null it says, for an invalid record, whether the record is whole (header
  // read, known type, length within the file) and only its checksum fails.
  bool ParseAt(uint64_t offset, bool any_type, RecordType* type, std::string_view* payload,
               std::string* reason, bool* complete = nullptr);
  // The first offset after `from` where a valid batch record starts, if any.
  std::optional<uint64_t> FindNextValidRecord(uint64_t from);
  Outcome ReadHeader();
  Outcome Bad(uint64_t offset, std::string reason, bool header, bool complete);

  const RandomAccessFile* const file_;
  const uint64_t file_size_;
  const std::optional<uint32_t> expected_shard_;

  std::string buffer_;          // a window of the file
  uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  std::string scratch_;

  bool started_ = false;
  bool done_ = false;
  uint64_t offset_ = 0;  // where the next record is expected
  std::string_view payload_;
  uint64_t record_offset_ = 0;
  uint64_t valid_end_ = 0;
  uint64_t bad_offset_ = 0;
  uint64_t resume_offset_ = 0;
  std::string bad_reason_;
  bool foreign_ = false;
  std::optional<FileHeader> header_;
  Status status_;
};

}  // namespace shale::storage::log
