#include "storage/fault_injection_fs.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace shale::storage {

class FaultInjectionFileSystem::File final : public WritableFile {
 public:
  File(FaultInjectionFileSystem* fs, std::string path, std::unique_ptr<WritableFile> target,
       uint64_t generation)
      : fs_(fs), path_(std::move(path)), target_(std::move(target)), generation_(generation) {}

  Status Append(std::string_view data) override {
    MutexLock lock(&fs_->mu_);
    ++fs_->appends_;
    if (generation_ != fs_->generation_) return Dead();
    if (fs_->Crashed()) return CrashError();
    FileState& state = fs_->files_[path_];
    const uint64_t before = target_->Size();
    Status s = fs_->InjectAppendFault(data, target_.get());
    if (s.ok()) s = target_->Append(data);
    state.size += target_->Size() - before;
    return s;
  }

  Status Sync() override {
    MutexLock lock(&fs_->mu_);
    ++fs_->syncs_;
    if (generation_ != fs_->generation_) return Dead();
    if (fs_->Crashed()) return CrashError();
    if (fs_->InjectSyncFault()) return Status::IOError(path_ + ": injected fsync failure");
    Status s = target_->Sync();
    if (s.ok()) {
      FileState& state = fs_->files_[path_];
      state.synced = state.size;
    }
    return s;
  }

  Status Close() override {
    MutexLock lock(&fs_->mu_);
    return target_->Close();
  }

  uint64_t Size() const override {
    MutexLock lock(&fs_->mu_);
    return target_->Size();
  }

 private:
  Status Dead() const {
    return Status::IOError(path_ + ": file handle lost in simulated power loss");
  }
  Status CrashError() const { return Status::IOError(path_ + ": simulated crash"); }

  FaultInjectionFileSystem* const fs_;
  const std::string path_;
  const std::unique_ptr<WritableFile> target_;
  const uint64_t generation_;
};

FaultInjectionFileSystem::FaultInjectionFileSystem(FileSystem* target) : target_(target) {}
FaultInjectionFileSystem::~FaultInjectionFileSystem() = default;

void FaultInjectionFileSystem::FailNthAppend(uint64_t n, bool sticky) {
  MutexLock lock(&mu_);
  append_countdown_ = n;
  append_sticky_ = sticky;
}

void FaultInjectionFileSystem::FailNthSync(uint64_t n, bool sticky) {
  MutexLock lock(&mu_);
  sync_countdown_ = n;
  sync_sticky_ = sticky;
}

void FaultInjectionFileSystem::SetDiskFull(bool full) {
  MutexLock lock(&mu_);
  disk_full_ = full;
}

void FaultInjectionFileSystem::SetPartialWriteBytes(uint64_t n) {
  MutexLock lock(&mu_);
  partial_write_bytes_ = n;
}

void FaultInjectionFileSystem::ClearFaults() {
  MutexLock lock(&mu_);
  append_countdown_ = 0;
  append_sticky_ = false;
  appends_failing_ = false;
  sync_countdown_ = 0;
  sync_sticky_ = false;
  syncs_failing_ = false;
  disk_full_ = false;
  partial_write_bytes_ = 0;
}

void FaultInjectionFileSystem::SimulateCrashAfter(uint64_t n) {
  MutexLock lock(&mu_);
  crash_armed_ = true;
  changes_before_crash_ = n;
}

bool FaultInjectionFileSystem::Crashed() {
  if (crashed_) return true;
  if (!crash_armed_) return false;
  if (changes_before_crash_ == 0) {
    crashed_ = true;
    return true;
  }
  --changes_before_crash_;
  return false;
}

uint64_t FaultInjectionFileSystem::appends() const {
  MutexLock lock(&mu_);
  return appends_;
}

uint64_t FaultInjectionFileSystem::syncs() const {
  MutexLock lock(&mu_);
  return syncs_;
}

uint64_t FaultInjectionFileSystem::dir_syncs() const {
  MutexLock lock(&mu_);
  return dir_syncs_;
}

Status FaultInjectionFileSystem::InjectAppendFault(std::string_view data, WritableFile* target) {
  bool fail = appends_failing_ || disk_full_;
  if (!fail && append_countdown_ > 0 && --append_countdown_ == 0) {
    fail = true;
    appends_failing_ = append_sticky_;
  }
  if (!fail) return Status::Ok();
  const size_t partial = static_cast<size_t>(std::min<uint64_t>(partial_write_bytes_, data.size()));
  if (partial > 0) {
    Status s = target->Append(data.substr(0, partial));
    if (!s.ok()) return s;
  }
  if (disk_full_) return Status::NoSpace("injected: No space left on device");
  return Status::IOError("injected write failure");
}

bool FaultInjectionFileSystem::InjectSyncFault() {
  if (syncs_failing_) return true;
  if (sync_countdown_ > 0 && --sync_countdown_ == 0) {
    syncs_failing_ = sync_sticky_;
    return true;
  }
  return false;
}

Status FaultInjectionFileSystem::DropUnsyncedData() {
  MutexLock lock(&mu_);
  ++generation_;
  crash_armed_ = crashed_ = false;
  Status result;
  for (const std::string& path : unsynced_entries_) {
    if (target_->FileExists(path)) {
      Status s = target_->RemoveFile(path);
      if (!s.ok() && result.ok()) result = s;
    }
    files_.erase(path);
  }
  unsynced_entries_.clear();
  for (const auto& [path, state] : files_) {
    uint64_t size = 0;
    if (!target_->GetFileSize(path, &size).ok()) continue;
    if (size > state.synced) {
      Status s = target_->Truncate(path, state.synced);
      if (!s.ok() && result.ok()) result = s;
    }
  }
  files_.clear();
  return result;
}

Status FaultInjectionFileSystem::NewWritableFile(const std::string& path,
                                                 std::unique_ptr<WritableFile>* file) {
  MutexLock lock(&mu_);
  if (Crashed()) return Status::IOError(path + ": simulated crash");
  const bool existed = target_->FileExists(path);
  std::unique_ptr<WritableFile> target_file;
  Status s = target_->NewWritableFile(path, &target_file);
  if (!s.ok()) return s;
  files_[path] = FileState{};
  if (!existed) unsynced_entries_.insert(path);
  *file = std::make_unique<File>(this, path, std::move(target_file), generation_);
  return Status::Ok();
}

Status FaultInjectionFileSystem::NewSequentialFile(const std::string& path,
                                                   std::unique_ptr<SequentialFile>* file) {
  return target_->NewSequentialFile(path, file);
}

Status FaultInjectionFileSystem::NewRandomAccessFile(const std::string& path,
                                                     std::unique_ptr<RandomAccessFile>* file) {
  return target_->NewRandomAccessFile(path, file);
}

bool FaultInjectionFileSystem::FileExists(const std::string& path) {
  return target_->FileExists(path);
}

Status FaultInjectionFileSystem::GetFileSize(const std::string& path, uint64_t* size) {
  return target_->GetFileSize(path, size);
}

Status FaultInjectionFileSystem::GetChildren(const std::string& dir,
                                             std::vector<std::string>* names) {
  return target_->GetChildren(dir, names);
}

Status FaultInjectionFileSystem::CreateDir(const std::string& dir) {
  MutexLock lock(&mu_);
  if (Crashed()) return Status::IOError(dir + ": simulated crash");
  return target_->CreateDir(dir);
}

Status FaultInjectionFileSystem::RemoveFile(const std::string& path) {
  MutexLock lock(&mu_);
  if (Crashed()) return Status::IOError(path + ": simulated crash");
  Status s = target_->RemoveFile(path);
  if (s.ok()) {
    files_.erase(path);
    unsynced_entries_.erase(path);
  }
  return s;
}

Status FaultInjectionFileSystem::RenameFile(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  if (Crashed()) return Status::IOError(from + ": simulated crash");
  Status s = target_->RenameFile(from, to);
  if (!s.ok()) return s;
  // Pessimistic: until `to`'s directory is synced the new name may vanish, and the old name is
  // gone already.
  auto it = files_.find(from);
  if (it != files_.end()) {
    FileState state = it->second;
    files_.erase(it);
    files_[to] = state;
  } else {
    files_.erase(to);
  }
  unsynced_entries_.erase(from);
  unsynced_entries_.insert(to);
  return s;
}

Status FaultInjectionFileSystem::Truncate(const std::string& path, uint64_t size) {
  MutexLock lock(&mu_);
  if (Crashed()) return Status::IOError(path + ": simulated crash");
  Status s = target_->Truncate(path, size);
  if (s.ok()) {
    auto it = files_.find(path);
    if (it != files_.end()) it->second.size = it->second.synced = size;
  }
  return s;
}

Status FaultInjectionFileSystem::SyncDir(const std::string& dir) {
  MutexLock lock(&mu_);
  ++dir_syncs_;
  if (Crashed()) return Status::IOError(dir + ": simulated crash");
  if (syncs_failing_) return Status::IOError(dir + ": injected fsync failure");
  Status s = target_->SyncDir(dir);
  if (!s.ok()) return s;
  std::vector<std::string> synced;
  for (const std::string& path : unsynced_entries_) {
    if (DirName(path) == DirName(JoinPath(dir, "x"))) synced.push_back(path);
  }
  for (const std::string& path : synced) unsynced_entries_.erase(path);
  return s;
}

Status FaultInjectionFileSystem::LockFile(const std::string& path,
                                          std::unique_ptr<FileLock>* lock) {
  return target_->LockFile(path, lock);
}

}  // namespace shale::storage
