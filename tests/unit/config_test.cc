#include "server/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "server/keyspace/format.h"
#include "server/notifications.h"
#include "tests/unit/test_util.h"

namespace shale::server {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The message ParseConfigText gives for a bad line of a file named "test.conf".
std::string FileError(int line_number, std::string_view line, std::string_view reason) {
  return "*** FATAL CONFIG FILE ERROR (Shale) ***\n"
         "Reading the configuration file 'test.conf', at line " +
         std::to_string(line_number) + "\n>>> '" + std::string(line) + "'\n" + std::string(reason);
}

// Parses `text` into a default Config; returns the error text ("" on success).
std::string ParseError(std::string_view text, Config* config = nullptr) {
  Config scratch;
  std::string error;
  if (ParseConfigText(text, "test.conf", config != nullptr ? config : &scratch, &error)) {
    return "";
  }
  EXPECT_FALSE(error.empty());
  return error;
}

// The reason line of the error for a one-line config.
std::string Reason(std::string_view line) {
  const std::string error = ParseError(line);
  if (error.empty()) return "";
  EXPECT_EQ(error.rfind("*** FATAL CONFIG FILE ERROR (Shale) ***\n", 0), 0u) << error;
  return error.substr(error.rfind('\n') + 1);
}

Config Parse(std::string_view text) {
  Config config;
  std::string error;
  EXPECT_TRUE(ParseConfigText(text, "test.conf", &config, &error)) << error;
  return config;
}

std::string Get(const Config& config, std::string_view name) {
  const Pairs pairs = ConfigGet(config, name);
  EXPECT_EQ(pairs.size(), 1u) << name;
  return pairs.empty() ? "" : pairs[0].second;
}

// A temporary directory removed at the end of the test.
using shale::test_util::TempDir;

bool Load(const std::vector<std::string>& args, Config* config, std::string* error) {
  std::vector<const char*> argv = {"shale-server"};
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return LoadConfig(static_cast<int>(argv.size()), argv.data(), config, error);
}

std::string SetError(Config* config, const std::vector<std::string_view>& name_values) {
  std::string error;
  const Config before = *config;
  EXPECT_FALSE(ConfigSet(config, name_values, &error, nullptr));
  EXPECT_EQ(*config, before) << "a failed CONFIG SET must change nothing";
  return error;
}

TEST(ConfigTest, Defaults) {
  const Config config;
  EXPECT_EQ(config.bind, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(config.port, 6379);
  EXPECT_EQ(config.appendfsync, AppendFsync::kEverySec);
  EXPECT_EQ(config.loglevel, LogLevel::kNotice);
  const Pairs expected = {
      {"bind", "127.0.0.1"},
      {"protected-mode", "yes"},
      {"enable-debug-command", "no"},
      {"port", "6379"},
      {"tcp-backlog", "511"},
      {"timeout", "0"},
      {"tcp-keepalive", "300"},
      {"tls-port", "0"},
      {"tls-cert-file", ""},
      {"tls-key-file", ""},
      {"tls-key-file-pass", ""},
      {"tls-ca-cert-file", ""},
      {"tls-ca-cert-dir", ""},
      {"tls-dh-params-file", ""},
      {"tls-auth-clients", "yes"},
      {"tls-protocols", ""},
      {"tls-ciphers", ""},
      {"tls-ciphersuites", ""},
      {"tls-prefer-server-ciphers", "no"},
      {"tls-session-caching", "yes"},
      {"tls-session-cache-size", "20480"},
      {"tls-session-cache-timeout", "300"},
      {"maxclients", "10000"},
      {"proto-max-bulk-len", "536870912"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"min-replicas-to-write", "0"},
      {"min-slaves-to-write", "0"},
      {"min-replicas-max-lag", "10"},
      {"min-slaves-max-lag", "10"},
      {"repl-ping-replica-period", "10"},
      {"repl-ping-slave-period", "10"},
      {"repl-backlog-size", "1048576"},
      {"repl-backlog-ttl", "3600"},
      {"repl-timeout", "60"},
      {"replicaof", ""},
      {"slaveof", ""},
      {"masterauth", ""},
      {"masteruser", ""},
      {"replica-read-only", "yes"},
      {"slave-read-only", "yes"},
      {"replica-serve-stale-data", "yes"},
      {"slave-serve-stale-data", "yes"},
      {"client-query-buffer-limit", "1073741824"},
      {"client-output-buffer-limit",
       "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
      {"requirepass", ""},
      {"aclfile", ""},
      {"acllog-max-len", "128"},
      {"dir", "./data"},
      {"databases", "16"},
      {"shards", "0"},
      {"appendfsync", "everysec"},
      {"wal-recovery-mode", "tolerate-corrupted-tail-records"},
      {"memtable-size", "67108864"},
      {"compression", "lz4"},
      {"bloom-bits-per-key", "10"},
      {"block-cache-size", "268435456"},
      {"compaction-bucket-low", "0.5"},
      {"compaction-bucket-high", "1.5"},
      {"compaction-min-sstable-size", "52428800"},
      {"compaction-min-threshold", "4"},
      {"compaction-max-threshold", "32"},
      {"compaction-tombstone-threshold", "0.2"},
      {"compaction-tombstone-min-age", "600"},
      {"compaction-throughput", "0"},
      {"write-slowdown-tables", "24"},
      {"write-stop-tables", "48"},
      {"write-stop-immutable-memtables", "4"},
      {"loglevel", "notice"},
      {"logfile", ""},
      {"pidfile", ""},
      {"hz", "10"},
      {"slowlog-log-slower-than", "10000"},
      {"slowlog-max-len", "128"},
      {"latency-monitor-threshold", "0"},
      {"busy-reply-threshold", "5000"},
      {"lua-time-limit", "5000"},
      {"notify-keyspace-events", ""},
      {"hash-max-listpack-entries", "512"},
      {"hash-max-ziplist-entries", "512"},
      {"hash-max-listpack-value", "64"},
      {"hash-max-ziplist-value", "64"},
      {"set-max-intset-entries", "512"},
      {"zset-max-listpack-entries", "128"},
      {"zset-max-ziplist-entries", "128"},
      {"zset-max-listpack-value", "64"},
      {"zset-max-ziplist-value", "64"},
      {"save", ""},
      {"appendonly", "yes"},
  };
  EXPECT_EQ(ConfigGet(config, "*"), expected);
}

// replicaof <host> <port> / no one (slaveof as its alias): the primary to follow from start-up.
TEST(ConfigTest, ReplicaOf) {
  const Config config = Parse("replicaof 10.0.0.1 6380");
  EXPECT_EQ(config.replicaof_host, "10.0.0.1");
  EXPECT_EQ(config.replicaof_port, 6380);
  EXPECT_TRUE(Parse("slaveof 10.0.0.1 6380\nreplicaof no one").replicaof_host.empty());
  EXPECT_EQ(Reason("replicaof 10.0.0.1 port"), "Invalid master port");
  EXPECT_EQ(Reason("replicaof 10.0.0.1"), "wrong number of arguments");
  EXPECT_FALSE(FindConfigSetting("replicaof")->mutable_at_runtime);
  EXPECT_EQ(FindConfigSetting("replicaof")->print(config), "10.0.0.1 6380");
  // What CONFIG REWRITE writes for "none" reads back as none.
  const std::string rewritten = RewriteConfigText("replicaof 1.2.3.4 5\n", Config{});
  EXPECT_TRUE(Parse(rewritten).replicaof_host.empty()) << rewritten;
}

TEST(ConfigTest, TableHasOneRowPerSetting) {
  const std::vector<ConfigSetting>& table = ConfigTable();
  EXPECT_EQ(table.size(), 78u);
  for (const ConfigSetting& setting : table) {
    EXPECT_EQ(FindConfigSetting(setting.name), &setting);
    EXPECT_TRUE(setting.parse);
    EXPECT_TRUE(setting.print);
  }
  EXPECT_EQ(FindConfigSetting("PORT"), FindConfigSetting("port"));
  EXPECT_EQ(FindConfigSetting("Client-Output-Buffer-Limit")->name, "client-output-buffer-limit");
  EXPECT_EQ(FindConfigSetting("nosuch"), nullptr);
  EXPECT_TRUE(FindConfigSetting("bind")->multi_arg);
  EXPECT_TRUE(FindConfigSetting("client-output-buffer-limit")->multi_arg);
  EXPECT_FALSE(FindConfigSetting("requirepass")->multi_arg);
}

TEST(ConfigTest, ProtectedModeIsAYesNoSwitch) {
  EXPECT_TRUE(Config{}.protected_mode);
  EXPECT_FALSE(Parse("protected-mode no").protected_mode);
  EXPECT_FALSE(Parse("protected-mode NO").protected_mode);
  EXPECT_TRUE(Parse("protected-mode no\nprotected-mode Yes").protected_mode);
  EXPECT_EQ(Reason("protected-mode maybe"), "argument must be 'yes' or 'no'");
  EXPECT_EQ(Reason("protected-mode yes no"), "wrong number of arguments");
  EXPECT_TRUE(FindConfigSetting("protected-mode")->mutable_at_runtime);
  Config config;
  std::string error;
  ASSERT_TRUE(ConfigSet(&config, {"protected-mode", "no"}, &error, nullptr)) << error;
  EXPECT_FALSE(config.protected_mode);
  EXPECT_EQ(ConfigGet(config, "protected-mode"), (Pairs{{"protected-mode", "no"}}));
}

TEST(ConfigTest, FullErrorMessage) {
  EXPECT_EQ(ParseError("# comment\nport 1\nport \"abc\"\n"),
            FileError(3, "port \"abc\"", "argument couldn't be parsed into an integer"));
  // The line is shown trimmed of surrounding blanks.
  EXPECT_EQ(ParseError("  port 99999\t\r\n"),
            FileError(1, "port 99999", "argument must be between 0 and 65535 inclusive"));
  // Without a source name the wording is Redis's own.
  Config config;
  std::string error;
  EXPECT_FALSE(ParseConfigText("\nport x", "", &config, &error));
  EXPECT_EQ(error,
            "*** FATAL CONFIG FILE ERROR (Shale) ***\n"
            "Reading the configuration file, at line 2\n"
            ">>> 'port x'\n"
            "argument couldn't be parsed into an integer");
}

TEST(ConfigTest, Integers) {
  EXPECT_EQ(Parse("port 7000").port, 7000);
  EXPECT_EQ(Parse("port 0").port, 0);
  EXPECT_EQ(Parse("port 65535").port, 65535);
  EXPECT_EQ(Parse("tcp-backlog 1024").tcp_backlog, 1024);
  EXPECT_EQ(Parse("timeout 30").timeout, 30);
  EXPECT_EQ(Parse("tcp-keepalive 0").tcp_keepalive, 0);
  EXPECT_EQ(Parse("maxclients 4294967295").maxclients, 4294967295);
  EXPECT_EQ(Parse("shards 1024").shards, 1024);

  const std::string kNotInteger = "argument couldn't be parsed into an integer";
  EXPECT_EQ(Reason("port abc"), kNotInteger);
  EXPECT_EQ(Reason("port 12ab"), kNotInteger);
  EXPECT_EQ(Reason("port +80"), kNotInteger);
  EXPECT_EQ(Reason("port 080"), kNotInteger);
  EXPECT_EQ(Reason("port ' 80'"), kNotInteger);
  EXPECT_EQ(Reason("port ''"), kNotInteger);
  EXPECT_EQ(Reason("port 1.5"), kNotInteger);
  EXPECT_EQ(Reason("port 1k"), kNotInteger);
  EXPECT_EQ(Reason("timeout 99999999999999999999"), kNotInteger);

  EXPECT_EQ(Reason("port 65536"), "argument must be between 0 and 65535 inclusive");
  EXPECT_EQ(Reason("port -1"), "argument must be between 0 and 65535 inclusive");
  EXPECT_EQ(Reason("tcp-backlog -1"), "argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(Reason("timeout -1"), "argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(Reason("tcp-keepalive 2147483648"),
            "argument must be between 0 and 2147483647 inclusive");
  EXPECT_EQ(Reason("maxclients 0"), "argument must be between 1 and 4294967295 inclusive");
  EXPECT_EQ(Reason("shards 1025"), "argument must be between 0 and 1024 inclusive");
  EXPECT_EQ(Reason("shards -1"), "argument must be between 0 and 1024 inclusive");
}

// The keyspace's record format holds kMaxDatabases databases (server/keyspace/format.h): a
// larger setting would be accepted here and refused when the data directory is opened.
TEST(ConfigTest, DatabasesIsBoundedByTheKeyspaceFormat) {
  const std::string max = std::to_string(keyspace::kMaxDatabases);
  const std::string bounds = "argument must be between 1 and " + max + " inclusive";
  EXPECT_EQ(Parse("databases " + max).databases, keyspace::kMaxDatabases);
  EXPECT_EQ(Reason("databases 0"), bounds);
  EXPECT_EQ(Reason("databases " + std::to_string(keyspace::kMaxDatabases + 1)), bounds);
}

TEST(ConfigTest, MemoryUnits) {
  EXPECT_EQ(Parse("proto-max-bulk-len 2097152").proto_max_bulk_len, 2097152);
  EXPECT_EQ(Parse("proto-max-bulk-len 2097152b").proto_max_bulk_len, 2097152);
  EXPECT_EQ(Parse("proto-max-bulk-len 2000k").proto_max_bulk_len, 2000 * 1000);
  EXPECT_EQ(Parse("proto-max-bulk-len 2000kb").proto_max_bulk_len, 2000 * 1024);
  EXPECT_EQ(Parse("proto-max-bulk-len 2m").proto_max_bulk_len, 2 * 1000 * 1000);
  EXPECT_EQ(Parse("proto-max-bulk-len 2mb").proto_max_bulk_len, 2 * 1024 * 1024);
  EXPECT_EQ(Parse("proto-max-bulk-len 3g").proto_max_bulk_len, 3LL * 1000 * 1000 * 1000);
  EXPECT_EQ(Parse("proto-max-bulk-len 3gb").proto_max_bulk_len, 3LL * 1024 * 1024 * 1024);
  EXPECT_EQ(Parse("proto-max-bulk-len 3GB").proto_max_bulk_len, 3LL * 1024 * 1024 * 1024);
  EXPECT_EQ(Parse("proto-max-bulk-len 2Mb").proto_max_bulk_len, 2 * 1024 * 1024);
  EXPECT_EQ(Parse("client-query-buffer-limit 1mb").client_query_buffer_limit, 1048576);
  // A command must fit one WAL record (u32 length): 4 GiB - 1 MiB at most.
  EXPECT_EQ(Parse("proto-max-bulk-len 4094mb").proto_max_bulk_len, 4094LL << 20);
  EXPECT_EQ(Reason("proto-max-bulk-len 4095mb"),
            "argument must be between 1048576 and 4293918719 inclusive");
  EXPECT_EQ(Reason("proto-max-bulk-len 4gb"),
            "argument must be between 1048576 and 4293918719 inclusive");
  EXPECT_EQ(Reason("client-query-buffer-limit 5gb"),
            "argument must be between 1048576 and 4293918719 inclusive");
  EXPECT_EQ(Parse("client-query-buffer-limit 001mb").client_query_buffer_limit, 1048576);
  // CONFIG GET prints plain bytes.
  EXPECT_EQ(Get(Parse("proto-max-bulk-len 2gb"), "proto-max-bulk-len"), "2147483648");

  const std::string kNotMemory = "argument must be a memory value";
  EXPECT_EQ(Reason("proto-max-bulk-len abc"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len 5tb"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len 5 mb"), "wrong number of arguments");
  EXPECT_EQ(Reason("proto-max-bulk-len '5 mb'"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len -5mb"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len 1.5mb"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len 99999999999999999999"), kNotMemory);
  EXPECT_EQ(Reason("proto-max-bulk-len 99999999999gb"), kNotMemory);

  const std::string kBounds = "argument must be between 1048576 and 4293918719 inclusive";
  EXPECT_EQ(Reason("proto-max-bulk-len 1m"), kBounds);  // 1m is 1000000 bytes
  EXPECT_EQ(Reason("proto-max-bulk-len 0"), kBounds);
  EXPECT_EQ(Reason("proto-max-bulk-len 9223372036854775808"), kBounds);
  EXPECT_EQ(Reason("client-query-buffer-limit 1048575"), kBounds);
}

TEST(ConfigTest, Fractions) {
  EXPECT_DOUBLE_EQ(Parse("compaction-bucket-low 0.25").compaction_bucket_low, 0.25);
  EXPECT_DOUBLE_EQ(Parse("compaction-bucket-high 2").compaction_bucket_high, 2.0);
  EXPECT_DOUBLE_EQ(Parse("compaction-tombstone-threshold 0").compaction_tombstone_threshold, 0.0);
  EXPECT_EQ(Get(Parse("compaction-bucket-low 0.25"), "compaction-bucket-low"), "0.25");
  const std::string kNotNumber = "argument couldn't be parsed into a number";
  EXPECT_EQ(Reason("compaction-bucket-low abc"), kNotNumber);
  EXPECT_EQ(Reason("compaction-bucket-low 0.5x"), kNotNumber);
  EXPECT_EQ(Reason("compaction-bucket-low ''"), kNotNumber);
  EXPECT_EQ(Reason("compaction-bucket-low nan"), kNotNumber);
  EXPECT_EQ(Reason("compaction-bucket-low 1.5"), "argument must be between 0.01 and 1 inclusive");
  EXPECT_EQ(Reason("compaction-tombstone-threshold -0.1"),
            "argument must be between 0 and 1 inclusive");
}

TEST(ConfigTest, Enums) {
  EXPECT_EQ(Parse("appendfsync always").appendfsync, AppendFsync::kAlways);
  EXPECT_EQ(Parse("appendfsync no").appendfsync, AppendFsync::kNo);
  EXPECT_EQ(Parse("appendfsync EverySec").appendfsync, AppendFsync::kEverySec);
  EXPECT_EQ(Parse("loglevel debug").loglevel, LogLevel::kDebug);
  EXPECT_EQ(Parse("loglevel verbose").loglevel, LogLevel::kVerbose);
  EXPECT_EQ(Parse("loglevel WARNING").loglevel, LogLevel::kWarning);
  EXPECT_EQ(Parse("loglevel nothing").loglevel, LogLevel::kNothing);
  EXPECT_EQ(Parse("wal-recovery-mode Point-In-Time").wal_recovery_mode, "point-in-time");
  EXPECT_EQ(Parse("wal-recovery-mode absolute-consistency").wal_recovery_mode,
            "absolute-consistency");
  EXPECT_EQ(Parse("wal-recovery-mode skip-any-corrupted").wal_recovery_mode, "skip-any-corrupted");
  // CONFIG GET prints the canonical spelling.
  EXPECT_EQ(Get(Parse("appendfsync ALWAYS"), "appendfsync"), "always");
  EXPECT_EQ(Get(Parse("loglevel Verbose"), "loglevel"), "verbose");

  EXPECT_EQ(Reason("appendfsync sometimes"),
            "argument(s) must be one of the following: everysec, always, no");
  EXPECT_EQ(Reason("loglevel loud"),
            "argument(s) must be one of the following: debug, verbose, notice, warning, nothing");
  EXPECT_EQ(Reason("wal-recovery-mode best-effort"),
            "argument(s) must be one of the following: tolerate-corrupted-tail-records, "
            "absolute-consistency, point-in-time, skip-any-corrupted");
  EXPECT_EQ(Reason("appendfsync ''"),
            "argument(s) must be one of the following: everysec, always, no");
  EXPECT_EQ(Reason("appendfsync always no"), "wrong number of arguments");

  EXPECT_EQ(AppendFsyncName(AppendFsync::kAlways), "always");
  EXPECT_EQ(AppendFsyncName(AppendFsync::kEverySec), "everysec");
  EXPECT_EQ(AppendFsyncName(AppendFsync::kNo), "no");
  EXPECT_EQ(LogLevelName(LogLevel::kDebug), "debug");
  EXPECT_EQ(LogLevelName(LogLevel::kVerbose), "verbose");
  EXPECT_EQ(LogLevelName(LogLevel::kNotice), "notice");
  EXPECT_EQ(LogLevelName(LogLevel::kWarning), "warning");
  EXPECT_EQ(LogLevelName(LogLevel::kNothing), "nothing");
}

TEST(ConfigTest, Strings) {
  EXPECT_EQ(Parse("requirepass secret").requirepass, "secret");
  EXPECT_EQ(Parse("requirepass \"with space\"").requirepass, "with space");
  EXPECT_EQ(Parse("requirepass 'single # quoted'").requirepass, "single # quoted");
  EXPECT_EQ(Parse("requirepass \"\"").requirepass, "");
  EXPECT_EQ(Parse("dir /var/lib/shale").dir, "/var/lib/shale");
  EXPECT_EQ(Parse("logfile \"/tmp/shale log.txt\"").logfile, "/tmp/shale log.txt");
  EXPECT_EQ(Parse("pidfile /run/shale.pid").pidfile, "/run/shale.pid");
  EXPECT_EQ(Get(Parse("requirepass \"a b\""), "requirepass"), "a b");
  EXPECT_EQ(Reason("requirepass"), "wrong number of arguments");
  EXPECT_EQ(Reason("requirepass a b"), "wrong number of arguments");
  EXPECT_EQ(Reason("dir"), "wrong number of arguments");
}

TEST(ConfigTest, Bind) {
  EXPECT_EQ(Parse("bind 0.0.0.0").bind, std::vector<std::string>{"0.0.0.0"});
  EXPECT_EQ(Parse("bind 127.0.0.1 ::1").bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(Get(Parse("bind 127.0.0.1 -::1"), "bind"), "127.0.0.1 -::1");
  // A later line replaces the list.
  EXPECT_EQ(Parse("bind 10.0.0.1 10.0.0.2\nbind ::1").bind, std::vector<std::string>{"::1"});
  EXPECT_EQ(Reason("bind"), "wrong number of arguments");
  EXPECT_EQ(Reason("bind \"\""), "wrong number of arguments");
  EXPECT_EQ(Reason("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"),
            "Too many bind addresses specified.");
  EXPECT_EQ(Parse("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16").bind.size(), 16u);
}

TEST(ConfigTest, ClientOutputBufferLimit) {
  Config config = Parse("client-output-buffer-limit normal 1mb 512kb 30");
  EXPECT_EQ(config.client_output_buffer_limit_normal.hard_bytes, 1048576u);
  EXPECT_EQ(config.client_output_buffer_limit_normal.soft_bytes, 524288u);
  EXPECT_EQ(config.client_output_buffer_limit_normal.soft_seconds, 30u);
  EXPECT_EQ(Get(config, "client-output-buffer-limit"),
            "normal 1048576 524288 30 slave 268435456 67108864 60 pubsub 33554432 8388608 60");

  // Several classes on one line, a class named twice taking its last value; replica and slave
  // are one class.
  config = Parse(
      "client-output-buffer-limit replica 1gb 1gb 0 NORMAL 100 200 3 pubsub 1 2 3 slave 4 5 6");
  EXPECT_EQ(config.client_output_buffer_limit_normal, (OutputBufferLimit{100, 200, 3}));
  EXPECT_EQ(config.client_output_buffer_limit_pubsub, (OutputBufferLimit{1, 2, 3}));
  EXPECT_EQ(config.client_output_buffer_limit_replica, (OutputBufferLimit{4, 5, 6}));
  EXPECT_EQ(Get(config, "client-output-buffer-limit"), "normal 100 200 3 slave 4 5 6 pubsub 1 2 3");
  // A class not named keeps its limits.
  config = Parse("client-output-buffer-limit pubsub 1mb 1kb 5");
  EXPECT_EQ(config.client_output_buffer_limit_normal, OutputBufferLimit{});
  EXPECT_EQ(config.client_output_buffer_limit_pubsub, (OutputBufferLimit{1048576, 1024, 5}));
  EXPECT_EQ(config.client_output_buffer_limit_replica,
            (OutputBufferLimit{256ULL << 20, 64ULL << 20, 60}));
  // Lines add up class by class.
  config = Parse(
      "client-output-buffer-limit normal 1 2 3\nclient-output-buffer-limit pubsub 32mb 8mb 60");
  EXPECT_EQ(config.client_output_buffer_limit_normal, (OutputBufferLimit{1, 2, 3}));

  EXPECT_EQ(Reason("client-output-buffer-limit normal 0 0"),
            "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(Reason("client-output-buffer-limit master 0 0 0"),
            "Invalid client class specified in buffer limit configuration.");
  EXPECT_EQ(Reason("client-output-buffer-limit normal 0 0 0 bogus 0 0 0"),
            "Invalid client class specified in buffer limit configuration.");
  const std::string kBadValue =
      "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
  EXPECT_EQ(Reason("client-output-buffer-limit normal x 0 0"), kBadValue);
  EXPECT_EQ(Reason("client-output-buffer-limit normal 0 -1 0"), kBadValue);
  EXPECT_EQ(Reason("client-output-buffer-limit normal 0 0 -1"), kBadValue);
  EXPECT_EQ(Reason("client-output-buffer-limit normal 0 0 1s"), kBadValue);
  // A bad class anywhere leaves the normal class untouched.
  Config unchanged;
  EXPECT_NE(ParseError("client-output-buffer-limit normal 1 1 1 pubsub 1 1 x", &unchanged), "");
  EXPECT_EQ(unchanged.client_output_buffer_limit_normal, OutputBufferLimit{});
  EXPECT_EQ(unchanged, Config{});
}

TEST(ConfigTest, ClientOutputBufferLimitRoundTrip) {
  const Config original = Parse("client-output-buffer-limit normal 64mb 16mb 120");
  const std::string printed = Get(original, "client-output-buffer-limit");
  // What CONFIG GET prints is accepted back, by the file parser and by CONFIG SET.
  const Config reparsed = Parse("client-output-buffer-limit " + printed);
  EXPECT_EQ(reparsed, original);
  Config set;
  std::string error;
  ASSERT_TRUE(ConfigSet(&set, {"client-output-buffer-limit", printed}, &error, nullptr)) << error;
  EXPECT_EQ(set, original);
  EXPECT_EQ(Get(set, "client-output-buffer-limit"), printed);
}

TEST(ConfigTest, NotifyKeyspaceEvents) {
  EXPECT_EQ(Parse("notify-keyspace-events KEA").notify_keyspace_events,
            static_cast<uint32_t>(kNotifyKeyspace | kNotifyKeyevent | kNotifyAll));
  EXPECT_EQ(Parse("notify-keyspace-events \"\"").notify_keyspace_events, 0u);
  // CONFIG GET prints Redis's canonical order.
  EXPECT_EQ(Get(Parse("notify-keyspace-events Elg"), "notify-keyspace-events"), "glE");
  EXPECT_EQ(Get(Parse("notify-keyspace-events KA"), "notify-keyspace-events"), "AK");
  EXPECT_EQ(Reason("notify-keyspace-events KQ"),
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(Reason("notify-keyspace-events K E"), "wrong number of arguments");
  Config config;
  std::string error;
  ASSERT_TRUE(ConfigSet(&config, {"notify-keyspace-events", "$Kx"}, &error, nullptr)) << error;
  EXPECT_EQ(Get(config, "notify-keyspace-events"), "$xK");
  EXPECT_FALSE(ConfigSet(&config, {"notify-keyspace-events", "y"}, &error, nullptr));
  EXPECT_EQ(error,
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - "
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  EXPECT_EQ(Get(config, "notify-keyspace-events"), "$xK");
}

TEST(ConfigTest, DirectiveErrors) {
  EXPECT_EQ(ParseError("port 1\nnosuch-setting yes\n"),
            FileError(2, "nosuch-setting yes", "Bad directive or wrong number of arguments"));
  EXPECT_EQ(Reason("port"), "wrong number of arguments");
  EXPECT_EQ(Reason("port 1 2"), "wrong number of arguments");
  EXPECT_EQ(ParseError("requirepass \"unterminated"),
            FileError(1, "requirepass \"unterminated", "Unbalanced quotes in configuration line"));
  EXPECT_EQ(Reason("requirepass \"a\"b"), "Unbalanced quotes in configuration line");
  // Names are case-insensitive.
  EXPECT_EQ(Parse("PORT 1234").port, 1234);
  EXPECT_EQ(Parse("Tcp-KeepAlive 5").tcp_keepalive, 5);
}

TEST(ConfigTest, CommentsAndBlankLines) {
  const Config config = Parse(
      "# a comment\n"
      "\n"
      "   \t\n"
      "   # an indented comment\n"
      "port 1111\r\n"
      "\r\n"
      "  timeout   7  \n"
      "requirepass \"#not-a-comment\"\n"
      "# port 2222\n");
  EXPECT_EQ(config.port, 1111);
  EXPECT_EQ(config.timeout, 7);
  EXPECT_EQ(config.requirepass, "#not-a-comment");
  EXPECT_EQ(Parse("").port, 6379);
  EXPECT_EQ(Parse("\n\n\n").port, 6379);
  // Line numbers count comments and blank lines.
  EXPECT_EQ(ParseError("# one\n\n# three\n\nport x\n"),
            FileError(5, "port x", "argument couldn't be parsed into an integer"));
}

TEST(ConfigTest, UserLinesDeclareAclUsers) {
  Config config;
  std::string error;
  ASSERT_TRUE(
      ParseConfigText("user alice on >pw ~*\nport 7000\nUSER bob off\n", "", &config, &error))
      << error;
  EXPECT_EQ(config.users,
            (std::vector<std::vector<std::string>>{{"alice", "on", ">pw", "~*"}, {"bob", "off"}}));
  EXPECT_EQ(config.port, 7000);
  EXPECT_FALSE(ParseConfigText("user\n", "", &config, &error));
  EXPECT_NE(error.find("wrong number of arguments"), std::string::npos) << error;
}

TEST(ConfigTest, LaterLinesWin) {
  const Config config = Parse("port 1\nport 2\nloglevel debug\nloglevel warning\n");
  EXPECT_EQ(config.port, 2);
  EXPECT_EQ(config.loglevel, LogLevel::kWarning);
}

TEST(SplitConfigLineTest, Words) {
  std::vector<std::string> words;
  ASSERT_TRUE(SplitConfigLine("  set  key\tvalue  ", &words));
  EXPECT_EQ(words, (std::vector<std::string>{"set", "key", "value"}));
  ASSERT_TRUE(SplitConfigLine("", &words));
  EXPECT_TRUE(words.empty());
  ASSERT_TRUE(SplitConfigLine("   ", &words));
  EXPECT_TRUE(words.empty());
}

TEST(SplitConfigLineTest, DoubleQuotes) {
  std::vector<std::string> words;
  ASSERT_TRUE(SplitConfigLine(R"(a "b c" "" "\n\r\t\b\a" "\x41\x7a" "\"\\" "\q" "\xZZ")", &words));
  EXPECT_EQ(words,
            (std::vector<std::string>{"a", "b c", "", "\n\r\t\b\a", "Az", "\"\\", "q", "xZZ"}));
  // A quote may start inside a word.
  ASSERT_TRUE(SplitConfigLine(R"(ab"c d")", &words));
  EXPECT_EQ(words, std::vector<std::string>{"abc d"});
  ASSERT_TRUE(SplitConfigLine(R"("\x00")", &words));
  EXPECT_EQ(words, std::vector<std::string>{std::string(1, '\0')});
  // A closing quote must end the word; a quote must be closed.
  EXPECT_FALSE(SplitConfigLine(R"("ab"c)", &words));
  EXPECT_FALSE(SplitConfigLine(R"("abc)", &words));
  EXPECT_FALSE(SplitConfigLine(R"("abc\")", &words));
}

TEST(SplitConfigLineTest, SingleQuotes) {
  std::vector<std::string> words;
  ASSERT_TRUE(SplitConfigLine(R"('a b' 'it\'s' '\n' '')", &words));
  EXPECT_EQ(words, (std::vector<std::string>{"a b", "it's", "\\n", ""}));
  EXPECT_FALSE(SplitConfigLine(R"('ab'c)", &words));
  EXPECT_FALSE(SplitConfigLine(R"('abc)", &words));
}

TEST(LoadConfigTest, FileThenOverrides) {
  TempDir dir;
  const std::string path = dir.Write("shale.conf", "port 6000\ntimeout 5\nloglevel debug\n");
  Config config;
  std::string error;
  ASSERT_TRUE(Load({path, "--port", "7000", "--bind", "127.0.0.1", "::1", "--loglevel", "warning"},
                   &config, &error))
      << error;
  EXPECT_EQ(config.port, 7000);  // the command line wins over the file
  EXPECT_EQ(config.timeout, 5);  // the file's value stays where not overridden
  EXPECT_EQ(config.bind, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(config.loglevel, LogLevel::kWarning);
}

TEST(LoadConfigTest, OverridesOnly) {
  Config config;
  std::string error;
  ASSERT_TRUE(Load({"--port", "7001", "--databases", "4"}, &config, &error)) << error;
  EXPECT_EQ(config.port, 7001);
  EXPECT_EQ(config.databases, 4);
  Config untouched;
  ASSERT_TRUE(Load({}, &untouched, &error)) << error;
  EXPECT_EQ(untouched, Config{});
}

TEST(LoadConfigTest, NameAndValueInOneArgument) {
  Config config;
  std::string error;
  ASSERT_TRUE(Load({"--port 7002", "--timeout", "9"}, &config, &error)) << error;
  EXPECT_EQ(config.port, 7002);
  EXPECT_EQ(config.timeout, 9);
}

TEST(LoadConfigTest, ValuesArePassedVerbatim) {
  Config config;
  std::string error;
  // A value is quoted on its way into the config text, so spaces, quotes, escapes and a
  // leading "--" survive; a name without a value takes the next argument as its value.
  ASSERT_TRUE(
      Load({"--requirepass", "--not-an-option", "--dir", "a \"b\" \\c\n'd'"}, &config, &error))
      << error;
  EXPECT_EQ(config.requirepass, "--not-an-option");
  EXPECT_EQ(config.dir, "a \"b\" \\c\n'd'");
  ASSERT_TRUE(Load({"--requirepass", ""}, &config, &error)) << error;
  EXPECT_EQ(config.requirepass, "");
}

TEST(LoadConfigTest, ErrorLineNumbers) {
  TempDir dir;
  const std::string path = dir.Write("three.conf", "port 1\n# two\ntimeout 3\n");
  Config config;
  std::string error;
  // An error in the file names the file and its line.
  const std::string bad = dir.Write("bad.conf", "port 1\n\ndatabases 0\n");
  ASSERT_FALSE(Load({bad}, &config, &error));
  EXPECT_EQ(error,
            "*** FATAL CONFIG FILE ERROR (Shale) ***\n"
            "Reading the configuration file '" +
                bad +
                "', at line 3\n"
                ">>> 'databases 0'\n"
                "argument must be between 1 and 16384 inclusive");
  // Overrides follow the file's three lines and its final empty line, one line each.
  ASSERT_FALSE(Load({path, "--timeout", "4", "--port", "abc"}, &config, &error));
  EXPECT_EQ(error,
            "*** FATAL CONFIG FILE ERROR (Shale) ***\n"
            "Reading the configuration file '" +
                path +
                "', at line 6\n"
                ">>> 'port \"abc\"'\n"
                "argument couldn't be parsed into an integer");
  // Without a file the overrides start at line 2.
  ASSERT_FALSE(Load({"--port", "1", "--nosuch", "x"}, &config, &error));
  EXPECT_EQ(error,
            "*** FATAL CONFIG FILE ERROR (Shale) ***\n"
            "Reading the configuration file, at line 3\n"
            ">>> 'nosuch \"x\"'\n"
            "Bad directive or wrong number of arguments");
  // A file without a final newline: the first override is the next line.
  const std::string no_newline = dir.Write("nonl.conf", "port 1");
  ASSERT_FALSE(Load({no_newline, "--port", "x"}, &config, &error));
  EXPECT_NE(error.find("at line 2\n>>> 'port \"x\"'"), std::string::npos) << error;
}

TEST(LoadConfigTest, ConfigFileMustComeFirst) {
  TempDir dir;
  const std::string path = dir.Write("shale.conf", "port 6000\n");
  Config config;
  std::string error;
  // After an option, a file name is just one more word of that option's value.
  ASSERT_FALSE(Load({"--port", "7000", path}, &config, &error));
  EXPECT_NE(error.find(">>> 'port \"7000\" \"" + path + "\"'\nwrong number of arguments"),
            std::string::npos)
      << error;
}

TEST(LoadConfigTest, MissingFile) {
  Config config;
  std::string error;
  ASSERT_FALSE(Load({"/nonexistent/shale.conf"}, &config, &error));
  EXPECT_EQ(error,
            "Fatal error, can't open config file '/nonexistent/shale.conf': No such file or "
            "directory");
}

TEST(ConfigGetTest, Patterns) {
  const Config config;
  auto names = [&](std::string_view pattern) {
    std::vector<std::string> result;
    for (const auto& [name, value] : ConfigGet(config, pattern)) result.push_back(name);
    return result;
  };
  EXPECT_EQ(names("*").size(), ConfigTable().size() + 11) << "and the 11 aliases";
  EXPECT_EQ(names("port"), std::vector<std::string>{"port"});
  EXPECT_EQ(names("t[ci]*"), (std::vector<std::string>{"tcp-backlog", "timeout", "tcp-keepalive"}));
  EXPECT_EQ(names("tls-*").size(), 15u);
  EXPECT_EQ(names("*max*").size(), 18u);
  EXPECT_EQ(names("*max*len"),
            (std::vector<std::string>{"proto-max-bulk-len", "acllog-max-len", "slowlog-max-len"}));
  EXPECT_EQ(names("[bp]*"),
            (std::vector<std::string>{"bind", "protected-mode", "port", "proto-max-bulk-len",
                                      "bloom-bits-per-key", "block-cache-size", "pidfile",
                                      "busy-reply-threshold"}));
  EXPECT_EQ(names("*file"),
            (std::vector<std::string>{"tls-cert-file", "tls-key-file", "tls-ca-cert-file",
                                      "tls-dh-params-file", "aclfile", "logfile", "pidfile"}));
  EXPECT_EQ(names("?ir"), std::vector<std::string>{"dir"});
  EXPECT_EQ(names("*BUFFER*"),
            (std::vector<std::string>{"client-query-buffer-limit", "client-output-buffer-limit"}));
  EXPECT_TRUE(names("nosuch").empty());
  EXPECT_TRUE(names("nosuch*").empty());
  EXPECT_TRUE(names("").empty());
  // A name without glob characters is answered as spelled, like Redis.
  EXPECT_EQ(ConfigGet(config, "PORT"), (Pairs{{"PORT", "6379"}}));
  EXPECT_EQ(ConfigGet(config, "Databases"), (Pairs{{"Databases", "16"}}));
}

TEST(ConfigGetTest, SeveralPatterns) {
  const Config config;
  EXPECT_EQ(
      ConfigGet(config, {"timeout", "port", "t[ci]*", "nosuch"}),
      (Pairs{
          {"port", "6379"}, {"tcp-backlog", "511"}, {"timeout", "0"}, {"tcp-keepalive", "300"}}));
  EXPECT_EQ(ConfigGet(config, std::vector<std::string_view>{"PORT", "port"}),
            (Pairs{{"PORT", "6379"}}));
  EXPECT_TRUE(ConfigGet(config, std::vector<std::string_view>{}).empty());
}

TEST(ConfigSetTest, SetsMutableSettings) {
  Config config;
  std::string error;
  std::vector<std::string> changed;
  ASSERT_TRUE(
      ConfigSet(&config,
                {"timeout", "30", "TCP-KEEPALIVE", "60", "maxclients", "50", "proto-max-bulk-len",
                 "2mb", "client-query-buffer-limit", "4mb", "client-output-buffer-limit",
                 "normal 10mb 5mb 60 pubsub 1 1 1", "requirepass", "s3cret pass", "appendfsync",
                 "always", "loglevel", "debug"},
                &error, &changed))
      << error;
  EXPECT_EQ(config.timeout, 30);
  EXPECT_EQ(config.tcp_keepalive, 60);
  EXPECT_EQ(config.maxclients, 50);
  EXPECT_EQ(config.proto_max_bulk_len, 2 * 1024 * 1024);
  EXPECT_EQ(config.client_query_buffer_limit, 4 * 1024 * 1024);
  EXPECT_EQ(config.client_output_buffer_limit_normal,
            (OutputBufferLimit{10 * 1024 * 1024, 5 * 1024 * 1024, 60}));
  EXPECT_EQ(config.requirepass, "s3cret pass");  // single-word values are not split
  EXPECT_EQ(config.appendfsync, AppendFsync::kAlways);
  EXPECT_EQ(config.loglevel, LogLevel::kDebug);
  EXPECT_EQ(changed, (std::vector<std::string>{"timeout", "tcp-keepalive", "maxclients",
                                               "proto-max-bulk-len", "client-query-buffer-limit",
                                               "client-output-buffer-limit", "requirepass",
                                               "appendfsync", "loglevel"}));
  ASSERT_TRUE(ConfigSet(&config, {"requirepass", ""}, &error, nullptr)) << error;
  EXPECT_EQ(config.requirepass, "");
}

TEST(ConfigSetTest, EveryMutableSettingAcceptsWhatConfigGetPrints) {
  for (const ConfigSetting& setting : ConfigTable()) {
    Config config;
    std::string error;
    const std::string value = setting.print(config);
    if (setting.mutable_at_runtime) {
      EXPECT_TRUE(ConfigSet(&config, {setting.name, value}, &error, nullptr))
          << setting.name << ": " << error;
      EXPECT_EQ(config, Config{});
    } else {
      EXPECT_EQ(SetError(&config, {setting.name, value}),
                "ERR CONFIG SET failed (possibly related to argument '" +
                    std::string(setting.name) + "') - can't set immutable config");
    }
  }
}

TEST(ConfigSetTest, Immutables) {
  Config config;
  for (const char* name : {"bind", "port", "tcp-backlog", "dir", "databases", "shards",
                           "wal-recovery-mode", "logfile", "pidfile"}) {
    EXPECT_FALSE(FindConfigSetting(name)->mutable_at_runtime) << name;
  }
  for (const char* name :
       {"timeout", "tcp-keepalive", "maxclients", "proto-max-bulk-len", "client-query-buffer-limit",
        "client-output-buffer-limit", "requirepass", "appendfsync", "loglevel"}) {
    EXPECT_TRUE(FindConfigSetting(name)->mutable_at_runtime) << name;
  }
  EXPECT_EQ(SetError(&config, {"Databases", "4"}),
            "ERR CONFIG SET failed (possibly related to argument 'Databases') - can't set "
            "immutable config");
}

TEST(ConfigSetTest, Errors) {
  Config config;
  EXPECT_EQ(SetError(&config, {"nosuch", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(SetError(&config, {"timeout", "abc"}),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't "
            "be parsed into an integer");
  // A value error names the setting canonically.
  EXPECT_EQ(SetError(&config, {"MAXCLIENTS", "0"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
  EXPECT_EQ(SetError(&config, {"proto-max-bulk-len", "1k"}),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - "
            "argument must be between 1048576 and 4293918719 inclusive");
  EXPECT_EQ(SetError(&config, {"client-query-buffer-limit", "lots"}),
            "ERR CONFIG SET failed (possibly related to argument 'client-query-buffer-limit') - "
            "argument must be a memory value");
  EXPECT_EQ(SetError(&config, {"appendfsync", "sometimes"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) "
            "must be one of the following: everysec, always, no");
  EXPECT_EQ(SetError(&config, {"loglevel", "debug verbose"}),
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must "
            "be one of the following: debug, verbose, notice, warning, nothing");
  EXPECT_EQ(SetError(&config, {"client-output-buffer-limit", "normal 0 0"}),
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
            "Wrong number of arguments in buffer limit configuration.");
  // Every space separates: a trailing space adds an empty word.
  EXPECT_EQ(SetError(&config, {"client-output-buffer-limit", "normal 0 0 0 "}),
            "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "
            "Wrong number of arguments in buffer limit configuration.");
  EXPECT_EQ(SetError(&config, {"timeout"}), "ERR syntax error");
  EXPECT_EQ(SetError(&config, {"timeout", "1", "port"}), "ERR syntax error");
  EXPECT_EQ(SetError(&config, {}), "ERR wrong number of arguments for 'config|set' command");
}

TEST(ConfigSetTest, AllOrNothing) {
  Config config;
  // The last value is bad: the earlier, valid ones are not applied either.
  EXPECT_EQ(SetError(&config, {"timeout", "10", "loglevel", "debug", "maxclients", "-5"}),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must "
            "be between 1 and 4294967295 inclusive");
  EXPECT_EQ(config.timeout, 0);
  EXPECT_EQ(config.loglevel, LogLevel::kNotice);
  // Names are checked before any value: an unknown or immutable name anywhere refuses all.
  EXPECT_EQ(SetError(&config, {"timeout", "10", "nosuch", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(SetError(&config, {"timeout", "bad", "port", "1"}),
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  // The first problem in argument order is the one reported.
  EXPECT_EQ(SetError(&config, {"port", "1", "nosuch", "1"}),
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
  EXPECT_EQ(SetError(&config, {"nosuch", "1", "port", "1"}),
            "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(config, Config{});
}

TEST(ConfigSetTest, DuplicatesAreRefused) {
  Config config;
  EXPECT_EQ(SetError(&config, {"timeout", "1", "timeout", "2"}),
            "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter");
  EXPECT_EQ(SetError(&config, {"loglevel", "debug", "timeout", "1", "LogLevel", "debug"}),
            "ERR CONFIG SET failed (possibly related to argument 'LogLevel') - duplicate "
            "parameter");
}

TEST(ConfigSetTest, SettingsShaleCannotChangeAcceptOnlyTheirValue) {
  Config config;
  EXPECT_EQ(SetError(&config, {"appendonly", "no"}),
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Shale always logs "
            "every write to its WAL: appendonly is always yes");
  EXPECT_EQ(SetError(&config, {"save", "3600 1"}),
            "ERR CONFIG SET failed (possibly related to argument 'save') - Shale takes no "
            "snapshots: every write is logged to its WAL before the reply, so save can only be "
            "\"\"");
  EXPECT_EQ(SetError(&config, {"slowlog-max-len", "5", "save", "1 1"}).substr(0, 15),
            "ERR CONFIG SET ");
  EXPECT_EQ(config, Config{});  // all or nothing
  Config file;
  std::string error;
  EXPECT_FALSE(ParseConfigText("save 900 1\n", "", &file, &error));
  EXPECT_TRUE(ParseConfigText("save \"\"\nappendonly YES\nhz 100\n", "", &file, &error)) << error;
  EXPECT_EQ(file.hz, 100);
}

// Redis's aliases: the old ziplist names set and read the listpack settings; CONFIG GET answers
// an exact name under the name asked for, and a pattern under every name it matches.
TEST(ConfigSetTest, AliasesNameTheSameSetting) {
  Config config;
  std::string error;
  std::vector<std::string> changed;
  ASSERT_TRUE(ConfigSet(&config, {"hash-max-ziplist-entries", "7"}, &error, &changed)) << error;
  EXPECT_EQ(config.hash_max_listpack_entries, 7);
  EXPECT_EQ(changed, std::vector<std::string>{"hash-max-listpack-entries"});
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ConfigGet(config, std::vector<std::string_view>{"HASH-MAX-ZIPLIST-ENTRIES"}),
            (Pairs{{"HASH-MAX-ZIPLIST-ENTRIES", "7"}}));
  EXPECT_EQ(ConfigGet(config, "hash-max-*-entries"),
            (Pairs{{"hash-max-listpack-entries", "7"}, {"hash-max-ziplist-entries", "7"}}));
  EXPECT_EQ(ConfigGet(config, "*ziplist-value"),
            (Pairs{{"hash-max-ziplist-value", "64"}, {"zset-max-ziplist-value", "64"}}));
  EXPECT_EQ(SetError(&config, {"zset-max-listpack-entries", "1", "zset-max-ziplist-entries", "2"}),
            "ERR CONFIG SET failed (possibly related to argument 'zset-max-ziplist-entries') - "
            "duplicate parameter");
  EXPECT_TRUE(ParseConfigText("zset-max-ziplist-value 10\n", "", &config, &error)) << error;
  EXPECT_EQ(config.zset_max_listpack_value, 10);
}

TEST(ConfigRewriteTest, RewritesInPlaceKeepingCommentsAndOrder) {
  Config config;
  config.port = 7000;
  config.timeout = 30;
  config.slowlog_max_len = 5;
  config.logfile = "/tmp/shale log";
  const std::string text =
      "# Shale\n"
      "port 6379\n"
      "\n"
      "  # indented comment\n"
      "unknown-setting 1 2\n"
      "TIMEOUT 0\n"
      "timeout 99\n"
      "loglevel notice";
  EXPECT_EQ(RewriteConfigText(text, config),
            "# Shale\n"
            "port 7000\n"
            "\n"
            "  # indented comment\n"
            "unknown-setting 1 2\n"
            "timeout 30\n"
            "loglevel notice\n"
            "# Generated by CONFIG REWRITE\n"
            "logfile \"/tmp/shale log\"\n"
            "slowlog-max-len 5\n");
  // Rewriting again changes nothing, and the file reads back as the config.
  const std::string once = RewriteConfigText(text, config);
  EXPECT_EQ(RewriteConfigText(once, config), once);
  std::string error;
  Config reread;
  const std::string known =
      "port 7000\ntimeout 30\nloglevel notice\nlogfile \"/tmp/shale log\"\n"
      "slowlog-max-len 5\n";
  ASSERT_TRUE(ParseConfigText(known, "", &reread, &error)) << error;
  EXPECT_EQ(reread, config);
  // Nothing to change: an empty file stays empty.
  EXPECT_EQ(RewriteConfigText("", Config{}), "");
}

TEST(ConfigRewriteTest, UserLinesBecomeTheCurrentUsers) {
  const Config config;
  const std::string text = "port 6379\nuser old on\n# kept\nuser old2 off\n";
  const std::vector<std::string> users = {"user a on ~* +@all",
                                          "user default on nopass ~* &* +@all"};
  EXPECT_EQ(RewriteConfigText(text, config, &users),
            "port 6379\nuser a on ~* +@all\nuser default on nopass ~* &* +@all\n# kept\n");
  EXPECT_EQ(RewriteConfigText(text, config), text) << "without users, the lines stay";
  EXPECT_EQ(RewriteConfigText("port 6379\n", config, &users),
            "port 6379\n# Generated by CONFIG REWRITE\nuser a on ~* +@all\nuser default on "
            "nopass ~* &* +@all\n");
}

TEST(ConfigRewriteTest, MultiWordAndEmptyValues) {
  Config config;
  config.bind = {"127.0.0.1", "::1"};
  config.requirepass = "";
  const std::string out = RewriteConfigText("bind 0.0.0.0\nrequirepass secret\n", config);
  EXPECT_EQ(out, "bind 127.0.0.1 ::1\nrequirepass \"\"\n");
  Config reread;
  std::string error;
  ASSERT_TRUE(ParseConfigText(out, "", &reread, &error)) << error;
  EXPECT_EQ(reread, config);
}

// The sample configuration must describe exactly the defaults (apart from being parseable
// and usable from the repository root).
TEST(ShippedConfigTest, YieldsTheDefaults) {
  const std::filesystem::path root =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  const std::filesystem::path conf = root / "conf" / "shale.conf";
  std::ifstream in(conf);
  ASSERT_TRUE(in) << "cannot open " << conf;
  std::stringstream text;
  text << in.rdbuf();

  Config config;
  std::string error;
  ASSERT_TRUE(ParseConfigText(text.str(), "conf/shale.conf", &config, &error)) << error;
  EXPECT_EQ(config, Config{});

  // Every setting is written out, not left to its default.
  for (const ConfigSetting& setting : ConfigTable()) {
    const std::string line_start = "\n" + std::string(setting.name) + " ";
    EXPECT_NE(text.str().find(line_start), std::string::npos)
        << setting.name << " has no uncommented line";
  }

  Config loaded;
  ASSERT_TRUE(Load({conf.string()}, &loaded, &error)) << error;
  EXPECT_EQ(loaded, Config{});
}

}  // namespace
}  // namespace shale::server
