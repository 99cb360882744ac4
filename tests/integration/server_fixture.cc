#include "tests/integration/server_fixture.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

namespace shale::integration {

void ServerFixture::SetUp() {
  std::vector<std::string> args = ServerArgs();
  if (!server_.IsRedis()) {
    std::vector<std::string> shale_args = ShaleArgs();
    args.insert(args.end(), shale_args.begin(), shale_args.end());
  }
  std::string error;
  ASSERT_TRUE(server_.Start(args, &error)) << "cannot start " << server_.binary() << ": " << error;
  client_ = Connect();
  ASSERT_NE(client_, nullptr);
}

void ServerFixture::TearDown() {
  if (HasFailure()) {
    std::cerr << "--- log of " << server_.binary() << " (port " << server_.port() << ") ---\n"
              << server_.ReadLog() << "\n--- end of server log ---\n";
  }
}

std::unique_ptr<Client> ServerFixture::Connect(bool authenticate) {
  auto client = std::make_unique<Client>();
  std::string error;
  if (!client->Connect(server_.port(), &error)) {
    ADD_FAILURE() << "cannot connect to port " << server_.port() << ": " << error;
    return nullptr;
  }
  if (authenticate && !server_.password().empty()) {
    const std::string reply = client->Run({"AUTH", server_.password()});
    if (reply != "+OK") {
      ADD_FAILURE() << "AUTH answered " << reply;
      return nullptr;
    }
  }
  return client;
}

std::unique_ptr<RawConnection> ServerFixture::ConnectRaw(int receive_buffer) {
  auto connection = std::make_unique<RawConnection>();
  std::string error;
  if (!connection->Connect(server_.port(), &error, receive_buffer)) {
    ADD_FAILURE() << "cannot connect to port " << server_.port() << ": " << error;
    return nullptr;
  }
  return connection;
}

std::vector<std::string> ServerFixture::ClientListLines() {
  const std::string list = ReplyString(client_->Command({"CLIENT", "LIST"}).get());
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find('\n', start);
    if (end == std::string::npos) end = list.size();
    if (end > start) lines.push_back(list.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool ServerFixture::WaitForClientCount(size_t count) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  auto backoff = std::chrono::milliseconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (ClientListLines().size() == count) return true;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(100));
  }
  return false;
}

void ServerFixture::RestartAndReconnect() {
  client_.reset();
  std::string error;
  ASSERT_TRUE(server_.Restart(&error)) << error;
  client_ = Connect();
  ASSERT_NE(client_, nullptr);
}

int ServerFixture::StopAndDamageEveryTable() {
  EXPECT_TRUE(WaitUntil(
      [&] {
        return InfoField(client_.get(), "storage", "immutable_memtables") == "0" &&
               InfoField(client_.get(), "storage", "tables") != "0";
      },
      std::chrono::seconds(60)));
  std::string error;
  if (!server_.Stop(&error)) {
    ADD_FAILURE() << error;
    return 0;
  }
  int damaged = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(server_.dir())) {
    if (entry.path().extension() != ".sst") continue;
    std::fstream file(entry.path(), std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(300);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x5a);
    file.seekp(300);
    file.write(&byte, 1);
    ++damaged;
  }
  return damaged;
}

}  // namespace shale::integration
