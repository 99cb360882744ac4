// Crash safety under `appendfsync always`: writers SET, MSET, overwrite and DEL keys and record
// every acknowledged write; after a random number of acknowledgements the server is killed
// with SIGKILL and restarted on the same directory. Then:
//   - every acknowledged write is there with its exact value, acknowledged DELs stay deleted;
//   - a write in flight at the kill (sent, not acknowledged) is either absent or applied, and
//     an MSET whose keys share a {hash tag} (one shard) is applied whole or not at all (MSETs
//     across shards become crash-atomic with the keyspace layer's cross-shard batches);
//   - DBSIZE equals the number of keys that should exist.
// What the restarted server holds becomes the known state for the next round, so later rounds
// also check that earlier rounds' data survives further crashes.
//
// SHALE_CRASH_SEED=<n> replays the operations and kill targets of a run (the seed is printed;
// thread timing still varies); SHALE_CRASH_ROUNDS=<n> changes the
// number of rounds (default 20; scripts/stress.sh runs 50). The last line sums up rounds,
// acknowledged writes, losses and restart times.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ack_counter.h"
#include "tests/integration/server_fixture.h"
#include "tests/unit/test_util.h"

namespace shale::integration {
namespace {

using test_util::EnvOr;

using KeyState = std::optional<std::string>;  // nullopt = absent

constexpr int kWriters = 4;
constexpr int kDefaultRounds = 20;
constexpr uint64_t kMaxAcksBeforeKill = 1000;

std::string StateText(const KeyState& state) {
  return state ? "\"" + EscapeBytes(state->substr(0, 60)) + "\"" : "(absent)";
}

// One writer's view of a round. Keys are owned by exactly one writer, so its acknowledged
// states are the truth for them; at most one operation is in flight when the server dies.
struct WriterLog {
  std::map<std::string, KeyState> acked;    // last acknowledged state of each key touched
  std::map<std::string, KeyState> pending;  // the unacknowledged operation's effect
  std::string pending_op;
  bool pending_atomic = false;  // the pending operation must apply whole or not at all
  uint64_t sets = 0, msets = 0, overwrites = 0, dels = 0;
  std::string unexpected;  // an error reply (not a closed connection) while writing
};

std::string RandomValue(std::mt19937_64& rng, const std::string& tag) {
  std::string value = tag + ":";
  const size_t extra = rng() % 50 == 0 ? 64 * 1024 : rng() % 120;
  for (size_t i = 0; i < extra; ++i) value.push_back(static_cast<char>(rng() % 256));
  return value;
}

// Writes through `client` (connected before the round starts, so that the kill cannot come
// before the connection) until the server goes away.
void RunWriter(Client* client, int round, int writer, uint64_t seed, AckCounter* counter,
               WriterLog* log) {
  std::mt19937_64 rng(seed);
  const std::string prefix = "r" + std::to_string(round) + ":w" + std::to_string(writer) + ":";
  std::vector<std::string> own;  // keys this writer created this round
  uint64_t next = 0;
  while (true) {
    std::vector<std::string> command;
    log->pending.clear();
    log->pending_atomic = false;
    const uint64_t dice = rng() % 100;
    if (dice < 15 && !own.empty()) {  // DEL of one or two own keys
      command = {"DEL"};
      for (int i = 0; i < 2; ++i) {
        const std::string& key = own[rng() % own.size()];
        command.push_back(key);
        log->pending[key] = std::nullopt;
      }
      log->pending_op = "DEL";
    } else if (dice < 30 && !own.empty()) {  // overwrite
      const std::string& key = own[rng() % own.size()];
      const std::string value = RandomValue(rng, prefix + "o" + std::to_string(next++));
      command = {"SET", key, value};
      log->pending[key] = value;
      log->pending_op = "SET (overwrite)";
    } else if (dice < 50) {  // MSET of fresh keys, half of them within one shard
      command = {"MSET"};
      const int count = 2 + static_cast<int>(rng() % 3);
      const bool one_shard = rng() % 2 == 0;
      const std::string tag = one_shard ? "{" + prefix + "b" + std::to_string(next) + "}" : "";
      log->pending_atomic = one_shard;
      for (int i = 0; i < count; ++i) {
        const std::string key = tag + prefix + std::to_string(next++);
        const std::string value = RandomValue(rng, key);
        command.insert(command.end(), {key, value});
        log->pending[key] = value;
      }
      log->pending_op = "MSET";
    } else {  // SET of a fresh key
      const std::string key = prefix + std::to_string(next++);
      const std::string value = RandomValue(rng, key);
      command = {"SET", key, value};
      log->pending[key] = value;
      log->pending_op = "SET";
    }
    const ReplyPtr reply = client->Command(command);
    if (reply == nullptr) break;  // the server is gone
    const bool ok = (reply->type == REDIS_REPLY_STATUS && ReplyString(reply.get()) == "OK") ||
                    (command[0] == "DEL" && reply->type == REDIS_REPLY_INTEGER);
    if (!ok) {
      log->unexpected = log->pending_op + " answered " + Describe(reply).substr(0, 200);
      break;
    }
    for (const auto& [key, state] : log->pending) {
      if (command[0] != "DEL" && log->acked.count(key) == 0) own.push_back(key);
      log->acked[key] = state;
    }
    if (command[0] == "DEL") {
      ++log->dels;
    } else if (command[0] == "MSET") {
      ++log->msets;
    } else if (log->pending_op == "SET") {
      ++log->sets;
    } else {
      ++log->overwrites;
    }
    log->pending.clear();
    log->pending_op.clear();
    counter->Add();
  }
  counter->Done();
}

// Reads the state of `keys` (MGET in batches). Returns false on a connection error.
bool ReadStates(Client* client, const std::vector<std::string>& keys,
                std::vector<KeyState>* states) {
  states->clear();
  for (size_t start = 0; start < keys.size(); start += 1000) {
    std::vector<std::string> mget = {"MGET"};
    const size_t end = std::min(keys.size(), start + 1000);
    mget.insert(mget.end(), keys.begin() + start, keys.begin() + end);
    const ReplyPtr reply = client->Command(mget);
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != end - start) {
      return false;
    }
    for (size_t i = 0; i < reply->elements; ++i) {
      const redisReply* element = reply->element[i];
      if (element->type == REDIS_REPLY_NIL) {
        states->push_back(std::nullopt);
      } else {
        states->push_back(ReplyString(element));
      }
    }
  }
  return true;
}

class CrashTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--appendfsync", "always"}; }
  // A small memtable, so that flushes and compactions run while the server is killed.
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", "2", "--memtable-size", "64kb", "--compaction-min-threshold", "2"};
  }
};

TEST_F(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const uint64_t seed = EnvOr("SHALE_CRASH_SEED", std::random_device{}());
  const uint64_t rounds = EnvOr("SHALE_CRASH_ROUNDS", kDefaultRounds);
  std::cout << "crash test: seed " << seed << " (SHALE_CRASH_SEED=" << seed << " replays it), "
            << rounds << " rounds, " << kWriters << " writers\n";
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  server_.set_ready_timeout(std::chrono::seconds(60));
  client_.reset();  // only writers talk to the server while it runs

  std::map<std::string, KeyState> known;  // state of every key ever written, as recovered
  uint64_t total_acked = 0;
  uint64_t atomic_in_flight = 0;      // one-shard MSETs in flight at a kill (all checked)
  std::vector<double> restart_times;  // milliseconds from start to answering PING
  for (uint64_t round = 0; round < rounds; ++round) {
    const uint64_t target = rng() % 4 == 0 ? 1 + rng() % 20 : 1 + rng() % kMaxAcksBeforeKill;
    AckCounter counter;
    std::vector<WriterLog> logs(kWriters);
    std::vector<Client> clients(kWriters);
    for (Client& client : clients) {
      std::string error;
      ASSERT_TRUE(client.Connect(server_.port(), &error)) << "round " << round << ": " << error;
    }
    std::vector<std::thread> writers;
    writers.reserve(kWriters);
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back(RunWriter, &clients[w], static_cast<int>(round), w, rng(), &counter,
                           &logs[w]);
    }
    const uint64_t acks_at_kill = counter.WaitFor(target, kWriters);
    server_.Kill();
    for (std::thread& writer : writers) writer.join();
    for (int w = 0; w < kWriters; ++w) {
      ASSERT_TRUE(logs[w].unexpected.empty())
          << "round " << round << " writer " << w << ": " << logs[w].unexpected;
    }

    // What each key may hold after recovery.
    std::map<std::string, std::vector<KeyState>> allowed;
    uint64_t round_acked = 0;
    uint64_t sets = 0, msets = 0, overwrites = 0, dels = 0;
    for (const auto& [key, state] : known) allowed[key] = {state};
    for (const WriterLog& log : logs) {
      for (const auto& [key, state] : log.acked) allowed[key] = {state};
      for (const auto& [key, state] : log.pending) {
        auto it = allowed.find(key);
        if (it == allowed.end()) {
          allowed[key] = {std::nullopt, state};  // never acknowledged: absent or applied
        } else {
          it->second.push_back(state);
        }
      }
      round_acked += log.sets + log.msets + log.overwrites + log.dels;
      sets += log.sets;
      msets += log.msets;
      overwrites += log.overwrites;
      dels += log.dels;
    }
    total_acked += round_acked;

    std::string error;
    const auto restart_start = std::chrono::steady_clock::now();
    ASSERT_TRUE(server_.Restart(&error)) << "round " << round << ": " << error;
    const double restart_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - restart_start)
            .count();
    restart_times.push_back(restart_ms);
    Client verifier;
    ASSERT_TRUE(verifier.Connect(server_.port(), &error)) << error;
    std::vector<std::string> keys;
    keys.reserve(allowed.size());
    for (const auto& entry : allowed) keys.push_back(entry.first);
    std::vector<KeyState> states;
    ASSERT_TRUE(ReadStates(&verifier, keys, &states)) << verifier.error();

    size_t violations = 0;
    size_t present = 0;
    size_t in_flight_applied = 0;
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::vector<KeyState>& options = allowed[keys[i]];
      bool matched = false;
      for (const KeyState& option : options) matched = matched || option == states[i];
      if (!matched && ++violations <= 10) {
        std::string expected;
        for (const KeyState& option : options) {
          expected += (expected.empty() ? "" : " or ") + StateText(option);
        }
        ADD_FAILURE() << "round " << round << " key \"" << EscapeBytes(keys[i]) << "\": expected "
                      << expected << ", got " << StateText(states[i]);
      }
      if (options.size() > 1 && states[i] == options.back() && options.back() != options.front()) {
        ++in_flight_applied;
      }
      if (states[i]) ++present;
      known[keys[i]] = states[i];
    }
    // An in-flight MSET within one shard: all of its keys took the new value, or none did.
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < keys.size(); ++i) index[keys[i]] = i;
    for (const WriterLog& log : logs) {
      if (!log.pending_atomic || log.pending.empty()) continue;
      size_t applied = 0;
      for (const auto& [key, state] : log.pending) applied += states[index[key]] == state ? 1 : 0;
      ++atomic_in_flight;
      if (applied != 0 && applied != log.pending.size()) {
        ++violations;
        ADD_FAILURE() << "round " << round << ": a one-shard MSET in flight applied " << applied
                      << " of its " << log.pending.size() << " keys";
      }
    }
    ASSERT_EQ(violations, 0u) << "round " << round << ": seed " << seed;
    EXPECT_EQ(verifier.Run({"DBSIZE"}), ":" + std::to_string(present))
        << "round " << round << ": DBSIZE disagrees with the keys present";

    size_t in_flight = 0;
    for (const WriterLog& log : logs) in_flight += log.pending.empty() ? 0 : 1;
    std::cout << "round " << round << ": kill after " << acks_at_kill << " acks (target " << target
              << "); acked SET " << sets << ", MSET " << msets << ", overwrite " << overwrites
              << ", DEL " << dels << "; in flight " << in_flight << " ops, applied keys "
              << in_flight_applied << "; keys verified " << keys.size() << ", present " << present
              << "\n";
  }
  std::sort(restart_times.begin(), restart_times.end());
  const double median = restart_times.empty() ? 0 : restart_times[restart_times.size() / 2];
  const double slowest = restart_times.empty() ? 0 : restart_times.back();
  std::printf(
      "crash soak: %llu rounds, %llu acknowledged writes, 0 lost, %llu one-shard MSETs in "
      "flight at a kill (none torn), %zu keys verified in the last round; restart (to PING) "
      "median %.0f ms, max %.0f ms\n",
      static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(total_acked),
      static_cast<unsigned long long>(atomic_in_flight), known.size(), median, slowest);
}

}  // namespace
}  // namespace shale::integration
