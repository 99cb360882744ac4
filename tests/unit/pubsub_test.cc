// The pub/sub registry (server/pubsub.h) and the keyspace notification classes
// (server/notifications.h), without a server.
#include "server/pubsub.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/notifications.h"

namespace shale::server {
namespace {

// Records what it receives as "kind pattern channel message" lines.
class RecordingSubscriber : public Subscriber {
 public:
  void Receive(MessageKind kind, std::string_view pattern, std::string_view channel,
               std::string_view message) override {
    std::string line = kind == MessageKind::kChannel   ? "message"
                       : kind == MessageKind::kPattern ? "pmessage " + std::string(pattern)
                                                       : "smessage";
    line += " " + std::string(channel) + " " + std::string(message);
    received.push_back(line);
  }
  std::vector<std::string> received;
};

using Lines = std::vector<std::string>;

TEST(PubSubTest, ChannelDelivery) {
  PubSub registry;
  RecordingSubscriber a, b;
  EXPECT_TRUE(registry.Subscribe(&a, "news"));
  EXPECT_FALSE(registry.Subscribe(&a, "news"));  // already there
  EXPECT_TRUE(registry.Subscribe(&b, "news"));
  EXPECT_TRUE(registry.Subscribe(&b, "sport"));
  EXPECT_EQ(registry.Publish("news", "hi"), 2u);
  EXPECT_EQ(registry.Publish("sport", "goal"), 1u);
  EXPECT_EQ(registry.Publish("weather", "rain"), 0u);
  EXPECT_EQ(a.received, (Lines{"message news hi"}));
  EXPECT_EQ(b.received, (Lines{"message news hi", "message sport goal"}));
  EXPECT_EQ(a.subscription_count(), 1u);
  EXPECT_EQ(b.subscription_count(), 2u);
  EXPECT_TRUE(a.subscribed());
  EXPECT_EQ(registry.channel_count(), 2u);
  EXPECT_EQ(registry.NumSub("news"), 2u);
  EXPECT_EQ(registry.NumSub("weather"), 0u);
}

TEST(PubSubTest, UnsubscribeForgetsEmptyChannels) {
  PubSub registry;
  RecordingSubscriber a;
  registry.Subscribe(&a, "x");
  EXPECT_FALSE(registry.Unsubscribe(&a, "y"));
  EXPECT_TRUE(registry.Unsubscribe(&a, "x"));
  EXPECT_FALSE(registry.Unsubscribe(&a, "x"));
  EXPECT_EQ(registry.channel_count(), 0u);
  EXPECT_FALSE(a.subscribed());
  EXPECT_EQ(registry.Publish("x", "m"), 0u);
  EXPECT_TRUE(a.received.empty());
}

TEST(PubSubTest, PatternsMatchWithRedisGlob) {
  PubSub registry;
  RecordingSubscriber a, b;
  EXPECT_TRUE(registry.PSubscribe(&a, "foo.*"));
  EXPECT_FALSE(registry.PSubscribe(&a, "foo.*"));
  EXPECT_TRUE(registry.PSubscribe(&b, "foo.*"));
  EXPECT_TRUE(registry.PSubscribe(&b, "b[ae]r"));
  EXPECT_EQ(registry.pattern_count(), 2u);
  EXPECT_EQ(registry.Publish("foo.1", "m"), 2u);
  EXPECT_EQ(registry.Publish("foo1", "m"), 0u);
  EXPECT_EQ(registry.Publish("ber", "n"), 1u);
  EXPECT_EQ(a.received, (Lines{"pmessage foo.* foo.1 m"}));
  EXPECT_EQ(b.received, (Lines{"pmessage foo.* foo.1 m", "pmessage b[ae]r ber n"}));
  EXPECT_TRUE(registry.PUnsubscribe(&a, "foo.*"));
  EXPECT_FALSE(registry.PUnsubscribe(&a, "foo.*"));
  EXPECT_EQ(registry.pattern_count(), 2u);  // b still has both
  EXPECT_TRUE(registry.PUnsubscribe(&b, "foo.*"));
  EXPECT_EQ(registry.pattern_count(), 1u);
}

TEST(PubSubTest, ChannelAndPatternsEachCount) {
  PubSub registry;
  RecordingSubscriber a;
  registry.Subscribe(&a, "a.b");
  registry.PSubscribe(&a, "a.*");
  registry.PSubscribe(&a, "*");
  // The channel first, then the patterns in byte order; each delivery counts.
  EXPECT_EQ(registry.Publish("a.b", "m"), 3u);
  EXPECT_EQ(a.received, (Lines{"message a.b m", "pmessage * a.b m", "pmessage a.* a.b m"}));
  EXPECT_EQ(a.subscription_count(), 3u);
}

TEST(PubSubTest, DeliveryFollowsSubscriptionOrder) {
  PubSub registry;
  std::vector<std::string> order;
  struct Named : Subscriber {
    Named(std::string n, std::vector<std::string>* o) : name(std::move(n)), order(o) {}
    void Receive(MessageKind, std::string_view, std::string_view, std::string_view) override {
      order->push_back(name);
    }
    std::string name;
    std::vector<std::string>* order;
  };
  Named first("first", &order), second("second", &order), third("third", &order);
  registry.Subscribe(&second, "c");
  registry.Subscribe(&first, "c");
  registry.Subscribe(&third, "c");
  registry.Publish("c", "m");
  EXPECT_EQ(order, (Lines{"second", "first", "third"}));
}

TEST(PubSubTest, ShardChannelsAreTheirOwnNamespace) {
  PubSub registry;
  RecordingSubscriber a;
  EXPECT_TRUE(registry.SSubscribe(&a, "s"));
  EXPECT_FALSE(registry.SSubscribe(&a, "s"));
  EXPECT_EQ(a.subscription_count(), 0u);  // shard channels are counted apart
  EXPECT_EQ(a.shard_channels().size(), 1u);
  EXPECT_TRUE(a.subscribed());
  EXPECT_EQ(registry.Publish("s", "m"), 0u);
  EXPECT_EQ(registry.SPublish("s", "m"), 1u);
  EXPECT_EQ(registry.SPublish("t", "m"), 0u);
  EXPECT_EQ(a.received, (Lines{"smessage s m"}));
  EXPECT_EQ(registry.ShardNumSub("s"), 1u);
  EXPECT_EQ(registry.NumSub("s"), 0u);
  EXPECT_EQ(registry.shard_channel_count(), 1u);
  EXPECT_EQ(registry.channel_count(), 0u);
  EXPECT_TRUE(registry.SUnsubscribe(&a, "s"));
  EXPECT_FALSE(registry.SUnsubscribe(&a, "s"));
  EXPECT_FALSE(a.subscribed());
}

TEST(PubSubTest, ChannelListsAreSortedAndFiltered) {
  PubSub registry;
  RecordingSubscriber a, b;
  registry.Subscribe(&a, "news.tech");
  registry.Subscribe(&b, "news.art");
  registry.Subscribe(&b, "sport");
  registry.SSubscribe(&a, "shard.1");
  EXPECT_EQ(registry.Channels(nullptr), (Lines{"news.art", "news.tech", "sport"}));
  const std::string_view pattern = "news.*";
  EXPECT_EQ(registry.Channels(&pattern), (Lines{"news.art", "news.tech"}));
  EXPECT_EQ(registry.ShardChannels(nullptr), (Lines{"shard.1"}));
  EXPECT_TRUE(registry.ShardChannels(&pattern).empty());
}

TEST(PubSubTest, UnsubscribeAllDropsEverything) {
  PubSub registry;
  RecordingSubscriber a, b;
  registry.Subscribe(&a, "c1");
  registry.Subscribe(&a, "c2");
  registry.Subscribe(&b, "c1");
  registry.PSubscribe(&a, "p*");
  registry.SSubscribe(&a, "s");
  registry.UnsubscribeAll(&a);
  EXPECT_FALSE(a.subscribed());
  EXPECT_TRUE(a.channels().empty());
  EXPECT_TRUE(a.patterns().empty());
  EXPECT_TRUE(a.shard_channels().empty());
  EXPECT_EQ(registry.channel_count(), 1u);
  EXPECT_EQ(registry.pattern_count(), 0u);
  EXPECT_EQ(registry.shard_channel_count(), 0u);
  EXPECT_EQ(registry.Publish("c1", "m"), 1u);
  EXPECT_TRUE(a.received.empty());
}

TEST(NotificationsTest, ParsesRedisLetters) {
  uint32_t flags = 0;
  ASSERT_TRUE(ParseNotifyKeyspaceEvents("", &flags));
  EXPECT_EQ(flags, 0u);
  ASSERT_TRUE(ParseNotifyKeyspaceEvents("KEg$lshzxetmdn", &flags));
  EXPECT_EQ(flags, static_cast<uint32_t>(kNotifyAll | kNotifyKeyspace | kNotifyKeyevent |
                                         kNotifyKeyMiss | kNotifyNew));
  ASSERT_TRUE(ParseNotifyKeyspaceEvents("A", &flags));
  EXPECT_EQ(flags, static_cast<uint32_t>(kNotifyAll));
  EXPECT_EQ(flags & (kNotifyKeyMiss | kNotifyNew), 0u);  // A leaves out m and n
  flags = 7;
  EXPECT_FALSE(ParseNotifyKeyspaceEvents("KEq", &flags));
  EXPECT_FALSE(ParseNotifyKeyspaceEvents("k", &flags));  // letters are case-sensitive
  EXPECT_EQ(flags, 7u);                                  // untouched on error
}

TEST(NotificationsTest, PrintsRedisCanonicalForm) {
  auto canonical = [](std::string_view text) {
    uint32_t flags = 0;
    EXPECT_TRUE(ParseNotifyKeyspaceEvents(text, &flags)) << text;
    return NotifyKeyspaceEventsString(flags);
  };
  EXPECT_EQ(canonical(""), "");
  EXPECT_EQ(canonical("gKE"), "gKE");
  EXPECT_EQ(canonical("$lshzxeKE"), "$lshzxeKE");
  EXPECT_EQ(canonical("KA"), "AK");
  EXPECT_EQ(canonical("EA"), "AE");
  EXPECT_EQ(canonical("g$lshzxetd"), "A");
  // As in Redis, "A" stands alone: with it, n is not printed (though it is set).
  EXPECT_EQ(canonical("mnAEK"), "AKEm");
  EXPECT_EQ(canonical("nElg"), "glnE");
  EXPECT_EQ(canonical("mK"), "Km");
}

}  // namespace
}  // namespace shale::server
