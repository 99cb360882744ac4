// SLOWLOG (Redis's slowlog.c) and LATENCY's event monitor (Redis's latency.c).
//
// The slow log keeps the last slowlog-max-len commands that ran for at least
// slowlog-log-slower-than microseconds, newest first, with their arguments trimmed as Redis
// trims them (32 arguments, 128 bytes each). The latency monitor keeps, per event ("command",
// "fast-command", "expire-cycle", "write-stall"), the latest and the largest sample of at least
// latency-monitor-threshold milliseconds and the last 160 of them, one per second.
//
// Threading: event-loop thread only.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace shale::server {

struct SlowlogEntry {
  uint64_t id;
  int64_t time_sec;  // Unix time when the command ran
  uint64_t micros;
  std::vector<std::string> args;  // trimmed
  std::string client_addr;
  std::string client_name;
};

class Slowlog {
 public:
  static constexpr size_t kMaxArgs = 32;
  static constexpr size_t kMaxArgBytes = 128;

  // Adds an entry (newest first) and drops the oldest beyond max_len. Arguments of AUTH and
  // HELLO's AUTH option are logged as "(redacted)".
  void Push(const std::vector<std::string_view>& args, uint64_t micros, int64_t time_sec,
            std::string_view client_addr, std::string_view client_name, size_t max_len);
  void Trim(size_t max_len);
  void Reset() { entries_.clear(); }
  const std::deque<SlowlogEntry>& entries() const { return entries_; }

 private:
  std::deque<SlowlogEntry> entries_;
  uint64_t next_id_ = 0;
};

class LatencyMonitor {
 public:
  static constexpr size_t kHistory = 160;
  struct Sample {
    int64_t time_sec;
    uint64_t millis;
  };
  struct Event {
    std::vector<Sample> history;  // oldest first, at most kHistory, one per second
    uint64_t max_millis = 0;
  };

  // Records `millis` for `event` at `time_sec` (the caller checks the threshold). A second
  // sample within the same second keeps the larger one, as Redis.
  void Add(std::string_view event, int64_t time_sec, uint64_t millis);
  // Drops the named events (all when empty); returns how many were dropped.
  size_t Reset(const std::vector<std::string_view>& events);
  const std::map<std::string, Event, std::less<>>& events() const { return events_; }

 private:
  std::map<std::string, Event, std::less<>> events_;
};

}  // namespace shale::server
