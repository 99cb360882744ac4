#include "storage/fault_injection_fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/file_system.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

class FaultInjectionFsTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return JoinPath(dir_.path(), name); }
  std::string Contents(const std::string& name) {
    std::string out;
    EXPECT_TRUE(ReadFileToString(&fs_, Path(name), &out).ok());
    return out;
  }
  std::unique_ptr<WritableFile> Create(const std::string& name) {
    std::unique_ptr<WritableFile> file;
    EXPECT_TRUE(fs_.NewWritableFile(Path(name), &file).ok());
    return file;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
};

TEST_F(FaultInjectionFsTest, PassesThroughWhenNoFault) {
  auto file = Create("a");
  ASSERT_TRUE(file->Append("hello ").ok());
  ASSERT_TRUE(file->Append("world").ok());
  EXPECT_EQ(file->Size(), 11u);
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Close().ok());
  EXPECT_EQ(Contents("a"), "hello world");
  EXPECT_EQ(fs_.appends(), 2u);
  EXPECT_EQ(fs_.syncs(), 1u);
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.GetChildren(dir_.path(), &names).ok());
  EXPECT_EQ(names, std::vector<std::string>{"a"});
}

TEST_F(FaultInjectionFsTest, FailsTheNthAppendOnce) {
  auto file = Create("a");
  fs_.FailNthAppend(2);
  EXPECT_TRUE(file->Append("1").ok());
  Status s = file->Append("2");
  EXPECT_EQ(s.code(), Status::Code::kIOError);
  EXPECT_TRUE(file->Append("3").ok());
  EXPECT_EQ(Contents("a"), "13");
}

TEST_F(FaultInjectionFsTest, StickyAppendFailureLastsUntilCleared) {
  auto file = Create("a");
  fs_.FailNthAppend(1, /*sticky=*/true);
  EXPECT_FALSE(file->Append("1").ok());
  EXPECT_FALSE(file->Append("2").ok());
  fs_.ClearFaults();
  EXPECT_TRUE(file->Append("3").ok());
  EXPECT_EQ(Contents("a"), "3");
}

TEST_F(FaultInjectionFsTest, FailsTheNthSync) {
  auto file = Create("a");
  ASSERT_TRUE(file->Append("x").ok());
  fs_.FailNthSync(1);
  EXPECT_EQ(file->Sync().code(), Status::Code::kIOError);
  EXPECT_TRUE(file->Sync().ok());
  fs_.FailNthSync(2, /*sticky=*/true);
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_FALSE(fs_.SyncDir(dir_.path()).ok());
  fs_.ClearFaults();
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_TRUE(fs_.SyncDir(dir_.path()).ok());
}

TEST_F(FaultInjectionFsTest, DiskFullReturnsNoSpaceWithOptionalTornWrite) {
  auto file = Create("a");
  ASSERT_TRUE(file->Append("ok").ok());
  fs_.SetDiskFull(true);
  Status s = file->Append("lost");
  EXPECT_EQ(s.code(), Status::Code::kNoSpace);
  EXPECT_TRUE(s.IsIOError());
  fs_.SetPartialWriteBytes(2);
  EXPECT_EQ(file->Append("torn").code(), Status::Code::kNoSpace);
  EXPECT_EQ(Contents("a"), "okto");
  EXPECT_EQ(file->Size(), 4u);
  fs_.SetDiskFull(false);
  EXPECT_TRUE(file->Append("!").ok());
  EXPECT_EQ(Contents("a"), "okto!");
  EXPECT_EQ(fs_.appends(), 4u);
}

TEST_F(FaultInjectionFsTest, DropUnsyncedDataKeepsOnlySyncedBytes) {
  auto file = Create("a");
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("durable").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append(" volatile").ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "durable");
  // The handle did not survive.
  EXPECT_FALSE(file->Append("more").ok());
  EXPECT_FALSE(file->Sync().ok());
  EXPECT_EQ(Contents("a"), "durable");
}

TEST_F(FaultInjectionFsTest, FailedSyncMakesNothingDurable) {
  auto file = Create("a");
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("one").ok());
  ASSERT_TRUE(file->Sync().ok());
  ASSERT_TRUE(file->Append("two").ok());
  fs_.FailNthSync(1);
  EXPECT_FALSE(file->Sync().ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "one");
}

TEST_F(FaultInjectionFsTest, NewFilesNeedADirectorySync) {
  auto synced_entry = Create("kept");
  ASSERT_TRUE(synced_entry->Append("k").ok());
  ASSERT_TRUE(synced_entry->Sync().ok());
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  auto unsynced_entry = Create("gone");
  ASSERT_TRUE(unsynced_entry->Append("g").ok());
  ASSERT_TRUE(unsynced_entry->Sync().ok());  // data synced, but not the directory entry
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_TRUE(fs_.FileExists(Path("kept")));
  EXPECT_EQ(Contents("kept"), "k");
  EXPECT_FALSE(fs_.FileExists(Path("gone")));
}

TEST_F(FaultInjectionFsTest, RenameNeedsADirectorySync) {
  {
    auto file = Create("tmp");
    ASSERT_TRUE(file->Append("v").ok());
    ASSERT_TRUE(file->Sync().ok());
  }
  ASSERT_TRUE(fs_.RenameFile(Path("tmp"), Path("final")).ok());
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  {
    auto file = Create("tmp2");
    ASSERT_TRUE(file->Append("w").ok());
    ASSERT_TRUE(file->Sync().ok());
  }
  ASSERT_TRUE(fs_.RenameFile(Path("tmp2"), Path("final2")).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("final"), "v");
  EXPECT_FALSE(fs_.FileExists(Path("final2")));
}

TEST_F(FaultInjectionFsTest, PreexistingFilesCountAsSynced) {
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(DefaultFileSystem()->NewWritableFile(Path("old"), &file).ok());
    ASSERT_TRUE(file->Append("old data").ok());
  }
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("old"), "old data");
}

TEST_F(FaultInjectionFsTest, TruncateIsDurable) {
  auto file = Create("a");
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("0123456789").ok());
  ASSERT_TRUE(fs_.Truncate(Path("a"), 4).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "0123");
}

TEST_F(FaultInjectionFsTest, SimulatedCrashStopsEveryChange) {
  auto file = Create("a");
  ASSERT_TRUE(fs_.SyncDir(dir_.path()).ok());
  ASSERT_TRUE(file->Append("one").ok());
  fs_.SimulateCrashAfter(1);  // the next change happens, none after it
  EXPECT_TRUE(file->Sync().ok());
  EXPECT_FALSE(file->Append("two").ok());
  EXPECT_FALSE(file->Sync().ok());
  std::unique_ptr<WritableFile> other;
  EXPECT_FALSE(fs_.NewWritableFile(Path("b"), &other).ok());
  EXPECT_FALSE(fs_.SyncDir(dir_.path()).ok());
  EXPECT_FALSE(fs_.Truncate(Path("a"), 0).ok());
  EXPECT_FALSE(fs_.RemoveFile(Path("a")).ok());
  EXPECT_FALSE(fs_.RenameFile(Path("a"), Path("c")).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("a"), "one");
  EXPECT_FALSE(fs_.FileExists(Path("b")));
  // After the power loss the file system works again.
  auto again = Create("d");
  EXPECT_TRUE(again->Append("x").ok());
}

TEST_F(FaultInjectionFsTest, PosixErrorsNameThePath) {
  std::unique_ptr<SequentialFile> file;
  Status s = fs_.NewSequentialFile(Path("missing"), &file);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find(Path("missing")), std::string::npos);
  EXPECT_NE(s.message().find("No such file"), std::string::npos);
}

TEST_F(FaultInjectionFsTest, LockFileIsExclusive) {
  std::unique_ptr<FileLock> first;
  ASSERT_TRUE(fs_.LockFile(Path("LOCK"), &first).ok());
  std::unique_ptr<FileLock> second;
  Status s = fs_.LockFile(Path("LOCK"), &second);
  EXPECT_TRUE(s.IsIOError());
  EXPECT_NE(s.message().find("held"), std::string::npos) << s.message();
  first.reset();
  EXPECT_TRUE(fs_.LockFile(Path("LOCK"), &second).ok());
}

TEST_F(FaultInjectionFsTest, FileSystemBasics) {
  const std::string nested = Path("x/y/z");
  ASSERT_TRUE(fs_.CreateDir(nested).ok());
  ASSERT_TRUE(fs_.CreateDir(nested).ok());  // exists already
  {
    auto file = Create("x/y/z/f");
    ASSERT_TRUE(file->Append("abc").ok());
  }
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(Path("x/y/z/f"), &size).ok());
  EXPECT_EQ(size, 3u);
  std::unique_ptr<RandomAccessFile> reader;
  ASSERT_TRUE(fs_.NewRandomAccessFile(Path("x/y/z/f"), &reader).ok());
  char scratch[8];
  std::string_view got;
  ASSERT_TRUE(reader->Read(1, 8, scratch, &got).ok());
  EXPECT_EQ(got, "bc");
  ASSERT_TRUE(fs_.RemoveFile(Path("x/y/z/f")).ok());
  EXPECT_FALSE(fs_.FileExists(Path("x/y/z/f")));
  EXPECT_TRUE(fs_.CreateDir(Path("x/y/z/f2")).ok());
  { auto file = Create("plain"); }
  EXPECT_FALSE(fs_.CreateDir(Path("plain")).ok());
  EXPECT_EQ(DirName("a/b/c"), "a/b");
  EXPECT_EQ(DirName("c"), ".");
  EXPECT_EQ(JoinPath("a/", "b"), "a/b");
  ASSERT_TRUE(WriteFileAtomically(&fs_, Path("atomic"), "content").ok());
  EXPECT_EQ(Contents("atomic"), "content");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Contents("atomic"), "content");
}

}  // namespace
}  // namespace shale::storage
