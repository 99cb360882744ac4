// Integer encodings used by every on-disk format in storage/.
//
// Fixed-width integers are little-endian: fixed32 = 4 bytes, fixed64 = 8 bytes.
// Varints are LEB128: 7 bits per byte, least significant group first, the high bit set on
// every byte but the last (varint32: at most 5 bytes, varint64: at most 10).
//
// Decoders take a std::string_view* input, consume what they decode from its front and return
// false (leaving the input unspecified) when the input is too short or malformed, so a reader of
// untrusted bytes never reads out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace shale::storage {

constexpr size_t kMaxVarint32Bytes = 5;
constexpr size_t kMaxVarint64Bytes = 10;

inline void EncodeFixed32(char* dst, uint32_t value) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

inline void EncodeFixed64(char* dst, uint64_t value) {
  for (int i = 0; i < 8; ++i) dst[i] = static_cast<char>((value >> (8 * i)) & 0xff);
}

inline uint32_t DecodeFixed32(const char* src) {
  const auto* p = reinterpret_cast<const unsigned char*>(src);
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t DecodeFixed64(const char* src) {
  return static_cast<uint64_t>(DecodeFixed32(src)) |
         (static_cast<uint64_t>(DecodeFixed32(src + 4)) << 32);
}

inline void PutFixed32(std::string* dst, uint32_t value) {
  char buf[4];
  EncodeFixed32(buf, value);
  dst->append(buf, sizeof(buf));
}

inline void PutFixed64(std::string* dst, uint64_t value) {
  char buf[8];
  EncodeFixed64(buf, value);
  dst->append(buf, sizeof(buf));
}

// Writes the varint of `value` at `dst` (room for kMaxVarint64Bytes) and returns the byte past it.
inline char* EncodeVarint64(char* dst, uint64_t value) {
  auto* p = reinterpret_cast<unsigned char*>(dst);
  while (value >= 0x80) {
    *p++ = static_cast<unsigned char>(value | 0x80);
    value >>= 7;
  }
  *p++ = static_cast<unsigned char>(value);
  return reinterpret_cast<char*>(p);
}

inline char* EncodeVarint32(char* dst, uint32_t value) { return EncodeVarint64(dst, value); }

inline void PutVarint64(std::string* dst, uint64_t value) {
  char buf[kMaxVarint64Bytes];
  char* end = EncodeVarint64(buf, value);
  dst->append(buf, static_cast<size_t>(end - buf));
}

inline void PutVarint32(std::string* dst, uint32_t value) { PutVarint64(dst, value); }

inline int VarintLength(uint64_t value) {
  int len = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++len;
  }
  return len;
}

// Appends varint32(length) followed by the bytes.
inline void PutLengthPrefixed(std::string* dst, std::string_view bytes) {
  PutVarint32(dst, static_cast<uint32_t>(bytes.size()));
  dst->append(bytes.data(), bytes.size());
}

inline bool GetFixed32(std::string_view* input, uint32_t* value) {
  if (input->size() < 4) return false;
  *value = DecodeFixed32(input->data());
  input->remove_prefix(4);
  return true;
}

inline bool GetFixed64(std::string_view* input, uint64_t* value) {
  if (input->size() < 8) return false;
  *value = DecodeFixed64(input->data());
  input->remove_prefix(8);
  return true;
}

// Decodes a varint of at most `max_bytes` bytes whose value fits in `max_bits` bits.
inline bool GetVarintBounded(std::string_view* input, uint64_t* value, size_t max_bytes,
                             int max_bits) {
  uint64_t result = 0;
  for (size_t i = 0; i < max_bytes && i < input->size(); ++i) {
    const uint64_t byte = static_cast<unsigned char>((*input)[i]);
    const int shift = static_cast<int>(7 * i);
    const uint64_t group = byte & 0x7f;
    // Bits that would fall beyond max_bits make the encoding invalid.
    if (shift + 7 > max_bits && (group >> (max_bits - shift)) != 0) return false;
    result |= group << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      input->remove_prefix(i + 1);
      return true;
    }
  }
  return false;
}

inline bool GetVarint64(std::string_view* input, uint64_t* value) {
  return GetVarintBounded(input, value, kMaxVarint64Bytes, 64);
}

inline bool GetVarint32(std::string_view* input, uint32_t* value) {
  uint64_t v = 0;
  if (!GetVarintBounded(input, &v, kMaxVarint32Bytes, 32)) return false;
  *value = static_cast<uint32_t>(v);
  return true;
}

// Reads varint32(length) and that many bytes; `*result` points into the input.
inline bool GetLengthPrefixed(std::string_view* input, std::string_view* result) {
  uint32_t len = 0;
  if (!GetVarint32(input, &len) || input->size() < len) return false;
  *result = input->substr(0, len);
  input->remove_prefix(len);
  return true;
}

}  // namespace shale::storage
