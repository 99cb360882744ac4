// A shard's table set and its manifest.
//
// Files in the shard directory (besides the WAL files, shard.h):
//
//   CURRENT            "MANIFEST-NNNNNN\n": the name of the live manifest. Replaced by writing
//                      CURRENT.tmp, fsyncing it, renaming it over CURRENT and fsyncing the
//                      directory (WriteFileAtomically), so it always names a complete manifest.
//   MANIFEST-NNNNNN    the manifest: a log file in the WAL's record format (log_format.h): a
//                      kHeader record (magic, format version, shard index, file number), then
//                      one kBatch-type record per version edit (version_edit.h). The first edit
//                      is a snapshot of the whole state; every later edit is appended and
//                      fsynced before anything depends on it.
//   NNNNNN.sst         tables (format.h); live exactly when the manifest lists them.
//
// File numbers (WALs, tables, manifests) come from one counter per shard and are never reused.
//
// A new manifest is started at every open and when the current one reaches max_manifest_size
// (or twice the size of its snapshot edit, if that is more: a large state must not make every
// edit write a new manifest): it is written and fsynced with its snapshot edit, its directory entry
// is fsynced, CURRENT is switched to it, and only then is the previous manifest removed.
//
// Recovery reads CURRENT and replays the manifest it names. A torn last record (an incomplete
// append whose fsync never completed, so nothing acted on it) is ignored with a warning; any
// other damage (a bad record followed by valid ones, a complete last record whose checksum
// fails, an edit that does not decode, a first edit that is not a snapshot, a foreign header)
// refuses start-up with Status::Corruption naming the file. When
// CURRENT is missing but manifests exist (power lost between renaming CURRENT and syncing the
// directory can lose the name), the newest manifest whose snapshot is intact is used: every
// manifest with an intact snapshot holds the state as of its creation or later, and no edit is
// written to a manifest before CURRENT names it.
//
// Thread-safety: a VersionSet is used by one thread at a time (the shard's opening thread, then
// its flush worker). TableHandle and Version are safe to share between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "storage/block_cache.h"
#include "storage/file_system.h"
#include "storage/filename.h"
#include "storage/log_writer.h"
#include "storage/mutex.h"
#include "storage/status.h"
#include "storage/table.h"
#include "storage/thread_annotations.h"
#include "storage/version_edit.h"

namespace shale::storage {

// "NNNNNN.sst", "MANIFEST-NNNNNN" (six digits at least).

// The persistent state of a shard, as the manifest's edits build it.
struct ManifestState {
  std::map<uint64_t, TableMeta> tables;  // by file number
  uint64_t log_number = 0;               // WAL files numbered below it are obsolete
  uint64_t next_file_number = 1;
  uint64_t last_sequence = 0;                  // every write up to it is in a table
  std::map<uint32_t, uint64_t> counters;       // counter -> value; zeros are absent
  std::map<uint32_t, uint64_t> group_cutoffs;  // group -> cut-off sequence; zeros are absent
  uint32_t shard_count = 0;                    // of the data directory; 0 = not recorded
  // Every write up to durable_wal_sequence is durable in the tables and the WAL files at or
  // above log_number; durable_wal_files (all at or above log_number) hold some of them and
  // must exist (version_edit.h, field 10). 0 and empty: nothing recorded.
  uint64_t durable_wal_sequence = 0;
  std::set<uint64_t> durable_wal_files;

  // Applies `edit` (a snapshot edit replaces everything). Corruption when it adds a table that
  // exists or removes one that does not.
  Status Apply(const VersionEdit& edit);
  // A snapshot edit stating this whole state.
  VersionEdit Snapshot() const;

  friend bool operator==(const ManifestState&, const ManifestState&) = default;
};

// One live table: what the manifest records, and the Table, opened on first use (Open() reads
// footer, index, filter and properties; tables are not opened at start-up, so opening a shard
// with many gigabytes of tables costs one stat and one footer read per table).
class TableHandle {
 public:
  // `fs` and `cache` (nullable) must outlive the handle.
  TableHandle(TableMeta meta, std::string path, FileSystem* fs, BlockCache* cache);
  // Wraps a table that is open already (a flush's output).
  TableHandle(TableMeta meta, std::shared_ptr<const Table> table);
  TableHandle(const TableHandle&) = delete;
  TableHandle& operator=(const TableHandle&) = delete;
  // Removes the file of a table marked obsolete (see MarkObsolete).
  ~TableHandle();

  const TableMeta& meta() const { return meta_; }
  const std::string& path() const { return path_; }
  // False when `storage_key` lies outside the table's key range.
  bool InRange(std::string_view storage_key) const;

  // The open table, opening it first if needed (without holding any lock during the I/O).
  // Errors name the file; a failed open is tried again by the next call.
  Status GetTable(std::shared_ptr<const Table>* table) const EXCLUDES(mu_);
  bool is_open() const EXCLUDES(mu_);

  // Deferred deletion: called once the manifest no longer lists the table (a compaction
  // removed it). When the last reference to the handle goes (the last Version that lists it,
  // held by an ongoing Get or Scan, or the shard's current one) its block cache entries are
  // erased and its file is removed, on the thread that drops that reference. A file a crash
  // leaves behind is a stray the next open removes. `fs` and `cache` (nullable) must outlive
  // the handle.
  void MarkObsolete(FileSystem* fs, BlockCache* cache) const EXCLUDES(mu_);

 private:
  const TableMeta meta_;
  const std::string path_;
  FileSystem* const fs_ = nullptr;
  BlockCache* const cache_ = nullptr;
  mutable Mutex mu_;
  mutable std::shared_ptr<const Table> table_ GUARDED_BY(mu_);
  mutable FileSystem* obsolete_fs_ GUARDED_BY(mu_) = nullptr;  // set: remove the file
  mutable BlockCache* obsolete_cache_ GUARDED_BY(mu_) = nullptr;
};

// An immutable set of live tables. Shared by readers (a Get or a Scan holds a reference for its
// whole duration), so replacing the current version never frees tables in use.
struct Version {
  // Newest first: by largest sequence descending. Tables written by flushes have disjoint
  // sequence ranges, so the first table that holds a key holds its newest version.
  std::vector<std::shared_ptr<const TableHandle>> tables;
  uint64_t table_bytes = 0;

  // A version with `added` and without the tables numbered in `removed`.
  std::shared_ptr<const Version> With(std::vector<std::shared_ptr<const TableHandle>> added,
                                      const std::vector<uint64_t>& removed) const;
};

// Checks, cheaply, that a table file the manifest lists is there and is that table: its size
// must match and its footer must decode. Corruption naming the file otherwise.
Status CheckTableFile(FileSystem* fs, const std::string& path, uint64_t expected_size);
// Checks that an opened table is the one the manifest lists: its entry count, key range and
// sequence range must be those of `meta`. A table replaced by another of the same size passes
// CheckTableFile; this catches it. Corruption naming the file otherwise.
Status CheckTableMatchesMeta(const std::string& path, const TableProperties& props,
                             const TableMeta& meta);

class VersionSet {
 public:
  static constexpr uint64_t kDefaultMaxManifestSize = 4 << 20;

  VersionSet(FileSystem* fs, std::string dir, uint32_t shard_index,
             uint64_t max_manifest_size = kDefaultMaxManifestSize);
  VersionSet(const VersionSet&) = delete;
  VersionSet& operator=(const VersionSet&) = delete;
  ~VersionSet();

  // Replays the live manifest into state() (see the top of this file). *found is false (and
  // state() the empty state) when the directory holds no manifest at all.
  Status Recover(bool* found);

  // Applies `edit` to state() durably: appends it to the current manifest and fsyncs it; or,
  // when `new_manifest` is set, there is no usable manifest (none yet, or an earlier append or
  // fsync failed) or the current one has reached the size limit, starts a new manifest numbered
  // allocate_number() holding a snapshot of the new state. On failure state() is unchanged;
  // the edit may or may not have reached the disk, so the caller must keep everything the edit
  // refers to and may retry it.
  Status LogAndApply(const VersionEdit& edit, const std::function<uint64_t()>& allocate_number,
                     bool new_manifest = false);

  const ManifestState& state() const { return state_; }
  // The live manifest's number (0 before the first one) and size.
  uint64_t manifest_number() const { return manifest_number_; }
  uint64_t manifest_size() const;

 private:
  Status Replay(const std::string& path, ManifestState* state);
  Status WriteNewManifest(uint64_t number, ManifestState* state);

  FileSystem* const fs_;
  const std::string dir_;
  const uint32_t shard_index_;
  const uint64_t max_manifest_size_;
  ManifestState state_;
  uint64_t manifest_number_ = 0;
  uint64_t snapshot_size_ = 0;              // bytes of the live manifest's first records
  std::unique_ptr<log::LogWriter> writer_;  // null: the next edit starts a new manifest
};

}  // namespace shale::storage
