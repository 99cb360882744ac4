// A real server process for integration tests: shale-server (or, for comparison, Redis's
// redis-server) started on a free loopback port with a fresh temporary data directory.
//
// The binary is SHALE_SERVER_BINARY (set by the build to the shale-server target) unless the
// environment variable SHALE_TEST_SERVER names another one. When the file name of the binary
// contains "redis-server", the arguments Redis needs to behave like Shale are added
// (`--save '' --appendonly yes`), and IsRedis() is true so that Shale-only checks can be
// skipped.
//
// Lifetime: the data directory is created by Start() and removed by the destructor, which
// also kills a process still running. The child asks the kernel to kill it when the test
// process dies (PR_SET_PDEATHSIG), so no server outlives its test even on a crash or a
// timeout kill of the test binary. Not thread-safe: drive one ServerProcess from one thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace shale::integration {

class ServerProcess {
 public:
  // The binary under test: $SHALE_TEST_SERVER if set and non-empty, else SHALE_SERVER_BINARY.
  static std::string DefaultBinary();

  explicit ServerProcess(std::string binary = DefaultBinary());
  ~ServerProcess();

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Creates the data directory, picks a free loopback port and starts the server with
  // `--port P --bind 127.0.0.1 --dir D` followed by `extra_args` (each `--name` followed by its
  // value words, as on redis-server's command line). Waits until the server answers on the
  // port. If the server exits before it is ready (for instance because another process took
  // the port in the meantime) it is retried on another port, a few times. On failure returns
  // false with *error describing it, including the server's log.
  bool Start(const std::vector<std::string>& extra_args, std::string* error);

  // Starts the server again with the same directory, port and arguments. The previous process
  // must have exited (Stop(), Kill() or WaitForExit()).
  bool Restart(std::string* error);

  // SIGTERM, then waits up to `timeout` for the exit. On timeout the process is killed with
  // SIGKILL and false is returned. *exit_status (optional) receives the waitpid() status.
  bool Stop(std::string* error, int* exit_status = nullptr,
            std::chrono::milliseconds timeout = std::chrono::seconds(30));

  // SIGKILL and reap. No-op when not running.
  void Kill();

  // Waits up to `timeout` for the process to exit on its own (e.g. after SHUTDOWN). False on
  // timeout (the process is left running).
  bool WaitForExit(std::chrono::milliseconds timeout, int* exit_status = nullptr);

  // A server that serves no plain port (`--port 0 --tls-port P`): the picked port is passed
  // with `option` ("--tls-port") after `--port 0`, and readiness is `probe(port)` answering true
  // instead of a PING over plain TCP (*error says why not). Call before Start().
  void set_port_option(std::string option, std::function<bool(int port, std::string*)> probe) {
    port_option_ = std::move(option);
    ready_probe_ = std::move(probe);
  }

  // Polls for readiness for at most `timeout`; Start/Restart use ready_timeout().
  void set_ready_timeout(std::chrono::milliseconds timeout) { ready_timeout_ = timeout; }
  std::chrono::milliseconds ready_timeout() const { return ready_timeout_; }

  bool IsRedis() const { return is_redis_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  const std::string& binary() const { return binary_; }
  const std::string& dir() const { return dir_; }
  const std::string& log_path() const { return log_path_; }
  // The value given with --requirepass in the arguments, or empty.
  const std::string& password() const { return password_; }

  // The server's stdout and stderr so far (last `max_bytes` of it).
  std::string ReadLog(size_t max_bytes = 64 * 1024) const;

 private:
  bool Launch(std::string* error);                   // fork + exec on port_
  bool WaitReady(std::string* error, bool* exited);  // polls until ready or exit
  bool ReapIfExited(int* exit_status);               // waitpid(WNOHANG)

  std::string binary_;
  bool is_redis_ = false;
  std::string dir_;       // data directory (removed by the destructor)
  std::string root_dir_;  // temporary directory holding dir_ and the log
  std::string log_path_;
  std::string password_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  std::string port_option_ = "--port";
  std::function<bool(int, std::string*)> ready_probe_;
  pid_t pid_ = -1;
  std::chrono::milliseconds ready_timeout_ = std::chrono::seconds(10);
};

// A loopback TCP port that was free a moment ago (bound to port 0, read back, closed).
int PickFreePort();

// A memory figure of process `pid` from /proc/PID/status in bytes: "VmRSS" (resident now) or
// "VmHWM" (peak resident); 0 if unreadable.
uint64_t ProcessMemoryBytes(pid_t pid, const char* field);

}  // namespace shale::integration
