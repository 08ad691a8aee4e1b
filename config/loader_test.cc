// loader_test.cc: ParseConfig / ParseRules / LoadConfig: good configs, and a
// table of bad ones with the exact "FILE:LINE:COL: KEY: message" they give.
#include "config/loader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace inboxd::config {
namespace {

// A valid mailbox; bad cases below change one thing in it. Line 1 is
// "[[mailbox]]".
constexpr char kMailbox[] = R"([[mailbox]]
name = "support"
address = "support@shop.example"
imap_url = "imaps://imap.shop.example"
smtp_url = "smtps://smtp.shop.example"
tls = "required"
username = "support"
password_file = "/etc/inboxd/support.pass"
folders = ["INBOX"]
sent_folder = "Sent"
time_zone = "Europe/Berlin"
)";

std::string Replace(std::string s, const std::string& from,
                    const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(ParseConfigTest, MinimalMailbox) {
  auto cfg = ParseConfig(kMailbox, "inboxd.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->mailboxes.size(), 1u);
  const Mailbox& mb = cfg->mailboxes[0];
  EXPECT_EQ(mb.name, "support");
  EXPECT_EQ(mb.imap_url, "imaps://imap.shop.example");
  EXPECT_EQ(mb.password_file, "/etc/inboxd/support.pass");
  EXPECT_EQ(mb.time_zone, "Europe/Berlin");
  EXPECT_EQ(mb.ack_window, Seconds{7200});
  EXPECT_EQ(mb.pos.file, "inboxd.toml");
  EXPECT_EQ(mb.pos.line, 1);
  EXPECT_EQ(cfg->path, "inboxd.toml");
  // Everything not set keeps its POLICY default.
  Config defaults = Defaults();
  EXPECT_EQ(cfg->business_hours, defaults.business_hours);
  EXPECT_EQ(cfg->deadlines, defaults.deadlines);
  EXPECT_EQ(cfg->limits, defaults.limits);
  EXPECT_EQ(cfg->state.dir, "/var/lib/inboxd");
}

TEST(ParseConfigTest, EmptyFileIsDefaults) {
  auto cfg = ParseConfig("", "empty.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  Config want = Defaults();
  want.path = "empty.toml";
  EXPECT_EQ(*cfg, want);
}

TEST(ParseConfigTest, DefaultsArePolicy) {
  Config c = Defaults();
  ASSERT_EQ(c.business_hours.days[0].size(), 2u);
  EXPECT_EQ(c.business_hours.days[0][0].start_minute, 8 * 60 + 30);
  EXPECT_EQ(c.business_hours.days[0][1].end_minute, 18 * 60);
  EXPECT_TRUE(c.business_hours.days[5].empty());
  EXPECT_TRUE(c.business_hours.days[6].empty());
  const auto& complaint = c.deadlines.by_class.at("complaint");
  ASSERT_EQ(complaint.size(), 3u);
  EXPECT_EQ(complaint[1].id, "D5");
  EXPECT_EQ(complaint[1].within, Seconds{2 * 86400});
  EXPECT_EQ(complaint[1].clock, "business");
  EXPECT_EQ(complaint[2].id, "D6");
  EXPECT_EQ(c.deadlines.by_class.at("personal")[0].id, "D4");
  EXPECT_EQ(c.deadlines.delay_notice_before, Seconds{4 * 3600});
  // D7 counts from closing; every other deadline from arrival.
  for (const auto& [cls, list] : c.deadlines.by_class) {
    for (const Deadline& d : list) {
      EXPECT_EQ(d.start, d.name == "followup" ? "close" : "arrival")
          << cls << "." << d.name;
    }
  }
  EXPECT_EQ(c.deadlines.by_class.at("support")[1].start, "close");
  EXPECT_EQ(c.deadlines.delay_notice_for,
            (std::vector<std::string>{"answer", "resolve"}));
  EXPECT_EQ(c.deadlines.delay_extension, Seconds{86400});
  EXPECT_EQ(c.deadlines.warn_at_percent, 75);
  EXPECT_EQ(c.deadlines.escalate_every, Seconds{4 * 3600});
  EXPECT_EQ(c.deadlines.csat_after, Seconds{24 * 3600});
  EXPECT_TRUE(c.accounts.empty());
  EXPECT_TRUE(c.tiers.empty());
  EXPECT_EQ(c.tickets.close_keywords, std::vector<std::string>{"$Done"});
  EXPECT_EQ(c.tickets.waiting_keywords, std::vector<std::string>{"$Waiting"});
  EXPECT_TRUE(c.tickets.close_folders.empty());
  EXPECT_TRUE(c.tickets.waiting_folders.empty());
  EXPECT_EQ(c.tickets.poll_every, Seconds{60});
}

TEST(ParseConfigTest, ValueForms) {
  std::string text = std::string(kMailbox) + R"(
ack_window = 5400
language = "de"
tls_ca_file = "/etc/ssl/private-ca.pem"
[limits]
max_message_bytes = "10MiB"
scan_bytes = 4096
mime_max_depth = 5
[business_hours]
saturday = ["09:00-13:00"]
friday = ["08:00-15:00"]
holidays = [2026-12-25, "2026-12-26"]
[deadlines]
delay_notice_before = "1h30m"
[deadlines.quote]
answer = { within = "3d", clock = "business" }
callback = { within = "4h", id = "Q1" }
[deadlines.complaint]
receipt = "off"
[deadlines.support]
answer = { within = "8h", clock = "business" }
)";
  auto cfg = ParseConfig(text, "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->mailboxes[0].ack_window, Seconds{5400});
  EXPECT_EQ(cfg->mailboxes[0].language, "de");
  EXPECT_EQ(cfg->limits.max_message_bytes, 10u << 20);
  EXPECT_EQ(cfg->limits.scan_bytes, 4096u);
  EXPECT_EQ(cfg->limits.mime_max_depth, 5u);
  ASSERT_EQ(cfg->business_hours.days[5].size(), 1u);
  EXPECT_EQ(cfg->business_hours.days[5][0].start_minute, 9 * 60);
  ASSERT_EQ(cfg->business_hours.days[4].size(), 1u);
  EXPECT_EQ(cfg->business_hours.days[4][0].end_minute, 15 * 60);
  EXPECT_EQ(cfg->business_hours.days[0], Defaults().business_hours.days[0]);
  EXPECT_EQ(cfg->business_hours.holidays,
            (std::vector<std::string>{"2026-12-25", "2026-12-26"}));
  EXPECT_EQ(cfg->deadlines.delay_notice_before, Seconds{5400});
  const auto& quote = cfg->deadlines.by_class.at("quote");
  ASSERT_EQ(quote.size(), 3u);
  EXPECT_EQ(quote[0].name, "ack");  // default kept
  EXPECT_EQ(quote[1].id, "D2");
  EXPECT_EQ(quote[1].within, Seconds{3 * 86400});
  EXPECT_EQ(quote[1].clock, "business");
  EXPECT_EQ(quote[2].name, "callback");
  EXPECT_EQ(quote[2].id, "Q1");
  EXPECT_EQ(quote[2].clock, "calendar");
  const auto& complaint = cfg->deadlines.by_class.at("complaint");
  ASSERT_EQ(complaint.size(), 2u);  // receipt dropped
  EXPECT_EQ(complaint[1].name, "resolve");
  const auto& support = cfg->deadlines.by_class.at("support");
  ASSERT_EQ(support.size(), 3u);
  EXPECT_EQ(support[2].id, "D3");
}

TEST(ParseConfigTest, DisplayNamesPerLanguage) {
  std::string text =
      Replace(kMailbox, "sent_folder = \"Sent\"",
              "display_name = \"Shop Support\"\n"
              "display_names = { de = \"Shop Kundenservice\", fa = "
              "\"پشتیبانی فروشگاه\" }");
  auto cfg = ParseConfig(text, "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const Mailbox& mb = cfg->mailboxes[0];
  EXPECT_EQ(mb.display_names.size(), 2u);
  EXPECT_EQ(DisplayNameFor(mb, "de"), "Shop Kundenservice");
  EXPECT_EQ(DisplayNameFor(mb, "fa"), "پشتیبانی فروشگاه");
  EXPECT_EQ(DisplayNameFor(mb, "en"), "Shop Support");
  EXPECT_EQ(DisplayNameFor(mb, "zh"), "Shop Support");
}

TEST(ParseConfigTest, LoopbackWithoutTls) {
  std::string text = Replace(kMailbox, "tls = \"required\"", "tls = \"none\"");
  text = Replace(text, "imaps://imap.shop.example", "imap://127.0.0.1:11143");
  text = Replace(text, "smtps://smtp.shop.example", "smtp://[::1]:11025");
  auto cfg = ParseConfig(text, "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->mailboxes[0].tls, "none");
}

TEST(ParseConfigTest, SecretSources) {
  for (std::string line :
       {"password_env = \"X\"", "password_command = \"pass show x\"",
        "oauth2_token_command = \"oauth2l fetch\""}) {
    std::string text =
        Replace(kMailbox, "password_file = \"/etc/inboxd/support.pass\"", line);
    auto cfg = ParseConfig(text, "f.toml");
    EXPECT_TRUE(cfg.has_value()) << line << ": " << cfg.error().message;
  }
}

TEST(ParseConfigTest, AgentsRoutesRules) {
  std::string text = std::string(kMailbox) + R"(
[[agent]]
name = "Anna"
address = "anna@shop.example"
team = "sales"
absent = ["2026-08-03T00:00/2026-08-14T23:59"]
[[route]]
class = "quote"
primary = "sales"
secondary = "Anna"
escalate_to = "boss@shop.example"
[[rule]]
id = "local.x"
field = "header:X-Spam-Flag"
pattern = "yes"
kind = "spam"
mailbox = "support"
weak = true
[[rule]]
id = "rfc3834.auto_submitted"
enabled = false
[classify.ticket_prefix]
support = "S"
)";
  auto cfg = ParseConfig(text, "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->agents.size(), 1u);
  EXPECT_EQ(cfg->agents[0].absent.size(), 1u);
  ASSERT_EQ(cfg->routes.size(), 1u);
  EXPECT_EQ(cfg->routes[0].cls, "quote");
  EXPECT_EQ(cfg->routes[0].secondary, "Anna");
  ASSERT_EQ(cfg->rules.size(), 2u);
  EXPECT_EQ(cfg->rules[0].field, "header:X-Spam-Flag");
  EXPECT_TRUE(cfg->rules[0].weak);
  EXPECT_EQ(cfg->rules[0].pos.line, 23);
  EXPECT_FALSE(cfg->rules[1].enabled);
  EXPECT_EQ(cfg->classify.ticket_prefix.at("support"), "S");
}

TEST(ParseConfigTest, DeadlineTimings) {
  auto cfg = ParseConfig(R"([deadlines]
warn_at = "0%"
escalate_every = "2h"
csat_after = 0
delay_extension = "2d"
delay_notice_for = ["D6", "answer", "callback"]
met_by_agent_reply = ["ack", "D6"]
[deadlines.quote]
callback = { within = "4h", start = "close" }
[deadlines.support]
followup = "72h"
answer = { within = "8h", clock = "business", start = "arrival" }
[deadlines.complaint]
followup = { within = "1w", clock = "business" }
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const Deadlines& dl = cfg->deadlines;
  EXPECT_EQ(dl.warn_at_percent, 0);
  EXPECT_EQ(dl.escalate_every, Seconds{7200});
  EXPECT_EQ(dl.csat_after, Seconds{0});
  EXPECT_EQ(dl.delay_extension, Seconds{2 * 86400});
  EXPECT_EQ(dl.delay_notice_for,
            (std::vector<std::string>{"D6", "answer", "callback"}));
  EXPECT_EQ(dl.met_by_agent_reply, (std::vector<std::string>{"ack", "D6"}));
  const Deadline& callback = dl.by_class.at("quote")[2];
  EXPECT_EQ(callback.name, "callback");
  EXPECT_EQ(callback.start, "close");
  const auto& support = dl.by_class.at("support");
  ASSERT_EQ(support.size(), 3u);
  // A plain duration for followup keeps D7's start at closing.
  EXPECT_EQ(support[1].name, "followup");
  EXPECT_EQ(support[1].within, Seconds{72 * 3600});
  EXPECT_EQ(support[1].start, "close");
  EXPECT_EQ(support[2].start, "arrival");
  // So does a table without start, in any class.
  const auto& complaint = dl.by_class.at("complaint");
  EXPECT_EQ(complaint.back().name, "followup");
  EXPECT_EQ(complaint.back().id, "D7");
  EXPECT_EQ(complaint.back().start, "close");
  EXPECT_EQ(complaint.back().clock, "business");

  auto top = ParseConfig("[deadlines]\nwarn_at = \"99%\"\n", "f.toml");
  ASSERT_TRUE(top.has_value()) << top.error().message;
  EXPECT_EQ(top->deadlines.warn_at_percent, 99);
  auto five = ParseConfig("[deadlines]\nwarn_at = \"5%\"\n", "f.toml");
  ASSERT_TRUE(five.has_value()) << five.error().message;
  EXPECT_EQ(five->deadlines.warn_at_percent, 5);
}

TEST(ParseConfigTest, EscalationLevelsAndBoard) {
  auto cfg = ParseConfig(R"([[agent]]
name = "Anna"
address = "anna@shop.example"
team = "sales"
[[route]]
class = "quote"
primary = "sales"
escalate_to = ["Anna", "manager@shop.example", "sales"]
[[route]]
class = "complaint"
primary = "sales"
escalate_to = "manager@shop.example"
board = "board@shop.example"
[[route]]
class = "support"
primary = "sales"
escalate_to = []
board = "Anna"
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->routes.size(), 3u);
  EXPECT_EQ(
      cfg->routes[0].escalate_to,
      (std::vector<std::string>{"Anna", "manager@shop.example", "sales"}));
  EXPECT_EQ(cfg->routes[0].board, "");
  EXPECT_EQ(cfg->routes[1].escalate_to,
            std::vector<std::string>{"manager@shop.example"});
  EXPECT_EQ(cfg->routes[1].board, "board@shop.example");
  EXPECT_TRUE(cfg->routes[2].escalate_to.empty());
  EXPECT_EQ(cfg->routes[2].board, "Anna");
}

TEST(ParseConfigTest, RouteMatrixPerMailboxAndRouting) {
  const std::string text = std::string(kMailbox) + R"(
[routing]
absence_threshold = "4h"
detected_absence = "2d"
[[route]]
class = "quote"
primary = "sales@shop.example"
[[route]]
class = "quote"
mailbox = "support"
primary = "anna@shop.example"
secondary = "bob@shop.example"
)";
  auto cfg = ParseConfig(text, "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->routes.size(), 2u);
  EXPECT_EQ(cfg->routes[0].mailbox, "");
  EXPECT_EQ(cfg->routes[1].mailbox, "support");
  EXPECT_EQ(cfg->routing.absence_threshold, Seconds{4 * 3600});
  EXPECT_EQ(cfg->routing.detected_absence, Seconds{2 * 86400});
  config::Config defaults = config::Defaults();
  EXPECT_EQ(defaults.routing.absence_threshold, Seconds{8 * 3600});
  EXPECT_EQ(defaults.routing.detected_absence, Seconds{24 * 3600});

  // The same class twice for the same mailbox, and an unknown mailbox.
  auto dup = ParseConfig(text + R"([[route]]
class = "quote"
mailbox = "support"
primary = "x@shop.example"
[[route]]
class = "support"
mailbox = "suport"
primary = "x@shop.example"
)",
                         "f.toml");
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find(
                "f.toml:25:1: route[2].class: duplicate route for class "
                "\"quote\" and mailbox \"support\" (also route[1])"),
            std::string::npos)
      << dup.error().message;
  EXPECT_NE(dup.error().message.find(
                "route[3].mailbox: no [[mailbox]] is named \"suport\"; did "
                "you mean 'support'?"),
            std::string::npos)
      << dup.error().message;
}

TEST(ParseConfigTest, AssignmentDigestAndAgentLanguage) {
  auto cfg = ParseConfig(std::string(kMailbox) + R"(
[routing]
assignment_mail = false
digest_at = "07:45"
[[agent]]
name = "Reza"
address = "reza@shop.example"
language = "fa"
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_FALSE(cfg->routing.assignment_mail);
  EXPECT_EQ(cfg->routing.digest_minute, 7 * 60 + 45);
  EXPECT_EQ(cfg->agents[0].language, "fa");
  config::Config defaults = config::Defaults();
  EXPECT_TRUE(defaults.routing.assignment_mail);
  EXPECT_EQ(defaults.routing.digest_minute, -1);  // no digest unless asked

  auto off = ParseConfig(
      std::string(kMailbox) + "[routing]\ndigest_at = \"\"\n", "f.toml");
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_EQ(off->routing.digest_minute, -1);

  auto bad = ParseConfig(std::string(kMailbox) + R"(
[routing]
digest_at = "8 am"
[[agent]]
name = "Reza"
address = "reza@shop.example"
language = "Persian"
)",
                         "f.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find(
                "routing.digest_at: must be a time of day \"HH:MM\""),
            std::string::npos)
      << bad.error().message;
  EXPECT_NE(
      bad.error().message.find("agent[0].language: must be an ISO 639 code"),
      std::string::npos)
      << bad.error().message;
}

TEST(ParseConfigTest, ReportCareAfterAndWeekly) {
  config::Config defaults = config::Defaults();
  EXPECT_EQ(defaults.report.care_after, std::chrono::seconds(30 * 86400));
  EXPECT_EQ(defaults.report.weekly_day, -1);  // no weekly mail unless asked
  EXPECT_EQ(defaults.report.weekly_minute, -1);

  auto cfg = ParseConfig(std::string(kMailbox) + R"(
[report]
care_after = "6w"
weekly = "Friday 17:30"
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  EXPECT_EQ(cfg->report.care_after, std::chrono::seconds(42 * 86400));
  EXPECT_EQ(cfg->report.weekly_day, 4);
  EXPECT_EQ(cfg->report.weekly_minute, 17 * 60 + 30);

  const struct {
    const char* text;
    const char* want;
  } bad[] = {
      {"weekly = \"someday 08:00\"",
       "f.toml:14:1: report.weekly: must be a weekday and a time \"DAY "
       "HH:MM\" like \"monday 08:00\", got \"someday 08:00\""},
      {"weekly = \"monday 25:00\"", "report.weekly: must be a weekday"},
      {"weekly = \"monday\"", "report.weekly: must be a weekday"},
      {"weekly = 8", "report.weekly: expected a string"},
      {"care_after = \"0s\"", "report.care_after: must be longer than 0s"},
      {"care_after = \"soon\"", "report.care_after:"},
      {"care_afte = \"30d\"", "report.care_afte"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.text);
    auto r = ParseConfig(std::string(kMailbox) + "\n[report]\n" + c.text + "\n",
                         "f.toml");
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find(c.want), std::string::npos)
        << r.error().message;
  }
}

TEST(ParseConfigTest, HttpListen) {
  EXPECT_EQ(Defaults().http.listen, "");  // off unless asked
  const struct {
    const char* text;         // the [http] table's body
    const char* want_listen;  // nullptr: refused
    const char* want_error;   // the whole message
  } cases[] = {
      {"", "", ""},
      {"listen = \"\"", "", ""},
      {"listen = \"127.0.0.1:9187\"", "127.0.0.1:9187", ""},
      {"listen = \"[::1]:9187\"", "[::1]:9187", ""},
      {"listen = \"0.0.0.0:9187\"", "0.0.0.0:9187", ""},  // allowed
      {"listen = \"127.0.0.1:0\"", "127.0.0.1:0", ""},
      {"listen = \"localhost:9187\"", nullptr,
       "t.toml:2:1: http.listen: expected HOST:PORT like \"127.0.0.1:9187\" "
       "or \"[::1]:9187\" (HOST must be a numeric IPv4 address or a "
       "bracketed IPv6 address like [::1]; names are not resolved), got "
       "\"localhost:9187\""},
      {"listen = \"127.0.0.1\"", nullptr,
       "t.toml:2:1: http.listen: expected HOST:PORT like \"127.0.0.1:9187\" "
       "or \"[::1]:9187\", got \"127.0.0.1\""},
      {"listen = \"127.0.0.1:70000\"", nullptr,
       "t.toml:2:1: http.listen: expected HOST:PORT like \"127.0.0.1:9187\" "
       "or \"[::1]:9187\" (PORT must be 0..65535), got "
       "\"127.0.0.1:70000\""},
      {"listen = 9187", nullptr,
       "t.toml:2:1: http.listen: expected a string, got an integer"},
      {"listne = \"127.0.0.1:9187\"", nullptr,
       "t.toml:2:1: http.listne: unknown key; did you mean 'listen'?"},
      {"port = 9187", nullptr,
       "t.toml:2:1: http.port: unknown key (known: listen, retry_budget)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseConfig(std::string("[http]\n") + c.text + "\n", "t.toml");
    if (c.want_listen == nullptr) {
      ASSERT_FALSE(r.has_value()) << r->http.listen;
      EXPECT_EQ(r.error().code, core::Code::kInvalidArgument);
      EXPECT_EQ(r.error().message, c.want_error);
      continue;
    }
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->http.listen, c.want_listen);
  }
  // The retry budget of /healthz.
  EXPECT_EQ(Defaults().http.retry_budget, Seconds{600});
  auto budget = ParseConfig("[http]\nretry_budget = \"90s\"\n", "t.toml");
  ASSERT_TRUE(budget.has_value()) << budget.error().message;
  EXPECT_EQ(budget->http.retry_budget, Seconds{90});
  auto zero = ParseConfig("[http]\nretry_budget = \"0s\"\n", "t.toml");
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().message,
            "t.toml:2:1: http.retry_budget: must be longer than 0s");
  auto not_table = ParseConfig("http = \"127.0.0.1:9187\"\n", "t.toml");
  ASSERT_FALSE(not_table.has_value());
  EXPECT_EQ(not_table.error().message,
            "t.toml:1:1: http: expected a table ([http]), got a string");
}

// Issue 14: every connect, greeting, command and SMTP dialogue is bounded.
TEST(ParseConfigTest, NetworkTimeout) {
  EXPECT_EQ(Defaults().limits.network_timeout, Seconds{60});
  auto r = ParseConfig("[limits]\nnetwork_timeout = \"15s\"\n", "t.toml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->limits.network_timeout, Seconds{15});
  auto zero = ParseConfig("[limits]\nnetwork_timeout = \"0s\"\n", "t.toml");
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().message,
            "t.toml:2:1: limits.network_timeout: must be longer than 0s");
}

// The outbox's retry schedule after a temporary SMTP failure.
TEST(ParseConfigTest, ResponderRetrySchedule) {
  const config::Responder d = Defaults().responder;
  EXPECT_EQ(d.retry_after, Seconds{60});
  EXPECT_EQ(d.retry_max, Seconds{3600});
  EXPECT_EQ(d.give_up_after, Seconds{2 * 24 * 3600});
  auto r = ParseConfig(
      "[responder]\nretry_after = \"30s\"\nretry_max = \"15m\"\n"
      "give_up_after = \"6h\"\n",
      "t.toml");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->responder.retry_after, Seconds{30});
  EXPECT_EQ(r->responder.retry_max, Seconds{900});
  EXPECT_EQ(r->responder.give_up_after, Seconds{6 * 3600});
  const struct {
    const char* text;
    const char* want_error;
  } bad[] = {
      {"retry_after = \"0s\"",
       "t.toml:2:1: responder.retry_after: must be longer than 0s"},
      {"give_up_after = true",
       "t.toml:2:1: responder.give_up_after: expected a duration like "
       "\"2h\" or an integer of seconds, got a boolean"},
      {"retry_max = \"30s\"",
       "t.toml:2:1: responder.retry_max: retry_max (30s) must be at least "
       "retry_after (60s)"},
      {"retry_after = \"2h\"",
       "t.toml:2:1: responder.retry_after: retry_max (3600s) must be at least "
       "retry_after (7200s)"},
      {"retry_after = \"2h\"\nretry_max = \"90m\"",
       "t.toml:3:1: responder.retry_max: retry_max (5400s) must be at least "
       "retry_after (7200s)"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.text);
    auto e =
        ParseConfig(std::string("[responder]\n") + c.text + "\n", "t.toml");
    ASSERT_FALSE(e.has_value());
    EXPECT_TRUE(e.error().message.starts_with(c.want_error))
        << e.error().message;
  }
}

// A key that is not bare TOML (empty, spaces, a dot, a newline) is named
// quoted in the error line, which keeps "FILE:LINE:COL: KEY: message" with
// a non-empty KEY on one line (found by the config fuzzer: [""]).
TEST(ParseConfigTest, UnknownQuotedKeysAreNamedQuoted) {
  const struct {
    const char* text;
    const char* want_prefix;
  } cases[] = {
      {"[\"\"]\n", "t.toml:1:2: \"\": unknown key (known: "},
      {"[http]\n\"a b\" = 1\n", "t.toml:2:1: http.\"a b\": unknown key"},
      {"[http]\n\"x.y\" = 1\n", "t.toml:2:1: http.\"x.y\": unknown key"},
      {"[http]\n\"l\\ni\" = 1\n",
       "t.toml:2:1: http.\"l\\u000Ai\": unknown key"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseConfig(c.text, "t.toml");
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().message.starts_with(c.want_prefix))
        << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos)
        << r.error().message;
  }
}

TEST(ParseConfigTest, StateRetention) {
  EXPECT_EQ(config::Defaults().state.retention, Seconds{0});  // forever
  const struct {
    const char* text;
    int64_t want_seconds;  // -1: refused
    const char* want_error;
  } cases[] = {
      {"retention = \"365d\"", 365 * 86400, ""},
      {"retention = \"52w\"", 52 * 7 * 86400, ""},
      {"retention = \"\"", 0, ""},
      {"retention = 86400", 86400, ""},
      {"retention = \"0s\"", -1,
       "f.toml:3:1: state.retention: must be longer than 0s"},
      {"retention = \"a year\"", -1, "state.retention: must be a duration"},
      {"retention = true", -1, "state.retention: expected a duration"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto r = ParseConfig(std::string("[state]\ndir = \"/x\"\n") + c.text + "\n",
                         "f.toml");
    if (c.want_seconds < 0) {
      ASSERT_FALSE(r.has_value());
      EXPECT_NE(r.error().message.find(c.want_error), std::string::npos)
          << r.error().message;
      continue;
    }
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->state.retention, Seconds{c.want_seconds});
  }
}

TEST(ParseConfigTest, RuleFlags) {
  auto cfg = ParseConfig(R"([[rule]]
id = "defect.alone"
field = "body"
pattern = "sachmangel"
flag = "material_defect"
[[rule]]
id = "defect.complaint"
field = "subject"
pattern = "defekt"
class = "complaint"
flag = "material_defect"
[[rule]]
id = "flag.kind"
field = "header:X-Test"
pattern = "yes"
kind = "spam"
flag = "x_test_2"
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->rules.size(), 3u);
  EXPECT_EQ(cfg->rules[0].flag, "material_defect");
  EXPECT_EQ(cfg->rules[0].cls, "");
  EXPECT_EQ(cfg->rules[0].kind, "");
  EXPECT_EQ(cfg->rules[1].cls, "complaint");
  EXPECT_EQ(cfg->rules[1].flag, "material_defect");
  EXPECT_EQ(cfg->rules[2].flag, "x_test_2");
  // Without a flag key a rule sets none.
  auto plain = ParseConfig(
      "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
      "class = \"quote\"\n",
      "f.toml");
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(plain->rules[0].flag, "");
}

TEST(ParseConfigTest, AccountsAndTiers) {
  auto cfg = ParseConfig(R"([tiers.standard]
answer = "2d"
[tiers.premium_24]
answer = { within = "4h", clock = "calendar" }
[tiers.gold]
answer = { within = 3600 }
[[account]]
name = "Müller GmbH"
addresses = ["Einkauf@Mueller.Example"]
domains = ["Mueller.Example", "mueller-werke.example"]
tier = "premium_24"
software_assurance_until = "2028-02-29"
key_account = true
[[account]]
name = "Karimi"
addresses = ["karimi@mail.example"]
tier = "standard"
[[account]]
name = "Date as TOML date"
domains = ["acme.example"]
software_assurance_until = 2027-01-31
[deadlines]
delay_notice_for = ["D3"]  # a tier's answer deadline
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->tiers.size(), 3u);
  const Tier& standard = cfg->tiers.at("standard");
  EXPECT_EQ(standard.name, "standard");
  EXPECT_EQ(standard.answer.id, "D3");
  EXPECT_EQ(standard.answer.name, "answer");
  EXPECT_EQ(standard.answer.start, "arrival");
  EXPECT_EQ(standard.answer.clock, "business");  // the tiers' default clock
  EXPECT_EQ(standard.answer.within, Seconds{2 * 86400});
  const Tier& premium = cfg->tiers.at("premium_24");
  EXPECT_EQ(premium.answer.clock, "calendar");
  EXPECT_EQ(premium.answer.within, Seconds{4 * 3600});
  EXPECT_EQ(cfg->tiers.at("gold").answer.clock, "business");
  EXPECT_EQ(cfg->tiers.at("gold").answer.within, Seconds{3600});

  ASSERT_EQ(cfg->accounts.size(), 3u);
  const Account& a = cfg->accounts[0];
  EXPECT_EQ(a.name, "Müller GmbH");
  EXPECT_EQ(a.addresses,
            std::vector<std::string>{"einkauf@mueller.example"});  // lower
  EXPECT_EQ(a.domains, (std::vector<std::string>{"mueller.example",
                                                 "mueller-werke.example"}));
  EXPECT_EQ(a.tier, "premium_24");
  EXPECT_EQ(a.software_assurance_until, "2028-02-29");
  EXPECT_TRUE(a.key_account);
  EXPECT_EQ(a.pos.line, 7);
  const Account& b = cfg->accounts[1];
  EXPECT_EQ(b.tier, "standard");
  EXPECT_TRUE(b.domains.empty());
  EXPECT_EQ(b.software_assurance_until, "");
  EXPECT_FALSE(b.key_account);
  const Account& c = cfg->accounts[2];
  EXPECT_EQ(c.tier, "");
  EXPECT_EQ(c.software_assurance_until, "2027-01-31");
  EXPECT_EQ(cfg->deadlines.delay_notice_for, std::vector<std::string>{"D3"});
}

TEST(ParseConfigTest, TicketState) {
  auto cfg = ParseConfig(R"([tickets]
close_keywords = ["$Done", "Erledigt", "\\Flagged"]
waiting_keywords = []
close_folders = ["Done", "Erledigt/2026"]
waiting_folders = ["Waiting"]
poll_every = "5m"
)",
                         "f.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  const TicketState& t = cfg->tickets;
  EXPECT_EQ(t.close_keywords,
            (std::vector<std::string>{"$Done", "Erledigt", "\\Flagged"}));
  EXPECT_TRUE(t.waiting_keywords.empty());
  EXPECT_EQ(t.close_folders,
            (std::vector<std::string>{"Done", "Erledigt/2026"}));
  EXPECT_EQ(t.waiting_folders, std::vector<std::string>{"Waiting"});
  EXPECT_EQ(t.poll_every, Seconds{300});
}

struct BadCase {
  const char* label;
  std::string text;
  std::string want;  // the whole error message
};

// Replaces `from` in the valid mailbox by `to`.
std::string M(const std::string& from, const std::string& to) {
  return Replace(kMailbox, from, to);
}

TEST(ParseConfigTest, BadConfigs) {
  const std::string pw = "password_file = \"/etc/inboxd/support.pass\"";
  const BadCase cases[] = {
      {"syntax error", "a = \n", "t.toml:1:5: syntax: "},
      {"unknown key with suggestion", M("sent_folder", "sent_foldr"),
       "t.toml:10:1: mailbox[0].sent_foldr: unknown key; did you mean "
       "'sent_folder'?"},
      {"display name with a line break",
       M("sent_folder = \"Sent\"", "display_name = \"Shop\\r\\nBcc: x@y\""),
       "t.toml:10:1: mailbox[0].display_name: must be one line of at most 200 "
       "bytes"},
      {"display name per language: not a language",
       M("sent_folder = \"Sent\"", "display_names = { German = \"Shop\" }"),
       "t.toml:10:19: mailbox[0].display_names.German: must be an ISO 639 "
       "code like \"en\" or \"de\", got \"German\""},
      {"display name per language with a line break",
       M("sent_folder = \"Sent\"", "display_names = { de = \"a\\nb\" }"),
       "t.toml:10:19: mailbox[0].display_names.de: must be one line of at "
       "most 200 bytes"},
      {"display names not a table",
       M("sent_folder = \"Sent\"", "display_names = \"Shop\""),
       "t.toml:10:1: mailbox[0].display_names: expected a table "
       "([mailbox[0].display_names]), got a string"},
      {"unknown top-level section", "[limit]\n",
       "t.toml:1:2: limit: unknown key; did you mean 'limits'?"},
      {"unknown key without a close one", "[state]\nzzzzzz = 1\n",
       "t.toml:2:1: state.zzzzzz: unknown key (known: dir, retention)"},
      {"wrong type", M("folders = [\"INBOX\"]", "folders = \"INBOX\""),
       "t.toml:9:1: mailbox[0].folders: expected an array of strings, got a "
       "string"},
      {"wrong element type",
       M("folders = [\"INBOX\"]", "folders = [\"INBOX\", 3]"),
       "t.toml:9:21: mailbox[0].folders[1]: expected a string, got an "
       "integer"},
      {"bad imap url scheme",
       M("imaps://imap.shop.example", "https://imap.shop.example"),
       "t.toml:4:1: mailbox[0].imap_url: must start with imap:// or "
       "imaps://, got \"https://imap.shop.example\""},
      {"bad smtp port",
       M("smtps://smtp.shop.example", "smtps://smtp.shop.example:0"),
       "t.toml:5:1: mailbox[0].smtp_url: port must be 1..65535, got "
       "\"smtps://smtp.shop.example:0\""},
      {"bad tls value", M("tls = \"required\"", "tls = \"optional\""),
       "t.toml:6:1: mailbox[0].tls: must be \"required\" or \"none\", got "
       "\"optional\""},
      {"tls none on a public host", M("tls = \"required\"", "tls = \"none\""),
       "t.toml:6:1: mailbox[0].tls: \"none\" is only allowed when the servers "
       "are on loopback (localhost, 127.0.0.1, ::1); host "
       "\"imap.shop.example\" is not"},
      {"unknown time zone", M("Europe/Berlin", "Mars/Olympus"),
       "t.toml:11:1: mailbox[0].time_zone: unknown time zone "
       "\"Mars/Olympus\" (use an IANA name like \"Europe/Berlin\")"},
      {"address without @", M("support@shop.example", "support.shop.example"),
       "t.toml:3:1: mailbox[0].address: must be an address like "
       "name@example.com, got \"support.shop.example\""},
      {"missing secret", M(pw + "\n", ""),
       "t.toml:1:1: mailbox[0]: no secret source: set one of password_file, "
       "password_env, password_command or oauth2_token_command"},
      {"two secrets", M(pw, pw + "\npassword_env = \"PW\""),
       "t.toml:9:1: mailbox[0].password_env: more than one secret source "
       "(password_file, password_env); keep one"},
      {"inline password", M(pw, "password = \"hunter2\""),
       "t.toml:8:1: mailbox[0].password: inline passwords are not allowed; "
       "use password_file (a file holding the password), password_env (an "
       "environment variable) or password_command (a command that prints it)"},
      {"missing required key", M("username = \"support\"\n", ""),
       "t.toml:1:1: mailbox[0].username: missing required key"},
      {"duplicate mailbox names", std::string(kMailbox) + kMailbox,
       "t.toml:13:1: mailbox[1].name: duplicate mailbox name \"support\" "
       "(also mailbox[0])"},
      {"bad duration", M("time_zone", "ack_window = \"2 hours\"\ntime_zone"),
       "t.toml:11:1: mailbox[0].ack_window: must be a duration like \"90s\", "
       "\"30m\", \"2h\", \"2d\" or \"1w\", got \"2 hours\""},
      {"negative duration", "[deadlines]\ndelay_notice_before = -5\n",
       "t.toml:2:1: deadlines.delay_notice_before: must be between 0 and "
       "315360000 seconds"},
      {"bad regex in a rule",
       "[[rule]]\nid = \"r1\"\nfield = \"subject\"\npattern = \"(abc\"\n"
       "kind = \"spam\"\n",
       "t.toml:4:1: rule[0].pattern: bad regular expression: missing ): (abc"},
      {"duplicate rule ids",
       "[[rule]]\nid = \"r1\"\nenabled = false\n[[rule]]\nid = \"r1\"\n"
       "enabled = false\n",
       "t.toml:5:1: rule[1].id: duplicate rule id \"r1\" (also rule[0])"},
      {"rule with kind and class",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
       "kind = \"spam\"\nclass = \"quote\"\n",
       "t.toml:6:1: rule[0].class: a rule sets either kind or class, not both"},
      {"rule with an unknown field",
       "[[rule]]\nid = \"r\"\nfield = \"subjet\"\npattern = \"x\"\n"
       "kind = \"spam\"\n",
       "t.toml:3:1: rule[0].field: unknown field \"subjet\"; did you mean "
       "'subject'?"},
      {"rule naming an unknown mailbox",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
       "kind = \"spam\"\nmailbox = \"nope\"\n",
       "t.toml:1:1: rule[0].mailbox: no [[mailbox]] is named \"nope\""},
      {"bad HH:MM", "[business_hours]\nmonday = [\"08:30-12:60\"]\n",
       "t.toml:2:11: business_hours.monday[0]: must be an interval "
       "\"HH:MM-HH:MM\" like \"08:30-12:00\", got \"08:30-12:60\""},
      {"overlapping intervals",
       "[business_hours]\nmonday = [\"08:30-12:00\", \"11:00-18:00\"]\n",
       "t.toml:2:1: business_hours.monday: intervals must be in order and "
       "must not overlap: \"08:30-12:00\" then \"11:00-18:00\""},
      {"no business time at all",
       "[business_hours]\nmonday = []\ntuesday = []\nwednesday = []\n"
       "thursday = []\nfriday = []\n",
       "t.toml:1:2: business_hours: no business interval on any day of the "
       "week"},
      {"bad holiday", "[business_hours]\nholidays = [\"2026-02-30\"]\n",
       "t.toml:2:13: business_hours.holidays[0]: must be a date "
       "\"YYYY-MM-DD\" like \"2024-12-25\", got \"2026-02-30\""},
      {"unknown deadline class", "[deadlines.qoute]\nack = \"2h\"\n",
       "t.toml:1:12: deadlines.qoute: unknown key; did you mean 'quote'?"},
      {"bad deadline clock",
       "[deadlines.quote]\nanswer = { within = \"2d\", clock = \"work\" }\n",
       "t.toml:2:27: deadlines.quote.answer.clock: must be \"calendar\" or "
       "\"business\", got \"work\""},
      {"zero deadline", "[deadlines.quote]\nanswer = \"0s\"\n",
       "t.toml:2:1: deadlines.quote.answer: must be longer than 0s"},
      {"switching off an unknown deadline",
       "[deadlines.quote]\nakc = \"off\"\n",
       "t.toml:2:1: deadlines.quote.akc: no deadline \"akc\" to switch off; "
       "did you mean 'ack'?"},
      {"deadline table without within",
       "[deadlines.quote]\nanswer = { clock = \"business\" }\n",
       "t.toml:2:1: deadlines.quote.answer: missing required key 'within'"},
      {"unknown key in an inline deadline",
       "[deadlines.quote]\nanswer = { within = \"2d\", clok = \"business\" }\n",
       "t.toml:2:27: deadlines.quote.answer.clok: unknown key; did you mean "
       "'clock'?"},
      {"duplicate agent names",
       "[[agent]]\nname = \"A\"\naddress = \"a@x.example\"\n"
       "[[agent]]\nname = \"A\"\naddress = \"b@x.example\"\n",
       "t.toml:5:1: agent[1].name: duplicate agent name \"A\" (also agent[0])"},
      {"route to an unknown team",
       "[[route]]\nclass = \"quote\"\nprimary = \"salez\"\n",
       "t.toml:3:1: route[0].primary: \"salez\" is neither an address nor the "
       "name or team of an [[agent]]"},
      {"bad noreply regex", "[responder]\nnoreply_regex = \"[a-\"\n",
       "t.toml:2:1: responder.noreply_regex: bad regular expression: missing "
       "]: [a-"},
      {"mailbox as a table", "[mailbox]\nname = \"x\"\n",
       "t.toml:1:2: mailbox: expected an array of tables ([[mailbox]]), got a "
       "table"},
      {"bad log level", "log_level = \"loud\"\n",
       "t.toml:1:1: log_level: must be one of trace, debug, info, warn, error, "
       "critical, off, got \"loud\""},
      {"limit out of range", "[limits]\nmime_max_depth = 0\n",
       "t.toml:2:1: limits.mime_max_depth: must be between 1 and 1000, got 0"},
      {"bad size", "[limits]\nmax_message_bytes = \"25MB\"\n",
       "t.toml:2:1: limits.max_message_bytes: must be a size like 65536, "
       "\"64KiB\", \"25MiB\" or \"1GiB\", got \"25MB\""},
      {"ticket prefix for an unknown mailbox",
       "[classify.ticket_prefix]\nsales = \"Q\"\n",
       "t.toml:2:1: classify.ticket_prefix.sales: no [[mailbox]] is named "
       "\"sales\""},
      {"agent absence backwards",
       "[[agent]]\nname = \"A\"\naddress = \"a@x.example\"\n"
       "absent = [\"2026-08-14T00:00/2026-08-03T00:00\"]\n",
       "t.toml:4:11: agent[0].absent[0]: ends before it starts: "
       "\"2026-08-14T00:00/2026-08-03T00:00\""},
      // [deadlines] timings.
      {"warn_at of 100%", "[deadlines]\nwarn_at = \"100%\"\n",
       "t.toml:2:1: deadlines.warn_at: must be a percentage such as \"75%\" "
       "from \"0%\" (never warn) to \"99%\", got \"100%\""},
      {"warn_at without %", "[deadlines]\nwarn_at = \"75\"\n",
       "t.toml:2:1: deadlines.warn_at: must be a percentage such as \"75%\" "
       "from \"0%\" (never warn) to \"99%\", got \"75\""},
      {"warn_at as a number", "[deadlines]\nwarn_at = 75\n",
       "t.toml:2:1: deadlines.warn_at: must be a percentage such as \"75%\" "
       "from \"0%\" (never warn) to \"99%\", got an integer"},
      {"warn_at negative", "[deadlines]\nwarn_at = \"-5%\"\n",
       "t.toml:2:1: deadlines.warn_at: must be a percentage such as \"75%\" "
       "from \"0%\" (never warn) to \"99%\", got \"-5%\""},
      {"zero escalate_every", "[deadlines]\nescalate_every = \"0s\"\n",
       "t.toml:2:1: deadlines.escalate_every: must be longer than 0s"},
      {"bad escalate_every", "[deadlines]\nescalate_every = \"4 hours\"\n",
       "t.toml:2:1: deadlines.escalate_every: must be a duration like "
       "\"90s\", \"30m\", \"2h\", \"2d\" or \"1w\", got \"4 hours\""},
      {"negative csat_after", "[deadlines]\ncsat_after = -1\n",
       "t.toml:2:1: deadlines.csat_after: must be between 0 and 315360000 "
       "seconds"},
      {"zero delay_extension", "[deadlines]\ndelay_extension = 0\n",
       "t.toml:2:1: deadlines.delay_extension: must be longer than 0s"},
      {"delay_notice_for as a string",
       "[deadlines]\ndelay_notice_for = \"answer\"\n",
       "t.toml:2:1: deadlines.delay_notice_for: expected an array of "
       "strings, got a string"},
      {"delay_notice_for naming no deadline",
       "[deadlines]\ndelay_notice_for = [\"answer\", \"resolv\"]\n",
       "t.toml:2:31: deadlines.delay_notice_for[1]: no deadline has the id "
       "or name \"resolv\"; did you mean 'resolve'?"},
      {"met_by_agent_reply empty entry",
       "[deadlines]\nmet_by_agent_reply = [\"\"]\n",
       "t.toml:2:23: deadlines.met_by_agent_reply[0]: must not be empty"},
      {"delay_notice_for empty entry",
       "[deadlines]\ndelay_notice_for = [\"\"]\n",
       "t.toml:2:21: deadlines.delay_notice_for[0]: must not be empty"},
      {"bad deadline start",
       "[deadlines.support]\nfollowup = { within = \"48h\", start = \"done\" "
       "}\n",
       "t.toml:2:30: deadlines.support.followup.start: must be \"arrival\" or "
       "\"close\", got \"done\""},
      // [[route]] escalation levels and board.
      {"escalate_to as a number",
       "[[route]]\nclass = \"quote\"\nprimary = \"a@x.example\"\n"
       "escalate_to = 3\n",
       "t.toml:4:1: route[0].escalate_to: expected an address, agent name or "
       "team, or an array of them (levels in order), got an integer"},
      {"escalate_to level with a bad address",
       "[[route]]\nclass = \"quote\"\nprimary = \"a@x.example\"\n"
       "escalate_to = [\"m@x.example\", \"boss@\"]\n",
       "t.toml:4:31: route[0].escalate_to[1]: must be an address like "
       "name@example.com, got \"boss@\""},
      {"escalate_to level naming no agent",
       "[[agent]]\nname = \"Anna\"\naddress = \"anna@x.example\"\n"
       "team = \"sales\"\n[[route]]\nclass = \"quote\"\nprimary = \"sales\"\n"
       "escalate_to = [\"Anna\", \"salse\"]\n",
       "t.toml:8:24: route[0].escalate_to[1]: \"salse\" is neither an address "
       "nor the name or team of an [[agent]]; did you mean 'sales'?"},
      {"escalate_to string naming no agent",
       "[[route]]\nclass = \"quote\"\nprimary = \"a@x.example\"\n"
       "escalate_to = \"boss\"\n",
       "t.toml:4:1: route[0].escalate_to: \"boss\" is neither an address nor "
       "the name or team of an [[agent]]"},
      {"empty escalate_to level",
       "[[route]]\nclass = \"quote\"\nprimary = \"a@x.example\"\n"
       "escalate_to = [\"\"]\n",
       "t.toml:4:16: route[0].escalate_to[0]: must not be empty"},
      {"board naming no agent",
       "[[route]]\nclass = \"complaint\"\nprimary = \"a@x.example\"\n"
       "board = \"Board\"\n",
       "t.toml:4:1: route[0].board: \"Board\" is neither an address nor the "
       "name or team of an [[agent]]"},
      {"board with a bad address",
       "[[route]]\nclass = \"complaint\"\nprimary = \"a@x.example\"\n"
       "board = \"board@@x.example\"\n",
       "t.toml:4:1: route[0].board: must be an address like "
       "name@example.com, got \"board@@x.example\""},
      {"empty board",
       "[[route]]\nclass = \"complaint\"\nprimary = \"a@x.example\"\n"
       "board = \"\"\n",
       "t.toml:4:1: route[0].board: must not be empty"},
      {"board as an array",
       "[[route]]\nclass = \"complaint\"\nprimary = \"a@x.example\"\n"
       "board = [\"b@x.example\"]\n",
       "t.toml:4:1: route[0].board: expected a string, got an array"},
      // [[rule]] flag.
      {"rule flag with upper case and '-'",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
       "flag = \"Material-Defect\"\n",
       "t.toml:5:1: rule[0].flag: must be lower-case letters, digits or '_' "
       "(like \"material_defect\"), got \"Material-Defect\""},
      {"empty rule flag",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
       "class = \"quote\"\nflag = \"\"\n",
       "t.toml:6:1: rule[0].flag: must be lower-case letters, digits or '_' "
       "(like \"material_defect\"), got \"\""},
      {"rule with kind, class and flag",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
       "kind = \"spam\"\nclass = \"quote\"\nflag = \"f\"\n",
       "t.toml:6:1: rule[0].class: a rule sets either kind or class, not both"},
      {"rule with nothing to set",
       "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n",
       "t.toml:1:1: rule[0]: a rule must set kind (auto_reply, bounce, "
       "list_bulk, spam), class or flag"},
      // [[account]].
      {"account without a name", "[[account]]\ndomains = [\"x.example\"]\n",
       "t.toml:1:1: account[0].name: missing required key"},
      {"account without addresses or domains",
       "[[account]]\nname = \"A\"\naddresses = []\n",
       "t.toml:1:1: account[0]: an account needs at least one address or "
       "domain (set addresses or domains)"},
      {"duplicate account names",
       "[[account]]\nname = \"A\"\ndomains = [\"x.example\"]\n"
       "[[account]]\nname = \"A\"\ndomains = [\"y.example\"]\n",
       "t.toml:5:1: account[1].name: duplicate account name \"A\" (also "
       "account[0])"},
      {"account with a bad address",
       "[[account]]\nname = \"A\"\naddresses = [\"a.x.example\"]\n",
       "t.toml:3:14: account[0].addresses[0]: must be an address like "
       "name@example.com, got \"a.x.example\""},
      {"account domain with @",
       "[[account]]\nname = \"A\"\ndomains = [\"@x.example\"]\n",
       "t.toml:3:12: account[0].domains[0]: must be a domain like "
       "\"shop.example\", got \"@x.example\""},
      {"address in two accounts",
       "[[account]]\nname = \"Acme\"\naddresses = [\"buyer@x.example\"]\n"
       "[[account]]\nname = \"Other\"\n"
       "addresses = [\"a@y.example\", \"Buyer@X.example\"]\n",
       "t.toml:6:29: account[1].addresses[1]: address \"buyer@x.example\" is "
       "also in account[0] (\"Acme\"); an address or domain belongs to one "
       "account"},
      {"domain in two accounts",
       "[[account]]\nname = \"Acme\"\ndomains = [\"x.example\"]\n"
       "[[account]]\nname = \"Other\"\ndomains = [\"X.EXAMPLE\"]\n",
       "t.toml:6:12: account[1].domains[0]: domain \"x.example\" is also in "
       "account[0] (\"Acme\"); an address or domain belongs to one account"},
      {"domain listed twice in one account",
       "[[account]]\nname = \"Acme\"\ndomains = [\"x.example\", "
       "\"x.example\"]\n",
       "t.toml:3:25: account[0].domains[1]: domain \"x.example\" is listed "
       "twice"},
      {"account naming an unknown tier",
       "[tiers.premium]\nanswer = \"4h\"\n[[account]]\nname = \"A\"\n"
       "domains = [\"x.example\"]\ntier = \"premum\"\n",
       "t.toml:6:1: account[0].tier: unknown tier \"premum\"; did you mean "
       "'premium'?"},
      {"account tier without any tiers",
       "[[account]]\nname = \"A\"\ndomains = [\"x.example\"]\n"
       "tier = \"gold\"\n",
       "t.toml:4:1: account[0].tier: unknown tier \"gold\" (no "
       "[tiers.<name>] table is defined)"},
      {"bad software assurance date",
       "[[account]]\nname = \"A\"\ndomains = [\"x.example\"]\n"
       "software_assurance_until = \"2027-02-30\"\n",
       "t.toml:4:1: account[0].software_assurance_until: must be a date "
       "\"YYYY-MM-DD\" like \"2024-12-25\", got \"2027-02-30\""},
      {"key_account as a string",
       "[[account]]\nname = \"A\"\ndomains = [\"x.example\"]\n"
       "key_account = \"yes\"\n",
       "t.toml:4:1: account[0].key_account: expected a boolean, got a string"},
      {"unknown account key",
       "[[account]]\nname = \"A\"\ndomains = [\"x.example\"]\n"
       "tiers = \"gold\"\n",
       "t.toml:4:1: account[0].tiers: unknown key; did you mean 'tier'?"},
      {"account as a table", "[account]\nname = \"A\"\n",
       "t.toml:1:2: account: expected an array of tables ([[account]]), got "
       "a table"},
      // [tiers.<name>].
      {"tier name with upper case", "[tiers.Gold]\nanswer = \"4h\"\n",
       "t.toml:1:8: tiers.Gold: a tier name must be lower-case letters, "
       "digits or '_'"},
      {"tier without answer", "[tiers.gold]\n",
       "t.toml:1:1: tiers.gold.answer: missing required key"},
      {"tier that is not a table", "[tiers]\ngold = \"4h\"\n",
       "t.toml:2:1: tiers.gold: expected a table ([tiers.gold]), got a "
       "string"},
      {"zero tier answer", "[tiers.gold]\nanswer = \"0s\"\n",
       "t.toml:2:1: tiers.gold.answer: must be longer than 0s"},
      {"tier answer with a start",
       "[tiers.gold]\nanswer = { within = \"4h\", start = \"close\" }\n",
       "t.toml:2:27: tiers.gold.answer.start: unknown key (known: within, "
       "clock)"},
      {"tier answer with a bad clock",
       "[tiers.gold]\nanswer = { within = \"4h\", clock = \"office\" }\n",
       "t.toml:2:27: tiers.gold.answer.clock: must be \"calendar\" or "
       "\"business\", got \"office\""},
      {"tier answer as a boolean", "[tiers.gold]\nanswer = true\n",
       "t.toml:2:1: tiers.gold.answer: expected a duration (\"8h\") or a "
       "table like { within = \"8h\", clock = \"business\" }, got a boolean"},
      {"unknown tier key", "[tiers.gold]\nanswer = \"4h\"\nanwser = \"2h\"\n",
       "t.toml:3:1: tiers.gold.anwser: unknown key; did you mean 'answer'?"},
      // [tickets].
      {"keyword with a space", "[tickets]\nclose_keywords = [\"$Done Now\"]\n",
       "t.toml:2:19: tickets.close_keywords[0]: must be an IMAP keyword such "
       "as \"$Done\" (no spaces or ( ) { } % * \" \\ ]), got \"$Done Now\""},
      {"keyword with a parenthesis",
       "[tickets]\nwaiting_keywords = [\"(wait)\"]\n",
       "t.toml:2:21: tickets.waiting_keywords[0]: must be an IMAP keyword "
       "such as \"$Done\" (no spaces or ( ) { } % * \" \\ ]), got \"(wait)\""},
      {"keyword that is only a backslash",
       "[tickets]\nclose_keywords = [\"\\\\\"]\n",
       "t.toml:2:19: tickets.close_keywords[0]: must be an IMAP keyword such "
       "as \"$Done\" (no spaces or ( ) { } % * \" \\ ]), got \"\\\""},
      {"keyword with a wildcard", "[tickets]\nclose_keywords = [\"Done*\"]\n",
       "t.toml:2:19: tickets.close_keywords[0]: must be an IMAP keyword such "
       "as \"$Done\" (no spaces or ( ) { } % * \" \\ ]), got \"Done*\""},
      {"keyword both close and waiting (case-insensitive)",
       "[tickets]\nwaiting_keywords = [\"$waiting\", \"$done\"]\n",
       "t.toml:2:33: tickets.waiting_keywords[1]: \"$done\" is also in "
       "close_keywords; a ticket cannot be both closed and waiting"},
      {"close keyword that is the default waiting one",
       "[tickets]\nclose_keywords = [\"$Waiting\"]\n",
       "t.toml:2:19: tickets.close_keywords[0]: \"$Waiting\" is also in "
       "waiting_keywords; a ticket cannot be both closed and waiting"},
      {"folder both close and waiting",
       "[tickets]\nclose_folders = [\"Done\", \"Later\"]\n"
       "waiting_folders = [\"Later\"]\n",
       "t.toml:3:20: tickets.waiting_folders[0]: \"Later\" is also in "
       "close_folders; a ticket cannot be both closed and waiting"},
      {"empty folder", "[tickets]\nclose_folders = [\"\"]\n",
       "t.toml:2:18: tickets.close_folders[0]: must not be empty"},
      {"zero poll_every", "[tickets]\npoll_every = \"0s\"\n",
       "t.toml:2:1: tickets.poll_every: must be longer than 0s"},
      {"unknown tickets key", "[tickets]\nclose_folder = [\"Done\"]\n",
       "t.toml:2:1: tickets.close_folder: unknown key; did you mean "
       "'close_folders'?"},
  };
  for (const BadCase& c : cases) {
    auto got = ParseConfig(c.text, "t.toml");
    if (got.has_value()) {
      ADD_FAILURE() << c.label << ": parsed, want error " << c.want;
      continue;
    }
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << c.label;
    if (std::string_view(c.label) == "syntax error") {
      // toml++ words its own message; the position and key are ours.
      EXPECT_EQ(got.error().message.rfind(c.want, 0), 0u)
          << c.label << ": " << got.error().message;
      continue;
    }
    EXPECT_EQ(got.error().message, c.want) << c.label;
  }
}

TEST(ParseConfigTest, AllErrorsInFileOrder) {
  std::string text = M("tls = \"required\"", "tls = \"nope\"");
  text = Replace(text, "Europe/Berlin", "Nowhere/City");
  text = "log_level = \"x\"\n" + text + "[state]\ndirr = \"/x\"\n";
  auto got = ParseConfig(text, "t.toml");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().message,
            "t.toml:1:1: log_level: must be one of trace, debug, info, warn, "
            "error, critical, off, got \"x\"\n"
            "t.toml:7:1: mailbox[0].tls: must be \"required\" or \"none\", got "
            "\"nope\"\n"
            "t.toml:12:1: mailbox[0].time_zone: unknown time zone "
            "\"Nowhere/City\" (use an IANA name like \"Europe/Berlin\")\n"
            "t.toml:14:1: state.dirr: unknown key; did you mean 'dir'?");
}

TEST(ParseRulesTest, GoodAndBad) {
  auto good = ParseRules(
      "[[rule]]\nid = \"dsn\"\nfield = \"content_type\"\n"
      "pattern = \"report-type=delivery-status\"\nkind = \"bounce\"\n"
      "description = \"RFC 3464 DSN\"\n",
      "default_rules.toml");
  ASSERT_TRUE(good.has_value()) << good.error().message;
  ASSERT_EQ(good->size(), 1u);
  EXPECT_EQ((*good)[0].kind, "bounce");
  EXPECT_EQ((*good)[0].pos.file, "default_rules.toml");
  EXPECT_EQ((*good)[0].pos.line, 1);

  // A rule file holds rules only; rules may name mailboxes it cannot know.
  auto mailbox_ok = ParseRules(
      "[[rule]]\nid = \"r\"\nfield = \"body\"\npattern = \"x\"\n"
      "class = \"quote\"\nmailbox = \"sales\"\n",
      "r.toml");
  EXPECT_TRUE(mailbox_ok.has_value());

  // A rule may set a flag alone (classify/default_rules.toml uses the same
  // parser).
  auto flag_only = ParseRules(
      "[[rule]]\nid = \"defect\"\nfield = \"body\"\npattern = \"defekt\"\n"
      "flag = \"material_defect\"\n",
      "r.toml");
  ASSERT_TRUE(flag_only.has_value()) << flag_only.error().message;
  EXPECT_EQ((*flag_only)[0].flag, "material_defect");

  auto bad =
      ParseRules("[state]\ndir = \"x\"\n[[rule]]\nid = \"r\"\n", "r.toml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "r.toml:1:2: state: unknown key (known: rule)\n"
            "r.toml:3:1: rule[0].field: missing required key\n"
            "r.toml:3:1: rule[0].pattern: missing required key\n"
            "r.toml:3:1: rule[0]: a rule must set kind (auto_reply, bounce, "
            "list_bulk, spam), class or flag");
}

TEST(ParseConfigTest, ExampleFileParses) {
  auto cfg = LoadConfig(INBOXD_SOURCE_DIR "/config/inboxd.example.toml");
  ASSERT_TRUE(cfg.has_value()) << cfg.error().message;
  ASSERT_EQ(cfg->mailboxes.size(), 2u);
  EXPECT_EQ(cfg->mailboxes[0].name, "support");
  EXPECT_EQ(cfg->mailboxes[1].name, "sales");
  EXPECT_EQ(cfg->mailboxes[1].password_command, "cat /etc/inboxd/sales.pass");
  // The example documents the defaults: apart from what it adds, it is
  // Defaults().
  Config defaults = Defaults();
  EXPECT_EQ(cfg->limits, defaults.limits);
  EXPECT_EQ(cfg->deadlines, defaults.deadlines);
  EXPECT_EQ(cfg->business_hours.days[0], defaults.business_hours.days[0]);
  EXPECT_EQ(cfg->responder.noreply_regex, defaults.responder.noreply_regex);
  EXPECT_EQ(cfg->templates.forbidden_phrases,
            defaults.templates.forbidden_phrases);
  EXPECT_EQ(cfg->state, defaults.state);
  EXPECT_EQ(cfg->log_level, defaults.log_level);
  EXPECT_EQ(cfg->agents.size(), 3u);
  EXPECT_EQ(cfg->rules.size(), 1u);
  ASSERT_EQ(cfg->routes.size(), 3u);
  EXPECT_EQ(cfg->routes[0].escalate_to,
            (std::vector<std::string>{"manager@shop.example",
                                      "director@shop.example"}));
  EXPECT_EQ(cfg->routes[2].cls, "complaint");
  EXPECT_EQ(cfg->routes[2].board, "board@shop.example");
  ASSERT_EQ(cfg->tiers.size(), 2u);
  EXPECT_EQ(cfg->tiers.at("standard").answer.clock, "business");
  EXPECT_EQ(cfg->tiers.at("premium").answer.within, Seconds{4 * 3600});
  ASSERT_EQ(cfg->accounts.size(), 2u);
  EXPECT_TRUE(cfg->accounts[0].key_account);
  EXPECT_EQ(cfg->accounts[0].software_assurance_until, "2027-03-31");
  EXPECT_FALSE(cfg->accounts[1].key_account);
  EXPECT_EQ(cfg->tickets.close_folders, std::vector<std::string>{"Done"});
  EXPECT_EQ(cfg->http, Defaults().http);  // off, as documented
  // The rest of [tickets] shows the defaults.
  TicketState tickets = cfg->tickets;
  tickets.close_folders.clear();
  EXPECT_EQ(tickets, defaults.tickets);
}

TEST(LoadConfigTest, MissingFile) {
  auto cfg = LoadConfig("/nonexistent/inboxd.toml");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().code, core::Code::kInvalidArgument);
  EXPECT_EQ(cfg.error().message,
            "/nonexistent/inboxd.toml:0:0: file: cannot read: No such file or "
            "directory");
}

TEST(ParseConfigTest, TooLarge) {
  std::string text(kMaxConfigBytes + 1, '#');
  auto cfg = ParseConfig(text, "big.toml");
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            "big.toml:0:0: file: larger than 1048576 bytes");
}

TEST(LoadConfigTest, ErrorsNameThePath) {
  std::string path = ::testing::TempDir() + "config_loader_test.toml";
  {
    std::ofstream out(path);
    out << "[state]\ndir = 5\n";
  }
  auto cfg = LoadConfig(path);
  std::remove(path.c_str());
  ASSERT_FALSE(cfg.has_value());
  EXPECT_EQ(cfg.error().message,
            path + ":2:1: state.dir: expected a string, got an integer");
}

}  // namespace
}  // namespace inboxd::config
