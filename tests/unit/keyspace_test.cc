// The keyspace layer (server/keyspace/keyspace.h, format.h) over a Db: strings, NX/XX/GET, MSET,
// DEL, EXISTS, TYPE, exact key counts, FLUSHDB/FLUSHALL, SCAN, deadlines (lazy and active
// expiry, KEEPTTL, EXPIRE's conditions, PERSIST, GETEX, GETDEL), the format marker and the
// databases check at open. Time is the test's own (KeyspaceDb's clock).
#include "server/keyspace/keyspace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "server/keyspace/format.h"
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

// --- record formats (format.h) ---

TEST(KeyspaceFormatTest, ValueHeaderLayout) {
  std::string header;
  EncodeValueHeader(ValueType::kString, 0, &header);
  EXPECT_EQ(header, std::string("\0\0", 2));
  EncodeValueHeader(ValueType::kString, 0x0102030405060708, &header);
  EXPECT_EQ(header, std::string("\0\x01\x08\x07\x06\x05\x04\x03\x02\x01", 10));

  ValueHeader decoded;
  ASSERT_TRUE(DecodeValueHeader(header + "value", &decoded));
  EXPECT_EQ(decoded.type, ValueType::kString);
  EXPECT_EQ(decoded.expire_ms, 0x0102030405060708u);
  EXPECT_EQ(decoded.size, 10u);
  ASSERT_TRUE(DecodeValueHeader(std::string("\0\0", 2), &decoded));
  EXPECT_EQ(decoded.expire_ms, 0u);
  EXPECT_EQ(decoded.size, 2u);

  // Malformed: too short, an unknown type or flag, a deadline cut short or zero.
  EXPECT_FALSE(DecodeValueHeader("", &decoded));
  EXPECT_FALSE(DecodeValueHeader(std::string("\0", 1), &decoded));
  EXPECT_FALSE(DecodeValueHeader(std::string("\x07\0", 2), &decoded));
  EXPECT_FALSE(DecodeValueHeader(std::string("\0\x02", 2), &decoded));
  EXPECT_FALSE(DecodeValueHeader(std::string("\0\x01\x01\0\0", 5), &decoded));
  EXPECT_FALSE(DecodeValueHeader(std::string("\0\x01", 2) + std::string(8, '\0'), &decoded));
  // Format 1's stored values began with a flags byte and no type: not a header of format 2.
  EXPECT_FALSE(DecodeValueHeader(std::string("\x01", 1) + std::string(8, '\1') + "v", &decoded));
}

TEST(KeyspaceFormatTest, KeyLayoutAndRouting) {
  std::string key;
  MakeDataKey(3, "user", &key);
  EXPECT_EQ(key, std::string("\0\x03user", 6));
  EXPECT_EQ(RoutingKey(key), "user");
  MakeExpiryKey(3, 0x0102030405060708, "user", &key);
  EXPECT_EQ(key, std::string("\x80\x03\x01\x02\x03\x04\x05\x06\x07\x08user", 14));
  EXPECT_EQ(RoutingKey(key), "user");  // a key and its index entry share a shard
  const std::string marker = GroupedKey(kMetaGroup, "keyspace-format");
  EXPECT_EQ(RoutingKey(marker), marker);
  EXPECT_EQ(RoutingKey("x"), "x");

  // Index entries of one database sort by deadline, then key.
  std::string early, late, late_b;
  MakeExpiryKey(0, 999, "zzz", &early);
  MakeExpiryKey(0, 1000, "aaa", &late);
  MakeExpiryKey(0, 1000, "bbb", &late_b);
  EXPECT_LT(early, late);
  EXPECT_LT(late, late_b);
  // Data keys of every database sort before every index entry, which sort before the marker.
  MakeDataKey(kMaxDatabases - 1, std::string(20, '\xff'), &key);
  EXPECT_LT(key, early);
  EXPECT_LT(late_b, marker);
}

// --- the keyspace over a Db ---

class KeyspaceTest : public ::testing::Test {
 protected:
  KeyspaceTest() : k_(DbOptions(storage::JoinPath(dir_.path(), "data"))) {}

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

  SetResult SetWith(int db, std::string_view key, std::string_view value,
                    const SetOptions& options) {
    SetResult result;
    Status s = ks().Set(db, key, value, options, &result);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return result;
  }

  int64_t ExpireTimeOf(int db, std::string_view key) {
    int64_t ms = 0;
    Status s = ks().ExpireTime(db, key, &ms);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ms;
  }

  bool Expire(int db, std::string_view key, uint64_t deadline, ExpireCondition condition = {}) {
    bool applied = false;
    Status s = ks().SetExpire(db, key, static_cast<int64_t>(deadline), condition, &applied);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return applied;
  }

  // The engine's expiry index entries of database `db`.
  size_t IndexEntries(int db) {
    return LiveKeys(this->db(), GroupedKey(static_cast<uint16_t>(kExpiryGroupBase + db), ""))
        .size();
  }

  uint64_t now() const { return k_.now_ms(); }

  TempDir dir_;
  storage::FaultInjectionFileSystem fs_{storage::DefaultFileSystem()};
  KeyspaceDb k_;
};

TEST_F(KeyspaceTest, GetSetAndOverwrite) {
  k_.Reopen();
  std::string value;
  EXPECT_TRUE(ks().Get(0, "k", &value).IsNotFound());
  k_.Set(0, "k", "v1");
  EXPECT_EQ(k_.GetOr(0, "k"), "v1");
  k_.Set(0, "k", "v2");
  EXPECT_EQ(k_.GetOr(0, "k"), "v2");
  EXPECT_EQ(ks().KeyCount(0), 1u);
  k_.Set(0, "", "empty key");
  k_.Set(0, std::string("bin\0key", 7), std::string("\0\xff\0", 3));
  k_.Set(0, "big", std::string(1 << 20, 'b'));
  k_.Set(0, "emptyvalue", "");
  EXPECT_EQ(k_.GetOr(0, ""), "empty key");
  EXPECT_EQ(k_.GetOr(0, std::string("bin\0key", 7)), std::string("\0\xff\0", 3));
  EXPECT_EQ(k_.GetOr(0, "big"), std::string(1 << 20, 'b'));
  EXPECT_EQ(k_.GetOr(0, "emptyvalue"), "");
  EXPECT_EQ(ks().KeyCount(0), 5u);
  EXPECT_EQ(k_.GetOr(1, "k"), "<missing>");  // databases are separate
  EXPECT_EQ(ks().KeyCount(1), 0u);
  // The stored value is the header, then the value.
  std::string raw;
  ASSERT_TRUE(db().Get(GroupedKey(0, "k"), &raw).ok());
  EXPECT_EQ(raw, std::string("\0\0v2", 4));
}

TEST_F(KeyspaceTest, SetConditionsAndGet) {
  k_.Reopen();
  SetOptions nx_get;
  nx_get.condition = SetCondition::kIfAbsent;
  nx_get.get = true;
  SetOptions xx_get = nx_get;
  xx_get.condition = SetCondition::kIfPresent;
  SetOptions get;
  get.get = true;
  // NX on an absent key.
  SetResult r = SetWith(0, "k", "1", nx_get);
  EXPECT_TRUE(r.applied);
  EXPECT_FALSE(r.had_old);
  // NX on a present key: not applied, GET still returns the value.
  r = SetWith(0, "k", "2", nx_get);
  EXPECT_FALSE(r.applied);
  EXPECT_TRUE(r.had_old);
  EXPECT_EQ(r.old_value, "1");
  EXPECT_EQ(k_.GetOr(0, "k"), "1");
  // XX on an absent key.
  r = SetWith(0, "x", "1", xx_get);
  EXPECT_FALSE(r.applied);
  EXPECT_FALSE(r.had_old);
  EXPECT_EQ(k_.GetOr(0, "x"), "<missing>");
  // XX on a present key, with GET.
  r = SetWith(0, "k", "3", xx_get);
  EXPECT_TRUE(r.applied);
  EXPECT_TRUE(r.had_old);
  EXPECT_EQ(r.old_value, "1");
  EXPECT_EQ(k_.GetOr(0, "k"), "3");
  // Plain SET with GET.
  r = SetWith(0, "k", "4", get);
  EXPECT_TRUE(r.applied);
  EXPECT_EQ(r.old_value, "3");
  EXPECT_EQ(ks().KeyCount(0), 1u);
  // A deleted key counts as absent.
  EXPECT_EQ(k_.Del(0, {"k"}), 1);
  SetOptions xx;
  xx.condition = SetCondition::kIfPresent;
  EXPECT_FALSE(SetWith(0, "k", "5", xx).applied);
  r = SetWith(0, "k", "5", nx_get);
  EXPECT_TRUE(r.applied);
  EXPECT_FALSE(r.had_old);
  EXPECT_EQ(ks().KeyCount(0), 1u);
}

TEST_F(KeyspaceTest, MultiSetDuplicatesAndCounts) {
  k_.Reopen();
  k_.Set(0, "existing", "old");
  ASSERT_TRUE(ks().MultiSet(0, {{"a", "1"},
                                {"b", "2"},
                                {"a", "3"},
                                {"existing", "new"},
                                {"{tag}x", "4"},
                                {"{tag}y", "5"}})
                  .ok());
  EXPECT_EQ(k_.GetOr(0, "a"), "3");
  EXPECT_EQ(k_.GetOr(0, "b"), "2");
  EXPECT_EQ(k_.GetOr(0, "existing"), "new");
  EXPECT_EQ(ks().KeyCount(0), 5u);
  ASSERT_TRUE(ks().MultiSet(0, {}).ok());
  // MSET replaces a deadline, as SET does.
  k_.Set(0, "ttl", "v", 10000);
  ASSERT_TRUE(ks().MultiSet(0, {{"ttl", "w"}}).ok());
  EXPECT_EQ(k_.Pttl(0, "ttl"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(0), 6u);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(k_.GetOr(0, "a"), "3");
  EXPECT_EQ(ks().KeyCount(0), 6u);
}

TEST_F(KeyspaceTest, DeleteCountsEachExistingKeyOnce) {
  k_.Reopen();
  k_.Set(0, "a", "1");
  k_.Set(0, "b", "2", 10000);
  k_.Set(1, "a", "other db");
  EXPECT_EQ(k_.Del(0, {"a", "a", "missing", "b"}), 2);
  EXPECT_EQ(k_.GetOr(0, "a"), "<missing>");
  EXPECT_EQ(k_.GetOr(1, "a"), "other db");
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);  // the deadline's index entry went with the key
  EXPECT_EQ(ks().KeyCount(1), 1u);
  EXPECT_EQ(k_.Del(0, {"a"}), 0);
  EXPECT_EQ(k_.Del(0, {}), 0);
}

TEST_F(KeyspaceTest, ExistsCountsRepeatedKeysAndTypeNamesStrings) {
  k_.Reopen();
  k_.Set(0, "a", "1");
  k_.Set(0, "b", "1");
  int64_t count = -1;
  ASSERT_TRUE(ks().Exists(0, {"a", "a", "b", "missing"}, &count).ok());
  EXPECT_EQ(count, 3);
  ASSERT_TRUE(ks().Exists(1, {"a"}, &count).ok());
  EXPECT_EQ(count, 0);
  std::string_view type;
  ASSERT_TRUE(ks().Type(0, "a", &type).ok());
  EXPECT_EQ(type, "string");
  ASSERT_TRUE(ks().Type(0, "missing", &type).ok());
  EXPECT_EQ(type, "none");
  EXPECT_EQ(TypeName(ValueType::kString), "string");
}

TEST_F(KeyspaceTest, FlushDbIsolatesDatabasesAndPersists) {
  k_.Reopen();
  for (int i = 0; i < 50; ++i) {
    k_.Set(0, "k" + std::to_string(i), "db0");
    k_.Set(1, "k" + std::to_string(i), "db1");
  }
  ASSERT_TRUE(ks().FlushDb(0).ok());
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(1), 50u);
  EXPECT_EQ(k_.GetOr(0, "k1"), "<missing>");
  EXPECT_EQ(k_.GetOr(1, "k1"), "db1");
  EXPECT_TRUE(k_.ScanAll(0).empty());
  EXPECT_EQ(k_.ScanAll(1).size(), 50u);
  // Writes after the flush live.
  k_.Set(0, "k1", "after");
  k_.Set(0, "new", "after");
  EXPECT_EQ(ks().KeyCount(0), 2u);
  ASSERT_TRUE(db().Commit().ok());

  k_.Reopen();
  EXPECT_EQ(k_.GetOr(0, "k1"), "after");
  EXPECT_EQ(k_.GetOr(0, "k2"), "<missing>");
  EXPECT_EQ(k_.GetOr(1, "k2"), "db1");
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(ks().KeyCount(1), 50u);
  EXPECT_EQ(k_.ScanAll(0), (std::vector<std::string>{"k1", "new"}));

  ASSERT_TRUE(ks().FlushAll().ok());
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(1), 0u);
  k_.Set(2, "x", "y");
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(1), 0u);
  EXPECT_EQ(ks().KeyCount(2), 1u);
  EXPECT_EQ(k_.GetOr(1, "k3"), "<missing>");
  EXPECT_EQ(k_.GetOr(2, "x"), "y");
  // The format marker is no database's key: FLUSHALL keeps it, and the directory reopens.
  std::string marker;
  EXPECT_TRUE(db().Get(GroupedKey(kMetaGroup, "keyspace-format"), &marker).ok());
}

TEST_F(KeyspaceTest, KeyCountsAreExactAfterReopen) {
  k_.Reopen();
  std::mt19937 rng(42);
  std::map<std::pair<int, std::string>, std::string> model;
  for (int i = 0; i < 3000; ++i) {
    const int db = static_cast<int>(rng() % 3);
    const std::string key = "key" + std::to_string(rng() % 400);
    switch (rng() % 10) {
      case 0:
        EXPECT_EQ(k_.Del(db, {key}), model.erase({db, key}) ? 1 : 0);
        break;
      case 1:
        if (rng() % 20 == 0) {
          ASSERT_TRUE(ks().FlushDb(db).ok());
          std::erase_if(model, [db](const auto& e) { return e.first.first == db; });
        }
        break;
      default: {
        const std::string value = "v" + std::to_string(i);
        k_.Set(db, key, value);
        model[{db, key}] = value;
      }
    }
    if (i % 100 == 0) {
      ASSERT_TRUE(k_.db().Commit().ok());
    }
  }
  ASSERT_TRUE(db().Commit().ok());
  auto check = [&] {
    for (int db = 0; db < 3; ++db) {
      uint64_t expected = 0;
      for (const auto& [k, v] : model) expected += k.first == db ? 1 : 0;
      EXPECT_EQ(ks().KeyCount(db), expected) << db;
      EXPECT_EQ(k_.ScanAll(db, "", 37).size(), expected) << db;
    }
    for (const auto& [k, v] : model) EXPECT_EQ(k_.GetOr(k.first, k.second), v);
  };
  check();
  k_.Reopen();
  check();
  k_.Reopen();  // a second reopen replays the older files plus an empty one
  check();
}

TEST_F(KeyspaceTest, ScanReturnsEveryKeyOnceInOrder) {
  k_.Reopen();
  std::set<std::string> expected;
  for (int i = 0; i < 500; ++i) {
    std::string key = (i % 3 == 0 ? "user:" : "item:") + std::to_string(i);
    k_.Set(0, key, "v");
    expected.insert(key);
  }
  k_.Set(1, "user:other-db", "v");
  // Deleted keys are not returned.
  EXPECT_EQ(k_.Del(0, {"item:1", "user:0"}), 2);
  expected.erase("item:1");
  expected.erase("user:0");
  for (size_t limit : {1u, 7u, 100u, 1000u}) {
    std::vector<std::string> keys = k_.ScanAll(0, "", limit);
    EXPECT_EQ(keys, std::vector<std::string>(expected.begin(), expected.end())) << limit;
  }
  std::vector<std::string> users;
  for (const std::string& k : expected) {
    if (k.rfind("user:", 0) == 0) users.push_back(k);
  }
  EXPECT_EQ(k_.ScanAll(0, "user:", 9), users);
  EXPECT_TRUE(k_.ScanAll(0, "nomatch", 9).empty());

  // done is reported with the last batch when the keys fit exactly.
  std::vector<std::string> batch;
  bool done = false;
  ASSERT_TRUE(ks().Scan(0, "", "", expected.size(), &batch, &done).ok());
  EXPECT_EQ(batch.size(), expected.size());
  EXPECT_TRUE(done);
  batch.clear();
  ASSERT_TRUE(ks().Scan(0, "", "", expected.size() - 1, &batch, &done).ok());
  EXPECT_FALSE(done);
  // An `after` between keys, and one past everything.
  batch.clear();
  ASSERT_TRUE(ks().Scan(0, "user:9", "user:", 100, &batch, &done).ok());
  EXPECT_TRUE(done);
  for (const std::string& k : batch) EXPECT_GT(k, "user:9");
  batch.clear();
  ASSERT_TRUE(ks().Scan(0, "zzz", "", 100, &batch, &done).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_TRUE(done);
  // The last database's scan ends at its own keys (not in the expiry index after it).
  k_.Set(15, "last", "v", 10000);
  EXPECT_EQ(k_.ScanAll(15), std::vector<std::string>{"last"});
}

TEST_F(KeyspaceTest, ScanWithWritesBetweenCalls) {
  k_.Reopen();
  std::set<std::string> stable;
  for (int i = 0; i < 300; ++i) {
    std::string key = "s" + std::to_string(i);
    k_.Set(0, key, "v");
    stable.insert(key);
  }
  std::vector<std::string> seen;
  std::string after;
  bool done = false;
  int round = 0;
  while (!done) {
    std::vector<std::string> batch;
    ASSERT_TRUE(ks().Scan(0, after, "", 11, &batch, &done).ok());
    if (!batch.empty()) after = batch.back();
    seen.insert(seen.end(), batch.begin(), batch.end());
    // Churn: add keys before and after the cursor, overwrite stable keys, delete new ones.
    ++round;
    k_.Set(0, "n" + std::to_string(round), "new");
    k_.Set(0, "t" + std::to_string(round), "new");
    k_.Set(0, "s" + std::to_string(round % 300), "overwritten");
    k_.Del(0, {"n" + std::to_string(round - 1)});
  }
  std::map<std::string, int> times;
  for (const std::string& k : seen) ++times[k];
  for (const std::string& k : stable) EXPECT_EQ(times[k], 1) << k;
  for (const auto& [k, n] : times) EXPECT_EQ(n, 1) << k;
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
}

TEST_F(KeyspaceTest, DatabasesOutOfRangeAreRefusedAtOpen) {
  std::unique_ptr<storage::Db> db;
  storage::Options options = k_.options();
  Keyspace::ConfigureEngine(&options);
  ASSERT_TRUE(storage::Db::Open(options, &db).ok());
  std::unique_ptr<Keyspace> keyspace;
  EXPECT_EQ(Keyspace::Open(db.get(), 0, &keyspace).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(Keyspace::Open(db.get(), kMaxDatabases + 1, &keyspace).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(keyspace, nullptr);
  ASSERT_TRUE(Keyspace::Open(db.get(), kMaxDatabases, &keyspace).ok());
  EXPECT_EQ(keyspace->databases(), kMaxDatabases);
}

// As Db refused a database index outside 0..databases-1 when it knew of databases: an index
// outside the range names another record group (-1 is the format marker's, kMaxDatabases and
// above the expiry index's).
TEST_F(KeyspaceTest, DatabaseIndexOutOfRangeIsRefused) {
  k_.Reopen();
  std::string value;
  EXPECT_EQ(ks().Get(16, "k", &value).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ks().Get(-1, "k", &value).code(), Status::Code::kInvalidArgument);
  SetResult result;
  EXPECT_EQ(ks().Set(16, "k", "v", {}, &result).code(), Status::Code::kInvalidArgument);
  EXPECT_FALSE(result.applied);
  EXPECT_EQ(ks().Set(-1, "keyspace-format", "1", {}, &result).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ks().FlushDb(99).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ks().KeyCount(99), 0u);
  k_.Close();
  Status s = k_.Open();  // the marker is intact
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(KeyspaceTest, FewerDatabasesThanTheDataNeedsIsRefused) {
  k_.Reopen();
  k_.Set(10, "k", "v");
  ASSERT_TRUE(db().Commit().ok());
  k_.Close();
  k_.set_databases(4);
  Status s = k_.Open();
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("database 10"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("databases is set to 4"), std::string::npos) << s.message();
  EXPECT_FALSE(k_.is_open());
  // The same once the key is in a table (the count comes from the manifest then).
  k_.set_databases(16);
  k_.Reopen();
  ASSERT_TRUE(db().FlushMemTables().ok());
  k_.Close();
  k_.set_databases(4);
  EXPECT_EQ(k_.Open().code(), Status::Code::kInvalidArgument);
  // An emptied database no longer needs its index.
  k_.set_databases(16);
  k_.Reopen();
  ASSERT_TRUE(ks().FlushDb(10).ok());
  k_.Close();
  k_.set_databases(4);
  k_.Reopen();
  EXPECT_EQ(ks().databases(), 4);
}

TEST_F(KeyspaceTest, OpenWritesTheFormatMarkerIntoAnEmptyDirectory) {
  k_.Reopen();
  std::string marker;
  ASSERT_TRUE(db().Get(GroupedKey(kMetaGroup, "keyspace-format"), &marker).ok());
  EXPECT_EQ(marker, std::to_string(kFormatVersion));
  // It is nobody's key.
  for (int d = 0; d < 16; ++d) {
    EXPECT_EQ(ks().KeyCount(d), 0u) << d;
    EXPECT_TRUE(k_.ScanAll(d).empty()) << d;
  }
  k_.Set(0, "k", "v");
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(k_.GetOr(0, "k"), "v");
}

// Format 1 stored values without a type byte, and no marker: such a directory is refused.
TEST_F(KeyspaceTest, OpenRefusesDataWithoutTheFormatMarker) {
  {
    std::unique_ptr<storage::Db> db;
    ASSERT_TRUE(storage::Db::Open(k_.options(), &db).ok());
    ASSERT_TRUE(test_util::PutKey(*db, GroupedKey(0, "old"), std::string("\0value", 6)).ok());
    ASSERT_TRUE(db->Commit().ok());
  }
  Status s = k_.Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("format version 1"), std::string::npos) << s.message();
  EXPECT_FALSE(k_.is_open());
  // Nothing was written: the refusal stays.
  std::unique_ptr<storage::Db> db;
  ASSERT_TRUE(storage::Db::Open(k_.options(), &db).ok());
  std::string marker;
  EXPECT_TRUE(db->Get(GroupedKey(kMetaGroup, "keyspace-format"), &marker).IsNotFound());
  db.reset();
  EXPECT_TRUE(k_.Open().IsCorruption());
}

TEST_F(KeyspaceTest, OpenRefusesAnotherFormatVersion) {
  {
    std::unique_ptr<storage::Db> db;
    ASSERT_TRUE(storage::Db::Open(k_.options(), &db).ok());
    ASSERT_TRUE(test_util::PutKey(*db, GroupedKey(kMetaGroup, "keyspace-format"), "4").ok());
  }
  Status s = k_.Open();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("format version 4"), std::string::npos) << s.message();
}

// A power loss right after the first start may take recent writes (appendfsync everysec or
// no), but never the format marker while keeping data: the directory must still open.
TEST_F(KeyspaceTest, TheFormatMarkerIsNeverLostWhileDataSurvives) {
  for (storage::FsyncPolicy policy : {storage::FsyncPolicy::kEverySec, storage::FsyncPolicy::kNo}) {
    SCOPED_TRACE(policy == storage::FsyncPolicy::kNo ? "appendfsync no" : "appendfsync everysec");
    TempDir dir;
    storage::Options options = DbOptions(storage::JoinPath(dir.path(), "data"));
    options.shards = 2;
    options.fsync = policy;
    options.memtable_size = 64 << 10;  // well above a memtable holding the marker alone
    KeyspaceDb k(options);
    k.Reopen();
    // Keys of the shard that does not hold the marker, until its memtable is switched and
    // flushed (a switch fsyncs the WAL it retires; a flush writes a synced table).
    const int marker_shard = k.db().ShardOf(GroupedKey(kMetaGroup, "keyspace-format"));
    const int other = 1 - marker_shard;
    std::vector<std::string> keys;
    for (int i = 0; k.db().Stats().shards[static_cast<size_t>(other)].tables == 0 && i < 10000;
         ++i) {
      const std::string key = "k" + std::to_string(i);
      if (k.db().ShardOfRoutingKey(key) != other) continue;
      k.Set(0, key, std::string(1000, 'v'));
      keys.push_back(key);
      ASSERT_TRUE(k.db().Commit().ok());
      ASSERT_TRUE(k.db().WaitForFlushes().ok());
    }
    ASSERT_GT(k.db().Stats().shards[static_cast<size_t>(other)].tables, 0u);
    ASSERT_EQ(k.db().Stats().shards[static_cast<size_t>(marker_shard)].tables, 0u);
    k.Crash(&fs_);
    Status s = k.Open();
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (s.ok()) {
      EXPECT_EQ(k.GetOr(0, keys.front()), std::string(1000, 'v'));
    }
  }
}

// --- time to live ---

TEST_F(KeyspaceTest, ExpiredKeyIsInvisibleButCountedUntilDeleted) {
  k_.Reopen();
  for (const char* key : {"a", "b", "c", "d", "e"}) k_.Set(0, key, "1", 1000);
  k_.Set(0, "keep", "x");
  EXPECT_EQ(ks().KeyCount(0), 6u);
  EXPECT_EQ(ks().ExpiresCount(0), 5u);
  EXPECT_EQ(k_.Pttl(0, "a"), 1000);
  EXPECT_EQ(ExpireTimeOf(0, "a"), static_cast<int64_t>(KeyspaceDb::kStartMs + 1000));
  EXPECT_EQ(IndexEntries(0), 5u);
  k_.AdvanceMs(999);
  EXPECT_EQ(k_.GetOr(0, "e"), "1");
  EXPECT_EQ(k_.Pttl(0, "e"), 1);
  k_.AdvanceMs(2);

  // SCAN skips what is expired and deletes nothing.
  EXPECT_EQ(k_.ScanAll(0), std::vector<std::string>{"keep"});
  EXPECT_EQ(ks().KeyCount(0), 6u);
  EXPECT_EQ(ks().ExpiresCount(0), 5u);
  // GET, EXISTS, TYPE and TTL see nothing, and delete what they find expired.
  EXPECT_EQ(k_.GetOr(0, "a"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 5u);
  EXPECT_EQ(ks().ExpiresCount(0), 4u);
  int64_t count = -1;
  ASSERT_TRUE(ks().Exists(0, {"b", "b"}, &count).ok());
  EXPECT_EQ(count, 0);
  EXPECT_EQ(ks().KeyCount(0), 4u);
  std::string_view type;
  ASSERT_TRUE(ks().Type(0, "c", &type).ok());
  EXPECT_EQ(type, "none");
  EXPECT_EQ(ks().KeyCount(0), 3u);
  EXPECT_EQ(k_.Pttl(0, "d"), -2);
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(ks().stats().expired_keys, 4u);
  // The cycle deletes the rest.
  EXPECT_EQ(k_.ExpireAllDue(), 1u);
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().stats().expired_keys, 5u);
  EXPECT_EQ(IndexEntries(0), 0u);
  EXPECT_EQ(k_.GetOr(0, "keep"), "x");
}

TEST_F(KeyspaceTest, ExpiresCountAndAverageTtl) {
  k_.Reopen();
  EXPECT_EQ(ks().AverageTtlMs(0), 0u);
  k_.Set(0, "a", "1", 10000);
  k_.Set(0, "b", "1", 20000);
  k_.Set(0, "c", "1");
  k_.Set(1, "d", "1", 60000);
  EXPECT_EQ(ks().ExpiresCount(0), 2u);
  EXPECT_EQ(ks().AverageTtlMs(0), 15000u);
  EXPECT_EQ(ks().ExpiresCount(1), 1u);
  EXPECT_EQ(ks().AverageTtlMs(1), 60000u);
  EXPECT_EQ(ks().AverageTtlMs(2), 0u);
  k_.AdvanceMs(5000);
  EXPECT_EQ(ks().AverageTtlMs(0), 10000u);
  // A changed deadline moves the mean.
  ASSERT_TRUE(Expire(0, "a", now() + 25000));
  EXPECT_EQ(ks().ExpiresCount(0), 2u);
  EXPECT_EQ(ks().AverageTtlMs(0), 20000u);
}

TEST_F(KeyspaceTest, KeepTtlKeepsTheDeadlineAndOverwriteClearsIt) {
  k_.Reopen();
  const uint64_t deadline = now() + 10000;
  k_.Set(0, "k", "v1", 10000);
  SetOptions keep;
  keep.keep_ttl = true;
  EXPECT_TRUE(SetWith(0, "k", "v2", keep).applied);
  EXPECT_EQ(k_.GetOr(0, "k"), "v2");
  EXPECT_EQ(ExpireTimeOf(0, "k"), static_cast<int64_t>(deadline));
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(IndexEntries(0), 1u);
  // A plain SET clears it: the key outlives its old deadline.
  k_.Set(0, "k", "v3");
  EXPECT_EQ(ExpireTimeOf(0, "k"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().AverageTtlMs(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
  k_.AdvanceMs(20000);
  EXPECT_EQ(k_.GetOr(0, "k"), "v3");
  EXPECT_EQ(k_.ExpireAllDue(), 0u);
  EXPECT_EQ(ks().KeyCount(0), 1u);
  // KEEPTTL without a deadline, and on an absent key: none.
  EXPECT_TRUE(SetWith(0, "k", "v4", keep).applied);
  EXPECT_EQ(ExpireTimeOf(0, "k"), -1);
  EXPECT_TRUE(SetWith(0, "fresh", "v", keep).applied);
  EXPECT_EQ(ExpireTimeOf(0, "fresh"), -1);
  // A new deadline replaces the old one, index entry included.
  k_.Set(0, "k", "v5", 1000);
  k_.Set(0, "k", "v6", 5000);
  EXPECT_EQ(k_.Pttl(0, "k"), 5000);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(IndexEntries(0), 1u);
  k_.AdvanceMs(2000);
  EXPECT_EQ(k_.ExpireAllDue(), 0u);
  EXPECT_EQ(k_.GetOr(0, "k"), "v6");
  EXPECT_EQ(ks().KeyCount(0), 2u);
}

TEST_F(KeyspaceTest, SetExpireConditions) {
  k_.Reopen();
  const ExpireCondition nx{.if_none = true};
  const ExpireCondition xx{.if_some = true};
  const ExpireCondition gt{.if_greater = true};
  const ExpireCondition lt{.if_less = true};
  const ExpireCondition xx_lt{.if_some = true, .if_less = true};
  const ExpireCondition xx_gt{.if_some = true, .if_greater = true};
  const uint64_t t = now();
  k_.Set(0, "k", "v");
  // Without a deadline (an infinite one): XX, GT, XX+GT and XX+LT do not apply.
  EXPECT_FALSE(Expire(0, "k", t + 10000, xx));
  EXPECT_FALSE(Expire(0, "k", t + 10000, gt));
  EXPECT_FALSE(Expire(0, "k", t + 10000, xx_gt));
  EXPECT_FALSE(Expire(0, "k", t + 10000, xx_lt));
  EXPECT_EQ(ExpireTimeOf(0, "k"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  // LT applies: any deadline is below none.
  EXPECT_TRUE(Expire(0, "k", t + 50000, lt));
  EXPECT_EQ(ExpireTimeOf(0, "k"), static_cast<int64_t>(t + 50000));
  // NX: only without a deadline.
  EXPECT_FALSE(Expire(0, "k", t + 1000, nx));
  // GT: only later.
  EXPECT_FALSE(Expire(0, "k", t + 40000, gt));
  EXPECT_FALSE(Expire(0, "k", t + 50000, gt));
  EXPECT_TRUE(Expire(0, "k", t + 60000, gt));
  // LT: only earlier.
  EXPECT_FALSE(Expire(0, "k", t + 70000, lt));
  EXPECT_FALSE(Expire(0, "k", t + 60000, lt));
  EXPECT_TRUE(Expire(0, "k", t + 45000, lt));
  // XX with a deadline, and combined.
  EXPECT_TRUE(Expire(0, "k", t + 30000, xx));
  EXPECT_TRUE(Expire(0, "k", t + 20000, xx_lt));
  EXPECT_FALSE(Expire(0, "k", t + 25000, xx_lt));
  EXPECT_TRUE(Expire(0, "k", t + 25000, xx_gt));
  EXPECT_TRUE(Expire(0, "k", t + 70000));
  EXPECT_EQ(ExpireTimeOf(0, "k"), static_cast<int64_t>(t + 70000));
  // NX on a key without a deadline; nothing on an absent key.
  k_.Set(0, "n", "v");
  EXPECT_TRUE(Expire(0, "n", t + 1000, nx));
  EXPECT_FALSE(Expire(0, "missing", t + 1000));
  EXPECT_FALSE(Expire(0, "missing", t + 1000, lt));
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(ks().ExpiresCount(0), 2u);
  EXPECT_EQ(IndexEntries(0), 2u);  // one per key, the replaced ones gone
  k_.AdvanceMs(1001);
  EXPECT_EQ(k_.ExpireAllDue(), 1u);
  EXPECT_EQ(k_.GetOr(0, "n"), "<missing>");
  EXPECT_EQ(k_.GetOr(0, "k"), "v");
}

TEST_F(KeyspaceTest, ADeadlineNotInTheFutureDeletes) {
  k_.Reopen();
  k_.Set(0, "a", "1", 10000);
  k_.Set(0, "b", "1");
  EXPECT_TRUE(Expire(0, "a", now()));
  EXPECT_EQ(k_.GetOr(0, "a"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  bool applied = false;
  ASSERT_TRUE(ks().SetExpire(0, "b", -5000, {}, &applied).ok());  // EXPIRE b -5
  EXPECT_TRUE(applied);
  EXPECT_EQ(k_.GetOr(0, "b"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 0u);
  // SET with a deadline already past: the old value goes and nothing new stays.
  k_.Set(0, "c", "1");
  SetOptions past;
  past.expire_ms = now() - 1;
  EXPECT_TRUE(SetWith(0, "c", "2", past).applied);
  EXPECT_EQ(k_.GetOr(0, "c"), "<missing>");
  EXPECT_TRUE(SetWith(0, "never", "2", past).applied);
  EXPECT_EQ(k_.GetOr(0, "never"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
  EXPECT_TRUE(LiveKeys(db(), GroupedKey(0, "")).empty());
}

TEST_F(KeyspaceTest, PersistRemovesTheDeadline) {
  k_.Reopen();
  k_.Set(0, "k", "v", 10000);
  bool applied = false;
  ASSERT_TRUE(ks().Persist(0, "k", &applied).ok());
  EXPECT_TRUE(applied);
  EXPECT_EQ(k_.Pttl(0, "k"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
  ASSERT_TRUE(ks().Persist(0, "k", &applied).ok());
  EXPECT_FALSE(applied);
  ASSERT_TRUE(ks().Persist(0, "missing", &applied).ok());
  EXPECT_FALSE(applied);
  k_.AdvanceMs(20000);
  EXPECT_EQ(k_.GetOr(0, "k"), "v");
  EXPECT_EQ(ks().KeyCount(0), 1u);
}

TEST_F(KeyspaceTest, GetExChangesTheDeadline) {
  k_.Reopen();
  using Action = GetExOptions::Action;
  auto getex = [&](Action action, uint64_t expire_ms = 0) {
    GetExOptions options;
    options.action = action;
    options.expire_ms = expire_ms;
    std::string value;
    Status s = ks().GetEx(0, "k", options, &value);
    if (s.IsNotFound()) return std::string("<missing>");
    EXPECT_TRUE(s.ok()) << s.ToString();
    return value;
  };
  EXPECT_EQ(getex(Action::kKeep), "<missing>");
  k_.Set(0, "k", "v");
  EXPECT_EQ(getex(Action::kKeep), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), -1);
  EXPECT_EQ(getex(Action::kSet, now() + 5000), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), 5000);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(getex(Action::kSet, now() + 8000), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), 8000);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(ks().AverageTtlMs(0), 8000u);
  EXPECT_EQ(IndexEntries(0), 1u);
  EXPECT_EQ(getex(Action::kKeep), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), 8000);
  EXPECT_EQ(getex(Action::kPersist), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), -1);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
  EXPECT_EQ(getex(Action::kPersist), "v");
  EXPECT_EQ(k_.Pttl(0, "k"), -1);
  // A deadline already past: the value is returned and the key goes.
  EXPECT_EQ(getex(Action::kSet, now()), "v");
  EXPECT_EQ(k_.GetOr(0, "k"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 0u);
}

TEST_F(KeyspaceTest, GetDelReturnsTheValueAndDeletes) {
  k_.Reopen();
  k_.Set(0, "k", "v", 10000);
  k_.Set(0, "j", "w");
  std::string value;
  ASSERT_TRUE(ks().GetDel(0, "k", &value).ok());
  EXPECT_EQ(value, "v");
  EXPECT_EQ(k_.GetOr(0, "k"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
  EXPECT_TRUE(ks().GetDel(0, "k", &value).IsNotFound());
  ASSERT_TRUE(ks().GetDel(0, "j", &value).ok());
  EXPECT_EQ(value, "w");
  EXPECT_EQ(ks().KeyCount(0), 0u);
  // An expired key is absent (and deleted by the look).
  k_.Set(0, "x", "1", 1000);
  k_.AdvanceMs(2000);
  EXPECT_TRUE(ks().GetDel(0, "x", &value).IsNotFound());
  EXPECT_EQ(ks().KeyCount(0), 0u);
}

// UpdateString: the function sees the live value (none when absent or expired), its result is
// written with the key's deadline kept, and declining writes nothing.
TEST_F(KeyspaceTest, UpdateStringKeepsTheDeadlineAndCanDecline) {
  k_.Reopen();
  auto append = [&](std::string_view key, std::string_view tail, bool* saw_old) {
    return ks().UpdateString(0, key, [&](const std::string_view* old, std::string* value) {
      *saw_old = old != nullptr;
      if (old != nullptr) value->assign(*old);
      value->append(tail);
      return true;
    });
  };
  bool saw_old = true;
  ASSERT_TRUE(append("new", "a", &saw_old).ok());
  EXPECT_FALSE(saw_old);
  EXPECT_EQ(k_.GetOr(0, "new"), "a");
  EXPECT_EQ(ks().KeyCount(0), 1u);

  k_.Set(0, "ttl", "x", 10000);
  ASSERT_TRUE(append("ttl", "y", &saw_old).ok());
  EXPECT_TRUE(saw_old);
  EXPECT_EQ(k_.GetOr(0, "ttl"), "xy");
  int64_t ms = 0;
  ASSERT_TRUE(ks().Ttl(0, "ttl", &ms).ok());
  EXPECT_EQ(ms, 10000);
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);

  // Declined: nothing is written, not even for an absent key.
  ASSERT_TRUE(
      ks().UpdateString(0, "none", [](const std::string_view*, std::string*) { return false; })
          .ok());
  EXPECT_EQ(k_.GetOr(0, "none"), "<missing>");
  EXPECT_EQ(ks().KeyCount(0), 2u);

  // An expired key reads as absent, and the write counts it once.
  k_.AdvanceMs(20000);
  ASSERT_TRUE(append("ttl", "z", &saw_old).ok());
  EXPECT_FALSE(saw_old);
  EXPECT_EQ(k_.GetOr(0, "ttl"), "z");
  ASSERT_TRUE(ks().Ttl(0, "ttl", &ms).ok());
  EXPECT_EQ(ms, -1);
  EXPECT_EQ(ks().KeyCount(0), 2u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(IndexEntries(0), 0u);
}

// SET (plain, NX, MSET) on a key that is expired but not deleted yet: the key is new, counted
// once, and no deadline is left counted.
TEST_F(KeyspaceTest, WritingOverAnExpiredKeyCountsItOnce) {
  k_.Reopen();
  k_.Set(0, "plain", "old", 1000);
  k_.Set(0, "nx", "old", 1000);
  k_.Set(0, "mset", "old", 1000);
  k_.Set(0, "ttl", "old", 1000);
  k_.AdvanceMs(2000);
  EXPECT_EQ(ks().KeyCount(0), 4u);  // expired, not deleted yet

  k_.Set(0, "plain", "new");
  SetOptions nx;
  nx.condition = SetCondition::kIfAbsent;
  EXPECT_TRUE(SetWith(0, "nx", "new", nx).applied);
  ASSERT_TRUE(ks().MultiSet(0, {{"mset", "new"}}).ok());
  k_.Set(0, "ttl", "new", 60000);
  for (const char* key : {"plain", "nx", "mset", "ttl"}) EXPECT_EQ(k_.GetOr(0, key), "new");
  EXPECT_EQ(ks().KeyCount(0), 4u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(ks().AverageTtlMs(0), 60000u);
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 4u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  // The new deadline is found by the expiry cycle when it is due.
  k_.AdvanceMs(61000);
  EXPECT_EQ(k_.ExpireAllDue(), 1u);
  EXPECT_EQ(ks().KeyCount(0), 3u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(k_.Del(0, {"plain", "nx", "mset", "ttl"}), 3);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  k_.Set(0, "fresh", "v");
  EXPECT_EQ(ks().KeyCount(0), 1u);
}

// Deadlines, key counts and the expiry index survive a restart: replayed from the WAL, read
// from the manifest and the tables after a flush, and after a compaction.
TEST_F(KeyspaceTest, DeadlinesAndCountsSurviveReopen) {
  enum class Persisted { kWalOnly, kFlushed, kCompacted };
  for (Persisted mode : {Persisted::kWalOnly, Persisted::kFlushed, Persisted::kCompacted}) {
    SCOPED_TRACE(static_cast<int>(mode));
    TempDir dir;
    KeyspaceDb k(DbOptions(storage::JoinPath(dir.path(), "data")));
    k.Reopen();
    std::map<std::string, int64_t> deadlines;  // -1: none
    for (int i = 0; i < 20; ++i) {
      const std::string key = "ttl" + std::to_string(i);
      k.Set(0, key, "v" + std::to_string(i), 10000 + 1000 * i);
      deadlines[key] = static_cast<int64_t>(k.now_ms() + 10000 + 1000 * i);
    }
    for (int i = 0; i < 10; ++i) {
      k.Set(0, "plain" + std::to_string(i), "p");
      deadlines["plain" + std::to_string(i)] = -1;
    }
    bool applied = false;
    ASSERT_TRUE(k.ks().Persist(0, "ttl0", &applied).ok());
    deadlines["ttl0"] = -1;
    ASSERT_TRUE(k.ks().SetExpire(0, "plain0", k.now_ms() + 40000, {}, &applied).ok());
    deadlines["plain0"] = static_cast<int64_t>(k.now_ms() + 40000);
    EXPECT_EQ(k.Del(0, {"ttl1"}), 1);
    deadlines.erase("ttl1");
    k.Set(1, "other", "o", 5000);
    ASSERT_TRUE(k.db().Commit().ok());
    if (mode != Persisted::kWalOnly) {
      ASSERT_TRUE(k.db().FlushMemTables().ok());
    }
    if (mode == Persisted::kCompacted) {
      k.Set(0, "ttl2", "again", 90000);  // an older version in an older table
      deadlines["ttl2"] = static_cast<int64_t>(k.now_ms() + 90000);
      ASSERT_TRUE(k.db().FlushMemTables().ok());
      ASSERT_TRUE(k.db().CompactAll().ok());
      ASSERT_TRUE(k.db().WaitForFlushes().ok());
      for (const storage::ShardStats& s : k.db().Stats().shards) EXPECT_LE(s.tables, 1u);
    }
    const uint64_t average = k.ks().AverageTtlMs(0);

    k.Reopen();
    size_t with_deadline = 0;
    for (const auto& [key, deadline] : deadlines) {
      int64_t got = 0;
      ASSERT_TRUE(k.ks().ExpireTime(0, key, &got).ok());
      EXPECT_EQ(got, deadline) << key;
      with_deadline += deadline >= 0 ? 1 : 0;
    }
    EXPECT_EQ(k.ks().KeyCount(0), deadlines.size());
    EXPECT_EQ(k.ks().ExpiresCount(0), with_deadline);
    EXPECT_EQ(k.ks().AverageTtlMs(0), average);
    EXPECT_EQ(k.ks().KeyCount(1), 1u);
    EXPECT_EQ(k.ks().ExpiresCount(1), 1u);
    EXPECT_EQ(LiveKeys(k.db(), GroupedKey(kExpiryGroupBase, "")).size(), with_deadline);

    // The index still finds every due key after the restart.
    k.AdvanceMs(100000);
    EXPECT_EQ(k.ExpireAllDue(), with_deadline + 1);
    EXPECT_EQ(k.ks().KeyCount(0), deadlines.size() - with_deadline);
    EXPECT_EQ(k.ks().ExpiresCount(0), 0u);
    EXPECT_EQ(k.ks().KeyCount(1), 0u);
    ASSERT_TRUE(k.db().Commit().ok());
    k.Reopen();
    EXPECT_EQ(k.ks().KeyCount(0), deadlines.size() - with_deadline);
    EXPECT_EQ(k.ks().ExpiresCount(0), 0u);
    EXPECT_EQ(k.ks().AverageTtlMs(0), 0u);
  }
}

TEST_F(KeyspaceTest, ExpireCycleDeletesTenThousandDueKeysAndLeavesTheRest) {
  k_.Reopen();
  for (int i = 0; i < 10000; ++i) k_.Set(0, "due" + std::to_string(i), "v", 1000 + i % 500);
  for (int i = 0; i < 50; ++i) k_.Set(1, "later" + std::to_string(i), "v", 1000000);
  for (int i = 0; i < 5; ++i) k_.Set(1, "forever" + std::to_string(i), "v");
  ASSERT_TRUE(db().Commit().ok());
  EXPECT_EQ(ks().KeyCount(0), 10000u);
  EXPECT_EQ(ks().ExpiresCount(0), 10000u);
  uint64_t expired = 1;
  ASSERT_TRUE(ks().ExpireCycle(1000000, &expired).ok());
  EXPECT_EQ(expired, 0u);  // nothing due yet
  k_.AdvanceMs(2000);
  ASSERT_TRUE(ks().ExpireCycle(0, &expired).ok());
  EXPECT_EQ(expired, 0u);  // no time to spend

  EXPECT_EQ(k_.ExpireAllDue(), 10000u);
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().AverageTtlMs(0), 0u);
  EXPECT_TRUE(LiveKeys(db(), GroupedKey(0, "")).empty());
  EXPECT_EQ(IndexEntries(0), 0u);
  EXPECT_EQ(ks().stats().expired_keys, 10000u);
  EXPECT_GE(ks().stats().expire_cycles, 3u);
  // Not due: untouched.
  EXPECT_EQ(ks().KeyCount(1), 55u);
  EXPECT_EQ(ks().ExpiresCount(1), 50u);
  EXPECT_EQ(IndexEntries(1), 50u);
  EXPECT_EQ(k_.GetOr(1, "later7"), "v");
  EXPECT_EQ(k_.GetOr(1, "forever3"), "v");
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().KeyCount(1), 55u);
  EXPECT_EQ(ks().ExpiresCount(1), 50u);
}

TEST_F(KeyspaceTest, FlushDbDropsKeysAndIndexEntriesAndResetsCounts) {
  k_.Reopen();
  for (int i = 0; i < 100; ++i) k_.Set(0, "k" + std::to_string(i), "v", i % 2 ? 10000 : 0);
  k_.Set(1, "other", "v", 10000);
  ASSERT_TRUE(ks().FlushDb(0).ok());
  EXPECT_EQ(ks().KeyCount(0), 0u);
  EXPECT_EQ(ks().ExpiresCount(0), 0u);
  EXPECT_EQ(ks().AverageTtlMs(0), 0u);
  EXPECT_TRUE(k_.ScanAll(0).empty());
  EXPECT_EQ(k_.GetOr(0, "k1"), "<missing>");
  EXPECT_TRUE(LiveKeys(db(), GroupedKey(0, "")).empty());
  EXPECT_EQ(IndexEntries(0), 0u);
  // Another database keeps its keys, deadlines and index.
  EXPECT_EQ(ks().KeyCount(1), 1u);
  EXPECT_EQ(ks().ExpiresCount(1), 1u);
  EXPECT_EQ(IndexEntries(1), 1u);
  // New keys after the flush, with deadlines of their own.
  k_.Set(0, "new", "v", 50000);
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  k_.AdvanceMs(20000);
  EXPECT_EQ(k_.ExpireAllDue(), 1u);  // db 1's key only: db 0's old index entries are gone
  EXPECT_EQ(k_.GetOr(0, "new"), "v");
  ASSERT_TRUE(db().Commit().ok());

  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(IndexEntries(0), 1u);
  EXPECT_EQ(k_.GetOr(0, "k3"), "<missing>");
  ASSERT_TRUE(db().FlushMemTables().ok());
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 1u);
  EXPECT_EQ(ks().ExpiresCount(0), 1u);
  EXPECT_EQ(k_.ScanAll(0), std::vector<std::string>{"new"});

  ASSERT_TRUE(ks().FlushAll().ok());
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  for (int d = 0; d < 2; ++d) {
    EXPECT_EQ(ks().KeyCount(d), 0u) << d;
    EXPECT_EQ(ks().ExpiresCount(d), 0u) << d;
    EXPECT_EQ(IndexEntries(d), 0u) << d;
  }
}

// What a writer of MULTI/EXEC gets: writes applied at once, one WAL record per shard.
TEST_F(KeyspaceTest, AtomicGroupIsOneRecordPerShard) {
  k_.Reopen();
  ASSERT_TRUE(db().Commit().ok());
  auto records = [&] { return test_util::SumOverShards(db(), &storage::ShardStats::wal_records); };
  const uint64_t before = records();
  std::set<int> shards;
  ks().BeginAtomic();
  ks().BeginAtomic();  // nested: one group
  for (int i = 0; i < 20; ++i) {
    const std::string key = "m" + std::to_string(i);
    k_.Set(0, key, "v", i % 2 ? 10000 : 0);
    shards.insert(db().ShardOfRoutingKey(key));
  }
  EXPECT_EQ(k_.Del(0, {"m0"}), 1);
  ASSERT_TRUE(ks().EndAtomic().ok());
  EXPECT_EQ(k_.GetOr(0, "m3"), "v");  // visible before the group ends
  EXPECT_EQ(ks().KeyCount(0), 19u);
  EXPECT_EQ(records(), before);
  ASSERT_TRUE(ks().EndAtomic().ok());
  ASSERT_GT(shards.size(), 1u);
  EXPECT_EQ(records() - before, shards.size());
  ASSERT_TRUE(db().Commit().ok());
  k_.Reopen();
  EXPECT_EQ(ks().KeyCount(0), 19u);
  EXPECT_EQ(ks().ExpiresCount(0), 10u);
}

class RecordingObserver final : public KeyspaceObserver {
 public:
  void KeyModified(int db, std::string_view key) override {
    events.push_back("modified " + std::to_string(db) + " " + std::string(key));
  }
  void KeyExpired(int db, std::string_view key) override {
    events.push_back("expired " + std::to_string(db) + " " + std::string(key));
  }
  void DatabaseFlushed(int db) override { events.push_back("flushed " + std::to_string(db)); }
  std::vector<std::string> events;
};

TEST_F(KeyspaceTest, ObserverSeesWritesExpiriesAndFlushes) {
  k_.Reopen();
  RecordingObserver observer;
  ks().set_observer(&observer);
  k_.Set(0, "a", "1", 1000);
  k_.Set(0, "b", "1", 1000);
  SetOptions nx;
  nx.condition = SetCondition::kIfAbsent;
  EXPECT_FALSE(SetWith(0, "a", "2", nx).applied);  // not applied: not modified
  k_.Set(1, "c", "1");
  EXPECT_EQ(k_.Del(1, {"c", "missing"}), 1);
  k_.AdvanceMs(2000);
  EXPECT_EQ(k_.GetOr(0, "a"), "<missing>");
  EXPECT_EQ(k_.ExpireAllDue(), 1u);
  ASSERT_TRUE(ks().FlushDb(2).ok());
  ASSERT_TRUE(ks().FlushAll().ok());
  EXPECT_EQ(observer.events, (std::vector<std::string>{
                                 "modified 0 a", "modified 0 b", "modified 1 c", "modified 1 c",
                                 "expired 0 a", "expired 0 b", "flushed 2", "flushed -1"}));
  ks().set_observer(nullptr);
}

// Exact counts with NX, MSET, DEL of repeated keys, EXISTS and FLUSHDB while memtables are
// flushed to tables all the time, across restarts.
TEST_F(KeyspaceTest, KeyCountsExactWithFlushesAndRestarts) {
  k_.options().shards = 2;
  k_.options().memtable_size = 8 << 10;  // a flush every few dozen writes
  k_.options().table.block_size = 1024;
  k_.Reopen();
  std::mt19937 rng(1234);
  std::map<std::pair<int, std::string>, std::string> model;
  auto check = [&] {
    for (int db = 0; db < 3; ++db) {
      uint64_t expected = 0;
      for (const auto& [k, v] : model) expected += k.first == db ? 1 : 0;
      EXPECT_EQ(ks().KeyCount(db), expected) << db;
      EXPECT_EQ(k_.ScanAll(db, "", 53).size(), expected) << db;
    }
    for (const auto& [k, v] : model) ASSERT_EQ(k_.GetOr(k.first, k.second), v) << k.second;
  };
  const std::string filler(60, 'x');
  for (int i = 0; i < 4000; ++i) {
    const int db = static_cast<int>(rng() % 3);
    const std::string key = "key" + std::to_string(rng() % 300);
    const int op = static_cast<int>(rng() % 20);
    if (op < 3) {
      EXPECT_EQ(k_.Del(db, {key, key}), model.erase({db, key}) ? 1 : 0) << key;
    } else if (op == 3) {
      int64_t count = 0;
      ASSERT_TRUE(ks().Exists(db, {key}, &count).ok());
      EXPECT_EQ(count, model.count({db, key}) ? 1 : 0) << key;
    } else if (op == 4) {
      SetOptions nx;
      nx.condition = SetCondition::kIfAbsent;
      nx.get = true;
      const SetResult r = SetWith(db, key, "nx" + std::to_string(i), nx);
      EXPECT_EQ(r.applied, model.count({db, key}) == 0);
      EXPECT_EQ(r.had_old, !r.applied);
      if (r.had_old) {
        EXPECT_EQ(r.old_value, (model[{db, key}]));
      }
      if (r.applied) model[{db, key}] = "nx" + std::to_string(i);
    } else if (op == 5) {
      const std::string other = "key" + std::to_string(rng() % 300);
      ASSERT_TRUE(ks().MultiSet(db, {{key, "m1"}, {other, "m2"}, {key, "m3"}}).ok());
      model[{db, key}] = "m3";
      if (other != key) model[{db, other}] = "m2";
    } else if (op == 6 && rng() % 40 == 0) {
      ASSERT_TRUE(ks().FlushDb(db).ok());
      std::erase_if(model, [db](const auto& e) { return e.first.first == db; });
    } else {
      const std::string value = "value-" + std::to_string(i) + filler;
      k_.Set(db, key, value);
      model[{db, key}] = value;
    }
    if (i % 5 == 0) {
      ASSERT_TRUE(k_.db().Commit().ok());
    }
    if (i % 1000 == 999) check();
  }
  ASSERT_TRUE(db().Commit().ok());
  EXPECT_GT(test_util::SumOverShards(db(), &storage::ShardStats::flushes), 10u);
  check();
  k_.Reopen();
  check();
  ASSERT_TRUE(db().FlushMemTables().ok());
  check();
  k_.Reopen();
  check();
}

// Counts agree with the keys after a power loss at any commit: each write and its count
// change are one WAL record.
TEST_F(KeyspaceTest, CountsAgreeWithTheKeysAfterPowerLoss) {
  k_.Reopen();
  std::mt19937 rng(7);
  std::map<std::string, bool> acknowledged;  // key -> has a deadline
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    for (int i = 0; i < 205; ++i) {  // the last five are not committed
      const std::string key = "k" + std::to_string(rng() % 150);
      if (rng() % 4 == 0) {
        k_.Del(0, {key});
      } else {
        k_.Set(0, key, "v", rng() % 2 ? 0 : 1000000);
      }
      if (i % 10 == 9) {
        ASSERT_TRUE(db().Commit().ok());
      }
    }
    k_.Crash(&fs_);
    k_.Reopen();
    const std::vector<std::string> keys = k_.ScanAll(0, "", 50);
    EXPECT_EQ(ks().KeyCount(0), keys.size());
    size_t with_deadline = 0;
    for (const std::string& key : keys) with_deadline += k_.Pttl(0, key) >= 0 ? 1 : 0;
    EXPECT_EQ(ks().ExpiresCount(0), with_deadline);
    EXPECT_EQ(IndexEntries(0), with_deadline);
  }
}

// A damaged table makes every operation that needs it fail, and a write that needs it applies
// nothing.
TEST_F(KeyspaceTest, ACorruptTableFailsTheOperationsThatNeedIt) {
  k_.options().shards = 1;
  k_.options().table.block_size = 256;  // the format marker in a block of its own
  k_.Reopen();
  for (int i = 0; i < 20; ++i) k_.Set(0, "k" + std::to_string(i), std::string(60, 'v'));
  ASSERT_TRUE(db().FlushMemTables().ok());
  k_.Close();
  const std::filesystem::path shard_dir = std::filesystem::path(k_.options().dir) / "shard-000";
  std::string table;
  for (const auto& entry : std::filesystem::directory_iterator(shard_dir)) {
    if (entry.path().extension() == ".sst") table = entry.path().string();
  }
  ASSERT_FALSE(table.empty());
  std::string contents;
  ASSERT_TRUE(storage::ReadFileToString(&fs_, table, &contents).ok());
  contents[3] ^= 0x20;  // inside the first data block, which holds the smallest keys
  ASSERT_TRUE(storage::WriteFileAtomically(&fs_, table, contents).ok());
  k_.Reopen();
  std::string value;
  Status s = ks().Get(0, "k0", &value);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(table), std::string::npos) << s.message();
  int64_t count = 0;
  EXPECT_TRUE(ks().Exists(0, {"k0"}, &count).IsCorruption());
  std::vector<std::string> keys;
  bool done = false;
  EXPECT_TRUE(ks().Scan(0, "", "", 100, &keys, &done).IsCorruption());
  SetOptions nx;
  nx.condition = SetCondition::kIfAbsent;
  SetResult result;
  result.applied = true;
  EXPECT_TRUE(ks().Set(0, "k0", "v", nx, &result).IsCorruption());
  EXPECT_FALSE(result.applied);
  int64_t removed = 0;
  EXPECT_TRUE(ks().Delete(0, {"k0"}, &removed).IsCorruption());
  EXPECT_TRUE(ks().MultiSet(0, {{"new", "1"}, {"k0", "2"}}).IsCorruption());
  EXPECT_EQ(k_.GetOr(0, "new"), "<missing>");  // nothing of the batch was applied
  EXPECT_EQ(ks().KeyCount(0), 20u);
}

}  // namespace
}  // namespace shale::keyspace
