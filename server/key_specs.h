// Key specifications (Redis 7.0's "key_specs"): for every command, where its key arguments are
// and how it uses each of them. COMMAND INFO shows them; COMMAND GETKEYSANDFLAGS finds a call's
// keys by them.
//
// A spec is a begin_search step, then a find_keys step:
// - begin_search: an index (the first key is argument N), or a keyword (the keys follow the
//   first argument equal to it, case-insensitive, scanning from argument `startfrom` forwards,
//   or from argc + startfrom backwards when startfrom is negative), or unknown.
// - find_keys: a range (the last key is `lastkey` arguments after the first, or counted from
//   the end when negative; when `limit` is set and lastkey is -1, the keys are the first
//   1/limit of the remaining arguments; every `keystep`-th argument is a key), or a keynum (the
//   argument `keynumidx` after the begin position counts the keys, which start `firstkey` after
//   it, every `keystep`-th), or unknown.
//
// The table is keyed by command name, and by "parent|sub" for a container's subcommands
// ("object|encoding", "xgroup|create", "memory|usage"): a container row itself has no specs,
// its subcommands have them. It also lists commands whose rows live elsewhere or are yet to come
// (streams, MEMORY USAGE); a row without an entry has no key specs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace shale::server {

struct CommandSpec;

// Redis's CMD_KEY_* flags, in the order COMMAND shows them.
enum KeySpecFlag : uint32_t {
  kKeyRO = 1 << 0,  // reads the key's value
  kKeyRW = 1 << 1,  // reads and modifies it
  kKeyOW = 1 << 2,  // overwrites it without reading
  kKeyRM = 1 << 3,  // deletes it
  kKeyAccess = 1 << 4,
  kKeyUpdate = 1 << 5,
  kKeyInsert = 1 << 6,
  kKeyDelete = 1 << 7,
  kKeyNotKey = 1 << 8,         // a name that is not a key (SPUBLISH's shard channel)
  kKeyIncomplete = 1 << 9,     // the spec may not find every key
  kKeyVariableFlags = 1 << 10  // the flags depend on the arguments (SET ... GET)
};

struct KeySearchBegin {
  enum class Type : uint8_t { kUnknown, kIndex, kKeyword };
  Type type = Type::kUnknown;
  int index = 0;             // kIndex
  std::string_view keyword;  // kKeyword, upper case as Redis shows it
  int startfrom = 0;         // kKeyword
};

struct KeySearchFind {
  enum class Type : uint8_t { kUnknown, kRange, kKeyNum };
  Type type = Type::kUnknown;
  int lastkey = 0;    // kRange
  int limit = 0;      // kRange
  int keynumidx = 0;  // kKeyNum
  int firstkey = 0;   // kKeyNum
  int keystep = 1;    // both
};

struct KeySpec {
  uint32_t flags = 0;  // KeySpecFlag bits
  KeySearchBegin begin;
  KeySearchFind find;
};

struct CommandKeySpecs {
  std::string_view name;  // lower case: "set", "object|encoding"
  // A subcommand's arity (Redis's for "parent|sub"); 0 for a command, whose row has its arity.
  int arity = 0;
  std::vector<KeySpec> specs;
};

// The entry of `name` (lower case), nullptr if the table has none.
const CommandKeySpecs* FindKeySpecs(std::string_view name);
// Every entry, in name order.
const std::vector<CommandKeySpecs>& AllKeySpecs();
// Whether the table lists subcommands of `parent` ("parent|...").
bool HasSubcommandKeySpecs(std::string_view parent);

// A key argument of a call: its position in the arguments (the name is 0) and its KeySpecFlag
// bits.
struct KeyReference {
  size_t position;
  uint32_t flags;
};

// Redis's getKeysUsingKeySpecs: appends the keys `specs` find in `args` (specs marked not_key
// are skipped). False, with *keys as it was, when a spec cannot find them: an unknown step, a key
// count that does not parse or is negative, positions out of the arguments, or an incomplete
// spec.
bool FindKeysBySpecs(const std::vector<KeySpec>& specs, const std::vector<std::string_view>& args,
                     std::vector<KeyReference>* keys);

// Whether a command with these specs has keys for COMMAND GETKEYS[ANDFLAGS]: a spec that is not
// marked not_key.
bool SpecsHaveKeys(const std::vector<KeySpec>& specs);

struct KeyWithFlags {
  std::string_view key;
  uint32_t flags;  // KeySpecFlag bits
};

// COMMAND GETKEYSANDFLAGS (Redis's getKeysFromCommandWithSpecs): the keys of a call of `row`
// (args[0] its name), whose specs are `entry` (a subcommand's for a container call; nullptr:
// none). By the specs when they find the keys and their flags do not vary. When the specs are
// complete (no unknown step, no incomplete or variable_flags spec), a call they find no keys in
// is malformed and has none; so has a subcommand's. Otherwise (SET, BITFIELD, SORT, SORT_RO, a
// row without an entry) by the row's own key positions (KeysOf), with the flags Redis's own key
// functions give for these arguments: SET's, BITFIELD's and SORT's by their options, none for
// the others.
std::vector<KeyWithFlags> KeysAndFlags(const CommandSpec& row, const CommandKeySpecs* entry,
                                       const std::vector<std::string_view>& args);

// The names of `flags` (KeySpecFlag bits) in Redis's order: "RW", "access", "update" ...
std::vector<std::string_view> KeySpecFlagNames(uint32_t flags);

}  // namespace shale::server
