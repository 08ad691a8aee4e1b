// SmtpMailer against a real SMTP server: python3-aiosmtpd started by
// tests/rig/smtp_sink.py on a free 127.0.0.1 port.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "responder/composer.h"
#include "responder/mailer.h"
#include "tests/ci_env.h"

namespace inboxd::responder {
namespace {

namespace fs = std::filesystem;

constexpr char kPython[] = "/usr/bin/python3";  // Debian's, with aiosmtpd
constexpr char kUser[] = "inboxd";
constexpr char kPassword[] = "s3cret-\xC3\xA4";

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Starts the sink in setUp, stops it (SIGTERM) in tearDown.
class SmtpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kPython, X_OK) != 0) INBOXD_SKIP_OR_FAIL() << "no " << kPython;
    dir_ = fs::temp_directory_path() /
           ("inboxd_smtp_sink_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    PrepareSink();
    if (HasFatalFailure()) return;
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      dup2(out[1], 1);
      close(out[0]);
      close(out[1]);
      std::string script =
          std::string(INBOXD_SOURCE_DIR) + "/tests/rig/smtp_sink.py";
      std::string outdir = (dir_ / "mail").string();
      std::string log = (dir_ / "sink.log").string();
      freopen(log.c_str(), "w", stderr);
      std::vector<std::string> args = {kPython,      script,   "--outdir",
                                       outdir,       "--user", kUser,
                                       "--password", kPassword};
      args.insert(args.end(), extra_args_.begin(), extra_args_.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(kPython, argv.data());
      _exit(127);
    }
    close(out[1]);
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (line.find('\n') == std::string::npos &&
           std::chrono::steady_clock::now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[64];
      ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, size_t(n));
    }
    close(out[0]);
    ASSERT_TRUE(line.starts_with("READY "))
        << "sink did not start: " << line << ReadAll(dir_ / "sink.log");
    port_ = std::stoi(line.substr(6));
  }

  // Hook for fixtures that need files in dir_ and extra sink arguments.
  virtual void PrepareSink() {}

  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::unique_ptr<SmtpMailer> Mailer(std::string user = kUser,
                                     std::string password = kPassword,
                                     std::string token = "") {
    SmtpOptions o;
    o.url = "smtp://127.0.0.1:" + std::to_string(port_);
    o.tls = "none";
    o.username = std::move(user);
    o.password = std::move(password);
    o.oauth2_token = std::move(token);
    o.timeout_seconds = 20;
    auto m = SmtpMailer::Create(o);
    EXPECT_TRUE(m.has_value()) << m.error().ToString();
    return std::move(*m);
  }

  // The n-th stored message (1-based) and its envelope json.
  std::string Stored(int n, const char* ext) {
    char name[16];
    std::snprintf(name, sizeof name, "%04d.%s", n, ext);
    return ReadAll(dir_ / "mail" / name);
  }

  fs::path dir_;
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string ComposedReply() {
  ComposerOptions o;
  o.mailbox_address = "support@shop.example";
  o.display_name = "Shop Support";
  o.hmac_key = "integration-key";
  auto c = Composer::Create(o);
  EXPECT_TRUE(c.has_value());
  core::Message m;
  m.message_id = "orig@customer.example";
  m.from = {"Zoë", "zoe@customer.example"};
  m.subject = "Drucker druckt nicht";
  RenderedTemplate body;
  body.language = "de";
  body.subject = "x";
  // Lines that need dot-stuffing on the wire, a lone dot line, CJK text.
  body.text =
      "Guten Tag,\n.\n..zwei "
      "Punkte\n.leading\nend.\n\xE6\x82\xA8\xE5\xA5\xBD\n";
  body.html = "<p>.</p>\n";
  auto mail =
      c->ComposeReply(m, {"S-7", "[#S-7]", "ack"}, body,
                      core::TimePoint{std::chrono::seconds(1795000000)});
  EXPECT_TRUE(mail.has_value());
  return mail->raw;
}

TEST_F(SmtpSinkTest, AcceptedMailArrivesByteIdentical) {
  auto mailer = Mailer();
  std::string raw = ComposedReply();
  // Raw bytes with a dot line at the very start of the body, too.
  std::string tricky = "Subject: dots\r\n\r\n.\r\n.x\r\n..\r\nlast line\r\n";
  ASSERT_TRUE(
      mailer->Send("bounce@shop.example", {"zoe@customer.example"}, raw));
  ASSERT_TRUE(
      mailer->Send("bounce@shop.example", {"zoe@customer.example"}, tricky));
  EXPECT_EQ(Stored(1, "eml"), raw);
  EXPECT_EQ(Stored(2, "eml"), tricky);
  std::string meta = Stored(1, "json");
  EXPECT_NE(meta.find("\"mail_from\": \"bounce@shop.example\""),
            std::string::npos)
      << meta;
  EXPECT_NE(meta.find("\"rcpt_tos\": [\"zoe@customer.example\"]"),
            std::string::npos);
  EXPECT_NE(meta.find("\"auth\": true"), std::string::npos) << meta;
}

TEST_F(SmtpSinkTest, NullSenderAndXoauth2) {
  auto mailer = Mailer(kUser, "", kPassword);  // the token is the password
  ASSERT_TRUE(
      mailer->Send("", {"zoe@customer.example"}, "Subject: a\r\n\r\nb\r\n"));
  EXPECT_NE(Stored(1, "json").find("\"mail_from\": \"<>\""), std::string::npos)
      << Stored(1, "json");
}

TEST_F(SmtpSinkTest, FaultsMapToCodes) {
  auto mailer = Mailer();
  struct {
    const char* rcpt;
    core::Code want;
    const char* want_reply;  // the server's reply, kept in the message
  } cases[] = {
      {"reject4@customer.example", core::Code::kUnavailable, "450 4."},
      {"reject5@customer.example", core::Code::kFailedPrecondition,
       "550 5.1.1"},
      {"datafail4@customer.example", core::Code::kUnavailable, "451 4.3.0"},
      {"datafail5@customer.example", core::Code::kFailedPrecondition,
       "554 5.6.0"},
  };
  for (const auto& c : cases) {
    auto s = mailer->Send("support@shop.example", {c.rcpt},
                          "Subject: a\r\n\r\nb\r\n");
    ASSERT_FALSE(s.has_value()) << c.rcpt;
    EXPECT_EQ(s.error().code, c.want) << c.rcpt << ": " << s.error().ToString();
    EXPECT_NE(
        s.error().message.find(std::string("server said \"") + c.want_reply),
        std::string::npos)
        << s.error().message;
  }
  // The passing case beside them: nothing was stored for the faults.
  ASSERT_TRUE(mailer->Send("support@shop.example", {"ok@customer.example"},
                           "Subject: a\r\n\r\nb\r\n"));
  EXPECT_EQ(Stored(1, "json").find("reject"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "0002.eml"));
}

// The connection of a successful send is kept: many acknowledgements, one
// connection (one EHLO); after a refusal the next send opens a new one.
TEST_F(SmtpSinkTest, OneConnectionForManySends) {
  auto mailer = Mailer();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        mailer->Send("support@shop.example", {"ok@customer.example"},
                     "Subject: " + std::to_string(i) + "\r\n\r\nb\r\n"));
  }
  EXPECT_EQ(ReadAll(dir_ / "mail" / "ehlo.count"), "1\n");
  EXPECT_EQ(Stored(3, "eml"), "Subject: 2\r\n\r\nb\r\n");
  auto refused =
      mailer->Send("support@shop.example", {"reject4@customer.example"},
                   "Subject: x\r\n\r\nb\r\n");
  ASSERT_FALSE(refused.has_value());
  ASSERT_TRUE(mailer->Send("support@shop.example", {"ok@customer.example"},
                           "Subject: 3\r\n\r\nb\r\n"));
  EXPECT_EQ(ReadAll(dir_ / "mail" / "ehlo.count"), "2\n");
  EXPECT_EQ(Stored(4, "eml"), "Subject: 3\r\n\r\nb\r\n");
}

// A server that closes the session after each message (as an idle timeout
// does): every send still goes out exactly once, on a new connection.
class SmtpClosingSinkTest : public SmtpSinkTest {
 protected:
  void PrepareSink() override { extra_args_ = {"--close-after-data"}; }
};

TEST_F(SmtpClosingSinkTest, AClosedKeptConnectionIsReplaced) {
  auto mailer = Mailer();
  for (int i = 0; i < 4; ++i) {
    auto s = mailer->Send("support@shop.example", {"ok@customer.example"},
                          "Subject: " + std::to_string(i) + "\r\n\r\nb\r\n");
    ASSERT_TRUE(s.has_value()) << i << ": " << s.error().ToString();
    // The server's close (50 ms after its reply) happens before the next
    // send: the kept connection is dead when it is used again.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Stored(i + 1, "eml"),
              "Subject: " + std::to_string(i) + "\r\n\r\nb\r\n");
  }
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "0005.eml"));
  EXPECT_EQ(ReadAll(dir_ / "mail" / "ehlo.count"), "4\n");
}

TEST_F(SmtpSinkTest, WrongCredentialsAreRefused) {
  auto bad_token = Mailer(kUser, "", "wrong-token");
  auto t = bad_token->Send("support@shop.example", {"ok@customer.example"},
                           "Subject: a\r\n\r\nb\r\n");
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, core::Code::kPermissionDenied)
      << t.error().ToString();
  auto mailer = Mailer(kUser, "wrong");
  auto s = mailer->Send("support@shop.example", {"ok@customer.example"},
                        "Subject: a\r\n\r\nb\r\n");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, core::Code::kPermissionDenied)
      << s.error().ToString();
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "0001.eml"));
}

// The sink with STARTTLS required and a self-signed certificate for
// 127.0.0.1 (made with openssl, as tests/rig/dovecot_rig.cc does).
class SmtpTlsSinkTest : public SmtpSinkTest {
 protected:
  void PrepareSink() override {
    cert_ = (dir_ / "cert.pem").string();
    std::string key = (dir_ / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " +
                      key + " -out " + cert_ +
                      " -days 2 -subj /CN=localhost "
                      "-addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' >" +
                      (dir_ / "openssl.log").string() + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadAll(dir_ / "openssl.log");
    extra_args_ = {"--tls-cert", cert_, "--tls-key", key};
  }

  std::unique_ptr<SmtpMailer> TlsMailer(std::string ca_file) {
    SmtpOptions o;
    o.url = "smtp://127.0.0.1:" + std::to_string(port_);
    o.tls = "required";
    o.tls_ca_file = std::move(ca_file);
    o.username = kUser;
    o.password = kPassword;
    o.timeout_seconds = 20;
    o.connect_timeout_seconds = 10;
    auto m = SmtpMailer::Create(o);
    EXPECT_TRUE(m.has_value()) << m.error().ToString();
    return std::move(*m);
  }

  std::string cert_;
};

TEST_F(SmtpTlsSinkTest, StartTlsVerifiesTheCertificate) {
  // Failing case first: the system store does not know the self-signed
  // certificate, so nothing may be sent.
  auto untrusted = TlsMailer("");
  auto s = untrusted->Send("bounce@shop.example", {"zoe@customer.example"},
                           "Subject: a\r\n\r\nb\r\n");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, core::Code::kUnavailable) << s.error().ToString();
  EXPECT_NE(s.error().message.find("certificate"), std::string::npos)
      << s.error().message;
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "0001.eml"));

  auto mailer = TlsMailer(cert_);
  std::string raw = ComposedReply();
  auto ok = mailer->Send("bounce@shop.example", {"zoe@customer.example"}, raw);
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString() << "\n"
                              << ReadAll(dir_ / "sink.log");
  EXPECT_EQ(Stored(1, "eml"), raw);
  EXPECT_NE(Stored(1, "json").find("\"auth\": true"), std::string::npos)
      << Stored(1, "json");
  EXPECT_FALSE(fs::exists(dir_ / "mail" / "0002.eml"));
}

TEST(SmtpMailerTest, ConnectionRefusedIsUnavailable) {
  // Bind and close a socket to find a port with nobody listening.
  SmtpOptions o;
  o.url = "smtp://127.0.0.1:1";
  o.tls = "none";
  o.connect_timeout_seconds = 5;
  auto m = SmtpMailer::Create(o);
  ASSERT_TRUE(m.has_value());
  auto s =
      (*m)->Send("a@b.example", {"c@d.example"}, "Subject: a\r\n\r\nb\r\n");
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, core::Code::kUnavailable) << s.error().ToString();
}

}  // namespace
}  // namespace inboxd::responder
