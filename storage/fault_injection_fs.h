// FaultInjectionFileSystem: a FileSystem wrapping another one (normally the POSIX one over a
// temporary directory) that can make writes and fsyncs fail and can simulate power loss. Every
// crash and fault path of the engine is tested through it.
//
// Power-loss model (DropUnsyncedData):
//   - a file keeps only the bytes it had at its last successful Sync (a file never synced
//     since it was created or truncated by NewWritableFile keeps nothing);
//   - a file created (or renamed into place) since its directory's last SyncDir disappears;
//   - Truncate() is durable when it returns (as the POSIX implementation promises);
//   - files that existed before this object first saw them count as fully synced;
//   - directories themselves never disappear.
// After a power loss every file handle opened before it is dead: its Append and Sync fail and
// change nothing, as in a process that did not survive.
//
// Thread-safe; I/O on the wrapped file system happens under one mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "storage/file_system.h"
#include "storage/mutex.h"
#include "storage/thread_annotations.h"

namespace shale::storage {

class FaultInjectionFileSystem final : public FileSystem {
 public:
  explicit FaultInjectionFileSystem(FileSystem* target);
  ~FaultInjectionFileSystem() override;

  // The nth Append from now (1 = the next one) fails with IOError. With `sticky`, every Append
  // after it fails as well until ClearFaults().
  void FailNthAppend(uint64_t n, bool sticky = false);
  // The nth Sync from now (1 = the next one) fails with IOError and makes nothing durable.
  // With `sticky`, every Sync (and SyncDir) after it fails as well until ClearFaults().
  void FailNthSync(uint64_t n, bool sticky = false);
  // Disk full: every Append fails with NoSpace (ENOSPC) until SetDiskFull(false)/ClearFaults().
  void SetDiskFull(bool full);
  // A failing Append first writes min(n, size) bytes of its data: a torn write. Default 0.
  void SetPartialWriteBytes(uint64_t n);
  // Removes every injected fault (the partial-write setting included), but not a crash.
  void ClearFaults();
  // A crash at a chosen point: the next `n` changes (NewWritableFile, Append, Sync, SyncDir,
  // CreateDir, RemoveFile, RenameFile, Truncate) happen, every later one fails with IOError and
  // changes nothing, as if the machine had stopped, until DropUnsyncedData() completes the
  // power loss. Lets a test stop a multi-step operation between any two of its steps.
  void SimulateCrashAfter(uint64_t n);

  // Append/Sync calls made on files of this file system (failed ones included).
  uint64_t appends() const;
  uint64_t syncs() const;
  // SyncDir calls.
  uint64_t dir_syncs() const;

  // Simulates power loss as described at the top of this file.
  Status DropUnsyncedData();

  // FileSystem:
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override;
  Status NewSequentialFile(const std::string& path, std::unique_ptr<SequentialFile>* file) override;
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* file) override;
  bool FileExists(const std::string& path) override;
  Status GetFileSize(const std::string& path, uint64_t* size) override;
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override;
  Status CreateDir(const std::string& dir) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status SyncDir(const std::string& dir) override;
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override;

 private:
  class File;
  friend class File;

  struct FileState {
    uint64_t size = 0;    // bytes in the file now
    uint64_t synced = 0;  // bytes that survive a power loss
  };

  Status InjectAppendFault(std::string_view data, WritableFile* target) REQUIRES(mu_);
  bool InjectSyncFault() REQUIRES(mu_);
  // Counts a change; true when the simulated crash has happened and the change must fail.
  bool Crashed() REQUIRES(mu_);

  FileSystem* const target_;
  mutable Mutex mu_;
  uint64_t generation_ GUARDED_BY(mu_) = 0;  // bumped by every power loss; older handles are dead
  std::map<std::string, FileState> files_ GUARDED_BY(mu_);
  // Created or renamed since their directory's last SyncDir.
  std::set<std::string> unsynced_entries_ GUARDED_BY(mu_);
  uint64_t append_countdown_ GUARDED_BY(mu_) = 0;  // 0 = no fault pending
  bool append_sticky_ GUARDED_BY(mu_) = false;
  bool appends_failing_ GUARDED_BY(mu_) = false;
  uint64_t sync_countdown_ GUARDED_BY(mu_) = 0;
  bool sync_sticky_ GUARDED_BY(mu_) = false;
  bool syncs_failing_ GUARDED_BY(mu_) = false;
  bool disk_full_ GUARDED_BY(mu_) = false;
  uint64_t partial_write_bytes_ GUARDED_BY(mu_) = 0;
  bool crash_armed_ GUARDED_BY(mu_) = false;
  uint64_t changes_before_crash_ GUARDED_BY(mu_) = 0;
  bool crashed_ GUARDED_BY(mu_) = false;
  uint64_t appends_ GUARDED_BY(mu_) = 0;
  uint64_t syncs_ GUARDED_BY(mu_) = 0;
  uint64_t dir_syncs_ GUARDED_BY(mu_) = 0;
};

}  // namespace shale::storage
