// Pub/sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE,
// PUBLISH, SPUBLISH, PUBSUB (Redis's pubsub.c). The registry is server/pubsub.h; a connection
// receives messages through Connection::Receive.
//
// Confirmations are written with the connection's push writer: a push in RESP3, an array in
// RESP2, sent even under CLIENT REPLY OFF, as Redis does.
#include "server/pubsub.h"

#include <string>
#include <string_view>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace shale::server {

namespace {

// One confirmation: [kind, channel or nil, count].
void Confirm(Connection& connection, std::string_view kind, const std::string_view* channel,
             size_t count) {
  protocol::ReplyWriter& push = connection.push();
  push.PushHeader(3);
  push.Bulk(kind);
  if (channel != nullptr) {
    push.Bulk(*channel);
  } else {
    push.NullBulk();
  }
  push.Integer(static_cast<int64_t>(count));
}

enum class Space { kChannels, kPatterns, kShard };

// What one kind of subscription needs: its registry calls and confirmation words.
struct Family {
  bool (PubSub::*subscribe)(Subscriber*, std::string_view);
  bool (PubSub::*unsubscribe)(Subscriber*, std::string_view);
  std::string_view subscribed;
  std::string_view unsubscribed;
  Space space;
};

constexpr Family kChannels{&PubSub::Subscribe, &PubSub::Unsubscribe, "subscribe", "unsubscribe",
                           Space::kChannels};
constexpr Family kPatterns{&PubSub::PSubscribe, &PubSub::PUnsubscribe, "psubscribe", "punsubscribe",
                           Space::kPatterns};
constexpr Family kShard{&PubSub::SSubscribe, &PubSub::SUnsubscribe, "ssubscribe", "sunsubscribe",
                        Space::kShard};

// The count a confirmation carries: channels and patterns together, shard channels apart.
size_t CountFor(const Connection& connection, Space space) {
  return space == Space::kShard ? connection.shard_channels().size()
                                : connection.subscription_count();
}

const std::set<std::string, std::less<>>& OwnSet(const Connection& connection, Space space) {
  switch (space) {
    case Space::kChannels:
      return connection.channels();
    case Space::kPatterns:
      return connection.patterns();
    case Space::kShard:
      break;
  }
  return connection.shard_channels();
}

void SubscribeGeneric(CommandContext& ctx, const Family& family) {
  PubSub& registry = ctx.server.pubsub();
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    (registry.*family.subscribe)(&ctx.connection, ctx.args[i]);
    Confirm(ctx.connection, family.subscribed, &ctx.args[i],
            CountFor(ctx.connection, family.space));
  }
}

void UnsubscribeGeneric(CommandContext& ctx, const Family& family) {
  PubSub& registry = ctx.server.pubsub();
  if (ctx.args.size() > 1) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      (registry.*family.unsubscribe)(&ctx.connection, ctx.args[i]);
      Confirm(ctx.connection, family.unsubscribed, &ctx.args[i],
              CountFor(ctx.connection, family.space));
    }
    return;
  }
  // Without arguments: every one of this kind, and a confirmation with a nil name when there
  // was none.
  const std::vector<std::string> names(OwnSet(ctx.connection, family.space).begin(),
                                       OwnSet(ctx.connection, family.space).end());
  for (const std::string& name : names) {
    (registry.*family.unsubscribe)(&ctx.connection, name);
    const std::string_view view = name;
    Confirm(ctx.connection, family.unsubscribed, &view, CountFor(ctx.connection, family.space));
  }
  if (names.empty()) {
    Confirm(ctx.connection, family.unsubscribed, nullptr, CountFor(ctx.connection, family.space));
  }
}

void SubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kChannels); }
void UnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kChannels); }
void PSubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kPatterns); }
void PUnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kPatterns); }
void SSubscribeCommand(CommandContext& ctx) { SubscribeGeneric(ctx, kShard); }
void SUnsubscribeCommand(CommandContext& ctx) { UnsubscribeGeneric(ctx, kShard); }

// PUBLISH and SPUBLISH go to replicas too (their subscribers get the message), as in Redis.
void PublishCommand(CommandContext& ctx) {
  ForcePropagation(ctx);
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().Publish(ctx.args[1], ctx.args[2])));
}

void SPublishCommand(CommandContext& ctx) {
  ForcePropagation(ctx);
  ctx.reply.Integer(static_cast<int64_t>(ctx.server.pubsub().SPublish(ctx.args[1], ctx.args[2])));
}

constexpr std::string_view kPubSubHelp[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Print this help.",
};

void ReplyNames(CommandContext& ctx, const std::vector<std::string>& names) {
  ctx.reply.ArrayHeader(names.size());
  for (const std::string& name : names) ctx.reply.Bulk(name);
}

// PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP
void PubSubCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  PubSub& registry = ctx.server.pubsub();
  auto arity_error = [&] {
    ctx.reply.Error("ERR wrong number of arguments for 'pubsub|" + ToLower(sub) + "' command");
  };
  if (EqualsIgnoreCase(sub, "help")) {
    if (argc != 2) return arity_error();
    ctx.reply.ArrayHeader(std::size(kPubSubHelp));
    for (std::string_view line : kPubSubHelp) ctx.reply.SimpleString(line);
  } else if (EqualsIgnoreCase(sub, "channels") || EqualsIgnoreCase(sub, "shardchannels")) {
    if (argc > 3) return arity_error();
    const std::string_view* pattern = argc == 3 ? &ctx.args[2] : nullptr;
    ReplyNames(ctx, EqualsIgnoreCase(sub, "channels") ? registry.Channels(pattern)
                                                      : registry.ShardChannels(pattern));
  } else if (EqualsIgnoreCase(sub, "numsub") || EqualsIgnoreCase(sub, "shardnumsub")) {
    const bool shard = EqualsIgnoreCase(sub, "shardnumsub");
    ctx.reply.ArrayHeader((argc - 2) * 2);  // an array in RESP3 too, as in Redis 7.0
    for (size_t i = 2; i < argc; ++i) {
      ctx.reply.Bulk(ctx.args[i]);
      ctx.reply.Integer(static_cast<int64_t>(shard ? registry.ShardNumSub(ctx.args[i])
                                                   : registry.NumSub(ctx.args[i])));
    }
  } else if (EqualsIgnoreCase(sub, "numpat")) {
    if (argc != 2) return arity_error();
    ctx.reply.Integer(static_cast<int64_t>(registry.pattern_count()));
  } else {
    ctx.reply.Error(UnknownSubcommandError("pubsub", sub));
  }
}

constexpr uint32_t kPubSubFlags = kCmdLoading | kCmdStale;

const CommandSpec kPubSubCommands[] = {
    {"subscribe", -2, kPubSubFlags | kCmdNoScript, 0, 0, 0, SubscribeCommand, "pubsub", "2.0.0",
     "Listens for messages published to channels.", "channel [channel ...]"},
    {"unsubscribe", -1, kPubSubFlags | kCmdNoScript, 0, 0, 0, UnsubscribeCommand, "pubsub", "2.0.0",
     "Stops listening to messages posted to channels.", "[channel [channel ...]]"},
    {"psubscribe", -2, kPubSubFlags | kCmdNoScript, 0, 0, 0, PSubscribeCommand, "pubsub", "2.0.0",
     "Listens for messages published to channels that match one or more patterns.",
     "pattern [pattern ...]"},
    {"punsubscribe", -1, kPubSubFlags | kCmdNoScript, 0, 0, 0, PUnsubscribeCommand, "pubsub",
     "2.0.0", "Stops listening to messages published to channels that match one or more patterns.",
     "[pattern [pattern ...]]"},
    {"ssubscribe", -2, kPubSubFlags | kCmdNoScript, 1, -1, 1, SSubscribeCommand, "pubsub", "7.0.0",
     "Listens for messages published to shard channels.", "shardchannel [shardchannel ...]"},
    {"sunsubscribe", -1, kPubSubFlags | kCmdNoScript, 1, -1, 1, SUnsubscribeCommand, "pubsub",
     "7.0.0", "Stops listening to messages posted to shard channels.",
     "[shardchannel [shardchannel ...]]"},
    {"publish", 3, kPubSubFlags | kCmdFast, 0, 0, 0, PublishCommand, "pubsub", "2.0.0",
     "Posts a message to a channel.", "channel message"},
    {"spublish", 3, kPubSubFlags | kCmdFast, 1, 1, 1, SPublishCommand, "pubsub", "7.0.0",
     "Post a message to a shard channel", "shardchannel message"},
    {"pubsub", -2, kPubSubFlags, 0, 0, 0, PubSubCommand, "pubsub", "2.8.0",
     "A container for Pub/Sub commands.", "subcommand [argument ...]"},
};

}  // namespace

void RegisterPubSubCommands(CommandTable& table) {
  table.Register(kPubSubCommands, std::size(kPubSubCommands));
}

}  // namespace shale::server
