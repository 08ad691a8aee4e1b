// show_test.cc: ShowConfig prints valid TOML that ParseConfig reads back to
// the same Config, with secret sources shown and nothing else secret.
#include "config/show.h"

#include <gtest/gtest.h>

#include "config/loader.h"

namespace inboxd::config {
namespace {

// Positions and the path legitimately differ after a round trip.
Config Normalized(Config c) {
  c.path.clear();
  for (Mailbox& mb : c.mailboxes) mb.pos = {};
  for (Rule& r : c.rules) r.pos = {};
  for (Account& a : c.accounts) a.pos = {};
  return c;
}

void ExpectRoundTrip(const Config& c, const std::string& label) {
  std::string shown = ShowConfig(c);
  auto back = ParseConfig(shown, "shown.toml");
  ASSERT_TRUE(back.has_value()) << label << ": " << back.error().message << "\n"
                                << shown;
  EXPECT_EQ(Normalized(*back), Normalized(c)) << label << "\n" << shown;
  // Showing is stable: the second rendering equals the first (apart from
  // the header comment naming the source).
  std::string again = ShowConfig(*back);
  EXPECT_EQ(again.substr(again.find('\n')), shown.substr(shown.find('\n')))
      << label;
}

TEST(ShowConfigTest, DefaultsRoundTrip) {
  ExpectRoundTrip(Defaults(), "defaults");
}

TEST(ShowConfigTest, ExampleRoundTrip) {
  auto cfg = LoadConfig(INBOXD_SOURCE_DIR "/config/inboxd.example.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ExpectRoundTrip(*cfg, "example");
}

TEST(ShowConfigTest, EdgeValuesRoundTrip) {
  const char* text = R"([[mailbox]]
name = "sales-de_1"
address = "sales@shop.example"
aliases = ["verkauf@shop.example", "vente@shop.example"]
imap_url = "imap://127.0.0.1:11143"
smtp_url = "smtp://[::1]:11025"
tls = "none"
username = "sälës \"quoted\" \\ back"
password_command = "pass show 'mail/sales' | head -1"
folders = ["INBOX", "Anfragen/Österreich", "收件箱"]
sent_folder = ""
time_zone = "Asia/Tehran"
language = "fa"
display_names = { fa = "پشتیبانی \"فروشگاه\"", "zh" = "商城客服中心" }
default_class = ""
ack_window = 90061
[business_hours]
monday = []
saturday = ["00:00-24:00"]
holidays = [2026-03-20]
[deadlines]
delay_notice_before = "0s"
delay_notice_for = []
delay_extension = "90m"
warn_at = "0%"
escalate_every = 1
csat_after = 0
[deadlines.complaint]
receipt = "off"
callback = { within = "90m", clock = "business" }
followup = { within = "2d", start = "arrival" }
[deadlines.quote]
recall = { within = "1w", start = "close" }
[tiers.z_9]
answer = { within = "25h", clock = "calendar" }
[tiers.basic]
answer = 86400
[[account]]
name = "Ärger & \"Söhne\""
domains = ["Aerger.Example"]
tier = "basic"
[[account]]
name = "x"
addresses = ["A@B.example"]
software_assurance_until = 2026-02-28
key_account = true
[deadlines.personal]
answer = "off"
[[agent]]
name = "Leyla"
address = "leyla@shop.example"
team = ""
absent = []
[[route]]
class = "other"
primary = "Leyla"
escalate_to = []
[[route]]
class = "complaint"
primary = "Leyla"
escalate_to = "boss@shop.example"
board = "Leyla"
[tickets]
close_keywords = []
waiting_keywords = ["\\Flagged", "$Wait"]
close_folders = ["Erledigt/Österreich"]
waiting_folders = ["Wartet \"noch\""]
poll_every = "1h"
[classify]
ticket_tag_format = "{number}"
own_domains = []
[classify.ticket_prefix]
sales-de_1 = "V"
[responder]
per_ticket_max = 0
noreply_regex = "^a\tb\\d+$"
[templates]
forbidden_phrases = []
[[rule]]
id = "x.1"
field = "header:List-Id"
pattern = "\"quoted\" and \\backslash\\ and \u0001"
kind = "list_bulk"
description = "tab\tnew\nline"
weak = true
[[rule]]
id = "shipped.rule"
enabled = false
[[rule]]
id = "flag.only"
field = "body"
pattern = "defekt"
flag = "material_defect"
)";
  auto cfg = ParseConfig(text, "edge.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ExpectRoundTrip(*cfg, "edge");
  std::string shown = ShowConfig(*cfg);
  EXPECT_NE(shown.find("receipt = \"off\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("answer = \"off\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("warn_at = \"0%\""), std::string::npos) << shown;
  EXPECT_NE(shown.find("escalate_to = [\"boss@shop.example\"]"),
            std::string::npos)
      << shown;
  EXPECT_NE(shown.find("flag = \"material_defect\""), std::string::npos)
      << shown;
}

TEST(ShowConfigTest, SecretSourcesShownNeverAPassword) {
  Config c = Defaults();
  Mailbox mb;
  mb.name = "support";
  mb.address = "support@shop.example";
  mb.imap_url = "imaps://imap.shop.example";
  mb.smtp_url = "smtps://smtp.shop.example";
  mb.username = "support";
  mb.password_env = "SUPPORT_PW";
  c.mailboxes.push_back(mb);
  std::string shown = ShowConfig(c);
  EXPECT_NE(shown.find("password_env = \"SUPPORT_PW\""), std::string::npos);
  EXPECT_EQ(shown.find("password ="), std::string::npos);
  EXPECT_EQ(shown.find("password_file"), std::string::npos);
  EXPECT_EQ(shown.find("oauth2_token_command"), std::string::npos);
  ExpectRoundTrip(c, "env secret");
}

TEST(ShowConfigTest, HttpListenShownAndMarkedWhenNotLoopback) {
  const struct {
    const char* listen;
    bool want_warning;
  } cases[] = {
      {"", false},
      {"127.0.0.1:9187", false},
      {"[::1]:0", false},
      {"0.0.0.0:9187", true},
      {"192.168.1.5:9187", true},
      {"[::]:9187", true},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.listen);
    Config cfg = Defaults();
    cfg.http.listen = c.listen;
    std::string shown = ShowConfig(cfg);
    EXPECT_NE(shown.find("[http]\n"), std::string::npos) << shown;
    EXPECT_NE(shown.find("listen = \"" + std::string(c.listen) + "\"\n"),
              std::string::npos)
        << shown;
    EXPECT_EQ(shown.find("# not a loopback address: /healthz and /metrics") !=
                  std::string::npos,
              c.want_warning)
        << shown;
    ExpectRoundTrip(cfg, c.listen);
  }
}

TEST(TomlQuoteTest, Table) {
  const struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"", "\"\""},
      {"plain", "\"plain\""},
      {"a\"b", "\"a\\\"b\""},
      {"a\\b", "\"a\\\\b\""},
      {"l1\nl2\tt\r", "\"l1\\nl2\\tt\\r\""},
      {"\x01\x7f", "\"\\u0001\\u007F\""},
      {"收件箱", "\"收件箱\""},
  };
  for (const auto& c : cases) EXPECT_EQ(TomlQuote(c.in), c.want) << c.in;
}

}  // namespace
}  // namespace inboxd::config
