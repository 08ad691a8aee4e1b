// planner_test.cc: decisions -> deadlines + one queued acknowledgement, loop
// guard refusals audited, re-runs idempotent.
#include "responder/planner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "responder/outbox_test_rig.h"

namespace inboxd::responder {
namespace {

using testing::Incoming;
using testing::kT0;
using testing::Rig;

core::Message Parse(const std::string& raw) {
  auto m = ingest::ParseMessage(raw, core::Limits{});
  EXPECT_TRUE(m.has_value());
  return m.value_or(core::Message{});
}

TEST(PlannerTest, QueuesOneAckPerDecisionAndReRunsQueueNothing) {
  Rig rig;
  auto rec = rig.Receive({});
  auto planner = rig.NewPlanner();
  auto r1 = planner->PlanPending(kT0);
  ASSERT_TRUE(r1.has_value()) << r1.error().ToString();
  EXPECT_EQ(r1->enqueued, 1);
  EXPECT_EQ(r1->errors, 0) << (r1->error_messages.empty()
                                   ? ""
                                   : r1->error_messages.front());
  auto queued = rig.Rows(store::OutboxState::kQueued);
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].kind, "ack");
  EXPECT_EQ(queued[0].ticket_id, rec.ticket_id);
  EXPECT_EQ(queued[0].reason, AckReason(rec.message_row));
  EXPECT_EQ(queued[0].recipients,
            std::vector<std::string>{"anna@customer.example"});
  core::Message reply = Parse(queued[0].raw);
  EXPECT_EQ(reply.subject, "Re: Printer broken [#S-1000]");
  EXPECT_EQ(reply.in_reply_to, "m1@customer.example");
  EXPECT_EQ(reply.from.name, "Shop Support");  // mailbox display_name
  EXPECT_EQ(reply.from.addr, "support@shop.example");
  ASSERT_NE(reply.Header("Auto-Submitted"), nullptr);
  EXPECT_EQ(*reply.Header("Auto-Submitted"), "auto-replied");
  EXPECT_TRUE(IsOurMessageId(reply.message_id, "test-key", "shop.example"));

  // Milestones of "support": D1 (2 h); D7 (48 h) starts only when the
  // ticket is closed; no D3 (this customer has no contract tier). The
  // reply promises no time that no answer milestone tracks (issue 15: D1 is
  // the acknowledgement itself), and a personal reply instead.
  auto milestones = rig.db->ListMilestones(rec.ticket_id);
  ASSERT_TRUE(milestones.has_value());
  std::map<std::string, core::TimePoint> due;
  for (const auto& m : *milestones) due[m.milestone_id] = m.due_at;
  EXPECT_EQ(due.size(), 1u);
  EXPECT_EQ(due["D1"], kT0 + std::chrono::hours(2));
  auto text = FormatLocalTime(due["D1"], "Europe/Berlin", "en");
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(reply.text.find(*text), std::string::npos) << reply.text;
  EXPECT_EQ(reply.text.find("full answer by"), std::string::npos);
  EXPECT_NE(reply.text.find("reply to you personally"), std::string::npos)
      << reply.text;
  EXPECT_NE(reply.text.find("[#S-1000]"), std::string::npos);
  EXPECT_NE(reply.text.find("sales@shop.example"), std::string::npos);  // C2

  // The same planner, then a new one (restart): nothing new.
  auto r2 = planner->PlanPending(kT0 + std::chrono::minutes(1));
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->enqueued, 0);
  auto r3 = rig.NewPlanner()->PlanPending(kT0 + std::chrono::minutes(2));
  ASSERT_TRUE(r3.has_value());
  EXPECT_EQ(r3->enqueued, 0);
  EXPECT_EQ(r3->candidates, 0);  // planned: not pending any more
  EXPECT_EQ(rig.Rows(store::OutboxState::kQueued).size(), 1u);
  EXPECT_EQ(rig.Events("milestone.set").size(), 1u);  // not moved again
  EXPECT_TRUE(rig.db->ListUnplannedDecisions()->empty());
}

// The planner takes the processor's parse from the parse cache and parses
// only what is not there.
TEST(PlannerTest, TakesTheParseFromTheParseCache) {
  for (bool cached : {true, false}) {
    SCOPED_TRACE(cached ? "cached" : "not cached");
    Rig rig;
    auto rec = rig.Receive({});
    int parses = 0;
    auto planner =
        Planner::Create(&rig.config, rig.db.get(), rig.templates.get(),
                        "test-key", [&](std::string_view raw) {
                          ++parses;
                          return ingest::ParseMessage(raw, core::Limits{});
                        });
    ASSERT_TRUE(planner.has_value());
    core::ParseCache cache;
    if (cached) {
      auto stored = rig.db->GetMessage(rec.message_row);
      ASSERT_TRUE(stored.has_value());
      cache.Put(rec.message_row,
                ingest::ParseMessage(stored->raw, core::Limits{}).value());
      (*planner)->SetParseCache(&cache);
    }
    auto r = (*planner)->PlanPending(rig.clock.Now());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->enqueued, 1);
    EXPECT_EQ(parses, cached ? 0 : 1);
  }
}

// Issue 15: the time an acknowledgement promises is its class's answer
// milestone (a quote: D2, two days), never D1 (the acknowledgement itself).
TEST(PlannerTest, AQuoteAckPromisesTheQuoteMilestone) {
  Rig rig;
  Incoming in;
  in.cls = "quote";
  in.language = "en";
  auto rec = rig.Receive(in);
  auto r = rig.NewPlanner()->PlanPending(kT0);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->enqueued, 1);
  auto milestones = rig.db->ListMilestones(rec.ticket_id);
  ASSERT_TRUE(milestones.has_value());
  std::map<std::string, core::TimePoint> due;
  for (const auto& m : *milestones) due[m.milestone_id] = m.due_at;
  ASSERT_TRUE(due.contains("D2"));
  const std::string text =
      Parse(rig.Rows(store::OutboxState::kQueued)[0].raw).text;
  auto d2 = FormatLocalTime(due["D2"], "Europe/Berlin", "en");
  auto d1 = FormatLocalTime(due["D1"], "Europe/Berlin", "en");
  ASSERT_TRUE(d2.has_value() && d1.has_value());
  EXPECT_NE(text.find(*d2), std::string::npos) << text;
  EXPECT_EQ(text.find(*d1), std::string::npos) << text;
  EXPECT_EQ(AnswerMilestoneFor("support"), "D3");
  EXPECT_EQ(AnswerMilestoneFor("complaint"), "D6");
  EXPECT_EQ(AnswerMilestoneFor("other"), "");
}

TEST(PlannerTest, TemplateAndLanguagePerDecision) {
  struct Case {
    std::string cls, language, want_text;
  } cases[] = {
      {"support", "en", "has arrived at"},             // ack
      {"quote", "en", "request for a quote"},          // quote_ack
      {"complaint", "en", "received your complaint"},  // complaint_receipt
      {"quote", "de", "Uhr"},                          // German due time
      {"support", "xx", "has arrived at"},  // unknown -> mailbox language
      {"", "en", "has arrived at"},         // no class -> "other" -> ack
  };
  for (const Case& c : cases) {
    Rig rig;
    Incoming in;
    in.cls = c.cls;
    in.language = c.language;
    rig.Receive(in);
    auto r = rig.NewPlanner()->PlanPending(kT0);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->enqueued, 1) << c.cls << "/" << c.language;
    auto rows = rig.Rows(store::OutboxState::kQueued);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_NE(Parse(rows[0].raw).text.find(c.want_text), std::string::npos)
        << c.cls << "/" << c.language;
  }
}

// Receives one customer message in `language`, plans, and returns the one
// acknowledgement queued for it (empty, with a test failure, otherwise).
core::Message PlanOneAck(Rig& rig, const std::string& language) {
  Incoming in;
  in.language = language;
  rig.Receive(in);
  auto r = rig.NewPlanner()->PlanPending(kT0);
  EXPECT_TRUE(r.has_value());
  EXPECT_TRUE(r.has_value() && r->enqueued == 1) << language;
  auto rows = rig.Rows(store::OutboxState::kQueued);
  if (rows.size() != 1) {
    ADD_FAILURE() << language << ": " << rows.size() << " queued";
    return {};
  }
  return Parse(rows[0].raw);
}

// Issue 15: a mailbox signs mail in German with its German name (From and
// signature), and keeps display_name for the other languages.
TEST(PlannerTest, DisplayNamePerLanguageSignsAndFromsTheReply) {
  for (const std::string lang : {"de", "en"}) {
    Rig rig;
    rig.config.mailboxes[0].display_names = {{"de", "Shop Kundenservice"}};
    core::Message reply = PlanOneAck(rig, lang);
    const std::string want =
        lang == "de" ? "Shop Kundenservice" : "Shop Support";
    const std::string other = lang == "de" ? "Shop Support" : "Kundenservice";
    EXPECT_EQ(reply.from.name, want) << lang;
    EXPECT_NE(reply.text.find(want), std::string::npos) << reply.text;
    EXPECT_EQ(reply.text.find(other), std::string::npos) << reply.text;
  }
  config::Mailbox mb;
  mb.display_name = "Shop Support";
  mb.display_names = {{"fa", "پشتیبانی فروشگاه"}};
  EXPECT_EQ(config::DisplayNameFor(mb, "fa"), "پشتیبانی فروشگاه");
  EXPECT_EQ(config::DisplayNameFor(mb, "zh"), "Shop Support");
}

// POLICY C3 in the customer's language: the end of Software Assurance is a
// date as the reader writes it, not "2027-03-31".
TEST(PlannerTest, SoftwareAssuranceEndIsALocalDate) {
  const std::pair<std::string, std::string> cases[] = {
      {"en", "31 March 2027"},
      {"de", "31. März 2027"},
      {"zh", "2027年3月31日"},
      {"fa", "۱۱ فروردین ۱۴۰۶ (۳۱ مارس ۲۰۲۷)"},
  };
  for (const auto& [lang, want] : cases) {
    Rig rig;
    config::Account account;
    account.name = "Kunde GmbH";
    account.addresses = {"anna@customer.example"};
    account.software_assurance_until = "2027-03-31";
    rig.config.accounts = {account};
    const std::string text = PlanOneAck(rig, lang).text;
    EXPECT_NE(text.find(want), std::string::npos) << lang << ":\n" << text;
    EXPECT_EQ(text.find("2027-03-31"), std::string::npos) << text;
  }
}

TEST(PlannerTest, LoopGuardRefusalsAreAuditedOnceAndQueueNothing) {
  struct Case {
    std::string name;
    Incoming in;
    std::string want_reason;
  };
  Incoming automatic;
  automatic.kind = "auto_reply";
  Incoming noreply;
  noreply.from = "Shop <no-reply@vendor.example>";
  Incoming own;
  own.from = "Support <support@shop.example>";
  Incoming own_alias_reply_to;
  own_alias_reply_to.extra_headers = "Reply-To: sales@shop.example\r\n";
  const Case cases[] = {
      {"automatic", automatic, "is not human"},
      {"noreply", noreply, "noreply_regex"},
      {"own address", own, "our own addresses"},
      {"reply-to own", own_alias_reply_to, "our own addresses"},
  };
  for (const Case& c : cases) {
    Rig rig;
    auto rec = rig.Receive(c.in);
    auto planner = rig.NewPlanner();
    auto r = planner->PlanPending(kT0);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->enqueued, 0) << c.name;
    EXPECT_EQ(r->refused, 1) << c.name;
    auto events = rig.Events("ack.refused");
    ASSERT_EQ(events.size(), 1u) << c.name;
    EXPECT_EQ(events[0].message_row, rec.message_row);
    EXPECT_NE(events[0].FullData().find(c.want_reason), std::string::npos)
        << c.name << ": " << events[0].FullData();
    EXPECT_TRUE(rig.Rows(store::OutboxState::kQueued).empty()) << c.name;
    // Re-runs (same and new planner) do not audit again.
    ASSERT_TRUE(planner->PlanPending(kT0).has_value());
    ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
    EXPECT_EQ(rig.Events("ack.refused").size(), 1u) << c.name;
  }
}

TEST(PlannerTest, SixthAckToOneSenderWithinAnHourIsRefused) {
  Rig rig;
  for (int i = 0; i < 6; ++i) {
    Incoming in;
    in.subject = "Question " + std::to_string(i);
    rig.Receive(in);
  }
  auto r = rig.NewPlanner()->PlanPending(kT0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->enqueued, 5);
  EXPECT_EQ(r->refused, 1);
  auto events = rig.Events("ack.refused");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].FullData().find("in the last hour"), std::string::npos)
      << events[0].FullData();
  // An hour later the same sender may get one again.
  rig.clock.Advance(std::chrono::minutes(61));
  Incoming later;
  later.subject = "Later";
  rig.Receive(later);
  auto r2 = rig.NewPlanner()->PlanPending(rig.clock.Now());
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->enqueued, 1);
}

TEST(PlannerTest, FollowupOnAnAcknowledgedTicketIsRefusedPerTicket) {
  Rig rig;
  auto first = rig.Receive({});
  auto planner = rig.NewPlanner();
  ASSERT_EQ(planner->PlanPending(kT0)->enqueued, 1);
  Incoming followup;
  followup.existing_ticket = first.ticket_id;
  followup.subject = "Re: Printer broken";
  rig.Receive(followup);
  auto r = planner->PlanPending(kT0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->enqueued, 0);
  EXPECT_EQ(r->refused, 1);
  auto events = rig.Events("ack.refused");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].FullData().find("per ticket"), std::string::npos);
}

TEST(PlannerTest, NoAckDecisionsQueueNothingAndStaleOnesAreRefusedAudibly) {
  Rig rig;
  Incoming no_ack;
  no_ack.ack = false;
  rig.Receive(no_ack);
  const testing::Recorded stale = rig.Receive({});
  // Planned 8 days later (the planner kept failing, or the store was
  // restored): an acknowledgement now helps nobody, and it says so.
  auto r = rig.NewPlanner()->PlanPending(kT0 + std::chrono::days(8));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->candidates, 1);
  EXPECT_EQ(r->refused, 1);
  EXPECT_TRUE(rig.Rows(store::OutboxState::kQueued).empty());
  auto refused = rig.Events("ack.refused");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].message_row, stale.message_row);
  EXPECT_NE(refused[0].FullData().find("days old"), std::string::npos)
      << refused[0].FullData();
  // Its ticket still got its milestones.
  EXPECT_FALSE(rig.db->ListMilestones(stale.ticket_id)->empty());
}

// Issue 8: follow-ups to our own mail and personal mail get no
// acknowledgement, but their class's answer clock runs (D1, D4). Issue 9:
// so does a ticket whose acknowledgement was refused.
TEST(PlannerTest, EveryCustomerTicketGetsMilestonesWhateverTheAck) {
  Rig rig;
  Incoming followup;
  followup.ack = false;
  followup.decision = "followup";
  const testing::Recorded f = rig.Receive(followup);
  Incoming personal;
  personal.ack = false;
  personal.decision = "personal";
  personal.cls = "personal";
  const testing::Recorded p = rig.Receive(personal);
  Incoming refused;  // e.g. the ack window: no ack, but the clock runs
  refused.ack = false;
  const testing::Recorded r = rig.Receive(refused);
  Incoming agent;  // an agent's message on a ticket: no customer clock
  agent.ack = false;
  agent.party = "agent";
  const testing::Recorded a = rig.Receive(agent);

  auto planner = rig.NewPlanner();
  auto report = planner->PlanPending(kT0);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->clocks, 3);
  EXPECT_EQ(report->enqueued, 0);
  EXPECT_TRUE(rig.Rows(store::OutboxState::kQueued).empty());

  auto fd = rig.db->ListMilestones(f.ticket_id);
  ASSERT_TRUE(fd.has_value());
  bool d1 = false;
  for (const auto& d : *fd) d1 |= d.milestone_id == "D1";
  EXPECT_TRUE(d1) << "support follow-up: the 2-hour answer clock runs";
  auto pd = rig.db->ListMilestones(p.ticket_id);
  ASSERT_TRUE(pd.has_value());
  ASSERT_EQ(pd->size(), 1u);
  EXPECT_EQ((*pd)[0].milestone_id, "D4");
  EXPECT_EQ((*pd)[0].due_at, kT0 + std::chrono::hours(24));
  auto rd = rig.db->ListMilestones(r.ticket_id);
  ASSERT_TRUE(rd.has_value());
  ASSERT_EQ(rd->size(), 1u);
  EXPECT_EQ((*rd)[0].milestone_id, "D1");
  EXPECT_TRUE(rig.db->ListMilestones(a.ticket_id)->empty());

  // A second run changes nothing.
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  EXPECT_EQ(rig.db->ListMilestones(p.ticket_id)->size(), 1u);
}

TEST(PlannerTest, FormatTicketTagTable) {
  struct Case {
    std::string format, prefix;
    int64_t number;
    std::string want;
  } cases[] = {
      {"[#{prefix}-{number}]", "S", 1042, "[#S-1042]"},
      {"({prefix}{number})", "Q", 7, "(Q7)"},
      {"no placeholders", "S", 1, "no placeholders"},
      {"{number}/{number}", "S", 3, "3/3"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(FormatTicketTag(c.format, c.prefix, c.number), c.want);
  }
  EXPECT_EQ(AckTemplateFor("quote"), "quote_ack");
  EXPECT_EQ(AckTemplateFor("complaint"), "complaint_receipt");
  EXPECT_EQ(AckTemplateFor("personal"), "ack");
}

TEST(PlannerTest, SharedAddressesListEachConfiguredAddressOnce) {
  config::Config cfg;
  config::Mailbox support;
  support.name = "support";
  support.address = "support@shop.example";
  cfg.mailboxes = {support};
  store::Ticket t;
  t.prefix = "S";
  t.number = 1;
  // One mailbox: one address (before: the same address twice).
  EXPECT_EQ(CommonTemplateVars(cfg, cfg.mailboxes[0], t)["shared_addresses"],
            "support@shop.example");
  config::Mailbox sales = support;
  sales.name = "sales";
  sales.address = "sales@shop.example";
  config::Mailbox again = support;
  again.name = "helpdesk";
  again.address = "Support@Shop.example";  // the same mailbox, another case
  cfg.mailboxes = {sales, support, again};
  EXPECT_EQ(CommonTemplateVars(cfg, cfg.mailboxes[1], t)["shared_addresses"],
            std::string("sales@shop.example") + kListSeparator +
                "support@shop.example");
}

// Issue 15: "Guten Tag hans@x.de," is no greeting; a name is.
TEST(PlannerTest, SalutationNameIsNeverAnAddress) {
  auto name = [](std::string recipient, std::string from = "") {
    return SalutationName(core::Address{std::move(recipient), "hans@x.de"},
                          core::Address{std::move(from), "hans@x.de"});
  };
  EXPECT_EQ(name("Hans Meier"), "Hans Meier");
  EXPECT_EQ(name("", "Hans Meier"), "Hans Meier");
  EXPECT_EQ(name("hans@x.de"), "");
  EXPECT_EQ(name("<hans@x.de>"), "");
  EXPECT_EQ(name("'hans@x.de'"), "");
  EXPECT_EQ(name("\"HANS@X.DE\""), "");
  EXPECT_EQ(name(""), "");
  // A name that mentions an address among words is still a name.
  EXPECT_EQ(name("Hans Meier (hans@x.de)"), "Hans Meier (hans@x.de)");
}

TEST(PlannerTest, HmacKeyIsGeneratedOnceWithMode0600OrReadFromFile) {
  config::Config c = testing::RigConfig();
  c.state.dir = ::testing::TempDir() + "/hmac_" + std::to_string(getpid());
  std::filesystem::remove_all(c.state.dir);
  // No state dir: cannot create.
  EXPECT_FALSE(LoadOrCreateHmacKey(c).has_value());
  std::filesystem::create_directories(c.state.dir);
  auto k1 = LoadOrCreateHmacKey(c);
  ASSERT_TRUE(k1.has_value()) << k1.error().ToString();
  EXPECT_EQ(k1->size(), 2 * kHmacKeyBytes);
  struct stat st {};
  ASSERT_EQ(::stat((c.state.dir + "/hmac.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto k2 = LoadOrCreateHmacKey(c);
  ASSERT_TRUE(k2.has_value());
  EXPECT_EQ(*k1, *k2);  // kept, not regenerated
  // A group-readable generated key is refused.
  ::chmod((c.state.dir + "/hmac.key").c_str(), 0644);
  EXPECT_FALSE(LoadOrCreateHmacKey(c).has_value());
  // An explicit key file wins; an empty one is refused.
  c.responder.hmac_key_file = c.state.dir + "/explicit.key";
  std::ofstream(c.responder.hmac_key_file) << "  secret-key\n";
  auto k3 = LoadOrCreateHmacKey(c);
  ASSERT_TRUE(k3.has_value());
  EXPECT_EQ(*k3, "secret-key");
  std::ofstream(c.responder.hmac_key_file, std::ios::trunc) << "\n";
  EXPECT_FALSE(LoadOrCreateHmacKey(c).has_value());
  std::filesystem::remove_all(c.state.dir);
}

}  // namespace
}  // namespace inboxd::responder

namespace inboxd::responder {
namespace {

// Issue 10 item 5: mail that arrives while the office is closed hears when it
// opens again, next to the due time; mail during business hours does not.
TEST(PlannerTest, ClosedOfficeSaysWhenItOpens) {
  struct Case {
    std::string name;
    core::TimePoint at;
    bool closed;
  } cases[] = {
      {"Tuesday 10:00 Berlin", testing::kT0, false},
      // Saturday 28 November 2026, 15:00 Berlin: opens Monday 08:30.
      {"Saturday afternoon", testing::kT0 + std::chrono::hours(4 * 24 + 5),
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Rig rig;
    rig.clock.Set(c.at);
    rig.Receive({});
    ASSERT_TRUE(rig.NewPlanner()->PlanPending(c.at).has_value());
    auto queued = rig.Rows(store::OutboxState::kQueued);
    ASSERT_EQ(queued.size(), 1u);
    core::Message reply = Parse(queued[0].raw);
    const bool says = reply.text.find(
                          "Our office is closed right now; it opens "
                          "again on Monday, 30 November 2026, "
                          "08:30") != std::string::npos;
    EXPECT_EQ(says, c.closed) << reply.text;
  }
}

}  // namespace
}  // namespace inboxd::responder
