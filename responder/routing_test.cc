// routing_test.cc: owners from the route matrix, absence, R4 stickiness and
// the absence threshold (routing.h), and R3 moves of an absent agent's open
// tickets by the watcher.
#include "responder/routing.h"

#include <gtest/gtest.h>

#include <map>

#include "responder/outbox_test_rig.h"
#include "responder/watcher.h"

namespace inboxd::responder {
namespace {

using std::chrono::hours;
using testing::kT0;
using testing::Rig;

config::Config RoutingConfig() {
  config::Config c = testing::RigConfig();
  auto agent = [](std::string name, std::string address, std::string team) {
    config::Agent a;
    a.name = std::move(name);
    a.address = std::move(address);
    a.team = std::move(team);
    return a;
  };
  c.agents = {agent("Anna", "anna@shop.example", "sales"),
              agent("Bob", "bob@shop.example", "sales"),
              agent("Carl", "carl@shop.example", "support")};
  config::Route quote;
  quote.cls = "quote";
  quote.primary = "Anna";
  quote.secondary = "bob@shop.example";
  quote.escalate_to = {"manager@shop.example"};
  config::Route quote_support;  // the same class in another mailbox
  quote_support.cls = "quote";
  quote_support.mailbox = "support";
  quote_support.primary = "support";  // a team
  config::Route support;
  support.cls = "support";
  support.primary = "support";
  c.routes = {quote, quote_support, support};
  return c;
}

store::Absence Away(std::string agent, core::TimePoint from,
                    core::TimePoint until) {
  store::Absence a;
  a.agent = std::move(agent);
  a.from = from;
  a.until = until;
  a.source = "command";
  return a;
}

TEST(RoutingTest, AssignOwnerTable) {
  const config::Config c = RoutingConfig();
  const core::TimePoint at = kT0;
  const auto anna_week =
      Away("anna@shop.example", at - hours(1), at + hours(7 * 24));
  const auto bob_week =
      Away("bob@shop.example", at - hours(1), at + hours(7 * 24));
  const auto manager_week =
      Away("manager@shop.example", at - hours(1), at + hours(7 * 24));
  struct Case {
    std::string name;
    std::string cls, mailbox, personal, last;
    std::vector<store::Absence> absences;
    std::string want_owner;
    std::string reason_has;
  } cases[] = {
      {"primary by agent name",
       "quote",
       "sales",
       "",
       "",
       {},
       "anna@shop.example",
       "R1: route primary for quote"},
      {"mailbox row wins",
       "quote",
       "support",
       "",
       "",
       {},
       "support",
       "R1: route primary"},
      {"primary away: secondary",
       "quote",
       "sales",
       "",
       "",
       {anna_week},
       "bob@shop.example",
       "anna@shop.example is away until"},
      {"both away: escalation",
       "quote",
       "sales",
       "",
       "",
       {anna_week, bob_week},
       "manager@shop.example",
       "both contacts away"},
      {"everyone away: the shared mailbox",
       "quote",
       "sales",
       "",
       "",
       {anna_week, bob_week, manager_week},
       "",
       "everyone on the route"},
      {"R4: the last owner",
       "quote",
       "sales",
       "",
       "bob@shop.example",
       {},
       "bob@shop.example",
       "R4: served this customer last"},
      {"R4 owner away: the route",
       "quote",
       "sales",
       "",
       "bob@shop.example",
       {bob_week},
       "anna@shop.example",
       "bob@shop.example is away"},
      {"personal mail to its agent",
       "personal",
       "support",
       "carl@shop.example",
       "bob@shop.example",
       {},
       "carl@shop.example",
       "D4: personal mail"},
      {"no route", "complaint", "support", "", "", {}, "", "no route"},
      // Threshold edges: away exactly 8 h counts as present; 8 h + 1 s not.
      {"away exactly the threshold",
       "quote",
       "sales",
       "",
       "",
       {Away("anna@shop.example", at - hours(1), at + hours(8))},
       "anna@shop.example",
       "R1"},
      {"away a second longer",
       "quote",
       "sales",
       "",
       "",
       {Away("anna@shop.example", at - hours(1),
             at + hours(8) + std::chrono::seconds(1))},
       "bob@shop.example",
       "R3"},
      {"absence not begun yet",
       "quote",
       "sales",
       "",
       "",
       {Away("anna@shop.example", at + hours(1), at + hours(100))},
       "anna@shop.example",
       "R1"},
      {"a team is away only when all are",
       "support",
       "support",
       "",
       "",
       {Away("carl@shop.example", at - hours(1), at + hours(100))},
       "",
       "everyone on the route"},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    AssignInput in;
    in.cls = k.cls;
    in.mailbox = k.mailbox;
    in.personal_agent = k.personal;
    in.last_owner = k.last;
    in.at = at;
    const Assignment a = AssignOwner(c, k.absences, in);
    EXPECT_EQ(a.owner, k.want_owner) << a.reason;
    EXPECT_NE(a.reason.find(k.reason_has), std::string::npos) << a.reason;
  }
}

TEST(RoutingTest, LocalTimesAndConfigAbsences) {
  auto t = ParseLocalOrRfc3339("2026-08-03T00:00", "Europe/Berlin");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(core::FormatUtc(*t), "2026-08-02T22:00:00Z");
  EXPECT_EQ(
      core::FormatUtc(*ParseLocalOrRfc3339("2026-01-05", "Europe/Berlin")),
      "2026-01-04T23:00:00Z");
  // In the spring DST gap: forward like a wall clock.
  EXPECT_EQ(core::FormatUtc(
                *ParseLocalOrRfc3339("2026-03-29T02:30", "Europe/Berlin")),
            "2026-03-29T01:30:00Z");
  EXPECT_TRUE(ParseLocalOrRfc3339("2026-08-03T10:00:00Z", "Europe/Berlin"));
  EXPECT_FALSE(ParseLocalOrRfc3339("next monday", "Europe/Berlin"));
  EXPECT_FALSE(ParseLocalOrRfc3339("2026-02-30", "Europe/Berlin"));

  Rig rig;
  rig.config = RoutingConfig();
  rig.config.agents[0].absent = {"2026-08-03T00:00/2026-08-14T23:59"};
  ASSERT_TRUE(SyncConfigAbsences(*rig.db, rig.config));
  ASSERT_TRUE(SyncConfigAbsences(*rig.db, rig.config));  // once
  auto list = rig.db->ListAbsences(kT0 - hours(24 * 365)).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].agent, "anna@shop.example");
  EXPECT_EQ(list[0].source, "config");
  EXPECT_EQ(core::FormatUtc(list[0].until), "2026-08-14T22:00:00Z");
  EXPECT_EQ(rig.Events("absence.set").size(), 1u);
}

// R3: when an agent's absence begins, their open tickets move to the next
// owner, who is told; a short absence moves nothing; each absence once.
TEST(RoutingTest, AbsentAgentsTicketsMoveToTheSecondaryWhoIsTold) {
  Rig rig;
  rig.config = RoutingConfig();
  testing::Incoming quote;
  quote.cls = "quote";
  quote.mailbox = "sales";
  const testing::Recorded rec = rig.Receive(quote);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  EXPECT_EQ(rig.db->GetTicket(rec.ticket_id)->owner, "anna@shop.example");

  auto watcher =
      Watcher::Create(&rig.config, rig.db.get(), rig.templates.get(),
                      "test-key", [](std::string_view raw) {
                        return ingest::ParseMessage(raw, core::Limits{});
                      });
  ASSERT_TRUE(watcher.has_value());
  // Away 4 hours: below the threshold, the ticket stays.
  store::AbsenceIn shortly{.agent = "anna@shop.example",
                           .from = kT0 + hours(1),
                           .until = kT0 + hours(5),
                           .source = "command",
                           .detail = "",
                           .actor = "test"};
  ASSERT_TRUE(rig.db->AddAbsence(shortly));
  rig.clock.Set(kT0 + hours(1));
  auto r = (*watcher)->WatchOnce(rig.clock.Now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reassigned, 0);
  // Away two weeks: moved to Bob, who gets an alert naming the ticket.
  store::AbsenceIn long_away{.agent = "anna@shop.example",
                             .from = kT0 + hours(6),
                             .until = kT0 + hours(6 + 14 * 24),
                             .source = "detected",
                             .detail = "out-of-office reply",
                             .actor = "inboxd"};
  ASSERT_TRUE(rig.db->AddAbsence(long_away));
  rig.clock.Set(kT0 + hours(6));
  r = (*watcher)->WatchOnce(rig.clock.Now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reassigned, 1)
      << (r->error_messages.empty() ? "" : r->error_messages.front());
  const store::Ticket t = rig.db->GetTicket(rec.ticket_id).value();
  EXPECT_EQ(t.owner, "bob@shop.example");
  EXPECT_NE(t.owner_reason.find("R3: anna@shop.example is away until"),
            std::string::npos)
      << t.owner_reason;
  // Anna got the ticket when it was new; Bob gets it now, with the
  // customer's message and why.
  auto assignments_to = [&](const std::string& agent) {
    std::vector<std::string> raws;
    for (const auto& row : rig.Rows(store::OutboxState::kQueued)) {
      if (row.kind == "assignment" &&
          row.recipients == std::vector<std::string>{agent}) {
        raws.push_back(row.raw);
      }
    }
    return raws;
  };
  ASSERT_EQ(assignments_to("anna@shop.example").size(), 1u);
  auto to_bob = assignments_to("bob@shop.example");
  ASSERT_EQ(to_bob.size(), 1u);
  EXPECT_NE(to_bob[0].find("Q-1000"), std::string::npos);
  EXPECT_NE(to_bob[0].find("away until"), std::string::npos);
  EXPECT_NE(to_bob[0].find("Reply-To:"), std::string::npos);
  // Once: a second run and a new ticket of Anna's class go to Bob.
  r = (*watcher)->WatchOnce(rig.clock.Now() + hours(1));
  EXPECT_EQ(r->reassigned, 0);
  testing::Incoming another = quote;
  const testing::Recorded rec2 = rig.Receive(another);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(rig.clock.Now()).has_value());
  EXPECT_EQ(rig.db->GetTicket(rec2.ticket_id)->owner, "bob@shop.example");
  EXPECT_EQ(assignments_to("bob@shop.example").size(), 2u);
  EXPECT_EQ(assignments_to("anna@shop.example").size(), 1u);  // nothing new
}

// The assignment mail of new tickets (issue 10 item 1): each present agent
// of a team owner, in their language; nobody who already has the message
// (To/Cc) and no shared mailbox.
std::vector<store::Outgoing> Assignments(Rig& rig) {
  std::vector<store::Outgoing> out;
  for (auto& row : rig.Rows(store::OutboxState::kQueued)) {
    if (row.kind == "assignment") out.push_back(std::move(row));
  }
  return out;
}

TEST(RoutingTest, AssignmentMailToEveryPresentAgentOfATeam) {
  Rig rig;
  rig.config = RoutingConfig();
  config::Agent dana;
  dana.name = "Dana";
  dana.address = "dana@shop.example";
  dana.team = "support";
  dana.language = "de";
  config::Agent eve = dana;
  eve.name = "Eve";
  eve.address = "eve@shop.example";
  eve.language = "";
  rig.config.agents.push_back(dana);
  rig.config.agents.push_back(eve);
  // Eve is away for two hours: under the threshold, so the team is not
  // skipped, but she gets no mail while she is away.
  ASSERT_TRUE(rig.db->AddAbsence({.agent = "eve@shop.example",
                                  .from = kT0 - hours(1),
                                  .until = kT0 + hours(2),
                                  .source = "command",
                                  .detail = "",
                                  .actor = "test"}));
  testing::Incoming support;  // support mailbox, class support: team
  const testing::Recorded rec = rig.Receive(support);
  auto report = rig.NewPlanner()->PlanPending(kT0);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(rig.db->GetTicket(rec.ticket_id)->owner, "support");
  EXPECT_EQ(report->assignments, 2);
  auto rows = Assignments(rig);
  ASSERT_EQ(rows.size(), 2u);
  std::map<std::string, std::string> by_agent;
  for (const auto& r : rows) {
    ASSERT_EQ(r.recipients.size(), 1u);
    by_agent[r.recipients[0]] = r.raw;
  }
  ASSERT_TRUE(by_agent.count("carl@shop.example"));
  ASSERT_TRUE(by_agent.count("dana@shop.example"));
  EXPECT_NE(by_agent["carl@shop.example"].find("Content-Language: en"),
            std::string::npos);
  EXPECT_NE(by_agent["dana@shop.example"].find("Content-Language: de"),
            std::string::npos);
  for (const auto& [agent, raw] : by_agent) {
    EXPECT_NE(raw.find("Subject: Printer broken [#S-1000]"), std::string::npos)
        << raw;
    EXPECT_NE(raw.find("Reply-To: \"Anna Kunde\" <anna@customer.example>,"),
              std::string::npos)
        << raw;
    EXPECT_NE(raw.find("Content-Type: message/rfc822"), std::string::npos);
    EXPECT_NE(raw.find("Hello, please help."), std::string::npos);
  }
  // Planning again changes nothing.
  auto again = rig.NewPlanner()->PlanPending(kT0 + hours(1));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Assignments(rig).size(), 2u);
}

// A follow-up reaches the owner with the new message (and only once).
TEST(RoutingTest, FollowUpGoesToTheOwnerWithTheNewMessage) {
  Rig rig;
  rig.config = RoutingConfig();
  testing::Incoming quote;
  quote.cls = "quote";
  quote.mailbox = "sales";
  const testing::Recorded rec = rig.Receive(quote);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  ASSERT_EQ(Assignments(rig).size(), 1u);
  testing::Incoming again = quote;
  again.existing_ticket = rec.ticket_id;
  again.subject = "Re: Printer broken [#Q-1000]";
  rig.clock.Set(kT0 + hours(3));
  const testing::Recorded more = rig.Receive(again);
  auto report = rig.NewPlanner()->PlanPending(rig.clock.Now());
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->assignments, 1);
  auto rows = Assignments(rig);
  ASSERT_EQ(rows.size(), 2u);
  const store::Outgoing& followup = rows.back();
  EXPECT_EQ(followup.recipients, std::vector<std::string>{"anna@shop.example"});
  EXPECT_NE(followup.message_id.find(".msg-" +
                                     std::to_string(more.message_row) + "-1."),
            std::string::npos)
      << followup.message_id;
  EXPECT_NE(followup.raw.find("Subject: Re: Printer broken [#Q-1000]"),
            std::string::npos);
  EXPECT_NE(followup.raw.find("wrote again"), std::string::npos);
  // Planning again queues nothing new.
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(rig.clock.Now()).has_value());
  EXPECT_EQ(Assignments(rig).size(), 2u);
}

TEST(RoutingTest, NoAssignmentToWhoAlreadyHasTheMessageOrASharedMailbox) {
  Rig rig;
  rig.config = RoutingConfig();
  // Anna (the route's primary) is in Cc: she has the customer's message.
  testing::Incoming quote;
  quote.cls = "quote";
  quote.mailbox = "sales";
  quote.extra_headers = "Cc: Anna <ANNA@shop.example>\r\n";
  const testing::Recorded rec = rig.Receive(quote);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  EXPECT_EQ(rig.db->GetTicket(rec.ticket_id)->owner, "anna@shop.example");
  EXPECT_TRUE(Assignments(rig).empty());
  // A route whose primary is the shared mailbox itself: the ticket is
  // already there. (A new store: R4 would keep this customer with Anna.)
  Rig shared;
  shared.config = RoutingConfig();
  for (config::Route& r : shared.config.routes) {
    if (r.cls == "support") r.primary = "support@shop.example";
  }
  testing::Incoming support;
  const testing::Recorded rec2 = shared.Receive(support);
  ASSERT_TRUE(shared.NewPlanner()->PlanPending(kT0).has_value());
  EXPECT_EQ(shared.db->GetTicket(rec2.ticket_id)->owner,
            "support@shop.example");
  EXPECT_TRUE(Assignments(shared).empty());
}

// POLICY C5 (issue 11 item 7): an agent reply flagged for a forbidden
// phrase is told to the escalation address once, the day it is seen.
TEST(RoutingTest, ForbiddenPhraseIsToldToTheEscalationAddressOnce) {
  Rig rig;
  rig.config = RoutingConfig();
  testing::Incoming quote;
  quote.cls = "quote";
  quote.mailbox = "sales";
  const testing::Recorded rec = rig.Receive(quote);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  testing::Incoming reply;
  reply.mailbox = "sales";
  reply.cls = "";
  reply.ack = false;
  reply.party = "agent";
  reply.existing_ticket = rec.ticket_id;
  reply.from = "Anna <anna@shop.example>";
  reply.body = "Sorry, that is not our problem.";
  reply.flags = {"forbidden_phrase"};
  const testing::Recorded flagged = rig.Receive(reply);
  auto planned = rig.NewPlanner()->PlanPending(kT0 + hours(1));
  ASSERT_TRUE(planned.has_value());
  EXPECT_EQ(planned->errors, 0)
      << (planned->error_messages.empty() ? ""
                                          : planned->error_messages.front());
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0 + hours(2)).has_value());
  std::vector<store::Outgoing> notices;
  for (auto& row : rig.Rows(store::OutboxState::kQueued)) {
    if (row.kind == "escalation") notices.push_back(row);
  }
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_EQ(notices[0].recipients,
            std::vector<std::string>{"manager@shop.example"});
  EXPECT_NE(notices[0].message_id.find(
                ".c5-" + std::to_string(flagged.message_row) + "-1."),
            std::string::npos);
  EXPECT_NE(notices[0].raw.find("POLICY C5"), std::string::npos);
  EXPECT_NE(notices[0].raw.find("not our problem"), std::string::npos);
  // A reply without the flag tells nobody.
  reply.flags.clear();
  reply.body = "The chairs cost 40 EUR each.";
  rig.Receive(reply);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0 + hours(3)).has_value());
  int escalations = 0;
  for (auto& row : rig.Rows(store::OutboxState::kQueued)) {
    escalations += row.kind == "escalation";
  }
  EXPECT_EQ(escalations, 1);
}

// [routing] assignment_mail = false: the R3 move is an agent_alert, and a
// new ticket's owner gets no mail.
TEST(RoutingTest, WithoutAssignmentMailTheNewOwnerGetsAnAlert) {
  Rig rig;
  rig.config = RoutingConfig();
  rig.config.routing.assignment_mail = false;
  testing::Incoming quote;
  quote.cls = "quote";
  quote.mailbox = "sales";
  const testing::Recorded rec = rig.Receive(quote);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(kT0).has_value());
  auto watcher =
      Watcher::Create(&rig.config, rig.db.get(), rig.templates.get(),
                      "test-key", [](std::string_view raw) {
                        return ingest::ParseMessage(raw, core::Limits{});
                      });
  ASSERT_TRUE(watcher.has_value());
  ASSERT_TRUE(rig.db->AddAbsence({.agent = "anna@shop.example",
                                  .from = kT0 + hours(1),
                                  .until = kT0 + hours(100),
                                  .source = "command",
                                  .detail = "",
                                  .actor = "test"}));
  auto r = (*watcher)->WatchOnce(kT0 + hours(1));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->reassigned, 1);
  EXPECT_EQ(rig.db->GetTicket(rec.ticket_id)->owner, "bob@shop.example");
  int alerts = 0;
  for (const auto& row : rig.Rows(store::OutboxState::kQueued)) {
    EXPECT_NE(row.kind, "assignment");
    if (row.kind == "agent_alert" &&
        row.recipients == std::vector<std::string>{"bob@shop.example"}) {
      ++alerts;
    }
  }
  EXPECT_EQ(alerts, 1);
}

// R2: a customer who writes to an absent agent hears who is away until when
// and whom to write to, once per absence; a colleague who is present
// changes nothing.
TEST(RoutingTest, CustomerWritingToAnAbsentAgentIsToldOnce) {
  Rig rig;
  rig.config = RoutingConfig();
  store::AbsenceIn away{.agent = "anna@shop.example",
                        .from = kT0 - hours(1),
                        .until = kT0 + hours(14 * 24),
                        .source = "command",
                        .detail = "",
                        .actor = "test"};
  ASSERT_TRUE(rig.db->AddAbsence(away));
  testing::Incoming to_anna;
  to_anna.cls = "quote";
  to_anna.mailbox = "sales";
  to_anna.extra_headers = "Cc: Anna <anna@shop.example>\r\n";
  rig.Receive(to_anna);
  testing::Incoming to_bob = to_anna;
  to_bob.extra_headers = "Cc: bob@shop.example\r\n";
  rig.Receive(to_bob);
  auto report = rig.NewPlanner()->PlanPending(kT0);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->absence_notices, 1);
  std::vector<store::Outgoing> notices;
  for (const auto& row : rig.Rows(store::OutboxState::kQueued)) {
    if (row.kind == "absence_fallback") notices.push_back(row);
  }
  ASSERT_EQ(notices.size(), 1u);
  auto m = ingest::ParseMessage(notices[0].raw, core::Limits{}).value();
  EXPECT_NE(m.text.find("Anna is out of the office until"), std::string::npos)
      << m.text;
  // Bob handles Anna's quotes now (R3), and the customer is told so.
  EXPECT_NE(m.text.find("bob@shop.example"), std::string::npos) << m.text;
  // The same customer writes to Anna again: no second notice.
  rig.Receive(to_anna);
  report = rig.NewPlanner()->PlanPending(kT0 + hours(1));
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report->absence_notices, 0);
}

}  // namespace
}  // namespace inboxd::responder
