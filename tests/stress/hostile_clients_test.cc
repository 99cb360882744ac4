// Hostile clients against one server, all at once, for a bounded time: random bytes and
// mutated RESP on many connections, huge announced lengths before and after AUTH, slow
// senders, clients that never read their replies, and thousands of idle connections. Through
// all of it a well-behaved client keeps writing and reading its own keys. Checked: the server
// stays up, every reply the good client gets is right, and the server's resident memory stays
// under a bound (the attacks before the query-buffer fixes took it past 3 GB). Printed: the
// good client's operations and latency percentiles, the attack counts and the peak RSS.
//
// SHALE_STRESS_SECONDS (default 8), SHALE_STRESS_CONNECTIONS (idle connections, default 1000;
// scripts/stress.sh uses 10000) and SHALE_STRESS_SEED scale and replay a run.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/redis_client.h"
#include "tests/integration/server_process.h"
#include "tests/unit/test_util.h"

namespace shale::integration {
namespace {

using test_util::EnvOr;

using Clock = std::chrono::steady_clock;

constexpr char kPassword[] = "stress-pw";
constexpr uint64_t kRssBound = 768ULL << 20;

std::string Multibulk(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args)
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  return out;
}

// A valid command, then a random mutation of its bytes (flip, insert, delete, truncate), or
// plain random bytes.
std::string HostileBytes(std::mt19937_64& rng) {
  const std::vector<std::vector<std::string>> commands = {
      {"AUTH", kPassword},       {"GET", "k"}, {"SET", "k", "v"},
      {"MGET", "a", "b", "c"},   {"PING"},     {"HELLO", "3"},
      {"CLIENT", "SETNAME", "x"}};
  std::string bytes;
  if (rng() % 5 == 0) {
    bytes.resize(1 + rng() % 512);
    for (char& c : bytes) c = static_cast<char>(rng());
    return bytes;
  }
  for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) {
    bytes += Multibulk(commands[rng() % commands.size()]);
  }
  for (int i = 0, n = 1 + static_cast<int>(rng() % 3); i < n && !bytes.empty(); ++i) {
    const size_t at = rng() % bytes.size();
    switch (rng() % 4) {
      case 0:
        bytes[at] = static_cast<char>(rng());
        break;
      case 1:
        bytes.insert(at, 1, "*$\r\n-0123456789"[rng() % 15]);
        break;
      case 2:
        bytes.erase(at, 1);
        break;
      default:
        bytes.resize(at);
        break;
    }
  }
  return bytes;
}

struct Figures {
  std::atomic<uint64_t> fuzz_connections{0};
  std::atomic<uint64_t> huge_announcements{0};
  std::atomic<uint64_t> slow_bytes{0};
  std::atomic<uint64_t> unread_requests{0};
};

TEST(HostileClientsStress, ServerStaysUpBoundedAndCorrect) {
  const uint64_t seconds = EnvOr("SHALE_STRESS_SECONDS", 8);
  const uint64_t idle_connections = EnvOr("SHALE_STRESS_CONNECTIONS", 1000);
  const uint64_t seed = EnvOr("SHALE_STRESS_SEED", std::random_device{}());
  std::printf(
      "hostile clients: seed %llu (SHALE_STRESS_SEED replays it), %llu s, %llu idle "
      "connections\n",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seconds),
      static_cast<unsigned long long>(idle_connections));

  // Room for the idle connections in this process and in the server (which inherits it).
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  const rlim_t wanted = idle_connections * 2 + 1000;
  if (files.rlim_cur < wanted) {
    files.rlim_cur = std::min(wanted, files.rlim_max);
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  }
  if (files.rlim_cur < idle_connections + 500) {
    GTEST_SKIP() << "open-file limit " << files.rlim_cur << " is too low for " << idle_connections
                 << " connections";
  }

  ServerProcess server;
  std::string error;
  ASSERT_TRUE(server.Start(
      {"--requirepass", kPassword, "--maxclients", std::to_string(idle_connections + 1000),
       "--shards", "2", "--memtable-size", "8mb", "--block-cache-size", "32mb"},
      &error))
      << error;

  Client good;
  ASSERT_TRUE(good.Connect(server.port(), &error)) << error;
  ASSERT_EQ(good.Run({"AUTH", kPassword}), "+OK");
  // A 100 KB value that the clients that never read ask for again and again.
  ASSERT_EQ(good.Run({"SET", "big", std::string(100 * 1024, 'b')}), "+OK");

  const auto deadline = Clock::now() + std::chrono::seconds(seconds);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> peak_rss{0};
  Figures figures;
  std::vector<std::thread> attackers;

  // Random bytes and mutated RESP, a fresh connection each time.
  for (int t = 0; t < 3; ++t) {
    attackers.emplace_back([&, t] {
      std::mt19937_64 rng(seed + static_cast<uint64_t>(t));
      while (!stop) {
        RawConnection c;
        std::string e;
        if (!c.Connect(server.port(), &e)) continue;
        if (rng() % 2 == 0) c.Send(std::string("AUTH ") + kPassword + "\r\n");
        c.Send(HostileBytes(rng));
        c.Read(1, std::chrono::milliseconds(20));
        ++figures.fuzz_connections;
      }
    });
  }
  // Huge announced lengths before and after AUTH, then a disconnect.
  attackers.emplace_back([&] {
    std::mt19937_64 rng(seed + 100);
    while (!stop) {
      RawConnection c;
      std::string e;
      if (!c.Connect(server.port(), &e)) continue;
      if (rng() % 2 == 0) c.Send(Multibulk({"AUTH", kPassword}));
      c.Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$" + std::to_string(400000000 + rng() % 100000000) +
             "\r\nxyz");
      c.Read(1, std::chrono::milliseconds(20));
      ++figures.huge_announcements;
    }
  });
  // Slow senders: a valid command one byte every few milliseconds.
  attackers.emplace_back([&] {
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 20; ++i) {
      auto c = std::make_unique<RawConnection>();
      std::string e;
      if (c->Connect(server.port(), &e)) slow.push_back(std::move(c));
    }
    const std::string command = Multibulk({"AUTH", kPassword}) + Multibulk({"GET", "big"});
    for (size_t at = 0; !stop; at = (at + 1) % command.size()) {
      for (auto& c : slow) c->Send(command.substr(at, 1));
      figures.slow_bytes += slow.size();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  // Clients that never read: pipelined GETs of the 100 KB value.
  attackers.emplace_back([&] {
    std::vector<std::unique_ptr<RawConnection>> deaf;
    std::string requests = Multibulk({"AUTH", kPassword});
    for (int i = 0; i < 200; ++i) requests += Multibulk({"GET", "big"});
    while (!stop && deaf.size() < 16) {
      auto c = std::make_unique<RawConnection>();
      std::string e;
      if (!c->Connect(server.port(), &e, /*receive_buffer=*/4096)) continue;
      c->Send(requests);
      figures.unread_requests += 200;
      deaf.push_back(std::move(c));
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  // Many idle connections, some authenticated.
  attackers.emplace_back([&] {
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (uint64_t i = 0; i < idle_connections && !stop; ++i) {
      auto c = std::make_unique<RawConnection>();
      std::string e;
      if (!c->Connect(server.port(), &e)) continue;
      if (i % 4 == 0) c->Send(Multibulk({"AUTH", kPassword}));
      idle.push_back(std::move(c));
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  });
  std::thread sampler([&] {
    while (!stop) {
      uint64_t rss = ProcessMemoryBytes(server.pid(), "VmRSS");
      uint64_t seen = peak_rss.load();
      while (rss > seen && !peak_rss.compare_exchange_weak(seen, rss)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  // The well-behaved client: SET then GET of its own keys, every reply checked.
  std::vector<double> latencies_us;
  uint64_t wrong = 0;
  for (uint64_t i = 0; Clock::now() < deadline; ++i) {
    const std::string key = "good:" + std::to_string(i % 5000);
    const std::string value = "value-" + std::to_string(i);
    const auto start = Clock::now();
    const std::string set = good.Run({"SET", key, value});
    const std::string get = good.Run({"GET", key});
    latencies_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
                           2);
    if (set != "+OK" || get != "\"" + value + "\"") {
      if (++wrong <= 5) ADD_FAILURE() << "good client: SET " << set << ", GET " << get;
      if (!good.connected()) break;
    }
  }
  stop = true;
  for (std::thread& t : attackers) t.join();
  sampler.join();

  EXPECT_EQ(wrong, 0u);
  EXPECT_TRUE(server.running());
  Client after;
  ASSERT_TRUE(after.Connect(server.port(), &error)) << error;
  EXPECT_EQ(after.Run({"AUTH", kPassword}), "+OK");
  EXPECT_EQ(after.Run({"PING"}), "+PONG");
  EXPECT_LT(peak_rss.load(), kRssBound);

  std::sort(latencies_us.begin(), latencies_us.end());
  auto percentile = [&](double p) {
    return latencies_us.empty()
               ? 0.0
               : latencies_us[std::min(latencies_us.size() - 1,
                                       static_cast<size_t>(p * latencies_us.size()))];
  };
  std::printf(
      "hostile clients: %llu s; good client %zu ops, p50 %.0f us, p99 %.0f us, p99.9 %.0f us, "
      "max %.0f us, %llu wrong; %llu fuzz connections, %llu huge announcements, %llu slow bytes, "
      "%llu unread GETs, %llu idle connections; server peak RSS %llu MB (bound %llu MB)\n",
      static_cast<unsigned long long>(seconds), latencies_us.size() * 2, percentile(0.5),
      percentile(0.99), percentile(0.999), latencies_us.empty() ? 0.0 : latencies_us.back(),
      static_cast<unsigned long long>(wrong),
      static_cast<unsigned long long>(figures.fuzz_connections.load()),
      static_cast<unsigned long long>(figures.huge_announcements.load()),
      static_cast<unsigned long long>(figures.slow_bytes.load()),
      static_cast<unsigned long long>(figures.unread_requests.load()),
      static_cast<unsigned long long>(idle_connections),
      static_cast<unsigned long long>(peak_rss.load() >> 20),
      static_cast<unsigned long long>(kRssBound >> 20));
}

}  // namespace
}  // namespace shale::integration
