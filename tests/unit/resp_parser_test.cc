// Tests protocol/resp_parser.h: multibulk and inline requests, pipelining, requests split
// across reads at every byte, binary arguments, limits and Redis's protocol error texts.
#include "protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace shale::protocol {
namespace {

using Args = std::vector<std::string>;

// What a connection would see from one input stream.
struct Outcome {
  std::vector<Args> commands;
  bool failed = false;
  std::string error;
  size_t buffered = 0;  // bytes of an incomplete request left in the buffer at the end

  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& outcome) {
  os << outcome.commands.size() << " commands [";
  for (const Args& args : outcome.commands) {
    os << "(";
    for (const std::string& arg : args) os << '"' << arg << "\" ";
    os << ")";
  }
  os << "] failed=" << outcome.failed << " error=\"" << outcome.error
     << "\" buffered=" << outcome.buffered;
  return os;
}

bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

// Feeds `input` to a parser the way a connection does: the bytes up to each offset in
// `chunk_ends` arrive as one read, appended to a buffer; Parse() is called until it asks for
// more, and consumed bytes are dropped from the front of the buffer.
Outcome Drive(std::string_view input, std::vector<size_t> chunk_ends, ParserLimits limits = {}) {
  RespParser parser(limits);
  std::string buffer;
  Outcome outcome;
  size_t fed = 0;
  chunk_ends.push_back(input.size());
  for (size_t end : chunk_ends) {
    if (end < fed || end > input.size()) continue;
    buffer.append(input.substr(fed, end - fed));
    fed = end;
    while (true) {
      ParseStatus status = parser.Parse(buffer);
      EXPECT_LE(parser.consumed(), buffer.size());
      if (status == ParseStatus::kError) {
        outcome.failed = true;
        outcome.error = parser.error();
        return outcome;
      }
      if (status == ParseStatus::kNeedMore) {
        buffer.erase(0, parser.consumed());
        break;
      }
      EXPECT_GT(parser.consumed(), 0u);
      EXPECT_FALSE(parser.args().empty());
      outcome.commands.emplace_back(parser.args().begin(), parser.args().end());
      buffer.erase(0, parser.consumed());
    }
  }
  outcome.buffered = buffer.size();
  return outcome;
}

Outcome Whole(std::string_view input, ParserLimits limits = {}) { return Drive(input, {}, limits); }

Outcome ByteByByte(std::string_view input, ParserLimits limits = {}) {
  std::vector<size_t> ends;
  for (size_t i = 1; i < input.size(); ++i) ends.push_back(i);
  return Drive(input, ends, limits);
}

// Parses one buffer holding exactly one request and returns its arguments.
Args ParseOne(std::string_view input) {
  RespParser parser;
  EXPECT_EQ(parser.Parse(input), ParseStatus::kCommand) << parser.error();
  EXPECT_EQ(parser.consumed(), input.size());
  return Args(parser.args().begin(), parser.args().end());
}

std::string ParseError(std::string_view input, ParserLimits limits = {}) {
  RespParser parser(limits);
  EXPECT_EQ(parser.Parse(input), ParseStatus::kError);
  return parser.error();
}

std::string Multibulk(const Args& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Multibulk

TEST(RespParserTest, MultibulkCommand) {
  const std::string input = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n";
  RespParser parser;
  ASSERT_EQ(parser.Parse(input), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), input.size());
  EXPECT_EQ(parser.bytes_wanted(), 0u);
  ASSERT_EQ(parser.args().size(), 3u);
  EXPECT_EQ(parser.args()[0], "SET");
  EXPECT_EQ(parser.args()[1], "key");
  EXPECT_EQ(parser.args()[2], "value");
  // Arguments are views into the caller's bytes, not copies.
  EXPECT_EQ(parser.args()[0].data(), input.data() + 8);
  for (std::string_view arg : parser.args()) EXPECT_TRUE(Within(arg, input));
}

TEST(RespParserTest, EmptyBulkArgument) {
  EXPECT_EQ(ParseOne("*2\r\n$3\r\nGET\r\n$0\r\n\r\n"), (Args{"GET", ""}));
}

TEST(RespParserTest, BinaryArguments) {
  const std::string payload("a\0b\r\nc\r\n\0", 9);
  const std::string input = Multibulk({"SET", payload, std::string("\0", 1)});
  Args args = ParseOne(input);
  ASSERT_EQ(args.size(), 3u);
  EXPECT_EQ(args[1], payload);
  EXPECT_EQ(args[2], std::string("\0", 1));
  EXPECT_EQ(ByteByByte(input).commands, (std::vector<Args>{args}));
}

TEST(RespParserTest, OneMegabyteBulk) {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>(i % 251);
  const std::string input = Multibulk({"SET", "k", big});
  Outcome expected{{Args{"SET", "k", big}}, false, "", 0};
  EXPECT_EQ(Whole(input), expected);
  std::vector<size_t> reads;
  for (size_t i = 4096; i < input.size(); i += 4096) reads.push_back(i);
  EXPECT_EQ(Drive(input, reads), expected);
  // One byte per read: a parser that re-scanned the bulk on every call would take hours.
  EXPECT_EQ(ByteByByte(input), expected);
}

TEST(RespParserTest, CountsOfZeroOrLessProduceNoCommand) {
  RespParser parser;
  EXPECT_EQ(parser.Parse("*0\r\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 4u);
  EXPECT_EQ(parser.Parse("*-1\r\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 5u);
  EXPECT_EQ(parser.Parse("*-10\r\n*1\r\n$4\r\nPING\r\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), 20u);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"PING"}));
}

TEST(RespParserTest, BulkFollowedByOtherThanCrlf) {
  // As in Redis, the two bytes after a payload are skipped without being looked at.
  EXPECT_EQ(Whole("*1\r\n$3\r\nfooXY*1\r\n$4\r\nPING\r\n").commands,
            (std::vector<Args>{{"foo"}, {"PING"}}));
  // A payload longer than announced: "foo" is taken, "ba" skipped, and "r" is found where the
  // next header should start.
  EXPECT_EQ(ParseError("*2\r\n$3\r\nfoobar\r\n$1\r\nx\r\n"),
            "ERR Protocol error: expected '$', got 'r'");
}

TEST(RespParserTest, HeaderLineEndsAtCarriageReturn) {
  // As in Redis, a header ends at its first '\r' and the byte after it is skipped unchecked.
  EXPECT_EQ(Whole("*1\rX$4\r?PING\r\n").commands, (std::vector<Args>{{"PING"}}));
  // "\r" alone is not enough: the byte after it must have arrived.
  RespParser parser;
  EXPECT_EQ(parser.Parse("*1\r"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n"), ParseStatus::kCommand);
}

TEST(RespParserTest, LargestAcceptedNumbers) {
  ParserLimits limits;
  limits.max_multibulk_len = 3;
  limits.max_bulk_len = 5;
  RespParser parser(limits);
  const std::string input = "*3\r\n$5\r\nabcde\r\n$0\r\n\r\n$1\r\nz\r\n";
  ASSERT_EQ(parser.Parse(input), ParseStatus::kCommand) << parser.error();
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"abcde", "", "z"}));
}

// ---------------------------------------------------------------------------------------
// Inline

TEST(RespParserTest, InlineCommand) {
  const std::string input = "SET key value\r\n";
  RespParser parser;
  ASSERT_EQ(parser.Parse(input), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), input.size());
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"SET", "key", "value"}));
  // Unquoted words are views into the caller's bytes.
  for (std::string_view arg : parser.args()) EXPECT_TRUE(Within(arg, input));
}

TEST(RespParserTest, InlineLineEndings) {
  EXPECT_EQ(ParseOne("PING\n"), (Args{"PING"}));
  EXPECT_EQ(ParseOne("PING\r\n"), (Args{"PING"}));
  EXPECT_EQ(ParseOne("  GET \t  key  \r\n"), (Args{"GET", "key"}));
  // '\r' inside the line separates words; '\v' and '\f' are skipped between words but belong
  // to a word they occur in, as in sdssplitargs.
  EXPECT_EQ(ParseOne("GET a\rb\n"), (Args{"GET", "a", "b"}));
  EXPECT_EQ(ParseOne("\v\fGET a\vb\n"), (Args{"GET", "a\vb"}));
  // A line without '\n' is not complete, whatever it ends with.
  RespParser parser;
  EXPECT_EQ(parser.Parse("PING\r"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 0u);
}

TEST(RespParserTest, InlineQuoting) {
  struct Case {
    std::string line;
    Args args;
  };
  const std::vector<Case> cases = {
      {R"(SET "hello world" 'it\'s')", {"SET", "hello world", "it's"}},
      {R"("\x41\x4a\x7e" "\n\r\t\b\a\\\"\q")", {"AJ~", "\n\r\t\b\a\\\"q"}},
      {R"("\x4" "\xZZ" "\x")", {"x4", "xZZ", "x"}},
      {R"(foo"bar baz" x'y z')", {"foobar baz", "xy z"}},
      {R"('a\nb\\c"d')", {R"(a\nb\\c"d)"}},
      {R"("" '')", {"", ""}},
      {"\"a\"\t'b'\v\"c\"", {"a", "b", "c"}},
      {R"("\x00" end)", {std::string("\0", 1), "end"}},
      {R"("é" 'ü')", {"é", "ü"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    EXPECT_EQ(ParseOne(c.line + "\r\n"), c.args);
    // Quoted words are rebuilt in the parser's storage; they stay valid with the others.
    EXPECT_EQ(ByteByByte(c.line + "\n").commands, (std::vector<Args>{c.args}));
  }
}

TEST(RespParserTest, InlineUnbalancedQuotes) {
  const std::string kError = "ERR Protocol error: unbalanced quotes in request";
  for (const std::string line :
       {R"(SET "foo)", R"(SET 'foo)", R"(GET "a"b)", R"(GET 'a'b)", R"(GET "abc\")", R"(GET "abc\)",
        R"(GET 'abc\')", R"(GET "a""b")", R"(GET 'x'"y")"}) {
    SCOPED_TRACE(line);
    EXPECT_EQ(ParseError(line + "\r\n"), kError);
  }
}

TEST(RespParserTest, InlineNulEndsTheLine) {
  // sdssplitargs reads the line as a C string: what follows a NUL is ignored...
  EXPECT_EQ(ParseOne(std::string("GET k\0junk\r\n", 12)), (Args{"GET", "k"}));
  // ...so a quote still open at the NUL is unbalanced.
  EXPECT_EQ(ParseError(std::string("GET \"a\0b\"\r\n", 11)),
            "ERR Protocol error: unbalanced quotes in request");
}

TEST(RespParserTest, EmptyLinesProduceNoCommand) {
  RespParser parser;
  EXPECT_EQ(parser.Parse("\r\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 2u);
  EXPECT_EQ(parser.Parse("\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 1u);
  EXPECT_EQ(parser.Parse(" \t \r\n"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 5u);
  const std::string input = "\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n";
  ASSERT_EQ(parser.Parse(input), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), input.size());
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"PING"}));
}

// ---------------------------------------------------------------------------------------
// Pipelining and reads split anywhere

std::string MixedPipeline() {
  std::string input;
  input += Multibulk({"SET", "key", "value"});
  input += "GET key\r\n";
  input += "\r\n";
  input += Multibulk({"MSET", "a", std::string("\0\r\n", 3), "b", ""});
  input += "*0\r\n";
  input += "SET \"q\\x41\" 'it\\'s'\n";
  input += "*-1\r\n";
  input += Multibulk({"PING"});
  input += "   \r\n";
  input += "ECHO \"two words\"\r\n";
  input += Multibulk({"DEL", "k1", "k2", "k3"});
  return input;
}

TEST(RespParserTest, PipelineInOneBuffer) {
  std::string input;
  std::vector<Args> expected;
  for (int i = 0; i < 500; ++i) {
    Args set = {"SET", "key:" + std::to_string(i), std::string(static_cast<size_t>(i % 40), 'v')};
    input += Multibulk(set);
    expected.push_back(set);
    input += "GET key:" + std::to_string(i) + "\r\n";
    expected.push_back({"GET", "key:" + std::to_string(i)});
  }
  Outcome outcome = Whole(input);
  EXPECT_FALSE(outcome.failed);
  EXPECT_EQ(outcome.buffered, 0u);
  EXPECT_EQ(outcome.commands, expected);
}

TEST(RespParserTest, ConsumedCountsOneCommandAtATime) {
  const std::string input = "PING\r\n*1\r\n$4\r\nPING\r\n\r\nECHO x\n";
  RespParser parser;
  std::string_view rest = input;
  ASSERT_EQ(parser.Parse(rest), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), 6u);
  rest.remove_prefix(parser.consumed());
  ASSERT_EQ(parser.Parse(rest), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), 14u);
  rest.remove_prefix(parser.consumed());
  // The empty line is consumed together with the command after it.
  ASSERT_EQ(parser.Parse(rest), ParseStatus::kCommand);
  EXPECT_EQ(parser.consumed(), 9u);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"ECHO", "x"}));
  rest.remove_prefix(parser.consumed());
  EXPECT_EQ(parser.Parse(rest), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 0u);
}

TEST(RespParserTest, SplitAtEveryByte) {
  const std::string input = MixedPipeline();
  const Outcome whole = Whole(input);
  ASSERT_FALSE(whole.failed) << whole.error;
  ASSERT_EQ(whole.commands.size(), 7u);
  EXPECT_EQ(whole.commands[2], (Args{"MSET", "a", std::string("\0\r\n", 3), "b", ""}));
  EXPECT_EQ(whole.commands[3], (Args{"SET", "qA", "it's"}));
  EXPECT_EQ(whole.commands[5], (Args{"ECHO", "two words"}));
  EXPECT_EQ(whole.buffered, 0u);
  for (size_t i = 0; i <= input.size(); ++i) {
    ASSERT_EQ(Drive(input, {i}), whole) << "split at " << i;
  }
  EXPECT_EQ(ByteByByte(input), whole);
}

TEST(RespParserTest, SplitAtEveryPairOfBytes) {
  const std::string input =
      Multibulk({"SET", "k", "v\r\n"}) + "\r\nGET \"k\" x\r\n*1\r\n$1\r\nz\r\n";
  const Outcome whole = Whole(input);
  ASSERT_EQ(whole.commands.size(), 3u);
  for (size_t i = 0; i <= input.size(); ++i) {
    for (size_t j = i; j <= input.size(); ++j) {
      ASSERT_EQ(Drive(input, {i, j}), whole) << "split at " << i << " and " << j;
    }
  }
}

TEST(RespParserTest, IncompleteRequestStaysBuffered) {
  const std::string input = "PING\r\n*2\r\n$3\r\nGET\r\n$5\r\nab";
  const Outcome whole = Whole(input);
  EXPECT_EQ(whole.commands, (std::vector<Args>{{"PING"}}));
  EXPECT_EQ(whole.buffered, input.size() - 6);
  for (size_t i = 0; i <= input.size(); ++i) EXPECT_EQ(Drive(input, {i}), whole);
}

TEST(RespParserTest, ProgressSurvivesMovingTheBuffer) {
  RespParser parser;
  std::string first = "*2\r\n$3\r\nGET\r\n$3\r\nke";
  ASSERT_EQ(parser.Parse(first), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.consumed(), 0u);
  // The same bytes at another address, with the rest appended.
  std::string second = first + "y\r\n";
  first.assign(first.size(), '#');
  ASSERT_EQ(parser.Parse(second), ParseStatus::kCommand);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"GET", "key"}));
  for (std::string_view arg : parser.args()) EXPECT_TRUE(Within(arg, second));
}

TEST(RespParserTest, SkippedBytesMayBeDroppedOrPassedAgain) {
  // kNeedMore with consumed() > 0: the parser keeps no offsets into the rest, so both ways of
  // calling it again work.
  const std::string head = "\r\n*0\r\n*2\r\n$4\r\nECHO\r\n$2\r\nh";
  const std::string full = head + "i\r\n";
  {
    RespParser parser;
    ASSERT_EQ(parser.Parse(head), ParseStatus::kNeedMore);
    EXPECT_EQ(parser.consumed(), 6u);
    EXPECT_EQ(parser.bytes_wanted(), full.size());
    ASSERT_EQ(parser.Parse(std::string_view(full).substr(6)), ParseStatus::kCommand);
    EXPECT_EQ(parser.consumed(), full.size() - 6);
    EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"ECHO", "hi"}));
  }
  {
    RespParser parser;
    ASSERT_EQ(parser.Parse(head), ParseStatus::kNeedMore);
    ASSERT_EQ(parser.Parse(full), ParseStatus::kCommand);
    EXPECT_EQ(parser.consumed(), full.size());
    EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"ECHO", "hi"}));
  }
}

TEST(RespParserTest, ResetForgetsPartialRequest) {
  RespParser parser;
  ASSERT_EQ(parser.Parse("*3\r\n$3\r\nSET\r\n$1\r\nk"), ParseStatus::kNeedMore);
  parser.Reset();
  ASSERT_EQ(parser.Parse("PING\r\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"PING"}));
}

// ---------------------------------------------------------------------------------------
// bytes_wanted

TEST(RespParserTest, BytesWantedWhileReceivingBulk) {
  RespParser parser;
  const std::string head = "*2\r\n$3\r\nGET\r\n$100\r\n";
  EXPECT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$10"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_wanted(), 0u);  // the length is not known yet
  std::string input = head + "abc";
  EXPECT_EQ(parser.Parse(input), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_wanted(), head.size() + 100 + 2);
  input += std::string(97, 'x');
  EXPECT_EQ(parser.Parse(input), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_wanted(), head.size() + 102);
  input += "\r";
  EXPECT_EQ(parser.Parse(input), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_wanted(), input.size() + 1);
  input += "\n";
  ASSERT_EQ(parser.Parse(input), ParseStatus::kCommand);
  EXPECT_EQ(parser.bytes_wanted(), 0u);
  EXPECT_EQ(parser.args()[1].size(), 100u);
}

TEST(RespParserTest, BytesWantedForLargeBulk) {
  RespParser parser;
  const std::string head = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n";
  EXPECT_EQ(parser.Parse(head + "data"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.bytes_wanted(), head.size() + 536870912 + 2);
}

// ---------------------------------------------------------------------------------------
// Errors and limits

TEST(RespParserTest, InvalidMultibulkLength) {
  const std::string kError = "ERR Protocol error: invalid multibulk length";
  for (const char* input :
       {"*abc\r\n", "*\r\n", "*+1\r\n", "* 1\r\n", "*1 \r\n", "*01\r\n", "*-0\r\n", "*-\r\n",
        "*2147483648\r\n", "*99999999999999999999\r\n", "*1.5\r\n"}) {
    SCOPED_TRACE(input);
    EXPECT_EQ(ParseError(input), kError);
  }
  EXPECT_EQ(ParseError("*99999999999\r\n"), kError);
}

TEST(RespParserTest, InvalidBulkLength) {
  const std::string kError = "ERR Protocol error: invalid bulk length";
  for (const char* input :
       {"*1\r\n$-1\r\n", "*1\r\n$abc\r\n", "*1\r\n$\r\n", "*1\r\n$+3\r\n", "*1\r\n$03\r\n",
        "*1\r\n$ 3\r\n", "*1\r\n$536870913\r\n", "*1\r\n$9223372036854775807\r\n",
        "*1\r\n$99999999999999999999\r\n", "*1\r\n$-9223372036854775808\r\n"}) {
    SCOPED_TRACE(input);
    EXPECT_EQ(ParseError(input), kError);
  }
}

TEST(RespParserTest, ExpectedDollar) {
  EXPECT_EQ(ParseError("*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n"),
            "ERR Protocol error: expected '$', got 'f'");
  EXPECT_EQ(ParseError("*1\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'");
  EXPECT_EQ(ParseError("*1\r\n*1\r\n"), "ERR Protocol error: expected '$', got '*'");
  // The byte is reported as found; the reply writer turns CR/LF into spaces.
  EXPECT_EQ(ParseError("*1\r\n\r\n"), "ERR Protocol error: expected '$', got '\r'");
  // The header line must be complete before its first byte is judged.
  RespParser parser;
  EXPECT_EQ(parser.Parse("*1\r\nfoo"), ParseStatus::kNeedMore);
}

TEST(RespParserTest, TooBigInlineRequest) {
  const std::string kError = "ERR Protocol error: too big inline request";
  RespParser parser;
  std::string line(64 * 1024, 'a');
  EXPECT_EQ(parser.Parse(line), ParseStatus::kNeedMore);
  line += 'a';
  EXPECT_EQ(parser.Parse(line), ParseStatus::kError);
  EXPECT_EQ(parser.error(), kError);
  // As in Redis, a line is refused only while its newline is missing: a longer line whose
  // newline is already buffered is a command.
  const std::string longest = std::string(64 * 1024 - 2, 'b') + "\r\n";
  EXPECT_EQ(Whole(longest).commands.size(), 1u);
  const std::string long_line = std::string(200 * 1024, 'b') + " c\r\n";
  const Outcome whole = Whole(long_line);
  ASSERT_EQ(whole.commands.size(), 1u);
  EXPECT_EQ(whole.commands[0].size(), 2u);
  EXPECT_EQ(whole.commands[0][0].size(), 200u * 1024);
  EXPECT_EQ(Drive(long_line, {1000, 40000}).commands.size(), 1u);
  // More than 64 KB waiting without a newline is refused.
  EXPECT_EQ(Drive(long_line, {64 * 1024 + 1}).error, kError);
}

TEST(RespParserTest, TooBigCountStrings) {
  RespParser parser;
  std::string header = "*" + std::string(64 * 1024 - 1, '1');
  EXPECT_EQ(parser.Parse(header), ParseStatus::kNeedMore);
  header += '1';
  EXPECT_EQ(parser.Parse(header), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: too big mbulk count string");
  // A complete header line is judged by its number, however long it is (Redis's order).
  EXPECT_EQ(ParseError(header + "\r\n"), "ERR Protocol error: invalid multibulk length");

  const std::string bulk_header = "*1\r\n$" + std::string(64 * 1024, '7');
  EXPECT_EQ(ParseError(bulk_header), "ERR Protocol error: too big bulk count string");
  EXPECT_EQ(ParseError(bulk_header + "\r\n"), "ERR Protocol error: invalid bulk length");
}

TEST(RespParserTest, LoweredLimits) {
  ParserLimits limits;
  limits.max_bulk_len = 10;
  limits.max_multibulk_len = 3;
  limits.max_inline_len = 8;
  RespParser parser;
  parser.set_limits(limits);

  EXPECT_EQ(parser.Parse("*1\r\n$11\r\n"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid bulk length");
  parser.Reset();
  EXPECT_EQ(parser.Parse("*1\r\n$10\r\n0123456789\r\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.Parse("*4\r\n"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid multibulk length");
  parser.Reset();
  EXPECT_EQ(parser.Parse("GET abcd"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("GET abcde"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: too big inline request");
  parser.Reset();
  EXPECT_EQ(parser.Parse("GET abcde\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.Parse("GET abc\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.Parse("*123456789"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: too big mbulk count string");
  parser.Reset();
  EXPECT_EQ(parser.Parse("*1\r\n$123456789"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: too big bulk count string");
}

TEST(RespParserTest, ErrorsDoNotDependOnReadBoundaries) {
  ParserLimits small;
  small.max_bulk_len = 16;
  small.max_multibulk_len = 4;
  small.max_inline_len = 14;
  const std::vector<std::string> inputs = {
      MixedPipeline() + "*x\r\n",
      MixedPipeline() + "*1\r\n$-2\r\n",
      "PING\r\n*2\r\n$4\r\nECHO\r\n?4\r\nPING\r\n",
      "GET a\r\nSET \"a b\" 'c\r\n",
      "GET a\nGET 1234567890123",
      "*1\r\n$1\r\na\r\n*12345678901234567",
      "*1\r\n$1\r\na\r\n*1\r\n$12345678901234567",
      "*1\r\n$17\r\n",
      "*5\r\n",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE(input);
    for (const ParserLimits& limits : {ParserLimits{}, small}) {
      const Outcome whole = Whole(input, limits);
      for (size_t i = 0; i <= input.size(); ++i) {
        ASSERT_EQ(Drive(input, {i}, limits), whole) << "split at " << i;
      }
      EXPECT_EQ(ByteByByte(input, limits), whole);
    }
  }
  EXPECT_EQ(Whole(inputs[0]).error, "ERR Protocol error: invalid multibulk length");
  EXPECT_EQ(Whole(inputs[0]).commands.size(), 7u);
  EXPECT_EQ(Whole(inputs[3]).error, "ERR Protocol error: unbalanced quotes in request");
  EXPECT_EQ(Whole(inputs[4], small).error, "ERR Protocol error: too big inline request");
  EXPECT_EQ(Whole(inputs[5], small).error, "ERR Protocol error: too big mbulk count string");
  EXPECT_EQ(Whole(inputs[6], small).error, "ERR Protocol error: too big bulk count string");
  EXPECT_EQ(Whole(inputs[7], small).error, "ERR Protocol error: invalid bulk length");
  EXPECT_EQ(Whole(inputs[8], small).error, "ERR Protocol error: invalid multibulk length");
}

TEST(RespParserTest, UnauthenticatedLimits) {
  ParserLimits limits;
  limits.unauthenticated = true;
  std::string ten = "*10\r\n";
  for (int i = 0; i < 10; ++i) ten += "$1\r\na\r\n";
  EXPECT_EQ(Whole(ten, limits).commands.size(), 1u);
  EXPECT_EQ(Whole("*11\r\n", limits).error, "ERR Protocol error: unauthenticated multibulk length");
  const std::string bulk(16 * 1024, 'x');
  EXPECT_EQ(Whole("*2\r\n$3\r\nGET\r\n$16384\r\n" + bulk + "\r\n", limits).commands.size(), 1u);
  EXPECT_EQ(Whole("*2\r\n$3\r\nGET\r\n$16385\r\n", limits).error,
            "ERR Protocol error: unauthenticated bulk length");
  // The announced length is refused before any of the bulk arrives.
  EXPECT_EQ(Whole("*2\r\n$3\r\nGET\r\n$536870000\r\n", limits).error,
            "ERR Protocol error: unauthenticated bulk length");
  // Once authenticated, the usual limits apply.
  EXPECT_TRUE(Whole("*11\r\n").error.empty());
}

TEST(RespParserTest, MultibulkCountUpToIntMax) {
  EXPECT_TRUE(Whole("*2147483647\r\n").error.empty());
  EXPECT_EQ(Whole("*2147483648\r\n").error, "ERR Protocol error: invalid multibulk length");
}

TEST(RespParserTest, ErrorIsStickyUntilReset) {
  RespParser parser;
  EXPECT_EQ(parser.Parse("*x\r\n"), ParseStatus::kError);
  EXPECT_EQ(parser.Parse("PING\r\n"), ParseStatus::kError);
  EXPECT_EQ(parser.error(), "ERR Protocol error: invalid multibulk length");
  EXPECT_TRUE(parser.args().empty());
  parser.Reset();
  EXPECT_TRUE(parser.error().empty());
  EXPECT_EQ(parser.Parse("PING\r\n"), ParseStatus::kCommand);
}

TEST(RespParserTest, CommandsBeforeAnErrorAreDelivered) {
  const Outcome outcome = Whole("PING\r\nECHO a\r\n*1\r\n$x\r\nPING\r\n");
  EXPECT_EQ(outcome.commands, (std::vector<Args>{{"PING"}, {"ECHO", "a"}}));
  EXPECT_TRUE(outcome.failed);
  EXPECT_EQ(outcome.error, "ERR Protocol error: invalid bulk length");
}

TEST(RespParserTest, ShorterBufferThanBeforeIsNotReadPastItsEnd) {
  // Contract violation by the caller: the parser must stay within the bytes it is given.
  RespParser parser;
  ASSERT_EQ(parser.Parse("*2\r\n$3\r\nGET\r\n$3\r\nke"), ParseStatus::kNeedMore);
  EXPECT_EQ(parser.Parse("*1"), ParseStatus::kNeedMore);
  ASSERT_EQ(parser.Parse("*1\r\n$4\r\nPING\r\n"), ParseStatus::kCommand);
  EXPECT_EQ(parser.args(), (std::vector<std::string_view>{"PING"}));
}

}  // namespace
}  // namespace shale::protocol
