// Per-command statistics for INFO commandstats, latencystats and errorstats (Redis's
// redisCommand counters and its per-command latency histogram).
//
// Every row of the command table has a slot, and so has each subcommand of the container
// commands (CLIENT LIST is "client|list"): the slots are a flat array, and finding a command's
// slot is the row's index (one scan of a short list for a container's subcommand), so recording
// a call costs no map lookup and no allocation once the command has run once.
//
// Latency is kept in a log-bucket histogram (LatencyHistogram), not Redis's HDR histogram: every
// power of two of nanoseconds is split into 16 linear sub-buckets, and a percentile reports the
// upper bound of its bucket, so it over-states the true value by less than 1/16 (6.25%).
//
// Threading: event-loop thread only.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace shale::server {

struct CommandSpec;
class CommandTable;

// Whether `name` (a table row, lower case) has subcommands with slots of their own ("config":
// "config|get" ...).
bool IsContainerCommand(std::string_view name);

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 4;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

  void Record(uint64_t nanos);
  uint64_t count() const { return count_; }
  // The smallest bucket bound below or at which `percentile` percent of the samples lie
  // (0 when empty). percentile in (0, 100].
  uint64_t PercentileNanos(double percentile) const;
  // How many samples lie in buckets whose upper bound is at most `nanos`.
  uint64_t CountAtMost(uint64_t nanos) const;
  // The bucket of `nanos` and the largest value it holds (exposed for tests).
  static int BucketOf(uint64_t nanos);
  static uint64_t BucketUpperBound(int bucket);

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

struct CommandCounters {
  uint64_t calls = 0;
  uint64_t nanos = 0;
  uint64_t rejected_calls = 0;
  uint64_t failed_calls = 0;
  std::unique_ptr<LatencyHistogram> latency;  // created by the first call
};

class CommandStats {
 public:
  explicit CommandStats(const CommandTable& table);

  // The slot of a call of `spec` with `args` (args[1] names a container's subcommand).
  size_t SlotOf(const CommandSpec& spec, size_t argc, const std::string_view* args) const;

  void RecordCall(size_t slot, uint64_t nanos, bool failed);
  void RecordRejected(size_t slot) { slots_[slot].rejected_calls++; }

  // An error reply: counts it under its prefix (the text before the first space), as Redis's
  // errorstats, up to 128 distinct prefixes (then new ones are no longer tracked).
  void RecordError(std::string_view message);

  // CONFIG RESETSTAT.
  void Reset();

  // Slots in name order (for INFO), with their Redis names ("get", "client|list").
  struct Named {
    std::string name;
    const CommandCounters* counters;
  };
  std::vector<Named> Sorted() const;
  // Every slot's name in table order ("client", then "client|caching" ...).
  const std::vector<std::string>& names() const { return names_; }
  const std::map<std::string, uint64_t, std::less<>>& errors() const { return errors_; }

 private:
  struct Container {
    size_t first_slot;
    std::vector<std::string_view> subcommands;
  };
  const CommandSpec* base_ = nullptr;  // the table's first row
  std::vector<std::string> names_;     // per slot
  std::vector<CommandCounters> slots_;
  std::vector<int> container_of_row_;  // index into containers_, or -1
  std::vector<Container> containers_;
  std::map<std::string, uint64_t, std::less<>> errors_;
};

}  // namespace shale::server
