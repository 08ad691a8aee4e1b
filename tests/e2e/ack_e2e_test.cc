// ack_e2e_test.cc: the real inboxd binary (`once`, `run`, `--dry-run`)
// against a private rig (scripts/rig: Dovecot IMAP+LMTP+Sieve and an SMTP
// server delivering into it). Every case starts its own rig; timeouts are
// generous and nothing asserts a timing (the IDLE delay is printed).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"
#include "store/store.h"
#include "tests/ci_env.h"
#include "tests/e2e/mail_rig.h"

namespace inboxd::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kSrc = INBOXD_SOURCE_DIR;

std::map<std::string, int> CountByInReplyTo(const std::vector<Mail>& acks) {
  std::map<std::string, int> n;
  for (const auto& a : acks) ++n[a.Header("In-Reply-To")];
  return n;
}

class AckE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto rig = MailRig::Start();
    if (!rig) {
      INBOXD_SKIP_OR_FAIL()
          << "the mail rig did not start: " << rig.error().message;
    }
    rig_ = std::move(*rig);
  }

  void Once(const std::string& extra = "") {
    ShellResult r = rig_->Inboxd("once " + extra);
    ASSERT_EQ(r.status, 0) << r.out;
  }

  void WaitDaemonConnected() {
    if (!rig_->WaitDaemonConnected()) {
      std::printf("[ note ] status never showed connected=true\n");
    }
  }

  std::unique_ptr<MailRig> rig_;
};

// 3a: customer mail -> exactly one ack with the right headers, language and
// due time, a copy in the shared Sent; automatic mail -> nothing; a second
// `once` sends nothing new.
TEST_F(AckE2eTest, CustomerMailGetsExactlyOneAckAutomaticMailNone) {
  struct Case {
    const char* file;
    const char* user;
    bool ack;
    const char* lang;
    const char* customer;
    const char* subject;  // expected decoded ack subject
    const char* phrase;   // expected in the decoded body
  };
  const Case kCases[] = {
      {"01-quote-de.eml", "sales", true, "de", "einkauf@kunde-gmbh.example",
       "Re: Anfrage: Angebot für 50 Lizenzen [#Q-1000]", "bis spätestens"},
      {"02-support-en.eml", "support", true, "en", "alice@customer.example",
       // No contract tier, so no D3: a personal reply, no time (issue 15).
       "Re: Export to CSV fails with error 500 [#S-1000]",
       "reply to you personally"},
      {"05-out-of-office.eml", "support", false, "", "", "", ""},
      {"06-bounce.eml", "support", false, "", "", "", ""},
      {"07-newsletter.eml", "sales", false, "", "", "", ""},
  };
  std::map<std::string, const Case*> by_msgid;
  for (const auto& c : kCases) {
    std::string raw = ReadFile(kSrc + "/examples/mail/" + c.file);
    ASSERT_TRUE(rig_->Deliver(c.user, raw)) << c.file;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(
        raw, m, std::regex("Message-ID:\\s*(<[^>]+>)", std::regex::icase)));
    by_msgid[m[1]] = &c;
  }
  Once();

  std::vector<Mail> acks = Acks(rig_->Messages("customer"));
  EXPECT_EQ(rig_->Messages("customer").size(), 2u);
  ASSERT_EQ(acks.size(), 2u);
  std::map<std::string, int> counts = CountByInReplyTo(acks);
  for (const auto& [msgid, c] : by_msgid) {
    EXPECT_EQ(counts[msgid], c->ack ? 1 : 0) << c->file;
  }
  for (const auto& a : acks) {
    auto it = by_msgid.find(a.Header("In-Reply-To"));
    ASSERT_NE(it, by_msgid.end()) << a.raw;
    const Case& c = *it->second;
    SCOPED_TRACE(c.file);
    EXPECT_NE(a.Header("From").find(std::string(c.user) + "@shop.example"),
              std::string::npos);
    EXPECT_NE(a.Header("To").find(c.customer), std::string::npos);
    EXPECT_EQ(a.Decoded("Subject"), c.subject);
    EXPECT_NE(a.Header("References").find(it->first), std::string::npos);
    EXPECT_EQ(a.Header("X-Auto-Response-Suppress"), "All");
    std::string our_id = a.Header("Message-ID");
    EXPECT_TRUE(
        std::regex_match(our_id, std::regex("<[^<>@]+@shop\\.example>")))
        << our_id;
    EXPECT_EQ(a.Header("Content-Language"), c.lang);
    std::string text = a.DecodedBody();
    EXPECT_NE(text.find(c.phrase), std::string::npos) << text;
    // Signed, and named in From, in the customer's language: the sales
    // mailbox's display_names has a German name (examples/inboxd.toml).
    const std::string signer =
        std::string(c.lang) == "de" ? "Shop Vertrieb" : "Shop Support";
    EXPECT_NE(a.Decoded("From").find(signer), std::string::npos)
        << a.Decoded("From");
    EXPECT_NE(text.find(signer), std::string::npos) << text;
    EXPECT_EQ(text.find("Shop Sales"), std::string::npos) << text;
    // The quote's due time (D2): a date with year and an hh:mm time.
    if (std::string(c.user) == "sales") {
      EXPECT_TRUE(std::regex_search(
          text, std::regex("bis spätestens .*20[0-9]{2}.*[0-9]{1,2}:[0-9]{2}")))
          << text;
    }
    // The same message in the shared Sent folder.
    int in_sent = 0;
    for (const auto& s : rig_->Messages(c.user, "Sent")) {
      if (s.Header("Message-ID") == our_id) ++in_sent;
    }
    EXPECT_EQ(in_sent, 1);
  }

  // Exactly once: a second and third run send nothing new.
  size_t deliveries = rig_->DeliveriesTo("customer").size();
  EXPECT_EQ(deliveries, 2u);
  Once();
  Once();
  EXPECT_EQ(rig_->DeliveriesTo("customer").size(), deliveries);
  EXPECT_EQ(Acks(rig_->Messages("customer")).size(), 2u);
}

// 3b: `inboxd run` sees a new delivery through IDLE; the ack arrives.
TEST_F(AckE2eTest, RunPicksUpDeliveryThroughIdle) {
  Daemon d(rig_->config(), rig_->dir() + "/run.log");
  ASSERT_TRUE(d.Start());
  WaitDaemonConnected();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail("Carol <carol@customer.example>", "support@shop.example",
                   "Parcel is missing", "<idle-1@customer.example>")));
  bool arrived = WaitFor(
      [&] { return !Acks(rig_->Messages("customer")).empty(); }, seconds(90));
  auto ms = std::chrono::duration_cast<milliseconds>(
                std::chrono::steady_clock::now() - t0)
                .count();
  d.Stop(SIGTERM);
  ASSERT_TRUE(arrived) << ReadFile(rig_->dir() + "/run.log");
  std::printf("[ figure ] IDLE: delivery -> ack in customer mailbox: %lld ms\n",
              static_cast<long long>(ms));
  std::vector<Mail> acks = Acks(rig_->Messages("customer"));
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].Header("In-Reply-To"), "<idle-1@customer.example>");
}

// 3e: --dry-run writes the ack into a Maildir and sends nothing.
TEST_F(AckE2eTest, DryRunWritesMaildirAndSendsNothing) {
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail("Dave <dave@customer.example>", "support@shop.example",
                   "Invoice question", "<dry-1@customer.example>")));
  std::string dry = rig_->dir() + "/dry";
  ShellResult r = rig_->Inboxd("once --dry-run --dry-run-maildir " + dry);
  ASSERT_EQ(r.status, 0) << r.out;
  // Nothing is appended to Sent in a dry run, and the summary says so.
  EXPECT_NE(r.out.find("1 sent (dry run: written to the Maildir)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(", 0 copied to Sent"), std::string::npos) << r.out;
  // The rig's IMAP is clear text: the documented warning, dry run or not.
  EXPECT_NE(r.out.find("tls = \"none\": IMAP without TLS"), std::string::npos)
      << r.out;
  EXPECT_TRUE(rig_->DeliveriesTo("customer").empty());
  EXPECT_TRUE(rig_->Messages("customer").empty());
  EXPECT_TRUE(rig_->Messages("support", "Sent").empty());
  int written = 0;
  for (const char* sub : {"/new", "/cur"}) {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dry + sub, ec)) {
      std::string raw = ReadFile(e.path().string());
      EXPECT_NE(raw.find("In-Reply-To: <dry-1@customer.example>"),
                std::string::npos);
      EXPECT_NE(raw.find("dave@customer.example"), std::string::npos);
      EXPECT_NE(raw.find("Auto-Submitted: auto-replied"), std::string::npos);
      ++written;
    }
  }
  EXPECT_EQ(written, 1);
}

// Issue 14: `check-config --connect` logs in over IMAP and SMTP with the
// real secrets, resolves and examines every folder, names what the server
// lacks, changes no mail, and exits 1 when a mailbox cannot be served.
TEST_F(AckE2eTest, CheckConfigConnectReportsEveryMailboxAndChangesNothing) {
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail("Erin <erin@customer.example>", "support@shop.example",
                   "Where is my parcel?", "<cc-1@customer.example>")));
  ShellResult good = rig_->Inboxd("check-config --connect " + rig_->config(),
                                  /*with_config=*/false);
  EXPECT_EQ(good.status, 0) << good.out;
  for (const char* want :
       {"mailbox support\n", "logged in as \"support\"",
        "capabilities: IDLE yes, NOTIFY yes, CONDSTORE yes",
        "folder \"INBOX\": \"INBOX\" (INBOX), 1 message, selectable",
        "sent_folder \"Sent\": \"Sent\" (as configured)",
        "connected without TLS, logged in as \"sales\"",
        "all 2 mailboxes can be served"}) {
    EXPECT_NE(good.out.find(want), std::string::npos) << want << "\n"
                                                      << good.out;
  }
  // Nothing changed: still unseen, nothing sent, nothing in Sent.
  auto inbox = rig_->Messages("support");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0].file.find(":2,S"), std::string::npos) << inbox[0].file;
  EXPECT_TRUE(rig_->DeliveriesTo("customer").empty());
  EXPECT_TRUE(rig_->Messages("support", "Sent").empty());

  // A Sent folder named otherwise is found by its SPECIAL-USE flag; a
  // missing watched folder, a wrong password and a closed SMTP port each
  // make a mailbox unservable.
  std::string text = ReadFile(rig_->config());
  auto replace_in = [](std::string s, const std::string& from,
                       const std::string& to, size_t nth) {
    size_t at = std::string::npos;
    for (size_t i = 0; i <= nth; ++i) at = s.find(from, at + 1);
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  // sales is the first [[mailbox]], support the second.
  std::string bad = replace_in(text, "sent_folder = \"Sent\"",
                               "sent_folder = \"Gesendet\"", 0);
  bad = replace_in(bad, "folders = [\"INBOX\"]",
                   "folders = [\"INBOX\", \"Quotes\"]", 0);
  std::string wrong_pw = rig_->dir() + "/wrong-password";
  std::ofstream(wrong_pw) << "not-the-password\n";
  std::filesystem::permissions(
      wrong_pw,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string support_pw = rig_->dir() + "/secrets/support";
  bad = replace_in(bad, support_pw, wrong_pw, 0);
  std::string bad_path = rig_->dir() + "/bad.toml";
  std::ofstream(bad_path) << bad;
  ShellResult r =
      rig_->Inboxd("check-config --connect " + bad_path, /*with_config=*/false);
  EXPECT_EQ(r.status, 1) << r.out;
  for (const char* want :
       {"sent_folder \"Gesendet\": \"Sent\" (the \\Sent SPECIAL-USE folder)",
        "FAIL folder \"Quotes\": no folder \"Quotes\" on the server (its "
        "folders: ",
        "FAIL imap imap://127.0.0.1:", "refused", "cannot be served",
        "2 of 2 mailboxes cannot be served"}) {
    EXPECT_NE(r.out.find(want), std::string::npos) << want << "\n" << r.out;
  }
  // SMTP port closed.
  std::string smtp = rig_->env("SMTP_URL");
  std::string closed = replace_in(text, smtp, "smtp://127.0.0.1:1", 0);
  std::ofstream(bad_path) << closed;
  ShellResult s =
      rig_->Inboxd("check-config --connect " + bad_path, /*with_config=*/false);
  EXPECT_EQ(s.status, 1) << s.out;
  EXPECT_NE(s.out.find("FAIL smtp smtp://127.0.0.1:1"), std::string::npos)
      << s.out;
  EXPECT_NE(s.out.find("1 of 2 mailboxes cannot be served"), std::string::npos)
      << s.out;
}

// 3c: the customer has a Sieve vacation responder. It never answers our ack
// (Auto-Submitted); when an agent writes to the customer by hand, the
// vacation reply comes back to support@ and inboxd does not answer it.
TEST_F(AckE2eTest, VacationResponderPingPongEndsAtOnce) {
  ASSERT_TRUE(rig_->Vacation("customer", 1));
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail("Erin <erin@customer.example>", "support@shop.example",
                   "Broken zipper", "<pp-1@customer.example>")));
  Once();
  ASSERT_EQ(Acks(rig_->Messages("customer")).size(), 1u);
  // An agent answers personally (no Auto-Submitted): the vacation fires.
  ASSERT_TRUE(rig_->Send(
      "support@shop.example", "erin@customer.example",
      CustomerMail("Anna <support@shop.example>", "erin@customer.example",
                   "Re: Broken zipper [#S-1000]", "<agent-1@shop.example>",
                   "We will send a new one.")));
  bool vacation_back = WaitFor(
      [&] {
        for (const auto& m : rig_->Messages("support")) {
          if (m.Decoded("Subject").find("Out of office") != std::string::npos)
            return true;
        }
        return false;
      },
      seconds(30));
  ASSERT_TRUE(vacation_back) << ReadFile(rig_->dir() + "/dovecot.log");
  for (int i = 0; i < 3; ++i) Once();
  {
    Daemon d(rig_->config(), rig_->dir() + "/run.log");
    ASSERT_TRUE(d.Start());
    WaitDaemonConnected();
    ::sleep(3);
    d.Stop(SIGTERM);
  }
  std::vector<Mail> acks = Acks(rig_->Messages("customer"));
  EXPECT_EQ(acks.size(), 1u);
  // Customer mailbox: our one ack and the agent's mail, nothing else.
  EXPECT_EQ(rig_->DeliveriesTo("customer").size(), 2u);
  // Support received exactly: the customer's mail and one vacation reply.
  EXPECT_EQ(rig_->Messages("support").size(), 2u);
}

// An agent's reply as support@ lands in the shared Sent folder: the next
// `once` sends no ack to it, meets the ticket's D1 deadline and records an
// agent.reply audit event (read from the store, opened after inboxd exits).
TEST_F(AckE2eTest, AgentReplyInSentMeetsD1AndGetsNoAck) {
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail("Gina <gina@customer.example>", "support@shop.example",
                   "Wrong size delivered", "<ar-1@customer.example>")));
  Once();
  std::vector<Mail> acks = Acks(rig_->Messages("customer"));
  ASSERT_EQ(acks.size(), 1u);
  std::smatch tag;
  std::string ack_subject = acks[0].Decoded("Subject");
  ASSERT_TRUE(std::regex_search(ack_subject, tag,
                                std::regex("\\[#([A-Z]+)-([0-9]+)\\]")))
      << ack_subject;

  // The id Thunderbird gives the reply: at the mailbox's own domain, like
  // inboxd's ids, but not of inboxd's shape (classify/thread.cc
  // IsOurMessageId), so it is an agent's reply, not our own mail.
  const std::string kAgentMsgId =
      "<3f9c2a71-5b1e-4c0d-9e8a-7d2b6c1f0a44@shop.example>";
  std::string reply =
      CustomerMail("Anna <support@shop.example>", "gina@customer.example",
                   "Re: Wrong size delivered " + tag[0].str(), kAgentMsgId,
                   "We are sending the right size today.");
  reply.insert(0,
               "In-Reply-To: <ar-1@customer.example>\r\n"
               "References: <ar-1@customer.example>\r\n");
  std::string file = rig_->dir() + "/agent-reply.eml";
  std::ofstream(file, std::ios::binary) << reply;
  ShellResult saved = Shell(kSrc + "/scripts/rig doveadm " + rig_->dir() +
                            " save -u support -m Sent <" + file);
  ASSERT_EQ(saved.status, 0) << saved.out;
  ASSERT_EQ(rig_->Messages("support", "Sent").size(), 2u);  // ack + reply

  Once();
  EXPECT_EQ(Acks(rig_->Messages("customer")).size(), 1u);
  EXPECT_EQ(rig_->DeliveriesTo("customer").size(), 1u);
  EXPECT_EQ(rig_->DeliveriesTo("gina").size(), 0u);

  auto st = store::Store::Open(rig_->dir() + "/inboxd-state/inboxd.db",
                               core::SystemClock::Default());
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  auto ticket = (*st)->FindTicketByMessageId("ar-1@customer.example");
  ASSERT_TRUE(ticket.has_value()) << ticket.error().ToString();
  EXPECT_EQ(ticket->prefix, tag[1].str());
  EXPECT_EQ(ticket->number, std::stoll(tag[2].str()));
  auto milestones = (*st)->ListMilestones(ticket->id);
  ASSERT_TRUE(milestones.has_value()) << milestones.error().ToString();
  // D1 "ack" is met by inboxd's own acknowledgement (sent first), which is
  // its evidence; D7 "followup" starts only when the ticket is closed.
  std::map<std::string, store::Milestone> by_id;
  for (const auto& m : *milestones) by_id[m.milestone_id] = m;
  ASSERT_TRUE(by_id.count("D1"));
  EXPECT_EQ(by_id["D1"].state, store::MilestoneState::kMet);
  EXPECT_TRUE(by_id["D1"].met_at.has_value());
  EXPECT_EQ(by_id["D1"].evidence.by, "our_mail");
  EXPECT_FALSE(by_id.count("D7"));
  EXPECT_TRUE(ticket->AnsweredSinceCustomer());
  store::EventFilter f;
  f.type = "agent.reply";
  auto events = (*st)->ListEvents(f);
  ASSERT_TRUE(events.has_value()) << events.error().ToString();
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].ticket_id, ticket->id);
  EXPECT_EQ((*events)[0].mailbox, "support");
  EXPECT_EQ((*events)[0].actor, "support@shop.example");
  EXPECT_NE((*events)[0].data.find(tag[0].str().substr(2, tag[0].length() - 3)),
            std::string::npos)
      << (*events)[0].data;
}

// 3f: encoded CR LF in the display name and subject never becomes a header.
TEST_F(AckE2eTest, EncodedCrLfNeverReachesAHeader) {
  ASSERT_TRUE(rig_->Deliver(
      "support",
      CustomerMail(
          "=?utf-8?q?x=0D=0ABcc:_evil@evil.example?= <frank@customer.example>",
          "support@shop.example",
          "=?utf-8?q?Hello=0D=0ABcc:_evil2@evil.example=0D=0AX-Evil:_1?=",
          "<inj-1@customer.example>")));
  Once();
  std::vector<Mail> acks = Acks(rig_->Messages("customer"));
  ASSERT_EQ(acks.size(), 1u);
  const Mail& a = acks[0];
  std::set<std::string> allowed = {"return-path",
                                   "delivered-to",
                                   "received",
                                   "date",
                                   "from",
                                   "to",
                                   "subject",
                                   "message-id",
                                   "in-reply-to",
                                   "references",
                                   "thread-topic",
                                   "thread-index",
                                   "auto-submitted",
                                   "x-auto-response-suppress",
                                   "x-inboxd-loop",
                                   "mime-version",
                                   "content-language",
                                   "content-type",
                                   "content-transfer-encoding"};
  for (const auto& name : a.HeaderNames()) {
    EXPECT_TRUE(allowed.count(name)) << "unexpected header: " << name;
  }
  EXPECT_EQ(a.Header("Bcc"), "");
  EXPECT_EQ(a.Header("X-Evil"), "");
  for (const char* h : {"Subject", "To", "Thread-Topic"}) {
    std::string v = a.Decoded(h);
    EXPECT_EQ(v.find('\r'), std::string::npos) << h << ": " << v;
    EXPECT_EQ(v.find('\n'), std::string::npos) << h << ": " << v;
  }
  // Only the customer got mail; no evil recipient.
  std::string log = ReadFile(rig_->dir() + "/deliveries.jsonl");
  EXPECT_FALSE(std::regex_search(log, std::regex("\"rcpt\": \"[^\"]*evil")))
      << log;
  EXPECT_EQ(rig_->DeliveriesTo("customer").size(), 1u);
}

// 3d, kill -9 while mail arrives, is in faults_e2e_test.cc
// (FaultsE2eTest.KillNineWhileMailArrivesLosesNothingSendsNothingTwice).

}  // namespace
}  // namespace inboxd::e2e
