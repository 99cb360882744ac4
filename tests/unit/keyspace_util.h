// A Db opened for the keyspace layer (Keyspace::ConfigureEngine) with a Keyspace over it, for
// tests of Redis semantics (server/keyspace/keyspace.h). Time is the test's: the keyspace clock
// starts at kStartMs and moves only when the test moves it, across reopens too.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/keyspace/keyspace.h"
#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/status.h"

namespace shale::test_util {

class KeyspaceDb {
 public:
  // 2023-11-14 22:13:20 UTC: a whole second, so deadlines in seconds (avg_ttl) stay exact.
  static constexpr uint64_t kStartMs = 1'700'000'000'000;

  // `options` as the test wants them (dir, shards, fs, ...); the router is set at each open.
  explicit KeyspaceDb(storage::Options options, int databases = 16)
      : options_(std::move(options)), databases_(databases) {}
  ~KeyspaceDb() { Close(); }
  KeyspaceDb(const KeyspaceDb&) = delete;
  KeyspaceDb& operator=(const KeyspaceDb&) = delete;

  storage::Options& options() { return options_; }
  void set_databases(int databases) { databases_ = databases; }

  // Closes what is open, then opens the Db and the Keyspace on it. On failure nothing stays
  // open.
  storage::Status Open() {
    Close();
    storage::Options options = options_;
    keyspace::Keyspace::ConfigureEngine(&options);
    storage::Status s = storage::Db::Open(options, &db_);
    if (!s.ok()) return s;
    s = keyspace::Keyspace::Open(db_.get(), databases_, &ks_);
    if (!s.ok()) {
      db_.reset();
      return s;
    }
    ks_->set_clock([this] { return now_ms_; });
    return s;
  }
  // Open(), failing the test on error.
  void Reopen() {
    storage::Status s = Open();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  // A clean close: the keyspace first, then the Db (which syncs every WAL).
  void Close() {
    ks_.reset();
    db_.reset();
  }
  // Power loss: nothing more reaches the disk, the process goes away, unsynced data is lost.
  void Crash(storage::FaultInjectionFileSystem* fs) {
    fs->SimulateCrashAfter(0);
    Close();
    ASSERT_TRUE(fs->DropUnsyncedData().ok());
  }

  bool is_open() const { return ks_ != nullptr; }
  storage::Db& db() { return *db_; }
  keyspace::Keyspace& ks() { return *ks_; }

  uint64_t now_ms() const { return now_ms_; }
  void AdvanceMs(uint64_t ms) { now_ms_ += ms; }

  // --- conveniences that fail the test on any error ---

  // SET key value [PX ttl_ms] (ttl_ms 0: no deadline).
  void Set(int db, std::string_view key, std::string_view value, uint64_t ttl_ms = 0) {
    keyspace::SetOptions options;
    options.expire_ms = ttl_ms == 0 ? 0 : now_ms_ + ttl_ms;
    keyspace::SetResult result;
    storage::Status s = ks_->Set(db, key, value, options, &result);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_TRUE(result.applied);
  }

  // The value of a live key, "<missing>" when absent or expired.
  std::string GetOr(int db, std::string_view key) {
    std::string value;
    storage::Status s = ks_->Get(db, key, &value);
    if (s.IsNotFound()) return "<missing>";
    EXPECT_TRUE(s.ok()) << s.ToString();
    return s.ok() ? value : "<error>";
  }

  int64_t Del(int db, const std::vector<std::string_view>& keys) {
    int64_t removed = -1;
    storage::Status s = ks_->Delete(db, keys, &removed);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return removed;
  }

  // The remaining time to live in ms, -1 without a deadline, -2 when absent (PTTL).
  int64_t Pttl(int db, std::string_view key) {
    int64_t ms = 0;
    storage::Status s = ks_->Ttl(db, key, &ms);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return ms;
  }

  // Every key of `db` starting with `prefix`, through Scan calls of `limit` keys each.
  std::vector<std::string> ScanAll(int db, std::string_view prefix = {}, size_t limit = 10) {
    std::vector<std::string> keys;
    std::string after;
    bool done = false;
    for (int guard = 0; !done && guard < 100000; ++guard) {
      std::vector<std::string> batch;
      storage::Status s = ks_->Scan(db, after, prefix, limit, &batch, &done);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok()) break;
      EXPECT_LE(batch.size(), limit);
      if (!batch.empty()) after = batch.back();
      keys.insert(keys.end(), batch.begin(), batch.end());
    }
    EXPECT_TRUE(done);
    return keys;
  }

  // Runs the active expiry cycle until it finds nothing more due; the keys it deleted.
  uint64_t ExpireAllDue() {
    uint64_t total = 0;
    for (int guard = 0; guard < 1000000; ++guard) {
      uint64_t expired = 0;
      storage::Status s = ks_->ExpireCycle(/*budget_us=*/1'000'000, &expired);
      EXPECT_TRUE(s.ok()) << s.ToString();
      if (!s.ok() || expired == 0) break;
      total += expired;
    }
    return total;
  }

 private:
  storage::Options options_;
  int databases_;
  std::unique_ptr<storage::Db> db_;
  std::unique_ptr<keyspace::Keyspace> ks_;
  uint64_t now_ms_ = kStartMs;
};

}  // namespace shale::test_util
