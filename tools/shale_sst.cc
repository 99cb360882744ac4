// shale-sst: offline inspection of a data directory.
//
//   shale-sst dump FILE   prints the table's properties (`name: value`, one per line), then
//                         every entry as `key=<storage key> seq=N kind=put|del value=<value>`,
//                         keys and values escaped (printable ASCII as is, `\\` for a
//                         backslash, `\xNN` for any other byte), values cut to 64 bytes
//                         (followed by `...` when cut).
//   shale-sst check PATH  PATH a data directory (it holds SHARDS or shard-NNN directories):
//                         first what start-up verifies, by the same code (Db::Open's checks,
//                         VerifyDataDirectory in db.h): the SHARDS file against the shard
//                         directories and manifests, every CURRENT and manifest, every table
//                         the manifests list (present, size, footer), every WAL file replayed
//                         against what the manifest records as durable (a missing or emptied
//                         WAL, a gap in the sequence numbers); then more than start-up: every
//                         block checksum of every listed table and its properties against the
//                         manifest, every record of every WAL file. Prints `OK path` (with a
//                         note in parentheses where start-up would act: cut a torn tail, remove
//                         a stray file) or `CORRUPT path: reason` per file, then a last line
//                         `OK DIR` or `CORRUPT DIR: reason` (the reason start-up would refuse
//                         with). It never prints `OK DIR` for a directory the server would
//                         refuse to open. The check uses the default wal-recovery-mode
//                         (tolerate-corrupted-tail-records) and allows every database index.
//                         PATH any other directory: every `*.sst` and `*.log` under it, walked
//                         recursively, checked on its own (blocks, records). PATH a file: that
//                         file on its own. A WAL whose last record is torn (incomplete: what a
//                         crash leaves, and recovery cuts off) is OK, with a note; a complete
//                         last record whose checksum fails is damage.
//
// Exit status: 0 when everything read is intact, 1 when a file is damaged or cannot be read
// (or the server would refuse the data directory), 2 on a usage error.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "storage/db.h"
#include "storage/file_system.h"
#include "storage/format.h"
#include "storage/key_format.h"
#include "storage/log_reader.h"
#include "storage/shard.h"
#include "storage/shards_file.h"
#include "storage/table.h"

namespace {

using shale::storage::DefaultFileSystem;
using shale::storage::FileSystem;
using shale::storage::Iterator;
using shale::storage::ParsedInternalKey;
using shale::storage::ParseInternalKey;
using shale::storage::RandomAccessFile;
using shale::storage::ShardFileFinding;
using shale::storage::Status;
using shale::storage::Table;
using shale::storage::TableProperties;
using shale::storage::ValueKind;
using shale::storage::log::LogReader;

constexpr size_t kMaxValueBytesShown = 64;
constexpr int kExitOk = 0;
constexpr int kExitDamaged = 1;
constexpr int kExitUsage = 2;

void PrintUsage() {
  std::fprintf(stderr,
               "Usage: shale-sst dump FILE.sst\n"
               "       shale-sst check DIR|FILE\n");
}

std::string Escape(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (b >= 0x20 && b < 0x7f) {
      out.push_back(c);
    } else {
      char buf[5];
      std::snprintf(buf, sizeof(buf), "\\x%02x", b);
      out += buf;
    }
  }
  return out;
}

const char* KindName(ValueKind kind) { return kind == ValueKind::kDeletion ? "del" : "put"; }

// An internal key as `<escaped storage key> seq=N kind=K`.
std::string DescribeInternalKey(std::string_view internal_key) {
  if (internal_key.size() < shale::storage::kInternalKeyTrailerSize) return Escape(internal_key);
  const ParsedInternalKey parsed = ParseInternalKey(internal_key);
  return Escape(parsed.storage_key) + " seq=" + std::to_string(parsed.sequence) +
         " kind=" + KindName(parsed.kind);
}

Status OpenTable(const std::string& path, std::unique_ptr<Table>* table) {
  FileSystem* fs = DefaultFileSystem();
  uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  if (!s.ok()) return s;
  std::unique_ptr<RandomAccessFile> file;
  s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s;
  return Table::Open(path, std::move(file), size, /*cache=*/nullptr, table);
}

void PrintProperties(const TableProperties& p) {
  std::printf("format_version: %u\n", p.format_version);
  std::printf("num_entries: %llu\n", static_cast<unsigned long long>(p.num_entries));
  std::printf("num_deletions: %llu\n", static_cast<unsigned long long>(p.num_deletions));
  std::printf("num_data_blocks: %llu\n", static_cast<unsigned long long>(p.num_data_blocks));
  std::printf("num_compressed_blocks: %llu\n",
              static_cast<unsigned long long>(p.num_compressed_blocks));
  std::printf("raw_key_bytes: %llu\n", static_cast<unsigned long long>(p.raw_key_bytes));
  std::printf("raw_value_bytes: %llu\n", static_cast<unsigned long long>(p.raw_value_bytes));
  std::printf("data_bytes: %llu\n", static_cast<unsigned long long>(p.data_bytes));
  std::printf("uncompressed_data_bytes: %llu\n",
              static_cast<unsigned long long>(p.uncompressed_data_bytes));
  std::printf("index_bytes: %llu\n", static_cast<unsigned long long>(p.index_bytes));
  std::printf("filter_bytes: %llu\n", static_cast<unsigned long long>(p.filter_bytes));
  std::printf("bloom_bits_per_key: %llu\n", static_cast<unsigned long long>(p.bloom_bits_per_key));
  std::printf("smallest_key: %s\n", DescribeInternalKey(p.smallest_key).c_str());
  std::printf("largest_key: %s\n", DescribeInternalKey(p.largest_key).c_str());
  std::printf("smallest_sequence: %llu\n", static_cast<unsigned long long>(p.smallest_sequence));
  std::printf("largest_sequence: %llu\n", static_cast<unsigned long long>(p.largest_sequence));
  std::printf("creation_time_ms: %llu\n", static_cast<unsigned long long>(p.creation_time_ms));
}

int Dump(const std::string& path) {
  std::unique_ptr<Table> table;
  Status s = OpenTable(path, &table);
  if (!s.ok()) {
    std::fprintf(stderr, "shale-sst: %s\n", s.ToString().c_str());
    return kExitDamaged;
  }
  std::printf("path: %s\n", table->path().c_str());
  std::printf("file_size: %llu\n", static_cast<unsigned long long>(table->file_size()));
  PrintProperties(table->properties());
  std::unique_ptr<Iterator> it = table->NewIterator();
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const ParsedInternalKey parsed = ParseInternalKey(it->key());
    const std::string_view value = it->value();
    std::string shown = Escape(value.substr(0, kMaxValueBytesShown));
    if (value.size() > kMaxValueBytesShown) shown += "...";
    std::printf("key=%s seq=%llu kind=%s value=%s\n", Escape(parsed.storage_key).c_str(),
                static_cast<unsigned long long>(parsed.sequence), KindName(parsed.kind),
                shown.c_str());
  }
  if (!it->status().ok()) {
    std::fflush(stdout);
    std::fprintf(stderr, "shale-sst: %s\n", it->status().ToString().c_str());
    return kExitDamaged;
  }
  return kExitOk;
}

// Empty when the table is intact, else why not.
std::string CheckTable(const std::string& path) {
  std::unique_ptr<Table> table;
  Status s = OpenTable(path, &table);
  if (s.ok()) s = table->VerifyChecksums();
  return s.ok() ? std::string() : s.ToString();
}

// Empty when the WAL is intact (*note set for a torn tail), else why not.
std::string CheckWal(const std::string& path, std::string* note) {
  FileSystem* fs = DefaultFileSystem();
  uint64_t size = 0;
  Status s = fs->GetFileSize(path, &size);
  std::unique_ptr<RandomAccessFile> file;
  if (s.ok()) s = fs->NewRandomAccessFile(path, &file);
  if (!s.ok()) return s.ToString();
  LogReader reader(file.get(), size);
  // Every outcome but kRecord ends reading here, so the loop ends with the file.
  for (;;) {
    switch (reader.Next()) {
      case LogReader::Outcome::kRecord:
        continue;
      case LogReader::Outcome::kEnd:
        return {};
      case LogReader::Outcome::kTornTail:
        *note = "torn tail at offset " + std::to_string(reader.bad_offset()) + " (" +
                reader.bad_reason() + "), cut off by recovery";
        return {};
      case LogReader::Outcome::kCorruptTail:
        return "corrupt last record at offset " + std::to_string(reader.bad_offset()) + ": " +
               reader.bad_reason() + " (the record is complete: damage, not a torn write)";
      case LogReader::Outcome::kCorruption:
        return "corrupt record at offset " + std::to_string(reader.bad_offset()) + ": " +
               reader.bad_reason();
      case LogReader::Outcome::kBadHeader:
        if (reader.foreign()) return "not a Shale WAL file: " + reader.bad_reason();
        return "bad WAL header at offset " + std::to_string(reader.bad_offset()) + ": " +
               reader.bad_reason();
      case LogReader::Outcome::kIOError:
        return reader.status().ToString();
    }
  }
}

// True when `dir` holds SHARDS or a shard-NNN directory: what the server would open as data.
bool IsDataDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(fs::path(dir) / shale::storage::kShardsFileName, ec)) return true;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    int index = 0;
    if (it->is_directory(ec) &&
        shale::storage::ParseShardDirName(it->path().filename().string(), &index)) {
      return true;
    }
  }
  return false;
}

int CheckDataDirectory(const std::string& dir) {
  shale::storage::Options options;
  options.dir = dir;
  std::vector<ShardFileFinding> findings;
  const Status verdict = shale::storage::VerifyDataDirectory(options, &findings);
  if (verdict.IsNotFound()) {  // shard directories, all empty: an interrupted first start
    std::printf("OK %s (%s)\n", dir.c_str(), verdict.message().c_str());
    return kExitOk;
  }
  bool damaged = !verdict.ok();
  for (const ShardFileFinding& f : findings) {
    if (f.status.ok()) {
      std::printf("OK %s%s\n", f.path.c_str(), f.note.empty() ? "" : (" (" + f.note + ")").c_str());
    } else {
      std::printf("CORRUPT %s: %s\n", f.path.c_str(), f.status.ToString().c_str());
      damaged = true;
    }
  }
  if (damaged) {
    std::printf("CORRUPT %s: %s\n", dir.c_str(),
                verdict.ok() ? "damaged files (see above)"
                             : ("the server would refuse to start: " + verdict.ToString()).c_str());
    return kExitDamaged;
  }
  std::printf("OK %s\n", dir.c_str());
  return kExitOk;
}

int Check(const std::string& root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(root, ec);
  if (ec || !fs::exists(st)) {
    std::fprintf(stderr, "shale-sst: cannot access %s\n", root.c_str());
    return kExitUsage;
  }
  if (fs::is_directory(st) && IsDataDirectory(root)) return CheckDataDirectory(root);
  std::vector<std::string> files;
  if (fs::is_directory(st)) {
    fs::recursive_directory_iterator it(root, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path().string());
    }
    if (ec) {
      std::fprintf(stderr, "shale-sst: walking %s: %s\n", root.c_str(), ec.message().c_str());
      return kExitDamaged;
    }
  } else {
    files.push_back(root);
  }
  std::sort(files.begin(), files.end());

  bool damaged = false;
  for (const std::string& path : files) {
    const std::string ext = fs::path(path).extension().string();
    std::string problem, note;
    if (ext == ".sst") {
      problem = CheckTable(path);
    } else if (ext == ".log") {
      problem = CheckWal(path, &note);
    } else {
      continue;
    }
    if (problem.empty()) {
      std::printf("OK %s%s\n", path.c_str(), note.empty() ? "" : (" (" + note + ")").c_str());
    } else {
      std::printf("CORRUPT %s: %s\n", path.c_str(), problem.c_str());
      damaged = true;
    }
  }
  return damaged ? kExitDamaged : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  // Problems are printed as results; the engine's own error log would repeat them.
  spdlog::set_level(spdlog::level::off);
  if (argc != 3) {
    PrintUsage();
    return kExitUsage;
  }
  const std::string command = argv[1];
  if (command == "dump") return Dump(argv[2]);
  if (command == "check") return Check(argv[2]);
  PrintUsage();
  return kExitUsage;
}
