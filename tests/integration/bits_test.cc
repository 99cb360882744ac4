// Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
// BITFIELD_RO, with Redis 7.0's replies, error texts, argument order and limits; what they do
// to a key's time to live and to WATCH. Also passes against Redis (SHALE_TEST_SERVER).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class BitsTest : public ServerFixture {};

constexpr const char* kOffsetError = "-ERR bit offset is not an integer or out of range";
constexpr const char* kTypeError =
    "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but "
    "i64 is.";

// A far-away deadline (s since the epoch) that EXPIRETIME reports exactly.
constexpr const char* kDeadline = "4000000000";

TEST_F(BitsTest, SetBitRepliesTheOldBitAndGrowsWithZeros) {
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), ":0");
  EXPECT_EQ(Run({"GET", "k"}), "\"\\x01\"");
  EXPECT_EQ(Run({"SETBIT", "k", "7", "1"}), ":1");
  EXPECT_EQ(Run({"SETBIT", "k", "7", "0"}), ":1");
  EXPECT_EQ(Run({"SETBIT", "k", "0", "1"}), ":0");
  EXPECT_EQ(Run({"SETBIT", "k", "23", "0"}), ":0");
  EXPECT_EQ(Run({"GET", "k"}), "\"\\x80\\x00\\x00\"") << "grown to cover bit 23, with zeros";
  EXPECT_EQ(Run({"SET", "s", "a"}), "+OK");  // 0x61
  EXPECT_EQ(Run({"SETBIT", "s", "6", "1"}), ":0");
  EXPECT_EQ(Run({"GET", "s"}), "\"c\"");
}

TEST_F(BitsTest, GetBit) {
  EXPECT_EQ(Run({"GETBIT", "missing", "100"}), ":0");
  EXPECT_EQ(Run({"SET", "k", "\x80"}), "+OK");
  EXPECT_EQ(Run({"GETBIT", "k", "0"}), ":1");
  EXPECT_EQ(Run({"GETBIT", "k", "1"}), ":0");
  EXPECT_EQ(Run({"GETBIT", "k", "4294967295"}), ":0") << "beyond the end";
  EXPECT_EQ(Run({"GETBIT", "k", "4294967296"}), kOffsetError);
  EXPECT_EQ(Run({"GETBIT", "k", "-1"}), kOffsetError);
  EXPECT_EQ(Run({"GETBIT", "k", "x"}), kOffsetError);
  EXPECT_EQ(Run({"GETBIT", "k"}), "-ERR wrong number of arguments for 'getbit' command");
}

TEST_F(BitsTest, SetBitErrorsAndTheirOrder) {
  const std::string bit_error = "-ERR bit is not an integer or out of range";
  EXPECT_EQ(Run({"SETBIT", "k", "4294967296", "1"}), kOffsetError) << "byte 512 MB";
  EXPECT_EQ(Run({"SETBIT", "k", "-1", "1"}), kOffsetError);
  EXPECT_EQ(Run({"SETBIT", "k", "#1", "1"}), kOffsetError);
  EXPECT_EQ(Run({"SETBIT", "k", "1.5", "1"}), kOffsetError);
  EXPECT_EQ(Run({"SETBIT", "k", "x", "x"}), kOffsetError) << "the offset is checked first";
  EXPECT_EQ(Run({"SETBIT", "k", "0", "2"}), bit_error);
  EXPECT_EQ(Run({"SETBIT", "k", "0", "-1"}), bit_error);
  EXPECT_EQ(Run({"SETBIT", "k", "0", "x"}), bit_error);
  EXPECT_EQ(Run({"SETBIT", "k", "0", "01"}), bit_error);
  EXPECT_EQ(Run({"SETBIT", "k", "0"}), "-ERR wrong number of arguments for 'setbit' command");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0") << "a rejected SETBIT writes nothing";
}

TEST_F(BitsTest, OffsetLimitFollowsProtoMaxBulkLen) {
  // The smallest limit Redis accepts: 1 MB, so bits up to 8388607.
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}), "+OK");
  EXPECT_EQ(Run({"SETBIT", "k", "8388608", "1"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "#1048576"}), kOffsetError);
  EXPECT_EQ(Run({"SETBIT", "k", "8388607", "1"}), ":0");
  EXPECT_EQ(Run({"BITCOUNT", "k"}), ":1");
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "#1048575"}), "[:1]");
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "2097152"}), "+OK");
  EXPECT_EQ(Run({"GETBIT", "k", "8388608"}), ":0") << "the limit is read at each call";
}

TEST_F(BitsTest, WritesKeepTheTimeToLive) {
  EXPECT_EQ(Run({"SET", "k", "x"}), "+OK");
  EXPECT_EQ(Run({"EXPIREAT", "k", kDeadline}), ":1");
  EXPECT_EQ(Run({"SETBIT", "k", "100", "1"}), ":0");
  EXPECT_EQ(Run({"BITFIELD", "k", "INCRBY", "u8", "200", "5"}), "[:5]");
  EXPECT_EQ(Run({"EXPIRETIME", "k"}), std::string(":") + kDeadline);
}

TEST_F(BitsTest, UnchangedWritesDoNotTouchAWatchedKey) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Run({"SET", "k", "\x0f"}), "+OK");
  EXPECT_EQ(Run({"WATCH", "k"}), "+OK");
  EXPECT_EQ(other->Run({"SETBIT", "k", "0", "0"}), ":0");
  EXPECT_EQ(other->Run({"BITFIELD", "k", "SET", "u4", "4", "15"}), "[:15]");
  EXPECT_EQ(other->Run({"BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u4", "4", "1"}), "[(nil)]");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "[\"\\x0f\"]");

  EXPECT_EQ(Run({"WATCH", "k"}), "+OK");
  EXPECT_EQ(other->Run({"SETBIT", "k", "0", "1"}), ":0");
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  EXPECT_EQ(Run({"GET", "k"}), "+QUEUED");
  EXPECT_EQ(Run({"EXEC"}), "(nil)") << "a changed bit is a write";
}

TEST_F(BitsTest, BitCount) {
  EXPECT_EQ(Run({"BITCOUNT", "missing"}), ":0");
  EXPECT_EQ(Run({"BITCOUNT", "missing", "0"}), ":0") << "7.0: an absent key answers first";
  EXPECT_EQ(Run({"BITCOUNT", "missing", "0", "1", "hello"}), ":0");
  EXPECT_EQ(Run({"SET", "s", "foobar"}), "+OK");
  EXPECT_EQ(Run({"BITCOUNT", "s"}), ":26");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "-1"}), ":26");
  EXPECT_EQ(Run({"BITCOUNT", "s", "1", "-2"}), ":18") << "\"ooba\"";
  EXPECT_EQ(Run({"BITCOUNT", "s", "-2", "1"}), ":0");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "1000"}), ":26");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "4294967296"}), ":26");
  EXPECT_EQ(Run({"BITCOUNT", "s", "-100", "-200"}), ":0") << "both negative, start after end";
  EXPECT_EQ(Run({"BITCOUNT", "s", "-200", "-100"}), ":4") << "both clamped to byte 0";
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "-1", "BIT"}), ":26");
  EXPECT_EQ(Run({"BITCOUNT", "s", "5", "30", "bit"}), ":17");
  EXPECT_EQ(Run({"BITCOUNT", "s", "10", "-34", "bit"}), ":4") << "bits 10..14";
  EXPECT_EQ(Run({"BITCOUNT", "s", "1", "1", "byte"}), ":6");
  EXPECT_EQ(Run({"SET", "e", ""}), "+OK");
  EXPECT_EQ(Run({"BITCOUNT", "e"}), ":0");
  EXPECT_EQ(Run({"BITCOUNT", "e", "0", "-1", "BIT"}), ":0");
}

TEST_F(BitsTest, BitCountErrors) {
  EXPECT_EQ(Run({"SET", "s", "foobar"}), "+OK");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "1", "hello"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITCOUNT", "s", "0", "1", "bit", "x"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITCOUNT", "s", "a", "1"}), "-ERR value is not an integer or out of range");
  EXPECT_EQ(Run({"BITCOUNT", "s", "a", "1", "hello"}),
            "-ERR value is not an integer or out of range")
      << "start and end are parsed before the unit";
  EXPECT_EQ(Run({"BITCOUNT", "s", "-1", "-5", "hello"}), ":0")
      << "an empty negative range answers before the unit is checked";
  EXPECT_EQ(Run({"BITCOUNT", "s", "-5", "-1", "hello"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITCOUNT"}), "-ERR wrong number of arguments for 'bitcount' command");
}

TEST_F(BitsTest, BitPos) {
  EXPECT_EQ(Run({"BITPOS", "missing", "0"}), ":0");
  EXPECT_EQ(Run({"BITPOS", "missing", "1"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "missing", "1", "a", "b", "c", "d"}), ":-1")
      << "an absent key answers before the range is parsed";
  EXPECT_EQ(Run({"SET", "s", std::string("\xff\xf0\x00", 3)}), "+OK");
  EXPECT_EQ(Run({"BITPOS", "s", "0"}), ":12");
  EXPECT_EQ(Run({"BITPOS", "s", "1", "1"}), ":8");
  EXPECT_EQ(Run({"BITPOS", "s", "1", "2"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "s", "0", "2"}), ":16");
  EXPECT_EQ(Run({"BITPOS", "s", "0", "0", "-1", "BIT"}), ":12");
  EXPECT_EQ(Run({"BITPOS", "s", "1", "9", "11", "bit"}), ":9");
  EXPECT_EQ(Run({"BITPOS", "s", "0", "0", "11", "bit"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "s", "1", "-1", "-2"}), ":-1") << "start after end";
  EXPECT_EQ(Run({"BITPOS", "s", "1", "-200", "-100"}), ":0") << "both clamped to byte 0";
  // Without an end, a run of ones is followed by the zero just past the string.
  EXPECT_EQ(Run({"SET", "ones", "\xff\xff\xff"}), "+OK");
  EXPECT_EQ(Run({"BITPOS", "ones", "0"}), ":24");
  EXPECT_EQ(Run({"BITPOS", "ones", "0", "1"}), ":24");
  EXPECT_EQ(Run({"BITPOS", "ones", "0", "0", "-1"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "ones", "0", "0", "-1", "bit"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "ones", "0", "5", "2"}), ":-1") << "an empty range";
  // An existing empty string has no bit at all.
  EXPECT_EQ(Run({"SET", "e", ""}), "+OK");
  EXPECT_EQ(Run({"BITPOS", "e", "0"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "e", "1"}), ":-1");
  EXPECT_EQ(Run({"BITPOS", "e", "0", "0"}), ":-1");
}

TEST_F(BitsTest, BitPosErrorsAndTheirOrder) {
  const std::string not_integer = "-ERR value is not an integer or out of range";
  EXPECT_EQ(Run({"SET", "s", "foobar"}), "+OK");
  EXPECT_EQ(Run({"BITPOS", "s", "2"}), "-ERR The bit argument must be 1 or 0.");
  EXPECT_EQ(Run({"BITPOS", "missing", "2"}), "-ERR The bit argument must be 1 or 0.");
  EXPECT_EQ(Run({"BITPOS", "missing", "x"}), not_integer);
  EXPECT_EQ(Run({"BITPOS", "s", "0", "a"}), not_integer);
  EXPECT_EQ(Run({"BITPOS", "s", "0", "0", "a"}), not_integer);
  EXPECT_EQ(Run({"BITPOS", "s", "0", "0", "1", "foo"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITPOS", "s", "1", "0", "x", "bad"}), "-ERR syntax error")
      << "the unit is checked before the end";
  EXPECT_EQ(Run({"BITPOS", "s", "0", "0", "1", "bit", "x"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITPOS", "s"}), "-ERR wrong number of arguments for 'bitpos' command");
}

TEST_F(BitsTest, LargeValuesAreCountedAndSearched) {
  // 4 MB of zeros with one bit set near the end, then the same of ones with one clear.
  const size_t size = 4 << 20;
  std::string zeros(size, '\0');
  zeros[size - 3] = '\x02';
  EXPECT_EQ(Run({"SET", "z", zeros}), "+OK");
  EXPECT_EQ(Run({"BITCOUNT", "z"}), ":1");
  EXPECT_EQ(Run({"BITPOS", "z", "1"}), ":" + std::to_string((size - 3) * 8 + 6));
  EXPECT_EQ(Run({"BITPOS", "z", "1", "1", "-4"}), ":-1");
  std::string ones(size, '\xff');
  ones[size - 1] = '\xfe';
  EXPECT_EQ(Run({"SET", "o", ones}), "+OK");
  EXPECT_EQ(Run({"BITCOUNT", "o"}), ":" + std::to_string(size * 8 - 1));
  EXPECT_EQ(Run({"BITCOUNT", "o", "3", "-3", "BIT"}), ":" + std::to_string(size * 8 - 5));
  EXPECT_EQ(Run({"BITPOS", "o", "0", "7"}), ":" + std::to_string(size * 8 - 1));
}

TEST_F(BitsTest, BitOp) {
  EXPECT_EQ(Run({"SET", "a", "\x01\x02\xff\xff"}), "+OK");
  EXPECT_EQ(Run({"SET", "b", "\x01\x02\xff"}), "+OK");
  EXPECT_EQ(Run({"BITOP", "AND", "r1", "a", "b"}), ":4");
  EXPECT_EQ(Run({"GET", "r1"}), "\"\\x01\\x02\\xff\\x00\"");
  EXPECT_EQ(Run({"BITOP", "or", "r2", "a", "b", "missing"}), ":4");
  EXPECT_EQ(Run({"GET", "r2"}), "\"\\x01\\x02\\xff\\xff\"");
  EXPECT_EQ(Run({"BITOP", "Xor", "r3", "a", "b"}), ":4");
  EXPECT_EQ(Run({"GET", "r3"}), "\"\\x00\\x00\\x00\\xff\"");
  EXPECT_EQ(Run({"BITOP", "AND", "r4", "missing", "a"}), ":4");
  EXPECT_EQ(Run({"GET", "r4"}), "\"\\x00\\x00\\x00\\x00\"");
  EXPECT_EQ(Run({"BITOP", "NOT", "r5", "b"}), ":3");
  EXPECT_EQ(Run({"GET", "r5"}), "\"\\xfe\\xfd\\x00\"");
  EXPECT_EQ(Run({"BITOP", "NOT", "b", "b"}), ":3") << "destination and source the same key";
  EXPECT_EQ(Run({"GET", "b"}), "\"\\xfe\\xfd\\x00\"");
  // Sources and destination spread over the shards (no hash tags).
  std::vector<std::string> args = {"BITOP", "OR", "dest"};
  for (int i = 0; i < 16; ++i) {
    const std::string key = "src" + std::to_string(i);
    EXPECT_EQ(Run({"SETBIT", key, std::to_string(i * 9), "1"}), ":0");
    args.push_back(key);
  }
  EXPECT_EQ(Run(args), ":17");
  EXPECT_EQ(Run({"BITCOUNT", "dest"}), ":16");
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(Run({"GETBIT", "dest", std::to_string(i * 9)}), ":1");
  }
}

TEST_F(BitsTest, BitOpEmptyResultDeletesAndDestinationLosesItsTtl) {
  EXPECT_EQ(Run({"SET", "d", "old"}), "+OK");
  EXPECT_EQ(Run({"EXPIREAT", "d", kDeadline}), ":1");
  EXPECT_EQ(Run({"SET", "s", "xy"}), "+OK");
  EXPECT_EQ(Run({"BITOP", "OR", "d", "s"}), ":2");
  EXPECT_EQ(Run({"GET", "d"}), "\"xy\"");
  EXPECT_EQ(Run({"TTL", "d"}), ":-1") << "the destination is a new value";
  EXPECT_EQ(Run({"BITOP", "OR", "d", "missing", "other"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0") << "an empty result deletes the destination";
  EXPECT_EQ(Run({"SET", "e", ""}), "+OK");
  EXPECT_EQ(Run({"SET", "d", "old"}), "+OK");
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "e"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
  EXPECT_EQ(Run({"BITOP", "AND", "none", "missing"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "none"}), ":0");
}

TEST_F(BitsTest, BitOpErrors) {
  EXPECT_EQ(Run({"SET", "a", "x"}), "+OK");
  EXPECT_EQ(Run({"BITOP", "NAND", "d", "a"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITOP", "NOT", "d", "a", "a"}),
            "-ERR BITOP NOT must be called with a single source key.");
  EXPECT_EQ(Run({"BITOP", "NOT", "d"}), "-ERR wrong number of arguments for 'bitop' command");
  EXPECT_EQ(Run({"BITOP", "AND", "d"}), "-ERR wrong number of arguments for 'bitop' command");
  EXPECT_EQ(Run({"EXISTS", "d"}), ":0");
}

TEST_F(BitsTest, BitFieldGetSetIncrBy) {
  EXPECT_EQ(Run({"BITFIELD", "missing"}), "[]");
  EXPECT_EQ(Run({"BITFIELD", "missing", "GET", "u8", "0", "GET", "i64", "100"}), "[:0, :0]");
  EXPECT_EQ(Run({"EXISTS", "missing"}), ":0") << "GETs alone create nothing";
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "i8", "#1", "5", "GET", "i8", "8", "GET", "u4", "#3"}),
            "[:0, :5, :5]");
  EXPECT_EQ(Run({"GET", "k"}), "\"\\x00\\x05\"");
  EXPECT_EQ(Run({"BITFIELD", "k", "INCRBY", "u2", "100", "-5"}), "[:3]") << "wraps";
  EXPECT_EQ(Run({"GET", "k"}),
            "\"\\x00\\x05\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x0c\"");
  EXPECT_EQ(Run({"BITFIELD", "k", "get", "u8", "8", "set", "u8", "8", "255", "get", "i8", "8"}),
            "[:5, :5, :-1]");
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "GET", "u8", "#1", "GET", "i4", "8"}), "[:255, :-1]");
  EXPECT_EQ(Run({"BITFIELD", "w", "SET", "i64", "0", "-1", "GET", "u63", "0", "GET", "u63", "1",
                 "GET", "i64", "0"}),
            "[:0, :9223372036854775807, :9223372036854775807, :-1]");
}

TEST_F(BitsTest, BitFieldOverflow) {
  EXPECT_EQ(Run({"BITFIELD", "k",   "SET",      "u8",   "0",   "-1", "OVERFLOW", "SAT", "SET", "u8",
                 "8",        "-1",  "OVERFLOW", "FAIL", "SET", "u8", "16",       "256", "SET", "i8",
                 "24",       "128", "OVERFLOW", "WRAP", "SET", "i8", "32",       "128"}),
            "[:0, :0, (nil), (nil), :0]");
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "0", "GET", "u8", "8", "GET", "u8", "16", "GET",
                 "i8", "24", "GET", "i8", "32"}),
            "[:255, :255, :0, :0, :-128]");
  EXPECT_EQ(Run({"BITFIELD", "n",    "OVERFLOW", "SAT", "INCRBY", "i8",  "0",      "-200",
                 "INCRBY",   "u8",   "8",        "300", "INCRBY", "u8",  "8",      "-1000",
                 "OVERFLOW", "WRAP", "INCRBY",   "u8",  "16",     "300", "INCRBY", "i8",
                 "24",       "-129", "SET",      "i8",  "32",     "300"}),
            "[:-128, :255, :0, :44, :127, :0]");
  EXPECT_EQ(Run({"BITFIELD", "b",   "INCRBY",   "i64",  "0",        "9223372036854775807",
                 "INCRBY",   "i64", "0",        "1",    "OVERFLOW", "SAT",
                 "INCRBY",   "i64", "0",        "-1",   "INCRBY",   "u63",
                 "64",       "-1",  "OVERFLOW", "fail", "INCRBY",   "u63",
                 "64",       "-1",  "INCRBY",   "i1",   "127",      "-1"}),
            "[:9223372036854775807, :-9223372036854775808, :-9223372036854775808, :0, (nil), "
            ":-1]");
  // A FAIL overflow writes nothing, but the key is still created, zero-filled, as in Redis.
  EXPECT_EQ(Run({"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "10"}), "[(nil)]");
  EXPECT_EQ(Run({"GET", "f"}), "\"\\x00\"");
}

TEST_F(BitsTest, BitFieldErrors) {
  const std::string not_integer = "-ERR value is not an integer or out of range";
  for (const char* type : {"u64", "i65", "x8", "i0", "I8", "u", "i8x"}) {
    EXPECT_EQ(Run({"BITFIELD", "k", "GET", type, "0"}), kTypeError) << type;
  }
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "-1"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "#-1"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "4294967296"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "#536870912"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8", "x"}), kOffsetError);
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "x8", "x"}), kTypeError) << "the type is checked first";
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW", "foo", "GET", "u8", "0"}),
            "-ERR Invalid OVERFLOW type specified");
  EXPECT_EQ(Run({"BITFIELD", "k", "OVERFLOW"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITFIELD", "k", "GET", "u8"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "0"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITFIELD", "k", "FOO"}), "-ERR syntax error");
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "0", "x"}), not_integer);
  EXPECT_EQ(Run({"BITFIELD", "k", "INCRBY", "u8", "0", "1.5"}), not_integer);
  EXPECT_EQ(Run({"BITFIELD", "k", "SET", "u8", "0", "1", "GET", "u64", "0"}), kTypeError)
      << "every operation is parsed before any runs";
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"BITFIELD"}), "-ERR wrong number of arguments for 'bitfield' command");
}

TEST_F(BitsTest, BitFieldRoRefusesWrites) {
  const std::string refused = "-ERR BITFIELD_RO only supports the GET subcommand";
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "SET", "u8", "0", "1"}), refused);
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1"}), refused);
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "SET", "u8", "0", "1", "GET", "x", "0"}), kTypeError)
      << "parse errors come first";
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "OVERFLOW", "FAIL"}), "[]");
  EXPECT_EQ(Run({"BITFIELD_RO", "k", "GET", "u8", "0"}), "[:0]");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0");
  EXPECT_EQ(Run({"BITFIELD_RO"}), "-ERR wrong number of arguments for 'bitfield_ro' command");
}

}  // namespace
}  // namespace shale::integration
