// Encoding of WAL records (format in log_format.h) and appending them to a file.
//
// The shard encodes records into its in-memory log buffer with AppendRecord() as writes
// arrive, and later writes the whole buffer to the file with one Append (group commit). A
// LogWriter owns nothing but a shared reference to the file, so a background thread may Sync
// it while the event loop appends.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "storage/file_system.h"
#include "storage/log_format.h"
#include "storage/status.h"

namespace shale::storage::log {

// Appends one encoded record to `*dst`.
void AppendRecord(RecordType type, std::string_view payload, std::string* dst);
// The same record built in place, for a payload too large to copy: BeginRecord() reserves the
// header and returns where it starts; the caller appends the payload to *dst; FinishRecord()
// fills in length and checksum.
size_t BeginRecord(std::string* dst);
void FinishRecord(RecordType type, size_t start, std::string* dst);

// The header record's payload.
struct FileHeader {
  uint32_t format_version = kFormatVersion;
  uint32_t shard_index = 0;
  uint64_t file_number = 0;
};
std::string EncodeHeaderPayload(const FileHeader& header);

class LogWriter {
 public:
  explicit LogWriter(std::shared_ptr<WritableFile> file) : file_(std::move(file)) {}

  // Creates `path` with its header record (not yet synced).
  static Status Create(FileSystem* fs, const std::string& path, const FileHeader& header,
                       std::unique_ptr<LogWriter>* writer);

  // Appends already-encoded records.
  Status AppendEncoded(std::string_view records) { return file_->Append(records); }
  // Encodes and appends one record.
  Status AddRecord(RecordType type, std::string_view payload);
  Status Sync() { return file_->Sync(); }
  uint64_t Size() const { return file_->Size(); }
  const std::shared_ptr<WritableFile>& file() const { return file_; }

 private:
  std::shared_ptr<WritableFile> file_;
};

}  // namespace shale::storage::log
