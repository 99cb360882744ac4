#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>

#include "protocol/numbers.h"
#include "server/glob.h"
#include "server/keyspace/format.h"
#include "server/notifications.h"
#include "storage/log_format.h"

namespace shale::server {
namespace {

using Args = std::vector<std::string>;

// At most this many `bind` addresses (Redis's CONFIG_BINDADDR_MAX).
constexpr size_t kMaxBindAddresses = 16;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Redis's string2ll: the exact decimal form of a 64-bit integer, nothing else (no sign '+',
// no leading zeros, no spaces).
bool ParseInteger(std::string_view s, int64_t* value) {
  if (s.empty() || s.size() >= 21) return false;
  if (s == "0") {
    *value = 0;
    return true;
  }
  size_t i = 0;
  const bool negative = s[0] == '-';
  if (negative && ++i == s.size()) return false;
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (v > kMaxPositive + 1) return false;
    *value = v == kMaxPositive + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
  } else {
    if (v > kMaxPositive) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

// Redis's memtoull: decimal digits followed by an optional unit, b (1), k (1000), kb (1024),
// m, mb, g, gb, case-insensitive. No sign; an empty digit string reads as 0, as in Redis.
bool ParseMemory(std::string_view s, uint64_t* value) {
  size_t digits = 0;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
  const std::string_view unit = s.substr(digits);
  uint64_t multiplier;
  if (unit.empty() || EqualsIgnoreCase(unit, "b")) {
    multiplier = 1;
  } else if (EqualsIgnoreCase(unit, "k")) {
    multiplier = 1000;
  } else if (EqualsIgnoreCase(unit, "kb")) {
    multiplier = 1024;
  } else if (EqualsIgnoreCase(unit, "m")) {
    multiplier = 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "mb")) {
    multiplier = 1024 * 1024;
  } else if (EqualsIgnoreCase(unit, "g")) {
    multiplier = 1000ULL * 1000 * 1000;
  } else if (EqualsIgnoreCase(unit, "gb")) {
    multiplier = 1024ULL * 1024 * 1024;
  } else {
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < digits; ++i) {
    const uint64_t digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    v = v * 10 + digit;
  }
  if (v > std::numeric_limits<uint64_t>::max() / multiplier) return false;
  *value = v * multiplier;
  return true;
}

std::string BoundsError(int64_t lo, int64_t hi) {
  return "argument must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
         " inclusive";
}

// Rows of one argument enforce the count themselves: the file parser hands them every word
// after the name.
bool SingleArgument(const Args& args, std::string* error) {
  if (args.size() == 1) return true;
  *error = "wrong number of arguments";
  return false;
}

template <typename T>
ConfigSetting IntegerSetting(std::string_view name, bool mutable_at_runtime, T Config::*field,
                             int64_t lo, int64_t hi) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [field, lo, hi](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    int64_t value;
    if (!ParseInteger(args[0], &value)) {
      *error = "argument couldn't be parsed into an integer";
      return false;
    }
    if (value < lo || value > hi) {
      *error = BoundsError(lo, hi);
      return false;
    }
    config.*field = static_cast<T>(value);
    return true;
  };
  setting.print = [field](const Config& config) { return std::to_string(config.*field); };
  return setting;
}

// A size in bytes written with Redis's memory units; CONFIG GET shows plain bytes.
ConfigSetting MemorySetting(std::string_view name, bool mutable_at_runtime, int64_t Config::*field,
                            int64_t lo, int64_t hi) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [field, lo, hi](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    uint64_t value;
    if (!ParseMemory(args[0], &value)) {
      *error = "argument must be a memory value";
      return false;
    }
    if (value < static_cast<uint64_t>(lo) || value > static_cast<uint64_t>(hi)) {
      *error = BoundsError(lo, hi);
      return false;
    }
    config.*field = static_cast<int64_t>(value);
    return true;
  };
  setting.print = [field](const Config& config) { return std::to_string(config.*field); };
  return setting;
}

// A decimal fraction such as 0.5; CONFIG GET shows it the way it was written back by %g.
ConfigSetting DoubleSetting(std::string_view name, bool mutable_at_runtime, double Config::*field,
                            double lo, double hi) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [field, lo, hi](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    const std::string& text = args[0];
    char* end = nullptr;
    errno = 0;
    double value = text.empty() ? 0 : std::strtod(text.c_str(), &end);
    if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !std::isfinite(value)) {
      *error = "argument couldn't be parsed into a number";
      return false;
    }
    if (value < lo || value > hi) {
      char bounds[96];
      std::snprintf(bounds, sizeof(bounds), "argument must be between %g and %g inclusive", lo, hi);
      *error = bounds;
      return false;
    }
    config.*field = value;
    return true;
  };
  setting.print = [field](const Config& config) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", config.*field);
    return std::string(text);
  };
  return setting;
}

// A yes/no switch, as Redis writes its booleans (case-insensitive); CONFIG GET shows yes or no.
ConfigSetting BoolSetting(std::string_view name, bool mutable_at_runtime, bool Config::*field) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [field](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    if (EqualsIgnoreCase(args[0], "yes")) {
      config.*field = true;
    } else if (EqualsIgnoreCase(args[0], "no")) {
      config.*field = false;
    } else {
      *error = "argument must be 'yes' or 'no'";
      return false;
    }
    return true;
  };
  setting.print = [field](const Config& config) {
    return std::string(config.*field ? "yes" : "no");
  };
  return setting;
}

ConfigSetting StringSetting(std::string_view name, bool mutable_at_runtime,
                            std::string Config::*field) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [field](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    config.*field = args[0];
    return true;
  };
  setting.print = [field](const Config& config) { return config.*field; };
  return setting;
}

// One of a fixed list of names, matched case-insensitively; `set` and `get` map a name's
// index in `names` to and from the field.
ConfigSetting EnumSetting(std::string_view name, bool mutable_at_runtime,
                          std::vector<std::string_view> names,
                          std::function<void(Config&, size_t)> set,
                          std::function<size_t(const Config&)> get) {
  auto shared_names = std::make_shared<const std::vector<std::string_view>>(std::move(names));
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = mutable_at_runtime;
  setting.parse = [shared_names, set = std::move(set)](Config& config, const Args& args,
                                                       std::string* error) {
    if (!SingleArgument(args, error)) return false;
    for (size_t i = 0; i < shared_names->size(); ++i) {
      if (EqualsIgnoreCase(args[0], (*shared_names)[i])) {
        set(config, i);
        return true;
      }
    }
    *error = "argument(s) must be one of the following: ";
    for (size_t i = 0; i < shared_names->size(); ++i) {
      if (i > 0) *error += ", ";
      *error += (*shared_names)[i];
    }
    return false;
  };
  setting.print = [shared_names, get = std::move(get)](const Config& config) {
    return std::string((*shared_names)[get(config)]);
  };
  return setting;
}

// `replicaof <host> <port>` (or slaveof), or `replicaof no one` (or no words): the primary to
// follow.
ConfigSetting ReplicaOfSetting() {
  ConfigSetting setting;
  setting.name = "replicaof";
  setting.alias = "slaveof";
  setting.mutable_at_runtime = false;  // REPLICAOF is the command that changes it
  setting.multi_arg = true;
  setting.parse = [](Config& config, const Args& args, std::string* error) {
    if (args.size() != 2 && !args.empty()) {
      *error = "wrong number of arguments";
      return false;
    }
    // No words (what CONFIG REWRITE writes for "none") or "no one".
    if (args.empty() || (EqualsIgnoreCase(args[0], "no") && EqualsIgnoreCase(args[1], "one"))) {
      config.replicaof_host.clear();
      config.replicaof_port = 0;
      return true;
    }
    int64_t port = 0;
    if (!protocol::ParseInt64(args[1], &port) || port < 0 || port > 65535) {
      *error = "Invalid master port";
      return false;
    }
    config.replicaof_host = args[0];
    config.replicaof_port = port;
    return true;
  };
  setting.print = [](const Config& config) {
    if (config.replicaof_host.empty()) return std::string();
    return config.replicaof_host + " " + std::to_string(config.replicaof_port);
  };
  return setting;
}

ConfigSetting BindSetting() {
  ConfigSetting setting;
  setting.name = "bind";
  setting.mutable_at_runtime = false;
  setting.multi_arg = true;
  setting.parse = [](Config& config, const Args& args, std::string* error) {
    if (args.size() > kMaxBindAddresses) {
      *error = "Too many bind addresses specified.";
      return false;
    }
    // Shale listens only on TCP, so at least one address is needed (Redis would read an
    // empty list as "no TCP listener").
    if (args.empty() || (args.size() == 1 && args[0].empty())) {
      *error = "wrong number of arguments";
      return false;
    }
    config.bind = args;
    return true;
  };
  setting.print = [](const Config& config) {
    std::string out;
    for (const std::string& address : config.bind) {
      if (!out.empty()) out += ' ';
      out += address;
    }
    return out;
  };
  return setting;
}

// `client-output-buffer-limit <class> <hard> <soft> <soft-seconds> [<class> ...]`, Redis's
// syntax and checks: the whole value is validated before anything is stored, and the classes
// not named keep their limits. Classes are normal, replica (or slave) and pubsub.
ConfigSetting OutputBufferLimitSetting() {
  ConfigSetting setting;
  setting.name = "client-output-buffer-limit";
  setting.mutable_at_runtime = true;
  setting.multi_arg = true;
  setting.parse = [](Config& config, const Args& args, std::string* error) {
    if (args.size() % 4 != 0) {
      *error = "Wrong number of arguments in buffer limit configuration.";
      return false;
    }
    std::vector<std::pair<OutputBufferLimit Config::*, OutputBufferLimit>> limits;
    for (size_t i = 0; i < args.size(); i += 4) {
      const std::string& name = args[i];
      OutputBufferLimit Config::*field;
      if (EqualsIgnoreCase(name, "normal")) {
        field = &Config::client_output_buffer_limit_normal;
      } else if (EqualsIgnoreCase(name, "replica") || EqualsIgnoreCase(name, "slave")) {
        field = &Config::client_output_buffer_limit_replica;
      } else if (EqualsIgnoreCase(name, "pubsub")) {
        field = &Config::client_output_buffer_limit_pubsub;
      } else {
        *error = "Invalid client class specified in buffer limit configuration.";
        return false;
      }
      OutputBufferLimit limit;
      // Seconds are read as strtoll does, as Redis reads them, within int range.
      errno = 0;
      char* end = nullptr;
      const long long seconds = std::strtoll(args[i + 3].c_str(), &end, 10);
      if (!ParseMemory(args[i + 1], &limit.hard_bytes) ||
          !ParseMemory(args[i + 2], &limit.soft_bytes) || errno == ERANGE || *end != '\0' ||
          seconds < 0 || seconds > INT_MAX) {
        *error = "Error in hard, soft or soft_seconds setting in buffer limit configuration.";
        return false;
      }
      limit.soft_seconds = static_cast<uint64_t>(seconds);
      limits.emplace_back(field, limit);
    }
    for (const auto& [field, limit] : limits) config.*field = limit;
    return true;
  };
  setting.print = [](const Config& config) {
    auto print = [](std::string_view name, const OutputBufferLimit& limit) {
      return std::string(name) + " " + std::to_string(limit.hard_bytes) + " " +
             std::to_string(limit.soft_bytes) + " " + std::to_string(limit.soft_seconds);
    };
    return print("normal", config.client_output_buffer_limit_normal) + " " +
           print("slave", config.client_output_buffer_limit_replica) + " " +
           print("pubsub", config.client_output_buffer_limit_pubsub);
  };
  return setting;
}

// notify-keyspace-events: Redis's class letters (server/notifications.h), shown in Redis's
// canonical order.
ConfigSetting NotifyKeyspaceEventsSetting() {
  ConfigSetting setting;
  setting.name = "notify-keyspace-events";
  setting.mutable_at_runtime = true;
  setting.parse = [](Config& config, const Args& args, std::string* error) {
    if (!SingleArgument(args, error)) return false;
    uint32_t flags = 0;
    if (!ParseNotifyKeyspaceEvents(args[0], &flags)) {
      *error = std::string(kInvalidNotifyClassError);
      return false;
    }
    config.notify_keyspace_events = flags;
    return true;
  };
  setting.print = [](const Config& config) {
    return NotifyKeyspaceEventsString(config.notify_keyspace_events);
  };
  return setting;
}

// A Redis setting whose meaning Shale cannot change (save, appendonly): CONFIG GET answers the
// value that describes Shale, and setting exactly that value is accepted; any other value is
// refused with `reason`.
ConfigSetting FixedSetting(std::string_view name, std::string_view value, std::string_view reason) {
  ConfigSetting setting;
  setting.name = name;
  setting.mutable_at_runtime = true;
  setting.parse = [value, reason](Config&, const Args& args, std::string* error) {
    if (args.size() == 1 && EqualsIgnoreCase(args[0], value)) return true;
    *error = std::string(reason);
    return false;
  };
  setting.print = [value](const Config&) { return std::string(value); };
  return setting;
}

std::vector<ConfigSetting> BuildConfigTable() {
  constexpr bool kMutable = true;
  constexpr bool kImmutable = false;
  constexpr int64_t kIntMax = INT_MAX;
  constexpr int64_t kUintMax = UINT_MAX;
  constexpr int64_t kLongMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMinBufferLimit = 1024 * 1024;
  // A setting that also answers to Redis's older name.
  auto with_alias = [](ConfigSetting setting, std::string_view alias) {
    setting.alias = alias;
    return setting;
  };

  std::vector<ConfigSetting> table;
  // Network
  table.push_back(BindSetting());
  table.push_back(BoolSetting("protected-mode", kMutable, &Config::protected_mode));
  static constexpr std::string_view kDebugModes[] = {"no", "yes", "local"};
  table.push_back(EnumSetting(
      "enable-debug-command", kImmutable, {std::begin(kDebugModes), std::end(kDebugModes)},
      [](Config& config, size_t i) { config.enable_debug_command = kDebugModes[i]; },
      [](const Config& config) -> size_t {
        return config.enable_debug_command == "yes"     ? 1
               : config.enable_debug_command == "local" ? 2
                                                        : 0;
      }));
  table.push_back(IntegerSetting("port", kImmutable, &Config::port, 0, 65535));
  table.push_back(IntegerSetting("tcp-backlog", kImmutable, &Config::tcp_backlog, 0, kIntMax));
  table.push_back(IntegerSetting("timeout", kMutable, &Config::timeout, 0, kIntMax));
  table.push_back(IntegerSetting("tcp-keepalive", kMutable, &Config::tcp_keepalive, 0, kIntMax));
  // TLS. Changing a file, protocol, cipher or session setting rebuilds the TLS context
  // (Server::OnConfigChanged); tls-auth-clients applies to connections accepted afterwards.
  table.push_back(IntegerSetting("tls-port", kImmutable, &Config::tls_port, 0, 65535));
  table.push_back(StringSetting("tls-cert-file", kMutable, &Config::tls_cert_file));
  table.push_back(StringSetting("tls-key-file", kMutable, &Config::tls_key_file));
  table.push_back(StringSetting("tls-key-file-pass", kMutable, &Config::tls_key_file_pass));
  table.push_back(StringSetting("tls-ca-cert-file", kMutable, &Config::tls_ca_cert_file));
  table.push_back(StringSetting("tls-ca-cert-dir", kMutable, &Config::tls_ca_cert_dir));
  table.push_back(StringSetting("tls-dh-params-file", kMutable, &Config::tls_dh_params_file));
  table.push_back(EnumSetting(
      "tls-auth-clients", kMutable, {"no", "yes", "optional"},
      [](Config& config, size_t i) {
        static constexpr TlsAuthClients kValues[] = {TlsAuthClients::kNo, TlsAuthClients::kYes,
                                                     TlsAuthClients::kOptional};
        config.tls_auth_clients = kValues[i];
      },
      [](const Config& config) -> size_t {
        switch (config.tls_auth_clients) {
          case TlsAuthClients::kNo:
            return 0;
          case TlsAuthClients::kYes:
            return 1;
          case TlsAuthClients::kOptional:
            return 2;
        }
        return 1;
      }));
  table.push_back(StringSetting("tls-protocols", kMutable, &Config::tls_protocols));
  table.push_back(StringSetting("tls-ciphers", kMutable, &Config::tls_ciphers));
  table.push_back(StringSetting("tls-ciphersuites", kMutable, &Config::tls_ciphersuites));
  table.push_back(
      BoolSetting("tls-prefer-server-ciphers", kMutable, &Config::tls_prefer_server_ciphers));
  table.push_back(BoolSetting("tls-session-caching", kMutable, &Config::tls_session_caching));
  table.push_back(IntegerSetting("tls-session-cache-size", kMutable,
                                 &Config::tls_session_cache_size, 0, kIntMax));
  table.push_back(IntegerSetting("tls-session-cache-timeout", kMutable,
                                 &Config::tls_session_cache_timeout, 0, kIntMax));
  // Clients and limits
  table.push_back(IntegerSetting("maxclients", kMutable, &Config::maxclients, 1, kUintMax));
  // A command must fit one WAL record, whose length is a u32: larger limits are refused.
  constexpr auto kMaxCommand = static_cast<int64_t>(storage::log::kMaxCommandBytes);
  table.push_back(MemorySetting("proto-max-bulk-len", kMutable, &Config::proto_max_bulk_len,
                                kMinBufferLimit, kMaxCommand));
  table.push_back(MemorySetting("maxmemory", kMutable, &Config::maxmemory, 0, kLongMax));
  table.push_back(FixedSetting("maxmemory-policy", "noeviction",
                               "Shale keeps its data on disk and evicts nothing: "
                               "maxmemory-policy can only be noeviction"));
  table.push_back(with_alias(
      IntegerSetting("min-replicas-to-write", kMutable, &Config::min_replicas_to_write, 0, kIntMax),
      "min-slaves-to-write"));
  table.push_back(with_alias(
      IntegerSetting("min-replicas-max-lag", kMutable, &Config::min_replicas_max_lag, 0, kIntMax),
      "min-slaves-max-lag"));
  table.push_back(with_alias(IntegerSetting("repl-ping-replica-period", kMutable,
                                            &Config::repl_ping_replica_period, 1, kIntMax),
                             "repl-ping-slave-period"));
  table.push_back(
      MemorySetting("repl-backlog-size", kMutable, &Config::repl_backlog_size, 1, kLongMax));
  table.push_back(
      IntegerSetting("repl-backlog-ttl", kMutable, &Config::repl_backlog_ttl, 0, kIntMax));
  table.push_back(IntegerSetting("repl-timeout", kMutable, &Config::repl_timeout, 1, kIntMax));
  table.push_back(ReplicaOfSetting());
  table.push_back(StringSetting("masterauth", kMutable, &Config::masterauth));
  table.push_back(StringSetting("masteruser", kMutable, &Config::masteruser));
  table.push_back(with_alias(BoolSetting("replica-read-only", kMutable, &Config::replica_read_only),
                             "slave-read-only"));
  table.push_back(with_alias(
      BoolSetting("replica-serve-stale-data", kMutable, &Config::replica_serve_stale_data),
      "slave-serve-stale-data"));
  table.push_back(MemorySetting("client-query-buffer-limit", kMutable,
                                &Config::client_query_buffer_limit, kMinBufferLimit, kMaxCommand));
  table.push_back(OutputBufferLimitSetting());
  table.push_back(StringSetting("requirepass", kMutable, &Config::requirepass));
  table.push_back(StringSetting("aclfile", kImmutable, &Config::aclfile));
  table.push_back(IntegerSetting("acllog-max-len", kMutable, &Config::acllog_max_len, 0, kLongMax));
  // Keyspace and storage
  table.push_back(StringSetting("dir", kImmutable, &Config::dir));
  table.push_back(
      IntegerSetting("databases", kImmutable, &Config::databases, 1, keyspace::kMaxDatabases));
  table.push_back(IntegerSetting("shards", kImmutable, &Config::shards, 0, 1024));
  // Redis's order of the appendfsync names, which its error message lists.
  table.push_back(EnumSetting(
      "appendfsync", kMutable, {"everysec", "always", "no"},
      [](Config& config, size_t i) {
        static constexpr AppendFsync kValues[] = {AppendFsync::kEverySec, AppendFsync::kAlways,
                                                  AppendFsync::kNo};
        config.appendfsync = kValues[i];
      },
      [](const Config& config) -> size_t {
        switch (config.appendfsync) {
          case AppendFsync::kEverySec:
            return 0;
          case AppendFsync::kAlways:
            return 1;
          case AppendFsync::kNo:
            return 2;
        }
        return 0;
      }));
  // RocksDB's WAL recovery modes, stored by name.
  static constexpr std::string_view kWalRecoveryModes[] = {"tolerate-corrupted-tail-records",
                                                           "absolute-consistency", "point-in-time",
                                                           "skip-any-corrupted"};
  table.push_back(EnumSetting(
      "wal-recovery-mode", kImmutable, {std::begin(kWalRecoveryModes), std::end(kWalRecoveryModes)},
      [](Config& config, size_t i) { config.wal_recovery_mode = kWalRecoveryModes[i]; },
      [](const Config& config) -> size_t {
        for (size_t i = 0; i < std::size(kWalRecoveryModes); ++i) {
          if (config.wal_recovery_mode == kWalRecoveryModes[i]) return i;
        }
        return 0;
      }));
  // LSM tree
  table.push_back(
      MemorySetting("memtable-size", kImmutable, &Config::memtable_size, 64 * 1024, kLongMax));
  static constexpr std::string_view kCompressions[] = {"lz4", "none"};
  table.push_back(EnumSetting(
      "compression", kImmutable, {std::begin(kCompressions), std::end(kCompressions)},
      [](Config& config, size_t i) { config.compression = kCompressions[i]; },
      [](const Config& config) -> size_t { return config.compression == "none" ? 1 : 0; }));
  table.push_back(
      IntegerSetting("bloom-bits-per-key", kImmutable, &Config::bloom_bits_per_key, 0, 64));
  table.push_back(
      MemorySetting("block-cache-size", kMutable, &Config::block_cache_size, 0, kLongMax));
  // Size-tiered compaction and write back-pressure
  table.push_back(
      DoubleSetting("compaction-bucket-low", kImmutable, &Config::compaction_bucket_low, 0.01, 1));
  table.push_back(
      DoubleSetting("compaction-bucket-high", kImmutable, &Config::compaction_bucket_high, 1, 100));
  table.push_back(MemorySetting("compaction-min-sstable-size", kImmutable,
                                &Config::compaction_min_sstable_size, 0, kLongMax));
  table.push_back(IntegerSetting("compaction-min-threshold", kImmutable,
                                 &Config::compaction_min_threshold, 2, 1024));
  table.push_back(IntegerSetting("compaction-max-threshold", kImmutable,
                                 &Config::compaction_max_threshold, 2, 1024));
  table.push_back(DoubleSetting("compaction-tombstone-threshold", kImmutable,
                                &Config::compaction_tombstone_threshold, 0, 1));
  table.push_back(IntegerSetting("compaction-tombstone-min-age", kImmutable,
                                 &Config::compaction_tombstone_min_age, 0, kIntMax));
  table.push_back(IntegerSetting("compaction-throughput", kMutable, &Config::compaction_throughput,
                                 0, 1 << 20));
  table.push_back(IntegerSetting("write-slowdown-tables", kImmutable,
                                 &Config::write_slowdown_tables, 1, 1 << 20));
  table.push_back(
      IntegerSetting("write-stop-tables", kImmutable, &Config::write_stop_tables, 1, 1 << 20));
  table.push_back(IntegerSetting("write-stop-immutable-memtables", kImmutable,
                                 &Config::write_stop_immutable_memtables, 2, 1024));
  // Logging and process
  table.push_back(EnumSetting(
      "loglevel", kMutable, {"debug", "verbose", "notice", "warning", "nothing"},
      [](Config& config, size_t i) { config.loglevel = static_cast<LogLevel>(i); },
      [](const Config& config) { return static_cast<size_t>(config.loglevel); }));
  table.push_back(StringSetting("logfile", kImmutable, &Config::logfile));
  table.push_back(StringSetting("pidfile", kImmutable, &Config::pidfile));
  // Redis's settings for monitoring
  table.push_back(IntegerSetting("hz", kMutable, &Config::hz, 0, kIntMax));
  table.push_back(IntegerSetting("slowlog-log-slower-than", kMutable,
                                 &Config::slowlog_log_slower_than, -1, kLongMax));
  table.push_back(
      IntegerSetting("slowlog-max-len", kMutable, &Config::slowlog_max_len, 0, kLongMax));
  table.push_back(IntegerSetting("latency-monitor-threshold", kMutable,
                                 &Config::latency_monitor_threshold, 0, kLongMax));
  // Scripting: how long a script runs before other clients get -BUSY and SCRIPT KILL works.
  table.push_back(with_alias(
      IntegerSetting("busy-reply-threshold", kMutable, &Config::busy_reply_threshold, 0, kLongMax),
      "lua-time-limit"));
  // Pub/sub
  table.push_back(NotifyKeyspaceEventsSetting());
  // Redis's encoding thresholds (what OBJECT ENCODING reports), under their 7.0 names and the
  // older ziplist names.
  table.push_back(with_alias(IntegerSetting("hash-max-listpack-entries", kMutable,
                                            &Config::hash_max_listpack_entries, 0, kLongMax),
                             "hash-max-ziplist-entries"));
  table.push_back(with_alias(IntegerSetting("hash-max-listpack-value", kMutable,
                                            &Config::hash_max_listpack_value, 0, kLongMax),
                             "hash-max-ziplist-value"));
  table.push_back(IntegerSetting("set-max-intset-entries", kMutable,
                                 &Config::set_max_intset_entries, 0, kLongMax));
  table.push_back(with_alias(IntegerSetting("zset-max-listpack-entries", kMutable,
                                            &Config::zset_max_listpack_entries, 0, kLongMax),
                             "zset-max-ziplist-entries"));
  table.push_back(with_alias(IntegerSetting("zset-max-listpack-value", kMutable,
                                            &Config::zset_max_listpack_value, 0, kLongMax),
                             "zset-max-ziplist-value"));
  // Redis's persistence settings, as they describe Shale: every write is in the WAL (the
  // append-only log) before its reply, and there are no snapshots.
  table.push_back(FixedSetting("save", "",
                               "Shale takes no snapshots: every write is logged to its WAL "
                               "before the reply, so save can only be \"\""));
  table.push_back(FixedSetting("appendonly", "yes",
                               "Shale always logs every write to its WAL: appendonly is "
                               "always yes"));
  return table;
}

// Redis's sdssplitlen(value, " "): every space separates, so "a  b" has an empty middle word
// and "" has no words at all. CONFIG SET splits multi-word values this way.
Args SplitOnSpaces(std::string_view value) {
  Args words;
  if (value.empty()) return words;
  size_t start = 0;
  while (true) {
    const size_t space = value.find(' ', start);
    if (space == std::string_view::npos) {
      words.emplace_back(value.substr(start));
      return words;
    }
    words.emplace_back(value.substr(start, space - start));
    start = space + 1;
  }
}

// Redis's sdscatrepr: the value in double quotes with \\ \" \n \r \t \a \b escaped and other
// unprintable bytes as \xHH, which SplitConfigLine reads back unchanged.
void AppendQuoted(std::string* out, std::string_view value) {
  out->push_back('"');
  for (const char c : value) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '"':
        *out += "\\\"";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\a':
        *out += "\\a";
        break;
      case '\b':
        *out += "\\b";
        break;
      default:
        if (std::isprint(static_cast<unsigned char>(c))) {
          out->push_back(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", static_cast<unsigned char>(c));
          *out += hex;
        }
    }
  }
  out->push_back('"');
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view Trim(std::string_view line) {
  constexpr std::string_view kBlanks = " \t\r\n";
  const size_t first = line.find_first_not_of(kBlanks);
  if (first == std::string_view::npos) return {};
  const size_t last = line.find_last_not_of(kBlanks);
  return line.substr(first, last - first + 1);
}

std::string FatalError(std::string_view source, size_t line_number, std::string_view line,
                       std::string_view reason) {
  std::string message = "*** FATAL CONFIG FILE ERROR (Shale) ***\n";
  message += "Reading the configuration file";
  if (!source.empty()) {
    message += " '";
    message += source;
    message += "'";
  }
  message += ", at line " + std::to_string(line_number) + "\n";
  message += ">>> '";
  message += line;
  message += "'\n";
  message += reason;
  return message;
}

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};

bool ReadFile(const char* path, std::string* contents, std::string* error) {
  const std::unique_ptr<FILE, FileCloser> file(std::fopen(path, "r"));
  if (!file) {
    *error =
        std::string("Fatal error, can't open config file '") + path + "': " + std::strerror(errno);
    return false;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) contents->append(buffer, n);
  if (std::ferror(file.get())) {
    *error =
        std::string("Fatal error, can't read config file '") + path + "': " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

const std::vector<ConfigSetting>& ConfigTable() {
  static const std::vector<ConfigSetting> table = BuildConfigTable();
  return table;
}

const ConfigSetting* FindConfigSetting(std::string_view name) {
  for (const ConfigSetting& setting : ConfigTable()) {
    if (EqualsIgnoreCase(setting.name, name) ||
        (!setting.alias.empty() && EqualsIgnoreCase(setting.alias, name))) {
      return &setting;
    }
  }
  return nullptr;
}

// Redis's sdssplitargs. Words are separated by blanks; "..." takes \xHH, \n \r \t \b \a and
// \<any> escapes, '...' takes only \'; a closing quote must be followed by a blank or the end
// of the line. A quote may start in the middle of a word (a"b c" is the word `ab c`). A NUL
// byte ends the line, as it does for Redis's C strings.
bool SplitConfigLine(std::string_view line, std::vector<std::string>* words) {
  words->clear();
  if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
    line = line.substr(0, nul);
  }
  const size_t n = line.size();
  // Reads past the end as NUL, like the C string Redis scans.
  auto at = [&](size_t i) -> char { return i < n ? line[i] : '\0'; };
  size_t p = 0;
  while (true) {
    while (p < n && IsSpace(line[p])) ++p;
    if (p >= n) return true;
    std::string current;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(p);
      if (in_double) {
        if (c == '\\' && at(p + 1) == 'x' && IsHexDigit(at(p + 2)) && IsHexDigit(at(p + 3))) {
          current.push_back(static_cast<char>(HexValue(at(p + 2)) * 16 + HexValue(at(p + 3))));
          p += 3;
        } else if (c == '\\' && at(p + 1) != '\0') {
          ++p;
          switch (at(p)) {
            case 'n':
              current.push_back('\n');
              break;
            case 'r':
              current.push_back('\r');
              break;
            case 't':
              current.push_back('\t');
              break;
            case 'b':
              current.push_back('\b');
              break;
            case 'a':
              current.push_back('\a');
              break;
            default:
              current.push_back(at(p));
              break;
          }
        } else if (c == '"') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(p + 1) == '\'') {
          ++p;
          current.push_back('\'');
        } else if (c == '\'') {
          if (at(p + 1) != '\0' && !IsSpace(at(p + 1))) return false;
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          current.push_back(c);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            current.push_back(c);
            break;
        }
      }
      if (p < n) ++p;
    }
    words->push_back(std::move(current));
  }
}

bool ParseConfigText(std::string_view text, std::string_view source, Config* config,
                     std::string* error) {
  size_t line_number = 0;
  size_t start = 0;
  std::vector<std::string> words;
  // Lines are separated by '\n'; text ending in '\n' has an empty last line, as in Redis.
  while (start <= text.size() && !text.empty()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = Trim(text.substr(start, end - start));
    ++line_number;
    start = end + 1;

    if (line.empty() || line[0] == '#') continue;
    if (!SplitConfigLine(line, &words)) {
      *error = FatalError(source, line_number, line, "Unbalanced quotes in configuration line");
      return false;
    }
    if (words.empty()) continue;
    if (EqualsIgnoreCase(words[0], "user")) {
      if (words.size() < 2) {
        *error = FatalError(source, line_number, line, "wrong number of arguments");
        return false;
      }
      config->users.emplace_back(words.begin() + 1, words.end());
      continue;
    }
    const ConfigSetting* setting = FindConfigSetting(words[0]);
    if (setting == nullptr) {
      *error = FatalError(source, line_number, line, "Bad directive or wrong number of arguments");
      return false;
    }
    const Args args(words.begin() + 1, words.end());
    std::string reason;
    if (!setting->multi_arg && args.size() != 1) {
      reason = "wrong number of arguments";
    } else if (setting->parse(*config, args, &reason)) {
      continue;
    }
    *error = FatalError(source, line_number, line, reason);
    return false;
  }
  return true;
}

bool LoadConfig(int argc, const char* const* argv, Config* config, std::string* error) {
  // Only the first argument can name the file.
  const bool has_file = argc >= 2 && argv[1][0] != '-';
  const std::string path = has_file ? argv[1] : "";
  int j = has_file ? 2 : 1;

  // The overrides become lines of config text, built exactly as redis-server builds them.
  std::string options;
  bool last_name_has_value = true;
  for (; j < argc; ++j) {
    const std::string_view arg = argv[j];
    if (last_name_has_value && arg.size() >= 2 && arg[0] == '-' && arg[1] == '-') {
      if (!options.empty()) options += '\n';
      options += arg.substr(2);
      options += ' ';
      // "--port" alone waits for its value; "--port 6380" as one argument carries it.
      std::vector<std::string> words;
      last_name_has_value = !(SplitConfigLine(arg, &words) && words.size() == 1);
    } else {
      AppendQuoted(&options, arg);
      options += ' ';
      last_name_has_value = true;
    }
  }

  std::string text;
  if (has_file && !ReadFile(path.c_str(), &text, error)) return false;
  text += '\n';
  text += options;
  return ParseConfigText(text, path, config, error);
}

std::vector<std::pair<std::string, std::string>> ConfigGet(const Config& config,
                                                           std::string_view pattern) {
  return ConfigGet(config, std::vector<std::string_view>{pattern});
}

std::vector<std::pair<std::string, std::string>> ConfigGet(
    const Config& config, const std::vector<std::string_view>& patterns) {
  const std::vector<ConfigSetting>& table = ConfigTable();
  // The name each matched row is answered under, by table index; a row whose alias a pattern
  // matches is also answered under the alias (as Redis lists both names for `*`).
  std::vector<std::optional<std::string>> reply_names(table.size());
  std::vector<bool> alias_matched(table.size(), false);
  for (const std::string_view pattern : patterns) {
    if (pattern.find_first_of("*?[") == std::string_view::npos) {
      const ConfigSetting* setting = FindConfigSetting(pattern);
      if (setting == nullptr) continue;
      auto& name = reply_names[static_cast<size_t>(setting - table.data())];
      if (!name) name = std::string(pattern);
      continue;
    }
    for (size_t i = 0; i < table.size(); ++i) {
      if (!reply_names[i] && GlobMatch(pattern, table[i].name, /*nocase=*/true)) {
        reply_names[i] = std::string(table[i].name);
      }
      if (!table[i].alias.empty() && GlobMatch(pattern, table[i].alias, /*nocase=*/true)) {
        alias_matched[i] = true;
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> result;
  for (size_t i = 0; i < table.size(); ++i) {
    const bool alias_too =
        alias_matched[i] && (!reply_names[i] || !EqualsIgnoreCase(*reply_names[i], table[i].alias));
    if (reply_names[i]) result.emplace_back(std::move(*reply_names[i]), table[i].print(config));
    if (alias_too) result.emplace_back(std::string(table[i].alias), table[i].print(config));
  }
  return result;
}

bool ConfigSet(Config* config, const std::vector<std::string_view>& name_values, std::string* error,
               std::vector<std::string>* changed) {
  if (name_values.empty()) {
    *error = "ERR wrong number of arguments for 'config|set' command";
    return false;
  }
  if (name_values.size() % 2 != 0) {
    *error = "ERR syntax error";
    return false;
  }
  // First pass, as Redis's: every name must exist, be mutable and appear once. The first
  // problem found is the one reported.
  std::vector<const ConfigSetting*> settings;
  for (size_t i = 0; i < name_values.size(); i += 2) {
    const std::string_view name = name_values[i];
    const ConfigSetting* setting = FindConfigSetting(name);
    if (setting == nullptr) {
      *error =
          "ERR Unknown option or number of arguments for CONFIG SET - '" + std::string(name) + "'";
      return false;
    }
    std::string_view reason;
    if (!setting->mutable_at_runtime) {
      reason = "can't set immutable config";
    } else {
      for (const ConfigSetting* earlier : settings) {
        if (earlier == setting) reason = "duplicate parameter";
      }
    }
    if (!reason.empty()) {
      *error = "ERR CONFIG SET failed (possibly related to argument '" + std::string(name) +
               "') - " + std::string(reason);
      return false;
    }
    settings.push_back(setting);
  }
  // Second pass: parse every value into a copy, so that a failure leaves *config as it was.
  Config updated = *config;
  for (size_t k = 0; k < settings.size(); ++k) {
    const std::string_view value = name_values[2 * k + 1];
    const Args args = settings[k]->multi_arg ? SplitOnSpaces(value) : Args{std::string(value)};
    std::string reason;
    if (!settings[k]->parse(updated, args, &reason)) {
      *error = "ERR CONFIG SET failed (possibly related to argument '" +
               std::string(settings[k]->name) + "') - " + reason;
      return false;
    }
  }
  *config = std::move(updated);
  if (changed != nullptr) {
    changed->clear();
    for (const ConfigSetting* setting : settings) changed->emplace_back(setting->name);
  }
  return true;
}

namespace {

// A setting as a config-file line: multi-word values as their words, others quoted when the
// file parser would not read them back as one word.
std::string ConfigLine(const ConfigSetting& setting, const Config& config) {
  std::string line(setting.name);
  line += ' ';
  const std::string value = setting.print(config);
  const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == '/' || c == ':' || c == '+';
  });
  if (setting.multi_arg || plain) {
    line += value;
  } else {
    AppendQuoted(&line, value);
  }
  return line;
}

constexpr std::string_view kRewriteMarker = "# Generated by CONFIG REWRITE";

}  // namespace

std::string RewriteConfigText(std::string_view text, const Config& config,
                              const std::vector<std::string>* user_lines) {
  const std::vector<ConfigSetting>& table = ConfigTable();
  const Config defaults;
  std::vector<bool> written(table.size(), false);
  std::string out;
  bool has_marker = false;
  bool users_written = false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    const std::string_view line = Trim(raw);
    if (line == kRewriteMarker) has_marker = true;
    std::vector<std::string> words;
    if (line.empty() || line[0] == '#' || !SplitConfigLine(line, &words) || words.empty()) {
      out.append(raw);
      out += '\n';
      continue;
    }
    if (user_lines != nullptr && EqualsIgnoreCase(words[0], "user")) {
      if (!users_written) {
        for (const std::string& user : *user_lines) out += user + '\n';
        users_written = true;
      }
      continue;
    }
    const ConfigSetting* setting = FindConfigSetting(words[0]);
    if (setting == nullptr) {
      out.append(raw);
      out += '\n';
      continue;
    }
    const auto index = static_cast<size_t>(setting - table.data());
    if (written[index]) continue;  // a later line for the same setting: dropped, as Redis
    written[index] = true;
    out += ConfigLine(*setting, config);
    out += '\n';
  }
  bool marker_written = has_marker;
  for (size_t i = 0; i < table.size(); ++i) {
    if (written[i] || table[i].print(config) == table[i].print(defaults)) continue;
    if (!marker_written) {
      if (!out.empty() && out.back() != '\n') out += '\n';
      out += kRewriteMarker;
      out += '\n';
      marker_written = true;
    }
    out += ConfigLine(table[i], config);
    out += '\n';
  }
  if (user_lines != nullptr && !users_written) {
    for (const std::string& user : *user_lines) {
      if (!marker_written) {
        if (!out.empty() && out.back() != '\n') out += '\n';
        out += kRewriteMarker;
        out += '\n';
        marker_written = true;
      }
      out += user + '\n';
    }
  }
  return out;
}

std::string_view AppendFsyncName(AppendFsync value) {
  switch (value) {
    case AppendFsync::kAlways:
      return "always";
    case AppendFsync::kEverySec:
      return "everysec";
    case AppendFsync::kNo:
      return "no";
  }
  return "everysec";
}

std::string_view LogLevelName(LogLevel value) {
  switch (value) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kVerbose:
      return "verbose";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kNothing:
      return "nothing";
  }
  return "notice";
}

}  // namespace shale::server
