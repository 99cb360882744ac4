#include "server/transactions.h"

#include <algorithm>

#include "server/command_table.h"

namespace shale::server {

WatchRegistry::WatchRegistry(KeyStateFunction key_state) : key_state_(std::move(key_state)) {}

void WatchRegistry::Watch(Watcher& watcher, int db, std::string_view key) {
  KeyMap& keys = dbs_[db];
  auto it = keys.find(key);
  if (it == keys.end()) {
    it = keys.emplace(std::string(key), std::vector<Entry>{}).first;
  } else {
    for (const Entry& entry : it->second) {
      if (entry.watcher == &watcher) return;  // already watched
    }
  }
  const bool stale = key_state_(db, key) == WatchedKeyState::kExpired;
  it->second.push_back({&watcher, watcher.keys_.size()});
  watcher.keys_.push_back({db, std::string(key), stale});
}

void WatchRegistry::UnwatchAll(Watcher& watcher) {
  for (const Watcher::WatchedKey& watched : watcher.keys_) {
    auto db_it = dbs_.find(watched.db);
    if (db_it == dbs_.end()) continue;
    KeyMap& keys = db_it->second;
    auto it = keys.find(watched.key);
    if (it == keys.end()) continue;
    std::erase_if(it->second, [&](const Entry& entry) { return entry.watcher == &watcher; });
    if (it->second.empty()) keys.erase(it);
    if (keys.empty()) dbs_.erase(db_it);
  }
  watcher.keys_.clear();
}

bool WatchRegistry::WatchedKeyExpired(const Watcher& watcher) const {
  for (const Watcher::WatchedKey& watched : watcher.keys_) {
    if (!watched.stale && key_state_(watched.db, watched.key) == WatchedKeyState::kExpired) {
      return true;
    }
  }
  return false;
}

void WatchRegistry::Touch(int db, std::string_view key) {
  if (dbs_.empty()) return;
  auto db_it = dbs_.find(db);
  if (db_it == dbs_.end()) return;
  auto it = db_it->second.find(key);
  if (it == db_it->second.end()) return;
  std::vector<Watcher*> dirtied;
  bool state_known = false;
  WatchedKeyState state = WatchedKeyState::kLive;
  for (const Entry& entry : it->second) {
    Watcher::WatchedKey& watched = entry.watcher->keys_[entry.index];
    if (watched.stale) {
      // Watched while logically absent: deleting or expiring it changes nothing the client
      // saw; only a live value does. (Redis reaches the same outcome because a write to an
      // expired key first deletes it, which clears the flag, and then touches it again.)
      if (!state_known) {
        state = key_state_(db, key);
        state_known = true;
      }
      if (state == WatchedKeyState::kAbsent) {
        watched.stale = false;  // a deleted key is not an expired one
        continue;
      }
      if (state == WatchedKeyState::kExpired) continue;
    }
    dirtied.push_back(entry.watcher);
  }
  MarkDirty(dirtied);
}

void WatchRegistry::CollectFlushed(int db, KeyMap& keys, std::vector<Watcher*>* dirtied) {
  for (auto& [key, entries] : keys) {
    // Redis 7.0.15's touchAllWatchedKeysInDb: a key that is not there is not changed by the
    // flush; one that is there (even expired) is removed by it.
    if (key_state_(db, key) == WatchedKeyState::kAbsent) continue;
    for (const Entry& entry : entries) {
      Watcher::WatchedKey& watched = entry.watcher->keys_[entry.index];
      if (watched.stale) {
        watched.stale = false;  // an expired key is now deleted: no logical change
        continue;
      }
      dirtied->push_back(entry.watcher);
    }
  }
}

void WatchRegistry::TouchDb(int db) {
  auto db_it = dbs_.find(db);
  if (db_it == dbs_.end()) return;
  std::vector<Watcher*> dirtied;
  CollectFlushed(db, db_it->second, &dirtied);
  MarkDirty(dirtied);
}

void WatchRegistry::TouchAll() {
  std::vector<Watcher*> dirtied;
  for (auto& [db, keys] : dbs_) CollectFlushed(db, keys, &dirtied);
  MarkDirty(dirtied);
}

void WatchRegistry::CollectSwapped(int db, int other, KeyMap& keys,
                                   std::vector<Watcher*>* dirtied) {
  for (auto& [key, entries] : keys) {
    const WatchedKeyState here = key_state_(db, key);
    const WatchedKeyState there = key_state_(other, key);
    if (here == WatchedKeyState::kAbsent && there == WatchedKeyState::kAbsent) continue;
    for (const Entry& entry : entries) {
      Watcher::WatchedKey& watched = entry.watcher->keys_[entry.index];
      if (watched.stale) {
        if (there == WatchedKeyState::kAbsent) {
          watched.stale = false;  // an expired key is now gone: no logical change
          continue;
        }
        if (there == WatchedKeyState::kExpired) continue;  // expired before, expired after
      } else if (here == WatchedKeyState::kAbsent && there == WatchedKeyState::kExpired) {
        watched.stale = true;  // no key replaced by an expired one: still no key
        continue;
      }
      dirtied->push_back(entry.watcher);
    }
  }
}

void WatchRegistry::TouchSwap(int a, int b) {
  std::vector<Watcher*> dirtied;
  // Both directions see the databases as they are before the swap.
  if (auto it = dbs_.find(a); it != dbs_.end()) CollectSwapped(a, b, it->second, &dirtied);
  if (auto it = dbs_.find(b); it != dbs_.end()) CollectSwapped(b, a, it->second, &dirtied);
  MarkDirty(dirtied);
}

void WatchRegistry::MarkDirty(const std::vector<Watcher*>& watchers) {
  // A watcher may be listed more than once; UnwatchAll of an unwatched watcher does nothing.
  for (Watcher* watcher : watchers) {
    watcher->dirty_ = true;
    UnwatchAll(*watcher);
  }
}

QueuedCommand::QueuedCommand(const CommandSpec& spec, const std::vector<std::string_view>& args)
    : spec_(&spec) {
  size_t total = 0;
  for (std::string_view arg : args) total += arg.size();
  data_.reserve(total);
  ends_.reserve(args.size());
  for (std::string_view arg : args) {
    data_.append(arg);
    ends_.push_back(data_.size());
  }
}

std::vector<std::string_view> QueuedCommand::Args() const {
  std::vector<std::string_view> args;
  args.reserve(ends_.size());
  size_t begin = 0;
  for (size_t end : ends_) {
    args.emplace_back(data_.data() + begin, end - begin);
    begin = end;
  }
  return args;
}

void Transaction::Queue(const CommandSpec& spec, const std::vector<std::string_view>& args) {
  if (doomed()) return;
  commands_.emplace_back(spec, args);
  if (spec.flags & kCmdDenyOom) has_denyoom_ = true;
  if ((spec.flags & kCmdStale) == 0) has_non_stale_ = true;
  if (spec.flags & kCmdWrite) {
    has_writes_ = true;
    if (!spec.HasKeys()) write_without_keys_ = true;
  }
}

std::vector<std::string_view> Transaction::WriteKeys() const {
  std::vector<std::string_view> keys;
  if (write_without_keys_) return keys;
  for (const QueuedCommand& command : commands_) {
    if ((command.spec().flags & kCmdWrite) == 0) continue;
    // The views point into `command`, which outlives the returned vector's use.
    std::vector<std::string_view> args = command.Args();
    std::vector<std::string_view> named = command.spec().KeysOf(args);
    keys.insert(keys.end(), named.begin(), named.end());
  }
  return keys;
}

void Transaction::Discard(WatchRegistry& watches) {
  in_multi_ = false;
  flagged_ = false;
  has_writes_ = false;
  has_denyoom_ = false;
  has_non_stale_ = false;
  write_without_keys_ = false;
  commands_.clear();
  commands_.shrink_to_fit();
  watches.UnwatchAll(watcher_);
  watcher_.ClearDirty();
}

std::string ExecAbortError(std::string_view error) {
  if (error.starts_with("ERR ")) error.remove_prefix(4);
  std::string text = "EXECABORT Transaction discarded because of: ";
  text.append(error);
  return text;
}

bool IsExec(const CommandSpec& spec) { return spec.name == "exec"; }

}  // namespace shale::server
