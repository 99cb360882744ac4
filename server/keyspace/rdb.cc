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
constexpr uint8_t kRdbStreamListpacks = 15;   // Redis 5 and 6
constexpr uint8_t kRdbStreamListpacks2 = 19;  // Redis 7.0
constexpr uint8_t kRdbSetListpack = 20;       // Redis 7.2's small sets (RDB version 11)
constexpr uint8_t kRdbStreamListpacks3 = 21;  // Redis 7.2
constexpr uint64_t kStreamFlagDeleted = 1;
constexpr uint64_t kStreamFlagSameFields = 2;
constexpr size_t kStreamNodeSize = 100;
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

// A listpack being written (rdb.h's format): integers in their smallest encoding, strings with
// the 6-, 12- or 32-bit length.
class ListpackWriter {
 public:
  void Integer(int64_t v) {
    std::string e;
    if (v >= 0 && v <= 127) {
      e.push_back(static_cast<char>(v));
    } else if (v >= -4096 && v <= 4095) {
      const auto u = static_cast<uint64_t>(v) & 0x1fff;
      e.push_back(static_cast<char>(0xc0 | (u >> 8)));
      e.push_back(static_cast<char>(u & 0xff));
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
      e.push_back(static_cast<char>(0xf1));
      PutLittleEndian(static_cast<uint64_t>(v), 2, &e);
    } else if (v >= -(1 << 23) && v < (1 << 23)) {
      e.push_back(static_cast<char>(0xf2));
      PutLittleEndian(static_cast<uint64_t>(v), 3, &e);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      e.push_back(static_cast<char>(0xf3));
      PutLittleEndian(static_cast<uint64_t>(v), 4, &e);
    } else {
      e.push_back(static_cast<char>(0xf4));
      PutLittleEndian(static_cast<uint64_t>(v), 8, &e);
    }
    Add(e);
  }
  void String(std::string_view bytes) {
    std::string e;
    const size_t n = bytes.size();
    if (n < 64) {
      e.push_back(static_cast<char>(0x80 | n));
    } else if (n < 4096) {
      e.push_back(static_cast<char>(0xe0 | (n >> 8)));
      e.push_back(static_cast<char>(n & 0xff));
    } else {
      e.push_back(static_cast<char>(0xf0));
      PutLittleEndian(n, 4, &e);
    }
    e.append(bytes);
    Add(e);
  }
  std::string Finish() const {
    std::string lp;
    PutLittleEndian(6 + body_.size() + 1, 4, &lp);
    PutLittleEndian(count_ < 65535 ? count_ : 65535, 2, &lp);
    lp += body_;
    lp.push_back(static_cast<char>(0xff));
    return lp;
  }

 private:
  // An entry and its size again ("backlen": 7 bits a byte, the highest first).
  void Add(const std::string& e) {
    body_ += e;
    const uint64_t l = e.size();
    if (l <= 127) {
      body_.push_back(static_cast<char>(l));
    } else if (l < 16383) {
      body_.push_back(static_cast<char>(l >> 7));
      body_.push_back(static_cast<char>((l & 127) | 128));
    } else if (l < 2097151) {
      body_.push_back(static_cast<char>(l >> 14));
      body_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      body_.push_back(static_cast<char>((l & 127) | 128));
    } else if (l < 268435455) {
      body_.push_back(static_cast<char>(l >> 21));
      body_.push_back(static_cast<char>(((l >> 14) & 127) | 128));
      body_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      body_.push_back(static_cast<char>((l & 127) | 128));
    } else {
      body_.push_back(static_cast<char>(l >> 28));
      body_.push_back(static_cast<char>(((l >> 21) & 127) | 128));
      body_.push_back(static_cast<char>(((l >> 14) & 127) | 128));
      body_.push_back(static_cast<char>(((l >> 7) & 127) | 128));
      body_.push_back(static_cast<char>((l & 127) | 128));
    }
    ++count_;
  }
  std::string body_;
  uint64_t count_ = 0;
};

void PutRawId(StreamId id, std::string* out) {
  for (uint64_t v : {id.ms, id.seq}) {
    for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
  }
}

// A stream as Redis 7.0 writes it (type 19, rdb.h).
void PutStream(const DumpedStream& stream, std::string* out) {
  const size_t nodes = (stream.entries.size() + kStreamNodeSize - 1) / kStreamNodeSize;
  PutLength(nodes, out);
  for (size_t first = 0; first < stream.entries.size(); first += kStreamNodeSize) {
    const size_t end = std::min(first + kStreamNodeSize, stream.entries.size());
    const DumpedStream::Entry& head = stream.entries[first];
    std::string key;
    PutRawId(head.id, &key);
    PutLength(key.size(), out);
    out->append(key);
    ListpackWriter lp;
    lp.Integer(static_cast<int64_t>(end - first));  // entries
    lp.Integer(0);                                  // deleted
    const size_t master_fields = head.fields.size() / 2;
    lp.Integer(static_cast<int64_t>(master_fields));
    for (size_t i = 0; i < master_fields; ++i) lp.String(head.fields[2 * i]);
    lp.Integer(0);  // the master entry's end
    for (size_t j = first; j < end; ++j) {
      const DumpedStream::Entry& e = stream.entries[j];
      const size_t n = e.fields.size() / 2;
      lp.Integer(0);  // flags: each entry has its fields
      lp.Integer(static_cast<int64_t>(e.id.ms - head.id.ms));
      lp.Integer(static_cast<int64_t>(e.id.seq - head.id.seq));
      lp.Integer(static_cast<int64_t>(n));
      for (const std::string& f : e.fields) lp.String(f);
      lp.Integer(static_cast<int64_t>(2 * n + 4));
    }
    const std::string packed = lp.Finish();
    PutLength(packed.size(), out);
    out->append(packed);
  }
  const StreamMeta& m = stream.meta;
  for (uint64_t v : {static_cast<uint64_t>(stream.entries.size()), m.last_id.ms, m.last_id.seq,
                     m.first_id.ms, m.first_id.seq, m.max_deleted.ms, m.max_deleted.seq,
                     m.entries_added, static_cast<uint64_t>(stream.groups.size())}) {
    PutLength(v, out);
  }
  for (const DumpedStream::Group& g : stream.groups) {
    PutString(g.name, out);
    PutLength(g.last_id.ms, out);
    PutLength(g.last_id.seq, out);
    PutLength(static_cast<uint64_t>(g.entries_read), out);
    PutLength(g.pending.size(), out);
    for (const DumpedStream::Pending& p : g.pending) {
      PutRawId(p.id, out);
      PutLittleEndian(p.delivered_ms, 8, out);
      PutLength(p.deliveries, out);
    }
    PutLength(g.consumers.size(), out);
    for (const DumpedStream::Consumer& c : g.consumers) {
      PutString(c.name, out);
      PutLittleEndian(c.seen_ms, 8, out);
      std::vector<StreamId> mine;
      for (const DumpedStream::Pending& p : g.pending) {
        if (p.consumer == c.name) mine.push_back(p.id);
      }
      PutLength(mine.size(), out);
      for (StreamId id : mine) PutRawId(id, out);
    }
  }
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
      out->push_back(static_cast<char>(kRdbStreamListpacks2));
      PutStream(value.stream, out);
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

void RdbFileWriter::AddFunctionLibrary(std::string_view code) {
  out_.push_back(static_cast<char>(kRdbOpFunction));
  PutString(code, &out_);
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

bool ParseInt(const std::string& text, int64_t* v) { return protocol::ParseInt64(text, v); }

bool ReadRawId(Reader* reader, StreamId* id) {
  std::string_view raw;
  if (!reader->Bytes(16, &raw)) return false;
  *id = {GetBigEndian64(raw.data()), GetBigEndian64(raw.data() + 8)};
  return true;
}

// A stream object of type 15, 19 or 21 (rdb.h).
bool ReadStream(uint8_t type, Reader* reader, DumpedStream* stream) {
  uint64_t nodes = 0;
  if (!reader->PlainLength(&nodes) || nodes > reader->size()) return false;
  std::string key, packed;
  std::vector<std::string> el;
  for (uint64_t i = 0; i < nodes; ++i) {
    if (!ReadString(reader, &key) || key.size() != 16 || !ReadString(reader, &packed)) {
      return false;
    }
    const StreamId master{GetBigEndian64(key.data()), GetBigEndian64(key.data() + 8)};
    el.clear();
    if (!ReadListpack(packed, &el) || el.size() < 4) return false;
    int64_t master_fields = 0;
    if (!ParseInt(el[2], &master_fields) || master_fields < 0 ||
        el.size() < 4 + static_cast<size_t>(master_fields) ||
        el[3 + static_cast<size_t>(master_fields)] != "0") {
      return false;
    }
    const auto nm = static_cast<size_t>(master_fields);
    size_t at = 4 + nm;
    while (at < el.size()) {
      int64_t flags = 0, ms = 0, seq = 0;
      if (at + 3 > el.size() || !ParseInt(el[at], &flags) || !ParseInt(el[at + 1], &ms) ||
          !ParseInt(el[at + 2], &seq)) {
        return false;
      }
      at += 3;
      DumpedStream::Entry e;
      e.id = {master.ms + static_cast<uint64_t>(ms), master.seq + static_cast<uint64_t>(seq)};
      if ((static_cast<uint64_t>(flags) & kStreamFlagSameFields) != 0) {
        if (at + nm > el.size()) return false;
        for (size_t f = 0; f < nm; ++f) {
          e.fields.push_back(el[3 + f]);
          e.fields.push_back(el[at + f]);
        }
        at += nm;
      } else {
        int64_t n = 0;
        if (at >= el.size() || !ParseInt(el[at], &n) || n < 0 ||
            at + 1 + 2 * static_cast<size_t>(n) > el.size()) {
          return false;
        }
        ++at;
        e.fields.assign(el.begin() + static_cast<ptrdiff_t>(at),
                        el.begin() + static_cast<ptrdiff_t>(at + 2 * static_cast<size_t>(n)));
        at += 2 * static_cast<size_t>(n);
      }
      if (at >= el.size()) return false;
      ++at;  // the entry's element count
      if ((static_cast<uint64_t>(flags) & kStreamFlagDeleted) == 0) {
        stream->entries.push_back(std::move(e));
      }
    }
  }
  StreamMeta& m = stream->meta;
  uint64_t length = 0;
  if (!reader->PlainLength(&length) || !reader->PlainLength(&m.last_id.ms) ||
      !reader->PlainLength(&m.last_id.seq)) {
    return false;
  }
  if (length != stream->entries.size()) return false;
  if (type >= kRdbStreamListpacks2) {
    if (!reader->PlainLength(&m.first_id.ms) || !reader->PlainLength(&m.first_id.seq) ||
        !reader->PlainLength(&m.max_deleted.ms) || !reader->PlainLength(&m.max_deleted.seq) ||
        !reader->PlainLength(&m.entries_added)) {
      return false;
    }
  } else {
    m.first_id = stream->entries.empty() ? StreamId{} : stream->entries.front().id;
    m.entries_added = length;
  }
  uint64_t groups = 0;
  if (!reader->PlainLength(&groups) || groups > reader->size()) return false;
  for (uint64_t i = 0; i < groups; ++i) {
    DumpedStream::Group g;
    if (!ReadString(reader, &g.name) || !reader->PlainLength(&g.last_id.ms) ||
        !reader->PlainLength(&g.last_id.seq)) {
      return false;
    }
    if (type >= kRdbStreamListpacks2) {
      uint64_t read = 0;
      if (!reader->PlainLength(&read)) return false;
      g.entries_read = static_cast<int64_t>(read);
    }
    uint64_t pel = 0;
    if (!reader->PlainLength(&pel) || pel > reader->size()) return false;
    for (uint64_t j = 0; j < pel; ++j) {
      DumpedStream::Pending p;
      if (!ReadRawId(reader, &p.id) || !reader->LittleEndian(8, &p.delivered_ms) ||
          !reader->PlainLength(&p.deliveries)) {
        return false;
      }
      g.pending.push_back(std::move(p));
    }
    uint64_t consumers = 0;
    if (!reader->PlainLength(&consumers) || consumers > reader->size()) return false;
    for (uint64_t j = 0; j < consumers; ++j) {
      DumpedStream::Consumer c;
      uint64_t active = 0;
      if (!ReadString(reader, &c.name) || !reader->LittleEndian(8, &c.seen_ms)) return false;
      if (type == kRdbStreamListpacks3 && !reader->LittleEndian(8, &active)) return false;
      uint64_t mine = 0;
      if (!reader->PlainLength(&mine) || mine > reader->size()) return false;
      for (uint64_t k = 0; k < mine; ++k) {
        StreamId id;
        if (!ReadRawId(reader, &id)) return false;
        auto it = std::lower_bound(
            g.pending.begin(), g.pending.end(), id,
            [](const DumpedStream::Pending& p, StreamId want) { return p.id < want; });
        // A consumer's pending entry must be one of its group's, owned by no other.
        if (it == g.pending.end() || it->id != id || !it->consumer.empty()) return false;
        it->consumer = c.name;
      }
      g.consumers.push_back(std::move(c));
    }
    for (const DumpedStream::Pending& p : g.pending) {
      if (p.consumer.empty()) return false;
    }
    stream->groups.push_back(std::move(g));
  }
  m.groups = stream->groups.size();
  return true;
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
    case kRdbStreamListpacks:
    case kRdbStreamListpacks2:
    case kRdbStreamListpacks3:
      value->type = ValueType::kStream;
      return ReadStream(type, reader, &value->stream);
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
    case ValueType::kStream: {
      // Entries in ascending ID order, each with field, value pairs; distinct groups; pending
      // entries in ID order.
      const auto& entries = value.stream.entries;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].fields.empty() || entries[i].fields.size() % 2 != 0) return false;
        if (i > 0 && !(entries[i - 1].id < entries[i].id)) return false;
      }
      for (const DumpedStream::Group& g : value.stream.groups) {
        if (!distinct(g.name)) return false;
        for (size_t i = 1; i < g.pending.size(); ++i) {
          if (!(g.pending[i - 1].id < g.pending[i].id)) return false;
        }
        std::unordered_set<std::string_view> names;
        for (const DumpedStream::Consumer& c : g.consumers) {
          if (!names.insert(c.name).second) return false;
        }
      }
      return true;
    }
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

bool ReadRdbFile(std::string_view file, const RdbEntryFunction& entry, std::string* error,
                 const RdbFunctionLibrary& function_library) {
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
      case kRdbOpFunction: {
        std::string code;
        if (!ReadString(&reader, &code)) return fail("bad function library in RDB file");
        if (!function_library) return fail("the RDB file holds function libraries");
        if (!function_library(std::move(code))) return fail("loading stopped");
        continue;
      }
      case kRdbOpFunctionPreGa:
        return fail("the RDB file holds functions in Redis 7.0's release-candidate format");
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
