// Publish/subscribe (Redis's pubsub.c): who listens to which channel, pattern and shard channel,
// and the delivery of a published message to them. The registry knows subscribers only as
// Subscriber objects: a Connection is one (it writes the message into its output buffer), a
// test can be another.
//
// Per subscriber, the registry keeps its channels, patterns and shard channels (ordered sets, so
// an UNSUBSCRIBE without arguments answers in a stable order). Per channel, the subscribers in
// the order they subscribed, which is the order a message reaches them; then every pattern that
// matches the channel (Redis's glob, server/glob.h), in pattern order, each with its
// subscribers in the order they subscribed. Shard channels (SSUBSCRIBE, SPUBLISH) are a separate
// namespace: on a server without cluster mode they behave as channels of their own.
//
// Threading: the event loop's thread only. Delivery must not change the registry: a subscriber
// that must be dropped (its output buffer is over its limit) is closed later, not from inside
// Receive.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shale::server {

// What a message was published as: PUBLISH's (to a channel, or matched by a pattern) or
// SPUBLISH's (to a shard channel).
enum class MessageKind { kChannel, kPattern, kShard };

class Subscriber {
 public:
  virtual ~Subscriber() = default;
  // One delivery: `pattern` is the matching pattern for kPattern, empty otherwise.
  virtual void Receive(MessageKind kind, std::string_view pattern, std::string_view channel,
                       std::string_view message) = 0;

  const std::set<std::string, std::less<>>& channels() const { return channels_; }
  const std::set<std::string, std::less<>>& patterns() const { return patterns_; }
  const std::set<std::string, std::less<>>& shard_channels() const { return shard_channels_; }
  // What (P)SUBSCRIBE and (P)UNSUBSCRIBE report: channels plus patterns (Redis's
  // clientSubscriptionsCount); shard channels are counted apart.
  size_t subscription_count() const { return channels_.size() + patterns_.size(); }
  // Subscribed to anything at all (Redis's CLIENT_PUBSUB): the pub/sub mode of RESP2 and the
  // pubsub class of client-output-buffer-limit.
  bool subscribed() const { return subscription_count() + shard_channels_.size() > 0; }

 private:
  friend class PubSub;
  std::set<std::string, std::less<>> channels_;
  std::set<std::string, std::less<>> patterns_;
  std::set<std::string, std::less<>> shard_channels_;
};

class PubSub {
 public:
  PubSub() = default;
  PubSub(const PubSub&) = delete;
  PubSub& operator=(const PubSub&) = delete;

  // Each returns whether the subscription changed (false: it was already there, or was not).
  bool Subscribe(Subscriber* subscriber, std::string_view channel);
  bool Unsubscribe(Subscriber* subscriber, std::string_view channel);
  bool PSubscribe(Subscriber* subscriber, std::string_view pattern);
  bool PUnsubscribe(Subscriber* subscriber, std::string_view pattern);
  bool SSubscribe(Subscriber* subscriber, std::string_view channel);
  bool SUnsubscribe(Subscriber* subscriber, std::string_view channel);
  // Drops every subscription of `subscriber` (a closing connection, RESET).
  void UnsubscribeAll(Subscriber* subscriber);

  // PUBLISH: delivers to the channel's subscribers, then to those of every matching pattern;
  // returns the number of deliveries (a client subscribed twice over counts twice).
  size_t Publish(std::string_view channel, std::string_view message);
  // SPUBLISH: delivers to the shard channel's subscribers.
  size_t SPublish(std::string_view channel, std::string_view message);

  // PUBSUB CHANNELS / SHARDCHANNELS: the channels with at least one subscriber, matching
  // `pattern` (nullptr: all), in byte order.
  std::vector<std::string> Channels(const std::string_view* pattern) const;
  std::vector<std::string> ShardChannels(const std::string_view* pattern) const;
  // PUBSUB NUMSUB / SHARDNUMSUB: subscribers of one channel.
  size_t NumSub(std::string_view channel) const;
  size_t ShardNumSub(std::string_view channel) const;
  // PUBSUB NUMPAT: distinct patterns with subscribers (INFO pubsub_patterns).
  size_t pattern_count() const { return patterns_.size(); }
  // INFO pubsub_channels, pubsubshard_channels.
  size_t channel_count() const { return channels_.size(); }
  size_t shard_channel_count() const { return shard_channels_.size(); }

 private:
  using Subscribers = std::vector<Subscriber*>;
  // Lets a string_view find a std::string key without a copy.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ChannelMap = std::unordered_map<std::string, Subscribers, NameHash, std::equal_to<>>;

  ChannelMap channels_;
  ChannelMap shard_channels_;
  // Ordered, so that a message matched by several patterns reaches them in a stable order.
  std::map<std::string, Subscribers, std::less<>> patterns_;
};

}  // namespace shale::server
