// The shale-sst tool (tools/shale_sst.cc), run as a process from the same bin/ directory:
// `dump` output, `check` on a healthy directory, on a bit flipped in each block of a table,
// on a damaged WAL, and usage errors.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/block.h"
#include "storage/db.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/key_format.h"
#include "storage/log_reader.h"
#include "storage/log_writer.h"
#include "storage/table_builder.h"
#include "storage/write_batch.h"
#include "tests/unit/db_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

std::string ToolPath() {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / "shale-sst").string();
}

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
};

RunResult RunTool(const std::string& args) {
  RunResult result;
  const std::string command = "'" + ToolPath() + "' " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) result.out.append(buf, n);
  const int status = pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

class ShaleSstTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(ToolPath())) << ToolPath() << " is not built";
    fs_ = DefaultFileSystem();
    ASSERT_TRUE(fs_->CreateDir(JoinPath(dir_.path(), "shard-0")).ok());
    table_path_ = JoinPath(dir_.path(), "shard-0/000005.sst");
    wal_path_ = JoinPath(dir_.path(), "shard-0/000006.log");
    WriteTable();
    WriteWal();
  }

  void WriteTable() {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(table_path_, &file).ok());
    TableOptions options;
    options.block_size = 256;
    TableBuilder builder(options, file.get());
    std::string key;
    for (int i = 0; i < 50; ++i) {
      std::string storage_key;
      MakeGroupedKey(0, "key" + std::to_string(100 + i), &storage_key);
      key.clear();
      AppendInternalKey(storage_key, 10 + i, i == 7 ? ValueKind::kDeletion : ValueKind::kValue,
                        &key);
      // Values as the keyspace stores a string: its two header bytes, then the string.
      const std::string value =
          std::string("\0\0", 2) + (i == 3 ? std::string(100, 'L') : "value" + std::to_string(i));
      builder.Add(key, i == 7 ? "" : value);
    }
    ASSERT_TRUE(builder.Finish().ok());
    ASSERT_TRUE(file->Close().ok());
    ASSERT_TRUE(ReadFileToString(fs_, table_path_, &table_image_).ok());
  }

  void WriteWal() {
    std::unique_ptr<log::LogWriter> writer;
    ASSERT_TRUE(log::LogWriter::Create(fs_, wal_path_, log::FileHeader{}, &writer).ok());
    for (int i = 0; i < 3; ++i) {
      WriteBatch batch;
      batch.Put(std::string("\0\0k", 3) + std::to_string(i), "v");
      batch.set_sequence(100 + i);
      ASSERT_TRUE(writer->AddRecord(log::RecordType::kBatch, batch.payload()).ok());
    }
    ASSERT_TRUE(writer->Sync().ok());
    writer.reset();
    ASSERT_TRUE(ReadFileToString(fs_, wal_path_, &wal_image_).ok());
  }

  void Overwrite(const std::string& path, std::string_view contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs_->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Close().ok());
  }

  // Offsets of one byte inside each block of the table (data blocks, filter, index,
  // properties) and inside the footer.
  std::vector<uint64_t> OneByteInEachBlock() {
    Footer footer;
    EXPECT_TRUE(
        footer.DecodeFrom(std::string_view(table_image_).substr(table_image_.size() - kFooterSize))
            .ok());
    std::vector<uint64_t> offsets = {footer.filter.offset + 1, footer.index.offset + 2,
                                     footer.properties.offset + 3,
                                     table_image_.size() - kFooterSize + 5};
    auto file = NewStringRandomAccessFile(table_image_);
    std::string contents;
    EXPECT_TRUE(ReadBlock(file.get(), "mem", table_image_.size(), footer.index, &contents).ok());
    Block index;
    EXPECT_TRUE(index.Init(std::make_shared<const std::string>(contents)).ok());
    auto it = index.NewIterator();
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view v = it->value();
      BlockHandle h;
      EXPECT_TRUE(h.DecodeFrom(&v));
      offsets.push_back(h.offset + h.size / 2);
    }
    EXPECT_GT(offsets.size(), 6u);
    return offsets;
  }

  TempDir dir_;
  FileSystem* fs_ = nullptr;
  std::string table_path_, wal_path_;
  std::string table_image_, wal_image_;
};

TEST_F(ShaleSstTest, Dump) {
  const RunResult r = RunTool("dump '" + table_path_ + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("num_entries: 50\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("num_deletions: 1\n"), std::string::npos);
  EXPECT_NE(r.out.find("format_version: 1\n"), std::string::npos);
  EXPECT_NE(r.out.find("smallest_sequence: 10\n"), std::string::npos);
  EXPECT_NE(r.out.find("largest_sequence: 59\n"), std::string::npos);
  EXPECT_NE(r.out.find("key=\\x00\\x00key100 seq=10 kind=put value=\\x00\\x00value0\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("key=\\x00\\x00key107 seq=17 kind=del value=\n"), std::string::npos);
  // A long value is cut to 64 bytes (the two header bytes and 62 'L's).
  EXPECT_NE(r.out.find("seq=13 kind=put value=\\x00\\x00" + std::string(62, 'L') + "...\n"),
            std::string::npos);
  size_t entries = 0;
  for (size_t pos = 0; (pos = r.out.find("\nkey=", pos)) != std::string::npos; ++pos) ++entries;
  EXPECT_EQ(entries, 50u);
}

TEST_F(ShaleSstTest, DumpOfADamagedTableFails) {
  std::string bad = table_image_;
  bad[bad.size() - 1] ^= 1;  // the magic number
  Overwrite(table_path_, bad);
  EXPECT_EQ(RunTool("dump '" + table_path_ + "'").exit_code, 1);
}

TEST_F(ShaleSstTest, CheckHealthyDirectory) {
  Overwrite(JoinPath(dir_.path(), "notes.txt"), "ignored");
  const RunResult r = RunTool("check '" + dir_.path() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("OK " + table_path_ + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK " + wal_path_ + "\n"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("notes.txt"), std::string::npos);
  // One file may be checked on its own too.
  EXPECT_EQ(RunTool("check '" + table_path_ + "'").exit_code, 0);
}

TEST_F(ShaleSstTest, CheckFindsAFlippedBitInAnyBlock) {
  for (const uint64_t offset : OneByteInEachBlock()) {
    std::string bad = table_image_;
    bad[offset] ^= 0x20;
    Overwrite(table_path_, bad);
    const RunResult r = RunTool("check '" + dir_.path() + "'");
    EXPECT_EQ(r.exit_code, 1) << "offset " << offset << ": " << r.out;
    EXPECT_NE(r.out.find("CORRUPT " + table_path_ + ": "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("OK " + wal_path_), std::string::npos) << r.out;
  }
}

TEST_F(ShaleSstTest, CheckWal) {
  // Damage in the middle (second of three) batch record: corruption.
  std::vector<uint64_t> records;
  {
    auto file = NewStringRandomAccessFile(wal_image_);
    log::LogReader reader(file.get(), wal_image_.size());
    while (reader.Next() == log::LogReader::Outcome::kRecord) {
      records.push_back(reader.record_offset());
    }
  }
  ASSERT_EQ(records.size(), 3u);
  std::string bad = wal_image_;
  bad[records[1] + log::kRecordHeaderSize + 2] ^= 0x01;
  Overwrite(wal_path_, bad);
  RunResult r = RunTool("check '" + dir_.path() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("CORRUPT " + wal_path_ + ": "), std::string::npos) << r.out;

  // A flipped byte in the complete last record is damage, not a torn tail.
  bad = wal_image_;
  bad.back() ^= 0x01;
  Overwrite(wal_path_, bad);
  r = RunTool("check '" + dir_.path() + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("CORRUPT " + wal_path_ + ": "), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("torn tail"), std::string::npos) << r.out;

  // A torn last record is what a crash leaves: reported, not an error.
  Overwrite(wal_path_, std::string_view(wal_image_).substr(0, wal_image_.size() - 3));
  r = RunTool("check '" + dir_.path() + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("OK " + wal_path_ + " (torn tail"), std::string::npos) << r.out;
}

// `check` on a data directory the server wrote: what start-up verifies, and more. Each damage
// is applied to a fresh copy; the tool must never end with `OK DIR` where the server refuses.
class ShaleSstDataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(ToolPath())) << ToolPath() << " is not built";
    pristine_ = JoinPath(pristine_root_.path(), "data");
    Options options = DbOptions(pristine_);
    std::unique_ptr<Db> db;
    ASSERT_TRUE(Db::Open(options, &db).ok());
    for (int i = 0; i < 40; ++i) Put(db.get(), "flushed" + std::to_string(i));
    ASSERT_TRUE(db->Commit().ok());
    ASSERT_TRUE(db->FlushMemTables().ok());
    for (int i = 0; i < 40; ++i) Put(db.get(), "logged" + std::to_string(i));
    ASSERT_TRUE(db->Commit().ok());
    db.reset();  // a clean shutdown
  }

  static Options DbOptions(const std::string& dir) {
    Options options;
    options.dir = dir;
    options.shards = 2;
    options.fsync = FsyncPolicy::kAlways;
    options.background_maintenance = false;
    return options;
  }

  // A put that also counts the key (counter 0), as a writer keeping a key count does.
  static void Put(Db* db, const std::string& key) {
    ASSERT_TRUE(test_util::PutKey(*db, key, "value of " + key, {{0, 1}}).ok());
  }

  // A fresh copy of the pristine directory.
  std::string Copy() {
    copies_.push_back(std::make_unique<TempDir>());
    const std::string dir = JoinPath(copies_.back()->path(), "data");
    std::filesystem::copy(pristine_, dir, std::filesystem::copy_options::recursive);
    return dir;
  }

  // The one file of `shard` whose name ends with `suffix` (and starts with `prefix`).
  static std::string FileOf(const std::string& dir, int shard, const std::string& suffix,
                            const std::string& prefix = "") {
    std::string found;
    for (const auto& entry :
         std::filesystem::directory_iterator(JoinPath(dir, "shard-00" + std::to_string(shard)))) {
      const std::string name = entry.path().filename().string();
      if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix &&
          name.rfind(prefix, 0) == 0) {
        EXPECT_TRUE(found.empty()) << "two files end with " << suffix;
        found = entry.path().string();
      }
    }
    EXPECT_FALSE(found.empty()) << "no file ends with " << suffix;
    return found;
  }

  static void Write(const std::string& path, std::string_view contents) {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(DefaultFileSystem()->NewWritableFile(path, &file).ok());
    ASSERT_TRUE(file->Append(contents).ok());
    ASSERT_TRUE(file->Close().ok());
  }

  static std::string Read(const std::string& path) {
    std::string contents;
    EXPECT_TRUE(ReadFileToString(DefaultFileSystem(), path, &contents).ok());
    return contents;
  }

  static void FlipByte(const std::string& path, size_t offset_from_start) {
    std::string contents = Read(path);
    ASSERT_LT(offset_from_start, contents.size());
    contents[offset_from_start] ^= 0x08;
    Write(path, contents);
  }

  // The tool says the directory is damaged, ending with `CORRUPT DIR: `.
  static void ExpectCorrupt(const std::string& dir, const std::string& needle) {
    const RunResult r = RunTool("check '" + dir + "'");
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_EQ(r.out.find("OK " + dir + "\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("CORRUPT " + dir + ": "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(needle), std::string::npos) << "no " << needle << " in " << r.out;
  }

  // And the server refuses to start on it.
  static void ExpectOpenRefused(const std::string& dir) {
    std::unique_ptr<Db> db;
    Options options = DbOptions(dir);
    options.shards = 0;
    Status s = Db::Open(options, &db);
    EXPECT_FALSE(s.ok()) << dir;
  }

  TempDir pristine_root_;
  std::string pristine_;
  std::vector<std::unique_ptr<TempDir>> copies_;
};

TEST_F(ShaleSstDataDirTest, HealthyDirectoryIsOk) {
  const std::string dir = Copy();
  const RunResult r = RunTool("check '" + dir + "'");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("OK " + FileOf(dir, 0, ".sst")), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("OK " + JoinPath(dir, "SHARDS")), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("CORRUPT"), std::string::npos) << r.out;
  EXPECT_GE(r.out.size(), dir.size() + 4);
  EXPECT_EQ(r.out.substr(r.out.size() - dir.size() - 4), "OK " + dir + "\n") << r.out;
  // Checking changed nothing: the server opens it and serves every write.
  std::unique_ptr<Db> db;
  ASSERT_TRUE(Db::Open(DbOptions(dir), &db).ok());
  EXPECT_EQ(db->Counter(0), 80);
  for (const char* prefix : {"flushed", "logged"}) {
    for (int i = 0; i < 40; ++i) {
      const std::string key = prefix + std::to_string(i);
      EXPECT_EQ(test_util::GetOr(*db, key), "value of " + key);
    }
  }
}

TEST_F(ShaleSstDataDirTest, FlippedByteInAManifest) {
  const std::string dir = Copy();
  const std::string manifest = FileOf(dir, 0, "", "MANIFEST-");
  FlipByte(manifest, 40);
  ExpectCorrupt(dir, manifest);
  ExpectOpenRefused(dir);
}

TEST_F(ShaleSstDataDirTest, TruncatedCurrent) {
  const std::string dir = Copy();
  const std::string current = JoinPath(dir, "shard-001/CURRENT");
  Write(current, Read(current).substr(0, 11));
  ExpectCorrupt(dir, current);
  ExpectOpenRefused(dir);
}

TEST_F(ShaleSstDataDirTest, DeletedTable) {
  const std::string dir = Copy();
  const std::string table = FileOf(dir, 0, ".sst");
  std::filesystem::remove(table);
  ExpectCorrupt(dir, table);
  ExpectOpenRefused(dir);
}

TEST_F(ShaleSstDataDirTest, TableCopiedOverByAnother) {
  const std::string dir = Copy();
  const std::string table = FileOf(dir, 0, ".sst");
  std::filesystem::copy_file(FileOf(dir, 1, ".sst"), table,
                             std::filesystem::copy_options::overwrite_existing);
  ExpectCorrupt(dir, table);
}

TEST_F(ShaleSstDataDirTest, FlippedByteInADataBlock) {
  const std::string dir = Copy();
  const std::string table = FileOf(dir, 1, ".sst");
  FlipByte(table, 10);
  ExpectCorrupt(dir, "CORRUPT " + table);
}

TEST_F(ShaleSstDataDirTest, BadShardsFile) {
  for (const std::string& contents : {std::string("9\n"), std::string("1\n"), std::string("")}) {
    const std::string dir = Copy();
    Write(JoinPath(dir, "SHARDS"), contents);
    ExpectCorrupt(dir, JoinPath(dir, "SHARDS"));
    ExpectOpenRefused(dir);
  }
  const std::string dir = Copy();
  std::filesystem::remove(JoinPath(dir, "SHARDS"));
  ExpectCorrupt(dir, "SHARDS is missing");
  ExpectOpenRefused(dir);
}

TEST_F(ShaleSstDataDirTest, DeletedOrEmptiedWal) {
  const std::string dir = Copy();
  const std::string wal = FileOf(dir, 0, ".log");
  std::filesystem::remove(wal);
  ExpectCorrupt(dir, wal);
  ExpectOpenRefused(dir);

  const std::string emptied = Copy();
  const std::string emptied_wal = FileOf(emptied, 1, ".log");
  Write(emptied_wal, "");
  ExpectCorrupt(emptied, emptied_wal);
  ExpectOpenRefused(emptied);
}

TEST_F(ShaleSstDataDirTest, FlippedByteInTheLastWalRecord) {
  const std::string dir = Copy();
  const std::string wal = FileOf(dir, 0, ".log");
  FlipByte(wal, Read(wal).size() - 1);
  ExpectCorrupt(dir, "not a torn write");
  ExpectOpenRefused(dir);
}

TEST_F(ShaleSstTest, UsageErrors) {
  EXPECT_EQ(RunTool("").exit_code, 2);
  EXPECT_EQ(RunTool("dump").exit_code, 2);
  EXPECT_EQ(RunTool("frobnicate x").exit_code, 2);
  EXPECT_EQ(RunTool("check a b").exit_code, 2);
  EXPECT_EQ(RunTool("check '" + dir_.path() + "/does-not-exist'").exit_code, 2);
}

}  // namespace
}  // namespace shale::storage
