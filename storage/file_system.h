// FileSystem: every byte the engine reads or writes goes through this interface, so tests can
// substitute FaultInjectionFileSystem (failed writes and fsyncs, a full disk, power loss).
//
// Errors carry the path and the OS's reason ("<path>: <strerror>"); ENOSPC (and EDQUOT) become
// Status::NoSpace, every other failure Status::IOError.
//
// Thread-safety: a FileSystem may be used from several threads at once. A file object may be
// used by one thread at a time, except that WritableFile::Sync may run on one thread while
// another thread calls Append on the same file (the WAL is fsynced in the background while
// the event loop appends).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/status.h"

namespace shale::storage {

// A file open for appending. Append writes straight to the OS (no user-space buffering: the
// callers batch their bytes themselves).
class WritableFile {
 public:
  virtual ~WritableFile() = default;
  // Writes all of `data` at the end of the file. On failure part of it may have been written.
  virtual Status Append(std::string_view data) = 0;
  // Makes every byte appended so far durable (fdatasync).
  virtual Status Sync() = 0;
  // Closes the file; further calls fail. The destructor closes an open file too.
  virtual Status Close() = 0;
  // Bytes in the file: its size when opened plus every byte appended successfully.
  virtual uint64_t Size() const = 0;
};

// A file read from front to back.
class SequentialFile {
 public:
  virtual ~SequentialFile() = default;
  // Reads up to `n` bytes into `scratch`; `*result` views the bytes read (empty at the end).
  virtual Status Read(size_t n, char* scratch, std::string_view* result) = 0;
  virtual Status Skip(uint64_t n) = 0;
};

// A file read at arbitrary offsets (pread); safe for concurrent use.
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset`; fewer only at the end of the file. `*result` may point
  // into `scratch` or into memory owned by the file.
  virtual Status Read(uint64_t offset, size_t n, char* scratch, std::string_view* result) const = 0;
};

// An exclusive lock on a file, released when the object is destroyed.
class FileLock {
 public:
  virtual ~FileLock() = default;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Creates `path` (truncating an existing file) for appending.
  virtual Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) = 0;
  virtual Status NewSequentialFile(const std::string& path,
                                   std::unique_ptr<SequentialFile>* file) = 0;
  virtual Status NewRandomAccessFile(const std::string& path,
                                     std::unique_ptr<RandomAccessFile>* file) = 0;

  virtual bool FileExists(const std::string& path) = 0;
  virtual Status GetFileSize(const std::string& path, uint64_t* size) = 0;
  // Names (not paths) of the entries of `dir`, without "." and "..", in no particular order.
  virtual Status GetChildren(const std::string& dir, std::vector<std::string>* names) = 0;
  // Creates `dir` and any missing parents; OK if it exists already.
  virtual Status CreateDir(const std::string& dir) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Atomically replaces `to` with `from` (rename(2)); durable once the directory is synced.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  // Cuts `path` to `size` bytes and makes the new size durable before returning, with the
  // file's contents (fsync): a cut to the current size makes a file written by an earlier
  // process durable.
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  // fsyncs the directory itself, making created, renamed and removed entries durable.
  virtual Status SyncDir(const std::string& dir) = 0;
  // Takes an exclusive advisory lock (flock) on `path`, creating it if needed. Fails at once,
  // with a message saying the lock is held, when another process (or another open of the same
  // path in this process) holds it.
  virtual Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) = 0;
};

// The POSIX file system; a process-wide singleton, never destroyed.
FileSystem* DefaultFileSystem();

// A RandomAccessFile over bytes held in memory (for readers of in-memory images, e.g. fuzzing).
std::unique_ptr<RandomAccessFile> NewStringRandomAccessFile(std::string contents);

// Reads a whole file into `*contents`.
Status ReadFileToString(FileSystem* fs, const std::string& path, std::string* contents);

// Writes `contents` to `path` durably and atomically: a temporary file is written and synced,
// renamed over `path`, and the directory synced.
Status WriteFileAtomically(FileSystem* fs, const std::string& path, std::string_view contents);

// "a/b" + "c" -> "a/b/c"; the directory part of a path ("a/b/c" -> "a/b", "c" -> ".").
std::string JoinPath(std::string_view dir, std::string_view name);
std::string DirName(std::string_view path);

}  // namespace shale::storage
