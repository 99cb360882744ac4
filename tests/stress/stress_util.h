// Helpers shared by the stress tests (tests/stress/*_test.cc): environment knobs, sanitizer
// detection, and file-system wrappers.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"
#include "storage/status.h"
#include "tests/unit/test_util.h"

namespace shale::stress_util {

using storage::FileLock;
using storage::FileSystem;
using storage::RandomAccessFile;
using storage::SequentialFile;
using storage::Status;
using storage::WritableFile;

// The sanitizer flag and environment knobs come from tests/unit/test_util.h.
constexpr bool kSanitized = test_util::kUnderSanitizer;
using test_util::EnvOr;

inline std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

inline bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Passes every call through to `target`.
class ForwardingFileSystem : public FileSystem {
 public:
  explicit ForwardingFileSystem(FileSystem* target) : target_(target) {}
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    return target_->NewWritableFile(path, file);
  }
  Status NewSequentialFile(const std::string& path,
                           std::unique_ptr<SequentialFile>* file) override {
    return target_->NewSequentialFile(path, file);
  }
  Status NewRandomAccessFile(const std::string& path,
                             std::unique_ptr<RandomAccessFile>* file) override {
    return target_->NewRandomAccessFile(path, file);
  }
  bool FileExists(const std::string& path) override { return target_->FileExists(path); }
  Status GetFileSize(const std::string& path, uint64_t* size) override {
    return target_->GetFileSize(path, size);
  }
  Status GetChildren(const std::string& dir, std::vector<std::string>* names) override {
    return target_->GetChildren(dir, names);
  }
  Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    return target_->Truncate(path, size);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  Status LockFile(const std::string& path, std::unique_ptr<FileLock>* lock) override {
    return target_->LockFile(path, lock);
  }

 protected:
  FileSystem* const target_;
};

// The POSIX file system without fsync: the FaultInjectionFileSystem above it decides what a
// power loss keeps, so real fsyncs would only make the test slow.
class NoSyncFileSystem final : public ForwardingFileSystem {
 public:
  using ForwardingFileSystem::ForwardingFileSystem;
  Status NewWritableFile(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    std::unique_ptr<WritableFile> inner;
    Status s = target_->NewWritableFile(path, &inner);
    if (s.ok()) *file = std::make_unique<File>(std::move(inner));
    return s;
  }
  Status SyncDir(const std::string&) override { return Status::Ok(); }

 private:
  class File final : public WritableFile {
   public:
    explicit File(std::unique_ptr<WritableFile> inner) : inner_(std::move(inner)) {}
    Status Append(std::string_view data) override { return inner_->Append(data); }
    Status Sync() override { return Status::Ok(); }
    Status Close() override { return inner_->Close(); }
    uint64_t Size() const override { return inner_->Size(); }

   private:
    std::unique_ptr<WritableFile> inner_;
  };
};

}  // namespace shale::stress_util
