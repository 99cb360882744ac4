// Connection-level behaviour: PING/ECHO/QUIT, HELLO and RESP3, AUTH, SELECT, CLIENT, error
// texts, inline commands, protocol errors and the per-client limits (maxclients, timeout,
// query and output buffer limits).
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

using std::chrono::seconds;

// Redis 7.0's text; Redis 7.2 and later write "the HELLO <proto> AUTH <user> <pass> option".
// Either is accepted.
constexpr char kNoAuthHello[] =
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time";
constexpr char kNoAuthHelloNewer[] =
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time";

::testing::AssertionResult IsNoAuthHello(const std::string& reply) {
  if (reply == kNoAuthHello || reply == kNoAuthHelloNewer) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << kNoAuthHello << "\n     got " << reply;
}
constexpr char kWrongPass[] = "-WRONGPASS invalid username-password pair or user is disabled.";

// Reads as many bytes as `expected` has and compares them (escaped, so that a mismatch shows
// CR/LF and binary bytes).
void ExpectBytes(RawConnection* connection, const std::string& expected) {
  EXPECT_EQ(EscapeBytes(connection->Read(expected.size())), EscapeBytes(expected));
}

// Checks the fields of a HELLO reply given as alternating names and values.
void ExpectHelloFields(const RespValue& hello, int proto, int64_t client_id) {
  ASSERT_NE(hello.Find("server"), nullptr) << hello.ToString();
  EXPECT_FALSE(hello.Find("server")->str.empty());
  ASSERT_NE(hello.Find("version"), nullptr) << hello.ToString();
  EXPECT_FALSE(hello.Find("version")->str.empty());
  ASSERT_NE(hello.Find("proto"), nullptr) << hello.ToString();
  EXPECT_EQ(hello.Find("proto")->ToString(), ":" + std::to_string(proto));
  ASSERT_NE(hello.Find("id"), nullptr) << hello.ToString();
  EXPECT_EQ(hello.Find("id")->type, ':');
  if (client_id >= 0) {
    EXPECT_EQ(hello.Find("id")->integer, client_id);
  }
  ASSERT_NE(hello.Find("mode"), nullptr) << hello.ToString();
  EXPECT_EQ(hello.Find("mode")->ToString(), "\"standalone\"");
  ASSERT_NE(hello.Find("role"), nullptr) << hello.ToString();
  EXPECT_EQ(hello.Find("role")->ToString(), "\"master\"");
  ASSERT_NE(hello.Find("modules"), nullptr) << hello.ToString();
  EXPECT_EQ(hello.Find("modules")->ToString(), "[]");
  EXPECT_EQ(hello.elements.size(), 14u) << hello.ToString();
}

class ConnectionTest : public ServerFixture {};

TEST_F(ConnectionTest, PingAndEcho) {
  EXPECT_EQ(Run({"PING"}), "+PONG");
  EXPECT_EQ(Run({"ping"}), "+PONG");
  EXPECT_EQ(Run({"PING", "hello world"}), "\"hello world\"");
  EXPECT_EQ(Run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command");
  EXPECT_EQ(Run({"ECHO", "hello"}), "\"hello\"");
  EXPECT_EQ(Run({"ECHO", std::string("a\0b\r\n", 5)}), "\"a\\x00b\\r\\n\"");
  EXPECT_EQ(Run({"ECHO", ""}), "\"\"");
  EXPECT_EQ(Run({"ECHO"}), "-ERR wrong number of arguments for 'echo' command");
  EXPECT_EQ(Run({"ECHO", "a", "b"}), "-ERR wrong number of arguments for 'echo' command");
}

TEST_F(ConnectionTest, QuitRepliesOkThenCloses) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("QUIT\r\nPING\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  uint64_t after_quit = 0;
  EXPECT_TRUE(raw->WaitClosed(seconds(10), &after_quit));
  EXPECT_EQ(after_quit, 0u) << "the command after QUIT was answered";

  EXPECT_EQ(Run({"QUIT"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "(no reply)");
}

TEST_F(ConnectionTest, HelloResp2) {
  const ReplyPtr id = client_->Command({"CLIENT", "ID"});
  ASSERT_EQ(id->type, REDIS_REPLY_INTEGER) << Describe(id);

  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 2\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_EQ(hello.type, '*') << hello.ToString();
  ExpectHelloFields(hello, 2, -1);

  // The id HELLO reports is the one CLIENT ID reports.
  const ReplyPtr hello_reply = client_->Command({"HELLO", "2"});
  ASSERT_EQ(hello_reply->type, REDIS_REPLY_ARRAY) << Describe(hello_reply);
  const std::vector<std::string> fields = ArrayStrings(hello_reply.get());
  ASSERT_EQ(fields.size(), 14u);
  EXPECT_EQ(fields[6], "id");
  EXPECT_EQ(hello_reply->element[7]->integer, id->integer);

  // Without arguments HELLO keeps the current protocol.
  const ReplyPtr plain = client_->Command({"HELLO"});
  ASSERT_EQ(plain->type, REDIS_REPLY_ARRAY) << Describe(plain);
  EXPECT_EQ(Describe(plain->element[5]), ":2");

  EXPECT_EQ(Run({"HELLO", "4"}), "-NOPROTO unsupported protocol version");
  EXPECT_EQ(Run({"HELLO", "1"}), "-NOPROTO unsupported protocol version");
  EXPECT_EQ(Run({"HELLO", "abc"}), "-ERR Protocol version is not an integer or out of range");
  EXPECT_EQ(Run({"HELLO", "3", "FOO"}), "-ERR Syntax error in HELLO option 'FOO'");
  EXPECT_EQ(Run({"HELLO", "3", "SETNAME"}), "-ERR Syntax error in HELLO option 'SETNAME'");
  EXPECT_EQ(Run({"HELLO", "3", "AUTH", "default"}), "-ERR Syntax error in HELLO option 'AUTH'");
  // Failed HELLOs leave the connection on RESP2.
  EXPECT_EQ(Run({"GET", "missing"}), "(nil)");
}

TEST_F(ConnectionTest, Hello3SwitchesToResp3) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_EQ(hello.type, '%') << hello.ToString();
  ExpectHelloFields(hello, 3, -1);

  ASSERT_TRUE(raw->Send("GET missing\r\nSET k v\r\nMGET k missing\r\nPING\r\nHELLO\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "_");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "[\"v\", _]");
  EXPECT_EQ(raw->ReadReplyText(), "+PONG");
  RespValue again;
  ASSERT_TRUE(raw->ReadReply(&again, &error)) << error;
  EXPECT_EQ(again.type, '%') << again.ToString();

  // And back to RESP2.
  ASSERT_TRUE(raw->Send("HELLO 2\r\nGET missing\r\n"));
  RespValue back;
  ASSERT_TRUE(raw->ReadReply(&back, &error)) << error;
  EXPECT_EQ(back.type, '*') << back.ToString();
  EXPECT_EQ(raw->ReadReplyText(), "(nil)");
}

TEST_F(ConnectionTest, HelloSetname) {
  const ReplyPtr hello = client_->Command({"HELLO", "2", "SETNAME", "worker-1"});
  ASSERT_EQ(hello->type, REDIS_REPLY_ARRAY) << Describe(hello);
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "\"worker-1\"");
  EXPECT_EQ(Run({"HELLO", "2", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "\"worker-1\"");
}

TEST_F(ConnectionTest, AuthWithoutPassword) {
  EXPECT_EQ(Run({"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
  EXPECT_EQ(Run({"AUTH"}), "-ERR wrong number of arguments for 'auth' command");
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

class AuthTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--requirepass", "s3cret"}; }
};

TEST_F(AuthTest, CommandsNeedAuth) {
  auto client = Connect(/*authenticate=*/false);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->Run({"GET", "a"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(client->Run({"SET", "a", "1"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(client->Run({"PING"}), "-NOAUTH Authentication required.");
  // The command table is consulted before authentication.
  EXPECT_EQ(client->Run({"nosuchcommand"}),
            "-ERR unknown command 'nosuchcommand', with args beginning with: ");
  EXPECT_EQ(client->Run({"ECHO"}), "-ERR wrong number of arguments for 'echo' command");

  EXPECT_EQ(client->Run({"AUTH", "wrong"}), kWrongPass);
  EXPECT_EQ(client->Run({"GET", "a"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(client->Run({"AUTH", "s3cret"}), "+OK");
  EXPECT_EQ(client->Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(client->Run({"GET", "a"}), "\"1\"");
  EXPECT_EQ(client->Run({"AUTH", "default", "s3cret"}), "+OK");
  EXPECT_EQ(client->Run({"AUTH", "bob", "s3cret"}), kWrongPass);
  EXPECT_EQ(client->Run({"AUTH", "a", "b", "c"}), "-ERR syntax error");

  // A new connection starts unauthenticated again.
  auto other = Connect(/*authenticate=*/false);
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->Run({"GET", "a"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(other->Run({"AUTH", "default", "s3cret"}), "+OK");
  EXPECT_EQ(other->Run({"GET", "a"}), "\"1\"");
}

TEST_F(AuthTest, HelloAuth) {
  auto client = Connect(/*authenticate=*/false);
  ASSERT_NE(client, nullptr);
  EXPECT_TRUE(IsNoAuthHello(client->Run({"HELLO"})));
  EXPECT_TRUE(IsNoAuthHello(client->Run({"HELLO", "2"})));
  EXPECT_EQ(client->Run({"HELLO", "2", "AUTH", "default", "wrong"}), kWrongPass);
  EXPECT_EQ(client->Run({"GET", "a"}), "-NOAUTH Authentication required.");

  const ReplyPtr hello =
      client->Command({"HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "authed"});
  ASSERT_EQ(hello->type, REDIS_REPLY_ARRAY) << Describe(hello);
  EXPECT_EQ(client->Run({"CLIENT", "GETNAME"}), "\"authed\"");
  EXPECT_EQ(client->Run({"GET", "a"}), "(nil)");

  // RESP3 through HELLO AUTH on a raw connection.
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3 AUTH default s3cret\r\nGET a\r\n"));
  RespValue map;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&map, &error)) << error;
  EXPECT_EQ(map.type, '%') << map.ToString();
  EXPECT_EQ(raw->ReadReplyText(), "_");
}

TEST_F(ConnectionTest, Select) {
  for (int db = 0; db < 16; ++db) {
    EXPECT_EQ(Run({"SELECT", std::to_string(db)}), "+OK") << db;
  }
  EXPECT_EQ(Run({"SELECT", "16"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"SELECT", "-1"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"SELECT", "abc"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"SELECT"}), "-ERR wrong number of arguments for 'select' command");
}

class FourDatabasesTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--databases", "4"}; }
};

TEST_F(FourDatabasesTest, SelectRange) {
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "4"}), "-ERR DB index is out of range");
  EXPECT_EQ(Run({"CONFIG", "GET", "databases"}), "[\"databases\", \"4\"]");
}

TEST_F(ConnectionTest, ClientCommands) {
  const ReplyPtr id = client_->Command({"CLIENT", "ID"});
  ASSERT_EQ(id->type, REDIS_REPLY_INTEGER) << Describe(id);
  auto second = Connect();
  ASSERT_NE(second, nullptr);
  const ReplyPtr second_id = second->Command({"CLIENT", "ID"});
  ASSERT_EQ(second_id->type, REDIS_REPLY_INTEGER) << Describe(second_id);
  EXPECT_GT(second_id->integer, id->integer);

  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "(nil)");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "main-conn"}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "\"main-conn\"");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(Run({"CLIENT", "SETNAME", "a\nb"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "\"main-conn\"");
  EXPECT_EQ(Run({"CLIENT", "SETNAME"}),
            "-ERR wrong number of arguments for 'client|setname' command");
  EXPECT_EQ(Run({"CLIENT", "NOSUCH"}), "-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
  EXPECT_EQ(Run({"SELECT", "3"}), "+OK");

  // The two connections of this test (once the harness's readiness probe is gone).
  ASSERT_TRUE(WaitForClientCount(2)) << Run({"CLIENT", "LIST"});
  const std::vector<std::string> lines = ClientListLines();
  const std::string own_id = "id=" + std::to_string(id->integer) + " ";
  const std::string other_id = "id=" + std::to_string(second_id->integer) + " ";
  bool saw_own = false;
  bool saw_other = false;
  for (const std::string& line : lines) {
    EXPECT_NE(line.find("addr=127.0.0.1:"), std::string::npos) << line;
    if (line.rfind(own_id, 0) == 0) {
      saw_own = true;
      EXPECT_NE(line.find(" name=main-conn "), std::string::npos) << line;
      EXPECT_NE(line.find(" db=3 "), std::string::npos) << line;
    }
    if (line.rfind(other_id, 0) == 0) {
      saw_other = true;
      EXPECT_NE(line.find(" name= "), std::string::npos) << line;
      EXPECT_NE(line.find(" db=0 "), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(saw_own) << "no CLIENT LIST line starts with " << own_id;
  EXPECT_TRUE(saw_other) << "no CLIENT LIST line starts with " << other_id;

  // An empty name clears it.
  EXPECT_EQ(Run({"CLIENT", "SETNAME", ""}), "+OK");
  EXPECT_EQ(Run({"CLIENT", "GETNAME"}), "(nil)");
}

TEST_F(ConnectionTest, UnknownCommandAndArityErrors) {
  EXPECT_EQ(Run({"foo", "a", "b"}),
            "-ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(Run({"FOO"}), "-ERR unknown command 'FOO', with args beginning with: ");
  EXPECT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"GeT", "a", "b"}), "-ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Run({"SET", "a"}), "-ERR wrong number of arguments for 'set' command");
  EXPECT_EQ(Run({"MGET"}), "-ERR wrong number of arguments for 'mget' command");
  // The connection still works.
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

TEST_F(ConnectionTest, InlineCommands) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("PING\r\n"));
  ExpectBytes(raw.get(), "+PONG\r\n");
  ASSERT_TRUE(raw->Send("PING\n"));
  ExpectBytes(raw.get(), "+PONG\r\n");
  ASSERT_TRUE(raw->Send("\r\n\r\nPING\r\n"));
  ExpectBytes(raw.get(), "+PONG\r\n");
  ASSERT_TRUE(raw->Send("ECHO hello\r\n"));
  ExpectBytes(raw.get(), "$5\r\nhello\r\n");
  ASSERT_TRUE(raw->Send("SET \"a b\" 'c d'\r\nGET \"a b\"\r\n"));
  ExpectBytes(raw.get(), "+OK\r\n$3\r\nc d\r\n");
  ASSERT_TRUE(raw->Send("ECHO \"x\\x41\\n\"\r\n"));
  ExpectBytes(raw.get(), "$3\r\nxA\n\r\n");
  // Inline and multibulk requests can be mixed on one connection.
  ASSERT_TRUE(raw->Send("*2\r\n$3\r\nGET\r\n$3\r\na b\r\nPING\r\n"));
  ExpectBytes(raw.get(), "$3\r\nc d\r\n+PONG\r\n");
  EXPECT_EQ(Run({"GET", "a b"}), "\"c d\"");
}

struct ProtocolErrorCase {
  std::string request;
  std::string expected_replies;  // everything the server sends before closing
};

TEST_F(ConnectionTest, ProtocolErrorsCloseTheConnection) {
  const std::vector<ProtocolErrorCase> cases = {
      {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
      {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
      {"*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"*1\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
      {"SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
      {"PING\r\n*abc\r\nPING\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"},
  };
  for (const ProtocolErrorCase& test_case : cases) {
    SCOPED_TRACE("request \"" + EscapeBytes(test_case.request) + "\"");
    auto raw = ConnectRaw();
    ASSERT_NE(raw, nullptr);
    ASSERT_TRUE(raw->Send(test_case.request));
    ExpectBytes(raw.get(), test_case.expected_replies);
    uint64_t extra = 0;
    EXPECT_TRUE(raw->WaitClosed(seconds(10), &extra)) << "connection left open";
    EXPECT_EQ(extra, 0u) << "bytes after the error reply";
  }
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

class ProtoMaxBulkLenTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override {
    return {"--proto-max-bulk-len", "1048576"};
  }
};

TEST_F(ProtoMaxBulkLenTest, LongerBulkIsAProtocolError) {
  EXPECT_EQ(Run({"CONFIG", "GET", "proto-max-bulk-len"}), "[\"proto-max-bulk-len\", \"1048576\"]");
  EXPECT_EQ(Run({"SET", "k", std::string(1048576, 'x')}), "+OK");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048577\r\n"));
  const std::string expected = "-ERR Protocol error: invalid bulk length\r\n";
  ExpectBytes(raw.get(), expected);
  EXPECT_TRUE(raw->WaitClosed());
  const ReplyPtr value = client_->Command({"GET", "k"});
  ASSERT_EQ(value->type, REDIS_REPLY_STRING) << Describe(value).substr(0, 100);
  EXPECT_EQ(value->len, 1048576u);
}

// maxclients beyond what the process may open (the kernel's fs.nr_open caps every limit): the
// server lowers maxclients to what its descriptor limit leaves, with Redis's warning, and starts.
TEST(MaxClientsFdLimitTest, LoweredToTheDescriptorLimit) {
  ServerProcess server;
  if (server.IsRedis()) GTEST_SKIP() << "Shale's reserve of descriptors is its own";
  std::ifstream nr_open_file("/proc/sys/fs/nr_open");
  uint64_t nr_open = 0;
  if (!(nr_open_file >> nr_open) || nr_open < 1024) GTEST_SKIP() << "no /proc/sys/fs/nr_open";
  std::string error;
  ASSERT_TRUE(server.Start({"--maxclients", std::to_string(nr_open)}, &error)) << error;
  Client client;
  ASSERT_TRUE(client.Connect(server.port(), &error)) << error;
  ReplyPtr reply = client.Command({"CONFIG", "GET", "maxclients"});
  const std::vector<std::string> pair = ArrayStrings(reply.get());
  ASSERT_EQ(pair.size(), 2u) << Describe(reply);
  const uint64_t maxclients = std::stoull(pair[1]);
  EXPECT_LT(maxclients, nr_open);
  EXPECT_LE(maxclients + 128, nr_open);
  EXPECT_NE(server.ReadLog().find("maxclients has been reduced to " + pair[1]), std::string::npos)
      << server.ReadLog();
}

class MaxClientsTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--maxclients", "3"}; }
};

TEST_F(MaxClientsTest, ExtraClientIsRefused) {
  // client_ is the only connection once the harness's readiness probe is gone.
  ASSERT_TRUE(WaitForClientCount(1)) << "clients: " << Run({"CLIENT", "LIST"});
  auto second = Connect();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->Run({"PING"}), "+PONG");
  auto third = Connect();
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->Run({"PING"}), "+PONG");

  auto refused = ConnectRaw();
  ASSERT_NE(refused, nullptr);
  const std::string expected = "-ERR max number of clients reached\r\n";
  ExpectBytes(refused.get(), expected);
  EXPECT_TRUE(refused->WaitClosed());

  // Closing one frees a slot.
  third.reset();
  ASSERT_TRUE(WaitForClientCount(2));
  auto replacement = Connect();
  ASSERT_NE(replacement, nullptr);
  EXPECT_EQ(replacement->Run({"PING"}), "+PONG");
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

class IdleTimeoutTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--timeout", "1"}; }
};

TEST_F(IdleTimeoutTest, IdleClientIsClosed) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("PING\r\n"));
  ExpectBytes(raw.get(), "+PONG\r\n");
  uint64_t unexpected = 0;
  EXPECT_TRUE(raw->WaitClosed(seconds(15), &unexpected)) << "idle client not closed";
  EXPECT_EQ(unexpected, 0u);
}

TEST_F(ConnectionTest, QueryBufferLimitClosesClient) {
  EXPECT_EQ(Run({"CONFIG", "SET", "client-query-buffer-limit", "1048576"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "client-query-buffer-limit"}),
            "[\"client-query-buffer-limit\", \"1048576\"]");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  // A 4 MB argument, of which 3 MB are sent: the request cannot complete within the limit.
  ASSERT_TRUE(raw->Send("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$4194304\r\n"));
  const std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 48; ++i) {
    if (!raw->Send(chunk)) break;  // the server may close while we are still sending
  }
  EXPECT_TRUE(raw->WaitClosed(seconds(15))) << "client over the query buffer limit kept";
  EXPECT_EQ(Run({"EXISTS", "big"}), ":0");
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

TEST_F(ConnectionTest, OutputBufferLimitClosesClient) {
  EXPECT_EQ(Run({"CONFIG", "SET", "client-output-buffer-limit", "normal 262144 0 0"}), "+OK");
  const ReplyPtr limit = client_->Command({"CONFIG", "GET", "client-output-buffer-limit"});
  ASSERT_EQ(limit->type, REDIS_REPLY_ARRAY) << Describe(limit);
  ASSERT_EQ(limit->elements, 2u) << Describe(limit);
  EXPECT_EQ(ReplyString(limit->element[1]).rfind("normal 262144 0 0", 0), 0u) << Describe(limit);

  const std::string value(100 * 1024, 'v');
  EXPECT_EQ(Run({"SET", "big", value}), "+OK");
  ASSERT_TRUE(WaitForClientCount(1));
  // 500 GETs of 100 KB (about 50 MB of replies) from a client that reads nothing until the
  // server has dropped it.
  auto raw = ConnectRaw(/*receive_buffer=*/16 * 1024);
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("PING\r\n"));
  ASSERT_EQ(raw->Read(7), "+PONG\r\n");
  std::string requests;
  for (int i = 0; i < 500; ++i) requests += "GET big\r\n";
  ASSERT_TRUE(raw->Send(requests));
  EXPECT_TRUE(WaitForClientCount(1))
      << "client over the output limit kept: " << Run({"CLIENT", "LIST"});
  uint64_t received = 0;
  EXPECT_TRUE(raw->WaitClosed(seconds(30), &received)) << "connection left open";
  EXPECT_LT(received, 500u * value.size()) << "every reply was delivered";
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

}  // namespace
}  // namespace shale::integration
