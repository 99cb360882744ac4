// NewMergingIterator and NewVisibleIterator (merging_iterator.h).
#include "storage/merging_iterator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "storage/key_format.h"
#include "storage/memtable.h"

namespace shale::storage {
namespace {

// Keys are plain bytes to the engine.
std::string SKey(std::string_view user_key) { return std::string(user_key); }

std::string IKey(std::string_view user_key, uint64_t sequence, ValueKind kind = ValueKind::kValue) {
  std::string k;
  AppendInternalKey(SKey(user_key), sequence, kind, &k);
  return k;
}

// An iterator over a sorted vector, optionally failing with Corruption once it reaches an
// index.
class VectorIterator final : public Iterator {
 public:
  explicit VectorIterator(std::vector<std::pair<std::string, std::string>> entries,
                          size_t fail_at = SIZE_MAX)
      : entries_(std::move(entries)), fail_at_(fail_at) {
    std::sort(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return CompareInternalKeys(a.first, b.first) < 0;
    });
  }
  bool Valid() const override { return pos_ < entries_.size() && status_.ok(); }
  void SeekToFirst() override { Move(0); }
  void Seek(std::string_view target) override {
    size_t i = 0;
    while (i < entries_.size() && CompareInternalKeys(entries_[i].first, target) < 0) ++i;
    Move(i);
  }
  void Next() override { Move(pos_ + 1); }
  std::string_view key() const override { return entries_[pos_].first; }
  std::string_view value() const override { return entries_[pos_].second; }
  Status status() const override { return status_; }

 private:
  void Move(size_t pos) {
    pos_ = pos;
    if (pos_ >= fail_at_ && pos_ < entries_.size()) status_ = Status::Corruption("bad block");
  }
  std::vector<std::pair<std::string, std::string>> entries_;
  size_t fail_at_;
  size_t pos_ = 0;
  Status status_;
};

using Entries = std::vector<std::pair<std::string, std::string>>;

std::unique_ptr<Iterator> Vec(Entries entries, size_t fail_at = SIZE_MAX) {
  return std::make_unique<VectorIterator>(std::move(entries), fail_at);
}

struct Seen {
  std::string user_key;
  uint64_t sequence;
  ValueKind kind;
  std::string value;
  friend bool operator==(const Seen&, const Seen&) = default;
};

std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.user_key << "@" << s.sequence << (s.kind == ValueKind::kDeletion ? "(del)" : "")
            << "=" << s.value;
}

std::vector<Seen> Drain(Iterator* iter) {
  std::vector<Seen> out;
  for (; iter->Valid(); iter->Next()) {
    const ParsedInternalKey p = ParseInternalKey(iter->key());
    out.push_back({std::string(p.storage_key), p.sequence, p.kind, std::string(iter->value())});
  }
  return out;
}

std::unique_ptr<Iterator> Merge(std::vector<std::unique_ptr<Iterator>> children) {
  return NewMergingIterator(std::move(children));
}

TEST(MergingIteratorTest, MergesEveryEntryInInternalKeyOrder) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(Vec({{IKey("b", 9), "b9"}, {IKey("d", 8), "d8"}}));
  children.push_back(Vec({}));
  children.push_back(Vec({{IKey("a", 3), "a3"}, {IKey("b", 4), "b4"}, {IKey("e", 2), "e2"}}));
  children.push_back(Vec({{IKey("c", 1), "c1"}, {IKey("b", 1), "b1"}}));
  auto iter = Merge(std::move(children));
  EXPECT_FALSE(iter->Valid());
  iter->SeekToFirst();
  EXPECT_EQ(Drain(iter.get()), (std::vector<Seen>{{"a", 3, ValueKind::kValue, "a3"},
                                                  {"b", 9, ValueKind::kValue, "b9"},
                                                  {"b", 4, ValueKind::kValue, "b4"},
                                                  {"b", 1, ValueKind::kValue, "b1"},
                                                  {"c", 1, ValueKind::kValue, "c1"},
                                                  {"d", 8, ValueKind::kValue, "d8"},
                                                  {"e", 2, ValueKind::kValue, "e2"}}));
  EXPECT_TRUE(iter->status().ok());

  iter->Seek(IKey("b", 5));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ParseInternalKey(iter->key()).sequence, 4u);
  iter->Seek(IKey("c", kMaxSequence));
  EXPECT_EQ(Drain(iter.get()).size(), 3u);
  iter->Seek(IKey("zz", kMaxSequence));
  EXPECT_FALSE(iter->Valid());
}

TEST(MergingIteratorTest, IdenticalKeysComeFromTheNewestSourceFirst) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(Vec({{IKey("k", 5), "newest source"}}));
  children.push_back(Vec({{IKey("k", 5), "older source"}}));
  auto visible = NewVisibleIterator(Merge(std::move(children)), kMaxSequence);
  visible->SeekToFirst();
  ASSERT_TRUE(visible->Valid());
  EXPECT_EQ(visible->value(), "newest source");
  visible->Next();
  EXPECT_FALSE(visible->Valid());
}

TEST(MergingIteratorTest, VisibleIteratorYieldsTheNewestVersionOfEachKey) {
  // Memtables and a "table" as children, newest first.
  MemTable active, immutable;
  active.Add(20, ValueKind::kValue, SKey("a"), "a20");
  active.Add(21, ValueKind::kDeletion, SKey("b"), "");
  immutable.Add(12, ValueKind::kValue, SKey("a"), "a12");
  immutable.Add(13, ValueKind::kValue, SKey("b"), "b13");
  immutable.Add(14, ValueKind::kValue, SKey("c"), "c14");
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(active.NewIterator());
  children.push_back(immutable.NewIterator());
  children.push_back(Vec({{IKey("a", 2), "a2"}, {IKey("d", 3), "d3"}, {IKey("c", 1), "c1"}}));
  auto iter = NewVisibleIterator(Merge(std::move(children)), kMaxSequence);
  iter->SeekToFirst();
  // The tombstone is yielded (newest wins), the caller skips it.
  EXPECT_EQ(Drain(iter.get()), (std::vector<Seen>{{"a", 20, ValueKind::kValue, "a20"},
                                                  {"b", 21, ValueKind::kDeletion, ""},
                                                  {"c", 14, ValueKind::kValue, "c14"},
                                                  {"d", 3, ValueKind::kValue, "d3"}}));
}

TEST(MergingIteratorTest, SnapshotHidesNewerWrites) {
  auto make = [] {
    std::vector<std::unique_ptr<Iterator>> children;
    children.push_back(Vec({{IKey("a", 30), "a30"},
                            {IKey("b", 31, ValueKind::kDeletion), ""},
                            {IKey("n", 32), "new key"}}));
    children.push_back(
        Vec({{IKey("a", 10), "a10"}, {IKey("b", 11), "b11"}, {IKey("c", 12), "c12"}}));
    return Merge(std::move(children));
  };
  auto at_20 = NewVisibleIterator(make(), 20);
  at_20->SeekToFirst();
  EXPECT_EQ(Drain(at_20.get()), (std::vector<Seen>{{"a", 10, ValueKind::kValue, "a10"},
                                                   {"b", 11, ValueKind::kValue, "b11"},
                                                   {"c", 12, ValueKind::kValue, "c12"}}));
  auto at_31 = NewVisibleIterator(make(), 31);
  at_31->SeekToFirst();
  EXPECT_EQ(Drain(at_31.get()), (std::vector<Seen>{{"a", 30, ValueKind::kValue, "a30"},
                                                   {"b", 31, ValueKind::kDeletion, ""},
                                                   {"c", 12, ValueKind::kValue, "c12"}}));
  auto at_11 = NewVisibleIterator(make(), 11);
  at_11->Seek(IKey("b", kMaxSequence));
  EXPECT_EQ(Drain(at_11.get()), (std::vector<Seen>{{"b", 11, ValueKind::kValue, "b11"}}));
  auto at_5 = NewVisibleIterator(make(), 5);
  at_5->SeekToFirst();
  EXPECT_FALSE(at_5->Valid());
}

TEST(MergingIteratorTest, SeekLandsOnTheFirstKeyAtOrAfterTheTarget) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(Vec({{IKey("apple", 5), "1"}, {IKey("banana", 6), "2"}}));
  children.push_back(Vec({{IKey("apricot", 2), "3"}, {IKey("cherry", 3), "4"}}));
  auto iter = NewVisibleIterator(Merge(std::move(children)), kMaxSequence);
  iter->Seek(IKey("apq", kMaxSequence));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(ParseInternalKey(iter->key()).storage_key, "apricot");
  iter->Seek(IKey("banana", kMaxSequence));
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "2");
  iter->Next();
  ASSERT_TRUE(iter->Valid());
  EXPECT_EQ(iter->value(), "4");
  iter->Next();
  EXPECT_FALSE(iter->Valid());
  EXPECT_TRUE(iter->status().ok());
}

TEST(MergingIteratorTest, AChildErrorStopsTheMerge) {
  std::vector<std::unique_ptr<Iterator>> children;
  children.push_back(Vec({{IKey("a", 1), "1"}, {IKey("c", 1), "3"}, {IKey("e", 1), "5"}}));
  children.push_back(Vec({{IKey("b", 1), "2"}, {IKey("d", 1), "4"}}, /*fail_at=*/1));
  auto iter = NewVisibleIterator(Merge(std::move(children)), kMaxSequence);
  iter->SeekToFirst();
  std::vector<Seen> seen = Drain(iter.get());
  EXPECT_EQ(seen.size(), 2u);  // a, b; then "d"'s child fails
  EXPECT_TRUE(iter->status().IsCorruption()) << iter->status().ToString();

  // A child failing right at the seek.
  std::vector<std::unique_ptr<Iterator>> again;
  again.push_back(Vec({{IKey("a", 1), "1"}}));
  again.push_back(Vec({{IKey("b", 1), "2"}}, /*fail_at=*/0));
  auto merged = Merge(std::move(again));
  merged->SeekToFirst();
  EXPECT_FALSE(merged->Valid());
  EXPECT_TRUE(merged->status().IsCorruption());
}

// Against a model: random versions spread over random children, random snapshots.
TEST(MergingIteratorTest, MatchesAModel) {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    const int sources = 1 + static_cast<int>(rng() % 5);
    std::vector<Entries> parts(static_cast<size_t>(sources));
    // (user key) -> (sequence -> (kind, value))
    std::map<std::string, std::map<uint64_t, std::pair<ValueKind, std::string>>> model;
    uint64_t sequence = 0;
    for (int i = 0; i < 200; ++i) {
      const std::string key = "k" + std::to_string(rng() % 40);
      const ValueKind kind = rng() % 4 == 0 ? ValueKind::kDeletion : ValueKind::kValue;
      const std::string value = kind == ValueKind::kValue ? "v" + std::to_string(i) : "";
      ++sequence;
      model[key][sequence] = {kind, value};
      parts[rng() % parts.size()].push_back({IKey(key, sequence, kind), value});
    }
    const uint64_t snapshot = rng() % (sequence + 2);
    std::vector<std::unique_ptr<Iterator>> children;
    for (auto& part : parts) children.push_back(Vec(part));
    auto iter = NewVisibleIterator(Merge(std::move(children)), snapshot);
    iter->SeekToFirst();
    std::vector<Seen> expected;
    for (const auto& [key, versions] : model) {
      for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
        if (it->first <= snapshot) {
          expected.push_back({key, it->first, it->second.first, it->second.second});
          break;
        }
      }
    }
    EXPECT_EQ(Drain(iter.get()), expected) << "round " << round;
  }
}

}  // namespace
}  // namespace shale::storage
