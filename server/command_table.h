// The command table is data (Redis's model): one row per command with its name, arity, flags,
// key positions and handler. Dispatch, arity errors, NOAUTH/MISCONF checks and COMMAND
// COUNT/INFO/DOCS all read it. Commands live in files by family (server/commands/*.cc); each
// family contributes its rows through a Register*Commands function.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/numbers.h"
#include "protocol/reply_writer.h"
#include "storage/status.h"

namespace shale::storage {
class Db;
}
namespace shale::keyspace {
class Keyspace;
struct ScoredMember;
}  // namespace shale::keyspace

namespace shale::server {

class Server;
class Connection;

enum CommandFlag : uint32_t {
  kCmdWrite = 1 << 0,     // may modify the dataset: refused while writes are failing
  kCmdReadOnly = 1 << 1,  // reads the dataset
  kCmdNoAuth = 1 << 2,    // allowed before AUTH
  kCmdFast = 1 << 3,      // O(1) or O(log N)
  kCmdAdmin = 1 << 4,
  kCmdLoading = 1 << 5,  // allowed while loading
  kCmdStale = 1 << 6,
  kCmdNoMulti = 1 << 7,  // refused inside MULTI (Redis's no-multi)
  // Runs at once inside MULTI instead of being queued: MULTI, EXEC, DISCARD, WATCH and QUIT
  // (the commands Redis's processCommand exempts from queueing). Not a Redis flag: COMMAND INFO
  // does not show it.
  kCmdNotQueued = 1 << 8,
  // May use more memory (Redis's denyoom): refused while used memory is above maxmemory.
  kCmdDenyOom = 1 << 9,
  // Refused when a script calls it (Redis's noscript): transactions, scripting itself,
  // subscriptions, replication and administration of the server's state.
  kCmdNoScript = 1 << 10,
  // Its key arguments may be none at all (EVAL with numkeys 0; Redis's no_mandatory_keys).
  kCmdNoMandatoryKeys = 1 << 11,
};

// Everything a handler needs. `args[0]` is the command name as the client sent it.
struct CommandContext {
  Server& server;
  Connection& connection;
  storage::Db& db;
  keyspace::Keyspace& ks;  // the data model: commands read and write keys through it
  const std::vector<std::string_view>& args;
  protocol::ReplyWriter& reply;
};

using CommandHandler = void (*)(CommandContext& ctx);
// The keys of a command whose key positions depend on its arguments (Redis's movablekeys: LMPOP,
// ZUNIONSTORE, SORT ... STORE): appends them to *keys. Called for a call that matched the arity;
// arguments that do not parse give no keys (the command itself answers the error).
using KeysFunction = void (*)(const std::vector<std::string_view>& args,
                              std::vector<std::string_view>* keys);

// KeysFunction of the commands whose argument `kNumKeysIndex` counts the keys that follow it
// (LMPOP 1, BLMPOP 2, ZUNIONSTORE 2...).
template <size_t kNumKeysIndex>
void KeysAfterNumKeys(const std::vector<std::string_view>& args,
                      std::vector<std::string_view>* keys) {
  int64_t n = 0;
  if (kNumKeysIndex >= args.size() || !protocol::ParseInt64(args[kNumKeysIndex], &n) || n <= 0 ||
      static_cast<uint64_t>(n) > args.size() - kNumKeysIndex - 1) {
    return;
  }
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) keys->push_back(args[kNumKeysIndex + 1 + i]);
}

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // Redis's convention: N exact, -N at least N (name included)
  uint32_t flags;
  int first_key;  // 0 = no keys
  int last_key;   // -1 = last argument
  int key_step;
  CommandHandler handler;
  std::string_view group;  // COMMAND DOCS: "string", "keyspace", "connection", "server"
  std::string_view since;  // Redis version that introduced it
  std::string_view summary;
  std::string_view syntax;  // arguments after the name, e.g. "key value [NX | XX] [GET]"
  // The keys beyond first_key..last_key, for the commands whose keys move (nullptr: none).
  KeysFunction movable_keys = nullptr;
  // ACL categories (AclCategory bits, server/acl_categories.h). A row may list Redis's explicit
  // ones; CommandTable::Register adds the derived ones.
  uint64_t acl_categories = 0;

  bool ArityMatches(size_t argc) const {
    return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
  }
  // The key arguments of `args` (a call that matched the arity): by first_key/last_key/step,
  // then movable_keys'.
  std::vector<std::string_view> KeysOf(const std::vector<std::string_view>& args) const;
  bool HasKeys() const { return first_key > 0 || movable_keys != nullptr; }
};

class CommandTable {
 public:
  CommandTable();  // registers every family

  // Case-insensitive lookup; nullptr if unknown.
  const CommandSpec* Find(std::string_view name) const;
  const std::vector<CommandSpec>& commands() const { return commands_; }

  void Register(const CommandSpec* specs, size_t count);

 private:
  std::vector<CommandSpec> commands_;
  std::unordered_map<std::string, size_t> by_name_;
};

// Families, one per file in server/commands/.
void RegisterConnectionCommands(CommandTable& table);
void RegisterStringCommands(CommandTable& table);
void RegisterKeyspaceCommands(CommandTable& table);
void RegisterServerCommands(CommandTable& table);
void RegisterTransactionCommands(CommandTable& table);
void RegisterBitCommands(CommandTable& table);
void RegisterObjectCommands(CommandTable& table);
void RegisterListCommands(CommandTable& table);
void RegisterHashCommands(CommandTable& table);
void RegisterSetCommands(CommandTable& table);
void RegisterMonitoringCommands(CommandTable& table);  // SLOWLOG, LATENCY
void RegisterPubSubCommands(CommandTable& table);
void RegisterZSetCommands(CommandTable& table);
void RegisterStreamCommands(CommandTable& table);
void RegisterGeoCommands(CommandTable& table);
void RegisterReplicationCommands(CommandTable& table);  // SYNC, PSYNC, REPLCONF, ROLE, WAIT
void RegisterAclCommands(CommandTable& table);
void RegisterScriptingCommands(CommandTable& table);  // EVAL, EVALSHA, SCRIPT
void RegisterMemoryCommands(CommandTable& table);     // MEMORY
void RegisterMigrateCommands(CommandTable& table);    // MIGRATE, CLUSTER (disabled)

// The CLIENT LIST / CLIENT INFO line of a connection (ending in a newline).
std::string DescribeClient(Server& server, const Connection& connection);

// Redis's texts for the common errors.
std::string WrongArityError(std::string_view command);  // "ERR wrong number of ... 'get' command"
std::string UnknownCommandError(const std::vector<std::string_view>& args);
std::string UnknownSubcommandError(std::string_view command, std::string_view sub);
// The Redis version Shale reports where clients expect one (HELLO, INFO redis_version): the
// command surface it follows.
inline constexpr std::string_view kRedisCompatibleVersion = "7.2.0";

// Replies to a failed storage call: -MISCONF when the WAL cannot be written (as Redis answers
// when it cannot persist), -ERR with the reason otherwise (e.g. a corrupt or unreadable table).
void ReplyStorageError(CommandContext& ctx, const storage::Status& status);
// MGET's and HMGET's reply: an array of values[i] where found[i], nil elsewhere.
void ReplyBulksOrNulls(protocol::ReplyWriter& reply, const std::vector<std::string>& values,
                       const std::vector<bool>& found);

// Blocking commands (BLPOP, BZPOPMIN...): the timeout argument (seconds, a float; 0 = none) as
// an absolute deadline in ms (0 = none), with Redis's errors; false after replying one.
bool ParseTimeout(CommandContext& ctx, std::string_view text, uint64_t* deadline_ms);
// Whether a blocking command that found nothing answers its timeout reply now: inside EXEC or a
// script (it never blocks there, as in Redis) or once its deadline has passed. Clears the timeout
// mark.
bool AnswerNothingNow(CommandContext& ctx);

// The STORE forms of sorted-set results (ZUNIONSTORE, ZRANGESTORE, GEOSEARCHSTORE...): `members`
// (distinct) replace `destination` (deleted when empty), with event `event` (or "del"); replies
// the size.
void StoreZSetAndReply(CommandContext& ctx, std::string_view destination,
                       const std::vector<keyspace::ScoredMember>& members, std::string_view event);

// Replication (server/replication.h): the running command is propagated as `argv` (for the
// connection's database) instead of what the client sent; several calls propagate several
// commands. Builds nothing while no replica has ever attached.
void PropagateAs(CommandContext& ctx, std::initializer_list<std::string_view> argv);
void PropagateAs(CommandContext& ctx, const std::vector<std::string_view>& argv);
// The running command propagates nothing (it changed nothing a replica must see).
void PropagateNothing(CommandContext& ctx);
// The running command propagates even though it changed no key (PUBLISH, SWAPDB).
void ForcePropagation(CommandContext& ctx);

inline constexpr std::string_view kSyntaxError = "ERR syntax error";
inline constexpr std::string_view kNotIntegerError = "ERR value is not an integer or out of range";

// Redis's string2ll (protocol/numbers.h): strict decimal int64, no spaces, no leading '+' or
// zeros.
using protocol::ParseInt64;
// Redis's getDoubleFromObject: the whole text is a double as strtod reads it, no leading blank,
// no overflow, no underflow to zero, not NaN ("inf" and "-inf" are accepted).
bool ParseDouble(std::string_view text, double* value);
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether `given` equals the non-empty `secret`, in a time that depends only on given.size():
// every byte of `given` is compared (against the secret repeated), with no early exit.
bool ConstantTimeEquals(std::string_view secret, std::string_view given);

}  // namespace shale::server
