// Crash atomicity of multi-key writes across shards, under `appendfsync always` and kill -9.
//
// Writers send batches of 8 fresh keys, `w<writer>:b<batch>:<i>`, whose CRC16 slots spread them
// over the shards; every value names its key and batch. Half the writers send each batch as one
// MSET (every third one as an EVAL whose script SETs the 8 keys), the other half as MULTI, 8
// SETs, EXEC (mostly pipelined, sometimes one command at a time, so that the connection can also
// die with a transaction half queued). One more
// connection DELs one or two complete batches of earlier rounds in one command, and one RENAMEs
// tokens: each of kRenameTokens values moves from `ren<n>:g<gen>` to `ren<n>:g<gen+1>`, names
// in different shards as often as not, one batch each (the put of one, the delete of the
// other). After a random
// number of acknowledgements the server is killed with SIGKILL and restarted on the same
// directory. Then, for every batch ever written:
//   - an acknowledged batch is complete (8 of 8 keys, each with its batch's value);
//   - a batch in flight at the kill (sent, not acknowledged) has 8 keys or none: never torn;
//   - an acknowledged DEL removed all its keys; a DEL in flight removed all or none of them;
//   - each token is under exactly one name: its last acknowledged one, or the next one when a
//     RENAME of it was in flight; never both, never none, and with its own value;
//   - a batch nobody touched this round is exactly as the previous round left it;
//   - DBSIZE equals the number of keys present.
// What the restarted server holds is the known state of the next round, so later rounds also
// check that earlier data survives further crashes, flushes and compactions.
//
// SHALE_ATOMICITY_SEED=<n> replays the batch contents and kill targets of a run (the seed is
// printed; thread timing still varies); SHALE_ATOMICITY_ROUNDS=<n> changes the number of rounds
// (default 30). The last line sums up rounds, acknowledged batches, batches in flight at the
// kills and torn batches found.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/ack_counter.h"
#include "tests/integration/server_fixture.h"
#include "tests/unit/test_util.h"

namespace shale::integration {
namespace {

using test_util::EnvOr;

constexpr int kShards = 4;
constexpr int kKeysPerBatch = 8;
constexpr int kMsetWriters = 3;
constexpr int kMultiWriters = 3;
constexpr int kWriters = kMsetWriters + kMultiWriters;
constexpr int kDefaultRounds = 30;
constexpr uint64_t kMaxAcksBeforeKill = 1500;
constexpr size_t kMaxReportedViolations = 20;
constexpr int kRenameTokens = 16;

// Redis Cluster's key slot (CRC-16/XMODEM of the key mod 16384; the keys here have no hash
// tag), to show how the batches spread over shards: shard = slot mod shards.
uint16_t KeySlot(const std::string& key) {
  uint16_t crc = 0;
  for (const char c : key) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(c) << 8);
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) != 0 ? static_cast<uint16_t>((crc << 1) ^ 0x1021)
                                : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc & 16383;
}

struct Batch {
  std::string name;  // "w<writer>:b<batch>"
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::vector<bool> present;  // per key, as the last verification found it
  bool written_by_multi = false;

  size_t PresentCount() const {
    return static_cast<size_t>(std::count(present.begin(), present.end(), true));
  }
  bool Complete() const { return PresentCount() == keys.size(); }
};

Batch MakeBatch(int writer, uint64_t number, uint64_t round, std::mt19937_64& rng) {
  Batch batch;
  batch.name = "w" + std::to_string(writer) + ":b" + std::to_string(number);
  for (int i = 0; i < kKeysPerBatch; ++i) {
    const std::string key = batch.name + ":" + std::to_string(i);
    std::string value = key + "@r" + std::to_string(round) + ":";
    // Printable filler of varied length, so that the small memtable fills and flushes.
    const size_t filler = 20 + rng() % 180;
    for (size_t j = 0; j < filler; ++j) value.push_back(static_cast<char>('!' + rng() % 94));
    batch.keys.push_back(key);
    batch.values.push_back(std::move(value));
  }
  batch.present.assign(batch.keys.size(), false);
  return batch;
}

// One writer's round. At most one batch is in flight when the server dies.
struct WriterLog {
  std::vector<Batch> acked;
  std::optional<Batch> pending;
  std::string unexpected;  // an unexpected reply (not a closed connection)
};

// Sends `batch` as one MSET. Returns false when the server went away or answered otherwise
// (then *unexpected says what it answered).
bool SendMset(Client* client, const Batch& batch, bool* gone, std::string* unexpected) {
  std::vector<std::string> command = {"MSET"};
  for (size_t i = 0; i < batch.keys.size(); ++i) {
    command.push_back(batch.keys[i]);
    command.push_back(batch.values[i]);
  }
  const ReplyPtr reply = client->Command(command);
  if (reply == nullptr) {
    *gone = true;
    return false;
  }
  if (Describe(reply) != "+OK") {
    *unexpected = "MSET answered " + Describe(reply).substr(0, 200);
    return false;
  }
  return true;
}

// Sends `batch` as one EVAL whose script SETs each key (a script is one atomic write too).
bool SendEval(Client* client, const Batch& batch, bool* gone, std::string* unexpected) {
  std::vector<std::string> command = {
      "EVAL", "for i = 1, #KEYS do redis.call('set', KEYS[i], ARGV[i]) end return #KEYS",
      std::to_string(batch.keys.size())};
  command.insert(command.end(), batch.keys.begin(), batch.keys.end());
  command.insert(command.end(), batch.values.begin(), batch.values.end());
  const ReplyPtr reply = client->Command(command);
  if (reply == nullptr) {
    *gone = true;
    return false;
  }
  if (Describe(reply) != ":" + std::to_string(batch.keys.size())) {
    *unexpected = "EVAL answered " + Describe(reply).substr(0, 200);
    return false;
  }
  return true;
}

// Sends `batch` as MULTI, SET..., EXEC: pipelined, or one command at a time.
bool SendMulti(Client* client, const Batch& batch, bool pipelined, bool* gone,
               std::string* unexpected) {
  std::vector<std::vector<std::string>> commands = {{"MULTI"}};
  for (size_t i = 0; i < batch.keys.size(); ++i) {
    commands.push_back({"SET", batch.keys[i], batch.values[i]});
  }
  commands.push_back({"EXEC"});
  std::vector<ReplyPtr> replies;
  if (pipelined) {
    replies = client->Pipeline(commands);
  } else {
    for (const auto& command : commands) {
      ReplyPtr reply = client->Command(command);
      if (reply == nullptr) break;
      replies.push_back(std::move(reply));
    }
  }
  for (size_t i = 0; i < replies.size(); ++i) {
    bool ok = false;
    if (i == 0) {
      ok = Describe(replies[i]) == "+OK";
    } else if (i + 1 < commands.size()) {
      ok = Describe(replies[i]) == "+QUEUED";
    } else {
      const std::vector<std::string> results = ArrayStrings(replies[i].get());
      ok = replies[i]->type == REDIS_REPLY_ARRAY && results.size() == batch.keys.size() &&
           std::all_of(results.begin(), results.end(),
                       [](const std::string& result) { return result == "OK"; });
    }
    if (!ok) {
      *unexpected = commands[i][0] + " (command " + std::to_string(i + 1) + " of " +
                    std::to_string(commands.size()) + ") answered " +
                    Describe(replies[i]).substr(0, 200);
      return false;
    }
  }
  if (replies.size() < commands.size()) {
    *gone = true;
    return false;
  }
  return true;
}

void RunWriter(Client* client, int writer, bool use_multi, uint64_t first_batch, uint64_t round,
               uint64_t seed, AckCounter* counter, WriterLog* log) {
  std::mt19937_64 rng(seed);
  for (uint64_t number = first_batch;; ++number) {
    Batch batch = MakeBatch(writer, number, round, rng);
    batch.written_by_multi = use_multi;
    const bool pipelined = rng() % 4 != 0;
    log->pending = batch;
    bool gone = false;
    // The MSET writers send every third batch as an EVAL instead.
    const bool ok = use_multi         ? SendMulti(client, batch, pipelined, &gone, &log->unexpected)
                    : number % 3 == 0 ? SendEval(client, batch, &gone, &log->unexpected)
                                      : SendMset(client, batch, &gone, &log->unexpected);
    if (!ok) break;  // the server is gone, or it answered something unexpected
    log->pending.reset();
    log->acked.push_back(std::move(batch));
    counter->Add();
  }
  counter->Done();
}

// The DEL stream's round: each DEL names every key of one or two complete batches.
struct DeleterLog {
  std::vector<std::vector<size_t>> acked;  // batch indices per acknowledged DEL
  std::optional<std::vector<size_t>> pending;
  std::string unexpected;
};

void RunDeleter(Client* client, const std::vector<Batch>* batches, std::vector<size_t> candidates,
                uint64_t seed, AckCounter* counter, DeleterLog* log) {
  std::mt19937_64 rng(seed);
  std::shuffle(candidates.begin(), candidates.end(), rng);
  while (!candidates.empty()) {
    std::vector<size_t> targets;
    const size_t count = std::min<size_t>(candidates.size(), 1 + rng() % 2);
    std::vector<std::string> command = {"DEL"};
    for (size_t i = 0; i < count; ++i) {
      targets.push_back(candidates.back());
      candidates.pop_back();
      const Batch& batch = (*batches)[targets.back()];
      command.insert(command.end(), batch.keys.begin(), batch.keys.end());
    }
    log->pending = targets;
    const ReplyPtr reply = client->Command(command);
    if (reply == nullptr) break;
    const std::string expected = ":" + std::to_string(command.size() - 1);
    if (Describe(reply) != expected) {
      log->unexpected = "DEL of " + std::to_string(command.size() - 1) + " present keys answered " +
                        Describe(reply).substr(0, 200);
      break;
    }
    log->pending.reset();
    log->acked.push_back(std::move(targets));
    counter->Add();
  }
  counter->Done();
}

// The pieces one after the other (a message built without temporary strings).
std::string Join(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (std::string_view part : parts) out.append(part);
  return out;
}

// The RENAME stream's tokens: token n is under `ren<n>:g<generation[n]>`, valued TokenValue(n).
std::string TokenKey(int token, uint64_t generation) {
  return "ren" + std::to_string(token) + ":g" + std::to_string(generation);
}
std::string TokenValue(int token) {
  return "token " + std::to_string(token) + std::string(40, '.');
}

struct RenamerLog {
  std::vector<uint64_t> generation;  // of each token, as acknowledged
  std::optional<int> pending;        // the token whose RENAME was in flight at the kill
  uint64_t acked = 0;
  std::string unexpected;
};

void RunRenamer(Client* client, uint64_t seed, AckCounter* counter, RenamerLog* log) {
  std::mt19937_64 rng(seed);
  while (true) {
    const int token = static_cast<int>(rng() % kRenameTokens);
    const uint64_t generation = log->generation[static_cast<size_t>(token)];
    log->pending = token;
    const ReplyPtr reply =
        client->Command({"RENAME", TokenKey(token, generation), TokenKey(token, generation + 1)});
    if (reply == nullptr) break;
    if (Describe(reply) != "+OK") {
      log->unexpected = "RENAME answered " + Describe(reply).substr(0, 200);
      break;
    }
    log->pending.reset();
    log->generation[static_cast<size_t>(token)] = generation + 1;
    ++log->acked;
    counter->Add();
  }
  counter->Done();
}

// The presence of each key of `batches` (MGET in chunks), and whether each value present is
// the batch's. Returns false on a connection error or a malformed reply.
bool ReadBatches(Client* client, std::vector<Batch*>& batches, std::vector<std::string>* wrong) {
  std::vector<std::pair<Batch*, size_t>> slots;
  for (Batch* batch : batches) {
    for (size_t i = 0; i < batch->keys.size(); ++i) slots.emplace_back(batch, i);
  }
  constexpr size_t kChunk = 1000;
  for (size_t start = 0; start < slots.size(); start += kChunk) {
    const size_t end = std::min(slots.size(), start + kChunk);
    std::vector<std::string> mget = {"MGET"};
    for (size_t s = start; s < end; ++s) mget.push_back(slots[s].first->keys[slots[s].second]);
    const ReplyPtr reply = client->Command(mget);
    if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != end - start) {
      return false;
    }
    for (size_t s = start; s < end; ++s) {
      Batch* batch = slots[s].first;
      const size_t i = slots[s].second;
      const redisReply* element = reply->element[s - start];
      batch->present[i] = element->type != REDIS_REPLY_NIL;
      if (batch->present[i] && ReplyString(element) != batch->values[i]) {
        wrong->push_back("key " + batch->keys[i] + " holds \"" +
                         EscapeBytes(ReplyString(element).substr(0, 60)) +
                         "\", not its batch's \"" + EscapeBytes(batch->values[i].substr(0, 60)) +
                         "\"");
      }
    }
  }
  return true;
}

class AtomicityCrashTest : public ServerFixture {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--appendfsync", "always"}; }
  // Four shards, so that a batch spans several shards (and WALs); a small memtable, so that
  // flushes and compactions run while the server is killed.
  std::vector<std::string> ShaleArgs() const override {
    return {"--shards", std::to_string(kShards),      "--memtable-size",
            "64kb",     "--compaction-min-threshold", "2"};
  }
};

TEST_F(AtomicityCrashTest, MultiKeyWritesAreAllOrNothingAcrossSigkill) {
  const uint64_t seed = EnvOr("SHALE_ATOMICITY_SEED", std::random_device{}());
  const uint64_t rounds = EnvOr("SHALE_ATOMICITY_ROUNDS", kDefaultRounds);
  std::cout << "atomicity crash test: seed " << seed << " (SHALE_ATOMICITY_SEED=" << seed
            << " replays it), " << rounds << " rounds, " << kMsetWriters << " MSET writers, "
            << kMultiWriters << " MULTI/EXEC writers, 1 DEL stream, 1 RENAME stream of "
            << kRenameTokens << " tokens, " << kShards << " shards\n";
  RecordProperty("seed", std::to_string(seed));
  {
    // How the key names spread a batch over the shards (a property of the names alone).
    std::mt19937_64 unused(0);
    size_t spanning = 0, total = 0;
    for (uint64_t b = 0; b < 1000; ++b) {
      const Batch batch = MakeBatch(static_cast<int>(b % kWriters), b / kWriters, 0, unused);
      std::set<int> shards;
      for (const std::string& key : batch.keys) shards.insert(KeySlot(key) % kShards);
      spanning += shards.size() >= 3 ? 1 : 0;
      ++total;
    }
    std::cout << "of " << total << " batches, " << spanning << " span 3 or more of " << kShards
              << " shards\n";
  }
  std::mt19937_64 rng(seed);
  server_.set_ready_timeout(std::chrono::seconds(60));
  RenamerLog renamer;
  renamer.generation.assign(kRenameTokens, 0);
  for (int token = 0; token < kRenameTokens; ++token) {
    ASSERT_EQ(Run({"SET", TokenKey(token, 0), TokenValue(token)}), "+OK");
  }
  client_.reset();  // only the round's connections talk to the server while it runs
  uint64_t acked_renames = 0, in_flight_renames = 0, in_flight_renames_applied = 0;

  std::vector<Batch> batches;  // every batch ever sent, with its recovered state
  std::array<uint64_t, kWriters> next_batch{};
  uint64_t acked_mset = 0, acked_multi = 0, acked_del = 0;
  uint64_t in_flight_writes = 0, in_flight_writes_applied = 0;
  uint64_t in_flight_dels = 0, in_flight_dels_applied = 0;
  uint64_t torn = 0, lost = 0, other_violations = 0;
  std::set<std::string> unexpected_replies;
  size_t reported = 0;
  auto report = [&](const std::string& message) {
    if (++reported <= kMaxReportedViolations) ADD_FAILURE() << message << " (seed " << seed << ")";
  };
  std::vector<double> restart_ms;

  for (uint64_t round = 0; round < rounds; ++round) {
    const uint64_t target = rng() % 4 == 0 ? 1 + rng() % 20 : 1 + rng() % kMaxAcksBeforeKill;
    std::vector<size_t> candidates;  // complete batches of earlier rounds
    for (size_t i = 0; i < batches.size(); ++i) {
      if (batches[i].Complete()) candidates.push_back(i);
    }

    constexpr int kThreads = kWriters + 2;
    std::vector<Client> clients(kThreads);
    for (Client& client : clients) {
      std::string error;
      ASSERT_TRUE(client.Connect(server_.port(), &error)) << "round " << round << ": " << error;
    }
    AckCounter counter;
    std::vector<WriterLog> logs(kWriters);
    DeleterLog deleter;
    std::vector<std::thread> threads;
    threads.reserve(kThreads);
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back(RunWriter, &clients[w], w, /*use_multi=*/w >= kMsetWriters,
                           next_batch[w], round, rng(), &counter, &logs[w]);
    }
    threads.emplace_back(RunDeleter, &clients[kWriters], &batches, candidates, rng(), &counter,
                         &deleter);
    renamer.pending.reset();
    renamer.acked = 0;
    threads.emplace_back(RunRenamer, &clients[kWriters + 1], rng(), &counter, &renamer);
    const uint64_t acks_at_kill = counter.WaitFor(target, kThreads);
    server_.Kill();
    for (std::thread& thread : threads) thread.join();

    for (int w = 0; w < kWriters; ++w) {
      if (!logs[w].unexpected.empty() && unexpected_replies.insert(logs[w].unexpected).second) {
        ADD_FAILURE() << "round " << round << " writer " << w << ": " << logs[w].unexpected;
      }
    }
    if (!deleter.unexpected.empty() && unexpected_replies.insert(deleter.unexpected).second) {
      ADD_FAILURE() << "round " << round << " DEL stream: " << deleter.unexpected;
    }
    if (!renamer.unexpected.empty() && unexpected_replies.insert(renamer.unexpected).second) {
      ADD_FAILURE() << "round " << round << " RENAME stream: " << renamer.unexpected;
    }

    std::string error;
    const auto restart_start = std::chrono::steady_clock::now();
    ASSERT_TRUE(server_.Restart(&error)) << "round " << round << ": " << error;
    restart_ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - restart_start)
            .count());
    Client verifier;
    ASSERT_TRUE(verifier.Connect(server_.port(), &error)) << error;

    // What each known batch held before this round (its per-key presence) and what this round
    // did to it.
    enum class Change { kNone, kDeleted, kDeletePending };
    std::vector<std::vector<bool>> before(batches.size());
    std::vector<Change> change(batches.size(), Change::kNone);
    for (size_t i = 0; i < batches.size(); ++i) before[i] = batches[i].present;
    for (const auto& del : deleter.acked) {
      for (size_t i : del) change[i] = Change::kDeleted;
    }
    if (deleter.pending) {
      for (size_t i : *deleter.pending) change[i] = Change::kDeletePending;
    }
    // New batches: acknowledged ones, then at most one in flight per writer.
    const size_t first_new = batches.size();
    std::vector<bool> new_acked;
    uint64_t round_mset = 0, round_multi = 0;
    for (int w = 0; w < kWriters; ++w) {
      for (Batch& batch : logs[w].acked) {
        (batch.written_by_multi ? round_multi : round_mset) += 1;
        batches.push_back(std::move(batch));
        new_acked.push_back(true);
      }
      if (logs[w].pending) {
        batches.push_back(std::move(*logs[w].pending));
        new_acked.push_back(false);
      }
      next_batch[w] += logs[w].acked.size() + (logs[w].pending ? 1 : 0);
    }
    acked_mset += round_mset;
    acked_multi += round_multi;
    for (const auto& del : deleter.acked) acked_del += del.size();

    std::vector<Batch*> all;
    all.reserve(batches.size());
    for (Batch& batch : batches) all.push_back(&batch);
    std::vector<std::string> wrong;
    ASSERT_TRUE(ReadBatches(&verifier, all, &wrong)) << verifier.error();
    for (const std::string& message : wrong) {
      ++other_violations;
      report("round " + std::to_string(round) + ": " + message);
    }

    size_t present_keys = 0;
    uint64_t round_in_flight = 0, round_torn = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
      const Batch& batch = batches[i];
      const size_t count = batch.PresentCount();
      present_keys += count;
      const std::string where = "round " + std::to_string(round) + ": batch " + batch.name + " (" +
                                (batch.written_by_multi ? "MULTI/EXEC" : "MSET") + ")";
      const std::string found =
          "has " + std::to_string(count) + " of its " + std::to_string(batch.keys.size()) + " keys";
      if (i >= first_new) {
        if (new_acked[i - first_new]) {
          if (count != batch.keys.size()) {
            ++(count == 0 ? lost : torn);
            if (count != 0) ++round_torn;
            report(Join({where, ", acknowledged, ", found}));
          }
        } else {
          ++in_flight_writes;
          ++round_in_flight;
          if (count == batch.keys.size()) ++in_flight_writes_applied;
          if (count != 0 && count != batch.keys.size()) {
            ++torn;
            ++round_torn;
            report(Join({where, ", in flight at the kill, is torn: it ", found}));
          }
        }
        continue;
      }
      switch (change[i]) {
        case Change::kNone:
          if (batch.present != before[i]) {
            ++other_violations;
            report(Join({where, ", untouched this round, changed: it ", found, ", had ",
                         std::to_string(std::count(before[i].begin(), before[i].end(), true))}));
          }
          break;
        case Change::kDeleted:
          if (count != 0) {
            ++other_violations;
            report(Join({where, ", deleted by an acknowledged DEL, ", found}));
          }
          break;
        case Change::kDeletePending:
          if (count != 0 && count != batch.keys.size()) {
            ++torn;
            ++round_torn;
            report(Join({where, ", named by a DEL in flight at the kill, is torn: it ", found}));
          }
          break;
      }
    }
    // A DEL in flight over two batches: both went or both stayed.
    if (deleter.pending) {
      ++in_flight_dels;
      ++round_in_flight;
      std::set<size_t> counts;
      for (size_t i : *deleter.pending) counts.insert(batches[i].PresentCount());
      if (counts.size() == 1 && *counts.begin() == 0) ++in_flight_dels_applied;
      if (counts.size() > 1) {
        ++torn;
        ++round_torn;
        report("round " + std::to_string(round) + ": a DEL in flight over " +
               std::to_string(deleter.pending->size()) + " batches removed some of them only");
      }
    }
    // Each token under exactly one name; a RENAME in flight applied whole or not at all.
    acked_renames += renamer.acked;
    for (int token = 0; token < kRenameTokens; ++token) {
      const uint64_t generation = renamer.generation[static_cast<size_t>(token)];
      const std::string old_name = verifier.Run({"GET", TokenKey(token, generation)});
      const std::string new_name = verifier.Run({"GET", TokenKey(token, generation + 1)});
      const std::string value = "\"" + TokenValue(token) + "\"";
      const bool in_flight = renamer.pending == token;
      const std::string where =
          "round " + std::to_string(round) + ": token " + std::to_string(token) +
          " at generation " + std::to_string(generation) + (in_flight ? " (RENAME in flight)" : "");
      if (in_flight) {
        ++in_flight_renames;
        ++round_in_flight;
        if (new_name == value && old_name == "(nil)") {
          ++in_flight_renames_applied;
          renamer.generation[static_cast<size_t>(token)] = generation + 1;
        } else if (!(old_name == value && new_name == "(nil)")) {
          ++torn;
          ++round_torn;
          report(Join({where, " is torn: old name ", old_name, ", new name ", new_name}));
        }
      } else if (old_name != value || new_name != "(nil)") {
        ++other_violations;
        report(Join({where, ": old name ", old_name, ", new name ", new_name}));
      }
    }
    present_keys += kRenameTokens;
    EXPECT_EQ(verifier.Run({"DBSIZE"}), ":" + std::to_string(present_keys))
        << "round " << round << ": DBSIZE disagrees with the keys present";

    std::cout << "round " << round << ": kill after " << acks_at_kill << " acks (target " << target
              << "); acked MSET " << round_mset << ", MULTI/EXEC " << round_multi << ", DEL "
              << deleter.acked.size() << ", RENAME " << renamer.acked << "; in flight "
              << round_in_flight << ", torn " << round_torn << "; batches " << batches.size()
              << ", keys present " << present_keys << "\n";
  }

  std::sort(restart_ms.begin(), restart_ms.end());
  const uint64_t acked_total = acked_mset + acked_multi + acked_del;
  const uint64_t in_flight_total = in_flight_writes + in_flight_dels + in_flight_renames;
  std::printf(
      "atomicity crash: %llu rounds, %llu batches acknowledged (MSET %llu, MULTI/EXEC %llu, "
      "DEL of %llu), %llu RENAMEs acknowledged, %llu batches in flight at kills (writes %llu: "
      "%llu applied whole; DELs %llu: %llu applied whole; RENAMEs %llu: %llu applied), %llu torn "
      "batches found, %llu acknowledged batches lost, %llu other violations; restart (to PING) "
      "median %.0f ms, max %.0f ms\n",
      static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(acked_total),
      static_cast<unsigned long long>(acked_mset), static_cast<unsigned long long>(acked_multi),
      static_cast<unsigned long long>(acked_del), static_cast<unsigned long long>(acked_renames),
      static_cast<unsigned long long>(in_flight_total),
      static_cast<unsigned long long>(in_flight_writes),
      static_cast<unsigned long long>(in_flight_writes_applied),
      static_cast<unsigned long long>(in_flight_dels),
      static_cast<unsigned long long>(in_flight_dels_applied),
      static_cast<unsigned long long>(in_flight_renames),
      static_cast<unsigned long long>(in_flight_renames_applied),
      static_cast<unsigned long long>(torn), static_cast<unsigned long long>(lost),
      static_cast<unsigned long long>(other_violations),
      restart_ms.empty() ? 0.0 : restart_ms[restart_ms.size() / 2],
      restart_ms.empty() ? 0.0 : restart_ms.back());
  EXPECT_EQ(torn, 0u) << "torn batches (seed " << seed << ")";
  EXPECT_EQ(lost, 0u) << "acknowledged batches lost (seed " << seed << ")";
  EXPECT_EQ(other_violations, 0u) << "seed " << seed;
}

}  // namespace
}  // namespace shale::integration
