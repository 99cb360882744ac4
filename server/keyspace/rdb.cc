#include "server/keyspace/rdb.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <unordered_set>

#include "protocol/numbers.h"

namespace shale::keyspace {

namespace {

// The Jones polynomial 0xad93d23594c935a9, bit-reflected (Redis's crc64 is the reflected form).
constexpr uint64_t kCrc64ReflectedPolynomial = 0x95ac9329ac4bc9b5ULL;

constexpr std::array<uint64_t, 256> MakeCrc64Table() {
  std::array<uint64_t, 256> table{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) != 0 ? (crc >> 1) ^ kCrc64ReflectedPolynomial : crc >> 1;
    }
    table[i] = crc;
  }
  return table;
}

constexpr std::array<uint64_t, 256> kCrc64Table = MakeCrc64Table();

constexpr uint8_t kLen6Bit = 0;
constexpr uint8_t kLen14Bit = 1;
constexpr uint8_t kEncoded = 3;
constexpr uint8_t kLen32Bit = 0x80;
constexpr uint8_t kLen64Bit = 0x81;
constexpr uint8_t kEncInt8 = 0;
constexpr uint8_t kEncInt16 = 1;
constexpr uint8_t kEncInt32 = 2;
constexpr uint8_t kEncLzf = 3;
constexpr size_t kFooterSize = 2 + 8;

// RDB object types (Redis's RDB_TYPE_*).
constexpr uint8_t kRdbList = 1;
constexpr uint8_t kRdbSet = 2;
constexpr uint8_t kRdbZSetText = 3;
constexpr uint8_t kRdbHash = 4;
constexpr uint8_t kRdbZSet = 5;
constexpr uint8_t kRdbIntset = 11;
constexpr uint8_t kRdbHashListpack = 16;
constexpr uint8_t kRdbZSetListpack = 17;
constexpr uint8_t kRdbQuicklist = 18;
constexpr uint8_t kRdbSetListpack = 20;  // Redis 7.2's small sets (RDB version 11)
// The highest RDB file version a full resynchronisation accepts (Redis 7.2's).
constexpr uint16_t kRdbFileVersionMax = 11;
constexpr uint64_t kQuicklistPlain = 1;
constexpr uint64_t kQuicklistPacked = 2;
// An RDB file's opcodes (the type byte's values above 0xF8).
constexpr uint8_t kRdbOpFunction = 0xF5;
constexpr uint8_t kRdbOpFunctionPreGa = 0xF6;
constexpr uint8_t kRdbOpModuleAux = 0xF7;
constexpr uint8_t kRdbOpIdle = 0xF8;
constexpr uint8_t kRdbOpFreq = 0xF9;
constexpr uint8_t kRdbOpAux = 0xFA;
constexpr uint8_t kRdbOpResizeDb = 0xFB;
constexpr uint8_t kRdbOpExpireTimeMs = 0xFC;
constexpr uint8_t kRdbOpExpireTime = 0xFD;
constexpr uint8_t kRdbOpSelectDb = 0xFE;
constexpr uint8_t kRdbOpEof = 0xFF;

void PutLittleEndian(uint64_t value, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void PutLength(uint64_t len, std::string* dst) {
  if (len < (1 << 6)) {
    dst->push_back(static_cast<char>(len));
  } else if (len < (1 << 14)) {
    dst->push_back(static_cast<char>((kLen14Bit << 6) | (len >> 8)));
    dst->push_back(static_cast<char>(len & 0xff));
  } else if (len <= std::numeric_limits<uint32_t>::max()) {
    dst->push_back(static_cast<char>(kLen32Bit));
    for (int shift = 24; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(len >> shift));
  } else {
    dst->push_back(static_cast<char>(kLen64Bit));
    for (int shift = 56; shift >= 0; shift -= 8) dst->push_back(static_cast<char>(len >> shift));
  }
}

// A string as DUMP writes it: the integer encodings for the canonical text of an integer that
// fits 32 bits, the length and the bytes otherwise.
void PutString(std::string_view value, std::string* out) {
  int64_t n = 0;
  if (value.size() <= 11 && protocol::ParseInt64(value, &n) && n >= INT32_MIN && n <= INT32_MAX) {
    if (n >= INT8_MIN && n <= INT8_MAX) {
      out->push_back(static_cast<char>((kEncoded << 6) | kEncInt8));
      out->push_back(static_cast<char>(n & 0xff));
    } else if (n >= INT16_MIN && n <= INT16_MAX) {
      out->push_back(static_cast<char>((kEncoded << 6) | kEncInt16));
      for (int i = 0; i < 2; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    } else {
      out->push_back(static_cast<char>((kEncoded << 6) | kEncInt32));
      for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    }
    return;
  }
  PutLength(value.size(), out);
  out->append(value);
}

// Reads bytes from the front of a payload.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Byte(uint8_t* b) {
    if (in_.empty()) return false;
    *b = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool BigEndian(size_t n, uint64_t* v) {
    std::string_view b;
    if (!Bytes(n, &b)) return false;
    *v = 0;
    for (char c : b) *v = (*v << 8) | static_cast<unsigned char>(c);
    return true;
  }
  bool LittleEndian(size_t n, uint64_t* v) {
    std::string_view b;
    if (!Bytes(n, &b)) return false;
    *v = 0;
    for (size_t i = n; i-- > 0;) *v = (*v << 8) | static_cast<unsigned char>(b[i]);
    return true;
  }
  // A length, or (with *encoded) a special encoding's number.
  bool Length(uint64_t* len, bool* encoded) {
    uint8_t first = 0;
    if (!Byte(&first)) return false;
    *encoded = false;
    switch (first >> 6) {
      case kLen6Bit:
        *len = first & 0x3f;
        return true;
      case kLen14Bit: {
        uint8_t second = 0;
        if (!Byte(&second)) return false;
        *len = (static_cast<uint64_t>(first & 0x3f) << 8) | second;
        return true;
      }
      case kEncoded:
        *encoded = true;
        *len = first & 0x3f;
        return true;
      default:
        if (first == kLen32Bit) return BigEndian(4, len);
        if (first == kLen64Bit) return BigEndian(8, len);
        return false;
    }
  }
  bool PlainLength(uint64_t* len) {
    bool encoded = false;
    return Length(len, &encoded) && !encoded;
  }
  bool empty() const { return in_.empty(); }
  size_t size() const { return in_.size(); }

 private:
  std::string_view in_;
};

bool ReadString(Reader* reader, std::string* value) {
  uint64_t len = 0;
  bool encoded = false;
  if (!reader->Length(&len, &encoded)) return false;
  if (!encoded) {
    std::string_view bytes;
    if (!reader->Bytes(len, &bytes)) return false;
    value->assign(bytes);
    return true;
  }
  uint64_t raw = 0;
  switch (len) {
    case kEncInt8:
      if (!reader->LittleEndian(1, &raw)) return false;
      *value = std::to_string(static_cast<int8_t>(raw));
      return true;
    case kEncInt16:
      if (!reader->LittleEndian(2, &raw)) return false;
      *value = std::to_string(static_cast<int16_t>(raw));
      return true;
    case kEncInt32:
      if (!reader->LittleEndian(4, &raw)) return false;
      *value = std::to_string(static_cast<int32_t>(raw));
      return true;
    case kEncLzf: {
      uint64_t compressed_len = 0;
      uint64_t len_out = 0;
      std::string_view compressed;
      if (!reader->PlainLength(&compressed_len) || !reader->PlainLength(&len_out) ||
          !reader->Bytes(compressed_len, &compressed)) {
        return false;
      }
      return LzfDecompress(compressed, len_out, value);
    }
    default:
      return false;
  }
}

}  // namespace

uint64_t Crc64(uint64_t crc, std::string_view data) {
  for (char c : data) {
    crc = kCrc64Table[(crc ^ static_cast<unsigned char>(c)) & 0xff] ^ (crc >> 8);
  }
  return crc;
}

std::string DumpString(std::string_view value) {
  DumpedValue dumped;
  dumped.string = std::string(value);
  return DumpValue(dumped);
}

void AppendRdbObject(const DumpedValue& value, std::string* out) {
  switch (value.type) {
    case ValueType::kString:
      out->push_back(static_cast<char>(kRdbTypeString));
      PutString(value.string, out);
      break;
    case ValueType::kList:
    case ValueType::kSet:
      out->push_back(static_cast<char>(value.type == ValueType::kList ? kRdbList : kRdbSet));
      PutLength(value.elements.size(), out);
      for (const std::string& element : value.elements) PutString(element, out);
      break;
    case ValueType::kHash:
      out->push_back(static_cast<char>(kRdbHash));
      PutLength(value.fields.size(), out);
      for (const auto& [field, v] : value.fields) {
        PutString(field, out);
        PutString(v, out);
      }
      break;
    case ValueType::kZSet:
      out->push_back(static_cast<char>(kRdbZSet));
      PutLength(value.scored.size(), out);
      for (const auto& [member, score] : value.scored) {
        PutString(member, out);
        uint64_t bits = 0;
        std::memcpy(&bits, &score, sizeof(bits));
        PutLittleEndian(bits, 8, out);
      }
      break;
    case ValueType::kStream:
      // Never asked for: ReadValue refuses a stream (dump.cc).
      break;
  }
}

std::string DumpValue(const DumpedValue& value) {
  std::string out;
  AppendRdbObject(value, &out);
  PutLittleEndian(kRdbVersion, 2, &out);
  PutLittleEndian(Crc64(0, out), 8, &out);
  return out;
}

RdbFileWriter::RdbFileWriter(const std::vector<std::pair<std::string, std::string>>& aux) {
  out_ = "REDIS00" + std::to_string(kRdbVersion);
  for (const auto& [name, value] : aux) {
    out_.push_back(static_cast<char>(kRdbOpAux));
    PutString(name, &out_);
    PutString(value, &out_);
  }
}

void RdbFileWriter::SelectDb(int db, uint64_t keys, uint64_t expires) {
  out_.push_back(static_cast<char>(kRdbOpSelectDb));
  PutLength(static_cast<uint64_t>(db), &out_);
  out_.push_back(static_cast<char>(kRdbOpResizeDb));
  PutLength(keys, &out_);
  PutLength(expires, &out_);
}

void RdbFileWriter::Add(std::string_view key, const DumpedValue& value, uint64_t expire_ms) {
  if (expire_ms != 0) {
    out_.push_back(static_cast<char>(kRdbOpExpireTimeMs));
    PutLittleEndian(expire_ms, 8, &out_);
  }
  // The type byte comes before the key: encode the object, then splice the key in after it.
  const size_t at = out_.size();
  AppendRdbObject(value, &out_);
  std::string key_bytes;
  PutString(key, &key_bytes);
  out_.insert(at + 1, key_bytes);
}

std::string RdbFileWriter::Finish() {
  out_.push_back(static_cast<char>(kRdbOpEof));
  PutLittleEndian(Crc64(0, out_), 8, &out_);
  return std::move(out_);
}

namespace {

// The elements of a listpack (rdb.h), appended to *out as text.
bool ReadListpack(std::string_view lp, std::vector<std::string>* out) {
  Reader reader(lp);
  uint64_t total = 0, count = 0;
  if (!reader.LittleEndian(4, &total) || total != lp.size() || !reader.LittleEndian(2, &count)) {
    return false;
  }
  uint64_t seen = 0;
  for (;;) {
    const size_t entry_start = lp.size() - reader.size();
    uint8_t b = 0;
    if (!reader.Byte(&b)) return false;
    if (b == 0xff) break;
    std::string element;
    uint64_t raw = 0;
    std::string_view bytes;
    if ((b & 0x80) == 0) {
      element = std::to_string(b & 0x7f);
    } else if ((b & 0xc0) == 0x80) {
      if (!reader.Bytes(b & 0x3f, &bytes)) return false;
      element.assign(bytes);
    } else if ((b & 0xe0) == 0xc0) {
      uint8_t low = 0;
      if (!reader.Byte(&low)) return false;
      int64_t v = ((b & 0x1f) << 8) | low;
      if (v >= (1 << 12)) v -= (1 << 13);
      element = std::to_string(v);
    } else if ((b & 0xf0) == 0xe0) {
      uint8_t low = 0;
      if (!reader.Byte(&low) || !reader.Bytes(((b & 0x0f) << 8) | low, &bytes)) return false;
      element.assign(bytes);
    } else if (b == 0xf0) {
      if (!reader.LittleEndian(4, &raw) || !reader.Bytes(raw, &bytes)) return false;
      element.assign(bytes);
    } else if (b >= 0xf1 && b <= 0xf4) {
      const int width = b == 0xf1 ? 2 : b == 0xf2 ? 3 : b == 0xf3 ? 4 : 8;
      if (!reader.LittleEndian(width, &raw)) return false;
      const int unused = 64 - 8 * width;  // sign-extend from `width` bytes
      const auto v = static_cast<int64_t>(raw << unused) >> unused;
      element = std::to_string(v);
    } else {
      return false;
    }
    // The entry's size again, in 1 to 5 bytes.
    const size_t size = lp.size() - reader.size() - entry_start;
    const size_t backlen = size < 128         ? 1
                           : size < 16384     ? 2
                           : size < 2097152   ? 3
                           : size < 268435456 ? 4
                                              : 5;
    if (!reader.Bytes(backlen, &bytes)) return false;
    out->push_back(std::move(element));
    ++seen;
  }
  return reader.empty() && (count == 65535 || count == seen);
}

// An intset's integers, as text.
bool ReadIntset(std::string_view blob, std::vector<std::string>* out) {
  Reader reader(blob);
  uint64_t width = 0, count = 0;
  if (!reader.LittleEndian(4, &width) || !reader.LittleEndian(4, &count)) return false;
  if ((width != 2 && width != 4 && width != 8) || reader.size() != width * count) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t raw = 0;
    reader.LittleEndian(width, &raw);
    const int unused = static_cast<int>(64 - 8 * width);
    out->push_back(std::to_string(static_cast<int64_t>(raw << unused) >> unused));
  }
  return true;
}

// A sorted-set score written as text (type 3, and listpack entries): strtod must take all of it.
bool ParseScoreText(const std::string& text, double* score) {
  char* end = nullptr;
  *score = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size() && !std::isnan(*score);
}

bool ReadObject(uint8_t type, Reader* reader, DumpedValue* value) {
  uint64_t count = 0;
  std::string a, b;
  switch (type) {
    case kRdbTypeString:
      value->type = ValueType::kString;
      return ReadString(reader, &value->string);
    case kRdbList:
    case kRdbSet:
      value->type = type == kRdbList ? ValueType::kList : ValueType::kSet;
      if (!reader->PlainLength(&count) || count > reader->size()) return false;
      value->elements.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        if (!ReadString(reader, &a)) return false;
        value->elements.push_back(std::move(a));
      }
      return true;
    case kRdbHash:
      value->type = ValueType::kHash;
      if (!reader->PlainLength(&count) || count > reader->size()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        if (!ReadString(reader, &a) || !ReadString(reader, &b)) return false;
        value->fields.emplace_back(std::move(a), std::move(b));
      }
      return true;
    case kRdbZSet:
    case kRdbZSetText:
      value->type = ValueType::kZSet;
      if (!reader->PlainLength(&count) || count > reader->size()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        double score = 0;
        if (!ReadString(reader, &a)) return false;
        if (type == kRdbZSet) {
          uint64_t bits = 0;
          if (!reader->LittleEndian(8, &bits)) return false;
          std::memcpy(&score, &bits, sizeof(score));
        } else {
          uint8_t len = 0;
          std::string_view text;
          if (!reader->Byte(&len)) return false;
          if (len == 253) return false;  // NaN: no sorted set holds it
          if (len == 254 || len == 255) {
            score = len == 254 ? HUGE_VAL : -HUGE_VAL;
          } else if (!reader->Bytes(len, &text) || !ParseScoreText(std::string(text), &score)) {
            return false;
          }
        }
        if (std::isnan(score)) return false;
        value->scored.emplace_back(std::move(a), score);
      }
      return true;
    case kRdbIntset:
      value->type = ValueType::kSet;
      return ReadString(reader, &a) && ReadIntset(a, &value->elements);
    case kRdbSetListpack:
      value->type = ValueType::kSet;
      return ReadString(reader, &a) && ReadListpack(a, &value->elements);
    case kRdbHashListpack:
    case kRdbZSetListpack: {
      std::vector<std::string> entries;
      if (!ReadString(reader, &a) || !ReadListpack(a, &entries) || entries.size() % 2 != 0) {
        return false;
      }
      const bool hash = type == kRdbHashListpack;
      value->type = hash ? ValueType::kHash : ValueType::kZSet;
      for (size_t i = 0; i < entries.size(); i += 2) {
        if (hash) {
          value->fields.emplace_back(std::move(entries[i]), std::move(entries[i + 1]));
          continue;
        }
        double score = 0;
        if (!ParseScoreText(entries[i + 1], &score)) return false;
        value->scored.emplace_back(std::move(entries[i]), score);
      }
      return true;
    }
    case kRdbQuicklist:
      value->type = ValueType::kList;
      if (!reader->PlainLength(&count) || count > reader->size()) return false;
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t container = 0;
        if (!reader->PlainLength(&container) || !ReadString(reader, &a)) return false;
        if (container == kQuicklistPlain) {
          value->elements.push_back(std::move(a));
        } else if (container != kQuicklistPacked || !ReadListpack(a, &value->elements)) {
          return false;
        }
      }
      return true;
    default:
      return false;
  }
}

// Redis refuses empty keys and repeated members or fields in a payload.
bool WellFormed(const DumpedValue& value) {
  std::unordered_set<std::string_view> seen;
  const auto distinct = [&seen](std::string_view s) { return seen.insert(s).second; };
  switch (value.type) {
    case ValueType::kString:
      return true;
    case ValueType::kList:
      return !value.elements.empty();
    case ValueType::kSet:
      return !value.elements.empty() &&
             std::all_of(value.elements.begin(), value.elements.end(), distinct);
    case ValueType::kHash:
      return !value.fields.empty() && std::all_of(value.fields.begin(), value.fields.end(),
                                                  [&](const auto& f) { return distinct(f.first); });
    case ValueType::kZSet:
      return !value.scored.empty() && std::all_of(value.scored.begin(), value.scored.end(),
                                                  [&](const auto& m) { return distinct(m.first); });
    case ValueType::kStream:
      return false;  // the payload decoder makes no streams
  }
  return false;
}

}  // namespace

DumpPayloadStatus DecodeDumpPayload(std::string_view payload, DumpedValue* value) {
  if (payload.size() < kFooterSize) return DumpPayloadStatus::kBadVersionOrChecksum;
  const std::string_view footer = payload.substr(payload.size() - kFooterSize);
  const auto version = static_cast<uint16_t>(static_cast<unsigned char>(footer[0]) |
                                             (static_cast<unsigned char>(footer[1]) << 8));
  if (version > kRdbVersion) return DumpPayloadStatus::kBadVersionOrChecksum;
  uint64_t stored_crc = 0;
  for (size_t i = 8; i-- > 0;) {
    stored_crc = (stored_crc << 8) | static_cast<unsigned char>(footer[2 + i]);
  }
  if (Crc64(0, payload.substr(0, payload.size() - 8)) != stored_crc) {
    return DumpPayloadStatus::kBadVersionOrChecksum;
  }
  // As Redis: the object is read from the front; what follows it up to the footer is not looked
  // at.
  Reader reader(payload.substr(0, payload.size() - kFooterSize));
  uint8_t type = 0;
  *value = DumpedValue();
  if (!reader.Byte(&type) || !ReadObject(type, &reader, value) || !WellFormed(*value)) {
    return DumpPayloadStatus::kBadFormat;
  }
  return DumpPayloadStatus::kOk;
}

DumpPayloadStatus DecodeDumpPayload(std::string_view payload, std::string* value) {
  DumpedValue dumped;
  const DumpPayloadStatus status = DecodeDumpPayload(payload, &dumped);
  if (status != DumpPayloadStatus::kOk) return status;
  if (dumped.type != ValueType::kString) return DumpPayloadStatus::kBadFormat;
  *value = std::move(dumped.string);
  return DumpPayloadStatus::kOk;
}

bool LzfDecompress(std::string_view in, size_t expected_size, std::string* out) {
  out->clear();
  out->reserve(expected_size);
  size_t ip = 0;
  while (ip < in.size()) {
    const auto ctrl = static_cast<unsigned char>(in[ip++]);
    if (ctrl < (1 << 5)) {
      // A literal run of ctrl + 1 bytes.
      const size_t run = ctrl + 1U;
      if (ip + run > in.size() || out->size() + run > expected_size) return false;
      out->append(in.substr(ip, run));
      ip += run;
      continue;
    }
    // A back reference: length (ctrl >> 5) + 2, 7 meaning "plus the next byte", at an offset of
    // the low 5 bits and the next byte, plus one, back from the end of the output.
    size_t len = ctrl >> 5;
    if (ip >= in.size()) return false;
    if (len == 7) {
      len += static_cast<unsigned char>(in[ip++]);
      if (ip >= in.size()) return false;
    }
    const size_t distance =
        ((static_cast<size_t>(ctrl & 0x1f) << 8) | static_cast<unsigned char>(in[ip++])) + 1;
    len += 2;
    if (distance > out->size() || out->size() + len > expected_size) return false;
    size_t ref = out->size() - distance;
    for (size_t i = 0; i < len; ++i) out->push_back((*out)[ref++]);  // may overlap itself
  }
  return out->size() == expected_size;
}

bool ReadRdbFile(std::string_view file, const RdbEntryFunction& entry, std::string* error) {
  const auto fail = [error](std::string why) {
    *error = std::move(why);
    return false;
  };
  if (file.size() < 9 + 1 + 8 || file.substr(0, 5) != "REDIS") {
    return fail("not an RDB file (no REDIS signature)");
  }
  int version = 0;
  for (char c : file.substr(5, 4)) {
    if (c < '0' || c > '9') return fail("not an RDB file (bad version digits)");
    version = version * 10 + (c - '0');
  }
  if (version < 1 || version > kRdbFileVersionMax) {
    return fail("RDB version " + std::to_string(version) + " is not supported (at most " +
                std::to_string(kRdbFileVersionMax) + ")");
  }
  Reader reader(file.substr(9));
  int db = 0;
  uint64_t expire_ms = 0;
  for (;;) {
    uint8_t type = 0;
    if (!reader.Byte(&type)) return fail("RDB file ends before its end marker");
    uint64_t a = 0, b = 0;
    std::string text, text2;
    switch (type) {
      case kRdbOpEof: {
        // The checksum covers everything before it; 0 means the writer did not compute one.
        const size_t body = file.size() - reader.size();
        uint64_t stored = 0;
        if (version >= 5) {
          if (!reader.LittleEndian(8, &stored)) return fail("RDB file ends inside its checksum");
          if (stored != 0 && stored != Crc64(0, file.substr(0, body))) {
            return fail("RDB file checksum mismatch");
          }
        }
        return true;
      }
      case kRdbOpSelectDb:
        if (!reader.PlainLength(&a) || a > INT32_MAX) return fail("bad SELECTDB in RDB file");
        db = static_cast<int>(a);
        continue;
      case kRdbOpResizeDb:
        if (!reader.PlainLength(&a) || !reader.PlainLength(&b)) return fail("bad RESIZEDB");
        continue;
      case kRdbOpAux:
        if (!ReadString(&reader, &text) || !ReadString(&reader, &text2)) {
          return fail("bad AUX field in RDB file");
        }
        continue;
      case kRdbOpExpireTimeMs:
        if (!reader.LittleEndian(8, &expire_ms)) return fail("bad EXPIRETIME_MS");
        continue;
      case kRdbOpExpireTime:
        if (!reader.LittleEndian(4, &a)) return fail("bad EXPIRETIME");
        expire_ms = a * 1000;
        continue;
      case kRdbOpIdle:
        if (!reader.PlainLength(&a)) return fail("bad IDLE in RDB file");
        continue;
      case kRdbOpFreq: {
        uint8_t freq = 0;
        if (!reader.Byte(&freq)) return fail("bad FREQ in RDB file");
        continue;
      }
      case kRdbOpFunction:
      case kRdbOpFunctionPreGa:
        return fail("the RDB file holds functions, which Shale cannot run");
      case kRdbOpModuleAux:
        return fail("the RDB file holds module data, which Shale cannot load");
      default:
        break;
    }
    std::string key;
    if (!ReadString(&reader, &key)) return fail("bad key in RDB file");
    DumpedValue value;
    if (!ReadObject(type, &reader, &value) || !WellFormed(value)) {
      return fail("cannot load the value of key '" + key + "' (RDB type " + std::to_string(type) +
                  ")");
    }
    if (!entry(db, std::move(key), std::move(value), expire_ms)) {
      return fail("loading stopped");
    }
    expire_ms = 0;
  }
}

}  // namespace shale::keyspace
