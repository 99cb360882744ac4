#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/redis_client.h"

#ifndef SHALE_SERVER_BINARY
#error "SHALE_SERVER_BINARY must name the shale-server binary"
#endif

namespace shale::integration {
namespace {

constexpr int kStartAttempts = 5;

std::string Quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t'\"\\") == std::string::npos) return word;
  return "'" + word + "'";
}

std::string CanonicalPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path canonical = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

// Sleeps for `*backoff` and doubles it up to `limit`: the pause between polls for an event
// that cannot be waited on directly (a port starting to accept, a process exiting).
void Backoff(std::chrono::milliseconds* backoff, std::chrono::milliseconds limit) {
  std::this_thread::sleep_for(*backoff);
  *backoff = std::min(*backoff * 2, limit);
}

}  // namespace

uint64_t ProcessMemoryBytes(pid_t pid, const char* field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  const std::string prefix = std::string(field) + ":";
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(prefix, 0) == 0) {
      return std::strtoull(line.c_str() + prefix.size(), nullptr, 10) * 1024;
    }
  }
  return 0;
}

int PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int port = 0;
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string ServerProcess::DefaultBinary() {
  const char* from_env = std::getenv("SHALE_TEST_SERVER");
  if (from_env != nullptr && from_env[0] != '\0') return from_env;
  return SHALE_SERVER_BINARY;
}

ServerProcess::ServerProcess(std::string binary) : binary_(std::move(binary)) {
  is_redis_ =
      std::filesystem::path(binary_).filename().string().find("redis-server") != std::string::npos;
}

ServerProcess::~ServerProcess() {
  Kill();
  if (root_dir_.empty()) return;
  if (std::getenv("SHALE_TEST_KEEP_DATA") != nullptr) {
    std::fprintf(stderr, "keeping server directory %s\n", root_dir_.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(root_dir_, ec);
}

bool ServerProcess::Start(const std::vector<std::string>& extra_args, std::string* error) {
  if (running()) {
    *error = "server already running";
    return false;
  }
  if (root_dir_.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "shale-it-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      *error = std::string("mkdtemp: ") + std::strerror(errno);
      return false;
    }
    root_dir_ = pattern;
    dir_ = root_dir_ + "/data";
    log_path_ = root_dir_ + "/server.log";
    if (mkdir(dir_.c_str(), 0700) != 0) {
      *error = std::string("mkdir: ") + std::strerror(errno);
      return false;
    }
  }
  extra_args_ = extra_args;
  password_.clear();
  for (size_t i = 0; i + 1 < extra_args_.size(); ++i) {
    if (extra_args_[i] == "--requirepass") password_ = extra_args_[i + 1];
  }
  std::string last_error;
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    port_ = PickFreePort();
    if (port_ == 0) {
      *error = "cannot find a free port";
      return false;
    }
    if (!Launch(error)) return false;
    bool exited = false;
    if (WaitReady(&last_error, &exited)) return true;
    if (!exited) {
      Kill();
      *error = last_error + "\n--- server log ---\n" + ReadLog();
      return false;
    }
    // Exited before becoming ready: most likely the port was taken meanwhile. Retry.
  }
  *error = "server did not start after " + std::to_string(kStartAttempts) +
           " attempts: " + last_error + "\n--- server log ---\n" + ReadLog();
  return false;
}

bool ServerProcess::Restart(std::string* error) {
  if (running()) {
    *error = "server still running";
    return false;
  }
  if (!Launch(error)) return false;
  bool exited = false;
  if (WaitReady(error, &exited)) return true;
  Kill();
  *error += "\n--- server log ---\n" + ReadLog();
  return false;
}

bool ServerProcess::Launch(std::string* error) {
  std::vector<std::string> args = {binary_, "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--dir", dir_};
  if (port_option_ != "--port") {  // no plain port; the picked one under port_option_
    args = {binary_,  "--port",    "0",     port_option_, std::to_string(port_),
            "--bind", "127.0.0.1", "--dir", dir_};
  }
  if (is_redis_) {
    args.insert(args.end(), {"--save", "", "--appendonly", "yes"});
  }
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());

  std::string command_line;
  for (const std::string& arg : args) {
    if (!command_line.empty()) command_line += ' ';
    command_line += Quote(arg);
  }
  {
    std::ofstream log(log_path_, std::ios::app);
    log << "=== starting: " << command_line << "\n";
  }

  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    *error = std::string("open log: ") + std::strerror(errno);
    return false;
  }
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = getpid();
  const pid_t child = fork();
  if (child < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    close(log_fd);
    if (null_fd >= 0) close(null_fd);
    return false;
  }
  if (child == 0) {
    // Only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execv(argv[0], argv.data());
    const char message[] = "exec of the server binary failed\n";
    ssize_t ignored = write(STDERR_FILENO, message, sizeof(message) - 1);
    (void)ignored;
    _exit(127);
  }
  close(log_fd);
  if (null_fd >= 0) close(null_fd);
  pid_ = child;
  return true;
}

bool ServerProcess::WaitReady(std::string* error, bool* exited) {
  *exited = false;
  const auto deadline = std::chrono::steady_clock::now() + ready_timeout_;
  const std::string our_dir = CanonicalPath(dir_);
  auto backoff = std::chrono::milliseconds(2);
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (ReapIfExited(&status)) {
      *exited = true;
      *error = "server exited before it was ready (status " + std::to_string(status) + ")";
      return false;
    }
    if (ready_probe_) {
      if (ready_probe_(port_, &last)) return true;
      Backoff(&backoff, std::chrono::milliseconds(100));
      continue;
    }
    Client client;
    if (!client.Connect(port_, &last, std::chrono::milliseconds(1000))) {
      Backoff(&backoff, std::chrono::milliseconds(100));
      continue;
    }
    if (!password_.empty()) client.Command({"AUTH", password_});
    ReplyPtr pong = client.Command({"PING"});
    if (pong == nullptr || pong->type != REDIS_REPLY_STATUS || ReplyString(pong.get()) != "PONG") {
      // -LOADING while a dataset is being loaded, or the connection went away.
      last = "PING answered " + Describe(pong);
      Backoff(&backoff, std::chrono::milliseconds(100));
      continue;
    }
    // Another server may have taken the port between PickFreePort() and our bind: make sure
    // the one answering uses our directory (when it can tell).
    ReplyPtr dir = client.Command({"CONFIG", "GET", "dir"});
    if (dir != nullptr && dir->type == REDIS_REPLY_ARRAY && dir->elements == 2 &&
        CanonicalPath(ReplyString(dir->element[1])) != our_dir) {
      Kill();
      *exited = true;
      *error = "another server answers on port " + std::to_string(port_);
      return false;
    }
    if (!running()) {
      *exited = true;
      *error = "server exited while starting";
      return false;
    }
    return true;
  }
  *error = "server not ready on port " + std::to_string(port_) + " after " +
           std::to_string(ready_timeout_.count()) + " ms (last: " + last + ")";
  return false;
}

bool ServerProcess::ReapIfExited(int* exit_status) {
  if (pid_ <= 0) return true;
  int status = 0;
  const pid_t result = waitpid(pid_, &status, WNOHANG);
  if (result == pid_ || (result < 0 && errno == ECHILD)) {
    pid_ = -1;
    if (exit_status != nullptr) *exit_status = status;
    return true;
  }
  return false;
}

bool ServerProcess::WaitForExit(std::chrono::milliseconds timeout, int* exit_status) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto backoff = std::chrono::milliseconds(1);
  while (true) {
    if (ReapIfExited(exit_status)) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    Backoff(&backoff, std::chrono::milliseconds(50));
  }
}

bool ServerProcess::Stop(std::string* error, int* exit_status, std::chrono::milliseconds timeout) {
  if (!running()) return true;
  kill(pid_, SIGTERM);
  if (WaitForExit(timeout, exit_status)) return true;
  Kill();
  *error =
      "server did not exit within " + std::to_string(timeout.count()) + " ms of SIGTERM; killed";
  return false;
}

void ServerProcess::Kill() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string ServerProcess::ReadLog(size_t max_bytes) const {
  std::ifstream in(log_path_, std::ios::binary);
  if (!in) return "(no log)";
  std::stringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  if (text.size() > max_bytes) text = "...\n" + text.substr(text.size() - max_bytes);
  return text;
}

}  // namespace shale::integration
