// Load: deep pipelines (replies in order) and many concurrent clients, each verifying its own
// writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class LoadTest : public ServerFixture {};

TEST_F(LoadTest, TenThousandPipelinedCommands) {
  // SET key:i, GET of the key set just before, ECHO i, and a GET of a missing key, repeated.
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> expected;
  for (int i = 0; i < 2500; ++i) {
    const std::string n = std::to_string(i);
    commands.push_back({"SET", "key:" + n, "value:" + n});
    expected.push_back("+OK");
    commands.push_back({"GET", "key:" + n});
    expected.push_back("\"value:" + n + "\"");
    commands.push_back({"ECHO", n});
    expected.push_back("\"" + n + "\"");
    commands.push_back({"GET", "missing:" + n});
    expected.push_back("(nil)");
  }
  ASSERT_EQ(commands.size(), 10000u);
  const std::vector<ReplyPtr> replies = client_->Pipeline(commands);
  ASSERT_EQ(replies.size(), commands.size()) << client_->error();
  size_t wrong = 0;
  for (size_t i = 0; i < replies.size(); ++i) {
    const std::string got = Describe(replies[i]);
    if (got != expected[i] && ++wrong <= 10) {
      ADD_FAILURE() << "reply " << i << ": expected " << expected[i] << ", got " << got;
    }
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(Run({"DBSIZE"}), ":2500");
}

TEST_F(LoadTest, PipelineInOneWrite) {
  // 10,000 requests written with a single send(), half multibulk and half inline.
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  std::string requests;
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    const std::string n = std::to_string(i);
    const std::string key = "p" + n;
    requests.append("*3\r\n$3\r\nSET\r\n$")
        .append(std::to_string(key.size()))
        .append("\r\n")
        .append(key)
        .append("\r\n$")
        .append(std::to_string(n.size()))
        .append("\r\n")
        .append(n)
        .append("\r\n");
    requests.append("GET ").append(key).append("\r\n");
    expected.append("+OK\r\n$")
        .append(std::to_string(n.size()))
        .append("\r\n")
        .append(n)
        .append("\r\n");
  }
  ASSERT_TRUE(raw->Send(requests));
  const std::string got = raw->Read(expected.size(), std::chrono::seconds(60));
  ASSERT_EQ(got.size(), expected.size()) << "short read";
  EXPECT_TRUE(got == expected)
      << "replies differ at byte "
      << std::distance(got.begin(), std::mismatch(got.begin(), got.end(), expected.begin()).first);
}

TEST_F(LoadTest, TwoHundredConcurrentClients) {
  constexpr int kClients = 200;
  constexpr int kKeysPerClient = 150;
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.push_back(Connect());
    ASSERT_NE(clients.back(), nullptr) << "client " << c;
  }
  // All connections are open at the same time.
  ASSERT_TRUE(WaitForClientCount(kClients + 1)) << ClientListLines().size() << " clients";

  std::vector<std::string> errors(kClients);
  std::vector<int> verified(kClients, 0);
  std::latch start(kClients);
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      Client* client = clients[c].get();
      start.arrive_and_wait();
      const std::string prefix = "c" + std::to_string(c) + ":";
      for (int i = 0; i < kKeysPerClient && errors[c].empty(); ++i) {
        const std::string key = prefix + std::to_string(i);
        const std::string value = "value-" + std::to_string(c * 100000 + i);
        std::string got = client->Run({"SET", key, value});
        if (got != "+OK") {
          errors[c] = "SET " + key;
          errors[c] += " answered " + got;
          break;
        }
        got = client->Run({"GET", key});
        if (got != "\"" + value + "\"") {
          errors[c] = "GET " + key;
          errors[c] += " answered " + got;
          errors[c] += ", expected " + value;
          break;
        }
        ++verified[c];
      }
      if (!errors[c].empty()) return;
      // Everything this client wrote, read back in one MGET.
      std::vector<std::string> mget = {"MGET"};
      for (int i = 0; i < kKeysPerClient; ++i) mget.push_back(prefix + std::to_string(i));
      const ReplyPtr reply = client->Command(mget);
      const std::vector<std::string> values = ArrayStrings(reply.get());
      if (values.size() != static_cast<size_t>(kKeysPerClient)) {
        errors[c] = "MGET answered " + Describe(reply).substr(0, 200);
        return;
      }
      for (int i = 0; i < kKeysPerClient; ++i) {
        if (values[i] != "value-" + std::to_string(c * 100000 + i)) {
          errors[c] = "MGET: " + prefix + std::to_string(i) + " = " + values[i];
          return;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  int total = 0;
  for (int c = 0; c < kClients; ++c) {
    EXPECT_TRUE(errors[c].empty()) << "client " << c << ": " << errors[c];
    total += verified[c];
  }
  EXPECT_EQ(total, kClients * kKeysPerClient);
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kClients * kKeysPerClient));
}

}  // namespace
}  // namespace shale::integration
