#include "storage/write_batch.h"

#include "storage/coding.h"

namespace shale::storage {

namespace {

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

void PutCounterEntry(BatchOp op, uint32_t counter, uint64_t operand, std::string* dst) {
  dst->push_back(static_cast<char>(op));
  PutVarint32(dst, counter);
  PutVarint64(dst, operand);
}

// Parses (and with a handler, delivers) every entry after the header.
Status ParseEntries(std::string_view input, uint64_t sequence, uint32_t count,
                    WriteBatch::Handler* handler) {
  for (uint32_t i = 0; i < count; ++i) {
    if (input.empty()) return Status::Corruption("write batch: fewer entries than its count");
    const auto op = static_cast<BatchOp>(input[0]);
    input.remove_prefix(1);
    std::string_view key;
    std::string_view value;
    uint32_t number = 0;
    uint64_t operand = 0;
    switch (op) {
      case BatchOp::kPut:
        if (!GetLengthPrefixed(&input, &key) || !GetLengthPrefixed(&input, &value)) {
          return Status::Corruption("write batch: bad put entry");
        }
        if (handler) handler->Put(sequence + i, key, value);
        break;
      case BatchOp::kDelete:
        if (!GetLengthPrefixed(&input, &key)) {
          return Status::Corruption("write batch: bad delete entry");
        }
        if (handler) handler->Delete(sequence + i, key);
        break;
      case BatchOp::kDropGroup:
        if (!GetVarint32(&input, &number) || number > 0xffff) {
          return Status::Corruption("write batch: bad group drop entry");
        }
        if (handler) handler->DropGroup(sequence + i, static_cast<uint16_t>(number));
        break;
      case BatchOp::kAddCounter:
      case BatchOp::kSetCounter:
        if (!GetVarint32(&input, &number) || !GetVarint64(&input, &operand)) {
          return Status::Corruption("write batch: bad counter entry");
        }
        if (handler == nullptr) break;
        if (op == BatchOp::kAddCounter) {
          handler->AddCounter(number, UnZigZag(operand));
        } else {
          handler->SetCounter(number, static_cast<int64_t>(operand));
        }
        break;
      case BatchOp::kParticipants: {
        uint32_t n = 0;
        if (i + 1 != count || !GetVarint32(&input, &n) || n < 2) {
          return Status::Corruption("write batch: bad participants entry");
        }
        std::vector<TxnParticipant> parts(n);
        for (TxnParticipant& part : parts) {
          if (!GetVarint32(&input, &part.shard) || !GetVarint64(&input, &part.first_sequence) ||
              !GetVarint32(&input, &part.count) || part.count == 0) {
            return Status::Corruption("write batch: bad participants entry");
          }
        }
        if (handler) handler->Participants(parts);
        break;
      }
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

void WriteBatch::Clear() {
  rep_.assign(kHeaderSize, '\0');
  user_bytes_ = 0;
}

void WriteBatch::Put(std::string_view key, std::string_view value_prefix, std::string_view value) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kPut));
  PutLengthPrefixed(&rep_, key);
  PutVarint32(&rep_, static_cast<uint32_t>(value_prefix.size() + value.size()));
  rep_.append(value_prefix.data(), value_prefix.size());
  rep_.append(value.data(), value.size());
  user_bytes_ += key.size() + value.size();
}

void WriteBatch::Delete(std::string_view key) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kDelete));
  PutLengthPrefixed(&rep_, key);
  user_bytes_ += key.size();
}

void WriteBatch::DropGroup(uint16_t group) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kDropGroup));
  PutVarint32(&rep_, group);
}

void WriteBatch::AddCounter(uint32_t counter, int64_t delta) {
  SetCount(count() + 1);
  PutCounterEntry(BatchOp::kAddCounter, counter, ZigZag(delta), &rep_);
}

void WriteBatch::SetCounter(uint32_t counter, int64_t value) {
  SetCount(count() + 1);
  PutCounterEntry(BatchOp::kSetCounter, counter, static_cast<uint64_t>(value), &rep_);
}

void WriteBatch::AddParticipants(const std::vector<TxnParticipant>& parts) {
  SetCount(count() + 1);
  rep_.push_back(static_cast<char>(BatchOp::kParticipants));
  PutVarint32(&rep_, static_cast<uint32_t>(parts.size()));
  for (const TxnParticipant& part : parts) {
    PutVarint32(&rep_, part.shard);
    PutVarint64(&rep_, part.first_sequence);
    PutVarint32(&rep_, part.count);
  }
}

void WriteBatch::Append(const WriteBatch& other) {
  SetCount(count() + other.count());
  rep_.append(other.rep_, kHeaderSize);
  user_bytes_ += other.user_bytes_;
}

uint32_t WriteBatch::AppendSinglePut(uint64_t sequence, std::string_view key,
                                     std::string_view value_prefix, std::string_view value,
                                     const CounterDelta* counters, size_t counter_count,
                                     std::string* dst) {
  const auto count = static_cast<uint32_t>(1 + counter_count);
  PutFixed64(dst, sequence);
  PutFixed32(dst, count);
  dst->push_back(static_cast<char>(BatchOp::kPut));
  PutLengthPrefixed(dst, key);
  PutVarint32(dst, static_cast<uint32_t>(value_prefix.size() + value.size()));
  dst->append(value_prefix.data(), value_prefix.size());
  dst->append(value.data(), value.size());
  for (size_t i = 0; i < counter_count; ++i) {
    PutCounterEntry(BatchOp::kAddCounter, counters[i].counter, ZigZag(counters[i].delta), dst);
  }
  return count;
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
