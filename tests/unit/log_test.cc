// WAL writer, reader and recovery (log_format.h, log_writer.h, log_reader.h, wal_recovery.h).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/coding.h"
#include "storage/file_system.h"
#include "storage/log_format.h"
#include "storage/log_reader.h"
#include "storage/log_writer.h"
#include "storage/wal_recovery.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using log::LogReader;
using Outcome = log::LogReader::Outcome;

using shale::test_util::TempDir;

std::string Header(uint32_t shard, uint64_t number = 1) {
  std::string out;
  log::AppendRecord(log::RecordType::kHeader,
                    log::EncodeHeaderPayload({log::kFormatVersion, shard, number}), &out);
  return out;
}

std::string Batch(std::string_view payload) {
  std::string out;
  log::AppendRecord(log::RecordType::kBatch, payload, &out);
  return out;
}

// A file image: header then one batch record per payload; *offsets gets each record's offset.
std::string Image(const std::vector<std::string>& payloads,
                  std::vector<uint64_t>* offsets = nullptr, uint32_t shard = 0) {
  std::string image = Header(shard);
  for (const std::string& p : payloads) {
    if (offsets) offsets->push_back(image.size());
    image += Batch(p);
  }
  return image;
}

struct ReadResult {
  std::vector<std::string> records;
  std::vector<Outcome> outcomes;  // every non-record outcome, in order, ending with the last
  uint64_t bad_offset = 0;
  uint64_t resume_offset = 0;
  bool foreign = false;
};

ReadResult ReadAll(const std::string& image, uint32_t shard = 0) {
  auto file = NewStringRandomAccessFile(image);
  LogReader reader(file.get(), image.size(), shard);
  ReadResult result;
  for (int guard = 0; guard < 10000; ++guard) {
    Outcome o = reader.Next();
    if (o == Outcome::kRecord) {
      result.records.emplace_back(reader.payload());
      continue;
    }
    result.outcomes.push_back(o);
    if (o == Outcome::kCorruption || o == Outcome::kBadHeader || o == Outcome::kTornTail ||
        o == Outcome::kCorruptTail) {
      result.bad_offset = reader.bad_offset();
      result.resume_offset = reader.resume_offset();
      result.foreign = reader.foreign();
    }
    if (o == Outcome::kEnd || o == Outcome::kIOError) break;
  }
  return result;
}

TEST(LogFormatTest, RecordLayout) {
  std::string record = Batch("abc");
  ASSERT_EQ(record.size(), log::kRecordHeaderSize + 3);
  EXPECT_EQ(DecodeFixed32(record.data()), 3u);
  EXPECT_EQ(static_cast<uint8_t>(record[8]), 2);
  EXPECT_EQ(DecodeFixed32(record.data() + 4), log::RecordChecksum(std::string("\x02"
                                                                              "abc",
                                                                              4)));
  EXPECT_EQ(record.substr(9), "abc");

  std::string header = Header(7, 42);
  ASSERT_EQ(header.size(), log::kRecordHeaderSize + log::kHeaderPayloadSize);
  EXPECT_EQ(header.substr(9, 8), "SHALEWAL");
  EXPECT_EQ(DecodeFixed32(header.data() + 17), log::kFormatVersion);
  EXPECT_EQ(DecodeFixed32(header.data() + 21), 7u);
  EXPECT_EQ(DecodeFixed64(header.data() + 25), 42u);
}

TEST(LogTest, WriterReaderRoundTripThroughFiles) {
  TempDir dir;
  FileSystem* fs = DefaultFileSystem();
  const std::string path = JoinPath(dir.path(), "000001.log");
  std::unique_ptr<log::LogWriter> writer;
  ASSERT_TRUE(log::LogWriter::Create(fs, path, {log::kFormatVersion, 3, 1}, &writer).ok());
  std::vector<std::string> payloads = {"first", "", std::string(600000, 'x'), "last"};
  std::string buffered;
  log::AppendRecord(log::RecordType::kBatch, payloads[0], &buffered);
  log::AppendRecord(log::RecordType::kBatch, payloads[1], &buffered);
  ASSERT_TRUE(writer->AppendEncoded(buffered).ok());
  ASSERT_TRUE(writer->AddRecord(log::RecordType::kBatch, payloads[2]).ok());
  ASSERT_TRUE(writer->AddRecord(log::RecordType::kBatch, payloads[3]).ok());
  ASSERT_TRUE(writer->Sync().ok());
  writer.reset();

  uint64_t size = 0;
  ASSERT_TRUE(fs->GetFileSize(path, &size).ok());
  std::unique_ptr<RandomAccessFile> file;
  ASSERT_TRUE(fs->NewRandomAccessFile(path, &file).ok());
  LogReader reader(file.get(), size, 3u);
  for (const std::string& p : payloads) {
    ASSERT_EQ(reader.Next(), Outcome::kRecord);
    EXPECT_EQ(reader.payload(), p);
  }
  EXPECT_EQ(reader.Next(), Outcome::kEnd);
  EXPECT_EQ(reader.Next(), Outcome::kEnd);
  ASSERT_TRUE(reader.header().has_value());
  EXPECT_EQ(reader.header()->shard_index, 3u);
  EXPECT_EQ(reader.header()->file_number, 1u);
  EXPECT_EQ(reader.valid_end(), size);
}

TEST(LogTest, EmptyFileIsACleanEnd) {
  ReadResult r = ReadAll("");
  EXPECT_TRUE(r.records.empty());
  ASSERT_EQ(r.outcomes.size(), 1u);
  EXPECT_EQ(r.outcomes[0], Outcome::kEnd);
}

TEST(LogTest, HeaderOnlyFileIsACleanEnd) {
  ReadResult r = ReadAll(Header(0));
  EXPECT_TRUE(r.records.empty());
  EXPECT_EQ(r.outcomes, std::vector<Outcome>{Outcome::kEnd});
}

TEST(LogTest, TornTailAtEveryByteOfTheLastRecord) {
  std::vector<uint64_t> offsets;
  const std::string image = Image({"one", "two", "the last record"}, &offsets);
  for (size_t cut = offsets[2] + 1; cut < image.size(); ++cut) {
    ReadResult r = ReadAll(image.substr(0, cut));
    ASSERT_EQ(r.records.size(), 2u) << cut;
    EXPECT_EQ(r.records[1], "two");
    EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::kTornTail, Outcome::kEnd})) << cut;
    EXPECT_EQ(r.bad_offset, offsets[2]) << cut;
  }
  // Cut exactly at a record boundary: clean.
  ReadResult clean = ReadAll(image.substr(0, offsets[2]));
  EXPECT_EQ(clean.records.size(), 2u);
  EXPECT_EQ(clean.outcomes, std::vector<Outcome>{Outcome::kEnd});
}

TEST(LogTest, TornHeaderAtEveryByte) {
  const std::string header = Header(0);
  for (size_t cut = 1; cut < header.size(); ++cut) {
    ReadResult r = ReadAll(header.substr(0, cut));
    EXPECT_TRUE(r.records.empty());
    EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::kTornTail, Outcome::kEnd})) << cut;
    EXPECT_EQ(r.bad_offset, 0u);
  }
}

// A torn append shortens the last record; it does not flip its bytes. A complete last record
// whose checksum fails is damage.
TEST(LogTest, FlippedByteInACompleteLastRecordIsCorruptionNotATornTail) {
  std::vector<uint64_t> offsets;
  const std::string image = Image({"one", "two"}, &offsets);
  for (size_t damage = offsets[1] + 4; damage < image.size(); ++damage) {
    if (damage == offsets[1] + 8) continue;  // the type byte: an unknown type is a torn tail
    std::string flipped = image;
    flipped[damage] ^= 0x40;
    ReadResult r = ReadAll(flipped);
    EXPECT_EQ(r.records, std::vector<std::string>{"one"}) << damage;
    EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::kCorruptTail, Outcome::kEnd})) << damage;
    EXPECT_EQ(r.bad_offset, offsets[1]) << damage;
  }
  // A length field flipped so that the record runs past the end reads as a torn tail.
  std::string longer = image;
  longer[offsets[1] + 1] ^= 0x40;
  EXPECT_EQ(ReadAll(longer).outcomes.front(), Outcome::kTornTail);
}

TEST(LogTest, TrailingGarbageIsATornTail) {
  std::vector<uint64_t> offsets;
  std::string image = Image({"one", "two"}, &offsets);
  ReadResult zeros = ReadAll(image + std::string(4096, '\0'));
  EXPECT_EQ(zeros.records.size(), 2u);
  EXPECT_EQ(zeros.outcomes.front(), Outcome::kTornTail);
  EXPECT_EQ(zeros.bad_offset, image.size());
}

TEST(LogTest, CorruptionInTheMiddleIsReportedAndReadingResumes) {
  std::vector<uint64_t> offsets;
  const std::string image = Image({"one", "two", "three", "four"}, &offsets);
  // Damage the payload of "two", then the length field of "two".
  for (size_t damage : {offsets[1] + 9, offsets[1] + 1, offsets[1] + 4, offsets[1] + 8}) {
    std::string bad = image;
    bad[damage] ^= 0x5a;
    ReadResult r = ReadAll(bad);
    EXPECT_EQ(r.records, (std::vector<std::string>{"one", "three", "four"})) << damage;
    EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::kCorruption, Outcome::kEnd})) << damage;
    EXPECT_EQ(r.bad_offset, offsets[1]);
    EXPECT_EQ(r.resume_offset, offsets[2]);
  }
}

TEST(LogTest, ForeignFilesAreRecognised) {
  // Wrong magic.
  std::string payload = log::EncodeHeaderPayload({log::kFormatVersion, 0, 1});
  payload[0] = 'X';
  std::string wrong_magic;
  log::AppendRecord(log::RecordType::kHeader, payload, &wrong_magic);
  ReadResult r1 = ReadAll(wrong_magic + Batch("x"));
  EXPECT_EQ(r1.outcomes.front(), Outcome::kBadHeader);
  EXPECT_TRUE(r1.foreign);
  EXPECT_TRUE(r1.records.empty());

  // Unsupported version.
  std::string future;
  log::AppendRecord(log::RecordType::kHeader,
                    log::EncodeHeaderPayload({log::kFormatVersion + 1, 0, 1}), &future);
  ReadResult r2 = ReadAll(future);
  EXPECT_EQ(r2.outcomes.front(), Outcome::kBadHeader);
  EXPECT_TRUE(r2.foreign);

  // Another shard's file.
  ReadResult r3 = ReadAll(Image({"a"}, nullptr, /*shard=*/5), /*shard=*/4);
  EXPECT_EQ(r3.outcomes.front(), Outcome::kBadHeader);
  EXPECT_TRUE(r3.foreign);
  EXPECT_TRUE(r3.records.empty());

  // A batch where the header should be.
  ReadResult r4 = ReadAll(Batch("a") + Batch("b"));
  EXPECT_EQ(r4.outcomes.front(), Outcome::kBadHeader);
  EXPECT_TRUE(r4.foreign);

  // Not a log at all.
  ReadResult r5 = ReadAll("this is some text file, not a write-ahead log at all\n");
  EXPECT_NE(r5.outcomes.front(), Outcome::kEnd);
  EXPECT_TRUE(r5.records.empty());
}

TEST(LogTest, GarbledHeaderFollowedByRecords) {
  std::string image = Image({"one", "two"});
  image[12] ^= 1;  // inside the header payload
  ReadResult r = ReadAll(image);
  EXPECT_EQ(r.outcomes, (std::vector<Outcome>{Outcome::kBadHeader, Outcome::kEnd}));
  EXPECT_FALSE(r.foreign);
  EXPECT_EQ(r.bad_offset, 0u);
  EXPECT_EQ(r.records, (std::vector<std::string>{"one", "two"}));
}

// --- recovery ---

class WalRecoveryTest : public ::testing::Test {
 protected:
  void WriteFile(uint64_t number, const std::string& image) {
    const std::string path = Path(number);
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(image).ok());
    ASSERT_TRUE(file->Close().ok());
    files_.push_back({number, path});
  }
  std::string Path(uint64_t number) const {
    return JoinPath(dir_.path(), std::to_string(number) + ".log");
  }
  uint64_t Size(uint64_t number) {
    uint64_t size = 0;
    EXPECT_TRUE(fs_->GetFileSize(Path(number), &size).ok());
    return size;
  }
  Status Recover(WalRecoveryMode mode, WalBatchHandler handler = nullptr) {
    replayed_.clear();
    if (!handler) {
      handler = [this](std::string_view p) {
        replayed_.emplace_back(p);
        return Status::Ok();
      };
    }
    return RecoverWalFiles(fs_, files_, 0, mode, handler, &result_);
  }

  TempDir dir_;
  FileSystem* fs_ = DefaultFileSystem();
  std::vector<WalFileInfo> files_;
  std::vector<std::string> replayed_;
  WalRecoveryResult result_;
};

TEST_F(WalRecoveryTest, ModeNamesRoundTrip) {
  for (WalRecoveryMode m :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    WalRecoveryMode parsed;
    ASSERT_TRUE(ParseWalRecoveryMode(WalRecoveryModeName(m), &parsed));
    EXPECT_EQ(parsed, m);
  }
  WalRecoveryMode parsed;
  EXPECT_FALSE(ParseWalRecoveryMode("sometimes", &parsed));
  EXPECT_EQ(WalRecoveryModeName(WalRecoveryMode::kTolerateCorruptedTailRecords),
            "tolerate-corrupted-tail-records");
}

TEST_F(WalRecoveryTest, CleanFilesReplayInOrderInEveryMode) {
  WriteFile(1, Image({"a", "b"}));
  WriteFile(2, "");
  WriteFile(3, Image({"c"}));
  for (WalRecoveryMode m :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    ASSERT_TRUE(Recover(m).ok()) << WalRecoveryModeName(m);
    EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(result_.records, 3u);
    EXPECT_EQ(result_.truncated_bytes, 0u);
    ASSERT_EQ(result_.files.size(), 3u);
    EXPECT_EQ(result_.files[0].records, 2u);
    EXPECT_EQ(result_.files[1].records, 0u);
  }
}

TEST_F(WalRecoveryTest, TolerateCutsTheTornTail) {
  std::vector<uint64_t> offsets;
  const std::string image = Image({"a", "b", "c"}, &offsets);
  WriteFile(1, image.substr(0, image.size() - 2));
  WriteFile(2, Image({"d"}));
  ASSERT_TRUE(Recover(WalRecoveryMode::kTolerateCorruptedTailRecords).ok());
  EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(result_.truncated_bytes, image.size() - 2 - offsets[2]);
  EXPECT_EQ(Size(1), offsets[2]);
  // The next recovery finds a clean file.
  ASSERT_TRUE(Recover(WalRecoveryMode::kAbsoluteConsistency).ok());
  EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "b", "d"}));
}

TEST_F(WalRecoveryTest, TolerateRefusesCorruptionInTheMiddle) {
  std::vector<uint64_t> offsets;
  std::string image = Image({"a", "b", "c"}, &offsets);
  image[offsets[1] + 9] ^= 1;
  WriteFile(1, image);
  Status s = Recover(WalRecoveryMode::kTolerateCorruptedTailRecords);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(Path(1)), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("offset " + std::to_string(offsets[1])), std::string::npos)
      << s.message();
  EXPECT_EQ(Size(1), image.size());  // untouched
}

TEST_F(WalRecoveryTest, AbsoluteConsistencyRefusesEvenATornTail) {
  const std::string image = Image({"a", "b"});
  WriteFile(1, image.substr(0, image.size() - 1));
  Status s = Recover(WalRecoveryMode::kAbsoluteConsistency);
  ASSERT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find(Path(1)), std::string::npos);
  EXPECT_EQ(Size(1), image.size() - 1);  // untouched
}

TEST_F(WalRecoveryTest, PointInTimeStopsAtTheFirstBadRecord) {
  std::vector<uint64_t> offsets;
  std::string image = Image({"a", "b", "c"}, &offsets);
  image[offsets[1] + 9] ^= 1;
  WriteFile(1, image);
  WriteFile(2, Image({"d"}));
  WriteFile(3, Image({"e"}));
  ASSERT_TRUE(Recover(WalRecoveryMode::kPointInTimeRecovery).ok());
  EXPECT_EQ(replayed_, std::vector<std::string>{"a"});
  EXPECT_EQ(Size(1), offsets[1]);
  EXPECT_EQ(result_.dropped_files, 2u);
  EXPECT_FALSE(fs_->FileExists(Path(2)));
  EXPECT_TRUE(fs_->FileExists(Path(2) + ".dropped"));
  EXPECT_TRUE(fs_->FileExists(Path(3) + ".dropped"));
}

TEST_F(WalRecoveryTest, PointInTimeTornTailDropsLaterFiles) {
  const std::string image = Image({"a", "b"});
  WriteFile(1, image.substr(0, image.size() - 1));
  WriteFile(2, Image({"c"}));
  ASSERT_TRUE(Recover(WalRecoveryMode::kPointInTimeRecovery).ok());
  EXPECT_EQ(replayed_, std::vector<std::string>{"a"});
  EXPECT_EQ(result_.dropped_files, 1u);
}

TEST_F(WalRecoveryTest, FlippedByteInTheLastRecordIsRefusedUnlessSalvaging) {
  std::vector<uint64_t> offsets;
  std::string image = Image({"a", "b"}, &offsets);
  image.back() ^= 0x01;
  WriteFile(1, image);
  WriteFile(2, Image({"c"}));
  for (WalRecoveryMode m :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency}) {
    Status s = Recover(m);
    ASSERT_TRUE(s.IsCorruption()) << WalRecoveryModeName(m);
    EXPECT_NE(s.message().find(Path(1)), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("offset " + std::to_string(offsets[1])), std::string::npos);
    EXPECT_NE(s.message().find("not a torn write"), std::string::npos) << s.message();
    EXPECT_EQ(Size(1), image.size());  // untouched
  }
  ASSERT_TRUE(Recover(WalRecoveryMode::kSkipAnyCorruptedRecords).ok());
  EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Size(1), image.size());
  ASSERT_TRUE(Recover(WalRecoveryMode::kPointInTimeRecovery).ok());
  EXPECT_EQ(replayed_, std::vector<std::string>{"a"});
  EXPECT_EQ(Size(1), offsets[1]);
  EXPECT_EQ(result_.dropped_files, 1u);
}

TEST_F(WalRecoveryTest, SkipAnySkipsBadRecordsAndGoesOn) {
  std::vector<uint64_t> offsets;
  std::string image = Image({"a", "b", "c", "d"}, &offsets);
  image[offsets[1] + 9] ^= 1;
  WriteFile(1, image.substr(0, image.size() - 1));  // and a torn tail
  std::string garbled = Image({"e", "f"});
  garbled[12] ^= 1;  // garbled header
  WriteFile(2, garbled);
  ASSERT_TRUE(Recover(WalRecoveryMode::kSkipAnyCorruptedRecords).ok());
  EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "c", "e", "f"}));
  EXPECT_GT(result_.skipped_bytes, 0u);
  EXPECT_EQ(Size(1), offsets[3]);  // the torn tail was cut
}

TEST_F(WalRecoveryTest, GarbledHeaderIsRefusedUnlessSalvaging) {
  std::string garbled = Image({"a"});
  garbled[12] ^= 1;
  WriteFile(1, garbled);
  EXPECT_TRUE(Recover(WalRecoveryMode::kTolerateCorruptedTailRecords).IsCorruption());
  EXPECT_TRUE(Recover(WalRecoveryMode::kAbsoluteConsistency).IsCorruption());
  ASSERT_TRUE(Recover(WalRecoveryMode::kPointInTimeRecovery).ok());
  EXPECT_TRUE(replayed_.empty());
  EXPECT_EQ(Size(1), 0u);
}

TEST_F(WalRecoveryTest, ForeignFileIsRefusedInEveryMode) {
  WriteFile(1, Image({"a"}, nullptr, /*shard=*/9));
  for (WalRecoveryMode m :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    Status s = Recover(m);
    ASSERT_TRUE(s.IsCorruption()) << WalRecoveryModeName(m);
    EXPECT_NE(s.message().find("shard 9"), std::string::npos) << s.message();
    EXPECT_TRUE(replayed_.empty());
  }
}

TEST_F(WalRecoveryTest, UnusableRecordIsABadRecord) {
  WriteFile(1, Image({"a", "poison", "c"}));
  auto handler = [this](std::string_view p) {
    if (p == "poison") return Status::Corruption("cannot apply");
    replayed_.emplace_back(p);
    return Status::Ok();
  };
  EXPECT_TRUE(Recover(WalRecoveryMode::kTolerateCorruptedTailRecords, handler).IsCorruption());
  ASSERT_TRUE(Recover(WalRecoveryMode::kSkipAnyCorruptedRecords, handler).ok());
  EXPECT_EQ(replayed_, (std::vector<std::string>{"a", "c"}));
  ASSERT_TRUE(Recover(WalRecoveryMode::kPointInTimeRecovery, handler).ok());
  EXPECT_EQ(replayed_, std::vector<std::string>{"a"});
}

TEST_F(WalRecoveryTest, HandlerErrorsOtherThanCorruptionEndRecovery) {
  WriteFile(1, Image({"a", "b"}));
  Status s = Recover(WalRecoveryMode::kSkipAnyCorruptedRecords,
                     [](std::string_view) { return Status::InvalidArgument("no"); });
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace shale::storage
