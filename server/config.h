// The configuration: one table of settings (name, type, default, bounds, whether CONFIG SET
// may change it at run time) that the config-file parser, the command-line overrides,
// CONFIG GET/SET and INFO all read. Values live in the typed fields of Config; each table row
// knows how to parse, validate and print its field.
//
// File format (redis.conf): one `name value...` per line, `#` starts a comment line, values
// may be quoted ("..." with \n \t \xHH escapes, or '...'); names are case-insensitive.
// `user <name> <rule>...` lines are not settings: each defines an ACL user (Config::users) and
// may repeat.
// Memory values take Redis's units: 1k=1000 1kb=1024 1m 1mb 1g 1gb (case-insensitive).
// Booleans are yes/no.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shale::server {

enum class AppendFsync { kAlways, kEverySec, kNo };
enum class LogLevel { kDebug, kVerbose, kNotice, kWarning, kNothing };
// tls-auth-clients: whether a TLS client must present a certificate the CA signed (yes), may
// present one (optional: a bad one is refused, none is accepted), or is not asked (no).
enum class TlsAuthClients { kNo, kYes, kOptional };

// One class of Redis's client-output-buffer-limit ("normal 0 0 0"): 0 = no limit.
struct OutputBufferLimit {
  uint64_t hard_bytes = 0;
  uint64_t soft_bytes = 0;
  uint64_t soft_seconds = 0;

  friend bool operator==(const OutputBufferLimit&, const OutputBufferLimit&) = default;
};

struct Config {
  // Network
  std::vector<std::string> bind = {"127.0.0.1"};  // "bind 127.0.0.1 ::1"
  // Redis's protected mode: while no password is set (requirepass empty), connections from
  // any address but 127.0.0.1 and ::1 are refused with -DENIED.
  bool protected_mode = true;
  // Redis 7's enable-debug-command: DEBUG is refused ("no"), allowed ("yes") or allowed from
  // loopback clients only ("local").
  std::string enable_debug_command = "no";
  int port = 6379;
  int tcp_backlog = 511;
  int64_t timeout = 0;          // seconds idle before a client is closed; 0 = never
  int64_t tcp_keepalive = 300;  // seconds; 0 = off
  // TLS (server/tls.h), Redis's settings and defaults. tls_port 0 = no TLS listener; `port 0`
  // with a tls_port serves TLS only. File settings are paths; empty = not set.
  int tls_port = 0;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_file_pass;
  std::string tls_ca_cert_file;
  std::string tls_ca_cert_dir;
  std::string tls_dh_params_file;
  TlsAuthClients tls_auth_clients = TlsAuthClients::kYes;
  std::string tls_protocols;     // empty = "TLSv1.2 TLSv1.3"
  std::string tls_ciphers;       // TLSv1.2 and below; empty = OpenSSL's default
  std::string tls_ciphersuites;  // TLSv1.3; empty = OpenSSL's default
  bool tls_prefer_server_ciphers = false;
  bool tls_session_caching = true;
  int64_t tls_session_cache_size = 20480;   // sessions
  int64_t tls_session_cache_timeout = 300;  // seconds
  // Clients and limits
  int64_t maxclients = 10000;
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  // Redis's maxmemory with the noeviction policy: above it (Server::MemoryUsage's
  // counted_for_maxmemory), commands that may use more memory are refused. 0 = no limit.
  int64_t maxmemory = 0;
  // Redis's min-replicas-to-write / min-replicas-max-lag: writes are refused (NOREPLICAS) while
  // fewer than this many replicas are connected with their last ACK at most max-lag seconds
  // old. 0 = off.
  int64_t min_replicas_to_write = 0;
  int64_t min_replicas_max_lag = 10;
  // Replication (server/replication.h): the PING period of the stream, the backlog's size and
  // time to live without replicas (0 = kept forever), and how long a replica may go without
  // acknowledging before it is dropped.
  int64_t repl_ping_replica_period = 10;
  int64_t repl_backlog_size = 1024LL * 1024;
  int64_t repl_backlog_ttl = 3600;
  int64_t repl_timeout = 60;
  // `replicaof <host> <port>`: the primary to follow from start-up (REPLICAOF changes it at run
  // time, and CONFIG REWRITE keeps what it says). Empty host: none.
  std::string replicaof_host;
  int64_t replicaof_port = 0;
  // As a replica (REPLICAOF): the primary's password (and user) for AUTH, and whether other
  // clients' writes are refused (READONLY).
  std::string masterauth;
  std::string masteruser;
  bool replica_read_only = true;
  // While the link to the primary is down: serve the data as it is (yes), or answer MASTERDOWN
  // to every command not flagged stale (no).
  bool replica_serve_stale_data = true;
  int64_t client_query_buffer_limit = 1024LL * 1024 * 1024;
  // Redis's client classes and defaults: "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60".
  // The replica class applies to the connections of replicas (SYNC/PSYNC).
  OutputBufferLimit client_output_buffer_limit_normal;
  OutputBufferLimit client_output_buffer_limit_replica{256ULL << 20, 64ULL << 20, 60};
  OutputBufferLimit client_output_buffer_limit_pubsub{32ULL << 20, 8ULL << 20, 60};
  std::string requirepass;  // empty = no password; the default user's password (server/acl.h)
  // ACL users (server/acl.h): the config file's `user <name> <rules...>` lines (each the words
  // after "user"), or an ACL file that ACL LOAD and ACL SAVE read and write; not both.
  std::vector<std::vector<std::string>> users;
  std::string aclfile;           // empty = none
  int64_t acllog_max_len = 128;  // ACL LOG entries kept
  // Keyspace and storage
  std::string dir = "./data";
  int64_t databases = 16;
  int64_t shards = 0;  // 0 = number of cores
  AppendFsync appendfsync = AppendFsync::kEverySec;
  std::string wal_recovery_mode = "tolerate-corrupted-tail-records";
  // LSM tree
  int64_t memtable_size = 64LL * 1024 * 1024;  // a memtable this big is flushed to an SSTable
  std::string compression = "lz4";             // SSTable blocks: lz4 | none
  int64_t bloom_bits_per_key = 10;             // 0 = no bloom filters
  int64_t block_cache_size = 256LL * 1024 * 1024;
  // Size-tiered compaction (Cassandra's STCS) and write back-pressure
  double compaction_bucket_low = 0.5;
  double compaction_bucket_high = 1.5;
  int64_t compaction_min_sstable_size = 50LL * 1024 * 1024;
  int64_t compaction_min_threshold = 4;
  int64_t compaction_max_threshold = 32;
  double compaction_tombstone_threshold = 0.2;
  int64_t compaction_tombstone_min_age = 600;  // seconds
  int64_t compaction_throughput = 0;           // MB/s; 0 = unlimited
  int64_t write_slowdown_tables = 24;
  int64_t write_stop_tables = 48;
  int64_t write_stop_immutable_memtables = 4;
  // Logging and process
  LogLevel loglevel = LogLevel::kNotice;
  std::string logfile;  // empty = standard output
  std::string pidfile;  // empty = none
  // Monitoring (Redis's names and defaults)
  int64_t hz = 10;                          // cron runs per second, used clamped to 1..500
  int64_t slowlog_log_slower_than = 10000;  // microseconds; -1 = off, 0 = every command
  int64_t slowlog_max_len = 128;
  int64_t latency_monitor_threshold = 0;  // milliseconds; 0 = off
  // Scripting (Redis's busy-reply-threshold, alias lua-time-limit): ms a script may run before
  // other clients are answered -BUSY and SCRIPT KILL may stop it; 0 = never.
  int64_t busy_reply_threshold = 5000;
  // Keyspace notifications (server/notifications.h): the classes of events published, as
  // NotifyFlag bits; 0 = off, Redis's default.
  uint32_t notify_keyspace_events = 0;
  // The thresholds of Redis's compact encodings, which decide what OBJECT ENCODING reports
  // (keyspace::EncodingLimits). Redis's names and defaults.
  int64_t hash_max_listpack_entries = 512;
  int64_t hash_max_listpack_value = 64;
  int64_t set_max_intset_entries = 512;
  int64_t zset_max_listpack_entries = 128;
  int64_t zset_max_listpack_value = 64;

  friend bool operator==(const Config&, const Config&) = default;
};

// Describes one setting for CONFIG GET/SET and the file parser.
struct ConfigSetting {
  std::string_view name;
  bool mutable_at_runtime;
  // Parses `args` (the words after the name) into the config; false + *error on bad input.
  std::function<bool(Config&, const std::vector<std::string>& args, std::string* error)> parse;
  // Prints the current value the way CONFIG GET shows it (memory values in plain bytes).
  std::function<std::string(const Config&)> print;
  // True for settings that take several words (bind, client-output-buffer-limit): the file
  // parser passes all words after the name, and CONFIG SET splits its value on spaces.
  // Otherwise exactly one word is required ("wrong number of arguments").
  bool multi_arg = false;
  // Another name the setting answers to (Redis's aliases: hash-max-ziplist-entries for
  // hash-max-listpack-entries); empty when none.
  std::string_view alias;
};

// Every setting, in a stable order.
const std::vector<ConfigSetting>& ConfigTable();
const ConfigSetting* FindConfigSetting(std::string_view name);  // case-insensitive

// Splits a config line into words with Redis's quoting rules (sdssplitargs). false on
// unbalanced quotes.
bool SplitConfigLine(std::string_view line, std::vector<std::string>* words);

// Loads `shale-server [config-file] [--name value ...]` (argv[0] is the program name). As
// redis-server does, a config file is recognised only as the first argument (one that does
// not start with '-'); the overrides are appended to the file's text as extra lines, each
// `--name` starting a new line and each value word quoted, so an override's line number
// counts on from the end of the file (one blank separator line in between). A `--name` given
// without a value in the same argument takes the next argument as its value even if it
// starts with "--". On error returns false with *error holding a message (several lines, no
// trailing newline) that names the file, the line and the offending text, e.g.
//   *** FATAL CONFIG FILE ERROR (Shale) ***
//   Reading the configuration file 'conf/shale.conf', at line 7
//   >>> 'port "abc"'
//   argument couldn't be parsed into an integer
// or, if the file cannot be read, "Fatal error, can't open config file 'x': <strerror>".
bool LoadConfig(int argc, const char* const* argv, Config* config, std::string* error);
// Parses config text (the file format above) into *config, on top of what it holds; lines
// are applied in order, so a later line wins. `source` names the file in error messages
// (empty: "Reading the configuration file, at line N", Redis's exact wording).
bool ParseConfigText(std::string_view text, std::string_view source, Config* config,
                     std::string* error);

// CONFIG GET: every (name, value) whose name matches the glob `pattern` (case-insensitive),
// in table order. As in Redis, a pattern without any of `*?[` is looked up directly and
// answered under the name as the client spelled it ("PORT" -> ("PORT", "6379")).
std::vector<std::pair<std::string, std::string>> ConfigGet(const Config& config,
                                                           std::string_view pattern);
// CONFIG GET with several patterns: the union, each setting once, in table order.
std::vector<std::pair<std::string, std::string>> ConfigGet(
    const Config& config, const std::vector<std::string_view>& patterns);
// CONFIG SET name value [name value ...]: all or nothing. On error returns false, leaves
// *config untouched, and *error holds Redis's reply text, e.g. "ERR CONFIG SET failed
// (possibly related to argument 'databases') - can't set immutable config". Naming one
// setting twice is refused ("duplicate parameter"). `changed` (may be null) receives the
// canonical names of the settings that were set, in argument order.
bool ConfigSet(Config* config, const std::vector<std::string_view>& name_values, std::string* error,
               std::vector<std::string>* changed);

// CONFIG REWRITE (Redis's rewriteConfig): `text` (a config file) with every setting's line
// rewritten to the current value in place, comments, blank lines and unknown lines kept in
// their order, later lines for a setting already written dropped, and the settings the file
// does not name that differ from their defaults appended after a "# Generated by CONFIG
// REWRITE" line.
// `user_lines` (when given): the ACL users' lines ("user alice on ..."), which replace the
// file's `user` lines (written where the first one was, or appended); when null the file's
// `user` lines are kept as they are.
std::string RewriteConfigText(std::string_view text, const Config& config,
                              const std::vector<std::string>* user_lines = nullptr);

std::string_view AppendFsyncName(AppendFsync value);
std::string_view LogLevelName(LogLevel value);

}  // namespace shale::server
