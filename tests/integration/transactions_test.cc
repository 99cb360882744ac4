// Transactions: MULTI/EXEC/DISCARD queueing, errors while queueing (EXECABORT) and while
// running (in place), WATCH/UNWATCH and what touches a watched key (writes by any client,
// FLUSHDB/FLUSHALL of existing keys, per database), RESP2 and RESP3 replies, large
// transactions, CLIENT LIST, and the isolation of EXEC from concurrent readers.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class TransactionsTest : public ServerFixture {};

constexpr char kExecAbort[] = "-EXECABORT Transaction discarded because of previous errors.";

// The CLIENT LIST line of the client with id `id`, or empty.
std::string ClientLine(const std::vector<std::string>& lines, long long id) {
  const std::string prefix = "id=" + std::to_string(id) + " ";
  for (const std::string& line : lines) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

TEST_F(TransactionsTest, ExecRunsTheQueuedCommandsInOrder) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  // Each command is read, answered and dropped from the input buffer before the next arrives,
  // so the queue must hold copies of the arguments.
  EXPECT_EQ(Run({"SET", "a", "value-1"}), "+QUEUED");
  EXPECT_EQ(Run({"GET", "a"}), "+QUEUED");
  EXPECT_EQ(Run({"SET", "a", "value-2"}), "+QUEUED");
  EXPECT_EQ(Run({"GET", "a"}), "+QUEUED");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(other->Run({"GET", "a"}), "(nil)") << "nothing runs before EXEC";
  EXPECT_EQ(Run({"EXEC"}), "[+OK, \"value-1\", +OK, \"value-2\", +PONG]");
  EXPECT_EQ(other->Run({"GET", "a"}), "\"value-2\"");
  // The transaction is over.
  EXPECT_EQ(Run({"GET", "a"}), "\"value-2\"");
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI");

  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"EXEC"}), "[]") << "an empty transaction";
}

TEST_F(TransactionsTest, DiscardDropsTheQueue) {
  EXPECT_EQ(Run({"SET", "a", "old"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "a", "new"}), "+QUEUED");
  EXPECT_EQ(Run({"DEL", "a"}), "+QUEUED");
  EXPECT_EQ(Run({"DISCARD"}), "+OK");
  EXPECT_EQ(Run({"GET", "a"}), "\"old\"");
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI");
  EXPECT_EQ(Run({"DISCARD"}), "-ERR DISCARD without MULTI");
}

TEST_F(TransactionsTest, ErrorsWhileQueueingAbortTheExec) {
  // Unknown command, wrong arity and a command refused inside MULTI: each answers its error at
  // once and dooms the transaction; the commands queued around it never run.
  const std::vector<std::vector<std::string>> refused = {
      {"NOSUCH", "x"}, {"GET"}, {"SHUTDOWN"}, {"DISCARD", "extra"}, {"MULTI", "extra"}};
  const std::vector<std::string> errors = {
      "-ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
      "-ERR wrong number of arguments for 'get' command",
      "-ERR Command not allowed inside a transaction",
      "-ERR wrong number of arguments for 'discard' command",
      "-ERR wrong number of arguments for 'multi' command"};
  for (size_t i = 0; i < refused.size(); ++i) {
    SCOPED_TRACE(refused[i][0]);
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"SET", "before", "1"}), "+QUEUED");
    EXPECT_EQ(Run(refused[i]), errors[i]);
    EXPECT_EQ(Run({"SET", "after", "1"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), kExecAbort);
    EXPECT_EQ(Run({"EXISTS", "before", "after"}), ":0");
    // The aborted EXEC ended the transaction.
    EXPECT_EQ(Run({"PING"}), "+PONG");
    EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI");
  }
}

TEST_F(TransactionsTest, ExecWithArgumentsAbortsTheTransaction) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC", "extra"}),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0");
  EXPECT_EQ(Run({"EXEC"}), "-ERR EXEC without MULTI");
  // Outside MULTI the refusal is worded the same way.
  EXPECT_EQ(Run({"EXEC", "extra"}),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' "
            "command");
}

class TransactionsAuthTest : public TransactionsTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--requirepass", "secret"}; }
};

// NOAUTH refuses EXEC like any other command, worded as a refused EXEC.
TEST_F(TransactionsAuthTest, UnauthenticatedClientCannotUseTransactions) {
  auto stranger = Connect(/*authenticate=*/false);
  ASSERT_NE(stranger, nullptr);
  EXPECT_EQ(stranger->Run({"MULTI"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(stranger->Run({"WATCH", "x"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(stranger->Run({"EXEC"}),
            "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.");
  EXPECT_EQ(stranger->Run({"AUTH", "secret"}), "+OK");
  EXPECT_EQ(stranger->Run({"EXEC"}), "-ERR EXEC without MULTI");
}

TEST_F(TransactionsTest, RuntimeErrorsAnswerInTheirPlace) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"SET", "b", "2", "NX", "XX"}), "+QUEUED");  // arity is fine, syntax is not
  EXPECT_EQ(Run({"SELECT", "100"}), "+QUEUED");
  EXPECT_EQ(Run({"SET", "c", "3"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK, -ERR syntax error, -ERR DB index is out of range, +OK]");
  EXPECT_EQ(Run({"MGET", "a", "b", "c"}), "[\"1\", (nil), \"3\"]");
}

TEST_F(TransactionsTest, NestedMultiAndWatchInsideMultiDoNotDoomIt) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"MULTI"}), "-ERR MULTI calls can not be nested");
  EXPECT_EQ(Run({"WATCH", "a"}), "-ERR WATCH inside MULTI is not allowed");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK, +OK]");
  EXPECT_EQ(Run({"MGET", "a", "b"}), "[\"1\", \"2\"]");
}

TEST_F(TransactionsTest, SelectInsideMultiChangesTheDatabase) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "1"}), "+QUEUED");
  EXPECT_EQ(Run({"SET", "k", "in-1"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK, +OK]");
  EXPECT_EQ(Run({"GET", "k"}), "\"in-1\"") << "the SELECT inside EXEC stays in effect";
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
}

TEST_F(TransactionsTest, QuitInsideMultiIsNotQueued) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("MULTI\r\nSET k v\r\nQUIT\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_TRUE(raw->WaitClosed());
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
}

TEST_F(TransactionsTest, WatchedKeyChangedByAnotherClientFailsExec) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  // Changed between WATCH and MULTI, while queueing, and deleted: each fails EXEC with a null
  // array and runs nothing.
  for (const std::string_view when : {"before MULTI", "while queueing", "deleted"}) {
    SCOPED_TRACE(when);
    EXPECT_EQ(Run({"SET", "x", "1"}), "+OK");
    Run({"DEL", "mine"});
    EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
    if (when == "before MULTI") {
      EXPECT_EQ(other->Run({"SET", "x", "2"}), "+OK");
    }
    if (when == "deleted") {
      EXPECT_EQ(other->Run({"DEL", "x"}), ":1");
    }
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"SET", "mine", "1"}), "+QUEUED");
    if (when == "while queueing") {
      EXPECT_EQ(other->Run({"SET", "x", "2"}), "+OK");
    }
    EXPECT_EQ(Run({"SET", "mine", "2"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), "(nil)");
    EXPECT_EQ(Run({"EXISTS", "mine"}), ":0");
  }
}

TEST_F(TransactionsTest, WatchedKeyChangedByTheSameClientFailsExec) {
  EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "a", "b", "x", "k", "z"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "40"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionsTest, UnchangedWatchedKeysLetExecRun) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SET", "x", "1"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "x", "y", "z"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK");
  EXPECT_EQ(other->Run({"SET", "unrelated", "1"}), "+OK");
  EXPECT_EQ(other->Run({"GET", "x"}), "\"1\"") << "reading is not changing";
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "mine"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+OK]");
  EXPECT_EQ(Run({"GET", "x"}), "\"mine\"");
}

TEST_F(TransactionsTest, UnwatchForgetsTheWatchedKeys) {
  EXPECT_EQ(Run({"UNWATCH"}), "+OK") << "nothing watched";
  EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "40"}), "+OK");
  EXPECT_EQ(Run({"UNWATCH"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
}

TEST_F(TransactionsTest, ExecAndDiscardUnwatchEverything) {
  // After a successful EXEC, after a failed one, and after DISCARD (which also forgets that a
  // key changed), the key is no longer watched.
  for (const std::string_view end : {"EXEC ran", "EXEC failed", "DISCARD"}) {
    SCOPED_TRACE(end);
    EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
    EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
    if (end != "EXEC ran") {
      EXPECT_EQ(Run({"SET", "x", "40"}), "+OK");
    }
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"PING"}), "+QUEUED");
    if (end == "DISCARD") {
      EXPECT_EQ(Run({"DISCARD"}), "+OK");
    } else {
      EXPECT_EQ(Run({"EXEC"}), end == "EXEC ran" ? "[+PONG]" : "(nil)");
    }
    EXPECT_EQ(Run({"SET", "x", "50"}), "+OK");
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"PING"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
  }
}

TEST_F(TransactionsTest, FlushTouchesOnlyWatchedKeysThatExist) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (const std::string_view flush : {"FLUSHDB", "FLUSHALL"}) {
    SCOPED_TRACE(flush);
    // An existing watched key is removed by the flush: EXEC fails.
    EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
    EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
    EXPECT_EQ(other->Run({std::string(flush)}), "+OK");
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"PING"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), "(nil)");
    // A missing watched key is not changed by it: EXEC runs.
    EXPECT_EQ(Run({"SET", "y", "1"}), "+OK");
    EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
    EXPECT_EQ(other->Run({std::string(flush)}), "+OK");
    EXPECT_EQ(Run({"MULTI"}), "+OK");
    EXPECT_EQ(Run({"PING"}), "+QUEUED");
    EXPECT_EQ(Run({"EXEC"}), "[+PONG]");
  }
  // Several watched keys of one client flushed at once.
  EXPECT_EQ(Run({"MSET", "a", "a", "b", "b"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "b", "a"}), "+OK");
  EXPECT_EQ(other->Run({"FLUSHALL"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+PONG");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionsTest, WatchedKeysBelongToTheirDatabase) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "30"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
  // The same name in other databases is another key: neither a write nor a flush there
  // touches it, and the watching client's own SELECT does not move what it watches.
  EXPECT_EQ(Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "10"}), "+OK");
  EXPECT_EQ(other->Run({"SELECT", "1"}), "+OK");
  EXPECT_EQ(other->Run({"FLUSHDB"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[+PONG]");

  // A write to it from another connection in database 5 does.
  EXPECT_EQ(Run({"WATCH", "x"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "0"}), "+OK");
  EXPECT_EQ(other->Run({"SELECT", "5"}), "+OK");
  EXPECT_EQ(other->Run({"SET", "x", "31"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)");
}

TEST_F(TransactionsTest, ClosingAConnectionUnwatchesItsKeys) {
  {
    auto watcher = Connect();
    ASSERT_NE(watcher, nullptr);
    EXPECT_EQ(watcher->Run({"WATCH", "x", "y"}), "+OK");
  }
  ASSERT_TRUE(WaitForClientCount(1));
  // Touching the keys of a closed watcher must find nobody to tell.
  EXPECT_EQ(Run({"SET", "x", "1"}), "+OK");
  EXPECT_EQ(Run({"FLUSHALL"}), "+OK");
  EXPECT_EQ(Run({"PING"}), "+PONG");
}

TEST_F(TransactionsTest, Resp3AndResp2Replies) {
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_EQ(hello.type, '%') << hello.ToString();

  ASSERT_TRUE(raw->Send("MULTI\r\nSET k v\r\nGET k\r\nGET missing\r\nEXEC\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  EXPECT_EQ(raw->ReadReplyText(), "[+OK, \"v\", _]");

  // A failed EXEC is RESP3's null; under RESP2 it is the null array.
  ASSERT_TRUE(raw->Send("WATCH k\r\nSET k w\r\nMULTI\r\nPING\r\nEXEC\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  RespValue null;
  ASSERT_TRUE(raw->ReadReply(&null, &error)) << error;
  EXPECT_EQ(null.type, '_') << null.ToString();

  ASSERT_TRUE(raw->Send("HELLO 2\r\n"));
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_TRUE(raw->Send("WATCH k\r\nSET k x\r\nMULTI\r\nPING\r\nEXEC\r\n"));
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+OK");
  EXPECT_EQ(raw->ReadReplyText(), "+QUEUED");
  EXPECT_EQ(raw->ReadReplyText(), "(nil array)");
}

// Redis's maxmemory under noeviction: above it, commands that may use more memory are refused
// (and an EXEC of any of them, and queueing in MULTI), while reads, deletes and DISCARD run.
TEST_F(TransactionsTest, MaxmemoryRefusesWhatUsesMemory) {
  const std::string oom = "-OOM command not allowed when used memory > 'maxmemory'.";
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SET", "a", "1"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"SET", "b", "1"}), "+QUEUED");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "1"}), "+OK");
  EXPECT_EQ(Run({"GET", "a"}), oom) << "queueing takes memory";
  EXPECT_EQ(Run({"EXEC"}),
            "-EXECABORT Transaction discarded because of: OOM command not allowed when used "
            "memory > 'maxmemory'.");
  EXPECT_EQ(Run({"GET", "b"}), "(nil)");
  EXPECT_EQ(Run({"SET", "b", "1"}), oom);
  EXPECT_EQ(Run({"LPUSH", "l", "1"}), oom);
  EXPECT_EQ(Run({"INCR", "a"}), oom);
  EXPECT_EQ(Run({"GET", "a"}), "\"1\"");
  EXPECT_EQ(Run({"EXPIRE", "a", "100"}), ":1");
  EXPECT_EQ(Run({"DEL", "a"}), ":1");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"DEL", "a"}), oom);
  EXPECT_EQ(Run({"DISCARD"}), "+OK");
  EXPECT_EQ(other->Run({"CONFIG", "GET", "maxmemory-policy"}),
            "[\"maxmemory-policy\", \"noeviction\"]");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "0"}), "+OK");
  EXPECT_EQ(Run({"SET", "b", "2"}), "+OK");
  // A transaction of reads only runs under the limit; DISCARD always does.
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"GET", "b"}), "+QUEUED");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "1"}), "+OK");
  EXPECT_EQ(Run({"EXEC"}), "[\"2\"]");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "0"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "1"}), "+OK");
  EXPECT_EQ(Run({"DISCARD"}), "+OK");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "maxmemory", "0"}), "+OK");
  if (IsRedis()) return;
  EXPECT_EQ(Run({"CONFIG", "SET", "maxmemory-policy", "allkeys-lru"}),
            "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - Shale "
            "keeps its data on disk and evicts nothing: maxmemory-policy can only be noeviction");
}

// min-replicas-to-write with no replica connected refuses writes, queued ones at EXEC too.
TEST_F(TransactionsTest, MinReplicasToWriteRefusesWritesWithoutReplicas) {
  const std::string refused = "-NOREPLICAS Not enough good replicas to write.";
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SET", "x", "1"}), "+OK");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"INCR", "x"}), "+QUEUED");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "min-replicas-to-write", "2"}), "+OK");
  EXPECT_EQ(Run({"EXEC"}),
            "-EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to "
            "write.");
  EXPECT_EQ(Run({"GET", "x"}), "\"1\"") << "reads still run";
  EXPECT_EQ(Run({"SET", "x", "2"}), refused);
  EXPECT_EQ(Run({"DEL", "x"}), refused);
  EXPECT_EQ(other->Run({"CONFIG", "SET", "min-slaves-max-lag", "0"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "3"}), "+OK") << "a lag of 0 turns the check off";
  EXPECT_EQ(other->Run({"CONFIG", "SET", "min-replicas-to-write", "0"}), "+OK");
  EXPECT_EQ(other->Run({"CONFIG", "SET", "min-replicas-max-lag", "10"}), "+OK");
  EXPECT_EQ(Run({"INCR", "x"}), ":4");
}

TEST_F(TransactionsTest, TenThousandQueuedCommands) {
  constexpr int kCommands = 10000;
  std::vector<std::vector<std::string>> pipeline;
  pipeline.push_back({"MULTI"});
  for (int i = 0; i < kCommands; ++i) {
    pipeline.push_back({"SET", "key:" + std::to_string(i), "value:" + std::to_string(i)});
  }
  pipeline.push_back({"EXEC"});
  const std::vector<ReplyPtr> replies = client_->Pipeline(pipeline);
  ASSERT_EQ(replies.size(), pipeline.size());
  EXPECT_EQ(Describe(replies.front()), "+OK");
  for (int i = 1; i <= kCommands; ++i) {
    ASSERT_EQ(Describe(replies[static_cast<size_t>(i)]), "+QUEUED") << "command " << i;
  }
  const redisReply* exec = replies.back().get();
  ASSERT_NE(exec, nullptr);
  ASSERT_EQ(exec->type, REDIS_REPLY_ARRAY) << Describe(exec);
  ASSERT_EQ(exec->elements, static_cast<size_t>(kCommands));
  for (size_t i = 0; i < exec->elements; ++i) {
    ASSERT_EQ(Describe(exec->element[i]), "+OK") << "reply " << i;
  }
  EXPECT_EQ(Run({"DBSIZE"}), ":" + std::to_string(kCommands));
  EXPECT_EQ(Run({"GET", "key:0"}), "\"value:0\"");
  EXPECT_EQ(Run({"GET", "key:9999"}), "\"value:9999\"");
}

TEST_F(TransactionsTest, ClientListFlagsAClientInMulti) {
  auto in_multi = Connect();
  ASSERT_NE(in_multi, nullptr);
  const ReplyPtr id = in_multi->Command({"CLIENT", "ID"});
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(in_multi->Run({"MULTI"}), "+OK");
  EXPECT_EQ(in_multi->Run({"SET", "a", "1"}), "+QUEUED");
  EXPECT_EQ(in_multi->Run({"SET", "b", "2"}), "+QUEUED");
  std::string line = ClientLine(ClientListLines(), id->integer);
  EXPECT_NE(line.find(" flags=x "), std::string::npos) << line;
  EXPECT_NE(line.find(" multi=2 "), std::string::npos) << line;
  EXPECT_EQ(in_multi->Run({"EXEC"}), "[+OK, +OK]");
  line = ClientLine(ClientListLines(), id->integer);
  EXPECT_NE(line.find(" flags=N "), std::string::npos) << line;
  EXPECT_NE(line.find(" multi=-1 "), std::string::npos) << line;
}

// A reader never sees part of an EXEC: every EXEC sets all keys (spread over the shards) to
// its round number, so every MGET must find them all equal.
TEST_F(TransactionsTest, ConcurrentReaderNeverSeesHalfAnExec) {
  constexpr int kKeys = 64;
  constexpr int kRounds = 300;
  std::vector<std::string> mget = {"MGET"};
  for (int k = 0; k < kKeys; ++k) mget.push_back("key:" + std::to_string(k));
  auto writer = Connect();
  auto reader = Connect();
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);

  std::atomic<bool> writing{true};
  std::vector<std::string> writer_failures;
  std::thread writer_thread([&] {
    for (int round = 1; round <= kRounds; ++round) {
      std::vector<std::vector<std::string>> pipeline = {{"MULTI"}};
      for (int k = 0; k < kKeys; ++k) {
        pipeline.push_back({"SET", "key:" + std::to_string(k), std::to_string(round)});
      }
      pipeline.push_back({"EXEC"});
      const std::vector<ReplyPtr> replies = writer->Pipeline(pipeline);
      if (replies.size() != pipeline.size() || replies.back()->type != REDIS_REPLY_ARRAY ||
          replies.back()->elements != static_cast<size_t>(kKeys)) {
        writer_failures.push_back("round " + std::to_string(round) + ": " +
                                  (replies.empty() ? "no reply" : Describe(replies.back())));
        break;
      }
    }
    writing = false;
  });

  std::vector<std::string> torn;
  int reads = 0;
  // Reads until the writer is done, and at least a few times whatever the scheduling.
  while (writing || reads < 10) {
    const ReplyPtr values = reader->Command(mget);
    ++reads;
    if (values == nullptr || values->type != REDIS_REPLY_ARRAY ||
        values->elements != static_cast<size_t>(kKeys)) {
      torn.push_back("bad reply: " + Describe(values));
      break;
    }
    const std::string first = Describe(values->element[0]);
    for (size_t k = 1; k < values->elements; ++k) {
      if (Describe(values->element[k]) != first) {
        torn.push_back(Describe(values));
        break;
      }
    }
    if (torn.size() > 3) break;
  }
  writer_thread.join();
  EXPECT_TRUE(writer_failures.empty()) << writer_failures.front();
  EXPECT_TRUE(torn.empty()) << torn.size() << " torn reads, e.g. " << torn.front();
  const ReplyPtr last = reader->Command(mget);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(Describe(last->element[kKeys - 1]), "\"" + std::to_string(kRounds) + "\"");
}

}  // namespace
}  // namespace shale::integration
