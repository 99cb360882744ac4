#include "server/acl.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/acl_categories.h"
#include "server/command_stats.h"
#include "server/command_table.h"
#include "server/sha256.h"

namespace shale::server {
namespace {

class AclTest : public ::testing::Test {
 protected:
  // Applies `rules` to `user`; the error text, empty on success.
  std::string Set(std::string_view user, const std::vector<std::string_view>& rules) {
    std::string error;
    if (acl_.SetUser(user, rules, &error)) return {};
    return error;
  }
  const AclUser& User(std::string_view name) { return *acl_.Find(name); }
  // The verdict of `args` (a whole call) for `user`, and what it names.
  Acl::Verdict Check(std::string_view user, const std::vector<std::string_view>& args,
                     std::string* object = nullptr) {
    std::string ignored;
    const CommandSpec* spec = table_.Find(args[0]);
    EXPECT_NE(spec, nullptr) << args[0];
    return acl_.Check(User(user), *spec, args, object != nullptr ? object : &ignored);
  }

  CommandTable table_;
  CommandStats stats_{table_};
  Acl acl_{table_, stats_};
};

TEST_F(AclTest, DefaultUserIsUnrestrictedAndNeedsNoPassword) {
  const AclUser& user = *acl_.default_user();
  EXPECT_TRUE(user.unrestricted());
  EXPECT_TRUE(user.enabled());
  EXPECT_FALSE(acl_.DefaultUserNeedsAuth());
  EXPECT_EQ(acl_.Describe(user), "user default on nopass ~* &* +@all");
  EXPECT_NE(acl_.Authenticate("default", "anything"), nullptr);
}

TEST_F(AclTest, RequirepassIsTheDefaultUsersPassword) {
  acl_.SetDefaultPassword("secret");
  EXPECT_TRUE(acl_.DefaultUserNeedsAuth());
  EXPECT_EQ(acl_.default_user()->password_hashes(), std::vector<std::string>{Sha256Hex("secret")});
  EXPECT_EQ(acl_.Authenticate("default", "wrong"), nullptr);
  EXPECT_EQ(acl_.Authenticate("default", "secret"), acl_.default_user());
  acl_.SetDefaultPassword("");
  EXPECT_FALSE(acl_.DefaultUserNeedsAuth());
  EXPECT_TRUE(acl_.default_user()->nopass());
}

TEST_F(AclTest, NewUserIsOffWithNothingAllowed) {
  ASSERT_EQ(Set("bob", {}), "");
  EXPECT_EQ(acl_.Describe(User("bob")), "user bob off resetchannels -@all");
  EXPECT_FALSE(User("bob").unrestricted());
  EXPECT_EQ(Check("bob", {"get", "k"}), Acl::Verdict::kCommand);
  // Off: no password opens it.
  ASSERT_EQ(Set("bob", {">pw"}), "");
  EXPECT_EQ(acl_.Authenticate("bob", "pw"), nullptr);
  ASSERT_EQ(Set("bob", {"on"}), "");
  EXPECT_NE(acl_.Authenticate("bob", "pw"), nullptr);
  EXPECT_EQ(acl_.Authenticate("bob", "pw2"), nullptr);
  EXPECT_EQ(acl_.Authenticate("nosuch", "pw"), nullptr);
}

TEST_F(AclTest, PasswordRules) {
  const std::string hash(64, 'b');
  ASSERT_EQ(Set("u", {">a", ">a", "#" + hash}), "");
  EXPECT_EQ(User("u").password_hashes(), (std::vector<std::string>{Sha256Hex("a"), hash}));
  ASSERT_EQ(Set("u", {"<a"}), "");
  EXPECT_EQ(User("u").password_hashes(), std::vector<std::string>{hash});
  EXPECT_EQ(Set("u", {"<a"}),
            "ERR Error in ACL SETUSER modifier '<a': The password you are trying to remove from "
            "the user does not exist");
  EXPECT_EQ(Set("u", {"#abc"}),
            "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
            "characters and contain only lowercase hexadecimal characters");
  ASSERT_EQ(Set("u", {"!" + hash}), "");
  EXPECT_TRUE(User("u").password_hashes().empty());
  ASSERT_EQ(Set("u", {">x", "nopass"}), "");
  EXPECT_TRUE(User("u").nopass());
  EXPECT_TRUE(User("u").password_hashes().empty());
  ASSERT_EQ(Set("u", {"resetpass"}), "");
  EXPECT_FALSE(User("u").nopass());
}

TEST_F(AclTest, AFailedRuleChangesNothing) {
  ASSERT_EQ(Set("u", {"on", "+get"}), "");
  EXPECT_EQ(Set("u", {"off", "+nosuch"}),
            "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  EXPECT_TRUE(User("u").enabled());
  EXPECT_EQ(Set("u", {"+@nosuch"}),
            "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in "
            "ACL");
  EXPECT_EQ(Set("u", {"bogus"}), "ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
  EXPECT_EQ(Set("a b", {}), "ERR Usernames can't contain spaces or null characters");
  EXPECT_EQ(acl_.Find("a b"), nullptr);
}

TEST_F(AclTest, CommandsAndCategories) {
  ASSERT_EQ(Set("u", {"+@string", "-set"}), "");
  EXPECT_EQ(acl_.DescribeCommands(User("u")), "-@all +@string -set");
  EXPECT_EQ(Check("u", {"get", "k"}), Acl::Verdict::kKey) << "no keys allowed yet";
  ASSERT_EQ(Set("u", {"allkeys"}), "");
  EXPECT_EQ(Check("u", {"get", "k"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"append", "k", "v"}), Acl::Verdict::kAllowed);
  std::string object;
  EXPECT_EQ(Check("u", {"set", "k", "v"}, &object), Acl::Verdict::kCommand);
  EXPECT_EQ(object, "set");
  EXPECT_EQ(Check("u", {"lpush", "k", "v"}), Acl::Verdict::kCommand);
  // Commands without the no_auth flag need a permission; AUTH and HELLO never do.
  EXPECT_EQ(Check("u", {"ping"}), Acl::Verdict::kCommand);
  EXPECT_EQ(Check("u", {"auth", "pw"}), Acl::Verdict::kAllowed);
  // +@all then removals: the rules are kept in order, each name once at its last place.
  ASSERT_EQ(Set("u", {"+@all", "-@dangerous", "+keys", "-get", "+get"}), "");
  EXPECT_EQ(acl_.DescribeCommands(User("u")), "+@all -@dangerous +keys +get");
  EXPECT_EQ(Check("u", {"flushall"}), Acl::Verdict::kCommand);
  EXPECT_EQ(Check("u", {"keys", "*"}), Acl::Verdict::kAllowed);
  ASSERT_EQ(Set("u", {"nocommands"}), "");
  EXPECT_EQ(acl_.DescribeCommands(User("u")), "-@all");
}

TEST_F(AclTest, SubcommandsAndFirstArguments) {
  ASSERT_EQ(Set("u", {"+client|id", "+config"}), "");
  EXPECT_EQ(Check("u", {"client", "id"}), Acl::Verdict::kAllowed);
  std::string object;
  EXPECT_EQ(Check("u", {"CLIENT", "LIST"}, &object), Acl::Verdict::kCommand);
  EXPECT_EQ(object, "client|list");
  EXPECT_EQ(Check("u", {"config", "get", "port"}), Acl::Verdict::kAllowed);
  ASSERT_EQ(Set("u", {"-config|set"}), "");
  EXPECT_EQ(Check("u", {"config", "set", "port", "1"}), Acl::Verdict::kCommand);
  EXPECT_EQ(Set("u", {"+client|nosuch"}),
            "ERR Error in ACL SETUSER modifier '+client|nosuch': Unknown command or category name "
            "in ACL");
  // A first-argument rule on a command that has no subcommands (Redis's "+select|0").
  ASSERT_EQ(Set("u", {"+select|0"}), "");
  EXPECT_EQ(Check("u", {"select", "0"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"select", "1"}), Acl::Verdict::kCommand);
  EXPECT_NE(Set("u", {"-select|0"}), "");
  // The categories of subcommands are their own: CONFIG GET is @admin, CLIENT ID is not.
  ASSERT_EQ(Set("v", {"+@admin"}), "");
  EXPECT_EQ(Check("v", {"config", "get", "port"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("v", {"client", "id"}), Acl::Verdict::kCommand);
}

TEST_F(AclTest, KeyPatterns) {
  ASSERT_EQ(Set("u", {"+@all", "~app:*", "%R~ro:*", "%W~wo:*"}), "");
  EXPECT_EQ(Acl::DescribeKeys(User("u")), "~app:* %R~ro:* %W~wo:*");
  EXPECT_EQ(Check("u", {"get", "app:1"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"set", "app:1", "v"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"get", "ro:1"}), Acl::Verdict::kAllowed);
  std::string object;
  EXPECT_EQ(Check("u", {"set", "ro:1", "v"}, &object), Acl::Verdict::kKey);
  EXPECT_EQ(object, "ro:1");
  EXPECT_EQ(Check("u", {"set", "wo:1", "v"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"get", "wo:1"}), Acl::Verdict::kKey);
  EXPECT_EQ(Check("u", {"set", "wo:1", "v", "GET"}), Acl::Verdict::kKey) << "GET reads";
  EXPECT_EQ(Check("u", {"incr", "wo:1"}), Acl::Verdict::kKey) << "INCR replies the value";
  EXPECT_EQ(Check("u", {"mget", "app:1", "other"}, &object), Acl::Verdict::kKey);
  EXPECT_EQ(object, "other");
  // The same pattern twice merges its access.
  ASSERT_EQ(Set("w", {"%R~a", "%W~a", "%RW~b"}), "");
  EXPECT_EQ(Acl::DescribeKeys(User("w")), "~a ~b");
  EXPECT_EQ(Set("w", {"%X~a"}), "ERR Error in ACL SETUSER modifier '%X~a': Syntax error");
  EXPECT_EQ(Set("w", {"allkeys", "~a"}),
            "ERR Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the "
            "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
            "with an empty list of patterns");
  ASSERT_EQ(Set("w", {"resetkeys", "~c"}), "");
  EXPECT_EQ(Acl::DescribeKeys(User("w")), "~c");
}

TEST_F(AclTest, ChannelPatterns) {
  ASSERT_EQ(Set("u", {"+@all", "allkeys", "&news.*"}), "");
  EXPECT_EQ(Acl::DescribeChannels(User("u")), "&news.*");
  EXPECT_EQ(Check("u", {"publish", "news.1", "m"}), Acl::Verdict::kAllowed);
  std::string object;
  EXPECT_EQ(Check("u", {"publish", "other", "m"}, &object), Acl::Verdict::kChannel);
  EXPECT_EQ(object, "other");
  EXPECT_EQ(Check("u", {"subscribe", "news.a", "news.b"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"subscribe", "news.a", "x"}), Acl::Verdict::kChannel);
  // A pattern subscription must be one of the user's patterns, literally.
  EXPECT_EQ(Check("u", {"psubscribe", "news.*"}), Acl::Verdict::kAllowed);
  EXPECT_EQ(Check("u", {"psubscribe", "news.1*"}), Acl::Verdict::kChannel);
  EXPECT_EQ(Check("u", {"unsubscribe", "x"}), Acl::Verdict::kAllowed);
  ASSERT_EQ(Set("u", {"allchannels"}), "");
  EXPECT_TRUE(User("u").unrestricted());
  EXPECT_NE(Set("u", {"&x"}), "");
}

TEST_F(AclTest, ResetAndTheTextFormRoundTrip) {
  ASSERT_EQ(Set("alice", {"on", ">pw", "~foo*", "%R~r*", "&ch*", "+@string", "-set", "+client|id"}),
            "");
  const std::string line = acl_.Describe(User("alice"));
  EXPECT_EQ(line, "user alice on #" + Sha256Hex("pw") +
                      " ~foo* %R~r* resetchannels &ch* -@all +@string -set +client|id");
  // Loading the lines gives the same users back.
  std::string text;
  for (const std::string& l : acl_.DescribeAll()) text += l + "\n";
  Acl other(table_, stats_);
  std::vector<std::shared_ptr<AclUser>> replaced;
  std::string error;
  ASSERT_TRUE(other.LoadFile(text, "users.acl", &replaced, &error)) << error;
  EXPECT_EQ(other.DescribeAll(), acl_.DescribeAll());
  ASSERT_EQ(Set("alice", {"reset"}), "");
  EXPECT_EQ(acl_.Describe(User("alice")), "user alice off sanitize-payload resetchannels -@all");
}

TEST_F(AclTest, LoadFileIsAllOrNothingAndReplacesUsers) {
  ASSERT_EQ(Set("old", {"on"}), "");
  const std::shared_ptr<AclUser> default_user = acl_.default_user();
  std::vector<std::shared_ptr<AclUser>> replaced;
  std::string error;
  EXPECT_FALSE(acl_.LoadFile("user a on\nnotuser b\nuser c +nosuch\n", "f.acl", &replaced, &error));
  EXPECT_EQ(error,
            "f.acl:2 should start with user keyword. f.acl:3: Unknown command or category name in "
            "ACL. ");
  EXPECT_NE(acl_.Find("old"), nullptr);
  ASSERT_TRUE(acl_.LoadFile("# users\n\nuser a on nopass +@all ~*\nuser default on >pw +@all\n",
                            "f.acl", &replaced, &error))
      << error;
  EXPECT_EQ(acl_.UserNames(), (std::vector<std::string>{"a", "default"}));
  ASSERT_EQ(replaced.size(), 1u);
  EXPECT_EQ(replaced[0]->name(), "old");
  // The default user keeps its object and takes the file's rules.
  EXPECT_EQ(acl_.default_user(), default_user);
  EXPECT_TRUE(acl_.DefaultUserNeedsAuth());
  EXPECT_EQ(acl_.Describe(*default_user),
            "user default on #" + Sha256Hex("pw") + " resetchannels +@all");
}

TEST_F(AclTest, ConfigDirectives) {
  std::string error;
  ASSERT_TRUE(
      acl_.LoadDirectives({{"alice", "on", ">pw", "~*", "+@all"}, {"default", "off"}}, &error))
      << error;
  EXPECT_NE(acl_.Authenticate("alice", "pw"), nullptr);
  EXPECT_FALSE(acl_.default_user()->enabled());
  EXPECT_FALSE(acl_.LoadDirectives({{"alice", "on"}}, &error));
  EXPECT_EQ(error,
            "Error in user declaration 'alice': Duplicate user found. A user can only be defined "
            "once in config files");
  EXPECT_FALSE(acl_.LoadDirectives({{"bob", "+nosuch"}}, &error));
  EXPECT_EQ(error, "Error in user declaration 'bob': Unknown command or category name in ACL");
}

TEST_F(AclTest, LogGroupsSimilarEntries) {
  acl_.AddLogEntry("command", "toplevel", "get", "u", "id=1", 1000, 128);
  acl_.AddLogEntry("command", "toplevel", "set", "u", "id=1", 2000, 128);
  acl_.AddLogEntry("command", "toplevel", "get", "u", "id=2", 3000, 128);
  ASSERT_EQ(acl_.log().size(), 2u);
  EXPECT_EQ(acl_.log()[0].object, "get");
  EXPECT_EQ(acl_.log()[0].count, 2u);
  EXPECT_EQ(acl_.log()[0].client_info, "id=2");
  EXPECT_EQ(acl_.log()[0].entry_id, 0u);
  EXPECT_EQ(acl_.log()[0].created_ms, 1000u);
  EXPECT_EQ(acl_.log()[0].updated_ms, 3000u);
  // Past 60 s a similar denial is a new entry.
  acl_.AddLogEntry("command", "toplevel", "get", "u", "id=2", 3000 + 60001, 128);
  EXPECT_EQ(acl_.log().size(), 3u);
  EXPECT_EQ(acl_.log()[0].entry_id, 2u);
  acl_.AddLogEntry("key", "multi", "k", "u", "id=2", 70000, 2);
  EXPECT_EQ(acl_.log().size(), 2u) << "trimmed to the max length";
}

TEST_F(AclTest, CategoriesFollowRedis) {
  auto labels = [&](std::string_view name) {
    std::string text;
    for (std::string_view label : AclCategoryLabels(table_.Find(name)->acl_categories)) {
      if (!text.empty()) text += ' ';
      text += label;
    }
    return text;
  };
  // Redis 7's COMMAND INFO categories.
  EXPECT_EQ(labels("get"), "@read @string @fast");
  EXPECT_EQ(labels("set"), "@write @string @slow");
  EXPECT_EQ(labels("blpop"), "@write @list @slow @blocking");
  EXPECT_EQ(labels("keys"), "@keyspace @read @slow @dangerous");
  EXPECT_EQ(labels("flushall"), "@keyspace @write @slow @dangerous");
  EXPECT_EQ(labels("config"), "@slow");
  EXPECT_EQ(labels("command"), "@slow @connection");
  EXPECT_EQ(labels("sort"), "@write @set @sortedset @list @slow @dangerous");
  EXPECT_EQ(labels("publish"), "@pubsub @fast");
  EXPECT_EQ(labels("multi"), "@fast @transaction");
  EXPECT_EQ(labels("geoadd"), "@write @geo @slow");
  EXPECT_EQ(SubcommandAclCategories("config|get"), kAclAdmin | kAclSlow | kAclDangerous);
  EXPECT_EQ(AclCategoryByName("SortedSet"), kAclSortedset);
  EXPECT_EQ(AclCategoryByName("nosuch"), 0u);
}

}  // namespace
}  // namespace shale::server
