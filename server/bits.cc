#include "server/bits.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "server/command_table.h"

namespace shale::server::bits {

namespace {

constexpr size_t kWordBytes = sizeof(uint64_t);

uint64_t LoadWord(const char* p) {
  uint64_t word = 0;
  std::memcpy(&word, p, kWordBytes);
  return word;
}

uint8_t ByteAt(std::string_view bytes, uint64_t index) {
  return static_cast<uint8_t>(bytes[static_cast<size_t>(index)]);
}

// The bits of byte `index` that lie in `range`, as a mask (bit 7 = the byte's first bit).
uint8_t RangeMaskOfByte(BitRange range, uint64_t index) {
  const unsigned from = index == range.first / 8 ? range.first % 8 : 0;
  const unsigned to = index == range.last / 8 ? range.last % 8 : 7;
  return static_cast<uint8_t>((0xFFU >> from) & (0xFFU << (7 - to)));
}

// The index (0 = most significant) of the first set bit of a non-zero byte.
int FirstSetBit(uint8_t byte) { return std::countl_zero(byte); }

}  // namespace

uint64_t PopCount(std::string_view bytes) {
  uint64_t count = 0;
  size_t i = 0;
  for (; i + kWordBytes <= bytes.size(); i += kWordBytes) {
    count += std::popcount(LoadWord(bytes.data() + i));
  }
  for (; i < bytes.size(); ++i) count += std::popcount(ByteAt(bytes, i));
  return count;
}

bool ResolveRange(int64_t start, int64_t end, uint64_t size, bool in_bits, BitRange* range) {
  const auto total = static_cast<int64_t>(in_bits ? size * 8 : size);
  if (start < 0) start += total;
  if (end < 0) end += total;
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  end = std::min(end, total - 1);
  if (start > end) return false;
  if (in_bits) {
    range->first = static_cast<uint64_t>(start);
    range->last = static_cast<uint64_t>(end);
  } else {
    range->first = static_cast<uint64_t>(start) * 8;
    range->last = static_cast<uint64_t>(end) * 8 + 7;
  }
  return true;
}

uint64_t CountBits(std::string_view bytes, BitRange range) {
  const uint64_t first_byte = range.first / 8;
  const uint64_t last_byte = range.last / 8;
  uint64_t count = std::popcount(
      static_cast<uint8_t>(ByteAt(bytes, first_byte) & RangeMaskOfByte(range, first_byte)));
  if (last_byte == first_byte) return count;
  count += PopCount(bytes.substr(first_byte + 1, last_byte - first_byte - 1));
  count += std::popcount(
      static_cast<uint8_t>(ByteAt(bytes, last_byte) & RangeMaskOfByte(range, last_byte)));
  return count;
}

int64_t FindBit(std::string_view bytes, bool bit, BitRange range) {
  // Looking for a 0 is looking for a 1 in the complement.
  const uint8_t flip = bit ? 0x00 : 0xFF;
  const uint64_t skip_word = bit ? 0 : std::numeric_limits<uint64_t>::max();
  const uint64_t first_byte = range.first / 8;
  const uint64_t last_byte = range.last / 8;
  auto found_in = [&](uint64_t index, uint8_t mask) -> int64_t {
    const auto candidates = static_cast<uint8_t>((ByteAt(bytes, index) ^ flip) & mask);
    if (candidates == 0) return -1;
    return static_cast<int64_t>(index * 8) + FirstSetBit(candidates);
  };
  int64_t pos = found_in(first_byte, RangeMaskOfByte(range, first_byte));
  if (pos >= 0 || last_byte == first_byte) return pos;
  uint64_t i = first_byte + 1;
  while (i < last_byte) {
    if (i + kWordBytes <= last_byte && LoadWord(bytes.data() + i) == skip_word) {
      i += kWordBytes;
      continue;
    }
    pos = found_in(i, 0xFF);
    if (pos >= 0) return pos;
    ++i;
  }
  return found_in(last_byte, RangeMaskOfByte(range, last_byte));
}

bool GetBit(std::string_view bytes, uint64_t offset) {
  if (offset / 8 >= bytes.size()) return false;
  return ((ByteAt(bytes, offset / 8) >> (7 - offset % 8)) & 1) != 0;
}

void SetBit(std::string* bytes, uint64_t offset, bool on) {
  char& byte = (*bytes)[static_cast<size_t>(offset / 8)];
  const auto mask = static_cast<uint8_t>(0x80U >> (offset % 8));
  const auto old = static_cast<uint8_t>(byte);
  byte = static_cast<char>(on ? (old | mask) : (old & ~mask));
}

std::string BitOp(BitOpKind op, const std::vector<std::string_view>& sources) {
  size_t longest = 0;
  for (std::string_view source : sources) longest = std::max(longest, source.size());
  std::string result(sources[0]);
  result.resize(longest, '\0');
  if (op == BitOpKind::kNot) {
    size_t i = 0;
    for (; i + kWordBytes <= result.size(); i += kWordBytes) {
      const uint64_t word = ~LoadWord(result.data() + i);
      std::memcpy(result.data() + i, &word, kWordBytes);
    }
    for (; i < result.size(); ++i) result[i] = static_cast<char>(~result[i]);
    return result;
  }
  for (size_t s = 1; s < sources.size(); ++s) {
    const std::string_view source = sources[s];
    size_t i = 0;
    for (; i + kWordBytes <= source.size(); i += kWordBytes) {
      uint64_t word = LoadWord(result.data() + i);
      const uint64_t other = LoadWord(source.data() + i);
      if (op == BitOpKind::kAnd) {
        word &= other;
      } else if (op == BitOpKind::kOr) {
        word |= other;
      } else {
        word ^= other;
      }
      std::memcpy(result.data() + i, &word, kWordBytes);
    }
    for (; i < source.size(); ++i) {
      if (op == BitOpKind::kAnd) {
        result[i] = static_cast<char>(result[i] & source[i]);
      } else if (op == BitOpKind::kOr) {
        result[i] = static_cast<char>(result[i] | source[i]);
      } else {
        result[i] = static_cast<char>(result[i] ^ source[i]);
      }
    }
    // AND with the zero padding of a shorter source; OR and XOR leave the rest as it is.
    if (op == BitOpKind::kAnd) std::fill(result.begin() + source.size(), result.end(), '\0');
  }
  return result;
}

uint64_t GetUnsignedField(std::string_view bytes, uint64_t offset, int width) {
  uint64_t value = 0;
  for (int i = 0; i < width; ++i) {
    value = (value << 1) | (GetBit(bytes, offset + i) ? 1 : 0);
  }
  return value;
}

int64_t GetSignedField(std::string_view bytes, uint64_t offset, int width) {
  uint64_t value = GetUnsignedField(bytes, offset, width);
  if (width < 64 && (value >> (width - 1)) != 0) value |= ~uint64_t{0} << width;
  return static_cast<int64_t>(value);
}

void SetField(std::string* bytes, uint64_t offset, int width, uint64_t value) {
  for (int i = 0; i < width; ++i) {
    SetBit(bytes, offset + i, ((value >> (width - 1 - i)) & 1) != 0);
  }
}

bool AddSigned(int64_t value, int64_t incr, int width, Overflow overflow, int64_t* result) {
  const int64_t max = width == 64 ? std::numeric_limits<int64_t>::max()
                                  : static_cast<int64_t>((uint64_t{1} << (width - 1)) - 1);
  const int64_t min = -max - 1;
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= min && sum <= max) {
    *result = static_cast<int64_t>(sum);
    return false;
  }
  if (overflow == Overflow::kSat) {
    *result = sum > max ? max : min;
  } else if (overflow == Overflow::kWrap) {
    // The low `width` bits of the sum, sign-extended.
    uint64_t wrapped = static_cast<uint64_t>(value) + static_cast<uint64_t>(incr);
    if (width < 64) {
      const uint64_t high = ~uint64_t{0} << width;
      wrapped = ((wrapped >> (width - 1)) & 1) != 0 ? (wrapped | high) : (wrapped & ~high);
    }
    *result = static_cast<int64_t>(wrapped);
  }
  return true;
}

bool AddUnsigned(uint64_t value, int64_t incr, int width, Overflow overflow, uint64_t* result) {
  const uint64_t max =
      width == 64 ? std::numeric_limits<uint64_t>::max() : (uint64_t{1} << width) - 1;
  const __int128 sum = static_cast<__int128>(value) + incr;
  if (sum >= 0 && sum <= static_cast<__int128>(max)) {
    *result = static_cast<uint64_t>(sum);
    return false;
  }
  if (overflow == Overflow::kSat) {
    *result = sum > 0 ? max : 0;
  } else if (overflow == Overflow::kWrap) {
    *result = (value + static_cast<uint64_t>(incr)) & max;
  }
  return true;
}

bool ParseBitOffset(std::string_view arg, int field_width, int64_t max_bytes, uint64_t* offset) {
  const bool by_field = field_width > 0 && !arg.empty() && arg[0] == '#';
  int64_t value = 0;
  if (!ParseInt64(by_field ? arg.substr(1) : arg, &value)) return false;
  if (by_field && __builtin_mul_overflow(value, field_width, &value)) return false;
  if (value < 0 || (value >> 3) >= max_bytes) return false;
  *offset = static_cast<uint64_t>(value);
  return true;
}

bool ParseFieldType(std::string_view arg, bool* is_signed, int* width) {
  if (arg.empty() || (arg[0] != 'i' && arg[0] != 'u')) return false;
  int64_t bits = 0;
  if (!ParseInt64(arg.substr(1), &bits)) return false;
  const bool signed_type = arg[0] == 'i';
  if (bits < 1 || bits > (signed_type ? 64 : 63)) return false;
  *is_signed = signed_type;
  *width = static_cast<int>(bits);
  return true;
}

}  // namespace shale::server::bits
