#include "server/pubsub.h"

#include <algorithm>

#include "server/glob.h"

namespace shale::server {

namespace {

using Subscribers = std::vector<Subscriber*>;
using OwnSet = std::set<std::string, std::less<>>;

// Adds `subscriber` under `name` in `map` and `name` to its own set; false if already there.
template <typename Map>
bool Add(Map* map, OwnSet* own, Subscriber* subscriber, std::string_view name) {
  if (!own->emplace(name).second) return false;
  auto it = map->find(name);
  if (it == map->end()) it = map->emplace(std::string(name), Subscribers{}).first;
  it->second.push_back(subscriber);
  return true;
}

template <typename Map>
bool Remove(Map* map, OwnSet* own, Subscriber* subscriber, std::string_view name) {
  auto mine = own->find(name);
  if (mine == own->end()) return false;
  own->erase(mine);
  auto it = map->find(name);
  if (it != map->end()) {
    std::erase(it->second, subscriber);
    if (it->second.empty()) map->erase(it);
  }
  return true;
}

template <typename Map>
std::vector<std::string> Names(const Map& map, const std::string_view* pattern) {
  std::vector<std::string> names;
  for (const auto& [name, subscribers] : map) {
    if (pattern == nullptr || GlobMatch(*pattern, name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

bool PubSub::Subscribe(Subscriber* subscriber, std::string_view channel) {
  return Add(&channels_, &subscriber->channels_, subscriber, channel);
}

bool PubSub::Unsubscribe(Subscriber* subscriber, std::string_view channel) {
  return Remove(&channels_, &subscriber->channels_, subscriber, channel);
}

bool PubSub::PSubscribe(Subscriber* subscriber, std::string_view pattern) {
  return Add(&patterns_, &subscriber->patterns_, subscriber, pattern);
}

bool PubSub::PUnsubscribe(Subscriber* subscriber, std::string_view pattern) {
  return Remove(&patterns_, &subscriber->patterns_, subscriber, pattern);
}

bool PubSub::SSubscribe(Subscriber* subscriber, std::string_view channel) {
  return Add(&shard_channels_, &subscriber->shard_channels_, subscriber, channel);
}

bool PubSub::SUnsubscribe(Subscriber* subscriber, std::string_view channel) {
  return Remove(&shard_channels_, &subscriber->shard_channels_, subscriber, channel);
}

void PubSub::UnsubscribeAll(Subscriber* subscriber) {
  while (!subscriber->channels_.empty()) {
    const std::string name = *subscriber->channels_.begin();
    Unsubscribe(subscriber, name);
  }
  while (!subscriber->patterns_.empty()) {
    const std::string name = *subscriber->patterns_.begin();
    PUnsubscribe(subscriber, name);
  }
  while (!subscriber->shard_channels_.empty()) {
    const std::string name = *subscriber->shard_channels_.begin();
    SUnsubscribe(subscriber, name);
  }
}

size_t PubSub::Publish(std::string_view channel, std::string_view message) {
  size_t receivers = 0;
  auto it = channels_.find(channel);
  if (it != channels_.end()) {
    for (Subscriber* subscriber : it->second) {
      subscriber->Receive(MessageKind::kChannel, {}, channel, message);
      ++receivers;
    }
  }
  for (const auto& [pattern, subscribers] : patterns_) {
    if (!GlobMatch(pattern, channel)) continue;
    for (Subscriber* subscriber : subscribers) {
      subscriber->Receive(MessageKind::kPattern, pattern, channel, message);
      ++receivers;
    }
  }
  return receivers;
}

size_t PubSub::SPublish(std::string_view channel, std::string_view message) {
  auto it = shard_channels_.find(channel);
  if (it == shard_channels_.end()) return 0;
  for (Subscriber* subscriber : it->second) {
    subscriber->Receive(MessageKind::kShard, {}, channel, message);
  }
  return it->second.size();
}

std::vector<std::string> PubSub::Channels(const std::string_view* pattern) const {
  return Names(channels_, pattern);
}

std::vector<std::string> PubSub::ShardChannels(const std::string_view* pattern) const {
  return Names(shard_channels_, pattern);
}

size_t PubSub::NumSub(std::string_view channel) const {
  auto it = channels_.find(channel);
  return it == channels_.end() ? 0 : it->second.size();
}

size_t PubSub::ShardNumSub(std::string_view channel) const {
  auto it = shard_channels_.find(channel);
  return it == shard_channels_.end() ? 0 : it->second.size();
}

}  // namespace shale::server
