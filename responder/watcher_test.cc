// watcher_test.cc: the deadline watcher on a FakeClock: warning at warn_at%,
// delay notice at due - delay_notice_before (and its refusals), breach and
// the escalation chain, pauses, closed tickets, csat, the R6 board notice,
// unconfigured addresses. Every step exactly once, across restarts (a new
// Watcher between runs), with the queued outbox rows and audit events.
#include "responder/watcher.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "responder/lifecycle.h"
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
const std::vector<std::string> kNobody;

config::Deadline Dl(std::string id, std::string name, seconds within,
                    std::string start = "arrival") {
  config::Deadline d;
  d.id = std::move(id);
  d.name = std::move(name);
  d.within = within;
  d.clock = "calendar";
  d.start = std::move(start);
  return d;
}

config::Agent Agent(std::string name, std::string address, std::string team) {
  config::Agent a;
  a.name = std::move(name);
  a.address = std::move(address);
  a.team = std::move(team);
  return a;
}

// Support gets a quote-like answer deadline (D2, 10 h calendar) beside the
// acknowledgement (D1, 2 h) and the follow-up (D7, 48 h from closing). The
// route: Nina owns it; escalation goes to the lead, then the manager; the
// board hears of material defects.
config::Config WatchConfig() {
  config::Config c = testing::RigConfig();
  c.deadlines.by_class["support"] = {Dl("D1", "ack", hours(2)),
                                     Dl("D2", "answer", hours(10)),
                                     Dl("D7", "followup", hours(48), "close")};
  c.agents = {Agent("Nina Agent", "nina@shop.example", "first-level"),
              Agent("Olaf Agent", "olaf@shop.example", "first-level")};
  c.routes[0].primary = "nina@shop.example";
  c.routes[0].escalate_to = {"lead@shop.example", "manager@shop.example"};
  c.routes[0].board = "board@shop.example";
  return c;
}

core::Message Parse(const std::string& raw) {
  auto m = ingest::ParseMessage(raw, core::Limits{});
  EXPECT_TRUE(m.has_value());
  return m.value_or(core::Message{});
}

std::unique_ptr<Watcher> NewWatcher(Rig& rig) {
  auto w = Watcher::Create(&rig.config, rig.db.get(), rig.templates.get(),
                           "test-key", [](std::string_view raw) {
                             return ingest::ParseMessage(raw, core::Limits{});
                           });
  INBOXD_CHECK(w.has_value());
  return std::move(*w);
}

// Opens a support ticket at the rig's clock through the planner (milestones
// + acknowledgement); with `drain` the acknowledgement is sent, which meets
// D1, so only D2 runs.
int64_t Open(Rig& rig, Incoming in = {}, bool drain = true) {
  const int64_t id = rig.Receive(in).ticket_id;
  auto p = rig.NewPlanner()->PlanPending(rig.clock.Now());
  INBOXD_CHECK(p.has_value() && p->errors == 0);
  if (drain) {
    auto d = rig.NewDrain()->DrainOnce(rig.clock.Now());
    INBOXD_CHECK(d.has_value() && d->errors.empty());
  }
  return id;
}

// A ticket created with classification flags (no milestones).
int64_t OpenFlagged(Rig& rig, const std::string& cls,
                    const std::vector<std::string>& flags, int n) {
  store::RawMessageIn raw;
  raw.mailbox = "support";
  raw.folder = "INBOX";
  raw.uid_validity = 9;
  raw.uid = static_cast<uint32_t>(n);
  raw.arrived_at = rig.clock.Now();
  raw.message_id = "defect" + std::to_string(n) + "@customer.example";
  raw.raw =
      "From: Anna Kunde <anna@customer.example>\r\nTo: "
      "support@shop.example\r\nSubject: Machine is defective\r\nMessage-ID: "
      "<" +
      raw.message_id +
      ">\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n\r\nIt is broken.\r\n";
  raw.sha256 = core::Sha256Hex(raw.raw);
  raw.size = raw.raw.size();
  auto ref = rig.db->PutRawMessage(raw);
  INBOXD_CHECK(ref.has_value());
  store::TicketIn t;
  t.mailbox = "support";
  t.prefix = "S";
  t.customer = "anna@customer.example";
  t.subject = "Machine is defective";
  t.normalized_subject = t.subject;
  t.cls = cls;
  t.language = "en";
  t.opened_at = rig.clock.Now();
  t.flags = flags;
  store::DecisionRow d;
  d.kind = "human";
  d.cls = cls;
  d.thread = "new";
  d.language = "en";
  d.decision = "refused";
  d.party = "customer";
  d.flags = flags;
  auto ticket = rig.db->RecordDecisionWithNewTicket(ref->id, t, d);
  INBOXD_CHECK(ticket.has_value());
  return ticket->id;
}

// One watcher run at `at` (the clock moves there first); no errors.
WatchReport Watch(Rig& rig, Watcher& w, core::TimePoint at) {
  rig.clock.Set(at);
  auto r = w.WatchOnce(at);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  if (!r) return {};
  EXPECT_EQ(r->errors, 0) << (r->error_messages.empty()
                                  ? ""
                                  : r->error_messages.front());
  return *r;
}

// Outbox rows of `kind` in any state, oldest first.
std::vector<store::Outgoing> RowsOfKind(Rig& rig, const std::string& kind) {
  std::vector<store::Outgoing> out;
  for (store::OutboxState s :
       {store::OutboxState::kQueued, store::OutboxState::kSending,
        store::OutboxState::kSent, store::OutboxState::kDeferred,
        store::OutboxState::kFailed}) {
    for (store::Outgoing& row : rig.Rows(s)) {
      if (row.kind == kind) out.push_back(std::move(row));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

// Every outbox row except the acknowledgements.
size_t WatcherRows(Rig& rig) {
  size_t n = 0;
  for (const char* k : {"agent_alert", "delay_notice", "escalation", "csat"}) {
    n += RowsOfKind(rig, k).size();
  }
  return n;
}

std::vector<nlohmann::json> EventData(Rig& rig, const std::string& type) {
  std::vector<nlohmann::json> out;
  for (const store::Event& e : rig.Events(type)) {
    out.push_back(nlohmann::json::parse(e.FullData(), nullptr, false));
  }
  return out;
}

size_t MarkEvents(Rig& rig) {
  return rig.Events("milestone.warned").size() +
         rig.Events("milestone.notified").size() +
         rig.Events("milestone.missed").size() +
         rig.Events("milestone.escalated").size();
}

store::Milestone MilestoneOf(Rig& rig, int64_t ticket, const std::string& id) {
  auto list = rig.db->ListMilestones(ticket);
  INBOXD_CHECK(list.has_value());
  for (const store::Milestone& m : *list) {
    if (m.milestone_id == id) return m;
  }
  ADD_FAILURE() << "no milestone " << id;
  return {};
}

store::Ticket TicketOf(Rig& rig, int64_t id) {
  auto t = rig.db->GetTicket(id);
  INBOXD_CHECK(t.has_value());
  return *t;
}

BusinessCalendar Calendar(const config::Config& c) {
  auto cal = BusinessCalendar::Create(c.business_hours, "Europe/Berlin");
  INBOXD_CHECK(cal.has_value());
  return std::move(*cal);
}

void CloseTicket(Rig& rig, int64_t id, core::TimePoint at) {
  rig.clock.Set(at);
  store::MilestoneEvidence ev;
  ev.by = "closed";
  ev.at = at;
  ev.actor = "nina@shop.example";
  ASSERT_TRUE(Close(*rig.db, rig.config, Calendar(rig.config),
                    TicketOf(rig, id), at, ev, "the agent set $Done")
                  .has_value());
}

void ExpectUniqueMessageIds(Rig& rig) {
  std::set<std::string> ids;
  size_t rows = 0;
  for (const char* k :
       {"ack", "agent_alert", "delay_notice", "escalation", "csat"}) {
    for (const store::Outgoing& row : RowsOfKind(rig, k)) {
      ++rows;
      ids.insert(row.message_id);
      EXPECT_TRUE(IsOurMessageId(row.message_id, "test-key", "shop.example"))
          << row.message_id;
    }
  }
  EXPECT_EQ(ids.size(), rows);
}

std::vector<std::string> To(const nlohmann::json& data) {
  std::vector<std::string> out;
  if (data.contains("to")) {
    for (const auto& x : data["to"]) out.push_back(x.get<std::string>());
  }
  return out;
}

// ------------------------------------------------------------------ warning

TEST(WatcherTest, WarnsTheOwnerOnceAtSeventyFivePercent) {
  Rig rig;
  rig.config = WatchConfig();
  rig.config.deadlines.delay_notice_for = {};  // the warning alone
  const int64_t id = Open(rig);
  auto watcher = NewWatcher(rig);
  struct Step {
    seconds at;
    bool restart;  // a new Watcher (a restarted process)
    int want_warned, want_alerts;
  } steps[] = {
      {hours(1), false, 0, 0},
      {hours(7) + minutes(30) - seconds(1), false, 0, 0},  // before 75%
      {hours(7) + minutes(30), false, 1, 1},               // at 75%
      {hours(7) + minutes(30), false, 0, 1},               // same run again
      {hours(8), true, 0, 1},                              // restart
      {hours(9), true, 0, 1},
  };
  for (const Step& s : steps) {
    if (s.restart) watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + s.at);
    EXPECT_EQ(r.warned, s.want_warned) << s.at.count();
    EXPECT_EQ(RowsOfKind(rig, "agent_alert").size(),
              static_cast<size_t>(s.want_alerts))
        << s.at.count();
    EXPECT_EQ(WatcherRows(rig), static_cast<size_t>(s.want_alerts))
        << s.at.count();
  }
  auto alerts = RowsOfKind(rig, "agent_alert");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].ticket_id, id);
  EXPECT_EQ(alerts[0].recipients,
            std::vector<std::string>{"nina@shop.example"});
  core::Message mail = Parse(alerts[0].raw);
  EXPECT_NE(mail.subject.find("[#S-1000]"), std::string::npos) << mail.subject;
  EXPECT_NE(mail.subject.find("D2 (answer)"), std::string::npos);
  EXPECT_NE(mail.text.find("Hello Nina Agent"), std::string::npos) << mail.text;
  EXPECT_NE(mail.text.find("anna@customer.example"), std::string::npos);
  EXPECT_NE(mail.text.find("due in 2 h 30 min"), std::string::npos);
  ASSERT_NE(mail.Header("Auto-Submitted"), nullptr);
  EXPECT_EQ(*mail.Header("Auto-Submitted"), "auto-generated");

  auto events = EventData(rig, "milestone.warned");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["milestone"], "D2");
  EXPECT_EQ(events[0]["ticket"], "S-1000");
  EXPECT_EQ(events[0]["left"], "2 h 30 min");
  EXPECT_EQ(To(events[0]), std::vector<std::string>{"nina@shop.example"});
  EXPECT_FALSE(events[0].contains("not_sent"));
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  EXPECT_EQ(d2.warned_at, kT0 + hours(7) + minutes(30));
  EXPECT_EQ(d2.state, store::MilestoneState::kOpen);
  auto next = watcher->NextWakeup(kT0);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, kT0 + hours(10));  // the breach is next
  ExpectUniqueMessageIds(rig);
}

TEST(WatcherTest, WarnsEveryAgentOfATeamOwner) {
  Rig rig;
  rig.config = WatchConfig();
  rig.config.routes[0].primary = "first-level";  // a team
  Open(rig);
  auto watcher = NewWatcher(rig);
  Watch(rig, *watcher, kT0 + hours(8));
  std::set<std::string> to;
  for (const auto& row : RowsOfKind(rig, "agent_alert")) {
    ASSERT_EQ(row.recipients.size(), 1u);
    to.insert(row.recipients[0]);
  }
  EXPECT_EQ(to,
            (std::set<std::string>{"nina@shop.example", "olaf@shop.example"}));
  EXPECT_EQ(rig.Events("milestone.warned").size(), 1u);
  ExpectUniqueMessageIds(rig);
}

// ------------------------------------------------------------- delay notice

TEST(WatcherTest, DelayNoticeAtDueMinusFourHoursMovesTheDueTimeOnce) {
  Rig rig;
  rig.config = WatchConfig();
  rig.config.deadlines.warn_at_percent = 0;  // the notice alone
  const int64_t id = Open(rig);
  auto watcher = NewWatcher(rig);
  struct Step {
    seconds at;
    bool restart;
    int want_notified, want_rows;
  } steps[] = {
      {hours(6) - seconds(1), false, 0, 0},
      {hours(6), false, 1, 1},
      {hours(6), false, 0, 1},
      {hours(6) + minutes(1), true, 0, 1},
      {hours(10), true, 0, 1},  // the old due time: no breach any more
  };
  for (const Step& s : steps) {
    if (s.restart) watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + s.at);
    EXPECT_EQ(r.notified, s.want_notified) << s.at.count();
    EXPECT_EQ(r.missed, 0) << s.at.count();
    EXPECT_EQ(RowsOfKind(rig, "delay_notice").size(),
              static_cast<size_t>(s.want_rows))
        << s.at.count();
    EXPECT_EQ(WatcherRows(rig), static_cast<size_t>(s.want_rows));
  }
  const core::TimePoint new_due = kT0 + hours(10) + kDay;
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  EXPECT_EQ(d2.state, store::MilestoneState::kOpen);
  EXPECT_EQ(d2.due_at, new_due);  // + delay_extension (1 d, calendar)
  EXPECT_EQ(d2.original_due_at, kT0 + hours(10));
  EXPECT_EQ(d2.notified_at, kT0 + hours(6));

  auto rows = RowsOfKind(rig, "delay_notice");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].recipients,
            std::vector<std::string>{"anna@customer.example"});
  core::Message mail = Parse(rows[0].raw);
  EXPECT_EQ(mail.in_reply_to, "m1@customer.example");
  ASSERT_NE(mail.Header("Auto-Submitted"), nullptr);
  EXPECT_EQ(*mail.Header("Auto-Submitted"), "auto-replied");
  auto old_text = FormatLocalTime(kT0 + hours(10), "Europe/Berlin", "en");
  auto new_text = FormatLocalTime(new_due, "Europe/Berlin", "en");
  ASSERT_TRUE(old_text.has_value() && new_text.has_value());
  EXPECT_NE(mail.text.find(*old_text), std::string::npos) << mail.text;
  EXPECT_NE(mail.text.find(*new_text), std::string::npos) << mail.text;

  auto events = EventData(rig, "milestone.notified");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["milestone"], "D2");
  EXPECT_EQ(events[0]["customer"], "anna@customer.example");
  EXPECT_EQ(events[0]["old_due_at"], core::FormatUtc(kT0 + hours(10)));
  EXPECT_EQ(events[0]["due_at"], core::FormatUtc(new_due));
  EXPECT_FALSE(events[0].contains("skipped"));

  // The moved due time is the one that breaches.
  Watch(rig, *watcher, new_due - seconds(1));
  EXPECT_EQ(MilestoneOf(rig, id, "D2").state, store::MilestoneState::kOpen);
  Watch(rig, *watcher, new_due);
  EXPECT_EQ(MilestoneOf(rig, id, "D2").state, store::MilestoneState::kMissed);
  EXPECT_EQ(MilestoneOf(rig, id, "D2").missed_at, new_due);
  ExpectUniqueMessageIds(rig);
}

TEST(WatcherTest, DelayNoticeSkippedWhenAPersonAnsweredTheLatestMessage) {
  struct Case {
    std::string label;
    std::optional<seconds> agent_at, customer_again_at;
    bool want_sent;
  } cases[] = {
      {"nobody answered", std::nullopt, std::nullopt, true},
      {"an agent answered", hours(2), std::nullopt, false},
      {"an agent answered at the customer's time", seconds(0), std::nullopt,
       false},
      {"the customer wrote again after the answer", hours(2), hours(3), true},
  };
  for (const Case& c : cases) {
    Rig rig;
    rig.config = WatchConfig();
    rig.config.deadlines.warn_at_percent = 0;
    const int64_t id = Open(rig);
    if (c.agent_at) {
      ASSERT_TRUE(rig.db
                      ->NoteTicketMessage(id, store::TicketParty::kAgent,
                                          kT0 + *c.agent_at)
                      .has_value());
    }
    if (c.customer_again_at) {
      ASSERT_TRUE(rig.db
                      ->NoteTicketMessage(id, store::TicketParty::kCustomer,
                                          kT0 + *c.customer_again_at)
                      .has_value());
    }
    auto watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + hours(6));
    EXPECT_EQ(r.notified, c.want_sent ? 1 : 0) << c.label;
    EXPECT_EQ(r.notices_skipped, c.want_sent ? 0 : 1) << c.label;
    EXPECT_EQ(RowsOfKind(rig, "delay_notice").size(), c.want_sent ? 1u : 0u)
        << c.label;
    const store::Milestone d2 = MilestoneOf(rig, id, "D2");
    EXPECT_EQ(d2.notified_at, kT0 + hours(6)) << c.label;  // marked either way
    EXPECT_EQ(d2.due_at, c.want_sent ? kT0 + hours(10) + kDay : kT0 + hours(10))
        << c.label;
    auto events = EventData(rig, "milestone.notified");
    ASSERT_EQ(events.size(), 1u) << c.label;
    if (c.want_sent) {
      EXPECT_FALSE(events[0].contains("skipped")) << c.label;
    } else {
      ASSERT_TRUE(events[0].contains("skipped")) << c.label;
      EXPECT_NE(events[0]["skipped"].get<std::string>().find(
                    "a person already answered"),
                std::string::npos)
          << c.label << ": " << events[0].dump();
    }
    // Never retried, even by a new process.
    watcher = NewWatcher(rig);
    r = Watch(rig, *watcher, kT0 + hours(7));
    EXPECT_EQ(r.notified + r.notices_skipped, 0) << c.label;
    EXPECT_EQ(rig.Events("milestone.notified").size(), 1u) << c.label;
  }
}

TEST(WatcherTest, DelayNoticeToANoReplyAddressIsSkippedWithTheReason) {
  Rig rig;
  rig.config = WatchConfig();
  Incoming in;
  in.from = "Shop <no-reply@vendor.example>";
  const int64_t id = Open(rig, in, /*drain=*/false);
  EXPECT_TRUE(RowsOfKind(rig, "ack").empty());  // the planner refused too
  auto watcher = NewWatcher(rig);
  WatchReport r = Watch(rig, *watcher, kT0 + hours(6));
  EXPECT_EQ(r.notified, 0);
  EXPECT_EQ(r.notices_skipped, 1);
  EXPECT_TRUE(RowsOfKind(rig, "delay_notice").empty());
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  EXPECT_EQ(d2.notified_at, kT0 + hours(6));
  EXPECT_EQ(d2.due_at, kT0 + hours(10));  // no notice: the promise stands
  auto events = EventData(rig, "milestone.notified");
  ASSERT_EQ(events.size(), 1u);
  ASSERT_TRUE(events[0].contains("skipped"));
  const std::string why = events[0]["skipped"].get<std::string>();
  EXPECT_NE(why.find("no-reply@vendor.example"), std::string::npos) << why;
  EXPECT_NE(why.find("noreply_regex"), std::string::npos) << why;
  // Internal mail about the ticket still goes out (D1 breached at 2 h).
  EXPECT_EQ(RowsOfKind(rig, "escalation").size(), 1u);
  watcher = NewWatcher(rig);
  Watch(rig, *watcher, kT0 + hours(7));
  EXPECT_EQ(rig.Events("milestone.notified").size(), 1u);
}

// ------------------------------------------------------ breach, escalation

TEST(WatcherTest, BreachEscalatesAlongTheChainThenStops) {
  Rig rig;
  rig.config = WatchConfig();
  rig.config.deadlines.warn_at_percent = 0;
  rig.config.deadlines.delay_notice_for = {};
  const int64_t id = Open(rig);
  auto watcher = NewWatcher(rig);
  struct Step {
    seconds at;
    bool restart;
    int want_missed, want_escalated;
    std::vector<std::vector<std::string>> want_rows;  // recipients per row
  } steps[] = {
      {hours(10) - seconds(1), false, 0, 0, {}},
      {hours(10), false, 1, 1, {{"lead@shop.example"}}},
      {hours(10), false, 0, 0, {{"lead@shop.example"}}},
      {hours(14) - seconds(1), true, 0, 0, {{"lead@shop.example"}}},
      {hours(14),
       false,
       0,
       1,
       {{"lead@shop.example"}, {"manager@shop.example"}}},
      {hours(18),
       true,
       0,
       0,
       {{"lead@shop.example"}, {"manager@shop.example"}}},
      {hours(100),
       true,
       0,
       0,
       {{"lead@shop.example"}, {"manager@shop.example"}}},
  };
  for (const Step& s : steps) {
    if (s.restart) watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + s.at);
    EXPECT_EQ(r.missed, s.want_missed) << s.at.count();
    EXPECT_EQ(r.escalated, s.want_escalated) << s.at.count();
    std::vector<std::vector<std::string>> got;
    for (const auto& row : RowsOfKind(rig, "escalation")) {
      got.push_back(row.recipients);
    }
    EXPECT_EQ(got, s.want_rows) << s.at.count();
    EXPECT_EQ(WatcherRows(rig), s.want_rows.size()) << s.at.count();
  }
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  EXPECT_EQ(d2.state, store::MilestoneState::kMissed);
  EXPECT_EQ(d2.missed_at, kT0 + hours(10));  // at its due time
  EXPECT_EQ(d2.escalation_level, 2);
  EXPECT_EQ(d2.escalated_at, kT0 + hours(14));
  EXPECT_FALSE(d2.next_escalation_at.has_value());  // the chain ended
  auto next = watcher->NextWakeup(kT0);
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());

  auto missed = EventData(rig, "milestone.missed");
  ASSERT_EQ(missed.size(), 1u);
  EXPECT_EQ(missed[0]["milestone"], "D2");
  EXPECT_EQ(missed[0]["ticket"], "S-1000");
  EXPECT_EQ(missed[0]["at"], core::FormatUtc(kT0 + hours(10)));
  auto escalated = EventData(rig, "milestone.escalated");
  ASSERT_EQ(escalated.size(), 2u);
  EXPECT_EQ(escalated[0]["level"], 1);
  EXPECT_EQ(escalated[0]["breach"], true);
  EXPECT_EQ(To(escalated[0]), std::vector<std::string>{"lead@shop.example"});
  EXPECT_EQ(escalated[1]["level"], 2);
  EXPECT_EQ(escalated[1]["breach"], false);
  EXPECT_EQ(To(escalated[1]), std::vector<std::string>{"manager@shop.example"});
  for (const auto& e : escalated) EXPECT_FALSE(e.contains("not_sent"));

  auto rows = RowsOfKind(rig, "escalation");
  core::Message level1 = Parse(rows[0].raw);
  EXPECT_NE(level1.text.find("Hello lead@shop.example"), std::string::npos)
      << level1.text;
  EXPECT_NE(level1.text.find("Currently assigned to: Nina Agent"),
            std::string::npos);
  EXPECT_NE(level1.text.find("escalation level 1"), std::string::npos);
  EXPECT_NE(Parse(rows[1].raw).text.find("escalation level 2"),
            std::string::npos);
  ExpectUniqueMessageIds(rig);
}

TEST(WatcherTest, MetBeforeDueNeedsNothing) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig);
  store::MilestoneEvidence ev;
  ev.by = "sent_folder";
  ev.at = kT0 + hours(5);
  ev.mailbox = "support";
  ev.folder = "Sent";
  ev.message_id = "reply1@shop.example";
  ev.actor = "nina@shop.example";
  rig.clock.Set(kT0 + hours(5));
  ASSERT_EQ(rig.db->MeetMilestone(id, "D2", ev), store::MilestoneState::kMet);
  auto next = rig.db->NextMilestoneAction();
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());
  auto watcher = NewWatcher(rig);
  for (seconds at : std::vector<seconds>{hours(6), hours(7) + minutes(30),
                                         hours(10), hours(14), 30 * hours(1)}) {
    WatchReport r = Watch(rig, *watcher, kT0 + at);
    EXPECT_EQ(
        r.warned + r.notified + r.notices_skipped + r.missed + r.escalated, 0)
        << at.count();
  }
  EXPECT_EQ(WatcherRows(rig), 0u);
  EXPECT_EQ(MarkEvents(rig), 0u);
  EXPECT_EQ(MilestoneOf(rig, id, "D2").state, store::MilestoneState::kMet);
}

TEST(WatcherTest, AnAnswerAfterTheBreachStopsTheEscalation) {
  Rig rig;
  rig.config = WatchConfig();
  rig.config.deadlines.warn_at_percent = 0;
  rig.config.deadlines.delay_notice_for = {};
  const int64_t id = Open(rig);
  auto watcher = NewWatcher(rig);
  Watch(rig, *watcher, kT0 + hours(10));
  ASSERT_EQ(RowsOfKind(rig, "escalation").size(), 1u);
  ASSERT_EQ(MilestoneOf(rig, id, "D2").next_escalation_at, kT0 + hours(14));

  store::MilestoneEvidence ev;
  ev.by = "sent_folder";
  ev.at = kT0 + hours(11);
  ev.mailbox = "support";
  ev.folder = "Sent";
  ev.actor = "nina@shop.example";
  rig.clock.Set(kT0 + hours(11));
  ASSERT_EQ(rig.db->MeetMilestone(id, "D2", ev),
            store::MilestoneState::kMissed);  // answered late
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  EXPECT_EQ(d2.evidence.by, "sent_folder");
  EXPECT_FALSE(d2.next_escalation_at.has_value());
  EXPECT_EQ(rig.Events("milestone.answered_late").size(), 1u);

  for (seconds at : std::vector<seconds>{hours(14), hours(18), hours(100)}) {
    watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + at);
    EXPECT_EQ(r.escalated, 0) << at.count();
  }
  EXPECT_EQ(RowsOfKind(rig, "escalation").size(), 1u);
  EXPECT_EQ(rig.Events("milestone.escalated").size(), 1u);
}

// ------------------------------------------------------------------- pause

TEST(WatcherTest, PausedDoesNothingResumedActsOnTheMovedTimes) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig);
  rig.clock.Set(kT0 + hours(1));
  ASSERT_TRUE(SetWaiting(*rig.db, TicketOf(rig, id), kT0 + hours(1),
                         "nina@shop.example", "asked for the serial number")
                  .has_value());
  auto watcher = NewWatcher(rig);
  for (seconds at :
       std::vector<seconds>{hours(6), hours(7) + minutes(30), hours(10),
                            hours(14), 3 * kDay - seconds(1)}) {
    Watch(rig, *watcher, kT0 + at);
  }
  EXPECT_EQ(WatcherRows(rig), 0u);
  EXPECT_EQ(MarkEvents(rig), 0u);
  EXPECT_EQ(MilestoneOf(rig, id, "D2").state, store::MilestoneState::kOpen);
  auto next = watcher->NextWakeup(kT0);
  ASSERT_TRUE(next.has_value());
  EXPECT_FALSE(next->has_value());

  // The customer answers three days after opening: the planner resumes D2
  // with the 9 h it had left; its notice and warning move with it.
  const core::TimePoint back = kT0 + 3 * kDay;
  rig.clock.Set(back);
  Incoming followup;
  followup.existing_ticket = id;
  followup.ack = false;
  followup.decision = "followup";
  rig.Receive(followup);
  auto p = rig.NewPlanner()->PlanPending(back);
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->errors, 0);
  const store::Milestone d2 = MilestoneOf(rig, id, "D2");
  ASSERT_EQ(TicketOf(rig, id).state, store::TicketState::kOpen);
  EXPECT_EQ(d2.due_at, back + hours(9));
  EXPECT_EQ(d2.notice_at, back + hours(5));
  EXPECT_EQ(d2.warn_at, back + hours(6) + minutes(30));

  watcher = NewWatcher(rig);
  struct Step {
    seconds at;
    size_t want_notices, want_alerts, want_escalations;
  } steps[] = {
      {hours(5) - seconds(1), 0, 0, 0},
      {hours(5), 1, 0, 0},
      {hours(6) + minutes(30) - seconds(1), 1, 0, 0},
      {hours(6) + minutes(30), 1, 1, 0},
      {hours(9), 1, 1, 0},  // due moved again by the notice
  };
  for (const Step& s : steps) {
    watcher = NewWatcher(rig);
    Watch(rig, *watcher, back + s.at);
    EXPECT_EQ(RowsOfKind(rig, "delay_notice").size(), s.want_notices)
        << s.at.count();
    EXPECT_EQ(RowsOfKind(rig, "agent_alert").size(), s.want_alerts)
        << s.at.count();
    EXPECT_EQ(RowsOfKind(rig, "escalation").size(), s.want_escalations)
        << s.at.count();
  }
  EXPECT_EQ(MilestoneOf(rig, id, "D2").due_at, back + hours(9) + kDay);
  ExpectUniqueMessageIds(rig);
}

// ------------------------------------------------------------ closed tickets

// A closed ticket whose arrival milestones are still open (closed without
// lifecycle's Close, which would meet them): only marks, never mail.
TEST(WatcherTest, AClosedTicketGetsNoMailForItsArrivalMilestones) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig, {}, /*drain=*/false);  // D1 and D2 open
  rig.clock.Set(kT0 + hours(1));
  ASSERT_TRUE(rig.db
                  ->SetTicketState(id, store::TicketState::kClosed,
                                   kT0 + hours(1), "nina@shop.example", "done")
                  .has_value());
  auto watcher = NewWatcher(rig);
  for (seconds at : std::vector<seconds>{hours(1) + minutes(30), hours(2),
                                         hours(6), hours(7) + minutes(30),
                                         hours(10), hours(14), hours(20)}) {
    Watch(rig, *watcher, kT0 + at);
  }
  EXPECT_EQ(WatcherRows(rig), 0u);
  EXPECT_EQ(MilestoneOf(rig, id, "D1").state, store::MilestoneState::kMissed);
  EXPECT_EQ(MilestoneOf(rig, id, "D2").state, store::MilestoneState::kMissed);
  EXPECT_FALSE(MilestoneOf(rig, id, "D2").next_escalation_at.has_value());
  EXPECT_TRUE(rig.Events("milestone.escalated").empty());
  for (const auto& e : EventData(rig, "milestone.warned")) {
    EXPECT_EQ(e["not_sent"], "ticket is closed") << e.dump();
    EXPECT_TRUE(To(e).empty());
  }
  auto notified = EventData(rig, "milestone.notified");
  ASSERT_EQ(notified.size(), 1u);
  EXPECT_EQ(notified[0]["skipped"], "ticket is closed");
  auto missed = EventData(rig, "milestone.missed");
  ASSERT_EQ(missed.size(), 2u);
  for (const auto& e : missed) EXPECT_EQ(e["no_mail"], "ticket is closed");
}

TEST(WatcherTest, CsatOnceAfterClosingAndItsSendingMeetsTheFollowup) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig);
  const core::TimePoint closed = kT0 + hours(1);
  CloseTicket(rig, id, closed);
  ASSERT_EQ(MilestoneOf(rig, id, "D7").due_at, closed + hours(48));
  auto watcher = NewWatcher(rig);
  struct Step {
    seconds after_close;
    bool restart;
    int want_csat;
    size_t want_rows;
  } steps[] = {
      {hours(1), false, 0, 0},
      {hours(24) - seconds(1), false, 0, 0},  // not before csat_after
      {hours(24), false, 1, 1},
      {hours(24), false, 0, 1},
      {hours(25), true, 0, 1},
  };
  for (const Step& s : steps) {
    if (s.restart) watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, closed + s.after_close);
    EXPECT_EQ(r.csat, s.want_csat) << s.after_close.count();
    EXPECT_EQ(RowsOfKind(rig, "csat").size(), s.want_rows)
        << s.after_close.count();
    EXPECT_EQ(WatcherRows(rig), s.want_rows) << s.after_close.count();
  }
  auto rows = RowsOfKind(rig, "csat");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].recipients,
            std::vector<std::string>{"anna@customer.example"});
  EXPECT_EQ(Parse(rows[0].raw).in_reply_to, "m1@customer.example");
  EXPECT_EQ(TicketOf(rig, id).csat_at, closed + hours(24));
  auto events = EventData(rig, "ticket.csat");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["policy"], "C4");
  EXPECT_FALSE(events[0].contains("not_sent"));

  // Sending it is the follow-up contact: D7 met by our own mail.
  auto d = rig.NewDrain()->DrainOnce(closed + hours(25));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->sent, 1);
  const store::Milestone d7 = MilestoneOf(rig, id, "D7");
  EXPECT_EQ(d7.state, store::MilestoneState::kMet);
  EXPECT_EQ(d7.evidence.by, "our_mail");
  EXPECT_EQ(d7.evidence.outbox_id, rows[0].id);
  // D7's warning time (36 h) and due time (48 h) pass quietly.
  for (seconds at : std::vector<seconds>{hours(36), hours(48), hours(100)}) {
    watcher = NewWatcher(rig);
    Watch(rig, *watcher, closed + at);
  }
  EXPECT_EQ(WatcherRows(rig), 1u);
  EXPECT_EQ(MarkEvents(rig), 0u);
  ExpectUniqueMessageIds(rig);
}

TEST(WatcherTest, AnUnmetFollowupEscalatesAfterClosing) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig);
  const core::TimePoint closed = kT0 + hours(1);
  CloseTicket(rig, id, closed);
  auto watcher = NewWatcher(rig);
  Watch(rig, *watcher, closed + hours(48));  // csat queued, never sent
  EXPECT_EQ(MilestoneOf(rig, id, "D7").state, store::MilestoneState::kMissed);
  auto rows = RowsOfKind(rig, "escalation");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].recipients, std::vector<std::string>{"lead@shop.example"});
}

// Regression (found by this test): after closed -> reopened -> closed, the
// watcher recognised the follow-up clock only by its start time and treated
// D7 as an arrival milestone of a closed ticket, so its breach was recorded
// without mail. Now D7 restarts at the second closing and its breach
// escalates like after a single closing.
TEST(WatcherTest, FollowupOfAReopenedAndReclosedTicketStillEscalates) {
  Rig rig;
  rig.config = WatchConfig();
  const int64_t id = Open(rig);
  const core::TimePoint first_close = kT0 + hours(1);
  CloseTicket(rig, id, first_close);
  rig.clock.Set(kT0 + hours(2));
  ASSERT_TRUE(OnCustomerMessage(*rig.db, rig.config, Calendar(rig.config),
                                TicketOf(rig, id), kT0 + hours(2),
                                "anna@customer.example")
                  .has_value());
  ASSERT_EQ(TicketOf(rig, id).state, store::TicketState::kOpen);
  const core::TimePoint second_close = kT0 + hours(3);
  CloseTicket(rig, id, second_close);
  // The follow-up clock restarts at the second closing.
  ASSERT_EQ(MilestoneOf(rig, id, "D7").started_at, second_close);
  auto watcher = NewWatcher(rig);
  Watch(rig, *watcher, first_close + hours(48));
  EXPECT_EQ(MilestoneOf(rig, id, "D7").state, store::MilestoneState::kOpen);
  Watch(rig, *watcher, second_close + hours(48));
  EXPECT_EQ(MilestoneOf(rig, id, "D7").state, store::MilestoneState::kMissed);
  EXPECT_EQ(RowsOfKind(rig, "escalation").size(), 1u)
      << "the follow-up breach was recorded without mail: "
      << (rig.Events("milestone.missed").empty()
              ? std::string("no event")
              : rig.Events("milestone.missed").back().FullData());
}

// ------------------------------------------------------------------ R6 board

TEST(WatcherTest, MaterialDefectTellsTheBoardOnceAtOnce) {
  struct Case {
    std::string label;
    bool route;
    std::string board;
    std::set<std::string> want_to;
  } cases[] = {
      {"route board", true, "board@shop.example", {"board@shop.example"}},
      {"no board: the last escalation level",
       true,
       "",
       {"manager@shop.example"}},
      {"a team as the board",
       true,
       "first-level",
       {"nina@shop.example", "olaf@shop.example"}},
      {"no route: recorded, not sent", false, "", {}},
  };
  for (const Case& c : cases) {
    Rig rig;
    rig.config = WatchConfig();
    rig.config.routes[0].board = c.board;
    if (!c.route) rig.config.routes.clear();
    const int64_t plain = OpenFlagged(rig, "support", {}, 1);
    const int64_t flagged = OpenFlagged(rig, "support", {"material_defect"}, 2);
    auto watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0);
    EXPECT_EQ(r.board, 1) << c.label;
    std::set<std::string> to;
    for (const auto& row : RowsOfKind(rig, "escalation")) {
      EXPECT_EQ(row.ticket_id, flagged) << c.label;
      ASSERT_EQ(row.recipients.size(), 1u) << c.label;
      to.insert(row.recipients[0]);
      EXPECT_NE(Parse(row.raw).text.find("POLICY R6"), std::string::npos)
          << c.label;
    }
    EXPECT_EQ(to, c.want_to) << c.label;
    EXPECT_EQ(TicketOf(rig, flagged).board_at, kT0) << c.label;
    EXPECT_FALSE(TicketOf(rig, plain).board_at.has_value()) << c.label;
    auto events = EventData(rig, "ticket.board_notified");
    ASSERT_EQ(events.size(), 1u) << c.label;
    EXPECT_EQ(events[0]["policy"], "R6") << c.label;
    auto event_to = To(events[0]);
    EXPECT_EQ(std::set<std::string>(event_to.begin(), event_to.end()),
              c.want_to)
        << c.label;
    EXPECT_EQ(events[0].contains("not_sent"), c.want_to.empty()) << c.label;

    // Once, across runs and restarts.
    Watch(rig, *watcher, kT0 + minutes(1));
    watcher = NewWatcher(rig);
    r = Watch(rig, *watcher, kT0 + hours(1));
    EXPECT_EQ(r.board, 0) << c.label;
    EXPECT_EQ(RowsOfKind(rig, "escalation").size(), c.want_to.size())
        << c.label;
    EXPECT_EQ(rig.Events("ticket.board_notified").size(), 1u) << c.label;
    ExpectUniqueMessageIds(rig);
  }
}

// ------------------------------------------------------- nobody configured

TEST(WatcherTest, NoAddressConfiguredStillMarksTheStepWithNotSent) {
  struct Case {
    std::string label, primary;
    std::vector<std::string> escalate_to;
  } cases[] = {
      {"empty route", "", {}},
      {"unknown names", "ghost", {"ghost-team"}},
  };
  for (const Case& c : cases) {
    Rig rig;
    rig.config = WatchConfig();
    rig.config.deadlines.delay_notice_for = {};
    rig.config.routes[0].primary = c.primary;
    rig.config.routes[0].escalate_to = c.escalate_to;
    const int64_t id = Open(rig);
    auto watcher = NewWatcher(rig);
    WatchReport r = Watch(rig, *watcher, kT0 + hours(8));
    EXPECT_EQ(r.warned, 1) << c.label;
    auto warned = EventData(rig, "milestone.warned");
    ASSERT_EQ(warned.size(), 1u) << c.label;
    EXPECT_TRUE(To(warned[0]).empty()) << c.label;
    ASSERT_TRUE(warned[0].contains("not_sent")) << c.label;
    EXPECT_NE(warned[0]["not_sent"].get<std::string>().find("no owner"),
              std::string::npos)
        << c.label;
    EXPECT_EQ(MilestoneOf(rig, id, "D2").warned_at, kT0 + hours(8)) << c.label;

    r = Watch(rig, *watcher, kT0 + hours(10));
    EXPECT_EQ(r.missed, 1) << c.label;
    EXPECT_EQ(r.escalated, 1) << c.label;
    auto escalated = EventData(rig, "milestone.escalated");
    ASSERT_EQ(escalated.size(), 1u) << c.label;
    EXPECT_EQ(escalated[0]["level"], 1) << c.label;
    EXPECT_TRUE(To(escalated[0]).empty()) << c.label;
    EXPECT_EQ(escalated[0]["not_sent"],
              "no escalate_to configured for class support")
        << c.label;
    const store::Milestone d2 = MilestoneOf(rig, id, "D2");
    EXPECT_EQ(d2.escalation_level, 1) << c.label;
    EXPECT_FALSE(d2.next_escalation_at.has_value()) << c.label;

    // Not retried: no more events, no mail, across restarts.
    for (seconds at : std::vector<seconds>{hours(10), hours(14), hours(100)}) {
      watcher = NewWatcher(rig);
      r = Watch(rig, *watcher, kT0 + at);
      EXPECT_EQ(r.warned + r.escalated + r.missed, 0) << c.label;
    }
    EXPECT_EQ(MarkEvents(rig), 3u) << c.label;
    EXPECT_EQ(WatcherRows(rig), 0u) << c.label;
  }
}

// -------------------------------------------------------- restarted windows

// Regression (found by this test): the warning's Message-ID was fixed per
// ticket and milestone, so the warning of a restarted D6 window was
// "already queued" and silently not sent while the audit event said it was.
// Step ids now include the window's start.
TEST(WatcherTest, ARestartedWindowWarnsTheOwnerAgain) {
  Rig rig;
  rig.config = WatchConfig();
  config::Route complaint = rig.config.routes[0];
  complaint.cls = "complaint";
  rig.config.routes.push_back(complaint);
  Incoming in;
  in.cls = "complaint";
  const int64_t id = Open(rig, in);  // the receipt meets D1 and D5
  ASSERT_EQ(MilestoneOf(rig, id, "D5").state, store::MilestoneState::kMet);
  auto watcher = NewWatcher(rig);
  Watch(rig, *watcher, kT0 + 10 * kDay + hours(12));  // 75% of 14 d
  ASSERT_EQ(RowsOfKind(rig, "agent_alert").size(), 1u);

  rig.clock.Set(kT0 + 11 * kDay);
  ASSERT_TRUE(SetWaiting(*rig.db, TicketOf(rig, id), kT0 + 11 * kDay,
                         "nina@shop.example", "asked for photos")
                  .has_value());
  const core::TimePoint back = kT0 + 12 * kDay;
  rig.clock.Set(back);
  Incoming followup;
  followup.cls = "complaint";
  followup.existing_ticket = id;
  followup.ack = false;
  followup.decision = "followup";
  rig.Receive(followup);
  ASSERT_TRUE(rig.NewPlanner()->PlanPending(back).has_value());
  ASSERT_EQ(MilestoneOf(rig, id, "D6").due_at, back + 14 * kDay);

  watcher = NewWatcher(rig);
  Watch(rig, *watcher, back + 10 * kDay + hours(12));
  auto warned = EventData(rig, "milestone.warned");
  ASSERT_EQ(warned.size(), 2u);
  EXPECT_EQ(To(warned[1]), std::vector<std::string>{"nina@shop.example"});
  EXPECT_EQ(RowsOfKind(rig, "agent_alert").size(), 2u)
      << "the second warning is recorded as sent to nina, but no row was "
         "queued";
}

}  // namespace
}  // namespace inboxd::responder
