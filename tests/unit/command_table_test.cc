#include "server/command_table.h"

#include <gtest/gtest.h>

namespace shale::server {
namespace {

TEST(CommandTableTest, FindsCommandsCaseInsensitively) {
  CommandTable table;
  const CommandSpec* get = table.Find("GeT");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(get->name, "get");
  EXPECT_EQ(get->arity, 2);
  EXPECT_EQ(table.Find("nosuchcommand"), nullptr);
  EXPECT_EQ(table.Find(std::string(100, 'a')), nullptr);
}

TEST(CommandTableTest, EveryRowIsWellFormed) {
  CommandTable table;
  for (const CommandSpec& spec : table.commands()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_EQ(ToLower(spec.name), spec.name);
    EXPECT_NE(spec.arity, 0);
    EXPECT_NE(spec.handler, nullptr);
    EXPECT_FALSE(spec.summary.empty());
    EXPECT_FALSE(spec.group.empty());
    EXPECT_EQ(table.Find(spec.name), &spec);
    if (spec.first_key == 0) {
      EXPECT_EQ(spec.last_key, 0);
    } else {
      EXPECT_GE(spec.key_step, 1);
    }
  }
}

// Keys by position, and the movable keys a numkeys argument counts (LMPOP, BLMPOP); a count that
// does not parse or exceeds the arguments names no keys.
TEST(CommandTableTest, KeysOfPositionalAndMovableKeys) {
  CommandTable table;
  using Args = std::vector<std::string_view>;
  EXPECT_EQ(table.Find("mset")->KeysOf({"mset", "a", "1", "b", "2"}), (Args{"a", "b"}));
  EXPECT_EQ(table.Find("get")->KeysOf({"get", "k"}), (Args{"k"}));
  EXPECT_TRUE(table.Find("ping")->KeysOf({"ping"}).empty());
  EXPECT_FALSE(table.Find("ping")->HasKeys());
  const CommandSpec* lmpop = table.Find("lmpop");
  ASSERT_NE(lmpop, nullptr);
  EXPECT_TRUE(lmpop->HasKeys());
  EXPECT_EQ(lmpop->KeysOf({"lmpop", "2", "a", "b", "left"}), (Args{"a", "b"}));
  EXPECT_TRUE(lmpop->KeysOf({"lmpop", "0", "a", "left"}).empty());
  EXPECT_TRUE(lmpop->KeysOf({"lmpop", "x", "a", "left"}).empty());
  EXPECT_TRUE(lmpop->KeysOf({"lmpop", "4", "a", "left"}).empty());
  EXPECT_TRUE(lmpop->KeysOf({"lmpop", "-1", "a", "left"}).empty());
  EXPECT_EQ(table.Find("blmpop")->KeysOf({"blmpop", "0", "1", "a", "left"}), (Args{"a"}));
  const CommandSpec* sort = table.Find("sort");
  EXPECT_EQ(sort->KeysOf({"sort", "k"}), (Args{"k"}));
  EXPECT_EQ(sort->KeysOf({"sort", "k", "BY", "store", "GET", "store", "STORE", "d"}),
            (Args{"k", "d"}));
  EXPECT_EQ(sort->KeysOf({"sort", "k", "LIMIT", "0", "store", "STORE", ""}), (Args{"k", ""}));
  EXPECT_EQ(table.Find("sintercard")->KeysOf({"sintercard", "2", "a", "b", "LIMIT", "1"}),
            (Args{"a", "b"}));
}

TEST(CommandTableTest, ArityFollowsRedisConvention) {
  CommandSpec exact{};
  exact.arity = 2;
  EXPECT_TRUE(exact.ArityMatches(2));
  EXPECT_FALSE(exact.ArityMatches(1));
  EXPECT_FALSE(exact.ArityMatches(3));
  CommandSpec at_least{};
  at_least.arity = -3;
  EXPECT_FALSE(at_least.ArityMatches(2));
  EXPECT_TRUE(at_least.ArityMatches(3));
  EXPECT_TRUE(at_least.ArityMatches(30));
}

TEST(CommandTableTest, ErrorTextsMatchRedis) {
  EXPECT_EQ(WrongArityError("GET"), "ERR wrong number of arguments for 'get' command");
  std::vector<std::string_view> args = {"foo", "a", "b"};
  EXPECT_EQ(UnknownCommandError(args),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  std::vector<std::string_view> no_args = {"foo"};
  EXPECT_EQ(UnknownCommandError(no_args), "ERR unknown command 'foo', with args beginning with: ");
  EXPECT_EQ(UnknownSubcommandError("config", "nope"),
            "ERR unknown subcommand 'nope'. Try CONFIG HELP.");
}

TEST(CommandTableTest, UnknownCommandErrorIsBounded) {
  std::string long_arg(1000, 'x');
  std::vector<std::string_view> args = {long_arg, long_arg, long_arg};
  std::string error = UnknownCommandError(args);
  EXPECT_LT(error.size(), 400u);
}

TEST(CommandTableTest, ParseInt64IsStrict) {
  int64_t v = 0;
  EXPECT_TRUE(ParseInt64("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseInt64("-15", &v));
  EXPECT_EQ(v, -15);
  EXPECT_TRUE(ParseInt64("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseInt64("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.5", "abc",
                          "9223372036854775808", "-9223372036854775809", "123456789012345678901"}) {
    EXPECT_FALSE(ParseInt64(bad, &v)) << bad;
  }
}

TEST(CommandTableTest, CaseHelpers) {
  EXPECT_EQ(ToLower("SeT"), "set");
  EXPECT_TRUE(EqualsIgnoreCase("NX", "nx"));
  EXPECT_FALSE(EqualsIgnoreCase("nx", "nxx"));
  EXPECT_FALSE(EqualsIgnoreCase("nx", "xx"));
}

TEST(CommandTableTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secre"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secretsecret"));  // the secret repeated
  EXPECT_FALSE(ConstantTimeEquals("secret", ""));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), "a"));
}

}  // namespace
}  // namespace shale::server
