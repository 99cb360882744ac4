#include "storage/coding.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace shale::storage {
namespace {

TEST(CodingTest, Fixed32RoundTripAndLittleEndian) {
  std::string buf;
  PutFixed32(&buf, 0x04030201u);
  ASSERT_EQ(buf.size(), 4u);
  EXPECT_EQ(buf, std::string("\x01\x02\x03\x04", 4));
  for (uint32_t v : {0u, 1u, 0xffu, 0x100u, 0xdeadbeefu, 0xffffffffu}) {
    std::string b;
    PutFixed32(&b, v);
    EXPECT_EQ(DecodeFixed32(b.data()), v);
  }
}

TEST(CodingTest, Fixed64RoundTripAndLittleEndian) {
  std::string buf;
  PutFixed64(&buf, 0x0807060504030201ull);
  EXPECT_EQ(buf, std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  for (uint64_t v : {0ull, 1ull, 0xffffffffull, 0x100000000ull, ~0ull}) {
    std::string b;
    PutFixed64(&b, v);
    std::string_view in(b);
    uint64_t out = 0;
    ASSERT_TRUE(GetFixed64(&in, &out));
    EXPECT_EQ(out, v);
    EXPECT_TRUE(in.empty());
  }
}

TEST(CodingTest, GetFixedRejectsShortInput) {
  std::string_view in("abc");
  uint32_t v32 = 0;
  EXPECT_FALSE(GetFixed32(&in, &v32));
  std::string_view in8("abcdefg");
  uint64_t v64 = 0;
  EXPECT_FALSE(GetFixed64(&in8, &v64));
}

TEST(CodingTest, Varint32RoundTrip) {
  std::vector<uint32_t> values;
  for (uint32_t i = 0; i < 32; ++i) {
    values.push_back((1u << i) - 1);
    values.push_back(1u << i);
  }
  values.push_back(std::numeric_limits<uint32_t>::max());
  std::string buf;
  for (uint32_t v : values) PutVarint32(&buf, v);
  std::string_view in(buf);
  for (uint32_t v : values) {
    uint32_t out = 0;
    ASSERT_TRUE(GetVarint32(&in, &out));
    EXPECT_EQ(out, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, Varint64RoundTripAndLength) {
  std::vector<uint64_t> values = {0, 127, 128, 300, 1ull << 35, ~0ull};
  for (uint64_t v : values) {
    std::string buf;
    PutVarint64(&buf, v);
    EXPECT_EQ(buf.size(), static_cast<size_t>(VarintLength(v)));
    std::string_view in(buf);
    uint64_t out = 0;
    ASSERT_TRUE(GetVarint64(&in, &out));
    EXPECT_EQ(out, v);
  }
  std::string max;
  PutVarint64(&max, ~0ull);
  EXPECT_EQ(max.size(), kMaxVarint64Bytes);
}

TEST(CodingTest, VarintKnownEncoding) {
  std::string buf;
  PutVarint32(&buf, 300);
  EXPECT_EQ(buf, std::string("\xac\x02", 2));
}

TEST(CodingTest, VarintRejectsTruncatedInput) {
  std::string buf;
  PutVarint32(&buf, 1u << 30);
  for (size_t len = 0; len < buf.size(); ++len) {
    std::string_view in(buf.data(), len);
    uint32_t out = 0;
    EXPECT_FALSE(GetVarint32(&in, &out)) << len;
  }
}

TEST(CodingTest, VarintRejectsOverflow) {
  // Five bytes whose last group carries bits beyond 32.
  std::string too_big("\xff\xff\xff\xff\x1f", 5);
  std::string_view in(too_big);
  uint32_t out = 0;
  EXPECT_FALSE(GetVarint32(&in, &out));
  // Continuation bit on the fifth byte: too long for varint32.
  std::string too_long("\x80\x80\x80\x80\x80\x01", 6);
  std::string_view in2(too_long);
  EXPECT_FALSE(GetVarint32(&in2, &out));
  // Eleven bytes for a varint64.
  std::string too_long64(10, '\x80');
  too_long64.push_back('\x01');
  std::string_view in3(too_long64);
  uint64_t out64 = 0;
  EXPECT_FALSE(GetVarint64(&in3, &out64));
  // Tenth byte may only carry the top bit.
  std::string overflow64(9, '\xff');
  overflow64.push_back('\x02');
  std::string_view in4(overflow64);
  EXPECT_FALSE(GetVarint64(&in4, &out64));
}

TEST(CodingTest, LengthPrefixed) {
  std::string buf;
  PutLengthPrefixed(&buf, "hello");
  PutLengthPrefixed(&buf, "");
  PutLengthPrefixed(&buf, std::string(200, 'x'));
  std::string_view in(buf);
  std::string_view out;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "hello");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, "");
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ(out, std::string(200, 'x'));
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));

  std::string truncated;
  PutLengthPrefixed(&truncated, "hello");
  truncated.pop_back();
  std::string_view tin(truncated);
  EXPECT_FALSE(GetLengthPrefixed(&tin, &out));
}

}  // namespace
}  // namespace shale::storage
