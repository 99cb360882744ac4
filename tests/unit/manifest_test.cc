// The manifest (version_set.h): CURRENT, MANIFEST-NNNNNN logs of version edits, replay, size
// roll-over, crashes while CURRENT is replaced, damage reported at recovery.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/key_format.h"
#include "storage/log_format.h"
#include "storage/log_writer.h"
#include "storage/version_edit.h"
#include "storage/version_set.h"
#include "tests/unit/test_util.h"

namespace shale::storage {
namespace {

using shale::test_util::TempDir;

std::string IKey(std::string_view user_key, uint64_t sequence) {
  std::string key;
  AppendInternalKey(user_key, sequence, ValueKind::kValue, &key);
  return key;
}

TableMeta Table(uint64_t number, uint64_t first_sequence, uint64_t last_sequence) {
  TableMeta t;
  t.number = number;
  t.file_size = 4096 + number;
  t.smallest = IKey("a" + std::to_string(number), last_sequence);
  t.largest = IKey("z" + std::to_string(number), first_sequence);
  t.smallest_sequence = first_sequence;
  t.largest_sequence = last_sequence;
  t.entries = last_sequence - first_sequence + 1;
  return t;
}

// What a flush records.
VersionEdit FlushEdit(uint64_t table, uint64_t log_number, uint64_t last_sequence, uint64_t keys) {
  VersionEdit edit;
  edit.AddTable(Table(table, last_sequence - 9, last_sequence));
  edit.SetLogNumber(log_number);
  edit.SetLastSequence(last_sequence);
  edit.SetCounter(0, keys);
  edit.SetGroupCutoff(1, last_sequence / 2);
  return edit;
}

std::vector<std::string> Children(FileSystem* fs, const std::string& dir) {
  std::vector<std::string> names;
  EXPECT_TRUE(fs->GetChildren(dir, &names).ok());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> Manifests(FileSystem* fs, const std::string& dir) {
  std::vector<std::string> out;
  for (const std::string& name : Children(fs, dir)) {
    uint64_t number = 0;
    if (ParseManifestFileName(name, &number)) out.push_back(name);
  }
  return out;
}

class ManifestTest : public ::testing::Test {
 protected:
  std::unique_ptr<VersionSet> NewVersionSet(
      uint64_t max_size = VersionSet::kDefaultMaxManifestSize) {
    return std::make_unique<VersionSet>(&fs_, dir_.path(), /*shard_index=*/3, max_size);
  }

  std::function<uint64_t()> Allocator() {
    return [this] { return next_number_++; };
  }

  // A recovered VersionSet over the directory, as a new process would see it.
  Status Reopen(ManifestState* state, bool* found) {
    auto versions = NewVersionSet();
    Status s = versions->Recover(found);
    if (s.ok()) *state = versions->state();
    return s;
  }

  std::string Current() {
    std::string contents;
    EXPECT_TRUE(ReadFileToString(&fs_, JoinPath(dir_.path(), "CURRENT"), &contents).ok());
    return contents;
  }

  TempDir dir_;
  FaultInjectionFileSystem fs_{DefaultFileSystem()};
  uint64_t next_number_ = 1;
};

TEST_F(ManifestTest, EmptyDirectoryHasNoManifest) {
  auto versions = NewVersionSet();
  bool found = true;
  ASSERT_TRUE(versions->Recover(&found).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(versions->state(), ManifestState());
  EXPECT_EQ(versions->manifest_number(), 0u);
}

TEST_F(ManifestTest, EditsAreReplayedInOrder) {
  auto versions = NewVersionSet();
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(VersionEdit(), Allocator(), /*new_manifest=*/true).ok());
  EXPECT_EQ(versions->manifest_number(), 1u);
  EXPECT_EQ(Current(), "MANIFEST-000001\n");
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator()).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  VersionEdit remove;
  remove.RemoveTable(5);
  ASSERT_TRUE(versions->LogAndApply(remove, Allocator()).ok());
  EXPECT_EQ(versions->manifest_number(), 1u);  // appended, no new manifest

  const ManifestState& state = versions->state();
  EXPECT_EQ(state.tables.size(), 1u);
  EXPECT_EQ(state.tables.at(8), Table(8, 191, 200));
  EXPECT_EQ(state.log_number, 7u);
  EXPECT_EQ(state.last_sequence, 200u);
  EXPECT_EQ(state.counters.at(0), 12u);
  EXPECT_EQ(state.group_cutoffs.at(1), 100u);
  EXPECT_EQ(state.next_file_number, 9u);

  ManifestState recovered;
  ASSERT_TRUE(Reopen(&recovered, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(recovered, state);
}

TEST_F(ManifestTest, NewManifestReplacesTheOldOne) {
  auto versions = NewVersionSet();
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator(), true).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  const ManifestState before = versions->state();
  next_number_ = 20;
  ASSERT_TRUE(versions->LogAndApply(VersionEdit(), Allocator(), /*new_manifest=*/true).ok());
  EXPECT_EQ(versions->manifest_number(), 20u);
  EXPECT_EQ(Current(), "MANIFEST-000020\n");
  EXPECT_EQ(Manifests(&fs_, dir_.path()), std::vector<std::string>{"MANIFEST-000020"});
  EXPECT_EQ(versions->state().tables, before.tables);
  EXPECT_EQ(versions->state().next_file_number, 21u);

  ManifestState recovered;
  ASSERT_TRUE(Reopen(&recovered, &found).ok());
  EXPECT_EQ(recovered, versions->state());
}

TEST_F(ManifestTest, RollsOverWhenTooLarge) {
  auto versions = NewVersionSet(/*max_size=*/300);
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(VersionEdit(), Allocator(), true).ok());
  std::vector<uint64_t> numbers;
  for (uint64_t i = 1; i <= 30; ++i) {
    next_number_ = 1000 + i;
    ASSERT_TRUE(versions->LogAndApply(FlushEdit(i * 2, i * 2 - 1, i * 10, i), Allocator()).ok());
    if (numbers.empty() || numbers.back() != versions->manifest_number()) {
      numbers.push_back(versions->manifest_number());
    }
    ASSERT_EQ(Manifests(&fs_, dir_.path()).size(), 1u);
  }
  // Rolled over, but not at every edit although the snapshot outgrows the limit.
  EXPECT_GT(numbers.size(), 3u);
  EXPECT_LT(numbers.size(), 15u);
  ManifestState recovered;
  ASSERT_TRUE(Reopen(&recovered, &found).ok());
  EXPECT_EQ(recovered, versions->state());
  EXPECT_EQ(recovered.tables.size(), 30u);
}

TEST_F(ManifestTest, TornLastEditIsIgnored) {
  auto versions = NewVersionSet();
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator(), true).ok());
  const ManifestState first = versions->state();
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  const std::string path = JoinPath(dir_.path(), ManifestFileName(versions->manifest_number()));
  versions.reset();
  uint64_t size = 0;
  ASSERT_TRUE(fs_.GetFileSize(path, &size).ok());
  ASSERT_TRUE(fs_.Truncate(path, size - 3).ok());
  ManifestState recovered;
  ASSERT_TRUE(Reopen(&recovered, &found).ok());
  EXPECT_EQ(recovered, first);
}

TEST_F(ManifestTest, DamageIsReportedNamingTheFile) {
  auto versions = NewVersionSet();
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator(), true).ok());
  const std::string first_end_probe = ManifestFileName(versions->manifest_number());
  const std::string path = JoinPath(dir_.path(), first_end_probe);
  uint64_t snapshot_end = 0;
  ASSERT_TRUE(fs_.GetFileSize(path, &snapshot_end).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(9, 8, 300, 13), Allocator()).ok());
  versions.reset();
  std::string good;
  ASSERT_TRUE(ReadFileToString(&fs_, path, &good).ok());

  auto expect_corruption = [&](const std::string& what, std::string_view needle) {
    bool f = false;
    ManifestState state;
    Status s = Reopen(&state, &f);
    EXPECT_TRUE(s.IsCorruption()) << what << ": " << s.ToString();
    EXPECT_NE(s.message().find(needle), std::string::npos) << what << ": " << s.message();
  };

  // A flipped byte in the middle edit, with a valid edit after it.
  std::string damaged = good;
  damaged[snapshot_end + 12] ^= 0x55;
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, damaged).ok());
  expect_corruption("corrupt record", path);

  // A flipped byte in the complete last edit: damage, not a torn append.
  damaged = good;
  damaged.back() ^= 0x10;
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, damaged).ok());
  expect_corruption("flipped last edit", path);

  // An edit whose checksum holds but whose contents do not decode.
  std::string bad_edit = good.substr(0, snapshot_end);
  log::AppendRecord(log::RecordType::kBatch, std::string("\x63", 1), &bad_edit);
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, bad_edit).ok());
  expect_corruption("undecodable edit", "unknown field tag 99");

  // A manifest that does not start with a snapshot.
  std::string no_snapshot;
  log::AppendRecord(log::RecordType::kHeader, log::EncodeHeaderPayload({log::kFormatVersion, 3, 1}),
                    &no_snapshot);
  std::string payload;
  FlushEdit(8, 7, 200, 12).EncodeTo(&payload);
  log::AppendRecord(log::RecordType::kBatch, payload, &no_snapshot);
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, no_snapshot).ok());
  expect_corruption("no snapshot", "not a snapshot");

  // Another shard's manifest.
  std::string foreign = good;
  std::string other_header;
  log::AppendRecord(log::RecordType::kHeader, log::EncodeHeaderPayload({log::kFormatVersion, 4, 1}),
                    &other_header);
  foreign.replace(0, other_header.size(), other_header);
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, foreign).ok());
  expect_corruption("foreign manifest", "not a manifest of shard 3");

  // CURRENT naming nothing, or a missing file.
  ASSERT_TRUE(WriteFileAtomically(&fs_, path, good).ok());
  ASSERT_TRUE(WriteFileAtomically(&fs_, JoinPath(dir_.path(), "CURRENT"), "garbage\n").ok());
  expect_corruption("garbage CURRENT", "does not name a manifest");
  ASSERT_TRUE(
      WriteFileAtomically(&fs_, JoinPath(dir_.path(), "CURRENT"), "MANIFEST-000077\n").ok());
  expect_corruption("missing manifest", "MANIFEST-000077, which does not exist");

  // Restored, it recovers again.
  ASSERT_TRUE(
      WriteFileAtomically(&fs_, JoinPath(dir_.path(), "CURRENT"), first_end_probe + "\n").ok());
  ManifestState state;
  ASSERT_TRUE(Reopen(&state, &found).ok());
  EXPECT_EQ(state.tables.size(), 3u);
}

// Power loss at every step of starting a new manifest (write it, sync it, sync the directory,
// write CURRENT.tmp, sync, rename, sync the directory, remove the old manifest): recovery then
// sees either the old state or the new one, never an error, and the new one whenever the call
// reported success.
TEST_F(ManifestTest, CrashAtEveryStepOfReplacingCurrent) {
  bool completed = false;
  bool saw_missing_current = false;
  for (uint64_t steps = 0; !completed && steps < 40; ++steps) {
    SCOPED_TRACE("crash after " + std::to_string(steps) + " steps");
    TempDir dir;
    auto versions = std::make_unique<VersionSet>(&fs_, dir.path(), 3);
    bool found = false;
    ASSERT_TRUE(versions->Recover(&found).ok());
    next_number_ = 1;
    ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator(), true).ok());
    ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
    const ManifestState old_state = versions->state();
    ManifestState expected_new = old_state;
    ASSERT_TRUE(expected_new.Apply(FlushEdit(9, 9, 300, 14)).ok());
    expected_new.next_file_number = 51;
    next_number_ = 50;

    fs_.SimulateCrashAfter(steps);
    Status s = versions->LogAndApply(FlushEdit(9, 9, 300, 14), Allocator(), /*new_manifest=*/true);
    completed = s.ok();
    const ManifestState new_state = versions->state();
    versions.reset();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    saw_missing_current = saw_missing_current || !fs_.FileExists(JoinPath(dir.path(), "CURRENT"));

    auto reopened = std::make_unique<VersionSet>(&fs_, dir.path(), 3);
    Status r = reopened->Recover(&found);
    ASSERT_TRUE(r.ok()) << r.ToString();
    ASSERT_TRUE(found);
    if (completed) {
      EXPECT_EQ(new_state, expected_new);
      EXPECT_EQ(reopened->state(), expected_new);
    } else {
      EXPECT_TRUE(reopened->state() == old_state || reopened->state() == expected_new)
          << reopened->state().tables.size();
    }
    // And it goes on: a further manifest and edit work.
    next_number_ = 100;
    ASSERT_TRUE(reopened->LogAndApply(VersionEdit(), Allocator(), true).ok());
    ASSERT_TRUE(reopened->LogAndApply(FlushEdit(101, 301, 400, 1), Allocator()).ok());
  }
  EXPECT_TRUE(completed);
  EXPECT_TRUE(saw_missing_current);  // the fallback to the newest intact manifest ran
}

// A failed append leaves the manifest unusable; the next edit starts a new one, and nothing
// the failed edit described is lost or applied twice.
TEST_F(ManifestTest, FailedAppendStartsANewManifest) {
  auto versions = NewVersionSet();
  bool found = false;
  ASSERT_TRUE(versions->Recover(&found).ok());
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(5, 4, 100, 10), Allocator(), true).ok());
  const uint64_t first_manifest = versions->manifest_number();
  const ManifestState before = versions->state();
  fs_.FailNthSync(1);
  EXPECT_FALSE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  EXPECT_EQ(versions->state(), before);
  next_number_ = 30;
  ASSERT_TRUE(versions->LogAndApply(FlushEdit(8, 7, 200, 12), Allocator()).ok());
  EXPECT_NE(versions->manifest_number(), first_manifest);
  EXPECT_EQ(Manifests(&fs_, dir_.path()), std::vector<std::string>{"MANIFEST-000030"});
  ManifestState recovered;
  ASSERT_TRUE(Reopen(&recovered, &found).ok());
  EXPECT_EQ(recovered, versions->state());
  EXPECT_EQ(recovered.tables.size(), 2u);
}

// Db starts a fresh manifest at every open and keeps exactly one per shard.
TEST(ManifestDbTest, NewManifestAtEachOpen) {
  TempDir dir;
  Options options;
  options.dir = JoinPath(dir.path(), "data");
  options.shards = 2;
  options.background_maintenance = false;
  const std::string shard_dir = JoinPath(options.dir, "shard-001");
  std::vector<std::string> seen;
  for (int round = 0; round < 3; ++round) {
    std::unique_ptr<Db> db;
    ASSERT_TRUE(Db::Open(options, &db).ok());
    WriteBatch batch;
    batch.Put("k" + std::to_string(round), "v");
    ASSERT_TRUE(db->Write(batch).ok());
    ASSERT_TRUE(db->FlushMemTables().ok());
    const std::vector<std::string> manifests = Manifests(DefaultFileSystem(), shard_dir);
    ASSERT_EQ(manifests.size(), 1u);
    std::string current;
    ASSERT_TRUE(
        ReadFileToString(DefaultFileSystem(), JoinPath(shard_dir, "CURRENT"), &current).ok());
    EXPECT_EQ(current, manifests[0] + "\n");
    if (!seen.empty()) {
      EXPECT_GT(manifests[0], seen.back());
    }
    seen.push_back(manifests[0]);
  }
  std::unique_ptr<Db> db;
  ASSERT_TRUE(Db::Open(options, &db).ok());
  for (int round = 0; round < 3; ++round) {
    std::string value;
    EXPECT_TRUE(db->Get("k" + std::to_string(round), &value).ok()) << round;
    EXPECT_EQ(value, "v");
  }
}

}  // namespace
}  // namespace shale::storage
