// Fuzz target for DUMP payloads (server/keyspace/rdb.h), what RESTORE decodes from any client.
//
// The input is a payload's body (type byte and object); the target appends the version and a
// valid CRC64, so the decoder is exercised past the footer checks, and also decodes the input as
// it is. Invariants checked: decoding never reads outside the input; a payload that decodes is
// well formed (not empty, members and fields distinct, no NaN score), and DumpValue of what it
// decoded decodes again to the same value. Seeds: payloads of Redis 7.0.15 in each encoding it
// writes (quicklist with and without compressed nodes, intset, listpacks, hashtable, skiplist,
// strings).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "server/keyspace/rdb.h"

namespace {

using shale::keyspace::DecodeDumpPayload;
using shale::keyspace::DumpedValue;
using shale::keyspace::DumpPayloadStatus;
using shale::keyspace::ValueType;

void Check(bool condition) {
  if (!condition) std::abort();
}

std::string WithFooter(std::string body) {
  body.push_back(static_cast<char>(shale::keyspace::kRdbVersion & 0xff));
  body.push_back(static_cast<char>(shale::keyspace::kRdbVersion >> 8));
  const uint64_t crc = shale::keyspace::Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

bool Same(const DumpedValue& a, const DumpedValue& b) {
  if (a.type != b.type || a.string != b.string || a.elements != b.elements ||
      a.fields != b.fields || a.scored.size() != b.scored.size()) {
    return false;
  }
  for (size_t i = 0; i < a.scored.size(); ++i) {
    if (a.scored[i].first != b.scored[i].first || a.scored[i].second != b.scored[i].second) {
      return false;
    }
  }
  return true;
}

void CheckWellFormed(const DumpedValue& value) {
  std::set<std::string> seen;
  switch (value.type) {
    case ValueType::kString:
      return;
    case ValueType::kList:
      Check(!value.elements.empty());
      return;
    case ValueType::kSet:
      Check(!value.elements.empty());
      for (const std::string& m : value.elements) Check(seen.insert(m).second);
      return;
    case ValueType::kHash:
      Check(!value.fields.empty());
      for (const auto& f : value.fields) Check(seen.insert(f.first).second);
      return;
    case ValueType::kZSet:
      Check(!value.scored.empty());
      for (const auto& m : value.scored) {
        Check(seen.insert(m.first).second);
        Check(!std::isnan(m.second));
      }
      return;
    case ValueType::kStream:
      for (size_t i = 1; i < value.stream.entries.size(); ++i) {
        Check(value.stream.entries[i - 1].id < value.stream.entries[i].id);
      }
      return;
  }
  Check(false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  DumpedValue value;
  (void)DecodeDumpPayload(input, &value);  // as it is: mostly a checksum mismatch
  if (DecodeDumpPayload(WithFooter(input), &value) != DumpPayloadStatus::kOk) return 0;
  CheckWellFormed(value);
  DumpedValue again;
  Check(DecodeDumpPayload(shale::keyspace::DumpValue(value), &again) == DumpPayloadStatus::kOk);
  Check(Same(value, again));
  return 0;
}
