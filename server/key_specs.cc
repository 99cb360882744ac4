#include "server/key_specs.h"

#include <string>
#include <unordered_map>
#include <utility>

#include "server/command_table.h"

namespace shale::server {

namespace {

constexpr KeySearchBegin Index(int index) { return {KeySearchBegin::Type::kIndex, index, {}, 0}; }
constexpr KeySearchBegin Keyword(std::string_view keyword, int startfrom) {
  return {KeySearchBegin::Type::kKeyword, 0, keyword, startfrom};
}
constexpr KeySearchBegin UnknownBegin() { return {}; }
constexpr KeySearchFind Range(int lastkey, int keystep, int limit) {
  return {KeySearchFind::Type::kRange, lastkey, limit, 0, 0, keystep};
}
constexpr KeySearchFind KeyNum(int keynumidx, int firstkey, int keystep) {
  return {KeySearchFind::Type::kKeyNum, 0, 0, keynumidx, firstkey, keystep};
}
constexpr KeySearchFind UnknownFind() { return {}; }

// Redis 7.0's key specs (src/commands/*.json) of every command Shale has or is adding, and of
// the subcommands of its containers (a subcommand with its arity). A command without keys has an
// empty list; so has a container, whose keys are its subcommands'.
const std::vector<CommandKeySpecs>& Table() {
  static const std::vector<CommandKeySpecs> kTable = {
      {"acl", 0, {}},
      {"acl|cat", -2, {}},
      {"acl|deluser", -3, {}},
      {"acl|dryrun", -4, {}},
      {"acl|genpass", -2, {}},
      {"acl|getuser", 3, {}},
      {"acl|help", 2, {}},
      {"acl|list", 2, {}},
      {"acl|load", 2, {}},
      {"acl|log", -2, {}},
      {"acl|save", 2, {}},
      {"acl|setuser", -3, {}},
      {"acl|users", 2, {}},
      {"acl|whoami", 2, {}},
      {"append", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"auth", 0, {}},
      {"bitcount", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"bitfield",
       0,
       {{kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags, Index(1), Range(0, 1, 0)}}},
      {"bitfield_ro", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"bitop",
       0,
       {{kKeyOW | kKeyUpdate, Index(2), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(3), Range(-1, 1, 0)}}},
      {"bitpos", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"blmove",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"blmpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(2), KeyNum(0, 1, 1)}}},
      {"blpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(-2, 1, 0)}}},
      {"brpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(-2, 1, 0)}}},
      {"brpoplpush",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"bzmpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(2), KeyNum(0, 1, 1)}}},
      {"bzpopmax", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(-2, 1, 0)}}},
      {"bzpopmin", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(-2, 1, 0)}}},
      {"client", 0, {}},
      {"client|caching", 3, {}},
      {"client|getname", 2, {}},
      {"client|getredir", 2, {}},
      {"client|help", 2, {}},
      {"client|id", 2, {}},
      {"client|info", 2, {}},
      {"client|kill", -3, {}},
      {"client|list", -2, {}},
      {"client|no-evict", 3, {}},
      {"client|pause", -3, {}},
      {"client|reply", 3, {}},
      {"client|setname", 3, {}},
      {"client|tracking", -3, {}},
      {"client|trackinginfo", 2, {}},
      {"client|unblock", -3, {}},
      {"client|unpause", 2, {}},
      {"command", 0, {}},
      {"command|count", 2, {}},
      {"command|docs", -2, {}},
      {"command|getkeys", -4, {}},
      {"command|getkeysandflags", -4, {}},
      {"command|help", 2, {}},
      {"command|info", -2, {}},
      {"command|list", -2, {}},
      {"compact", 0, {}},
      {"config", 0, {}},
      {"config|get", -3, {}},
      {"config|help", 2, {}},
      {"config|resetstat", 2, {}},
      {"config|rewrite", 2, {}},
      {"config|set", -4, {}},
      {"copy",
       0,
       {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Index(2), Range(0, 1, 0)}}},
      {"dbsize", 0, {}},
      {"decr", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"decrby", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"del", 0, {{kKeyRM | kKeyDelete, Index(1), Range(-1, 1, 0)}}},
      {"discard", 0, {}},
      {"dump", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"echo", 0, {}},
      {"eval", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(2), KeyNum(0, 1, 1)}}},
      {"eval_ro", 0, {{kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
      {"evalsha", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(2), KeyNum(0, 1, 1)}}},
      {"evalsha_ro", 0, {{kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
      {"exec", 0, {}},
      {"exists", 0, {{kKeyRO, Index(1), Range(-1, 1, 0)}}},
      {"expire", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"expireat", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"expiretime", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"fcall", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(2), KeyNum(0, 1, 1)}}},
      {"fcall_ro", 0, {{kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
      {"flushall", 0, {}},
      {"flushdb", 0, {}},
      {"function", 0, {}},
      {"function|delete", 3, {}},
      {"function|dump", 2, {}},
      {"function|flush", -2, {}},
      {"function|help", 2, {}},
      {"function|kill", 2, {}},
      {"function|list", -2, {}},
      {"function|load", -3, {}},
      {"function|restore", -3, {}},
      {"function|stats", 2, {}},
      {"geoadd", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"geodist", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"geohash", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"geopos", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"georadius",
       0,
       {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Keyword("STORE", 6), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Keyword("STOREDIST", 6), Range(0, 1, 0)}}},
      {"georadius_ro", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"georadiusbymember",
       0,
       {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Keyword("STORE", 5), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Keyword("STOREDIST", 5), Range(0, 1, 0)}}},
      {"georadiusbymember_ro", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"geosearch", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"geosearchstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), Range(0, 1, 0)}}},
      {"get", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"getbit", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"getdel", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"getex", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"getrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"getset", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"hdel", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"hello", 0, {}},
      {"hexists", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"hget", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hgetall", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hincrby", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"hincrbyfloat", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"hkeys", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hlen", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"hmget", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hmset", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"hrandfield", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hscan", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"hset", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"hsetnx", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"hstrlen", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"hvals", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"incr", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"incrby", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"incrbyfloat", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"info", 0, {}},
      {"keys", 0, {}},
      {"lastsave", 0, {}},
      {"latency", 0, {}},
      {"latency|doctor", 2, {}},
      {"latency|graph", 3, {}},
      {"latency|help", 2, {}},
      {"latency|histogram", -2, {}},
      {"latency|history", 3, {}},
      {"latency|latest", 2, {}},
      {"latency|reset", -2, {}},
      {"lcs", 0, {{kKeyRO | kKeyAccess, Index(1), Range(1, 1, 0)}}},
      {"lindex", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"linsert", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"llen", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"lmove",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"lmpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), KeyNum(0, 1, 1)}}},
      {"lpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"lpos", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"lpush", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"lpushx", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"lrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"lrem", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"lset", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"ltrim", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"memory", 0, {}},
      {"memory|doctor", 2, {}},
      {"memory|help", 2, {}},
      {"memory|malloc-stats", 2, {}},
      {"memory|purge", 2, {}},
      {"memory|stats", 2, {}},
      {"memory|usage", -3, {{kKeyRO, Index(2), Range(0, 1, 0)}}},
      {"mget", 0, {{kKeyRO | kKeyAccess, Index(1), Range(-1, 1, 0)}}},
      {"migrate",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(3), Range(0, 1, 0)},
        {kKeyRW | kKeyAccess | kKeyDelete | kKeyIncomplete, Keyword("KEYS", -2), Range(-1, 1, 0)}}},
      {"move", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"mset", 0, {{kKeyOW | kKeyUpdate, Index(1), Range(-1, 2, 0)}}},
      {"msetnx", 0, {{kKeyOW | kKeyInsert, Index(1), Range(-1, 2, 0)}}},
      {"multi", 0, {}},
      {"object", 0, {}},
      {"object|encoding", 3, {{kKeyRO, Index(2), Range(0, 1, 0)}}},
      {"object|freq", 3, {{kKeyRO, Index(2), Range(0, 1, 0)}}},
      {"object|help", 2, {}},
      {"object|idletime", 3, {{kKeyRO, Index(2), Range(0, 1, 0)}}},
      {"object|refcount", 3, {{kKeyRO, Index(2), Range(0, 1, 0)}}},
      {"persist", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"pexpire", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"pexpireat", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"pexpiretime", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"ping", 0, {}},
      {"psetex", 0, {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"psubscribe", 0, {}},
      {"psync", 0, {}},
      {"pttl", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"publish", 0, {}},
      {"pubsub", 0, {}},
      {"pubsub|channels", -2, {}},
      {"pubsub|help", 2, {}},
      {"pubsub|numpat", 2, {}},
      {"pubsub|numsub", -2, {}},
      {"pubsub|shardchannels", -2, {}},
      {"pubsub|shardnumsub", -2, {}},
      {"punsubscribe", 0, {}},
      {"quit", 0, {}},
      {"randomkey", 0, {}},
      {"rename",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyOW | kKeyUpdate, Index(2), Range(0, 1, 0)}}},
      {"renamenx",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyOW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"replconf", 0, {}},
      {"replicaof", 0, {}},
      {"reset", 0, {}},
      {"restore", 0, {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"role", 0, {}},
      {"rpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"rpoplpush",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"rpush", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"rpushx", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"sadd", 0, {{kKeyRW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"save", 0, {}},
      {"scan", 0, {}},
      {"scard", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"script", 0, {}},
      {"script|debug", 3, {}},
      {"script|exists", -3, {}},
      {"script|flush", -2, {}},
      {"script|help", 2, {}},
      {"script|kill", 2, {}},
      {"script|load", 3, {}},
      {"sdiff", 0, {{kKeyRO | kKeyAccess, Index(1), Range(-1, 1, 0)}}},
      {"sdiffstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), Range(-1, 1, 0)}}},
      {"select", 0, {}},
      {"set",
       0,
       {{kKeyRW | kKeyAccess | kKeyUpdate | kKeyVariableFlags, Index(1), Range(0, 1, 0)}}},
      {"setbit", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"setex", 0, {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"setnx", 0, {{kKeyOW | kKeyInsert, Index(1), Range(0, 1, 0)}}},
      {"setrange", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"shutdown", 0, {}},
      {"sinter", 0, {{kKeyRO | kKeyAccess, Index(1), Range(-1, 1, 0)}}},
      {"sintercard", 0, {{kKeyRO | kKeyAccess, Index(1), KeyNum(0, 1, 1)}}},
      {"sinterstore",
       0,
       {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), Range(-1, 1, 0)}}},
      {"sismember", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"slaveof", 0, {}},
      {"slowlog", 0, {}},
      {"slowlog|get", -2, {}},
      {"slowlog|help", 2, {}},
      {"slowlog|len", 2, {}},
      {"slowlog|reset", 2, {}},
      {"smembers", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"smismember", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"smove",
       0,
       {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)},
        {kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"sort",
       0,
       {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, UnknownBegin(), UnknownFind()},
        {kKeyOW | kKeyUpdate, UnknownBegin(), UnknownFind()}}},
      {"sort_ro",
       0,
       {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, UnknownBegin(), UnknownFind()}}},
      {"spop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"spublish", 0, {{kKeyNotKey, Index(1), Range(0, 1, 0)}}},
      {"srandmember", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"srem", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"sscan", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"ssubscribe", 0, {{kKeyNotKey, Index(1), Range(-1, 1, 0)}}},
      {"strlen", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"subscribe", 0, {}},
      {"substr", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"sunion", 0, {{kKeyRO | kKeyAccess, Index(1), Range(-1, 1, 0)}}},
      {"sunionstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), Range(-1, 1, 0)}}},
      {"sunsubscribe", 0, {{kKeyNotKey, Index(1), Range(-1, 1, 0)}}},
      {"swapdb", 0, {}},
      {"sync", 0, {}},
      {"time", 0, {}},
      {"touch", 0, {{kKeyRO, Index(1), Range(-1, 1, 0)}}},
      {"ttl", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"type", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"unlink", 0, {{kKeyRM | kKeyDelete, Index(1), Range(-1, 1, 0)}}},
      {"unsubscribe", 0, {}},
      {"unwatch", 0, {}},
      {"wait", 0, {}},
      {"watch", 0, {{kKeyRO, Index(1), Range(-1, 1, 0)}}},
      {"xack", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"xadd", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"xautoclaim", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"xclaim", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"xdel", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"xgroup", 0, {}},
      {"xgroup|create", -5, {{kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"xgroup|createconsumer", 5, {{kKeyRW | kKeyInsert, Index(2), Range(0, 1, 0)}}},
      {"xgroup|delconsumer", 5, {{kKeyRW | kKeyDelete, Index(2), Range(0, 1, 0)}}},
      {"xgroup|destroy", 4, {{kKeyRW | kKeyDelete, Index(2), Range(0, 1, 0)}}},
      {"xgroup|help", 2, {}},
      {"xgroup|setid", -5, {{kKeyRW | kKeyUpdate, Index(2), Range(0, 1, 0)}}},
      {"xinfo", 0, {}},
      {"xinfo|consumers", 4, {{kKeyRO | kKeyAccess, Index(2), Range(0, 1, 0)}}},
      {"xinfo|groups", 3, {{kKeyRO | kKeyAccess, Index(2), Range(0, 1, 0)}}},
      {"xinfo|help", 2, {}},
      {"xinfo|stream", -3, {{kKeyRO | kKeyAccess, Index(2), Range(0, 1, 0)}}},
      {"xlen", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"xpending", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"xrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"xread", 0, {{kKeyRO | kKeyAccess, Keyword("STREAMS", 1), Range(-1, 1, 2)}}},
      {"xreadgroup", 0, {{kKeyRO | kKeyAccess, Keyword("STREAMS", 4), Range(-1, 1, 2)}}},
      {"xrevrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"xsetid", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"xtrim", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zadd", 0, {{kKeyRW | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"zcard", 0, {{kKeyRO, Index(1), Range(0, 1, 0)}}},
      {"zcount", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zdiff", 0, {{kKeyRO | kKeyAccess, Index(1), KeyNum(0, 1, 1)}}},
      {"zdiffstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
      {"zincrby", 0, {{kKeyRW | kKeyAccess | kKeyUpdate, Index(1), Range(0, 1, 0)}}},
      {"zinter", 0, {{kKeyRO | kKeyAccess, Index(1), KeyNum(0, 1, 1)}}},
      {"zintercard", 0, {{kKeyRO | kKeyAccess, Index(1), KeyNum(0, 1, 1)}}},
      {"zinterstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
      {"zlexcount", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zmpop", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), KeyNum(0, 1, 1)}}},
      {"zmscore", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zpopmax", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zpopmin", 0, {{kKeyRW | kKeyAccess | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zrandmember", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrangebylex", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrangebyscore", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrangestore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), Range(0, 1, 0)}}},
      {"zrank", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrem", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zremrangebylex", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zremrangebyrank", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zremrangebyscore", 0, {{kKeyRW | kKeyDelete, Index(1), Range(0, 1, 0)}}},
      {"zrevrange", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrevrangebylex", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrevrangebyscore", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zrevrank", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zscan", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zscore", 0, {{kKeyRO | kKeyAccess, Index(1), Range(0, 1, 0)}}},
      {"zunion", 0, {{kKeyRO | kKeyAccess, Index(1), KeyNum(0, 1, 1)}}},
      {"zunionstore",
       0,
       {{kKeyOW | kKeyUpdate, Index(1), Range(0, 1, 0)},
        {kKeyRO | kKeyAccess, Index(2), KeyNum(0, 1, 1)}}},
  };
  return kTable;
}

const std::unordered_map<std::string_view, size_t>& ByName() {
  static const std::unordered_map<std::string_view, size_t> kIndex = [] {
    std::unordered_map<std::string_view, size_t> index;
    const std::vector<CommandKeySpecs>& table = Table();
    for (size_t i = 0; i < table.size(); ++i) index.emplace(table[i].name, i);
    return index;
  }();
  return kIndex;
}

// The first key of a keyword search (the argument after the keyword), 0 when the keyword is
// absent. The keyword itself is looked for from `startfrom` up to the argument before the last,
// or, for a negative startfrom, from argc + startfrom down to argument 2.
int KeywordSearch(const KeySearchBegin& begin, const std::vector<std::string_view>& args) {
  const int argc = static_cast<int>(args.size());
  const int start = begin.startfrom > 0 ? begin.startfrom : argc + begin.startfrom;
  const int end = begin.startfrom > 0 ? argc - 1 : 1;
  const int direction = start <= end ? 1 : -1;
  for (int i = start; i != end; i += direction) {
    if (i >= argc || i < 1) break;
    if (EqualsIgnoreCase(args[static_cast<size_t>(i)], begin.keyword)) return i + 1;
  }
  return 0;
}

// The flags Redis's own key functions give the commands whose specs cannot tell them: SET's key
// is read too when GET is given; BITFIELD only reads it when every subcommand is a GET (any other
// argument, malformed ones included, counts as a write); SORT reads its first key and
// overwrites the STORE one (the `nth` key).
uint32_t NativeKeyFlags(std::string_view command, const std::vector<std::string_view>& args,
                        size_t nth) {
  if (command == "set") {
    for (size_t i = 3; i < args.size(); ++i) {
      if (EqualsIgnoreCase(args[i], "get")) return kKeyRW | kKeyAccess | kKeyUpdate;
    }
    return kKeyOW | kKeyUpdate;
  }
  if (command == "bitfield") {
    for (size_t i = 2; i < args.size(); ++i) {
      const size_t remaining = args.size() - i - 1;
      if (EqualsIgnoreCase(args[i], "get") && remaining >= 2) {
        i += 2;
      } else if (EqualsIgnoreCase(args[i], "overflow") && remaining >= 1) {
        i += 1;
      } else {
        return kKeyRW | kKeyAccess | kKeyUpdate;
      }
    }
    return kKeyRO | kKeyAccess;
  }
  if (command == "sort" || command == "sort_ro") {
    return nth == 0 ? kKeyRO | kKeyAccess : kKeyOW | kKeyUpdate;
  }
  return 0;
}

}  // namespace

const CommandKeySpecs* FindKeySpecs(std::string_view name) {
  const auto& by_name = ByName();
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &Table()[it->second];
}

const std::vector<CommandKeySpecs>& AllKeySpecs() { return Table(); }

bool HasSubcommandKeySpecs(std::string_view parent) {
  for (const CommandKeySpecs& entry : Table()) {
    const std::string_view name = entry.name;
    if (name.size() > parent.size() && name.substr(0, parent.size()) == parent &&
        name[parent.size()] == '|') {
      return true;
    }
  }
  return false;
}

bool SpecsHaveKeys(const std::vector<KeySpec>& specs) {
  for (const KeySpec& spec : specs) {
    if ((spec.flags & kKeyNotKey) == 0) return true;
  }
  return false;
}

bool FindKeysBySpecs(const std::vector<KeySpec>& specs, const std::vector<std::string_view>& args,
                     std::vector<KeyReference>* keys) {
  const size_t found_before = keys->size();
  auto fail = [&] {
    keys->resize(found_before);
    return false;
  };
  const int64_t argc = static_cast<int64_t>(args.size());
  for (const KeySpec& spec : specs) {
    if (spec.flags & kKeyNotKey) continue;
    int64_t first = 0;
    if (spec.begin.type == KeySearchBegin::Type::kIndex) {
      first = spec.begin.index;
    } else if (spec.begin.type == KeySearchBegin::Type::kKeyword) {
      first = KeywordSearch(spec.begin, args);
      if (first == 0) continue;  // no keyword: this spec names no key in this call
    } else {
      return fail();
    }
    int64_t last = 0;
    const KeySearchFind& find = spec.find;
    if (find.type == KeySearchFind::Type::kRange) {
      if (find.lastkey >= 0) {
        last = first + find.lastkey;
      } else if (find.limit == 0) {
        last = argc + find.lastkey;
      } else {
        last = first + ((argc - first) / find.limit + find.lastkey);
      }
    } else if (find.type == KeySearchFind::Type::kKeyNum) {
      const int64_t count_at = first + find.keynumidx;
      int64_t count = 0;
      if (count_at >= argc || !ParseInt64(args[static_cast<size_t>(count_at)], &count) ||
          count < 0 || count > argc) {
        return fail();
      }
      first += find.firstkey;
      last = first + count - 1;
    } else {
      return fail();
    }
    if (first >= argc || last >= argc || last < first || find.keystep < 1) return fail();
    for (int64_t i = first; i <= last; i += find.keystep) {
      keys->push_back({static_cast<size_t>(i), spec.flags});
    }
    if (spec.flags & kKeyIncomplete) return fail();
  }
  return true;
}

std::vector<KeyWithFlags> KeysAndFlags(const CommandSpec& row, const CommandKeySpecs* entry,
                                       const std::vector<std::string_view>& args) {
  std::vector<KeyWithFlags> found;
  if (entry != nullptr) {
    // Whether the specs describe every key and its flags: then a call they find no keys in is
    // malformed, and has none.
    bool complete = true;
    bool variable_flags = false;
    for (const KeySpec& spec : entry->specs) {
      variable_flags |= (spec.flags & kKeyVariableFlags) != 0;
      complete &= (spec.flags & (kKeyIncomplete | kKeyVariableFlags)) == 0 &&
                  spec.begin.type != KeySearchBegin::Type::kUnknown &&
                  spec.find.type != KeySearchFind::Type::kUnknown;
    }
    std::vector<KeyReference> keys;
    if (SpecsHaveKeys(entry->specs) && !variable_flags &&
        FindKeysBySpecs(entry->specs, args, &keys)) {
      for (const KeyReference& key : keys) found.push_back({args[key.position], key.flags});
      return found;
    }
    // A subcommand has no key function of its own to fall back on.
    if (complete || entry->name.find('|') != std::string_view::npos) return found;
  }
  const std::vector<std::string_view> keys = row.KeysOf(args);
  for (size_t i = 0; i < keys.size(); ++i) {
    found.push_back({keys[i], NativeKeyFlags(row.name, args, i)});
  }
  return found;
}

std::vector<std::string_view> KeySpecFlagNames(uint32_t flags) {
  static constexpr std::pair<KeySpecFlag, std::string_view> kNames[] = {
      {kKeyRO, "RO"},
      {kKeyRW, "RW"},
      {kKeyOW, "OW"},
      {kKeyRM, "RM"},
      {kKeyAccess, "access"},
      {kKeyUpdate, "update"},
      {kKeyInsert, "insert"},
      {kKeyDelete, "delete"},
      {kKeyNotKey, "not_key"},
      {kKeyIncomplete, "incomplete"},
      {kKeyVariableFlags, "variable_flags"},
  };
  std::vector<std::string_view> names;
  for (const auto& [flag, name] : kNames) {
    if (flags & flag) names.push_back(name);
  }
  return names;
}

}  // namespace shale::server
