#include "server/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

namespace shale::server {

namespace {

// The queued OpenSSL errors as one line, oldest first, and the queue emptied.
std::string DrainErrors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? "unknown error" : text;
}

// Redis's tls-protocols: a space-separated subset of TLSv1 TLSv1.1 TLSv1.2 TLSv1.3; empty means
// TLSv1.2 and TLSv1.3. Returns the SSL_OP_NO_* options that disable the others, or false.
bool ProtocolOptions(const std::string& protocols, uint64_t* options) {
  constexpr uint64_t kAll =
      SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 | SSL_OP_NO_TLSv1_2 | SSL_OP_NO_TLSv1_3;
  if (protocols.empty()) {
    *options = SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    return true;
  }
  uint64_t enabled = 0;
  size_t start = 0;
  while (start <= protocols.size()) {
    size_t end = protocols.find(' ', start);
    if (end == std::string::npos) end = protocols.size();
    std::string_view word(protocols.data() + start, end - start);
    if (!word.empty()) {
      auto is = [&](std::string_view name) {
        return word.size() == name.size() &&
               std::equal(word.begin(), word.end(), name.begin(), [](char a, char b) {
                 return std::tolower(static_cast<unsigned char>(a)) ==
                        std::tolower(static_cast<unsigned char>(b));
               });
      };
      if (is("tlsv1")) {
        enabled |= SSL_OP_NO_TLSv1;
      } else if (is("tlsv1.1")) {
        enabled |= SSL_OP_NO_TLSv1_1;
      } else if (is("tlsv1.2")) {
        enabled |= SSL_OP_NO_TLSv1_2;
      } else if (is("tlsv1.3")) {
        enabled |= SSL_OP_NO_TLSv1_3;
      } else {
        return false;
      }
    }
    start = end + 1;
  }
  if (enabled == 0) return false;
  *options = kAll & ~enabled;
  return true;
}

// tls-key-file-pass for an encrypted private key (OpenSSL's pem_password_cb).
int KeyPassword(char* buffer, int size, int /*rwflag*/, void* user) {
  const auto* pass = static_cast<const std::string*>(user);
  if (pass == nullptr || pass->empty()) return 0;
  const int n = std::min(size, static_cast<int>(pass->size()));
  std::memcpy(buffer, pass->data(), static_cast<size_t>(n));
  return n;
}

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace

// The BIO under every session: reads hand out the session's current view of socket input;
// writes append to its output string. Never blocks: no input means "retry" (SSL_ERROR_WANT_READ).
struct TlsTransport {
  static BIO_METHOD* Method() {
    static BIO_METHOD* method = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "shale-transport");
      BIO_meth_set_write(m, Write);
      BIO_meth_set_read(m, Read);
      BIO_meth_set_ctrl(m, Ctrl);
      BIO_meth_set_create(m, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
      });
      return m;
    }();
    return method;
  }

  static int Write(BIO* bio, const char* data, int n) {
    auto* session = static_cast<TlsSession*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    session->out_.append(data, static_cast<size_t>(n));
    return n;
  }

  static int Read(BIO* bio, char* data, int n) {
    auto* session = static_cast<TlsSession*>(BIO_get_data(bio));
    BIO_clear_retry_flags(bio);
    if (session->in_size_ == 0) {
      BIO_set_retry_read(bio);
      return -1;
    }
    const size_t count = std::min(session->in_size_, static_cast<size_t>(n));
    std::memcpy(data, session->in_, count);
    session->in_ += count;
    session->in_size_ -= count;
    return static_cast<int>(count);
  }

  static long Ctrl(BIO* /*bio*/, int cmd, long /*num*/, void* /*ptr*/) {
    // The only request OpenSSL needs answered for a socket-like BIO is flush; the rest are
    // "not supported", as BIO_s_null answers them.
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
  }
};

std::unique_ptr<TlsContext> TlsContext::Create(const Config& config, std::string* error) {
  if (config.tls_cert_file.empty()) {
    *error = "No tls-cert-file configured!";
    return nullptr;
  }
  if (config.tls_key_file.empty()) {
    *error = "No tls-key-file configured!";
    return nullptr;
  }
  if (config.tls_auth_clients != TlsAuthClients::kNo && config.tls_ca_cert_file.empty() &&
      config.tls_ca_cert_dir.empty()) {
    *error =
        "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-auth-clients is "
        "enabled!";
    return nullptr;
  }
  uint64_t protocol_options = 0;
  if (!ProtocolOptions(config.tls_protocols, &protocol_options)) {
    *error =
        "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and "
        "'TLSv1.3'.";
    return nullptr;
  }
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    *error = "Failed to create TLS context: " + DrainErrors();
    return nullptr;
  }
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_SSLv2 | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
                                     SSL_OP_SINGLE_DH_USE | SSL_OP_NO_RENEGOTIATION |
                                     protocol_options);
  if (config.tls_prefer_server_ciphers) {
    SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  }
  // Session resumption needs an id context once client certificates are verified.
  static constexpr unsigned char kSessionContext[] = "shale";
  SSL_CTX_set_session_id_context(ctx.get(), kSessionContext, sizeof(kSessionContext) - 1);
  if (config.tls_session_caching) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_SERVER);
    SSL_CTX_sess_set_cache_size(ctx.get(), config.tls_session_cache_size);
    SSL_CTX_set_timeout(ctx.get(), static_cast<long>(config.tls_session_cache_timeout));
  } else {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET);
  }

  // The password is read while the key file is loaded, below; the callback's user data only has
  // to live until then.
  std::string password = config.tls_key_file_pass;
  SSL_CTX_set_default_passwd_cb(ctx.get(), KeyPassword);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), &password);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), config.tls_cert_file.c_str()) <= 0) {
    *error = "Failed to load certificate: " + config.tls_cert_file + ": " + DrainErrors();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), config.tls_key_file.c_str(), SSL_FILETYPE_PEM) <= 0) {
    *error = "Failed to load private key: " + config.tls_key_file + ": " + DrainErrors();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    *error = "Failed to load private key: " + config.tls_key_file + ": " + DrainErrors();
    return nullptr;
  }
  SSL_CTX_set_default_passwd_cb(ctx.get(), nullptr);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), nullptr);

  if (!config.tls_ca_cert_file.empty() || !config.tls_ca_cert_dir.empty()) {
    const char* file = config.tls_ca_cert_file.empty() ? nullptr : config.tls_ca_cert_file.c_str();
    const char* dir = config.tls_ca_cert_dir.empty() ? nullptr : config.tls_ca_cert_dir.c_str();
    if (SSL_CTX_load_verify_locations(ctx.get(), file, dir) <= 0) {
      *error = "Failed to configure CA certificate(s) file/directory: " + DrainErrors();
      return nullptr;
    }
  }

  if (!config.tls_dh_params_file.empty()) {
    BIO* bio = BIO_new_file(config.tls_dh_params_file.c_str(), "r");
    EVP_PKEY* dh = bio == nullptr ? nullptr : PEM_read_bio_Parameters(bio, nullptr);
    if (bio != nullptr) BIO_free(bio);
    if (dh == nullptr) {
      *error = "Failed to load " + config.tls_dh_params_file + ": " + DrainErrors();
      return nullptr;
    }
    if (SSL_CTX_set0_tmp_dh_pkey(ctx.get(), dh) <= 0) {  // takes `dh` on success
      EVP_PKEY_free(dh);
      *error = "Failed to load DH params file: " + config.tls_dh_params_file + ": " + DrainErrors();
      return nullptr;
    }
  } else {
    SSL_CTX_set_dh_auto(ctx.get(), 1);
  }

  if (!config.tls_ciphers.empty() &&
      SSL_CTX_set_cipher_list(ctx.get(), config.tls_ciphers.c_str()) == 0) {
    *error = "Failed to configure ciphers: " + config.tls_ciphers;
    ERR_clear_error();
    return nullptr;
  }
  if (!config.tls_ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx.get(), config.tls_ciphersuites.c_str()) == 0) {
    *error = "Failed to configure ciphersuites: " + config.tls_ciphersuites;
    ERR_clear_error();
    return nullptr;
  }
  return std::unique_ptr<TlsContext>(new TlsContext(ctx.release()));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

bool IsTlsContextSetting(std::string_view name) {
  static constexpr std::string_view kNames[] = {
      "tls-cert-file",       "tls-key-file",           "tls-key-file-pass",
      "tls-ca-cert-file",    "tls-ca-cert-dir",        "tls-protocols",
      "tls-ciphers",         "tls-ciphersuites",       "tls-prefer-server-ciphers",
      "tls-session-caching", "tls-session-cache-size", "tls-session-cache-timeout",
      "tls-dh-params-file"};
  return std::find(std::begin(kNames), std::end(kNames), name) != std::end(kNames);
}

TlsSession::TlsSession(const TlsContext& context, TlsAuthClients auth)
    : ssl_(SSL_new(context.get())) {
  if (ssl_ == nullptr) {
    failed_ = true;
    error_ = DrainErrors();
    return;
  }
  switch (auth) {
    case TlsAuthClients::kYes:
      SSL_set_verify(ssl_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
    case TlsAuthClients::kOptional:
      SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
      break;
    case TlsAuthClients::kNo:
      SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
      break;
  }
  BIO* bio = BIO_new(TlsTransport::Method());
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one BIO for both directions; SSL owns it
  SSL_set_accept_state(ssl_);
}

TlsSession::~TlsSession() {
  if (ssl_ != nullptr) SSL_free(ssl_);
}

TlsSession::Result TlsSession::Fail(std::string_view what) {
  failed_ = true;
  error_ = std::string(what);
  ERR_clear_error();
  return Result::kError;
}

TlsSession::Result TlsSession::Handshake() {
  if (failed_) return Result::kError;
  ERR_clear_error();
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) {
    handshake_done_ = true;
    return Result::kOk;
  }
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return Result::kOk;
    case SSL_ERROR_ZERO_RETURN:
      return Result::kClosed;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() == 0) return Fail("unexpected end of handshake");
      return Fail(DrainErrors());
    default:
      return Fail(DrainErrors());
  }
}

int TlsSession::ReadPlaintext(char* data, size_t capacity, Result* result) {
  if (failed_) {
    *result = Result::kError;
    return -1;
  }
  ERR_clear_error();
  const int rc = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(capacity, INT_MAX)));
  if (rc > 0) return rc;
  switch (SSL_get_error(ssl_, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      return 0;
    case SSL_ERROR_ZERO_RETURN:
      *result = Result::kClosed;
      return -1;
    default:
      *result = Fail(DrainErrors());
      return -1;
  }
}

bool TlsSession::Encrypt(std::string_view plaintext) {
  if (failed_) return false;
  // SSL_write takes an int length; a reply buffer can exceed it.
  constexpr size_t kMaxWrite = 1u << 30;
  while (!plaintext.empty()) {
    ERR_clear_error();
    const int n = static_cast<int>(std::min(plaintext.size(), kMaxWrite));
    const int rc = SSL_write(ssl_, plaintext.data(), n);
    if (rc <= 0) {
      Fail(DrainErrors());
      return false;
    }
    plaintext.remove_prefix(static_cast<size_t>(rc));
  }
  return true;
}

void TlsSession::Shutdown() {
  if (failed_ || !handshake_done_) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace shale::server
