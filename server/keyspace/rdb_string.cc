#include "server/keyspace/rdb_string.h"

#include <array>
#include <limits>
#include <string>

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
  std::string out;
  out.reserve(value.size() + 16);
  out.push_back(static_cast<char>(kRdbTypeString));
  int64_t n = 0;
  if (value.size() <= 11 && protocol::ParseInt64(value, &n) && n >= INT32_MIN && n <= INT32_MAX) {
    if (n >= INT8_MIN && n <= INT8_MAX) {
      out.push_back(static_cast<char>((kEncoded << 6) | kEncInt8));
      out.push_back(static_cast<char>(n & 0xff));
    } else if (n >= INT16_MIN && n <= INT16_MAX) {
      out.push_back(static_cast<char>((kEncoded << 6) | kEncInt16));
      for (int i = 0; i < 2; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    } else {
      out.push_back(static_cast<char>((kEncoded << 6) | kEncInt32));
      for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    }
  } else {
    PutLength(value.size(), &out);
    out.append(value);
  }
  out.push_back(static_cast<char>(kRdbVersion & 0xff));
  out.push_back(static_cast<char>(kRdbVersion >> 8));
  const uint64_t crc = Crc64(0, out);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

DumpPayloadStatus DecodeDumpPayload(std::string_view payload, std::string* value) {
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
  if (!reader.Byte(&type) || type != kRdbTypeString || !ReadString(&reader, value)) {
    return DumpPayloadStatus::kBadFormat;
  }
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

}  // namespace shale::keyspace
