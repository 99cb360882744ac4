// Mutex and MutexLock: std::mutex and a lock of it, annotated (thread_annotations.h) so that
// clang's -Wthread-safety checks GUARDED_BY members and REQUIRES functions against them.
//
//   Mutex mu_;
//   std::condition_variable cv_;
//   bool ready_ GUARDED_BY(mu_) = false;
//
//   void WaitUntilReady() EXCLUDES(mu_) {
//     MutexLock lock(&mu_);
//     while (!ready_) cv_.wait(lock.unique());
//   }
//
// Condition variable waits are written as explicit loops: the analysis does not look into a
// predicate lambda, so a guarded member read inside one would seem read without the lock.
#pragma once

#include <mutex>

#include "storage/thread_annotations.h"

namespace shale::storage {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Tells the analysis that the calling thread holds this mutex (checks nothing at run time):
  // for code whose callers hold it in a way the analysis cannot see.
  void AssertHeld() const ASSERT_CAPABILITY(this) {}

 private:
  friend class MutexLock;
  std::mutex mu_;
};

// Holds `mu` from construction to destruction, or between Unlock() and Lock() calls made in
// between. unique() is the underlying std::unique_lock, for std::condition_variable's waits;
// a wait releases and retakes the mutex, so the lock is held again when it returns.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : lock_(mu->mu_) {}
  ~MutexLock() RELEASE() {}
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  // Releases the mutex early (e.g. around I/O); Lock() takes it again.
  void Unlock() RELEASE() { lock_.unlock(); }
  void Lock() ACQUIRE() { lock_.lock(); }

  std::unique_lock<std::mutex>& unique() { return lock_; }

 private:
  std::unique_lock<std::mutex> lock_;
};

}  // namespace shale::storage
