// Stream commands (XADD ... XINFO) with Redis 7.0's replies, error texts and argument order; a
// stream as one key for DEL, TYPE, OBJECT ENCODING, RENAME, COPY, EXPIRE and FLUSHDB; WRONGTYPE
// both ways; keyspace notifications; RESP3's XREAD map; consumer groups (XGROUP, XREADGROUP,
// XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO); blocking XREAD / XREADGROUP woken by XADD (also
// inside MULTI, where they do not block); restart. Explicit IDs throughout, so the replies do
// not depend on the clock.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

constexpr const char* kWrongType =
    "-WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr const char* kSyntax = "-ERR syntax error";
constexpr const char* kInvalidId = "-ERR Invalid stream ID specified as stream command argument";

class StreamsTest : public ServerFixture {
 protected:
  // A raw connection that sends `command` (inline) and is blocked by it once this returns.
  std::unique_ptr<RawConnection> Blocked(const std::string& command, size_t blocked_before) {
    auto raw = ConnectRaw();
    EXPECT_NE(raw, nullptr);
    if (raw == nullptr) return raw;
    EXPECT_TRUE(raw->Send(command + "\r\n"));
    EXPECT_TRUE(WaitUntil(
        [&] {
          return InfoField(client_.get(), "clients", "blocked_clients") ==
                 std::to_string(blocked_before + 1);
        },
        std::chrono::seconds(10)))
        << command;
    return raw;
  }
  static std::string Reply(RawConnection* raw) {
    RespValue value;
    std::string error;
    if (!raw->ReadReply(&value, &error)) return "<" + error + ">";
    return value.ToString();
  }
  // Three entries 1-1, 2-1, 3-1 in `key`.
  void Fill(const std::string& key) {
    ASSERT_EQ(Run({"XADD", key, "1-1", "a", "1"}), "\"1-1\"");
    ASSERT_EQ(Run({"XADD", key, "2-1", "b", "2", "c", "3"}), "\"2-1\"");
    ASSERT_EQ(Run({"XADD", key, "3-1", "d", "4"}), "\"3-1\"");
  }
};

TEST_F(StreamsTest, AddAndRange) {
  Fill("s");
  EXPECT_EQ(Run({"XLEN", "s"}), ":3");
  EXPECT_EQ(Run({"XLEN", "missing"}), ":0");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+"}),
            "[[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], "
            "[\"3-1\", [\"d\", \"4\"]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "2", "+"}),
            "[[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], [\"3-1\", [\"d\", \"4\"]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "2"}),
            "[[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]")
      << "a missing sequence ends the interval at the highest one";
  EXPECT_EQ(Run({"XRANGE", "s", "(1-1", "(3-1"}), "[[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "2"}),
            "[[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "0"}), "(nil)");
  EXPECT_EQ(Run({"XRANGE", "missing", "-", "+", "COUNT", "0"}), "[]");
  EXPECT_EQ(Run({"XRANGE", "s", "3-2", "+"}), "[]");
  EXPECT_EQ(Run({"XRANGE", "s", "3", "1"}), "[]");
  EXPECT_EQ(Run({"XRANGE", "missing", "-", "+"}), "[]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-"}),
            "[[\"3-1\", [\"d\", \"4\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], "
            "[\"1-1\", [\"a\", \"1\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-", "COUNT", "1"}), "[[\"3-1\", [\"d\", \"4\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "(3-1", "-", "COUNT", "1"}),
            "[[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "2", "2"}), "[[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "1-1", "+"}), "[]");
}

TEST_F(StreamsTest, ReverseRangeOverSparseIds) {
  const std::vector<std::string> ids = {"0-1", "5-0", "5-18446744073709551615",
                                        "9223372036854775808-0", "18446744073709551615-7"};
  for (const std::string& id : ids) ASSERT_EQ(Run({"XADD", "s", id, "f", "v"}), "\"" + id + "\"");
  std::string all = "[";
  for (size_t i = ids.size(); i-- > 0;) {
    all += "[\"" + ids[i] + "\", [\"f\", \"v\"]]" + (i > 0 ? ", " : "]");
  }
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-", "COUNT", "5"}), all);
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "-"}), all);
  EXPECT_EQ(Run({"XREVRANGE", "s", "(9223372036854775808-0", "(0-1", "COUNT", "10"}),
            "[[\"5-18446744073709551615\", [\"f\", \"v\"]], [\"5-0\", [\"f\", \"v\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "5", "5", "COUNT", "1"}),
            "[[\"5-18446744073709551615\", [\"f\", \"v\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "4", "1", "COUNT", "3"}), "[]");
  EXPECT_EQ(Run({"XREVRANGE", "s", "0-1", "-", "COUNT", "3"}), "[[\"0-1\", [\"f\", \"v\"]]]");
}

TEST_F(StreamsTest, AddIds) {
  EXPECT_EQ(Run({"XADD", "s", "5-*", "f", "v"}), "\"5-0\"");
  EXPECT_EQ(Run({"XADD", "s", "5-*", "f", "v"}), "\"5-1\"");
  EXPECT_EQ(Run({"XADD", "s", "5", "f", "v"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item");
  EXPECT_EQ(Run({"XADD", "s", "4-*", "f", "v"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item");
  EXPECT_EQ(Run({"XADD", "s", "6", "f", "v"}), "\"6-0\"");
  EXPECT_EQ(Run({"XADD", "z", "0-0", "f", "v"}),
            "-ERR The ID specified in XADD must be greater than 0-0");
  EXPECT_EQ(Run({"EXISTS", "z"}), ":0");
  EXPECT_EQ(Run({"XADD", "z", "0-*", "f", "v"}), "\"0-1\"");
  EXPECT_EQ(Run({"XADD", "m", "18446744073709551615-18446744073709551615", "f", "v"}),
            "\"18446744073709551615-18446744073709551615\"");
  EXPECT_EQ(Run({"XADD", "m", "*", "f", "v"}),
            "-ERR The stream has exhausted the last possible ID, unable to add more items");
  // `*` takes the clock's time, or the next sequence when the last ID is ahead of it.
  EXPECT_EQ(Run({"XADD", "f", "99999999999999-5", "f", "v"}), "\"99999999999999-5\"");
  EXPECT_EQ(Run({"XADD", "f", "*", "f", "v"}), "\"99999999999999-6\"");
  EXPECT_EQ(Run({"XADD", "s", "abc", "f", "v"}), kInvalidId);
  EXPECT_EQ(Run({"XADD", "s", "1-x", "f", "v"}), kInvalidId);
  EXPECT_EQ(Run({"XADD", "s", "-", "f", "v"}), kInvalidId);
  EXPECT_EQ(Run({"XADD", "s", "*", "f"}), "-ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Run({"XADD", "s", "*", "f", "v", "g"}),
            "-ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Run({"XADD", "s"}), "-ERR wrong number of arguments for 'xadd' command");
  EXPECT_EQ(Run({"XADD", "none", "NOMKSTREAM", "*", "f", "v"}), "(nil)");
  EXPECT_EQ(Run({"EXISTS", "none"}), ":0");
  EXPECT_EQ(Run({"XADD", "s", "NOMKSTREAM", "7", "f", "v"}), "\"7-0\"");
}

TEST_F(StreamsTest, AddTrims) {
  for (int i = 1; i <= 10; ++i) {
    ASSERT_EQ(Run({"XADD", "s", "MAXLEN", "5", std::to_string(i), "f", "v"}),
              "\"" + std::to_string(i) + "-0\"");
  }
  EXPECT_EQ(Run({"XLEN", "s"}), ":5");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "1"}), "[[\"6-0\", [\"f\", \"v\"]]]");
  EXPECT_EQ(Run({"XADD", "s", "MINID", "=", "9", "11", "f", "v"}), "\"11-0\"");
  EXPECT_EQ(Run({"XLEN", "s"}), ":3");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "0", "12", "f", "v"}), "\"12-0\"");
  EXPECT_EQ(Run({"XLEN", "s"}), ":0") << "MAXLEN 0 removes the new entry too";
  EXPECT_EQ(Run({"EXISTS", "s"}), ":1") << "an emptied stream stays";
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "5", "MINID", "1", "13", "f", "v"}),
            "-ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "-1", "13", "f", "v"}),
            "-ERR The MAXLEN argument must be >= 0.");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "x", "13", "f", "v"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "5", "LIMIT", "10", "13", "f", "v"}),
            "-ERR syntax error, LIMIT cannot be used without the special ~ option");
  EXPECT_EQ(Run({"XADD", "s", "LIMIT", "10", "13", "f", "v"}),
            "-ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "13", "f", "v"}),
            "-ERR The LIMIT argument must be >= 0.");
  // Approximate trimming removes whole nodes of 100 entries only.
  std::vector<std::vector<std::string>> commands;
  for (int i = 1; i <= 1000; ++i) {
    commands.push_back({"XADD", "big", std::to_string(i), "f", "v"});
  }
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_STRING);
  }
  EXPECT_EQ(Run({"XADD", "big", "MAXLEN", "~", "555", "1001", "f", "v"}), "\"1001-0\"");
  EXPECT_EQ(Run({"XLEN", "big"}), ":601");
  EXPECT_EQ(Run({"XTRIM", "big", "MAXLEN", "~", "0", "LIMIT", "250"}), ":200");
  EXPECT_EQ(Run({"XLEN", "big"}), ":401");
  EXPECT_EQ(Run({"XTRIM", "big", "MINID", "~", "751"}), ":100");
  EXPECT_EQ(Run({"XRANGE", "big", "-", "+", "COUNT", "1"}), "[[\"701-0\", [\"f\", \"v\"]]]");
}

TEST_F(StreamsTest, TrimDeleteAndSetId) {
  Fill("s");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "2"}), ":1");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "=", "2"}), ":0");
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "3"}), ":1");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+"}), "[[\"3-1\", [\"d\", \"4\"]]]");
  EXPECT_EQ(Run({"XTRIM", "missing", "MAXLEN", "0"}), ":0");
  EXPECT_EQ(Run({"XTRIM", "s"}), "-ERR wrong number of arguments for 'xtrim' command");
  EXPECT_EQ(Run({"XTRIM", "s", "FOO", "1"}), kSyntax);
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "1", "x"}), kSyntax);
  EXPECT_EQ(Run({"XTRIM", "s", "LIMIT", "1", "x"}), kSyntax);
  EXPECT_EQ(Run({"XTRIM", "s", "MINID", "x"}), kInvalidId);
  Fill("d");
  EXPECT_EQ(Run({"XDEL", "d", "1-1", "1-1", "9-9"}), ":1");
  EXPECT_EQ(Run({"XDEL", "d", "x"}), kInvalidId);
  EXPECT_EQ(Run({"XDEL", "missing", "x"}), ":0");
  EXPECT_EQ(Run({"XLEN", "d"}), ":2");
  EXPECT_EQ(Run({"XDEL", "d", "2-1", "3-1"}), ":2");
  EXPECT_EQ(Run({"XLEN", "d"}), ":0");
  EXPECT_EQ(Run({"TYPE", "d"}), "+stream");
  EXPECT_EQ(Run({"XREVRANGE", "d", "+", "-", "COUNT", "1"}), "[]");
  EXPECT_EQ(Run({"XINFO", "STREAM", "d"}),
            "[\"length\", :0, \"radix-tree-keys\", :0, \"radix-tree-nodes\", :1, "
            "\"last-generated-id\", \"3-1\", \"max-deleted-entry-id\", \"3-1\", "
            "\"entries-added\", :3, \"recorded-first-entry-id\", \"0-0\", \"groups\", :0, "
            "\"first-entry\", (nil), \"last-entry\", (nil)]");
  EXPECT_EQ(Run({"XADD", "d", "3-1", "f", "v"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item")
      << "the last ID stays when the entries go";
  EXPECT_EQ(Run({"XSETID", "d", "1-0"}), "+OK") << "an empty stream takes any ID";
  EXPECT_EQ(Run({"XADD", "d", "2-0", "f", "v"}), "\"2-0\"");
  EXPECT_EQ(Run({"XSETID", "d", "1-5"}),
            "-ERR The ID specified in XSETID is smaller than the target stream top item");
  EXPECT_EQ(Run({"XSETID", "d", "5-0", "ENTRIESADDED", "0"}),
            "-ERR The entries_added specified in XSETID is smaller than the target stream length");
  EXPECT_EQ(Run({"XSETID", "d", "5-0", "ENTRIESADDED", "-1"}),
            "-ERR entries_added must be positive");
  EXPECT_EQ(Run({"XSETID", "d", "5-0", "MAXDELETEDID", "6-0"}),
            "-ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
  EXPECT_EQ(Run({"XSETID", "d", "5-0", "FOO"}), kSyntax);
  EXPECT_EQ(Run({"XSETID", "d", "+"}), kInvalidId);
  EXPECT_EQ(Run({"XSETID", "missing", "5-0"}), "-ERR no such key");
  EXPECT_EQ(Run({"XSETID", "d", "5-0", "ENTRIESADDED", "42", "MAXDELETEDID", "4-0"}), "+OK");
  EXPECT_EQ(Run({"XINFO", "STREAM", "d"}),
            "[\"length\", :1, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, "
            "\"last-generated-id\", \"5-0\", \"max-deleted-entry-id\", \"4-0\", "
            "\"entries-added\", :42, \"recorded-first-entry-id\", \"2-0\", \"groups\", :0, "
            "\"first-entry\", [\"2-0\", [\"f\", \"v\"]], "
            "\"last-entry\", [\"2-0\", [\"f\", \"v\"]]]");
}

TEST_F(StreamsTest, RangeErrors) {
  Fill("s");
  EXPECT_EQ(Run({"XRANGE", "s", "x", "+"}), kInvalidId);
  EXPECT_EQ(Run({"XRANGE", "s", "(-", "+"}), kInvalidId);
  EXPECT_EQ(Run({"XRANGE", "s", "-", "(+"}), kInvalidId);
  EXPECT_EQ(Run({"XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"}),
            "-ERR invalid start ID for the interval");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "(0-0"}), "-ERR invalid end ID for the interval");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT"}), kSyntax);
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "COUNT", "x"}),
            "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"XRANGE", "s", "-", "+", "LIMIT", "1"}), kSyntax);
  EXPECT_EQ(Run({"XRANGE", "s", "-"}), "-ERR wrong number of arguments for 'xrange' command");
  EXPECT_EQ(Run({"XREVRANGE", "s", "+", "x"}), kInvalidId);
}

TEST_F(StreamsTest, AStreamIsOneKey) {
  Fill("s");
  EXPECT_EQ(Run({"TYPE", "s"}), "+stream");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "\"stream\"");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"RENAME", "s", "t"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "s"}), ":0");
  EXPECT_EQ(Run({"XLEN", "t"}), ":3");
  EXPECT_EQ(Run({"COPY", "t", "u"}), ":1");
  EXPECT_EQ(Run({"XRANGE", "u", "-", "+", "COUNT", "1"}), "[[\"1-1\", [\"a\", \"1\"]]]");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "u"}),
            "[[\"name\", \"g\", \"consumers\", :0, \"pending\", :0, \"last-delivered-id\", "
            "\"0-0\", \"entries-read\", (nil), \"lag\", :3]]")
      << "groups are copied with the stream";
  EXPECT_EQ(Run({"XADD", "u", "9", "x", "y"}), "\"9-0\"");
  EXPECT_EQ(Run({"XLEN", "t"}), ":3") << "the copy is its own stream";
  EXPECT_EQ(Run({"EXPIRE", "t", "100"}), ":1");
  EXPECT_EQ(Run({"TTL", "t"}), ":100");
  EXPECT_EQ(Run({"PEXPIRE", "t", "1"}), ":1");
  EXPECT_TRUE(WaitUntil([&] { return Run({"EXISTS", "t"}) == ":0"; }, std::chrono::seconds(10)));
  EXPECT_EQ(Run({"XLEN", "t"}), ":0");
  EXPECT_EQ(Run({"DEL", "u"}), ":1");
  EXPECT_EQ(Run({"XADD", "u", "1", "f", "v"}), "\"1-0\"");
  EXPECT_EQ(Run({"XLEN", "u"}), ":1") << "a new stream under a deleted one's name starts empty";
  EXPECT_EQ(Run({"XINFO", "GROUPS", "u"}), "[]");
  EXPECT_EQ(Run({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Run({"XLEN", "u"}), ":0");
  EXPECT_EQ(Run({"DUMP", "u"}), "(nil)");
  EXPECT_EQ(Run({"XADD", "u", "1", "f", "v"}), "\"1-0\"");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "u", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "u", ">"}),
            "[[\"u\", [[\"1-0\", [\"f\", \"v\"]]]]]");
  ReplyPtr dumped = client_->Command({"DUMP", "u"});
  ASSERT_NE(dumped, nullptr);
  ASSERT_EQ(dumped->type, REDIS_REPLY_STRING);
  EXPECT_EQ(Run({"RESTORE", "v", "0", std::string(dumped->str, dumped->len)}), "+OK");
  EXPECT_EQ(Run({"XINFO", "STREAM", "v", "FULL"}), Run({"XINFO", "STREAM", "u", "FULL"}));
}

// A DUMP payload Redis 7.0.15 made (entries sharing their master's fields, a deleted entry, two
// groups, pending entries of two consumers) restores whole, delivery and seen times included.
TEST_F(StreamsTest, RestoresWhatRedisDumps) {
  const std::string hex =
      "13011000000000000000010000000000000000c34054406912690000002b00050101010201816102816202002009"
      "0000200107010181780205010320084012600c0002200100002012a00c0003200c0004c00c0004200c0005800c40"
      "0840400b856f746865720601010601ff0506000100020006020167040081ffffffffffffffff0300000000000000"
      "0100000000000000007f09033fa201000001000000000000000300000000000000007f09033fa201000001000000"
      "000000000400000000000000008b09033fa201000001020263317f09033fa2010000020000000000000001000000"
      "0000000000000000000000000300000000000000000263328b09033fa20100000100000000000000040000000000"
      "0000000168060081ffffffffffffffff00010469646c65a809033fa2010000000a0056f0d331557500ca";
  std::string payload;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    payload.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  EXPECT_EQ(Run({"RESTORE", "x", "0", payload}), "+OK");
  EXPECT_EQ(Run({"XRANGE", "x", "-", "+"}),
            "[[\"1-0\", [\"a\", \"1\", \"b\", \"x\"]], [\"3-0\", [\"a\", \"3\", \"b\", \"x\"]], "
            "[\"4-0\", [\"a\", \"4\", \"b\", \"x\"]], [\"5-0\", [\"a\", \"5\", \"b\", \"x\"]], "
            "[\"6-0\", [\"other\", \"1\"]]]");
  EXPECT_EQ(
      Run({"XINFO", "STREAM", "x", "FULL"}),
      "[\"length\", :5, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, "
      "\"last-generated-id\", \"6-0\", \"max-deleted-entry-id\", \"2-0\", \"entries-added\", :6, "
      "\"recorded-first-entry-id\", \"1-0\", \"entries\", [[\"1-0\", [\"a\", \"1\", \"b\", "
      "\"x\"]], [\"3-0\", [\"a\", \"3\", \"b\", \"x\"]], [\"4-0\", [\"a\", \"4\", \"b\", "
      "\"x\"]], [\"5-0\", [\"a\", \"5\", \"b\", \"x\"]], [\"6-0\", [\"other\", \"1\"]]], "
      "\"groups\", [[\"name\", \"g\", \"last-delivered-id\", \"4-0\", \"entries-read\", "
      "(nil), \"lag\", (nil), \"pel-count\", :3, \"pending\", [[\"1-0\", \"c1\", "
      ":1796353493375, :1], [\"3-0\", \"c1\", :1796353493375, :1], [\"4-0\", \"c2\", "
      ":1796353493387, :1]], \"consumers\", [[\"name\", \"c1\", \"seen-time\", "
      ":1796353493375, \"pel-count\", :2, \"pending\", [[\"1-0\", :1796353493375, :1], "
      "[\"3-0\", :1796353493375, :1]]], [\"name\", \"c2\", \"seen-time\", :1796353493387, "
      "\"pel-count\", :1, \"pending\", [[\"4-0\", :1796353493387, :1]]]]], [\"name\", "
      "\"h\", \"last-delivered-id\", \"6-0\", \"entries-read\", (nil), \"lag\", :0, "
      "\"pel-count\", :0, \"pending\", [], \"consumers\", [[\"name\", \"idle\", "
      "\"seen-time\", :1796353493416, \"pel-count\", :0, \"pending\", []]]]]]");
  EXPECT_EQ(Run({"XADD", "x", "6-0", "f", "v"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item");
  EXPECT_EQ(Run({"XACK", "x", "g", "1-0", "4-0"}), ":2");
  EXPECT_EQ(Run({"XPENDING", "x", "g"}), "[:1, \"3-0\", \"3-0\", [[\"c1\", \"1\"]]]");
  EXPECT_EQ(Run({"RESTORE", "y", "0",
                 payload.substr(0, payload.size() - 12) + payload.substr(payload.size() - 10)}),
            "-ERR DUMP payload version or checksum are wrong");
}

TEST_F(StreamsTest, WrongTypeBothWays) {
  EXPECT_EQ(Run({"SET", "str", "v"}), "+OK");
  EXPECT_EQ(Run({"XADD", "str", "*", "f", "v"}), kWrongType);
  EXPECT_EQ(Run({"XLEN", "str"}), kWrongType);
  EXPECT_EQ(Run({"XRANGE", "str", "-", "+"}), kWrongType);
  EXPECT_EQ(Run({"XREVRANGE", "str", "+", "-"}), kWrongType);
  EXPECT_EQ(Run({"XDEL", "str", "1"}), kWrongType);
  EXPECT_EQ(Run({"XTRIM", "str", "MAXLEN", "1"}), kWrongType);
  EXPECT_EQ(Run({"XSETID", "str", "1"}), kWrongType);
  EXPECT_EQ(Run({"XREAD", "STREAMS", "str", "0"}), kWrongType);
  EXPECT_EQ(Run({"XGROUP", "CREATE", "str", "g", "0"}), kWrongType);
  EXPECT_EQ(Run({"XINFO", "STREAM", "str"}), kWrongType);
  Fill("s");
  EXPECT_EQ(Run({"GET", "s"}), kWrongType);
  EXPECT_EQ(Run({"LPUSH", "s", "x"}), kWrongType);
  EXPECT_EQ(Run({"HGET", "s", "x"}), kWrongType);
  EXPECT_EQ(Run({"SADD", "s", "x"}), kWrongType);
  EXPECT_EQ(Run({"ZCARD", "s"}), kWrongType);
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK") << "SET replaces a stream";
  EXPECT_EQ(Run({"TYPE", "s"}), "+string");
}

TEST_F(StreamsTest, Notifications) {
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Et"}), "+OK");
  auto sub = ConnectRaw();
  ASSERT_NE(sub, nullptr);
  ASSERT_TRUE(sub->Send("PSUBSCRIBE *\r\n"));
  EXPECT_EQ(Reply(sub.get()), "[\"psubscribe\", \"*\", :1]");
  auto next = [&] {
    RespValue value;
    std::string error;
    if (!sub->ReadReply(&value, &error)) return "(read failed: " + error + ")";
    if (value.elements.size() != 4) return value.ToString();
    return value.elements[2].str + " " + value.elements[3].str;
  };
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "1", "1", "f", "v"}), "\"1-0\"");
  EXPECT_EQ(next(), "__keyevent@0__:xadd s");
  EXPECT_EQ(Run({"XADD", "s", "MAXLEN", "1", "2", "f", "v"}), "\"2-0\"");
  EXPECT_EQ(next(), "__keyevent@0__:xadd s");
  EXPECT_EQ(next(), "__keyevent@0__:xtrim s");
  EXPECT_EQ(Run({"XDEL", "s", "1"}), ":0");
  EXPECT_EQ(Run({"XDEL", "s", "2"}), ":1");
  EXPECT_EQ(next(), "__keyevent@0__:xdel s");
  EXPECT_EQ(Run({"XSETID", "s", "5"}), "+OK");
  EXPECT_EQ(next(), "__keyevent@0__:xsetid s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}), "+OK");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-create s");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}), ":1");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-createconsumer s");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "c"}), ":0");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "g", "0"}), "+OK");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-setid s");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "c"}), ":0");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-delconsumer s");
  EXPECT_EQ(Run({"XADD", "s", "5-5", "f", "v"}), "\"5-5\"");
  EXPECT_EQ(next(), "__keyevent@0__:xadd s");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "r", "STREAMS", "s", ">"}).substr(0, 7), "[[\"s\", ");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-createconsumer s");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "q", "0", "5-5", "JUSTID"}), "[\"5-5\"]");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-createconsumer s");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "p", "0", "0", "JUSTID"}), "[\"0-0\", [\"5-5\"], []]");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-createconsumer s");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), ":1");
  EXPECT_EQ(next(), "__keyevent@0__:xgroup-destroy s");
  EXPECT_EQ(Run({"XTRIM", "s", "MAXLEN", "1"}), ":0");
  EXPECT_EQ(Run({"XADD", "s", "6", "f", "v"}), "\"6-0\"");
  EXPECT_EQ(next(), "__keyevent@0__:xadd s") << "no xtrim event for a trimming that removed none";
}

TEST_F(StreamsTest, Read) {
  Fill("s");
  Fill("t");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "0"}),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], "
            "[\"3-1\", [\"d\", \"4\"]]]]]");
  EXPECT_EQ(Run({"XREAD", "COUNT", "1", "STREAMS", "s", "t", "1-1", "2"}),
            "[[\"s\", [[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]], [\"t\", [[\"2-1\", [\"b\", "
            "\"2\", \"c\", \"3\"]]]]]")
      << "an ID without a sequence is <ms>-0";
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "missing", "3-1", "0"}), "(nil)");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "$"}), "(nil)");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "10", "STREAMS", "s", "$"}), "(nil)");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s"}), "-ERR wrong number of arguments for 'xread' command");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "t", "0"}),
            "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.");
  EXPECT_EQ(Run({"XREAD", "COUNT", "1", "s", "0"}), kSyntax);
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", ">"}),
            "-ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> "
            "<consumer> option.");
  EXPECT_EQ(Run({"XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"}),
            "-ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
  EXPECT_EQ(Run({"XREAD", "NOACK", "STREAMS", "s", "0"}),
            "-ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "-1", "STREAMS", "s", "0"}), "-ERR timeout is negative");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "x", "STREAMS", "s", "0"}),
            "-ERR timeout is not an integer or out of range");
  EXPECT_EQ(Run({"XREAD", "STREAMS", "s", "x"}), kInvalidId);
  // RESP3: a map of streams.
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  Reply(raw.get());
  ASSERT_TRUE(raw->Send("XREAD COUNT 1 STREAMS s 2\r\n"));
  EXPECT_EQ(Reply(raw.get()), "%{\"s\": [[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]]}");
  ASSERT_TRUE(raw->Send("XREAD STREAMS s 9\r\n"));
  EXPECT_EQ(Reply(raw.get()), "_");
}

TEST_F(StreamsTest, BlockingReadWakesOnAdd) {
  Fill("s");
  auto reader = Blocked("XREAD BLOCK 0 STREAMS other s $ $", 0);
  auto counted = Blocked("XREAD COUNT 1 BLOCK 0 STREAMS s 3-1", 1);
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(counted, nullptr);
  // A write that adds nothing after the IDs waited for leaves them blocked.
  EXPECT_EQ(Run({"XDEL", "s", "1-1"}), ":1");
  EXPECT_EQ(Run({"XADD", "s", "4-0", "x", "y"}), "\"4-0\"");
  EXPECT_EQ(Reply(reader.get()), "[[\"s\", [[\"4-0\", [\"x\", \"y\"]]]]]")
      << "$ is the last ID when it blocked, not when it was woken";
  EXPECT_EQ(Reply(counted.get()), "[[\"s\", [[\"4-0\", [\"x\", \"y\"]]]]]");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "0");
  // A timeout answers nil.
  ASSERT_TRUE(reader->Send("XREAD BLOCK 20 STREAMS s $\r\n"));
  EXPECT_EQ(Reply(reader.get()), "(nil array)");
  // A stream created while waiting.
  auto fresh = Blocked("XREAD BLOCK 0 STREAMS new $", 0);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(Run({"XADD", "new", "1", "f", "v"}), "\"1-0\"");
  EXPECT_EQ(Reply(fresh.get()), "[[\"new\", [[\"1-0\", [\"f\", \"v\"]]]]]");
  ASSERT_TRUE(fresh->Send("PING\r\n"));
  EXPECT_EQ(Reply(fresh.get()), "+PONG");
}

TEST_F(StreamsTest, InsideMultiReadsDoNotBlock) {
  Fill("s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"XREAD", "BLOCK", "0", "STREAMS", "s", "$"}), "+QUEUED");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"}), "+QUEUED");
  EXPECT_EQ(Run({"XADD", "s", "9", "f", "v"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[(nil), (nil), \"9-0\"]");
  auto reader = Blocked("XREAD BLOCK 0 STREAMS s $", 0);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"XADD", "s", "10", "f", "v"}), "+QUEUED");
  EXPECT_EQ(Run({"XADD", "s", "11", "f", "v"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[\"10-0\", \"11-0\"]");
  EXPECT_EQ(Reply(reader.get()),
            "[[\"s\", [[\"10-0\", [\"f\", \"v\"]], [\"11-0\", [\"f\", \"v\"]]]]]")
      << "served after the EXEC, with all it added";
}

TEST_F(StreamsTest, GroupCommands) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK");
  EXPECT_EQ(Run({"XLEN", "s"}), ":0");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}),
            "-BUSYGROUP Consumer Group name already exists");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "x"}), kInvalidId);
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "-2"}),
            "-ERR value for ENTRIESREAD must be positive or -1");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "0", "FOO"}),
            "-ERR unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP.");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "h", "0", "ENTRIESREAD"}),
            "-ERR unknown subcommand or wrong number of arguments for 'SETID'. Try XGROUP HELP.");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "h", "0", "ENTRIESREAD", "5"}), "+OK");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "nogroup", "0"}),
            "-NOGROUP No such consumer group 'nogroup' for key name 's'");
  EXPECT_EQ(Run({"XGROUP", "SETID", "missing", "g", "0"}),
            "-ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
            "want to use the MKSTREAM option to create an empty stream automatically.");
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "g", "7-0", "ENTRIESREAD", "3"}), "+OK");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}), ":1");
  EXPECT_EQ(Run({"XGROUP", "CREATECONSUMER", "s", "g", "alice"}), ":0");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[\"name\", \"g\", \"consumers\", :1, \"pending\", :0, \"last-delivered-id\", "
            "\"7-0\", \"entries-read\", :3, \"lag\", :0], [\"name\", \"h\", \"consumers\", :0, "
            "\"pending\", :0, \"last-delivered-id\", \"0-0\", \"entries-read\", :5, \"lag\", :0]]");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "bob"}), ":0");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "alice"}), ":0");
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}), "[]");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), ":1");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), ":0");
  EXPECT_EQ(Run({"XGROUP", "FOO", "s", "g"}), "-ERR unknown subcommand 'FOO'. Try XGROUP HELP.");
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s"}),
            "-ERR wrong number of arguments for 'xgroup|destroy' command");
  EXPECT_EQ(Run({"XINFO", "CONSUMERS", "s", "g"}),
            "-NOGROUP No such consumer group 'g' for key name 's'");
  EXPECT_EQ(Run({"XINFO", "STREAM", "missing"}), "-ERR no such key");
}

TEST_F(StreamsTest, ReadGroupAckAndPending) {
  Fill("s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"}),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}),
            "[[\"s\", [[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], [\"3-1\", [\"d\", \"4\"]]]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", ">"}), "(nil)");
  // History: the consumer's own pending entries.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "STREAMS", "s", "0"}),
            "[[\"s\", [[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], [\"3-1\", [\"d\", \"4\"]]]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "s", "2-1"}),
            "[[\"s\", [[\"3-1\", [\"d\", \"4\"]]]]]");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "carol", "STREAMS", "s", "0"}), "[[\"s\", []]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}),
            "[:3, \"1-1\", \"3-1\", [[\"alice\", \"1\"], [\"bob\", \"2\"]]]");
  const std::string extended = Run({"XPENDING", "s", "g", "-", "+", "10", "bob"});
  EXPECT_NE(extended.find("[\"2-1\", \"bob\", :"), std::string::npos) << extended;
  EXPECT_NE(extended.find(", :2], [\"3-1\", \"bob\", :"), std::string::npos)
      << "two deliveries of 2-1 (new, then history from 0): " << extended;
  EXPECT_EQ(extended.substr(extended.size() - 6), ", :3]]")
      << "three of 3-1 (history from 2-1 read it too): " << extended;
  EXPECT_EQ(Run({"XPENDING", "s", "g", "IDLE", "99999999", "-", "+", "10"}), "[]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "(1-1", "+", "1"}).substr(0, 9), "[[\"2-1\", ");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+", "10", "nobody"}), "[]");
  EXPECT_EQ(Run({"XPENDING", "s", "g", "-", "+"}), kSyntax);
  EXPECT_EQ(Run({"XPENDING", "s", "nogroup"}),
            "-NOGROUP No such key 's' or consumer group 'nogroup'");
  EXPECT_EQ(Run({"XACK", "s", "g", "1-1", "1-1", "9-9"}), ":1");
  EXPECT_EQ(Run({"XACK", "s", "g", "x"}), kInvalidId);
  EXPECT_EQ(Run({"XACK", "s", "nogroup", "1-1"}), ":0");
  EXPECT_EQ(Run({"XACK", "missing", "g", "1-1"}), ":0");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[:2, \"2-1\", \"3-1\", [[\"bob\", \"2\"]]]");
  EXPECT_EQ(Run({"XGROUP", "DELCONSUMER", "s", "g", "bob"}), ":2");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[:0, (nil), (nil), (nil)]");
  // NOACK: delivered, never pending.
  EXPECT_EQ(Run({"XGROUP", "SETID", "s", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "dan", "NOACK", "COUNT", "1", "STREAMS", "s", ">"}),
            "[[\"s\", [[\"1-1\", [\"a\", \"1\"]]]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[:0, (nil), (nil), (nil)]");
  // Errors.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "nogroup", "c", "STREAMS", "s", ">"}),
            "-NOGROUP No such key 's' or consumer group 'nogroup' in XREADGROUP with GROUP option");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "missing", ">"}),
            "-NOGROUP No such key 'missing' or consumer group 'g' in XREADGROUP with GROUP option");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"}),
            "-ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
            "history of this consumer by specifying a proper ID, or use the > ID to get new "
            "messages. The $ ID would just return an empty result set.");
  EXPECT_EQ(Run({"XREADGROUP", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"}),
            "-ERR Missing GROUP option for XREADGROUP");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "t", ">"}),
            "-ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
            "specified.")
      << "Redis 7.0's text, for XREADGROUP too";
  // A deleted entry still pending reads as a nil in the history.
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "eve", "STREAMS", "s", ">"}),
            "[[\"s\", [[\"2-1\", [\"b\", \"2\", \"c\", \"3\"]], [\"3-1\", [\"d\", \"4\"]]]]]");
  EXPECT_EQ(Run({"XDEL", "s", "2-1"}), ":1");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "eve", "STREAMS", "s", "0"}),
            "[[\"s\", [[\"2-1\", (nil)], [\"3-1\", [\"d\", \"4\"]]]]]");
}

TEST_F(StreamsTest, ClaimAndAutoClaim) {
  Fill("s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "alice", "STREAMS", "s", ">"}).substr(0, 7),
            "[[\"s\", ");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "99999999", "1-1"}), "[]") << "not idle enough";
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "1-1", "9-9"}), "[[\"1-1\", [\"a\", \"1\"]]]");
  EXPECT_EQ(
      Run({"XCLAIM", "s", "g", "bob", "0", "2-1", "JUSTID", "RETRYCOUNT", "7", "IDLE", "5000"}),
      "[\"2-1\"]");
  const std::string pending = Run({"XPENDING", "s", "g", "2-1", "2-1", "1"});
  EXPECT_EQ(pending.substr(0, 17), "[[\"2-1\", \"bob\", :") << pending;
  EXPECT_EQ(pending.substr(pending.size() - 6), ", :7]]") << pending;
  const int64_t idle = std::stoll(pending.substr(17, pending.find(',', 17) - 17));
  EXPECT_GE(idle, 5000) << pending;
  EXPECT_EQ(Run({"XPENDING", "s", "g"}),
            "[:3, \"1-1\", \"3-1\", [[\"alice\", \"1\"], [\"bob\", \"2\"]]]");
  // FORCE creates a pending entry for an entry the group never delivered.
  EXPECT_EQ(Run({"XADD", "s", "4-1", "e", "5"}), "\"4-1\"");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "carol", "0", "4-1", "JUSTID"}), "[]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "carol", "0", "4-1", "FORCE", "JUSTID", "LASTID", "4-1"}),
            "[\"4-1\"]");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "s"}),
            "[[\"name\", \"g\", \"consumers\", :3, \"pending\", :4, \"last-delivered-id\", "
            "\"4-1\", \"entries-read\", :3, \"lag\", :1]]");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "carol", "0", "4-1", "BOGUS"}),
            "-ERR Unrecognized XCLAIM option 'BOGUS'");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "carol", "x", "4-1"}),
            "-ERR Invalid min-idle-time argument for XCLAIM");
  EXPECT_EQ(Run({"XCLAIM", "s", "nogroup", "carol", "0", "4-1"}),
            "-NOGROUP No such key 's' or consumer group 'nogroup'");
  // A pending entry whose entry was deleted is dropped by a claim.
  EXPECT_EQ(Run({"XDEL", "s", "3-1"}), ":1");
  EXPECT_EQ(Run({"XCLAIM", "s", "g", "bob", "0", "3-1"}), "[]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}),
            "[:3, \"1-1\", \"4-1\", [[\"bob\", \"2\"], [\"carol\", \"1\"]]]");
  // XAUTOCLAIM: a cursor through the PEL.
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "dan", "0", "0", "COUNT", "2"}),
            "[\"4-1\", [[\"1-1\", [\"a\", \"1\"]], [\"2-1\", [\"b\", \"2\", \"c\", \"3\"]]], []]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "dan", "0", "4-1", "JUSTID"}), "[\"0-0\", [\"4-1\"], []]");
  EXPECT_EQ(Run({"XDEL", "s", "1-1"}), ":1");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "erin", "0", "-", "COUNT", "1"}),
            "[\"2-1\", [], [\"1-1\"]]");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "erin", "0", "-", "COUNT", "0"}),
            "-ERR COUNT must be > 0");
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "erin", "0", "-", "FOO"}), kSyntax);
  EXPECT_EQ(Run({"XAUTOCLAIM", "s", "g", "erin", "0", "x"}), kInvalidId);
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[:2, \"2-1\", \"4-1\", [[\"dan\", \"2\"]]]");
}

TEST_F(StreamsTest, InfoStreamFull) {
  Fill("s");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "0"}), "+OK");
  EXPECT_EQ(
      Run({"XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "s", ">"}).size() > 0,
      true);
  const std::string full = Run({"XINFO", "STREAM", "s", "FULL", "COUNT", "1"});
  EXPECT_EQ(full.substr(0, full.find("\"groups\"")),
            "[\"length\", :3, \"radix-tree-keys\", :1, \"radix-tree-nodes\", :2, "
            "\"last-generated-id\", \"3-1\", \"max-deleted-entry-id\", \"0-0\", \"entries-added\", "
            ":3, \"recorded-first-entry-id\", \"1-1\", \"entries\", [[\"1-1\", [\"a\", "
            "\"1\"]]], ");
  EXPECT_NE(full.find("\"groups\", [[\"name\", \"g\", \"last-delivered-id\", \"1-1\", "
                      "\"entries-read\", :1, \"lag\", :2, \"pel-count\", :1, \"pending\", "
                      "[[\"1-1\", \"alice\", :"),
            std::string::npos)
      << full;
  EXPECT_NE(full.find("\"consumers\", [[\"name\", \"alice\", \"seen-time\", :"), std::string::npos)
      << full;
  EXPECT_EQ(Run({"XINFO", "STREAM", "s", "FULL", "COUNT"}),
            "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.");
  EXPECT_EQ(Run({"XINFO", "STREAM", "s", "PARTIAL"}),
            "-ERR unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP.");
  EXPECT_EQ(Run({"XINFO", "FOO", "s"}), "-ERR unknown subcommand 'FOO'. Try XINFO HELP.");
}

TEST_F(StreamsTest, BlockingReadGroupWakesOnAdd) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK");
  auto reader = Blocked("XREADGROUP GROUP g alice BLOCK 0 STREAMS s >", 0);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Run({"XADD", "s", "1", "f", "v"}), "\"1-0\"");
  EXPECT_EQ(Reply(reader.get()), "[[\"s\", [[\"1-0\", [\"f\", \"v\"]]]]]");
  EXPECT_EQ(Run({"XPENDING", "s", "g"}), "[:1, \"1-0\", \"1-0\", [[\"alice\", \"1\"]]]");
  // Two readers of one group: one entry goes to one of them.
  auto first = Blocked("XREADGROUP GROUP g bob BLOCK 0 STREAMS s >", 0);
  auto second = Blocked("XREADGROUP GROUP g carol BLOCK 0 STREAMS s >", 1);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(Run({"XADD", "s", "2", "f", "v"}), "\"2-0\"");
  EXPECT_EQ(Reply(first.get()), "[[\"s\", [[\"2-0\", [\"f\", \"v\"]]]]]");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "1") << "the second waits on";
  EXPECT_EQ(Run({"XADD", "s", "3", "f", "v"}), "\"3-0\"");
  EXPECT_EQ(Reply(second.get()), "[[\"s\", [[\"3-0\", [\"f\", \"v\"]]]]]");
}

TEST_F(StreamsTest, BlockedGroupReadersLearnTheirStreamOrGroupWentAway) {
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK");
  auto reader = Blocked("XREADGROUP GROUP g c BLOCK 0 STREAMS s >", 0);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(Run({"DEL", "s"}), ":1");
  EXPECT_EQ(Reply(reader.get()), "-UNBLOCKED the stream key no longer exists");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"}), "+OK");
  ASSERT_TRUE(reader->Send("XREADGROUP GROUP g c BLOCK 0 STREAMS s >\r\n"));
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"XGROUP", "DESTROY", "s", "g"}), ":1");
  EXPECT_EQ(Reply(reader.get()),
            "-NOGROUP the consumer group this client was blocked on no longer exists");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "s", "g", "$"}), "+OK");
  ASSERT_TRUE(reader->Send("XREADGROUP GROUP g c BLOCK 0 STREAMS s >\r\n"));
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");
  EXPECT_EQ(Reply(reader.get()), "-UNBLOCKED the stream key no longer exists");
  // XREAD waits on through a deletion and a write of another type.
  EXPECT_EQ(Run({"DEL", "s"}), ":1");
  auto plain = Blocked("XREAD BLOCK 0 STREAMS s $", 0);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(Run({"XADD", "s", "0-1", "a", "0"}), "\"0-1\"");
  EXPECT_EQ(Reply(plain.get()), "[[\"s\", [[\"0-1\", [\"a\", \"0\"]]]]]");
  ASSERT_TRUE(plain->Send("XREAD BLOCK 0 STREAMS s $\r\n"));
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"DEL", "s"}), ":1");
  EXPECT_EQ(Run({"LPUSH", "s", "x"}), ":1");
  EXPECT_EQ(Run({"DEL", "s"}), ":1");
  EXPECT_EQ(InfoField(client_.get(), "clients", "blocked_clients"), "1");
  EXPECT_EQ(Run({"XADD", "s", "1-0", "a", "1"}), "\"1-0\"");
  EXPECT_EQ(Reply(plain.get()), "[[\"s\", [[\"1-0\", [\"a\", \"1\"]]]]]");
}

TEST_F(StreamsTest, ClientUnblockEndsABlockedRead) {
  EXPECT_EQ(Run({"XADD", "s", "1-0", "f", "v"}), "\"1-0\"");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("CLIENT ID\r\n"));
  const std::string id = Reply(raw.get()).substr(1);
  ASSERT_TRUE(raw->Send("XREAD BLOCK 0 STREAMS s $\r\n"));
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id, "ERROR"}), ":1");
  EXPECT_EQ(Reply(raw.get()), "-UNBLOCKED client unblocked via CLIENT UNBLOCK");
  // The next read is a new command: its IDs are its own.
  ASSERT_TRUE(raw->Send("XREAD STREAMS s 0\r\n"));
  EXPECT_EQ(Reply(raw.get()), "[[\"s\", [[\"1-0\", [\"f\", \"v\"]]]]]");
  ASSERT_TRUE(raw->Send("XREAD BLOCK 0 STREAMS s $\r\n"));
  EXPECT_TRUE(
      WaitUntil([&] { return InfoField(client_.get(), "clients", "blocked_clients") == "1"; },
                std::chrono::seconds(10)));
  EXPECT_EQ(Run({"CLIENT", "UNBLOCK", id}), ":1");
  EXPECT_EQ(Reply(raw.get()), "(nil array)") << "as at a timeout";
  ASSERT_TRUE(raw->Send("XREAD STREAMS s 0\r\n"));
  EXPECT_EQ(Reply(raw.get()), "[[\"s\", [[\"1-0\", [\"f\", \"v\"]]]]]");
}

TEST_F(StreamsTest, SurvivesRestart) {
  std::vector<std::vector<std::string>> commands;
  for (int i = 1; i <= 500; ++i) {
    commands.push_back({"XADD", "big", std::to_string(i), "f", "v" + std::to_string(i)});
  }
  for (const ReplyPtr& reply : client_->Pipeline(commands)) {
    ASSERT_EQ(reply->type, REDIS_REPLY_STRING);
  }
  EXPECT_EQ(Run({"XDEL", "big", "1", "250"}), ":2");
  EXPECT_EQ(Run({"XGROUP", "CREATE", "big", "g", "0"}), "+OK");
  EXPECT_EQ(Run({"XREADGROUP", "GROUP", "g", "c", "COUNT", "2", "STREAMS", "big", ">"}),
            "[[\"big\", [[\"2-0\", [\"f\", \"v2\"]], [\"3-0\", [\"f\", \"v3\"]]]]]");
  EXPECT_EQ(Run({"XADD", "empty", "5", "f", "v"}), "\"5-0\"");
  EXPECT_EQ(Run({"XDEL", "empty", "5"}), ":1");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  RestartAndReconnect();
  EXPECT_EQ(Run({"XLEN", "big"}), ":498");
  EXPECT_EQ(Run({"XRANGE", "big", "249", "251"}),
            "[[\"249-0\", [\"f\", \"v249\"]], [\"251-0\", [\"f\", \"v251\"]]]");
  EXPECT_EQ(Run({"XREVRANGE", "big", "+", "-", "COUNT", "1"}), "[[\"500-0\", [\"f\", \"v500\"]]]");
  EXPECT_EQ(Run({"XPENDING", "big", "g"}), "[:2, \"2-0\", \"3-0\", [[\"c\", \"2\"]]]");
  EXPECT_EQ(Run({"XINFO", "GROUPS", "big"}),
            "[[\"name\", \"g\", \"consumers\", :1, \"pending\", :2, \"last-delivered-id\", "
            "\"3-0\", \"entries-read\", (nil), \"lag\", (nil)]]")
      << "deletions before the group's position make its counter unknown";
  EXPECT_EQ(Run({"XLEN", "empty"}), ":0");
  EXPECT_EQ(Run({"XADD", "empty", "5", "f", "v"}),
            "-ERR The ID specified in XADD is equal or smaller than the target stream top item");
}

TEST_F(StreamsTest, CommandMetadata) {
  EXPECT_EQ(Run({"COMMAND", "INFO", "XADD"}).substr(0, 52),
            "[[\"xadd\", :-5, [+write, +denyoom, +fast], :1, :1, :1");
  const std::string xread =
      Run({"COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0"});
  EXPECT_EQ(xread, "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"ACL", "SETUSER", "reader", "on", "nopass", "~*", "+@all", "-@stream"}), "+OK");
  auto other = Connect(false);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Run({"AUTH", "reader", "x"}), "+OK");
  EXPECT_EQ(other->Run({"XLEN", "s"}).substr(0, 8), "-NOPERM ");
  EXPECT_EQ(other->Run({"GET", "s"}), "(nil)");
}

}  // namespace
}  // namespace shale::integration
