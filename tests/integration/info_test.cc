// INFO's Redis 7 sections: their order and groups (default, all, everything), commandstats
// (calls, rejected and failed calls, subcommands, commands inside EXEC), errorstats,
// latencystats, the change counter (rdb_changes_since_last_save) and CONFIG RESETSTAT.
// Passes against Redis too (SHALE_TEST_SERVER=/usr/bin/redis-server).
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

struct Info {
  std::vector<std::string> sections;
  std::map<std::string, std::string> fields;  // every section's key -> value
  std::string Get(const std::string& key) const {
    auto it = fields.find(key);
    return it == fields.end() ? "(none)" : it->second;
  }
};

Info ParseInfo(const std::string& text) {
  Info info;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\r\n", start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 2;
    if (line.empty()) continue;
    if (line.rfind("# ", 0) == 0) {
      info.sections.push_back(line.substr(2));
      continue;
    }
    const size_t colon = line.find(':');
    if (colon != std::string::npos) info.fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return info;
}

class InfoTest : public ServerFixture {
 protected:
  Info FetchInfo(const std::vector<std::string>& sections = {}) {
    std::vector<std::string> command = {"INFO"};
    command.insert(command.end(), sections.begin(), sections.end());
    const ReplyPtr reply = client_->Command(command);
    EXPECT_NE(reply, nullptr);
    if (reply == nullptr) return Info();
    EXPECT_EQ(reply->type, REDIS_REPLY_STRING) << Describe(reply);
    return ParseInfo(ReplyString(reply.get()));
  }
  // The sections without Shale's own (Storage), to compare with Redis's list.
  std::vector<std::string> RedisSections(const std::vector<std::string>& sections) {
    std::vector<std::string> out;
    for (const std::string& s : sections) {
      if (s != "Storage") out.push_back(s);
    }
    return out;
  }
  long long Dirty() {
    return std::stoll(FetchInfo({"persistence"}).Get("rdb_changes_since_last_save"));
  }
};

TEST_F(InfoTest, SectionGroupsInRedisOrder) {
  const std::vector<std::string> defaults = {"Server",     "Clients",     "Memory",  "Persistence",
                                             "Stats",      "Replication", "CPU",     "Modules",
                                             "Errorstats", "Cluster",     "Keyspace"};
  EXPECT_EQ(RedisSections(FetchInfo().sections), defaults);
  EXPECT_EQ(RedisSections(FetchInfo({"default"}).sections), defaults);
  const std::vector<std::string> all = {
      "Server",  "Clients",      "Memory",     "Persistence",  "Stats",   "Replication", "CPU",
      "Modules", "Commandstats", "Errorstats", "Latencystats", "Cluster", "Keyspace"};
  EXPECT_EQ(RedisSections(FetchInfo({"all"}).sections), all);
  EXPECT_EQ(RedisSections(FetchInfo({"everything"}).sections), all);
  // Several sections in one call come in Redis's order, each once.
  EXPECT_EQ(FetchInfo({"errorstats", "commandstats", "CommandStats"}).sections,
            (std::vector<std::string>{"Commandstats", "Errorstats"}));
  EXPECT_EQ(FetchInfo({"keyspace", "server"}).sections,
            (std::vector<std::string>{"Server", "Keyspace"}));
}

TEST_F(InfoTest, FieldsToolsRead) {
  const Info info = FetchInfo({"all"});
  EXPECT_EQ(info.Get("role"), "master");
  EXPECT_EQ(info.Get("connected_slaves"), "0");
  EXPECT_EQ(info.Get("master_repl_offset"), "0");
  EXPECT_EQ(info.Get("cluster_enabled"), "0");
  EXPECT_EQ(info.Get("aof_last_write_status"), "ok");
  EXPECT_EQ(info.Get("aof_last_bgrewrite_status"), "ok");
  EXPECT_EQ(info.Get("hz"), "10");
  EXPECT_EQ(info.Get("evicted_keys"), "0");
  EXPECT_EQ(info.Get("maxmemory_policy"), "noeviction");
  EXPECT_NE(info.Get("mem_allocator"), "(none)");
  EXPECT_NE(info.Get("executable"), "(none)");
  const std::regex decimal2("[0-9]+\\.[0-9]{2}");
  EXPECT_TRUE(std::regex_match(info.Get("mem_fragmentation_ratio"), decimal2));
  EXPECT_TRUE(std::regex_match(info.Get("instantaneous_input_kbps"), decimal2));
  EXPECT_TRUE(std::regex_match(info.Get("instantaneous_output_kbps"), decimal2));
  EXPECT_TRUE(std::regex_match(info.Get("instantaneous_ops_per_sec"), std::regex("[0-9]+")));
  const std::regex seconds("[0-9]+\\.[0-9]{6}");
  EXPECT_TRUE(std::regex_match(info.Get("used_cpu_sys"), seconds)) << info.Get("used_cpu_sys");
  EXPECT_TRUE(std::regex_match(info.Get("used_cpu_user_main_thread"), seconds));
}

TEST_F(InfoTest, CommandStatsCountCallsRejectionsAndFailures) {
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  ASSERT_EQ(Run({"SET", "a", "abc"}), "+OK");
  ASSERT_EQ(Run({"GET", "a"}), "\"abc\"");
  ASSERT_EQ(Run({"INCR", "a"}), "-ERR value is not an integer or out of range");
  ASSERT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command");
  ASSERT_EQ(Run({"CONFIG", "GET", "maxclients"}).substr(0, 1), "[");
  const Info info = FetchInfo({"commandstats", "errorstats", "stats"});
  const std::regex entry(
      "calls=([0-9]+),usec=[0-9]+,usec_per_call=[0-9]+\\.[0-9]{2},rejected_calls=([0-9]+),"
      "failed_calls=([0-9]+)");
  auto counts = [&](const std::string& command) {
    std::smatch m;
    const std::string line = info.Get("cmdstat_" + command);
    if (!std::regex_match(line, m, entry)) return "bad: " + line;
    return m[1].str() + "/" + m[2].str() + "/" + m[3].str();
  };
  EXPECT_EQ(counts("set"), "1/0/0");
  EXPECT_EQ(counts("get"), "1/1/0");
  EXPECT_EQ(counts("incr"), "1/0/1");
  EXPECT_EQ(counts("config|get"), "1/0/0");
  EXPECT_EQ(counts("config|resetstat"), "1/0/0");
  EXPECT_EQ(info.Get("errorstat_ERR"), "count=2");
  EXPECT_EQ(info.Get("total_error_replies"), "2");
}

TEST_F(InfoTest, CommandsInsideExecCountAsThemselves) {
  ASSERT_EQ(Run({"SET", "s", "abc"}), "+OK");
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  ASSERT_EQ(Run({"MULTI"}), "+OK");
  ASSERT_EQ(Run({"INCR", "s"}), "+QUEUED");
  ASSERT_EQ(Run({"SET", "t", "1"}), "+QUEUED");
  ASSERT_EQ(Run({"EXEC"}), "[-ERR value is not an integer or out of range, +OK]");
  const Info info = FetchInfo({"commandstats"});
  auto calls_and_failures = [&](const std::string& command) {
    const std::string line = info.Get("cmdstat_" + command);
    std::smatch m;
    if (!std::regex_search(line, m, std::regex("^calls=([0-9]+),.*failed_calls=([0-9]+)$"))) {
      return "bad: " + line;
    }
    return m[1].str() + "/" + m[2].str();
  };
  EXPECT_EQ(calls_and_failures("multi"), "1/0");
  EXPECT_EQ(calls_and_failures("exec"), "1/0");
  EXPECT_EQ(calls_and_failures("incr"), "1/1");
  EXPECT_EQ(calls_and_failures("set"), "1/0");
}

TEST_F(InfoTest, LatencyStatsPerCommand) {
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Run({"SET", "k", "v"}), "+OK");
  const Info info = FetchInfo({"latencystats"});
  const std::string line = info.Get("latency_percentiles_usec_set");
  EXPECT_TRUE(std::regex_match(
      line, std::regex("p50=[0-9]+\\.[0-9]{3},p99=[0-9]+\\.[0-9]{3},p99\\.9=[0-9]+\\.[0-9]{3}")))
      << line;
}

TEST_F(InfoTest, ResetStatClearsCounters) {
  ASSERT_EQ(Run({"GET"}), "-ERR wrong number of arguments for 'get' command");
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  const Info info = FetchInfo({"commandstats", "errorstats", "stats"});
  EXPECT_EQ(info.Get("cmdstat_get"), "(none)");
  EXPECT_EQ(info.Get("errorstat_ERR"), "(none)");
  EXPECT_EQ(info.Get("total_error_replies"), "0");
  EXPECT_EQ(info.Get("expired_keys"), "0");
  EXPECT_NE(info.Get("cmdstat_config|resetstat"), "(none)");
}

// used_memory_peak: at least used_memory, with Redis's percentage; the socket read and write
// counters grow with every command a client sends and every reply it gets.
TEST_F(InfoTest, PeakMemoryAndSocketCounters) {
  Info info = FetchInfo({"memory", "stats"});
  EXPECT_GE(std::stoull(info.Get("used_memory_peak")), std::stoull(info.Get("used_memory")));
  EXPECT_TRUE(std::regex_match(info.Get("used_memory_peak_perc"), std::regex("[0-9]+\\.[0-9]{2}%")))
      << info.Get("used_memory_peak_perc");
  const uint64_t reads = std::stoull(info.Get("total_reads_processed"));
  const uint64_t writes = std::stoull(info.Get("total_writes_processed"));
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Run({"PING"}), "+PONG");
  info = FetchInfo({"stats"});
  EXPECT_GE(std::stoull(info.Get("total_reads_processed")), reads + 5);
  EXPECT_GE(std::stoull(info.Get("total_writes_processed")), writes + 5);
  // A large value raises the peak; it stays after the value is gone.
  ASSERT_EQ(Run({"SET", "big", std::string(8 * 1024 * 1024, 'x')}), "+OK");
  const uint64_t peak = std::stoull(FetchInfo({"memory"}).Get("used_memory_peak"));
  EXPECT_GE(peak, 8u * 1024 * 1024);
  ASSERT_EQ(Run({"DEL", "big"}), ":1");
  EXPECT_GE(std::stoull(FetchInfo({"memory"}).Get("used_memory_peak")), peak);
}

// rdb_changes_since_last_save counts key changes as Redis's dirty counter: a write that
// changes nothing adds nothing.
TEST_F(InfoTest, ChangeCounterCountsRealChanges) {
  const long long start = Dirty();
  ASSERT_EQ(Run({"SETBIT", "b", "1", "1"}), ":0");
  EXPECT_EQ(Dirty(), start + 1);
  ASSERT_EQ(Run({"SETBIT", "b", "1", "1"}), ":1");
  EXPECT_EQ(Dirty(), start + 1);
  ASSERT_EQ(Run({"MSET", "x", "1", "y", "2"}), "+OK");
  EXPECT_EQ(Dirty(), start + 3);
  ASSERT_EQ(Run({"SET", "x", "9", "NX"}), "(nil)");
  ASSERT_EQ(Run({"DEL", "nosuchkey"}), ":0");
  EXPECT_EQ(Dirty(), start + 3);
  ASSERT_EQ(Run({"CONFIG", "RESETSTAT"}), "+OK");
  EXPECT_EQ(Dirty(), start + 3);  // RESETSTAT keeps it, as Redis
}

// SAVE makes everything durable now and starts the change counter again; LASTSAVE and INFO say
// when. It is refused inside MULTI, as Redis.
TEST_F(InfoTest, SaveResetsTheChangeCounter) {
  const long long before = std::stoll(Run({"LASTSAVE"}).substr(1));
  ASSERT_EQ(Run({"MSET", "x", "1", "y", "2"}), "+OK");
  EXPECT_GE(Dirty(), 2);
  EXPECT_EQ(Run({"SAVE"}), "+OK");
  EXPECT_EQ(Dirty(), 0);
  const Info info = FetchInfo({"persistence"});
  const long long after = std::stoll(Run({"LASTSAVE"}).substr(1));
  EXPECT_GE(after, before);
  EXPECT_EQ(info.Get("rdb_last_save_time"), std::to_string(after));
  EXPECT_EQ(Run({"GET", "x"}), "\"1\"");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SAVE"}), "-ERR Command not allowed inside a transaction");
  EXPECT_EQ(Run({"EXEC"}), "-EXECABORT Transaction discarded because of previous errors.");
  if (IsRedis()) return;
  EXPECT_EQ(info.Get("rdb_saves"), "1");
}

}  // namespace
}  // namespace shale::integration
