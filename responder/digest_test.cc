// digest_test.cc: the daily digest (digest.h) over a real ":memory:" store:
// the slot in the agents' zone (winter, summer, DST gap), working days only,
// who sees which tickets (own, team, team view, absent, none), once per
// recipient and day across runs and restarts, the order of the sections, the
// line limit, the agent's language, and the watcher's wake-up time.
#include "responder/digest.h"

#include <date/date.h>
#include <date/tz.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "responder/outbox_test_rig.h"
#include "responder/watcher.h"

namespace inboxd::responder {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::Incoming;
using testing::Rig;

// A UTC instant.
core::TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return core::TimePoint{
      (date::sys_days{date::year{y} / mo / d} + hours(h) + minutes(mi))
          .time_since_epoch()};
}

// The local date of `t` in Berlin, "YYYY-MM-DD".
std::string BerlinDay(core::TimePoint t) {
  const auto local = date::locate_zone("Europe/Berlin")->to_local(t);
  return date::format("%F", date::floor<date::days>(local));
}

// Tuesday 2026-11-24, 08:30 in Berlin (07:30Z): after the 08:00 slot.
const core::TimePoint kTue = Utc(2026, 11, 24, 7, 30);

config::Agent Agent(std::string name, std::string address, std::string team,
                    std::string language = "") {
  config::Agent a;
  a.name = std::move(name);
  a.address = std::move(address);
  a.team = std::move(team);
  a.language = std::move(language);
  return a;
}

// Digest at 08:00 Berlin (the first mailbox's zone). Nina and Olaf are the
// first-level team (Olaf reads German), Paul is second level, Quinn owns
// nothing; the manager is the route's escalation address.
config::Config DigestConfig() {
  config::Config c = testing::RigConfig();
  c.routing.digest_minute = 8 * 60;
  c.agents = {Agent("Nina Agent", "nina@shop.example", "first-level"),
              Agent("Olaf Agent", "olaf@shop.example", "first-level", "de"),
              Agent("Paul Agent", "paul@shop.example", "second-level"),
              Agent("Quinn Agent", "quinn@shop.example", "third-level")};
  c.routes[0].escalate_to = {"manager@shop.example"};
  return c;
}

// A support ticket opened at the rig's clock (no planner: no milestones, no
// acknowledgement) with `owner` ("" = the shared mailbox).
int64_t OpenTicket(Rig& rig, const std::string& owner,
                   const std::string& subject = "Printer broken") {
  Incoming in;
  in.subject = subject;
  in.ack = false;
  const int64_t id = rig.Receive(in).ticket_id;
  if (!owner.empty()) {
    INBOXD_CHECK(rig.db->SetTicketOwner(id, owner, "test", "test").has_value());
  }
  return id;
}

// "[#S-1000]" as the digest prints it.
std::string Tag(Rig& rig, int64_t id) {
  auto t = rig.db->GetTicket(id);
  INBOXD_CHECK(t.has_value());
  return "[#" + t->Tag() + "]";
}

void AddMilestone(Rig& rig, int64_t id, core::TimePoint due,
                  std::optional<core::TimePoint> warn = std::nullopt) {
  store::MilestoneIn m;
  m.milestone_id = "D2";
  m.name = "answer";
  m.clock = "calendar";
  m.within = hours(10);
  m.timing.started_at = due - hours(10);
  m.timing.due_at = due;
  m.timing.warn_at = warn;
  auto added = rig.db->AddMilestone(id, m);
  INBOXD_CHECK(added.has_value() && *added);
}

// Queues the digests of `now`'s local day directly (no watcher).
DigestReport Queue(Rig& rig, core::TimePoint now) {
  rig.clock.Set(now);
  auto parts = MakeMailboxParts(rig.config, "test-key");
  INBOXD_CHECK(parts.has_value());
  auto slot = DigestDue(rig.config, now);
  INBOXD_CHECK(slot.has_value());
  auto r =
      QueueDigests(*rig.db, rig.config, *rig.templates, *parts, *slot, now);
  EXPECT_TRUE(r.has_value()) << r.error().ToString();
  return r.value_or(DigestReport{});
}

std::vector<store::Outgoing> DigestRows(Rig& rig) {
  std::vector<store::Outgoing> out;
  for (store::Outgoing& row : rig.Rows(store::OutboxState::kQueued)) {
    if (row.kind == "digest") out.push_back(std::move(row));
  }
  return out;
}

core::Message Parse(const std::string& raw) {
  auto m = ingest::ParseMessage(raw, core::Limits{});
  EXPECT_TRUE(m.has_value());
  return m.value_or(core::Message{});
}

// Recipient -> the parsed digest; fails the test on a digest with more or
// fewer than one recipient, or two digests to one recipient.
std::map<std::string, core::Message> DigestsByRecipient(Rig& rig) {
  std::map<std::string, core::Message> out;
  for (const store::Outgoing& row : DigestRows(rig)) {
    EXPECT_EQ(row.recipients.size(), 1u);
    if (row.recipients.size() != 1) continue;
    EXPECT_EQ(row.ticket_id, 0);
    EXPECT_TRUE(IsOurMessageId(row.message_id, "test-key", "shop.example"))
        << row.message_id;
    EXPECT_FALSE(out.count(row.recipients[0])) << row.recipients[0];
    out[row.recipients[0]] = Parse(row.raw);
  }
  return out;
}

// The line of `text` that contains `needle` ("" when none).
std::string LineWith(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at);
  const size_t from = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(from, text.find('\n', at) - from);
}

std::set<std::string> Keys(const std::map<std::string, core::Message>& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(k);
  return out;
}

std::unique_ptr<Watcher> NewWatcher(Rig& rig) {
  auto w = Watcher::Create(&rig.config, rig.db.get(), rig.templates.get(),
                           "test-key", [](std::string_view raw) {
                             return ingest::ParseMessage(raw, core::Limits{});
                           });
  INBOXD_CHECK(w.has_value());
  return std::move(*w);
}

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

// -------------------------------------------------------------- DigestDue

TEST(DigestTest, DueIsOffWithoutDigestAtOrAZone) {
  config::Config c = DigestConfig();
  c.routing.digest_minute = -1;
  EXPECT_FALSE(DigestDue(c, kTue).has_value());
  c = DigestConfig();
  c.mailboxes[0].time_zone = "Mars/Olympus_Mons";
  EXPECT_FALSE(DigestDue(c, kTue).has_value());
  // Minute 0 is a time (midnight), not "off".
  c = DigestConfig();
  c.routing.digest_minute = 0;
  auto slot = DigestDue(c, kTue);
  ASSERT_TRUE(slot.has_value());
  EXPECT_EQ(core::FormatUtc(slot->at), "2026-11-23T23:00:00Z");
}

TEST(DigestTest, DueSlotIsTheLocalDayAtDigestAt) {
  const config::Config c = DigestConfig();  // 08:00 Europe/Berlin
  struct {
    const char* label;
    core::TimePoint now;
    const char* want_day;
    const char* want_at;
  } cases[] = {
      {"winter, after the slot", Utc(2026, 11, 24, 12), "2026-11-24",
       "2026-11-24T07:00:00Z"},
      {"winter, before the slot", Utc(2026, 11, 24, 5), "2026-11-24",
       "2026-11-24T07:00:00Z"},
      {"summer", Utc(2027, 7, 6, 12), "2027-07-06", "2027-07-06T06:00:00Z"},
      // 00:30 local is already the next local day (23:30Z the day before).
      {"just after local midnight", Utc(2026, 11, 24, 23, 30), "2026-11-25",
       "2026-11-25T07:00:00Z"},
      {"just before local midnight", Utc(2027, 7, 6, 21, 59), "2027-07-06",
       "2027-07-06T06:00:00Z"},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.label);
    auto slot = DigestDue(c, cs.now);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot->day, cs.want_day);
    EXPECT_EQ(core::FormatUtc(slot->at), cs.want_at);
  }
}

TEST(DigestTest, DueInTheSpringGapAndTheAutumnRepeatIsOnThatDay) {
  config::Config c = DigestConfig();
  c.routing.digest_minute = 2 * 60 + 30;  // 02:30 local
  // 2027-03-28: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
  auto gap = DigestDue(c, Utc(2027, 3, 28, 10));
  ASSERT_TRUE(gap.has_value());
  EXPECT_EQ(gap->day, "2027-03-28");
  EXPECT_EQ(BerlinDay(gap->at), "2027-03-28");
  // digest.cc: "a time in a DST gap is the end of the gap" (03:00 CEST).
  EXPECT_EQ(core::FormatUtc(gap->at), "2027-03-28T01:00:00Z");
  // 2026-10-25: 02:30 happens twice; the earlier one (CEST) is taken.
  auto repeat = DigestDue(c, Utc(2026, 10, 25, 10));
  ASSERT_TRUE(repeat.has_value());
  EXPECT_EQ(repeat->day, "2026-10-25");
  EXPECT_EQ(core::FormatUtc(repeat->at), "2026-10-25T00:30:00Z");
  // The watcher survives the gap day (a Sunday: no digest, no error).
  Rig rig;
  rig.config = c;
  rig.clock.Set(Utc(2027, 3, 27, 10));
  OpenTicket(rig, "nina@shop.example");
  auto watcher = NewWatcher(rig);
  WatchReport r = Watch(rig, *watcher, Utc(2027, 3, 28, 1, 30));
  EXPECT_EQ(r.digests, 0);
  EXPECT_TRUE(DigestRows(rig).empty());
}

// ----------------------------------------------------------- working days

TEST(DigestTest, NoneOnASaturdayOrAHolidayOneOnATuesday) {
  Rig rig;
  rig.config = DigestConfig();
  rig.config.business_hours.holidays = {"2026-12-24"};  // a Thursday
  rig.clock.Set(Utc(2026, 11, 27, 9));
  OpenTicket(rig, "nina@shop.example");

  DigestReport sat = Queue(rig, Utc(2026, 11, 28, 7, 30));  // Saturday
  EXPECT_FALSE(sat.working_day);
  EXPECT_EQ(sat.queued, 0);
  DigestReport holiday = Queue(rig, Utc(2026, 12, 24, 7, 30));
  EXPECT_FALSE(holiday.working_day);
  EXPECT_EQ(holiday.queued, 0);
  EXPECT_TRUE(DigestRows(rig).empty());

  DigestReport tue = Queue(rig, Utc(2026, 12, 1, 7, 30));  // Tuesday
  EXPECT_TRUE(tue.working_day);
  EXPECT_EQ(tue.queued, 2);  // Nina and the manager
  EXPECT_EQ(
      Keys(DigestsByRecipient(rig)),
      (std::set<std::string>{"manager@shop.example", "nina@shop.example"}));
}

// -------------------------------------------------------------- recipients

TEST(DigestTest, AgentsGetTheirOwnAndTheirTeamsTicketsTheManagerAll) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  const int64_t nina = OpenTicket(rig, "nina@shop.example", "Nina's printer");
  const int64_t olaf = OpenTicket(rig, "olaf@shop.example", "Olaf's scanner");
  const int64_t team = OpenTicket(rig, "first-level", "Team fax");
  const int64_t shared = OpenTicket(rig, "", "Nobody's modem");
  const int64_t paul = OpenTicket(rig, "paul@shop.example", "Paul's router");
  const int64_t waiting = OpenTicket(rig, "nina@shop.example", "Waiting one");
  const int64_t closed = OpenTicket(rig, "nina@shop.example", "Closed one");
  ASSERT_TRUE(rig.db->SetTicketState(waiting, store::TicketState::kWaiting,
                                     kTue - hours(2), "test", "asked"));
  ASSERT_TRUE(rig.db->SetTicketState(closed, store::TicketState::kClosed,
                                     kTue - hours(2), "test", "done"));
  // Paul is away today; Olaf only from tomorrow (he gets today's digest).
  ASSERT_TRUE(rig.db->AddAbsence({.agent = "paul@shop.example",
                                  .from = kTue - hours(10),
                                  .until = kTue + hours(48),
                                  .source = "command",
                                  .detail = "",
                                  .actor = "test"}));
  ASSERT_TRUE(rig.db->AddAbsence({.agent = "olaf@shop.example",
                                  .from = kTue + hours(20),
                                  .until = kTue + hours(48),
                                  .source = "command",
                                  .detail = "",
                                  .actor = "test"}));

  DigestReport r = Queue(rig, kTue);
  EXPECT_TRUE(r.working_day);
  EXPECT_EQ(r.queued, 3);
  auto mails = DigestsByRecipient(rig);
  // Paul is away, Quinn has nothing open: neither gets a digest.
  ASSERT_EQ(Keys(mails),
            (std::set<std::string>{"manager@shop.example", "nina@shop.example",
                                   "olaf@shop.example"}));

  struct {
    const char* who;
    std::vector<int64_t> listed;
    std::vector<int64_t> not_listed;
    const char* subject_has;
    const char* subject_end;
  } cases[] = {
      {"nina@shop.example",
       {nina, team, waiting},
       {olaf, shared, paul, closed},
       "Your tickets on ",
       ": 3 open"},
      {"olaf@shop.example",
       {olaf, team},
       {nina, shared, paul, waiting, closed},
       "Ihre Vorgänge am ",
       ": 2 offen"},
      {"manager@shop.example",
       {nina, olaf, team, shared, paul, waiting},
       {closed},
       "Team tickets on ",
       ": 6 open"},
  };
  for (const auto& cs : cases) {
    SCOPED_TRACE(cs.who);
    const core::Message& m = mails[cs.who];
    for (int64_t id : cs.listed) {
      EXPECT_NE(m.text.find(Tag(rig, id)), std::string::npos)
          << Tag(rig, id) << "\n"
          << m.text;
    }
    for (int64_t id : cs.not_listed) {
      EXPECT_EQ(m.text.find(Tag(rig, id)), std::string::npos)
          << Tag(rig, id) << "\n"
          << m.text;
    }
    EXPECT_NE(m.subject.find(cs.subject_has), std::string::npos) << m.subject;
    EXPECT_TRUE(m.subject.ends_with(cs.subject_end)) << m.subject;
    ASSERT_NE(m.Header("Auto-Submitted"), nullptr);
    EXPECT_EQ(*m.Header("Auto-Submitted"), "auto-generated");
  }
  EXPECT_NE(mails["nina@shop.example"].text.find("Hello Nina Agent,"),
            std::string::npos);
  // The team view names each ticket's owner: an agent by name, a team by
  // its name, the shared mailbox as "-".
  const std::string& team_view = mails["manager@shop.example"].text;
  for (const auto& [id, owner] :
       std::vector<std::pair<int64_t, std::string>>{{nina, "Nina Agent"},
                                                    {olaf, "Olaf Agent"},
                                                    {team, "first-level"},
                                                    {shared, "-"},
                                                    {paul, "Paul Agent"}}) {
    EXPECT_NE(team_view.find(Tag(rig, id) + "  " + owner + "  "),
              std::string::npos)
        << owner << "\n"
        << team_view;
  }
  // An agent's own view has no owner column.
  EXPECT_EQ(mails["nina@shop.example"].text.find("Nina Agent  "),
            std::string::npos);
}

TEST(DigestTest, NobodyGetsAnEmptyDigest) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  const int64_t closed = OpenTicket(rig, "nina@shop.example");
  ASSERT_TRUE(rig.db->SetTicketState(closed, store::TicketState::kClosed,
                                     kTue - hours(2), "test", "done"));
  DigestReport r = Queue(rig, kTue);
  EXPECT_TRUE(r.working_day);
  EXPECT_EQ(r.queued, 0);
  EXPECT_TRUE(DigestRows(rig).empty());
}

// ------------------------------------------------------------- once a day

TEST(DigestTest, OncePerRecipientAndDayAcrossRunsAndRestarts) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  OpenTicket(rig, "nina@shop.example");
  auto watcher = NewWatcher(rig);
  struct Step {
    const char* label;
    core::TimePoint at;
    bool restart;  // a new Watcher (a restarted process)
    bool direct;   // QueueDigests itself, not through the watcher
    int want_digests;
    size_t want_rows;
  } steps[] = {
      {"before the slot", Utc(2026, 11, 24, 6, 59), false, false, 0, 0},
      {"at the slot", Utc(2026, 11, 24, 7, 0), false, false, 2, 2},
      {"same run again", Utc(2026, 11, 24, 7, 0), false, false, 0, 2},
      {"later that day", Utc(2026, 11, 24, 15), false, false, 0, 2},
      {"restarted that day", Utc(2026, 11, 24, 16), true, false, 0, 2},
      {"QueueDigests again", Utc(2026, 11, 24, 17), false, true, 0, 2},
      {"next day, before the slot", Utc(2026, 11, 25, 6, 59), false, false, 0,
       2},
      {"next day, at the slot", Utc(2026, 11, 25, 7, 0), false, false, 2, 4},
      {"next day, restarted", Utc(2026, 11, 25, 9), true, false, 0, 4},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.label);
    if (s.restart) watcher = NewWatcher(rig);
    int got =
        s.direct ? Queue(rig, s.at).queued : Watch(rig, *watcher, s.at).digests;
    EXPECT_EQ(got, s.want_digests);
    EXPECT_EQ(DigestRows(rig).size(), s.want_rows);
  }
  // Two days, two recipients: four distinct Message-IDs, two per recipient.
  std::set<std::string> ids;
  std::map<std::string, int> per_recipient;
  for (const store::Outgoing& row : DigestRows(rig)) {
    ids.insert(row.message_id);
    ASSERT_EQ(row.recipients.size(), 1u);
    ++per_recipient[row.recipients[0]];
  }
  EXPECT_EQ(ids.size(), 4u);
  EXPECT_EQ(per_recipient,
            (std::map<std::string, int>{{"manager@shop.example", 2},
                                        {"nina@shop.example", 2}}));
}

// ------------------------------------------------------------------ order

TEST(DigestTest, OverdueFirstThenAtRiskThenByNextDeadline) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  const std::string nina = "nina@shop.example";
  // Created in the reverse of the wanted order, so id order cannot pass.
  const int64_t later = OpenTicket(rig, nina, "Due in two days");
  AddMilestone(rig, later, kTue + hours(48), kTue + hours(40));
  const int64_t none = OpenTicket(rig, nina, "No deadline");
  const int64_t risky = OpenTicket(rig, nina, "Past the warning");
  AddMilestone(rig, risky, kTue + hours(3), kTue - hours(1));
  const int64_t past_due = OpenTicket(rig, nina, "Past due, not marked");
  AddMilestone(rig, past_due, kTue - hours(1), kTue - hours(3));
  const int64_t missed = OpenTicket(rig, nina, "Missed long ago");
  AddMilestone(rig, missed, kTue - hours(5), kTue - hours(7));
  ASSERT_TRUE(
      rig.db->MarkMilestone(missed, "D2",
                            {.action = store::MilestoneMark::Action::kMissed,
                             .at = kTue - hours(5),
                             .new_due_at = std::nullopt,
                             .next_escalation_at = std::nullopt,
                             .data = "{}"}));
  // Missed, then answered late: on the record, but nothing left to do.
  const int64_t late = OpenTicket(rig, nina, "Answered late");
  AddMilestone(rig, late, kTue - hours(6), kTue - hours(8));
  ASSERT_TRUE(
      rig.db->MarkMilestone(late, "D2",
                            {.action = store::MilestoneMark::Action::kMissed,
                             .at = kTue - hours(6),
                             .new_due_at = std::nullopt,
                             .next_escalation_at = std::nullopt,
                             .data = "{}"}));
  store::MilestoneEvidence late_ev;
  late_ev.by = "sent_folder";
  late_ev.at = kTue - hours(4);
  late_ev.actor = nina;
  ASSERT_TRUE(rig.db->MeetMilestone(late, "D2", late_ev));
  const int64_t met = OpenTicket(rig, nina, "Answered in time");
  AddMilestone(rig, met, kTue - hours(2), kTue - hours(4));
  store::MilestoneEvidence ev;
  ev.by = "sent_folder";
  ev.at = kTue - hours(3);
  ev.actor = nina;
  ASSERT_TRUE(rig.db->MeetMilestone(met, "D2", ev));

  ASSERT_EQ(Queue(rig, kTue).queued, 2);
  auto mails = DigestsByRecipient(rig);
  ASSERT_TRUE(mails.count(nina));
  for (const std::string& who : {nina, std::string("manager@shop.example")}) {
    SCOPED_TRACE(who);
    const std::string& text = mails[who].text;
    // Wanted order of the section headings and the tickets in them.
    const std::vector<std::string> order = {
        "Overdue:",      Tag(rig, missed), Tag(rig, past_due),
        "At risk",       Tag(rig, risky),  "Others, by next deadline:",
        Tag(rig, later), Tag(rig, none),   Tag(rig, late),
        Tag(rig, met)};
    size_t last = 0;
    for (const std::string& s : order) {
      const size_t at = text.find(s);
      ASSERT_NE(at, std::string::npos) << s << "\n" << text;
      EXPECT_GE(at, last) << s << " out of order\n" << text;
      last = at;
      EXPECT_EQ(text.find(s, at + 1), std::string::npos) << s << " twice";
    }
    // A line names the milestone that put it there and its due time
    // (02:30Z = 03:30 CET for the missed one).
    const std::string missed_line = LineWith(text, Tag(rig, missed));
    EXPECT_NE(missed_line.find("D2 (answer) "), std::string::npos)
        << missed_line;
    EXPECT_NE(missed_line.find("03:30"), std::string::npos) << missed_line;
    EXPECT_NE(missed_line.find("Missed long ago"), std::string::npos);
    const std::string late_line = LineWith(text, Tag(rig, late));
    EXPECT_EQ(late_line.find("D2"), std::string::npos) << late_line;
    // The met milestone is no deadline any more: its line names none.
    const std::string met_line = LineWith(text, Tag(rig, met));
    EXPECT_EQ(met_line.find("D2"), std::string::npos) << met_line;
    EXPECT_NE(met_line.find("Answered in time"), std::string::npos);
  }
}

TEST(DigestTest, AtMostDigestLinesAndTheRestCounted) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  const int n = kDigestLines + 2;
  for (int i = 0; i < n; ++i) OpenTicket(rig, "nina@shop.example");
  ASSERT_EQ(Queue(rig, kTue).queued, 2);
  auto mails = DigestsByRecipient(rig);
  for (const char* who : {"nina@shop.example", "manager@shop.example"}) {
    SCOPED_TRACE(who);
    const core::Message& m = mails[who];
    size_t lines = 0;
    for (size_t at = 0; (at = m.text.find("[#S-", at)) != std::string::npos;
         ++at) {
      ++lines;
    }
    EXPECT_EQ(lines, static_cast<size_t>(kDigestLines));
    EXPECT_NE(m.text.find("... and 2 more."), std::string::npos) << m.text;
    EXPECT_TRUE(m.subject.ends_with(": " + std::to_string(n) + " open"))
        << m.subject;
  }
}

// --------------------------------------------------------------- language

TEST(DigestTest, AnAgentsDigestIsInTheirLanguage) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(kTue - hours(24));
  const int64_t olaf = OpenTicket(rig, "olaf@shop.example");
  AddMilestone(rig, olaf, kTue - hours(1));  // overdue
  const int64_t nina = OpenTicket(rig, "nina@shop.example");
  AddMilestone(rig, nina, kTue - hours(1));
  ASSERT_EQ(Queue(rig, kTue).queued, 3);
  std::map<std::string, std::string> raw;
  for (const store::Outgoing& row : DigestRows(rig)) {
    raw[row.recipients.at(0)] = row.raw;
  }
  auto mails = DigestsByRecipient(rig);

  const core::Message& de = mails["olaf@shop.example"];
  EXPECT_NE(de.subject.find("Ihre Vorgänge"), std::string::npos) << de.subject;
  EXPECT_NE(de.text.find("Hallo Olaf Agent,"), std::string::npos) << de.text;
  EXPECT_NE(de.text.find("Überfällig:"), std::string::npos) << de.text;
  EXPECT_EQ(de.text.find("Overdue:"), std::string::npos);
  EXPECT_NE(de.text.find(Tag(rig, olaf)), std::string::npos);
  EXPECT_NE(de.text.find(" Uhr (MEZ)"), std::string::npos) << de.text;
  EXPECT_NE(raw["olaf@shop.example"].find("Content-Language: de\r\n"),
            std::string::npos);
  EXPECT_NE(raw["olaf@shop.example"].find("=C3=9Cberf=C3=A4llig"),
            std::string::npos);

  // Nina has no language: the mailbox's (English); so has the manager.
  for (const char* who : {"nina@shop.example", "manager@shop.example"}) {
    SCOPED_TRACE(who);
    const core::Message& en = mails[who];
    EXPECT_NE(en.text.find("Overdue:"), std::string::npos) << en.text;
    EXPECT_EQ(en.text.find("Überfällig"), std::string::npos);
    EXPECT_NE(raw[who].find("Content-Language: en\r\n"), std::string::npos);
  }
}

// ----------------------------------------------------------- next wake-up

TEST(DigestTest, NextWakeupIsTheDigestSlotWhenItComesFirst) {
  Rig rig;
  rig.config = DigestConfig();
  rig.clock.Set(Utc(2026, 11, 23, 12));
  const int64_t id = OpenTicket(rig, "nina@shop.example");
  auto watcher = NewWatcher(rig);
  auto next = [&](core::TimePoint now) {
    auto n = watcher->NextWakeup(now);
    EXPECT_TRUE(n.has_value());
    return n.value_or(std::nullopt);
  };
  // No milestone: the digest is the only thing to wake for.
  EXPECT_EQ(next(Utc(2026, 11, 24, 5)), Utc(2026, 11, 24, 7));
  // Today's slot has passed: tomorrow's.
  EXPECT_EQ(next(Utc(2026, 11, 24, 7, 1)), Utc(2026, 11, 25, 7));
  // A warning at 10:00Z: the digest at 07:00Z still comes first.
  AddMilestone(rig, id, Utc(2026, 11, 24, 12), Utc(2026, 11, 24, 10));
  EXPECT_EQ(next(Utc(2026, 11, 24, 5)), Utc(2026, 11, 24, 7));
  // After the slot: the warning, not tomorrow's digest.
  EXPECT_EQ(next(Utc(2026, 11, 24, 7, 1)), Utc(2026, 11, 24, 10));
  // Once today's digest is queued, the next slot is tomorrow's.
  Watch(rig, *watcher, Utc(2026, 11, 24, 7));
  EXPECT_EQ(DigestRows(rig).size(), 2u);
  EXPECT_EQ(next(Utc(2026, 11, 24, 7)), Utc(2026, 11, 24, 10));
  // Digests off: only the milestone.
  rig.config.routing.digest_minute = -1;
  EXPECT_EQ(next(Utc(2026, 11, 24, 5)), Utc(2026, 11, 24, 10));
}

// The next slot is the next local date's, also on the eve of a 23-hour day
// (spring forward on Sunday 2027-03-28 in Berlin).
TEST(DigestTest, NextSlotIsTomorrowsByTheLocalCalendar) {
  config::Config c = DigestConfig();
  struct {
    core::TimePoint now;
    core::TimePoint want;
  } cases[] = {
      {Utc(2027, 3, 27, 5), Utc(2027, 3, 27, 7)},  // today's, still to come
      {Utc(2027, 3, 27, 21, 30), Utc(2027, 3, 28, 6)},    // 22:30 CET
      {Utc(2027, 3, 27, 22, 30), Utc(2027, 3, 28, 6)},    // 23:30 CET
      {Utc(2027, 3, 28, 6), Utc(2027, 3, 29, 6)},         // at the slot
      {Utc(2026, 10, 24, 21, 30), Utc(2026, 10, 25, 7)},  // 25-hour day next
  };
  for (const auto& tc : cases) {
    auto slot = NextDigestSlot(c, tc.now);
    ASSERT_TRUE(slot.has_value());
    EXPECT_EQ(slot->at, tc.want) << date::format("%FT%TZ", tc.now);
  }
  c.routing.digest_minute = -1;
  EXPECT_FALSE(NextDigestSlot(c, Utc(2027, 3, 27, 5)).has_value());
}

}  // namespace
}  // namespace inboxd::responder
