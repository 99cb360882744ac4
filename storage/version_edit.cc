#include "storage/version_edit.h"

#include <set>
#include <utility>

#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::storage {

namespace {

enum Tag : uint32_t {
  kLogNumber = 1,
  kNextFileNumber = 2,
  kLastSequence = 3,
  kAddTable = 4,
  kRemoveTable = 5,
  kKeyCount = 6,
  kFlushedBefore = 7,
  kSnapshot = 8,
  kShardCount = 9,
  kDurableWals = 10,
};

constexpr uint32_t kMaxShardCount = 65535;

constexpr uint32_t kMaxGroup = 0xffff;  // groups are the first two bytes of a key

Status Malformed(std::string_view what) {
  return Status::Corruption("version edit: " + std::string(what));
}

bool GetSequence(std::string_view* input, uint64_t* sequence) {
  return GetVarint64(input, sequence) && *sequence <= kMaxSequence;
}

bool GetInternalKey(std::string_view* input, std::string* key) {
  std::string_view bytes;
  if (!GetLengthPrefixed(input, &bytes) || bytes.size() < kInternalKeyTrailerSize) return false;
  key->assign(bytes.data(), bytes.size());
  return true;
}

}  // namespace

void VersionEdit::EncodeTo(std::string* dst) const {
  if (snapshot_) PutVarint32(dst, kSnapshot);
  if (log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, *log_number_);
  }
  if (next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, *next_file_number_);
  }
  if (last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, *last_sequence_);
  }
  for (uint64_t number : removed_tables_) {
    PutVarint32(dst, kRemoveTable);
    PutVarint64(dst, number);
  }
  for (const TableMeta& table : added_tables_) {
    PutVarint32(dst, kAddTable);
    PutVarint64(dst, table.number);
    PutVarint64(dst, table.file_size);
    PutLengthPrefixed(dst, table.smallest);
    PutLengthPrefixed(dst, table.largest);
    PutVarint64(dst, table.smallest_sequence);
    PutVarint64(dst, table.largest_sequence);
    PutVarint64(dst, table.entries);
  }
  for (const auto& [db, count] : counters_) {
    PutVarint32(dst, kKeyCount);
    PutVarint32(dst, db);
    PutVarint64(dst, count);
  }
  for (const auto& [db, sequence] : group_cutoffs_) {
    PutVarint32(dst, kFlushedBefore);
    PutVarint32(dst, db);
    PutVarint64(dst, sequence);
  }
  if (shard_count_) {
    PutVarint32(dst, kShardCount);
    PutVarint32(dst, *shard_count_);
  }
  if (durable_wal_sequence_) {
    PutVarint32(dst, kDurableWals);
    PutVarint64(dst, *durable_wal_sequence_);
    PutVarint32(dst, static_cast<uint32_t>(durable_wal_files_.size()));
    for (uint64_t number : durable_wal_files_) PutVarint64(dst, number);
  }
}

Status VersionEdit::DecodeFrom(std::string_view input) {
  Clear();
  std::set<uint64_t> table_numbers;
  while (!input.empty()) {
    uint32_t tag = 0;
    if (!GetVarint32(&input, &tag)) return Malformed("bad field tag");
    switch (tag) {
      case kSnapshot:
        if (snapshot_) return Malformed("repeated snapshot marker");
        snapshot_ = true;
        break;
      case kLogNumber:
      case kNextFileNumber: {
        std::optional<uint64_t>& field = tag == kLogNumber ? log_number_ : next_file_number_;
        const char* name = tag == kLogNumber ? "log number" : "next file number";
        uint64_t value = 0;
        if (!GetVarint64(&input, &value)) return Malformed(std::string("bad ") + name);
        if (field) return Malformed(std::string("repeated ") + name);
        field = value;
        break;
      }
      case kLastSequence: {
        uint64_t value = 0;
        if (!GetSequence(&input, &value)) return Malformed("bad last sequence");
        if (last_sequence_) return Malformed("repeated last sequence");
        last_sequence_ = value;
        break;
      }
      case kAddTable: {
        TableMeta table;
        if (!GetVarint64(&input, &table.number) || !GetVarint64(&input, &table.file_size) ||
            !GetInternalKey(&input, &table.smallest) || !GetInternalKey(&input, &table.largest) ||
            !GetSequence(&input, &table.smallest_sequence) ||
            !GetSequence(&input, &table.largest_sequence) || !GetVarint64(&input, &table.entries)) {
          return Malformed("bad added table");
        }
        if (table.number == 0) return Malformed("table number 0");
        if (CompareInternalKeys(table.smallest, table.largest) > 0) {
          return Malformed("table " + std::to_string(table.number) +
                           ": smallest key sorts after largest key");
        }
        if (table.smallest_sequence > table.largest_sequence) {
          return Malformed("table " + std::to_string(table.number) +
                           ": smallest sequence above largest sequence");
        }
        if (!table_numbers.insert(table.number).second) {
          return Malformed("table " + std::to_string(table.number) + " named twice");
        }
        added_tables_.push_back(std::move(table));
        break;
      }
      case kRemoveTable: {
        uint64_t number = 0;
        if (!GetVarint64(&input, &number) || number == 0) return Malformed("bad removed table");
        if (!table_numbers.insert(number).second) {
          return Malformed("table " + std::to_string(number) + " named twice");
        }
        removed_tables_.push_back(number);
        break;
      }
      case kKeyCount:
      case kFlushedBefore: {
        std::map<uint32_t, uint64_t>& field = tag == kKeyCount ? counters_ : group_cutoffs_;
        const char* name = tag == kKeyCount ? "counter" : "group cut-off";
        uint32_t db = 0;
        uint64_t value = 0;
        const bool value_ok =
            GetVarint32(&input, &db) &&
            (tag == kKeyCount ? GetVarint64(&input, &value) : GetSequence(&input, &value));
        if (!value_ok) return Malformed(std::string("bad ") + name);
        if (tag == kFlushedBefore && db > kMaxGroup) {
          return Malformed(std::string(name) + " " + std::to_string(db) + " out of range");
        }
        if (!field.emplace(db, value).second) {
          return Malformed(std::string("repeated ") + name + " " + std::to_string(db));
        }
        break;
      }
      case kShardCount: {
        uint32_t count = 0;
        if (!GetVarint32(&input, &count) || count == 0 || count > kMaxShardCount) {
          return Malformed("bad shard count");
        }
        if (shard_count_) return Malformed("repeated shard count");
        shard_count_ = count;
        break;
      }
      case kDurableWals: {
        uint64_t sequence = 0;
        uint32_t n = 0;
        if (!GetSequence(&input, &sequence) || !GetVarint32(&input, &n) || n > input.size()) {
          return Malformed("bad durable WALs");
        }
        if (durable_wal_sequence_) return Malformed("repeated durable WALs");
        std::vector<uint64_t> files;
        for (uint32_t i = 0; i < n; ++i) {
          uint64_t number = 0;
          if (!GetVarint64(&input, &number) || (!files.empty() && number <= files.back())) {
            return Malformed("bad durable WAL file list");
          }
          files.push_back(number);
        }
        durable_wal_sequence_ = sequence;
        durable_wal_files_ = std::move(files);
        break;
      }
      default:
        return Malformed("unknown field tag " + std::to_string(tag));
    }
  }
  return Status::Ok();
}

std::string VersionEdit::DebugString() const {
  std::string out = "{";
  auto field = [&out](const std::string& text) {
    if (out.size() > 1) out += ", ";
    out += text;
  };
  if (snapshot_) field("snapshot");
  if (log_number_) field("log " + std::to_string(*log_number_));
  if (next_file_number_) field("next file " + std::to_string(*next_file_number_));
  if (last_sequence_) field("last sequence " + std::to_string(*last_sequence_));
  for (const TableMeta& t : added_tables_) {
    field("+table " + std::to_string(t.number) + " (" + std::to_string(t.file_size) +
          " bytes, sequences " + std::to_string(t.smallest_sequence) + ".." +
          std::to_string(t.largest_sequence) + ", " + std::to_string(t.entries) + " entries)");
  }
  for (uint64_t number : removed_tables_) field("-table " + std::to_string(number));
  for (const auto& [db, count] : counters_) {
    field("counter " + std::to_string(db) + " = " + std::to_string(static_cast<int64_t>(count)));
  }
  for (const auto& [db, sequence] : group_cutoffs_) {
    field("group " + std::to_string(db) + " cut off below " + std::to_string(sequence));
  }
  if (shard_count_) field("shards " + std::to_string(*shard_count_));
  if (durable_wal_sequence_) {
    std::string text = "durable to " + std::to_string(*durable_wal_sequence_) + " in WALs [";
    for (size_t i = 0; i < durable_wal_files_.size(); ++i) {
      if (i > 0) text += " ";
      text += std::to_string(durable_wal_files_[i]);
    }
    field(text + "]");
  }
  out += "}";
  return out;
}

}  // namespace shale::storage
