// SkipList: an ordered set of keys in an Arena, with one writer and any number of concurrent
// readers that take no lock.
//
// Thread-safety: Insert must be externally serialized (one writer at a time). Readers need
// only that the list outlives them. Nodes are never removed while the list lives. A node is
// fully initialised before it is published with a release store of its predecessors' links,
// and readers follow links with acquire loads, so a reader sees either the old list or the
// new node complete.
//
// Keys are compared by `Comparator`, a callable `int(const Key&, const Key&)` (<0, 0, >0).
// Duplicate keys must not be inserted.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>
#include <type_traits>

#include "storage/arena.h"

namespace shale::storage {

template <typename Key, class Comparator>
class SkipList {
 private:
  struct Node;

 public:
  static constexpr int kMaxHeight = 12;

  // Uses `arena` (not owned, must outlive the list) for every node.
  SkipList(Comparator cmp, Arena* arena)
      : compare_(cmp), arena_(arena), head_(NewNode(Key(), kMaxHeight, 0)) {
    for (int i = 0; i < kMaxHeight; ++i) head_->SetNext(i, nullptr);
  }

  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // REQUIRES: no equal key in the list; external synchronisation against other Inserts.
  void Insert(const Key& key) {
    const int height = RandomHeight();
    Link(NewNode(key, height, 0), height);
  }

  // A node whose key is stored in the node's own allocation, right after its links, so that a
  // search reads one allocation per node it passes instead of two (the node, then the key).
  // Only for Key = const char*: the key is the address of those bytes. Reserve() allocates the
  // node with room for `size` bytes at `data`; the caller writes the key there and then calls
  // Insert(reservation), with the same requirements as Insert(key).
  // A reservation may be kept (16 bytes) and inserted later, e.g. in a batch.
  struct Reservation {
    Node* node;
    int height;
    char* data() const { return reinterpret_cast<char*>(node->Link(height)); }
  };
  Reservation Reserve(size_t size) requires std::is_same_v<Key, const char*> {
    const int height = RandomHeight();
    Node* node = NewNode(nullptr, height, size);
    const Reservation reservation{node, height};
    node->SetKey(reservation.data());
    return reservation;
  }
  void Insert(const Reservation& reservation) requires std::is_same_v<Key, const char*> {
    Link(reservation.node, reservation.height);
  }

  bool Contains(const Key& key) const {
    Node* x = FindGreaterOrEqual(key, nullptr);
    return x != nullptr && Equal(key, x->key);
  }

  // Iterates over the list; valid only while the list lives.
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list), node_(nullptr) {}

    bool Valid() const { return node_ != nullptr; }
    // REQUIRES: Valid()
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    // Moves to the last entry before the current one (O(log n): there are no back links).
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) node_ = nullptr;
    }
    // First entry >= target.
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) node_ = nullptr;
    }

   private:
    const SkipList* list_;
    Node* node_;
  };

 private:
  struct Node {
    explicit Node(const Key& k) : key(k) {}
    // Set once, before the node is linked (Reserve); never changed after.
    Key key;
    void SetKey(const Key& k) { key = k; }

    Node* Next(int level) { return Link(level)->load(std::memory_order_acquire); }
    void SetNext(int level, Node* node) { Link(level)->store(node, std::memory_order_release); }
    Node* NoBarrierNext(int level) { return Link(level)->load(std::memory_order_relaxed); }
    void NoBarrierSetNext(int level, Node* node) {
      Link(level)->store(node, std::memory_order_relaxed);
    }
    // The links live in the node's allocation, one per level, starting at next_.
    std::atomic<Node*>* Link(int level) { return next_ + level; }

    // Sized at allocation to the node's height; index 0 is the bottom level.
    std::atomic<Node*> next_[1];
  };

  // A node of `height` with `extra` bytes after its links.
  Node* NewNode(const Key& key, int height, size_t extra) {
    char* memory =
        arena_->AllocateAligned(sizeof(Node) + sizeof(std::atomic<Node*>) * (height - 1) + extra);
    Node* node = new (memory) Node(key);
    for (int i = 1; i < height; ++i) new (node->Link(i)) std::atomic<Node*>(nullptr);
    return node;
  }

  // Links `node` (of `height`) into the list. REQUIRES: its key is not in the list; one writer.
  void Link(Node* node, int height) {
    Node* prev[kMaxHeight];
    Node* x = FindGreaterOrEqual(node->key, prev);
    assert(x == nullptr || !Equal(node->key, x->key));
    (void)x;
    const int max_height = GetMaxHeight();
    if (height > max_height) {
      for (int i = max_height; i < height; ++i) prev[i] = head_;
      // Readers that see the new height before the node find head_'s null links at those
      // levels and simply drop to a lower level, so relaxed is enough here.
      max_height_.store(height, std::memory_order_relaxed);
    }
    for (int i = 0; i < height; ++i) {
      // The node is not yet reachable: plain stores of its own links suffice; the release
      // store into prev[i] publishes it.
      node->NoBarrierSetNext(i, prev[i]->NoBarrierNext(i));
      prev[i]->SetNext(i, node);
    }
  }

  int GetMaxHeight() const { return max_height_.load(std::memory_order_relaxed); }

  // Height h with probability (1/4)^(h-1), capped at kMaxHeight.
  int RandomHeight() {
    int height = 1;
    while (height < kMaxHeight && (NextRandom() & 3) == 0) ++height;
    return height;
  }

  // xorshift64*: fast, deterministic, good enough for level choice.
  uint64_t NextRandom() {
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return (rng_ * 0x2545F4914F6CDD1DULL) >> 32;
  }

  bool Equal(const Key& a, const Key& b) const { return compare_(a, b) == 0; }
  bool KeyIsAfterNode(const Key& key, Node* n) const {
    return n != nullptr && compare_(n->key, key) < 0;
  }

  // The first node >= key, or null. Fills prev[level] with the last node < key at each level.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const {
    Node* x = head_;
    int level = GetMaxHeight() - 1;
    while (true) {
      Node* next = x->Next(level);
      // The node one level down is the next one read whenever `next` is not passed: fetch it
      // while `next` is compared, so the two cache misses overlap.
      if (level > 0) __builtin_prefetch(x->NoBarrierNext(level - 1));
      if (KeyIsAfterNode(key, next)) {
        x = next;
      } else {
        if (prev != nullptr) prev[level] = x;
        if (level == 0) return next;
        --level;
      }
    }
  }

  // The last node < key, or head_.
  Node* FindLessThan(const Key& key) const {
    Node* x = head_;
    int level = GetMaxHeight() - 1;
    while (true) {
      Node* next = x->Next(level);
      if (next == nullptr || compare_(next->key, key) >= 0) {
        if (level == 0) return x;
        --level;
      } else {
        x = next;
      }
    }
  }

  // The last node, or head_.
  Node* FindLast() const {
    Node* x = head_;
    int level = GetMaxHeight() - 1;
    while (true) {
      Node* next = x->Next(level);
      if (next == nullptr) {
        if (level == 0) return x;
        --level;
      } else {
        x = next;
      }
    }
  }

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  uint64_t rng_ = 0x9E3779B97F4A7C15ULL;
};

}  // namespace shale::storage
