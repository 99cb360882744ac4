// Keyspace: the Redis data model on the generic engine (storage::Db): numbered databases, key
// metadata (type, deadline), string values, exact key counts, NX/XX/GET, time to live, and the
// atomic groups of MULTI/EXEC. Command handlers (server/commands/) parse arguments, call these
// operations and write replies; the engine stores bytes. Record formats: format.h.
//
// Liveness: a key is live when its newest record is a value whose deadline is unset or in the
// future. One predicate (Lookup) decides it for every read, for writes that depend on the old
// value, for SCAN/KEYS, EXISTS, TYPE and for the expiry cycle. An expired key is never visible;
// it still counts in DBSIZE (as in Redis) until it is deleted: lazily by the first operation
// that finds it, or by the active expiry cycle (ExpireCycle), both through the write path (a
// WAL record), so counts stay exact and survive restart.
//
// Databases: every `db` argument is a logical index (SELECT's); the database map (format.h) says
// which key group holds it, so SWAPDB is one write of the map. Inside Keyspace, MakeDataKey,
// MakeExpiryKey, MakeSubKeyPrefix, MakeListKey and the counter ids are members that go through
// the map.
//
// Threading: one thread (the server's event loop) calls everything.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/keyspace/collection_cache.h"
#include "server/keyspace/format.h"
#include "server/keyspace/rdb.h"
#include "storage/db.h"
#include "storage/status.h"

namespace shale::keyspace {

using storage::Status;

// Told about every change a WATCH must see.
class KeyspaceObserver {
 public:
  virtual ~KeyspaceObserver() = default;
  // `key` of `db` was written or deleted by a command.
  virtual void KeyModified(int db, std::string_view key) = 0;
  // `key` of `db` was deleted because its deadline passed (lazily or by the cycle).
  virtual void KeyExpired(int db, std::string_view key) = 0;
  // FLUSHDB (db) or FLUSHALL (db = -1), before the data goes.
  virtual void DatabaseFlushed(int db) = 0;
  // SWAPDB a b (a != b), before the databases change places: their keys are all still there.
  virtual void DatabasesSwapped(int a, int b) = 0;
};

// What Peek finds.
enum class KeyState { kAbsent, kLive, kExpired /* stored, deadline passed, not yet deleted */ };

enum class SetCondition { kAlways, kIfAbsent /* NX */, kIfPresent /* XX */ };

struct SetOptions {
  SetCondition condition = SetCondition::kAlways;
  bool get = false;        // report the old value (SET ... GET, GETSET)
  uint64_t expire_ms = 0;  // absolute deadline, ms since the epoch; 0 = none
  bool keep_ttl = false;   // KEEPTTL: keep the old deadline
};

struct SetResult {
  bool applied = false;
  bool had_old = false;  // with SetOptions::get: whether a live old value existed
  std::string old_value;
};

// EXPIRE's conditions; XX combines with GT or LT.
struct ExpireCondition {
  bool if_none = false;     // NX: only without a deadline
  bool if_some = false;     // XX: only with a deadline
  bool if_greater = false;  // GT: only to a later deadline (none counts as infinite)
  bool if_less = false;     // LT: only to an earlier deadline (none counts as infinite)
};

// A read-modify-write of a string value (UpdateString): receives the live value, or nullptr when
// the key is absent or expired, and sets *value to the new one. Returning false leaves the key as
// it is (a reply computed without a change, or an error the caller keeps); nothing is written.
using StringUpdate = std::function<bool(const std::string_view* old, std::string* value)>;

// What a RewriteString function makes: the new value and how it was made (format.h's
// StringEncoding, what OBJECT ENCODING reports). UpdateString writes kRaw, as Redis's in-place
// modifications leave a raw string.
struct StringWrite {
  std::string value;
  StringEncoding encoding = StringEncoding::kRaw;
};
using StringRewrite = std::function<bool(const std::string_view* old, StringWrite* write)>;

// A list's two ends.
enum class ListEnd { kLeft /* head */, kRight /* tail */ };

// LPOS's options (Redis's names): rank 1 = first match from the head, -1 = first from the tail;
// count 0 = all matches; maxlen 0 = the whole list.
struct ListPosOptions {
  int64_t rank = 1;
  uint64_t count = 1;
  uint64_t maxlen = 0;
};

// What SINTER, SUNION and SDIFF (and their STORE forms) compute.
enum class SetOperation { kIntersection, kUnion, kDifference };

// What LSET found.
enum class ListSetResult { kOk, kNoSuchKey, kOutOfRange };

// A sorted set's member with its score.
struct ScoredMember {
  std::string member;
  double score = 0;
};

// ZADD's options (Redis's names). gt/lt only restrict updates of members already there.
struct ZAddOptions {
  SetCondition condition = SetCondition::kAlways;  // NX / XX
  bool gt = false;
  bool lt = false;
  bool incr = false;  // INCR: the one pair's score is added to the member's
};

struct ZAddResult {
  int64_t added = 0;          // members that were not there
  int64_t updated = 0;        // members there whose score changed
  bool incr_applied = false;  // INCR: whether the member was written (NX/XX/GT/LT may refuse)
  double incr_score = 0;      // INCR: the member's score afterwards
  bool nan = false;           // INCR made a NaN: nothing was written
};

// One end of a score interval: `value`, included unless `exclusive` (Redis's "(" prefix).
struct ScoreBound {
  double value = 0;
  bool exclusive = false;
};

// One end of a member (lex) interval: Redis's "-", "+", "[member", "(member".
struct LexBound {
  enum class Kind {
    kMinusInfinity,
    kPlusInfinity,
    kInclusive,
    kExclusive
  } kind = Kind::kMinusInfinity;
  std::string value;
};

// What ZRANGE and its relatives select. kRank: ranks start .. stop (Redis's index rules,
// negative from the end). kScore / kLex: the members in [min, max], then LIMIT offset count
// (count < 0: all). `reverse` counts ranks from the highest score and lists from there.
struct ZRangeSpec {
  enum class By { kRank, kScore, kLex } by = By::kRank;
  bool reverse = false;
  int64_t start = 0, stop = -1;
  ScoreBound score_min, score_max;
  LexBound lex_min, lex_max;
  int64_t offset = 0, count = -1;
};

// GETEX's change to the deadline.
struct GetExOptions {
  enum class Action { kKeep, kSet, kPersist } action = Action::kKeep;
  uint64_t expire_ms = 0;  // kSet: the new absolute deadline
};

// Redis's thresholds for the compact encodings of hashes, sets and sorted sets (CONFIG's
// hash-max-listpack-entries ...). Shale stores every type the same way (format.h); the limits
// decide only what OBJECT ENCODING reports, by Redis's rules: a key is compact (listpack, intset)
// until it outgrows them, and stays large (hashtable, skiplist) from then on, as Redis never
// converts back.
struct EncodingLimits {
  int64_t hash_entries = 512;
  int64_t hash_value = 64;  // bytes of a field or value
  int64_t set_intset_entries = 512;
  int64_t zset_entries = 128;
  int64_t zset_value = 64;  // bytes of a member
};

// The shape of a sorted set's rank index (zsets.cc: counted buckets of its score order) and of a
// set's positional index (sets.cc: the same over its member order, in memory only).
struct ZSetIndexLimits {
  uint64_t build_at = 1024;     // a sorted set gets its index once it has this many members
  uint64_t target = 1024;       // members per bucket when an index is built
  uint64_t split_above = 2048;  // a bucket with more members is split in two
  uint64_t merge_below = 256;   // a bucket with fewer joins its neighbour when the two fit
};

struct KeyspaceStats {
  uint64_t expired_keys = 0;         // deleted because their deadline passed
  uint64_t expire_cycles = 0;        // active expiry cycles run
  uint64_t expire_cycle_micros = 0;  // time spent in them
};

// --- streams ---

// A stream entry: its ID and its field, value pairs (flattened). `deleted`: a pending entry whose
// entry is no longer in the stream (XREADGROUP's history, XCLAIM), with no fields.
struct StreamEntry {
  StreamId id;
  std::vector<std::string> fields;
  bool deleted = false;
};

// XADD's and XTRIM's trimming (Redis's names). `approx` (~) trims only whole nodes of
// kStreamNodeEntries entries counted from the head; `limit` (0 = none) caps what it removes.
struct StreamTrimSpec {
  enum class Strategy { kNone, kMaxLen, kMinId } strategy = Strategy::kNone;
  bool approx = false;
  int64_t maxlen = 0;
  StreamId minid;
  int64_t limit = 0;
};
// Redis's stream-node-max-entries default: the node size approximate trimming works in.
inline constexpr int64_t kStreamNodeEntries = 100;

struct StreamAddSpec {
  bool no_mkstream = false;
  bool id_given = false;  // an explicit ID (else `*`)
  bool seq_given = true;  // with id_given: false for `<ms>-*`
  StreamId id;
  StreamTrimSpec trim;
};

struct StreamAddResult {
  bool absent = false;  // NOMKSTREAM and no stream: nothing written
  std::string error;    // Redis's error text when the ID is refused: nothing written
  StreamId id;          // the ID added
  int64_t trimmed = 0;  // entries the trimming removed
  uint64_t length = 0;  // afterwards
  StreamId first_id;    // afterwards (0-0 when empty)
};

// A consumer group, a consumer and a pending entry (format.h's 'g', 'c' and 'p' sub-keys).
struct StreamGroup {
  std::string name;
  StreamId last_id;
  int64_t entries_read = -1;  // -1: unknown
  uint64_t pending = 0;
  uint64_t consumers = 0;
};
struct StreamConsumer {
  std::string name;
  uint64_t seen_ms = 0;
  uint64_t pending = 0;
};
struct StreamPending {
  StreamId id;
  std::string consumer;
  uint64_t delivered_ms = 0;
  uint64_t deliveries = 0;
};

// What a consumer-group operation found wrong: the key or the group absent.
enum class StreamGroupStatus { kOk, kNoKey, kNoGroup, kExists };

// XREADGROUP's read of one stream for one consumer.
struct StreamReadGroupResult {
  StreamGroupStatus status = StreamGroupStatus::kOk;
  std::vector<StreamEntry> entries;
  bool consumer_created = false;
  // New entries delivered (`>`): their pending records as written (empty with NOACK), and the
  // group afterwards (for propagation).
  std::vector<StreamPending> delivered;
  bool group_advanced = false;
  StreamGroup group;
};

// XCLAIM's options (Redis's names); delivered_ms is the delivery time to record.
struct StreamClaimSpec {
  uint64_t min_idle_ms = 0;
  uint64_t delivered_ms = 0;
  int64_t retry_count = -1;  // -1: not given
  bool force = false;
  bool just_id = false;
  StreamId last_id;  // LASTID (0-0: not given)
};

struct StreamClaimResult {
  StreamGroupStatus status = StreamGroupStatus::kOk;
  std::vector<StreamEntry> claimed;      // in order; `deleted` when the entry is gone (XCLAIM)
  std::vector<StreamId> deleted;         // pending entries dropped since their entry is gone
  std::vector<StreamPending> propagate;  // XCLAIM records to propagate, in order
  bool group_advanced = false;           // LASTID moved the group's last ID
  bool consumer_created = false;         // the claiming consumer was new
  StreamGroup group;                     // afterwards
  StreamId next;                         // XAUTOCLAIM's cursor (0-0: done)
};

// XINFO STREAM's figures.
struct StreamInfo {
  uint64_t length = 0;
  StreamMeta meta;
};

class Keyspace {
 public:
  // Checks the data directory's keyspace format (writing the marker into an empty one) and
  // that no database at or beyond `databases` holds keys.
  static Status Open(storage::Db* db, int databases, std::unique_ptr<Keyspace>* keyspace);

  // The engine options the keyspace needs (its router); apply before Db::Open.
  static void ConfigureEngine(storage::Options* options);

  // Detaches the compaction filter from the Db (it keeps sub-keys from then on).
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  int databases() const { return databases_; }
  storage::Db& db() { return *db_; }
  void set_observer(KeyspaceObserver* observer) { observer_ = observer; }
  // CLIENT PAUSE: keys whose deadline passed are not deleted (they stay invisible) until it ends.
  void set_expiry_paused(bool paused) { expiry_paused_ = paused; }
  bool expiry_paused() const { return expiry_paused_; }
  // The clock deadlines are compared with (ms since the epoch); tests may replace it.
  void set_clock(std::function<uint64_t()> clock) { clock_ = std::move(clock); }
  uint64_t NowMs() const { return clock_(); }
  const KeyspaceStats& stats() const { return stats_; }
  // DEBUG RELOAD: the reopened keyspace goes on counting from the closed one's figures.
  void AdoptStats(const KeyspaceStats& stats) { stats_ = stats; }
  void set_encoding_limits(const EncodingLimits& limits) { limits_ = limits; }
  const EncodingLimits& encoding_limits() const { return limits_; }
  // REQUIRES: 1 <= target <= split_above, 2 * merge_below <= split_above, build_at >= 1.
  void set_zset_index_limits(const ZSetIndexLimits& limits) { index_limits_ = limits; }

  // --- strings ---
  // NotFound when the key is absent or expired.
  Status Get(int db, std::string_view key, std::string* value);
  Status Set(int db, std::string_view key, std::string_view value, const SetOptions& options,
             SetResult* result);
  // MSET: one atomic batch (all shards).
  Status MultiSet(int db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs);
  // GETDEL: the value, then the key is deleted; NotFound when absent.
  Status GetDel(int db, std::string_view key, std::string* value);
  // GETEX: the value, with the deadline changed as `options` says; NotFound when absent.
  Status GetEx(int db, std::string_view key, const GetExOptions& options, std::string* value);

  // Read-modify-write of a string (INCR, APPEND, SETRANGE, SETBIT...): one lookup, then one
  // write of what `update` makes, keeping the key's deadline. Atomic for other clients (the
  // keyspace has one thread). WrongType when the key holds another type.
  Status UpdateString(int db, std::string_view key, const StringUpdate& update);
  // UpdateString whose function also chooses the new value's encoding class.
  Status RewriteString(int db, std::string_view key, const StringRewrite& rewrite);
  // MSETNX: when none of the keys is live, one atomic batch (all shards) as MultiSet and
  // *applied; otherwise nothing is written.
  Status MultiSetIfNoneExist(
      int db, const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
      bool* applied);
  // OBJECT: the live value and its header (encoding class, write time); NotFound when absent.
  // Changes nothing (an expired key is deleted, as by every lookup).
  Status Inspect(int db, std::string_view key, std::string* value, ValueHeader* header);

  // --- keys ---
  // DEL: one atomic batch; *removed counts live keys removed (a key named twice, once).
  Status Delete(int db, const std::vector<std::string_view>& keys, int64_t* removed);
  // EXISTS: a key named twice counts twice.
  Status Exists(int db, const std::vector<std::string_view>& keys, int64_t* count);
  // The key's state, changing nothing (an expired key is not deleted): WATCH's question.
  Status Peek(int db, std::string_view key, KeyState* state);
  // TYPE: "none" or the type's name.
  Status Type(int db, std::string_view key, std::string_view* type);
  uint64_t KeyCount(int db) const;
  uint64_t ExpiresCount(int db) const;
  // INFO keyspace's avg_ttl: the mean remaining time to live of the keys with a deadline (ms).
  uint64_t AverageTtlMs(int db) const;
  Status FlushDb(int db);
  Status FlushAll();
  // RENAME / RENAMENX: the value and deadline of `from` move to `to`, replacing it, in one batch
  // (atomic across shards and a crash). NotFound when `from` is absent. *applied is false when
  // `if_absent` and `to` is live. from == to changes nothing (*applied = !if_absent).
  Status Rename(int db, std::string_view from, std::string_view to, bool if_absent, bool* applied);
  // COPY: `from` of `db` to `to` of `to_db`, deadline included; *copied is false when `from` is
  // absent or `to` is live and not `replace`. REQUIRES: not the same key of the same database.
  Status Copy(int db, std::string_view from, int to_db, std::string_view to, bool replace,
              bool* copied);
  // MOVE: `key` to `to_db`, deadline included; *moved is false when it is absent from `db` or
  // live in `to_db`. REQUIRES: db != to_db.
  Status Move(int db, std::string_view key, int to_db, bool* moved);
  // SWAPDB: the two databases exchange their contents (keys, deadlines, counts) by one write of
  // the database map (format.h). Nothing happens when a == b.
  Status SwapDb(int a, int b);
  // RANDOMKEY: a live key of `db`; NotFound when it has none (expired keys are never returned).
  Status RandomKey(int db, std::string* key);
  // The key group logical database `db` is stored under (format.h's database map).
  uint16_t PhysicalDb(int db) const;
  // Up to `limit` live keys of `db` after `after` (empty = from the start) starting with
  // `prefix`, ascending, appended to *keys; *done when there are no more. Keys present for a
  // whole sequence of calls are returned exactly once.
  Status Scan(int db, std::string_view after, std::string_view prefix, size_t limit,
              std::vector<std::string>* keys, bool* done);

  // Adds to `batch` the deletion of `key` of any type in O(1): its metadata record (and its index
  // entry); a composite key's sub-keys become garbage for the compaction filter. *removed: whether
  // a live key was there. The batch is the caller's to apply.
  Status AddDeleteOf(int db, std::string_view key, storage::WriteBatch* batch, bool* removed);
  // Calls `fn(element, value)` for each sub-key of the live composite key `key`, in element order
  // (a list's: index order), until it returns false. NotFound when the key is absent; WrongType
  // for a string.
  Status ForEachSubKey(int db, std::string_view key,
                       const std::function<bool(std::string_view, std::string_view)>& fn);

  // --- lists ---
  // Every list operation: WrongType when the key holds another type; an emptied list is deleted.
  // LPUSH/RPUSH (LPUSHX/RPUSHX with `only_existing`): *length afterwards (0 when only_existing
  // and the key is absent).
  Status ListPush(int db, std::string_view key, ListEnd end,
                  const std::vector<std::string_view>& values, bool only_existing, int64_t* length);
  // LPOP/RPOP/LMPOP: up to `count` elements from `end`; *found false when the key is absent.
  Status ListPop(int db, std::string_view key, ListEnd end, uint64_t count,
                 std::vector<std::string>* values, bool* found);
  // LLEN: 0 when absent.
  Status ListLength(int db, std::string_view key, int64_t* length);
  // LRANGE with Redis's index rules (negative from the end, clamped).
  Status ListRange(int db, std::string_view key, int64_t start, int64_t stop,
                   std::vector<std::string>* values);
  // LINDEX: NotFound when absent or out of range.
  Status ListIndex(int db, std::string_view key, int64_t index, std::string* value);
  Status ListSet(int db, std::string_view key, int64_t index, std::string_view value,
                 ListSetResult* result);
  // LINSERT: *length afterwards, -1 when the pivot is not there, 0 when the key is absent. The
  // elements after the insertion point are renumbered (rewritten): O(n - position).
  Status ListInsert(int db, std::string_view key, bool before, std::string_view pivot,
                    std::string_view value, int64_t* length);
  // LREM: `count` > 0 from the head, < 0 from the tail, 0 all; the elements after the first one
  // removed are renumbered (rewritten): O(n).
  Status ListRemove(int db, std::string_view key, int64_t count, std::string_view value,
                    int64_t* removed);
  // LTRIM: O(elements removed).
  Status ListTrim(int db, std::string_view key, int64_t start, int64_t stop);
  // LPOS: the matching positions (at most options.count; all when 0).
  Status ListPositions(int db, std::string_view key, std::string_view value,
                       const ListPosOptions& options, std::vector<int64_t>* positions);
  // LMOVE/RPOPLPUSH: one element from `from` of `source` to `to` of `destination`, one atomic
  // batch (also across shards). *found false when the source is absent; WrongType when either
  // key holds another type (the destination is checked before anything moves).
  Status ListMove(int db, std::string_view source, std::string_view destination, ListEnd from,
                  ListEnd to, std::string* value, bool* found);

  // --- hashes ---
  // Every hash operation: WrongType when the key holds another type; an emptied hash is deleted.
  // A field is one sub-key, so a point operation is one Get per field; the whole hash is one
  // iteration in field (byte) order.
  // HSET/HMSET (HSETNX with `only_new`: a field already there keeps its value): *added counts the
  // fields that were not there (a field named twice counts once; the last value wins).
  Status HashSet(int db, std::string_view key,
                 const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
                 bool only_new, int64_t* added);
  // HGET, HEXISTS, HSTRLEN: NotFound when the key or the field is absent.
  Status HashGet(int db, std::string_view key, std::string_view field, std::string* value);
  // HMGET: (*values)[i] is fields[i]'s value, *found[i] whether it is there.
  Status HashMultiGet(int db, std::string_view key, const std::vector<std::string_view>& fields,
                      std::vector<std::string>* values, std::vector<bool>* found);
  // HDEL: *removed counts the fields that were there (a field named twice, once).
  Status HashDelete(int db, std::string_view key, const std::vector<std::string_view>& fields,
                    int64_t* removed);
  // HLEN: 0 when absent.
  Status HashLength(int db, std::string_view key, int64_t* length);
  // HGETALL, HKEYS, HVALS: appends each field (with `fields`) and then its value (with `values`)
  // to *out, in field order.
  Status HashEntries(int db, std::string_view key, bool fields, bool values,
                     std::vector<std::string>* out);
  // `pairs` (distinct fields) as a new hash under `destination`, replacing whatever it holds,
  // with deadline `expire_ms` (0: none), or deleting it when `pairs` is empty; one batch.
  Status HashStore(int db, std::string_view destination,
                   const std::vector<std::pair<std::string, std::string>>& pairs,
                   uint64_t expire_ms = 0);
  // HINCRBY, HINCRBYFLOAT: one read of the field, then one write of what `update` makes (it gets
  // the old value, nullptr when the field or the key is absent; returning false writes nothing).
  Status HashUpdate(int db, std::string_view key, std::string_view field,
                    const StringUpdate& update);
  // HRANDFIELD with a count: `count` fields drawn independently (`repeats`) or up to `count`
  // distinct ones (the whole hash when it has no more), in random order, appended to *out as
  // field (and, `with_values`, value). *found false when the key is absent. O(size) engine work:
  // one iteration of the hash (sub-keys have no positional index).
  Status HashRandomFields(int db, std::string_view key, uint64_t count, bool repeats,
                          bool with_values, std::vector<std::string>* out, bool* found);
  // HSCAN: the fields after *after (nullptr: from the first), with their values, appended to
  // *out as field, value; at most `limit` fields, or all of them while the hash is in Redis's
  // compact encoding (Redis answers a listpack hash in one call). *done when no field is left
  // after the last one returned.
  Status HashScan(int db, std::string_view key, const std::string* after, size_t limit,
                  std::vector<std::string>* out, bool* done);
  // --- sets ---
  // Every set operation: WrongType when a key holds another type; an emptied set is deleted;
  // members are reported in member (byte) order unless said otherwise. OBJECT ENCODING follows
  // Redis 7.0: intset while every member is a canonical int64 and there are at most
  // set-max-intset-entries of them, hashtable from then on.
  // SADD: *added counts the members that were not there (a member named twice, once).
  Status SetAdd(int db, std::string_view key, const std::vector<std::string_view>& members,
                int64_t* added);
  // SREM: *removed counts the members that were there.
  Status SetRemove(int db, std::string_view key, const std::vector<std::string_view>& members,
                   int64_t* removed);
  // SCARD: 0 when absent.
  Status SetCard(int db, std::string_view key, int64_t* size);
  // SISMEMBER / SMISMEMBER: (*found)[i] says whether members[i] is there (all false when the key
  // is absent). One point read per member.
  Status SetIsMember(int db, std::string_view key, const std::vector<std::string_view>& members,
                     std::vector<bool>* found);
  // SMEMBERS: one iteration.
  Status SetMembers(int db, std::string_view key, std::vector<std::string>* members);
  // SRANDMEMBER with a count (Redis's rules): count >= 0 gives min(count, size) distinct members,
  // count < 0 gives -count members that may repeat, both in random order. Uniform: the chosen
  // positions are read in one iteration up to the last of them. Empty when absent.
  Status SetRandomMembers(int db, std::string_view key, int64_t count,
                          std::vector<std::string>* members);
  // SPOP: up to `count` distinct random members, removed in one batch; *found false when the key
  // is absent. When the members left are few (Redis's SPOP case 3: at most a fifth of those
  // popped) the set's encoding is decided again from what is left, as Redis rebuilds it.
  Status SetPop(int db, std::string_view key, uint64_t count, std::vector<std::string>* members,
                bool* found);
  // SMOVE: `member` from `source` to `destination`, one atomic batch (also across shards).
  // *moved false when the source is absent or lacks the member. WrongType when either key holds
  // another type (the destination is checked only once the source exists, as Redis does).
  Status SetMove(int db, std::string_view source, std::string_view destination,
                 std::string_view member, bool* moved);
  // SINTER / SUNION / SDIFF over `keys` (absent keys are empty sets; every key is type-checked
  // first). SINTERCARD: `limit` (0 = none) stops the intersection once it has that many.
  Status SetCombine(int db, SetOperation operation, const std::vector<std::string_view>& keys,
                    uint64_t limit, std::vector<std::string>* members);
  // SINTERSTORE / SUNIONSTORE / SDIFFSTORE: the result replaces `destination` (of any type, its
  // deadline dropped) in one atomic batch, or deletes it when empty; *size is the result's size.
  Status SetCombineStore(int db, SetOperation operation, std::string_view destination,
                         const std::vector<std::string_view>& keys, int64_t* size);
  // `members` (distinct) as a new set under `destination`, replacing whatever it holds, with
  // deadline `expire_ms` (0: none), or deleting it when `members` is empty; one batch.
  Status SetStore(int db, std::string_view destination, const std::vector<std::string>& members,
                  uint64_t expire_ms = 0);
  // SSCAN: a compact (intset) set gives every member at once (*compact and *complete, as Redis
  // does); a large one up to `count` members after `after` (empty: from the first) that start
  // with `prefix`, *complete when no more follow. Empty, compact and complete when absent.
  Status SetScan(int db, std::string_view key, std::string_view after, std::string_view prefix,
                 size_t count, std::vector<std::string>* members, bool* complete, bool* compact);
  // SORT ... STORE's write: `values` as a new list under `destination`, replacing whatever it
  // holds, with deadline `expire_ms` (0: none), or deleting it when `values` is empty; one batch.
  Status StoreList(int db, std::string_view destination, const std::vector<std::string>& values,
                   uint64_t expire_ms = 0);

  // --- DUMP and RESTORE (dump.cc; the payload format: rdb.h) ---
  // DUMP: the value of `key` whatever its type; *found false when absent. Reads every element.
  // *expire_ms (optional): its deadline, 0 = none.
  Status ReadValue(int db, std::string_view key, DumpedValue* value, bool* found,
                   uint64_t* expire_ms = nullptr);
  // RESTORE: `value` (a well-formed payload's: distinct members, not empty) replaces whatever
  // `key` holds, with deadline `expire_ms` (0: none); one batch.
  Status WriteValue(int db, std::string_view key, const DumpedValue& value, uint64_t expire_ms);
  // Every live key of every database with its deadline, as an RDB file (rdb.h) with the `aux`
  // fields first: a full resynchronisation's payload. Reads every key and element.
  Status SnapshotRdb(const std::vector<std::pair<std::string, std::string>>& aux, std::string* rdb);

  // --- sorted sets (zsets.cc) ---
  // Every sorted-set operation: WrongType when the key holds another type; an emptied sorted set
  // is deleted. A member's score is one point read; score order is one iteration (see zsets.cc
  // for what each operation costs).
  // ZADD / ZINCRBY (options.incr): the pairs in order (a member named twice: the later pair
  // applies to the state the earlier one left), one batch.
  Status ZSetAdd(int db, std::string_view key,
                 const std::vector<std::pair<double, std::string_view>>& pairs,
                 const ZAddOptions& options, ZAddResult* result);
  // ZREM: *removed counts the members that were there (a member named twice, once).
  Status ZSetRemove(int db, std::string_view key, const std::vector<std::string_view>& members,
                    int64_t* removed);
  // ZCARD: 0 when absent.
  Status ZSetCard(int db, std::string_view key, int64_t* size);
  // ZSCORE / ZMSCORE: (*scores)[i] is members[i]'s score, (*found)[i] whether it is there.
  Status ZSetScores(int db, std::string_view key, const std::vector<std::string_view>& members,
                    std::vector<double>* scores, std::vector<bool>* found);
  // ZRANK / ZREVRANK: *rank is -1 when the key or the member is absent; *score its score.
  // O(rank) sub-keys read (the ranks before it are counted in score order).
  Status ZSetRank(int db, std::string_view key, std::string_view member, bool reverse,
                  int64_t* rank, double* score);
  // ZRANGE and its relatives: the selected members in the order asked, appended to *out.
  Status ZSetRange(int db, std::string_view key, const ZRangeSpec& spec,
                   std::vector<ScoredMember>* out);
  // ZCOUNT (kScore) and ZLEXCOUNT (kLex): how many members are in the interval (LIMIT ignored).
  Status ZSetCount(int db, std::string_view key, const ZRangeSpec& spec, int64_t* count);
  // ZREMRANGEBYRANK / BYSCORE / BYLEX: removes what `spec` selects (LIMIT ignored), one batch.
  Status ZSetRemoveRange(int db, std::string_view key, const ZRangeSpec& spec, int64_t* removed);
  // ZPOPMIN / ZPOPMAX (`max`), ZMPOP, BZPOP*: up to `count` members from the low (high) end,
  // lowest (highest) first, removed in one batch; *found false when the key is absent.
  Status ZSetPop(int db, std::string_view key, bool max, uint64_t count,
                 std::vector<ScoredMember>* out, bool* found);
  // ZRANDMEMBER with a count (SRANDMEMBER's rules): count >= 0 gives min(count, size) distinct
  // members, count < 0 gives -count that may repeat, in random order. Empty when absent.
  Status ZSetRandomMembers(int db, std::string_view key, int64_t count,
                           std::vector<ScoredMember>* out);
  // ZUNION/ZINTER/ZDIFF's input: every member with its score, in member order; a set's members
  // have score 1 (Redis accepts sets there). *exists false when the key is absent.
  Status ZSetReadInput(int db, std::string_view key, std::vector<ScoredMember>* out, bool* exists);
  // ZSCAN: as SetScan, members (in member order) with their scores.
  Status ZSetScan(int db, std::string_view key, std::string_view after, std::string_view prefix,
                  size_t count, std::vector<ScoredMember>* out, bool* complete, bool* compact);
  // The STORE forms (ZUNIONSTORE, ZRANGESTORE...): `members` (distinct) as a new sorted set under
  // `destination`, replacing whatever it holds, with deadline `expire_ms` (0: none), or deleting
  // it when `members` is empty; one batch.
  Status ZSetStore(int db, std::string_view destination, const std::vector<ScoredMember>& members,
                   uint64_t expire_ms = 0);

  // --- streams (streams.cc) ---
  // Every stream operation: WrongType when the key holds another type. An emptied stream stays
  // (as in Redis) until it is deleted. Entries are one sub-key each, in ID order, so a range is
  // one engine range scan.
  // XADD: appends `fields` (field, value, ...) under the ID `spec` says, then trims.
  Status StreamAdd(int db, std::string_view key, const StreamAddSpec& spec,
                   const std::vector<std::string_view>& fields, StreamAddResult* result);
  // XTRIM: *removed entries; *length and *first_id afterwards. *exists false when absent.
  Status StreamTrim(int db, std::string_view key, const StreamTrimSpec& spec, int64_t* removed,
                    bool* exists, uint64_t* length, StreamId* first_id);
  // XDEL: *removed counts the IDs that were entries (an ID named twice, once).
  Status StreamDelete(int db, std::string_view key, const std::vector<StreamId>& ids,
                      int64_t* removed);
  // XSETID: NotFound when absent; *error holds Redis's text when refused (nothing written).
  // entries_added -1 and max_deleted 0-0: not given.
  Status StreamSetId(int db, std::string_view key, StreamId id, int64_t entries_added,
                     StreamId max_deleted, std::string* error);
  // XLEN, XINFO: the stream's length and metadata; *exists false when absent.
  Status StreamState(int db, std::string_view key, StreamInfo* info, bool* exists);
  // XRANGE / XREVRANGE / XREAD: the entries with start <= ID <= end, ascending (descending when
  // `reverse`), at most `count` (0: all). Empty when absent.
  Status StreamRange(int db, std::string_view key, StreamId start, StreamId end, bool reverse,
                     uint64_t count, std::vector<StreamEntry>* out);
  // XGROUP CREATE (id = nullptr: `$`), entries_read -1 = unknown. kNoKey unless `mkstream`;
  // kExists when the group is there.
  Status StreamGroupCreate(int db, std::string_view key, std::string_view group, const StreamId* id,
                           bool mkstream, int64_t entries_read, StreamGroupStatus* status);
  // XGROUP SETID (id = nullptr: `$`).
  Status StreamGroupSetId(int db, std::string_view key, std::string_view group, const StreamId* id,
                          int64_t entries_read, StreamGroupStatus* status);
  // XGROUP DESTROY: kNoGroup when it was not there.
  Status StreamGroupDestroy(int db, std::string_view key, std::string_view group,
                            StreamGroupStatus* status);
  // XGROUP CREATECONSUMER: *created 1 or 0.
  Status StreamConsumerCreate(int db, std::string_view key, std::string_view group,
                              std::string_view consumer, int64_t* created,
                              StreamGroupStatus* status);
  // XGROUP DELCONSUMER: *pending the consumer's pending entries dropped with it; *deleted whether
  // it was there.
  Status StreamConsumerDelete(int db, std::string_view key, std::string_view group,
                              std::string_view consumer, int64_t* pending, bool* deleted,
                              StreamGroupStatus* status);
  // A group's record; kNoKey / kNoGroup when absent.
  Status StreamGroupOf(int db, std::string_view key, std::string_view group, StreamGroup* out,
                       StreamGroupStatus* status);
  // XREADGROUP on one stream: `start` kMaxStreamId means `>` (new entries, which become pending
  // unless `noack`), another ID the consumer's pending entries after it (history).
  Status StreamReadGroup(int db, std::string_view key, std::string_view group,
                         std::string_view consumer, StreamId start, uint64_t count, bool noack,
                         StreamReadGroupResult* result);
  // XACK: *acked counts the IDs that were pending (0 when the key or group is absent).
  Status StreamAck(int db, std::string_view key, std::string_view group,
                   const std::vector<StreamId>& ids, int64_t* acked);
  // XPENDING's extended form: the pending entries of the group (of `consumer` when not empty)
  // with start <= ID <= end, idle at least min_idle_ms, at most `count`.
  Status StreamPendingRange(int db, std::string_view key, std::string_view group, StreamId start,
                            StreamId end, uint64_t count, std::string_view consumer,
                            uint64_t min_idle_ms, std::vector<StreamPending>* out,
                            StreamGroupStatus* status);
  // XPENDING's summary: the group's pending count is in *group; *first / *last the lowest and
  // highest pending IDs; *per_consumer the consumers with pending entries and their counts.
  Status StreamPendingSummary(int db, std::string_view key, std::string_view group,
                              StreamGroup* out, StreamId* first, StreamId* last,
                              std::vector<std::pair<std::string, uint64_t>>* per_consumer,
                              StreamGroupStatus* status);
  // XCLAIM.
  Status StreamClaim(int db, std::string_view key, std::string_view group,
                     std::string_view consumer, const std::vector<StreamId>& ids,
                     const StreamClaimSpec& spec, StreamClaimResult* result);
  // XAUTOCLAIM: from `start`, at most `count` claimed (or dropped), `count` * 10 looked at.
  Status StreamAutoClaim(int db, std::string_view key, std::string_view group,
                         std::string_view consumer, uint64_t min_idle_ms, StreamId start,
                         uint64_t count, bool just_id, StreamClaimResult* result);
  // XINFO GROUPS / CONSUMERS: in name order.
  Status StreamGroups(int db, std::string_view key, std::vector<StreamGroup>* out, bool* exists);
  Status StreamConsumers(int db, std::string_view key, std::string_view group,
                         std::vector<StreamConsumer>* out, StreamGroupStatus* status);
  // XINFO STREAM FULL: a group's pending entries, at most `count` (0: all), of `consumer` when
  // not empty.
  Status StreamGroupPending(int db, std::string_view key, std::string_view group,
                            std::string_view consumer, uint64_t count,
                            std::vector<StreamPending>* out);

  // --- time to live ---
  // *ms: remaining ms, -1 without deadline, -2 when absent.
  Status Ttl(int db, std::string_view key, int64_t* ms);
  // *ms: the absolute deadline, -1 without one, -2 when absent.
  Status ExpireTime(int db, std::string_view key, int64_t* ms);
  // EXPIRE family with an absolute deadline (ms). A deadline not in the future deletes the key.
  // *applied: whether the key existed and the condition held.
  Status SetExpire(int db, std::string_view key, int64_t deadline_ms, ExpireCondition condition,
                   bool* applied);
  // PERSIST: *applied when the key had a deadline.
  Status Persist(int db, std::string_view key, bool* applied);

  // Redis 7 function libraries (FUNCTION LOAD): each library's code is one record of the meta
  // group (format.h), so libraries survive restarts and FLUSHALL, as Redis's do.
  Status PutLibrary(std::string_view name, std::string_view code);
  Status DeleteLibraries(const std::vector<std::string>& names);
  // Every stored library: (name, code), by name.
  Status Libraries(std::vector<std::pair<std::string, std::string>>* libraries);

  // MEMORY USAGE: the bytes of the records `key` takes in the engine, uncompressed (its data
  // key and value, its expiry index entry, and a composite's element sub-keys and values). With
  // `samples` > 0 only that many elements are read and their mean size stands for every element
  // (Redis's SAMPLES); 0 reads them all. *found is false for a missing key.
  Status MemoryUsage(int db, std::string_view key, uint64_t samples, uint64_t* bytes, bool* found);

  // Active expiry: deletes due keys (through the write path) until `budget_us` has passed or
  // none is due; *expired counts them.
  Status ExpireCycle(uint64_t budget_us, uint64_t* expired);

  // MULTI/EXEC: the writes between Begin and End become one atomic group for the engine.
  void BeginAtomic();
  Status EndAtomic();

 private:
  Keyspace(storage::Db* db, int databases, std::vector<std::pair<int, int>> remapped);

  // What Lookup found.
  struct Entry {
    bool stored = false;  // a record exists (counted by DBSIZE), live or expired
    bool live = false;    // stored and not expired
    ValueHeader header;
    std::string raw;  // the stored value (header + payload)
    std::string_view payload() const { return std::string_view(raw).substr(header.size); }
  };
  // Reads `key` of `db` (key_ is its data key afterwards). A stored value that does not decode is
  // Corruption.
  Status Lookup(int db, std::string_view key, Entry* entry);
  // Deletes an expired key found by Lookup (lazy expiry): true when it did; false when writes
  // are refused (the key stays, invisible, until it can be deleted).
  bool DeleteExpired(int db, std::string_view key, const Entry& entry);
  // Adds to `batch` the value of `source` (any type) under `to` of `to_db`, replacing `target`,
  // with the source's deadline. Apply with ApplyComposite (a composite copy takes a version).
  Status AddCopyOf(int from_db, std::string_view from, const Entry& source, int to_db,
                   std::string_view to, const Entry& target, storage::WriteBatch* batch);
  // COPY (move = false) and MOVE (move = true, the source deleted in the same batch).
  Status CopyOrMove(int db, std::string_view from, int to_db, std::string_view to, bool replace,
                    bool move, bool* done);
  // The body of RENAME, COPY and MOVE once the live `source` (at `from` of `db`) is found:
  // unless `to` of `to_db` is live and not `replace`, one atomic batch writes the copy and, with
  // `move`, deletes the source; *done says whether it did.
  Status Transfer(int db, std::string_view from, const Entry& source, int to_db,
                  std::string_view to, bool replace, bool move, bool* done);
  // Adds to `batch` the deletion of a stored key (and its index entry).
  void AddDelete(int db, std::string_view key, const Entry& entry, storage::WriteBatch* batch);
  // Adds to `batch` a put of a value of `type` (the string, or a composite key's metadata) with
  // deadline `expire_ms` and (strings) encoding class `encoding`, replacing `old`; the write
  // time is now.
  void AddPut(int db, std::string_view key, std::string_view value, uint64_t expire_ms,
              const Entry& old, storage::WriteBatch* batch,
              StringEncoding encoding = StringEncoding::kAuto, ValueType type = ValueType::kString);
  // The header's write time: now in seconds (never 0, which means "not recorded").
  uint32_t WrittenSeconds() const;
  // MSET and MSETNX.
  Status MultiSetGeneric(int db,
                         const std::vector<std::pair<std::string_view, std::string_view>>& pairs,
                         bool if_none_exist, bool* applied);

  // --- composite keys (composite.cc): what lists, hashes, sets and sorted sets share ---
  struct CompositeRef {
    Entry entry;
    bool exists = false;  // a live key of the type asked for
    CompositeMeta meta;
    // Outgrown its compact encoding (EncodingLimits): kept in the header's encoding bits
    // (format.h) and copied with the key.
    bool large = false;
  };
  // Reads `key` as a composite key of `type`: WrongType for another type, Corruption for
  // undecodable metadata; absent (not ref->exists) when missing or expired.
  Status LoadComposite(int db, std::string_view key, ValueType type, CompositeRef* ref);
  // LLEN, HLEN, SCARD: the element count of `key` as a composite of `type` (0 when absent).
  Status CompositeSize(int db, std::string_view key, ValueType type, int64_t* size);
  // Gives a new key (not ref->exists) a fresh version; apply its batch with ApplyComposite.
  void TakeVersion(CompositeRef* ref);
  // Adds to `batch` the key's new metadata: a put, or the key's deletion when it is empty. A new
  // key (not ref->exists) has deadline `new_expire_ms` (0: none); an existing one keeps its own.
  void AddCompositeMeta(int db, std::string_view key, ValueType type, CompositeRef* ref,
                        storage::WriteBatch* batch, uint64_t new_expire_ms = 0);
  // Applies a batch built by composite operations; a version taken for it is given back on
  // failure.
  Status ApplyComposite(const storage::WriteBatch& batch, uint64_t version_before);
  // An iterator over the sub-keys that start with `prefix` (a MakeSubKeyPrefix, maybe with more
  // after it): only the key's shard is read, and nothing past the prefix's range (nor at or past
  // `upper_bound` when that is not empty), so deleted sub-keys of other keys cost nothing.
  Status NewSubKeyIterator(std::string_view prefix, std::unique_ptr<storage::Iterator>* it,
                           std::string_view upper_bound = {});
  // Calls `fn(element, value)` for the sub-keys of version meta.version of `key`, in element
  // order, until it returns false: a list's indexes head .. tail - 1; another type's elements
  // from the first at or after `from` (empty: all) and before `upper` (empty: no bound; nothing
  // at or past it is read).
  Status ForEachElement(int db, std::string_view key, ValueType type, const CompositeMeta& meta,
                        const std::function<bool(std::string_view, std::string_view)>& fn,
                        std::string_view from = {}, std::string_view upper = {});
  // Adds to `batch` a copy of the composite key `source` (found at `from` of `from_db`) under
  // `to` of `to_db` (replacing `target`), with a new version and the source's deadline: RENAME,
  // COPY and MOVE of a composite key, O(elements) since an element's key names its key. Takes a
  // version: apply the batch with ApplyComposite.
  Status AddCopyOfComposite(int from_db, std::string_view from, const Entry& source, int to_db,
                            std::string_view to, const Entry& target, storage::WriteBatch* batch);

  // --- lists (lists.cc) ---
  Status LoadList(int db, std::string_view key, CompositeRef* list) {
    return LoadComposite(db, key, ValueType::kList, list);
  }
  void AddListMeta(int db, std::string_view key, CompositeRef* list, storage::WriteBatch* batch) {
    AddCompositeMeta(db, key, ValueType::kList, list, batch);
  }
  // The values of positions [from, from + n) of the list, in order.
  Status ReadList(int db, std::string_view key, const CompositeMeta& meta, uint64_t from,
                  uint64_t n, std::vector<std::string>* values);

  // --- hashes (hashes.cc) ---
  Status LoadHash(int db, std::string_view key, CompositeRef* hash) {
    return LoadComposite(db, key, ValueType::kHash, hash);
  }
  // The sub-key of `field` of version `version` of `key`, into *dst.
  void MakeHashFieldKey(int db, std::string_view key, uint64_t version, std::string_view field,
                        std::string* dst) const {
    MakeSubKeyPrefix(db, key, version, dst);
    dst->append(field.data(), field.size());
  }
  // Marks the hash large when a field or value written outgrows Redis's listpack value limit.
  void NoteHashWrite(CompositeRef* hash, std::string_view field, std::string_view value) const;

  // --- sets (sets.cc) ---
  Status LoadSet(int db, std::string_view key, CompositeRef* set) {
    return LoadComposite(db, key, ValueType::kSet, set);
  }
  // Whether `member` is in a set whose sub-key prefix (MakeSubKeyPrefix of its version) is the
  // first `prefix_size` bytes of *sub_key: one point read (*sub_key is the member's sub-key
  // afterwards).
  Status SetHas(std::string* sub_key, size_t prefix_size, std::string_view member, bool* has);
  // Members at the sorted, ascending positions `positions` (repeats allowed) of the set, in one
  // iteration that stops after the last of them; *rest_compact (when not null) says whether every
  // member not at a position is an intset member (the iteration then goes to the end).
  Status SetMembersAt(int db, std::string_view key, const CompositeRef& set,
                      const std::vector<uint64_t>& positions, std::vector<std::string>* members,
                      bool* rest_compact);
  // The positional index of `set` (sets.cc): the cache entry with it loaded, built in memory by
  // one walk when it is not; nullptr for a set below index_limits_.build_at members.
  Status SetIndexOf(int db, std::string_view key, const CompositeRef& set, CollectionEntry** entry);
  // After a write of the existing `set` (its metadata as written) that added and removed these
  // members: a cached positional index follows (counts, splits, merges), or is dropped.
  void AfterSetWrite(int db, std::string_view key, const CompositeRef& set,
                     const std::vector<std::string_view>& added,
                     const std::vector<std::string_view>& removed);
  // `n` distinct positions in [0, size), ascending, uniformly chosen. REQUIRES: n <= size.
  std::vector<uint64_t> DistinctPositions(uint64_t size, uint64_t n);

  // --- sorted sets (zsets.cc) ---
  Status LoadZSet(int db, std::string_view key, CompositeRef* zset) {
    return LoadComposite(db, key, ValueType::kZSet, zset);
  }
  // Calls `fn(member, score)` for the members of `zset` in score order (ties by member), from the
  // first at or after the score-ordered position `from` (empty: the lowest), until it returns
  // false.
  Status ForEachByScore(int db, std::string_view key, const CompositeRef& zset,
                        std::string_view from,
                        const std::function<bool(std::string_view, double)>& fn);
  // The same in member order, from the first member at or after `from`.
  Status ForEachByMember(int db, std::string_view key, const CompositeRef& zset,
                         std::string_view from,
                         const std::function<bool(std::string_view, double)>& fn);
  // Calls `fn(member, score)` for each member `spec` selects, lowest first, ignoring its LIMIT
  // and its direction (a reversed rank range is mapped to the same members counted from the low
  // end), until it returns false.
  Status ZSetWalk(int db, std::string_view key, const CompositeRef& zset, const ZRangeSpec& spec,
                  const std::function<bool(std::string_view, double)>& fn);
  // The last `k` members in score order (lowest first), found from the high end: see zsets.cc.
  Status ZSetTail(int db, std::string_view key, const CompositeRef& zset, uint64_t k,
                  std::vector<ScoredMember>* out);
  // The members `spec` selects in the order it asks, LIMIT applied when `limit`.
  Status ZSetSelect(int db, std::string_view key, const CompositeRef& zset, const ZRangeSpec& spec,
                    bool limit, std::vector<ScoredMember>* out);
  // The cached entry of `zset` (its pop hints and rank index: collection_cache.h), nullptr when
  // none is cached.
  CollectionEntry* PopHints(int db, std::string_view key, const CompositeRef& zset);
  // The cache entry of `zset` with its rank index state known (kLoaded or kAbsent): read from the
  // bucket sub-keys when not cached; with `build`, built first (a write of its own) when the set
  // has index_limits_.build_at members and no index (if that write fails it stays kAbsent).
  Status LoadRankIndex(int db, std::string_view key, const CompositeRef& zset, bool build,
                       CollectionEntry** entry);
  // The loaded rank index a write of the existing `zset` must keep up to date (nullptr: none). A
  // set below build_at / 2 members never has one (AddIndexChanges drops it there).
  Status IndexForWrite(int db, std::string_view key, const CompositeRef& zset,
                       CollectionEntry** entry);
  // Writes the rank index of a sorted set that has none, from one walk of its score order.
  Status BuildRankIndex(int db, std::string_view key, const CompositeRef& zset,
                        CollectionEntry* entry);
  // After a write of `zset` (its metadata as written) that added `deltas` (bucket -> member count
  // change) to the bucket counts in its batch: the counts go into the cached index, then buckets
  // grown past split_above are split and those shrunk below merge_below merged (one write of its
  // own), or the index is built when the set has none and has reached build_at. Failures leave a
  // valid index (only less balanced) and are logged.
  void AfterZSetWrite(int db, std::string_view key, const CompositeRef& zset,
                      CollectionEntry* entry, const std::map<size_t, int64_t>& deltas);
  // Splits the buckets of *next named in `touched` that hold more than split_above members at
  // their middle member (read from the engine: the bucket's sub-keys start with `scan_prefix`,
  // its bound follows; none is live before `floor`), and merges those below merge_below into a
  // neighbour when the two fit, from the highest down. `changed(bound, count)` is told each
  // bucket written (count -1: removed). False when a bucket holds fewer members than counted.
  bool RebalanceBuckets(const std::string& scan_prefix, const std::string& floor,
                        const std::map<size_t, int64_t>& touched, RankIndex* next,
                        const std::function<void(std::string_view, int64_t)>& changed);
  // Calls `fn(element, value)` for the sub-keys at the ascending ranks `positions` (repeats
  // allowed) among those that start with `scan_prefix`, found through `index` (bounds relative to
  // the prefix; nothing live before `floor`): one seek per bucket touched, O(bucket) reads each.
  Status ElementsAt(const std::string& scan_prefix, const std::string& floor,
                    const RankIndex& index, const std::vector<uint64_t>& positions,
                    const std::function<void(std::string_view, std::string_view)>& fn);
  // The rank of the first member at or after score position `position` (ordered score + member:
  // zsets.cc), counted with the loaded index of `entry`.
  Status RankOfPosition(int db, std::string_view key, const CompositeRef& zset,
                        const CollectionEntry& entry, std::string_view position, uint64_t* rank);
  // With a rank index (*indexed; built first when due): *low is the rank of the first member of
  // the score interval [min, max] and *high one past its last (the number of members up to max).
  Status ScoreIntervalRanks(int db, std::string_view key, const CompositeRef& zset,
                            const ScoreBound& min, const ScoreBound& max, bool* indexed,
                            uint64_t* low, uint64_t* high);
  // Marks the sorted set large when it outgrows Redis's listpack limits.
  void NoteZSetWrite(CompositeRef* zset, std::string_view member) const;

  // --- streams (streams.cc) ---
  Status LoadStream(int db, std::string_view key, CompositeRef* stream) {
    return LoadComposite(db, key, ValueType::kStream, stream);
  }
  // The stream and the record of `group` (its sub-key in *group_key): kNoKey / kNoGroup.
  Status LoadStreamGroup(int db, std::string_view key, std::string_view group, CompositeRef* stream,
                         StreamGroup* out, std::string* prefix, StreamGroupStatus* status);
  // The first entry with an ID >= `from` (*found false when none).
  Status StreamSeekEntry(const std::string& prefix, StreamId from, bool reverse, StreamId* id,
                         bool* found);
  // Claims the pending entry `pending` (its record, existing or new) for `consumer`: moves the
  // consumers' counts (in `consumers`, written at the end) and puts the record into `batch`.
  Status StreamReassign(const std::string& prefix, std::string_view group,
                        std::string_view consumer, StreamPending* pending, bool existed,
                        std::map<std::string, StreamConsumer>* consumers,
                        storage::WriteBatch* batch);
  // DUMP's read of a whole stream, and RESTORE's write of one (replacing whatever `key` holds,
  // with deadline `expire_ms`, 0: none) in one batch.
  Status StreamReadAll(int db, std::string_view key, DumpedStream* out);
  Status StreamStore(int db, std::string_view key, const DumpedStream& stream, uint64_t expire_ms);
  Status StreamLoadConsumer(const std::string& prefix, std::string_view group,
                            std::string_view consumer, std::map<std::string, StreamConsumer>* map,
                            bool create, bool* exists);

  Status Apply(const storage::WriteBatch& batch);
  // Adds to `batch` the emptying of database `db`: its keys, its index entries, its counts.
  void AddFlushOf(int db, storage::WriteBatch* batch) const;
  // The database map (format.h): decodes `value` into *map (logical -> physical, non-identity
  // entries only); false when it is malformed or not a permutation.
  static bool DecodeDatabaseMap(std::string_view value, std::vector<std::pair<int, int>>* map);
  // Addressing through the database map. Inside Keyspace these shadow format.h's functions of
  // the same names, so every operation given a logical `db` touches its physical group.
  void MakeDataKey(int db, std::string_view key, std::string* dst) const {
    keyspace::MakeDataKey(PhysicalDb(db), key, dst);
  }
  void MakeExpiryKey(int db, uint64_t deadline_ms, std::string_view key, std::string* dst) const {
    keyspace::MakeExpiryKey(PhysicalDb(db), deadline_ms, key, dst);
  }
  void MakeSubKeyPrefix(int db, std::string_view key, uint64_t version, std::string* dst) const {
    keyspace::MakeSubKeyPrefix(PhysicalDb(db), key, version, dst);
  }
  void MakeListKey(int db, std::string_view key, uint64_t version, uint64_t index,
                   std::string* dst) const {
    keyspace::MakeListKey(PhysicalDb(db), key, version, index, dst);
  }
  uint32_t KeyCountCounter(int db) const { return keyspace::KeyCountCounter(PhysicalDb(db)); }
  uint32_t ExpiresCounter(int db) const { return keyspace::ExpiresCounter(PhysicalDb(db)); }
  uint32_t DeadlineSumCounter(int db) const { return keyspace::DeadlineSumCounter(PhysicalDb(db)); }
  // InvalidArgument unless 0 <= db < databases.
  Status CheckDb(int db) const;
  // Adds to `batch` the deletion of `key` if its deadline is still `deadline` (an index entry the
  // cycle found due; *deleted), or else of the stale index entry alone.
  Status AddExpiryOf(int db, uint64_t deadline, std::string_view key, storage::WriteBatch* batch,
                     bool* deleted);

  // Index entries handled per batch of the expiry cycle, and how often (in cycles) it scans a
  // database's index from its start rather than from its cursor.
  static constexpr size_t kExpiryChunk = 1024;
  static constexpr uint64_t kFullExpiryScanInterval = 100;
  void Modified(int db, std::string_view key);

  storage::Db* const db_;
  const int databases_;
  KeyspaceObserver* observer_ = nullptr;
  bool expiry_paused_ = false;
  std::function<uint64_t()> clock_;
  KeyspaceStats stats_;
  EncodingLimits limits_;
  ZSetIndexLimits index_limits_;
  int atomic_depth_ = 0;
  std::vector<uint64_t> expire_cursor_;  // per database: deadlines below are dealt with
  // The database map: physical_[logical db] for the configured databases, and every
  // non-identity entry (also of databases beyond them, from a run with more).
  std::vector<uint16_t> physical_;
  std::vector<std::pair<int, int>> remapped_;
  std::mt19937_64 random_{std::random_device{}()};  // RANDOMKEY
  uint64_t last_version_ = 0;                       // the highest composite version handed out
  CollectionCache collections_;                     // pop hints and rank indexes (zsets.cc)

  // Scratch (one thread).
  std::string key_;
  std::string index_key_;
  std::string header_;
  storage::WriteBatch batch_;
};

// The status of an operation on a key holding another type; commands reply Redis's WRONGTYPE.
Status WrongType();
bool IsWrongType(const Status& status);
inline constexpr std::string_view kWrongTypeError =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// Redis's name of a type (TYPE, SCAN TYPE).
std::string_view TypeName(ValueType type);

}  // namespace shale::keyspace
