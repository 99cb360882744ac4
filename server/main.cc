// shale-server [config-file] [--name value ...], exactly as redis-server takes them.
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <thread>

#include "server/config.h"
#include "server/engine_options.h"
#include "server/logging.h"
#include "server/server.h"
#include "server/tls.h"
#include "storage/db.h"

namespace {

void PrintUsage() {
  std::fprintf(stderr,
               "Usage: shale-server [/path/to/shale.conf] [options]\n"
               "       shale-server -v or --version\n"
               "       shale-server -h or --help\n\n"
               "Examples:\n"
               "       shale-server (run the server with default config)\n"
               "       shale-server conf/shale.conf\n"
               "       shale-server --port 7777\n"
               "       shale-server conf/shale.conf --loglevel verbose\n");
}

// Redis's adjustOpenFilesLimit: the process needs a descriptor per client plus its own (WAL,
// tables, listeners, the replica link). The soft limit is raised towards that; when it cannot
// reach it, maxclients is lowered to what fits, with Redis's warning, and a limit too low to
// serve even one client stops the start.
constexpr uint64_t kReservedDescriptors = 128;

bool AdjustOpenFilesLimit(shale::server::Config* config) {
  const auto wanted = static_cast<uint64_t>(config->maxclients) + kReservedDescriptors;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn(
        "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the "
        "max clients configuration accordingly.",
        std::strerror(errno));
    config->maxclients =
        static_cast<int64_t>(1024 - std::min<uint64_t>(1024 - 1, kReservedDescriptors));
    return true;
  }
  const uint64_t current = limit.rlim_cur;
  if (current >= wanted) return true;
  // The wanted limit (raising the hard limit too, which needs the privilege), else as far as the
  // hard limit allows.
  uint64_t best = current;
  int setrlimit_error = 0;
  rlimit raised{static_cast<rlim_t>(wanted), std::max<rlim_t>(limit.rlim_max, wanted)};
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
    best = wanted;
  } else {
    setrlimit_error = errno;
    raised = {std::min<rlim_t>(limit.rlim_max, wanted), limit.rlim_max};
    if (raised.rlim_cur > current && setrlimit(RLIMIT_NOFILE, &raised) == 0) best = raised.rlim_cur;
  }
  if (best >= wanted) {
    spdlog::info("Increased maximum number of open files to {} (it was originally set to {}).",
                 best, current);
    return true;
  }
  if (best <= kReservedDescriptors) {
    spdlog::critical(
        "Your current 'ulimit -n' of {} is not enough for the server to start. "
        "Please increase your open file limit to at least {}. Exiting.",
        best, kReservedDescriptors + 1);
    return false;
  }
  const auto reduced = static_cast<int64_t>(best - kReservedDescriptors);
  spdlog::warn("You requested maxclients of {} requiring at least {} max file descriptors.",
               config->maxclients, wanted);
  spdlog::warn("Server can't set maximum open files to {} because of OS error: {}.", wanted,
               std::strerror(setrlimit_error != 0 ? setrlimit_error : EPERM));
  spdlog::warn(
      "Current maximum open files is {}. maxclients has been reduced to {} to "
      "compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
      best, reduced);
  config->maxclients = reduced;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    std::string first = argv[1];
    if (first == "-v" || first == "--version") {
      std::printf("Shale server v=" SHALE_VERSION "\n");
      return 0;
    }
    if (first == "-h" || first == "--help") {
      PrintUsage();
      return 0;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  // One malloc arena for all threads. With glibc's default of one arena per thread, the
  // flush and compaction workers' short-lived block buffers leave freed memory spread over
  // their arenas: measured 196 MB resident against 119 MB with one arena, loading 1 GB with
  // 8 MB memtables. MALLOC_ARENA_MAX in the environment still decides when set.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 1);
  // A fixed mmap threshold: blocks from 128 KB up (memtable arena blocks, large values) go
  // back to the system when freed, instead of glibc raising the threshold and keeping them.
  if (std::getenv("MALLOC_MMAP_THRESHOLD_") == nullptr) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

  shale::server::Config config;
  std::string error;
  if (!shale::server::LoadConfig(argc, argv, &config, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  std::string config_file;
  if (argc >= 2 && argv[1][0] != '-') config_file = argv[1];

  if (!shale::server::SetUpLogging(config, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return 1;
  }
  spdlog::info("Shale version=" SHALE_VERSION ", pid={}, just started", getpid());
  if (config_file.empty()) {
    spdlog::warn(
        "No config file specified, using the default config. In order to specify a "
        "config file use shale-server /path/to/shale.conf");
  }

  // As Redis, a TLS setup that does not work refuses the start, before any data is opened.
  std::unique_ptr<shale::server::TlsContext> tls;
  if (config.tls_port != 0) {
    tls = shale::server::TlsContext::Create(config, &error);
    if (tls == nullptr) {
      spdlog::critical("{}", error);
      spdlog::critical("Failed to configure TLS. Check logs for more info.");
      spdlog::shutdown();
      return 1;
    }
  }

  if (!AdjustOpenFilesLimit(&config)) {
    spdlog::shutdown();
    return 1;
  }

  const shale::storage::Options options = shale::server::EngineOptions(config);

  std::unique_ptr<shale::storage::Db> db;
  shale::storage::Status status = shale::storage::Db::Open(options, &db);
  if (!status.ok()) {
    spdlog::critical("Cannot open the data directory '{}': {}", config.dir, status.ToString());
    return 1;
  }
  std::unique_ptr<shale::keyspace::Keyspace> keyspace;
  status = shale::keyspace::Keyspace::Open(db.get(), static_cast<int>(config.databases), &keyspace);
  if (!status.ok()) {
    spdlog::critical("Cannot open the data directory '{}': {}", config.dir, status.ToString());
    return 1;
  }
  spdlog::info("Data directory {} open: {} shards, {} WAL records replayed", config.dir,
               db->shard_count(), db->Stats().recovered_records);

  if (!config.pidfile.empty()) {
    std::ofstream pid(config.pidfile);
    if (pid) {
      pid << getpid() << "\n";
    } else {
      spdlog::warn("Failed to write PID file {}", config.pidfile);
    }
  }

  int code;
  {
    shale::server::Server server(config, config_file, std::move(db), std::move(keyspace));
    server.set_tls_context(std::move(tls));
    if (shale::server::SetUpUsers(server, &error)) {
      code = server.Run();
    } else {
      spdlog::critical("{}", error);
      code = 1;
    }
  }
  if (!config.pidfile.empty()) std::remove(config.pidfile.c_str());
  spdlog::shutdown();
  return code;
}
