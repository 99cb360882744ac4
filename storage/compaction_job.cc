#include "storage/compaction_job.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <utility>

#include "storage/key_format.h"
#include "storage/merging_iterator.h"
#include "storage/table_file.h"
#include "storage/version_set.h"

namespace shale::storage {

namespace {

constexpr std::chrono::milliseconds kMaxPacingSleep{100};

// Paces the bytes appended to `target`.
class PacedFile final : public WritableFile {
 public:
  PacedFile(WritableFile* target, RateLimiter* limiter, const std::atomic<bool>* cancel)
      : target_(target), limiter_(limiter), cancel_(cancel) {}
  Status Append(std::string_view data) override {
    if (limiter_ != nullptr) limiter_->Request(data.size(), cancel_);
    return target_->Append(data);
  }
  Status Sync() override { return target_->Sync(); }
  Status Close() override { return target_->Close(); }
  uint64_t Size() const override { return target_->Size(); }

 private:
  WritableFile* const target_;
  RateLimiter* const limiter_;
  const std::atomic<bool>* const cancel_;
};

}  // namespace

RateLimiter::RateLimiter(uint64_t bytes_per_sec)
    : rate_(bytes_per_sec), last_(std::chrono::steady_clock::now()) {}

void RateLimiter::SetRate(uint64_t bytes_per_sec) {
  rate_.store(bytes_per_sec, std::memory_order_relaxed);
}

void RateLimiter::Request(uint64_t bytes, const std::atomic<bool>* cancel) {
  MutexLock lock(&mu_);
  bool charged = false;
  while (true) {
    const uint64_t rate = rate_.load(std::memory_order_relaxed);
    const auto now = std::chrono::steady_clock::now();
    if (rate == 0) {
      available_ = 0;
      last_ = now;
      return;
    }
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    const double burst = static_cast<double>(rate) / 10;
    available_ = std::min(burst, available_ + seconds * static_cast<double>(rate));
    if (!charged) {
      available_ -= static_cast<double>(bytes);
      charged = true;
    }
    if (available_ >= 0) return;
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return;
    const auto wait = std::min<std::chrono::nanoseconds>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::duration<double>(-available_ / static_cast<double>(rate))),
        kMaxPacingSleep);
    lock.Unlock();
    std::this_thread::sleep_for(wait);
    lock.Lock();
  }
}

Status RunCompaction(FileSystem* fs, const std::string& dir, uint64_t number,
                     const TableOptions& options, BlockCache* cache, const CompactionInput& input,
                     CompactionOutput* output) {
  *output = CompactionOutput();
  std::vector<std::shared_ptr<const Table>> tables;
  std::vector<std::unique_ptr<Iterator>> children;
  for (const auto& handle : input.tables) {
    std::shared_ptr<const Table> table;
    Status s = handle->GetTable(&table);
    if (!s.ok()) return s;
    children.push_back(table->NewIterator());
    output->bytes_read += handle->meta().file_size;
    tables.push_back(std::move(table));
  }
  std::unique_ptr<Iterator> iter = NewMergingIterator(std::move(children));

  const std::string path = JoinPath(dir, TableFileName(number));
  std::unique_ptr<WritableFile> file;
  Status s = fs->NewWritableFile(path, &file);
  if (!s.ok()) return s;
  PacedFile paced(file.get(), input.limiter, input.cancel);
  TableBuilder builder(options, &paced);

  SurvivorFilter filter(input.cutoffs, input.filter, input.outside_may_hold, input.snapshots);
  Status merge_status;
  for (iter->SeekToFirst(); iter->Valid() && builder.status().ok(); iter->Next()) {
    if (input.cancel != nullptr && input.cancel->load(std::memory_order_relaxed)) {
      merge_status = Status::Aborted("compaction interrupted by shutdown");
      break;
    }
    if (input.yield && filter.entries_in % CompactionInput::kYieldInterval == 0) input.yield();
    if (input.limiter != nullptr) {
      input.limiter->Request(iter->key().size() + iter->value().size(), input.cancel);
    }
    filter.AddIfSurvives(iter->key(), iter->value(), &builder);
  }
  output->entries_in = filter.entries_in;
  output->dropped_shadowed = filter.dropped_shadowed;
  output->dropped_dead = filter.dropped_dead;
  output->dropped_tombstones = filter.dropped_tombstones;
  output->dropped_filtered = filter.dropped_filtered;
  if (merge_status.ok()) merge_status = iter->status();
  s = FinishTableFile(fs, dir, path, number, cache, merge_status, &builder, &file, &output->table,
                      &output->meta);
  output->has_table = s.ok() && output->table != nullptr;
  if (output->has_table) output->bytes_written = output->meta.file_size;
  return s;
}

}  // namespace shale::storage
