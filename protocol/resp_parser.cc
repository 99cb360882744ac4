#include "protocol/resp_parser.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>

#include "protocol/numbers.h"

namespace shale::protocol {

namespace {

constexpr std::string_view kProtocolErrorPrefix = "ERR Protocol error: ";

// At most this many argument slots are reserved up front, whatever count a `*N` header
// announces, so a client cannot make the server allocate for arguments it never sends.
constexpr int64_t kMaxArgsReservedUpFront = 1024;

// isspace() in the C locale, without its locale lookup and its undefined behaviour on
// negative chars.
bool IsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// The character a backslash followed by `c` stands for inside double quotes.
char Unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

}  // namespace

RespParser::RespParser(ParserLimits limits) : limits_(limits) {}

void RespParser::Reset() {
  args_.clear();
  inline_storage_.clear();
  ClearProgress();
  consumed_ = 0;
  bytes_wanted_ = 0;
  error_.clear();
}

void RespParser::ClearProgress() {
  multibulk_remaining_ = 0;
  bulk_len_ = -1;
  position_ = 0;
  scanned_ = 0;
  arg_offsets_.clear();
}

ParseStatus RespParser::Fail(std::string_view message) {
  error_.assign(kProtocolErrorPrefix);
  error_.append(message);
  args_.clear();
  inline_storage_.clear();
  ClearProgress();
  bytes_wanted_ = 0;
  return ParseStatus::kError;
}

ParseStatus RespParser::Parse(std::string_view data) {
  args_.clear();
  inline_storage_.clear();
  consumed_ = 0;
  bytes_wanted_ = 0;
  if (!error_.empty()) return ParseStatus::kError;
  // Saved progress only makes sense over the same bytes; a shorter buffer means the caller
  // discarded them, so start over rather than read past the end.
  if (position_ > data.size() || scanned_ > data.size() - position_) ClearProgress();

  while (true) {
    ParseStatus status;
    if (multibulk_remaining_ > 0 || (position_ < data.size() && data[position_] == '*')) {
      status = ParseMultibulk(data);
    } else if (position_ < data.size()) {
      status = ParseInline(data);
    } else {
      status = ParseStatus::kNeedMore;
    }

    if (status == ParseStatus::kCommand) {
      if (!args_.empty()) {
        ClearProgress();
        return ParseStatus::kCommand;
      }
      // A request without a command (empty line, `*0`): skip it and go on.
      continue;
    }
    if (status == ParseStatus::kNeedMore && consumed_ > 0) {
      // Offsets saved now would be wrong if the caller drops the consumed bytes and right if
      // it does not; keeping none is correct either way.
      ClearProgress();
    }
    return status;
  }
}

RespParser::LineEnd RespParser::FindHeaderEnd(std::string_view data, size_t* cr) {
  const size_t line_start = position_;
  const size_t from = line_start + scanned_;
  const void* found =
      from < data.size() ? std::memchr(data.data() + from, '\r', data.size() - from) : nullptr;
  if (found == nullptr) {
    const size_t pending = data.size() - line_start;
    if (pending > limits_.max_inline_len) return LineEnd::kTooLong;
    scanned_ = pending;
    return LineEnd::kNeedMore;
  }
  const size_t cr_offset = static_cast<size_t>(static_cast<const char*>(found) - data.data());
  if (cr_offset + 1 >= data.size()) {
    // The byte after '\r' is not here yet.
    scanned_ = cr_offset - line_start;
    return LineEnd::kNeedMore;
  }
  *cr = cr_offset;
  return LineEnd::kFound;
}

ParseStatus RespParser::ParseMultibulk(std::string_view data) {
  if (multibulk_remaining_ == 0) {
    // `*N\r\n`, with data[position_] == '*'.
    size_t cr = 0;
    switch (FindHeaderEnd(data, &cr)) {
      case LineEnd::kTooLong:
        return Fail("too big mbulk count string");
      case LineEnd::kNeedMore:
        return ParseStatus::kNeedMore;
      case LineEnd::kFound:
        break;
    }
    int64_t count = 0;
    if (!ParseInt64(data.substr(position_ + 1, cr - position_ - 1), &count) ||
        count > limits_.max_multibulk_len) {
      return Fail("invalid multibulk length");
    }
    if (limits_.unauthenticated && count > ParserLimits::kUnauthenticatedMaxArgs) {
      return Fail("unauthenticated multibulk length");
    }
    position_ = cr + 2;
    scanned_ = 0;
    if (count <= 0) {
      consumed_ = position_;
      return ParseStatus::kCommand;  // no command; args_ stays empty
    }
    multibulk_remaining_ = count;
    bulk_len_ = -1;
    arg_offsets_.clear();
    arg_offsets_.reserve(static_cast<size_t>(std::min(count, kMaxArgsReservedUpFront)));
  }

  while (multibulk_remaining_ > 0) {
    if (bulk_len_ < 0) {
      // `$len\r\n`
      size_t cr = 0;
      switch (FindHeaderEnd(data, &cr)) {
        case LineEnd::kTooLong:
          return Fail("too big bulk count string");
        case LineEnd::kNeedMore:
          return ParseStatus::kNeedMore;
        case LineEnd::kFound:
          break;
      }
      if (data[position_] != '$') {
        std::string message = "expected '$', got '";
        message.push_back(data[position_]);
        message.push_back('\'');
        return Fail(message);
      }
      int64_t length = 0;
      if (!ParseInt64(data.substr(position_ + 1, cr - position_ - 1), &length) || length < 0 ||
          length > limits_.max_bulk_len) {
        return Fail("invalid bulk length");
      }
      if (limits_.unauthenticated && length > ParserLimits::kUnauthenticatedMaxBulkLen) {
        return Fail("unauthenticated bulk length");
      }
      position_ = cr + 2;
      scanned_ = 0;
      bulk_len_ = length;
    }
    // The payload and the two bytes that end it. position_ <= data.size() holds here, and
    // bulk_len_ + 2 cannot overflow uint64_t.
    const uint64_t needed = static_cast<uint64_t>(bulk_len_) + 2;
    const uint64_t available = data.size() - position_;
    if (available < needed) {
      const uint64_t room = std::numeric_limits<size_t>::max() - position_;
      bytes_wanted_ = needed > room ? std::numeric_limits<size_t>::max()
                                    : position_ + static_cast<size_t>(needed);
      return ParseStatus::kNeedMore;
    }
    arg_offsets_.emplace_back(position_, static_cast<size_t>(bulk_len_));
    position_ += static_cast<size_t>(needed);
    bulk_len_ = -1;
    --multibulk_remaining_;
  }

  args_.reserve(arg_offsets_.size());
  for (const auto& [offset, length] : arg_offsets_) args_.push_back(data.substr(offset, length));
  consumed_ = position_;
  return ParseStatus::kCommand;
}

ParseStatus RespParser::ParseInline(std::string_view data) {
  const size_t line_start = position_;
  const size_t from = line_start + scanned_;
  const void* found =
      from < data.size() ? std::memchr(data.data() + from, '\n', data.size() - from) : nullptr;
  if (found == nullptr) {
    const size_t pending = data.size() - line_start;
    if (pending > limits_.max_inline_len) return Fail("too big inline request");
    scanned_ = pending;
    return ParseStatus::kNeedMore;
  }
  const size_t newline = static_cast<size_t>(static_cast<const char*>(found) - data.data());
  size_t length = newline - line_start;
  if (length > 0 && data[newline - 1] == '\r') --length;
  if (!SplitInline(data.substr(line_start, length))) {
    return Fail("unbalanced quotes in request");
  }
  position_ = newline + 1;
  scanned_ = 0;
  consumed_ = position_;
  return ParseStatus::kCommand;
}

bool RespParser::SplitInline(std::string_view line) {
  // The line is a C string to sdssplitargs: nothing after a NUL byte counts.
  line = line.substr(0, line.find('\0'));
  const size_t n = line.size();
  // Within the line, a position at or past the end reads as NUL, as in a C string.
  auto at = [&line, n](size_t i) { return i < n ? line[i] : '\0'; };

  size_t i = 0;
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n) return true;

    // One word. It stays a view into the line until a quote forces a rebuilt copy.
    const size_t word_start = i;
    size_t word_end = i;
    std::string* rebuilt = nullptr;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      const char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && IsHexDigit(at(i + 2)) && IsHexDigit(at(i + 3))) {
          rebuilt->push_back(
              static_cast<char>(HexDigitValue(at(i + 2)) * 16 + HexDigitValue(at(i + 3))));
          i += 3;
        } else if (c == '\\' && i + 1 < n) {
          ++i;
          rebuilt->push_back(Unescape(line[i]));
        } else if (c == '"') {
          // A closing quote must be followed by a blank or the end of the line.
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;  // unterminated quotes
        } else {
          rebuilt->push_back(c);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          rebuilt->push_back('\'');
        } else if (c == '\'') {
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;
          done = true;
        } else if (i >= n) {
          return false;
        } else {
          rebuilt->push_back(c);
        }
      } else if (i >= n || c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        word_end = i;
        done = true;
      } else if (c == '"' || c == '\'') {
        if (rebuilt == nullptr) {
          rebuilt = &inline_storage_.emplace_back(line.substr(word_start, i - word_start));
        }
        in_double = c == '"';
        in_single = c == '\'';
      } else if (rebuilt != nullptr) {
        rebuilt->push_back(c);
      }
      if (i < n) ++i;
    }
    if (rebuilt != nullptr) {
      args_.emplace_back(*rebuilt);
    } else {
      args_.push_back(line.substr(word_start, word_end - word_start));
    }
  }
}

}  // namespace shale::protocol
