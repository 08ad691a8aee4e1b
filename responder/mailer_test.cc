#include "responder/mailer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace inboxd::responder {
namespace {

namespace fs = std::filesystem;

TEST(MaildirMailerTest, WritesCompleteFilesIntoNew) {
  fs::path dir = fs::temp_directory_path() /
                 ("inboxd_maildir_" + std::to_string(getpid()));
  fs::remove_all(dir);
  auto m = MaildirMailer::Create(dir.string());
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  std::string raw = "Subject: a\r\n\r\n.\r\nbody\r\n";
  ASSERT_TRUE((*m)->Send("bounce@shop.example", {"zoe@customer.example"}, raw));
  ASSERT_TRUE((*m)->Send("", {"a@x.example", "b@x.example"}, raw));
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir / "new")) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    files.push_back(ss.str());
  }
  ASSERT_EQ(files.size(), 2u);
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files[0],
            "Return-Path: <>\r\nDelivered-To: a@x.example\r\n"
            "Delivered-To: b@x.example\r\n" +
                raw);
  EXPECT_EQ(files[1],
            "Return-Path: <bounce@shop.example>\r\n"
            "Delivered-To: zoe@customer.example\r\n" +
                raw);
  EXPECT_TRUE(fs::is_empty(dir / "tmp"));
  fs::remove_all(dir);
  // A path that cannot be created fails as kUnavailable.
  auto bad = MaildirMailer::Create("/proc/inboxd-no/maildir");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, core::Code::kUnavailable);
}

TEST(FakeMailerTest, RecordsAndInjectsFaults) {
  FakeMailer m;
  m.FailOn(2, core::Error::Unavailable("smtp 451"));
  m.FailOn(3, core::Error::FailedPrecondition("smtp 550"));
  struct {
    bool ok;
    core::Code code;
  } want[] = {{true, core::Code::kInternal},
              {false, core::Code::kUnavailable},
              {false, core::Code::kFailedPrecondition},
              {true, core::Code::kInternal}};
  for (int i = 0; i < 4; ++i) {
    auto s = m.Send("a@x.example", {"b@x.example"}, "raw" + std::to_string(i));
    EXPECT_EQ(s.has_value(), want[i].ok) << i;
    if (!s) {
      EXPECT_EQ(s.error().code, want[i].code) << i;
    }
  }
  EXPECT_EQ(m.attempts(), 4);
  ASSERT_EQ(m.sent().size(), 2u);
  EXPECT_EQ(m.sent()[1].raw, "raw3");
  m.FailAll(core::Error::Unavailable("down"));
  EXPECT_FALSE(m.Send("a@x.example", {"b@x.example"}, "x"));
  m.ClearFaults();
  EXPECT_TRUE(m.Send("a@x.example", {"b@x.example"}, "x"));
}

TEST(SmtpMailerTest, CreateValidatesOptions) {
  struct {
    const char* url;
    const char* tls;
    bool ok;
  } cases[] = {
      {"smtp://127.0.0.1:2525", "none", true},
      {"smtps://mail.example:465", "required", true},
      {"smtp://mail.example:587", "required", true},
      {"smtp://mail.example:25", "none", false},  // clear text off loopback
      {"smtps://127.0.0.1:465", "none", false},
      {"imap://mail.example", "required", false},
      {"smtp://127.0.0.1", "maybe", false},
  };
  for (const auto& c : cases) {
    SmtpOptions o;
    o.url = c.url;
    o.tls = c.tls;
    auto m = SmtpMailer::Create(o);
    EXPECT_EQ(m.has_value(), c.ok) << c.url << " " << c.tls;
    if (!c.ok && !m) {
      EXPECT_EQ(m.error().code, core::Code::kInvalidArgument);
    }
  }
}

}  // namespace
}  // namespace inboxd::responder
