// TLS on tls-port (server/tls.h): the handshake, commands and large replies over TLS, client
// certificates under tls-auth-clients yes / optional / no, the plain port beside the TLS one, a
// TLS-only server, a client that does not speak TLS, start-up refusals of bad files, and CONFIG
// SET of the TLS files rebuilding the context.
//
// The certificates are made for each test binary with the openssl command line in a temporary
// directory: a CA, a server and a client certificate it signs, and a second CA with its own
// server and client certificates (a CA the server does not trust). Keys are P-256, which are
// quick to generate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/server_fixture.h"

namespace shale::integration {
namespace {

// Runs a shell command; its output goes to `log` (appended). True on exit status 0.
bool Shell(const std::string& command, const std::string& log) {
  return std::system((command + " >>'" + log + "' 2>&1").c_str()) == 0;
}

class Certificates {
 public:
  // Generates everything into a new temporary directory; false (the openssl output in
  // *error) on failure.
  bool Generate(std::string* error) {
    char pattern[] = "/tmp/shale-tls-XXXXXX";
    if (mkdtemp(pattern) == nullptr) {
      *error = "mkdtemp failed";
      return false;
    }
    dir_ = pattern;
    const std::string log = Path("openssl.log");
    const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    auto ca = [&](const std::string& name) {
      return Shell("openssl req -x509 -new " + ec + " -keyout " + Path(name + ".key") + " -out " +
                       Path(name + ".crt") + " -days 2 -subj /CN=" + name,
                   log);
    };
    auto issue = [&](const std::string& name, const std::string& ca_name) {
      return Shell("openssl req -new " + ec + " -keyout " + Path(name + ".key") + " -out " +
                       Path(name + ".csr") + " -subj /CN=" + name,
                   log) &&
             Shell("openssl x509 -req -in " + Path(name + ".csr") + " -CA " +
                       Path(ca_name + ".crt") + " -CAkey " + Path(ca_name + ".key") +
                       " -CAcreateserial -out " + Path(name + ".crt") + " -days 2",
                   log);
    };
    const bool ok = ca("ca") && issue("server", "ca") && issue("client", "ca") && ca("other-ca") &&
                    issue("other-server", "other-ca") && issue("other-client", "other-ca") &&
                    Shell("openssl pkey -in " + Path("server.key") +
                              " -aes256 -passout pass:secret -out " + Path("server-encrypted.key"),
                          log) &&
                    Shell("openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out " +
                              Path("dh.pem"),
                          log);
    if (!ok) {
      std::ifstream in(log);
      *error = "openssl failed: " + std::string(std::istreambuf_iterator<char>(in), {});
    }
    return ok;
  }

  ~Certificates() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // The server's settings: its certificate and key, and the CA its clients' certificates
  // must chain to.
  std::vector<std::string> ServerArgs() const {
    return {"--tls-cert-file",  Path("server.crt"),   "--tls-key-file",
            Path("server.key"), "--tls-ca-cert-file", Path("ca.crt")};
  }
  TlsClientOptions WithCertificate() const {
    return {Path("ca.crt"), Path("client.crt"), Path("client.key"), ""};
  }
  TlsClientOptions WithoutCertificate() const { return {Path("ca.crt"), "", "", ""}; }
  // A certificate from a CA the server does not trust.
  TlsClientOptions WithUntrustedCertificate() const {
    return {Path("ca.crt"), Path("other-client.crt"), Path("other-client.key"), ""};
  }

 private:
  std::string dir_;
};

class TlsTest : public ServerFixture {
 protected:
  static void SetUpTestSuite() {
    certificates_ = new Certificates;
    std::string error;
    if (!certificates_->Generate(&error)) {
      generation_error_ = new std::string(error);
    }
  }
  static void TearDownTestSuite() {
    delete certificates_;
    certificates_ = nullptr;
    delete generation_error_;
    generation_error_ = nullptr;
  }

  std::vector<std::string> ServerArgs() const override {
    std::vector<std::string> args = certificates_->ServerArgs();
    args.insert(args.end(), {"--tls-port", std::to_string(tls_port_)});
    const std::vector<std::string> extra = ExtraArgs();
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  virtual std::vector<std::string> ExtraArgs() const { return {}; }

  void SetUp() override {
    ASSERT_EQ(generation_error_, nullptr) << *generation_error_;
    ServerFixture::SetUp();
  }

  // A TLS connection to tls-port; records a failure and returns nullptr when the handshake
  // fails.
  std::unique_ptr<RawConnection> ConnectTls(const TlsClientOptions& options) {
    auto connection = std::make_unique<RawConnection>();
    std::string error;
    if (!connection->ConnectTls(tls_port_, options, &error)) {
      ADD_FAILURE() << "TLS connect to " << tls_port_ << ": " << error;
      return nullptr;
    }
    return connection;
  }

  // Sends one command in RESP and returns the reply's text form.
  static std::string Command(RawConnection* connection, const std::vector<std::string>& args) {
    if (!connection->Send(Encode(args))) return "(send failed)";
    return connection->ReadReplyText();
  }
  static std::string Encode(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& arg : args) {
      out += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    }
    return out;
  }

  const Certificates& certs() const { return *certificates_; }

  static Certificates* certificates_;
  static std::string* generation_error_;
  int tls_port_ = PickFreePort();
};

Certificates* TlsTest::certificates_ = nullptr;
std::string* TlsTest::generation_error_ = nullptr;

TEST_F(TlsTest, PingSetGetOverTls) {
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(Command(tls.get(), {"PING"}), "+PONG");
  EXPECT_EQ(Command(tls.get(), {"SET", "key", "over tls"}), "+OK");
  EXPECT_EQ(Command(tls.get(), {"GET", "key"}), "\"over tls\"");
  // A value larger than a TLS record arrives in several and is put back together.
  const std::string value(100000, 'v');
  EXPECT_EQ(Command(tls.get(), {"SET", "large", value}), "+OK");
  EXPECT_EQ(Command(tls.get(), {"STRLEN", "large"}), ":100000");
}

TEST_F(TlsTest, PlainAndTlsPortsServeTogether) {
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(Run({"SET", "shared", "plain"}), "+OK");
  EXPECT_EQ(Command(tls.get(), {"GET", "shared"}), "\"plain\"");
  EXPECT_EQ(Command(tls.get(), {"SET", "shared", "tls"}), "+OK");
  EXPECT_EQ(Run({"GET", "shared"}), "\"tls\"");
  EXPECT_EQ(Run({"CONFIG", "GET", "tls-port"}),
            "[\"tls-port\", \"" + std::to_string(tls_port_) + "\"]");
  // CLIENT LIST shows the TLS client with the TLS port as its local address.
  int on_tls_port = 0;
  for (const std::string& line : ClientListLines()) {
    if (line.find(" laddr=127.0.0.1:" + std::to_string(tls_port_) + " ") != std::string::npos) {
      ++on_tls_port;
    }
  }
  EXPECT_EQ(on_tls_port, 1);
}

TEST_F(TlsTest, LargePipelinedReply) {
  // 16 replies of 512 KB each (8 MB), asked for in one write: the replies are encrypted into
  // many records and written as the client reads them.
  std::string value;
  for (int i = 0; value.size() < 512 * 1024; ++i) value += std::to_string(i) + ",";
  value.resize(512 * 1024);
  EXPECT_EQ(Run({"SET", "big", value}), "+OK");
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  std::string pipeline;
  constexpr int kCount = 16;
  for (int i = 0; i < kCount; ++i) pipeline += Encode({"GET", "big"});
  pipeline += Encode({"PING"});
  ASSERT_TRUE(tls->Send(pipeline));
  for (int i = 0; i < kCount; ++i) {
    RespValue reply;
    std::string error;
    ASSERT_TRUE(tls->ReadReply(&reply, &error)) << "reply " << i << ": " << error;
    ASSERT_EQ(reply.type, '$');
    ASSERT_EQ(reply.str, value) << "reply " << i;
  }
  EXPECT_EQ(tls->ReadReplyText(), "+PONG");
  // A large request the other way: 4 MB in one command.
  const std::string upload(4 * 1024 * 1024, 'u');
  EXPECT_EQ(Command(tls.get(), {"SET", "upload", upload}), "+OK");
  EXPECT_EQ(Run({"STRLEN", "upload"}), ":4194304");
}

TEST_F(TlsTest, AuthClientsYesRejectsClientWithoutCertificate) {
  EXPECT_EQ(Run({"CONFIG", "GET", "tls-auth-clients"}), "[\"tls-auth-clients\", \"yes\"]");
  // In TLS 1.3 the client's side of the handshake completes; the server's refusal closes the
  // connection before any command is answered.
  auto tls = ConnectTls(certs().WithoutCertificate());
  ASSERT_NE(tls, nullptr);
  tls->Send(Encode({"PING"}));
  RespValue reply;
  std::string error;
  EXPECT_FALSE(tls->ReadReply(&reply, &error)) << reply.ToString();
  EXPECT_NE(error.find("connection closed"), std::string::npos) << error;
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "tls_errors"), "1");
  }
  // A certificate from another CA is refused too; one from the server's CA is served.
  auto untrusted = ConnectTls(certs().WithUntrustedCertificate());
  ASSERT_NE(untrusted, nullptr);
  untrusted->Send(Encode({"PING"}));
  EXPECT_FALSE(untrusted->ReadReply(&reply, &error)) << reply.ToString();
  auto trusted = ConnectTls(certs().WithCertificate());
  ASSERT_NE(trusted, nullptr);
  EXPECT_EQ(Command(trusted.get(), {"PING"}), "+PONG");
}

class TlsOptionalAuthTest : public TlsTest {
 protected:
  std::vector<std::string> ExtraArgs() const override { return {"--tls-auth-clients", "optional"}; }
};

TEST_F(TlsOptionalAuthTest, AcceptsClientsWithAndWithoutCertificate) {
  auto without = ConnectTls(certs().WithoutCertificate());
  ASSERT_NE(without, nullptr);
  EXPECT_EQ(Command(without.get(), {"PING"}), "+PONG");
  auto with = ConnectTls(certs().WithCertificate());
  ASSERT_NE(with, nullptr);
  EXPECT_EQ(Command(with.get(), {"PING"}), "+PONG");
  // Optional is not "anything goes": a certificate that does not verify is refused.
  auto untrusted = ConnectTls(certs().WithUntrustedCertificate());
  ASSERT_NE(untrusted, nullptr);
  untrusted->Send(Encode({"PING"}));
  RespValue reply;
  std::string error;
  EXPECT_FALSE(untrusted->ReadReply(&reply, &error)) << reply.ToString();
}

TEST_F(TlsTest, AuthClientsNoAppliesToNewConnections) {
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-auth-clients", "no"}), "+OK");
  auto untrusted = ConnectTls(certs().WithUntrustedCertificate());
  ASSERT_NE(untrusted, nullptr);
  EXPECT_EQ(Command(untrusted.get(), {"PING"}), "+PONG");
  auto without = ConnectTls(certs().WithoutCertificate());
  ASSERT_NE(without, nullptr);
  EXPECT_EQ(Command(without.get(), {"PING"}), "+PONG");
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-auth-clients", "maybe"}),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-auth-clients') - "
            "argument(s) must be one of the following: no, yes, optional");
}

TEST_F(TlsTest, ClientSpeakingPlainRespIsClosedWithoutAffectingOthers) {
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(Command(tls.get(), {"SET", "before", "1"}), "+OK");
  RawConnection plain;
  std::string error;
  ASSERT_TRUE(plain.Connect(tls_port_, &error)) << error;
  ASSERT_TRUE(plain.Send(Encode({"PING"}) + "garbage that is no ClientHello\r\n"));
  EXPECT_TRUE(plain.WaitClosed());
  EXPECT_EQ(Command(tls.get(), {"GET", "before"}), "\"1\"");
  EXPECT_EQ(Run({"PING"}), "+PONG");
  if (!IsRedis()) {
    EXPECT_EQ(InfoField(client_.get(), "stats", "tls_errors"), "1");
  }
  // A client that closes in the middle of its handshake costs nothing either.
  RawConnection half;
  ASSERT_TRUE(half.Connect(tls_port_, &error)) << error;
  ASSERT_TRUE(half.Send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  half.Close();
  EXPECT_EQ(Command(tls.get(), {"PING"}), "+PONG");
}

TEST_F(TlsTest, RequirepassAppliesOverTls) {
  EXPECT_EQ(Run({"CONFIG", "SET", "requirepass", "secret"}), "+OK");
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(Command(tls.get(), {"GET", "x"}), "-NOAUTH Authentication required.");
  EXPECT_EQ(Command(tls.get(), {"AUTH", "secret"}), "+OK");
  EXPECT_EQ(Command(tls.get(), {"GET", "x"}), "(nil)");
}

TEST_F(TlsTest, ProtectedModeAppliesOverTls) {
  TlsClientOptions options = certs().WithCertificate();
  options.source_address = "127.0.0.2";
  auto tls = ConnectTls(options);
  ASSERT_NE(tls, nullptr);
  // The refusal is sent over TLS, once the handshake is done, then the connection closes.
  tls->Send(Encode({"PING"}));
  const std::string reply = tls->ReadReplyText();
  EXPECT_EQ(reply.rfind("-DENIED ", 0), 0u) << reply;
  EXPECT_TRUE(tls->WaitClosed());
  EXPECT_EQ(Run({"CONFIG", "SET", "protected-mode", "no"}), "+OK");
  auto allowed = ConnectTls(options);
  ASSERT_NE(allowed, nullptr);
  EXPECT_EQ(Command(allowed.get(), {"PING"}), "+PONG");
}

TEST_F(TlsTest, ConfigSetOfFilesReloadsTheContext) {
  // A file that cannot be loaded is refused with Redis's text, and nothing changes.
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-cert-file", "/nonexistent/server.crt"}),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-cert-file') - Unable to "
            "update TLS configuration. Check server logs.");
  EXPECT_EQ(Run({"CONFIG", "GET", "tls-cert-file"}),
            "[\"tls-cert-file\", \"" + certs().Path("server.crt") + "\"]");
  // A key that does not match the certificate: the same, naming the key setting.
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-key-file", certs().Path("client.key")}),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-key-file') - Unable to "
            "update TLS configuration. Check server logs.");
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-protocols", "TLSv1.4"}),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to "
            "update TLS configuration. Check server logs.");
  auto before = ConnectTls(certs().WithCertificate());
  ASSERT_NE(before, nullptr);
  EXPECT_EQ(Command(before.get(), {"PING"}), "+PONG");

  // The other CA's server certificate, set in one CONFIG SET with its key: new clients must
  // trust the other CA; the open connection goes on.
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-cert-file", certs().Path("other-server.crt"), "tls-key-file",
                 certs().Path("other-server.key")}),
            "+OK");
  RawConnection refused;
  std::string error;
  EXPECT_FALSE(refused.ConnectTls(tls_port_, certs().WithCertificate(), &error));
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  TlsClientOptions other = certs().WithCertificate();
  other.ca_file = certs().Path("other-ca.crt");
  auto after = ConnectTls(other);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(Command(after.get(), {"PING"}), "+PONG");
  EXPECT_EQ(Command(before.get(), {"PING"}), "+PONG");
}

TEST_F(TlsTest, ConfigGetShowsEverySetting) {
  const std::string reply = Run({"CONFIG", "GET", "tls-*"});
  for (const char* expected :
       {"\"tls-auth-clients\", \"yes\"", "\"tls-protocols\", \"\"", "\"tls-ciphers\", \"\"",
        "\"tls-ciphersuites\", \"\"", "\"tls-prefer-server-ciphers\", \"no\"",
        "\"tls-session-caching\", \"yes\"", "\"tls-session-cache-size\", \"20480\"",
        "\"tls-session-cache-timeout\", \"300\"", "\"tls-key-file-pass\", \"\"",
        "\"tls-ca-cert-dir\", \"\"", "\"tls-dh-params-file\", \"\""}) {
    EXPECT_NE(reply.find(expected), std::string::npos) << expected << " in " << reply;
  }
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-session-cache-size", "-1"}),
            "-ERR CONFIG SET failed (possibly related to argument 'tls-session-cache-size') - "
            "argument must be between 0 and 2147483647 inclusive");
  // Settings that rebuild the context and are valid apply at once.
  EXPECT_EQ(Run({"CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-ciphers",
                 "ECDHE-ECDSA-AES128-GCM-SHA256", "tls-prefer-server-ciphers", "yes"}),
            "+OK");
  auto tls = ConnectTls(certs().WithCertificate());
  ASSERT_NE(tls, nullptr);
  EXPECT_EQ(Command(tls.get(), {"PING"}), "+PONG");
}

TEST_F(TlsTest, RedisCliSpeaksTls) {
  if (std::system("command -v redis-cli >/dev/null 2>&1") != 0) GTEST_SKIP() << "no redis-cli";
  const std::string command = "redis-cli -p " + std::to_string(tls_port_) + " --tls --cacert " +
                              certs().Path("ca.crt") + " --cert " + certs().Path("client.crt") +
                              " --key " + certs().Path("client.key") +
                              " SET cli-key cli-value 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char output[256] = {0};
  const size_t n = std::fread(output, 1, sizeof(output) - 1, pipe);
  pclose(pipe);
  EXPECT_EQ(std::string(output, n), "OK\n");
  EXPECT_EQ(Run({"GET", "cli-key"}), "\"cli-value\"");
}

// redis-py (Debian's python3-redis) with ssl=True and the test's certificates: a pipeline of
// SETs and a large value come back over TLS.
TEST_F(TlsTest, RedisPyConnectsWithSsl) {
  if (std::system("/usr/bin/python3 -c 'import redis' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no python3-redis";
  }
  const std::string script =
      "import redis, sys\n"
      "r = redis.Redis(host='127.0.0.1', port=int(sys.argv[1]), ssl=True, "
      "ssl_ca_certs=sys.argv[2], ssl_certfile=sys.argv[3], ssl_keyfile=sys.argv[4], "
      "socket_timeout=30)\n"
      "p = r.pipeline(transaction=False)\n"
      "for i in range(1000): p.set('py%d' % i, i)\n"
      "assert all(p.execute())\n"
      "r.set('big', b'x' * (4 << 20))\n"
      "assert r.get('big') == b'x' * (4 << 20)\n"
      "assert r.get('py999') == b'999'\n"
      "print('ok')\n";
  const std::string path = certs().Path("redis_py_tls.py");
  {
    std::ofstream out(path);
    out << script;
  }
  const std::string command = "/usr/bin/python3 " + path + " " + std::to_string(tls_port_) + " " +
                              certs().Path("ca.crt") + " " + certs().Path("client.crt") + " " +
                              certs().Path("client.key") + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char output[4096] = {0};
  const size_t n = std::fread(output, 1, sizeof(output) - 1, pipe);
  pclose(pipe);
  EXPECT_EQ(std::string(output, n), "ok\n");
  EXPECT_EQ(Run({"GET", "py0"}), "\"0\"");
}

// A server with no plain port: `--port 0 --tls-port P`.
class TlsOnlyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    ASSERT_TRUE(certificates_.Generate(&error)) << error;
  }
  Certificates certificates_;
};

TEST_F(TlsOnlyTest, ServesTlsWithoutPlainPort) {
  ServerProcess server;
  if (server.IsRedis()) GTEST_SKIP() << "Shale's start-up";
  const TlsClientOptions options = certificates_.WithCertificate();
  server.set_port_option("--tls-port", [&](int port, std::string* error) {
    RawConnection connection;
    if (!connection.ConnectTls(port, options, error)) return false;
    connection.Send("PING\r\n");
    const std::string reply = connection.ReadReplyText();
    *error = "PING answered " + reply;
    return reply == "+PONG";
  });
  std::string error;
  std::vector<std::string> args = certificates_.ServerArgs();
  args.insert(args.end(),
              {"--tls-key-file", certificates_.Path("server-encrypted.key"), "--tls-key-file-pass",
               "secret", "--tls-dh-params-file", certificates_.Path("dh.pem")});
  ASSERT_TRUE(server.Start(args, &error)) << error;
  RawConnection tls;
  ASSERT_TRUE(tls.ConnectTls(server.port(), options, &error)) << error;
  tls.Send("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nport\r\n");
  EXPECT_EQ(tls.ReadReplyText(), "[\"port\", \"0\"]");
  EXPECT_NE(server.ReadLog().find("Ready to accept connections tls on port " +
                                  std::to_string(server.port())),
            std::string::npos)
      << server.ReadLog();
  EXPECT_EQ(server.ReadLog().find("connections tcp"), std::string::npos);
}

// The server refuses to start, saying why (Redis's messages), when its TLS files or settings are
// bad.
class TlsStartupTest : public TlsOnlyTest {
 protected:
  void ExpectRefused(std::vector<std::string> args, const std::string& needle) {
    ServerProcess server;
    args.insert(args.end(), {"--tls-port", std::to_string(PickFreePort())});
    std::string error;
    EXPECT_FALSE(server.Start(args, &error));
    EXPECT_NE(error.find("exited before it was ready"), std::string::npos) << error;
    EXPECT_NE(error.find(needle), std::string::npos) << error;
    EXPECT_NE(error.find("Failed to configure TLS. Check logs for more info."), std::string::npos)
        << error;
  }
};

TEST_F(TlsStartupTest, MissingCertificateFileIsRefused) {
  ExpectRefused(
      {"--tls-cert-file", certificates_.Path("missing.crt"), "--tls-key-file",
       certificates_.Path("server.key"), "--tls-ca-cert-file", certificates_.Path("ca.crt")},
      "Failed to load certificate: " + certificates_.Path("missing.crt"));
}

TEST_F(TlsStartupTest, CertificateFileThatIsNoCertificateIsRefused) {
  ExpectRefused(
      {"--tls-cert-file", certificates_.Path("openssl.log"), "--tls-key-file",
       certificates_.Path("server.key"), "--tls-ca-cert-file", certificates_.Path("ca.crt")},
      "Failed to load certificate: " + certificates_.Path("openssl.log"));
}

TEST_F(TlsStartupTest, KeyOfAnotherCertificateIsRefused) {
  ExpectRefused(
      {"--tls-cert-file", certificates_.Path("server.crt"), "--tls-key-file",
       certificates_.Path("client.key"), "--tls-ca-cert-file", certificates_.Path("ca.crt")},
      "Failed to load private key: " + certificates_.Path("client.key"));
}

TEST_F(TlsStartupTest, WrongKeyPasswordIsRefused) {
  ExpectRefused({"--tls-cert-file", certificates_.Path("server.crt"), "--tls-key-file",
                 certificates_.Path("server-encrypted.key"), "--tls-key-file-pass", "wrong",
                 "--tls-ca-cert-file", certificates_.Path("ca.crt")},
                "Failed to load private key: " + certificates_.Path("server-encrypted.key"));
}

TEST_F(TlsStartupTest, ClientAuthenticationWithoutCaIsRefused) {
  ExpectRefused({"--tls-cert-file", certificates_.Path("server.crt"), "--tls-key-file",
                 certificates_.Path("server.key")},
                "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when");
}

TEST_F(TlsStartupTest, MissingCertificateSettingIsRefused) {
  ExpectRefused({"--tls-key-file", certificates_.Path("server.key")},
                "No tls-cert-file configured!");
}

}  // namespace
}  // namespace shale::integration
