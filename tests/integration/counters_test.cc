// The counter and range commands of the string family (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT,
// APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE, MSETNX, LCS) and OBJECT, with Redis 7.0's replies,
// error texts and limits. Runs against Redis too (SHALE_TEST_SERVER=/usr/bin/redis-server),
// except where a test says it checks Shale alone.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/raw_connection.h"
#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

class CountersTest : public ServerFixture {};

constexpr char kNotInteger[] = "-ERR value is not an integer or out of range";
constexpr char kNotFloat[] = "-ERR value is not a valid float";
constexpr char kMaxSize[] = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)";

TEST_F(CountersTest, IncrAndDecr) {
  EXPECT_EQ(Run({"INCR", "n"}), ":1");
  EXPECT_EQ(Run({"INCR", "n"}), ":2");
  EXPECT_EQ(Run({"GET", "n"}), "\"2\"");
  EXPECT_EQ(Run({"DECR", "n"}), ":1");
  EXPECT_EQ(Run({"DECR", "fresh"}), ":-1");
  EXPECT_EQ(Run({"INCRBY", "n", "17179869184"}), ":17179869185");
  EXPECT_EQ(Run({"DECRBY", "n", "17179869186"}), ":-1");
  EXPECT_EQ(Run({"INCRBY", "m", "-5"}), ":-5");
  EXPECT_EQ(Run({"DECRBY", "m", "-5"}), ":0");
  EXPECT_EQ(Run({"SET", "s", "-555"}), "+OK");
  EXPECT_EQ(Run({"INCR", "s"}), ":-554");
  EXPECT_EQ(Run({"INCR"}), "-ERR wrong number of arguments for 'incr' command");
  EXPECT_EQ(Run({"INCRBY", "n"}), "-ERR wrong number of arguments for 'incrby' command");
  EXPECT_EQ(Run({"DECR", "a", "b"}), "-ERR wrong number of arguments for 'decr' command");
}

// A value or an increment that is not a canonical 64-bit integer, and results beyond 64 bits,
// are errors that leave the value as it was.
TEST_F(CountersTest, IncrErrorsChangeNothing) {
  for (const char* value :
       {" 11", "11 ", " 11 ", "1.5", "", "+1", "01", "abc", "9223372036854775808", "1\n"}) {
    EXPECT_EQ(Run({"SET", "v", value}), "+OK");
    EXPECT_EQ(Run({"INCR", "v"}), kNotInteger) << "value '" << value << "'";
    EXPECT_EQ(Run({"DECRBY", "v", "1"}), kNotInteger) << "value '" << value << "'";
  }
  EXPECT_EQ(Run({"SET", "bin", std::string("1\0", 2)}), "+OK");
  EXPECT_EQ(Run({"INCR", "bin"}), kNotInteger);
  EXPECT_EQ(Run({"GET", "bin"}), "\"1\\x00\"");

  EXPECT_EQ(Run({"INCRBY", "n", "1.5"}), kNotInteger);
  EXPECT_EQ(Run({"INCRBY", "n", "9223372036854775808"}), kNotInteger);
  EXPECT_EQ(Run({"EXISTS", "n"}), ":0") << "a rejected INCRBY must not create the key";

  EXPECT_EQ(Run({"SET", "max", "9223372036854775807"}), "+OK");
  EXPECT_EQ(Run({"INCR", "max"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"INCRBY", "max", "1"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"GET", "max"}), "\"9223372036854775807\"");
  EXPECT_EQ(Run({"SET", "min", "-9223372036854775808"}), "+OK");
  EXPECT_EQ(Run({"DECR", "min"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"INCRBY", "min", "-1"}), "-ERR increment or decrement would overflow");
  EXPECT_EQ(Run({"INCRBY", "min", "9223372036854775807"}), ":-1");
  EXPECT_EQ(Run({"SET", "zero", "0"}), "+OK");
  EXPECT_EQ(Run({"DECRBY", "zero", "-9223372036854775808"}), "-ERR decrement would overflow");
  EXPECT_EQ(Run({"DECRBY", "zero", "-9223372036854775807"}), ":9223372036854775807");
}

TEST_F(CountersTest, IncrByFloat) {
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1"}), "\"1\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.25"}), "\"1.25\"");
  EXPECT_EQ(Run({"GET", "f"}), "\"1.25\"");
  EXPECT_EQ(Run({"SET", "f", "10.50"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), "\"10.6\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "-1.1"}), "\"9.5\"");
  EXPECT_EQ(Run({"SET", "e", "5.0e3"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "e", "2.0e2"}), "\"5200\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "big", "1e20"}), "\"100000000000000000000\"");
  EXPECT_EQ(Run({"SET", "i", "17179869184"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "i", "1.5"}), "\"17179869185.5\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "hex", "0x10"}), "\"16\"");
  // 17 significant digits after the point, trailing zeros dropped, no negative zero.
  EXPECT_EQ(Run({"INCRBYFLOAT", "third", "0.333333333333333333333"}), "\"0.33333333333333333\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "z", "0.024390243902439025"}), "\"0.02439024390243902\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "z", "-0.024390243902439025"}), "\"0\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "neg", "-0.0"}), "\"0\"");
}

TEST_F(CountersTest, IncrByFloatErrorsChangeNothing) {
  for (const char* value : {" 11", "11 ", " 11 ", "abc", "", "1e-5000", "nan"}) {
    EXPECT_EQ(Run({"SET", "v", value}), "+OK");
    EXPECT_EQ(Run({"INCRBYFLOAT", "v", "1"}), kNotFloat) << "value '" << value << "'";
    EXPECT_EQ(Run({"GET", "v"}), "\"" + std::string(value) + "\"");
  }
  EXPECT_EQ(Run({"SET", "bin",
                 std::string("1\0"
                             "2",
                             3)}),
            "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "bin", "1"}), kNotFloat);
  for (const char* increment : {" 1", "1 ", "x", "", "1e-5000", "nan"}) {
    EXPECT_EQ(Run({"INCRBYFLOAT", "f", increment}), kNotFloat) << "'" << increment << "'";
  }
  EXPECT_EQ(Run({"EXISTS", "f"}), ":0");
  EXPECT_EQ(Run({"SET", "f", "0"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "+inf"}), "-ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"GET", "f"}), "\"0\"");
  EXPECT_EQ(Run({"SET", "huge", "1e4932"}), "+OK");  // near the largest long double
  EXPECT_EQ(Run({"INCRBYFLOAT", "huge", "1e4932"}), "-ERR increment would produce NaN or Infinity");
  EXPECT_EQ(Run({"GET", "huge"}), "\"1e4932\"");
  // The stored value is checked before the increment.
  EXPECT_EQ(Run({"SET", "g", "x"}), "+OK");
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "+inf"}), kNotFloat);
}

TEST_F(CountersTest, AppendAndStrlen) {
  EXPECT_EQ(Run({"STRLEN", "a"}), ":0");
  EXPECT_EQ(Run({"APPEND", "a", "hello"}), ":5");
  EXPECT_EQ(Run({"APPEND", "a", " world"}), ":11");
  EXPECT_EQ(Run({"GET", "a"}), "\"hello world\"");
  EXPECT_EQ(Run({"STRLEN", "a"}), ":11");
  EXPECT_EQ(Run({"APPEND", "a", ""}), ":11");
  EXPECT_EQ(Run({"APPEND", "b", std::string("\0\xff", 2)}), ":2");
  EXPECT_EQ(Run({"APPEND", "b", std::string("\r\n\0", 3)}), ":5");
  EXPECT_EQ(Run({"GET", "b"}), "\"\\x00\\xff\\r\\n\\x00\"");
  EXPECT_EQ(Run({"SET", "n", "-555"}), "+OK");
  EXPECT_EQ(Run({"STRLEN", "n"}), ":4");
  EXPECT_EQ(Run({"APPEND", "n", "1"}), ":5");
  EXPECT_EQ(Run({"INCR", "n"}), ":-5550");
  EXPECT_EQ(Run({"APPEND", "empty", ""}), ":0");
  EXPECT_EQ(Run({"EXISTS", "empty"}), ":1") << "APPEND creates the key even with nothing";
  EXPECT_EQ(Run({"STRLEN", "a", "b"}), "-ERR wrong number of arguments for 'strlen' command");
  EXPECT_EQ(Run({"APPEND", "a"}), "-ERR wrong number of arguments for 'append' command");
}

TEST_F(CountersTest, GetRangeAndSubstr) {
  EXPECT_EQ(Run({"GETRANGE", "missing", "0", "-1"}), "\"\"");
  EXPECT_EQ(Run({"SET", "s", "Hello World"}), "+OK");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "3"}), "\"Hell\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "-1"}), "\"Hello World\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "-4", "-1"}), "\"orld\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "5", "3"}), "\"\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "5", "5000"}), "\" World\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "-5000", "10000"}), "\"Hello World\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "-1", "-5"}), "\"\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "-100", "-50"}), "\"H\"") << "Redis 7.0 clamps to byte 0";
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "-100"}), "\"H\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "0", "4294967297"}), "\"Hello World\"");
  EXPECT_EQ(Run({"SUBSTR", "s", "6", "-1"}), "\"World\"");
  EXPECT_EQ(Run({"SET", "e", ""}), "+OK");
  EXPECT_EQ(Run({"GETRANGE", "e", "0", "-1"}), "\"\"");
  EXPECT_EQ(Run({"GETRANGE", "s", "x", "1"}), kNotInteger);
  EXPECT_EQ(Run({"GETRANGE", "missing", "0", "1.5"}), kNotInteger);
  EXPECT_EQ(Run({"GETRANGE", "s", "0"}), "-ERR wrong number of arguments for 'getrange' command");
  EXPECT_EQ(Run({"SET", "bin", std::string("a\0b\0c", 5)}), "+OK");
  EXPECT_EQ(Run({"GETRANGE", "bin", "1", "3"}), "\"\\x00b\\x00\"");
}

TEST_F(CountersTest, SetRange) {
  EXPECT_EQ(Run({"SETRANGE", "k", "0", ""}), ":0");
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0") << "setting nothing creates nothing";
  EXPECT_EQ(Run({"SETRANGE", "k", "1", "foo"}), ":4");
  EXPECT_EQ(Run({"GET", "k"}), "\"\\x00foo\"");
  EXPECT_EQ(Run({"SETRANGE", "k", "0", "b"}), ":4");
  EXPECT_EQ(Run({"SETRANGE", "k", "6", "bar"}), ":9");
  EXPECT_EQ(Run({"GET", "k"}), "\"bfoo\\x00\\x00bar\"");
  EXPECT_EQ(Run({"SETRANGE", "k", "2", std::string("\0\xff", 2)}), ":9");
  EXPECT_EQ(Run({"GET", "k"}), "\"bf\\x00\\xff\\x00\\x00bar\"");
  EXPECT_EQ(Run({"SETRANGE", "k", "100", ""}), ":9");
  EXPECT_EQ(Run({"STRLEN", "k"}), ":9");

  EXPECT_EQ(Run({"SETRANGE", "k", "-1", "x"}), "-ERR offset is out of range");
  EXPECT_EQ(Run({"SETRANGE", "k", "x", "x"}), kNotInteger);
  EXPECT_EQ(Run({"SETRANGE", "k", "536870912", "x"}), kMaxSize);
  EXPECT_EQ(Run({"SETRANGE", "new", "536870908", "world"}), kMaxSize);
  EXPECT_EQ(Run({"SETRANGE", "new", "9223372036854775807", "A"}), kMaxSize);
  EXPECT_EQ(Run({"SETRANGE", "new", "9223372036854775808", "A"}), kNotInteger);
  EXPECT_EQ(Run({"EXISTS", "new"}), ":0");
  EXPECT_EQ(Run({"SETRANGE", "k", "0"}), "-ERR wrong number of arguments for 'setrange' command");
}

// The size limit follows proto-max-bulk-len, for SETRANGE and APPEND alike.
TEST_F(CountersTest, SizeLimitFollowsProtoMaxBulkLen) {
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}), "+OK");
  EXPECT_EQ(Run({"SETRANGE", "k", "1048575", "x"}), ":1048576");
  EXPECT_EQ(Run({"SETRANGE", "k", "1048576", "x"}), kMaxSize);
  EXPECT_EQ(Run({"APPEND", "k", "x"}), kMaxSize);
  EXPECT_EQ(Run({"STRLEN", "k"}), ":1048576");
  EXPECT_EQ(Run({"APPEND", "k", ""}), ":1048576");
}

// INCR, INCRBYFLOAT, APPEND and SETRANGE keep the key's time to live.
TEST_F(CountersTest, ReadModifyWritesKeepTheTtl) {
  EXPECT_EQ(Run({"SET", "k", "10", "EX", "1000"}), "+OK");
  auto ttl_kept = [&] {
    const std::string ttl = Run({"TTL", "k"});
    return ttl.size() > 1 && ttl[0] == ':' && std::stoll(ttl.substr(1)) > 900;
  };
  EXPECT_EQ(Run({"INCR", "k"}), ":11");
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"DECRBY", "k", "2"}), ":9");
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"INCRBYFLOAT", "k", "0.5"}), "\"9.5\"");
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"APPEND", "k", "5"}), ":4");
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"SETRANGE", "k", "0", "1"}), ":4");
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"GET", "k"}), "\"1.55\"");
  // A failed update changes nothing, the deadline included.
  EXPECT_EQ(Run({"INCR", "k"}), kNotInteger);
  EXPECT_TRUE(ttl_kept()) << Run({"TTL", "k"});
  EXPECT_EQ(Run({"INCR", "plain"}), ":1");
  EXPECT_EQ(Run({"TTL", "plain"}), ":-1");
}

// Inside one EXEC each read-modify-write sees the writes queued before it.
TEST_F(CountersTest, ReadModifyWritesInsideExecSeeEachOther) {
  EXPECT_EQ(Run({"MULTI"}), "+OK");
  for (const std::vector<std::string>& command :
       std::vector<std::vector<std::string>>{{"INCR", "x"},
                                             {"INCRBY", "x", "1"},
                                             {"APPEND", "x", "5"},
                                             {"SETRANGE", "x", "0", "9"},
                                             {"INCRBYFLOAT", "x", "0.5"},
                                             {"MSETNX", "x", "1", "y", "2"},
                                             {"MSETNX", "y", "1", "z", "2"},
                                             {"GET", "y"}}) {
    EXPECT_EQ(Run(command), "+QUEUED");
  }
  EXPECT_EQ(Run({"EXEC"}), "[:1, :2, :2, :2, \"95.5\", :0, :1, \"1\"]");
}

// MSETNX sets every key or none, the keys spread over both shards.
TEST_F(CountersTest, MsetnxIsAllOrNothing) {
  std::vector<std::string> args = {"MSETNX"};
  for (int i = 0; i < 16; ++i) {
    args.push_back("key" + std::to_string(i));
    args.push_back("v" + std::to_string(i));
  }
  EXPECT_EQ(Run({"SET", "key7", "taken"}), "+OK");
  EXPECT_EQ(Run(args), ":0");
  EXPECT_EQ(Run({"DBSIZE"}), ":1");
  EXPECT_EQ(Run({"GET", "key7"}), "\"taken\"");
  EXPECT_EQ(Run({"DEL", "key7"}), ":1");
  EXPECT_EQ(Run(args), ":1");
  EXPECT_EQ(Run({"DBSIZE"}), ":16");
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(Run({"GET", "key" + std::to_string(i)}), "\"v" + std::to_string(i) + "\"");
  }
  EXPECT_EQ(Run(args), ":0");
  // A key named twice: the last value.
  EXPECT_EQ(Run({"MSETNX", "x", "1", "x", "2"}), ":1");
  EXPECT_EQ(Run({"GET", "x"}), "\"2\"");
  EXPECT_EQ(Run({"MSETNX", "y", "1", "x", "3"}), ":0");
  EXPECT_EQ(Run({"EXISTS", "y"}), ":0");
  EXPECT_EQ(Run({"MSETNX", "a", "1", "b"}), "-ERR wrong number of arguments for 'msetnx' command");
  EXPECT_EQ(Run({"MSETNX", "a"}), "-ERR wrong number of arguments for 'msetnx' command");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0");
}

TEST_F(CountersTest, Lcs) {
  EXPECT_EQ(Run({"MSET", "a{t}", "ohmytext", "b{t}", "mynewtext"}), "+OK");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}"}), "\"mytext\"");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "LEN"}), ":6");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "IDX"}),
            "[\"matches\", [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], \"len\", :6]");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "idx", "withmatchlen"}),
            "[\"matches\", [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], \"len\", :6]");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN"}),
            "[\"matches\", [[[:4, :7], [:5, :8], :4]], \"len\", :6]");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "IDX", "MINMATCHLEN", "-3"}),
            "[\"matches\", [[[:4, :7], [:5, :8]], [[:2, :3], [:0, :1]]], \"len\", :6]");
  EXPECT_EQ(Run({"LCS", "a{t}", "none{t}"}), "\"\"");
  EXPECT_EQ(Run({"LCS", "x{t}", "none{t}", "IDX"}), "[\"matches\", [], \"len\", :0]");
  EXPECT_EQ(Run({"MSET", "c{t}", std::string("a\0b", 3), "d{t}", std::string("\0b", 2)}), "+OK");
  EXPECT_EQ(Run({"LCS", "c{t}", "d{t}"}), "\"\\x00b\"");

  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "LEN", "IDX"}),
            "-ERR If you want both the length and indexes, please just use IDX.");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "MINMATCHLEN"}), "-ERR syntax error");
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "MINMATCHLEN", "x"}), kNotInteger);
  EXPECT_EQ(Run({"LCS", "a{t}", "b{t}", "FOO"}), "-ERR syntax error");
  EXPECT_EQ(Run({"LCS", "a{t}"}), "-ERR wrong number of arguments for 'lcs' command");

  // The table (4 bytes for each pair of positions) may not exceed proto-max-bulk-len.
  EXPECT_EQ(Run({"CONFIG", "SET", "proto-max-bulk-len", "1048576"}), "+OK");
  EXPECT_EQ(Run({"SETRANGE", "big1{t}", "599", "x"}), ":600");
  EXPECT_EQ(Run({"SETRANGE", "big2{t}", "599", "x"}), ":600");
  EXPECT_EQ(Run({"LCS", "big1{t}", "big2{t}", "LEN"}),
            "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  EXPECT_EQ(Run({"SETRANGE", "ok{t}", "299", "x"}), ":300");  // 301 * 601 * 4 < 1 MiB
  EXPECT_EQ(Run({"LCS", "ok{t}", "big2{t}", "LEN"}), ":300");
}

// RESP3: LCS IDX answers a map; OBJECT ENCODING of a missing key the RESP3 null.
TEST_F(CountersTest, Resp3Replies) {
  EXPECT_EQ(Run({"MSET", "a{t}", "ohmytext", "b{t}", "mynewtext"}), "+OK");
  auto raw = ConnectRaw();
  ASSERT_NE(raw, nullptr);
  ASSERT_TRUE(raw->Send("HELLO 3\r\n"));
  RespValue hello;
  std::string error;
  ASSERT_TRUE(raw->ReadReply(&hello, &error)) << error;
  ASSERT_TRUE(raw->Send("LCS a{t} b{t} IDX WITHMATCHLEN\r\nOBJECT ENCODING missing\r\n"));
  EXPECT_EQ(raw->ReadReplyText(),
            "%{\"matches\": [[[:4, :7], [:5, :8], :4], [[:2, :3], [:0, :1], :2]], \"len\": :6}");
  EXPECT_EQ(raw->ReadReplyText(), "_");
}

// OBJECT ENCODING follows Redis's rules, which depend on how the value was made.
TEST_F(CountersTest, ObjectEncodingFollowsTheValuesHistory) {
  const std::string embstr_max(44, 'x');
  const std::string raw_min(45, 'x');
  EXPECT_EQ(Run({"SET", "int", "123"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "int"}), "\"int\"");
  EXPECT_EQ(Run({"SET", "neg", "-9223372036854775808"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "neg"}), "\"int\"");
  for (const char* not_int : {"0123", "+1", "1.5", " 1", "9223372036854775808", "-0"}) {
    EXPECT_EQ(Run({"SET", "s", not_int}), "+OK");
    EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "\"embstr\"") << not_int;
  }
  EXPECT_EQ(Run({"SET", "s", embstr_max}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "\"embstr\"");
  EXPECT_EQ(Run({"SET", "s", raw_min}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "s"}), "\"raw\"");
  EXPECT_EQ(Run({"MSET", "m", "7", "m2", "seven"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "m"}), "\"int\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "m2"}), "\"embstr\"");

  EXPECT_EQ(Run({"INCR", "counter"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "counter"}), "\"int\"");
  EXPECT_EQ(Run({"INCRBYFLOAT", "float", "3"}), "\"3\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "float"}), "\"embstr\"") << "INCRBYFLOAT never makes int";
  EXPECT_EQ(Run({"INCR", "float"}), ":4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "float"}), "\"int\"");

  // APPEND to a missing key stores as SET does; to an existing one leaves it raw.
  EXPECT_EQ(Run({"APPEND", "ap", "12"}), ":2");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ap"}), "\"int\"");
  EXPECT_EQ(Run({"APPEND", "ap", "3"}), ":3");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ap"}), "\"raw\"");
  EXPECT_EQ(Run({"SET", "ap", "x"}), "+OK");
  EXPECT_EQ(Run({"APPEND", "ap", ""}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "ap"}), "\"raw\"");

  EXPECT_EQ(Run({"SET", "sr", "1234"}), "+OK");
  EXPECT_EQ(Run({"SETRANGE", "sr", "0", ""}), ":4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr"}), "\"int\"") << "setting nothing changes nothing";
  EXPECT_EQ(Run({"SETRANGE", "sr", "0", "2"}), ":4");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr"}), "\"raw\"");
  EXPECT_EQ(Run({"SETRANGE", "sr2", "0", "5"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr2"}), "\"raw\"");

  // Changing only the deadline keeps the encoding.
  EXPECT_EQ(Run({"EXPIRE", "sr", "1000"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr"}), "\"raw\"");
  EXPECT_EQ(Run({"PERSIST", "sr"}), ":1");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr"}), "\"raw\"");
  EXPECT_EQ(Run({"GETEX", "sr", "EX", "1000"}), "\"2234\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "sr"}), "\"raw\"");
}

// Shale alone: the encoding is stored with the value, so it survives a restart.
TEST_F(CountersTest, ObjectEncodingSurvivesRestart) {
  if (IsRedis()) GTEST_SKIP() << "Redis rebuilds encodings when it loads a dump";
  EXPECT_EQ(Run({"SET", "raw", "12"}), "+OK");
  EXPECT_EQ(Run({"APPEND", "raw", "3"}), ":3");
  EXPECT_EQ(Run({"INCRBYFLOAT", "plain", "3"}), "\"3\"");
  EXPECT_EQ(Run({"SET", "int", "5"}), "+OK");
  std::string error;
  ASSERT_TRUE(server_.Stop(&error)) << error;
  ASSERT_NO_FATAL_FAILURE(RestartAndReconnect());
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "raw"}), "\"raw\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "plain"}), "\"embstr\"");
  EXPECT_EQ(Run({"OBJECT", "ENCODING", "int"}), "\"int\"");
}

TEST_F(CountersTest, ObjectRefcountIdletimeFreqAndErrors) {
  EXPECT_EQ(Run({"SET", "small", "9999"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "small"}), ":2147483647") << "a shared integer";
  EXPECT_EQ(Run({"INCR", "small"}), ":10000");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "small"}), ":1");
  EXPECT_EQ(Run({"SET", "small", "-1"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "small"}), ":1");
  EXPECT_EQ(Run({"INCR", "small"}), ":0");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "small"}), ":2147483647");
  EXPECT_EQ(Run({"SET", "str", "hello"}), "+OK");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "str"}), ":1");

  // Just written: at most the second boundary the clock may have crossed since.
  const std::string idle = Run({"OBJECT", "IDLETIME", "str"});
  EXPECT_TRUE(idle == ":0" || idle == ":1") << idle;
  // Idle time is what this checks, so time has to pass: TTL, TYPE and EXISTS leave it, TOUCH
  // starts it again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(Run({"TTL", "str"}), ":-1");
  EXPECT_EQ(Run({"TYPE", "str"}), "+string");
  EXPECT_EQ(Run({"EXISTS", "str"}), ":1");
  const std::string waited = Run({"OBJECT", "IDLETIME", "str"});
  EXPECT_TRUE(waited == ":2" || waited == ":3") << waited;
  EXPECT_EQ(Run({"TOUCH", "str", "missing", "str"}), ":2");
  const std::string touched = Run({"OBJECT", "IDLETIME", "str"});
  EXPECT_TRUE(touched == ":0" || touched == ":1") << touched;
  EXPECT_EQ(Run({"OBJECT", "FREQ", "str"}),
            "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
            "note that when switching between policies at runtime LRU and LFU data will take "
            "some time to adjust.");

  for (const char* sub : {"ENCODING", "REFCOUNT", "IDLETIME", "FREQ"}) {
    EXPECT_EQ(Run({"OBJECT", sub, "missing"}), "(nil)") << sub;
  }
  EXPECT_EQ(Run({"OBJECT", "foo", "str"}), "-ERR unknown subcommand 'foo'. Try OBJECT HELP.");
  EXPECT_EQ(Run({"OBJECT"}), "-ERR wrong number of arguments for 'object' command");
  EXPECT_EQ(Run({"OBJECT", "encoding"}),
            "-ERR wrong number of arguments for 'object|encoding' command");
  EXPECT_EQ(Run({"OBJECT", "REFCOUNT", "a", "b"}),
            "-ERR wrong number of arguments for 'object|refcount' command");
  EXPECT_EQ(Run({"OBJECT", "HELP", "x"}),
            "-ERR wrong number of arguments for 'object|help' command");
  const std::string help = Run({"object", "help"});
  EXPECT_EQ(help.rfind("[+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:, ", 0),
            0u)
      << help;
  EXPECT_NE(help.find("+    Prints this help.]"), std::string::npos) << help;
}

}  // namespace
}  // namespace shale::integration
