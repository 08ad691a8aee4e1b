// lifecycle_test.cc: milestone timing, which milestones a ticket gets
// (class deadlines, [[account]] tiers), and the ticket transitions (waiting
// pauses, the customer's message resumes/restarts/reopens, closing meets and
// starts D7), each idempotent, on a FakeClock over a ":memory:" store.
#include "responder/lifecycle.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "responder/outbox_test_rig.h"

namespace inboxd::responder {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::Incoming;
using testing::kT0;
using testing::Rig;

constexpr seconds kDay{24 * 3600};

config::Deadline Dl(std::string id, std::string name, seconds within,
                    std::string clock = "calendar",
                    std::string start = "arrival") {
  config::Deadline d;
  d.id = std::move(id);
  d.name = std::move(name);
  d.within = within;
  d.clock = std::move(clock);
  d.start = std::move(start);
  return d;
}

// The calendar of the rig's mailboxes (POLICY business hours, Berlin).
BusinessCalendar Calendar(const config::Config& c) {
  auto cal = BusinessCalendar::Create(c.business_hours, "Europe/Berlin");
  INBOXD_CHECK(cal.has_value());
  return std::move(*cal);
}

store::Ticket TicketOf(Rig& rig, int64_t id) {
  auto t = rig.db->GetTicket(id);
  INBOXD_CHECK(t.has_value());
  return *t;
}

std::map<std::string, store::Milestone> MilestonesOf(Rig& rig, int64_t id) {
  auto list = rig.db->ListMilestones(id);
  INBOXD_CHECK(list.has_value());
  std::map<std::string, store::Milestone> out;
  for (const store::Milestone& m : *list) out[m.milestone_id] = m;
  return out;
}

std::optional<core::TimePoint> NextAction(Rig& rig) {
  auto next = rig.db->NextMilestoneAction();
  INBOXD_CHECK(next.has_value());
  return *next;
}

store::MilestoneEvidence Evidence(std::string by, core::TimePoint at) {
  store::MilestoneEvidence ev;
  ev.by = std::move(by);
  ev.at = at;
  ev.actor = "nina@shop.example";
  ev.mailbox = "support";
  return ev;
}

// A ticket of `cls` opened at kT0 with the milestones of its class.
int64_t OpenTicket(Rig& rig, const std::string& cls) {
  Incoming in;
  in.cls = cls;
  const int64_t id = rig.Receive(in).ticket_id;
  auto added = EnsureMilestones(*rig.db, rig.config, Calendar(rig.config),
                                TicketOf(rig, id), kT0);
  INBOXD_CHECK(added.has_value());
  return id;
}

// ------------------------------------------------------------ TimeMilestone

TEST(LifecycleTest, TimeMilestoneTable) {
  const std::optional<seconds> none;
  struct Case {
    std::string label;
    config::Deadline d;
    int warn_percent;
    std::vector<std::string> notice_for;
    seconds want_due;
    std::optional<seconds> want_warn;
    std::optional<seconds> want_notice;
  } cases[] = {
      {"answer 10h: warn at 75%, notice at due - 4h",
       Dl("D2", "answer", hours(10)),
       75,
       {"answer", "resolve"},
       hours(10),
       hours(7) + minutes(30),
       hours(6)},
      {"ack is not in delay_notice_for: no notice",
       Dl("D1", "ack", hours(2)),
       75,
       {"answer", "resolve"},
       hours(2),
       hours(1) + minutes(30),
       none},
      {"notice would fall before the start: none",
       Dl("D2", "answer", hours(3)),
       75,
       {"answer"},
       hours(3),
       hours(2) + minutes(15),
       none},
      {"notice exactly at the start: none (must be after)",
       Dl("D2", "answer", hours(4)),
       75,
       {"answer"},
       hours(4),
       hours(3),
       none},
      {"warn 0%: no warning",
       Dl("D2", "answer", hours(10)),
       0,
       {"answer"},
       hours(10),
       none,
       hours(6)},
      {"warn 50%",
       Dl("D2", "answer", hours(10)),
       50,
       {},
       hours(10),
       hours(5),
       none},
      {"listed by id",
       Dl("D2", "quote", hours(10)),
       75,
       {"D2"},
       hours(10),
       hours(7) + minutes(30),
       hours(6)},
      {"listed in another case",
       Dl("D2", "answer", hours(10)),
       75,
       {"ANSWER"},
       hours(10),
       hours(7) + minutes(30),
       hours(6)},
      {"empty delay_notice_for: no notice",
       Dl("D6", "resolve", 14 * kDay),
       75,
       {},
       14 * kDay,
       10 * kDay + hours(12),
       none},
      // Tue 10:00 Berlin + 4 business hours (lunch 12-13) = 15:00 Berlin.
      {"business clock",
       Dl("D3", "answer", hours(4), "business"),
       75,
       {"answer"},
       hours(5),
       hours(3) + minutes(45),
       hours(1)},
  };
  const BusinessCalendar calendar = Calendar(config::Defaults());
  for (const Case& c : cases) {
    config::Deadlines deadlines;
    deadlines.warn_at_percent = c.warn_percent;
    deadlines.delay_notice_for = c.notice_for;
    auto t = TimeMilestone(calendar, deadlines, c.d, kT0);
    ASSERT_TRUE(t.has_value()) << c.label << ": " << t.error().ToString();
    EXPECT_EQ(t->started_at, kT0) << c.label;
    EXPECT_EQ(t->due_at, kT0 + c.want_due) << c.label;
    std::optional<core::TimePoint> want_warn, want_notice;
    if (c.want_warn) want_warn = kT0 + *c.want_warn;
    if (c.want_notice) want_notice = kT0 + *c.want_notice;
    EXPECT_EQ(t->warn_at, want_warn) << c.label;
    EXPECT_EQ(t->notice_at, want_notice) << c.label;
  }
}

TEST(LifecycleTest, TimeMilestoneFailsOnAnUnknownClock) {
  auto t = TimeMilestone(Calendar(config::Defaults()), config::Deadlines{},
                         Dl("D2", "answer", hours(1), "lunar"), kT0);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message.find("D2"), std::string::npos)
      << t.error().ToString();
}

// ---------------------------------------------- FindAccount, MilestonesFor

config::Config AccountConfig(bool support_has_answer) {
  config::Config c = config::Defaults();
  if (support_has_answer) {
    c.deadlines.by_class["support"] = {
        Dl("D1", "ack", hours(2)), Dl("D2", "answer", hours(10)),
        Dl("D7", "followup", 48 * hours(1), "calendar", "close")};
  }
  auto account = [](std::string name, std::vector<std::string> addresses,
                    std::vector<std::string> domains, std::string tier) {
    config::Account a;
    a.name = std::move(name);
    a.addresses = std::move(addresses);
    a.domains = std::move(domains);
    a.tier = std::move(tier);
    return a;
  };
  c.accounts = {
      account("Acme", {"boss@acme.example"}, {}, "gold"),
      account("Customer", {}, {"customer.example"}, "silver"),
      account("Customer EU", {}, {"eu.customer.example"}, "gold"),
      account("Free", {}, {"free.example"}, ""),
      account("Unknown tier", {}, {"bad.example"}, "platinum"),
      account("Anna", {"anna@customer.example"}, {}, "gold"),
  };
  config::Tier gold;
  gold.name = "gold";
  gold.answer = Dl("D3", "answer", hours(4), "business");
  config::Tier silver;
  silver.name = "silver";
  silver.answer = Dl("", "", hours(8), "business");  // id/name default
  c.tiers = {{"gold", gold}, {"silver", silver}};
  return c;
}

TEST(LifecycleTest, FindAccountTable) {
  const config::Config c = AccountConfig(false);
  struct Case {
    std::string customer;
    std::string want;  // account name; "" = none
  } cases[] = {
      {"boss@acme.example", "Acme"},               // exact address
      {"BOSS@Acme.Example", "Acme"},               // any case
      {"  boss@acme.example ", "Acme"},            // trimmed
      {"other@acme.example", ""},                  // address only, no domain
      {"bob@customer.example", "Customer"},        // domain
      {"bob@sales.customer.example", "Customer"},  // subdomain
      {"bob@eu.customer.example", "Customer EU"},  // longest domain wins
      {"bob@x.eu.customer.example", "Customer EU"},
      {"bob@notcustomer.example", ""},  // not a subdomain
      {"bob@customer.example.org", ""},
      {"anna@customer.example", "Anna"},  // address before domain
      {"customer.example", ""},           // no '@'
      {"", ""},
  };
  for (const Case& c2 : cases) {
    const config::Account* a = FindAccount(c, c2.customer);
    EXPECT_EQ(a == nullptr ? "" : a->name, c2.want)
        << "'" << c2.customer << "'";
  }
}

// "D1/ack/7200s" per milestone, in order.
std::vector<std::string> Describe(const std::vector<config::Deadline>& list) {
  std::vector<std::string> out;
  for (const config::Deadline& d : list) {
    out.push_back(d.id + "/" + d.name + "/" + std::to_string(d.within.count()) +
                  "s/" + d.clock + "/" + d.start);
  }
  return out;
}

TEST(LifecycleTest, MilestonesForTable) {
  using V = std::vector<std::string>;
  const std::string ack = "D1/ack/7200s/calendar/arrival";
  const std::string followup = "D7/followup/172800s/calendar/close";
  const std::string class_answer = "D2/answer/36000s/calendar/arrival";
  const std::string gold = "D3/answer/14400s/business/arrival";
  const std::string silver = "D3/answer/28800s/business/arrival";
  struct Case {
    bool support_has_answer;
    std::string cls, customer;
    V want;
  } cases[] = {
      // Class deadlines, "other" as the fallback.
      {false,
       "quote",
       "x@y.example",
       {ack, "D2/answer/172800s/calendar/arrival"}},
      {false, "complaint", "x@y.example",
       V{ack, "D5/receipt/172800s/business/arrival",
         "D6/resolve/1209600s/calendar/arrival"}},
      {false, "nonesuch", "x@y.example", {ack}},
      {false, "", "x@y.example", {ack}},
      // Support: no tier -> the class's own deadlines.
      {false, "support", "x@y.example", {ack, followup}},
      {true, "support", "x@y.example", {ack, class_answer, followup}},
      {false, "support", "x@free.example", {ack, followup}},  // tier ""
      {false, "support", "x@bad.example", {ack, followup}},   // unknown tier
      // Support with a tier: the tier's answer, appended or in place.
      {false, "support", "boss@acme.example", {ack, followup, gold}},
      {true, "support", "boss@acme.example", {ack, gold, followup}},
      {false, "support", "bob@customer.example", {ack, followup, silver}},
      {false, "support", "bob@x.customer.example", {ack, followup, silver}},
      {true, "support", "bob@eu.customer.example", {ack, gold, followup}},
      // Tiers are a support matter only.
      {false,
       "quote",
       "boss@acme.example",
       {ack, "D2/answer/172800s/calendar/arrival"}},
  };
  for (const Case& c : cases) {
    const config::Config cfg = AccountConfig(c.support_has_answer);
    EXPECT_EQ(Describe(MilestonesFor(cfg, c.cls, c.customer)), c.want)
        << c.cls << " " << c.customer << " class answer "
        << c.support_has_answer;
  }
}

// ---------------------------------------------------------- EnsureMilestones

TEST(LifecycleTest, EnsureMilestonesIsIdempotentAndSkipsCloseDeadlines) {
  struct Case {
    std::string label;
    std::vector<config::Account> accounts;
    std::vector<std::string> want_ids;
  } cases[] = {
      {"support, no tier: D1 only (D7 starts at close)", {}, {"D1"}},
      {"support with a tier: D1 + D3",
       AccountConfig(false).accounts,
       {"D1", "D3"}},
  };
  for (const Case& c : cases) {
    Rig rig;
    rig.config.accounts = c.accounts;
    rig.config.tiers = AccountConfig(false).tiers;
    const int64_t id = rig.Receive({}).ticket_id;
    const BusinessCalendar calendar = Calendar(rig.config);
    auto first =
        EnsureMilestones(*rig.db, rig.config, calendar, TicketOf(rig, id), kT0);
    ASSERT_TRUE(first.has_value()) << c.label;
    EXPECT_EQ(*first, static_cast<int>(c.want_ids.size())) << c.label;
    // Again, later, and from a restarted process: nothing is added or moved.
    rig.clock.Advance(hours(1));
    auto again = EnsureMilestones(*rig.db, rig.config, Calendar(rig.config),
                                  TicketOf(rig, id), kT0 + hours(1));
    ASSERT_TRUE(again.has_value()) << c.label;
    EXPECT_EQ(*again, 0) << c.label;
    auto ms = MilestonesOf(rig, id);
    std::vector<std::string> ids;
    for (const auto& [mid, m] : ms) {
      ids.push_back(mid);
      EXPECT_EQ(m.started_at, kT0) << c.label << " " << mid;
    }
    EXPECT_EQ(ids, c.want_ids) << c.label;
    EXPECT_EQ(ms.count("D7"), 0u) << c.label;
    EXPECT_EQ(rig.Events("milestone.set").size(), c.want_ids.size()) << c.label;
  }
}

// ----------------------------------------------------------------- waiting

config::Config LifecycleConfig() {
  config::Config c = testing::RigConfig();
  c.deadlines.by_class["support"] = {
      Dl("D1", "ack", hours(2)), Dl("D2", "answer", hours(10)),
      Dl("D7", "followup", hours(48), "calendar", "close")};
  c.deadlines.by_class["complaint"] = {
      Dl("D1", "ack", hours(2)), Dl("D2", "answer", hours(10)),
      Dl("D5", "receipt", hours(4), "business"),
      Dl("D6", "resolve", 14 * kDay)};
  return c;
}

TEST(LifecycleTest, SetWaitingPausesOpenMilestonesOnce) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  ASSERT_TRUE(NextAction(rig).has_value());
  // D1 is met before the ticket waits: it stays met and is not paused.
  ASSERT_EQ(
      rig.db->MeetMilestone(id, "D1", Evidence("our_mail", kT0 + minutes(30))),
      store::MilestoneState::kMet);

  const store::Ticket open_snapshot = TicketOf(rig, id);
  rig.clock.Set(kT0 + hours(1));
  ASSERT_TRUE(SetWaiting(*rig.db, open_snapshot, kT0 + hours(1),
                         "nina@shop.example", "asked for the serial number")
                  .has_value());
  store::Ticket t = TicketOf(rig, id);
  EXPECT_EQ(t.state, store::TicketState::kWaiting);
  EXPECT_EQ(t.waiting_since, kT0 + hours(1));
  auto ms = MilestonesOf(rig, id);
  EXPECT_FALSE(ms["D1"].paused_at.has_value());
  EXPECT_EQ(ms["D1"].state, store::MilestoneState::kMet);
  EXPECT_EQ(ms["D2"].paused_at, kT0 + hours(1));
  EXPECT_EQ(ms["D2"].due_at, kT0 + hours(10));  // not moved by the pause
  EXPECT_FALSE(NextAction(rig).has_value());    // the watcher has nothing
  auto due = rig.db->ListMilestonesDue(kT0 + 30 * kDay);
  ASSERT_TRUE(due.has_value());
  EXPECT_TRUE(due->empty());

  // Again (and from the old ticket snapshot): nothing changes.
  rig.clock.Set(kT0 + hours(2));
  ASSERT_TRUE(
      SetWaiting(*rig.db, TicketOf(rig, id), kT0 + hours(2), "inboxd", "again")
          .has_value());
  ASSERT_TRUE(
      SetWaiting(*rig.db, open_snapshot, kT0 + hours(2), "inboxd", "again")
          .has_value());
  EXPECT_EQ(MilestonesOf(rig, id)["D2"].paused_at, kT0 + hours(1));
  EXPECT_EQ(TicketOf(rig, id).waiting_since, kT0 + hours(1));
  EXPECT_EQ(rig.Events("milestone.paused").size(), 1u);
}

TEST(LifecycleTest, CustomerMessageResumesWithTimeLeftAndRestartsD6) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "complaint");
  ASSERT_EQ(
      rig.db->MeetMilestone(id, "D1", Evidence("our_mail", kT0 + minutes(30))),
      store::MilestoneState::kMet);
  const core::TimePoint pause = kT0 + hours(1);  // Tue 11:00 Berlin
  rig.clock.Set(pause);
  ASSERT_TRUE(
      SetWaiting(*rig.db, TicketOf(rig, id), pause, "nina@shop.example", "q")
          .has_value());

  // The customer answers a day and two hours later (Wed 12:00 Berlin).
  const core::TimePoint at = kT0 + hours(26);
  rig.clock.Set(at);
  auto line = OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                TicketOf(rig, id), at, "anna@customer.example");
  ASSERT_TRUE(line.has_value()) << line.error().ToString();
  EXPECT_NE(line->find("D2 resumed"), std::string::npos) << *line;
  EXPECT_NE(line->find("D6 restarted"), std::string::npos) << *line;

  store::Ticket t = TicketOf(rig, id);
  EXPECT_EQ(t.state, store::TicketState::kOpen);
  EXPECT_EQ(t.customer_at, at);
  EXPECT_FALSE(t.waiting_since.has_value());

  struct Want {
    std::string id;
    core::TimePoint started, due;
    std::optional<core::TimePoint> warn, notice;
    std::string event;
  } wants[] = {
      // Calendar: 9 h were left; everything moves by the pause (25 h).
      {"D2", kT0 + hours(25), at + hours(9), kT0 + hours(25) + minutes(450),
       kT0 + hours(31), "milestone.resumed"},
      // Business: 3 business hours were left (11-12, 13-15); from Wed 12:00
      // (lunch) that is 13:00-16:00 Berlin = 15:00 UTC. Shift 25 h.
      {"D5", kT0 + hours(25), kT0 + hours(30), kT0 + hours(25) + minutes(225),
       std::nullopt, "milestone.resumed"},
      // D6 restarts its whole window from the message (POLICY D6).
      {"D6", at, at + 14 * kDay, at + 10 * kDay + hours(12),
       at + 14 * kDay - hours(4), "milestone.restarted"},
  };
  auto ms = MilestonesOf(rig, id);
  for (const Want& w : wants) {
    const store::Milestone& m = ms[w.id];
    EXPECT_EQ(m.state, store::MilestoneState::kOpen) << w.id;
    EXPECT_FALSE(m.paused_at.has_value()) << w.id;
    EXPECT_EQ(m.started_at, w.started) << w.id;
    EXPECT_EQ(m.due_at, w.due) << w.id << " " << core::FormatUtc(m.due_at);
    EXPECT_EQ(m.warn_at, w.warn) << w.id;
    EXPECT_EQ(m.notice_at, w.notice) << w.id;
  }
  EXPECT_EQ(ms["D1"].state, store::MilestoneState::kMet);  // untouched
  EXPECT_EQ(rig.Events("milestone.resumed").size(), 2u);
  EXPECT_EQ(rig.Events("milestone.restarted").size(), 1u);
  EXPECT_EQ(NextAction(rig), kT0 + hours(25) + minutes(225));  // D5's warn

  // A second message on the now open ticket moves only customer_at.
  rig.clock.Set(at + hours(1));
  auto again = OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                 TicketOf(rig, id), at + hours(1),
                                 "anna@customer.example");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, "");
  EXPECT_EQ(TicketOf(rig, id).customer_at, at + hours(1));
  EXPECT_EQ(MilestonesOf(rig, id)["D2"].due_at, at + hours(9));
  EXPECT_EQ(rig.Events("milestone.resumed").size(), 2u);
  EXPECT_EQ(rig.Events("milestone.restarted").size(), 1u);
}

TEST(LifecycleTest, ResumeKeepsAWarningAlreadySent) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  store::MilestoneMark warned;
  warned.action = store::MilestoneMark::Action::kWarned;
  warned.at = kT0 + hours(8);
  rig.clock.Set(kT0 + hours(8));
  ASSERT_TRUE(rig.db->MarkMilestone(id, "D2", warned).has_value());
  ASSERT_TRUE(
      SetWaiting(*rig.db, TicketOf(rig, id), kT0 + hours(8), "inboxd", "q")
          .has_value());
  const core::TimePoint at = kT0 + 2 * kDay;
  rig.clock.Set(at);
  ASSERT_TRUE(OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                TicketOf(rig, id), at, "anna@customer.example")
                  .has_value());
  const store::Milestone m = MilestonesOf(rig, id)["D2"];
  EXPECT_EQ(m.due_at, at + hours(2));
  EXPECT_FALSE(m.warn_at.has_value());  // warned once: not again
}

TEST(LifecycleTest, CustomerMessageReopensAClosedTicket) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  rig.clock.Set(kT0 + hours(3));
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config),
                    TicketOf(rig, id), kT0 + hours(3),
                    Evidence("closed", kT0 + hours(3)), "done")
                  .has_value());
  const auto before = MilestonesOf(rig, id);
  const core::TimePoint at = kT0 + hours(5);
  rig.clock.Set(at);
  const store::Ticket closed_snapshot = TicketOf(rig, id);
  auto line = OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                closed_snapshot, at, "anna@customer.example");
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find("reopened"), std::string::npos) << *line;
  store::Ticket t = TicketOf(rig, id);
  EXPECT_EQ(t.state, store::TicketState::kOpen);
  EXPECT_FALSE(t.closed_at.has_value());
  EXPECT_EQ(t.customer_at, at);
  // No clock changes.
  const auto after = MilestonesOf(rig, id);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [mid, m] : before) {
    EXPECT_EQ(after.at(mid).state, m.state) << mid;
    EXPECT_EQ(after.at(mid).due_at, m.due_at) << mid;
  }
  // Again with the stale (closed) snapshot: still open, one reopen event.
  auto states = rig.Events("ticket.state");
  const size_t n = states.size();
  ASSERT_TRUE(OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                closed_snapshot, at, "anna@customer.example")
                  .has_value());
  EXPECT_EQ(rig.Events("ticket.state").size(), n);
  EXPECT_EQ(TicketOf(rig, id).state, store::TicketState::kOpen);
}

// ------------------------------------------------------------------- close

TEST(LifecycleTest, CloseMeetsArrivalMilestonesAndStartsFollowup) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  // D1 was met by the acknowledgement: its evidence stays.
  ASSERT_EQ(
      rig.db->MeetMilestone(id, "D1", Evidence("our_mail", kT0 + minutes(1))),
      store::MilestoneState::kMet);
  const core::TimePoint at = kT0 + hours(3);
  rig.clock.Set(at);
  const store::Ticket open_snapshot = TicketOf(rig, id);
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config), open_snapshot,
                    at, Evidence("closed", at), "the agent set $Done")
                  .has_value());

  store::Ticket t = TicketOf(rig, id);
  EXPECT_EQ(t.state, store::TicketState::kClosed);
  EXPECT_EQ(t.closed_at, at);
  auto ms = MilestonesOf(rig, id);
  ASSERT_EQ(ms.size(), 3u);
  EXPECT_EQ(ms["D1"].evidence.by, "our_mail");
  EXPECT_EQ(ms["D2"].state, store::MilestoneState::kMet);
  EXPECT_EQ(ms["D2"].met_at, at);
  EXPECT_EQ(ms["D2"].evidence.by, "closed");
  EXPECT_EQ(ms["D2"].evidence.actor, "nina@shop.example");
  // D7 starts at the closing (POLICY D7): due 48 h later.
  EXPECT_EQ(ms["D7"].state, store::MilestoneState::kOpen);
  EXPECT_EQ(ms["D7"].started_at, at);
  EXPECT_EQ(ms["D7"].due_at, at + hours(48));
  EXPECT_EQ(ms["D7"].warn_at, at + hours(36));
  EXPECT_FALSE(ms["D7"].notice_at.has_value());  // inboxd's own mail
  EXPECT_EQ(NextAction(rig), at + hours(36));

  // Idempotent: again (current and stale snapshot) changes nothing.
  const size_t met = rig.Events("milestone.met").size();
  const size_t set = rig.Events("milestone.set").size();
  const size_t states = rig.Events("ticket.state").size();
  rig.clock.Set(at + hours(1));
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config),
                    TicketOf(rig, id), at + hours(1),
                    Evidence("closed", at + hours(1)), "again")
                  .has_value());
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config), open_snapshot,
                    at + hours(1), Evidence("closed", at + hours(1)), "stale")
                  .has_value());
  EXPECT_EQ(rig.Events("milestone.met").size(), met);
  EXPECT_EQ(rig.Events("milestone.set").size(), set);
  EXPECT_EQ(rig.Events("ticket.state").size(), states);
  EXPECT_EQ(MilestonesOf(rig, id)["D7"].due_at, at + hours(48));
  EXPECT_EQ(TicketOf(rig, id).closed_at, at);
}

TEST(LifecycleTest, CloseAfterDueRecordsLateAnswersAndStopsEscalation) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  // D1 (2 h) was missed and escalated; D2 (10 h) is still open.
  store::MilestoneMark missed;
  missed.action = store::MilestoneMark::Action::kMissed;
  missed.at = kT0 + hours(2);
  missed.next_escalation_at = kT0 + hours(6);
  rig.clock.Set(kT0 + hours(2));
  ASSERT_TRUE(rig.db->MarkMilestone(id, "D1", missed).has_value());
  const core::TimePoint at = kT0 + hours(3);
  rig.clock.Set(at);
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config),
                    TicketOf(rig, id), at, Evidence("closed", at), "done")
                  .has_value());
  auto ms = MilestonesOf(rig, id);
  EXPECT_EQ(ms["D1"].state, store::MilestoneState::kMissed);
  EXPECT_EQ(ms["D1"].evidence.by, "closed");
  EXPECT_FALSE(ms["D1"].next_escalation_at.has_value());
  EXPECT_EQ(ms["D2"].state, store::MilestoneState::kMet);
  EXPECT_EQ(rig.Events("milestone.answered_late").size(), 1u);
}

// Regression (found by this test): a milestone paused while the ticket
// waited on the customer was judged against its stale due time; closing the
// waiting ticket later recorded it as missed although its clock had stopped
// with 9 of its 10 hours left. The time while paused does not count (POLICY
// D6, lifecycle.h "waiting pauses"): it is met.
TEST(LifecycleTest, CloseOfAWaitingTicketMeetsPausedMilestones) {
  Rig rig;
  rig.config = LifecycleConfig();
  const int64_t id = OpenTicket(rig, "support");
  ASSERT_EQ(
      rig.db->MeetMilestone(id, "D1", Evidence("our_mail", kT0 + minutes(1))),
      store::MilestoneState::kMet);
  rig.clock.Set(kT0 + hours(1));
  ASSERT_TRUE(SetWaiting(*rig.db, TicketOf(rig, id), kT0 + hours(1),
                         "nina@shop.example", "q")
                  .has_value());
  // The customer never answers; the agent closes the ticket two days later.
  const core::TimePoint at = kT0 + 2 * kDay;
  rig.clock.Set(at);
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config),
                    TicketOf(rig, id), at, Evidence("closed", at), "done")
                  .has_value());
  const store::Milestone d2 = MilestonesOf(rig, id)["D2"];
  EXPECT_EQ(d2.state, store::MilestoneState::kMet)
      << "paused D2 (due " << core::FormatUtc(d2.due_at)
      << " before the pause) was judged late at the closing";
  EXPECT_TRUE(rig.Events("milestone.answered_late").empty());
}

}  // namespace
}  // namespace inboxd::responder
