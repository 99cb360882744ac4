// DUMP's read of a whole value and RESTORE's write of one, for every type (the payload format:
// rdb.h). RESTORE writes a value in one batch, its deadline included, as the STORE commands do.
// SnapshotRdb writes the whole dataset as an RDB file, for a replica's full resynchronisation.
#include <utility>
#include <vector>

#include "server/keyspace/keyspace.h"

namespace shale::keyspace {

Status Keyspace::ReadValue(int db, std::string_view key, DumpedValue* value, bool* found,
                           uint64_t* expire_ms) {
  Entry entry;
  Status s = Lookup(db, key, &entry);
  if (!s.ok()) return s;
  *found = entry.live;
  if (!entry.live) return Status::Ok();
  if (expire_ms != nullptr) *expire_ms = entry.header.expire_ms;
  *value = DumpedValue();
  value->type = entry.header.type;
  switch (entry.header.type) {
    case ValueType::kString:
      return Get(db, key, &value->string);
    case ValueType::kList:
      return ListRange(db, key, 0, -1, &value->elements);
    case ValueType::kSet:
      return SetMembers(db, key, &value->elements);
    case ValueType::kHash: {
      std::vector<std::string> flat;
      s = HashEntries(db, key, true, true, &flat);
      if (!s.ok()) return s;
      value->fields.reserve(flat.size() / 2);
      for (size_t i = 0; i + 1 < flat.size(); i += 2) {
        value->fields.emplace_back(std::move(flat[i]), std::move(flat[i + 1]));
      }
      return Status::Ok();
    }
    case ValueType::kZSet: {
      std::vector<ScoredMember> members;
      bool exists = false;
      s = ZSetReadInput(db, key, &members, &exists);
      if (!s.ok()) return s;
      value->scored.reserve(members.size());
      for (ScoredMember& m : members) value->scored.emplace_back(std::move(m.member), m.score);
      return Status::Ok();
    }
    case ValueType::kStream:
      return StreamReadAll(db, key, &value->stream);
  }
  return Status::Corruption("unknown value type");
}

Status Keyspace::WriteValue(int db, std::string_view key, const DumpedValue& value,
                            uint64_t expire_ms) {
  // A deadline already past: nothing is created, and whatever `key` held is deleted.
  if (expire_ms != 0 && expire_ms <= NowMs()) {
    int64_t removed = 0;
    return Delete(db, {key}, &removed);
  }
  switch (value.type) {
    case ValueType::kString: {
      SetOptions options;
      options.expire_ms = expire_ms;
      SetResult result;
      return Set(db, key, value.string, options, &result);
    }
    case ValueType::kList:
      return StoreList(db, key, value.elements, expire_ms);
    case ValueType::kSet:
      return SetStore(db, key, value.elements, expire_ms);
    case ValueType::kHash:
      return HashStore(db, key, value.fields, expire_ms);
    case ValueType::kZSet: {
      std::vector<ScoredMember> members;
      members.reserve(value.scored.size());
      for (const auto& [member, score] : value.scored) members.push_back({member, score});
      return ZSetStore(db, key, members, expire_ms);
    }
    case ValueType::kStream:
      return StreamStore(db, key, value.stream, expire_ms);
  }
  return Status::InvalidArgument("unknown value type");
}

}  // namespace shale::keyspace

namespace shale::keyspace {

Status Keyspace::SnapshotRdb(const std::vector<std::pair<std::string, std::string>>& aux,
                             std::string* rdb) {
  RdbFileWriter writer(aux);
  std::vector<std::pair<std::string, std::string>> libraries;
  Status listed = Libraries(&libraries);
  if (!listed.ok()) return listed;
  for (const auto& [name, code] : libraries) writer.AddFunctionLibrary(code);
  constexpr size_t kScanBatch = 1024;
  for (int db = 0; db < databases_; ++db) {
    std::vector<std::string> keys;
    std::string after;
    for (bool done = false; !done;) {
      const size_t before = keys.size();
      Status s = Scan(db, after, "", kScanBatch, &keys, &done);
      if (!s.ok()) return s;
      if (keys.size() > before) after = keys.back();
    }
    if (keys.empty()) continue;
    // The counts are the loader's sizing hints (the database's own deadline count): a key that
    // expires while the file is made is left out of it.
    writer.SelectDb(db, keys.size(), ExpiresCount(db));
    for (const std::string& key : keys) {
      DumpedValue value;
      bool found = false;
      uint64_t expire_ms = 0;
      Status s = ReadValue(db, key, &value, &found, &expire_ms);
      if (!s.ok()) return s;
      if (found) writer.Add(key, value, expire_ms);
    }
  }
  *rdb = writer.Finish();
  return Status::Ok();
}

}  // namespace shale::keyspace
