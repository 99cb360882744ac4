// Lists on the keyspace (Redis's t_list.c semantics): a list is a metadata record (version, size,
// head, tail: format.h) and one sub-key per element at index head .. tail - 1. Pushes and pops
// move head or tail; every command's writes are one WriteBatch. Sub-keys that leave [head, tail)
// (pops, LTRIM, LREM) are not deleted one by one: an index outside the range is never read, is
// written again before it re-enters the range (a push writes it), and the compaction filter
// drops it (keyspace.cc), as it drops every sub-key of a deleted, overwritten or expired list.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

namespace {

// Redis's LRANGE/LTRIM clamping of [start, stop] to a list of `size`: false when empty.
bool ClampRange(int64_t start, int64_t stop, uint64_t size, uint64_t* from, uint64_t* n) {
  const auto len = static_cast<int64_t>(size);
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return false;
  if (stop >= len) stop = len - 1;
  *from = static_cast<uint64_t>(start);
  *n = static_cast<uint64_t>(stop - start + 1);
  return true;
}

Status MissingElement() {
  spdlog::error("keyspace: a list element is missing");
  return Status::Corruption("list element missing");
}

}  // namespace

// --- list helpers ---

Status Keyspace::ReadList(int db, std::string_view key, const CompositeMeta& meta, uint64_t from,
                          uint64_t n, std::vector<std::string>* values) {
  values->reserve(values->size() + n);
  std::string want;
  if (n == 1) {
    MakeListKey(db, key, meta.version, meta.head + from, &want);
    std::string value;
    Status s = db_->Get(want, &value);
    if (s.IsNotFound()) return MissingElement();
    if (!s.ok()) return s;
    values->push_back(std::move(value));
    return Status::Ok();
  }
  std::string prefix;
  MakeSubKeyPrefix(db, key, meta.version, &prefix);
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(prefix, &it);
  if (!s.ok()) return s;
  MakeListKey(db, key, meta.version, meta.head + from, &want);
  it->Seek(want);
  for (uint64_t i = 0; i < n; ++i, it->Next()) {
    MakeListKey(db, key, meta.version, meta.head + from + i, &want);
    if (!it->Valid() || it->key() != want) {
      if (!it->status().ok()) return it->status();
      return MissingElement();
    }
    values->emplace_back(it->value());
  }
  return it->status();
}

// --- list operations ---

Status Keyspace::ListPush(int db, std::string_view key, ListEnd end,
                          const std::vector<std::string_view>& values, bool only_existing,
                          int64_t* length) {
  *length = 0;
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok()) return s;
  if (!list.exists && only_existing) return Status::Ok();
  const uint64_t version_before = last_version_;
  TakeVersion(&list);
  storage::WriteBatch batch;
  std::string sub;
  for (std::string_view value : values) {
    const uint64_t index = end == ListEnd::kLeft ? --list.meta.head : list.meta.tail++;
    MakeListKey(db, key, list.meta.version, index, &sub);
    batch.Put(sub, value);
    list.meta.size++;
  }
  AddListMeta(db, key, &list, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  *length = static_cast<int64_t>(list.meta.size);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListPop(int db, std::string_view key, ListEnd end, uint64_t count,
                         std::vector<std::string>* values, bool* found) {
  *found = false;
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  *found = true;
  const uint64_t n = std::min(count, list.meta.size);
  if (n == 0) return Status::Ok();
  const uint64_t from = end == ListEnd::kLeft ? 0 : list.meta.size - n;
  const size_t first = values->size();
  s = ReadList(db, key, list.meta, from, n, values);
  if (!s.ok()) return s;
  if (end == ListEnd::kRight) {
    std::reverse(values->begin() + static_cast<ptrdiff_t>(first), values->end());
  }
  if (end == ListEnd::kLeft) {
    list.meta.head += n;
  } else {
    list.meta.tail -= n;
  }
  list.meta.size -= n;
  storage::WriteBatch batch;
  AddListMeta(db, key, &list, &batch);
  s = Apply(batch);
  if (!s.ok()) {
    values->resize(first);
    return s;
  }
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListLength(int db, std::string_view key, int64_t* length) {
  return CompositeSize(db, key, ValueType::kList, length);
}

Status Keyspace::ListRange(int db, std::string_view key, int64_t start, int64_t stop,
                           std::vector<std::string>* values) {
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  uint64_t from = 0, n = 0;
  if (!ClampRange(start, stop, list.meta.size, &from, &n)) return Status::Ok();
  return ReadList(db, key, list.meta, from, n, values);
}

Status Keyspace::ListIndex(int db, std::string_view key, int64_t index, std::string* value) {
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok()) return s;
  if (!list.exists) return Status::NotFound();
  const auto len = static_cast<int64_t>(list.meta.size);
  if (index < 0) index += len;
  if (index < 0 || index >= len) return Status::NotFound();
  std::vector<std::string> values;
  s = ReadList(db, key, list.meta, static_cast<uint64_t>(index), 1, &values);
  if (!s.ok()) return s;
  *value = std::move(values[0]);
  return Status::Ok();
}

Status Keyspace::ListSet(int db, std::string_view key, int64_t index, std::string_view value,
                         ListSetResult* result) {
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok()) return s;
  if (!list.exists) {
    *result = ListSetResult::kNoSuchKey;
    return Status::Ok();
  }
  const auto len = static_cast<int64_t>(list.meta.size);
  if (index < 0) index += len;
  if (index < 0 || index >= len) {
    *result = ListSetResult::kOutOfRange;
    return Status::Ok();
  }
  storage::WriteBatch batch;
  std::string sub;
  MakeListKey(db, key, list.meta.version, list.meta.head + static_cast<uint64_t>(index), &sub);
  batch.Put(sub, value);
  s = Apply(batch);
  if (!s.ok()) return s;
  *result = ListSetResult::kOk;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListInsert(int db, std::string_view key, bool before, std::string_view pivot,
                            std::string_view value, int64_t* length) {
  *length = 0;
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  std::vector<std::string> values;
  s = ReadList(db, key, list.meta, 0, list.meta.size, &values);
  if (!s.ok()) return s;
  const auto found = std::find(values.begin(), values.end(), pivot);
  if (found == values.end()) {
    *length = -1;
    return Status::Ok();
  }
  // The new element takes position q; the shorter side of the list moves over by one.
  const auto q = static_cast<uint64_t>(found - values.begin()) + (before ? 0 : 1);
  const uint64_t size = list.meta.size;
  storage::WriteBatch batch;
  std::string sub;
  const uint64_t v = list.meta.version;
  if (q < size - q) {
    list.meta.head--;
    for (uint64_t i = 0; i < q; ++i) {
      MakeListKey(db, key, v, list.meta.head + i, &sub);
      batch.Put(sub, values[i]);
    }
  } else {
    for (uint64_t i = q; i < size; ++i) {
      MakeListKey(db, key, v, list.meta.head + i + 1, &sub);
      batch.Put(sub, values[i]);
    }
    list.meta.tail++;
  }
  MakeListKey(db, key, v, list.meta.head + q, &sub);
  batch.Put(sub, value);
  list.meta.size++;
  AddListMeta(db, key, &list, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  *length = static_cast<int64_t>(list.meta.size);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListRemove(int db, std::string_view key, int64_t count, std::string_view value,
                            int64_t* removed) {
  *removed = 0;
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  std::vector<std::string> values;
  s = ReadList(db, key, list.meta, 0, list.meta.size, &values);
  if (!s.ok()) return s;
  const uint64_t size = values.size();
  std::vector<bool> drop(size, false);
  const uint64_t limit =
      count == 0 ? UINT64_MAX
                 : (count > 0 ? static_cast<uint64_t>(count) : 0 - static_cast<uint64_t>(count));
  uint64_t n = 0;
  for (uint64_t k = 0; k < size && n < limit; ++k) {
    const uint64_t i = count < 0 ? size - 1 - k : k;
    if (values[i] == value) {
      drop[i] = true;
      ++n;
    }
  }
  if (n == 0) return Status::Ok();
  // Positions from the first removed one on are rewritten, closing the gaps.
  uint64_t first = 0;
  while (!drop[first]) ++first;
  storage::WriteBatch batch;
  std::string sub;
  uint64_t at = first;
  for (uint64_t i = first; i < size; ++i) {
    if (drop[i]) continue;
    MakeListKey(db, key, list.meta.version, list.meta.head + at++, &sub);
    batch.Put(sub, values[i]);
  }
  list.meta.size -= n;
  list.meta.tail = list.meta.head + list.meta.size;
  AddListMeta(db, key, &list, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  *removed = static_cast<int64_t>(n);
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListTrim(int db, std::string_view key, int64_t start, int64_t stop) {
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  uint64_t from = 0, n = 0;
  if (!ClampRange(start, stop, list.meta.size, &from, &n)) n = 0;
  if (from == 0 && n == list.meta.size) return Status::Ok();
  list.meta.head += from;
  list.meta.tail = list.meta.head + n;
  list.meta.size = n;
  storage::WriteBatch batch;
  AddListMeta(db, key, &list, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::ListPositions(int db, std::string_view key, std::string_view value,
                               const ListPosOptions& options, std::vector<int64_t>* positions) {
  CompositeRef list;
  Status s = LoadList(db, key, &list);
  if (!s.ok() || !list.exists) return s;
  const uint64_t size = list.meta.size;
  const uint64_t scan = options.maxlen == 0 ? size : std::min(options.maxlen, size);
  const bool from_tail = options.rank < 0;
  std::vector<std::string> values;
  s = ReadList(db, key, list.meta, from_tail ? size - scan : 0, scan, &values);
  if (!s.ok()) return s;
  // Matches to skip before the first one reported.
  const uint64_t skip =
      (from_tail ? 0 - static_cast<uint64_t>(options.rank) : static_cast<uint64_t>(options.rank)) -
      1;
  uint64_t seen = 0;
  for (uint64_t k = 0; k < scan; ++k) {
    const uint64_t i = from_tail ? scan - 1 - k : k;
    if (values[i] != value) continue;
    if (seen++ < skip) continue;
    const uint64_t position = from_tail ? size - scan + i : i;
    positions->push_back(static_cast<int64_t>(position));
    if (options.count != 0 && positions->size() >= options.count) break;
  }
  return Status::Ok();
}

Status Keyspace::ListMove(int db, std::string_view source, std::string_view destination,
                          ListEnd from, ListEnd to, std::string* value, bool* found) {
  *found = false;
  CompositeRef src;
  Status s = LoadList(db, source, &src);
  if (!s.ok() || !src.exists) return s;
  const bool same = source == destination;
  CompositeRef dst_list;
  if (!same) {
    s = LoadList(db, destination, &dst_list);
    if (!s.ok()) return s;
  }
  std::vector<std::string> values;
  s = ReadList(db, source, src.meta, from == ListEnd::kLeft ? 0 : src.meta.size - 1, 1, &values);
  if (!s.ok()) return s;
  if (from == ListEnd::kLeft) {
    src.meta.head++;
  } else {
    src.meta.tail--;
  }
  src.meta.size--;
  CompositeRef& dst = same ? src : dst_list;
  const uint64_t version_before = last_version_;
  TakeVersion(&dst);
  const uint64_t index = to == ListEnd::kLeft ? --dst.meta.head : dst.meta.tail++;
  dst.meta.size++;
  storage::WriteBatch batch;
  std::string sub;
  MakeListKey(db, destination, dst.meta.version, index, &sub);
  batch.Put(sub, values[0]);
  AddListMeta(db, source, &src, &batch);
  if (!same) AddListMeta(db, destination, &dst, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  *value = std::move(values[0]);
  *found = true;
  Modified(db, source);
  if (!same) Modified(db, destination);
  return Status::Ok();
}

}  // namespace shale::keyspace
