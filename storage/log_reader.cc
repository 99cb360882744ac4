#include "storage/log_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "storage/coding.h"

namespace shale::storage::log {

namespace {
// How much of the file is read at once; a record larger than this is read whole.
constexpr size_t kReadWindow = 256 * 1024;
}  // namespace

LogReader::LogReader(const RandomAccessFile* file, uint64_t file_size,
                     std::optional<uint32_t> expected_shard)
    : file_(file), file_size_(file_size), expected_shard_(expected_shard) {}

bool LogReader::Fetch(uint64_t offset, size_t n, std::string_view* out) {
  if (offset > file_size_ || n > file_size_ - offset) return false;
  if (offset >= buffer_offset_ && offset + n <= buffer_offset_ + buffer_.size()) {
    *out = std::string_view(buffer_).substr(static_cast<size_t>(offset - buffer_offset_), n);
    return true;
  }
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(std::max(n, kReadWindow), file_size_ - offset));
  scratch_.resize(want);
  std::string_view got;
  Status s = file_->Read(offset, want, scratch_.data(), &got);
  if (!s.ok()) {
    status_ = s;
    return false;
  }
  buffer_.assign(got.data(), got.size());
  buffer_offset_ = offset;
  if (buffer_.size() < n) {
    status_ = Status::IOError("short read from WAL file at offset " + std::to_string(offset));
    return false;
  }
  *out = std::string_view(buffer_).substr(0, n);
  return true;
}

bool LogReader::ParseAt(uint64_t offset, bool any_type, RecordType* type, std::string_view* payload,
                        std::string* reason, bool* complete) {
  if (complete != nullptr) *complete = false;
  std::string_view header;
  if (!Fetch(offset, kRecordHeaderSize, &header)) {
    *reason = "incomplete record header";
    return false;
  }
  const uint32_t len = DecodeFixed32(header.data());
  const uint32_t checksum = DecodeFixed32(header.data() + 4);
  const uint8_t raw_type = static_cast<uint8_t>(header[8]);
  if (!IsKnownRecordType(raw_type)) {
    *reason = "unknown record type " + std::to_string(raw_type);
    return false;
  }
  if (!any_type && raw_type != static_cast<uint8_t>(RecordType::kBatch)) {
    *reason = "unexpected record type " + std::to_string(raw_type);
    return false;
  }
  if (len > file_size_ - offset - kRecordHeaderSize) {
    *reason = "record length " + std::to_string(len) + " runs past the end of the file";
    return false;
  }
  std::string_view body;  // type byte + payload
  if (!Fetch(offset + kRecordHeaderSize - 1, 1 + static_cast<size_t>(len), &body)) {
    *reason = "unreadable record";
    return false;
  }
  if (RecordChecksum(body) != checksum) {
    *reason = "checksum mismatch";
    if (complete != nullptr) *complete = true;
    return false;
  }
  *type = static_cast<RecordType>(raw_type);
  *payload = body.substr(1);
  return true;
}

std::optional<uint64_t> LogReader::FindNextValidRecord(uint64_t from) {
  RecordType type;
  std::string_view payload;
  std::string reason;
  for (uint64_t candidate = from + 1; candidate + kRecordHeaderSize <= file_size_; ++candidate) {
    // Cheap filter before the checksum: the type byte must say kBatch.
    std::string_view type_byte;
    if (!Fetch(candidate + kRecordHeaderSize - 1, 1, &type_byte)) return std::nullopt;
    if (static_cast<uint8_t>(type_byte[0]) != static_cast<uint8_t>(RecordType::kBatch)) continue;
    if (ParseAt(candidate, /*any_type=*/false, &type, &payload, &reason)) return candidate;
    if (!status_.ok()) return std::nullopt;
  }
  return std::nullopt;
}

LogReader::Outcome LogReader::Bad(uint64_t offset, std::string reason, bool header, bool complete) {
  bad_offset_ = offset;
  bad_reason_ = std::move(reason);
  std::optional<uint64_t> next = FindNextValidRecord(offset);
  if (!status_.ok()) {
    done_ = true;
    return Outcome::kIOError;
  }
  if (!next) {
    done_ = true;
    return complete ? Outcome::kCorruptTail : Outcome::kTornTail;
  }
  resume_offset_ = *next;
  offset_ = *next;
  return header ? Outcome::kBadHeader : Outcome::kCorruption;
}

bool LogReader::ParseHeaderPayload(std::string_view payload, FileHeader* header,
                                   std::string* reason) {
  if (payload.size() < kHeaderPayloadSize || payload.substr(0, kMagic.size()) != kMagic) {
    *reason = "not a Shale WAL file (bad magic)";
    return false;
  }
  payload.remove_prefix(kMagic.size());
  GetFixed32(&payload, &header->format_version);
  GetFixed32(&payload, &header->shard_index);
  GetFixed64(&payload, &header->file_number);
  if (header->format_version != kFormatVersion) {
    *reason = "unsupported WAL format version " + std::to_string(header->format_version) +
              " (this build reads version " + std::to_string(kFormatVersion) + ")";
    return false;
  }
  return true;
}

LogReader::Outcome LogReader::ReadHeader() {
  started_ = true;
  if (file_size_ == 0) {
    done_ = true;
    return Outcome::kEnd;
  }
  RecordType type;
  std::string_view payload;
  std::string reason;
  bool complete = false;
  if (!ParseAt(0, /*any_type=*/true, &type, &payload, &reason, &complete)) {
    if (!status_.ok()) {
      done_ = true;
      return Outcome::kIOError;
    }
    return Bad(0, "bad header record: " + reason, /*header=*/true, complete);
  }
  FileHeader header;
  if (type != RecordType::kHeader) {
    reason = "first record is not a header (not a Shale WAL file)";
  } else if (ParseHeaderPayload(payload, &header, &reason)) {
    if (!expected_shard_ || header.shard_index == *expected_shard_) {
      header_ = header;
      offset_ = valid_end_ = kRecordHeaderSize + payload.size();
      return Outcome::kRecord;  // internal: the caller goes on to the first batch
    }
    reason = "header names shard " + std::to_string(header.shard_index) + ", expected shard " +
             std::to_string(*expected_shard_);
  }
  bad_offset_ = 0;
  bad_reason_ = std::move(reason);
  foreign_ = true;
  done_ = true;
  return Outcome::kBadHeader;
}

LogReader::Outcome LogReader::Next() {
  if (done_) return Outcome::kEnd;
  if (!started_) {
    Outcome header = ReadHeader();
    if (header != Outcome::kRecord) return header;
  }
  if (offset_ == file_size_) {
    done_ = true;
    return Outcome::kEnd;
  }
  RecordType type;
  std::string_view payload;
  std::string reason;
  bool complete = false;
  if (!ParseAt(offset_, /*any_type=*/false, &type, &payload, &reason, &complete)) {
    if (!status_.ok()) {
      done_ = true;
      return Outcome::kIOError;
    }
    return Bad(offset_, std::move(reason), /*header=*/false, complete);
  }
  payload_ = payload;
  record_offset_ = offset_;
  offset_ += kRecordHeaderSize + payload.size();
  valid_end_ = offset_;
  return Outcome::kRecord;
}

}  // namespace shale::storage::log
