// The bit arithmetic of the bitmap commands (server/bits.h), checked against bit-by-bit
// reference versions on deterministic pseudo-random values, and at the limits Redis defines.
#include "server/bits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace shale::server::bits {
namespace {

constexpr int64_t kMaxBulk = 512LL * 1024 * 1024;

bool ReferenceBit(const std::string& s, uint64_t i) {
  return ((static_cast<uint8_t>(s[i / 8]) >> (7 - i % 8)) & 1) != 0;
}

uint64_t ReferenceCount(const std::string& s, uint64_t first, uint64_t last) {
  uint64_t count = 0;
  for (uint64_t i = first; i <= last; ++i) count += ReferenceBit(s, i) ? 1 : 0;
  return count;
}

int64_t ReferenceFind(const std::string& s, bool bit, uint64_t first, uint64_t last) {
  for (uint64_t i = first; i <= last; ++i) {
    if (ReferenceBit(s, i) == bit) return static_cast<int64_t>(i);
  }
  return -1;
}

// Values mixing random bytes with long runs of 0x00 and 0xFF, so that word skipping is used.
std::vector<std::string> SampleValues() {
  std::mt19937 rng(20261202);
  std::vector<std::string> values;
  for (size_t length = 1; length <= 40; ++length) {
    for (int kind = 0; kind < 4; ++kind) {
      std::string s(length, '\0');
      for (char& c : s) {
        const uint32_t r = rng();
        if (kind == 0) c = static_cast<char>(r);
        if (kind == 1) c = (r % 16 == 0) ? static_cast<char>(r >> 8) : '\0';
        if (kind == 2) c = (r % 16 == 0) ? static_cast<char>(r >> 8) : '\xff';
        if (kind == 3) c = (r % 2 == 0) ? '\0' : '\xff';
      }
      values.push_back(s);
    }
  }
  return values;
}

TEST(BitsTest, PopCountMatchesBitByBit) {
  EXPECT_EQ(PopCount(""), 0u);
  EXPECT_EQ(PopCount("foobar"), 26u);
  EXPECT_EQ(PopCount(std::string(1000, '\xff')), 8000u);
  for (const std::string& s : SampleValues()) {
    EXPECT_EQ(PopCount(s), ReferenceCount(s, 0, s.size() * 8 - 1));
  }
}

TEST(BitsTest, CountAndFindMatchBitByBitOverEveryRange) {
  for (const std::string& s : SampleValues()) {
    if (s.size() > 20) continue;  // every range of the longer ones is too many
    const uint64_t bits = s.size() * 8;
    for (uint64_t first = 0; first < bits; ++first) {
      for (uint64_t last = first; last < bits; ++last) {
        const BitRange range{first, last};
        ASSERT_EQ(CountBits(s, range), ReferenceCount(s, first, last));
        ASSERT_EQ(FindBit(s, true, range), ReferenceFind(s, true, first, last));
        ASSERT_EQ(FindBit(s, false, range), ReferenceFind(s, false, first, last));
      }
    }
  }
}

TEST(BitsTest, FindSkipsLongRunsAWordAtATime) {
  std::string s(1000, '\0');
  s[997] = '\x10';
  EXPECT_EQ(FindBit(s, true, {0, 7999}), 997 * 8 + 3);
  EXPECT_EQ(FindBit(s, true, {5, 997 * 8 + 2}), -1);
  std::string ones(1000, '\xff');
  EXPECT_EQ(FindBit(ones, false, {0, 7999}), -1);
  ones[500] = '\xfe';
  EXPECT_EQ(FindBit(ones, false, {3, 7999}), 500 * 8 + 7);
  EXPECT_EQ(CountBits(ones, {3, 7999}), 7997u - 1);
}

TEST(BitsTest, ResolveRangeFollowsRedisIndexRules) {
  BitRange range;
  // "foobar", bytes: 1..-2 is bytes 1..4.
  ASSERT_TRUE(ResolveRange(1, -2, 6, false, &range));
  EXPECT_EQ(range.first, 8u);
  EXPECT_EQ(range.last, 39u);
  // An end past the value is clamped to its last byte or bit.
  ASSERT_TRUE(ResolveRange(0, 1000, 6, false, &range));
  EXPECT_EQ(range.last, 47u);
  ASSERT_TRUE(ResolveRange(3, 1000, 6, true, &range));
  EXPECT_EQ(range.first, 3u);
  EXPECT_EQ(range.last, 47u);
  // Negative bit indexes count from the last bit: -34 of 48 bits is bit 14.
  ASSERT_TRUE(ResolveRange(10, -34, 6, true, &range));
  EXPECT_EQ(range.first, 10u);
  EXPECT_EQ(range.last, 14u);
  // Indexes before the start are clamped to 0.
  ASSERT_TRUE(ResolveRange(-100, -200, 6, false, &range));
  EXPECT_EQ(range.first, 0u);
  EXPECT_EQ(range.last, 7u);
  EXPECT_FALSE(ResolveRange(-2, 1, 6, false, &range));
  EXPECT_FALSE(ResolveRange(4, 10, 4, false, &range));
  EXPECT_FALSE(ResolveRange(32, 87, 4, true, &range));
  EXPECT_FALSE(ResolveRange(0, -1, 0, false, &range)) << "an empty value has no range";
  EXPECT_FALSE(ResolveRange(std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::min(), 0, true, &range));
}

TEST(BitsTest, GetAndSetBit) {
  std::string s(2, '\0');
  SetBit(&s, 0, true);
  SetBit(&s, 15, true);
  EXPECT_EQ(s, std::string("\x80\x01", 2));
  EXPECT_TRUE(GetBit(s, 0));
  EXPECT_FALSE(GetBit(s, 1));
  EXPECT_TRUE(GetBit(s, 15));
  EXPECT_FALSE(GetBit(s, 16)) << "beyond the end reads as zero";
  EXPECT_FALSE(GetBit(s, std::numeric_limits<uint64_t>::max()));
  SetBit(&s, 0, false);
  EXPECT_EQ(s, std::string("\x00\x01", 2));
}

TEST(BitsTest, BitOpPadsShorterSourcesWithZeros) {
  const std::string a("\x01\x02\xff\xff", 4);
  const std::string b("\x01\x02\xff", 3);
  EXPECT_EQ(BitOp(BitOpKind::kAnd, {a, b}), std::string("\x01\x02\xff\x00", 4));
  EXPECT_EQ(BitOp(BitOpKind::kOr, {a, b}), a);
  EXPECT_EQ(BitOp(BitOpKind::kXor, {a, b}), std::string("\x00\x00\x00\xff", 4));
  EXPECT_EQ(BitOp(BitOpKind::kAnd, {"", a}), std::string(4, '\0'));
  EXPECT_EQ(BitOp(BitOpKind::kNot, {std::string("\xaa\x00\xff\x55", 4)}),
            std::string("\x55\xff\x00\xaa", 4));
  EXPECT_EQ(BitOp(BitOpKind::kNot, {""}), "");
  EXPECT_EQ(BitOp(BitOpKind::kOr, {"", ""}), "");
  EXPECT_EQ(BitOp(BitOpKind::kXor, {"1", "2", "1"}), "2");
}

TEST(BitsTest, BitOpMatchesByteByByteOnLongValues) {
  const std::vector<std::string> values = SampleValues();
  for (size_t i = 0; i + 2 < values.size(); i += 3) {
    const std::vector<std::string_view> sources{values[i], values[i + 1], values[i + 2]};
    size_t longest = 0;
    for (std::string_view s : sources) longest = std::max(longest, s.size());
    std::string want_and(longest, '\0'), want_or(longest, '\0'), want_xor(longest, '\0');
    for (size_t k = 0; k < longest; ++k) {
      auto at = [&](size_t s) { return k < sources[s].size() ? sources[s][k] : '\0'; };
      want_and[k] = static_cast<char>(at(0) & at(1) & at(2));
      want_or[k] = static_cast<char>(at(0) | at(1) | at(2));
      want_xor[k] = static_cast<char>(at(0) ^ at(1) ^ at(2));
    }
    EXPECT_EQ(BitOp(BitOpKind::kAnd, sources), want_and);
    EXPECT_EQ(BitOp(BitOpKind::kOr, sources), want_or);
    EXPECT_EQ(BitOp(BitOpKind::kXor, sources), want_xor);
  }
}

TEST(BitsTest, FieldsAreBigEndianAtAnyOffset) {
  std::string s(3, '\0');
  SetField(&s, 4, 12, 0xABC);
  EXPECT_EQ(s, std::string("\x0a\xbc\x00", 3));
  EXPECT_EQ(GetUnsignedField(s, 4, 12), 0xABCu);
  EXPECT_EQ(GetUnsignedField(s, 0, 8), 0x0Au);
  EXPECT_EQ(GetSignedField(s, 4, 12), 0xABC - 4096) << "the top bit is the sign";
  EXPECT_EQ(GetSignedField(s, 4, 4), -6);
  EXPECT_EQ(GetUnsignedField(s, 20, 8), 0u) << "beyond the end reads as zero";
  EXPECT_EQ(GetUnsignedField(s, 8, 16), 0xBC00u) << "a field may run past the end";
  std::string wide(9, '\0');
  SetField(&wide, 3, 64, 0x8000000000000001ULL);
  EXPECT_EQ(GetSignedField(wide, 3, 64), std::numeric_limits<int64_t>::min() + 1);
  EXPECT_EQ(GetUnsignedField(wide, 3, 63), 0x4000000000000000ULL);
  SetField(&wide, 0, 1, 1);
  EXPECT_EQ(GetSignedField(wide, 0, 1), -1);
  EXPECT_EQ(GetUnsignedField(wide, 0, 1), 1u);
}

TEST(BitsTest, SignedOverflowPolicies) {
  int64_t result = 0;
  EXPECT_FALSE(AddSigned(100, 27, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 127);
  EXPECT_TRUE(AddSigned(100, 28, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, -128);
  EXPECT_TRUE(AddSigned(100, 28, 8, Overflow::kSat, &result));
  EXPECT_EQ(result, 127);
  EXPECT_TRUE(AddSigned(-100, -200, 8, Overflow::kSat, &result));
  EXPECT_EQ(result, -128);
  EXPECT_TRUE(AddSigned(-100, -200, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, -44);
  result = 7;
  EXPECT_TRUE(AddSigned(-100, -200, 8, Overflow::kFail, &result));
  EXPECT_EQ(result, 7) << "FAIL leaves the result alone";
  // A SET is an increment of 0 of the new value.
  EXPECT_TRUE(AddSigned(300, 0, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 44);
  EXPECT_TRUE(AddSigned(1, 0, 1, Overflow::kSat, &result));
  EXPECT_EQ(result, 0) << "i1 holds -1 and 0";
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_TRUE(AddSigned(max, 1, 64, Overflow::kWrap, &result));
  EXPECT_EQ(result, min);
  EXPECT_TRUE(AddSigned(min, -1, 64, Overflow::kSat, &result));
  EXPECT_EQ(result, min);
  EXPECT_TRUE(AddSigned(min, min, 64, Overflow::kWrap, &result));
  EXPECT_EQ(result, 0);
  EXPECT_FALSE(AddSigned(min, max, 64, Overflow::kFail, &result));
  EXPECT_EQ(result, -1);
}

TEST(BitsTest, UnsignedOverflowPolicies) {
  uint64_t result = 0;
  EXPECT_FALSE(AddUnsigned(200, 55, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 255u);
  EXPECT_TRUE(AddUnsigned(200, 100, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 44u);
  EXPECT_TRUE(AddUnsigned(200, 100, 8, Overflow::kSat, &result));
  EXPECT_EQ(result, 255u);
  EXPECT_TRUE(AddUnsigned(10, -11, 8, Overflow::kSat, &result));
  EXPECT_EQ(result, 0u);
  EXPECT_TRUE(AddUnsigned(10, -11, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 255u);
  result = 3;
  EXPECT_TRUE(AddUnsigned(10, -11, 8, Overflow::kFail, &result));
  EXPECT_EQ(result, 3u);
  // SET u8 -1: the value as unsigned is far above the field, so SAT gives the maximum.
  EXPECT_TRUE(AddUnsigned(static_cast<uint64_t>(-1), 0, 8, Overflow::kSat, &result));
  EXPECT_EQ(result, 255u);
  EXPECT_TRUE(AddUnsigned(static_cast<uint64_t>(-1), 0, 8, Overflow::kWrap, &result));
  EXPECT_EQ(result, 255u);
  const uint64_t max63 = (uint64_t{1} << 63) - 1;
  EXPECT_TRUE(AddUnsigned(0, -1, 63, Overflow::kWrap, &result));
  EXPECT_EQ(result, max63);
  EXPECT_FALSE(
      AddUnsigned(1, std::numeric_limits<int64_t>::max() - 1, 63, Overflow::kFail, &result));
  EXPECT_EQ(result, max63);
}

TEST(BitsTest, ParseBitOffset) {
  uint64_t offset = 0;
  EXPECT_TRUE(ParseBitOffset("0", 0, kMaxBulk, &offset));
  EXPECT_EQ(offset, 0u);
  EXPECT_TRUE(ParseBitOffset("4294967295", 0, kMaxBulk, &offset));
  EXPECT_EQ(offset, 4294967295u);
  EXPECT_FALSE(ParseBitOffset("4294967296", 0, kMaxBulk, &offset)) << "byte 512 MB";
  EXPECT_TRUE(ParseBitOffset("4294967296", 0, kMaxBulk + 1, &offset));
  EXPECT_FALSE(ParseBitOffset("-1", 0, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("", 0, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("1x", 0, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset(" 1", 0, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("#1", 0, kMaxBulk, &offset)) << "'#' is BITFIELD's only";
  EXPECT_TRUE(ParseBitOffset("#3", 8, kMaxBulk, &offset));
  EXPECT_EQ(offset, 24u);
  EXPECT_TRUE(ParseBitOffset("17", 8, kMaxBulk, &offset));
  EXPECT_EQ(offset, 17u);
  EXPECT_FALSE(ParseBitOffset("#-1", 8, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("#", 8, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("#536870912", 8, kMaxBulk, &offset));
  EXPECT_FALSE(ParseBitOffset("#4611686018427387904", 8, kMaxBulk, &offset))
      << "an offset that overflows when multiplied";
}

TEST(BitsTest, ParseFieldType) {
  bool is_signed = false;
  int width = 0;
  EXPECT_TRUE(ParseFieldType("i64", &is_signed, &width));
  EXPECT_TRUE(is_signed);
  EXPECT_EQ(width, 64);
  EXPECT_TRUE(ParseFieldType("u63", &is_signed, &width));
  EXPECT_FALSE(is_signed);
  EXPECT_EQ(width, 63);
  EXPECT_TRUE(ParseFieldType("i1", &is_signed, &width));
  EXPECT_EQ(width, 1);
  for (const char* bad :
       {"u64", "i65", "i0", "u0", "i", "u", "", "I8", "U8", "x8", "i-1", "i8 ", "i08"}) {
    EXPECT_FALSE(ParseFieldType(bad, &is_signed, &width)) << bad;
  }
}

}  // namespace
}  // namespace shale::server::bits
