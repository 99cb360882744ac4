// Sets on the keyspace (server/keyspace/sets.cc): Redis's set semantics against a model, the
// intset/hashtable encoding rules of Redis 7.0, random members, the STORE commands and SMOVE as one
// batch across shards, versions (a new set under an old name sees no old member, also by a point
// read), deadlines kept by writes, SSCAN's walk, and refused writes as errors that change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <string_view>
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
using Members = std::vector<std::string>;

class KeyspaceSetsTest : public ::testing::Test {
 protected:
  KeyspaceSetsTest() : k_(DbOptions(storage::JoinPath(dir_.path(), "data"))) { k_.Reopen(); }

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

  int64_t Add(std::string_view key, const std::vector<std::string_view>& members) {
    int64_t added = -1;
    Status s = ks().SetAdd(0, key, members, &added);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return added;
  }
  int64_t Rem(std::string_view key, const std::vector<std::string_view>& members) {
    int64_t removed = -1;
    Status s = ks().SetRemove(0, key, members, &removed);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return removed;
  }
  Members All(std::string_view key, int db = 0) {
    Members members;
    Status s = ks().SetMembers(db, key, &members);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return members;
  }
  bool Has(std::string_view key, std::string_view member) {
    std::vector<bool> found;
    Status s = ks().SetIsMember(0, key, {member}, &found);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return found.at(0);
  }
  int64_t Card(std::string_view key) {
    int64_t size = -1;
    EXPECT_TRUE(ks().SetCard(0, key, &size).ok());
    return size;
  }
  Members Combine(SetOperation operation, const std::vector<std::string_view>& keys,
                  uint64_t limit = 0) {
    Members members;
    Status s = ks().SetCombine(0, operation, keys, limit, &members);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return members;
  }
  int64_t Store(SetOperation operation, std::string_view destination,
                const std::vector<std::string_view>& keys) {
    int64_t size = -1;
    Status s = ks().SetCombineStore(0, operation, destination, keys, &size);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return size;
  }
  // "intset" or "hashtable", as OBJECT ENCODING says it (from the header's encoding bits).
  std::string Encoding(std::string_view key) {
    std::string value;
    ValueHeader header;
    Status s = ks().Inspect(0, key, &value, &header);
    if (s.IsNotFound()) return "none";
    EXPECT_TRUE(s.ok() || IsWrongType(s)) << s.ToString();
    return header.encoding == kLargeEncoding ? "hashtable" : "intset";
  }
  std::string TypeOf(std::string_view key) {
    std::string_view type;
    EXPECT_TRUE(ks().Type(0, key, &type).ok());
    return std::string(type);
  }
  size_t StoredSubKeys() { return LiveKeys(db(), GroupedKey(kSubKeyGroupBase, "")).size(); }
  void CompactEverything() {
    ASSERT_TRUE(db().FlushMemTables().ok());
    ASSERT_TRUE(db().CompactAll().ok());
    ASSERT_TRUE(db().WaitForFlushes().ok());
  }
  // A key that routes to another shard than `key`.
  std::string OnAnotherShard(std::string_view key, const std::string& base) {
    std::string other = base;
    for (int i = 0; db().ShardOfRoutingKey(other) == db().ShardOfRoutingKey(key); ++i) {
      other = base + std::to_string(i);
    }
    return other;
  }

  TempDir dir_;
  storage::FaultInjectionFileSystem fs_{storage::DefaultFileSystem()};
  KeyspaceDb k_;
};

TEST_F(KeyspaceSetsTest, AddRemoveAndMembers) {
  EXPECT_EQ(Add("s", {"b", "a", "b", "c"}), 3) << "a member named twice counts once";
  EXPECT_EQ(Add("s", {"a", "d"}), 1);
  EXPECT_EQ(All("s"), (Members{"a", "b", "c", "d"})) << "member (byte) order";
  EXPECT_EQ(Card("s"), 4);
  EXPECT_TRUE(Has("s", "a"));
  EXPECT_FALSE(Has("s", "z"));
  EXPECT_FALSE(Has("missing", "a"));
  std::vector<bool> found;
  ASSERT_TRUE(ks().SetIsMember(0, "s", {"a", "x", "d"}, &found).ok());
  EXPECT_EQ(found, (std::vector<bool>{true, false, true}));
  ASSERT_TRUE(ks().SetIsMember(0, "missing", {"a", "b"}, &found).ok());
  EXPECT_EQ(found, (std::vector<bool>{false, false}));
  EXPECT_EQ(Rem("s", {"a", "a", "x"}), 1);
  EXPECT_FALSE(Has("s", "a")) << "a removed member's sub-key is gone for point reads";
  EXPECT_EQ(Rem("missing", {"a"}), 0);
  EXPECT_EQ(Rem("s", {"b", "c", "d"}), 3);
  EXPECT_EQ(TypeOf("s"), "none") << "an emptied set is deleted";
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(Card("s"), 0);
  EXPECT_TRUE(All("s").empty());
  // Binary members and the empty member.
  const std::string binary("\0\xff\n", 3);
  EXPECT_EQ(Add("b", {binary, "", "x"}), 3);
  EXPECT_TRUE(Has("b", ""));
  EXPECT_TRUE(Has("b", binary));
  EXPECT_EQ(All("b"), (Members{"", binary, "x"}));
}

// Random SADD/SREM/SMOVE against std::set models, with the set algebra checked after each step.
TEST_F(KeyspaceSetsTest, MatchesAModelUnderRandomOperations) {
  std::mt19937 rng(4242);
  const std::vector<std::string> keys = {"k1", "k2", "{k1}3"};
  std::map<std::string, std::set<std::string>> model;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int step = 0; step < 1500; ++step) {
    SCOPED_TRACE(step);
    const std::string& key = keys[static_cast<size_t>(pick(3))];
    const std::string m = std::to_string(pick(12));
    const int op = pick(4);
    if (op <= 1) {
      const std::string m2 = std::string(1, static_cast<char>('a' + pick(3)));
      int64_t want = model[key].insert(m).second ? 1 : 0;
      want += model[key].insert(m2).second ? 1 : 0;
      EXPECT_EQ(Add(key, {m, m2}), want);
    } else if (op == 2) {
      EXPECT_EQ(Rem(key, {m}), static_cast<int64_t>(model[key].erase(m)));
    } else {
      const std::string& to = keys[static_cast<size_t>(pick(3))];
      bool moved = false;
      ASSERT_TRUE(ks().SetMove(0, key, to, m, &moved).ok());
      const bool want = model[key].count(m) != 0;
      EXPECT_EQ(moved, want);
      if (want && to != key) {
        model[key].erase(m);
        model[to].insert(m);
      }
    }
    for (const std::string& k : keys) {
      ASSERT_EQ(All(k), Members(model[k].begin(), model[k].end())) << k;
    }
    Members inter, uni, diff;
    const auto& a = model[keys[0]];
    const auto& b = model[keys[1]];
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(inter));
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(uni));
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(diff));
    ASSERT_EQ(Combine(SetOperation::kIntersection, {keys[0], keys[1]}), inter);
    ASSERT_EQ(Combine(SetOperation::kUnion, {keys[0], keys[1]}), uni);
    ASSERT_EQ(Combine(SetOperation::kDifference, {keys[0], keys[1]}), diff);
    size_t live = 0;
    for (const auto& [k, members] : model) live += members.empty() ? 0 : 1;
    ASSERT_EQ(ks().KeyCount(0), live);
  }
}

TEST_F(KeyspaceSetsTest, Algebra) {
  Add("a", {"1", "2", "3", "4", "x"});
  Add("b", {"3", "4", "5"});
  Add("c", {"4", "x", "9"});
  EXPECT_EQ(Combine(SetOperation::kIntersection, {"a", "b", "c"}), (Members{"4"}));
  EXPECT_EQ(Combine(SetOperation::kIntersection, {"a", "a"}), All("a"));
  EXPECT_TRUE(Combine(SetOperation::kIntersection, {"a", "missing"}).empty());
  EXPECT_EQ(Combine(SetOperation::kIntersection, {"a", "c"}, 1), (Members{"4"})) << "LIMIT";
  EXPECT_EQ(Combine(SetOperation::kIntersection, {"a", "c"}).size(), 2u);
  EXPECT_EQ(Combine(SetOperation::kUnion, {"b", "missing", "c", "b"}),
            (Members{"3", "4", "5", "9", "x"}));
  EXPECT_EQ(Combine(SetOperation::kDifference, {"a", "b", "c"}), (Members{"1", "2"}));
  EXPECT_TRUE(Combine(SetOperation::kDifference, {"a", "a"}).empty());
  EXPECT_TRUE(Combine(SetOperation::kDifference, {"missing", "a"}).empty());
  EXPECT_EQ(Combine(SetOperation::kDifference, {"a", "missing"}), All("a"));
  // A big set subtracted from a small one (point reads) and the reverse (a merge).
  std::vector<std::string> many;
  many.reserve(300);
  for (int i = 0; i < 300; ++i) many.push_back("m" + std::to_string(i));
  Add("big", std::vector<std::string_view>(many.begin(), many.end()));
  Add("small", {"m7", "m250", "zz"});
  EXPECT_EQ(Combine(SetOperation::kDifference, {"small", "big"}), (Members{"zz"}));
  Members rest = Combine(SetOperation::kDifference, {"big", "small"});
  EXPECT_EQ(rest.size(), 298u);
  EXPECT_FALSE(std::binary_search(rest.begin(), rest.end(), "m7"));
  // Every key is type-checked, also after an absent key decided the answer.
  k_.Set(0, "str", "v");
  Members out;
  for (SetOperation op :
       {SetOperation::kIntersection, SetOperation::kUnion, SetOperation::kDifference}) {
    EXPECT_TRUE(IsWrongType(ks().SetCombine(0, op, {"missing", "str"}, 0, &out)));
    int64_t size = 0;
    EXPECT_TRUE(IsWrongType(ks().SetCombineStore(0, op, "dst", {"missing", "str"}, &size)));
  }
}

// Redis 7.0: intset while every member is a canonical int64 and there are at most
// set-max-intset-entries; hashtable for good once a write breaks either.
TEST_F(KeyspaceSetsTest, EncodingFollowsRedisIntsetRules) {
  EncodingLimits limits;
  limits.set_intset_entries = 4;
  ks().set_encoding_limits(limits);
  Add("i", {"1", "-2", "9223372036854775807", "-9223372036854775808"});
  EXPECT_EQ(Encoding("i"), "intset");
  Add("i", {"1"});
  EXPECT_EQ(Encoding("i"), "intset") << "no new member";
  Add("i", {"5"});
  EXPECT_EQ(Encoding("i"), "hashtable") << "more than set-max-intset-entries";
  Rem("i", {"5", "1"});
  EXPECT_EQ(Encoding("i"), "hashtable") << "sticky";
  for (std::string_view odd : {"-0", "007", "+1", " 1", "9223372036854775808", "1.0", "a"}) {
    SCOPED_TRACE(odd);
    k_.Del(0, {"o"});
    Add("o", {"1"});
    EXPECT_EQ(Encoding("o"), "intset");
    Add("o", {odd});
    EXPECT_EQ(Encoding("o"), "hashtable");
  }
  // SMOVE: the destination follows the rules (a new one made from the member).
  Add("src", {"7", "x"});
  bool moved = false;
  ASSERT_TRUE(ks().SetMove(0, "src", "d1", "7", &moved).ok());
  EXPECT_EQ(Encoding("d1"), "intset");
  ASSERT_TRUE(ks().SetMove(0, "src", "d1", "x", &moved).ok());
  EXPECT_EQ(Encoding("d1"), "hashtable");
  // The STORE commands make the destination's encoding from the result, whatever the sources'.
  k_.Del(0, {"h"});
  Add("h", {"1", "2", "3", "4", "5"});
  Rem("h", {"5"});
  EXPECT_EQ(Encoding("h"), "hashtable");
  EXPECT_EQ(Store(SetOperation::kUnion, "u", {"h"}), 4);
  EXPECT_EQ(Encoding("u"), "intset");
  Add("h", {"6"});
  EXPECT_EQ(Store(SetOperation::kUnion, "u", {"h"}), 5);
  EXPECT_EQ(Encoding("u"), "hashtable");
  EXPECT_EQ(Store(SetOperation::kIntersection, "u", {"h", "src"}), 0);
  EXPECT_EQ(TypeOf("u"), "none");
  // COPY keeps the encoding.
  bool copied = false;
  ASSERT_TRUE(ks().Copy(0, "i", 0, "icopy", false, &copied).ok());
  EXPECT_EQ(Encoding("icopy"), "hashtable");
  ASSERT_TRUE(ks().Copy(0, "d1", 0, "d1copy", false, &copied).ok());
  EXPECT_EQ(All("d1copy"), (Members{"7", "x"}));
}

// SPOP with a count that leaves few members rebuilds the set from them (Redis's case 3): its
// encoding is decided again; otherwise it stays.
TEST_F(KeyspaceSetsTest, PopRebuildsTheEncodingLikeRedis) {
  EncodingLimits limits;
  limits.set_intset_entries = 4;
  ks().set_encoding_limits(limits);
  Add("p", {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  EXPECT_EQ(Encoding("p"), "hashtable");
  bool applied = false;
  ASSERT_TRUE(
      ks().SetExpire(0, "p", static_cast<int64_t>(k_.now_ms() + 100'000), {}, &applied).ok());
  Members popped;
  bool found = false;
  ASSERT_TRUE(ks().SetPop(0, "p", 8, &popped, &found).ok());  // 2 left: 2 * 5 > 8, case 2
  EXPECT_EQ(popped.size(), 8u);
  EXPECT_EQ(Encoding("p"), "hashtable");
  EXPECT_EQ(Card("p"), 2);
  EXPECT_EQ(k_.Pttl(0, "p"), 100'000) << "SPOP keeps the deadline";
  k_.Del(0, {"p"});
  Add("p", {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"});
  popped.clear();
  ASSERT_TRUE(ks().SetPop(0, "p", 9, &popped, &found).ok());  // 1 left: case 3
  EXPECT_EQ(Encoding("p"), "intset");
  Members left = All("p");
  ASSERT_EQ(left.size(), 1u);
  popped.push_back(left[0]);
  std::sort(popped.begin(), popped.end());
  EXPECT_EQ(popped, (Members{"1", "10", "2", "3", "4", "5", "6", "7", "8", "9"}));
  // A non-integer among those left keeps it a hashtable.
  k_.Del(0, {"q"});
  Add("q", {"a", "b", "c", "d", "e", "f"});
  popped.clear();
  ASSERT_TRUE(ks().SetPop(0, "q", 5, &popped, &found).ok());
  EXPECT_EQ(Encoding("q"), "hashtable");
}

TEST_F(KeyspaceSetsTest, RandomMembersAndPop) {
  std::vector<std::string> ten;
  ten.reserve(10);
  for (int i = 0; i < 10; ++i) ten.push_back("m" + std::to_string(i));
  Add("s", std::vector<std::string_view>(ten.begin(), ten.end()));
  const std::set<std::string> all(ten.begin(), ten.end());
  Members got;
  for (int64_t count : {1, 3, 7, 9}) {
    got.clear();
    ASSERT_TRUE(ks().SetRandomMembers(0, "s", count, &got).ok());
    EXPECT_EQ(got.size(), static_cast<size_t>(count));
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size()) << "distinct";
    for (const std::string& m : got) EXPECT_EQ(all.count(m), 1u);
  }
  got.clear();
  ASSERT_TRUE(ks().SetRandomMembers(0, "s", 100, &got).ok());
  EXPECT_EQ(got, Members(all.begin(), all.end())) << "the whole set";
  // Repeats: every member turns up (each is drawn ~1000 times out of 10000).
  for (int64_t count : {-5, -10000}) {
    got.clear();
    ASSERT_TRUE(ks().SetRandomMembers(0, "s", count, &got).ok());
    EXPECT_EQ(static_cast<int64_t>(got.size()), -count);
    std::map<std::string, int> seen;
    for (const std::string& m : got) {
      EXPECT_EQ(all.count(m), 1u);
      seen[m]++;
    }
    if (count == -10000) {
      EXPECT_EQ(seen.size(), 10u);
      for (const auto& [m, n] : seen) EXPECT_GT(n, 700) << m;
    }
  }
  // Distinct draws are uniform too: over 2000 draws of 3, every member is drawn ~600 times.
  std::map<std::string, int> seen;
  for (int i = 0; i < 2000; ++i) {
    got.clear();
    ASSERT_TRUE(ks().SetRandomMembers(0, "s", 3, &got).ok());
    for (const std::string& m : got) seen[m]++;
  }
  for (const auto& [m, n] : seen) EXPECT_GT(n, 450) << m;
  got.clear();
  ASSERT_TRUE(ks().SetRandomMembers(0, "missing", -3, &got).ok());
  EXPECT_TRUE(got.empty());
  ASSERT_TRUE(ks().SetRandomMembers(0, "s", 0, &got).ok());
  EXPECT_TRUE(got.empty());

  // SPOP: distinct members, removed; the last one takes the key with it.
  Members popped;
  bool found = false;
  ASSERT_TRUE(ks().SetPop(0, "s", 4, &popped, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(popped.size(), 4u);
  EXPECT_EQ(Card("s"), 6);
  for (const std::string& m : popped) EXPECT_FALSE(Has("s", m));
  ASSERT_TRUE(ks().SetPop(0, "s", 0, &popped, &found).ok());
  EXPECT_EQ(popped.size(), 4u);
  ASSERT_TRUE(ks().SetPop(0, "s", 100, &popped, &found).ok());
  EXPECT_EQ(popped.size(), 10u);
  EXPECT_EQ(std::set<std::string>(popped.begin(), popped.end()), all);
  EXPECT_EQ(TypeOf("s"), "none");
  popped.clear();
  ASSERT_TRUE(ks().SetPop(0, "s", 1, &popped, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_TRUE(popped.empty());
}

// A large set's positional index (in memory, small buckets here) follows SADD, SREM, SPOP and
// SMOVE in both directions: random members stay members of a model, distinct when asked, and
// uniform; a restart (the index gone) and a shrink below build_at / 2 change nothing visible.
TEST_F(KeyspaceSetsTest, RandomMembersThroughThePositionalIndex) {
  ZSetIndexLimits limits;
  limits.build_at = 40;
  limits.target = 8;
  limits.split_above = 16;
  limits.merge_below = 4;
  ks().set_zset_index_limits(limits);
  std::set<std::string> model, other;
  std::mt19937 rng(31);
  auto pick = [&](uint64_t n) { return rng() % n; };
  for (int step = 0; step < 2500; ++step) {
    SCOPED_TRACE(step);
    const bool growing = step < 1200 || step >= 1800;
    const uint64_t op = pick(10);
    const std::string m = "m" + std::to_string(pick(500));
    if (op < (growing ? 5u : 1u)) {
      EXPECT_EQ(Add("s", {m}), model.insert(m).second ? 1 : 0);
    } else if (op < 6) {
      EXPECT_EQ(Rem("s", {m}), static_cast<int64_t>(model.erase(m)));
    } else if (op < 8) {
      Members popped;
      bool found = false;
      const uint64_t n = 1 + pick(growing ? 2 : 8);
      ASSERT_TRUE(ks().SetPop(0, "s", n, &popped, &found).ok());
      ASSERT_EQ(popped.size(), std::min<size_t>(n, model.size()));
      for (const std::string& p : popped) ASSERT_EQ(model.erase(p), 1u) << p;
    } else if (op < 9) {
      // SMOVE both ways between the set and another one.
      bool moved = false;
      const bool out = pick(2) == 0;
      ASSERT_TRUE(ks().SetMove(0, out ? "s" : "o", out ? "o" : "s", m, &moved).ok());
      auto& from = out ? model : other;
      auto& to = out ? other : model;
      EXPECT_EQ(moved, from.erase(m) == 1);
      if (moved) to.insert(m);
    } else {
      Members got;
      const auto count = static_cast<int64_t>(pick(6)) - 2;
      ASSERT_TRUE(ks().SetRandomMembers(0, "s", count, &got).ok());
      const size_t want = count >= 0 ? std::min<size_t>(static_cast<size_t>(count), model.size())
                                     : (model.empty() ? 0 : static_cast<size_t>(-count));
      ASSERT_EQ(got.size(), want);
      for (const std::string& g : got) ASSERT_EQ(model.count(g), 1u) << g;
      if (count > 0) {
        EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
      }
    }
    if (step == 1000 || step == 2000) {
      ASSERT_TRUE(db().Commit().ok());
      k_.Reopen();
      ks().set_zset_index_limits(limits);
    }
    ASSERT_EQ(Card("s"), static_cast<int64_t>(model.size()));
  }
  Members all;
  ASSERT_TRUE(ks().SetMembers(0, "s", &all).ok());
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), model);
  std::vector<std::string> extra;
  for (int i = 0; i < 150; ++i) extra.push_back("x" + std::to_string(i));
  Add("s", std::vector<std::string_view>(extra.begin(), extra.end()));
  model.insert(extra.begin(), extra.end());
  // Uniform: 100 draws per member on average, each member drawn at least 50 times.
  std::map<std::string, int> seen;
  for (size_t i = 0; i < 100 * model.size(); ++i) {
    Members got;
    ASSERT_TRUE(ks().SetRandomMembers(0, "s", 1, &got).ok());
    ASSERT_EQ(got.size(), 1u);
    seen[got[0]]++;
  }
  EXPECT_EQ(seen.size(), model.size());
  for (const auto& [member, n] : seen) EXPECT_GT(n, 50) << member;
}

TEST_F(KeyspaceSetsTest, WrongTypeBothWays) {
  k_.Set(0, "str", "v");
  Add("set", {"a"});
  int64_t n = 0;
  Members out;
  std::vector<bool> found;
  bool flag = false;
  EXPECT_TRUE(IsWrongType(ks().SetAdd(0, "str", {"a"}, &n)));
  EXPECT_TRUE(IsWrongType(ks().SetRemove(0, "str", {"a"}, &n)));
  EXPECT_TRUE(IsWrongType(ks().SetCard(0, "str", &n)));
  EXPECT_TRUE(IsWrongType(ks().SetIsMember(0, "str", {"a"}, &found)));
  EXPECT_TRUE(IsWrongType(ks().SetMembers(0, "str", &out)));
  EXPECT_TRUE(IsWrongType(ks().SetRandomMembers(0, "str", 1, &out)));
  EXPECT_TRUE(IsWrongType(ks().SetPop(0, "str", 1, &out, &flag)));
  bool complete = false, compact = false;
  EXPECT_TRUE(IsWrongType(ks().SetScan(0, "str", "", "", 10, &out, &complete, &compact)));
  // SMOVE: the destination is checked once the source exists, also when the member is absent.
  EXPECT_TRUE(IsWrongType(ks().SetMove(0, "set", "str", "nope", &flag)));
  EXPECT_TRUE(IsWrongType(ks().SetMove(0, "str", "set", "a", &flag)));
  ASSERT_TRUE(ks().SetMove(0, "missing", "str", "a", &flag).ok());
  EXPECT_FALSE(flag);
  // String and list operations on a set.
  std::string value;
  EXPECT_TRUE(IsWrongType(ks().Get(0, "set", &value)));
  EXPECT_TRUE(IsWrongType(
      ks().UpdateString(0, "set", [](const std::string_view*, std::string*) { return true; })));
  EXPECT_TRUE(IsWrongType(ks().ListPush(0, "set", ListEnd::kLeft, {"v"}, false, &n)));
  EXPECT_TRUE(IsWrongType(ks().ListLength(0, "set", &n)));
  ASSERT_TRUE(ks().ListPush(0, "list", ListEnd::kLeft, {"v"}, false, &n).ok());
  EXPECT_TRUE(IsWrongType(ks().SetAdd(0, "list", {"a"}, &n)));
  EXPECT_EQ(All("set"), (Members{"a"}));
  // The STORE commands overwrite a key of any type.
  EXPECT_EQ(Store(SetOperation::kUnion, "str", {"set"}), 1);
  EXPECT_EQ(TypeOf("str"), "set");
  EXPECT_EQ(Store(SetOperation::kUnion, "list", {"missing"}), 0);
  EXPECT_EQ(TypeOf("list"), "none");
}

// A new set under a deleted, expired or overwritten set's name sees none of the old members,
// by iteration or by point read, before and after compaction and reopen.
TEST_F(KeyspaceSetsTest, ANewSetUnderAnOldNameGetsANewVersion) {
  Add("s", {"old1", "old2", "old3"});
  EXPECT_EQ(k_.Del(0, {"s"}), 1);
  EXPECT_EQ(Add("s", {"new"}), 1);
  EXPECT_FALSE(Has("s", "old1"));
  EXPECT_EQ(Add("s", {"old2"}), 1) << "old2 is new to this set";
  EXPECT_EQ(All("s"), (Members{"new", "old2"}));
  bool applied = false;
  ASSERT_TRUE(ks().SetExpire(0, "s", static_cast<int64_t>(k_.now_ms() + 10), {}, &applied).ok());
  k_.AdvanceMs(10);
  EXPECT_EQ(Add("s", {"newer"}), 1);
  EXPECT_FALSE(Has("s", "new"));
  EXPECT_EQ(k_.Pttl(0, "s"), -1) << "a set made after expiry has no deadline";
  k_.Set(0, "s", "string");
  EXPECT_EQ(Add("t", {"x"}), 1);
  EXPECT_EQ(Store(SetOperation::kUnion, "s", {"t"}), 1);
  EXPECT_EQ(All("s"), (Members{"x"}));
  ASSERT_TRUE(db().Commit().ok());
  CompactEverything();
  k_.Reopen();
  EXPECT_EQ(All("s"), (Members{"x"}));
  EXPECT_FALSE(Has("s", "newer"));
  EXPECT_EQ(StoredSubKeys(), 2u) << "only the live members of s and t stay";
  // Removed and popped members' sub-keys go in compaction too.
  Add("r", {"a", "b", "c", "d"});
  Rem("r", {"a", "b"});
  Members popped;
  bool found = false;
  ASSERT_TRUE(ks().SetPop(0, "r", 1, &popped, &found).ok());
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 3u);
}

TEST_F(KeyspaceSetsTest, WritesKeepTheDeadline) {
  Add("s", {"a", "b", "c"});
  bool applied = false;
  ASSERT_TRUE(ks().SetExpire(0, "s", static_cast<int64_t>(k_.now_ms() + 5000), {}, &applied).ok());
  Add("s", {"d"});
  Rem("s", {"a"});
  Members popped;
  bool found = false;
  ASSERT_TRUE(ks().SetPop(0, "s", 1, &popped, &found).ok());
  Add("other", {"z"});
  bool moved = false;
  ASSERT_TRUE(ks().SetMove(0, "other", "s", "z", &moved).ok());
  EXPECT_EQ(k_.Pttl(0, "s"), 5000);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  // The STORE commands drop the destination's deadline.
  EXPECT_EQ(Store(SetOperation::kUnion, "s", {"s"}), 3);
  EXPECT_EQ(k_.Pttl(0, "s"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(0), 1u);
}

// SMOVE and the STORE commands between keys of different shards are one batch each.
TEST_F(KeyspaceSetsTest, MoveAndStoreAcrossShards) {
  const std::string dst = OnAnotherShard("src", "dst");
  Add("src", {"a", "b"});
  Add(dst, {"b"});
  bool moved = false;
  ASSERT_TRUE(ks().SetMove(0, "src", dst, "a", &moved).ok());
  EXPECT_TRUE(moved);
  ASSERT_TRUE(ks().SetMove(0, "src", dst, "b", &moved).ok());
  EXPECT_TRUE(moved) << "moved even when the destination has it";
  EXPECT_EQ(TypeOf("src"), "none");
  EXPECT_EQ(All(dst), (Members{"a", "b"}));
  ASSERT_TRUE(ks().SetMove(0, "src", dst, "a", &moved).ok());
  EXPECT_FALSE(moved);
  const std::string store = OnAnotherShard(dst, "store");
  Add("x", {"a", "q"});
  k_.Set(0, store, "old string", 60'000);
  EXPECT_EQ(Store(SetOperation::kUnion, store, {dst, "x"}), 3);
  EXPECT_EQ(Store(SetOperation::kIntersection, "inter", {dst, "x"}), 1);
  EXPECT_EQ(Store(SetOperation::kDifference, "diff", {dst, "x"}), 1);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All(store), (Members{"a", "b", "q"}));
  EXPECT_EQ(All("inter"), (Members{"a"}));
  EXPECT_EQ(All("diff"), (Members{"b"}));
  EXPECT_EQ(k_.Pttl(0, store), -1);
  EXPECT_EQ(ks().KeyCount(0), 5u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(Store(SetOperation::kIntersection, store, {dst, "missing"}), 0);
  EXPECT_EQ(TypeOf(store), "none");
  EXPECT_EQ(ks().KeyCount(0), 4u);
}

TEST_F(KeyspaceSetsTest, ScanWalksALargeSetAndReturnsACompactOneWhole) {
  Add("small", {"3", "1", "2"});
  Members got;
  bool complete = false, compact = false;
  ASSERT_TRUE(ks().SetScan(0, "small", "zzz", "", 1, &got, &complete, &compact).ok());
  EXPECT_TRUE(complete);
  EXPECT_TRUE(compact);
  EXPECT_EQ(got, (Members{"1", "2", "3"})) << "whole, whatever the position and count";
  std::vector<std::string> many;
  many.reserve(26);
  for (int i = 0; i < 25; ++i) many.push_back("m" + std::to_string(100 + i));
  many.push_back("other");
  Add("big", std::vector<std::string_view>(many.begin(), many.end()));
  Members walked;
  std::string after;
  int calls = 0;
  do {
    got.clear();
    ASSERT_TRUE(ks().SetScan(0, "big", after, "", 10, &got, &complete, &compact).ok());
    EXPECT_FALSE(compact);
    EXPECT_LE(got.size(), 10u);
    walked.insert(walked.end(), got.begin(), got.end());
    if (!got.empty()) after = got.back();
    ++calls;
  } while (!complete && calls < 10);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(walked, All("big"));
  // A literal prefix starts at it and ends after it.
  got.clear();
  ASSERT_TRUE(ks().SetScan(0, "big", "", "m11", 100, &got, &complete, &compact).ok());
  EXPECT_TRUE(complete);
  EXPECT_EQ(got.size(), 10u);
  EXPECT_EQ(got.front(), "m110");
  got.clear();
  ASSERT_TRUE(ks().SetScan(0, "missing", "", "", 10, &got, &complete, &compact).ok());
  EXPECT_TRUE(complete);
  EXPECT_TRUE(got.empty());
}

// SORT ... STORE's write: a new list replacing the destination of any type (deadline dropped),
// across shards, or the destination's deletion when empty.
TEST_F(KeyspaceSetsTest, StoreListReplacesTheDestination) {
  k_.Set(0, "dst", "string", 60'000);
  ASSERT_TRUE(ks().StoreList(0, "dst", {"b", "a", ""}).ok());
  EXPECT_EQ(TypeOf("dst"), "list");
  EXPECT_EQ(k_.Pttl(0, "dst"), -1);
  std::vector<std::string> values;
  ASSERT_TRUE(ks().ListRange(0, "dst", 0, -1, &values).ok());
  EXPECT_EQ(values, (Members{"b", "a", ""}));
  int64_t length = 0;
  ASSERT_TRUE(ks().ListPush(0, "dst", ListEnd::kLeft, {"z"}, false, &length).ok());
  EXPECT_EQ(length, 4) << "an ordinary list";
  Add("set", {"x"});
  ASSERT_TRUE(ks().StoreList(0, "set", {"1"}).ok());
  EXPECT_EQ(TypeOf("set"), "list");
  ASSERT_TRUE(ks().StoreList(0, "set", {}).ok());
  EXPECT_EQ(TypeOf("set"), "none");
  ASSERT_TRUE(ks().StoreList(0, "never", {}).ok());
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
}

// Writes refused by a failed WAL are errors and change nothing; reads go on.
TEST_F(KeyspaceSetsTest, RefusedWritesAreErrorsAndChangeNothing) {
  Add("s", {"a", "b"});
  Add("t", {"c"});
  ASSERT_TRUE(db().Commit().ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  Add("s", {"x"});  // applied, but its WAL record cannot be synced
  EXPECT_FALSE(db().Commit().ok());
  EXPECT_FALSE(db().WriteState().ok());
  int64_t n = 0;
  Members out;
  bool flag = false;
  EXPECT_FALSE(ks().SetAdd(0, "{s}new", {"v"}, &n).ok());
  EXPECT_FALSE(ks().SetRemove(0, "s", {"a"}, &n).ok());
  EXPECT_FALSE(ks().SetPop(0, "s", 1, &out, &flag).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(ks().SetMove(0, "s", "{s}t", "a", &flag).ok());
  EXPECT_FALSE(ks().SetCombineStore(0, SetOperation::kUnion, "{s}u", {"s", "t"}, &n).ok());
  EXPECT_EQ(All("s"), (Members{"a", "b", "x"})) << "reads go on";
  EXPECT_TRUE(All("{s}new").empty());
  fs_.ClearFaults();
  ASSERT_TRUE(db().RetryFailedWrites().ok());
  EXPECT_EQ(Add("{s}new", {"v"}), 1);
  EXPECT_EQ(db().Counter(kVersionCounter), 3) << "versions given back were not lost";
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All("{s}new"), (Members{"v"}));
  EXPECT_EQ(All("s"), (Members{"a", "b", "x"}));
  EXPECT_EQ(ks().KeyCount(0), 3u);
}

}  // namespace
}  // namespace shale::keyspace
