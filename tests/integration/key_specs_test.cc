// Key specs: COMMAND INFO's key-specs element in RESP2 and RESP3, and COMMAND GETKEYSANDFLAGS
// and GETKEYS with Redis 7.0's replies and errors (the expectations of Redis's own tests among
// them). SHALE_TEST_SERVER=/usr/bin/redis-server runs the same checks against Redis.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class KeySpecsTest : public ServerFixture {
 protected:
  // The key-specs element (the 9th) of COMMAND INFO `name` on client_ (RESP2).
  std::string KeySpecs(const std::string& name) {
    const ReplyPtr info = client_->Command({"COMMAND", "INFO", name});
    if (info == nullptr || info->type != REDIS_REPLY_ARRAY || info->elements != 1 ||
        info->element[0]->type != REDIS_REPLY_ARRAY || info->element[0]->elements != 10) {
      return "unexpected: " + Describe(info);
    }
    return Describe(info->element[0]->element[8]);
  }

  // A raw connection switched to RESP3.
  std::unique_ptr<RawConnection> ConnectResp3() {
    auto raw = ConnectRaw();
    if (raw == nullptr) return nullptr;
    RespValue hello;
    std::string error;
    EXPECT_TRUE(raw->Send("HELLO 3\r\n"));
    EXPECT_TRUE(raw->ReadReply(&hello, &error)) << error;
    EXPECT_EQ(hello.type, '%');
    return raw;
  }
};

constexpr char kIndex1Range0[] =
    "\"begin_search\", [\"type\", \"index\", \"spec\", [\"index\", :1]], \"find_keys\", "
    "[\"type\", \"range\", \"spec\", [\"lastkey\", :0, \"keystep\", :1, \"limit\", :0]]";

TEST_F(KeySpecsTest, CommandInfoShowsKeySpecs) {
  EXPECT_EQ(KeySpecs("get"), std::string("[[\"flags\", [+RO, +access], ") + kIndex1Range0 + "]]");
  EXPECT_EQ(
      KeySpecs("lmove"),
      std::string("[[\"flags\", [+RW, +access, +delete], ") + kIndex1Range0 +
          "], [\"flags\", [+RW, +insert], \"begin_search\", [\"type\", \"index\", \"spec\", "
          "[\"index\", :2]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :0, "
          "\"keystep\", :1, \"limit\", :0]]]]");
  // Every other argument from the first to the last.
  EXPECT_EQ(KeySpecs("mset"),
            "[[\"flags\", [+OW, +update], \"begin_search\", [\"type\", \"index\", \"spec\", "
            "[\"index\", :1]], \"find_keys\", [\"type\", \"range\", \"spec\", [\"lastkey\", :-1, "
            "\"keystep\", :2, \"limit\", :0]]]]");
  // A destination, then the keys a count names.
  EXPECT_EQ(KeySpecs("zunionstore"),
            "[[\"flags\", [+OW, +update], " + std::string(kIndex1Range0) +
                "], [\"flags\", [+RO, +access], \"begin_search\", [\"type\", \"index\", \"spec\", "
                "[\"index\", :2]], \"find_keys\", [\"type\", \"keynum\", \"spec\", [\"keynumidx\", "
                ":0, \"firstkey\", :1, \"keystep\", :1]]]]");
  // Keys after a keyword.
  const std::string georadius = KeySpecs("georadius");
  EXPECT_NE(georadius.find("[\"flags\", [+OW, +update], \"begin_search\", [\"type\", \"keyword\", "
                           "\"spec\", [\"keyword\", \"STORE\", \"startfrom\", :6]], \"find_keys\", "
                           "[\"type\", \"range\", \"spec\", [\"lastkey\", :0, \"keystep\", :1, "
                           "\"limit\", :0]]]"),
            std::string::npos)
      << georadius;
  EXPECT_NE(georadius.find("\"STOREDIST\""), std::string::npos) << georadius;
  // No keys, and a container, whose keys are its subcommands': none.
  EXPECT_EQ(KeySpecs("ping"), "[]");
  EXPECT_EQ(KeySpecs("object"), "[]");
  // A shard channel is not a key.
  EXPECT_NE(KeySpecs("spublish").find("[+not_key]"), std::string::npos);
}

TEST_F(KeySpecsTest, CommandInfoKeySpecsInResp3) {
  auto raw = ConnectResp3();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("COMMAND INFO lmove zunionstore ping\r\n"));
  RespValue info;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&info, &error)) << error;
  ASSERT_EQ(info.type, '*') << info.ToString();
  ASSERT_EQ(info.elements.size(), 3u);
  for (const RespValue& entry : info.elements) ASSERT_EQ(entry.elements.size(), 10u);
  const std::string range0 =
      "\"find_keys\": %{\"type\": \"range\", \"spec\": %{\"lastkey\": :0, \"keystep\": :1, "
      "\"limit\": :0}}";
  EXPECT_EQ(info.elements[0].elements[8].ToString(),
            "~[%{\"flags\": ~[+RW, +access, +delete], \"begin_search\": %{\"type\": \"index\", "
            "\"spec\": %{\"index\": :1}}, " +
                range0 +
                "}, %{\"flags\": ~[+RW, +insert], \"begin_search\": %{\"type\": \"index\", "
                "\"spec\": %{\"index\": :2}}, " +
                range0 + "}]");
  EXPECT_EQ(info.elements[1].elements[8].elements[1].ToString(),
            "%{\"flags\": ~[+RO, +access], \"begin_search\": %{\"type\": \"index\", \"spec\": "
            "%{\"index\": :2}}, \"find_keys\": %{\"type\": \"keynum\", \"spec\": %{\"keynumidx\": "
            ":0, \"firstkey\": :1, \"keystep\": :1}}}");
  // Tips, key specs and subcommands of a plain command are empty sets.
  EXPECT_EQ(info.elements[2].elements[8].ToString(), "~[]");
  EXPECT_EQ(info.elements[2].elements[9].ToString(), "~[]");
}

TEST_F(KeySpecsTest, GetKeysAndFlagsAsRedis) {
  // Redis's own expectations (unit/introspection-2).
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1"}), "[[\"k1\", [+OW, +update]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "mset", "k1", "v1", "k2", "v2"}),
            "[[\"k1\", [+OW, +update]], [\"k2\", [+OW, +update]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "LMOVE", "k1", "k2", "left", "right"}),
            "[[\"k1\", [+RW, +access, +delete]], [\"k2\", [+RW, +insert]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "sort", "k1", "store", "k2"}),
            "[[\"k1\", [+RO, +access]], [\"k2\", [+OW, +update]]]");
  // Flags that depend on the arguments.
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "set", "k1", "v1", "GET"}),
            "[[\"k1\", [+RW, +access, +update]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "GET", "u8", "0"}),
            "[[\"k\", [+RO, +access]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "SET", "u8", "0", "1"}),
            "[[\"k\", [+RW, +access, +update]]]");
  // Keys a count or a keyword places; a subcommand's keys.
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "2", "a", "b"}),
            "[[\"d\", [+OW, +update]], [\"a\", [+RO, +access]], [\"b\", [+RO, +access]]]");
  EXPECT_EQ(
      Run({"COMMAND", "GETKEYSANDFLAGS", "georadius", "k", "0", "0", "1", "km", "STORE", "d"}),
      "[[\"k\", [+RO, +access]], [\"d\", [+OW, +update]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "object", "encoding", "k"}), "[[\"k\", [+RO]]]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "eval", "return 1", "0"}), "[]");
  // Errors, in Redis's order.
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeysandflags' command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "nosuch", "k"}), "-ERR Invalid command specified");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "object", "nosuch", "k"}),
            "-ERR Invalid command specified");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "ping", "x"}),
            "-ERR The command has no key arguments");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "object", "help", "x"}),
            "-ERR The command has no key arguments");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "spublish", "channel", "message"}),
            "-ERR The command has no key arguments");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "get", "a", "b"}),
            "-ERR Invalid number of arguments specified for command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "object", "encoding"}),
            "-ERR Invalid number of arguments specified for command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYSANDFLAGS", "zunionstore", "d", "0", "a"}),
            "-ERR Invalid arguments specified for command");
  // GETKEYS finds the same keys.
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "sort", "k1", "store", "k2"}), "[\"k1\", \"k2\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "object", "encoding", "k"}), "[\"k\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "object", "help", "x"}),
            "-ERR The command has no key arguments");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "zunionstore", "d", "0", "a"}),
            "-ERR Invalid arguments specified for command");
}

TEST_F(KeySpecsTest, GetKeysAndFlagsInResp3) {
  auto raw = ConnectResp3();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(
      raw->Send("COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right\r\n"
                "COMMAND GETKEYSANDFLAGS sort k1 store k2\r\n"));
  EXPECT_EQ(raw->ReadReplyText(),
            "[[\"k1\", ~[+RW, +access, +delete]], [\"k2\", ~[+RW, +insert]]]");
  EXPECT_EQ(raw->ReadReplyText(), "[[\"k1\", ~[+RO, +access]], [\"k2\", ~[+OW, +update]]]");
}

}  // namespace
}  // namespace shale::integration
