// Fuzz target for the WAL reader (storage/log_reader.h) and write-batch decoding
// (storage/write_batch.h).
//
// The input is a WAL file image. It is read to the end the way recovery reads it; each batch
// record is decoded. Invariants checked: every record lies inside the file, after the previous
// one, with the right record header in front of it; a bad record's offset lies inside the
// file and, for corruption, valid records resume after it; reading ends (the number of
// outcomes is bounded by the file size); decoding a batch never reads past it, and a batch
// that decodes yields exactly its count of entries, entry i with sequence first + i (counter
// and participants entries take theirs too), a participants entry last and naming at least
// two parts of at least one entry each. The image is read both as shard 0's file and as any
// shard's file; expecting a shard never adds records. The seeds are WAL files of format
// version 2, and one of version 1, which the reader refuses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/write_batch.h"

namespace {

using shale::storage::NewStringRandomAccessFile;
using shale::storage::Status;
using shale::storage::TxnParticipant;
using shale::storage::WriteBatch;
using shale::storage::log::LogReader;
using Outcome = shale::storage::log::LogReader::Outcome;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "wal_reader_fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

class CountingHandler final : public WriteBatch::Handler {
 public:
  CountingHandler(uint64_t first, uint32_t count) : first_(first), count_(count) {}
  void Put(uint64_t sequence, std::string_view, std::string_view) override { Sequenced(sequence); }
  void Delete(uint64_t sequence, std::string_view) override { Sequenced(sequence); }
  void DropGroup(uint64_t sequence, uint16_t) override { Sequenced(sequence); }
  void AddCounter(uint32_t, int64_t) override { ++entries_; }
  void SetCounter(uint32_t, int64_t) override { ++entries_; }
  void Participants(const std::vector<TxnParticipant>& parts) override {
    Check(entries_ + 1 == count_, "the participants entry comes last");
    Check(parts.size() >= 2, "an atomic write across shards has two parts or more");
    for (const TxnParticipant& part : parts) Check(part.count > 0, "a part has entries");
    ++entries_;
  }
  uint64_t entries() const { return entries_; }

 private:
  void Sequenced(uint64_t sequence) {
    Check(sequence == first_ + entries_, "entry i has sequence first + i");
    ++entries_;
  }
  const uint64_t first_;
  const uint32_t count_;
  uint64_t entries_ = 0;
};

std::vector<std::string> ReadImage(const std::string& image, std::optional<uint32_t> shard) {
  auto file = NewStringRandomAccessFile(image);
  LogReader reader(file.get(), image.size(), shard);
  std::vector<std::string> records;
  uint64_t previous_end = 0;
  // Each outcome consumes at least one byte of the file, so this many calls always suffice.
  const size_t max_calls = image.size() + 3;
  for (size_t call = 0;; ++call) {
    Check(call < max_calls, "reading ends");
    const Outcome o = reader.Next();
    if (o == Outcome::kEnd) break;
    Check(o != Outcome::kIOError, "in-memory reads do not fail");
    if (o == Outcome::kRecord) {
      const uint64_t offset = reader.record_offset();
      const std::string_view payload = reader.payload();
      Check(offset >= previous_end, "records do not overlap");
      Check(offset + shale::storage::log::kRecordHeaderSize + payload.size() <= image.size(),
            "records lie inside the file");
      Check(std::string_view(image).substr(offset + shale::storage::log::kRecordHeaderSize,
                                           payload.size()) == payload,
            "the payload is the file's bytes");
      previous_end = offset + shale::storage::log::kRecordHeaderSize + payload.size();
      records.emplace_back(payload);

      uint64_t first = 0;
      uint32_t count = 0;
      if (WriteBatch::ReadHeader(payload, &first, &count).ok()) {
        CountingHandler handler(first, count);
        Status s = WriteBatch::Iterate(payload, &handler);
        if (s.ok()) {
          Check(handler.entries() == count, "a decoded batch has its count of entries");
        } else {
          Check(handler.entries() == 0, "a malformed batch hands over no entry");
        }
      }
      continue;
    }
    Check(reader.bad_offset() <= image.size(), "bad offset inside the file");
    Check(reader.bad_offset() >= previous_end, "bad record after the last good one");
    if (o == Outcome::kCorruption || (o == Outcome::kBadHeader && !reader.foreign())) {
      Check(reader.resume_offset() > reader.bad_offset(), "reading resumes after the damage");
      Check(reader.resume_offset() < image.size(), "resumes inside the file");
      previous_end = reader.resume_offset();
    }
  }
  return records;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string image(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> any_shard = ReadImage(image, std::nullopt);
  std::vector<std::string> shard0 = ReadImage(image, 0u);
  Check(shard0.size() <= any_shard.size(), "an expected shard never adds records");
  return 0;
}
