#include "server/acl.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include "server/acl_categories.h"
#include "server/command_stats.h"
#include "server/command_table.h"
#include "server/config.h"
#include "server/glob.h"
#include "server/sha256.h"

namespace shale::server {

namespace {

// Redis's ACLSetUserStringError texts.
constexpr std::string_view kSyntaxErrorReason = "Syntax error";
constexpr std::string_view kUnknownNameReason = "Unknown command or category name in ACL";
constexpr std::string_view kKeyAfterAllKeys =
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have "
    "any effect. Try 'resetkeys' to start with an empty list of patterns";
constexpr std::string_view kChannelAfterAllChannels =
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not "
    "have any effect. Try 'resetchannels' to start with an empty list of channels";
constexpr std::string_view kNoSuchPassword =
    "The password you are trying to remove from the user does not exist";
constexpr std::string_view kBadHash =
    "The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
    "characters";

// Redis's time window and search depth for folding a denial into an earlier ACL LOG entry.
constexpr uint64_t kLogGroupingMs = 60000;
constexpr int kLogGroupingScan = 10;

bool ValidHash(std::string_view hash) {
  if (hash.size() != 64) return false;
  return std::all_of(hash.begin(), hash.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The write commands whose reply holds nothing of the value they write over: they need write
// access to their keys, not read access.
bool WriteOnlyCommand(std::string_view name) {
  static constexpr std::string_view kNames[] = {"append",
                                                "del",
                                                "unlink",
                                                "expire",
                                                "pexpire",
                                                "expireat",
                                                "pexpireat",
                                                "persist",
                                                "lpush",
                                                "rpush",
                                                "lpushx",
                                                "rpushx",
                                                "linsert",
                                                "lset",
                                                "ltrim",
                                                "lrem",
                                                "sadd",
                                                "srem",
                                                "hset",
                                                "hmset",
                                                "hsetnx",
                                                "hdel",
                                                "zadd",
                                                "zrem",
                                                "mset",
                                                "msetnx",
                                                "setex",
                                                "psetex",
                                                "setnx",
                                                "setrange",
                                                "setbit",
                                                "zremrangebyscore",
                                                "zremrangebyrank",
                                                "zremrangebylex",
                                                "flushdb",
                                                "flushall",
                                                "touch",
                                                "pfadd",
                                                "geoadd"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

// The key access a call needs (kAclKeyRead / kAclKeyWrite bits).
uint8_t KeyAccessOf(const CommandSpec& spec, const std::vector<std::string_view>& args) {
  if ((spec.flags & kCmdWrite) == 0) return kAclKeyRead;
  if (spec.name == "set") {
    // SET ... GET returns the old value.
    for (size_t i = 3; i < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "get")) return kAclKeyReadWrite;
    }
    return kAclKeyWrite;
  }
  return WriteOnlyCommand(spec.name) ? kAclKeyWrite : kAclKeyReadWrite;
}

// Removes the rule for `body` (and, for a command, its first-arg rules "body|...") and appends
// sign+body: Redis 7.2's ACLUpdateCommandRules.
void UpdateCommandRules(std::vector<std::string>* rules, const std::string& body, bool allow) {
  const bool command = body.find('|') == std::string::npos && body[0] != '@';
  std::erase_if(*rules, [&](const std::string& rule) {
    std::string_view existing = std::string_view(rule).substr(1);
    return existing == body || (command && existing.starts_with(body + "|"));
  });
  rules->push_back((allow ? "+" : "-") + body);
}

}  // namespace

AclUser::AclUser(std::string name, size_t command_slots)
    : name_(std::move(name)), commands_(command_slots, false) {}

void AclUser::Refresh() {
  unrestricted_ = all_keys_ && all_channels_ &&
                  std::all_of(commands_.begin(), commands_.end(), [](bool b) { return b; });
}

Acl::Acl(const CommandTable& table, const CommandStats& stats) : table_(table), stats_(stats) {
  const std::vector<std::string>& names = stats_.names();
  slot_categories_.resize(names.size());
  for (size_t slot = 0; slot < names.size(); ++slot) {
    if (names[slot].find('|') != std::string::npos) {
      slot_categories_[slot] = SubcommandAclCategories(names[slot]);
    } else {
      slot_categories_[slot] = table_.Find(names[slot])->acl_categories;
    }
  }
  default_user_ = NewDefaultUser();
  users_.emplace("default", default_user_);
}

std::shared_ptr<AclUser> Acl::NewUser(std::string_view name) const {
  return std::make_shared<AclUser>(std::string(name), slot_categories_.size());
}

std::shared_ptr<AclUser> Acl::NewDefaultUser() const {
  std::shared_ptr<AclUser> user = NewUser("default");
  std::string reason;
  for (std::string_view rule : {"+@all", "~*", "&*", "on", "nopass"}) {
    ApplyRule(*user, rule, &reason);
  }
  user->Refresh();
  return user;
}

std::shared_ptr<AclUser> Acl::Find(std::string_view name) const {
  auto it = users_.find(name);
  return it == users_.end() ? nullptr : it->second;
}

std::vector<std::string> Acl::UserNames() const {
  std::vector<std::string> names;
  for (const auto& [name, user] : users_) names.push_back(name);
  return names;
}

const std::string& Acl::SlotName(size_t slot) const { return stats_.names()[slot]; }

long Acl::SlotByName(std::string_view name) const {
  const std::vector<std::string>& names = stats_.names();
  for (size_t slot = 0; slot < names.size(); ++slot) {
    if (EqualsIgnoreCase(names[slot], name)) return static_cast<long>(slot);
  }
  return -1;
}

void Acl::SetSlots(AclUser& user, std::string_view command, bool allow) const {
  const std::vector<std::string>& names = stats_.names();
  for (size_t slot = 0; slot < names.size(); ++slot) {
    const std::string& name = names[slot];
    if (name == command || (name.size() > command.size() && name.starts_with(command) &&
                            name[command.size()] == '|')) {
      user.commands_[slot] = allow;
      user.first_args_.erase(slot);
    }
  }
}

bool Acl::ApplyCommandRule(AclUser& user, std::string_view rule, std::string* reason) const {
  const bool allow = rule[0] == '+';
  const std::string body = ToLower(rule.substr(1));
  if (body.empty()) {
    *reason = kUnknownNameReason;
    return false;
  }
  if (body[0] == '@') {
    const uint64_t category = AclCategoryByName(std::string_view(body).substr(1));
    if (category == 0) {
      *reason = kUnknownNameReason;
      return false;
    }
    for (size_t slot = 0; slot < slot_categories_.size(); ++slot) {
      if ((slot_categories_[slot] & category) != 0) {
        user.commands_[slot] = allow;
        user.first_args_.erase(slot);
      }
    }
    UpdateCommandRules(&user.command_rules_, body, allow);
    return true;
  }
  const size_t bar = body.find('|');
  const CommandSpec* spec = table_.Find(std::string_view(body).substr(0, bar));
  if (spec == nullptr) {
    *reason = kUnknownNameReason;
    return false;
  }
  if (bar == std::string::npos) {
    SetSlots(user, spec->name, allow);
    UpdateCommandRules(&user.command_rules_, body, allow);
    return true;
  }
  const std::string_view sub = std::string_view(body).substr(bar + 1);
  if (sub.empty() || sub.find('|') != std::string_view::npos) {
    *reason = kSyntaxErrorReason;
    return false;
  }
  if (IsContainerCommand(spec->name)) {
    const long slot = SlotByName(body);
    if (slot < 0) {
      *reason = kUnknownNameReason;
      return false;
    }
    user.commands_[static_cast<size_t>(slot)] = allow;
    user.first_args_.erase(static_cast<size_t>(slot));
    UpdateCommandRules(&user.command_rules_, body, allow);
    return true;
  }
  // A first-arg rule: only to allow, as in Redis.
  if (!allow) {
    *reason = kUnknownNameReason;
    return false;
  }
  const auto slot = static_cast<size_t>(SlotByName(spec->name));
  if (!user.commands_[slot]) {
    std::vector<std::string>& allowed = user.first_args_[slot];
    if (std::find(allowed.begin(), allowed.end(), sub) == allowed.end()) {
      allowed.emplace_back(sub);
    }
  }
  UpdateCommandRules(&user.command_rules_, body, allow);
  return true;
}

bool Acl::ApplyRule(AclUser& user, std::string_view rule, std::string* reason) const {
  auto is = [&](std::string_view word) { return EqualsIgnoreCase(rule, word); };
  if (rule.empty()) {
    *reason = kSyntaxErrorReason;
    return false;
  }
  if (is("on")) {
    user.enabled_ = true;
  } else if (is("off")) {
    user.enabled_ = false;
  } else if (is("nopass")) {
    user.nopass_ = true;
    user.passwords_.clear();
  } else if (is("resetpass")) {
    user.nopass_ = false;
    user.passwords_.clear();
  } else if (is("sanitize-payload")) {
    user.sanitize_payload_ = true;
    user.skip_sanitize_payload_ = false;
  } else if (is("skip-sanitize-payload")) {
    user.skip_sanitize_payload_ = true;
    user.sanitize_payload_ = false;
  } else if (rule[0] == '>' || rule[0] == '#') {
    std::string hash = rule[0] == '>' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (rule[0] == '#' && !ValidHash(hash)) {
      *reason = kBadHash;
      return false;
    }
    if (std::find(user.passwords_.begin(), user.passwords_.end(), hash) == user.passwords_.end()) {
      user.passwords_.push_back(std::move(hash));
    }
    user.nopass_ = false;
  } else if (rule[0] == '<' || rule[0] == '!') {
    const std::string hash =
        rule[0] == '<' ? Sha256Hex(rule.substr(1)) : std::string(rule.substr(1));
    if (rule[0] == '!' && !ValidHash(hash)) {
      *reason = kBadHash;
      return false;
    }
    auto it = std::find(user.passwords_.begin(), user.passwords_.end(), hash);
    if (it == user.passwords_.end()) {
      *reason = kNoSuchPassword;
      return false;
    }
    user.passwords_.erase(it);
    user.nopass_ = false;
  } else if (is("allkeys") || rule == "~*") {
    user.all_keys_ = true;
    user.key_patterns_.clear();
  } else if (is("resetkeys")) {
    user.all_keys_ = false;
    user.key_patterns_.clear();
  } else if (rule[0] == '~' || rule[0] == '%') {
    uint8_t access = kAclKeyReadWrite;
    size_t offset = 1;
    if (rule[0] == '%') {
      access = 0;
      for (; offset < rule.size() && rule[offset] != '~'; ++offset) {
        const char c = rule[offset];
        if (c == 'R' || c == 'r') {
          access |= kAclKeyRead;
        } else if (c == 'W' || c == 'w') {
          access |= kAclKeyWrite;
        } else {
          *reason = kSyntaxErrorReason;
          return false;
        }
      }
      if (access == 0 || offset == rule.size()) {
        *reason = kSyntaxErrorReason;
        return false;
      }
      ++offset;  // the '~'
    }
    if (user.all_keys_) {
      *reason = kKeyAfterAllKeys;
      return false;
    }
    const std::string_view pattern = rule.substr(offset);
    auto it = std::find_if(user.key_patterns_.begin(), user.key_patterns_.end(),
                           [&](const AclKeyPattern& p) { return p.pattern == pattern; });
    if (it != user.key_patterns_.end()) {
      it->access |= access;
    } else {
      user.key_patterns_.push_back(AclKeyPattern{std::string(pattern), access});
    }
  } else if (is("allchannels") || rule == "&*") {
    user.all_channels_ = true;
    user.channel_patterns_.clear();
  } else if (is("resetchannels")) {
    user.all_channels_ = false;
    user.channel_patterns_.clear();
  } else if (rule[0] == '&') {
    if (user.all_channels_) {
      *reason = kChannelAfterAllChannels;
      return false;
    }
    const std::string_view pattern = rule.substr(1);
    if (std::find(user.channel_patterns_.begin(), user.channel_patterns_.end(), pattern) ==
        user.channel_patterns_.end()) {
      user.channel_patterns_.emplace_back(pattern);
    }
  } else if (is("allcommands") || is("+@all") || is("nocommands") || is("-@all")) {
    const bool allow = is("allcommands") || is("+@all");
    user.commands_.assign(user.commands_.size(), allow);
    user.future_commands_ = allow;
    user.first_args_.clear();
    user.command_rules_.clear();
  } else if (rule[0] == '+' || rule[0] == '-') {
    if (!ApplyCommandRule(user, rule, reason)) return false;
  } else if (is("reset")) {
    for (std::string_view part :
         {"resetpass", "resetkeys", "resetchannels", "off", "-@all", "sanitize-payload"}) {
      ApplyRule(user, part, reason);
    }
  } else if (is("clearselectors")) {
    // There are no selectors to clear.
  } else if (rule[0] == '(') {
    *reason = "Selectors are not supported";
    return false;
  } else {
    *reason = kSyntaxErrorReason;
    return false;
  }
  return true;
}

bool Acl::SetUser(std::string_view name, const std::vector<std::string_view>& rules,
                  std::string* error) {
  if (std::any_of(name.begin(), name.end(), [](char c) { return c == ' ' || c == '\0'; })) {
    *error = "ERR Usernames can't contain spaces or null characters";
    return false;
  }
  std::shared_ptr<AclUser> existing = Find(name);
  AclUser edited = existing != nullptr ? *existing : *NewUser(name);
  for (std::string_view rule : rules) {
    std::string reason;
    if (!ApplyRule(edited, rule, &reason)) {
      *error = "ERR Error in ACL SETUSER modifier '" + std::string(rule) + "': " + reason;
      return false;
    }
  }
  edited.Refresh();
  if (existing != nullptr) {
    *existing = std::move(edited);
  } else {
    users_.emplace(std::string(name), std::make_shared<AclUser>(std::move(edited)));
  }
  return true;
}

std::shared_ptr<AclUser> Acl::DeleteUser(std::string_view name) {
  if (name == "default") return nullptr;
  auto it = users_.find(name);
  if (it == users_.end()) return nullptr;
  std::shared_ptr<AclUser> user = it->second;
  users_.erase(it);
  return user;
}

void Acl::SetDefaultPassword(std::string_view password) {
  std::string reason;
  ApplyRule(*default_user_, "resetpass", &reason);
  if (password.empty()) {
    ApplyRule(*default_user_, "nopass", &reason);
  } else {
    ApplyRule(*default_user_, ">" + std::string(password), &reason);
  }
  default_user_->Refresh();
}

std::shared_ptr<AclUser> Acl::Authenticate(std::string_view name, std::string_view password) const {
  std::shared_ptr<AclUser> user = Find(name);
  if (user == nullptr || !user->enabled()) return nullptr;
  if (user->nopass()) return user;
  // Every stored hash is compared in full, so the time taken tells nothing about the password.
  const std::string hash = Sha256Hex(password);
  bool match = false;
  for (const std::string& stored : user->password_hashes()) {
    match = ConstantTimeEquals(stored, hash) || match;
  }
  return match ? user : nullptr;
}

Acl::Verdict Acl::Check(const AclUser& user, const CommandSpec& spec,
                        const std::vector<std::string_view>& args, std::string* object) const {
  if (user.unrestricted()) return Verdict::kAllowed;
  if ((spec.flags & kCmdNoAuth) == 0) {
    const size_t slot = stats_.SlotOf(spec, args.size(), args.data());
    if (!user.commands_[slot]) {
      auto it = user.first_args_.find(slot);
      const bool first_arg_allowed =
          it != user.first_args_.end() && args.size() >= 2 &&
          std::any_of(it->second.begin(), it->second.end(), [&](const std::string& allowed) {
            return EqualsIgnoreCase(allowed, args[1]);
          });
      if (!first_arg_allowed) {
        *object = SlotName(slot);
        return Verdict::kCommand;
      }
    }
  }
  if (!user.all_keys_ && spec.HasKeys()) {
    const uint8_t need = KeyAccessOf(spec, args);
    for (std::string_view key : spec.KeysOf(args)) {
      const bool allowed = std::any_of(
          user.key_patterns_.begin(), user.key_patterns_.end(), [&](const AclKeyPattern& p) {
            return (p.access & need) == need && GlobMatch(p.pattern, key);
          });
      if (!allowed) {
        *object = std::string(key);
        return Verdict::kKey;
      }
    }
  }
  if (!user.all_channels_) {
    const bool publish = spec.name == "publish" || spec.name == "spublish";
    const bool subscribe = spec.name == "subscribe" || spec.name == "ssubscribe";
    const bool psubscribe = spec.name == "psubscribe";
    if (publish || subscribe || psubscribe) {
      const size_t end = publish ? std::min<size_t>(2, args.size()) : args.size();
      for (size_t i = 1; i < end; ++i) {
        const std::string_view channel = args[i];
        const bool allowed = std::any_of(user.channel_patterns_.begin(),
                                         user.channel_patterns_.end(), [&](const std::string& p) {
                                           return psubscribe ? p == channel : GlobMatch(p, channel);
                                         });
        if (!allowed) {
          *object = std::string(channel);
          return Verdict::kChannel;
        }
      }
    }
  }
  return Verdict::kAllowed;
}

std::string Acl::DenialError(Verdict verdict, const AclUser& user, std::string_view object) {
  switch (verdict) {
    case Verdict::kCommand:
      return "NOPERM User " + user.name() + " has no permissions to run the '" +
             std::string(object) + "' command";
    case Verdict::kKey:
      return "NOPERM No permissions to access a key";
    case Verdict::kChannel:
      return "NOPERM No permissions to access a channel";
    case Verdict::kAllowed:
      break;
  }
  return {};
}

std::string Acl::DescribeCommands(const AclUser& user) const {
  std::string rules = user.future_commands_ ? "+@all" : "-@all";
  for (const std::string& rule : user.command_rules_) {
    rules += ' ';
    rules += rule;
  }
  return rules;
}

std::string Acl::DescribeKeys(const AclUser& user) {
  if (user.all_keys()) return "~*";
  std::string text;
  for (const AclKeyPattern& p : user.key_patterns()) {
    if (!text.empty()) text += ' ';
    text += p.access == kAclKeyRead ? "%R~" : p.access == kAclKeyWrite ? "%W~" : "~";
    text += p.pattern;
  }
  return text;
}

std::string Acl::DescribeChannels(const AclUser& user) {
  if (user.all_channels()) return "&*";
  std::string text;
  for (const std::string& p : user.channel_patterns()) {
    if (!text.empty()) text += ' ';
    text += '&';
    text += p;
  }
  return text;
}

std::string Acl::Describe(const AclUser& user) const {
  std::string line = "user " + user.name();
  line += user.enabled() ? " on" : " off";
  if (user.nopass()) line += " nopass";
  if (user.skip_sanitize_payload()) line += " skip-sanitize-payload";
  if (user.sanitize_payload()) line += " sanitize-payload";
  for (const std::string& hash : user.password_hashes()) line += " #" + hash;
  const std::string keys = DescribeKeys(user);
  if (!keys.empty()) line += " " + keys;
  if (!user.all_channels()) line += " resetchannels";
  const std::string channels = DescribeChannels(user);
  if (!channels.empty()) line += " " + channels;
  line += " " + DescribeCommands(user);
  return line;
}

std::vector<std::string> Acl::DescribeAll() const {
  std::vector<std::string> lines;
  for (const auto& [name, user] : users_) lines.push_back(Describe(*user));
  return lines;
}

bool Acl::LoadFile(std::string_view text, std::string_view source,
                   std::vector<std::shared_ptr<AclUser>>* replaced, std::string* error) {
  std::map<std::string, std::shared_ptr<AclUser>, std::less<>> loaded;
  std::string errors;
  size_t line_number = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const std::string where = std::string(source) + ":" + std::to_string(line_number);
    std::vector<std::string> words;
    if (!SplitConfigLine(line, &words)) {
      errors += where + ": unbalanced quotes in acl line. ";
      continue;
    }
    if (words.size() < 2 || words[0] != "user") {
      errors += where + " should start with user keyword. ";
      continue;
    }
    const std::string& name = words[1];
    if (name.find(' ') != std::string::npos) {
      errors += "'";
      errors += where;
      errors += ": username '";
      errors += name;
      errors += "' contains invalid characters. ";
      continue;
    }
    if (loaded.contains(name)) {
      errors += "WARNING: Duplicate user '" + name + "' found on line " +
                std::to_string(line_number) + ". ";
      continue;
    }
    std::shared_ptr<AclUser> user = NewUser(name);
    bool ok = true;
    for (size_t i = 2; i < words.size() && ok; ++i) {
      std::string reason;
      if (!ApplyRule(*user, words[i], &reason)) {
        errors += where;
        errors += ": ";
        errors += reason;
        errors += ". ";
        ok = false;
      }
    }
    if (!ok) continue;
    user->Refresh();
    loaded.emplace(name, std::move(user));
  }
  if (!errors.empty()) {
    *error = errors;
    return false;
  }
  // The default user keeps its object (connections point at it) and takes the new rules.
  auto it = loaded.find("default");
  if (it != loaded.end()) {
    *default_user_ = *it->second;
  } else {
    *default_user_ = *NewDefaultUser();
  }
  loaded["default"] = default_user_;
  for (auto& [name, user] : users_) {
    if (user != default_user_) replaced->push_back(user);
  }
  users_ = std::move(loaded);
  return true;
}

bool Acl::LoadDirectives(const std::vector<std::vector<std::string>>& users, std::string* error) {
  for (const std::vector<std::string>& words : users) {
    if (words.empty()) continue;
    const std::string& name = words[0];
    std::shared_ptr<AclUser> user = name == "default" ? default_user_ : Find(name);
    if (user != nullptr && user != default_user_) {
      *error = "Error in user declaration '" + name +
               "': Duplicate user found. A user can only be defined once in config files";
      return false;
    }
    AclUser edited = user != nullptr ? *user : *NewUser(name);
    std::string reason;
    if (user == default_user_) ApplyRule(edited, "reset", &reason);
    for (size_t i = 1; i < words.size(); ++i) {
      if (!ApplyRule(edited, words[i], &reason)) {
        *error = "Error in user declaration '" + name + "': ";
        *error += reason;
        return false;
      }
    }
    edited.Refresh();
    if (user != nullptr) {
      *user = std::move(edited);
    } else {
      users_.emplace(name, std::make_shared<AclUser>(std::move(edited)));
    }
  }
  return true;
}

void Acl::AddLogEntry(std::string_view reason, std::string_view context, std::string_view object,
                      std::string_view username, std::string client_info, uint64_t now_ms,
                      size_t max_len) {
  int scanned = 0;
  for (auto it = log_.begin(); it != log_.end() && scanned < kLogGroupingScan; ++it, ++scanned) {
    if (it->reason == reason && it->context == context && it->object == object &&
        it->username == username && now_ms - it->updated_ms <= kLogGroupingMs) {
      AclLogEntry entry = std::move(*it);
      log_.erase(it);
      entry.count++;
      entry.client_info = std::move(client_info);
      entry.updated_ms = now_ms;
      log_.push_front(std::move(entry));
      return;
    }
  }
  AclLogEntry entry;
  entry.reason = reason;
  entry.context = context;
  entry.object = object;
  entry.username = username;
  entry.client_info = std::move(client_info);
  entry.entry_id = next_entry_id_++;
  entry.created_ms = entry.updated_ms = now_ms;
  log_.push_front(std::move(entry));
  TrimLog(max_len);
}

void Acl::TrimLog(size_t max_len) {
  while (log_.size() > max_len) log_.pop_back();
}

bool AclGeneratePassword(int bits, std::string* password) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t chars = (static_cast<size_t>(bits) + 3) / 4;
  std::string random((chars + 1) / 2, '\0');
  std::ifstream source("/dev/urandom", std::ios::binary);
  if (!source.read(random.data(), static_cast<std::streamsize>(random.size()))) return false;
  password->clear();
  for (char byte : random) {
    *password += kHex[(static_cast<unsigned char>(byte) >> 4) & 15];
    *password += kHex[static_cast<unsigned char>(byte) & 15];
  }
  password->resize(chars);
  return true;
}

}  // namespace shale::server
