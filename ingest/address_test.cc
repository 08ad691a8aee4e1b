#include "ingest/address.h"

#include <gtest/gtest.h>

#include <string>

namespace inboxd::ingest {
namespace {

// Renders a list as "name|addr;name|addr" for compact table rows.
std::string Render(const std::vector<core::Address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ";";
    out += a.name + "|" + a.addr;
  }
  return out;
}

TEST(AddressTest, ParseAddressList) {
  struct Case {
    std::string_view raw;
    std::string_view want;
  } cases[] = {
      {"a@example.com", "|a@example.com"},
      {"<a@example.com>", "|a@example.com"},
      {"Anna Schmidt <anna@example.de>", "Anna Schmidt|anna@example.de"},
      {"\"Schmidt, Anna\" <anna@example.de>, bob@example.com",
       "Schmidt, Anna|anna@example.de;|bob@example.com"},
      {"\"Quote \\\" inside\" <q@x.org>", "Quote \" inside|q@x.org"},
      {"=?UTF-8?B?0KHQu9GD0YfQsNC50L3QsNGPINCY0LzRjw==?= <r@x.ru>",
       "Случайная Имя|r@x.ru"},
      {"\"=?ISO-8859-1?Q?J=FCrgen_M=FCller?=\" <jm@x.de>",
       "Jürgen Müller|jm@x.de"},
      {"=?GB2312?B?zcu/7snqx+s=?= <zh@x.cn>", "退款申请|zh@x.cn"},
      {"a@x.org (Anna A.)", "Anna A.|a@x.org"},
      {"Anna (work) <a@x.org>", "Anna|a@x.org"},
      {"undisclosed-recipients:;", ""},
      {"Team: a@x.org, Bob <b@x.org>;, c@x.org",
       "|a@x.org;Bob|b@x.org;|c@x.org"},
      {"Anna a@x.org", "Anna|a@x.org"},  // missing brackets
      {"<@relay.example:a@x.org>", "|a@x.org"},
      {"<mailto:a@x.org>", "|a@x.org"},
      {"MAILER-DAEMON", "|MAILER-DAEMON"},
      {"<>", ""},
      {"Undisclosed Recipients", "Undisclosed Recipients|"},
      {"Caf\xE9 <c@x.fr>", "Café|c@x.fr"},  // raw Latin-1 display name
      // Garbage: best effort, never a crash.
      {"To::", ""},
      {"<<<>>>", ""},
      {"\"unterminated <a@x.org>", "unterminated|a@x.org"},
      {"Anna <a@x.org", "Anna|a@x.org"},
      {",,,", ""},
      {"(((", ""},
      {"", ""},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Render(ParseAddressList(c.raw)), c.want) << c.raw;
  }
}

TEST(AddressTest, ParseMailbox) {
  EXPECT_EQ(ParseMailbox("A <a@x.org>, b@y.org").addr, "a@x.org");
  EXPECT_EQ(ParseMailbox("").addr, "");
  EXPECT_TRUE(ParseMailbox("undisclosed-recipients:;").empty());
  core::Address a = ParseMailbox("Anna <Anna@Example.ORG>");
  EXPECT_EQ(a.addr, "Anna@Example.ORG");  // kept as written
  EXPECT_EQ(a.Domain(), "example.org");
}

}  // namespace
}  // namespace inboxd::ingest
