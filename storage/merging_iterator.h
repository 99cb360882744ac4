// Iterators built from other iterators (iterator.h), used by SCAN, flush and, later,
// compaction:
//
// - NewMergingIterator: a k-way merge of children that each yield internal keys in order
//   (memtables, SSTables). The result yields every entry of every child in internal-key order
//   (storage key ascending, then sequence descending). Children are given newest source first;
//   when two children hold the very same internal key, the entry of the earlier child comes
//   first, so "newest source wins" holds even for identical keys.
//
// - NewVisibleIterator: over a merged sequence, yields for each storage key only its newest
//   version with sequence <= `snapshot`: versions written after the snapshot are hidden, older
//   versions are shadowed. Tombstones are yielded (the caller decides what a tombstone or an
//   entry dead by FLUSHDB means), so a flush keeps the tombstones it must keep and a scan skips
//   them. key() is the internal key of that version, value() its value.
//
// Errors: when a child stops with a non-OK status() the merged iterator stops as well (Valid()
// false) and reports that status, so a damaged table ends a scan with an error instead of
// silently leaving out its keys.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "storage/iterator.h"

namespace shale::storage {

// Takes ownership of `children` (newest source first). No child may be null.
std::unique_ptr<Iterator> NewMergingIterator(std::vector<std::unique_ptr<Iterator>> children);

// Takes ownership of `input`, an iterator in internal-key order.
std::unique_ptr<Iterator> NewVisibleIterator(std::unique_ptr<Iterator> input, uint64_t snapshot);

}  // namespace shale::storage
