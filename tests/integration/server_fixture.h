// The base fixture of the integration tests: each test gets its own server process (own port,
// own data directory) and one connected client. Tests in different processes can therefore
// run in parallel. On failure the server's log is printed.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/redis_client.h"
#include "tests/integration/server_process.h"

namespace shale::integration {

// Polls `done` every 20 ms until it holds or `limit` passes; true if it held. For conditions
// the server reaches asynchronously (a background flush, a connection released), never as a
// stand-in for a reply the test could wait for.
template <typename Condition>
bool WaitUntil(Condition done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

class ServerFixture : public ::testing::Test {
 protected:
  // Arguments for every server under test (`--name value` words).
  virtual std::vector<std::string> ServerArgs() const { return {}; }
  // Arguments added only when the server is Shale (Redis does not know them). By default two
  // shards, so that keys of one test spread over more than one shard whatever the core count.
  virtual std::vector<std::string> ShaleArgs() const { return {"--shards", "2"}; }

  void SetUp() override;
  void TearDown() override;

  bool IsRedis() const { return server_.IsRedis(); }

  // A new connection; authenticated with the server's password when it has one and
  // `authenticate` is set. Records a test failure and returns nullptr when it cannot connect.
  std::unique_ptr<Client> Connect(bool authenticate = true);
  // A raw connection; records a failure and returns nullptr when it cannot connect.
  std::unique_ptr<RawConnection> ConnectRaw(int receive_buffer = 0);

  // Runs a command on client_ and returns Describe() of the reply.
  std::string Run(const std::vector<std::string>& args) { return client_->Run(args); }

  // The lines of CLIENT LIST on client_ (one per connected client).
  std::vector<std::string> ClientListLines();
  // Waits (bounded, 10 s) until the server lists `count` clients. Connections a test or the
  // harness closed are released by the server asynchronously; this waits for that event.
  bool WaitForClientCount(size_t count);

  // Restarts the stopped or killed server and reconnects client_.
  void RestartAndReconnect();

  // Waits until the server has flushed everything to tables, stops it, and flips one byte (at
  // offset 300) of every table file: a damaged table for read-error tests. Returns how many
  // tables it damaged (0 after a failure it records).
  int StopAndDamageEveryTable();

  ServerProcess server_;
  std::unique_ptr<Client> client_;
};

}  // namespace shale::integration
