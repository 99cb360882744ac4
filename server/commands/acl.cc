// ACL (Redis 7's acl.c commands): SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, LOG,
// SAVE, LOAD, GENPASS, DRYRUN, HELP; Dispatch's permission check, the ACL LOG entries of
// refusals, and the users' set-up at start (requirepass, `user` directives, aclfile).
#include "server/acl.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "server/acl_categories.h"
#include "server/command_table.h"
#include "server/connection.h"
#include "server/glob.h"
#include "server/server.h"

namespace shale::server {

namespace {

constexpr std::string_view kNoAclFile =
    "ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
    "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
    "configuration file set) in order to store users in the Redis configuration.";

constexpr std::string_view kAclHelp[] = {
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
};

// Closes the connections of `users` (the caller's own after its reply), as Redis does when a
// user is deleted or replaced by ACL LOAD.
void DisconnectUsers(CommandContext& ctx, const std::vector<std::shared_ptr<AclUser>>& users) {
  if (users.empty()) return;
  std::vector<Connection*> doomed;
  for (const auto& [id, connection] : ctx.server.clients()) {
    for (const auto& user : users) {
      if (connection->user_ptr() == user) doomed.push_back(connection);
    }
  }
  for (Connection* connection : doomed) {
    if (connection == &ctx.connection) {
      connection->CloseAfterReply();
    } else {
      connection->Close();
    }
  }
}

// Redis 7's ACLKillPubsubClientsIfNeeded: after a change of `user`'s channel permissions, its
// connections subscribed to a channel or pattern it may no longer use are closed.
void DisconnectRevokedSubscribers(CommandContext& ctx, const std::shared_ptr<AclUser>& user) {
  if (user->all_channels()) return;
  auto allowed = [&](std::string_view channel, bool literal) {
    const auto& patterns = user->channel_patterns();
    return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
      return literal ? p == channel : GlobMatch(p, channel);
    });
  };
  std::vector<Connection*> doomed;
  for (const auto& [id, connection] : ctx.server.clients()) {
    if (connection->user_ptr() != user || !connection->subscribed()) continue;
    bool revoked = false;
    for (const auto& channel : connection->channels()) {
      revoked = revoked || !allowed(channel, false);
    }
    for (const auto& channel : connection->shard_channels()) {
      revoked = revoked || !allowed(channel, false);
    }
    for (const auto& pattern : connection->patterns()) {
      revoked = revoked || !allowed(pattern, true);
    }
    if (revoked) doomed.push_back(connection);
  }
  for (Connection* connection : doomed) {
    if (connection == &ctx.connection) {
      connection->CloseAfterReply();
    } else {
      connection->Close();
    }
  }
}

void ReplyGetUser(CommandContext& ctx, const Acl& acl, const AclUser& user) {
  ctx.reply.MapHeader(6);
  ctx.reply.Bulk("flags");
  std::vector<std::string_view> flags;
  flags.push_back(user.enabled() ? "on" : "off");
  if (user.nopass()) flags.push_back("nopass");
  if (user.skip_sanitize_payload()) flags.push_back("skip-sanitize-payload");
  if (user.sanitize_payload()) flags.push_back("sanitize-payload");
  ctx.reply.ArrayHeader(flags.size());
  for (std::string_view flag : flags) ctx.reply.Bulk(flag);
  ctx.reply.Bulk("passwords");
  ctx.reply.ArrayHeader(user.password_hashes().size());
  for (const std::string& hash : user.password_hashes()) ctx.reply.Bulk(hash);
  ctx.reply.Bulk("commands");
  ctx.reply.Bulk(acl.DescribeCommands(user));
  ctx.reply.Bulk("keys");
  ctx.reply.Bulk(Acl::DescribeKeys(user));
  ctx.reply.Bulk("channels");
  ctx.reply.Bulk(Acl::DescribeChannels(user));
  ctx.reply.Bulk("selectors");
  ctx.reply.ArrayHeader(0);
}

void ReplyLog(CommandContext& ctx, size_t count) {
  const std::deque<AclLogEntry>& log = ctx.server.acl().log();
  count = std::min(count, log.size());
  const uint64_t now = ctx.server.NowMs();
  ctx.reply.ArrayHeader(count);
  for (size_t i = 0; i < count; ++i) {
    const AclLogEntry& entry = log[i];
    ctx.reply.MapHeader(10);
    ctx.reply.Bulk("count");
    ctx.reply.Integer(static_cast<int64_t>(entry.count));
    ctx.reply.Bulk("reason");
    ctx.reply.Bulk(entry.reason);
    ctx.reply.Bulk("context");
    ctx.reply.Bulk(entry.context);
    ctx.reply.Bulk("object");
    ctx.reply.Bulk(entry.object);
    ctx.reply.Bulk("username");
    ctx.reply.Bulk(entry.username);
    ctx.reply.Bulk("age-seconds");
    ctx.reply.Double(static_cast<double>(now - std::min(now, entry.created_ms)) / 1000.0);
    ctx.reply.Bulk("client-info");
    ctx.reply.Bulk(entry.client_info);
    ctx.reply.Bulk("entry-id");
    ctx.reply.Integer(static_cast<int64_t>(entry.entry_id));
    ctx.reply.Bulk("timestamp-created");
    ctx.reply.Integer(static_cast<int64_t>(entry.created_ms));
    ctx.reply.Bulk("timestamp-last-updated");
    ctx.reply.Integer(static_cast<int64_t>(entry.updated_ms));
  }
}

// Writes every user's line to the aclfile: a temporary file, fsynced, renamed over it.
bool SaveAclFile(const Acl& acl, const std::string& path, std::string* error) {
  std::string text;
  for (const std::string& line : acl.DescribeAll()) text += line + "\n";
  const std::string tmp = path + ".tmp-" + std::to_string(getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f != nullptr;
  if (ok) {
    ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
    ok = std::fclose(f) == 0 && ok;
  }
  ok = ok && std::rename(tmp.c_str(), path.c_str()) == 0;
  if (!ok) {
    spdlog::warn("Saving the ACL file {}: {}", path, std::strerror(errno));
    std::remove(tmp.c_str());
    *error =
        "ERR There was an error trying to save the ACLs. Please check the server logs for "
        "more information";
  }
  return ok;
}

// Reads the aclfile; false with Redis's message if it cannot be opened.
bool ReadAclFile(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "Error loading ACLs, opening file '" + path + "': " + std::strerror(errno);
    return false;
  }
  text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

void AclCommand(CommandContext& ctx) {
  Acl& acl = ctx.server.acl();
  const std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  // Arity per subcommand, Redis's convention (N exact, -N at least N).
  auto arity_ok = [&](int arity) {
    const bool ok =
        arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
    if (!ok) {
      ctx.reply.Error("ERR wrong number of arguments for 'acl|" + ToLower(sub) + "' command");
    }
    return ok;
  };
  auto usage_error = [&] {
    std::string upper;
    for (char c : sub) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + upper +
                    "'. Try ACL HELP.");
  };
  if (EqualsIgnoreCase(sub, "setuser")) {
    if (!arity_ok(-3)) return;
    const std::vector<std::string_view> rules(ctx.args.begin() + 3, ctx.args.end());
    std::string error;
    if (!acl.SetUser(ctx.args[2], rules, &error)) return ctx.reply.Error(error);
    DisconnectRevokedSubscribers(ctx, acl.Find(ctx.args[2]));
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "getuser")) {
    if (!arity_ok(3)) return;
    std::shared_ptr<AclUser> user = acl.Find(ctx.args[2]);
    if (user == nullptr) return ctx.reply.NullBulk();
    ReplyGetUser(ctx, acl, *user);
  } else if (EqualsIgnoreCase(sub, "deluser")) {
    if (!arity_ok(-3)) return;
    std::vector<std::shared_ptr<AclUser>> deleted;
    for (size_t i = 2; i < argc; ++i) {
      if (ctx.args[i] == "default") {
        DisconnectUsers(ctx, deleted);
        return ctx.reply.Error("ERR The 'default' user cannot be removed");
      }
      std::shared_ptr<AclUser> user = acl.DeleteUser(ctx.args[i]);
      if (user != nullptr) deleted.push_back(std::move(user));
    }
    DisconnectUsers(ctx, deleted);
    ctx.reply.Integer(static_cast<int64_t>(deleted.size()));
  } else if (EqualsIgnoreCase(sub, "list")) {
    if (!arity_ok(2)) return;
    const std::vector<std::string> lines = acl.DescribeAll();
    ctx.reply.ArrayHeader(lines.size());
    for (const std::string& line : lines) ctx.reply.Bulk(line);
  } else if (EqualsIgnoreCase(sub, "users")) {
    if (!arity_ok(2)) return;
    const std::vector<std::string> names = acl.UserNames();
    ctx.reply.ArrayHeader(names.size());
    for (const std::string& name : names) ctx.reply.Bulk(name);
  } else if (EqualsIgnoreCase(sub, "whoami")) {
    if (!arity_ok(2)) return;
    ctx.reply.Bulk(ctx.connection.user().name());
  } else if (EqualsIgnoreCase(sub, "cat")) {
    if (argc > 3) return usage_error();
    if (argc == 2) {
      ctx.reply.ArrayHeader(kAclCategoryCount);
      for (std::string_view name : kAclCategoryNames) ctx.reply.Bulk(name);
      return;
    }
    const uint64_t category = AclCategoryByName(ctx.args[2]);
    if (category == 0) {
      return ctx.reply.Error("ERR Unknown category '" + std::string(ctx.args[2]) + "'");
    }
    std::vector<std::string_view> names;
    for (size_t slot = 0; slot < acl.slot_count(); ++slot) {
      if ((acl.SlotCategories(slot) & category) != 0) names.push_back(acl.SlotName(slot));
    }
    ctx.reply.ArrayHeader(names.size());
    for (std::string_view name : names) ctx.reply.Bulk(name);
  } else if (EqualsIgnoreCase(sub, "log")) {
    if (argc > 3) return usage_error();
    size_t count = 10;
    if (argc == 3) {
      if (EqualsIgnoreCase(ctx.args[2], "reset")) {
        acl.ResetLog();
        return ctx.reply.SimpleString("OK");
      }
      int64_t n = 0;
      if (!ParseInt64(ctx.args[2], &n)) return ctx.reply.Error(kNotIntegerError);
      count = n < 0 ? 0 : static_cast<size_t>(n);
    }
    ReplyLog(ctx, count);
  } else if (EqualsIgnoreCase(sub, "save")) {
    if (!arity_ok(2)) return;
    const std::string& path = ctx.server.config().aclfile;
    if (path.empty()) return ctx.reply.Error(kNoAclFile);
    std::string error;
    if (!SaveAclFile(acl, path, &error)) return ctx.reply.Error(error);
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "load")) {
    if (!arity_ok(2)) return;
    const std::string& path = ctx.server.config().aclfile;
    if (path.empty()) return ctx.reply.Error(kNoAclFile);
    std::string text, error;
    std::vector<std::shared_ptr<AclUser>> replaced;
    if (!ReadAclFile(path, &text, &error) || !acl.LoadFile(text, path, &replaced, &error)) {
      return ctx.reply.Error("ERR " + error);
    }
    DisconnectUsers(ctx, replaced);
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "genpass")) {
    if (argc > 3) return usage_error();
    int64_t bits = 256;
    if (argc == 3 && !ParseInt64(ctx.args[2], &bits)) return ctx.reply.Error(kNotIntegerError);
    if (bits <= 0 || bits > 4096) {
      return ctx.reply.Error(
          "ERR ACL GENPASS argument must be the number of bits for the output password, a "
          "positive number up to 4096");
    }
    std::string password;
    if (!AclGeneratePassword(static_cast<int>(bits), &password)) {
      return ctx.reply.Error("ERR Reading the system's random source failed");
    }
    ctx.reply.Bulk(password);
  } else if (EqualsIgnoreCase(sub, "dryrun")) {
    if (!arity_ok(-4)) return;
    std::shared_ptr<AclUser> user = acl.Find(ctx.args[2]);
    if (user == nullptr) {
      return ctx.reply.Error("ERR User '" + std::string(ctx.args[2]) + "' not found");
    }
    const CommandSpec* spec = ctx.server.commands().Find(ctx.args[3]);
    if (spec == nullptr) {
      return ctx.reply.Error("ERR Command '" + std::string(ctx.args[3]) + "' not found");
    }
    const std::vector<std::string_view> call(ctx.args.begin() + 3, ctx.args.end());
    if (!spec->ArityMatches(call.size())) return ctx.reply.Error(WrongArityError(spec->name));
    std::string object;
    switch (acl.Check(*user, *spec, call, &object)) {
      case Acl::Verdict::kAllowed:
        return ctx.reply.SimpleString("OK");
      case Acl::Verdict::kCommand:
        return ctx.reply.Bulk("User " + user->name() + " has no permissions to run the '" + object +
                              "' command");
      case Acl::Verdict::kKey:
        return ctx.reply.Bulk("No permissions to access the '" + object + "' key");
      case Acl::Verdict::kChannel:
        return ctx.reply.Bulk("No permissions to access the '" + object + "' channel");
    }
  } else if (EqualsIgnoreCase(sub, "help")) {
    if (!arity_ok(2)) return;
    ctx.reply.ArrayHeader(std::size(kAclHelp));
    for (std::string_view line : kAclHelp) ctx.reply.SimpleString(line);
  } else {
    ctx.reply.Error(UnknownSubcommandError("acl", sub));
  }
}

const CommandSpec kAclCommands[] = {
    {"acl", -2, kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, AclCommand, "server", "6.0.0",
     "A container for Access List Control commands.", "subcommand [argument ...]"},
};

}  // namespace

namespace {

// Checks, counts and logs; *object names what was refused.
Acl::Verdict CheckAndLog(Server& server, Connection& connection, const CommandSpec& spec,
                         const std::vector<std::string_view>& args, std::string* object) {
  Acl& acl = server.acl();
  const AclUser& user = connection.user();
  const Acl::Verdict verdict = acl.Check(user, spec, args, object);
  if (verdict == Acl::Verdict::kAllowed) return verdict;
  std::string_view reason;
  switch (verdict) {
    case Acl::Verdict::kCommand:
      server.stats().acl_access_denied_cmd++;
      reason = "command";
      break;
    case Acl::Verdict::kKey:
      server.stats().acl_access_denied_key++;
      reason = "key";
      break;
    case Acl::Verdict::kChannel:
      server.stats().acl_access_denied_channel++;
      reason = "channel";
      break;
    case Acl::Verdict::kAllowed:
      break;
  }
  std::string info = DescribeClient(server, connection);
  if (!info.empty() && info.back() == '\n') info.pop_back();
  acl.AddLogEntry(reason, connection.transaction().in_multi() ? "multi" : "toplevel", *object,
                  user.name(), std::move(info), server.NowMs(),
                  static_cast<size_t>(server.config().acllog_max_len));
  return verdict;
}

}  // namespace

std::string CheckPermissions(Server& server, Connection& connection, const CommandSpec& spec,
                             const std::vector<std::string_view>& args) {
  std::string object;
  const Acl::Verdict verdict = CheckAndLog(server, connection, spec, args, &object);
  if (verdict == Acl::Verdict::kAllowed) return {};
  return Acl::DenialError(verdict, connection.user(), object);
}

std::string CheckQueuedPermissions(Server& server, Connection& connection, const CommandSpec& spec,
                                   const std::vector<std::string_view>& args) {
  std::string object;
  std::string_view reason;
  switch (CheckAndLog(server, connection, spec, args, &object)) {
    case Acl::Verdict::kAllowed:
      return {};
    case Acl::Verdict::kCommand:
      reason = "no permission to execute the command or subcommand";
      break;
    case Acl::Verdict::kKey:
      reason = "no permission to touch the specified keys";
      break;
    case Acl::Verdict::kChannel:
      reason = "no permission to access one of the channels used as arguments";
      break;
  }
  return "NOPERM ACLs rules changed between the moment the transaction was accumulated and its "
         "execution. User " +
         connection.user().name() + " has " + std::string(reason);
}

void NoteFailedAuth(Server& server, Connection& connection, std::string_view username) {
  server.stats().acl_access_denied_auth++;
  std::string info = DescribeClient(server, connection);
  if (!info.empty() && info.back() == '\n') info.pop_back();
  server.acl().AddLogEntry("auth", connection.transaction().in_multi() ? "multi" : "toplevel",
                           "AUTH", username, std::move(info), server.NowMs(),
                           static_cast<size_t>(server.config().acllog_max_len));
}

bool SetUpUsers(Server& server, std::string* error) {
  const Config& config = server.config();
  Acl& acl = server.acl();
  acl.SetDefaultPassword(config.requirepass);
  if (!config.users.empty() && !config.aclfile.empty()) {
    *error =
        "Configuring Redis with users defined in redis.conf and at the same setting an ACL file "
        "path is invalid. This setup is very likely to lead to configuration errors and security "
        "holes, please define either an ACL file or declare users directly in your redis.conf, "
        "but not both.";
    return false;
  }
  if (!acl.LoadDirectives(config.users, error)) return false;
  if (!config.aclfile.empty()) {
    std::string text;
    std::vector<std::shared_ptr<AclUser>> replaced;
    if (!ReadAclFile(config.aclfile, &text, error) ||
        !acl.LoadFile(text, config.aclfile, &replaced, error)) {
      *error = "Aborting Redis startup because of ACL errors: " + *error;
      return false;
    }
  }
  return true;
}

void RegisterAclCommands(CommandTable& table) {
  table.Register(kAclCommands, std::size(kAclCommands));
}

}  // namespace shale::server
