#include "storage/write_batch.h"

#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::storage {

namespace {

// Parses (and with a handler, delivers) every entry after the header.
Status ParseEntries(std::string_view input, uint64_t sequence, uint32_t count,
                    WriteBatch::Handler* handler) {
  for (uint32_t i = 0; i < count; ++i) {
    if (input.empty()) return Status::Corruption("write batch: fewer entries than its count");
    const auto op = static_cast<BatchOp>(input[0]);
    input.remove_prefix(1);
    std::string_view key;
    std::string_view value;
    uint32_t db = 0;
    switch (op) {
      case BatchOp::kPutNew:
      case BatchOp::kPutOverwrite:
        if (!GetLengthPrefixed(&input, &key) || key.size() < kDbPrefixSize ||
            !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch: bad put entry");
        }
        if (handler) handler->Put(sequence + i, key, value, op == BatchOp::kPutNew);
        break;
      case BatchOp::kDeleteExisting:
        if (!GetLengthPrefixed(&input, &key) || key.size() < kDbPrefixSize) {
          return Status::Corruption("write batch: bad delete entry");
        }
        if (handler) handler->Delete(sequence + i, key);
        break;
      case BatchOp::kFlushDb:
        if (!GetVarint32(&input, &db) || db > 0xffff) {
          return Status::Corruption("write batch: bad flushdb entry");
        }
        if (handler) handler->FlushDb(sequence + i, db);
        break;
      default:
        return Status::Corruption("write batch: unknown op " +
                                  std::to_string(static_cast<unsigned>(op)));
    }
  }
  if (!input.empty()) return Status::Corruption("write batch: trailing bytes after the entries");
  return Status::Ok();
}

}  // namespace

WriteBatch::WriteBatch() { Clear(); }

void WriteBatch::Clear() { rep_.assign(kHeaderSize, '\0'); }

void WriteBatch::AddPut(BatchOp op, std::string_view key, std::string_view value) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(op));
  PutLengthPrefixed(&rep_, key);
  PutLengthPrefixed(&rep_, value);
}

void WriteBatch::AppendSinglePut(uint64_t sequence, BatchOp op, std::string_view key,
                                 std::string_view value_header, std::string_view value,
                                 std::string* dst) {
  PutFixed64(dst, sequence);
  PutFixed32(dst, 1);
  dst->push_back(static_cast<char>(op));
  PutLengthPrefixed(dst, key);
  PutVarint32(dst, static_cast<uint32_t>(value_header.size() + value.size()));
  dst->append(value_header.data(), value_header.size());
  dst->append(value.data(), value.size());
}

void WriteBatch::DeleteExisting(std::string_view key) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kDeleteExisting));
  PutLengthPrefixed(&rep_, key);
}

void WriteBatch::FlushDb(uint32_t db) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kFlushDb));
  PutVarint32(&rep_, db);
}

void WriteBatch::set_sequence(uint64_t sequence) { EncodeFixed64(rep_.data(), sequence); }
uint64_t WriteBatch::sequence() const { return DecodeFixed64(rep_.data()); }
uint32_t WriteBatch::count() const { return DecodeFixed32(rep_.data() + 8); }
void WriteBatch::SetCount(uint32_t count) { EncodeFixed32(rep_.data() + 8, count); }

Status WriteBatch::ReadHeader(std::string_view payload, uint64_t* sequence, uint32_t* count) {
  if (payload.size() < kHeaderSize) return Status::Corruption("write batch: too short");
  *sequence = DecodeFixed64(payload.data());
  *count = DecodeFixed32(payload.data() + 8);
  return Status::Ok();
}

Status WriteBatch::Iterate(std::string_view payload, Handler* handler) {
  uint64_t sequence = 0;
  uint32_t count = 0;
  Status s = ReadHeader(payload, &sequence, &count);
  if (!s.ok()) return s;
  payload.remove_prefix(kHeaderSize);
  s = ParseEntries(payload, sequence, count, nullptr);
  if (!s.ok() || handler == nullptr) return s;
  return ParseEntries(payload, sequence, count, handler);
}

}  // namespace shale::storage
