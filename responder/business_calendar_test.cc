#include "responder/business_calendar.h"

#include <date/date.h>
#include <gtest/gtest.h>

namespace inboxd::responder {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

core::TimePoint Utc(int y, unsigned m, unsigned d, int h, int mi = 0) {
  date::sys_days day{date::year{y} / date::month{m} / date::day{d}};
  return core::TimePoint{day.time_since_epoch()} + hours(h) + minutes(mi);
}

// POLICY default: Mon-Fri 08:30-12:00, 13:00-18:00.
config::BusinessHours PolicyHours() {
  config::BusinessHours h;
  for (int d = 0; d < 5; ++d) h.days[d] = {{510, 720}, {780, 1080}};
  return h;
}

BusinessCalendar Cal(const config::BusinessHours& h, std::string zone) {
  auto cal = BusinessCalendar::Create(h, zone);
  EXPECT_TRUE(cal.has_value()) << cal.error().ToString();
  return *cal;
}

struct AddCase {
  const char* label;
  const char* zone;
  core::TimePoint start;
  seconds duration;
  core::TimePoint want;
};

TEST(BusinessCalendarTest, AddBusinessTimeTable) {
  config::BusinessHours xmas = PolicyHours();
  xmas.holidays = {"2026-12-24", "2026-12-25"};
  const AddCase cases[] = {
      // Berlin winter: CET = UTC+1.
      {"inside one interval", "Europe/Berlin", Utc(2026, 11, 23, 8), hours(1),
       Utc(2026, 11, 23, 9)},
      {"across the lunch break", "Europe/Berlin", Utc(2026, 11, 23, 10, 30),
       hours(1), Utc(2026, 11, 23, 12, 30)},
      {"before opening", "Europe/Berlin", Utc(2026, 11, 23, 6), minutes(30),
       Utc(2026, 11, 23, 8)},
      {"during lunch", "Europe/Berlin", Utc(2026, 11, 23, 11, 15), minutes(30),
       Utc(2026, 11, 23, 12, 30)},
      {"ends exactly at close", "Europe/Berlin", Utc(2026, 11, 27, 16),
       hours(1), Utc(2026, 11, 27, 17)},
      {"over the weekend", "Europe/Berlin", Utc(2026, 11, 27, 16), hours(2),
       Utc(2026, 11, 30, 8, 30)},
      {"saturday start", "Europe/Berlin", Utc(2026, 11, 28, 10), hours(1),
       Utc(2026, 11, 30, 8, 30)},
      {"zero duration", "Europe/Berlin", Utc(2026, 11, 28, 10), seconds(0),
       Utc(2026, 11, 28, 10)},
      // DST: spring forward on Sunday 2026-03-29 (CET -> CEST = UTC+2).
      {"weekend with DST start", "Europe/Berlin", Utc(2026, 3, 27, 16),
       hours(2), Utc(2026, 3, 30, 7, 30)},
      // DST: fall back on Sunday 2026-10-25 (CEST -> CET).
      {"weekend with DST end", "Europe/Berlin", Utc(2026, 10, 23, 15), hours(2),
       Utc(2026, 10, 26, 8, 30)},
      // A whole business week is 42.5 h; across the March switch.
      {"one business week over DST", "Europe/Berlin", Utc(2026, 3, 26, 7, 30),
       minutes(42 * 60 + 30), Utc(2026, 4, 1, 16)},
      // Asia/Shanghai: UTC+8, no DST.
      {"shanghai friday evening", "Asia/Shanghai", Utc(2026, 11, 27, 9, 30),
       hours(1), Utc(2026, 11, 30, 1)},
      // Asia/Tehran: UTC+3:30, no DST since 2022.
      {"tehran lunch", "Asia/Tehran", Utc(2026, 6, 17, 8), hours(1),
       Utc(2026, 6, 17, 10)},
  };
  for (const AddCase& c : cases) {
    BusinessCalendar cal = Cal(PolicyHours(), c.zone);
    auto got = cal.AddBusinessTime(c.start, c.duration);
    ASSERT_TRUE(got.has_value()) << c.label << ": " << got.error().ToString();
    EXPECT_EQ(core::FormatUtc(*got), core::FormatUtc(c.want)) << c.label;
  }
  BusinessCalendar cal = Cal(xmas, "Europe/Berlin");
  auto got = cal.AddBusinessTime(Utc(2026, 12, 23, 16, 30), hours(1));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(core::FormatUtc(*got), "2026-12-28T08:00:00Z") << "holidays";
}

TEST(BusinessCalendarTest, DstDaysAreCountedAsTheyAre) {
  // Business hours every Sunday, all day: the March Sunday has 23 hours, the
  // October Sunday 25.
  config::BusinessHours h;
  h.days[6] = {{0, 1440}};
  BusinessCalendar cal = Cal(h, "Europe/Berlin");
  // Sunday 2026-03-29 00:00 CET = 03-28 23:00Z.
  auto march = cal.AddBusinessTime(Utc(2026, 3, 28, 23), hours(23));
  ASSERT_TRUE(march.has_value());
  EXPECT_EQ(core::FormatUtc(*march), "2026-03-29T22:00:00Z");
  auto spill = cal.AddBusinessTime(Utc(2026, 3, 28, 23), hours(24));
  ASSERT_TRUE(spill.has_value());
  // The 24th hour is 00:00-01:00 CEST on the next Sunday (04-04 22:00Z).
  EXPECT_EQ(core::FormatUtc(*spill), "2026-04-04T23:00:00Z");
  // Sunday 2026-10-25 00:00 CEST = 10-24 22:00Z; 25 hours long.
  auto october = cal.AddBusinessTime(Utc(2026, 10, 24, 22), hours(25));
  ASSERT_TRUE(october.has_value());
  EXPECT_EQ(core::FormatUtc(*october), "2026-10-25T23:00:00Z");
}

TEST(BusinessCalendarTest, IsBusinessTime) {
  config::BusinessHours h = PolicyHours();
  h.holidays = {"2026-12-24"};
  BusinessCalendar cal = Cal(h, "Europe/Berlin");
  struct {
    core::TimePoint t;
    bool want;
  } cases[] = {
      {Utc(2026, 11, 23, 7, 29), false},   // 08:29 CET
      {Utc(2026, 11, 23, 7, 30), true},    // 08:30
      {Utc(2026, 11, 23, 11, 30), false},  // 12:30 lunch
      {Utc(2026, 11, 23, 12, 0), true},    // 13:00
      {Utc(2026, 11, 23, 17, 0), false},   // 18:00 closed
      {Utc(2026, 11, 28, 10, 0), false},   // Saturday
      {Utc(2026, 12, 24, 10, 0), false},   // holiday
  };
  for (const auto& c : cases) {
    EXPECT_EQ(cal.IsBusinessTime(c.t), c.want) << core::FormatUtc(c.t);
  }
}

TEST(BusinessCalendarTest, WorkingDaysAndDueAt) {
  config::BusinessHours h = PolicyHours();
  h.holidays = {"2026-12-24", "2026-12-25"};
  BusinessCalendar cal = Cal(h, "Europe/Berlin");
  const config::Deadline d1{"D1", "ack", hours(2), "calendar"};
  const config::Deadline d5{"D5", "complaint_receipt", hours(48), "business"};
  const config::Deadline d3{"D3", "fix", hours(8), "business"};
  struct {
    const char* label;
    const config::Deadline* deadline;
    core::TimePoint arrived;
    const char* want;
  } cases[] = {
      {"D1 calendar on a saturday", &d1, Utc(2026, 11, 28, 10),
       "2026-11-28T12:00:00Z"},
      {"D5 monday -> wednesday close", &d5, Utc(2026, 11, 23, 9),
       "2026-11-25T17:00:00Z"},
      {"D5 arrival after hours still day 0", &d5, Utc(2026, 11, 23, 22),
       "2026-11-25T17:00:00Z"},
      {"D5 friday -> tuesday", &d5, Utc(2026, 11, 27, 16),
       "2026-12-01T17:00:00Z"},
      {"D5 saturday -> tuesday", &d5, Utc(2026, 11, 28, 10),
       "2026-12-01T17:00:00Z"},
      {"D5 over christmas", &d5, Utc(2026, 12, 23, 9), "2026-12-29T17:00:00Z"},
      {"D5 over DST start (CEST close)", &d5, Utc(2026, 3, 27, 9),
       "2026-03-31T16:00:00Z"},
      {"D3 8 business hours", &d3, Utc(2026, 11, 23, 15),
       "2026-11-24T14:30:00Z"},
  };
  for (const auto& c : cases) {
    auto got = cal.DueAt(c.arrived, *c.deadline);
    ASSERT_TRUE(got.has_value()) << c.label << ": " << got.error().ToString();
    EXPECT_EQ(core::FormatUtc(*got), c.want) << c.label;
  }
  const config::Deadline bad_clock{"D9", "x", hours(1), "lunar"};
  auto bad = cal.DueAt(Utc(2026, 11, 23, 9), bad_clock);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, core::Code::kInvalidArgument);
  EXPECT_FALSE(cal.AddBusinessTime(Utc(2026, 11, 23, 9), seconds(-1)));
  auto same_day = cal.AddWorkingDays(Utc(2026, 11, 23, 9), 0);
  ASSERT_TRUE(same_day.has_value());
  EXPECT_EQ(core::FormatUtc(*same_day), "2026-11-23T17:00:00Z");
}

TEST(BusinessCalendarTest, CreateRejectsBadInput) {
  struct {
    const char* label;
    config::BusinessHours hours;
    const char* zone;
    const char* want_substr;
  } cases[] = {
      {"unknown zone", PolicyHours(), "Mars/Olympus", "Mars/Olympus"},
      {"empty week", config::BusinessHours{}, "UTC", "no business interval"},
      {"bad holiday",
       [] {
         auto h = PolicyHours();
         h.holidays = {"2026-02-30"};
         return h;
       }(),
       "UTC", "2026-02-30"},
      {"bad holiday format",
       [] {
         auto h = PolicyHours();
         h.holidays = {"24.12.2026"};
         return h;
       }(),
       "UTC", "YYYY-MM-DD"},
      {"inverted interval",
       [] {
         config::BusinessHours h;
         h.days[0] = {{600, 500}};
         return h;
       }(),
       "UTC", "monday"},
      {"overlap",
       [] {
         config::BusinessHours h;
         h.days[2] = {{500, 700}, {600, 800}};
         return h;
       }(),
       "UTC", "overlap"},
      {"past midnight",
       [] {
         config::BusinessHours h;
         h.days[0] = {{500, 1500}};
         return h;
       }(),
       "UTC", "outside"},
  };
  for (const auto& c : cases) {
    auto got = BusinessCalendar::Create(c.hours, c.zone);
    ASSERT_FALSE(got.has_value()) << c.label;
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << c.label;
    EXPECT_NE(got.error().message.find(c.want_substr), std::string::npos)
        << c.label << ": " << got.error().message;
  }
  // A passing case beside the failing ones.
  EXPECT_TRUE(BusinessCalendar::Create(PolicyHours(), "Asia/Tehran"));
}

TEST(BusinessCalendarTest, FormatLocalTime) {
  struct {
    core::TimePoint t;
    const char* zone;
    const char* lang;
    const char* want;
  } cases[] = {
      {Utc(2026, 11, 24, 13), "Europe/Berlin", "en",
       "Tuesday, 24 November 2026, 14:00 CET"},
      {Utc(2026, 11, 24, 13), "Europe/Berlin", "de",
       "Dienstag, 24. November 2026, 14:00 Uhr (MEZ)"},
      {Utc(2026, 6, 2, 12), "Europe/Berlin", "de",
       "Dienstag, 2. Juni 2026, 14:00 Uhr (MESZ)"},
      {Utc(2026, 11, 24, 6), "Asia/Shanghai", "zh",
       "2026年11月24日 星期二 14:00 (UTC+08:00)"},
      {Utc(2026, 11, 24, 10, 30), "Asia/Tehran", "fa",
       "سه‌شنبه ۲۴ نوامبر ۲۰۲۶، ساعت ۱۴:۰۰ "
       "(UTC+03:30)"},
      {Utc(2026, 11, 24, 10, 30), "Asia/Tehran", "en",
       "Tuesday, 24 November 2026, 14:00 UTC+03:30"},
      {Utc(2026, 11, 24, 13), "Europe/Berlin", "xx",
       "Tuesday, 24 November 2026, 14:00 CET"},
  };
  for (const auto& c : cases) {
    auto got = FormatLocalTime(c.t, c.zone, c.lang);
    ASSERT_TRUE(got.has_value()) << c.want;
    EXPECT_EQ(*got, c.want);
  }
  EXPECT_FALSE(FormatLocalTime(Utc(2026, 1, 1, 0), "Nowhere/Land", "en"));
}

}  // namespace
}  // namespace inboxd::responder
