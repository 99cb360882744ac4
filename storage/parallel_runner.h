// ParallelRunner: a fixed set of worker threads that run the calls of one RunAll() in
// parallel, together with the calling thread. Commit() uses it to fsync every dirty shard at
// once under appendfsync=always, without creating threads per call.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

#include "storage/mutex.h"
#include "storage/thread_annotations.h"

namespace shale::storage {

class ParallelRunner {
 public:
  // `workers` threads besides the caller (0 = everything runs on the caller).
  explicit ParallelRunner(int workers);
  ~ParallelRunner();
  ParallelRunner(const ParallelRunner&) = delete;
  ParallelRunner& operator=(const ParallelRunner&) = delete;

  // Calls task(i) for every i in [0, n), spread over the workers and the caller; returns when
  // every call has returned. Concurrent RunAll calls run one after the other.
  void RunAll(size_t n, const std::function<void(size_t)>& task) EXCLUDES(run_mu_, mu_);

 private:
  void WorkerLoop() EXCLUDES(mu_);

  Mutex run_mu_;  // one RunAll at a time
  Mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  // The current job.
  const std::function<void(size_t)>* task_ GUARDED_BY(mu_) = nullptr;
  size_t n_ GUARDED_BY(mu_) = 0;
  size_t next_ GUARDED_BY(mu_) = 0;
  size_t unfinished_ GUARDED_BY(mu_) = 0;
  bool stop_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // created by the constructor, joined by the destructor
};

}  // namespace shale::storage
