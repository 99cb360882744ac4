// Transactions (Redis's multi.c): the per-client MULTI state, and the registry of WATCHed keys.
//
// A client in MULTI queues copies of its commands (Transaction); EXEC runs them in order as one
// step (Server::RunTransaction), DISCARD drops them. An error found while queueing dooms the
// transaction (EXEC answers -EXECABORT); a command that fails while EXEC runs answers its error
// in its place and the others still run.
//
// WATCH is optimistic locking: EXEC answers a null array when a watched key was modified,
// deleted or expired since it was watched, or was emptied by FLUSHDB/FLUSHALL. The data model
// reports what changed through the WatchRegistry (Touch, TouchDb, TouchAll) and answers what the
// registry asks of a key through a KeyStateFunction; the registry knows nothing else of it.
//
// Threading: everything here runs on the event-loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace shale::server {

struct CommandSpec;

// What the data model knows of one key, as WATCH needs it.
enum class WatchedKeyState {
  kAbsent,   // no such key
  kLive,     // present and not expired
  kExpired,  // present but past its deadline: logically absent, not yet deleted
};

// Answers the state of `key` in database `db` now. A key that cannot be read counts as kLive,
// which can only make an EXEC fail, never let one through that should not run.
using KeyStateFunction = std::function<WatchedKeyState(int db, std::string_view key)>;

// The keys one client watches, and whether one of them changed (Redis's CLIENT_DIRTY_CAS).
// Registered with a WatchRegistry, which keeps pointers to it: a Watcher must be unwatched
// (WatchRegistry::UnwatchAll) before it is destroyed or moved.
class Watcher {
 public:
  Watcher() = default;
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // A watched key changed: EXEC must answer a null array.
  bool dirty() const { return dirty_; }
  void ClearDirty() { dirty_ = false; }
  size_t watched_count() const { return keys_.size(); }

 private:
  friend class WatchRegistry;
  struct WatchedKey {
    int db;
    std::string key;
    // The key was already expired (logically absent) when it was watched: its deletion is no
    // change (Redis 7.0's watchedKey.expired).
    bool stale;
  };
  std::vector<WatchedKey> keys_;  // only grows until UnwatchAll, so indices stay valid
  bool dirty_ = false;
};

// Which clients watch which keys: a hash map from (db, key) to the watchers of that key, so a
// touch costs one lookup, and nothing at all while no key is watched.
//
// The data model's side is Touch, TouchDb and TouchAll. It calls them for every change a
// client could observe:
// - Touch(db, key) after a key was written, deleted, or expired (also when an expired key is
//   deleted on access), as Redis's signalModifiedKey. The registry may ask the key's state
//   right away, so it must already be the new one.
// - TouchDb(db) / TouchAll() just before FLUSHDB / FLUSHALL empty the database(s). Only
//   watched keys that exist at that moment (kLive or kExpired) are touched (the registry asks
//   their state), so it must be called while the keys are still there.
// The registry asks a key's state when it is watched, touched (if it was expired when
// watched), flushed, and at EXEC; the data model installs its KeyStateFunction with
// set_key_state, and only it can answer kExpired.
// Rules for keys that were already expired when watched (Redis 7.0.15): their deletion or
// expiry, and a flush that removes them, change nothing; writing a live value does. A key
// that was live when watched and has expired by EXEC fails the EXEC even if nothing touched
// it (WatchedKeyExpired, asked by EXEC).
class WatchRegistry {
 public:
  explicit WatchRegistry(KeyStateFunction key_state);
  WatchRegistry(const WatchRegistry&) = delete;
  WatchRegistry& operator=(const WatchRegistry&) = delete;

  // Replaces the function that answers a key's state.
  void set_key_state(KeyStateFunction key_state) { key_state_ = std::move(key_state); }

  // No key is watched by anyone.
  bool empty() const { return dbs_.empty(); }

  // WATCH: `watcher` watches `key` of database `db` (once, however often it is asked).
  void Watch(Watcher& watcher, int db, std::string_view key);
  // Forgets every key of `watcher`; its dirty flag stays as it is.
  void UnwatchAll(Watcher& watcher);
  // Whether a key that `watcher` watched while it was live has expired since (checked at EXEC).
  bool WatchedKeyExpired(const Watcher& watcher) const;

  // The data model's interface (see above).
  void Touch(int db, std::string_view key);
  void TouchDb(int db);
  void TouchAll();
  // SWAPDB a b, called before the swap: each watched key of either database is touched when it
  // exists in that database or in the other one (Redis 7.0.15's touchAllWatchedKeysInDb, both
  // ways): an expired key that leaves or stays expired, and an absent key replaced by an expired
  // one, change nothing.
  void TouchSwap(int a, int b);

 private:
  struct Entry {
    Watcher* watcher;
    size_t index;  // into watcher->keys_
  };
  // Heterogeneous lookup: a touch looks a std::string_view up without building a string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  using KeyMap = std::unordered_map<std::string, std::vector<Entry>, KeyHash, std::equal_to<>>;

  // Adds to `dirtied` the watchers of `keys` (database `db`) that a flush of it changes.
  void CollectFlushed(int db, KeyMap& keys, std::vector<Watcher*>* dirtied);
  // Adds to `dirtied` the watchers of `keys` (database `db`) that a swap with `other` changes.
  void CollectSwapped(int db, int other, KeyMap& keys, std::vector<Watcher*>* dirtied);
  // Marks each watcher dirty and unwatches it: it cannot become any dirtier, and its keys need
  // not be looked at again (Redis does the same).
  void MarkDirty(const std::vector<Watcher*>& watchers);

  KeyStateFunction key_state_;
  std::unordered_map<int, KeyMap> dbs_;  // only databases with watched keys
};

// Tells the registry every change the keyspace layer makes (keyspace.h's observer).
class WatchingObserver final : public keyspace::KeyspaceObserver {
 public:
  // `dirty` counts the changes (Redis's server.dirty): one per key a command modified, one per
  // FLUSHDB/FLUSHALL; expiry is no change a command made, as in Redis.
  WatchingObserver(WatchRegistry* registry, uint64_t* dirty) : registry_(registry), dirty_(dirty) {}
  // Also told of every key a command wrote (blocked list pops wait for them).
  void set_on_modified(std::function<void(int, std::string_view)> on_modified) {
    on_modified_ = std::move(on_modified);
  }
  void KeyModified(int db, std::string_view key) override {
    ++*dirty_;
    registry_->Touch(db, key);
    if (on_modified_) on_modified_(db, key);
  }
  // Also told of every key that expired (the "expired" keyspace event).
  void set_on_expired(std::function<void(int, std::string_view)> on_expired) {
    on_expired_ = std::move(on_expired);
  }
  void KeyExpired(int db, std::string_view key) override {
    registry_->Touch(db, key);
    if (on_expired_) on_expired_(db, key);
  }
  void DatabaseFlushed(int db) override {
    ++*dirty_;
    if (db < 0) {
      registry_->TouchAll();
    } else {
      registry_->TouchDb(db);
    }
  }
  void DatabasesSwapped(int a, int b) override { registry_->TouchSwap(a, b); }

 private:
  WatchRegistry* const registry_;
  std::function<void(int, std::string_view)> on_modified_;
  std::function<void(int, std::string_view)> on_expired_;
  uint64_t* const dirty_;
};

// One queued command: its spec and a copy of its arguments (the connection's arguments point
// into its input buffer, which is reused once the command is parsed).
class QueuedCommand {
 public:
  QueuedCommand(const CommandSpec& spec, const std::vector<std::string_view>& args);
  const CommandSpec& spec() const { return *spec_; }
  // Views into this object's copy; valid while it lives.
  std::vector<std::string_view> Args() const;
  size_t bytes() const { return data_.size(); }

 private:
  const CommandSpec* spec_;
  std::string data_;          // the arguments back to back
  std::vector<size_t> ends_;  // end offset of each argument in data_
};

// One client's transaction state (Redis's CLIENT_MULTI, CLIENT_DIRTY_EXEC, mstate and
// watched_keys).
class Transaction {
 public:
  bool in_multi() const { return in_multi_; }
  // MULTI.
  void Begin() { in_multi_ = true; }
  // An error while queueing (Redis's flagTransaction): EXEC will answer -EXECABORT. Nothing
  // outside MULTI.
  void Flag() {
    if (in_multi_) flagged_ = true;
  }
  bool flagged() const { return flagged_; }
  // EXEC can no longer run the commands: flagged, or a watched key changed.
  bool doomed() const { return flagged_ || watcher_.dirty(); }

  // Queues a copy of the command. A doomed transaction stores nothing (its commands will never
  // run), as Redis does; the client is answered +QUEUED all the same.
  void Queue(const CommandSpec& spec, const std::vector<std::string_view>& args);
  const std::vector<QueuedCommand>& commands() const { return commands_; }
  // Whether a queued command is a write, and the keys the queued writes name (empty: some write
  // names no key, e.g. FLUSHDB, so it may touch every shard). For EXEC's write admission.
  bool has_writes() const { return has_writes_; }
  // Whether a queued command may use more memory (kCmdDenyOom): EXEC is refused under maxmemory.
  bool has_denyoom() const { return has_denyoom_; }
  // Whether a queued command may not run on a replica whose link is down (no kCmdStale).
  bool has_non_stale() const { return has_non_stale_; }
  std::vector<std::string_view> WriteKeys() const;

  Watcher& watcher() { return watcher_; }
  const Watcher& watcher() const { return watcher_; }

  // Ends the transaction: drops the queue, clears the flags and unwatches every key (Redis's
  // discardTransaction). After EXEC, DISCARD, or an EXEC that could not run.
  void Discard(WatchRegistry& watches);

 private:
  bool in_multi_ = false;
  bool flagged_ = false;
  bool has_writes_ = false;
  bool has_denyoom_ = false;
  bool has_non_stale_ = false;
  bool write_without_keys_ = false;
  std::vector<QueuedCommand> commands_;
  Watcher watcher_;
};

// Shared texts of the transaction replies.
inline constexpr std::string_view kExecAbortError =
    "EXECABORT Transaction discarded because of previous errors.";
// EXEC refused before it ran (e.g. -MISCONF while writes are failing): Redis's
// execCommandAbort text. `error` is the whole error text; a plain "ERR " is left out, as Redis
// does.
std::string ExecAbortError(std::string_view error);
// Whether `spec` is EXEC, which Dispatch admits as the write of everything it queued.
bool IsExec(const CommandSpec& spec);

}  // namespace shale::server
