// deadline_e2e_test.cc: the deadline watcher end to end (issue 9): the real
// `inboxd run` against the private rig (scripts/rig), with second-scale
// deadlines. One quote breaches: its owner is warned, the customer gets a
// delay notice before the breach, the manager and then the board get the
// escalation levels after it. Another quote is met by an agent's reply
// appended to the shared Sent folder. `inboxd tickets --json` shows both.
// Nothing asserts a timing: the test waits for outcomes with generous
// timeouts.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/ci_env.h"
#include "tests/e2e/mail_rig.h"

namespace inboxd::e2e {
namespace {

using std::chrono::seconds;

const std::string kSrc = INBOXD_SOURCE_DIR;

std::string Compose(const std::string& from, const std::string& to,
                    const std::string& subject, const std::string& msgid,
                    const std::string& extra, const std::string& body) {
  return "From: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nDate: " + RfcDateNow() + "\r\nMessage-ID: " + msgid + "\r\n" +
         extra +
         "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8"
         "\r\n\r\n" +
         body + "\r\n";
}

TEST(DeadlineE2eTest, QuoteBreachesWithWarningNoticeEscalationOtherIsMet) {
  auto started = MailRig::Start();
  if (!started) {
    INBOXD_SKIP_OR_FAIL() << "the mail rig did not start: "
                          << started.error().message;
  }
  std::unique_ptr<MailRig> rig = std::move(*started);
  // Second-scale policy: a quote is due 16 s after arrival; the owner is
  // warned at half of that, the customer told 8 s before the due time (the
  // new time is 10 s later), the manager at the breach, the board 4 s after.
  {
    std::ofstream cfg(rig->config(), std::ios::app);
    cfg << R"toml(
[deadlines]
warn_at = "50%"
delay_notice_before = "8s"
delay_extension = "10s"
escalate_every = "4s"
csat_after = "2s"

[deadlines.quote]
ack = "2h"
answer = "16s"

[[agent]]
name = "Anna Agent"
address = "agent@shop.example"
team = "sales"

[[route]]
class = "quote"
primary = "agent@shop.example"
escalate_to = ["manager@shop.example", "board@shop.example"]
)toml";
  }
  ShellResult check = rig->Inboxd("check-config " + rig->config(), false);
  ASSERT_EQ(check.status, 0) << check.out;

  Daemon d(rig->config(), rig->dir() + "/run.log", "--tick 1");
  ASSERT_TRUE(d.Start());
  // Both quotes arrive; the daemon acknowledges them.
  ASSERT_TRUE(rig->Deliver(
      "sales", Compose("Bea <bea@customer.example>", "sales@shop.example",
                       "Quote for 40 chairs", "<q1@customer.example>", "",
                       "Please send us a quote for 40 chairs.")));
  ASSERT_TRUE(rig->Deliver(
      "sales", Compose("Carl <carl@customer.example>", "sales@shop.example",
                       "Quote for 3 desks", "<q2@customer.example>", "",
                       "Please send us a quote for 3 desks.")));
  bool acked = WaitFor(
      [&] {
        return WithSubject(rig->Messages("customer"), "[#Q-").size() >= 2;
      },
      seconds(60));
  ASSERT_TRUE(acked) << ReadFile(rig->dir() + "/run.log");
  // An agent answers the second quote from Thunderbird as sales@: the copy
  // lands in the shared Sent folder.
  std::string reply =
      Compose("Anna <sales@shop.example>", "carl@customer.example",
              "Re: Quote for 3 desks", "<r2-7c1e@mail.shop.example>",
              "In-Reply-To: <q2@customer.example>\r\nReferences: "
              "<q2@customer.example>\r\n",
              "Dear Carl, three desks cost 900 EUR in total.");
  const std::string file = rig->dir() + "/reply.eml";
  std::ofstream(file, std::ios::binary) << reply;
  ShellResult saved = Shell(kSrc + "/scripts/rig doveadm " + rig->dir() +
                            " save -u sales -m Sent <" + file);
  ASSERT_EQ(saved.status, 0) << saved.out;

  // The first quote: warning, delay notice, breach, two escalation levels.
  bool escalated = WaitFor(
      [&] { return !WithSubject(rig->Messages("board"), "Q-1000").empty(); },
      seconds(90));
  // Both commands only read the store: they work while `run` runs.
  ShellResult live = rig->Inboxd("tickets --state all --json");
  EXPECT_EQ(live.status, 0) << live.out;
  EXPECT_TRUE(nlohmann::json::parse(live.out, nullptr, false).is_array())
      << live.out;
  d.Stop(SIGTERM);
  const std::string log = ReadFile(rig->dir() + "/run.log");
  ASSERT_TRUE(escalated) << log;

  // The owner got each quote when it was new (issue 10 item 1) and was
  // warned about Q-1000 (and maybe Q-1001 before its reply).
  auto alerts =
      WithSubject(WithSubject(rig->Messages("agent"), "[inboxd]"), "[#Q-1000]");
  ASSERT_EQ(alerts.size(), 1u) << log;
  auto assigned = WithSubject(rig->Messages("agent"), "Quote for 40 chairs");
  ASSERT_EQ(assigned.size(), 1u) << log;
  EXPECT_NE(assigned[0].Header("Reply-To").find("bea@customer.example"),
            std::string::npos);
  EXPECT_EQ(alerts[0].Header("Auto-Submitted"), "auto-generated");
  EXPECT_NE(alerts[0].DecodedBody().find("bea@customer.example"),
            std::string::npos);
  EXPECT_NE(alerts[0].DecodedBody().find("D2 (answer)"), std::string::npos)
      << alerts[0].DecodedBody();
  // The customer of Q-1000 got a delay notice; Carl (answered) did not.
  int notices_bea = 0, notices_carl = 0;
  for (const auto& m : rig->Messages("customer")) {
    if (m.DecodedBody().find("more time") == std::string::npos) continue;
    if (m.Header("To").find("bea@") != std::string::npos) ++notices_bea;
    if (m.Header("To").find("carl@") != std::string::npos) ++notices_carl;
  }
  EXPECT_EQ(notices_bea, 1) << log;
  EXPECT_EQ(notices_carl, 0) << log;
  // Level 1 to the manager, level 2 to the board, once each.
  EXPECT_EQ(WithSubject(rig->Messages("manager"), "Q-1000").size(), 1u);
  EXPECT_EQ(WithSubject(rig->Messages("board"), "Q-1000").size(), 1u);
  EXPECT_TRUE(WithSubject(rig->Messages("manager"), "Q-1001").empty());

  // What a manager sees: inboxd tickets --json.
  ShellResult t = rig->Inboxd("tickets --state all --json");
  ASSERT_EQ(t.status, 0) << t.out;
  nlohmann::json tickets = nlohmann::json::parse(t.out, nullptr, false);
  ASSERT_TRUE(tickets.is_array()) << t.out;
  std::map<std::string, nlohmann::json> d2;
  for (const auto& tk : tickets) {
    for (const auto& m : tk["milestones"]) {
      if (m["id"] == "D2") d2[tk["ticket"].get<std::string>()] = m;
    }
    for (const char* key : {"ticket", "mailbox", "class", "state", "owner",
                            "customer", "subject", "opened", "milestones"}) {
      EXPECT_TRUE(tk.contains(key)) << key;
    }
  }
  ASSERT_TRUE(d2.count("Q-1000")) << t.out;
  ASSERT_TRUE(d2.count("Q-1001")) << t.out;
  EXPECT_EQ(d2["Q-1000"]["state"], "missed") << t.out;
  EXPECT_EQ(d2["Q-1000"]["escalation_level"], 2) << t.out;
  EXPECT_FALSE(d2["Q-1000"]["notified_at"].is_null()) << t.out;
  EXPECT_NE(d2["Q-1000"]["due"], d2["Q-1000"]["original_due"]) << t.out;
  EXPECT_EQ(d2["Q-1001"]["state"], "met") << t.out;
  ASSERT_TRUE(d2["Q-1001"]["met_by"].is_object()) << t.out;
  EXPECT_EQ(d2["Q-1001"]["met_by"]["how"], "sent_folder");
  EXPECT_EQ(d2["Q-1001"]["met_by"]["message_id"], "r2-7c1e@mail.shop.example");
  EXPECT_EQ(d2["Q-1001"]["met_by"]["folder"], "Sent");
  EXPECT_FALSE(d2["Q-1001"]["met_at"].is_null());

  // The agent marks Carl's message $Done in their mail client (a keyword on
  // the message in the shared INBOX): the next run closes the ticket, and
  // csat_after later Carl is asked whether he was satisfied (C4), once.
  ShellResult flagged =
      Shell(kSrc + "/scripts/rig doveadm " + rig->dir() +
            " flags add -u sales '$Done' mailbox INBOX header Message-ID "
            "q2@customer.example");
  ASSERT_EQ(flagged.status, 0) << flagged.out;
  ShellResult once = rig->Inboxd("once");
  ASSERT_EQ(once.status, 0) << once.out;
  EXPECT_NE(once.out.find("mail client: 1 ticket(s) closed"), std::string::npos)
      << once.out;
  ShellResult closed = rig->Inboxd("tickets --state closed --json");
  ASSERT_EQ(closed.status, 0) << closed.out;
  nlohmann::json cj = nlohmann::json::parse(closed.out, nullptr, false);
  ASSERT_TRUE(cj.is_array() && cj.size() == 1) << closed.out;
  EXPECT_EQ(cj[0]["ticket"], "Q-1001");
  ::sleep(3);
  ASSERT_EQ(rig->Inboxd("once").status, 0);
  ASSERT_EQ(rig->Inboxd("once").status, 0);
  int csat = 0;
  for (const auto& m : rig->Messages("customer")) {
    if (m.Header("To").find("carl@") != std::string::npos &&
        m.DecodedBody().find("satisfied") != std::string::npos) {
      ++csat;
    }
  }
  EXPECT_EQ(csat, 1) << ReadFile(rig->dir() + "/deliveries.jsonl");
}

TEST(DeadlineE2eTest, DeadlinesCommandPrintsTheCalendar) {
  // No rig needed: a config file and the binary.
  const std::string dir = ::testing::TempDir() + "/deadlines_cmd";
  std::filesystem::create_directories(dir);
  const std::string cfg = dir + "/inboxd.toml";
  std::ofstream(cfg) << "[state]\ndir = \"" << dir << "/state\"\n"
                     << R"toml(
[[mailbox]]
name = "sales"
address = "sales@shop.example"
imap_url = "imaps://127.0.0.1:1"
smtp_url = "smtps://127.0.0.1:1"
username = "sales"
password_env = "NOPE"
time_zone = "Europe/Berlin"
)toml";
  ShellResult r =
      Shell(std::string(INBOXD_BIN) + " deadlines --config " + cfg +
            " --mailbox sales --class quote --received 2026-03-28T10:00:00Z "
            "--json");
  ASSERT_EQ(r.status, 0) << r.out;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["mailbox"], "sales");
  EXPECT_EQ(j["class"], "quote");
  EXPECT_EQ(j["received"], "2026-03-28T11:00:00+01:00");
  std::map<std::string, std::string> due;
  for (const auto& m : j["milestones"]) {
    for (const char* key : {"name", "id", "clock", "due"}) {
      EXPECT_TRUE(m.contains(key)) << key;
    }
    due[m["id"].get<std::string>()] = m["due"].get<std::string>();
  }
  // D1: 2 h elapsed. D2: 2 calendar days at the same wall-clock time, across
  // the spring DST change (Sunday 29 March 2026): Monday 11:00 CEST.
  EXPECT_EQ(due["D1"], "2026-03-28T13:00:00+01:00");
  EXPECT_EQ(due["D2"], "2026-03-30T11:00:00+02:00");
  ShellResult bad =
      Shell(std::string(INBOXD_BIN) + " deadlines --config " + cfg +
            " --mailbox sales --class quote --received "
            "yesterday --json");
  EXPECT_EQ(bad.status, 2) << bad.out;
}

}  // namespace
}  // namespace inboxd::e2e
