// Redis 7's ACL command categories (@read, @write, @string ...): a bit set per command and
// per container subcommand ("config|get"). COMMAND INFO lists them, COMMAND LIST FILTERBY
// ACLCAT and ACL CAT select by them, and the +@category / -@category rules of ACL users apply
// them (server/acl.h).
//
// Where the categories come from, as in Redis: a command's explicit categories (Redis's
// command JSON "acl_categories"; in Shale the group's category, @string for the "string"
// group and so on, or an entry of the explicit table in acl_categories.cc where Redis lists
// something else), plus those its flags imply (Redis's setImplicitACLCategories): write ->
// @write, readonly -> @read, admin -> @admin @dangerous, fast -> @fast, otherwise @slow. A
// container (CONFIG, CLIENT ...) has no flags of its own in Redis: only @slow, while each of its
// subcommands has its own categories.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace shale::server {

struct CommandSpec;

// In the order of Redis's category table, which is the order COMMAND INFO and ACL CAT use.
enum AclCategory : uint64_t {
  kAclKeyspace = 1 << 0,
  kAclRead = 1 << 1,
  kAclWrite = 1 << 2,
  kAclSet = 1 << 3,
  kAclSortedset = 1 << 4,
  kAclList = 1 << 5,
  kAclHash = 1 << 6,
  kAclString = 1 << 7,
  kAclBitmap = 1 << 8,
  kAclHyperloglog = 1 << 9,
  kAclGeo = 1 << 10,
  kAclStream = 1 << 11,
  kAclPubsub = 1 << 12,
  kAclAdmin = 1 << 13,
  kAclFast = 1 << 14,
  kAclSlow = 1 << 15,
  kAclBlocking = 1 << 16,
  kAclDangerous = 1 << 17,
  kAclConnection = 1 << 18,
  kAclTransaction = 1 << 19,
  kAclScripting = 1 << 20,
};

inline constexpr int kAclCategoryCount = 21;
// The names without '@', indexed by bit number.
inline constexpr std::string_view kAclCategoryNames[kAclCategoryCount] = {
    "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
    "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
    "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};

// The bit of a category name (without '@', case-insensitive); 0 if there is none.
uint64_t AclCategoryByName(std::string_view name);
// "@read" ... for the bits of `categories`, in table order.
std::vector<std::string_view> AclCategoryLabels(uint64_t categories);

// A table row's categories: what CommandTable::Register stores in CommandSpec::acl_categories.
// `container`: the command has subcommands with statistics and permissions of their own.
uint64_t DeriveAclCategories(const CommandSpec& spec, bool container);
// A subcommand's categories by its full name ("config|get"); @slow for one Redis does not list.
uint64_t SubcommandAclCategories(std::string_view full_name);

}  // namespace shale::server
