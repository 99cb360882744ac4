// Streams on the keyspace (Redis 7.0's t_stream.c semantics): a stream is a metadata record
// (version, length and StreamMeta: format.h) and sub-keys under its version, each starting with a
// tag byte: entries ('e', ordered by ID, so XRANGE is one range scan of the engine), consumer
// groups ('g'), consumers ('c') and the groups' pending entries lists ('p', ordered by ID). Every
// command's writes are one WriteBatch. A deleted, overwritten or expired stream leaves its
// sub-keys to the compaction filter (keyspace.cc), as every composite type does.
//
// Costs: XADD is one write (plus the trimming's deletes); XRANGE reads the entries it returns;
// XDEL is one point read per ID; group, consumer and pending records are point reads. A
// consumer's pending entries are found by one scan of its group's PEL (the PEL has no index by
// consumer), so XREADGROUP's history and XGROUP DELCONSUMER cost O(group PEL).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

namespace {

constexpr uint64_t kAttemptsFactor = 10;  // XAUTOCLAIM looks at count * 10 pending entries

void PutId(StreamId id, std::string* dst) {
  PutBigEndian64(id.ms, dst);
  PutBigEndian64(id.seq, dst);
}
StreamId GetId(const char* p) { return {GetBigEndian64(p), GetBigEndian64(p + 8)}; }

void PutU32BigEndian(uint32_t v, std::string* dst) {
  for (int shift = 24; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(v >> shift));
}

std::string EntryKey(const std::string& prefix, StreamId id) {
  std::string k = prefix;
  k.push_back(kStreamEntryTag);
  PutId(id, &k);
  return k;
}
std::string EntriesPrefix(const std::string& prefix) { return prefix + kStreamEntryTag; }
std::string GroupKey(const std::string& prefix, std::string_view group) {
  std::string k = prefix;
  k.push_back(kStreamGroupTag);
  k.append(group);
  return k;
}
// The prefix of the sub-keys of `tag` ('c' or 'p') of `group`.
std::string GroupScopedPrefix(const std::string& prefix, char tag, std::string_view group) {
  std::string k = prefix;
  k.push_back(tag);
  PutU32BigEndian(static_cast<uint32_t>(group.size()), &k);
  k.append(group);
  return k;
}
std::string ConsumerKey(const std::string& prefix, std::string_view group,
                        std::string_view consumer) {
  std::string k = GroupScopedPrefix(prefix, kStreamConsumerTag, group);
  k.append(consumer);
  return k;
}
std::string PendingKey(const std::string& prefix, std::string_view group, StreamId id) {
  std::string k = GroupScopedPrefix(prefix, kStreamPendingTag, group);
  PutId(id, &k);
  return k;
}

void EncodeFields(const std::vector<std::string_view>& fields, std::string* dst) {
  storage::PutVarint32(dst, static_cast<uint32_t>(fields.size()));
  for (std::string_view f : fields) storage::PutLengthPrefixed(dst, f);
}
bool DecodeFields(std::string_view value, std::vector<std::string>* fields) {
  uint32_t n = 0;
  if (!storage::GetVarint32(&value, &n)) return false;
  fields->clear();
  fields->reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    std::string_view f;
    if (!storage::GetLengthPrefixed(&value, &f)) return false;
    fields->emplace_back(f);
  }
  return value.empty();
}

void EncodeGroup(const StreamGroup& g, std::string* dst) {
  dst->clear();
  storage::PutFixed64(dst, g.last_id.ms);
  storage::PutFixed64(dst, g.last_id.seq);
  storage::PutFixed64(dst, static_cast<uint64_t>(g.entries_read));
  storage::PutFixed64(dst, g.pending);
  storage::PutFixed64(dst, g.consumers);
}
bool DecodeGroup(std::string_view value, StreamGroup* g) {
  if (value.size() != 40) return false;
  g->last_id.ms = storage::DecodeFixed64(value.data());
  g->last_id.seq = storage::DecodeFixed64(value.data() + 8);
  g->entries_read = static_cast<int64_t>(storage::DecodeFixed64(value.data() + 16));
  g->pending = storage::DecodeFixed64(value.data() + 24);
  g->consumers = storage::DecodeFixed64(value.data() + 32);
  return true;
}
void EncodeConsumer(const StreamConsumer& c, std::string* dst) {
  dst->clear();
  storage::PutFixed64(dst, c.seen_ms);
  storage::PutFixed64(dst, c.pending);
}
bool DecodeConsumer(std::string_view value, StreamConsumer* c) {
  if (value.size() != 16) return false;
  c->seen_ms = storage::DecodeFixed64(value.data());
  c->pending = storage::DecodeFixed64(value.data() + 8);
  return true;
}
void EncodePending(const StreamPending& p, std::string* dst) {
  dst->clear();
  storage::PutFixed64(dst, p.delivered_ms);
  storage::PutFixed64(dst, p.deliveries);
  dst->append(p.consumer);
}
bool DecodePending(std::string_view value, StreamPending* p) {
  if (value.size() < 16) return false;
  p->delivered_ms = storage::DecodeFixed64(value.data());
  p->deliveries = storage::DecodeFixed64(value.data() + 8);
  p->consumer.assign(value.substr(16));
  return true;
}

// The engine iterates forward only; the greatest ID under a prefix is found by galloping down
// from the upper bound (windows doubling in the 128-bit ID space) until a window holds one,
// then bisecting inside it: O(log gap) seeks, one seek when the previous ID is adjacent.
using IdSpace = unsigned __int128;
IdSpace ToSpace(StreamId id) { return (static_cast<IdSpace>(id.ms) << 64) | id.seq; }
StreamId FromSpace(IdSpace v) { return {static_cast<uint64_t>(v >> 64), static_cast<uint64_t>(v)}; }

// The first ID >= `at` under `scoped` (keys scoped + 16-byte ID), if any.
bool SeekId(storage::Iterator* it, const std::string& scoped, IdSpace at, IdSpace* found) {
  std::string k = scoped;
  PutId(FromSpace(at), &k);
  it->Seek(k);
  if (!it->Valid()) return false;
  const std::string_view key = it->key();
  if (key.substr(0, scoped.size()) != scoped || key.size() != scoped.size() + 16) return false;
  *found = ToSpace(GetId(key.data() + scoped.size()));
  return true;
}

// The greatest ID in [low, high] under `scoped`; false when there is none.
bool FindLastId(storage::Iterator* it, const std::string& scoped, StreamId low, StreamId high,
                StreamId* out) {
  const IdSpace lo_bound = ToSpace(low);
  const IdSpace hi = ToSpace(high);
  if (lo_bound > hi) return false;
  IdSpace step = 1;
  IdSpace found = 0;
  IdSpace lo = 0;
  for (;;) {
    // The window [hi - (step - 1), hi], clamped at lo_bound.
    // (A saturated step stands for the whole space.)
    lo = step == ~IdSpace{0} || hi - lo_bound <= step - 1 ? lo_bound : hi - (step - 1);
    if (SeekId(it, scoped, lo, &found) && found <= hi) break;
    if (lo == lo_bound) return false;
    step = step > (~IdSpace{0} >> 1) ? ~IdSpace{0} : step << 1;
  }
  // `found` is in [lo, hi]; bisect (found, hi] for a greater one.
  IdSpace best = found;
  IdSpace a = best + 1;
  IdSpace b = hi;
  while (best != hi && a <= b) {
    const IdSpace mid = a + (b - a) / 2;
    if (SeekId(it, scoped, mid, &found) && found <= b) {
      best = found;
      if (found == b) break;
      a = found + 1;
    } else {
      if (mid == a) break;
      b = mid - 1;
    }
  }
  *out = FromSpace(best);
  return true;
}

Status Malformed(std::string_view what) {
  spdlog::error("keyspace: malformed stream {}", what);
  return Status::Corruption("malformed stream " + std::string(what));
}

// Redis's streamEstimateDistanceFromFirstEverEntry: the entries-read counter of `id`, or -1
// when it cannot be known.
int64_t EstimateEntriesRead(uint64_t length, const StreamMeta& m, StreamId id) {
  if (m.entries_added == 0) return 0;
  const auto added = static_cast<int64_t>(m.entries_added);
  if (length == 0 && id <= m.last_id) return added;
  if (id == m.last_id) return added;
  if (id > m.last_id) return -1;
  if (m.max_deleted.IsZero() || m.max_deleted < m.first_id) {
    if (id < m.first_id) return added - static_cast<int64_t>(length);
    if (id == m.first_id) return added - static_cast<int64_t>(length) + 1;
  }
  return -1;
}
// Redis's streamRangeHasTombstones for [start, +inf].
bool HasTombstonesFrom(uint64_t length, const StreamMeta& m, StreamId start) {
  if (length == 0 || m.max_deleted.IsZero()) return false;
  if (m.first_id > m.max_deleted) return false;
  return start <= m.max_deleted;
}

}  // namespace

Status Keyspace::StreamSeekEntry(const std::string& prefix, StreamId from, bool reverse,
                                 StreamId* id, bool* found) {
  *found = false;
  const std::string entries = EntriesPrefix(prefix);
  std::unique_ptr<storage::Iterator> it;
  Status s = NewSubKeyIterator(entries, &it);
  if (!s.ok()) return s;
  if (reverse) {
    *found = FindLastId(it.get(), entries, StreamId{}, from, id);
  } else {
    IdSpace at = 0;
    *found = SeekId(it.get(), entries, ToSpace(from), &at);
    if (*found) *id = FromSpace(at);
  }
  return it->status();
}

Status Keyspace::StreamRange(int db, std::string_view key, StreamId start, StreamId end,
                             bool reverse, uint64_t count, std::vector<StreamEntry>* out) {
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  if (!s.ok() || !stream.exists || start > end) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  const std::string entries = EntriesPrefix(prefix);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(entries, &it);
  if (!s.ok()) return s;
  const std::string low = EntryKey(prefix, start);
  const std::string high = EntryKey(prefix, end);
  // Reverse with no COUNT (or a large one): one forward scan of the range, reversed. Otherwise
  // each entry is found down from the previous one (FindLastId).
  constexpr uint64_t kBackwardSearchMax = 64;
  if (reverse && count != 0 && count <= kBackwardSearchMax) {
    StreamId hi = end;
    std::string value;
    while (out->size() < count) {
      StreamId id;
      if (!FindLastId(it.get(), entries, start, hi, &id)) break;
      s = db_->Get(EntryKey(prefix, id), &value);
      if (!s.ok()) return s.IsNotFound() ? Malformed("entry missing") : s;
      StreamEntry entry;
      entry.id = id;
      if (!DecodeFields(value, &entry.fields)) return Malformed("entry");
      out->push_back(std::move(entry));
      if (id == start || id.IsZero()) break;
      if (id.seq == 0) {
        hi = {id.ms - 1, UINT64_MAX};
      } else {
        hi = {id.ms, id.seq - 1};
      }
    }
    return it->status();
  }
  const size_t first = out->size();
  for (it->Seek(low); it->Valid() && (reverse || count == 0 || out->size() - first < count);
       it->Next()) {
    const std::string_view k = it->key();
    if (k.substr(0, entries.size()) != entries || k > high) break;
    if (k.size() != entries.size() + 16) return Malformed("entry key");
    StreamEntry entry;
    entry.id = GetId(k.data() + entries.size());
    if (!DecodeFields(it->value(), &entry.fields)) return Malformed("entry");
    out->push_back(std::move(entry));
  }
  if (!it->status().ok()) return it->status();
  if (reverse) {
    std::reverse(out->begin() + static_cast<ptrdiff_t>(first), out->end());
    if (count != 0 && out->size() - first > count) {
      out->resize(first + count);
    }
  }
  return Status::Ok();
}

namespace {

// How many of the first entries (ascending) trimming removes: `limit_n` caps it; `count_below`
// is the number of entries below MINID (computed by the caller).
uint64_t TrimCount(const StreamTrimSpec& spec, uint64_t length, uint64_t below_minid) {
  uint64_t n = 0;
  if (spec.strategy == StreamTrimSpec::Strategy::kMaxLen) {
    const auto maxlen = static_cast<uint64_t>(spec.maxlen);
    n = length > maxlen ? length - maxlen : 0;
  } else if (spec.strategy == StreamTrimSpec::Strategy::kMinId) {
    n = below_minid;
  }
  if (spec.approx) {
    const auto node = static_cast<uint64_t>(kStreamNodeEntries);
    n -= n % node;
    if (spec.limit > 0) {
      const auto cap = static_cast<uint64_t>(spec.limit);
      if (n > cap) n = cap - cap % node;
    }
  }
  return n;
}

// Trimming as a part of a batch: deletes the first entries `spec` selects. With `pending_add`
// (XADD) the entry about to be added, with an ID past the others, counts as the last one;
// *new_removed says whether the trimming removes it too (MAXLEN 0). Updates meta's size (stored
// entries only) and first ID; *removed counts all the entries removed.
Status AddTrim(
    const std::function<Status(const std::string&, std::unique_ptr<storage::Iterator>*)>& iter,
    const std::string& prefix, const StreamTrimSpec& spec, CompositeMeta* meta,
    const StreamId* pending_add, storage::WriteBatch* batch, int64_t* removed, bool* new_removed) {
  *removed = 0;
  *new_removed = false;
  const uint64_t stored = meta->size;
  if (stored == 0 && pending_add != nullptr) meta->stream.first_id = *pending_add;
  if (spec.strategy == StreamTrimSpec::Strategy::kNone) return Status::Ok();
  const std::string entries = EntriesPrefix(prefix);
  std::unique_ptr<storage::Iterator> it;
  Status s = iter(entries, &it);
  if (!s.ok()) return s;
  uint64_t below = 0;
  if (spec.strategy == StreamTrimSpec::Strategy::kMinId) {
    const std::string bound = EntryKey(prefix, spec.minid);
    for (it->Seek(entries); it->Valid(); it->Next()) {
      const std::string_view k = it->key();
      if (k.substr(0, entries.size()) != entries || k >= bound) break;
      ++below;
    }
    if (!it->status().ok()) return it->status();
    if (pending_add != nullptr && *pending_add < spec.minid) ++below;
  }
  const uint64_t n = TrimCount(spec, stored + (pending_add != nullptr ? 1 : 0), below);
  if (n == 0) return Status::Ok();
  uint64_t done = 0;
  bool first_found = false;
  for (it->Seek(entries); it->Valid(); it->Next()) {
    const std::string_view k = it->key();
    if (k.substr(0, entries.size()) != entries || k.size() != entries.size() + 16) break;
    if (done == n) {
      meta->stream.first_id = GetId(k.data() + entries.size());
      first_found = true;
      break;
    }
    batch->Delete(k);
    ++done;
  }
  if (!it->status().ok()) return it->status();
  meta->size -= std::min(done, meta->size);
  if (!first_found && pending_add != nullptr) {
    if (done < n) {
      *new_removed = true;
      ++done;
    } else {
      meta->stream.first_id = *pending_add;
      first_found = true;
    }
  }
  if (!first_found) meta->stream.first_id = StreamId{};  // emptied
  *removed = static_cast<int64_t>(done);
  return Status::Ok();
}

}  // namespace

Status Keyspace::StreamAdd(int db, std::string_view key, const StreamAddSpec& spec,
                           const std::vector<std::string_view>& fields, StreamAddResult* result) {
  *result = StreamAddResult();
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  if (!s.ok()) return s;
  if (!stream.exists && spec.no_mkstream) {
    result->absent = true;
    return Status::Ok();
  }
  StreamMeta& m = stream.meta.stream;
  if (m.last_id == kMaxStreamId) {
    result->error = "ERR The stream has exhausted the last possible ID, unable to add more items";
    return Status::Ok();
  }
  StreamId id;
  if (!spec.id_given) {
    const uint64_t now = NowMs();
    if (now > m.last_id.ms) {
      id = {now, 0};
    } else {
      id = m.last_id;
      if (id.seq == UINT64_MAX) {
        id.ms++;
        id.seq = 0;
      } else {
        id.seq++;
      }
    }
  } else if (!spec.seq_given) {
    id.ms = spec.id.ms;
    if (id.ms == m.last_id.ms) {
      if (m.last_id.seq == UINT64_MAX) {
        result->error =
            "ERR The ID specified in XADD is equal or smaller than the target stream top item";
        return Status::Ok();
      }
      id.seq = m.last_id.seq + 1;
    } else if (id.ms > m.last_id.ms) {
      id.seq = 0;
    } else {
      result->error =
          "ERR The ID specified in XADD is equal or smaller than the target stream top item";
      return Status::Ok();
    }
  } else {
    id = spec.id;
    if (id <= m.last_id) {
      result->error =
          "ERR The ID specified in XADD is equal or smaller than the target stream top item";
      return Status::Ok();
    }
  }
  const uint64_t version_before = last_version_;
  TakeVersion(&stream);
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  storage::WriteBatch batch;
  // The entry goes in, then the trimming runs (and may remove it as well: MAXLEN 0).
  int64_t trimmed = 0;
  bool new_removed = false;
  s = AddTrim([this](const std::string& p,
                     std::unique_ptr<storage::Iterator>* it) { return NewSubKeyIterator(p, it); },
              prefix, spec.trim, &stream.meta, &id, &batch, &trimmed, &new_removed);
  if (!s.ok()) {
    last_version_ = version_before;
    return s;
  }
  if (!new_removed) {
    std::string value;
    EncodeFields(fields, &value);
    batch.Put(EntryKey(prefix, id), value);
    stream.meta.size++;
  }
  m.last_id = id;
  m.entries_added++;
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  result->id = id;
  result->trimmed = trimmed;
  result->length = stream.meta.size;
  result->first_id = m.first_id;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamTrim(int db, std::string_view key, const StreamTrimSpec& spec,
                            int64_t* removed, bool* exists, uint64_t* length, StreamId* first_id) {
  *removed = 0;
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  *exists = stream.exists;
  if (!s.ok() || !stream.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  storage::WriteBatch batch;
  bool new_removed = false;
  s = AddTrim([this](const std::string& p,
                     std::unique_ptr<storage::Iterator>* it) { return NewSubKeyIterator(p, it); },
              prefix, spec, &stream.meta, nullptr, &batch, removed, &new_removed);
  if (!s.ok()) return s;
  *length = stream.meta.size;
  *first_id = stream.meta.stream.first_id;
  if (*removed == 0) return Status::Ok();
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamDelete(int db, std::string_view key, const std::vector<StreamId>& ids,
                              int64_t* removed) {
  *removed = 0;
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  if (!s.ok() || !stream.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  storage::WriteBatch batch;
  StreamMeta& m = stream.meta.stream;
  std::vector<StreamId> done;
  bool first_deleted = false;
  std::string value;
  for (StreamId id : ids) {
    if (std::find(done.begin(), done.end(), id) != done.end()) continue;
    const std::string k = EntryKey(prefix, id);
    s = db_->Get(k, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    batch.Delete(k);
    done.push_back(id);
    if (id > m.max_deleted) m.max_deleted = id;
    if (id == m.first_id) first_deleted = true;
  }
  if (done.empty()) return Status::Ok();
  stream.meta.size -= std::min<uint64_t>(done.size(), stream.meta.size);
  if (stream.meta.size == 0) {
    m.first_id = StreamId{};
  } else if (first_deleted) {
    // The first entry after the deleted ones (those are still in the engine until the batch).
    const std::string entries = EntriesPrefix(prefix);
    std::unique_ptr<storage::Iterator> it;
    s = NewSubKeyIterator(entries, &it);
    if (!s.ok()) return s;
    bool found = false;
    for (it->Seek(EntryKey(prefix, m.first_id)); it->Valid(); it->Next()) {
      const std::string_view k = it->key();
      if (k.substr(0, entries.size()) != entries || k.size() != entries.size() + 16) break;
      const StreamId id = GetId(k.data() + entries.size());
      if (std::find(done.begin(), done.end(), id) != done.end()) continue;
      m.first_id = id;
      found = true;
      break;
    }
    if (!it->status().ok()) return it->status();
    if (!found) return Malformed("length");
  }
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  *removed = static_cast<int64_t>(done.size());
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamSetId(int db, std::string_view key, StreamId id, int64_t entries_added,
                             StreamId max_deleted, std::string* error) {
  error->clear();
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  if (!s.ok()) return s;
  if (!stream.exists) return Status::NotFound();
  StreamMeta& m = stream.meta.stream;
  if (stream.meta.size > 0) {
    if (entries_added != -1 && stream.meta.size > static_cast<uint64_t>(entries_added)) {
      *error = "ERR The entries_added specified in XSETID is smaller than the target stream length";
      return Status::Ok();
    }
    std::string prefix;
    MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
    StreamId top;
    bool found = false;
    s = StreamSeekEntry(prefix, kMaxStreamId, true, &top, &found);
    if (!s.ok()) return s;
    if (found && id < top) {
      *error = "ERR The ID specified in XSETID is smaller than the target stream top item";
      return Status::Ok();
    }
  }
  m.last_id = id;
  if (entries_added != -1) m.entries_added = static_cast<uint64_t>(entries_added);
  if (!max_deleted.IsZero()) m.max_deleted = max_deleted;
  storage::WriteBatch batch;
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamState(int db, std::string_view key, StreamInfo* info, bool* exists) {
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  *exists = stream.exists;
  if (!s.ok() || !stream.exists) return s;
  info->length = stream.meta.size;
  info->meta = stream.meta.stream;
  return Status::Ok();
}

// --- consumer groups ---

Status Keyspace::LoadStreamGroup(int db, std::string_view key, std::string_view group,
                                 CompositeRef* stream, StreamGroup* out, std::string* prefix,
                                 StreamGroupStatus* status) {
  *status = StreamGroupStatus::kOk;
  Status s = LoadStream(db, key, stream);
  if (!s.ok()) return s;
  if (!stream->exists) {
    *status = StreamGroupStatus::kNoKey;
    return Status::Ok();
  }
  MakeSubKeyPrefix(db, key, stream->meta.version, prefix);
  std::string value;
  s = db_->Get(GroupKey(*prefix, group), &value);
  if (s.IsNotFound()) {
    *status = StreamGroupStatus::kNoGroup;
    return Status::Ok();
  }
  if (!s.ok()) return s;
  if (!DecodeGroup(value, out)) return Malformed("group");
  out->name.assign(group);
  return Status::Ok();
}

Status Keyspace::StreamGroupOf(int db, std::string_view key, std::string_view group,
                               StreamGroup* out, StreamGroupStatus* status) {
  CompositeRef stream;
  std::string prefix;
  return LoadStreamGroup(db, key, group, &stream, out, &prefix, status);
}

Status Keyspace::StreamGroupCreate(int db, std::string_view key, std::string_view group,
                                   const StreamId* id, bool mkstream, int64_t entries_read,
                                   StreamGroupStatus* status) {
  *status = StreamGroupStatus::kOk;
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  if (!s.ok()) return s;
  if (!stream.exists && !mkstream) {
    *status = StreamGroupStatus::kNoKey;
    return Status::Ok();
  }
  const uint64_t version_before = last_version_;
  TakeVersion(&stream);
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  const std::string gk = GroupKey(prefix, group);
  if (stream.exists) {
    std::string value;
    s = db_->Get(gk, &value);
    if (s.ok()) {
      *status = StreamGroupStatus::kExists;
      return Status::Ok();
    }
    if (!s.IsNotFound()) return s;
  }
  StreamGroup g;
  g.last_id = id != nullptr ? *id : stream.meta.stream.last_id;
  g.entries_read = entries_read;
  std::string value;
  EncodeGroup(g, &value);
  storage::WriteBatch batch;
  batch.Put(gk, value);
  stream.meta.stream.groups++;
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamGroupSetId(int db, std::string_view key, std::string_view group,
                                  const StreamId* id, int64_t entries_read,
                                  StreamGroupStatus* status) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk) return s;
  g.last_id = id != nullptr ? *id : stream.meta.stream.last_id;
  g.entries_read = entries_read;
  std::string value;
  EncodeGroup(g, &value);
  storage::WriteBatch batch;
  batch.Put(GroupKey(prefix, group), value);
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamGroupDestroy(int db, std::string_view key, std::string_view group,
                                    StreamGroupStatus* status) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk) return s;
  storage::WriteBatch batch;
  batch.Delete(GroupKey(prefix, group));
  // Its consumers and pending entries.
  for (char tag : {kStreamConsumerTag, kStreamPendingTag}) {
    const std::string scoped = GroupScopedPrefix(prefix, tag, group);
    std::unique_ptr<storage::Iterator> it;
    s = NewSubKeyIterator(scoped, &it);
    if (!s.ok()) return s;
    for (it->Seek(scoped); it->Valid(); it->Next()) {
      if (it->key().substr(0, scoped.size()) != scoped) break;
      batch.Delete(it->key());
    }
    if (!it->status().ok()) return it->status();
  }
  if (stream.meta.stream.groups > 0) stream.meta.stream.groups--;
  AddCompositeMeta(db, key, ValueType::kStream, &stream, &batch);
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamLoadConsumer(const std::string& prefix, std::string_view group,
                                    std::string_view consumer,
                                    std::map<std::string, StreamConsumer>* map, bool create,
                                    bool* exists) {
  auto it = map->find(std::string(consumer));
  if (it != map->end()) {
    *exists = true;
    return Status::Ok();
  }
  std::string value;
  Status s = db_->Get(ConsumerKey(prefix, group, consumer), &value);
  if (!s.ok() && !s.IsNotFound()) return s;
  *exists = s.ok();
  StreamConsumer c;
  c.name.assign(consumer);
  if (s.ok() && !DecodeConsumer(value, &c)) return Malformed("consumer");
  if (s.ok() || create) map->emplace(c.name, c);
  return Status::Ok();
}

namespace {

// Writes the consumers of `map` (all of them: each was read or created by the operation).
void PutConsumers(const std::string& prefix, std::string_view group,
                  const std::map<std::string, StreamConsumer>& map, storage::WriteBatch* batch) {
  std::string value;
  for (const auto& [name, c] : map) {
    EncodeConsumer(c, &value);
    batch->Put(ConsumerKey(prefix, group, name), value);
  }
}

}  // namespace

Status Keyspace::StreamConsumerCreate(int db, std::string_view key, std::string_view group,
                                      std::string_view consumer, int64_t* created,
                                      StreamGroupStatus* status) {
  *created = 0;
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk) return s;
  std::map<std::string, StreamConsumer> consumers;
  bool exists = false;
  s = StreamLoadConsumer(prefix, group, consumer, &consumers, true, &exists);
  if (!s.ok() || exists) return s;
  consumers.begin()->second.seen_ms = NowMs();
  g.consumers++;
  storage::WriteBatch batch;
  PutConsumers(prefix, group, consumers, &batch);
  std::string value;
  EncodeGroup(g, &value);
  batch.Put(GroupKey(prefix, group), value);
  s = Apply(batch);
  if (!s.ok()) return s;
  *created = 1;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamConsumerDelete(int db, std::string_view key, std::string_view group,
                                      std::string_view consumer, int64_t* pending, bool* deleted,
                                      StreamGroupStatus* status) {
  *pending = 0;
  *deleted = false;
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk) return s;
  std::string value;
  const std::string ck = ConsumerKey(prefix, group, consumer);
  s = db_->Get(ck, &value);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return s;
  storage::WriteBatch batch;
  batch.Delete(ck);
  // Its pending entries leave the group's PEL.
  const std::string scoped = GroupScopedPrefix(prefix, kStreamPendingTag, group);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(scoped, &it);
  if (!s.ok()) return s;
  uint64_t n = 0;
  StreamPending p;
  for (it->Seek(scoped); it->Valid(); it->Next()) {
    if (it->key().substr(0, scoped.size()) != scoped) break;
    if (!DecodePending(it->value(), &p)) return Malformed("pending entry");
    if (p.consumer != consumer) continue;
    batch.Delete(it->key());
    ++n;
  }
  if (!it->status().ok()) return it->status();
  g.pending -= std::min(g.pending, n);
  if (g.consumers > 0) g.consumers--;
  EncodeGroup(g, &value);
  batch.Put(GroupKey(prefix, group), value);
  s = Apply(batch);
  if (!s.ok()) return s;
  *pending = static_cast<int64_t>(n);
  *deleted = true;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamReadGroup(int db, std::string_view key, std::string_view group,
                                 std::string_view consumer, StreamId start, uint64_t count,
                                 bool noack, StreamReadGroupResult* result) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, &result->status);
  if (!s.ok() || result->status != StreamGroupStatus::kOk) return s;
  const uint64_t now = NowMs();
  std::map<std::string, StreamConsumer> consumers;
  bool exists = false;
  s = StreamLoadConsumer(prefix, group, consumer, &consumers, true, &exists);
  if (!s.ok()) return s;
  StreamConsumer& me = consumers.begin()->second;
  if (!exists) {
    result->consumer_created = true;
    g.consumers++;
  }
  me.seen_ms = now;
  storage::WriteBatch batch;
  std::string value;
  if (start == kMaxStreamId) {
    // New entries: those after the group's last ID.
    StreamId from = g.last_id;
    bool past_end = false;
    if (from.seq == UINT64_MAX) {
      if (from.ms == UINT64_MAX) {
        past_end = true;
      } else {
        from = {from.ms + 1, 0};
      }
    } else {
      from.seq++;
    }
    std::vector<StreamEntry> entries;
    if (!past_end) {
      s = StreamRange(db, key, from, kMaxStreamId, false, count, &entries);
      if (!s.ok()) return s;
    }
    const StreamMeta& m = stream.meta.stream;
    for (StreamEntry& e : entries) {
      if (e.id > g.last_id) {
        if (g.entries_read != -1 && !HasTombstonesFrom(stream.meta.size, m, e.id)) {
          g.entries_read++;
        } else if (m.entries_added != 0) {
          g.entries_read = EstimateEntriesRead(stream.meta.size, m, e.id);
        }
        g.last_id = e.id;
        result->group_advanced = true;
      }
      if (!noack) {
        StreamPending p;
        p.id = e.id;
        p.delivered_ms = now;
        p.deliveries = 1;
        const std::string pk = PendingKey(prefix, group, e.id);
        s = db_->Get(pk, &value);
        if (!s.ok() && !s.IsNotFound()) return s;
        if (s.ok()) {
          // Delivered before (the group's ID was set back): it moves to this consumer.
          StreamPending old;
          if (!DecodePending(value, &old)) return Malformed("pending entry");
          bool had = false;
          s = StreamLoadConsumer(prefix, group, old.consumer, &consumers, false, &had);
          if (!s.ok()) return s;
          if (had) {
            StreamConsumer& c = consumers[old.consumer];
            if (c.pending > 0) c.pending--;
          }
        } else {
          g.pending++;
        }
        consumers[std::string(consumer)].pending++;
        p.consumer.assign(consumer);
        EncodePending(p, &value);
        batch.Put(pk, value);
        result->delivered.push_back(p);
      }
    }
    result->entries = std::move(entries);
  } else {
    // History: this consumer's pending entries from `start`.
    const std::string scoped = GroupScopedPrefix(prefix, kStreamPendingTag, group);
    std::unique_ptr<storage::Iterator> it;
    s = NewSubKeyIterator(scoped, &it);
    if (!s.ok()) return s;
    StreamPending p;
    for (it->Seek(PendingKey(prefix, group, start));
         it->Valid() && (count == 0 || result->entries.size() < count); it->Next()) {
      const std::string_view k = it->key();
      if (k.substr(0, scoped.size()) != scoped || k.size() != scoped.size() + 16) break;
      if (!DecodePending(it->value(), &p)) return Malformed("pending entry");
      if (p.consumer != consumer) continue;
      p.id = GetId(k.data() + scoped.size());
      StreamEntry e;
      e.id = p.id;
      s = db_->Get(EntryKey(prefix, p.id), &value);
      if (s.IsNotFound()) {
        e.deleted = true;
      } else if (!s.ok()) {
        return s;
      } else {
        if (!DecodeFields(value, &e.fields)) return Malformed("entry");
        p.delivered_ms = now;
        p.deliveries++;
        std::string pv;
        EncodePending(p, &pv);
        batch.Put(std::string(k), pv);
      }
      result->entries.push_back(std::move(e));
    }
    if (!it->status().ok()) return it->status();
  }
  PutConsumers(prefix, group, consumers, &batch);
  EncodeGroup(g, &value);
  batch.Put(GroupKey(prefix, group), value);
  s = Apply(batch);
  if (!s.ok()) return s;
  g.name.assign(group);
  result->group = g;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamAck(int db, std::string_view key, std::string_view group,
                           const std::vector<StreamId>& ids, int64_t* acked) {
  *acked = 0;
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  StreamGroupStatus status;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, &status);
  if (!s.ok() || status != StreamGroupStatus::kOk) return s;
  storage::WriteBatch batch;
  std::map<std::string, StreamConsumer> consumers;
  std::vector<StreamId> done;
  std::string value;
  for (StreamId id : ids) {
    if (std::find(done.begin(), done.end(), id) != done.end()) continue;
    const std::string pk = PendingKey(prefix, group, id);
    s = db_->Get(pk, &value);
    if (s.IsNotFound()) continue;
    if (!s.ok()) return s;
    StreamPending p;
    if (!DecodePending(value, &p)) return Malformed("pending entry");
    bool had = false;
    s = StreamLoadConsumer(prefix, group, p.consumer, &consumers, false, &had);
    if (!s.ok()) return s;
    if (had && consumers[p.consumer].pending > 0) consumers[p.consumer].pending--;
    batch.Delete(pk);
    done.push_back(id);
  }
  if (done.empty()) return Status::Ok();
  g.pending -= std::min<uint64_t>(g.pending, done.size());
  PutConsumers(prefix, group, consumers, &batch);
  EncodeGroup(g, &value);
  batch.Put(GroupKey(prefix, group), value);
  s = Apply(batch);
  if (!s.ok()) return s;
  *acked = static_cast<int64_t>(done.size());
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamPendingRange(int db, std::string_view key, std::string_view group,
                                    StreamId start, StreamId end, uint64_t count,
                                    std::string_view consumer, uint64_t min_idle_ms,
                                    std::vector<StreamPending>* out, StreamGroupStatus* status) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk || count == 0 || start > end) return s;
  if (!consumer.empty()) {
    std::map<std::string, StreamConsumer> consumers;
    bool exists = false;
    s = StreamLoadConsumer(prefix, group, consumer, &consumers, false, &exists);
    if (!s.ok() || !exists) return s;
  }
  const uint64_t now = NowMs();
  const std::string scoped = GroupScopedPrefix(prefix, kStreamPendingTag, group);
  const std::string high = PendingKey(prefix, group, end);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(scoped, &it);
  if (!s.ok()) return s;
  StreamPending p;
  for (it->Seek(PendingKey(prefix, group, start)); it->Valid() && out->size() < count; it->Next()) {
    const std::string_view k = it->key();
    if (k.substr(0, scoped.size()) != scoped || k > high) break;
    if (k.size() != scoped.size() + 16 || !DecodePending(it->value(), &p)) {
      return Malformed("pending entry");
    }
    if (!consumer.empty() && p.consumer != consumer) continue;
    if (min_idle_ms != 0) {
      const int64_t idle = static_cast<int64_t>(now) - static_cast<int64_t>(p.delivered_ms);
      if (idle < static_cast<int64_t>(min_idle_ms)) continue;
    }
    p.id = GetId(k.data() + scoped.size());
    out->push_back(p);
  }
  return it->status();
}

Status Keyspace::StreamGroupPending(int db, std::string_view key, std::string_view group,
                                    std::string_view consumer, uint64_t count,
                                    std::vector<StreamPending>* out) {
  StreamGroupStatus status;
  return StreamPendingRange(db, key, group, StreamId{}, kMaxStreamId,
                            count == 0 ? UINT64_MAX : count, consumer, 0, out, &status);
}

Status Keyspace::StreamPendingSummary(int db, std::string_view key, std::string_view group,
                                      StreamGroup* out, StreamId* first, StreamId* last,
                                      std::vector<std::pair<std::string, uint64_t>>* per_consumer,
                                      StreamGroupStatus* status) {
  CompositeRef stream;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, out, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk || out->pending == 0) return s;
  const std::string scoped = GroupScopedPrefix(prefix, kStreamPendingTag, group);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(scoped, &it);
  if (!s.ok()) return s;
  it->Seek(scoped);
  if (it->Valid() && it->key().substr(0, scoped.size()) == scoped &&
      it->key().size() == scoped.size() + 16) {
    *first = GetId(it->key().data() + scoped.size());
  }
  FindLastId(it.get(), scoped, StreamId{}, kMaxStreamId, last);
  if (!it->status().ok()) return it->status();
  std::vector<StreamConsumer> consumers;
  s = StreamConsumers(db, key, group, &consumers, status);
  if (!s.ok()) return s;
  for (const StreamConsumer& c : consumers) {
    if (c.pending > 0) per_consumer->emplace_back(c.name, c.pending);
  }
  return Status::Ok();
}

Status Keyspace::StreamReassign(const std::string& prefix, std::string_view group,
                                std::string_view consumer, StreamPending* pending, bool existed,
                                std::map<std::string, StreamConsumer>* consumers,
                                storage::WriteBatch* batch) {
  bool had = false;
  if (existed && pending->consumer != consumer) {
    Status s = StreamLoadConsumer(prefix, group, pending->consumer, consumers, false, &had);
    if (!s.ok()) return s;
    if (had && (*consumers)[pending->consumer].pending > 0) {
      (*consumers)[pending->consumer].pending--;
    }
  }
  if (!existed || pending->consumer != consumer) (*consumers)[std::string(consumer)].pending++;
  pending->consumer.assign(consumer);
  std::string value;
  EncodePending(*pending, &value);
  batch->Put(PendingKey(prefix, group, pending->id), value);
  return Status::Ok();
}

Status Keyspace::StreamClaim(int db, std::string_view key, std::string_view group,
                             std::string_view consumer, const std::vector<StreamId>& ids,
                             const StreamClaimSpec& spec, StreamClaimResult* result) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, &result->status);
  if (!s.ok() || result->status != StreamGroupStatus::kOk) return s;
  const uint64_t now = NowMs();
  storage::WriteBatch batch;
  std::map<std::string, StreamConsumer> consumers;
  bool group_changed = false;
  if (spec.last_id > g.last_id) {
    g.last_id = spec.last_id;
    result->group_advanced = true;
    group_changed = true;
  }
  bool consumer_loaded = false;
  std::string value;
  for (StreamId id : ids) {
    const std::string pk = PendingKey(prefix, group, id);
    s = db_->Get(pk, &value);
    if (!s.ok() && !s.IsNotFound()) return s;
    bool pending_exists = s.ok();
    StreamPending p;
    p.id = id;
    if (pending_exists && !DecodePending(value, &p)) return Malformed("pending entry");
    p.id = id;
    std::string entry_value;
    s = db_->Get(EntryKey(prefix, id), &entry_value);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.IsNotFound()) {
      if (pending_exists) {
        // The entry is gone: its pending record goes too.
        result->propagate.push_back(p);
        result->group_advanced = false;
        batch.Delete(pk);
        g.pending -= std::min<uint64_t>(g.pending, 1);
        group_changed = true;
        bool had = false;
        s = StreamLoadConsumer(prefix, group, p.consumer, &consumers, false, &had);
        if (!s.ok()) return s;
        if (had && consumers[p.consumer].pending > 0) consumers[p.consumer].pending--;
      }
      continue;
    }
    bool created = false;
    if (!pending_exists) {
      if (!spec.force) continue;
      p.deliveries = 1;
      created = true;
      g.pending++;
      group_changed = true;
    }
    if (!created && spec.min_idle_ms != 0) {
      const int64_t idle = static_cast<int64_t>(now) - static_cast<int64_t>(p.delivered_ms);
      if (idle < static_cast<int64_t>(spec.min_idle_ms)) continue;
    }
    if (!consumer_loaded) {
      bool exists = false;
      s = StreamLoadConsumer(prefix, group, consumer, &consumers, true, &exists);
      if (!s.ok()) return s;
      if (!exists) {
        g.consumers++;
        group_changed = true;
        result->consumer_created = true;
      }
      consumers[std::string(consumer)].seen_ms = now;
      consumer_loaded = true;
    }
    p.delivered_ms = spec.delivered_ms;
    if (spec.retry_count >= 0) {
      p.deliveries = static_cast<uint64_t>(spec.retry_count);
    } else if (!spec.just_id) {
      p.deliveries++;
    }
    s = StreamReassign(prefix, group, consumer, &p, !created, &consumers, &batch);
    if (!s.ok()) return s;
    StreamEntry e;
    e.id = id;
    if (!spec.just_id && !DecodeFields(entry_value, &e.fields)) return Malformed("entry");
    result->claimed.push_back(std::move(e));
    result->propagate.push_back(p);
    result->group_advanced = false;
  }
  PutConsumers(prefix, group, consumers, &batch);
  if (group_changed) {
    EncodeGroup(g, &value);
    batch.Put(GroupKey(prefix, group), value);
  }
  g.name.assign(group);
  result->group = g;
  if (batch.empty()) return Status::Ok();
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamAutoClaim(int db, std::string_view key, std::string_view group,
                                 std::string_view consumer, uint64_t min_idle_ms, StreamId start,
                                 uint64_t count, bool just_id, StreamClaimResult* result) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, &result->status);
  if (!s.ok() || result->status != StreamGroupStatus::kOk) return s;
  const uint64_t now = NowMs();
  storage::WriteBatch batch;
  std::map<std::string, StreamConsumer> consumers;
  bool group_changed = false;
  bool consumer_loaded = false;
  const std::string scoped = GroupScopedPrefix(prefix, kStreamPendingTag, group);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(scoped, &it);
  if (!s.ok()) return s;
  uint64_t attempts = count * kAttemptsFactor;
  it->Seek(PendingKey(prefix, group, start));
  std::string entry_value;
  for (; attempts > 0 && count > 0 && it->Valid(); it->Next()) {
    --attempts;
    const std::string_view k = it->key();
    if (k.substr(0, scoped.size()) != scoped) break;
    StreamPending p;
    if (k.size() != scoped.size() + 16 || !DecodePending(it->value(), &p)) {
      return Malformed("pending entry");
    }
    p.id = GetId(k.data() + scoped.size());
    s = db_->Get(EntryKey(prefix, p.id), &entry_value);
    if (!s.ok() && !s.IsNotFound()) return s;
    if (s.IsNotFound()) {
      result->propagate.push_back(p);
      result->deleted.push_back(p.id);
      batch.Delete(k);
      g.pending -= std::min<uint64_t>(g.pending, 1);
      group_changed = true;
      bool had = false;
      s = StreamLoadConsumer(prefix, group, p.consumer, &consumers, false, &had);
      if (!s.ok()) return s;
      if (had && consumers[p.consumer].pending > 0) consumers[p.consumer].pending--;
      --count;
      continue;
    }
    if (min_idle_ms != 0) {
      const int64_t idle = static_cast<int64_t>(now) - static_cast<int64_t>(p.delivered_ms);
      if (idle < static_cast<int64_t>(min_idle_ms)) continue;
    }
    if (!consumer_loaded) {
      bool exists = false;
      s = StreamLoadConsumer(prefix, group, consumer, &consumers, true, &exists);
      if (!s.ok()) return s;
      if (!exists) {
        g.consumers++;
        group_changed = true;
        result->consumer_created = true;
      }
      consumers[std::string(consumer)].seen_ms = now;
      consumer_loaded = true;
    }
    p.delivered_ms = now;
    if (!just_id) p.deliveries++;
    s = StreamReassign(prefix, group, consumer, &p, true, &consumers, &batch);
    if (!s.ok()) return s;
    StreamEntry e;
    e.id = p.id;
    if (!just_id && !DecodeFields(entry_value, &e.fields)) return Malformed("entry");
    result->claimed.push_back(std::move(e));
    result->propagate.push_back(p);
    --count;
  }
  if (!it->status().ok()) return it->status();
  // The cursor: the first pending entry not looked at.
  result->next = StreamId{};
  if (it->Valid() && it->key().substr(0, scoped.size()) == scoped &&
      it->key().size() == scoped.size() + 16) {
    result->next = GetId(it->key().data() + scoped.size());
  }
  PutConsumers(prefix, group, consumers, &batch);
  if (group_changed) {
    std::string value;
    EncodeGroup(g, &value);
    batch.Put(GroupKey(prefix, group), value);
  }
  g.name.assign(group);
  result->group = g;
  if (batch.empty()) return Status::Ok();
  s = Apply(batch);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

Status Keyspace::StreamGroups(int db, std::string_view key, std::vector<StreamGroup>* out,
                              bool* exists) {
  CompositeRef stream;
  Status s = LoadStream(db, key, &stream);
  *exists = stream.exists;
  if (!s.ok() || !stream.exists) return s;
  std::string prefix;
  MakeSubKeyPrefix(db, key, stream.meta.version, &prefix);
  const std::string groups = prefix + kStreamGroupTag;
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(groups, &it);
  if (!s.ok()) return s;
  for (it->Seek(groups); it->Valid(); it->Next()) {
    if (it->key().substr(0, groups.size()) != groups) break;
    StreamGroup g;
    if (!DecodeGroup(it->value(), &g)) return Malformed("group");
    g.name.assign(it->key().substr(groups.size()));
    out->push_back(std::move(g));
  }
  return it->status();
}

Status Keyspace::StreamConsumers(int db, std::string_view key, std::string_view group,
                                 std::vector<StreamConsumer>* out, StreamGroupStatus* status) {
  CompositeRef stream;
  StreamGroup g;
  std::string prefix;
  Status s = LoadStreamGroup(db, key, group, &stream, &g, &prefix, status);
  if (!s.ok() || *status != StreamGroupStatus::kOk) return s;
  const std::string scoped = GroupScopedPrefix(prefix, kStreamConsumerTag, group);
  std::unique_ptr<storage::Iterator> it;
  s = NewSubKeyIterator(scoped, &it);
  if (!s.ok()) return s;
  for (it->Seek(scoped); it->Valid(); it->Next()) {
    if (it->key().substr(0, scoped.size()) != scoped) break;
    StreamConsumer c;
    if (!DecodeConsumer(it->value(), &c)) return Malformed("consumer");
    c.name.assign(it->key().substr(scoped.size()));
    out->push_back(std::move(c));
  }
  return it->status();
}

Status Keyspace::StreamReadAll(int db, std::string_view key, DumpedStream* out) {
  *out = DumpedStream();
  StreamInfo info;
  bool exists = false;
  Status s = StreamState(db, key, &info, &exists);
  if (!s.ok()) return s;
  if (!exists) return Status::NotFound();
  out->meta = info.meta;
  std::vector<StreamEntry> entries;
  s = StreamRange(db, key, StreamId{}, kMaxStreamId, false, 0, &entries);
  if (!s.ok()) return s;
  if (entries.size() != info.length) return Malformed("length");
  out->entries.reserve(entries.size());
  for (StreamEntry& e : entries) out->entries.push_back({e.id, std::move(e.fields)});
  std::vector<StreamGroup> groups;
  s = StreamGroups(db, key, &groups, &exists);
  if (!s.ok()) return s;
  for (const StreamGroup& g : groups) {
    DumpedStream::Group dg;
    dg.name = g.name;
    dg.last_id = g.last_id;
    dg.entries_read = g.entries_read;
    std::vector<StreamPending> pel;
    s = StreamGroupPending(db, key, g.name, {}, 0, &pel);
    if (!s.ok()) return s;
    for (StreamPending& p : pel) {
      dg.pending.push_back({p.id, p.delivered_ms, p.deliveries, std::move(p.consumer)});
    }
    std::vector<StreamConsumer> consumers;
    StreamGroupStatus status;
    s = StreamConsumers(db, key, g.name, &consumers, &status);
    if (!s.ok()) return s;
    for (StreamConsumer& c : consumers) dg.consumers.push_back({std::move(c.name), c.seen_ms});
    // Every pending entry names one of the group's consumers.
    for (const DumpedStream::Pending& p : dg.pending) {
      const bool known =
          std::any_of(dg.consumers.begin(), dg.consumers.end(),
                      [&](const DumpedStream::Consumer& c) { return c.name == p.consumer; });
      if (!known) return Malformed("pending entry's consumer");
    }
    out->groups.push_back(std::move(dg));
  }
  out->meta.groups = out->groups.size();
  return Status::Ok();
}

Status Keyspace::StreamStore(int db, std::string_view key, const DumpedStream& stream,
                             uint64_t expire_ms) {
  CompositeRef ref;  // a new key, replacing whatever is there
  Status s = Lookup(db, key, &ref.entry);
  if (!s.ok()) return s;
  const uint64_t version_before = last_version_;
  TakeVersion(&ref);
  std::string prefix;
  MakeSubKeyPrefix(db, key, ref.meta.version, &prefix);
  storage::WriteBatch batch;
  std::string value;
  std::vector<std::string_view> fields;
  for (const DumpedStream::Entry& e : stream.entries) {
    fields.assign(e.fields.begin(), e.fields.end());
    value.clear();
    EncodeFields(fields, &value);
    batch.Put(EntryKey(prefix, e.id), value);
  }
  for (const DumpedStream::Group& dg : stream.groups) {
    StreamGroup g;
    g.last_id = dg.last_id;
    g.entries_read = dg.entries_read;
    g.pending = dg.pending.size();
    g.consumers = dg.consumers.size();
    EncodeGroup(g, &value);
    batch.Put(GroupKey(prefix, dg.name), value);
    for (const DumpedStream::Consumer& dc : dg.consumers) {
      StreamConsumer c;
      c.seen_ms = dc.seen_ms;
      c.pending = static_cast<uint64_t>(
          std::count_if(dg.pending.begin(), dg.pending.end(),
                        [&](const DumpedStream::Pending& p) { return p.consumer == dc.name; }));
      EncodeConsumer(c, &value);
      batch.Put(ConsumerKey(prefix, dg.name, dc.name), value);
    }
    for (const DumpedStream::Pending& dp : dg.pending) {
      StreamPending p;
      p.delivered_ms = dp.delivered_ms;
      p.deliveries = dp.deliveries;
      p.consumer = dp.consumer;
      EncodePending(p, &value);
      batch.Put(PendingKey(prefix, dg.name, dp.id), value);
    }
  }
  ref.meta.size = stream.entries.size();
  ref.meta.stream = stream.meta;
  ref.meta.stream.groups = stream.groups.size();
  AddCompositeMeta(db, key, ValueType::kStream, &ref, &batch, expire_ms);
  s = ApplyComposite(batch, version_before);
  if (!s.ok()) return s;
  Modified(db, key);
  return Status::Ok();
}

}  // namespace shale::keyspace
