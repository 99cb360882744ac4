// TLS for client connections (Redis 7's tls-* settings), over OpenSSL.
//
// TlsContext is the server side of the configuration: certificate chain, private key, CA for
// client certificates, protocols, ciphers, session cache. It is built from Config at start-up
// (a failure refuses the start) and again by CONFIG SET of a tls-* setting (a failure leaves
// the running context and the settings as they were). Connections keep the context they were
// accepted with: OpenSSL reference-counts it, so replacing it never disturbs them.
//
// TlsSession is one connection's TLS state machine. libuv stays the I/O driver: the session
// never touches the socket. Its SSL object reads ciphertext from and writes ciphertext to a
// memory transport (a BIO of its own type, so neither direction copies through an OpenSSL
// buffer):
//   socket -> Connection's read chunk -> Decrypt() -> SSL_read -> plaintext into the caller's
//   buffer (the connection's input buffer);
//   replies -> Encrypt() -> SSL_write -> ciphertext() -> uv_try_write / uv_write.
// The handshake, TLS 1.3 key updates and session tickets are driven from Decrypt(); whatever
// they produce for the peer is appended to ciphertext() too, in order. Client-initiated
// renegotiation is refused (a CPU-exhaustion vector, and Redis refuses it as well).
//
// Not thread-safe: one session is driven from the event loop only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "server/config.h"

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace shale::server {

class TlsContext {
 public:
  // Builds a context from the tls-* settings of `config`. On failure returns nullptr and
  // *error holds Redis's message for it (e.g. "Failed to load certificate: /x.crt: error:...").
  static std::unique_ptr<TlsContext> Create(const Config& config, std::string* error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;  // owned (one reference; sessions hold their own)
};

// True for the settings whose change rebuilds the TLS context (Redis's applyTlsCfg set).
bool IsTlsContextSetting(std::string_view name);

class TlsSession {
 public:
  // A server-side session on `context`, verifying client certificates as `auth` says.
  TlsSession(const TlsContext& context, TlsAuthClients auth);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  enum class Result {
    kOk,      // progressing; more input may be needed
    kClosed,  // the peer sent close_notify: no more input will come
    kError,   // a fatal TLS error (error() says which): the connection must be closed
  };
  // Takes `n` bytes of ciphertext from the socket and runs the handshake and SSL_read on them.
  // Plaintext is written through `room`, which returns a span {data, capacity} to fill (a
  // non-zero capacity); `commit` is told how many bytes were written. Both are called zero or more
  // times. All of the ciphertext is consumed.
  template <typename Room, typename Commit>
  Result Decrypt(const char* data, size_t n, Room room, Commit commit);

  // Encrypts `plaintext` (the whole of it) onto ciphertext(). Only once handshake_done().
  // False on a fatal error (the connection must be closed).
  bool Encrypt(std::string_view plaintext);
  // Queues close_notify onto ciphertext(), unless the session has failed or never finished
  // its handshake.
  void Shutdown();

  // Where the connection reads socket input (ciphertext) before Decrypt().
  static constexpr size_t kReadChunk = 16 * 1024;
  char* read_chunk() { return read_chunk_.get(); }

  // Ciphertext to send to the peer, in order. The caller sends it and erases or moves out what
  // it has sent.
  std::string& ciphertext() { return out_; }
  bool handshake_done() const { return handshake_done_; }
  // The reason of the last kError / false result.
  const std::string& error() const { return error_; }

 private:
  // Runs SSL_do_handshake until it completes or wants more input.
  Result Handshake();
  // One SSL_read into the span; returns bytes read (>0), 0 when more input is needed, or -1 with
  // *result set.
  int ReadPlaintext(char* data, size_t capacity, Result* result);
  Result Fail(std::string_view what);

  SSL* ssl_ = nullptr;
  // The ciphertext Decrypt() hands to the transport BIO (a view of the caller's chunk).
  const char* in_ = nullptr;
  size_t in_size_ = 0;
  std::string out_;
  std::unique_ptr<char[]> read_chunk_{new char[kReadChunk]};
  bool handshake_done_ = false;
  bool failed_ = false;
  std::string error_;

  friend struct TlsTransport;
};

template <typename Room, typename Commit>
TlsSession::Result TlsSession::Decrypt(const char* data, size_t n, Room room, Commit commit) {
  in_ = data;
  in_size_ = n;
  Result result = Result::kOk;
  if (!handshake_done_) {
    result = Handshake();
    if (result != Result::kOk || !handshake_done_) {
      in_size_ = 0;
      return result;
    }
  }
  // Until OpenSSL wants more input: a record is decrypted whole, so nothing stays buffered in
  // the session once this returns.
  while (true) {
    auto [base, capacity] = room();
    int read = ReadPlaintext(base, capacity, &result);
    if (read <= 0) break;
    commit(static_cast<size_t>(read));
  }
  in_size_ = 0;
  return result;
}

}  // namespace shale::server
