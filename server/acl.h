// Redis 7's access control lists: users, their rules, the permission check every command
// passes, and the ACL LOG.
//
// A user has a name, is on or off, has passwords (kept only as the lower-case hex SHA-256 of
// each, Redis's form) or `nopass`, and three sets of permissions:
//   - commands: one bit per command slot of CommandStats (every table row, and each
//     subcommand of a container: "config|get"), changed by +cmd -cmd +cmd|sub +@category
//     -@category +@all (allcommands) -@all (nocommands). For a command that is not a container,
//     +cmd|arg allows that command only when its first argument is `arg` (Redis's first-arg
//     rules, "+select|0").
//   - keys: glob patterns, each for reading, writing or both (%R~p, %W~p, ~p = %RW~p), or
//     allkeys (~*). A read-only command needs read access to each of its keys (CommandSpec::
//     KeysOf), a write command write access, and also read access unless it is one of the
//     writes that return nothing of what they write over (SET without GET, DEL, LPUSH ...).
//     Redis decides per key through its key specs; Shale's rule never allows what Redis denies
//     for these commands, and may deny a write that Redis lets a write-only pattern run.
//   - channels: glob patterns (&p) or allchannels (&*). PUBLISH and SUBSCRIBE match the channel
//     against the patterns; PSUBSCRIBE's pattern must be one of the user's patterns, literally.
// The rules are applied left to right; `reset` is resetpass resetkeys resetchannels off -@all.
//
// The text form of a user (ACL LIST, ACL SAVE, the aclfile and the config file's `user`
// lines), Redis 7's:
//   user <name> on|off [nopass] [#<sha256-hex> ...] ~<pat>|%R~<pat>|%W~<pat>... |~*
//        [resetchannels] &<pat>... |&* <command rules>
// where the command rules are "+@all" or "-@all" followed by the rules given since the last
// +@all/-@all, each command or category once, at the place of its last mention (Redis 7.2's
// form). Loading that line gives the same user back.
//
// Threading: event-loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shale::server {

class CommandStats;
class CommandTable;
struct CommandSpec;

enum AclKeyAccess : uint8_t { kAclKeyRead = 1, kAclKeyWrite = 2, kAclKeyReadWrite = 3 };

struct AclKeyPattern {
  std::string pattern;
  uint8_t access = kAclKeyReadWrite;
};

class AclUser {
 public:
  AclUser(std::string name, size_t command_slots);

  const std::string& name() const { return name_; }
  bool enabled() const { return enabled_; }
  bool nopass() const { return nopass_; }
  // Redis's sanitize-payload / skip-sanitize-payload flags (shown, with no effect: Shale's
  // RESTORE always checks a payload in full).
  bool sanitize_payload() const { return sanitize_payload_; }
  bool skip_sanitize_payload() const { return skip_sanitize_payload_; }
  const std::vector<std::string>& password_hashes() const { return passwords_; }
  // Every command, every key and every channel: the permission check has nothing to do.
  bool unrestricted() const { return unrestricted_; }
  bool all_keys() const { return all_keys_; }
  bool all_channels() const { return all_channels_; }
  const std::vector<AclKeyPattern>& key_patterns() const { return key_patterns_; }
  const std::vector<std::string>& channel_patterns() const { return channel_patterns_; }
  bool CommandAllowed(size_t slot) const { return commands_[slot]; }

 private:
  friend class Acl;
  void Refresh();

  std::string name_;
  bool enabled_ = false;
  bool nopass_ = false;
  bool sanitize_payload_ = false;
  bool skip_sanitize_payload_ = false;
  std::vector<std::string> passwords_;  // hex SHA-256, in the order added
  std::vector<bool> commands_;          // per command slot
  // Set by +@all, cleared by -@all: commands added later are allowed (Redis's reserved bit).
  bool future_commands_ = false;
  // Per slot: the first arguments allowed while the slot itself is not (+select|0).
  std::map<size_t, std::vector<std::string>> first_args_;
  std::vector<std::string> command_rules_;  // "+get", "-@string" ... since the last +/-@all
  bool all_keys_ = false;
  std::vector<AclKeyPattern> key_patterns_;
  bool all_channels_ = false;
  std::vector<std::string> channel_patterns_;
  bool unrestricted_ = false;
};

// One ACL LOG entry (Redis 7.2's fields).
struct AclLogEntry {
  uint64_t count = 1;
  std::string reason;   // "command", "key", "channel", "auth"
  std::string context;  // "toplevel", "multi"
  std::string object;   // the command ("client|id"), key, channel, or "AUTH"
  std::string username;
  std::string client_info;  // the CLIENT LIST line of the client, without the newline
  uint64_t entry_id = 0;
  uint64_t created_ms = 0;
  uint64_t updated_ms = 0;
};

class Acl {
 public:
  // The command slots are `stats`' (one per table row and container subcommand).
  Acl(const CommandTable& table, const CommandStats& stats);

  const std::shared_ptr<AclUser>& default_user() const { return default_user_; }
  // nullptr if there is none.
  std::shared_ptr<AclUser> Find(std::string_view name) const;
  // Sorted by name.
  std::vector<std::string> UserNames() const;
  const std::map<std::string, std::shared_ptr<AclUser>, std::less<>>& users() const {
    return users_;
  }

  // ACL SETUSER: applies `rules` to the user `name` (created, off and with no permissions, if
  // it does not exist), all or nothing: on error nothing changes and *error is Redis's
  // "ERR Error in ACL SETUSER modifier '<rule>': <reason>". The user object stays the same,
  // so its connections see the change.
  bool SetUser(std::string_view name, const std::vector<std::string_view>& rules,
               std::string* error);
  // Removes the user (never "default"); its connections keep the object until they close.
  std::shared_ptr<AclUser> DeleteUser(std::string_view name);
  // requirepass and the default user's password are one thing: resetpass, then >password, or
  // nopass when `password` is empty.
  void SetDefaultPassword(std::string_view password);

  // The user `name` if it is on and `password` is one of its passwords (or it is nopass).
  std::shared_ptr<AclUser> Authenticate(std::string_view name, std::string_view password) const;

  // Redis's authRequired(): clients start unauthenticated unless the default user is on and
  // nopass.
  bool DefaultUserNeedsAuth() const {
    return !default_user_->nopass() || !default_user_->enabled();
  }

  // The permission check of a call that matched the arity. kAllowed, or what is refused, with
  // *object naming it (the command's full name, the key or the channel).
  enum class Verdict { kAllowed, kCommand, kKey, kChannel };
  Verdict Check(const AclUser& user, const CommandSpec& spec,
                const std::vector<std::string_view>& args, std::string* object) const;
  // The error reply of a refusal (Redis 7.2's texts).
  static std::string DenialError(Verdict verdict, const AclUser& user, std::string_view object);
  // A command slot's full name and categories.
  const std::string& SlotName(size_t slot) const;
  uint64_t SlotCategories(size_t slot) const { return slot_categories_[slot]; }
  size_t slot_count() const { return slot_categories_.size(); }

  // ACL GETUSER's and ACL LIST's parts.
  std::string DescribeCommands(const AclUser& user) const;
  static std::string DescribeKeys(const AclUser& user);
  static std::string DescribeChannels(const AclUser& user);
  std::string Describe(const AclUser& user) const;  // "user alice on #... ~* &* +@all"
  // Every user's Describe() line, by name (ACL LIST, ACL SAVE, CONFIG REWRITE).
  std::vector<std::string> DescribeAll() const;

  // Replaces every user with those of `text` (the aclfile format: one user line each, blank
  // lines and # comments skipped), all or nothing. The default user keeps its object and
  // takes the file's rules, or Redis's defaults (on nopass ~* &* +@all) if the file has none.
  // Returns the users replaced (their connections must be closed, as Redis does). On error
  // *error holds Redis's message: "<source>:<line>: <reason>. " for each bad line.
  bool LoadFile(std::string_view text, std::string_view source,
                std::vector<std::shared_ptr<AclUser>>* replaced, std::string* error);
  // The config file's `user` directives (each the words after "user"), on top of the users
  // there are. *error: "Error in user declaration '<name>': <reason>".
  bool LoadDirectives(const std::vector<std::vector<std::string>>& users, std::string* error);

  // ACL LOG. Similar entries (same reason, context, object and user) within 60 s update the
  // newest such entry among the 10 newest instead of adding one, as Redis.
  void AddLogEntry(std::string_view reason, std::string_view context, std::string_view object,
                   std::string_view username, std::string client_info, uint64_t now_ms,
                   size_t max_len);
  const std::deque<AclLogEntry>& log() const { return log_; }  // newest first
  void ResetLog() { log_.clear(); }
  void TrimLog(size_t max_len);

 private:
  bool ApplyRule(AclUser& user, std::string_view rule, std::string* reason) const;
  bool ApplyCommandRule(AclUser& user, std::string_view rule, std::string* reason) const;
  void SetSlots(AclUser& user, std::string_view command, bool allow) const;
  // Slot of a row name or "parent|sub"; -1 if none.
  long SlotByName(std::string_view name) const;
  std::shared_ptr<AclUser> NewUser(std::string_view name) const;
  std::shared_ptr<AclUser> NewDefaultUser() const;

  const CommandTable& table_;
  const CommandStats& stats_;
  std::vector<uint64_t> slot_categories_;
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> users_;
  std::shared_ptr<AclUser> default_user_;
  std::deque<AclLogEntry> log_;
  uint64_t next_entry_id_ = 0;
};

// Redis's ACL GENPASS: `bits` random bits (rounded up to whole hex digits) from the system's
// random source, as lower-case hex. False if the random source cannot be read.
bool AclGeneratePassword(int bits, std::string* password);

// The server's side (server/commands/acl.cc).
class Server;
class Connection;
// Dispatch's check of a call by a user that is not unrestricted: empty when allowed, else the
// error reply, with the refusal counted (INFO acl_access_denied_*) and logged (ACL LOG).
std::string CheckPermissions(Server& server, Connection& connection, const CommandSpec& spec,
                             const std::vector<std::string_view>& args);
// EXEC's check of a queued command (the user's rules may have changed since it was queued):
// empty when allowed, else Redis's "NOPERM ACLs rules changed ..." error, counted and logged.
std::string CheckQueuedPermissions(Server& server, Connection& connection, const CommandSpec& spec,
                                   const std::vector<std::string_view>& args);
// A failed AUTH or HELLO AUTH as `username`: counted and logged.
void NoteFailedAuth(Server& server, Connection& connection, std::string_view username);
// At start: the default user's password from requirepass, then the config file's `user`
// directives or the aclfile (not both). False with the reason to print and exit.
bool SetUpUsers(Server& server, std::string* error);

}  // namespace shale::server
