#include "server/command_table.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <string>

#include "server/acl_categories.h"
#include "server/command_stats.h"
#include "server/connection.h"
#include "server/keyspace/keyspace.h"
#include "server/server.h"
#include "storage/db.h"

namespace shale::server {

CommandTable::CommandTable() {
  RegisterConnectionCommands(*this);
  RegisterStringCommands(*this);
  RegisterKeyspaceCommands(*this);
  RegisterServerCommands(*this);
  RegisterTransactionCommands(*this);
  RegisterBitCommands(*this);
  RegisterObjectCommands(*this);
  RegisterListCommands(*this);
  RegisterHashCommands(*this);
  RegisterSetCommands(*this);
  RegisterMonitoringCommands(*this);
  RegisterPubSubCommands(*this);
  RegisterZSetCommands(*this);
  RegisterStreamCommands(*this);
  RegisterGeoCommands(*this);
  RegisterReplicationCommands(*this);
  RegisterAclCommands(*this);
  RegisterScriptingCommands(*this);
  RegisterMemoryCommands(*this);
  RegisterMigrateCommands(*this);
}

void CommandTable::Register(const CommandSpec* specs, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    by_name_.emplace(std::string(specs[i].name), commands_.size());
    commands_.push_back(specs[i]);
    commands_.back().acl_categories =
        DeriveAclCategories(specs[i], IsContainerCommand(specs[i].name));
  }
}

const CommandSpec* CommandTable::Find(std::string_view name) const {
  // Command names are short; a stack copy avoids allocating on every lookup.
  char lower[32];
  if (name.size() >= sizeof(lower)) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  auto it = by_name_.find(std::string(lower, name.size()));
  return it == by_name_.end() ? nullptr : &commands_[it->second];
}

namespace {
template <typename Args>
void PropagateArgs(CommandContext& ctx, const Args& argv) {
  Replication& replication = ctx.server.replication();
  if (!replication.active()) return replication.Suppress();
  replication.Rewrite(ctx.connection.db(), std::vector<std::string>(argv.begin(), argv.end()));
}
}  // namespace

void PropagateAs(CommandContext& ctx, std::initializer_list<std::string_view> argv) {
  PropagateArgs(ctx, argv);
}

void PropagateAs(CommandContext& ctx, const std::vector<std::string_view>& argv) {
  PropagateArgs(ctx, argv);
}

void PropagateNothing(CommandContext& ctx) { ctx.server.replication().Suppress(); }

void ForcePropagation(CommandContext& ctx) { ctx.server.replication().Force(); }

void ReplyStorageError(CommandContext& ctx, const storage::Status& status) {
  // An I/O error is a persistence failure (-MISCONF) only when the WAL is what failed; a failed
  // table read is an error of that one command.
  if (keyspace::IsWrongType(status)) {
    ctx.reply.Error(keyspace::kWrongTypeError);
  } else if (status.IsIOError() && !ctx.db.WriteState().ok()) {
    ctx.reply.Error("MISCONF Errors writing to the WAL: " + status.message());
  } else {
    ctx.reply.Error("ERR " + status.ToString());
  }
}

std::string WrongArityError(std::string_view command) {
  return "ERR wrong number of arguments for '" + ToLower(command) + "' command";
}

std::string UnknownCommandError(const std::vector<std::string_view>& args) {
  // Redis: "unknown command '%.128s', with args beginning with: " then "'%.128s' " per arg,
  // the argument list itself cut at 128 bytes.
  std::string message = "ERR unknown command '";
  message.append(args[0].substr(0, 128));
  message += "', with args beginning with: ";
  std::string rest;
  for (size_t i = 1; i < args.size() && rest.size() < 128; ++i) {
    rest += '\'';
    rest.append(args[i].substr(0, 128 - rest.size()));
    rest += "' ";
  }
  message += rest;
  return message;
}

std::string UnknownSubcommandError(std::string_view command, std::string_view sub) {
  std::string upper;
  for (char c : command) upper += static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return "ERR unknown subcommand '" + std::string(sub.substr(0, 128)) + "'. Try " + upper +
         " HELP.";
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ParseDouble(std::string_view text, double* value) {
  if (text.empty() || text.size() > protocol::kMaxLongDoubleChars ||
      std::isspace(static_cast<unsigned char>(text[0]))) {
    return false;
  }
  const std::string s(text);
  char* end = nullptr;
  errno = 0;
  *value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || std::isnan(*value)) return false;
  return !(errno == ERANGE && (std::isinf(*value) || *value == 0));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::vector<std::string_view> CommandSpec::KeysOf(const std::vector<std::string_view>& args) const {
  std::vector<std::string_view> keys;
  if (first_key > 0) {
    const int argc = static_cast<int>(args.size());
    const int last = last_key < 0 ? argc + last_key : std::min(last_key, argc - 1);
    const int step = key_step > 0 ? key_step : 1;
    for (int i = first_key; i <= last; i += step) keys.push_back(args[static_cast<size_t>(i)]);
  }
  if (movable_keys != nullptr) movable_keys(args, &keys);
  return keys;
}

void ReplyBulksOrNulls(protocol::ReplyWriter& reply, const std::vector<std::string>& values,
                       const std::vector<bool>& found) {
  reply.ArrayHeader(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (found[i]) {
      reply.Bulk(values[i]);
    } else {
      reply.NullBulk();
    }
  }
}

bool ConstantTimeEquals(std::string_view secret, std::string_view given) {
  if (secret.empty()) return given.empty();
  // volatile keeps the compiler from turning the loop into an early-exit comparison.
  volatile unsigned char difference = secret.size() == given.size() ? 0 : 1;
  for (size_t i = 0; i < given.size(); ++i) {
    difference = static_cast<unsigned char>(
        difference | (static_cast<unsigned char>(given[i]) ^
                      static_cast<unsigned char>(secret[i % secret.size()])));
  }
  return difference == 0;
}

}  // namespace shale::server
