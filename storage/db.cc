// Db: the sharded facade (db.h).
//
// Data directory layout:
//
//   <dir>/LOCK         flock'ed by the open Db: a second server on the same directory fails
//   <dir>/SHARDS       the shard count, written once at the first open, after the shard
//                      directories; validated at every open (format and rules: shards_file.h).
//                      Keys are routed by this count, so a later open must use the same one.
//   <dir>/shard-NNN/   one directory per shard (shard.h), NNN the shard index, 3+ digits
//
// Ownership: Db owns the block cache shared by the shards' tables; it outlives the shards.
//
// Atomic writes across shards. Every shard has its own WAL and its own sequence numbers, so a
// batch spanning shards is several WAL records. The protocol that makes it all-or-nothing
// across a crash, without a coordinating log and without any cost for single-shard batches:
//   1. Write: each involved shard applies its part (readers on the writer's thread see the
//      whole batch at once) and collects it; EndAtomic appends to each part a kParticipants
//      entry (write_batch.h) naming every part by (shard, first sequence, count), and each
//      shard logs its part as one record. Commit writes and (appendfsync always) fsyncs them,
//      every shard before any reply.
//   2. Flush: a memtable holding a part is switched (and so may reach a table) only after the
//      other parts' shards have written and fsynced their WALs (Impl::SwitchShard). A table
//      therefore never holds a part whose siblings a power loss can still take away.
//   3. Open, phase 1: every shard lists the parts in its WAL files beyond its tables
//      (Shard::CollectParts, read-only) and the sequence up to which its writes are in tables.
//   4. Open, phase 2: a part is applied only when every part it names is in its shard's list or
//      below that shard's table sequence; otherwise it is left out (its sequences stay used, so
//      the shard's later records follow without a gap). A torn or lost part elsewhere thus
//      removes the whole batch, in every shard.
//   5. A shard that left a part out flushes at once (an empty flush suffices): the WAL file
//      holding the part becomes obsolete before anything new is written, so the part can never
//      look complete later, when the shard that lost its part reuses those sequences.
// MULTI/EXEC uses the same path (BeginAtomic/EndAtomic around its commands).
#include "storage/db.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <span>
#include <thread>
#include <utility>

#include "storage/block_cache.h"
#include "storage/filename.h"
#include "storage/mutex.h"
#include "storage/parallel_runner.h"
#include "storage/shard.h"
#include "storage/shards_file.h"
#include "storage/thread_annotations.h"

namespace shale::storage {

namespace {

constexpr int kMaxSyncThreads = 16;
std::string ShardDir(const std::string& dir, int index) {
  return JoinPath(dir, ShardDirName(index));
}

// The live entries of several shards merged in key order. Keys are unique across shards (a key
// lives in one shard), so the smallest current key of the children is the next one.
class ShardMergingIterator final : public Iterator {
 public:
  explicit ShardMergingIterator(std::vector<std::unique_ptr<Iterator>> children)
      : children_(std::move(children)) {}

  bool Valid() const override { return current_ != nullptr && status_.ok(); }
  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    FindSmallest();
  }
  void Seek(std::string_view key) override {
    for (auto& child : children_) child->Seek(key);
    FindSmallest();
  }
  void Next() override {
    current_->Next();
    FindSmallest();
  }
  std::string_view key() const override { return current_->key(); }
  std::string_view value() const override { return current_->value(); }
  Status status() const override { return status_; }

 private:
  void FindSmallest() {
    current_ = nullptr;
    for (auto& child : children_) {
      if (!child->status().ok()) {
        status_ = child->status();
        return;
      }
      if (child->Valid() && (current_ == nullptr || child->key() < current_->key())) {
        current_ = child.get();
      }
    }
  }

  std::vector<std::unique_ptr<Iterator>> children_;
  Iterator* current_ = nullptr;
  Status status_;
};

// Routes the entries of a batch to shards (write_batch.h's routing rules).
class BatchSplitter final : public WriteBatch::Handler {
 public:
  BatchSplitter(const Db& db, std::vector<WriteBatch>* parts, std::vector<char>* touched)
      : db_(db), parts_(*parts), touched_(*touched) {}

  void Put(uint64_t, std::string_view key, std::string_view value) override {
    last_ = Touch(db_.ShardOf(key));
    parts_[last_].Put(key, value);
  }
  void Delete(uint64_t, std::string_view key) override {
    last_ = Touch(db_.ShardOf(key));
    parts_[last_].Delete(key);
  }
  void DropGroup(uint64_t, uint16_t group) override {
    for (size_t i = 0; i < parts_.size(); ++i) parts_[Touch(static_cast<int>(i))].DropGroup(group);
  }
  void AddCounter(uint32_t counter, int64_t delta) override {
    parts_[last_].AddCounter(counter, delta);
  }
  void SetCounter(uint32_t counter, int64_t value) override {
    for (size_t i = 0; i < parts_.size(); ++i) {
      parts_[Touch(static_cast<int>(i))].SetCounter(counter, value);
    }
  }

 private:
  size_t Touch(int shard) {
    touched_[static_cast<size_t>(shard)] = 1;
    return static_cast<size_t>(shard);
  }

  const Db& db_;
  std::vector<WriteBatch>& parts_;
  std::vector<char>& touched_;
  size_t last_ = 0;
};

}  // namespace

struct Db::Impl {
  Options options;
  FileSystem* fs = nullptr;
  std::unique_ptr<FileLock> lock;
  std::unique_ptr<BlockCache> block_cache;          // declared before shards: destroyed after them
  std::unique_ptr<RateLimiter> compaction_limiter;  // shared by the shards; outlives them
  std::vector<std::unique_ptr<Shard>> shards;
  std::atomic<FsyncPolicy> policy{FsyncPolicy::kEverySec};
  std::unique_ptr<ParallelRunner> runner;

  std::atomic<uint64_t> commits{0};
  uint64_t recovered_records = 0;
  uint64_t recovery_truncated_bytes = 0;

  // Scratch of the event-loop thread (Commit, SyncAll, multi-shard writes).
  std::vector<WriteBatch> parts;
  std::vector<char> touched;
  int atomic_depth = 0;  // BeginAtomic nesting
  std::vector<TxnParticipant> txn_parts;
  std::vector<std::unique_ptr<Snapshot>> snapshots;  // live ones (GetSnapshot)
  std::vector<size_t> to_sync GUARDED_BY(sync_scratch_mu);
  std::vector<Status> sync_results GUARDED_BY(sync_scratch_mu);
  Mutex sync_scratch_mu;  // Commit/SyncAll may come from the destructor's thread too

  // Maintenance thread.
  Mutex bg_mu;
  std::condition_variable bg_cv;
  bool bg_stop GUARDED_BY(bg_mu) = false;
  std::thread bg_thread;  // started by Open, joined by the destructor

  // Switches shard i's memtable (shard.h). A memtable holding parts of atomic writes across
  // shards may reach a table only once the other parts are durable too (db.cc's protocol):
  // their shards' WALs are fsynced first (under appendfsync=no, written is all that is
  // promised).
  Status SwitchShard(size_t i, FsyncPolicy policy, bool force = false) {
    for (uint32_t peer : shards[i]->AtomicPeers()) {
      if (peer >= shards.size()) continue;
      bool wrote = false;
      Status s = shards[peer]->WritePending(policy, &wrote, /*allow_switch=*/false);
      if (s.ok() && policy != FsyncPolicy::kNo) s = shards[peer]->SyncWal();
      if (!s.ok()) return s;
    }
    return shards[i]->SwitchMemTable(policy, force);
  }

  // fsyncs every shard listed in to_sync in parallel.
  Status SyncListed() REQUIRES(sync_scratch_mu) {
    sync_results.assign(to_sync.size(), Status::Ok());
    // The runner's threads read the list and each write their own result without the lock:
    // this thread holds it, and RunAll returns only once they are done.
    const std::span<const size_t> listed(to_sync);
    const std::span<Status> results(sync_results);
    Impl* self = this;
    runner->RunAll(listed.size(), [self, listed, results](size_t i) {
      results[i] = self->shards[listed[i]]->SyncWal();
    });
    for (const Status& s : sync_results) {
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
};

Db::Db() : impl_(std::make_unique<Impl>()) {}

Status Db::Open(const Options& options, std::unique_ptr<Db>* db) {
  if (options.dir.empty()) return Status::InvalidArgument("no data directory given");
  if (options.shards < 0 || options.shards > kMaxShards) {
    return Status::InvalidArgument("shards must be between 0 and " + std::to_string(kMaxShards));
  }
  const CompactionOptions& c = options.compaction;
  if (!(c.bucket_low > 0 && c.bucket_low <= 1 && c.bucket_high >= 1)) {
    return Status::InvalidArgument("compaction buckets need 0 < bucket_low <= 1 <= bucket_high");
  }
  if (c.min_threshold < 2 || c.max_threshold < c.min_threshold) {
    return Status::InvalidArgument(
        "compaction thresholds need 2 <= min_threshold <= max_threshold");
  }
  std::unique_ptr<Db> result(new Db());
  Impl* impl = result->impl_.get();
  impl->options = options;
  impl->fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  impl->policy.store(options.fsync);
  FileSystem* fs = impl->fs;

  impl->block_cache = std::make_unique<BlockCache>(options.block_cache_size);
  impl->compaction_limiter =
      std::make_unique<RateLimiter>(options.compaction.throughput_bytes_per_sec);
  Status s = fs->CreateDir(options.dir);
  if (s.ok()) s = fs->LockFile(JoinPath(options.dir, kLockFileName), &impl->lock);
  int shard_count = 0;
  if (s.ok()) s = ResolveShardLayout(fs, options.dir, options.shards, &shard_count);
  if (!s.ok()) return s;

  // The shards recover in parallel (each replays its manifest and WAL files and writes a new
  // manifest); the first failure, in shard order, fails the open.
  impl->runner = std::make_unique<ParallelRunner>(std::min(shard_count, kMaxSyncThreads) - 1);
  auto shard_options_of = [&](size_t i) {
    ShardOptions shard_options;
    shard_options.fs = fs;
    shard_options.dir = ShardDir(options.dir, static_cast<int>(i));
    shard_options.index = static_cast<uint32_t>(i);
    shard_options.wal_recovery_mode = options.wal_recovery_mode;
    shard_options.compaction_filter = options.compaction_filter.get();
    shard_options.memtable_size = options.memtable_size;
    shard_options.table = options.table;
    shard_options.block_cache = impl->block_cache.get();
    shard_options.compaction = options.compaction;
    shard_options.compaction_limiter = impl->compaction_limiter.get();
    shard_options.wait_on_back_pressure = options.wait_on_back_pressure;
    shard_options.shard_count = shard_count;
    return shard_options;
  };
  const auto n = static_cast<size_t>(shard_count);
  std::vector<Status> results(n);

  // Atomic writes across shards, phase 1: which parts does each shard's WAL hold?
  std::vector<std::vector<CollectedPart>> collected(n);
  std::vector<uint64_t> table_sequences(n, 0);
  impl->runner->RunAll(n, [&](size_t i) {
    results[i] = Shard::CollectParts(shard_options_of(i), &collected[i], &table_sequences[i]);
  });
  for (const Status& result_status : results) {
    if (!result_status.ok()) return result_status;
  }
  // A part may be applied when every part it names is durable: in its shard's WAL files, or
  // below the sequence up to which that shard's writes are in tables.
  auto complete = [&](uint32_t self, uint64_t first, const std::vector<TxnParticipant>& parts) {
    for (const TxnParticipant& part : parts) {
      if (part.shard == self) {
        if (part.first_sequence != first) return false;
        continue;
      }
      if (part.shard >= n) return false;
      if (part.first_sequence + part.count - 1 <= table_sequences[part.shard]) continue;
      const auto& held = collected[part.shard];
      const bool present = std::any_of(held.begin(), held.end(), [&](const CollectedPart& c) {
        return c.first_sequence == part.first_sequence && c.parts == parts;
      });
      if (!present) return false;
    }
    return true;
  };

  // Phase 2: open, leaving out every part of an atomic write that is not complete.
  std::vector<std::unique_ptr<Shard>> opened(n);
  std::vector<WalRecoveryResult> recoveries(n);
  impl->runner->RunAll(n, [&](size_t i) {
    ShardOptions shard_options = shard_options_of(i);
    if (!collected[i].empty()) {
      const auto self = static_cast<uint32_t>(i);
      shard_options.part_complete = [&complete, self](uint64_t first,
                                                      const std::vector<TxnParticipant>& parts) {
        return complete(self, first, parts);
      };
    }
    results[i] = Shard::Open(shard_options, &opened[i], &recoveries[i]);
  });
  for (const Status& result_status : results) {
    if (!result_status.ok()) return result_status;
  }
  for (size_t i = 0; i < opened.size(); ++i) {
    impl->recovered_records += recoveries[i].records;
    impl->recovery_truncated_bytes += recoveries[i].truncated_bytes;
    impl->shards.push_back(std::move(opened[i]));
  }
  // A part left out is still in its WAL file; once the shard whose part is missing writes
  // again, its sequences are reused and the part could look complete at a later open. So the
  // shard that left it out flushes now (an empty flush is enough), which makes that WAL file
  // obsolete, before anything is written.
  for (size_t i = 0; i < n; ++i) {
    if (impl->shards[i]->discarded_parts() == 0) continue;
    s = impl->shards[i]->SwitchMemTable(options.fsync, /*force=*/true);
    if (s.ok()) s = impl->shards[i]->WaitForFlushes();
    if (!s.ok()) return s;
  }
  s = fs->SyncDir(options.dir);  // the shard directories
  if (!s.ok()) return s;

  impl->parts.resize(static_cast<size_t>(shard_count));
  impl->touched.resize(static_cast<size_t>(shard_count));
  if (options.background_maintenance) {
    impl->bg_thread = std::thread([impl, db = result.get()] {
      MutexLock lock(&impl->bg_mu);
      while (!impl->bg_stop) {
        impl->bg_cv.wait_for(lock.unique(), std::chrono::seconds(1));
        if (impl->bg_stop) break;
        lock.Unlock();
        const Status s = db->RunMaintenance();
        if (!s.ok()) spdlog::debug("storage: maintenance round: {}", s.ToString());  // logged
        lock.Lock();
      }
    });
  }
  spdlog::info("storage: opened {} with {} shards ({} WAL records replayed)", options.dir,
               shard_count, impl->recovered_records);
  *db = std::move(result);
  return Status::Ok();
}

Status VerifyDataDirectory(const Options& options, std::vector<ShardFileFinding>* findings) {
  FileSystem* fs = options.fs != nullptr ? options.fs : DefaultFileSystem();
  const std::string shards_path = JoinPath(options.dir, kShardsFileName);
  int shard_count = 0;
  Status s = ReadShardLayout(fs, options.dir, &shard_count);
  if (!s.ok()) {
    findings->push_back({shards_path, s, ""});
    return s;
  }
  if (shard_count == 0) {
    return Status::NotFound(options.dir +
                            ": not a data directory (no SHARDS file and no shard data); "
                            "the server would start it empty");
  }
  findings->push_back({shards_path, Status::Ok(), std::to_string(shard_count) + " shard(s)"});
  if (options.shards != 0 && options.shards != shard_count) {
    s = Status::InvalidArgument("data directory " + options.dir + " was created with " +
                                std::to_string(shard_count) + " shards but shards is set to " +
                                std::to_string(options.shards));
    findings->push_back({options.dir, s, ""});
  }
  Status first = s;
  for (int i = 0; i < shard_count; ++i) {
    ShardOptions shard_options;
    shard_options.fs = fs;
    shard_options.dir = ShardDir(options.dir, i);
    shard_options.index = static_cast<uint32_t>(i);
    shard_options.wal_recovery_mode = options.wal_recovery_mode;
    shard_options.table = options.table;
    shard_options.shard_count = shard_count;
    if (!fs->FileExists(shard_options.dir)) continue;  // an empty first open; Open creates it
    s = Shard::Verify(shard_options, findings);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Db::~Db() {
  if (impl_->bg_thread.joinable()) {
    {
      MutexLock lock(&impl_->bg_mu);
      impl_->bg_stop = true;
    }
    impl_->bg_cv.notify_all();
    impl_->bg_thread.join();
  }
  if (impl_->runner != nullptr) {
    Status s = SyncAll();
    if (!s.ok()) {
      spdlog::error("storage: closing with unwritten WAL records: {}", s.ToString());
    }
  }
  // Stops every shard's worker at once (each abandons the flush or compaction it is doing),
  // then joins them, while the cache lives.
  for (auto& shard : impl_->shards) shard->BeginStop();
  impl_->shards.clear();
}

int Db::shard_count() const { return static_cast<int>(impl_->shards.size()); }
const CompactionFilter* Db::compaction_filter() const {
  return impl_->options.compaction_filter.get();
}
int Db::ShardOf(std::string_view key) const {
  return ShardOfRoutingKey(impl_->options.router ? impl_->options.router(key) : key);
}

int Db::ShardOfRoutingKey(std::string_view routing_key) const {
  return static_cast<int>(KeySlot(routing_key) % impl_->shards.size());
}

Status Db::Get(const ReadOptions& options, std::string_view key, std::string* value) {
  bool found = false;
  const auto shard = static_cast<size_t>(ShardOf(key));
  const uint64_t at =
      options.snapshot != nullptr ? options.snapshot->sequences()[shard] : kMaxSequence;
  Status s = impl_->shards[shard]->Get(key, value, &found, at);
  if (s.ok() && !found) return Status::NotFound();
  return s;
}

Status Db::Write(const WriteBatch& batch) {
  if (batch.empty()) return Status::Ok();
  std::vector<WriteBatch>& parts = impl_->parts;
  std::vector<char>& touched = impl_->touched;
  for (auto& part : parts) part.Clear();
  std::fill(touched.begin(), touched.end(), 0);
  BatchSplitter splitter(*this, &parts, &touched);
  Status s = WriteBatch::Iterate(batch.payload(), &splitter);
  if (!s.ok()) return s;
  // Refuse before applying anything when a shard involved cannot take writes.
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!touched[i]) continue;
    s = impl_->shards[i]->WriteState();
    if (!s.ok()) return s;
  }
  if (std::count(touched.begin(), touched.end(), 1) == 1) {
    const size_t only =
        static_cast<size_t>(std::find(touched.begin(), touched.end(), 1) - touched.begin());
    return impl_->shards[only]->Write(&parts[only]);
  }
  BeginAtomic();
  Status first;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!touched[i]) continue;
    s = impl_->shards[i]->Write(&parts[i]);
    if (!s.ok() && first.ok()) first = s;
  }
  s = EndAtomic();
  return first.ok() ? s : first;
}

void Db::BeginAtomic() {
  if (impl_->atomic_depth++ > 0) return;
  for (auto& shard : impl_->shards) shard->BeginAtomic();
}

Status Db::EndAtomic() {
  if (impl_->atomic_depth == 0 || --impl_->atomic_depth > 0) return Status::Ok();
  std::vector<TxnParticipant>& parts = impl_->txn_parts;
  parts.clear();
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    TxnParticipant part;
    part.shard = static_cast<uint32_t>(i);
    if (impl_->shards[i]->AtomicPending(&part.first_sequence, &part.count)) parts.push_back(part);
  }
  // One shard: its record alone is atomic. Several: each record names all of them.
  const std::vector<TxnParticipant>* named = parts.size() > 1 ? &parts : nullptr;
  for (auto& shard : impl_->shards) shard->EndAtomic(named);
  return Status::Ok();
}

Status Db::Put(std::string_view key, std::string_view value_prefix, std::string_view value,
               std::span<const CounterDelta> counters) {
  return impl_->shards[static_cast<size_t>(ShardOf(key))]->Put(key, value_prefix, value, counters);
}

std::map<uint32_t, int64_t> Db::Counters() const {
  std::map<uint32_t, int64_t> total;
  for (const auto& shard : impl_->shards) {
    for (const auto& [counter, value] : shard->Counters()) total[counter] += value;
  }
  std::erase_if(total, [](const auto& entry) { return entry.second == 0; });
  return total;
}

int64_t Db::Counter(uint32_t counter) const {
  int64_t total = 0;
  for (const auto& shard : impl_->shards) total += shard->Counter(counter);
  return total;
}

const Snapshot* Db::GetSnapshot() {
  auto snapshot = std::make_unique<Snapshot>();
  for (auto& shard : impl_->shards) snapshot->sequences_.push_back(shard->AcquireSnapshot());
  const Snapshot* handle = snapshot.get();
  impl_->snapshots.push_back(std::move(snapshot));
  return handle;
}

void Db::ReleaseSnapshot(const Snapshot* snapshot) {
  auto it = std::find_if(impl_->snapshots.begin(), impl_->snapshots.end(),
                         [snapshot](const auto& s) { return s.get() == snapshot; });
  if (it == impl_->snapshots.end()) return;
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    impl_->shards[i]->ReleaseSnapshot(snapshot->sequences_[i]);
  }
  impl_->snapshots.erase(it);
}

Status Db::NewIterator(const ReadOptions& options, std::unique_ptr<Iterator>* iterator) {
  const auto sequence_of = [&options](size_t shard) {
    return options.snapshot != nullptr ? options.snapshot->sequences()[shard] : kMaxSequence;
  };
  if (!options.shard_key.empty()) {
    const auto shard = static_cast<size_t>(ShardOf(options.shard_key));
    return impl_->shards[shard]->NewIterator(iterator, sequence_of(shard), options.upper_bound);
  }
  std::vector<std::unique_ptr<Iterator>> children;
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    std::unique_ptr<Iterator> child;
    Status s = impl_->shards[i]->NewIterator(&child, sequence_of(i), options.upper_bound);
    if (!s.ok()) return s;
    children.push_back(std::move(child));
  }
  *iterator = std::make_unique<ShardMergingIterator>(std::move(children));
  return Status::Ok();
}

Status Db::Commit() {
  const FsyncPolicy policy = impl_->policy.load(std::memory_order_relaxed);
  MutexLock lock(&impl_->sync_scratch_mu);
  Status first;
  bool any = false;
  impl_->to_sync.clear();
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    bool wrote = false;
    // Memtable switches come after every shard's records are written (and synced): below.
    Status s = impl_->shards[i]->WritePending(policy, &wrote, /*allow_switch=*/false);
    any = any || wrote;
    if (!s.ok()) {
      if (first.ok()) first = s;
      continue;
    }
    if (policy == FsyncPolicy::kAlways && impl_->shards[i]->HasUnsynced()) {
      impl_->to_sync.push_back(i);
    }
  }
  if (!impl_->to_sync.empty()) {
    Status s = impl_->SyncListed();
    if (!s.ok() && first.ok()) first = s;
  }
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    if (!impl_->shards[i]->SwitchDue()) continue;
    Status s = impl_->SwitchShard(i, policy);
    // Only a failed fsync concerns this commit's writes; a switch that cannot start its new WAL
    // file, or waits for a failed peer, is tried again by the next commit.
    if (!s.ok() && impl_->shards[i]->failed() && first.ok()) first = s;
  }
  if (any) impl_->commits.fetch_add(1, std::memory_order_relaxed);
  return first;
}

Status Db::SyncAll() {
  Status first = RetryFailedWrites();
  MutexLock lock(&impl_->sync_scratch_mu);
  impl_->to_sync.clear();
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    bool wrote = false;
    // No memtable switch here: this is also the closing path.
    Status s = impl_->shards[i]->WritePending(FsyncPolicy::kAlways, &wrote, /*allow_switch=*/false);
    if (!s.ok()) {
      if (first.ok()) first = s;
      continue;
    }
    if (impl_->shards[i]->HasUnsynced()) impl_->to_sync.push_back(i);
  }
  if (!impl_->to_sync.empty()) {
    Status s = impl_->SyncListed();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Db::WriteState() const {
  for (const auto& shard : impl_->shards) {
    Status s = shard->WriteState();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status Db::CheckWriteRoom(const std::vector<std::string_view>& keys, WriteRoom* room,
                          int* shard) const {
  *room = WriteRoom::kOpen;
  *shard = 0;
  auto check = [&](int index) {
    WriteRoom here = WriteRoom::kOpen;
    Status s = impl_->shards[static_cast<size_t>(index)]->CheckWriteRoom(&here);
    if (s.ok() && static_cast<int>(here) > static_cast<int>(*room)) {
      *room = here;
      *shard = index;
    }
    return s;
  };
  if (keys.empty()) {
    for (int i = 0; i < shard_count(); ++i) {
      Status s = check(i);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  if (keys.size() == 1) return check(ShardOfRoutingKey(keys[0]));
  std::vector<bool> checked(impl_->shards.size());
  for (std::string_view key : keys) {
    const int index = ShardOfRoutingKey(key);
    if (checked[static_cast<size_t>(index)]) continue;
    checked[static_cast<size_t>(index)] = true;
    Status s = check(index);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

void Db::RecordStall(int shard, WriteRoom room, uint64_t micros) {
  impl_->shards[static_cast<size_t>(shard)]->RecordStall(room, micros);
}

Status Db::RetryFailedWrites() {
  Status first;
  for (auto& shard : impl_->shards) {
    if (!shard->failed()) continue;
    Status s = shard->RetryFailedWrites();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Db::RunMaintenance() {
  Status first;
  if (impl_->policy.load(std::memory_order_relaxed) == FsyncPolicy::kEverySec) {
    for (auto& shard : impl_->shards) {
      if (!shard->HasUnsynced()) continue;
      Status s = shard->SyncWal();
      if (!s.ok() && first.ok()) first = s;
    }
  }
  Status s = RetryFailedWrites();
  if (!s.ok() && first.ok()) first = s;
  return first;
}

void Db::set_fsync_policy(FsyncPolicy policy) { impl_->policy.store(policy); }
FsyncPolicy Db::fsync_policy() const { return impl_->policy.load(); }

Status Db::FlushMemTables() {
  const FsyncPolicy policy = impl_->policy.load(std::memory_order_relaxed);
  Status first;
  for (size_t i = 0; i < impl_->shards.size(); ++i) {
    Status s = impl_->SwitchShard(i, policy);
    if (!s.ok() && first.ok()) first = s;
  }
  Status s = WaitForFlushes();
  if (!s.ok() && first.ok()) first = s;
  return first;
}

Status Db::WaitForFlushes() {
  Status first;
  for (auto& shard : impl_->shards) {
    Status s = shard->WaitForFlushes();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

Status Db::SetBlockCacheSize(size_t bytes) {
  impl_->block_cache->SetCapacity(bytes);
  return Status::Ok();
}

Status Db::CompactAll() {
  for (auto& shard : impl_->shards) shard->CompactAll();
  return Status::Ok();
}

bool Db::CompactionRunning() const {
  for (const auto& shard : impl_->shards) {
    if (shard->CompactionRunning()) return true;
  }
  return false;
}

Status Db::SetCompactionThroughput(uint64_t bytes_per_sec) {
  impl_->compaction_limiter->SetRate(bytes_per_sec);
  return Status::Ok();
}

uint64_t Db::BlockCacheMisses() const { return impl_->block_cache->misses(); }

DbStats Db::Stats() const {
  DbStats stats;
  for (const auto& shard : impl_->shards) {
    stats.shards.push_back(shard->Stats());
    stats.fsyncs += stats.shards.back().fsyncs;
  }
  stats.commits = impl_->commits.load(std::memory_order_relaxed);
  stats.recovered_records = impl_->recovered_records;
  stats.recovery_truncated_bytes = impl_->recovery_truncated_bytes;
  const BlockCache& cache = *impl_->block_cache;
  stats.block_cache_capacity = cache.capacity();
  stats.block_cache_usage = cache.usage();
  stats.block_cache_hits = cache.hits();
  stats.block_cache_misses = cache.misses();
  uint64_t written = 0;
  for (const ShardStats& shard : stats.shards) {
    stats.user_bytes_written += shard.user_bytes_written;
    written += shard.wal_bytes_written + shard.flush_bytes_written + shard.compaction_bytes_written;
  }
  if (stats.user_bytes_written > 0) {
    stats.write_amplification =
        static_cast<double>(written) / static_cast<double>(stats.user_bytes_written);
  }
  return stats;
}

}  // namespace shale::storage
