// DUMP/RESTORE payloads (server/keyspace/rdb.h) of strings and of the other types, checked
// against payloads that Redis 7.0's DUMP produced in each of its encodings.
#include "server/keyspace/rdb.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

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

// Payloads of redis-server 7.0.15 in the encodings it writes for small and large values.
using Strings = std::vector<std::string>;

DumpedValue Decoded(std::string_view hex) {
  DumpedValue value;
  EXPECT_EQ(DecodeDumpPayload(FromHex(hex), &value), DumpPayloadStatus::kOk) << hex;
  return value;
}

TEST(RdbTest, StreamsRoundTrip) {
  DumpedValue value;
  value.type = ValueType::kStream;
  DumpedStream& stream = value.stream;
  // More than one node (100 entries each), large and negative-looking IDs, long values.
  for (uint64_t i = 0; i < 250; ++i) {
    stream.entries.push_back(
        {{1000 + i, i * 7}, {"f", std::to_string(i), "g", std::string(i, 'x')}});
  }
  stream.entries.push_back({{UINT64_MAX, UINT64_MAX - 1}, {"last", std::string(5000, 'y')}});
  stream.meta.last_id = {UINT64_MAX, UINT64_MAX - 1};
  stream.meta.first_id = {1000, 0};
  stream.meta.max_deleted = {999, 3};
  stream.meta.entries_added = 300;
  DumpedStream::Group g;
  g.name = "group";
  g.last_id = {1001, 7};
  g.entries_read = -1;
  g.pending = {{{1000, 0}, 111, 2, "alice"}, {{1001, 7}, 222, 1, "bob"}};
  g.consumers = {{"alice", 11}, {"bob", 22}, {"idle", 33}};
  stream.groups.push_back(g);
  stream.meta.groups = 1;
  DumpedValue back;
  ASSERT_EQ(DecodeDumpPayload(DumpValue(value), &back), DumpPayloadStatus::kOk);
  ASSERT_EQ(back.type, ValueType::kStream);
  ASSERT_EQ(back.stream.entries.size(), stream.entries.size());
  for (size_t i = 0; i < stream.entries.size(); ++i) {
    EXPECT_EQ(back.stream.entries[i].id, stream.entries[i].id) << i;
    EXPECT_EQ(back.stream.entries[i].fields, stream.entries[i].fields) << i;
  }
  EXPECT_EQ(back.stream.meta.last_id, stream.meta.last_id);
  EXPECT_EQ(back.stream.meta.first_id, stream.meta.first_id);
  EXPECT_EQ(back.stream.meta.max_deleted, stream.meta.max_deleted);
  EXPECT_EQ(back.stream.meta.entries_added, 300u);
  ASSERT_EQ(back.stream.groups.size(), 1u);
  const DumpedStream::Group& bg = back.stream.groups[0];
  EXPECT_EQ(bg.name, "group");
  EXPECT_EQ(bg.last_id, g.last_id);
  EXPECT_EQ(bg.entries_read, -1);
  ASSERT_EQ(bg.pending.size(), 2u);
  EXPECT_EQ(bg.pending[0].consumer, "alice");
  EXPECT_EQ(bg.pending[0].delivered_ms, 111u);
  EXPECT_EQ(bg.pending[0].deliveries, 2u);
  EXPECT_EQ(bg.pending[1].consumer, "bob");
  ASSERT_EQ(bg.consumers.size(), 3u);
  EXPECT_EQ(bg.consumers[2].name, "idle");
  EXPECT_EQ(bg.consumers[2].seen_ms, 33u);
  // A pending entry owned by no consumer is refused.
  value.stream.groups[0].consumers.pop_back();
  value.stream.groups[0].consumers.pop_back();
  EXPECT_EQ(DecodeDumpPayload(DumpValue(value), &back), DumpPayloadStatus::kBadFormat);
}

TEST(RdbTest, DecodesRedisListEncodings) {
  // A quicklist of two listpack nodes, with 7-bit, 13-bit, 24-bit, 64-bit and string entries.
  DumpedValue list = Decoded(
      "120202141400000004008161020101dffb02f270110104ff02161600000003008001d00002f4ffffffffffffff"
      "7f09ff0a00749f437a0631c476");
  EXPECT_EQ(list.type, ValueType::kList);
  EXPECT_EQ(list.elements, (Strings{"a", "1", "-5", "70000", "", "-4096", "9223372036854775807"}));
  // Three nodes, the middle one LZF-compressed (list-compress-depth 1).
  list = Decoded(
      "120302c320408b078b00000004009f61e01400013020e016200031e017200032e01720023320ff02c320408b07"
      "8b00000004009f61e01400013420e016200035e017200036e01720023720ff02c325408d078d00000004009f61"
      "e01400013820e01620023920a0e014400361313021e01721023121ff0a00f7fcb0c8796f0aa8");
  ASSERT_EQ(list.elements.size(), 12u);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(list.elements[i], std::string(30, 'a') + std::to_string(i));
}

TEST(RdbTest, DecodesRedisSetHashAndSortedSetEncodings) {
  DumpedValue set = Decoded("0b0e0200000003000000feff01002c010a005b0aa862f794600a");  // intset
  EXPECT_EQ(set.type, ValueType::kSet);
  EXPECT_EQ(set.elements, (Strings{"-2", "1", "300"}));
  DumpedValue hash = Decoded(  // listpack
      "1014140000000400816602817602816e02f1393003ff0a00295e989381be5650");
  EXPECT_EQ(hash.type, ValueType::kHash);
  EXPECT_EQ(hash.fields,
            (std::vector<std::pair<std::string, std::string>>{{"f", "v"}, {"n", "12345"}}));
  DumpedValue zset = Decoded(  // listpack
      "111a1a0000000600816302dffd02816102010181620283322e3504ff0a00a68a1ab1a9f2dcc2");
  EXPECT_EQ(zset.type, ValueType::kZSet);
  EXPECT_EQ(zset.scored,
            (std::vector<std::pair<std::string, double>>{{"c", -3}, {"a", 1}, {"b", 2.5}}));
  zset = Decoded("0502016200000000000004400161000000000000f03f0a00f46eb73919767291");  // skiplist
  EXPECT_EQ(zset.scored, (std::vector<std::pair<std::string, double>>{{"b", 2.5}, {"a", 1}}));
}

TEST(RdbTest, EveryTypeRoundTrips) {
  DumpedValue list;
  list.type = ValueType::kList;
  list.elements = {"x", "", "12", "-70000", std::string(20000, 'y'), "x"};
  DumpedValue set;
  set.type = ValueType::kSet;
  set.elements = {"a", "7", std::string("\0b", 2)};
  DumpedValue hash;
  hash.type = ValueType::kHash;
  hash.fields = {{"f", "1"}, {"g", ""}, {std::string(300, 'k'), "v"}};
  DumpedValue zset;
  zset.type = ValueType::kZSet;
  zset.scored = {{"a", -1.5}, {"b", HUGE_VAL}, {"c", -HUGE_VAL}, {"d", 1e-300}};
  for (const DumpedValue& value : {list, set, hash, zset}) {
    const std::string payload = DumpValue(value);
    DumpedValue back;
    ASSERT_EQ(DecodeDumpPayload(payload, &back), DumpPayloadStatus::kOk);
    EXPECT_EQ(back.type, value.type);
    EXPECT_EQ(back.elements, value.elements);
    EXPECT_EQ(back.fields, value.fields);
    EXPECT_EQ(back.scored, value.scored);
  }
  // The plain forms Redis reads: list 1, set 2, hash 4, sorted set 5 (binary scores).
  EXPECT_EQ(DumpValue(list)[0], 1);
  EXPECT_EQ(DumpValue(set)[0], 2);
  EXPECT_EQ(DumpValue(hash)[0], 4);
  EXPECT_EQ(DumpValue(zset)[0], 5);
}

TEST(RdbTest, RefusesEmptyRepeatedAndMalformedValues) {
  DumpedValue value;
  const auto decode = [&value](std::string_view body) {
    return DecodeDumpPayload(WithFooter(std::string(body)), &value);
  };
  using std::string_literals::operator""s;
  EXPECT_EQ(decode("\x01\x00"s), DumpPayloadStatus::kBadFormat);  // empty list
  EXPECT_EQ(decode("\x02\x02\x01"
                   "a\x01"
                   "a"s),
            DumpPayloadStatus::kBadFormat);  // repeated member
  EXPECT_EQ(decode("\x02\x02\x01"
                   "a\x01"
                   "b"s),
            DumpPayloadStatus::kOk);
  EXPECT_EQ(decode("\x04\x02\x01"
                   "f\x01v\x01"
                   "f\x01w"s),
            DumpPayloadStatus::kBadFormat);
  EXPECT_EQ(decode("\x02\x05\x01"
                   "a"s),
            DumpPayloadStatus::kBadFormat);  // count too large
  EXPECT_EQ(decode("\x02\x81\xff\xff\xff\xff\xff\xff\xff\xff"s), DumpPayloadStatus::kBadFormat);
  // A sorted set with a NaN score, in binary and as text (253).
  EXPECT_EQ(decode("\x05\x01\x01"
                   "a\x00\x00\x00\x00\x00\x00\xf8\x7f"s),
            DumpPayloadStatus::kBadFormat);
  EXPECT_EQ(decode("\x03\x01\x01"
                   "a\xfd"s),
            DumpPayloadStatus::kBadFormat);
  EXPECT_EQ(decode("\x03\x02\x01"
                   "a\xfe\x01"
                   "b\x03"
                   "2.5"s),
            DumpPayloadStatus::kOk);
  EXPECT_EQ(value.scored,
            (std::vector<std::pair<std::string, double>>{{"a", HUGE_VAL}, {"b", 2.5}}));
  // A listpack whose byte count is wrong, one cut short, and an intset of width 3.
  EXPECT_EQ(decode("\x10\x0a\x0b\x00\x00\x00\x02\x00\x81"
                   "a\x02\xff"s),
            DumpPayloadStatus::kBadFormat);
  EXPECT_EQ(decode("\x10\x09\x0a\x00\x00\x00\x02\x00\x81"
                   "a\x02"s),
            DumpPayloadStatus::kBadFormat);
  EXPECT_EQ(decode("\x0b\x0b\x03\x00\x00\x00\x01\x00\x00\x00\x01\x02\x03"s),
            DumpPayloadStatus::kBadFormat);
  // A quicklist node of an unknown container kind.
  EXPECT_EQ(decode("\x12\x01\x03\x01"
                   "a"s),
            DumpPayloadStatus::kBadFormat);
  // An unknown type.
  EXPECT_EQ(decode("\x06\x00"s), DumpPayloadStatus::kBadFormat);
}

// A whole RDB file: what RdbFileWriter writes, ReadRdbFile gives back (databases, deadlines,
// every type), and a damaged or truncated file or a newer version is refused with a reason.
TEST(RdbFileTest, WrittenFilesReadBack) {
  using std::string_literals::operator""s;
  RdbFileWriter writer({{"redis-ver", "7.2.0"}, {"repl-offset", "0"}});
  DumpedValue text;
  text.string = "hello";
  DumpedValue number;
  number.string = "12345";
  DumpedValue list;
  list.type = ValueType::kList;
  list.elements = {"a", "b", "a"};
  DumpedValue zset;
  zset.type = ValueType::kZSet;
  zset.scored = {{"m", 1.5}, {"n", -2}};
  DumpedValue hash;
  hash.type = ValueType::kHash;
  hash.fields = {{"f", "v"}};
  writer.SelectDb(0, 3, 1);
  writer.Add("s", text, 0);
  writer.Add("n", number, 1893456000123);
  writer.Add("l", list, 0);
  writer.SelectDb(7, 2, 0);
  writer.Add("z", zset, 0);
  writer.Add(std::string("bin\0key", 7), hash, 0);
  const std::string file = writer.Finish();
  EXPECT_EQ(file.substr(0, 9), "REDIS0010");

  struct Entry {
    int db;
    std::string key;
    DumpedValue value;
    uint64_t expire_ms;
  };
  std::vector<Entry> entries;
  std::string error;
  ASSERT_TRUE(ReadRdbFile(
      file,
      [&](int db, std::string key, DumpedValue value, uint64_t expire_ms) {
        entries.push_back({db, std::move(key), std::move(value), expire_ms});
        return true;
      },
      &error))
      << error;
  ASSERT_EQ(entries.size(), 5u);
  EXPECT_EQ(entries[0].key, "s");
  EXPECT_EQ(entries[0].value.string, "hello");
  EXPECT_EQ(entries[0].expire_ms, 0u);
  EXPECT_EQ(entries[1].value.string, "12345");
  EXPECT_EQ(entries[1].expire_ms, 1893456000123u);
  EXPECT_EQ(entries[2].value.elements, (Strings{"a", "b", "a"}));
  EXPECT_EQ(entries[3].db, 7);
  EXPECT_EQ(entries[3].value.scored, zset.scored);
  EXPECT_EQ(entries[4].key, std::string("bin\0key", 7));
  EXPECT_EQ(entries[4].value.fields, hash.fields);

  const auto refused = [](const std::string& bytes) {
    std::string why;
    const bool ok = ReadRdbFile(
        bytes, [](int, std::string, DumpedValue, uint64_t) { return true; }, &why);
    if (!ok) {
      EXPECT_FALSE(why.empty());
    }
    return !ok;
  };
  std::string damaged = file;
  damaged[20] = static_cast<char>(damaged[20] ^ 0x01);
  EXPECT_TRUE(refused(damaged));
  EXPECT_TRUE(refused(file.substr(0, file.size() - 12)));
  std::string newer = file;
  newer.replace(5, 4, "0012");
  EXPECT_TRUE(refused(newer));
  EXPECT_TRUE(refused("not an rdb file at all"));
  // A stream object (type 15, Redis 5-6's) cut short.
  std::string stream = "REDIS0010\xfe\x00\x0f\x01k"s;
  EXPECT_TRUE(refused(stream + "\xff" + std::string(8, '\0')));
  // A checksum of 0 means the writer computed none (rdbchecksum no): accepted.
  std::string unchecked = file.substr(0, file.size() - 8) + std::string(8, '\0');
  EXPECT_FALSE(refused(unchecked));
}

}  // namespace
}  // namespace shale::keyspace
