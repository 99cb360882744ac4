// Tests protocol/reply_writer.h: the exact bytes of every reply type under RESP2 and RESP3.
#include "protocol/reply_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace shale::protocol {
namespace {

// Runs `write` against a fresh writer of the given protocol version and returns the bytes.
template <typename Fn>
std::string Encode(int protocol, Fn write) {
  std::string out;
  ReplyWriter writer(&out, protocol);
  write(writer);
  return out;
}

template <typename Fn>
std::string Resp2(Fn write) {
  return Encode(2, write);
}

template <typename Fn>
std::string Resp3(Fn write) {
  return Encode(3, write);
}

TEST(ReplyWriterTest, ProtocolVersion) {
  std::string out;
  ReplyWriter writer(&out);
  EXPECT_EQ(writer.protocol(), 2);
  EXPECT_EQ(writer.buffer(), &out);
  writer.NullBulk();
  writer.set_protocol(3);
  EXPECT_EQ(writer.protocol(), 3);
  writer.NullBulk();
  EXPECT_EQ(out, "$-1\r\n_\r\n");
}

TEST(ReplyWriterTest, AppendsToExistingBuffer) {
  std::string out = "+OK\r\n";
  ReplyWriter writer(&out);
  writer.Integer(7);
  writer.SimpleString("PONG");
  EXPECT_EQ(out, "+OK\r\n:7\r\n+PONG\r\n");
}

TEST(ReplyWriterTest, SimpleString) {
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.SimpleString("OK"); }), "+OK\r\n");
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.SimpleString(""); }), "+\r\n");
  }
}

TEST(ReplyWriterTest, Error) {
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Error("ERR unknown command 'foo'"); }),
              "-ERR unknown command 'foo'\r\n");
    EXPECT_EQ(Encode(protocol,
                     [](ReplyWriter& w) {
                       w.Error("WRONGTYPE Operation against a key holding the wrong kind of value");
                     }),
              "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    // CR and LF would end the line early: they become spaces.
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Error("ERR bad\r\nthing\nhere\r"); }),
              "-ERR bad  thing here \r\n");
  }
}

TEST(ReplyWriterTest, Integer) {
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Integer(0); }), ":0\r\n");
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Integer(1); }), ":1\r\n");
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Integer(-42); }), ":-42\r\n");
    EXPECT_EQ(
        Encode(protocol, [](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::max()); }),
        ":9223372036854775807\r\n");
    EXPECT_EQ(
        Encode(protocol, [](ReplyWriter& w) { w.Integer(std::numeric_limits<int64_t>::min()); }),
        ":-9223372036854775808\r\n");
  }
}

TEST(ReplyWriterTest, Bulk) {
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Bulk("foo"); }), "$3\r\nfoo\r\n");
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.Bulk(""); }), "$0\r\n\r\n");
    const std::string binary("a\0\r\nb", 5);
    EXPECT_EQ(Encode(protocol, [&](ReplyWriter& w) { w.Bulk(binary); }),
              std::string("$5\r\na\0\r\nb\r\n", 11));
    const std::string big(10000, 'z');
    EXPECT_EQ(Encode(protocol, [&](ReplyWriter& w) { w.Bulk(big); }), "$10000\r\n" + big + "\r\n");
  }
}

TEST(ReplyWriterTest, Nulls) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.NullBulk(); }), "$-1\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.NullBulk(); }), "_\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.NullArray(); }), "*-1\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.NullArray(); }), "_\r\n");
}

TEST(ReplyWriterTest, AggregateHeaders) {
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.ArrayHeader(0); }), "*0\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.ArrayHeader(3); }), "*3\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.ArrayHeader(123456); }), "*123456\r\n");

  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.MapHeader(2); }), "*4\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.MapHeader(2); }), "%2\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.MapHeader(0); }), "*0\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.MapHeader(0); }), "%0\r\n");

  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.SetHeader(5); }), "*5\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.SetHeader(5); }), "~5\r\n");

  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.PushHeader(3); }), "*3\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.PushHeader(3); }), ">3\r\n");
}

TEST(ReplyWriterTest, MapWithEntries) {
  auto write = [](ReplyWriter& w) {
    w.MapHeader(2);
    w.Bulk("server");
    w.Bulk("shale");
    w.Bulk("proto");
    w.Integer(3);
  };
  EXPECT_EQ(Resp2(write), "*4\r\n$6\r\nserver\r\n$5\r\nshale\r\n$5\r\nproto\r\n:3\r\n");
  EXPECT_EQ(Resp3(write), "%2\r\n$6\r\nserver\r\n$5\r\nshale\r\n$5\r\nproto\r\n:3\r\n");
}

TEST(ReplyWriterTest, Double) {
  struct Case {
    double value;
    std::string text;
  };
  const std::vector<Case> cases = {
      {1.5, "1.5"},
      {-2.25, "-2.25"},
      {3.0, "3"},
      {-7.0, "-7"},
      {0.0, "0"},
      {-0.0, "-0"},
      {0.1, "0.1"},
      {1.0 / 3.0, "0.3333333333333333"},
      {1e15, "1000000000000000"},
      {4611686018427387904.0, "4611686018427387904"},  // 2^62, the largest printed as integer
      {9223372036854775808.0, "9223372036854775808"},  // 2^63: past the integer path
      {1e20, "1e+20"},
      {123.456, "123.456"},
      {-1.25e-7, "-1.25e-07"},
      {1e300, "1e+300"},
      {5e-324, "5e-324"},
      {std::numeric_limits<double>::infinity(), "inf"},
      {-std::numeric_limits<double>::infinity(), "-inf"},
      {std::numeric_limits<double>::quiet_NaN(), "nan"},
      {-std::numeric_limits<double>::quiet_NaN(), "nan"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(Resp3([&](ReplyWriter& w) { w.Double(c.value); }), "," + c.text + "\r\n");
    EXPECT_EQ(Resp2([&](ReplyWriter& w) { w.Double(c.value); }),
              "$" + std::to_string(c.text.size()) + "\r\n" + c.text + "\r\n");
  }
}

TEST(ReplyWriterTest, DoubleTextReadsBackExactly) {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  for (int i = 0; i < 2000; ++i) {
    const double value = std::ldexp(mantissa(rng), exponent(rng));
    const std::string reply = Resp3([&](ReplyWriter& w) { w.Double(value); });
    ASSERT_EQ(reply.front(), ',');
    ASSERT_EQ(reply.substr(reply.size() - 2), "\r\n");
    const std::string text = reply.substr(1, reply.size() - 3);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
  }
}

TEST(ReplyWriterTest, Boolean) {
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Boolean(true); }), "#t\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Boolean(false); }), "#f\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Boolean(true); }), ":1\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Boolean(false); }), ":0\r\n");
}

TEST(ReplyWriterTest, Verbatim) {
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Verbatim("txt", "Some string"); }),
            "=15\r\ntxt:Some string\r\n");
  EXPECT_EQ(Resp2([](ReplyWriter& w) { w.Verbatim("txt", "Some string"); }),
            "$11\r\nSome string\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Verbatim("mkd", ""); }), "=4\r\nmkd:\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Verbatim("txt", "a\r\nb"); }), "=8\r\ntxt:a\r\nb\r\n");
  // The format is always three bytes, so the announced length stays right.
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Verbatim("markdown", "x"); }), "=5\r\nmar:x\r\n");
  EXPECT_EQ(Resp3([](ReplyWriter& w) { w.Verbatim("t", "x"); }), "=5\r\nt  :x\r\n");
}

TEST(ReplyWriterTest, BulkArray) {
  const std::vector<std::string_view> items = {"a", "", "bc"};
  for (int protocol : {2, 3}) {
    EXPECT_EQ(Encode(protocol, [&](ReplyWriter& w) { w.BulkArray(items.data(), items.size()); }),
              "*3\r\n$1\r\na\r\n$0\r\n\r\n$2\r\nbc\r\n");
    EXPECT_EQ(Encode(protocol, [](ReplyWriter& w) { w.BulkArray(nullptr, 0); }), "*0\r\n");
  }
}

TEST(ReplyWriterTest, NestedReply) {
  // HELLO-like reply: a map holding an array and a set.
  auto write = [](ReplyWriter& w) {
    w.MapHeader(2);
    w.Bulk("modules");
    w.ArrayHeader(0);
    w.Bulk("flags");
    w.SetHeader(1);
    w.SimpleString("ok");
  };
  EXPECT_EQ(Resp2(write), "*4\r\n$7\r\nmodules\r\n*0\r\n$5\r\nflags\r\n*1\r\n+ok\r\n");
  EXPECT_EQ(Resp3(write), "%2\r\n$7\r\nmodules\r\n*0\r\n$5\r\nflags\r\n~1\r\n+ok\r\n");
}

}  // namespace
}  // namespace shale::protocol
