// RESP2/RESP3 reply encoder. Appends to a caller-owned std::string (the connection's output
// buffer). The protocol version decides how RESP3-only types degrade under RESP2, as Redis
// does: map -> flat array of 2n, set -> array, double -> bulk string, boolean -> integer 1/0,
// null -> `$-1` (bulk) or `*-1` (array), verbatim -> bulk string, push -> array.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace shale::protocol {

// The text Redis prints for a double (its d2string): "nan", "inf", "-inf", "0" and "-0",
// integral values within +-2^62 as integers, anything else as the shortest text that reads
// back as the same double.
void AppendDouble(std::string* out, double value);

class ReplyWriter {
 public:
  explicit ReplyWriter(std::string* out, int protocol_version = 2)
      : out_(out), protocol_(protocol_version) {}

  int protocol() const { return protocol_; }
  void set_protocol(int version) { protocol_ = version; }
  std::string* buffer() { return out_; }
  // Writes go to `out` from now on (a connection discarding replies under CLIENT REPLY OFF).
  void set_buffer(std::string* out) { out_ = out; }
  // Called with the message of every error reply written (the server counts them: INFO
  // total_error_replies and errorstats).
  using ErrorHook = void (*)(void* context, std::string_view message);
  void set_error_hook(ErrorHook hook, void* context) {
    error_hook_ = hook;
    error_context_ = context;
  }

  void SimpleString(std::string_view s);  // +OK
  // `message` is the whole text after '-', e.g. "ERR unknown command" or "WRONGTYPE ...".
  // CR and LF inside it are replaced by spaces so the reply stays one line.
  void Error(std::string_view message);
  // An error reply the error hook does not see (one already counted where it arose: a
  // script's failed redis.call that the script returns).
  void ErrorUncounted(std::string_view message);
  void Integer(int64_t value);    // :1
  void Bulk(std::string_view s);  // $3\r\nfoo\r\n
  void NullBulk();                // RESP2 $-1, RESP3 _
  void NullArray();               // RESP2 *-1, RESP3 _
  void ArrayHeader(size_t n);     // *n
  void MapHeader(size_t n);       // RESP3 %n, RESP2 *2n
  void SetHeader(size_t n);       // RESP3 ~n, RESP2 *n
  void PushHeader(size_t n);      // RESP3 >n, RESP2 *n
  // RESP3 ,1.5 (inf/-inf/nan), RESP2 bulk. Text as Redis prints it: integral values as
  // integers (",3"), others as the shortest text that reads back as the same double.
  void Double(double value);
  // A double already written as text (Redis's "human" long double form, GEOPOS's coordinates):
  // RESP3 ,text, RESP2 bulk.
  void DoubleText(std::string_view text);
  void Boolean(bool value);  // RESP3 #t/#f, RESP2 :1/:0
  // RESP3 (12345678901234567890, RESP2 bulk of the digits.
  void BigNumber(std::string_view digits);
  // RESP3 =len\r\ntxt:..., RESP2 bulk of `s`. `format` is three bytes ("txt", "mkd"); a longer
  // one is cut, a shorter one padded with blanks. len counts the 4-byte "fmt:" prefix.
  void Verbatim(std::string_view format, std::string_view s);
  void BulkArray(const std::string_view* items, size_t n);  // array of bulks

 private:
  void Header(char type, int64_t n);
  std::string* out_;
  int protocol_;
  ErrorHook error_hook_ = nullptr;
  void* error_context_ = nullptr;
};

}  // namespace shale::protocol
