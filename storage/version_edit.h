// VersionEdit: one change to a shard's persistent state, as recorded in the manifest
// (version_set.h). Replaying a manifest's edits in order rebuilds the state: the set of live
// tables, the WAL number below which WAL files are obsolete, the next file number, the last
// sequence whose write is in a table, and the shard's counters and group cut-offs
// (write_batch.h) as of that sequence.
//
// Encoding (the payload of one manifest record): a sequence of fields, each a varint32 tag
// followed by the field's operands. All integers are varints unless said otherwise; "lp" is a
// varint32 length followed by that many bytes.
//
//   tag  field            operands
//   1    log number       varint64                 WAL files numbered below it are obsolete
//   2    next file number varint64                 no file of the shard uses it or a higher one
//   3    last sequence    varint64                 every write up to it is in a table
//   4    add table        varint64 number | varint64 file size | lp smallest internal key |
//                         lp largest internal key | varint64 smallest sequence |
//                         varint64 largest sequence | varint64 entries
//   5    remove table     varint64 number
//   6    counter          varint32 counter | varint64 value (two's complement; absolute, 0 = gone)
//   7    group cut-off    varint32 group | varint64 sequence  (absolute value)
//   8    snapshot         (no operands) the edit states the whole state: replay starts from an
//                         empty state with it; every manifest's first edit is a snapshot
//   9    shard count      varint32                 shards of the data directory (its SHARDS
//                                                  file), 1..65535
//   10   durable WALs     varint64 sequence | varint32 n | n x varint64 WAL file number
//                         every write up to `sequence` is durable in the tables and the WAL
//                         files numbered at or above the log number, and the n WAL files listed
//                         (ascending, distinct) hold some of those writes, so they must exist.
//                         Replaces the previous value as a whole; listed files below the log
//                         number drop out when the log number passes them. Written when a shard
//                         closes cleanly (shard.h); recovery refuses a listed WAL that is
//                         missing and WAL files that end before `sequence`.
//
// Manifests written before fields 9 and 10 existed lack them and read as "shard count unknown,
// nothing known to be durable in the WAL" (nothing is checked). Older servers refuse manifests
// holding them (unknown field tag).
//
// Fields 1, 2, 3, 8, 9 and 10 appear at most once per edit; 4 to 7 may repeat (a database at most
// once per tag, a table number at most once across 4 and 5). Decoding rejects, with
// Status::Corruption, an unknown tag, a truncated or malformed operand, a repeated field, a
// database index above 65535, a table number of 0, an internal key shorter than its 8-byte
// trailer, a table whose smallest key sorts after its largest or whose smallest sequence
// exceeds its largest, and a sequence above kMaxSequence.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/status.h"

namespace shale::storage {

// What the manifest knows about one table file `NNNNNN.sst`.
struct TableMeta {
  uint64_t number = 0;
  uint64_t file_size = 0;
  std::string smallest;  // internal keys
  std::string largest;
  uint64_t smallest_sequence = 0;
  uint64_t largest_sequence = 0;
  uint64_t entries = 0;

  friend bool operator==(const TableMeta&, const TableMeta&) = default;
};

class VersionEdit {
 public:
  VersionEdit() = default;

  void Clear() { *this = VersionEdit(); }

  void SetSnapshot() { snapshot_ = true; }
  void SetLogNumber(uint64_t number) { log_number_ = number; }
  void SetNextFileNumber(uint64_t number) { next_file_number_ = number; }
  void SetLastSequence(uint64_t sequence) { last_sequence_ = sequence; }
  void AddTable(TableMeta table) { added_tables_.push_back(std::move(table)); }
  void RemoveTable(uint64_t number) { removed_tables_.push_back(number); }
  void SetCounter(uint32_t counter, uint64_t value) { counters_[counter] = value; }
  void SetGroupCutoff(uint32_t group, uint64_t sequence) { group_cutoffs_[group] = sequence; }
  void SetShardCount(uint32_t count) { shard_count_ = count; }
  // `files` ascending and distinct.
  void SetDurableWals(uint64_t sequence, std::vector<uint64_t> files) {
    durable_wal_sequence_ = sequence;
    durable_wal_files_ = std::move(files);
  }

  bool snapshot() const { return snapshot_; }
  const std::optional<uint64_t>& log_number() const { return log_number_; }
  const std::optional<uint64_t>& next_file_number() const { return next_file_number_; }
  const std::optional<uint64_t>& last_sequence() const { return last_sequence_; }
  const std::vector<TableMeta>& added_tables() const { return added_tables_; }
  const std::vector<uint64_t>& removed_tables() const { return removed_tables_; }
  const std::map<uint32_t, uint64_t>& counters() const { return counters_; }
  const std::map<uint32_t, uint64_t>& group_cutoffs() const { return group_cutoffs_; }
  const std::optional<uint32_t>& shard_count() const { return shard_count_; }
  // Set when the edit holds field 10; then durable_wal_files() is its list.
  const std::optional<uint64_t>& durable_wal_sequence() const { return durable_wal_sequence_; }
  const std::vector<uint64_t>& durable_wal_files() const { return durable_wal_files_; }

  // Appends the encoding above to *dst.
  void EncodeTo(std::string* dst) const;
  // Replaces *this with the edit encoded in `input`; Corruption (and *this unspecified) when
  // `input` is not a well-formed edit.
  Status DecodeFrom(std::string_view input);

  // A readable one-line summary, for logs and test failures.
  std::string DebugString() const;

  friend bool operator==(const VersionEdit&, const VersionEdit&) = default;

 private:
  bool snapshot_ = false;
  std::optional<uint64_t> log_number_;
  std::optional<uint64_t> next_file_number_;
  std::optional<uint64_t> last_sequence_;
  std::vector<TableMeta> added_tables_;
  std::vector<uint64_t> removed_tables_;
  std::map<uint32_t, uint64_t> counters_;
  std::map<uint32_t, uint64_t> group_cutoffs_;
  std::optional<uint32_t> shard_count_;
  std::optional<uint64_t> durable_wal_sequence_;
  std::vector<uint64_t> durable_wal_files_;
};

}  // namespace shale::storage
