// Sorted sets on the keyspace (server/keyspace/zsets.cc): Redis's sorted-set semantics against a
// model (ZADD's options, ranks, score, lex and rank ranges in both directions, LIMIT, pops,
// range removals), the order-preserving score encoding (negative numbers, -0, infinities),
// binary members, the listpack/skiplist encoding rules of Redis 7.0, versions and compaction of
// removed members, deadlines kept by writes, the STORE form across shards, and refused writes as
// errors that change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
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
using Scored = std::vector<std::pair<std::string, double>>;

// A model's members in sorted-set order: by score, then member bytes.
Scored InScoreOrder(const std::map<std::string, double>& model) {
  Scored out(model.begin(), model.end());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  return out;
}

constexpr double kInf = std::numeric_limits<double>::infinity();

class KeyspaceZSetsTest : public ::testing::Test {
 protected:
  KeyspaceZSetsTest() : k_(DbOptions(storage::JoinPath(dir_.path(), "data"))) { k_.Reopen(); }

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

  ZAddResult Add(std::string_view key, const std::vector<std::pair<double, std::string_view>>& p,
                 ZAddOptions options = {}) {
    ZAddResult result;
    Status s = ks().ZSetAdd(0, key, p, options, &result);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return result;
  }
  int64_t Rem(std::string_view key, const std::vector<std::string_view>& members) {
    int64_t removed = -1;
    Status s = ks().ZSetRemove(0, key, members, &removed);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return removed;
  }
  static Scored ToScored(const std::vector<ScoredMember>& members) {
    Scored out;
    for (const ScoredMember& m : members) out.emplace_back(m.member, m.score);
    return out;
  }
  Scored Range(std::string_view key, const ZRangeSpec& spec) {
    std::vector<ScoredMember> out;
    Status s = ks().ZSetRange(0, key, spec, &out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ToScored(out);
  }
  Scored All(std::string_view key) { return Range(key, ZRangeSpec()); }
  ZRangeSpec Ranks(int64_t start, int64_t stop, bool reverse = false) {
    ZRangeSpec spec;
    spec.start = start;
    spec.stop = stop;
    spec.reverse = reverse;
    return spec;
  }
  ZRangeSpec Scores(double min, double max, bool reverse = false, bool min_ex = false,
                    bool max_ex = false) {
    ZRangeSpec spec;
    spec.by = ZRangeSpec::By::kScore;
    spec.score_min = {min, min_ex};
    spec.score_max = {max, max_ex};
    spec.reverse = reverse;
    return spec;
  }
  ZRangeSpec Lex(LexBound min, LexBound max, bool reverse = false) {
    ZRangeSpec spec;
    spec.by = ZRangeSpec::By::kLex;
    spec.lex_min = std::move(min);
    spec.lex_max = std::move(max);
    spec.reverse = reverse;
    return spec;
  }
  int64_t Rank(std::string_view key, std::string_view member, bool reverse = false) {
    int64_t rank = -2;
    double score = 0;
    EXPECT_TRUE(ks().ZSetRank(0, key, member, reverse, &rank, &score).ok());
    return rank;
  }
  std::optional<double> Score(std::string_view key, std::string_view member) {
    std::vector<double> scores;
    std::vector<bool> found;
    EXPECT_TRUE(ks().ZSetScores(0, key, {member}, &scores, &found).ok());
    if (!found.at(0)) return std::nullopt;
    return scores[0];
  }
  int64_t Card(std::string_view key) {
    int64_t size = -1;
    EXPECT_TRUE(ks().ZSetCard(0, key, &size).ok());
    return size;
  }
  int64_t Count(std::string_view key, const ZRangeSpec& spec) {
    int64_t n = -1;
    EXPECT_TRUE(ks().ZSetCount(0, key, spec, &n).ok());
    return n;
  }
  std::string Encoding(std::string_view key) {
    std::string value;
    ValueHeader header;
    Status s = ks().Inspect(0, key, &value, &header);
    if (s.IsNotFound()) return "none";
    EXPECT_TRUE(s.ok() || IsWrongType(s)) << s.ToString();
    return header.encoding == kLargeEncoding ? "skiplist" : "listpack";
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

LexBound Incl(std::string v) { return {LexBound::Kind::kInclusive, std::move(v)}; }
LexBound Excl(std::string v) { return {LexBound::Kind::kExclusive, std::move(v)}; }
LexBound MinusInf() { return {LexBound::Kind::kMinusInfinity, {}}; }
LexBound PlusInf() { return {LexBound::Kind::kPlusInfinity, {}}; }

TEST_F(KeyspaceZSetsTest, AddScoresRanksAndRanges) {
  ZAddResult r = Add("z", {{3, "c"}, {1, "a"}, {2, "b"}, {1, "a"}});
  EXPECT_EQ(r.added, 3) << "a member named twice counts once";
  EXPECT_EQ(Card("z"), 3);
  EXPECT_EQ(All("z"), (Scored{{"a", 1}, {"b", 2}, {"c", 3}}));
  EXPECT_EQ(Range("z", Ranks(0, 0, true)), (Scored{{"c", 3}}));
  EXPECT_EQ(Range("z", Ranks(-2, -1)), (Scored{{"b", 2}, {"c", 3}}));
  EXPECT_EQ(Range("z", Ranks(1, 100, true)), (Scored{{"b", 2}, {"a", 1}}));
  EXPECT_TRUE(Range("z", Ranks(2, 1)).empty());
  EXPECT_TRUE(Range("z", Ranks(5, 10)).empty());
  EXPECT_EQ(Rank("z", "a"), 0);
  EXPECT_EQ(Rank("z", "c"), 2);
  EXPECT_EQ(Rank("z", "c", true), 0);
  EXPECT_EQ(Rank("z", "nope"), -1);
  EXPECT_EQ(Rank("absent", "a"), -1);
  EXPECT_EQ(Score("z", "b"), 2);
  EXPECT_EQ(Score("z", "nope"), std::nullopt);
  // Updating a score moves the member.
  r = Add("z", {{10, "a"}});
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(All("z"), (Scored{{"b", 2}, {"c", 3}, {"a", 10}}));
  EXPECT_EQ(Rem("z", {"b", "b", "nope"}), 1);
  EXPECT_EQ(Rem("z", {"a", "c"}), 2);
  EXPECT_EQ(TypeOf("z"), "none") << "an emptied sorted set is deleted";
  EXPECT_EQ(ks().KeyCount(0), 0u);
}

TEST_F(KeyspaceZSetsTest, AddOptionsFollowRedis) {
  Add("z", {{5, "a"}});
  ZAddOptions nx;
  nx.condition = SetCondition::kIfAbsent;
  ZAddResult r = Add("z", {{1, "a"}, {2, "b"}}, nx);
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(Score("z", "a"), 5) << "NX does not update";
  ZAddOptions xx;
  xx.condition = SetCondition::kIfPresent;
  r = Add("z", {{7, "a"}, {1, "new"}}, xx);
  EXPECT_EQ(r.added, 0);
  EXPECT_EQ(r.updated, 1);
  EXPECT_EQ(Score("z", "new"), std::nullopt) << "XX does not add";
  ZAddOptions gt;
  gt.gt = true;
  r = Add("z", {{6, "a"}, {3, "b"}, {9, "c"}}, gt);
  EXPECT_EQ(Score("z", "a"), 7) << "GT keeps the higher score";
  EXPECT_EQ(Score("z", "b"), 3);
  EXPECT_EQ(r.added, 1) << "GT still adds new members";
  ZAddOptions lt;
  lt.lt = true;
  Add("z", {{1, "a"}, {4, "b"}}, lt);
  EXPECT_EQ(Score("z", "a"), 1);
  EXPECT_EQ(Score("z", "b"), 3);
  // INCR: the new score, or not applied when a condition refuses it.
  ZAddOptions incr;
  incr.incr = true;
  r = Add("z", {{2.5, "a"}}, incr);
  EXPECT_TRUE(r.incr_applied);
  EXPECT_EQ(r.incr_score, 3.5);
  r = Add("z", {{1, "fresh"}}, incr);
  EXPECT_EQ(r.incr_score, 1);
  EXPECT_EQ(r.added, 1);
  incr.condition = SetCondition::kIfPresent;
  r = Add("z", {{1, "missing"}}, incr);
  EXPECT_FALSE(r.incr_applied);
  incr.condition = SetCondition::kAlways;
  incr.gt = true;
  r = Add("z", {{-1, "a"}}, incr);
  EXPECT_FALSE(r.incr_applied) << "GT refuses a lower result";
  // inf + -inf is NaN: an error, nothing written.
  Add("inf", {{kInf, "m"}});
  ZAddOptions plain_incr;
  plain_incr.incr = true;
  r = Add("inf", {{-kInf, "m"}}, plain_incr);
  EXPECT_TRUE(r.nan);
  EXPECT_EQ(Score("inf", "m"), kInf);
  // Pairs apply in order: the later one sees what the earlier left.
  r = Add("seq", {{1, "x"}, {2, "x"}});
  EXPECT_EQ(r.added, 1);
  EXPECT_EQ(r.updated, 1) << "CH counts the second pair's change";
  EXPECT_EQ(Score("seq", "x"), 2);
}

TEST_F(KeyspaceZSetsTest, ScoreOrderIsNumericAndMembersAreBinary) {
  const std::string nul("\0", 1), nul2("a\0b", 3);
  Add("z", {{-kInf, "ninf"},
            {-1e300, "huge-neg"},
            {-1, "neg-one"},
            {-0.5, "neg-half"},
            {-0.0, "neg-zero"},
            {0, "zero"},
            {1e-300, "tiny"},
            {1, "one"},
            {1e300, "huge"},
            {kInf, "inf"},
            {0, nul},
            {0, nul2},
            {0, "a"}});
  std::vector<std::string> order;
  for (const auto& [m, s] : All("z")) order.push_back(m);
  EXPECT_EQ(order,
            (std::vector<std::string>{"ninf", "huge-neg", "neg-one", "neg-half", nul, "a", nul2,
                                      "neg-zero", "zero", "tiny", "one", "huge", "inf"}))
      << "-0 ties with 0, ties ordered by member bytes";
  EXPECT_TRUE(std::signbit(*Score("z", "neg-zero"))) << "-0 reads back as -0";
  EXPECT_EQ(Count("z", Scores(-kInf, kInf)), 13);
  EXPECT_EQ(Count("z", Scores(-1, 0)), 7);
  EXPECT_EQ(Count("z", Scores(-1, 0, false, true, true)), 1) << "(-1 (0: only -0.5";
  EXPECT_EQ(Count("z", Scores(1, 0)), 0);
  EXPECT_EQ(Count("z", Scores(1, 1, false, true)), 0);
}

TEST_F(KeyspaceZSetsTest, ScoreAndLexRangesWithLimitInBothDirections) {
  for (int i = 0; i < 10; ++i) {
    Add("z", {{static_cast<double>(i), std::string(1, static_cast<char>('a' + i))}});
  }
  ZRangeSpec spec = Scores(2, 6);
  EXPECT_EQ(Range("z", spec), (Scored{{"c", 2}, {"d", 3}, {"e", 4}, {"f", 5}, {"g", 6}}));
  spec.offset = 1;
  spec.count = 2;
  EXPECT_EQ(Range("z", spec), (Scored{{"d", 3}, {"e", 4}}));
  spec.reverse = true;
  EXPECT_EQ(Range("z", spec), (Scored{{"f", 5}, {"e", 4}})) << "LIMIT counts from the top";
  spec.count = -1;
  EXPECT_EQ(Range("z", spec), (Scored{{"f", 5}, {"e", 4}, {"d", 3}, {"c", 2}}));
  spec.offset = -1;
  EXPECT_TRUE(Range("z", spec).empty()) << "a negative offset selects nothing, as in Redis";
  spec.offset = 100;
  EXPECT_TRUE(Range("z", spec).empty());

  for (const char* m : {"a", "b", "c", "d", "e", "f", "g"}) Add("lex", {{0, m}});
  EXPECT_EQ(Count("lex", Lex(MinusInf(), PlusInf())), 7);
  EXPECT_EQ(Count("lex", Lex(Incl("b"), Excl("e"))), 3);
  EXPECT_EQ(Count("lex", Lex(Excl("b"), Incl("e"))), 3);
  EXPECT_EQ(Count("lex", Lex(PlusInf(), PlusInf())), 0);
  EXPECT_EQ(Count("lex", Lex(MinusInf(), MinusInf())), 0);
  EXPECT_EQ(Count("lex", Lex(Incl("bb"), PlusInf())), 5);
  ZRangeSpec lex = Lex(Incl("b"), Incl("f"), true);
  lex.offset = 1;
  lex.count = 2;
  EXPECT_EQ(Range("lex", lex), (Scored{{"e", 0}, {"d", 0}}));
  int64_t removed = 0;
  ASSERT_TRUE(ks().ZSetRemoveRange(0, "lex", Lex(Excl("a"), Excl("g")), &removed).ok());
  EXPECT_EQ(removed, 5);
  EXPECT_EQ(All("lex"), (Scored{{"a", 0}, {"g", 0}}));
  ASSERT_TRUE(ks().ZSetRemoveRange(0, "z", Ranks(0, -8), &removed).ok());
  EXPECT_EQ(removed, 3);
  ASSERT_TRUE(ks().ZSetRemoveRange(0, "z", Scores(5, kInf, false, true), &removed).ok());
  EXPECT_EQ(removed, 4);
  EXPECT_EQ(All("z"), (Scored{{"d", 3}, {"e", 4}, {"f", 5}}));
}

TEST_F(KeyspaceZSetsTest, MatchesAModelUnderRandomOperations) {
  std::mt19937 rng(777);
  const std::vector<std::string> keys = {"k1", "k2"};
  std::map<std::string, std::map<std::string, double>> model;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto sorted = [&](const std::string& key) {
    Scored out(model[key].begin(), model[key].end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second < b.second || (a.second == b.second && a.first < b.first);
    });
    return out;
  };
  for (int step = 0; step < 1200; ++step) {
    SCOPED_TRACE(step);
    const std::string& key = keys[static_cast<size_t>(pick(2))];
    const std::string m = "m" + std::to_string(pick(20));
    const double score = static_cast<double>(pick(9) - 4);
    auto& zm = model[key];
    const int op = pick(6);
    if (op <= 2) {
      ZAddOptions options;
      options.gt = pick(4) == 0;
      const bool there = zm.count(m) != 0;
      ZAddResult r = Add(key, {{score, m}}, options);
      if (!there) {
        EXPECT_EQ(r.added, 1);
        zm[m] = score;
      } else if (!options.gt || score > zm[m]) {
        EXPECT_EQ(r.updated, zm[m] != score ? 1 : 0);
        zm[m] = score;
      }
    } else if (op == 3) {
      EXPECT_EQ(Rem(key, {m}), static_cast<int64_t>(zm.erase(m)));
    } else if (op == 4) {
      std::vector<ScoredMember> popped;
      bool found = false;
      const bool max = pick(2) == 0;
      const uint64_t n = static_cast<uint64_t>(pick(3) + 1);
      ASSERT_TRUE(ks().ZSetPop(0, key, max, n, &popped, &found).ok());
      Scored want = sorted(key);
      if (max) std::reverse(want.begin(), want.end());
      want.resize(std::min<size_t>(want.size(), n));
      EXPECT_EQ(ToScored(popped), want);
      for (const auto& [member, s] : want) zm.erase(member);
    } else {
      int64_t removed = 0;
      ASSERT_TRUE(ks().ZSetRemoveRange(0, key, Scores(score, score + 1), &removed).ok());
      int64_t want = 0;
      for (auto it = zm.begin(); it != zm.end();) {
        if (it->second >= score && it->second <= score + 1) {
          it = zm.erase(it);
          ++want;
        } else {
          ++it;
        }
      }
      EXPECT_EQ(removed, want);
    }
    const Scored want = sorted(key);
    ASSERT_EQ(All(key), want);
    ASSERT_EQ(Card(key), static_cast<int64_t>(want.size()));
    if (!want.empty()) {
      const size_t i = static_cast<size_t>(pick(static_cast<int>(want.size())));
      ASSERT_EQ(Rank(key, want[i].first), static_cast<int64_t>(i));
      ASSERT_EQ(Rank(key, want[i].first, true), static_cast<int64_t>(want.size() - 1 - i));
      Scored top(want.rbegin(), want.rbegin() + std::min<ptrdiff_t>(3, std::ssize(want)));
      ASSERT_EQ(Range(key, Ranks(0, 2, true)), top);
    }
  }
  size_t live = 0;
  for (const auto& [k, members] : model) live += members.empty() ? 0 : 1;
  EXPECT_EQ(ks().KeyCount(0), live);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  for (const std::string& key : keys) EXPECT_EQ(All(key), sorted(key));
}

// The high end of a large sorted set is found from there (ZSetTail's bisection), also when
// members share the boundary score; ranks are counted from the nearer end.
TEST_F(KeyspaceZSetsTest, HighEndRangesAndRanksOfALargeSortedSet) {
  Scored model;
  std::vector<std::pair<double, std::string>> owned;
  for (int i = 0; i < 3000; ++i) {
    // Groups of 7 members share a score; negative and positive scores, and the top is +inf.
    const double score = i == 2999 ? kInf : static_cast<double>(i / 7) - 200.5;
    owned.emplace_back(score, "m" + std::to_string(i));
    model.emplace_back(owned.back().second, score);
  }
  std::vector<std::pair<double, std::string_view>> pairs(owned.begin(), owned.end());
  EXPECT_EQ(Add("z", pairs).added, 3000);
  std::sort(model.begin(), model.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  ASSERT_EQ(All("z"), model);
  for (int64_t k : {1, 3, 7, 8, 10, 20}) {
    SCOPED_TRACE(k);
    Scored top(model.rbegin(), model.rbegin() + k);
    EXPECT_EQ(Range("z", Ranks(0, k - 1, true)), top);
    Scored last(model.end() - k, model.end());
    EXPECT_EQ(Range("z", Ranks(-k, -1)), last);
    Scored inner(model.rbegin() + 1, model.rbegin() + k);
    EXPECT_EQ(Range("z", Ranks(1, k - 1, true)), inner);
  }
  for (size_t i : {size_t{0}, size_t{5}, size_t{1500}, size_t{2990}, size_t{2999}}) {
    EXPECT_EQ(Rank("z", model[i].first), static_cast<int64_t>(i)) << i;
    EXPECT_EQ(Rank("z", model[i].first, true), static_cast<int64_t>(2999 - i)) << i;
  }
  std::vector<ScoredMember> popped;
  bool found = false;
  ASSERT_TRUE(ks().ZSetPop(0, "z", true, 9, &popped, &found).ok());
  EXPECT_EQ(ToScored(popped), Scored(model.rbegin(), model.rbegin() + 9));
  model.resize(model.size() - 9);
  EXPECT_EQ(All("z"), model);
  // Every member at one score: the boundary bucket is the whole set, still right.
  std::vector<std::string> names;
  for (int i = 0; i < 500; ++i) names.push_back("e" + std::to_string(1000 + i));
  std::vector<std::pair<double, std::string_view>> equal;
  for (const std::string& n : names) equal.emplace_back(1, n);
  Add("eq", equal);
  EXPECT_EQ(Range("eq", Ranks(0, 1, true)), (Scored{{"e1499", 1}, {"e1498", 1}}));
  EXPECT_EQ(Rank("eq", "e1497", true), 2);
}

// Pops at both ends interleaved with adds before the low pop hint and after the high one (and at
// the very member last popped), with ranks and ranges checked against a model after each step;
// a new version of the key (DEL, then ZADD) starts without hints.
TEST_F(KeyspaceZSetsTest, PopsInterleavedWithAddsAtBothEnds) {
  std::map<std::string, double> model;
  auto sorted = [&] { return InScoreOrder(model); };
  std::vector<std::pair<double, std::string>> owned;
  for (int i = 0; i < 2000; ++i) owned.emplace_back(i, "m" + std::to_string(i));
  std::vector<std::pair<double, std::string_view>> pairs(owned.begin(), owned.end());
  Add("z", pairs);
  for (const auto& [score, member] : owned) model[member] = score;
  std::mt19937 rng(99);
  auto pop = [&](bool max, uint64_t n) {
    std::vector<ScoredMember> popped;
    bool found = false;
    ASSERT_TRUE(ks().ZSetPop(0, "z", max, n, &popped, &found).ok());
    Scored want = sorted();
    if (max) std::reverse(want.begin(), want.end());
    want.resize(std::min<size_t>(want.size(), n));
    ASSERT_EQ(ToScored(popped), want);
    for (const auto& [member, score] : want) model.erase(member);
  };
  std::vector<ScoredMember> last;
  for (int step = 0; step < 600; ++step) {
    SCOPED_TRACE(step);
    const int op = static_cast<int>(rng() % 8);
    if (op < 3) {
      ASSERT_NO_FATAL_FAILURE(pop(false, 1 + rng() % 4));
    } else if (op < 6) {
      ASSERT_NO_FATAL_FAILURE(pop(true, 1 + rng() % 4));
    } else if (op == 6) {
      // Below everything left (before the low hint), or above (past the high one).
      const bool low = rng() % 2 == 0;
      const std::string member = "n" + std::to_string(step);
      const double score = low ? -1.0 - step : 5000.0 + step;
      Add("z", {{score, member}});
      model[member] = score;
    } else {
      // The member just popped from either end comes back with its old score, and an existing
      // member moves from the middle to an end.
      std::vector<ScoredMember> popped;
      bool found = false;
      const bool max = rng() % 2 == 0;
      ASSERT_TRUE(ks().ZSetPop(0, "z", max, 1, &popped, &found).ok());
      ASSERT_EQ(popped.size(), 1u);
      Add("z", {{popped[0].score, popped[0].member}});
      const Scored all = sorted();
      const std::string& middle = all[all.size() / 2].first;
      const double moved = max ? 1e9 + step : -1e9 - step;
      Add("z", {{moved, middle}});
      model[middle] = moved;
    }
    const Scored want = sorted();
    ASSERT_EQ(Card("z"), static_cast<int64_t>(want.size()));
    ASSERT_EQ(Range("z", Ranks(0, 2)), Scored(want.begin(), want.begin() + 3));
    ASSERT_EQ(Range("z", Ranks(0, 2, true)), Scored(want.rbegin(), want.rbegin() + 3));
    const size_t i = rng() % want.size();
    ASSERT_EQ(Rank("z", want[i].first), static_cast<int64_t>(i));
    ASSERT_EQ(Rank("z", want[i].first, true), static_cast<int64_t>(want.size() - 1 - i));
  }
  ASSERT_EQ(All("z"), sorted());
  EXPECT_EQ(k_.Del(0, {"z"}), 1);
  Add("z", {{7, "a"}, {-3, "b"}, {9000, "c"}});
  EXPECT_EQ(All("z"), (Scored{{"b", -3}, {"a", 7}, {"c", 9000}}));
  EXPECT_EQ(Rank("z", "b"), 0);
}

// Small buckets, so that a few thousand members are split and merged often.
ZSetIndexLimits SmallBuckets() {
  ZSetIndexLimits limits;
  limits.build_at = 40;
  limits.target = 8;
  limits.split_above = 16;
  limits.merge_below = 4;
  return limits;
}

// The rank index buckets stored for `key` of database 0 (its newest version's: the current one,
// as a live sorted set always has sub-keys), as (bound, count) in bound order.
std::vector<std::pair<std::string, uint64_t>> StoredBuckets(storage::Db& db, std::string_view key) {
  std::string prefix;
  MakeSubKeyKeyPrefix(0, key, &prefix);
  std::map<uint64_t, std::vector<std::pair<std::string, uint64_t>>> by_version;
  uint64_t newest = 0;
  std::unique_ptr<storage::Iterator> it;
  EXPECT_TRUE(db.NewIterator(&it).ok());
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SubKey sub;
    if (!DecodeSubKey(it->key(), &sub) || sub.user_key != key) continue;
    newest = std::max(newest, sub.version);
    if (sub.element.empty() || sub.element[0] != kZSetBucketTag) continue;
    EXPECT_EQ(it->value().size(), 8u);
    by_version[sub.version].emplace_back(sub.element.substr(1),
                                         storage::DecodeFixed64(it->value().data()));
  }
  return by_version[newest];
}

// The stored index of `key` agrees with its members: the lowest bound empty, bounds ascending,
// counts summing to the size. Returns the number of buckets.
size_t CheckStoredIndex(storage::Db& db, std::string_view key, int64_t size) {
  const auto buckets = StoredBuckets(db, key);
  if (buckets.empty()) return 0;
  EXPECT_EQ(buckets[0].first, "");
  uint64_t total = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (i > 0) {
      EXPECT_LT(buckets[i - 1].first, buckets[i].first);
    }
    total += buckets[i].second;
  }
  EXPECT_EQ(total, static_cast<uint64_t>(size));
  return buckets.size();
}

// Ranks, rank ranges and rank removals of a sorted set with a rank index (small buckets) against
// a model over a few thousand random adds, score changes, removals and pops at both ends, with
// restarts (the index is read back from its buckets) and compactions in between.
TEST_F(KeyspaceZSetsTest, RankIndexMatchesAModel) {
  ks().set_zset_index_limits(SmallBuckets());
  std::map<std::string, double> model;
  auto sorted = [&] { return InScoreOrder(model); };
  std::mt19937 rng(4242);
  auto pick = [&](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  size_t most_buckets = 0;
  for (int step = 0; step < 3000; ++step) {
    SCOPED_TRACE(step);
    // Grow to ~600 members, shrink to ~10 (below build_at / 2: the index goes), grow again.
    const bool growing = (step / 1000) % 2 == 0 || step >= 2000;
    const int64_t op = pick(10);
    if (op < (growing ? 6 : 2)) {
      std::vector<std::pair<double, std::string>> owned;
      const int64_t n = 1 + pick(3);
      for (int64_t j = 0; j < n; ++j) {
        // Ties: 50 distinct scores.
        owned.emplace_back(static_cast<double>(pick(50)), "m" + std::to_string(pick(700)));
      }
      std::vector<std::pair<double, std::string_view>> pairs(owned.begin(), owned.end());
      Add("z", pairs);
      for (const auto& [score, member] : owned) model[member] = score;
    } else if (op < 7) {
      std::vector<std::string> names;
      for (int j = 0; j < 3; ++j) names.push_back("m" + std::to_string(pick(700)));
      int64_t want = 0;
      for (const std::string& n : std::set<std::string>(names.begin(), names.end())) {
        want += static_cast<int64_t>(model.erase(n));
      }
      EXPECT_EQ(Rem("z", {names[0], names[1], names[2]}), want);
    } else if (op < 9) {
      std::vector<ScoredMember> popped;
      bool found = false;
      const bool max = pick(2) == 0;
      const auto n = static_cast<uint64_t>(1 + pick(growing ? 3 : 12));
      ASSERT_TRUE(ks().ZSetPop(0, "z", max, n, &popped, &found).ok());
      Scored want = sorted();
      if (max) std::reverse(want.begin(), want.end());
      want.resize(std::min<size_t>(want.size(), n));
      ASSERT_EQ(ToScored(popped), want);
      for (const auto& [member, score] : want) model.erase(member);
    } else {
      const Scored all = sorted();
      const int64_t size = std::ssize(all);
      const int64_t start = size == 0 ? 0 : pick(static_cast<uint64_t>(size));
      const int64_t stop = start + pick(growing ? 3 : 20);
      int64_t removed = 0;
      ASSERT_TRUE(ks().ZSetRemoveRange(0, "z", Ranks(start, stop), &removed).ok());
      const int64_t want = std::max<int64_t>(0, std::min(stop, size - 1) - start + 1);
      ASSERT_EQ(removed, want);
      for (int64_t r = start; r < start + want; ++r) {
        model.erase(all[static_cast<size_t>(r)].first);
      }
    }
    if (step % 500 == 499) {
      ASSERT_TRUE(db().Commit().ok());
      if (step % 1000 == 999) CompactEverything();
      k_.Reopen();
      ks().set_zset_index_limits(SmallBuckets());
    }
    const Scored want = sorted();
    const auto size = static_cast<int64_t>(want.size());
    ASSERT_EQ(Card("z"), size);
    most_buckets = std::max(most_buckets, CheckStoredIndex(db(), "z", size));
    if (size == 0) continue;
    for (int probe = 0; probe < 2; ++probe) {
      const auto i = static_cast<size_t>(pick(static_cast<uint64_t>(size)));
      ASSERT_EQ(Rank("z", want[i].first), static_cast<int64_t>(i));
      ASSERT_EQ(Rank("z", want[i].first, true), size - 1 - static_cast<int64_t>(i));
    }
    const int64_t start = pick(static_cast<uint64_t>(size));
    const int64_t stop = std::min(size - 1, start + pick(30));
    ASSERT_EQ(Range("z", Ranks(start, stop)),
              Scored(want.begin() + start, want.begin() + stop + 1));
    ASSERT_EQ(Range("z", Ranks(start, stop, true)),
              Scored(want.rbegin() + start, want.rbegin() + stop + 1));
    // Score intervals: counted, and listed from the top with a LIMIT, from the index.
    const auto min = static_cast<double>(pick(50));
    const double max = min + static_cast<double>(pick(8));
    const bool min_ex = pick(2) == 0, max_ex = pick(2) == 0;
    Scored inside;
    for (auto it = want.rbegin(); it != want.rend(); ++it) {
      if ((min_ex ? it->second > min : it->second >= min) &&
          (max_ex ? it->second < max : it->second <= max)) {
        inside.push_back(*it);
      }
    }
    ZRangeSpec interval = Scores(min, max, true, min_ex, max_ex);
    ASSERT_EQ(Count("z", interval), std::ssize(inside));
    interval.offset = pick(10);
    interval.count = pick(4) == 0 ? -1 : pick(12);
    Scored limited;
    for (int64_t j = interval.offset; j < std::ssize(inside); ++j) {
      if (interval.count >= 0 && std::ssize(limited) >= interval.count) break;
      limited.push_back(inside[static_cast<size_t>(j)]);
    }
    ASSERT_EQ(Range("z", interval), limited);
    // Random members through the index: members with their scores, distinct when asked.
    std::vector<ScoredMember> drawn;
    const int64_t count = pick(8) - 3;
    ASSERT_TRUE(ks().ZSetRandomMembers(0, "z", count, &drawn).ok());
    ASSERT_EQ(std::ssize(drawn), count < 0 ? -count : std::min(count, size));
    std::set<std::string> distinct;
    for (const ScoredMember& m : drawn) {
      ASSERT_EQ(model.at(m.member), m.score);
      distinct.insert(m.member);
    }
    if (count > 0) {
      ASSERT_EQ(std::ssize(distinct), std::ssize(drawn));
    }
  }
  EXPECT_GT(most_buckets, 20u) << "the index was built and split";
  ASSERT_EQ(All("z"), sorted());
}

// An indexed sorted set keeps its index through RENAME, COPY, MOVE, DUMP/RESTORE and a restart;
// DEL drops it with the version; a set shrunk below build_at / 2 loses its buckets.
TEST_F(KeyspaceZSetsTest, RankIndexFollowsTheKey) {
  ks().set_zset_index_limits(SmallBuckets());
  std::vector<std::pair<double, std::string>> owned;
  for (int i = 0; i < 300; ++i) owned.emplace_back(i % 37, "m" + std::to_string(1000 + i));
  std::vector<std::pair<double, std::string_view>> pairs(owned.begin(), owned.end());
  Add("z", pairs);
  Scored want;
  for (const auto& [score, member] : owned) want.emplace_back(member, score);
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return a.second < b.second || (a.second == b.second && a.first < b.first);
  });
  EXPECT_GT(CheckStoredIndex(db(), "z", 300), 1u) << "built when the set reached build_at";
  auto check = [&](int db_index, std::string_view key) {
    for (size_t i : {size_t{0}, size_t{1}, size_t{150}, size_t{298}, size_t{299}}) {
      int64_t rank = -2;
      double score = 0;
      ASSERT_TRUE(ks().ZSetRank(db_index, key, want[i].first, false, &rank, &score).ok());
      EXPECT_EQ(rank, static_cast<int64_t>(i)) << key << " " << i;
    }
    std::vector<ScoredMember> out;
    ASSERT_TRUE(ks().ZSetRange(db_index, key, Ranks(140, 149), &out).ok());
    EXPECT_EQ(ToScored(out), Scored(want.begin() + 140, want.begin() + 150));
  };
  check(0, "z");
  bool done = false;
  ASSERT_TRUE(ks().Rename(0, "z", "r", false, &done).ok());
  check(0, "r");
  EXPECT_GT(CheckStoredIndex(db(), "r", 300), 1u);
  ASSERT_TRUE(ks().Copy(0, "r", 0, "c", false, &done).ok());
  ASSERT_TRUE(done);
  check(0, "c");
  EXPECT_GT(CheckStoredIndex(db(), "c", 300), 1u);
  ASSERT_TRUE(ks().Move(0, "c", 1, &done).ok());
  ASSERT_TRUE(done);
  check(1, "c");
  DumpedValue dumped;
  ASSERT_TRUE(ks().ReadValue(0, "r", &dumped, &done).ok());
  ASSERT_TRUE(ks().WriteValue(0, "restored", dumped, 0).ok());
  check(0, "restored");
  EXPECT_GT(CheckStoredIndex(db(), "restored", 300), 1u) << "built by the first rank";
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  ks().set_zset_index_limits(SmallBuckets());
  check(0, "r");
  check(0, "restored");
  // A new version starts without the old one's buckets.
  EXPECT_EQ(k_.Del(0, {"r"}), 1);
  Add("r", {{1, "a"}, {2, "b"}});
  EXPECT_EQ(CheckStoredIndex(db(), "r", 2), 0u);
  EXPECT_EQ(Rank("r", "b"), 1);
  // Shrinking below build_at / 2 deletes the buckets in the same batch.
  int64_t removed = 0;
  ASSERT_TRUE(ks().ZSetRemoveRange(0, "restored", Ranks(0, 289), &removed).ok());
  EXPECT_EQ(removed, 290);
  EXPECT_EQ(CheckStoredIndex(db(), "restored", 10), 0u);
  EXPECT_EQ(All("restored"), Scored(want.begin() + 290, want.end()));
  EXPECT_EQ(Rank("restored", want[295].first), 5);
  ASSERT_TRUE(db().Commit().ok());
  CompactEverything();
  k_.Reopen();
  EXPECT_EQ(All("restored"), Scored(want.begin() + 290, want.end()));
}

TEST_F(KeyspaceZSetsTest, EncodingFollowsRedisListpackRules) {
  EncodingLimits limits;
  limits.zset_entries = 3;
  limits.zset_value = 8;
  ks().set_encoding_limits(limits);
  Add("z", {{1, "a"}, {2, "b"}, {3, "c"}});
  EXPECT_EQ(Encoding("z"), "listpack");
  Add("z", {{4, "d"}});
  EXPECT_EQ(Encoding("z"), "skiplist");
  Rem("z", {"a", "b", "c"});
  EXPECT_EQ(Encoding("z"), "skiplist") << "never converted back";
  Add("long", {{1, "123456789"}});
  EXPECT_EQ(Encoding("long"), "skiplist");
  Add("small", {{1, "x"}});
  ASSERT_TRUE(ks().ZSetStore(0, "stored", {{"x", 1}, {"y", 2}}).ok());
  EXPECT_EQ(Encoding("stored"), "listpack");
  ASSERT_TRUE(ks().ZSetStore(0, "stored", {{"w", 0}, {"x", 1}, {"y", 2}, {"z", 3}}).ok());
  EXPECT_EQ(Encoding("stored"), "skiplist");
  bool copied = false;
  ASSERT_TRUE(ks().Copy(0, "z", 0, "zcopy", false, &copied).ok());
  EXPECT_TRUE(copied);
  EXPECT_EQ(Encoding("zcopy"), "skiplist") << "a copy keeps the encoding";
  EXPECT_EQ(All("zcopy"), (Scored{{"d", 4}}));
}

TEST_F(KeyspaceZSetsTest, VersionsAndCompactionDropRemovedMembers) {
  Add("z", {{1, "old1"}, {2, "old2"}});
  EXPECT_EQ(k_.Del(0, {"z"}), 1);
  Add("z", {{5, "new"}});
  EXPECT_EQ(Score("z", "old1"), std::nullopt);
  EXPECT_EQ(All("z"), (Scored{{"new", 5}}));
  Add("r", {{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}});
  Rem("r", {"a"});
  Add("r", {{10, "b"}});  // the old score's entry goes
  std::vector<ScoredMember> popped;
  bool found = false;
  ASSERT_TRUE(ks().ZSetPop(0, "r", false, 1, &popped, &found).ok());
  EXPECT_EQ(ToScored(popped), (Scored{{"c", 3}}));
  ASSERT_TRUE(db().Commit().ok());
  CompactEverything();
  k_.Reopen();
  EXPECT_EQ(All("r"), (Scored{{"d", 4}, {"b", 10}}));
  EXPECT_EQ(StoredSubKeys(), 6u) << "two sub-keys per live member: new, d, b";
  // Rename and move keep members and scores.
  bool applied = false;
  ASSERT_TRUE(ks().Rename(0, "r", "r2", false, &applied).ok());
  bool moved = false;
  ASSERT_TRUE(ks().Move(0, "r2", 1, &moved).ok());
  EXPECT_TRUE(moved);
  std::vector<ScoredMember> out;
  ASSERT_TRUE(ks().ZSetRange(1, "r2", ZRangeSpec(), &out).ok());
  EXPECT_EQ(ToScored(out), (Scored{{"d", 4}, {"b", 10}}));
}

TEST_F(KeyspaceZSetsTest, WritesKeepTheDeadlineAndStoreDropsIt) {
  Add("z", {{1, "a"}, {2, "b"}});
  bool applied = false;
  ASSERT_TRUE(ks().SetExpire(0, "z", static_cast<int64_t>(k_.now_ms() + 5000), {}, &applied).ok());
  Add("z", {{3, "c"}});
  Rem("z", {"a"});
  int64_t removed = 0;
  ASSERT_TRUE(ks().ZSetRemoveRange(0, "z", Ranks(0, 0), &removed).ok());
  EXPECT_EQ(k_.Pttl(0, "z"), 5000);
  ASSERT_TRUE(ks().ZSetStore(0, "z", {{"q", 1}}).ok());
  EXPECT_EQ(k_.Pttl(0, "z"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  k_.Set(0, "str", "value");
  std::vector<ScoredMember> out;
  bool exists = false;
  EXPECT_TRUE(IsWrongType(ks().ZSetReadInput(0, "str", &out, &exists)));
  ZAddResult r;
  EXPECT_TRUE(IsWrongType(ks().ZSetAdd(0, "str", {{1, "a"}}, {}, &r)));
  // A set is an input with every score 1.
  int64_t added = 0;
  ASSERT_TRUE(ks().SetAdd(0, "set", {"x", "y"}, &added).ok());
  ASSERT_TRUE(ks().ZSetReadInput(0, "set", &out, &exists).ok());
  EXPECT_TRUE(exists);
  EXPECT_EQ(ToScored(out), (Scored{{"x", 1}, {"y", 1}}));
}

TEST_F(KeyspaceZSetsTest, StoreAcrossShardsIsOneBatch) {
  const std::string dst = OnAnotherShard("src", "dst");
  Add("src", {{1, "a"}, {2, "b"}});
  k_.Set(0, dst, "old string", 60'000);
  std::vector<ScoredMember> all;
  bool exists = false;
  ASSERT_TRUE(ks().ZSetReadInput(0, "src", &all, &exists).ok());
  ASSERT_TRUE(ks().ZSetStore(0, dst, all).ok());
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All(dst), (Scored{{"a", 1}, {"b", 2}}));
  EXPECT_EQ(k_.Pttl(0, dst), -1);
  ASSERT_TRUE(ks().ZSetStore(0, dst, {}).ok());
  EXPECT_EQ(TypeOf(dst), "none") << "an empty result deletes the destination";
  EXPECT_EQ(ks().KeyCount(0), 1u);
}

TEST_F(KeyspaceZSetsTest, RandomMembersAndScan) {
  for (int i = 0; i < 50; ++i) Add("z", {{static_cast<double>(i), "m" + std::to_string(i)}});
  std::vector<ScoredMember> out;
  ASSERT_TRUE(ks().ZSetRandomMembers(0, "z", 10, &out).ok());
  std::set<std::string> distinct;
  for (const ScoredMember& m : out) {
    distinct.insert(m.member);
    EXPECT_EQ(Score("z", m.member), m.score);
  }
  EXPECT_EQ(distinct.size(), 10u);
  out.clear();
  ASSERT_TRUE(ks().ZSetRandomMembers(0, "z", 100, &out).ok());
  EXPECT_EQ(out.size(), 50u) << "at most the whole set";
  out.clear();
  ASSERT_TRUE(ks().ZSetRandomMembers(0, "z", -200, &out).ok());
  EXPECT_EQ(out.size(), 200u) << "a negative count may repeat";
  // A large sorted set is walked in member order; a listpack one comes whole.
  EncodingLimits limits;
  limits.zset_entries = 10;
  ks().set_encoding_limits(limits);
  Add("z", {{100, "zz"}});
  std::string after;
  std::set<std::string> seen;
  for (int rounds = 0; rounds < 100; ++rounds) {
    std::vector<ScoredMember> page;
    bool complete = false, compact = true;
    ASSERT_TRUE(ks().ZSetScan(0, "z", after, "", 7, &page, &complete, &compact).ok());
    EXPECT_FALSE(compact);
    for (const ScoredMember& m : page) EXPECT_TRUE(seen.insert(m.member).second) << m.member;
    if (complete) break;
    after = page.back().member;
  }
  EXPECT_EQ(seen.size(), 51u);
}

TEST_F(KeyspaceZSetsTest, RefusedWritesAreErrorsAndChangeNothing) {
  Add("z", {{1, "a"}, {2, "b"}});
  ASSERT_TRUE(db().Commit().ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  Add("z", {{3, "x"}});  // applied, but its WAL record cannot be synced
  EXPECT_FALSE(db().Commit().ok());
  ZAddResult r;
  EXPECT_FALSE(ks().ZSetAdd(0, "{z}new", {{1, "v"}}, {}, &r).ok());
  int64_t n = 0;
  EXPECT_FALSE(ks().ZSetRemove(0, "z", {"a"}, &n).ok());
  std::vector<ScoredMember> out;
  bool found = false;
  EXPECT_FALSE(ks().ZSetPop(0, "z", true, 1, &out, &found).ok());
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(ks().ZSetRemoveRange(0, "z", Ranks(0, -1), &n).ok());
  EXPECT_FALSE(ks().ZSetStore(0, "{z}s", {{"q", 1}}).ok());
  EXPECT_EQ(All("z"), (Scored{{"a", 1}, {"b", 2}, {"x", 3}})) << "reads go on";
  fs_.ClearFaults();
  ASSERT_TRUE(db().RetryFailedWrites().ok());
  Add("{z}new", {{1, "v"}});
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(All("{z}new"), (Scored{{"v", 1}}));
  EXPECT_EQ(All("z"), (Scored{{"a", 1}, {"b", 2}, {"x", 3}}));
  EXPECT_EQ(ks().KeyCount(0), 2u);
}

}  // namespace
}  // namespace shale::keyspace
