// Users and permissions (ACL): ACL SETUSER/GETUSER/DELUSER/LIST/USERS/WHOAMI/CAT/LOG/SAVE/LOAD/
// GENPASS/DRYRUN, AUTH and HELLO as a user, command, category, key and channel denials, MULTI
// with a denied command, requirepass as the default user's password, the aclfile and `user`
// directives, and the disconnection of a deleted user's clients. Each test has its own server.
// Runs against Redis 7.0 too (SHALE_TEST_SERVER=/usr/bin/redis-server): where 7.0's texts
// differ from 7.2's, which Shale follows, the test expects each server's own.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

constexpr char kWrongPass[] = "-WRONGPASS invalid username-password pair or user is disabled.";
// Sha256("pw"), as Redis shows it.
constexpr char kPwHash[] = "30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4";

class AclTest : public ServerFixture {
 protected:
  // A client authenticated as `user` with `password` (nullptr after a failure it records).
  std::unique_ptr<Client> ConnectAs(const std::string& user, const std::string& password) {
    std::unique_ptr<Client> client = Connect();
    if (client == nullptr) return nullptr;
    const std::string reply = client->Run({"AUTH", user, password});
    if (reply != "+OK") {
      ADD_FAILURE() << "AUTH " << user << " answered " << reply;
      return nullptr;
    }
    return client;
  }
  // Redis 7.2's texts (Shale's); Redis 7.0 words them differently.
  std::string NoPermCommand(const std::string& user, const std::string& command) const {
    if (IsRedis()) {
      return "-NOPERM this user has no permissions to run the '" + command + "' command";
    }
    return "-NOPERM User " + user + " has no permissions to run the '" + command + "' command";
  }
  std::string NoPermKey() const {
    return IsRedis() ? "-NOPERM this user has no permissions to access one of the keys used as "
                       "arguments"
                     : "-NOPERM No permissions to access a key";
  }
  std::string NoPermChannel() const {
    return IsRedis() ? "-NOPERM this user has no permissions to access one of the channels used "
                       "as arguments"
                     : "-NOPERM No permissions to access a channel";
  }
  // The value after `name` in a flat name/value array reply; nullptr if absent.
  static const redisReply* Field(const redisReply* map, const std::string& name) {
    if (map == nullptr || map->type != REDIS_REPLY_ARRAY) return nullptr;
    for (size_t i = 0; i + 1 < map->elements; i += 2) {
      if (ReplyString(map->element[i]) == name) return map->element[i + 1];
    }
    return nullptr;
  }
};

TEST_F(AclTest, SetUserGetUserRoundTrip) {
  // One category and one command: Redis 7.0 writes single commands in its hash table's order.
  ASSERT_EQ(
      Run({"ACL", "SETUSER", "alice", "on", ">pw", "~foo*", "%R~r*", "&ch*", "+@string", "-set"}),
      "+OK");
  EXPECT_EQ(Run({"ACL", "GETUSER", "alice"}),
            std::string("[\"flags\", [\"on\"], \"passwords\", [\"") + kPwHash +
                "\"], \"commands\", \"-@all +@string -set\", \"keys\", \"~foo* %R~r*\", "
                "\"channels\", \"&ch*\", \"selectors\", []]");
  EXPECT_EQ(Run({"ACL", "LIST"}),
            std::string("[\"user alice on #") + kPwHash +
                " ~foo* %R~r* resetchannels &ch* -@all +@string -set\", \"user default "
                "on nopass ~* &* +@all\"]");
  EXPECT_EQ(Run({"ACL", "USERS"}), "[\"alice\", \"default\"]");
  EXPECT_EQ(Run({"ACL", "GETUSER", "nosuch"}), "(nil)");
  // A new user is off, with no permissions and no patterns.
  ASSERT_EQ(Run({"ACL", "SETUSER", "bob"}), "+OK");
  EXPECT_EQ(Run({"ACL", "GETUSER", "bob"}),
            "[\"flags\", [\"off\"], \"passwords\", [], \"commands\", \"-@all\", \"keys\", \"\", "
            "\"channels\", \"\", \"selectors\", []]");
  EXPECT_EQ(Run({"ACL", "GETUSER", "default"}),
            "[\"flags\", [\"on\", \"nopass\"], \"passwords\", [], \"commands\", \"+@all\", "
            "\"keys\", \"~*\", \"channels\", \"&*\", \"selectors\", []]");
  // Errors, all or nothing.
  EXPECT_EQ(Run({"ACL", "SETUSER", "alice", "off", "+nosuch"}),
            "-ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in "
            "ACL");
  EXPECT_EQ(Run({"ACL", "SETUSER", "alice", "bogus"}),
            "-ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
  EXPECT_EQ(Run({"ACL", "SETUSER", "a b"}),
            "-ERR Usernames can't contain spaces or null characters");
  EXPECT_EQ(Run({"ACL", "WHOAMI"}), "\"default\"");
  EXPECT_EQ(Run({"ACL", "DELUSER", "default"}), "-ERR The 'default' user cannot be removed");
  EXPECT_EQ(Run({"ACL", "DELUSER", "bob", "nosuch"}), ":1");
  EXPECT_EQ(Run({"ACL", "USERS"}), "[\"alice\", \"default\"]");
}

TEST_F(AclTest, AuthAsAUser) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all"}), "+OK");
  std::unique_ptr<Client> alice = Connect();
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->Run({"AUTH", "alice", "bad"}), kWrongPass);
  EXPECT_EQ(alice->Run({"AUTH", "nosuch", "pw"}), kWrongPass);
  EXPECT_EQ(alice->Run({"ACL", "WHOAMI"}), "\"default\"");
  EXPECT_EQ(alice->Run({"AUTH", "alice", "pw"}), "+OK");
  EXPECT_EQ(alice->Run({"ACL", "WHOAMI"}), "\"alice\"");
  const std::string info = ReplyString(alice->Command({"CLIENT", "INFO"}).get());
  EXPECT_NE(info.find(" user=alice "), std::string::npos) << info;
  // HELLO AUTH as another user; RESET goes back to the default user.
  ASSERT_EQ(Run({"ACL", "SETUSER", "bob", "on", ">bpw", "+@all"}), "+OK");
  ReplyPtr hello = alice->Command({"HELLO", "2", "AUTH", "bob", "bpw"});
  ASSERT_NE(hello, nullptr);
  EXPECT_EQ(hello->type, REDIS_REPLY_ARRAY) << Describe(hello);
  EXPECT_EQ(alice->Run({"ACL", "WHOAMI"}), "\"bob\"");
  EXPECT_EQ(alice->Run({"HELLO", "2", "AUTH", "bob", "bad"}), kWrongPass);
  EXPECT_EQ(alice->Run({"RESET"}), "+RESET");
  EXPECT_EQ(alice->Run({"ACL", "WHOAMI"}), "\"default\"");
  // A disabled user cannot authenticate.
  ASSERT_EQ(Run({"ACL", "SETUSER", "alice", "off"}), "+OK");
  EXPECT_EQ(alice->Run({"AUTH", "alice", "pw"}), kWrongPass);
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "acl_access_denied_auth"), "4");
  }
}

TEST_F(AclTest, CommandAndCategoryDenials) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "carol", "on", ">pw", "~*", "&*", "+get", "+@hash", "-hdel",
                 "+client|id", "+acl|whoami"}),
            "+OK");
  std::unique_ptr<Client> carol = ConnectAs("carol", "pw");
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(carol->Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(carol->Run({"PING"}), NoPermCommand("carol", "ping"));
  EXPECT_EQ(carol->Run({"SET", "k", "v"}), NoPermCommand("carol", "set"));
  EXPECT_EQ(carol->Run({"HSET", "h", "f", "v"}), ":1");
  EXPECT_EQ(carol->Run({"HDEL", "h", "f"}), NoPermCommand("carol", "hdel"));
  EXPECT_EQ(carol->Run({"CLIENT", "ID"}).front(), ':');
  EXPECT_EQ(carol->Run({"CLIENT", "LIST"}), NoPermCommand("carol", "client|list"));
  EXPECT_EQ(carol->Run({"ACL", "WHOAMI"}), "\"carol\"");
  EXPECT_EQ(carol->Run({"ACL", "LIST"}), NoPermCommand("carol", "acl|list"));
  // A change applies to the user's open connections at once.
  ASSERT_EQ(Run({"ACL", "SETUSER", "carol", "+@all", "-@dangerous"}), "+OK");
  EXPECT_EQ(carol->Run({"PING"}), "+PONG");
  EXPECT_EQ(carol->Run({"FLUSHALL"}), NoPermCommand("carol", "flushall"));
  EXPECT_EQ(carol->Run({"CONFIG", "GET", "port"}), NoPermCommand("carol", "config|get"));
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "acl_access_denied_cmd"), "7");
  }
}

TEST_F(AclTest, KeyDenials) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "kim", "on", ">pw", "+@all", "~foo*", "%R~ro*", "%W~wo*"}),
            "+OK");
  std::unique_ptr<Client> kim = ConnectAs("kim", "pw");
  ASSERT_NE(kim, nullptr);
  EXPECT_EQ(kim->Run({"SET", "foo1", "v"}), "+OK");
  EXPECT_EQ(kim->Run({"GET", "foo1"}), "\"v\"");
  EXPECT_EQ(kim->Run({"GET", "bar"}), NoPermKey());
  EXPECT_EQ(kim->Run({"MSET", "foo2", "a", "bar", "b"}), NoPermKey());
  EXPECT_EQ(Run({"EXISTS", "foo2"}), ":0") << "a refused command does nothing";
  EXPECT_EQ(kim->Run({"GET", "ro1"}), "(nil)");
  EXPECT_EQ(kim->Run({"SET", "ro1", "v"}), NoPermKey());
  EXPECT_EQ(kim->Run({"SET", "wo1", "v"}), "+OK");
  EXPECT_EQ(kim->Run({"GET", "wo1"}), NoPermKey());
  EXPECT_EQ(kim->Run({"PING"}), "+PONG") << "a command without keys";
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "acl_access_denied_key"), "4");
  }
}

TEST_F(AclTest, ChannelDenials) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "pat", "on", ">pw", "+@all", "~*", "resetchannels", "&news.*"}),
            "+OK");
  std::unique_ptr<Client> pat = ConnectAs("pat", "pw");
  ASSERT_NE(pat, nullptr);
  EXPECT_EQ(pat->Run({"PUBLISH", "news.1", "m"}), ":0");
  EXPECT_EQ(pat->Run({"PUBLISH", "sports", "m"}), NoPermChannel());
  EXPECT_EQ(pat->Run({"SUBSCRIBE", "news.1", "sports"}), NoPermChannel());
  EXPECT_EQ(pat->Run({"PSUBSCRIBE", "news.1*"}), NoPermChannel()) << "patterns match literally";
  EXPECT_EQ(pat->Run({"PSUBSCRIBE", "news.*"}), "[\"psubscribe\", \"news.*\", :1]");
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "acl_access_denied_channel"), "3");
  }
}

TEST_F(AclTest, RevokingAChannelDisconnectsItsSubscribers) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "sub", "on", ">pw", "+@all", "~*", "resetchannels", "&news.*"}),
            "+OK");
  std::unique_ptr<Client> sub = ConnectAs("sub", "pw");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->Run({"SUBSCRIBE", "news.1"}), "[\"subscribe\", \"news.1\", :1]");
  ASSERT_TRUE(WaitForClientCount(2));
  // Still allowed: stays.
  ASSERT_EQ(Run({"ACL", "SETUSER", "sub", "&other"}), "+OK");
  EXPECT_EQ(Run({"PUBLISH", "news.1", "hello"}), ":1");
  ASSERT_EQ(Run({"ACL", "SETUSER", "sub", "resetchannels", "&other"}), "+OK");
  EXPECT_TRUE(WaitForClientCount(1)) << Run({"CLIENT", "LIST"});
  EXPECT_EQ(Run({"PUBLISH", "news.1", "hello"}), ":0");
}

TEST_F(AclTest, AclLogRecordsDenials) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "lee", "on", ">pw", "~k*", "+get"}), "+OK");
  std::unique_ptr<Client> lee = ConnectAs("lee", "pw");
  ASSERT_NE(lee, nullptr);
  EXPECT_EQ(lee->Run({"AUTH", "lee", "bad"}), kWrongPass);
  EXPECT_EQ(lee->Run({"GET", "x"}), NoPermKey());
  EXPECT_EQ(lee->Run({"PING"}), NoPermCommand("lee", "ping"));
  EXPECT_EQ(lee->Run({"PING"}), NoPermCommand("lee", "ping"));
  ReplyPtr log = client_->Command({"ACL", "LOG"});
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->type, REDIS_REPLY_ARRAY) << Describe(log);
  ASSERT_EQ(log->elements, 3u) << Describe(log);
  // Newest first; the two PINGs are one entry.
  const redisReply* ping = log->element[0];
  EXPECT_EQ(Describe(Field(ping, "count")), ":2");
  EXPECT_EQ(Describe(Field(ping, "reason")), "\"command\"");
  EXPECT_EQ(Describe(Field(ping, "context")), "\"toplevel\"");
  EXPECT_EQ(Describe(Field(ping, "object")), "\"ping\"");
  EXPECT_EQ(Describe(Field(ping, "username")), "\"lee\"");
  ASSERT_NE(Field(ping, "client-info"), nullptr);
  EXPECT_NE(ReplyString(Field(ping, "client-info")).find("user=lee"), std::string::npos);
  ASSERT_NE(Field(ping, "age-seconds"), nullptr);
  const redisReply* key = log->element[1];
  EXPECT_EQ(Describe(Field(key, "reason")), "\"key\"");
  EXPECT_EQ(Describe(Field(key, "object")), "\"x\"");
  const redisReply* auth = log->element[2];
  EXPECT_EQ(Describe(Field(auth, "reason")), "\"auth\"");
  EXPECT_EQ(Describe(Field(auth, "object")), "\"AUTH\"");
  EXPECT_EQ(Describe(Field(auth, "username")), "\"lee\"");
  if (!IsRedis()) {  // Redis 7.2's fields
    EXPECT_EQ(Describe(Field(auth, "entry-id")), ":0");
    EXPECT_EQ(Describe(Field(ping, "entry-id")), ":2");
    ASSERT_NE(Field(ping, "timestamp-created"), nullptr);
    ASSERT_NE(Field(ping, "timestamp-last-updated"), nullptr);
    EXPECT_GE(Field(ping, "timestamp-last-updated")->integer,
              Field(ping, "timestamp-created")->integer);
  }
  ReplyPtr one = client_->Command({"ACL", "LOG", "1"});
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(one->elements, 1u);
  EXPECT_EQ(Run({"ACL", "LOG", "x"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"ACL", "LOG", "RESET"}), "+OK");
  EXPECT_EQ(Run({"ACL", "LOG"}), "[]");
}

TEST_F(AclTest, MultiWithADeniedCommandAborts) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "tx", "on", ">pw", "~*", "+multi", "+exec", "+set"}), "+OK");
  std::unique_ptr<Client> tx = ConnectAs("tx", "pw");
  ASSERT_NE(tx, nullptr);
  EXPECT_EQ(tx->Run({"MULTI"}), "+OK");
  EXPECT_EQ(tx->Run({"SET", "k", "v"}), "+QUEUED");
  EXPECT_EQ(tx->Run({"GET", "k"}), NoPermCommand("tx", "get"));
  EXPECT_EQ(tx->Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  ReplyPtr log = client_->Command({"ACL", "LOG", "1"});
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(log->elements, 1u) << Describe(log);
  EXPECT_EQ(Describe(Field(log->element[0], "context")), "\"multi\"");
  EXPECT_EQ(Describe(Field(log->element[0], "object")), "\"get\"");
}

TEST_F(AclTest, RequirepassIsTheDefaultUsersPassword) {
  ASSERT_EQ(Run({"CONFIG", "SET", "requirepass", "pw"}), "+OK");
  EXPECT_EQ(Run({"ACL", "LIST"}),
            std::string("[\"user default on #") + kPwHash + " ~* &* +@all\"]");
  std::unique_ptr<Client> other = Connect(/*authenticate=*/false);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Run({"GET", "k"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(other->Run({"AUTH", "default", "bad"}), kWrongPass);
  EXPECT_EQ(other->Run({"AUTH", "default", "pw"}), "+OK");
  EXPECT_EQ(other->Run({"GET", "k"}), "(nil)");
  std::unique_ptr<Client> third = Connect(/*authenticate=*/false);
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->Run({"AUTH", "pw"}), "+OK");
  // And the other way: the default user's password is what AUTH <password> checks.
  ASSERT_EQ(Run({"ACL", "SETUSER", "default", "resetpass", ">pw2"}), "+OK");
  std::unique_ptr<Client> fourth = Connect(/*authenticate=*/false);
  ASSERT_NE(fourth, nullptr);
  EXPECT_EQ(fourth->Run({"AUTH", "pw"}), kWrongPass);
  EXPECT_EQ(fourth->Run({"AUTH", "pw2"}), "+OK");
  ASSERT_EQ(Run({"CONFIG", "SET", "requirepass", ""}), "+OK");
  EXPECT_EQ(Run({"ACL", "LIST"}), "[\"user default on nopass ~* &* +@all\"]");
  std::unique_ptr<Client> fifth = Connect(/*authenticate=*/false);
  ASSERT_NE(fifth, nullptr);
  EXPECT_EQ(fifth->Run({"GET", "k"}), "(nil)");
  EXPECT_EQ(fifth->Run({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
}

TEST_F(AclTest, DeletingAUserClosesItsConnections) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*"}), "+OK");
  std::unique_ptr<Client> gone = ConnectAs("gone", "pw");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->Run({"PING"}), "+PONG");
  ASSERT_TRUE(WaitForClientCount(2));
  EXPECT_EQ(Run({"ACL", "DELUSER", "gone"}), ":1");
  EXPECT_TRUE(WaitForClientCount(1)) << Run({"CLIENT", "LIST"});
  EXPECT_EQ(gone->Run({"PING"}), "(no reply)");
  // Deleting one's own user: the reply arrives, then the connection closes.
  ASSERT_EQ(Run({"ACL", "SETUSER", "self", "on", ">pw", "+@all", "~*"}), "+OK");
  std::unique_ptr<Client> self = ConnectAs("self", "pw");
  ASSERT_NE(self, nullptr);
  EXPECT_EQ(self->Run({"ACL", "DELUSER", "self"}), ":1");
  EXPECT_EQ(self->Run({"PING"}), "(no reply)");
}

TEST_F(AclTest, CategoriesAndDryRun) {
  ReplyPtr categories = client_->Command({"ACL", "CAT"});
  ASSERT_NE(categories, nullptr);
  EXPECT_EQ(ArrayStrings(categories.get()),
            (std::vector<std::string>{
                "keyspace",   "read",        "write",    "set",         "sortedset", "list",
                "hash",       "string",      "bitmap",   "hyperloglog", "geo",       "stream",
                "pubsub",     "admin",       "fast",     "slow",        "blocking",  "dangerous",
                "connection", "transaction", "scripting"}));
  std::vector<std::string> geo = ArrayStrings(client_->Command({"ACL", "CAT", "geo"}).get());
  std::sort(geo.begin(), geo.end());
  EXPECT_EQ(geo, (std::vector<std::string>{"geoadd", "geodist", "geohash", "geopos", "georadius",
                                           "georadius_ro", "georadiusbymember",
                                           "georadiusbymember_ro", "geosearch", "geosearchstore"}));
  std::vector<std::string> admin = ArrayStrings(client_->Command({"ACL", "CAT", "admin"}).get());
  EXPECT_NE(std::find(admin.begin(), admin.end(), "config|get"), admin.end());
  EXPECT_EQ(std::find(admin.begin(), admin.end(), "config|help"), admin.end());
  EXPECT_EQ(Run({"ACL", "CAT", "nosuch"}), "-ERR Unknown category 'nosuch'");
  std::vector<std::string> listed =
      ArrayStrings(client_->Command({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "geo"}).get());
  std::sort(listed.begin(), listed.end());
  EXPECT_EQ(listed, geo);
  ReplyPtr info = client_->Command({"COMMAND", "INFO", "get", "sort"});
  ASSERT_NE(info, nullptr);
  ASSERT_EQ(info->elements, 2u);
  EXPECT_EQ(ArrayStrings(info->element[0]->element[6]),
            (std::vector<std::string>{"@read", "@string", "@fast"}));
  EXPECT_EQ(
      ArrayStrings(info->element[1]->element[6]),
      (std::vector<std::string>{"@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"}));

  ASSERT_EQ(Run({"ACL", "SETUSER", "dry", "on", "~foo*", "&ch", "+get", "+publish"}), "+OK");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "get", "foo"}), "+OK");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "set", "foo", "v"}),
            IsRedis() ? "\"This user has no permissions to run the 'set' command\""
                      : "\"User dry has no permissions to run the 'set' command\"");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "get", "bar"}),
            IsRedis() ? "\"This user has no permissions to access the 'bar' key\""
                      : "\"No permissions to access the 'bar' key\"");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "publish", "other", "m"}),
            IsRedis() ? "\"This user has no permissions to access the 'other' channel\""
                      : "\"No permissions to access the 'other' channel\"");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "nosuch", "get", "x"}), "-ERR User 'nosuch' not found");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "nosuch"}), "-ERR Command 'nosuch' not found");
  EXPECT_EQ(Run({"ACL", "DRYRUN", "dry", "get"}),
            "-ERR wrong number of arguments for 'get' command");

  EXPECT_EQ(ReplyString(client_->Command({"ACL", "GENPASS"}).get()).size(), 64u);
  EXPECT_EQ(ReplyString(client_->Command({"ACL", "GENPASS", "5"}).get()).size(), 2u);
  EXPECT_EQ(Run({"ACL", "GENPASS", "0"}),
            "-ERR ACL GENPASS argument must be the number of bits for the output password, a "
            "positive number up to 4096");
  EXPECT_EQ(Run({"ACL", "SAVE"}),
            "-ERR This Redis instance is not configured to use an ACL file. You may want to "
            "specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
            "(assuming you have a Redis configuration file set) in order to store users in the "
            "Redis configuration.");
  EXPECT_EQ(Run({"ACL", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try ACL HELP.");
}

// A server whose users live in an ACL file.
class AclFileTest : public AclTest {
 protected:
  AclFileTest() {
    char pattern[] = "/tmp/shale-acl-XXXXXX";
    dir_ = mkdtemp(pattern);
    path_ = dir_ + "/users.acl";
    std::ofstream(path_) << "user default on nopass ~* &* +@all\n";
  }
  ~AclFileTest() override { std::filesystem::remove_all(dir_); }
  std::vector<std::string> ServerArgs() const override { return {"--aclfile", path_}; }

  std::string dir_;
  std::string path_;
};

TEST_F(AclFileTest, SaveAndLoadAcrossARestart) {
  ASSERT_EQ(Run({"ACL", "SETUSER", "alice", "on", ">pw", "~*", "&*", "+@all"}), "+OK");
  EXPECT_EQ(Run({"ACL", "SAVE"}), "+OK");
  {
    std::ifstream in(path_);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, std::string("user alice on #") + kPwHash +
                        " ~* &* +@all\nuser default on nopass ~* &* +@all\n");
  }
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  std::unique_ptr<Client> alice = ConnectAs("alice", "pw");
  ASSERT_NE(alice, nullptr);
  // ACL LOAD replaces the users and closes the connections of the users it replaced.
  std::ofstream(path_, std::ios::app) << "user bob on >bpw +@all ~*\n";
  EXPECT_EQ(Run({"ACL", "LOAD"}), "+OK");
  EXPECT_EQ(Run({"ACL", "USERS"}), "[\"alice\", \"bob\", \"default\"]");
  EXPECT_EQ(alice->Run({"PING"}), "(no reply)");
  // A bad file changes nothing.
  std::ofstream(path_, std::ios::app) << "user carol on +nosuch\n";
  const std::string reply = Run({"ACL", "LOAD"});
  EXPECT_EQ(reply.rfind("-ERR ", 0), 0u) << reply;
  EXPECT_NE(reply.find("Unknown command or category name in ACL"), std::string::npos) << reply;
  EXPECT_EQ(Run({"ACL", "USERS"}), "[\"alice\", \"bob\", \"default\"]");
  // ... and a server does not start on it.
  ASSERT_TRUE(server_.Stop(&error)) << error;
  client_.reset();
  EXPECT_FALSE(server_.Restart(&error));
  EXPECT_NE(error.find("Unknown command or category name in ACL"), std::string::npos) << error;
}

// Users declared in the configuration.
class AclDirectivesTest : public AclTest {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--user", "alice", "on", ">pw",  "~*",   "&*", "+@all",
            "--user", "bob",   "on", ">bpw", "+get", "~b*"};
  }
};

TEST_F(AclDirectivesTest, UsersFromTheConfiguration) {
  EXPECT_EQ(Run({"ACL", "USERS"}), "[\"alice\", \"bob\", \"default\"]");
  std::unique_ptr<Client> alice = ConnectAs("alice", "pw");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->Run({"SET", "k", "v"}), "+OK");
  std::unique_ptr<Client> bob = ConnectAs("bob", "bpw");
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->Run({"GET", "b1"}), "(nil)");
  EXPECT_EQ(bob->Run({"GET", "k"}), NoPermKey());
}

// `user` directives and an aclfile together: the server refuses to start.
TEST(AclStartupTest, UserDirectivesAndAnAclFileAreRefused) {
  char pattern[] = "/tmp/shale-acl-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  const std::string path = dir + "/users.acl";
  std::ofstream(path) << "user default on nopass ~* &* +@all\n";
  ServerProcess server;
  std::string error;
  EXPECT_FALSE(server.Start({"--aclfile", path, "--user", "alice", "on"}, &error));
  EXPECT_NE(error.find("please define either an ACL file or declare users directly"),
            std::string::npos)
      << error;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shale::integration
