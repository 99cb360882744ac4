#include "storage/log_writer.h"

#include <xxhash.h>

#include "storage/coding.h"

namespace shale::storage::log {

uint32_t RecordChecksum(std::string_view type_and_payload) {
  return static_cast<uint32_t>(XXH3_64bits(type_and_payload.data(), type_and_payload.size()));
}

void AppendRecord(RecordType type, std::string_view payload, std::string* dst) {
  const size_t start = BeginRecord(dst);
  dst->append(payload.data(), payload.size());
  FinishRecord(type, start, dst);
}

size_t BeginRecord(std::string* dst) {
  const size_t start = dst->size();
  dst->resize(start + kRecordHeaderSize);
  return start;
}

void FinishRecord(RecordType type, size_t start, std::string* dst) {
  char* record = dst->data() + start;
  const size_t payload_size = dst->size() - start - kRecordHeaderSize;
  record[8] = static_cast<char>(type);
  EncodeFixed32(record, static_cast<uint32_t>(payload_size));
  // Type and payload are contiguous in the buffer, so the checksum needs no copy.
  EncodeFixed32(record + 4, RecordChecksum(std::string_view(record + 8, 1 + payload_size)));
}

std::string EncodeHeaderPayload(const FileHeader& header) {
  std::string payload(kMagic);
  PutFixed32(&payload, header.format_version);
  PutFixed32(&payload, header.shard_index);
  PutFixed64(&payload, header.file_number);
  return payload;
}

Status LogWriter::Create(FileSystem* fs, const std::string& path, const FileHeader& header,
                         std::unique_ptr<LogWriter>* writer) {
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  auto result = std::make_unique<LogWriter>(std::shared_ptr<WritableFile>(std::move(file)));
  s = result->AddRecord(RecordType::kHeader, EncodeHeaderPayload(header));
  if (!s.ok()) return s;
  *writer = std::move(result);
  return Status::Ok();
}

Status LogWriter::AddRecord(RecordType type, std::string_view payload) {
  std::string record;
  AppendRecord(type, payload, &record);
  return file_->Append(record);
}

}  // namespace shale::storage::log
