// Keyspace notifications (Redis's notify.c): commands that change keys publish what they did,
// as pub/sub messages, when notify-keyspace-events enables the event's class:
//   __keyspace@<db>__:<key>    receives the event's name (class K)
//   __keyevent@<db>__:<event>  receives the key's name   (class E)
// Classes are Redis's letters: g generic, $ string, l list, s set, h hash, z sorted set,
// x expired, e evicted, t stream, m key miss, d module, n new key; A is g$lshzxetd. Shale has
// no eviction or modules, so e and d are accepted and never fire.
//
// A command handler reports an event in one line, after the change took effect:
//   Notify(ctx, kNotifyList, "lpush", key);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "storage/status.h"

namespace shale::server {

class Server;
struct CommandContext;

// Redis's NOTIFY_* values.
enum NotifyFlag : uint32_t {
  kNotifyKeyspace = 1 << 0,  // K
  kNotifyKeyevent = 1 << 1,  // E
  kNotifyGeneric = 1 << 2,   // g
  kNotifyString = 1 << 3,    // $
  kNotifyList = 1 << 4,      // l
  kNotifySet = 1 << 5,       // s
  kNotifyHash = 1 << 6,      // h
  kNotifyZset = 1 << 7,      // z
  kNotifyExpired = 1 << 8,   // x
  kNotifyEvicted = 1 << 9,   // e
  kNotifyStream = 1 << 10,   // t
  kNotifyKeyMiss = 1 << 11,  // m
  kNotifyLoaded = 1 << 12,   // (modules only: no letter)
  kNotifyModule = 1 << 13,   // d
  kNotifyNew = 1 << 14,      // n
  // A: every class but m and n.
  kNotifyAll = kNotifyGeneric | kNotifyString | kNotifyList | kNotifySet | kNotifyHash |
               kNotifyZset | kNotifyExpired | kNotifyEvicted | kNotifyStream | kNotifyModule,
};

inline constexpr std::string_view kInvalidNotifyClassError =
    "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

// notify-keyspace-events' value: false on a letter that is no class.
bool ParseNotifyKeyspaceEvents(std::string_view text, uint32_t* flags);
// CONFIG GET's form: "A" for all of A's classes, otherwise the letters g$lshzxetdn in that
// order; then K, E and m.
std::string NotifyKeyspaceEventsString(uint32_t flags);

// Publishes event `event` of class `type` (one NotifyFlag) on `key` of `db`, if enabled.
void NotifyKeyspaceEvent(Server& server, uint32_t type, std::string_view event, int db,
                         std::string_view key);
// The same for the database of the command's connection.
void Notify(CommandContext& ctx, uint32_t type, std::string_view event, std::string_view key);
// For a removal from a list, hash or set: `event`, then "del" if the key is gone (the removal
// emptied it, so it was deleted).
void NotifyRemoval(CommandContext& ctx, uint32_t type, std::string_view event,
                   std::string_view key);
// Whether events of class `type` are published at all: for a command that must do extra work
// (look up which keys existed) only to report them.
bool NotifyEnabled(const Server& server, uint32_t type);

// The events of a write that replaces `destination` with a result (SINTERSTORE, ZUNIONSTORE,
// SORT ... STORE): `event` when the result was stored, "del" when an empty one deleted a key that
// was there (`existed`, from LiveBeforeStore).
void NotifyStore(CommandContext& ctx, uint32_t type, std::string_view event,
                 std::string_view destination, bool stored, bool existed);
// Whether `key` is live, asked only when a "del" event may have to be published (else false).
storage::Status LiveBeforeStore(CommandContext& ctx, std::string_view key, bool* live);

}  // namespace shale::server
