#include "storage/parallel_runner.h"

namespace shale::storage {

ParallelRunner::ParallelRunner(int workers) {
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

ParallelRunner::~ParallelRunner() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void ParallelRunner::RunAll(size_t n, const std::function<void(size_t)>& task) {
  if (n == 0) return;
  MutexLock run_lock(&run_mu_);
  MutexLock lock(&mu_);
  task_ = &task;
  n_ = n;
  next_ = 0;
  unfinished_ = n;
  if (n > 1) work_cv_.notify_all();
  while (next_ < n_) {
    const size_t i = next_++;
    lock.Unlock();
    task(i);
    lock.Lock();
    --unfinished_;
  }
  while (unfinished_ != 0) done_cv_.wait(lock.unique());
  task_ = nullptr;
  n_ = next_ = 0;
}

void ParallelRunner::WorkerLoop() {
  MutexLock lock(&mu_);
  while (true) {
    while (!stop_ && !(task_ != nullptr && next_ < n_)) work_cv_.wait(lock.unique());
    if (stop_) return;
    const size_t i = next_++;
    const std::function<void(size_t)>* task = task_;
    lock.Unlock();
    (*task)(i);
    lock.Lock();
    if (--unfinished_ == 0) done_cv_.notify_all();
  }
}

}  // namespace shale::storage
