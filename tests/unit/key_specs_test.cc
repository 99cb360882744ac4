#include "server/key_specs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "server/command_stats.h"
#include "server/command_table.h"

namespace shale::server {
namespace {

using Args = std::vector<std::string_view>;

// Owns the argument strings of a call; args() views them. Every argument has its own storage,
// so a key KeysOf returns is found again by its address.
class Call {
 public:
  explicit Call(std::vector<std::string> words) : words_(std::move(words)) {
    for (const std::string& word : words_) args_.push_back(word);
  }
  const Args& args() const { return args_; }
  std::string ToString() const {
    std::string out;
    for (const std::string& word : words_) out += word + " ";
    return out;
  }
  // The positions of `keys` (views into args()).
  std::vector<size_t> PositionsOf(const Args& keys) const {
    std::vector<size_t> positions;
    for (std::string_view key : keys) {
      for (size_t i = 0; i < args_.size(); ++i) {
        if (args_[i].data() == key.data()) positions.push_back(i);
      }
    }
    return positions;
  }

 private:
  std::vector<std::string> words_;
  Args args_;
};

bool IsContainer(std::string_view name) {
  return IsContainerCommand(name) || HasSubcommandKeySpecs(name);
}

// Calls of `name` (a command, or "parent|sub") with `arity`: the fewest arguments it takes and
// some more, each argument distinct ("a1", "a2" ...), plus hand-written calls of the commands
// whose keys a count or a keyword places.
std::vector<Call> SampleCalls(std::string_view name, int arity) {
  const std::map<std::string_view, std::vector<std::vector<std::string>>> kHandWritten = {
      {"lmpop", {{"lmpop", "2", "a", "b", "LEFT"}, {"lmpop", "1", "a", "RIGHT", "COUNT", "2"}}},
      {"blmpop", {{"blmpop", "0", "2", "a", "b", "LEFT"}}},
      {"zmpop", {{"zmpop", "3", "a", "b", "c", "MIN"}}},
      {"bzmpop", {{"bzmpop", "1", "1", "a", "MAX", "COUNT", "3"}}},
      {"sintercard", {{"sintercard", "2", "a", "b"}, {"sintercard", "1", "a", "LIMIT", "3"}}},
      {"zintercard", {{"zintercard", "2", "a", "b", "LIMIT", "1"}}},
      {"zunion", {{"zunion", "2", "a", "b", "WEIGHTS", "1", "2"}}},
      {"zinter", {{"zinter", "1", "a"}}},
      {"zdiff", {{"zdiff", "3", "a", "b", "c", "WITHSCORES"}}},
      {"zunionstore", {{"zunionstore", "d", "2", "a", "b"}}},
      {"zinterstore", {{"zinterstore", "d", "1", "a", "AGGREGATE", "MIN"}}},
      {"zdiffstore", {{"zdiffstore", "d", "2", "a", "b"}}},
      {"eval", {{"eval", "return 1", "2", "a", "b", "arg"}}},
      {"eval_ro", {{"eval_ro", "return 1", "1", "a"}}},
      {"evalsha", {{"evalsha", "abc", "2", "a", "b"}}},
      {"evalsha_ro", {{"evalsha_ro", "abc", "1", "a", "arg"}}},
      {"fcall", {{"fcall", "fn", "2", "a", "b", "arg"}}},
      {"fcall_ro", {{"fcall_ro", "fn", "1", "a"}}},
      {"georadius",
       {{"georadius", "k", "0", "0", "1", "km", "STORE", "d"},
        {"georadius", "k", "0", "0", "1", "km", "WITHDIST", "STOREDIST", "d"}}},
      {"georadiusbymember",
       {{"georadiusbymember", "k", "m", "1", "km", "STORE", "d"},
        {"georadiusbymember", "k", "m", "1", "km", "STOREDIST", "d"}}},
      {"sort", {{"sort", "k", "BY", "w_*", "GET", "#", "STORE", "d"}}},
      {"set", {{"set", "k", "v", "GET"}, {"set", "k", "v", "EX", "10"}}},
      {"bitfield", {{"bitfield", "k", "GET", "u8", "0"}, {"bitfield", "k", "SET", "u8", "0", "1"}}},
      {"xread", {{"xread", "COUNT", "2", "STREAMS", "a", "b", "0", "0"}}},
      {"xreadgroup", {{"xreadgroup", "GROUP", "g", "c", "STREAMS", "a", "0"}}},
  };
  std::vector<Call> calls;
  const size_t fewest = static_cast<size_t>(arity < 0 ? -arity : arity);
  std::vector<size_t> counts = {fewest};
  if (arity < 0) counts.insert(counts.end(), {fewest + 1, fewest + 2, fewest + 3, fewest + 6});
  const size_t bar = name.find('|');
  for (size_t count : counts) {
    std::vector<std::string> words;
    if (bar == std::string_view::npos) {
      words.emplace_back(name);
    } else {
      words.emplace_back(name.substr(0, bar));
      words.emplace_back(name.substr(bar + 1));
    }
    while (words.size() < count) words.push_back("a" + std::to_string(words.size()));
    calls.emplace_back(std::move(words));
  }
  if (auto it = kHandWritten.find(name); it != kHandWritten.end()) {
    for (const std::vector<std::string>& words : it->second) calls.emplace_back(words);
  }
  return calls;
}

// The specs a search can run: those of an unknown type dropped (SORT's BY/GET and STORE).
std::vector<KeySpec> KnownSpecs(const std::vector<KeySpec>& specs) {
  std::vector<KeySpec> known;
  for (const KeySpec& spec : specs) {
    if (spec.begin.type != KeySearchBegin::Type::kUnknown &&
        spec.find.type != KeySearchFind::Type::kUnknown) {
      known.push_back(spec);
    }
  }
  return known;
}

TEST(KeySpecsTest, TableIsWellFormed) {
  const std::vector<CommandKeySpecs>& all = AllKeySpecs();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) {
    const CommandKeySpecs& entry = all[i];
    SCOPED_TRACE(std::string(entry.name));
    EXPECT_EQ(ToLower(entry.name), entry.name);
    if (i > 0) {
      EXPECT_LT(all[i - 1].name, entry.name);  // sorted, no duplicates
    }
    EXPECT_EQ(FindKeySpecs(entry.name), &entry);
    const bool subcommand = entry.name.find('|') != std::string_view::npos;
    EXPECT_EQ(entry.arity != 0, subcommand);
    for (const KeySpec& spec : entry.specs) {
      // Exactly one of RO, RW, OW, RM, except on a name that is not a key.
      const uint32_t access = spec.flags & (kKeyRO | kKeyRW | kKeyOW | kKeyRM);
      if ((spec.flags & kKeyNotKey) == 0) {
        EXPECT_TRUE(access == kKeyRO || access == kKeyRW || access == kKeyOW || access == kKeyRM)
            << spec.flags;
      }
      if (spec.begin.type == KeySearchBegin::Type::kIndex) {
        EXPECT_GE(spec.begin.index, 1);
      }
      if (spec.begin.type == KeySearchBegin::Type::kKeyword) {
        EXPECT_FALSE(spec.begin.keyword.empty());
        EXPECT_NE(spec.begin.startfrom, 0);
      }
      if (spec.find.type != KeySearchFind::Type::kUnknown) {
        EXPECT_GE(spec.find.keystep, 1);
      }
    }
  }
  EXPECT_EQ(FindKeySpecs("nosuch"), nullptr);
  EXPECT_TRUE(HasSubcommandKeySpecs("object"));
  EXPECT_TRUE(HasSubcommandKeySpecs("xgroup"));
  EXPECT_FALSE(HasSubcommandKeySpecs("obj"));
  EXPECT_FALSE(HasSubcommandKeySpecs("get"));
}

// Every command with keys has specs: a command its own, a container its subcommands'. And the
// commands without keys have none that name a key.
TEST(KeySpecsTest, EveryCommandWithKeysHasKeySpecs) {
  CommandTable table;
  for (const CommandSpec& row : table.commands()) {
    SCOPED_TRACE(std::string(row.name));
    const CommandKeySpecs* entry = FindKeySpecs(row.name);
    if (IsContainer(row.name)) {
      if (entry != nullptr) {
        EXPECT_TRUE(entry->specs.empty());
      }
      if (!row.HasKeys()) continue;
      size_t with_keys = 0;
      for (const CommandKeySpecs& sub : AllKeySpecs()) {
        if (sub.name.substr(0, row.name.size() + 1) == std::string(row.name) + "|" &&
            SpecsHaveKeys(sub.specs)) {
          ++with_keys;
        }
      }
      EXPECT_GT(with_keys, 0u);
    } else if (row.HasKeys()) {
      ASSERT_NE(entry, nullptr);
      EXPECT_FALSE(entry->specs.empty());
    } else if (entry != nullptr) {
      EXPECT_FALSE(SpecsHaveKeys(entry->specs));
    }
  }
}

// The data check: for calls of every command with keys, the keys the specs find are the ones
// the row's own positions find (CommandSpec::KeysOf). A call the specs find no keys in must be
// one KeysOf finds nothing beyond the fixed positions in either (a malformed count), and every
// command has at least one call the specs resolve.
TEST(KeySpecsTest, SpecsFindTheKeysKeysOfFinds) {
  CommandTable table;
  size_t compared = 0;
  for (const CommandSpec& row : table.commands()) {
    if (!row.HasKeys()) continue;
    std::vector<std::pair<const CommandKeySpecs*, int>> entries;  // with their arity
    if (IsContainer(row.name)) {
      for (const CommandKeySpecs& sub : AllKeySpecs()) {
        if (sub.name.substr(0, row.name.size() + 1) == std::string(row.name) + "|" &&
            SpecsHaveKeys(sub.specs)) {
          entries.emplace_back(&sub, sub.arity);
        }
      }
    } else {
      const CommandKeySpecs* entry = FindKeySpecs(row.name);
      ASSERT_NE(entry, nullptr) << row.name;
      if (!SpecsHaveKeys(entry->specs)) continue;  // its "keys" are not keys (SPUBLISH)
      entries.emplace_back(entry, row.arity);
    }
    for (const auto& [entry, arity] : entries) {
      SCOPED_TRACE(std::string(entry->name));
      const std::vector<KeySpec> specs = KnownSpecs(entry->specs);
      size_t resolved = 0;
      for (const Call& call : SampleCalls(entry->name, arity)) {
        SCOPED_TRACE(call.ToString());
        if (!row.ArityMatches(call.args().size())) continue;
        std::vector<size_t> expected = call.PositionsOf(row.KeysOf(call.args()));
        std::vector<KeyReference> found;
        std::vector<KeySpec> complete = specs;
        for (KeySpec& spec : complete) spec.flags &= ~kKeyIncomplete;
        if (!FindKeysBySpecs(complete, call.args(), &found)) {
          EXPECT_TRUE(found.empty());
          continue;
        }
        std::vector<size_t> positions;
        for (const KeyReference& key : found) positions.push_back(key.position);
        std::sort(positions.begin(), positions.end());
        std::sort(expected.begin(), expected.end());
        if (specs.size() == entry->specs.size()) {
          EXPECT_EQ(positions, expected);
        } else {  // some keys are beyond what a spec can say (SORT's STORE): a subset
          EXPECT_TRUE(
              std::includes(expected.begin(), expected.end(), positions.begin(), positions.end()));
        }
        ++resolved;
        ++compared;
      }
      EXPECT_GT(resolved, 0u) << "no sample call the specs resolve";
    }
  }
  EXPECT_GT(compared, 300u);
}

TEST(KeySpecsTest, FindsKeysByIndexKeywordAndKeyNum) {
  std::vector<KeyReference> keys;
  const CommandKeySpecs* mset = FindKeySpecs("mset");
  ASSERT_NE(mset, nullptr);
  ASSERT_TRUE(FindKeysBySpecs(mset->specs, {"mset", "a", "1", "b", "2"}, &keys));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].position, 1u);
  EXPECT_EQ(keys[1].position, 3u);
  EXPECT_EQ(keys[0].flags, kKeyOW | kKeyUpdate);

  // XREAD: the keys are the first half of what follows STREAMS.
  keys.clear();
  const CommandKeySpecs* xread = FindKeySpecs("xread");
  ASSERT_NE(xread, nullptr);
  ASSERT_TRUE(FindKeysBySpecs(xread->specs, {"xread", "STREAMS", "a", "b", "0", "0"}, &keys));
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0].position, 2u);
  EXPECT_EQ(keys[1].position, 3u);
  keys.clear();
  EXPECT_FALSE(FindKeysBySpecs(xread->specs, {"xread", "STREAMS", "a"}, &keys));
  // No STREAMS keyword: the spec names no key, which is not an error.
  EXPECT_TRUE(FindKeysBySpecs(xread->specs, {"xread", "COUNT", "1", "x"}, &keys));
  EXPECT_TRUE(keys.empty());

  // ZUNIONSTORE: the destination, then the keys its count names; a bad count fails.
  const CommandKeySpecs* zunionstore = FindKeySpecs("zunionstore");
  ASSERT_NE(zunionstore, nullptr);
  ASSERT_TRUE(FindKeysBySpecs(zunionstore->specs, {"zunionstore", "d", "2", "a", "b"}, &keys));
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].flags, kKeyOW | kKeyUpdate);
  EXPECT_EQ(keys[2].position, 4u);
  EXPECT_EQ(keys[2].flags, kKeyRO | kKeyAccess);
  keys.clear();
  EXPECT_FALSE(FindKeysBySpecs(zunionstore->specs, {"zunionstore", "d", "3", "a", "b"}, &keys));
  EXPECT_FALSE(FindKeysBySpecs(zunionstore->specs, {"zunionstore", "d", "x", "a"}, &keys));
  EXPECT_FALSE(FindKeysBySpecs(zunionstore->specs, {"zunionstore", "d", "-1", "a"}, &keys));
  EXPECT_TRUE(keys.empty());
  // SORT's unknown specs cannot be searched.
  EXPECT_FALSE(FindKeysBySpecs(FindKeySpecs("sort")->specs, {"sort", "k"}, &keys));
}

// GETKEYSANDFLAGS's keys: by the specs, or by the row and Redis's own key functions' flags.
TEST(KeySpecsTest, KeysAndFlagsAsRedis) {
  CommandTable table;
  auto keys_and_flags = [&](const Args& args, std::string_view entry_name = {}) {
    const CommandSpec* row = table.Find(args[0]);
    EXPECT_NE(row, nullptr);
    const CommandKeySpecs* entry = FindKeySpecs(entry_name.empty() ? args[0] : entry_name);
    std::string out;
    for (const KeyWithFlags& key : KeysAndFlags(*row, entry, args)) {
      out += std::string(key.key) + ":";
      for (std::string_view flag : KeySpecFlagNames(key.flags)) out += " " + std::string(flag);
      out += ";";
    }
    return out;
  };
  EXPECT_EQ(keys_and_flags({"set", "k1", "v1"}), "k1: OW update;");
  EXPECT_EQ(keys_and_flags({"set", "k1", "v1", "get"}), "k1: RW access update;");
  EXPECT_EQ(keys_and_flags({"mset", "k1", "v1", "k2", "v2"}), "k1: OW update;k2: OW update;");
  EXPECT_EQ(keys_and_flags({"lmove", "k1", "k2", "left", "right"}),
            "k1: RW access delete;k2: RW insert;");
  EXPECT_EQ(keys_and_flags({"sort", "k1", "store", "k2"}), "k1: RO access;k2: OW update;");
  EXPECT_EQ(keys_and_flags({"sort_ro", "k1", "by", "x"}), "k1: RO access;");
  EXPECT_EQ(keys_and_flags({"bitfield", "k", "get", "u8", "0", "overflow", "sat"}),
            "k: RO access;");
  EXPECT_EQ(keys_and_flags({"bitfield", "k", "get", "u8", "0", "incrby", "u8", "0", "1"}),
            "k: RW access update;");
  EXPECT_EQ(keys_and_flags({"bitfield", "k", "get", "u8"}), "k: RW access update;");
  EXPECT_EQ(keys_and_flags({"object", "encoding", "k"}, "object|encoding"), "k: RO;");
  // A count the specs cannot read: the call is malformed and has no keys.
  EXPECT_EQ(keys_and_flags({"zunionstore", "d", "0", "a"}), "");
  EXPECT_EQ(keys_and_flags({"eval", "return 1", "0"}), "");
}

TEST(KeySpecsTest, FlagNamesInRedisOrder) {
  EXPECT_EQ(KeySpecFlagNames(kKeyVariableFlags | kKeyUpdate | kKeyRW | kKeyAccess),
            (std::vector<std::string_view>{"RW", "access", "update", "variable_flags"}));
  EXPECT_EQ(KeySpecFlagNames(kKeyNotKey | kKeyIncomplete | kKeyRM | kKeyDelete | kKeyInsert),
            (std::vector<std::string_view>{"RM", "insert", "delete", "not_key", "incomplete"}));
  EXPECT_TRUE(KeySpecFlagNames(0).empty());
}

}  // namespace
}  // namespace shale::server
