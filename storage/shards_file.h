// The SHARDS file and the shard directories of a data directory (db.h):
//
//   <dir>/SHARDS       the shard count. Keys are routed by it, so it must never change.
//   <dir>/shard-NNN/   one directory per shard, NNN its index in decimal, 3 digits at least
//
// SHARDS is written once, at the first open, after every shard directory has been created and
// the data directory synced, by WriteFileAtomically (temp file, fsync, rename, fsync
// directory). Its format (version 1) is three lines of text:
//
//   shale-shards 1\n
//   shards <count in decimal>\n
//   checksum <8 lowercase hex digits>\n
//
// where the checksum is the low 32 bits of XXH3_64bits over the first two lines (their
// newlines included). Directories written before this format hold the count alone ("4\n");
// it is still read, without a checksum, and is not rewritten (an older server could not read
// the new format).
//
// Validation at every open (and by `shale-sst check`), one rule set for both:
//   - SHARDS must decode (format, checksum, 1 <= count <= kMaxShards);
//   - the shard-NNN directories must be exactly shard-000 .. shard-(count-1): one numbered at
//     or above the count that holds files, or a missing one below it, means SHARDS was
//     changed or the directory was assembled from pieces (exceptions: empty directories,
//     and an old-format SHARDS with no shard directory at all, which is what interrupted first
//     opens leave);
//   - each shard's manifest records the shard count too (version_edit.h), which must agree
//     (checked by the shard's recovery, shard.h);
//   - SHARDS missing while a shard directory holds files: the count is unknown, so start-up
//     refuses rather than guess (shard directories that are all empty are what an
//     interrupted first open leaves: the directory counts as new).
// Every failure is Status::Corruption naming the file or directory. Each shard's manifest
// and WAL headers name their shard index and are checked against the directory they are in
// (version_set.h, wal_recovery.h).
#pragma once

#include <string>
#include <string_view>

#include "storage/file_system.h"
#include "storage/filename.h"
#include "storage/status.h"

namespace shale::storage {

constexpr int kMaxShards = 1024;

// The version 1 contents of SHARDS for `shards`.
std::string EncodeShardsFile(int shards);
// Decodes SHARDS `contents` (read from `path`) in either format; *legacy says whether it was
// the old count-only one.
Status DecodeShardsFile(const std::string& path, std::string_view contents, int* shards,
                        bool* legacy);

// Reads and validates the shard layout of the data directory `dir` without changing
// anything. *shards = 0 when the directory is new (no SHARDS, no shard directory holding
// files), else the recorded count.
Status ReadShardLayout(FileSystem* fs, const std::string& dir, int* shards);

// Db::Open: the shard count to use. Validates an existing layout (ReadShardLayout) and checks
// `requested` (0 = any) against it; for a new directory uses `requested` (0 = the number of
// cores), creates the shard directories and then writes SHARDS.
Status ResolveShardLayout(FileSystem* fs, const std::string& dir, int requested, int* shards);

}  // namespace shale::storage
