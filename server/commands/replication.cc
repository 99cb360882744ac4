// The replication commands (Redis's replication.c): SYNC and PSYNC make the connection a replica
// (server/replication.h), REPLCONF carries the replica's settings and acknowledgements, ROLE
// and WAIT report what the replicas have, REPLICAOF makes this server follow a primary
// (server/replica_link.h).
#include "server/replication.h"

#include <algorithm>
#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace shale::server {

namespace {

// SYNC: the snapshot and then the stream (the old protocol, without an offset).
void SyncCommand(CommandContext& ctx) {
  if (ctx.connection.is_replica()) return;  // already one: ignored, as Redis does
  ctx.server.replication().Attach(ctx.connection, false, "", 0);
}

// PSYNC replicationid offset: continues from the backlog when it can, or resynchronises fully.
void PsyncCommand(CommandContext& ctx) {
  if (ctx.connection.is_replica()) return;
  int64_t offset = 0;
  // As Redis: an offset that does not parse forces a full resynchronisation.
  if (!ParseInt64(ctx.args[2], &offset)) offset = -1;
  ctx.server.replication().Attach(ctx.connection, true, ctx.args[1], offset);
}

// REPLCONF option value [option value ...]: listening-port, ip-address, capa and rdb-only are
// taken (+OK); ACK and GETACK, which only a replica and a primary exchange, get no reply.
void ReplconfCommand(CommandContext& ctx) {
  if (ctx.args.size() % 2 == 0) return ctx.reply.Error(kSyntaxError);
  Replication& replication = ctx.server.replication();
  for (size_t i = 1; i < ctx.args.size(); i += 2) {
    std::string_view option = ctx.args[i];
    std::string_view value = ctx.args[i + 1];
    if (EqualsIgnoreCase(option, "listening-port")) {
      int64_t port = 0;
      if (!ParseInt64(value, &port) || port < 0 || port > 65535) {
        return ctx.reply.Error(kNotIntegerError);
      }
      // Told before PSYNC: kept on the connection, which INFO's slaveN line reads.
      ctx.connection.set_replica_listening_port(port);
    } else if (EqualsIgnoreCase(option, "ack")) {
      int64_t offset = 0;
      if (ParseInt64(value, &offset)) replication.Acknowledge(ctx.connection, offset);
      return;
    } else if (EqualsIgnoreCase(option, "getack")) {
      return;  // a primary's question to its replica; Shale is not one
    } else if (!EqualsIgnoreCase(option, "capa") && !EqualsIgnoreCase(option, "ip-address") &&
               !EqualsIgnoreCase(option, "rdb-only") &&
               !EqualsIgnoreCase(option, "rdb-filter-only")) {
      return ctx.reply.Error("ERR Unrecognized REPLCONF option: " + std::string(option));
    }
  }
  ctx.reply.SimpleString("OK");
}

// REPLICAOF host port / REPLICAOF NO ONE (SLAVEOF): follow a primary, or stop following one.
// Following drops this server's replicas (they resynchronise, since its data is replaced).
void ReplicaOfCommand(CommandContext& ctx) {
  ReplicaLink& link = ctx.server.replica_link();
  Config& config = ctx.server.config();
  if (EqualsIgnoreCase(ctx.args[1], "no") && EqualsIgnoreCase(ctx.args[2], "one")) {
    link.Stop();
    config.replicaof_host.clear();
    config.replicaof_port = 0;
    return ctx.reply.SimpleString("OK");
  }
  int64_t port = 0;
  if (!ParseInt64(ctx.args[2], &port)) return ctx.reply.Error(kNotIntegerError);
  if (port < 0 || port > 65535) return ctx.reply.Error("ERR Invalid master port");
  if (link.following() && EqualsIgnoreCase(link.host(), ctx.args[1]) && link.port() == port) {
    return ctx.reply.SimpleString("OK Already connected to specified master");
  }
  ctx.server.replication().DisconnectReplicas();
  config.replicaof_host = std::string(ctx.args[1]);
  config.replicaof_port = port;
  link.Follow(config.replicaof_host, static_cast<int>(port));
  ctx.reply.SimpleString("OK");
}

// ROLE: master, the replication offset, and each replica's address and acknowledged offset;
// as a replica: slave, the primary's address, the link's state and the offset applied.
void RoleCommand(CommandContext& ctx) {
  const ReplicaLink& link = ctx.server.replica_link();
  if (link.following()) {
    ctx.reply.ArrayHeader(5);
    ctx.reply.Bulk("slave");
    ctx.reply.Bulk(link.host());
    ctx.reply.Integer(link.port());
    ctx.reply.Bulk(link.state_name());
    ctx.reply.Integer(link.link_up() ? static_cast<int64_t>(link.offset()) : -1);
    return;
  }
  const Replication& replication = ctx.server.replication();
  const std::vector<Replication::ReplicaInfo> replicas = replication.Replicas(ctx.server.NowMs());
  ctx.reply.ArrayHeader(3);
  ctx.reply.Bulk("master");
  ctx.reply.Integer(static_cast<int64_t>(replication.offset()));
  ctx.reply.ArrayHeader(replicas.size());
  for (const Replication::ReplicaInfo& replica : replicas) {
    ctx.reply.ArrayHeader(3);
    ctx.reply.Bulk(replica.ip);
    ctx.reply.Bulk(std::to_string(replica.port));
    ctx.reply.Bulk(std::to_string(replica.ack_offset));
  }
}

// WAIT numreplicas timeout: blocks until `numreplicas` replicas acknowledged everything written
// before it (the stream up to the offset when WAIT began), or `timeout` ms passed (0: no
// timeout); replies how many did. Inside MULTI it answers at once.
void WaitCommand(CommandContext& ctx) {
  int64_t wanted = 0;
  if (!ParseInt64(ctx.args[1], &wanted)) return ctx.reply.Error(kNotIntegerError);
  int64_t timeout = 0;
  if (!ParseInt64(ctx.args[2], &timeout)) {
    return ctx.reply.Error("ERR timeout is not an integer or out of range");
  }
  if (timeout < 0) return ctx.reply.Error("ERR timeout is negative");
  Replication& replication = ctx.server.replication();
  Connection& connection = ctx.connection;
  const bool first_run = connection.wait_offset == 0;
  const uint64_t target = first_run ? replication.offset() : connection.wait_offset;
  const size_t acknowledged = replication.ReplicasAt(target);
  const bool timed_out = connection.block().timed_out;
  connection.block().timed_out = false;
  if (acknowledged >= static_cast<uint64_t>(std::max<int64_t>(wanted, 0)) || timed_out ||
      connection.transaction().in_multi()) {
    connection.wait_offset = 0;
    replication.StopWaiting(&connection);
    return ctx.reply.Integer(static_cast<int64_t>(acknowledged));
  }
  // Offset 0 (nothing written yet) is kept as 1 so the next run knows it waits.
  connection.wait_offset = std::max<uint64_t>(target, 1);
  if (first_run) {
    replication.WaitForAcks(&connection);
    replication.RequestAcks();
  }
  const uint64_t deadline = timeout == 0 ? 0 : ctx.server.NowMs() + static_cast<uint64_t>(timeout);
  ctx.server.BlockForKeys(connection, {}, deadline);
}

const CommandSpec kReplicationCommands[] = {
    {"sync", 1, kCmdAdmin | kCmdNoMulti | kCmdNoScript, 0, 0, 0, SyncCommand, "server", "1.0.0",
     "An internal command used in replication.", ""},
    {"psync", -3, kCmdAdmin | kCmdNoMulti | kCmdNoScript, 0, 0, 0, PsyncCommand, "server", "2.8.0",
     "An internal command used in replication.", "replicationid offset"},
    {"replconf", -1, kCmdAdmin | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, ReplconfCommand,
     "server", "3.0.0", "An internal command for configuring the replication stream.", ""},
    {"replicaof", 3, kCmdAdmin | kCmdStale | kCmdNoScript, 0, 0, 0, ReplicaOfCommand, "server",
     "5.0.0", "Configures a server as replica of another, or promotes it to a master.",
     "host port"},
    {"slaveof", 3, kCmdAdmin | kCmdStale | kCmdNoScript, 0, 0, 0, ReplicaOfCommand, "server",
     "1.0.0", "Sets a Redis server as a replica of another, or promotes it to being a master.",
     "host port"},
    {"role", 1, kCmdLoading | kCmdStale | kCmdFast, 0, 0, 0, RoleCommand, "server", "2.8.12",
     "Returns the replication role.", ""},
    {"wait", 3, kCmdNoScript, 0, 0, 0, WaitCommand, "generic", "3.0.0",
     "Blocks until the asynchronous replication of all preceding write commands sent by the "
     "connection is completed.",
     "numreplicas timeout"},
};

}  // namespace

void RegisterReplicationCommands(CommandTable& table) {
  table.Register(kReplicationCommands, std::size(kReplicationCommands));
}

}  // namespace shale::server
