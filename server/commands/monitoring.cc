// Monitoring commands: SLOWLOG (Redis's slowlog.c) and LATENCY (Redis's latency.c).
#include <string>
#include <vector>

#include "server/command_stats.h"
#include "server/command_table.h"
#include "server/server.h"
#include "server/slowlog.h"

namespace shale::server {

namespace {

void ArityError(CommandContext& ctx) {
  ctx.reply.Error("ERR wrong number of arguments for '" + ToLower(ctx.args[0]) + "|" +
                  ToLower(ctx.args[1]) + "' command");
}

void ReplyHelp(CommandContext& ctx, const std::vector<std::string_view>& lines) {
  ctx.reply.ArrayHeader(lines.size());
  for (std::string_view line : lines) ctx.reply.SimpleString(line);
}

void SlowlogCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  Slowlog& slowlog = ctx.server.slowlog();
  if (EqualsIgnoreCase(sub, "get")) {
    if (ctx.args.size() > 3) {
      ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" +
                      std::string(sub) + "'. Try SLOWLOG HELP.");
      return;
    }
    int64_t count = 10;
    if (ctx.args.size() == 3 && (!ParseInt64(ctx.args[2], &count) || count < -1)) {
      ctx.reply.Error("ERR count should be greater than or equal to -1");
      return;
    }
    const auto& entries = slowlog.entries();
    const size_t n =
        count < 0 ? entries.size() : std::min(entries.size(), static_cast<size_t>(count));
    ctx.reply.ArrayHeader(n);
    for (size_t i = 0; i < n; ++i) {
      const SlowlogEntry& e = entries[i];
      ctx.reply.ArrayHeader(6);
      ctx.reply.Integer(static_cast<int64_t>(e.id));
      ctx.reply.Integer(e.time_sec);
      ctx.reply.Integer(static_cast<int64_t>(e.micros));
      ctx.reply.ArrayHeader(e.args.size());
      for (const std::string& arg : e.args) ctx.reply.Bulk(arg);
      ctx.reply.Bulk(e.client_addr);
      ctx.reply.Bulk(e.client_name);
    }
  } else if (EqualsIgnoreCase(sub, "len")) {
    if (ctx.args.size() != 2) return ArityError(ctx);
    ctx.reply.Integer(static_cast<int64_t>(slowlog.entries().size()));
  } else if (EqualsIgnoreCase(sub, "reset")) {
    if (ctx.args.size() != 2) return ArityError(ctx);
    slowlog.Reset();
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "help") && ctx.args.size() == 2) {
    ReplyHelp(ctx,
              {
                  "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                  "GET [<count>]",
                  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                  "    Entries are made of:",
                  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                  "    client name",
                  "LEN",
                  "    Return the length of the slowlog.",
                  "RESET",
                  "    Reset the slowlog.",
                  "HELP",
                  "    Print this help.",
              });
  } else {
    ctx.reply.Error(UnknownSubcommandError("slowlog", sub));
  }
}

// LATENCY HISTOGRAM's buckets, as Redis: cumulative counts at the powers of two of
// microseconds where the count grows, up to the one that holds the slowest call.
void ReplyHistogram(CommandContext& ctx, const CommandCounters& counters) {
  ctx.reply.MapHeader(2);
  ctx.reply.Bulk("calls");
  ctx.reply.Integer(static_cast<int64_t>(counters.calls));
  ctx.reply.Bulk("histogram_usec");
  std::vector<std::pair<uint64_t, uint64_t>> buckets;
  if (const LatencyHistogram* h = counters.latency.get(); h != nullptr && h->count() > 0) {
    for (uint64_t usec = 1;; usec *= 2) {
      const uint64_t below = h->CountAtMost(usec * 1000);
      if (below > 0 && (buckets.empty() || buckets.back().second < below)) {
        buckets.emplace_back(usec, below);
      }
      if (below >= h->count() || usec >= (uint64_t{1} << 40)) break;
    }
  }
  ctx.reply.MapHeader(buckets.size());
  for (const auto& [usec, count] : buckets) {
    ctx.reply.Integer(static_cast<int64_t>(usec));
    ctx.reply.Integer(static_cast<int64_t>(count));
  }
}

void LatencyCommand(CommandContext& ctx) {
  const std::string_view sub = ctx.args[1];
  LatencyMonitor& monitor = ctx.server.latency_monitor();
  if (EqualsIgnoreCase(sub, "latest")) {
    if (ctx.args.size() != 2) return ArityError(ctx);
    ctx.reply.ArrayHeader(monitor.events().size());
    for (const auto& [name, event] : monitor.events()) {
      ctx.reply.ArrayHeader(4);
      ctx.reply.Bulk(name);
      ctx.reply.Integer(event.history.back().time_sec);
      ctx.reply.Integer(static_cast<int64_t>(event.history.back().millis));
      ctx.reply.Integer(static_cast<int64_t>(event.max_millis));
    }
  } else if (EqualsIgnoreCase(sub, "history")) {
    if (ctx.args.size() != 3) return ArityError(ctx);
    auto it = monitor.events().find(ctx.args[2]);
    if (it == monitor.events().end()) {
      ctx.reply.ArrayHeader(0);
      return;
    }
    ctx.reply.ArrayHeader(it->second.history.size());
    for (const LatencyMonitor::Sample& sample : it->second.history) {
      ctx.reply.ArrayHeader(2);
      ctx.reply.Integer(sample.time_sec);
      ctx.reply.Integer(static_cast<int64_t>(sample.millis));
    }
  } else if (EqualsIgnoreCase(sub, "reset")) {
    std::vector<std::string_view> names(ctx.args.begin() + 2, ctx.args.end());
    ctx.reply.Integer(static_cast<int64_t>(monitor.Reset(names)));
  } else if (EqualsIgnoreCase(sub, "histogram")) {
    std::vector<CommandStats::Named> all = ctx.server.command_stats().Sorted();
    std::vector<const CommandStats::Named*> chosen;
    for (const CommandStats::Named& n : all) {
      if (n.counters->calls == 0) continue;
      bool wanted = ctx.args.size() == 2;
      for (size_t i = 2; i < ctx.args.size() && !wanted; ++i) {
        wanted = EqualsIgnoreCase(ctx.args[i], n.name);
      }
      if (wanted) chosen.push_back(&n);
    }
    ctx.reply.MapHeader(chosen.size());
    for (const CommandStats::Named* n : chosen) {
      ctx.reply.Bulk(n->name);
      ReplyHistogram(ctx, *n->counters);
    }
  } else if (EqualsIgnoreCase(sub, "doctor")) {
    if (ctx.args.size() != 2) return ArityError(ctx);
    std::string report;
    if (ctx.server.config().latency_monitor_threshold == 0) {
      report =
          "The latency monitor is off: set latency-monitor-threshold (milliseconds) with "
          "CONFIG SET to record events.\n";
    } else if (monitor.events().empty()) {
      report = "No event reached latency-monitor-threshold (" +
               std::to_string(ctx.server.config().latency_monitor_threshold) +
               " ms) since start or the last LATENCY RESET.\n";
    } else {
      for (const auto& [name, event] : monitor.events()) {
        uint64_t sum = 0;
        for (const LatencyMonitor::Sample& s : event.history) sum += s.millis;
        report += name + ": " + std::to_string(event.history.size()) + " latency spikes (average " +
                  std::to_string(sum / event.history.size()) + "ms, worst " +
                  std::to_string(event.max_millis) + "ms, latest " +
                  std::to_string(event.history.back().millis) + "ms).\n";
      }
    }
    ctx.reply.Verbatim("txt", report);
  } else if (EqualsIgnoreCase(sub, "help") && ctx.args.size() == 2) {
    ReplyHelp(ctx, {
                       "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                       "DOCTOR",
                       "    Return a human readable latency analysis report.",
                       "HISTORY <event>",
                       "    Return time-latency samples for the <event> class.",
                       "LATEST",
                       "    Return the latest latency samples for all events.",
                       "RESET [<event> ...]",
                       "    Reset latency data of one or more <event> classes.",
                       "    (default: reset all data for all event classes)",
                       "HISTOGRAM [COMMAND ...]",
                       "    Return a cumulative distribution of latencies (a histogram) for the",
                       "    specified command names.",
                       "    If no commands are specified then all histograms are replied.",
                       "HELP",
                       "    Print this help.",
                   });
  } else {
    ctx.reply.Error(UnknownSubcommandError("latency", sub));
  }
}

const CommandSpec kMonitoringCommands[] = {
    {"slowlog", -2, kCmdAdmin | kCmdLoading | kCmdStale, 0, 0, 0, SlowlogCommand, "server",
     "2.2.12", "A container for slow log commands.", "subcommand [argument ...]"},
    {"latency", -2, kCmdAdmin | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, LatencyCommand,
     "server", "2.8.13", "A container for latency diagnostics commands.",
     "subcommand [argument ...]"},
};

}  // namespace

void RegisterMonitoringCommands(CommandTable& table) {
  table.Register(kMonitoringCommands, std::size(kMonitoringCommands));
}

}  // namespace shale::server
