// secret_test.cc: ResolveSecret for each source and each way it can fail;
// no error message contains the secret.
#include "config/secret.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace inboxd::config {
namespace {

Mailbox Box() {
  Mailbox mb;
  mb.name = "support";
  return mb;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream out(path, std::ios::binary);
  out << content;
  return path;
}

TEST(ResolveSecretTest, File) {
  const struct {
    const char* content;
    const char* want;  // nullptr = error
  } cases[] = {
      {"s3cret\n", "s3cret"}, {"s3cret\r\n", "s3cret"},
      {"s3cret", "s3cret"},   {"with space \n", "with space "},
      {"\n", nullptr},        {"", nullptr},
  };
  for (const auto& c : cases) {
    Mailbox mb = Box();
    mb.password_file = WriteTemp("secret_test.pass", c.content);
    auto got = ResolveSecret(mb);
    std::remove(mb.password_file.c_str());
    if (c.want == nullptr) {
      ASSERT_FALSE(got.has_value()) << c.content;
      EXPECT_EQ(got.error().code, core::Code::kPermissionDenied);
      EXPECT_EQ(got.error().message, "mailbox support: password_file " +
                                         mb.password_file + ": file is empty");
    } else {
      ASSERT_TRUE(got.has_value()) << got.error().message;
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(ResolveSecretTest, FileErrors) {
  Mailbox mb = Box();
  mb.password_file = "/nonexistent/support.pass";
  auto got = ResolveSecret(mb);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, core::Code::kPermissionDenied);
  EXPECT_EQ(got.error().message,
            "mailbox support: password_file /nonexistent/support.pass: cannot "
            "read: No such file or directory");

  mb.password_file =
      WriteTemp("secret_test.big", std::string(kMaxSecretBytes + 1, 'x'));
  got = ResolveSecret(mb);
  std::remove(mb.password_file.c_str());
  ASSERT_FALSE(got.has_value());
  EXPECT_NE(got.error().message.find("larger than 65536 bytes"),
            std::string::npos);
}

TEST(ResolveSecretTest, Env) {
  Mailbox mb = Box();
  mb.password_env = "INBOXD_SECRET_TEST_PW";
  ::setenv("INBOXD_SECRET_TEST_PW", "envpw", 1);
  auto got = ResolveSecret(mb);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, "envpw");

  ::setenv("INBOXD_SECRET_TEST_PW", "", 1);
  got = ResolveSecret(mb);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "mailbox support: password_env INBOXD_SECRET_TEST_PW: variable is "
            "empty");

  ::unsetenv("INBOXD_SECRET_TEST_PW");
  got = ResolveSecret(mb);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, core::Code::kPermissionDenied);
  EXPECT_EQ(got.error().message,
            "mailbox support: password_env INBOXD_SECRET_TEST_PW: variable is "
            "not set");
}

TEST(ResolveSecretTest, Command) {
  const struct {
    const char* command;
    const char* want;     // secret, or nullptr for an error
    const char* message;  // the error message
  } cases[] = {
      {"printf 'tok\\nsecond line\\n'", "tok", nullptr},
      {"printf 'crlf\\r\\n'", "crlf", nullptr},
      {"echo hunter2; exit 3", nullptr,
       "mailbox support: password_command: command exited with status 3"},
      {"true", nullptr,
       "mailbox support: password_command: command printed nothing"},
      {"echo; echo second", nullptr,
       "mailbox support: password_command: command printed nothing"},
      {"kill -TERM $$", nullptr,
       "mailbox support: password_command: command killed by signal 15"},
      {"/nonexistent/tool 2>/dev/null", nullptr,
       "mailbox support: password_command: command exited with status 127"},
  };
  for (const auto& c : cases) {
    Mailbox mb = Box();
    mb.password_command = c.command;
    auto got = ResolveSecret(mb);
    if (c.want != nullptr) {
      ASSERT_TRUE(got.has_value()) << c.command << ": " << got.error().message;
      EXPECT_EQ(*got, c.want) << c.command;
    } else {
      ASSERT_FALSE(got.has_value()) << c.command;
      EXPECT_EQ(got.error().code, core::Code::kPermissionDenied);
      EXPECT_EQ(got.error().message, c.message) << c.command;
      EXPECT_EQ(got.error().message.find("hunter2"), std::string::npos);
    }
  }
}

TEST(ResolveSecretTest, CommandOutputTooLarge) {
  Mailbox mb = Box();
  mb.password_command = "head -c 100000 /dev/zero | tr '\\0' x";
  auto got = ResolveSecret(mb);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "mailbox support: password_command: output larger than 65536 "
            "bytes");
}

TEST(ResolveSecretTest, OAuth2TokenCommand) {
  Mailbox mb = Box();
  mb.oauth2_token_command = "echo ya29.token";
  auto got = ResolveSecret(mb);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*got, "ya29.token");

  mb.oauth2_token_command = "exit 1";
  got = ResolveSecret(mb);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "mailbox support: oauth2_token_command: command exited with "
            "status 1");
}

TEST(ResolveSecretTest, NoSource) {
  auto got = ResolveSecret(Box());
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, core::Code::kInvalidArgument);
  EXPECT_EQ(got.error().message,
            "mailbox support: no secret source (password_file, password_env, "
            "password_command or oauth2_token_command)");
}

}  // namespace
}  // namespace inboxd::config
