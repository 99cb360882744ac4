// The server over a fault-injecting file system: a failed fsync or a full disk turns writes
// into -MISCONF replies while reads keep working, writes resume once the disk recovers, and no
// acknowledged write is lost across a simulated power loss. The server runs in-process on a
// thread; the test talks RESP to it over a loopback socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "server/config.h"
#include "server/keyspace/keyspace.h"
#include "server/server.h"
#include "storage/db.h"
#include "storage/fault_injection_fs.h"
#include "storage/file_system.h"
#include "tests/unit/keyspace_util.h"

namespace shale::server {
namespace {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

// A blocking RESP client good for one reply at a time (simple strings, errors, bulks).
class RespClient {
 public:
  explicit RespClient(int port) {
    // Connecting is retried until the server thread listens (bounded).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      fd_ = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) break;
      close(fd_);
      fd_ = -1;
      if (std::chrono::steady_clock::now() > deadline) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // A bound on a reply that never comes, not a latency expectation: a write parked behind a
    // paced compaction waits for merges that grow with the data written, which under a
    // sanitizer's slowdown on a loaded machine can take tens of seconds. ctest's per-test
    // timeout (300 s) stays the outer bound.
    timeval timeout{120, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~RespClient() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return fd_ >= 0; }

  // Sends a command and returns its reply as text: "+OK", "-ERR ...", "$value", "$nil", or
  // "closed" when the server closed the connection ("timed out" when no reply came within the
  // receive timeout). Of an array only the header ("*2") is
  // read; Read() returns its elements one by one.
  std::string Run(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (send(fd_, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
      return "closed";
    }
    return Read();
  }

  // Reads the next reply (or array header), as Run() shows it.
  std::string Read() {
    std::string line;
    if (!ReadLine(&line)) return timed_out_ ? "timed out" : "closed";
    if (line[0] != '$') return line;
    long len = std::strtol(line.c_str() + 1, nullptr, 10);
    if (len < 0) return "$nil";
    const size_t wanted = static_cast<size_t>(len) + 2;
    while (buffer_.size() < wanted) {
      if (!Fill()) return timed_out_ ? "timed out" : "closed";
    }
    std::string data = buffer_.substr(0, wanted);
    buffer_.erase(0, wanted);
    return "$" + data.substr(0, static_cast<size_t>(len));
  }

 private:
  bool Fill() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) timed_out_ = true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  bool ReadLine(std::string* line) {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    *line = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return true;
  }

  int fd_ = -1;
  bool timed_out_ = false;
  std::string buffer_;
};

class ServerFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/shale-server-fault-XXXXXX";
    ASSERT_NE(mkdtemp(templ), nullptr);
    dir_ = templ;
    fs_ = std::make_unique<storage::FaultInjectionFileSystem>(storage::DefaultFileSystem());
  }
  void TearDown() override {
    StopServer();
    std::filesystem::remove_all(dir_);
  }

  storage::Options DbOptions() {
    storage::Options options;
    options.dir = dir_;
    options.shards = 2;
    options.fsync = storage::FsyncPolicy::kAlways;
    options.fs = fs_.get();
    options.background_maintenance = false;  // the test drives retries itself
    options.wait_on_back_pressure = false;   // as shale-server runs it
    if (tweak_options_) tweak_options_(&options);
    return options;
  }

  void StartServer() {
    storage::Options options = DbOptions();
    keyspace::Keyspace::ConfigureEngine(&options);
    std::unique_ptr<storage::Db> db;
    ASSERT_TRUE(storage::Db::Open(options, &db).ok());
    Config config;
    config.port = port_ = FreeLoopbackPort();
    config.appendfsync = appendfsync_;
    config.dir = dir_;
    config.loglevel = LogLevel::kNothing;
    std::unique_ptr<keyspace::Keyspace> keyspace;
    ASSERT_TRUE(
        keyspace::Keyspace::Open(db.get(), static_cast<int>(config.databases), &keyspace).ok());
    server_ = std::make_unique<Server>(config, "", std::move(db), std::move(keyspace));
    thread_ = std::thread([this] { exit_code_ = server_->Run(); });
  }

  void StopServer() {
    if (!server_) return;
    {
      RespClient client(port_);
      if (client.connected()) client.Run({"SHUTDOWN"});
    }
    thread_.join();
    server_.reset();
  }

  // Reads `name` from INFO `section` on `client`; empty if absent.
  static std::string InfoValue(RespClient& client, const std::string& section,
                               const std::string& name) {
    const std::string info = client.Run({"INFO", section});
    const std::string needle = "\r\n" + name + ":";
    const size_t at = info.find(needle);
    if (at == std::string::npos) return "";
    const size_t start = at + needle.size();
    return info.substr(start, info.find("\r\n", start) - start);
  }

  std::function<void(storage::Options*)> tweak_options_;
  AppendFsync appendfsync_ = AppendFsync::kAlways;
  std::string dir_;
  std::unique_ptr<storage::FaultInjectionFileSystem> fs_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
  int exit_code_ = -1;
};

TEST_F(ServerFaultTest, FailedFsyncGivesMisconfAndLosesNothingAcknowledged) {
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"SET", "a", "1"}), "+OK");

  // The fsync of the next commit fails (and every later one until the disk "recovers").
  fs_->FailNthSync(1, /*sticky=*/true);
  std::string reply = client.Run({"SET", "b", "2"});
  EXPECT_EQ(reply.rfind("-MISCONF Errors writing to the WAL: ", 0), 0u) << reply;
  // The client cannot know what else of its pipeline applied: the connection is closed.
  EXPECT_EQ(client.Run({"PING"}), "closed");

  RespClient second(port_);
  ASSERT_TRUE(second.connected());
  EXPECT_EQ(second.Run({"GET", "a"}), "$1");  // reads keep working
  reply = second.Run({"SET", "c", "3"});
  EXPECT_EQ(reply.rfind("-MISCONF Errors writing to the WAL: ", 0), 0u) << reply;
  reply = second.Run({"INFO", "persistence"});
  EXPECT_NE(reply.find("aof_last_write_status:err"), std::string::npos) << reply;
  EXPECT_NE(reply.find("wal_write_failed:1"), std::string::npos) << reply;

  // The disk recovers; the retry rewrites what was not durable and writes resume.
  fs_->ClearFaults();
  ASSERT_TRUE(server_->db().RetryFailedWrites().ok());
  EXPECT_EQ(second.Run({"SET", "c", "3"}), "+OK");
  EXPECT_EQ(second.Run({"GET", "c"}), "$3");
  reply = second.Run({"INFO", "persistence"});
  EXPECT_NE(reply.find("aof_last_write_status:ok"), std::string::npos) << reply;

  StopServer();
  EXPECT_EQ(exit_code_, 0);
  // Power loss after the stop: everything acknowledged is there.
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  test_util::KeyspaceDb reopened(DbOptions());
  reopened.Reopen();
  EXPECT_EQ(reopened.GetOr(0, "a"), "1");
  EXPECT_EQ(reopened.GetOr(0, "c"), "3");
}

TEST_F(ServerFaultTest, FullDiskGivesMisconfUntilSpaceReturns) {
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"MSET", "k1", "v1", "k2", "v2"}), "+OK");

  fs_->SetDiskFull(true);
  std::string reply = client.Run({"SET", "k3", "v3"});
  EXPECT_EQ(reply.rfind("-MISCONF Errors writing to the WAL: ", 0), 0u) << reply;

  RespClient second(port_);
  ASSERT_TRUE(second.connected());
  EXPECT_EQ(second.Run({"GET", "k2"}), "$v2");
  reply = second.Run({"DEL", "k1"});
  EXPECT_EQ(reply.rfind("-MISCONF", 0), 0u) << reply;
  EXPECT_EQ(second.Run({"GET", "k1"}), "$v1");  // the refused DEL changed nothing

  fs_->SetDiskFull(false);
  ASSERT_TRUE(server_->db().RetryFailedWrites().ok());
  EXPECT_EQ(second.Run({"DEL", "k1"}), ":1");
  EXPECT_EQ(second.Run({"SET", "k4", "v4"}), "+OK");

  StopServer();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  test_util::KeyspaceDb reopened(DbOptions());
  reopened.Reopen();
  EXPECT_EQ(reopened.GetOr(0, "k1"), "<missing>");
  EXPECT_EQ(reopened.GetOr(0, "k2"), "v2");
  EXPECT_EQ(reopened.GetOr(0, "k4"), "v4");
  // The refused SET of k3 may have been applied (its reply could not confirm it): the count
  // agrees with the keys either way.
  uint64_t present = 0;
  for (const char* key : {"k1", "k2", "k3", "k4"}) present += reopened.GetOr(0, key) != "<missing>";
  EXPECT_EQ(reopened.ks().KeyCount(0), present);
}

// SAVE on a full disk is an error, counts no save and leaves the change counter as it was; once
// space returns it succeeds and the data is durable without its log.
TEST_F(ServerFaultTest, SaveOnAFullDiskIsAnError) {
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"MSET", "k1", "v1", "k2", "v2"}), "+OK");
  fs_->SetDiskFull(true);
  const std::string reply = client.Run({"SAVE"});
  EXPECT_EQ(reply.rfind("-", 0), 0u) << reply;
  EXPECT_EQ(server_->stats().saves, 0u);
  EXPECT_EQ(server_->stats().dirty, 2u);
  EXPECT_EQ(client.Run({"GET", "k1"}), "$v1");
  fs_->SetDiskFull(false);
  ASSERT_TRUE(server_->db().RetryFailedWrites().ok());
  EXPECT_EQ(client.Run({"SAVE"}), "+OK");
  EXPECT_EQ(server_->stats().saves, 1u);
  EXPECT_EQ(server_->stats().dirty, 0u);
  StopServer();
  ASSERT_TRUE(fs_->DropUnsyncedData().ok());
  test_util::KeyspaceDb reopened(DbOptions());
  reopened.Reopen();
  EXPECT_EQ(reopened.GetOr(0, "k1"), "v1");
  EXPECT_EQ(reopened.GetOr(0, "k2"), "v2");
}

// Each bitmap command's write (a read-modify-write, BITOP's put and its delete) meeting a full
// disk answers -MISCONF.
TEST_F(ServerFaultTest, BitWritesGiveMisconfOnAFullDisk) {
  StartServer();
  {
    RespClient setup(port_);
    ASSERT_TRUE(setup.connected());
    ASSERT_EQ(setup.Run({"MSET", "src", "ab", "old", "x"}), "+OK");
  }
  const std::vector<std::vector<std::string>> commands = {
      {"SETBIT", "k", "7", "1"},
      {"BITFIELD", "f", "SET", "u8", "0", "1"},
      {"BITOP", "OR", "dest", "src"},
      {"BITOP", "AND", "old", "absent"},
  };
  for (const std::vector<std::string>& command : commands) {
    fs_->SetDiskFull(true);
    RespClient client(port_);
    ASSERT_TRUE(client.connected());
    const std::string reply = client.Run(command);
    EXPECT_EQ(reply.rfind("-MISCONF Errors writing to the WAL: ", 0), 0u) << command[0] << reply;
    fs_->SetDiskFull(false);
    ASSERT_TRUE(server_->db().RetryFailedWrites().ok());
  }
  StopServer();
}

// A write stopped by back-pressure parks only its own connection: the event loop goes on
// serving reads, PING and INFO from others (INFO shows the stalled client) and the write runs
// once the worker has merged the tables.
TEST_F(ServerFaultTest, StalledWriteParksOnlyItsConnection) {
  tweak_options_ = [](storage::Options* options) {
    options->shards = 1;
    options->memtable_size = 64 << 10;
    options->compaction.slowdown_tables = 0;
    options->compaction.stop_tables = 2;
    // Two 64 KB tables merge in about two seconds: a stall long enough to look at.
    options->compaction.throughput_bytes_per_sec = 64 << 10;
  };
  StartServer();
  RespClient reader(port_);
  ASSERT_TRUE(reader.connected());
  ASSERT_EQ(reader.Run({"SET", "before", "1"}), "+OK");

  // The writer goes on until the test has seen it stalled: 40 KB values outrun a compaction
  // paced at 64 KB/s, so the shard reaches stop_tables however fast its flushes are.
  const std::string value(40 << 10, 'v');
  std::vector<std::string> replies;
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] {
    RespClient client(port_);
    for (int i = 0; !stop_writing && i < 10000; ++i) {
      replies.push_back(client.Run({"SET", "k" + std::to_string(i), value}));
      if (replies.back() != "+OK") break;
    }
  });
  // Every INFO answered while the writer is parked shows the loop serving others.
  bool saw_stall = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!saw_stall && std::chrono::steady_clock::now() < deadline) {
    saw_stall = InfoValue(reader, "storage", "write_stalled_clients") == "1";
    if (!saw_stall) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(saw_stall) << "no write was ever stalled";
  if (saw_stall) {
    EXPECT_EQ(reader.Run({"GET", "before"}), "$1");
    EXPECT_EQ(reader.Run({"PING"}), "+PONG");
  }
  stop_writing = true;
  writer.join();
  ASSERT_FALSE(replies.empty());
  for (const std::string& reply : replies) EXPECT_EQ(reply, "+OK");
  EXPECT_EQ(InfoValue(reader, "storage", "write_stalled_clients"), "0");
  EXPECT_NE(InfoValue(reader, "storage", "stall_stops"), "0");
  EXPECT_EQ(reader.Run({"GET", "before"}), "$1");
}

// A stall whose flushes keep failing ends with an error reply instead of waiting forever, and
// reads go on; once the disk recovers, writes resume.
TEST_F(ServerFaultTest, StallWithFailingFlushesEndsWithAnError) {
  tweak_options_ = [](storage::Options* options) {
    options->shards = 1;
    options->fsync = storage::FsyncPolicy::kNo;  // only flushes fsync, so only they fail
    options->memtable_size = 64 << 10;
    options->compaction.stop_immutable_memtables = 2;
  };
  appendfsync_ = AppendFsync::kNo;
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"SET", "before", "1"}), "+OK");
  fs_->FailNthSync(1, /*sticky=*/true);

  const std::string value(40 << 10, 'v');
  std::string reply;
  int writes = 0;
  for (; writes < 20; ++writes) {
    reply = client.Run({"SET", "k" + std::to_string(writes), value});
    if (reply != "+OK") break;
  }
  EXPECT_EQ(reply.rfind("-MISCONF Errors writing tables to disk: ", 0), 0u) << reply;
  RespClient reader(port_);
  ASSERT_TRUE(reader.connected());
  EXPECT_EQ(reader.Run({"GET", "before"}), "$1");
  EXPECT_EQ(reader.Run({"GET", "k0"}), "$" + value);

  fs_->ClearFaults();  // the worker's next retry (every second) flushes
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    reply = reader.Run({"SET", "after", "2"});
  } while (reply != "+OK" && std::chrono::steady_clock::now() < deadline &&
           (std::this_thread::sleep_for(std::chrono::milliseconds(20)), true));
  EXPECT_EQ(reply, "+OK");
  EXPECT_EQ(reader.Run({"GET", "after"}), "$2");
}

// While writes fail, an EXEC with a queued write is refused as a whole (Redis answers
// -EXECABORT with the reason) and a write queued then dooms its transaction; an EXEC of reads
// still runs.
TEST_F(ServerFaultTest, ExecWithWritesIsRefusedWhileWritesFail) {
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"SET", "y", "old"}), "+OK");
  ASSERT_EQ(client.Run({"MULTI"}), "+OK");
  ASSERT_EQ(client.Run({"SET", "x", "1"}), "+QUEUED");
  ASSERT_EQ(client.Run({"GET", "y"}), "+QUEUED");

  fs_->FailNthSync(1, /*sticky=*/true);
  {
    RespClient failing(port_);
    ASSERT_TRUE(failing.connected());
    const std::string reply = failing.Run({"SET", "b", "2"});
    ASSERT_EQ(reply.rfind("-MISCONF", 0), 0u) << reply;
  }
  std::string reply = client.Run({"EXEC"});
  EXPECT_EQ(reply.rfind("-EXECABORT Transaction discarded because of: MISCONF Errors writing to "
                        "the WAL: ",
                        0),
            0u)
      << reply;
  EXPECT_EQ(client.Run({"GET", "x"}), "$nil");

  ASSERT_EQ(client.Run({"MULTI"}), "+OK");
  reply = client.Run({"SET", "x", "1"});
  EXPECT_EQ(reply.rfind("-MISCONF Errors writing to the WAL: ", 0), 0u) << reply;
  EXPECT_EQ(client.Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.");

  ASSERT_EQ(client.Run({"MULTI"}), "+OK");
  ASSERT_EQ(client.Run({"GET", "y"}), "+QUEUED");
  EXPECT_EQ(client.Run({"EXEC"}), "*1");
  EXPECT_EQ(client.Read(), "$old");

  fs_->ClearFaults();
  ASSERT_TRUE(server_->db().RetryFailedWrites().ok());
  ASSERT_EQ(client.Run({"MULTI"}), "+OK");
  ASSERT_EQ(client.Run({"SET", "x", "1"}), "+QUEUED");
  EXPECT_EQ(client.Run({"EXEC"}), "*1");
  EXPECT_EQ(client.Read(), "+OK");
  EXPECT_EQ(client.Run({"GET", "x"}), "$1");
}

// An EXEC whose writes meet a stall that cannot end (the flushes keep failing) is refused
// before any of them runs.
TEST_F(ServerFaultTest, ExecMeetingAStallThatCannotEndRunsNothing) {
  tweak_options_ = [](storage::Options* options) {
    options->shards = 1;
    options->fsync = storage::FsyncPolicy::kNo;  // only flushes fsync, so only they fail
    options->memtable_size = 64 << 10;
    options->compaction.stop_immutable_memtables = 2;
  };
  appendfsync_ = AppendFsync::kNo;
  StartServer();
  RespClient client(port_);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.Run({"SET", "before", "1"}), "+OK");
  fs_->FailNthSync(1, /*sticky=*/true);
  const std::string value(40 << 10, 'v');
  std::string reply;
  for (int writes = 0; writes < 20; ++writes) {
    reply = client.Run({"SET", "k" + std::to_string(writes), value});
    if (reply != "+OK") break;
  }
  ASSERT_EQ(reply.rfind("-MISCONF Errors writing tables to disk: ", 0), 0u) << reply;

  ASSERT_EQ(client.Run({"MULTI"}), "+OK");
  ASSERT_EQ(client.Run({"SET", "a", "1"}), "+QUEUED");
  ASSERT_EQ(client.Run({"SET", "b", "2"}), "+QUEUED");
  reply = client.Run({"EXEC"});
  EXPECT_EQ(
      reply.rfind("-EXECABORT Transaction discarded because of: MISCONF Errors writing tables to "
                  "disk: ",
                  0),
      0u)
      << reply;
  EXPECT_EQ(client.Run({"GET", "a"}), "$nil");
  EXPECT_EQ(client.Run({"GET", "b"}), "$nil");
  EXPECT_EQ(client.Run({"EXEC"}), "-ERR EXEC without MULTI");
  fs_->ClearFaults();  // so that SHUTDOWN can sync
}

// An EXEC whose writes meet back-pressure parks as a whole, before running any of them, and
// runs whole once the shard has room: every transaction of the writer applies all its writes.
TEST_F(ServerFaultTest, StalledExecParksAndRunsWhole) {
  tweak_options_ = [](storage::Options* options) {
    options->shards = 1;
    options->memtable_size = 64 << 10;
    options->compaction.slowdown_tables = 0;
    options->compaction.stop_tables = 2;
    options->compaction.throughput_bytes_per_sec = 64 << 10;
  };
  StartServer();
  RespClient reader(port_);
  ASSERT_TRUE(reader.connected());

  const std::string value(20 << 10, 'v');
  std::vector<std::string> failures;
  std::atomic<int> transactions{0};
  std::atomic<bool> stop_writing{false};
  std::thread writer([&] {
    RespClient client(port_);
    for (int i = 0; !stop_writing && i < 10000 && failures.empty(); ++i) {
      const std::string n = std::to_string(i);
      std::vector<std::string> replies = {
          client.Run({"MULTI"}), client.Run({"SET", "a" + n, value}),
          client.Run({"SET", "b" + n, value}), client.Run({"EXEC"})};
      if (replies[3] == "*2") {
        replies.push_back(client.Read());
        replies.push_back(client.Read());
      }
      const std::vector<std::string> expected = {"+OK", "+QUEUED", "+QUEUED", "*2", "+OK", "+OK"};
      if (replies != expected) failures.push_back("transaction " + n + ": " + replies.back());
      transactions = i + 1;
    }
  });
  bool saw_stall = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  // Until an EXEC has waited through a stop (not only a slowdown, which an immutable memtable
  // waiting for its flush also causes) and run.
  while (!saw_stall && std::chrono::steady_clock::now() < deadline) {
    saw_stall = InfoValue(reader, "storage", "stall_stops") != "0";
    if (!saw_stall) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(saw_stall) << "no EXEC was ever stopped";
  stop_writing = true;
  writer.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  ASSERT_GT(transactions.load(), 0);
  for (int i = 0; i < transactions; ++i) {
    const std::string n = std::to_string(i);
    EXPECT_EQ(reader.Run({"EXISTS", "a" + n}), ":1") << n;
    EXPECT_EQ(reader.Run({"EXISTS", "b" + n}), ":1") << n;
  }
  EXPECT_NE(InfoValue(reader, "storage", "stall_stops"), "0");
}

}  // namespace
}  // namespace shale::server
