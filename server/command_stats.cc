#include "server/command_stats.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "server/command_table.h"

namespace shale::server {

namespace {

// The container commands whose subcommands have their own statistics, as Redis's
// "parent|sub" entries. Subcommands a container does not implement are listed anyway: a call
// of one fails and counts there, as it would in Redis.
struct ContainerSubcommands {
  std::string_view parent;
  std::vector<std::string_view> subcommands;
};

const std::vector<ContainerSubcommands>& Containers() {
  static const std::vector<ContainerSubcommands> kContainers = {
      {"acl",
       {"cat", "deluser", "dryrun", "genpass", "getuser", "help", "list", "load", "log", "save",
        "setuser", "users", "whoami"}},
      {"client",
       {"caching", "getname", "getredir", "help", "id", "info", "kill", "list", "no-evict",
        "no-touch", "pause", "reply", "setinfo", "setname", "tracking", "trackinginfo", "unblock",
        "unpause"}},
      {"cluster",
       {"addslots",
        "addslotsrange",
        "bumpepoch",
        "count-failure-reports",
        "countkeysinslot",
        "delslots",
        "delslotsrange",
        "failover",
        "flushslots",
        "forget",
        "getkeysinslot",
        "help",
        "info",
        "keyslot",
        "links",
        "meet",
        "myid",
        "nodes",
        "replicas",
        "replicate",
        "reset",
        "saveconfig",
        "set-config-epoch",
        "setslot",
        "shards",
        "slaves",
        "slots"}},
      {"command", {"count", "docs", "getkeys", "getkeysandflags", "help", "info", "list"}},
      {"config", {"get", "help", "resetstat", "rewrite", "set"}},
      {"function", {"delete", "dump", "flush", "help", "kill", "list", "load", "restore", "stats"}},
      {"latency", {"doctor", "graph", "help", "histogram", "history", "latest", "reset"}},
      {"memory", {"doctor", "help", "malloc-stats", "purge", "stats", "usage"}},
      {"object", {"encoding", "freq", "help", "idletime", "refcount"}},
      {"pubsub", {"channels", "help", "numpat", "numsub", "shardchannels", "shardnumsub"}},
      {"script", {"debug", "exists", "flush", "help", "kill", "load"}},
      {"slowlog", {"get", "help", "len", "reset"}},
  };
  return kContainers;
}

constexpr size_t kMaxErrorPrefixes = 128;

}  // namespace

bool IsContainerCommand(std::string_view name) {
  for (const ContainerSubcommands& c : Containers()) {
    if (c.parent == name) return true;
  }
  return false;
}

int LatencyHistogram::BucketOf(uint64_t nanos) {
  if (nanos < static_cast<uint64_t>(kSubBuckets)) return static_cast<int>(nanos);
  const int msb = 63 - std::countl_zero(nanos);
  const int shift = msb - kSubBucketBits;
  const int sub = static_cast<int>((nanos >> shift) & (kSubBuckets - 1));
  return (shift + 1) * kSubBuckets + sub;
}

uint64_t LatencyHistogram::BucketUpperBound(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  const int shift = bucket / kSubBuckets - 1;
  const uint64_t sub = static_cast<uint64_t>(bucket % kSubBuckets);
  const uint64_t lower = (static_cast<uint64_t>(kSubBuckets) + sub) << shift;
  return lower + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::Record(uint64_t nanos) {
  counts_[static_cast<size_t>(BucketOf(nanos))]++;
  count_++;
}

uint64_t LatencyHistogram::PercentileNanos(double percentile) const {
  if (count_ == 0) return 0;
  auto target = static_cast<uint64_t>(std::ceil(static_cast<double>(count_) * percentile / 100));
  target = std::clamp<uint64_t>(target, 1, count_);
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += counts_[static_cast<size_t>(b)];
    if (seen >= target) return BucketUpperBound(b);
  }
  return BucketUpperBound(kBuckets - 1);
}

uint64_t LatencyHistogram::CountAtMost(uint64_t nanos) const {
  uint64_t seen = 0;
  for (int b = 0; b < kBuckets && BucketUpperBound(b) <= nanos; ++b) {
    seen += counts_[static_cast<size_t>(b)];
  }
  return seen;
}

CommandStats::CommandStats(const CommandTable& table) {
  const std::vector<CommandSpec>& rows = table.commands();
  base_ = rows.empty() ? nullptr : rows.data();
  container_of_row_.assign(rows.size(), -1);
  for (const CommandSpec& row : rows) names_.emplace_back(row.name);
  for (const ContainerSubcommands& c : Containers()) {
    const CommandSpec* spec = table.Find(c.parent);
    if (spec == nullptr) continue;
    container_of_row_[static_cast<size_t>(spec - base_)] = static_cast<int>(containers_.size());
    containers_.push_back(Container{names_.size(), c.subcommands});
    for (std::string_view sub : c.subcommands) {
      names_.push_back(std::string(c.parent) + "|" + std::string(sub));
    }
  }
  slots_.resize(names_.size());
}

size_t CommandStats::SlotOf(const CommandSpec& spec, size_t argc,
                            const std::string_view* args) const {
  const auto row = static_cast<size_t>(&spec - base_);
  const int container = container_of_row_[row];
  if (container < 0 || argc < 2) return row;
  const Container& c = containers_[static_cast<size_t>(container)];
  for (size_t i = 0; i < c.subcommands.size(); ++i) {
    if (EqualsIgnoreCase(args[1], c.subcommands[i])) return c.first_slot + i;
  }
  return row;
}

void CommandStats::RecordCall(size_t slot, uint64_t nanos, bool failed) {
  CommandCounters& c = slots_[slot];
  c.calls++;
  c.nanos += nanos;
  if (failed) c.failed_calls++;
  if (c.latency == nullptr) c.latency = std::make_unique<LatencyHistogram>();
  c.latency->Record(nanos);
}

void CommandStats::RecordError(std::string_view message) {
  std::string_view prefix = message.substr(0, message.find(' '));
  auto it = errors_.find(prefix);
  if (it != errors_.end()) {
    it->second++;
  } else if (errors_.size() < kMaxErrorPrefixes) {
    errors_.emplace(std::string(prefix), 1);
  }
}

void CommandStats::Reset() {
  for (CommandCounters& c : slots_) c = CommandCounters{};
  errors_.clear();
}

std::vector<CommandStats::Named> CommandStats::Sorted() const {
  std::vector<Named> named;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].calls == 0 && slots_[i].rejected_calls == 0 && slots_[i].failed_calls == 0) {
      continue;
    }
    named.push_back(Named{names_[i], &slots_[i]});
  }
  std::sort(named.begin(), named.end(),
            [](const Named& a, const Named& b) { return a.name < b.name; });
  return named;
}

}  // namespace shale::server
