#include "storage/wal_recovery.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

#include "storage/log_reader.h"

namespace shale::storage {

std::string_view WalRecoveryModeName(WalRecoveryMode mode) {
  switch (mode) {
    case WalRecoveryMode::kTolerateCorruptedTailRecords:
      return "tolerate-corrupted-tail-records";
    case WalRecoveryMode::kAbsoluteConsistency:
      return "absolute-consistency";
    case WalRecoveryMode::kPointInTimeRecovery:
      return "point-in-time-recovery";
    case WalRecoveryMode::kSkipAnyCorruptedRecords:
      return "skip-any-corrupted-records";
  }
  return "unknown";
}

bool ParseWalRecoveryMode(std::string_view name, WalRecoveryMode* mode) {
  for (WalRecoveryMode m :
       {WalRecoveryMode::kTolerateCorruptedTailRecords, WalRecoveryMode::kAbsoluteConsistency,
        WalRecoveryMode::kPointInTimeRecovery, WalRecoveryMode::kSkipAnyCorruptedRecords}) {
    if (WalRecoveryModeName(m) == name) {
      *mode = m;
      return true;
    }
  }
  return false;
}

namespace {

std::string Where(const std::string& path, uint64_t offset) {
  return "WAL file " + path + " at offset " + std::to_string(offset);
}

Status Refuse(const std::string& path, uint64_t offset, const std::string& what,
              WalRecoveryMode mode, std::string_view hint) {
  std::string msg = Where(path, offset) + ": " + what + "; wal-recovery-mode " +
                    std::string(WalRecoveryModeName(mode)) + " refuses to start";
  if (!hint.empty()) {
    msg += " (";
    msg += hint;
    msg += ")";
  }
  spdlog::error("{}", msg);
  return Status::Corruption(std::move(msg));
}

constexpr std::string_view kSalvageHint =
    "set wal-recovery-mode to point-in-time-recovery or skip-any-corrupted-records to start "
    "with the data before or around the damage";

// Cuts `path` at `offset`, durably (read-only: only counts it).
Status CutAt(FileSystem* fs, const std::string& path, uint64_t offset, uint64_t size,
             const std::string& why, bool read_only, WalRecoveryResult* result) {
  if (!read_only) {
    Status s = fs->Truncate(path, offset);
    if (!s.ok()) return s;
  }
  result->truncated_bytes += size - offset;
  spdlog::warn("{}: {}; cut off {} bytes", Where(path, offset), why, size - offset);
  return Status::Ok();
}

// Point-in-time recovery stopped in files[stopped]: set every later file aside.
Status DropLaterFiles(FileSystem* fs, const std::vector<WalFileInfo>& files, size_t stopped,
                      bool read_only, WalRecoveryResult* result) {
  for (size_t i = stopped + 1; i < files.size(); ++i) {
    const std::string aside = read_only ? files[i].path : files[i].path + ".dropped";
    if (!read_only) {
      Status s = fs->RenameFile(files[i].path, aside);
      if (!s.ok()) return s;
    }
    uint64_t size = 0;
    if (!fs->GetFileSize(aside, &size).ok()) size = 0;  // only for the message below
    spdlog::error(
        "point-in-time recovery: WAL file {} ({} bytes) follows the damage and is not "
        "replayed; kept as {}",
        files[i].path, size, aside);
    ++result->dropped_files;
    result->files.push_back({files[i].number, files[i].path, 0, size, true});
  }
  if (!read_only && stopped + 1 < files.size()) return fs->SyncDir(DirName(files[stopped].path));
  return Status::Ok();
}

}  // namespace

Status RecoverWalFiles(FileSystem* fs, const std::vector<WalFileInfo>& files, uint32_t shard_index,
                       WalRecoveryMode mode, const WalBatchHandler& handler,
                       WalRecoveryResult* result, bool read_only) {
  *result = WalRecoveryResult();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i].path;
    uint64_t size = 0;
    Status s = fs->GetFileSize(path, &size);
    if (!s.ok()) return s;
    std::unique_ptr<RandomAccessFile> file;
    s = fs->NewRandomAccessFile(path, &file);
    if (!s.ok()) return s;

    WalFileOutcome outcome{files[i].number, path, 0, size, false};
    log::LogReader reader(file.get(), size, shard_index);
    bool stop = false;  // point-in-time recovery ends here
    bool file_done = false;
    // Damage that only salvage may skip: refused, or under point-in-time recovery the end of
    // the replay (the file is cut there; later files are set aside).
    auto refuse_or_stop_at = [&](uint64_t at, const std::string& what) -> Status {
      if (mode != WalRecoveryMode::kPointInTimeRecovery) {
        return Refuse(path, at, what, mode, kSalvageHint);
      }
      Status cut = CutAt(fs, path, at, size, what + " (point-in-time recovery stops here)",
                         read_only, result);
      if (!cut.ok()) return cut;
      outcome.final_size = at;
      stop = file_done = true;
      return Status::Ok();
    };
    while (!file_done) {
      using Outcome = log::LogReader::Outcome;
      const Outcome o = reader.Next();
      switch (o) {
        case Outcome::kRecord: {
          s = handler(reader.payload());
          if (s.ok()) {
            ++outcome.records;
            ++result->records;
            break;
          }
          if (!s.IsCorruption()) return s;
          // A record that checks out but cannot be applied.
          const uint64_t at = reader.record_offset();
          const std::string what = "unusable record: " + s.message();
          if (mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
            spdlog::error("{}: {}; skipped", Where(path, at), what);
            result->skipped_bytes += reader.valid_end() - at;
            break;
          }
          s = refuse_or_stop_at(at, what);
          if (!s.ok()) return s;
          break;
        }
        case Outcome::kEnd:
          file_done = true;
          break;
        case Outcome::kIOError:
          return reader.status();
        case Outcome::kTornTail: {
          const uint64_t at = reader.bad_offset();
          const std::string what = "torn record (" + reader.bad_reason() + ")";
          if (mode == WalRecoveryMode::kAbsoluteConsistency) {
            return Refuse(path, at, what, mode, "");
          }
          s = CutAt(fs, path, at, size, what, read_only, result);
          if (!s.ok()) return s;
          outcome.final_size = at;
          stop = mode == WalRecoveryMode::kPointInTimeRecovery;
          file_done = true;
          break;
        }
        case Outcome::kCorruptTail: {
          const uint64_t at = reader.bad_offset();
          const std::string what = "corrupt last record (" + reader.bad_reason() +
                                   "; the record is complete, so this is damage, not a torn write)";
          if (mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
            spdlog::error("{}: {}; skipped {} bytes", Where(path, at), what, size - at);
            result->skipped_bytes += size - at;
            file_done = true;
            break;
          }
          s = refuse_or_stop_at(at, what);
          if (!s.ok()) return s;
          break;
        }
        case Outcome::kBadHeader:
          if (reader.foreign()) {
            std::string msg = Where(path, 0) + ": not a WAL file of shard " +
                              std::to_string(shard_index) + ": " + reader.bad_reason() +
                              "; refusing to start (remove or move the file if it does not "
                              "belong here)";
            spdlog::error("{}", msg);
            return Status::Corruption(std::move(msg));
          }
          [[fallthrough]];
        case Outcome::kCorruption: {
          const uint64_t at = reader.bad_offset();
          const std::string what =
              std::string(o == Outcome::kBadHeader ? "garbled header" : "corrupt record") + " (" +
              reader.bad_reason() + ") followed by valid records at offset " +
              std::to_string(reader.resume_offset());
          if (mode == WalRecoveryMode::kSkipAnyCorruptedRecords) {
            spdlog::error("{}: {}; skipped {} bytes", Where(path, at), what,
                          reader.resume_offset() - at);
            result->skipped_bytes += reader.resume_offset() - at;
            break;
          }
          s = refuse_or_stop_at(at, what);
          if (!s.ok()) return s;
          break;
        }
      }
    }
    result->files.push_back(std::move(outcome));
    if (stop) return DropLaterFiles(fs, files, i, read_only, result);
  }
  return Status::Ok();
}

}  // namespace shale::storage
