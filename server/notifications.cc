#include "server/notifications.h"

#include "server/command_table.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/server.h"

namespace shale::server {

bool ParseNotifyKeyspaceEvents(std::string_view text, uint32_t* flags) {
  uint32_t result = 0;
  for (char c : text) {
    switch (c) {
      case 'A':
        result |= kNotifyAll;
        break;
      case 'g':
        result |= kNotifyGeneric;
        break;
      case '$':
        result |= kNotifyString;
        break;
      case 'l':
        result |= kNotifyList;
        break;
      case 's':
        result |= kNotifySet;
        break;
      case 'h':
        result |= kNotifyHash;
        break;
      case 'z':
        result |= kNotifyZset;
        break;
      case 'x':
        result |= kNotifyExpired;
        break;
      case 'e':
        result |= kNotifyEvicted;
        break;
      case 'K':
        result |= kNotifyKeyspace;
        break;
      case 'E':
        result |= kNotifyKeyevent;
        break;
      case 't':
        result |= kNotifyStream;
        break;
      case 'm':
        result |= kNotifyKeyMiss;
        break;
      case 'd':
        result |= kNotifyModule;
        break;
      case 'n':
        result |= kNotifyNew;
        break;
      default:
        return false;
    }
  }
  *flags = result;
  return true;
}

std::string NotifyKeyspaceEventsString(uint32_t flags) {
  std::string out;
  if ((flags & kNotifyAll) == kNotifyAll) {
    out += 'A';
  } else {
    static constexpr struct {
      uint32_t flag;
      char letter;
    } kClasses[] = {{kNotifyGeneric, 'g'}, {kNotifyString, '$'},  {kNotifyList, 'l'},
                    {kNotifySet, 's'},     {kNotifyHash, 'h'},    {kNotifyZset, 'z'},
                    {kNotifyExpired, 'x'}, {kNotifyEvicted, 'e'}, {kNotifyStream, 't'},
                    {kNotifyModule, 'd'},  {kNotifyNew, 'n'}};
    for (const auto& c : kClasses) {
      if ((flags & c.flag) != 0) out += c.letter;
    }
  }
  if ((flags & kNotifyKeyspace) != 0) out += 'K';
  if ((flags & kNotifyKeyevent) != 0) out += 'E';
  if ((flags & kNotifyKeyMiss) != 0) out += 'm';
  return out;
}

bool NotifyEnabled(const Server& server, uint32_t type) {
  const uint32_t flags = server.config().notify_keyspace_events;
  return (flags & type) != 0 && (flags & (kNotifyKeyspace | kNotifyKeyevent)) != 0;
}

void NotifyKeyspaceEvent(Server& server, uint32_t type, std::string_view event, int db,
                         std::string_view key) {
  if (!NotifyEnabled(server, type)) return;
  server.BeforeKeyspaceEvent(db, key);
  const uint32_t flags = server.config().notify_keyspace_events;
  std::string channel;
  if ((flags & kNotifyKeyspace) != 0) {
    channel = "__keyspace@" + std::to_string(db) + "__:";
    channel.append(key);
    server.pubsub().Publish(channel, event);
  }
  if ((flags & kNotifyKeyevent) != 0) {
    channel = "__keyevent@" + std::to_string(db) + "__:";
    channel.append(event);
    server.pubsub().Publish(channel, key);
  }
}

void Notify(CommandContext& ctx, uint32_t type, std::string_view event, std::string_view key) {
  NotifyKeyspaceEvent(ctx.server, type, event, ctx.connection.db(), key);
}

void NotifyRemoval(CommandContext& ctx, uint32_t type, std::string_view event,
                   std::string_view key) {
  Notify(ctx, type, event, key);
  if (!NotifyEnabled(ctx.server, kNotifyGeneric)) return;
  keyspace::KeyState state = keyspace::KeyState::kLive;
  if (ctx.ks.Peek(ctx.connection.db(), key, &state).ok() && state == keyspace::KeyState::kAbsent) {
    Notify(ctx, kNotifyGeneric, "del", key);
  }
}

void NotifyStore(CommandContext& ctx, uint32_t type, std::string_view event,
                 std::string_view destination, bool stored, bool existed) {
  if (stored) {
    Notify(ctx, type, event, destination);
  } else if (existed) {
    Notify(ctx, kNotifyGeneric, "del", destination);
  }
}

storage::Status LiveBeforeStore(CommandContext& ctx, std::string_view key, bool* live) {
  *live = false;
  if (!NotifyEnabled(ctx.server, kNotifyGeneric)) return storage::Status::Ok();
  keyspace::KeyState state = keyspace::KeyState::kAbsent;
  storage::Status status = ctx.ks.Peek(ctx.connection.db(), key, &state);
  *live = state == keyspace::KeyState::kLive;
  return status;
}

}  // namespace shale::server
