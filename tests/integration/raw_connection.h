// A plain TCP connection for tests that need to see the exact bytes: inline commands,
// protocol errors, RESP3 replies (which hiredis 0.14 cannot parse), and the server closing
// the connection. Every read takes a deadline, so a server that never answers fails the test
// instead of hanging it. The connection may speak TLS (ConnectTls): the same reads and writes
// then go through OpenSSL.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace shale::integration {

// What a TLS test client presents and trusts (PEM files; empty = none).
struct TlsClientOptions {
  std::string ca_file;    // the server's certificate must chain to this CA
  std::string cert_file;  // the client's certificate and key, if it presents one
  std::string key_file;
  std::string source_address;  // an IPv4 address to connect from (empty: the kernel's choice)
};

// One RESP2/RESP3 value. `type` is the RESP type byte: + - : $ * and the RESP3 types
// _ (null) , (double) # (boolean) ( (big number) = (verbatim) ! (blob error)
// % (map) ~ (set) | (attribute) > (push). A RESP2 null bulk string is '$' with is_null,
// a RESP2 null array '*' with is_null.
struct RespValue {
  char type = 0;
  bool is_null = false;
  std::string str;      // simple/bulk strings, errors, doubles, big numbers, verbatim text
  int64_t integer = 0;  // ':' and '#' (1 for true, 0 for false)
  std::vector<RespValue> elements;  // arrays, sets, pushes; maps/attributes as k, v, k, v...

  // Compact text: +OK  -ERR x  :1  "bulk"  (nil)  _  ,1.5  #t  [a, b]  %{k: v}  ~[a]
  std::string ToString() const;
  // For a map ('%') or a RESP2 array of alternating names and values: the value for `key`
  // (compared with the string form of each name), or nullptr.
  const RespValue* Find(std::string_view key) const;
};

class RawConnection {
 public:
  RawConnection() = default;
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // Connects to 127.0.0.1:port. A positive `receive_buffer` sets SO_RCVBUF before connecting
  // (a small one makes the server's output pile up on its side quickly).
  // With a `source` address the socket is bound to it first (127.0.0.2: a loopback address
  // that protected mode does not count as local).
  bool Connect(int port, std::string* error, int receive_buffer = 0,
               const std::string& source = "");
  // Connects and completes the TLS handshake. In TLS 1.3 the server judges the client's
  // certificate after the client's side of the handshake is done: a refusal shows as the
  // connection closing on the first read.
  bool ConnectTls(int port, const TlsClientOptions& options, std::string* error);
  void Close();
  bool is_open() const { return fd_ >= 0; }

  // Writes all of `bytes`. False when the peer has closed or reset the connection.
  bool Send(std::string_view bytes);

  // Reads until `count` bytes have arrived (returned from the buffer first), the peer closes,
  // or the deadline passes. Returns what was read (possibly fewer than `count` bytes).
  std::string Read(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Reads one complete reply. False on timeout, close, or malformed input (*error says which).
  bool ReadReply(RespValue* value, std::string* error,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads one reply and returns its text form (RespValue::ToString), or "(read failed: why)".
  std::string ReadReplyText();

  // Reads and discards input until the peer closes or resets the connection; true if that
  // happened before the deadline. *discarded (optional) receives the number of bytes dropped.
  bool WaitClosed(std::chrono::milliseconds timeout = std::chrono::seconds(10),
                  uint64_t* discarded = nullptr);

 private:
  enum class FillResult { kData, kClosed, kTimeout };
  // Waits for and appends more input to buffer_.
  FillResult Fill(std::chrono::steady_clock::time_point deadline);
  // One SSL_read into buffer_ once the socket is readable; kTimeout when it yielded no data.
  FillResult FillTls();

  int fd_ = -1;
  SSL_CTX* tls_ctx_ = nullptr;  // owned, with ssl_, when the connection speaks TLS
  SSL* ssl_ = nullptr;
  std::string buffer_;  // received, not yet consumed
};

}  // namespace shale::integration
