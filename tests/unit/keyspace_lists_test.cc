// Lists on the keyspace (server/keyspace/lists.cc, format.h): the sub-key format, Redis's list
// semantics against a model, WRONGTYPE both ways, one key per list in the counts across reopen
// and compaction, TTL on a list, DEL of a big list as one write whose space compaction gives
// back, and the versions that keep a new list under an old name clear of the old elements.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <random>
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

// --- the sub-key format ---

TEST(KeyspaceListFormatTest, SubKeyLayoutAndRouting) {
  std::string key;
  MakeListKey(3, "ab", 0x0102030405060708, kListMidpoint, &key);
  EXPECT_EQ(key, std::string("\x40\x03\0\0\0\x02"
                             "ab"
                             "\x01\x02\x03\x04\x05\x06\x07\x08"
                             "\x80\0\0\0\0\0\0\0",
                             24));
  SubKey sub;
  ASSERT_TRUE(DecodeSubKey(key, &sub));
  EXPECT_EQ(sub.db, 3);
  EXPECT_EQ(sub.user_key, "ab");
  EXPECT_EQ(sub.version, 0x0102030405060708u);
  EXPECT_EQ(sub.element, std::string("\x80\0\0\0\0\0\0\0", 8));
  // A sub-key routes with its key's data key, so a list's writes stay on one shard.
  std::string data;
  MakeDataKey(3, "ab", &data);
  EXPECT_EQ(RoutingKey(key), "ab");
  EXPECT_EQ(RoutingKey(data), "ab");
  EXPECT_FALSE(DecodeSubKey(data, &sub));
  EXPECT_FALSE(DecodeSubKey(key.substr(0, 9), &sub)) << "length beyond the key";

  // Keys that are prefixes of each other keep their sub-keys apart: every sub-key of "a" sorts
  // before every one of "ab", and no prefix of one list's range holds the other's keys.
  std::string a_last, ab_first, a_prefix;
  MakeListKey(0, "a", UINT64_MAX, UINT64_MAX, &a_last);
  MakeListKey(0, "ab", 0, 0, &ab_first);
  MakeSubKeyKeyPrefix(0, "a", &a_prefix);
  EXPECT_LT(a_last, ab_first);
  EXPECT_FALSE(std::string_view(ab_first).starts_with(a_prefix));

  // Indexes sort numerically: head - 1 < head < tail.
  std::string left, mid, right;
  MakeListKey(0, "k", 1, kListMidpoint - 1, &left);
  MakeListKey(0, "k", 1, kListMidpoint, &mid);
  MakeListKey(0, "k", 1, kListMidpoint + 1, &right);
  EXPECT_LT(left, mid);
  EXPECT_LT(mid, right);
}

TEST(KeyspaceListFormatTest, MetadataRoundTrip) {
  CompositeMeta meta;
  meta.version = 7;
  meta.head = kListMidpoint - 2;
  meta.tail = kListMidpoint + 3;
  meta.size = 5;
  std::string payload;
  EncodeCompositeMeta(ValueType::kList, meta, &payload);
  ASSERT_EQ(payload.size(), kListMetaSize);
  CompositeMeta decoded;
  ASSERT_TRUE(DecodeCompositeMeta(ValueType::kList, payload, &decoded));
  EXPECT_EQ(decoded.version, 7u);
  EXPECT_EQ(decoded.size, 5u);
  EXPECT_EQ(decoded.head, meta.head);
  EXPECT_EQ(decoded.tail, meta.tail);
  EXPECT_FALSE(DecodeCompositeMeta(ValueType::kString, payload, &decoded));
  EXPECT_FALSE(DecodeCompositeMeta(ValueType::kList, payload.substr(1), &decoded));
  payload[8] = 9;  // a size that disagrees with head and tail
  EXPECT_FALSE(DecodeCompositeMeta(ValueType::kList, payload, &decoded));
}

// --- lists over a Db ---

class KeyspaceListsTest : public ::testing::Test {
 protected:
  KeyspaceListsTest() : k_(DbOptions(storage::JoinPath(dir_.path(), "data"))) { k_.Reopen(); }

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

  int64_t Push(std::string_view key, ListEnd end, const std::vector<std::string_view>& values) {
    int64_t length = -1;
    Status s = ks().ListPush(0, key, end, values, false, &length);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return length;
  }
  std::vector<std::string> Range(std::string_view key, int64_t start = 0, int64_t stop = -1) {
    std::vector<std::string> values;
    Status s = ks().ListRange(0, key, start, stop, &values);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return values;
  }
  std::vector<std::string> Pop(std::string_view key, ListEnd end, uint64_t count) {
    std::vector<std::string> values;
    bool found = false;
    Status s = ks().ListPop(0, key, end, count, &values, &found);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return values;
  }
  std::string TypeOf(std::string_view key) {
    std::string_view type;
    EXPECT_TRUE(ks().Type(0, key, &type).ok());
    return std::string(type);
  }
  // The stored sub-keys of database 0 (live entries of its sub-key group, any version).
  size_t StoredSubKeys() { return LiveKeys(db(), GroupedKey(kSubKeyGroupBase, "")).size(); }
  uint64_t TableBytes() {
    return test_util::SumOverShards(db(), &storage::ShardStats::table_bytes);
  }
  void CompactEverything() {
    ASSERT_TRUE(db().FlushMemTables().ok());
    ASSERT_TRUE(db().CompactAll().ok());
    ASSERT_TRUE(db().WaitForFlushes().ok());
  }

  TempDir dir_;
  storage::FaultInjectionFileSystem fs_{storage::DefaultFileSystem()};
  KeyspaceDb k_;
};

TEST_F(KeyspaceListsTest, PushPopRangeIndex) {
  EXPECT_EQ(Push("l", ListEnd::kRight, {"b", "c"}), 2);
  EXPECT_EQ(Push("l", ListEnd::kLeft, {"a", "z"}), 4);  // z a b c
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"z", "a", "b", "c"}));
  EXPECT_EQ(Range("l", -2, 100), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(Range("l", 3, 1).empty());
  EXPECT_TRUE(Range("l", 4, 10).empty());
  EXPECT_EQ(Range("l", -100, 0), (std::vector<std::string>{"z"}));
  std::string value;
  ASSERT_TRUE(ks().ListIndex(0, "l", -1, &value).ok());
  EXPECT_EQ(value, "c");
  EXPECT_TRUE(ks().ListIndex(0, "l", 4, &value).IsNotFound());
  EXPECT_TRUE(ks().ListIndex(0, "missing", 0, &value).IsNotFound());
  EXPECT_EQ(Pop("l", ListEnd::kRight, 2), (std::vector<std::string>{"c", "b"}));
  EXPECT_EQ(Pop("l", ListEnd::kLeft, 1), (std::vector<std::string>{"z"}));
  EXPECT_EQ(TypeOf("l"), "list");
  EXPECT_EQ(Pop("l", ListEnd::kLeft, 10), (std::vector<std::string>{"a"}));
  EXPECT_EQ(TypeOf("l"), "none") << "an emptied list is deleted";
  EXPECT_EQ(ks().KeyCount(0), 0u);
  bool found = true;
  std::vector<std::string> values;
  ASSERT_TRUE(ks().ListPop(0, "l", ListEnd::kLeft, 1, &values, &found).ok());
  EXPECT_FALSE(found);

  int64_t length = -1;
  ASSERT_TRUE(ks().ListPush(0, "x", ListEnd::kLeft, {"v"}, true, &length).ok());
  EXPECT_EQ(length, 0) << "LPUSHX on a missing key";
  EXPECT_EQ(TypeOf("x"), "none");
}

// SWAPDB moves lists whole: their metadata and elements are addressed through the database map,
// so after the swap the list reads (and pops, and compacts) in the other database.
TEST_F(KeyspaceListsTest, SwapDbMovesListsWithTheirElements) {
  EXPECT_EQ(Push("l", ListEnd::kRight, {"a", "b", "c"}), 3);
  ASSERT_TRUE(ks().SwapDb(0, 1).ok());
  EXPECT_TRUE(Range("l").empty()) << "database 0 is the old database 1";
  std::vector<std::string> values;
  ASSERT_TRUE(ks().ListRange(1, "l", 0, -1, &values).ok());
  EXPECT_EQ(values, (std::vector<std::string>{"a", "b", "c"}));
  int64_t length = 0;
  ASSERT_TRUE(ks().ListPush(1, "l", ListEnd::kLeft, {"z"}, false, &length).ok());
  EXPECT_EQ(length, 4);
  CompactEverything();
  k_.Reopen();
  values.clear();
  ASSERT_TRUE(ks().ListRange(1, "l", 0, -1, &values).ok());
  EXPECT_EQ(values, (std::vector<std::string>{"z", "a", "b", "c"}));
  EXPECT_EQ(ks().KeyCount(1), 1u);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  // Database 0 is empty, and a list pushed there does not see the old elements.
  EXPECT_EQ(Push("l", ListEnd::kRight, {"new"}), 1);
  EXPECT_EQ(Range("l"), std::vector<std::string>{"new"});
}

// Random operations against a std::deque, the whole list compared after each.
TEST_F(KeyspaceListsTest, MatchesAModelUnderRandomOperations) {
  std::mt19937 rng(12345);
  std::deque<std::string> model;
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  for (int step = 0; step < 2000; ++step) {
    SCOPED_TRACE(step);
    const std::string v = std::string(1, static_cast<char>('a' + pick(4)));
    const int op = pick(9);
    if (op == 0) {
      Push("m", ListEnd::kLeft, {v});
      model.push_front(v);
    } else if (op == 1) {
      Push("m", ListEnd::kRight, {v, "r"});
      model.push_back(v);
      model.push_back("r");
    } else if (op == 2) {
      const auto n = static_cast<uint64_t>(pick(3));
      std::vector<std::string> got = Pop("m", ListEnd::kLeft, n);
      std::vector<std::string> want;
      for (uint64_t i = 0; i < n && !model.empty(); ++i) {
        want.push_back(model.front());
        model.pop_front();
      }
      EXPECT_EQ(got, want);
    } else if (op == 3) {
      std::vector<std::string> got = Pop("m", ListEnd::kRight, 1);
      std::vector<std::string> want;
      if (!model.empty()) {
        want.push_back(model.back());
        model.pop_back();
      }
      EXPECT_EQ(got, want);
    } else if (op == 4) {
      const bool before = pick(2) == 0;
      int64_t length = 0;
      ASSERT_TRUE(ks().ListInsert(0, "m", before, v, "I", &length).ok());
      auto it = std::find(model.begin(), model.end(), v);
      if (model.empty()) {
        EXPECT_EQ(length, 0);
      } else if (it == model.end()) {
        EXPECT_EQ(length, -1);
      } else {
        model.insert(before ? it : it + 1, "I");
        EXPECT_EQ(length, static_cast<int64_t>(model.size()));
      }
    } else if (op == 5) {
      const int64_t count = pick(5) - 2;
      int64_t removed = 0;
      ASSERT_TRUE(ks().ListRemove(0, "m", count, v, &removed).ok());
      int64_t want = 0;
      const auto limit = static_cast<int64_t>(count == 0 ? model.size() : std::abs(count));
      if (count >= 0) {
        for (auto it = model.begin(); it != model.end() && want < limit;) {
          if (*it == v) {
            it = model.erase(it);
            ++want;
          } else {
            ++it;
          }
        }
      } else {
        for (auto i = static_cast<int64_t>(model.size()) - 1; i >= 0 && want < limit; --i) {
          if (model[static_cast<size_t>(i)] == v) {
            model.erase(model.begin() + i);
            ++want;
          }
        }
      }
      EXPECT_EQ(removed, want);
    } else if (op == 6 && !model.empty()) {
      const int64_t index = pick(static_cast<int>(model.size()));
      ListSetResult result = ListSetResult::kNoSuchKey;
      ASSERT_TRUE(ks().ListSet(0, "m", index, "S", &result).ok());
      EXPECT_EQ(result, ListSetResult::kOk);
      model[static_cast<size_t>(index)] = "S";
    } else if (op == 7 && model.size() > 6) {
      const int64_t start = pick(3), stop = -1 - pick(3);
      ASSERT_TRUE(ks().ListTrim(0, "m", start, stop).ok());
      const auto n = static_cast<int64_t>(model.size());
      model = std::deque<std::string>(model.begin() + start, model.begin() + (n + stop + 1));
    } else if (op == 8 && !model.empty()) {
      std::string value;
      bool found = false;
      ASSERT_TRUE(ks().ListMove(0, "m", "m", ListEnd::kRight, ListEnd::kLeft, &value, &found).ok());
      EXPECT_TRUE(found);
      EXPECT_EQ(value, model.back());
      model.push_front(model.back());
      model.pop_back();
    }
    ASSERT_EQ(Range("m"), std::vector<std::string>(model.begin(), model.end()));
    int64_t length = -1;
    ASSERT_TRUE(ks().ListLength(0, "m", &length).ok());
    ASSERT_EQ(length, static_cast<int64_t>(model.size()));
    ASSERT_EQ(ks().KeyCount(0), model.empty() ? 0u : 1u);
  }
}

TEST_F(KeyspaceListsTest, Positions) {
  Push("l", ListEnd::kRight, {"a", "b", "c", "1", "2", "3", "c", "c"});
  auto pos = [&](std::string_view v, int64_t rank, uint64_t count, uint64_t maxlen) {
    std::vector<int64_t> positions;
    EXPECT_TRUE(ks().ListPositions(0, "l", v, {rank, count, maxlen}, &positions).ok());
    return positions;
  };
  EXPECT_EQ(pos("c", 1, 1, 0), (std::vector<int64_t>{2}));
  EXPECT_EQ(pos("c", 2, 1, 0), (std::vector<int64_t>{6}));
  EXPECT_EQ(pos("c", -1, 1, 0), (std::vector<int64_t>{7}));
  EXPECT_EQ(pos("c", 1, 0, 0), (std::vector<int64_t>{2, 6, 7}));
  EXPECT_EQ(pos("c", -1, 2, 0), (std::vector<int64_t>{7, 6}));
  EXPECT_EQ(pos("c", 1, 0, 3), (std::vector<int64_t>{2}));
  EXPECT_EQ(pos("c", -1, 0, 2), (std::vector<int64_t>{7, 6}));
  EXPECT_TRUE(pos("x", 1, 0, 0).empty());
  EXPECT_TRUE(pos("c", 4, 0, 0).empty());
}

TEST_F(KeyspaceListsTest, WrongTypeBothWays) {
  k_.Set(0, "s", "v");
  Push("l", ListEnd::kLeft, {"x"});
  int64_t length = 0;
  EXPECT_TRUE(IsWrongType(ks().ListPush(0, "s", ListEnd::kLeft, {"v"}, false, &length)));
  EXPECT_TRUE(IsWrongType(ks().ListLength(0, "s", &length)));
  std::vector<std::string> values;
  bool found = false;
  EXPECT_TRUE(IsWrongType(ks().ListPop(0, "s", ListEnd::kLeft, 1, &values, &found)));
  std::string value;
  EXPECT_TRUE(
      IsWrongType(ks().ListMove(0, "l", "s", ListEnd::kLeft, ListEnd::kLeft, &value, &found)));
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"x"})) << "nothing moved";
  EXPECT_TRUE(IsWrongType(ks().Get(0, "l", &value)));
  EXPECT_TRUE(IsWrongType(ks().GetDel(0, "l", &value)));
  EXPECT_TRUE(IsWrongType(ks().GetEx(0, "l", {}, &value)));
  SetOptions get;
  get.get = true;
  SetResult result;
  EXPECT_TRUE(IsWrongType(ks().Set(0, "l", "v", get, &result)));
  EXPECT_TRUE(IsWrongType(
      ks().UpdateString(0, "l", [](const std::string_view*, std::string*) { return true; })));
  // SET overwrites a list; the old elements are gone for good.
  k_.Set(0, "l", "now a string");
  EXPECT_EQ(k_.GetOr(0, "l"), "now a string");
  EXPECT_EQ(ks().KeyCount(0), 2u);
  Push("l2", ListEnd::kLeft, {"y"});
  EXPECT_TRUE(IsWrongType(ks().ListPush(0, "l", ListEnd::kLeft, {"v"}, false, &length)));
}

// A list is one key: DBSIZE, EXISTS, DEL, SCAN, TTL and the expiry index see one key, and the
// counts are exact after a reopen and after a compaction.
TEST_F(KeyspaceListsTest, AListIsOneKeyAcrossReopenAndCompaction) {
  // The compaction filter reads the system clock: the test's clock moves to it, so a deadline
  // the test sets in the future is in the future for the filter too.
  const auto system_now =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  k_.AdvanceMs(system_now - k_.now_ms());
  Push("l1", ListEnd::kRight, {"a", "b", "c"});
  Push("l2", ListEnd::kRight, {"a"});
  k_.Set(0, "s", "v");
  bool applied = false;
  ASSERT_TRUE(
      ks().SetExpire(0, "l1", static_cast<int64_t>(k_.now_ms() + 3'600'000), {}, &applied).ok());
  EXPECT_TRUE(applied);
  EXPECT_EQ(TypeOf("l1"), "list") << "EXPIRE keeps the type";
  EXPECT_EQ(Range("l1"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(k_.Pttl(0, "l1"), 3'600'000);
  Push("l1", ListEnd::kRight, {"d"});
  EXPECT_EQ(k_.Pttl(0, "l1"), 3'600'000) << "a push keeps the deadline";
  EXPECT_EQ(ks().KeyCount(0), 3u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(k_.ScanAll(0), (std::vector<std::string>{"l1", "l2", "s"}));
  int64_t count = 0;
  ASSERT_TRUE(ks().Exists(0, {"l1", "l2", "l1"}, &count).ok());
  EXPECT_EQ(count, 3);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(db().Commit().ok());
    if (round == 1) CompactEverything();
    k_.Reopen();
    EXPECT_EQ(ks().KeyCount(0), 3u);
    EXPECT_EQ(ks().ExpiresCount(0), 1u);
    EXPECT_EQ(Range("l1"), (std::vector<std::string>{"a", "b", "c", "d"}));
    EXPECT_EQ(Range("l2"), (std::vector<std::string>{"a"}));
  }
  ASSERT_TRUE(ks().Persist(0, "l1", &applied).ok());
  EXPECT_EQ(k_.Pttl(0, "l1"), -1);
  EXPECT_EQ(TypeOf("l1"), "list");
  ASSERT_TRUE(ks().SetExpire(0, "l1", static_cast<int64_t>(k_.now_ms() + 1000), {}, &applied).ok());
  k_.AdvanceMs(1000);
  EXPECT_EQ(TypeOf("l1"), "none");
  EXPECT_EQ(k_.ExpireAllDue(), 0u) << "lazily deleted already";
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(k_.Del(0, {"l2", "s"}), 2);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  ASSERT_TRUE(db().Commit().ok());
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 0u) << "every element of the deleted lists is gone";
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 0u);
}

TEST_F(KeyspaceListsTest, TheExpiryCycleDeletesAList) {
  Push("l", ListEnd::kRight, {"a", "b"});
  bool applied = false;
  ASSERT_TRUE(ks().SetExpire(0, "l", static_cast<int64_t>(k_.now_ms() + 100), {}, &applied).ok());
  k_.AdvanceMs(100);
  EXPECT_EQ(k_.ExpireAllDue(), 1u);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_TRUE(Range("l").empty());
  EXPECT_EQ(Push("l", ListEnd::kRight, {"new"}), 1) << "a new list under the old name";
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"new"}));
}

// A new list under a deleted list's name never sees the old elements, before or after a
// compaction or a reopen: its version is new, also after a restart.
TEST_F(KeyspaceListsTest, ANewListUnderAnOldNameGetsANewVersion) {
  Push("l", ListEnd::kRight, {"old1", "old2", "old3"});
  EXPECT_EQ(k_.Del(0, {"l"}), 1);
  Push("l", ListEnd::kRight, {"new"});
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"new"}));
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(k_.Del(0, {"l"}), 1);
  Push("l", ListEnd::kLeft, {"newer"});
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"newer"}));
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 1u) << "only the live element stays";
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"newer"}));
  // Three lists were made: the counter holds the highest version.
  EXPECT_EQ(db().Counter(kVersionCounter), 3);
  // Popped and trimmed elements go in compaction too.
  Push("l", ListEnd::kRight, {"a", "b", "c", "d", "e"});
  Pop("l", ListEnd::kLeft, 2);
  ASSERT_TRUE(ks().ListTrim(0, "l", 0, 1).ok());
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"b", "c"}));
  CompactEverything();
  EXPECT_EQ(StoredSubKeys(), 2u);
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"b", "c"}));
}

TEST_F(KeyspaceListsTest, KeysThatArePrefixesOfEachOtherStayApart) {
  Push("a", ListEnd::kRight, {"1", "2"});
  Push("ab", ListEnd::kRight, {"3"});
  Push("", ListEnd::kRight, {"empty name"});
  EXPECT_EQ(k_.Del(0, {"a"}), 1);
  CompactEverything();
  EXPECT_EQ(Range("ab"), (std::vector<std::string>{"3"}));
  EXPECT_EQ(Range(""), (std::vector<std::string>{"empty name"}));
  EXPECT_TRUE(Range("a").empty());
  EXPECT_EQ(StoredSubKeys(), 2u);
}

// DEL of a list of 1,000,000 elements writes its metadata record alone, and the elements' space
// comes back in the next compaction.
TEST_F(KeyspaceListsTest, DeletingAMillionElementListIsOneWriteAndCompactionFreesIt) {
  std::vector<std::string> chunk(1000);
  for (int i = 0; i < 1000; ++i) {
    std::vector<std::string_view> values;
    for (int j = 0; j < 1000; ++j) {
      chunk[static_cast<size_t>(j)] = "element-" + std::to_string(i * 1000 + j);
    }
    values.assign(chunk.begin(), chunk.end());
    Push("big", ListEnd::kRight, values);
    if (i % 100 == 99) {
      ASSERT_TRUE(db().Commit().ok());
    }
  }
  int64_t length = 0;
  ASSERT_TRUE(ks().ListLength(0, "big", &length).ok());
  EXPECT_EQ(length, 1'000'000);
  Push("small", ListEnd::kRight, {"kept"});
  CompactEverything();
  const uint64_t before = TableBytes();
  EXPECT_GT(before, 4'000'000u);

  const uint64_t written = test_util::SumOverShards(db(), &storage::ShardStats::user_bytes_written);
  EXPECT_EQ(k_.Del(0, {"big"}), 1);
  const uint64_t del_bytes =
      test_util::SumOverShards(db(), &storage::ShardStats::user_bytes_written) - written;
  EXPECT_LT(del_bytes, 100u) << "one delete of the metadata record";
  EXPECT_EQ(ks().KeyCount(0), 1u);

  CompactEverything();
  EXPECT_LT(TableBytes(), before / 100) << "the elements' space came back";
  EXPECT_EQ(StoredSubKeys(), 1u);
  EXPECT_EQ(Range("small"), (std::vector<std::string>{"kept"}));
}

// An element's bytes are the client's: one that looks like an expired value header is not
// shrunk by the compaction filter (which reads headers of data keys only).
TEST_F(KeyspaceListsTest, ElementsThatLookLikeExpiredHeadersSurviveCompaction) {
  std::string tricky;
  EncodeValueHeader(ValueType::kString, 1, &tricky);  // a deadline in 1970
  tricky += "payload";
  Push("l", ListEnd::kRight, {tricky, "plain"});
  CompactEverything();
  EXPECT_EQ(Range("l"), (std::vector<std::string>{tricky, "plain"}));
}

// The general helpers for composite keys: their sub-keys in order, and an O(1) delete of a key
// of any type in the caller's batch.
TEST_F(KeyspaceListsTest, SubKeyIterationAndDeleteOfAnyType) {
  Push("l", ListEnd::kRight, {"b", "c"});
  Push("l", ListEnd::kLeft, {"a"});
  Pop("l", ListEnd::kRight, 1);
  std::vector<std::string> seen;
  ASSERT_TRUE(ks().ForEachSubKey(0, "l",
                                 [&](std::string_view element, std::string_view value) {
                                   EXPECT_EQ(element.size(), kListIndexSize);
                                   seen.emplace_back(value);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"})) << "in order, popped ones left out";
  EXPECT_TRUE(ks().ForEachSubKey(0, "missing", [](auto, auto) { return true; }).IsNotFound());
  k_.Set(0, "s", "v");
  EXPECT_TRUE(IsWrongType(ks().ForEachSubKey(0, "s", [](auto, auto) { return true; })));

  storage::WriteBatch batch;
  bool removed = false;
  ASSERT_TRUE(ks().AddDeleteOf(0, "l", &batch, &removed).ok());
  EXPECT_TRUE(removed);
  ASSERT_TRUE(ks().AddDeleteOf(0, "s", &batch, &removed).ok());
  EXPECT_TRUE(removed);
  ASSERT_TRUE(ks().AddDeleteOf(0, "missing", &batch, &removed).ok());
  EXPECT_FALSE(removed);
  ASSERT_TRUE(db().Write(batch).ok());
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(TypeOf("l"), "none");
}

// LMOVE between keys on different shards is one atomic batch; FLUSHDB drops the elements.
TEST_F(KeyspaceListsTest, MoveAcrossShardsAndFlush) {
  std::string other = "dst";
  for (int i = 0; db().ShardOfRoutingKey(other) == db().ShardOfRoutingKey("src"); ++i) {
    other = "dst" + std::to_string(i);
  }
  Push("src", ListEnd::kRight, {"a", "b"});
  std::string value;
  bool found = false;
  ASSERT_TRUE(ks().ListMove(0, "src", other, ListEnd::kRight, ListEnd::kLeft, &value, &found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(value, "b");
  ASSERT_TRUE(ks().ListMove(0, "src", other, ListEnd::kLeft, ListEnd::kRight, &value, &found).ok());
  EXPECT_EQ(value, "a");
  EXPECT_EQ(TypeOf("src"), "none");
  EXPECT_EQ(Range(other), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(ks().ListMove(0, "src", other, ListEnd::kLeft, ListEnd::kLeft, &value, &found).ok());
  EXPECT_FALSE(found);
  EXPECT_EQ(ks().KeyCount(0), 1u);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(Range(other), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(ks().FlushDb(0).ok());
  EXPECT_EQ(StoredSubKeys(), 0u);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_TRUE(Range(other).empty());
}

// Writes refused by a failed WAL are errors and change nothing; the version given back is not
// reused wrongly once writes work again.
TEST_F(KeyspaceListsTest, RefusedWritesAreErrorsAndChangeNothing) {
  Push("l", ListEnd::kRight, {"a"});
  ASSERT_TRUE(db().Commit().ok());
  fs_.FailNthSync(1, /*sticky=*/true);
  Push("l", ListEnd::kRight, {"b"});  // applied, but its WAL record cannot be synced
  EXPECT_FALSE(db().Commit().ok());
  int64_t length = 0;
  // "{l}n" shares l's shard (its hash tag), which refuses writes now.
  EXPECT_FALSE(db().WriteState().ok());
  EXPECT_FALSE(ks().ListPush(0, "{l}n", ListEnd::kRight, {"x"}, false, &length).ok());
  std::vector<std::string> values;
  bool found = false;
  EXPECT_FALSE(ks().ListPop(0, "l", ListEnd::kLeft, 1, &values, &found).ok());
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"a", "b"})) << "reads go on";
  fs_.ClearFaults();
  ASSERT_TRUE(db().RetryFailedWrites().ok());
  EXPECT_EQ(Push("{l}n", ListEnd::kRight, {"x"}), 1);
  EXPECT_EQ(db().Counter(kVersionCounter), 2);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(Range("{l}n"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(Range("l"), (std::vector<std::string>{"a", "b"}));
}

// A data directory of format 2 (strings only) opens, keeps its keys and is marked format 3.
TEST_F(KeyspaceListsTest, AFormatTwoDirectoryIsUpgraded) {
  k_.Set(0, "k", "v");
  k_.Close();
  {
    std::unique_ptr<storage::Db> raw;
    storage::Options options = k_.options();
    Keyspace::ConfigureEngine(&options);
    ASSERT_TRUE(storage::Db::Open(options, &raw).ok());
    ASSERT_TRUE(test_util::PutKey(*raw, GroupedKey(kMetaGroup, "keyspace-format"), "2").ok());
  }
  k_.Reopen();
  EXPECT_EQ(k_.GetOr(0, "k"), "v");
  std::string marker;
  ASSERT_TRUE(db().Get(GroupedKey(kMetaGroup, "keyspace-format"), &marker).ok());
  EXPECT_EQ(marker, "3");
}

}  // namespace
}  // namespace shale::keyspace
