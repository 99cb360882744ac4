// MEMORY (USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE, HELP): Redis's memory introspection, with
// what Shale's memory is made of (server/server.h MemoryUsage).
#include <malloc.h>

#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace shale::server {

namespace {

constexpr std::string_view kMemoryHelp[] = {
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Print this help.",
};

void MemoryUsage(CommandContext& ctx) {
  const size_t argc = ctx.args.size();
  uint64_t samples = 5;
  for (size_t i = 3; i < argc; ++i) {
    if (EqualsIgnoreCase(ctx.args[i], "samples") && i + 1 < argc) {
      int64_t n = 0;
      if (!ParseInt64(ctx.args[i + 1], &n)) {
        ctx.reply.Error(kNotIntegerError);
        return;
      }
      if (n < 0) {
        ctx.reply.Error(kSyntaxError);
        return;
      }
      samples = static_cast<uint64_t>(n);
      ++i;
    } else {
      ctx.reply.Error(kSyntaxError);
      return;
    }
  }
  uint64_t bytes = 0;
  bool found = false;
  storage::Status s = ctx.ks.MemoryUsage(ctx.connection.db(), ctx.args[2], samples, &bytes, &found);
  if (!s.ok()) return ReplyStorageError(ctx, s);
  if (!found) {
    ctx.reply.NullBulk();
    return;
  }
  ctx.reply.Integer(static_cast<int64_t>(bytes));
}

void MemoryStats(CommandContext& ctx) {
  const storage::DbStats stats = ctx.db.Stats();
  const Server::MemoryUsage usage = ctx.server.Memory(stats);
  const uint64_t used = usage.used();
  ServerStats& server_stats = ctx.server.stats();
  server_stats.used_memory_peak = std::max(server_stats.used_memory_peak, used);
  uint64_t keys = 0;
  for (int db = 0; db < ctx.ks.databases(); ++db) keys += ctx.ks.KeyCount(db);
  const uint64_t backlog = ctx.server.replication().backlog_histlen();
  const uint64_t lua = ctx.server.scripting().lua_memory();
  const uint64_t overhead = usage.overhead() + backlog + lua;
  const uint64_t dataset = used > usage.overhead() ? used - usage.overhead() : 0;
  std::vector<std::pair<std::string_view, uint64_t>> counts = {
      {"peak.allocated", server_stats.used_memory_peak},
      {"total.allocated", used},
      {"startup.allocated", 0},
      {"replication.backlog", backlog},
      {"clients.slaves", 0},
      {"clients.normal", usage.clients()},
      {"cluster.links", 0},
      {"aof.buffer", usage.wal_buffers},
      {"lua.caches", lua},
      {"functions.caches", 0},
      {"memtables", usage.memtables},
      {"block.cache", usage.block_cache},
      {"overhead.total", overhead},
      {"keys.count", keys},
  };
  ctx.reply.MapHeader(counts.size() + 4);
  for (const auto& [name, value] : counts) {
    ctx.reply.Bulk(name);
    ctx.reply.Integer(static_cast<int64_t>(value));
  }
  ctx.reply.Bulk("keys.bytes-per-key");
  ctx.reply.Integer(keys == 0 ? 0 : static_cast<int64_t>(dataset / keys));
  ctx.reply.Bulk("dataset.bytes");
  ctx.reply.Integer(static_cast<int64_t>(dataset));
  ctx.reply.Bulk("dataset.percentage");
  ctx.reply.Double(used == 0 ? 0
                             : 100.0 * static_cast<double>(dataset) / static_cast<double>(used));
  ctx.reply.Bulk("peak.percentage");
  ctx.reply.Double(server_stats.used_memory_peak == 0
                       ? 100.0
                       : 100.0 * static_cast<double>(used) /
                             static_cast<double>(server_stats.used_memory_peak));
}

void MemoryCommand(CommandContext& ctx) {
  std::string_view sub = ctx.args[1];
  const size_t argc = ctx.args.size();
  auto arity_error = [&] {
    ctx.reply.Error("ERR unknown subcommand or wrong number of arguments for '" + std::string(sub) +
                    "'. Try MEMORY HELP.");
  };
  if (EqualsIgnoreCase(sub, "usage")) {
    if (argc < 3) return arity_error();
    MemoryUsage(ctx);
  } else if (EqualsIgnoreCase(sub, "stats")) {
    if (argc != 2) return arity_error();
    MemoryStats(ctx);
  } else if (EqualsIgnoreCase(sub, "doctor")) {
    if (argc != 2) return arity_error();
    const Server::MemoryUsage usage = ctx.server.Memory(ctx.db.Stats());
    std::string report;
    if (ctx.server.config().maxmemory > 0 && ctx.server.OverMaxMemory()) {
      report = "Memory used by writes and clients (" +
               std::to_string(usage.counted_for_maxmemory()) +
               " bytes) is above maxmemory: commands that may use more memory are refused.\n";
    } else {
      report = "No memory problem found. Data lives on disk; what memory holds is memtables (" +
               std::to_string(usage.memtables) + " bytes), the block cache (" +
               std::to_string(usage.block_cache) + " bytes) and client buffers (" +
               std::to_string(usage.clients()) + " bytes).\n";
    }
    ctx.reply.Verbatim("txt", report);
  } else if (EqualsIgnoreCase(sub, "malloc-stats")) {
    if (argc != 2) return arity_error();
    // Shale uses the C library's malloc, which has no report of the kind jemalloc gives.
    ctx.reply.Verbatim("txt", "Stats not supported for the current allocator");
  } else if (EqualsIgnoreCase(sub, "purge")) {
    if (argc != 2) return arity_error();
    malloc_trim(0);  // gives the allocator's free pages back to the system
    ctx.reply.SimpleString("OK");
  } else if (EqualsIgnoreCase(sub, "help")) {
    if (argc != 2) return arity_error();
    ctx.reply.ArrayHeader(std::size(kMemoryHelp));
    for (std::string_view line : kMemoryHelp) ctx.reply.SimpleString(line);
  } else {
    ctx.reply.Error(UnknownSubcommandError("memory", sub));
  }
}

const CommandSpec kMemoryCommands[] = {
    {"memory", -2, 0, 0, 0, 0, MemoryCommand, "server", "4.0.0",
     "A container for memory diagnostics commands.", "subcommand [argument ...]"},
};

}  // namespace

void RegisterMemoryCommands(CommandTable& table) {
  table.Register(kMemoryCommands, std::size(kMemoryCommands));
}

}  // namespace shale::server
