// WalWriter (storage/wal_writer.h): the log buffer invariant through writes, syncs and
// rotations, the failed state after a failed write or fsync, and the retry that rewrites the
// retained records into a fresh file. Files are read back with LogReader.
#include "storage/wal_writer.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/log_reader.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using Outcome = log::LogReader::Outcome;
using shale::test_util::TempDir;

class WalWriterTest : public ::testing::Test {
 protected:
  // The batch payloads of WAL file `number` in order, and how the file ends.
  std::vector<std::string> Records(uint64_t number, Outcome* end = nullptr) {
    const std::string path = wal_.Path(number);
    uint64_t size = 0;
    EXPECT_TRUE(fs_.GetFileSize(path, &size).ok()) << path;
    std::unique_ptr<RandomAccessFile> file;
    EXPECT_TRUE(fs_.NewRandomAccessFile(path, &file).ok());
    std::vector<std::string> records;
    if (file == nullptr) return records;
    log::LogReader reader(file.get(), size, 7);
    Outcome outcome;
    while ((outcome = reader.Next()) == Outcome::kRecord) records.emplace_back(reader.payload());
    if (end != nullptr) *end = outcome;
    return records;
  }
  Status Sync() {
    WalWriter::SyncJob job;
    Status s = wal_.PrepareSync(&job);
    if (!s.ok() || job.file == nullptr) return s;
    return wal_.FinishSync(job, job.Run());
  }
  Status Retry(uint64_t number) {
    WalWriter::RetryJob job;
    bool needed = false;
    wal_.PrepareRetry(number, &job, &needed);
    if (!needed) return Status::Ok();
    return wal_.FinishRetry(&job, job.Run());
  }
  Status Write(FsyncPolicy policy = FsyncPolicy::kEverySec) {
    bool wrote = false;
    return wal_.WritePending(policy, &wrote);
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  WalWriter wal_{&fs_, dir_.path(), 7};
};

TEST_F(WalWriterTest, WritesAndSyncsRetireTheBuffer) {
  ASSERT_TRUE(wal_.Start(3).ok());
  EXPECT_EQ(wal_.number(), 3u);
  EXPECT_FALSE(wal_.HasUnsynced());
  wal_.AppendBatch("one");
  wal_.AppendBatchInPlace([](std::string* dst) { dst->append("two"); });
  EXPECT_EQ(wal_.records(), 2u);
  EXPECT_FALSE(wal_.HasUnsynced()) << "buffered, not yet written";

  bool wrote = false;
  ASSERT_TRUE(wal_.WritePending(FsyncPolicy::kEverySec, &wrote).ok());
  EXPECT_TRUE(wrote);
  EXPECT_TRUE(wal_.HasUnsynced());
  ASSERT_TRUE(wal_.WritePending(FsyncPolicy::kEverySec, &wrote).ok());
  EXPECT_FALSE(wrote) << "nothing new to write";
  EXPECT_EQ(Records(3), (std::vector<std::string>{"one", "two"}));

  std::vector<uint64_t> files;
  std::vector<std::pair<std::string, uint64_t>> to_sync;
  EXPECT_FALSE(wal_.DurableFiles(&files, &to_sync)) << "written but not synced";
  ASSERT_TRUE(Sync().ok());
  EXPECT_FALSE(wal_.HasUnsynced());
  ASSERT_TRUE(wal_.DurableFiles(&files, &to_sync));
  EXPECT_EQ(files, std::vector<uint64_t>{3});
  EXPECT_TRUE(to_sync.empty());
  EXPECT_GT(wal_.bytes_written(), 0u);
  EXPECT_EQ(wal_.total_bytes(), kHeaderOnlyWalSize + wal_.bytes_written());
}

TEST_F(WalWriterTest, RotationSyncsTheOldFileAndStartsANewOne) {
  ASSERT_TRUE(wal_.Start(1).ok());
  wal_.AppendBatch("a");
  ASSERT_TRUE(Write().ok());
  const uint64_t syncs_before = fs_.syncs();
  ASSERT_TRUE(wal_.SyncForRotation(FsyncPolicy::kEverySec).ok());
  EXPECT_GT(fs_.syncs(), syncs_before);
  ASSERT_TRUE(wal_.Rotate(2).ok());
  EXPECT_EQ(wal_.number(), 2u);
  EXPECT_TRUE(wal_.HasClosed(1));
  wal_.AppendBatch("b");
  ASSERT_TRUE(Write().ok());
  ASSERT_TRUE(Sync().ok());  // the new file's header and directory entry too
  EXPECT_EQ(Records(1), std::vector<std::string>{"a"});
  EXPECT_EQ(Records(2), std::vector<std::string>{"b"});

  std::vector<uint64_t> files;
  std::vector<std::pair<std::string, uint64_t>> to_sync;
  ASSERT_TRUE(wal_.DurableFiles(&files, &to_sync));
  EXPECT_EQ(files, (std::vector<uint64_t>{1, 2}));

  std::vector<uint64_t> obsolete;
  wal_.DropClosedBelow(2, &obsolete);
  EXPECT_EQ(obsolete, std::vector<uint64_t>{1});
  EXPECT_FALSE(wal_.HasClosed(1));
}

TEST_F(WalWriterTest, RotationUnderAppendFsyncNoLeavesTheClosedFileToSyncAtClose) {
  ASSERT_TRUE(wal_.Start(1).ok());
  wal_.AppendBatch("a");
  ASSERT_TRUE(Write(FsyncPolicy::kNo).ok());
  ASSERT_TRUE(wal_.SyncForRotation(FsyncPolicy::kNo).ok());
  ASSERT_TRUE(wal_.Rotate(2).ok());
  ASSERT_TRUE(Sync().ok());
  std::vector<uint64_t> files;
  std::vector<std::pair<std::string, uint64_t>> to_sync;
  ASSERT_TRUE(wal_.DurableFiles(&files, &to_sync));
  ASSERT_EQ(to_sync.size(), 1u);
  EXPECT_EQ(to_sync[0].first, wal_.Path(1));
}

TEST_F(WalWriterTest, FailedWriteKeepsTheRecordsAndRetryRewritesThem) {
  ASSERT_TRUE(wal_.Start(1).ok());
  wal_.AppendBatch("durable");
  ASSERT_TRUE(Write().ok());
  ASSERT_TRUE(Sync().ok());

  wal_.AppendBatch("lost-write");
  fs_.SetPartialWriteBytes(5);  // a torn record is left in file 1
  fs_.FailNthAppend(1);
  Status s = Write();
  EXPECT_TRUE(s.IsIOError());
  EXPECT_TRUE(wal_.failed());
  EXPECT_NE(wal_.failure().message().find("WAL write failed"), std::string::npos)
      << wal_.failure().ToString();
  EXPECT_EQ(wal_.last_error(), wal_.failure().message());
  // While failed, writing and syncing do nothing but report the failure.
  EXPECT_TRUE(Write().IsIOError());
  EXPECT_TRUE(Sync().IsIOError());
  EXPECT_FALSE(wal_.HasUnsynced());
  std::vector<uint64_t> files;
  std::vector<std::pair<std::string, uint64_t>> to_sync;
  EXPECT_FALSE(wal_.DurableFiles(&files, &to_sync));

  // A retry that fails stays failed, with the retry's reason, and leaves no fresh file.
  fs_.ClearFaults();
  fs_.FailNthSync(1);
  s = Retry(2);
  EXPECT_TRUE(wal_.failed());
  EXPECT_NE(s.message().find("retrying WAL writes failed"), std::string::npos) << s.ToString();
  EXPECT_FALSE(fs_.FileExists(wal_.Path(2)));

  // A retry that works: the retained record is in the fresh file, the torn tail is cut off.
  ASSERT_TRUE(Retry(3).ok());
  EXPECT_FALSE(wal_.failed());
  EXPECT_TRUE(wal_.failure().ok());
  EXPECT_EQ(wal_.number(), 3u);
  EXPECT_TRUE(wal_.HasClosed(1));
  Outcome end = Outcome::kRecord;
  EXPECT_EQ(Records(1, &end), std::vector<std::string>{"durable"});
  EXPECT_EQ(end, Outcome::kEnd) << "the abandoned file ends cleanly";
  EXPECT_EQ(Records(3), std::vector<std::string>{"lost-write"});
  EXPECT_TRUE(Retry(4).ok()) << "not failed: nothing to do";
  EXPECT_FALSE(fs_.FileExists(wal_.Path(4)));
}

TEST_F(WalWriterTest, FailedFsyncEntersTheFailedStateWithNoSpaceKept) {
  ASSERT_TRUE(wal_.Start(1).ok());
  wal_.AppendBatch("x");
  fs_.SetDiskFull(true);
  Status s = Write();
  EXPECT_EQ(s.code(), Status::Code::kNoSpace) << s.ToString();
  fs_.ClearFaults();
  ASSERT_TRUE(Retry(2).ok());
  wal_.AppendBatch("y");
  ASSERT_TRUE(Write().ok());
  fs_.FailNthSync(1);
  s = Sync();
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("WAL fsync failed"), std::string::npos) << s.ToString();
  EXPECT_TRUE(wal_.failed());
  // A rotation is refused while failed.
  EXPECT_TRUE(wal_.SyncForRotation(FsyncPolicy::kEverySec).IsIOError());
  EXPECT_TRUE(wal_.Rotate(9).IsIOError());
  EXPECT_FALSE(fs_.FileExists(wal_.Path(9)));
  fs_.ClearFaults();
  ASSERT_TRUE(Retry(3).ok());
  EXPECT_EQ(Records(3), (std::vector<std::string>{"y"}));
}

// A sync whose file was rotated away meanwhile (the rotation synced it) changes nothing.
TEST_F(WalWriterTest, ASyncOfARotatedFileIsIgnored) {
  ASSERT_TRUE(wal_.Start(1).ok());
  wal_.AppendBatch("a");
  ASSERT_TRUE(Write().ok());
  WalWriter::SyncJob job;
  ASSERT_TRUE(wal_.PrepareSync(&job).ok());
  ASSERT_NE(job.file, nullptr);
  ASSERT_TRUE(wal_.SyncForRotation(FsyncPolicy::kEverySec).ok());
  ASSERT_TRUE(wal_.Rotate(2).ok());
  EXPECT_TRUE(wal_.FinishSync(job, Status::IOError("late failure")).ok());
  EXPECT_FALSE(wal_.failed());
}

}  // namespace
}  // namespace shale::storage
