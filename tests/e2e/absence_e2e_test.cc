// absence_e2e_test.cc: owners, assignment mail and the out-of-office
// fallback end to end (issue 10): the real `inboxd run` against the private
// rig (scripts/rig). Anna's own out-of-office reply reaches the shared
// mailbox and marks her absent; a new quote goes to the secondary (Hugo,
// who reads German), who gets the customer's message and answers it from
// his own client with Reply; the copy of his answer meets the quote's
// deadline. Anna gets nothing. A customer who wrote to Anna is told who is
// away until when and whom to write to. A later run sends the daily digest
// to Hugo and the team view to the manager. The test prints every mail each
// person received. Nothing asserts a timing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/ci_env.h"
#include "tests/e2e/mail_rig.h"

namespace inboxd::e2e {
namespace {

using std::chrono::seconds;

std::string Compose(const std::string& headers, const std::string& body) {
  return headers + "Date: " + RfcDateNow() +
         "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8"
         "\r\n\r\n" +
         body + "\r\n";
}

// "21 December 2026" for ten days from now (the return date Anna's
// out-of-office reply states).
std::string ReturnDate() {
  static const char* const kMonths[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  std::time_t t = std::time(nullptr) + 10 * 86400;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  return std::to_string(tm.tm_mday) + " " + kMonths[tm.tm_mon] + " " +
         std::to_string(1900 + tm.tm_year);
}

TEST(AbsenceE2eTest, OutOfOfficeReplyMovesWorkToTheSecondary) {
  auto started = MailRig::Start();
  if (!started) {
    INBOXD_SKIP_OR_FAIL() << "the mail rig did not start: "
                          << started.error().message;
  }
  std::unique_ptr<MailRig> rig = std::move(*started);
  {
    std::ofstream cfg(rig->config(), std::ios::app);
    cfg << R"toml(
[routing]
digest_at = "00:00"

# Open every day, so that the digest goes out whatever day the test runs.
[business_hours]
monday = ["00:00-24:00"]
tuesday = ["00:00-24:00"]
wednesday = ["00:00-24:00"]
thursday = ["00:00-24:00"]
friday = ["00:00-24:00"]
saturday = ["00:00-24:00"]
sunday = ["00:00-24:00"]

[[agent]]
name = "Anna Agent"
address = "agent@shop.example"
team = "sales"

[[agent]]
name = "Hugo Helpdesk"
address = "helpdesk@shop.example"
team = "sales"
language = "de"

[[route]]
class = "quote"
primary = "agent@shop.example"
secondary = "helpdesk@shop.example"
escalate_to = ["manager@shop.example"]
)toml";
  }
  ShellResult check = rig->Inboxd("check-config " + rig->config(), false);
  ASSERT_EQ(check.status, 0) << check.out;

  Daemon d(rig->config(), rig->dir() + "/run.log", "--tick 1");
  ASSERT_TRUE(d.Start());
  auto log = [&] { return ReadFile(rig->dir() + "/run.log"); };

  // 1. Anna's out-of-office reply (to an earlier mail from sales@) reaches
  // the shared mailbox.
  const std::string back = ReturnDate();
  ASSERT_TRUE(rig->Deliver(
      "sales",
      Compose("From: Anna Agent <agent@shop.example>\r\n"
              "To: Sales <sales@shop.example>\r\n"
              "Subject: Automatic reply: Order 5521\r\n"
              "Message-ID: <ooo-1@mail.shop.example>\r\n"
              "Auto-Submitted: auto-replied\r\n"
              "X-Auto-Response-Suppress: All\r\n",
              "Thank you for your message. I am out of the office until " +
                  back +
                  " with no access to e-mail. Your request will be handled "
                  "by my colleagues.")));
  nlohmann::json absences;
  bool detected = WaitFor(
      [&] {
        ShellResult r = rig->Inboxd("absence list --json");
        absences = nlohmann::json::parse(r.out, nullptr, false);
        if (!absences.is_array()) return false;
        for (const auto& a : absences) {
          if (a["agent"] == "agent@shop.example" && a["source"] == "detected" &&
              a["active"] == true) {
            return true;
          }
        }
        return false;
      },
      seconds(60));
  ASSERT_TRUE(detected) << absences.dump() << "\n" << log();

  // 2. A new quote: Anna is away, so it goes to Hugo, who is told.
  ASSERT_TRUE(rig->Deliver(
      "sales", Compose("From: Bea Kunde <bea@customer.example>\r\n"
                       "To: sales@shop.example\r\n"
                       "Subject: Quote for 12 lamps\r\n"
                       "Message-ID: <lamps-1@customer.example>\r\n",
                       "Hello, please send us a quote for 12 desk lamps.")));
  bool assigned = WaitFor(
      [&] {
        return !WithSubject(rig->Messages("helpdesk"), "Quote for 12 lamps")
                    .empty();
      },
      seconds(60));
  ASSERT_TRUE(assigned) << log();

  // 3. Dora writes to Anna directly (the shared mailbox in Cc).
  ASSERT_TRUE(rig->Deliver(
      "sales",
      Compose("From: Dora Client <dora@customer.example>\r\n"
              "To: Anna Agent <agent@shop.example>\r\n"
              "Cc: sales@shop.example\r\n"
              "Subject: Price for 5 standing desks\r\n"
              "Message-ID: <desks-1@customer.example>\r\n",
              "Dear Anna, could you send me a quote for 5 standing desks?")));
  bool told = WaitFor(
      [&] {
        return !WithBody(To(rig->Messages("customer"), "dora@"),
                         "Anna Agent is out of the office")
                    .empty();
      },
      seconds(60));
  ASSERT_TRUE(told) << log();

  // 4. Hugo answers Bea from his own client: Reply to the assignment.
  const Mail assignment =
      WithSubject(rig->Messages("helpdesk"), "Quote for 12 lamps").front();
  const std::string reply_to = assignment.Decoded("Reply-To");
  EXPECT_NE(reply_to.find("bea@customer.example"), std::string::npos)
      << reply_to;
  EXPECT_NE(reply_to.find("sales@shop.example"), std::string::npos) << reply_to;
  const std::string answer = Compose(
      "From: Hugo Helpdesk <helpdesk@shop.example>\r\n"
      "To: " +
          reply_to + "\r\nSubject: Re: " + assignment.Decoded("Subject") +
          "\r\nMessage-ID: <hugo-1@mail.shop.example>\r\nIn-Reply-To: " +
          assignment.Header("Message-ID") +
          "\r\nReferences: " + assignment.Header("References") + " " +
          assignment.Header("Message-ID") + "\r\n",
      "Dear Ms Kunde, 12 desk lamps cost 480 EUR in total.\r\n\r\n"
      "Hugo");
  ASSERT_TRUE(rig->Send("helpdesk@shop.example",
                        "bea@customer.example,sales@shop.example", answer));
  nlohmann::json d2;
  bool met = WaitFor(
      [&] {
        ShellResult r = rig->Inboxd("tickets --state all --json");
        nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
        if (!j.is_array()) return false;
        for (const auto& t : j) {
          if (t["subject"] != "Quote for 12 lamps") continue;
          for (const auto& m : t["milestones"]) {
            if (m["id"] == "D2") d2 = m;
          }
        }
        return d2.is_object() && d2["state"] == "met";
      },
      seconds(60));
  d.Stop(SIGTERM);
  ASSERT_TRUE(met) << d2.dump() << "\n" << log();
  EXPECT_EQ(d2["met_by"]["how"], "agent_thread") << d2.dump();
  EXPECT_EQ(d2["met_by"]["message_id"], "hugo-1@mail.shop.example");

  // 5. The next run sends today's digests.
  ShellResult once = rig->Inboxd("once");
  ASSERT_EQ(once.status, 0) << once.out;

  // Who owns what, and why.
  ShellResult t = rig->Inboxd("tickets --state all --json");
  nlohmann::json tickets = nlohmann::json::parse(t.out, nullptr, false);
  ASSERT_TRUE(tickets.is_array()) << t.out;
  for (const auto& tk : tickets) {
    EXPECT_EQ(tk["owner"], "helpdesk@shop.example") << tk.dump();
    EXPECT_NE(tk["owner_reason"].get<std::string>().find("agent@shop.example"),
              std::string::npos)
        << tk.dump();
  }

  // What each person received.
  std::cout << "----- mails received -----\n";
  for (const char* user :
       {"agent", "helpdesk", "manager", "board", "customer", "sales"}) {
    for (const Mail& m : rig->Messages(user)) {
      std::cout << user << " <- " << m.Decoded("From") << " | "
                << m.Decoded("Subject") << "\n";
    }
  }
  std::cout << "---------------------------\n";

  // Anna, away, got nothing: no assignment, no acknowledgement of her
  // out-of-office reply, no digest.
  EXPECT_TRUE(rig->Messages("agent").empty());
  // Hugo: Bea's quote (in German: his language), then Dora's, then his
  // digest.
  auto hugo = rig->Messages("helpdesk");
  auto lamps = WithSubject(hugo, "Quote for 12 lamps");
  ASSERT_EQ(lamps.size(), 1u);
  const std::string note = lamps[0].DecodedBody();
  EXPECT_NE(note.find("liegt jetzt bei Ihnen"), std::string::npos) << note;
  EXPECT_NE(note.find("please send us a quote for 12 desk lamps"),
            std::string::npos)
      << note;
  EXPECT_NE(note.find("agent@shop.example is away until"), std::string::npos)
      << note;
  // Not marked automatic: an out-of-office reply may answer it.
  EXPECT_EQ(lamps[0].Header("Auto-Submitted"), "");
  EXPECT_NE(lamps[0].Header("References").find("lamps-1@customer.example"),
            std::string::npos);
  EXPECT_EQ(WithSubject(hugo, "Price for 5 standing desks").size(), 1u);
  auto digest = WithSubject(hugo, "Ihre Vorgänge");
  ASSERT_EQ(digest.size(), 1u);
  EXPECT_NE(digest[0].DecodedBody().find("bea@customer.example"),
            std::string::npos);
  // The manager: the team view, with owners.
  // The manager is no agent: the mailbox's language (de).
  auto team = WithSubject(rig->Messages("manager"), "Vorgänge des Teams");
  ASSERT_EQ(team.size(), 1u);
  EXPECT_NE(team[0].DecodedBody().find("Hugo Helpdesk"), std::string::npos)
      << team[0].DecodedBody();
  // Bea: the acknowledgement and Hugo's answer (threaded with her quote).
  auto bea = To(rig->Messages("customer"), "bea@");
  std::vector<Mail> hugo_answer;
  for (const Mail& m : WithSubject(bea, "Re: Quote for 12 lamps")) {
    if (m.Header("From").find("helpdesk@") != std::string::npos) {
      hugo_answer.push_back(m);
    }
  }
  ASSERT_EQ(hugo_answer.size(), 1u);
  EXPECT_NE(
      hugo_answer[0].Header("References").find("lamps-1@customer.example"),
      std::string::npos);
  // Dora: told once who is away until when, and whom to write to; never
  // why.
  auto dora = WithBody(To(rig->Messages("customer"), "dora@"),
                       "Anna Agent is out of the office");
  ASSERT_EQ(dora.size(), 1u);
  const std::string told_text = dora[0].DecodedBody();
  EXPECT_NE(told_text.find("helpdesk@shop.example"), std::string::npos)
      << told_text;
  EXPECT_NE(told_text.find("sales@shop.example"), std::string::npos);
  EXPECT_EQ(told_text.find("e-mail"), std::string::npos);  // not her text
}

// Dovecot/Sieve: nobody set Anna absent and no server rule copies her
// auto-replies. The first quote is hers; her Sieve vacation answers the
// assignment mail to the shared mailbox (its envelope sender), inboxd reads
// the return date from it, and her open quote and the next one go to Hugo.
TEST(AbsenceE2eTest, SieveVacationAnsweringTheAssignmentMarksTheAgentAbsent) {
  auto started = MailRig::Start();
  if (!started) {
    INBOXD_SKIP_OR_FAIL() << "the mail rig did not start: "
                          << started.error().message;
  }
  std::unique_ptr<MailRig> rig = std::move(*started);
  {
    std::ofstream cfg(rig->config(), std::ios::app);
    cfg << R"toml(
[[agent]]
name = "Anna Agent"
address = "agent@shop.example"
team = "sales"

[[agent]]
name = "Hugo Helpdesk"
address = "helpdesk@shop.example"
team = "sales"

[[route]]
class = "quote"
primary = "agent@shop.example"
secondary = "helpdesk@shop.example"
)toml";
  }
  const std::string back = ReturnDate();
  ASSERT_TRUE(rig->Vacation("agent", 3600,
                            "I am out of the office until " + back +
                                ". Your mail is not forwarded."));
  Daemon d(rig->config(), rig->dir() + "/run.log", "--tick 1");
  ASSERT_TRUE(d.Start());
  auto log = [&] { return ReadFile(rig->dir() + "/run.log"); };

  ASSERT_TRUE(rig->Deliver(
      "sales", Compose("From: Bea Kunde <bea@customer.example>\r\n"
                       "To: sales@shop.example\r\n"
                       "Subject: Quote for 12 lamps\r\n"
                       "Message-ID: <lamps-2@customer.example>\r\n",
                       "Hello, please send us a quote for 12 desk lamps.")));
  // Anna gets it; her vacation answers; inboxd moves it to Hugo.
  bool moved = WaitFor(
      [&] {
        return !WithSubject(rig->Messages("helpdesk"), "Quote for 12 lamps")
                    .empty();
      },
      seconds(90));
  ASSERT_TRUE(moved) << log();
  ShellResult list = rig->Inboxd("absence list --json");
  nlohmann::json absences = nlohmann::json::parse(list.out, nullptr, false);
  ASSERT_TRUE(absences.is_array()) << list.out;
  ASSERT_EQ(absences.size(), 1u) << list.out;
  EXPECT_EQ(absences[0]["agent"], "agent@shop.example");
  EXPECT_EQ(absences[0]["source"], "detected");
  // Until the day she names (the end of that day, local time).
  std::time_t t = std::time(nullptr) + 11 * 86400;
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char day_after[16];
  std::strftime(day_after, sizeof day_after, "%Y-%m-%d", &tm);
  EXPECT_EQ(absences[0]["until"].get<std::string>().substr(0, 10), day_after)
      << list.out;

  // The next quote goes straight to Hugo.
  ASSERT_TRUE(rig->Deliver(
      "sales", Compose("From: Carl Kunde <carl@customer.example>\r\n"
                       "To: sales@shop.example\r\n"
                       "Subject: Quote for 3 desks\r\n"
                       "Message-ID: <desks-2@customer.example>\r\n",
                       "Please send us a quote for 3 desks.")));
  bool direct = WaitFor(
      [&] {
        return !WithSubject(rig->Messages("helpdesk"), "Quote for 3 desks")
                    .empty();
      },
      seconds(60));
  d.Stop(SIGTERM);
  ASSERT_TRUE(direct) << log();

  std::cout << "----- mails received -----\n";
  for (const char* user : {"agent", "helpdesk", "customer", "sales"}) {
    for (const Mail& m : rig->Messages(user)) {
      std::cout << user << " <- " << m.Decoded("From") << " | "
                << m.Decoded("Subject") << "\n";
    }
  }
  std::cout << "---------------------------\n";
  // Anna got only the first assignment (before anyone knew she was away).
  auto anna = rig->Messages("agent");
  ASSERT_EQ(anna.size(), 1u);
  EXPECT_NE(anna[0].Decoded("Subject").find("Quote for 12 lamps"),
            std::string::npos);
  // Her vacation reply reached the shared mailbox and got no answer.
  EXPECT_EQ(WithSubject(rig->Messages("sales"), "Out of office").size(), 1u);
  EXPECT_TRUE(To(rig->Messages("customer"), "agent@").empty());
  EXPECT_EQ(rig->Messages("helpdesk").size(), 2u);
}

}  // namespace
}  // namespace inboxd::e2e
