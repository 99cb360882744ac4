// server/tls.h: TlsContext from the tls-* settings and TlsSession driven by an in-process OpenSSL
// client over memory BIOs, with no socket: the handshake, data both ways in records of every
// size, a TLS 1.3 key update in mid-stream, close_notify, refused renegotiation, client
// certificates, and input that is not TLS.
#include "server/tls.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>
#include <utility>

#include "tests/unit/test_util.h"

namespace shale::server {
namespace {

// A self-signed P-256 certificate and its key, as PEM text.
struct Identity {
  std::string certificate;
  std::string key;
};

std::string ReadAll(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<size_t>(size));
  BIO_free(bio);
  return text;
}

Identity SelfSigned(const char* common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  Identity identity;
  BIO* out = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(out, cert);
  identity.certificate = ReadAll(out);
  out = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  identity.key = ReadAll(out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return identity;
}

// An OpenSSL client over two memory BIOs: what it writes is taken with TakeOutput(), what the
// server sends is given with GiveInput().
class Client {
 public:
  explicit Client(const Identity* own = nullptr, int max_version = 0) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (max_version != 0) SSL_CTX_set_max_proto_version(ctx_, max_version);
    if (own != nullptr) {
      BIO* cert =
          BIO_new_mem_buf(own->certificate.data(), static_cast<int>(own->certificate.size()));
      X509* x509 = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
      BIO_free(cert);
      BIO* key = BIO_new_mem_buf(own->key.data(), static_cast<int>(own->key.size()));
      EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
      BIO_free(key);
      SSL_CTX_use_certificate(ctx_, x509);
      SSL_CTX_use_PrivateKey(ctx_, pkey);
      X509_free(x509);
      EVP_PKEY_free(pkey);
    }
    ssl_ = SSL_new(ctx_);
    in_ = BIO_new(BIO_s_mem());
    out_ = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl_, in_, out_);
    SSL_set_connect_state(ssl_);
  }
  ~Client() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  SSL* ssl() { return ssl_; }
  std::string TakeOutput() {
    std::string bytes;
    char chunk[16384];
    int n;
    while ((n = BIO_read(out_, chunk, sizeof(chunk))) > 0) bytes.append(chunk, n);
    return bytes;
  }
  void GiveInput(const std::string& bytes) {
    BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
  }
  // Reads whatever plaintext has arrived.
  std::string Read() {
    std::string text;
    char chunk[16384];
    int n;
    while ((n = SSL_read(ssl_, chunk, sizeof(chunk))) > 0) text.append(chunk, n);
    return text;
  }
  void Write(const std::string& text) {
    ASSERT_EQ(SSL_write(ssl_, text.data(), static_cast<int>(text.size())),
              static_cast<int>(text.size()));
  }

 private:
  SSL_CTX* ctx_;
  SSL* ssl_;
  BIO* in_;
  BIO* out_;
};

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_identity_ = SelfSigned("server");
    client_identity_ = SelfSigned("client");
    config_.tls_port = 6380;
    config_.tls_cert_file = dir_.Write("server.crt", server_identity_.certificate);
    config_.tls_key_file = dir_.Write("server.key", server_identity_.key);
    // The client's self-signed certificate is its own CA.
    config_.tls_ca_cert_file = dir_.Write("ca.crt", client_identity_.certificate);
  }

  std::unique_ptr<TlsContext> MakeContext() {
    std::string error;
    std::unique_ptr<TlsContext> context = TlsContext::Create(config_, &error);
    EXPECT_NE(context, nullptr) << error;
    return context;
  }

  // Hands the client's pending output to the session, appending the plaintext to `received`
  // through spans of at most `span` bytes, and the session's output back to the client.
  static TlsSession::Result Pump(TlsSession& session, Client& client, std::string* received,
                                 size_t span = 64 * 1024) {
    const std::string bytes = client.TakeOutput();
    std::string buffer;
    TlsSession::Result result = session.Decrypt(
        bytes.data(), bytes.size(),
        [&] {
          buffer.resize(span);
          return std::pair<char*, size_t>(buffer.data(), span);
        },
        [&](size_t n) { received->append(buffer.data(), n); });
    Deliver(session, client);
    return result;
  }

  // Hands what the session has encrypted so far to the client.
  static void Deliver(TlsSession& session, Client& client) {
    client.GiveInput(session.ciphertext());
    session.ciphertext().clear();
  }

  // The server side encrypts `reply`; returns what the client decrypts of it.
  static std::string Answer(TlsSession& session, Client& client, const std::string& reply) {
    EXPECT_TRUE(session.Encrypt(reply));
    Deliver(session, client);
    return client.Read();
  }

  // Runs the handshake to its end on both sides.
  static void Handshake(TlsSession& session, Client& client) {
    std::string ignored;
    for (int i = 0; i < 4 && !(session.handshake_done() && SSL_is_init_finished(client.ssl()));
         ++i) {
      SSL_do_handshake(client.ssl());
      ASSERT_EQ(Pump(session, client, &ignored), TlsSession::Result::kOk) << session.error();
    }
    ASSERT_TRUE(session.handshake_done());
    ASSERT_TRUE(SSL_is_init_finished(client.ssl()));
  }

  test_util::TempDir dir_;
  Identity server_identity_;
  Identity client_identity_;
  Config config_;
};

TEST_F(TlsSessionTest, HandshakeThenDataBothWays) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  Client client(&client_identity_);
  Handshake(session, client);
  client.Write("*1\r\n$4\r\nPING\r\n");
  std::string received;
  EXPECT_EQ(Pump(session, client, &received), TlsSession::Result::kOk);
  EXPECT_EQ(received, "*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(Answer(session, client, "+PONG\r\n"), "+PONG\r\n");
}

TEST_F(TlsSessionTest, LargeDataInSmallSpans) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  Client client(&client_identity_);
  Handshake(session, client);
  // Client to server: records of 16 KB read through 100-byte spans, nothing lost or reordered.
  std::string sent;
  for (int i = 0; sent.size() < 200000; ++i) sent += std::to_string(i) + " ";
  client.Write(sent);
  std::string received;
  EXPECT_EQ(Pump(session, client, &received, 100), TlsSession::Result::kOk);
  EXPECT_EQ(received, sent);
  // Server to client: 5 MB in one Encrypt.
  std::string reply(5 * 1024 * 1024, 'r');
  for (size_t i = 0; i < reply.size(); i += 4096) reply[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(session.Encrypt(reply));
  EXPECT_GT(session.ciphertext().size(), reply.size());
  Deliver(session, client);
  EXPECT_EQ(client.Read(), reply);
}

TEST_F(TlsSessionTest, KeyUpdateInMidStream) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  Client client(&client_identity_);
  Handshake(session, client);
  ASSERT_EQ(SSL_version(client.ssl()), TLS1_3_VERSION);
  // The client updates its keys and asks the server to update its own.
  ASSERT_EQ(SSL_key_update(client.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
  client.Write("after update");
  std::string received;
  EXPECT_EQ(Pump(session, client, &received), TlsSession::Result::kOk) << session.error();
  EXPECT_EQ(received, "after update");
  // The server's answering key update went out ahead of its data; the client reads both.
  EXPECT_EQ(Answer(session, client, "reply"), "reply");
}

TEST_F(TlsSessionTest, CloseNotifyEndsTheSession) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  Client client(&client_identity_);
  Handshake(session, client);
  client.Write("last");
  SSL_shutdown(client.ssl());
  std::string received;
  EXPECT_EQ(Pump(session, client, &received), TlsSession::Result::kClosed);
  EXPECT_EQ(received, "last");
  // The server's own close_notify.
  session.Shutdown();
  client.GiveInput(session.ciphertext());
  EXPECT_EQ(client.Read(), "");
  EXPECT_EQ(SSL_get_shutdown(client.ssl()) & SSL_RECEIVED_SHUTDOWN, SSL_RECEIVED_SHUTDOWN);
}

TEST_F(TlsSessionTest, RenegotiationIsRefused) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  Client client(&client_identity_, TLS1_2_VERSION);
  Handshake(session, client);
  ASSERT_EQ(SSL_renegotiate(client.ssl()), 1);
  SSL_do_handshake(client.ssl());
  std::string received;
  // The server answers the new ClientHello with a no_renegotiation alert and goes on; an
  // OpenSSL client gives up on that alert.
  EXPECT_EQ(Pump(session, client, &received), TlsSession::Result::kOk) << session.error();
  EXPECT_EQ(received, "");
  EXPECT_EQ(SSL_get_error(client.ssl(), SSL_do_handshake(client.ssl())), SSL_ERROR_SSL);
  EXPECT_NE(ERR_reason_error_string(ERR_get_error()), nullptr);
  ERR_clear_error();
}

TEST_F(TlsSessionTest, ClientWithoutCertificateIsRefusedUnlessOptional) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  {
    TlsSession session(*context, TlsAuthClients::kYes);
    Client client;
    std::string received;
    TlsSession::Result result = TlsSession::Result::kOk;
    for (int i = 0; i < 4 && result == TlsSession::Result::kOk; ++i) {
      SSL_do_handshake(client.ssl());
      result = Pump(session, client, &received);
    }
    EXPECT_EQ(result, TlsSession::Result::kError);
    EXPECT_NE(session.error().find("peer did not return a certificate"), std::string::npos)
        << session.error();
  }
  {
    TlsSession session(*context, TlsAuthClients::kOptional);
    Client client;
    Handshake(session, client);
  }
  {
    // Optional still verifies a certificate that is presented: the server's own is not signed
    // by the client CA.
    TlsSession session(*context, TlsAuthClients::kOptional);
    Client client(&server_identity_);
    std::string received;
    TlsSession::Result result = TlsSession::Result::kOk;
    for (int i = 0; i < 4 && result == TlsSession::Result::kOk; ++i) {
      SSL_do_handshake(client.ssl());
      result = Pump(session, client, &received);
    }
    EXPECT_EQ(result, TlsSession::Result::kError);
    EXPECT_NE(session.error().find("certificate verify failed"), std::string::npos)
        << session.error();
  }
}

// A reconnecting TLS 1.2 client offers its session (id and ticket); the server resumes it only
// with tls-session-caching yes.
TEST_F(TlsSessionTest, SessionCachingDecidesResumption) {
  for (const bool caching : {true, false}) {
    config_.tls_session_caching = caching;
    auto context = MakeContext();
    ASSERT_NE(context, nullptr);
    SSL_SESSION* saved = nullptr;
    {
      TlsSession session(*context, TlsAuthClients::kYes);
      Client client(&client_identity_, TLS1_2_VERSION);
      Handshake(session, client);
      saved = SSL_get1_session(client.ssl());
      // Ended cleanly: a session torn down without close_notify is not offered again.
      session.Shutdown();
      SSL_shutdown(client.ssl());
    }
    ASSERT_NE(saved, nullptr);
    TlsSession session(*context, TlsAuthClients::kYes);
    Client client(&client_identity_, TLS1_2_VERSION);
    SSL_set_session(client.ssl(), saved);
    SSL_SESSION_free(saved);
    Handshake(session, client);
    EXPECT_EQ(SSL_session_reused(client.ssl()), caching ? 1 : 0) << "caching " << caching;
  }
}

TEST_F(TlsSessionTest, InputThatIsNotTlsIsAnError) {
  auto context = MakeContext();
  ASSERT_NE(context, nullptr);
  TlsSession session(*context, TlsAuthClients::kYes);
  const std::string garbage = "*1\r\n$4\r\nPING\r\n";
  TlsSession::Result result = session.Decrypt(
      garbage.data(), garbage.size(), [] { return std::pair<char*, size_t>(nullptr, 0); },
      [](size_t) {});
  EXPECT_EQ(result, TlsSession::Result::kError);
  EXPECT_FALSE(session.error().empty());
  EXPECT_FALSE(session.handshake_done());
  EXPECT_FALSE(session.Encrypt("x"));
}

TEST_F(TlsSessionTest, ContextRefusesBadSettingsWithRedisMessages) {
  std::string error;
  Config config = config_;
  config.tls_cert_file = dir_.path() + "/missing.crt";
  EXPECT_EQ(TlsContext::Create(config, &error), nullptr);
  EXPECT_EQ(error.rfind("Failed to load certificate: " + config.tls_cert_file + ": ", 0), 0u)
      << error;
  config = config_;
  config.tls_key_file = dir_.Write("other.key", client_identity_.key);
  EXPECT_EQ(TlsContext::Create(config, &error), nullptr);
  EXPECT_EQ(error.rfind("Failed to load private key: " + config.tls_key_file + ": ", 0), 0u)
      << error;
  config = config_;
  config.tls_protocols = "TLSv1.2 SSLv3";
  EXPECT_EQ(TlsContext::Create(config, &error), nullptr);
  EXPECT_EQ(error,
            "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' "
            "and 'TLSv1.3'.");
  config = config_;
  config.tls_ciphers = "NO-SUCH-CIPHER";
  EXPECT_EQ(TlsContext::Create(config, &error), nullptr);
  EXPECT_EQ(error, "Failed to configure ciphers: NO-SUCH-CIPHER");
  config = config_;
  config.tls_ca_cert_file.clear();
  EXPECT_EQ(TlsContext::Create(config, &error), nullptr);
  config.tls_auth_clients = TlsAuthClients::kNo;  // no CA needed when no client is verified
  EXPECT_NE(TlsContext::Create(config, &error), nullptr) << error;
  config = config_;
  config.tls_protocols = "tlsv1.3";
  EXPECT_NE(TlsContext::Create(config, &error), nullptr) << error;
}

}  // namespace
}  // namespace shale::server
