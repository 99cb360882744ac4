// Incremental RESP2 request parser: multibulk commands (`*N\r\n$len\r\narg\r\n...`) and inline
// commands (what telnet/nc send: words separated by blanks, with Redis's quoting rules).
//
// Usage: the connection keeps one parser and an input buffer. After every read it calls
// Parse() with the unconsumed bytes, repeatedly, until it returns kNeedMore or kError.
// On kCommand, args() are views into the bytes passed to that Parse() call (inline arguments
// that needed unquoting are views into the parser's own storage); they stay valid until the
// next Parse()/Reset() call or until the caller changes those bytes. consumed() tells how many
// bytes the command used; the caller drops them from its buffer before the next Parse().
//
// Between calls that return kNeedMore the caller must pass the same bytes again (possibly
// moved to another address, possibly with more appended): the parser keeps its progress as
// offsets, so a large multibulk arriving in many reads is not re-scanned from the start.
// When kNeedMore comes with consumed() > 0 (empty lines or `*0` were skipped), the parser keeps
// no partial progress, so the caller may drop those bytes or pass them again; dropping them is
// what keeps parsing linear.
//
// Limits and error texts follow Redis (networking.c). After kError the connection replies
// `-<error()>` and closes, as Redis does; the parser keeps returning kError until Reset().
//
// Redis details kept on purpose, so clients see the same behaviour:
// - The first byte decides the form: '*' starts a multibulk, anything else an inline line.
// - A `*N` / `$N` header line ends at its first '\r'; the byte after it is skipped unchecked.
// - The two bytes after a bulk's payload are skipped unchecked (normally "\r\n").
// - Counts and lengths are parsed as Redis's string2ll: optional '-', no '+', no leading zeros,
//   no blanks. `*N` with N <= 0 is consumed and produces no command. N may go up to INT_MAX
//   (Redis 7); argument slots are reserved as elements arrive, not as N announces.
// - A client that must still authenticate may send at most 10 elements of at most 16 KB
//   (`unauthenticated multibulk length` / `unauthenticated bulk length`), as Redis 7.
// - An inline line ends at '\n' (a '\r' before it is dropped) and is split like
//   sdssplitargs: blanks separate words; "double quotes" know \n \r \t \b \a \xHH and escape
//   any other character with '\'; 'single quotes' know only \'; a closing quote must be
//   followed by a blank or the end of the line; quoted and unquoted parts of one word join;
//   a NUL byte ends the line's content. A line holding no word produces no command.
// - As in Redis, an inline request or a `*N` / `$N` header is refused only while its end has
//   not arrived and more than max_inline_len bytes of it are waiting: a line of any length
//   whose newline is already in the buffer is accepted. (The verdict on a line just above the
//   limit therefore depends on how its bytes were split into reads, exactly as in Redis.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace shale::protocol {

struct ParserLimits {
  // proto-max-bulk-len: largest bulk argument accepted.
  int64_t max_bulk_len = 512LL * 1024 * 1024;
  // Largest multibulk element count accepted.
  int64_t max_multibulk_len = 2147483647;  // INT_MAX, as Redis 7
  // Largest inline request line, and largest `*N` / `$N` header line (PROTO_INLINE_MAX_SIZE).
  size_t max_inline_len = 64 * 1024;
  // The client must still authenticate: as Redis, a multibulk may then announce at most
  // kUnauthenticatedMaxArgs elements of at most kUnauthenticatedMaxBulkLen bytes each, so a
  // client without the password cannot make the server hold large requests.
  bool unauthenticated = false;
  static constexpr int64_t kUnauthenticatedMaxArgs = 10;
  static constexpr int64_t kUnauthenticatedMaxBulkLen = 16 * 1024;
};

enum class ParseStatus {
  kCommand,   // a complete command is in args(); consumed() bytes were used
  kNeedMore,  // no complete command yet; consumed() bytes may be dropped (e.g. empty lines)
  kError,     // protocol error; error() holds the text without the leading '-'
};

class RespParser {
 public:
  explicit RespParser(ParserLimits limits = {});

  ParseStatus Parse(std::string_view data);

  const std::vector<std::string_view>& args() const { return args_; }
  size_t consumed() const { return consumed_; }
  // E.g. "ERR Protocol error: invalid bulk length".
  const std::string& error() const { return error_; }
  // While a bulk argument is being received: the total buffer size (from the start of the
  // data passed to Parse, consumed() bytes included) that would hold it and its trailing CRLF
  // completely, so the caller can reserve once. 0 when no such hint applies.
  size_t bytes_wanted() const { return bytes_wanted_; }

  void set_limits(const ParserLimits& limits) { limits_ = limits; }
  // Forget any partial progress (e.g. after the caller discarded its buffer).
  void Reset();

 private:
  enum class LineEnd { kFound, kNeedMore, kTooLong };

  // Each returns kCommand when a request was consumed (args_ is empty for a request that
  // holds no command), kNeedMore or kError.
  ParseStatus ParseInline(std::string_view data);
  ParseStatus ParseMultibulk(std::string_view data);
  // Looks for the '\r' ending the header line that starts at position_; on kFound the byte
  // after it is present too and *cr is its offset.
  LineEnd FindHeaderEnd(std::string_view data, size_t* cr);
  // Splits one inline line into args_; false on unbalanced quotes.
  bool SplitInline(std::string_view line);
  ParseStatus Fail(std::string_view message);
  // Drops the progress on a partially received request.
  void ClearProgress();

  ParserLimits limits_;
  std::vector<std::string_view> args_;
  // Inline words rebuilt from quotes; a deque, so growing it never moves the strings args_
  // points to.
  std::deque<std::string> inline_storage_;
  // Progress on a partially received request, as offsets relative to the start of `data`.
  // Kept between calls only while the request starts at offset 0 (nothing consumed).
  int64_t multibulk_remaining_ = 0;  // elements still to read; 0 = not inside a multibulk
  int64_t bulk_len_ = -1;            // length of the element being read; -1 = header not read
  size_t position_ = 0;              // offset of the first byte not yet parsed
  size_t scanned_ = 0;  // bytes after position_ known not to hold the line end looked for
  std::vector<std::pair<size_t, size_t>> arg_offsets_;  // (offset, length) of parsed elements
  size_t consumed_ = 0;
  size_t bytes_wanted_ = 0;
  std::string error_;  // non-empty once a protocol error was found
};

}  // namespace shale::protocol
