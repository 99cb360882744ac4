// Hashes on the keyspace (server/keyspace/hashes.cc, format.h): one sub-key per field, Redis's
// hash semantics against a model, WRONGTYPE both ways, the encoding Redis would report, TTL kept
// across writes, versions that keep a new hash under an old name clear of the old fields, random
// fields, HSCAN's paging, copies across shards, and refused writes as errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/keyspace/format.h"
#include "server/keyspace/keyspace.h"
#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "storage/key_format.h"
#include "tests/unit/db_util.h"
#include "tests/unit/keyspace_util.h"
#include "tests/unit/test_util.h"

namespace shale::keyspace {
namespace {

using storage::Status;
using test_util::GroupedKey;
using test_util::KeyspaceDb;
using test_util::LiveKeys;
using test_util::TempDir;
using Pairs = std::vector<std::pair<std::string_view, std::string_view>>;
using Strings = std::vector<std::string>;

class KeyspaceHashesTest : public ::testing::Test {
 protected:
  KeyspaceHashesTest() : k_(DbOptions(storage::JoinPath(dir_.path(), "data"))) { k_.Reopen(); }

  storage::Options DbOptions(const std::string& dir) {
    storage::Options options;
    options.dir = dir;
    options.shards = 4;
    options.fsync = storage::FsyncPolicy::kAlways;
    options.background_maintenance = false;
    options.fs = &fs_;
    return options;
  }

  Keyspace& ks() { return k_.ks(); }
  storage::Db& db() { return k_.db(); }

  int64_t HSet(std::string_view key, const Pairs& pairs, bool only_new = false) {
    int64_t added = -1;
    Status s = ks().HashSet(0, key, pairs, only_new, &added);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return added;
  }
  std::string HGet(std::string_view key, std::string_view field) {
    std::string value;
    Status s = ks().HashGet(0, key, field, &value);
    if (s.IsNotFound()) return "<missing>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  }
  int64_t HDel(std::string_view key, const std::vector<std::string_view>& fields) {
    int64_t removed = -1;
    Status s = ks().HashDelete(0, key, fields, &removed);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return removed;
  }
  int64_t HLen(std::string_view key, int db = 0) {
    int64_t length = -1;
    Status s = ks().HashLength(db, key, &length);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return length;
  }
  // HGETALL as field, value, field, value ...
  Strings All(std::string_view key, int db = 0) {
    Strings out;
    Status s = ks().HashEntries(db, key, true, true, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }
  // HINCRBY's arithmetic through HashUpdate (no overflow checks: the command has them).
  int64_t IncrBy(std::string_view key, std::string_view field, int64_t by) {
    int64_t result = 0;
    Status s = ks().HashUpdate(0, key, field, [&](const std::string_view* old, std::string* v) {
      result = (old == nullptr ? 0 : std::stoll(std::string(*old))) + by;
      *v = std::to_string(result);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return result;
  }
  std::string TypeOf(std::string_view key) {
    std::string_view type;
    EXPECT_TRUE(ks().Type(0, key, &type).ok());
    return std::string(type);
  }
  // Whether the key has outgrown Redis's listpack (OBJECT ENCODING "hashtable").
  bool Large(std::string_view key, int db = 0) {
    std::string value;
    ValueHeader header;
    Status s = ks().Inspect(db, key, &value, &header);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return header.encoding == kLargeEncoding;
  }
  Strings Random(std::string_view key, uint64_t count, bool repeats, bool with_values,
                 bool* found = nullptr) {
    Strings out;
    bool f = false;
    Status s = ks().HashRandomFields(0, key, count, repeats, with_values, &out, &f);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (found != nullptr) *found = f;
    return out;
  }
  size_t StoredSubKeys() { return LiveKeys(db(), GroupedKey(kSubKeyGroupBase, "")).size(); }
  void CompactEverything() {
    ASSERT_TRUE(db().FlushMemTables().ok());
    ASSERT_TRUE(db().CompactAll().ok());
    ASSERT_TRUE(db().WaitForFlushes().ok());
  }

  TempDir dir_;
  storage::FaultInjectionFileSystem fs_{storage::DefaultFileSystem()};
  KeyspaceDb k_;
};

// --- the sub-key format ---

TEST(KeyspaceHashFormatTest, AFieldIsItsSubKeysElement) {
  CompositeMeta meta;
  meta.version = 9;
  meta.size = 3;
  std::string payload;
  EncodeCompositeMeta(ValueType::kHash, meta, &payload);
  ASSERT_EQ(payload.size(), kCollectionMetaSize);
  CompositeMeta decoded;
  ASSERT_TRUE(DecodeCompositeMeta(ValueType::kHash, payload, &decoded));
  EXPECT_EQ(decoded.version, 9u);
  EXPECT_EQ(decoded.size, 3u);
  EXPECT_FALSE(DecodeCompositeMeta(ValueType::kHash, payload + "x", &decoded));
}

TEST_F(KeyspaceHashesTest, SubKeysAreFieldBytesUnderTheVersion) {
  EXPECT_EQ(HSet("h", {{"f", "v"}, {"", "empty field"}}), 2);
  std::map<std::string, std::string> stored;
  for (const std::string& key : LiveKeys(db(), GroupedKey(kSubKeyGroupBase, ""))) {
    SubKey sub;
    ASSERT_TRUE(DecodeSubKey(key, &sub));
    EXPECT_EQ(sub.user_key, "h");
    EXPECT_EQ(sub.version, 1u);
    std::string value;
    ASSERT_TRUE(db().Get(key, &value).ok());
    stored[std::string(sub.element)] = value;
  }
  EXPECT_EQ(stored, (std::map<std::string, std::string>{{"", "empty field"}, {"f", "v"}}));
}

// --- operations ---

TEST_F(KeyspaceHashesTest, SetGetDeleteAndLength) {
  EXPECT_EQ(HSet("h", {{"a", "1"}, {"b", "2"}}), 2);
  EXPECT_EQ(HSet("h", {{"a", "3"}, {"c", "4"}, {"c", "5"}}), 1) << "c named twice counts once";
  EXPECT_EQ(All("h"), (Strings{"a", "3", "b", "2", "c", "5"})) << "the last value wins";
  EXPECT_EQ(HLen("h"), 3);
  EXPECT_EQ(HGet("h", "a"), "3");
  EXPECT_EQ(HGet("h", "zz"), "<missing>");
  EXPECT_EQ(HGet("missing", "a"), "<missing>");
  EXPECT_EQ(HSet("h", {{"a", "new"}}, /*only_new=*/true), 0) << "HSETNX leaves a field there";
  EXPECT_EQ(HGet("h", "a"), "3");
  EXPECT_EQ(HSet("h", {{"n", "9"}}, /*only_new=*/true), 1);
  EXPECT_EQ(HSet("nx", {{"f", "v"}}, /*only_new=*/true), 1) << "HSETNX makes the key";

  Strings values;
  std::vector<bool> found;
  ASSERT_TRUE(ks().HashMultiGet(0, "h", {"a", "zz", "b"}, &values, &found).ok());
  EXPECT_EQ(values, (Strings{"3", "", "2"}));
  EXPECT_EQ(found, (std::vector<bool>{true, false, true}));
  ASSERT_TRUE(ks().HashMultiGet(0, "missing", {"a", "b"}, &values, &found).ok());
  EXPECT_EQ(found, (std::vector<bool>{false, false}));

  Strings fields, vals;
  ASSERT_TRUE(ks().HashEntries(0, "h", true, false, &fields).ok());
  ASSERT_TRUE(ks().HashEntries(0, "h", false, true, &vals).ok());
  EXPECT_EQ(fields, (Strings{"a", "b", "c", "n"}));
  EXPECT_EQ(vals, (Strings{"3", "2", "5", "9"}));
  EXPECT_TRUE(All("missing").empty());
  EXPECT_EQ(HLen("missing"), 0);

  EXPECT_EQ(HDel("h", {"a", "a", "zz"}), 1) << "a field named twice is removed once";
  EXPECT_EQ(HDel("missing", {"a"}), 0);
  EXPECT_EQ(HLen("h"), 3);
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(HDel("h", {"b", "c", "n"}), 3);
  EXPECT_EQ(TypeOf("h"), "none") << "an emptied hash is deleted";
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(HSet("h", {{"x", "y"}}), 1);
  EXPECT_EQ(All("h"), (Strings{"x", "y"}));
}

TEST_F(KeyspaceHashesTest, UpdateReadsAndWritesOneField) {
  EXPECT_EQ(IncrBy("h", "n", 5), 5) << "a missing key starts at nothing";
  EXPECT_EQ(IncrBy("h", "n", -7), -2);
  EXPECT_EQ(HLen("h"), 1);
  EXPECT_EQ(IncrBy("h", "m", 1), 1);
  EXPECT_EQ(HLen("h"), 2);
  // An update that declines writes nothing, and does not make a missing key.
  ASSERT_TRUE(ks().HashUpdate(0, "h", "n",
                              [](const std::string_view* old, std::string*) {
                                EXPECT_NE(old, nullptr);
                                return false;
                              })
                  .ok());
  EXPECT_EQ(HGet("h", "n"), "-2");
  ASSERT_TRUE(ks().HashUpdate(0, "other", "f",
                              [](const std::string_view* old, std::string*) {
                                EXPECT_EQ(old, nullptr);
                                return false;
                              })
                  .ok());
  EXPECT_EQ(TypeOf("other"), "none");
  EXPECT_EQ(db().Counter(kVersionCounter), 1) << "no version was used by the declined write";
}

// Random operations against a std::map, the whole hash compared after each, across a reopen and
// a compaction.
TEST_F(KeyspaceHashesTest, MatchesAModelUnderRandomOperations) {
  std::mt19937 rng(4242);
  std::map<std::string, std::string> model;
  auto field = [&] { return "f" + std::to_string(rng() % 40); };
  for (int step = 0; step < 1500; ++step) {
    SCOPED_TRACE(step);
    const unsigned op = rng() % 10;
    if (op < 5) {
      const std::string f1 = field(), f2 = field(), v = std::to_string(rng());
      int64_t expected = (model.count(f1) == 0 ? 1 : 0) + (f2 != f1 && model.count(f2) == 0);
      EXPECT_EQ(HSet("h", {{f1, v}, {f2, v + "x"}}), expected);
      model[f1] = v;
      model[f2] = v + "x";
    } else if (op < 8) {
      const std::string f1 = field(), f2 = field();
      int64_t expected = static_cast<int64_t>(model.erase(f1) + model.erase(f2));
      EXPECT_EQ(HDel("h", {f1, f2}), expected);
    } else {
      const std::string f = field();
      EXPECT_EQ(HGet("h", f), model.count(f) != 0 ? model[f] : "<missing>");
    }
    if (step == 700) {
      ASSERT_TRUE(db().Commit().ok());
      k_.Reopen();
    }
    if (step == 1100) CompactEverything();
    Strings expected;
    for (const auto& [f, v] : model) {
      expected.push_back(f);
      expected.push_back(v);
    }
    ASSERT_EQ(All("h"), expected);
    ASSERT_EQ(HLen("h"), static_cast<int64_t>(model.size()));
    ASSERT_EQ(TypeOf("h"), model.empty() ? "none" : "hash");
  }
}

TEST_F(KeyspaceHashesTest, WrongTypeBothWays) {
  k_.Set(0, "s", "v");
  HSet("h", {{"f", "v"}});
  int64_t n = 0;
  std::string value;
  Strings out;
  std::vector<bool> found;
  bool any = false;
  EXPECT_TRUE(IsWrongType(ks().HashSet(0, "s", {{"f", "v"}}, false, &n)));
  EXPECT_TRUE(IsWrongType(ks().HashGet(0, "s", "f", &value)));
  EXPECT_TRUE(IsWrongType(ks().HashMultiGet(0, "s", {"f"}, &out, &found)));
  EXPECT_TRUE(IsWrongType(ks().HashDelete(0, "s", {"f"}, &n)));
  EXPECT_TRUE(IsWrongType(ks().HashLength(0, "s", &n)));
  EXPECT_TRUE(IsWrongType(ks().HashEntries(0, "s", true, true, &out)));
  EXPECT_TRUE(IsWrongType(
      ks().HashUpdate(0, "s", "f", [](const std::string_view*, std::string*) { return true; })));
  EXPECT_TRUE(IsWrongType(ks().HashRandomFields(0, "s", 1, false, false, &out, &any)));
  EXPECT_TRUE(IsWrongType(ks().HashScan(0, "s", nullptr, 10, &out, &any)));
  int64_t length = 0;
  EXPECT_TRUE(IsWrongType(ks().ListPush(0, "h", ListEnd::kLeft, {"x"}, false, &length)));
  EXPECT_TRUE(IsWrongType(ks().Get(0, "h", &value)));
  EXPECT_TRUE(IsWrongType(ks().GetDel(0, "h", &value)));
  EXPECT_TRUE(IsWrongType(
      ks().UpdateString(0, "h", [](const std::string_view*, std::string*) { return true; })));
  EXPECT_EQ(All("h"), (Strings{"f", "v"})) << "nothing changed";
  // SET overwrites a hash; a hash made under the name later does not see the old fields.
  k_.Set(0, "h", "now a string");
  EXPECT_EQ(k_.GetOr(0, "h"), "now a string");
  EXPECT_TRUE(IsWrongType(ks().HashGet(0, "h", "f", &value)));
  EXPECT_EQ(k_.Del(0, {"h"}), 1);
  EXPECT_EQ(HSet("h", {{"g", "w"}}), 1);
  EXPECT_EQ(All("h"), (Strings{"g", "w"}));
}

// Redis 7.0's conversion rules: more fields than hash-max-listpack-entries, or a field or value
// longer than hash-max-listpack-value (also one written by HINCRBYFLOAT), make it a hashtable for
// good; a copy keeps the encoding.
TEST_F(KeyspaceHashesTest, EncodingFollowsRedisLimits) {
  EncodingLimits limits;
  limits.hash_entries = 3;
  limits.hash_value = 8;
  ks().set_encoding_limits(limits);
  HSet("h", {{"a", "1"}, {"b", "2"}, {"c", "12345678"}});
  EXPECT_FALSE(Large("h")) << "3 fields, 8 bytes: within both";
  HSet("h", {{"d", "4"}});
  EXPECT_TRUE(Large("h")) << "a fourth field";
  HDel("h", {"a", "b", "d"});
  EXPECT_TRUE(Large("h")) << "it never converts back";
  HSet("v", {{"a", "123456789"}});
  EXPECT_TRUE(Large("v")) << "a long value";
  HSet("f", {{"123456789", "a"}});
  EXPECT_TRUE(Large("f")) << "a long field";
  HSet("nx", {{"a", "1"}});
  HSet("nx", {{"a", "123456789"}}, /*only_new=*/true);
  EXPECT_FALSE(Large("nx")) << "HSETNX that writes nothing changes nothing";
  HSet("u", {{"a", "1"}});
  ASSERT_TRUE(ks().HashUpdate(0, "u", "a",
                              [](const std::string_view*, std::string* value) {
                                *value = "1.2345678";
                                return true;
                              })
                  .ok());
  EXPECT_TRUE(Large("u")) << "an update's long result";
  bool copied = false;
  ASSERT_TRUE(ks().Copy(0, "h", 0, "h2", false, &copied).ok());
  ASSERT_TRUE(copied);
  EXPECT_TRUE(Large("h2"));
  ASSERT_TRUE(ks().Copy(0, "nx", 0, "nx2", false, &copied).ok());
  EXPECT_FALSE(Large("nx2"));
  limits.hash_entries = 0;
  ks().set_encoding_limits(limits);
  HSet("zero", {{"a", "1"}});
  EXPECT_TRUE(Large("zero")) << "hash-max-listpack-entries 0: any hash is a hashtable";
}

// A deadline stays through every write, and goes with the key when it expires.
TEST_F(KeyspaceHashesTest, TimeToLiveIsKeptAcrossWrites) {
  HSet("h", {{"a", "1"}});
  bool applied = false;
  ASSERT_TRUE(
      ks().SetExpire(0, "h", static_cast<int64_t>(k_.now_ms() + 10'000), {}, &applied).ok());
  HSet("h", {{"b", "2"}});
  IncrBy("h", "n", 1);
  HDel("h", {"a"});
  EXPECT_EQ(k_.Pttl(0, "h"), 10'000);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  k_.AdvanceMs(10'000);
  EXPECT_EQ(TypeOf("h"), "none");
  EXPECT_EQ(HLen("h"), 0);
  EXPECT_EQ(HSet("h", {{"c", "3"}}), 1) << "a new hash, without the old fields";
  EXPECT_EQ(All("h"), (Strings{"c", "3"}));
  EXPECT_EQ(k_.Pttl(0, "h"), -1);
}

// A new hash under a deleted hash's name never sees the old fields, before or after a compaction
// or a reopen; deleted fields and dead versions go in compaction.
TEST_F(KeyspaceHashesTest, ANewHashUnderAnOldNameGetsANewVersion) {
  HSet("h", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  EXPECT_EQ(k_.Del(0, {"h"}), 1);
  EXPECT_EQ(HGet("h", "a"), "<missing>");
  HSet("h", {{"d", "4"}});
  EXPECT_EQ(All("h"), (Strings{"d", "4"}));
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All("h"), (Strings{"d", "4"}));
  HSet("h", {{"e", "5"}, {"f", "6"}});
  HDel("h", {"e"});
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 2u) << "only the live fields stay";
  EXPECT_EQ(All("h"), (Strings{"d", "4", "f", "6"}));
  EXPECT_EQ(db().Counter(kVersionCounter), 2);
}

TEST_F(KeyspaceHashesTest, RandomFields) {
  bool found = true;
  EXPECT_TRUE(Random("missing", 3, false, false, &found).empty());
  EXPECT_FALSE(found);
  HSet("h", {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}});
  EXPECT_TRUE(Random("h", 0, false, false, &found).empty());
  EXPECT_TRUE(found);
  // Distinct: all of them when asked for as many or more.
  Strings all = Random("h", 10, false, true);
  ASSERT_EQ(all.size(), 10u);
  std::map<std::string, std::string> pairs;
  for (size_t i = 0; i < all.size(); i += 2) pairs[all[i]] = all[i + 1];
  EXPECT_EQ(pairs, (std::map<std::string, std::string>{
                       {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}, {"e", "5"}}));
  // Distinct, fewer: different fields, and every field comes up eventually.
  std::set<std::string> seen;
  for (int i = 0; i < 200 && seen.size() < 5; ++i) {
    Strings some = Random("h", 3, false, false);
    ASSERT_EQ(some.size(), 3u);
    std::set<std::string> unique(some.begin(), some.end());
    EXPECT_EQ(unique.size(), 3u);
    seen.insert(some.begin(), some.end());
  }
  EXPECT_EQ(seen.size(), 5u);
  // With repeats: exactly as many as asked, values with their fields.
  Strings many = Random("h", 50, true, true);
  ASSERT_EQ(many.size(), 100u);
  std::set<std::string> fields;
  for (size_t i = 0; i < many.size(); i += 2) {
    EXPECT_EQ(HGet("h", many[i]), many[i + 1]);
    fields.insert(many[i]);
  }
  EXPECT_LT(fields.size(), 50u) << "50 draws of 5 fields repeat";
  EXPECT_EQ(Random("h", 1, true, false).size(), 1u);
}

// HSCAN: a compact hash comes whole; a large one in pages that resume after the last field,
// every field once, also while fields are added and removed behind the position.
TEST_F(KeyspaceHashesTest, ScanPages) {
  HSet("small", {{"a", "1"}, {"b", "2"}, {"c", "3"}});
  Strings out;
  bool done = false;
  ASSERT_TRUE(ks().HashScan(0, "small", nullptr, 1, &out, &done).ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(out, (Strings{"a", "1", "b", "2", "c", "3"}));
  out.clear();
  ASSERT_TRUE(ks().HashScan(0, "missing", nullptr, 1, &out, &done).ok());
  EXPECT_TRUE(done);
  EXPECT_TRUE(out.empty());

  std::vector<std::string> names;
  names.reserve(600);
  for (int i = 0; i < 600; ++i) names.push_back("f" + std::to_string(i));
  Pairs pairs;
  for (const std::string& name : names) pairs.emplace_back(name, "v");
  HSet("big", pairs);
  ASSERT_TRUE(Large("big"));
  std::multiset<std::string> returned;
  std::string after;
  bool first = true;
  int pages = 0;
  for (done = false; !done; ++pages) {
    out.clear();
    ASSERT_TRUE(ks().HashScan(0, "big", first ? nullptr : &after, 7, &out, &done).ok());
    ASSERT_LE(out.size(), 14u);
    for (size_t i = 0; i < out.size(); i += 2) returned.insert(out[i]);
    if (!out.empty()) after = out[out.size() - 2];
    first = false;
    if (pages == 5) HSet("big", {{"a-before-everything", "x"}});
    ASSERT_LT(pages, 1000);
  }
  EXPECT_GT(pages, 80);
  for (const std::string& name : names) EXPECT_EQ(returned.count(name), 1u) << name;
  // The empty field is a field like any other: a position after it resumes after it.
  HSet("e", {{"", "empty"}, {"x", "1"}});
  out.clear();
  const std::string empty;
  ASSERT_TRUE(ks().HashScan(0, "e", &empty, 10, &out, &done).ok());
  EXPECT_EQ(out, (Strings{"x", "1"}));
}

// COPY, RENAME and MOVE between keys of different shards are one atomic batch each, with every
// field, the encoding and the deadline.
TEST_F(KeyspaceHashesTest, CopyRenameAndMoveAcrossShards) {
  std::string other = "dst";
  for (int i = 0; db().ShardOfRoutingKey(other) == db().ShardOfRoutingKey("src"); ++i) {
    other = "dst" + std::to_string(i);
  }
  HSet("src", {{"a", "1"}, {"b", "2"}});
  bool done = false;
  ASSERT_TRUE(ks().Copy(0, "src", 0, other, false, &done).ok());
  EXPECT_TRUE(done);
  HSet("src", {{"c", "3"}});
  EXPECT_EQ(All(other), (Strings{"a", "1", "b", "2"})) << "a copy, not a view";
  ASSERT_TRUE(ks().Rename(0, "src", other, false, &done).ok());
  EXPECT_EQ(All(other), (Strings{"a", "1", "b", "2", "c", "3"}));
  EXPECT_EQ(TypeOf("src"), "none");
  ASSERT_TRUE(ks().Move(0, other, 5, &done).ok());
  EXPECT_TRUE(done);
  EXPECT_EQ(All(other, 5), (Strings{"a", "1", "b", "2", "c", "3"}));
  EXPECT_EQ(HLen(other, 5), 3);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All(other, 5), (Strings{"a", "1", "b", "2", "c", "3"}));
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 0u) << "database 0's sub-keys are gone";
}

// Writes refused by a failed WAL are errors and change nothing; reads go on; the version given
// back is not reused wrongly once writes work again.
TEST_F(KeyspaceHashesTest, RefusedWritesAreErrorsAndChangeNothing) {
  HSet("h", {{"a", "1"}});
  ASSERT_TRUE(db().Commit().ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  HSet("h", {{"b", "2"}});  // applied, but its WAL record cannot be synced
  EXPECT_FALSE(db().Commit().ok());
  EXPECT_FALSE(db().WriteState().ok());
  int64_t n = 0;
  // "{h}n" shares h's shard (its hash tag), which refuses writes now.
  EXPECT_FALSE(ks().HashSet(0, "{h}n", {{"x", "1"}}, false, &n).ok());
  EXPECT_FALSE(ks().HashSet(0, "h", {{"c", "3"}}, false, &n).ok());
  EXPECT_EQ(n, 0);
  EXPECT_FALSE(ks().HashDelete(0, "h", {"a"}, &n).ok());
  EXPECT_EQ(n, 0);
  EXPECT_FALSE(ks().HashUpdate(0, "h", "a",
                               [](const std::string_view*, std::string* value) {
                                 *value = "9";
                                 return true;
                               })
                   .ok());
  EXPECT_EQ(All("h"), (Strings{"a", "1", "b", "2"})) << "reads go on";
  EXPECT_EQ(TypeOf("{h}n"), "none");
  fs_.ClearFaults();
  ASSERT_TRUE(db().RetryFailedWrites().ok());
  EXPECT_EQ(HSet("{h}n", {{"x", "1"}}), 1);
  EXPECT_EQ(db().Counter(kVersionCounter), 2);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All("{h}n"), (Strings{"x", "1"}));
  EXPECT_EQ(All("h"), (Strings{"a", "1", "b", "2"}));
}

}  // namespace
}  // namespace shale::keyspace
