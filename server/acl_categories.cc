#include "server/acl_categories.h"

#include <utility>

#include "server/command_table.h"

namespace shale::server {

namespace {

// Redis's explicit categories where they are not simply the group's (its command JSON files).
constexpr std::pair<std::string_view, uint64_t> kExplicitCategories[] = {
    {"blmove", kAclList | kAclBlocking},
    {"blmpop", kAclList | kAclBlocking},
    {"blpop", kAclList | kAclBlocking},
    {"brpop", kAclList | kAclBlocking},
    {"brpoplpush", kAclList | kAclBlocking},
    {"bzmpop", kAclSortedset | kAclBlocking},
    {"bzpopmax", kAclSortedset | kAclBlocking},
    {"bzpopmin", kAclSortedset | kAclBlocking},
    {"command", kAclConnection},
    {"dbsize", kAclKeyspace},
    {"flushall", kAclKeyspace | kAclDangerous},
    {"flushdb", kAclKeyspace | kAclDangerous},
    {"info", kAclDangerous},
    {"keys", kAclKeyspace | kAclDangerous},
    {"lastsave", kAclAdmin | kAclDangerous},
    {"restore", kAclKeyspace | kAclDangerous},
    {"role", kAclAdmin | kAclDangerous},
    {"sort", kAclSet | kAclSortedset | kAclList | kAclDangerous},
    {"sort_ro", kAclSet | kAclSortedset | kAclList | kAclDangerous},
    {"swapdb", kAclKeyspace | kAclDangerous},
    {"wait", kAclConnection},
    {"xread", kAclStream | kAclBlocking},
    {"xreadgroup", kAclStream | kAclBlocking},
};

constexpr std::pair<std::string_view, uint64_t> kGroupCategories[] = {
    {"string", kAclString},
    {"list", kAclList},
    {"hash", kAclHash},
    {"set", kAclSet},
    {"sorted-set", kAclSortedset},
    {"sorted_set", kAclSortedset},
    {"bitmap", kAclBitmap},
    {"generic", kAclKeyspace},
    {"connection", kAclConnection},
    {"transactions", kAclTransaction},
    {"pubsub", kAclPubsub},
    {"scripting", kAclScripting},
    {"geo", kAclGeo},
    {"stream", kAclStream},
    {"hyperloglog", kAclHyperloglog},
};

// Redis 7's categories of the subcommands of the containers Shale has.
constexpr std::pair<std::string_view, uint64_t> kSubcommandCategories[] = {
    {"acl|cat", kAclSlow},
    {"acl|deluser", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|dryrun", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|genpass", kAclSlow},
    {"acl|getuser", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|help", kAclSlow},
    {"acl|list", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|load", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|log", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|save", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|setuser", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|users", kAclAdmin | kAclSlow | kAclDangerous},
    {"acl|whoami", kAclSlow},
    {"client|caching", kAclSlow | kAclConnection},
    {"client|getname", kAclSlow | kAclConnection},
    {"client|getredir", kAclSlow | kAclConnection},
    {"client|help", kAclSlow | kAclConnection},
    {"client|id", kAclSlow | kAclConnection},
    {"client|info", kAclSlow | kAclConnection},
    {"client|kill", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"client|list", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"client|no-evict", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"client|no-touch", kAclSlow | kAclConnection},
    {"client|pause", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"client|reply", kAclSlow | kAclConnection},
    {"client|setinfo", kAclSlow | kAclConnection},
    {"client|setname", kAclSlow | kAclConnection},
    {"client|tracking", kAclSlow | kAclConnection},
    {"client|trackinginfo", kAclSlow | kAclConnection},
    {"client|unblock", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"client|unpause", kAclAdmin | kAclSlow | kAclDangerous | kAclConnection},
    {"command|count", kAclSlow | kAclConnection},
    {"command|docs", kAclSlow | kAclConnection},
    {"command|getkeys", kAclSlow | kAclConnection},
    {"command|getkeysandflags", kAclSlow | kAclConnection},
    {"command|help", kAclSlow | kAclConnection},
    {"command|info", kAclSlow | kAclConnection},
    {"command|list", kAclSlow | kAclConnection},
    {"config|get", kAclAdmin | kAclSlow | kAclDangerous},
    {"config|help", kAclSlow},
    {"config|resetstat", kAclAdmin | kAclSlow | kAclDangerous},
    {"config|rewrite", kAclAdmin | kAclSlow | kAclDangerous},
    {"config|set", kAclAdmin | kAclSlow | kAclDangerous},
    {"function|delete", kAclWrite | kAclSlow | kAclScripting},
    {"function|dump", kAclSlow | kAclScripting},
    {"function|flush", kAclWrite | kAclSlow | kAclScripting},
    {"function|help", kAclSlow | kAclScripting},
    {"function|kill", kAclSlow | kAclScripting},
    {"function|list", kAclSlow | kAclScripting},
    {"function|load", kAclWrite | kAclSlow | kAclScripting},
    {"function|restore", kAclWrite | kAclSlow | kAclScripting},
    {"function|stats", kAclSlow | kAclScripting},
    {"latency|doctor", kAclAdmin | kAclSlow | kAclDangerous},
    {"latency|graph", kAclAdmin | kAclSlow | kAclDangerous},
    {"latency|help", kAclSlow},
    {"latency|histogram", kAclAdmin | kAclSlow | kAclDangerous},
    {"latency|history", kAclAdmin | kAclSlow | kAclDangerous},
    {"latency|latest", kAclAdmin | kAclSlow | kAclDangerous},
    {"latency|reset", kAclAdmin | kAclSlow | kAclDangerous},
    {"memory|usage", kAclRead | kAclSlow},
    {"object|encoding", kAclKeyspace | kAclRead | kAclSlow},
    {"object|freq", kAclKeyspace | kAclRead | kAclSlow},
    {"object|help", kAclKeyspace | kAclSlow},
    {"object|idletime", kAclKeyspace | kAclRead | kAclSlow},
    {"object|refcount", kAclKeyspace | kAclRead | kAclSlow},
    {"pubsub|channels", kAclPubsub | kAclSlow},
    {"pubsub|help", kAclSlow},
    {"pubsub|numpat", kAclPubsub | kAclSlow},
    {"pubsub|numsub", kAclPubsub | kAclSlow},
    {"pubsub|shardchannels", kAclPubsub | kAclSlow},
    {"pubsub|shardnumsub", kAclPubsub | kAclSlow},
    {"script|debug", kAclSlow | kAclScripting},
    {"script|exists", kAclSlow | kAclScripting},
    {"script|flush", kAclSlow | kAclScripting},
    {"script|help", kAclSlow | kAclScripting},
    {"script|kill", kAclSlow | kAclScripting},
    {"script|load", kAclSlow | kAclScripting},
    {"slowlog|get", kAclAdmin | kAclSlow | kAclDangerous},
    {"slowlog|help", kAclSlow},
    {"slowlog|len", kAclAdmin | kAclSlow | kAclDangerous},
    {"slowlog|reset", kAclAdmin | kAclSlow | kAclDangerous},
};

}  // namespace

uint64_t AclCategoryByName(std::string_view name) {
  for (int i = 0; i < kAclCategoryCount; ++i) {
    if (EqualsIgnoreCase(name, kAclCategoryNames[i])) return uint64_t{1} << i;
  }
  return 0;
}

std::vector<std::string_view> AclCategoryLabels(uint64_t categories) {
  static constexpr std::string_view kLabels[kAclCategoryCount] = {
      "@keyspace",   "@read",        "@write",    "@set",         "@sortedset", "@list",
      "@hash",       "@string",      "@bitmap",   "@hyperloglog", "@geo",       "@stream",
      "@pubsub",     "@admin",       "@fast",     "@slow",        "@blocking",  "@dangerous",
      "@connection", "@transaction", "@scripting"};
  std::vector<std::string_view> labels;
  for (int i = 0; i < kAclCategoryCount; ++i) {
    if ((categories & (uint64_t{1} << i)) != 0) labels.push_back(kLabels[i]);
  }
  return labels;
}

uint64_t DeriveAclCategories(const CommandSpec& spec, bool container) {
  uint64_t categories = spec.acl_categories;
  bool explicit_found = false;
  for (const auto& [name, explicit_categories] : kExplicitCategories) {
    if (spec.name == name) {
      categories |= explicit_categories;
      explicit_found = true;
    }
  }
  if (container) return categories | kAclSlow;
  if (!explicit_found) {
    for (const auto& [group, category] : kGroupCategories) {
      if (spec.group == group) categories |= category;
    }
  }
  if (spec.flags & kCmdWrite) categories |= kAclWrite;
  if (spec.flags & kCmdReadOnly) categories |= kAclRead;
  if (spec.flags & kCmdAdmin) categories |= kAclAdmin | kAclDangerous;
  categories |= (spec.flags & kCmdFast) ? kAclFast : kAclSlow;
  return categories;
}

uint64_t SubcommandAclCategories(std::string_view full_name) {
  for (const auto& [name, categories] : kSubcommandCategories) {
    if (name == full_name) return categories;
  }
  return kAclSlow;
}

}  // namespace shale::server
