#include "tests/integration/raw_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "tests/integration/redis_client.h"

namespace shale::integration {
namespace {

enum class ParseResult { kOk, kIncomplete, kMalformed };

// Reads a line ending in CRLF starting at *pos; on success *pos is past the CRLF.
ParseResult ParseLine(std::string_view buffer, size_t* pos, std::string_view* line) {
  const size_t end = buffer.find("\r\n", *pos);
  if (end == std::string_view::npos) return ParseResult::kIncomplete;
  *line = buffer.substr(*pos, end - *pos);
  *pos = end + 2;
  return ParseResult::kOk;
}

bool ParseInteger(std::string_view text, int64_t* value) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, *value);
  return ec == std::errc() && ptr == end;
}

ParseResult ParseValue(std::string_view buffer, size_t* pos, RespValue* value) {
  if (*pos >= buffer.size()) return ParseResult::kIncomplete;
  value->type = buffer[*pos];
  ++*pos;
  std::string_view line;
  ParseResult result = ParseLine(buffer, pos, &line);
  if (result != ParseResult::kOk) return result;
  switch (value->type) {
    case '+':
    case '-':
    case ',':
    case '(':
      value->str = std::string(line);
      return ParseResult::kOk;
    case ':':
      return ParseInteger(line, &value->integer) ? ParseResult::kOk : ParseResult::kMalformed;
    case '_':
      value->is_null = true;
      return line.empty() ? ParseResult::kOk : ParseResult::kMalformed;
    case '#':
      if (line != "t" && line != "f") return ParseResult::kMalformed;
      value->integer = line == "t" ? 1 : 0;
      return ParseResult::kOk;
    case '$':
    case '=':
    case '!': {
      int64_t length = 0;
      if (!ParseInteger(line, &length) || length < -1) return ParseResult::kMalformed;
      if (length == -1) {
        value->is_null = true;
        return ParseResult::kOk;
      }
      const size_t size = static_cast<size_t>(length);
      if (buffer.size() - *pos < size + 2) return ParseResult::kIncomplete;
      if (buffer.substr(*pos + size, 2) != "\r\n") return ParseResult::kMalformed;
      value->str = std::string(buffer.substr(*pos, size));
      *pos += size + 2;
      return ParseResult::kOk;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
      int64_t count = 0;
      if (!ParseInteger(line, &count) || count < -1) return ParseResult::kMalformed;
      if (count == -1) {
        value->is_null = true;
        return ParseResult::kOk;
      }
      if (value->type == '%' || value->type == '|') count *= 2;
      for (int64_t i = 0; i < count; ++i) {
        RespValue element;
        result = ParseValue(buffer, pos, &element);
        if (result != ParseResult::kOk) return result;
        value->elements.push_back(std::move(element));
      }
      return ParseResult::kOk;
    }
    default:
      return ParseResult::kMalformed;
  }
}

}  // namespace

std::string RespValue::ToString() const {
  switch (type) {
    case '+':
      return "+" + str;
    case '-':
      return "-" + str;
    case ':':
      return ":" + std::to_string(integer);
    case ',':
      return "," + str;
    case '(':
      return "(" + str;
    case '_':
      return "_";
    case '#':
      return integer != 0 ? "#t" : "#f";
    case '$':
      if (is_null) return "(nil)";
      return "\"" + EscapeBytes(str) + "\"";
    case '=':
      return "=\"" + EscapeBytes(str) + "\"";
    case '!':
      return "!\"" + EscapeBytes(str) + "\"";
    case '*':
    case '~':
    case '>': {
      if (is_null) return "(nil array)";
      std::string out = type == '*' ? "[" : std::string(1, type) + "[";
      for (size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements[i].ToString();
      }
      return out + "]";
    }
    case '%':
    case '|': {
      std::string out = std::string(1, type) + "{";
      for (size_t i = 0; i + 1 < elements.size(); i += 2) {
        if (i > 0) out += ", ";
        out += elements[i].ToString() + ": " + elements[i + 1].ToString();
      }
      return out + "}";
    }
    default:
      return std::string("(type ") + type + ")";
  }
}

const RespValue* RespValue::Find(std::string_view key) const {
  if (type != '%' && type != '*') return nullptr;
  for (size_t i = 0; i + 1 < elements.size(); i += 2) {
    if (elements[i].str == key) return &elements[i + 1];
  }
  return nullptr;
}

RawConnection::~RawConnection() { Close(); }

bool RawConnection::Connect(int port, std::string* error, int receive_buffer,
                            const std::string& source) {
  Close();
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  if (receive_buffer > 0 &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer)) != 0) {
    *error = std::string("setsockopt(SO_RCVBUF): ") + std::strerror(errno);
    Close();
    return false;
  }
  if (!source.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &local.sin_addr) != 1 ||
        bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      *error = "bind to " + source + ": " + std::strerror(errno);
      Close();
      return false;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    *error = std::string("connect: ") + std::strerror(errno);
    Close();
    return false;
  }
  buffer_.clear();
  return true;
}

bool RawConnection::ConnectTls(int port, const TlsClientOptions& options, std::string* error) {
  if (!Connect(port, error, 0, options.source_address)) return false;
  auto fail = [&](const std::string& what) {
    char text[256] = "no OpenSSL error";
    if (unsigned long code = ERR_get_error(); code != 0) {
      ERR_error_string_n(code, text, sizeof(text));
    }
    ERR_clear_error();
    *error = what + ": " + text;
    Close();
    return false;
  };
  // A handshake that gets no answer fails the test instead of hanging it.
  timeval timeout{10, 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  tls_ctx_ = SSL_CTX_new(TLS_client_method());
  if (tls_ctx_ == nullptr) return fail("SSL_CTX_new");
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(tls_ctx_, options.ca_file.c_str(), nullptr) != 1) {
      return fail("loading " + options.ca_file);
    }
    SSL_CTX_set_verify(tls_ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_file.empty() &&
      (SSL_CTX_use_certificate_chain_file(tls_ctx_, options.cert_file.c_str()) != 1 ||
       SSL_CTX_use_PrivateKey_file(tls_ctx_, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
    return fail("loading " + options.cert_file);
  }
  ssl_ = SSL_new(tls_ctx_);
  if (ssl_ == nullptr) return fail("SSL_new");
  SSL_set_fd(ssl_, fd_);
  if (SSL_connect(ssl_) != 1) return fail("TLS handshake");
  // From here on reads wait in poll() with the caller's deadline, as plain reads do.
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  return true;
}

void RawConnection::Close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
  ssl_ = nullptr;
  tls_ctx_ = nullptr;
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawConnection::Send(std::string_view bytes) {
  if (ssl_ != nullptr) {
    while (!bytes.empty()) {
      const int n = static_cast<int>(std::min<size_t>(bytes.size(), 1 << 30));
      const int written = SSL_write(ssl_, bytes.data(), n);
      if (written <= 0) {
        const int reason = SSL_get_error(ssl_, written);
        ERR_clear_error();
        if (reason != SSL_ERROR_WANT_WRITE && reason != SSL_ERROR_WANT_READ) return false;
        pollfd pfd{fd_, static_cast<short>(reason == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN), 0};
        poll(&pfd, 1, 1000);
        continue;
      }
      bytes.remove_prefix(static_cast<size_t>(written));
    }
    return true;
  }
  while (!bytes.empty()) {
    const ssize_t written = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return true;
}

RawConnection::FillResult RawConnection::Fill(std::chrono::steady_clock::time_point deadline) {
  while (true) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return FillResult::kTimeout;
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
    if (ssl_ != nullptr && SSL_pending(ssl_) > 0) return FillTls();
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(wait));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return FillResult::kClosed;
    }
    if (ready == 0) continue;
    if (ssl_ != nullptr) {
      const FillResult result = FillTls();
      if (result == FillResult::kTimeout) continue;  // only a handshake message came
      return result;
    }
    char chunk[65536];
    const ssize_t got = recv(fd_, chunk, sizeof(chunk), 0);
    if (got < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return FillResult::kClosed;  // ECONNRESET and friends
    }
    if (got == 0) return FillResult::kClosed;
    buffer_.append(chunk, static_cast<size_t>(got));
    return FillResult::kData;
  }
}

RawConnection::FillResult RawConnection::FillTls() {
  char chunk[65536];
  const int got = SSL_read(ssl_, chunk, sizeof(chunk));
  if (got > 0) {
    buffer_.append(chunk, static_cast<size_t>(got));
    return FillResult::kData;
  }
  const int reason = SSL_get_error(ssl_, got);
  ERR_clear_error();
  // A session ticket or key update carries no data: the caller polls again.
  if (reason == SSL_ERROR_WANT_READ) return FillResult::kTimeout;
  return FillResult::kClosed;  // close_notify, an alert, EOF or a reset
}

std::string RawConnection::Read(size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.size() < count) {
    if (Fill(deadline) != FillResult::kData) break;
  }
  const size_t take = std::min(count, buffer_.size());
  std::string out = buffer_.substr(0, take);
  buffer_.erase(0, take);
  return out;
}

bool RawConnection::ReadReply(RespValue* value, std::string* error,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    size_t pos = 0;
    RespValue parsed;
    const ParseResult result = ParseValue(buffer_, &pos, &parsed);
    if (result == ParseResult::kOk) {
      buffer_.erase(0, pos);
      *value = std::move(parsed);
      return true;
    }
    if (result == ParseResult::kMalformed) {
      *error = "malformed reply: \"" + EscapeBytes(buffer_.substr(0, 200)) + "\"";
      return false;
    }
    switch (Fill(deadline)) {
      case FillResult::kData:
        break;
      case FillResult::kClosed:
        *error =
            "connection closed; unparsed input: \"" + EscapeBytes(buffer_.substr(0, 200)) + "\"";
        return false;
      case FillResult::kTimeout:
        *error = "timed out; unparsed input: \"" + EscapeBytes(buffer_.substr(0, 200)) + "\"";
        return false;
    }
  }
}

bool RawConnection::WaitClosed(std::chrono::milliseconds timeout, uint64_t* discarded) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  uint64_t dropped = 0;
  bool closed = false;
  while (true) {
    dropped += buffer_.size();
    buffer_.clear();
    const FillResult result = Fill(deadline);
    if (result == FillResult::kData) continue;
    closed = result == FillResult::kClosed;
    break;
  }
  dropped += buffer_.size();
  buffer_.clear();
  if (discarded != nullptr) *discarded = dropped;
  return closed;
}

std::string RawConnection::ReadReplyText() {
  RespValue value;
  std::string error;
  if (!ReadReply(&value, &error)) return "(read failed: " + error + ")";
  return value.ToString();
}

}  // namespace shale::integration
