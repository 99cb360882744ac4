#include "storage/filename.h"

#include <cinttypes>
#include <cstdio>

namespace shale::storage {

namespace {

constexpr std::string_view kManifestPrefix = "MANIFEST-";
constexpr std::string_view kTableSuffix = ".sst";
constexpr std::string_view kShardDirPrefix = "shard-";

bool ParseDigits(std::string_view digits, uint64_t* number) {
  if (digits.empty() || digits.size() > 19) return false;
  uint64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *number = n;
  return true;
}

bool HasSuffix(std::string_view name, std::string_view suffix) {
  return name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
}

std::string Numbered(const char* format, uint64_t number) {
  char name[48];
  std::snprintf(name, sizeof(name), format, number);
  return name;
}

}  // namespace

std::string WalFileName(uint64_t number) { return Numbered("%06" PRIu64 ".log", number); }
std::string TableFileName(uint64_t number) { return Numbered("%06" PRIu64 ".sst", number); }
std::string ManifestFileName(uint64_t number) { return Numbered("MANIFEST-%06" PRIu64, number); }

std::string ShardDirName(int index) {
  char name[32];
  std::snprintf(name, sizeof(name), "shard-%03d", index);
  return name;
}

std::string TempFileName(std::string_view path) {
  return std::string(path) + std::string(kTempFileSuffix);
}

bool ParseWalFileName(std::string_view name, bool dropped, uint64_t* number) {
  const std::string_view suffix = dropped ? ".log.dropped" : ".log";
  if (!HasSuffix(name, suffix)) return false;
  return ParseDigits(name.substr(0, name.size() - suffix.size()), number);
}

bool ParseTableFileName(std::string_view name, uint64_t* number) {
  if (!HasSuffix(name, kTableSuffix)) return false;
  return ParseDigits(name.substr(0, name.size() - kTableSuffix.size()), number);
}

bool ParseManifestFileName(std::string_view name, uint64_t* number) {
  if (name.substr(0, kManifestPrefix.size()) != kManifestPrefix) return false;
  return ParseDigits(name.substr(kManifestPrefix.size()), number);
}

bool ParseShardDirName(std::string_view name, int* index) {
  if (name.substr(0, kShardDirPrefix.size()) != kShardDirPrefix) return false;
  const std::string_view digits = name.substr(kShardDirPrefix.size());
  if (digits.size() < 3 || digits.size() > 9) return false;
  int n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (ShardDirName(n) != name) return false;
  *index = n;
  return true;
}

bool IsTempFileName(std::string_view name) {
  return name.size() >= kTempFileSuffix.size() &&
         name.substr(name.size() - kTempFileSuffix.size()) == kTempFileSuffix;
}

}  // namespace shale::storage
