// Power-loss stress (issue S4), modelled on RocksDB's db_stress / crash_test: at each of many
// random crash points a Db over a FaultInjectionFileSystem runs a random workload under
// appendfsync=always, the "machine stops" (SimulateCrashAfter) somewhere inside a WAL append, a
// WAL rotation, a flush, a compaction or a manifest write, the unsynced data is dropped
// (DropUnsyncedData) and the Db is reopened. Then:
//   - every acknowledged write (its call and the following Commit() returned OK) reads back with
//     its exact value, every acknowledged delete stays deleted;
//   - the writes in flight at the crash, per shard, are a prefix of what was issued: each
//     shard's part of a batch is applied whole or not at all (a single-shard batch, its keys
//     sharing a {hash tag}, is all-or-nothing; a cross-shard batch is only checked per shard);
//   - the key count the workload keeps in a counter (as the keyspace does: a change beside each
//     put of a new key and each delete of a present one) matches the keys present, and
//     VerifyDataDirectory on the closed directory says OK.
// The verified state is carried into the next crash point.
//
// Environment: SHALE_STRESS_SEED replays a run (the seed is printed), SHALE_STRESS_CRASH_POINTS
// sets the number of crash points (default 1000; 500 under a sanitizer, where 1000 take about
// two minutes on two cores), SHALE_STRESS_VERBOSE=1 shows the engine's log.
//
// The run is deterministic given the seed up to the timing of the shards' background workers
// (when a flush or compaction starts relative to the workload), which moves where a crash lands.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/shard.h"
#include "storage/write_batch.h"
#include "tests/stress/stress_util.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::stress_util::BaseName;
using shale::stress_util::EndsWith;
using shale::stress_util::EnvOr;
using shale::stress_util::ForwardingFileSystem;
using shale::stress_util::kSanitized;
using shale::stress_util::NoSyncFileSystem;
using shale::test_util::TempDir;

// Where the crash landed, classified by the first change that failed after the crash was armed
// (only the simulated crash makes changes fail in this test):
//   - a table file (created, appended, synced, renamed): a flush when a flush attempt failed at
//     this crash point (ShardStats::flush_failures grew), otherwise a compaction; removing a
//     table (the end of a compaction) counts as a compaction;
//   - MANIFEST-* or CURRENT (or its temporary): a manifest write;
//   - a WAL file: a rotation when the file is being created, or written while still empty, or
//     removed after its flush; otherwise a WAL append (a Commit);
//   - a SyncDir counts for the file created last (the directory sync completes its creation);
//   - another path (a shard directory created at open): other files;
//   - nothing failed (the crash was armed at close, or at open, past its last change): after the
//     work.
enum class CrashSite { kNone, kWalAppend, kWalRotation, kTable, kTableRemoval, kManifest, kOther };

class RecordingFileSystem final : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;

  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
    site_ = CrashSite::kNone;
    site_path_.clear();
  }
  void Disarm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = false;
  }
  CrashSite site() const {
    std::lock_guard<std::mutex> lock(mu_);
    return site_;
  }
  std::string site_path() const {
    std::lock_guard<std::mutex> lock(mu_);
    return site_path_;
  }
  uint64_t wal_files_created() const {
    std::lock_guard<std::mutex> lock(mu_);
    return wal_files_created_;
  }
  uint64_t manifests_created() const {
    std::lock_guard<std::mutex> lock(mu_);
    return manifests_created_;
  }

  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    std::unique_ptr<WritableFile> inner;
    Status s = target_->NewWritableFile(path, &inner);
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_created_ = path;
      if (s.ok() && EndsWith(path, ".log")) ++wal_files_created_;
      if (s.ok() && BaseName(path).starts_with("MANIFEST-")) ++manifests_created_;
      if (!s.ok()) NoteFailure(path, /*creating=*/true, /*removing=*/false, /*empty=*/true);
    }
    if (s.ok()) *file = std::make_unique<File>(this, path, std::move(inner));
    return s;
  }
  Status RemoveFile(const std::string& path) override {
    Status s = target_->RemoveFile(path);
    if (!s.ok()) Failed(path, false, true, false);
    return s;
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    Status s = target_->RenameFile(from, to);
    if (!s.ok()) Failed(to, false, false, false);
    return s;
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    Status s = target_->Truncate(path, size);
    if (!s.ok()) Failed(path, false, false, false);
    return s;
  }
  Status SyncDir(const std::string& dir) override {
    Status s = target_->SyncDir(dir);
    if (!s.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      NoteFailure(last_created_.empty() ? dir : last_created_, true, false, true);
    }
    return s;
  }
  Status CreateDir(const std::string& dir) override {
    Status s = target_->CreateDir(dir);
    if (!s.ok()) Failed(dir, true, false, true);
    return s;
  }

 private:
  class File final : public WritableFile {
   public:
    File(RecordingFileSystem* fs, std::string path, std::unique_ptr<WritableFile> inner)
        : fs_(fs), path_(std::move(path)), inner_(std::move(inner)) {}
    Status Append(std::string_view data) override {
      const bool empty = inner_->Size() == 0;
      Status s = inner_->Append(data);
      if (!s.ok()) fs_->Failed(path_, false, false, empty);
      return s;
    }
    Status Sync() override {
      const bool empty = inner_->Size() == 0;
      Status s = inner_->Sync();
      if (!s.ok()) fs_->Failed(path_, false, false, empty);
      return s;
    }
    Status Close() override { return inner_->Close(); }
    uint64_t Size() const override { return inner_->Size(); }

   private:
    RecordingFileSystem* const fs_;
    const std::string path_;
    std::unique_ptr<WritableFile> inner_;
  };

  void Failed(const std::string& path, bool creating, bool removing, bool empty) {
    std::lock_guard<std::mutex> lock(mu_);
    NoteFailure(path, creating, removing, empty);
  }
  // REQUIRES: mu_ held.
  void NoteFailure(const std::string& path, bool creating, bool removing, bool empty) {
    if (!armed_ || site_ != CrashSite::kNone) return;
    const std::string name = BaseName(path);
    site_path_ = path;
    if (EndsWith(name, ".sst")) {
      site_ = removing ? CrashSite::kTableRemoval : CrashSite::kTable;
    } else if (name.starts_with("MANIFEST") || name.starts_with("CURRENT")) {
      site_ = CrashSite::kManifest;
    } else if (EndsWith(name, ".log")) {
      site_ = creating || removing || empty ? CrashSite::kWalRotation : CrashSite::kWalAppend;
    } else {
      site_ = CrashSite::kOther;
    }
  }

  mutable std::mutex mu_;
  bool armed_ = false;
  CrashSite site_ = CrashSite::kNone;
  std::string site_path_;
  std::string last_created_;
  uint64_t wal_files_created_ = 0;
  uint64_t manifests_created_ = 0;
};

// A write as issued: every key with its new value (nullopt: deleted).
struct Op {
  std::vector<std::pair<std::string, std::optional<std::string>>> entries;
  bool single_shard = false;
};

using Model = std::map<std::string, std::optional<std::string>>;  // absent: never written

constexpr int kTags = 48;
constexpr uint32_t kKeyCount = 0;  // the counter holding the number of keys
constexpr int kKeysPerTag = 16;

std::string KeyName(int tag, int index) {
  return "{t" + std::to_string(tag) + "}k" + std::to_string(index);
}

class PowerLossStress : public ::testing::Test {
 protected:
  PowerLossStress()
      : seed_(EnvOr("SHALE_STRESS_SEED", 20261201)),
        rng_(seed_),
        nosync_(DefaultFileSystem()),
        fault_(&nosync_),
        recording_(&fault_) {
    options_.dir = JoinPath(dir_.path(), "data");
    options_.shards = 2;
    options_.fsync = FsyncPolicy::kAlways;
    options_.background_maintenance = false;
    options_.fs = &recording_;
    options_.memtable_size = 12 << 10;
    options_.table.block_size = 256;
    options_.table.restart_interval = 4;
    options_.block_cache_size = 64 << 10;
    options_.compaction.min_sstable_size = 4 << 10;
    options_.compaction.min_threshold = 3;
    options_.compaction.max_threshold = 8;
    // The engine logs every crash and recovery; SHALE_STRESS_VERBOSE=1 shows it.
    spdlog::set_level(EnvOr("SHALE_STRESS_VERBOSE", 0) != 0 ? spdlog::level::info
                                                            : spdlog::level::off);
    for (int t = 0; t < kTags; ++t) {
      for (int i = 0; i < kKeysPerTag; ++i) keys_.push_back(KeyName(t, i));
    }
  }

  std::string Where() const { return " (seed " + std::to_string(seed_) + ")"; }

  uint64_t Uniform(uint64_t lo, uint64_t hi) {  // inclusive
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }

  std::string NewValue() {
    std::string value = "v" + std::to_string(++value_counter_) + ":";
    value.append(Uniform(0, 200), static_cast<char>('a' + value_counter_ % 26));
    return value;
  }

  Op RandomOp() {
    Op op;
    const uint64_t kind = Uniform(0, 99);
    const bool is_delete = kind >= 75;
    int keys = 1;
    if (kind % 3 != 0) keys = static_cast<int>(Uniform(1, 6));
    const bool one_tag = Uniform(0, 1) == 0;
    const int tag = static_cast<int>(Uniform(0, kTags - 1));
    std::vector<std::string> chosen;
    while (static_cast<int>(chosen.size()) < keys) {
      const int t = one_tag ? tag : static_cast<int>(Uniform(0, kTags - 1));
      std::string key = KeyName(t, static_cast<int>(Uniform(0, kKeysPerTag - 1)));
      bool duplicate = false;
      for (const std::string& c : chosen) duplicate |= c == key;
      if (!duplicate) chosen.push_back(std::move(key));
    }
    for (std::string& key : chosen) {
      op.entries.emplace_back(std::move(key),
                              is_delete ? std::nullopt : std::optional<std::string>(NewValue()));
    }
    op.single_shard = true;
    for (const auto& [key, value] : op.entries) {
      op.single_shard &= db_->ShardOf(key) == db_->ShardOf(op.entries[0].first);
    }
    return op;
  }

  // One batch for the op (its keys are distinct): a put of every key, or a delete of every key
  // that has a value, each with its change of the key count.
  Status Issue(const Op& op) {
    WriteBatch batch;
    for (const auto& [key, value] : op.entries) {
      std::string old;
      Status s = db_->Get(key, &old);
      if (!s.ok() && !s.IsNotFound()) return s;
      if (value.has_value()) {
        batch.Put(key, *value);
        if (s.IsNotFound()) batch.AddCounter(kKeyCount, 1);
      } else if (s.ok()) {
        batch.Delete(key);
        batch.AddCounter(kKeyCount, -1);
      }
    }
    return db_->Write(batch);
  }

  // Issues one random write and commits it. False once a call or the Commit fails; the write
  // then stays in flight_ (possibly applied), as does every write since the last OK Commit.
  bool WriteOne() {
    Op op = RandomOp();
    Status s = Issue(op);
    flight_.push_back(std::move(op));
    if (s.ok()) s = db_->Commit();
    if (!s.ok()) return false;
    for (const Op& acked : flight_) {
      for (const auto& [key, value] : acked.entries) model_[key] = value;
      ++acknowledged_batches_;
    }
    flight_.clear();
    return true;
  }

  void OpenDb() {
    db_.reset();
    Status s = Db::Open(options_, &db_);
    ASSERT_TRUE(s.ok()) << "reopen after a power loss failed: " << s.ToString() << Where();
  }

  void AddStats() {
    for (const ShardStats& shard : db_->Stats().shards) {
      flushes_ += shard.flushes;
      compactions_ += shard.compactions;
    }
  }

  uint64_t FlushFailures() const {
    uint64_t failures = 0;
    for (const ShardStats& shard : db_->Stats().shards) failures += shard.flush_failures;
    return failures;
  }

  // One crash point: workload, crash, power loss, reopen, verification. The crash is armed at
  // a random point of one of these phases (chosen at random):
  //   0, 1  random writes (WAL appends; memtable switches, i.e. WAL rotations; background
  //         flushes and compactions they trigger);
  //   2     FlushMemTables (WAL rotation, table write, manifest edit, old WAL removal);
  //   3     CompactAll over freshly flushed tables (table write, manifest edit, removals);
  //   4     Db::Open itself (recovery writes a new manifest, CURRENT and a fresh WAL);
  //   5     closing the Db (the last WAL sync and the manifest edit made at close).
  // After arming, writes go on until one fails.
  void CrashPoint(uint64_t point) {
    const uint64_t phase = Uniform(0, 5);
    bool alive = true;
    uint64_t flush_failures_before = 0;
    if (phase == 4) {
      recording_.Arm();
      fault_.SimulateCrashAfter(Uniform(0, 16));
      db_.reset();
      alive = Db::Open(options_, &db_).ok();
      if (!alive) db_.reset();
    } else {
      OpenDb();
      if (HasFatalFailure()) return;
      flush_failures_before = FlushFailures();
      const uint64_t lead = Uniform(0, 120);
      for (uint64_t i = 0; i < lead && alive; ++i) alive = WriteOne();
      ASSERT_TRUE(alive) << "a write failed before the crash was armed at crash point " << point
                         << Where();
      if (phase == 3) {  // enough tables for the compaction to merge something
        for (int i = 0; i < 3 && alive; ++i) {
          for (int j = 0; j < 20 && alive; ++j) alive = WriteOne();
          if (alive) alive = db_->FlushMemTables().ok();
        }
        if (alive) alive = db_->WaitForFlushes().ok();
        ASSERT_TRUE(alive) << "a flush failed before the crash was armed" << Where();
      }
      recording_.Arm();
      fault_.SimulateCrashAfter(Uniform(0, phase == 5 ? 8 : phase >= 2 ? 60 : 24));
      if (phase == 2) {
        alive = db_->FlushMemTables().ok();
      } else if (phase == 3) {
        alive = db_->CompactAll().ok() && db_->WaitForFlushes().ok();
      } else if (phase == 5) {
        alive = false;
      }
    }
    // Write on until the crash makes a call fail (under appendfsync=always every Commit
    // appends and syncs, so that takes a few writes at most).
    for (int i = 0; alive; ++i) {
      alive = WriteOne();
      if (i == 10000) fault_.SimulateCrashAfter(0);
    }
    bool flush_failed = false;
    if (db_ != nullptr) {
      AddStats();
      flush_failed = FlushFailures() > flush_failures_before;
      db_.reset();
    }
    recording_.Disarm();
    ASSERT_TRUE(fault_.DropUnsyncedData().ok());
    Classify(flush_failed);

    OpenDb();
    if (HasFatalFailure()) return;
    Verify(point);
    AddStats();
    db_.reset();
    std::vector<ShardFileFinding> findings;
    Status verdict = VerifyDataDirectory(options_, &findings);
    EXPECT_TRUE(verdict.ok()) << "VerifyDataDirectory after crash point " << point << ": "
                              << verdict.ToString() << Where();
    for (const ShardFileFinding& f : findings) {
      EXPECT_TRUE(f.status.ok()) << "VerifyDataDirectory after crash point " << point << ": "
                                 << f.path << ": " << f.status.ToString() << Where();
    }
  }

  void Classify(bool flush_failed) {
    switch (recording_.site()) {
      case CrashSite::kWalAppend:
        ++crash_wal_append_;
        break;
      case CrashSite::kWalRotation:
        ++crash_wal_rotation_;
        break;
      case CrashSite::kTable:
        ++(flush_failed ? crash_flush_ : crash_compaction_);
        break;
      case CrashSite::kTableRemoval:
        ++crash_compaction_;
        break;
      case CrashSite::kManifest:
        ++crash_manifest_;
        break;
      case CrashSite::kOther:
        ++crash_other_;
        break;
      case CrashSite::kNone:
        ++crash_after_;
        break;
    }
  }

  std::optional<std::string> Read(const std::string& key, uint64_t point, bool* ok) {
    std::string value;
    Status s = db_->Get(key, &value);
    if (s.ok()) return value;
    if (!s.IsNotFound()) {
      ADD_FAILURE() << "crash point " << point << ": Get(" << key << ") -> " << s.ToString()
                    << Where();
      *ok = false;
    }
    return std::nullopt;
  }

  // Checks the reopened Db against model_ and flight_, then folds what survived of flight_ into
  // model_.
  void Verify(uint64_t point) {
    bool ok = true;
    std::map<std::string, std::optional<std::string>> actual;
    for (const std::string& key : keys_) actual[key] = Read(key, point, &ok);

    // Per shard: the in-flight writes that survived must be a prefix of that shard's parts.
    Model next = model_;
    for (int shard = 0; shard < db_->shard_count(); ++shard) {
      std::vector<Op> parts;
      for (const Op& op : flight_) {
        Op part;
        for (const auto& entry : op.entries) {
          if (db_->ShardOf(entry.first) == shard) part.entries.push_back(entry);
        }
        part.single_shard = op.single_shard;
        if (!part.entries.empty()) parts.push_back(std::move(part));
      }
      std::optional<Model> matched;
      Model candidate = model_;
      for (size_t cut = 0; cut <= parts.size() && !matched; ++cut) {
        if (cut > 0) {
          for (const auto& [key, value] : parts[cut - 1].entries) candidate[key] = value;
        }
        bool fits = true;
        for (const Op& part : parts) {
          for (const auto& entry : part.entries) {
            auto it = candidate.find(entry.first);
            const std::optional<std::string> want =
                it == candidate.end() ? std::nullopt : it->second;
            fits &= actual[entry.first] == want;
          }
        }
        if (fits) matched = candidate;
      }
      if (!matched) {
        ++torn_;
        ok = false;
        ADD_FAILURE() << "crash point " << point << ": shard " << shard << " recovered no prefix of"
                      << " its " << parts.size() << " in-flight batches (a batch torn or applied "
                      << "out of order)" << Where();
        continue;
      }
      for (const Op& part : parts) {
        for (const auto& [key, value] : part.entries) next[key] = (*matched)[key];
      }
    }
    uint64_t present = 0;
    for (const std::string& key : keys_) {
      auto it = next.find(key);
      const std::optional<std::string> want = it == next.end() ? std::nullopt : it->second;
      if (want.has_value()) ++present;
      if (actual[key] != want) {
        ++lost_;
        ok = false;
        ADD_FAILURE() << "crash point " << point << ": " << key << " reads "
                      << (actual[key] ? actual[key]->substr(0, 16) : "<absent>") << ", expected "
                      << (want ? want->substr(0, 16) : "<absent>") << Where();
      }
    }
    EXPECT_EQ(db_->Counter(kKeyCount), static_cast<int64_t>(present))
        << "crash point " << point << Where();
    ASSERT_TRUE(ok) << Where();
    model_ = std::move(next);
    flight_.clear();
  }

  const uint64_t seed_;
  std::mt19937_64 rng_;
  TempDir dir_;
  NoSyncFileSystem nosync_;
  FaultInjectionFileSystem fault_;
  RecordingFileSystem recording_;
  Options options_;
  std::unique_ptr<Db> db_;
  std::vector<std::string> keys_;
  Model model_;
  std::vector<Op> flight_;
  uint64_t value_counter_ = 0;
  uint64_t acknowledged_batches_ = 0, lost_ = 0, torn_ = 0, flushes_ = 0, compactions_ = 0;
  uint64_t crash_wal_append_ = 0, crash_wal_rotation_ = 0, crash_flush_ = 0, crash_compaction_ = 0,
           crash_manifest_ = 0, crash_other_ = 0, crash_after_ = 0;
};

TEST_F(PowerLossStress, EveryAcknowledgedWriteSurvivesRandomCrashPoints) {
  const uint64_t points = EnvOr("SHALE_STRESS_CRASH_POINTS", kSanitized ? 500 : 1000);
  std::printf("power loss: seed %llu (SHALE_STRESS_SEED replays it), %llu crash points%s\n",
              static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(points),
              kSanitized && getenv("SHALE_STRESS_CRASH_POINTS") == nullptr
                  ? " (sanitizer build: fewer by default)"
                  : "");
  uint64_t done = 0;
  for (; done < points; ++done) {
    CrashPoint(done);
    if (HasFailure()) break;
  }
  db_.reset();
  std::printf(
      "power loss: %llu crash points, %llu acknowledged batches, %llu lost, %llu torn, %llu "
      "flushes, %llu compactions, %llu manifest rewrites, %llu WAL files; crashes in: %llu WAL "
      "appends, %llu WAL rotations, %llu flushes, %llu compactions, %llu manifest writes, %llu "
      "other files, %llu after the work (nothing failed)\n",
      static_cast<unsigned long long>(done), static_cast<unsigned long long>(acknowledged_batches_),
      static_cast<unsigned long long>(lost_), static_cast<unsigned long long>(torn_),
      static_cast<unsigned long long>(flushes_), static_cast<unsigned long long>(compactions_),
      static_cast<unsigned long long>(recording_.manifests_created()),
      static_cast<unsigned long long>(recording_.wal_files_created()),
      static_cast<unsigned long long>(crash_wal_append_),
      static_cast<unsigned long long>(crash_wal_rotation_),
      static_cast<unsigned long long>(crash_flush_),
      static_cast<unsigned long long>(crash_compaction_),
      static_cast<unsigned long long>(crash_manifest_),
      static_cast<unsigned long long>(crash_other_), static_cast<unsigned long long>(crash_after_));
  EXPECT_EQ(done, points) << Where();
}

}  // namespace
}  // namespace shale::storage
