// Transaction commands: MULTI, EXEC, DISCARD, WATCH, UNWATCH (Redis's multi.c). Queueing
// happens in Server::Dispatch, the running of the queue in Server::RunTransaction; the state
// and the watch registry are in server/transactions.h.
#include "server/transactions.h"

#include <string>
#include <vector>

#include "server/command_table.h"
#include "server/connection.h"
#include "server/server.h"

namespace shale::server {

namespace {

void MultiCommand(CommandContext& ctx) {
  Transaction& transaction = ctx.connection.transaction();
  if (transaction.in_multi()) {
    // The open transaction goes on, not doomed.
    ctx.reply.Error("ERR MULTI calls can not be nested");
    return;
  }
  transaction.Begin();
  ctx.reply.SimpleString("OK");
}

void ExecCommand(CommandContext& ctx) {
  Transaction& transaction = ctx.connection.transaction();
  if (!transaction.in_multi()) {
    ctx.reply.Error("ERR EXEC without MULTI");
    return;
  }
  WatchRegistry& watches = ctx.server.watches();
  if (transaction.flagged()) {
    ctx.reply.Error(kExecAbortError);
    transaction.Discard(watches);
    return;
  }
  // A key watched while live that has expired since counts as changed, even if nothing
  // touched it yet.
  if (transaction.watcher().dirty() || watches.WatchedKeyExpired(transaction.watcher())) {
    ctx.reply.NullArray();
    transaction.Discard(watches);
    return;
  }
  ctx.server.RunTransaction(ctx.connection);
}

void DiscardCommand(CommandContext& ctx) {
  Transaction& transaction = ctx.connection.transaction();
  if (!transaction.in_multi()) {
    ctx.reply.Error("ERR DISCARD without MULTI");
    return;
  }
  transaction.Discard(ctx.server.watches());
  ctx.reply.SimpleString("OK");
}

void WatchCommand(CommandContext& ctx) {
  Transaction& transaction = ctx.connection.transaction();
  if (transaction.in_multi()) {
    // Redis 7.0 answers without dooming the transaction.
    ctx.reply.Error("ERR WATCH inside MULTI is not allowed");
    return;
  }
  // A client whose watched key already changed will fail its EXEC anyway.
  if (!transaction.watcher().dirty()) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      ctx.server.watches().Watch(transaction.watcher(), ctx.connection.db(), ctx.args[i]);
    }
  }
  ctx.reply.SimpleString("OK");
}

void UnwatchCommand(CommandContext& ctx) {
  Watcher& watcher = ctx.connection.transaction().watcher();
  ctx.server.watches().UnwatchAll(watcher);
  watcher.ClearDirty();
  ctx.reply.SimpleString("OK");
}

const CommandSpec kTransactionCommands[] = {
    {"multi", 1, kCmdFast | kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 0, 0, 0,
     MultiCommand, "transactions", "1.2.0", "Starts a transaction.", ""},
    {"exec", 1, kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 0, 0, 0, ExecCommand,
     "transactions", "1.2.0", "Executes all commands in a transaction.", ""},
    {"discard", 1, kCmdFast | kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 0, 0, 0,
     DiscardCommand, "transactions", "2.0.0", "Discards a transaction.", ""},
    {"watch", -2, kCmdFast | kCmdLoading | kCmdStale | kCmdNotQueued | kCmdNoScript, 1, -1, 1,
     WatchCommand, "transactions", "2.2.0",
     "Monitors changes to keys to determine the execution of a transaction.", "key [key ...]"},
    {"unwatch", 1, kCmdFast | kCmdLoading | kCmdStale | kCmdNoScript, 0, 0, 0, UnwatchCommand,
     "transactions", "2.2.0", "Forgets about watched keys of a transaction.", ""},
};

}  // namespace

void RegisterTransactionCommands(CommandTable& table) {
  table.Register(kTransactionCommands, std::size(kTransactionCommands));
}

}  // namespace shale::server
