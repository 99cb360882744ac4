#include "storage/block.h"

#include <limits>
#include <string>
#include <utility>

#include "storage/coding.h"
#include "storage/key_format.h"

namespace shale::storage {

namespace {

// Internal-key order, tolerating a target shorter than a trailer (compared bytewise with the
// key's storage part, as if it carried the largest trailer), so no caller input reads out of
// bounds. Block keys themselves are checked to be long enough when decoded.
int CompareWithTarget(std::string_view key, std::string_view target) {
  if (target.size() < kInternalKeyTrailerSize) {
    const int r = InternalKeyStorageKey(key).compare(target);
    return r != 0 ? r : 1;
  }
  return CompareInternalKeys(key, target);
}

// Decodes the entry header at `offset` (< restarts_offset) of `data`: shared, and views of the
// key delta and the value, all inside the entries area; *end is the offset after the entry.
bool DecodeEntry(const char* data, uint32_t restarts_offset, uint32_t offset, uint32_t* shared,
                 std::string_view* delta, std::string_view* value, uint32_t* end) {
  std::string_view in(data + offset, restarts_offset - offset);
  uint32_t non_shared = 0, value_len = 0;
  if (!GetVarint32(&in, shared) || !GetVarint32(&in, &non_shared) ||
      !GetVarint32(&in, &value_len)) {
    return false;
  }
  if (uint64_t{non_shared} + value_len > in.size()) return false;
  *delta = in.substr(0, non_shared);
  *value = in.substr(non_shared, value_len);
  *end = static_cast<uint32_t>(value->data() + value->size() - data);
  return true;
}

}  // namespace

Status Block::Verify() const {
  if (contents_ == nullptr) return Status::Ok();
  const char* data = contents_->data();
  auto restart = [&](uint32_t i) { return DecodeFixed32(data + restarts_offset_ + 4 * size_t{i}); };
  auto corrupt = [](const char* what, uint32_t offset) {
    return Status::Corruption(std::string(what) + " in block entry at block offset " +
                              std::to_string(offset));
  };
  std::string key, previous;
  uint32_t next_restart = 0;
  uint32_t offset = 0;
  while (offset < restarts_offset_) {
    uint32_t shared = 0, end = 0;
    std::string_view delta, value;
    if (!DecodeEntry(data, restarts_offset_, offset, &shared, &delta, &value, &end)) {
      return corrupt("malformed entry", offset);
    }
    if (next_restart < num_restarts_ && restart(next_restart) < offset) {
      return corrupt("restart point inside an entry before this one", offset);
    }
    if (next_restart < num_restarts_ && restart(next_restart) == offset) {
      if (shared != 0) return corrupt("restart point with a shared prefix", offset);
      ++next_restart;
    }
    if (shared > key.size()) return corrupt("shared prefix longer than the previous key", offset);
    key.resize(shared);
    key.append(delta.data(), delta.size());
    if (key.size() < kInternalKeyTrailerSize) {
      return corrupt("key shorter than an internal key", offset);
    }
    if (!previous.empty() && CompareInternalKeys(previous, key) >= 0) {
      return corrupt("key out of order", offset);
    }
    previous = key;
    offset = end;
  }
  if (restarts_offset_ > 0 && next_restart != num_restarts_) {
    return Status::Corruption("block restart point " + std::to_string(next_restart) +
                              " is not the start of an entry");
  }
  return Status::Ok();
}

Status Block::Init(std::shared_ptr<const std::string> contents) {
  contents_.reset();
  restarts_offset_ = 0;
  num_restarts_ = 0;
  if (contents == nullptr) return Status::Corruption("missing block contents");
  const std::string& data = *contents;
  if (data.size() < sizeof(uint32_t)) return Status::Corruption("block too short");
  if (data.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::Corruption("block too large");
  }
  const size_t size = data.size();
  const uint32_t num_restarts = DecodeFixed32(data.data() + size - 4);
  if (num_restarts > (size - 4) / 4) {
    return Status::Corruption("block restart count " + std::to_string(num_restarts) +
                              " does not fit the block");
  }
  const auto restarts_offset = static_cast<uint32_t>(size - 4 - 4 * size_t{num_restarts});
  if (restarts_offset > 0 && num_restarts == 0) {
    return Status::Corruption("block has entries but no restart point");
  }
  // The restart points: the first at 0, strictly ascending, each inside the entries (an empty
  // block may only name offset 0).
  uint32_t previous = 0;
  for (uint32_t i = 0; i < num_restarts; ++i) {
    const uint32_t restart = DecodeFixed32(data.data() + restarts_offset + 4 * size_t{i});
    const bool ok = i == 0 ? restart == 0 : restart > previous;
    if (!ok || (restart >= restarts_offset && !(restarts_offset == 0 && i == 0))) {
      return Status::Corruption("bad block restart point " + std::to_string(i));
    }
    previous = restart;
  }
  contents_ = std::move(contents);
  restarts_offset_ = restarts_offset;
  num_restarts_ = num_restarts;
  return Status::Ok();
}

class Block::Iter final : public Iterator {
 public:
  Iter(std::shared_ptr<const std::string> contents, uint32_t restarts_offset, uint32_t num_restarts)
      : contents_(std::move(contents)),
        data_(contents_ ? contents_->data() : nullptr),
        restarts_offset_(restarts_offset),
        num_restarts_(num_restarts),
        current_(restarts_offset),
        next_(restarts_offset) {}

  bool Valid() const override { return current_ < restarts_offset_; }

  void SeekToFirst() override {
    status_ = Status::Ok();
    SeekToRestartPoint(0);
    ParseNextEntry();
  }

  void Seek(std::string_view target) override {
    status_ = Status::Ok();
    if (num_restarts_ == 0 || restarts_offset_ == 0) {
      Invalidate();
      return;
    }
    // Binary search for the last restart point whose key is < target.
    uint32_t left = 0;
    uint32_t right = num_restarts_ - 1;
    while (left < right) {
      const uint32_t mid = left + (right - left + 1) / 2;
      std::string_view key;
      if (!KeyAtRestart(mid, &key)) return;
      if (CompareWithTarget(key, target) < 0) {
        left = mid;
      } else {
        right = mid - 1;
      }
    }
    // Scan forward from it to the first key >= target.
    SeekToRestartPoint(left);
    while (ParseNextEntry()) {
      if (CompareWithTarget(key_, target) >= 0) return;
    }
  }

  void Next() override { ParseNextEntry(); }

  std::string_view key() const override { return key_; }
  std::string_view value() const override { return value_; }
  Status status() const override { return status_; }

 private:
  uint32_t RestartPoint(uint32_t i) const {
    return DecodeFixed32(data_ + restarts_offset_ + 4 * size_t{i});
  }

  void SeekToRestartPoint(uint32_t i) {
    key_.clear();
    value_ = {};
    next_ = (i < num_restarts_) ? RestartPoint(i) : restarts_offset_;
  }

  void Invalidate() {
    current_ = restarts_offset_;
    next_ = restarts_offset_;
    key_.clear();
    value_ = {};
  }

  void Corrupt(const std::string& what) {
    status_ =
        Status::Corruption(what + " in block entry at block offset " + std::to_string(current_));
    Invalidate();
  }

  // The full key of the restart point `i` (its entry must share nothing).
  bool KeyAtRestart(uint32_t i, std::string_view* key) {
    current_ = RestartPoint(i);
    uint32_t shared = 0, end = 0;
    std::string_view delta, value;
    if (!DecodeEntry(data_, restarts_offset_, current_, &shared, &delta, &value, &end)) {
      Corrupt("malformed entry");
      return false;
    }
    if (shared != 0) {
      Corrupt("restart point with a shared prefix");
      return false;
    }
    if (delta.size() < kInternalKeyTrailerSize) {
      Corrupt("key shorter than an internal key");
      return false;
    }
    *key = delta;
    return true;
  }

  // Moves to the entry at next_; false at the end of the block or on corruption.
  bool ParseNextEntry() {
    current_ = next_;
    if (current_ >= restarts_offset_) {
      Invalidate();
      return false;
    }
    uint32_t shared = 0, end = 0;
    std::string_view delta, value;
    if (!DecodeEntry(data_, restarts_offset_, current_, &shared, &delta, &value, &end)) {
      Corrupt("malformed entry");
      return false;
    }
    if (shared > key_.size()) {
      Corrupt("shared prefix longer than the previous key");
      return false;
    }
    key_.resize(shared);
    key_.append(delta.data(), delta.size());
    if (key_.size() < kInternalKeyTrailerSize) {
      Corrupt("key shorter than an internal key");
      return false;
    }
    value_ = value;
    next_ = end;  // > current_: an entry is at least three bytes
    return true;
  }

  const std::shared_ptr<const std::string> contents_;
  const char* const data_;
  const uint32_t restarts_offset_;
  const uint32_t num_restarts_;
  uint32_t current_;  // offset of the current entry; restarts_offset_ when not Valid()
  uint32_t next_;     // offset of the entry after it
  std::string key_;
  std::string_view value_;
  Status status_;
};

std::unique_ptr<Iterator> Block::NewIterator() const {
  return std::make_unique<Iter>(contents_, restarts_offset_, num_restarts_);
}

}  // namespace shale::storage
