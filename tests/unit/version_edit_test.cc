// VersionEdit encoding (version_edit.h) and applying edits to a ManifestState (version_set.h).
#include "storage/version_edit.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "storage/coding.h"
#include "storage/key_format.h"
#include "storage/version_set.h"

namespace shale::storage {
namespace {

std::string IKey(std::string_view user_key, uint64_t sequence, ValueKind kind = ValueKind::kValue) {
  std::string storage_key;
  MakeGroupedKey(0, user_key, &storage_key);
  std::string key;
  AppendInternalKey(storage_key, sequence, kind, &key);
  return key;
}

TableMeta Table(uint64_t number, std::string_view smallest, std::string_view largest,
                uint64_t small_seq, uint64_t large_seq) {
  TableMeta t;
  t.number = number;
  t.file_size = 1000 + number;
  t.smallest = IKey(smallest, large_seq);
  t.largest = IKey(largest, small_seq, ValueKind::kDeletion);
  t.smallest_sequence = small_seq;
  t.largest_sequence = large_seq;
  t.entries = 7 * number;
  return t;
}

VersionEdit EveryField() {
  VersionEdit edit;
  edit.SetSnapshot();
  edit.SetLogNumber(12);
  edit.SetNextFileNumber(345678901234ull);
  edit.SetLastSequence(kMaxSequence);
  edit.AddTable(Table(5, "a", "m", 1, 99));
  edit.AddTable(Table(9, "", std::string(300, 'z'), 100, 200));
  edit.RemoveTable(3);
  edit.SetCounter(0, 17);
  edit.SetCounter(0x10000, 1ull << 40);
  edit.SetCounter(0xffffffff, static_cast<uint64_t>(int64_t{-5}));  // two's complement
  edit.SetGroupCutoff(2, 50);
  edit.SetGroupCutoff(0xffff, 0);
  edit.SetShardCount(8);
  edit.SetDurableWals(kMaxSequence - 1, {12, 14, 345678901230ull});
  return edit;
}

VersionEdit Decode(std::string_view encoded, Status* status) {
  VersionEdit edit;
  *status = edit.DecodeFrom(encoded);
  return edit;
}

TEST(VersionEditTest, RoundTripsEveryField) {
  const VersionEdit edit = EveryField();
  std::string encoded;
  edit.EncodeTo(&encoded);
  Status s;
  VersionEdit decoded = Decode(encoded, &s);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(decoded, edit) << decoded.DebugString();
  EXPECT_TRUE(decoded.snapshot());
  EXPECT_EQ(decoded.log_number(), 12u);
  EXPECT_EQ(decoded.next_file_number(), 345678901234ull);
  EXPECT_EQ(decoded.last_sequence(), kMaxSequence);
  ASSERT_EQ(decoded.added_tables().size(), 2u);
  EXPECT_EQ(decoded.added_tables()[1].largest,
            IKey(std::string(300, 'z'), 100, ValueKind::kDeletion));
  EXPECT_EQ(decoded.removed_tables(), std::vector<uint64_t>{3});
  EXPECT_EQ(decoded.counters().at(0x10000), 1ull << 40);
  EXPECT_EQ(static_cast<int64_t>(decoded.counters().at(0xffffffff)), -5);
  EXPECT_EQ(decoded.group_cutoffs().at(2), 50u);
  EXPECT_EQ(decoded.group_cutoffs().at(0xffff), 0u);
  // Encoding is deterministic.
  std::string again;
  decoded.EncodeTo(&again);
  EXPECT_EQ(again, encoded);
}

TEST(VersionEditTest, EmptyEditRoundTrips) {
  VersionEdit edit;
  std::string encoded;
  edit.EncodeTo(&encoded);
  EXPECT_TRUE(encoded.empty());
  Status s;
  VersionEdit decoded = Decode(encoded, &s);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(decoded, edit);
  EXPECT_FALSE(decoded.snapshot());
  EXPECT_FALSE(decoded.log_number().has_value());
}

TEST(VersionEditTest, EveryTruncationIsRejected) {
  std::string encoded;
  EveryField().EncodeTo(&encoded);
  // Cutting the encoding anywhere inside a field must never decode as something else silently:
  // either it fails, or it is exactly a prefix of whole fields (then it decodes to fewer fields).
  int rejected = 0;
  for (size_t n = 1; n < encoded.size(); ++n) {
    Status s;
    VersionEdit decoded = Decode(std::string_view(encoded).substr(0, n), &s);
    if (!s.ok()) {
      EXPECT_TRUE(s.IsCorruption()) << s.ToString();
      ++rejected;
    } else {
      std::string reencoded;
      decoded.EncodeTo(&reencoded);
      EXPECT_EQ(reencoded, encoded.substr(0, n)) << n;
    }
  }
  EXPECT_GT(rejected, static_cast<int>(encoded.size()) / 2);
}

TEST(VersionEditTest, MalformedEditsAreRejected) {
  auto expect_rejected = [](const std::string& bytes, std::string_view why) {
    Status s;
    Decode(bytes, &s);
    EXPECT_TRUE(s.IsCorruption()) << why << ": " << s.ToString();
    EXPECT_NE(s.message().find("version edit"), std::string::npos) << s.message();
  };
  std::string bytes;
  PutVarint32(&bytes, 99);
  expect_rejected(bytes, "unknown tag");

  bytes.clear();
  PutVarint32(&bytes, 1);
  PutVarint64(&bytes, 5);
  PutVarint32(&bytes, 1);
  PutVarint64(&bytes, 6);
  expect_rejected(bytes, "repeated log number");

  bytes.clear();
  PutVarint32(&bytes, 8);
  PutVarint32(&bytes, 8);
  expect_rejected(bytes, "repeated snapshot");

  bytes.clear();
  PutVarint32(&bytes, 3);
  PutVarint64(&bytes, kMaxSequence + 1);
  expect_rejected(bytes, "sequence too large");

  // A group is the first two bytes of a key: a cut-off beyond u16 is no group.
  bytes.clear();
  PutVarint32(&bytes, 7);
  PutVarint32(&bytes, 65536);
  PutVarint64(&bytes, 1);
  expect_rejected(bytes, "group too large");

  bytes.clear();
  PutVarint32(&bytes, 7);
  PutVarint32(&bytes, 1);
  PutVarint64(&bytes, kMaxSequence + 1);
  expect_rejected(bytes, "cut-off sequence too large");

  bytes.clear();
  PutVarint32(&bytes, 7);
  PutVarint32(&bytes, 3);
  PutVarint64(&bytes, 1);
  PutVarint32(&bytes, 7);
  PutVarint32(&bytes, 3);
  PutVarint64(&bytes, 2);
  expect_rejected(bytes, "repeated group cut-off");

  bytes.clear();
  PutVarint32(&bytes, 6);
  PutVarint32(&bytes, 0x10003);
  PutVarint64(&bytes, 1);
  PutVarint32(&bytes, 6);
  PutVarint32(&bytes, 0x10003);
  PutVarint64(&bytes, 2);
  expect_rejected(bytes, "repeated counter");

  bytes.clear();
  PutVarint32(&bytes, 5);
  PutVarint64(&bytes, 0);
  expect_rejected(bytes, "removed table 0");

  auto table_edit = [](const TableMeta& t) {
    VersionEdit edit;
    edit.AddTable(t);
    std::string out;
    edit.EncodeTo(&out);
    return out;
  };
  TableMeta t = Table(4, "a", "b", 1, 2);
  t.number = 0;
  expect_rejected(table_edit(t), "table number 0");
  t = Table(4, "b", "a", 1, 2);
  expect_rejected(table_edit(t), "smallest after largest");
  t = Table(4, "a", "b", 5, 2);
  expect_rejected(table_edit(t), "sequences reversed");
  t = Table(4, "a", "b", 1, 2);
  t.smallest = "short";
  expect_rejected(table_edit(t), "key shorter than a trailer");

  VersionEdit twice;
  twice.AddTable(Table(4, "a", "b", 1, 2));
  twice.RemoveTable(4);
  bytes.clear();
  twice.EncodeTo(&bytes);
  expect_rejected(bytes, "table added and removed in one edit");

  // A varint that never ends.
  expect_rejected(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), "bad varint");
}

// Field 10 replaces the record of durable WAL files; the log number prunes it.
TEST(ManifestStateTest, DurableWalFilesFollowTheLogNumber) {
  ManifestState state;
  VersionEdit close;
  close.SetDurableWals(40, {3, 5, 12});
  close.SetShardCount(4);
  ASSERT_TRUE(state.Apply(close).ok());
  EXPECT_EQ(state.durable_wal_sequence, 40u);
  EXPECT_EQ(state.durable_wal_files, (std::set<uint64_t>{3, 5, 12}));
  VersionEdit flush;
  flush.SetLogNumber(5);
  flush.SetLastSequence(30);
  ASSERT_TRUE(state.Apply(flush).ok());
  EXPECT_EQ(state.durable_wal_files, (std::set<uint64_t>{5, 12}));
  EXPECT_EQ(state.durable_wal_sequence, 40u);  // still durable: in tables or WAL files >= 5
  EXPECT_EQ(state.shard_count, 4u);
  ManifestState rebuilt;
  ASSERT_TRUE(rebuilt.Apply(state.Snapshot()).ok());
  EXPECT_EQ(rebuilt, state);
  VersionEdit next_close;
  next_close.SetDurableWals(55, {14});
  ASSERT_TRUE(state.Apply(next_close).ok());
  EXPECT_EQ(state.durable_wal_files, std::set<uint64_t>{14});
  EXPECT_EQ(state.durable_wal_sequence, 55u);
}

TEST(VersionEditTest, MalformedDurableWalsAreRejected) {
  for (const std::string& bad : {std::string("\x0a\x05\x02\x07\x07", 5),  // not ascending
                                 std::string("\x0a\x05\x09", 3),          // list too short
                                 std::string("\x09\x00", 2)}) {           // shard count 0
    VersionEdit edit;
    EXPECT_TRUE(edit.DecodeFrom(bad).IsCorruption());
  }
}

TEST(ManifestStateTest, AppliesEditsAndSnapshots) {
  ManifestState state;
  VersionEdit first;
  first.SetSnapshot();
  first.SetLogNumber(3);
  first.SetNextFileNumber(10);
  first.AddTable(Table(4, "a", "c", 1, 10));
  first.SetCounter(0, 5);
  ASSERT_TRUE(state.Apply(first).ok());

  VersionEdit flush;
  flush.AddTable(Table(11, "b", "d", 11, 20));
  flush.SetLogNumber(12);
  flush.SetLastSequence(20);
  flush.SetCounter(0, 7);
  flush.SetCounter(1, 2);
  flush.SetCounter(0x10001, static_cast<uint64_t>(int64_t{-3}));
  flush.SetGroupCutoff(1, 15);
  ASSERT_TRUE(state.Apply(flush).ok());
  EXPECT_EQ(state.tables.size(), 2u);
  EXPECT_EQ(state.log_number, 12u);
  EXPECT_EQ(state.next_file_number, 12u);  // past every table number
  EXPECT_EQ(state.last_sequence, 20u);
  EXPECT_EQ(state.counters.at(0), 7u);
  EXPECT_EQ(static_cast<int64_t>(state.counters.at(0x10001)), -3);
  EXPECT_EQ(state.group_cutoffs.at(1), 15u);

  // Zero values disappear; a removed table goes.
  VersionEdit reset;
  reset.SetCounter(1, 0);
  reset.SetGroupCutoff(1, 0);
  reset.RemoveTable(4);
  ASSERT_TRUE(state.Apply(reset).ok());
  EXPECT_EQ(state.counters.count(1), 0u);
  EXPECT_EQ(state.counters.at(0), 7u);
  EXPECT_EQ(state.group_cutoffs.count(1), 0u);
  EXPECT_EQ(state.tables.count(4), 0u);

  // A snapshot of the state rebuilds it exactly, from any starting state.
  ManifestState rebuilt;
  ASSERT_TRUE(rebuilt.Apply(first).ok());
  ASSERT_TRUE(rebuilt.Apply(state.Snapshot()).ok());
  EXPECT_EQ(rebuilt, state);

  // Inconsistent edits.
  VersionEdit again;
  again.AddTable(Table(11, "x", "y", 30, 40));
  EXPECT_TRUE(state.Apply(again).IsCorruption());
  VersionEdit missing;
  missing.RemoveTable(77);
  EXPECT_TRUE(state.Apply(missing).IsCorruption());
}

}  // namespace
}  // namespace shale::storage
