// Errors are values: every fallible storage call returns a Status (LevelDB's model).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace shale::storage {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,
    kCorruption,
    kIOError,
    kNoSpace,
    kInvalidArgument,
    kNotSupported,
    kAborted,  // background work given up because the store is closing
  };

  Status() = default;
  static Status Ok() { return {}; }
  static Status NotFound(std::string msg = {}) { return {Code::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status NoSpace(std::string msg) { return {Code::kNoSpace, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsAborted() const { return code_ == Code::kAborted; }
  bool IsIOError() const { return code_ == Code::kIOError || code_ == Code::kNoSpace; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "IO error: <message>", "Corruption: <message>", "OK", ...
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace shale::storage
