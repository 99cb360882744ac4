// Every name the engine gives a file or directory, made and parsed in this one place (LevelDB's
// filename.h). In a data directory:
//
//   LOCK, SHARDS (shards_file.h), shard-NNN/ (three digits at least)
//
// and in a shard directory (shard.h):
//
//   NNNNNN.log            WAL files (log_format.h); NNNNNN.log.dropped: set aside by recovery
//   NNNNNN.sst            tables (format.h)
//   MANIFEST-NNNNNN, CURRENT   the manifest (version_set.h)
//   *.tmp                 a file being written to replace another (WriteFileAtomically)
//
// Numbers have six digits at least.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shale::storage {

inline constexpr std::string_view kLockFileName = "LOCK";
inline constexpr std::string_view kShardsFileName = "SHARDS";
inline constexpr std::string_view kCurrentFileName = "CURRENT";
inline constexpr std::string_view kTempFileSuffix = ".tmp";

std::string WalFileName(uint64_t number);
std::string TableFileName(uint64_t number);
std::string ManifestFileName(uint64_t number);
std::string ShardDirName(int index);
// The temporary name a replacement of `path` is written under.
std::string TempFileName(std::string_view path);

// "NNNNNN.log" (or "NNNNNN.log.dropped" when `dropped`) into its number.
bool ParseWalFileName(std::string_view name, bool dropped, uint64_t* number);
bool ParseTableFileName(std::string_view name, uint64_t* number);
bool ParseManifestFileName(std::string_view name, uint64_t* number);
// "shard-NNN" into its index; one spelling per index.
bool ParseShardDirName(std::string_view name, int* index);
bool IsTempFileName(std::string_view name);

}  // namespace shale::storage
