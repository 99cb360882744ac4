// Server commands: INFO (format, sections, keyspace, counters), CONFIG GET/SET, COMMAND
// (COUNT, INFO, DOCS), TIME and DBSIZE.
#include <fnmatch.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

// INFO text parsed into sections (in order) of key -> value.
struct Info {
  std::vector<std::string> sections;
  std::map<std::string, std::map<std::string, std::string>> fields;  // section -> key -> value
  std::vector<std::string> problems;                                 // format violations

  bool Has(const std::string& section) const {
    return std::find(sections.begin(), sections.end(), section) != sections.end();
  }
  std::string Get(const std::string& section, const std::string& key) const {
    auto s = fields.find(section);
    if (s == fields.end()) return "(no section " + section + ")";
    auto f = s->second.find(key);
    if (f == s->second.end()) return "(no field " + key + ")";
    return f->second;
  }
};

Info ParseInfo(const std::string& text) {
  Info info;
  std::string section;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find("\r\n", start);
    if (end == std::string::npos) {
      info.problems.push_back("last line not terminated by CRLF: \"" +
                              EscapeBytes(text.substr(start)) + "\"");
      break;
    }
    const std::string line = text.substr(start, end - start);
    start = end + 2;
    if (line.empty()) continue;
    if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) {
      info.problems.push_back("bare CR or LF in \"" + EscapeBytes(line) + "\"");
      continue;
    }
    if (line.rfind("# ", 0) == 0) {
      section = line.substr(2);
      info.sections.push_back(section);
      continue;
    }
    const size_t colon = line.find(':');
    if (section.empty() || colon == std::string::npos || colon == 0 || line.find(' ') < colon) {
      info.problems.push_back("not a key:value line in a section: \"" + EscapeBytes(line) + "\"");
      continue;
    }
    info.fields[section][line.substr(0, colon)] = line.substr(colon + 1);
  }
  return info;
}

bool IsUnsigned(const std::string& text) {
  return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

class ServerTest : public ServerFixture {
 protected:
  Info FetchInfo(const std::vector<std::string>& sections = {}) {
    std::vector<std::string> command = {"INFO"};
    command.insert(command.end(), sections.begin(), sections.end());
    const ReplyPtr reply = client_->Command(command);
    EXPECT_NE(reply, nullptr);
    if (reply == nullptr) return Info();
    EXPECT_EQ(reply->type, REDIS_REPLY_STRING) << Describe(reply);
    Info info = ParseInfo(ReplyString(reply.get()));
    EXPECT_TRUE(info.problems.empty()) << info.problems.front();
    return info;
  }
};

TEST_F(ServerTest, InfoFormatAndSections) {
  const Info info = FetchInfo();
  const std::vector<std::string> expected = {"Server",   "Persistence", "Stats",
                                             "Keyspace", "Clients",     "Memory"};
  for (const std::string& section : expected) {
    EXPECT_TRUE(info.Has(section)) << "no # " << section << " section";
  }
  // Redis's order of the sections both have.
  const std::vector<std::string> order = {"Server",      "Clients", "Memory",
                                          "Persistence", "Stats",   "Keyspace"};
  std::vector<std::string> present;
  for (const std::string& section : info.sections) {
    if (std::find(order.begin(), order.end(), section) != order.end()) present.push_back(section);
  }
  EXPECT_EQ(present, order);

  // Fields clients and tools read.
  EXPECT_FALSE(info.Get("Server", "redis_version").empty());
  EXPECT_EQ(info.Get("Server", "tcp_port"), std::to_string(server_.port()));
  EXPECT_EQ(info.Get("Server", "process_id"), std::to_string(server_.pid()));
  EXPECT_TRUE(IsUnsigned(info.Get("Server", "uptime_in_seconds")))
      << info.Get("Server", "uptime_in_seconds");
  EXPECT_TRUE(IsUnsigned(info.Get("Clients", "connected_clients")))
      << info.Get("Clients", "connected_clients");
  EXPECT_TRUE(IsUnsigned(info.Get("Memory", "used_memory"))) << info.Get("Memory", "used_memory");
  EXPECT_EQ(info.Get("Persistence", "aof_enabled"), "1");
  EXPECT_TRUE(IsUnsigned(info.Get("Stats", "total_connections_received")))
      << info.Get("Stats", "total_connections_received");
  EXPECT_TRUE(IsUnsigned(info.Get("Stats", "total_commands_processed")))
      << info.Get("Stats", "total_commands_processed");

  for (const char* all : {"all", "everything", "default"}) {
    const Info same = FetchInfo({all});
    for (const std::string& section : expected) {
      EXPECT_TRUE(same.Has(section)) << "INFO " << all << " has no # " << section;
    }
  }
}

TEST_F(ServerTest, InfoSection) {
  const Info server = FetchInfo({"server"});
  EXPECT_EQ(server.sections, std::vector<std::string>{"Server"});
  EXPECT_EQ(server.Get("Server", "tcp_port"), std::to_string(server_.port()));
  EXPECT_EQ(FetchInfo({"SERVER"}).sections, std::vector<std::string>{"Server"});
  EXPECT_EQ(FetchInfo({"persistence"}).sections, std::vector<std::string>{"Persistence"});
  EXPECT_EQ(FetchInfo({"stats"}).sections, std::vector<std::string>{"Stats"});
  EXPECT_EQ(FetchInfo({"memory"}).sections, std::vector<std::string>{"Memory"});
  EXPECT_EQ(FetchInfo({"clients"}).sections, std::vector<std::string>{"Clients"});
  EXPECT_EQ(FetchInfo({"server", "clients"}).sections,
            (std::vector<std::string>{"Server", "Clients"}));
  EXPECT_EQ(Run({"INFO", "nosuchsection"}), "\"\"");
}

TEST_F(ServerTest, InfoKeyspace) {
  EXPECT_EQ(Run({"INFO", "keyspace"}), "\"# Keyspace\\r\\n\"");
  EXPECT_EQ(Run({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK");
  EXPECT_EQ(Run({"SELECT", "2"}), "+OK");
  EXPECT_EQ(Run({"SET", "x", "1"}), "+OK");
  EXPECT_EQ(Run({"INFO", "keyspace"}),
            "\"# Keyspace\\r\\ndb0:keys=3,expires=0,avg_ttl=0\\r\\n"
            "db2:keys=1,expires=0,avg_ttl=0\\r\\n\"");
  EXPECT_EQ(Run({"DEL", "x"}), ":1");
  EXPECT_EQ(Run({"INFO", "keyspace"}), "\"# Keyspace\\r\\ndb0:keys=3,expires=0,avg_ttl=0\\r\\n\"");
  const Info info = FetchInfo();
  EXPECT_EQ(info.Get("Keyspace", "db0"), "keys=3,expires=0,avg_ttl=0");
}

TEST_F(ServerTest, InfoCounters) {
  ASSERT_TRUE(WaitForClientCount(1));
  const Info before = FetchInfo();
  const long long commands_before =
      std::stoll("0" + before.Get("Stats", "total_commands_processed"));
  const long long connections_before =
      std::stoll("0" + before.Get("Stats", "total_connections_received"));
  const long long clients_before = std::stoll("0" + before.Get("Clients", "connected_clients"));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Run({"PING"}), "+PONG");
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  ASSERT_EQ(other->Run({"PING"}), "+PONG");
  const Info after = FetchInfo();
  EXPECT_GE(std::stoll("0" + after.Get("Stats", "total_commands_processed")), commands_before + 11);
  EXPECT_GE(std::stoll("0" + after.Get("Stats", "total_connections_received")),
            connections_before + 1);
  EXPECT_EQ(std::stoll("0" + after.Get("Clients", "connected_clients")), clients_before + 1);
}

class AlwaysFsyncServerTest : public ServerTest {
 protected:
  std::vector<std::string> ServerArgs() const override { return {"--appendfsync", "always"}; }
};

TEST_F(AlwaysFsyncServerTest, WalFsyncsCountWrites) {
  if (IsRedis()) GTEST_SKIP() << "wal_fsyncs is a Shale field";
  const Info before = FetchInfo({"persistence"});
  EXPECT_EQ(before.Get("Persistence", "aof_enabled"), "1");
  const std::string fsyncs_before = before.Get("Persistence", "wal_fsyncs");
  ASSERT_TRUE(IsUnsigned(fsyncs_before)) << fsyncs_before;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Run({"SET", "k" + std::to_string(i), "v"}), "+OK");
  }
  const std::string fsyncs_after = FetchInfo({"persistence"}).Get("Persistence", "wal_fsyncs");
  ASSERT_TRUE(IsUnsigned(fsyncs_after)) << fsyncs_after;
  // One client writing one key at a time: no group commit to share an fsync with.
  EXPECT_GE(std::stoll(fsyncs_after), std::stoll(fsyncs_before) + 5);
}

TEST_F(AlwaysFsyncServerTest, PipelinedWritesShareFsyncs) {
  if (IsRedis()) GTEST_SKIP() << "wal_fsyncs is a Shale field";
  const long long before = std::stoll(FetchInfo({"persistence"}).Get("Persistence", "wal_fsyncs"));
  // 200 writes to one shard (one hash tag) sent in one go arrive in a few reads at most; every
  // write handled in a loop iteration shares that iteration's fsync (group commit).
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < 200; ++i) {
    commands.push_back({"SET", "{group}:" + std::to_string(i), std::to_string(i)});
  }
  for (const ReplyPtr& reply : client_->Pipeline(commands)) ASSERT_EQ(Describe(reply), "+OK");
  const long long after = std::stoll(FetchInfo({"persistence"}).Get("Persistence", "wal_fsyncs"));
  EXPECT_GE(after, before + 1);
  EXPECT_LT(after - before, 20) << "each pipelined write paid for its own fsync";
  EXPECT_EQ(Run({"GET", "{group}:199"}), "\"199\"");
}

// CONFIG GET reply as name -> value; records a failure for a malformed reply.
std::map<std::string, std::string> ConfigGet(Client* client, std::vector<std::string> patterns) {
  std::vector<std::string> command = {"CONFIG", "GET"};
  command.insert(command.end(), patterns.begin(), patterns.end());
  const ReplyPtr reply = client->Command(command);
  std::map<std::string, std::string> values;
  if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) {
    ADD_FAILURE() << "CONFIG GET answered " << Describe(reply);
    return values;
  }
  const std::vector<std::string> words = ArrayStrings(reply.get());
  for (size_t i = 0; i < words.size(); i += 2) values[words[i]] = words[i + 1];
  return values;
}

TEST_F(ServerTest, ConfigGet) {
  EXPECT_EQ(Run({"CONFIG", "GET", "port"}),
            "[\"port\", \"" + std::to_string(server_.port()) + "\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "maxclients"}), "[\"maxclients\", \"10000\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "databases"}), "[\"databases\", \"16\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "appendfsync"}), "[\"appendfsync\", \"everysec\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "timeout"}), "[\"timeout\", \"0\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "requirepass"}), "[\"requirepass\", \"\"]");
  EXPECT_EQ(Run({"CONFIG", "GET", "nosuchsetting"}), "[]");

  const std::map<std::string, std::string> dir = ConfigGet(client_.get(), {"dir"});
  ASSERT_EQ(dir.size(), 1u);
  EXPECT_EQ(std::filesystem::weakly_canonical(dir.begin()->second),
            std::filesystem::weakly_canonical(server_.dir()));

  for (const std::string pattern : {"*fsync*", "max*", "*", "t?meout", "client-*"}) {
    const std::map<std::string, std::string> values = ConfigGet(client_.get(), {pattern});
    EXPECT_FALSE(values.empty()) << pattern;
    for (const auto& [name, value] : values) {
      EXPECT_EQ(fnmatch(pattern.c_str(), name.c_str(), 0), 0) << name << " vs " << pattern;
    }
  }
  EXPECT_EQ(ConfigGet(client_.get(), {"*fsync*"}).at("appendfsync"), "everysec");
  const std::map<std::string, std::string> every = ConfigGet(client_.get(), {"*"});
  for (const char* name :
       {"bind", "port", "tcp-backlog", "timeout", "tcp-keepalive", "maxclients",
        "proto-max-bulk-len", "client-query-buffer-limit", "client-output-buffer-limit",
        "requirepass", "dir", "databases", "appendfsync", "loglevel", "logfile", "pidfile"}) {
    EXPECT_EQ(every.count(name), 1u) << "CONFIG GET * has no " << name;
  }
  EXPECT_EQ(every.at("bind"), "127.0.0.1");

  const std::map<std::string, std::string> two = ConfigGet(client_.get(), {"port", "timeout"});
  EXPECT_EQ(two.size(), 2u);
  EXPECT_EQ(two.count("port"), 1u);
  EXPECT_EQ(two.count("timeout"), 1u);

  EXPECT_EQ(Run({"CONFIG", "GET"}), "-ERR wrong number of arguments for 'config|get' command");
  EXPECT_EQ(Run({"CONFIG", "FOO"}), "-ERR unknown subcommand 'FOO'. Try CONFIG HELP.");
}

TEST_F(ServerTest, ConfigSet) {
  for (const char* mode : {"always", "no", "everysec"}) {
    EXPECT_EQ(Run({"CONFIG", "SET", "appendfsync", mode}), "+OK");
    EXPECT_EQ(Run({"CONFIG", "GET", "appendfsync"}),
              std::string("[\"appendfsync\", \"") + mode + "\"]");
    EXPECT_EQ(Run({"SET", "written-with", mode}), "+OK");
    EXPECT_EQ(Run({"GET", "written-with"}), std::string("\"") + mode + "\"");
  }
  EXPECT_EQ(Run({"CONFIG", "SET", "APPENDFSYNC", "ALWAYS"}), "+OK")
      << "names and enum values are case-insensitive";
  EXPECT_EQ(Run({"CONFIG", "GET", "appendfsync"}), "[\"appendfsync\", \"always\"]");

  const std::string bogus = Run({"CONFIG", "SET", "appendfsync", "bogus"});
  EXPECT_EQ(
      bogus.rfind("-ERR CONFIG SET failed (possibly related to argument 'appendfsync') - ", 0), 0u)
      << bogus;
  EXPECT_EQ(Run({"CONFIG", "GET", "appendfsync"}), "[\"appendfsync\", \"always\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "nosuch", "1"}),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'");
  EXPECT_EQ(Run({"CONFIG", "SET", "databases", "5"}),
            "-ERR CONFIG SET failed (possibly related to argument 'databases') - can't set "
            "immutable config");
  const std::string not_integer = Run({"CONFIG", "SET", "timeout", "abc"});
  EXPECT_EQ(
      not_integer.rfind("-ERR CONFIG SET failed (possibly related to argument 'timeout') - ", 0),
      0u)
      << not_integer;

  // Several at once, all or nothing.
  EXPECT_EQ(Run({"CONFIG", "SET", "timeout", "30", "maxclients", "500"}), "+OK");
  EXPECT_EQ(ConfigGet(client_.get(), {"timeout"}).at("timeout"), "30");
  EXPECT_EQ(ConfigGet(client_.get(), {"maxclients"}).at("maxclients"), "500");
  const std::string partial = Run({"CONFIG", "SET", "timeout", "40", "maxclients", "0"});
  EXPECT_EQ(
      partial.rfind("-ERR CONFIG SET failed (possibly related to argument 'maxclients') - ", 0), 0u)
      << partial;
  EXPECT_EQ(ConfigGet(client_.get(), {"timeout"}).at("timeout"), "30");
  EXPECT_EQ(Run({"CONFIG", "SET", "loglevel", "warning"}), "+OK");
  EXPECT_EQ(Run({"CONFIG", "GET", "loglevel"}), "[\"loglevel\", \"warning\"]");
  EXPECT_EQ(Run({"CONFIG", "SET", "timeout"}),
            "-ERR wrong number of arguments for 'config|set' command");
}

// One COMMAND INFO entry: [name, arity, [flags], first key, last key, step, ...].
void ExpectCommandInfo(const redisReply* entry, const std::string& name, long long arity,
                       const std::string& flag, long long first, long long last, long long step) {
  ASSERT_NE(entry, nullptr);
  ASSERT_EQ(entry->type, REDIS_REPLY_ARRAY) << name << ": " << Describe(entry);
  ASSERT_GE(entry->elements, 6u) << Describe(entry);
  EXPECT_EQ(Describe(entry->element[0]), "\"" + name + "\"");
  EXPECT_EQ(Describe(entry->element[1]), ":" + std::to_string(arity)) << name;
  const std::vector<std::string> flags = ArrayStrings(entry->element[2]);
  EXPECT_NE(std::find(flags.begin(), flags.end(), flag), flags.end())
      << name << " flags " << Describe(entry->element[2]) << " lack " << flag;
  EXPECT_EQ(Describe(entry->element[3]), ":" + std::to_string(first)) << name;
  EXPECT_EQ(Describe(entry->element[4]), ":" + std::to_string(last)) << name;
  EXPECT_EQ(Describe(entry->element[5]), ":" + std::to_string(step)) << name;
}

TEST_F(ServerTest, Command) {
  const ReplyPtr count = client_->Command({"COMMAND", "COUNT"});
  ASSERT_EQ(count->type, REDIS_REPLY_INTEGER) << Describe(count);
  const ReplyPtr all = client_->Command({"COMMAND"});
  ASSERT_EQ(all->type, REDIS_REPLY_ARRAY) << Describe(all).substr(0, 200);
  EXPECT_EQ(static_cast<long long>(all->elements), count->integer);
  std::vector<std::string> names;
  for (size_t i = 0; i < all->elements; ++i) {
    ASSERT_EQ(all->element[i]->type, REDIS_REPLY_ARRAY);
    ASSERT_GE(all->element[i]->elements, 6u);
    names.push_back(ReplyString(all->element[i]->element[0]));
  }
  for (const char* name :
       {"ping", "echo",   "quit",   "hello",   "auth", "select",  "get",     "set",
        "del",  "exists", "mget",   "mset",    "scan", "dbsize",  "flushdb", "flushall",
        "info", "config", "client", "command", "time", "shutdown"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << "COMMAND lacks " << name;
  }

  const ReplyPtr info =
      client_->Command({"COMMAND", "INFO", "get", "set", "mset", "del", "ping", "nosuch"});
  ASSERT_EQ(info->type, REDIS_REPLY_ARRAY) << Describe(info);
  ASSERT_EQ(info->elements, 6u) << Describe(info);
  ExpectCommandInfo(info->element[0], "get", 2, "readonly", 1, 1, 1);
  ExpectCommandInfo(info->element[1], "set", -3, "write", 1, 1, 1);
  ExpectCommandInfo(info->element[2], "mset", -3, "write", 1, -1, 2);
  ExpectCommandInfo(info->element[3], "del", -2, "write", 1, -1, 1);
  ExpectCommandInfo(info->element[4], "ping", -1, "fast", 0, 0, 0);
  EXPECT_EQ(Describe(info->element[5]), "(nil)");
  // COMMAND GETKEYS, by Redis's rules and errors.
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"}), "[\"a\", \"b\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "lmpop", "2", "x", "y", "LEFT"}), "[\"x\", \"y\"]");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "lmpop", "0", "x", "LEFT"}),
            "-ERR Invalid arguments specified for command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "nosuch", "a"}), "-ERR Invalid command specified");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "ping", "x"}), "-ERR The command has no key arguments");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "get", "a", "b"}),
            "-ERR Invalid number of arguments specified for command");
  EXPECT_EQ(Run({"COMMAND", "GETKEYS", "get"}),
            "-ERR wrong number of arguments for 'command|getkeys' command");
  // COMMAND LIST, with subcommands and filters.
  const std::vector<std::string> listed = ArrayStrings(client_->Command({"COMMAND", "LIST"}).get());
  for (const char* name : {"set", "client|list", "config|get"}) {
    EXPECT_NE(std::find(listed.begin(), listed.end(), name), listed.end()) << name;
  }
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "PATTERN", "set"}), "[\"set\"]");
  std::vector<std::string> config_re = ArrayStrings(
      client_->Command({"COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*re*"}).get());
  std::sort(config_re.begin(), config_re.end());
  EXPECT_EQ(config_re, (std::vector<std::string>{"config|resetstat", "config|rewrite"}));
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"}), "[]");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "MODULE", "nosuch"}), "[]");
  const std::vector<std::string> lists =
      ArrayStrings(client_->Command({"COMMAND", "LIST", "FILTERBY", "ACLCAT", "list"}).get());
  EXPECT_NE(std::find(lists.begin(), lists.end(), "lpush"), lists.end());
  EXPECT_EQ(std::find(lists.begin(), lists.end(), "set"), lists.end());
  EXPECT_EQ(Run({"COMMAND", "LIST", "bad"}), "-ERR syntax error");
  EXPECT_EQ(Run({"COMMAND", "LIST", "FILTERBY", "bad", "x"}), "-ERR syntax error");
  // movablekeys on the commands whose keys move with their arguments.
  const ReplyPtr lmpop_info = client_->Command({"COMMAND", "INFO", "lmpop"});
  ASSERT_EQ(lmpop_info->type, REDIS_REPLY_ARRAY);
  const std::vector<std::string> lmpop_flags = ArrayStrings(lmpop_info->element[0]->element[2]);
  EXPECT_NE(std::find(lmpop_flags.begin(), lmpop_flags.end(), "movablekeys"), lmpop_flags.end());
  const std::vector<std::string> get_categories =
      ArrayStrings(client_->Command({"COMMAND", "INFO", "get"})->element[0]->element[6]);
  EXPECT_EQ(get_categories, (std::vector<std::string>{"@read", "@string", "@fast"}));

  // denyoom (refused above maxmemory) on what may use memory, not on DEL.
  const ReplyPtr set_del = client_->Command({"COMMAND", "INFO", "set", "del"});
  ASSERT_EQ(set_del->type, REDIS_REPLY_ARRAY) << Describe(set_del);
  ASSERT_EQ(set_del->elements, 2u);
  const std::vector<std::string> set_flags = ArrayStrings(set_del->element[0]->element[2]);
  const std::vector<std::string> del_flags = ArrayStrings(set_del->element[1]->element[2]);
  EXPECT_NE(std::find(set_flags.begin(), set_flags.end(), "denyoom"), set_flags.end());
  EXPECT_EQ(std::find(del_flags.begin(), del_flags.end(), "denyoom"), del_flags.end());

  const ReplyPtr docs = client_->Command({"COMMAND", "DOCS", "get"});
  ASSERT_EQ(docs->type, REDIS_REPLY_ARRAY) << Describe(docs);
  ASSERT_EQ(docs->elements, 2u) << Describe(docs);
  EXPECT_EQ(Describe(docs->element[0]), "\"get\"");
  ASSERT_EQ(docs->element[1]->type, REDIS_REPLY_ARRAY) << Describe(docs);
  ASSERT_EQ(docs->element[1]->elements % 2, 0u) << Describe(docs);
  std::map<std::string, const redisReply*> doc_fields;
  for (size_t i = 0; i + 1 < docs->element[1]->elements; i += 2) {
    doc_fields[ReplyString(docs->element[1]->element[i])] = docs->element[1]->element[i + 1];
  }
  ASSERT_EQ(doc_fields.count("summary"), 1u) << Describe(docs);
  EXPECT_FALSE(ReplyString(doc_fields["summary"]).empty());
  ASSERT_EQ(doc_fields.count("group"), 1u) << Describe(docs);
  EXPECT_EQ(Describe(doc_fields["group"]), "\"string\"");
  EXPECT_EQ(Run({"COMMAND", "DOCS", "nosuch"}), "[]");

  EXPECT_EQ(Run({"COMMAND", "FOO"}), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.");
}

// No function library can exist, so FLUSH and LIST answer exactly; loading one is refused.
TEST_F(ServerTest, FunctionFlushAndList) {
  EXPECT_EQ(Run({"FUNCTION", "FLUSH"}), "+OK");
  EXPECT_EQ(Run({"FUNCTION", "FLUSH", "ASYNC"}), "+OK");
  EXPECT_EQ(Run({"FUNCTION", "FLUSH", "sync"}), "+OK");
  EXPECT_EQ(Run({"FUNCTION", "FLUSH", "later"}),
            "-ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
  EXPECT_EQ(Run({"FUNCTION", "LIST"}), "[]");
  EXPECT_EQ(Run({"FUNCTION", "LOAD", "#!lua name=x\nreturn 1"}), "-ERR No functions registered");
}

TEST_F(ServerTest, Time) {
  const ReplyPtr reply = client_->Command({"TIME"});
  ASSERT_EQ(reply->type, REDIS_REPLY_ARRAY) << Describe(reply);
  ASSERT_EQ(reply->elements, 2u) << Describe(reply);
  ASSERT_EQ(reply->element[0]->type, REDIS_REPLY_STRING) << Describe(reply);
  ASSERT_EQ(reply->element[1]->type, REDIS_REPLY_STRING) << Describe(reply);
  const std::string seconds = ReplyString(reply->element[0]);
  const std::string micros = ReplyString(reply->element[1]);
  ASSERT_TRUE(IsUnsigned(seconds)) << seconds;
  ASSERT_TRUE(IsUnsigned(micros)) << micros;
  EXPECT_LT(std::stoll(micros), 1000000);
  // Same clock as ours (one day of slack: this is a unit check, not a timing check).
  EXPECT_LT(std::llabs(std::stoll(seconds) - static_cast<long long>(std::time(nullptr))), 86400);
  EXPECT_EQ(Run({"TIME", "x"}), "-ERR wrong number of arguments for 'time' command");
}

TEST_F(ServerTest, DbsizeMatchesKeyspace) {
  EXPECT_EQ(Run({"DBSIZE"}), ":0");
  std::vector<std::string> mset = {"MSET"};
  for (int i = 0; i < 321; ++i) mset.insert(mset.end(), {"k" + std::to_string(i), "v"});
  EXPECT_EQ(Run(mset), "+OK");
  EXPECT_EQ(Run({"DBSIZE"}), ":321");
  EXPECT_EQ(FetchInfo({"keyspace"}).Get("Keyspace", "db0"), "keys=321,expires=0,avg_ttl=0");
}

}  // namespace
}  // namespace shale::integration
