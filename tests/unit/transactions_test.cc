// server/transactions.h: the watch registry (which touches make a watcher dirty, stale keys,
// flushes) and the per-client transaction state (copied arguments, write keys, discard).
#include "server/transactions.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "server/command_table.h"

namespace shale::server {
namespace {

// A data model as small as the registry needs: the state of each key, absent by default.
class FakeKeys {
 public:
  void Set(int db, const std::string& key, WatchedKeyState state) { states_[{db, key}] = state; }
  WatchedKeyState Get(int db, std::string_view key) const {
    auto it = states_.find({db, std::string(key)});
    return it == states_.end() ? WatchedKeyState::kAbsent : it->second;
  }
  KeyStateFunction Function() {
    return [this](int db, std::string_view key) { return Get(db, key); };
  }

 private:
  std::map<std::pair<int, std::string>, WatchedKeyState> states_;
};

class WatchRegistryTest : public ::testing::Test {
 protected:
  FakeKeys keys_;
  WatchRegistry registry_{keys_.Function()};
  Watcher a_, b_;
};

TEST_F(WatchRegistryTest, TouchOfAWatchedKeyMakesItsWatchersDirty) {
  EXPECT_TRUE(registry_.empty());
  registry_.Touch(0, "x");  // nothing watched: nothing happens
  registry_.Watch(a_, 0, "x");
  registry_.Watch(b_, 0, "x");
  registry_.Watch(b_, 0, "y");
  EXPECT_FALSE(registry_.empty());
  EXPECT_EQ(b_.watched_count(), 2u);

  registry_.Touch(0, "y");
  EXPECT_FALSE(a_.dirty());
  EXPECT_TRUE(b_.dirty());
  EXPECT_EQ(b_.watched_count(), 0u) << "a dirty watcher needs no more watching";

  registry_.Touch(0, "x");
  EXPECT_TRUE(a_.dirty());
  EXPECT_TRUE(registry_.empty());
}

TEST_F(WatchRegistryTest, KeysArePerDatabase) {
  registry_.Watch(a_, 3, "x");
  registry_.Touch(0, "x");
  registry_.Touch(3, "other");
  EXPECT_FALSE(a_.dirty());
  registry_.Touch(3, "x");
  EXPECT_TRUE(a_.dirty());
}

TEST_F(WatchRegistryTest, WatchingTwiceWatchesOnce) {
  registry_.Watch(a_, 0, "x");
  registry_.Watch(a_, 0, "x");
  EXPECT_EQ(a_.watched_count(), 1u);
  registry_.Watch(a_, 1, "x");
  EXPECT_EQ(a_.watched_count(), 2u);
}

TEST_F(WatchRegistryTest, UnwatchAllForgetsEveryKeyAndKeepsTheFlag) {
  registry_.Watch(a_, 0, "x");
  registry_.Watch(a_, 1, "y");
  registry_.Watch(b_, 0, "x");
  registry_.UnwatchAll(a_);
  EXPECT_EQ(a_.watched_count(), 0u);
  registry_.Touch(0, "x");
  registry_.Touch(1, "y");
  EXPECT_FALSE(a_.dirty());
  EXPECT_TRUE(b_.dirty());
  EXPECT_TRUE(registry_.empty());

  // The flag of a dirty watcher survives UnwatchAll; clearing it is the caller's business.
  registry_.UnwatchAll(b_);
  EXPECT_TRUE(b_.dirty());
  b_.ClearDirty();
  EXPECT_FALSE(b_.dirty());
}

TEST_F(WatchRegistryTest, DeletingAKeyThatWasExpiredWhenWatchedIsNoChange) {
  keys_.Set(0, "x", WatchedKeyState::kExpired);
  registry_.Watch(a_, 0, "x");
  registry_.Touch(0, "x");  // touched, still expired
  EXPECT_FALSE(a_.dirty());
  keys_.Set(0, "x", WatchedKeyState::kAbsent);
  registry_.Touch(0, "x");  // the expired key is deleted
  EXPECT_FALSE(a_.dirty());
  EXPECT_FALSE(registry_.WatchedKeyExpired(a_));
  // From now on the key is an absent one like any other: writing it is a change.
  keys_.Set(0, "x", WatchedKeyState::kLive);
  registry_.Touch(0, "x");
  EXPECT_TRUE(a_.dirty());
}

TEST_F(WatchRegistryTest, WritingAKeyThatWasExpiredWhenWatchedIsAChange) {
  keys_.Set(0, "x", WatchedKeyState::kExpired);
  registry_.Watch(a_, 0, "x");
  keys_.Set(0, "x", WatchedKeyState::kLive);
  registry_.Touch(0, "x");
  EXPECT_TRUE(a_.dirty());
}

TEST_F(WatchRegistryTest, AKeyWatchedLiveThatExpiresIsExpired) {
  keys_.Set(0, "live", WatchedKeyState::kLive);
  keys_.Set(0, "stale", WatchedKeyState::kExpired);
  registry_.Watch(a_, 0, "stale");
  EXPECT_FALSE(registry_.WatchedKeyExpired(a_)) << "expired already when watched";
  registry_.Watch(a_, 0, "live");
  EXPECT_FALSE(registry_.WatchedKeyExpired(a_));
  keys_.Set(0, "live", WatchedKeyState::kExpired);
  EXPECT_TRUE(registry_.WatchedKeyExpired(a_));
  EXPECT_FALSE(a_.dirty()) << "asking is not touching";
}

TEST_F(WatchRegistryTest, FlushTouchesOnlyWatchedKeysThatExist) {
  keys_.Set(0, "present", WatchedKeyState::kLive);
  keys_.Set(0, "stale", WatchedKeyState::kExpired);
  keys_.Set(1, "present", WatchedKeyState::kLive);
  Watcher c, d;
  registry_.Watch(a_, 0, "missing");
  registry_.Watch(b_, 0, "present");
  registry_.Watch(c, 0, "stale");
  registry_.Watch(d, 1, "present");

  registry_.TouchDb(0);
  EXPECT_FALSE(a_.dirty()) << "a missing key is not changed by a flush";
  EXPECT_TRUE(b_.dirty());
  EXPECT_FALSE(c.dirty()) << "an expired key removed by a flush is no change";
  EXPECT_FALSE(d.dirty()) << "another database";

  // The stale key was removed by the flush: writing it again is a change.
  keys_.Set(0, "stale", WatchedKeyState::kLive);
  registry_.Touch(0, "stale");
  EXPECT_TRUE(c.dirty());

  registry_.TouchAll();
  EXPECT_TRUE(d.dirty());
  EXPECT_FALSE(a_.dirty());
  registry_.UnwatchAll(a_);
  EXPECT_TRUE(registry_.empty());
}

TEST_F(WatchRegistryTest, FlushOfSeveralKeysOfOneWatcher) {
  keys_.Set(0, "a", WatchedKeyState::kLive);
  keys_.Set(0, "b", WatchedKeyState::kLive);
  registry_.Watch(a_, 0, "b");
  registry_.Watch(a_, 0, "a");
  registry_.TouchAll();
  EXPECT_TRUE(a_.dirty());
  EXPECT_TRUE(registry_.empty());
}

// Redis 7.0.15's SWAPDB rules (unit/multi's SWAPDB tests): keys as they are before the swap.
TEST_F(WatchRegistryTest, SwapTouchesKeysThatExistInEitherDatabase) {
  keys_.Set(0, "here", WatchedKeyState::kLive);
  keys_.Set(1, "there", WatchedKeyState::kLive);
  Watcher c, d, e;
  registry_.Watch(a_, 0, "here");    // exists and goes away: a change
  registry_.Watch(b_, 0, "there");   // absent, and the other database has it: a change
  registry_.Watch(c, 0, "nowhere");  // in neither: no change
  registry_.Watch(d, 1, "here");     // watched in the other database, which receives it
  registry_.Watch(e, 2, "here");     // another database
  registry_.TouchSwap(0, 1);
  EXPECT_TRUE(a_.dirty());
  EXPECT_TRUE(b_.dirty());
  EXPECT_FALSE(c.dirty());
  EXPECT_TRUE(d.dirty());
  EXPECT_FALSE(e.dirty());
}

TEST_F(WatchRegistryTest, SwapOfExpiredKeysIsNoChange) {
  // An expired key replaced by no key (it is gone now).
  keys_.Set(1, "x", WatchedKeyState::kExpired);
  registry_.Watch(a_, 1, "x");
  registry_.TouchSwap(0, 1);
  EXPECT_FALSE(a_.dirty());
  // No key replaced by an expired one.
  keys_.Set(0, "y", WatchedKeyState::kExpired);
  registry_.Watch(b_, 1, "y");
  registry_.TouchSwap(0, 1);
  EXPECT_FALSE(b_.dirty());
  EXPECT_FALSE(registry_.WatchedKeyExpired(b_)) << "it counts as expired when watched now";
  // An expired key replaced by another expired one.
  Watcher c;
  keys_.Set(2, "z", WatchedKeyState::kExpired);
  keys_.Set(3, "z", WatchedKeyState::kExpired);
  registry_.Watch(c, 2, "z");
  registry_.TouchSwap(2, 3);
  EXPECT_FALSE(c.dirty());
  // An expired key replaced by a live one is a change.
  Watcher d;
  keys_.Set(4, "w", WatchedKeyState::kExpired);
  keys_.Set(5, "w", WatchedKeyState::kLive);
  registry_.Watch(d, 4, "w");
  registry_.TouchSwap(4, 5);
  EXPECT_TRUE(d.dirty());
}

const CommandSpec kSet = {"set", -3, kCmdWrite, 1, 1, 1, nullptr, "string", "", "", ""};
const CommandSpec kMSet = {"mset", -3, kCmdWrite, 1, -1, 2, nullptr, "string", "", "", ""};
const CommandSpec kGet = {"get", 2, kCmdReadOnly, 1, 1, 1, nullptr, "string", "", "", ""};
const CommandSpec kFlushDb = {"flushdb", -1, kCmdWrite, 0, 0, 0, nullptr, "server", "", "", ""};

TEST(TransactionTest, QueuedArgumentsAreCopies) {
  Transaction transaction;
  transaction.Begin();
  std::string buffer = "setkeyvalue";
  std::string_view view(buffer);
  transaction.Queue(kSet, {view.substr(0, 3), view.substr(3, 3), view.substr(6)});
  buffer.assign(buffer.size(), '#');  // the input buffer is reused
  ASSERT_EQ(transaction.commands().size(), 1u);
  EXPECT_EQ(transaction.commands()[0].Args(),
            (std::vector<std::string_view>{"set", "key", "value"}));
  EXPECT_EQ(&transaction.commands()[0].spec(), &kSet);
}

TEST(TransactionTest, WriteKeysAreThoseOfTheQueuedWrites) {
  Transaction transaction;
  transaction.Begin();
  transaction.Queue(kGet, {"get", "read"});
  EXPECT_FALSE(transaction.has_writes());
  transaction.Queue(kSet, {"set", "a", "1"});
  transaction.Queue(kMSet, {"mset", "b", "2", "c", "3"});
  EXPECT_TRUE(transaction.has_writes());
  EXPECT_EQ(transaction.WriteKeys(), (std::vector<std::string_view>{"a", "b", "c"}));
  // A write without keys may touch every shard: no keys means all of them.
  transaction.Queue(kFlushDb, {"flushdb"});
  EXPECT_TRUE(transaction.WriteKeys().empty());
}

TEST(TransactionTest, ADoomedTransactionStoresNothing) {
  Transaction transaction;
  transaction.Flag();
  EXPECT_FALSE(transaction.flagged()) << "outside MULTI nothing is flagged";
  transaction.Begin();
  transaction.Queue(kSet, {"set", "a", "1"});
  transaction.Flag();
  EXPECT_TRUE(transaction.doomed());
  transaction.Queue(kSet, {"set", "b", "2"});
  EXPECT_EQ(transaction.commands().size(), 1u);
}

TEST(TransactionTest, DiscardEndsItAndUnwatches) {
  FakeKeys keys;
  WatchRegistry registry(keys.Function());
  Transaction transaction;
  registry.Watch(transaction.watcher(), 0, "x");
  registry.Watch(transaction.watcher(), 0, "y");
  registry.Touch(0, "x");
  transaction.Begin();
  EXPECT_TRUE(transaction.doomed());
  transaction.Discard(registry);
  EXPECT_FALSE(transaction.in_multi());
  EXPECT_FALSE(transaction.doomed());
  EXPECT_TRUE(transaction.commands().empty());
  EXPECT_EQ(transaction.watcher().watched_count(), 0u);
  EXPECT_TRUE(registry.empty());
}

TEST(TransactionTest, ExecAbortErrorNamesTheReason) {
  EXPECT_EQ(ExecAbortError("MISCONF Errors writing to the WAL: disk full"),
            "EXECABORT Transaction discarded because of: MISCONF Errors writing to the WAL: disk "
            "full");
  EXPECT_EQ(ExecAbortError("ERR wrong number of arguments for 'exec' command"),
            "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command");
}

}  // namespace
}  // namespace shale::server
