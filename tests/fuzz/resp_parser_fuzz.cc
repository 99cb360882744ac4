// Fuzz target for protocol::RespParser.
//
// The input is fed the way a connection feeds it: appended to a buffer, Parse() called until
// it asks for more, consumed bytes dropped from the front. Each input is parsed several ways
// that must agree: all at once; in two reads split at a point derived from the input; and,
// for short inputs, one byte per read (a split run may only add a refusal of a too-long
// line, see Agrees). This is repeated with small limits so the limit
// checks are reached. Invariants checked on every call: consumed() stays within the buffer;
// a command has arguments and consumes bytes; arguments point into the consumed bytes, or
// outside the buffer altogether when they were rebuilt from inline quotes; bytes_wanted() is 0 or
// more than the buffer holds; errors carry Redis's prefix. Every command parsed is also re-encoded
// as a multibulk and must parse back to the same arguments.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/resp_parser.h"

namespace {

using shale::protocol::ParserLimits;
using shale::protocol::ParseStatus;
using shale::protocol::RespParser;

void Check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "resp_parser_fuzz: invariant violated: %s\n", what);
    std::abort();
  }
}

struct Outcome {
  std::vector<std::vector<std::string>> commands;
  bool failed = false;
  std::string error;
  size_t buffered = 0;

  bool operator==(const Outcome&) const = default;
};

bool Within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

bool Disjoint(std::string_view a, std::string_view b) {
  return a.data() + a.size() < b.data() || a.data() > b.data() + b.size();
}

// Feeds `input` in reads ending at each offset of `read_ends` (then at the end).
Outcome Drive(std::string_view input, const std::vector<size_t>& read_ends,
              const ParserLimits& limits) {
  RespParser parser(limits);
  std::string buffer;
  Outcome outcome;
  size_t fed = 0;
  auto feed_up_to = [&](size_t end) {
    buffer.append(input.substr(fed, end - fed));
    fed = end;
    while (true) {
      const ParseStatus status = parser.Parse(buffer);
      const size_t consumed = parser.consumed();
      Check(consumed <= buffer.size(), "consumed() within the buffer");
      if (status == ParseStatus::kError) {
        Check(parser.error().rfind("ERR Protocol error: ", 0) == 0, "error prefix");
        Check(parser.Parse(buffer) == ParseStatus::kError, "error is sticky");
        outcome.failed = true;
        outcome.error = parser.error();
        return false;
      }
      if (status == ParseStatus::kNeedMore) {
        Check(parser.args().empty(), "no args without a command");
        Check(parser.bytes_wanted() == 0 || parser.bytes_wanted() > buffer.size(),
              "bytes_wanted() asks for more than the buffer holds");
        buffer.erase(0, consumed);
        return true;
      }
      Check(consumed > 0, "a command consumes bytes");
      Check(!parser.args().empty(), "a command has arguments");
      const std::string_view used(buffer.data(), consumed);
      const bool has_quotes = used.find_first_of("\"'") != std::string_view::npos;
      for (std::string_view arg : parser.args()) {
        Check(Within(arg, used) || (has_quotes && Disjoint(arg, buffer)),
              "argument within the consumed bytes, or rebuilt from quotes");
      }
      outcome.commands.emplace_back(parser.args().begin(), parser.args().end());
      buffer.erase(0, consumed);
    }
  };
  for (size_t end : read_ends) {
    if (end < fed || end > input.size()) continue;
    if (!feed_up_to(end)) return outcome;
  }
  if (!feed_up_to(input.size())) return outcome;
  outcome.buffered = buffer.size();
  return outcome;
}

// Every command must survive a round trip through the multibulk encoding.
void CheckRoundTrip(const std::vector<std::string>& args) {
  std::string encoded = "*" + std::to_string(args.size()) + "\r\n";
  for (const std::string& arg : args) {
    encoded += "$" + std::to_string(arg.size()) + "\r\n";
    encoded += arg;
    encoded += "\r\n";
  }
  RespParser parser;
  Check(parser.Parse(encoded) == ParseStatus::kCommand, "re-encoded command parses");
  Check(parser.consumed() == encoded.size(), "re-encoded command consumed exactly");
  Check(parser.args().size() == args.size(), "re-encoded argument count");
  for (size_t i = 0; i < args.size(); ++i) {
    Check(parser.args()[i] == args[i], "re-encoded argument bytes");
  }
}

// As in Redis, a line is refused as too long only while its end has not arrived, so input
// split into reads may be refused where the whole input is not; everything else must agree,
// and the commands parsed before such a refusal are the first commands of the whole input.
bool Agrees(const Outcome& split, const Outcome& whole) {
  if (split == whole) return true;
  const bool too_long = split.error.find("too big") != std::string::npos;
  return split.failed && too_long && split.commands.size() <= whole.commands.size() &&
         std::equal(split.commands.begin(), split.commands.end(), whole.commands.begin());
}

void CheckInput(std::string_view input, const ParserLimits& limits, size_t split) {
  const Outcome whole = Drive(input, {}, limits);
  for (const auto& args : whole.commands) CheckRoundTrip(args);
  Check(Agrees(Drive(input, {split}, limits), whole), "split input parses the same");
  if (input.size() <= 512) {
    std::vector<size_t> every_byte;
    for (size_t i = 1; i < input.size(); ++i) every_byte.push_back(i);
    Check(Agrees(Drive(input, every_byte, limits), whole), "byte-by-byte input parses the same");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // A split point taken from the input itself, so the fuzzer can steer it.
  size_t split = 0;
  if (size >= 2) {
    split = (static_cast<size_t>(data[0]) << 8 | data[size - 1]) % (size + 1);
  }
  CheckInput(input, ParserLimits{}, split);

  ParserLimits small;
  small.max_bulk_len = 16;
  small.max_multibulk_len = 8;
  small.max_inline_len = 32;
  CheckInput(input, small, size - split);

  ParserLimits unauthenticated;
  unauthenticated.unauthenticated = true;
  CheckInput(input, unauthenticated, split / 2);
  return 0;
}
