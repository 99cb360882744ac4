// Redis's protected mode: while protected-mode is yes (the default) and no password is set, a
// client connecting from any address but 127.0.0.1 or ::1 gets -DENIED and is disconnected.
//
// "Another address" is reached two ways: a client socket bound to 127.0.0.2 before it connects
// (Redis counts only 127.0.0.1 itself as local), which every Linux machine has; and this
// machine's own non-loopback interface address (from getifaddrs), skipped when it has none.
// Both stay on this machine.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/integration/server_process.h"

namespace shale::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr std::string_view kDeniedPrefix =
    "-DENIED Shale is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from the "
    "loopback interface.";
constexpr std::string_view kDeniedEnd =
    "4) Setup a an authentication password for the default user. NOTE: You only need to do one "
    "of the above things in order for the server to start accepting connections from the "
    "outside.\r\n";

// A TCP client connected from `source` (an IPv4 address, or empty for the kernel's choice) to
// `destination`:port, with every read bounded by a deadline.
class Client {
 public:
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }

  bool Connect(const std::string& source, const std::string& destination, int port,
               std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return Fail("socket", error);
    if (!source.empty()) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1) {
        *error = "bad source address " + source;
        return false;
      }
      if (bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
        return Fail("bind to " + source, error);
      }
    }
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, destination.c_str(), &remote.sin_addr) != 1) {
      *error = "bad destination address " + destination;
      return false;
    }
    if (connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0) {
      return Fail("connect to " + destination, error);
    }
    return true;
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Sends a command (inline form) and reads one line of reply, "\r\n" included.
  std::string Command(std::string_view command) {
    Send(std::string(command) + "\r\n");
    return ReadLine();
  }

  // Reads one line, "\r\n" included. Sets *closed when the server closed the connection (after
  // what it sent) before a whole line came.
  std::string ReadLine(bool* closed = nullptr) {
    if (closed != nullptr) *closed = false;
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      const size_t end = buffer_.find("\r\n");
      if (end != std::string::npos) {
        std::string line = buffer_.substr(0, end + 2);
        buffer_.erase(0, end + 2);
        return line;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
      if (left.count() <= 0) return buffer_ + "(timed out)";
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        if (closed != nullptr) *closed = true;
        std::string line = buffer_ + "(closed)";
        buffer_.clear();
        return line;
      }
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // True when the server closes the connection (EOF or reset) within the deadline, after
  // sending nothing more than what is already buffered.
  bool WaitClosed() {
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char chunk[4096];
      ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) return true;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
    return false;
  }

 private:
  static bool Fail(const std::string& what, std::string* error) {
    *error = what + ": " + std::strerror(errno);
    return false;
  }

  int fd_ = -1;
  std::string buffer_;
};

// An IPv4 address of an interface of this machine that is up and not loopback, if any.
std::optional<std::string> NonLoopbackLocalAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<std::string> found;
  for (ifaddrs* entry = list; entry != nullptr && !found; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
    if ((entry->ifa_flags & IFF_UP) == 0 || (entry->ifa_flags & IFF_LOOPBACK) != 0) continue;
    const auto* in = reinterpret_cast<const sockaddr_in*>(entry->ifa_addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) == 127) continue;
    char text[INET_ADDRSTRLEN] = {0};
    if (inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text)) != nullptr) found = text;
  }
  freeifaddrs(list);
  return found;
}

class ProtectedModeTest : public ::testing::Test {
 protected:
  // Starts the server listening on every IPv4 address, with `extra` after that.
  void StartServer(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--bind", "0.0.0.0"};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!server_.IsRedis()) args.insert(args.end(), {"--shards", "1"});
    std::string error;
    ASSERT_TRUE(server_.Start(args, &error)) << error;
  }

  // The server answers a refused client as soon as it connects, before any command (so the
  // test sends none: input the server never reads could turn its close into a reset that
  // discards the answer before it is read).
  void ExpectDenied(Client& client) {
    bool closed = false;
    const std::string reply = client.ReadLine(&closed);
    if (server_.IsRedis()) {
      EXPECT_EQ(reply.rfind("-DENIED Redis is running in protected mode", 0), 0u) << reply;
    } else {
      EXPECT_EQ(reply.rfind(kDeniedPrefix, 0), 0u) << reply;
      ASSERT_GE(reply.size(), kDeniedEnd.size()) << reply;
      EXPECT_EQ(reply.substr(reply.size() - kDeniedEnd.size()), kDeniedEnd) << reply;
    }
    EXPECT_TRUE(closed || client.WaitClosed()) << "the connection stayed open";
  }

  void TearDown() override {
    if (HasFailure()) std::cerr << "server log:\n" << server_.ReadLog() << "\n";
  }

  ServerProcess server_;
};

TEST_F(ProtectedModeTest, DefaultIsOn) {
  StartServer();
  Client client;
  std::string error;
  ASSERT_TRUE(client.Connect("", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(client.Command("CONFIG GET protected-mode"), "*2\r\n");
  EXPECT_EQ(client.ReadLine(), "$14\r\n");
  EXPECT_EQ(client.ReadLine(), "protected-mode\r\n");
  EXPECT_EQ(client.ReadLine(), "$3\r\n");
  EXPECT_EQ(client.ReadLine(), "yes\r\n");
}

TEST_F(ProtectedModeTest, DeniesAnotherLoopbackAddressWithoutPassword) {
  StartServer();
  Client outsider;
  std::string error;
  ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
  ExpectDenied(outsider);

  // The server goes on serving local clients.
  Client local;
  ASSERT_TRUE(local.Connect("", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(local.Command("PING"), "+PONG\r\n");
}

TEST_F(ProtectedModeTest, AllowsLoopbackWithoutPassword) {
  StartServer();
  Client local;
  std::string error;
  ASSERT_TRUE(local.Connect("127.0.0.1", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(local.Command("PING"), "+PONG\r\n");
  EXPECT_EQ(local.Command("SET k v"), "+OK\r\n");
}

TEST_F(ProtectedModeTest, AllowsAnyAddressWithPassword) {
  StartServer({"--requirepass", "s3cret"});
  Client outsider;
  std::string error;
  ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(outsider.Command("PING").rfind("-NOAUTH", 0), 0u);
  EXPECT_EQ(outsider.Command("AUTH s3cret"), "+OK\r\n");
  EXPECT_EQ(outsider.Command("PING"), "+PONG\r\n");
}

TEST_F(ProtectedModeTest, AllowsAnyAddressWhenOff) {
  StartServer({"--protected-mode", "no"});
  Client outsider;
  std::string error;
  ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(outsider.Command("PING"), "+PONG\r\n");
}

TEST_F(ProtectedModeTest, ConfigSetAppliesToNewConnections) {
  StartServer();
  Client local;
  std::string error;
  ASSERT_TRUE(local.Connect("", "127.0.0.1", server_.port(), &error)) << error;
  EXPECT_EQ(local.Command("CONFIG SET protected-mode no"), "+OK\r\n");
  {
    Client outsider;
    ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
    EXPECT_EQ(outsider.Command("PING"), "+PONG\r\n");
  }
  EXPECT_EQ(local.Command("CONFIG SET protected-mode yes"), "+OK\r\n");
  {
    Client outsider;
    ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
    ExpectDenied(outsider);
  }
  // A password set at run time lifts it for the next connection.
  EXPECT_EQ(local.Command("CONFIG SET requirepass pw"), "+OK\r\n");
  {
    Client outsider;
    ASSERT_TRUE(outsider.Connect("127.0.0.2", "127.0.0.1", server_.port(), &error)) << error;
    EXPECT_EQ(outsider.Command("AUTH pw"), "+OK\r\n");
    EXPECT_EQ(outsider.Command("PING"), "+PONG\r\n");
  }
}

TEST_F(ProtectedModeTest, DeniesThisMachinesNonLoopbackAddress) {
  const std::optional<std::string> address = NonLoopbackLocalAddress();
  if (!address) GTEST_SKIP() << "this machine has no non-loopback IPv4 address (getifaddrs)";
  StartServer();
  std::string error;
  {
    Client outsider;
    ASSERT_TRUE(outsider.Connect("", *address, server_.port(), &error)) << error;
    ExpectDenied(outsider);
  }
  {
    Client local;
    ASSERT_TRUE(local.Connect("", "127.0.0.1", server_.port(), &error)) << error;
    EXPECT_EQ(local.Command("CONFIG SET requirepass pw"), "+OK\r\n");
  }
  Client outsider;
  ASSERT_TRUE(outsider.Connect("", *address, server_.port(), &error)) << error;
  EXPECT_EQ(outsider.Command("AUTH pw"), "+OK\r\n");
  EXPECT_EQ(outsider.Command("PING"), "+PONG\r\n");
}

}  // namespace
}  // namespace shale::integration
