// Pub/sub end to end: (P|S)SUBSCRIBE and their confirmations, PUBLISH and PUBSUB, the RESP2
// subscribed mode and RESP3 pushes, RESET, CLIENT REPLY, keyspace notifications and the pubsub
// class of client-output-buffer-limit. Subscribers are raw connections, which show the exact
// reply types (hiredis 0.14 cannot read pushes).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

using std::chrono::seconds;

std::string SubscribedModeError(const std::string& command) {
  return "-ERR Can't execute '" + command +
         "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this "
         "context";
}

// A command as a RESP array.
std::string Encode(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

class PubSubTest : public ServerFixture {
 protected:
  // A raw connection, optionally switched to RESP3 (its HELLO reply read).
  std::unique_ptr<RawConnection> Subscriber(bool resp3 = false, int receive_buffer = 0) {
    auto raw = ConnectRaw(receive_buffer);
    if (raw != nullptr && resp3) {
      EXPECT_TRUE(raw->Send(Encode({"HELLO", "3"})));
      RespValue hello;
      std::string error;
      EXPECT_TRUE(raw->ReadReply(&hello, &error)) << error;
    }
    return raw;
  }

  // Sends a command and returns the text of its reply.
  static std::string Call(RawConnection* raw, const std::vector<std::string>& args) {
    if (!raw->Send(Encode(args))) return "(send failed)";
    return raw->ReadReplyText();
  }
  // Sends a command whose replies are `count` confirmations; returns them joined by " ".
  static std::string CallMany(RawConnection* raw, const std::vector<std::string>& args, int count) {
    if (!raw->Send(Encode(args))) return "(send failed)";
    std::string out;
    for (int i = 0; i < count; ++i) {
      if (i > 0) out += " ";
      out += raw->ReadReplyText();
    }
    return out;
  }
};

TEST_F(PubSubTest, SubscribePublishAndUnsubscribe) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(CallMany(sub.get(), {"SUBSCRIBE", "chan1", "chan2", "chan1"}, 3),
            "[\"subscribe\", \"chan1\", :1] [\"subscribe\", \"chan2\", :2] "
            "[\"subscribe\", \"chan1\", :2]");
  EXPECT_EQ(Run({"PUBLISH", "chan1", "hello"}), ":1");
  EXPECT_EQ(Run({"PUBLISH", "chan3", "hello"}), ":0");
  EXPECT_EQ(sub->ReadReplyText(), "[\"message\", \"chan1\", \"hello\"]");
  EXPECT_EQ(Run({"PUBLISH", "chan2", std::string("a\0b", 3)}), ":1");
  EXPECT_EQ(sub->ReadReplyText(), "[\"message\", \"chan2\", \"a\\x00b\"]");

  EXPECT_EQ(Run({"PUBSUB", "CHANNELS"}), "[\"chan1\", \"chan2\"]");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "*2"}), "[\"chan2\"]");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "chan1", "nosuch"}), "[\"chan1\", :1, \"nosuch\", :0]");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB"}), "[]");
  EXPECT_EQ(InfoField(client_.get(), "stats", "pubsub_channels"), "2");

  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE", "chan1", "nosuch"}),
            "[\"unsubscribe\", \"chan1\", :1]");
  EXPECT_EQ(sub->ReadReplyText(), "[\"unsubscribe\", \"nosuch\", :1]");
  EXPECT_EQ(Run({"PUBLISH", "chan1", "gone"}), ":0");
  // Without arguments: every channel left.
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE"}), "[\"unsubscribe\", \"chan2\", :0]");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS"}), "[]");
  EXPECT_EQ(InfoField(client_.get(), "stats", "pubsub_channels"), "0");
  // Out of the subscribed mode, commands answer as usual.
  EXPECT_EQ(Call(sub.get(), {"PING"}), "+PONG");
}

TEST_F(PubSubTest, UnsubscribeWithNothingSubscribedRepliesNil) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE"}), "[\"unsubscribe\", (nil), :0]");
  EXPECT_EQ(Call(sub.get(), {"PUNSUBSCRIBE"}), "[\"punsubscribe\", (nil), :0]");
  EXPECT_EQ(Call(sub.get(), {"SUNSUBSCRIBE"}), "[\"sunsubscribe\", (nil), :0]");
  EXPECT_EQ(CallMany(sub.get(), {"UNSUBSCRIBE", "a", "b"}, 2),
            "[\"unsubscribe\", \"a\", :0] [\"unsubscribe\", \"b\", :0]");
  // The count is of channels and patterns together: with a pattern left, it is 1.
  EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "p*"}), "[\"psubscribe\", \"p*\", :1]");
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE"}), "[\"unsubscribe\", (nil), :1]");
}

TEST_F(PubSubTest, PatternSubscriptions) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(CallMany(sub.get(), {"PSUBSCRIBE", "foo.*", "ba[rz]"}, 2),
            "[\"psubscribe\", \"foo.*\", :1] [\"psubscribe\", \"ba[rz]\", :2]");
  EXPECT_EQ(Run({"PUBLISH", "foo.1", "m1"}), ":1");
  EXPECT_EQ(Run({"PUBLISH", "foo1", "m2"}), ":0");
  EXPECT_EQ(Run({"PUBLISH", "baz", "m3"}), ":1");
  EXPECT_EQ(sub->ReadReplyText(), "[\"pmessage\", \"foo.*\", \"foo.1\", \"m1\"]");
  EXPECT_EQ(sub->ReadReplyText(), "[\"pmessage\", \"ba[rz]\", \"baz\", \"m3\"]");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), ":2");
  EXPECT_EQ(InfoField(client_.get(), "stats", "pubsub_patterns"), "2");
  // A channel and a pattern that both match: two deliveries, two receivers.
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "foo.2"}), "[\"subscribe\", \"foo.2\", :3]");
  EXPECT_EQ(Run({"PUBLISH", "foo.2", "both"}), ":2");
  EXPECT_EQ(sub->ReadReplyText(), "[\"message\", \"foo.2\", \"both\"]");
  EXPECT_EQ(sub->ReadReplyText(), "[\"pmessage\", \"foo.*\", \"foo.2\", \"both\"]");
  EXPECT_EQ(Call(sub.get(), {"PUNSUBSCRIBE", "foo.*"}), "[\"punsubscribe\", \"foo.*\", :2]");
  EXPECT_EQ(Call(sub.get(), {"PUNSUBSCRIBE"}), "[\"punsubscribe\", \"ba[rz]\", :1]");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), ":0");
}

TEST_F(PubSubTest, ShardChannels) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(CallMany(sub.get(), {"SSUBSCRIBE", "s1", "s2"}, 2),
            "[\"ssubscribe\", \"s1\", :1] [\"ssubscribe\", \"s2\", :2]");
  // A channel of the same name is another channel.
  EXPECT_EQ(Run({"PUBLISH", "s1", "m"}), ":0");
  EXPECT_EQ(Run({"SPUBLISH", "s1", "m"}), ":1");
  EXPECT_EQ(sub->ReadReplyText(), "[\"smessage\", \"s1\", \"m\"]");
  EXPECT_EQ(Run({"PUBSUB", "SHARDCHANNELS"}), "[\"s1\", \"s2\"]");
  EXPECT_EQ(Run({"PUBSUB", "SHARDCHANNELS", "*1"}), "[\"s1\"]");
  EXPECT_EQ(Run({"PUBSUB", "SHARDNUMSUB", "s1", "x"}), "[\"s1\", :1, \"x\", :0]");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS"}), "[]");
  EXPECT_EQ(InfoField(client_.get(), "stats", "pubsubshard_channels"), "2");
  // Subscribed to shard channels only, a RESP2 client is in the subscribed mode too.
  EXPECT_EQ(Call(sub.get(), {"GET", "k"}), SubscribedModeError("get"));
  EXPECT_EQ(Call(sub.get(), {"SUNSUBSCRIBE", "s1"}), "[\"sunsubscribe\", \"s1\", :1]");
  EXPECT_EQ(Call(sub.get(), {"SUNSUBSCRIBE"}), "[\"sunsubscribe\", \"s2\", :0]");
  EXPECT_EQ(Call(sub.get(), {"GET", "k"}), "(nil)");
}

TEST_F(PubSubTest, SubscribedModeAllowsOnlyPubSubCommands) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), "[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Call(sub.get(), {"GET", "k"}), SubscribedModeError("get"));
  EXPECT_EQ(Call(sub.get(), {"PUBLISH", "c", "m"}), SubscribedModeError("publish"));
  // A container's subcommand is named in full.
  EXPECT_EQ(Call(sub.get(), {"CONFIG", "GET", "port"}), SubscribedModeError("config|get"));
  EXPECT_EQ(Call(sub.get(), {"PUBSUB", "NUMPAT"}), SubscribedModeError("pubsub|numpat"));
  // Unknown commands and arity errors come first.
  EXPECT_EQ(Call(sub.get(), {"NOSUCH"}).rfind("-ERR unknown command 'NOSUCH'", 0), 0u);
  EXPECT_EQ(Call(sub.get(), {"GET"}), "-ERR wrong number of arguments for 'get' command");
  // PING answers an array a subscriber can read.
  EXPECT_EQ(Call(sub.get(), {"PING"}), "[\"pong\", \"\"]");
  EXPECT_EQ(Call(sub.get(), {"PING", "hi"}), "[\"pong\", \"hi\"]");
  EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "x*"}), "[\"psubscribe\", \"x*\", :2]");
  EXPECT_EQ(Call(sub.get(), {"QUIT"}), "+OK");
  EXPECT_TRUE(sub->WaitClosed());
}

TEST_F(PubSubTest, Resp3SubscriberGetsPushesAndRunsAnyCommand) {
  auto sub = Subscriber(/*resp3=*/true);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), ">[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Call(sub.get(), {"SET", "k", "v"}), "+OK");
  EXPECT_EQ(Call(sub.get(), {"PING"}), "+PONG");
  // Its own PUBLISH: the push comes before the reply.
  EXPECT_EQ(Call(sub.get(), {"PUBLISH", "c", "self"}), ">[\"message\", \"c\", \"self\"]");
  EXPECT_EQ(sub->ReadReplyText(), ":1");
  EXPECT_EQ(Run({"PUBLISH", "c", "other"}), ":1");
  EXPECT_EQ(sub->ReadReplyText(), ">[\"message\", \"c\", \"other\"]");
  EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "c*"}), ">[\"psubscribe\", \"c*\", :2]");
  EXPECT_EQ(Run({"PUBLISH", "c", "two"}), ":2");
  EXPECT_EQ(sub->ReadReplyText(), ">[\"message\", \"c\", \"two\"]");
  EXPECT_EQ(sub->ReadReplyText(), ">[\"pmessage\", \"c*\", \"c\", \"two\"]");
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE", "nosuch"}), ">[\"unsubscribe\", \"nosuch\", :2]");
  EXPECT_EQ(Call(sub.get(), {"PUNSUBSCRIBE"}), ">[\"punsubscribe\", \"c*\", :1]");
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE"}), ">[\"unsubscribe\", \"c\", :0]");
  EXPECT_EQ(Call(sub.get(), {"UNSUBSCRIBE"}), ">[\"unsubscribe\", _, :0]");
}

TEST_F(PubSubTest, ClosedSubscriberIsForgotten) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), "[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "p*"}), "[\"psubscribe\", \"p*\", :2]");
  sub->Close();
  ASSERT_TRUE(WaitForClientCount(1));
  EXPECT_EQ(Run({"PUBLISH", "c", "m"}), ":0");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "c"}), "[\"c\", :0]");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), ":0");
}

TEST_F(PubSubTest, ClientListShowsSubscriptions) {
  auto sub = Subscriber();
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(CallMany(sub.get(), {"SUBSCRIBE", "a", "b"}, 2),
            "[\"subscribe\", \"a\", :1] [\"subscribe\", \"b\", :2]");
  EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "p*"}), "[\"psubscribe\", \"p*\", :3]");
  EXPECT_EQ(Call(sub.get(), {"SSUBSCRIBE", "s"}), "[\"ssubscribe\", \"s\", :1]");
  const std::string pubsub_list =
      ReplyString(client_->Command({"CLIENT", "LIST", "TYPE", "pubsub"}).get());
  EXPECT_NE(pubsub_list.find(" flags=P "), std::string::npos) << pubsub_list;
  EXPECT_NE(pubsub_list.find(" sub=2 psub=1 ssub=1 "), std::string::npos) << pubsub_list;
  EXPECT_EQ(pubsub_list.find("cmd=client"), std::string::npos) << "the lister is not pubsub";
  const std::string normal_list =
      ReplyString(client_->Command({"CLIENT", "LIST", "TYPE", "normal"}).get());
  EXPECT_NE(normal_list.find(" sub=0 psub=0 ssub=0 "), std::string::npos) << normal_list;
  EXPECT_EQ(normal_list.find(" flags=P "), std::string::npos) << normal_list;
  EXPECT_EQ(Run({"CLIENT", "LIST", "TYPE", "master"}), "\"\"");
}

TEST_F(PubSubTest, PubSubCommandErrors) {
  EXPECT_EQ(Run({"PUBSUB", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try PUBSUB HELP.");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT", "x"}),
            "-ERR wrong number of arguments for 'pubsub|numpat' command");
  EXPECT_EQ(Run({"PUBSUB", "CHANNELS", "a", "b"}),
            "-ERR wrong number of arguments for 'pubsub|channels' command");
  EXPECT_EQ(Run({"PUBSUB"}), "-ERR wrong number of arguments for 'pubsub' command");
  EXPECT_EQ(Run({"SUBSCRIBE"}), "-ERR wrong number of arguments for 'subscribe' command");
  EXPECT_EQ(Run({"PSUBSCRIBE"}), "-ERR wrong number of arguments for 'psubscribe' command");
  EXPECT_EQ(Run({"SSUBSCRIBE"}), "-ERR wrong number of arguments for 'ssubscribe' command");
  EXPECT_EQ(Run({"PUBLISH", "c"}), "-ERR wrong number of arguments for 'publish' command");
  EXPECT_EQ(Run({"SPUBLISH", "c"}), "-ERR wrong number of arguments for 'spublish' command");
  const ReplyPtr help = client_->Command({"PUBSUB", "HELP"});
  ASSERT_EQ(help->type, REDIS_REPLY_ARRAY) << Describe(help);
  EXPECT_GT(help->elements, 4u);
}

TEST_F(PubSubTest, ClientReply) {
  auto raw = Subscriber();
  ASSERT_NE(raw, nullptr);
  // OFF: nothing until ON, whose +OK is the next reply.
  ASSERT_TRUE(raw->Send(Encode({"CLIENT", "REPLY", "OFF"}) + Encode({"SET", "k", "1"}) +
                        Encode({"GET", "k"}) + Encode({"NOSUCH"}) +
                        Encode({"CLIENT", "REPLY", "ON"}) + Encode({"GET", "k"})));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "\"1\"");
  // SKIP: no reply to itself or to the next command.
  ASSERT_TRUE(raw->Send(Encode({"CLIENT", "REPLY", "SKIP"}) + Encode({"INCR", "k"}) +
                        Encode({"GET", "k"})));
  EXPECT_EQ(raw->ReadReplyText(), "\"2\"");
  // SKIP while OFF changes nothing.
  ASSERT_TRUE(raw->Send(Encode({"CLIENT", "REPLY", "OFF"}) + Encode({"CLIENT", "REPLY", "SKIP"}) +
                        Encode({"INCR", "k"}) + Encode({"CLIENT", "REPLY", "ON"}) +
                        Encode({"GET", "k"})));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "\"3\"");
  // Pub/sub confirmations and messages arrive even with replies off.
  ASSERT_TRUE(raw->Send(Encode({"CLIENT", "REPLY", "OFF"}) + Encode({"SUBSCRIBE", "c"})));
  EXPECT_EQ(raw->ReadReplyText(), "[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Run({"PUBLISH", "c", "m"}), ":1");
  EXPECT_EQ(raw->ReadReplyText(), "[\"message\", \"c\", \"m\"]");
  EXPECT_EQ(Call(raw.get(), {"UNSUBSCRIBE"}), "[\"unsubscribe\", \"c\", :0]");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "REPLY", "ON"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "REPLY", "MAYBE"}), "-ERR syntax error");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "REPLY"}),
            "-ERR wrong number of arguments for 'client|reply' command");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "REPLY", "ON", "x"}),
            "-ERR wrong number of arguments for 'client|reply' command");
}

TEST_F(PubSubTest, ResetRestoresTheInitialState) {
  auto raw = Subscriber(/*resp3=*/true);
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(Call(raw.get(), {"SELECT", "3"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "SETNAME", "worker"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"CLIENT", "SETINFO", "LIB-NAME", "mylib"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"WATCH", "w"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"SUBSCRIBE", "c"}), ">[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Call(raw.get(), {"PSUBSCRIBE", "p*"}), ">[\"psubscribe\", \"p*\", :2]");
  EXPECT_EQ(Call(raw.get(), {"MULTI"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"SET", "k", "v"}), "+QUEUED");
  EXPECT_EQ(Call(raw.get(), {"RESET"}), "+RESET");  // not queued
  EXPECT_EQ(Call(raw.get(), {"EXEC"}), "-ERR EXEC without MULTI");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"PUBLISH", "c", "m"}), ":0");
  EXPECT_EQ(Run({"PUBSUB", "NUMPAT"}), ":0");
  // RESP2 again: a null bulk is $-1, not _.
  EXPECT_EQ(Call(raw.get(), {"GET", "nosuch"}), "(nil)");
  RespValue info;
  std::string error;
  ASSERT_TRUE(raw->Send(Encode({"CLIENT", "INFO"})));
  ASSERT_TRUE(raw->ReadReply(&info, &error)) << error;
  EXPECT_NE(info.str.find(" name= "), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(" db=0 "), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(" resp=2 "), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(" sub=0 psub=0 "), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(" flags=N "), std::string::npos) << info.str;
  EXPECT_NE(info.str.find(" lib-name=mylib "), std::string::npos) << info.str;
  // The watch is gone: a change to the key does not fail a later transaction.
  EXPECT_EQ(Run({"SET", "w", "changed"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"MULTI"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"PING"}), "+QUEUED");
  EXPECT_EQ(Call(raw.get(), {"EXEC"}), "[+PONG]");
  // RESET answers although replies were off, and turns them on again.
  ASSERT_TRUE(
      raw->Send(Encode({"CLIENT", "REPLY", "OFF"}) + Encode({"RESET"}) + Encode({"ECHO", "on"})));
  EXPECT_EQ(raw->ReadReplyText(), "+RESET");
  EXPECT_EQ(raw->ReadReplyText(), "\"on\"");
  EXPECT_EQ(Call(raw.get(), {"RESET", "x"}), "-ERR wrong number of arguments for 'reset' command");
}

class PubSubPasswordTest : public PubSubTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--requirepass", "secret"}; }
};

TEST_F(PubSubPasswordTest, ResetRequiresAuthenticationAgain) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(Call(raw.get(), {"RESET"}), "+RESET");  // allowed before AUTH
  EXPECT_EQ(Call(raw.get(), {"AUTH", "secret"}), "+OK");
  EXPECT_EQ(Call(raw.get(), {"PING"}), "+PONG");
  EXPECT_EQ(Call(raw.get(), {"RESET"}), "+RESET");
  EXPECT_EQ(Call(raw.get(), {"PING"}), "-NOAUTH Authentication required.");
}

// --- keyspace notifications ---

class NotificationsTest : public PubSubTest {
 protected:
  // A subscriber to every channel (PSUBSCRIBE *) with notify-keyspace-events set to `flags`.
  std::unique_ptr<RawConnection> Listen(const std::string& flags) {
    EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", flags}), "+OK");
    auto sub = Subscriber();
    if (sub != nullptr) {
      EXPECT_EQ(Call(sub.get(), {"PSUBSCRIBE", "*"}), "[\"psubscribe\", \"*\", :1]");
    }
    return sub;
  }
  // The next message as "channel message".
  static std::string Next(RawConnection* sub) {
    RespValue value;
    std::string error;
    if (!sub->ReadReply(&value, &error)) return "(read failed: " + error + ")";
    if (value.elements.size() != 4) return value.ToString();
    return value.elements[2].str + " " + value.elements[3].str;
  }
};

TEST_F(NotificationsTest, KeyspaceAndKeyeventChannels) {
  auto sub = Listen("KEA");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SET", "foo", "bar"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:foo set");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set foo");
  // The database of the client's SELECT.
  EXPECT_EQ(Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(Run({"DEL", "foo", "nosuch"}), ":0");
  EXPECT_EQ(Run({"SET", "foo", "bar", "EX", "100"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@5__:foo set");
  EXPECT_EQ(Next(sub.get()), "__keyevent@5__:set foo");
  EXPECT_EQ(Next(sub.get()), "__keyspace@5__:foo expire");
  EXPECT_EQ(Next(sub.get()), "__keyevent@5__:expire foo");
}

TEST_F(NotificationsTest, ClassesMaskEvents) {
  auto sub = Listen("Kl");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SET", "s", "v"}), "+OK");  // a string event: not published
  EXPECT_EQ(Run({"DEL", "s"}), ":1");        // generic: not published
  EXPECT_EQ(Run({"LPUSH", "l", "a", "b"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l lpush");
  // Neither K nor E: nothing at all.
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "A"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "c"}), ":3");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "El"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "l", "d"}), ":4");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:rpush l");
}

TEST_F(NotificationsTest, GenericEvents) {
  auto sub = Listen("Kg");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK");
  EXPECT_EQ(Run({"DEL", "a", "nosuch", "a", "b"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:a del");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:b del");
  EXPECT_EQ(Run({"EXPIRE", "c", "100"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:c expire");
  EXPECT_EQ(Run({"PERSIST", "c"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:c persist");
  EXPECT_EQ(Run({"PERSIST", "c"}), ":0");  // no deadline: no event
  EXPECT_EQ(Run({"RENAME", "c", "d"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:c rename_from");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:d rename_to");
  EXPECT_EQ(Run({"COPY", "d", "e", "DB", "2"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@2__:e copy_to");
  EXPECT_EQ(Run({"MOVE", "d", "3"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:d move_from");
  EXPECT_EQ(Next(sub.get()), "__keyspace@3__:d move_to");
  // A deadline already passed deletes the key: "del", not "expire".
  EXPECT_EQ(Run({"SET", "f", "v"}), "+OK");
  EXPECT_EQ(Run({"PEXPIREAT", "f", "1"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:f del");
  EXPECT_EQ(Run({"SET", "g", "v"}), "+OK");
  EXPECT_EQ(Run({"GETDEL", "g"}), "\"v\"");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:g del");
  EXPECT_EQ(Run({"UNLINK", "nosuch"}), ":0");
  EXPECT_EQ(Run({"SET", "h", "v"}), "+OK");
  EXPECT_EQ(Run({"UNLINK", "h"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h del");
}

TEST_F(NotificationsTest, StringEvents) {
  auto sub = Listen("E$");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SET", "k", "1"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set k");
  EXPECT_EQ(Run({"SET", "k", "2", "NX"}), "(nil)");  // not set: no event
  EXPECT_EQ(Run({"INCRBY", "k", "5"}), ":6");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:incrby k");
  EXPECT_EQ(Run({"INCR", "k"}), ":7");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:incrby k");
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "0.5"}), "\"7.5\"");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:incrbyfloat k");
  EXPECT_EQ(Run({"APPEND", "k", "x"}), ":4");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:append k");
  EXPECT_EQ(Run({"SETRANGE", "k", "0", "ab"}), ":4");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:setrange k");
  EXPECT_EQ(Run({"SETRANGE", "k", "0", ""}), ":4");  // nothing set: no event
  EXPECT_EQ(Run({"INCR", "k"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SETNX", "n", "v"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set n");
  EXPECT_EQ(Run({"GETSET", "n", "w"}), "\"v\"");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set n");
  EXPECT_EQ(Run({"MSETNX", "m1", "1", "m2", "2"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set m1");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set m2");
  EXPECT_EQ(Run({"SETBIT", "bits", "7", "1"}), ":0");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:setbit bits");
  EXPECT_EQ(Run({"PUBLISH", "done", "x"}), ":1");
  EXPECT_EQ(Next(sub.get()), "done x");
}

TEST_F(NotificationsTest, ListEvents) {
  auto sub = Listen("Kgl");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c", "d"}), ":4");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l rpush");
  EXPECT_EQ(Run({"LPUSHX", "nosuch", "a"}), ":0");  // nothing pushed: no event
  EXPECT_EQ(Run({"LSET", "l", "0", "A"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l lset");
  EXPECT_EQ(Run({"LINSERT", "l", "BEFORE", "b", "x"}), ":5");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l linsert");
  EXPECT_EQ(Run({"LREM", "l", "0", "x"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l lrem");
  EXPECT_EQ(Run({"LTRIM", "l", "0", "2"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l ltrim");
  EXPECT_EQ(Run({"LPOP", "l"}), "\"A\"");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l lpop");
  // LMOVE: the push, then the pop, then the source's deletion when it emptied.
  EXPECT_EQ(Run({"LMOVE", "l", "dst", "RIGHT", "LEFT"}), "\"c\"");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:dst lpush");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l rpop");
  EXPECT_EQ(Run({"RPOPLPUSH", "l", "dst"}), "\"b\"");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:dst lpush");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l rpop");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:l del");
  EXPECT_EQ(Run({"RPOP", "dst", "5"}), "[\"c\", \"b\"]");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:dst rpop");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:dst del");
  EXPECT_EQ(Run({"LPOP", "dst"}), "(nil)");
  EXPECT_EQ(Run({"RPUSH", "m", "1"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m rpush");
  EXPECT_EQ(Run({"BLPOP", "m", "0"}), "[\"m\", \"1\"]");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m lpop");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m del");
  EXPECT_EQ(Run({"RPUSH", "m", "1", "2"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m rpush");
  EXPECT_EQ(Run({"LMPOP", "1", "m", "RIGHT"}), "[\"m\", [\"2\"]]");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m rpop");
}

TEST_F(NotificationsTest, HashEvents) {
  auto sub = Listen("Kgh");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"HSET", "h", "f1", "1", "f2", "2"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hset");
  EXPECT_EQ(Run({"HSETNX", "h", "f1", "x"}), ":0");  // not set: no event
  EXPECT_EQ(Run({"HMSET", "h", "f3", "3"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hset");
  EXPECT_EQ(Run({"HINCRBY", "h", "f1", "10"}), ":11");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hincrby");
  EXPECT_EQ(Run({"HINCRBYFLOAT", "h", "f2", "0.5"}), "\"2.5\"");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hincrbyfloat");
  EXPECT_EQ(Run({"HDEL", "h", "nosuch"}), ":0");
  EXPECT_EQ(Run({"HDEL", "h", "f1", "f2"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hdel");
  EXPECT_EQ(Run({"HDEL", "h", "f3"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h hdel");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:h del");
}

TEST_F(NotificationsTest, SetEvents) {
  auto sub = Listen("Kgs");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SADD", "s", "a", "b", "c"}), ":3");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:s sadd");
  EXPECT_EQ(Run({"SADD", "s", "a"}), ":0");  // nothing added: no event
  EXPECT_EQ(Run({"SREM", "s", "x"}), ":0");
  EXPECT_EQ(Run({"SREM", "s", "a"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:s srem");
  EXPECT_EQ(Run({"SADD", "t", "b"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:t sadd");
  // SMOVE of a member the destination has: no sadd.
  EXPECT_EQ(Run({"SMOVE", "s", "t", "b"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:s srem");
  EXPECT_EQ(Run({"SMOVE", "s", "t", "c"}), ":1");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:s srem");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:s del");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:t sadd");
  EXPECT_EQ(Run({"SUNIONSTORE", "u", "t"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:u sunionstore");
  EXPECT_EQ(Run({"SINTERSTORE", "i", "t", "u"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:i sinterstore");
  // An empty result deletes the destination: "del".
  EXPECT_EQ(Run({"SDIFFSTORE", "i", "t", "u"}), ":0");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:i del");
  EXPECT_EQ(Run({"SDIFFSTORE", "i", "t", "u"}), ":0");  // nothing there to delete
  EXPECT_EQ(Run({"SPOP", "u", "5"}).size() > 0, true);
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:u spop");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:u del");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Kl"}), "+OK");
  EXPECT_EQ(Run({"SORT", "t", "ALPHA", "STORE", "sorted"}), ":2");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:sorted sortstore");
}

TEST_F(NotificationsTest, ExpiredEvents) {
  auto sub = Listen("Ex");
  ASSERT_NE(sub, nullptr);
  // Expired by the active cycle (or a lookup, whichever comes first): one "expired" event.
  EXPECT_EQ(Run({"PSETEX", "k", "50", "v"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:expired k");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"SELECT", "4"}), "+OK");
  EXPECT_EQ(Run({"SET", "k2", "v", "PX", "1"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyevent@4__:expired k2");
}

TEST_F(NotificationsTest, NewKeyEvents) {
  auto sub = Listen("KEn$");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SET", "foo", "bar"}), "+OK");
  // The "new" event comes before the command's own.
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:foo new");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:new foo");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:foo set");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set foo");
  EXPECT_EQ(Run({"SET", "foo", "baz"}), "+OK");  // overwritten, not new
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:foo set");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:set foo");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "En"}), "+OK");
  EXPECT_EQ(Run({"RPUSH", "list", "a"}), ":1");  // no list events, but "new" all the same
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:new list");
  EXPECT_EQ(Run({"RPUSH", "list", "b"}), ":2");
  EXPECT_EQ(Run({"SET", "bar", "bar"}), "+OK");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:new bar");
  // Inside EXEC too.
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SADD", "set", "m"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[:1]");
  EXPECT_EQ(Next(sub.get()), "__keyevent@0__:new set");
}

TEST_F(NotificationsTest, KeyMissEvents) {
  auto sub = Listen("Km");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Run({"SET", "present", "v"}), "+OK");
  EXPECT_EQ(Run({"GET", "missing"}), "(nil)");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:missing keymiss");
  EXPECT_EQ(Run({"MGET", "present", "m1", "m2"}), "[\"v\", (nil), (nil)]");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m1 keymiss");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m2 keymiss");
  EXPECT_EQ(Run({"STRLEN", "m3"}), ":0");
  EXPECT_EQ(Next(sub.get()), "__keyspace@0__:m3 keymiss");
}

TEST_F(NotificationsTest, ConfigForms) {
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "gKE"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}),
            "[\"notify-keyspace-events\", \"gKE\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "EA"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}),
            "[\"notify-keyspace-events\", \"AE\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", "Kw"}),
            "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}),
            "[\"notify-keyspace-events\", \"AE\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "notify-keyspace-events", ""}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "notify-keyspace-events"}), "[\"notify-keyspace-events\", \"\"]");
}

// --- client-output-buffer-limit, pubsub class ---

// Publishes `count` messages of `size` bytes to `channel`; returns the receivers of the last.
std::string Flood(Client* client, const std::string& channel, int count, size_t size) {
  const std::string message(size, 'm');
  std::string last;
  for (int i = 0; i < count; ++i) last = client->Run({"PUBLISH", channel, message});
  return last;
}

TEST_F(PubSubTest, HardLimitClosesSubscriberThatDoesNotRead) {
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 262144 0 0"}), "+OK");
  auto sub = Subscriber(/*resp3=*/false, /*receive_buffer=*/16 * 1024);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), "[\"subscribe\", \"c\", :1]");
  // About 20 MB (more than the socket buffers hold) to a subscriber that reads nothing: it is
  // closed once 256 KB are pending, before the last message.
  EXPECT_EQ(Flood(client_.get(), "c", 200, 100 * 1024), ":0");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "c"}), "[\"c\", :0]");
  EXPECT_TRUE(WaitForClientCount(1));
  uint64_t received = 0;
  EXPECT_TRUE(sub->WaitClosed(seconds(30), &received)) << "subscriber left open";
  EXPECT_LT(received, 200u * 100 * 1024) << "every message was delivered";
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "client_output_buffer_limit_disconnections"), "1");
  }
}

TEST_F(PubSubTest, SoftLimitClosesSubscriberAfterItsSeconds) {
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 131072 1"}), "+OK");
  auto sub = Subscriber(/*resp3=*/false, /*receive_buffer=*/16 * 1024);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), "[\"subscribe\", \"c\", :1]");
  // Over the soft limit, under no hard one: closed once it has stayed over for a second.
  Flood(client_.get(), "c", 200, 100 * 1024);
  // Watched from the server's side: a subscriber reading now would drain its buffer.
  EXPECT_TRUE(WaitForClientCount(1)) << "subscriber over the soft limit kept";
  uint64_t received = 0;
  EXPECT_TRUE(sub->WaitClosed(seconds(30), &received)) << "subscriber left open";
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "c"}), "[\"c\", :0]");
}

TEST_F(PubSubTest, SubscriberIsHeldToThePubSubClassOnly) {
  // The normal class would close it; the pubsub class (no limit) applies instead.
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "normal 65536 0 0 pubsub 0 0 0"}),
            "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "client-output-buffer-limit"}),
            "[\"client-output-buffer-limit\", \"normal 65536 0 0 slave 268435456 67108864 60 "
            "pubsub 0 0 0\"]");
  auto sub = Subscriber(/*resp3=*/false, /*receive_buffer=*/16 * 1024);
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(Call(sub.get(), {"SUBSCRIBE", "c"}), "[\"subscribe\", \"c\", :1]");
  EXPECT_EQ(Flood(client_.get(), "c", 20, 100 * 1024), ":1");
  EXPECT_EQ(Run({"PUBSUB", "NUMSUB", "c"}), "[\"c\", :1]");
  for (int i = 0; i < 20; ++i) {
    RespValue message;
    std::string error;
    ASSERT_TRUE(sub->ReadReply(&message, &error, seconds(30))) << error;
    ASSERT_EQ(message.elements.size(), 3u);
    EXPECT_EQ(message.elements[2].str.size(), 100u * 1024);
  }
}

}  // namespace
}  // namespace shale::integration
