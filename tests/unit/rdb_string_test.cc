// DUMP/RESTORE payloads of strings (server/keyspace/rdb_string.h), checked against payloads that
// Redis 7.0's DUMP produced.
#include "server/keyspace/rdb_string.h"

#include <gtest/gtest.h>

#include <string>

namespace shale::keyspace {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Payloads of redis-server 7.0 (DUMP of SET values).
constexpr std::string_view kHelloPayload = "000568656c6c6f0a006372df766534200a";  // "hello"
constexpr std::string_view kInt16Payload = "00c139300a009d94ea2793fc08b9";        // "12345"
constexpr std::string_view kInt8Payload = "00c0f90a005e26d130d7a242ab";           // "-7"
constexpr std::string_view kInt32Payload = "00c2a08601000a00f12403506f2fa674";    // "100000"
// "abcabcabcabcabc" x 10: LZF-compressed by Redis.
constexpr std::string_view kLzfPayload = "00c30b40960361626361e087020162630a00cc4ffc25a4143aeb";

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s);
  return out;
}

TEST(RdbStringTest, Crc64MatchesRedisCheckValue) {
  // Redis's crc64.c test vector.
  EXPECT_EQ(Crc64(0, "123456789"), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, ""), 0u);
  EXPECT_EQ(Crc64(Crc64(0, "1234"), "56789"), 0xe9c6d914c4b8d9caULL);
}

TEST(RdbStringTest, DumpWritesWhatRedisWrites) {
  EXPECT_EQ(DumpString("hello"), FromHex(kHelloPayload));
  EXPECT_EQ(DumpString("12345"), FromHex(kInt16Payload));
  EXPECT_EQ(DumpString("-7"), FromHex(kInt8Payload));
  EXPECT_EQ(DumpString("100000"), FromHex(kInt32Payload));
}

TEST(RdbStringTest, DecodesRedisPayloads) {
  std::string value;
  ASSERT_EQ(DecodeDumpPayload(FromHex(kHelloPayload), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, "hello");
  ASSERT_EQ(DecodeDumpPayload(FromHex(kInt16Payload), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, "12345");
  ASSERT_EQ(DecodeDumpPayload(FromHex(kInt8Payload), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, "-7");
  ASSERT_EQ(DecodeDumpPayload(FromHex(kInt32Payload), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, "100000");
  ASSERT_EQ(DecodeDumpPayload(FromHex(kLzfPayload), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, Repeat("abcabcabcabcabc", 10));
}

TEST(RdbStringTest, NonCanonicalIntegersStayPlain) {
  for (std::string_view text : {"007", "+1", "1 ", "", "2147483648", "-2147483649", "1.5"}) {
    const std::string payload = DumpString(text);
    ASSERT_GE(payload.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(payload[1]) >> 6, 0u) << text;
    std::string value;
    ASSERT_EQ(DecodeDumpPayload(payload, &value), DumpPayloadStatus::kOk) << text;
    EXPECT_EQ(value, text);
  }
  std::string value;
  ASSERT_EQ(DecodeDumpPayload(DumpString("-2147483648"), &value), DumpPayloadStatus::kOk);
  EXPECT_EQ(value, "-2147483648");
  EXPECT_EQ(static_cast<unsigned char>(DumpString("-2147483648")[1]), 0xc2);
}

TEST(RdbStringTest, LengthEncodingsRoundTrip) {
  // 6-bit, 14-bit and 32-bit lengths.
  for (size_t size : {0UL, 63UL, 64UL, 16383UL, 16384UL, 100000UL}) {
    const std::string original(size, 'x');
    const std::string payload = DumpString(original);
    std::string value;
    ASSERT_EQ(DecodeDumpPayload(payload, &value), DumpPayloadStatus::kOk) << size;
    EXPECT_EQ(value, original);
  }
  EXPECT_EQ(static_cast<unsigned char>(DumpString(std::string(64, 'x'))[1]), 0x40);
  EXPECT_EQ(static_cast<unsigned char>(DumpString(std::string(16384, 'x'))[1]), 0x80);
}

TEST(RdbStringTest, RejectsWrongChecksumVersionAndLength) {
  std::string value;
  std::string payload = FromHex(kHelloPayload);
  payload[2] ^= 1;  // a data byte
  EXPECT_EQ(DecodeDumpPayload(payload, &value), DumpPayloadStatus::kBadVersionOrChecksum);
  payload = FromHex(kHelloPayload);
  payload[payload.size() - 1] ^= 1;  // the checksum
  EXPECT_EQ(DecodeDumpPayload(payload, &value), DumpPayloadStatus::kBadVersionOrChecksum);
  EXPECT_EQ(DecodeDumpPayload("short", &value), DumpPayloadStatus::kBadVersionOrChecksum);
  // A newer RDB version than 10, with a correct checksum.
  std::string newer = std::string("\x00\x01x", 3) + std::string("\x0b\x00", 2);
  const uint64_t crc = Crc64(0, newer);
  for (int i = 0; i < 8; ++i) newer.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  EXPECT_EQ(DecodeDumpPayload(newer, &value), DumpPayloadStatus::kBadVersionOrChecksum);
}

// `body` with a version-10 footer and a correct checksum.
std::string WithFooter(std::string body) {
  body.append("\x0a\x00", 2);
  const uint64_t crc = Crc64(0, body);
  for (int i = 0; i < 8; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return body;
}

TEST(RdbStringTest, RejectsOtherTypesAndMalformedStrings) {
  std::string value;
  // A list (RDB type 18, quicklist 2) is not a string.
  EXPECT_EQ(DecodeDumpPayload(WithFooter(std::string("\x12\x01", 2)), &value),
            DumpPayloadStatus::kBadFormat);
  // Length beyond the payload.
  EXPECT_EQ(DecodeDumpPayload(WithFooter(std::string("\x00\x05hel", 5)), &value),
            DumpPayloadStatus::kBadFormat);
  // An unknown special encoding.
  EXPECT_EQ(DecodeDumpPayload(WithFooter(std::string("\x00\xc4", 2)), &value),
            DumpPayloadStatus::kBadFormat);
  // LZF that expands to another length than stated.
  EXPECT_EQ(DecodeDumpPayload(WithFooter(std::string("\x00\xc3\x03\x05\x02"
                                                     "abc",
                                                     8)),
                              &value),
            DumpPayloadStatus::kBadFormat);
  // Empty object.
  EXPECT_EQ(DecodeDumpPayload(WithFooter(""), &value), DumpPayloadStatus::kBadFormat);
}

TEST(RdbStringTest, LzfBackReferencesMayOverlap) {
  std::string out;
  // Literal "a", then a back reference of length 9 at distance 1: "a" x 10.
  ASSERT_TRUE(LzfDecompress(std::string("\x00"
                                        "a"
                                        "\xe0\x00\x00",
                                        5),
                            10, &out));
  EXPECT_EQ(out, std::string(10, 'a'));
  // A reference before the start of the output.
  EXPECT_FALSE(LzfDecompress(std::string("\x00"
                                         "a"
                                         "\x20\x05",
                                         4),
                             4, &out));
  // A truncated literal run.
  EXPECT_FALSE(LzfDecompress(std::string("\x03"
                                         "ab",
                                         3),
                             4, &out));
}

}  // namespace
}  // namespace shale::keyspace
