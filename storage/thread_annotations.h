// Thread-safety annotations: clang's capability attributes, checked at compile time by
// -Wthread-safety (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html). Other compilers
// see nothing. Use them with the annotated Mutex and MutexLock of mutex.h:
//
//   Mutex mu_;
//   int count_ GUARDED_BY(mu_);             // read or written only with mu_ held
//   void BumpLocked() REQUIRES(mu_);        // the caller holds mu_
//   void Bump() EXCLUDES(mu_);              // takes mu_ itself: the caller must not hold it
//
// A member read or written without its lock on purpose (set before any other thread exists,
// owned by one thread) carries no annotation; its comment says who may touch it.
#pragma once

#if defined(__clang__)
#define SHALE_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SHALE_THREAD_ANNOTATION(x)
#endif

// A class whose objects are capabilities (locks): `class CAPABILITY("mutex") Mutex`.
#ifndef CAPABILITY
#define CAPABILITY(x) SHALE_THREAD_ANNOTATION(capability(x))
#endif

// An RAII class that acquires a capability in its constructor and releases it in its
// destructor.
#ifndef SCOPED_CAPABILITY
#define SCOPED_CAPABILITY SHALE_THREAD_ANNOTATION(scoped_lockable)
#endif

// A data member read or written only with the given capability held.
#ifndef GUARDED_BY
#define GUARDED_BY(x) SHALE_THREAD_ANNOTATION(guarded_by(x))
#endif

// A pointer member whose pointee is read or written only with the given capability held.
#ifndef PT_GUARDED_BY
#define PT_GUARDED_BY(x) SHALE_THREAD_ANNOTATION(pt_guarded_by(x))
#endif

// A function the caller must call with the capabilities held (and which leaves them held).
#ifndef REQUIRES
#define REQUIRES(...) SHALE_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#endif

// A function the caller must call without the capabilities held (it acquires them itself).
#ifndef EXCLUDES
#define EXCLUDES(...) SHALE_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#endif

// A function that acquires the capabilities (no argument: `this`) and returns holding them.
#ifndef ACQUIRE
#define ACQUIRE(...) SHALE_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#endif

// A function that releases capabilities the caller held (no argument: `this`).
#ifndef RELEASE
#define RELEASE(...) SHALE_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#endif

// A function that returns only if the calling thread holds the capability (no argument:
// `this`); from the call on the analysis takes it as held.
#ifndef ASSERT_CAPABILITY
#define ASSERT_CAPABILITY(x) SHALE_THREAD_ANNOTATION(assert_capability(x))
#endif

// Turns the analysis off for one function, whose locking it cannot follow. Say why beside it.
#ifndef NO_THREAD_SAFETY_ANALYSIS
#define NO_THREAD_SAFETY_ANALYSIS SHALE_THREAD_ANNOTATION(no_thread_safety_analysis)
#endif
