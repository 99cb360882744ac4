#include "storage/shards_file.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <thread>
#include <vector>

namespace shale::storage {

namespace {

constexpr std::string_view kFormatLine = "shale-shards 1\n";
constexpr std::string_view kCountKey = "shards ";
constexpr std::string_view kChecksumKey = "checksum ";

uint32_t ShardsChecksum(std::string_view bytes) {
  return static_cast<uint32_t>(XXH3_64bits(bytes.data(), bytes.size()));
}

// A decimal count of at most 5 digits in [1, kMaxShards]; false otherwise.
bool ParseCount(std::string_view digits, int* count) {
  if (digits.empty() || digits.size() > 5) return false;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 1 || n > kMaxShards) return false;
  *count = n;
  return true;
}

std::string Quoted(std::string_view contents) {
  std::string out = "\"";
  for (char c : contents.substr(0, 64)) {
    if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      out += '?';
    } else {
      out += c;
    }
  }
  if (contents.size() > 64) out += "...";
  return out + "\"";
}

struct ShardDirs {
  std::set<int> indexes;     // shard-NNN directories present
  std::set<int> with_files;  // those of them that hold files
};

Status ListShardDirs(FileSystem* fs, const std::string& dir, ShardDirs* dirs) {
  std::vector<std::string> names;
  Status s = fs->GetChildren(dir, &names);
  if (!s.ok()) return s;
  for (const std::string& name : names) {
    int index = 0;
    if (!ParseShardDirName(name, &index)) continue;
    std::vector<std::string> inside;
    if (!fs->GetChildren(JoinPath(dir, name), &inside).ok()) continue;  // not a directory
    dirs->indexes.insert(index);
    if (!inside.empty()) dirs->with_files.insert(index);
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeShardsFile(int shards) {
  std::string out(kFormatLine);
  out += kCountKey;
  out += std::to_string(shards);
  out += '\n';
  char checksum[32];
  std::snprintf(checksum, sizeof(checksum), "%08x", ShardsChecksum(out));
  out += kChecksumKey;
  out += checksum;
  out += '\n';
  return out;
}

Status DecodeShardsFile(const std::string& path, std::string_view contents, int* shards,
                        bool* legacy) {
  if (contents.substr(0, kFormatLine.size()) != kFormatLine) {
    // The old format: the count alone.
    std::string_view digits = contents;
    while (!digits.empty() && (digits.back() == '\n' || digits.back() == ' ')) {
      digits.remove_suffix(1);
    }
    if (!ParseCount(digits, shards)) {
      return Status::Corruption(path + ": not a shard count: " + Quoted(contents));
    }
    *legacy = true;
    return Status::Ok();
  }
  *legacy = false;
  const size_t count_end = contents.find('\n', kFormatLine.size());
  if (count_end == std::string_view::npos) {
    return Status::Corruption(path + ": truncated: " + Quoted(contents));
  }
  const std::string_view count_line =
      contents.substr(kFormatLine.size(), count_end - kFormatLine.size());
  const std::string_view covered = contents.substr(0, count_end + 1);
  const std::string_view checksum_line = contents.substr(count_end + 1);
  int count = 0;
  if (count_line.substr(0, kCountKey.size()) != kCountKey ||
      !ParseCount(count_line.substr(kCountKey.size()), &count)) {
    return Status::Corruption(path + ": bad shard count line: " + Quoted(count_line));
  }
  char expected[32];
  std::snprintf(expected, sizeof(expected), "%08x", ShardsChecksum(covered));
  if (checksum_line != std::string(kChecksumKey) + expected + "\n") {
    return Status::Corruption(path + ": checksum mismatch (the file says " + Quoted(checksum_line) +
                              ", its contents give " + expected +
                              "): the shard count was changed or damaged");
  }
  *shards = count;
  return Status::Ok();
}

Status ReadShardLayout(FileSystem* fs, const std::string& dir, int* shards) {
  *shards = 0;
  const std::string path = JoinPath(dir, kShardsFileName);
  ShardDirs dirs;
  Status s = ListShardDirs(fs, dir, &dirs);
  if (!s.ok()) return s;
  if (!fs->FileExists(path)) {
    if (dirs.with_files.empty()) return Status::Ok();  // new, or an interrupted first open
    const int last = *dirs.with_files.rbegin();
    return Status::Corruption(
        path + " is missing but the directory holds shard directories with data (" +
        std::to_string(dirs.with_files.size()) +
        " of them); refusing to guess the shard count that routes the keys. If shard-000 to " +
        ShardDirName(last) + " are all the shards, write their count (" + std::to_string(last + 1) +
        ") followed by a newline into " + path);
  }
  std::string contents;
  s = ReadFileToString(fs, path, &contents);
  if (!s.ok()) return s;
  int count = 0;
  bool legacy = false;
  s = DecodeShardsFile(path, contents, &count, &legacy);
  if (!s.ok()) return s;
  // Shard directories must be exactly 0 .. count-1.
  // An empty directory beyond the count is what an interrupted first open with a larger
  // count left: it holds nothing.
  if (!dirs.with_files.empty() && *dirs.with_files.rbegin() >= count) {
    return Status::Corruption(path + " records " + std::to_string(count) + " shard(s) but " +
                              JoinPath(dir, ShardDirName(*dirs.with_files.rbegin())) +
                              " holds data: the file was changed, or shard directories of "
                              "another data directory were copied in; keys would be routed to "
                              "the wrong shards");
  }
  const bool interrupted_legacy_first_open = legacy && dirs.indexes.empty();
  if (!interrupted_legacy_first_open) {
    for (int i = 0; i < count; ++i) {
      if (dirs.indexes.count(i) != 0) continue;
      return Status::Corruption(path + " records " + std::to_string(count) + " shard(s) but " +
                                JoinPath(dir, ShardDirName(i)) +
                                " is missing: the file was changed or a shard directory was "
                                "removed; its keys would be served as absent");
    }
  }
  *shards = count;
  return Status::Ok();
}

Status ResolveShardLayout(FileSystem* fs, const std::string& dir, int requested, int* shards) {
  int recorded = 0;
  Status s = ReadShardLayout(fs, dir, &recorded);
  if (!s.ok()) return s;
  if (recorded != 0) {
    if (requested != 0 && requested != recorded) {
      return Status::InvalidArgument(
          "data directory " + dir + " was created with " + std::to_string(recorded) +
          " shards but shards is set to " + std::to_string(requested) +
          "; keys would route to other shards. Set shards to " + std::to_string(recorded) +
          " (or 0 to use the directory's count)");
    }
    *shards = recorded;
    return Status::Ok();
  }
  int count = requested;
  if (count == 0) count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  count = std::min(count, kMaxShards);
  // The shard directories first, SHARDS last: once SHARDS exists, every shard directory does.
  for (int i = 0; i < count; ++i) {
    s = fs->CreateDir(JoinPath(dir, ShardDirName(i)));
    if (!s.ok()) return s;
  }
  s = fs->SyncDir(dir);
  if (!s.ok()) return s;
  s = WriteFileAtomically(fs, JoinPath(dir, kShardsFileName), EncodeShardsFile(count));
  if (!s.ok()) return s;
  *shards = count;
  return Status::Ok();
}

}  // namespace shale::storage
