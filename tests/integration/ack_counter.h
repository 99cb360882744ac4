// AckCounter: the crash tests' count of acknowledged writes across writer threads, which wakes
// the test once a target is reached (then it kills the server) or every writer has stopped.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace shale::integration {

class AckCounter {
 public:
  void Add() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++acks_;
    cv_.notify_all();
  }
  // A writer stopped (its connection closed, or it ran out of work).
  void Done() {
    std::lock_guard<std::mutex> lock(mutex_);
    ++done_;
    cv_.notify_all();
  }
  // Waits until `target` acknowledgements or until all `writers` stopped; returns the count.
  uint64_t WaitFor(uint64_t target, int writers) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return acks_ >= target || done_ == writers; });
    return acks_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t acks_ = 0;
  int done_ = 0;
};

}  // namespace shale::integration
