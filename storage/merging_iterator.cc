#include "storage/merging_iterator.h"

#include <algorithm>
#include <string>
#include <utility>

#include "storage/key_format.h"

namespace shale::storage {

namespace {

// Keeps the valid children in a binary min-heap ordered by (internal key, child index); the
// heap's top is the current entry.
class MergingIterator final : public Iterator {
 public:
  explicit MergingIterator(std::vector<std::unique_ptr<Iterator>> children)
      : children_(std::move(children)) {
    heap_.reserve(children_.size());
  }

  bool Valid() const override { return !heap_.empty(); }

  void SeekToFirst() override {
    for (auto& child : children_) child->SeekToFirst();
    Rebuild();
  }

  void Seek(std::string_view target) override {
    for (auto& child : children_) child->Seek(target);
    Rebuild();
  }

  void Next() override {
    std::pop_heap(heap_.begin(), heap_.end(), After{this});
    const size_t index = heap_.back();
    heap_.pop_back();
    Iterator& child = *children_[index];
    child.Next();
    if (child.Valid()) {
      heap_.push_back(index);
      std::push_heap(heap_.begin(), heap_.end(), After{this});
    } else if (!child.status().ok()) {
      Fail(child.status());
    }
  }

  std::string_view key() const override { return children_[heap_.front()]->key(); }
  std::string_view value() const override { return children_[heap_.front()]->value(); }
  Status status() const override { return status_; }

 private:
  // Heap order: true when child a's entry comes after child b's (std heaps keep the largest on
  // top, so "after" puts the smallest there).
  struct After {
    const MergingIterator* self;
    bool operator()(size_t a, size_t b) const {
      const int r = CompareInternalKeys(self->children_[a]->key(), self->children_[b]->key());
      if (r != 0) return r > 0;
      return a > b;  // identical keys: the newer source (lower index) first
    }
  };

  void Rebuild() {
    heap_.clear();
    status_ = Status::Ok();
    for (size_t i = 0; i < children_.size(); ++i) {
      if (children_[i]->Valid()) {
        heap_.push_back(i);
      } else if (!children_[i]->status().ok()) {
        Fail(children_[i]->status());
        return;
      }
    }
    std::make_heap(heap_.begin(), heap_.end(), After{this});
  }

  void Fail(const Status& s) {
    status_ = s;
    heap_.clear();
  }

  std::vector<std::unique_ptr<Iterator>> children_;
  std::vector<size_t> heap_;
  Status status_;
};

class VisibleIterator final : public Iterator {
 public:
  VisibleIterator(std::unique_ptr<Iterator> input, uint64_t snapshot)
      : input_(std::move(input)), snapshot_(snapshot) {}

  bool Valid() const override { return valid_; }

  void SeekToFirst() override {
    input_->SeekToFirst();
    FindVisible();
  }

  void Seek(std::string_view target) override {
    input_->Seek(target);
    FindVisible();
  }

  void Next() override {
    // Pass over the older versions of the key just yielded.
    current_.assign(InternalKeyStorageKey(input_->key()));
    input_->Next();
    while (input_->Valid() && WellFormed(input_->key()) &&
           InternalKeyStorageKey(input_->key()) == current_) {
      input_->Next();
    }
    FindVisible();
  }

  std::string_view key() const override { return input_->key(); }
  std::string_view value() const override { return input_->value(); }
  Status status() const override { return status_.ok() ? input_->status() : status_; }

 private:
  bool WellFormed(std::string_view key) {
    if (key.size() >= kInternalKeyTrailerSize) return true;
    status_ = Status::Corruption("internal key shorter than its trailer");
    return false;
  }

  // Moves to the first entry at or after the input's position whose sequence is visible.
  // Entries of a key are ordered newest first, so that entry is its key's newest visible one.
  void FindVisible() {
    valid_ = false;
    while (input_->Valid()) {
      if (!WellFormed(input_->key())) return;
      if (ParseInternalKey(input_->key()).sequence <= snapshot_) {
        valid_ = true;
        return;
      }
      input_->Next();
    }
  }

  std::unique_ptr<Iterator> input_;
  const uint64_t snapshot_;
  bool valid_ = false;
  std::string current_;
  Status status_;
};

}  // namespace

std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children) {
  return std::make_unique<MergingIterator>(std::move(children));
}

std::unique_ptr<Iterator> NewVisibleIterator(std::unique_ptr<Iterator> input, uint64_t snapshot) {
  return std::make_unique<VisibleIterator>(std::move(input), snapshot);
}

}  // namespace shale::storage
