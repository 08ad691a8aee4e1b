// weekly_report_test.cc: the weekly SLA report by mail (weekly_report.h):
// the slots in the agents' zone, once per recipient and week across runs
// and restarts, the report attached, a slot missed by more than a day
// skipped.
#include "responder/weekly_report.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include "responder/mime_encoding.h"
#include "responder/outbox_test_rig.h"
#include "responder/watcher.h"

namespace inboxd::responder {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::Rig;

core::TimePoint Utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return core::TimePoint{
      (date::sys_days{date::year{y} / mo / d} + hours(h) + minutes(mi))
          .time_since_epoch()};
}

// Weekly on Monday 08:00 Berlin (07:00Z in winter); the manager is the
// escalation address.
config::Config WeeklyConfig() {
  config::Config c = testing::RigConfig();
  c.report.weekly_day = 0;
  c.report.weekly_minute = 8 * 60;
  c.routes[0].escalate_to = {"manager@shop.example"};
  return c;
}

TEST(WeeklyReportTest, SlotsAreMondayMorningLocal) {
  config::Config c = WeeklyConfig();
  struct {
    core::TimePoint now;
    core::TimePoint latest;
    core::TimePoint next;
  } cases[] = {
      // Tuesday 24 Nov: Monday 23 Nov 08:00 CET, next Monday 30 Nov.
      {Utc(2026, 11, 24, 10), Utc(2026, 11, 23, 7), Utc(2026, 11, 30, 7)},
      // Monday 23 Nov before 08:00: the Monday before.
      {Utc(2026, 11, 23, 6, 59), Utc(2026, 11, 16, 7), Utc(2026, 11, 23, 7)},
      // At the slot.
      {Utc(2026, 11, 23, 7), Utc(2026, 11, 23, 7), Utc(2026, 11, 30, 7)},
      // Across the spring change: Monday 29 March 2027 is 06:00Z.
      {Utc(2027, 3, 27, 12), Utc(2027, 3, 22, 7), Utc(2027, 3, 29, 6)},
  };
  for (const auto& tc : cases) {
    auto latest = LatestWeeklySlot(c, tc.now);
    auto next = NextWeeklySlot(c, tc.now);
    ASSERT_TRUE(latest.has_value() && next.has_value());
    EXPECT_EQ(latest->at, tc.latest) << date::format("%FT%TZ", tc.now);
    EXPECT_EQ(next->at, tc.next) << date::format("%FT%TZ", tc.now);
  }
  EXPECT_EQ(LatestWeeklySlot(c, Utc(2026, 11, 24, 10))->day, "2026-11-23");
  c.report.weekly_day = -1;
  EXPECT_FALSE(LatestWeeklySlot(c, Utc(2026, 11, 24, 10)).has_value());
  EXPECT_FALSE(NextWeeklySlot(c, Utc(2026, 11, 24, 10)).has_value());
}

std::vector<store::Outgoing> Reports(Rig& rig) {
  std::vector<store::Outgoing> out;
  for (auto& row : rig.Rows(store::OutboxState::kQueued)) {
    if (row.kind == "weekly_report") out.push_back(std::move(row));
  }
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

TEST(WeeklyReportTest, OncePerWeekWithTheReportAttached) {
  Rig rig;
  rig.config = WeeklyConfig();
  rig.clock.Set(Utc(2026, 11, 18, 9));  // a ticket of the week
  testing::Incoming in;
  rig.Receive(in);
  auto watcher = NewWatcher(rig);
  auto watch = [&](core::TimePoint now) {
    auto r = watcher->WatchOnce(now);
    EXPECT_TRUE(r.has_value());
    EXPECT_EQ(r->errors, 0)
        << (r->error_messages.empty() ? "" : r->error_messages.front());
    return r.value_or(WatchReport{});
  };
  // Before the slot: nothing (the previous Monday's slot is days old).
  EXPECT_EQ(watch(Utc(2026, 11, 23, 6)).weekly_reports, 0);
  EXPECT_EQ(watch(Utc(2026, 11, 23, 7, 1)).weekly_reports, 1);
  EXPECT_EQ(watch(Utc(2026, 11, 23, 9)).weekly_reports, 0);
  // A restart the same day: the outbox says it went.
  watcher = NewWatcher(rig);
  EXPECT_EQ(watch(Utc(2026, 11, 23, 10)).weekly_reports, 0);
  auto rows = Reports(rig);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].recipients,
            std::vector<std::string>{"manager@shop.example"});
  EXPECT_EQ(rows[0].ticket_id, 0);
  const std::string& raw = rows[0].raw;
  EXPECT_NE(raw.find("Content-Type: multipart/mixed"), std::string::npos);
  EXPECT_NE(raw.find("Content-Type: text/html; charset=utf-8; "
                     "name=\"sla-report-2026-11-23.html\""),
            std::string::npos)
      << raw;
  EXPECT_NE(raw.find("Content-Disposition: attachment; "
                     "filename=\"sla-report-2026-11-23.html\""),
            std::string::npos);
  EXPECT_NE(raw.find("Auto-Submitted: auto-generated"), std::string::npos);
  EXPECT_NE(raw.find("X-Auto-Response-Suppress: All"), std::string::npos);
  // The attached report decodes to the HTML with the week's ticket.
  auto parsed = ingest::ParseMessage(raw, core::Limits{});
  ASSERT_TRUE(parsed.has_value());
  EXPECT_NE(parsed->text.find("Tickets opened: 1"), std::string::npos)
      << parsed->text;
  const size_t b64 = raw.find("\r\n\r\n", raw.find("filename=\"sla-report"));
  ASSERT_NE(b64, std::string::npos);
  const size_t end = raw.find("\r\n--", b64);
  auto html = Base64Decode(raw.substr(b64 + 4, end - b64 - 4));
  ASSERT_TRUE(html.has_value());
  EXPECT_NE(html->find("<svg"), std::string::npos);
  // The next Monday: the next report.
  EXPECT_EQ(watch(Utc(2026, 11, 30, 7, 5)).weekly_reports, 1);
  EXPECT_EQ(Reports(rig).size(), 2u);
}

TEST(WeeklyReportTest, ASlotMissedByMoreThanADayIsSkipped) {
  Rig rig;
  rig.config = WeeklyConfig();
  auto watcher = NewWatcher(rig);
  auto r = watcher->WatchOnce(Utc(2026, 11, 24, 8));  // Tuesday, 25 h late
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->weekly_reports, 0);
  EXPECT_TRUE(Reports(rig).empty());
  rig.config.report.weekly_day = -1;  // off: nothing ever
  auto off = NewWatcher(rig);
  EXPECT_EQ(off->WatchOnce(Utc(2026, 11, 30, 7, 5))->weekly_reports, 0);
}

}  // namespace
}  // namespace inboxd::responder
