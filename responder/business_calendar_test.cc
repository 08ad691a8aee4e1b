#include "responder/business_calendar.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include "store/report.h"

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

// The calendar clock: whole days are calendar days at the same local
// wall-clock time (DST changes make them 47 or 49 hours); anything else is
// elapsed time. "48h" is 172800 s like "2d", so it counts as days too.
TEST(BusinessCalendarTest, CalendarDaysKeepTheWallClockTime) {
  const config::Deadline two_days{"D2", "answer", hours(48), "calendar"};
  const config::Deadline one_day{"D4", "answer", hours(24), "calendar"};
  const config::Deadline two_weeks{"D6", "resolve", hours(14 * 24), "calendar"};
  const config::Deadline two_hours{"D1", "ack", hours(2), "calendar"};
  const config::Deadline h36{"DX", "x", hours(36), "calendar"};
  const config::Deadline h47{"DX", "x", hours(47), "calendar"};
  const config::Deadline d25h{"DX", "x", hours(25), "calendar"};
  const config::Deadline d155{"DX", "x", hours(155 * 24), "calendar"};
  const config::Deadline d212{"DX", "x", hours(212 * 24), "calendar"};
  struct {
    const char* label;
    const char* zone;
    const config::Deadline* deadline;
    core::TimePoint arrived;
    const char* want;
  } cases[] = {
      // Europe/Berlin 2026: spring forward Sun 03-29 02:00 CET -> 03:00 CEST,
      // fall back Sun 10-25 03:00 CEST -> 02:00 CET.
      {"berlin sat 10:00 CET + 2d = mon 10:00 CEST (47 h)", "Europe/Berlin",
       &two_days, Utc(2026, 3, 28, 9), "2026-03-30T08:00:00Z"},
      {"berlin sat 10:00 CEST + 2d = mon 10:00 CET (49 h)", "Europe/Berlin",
       &two_days, Utc(2026, 10, 24, 8), "2026-10-26T09:00:00Z"},
      {"berlin no DST change: 2d is 48 h", "Europe/Berlin", &two_days,
       Utc(2026, 11, 28, 9), "2026-11-30T09:00:00Z"},
      {"berlin 1d over spring forward (23 h)", "Europe/Berlin", &one_day,
       Utc(2026, 3, 28, 9), "2026-03-29T08:00:00Z"},
      {"berlin 14d over spring forward", "Europe/Berlin", &two_weeks,
       Utc(2026, 3, 20, 9), "2026-04-03T08:00:00Z"},
      // Fri 02:30 CET + 2d = Sun 02:30, which does not exist: 03:30 CEST.
      {"berlin landing in the gap moves forward", "Europe/Berlin", &two_days,
       Utc(2026, 3, 27, 1, 30), "2026-03-29T01:30:00Z"},
      // Fri 02:30 CEST + 2d = Sun 02:30, which happens twice: the CEST one.
      {"berlin landing in the repeated hour takes the earlier", "Europe/Berlin",
       &two_days, Utc(2026, 10, 23, 0, 30), "2026-10-25T00:30:00Z"},
      // The same landings from the other side of the year, where elapsed
      // time would give another instant: Sat 2025-10-25 02:30 CEST + 155d
      // (elapsed: 01:30 CET) and Fri 2026-03-27 02:30 CET + 212d (elapsed:
      // the later, CET 02:30).
      {"berlin 155d from summer into the gap", "Europe/Berlin", &d155,
       Utc(2025, 10, 25, 0, 30), "2026-03-29T01:30:00Z"},
      {"berlin 212d from winter into the repeated hour", "Europe/Berlin", &d212,
       Utc(2026, 3, 27, 1, 30), "2026-10-25T00:30:00Z"},
      // Starting in the second (CET) 02:30 of the repeated hour: the wall
      // clock says 02:30, so two days later is Tue 02:30 CET (49 h).
      {"berlin start in the repeated hour", "Europe/Berlin", &two_days,
       Utc(2026, 10, 25, 1, 30), "2026-10-27T01:30:00Z"},
      // America/New_York 2026: spring forward Sun 03-08 02:00 EST -> 03:00
      // EDT, fall back Sun 11-01 02:00 EDT -> 01:00 EST.
      {"new york sat 10:00 EST + 2d = mon 10:00 EDT", "America/New_York",
       &two_days, Utc(2026, 3, 7, 15), "2026-03-09T14:00:00Z"},
      {"new york sat 10:00 EDT + 2d = mon 10:00 EST", "America/New_York",
       &two_days, Utc(2026, 10, 31, 14), "2026-11-02T15:00:00Z"},
      {"new york landing in the gap moves forward", "America/New_York",
       &two_days, Utc(2026, 3, 6, 7, 30), "2026-03-08T07:30:00Z"},
      {"new york landing in the repeated hour takes the earlier",
       "America/New_York", &two_days, Utc(2026, 10, 30, 5, 30),
       "2026-11-01T05:30:00Z"},
      // No DST: calendar days are 24 h.
      {"shanghai 2d", "Asia/Shanghai", &two_days, Utc(2026, 3, 28, 2),
       "2026-03-30T02:00:00Z"},
      // Not whole days: plain elapsed time, DST or not.
      {"berlin 2h over spring forward stays elapsed", "Europe/Berlin",
       &two_hours, Utc(2026, 3, 29, 0), "2026-03-29T02:00:00Z"},
      {"berlin 2h over fall back stays elapsed", "Europe/Berlin", &two_hours,
       Utc(2026, 10, 25, 0), "2026-10-25T02:00:00Z"},
      {"berlin 36h stays elapsed", "Europe/Berlin", &h36, Utc(2026, 3, 28, 9),
       "2026-03-29T21:00:00Z"},
      {"berlin 47h stays elapsed", "Europe/Berlin", &h47, Utc(2026, 10, 24, 8),
       "2026-10-26T07:00:00Z"},
      {"new york 25h stays elapsed", "America/New_York", &d25h,
       Utc(2026, 3, 7, 15), "2026-03-08T16:00:00Z"},
  };
  for (const auto& c : cases) {
    BusinessCalendar cal = Cal(PolicyHours(), c.zone);
    auto got = cal.DueAt(c.arrived, *c.deadline);
    ASSERT_TRUE(got.has_value()) << c.label << ": " << got.error().ToString();
    EXPECT_EQ(core::FormatUtc(*got), c.want) << c.label;
  }
  // The business clock is unchanged by this: 2 days there are working days.
  BusinessCalendar cal = Cal(PolicyHours(), "Europe/Berlin");
  const config::Deadline business{"D5", "x", hours(48), "business"};
  auto got = cal.DueAt(Utc(2026, 3, 28, 9), business);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(core::FormatUtc(*got), "2026-03-31T16:00:00Z");
  const config::Deadline negative{"DX", "x", seconds(-86400), "calendar"};
  auto neg = cal.DueAt(Utc(2026, 3, 28, 9), negative);
  ASSERT_FALSE(neg.has_value());
  EXPECT_EQ(neg.error().code, core::Code::kInvalidArgument);
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

// Days whose Solar Hijri date is known from Iran's official calendar.
TEST(BusinessCalendarTest, SolarHijriDates) {
  using namespace std::chrono;
  struct {
    year_month_day g;
    int y;
    unsigned m, d;
  } cases[] = {
      {2026y / March / 21d, 1405, 1, 1},       // Nowruz 1405
      {2026y / March / 20d, 1404, 12, 29},     // 1404 is not a leap year
      {2025y / March / 21d, 1404, 1, 1},       // Nowruz 1404
      {2025y / March / 20d, 1403, 12, 30},     // 1403 is a leap year
      {2024y / March / 20d, 1403, 1, 1},       // Nowruz 1403
      {2020y / March / 20d, 1399, 1, 1},       // Nowruz 1399
      {1979y / February / 11d, 1357, 11, 22},  // 22 Bahman 1357
      {2026y / November / 24d, 1405, 9, 3},    // 3 Azar 1405
      {2026y / September / 22d, 1405, 6, 31},  // last day of Shahrivar
      {2026y / September / 23d, 1405, 7, 1},   // 1 Mehr
  };
  for (const auto& c : cases) {
    SolarHijriDate got = ToSolarHijri(c.g);
    EXPECT_EQ(got.year, c.y) << int(c.g.year()) << "-" << unsigned(c.g.month())
                             << "-" << unsigned(c.g.day());
    EXPECT_EQ(got.month, c.m) << int(c.g.year()) << "-" << unsigned(c.g.month())
                              << "-" << unsigned(c.g.day());
    EXPECT_EQ(got.day, c.d) << int(c.g.year()) << "-" << unsigned(c.g.month())
                            << "-" << unsigned(c.g.day());
  }
  EXPECT_EQ(ZoneLocalName("Asia/Shanghai", "zh"), "北京时间");
  EXPECT_EQ(ZoneLocalName("Asia/Tehran", "fa"), "به وقت تهران");
  EXPECT_EQ(ZoneLocalName("Asia/Tehran", "zh"), "");
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
       "2026年11月24日 星期二 14:00（北京时间）"},
      {Utc(2026, 11, 24, 13), "Europe/Paris", "zh",
       "2026年11月24日 星期二 14:00（UTC+01:00）"},
      {Utc(2026, 11, 24, 10, 30), "Asia/Tehran", "fa",
       "سه‌شنبه ۳ آذر ۱۴۰۵ (۲۴ نوامبر ۲۰۲۶)، ساعت "
       "۱۴:۰۰ "
       "به "
       "وقت "
       "تهران"},
      // Iran has had no summer time since 2022: +03:30 in June too.
      {Utc(2026, 6, 2, 10, 30), "Asia/Tehran", "fa",
       "سه‌شنبه ۱۲ خرداد ۱۴۰۵ (۲ ژوئن ۲۰۲۶)، ساعت "
       "۱۴:۰۰ "
       "به "
       "وقت "
       "تهران"},
      {Utc(2026, 11, 24, 13), "Europe/Paris", "fa",
       "سه‌شنبه ۳ آذر ۱۴۰۵ (۲۴ نوامبر ۲۰۲۶)، "
       "ساعت "
       "۱۴:۰۰ "
       "(UTC+۰۱:۰۰)"},
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

TEST(BusinessCalendarTest, FormatLocalDate) {
  EXPECT_EQ(FormatLocalDate("2027-03-31", "en").value_or(""), "31 March 2027");
  EXPECT_EQ(FormatLocalDate("2027-03-31", "de").value_or(""), "31. März 2027");
  EXPECT_EQ(FormatLocalDate("2027-03-31", "zh").value_or(""), "2027年3月31日");
  // 1 Farvardin 1406 is 21 March 2027.
  EXPECT_EQ(FormatLocalDate("2027-03-31", "fa").value_or(""),
            "۱۱ فروردین ۱۴۰۶ (۳۱ مارس ۲۰۲۷)");
  EXPECT_EQ(FormatLocalDate("2027-03-20", "fa").value_or(""),
            "۲۹ اسفند ۱۴۰۵ (۲۰ مارس ۲۰۲۷)");
  EXPECT_EQ(FormatLocalDate("2028-02-29", "xx").value_or(""),
            "29 February 2028");
  for (const char* bad : {"2027-02-30", "2027-3-31", "31.03.2027", "",
                          "2027-03-31x", "0001-01-01"}) {
    EXPECT_FALSE(FormatLocalDate(bad, "en").has_value()) << bad;
  }
}

TEST(BusinessCalendarTest, FormatLocalDayLocalDigitsAndElapsed) {
  // 23:30 UTC is already Wednesday in Berlin and Shanghai.
  const core::TimePoint t = Utc(2026, 11, 24, 23, 30);
  EXPECT_EQ(FormatLocalDay(t, "UTC", "en").value_or(""),
            "Tuesday, 24 November 2026");
  EXPECT_EQ(FormatLocalDay(t, "Europe/Berlin", "de").value_or(""),
            "Mittwoch, 25. November 2026");
  EXPECT_EQ(FormatLocalDay(t, "Asia/Shanghai", "zh").value_or(""),
            "2026年11月25日 星期三");
  EXPECT_EQ(FormatLocalDay(t, "Asia/Tehran", "fa").value_or(""),
            "چهارشنبه ۴ آذر ۱۴۰۵ (۲۵ نوامبر ۲۰۲۶)");
  EXPECT_FALSE(FormatLocalDay(t, "Nowhere/Land", "en").has_value());

  EXPECT_EQ(LocalDigits("42", "fa"), "۴۲");
  EXPECT_EQ(LocalDigits("42", "zh"), "42");

  using std::chrono::seconds;
  struct {
    int64_t s;
    const char* lang;
    const char* want;
  } cases[] = {
      {20, "en", "20s"},
      {80, "en", "1m 20s"},
      {240, "en", "4m 00s"},
      {7500, "en", "2h 05m"},
      {97200, "en", "1d 03h"},
      {80, "de", "1 min 20 s"},
      {97200, "de", "1 d 03 h"},
      {80, "zh", "1分钟20秒"},
      {240, "zh", "4分钟"},
      {7500, "zh", "2小时5分钟"},
      {80, "fa", "۱ دقیقه و ۲۰ ثانیه"},
      {240, "fa", "۴ دقیقه"},
      {97200, "fa", "۱ روز و ۳ ساعت"},
      {-80, "en", "-1m 20s"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatElapsed(seconds(c.s), c.lang), c.want) << c.s << c.lang;
  }
  // English keeps the report's format.
  for (int64_t v : {0, 59, 61, 3599, 3600, 86399, 86400, 1000000}) {
    EXPECT_EQ(FormatElapsed(seconds(v), "en"),
              store::FormatSeconds(seconds(v)));
  }
}

TEST(BusinessCalendarTest, FormatRfc3339Local) {
  struct {
    core::TimePoint t;
    const char* zone;
    const char* want;
  } cases[] = {
      {Utc(2026, 11, 24, 13), "Europe/Berlin", "2026-11-24T14:00:00+01:00"},
      {Utc(2026, 6, 2, 12), "Europe/Berlin", "2026-06-02T14:00:00+02:00"},
      {Utc(2026, 11, 24, 13), "UTC", "2026-11-24T13:00:00+00:00"},
      {Utc(2026, 11, 24, 13), "Etc/UTC", "2026-11-24T13:00:00+00:00"},
      {Utc(2026, 11, 24, 13), "America/New_York", "2026-11-24T08:00:00-05:00"},
      {Utc(2026, 11, 24, 10, 30), "Asia/Tehran", "2026-11-24T14:00:00+03:30"},
      {Utc(2026, 11, 24, 13) + seconds(7), "Asia/Kolkata",
       "2026-11-24T18:30:07+05:30"},
      // The instant of the fall-back change: the new (CET) offset applies.
      {Utc(2026, 10, 25, 1), "Europe/Berlin", "2026-10-25T02:00:00+01:00"},
      {Utc(2026, 10, 25, 0, 59), "Europe/Berlin", "2026-10-25T02:59:00+02:00"},
      // A day before 1970 and a local date before the UTC one.
      {Utc(1970, 1, 1, 2), "America/New_York", "1969-12-31T21:00:00-05:00"},
      // Berlin local mean time was +00:53:28: cut to +00:53, and the local
      // time shown goes with the cut offset, so the string is still `t`.
      {Utc(1890, 1, 1, 0), "Europe/Berlin", "1890-01-01T00:53:00+00:53"},
  };
  for (const auto& c : cases) {
    auto got = FormatRfc3339Local(c.t, c.zone);
    ASSERT_TRUE(got.has_value()) << c.want << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.want);
    // Every formatted string parses back to the same instant.
    auto back = ParseRfc3339(*got);
    ASSERT_TRUE(back.has_value()) << *got;
    EXPECT_EQ(*back, c.t) << *got;
  }
  auto unknown = FormatRfc3339Local(Utc(2026, 1, 1, 0), "Nowhere/Land");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, core::Code::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("Nowhere/Land"), std::string::npos);
  auto far = FormatRfc3339Local(Utc(10000, 1, 1, 12), "UTC");
  ASSERT_FALSE(far.has_value());
  EXPECT_EQ(far.error().code, core::Code::kInvalidArgument);
}

TEST(BusinessCalendarTest, ParseRfc3339) {
  const core::TimePoint t = Utc(2026, 11, 24, 13);
  struct {
    const char* in;
    core::TimePoint want;
  } good[] = {
      {"2026-11-24T13:00:00Z", t},
      {"2026-11-24t13:00:00z", t},
      {"2026-11-24T14:00:00+01:00", t},
      {"2026-11-24T08:00:00-05:00", t},
      {"2026-11-24T16:30:00+03:30", t},
      {"2026-11-24T13:00:00+00:00", t},
      {"2026-11-24T13:00:00-00:00", t},    // RFC 3339 4.3: unknown offset
      {"2026-11-24T13:00:00.999999Z", t},  // fraction dropped
      {"2026-11-24T14:00:00.5+01:00", t},
      {"2026-11-25T00:00:00+11:00", t},  // the local date is the next day
      {"2024-02-29T00:00:00Z", Utc(2024, 2, 29, 0)},
      {"1969-12-31T23:59:59.5Z", Utc(1970, 1, 1, 0) - seconds(1)},
      {"0000-01-01T00:00:00Z", Utc(0, 1, 1, 0)},
      {"9999-12-31T23:59:59Z", Utc(9999, 12, 31, 23, 59) + seconds(59)},
  };
  for (const auto& c : good) {
    auto got = ParseRfc3339(c.in);
    ASSERT_TRUE(got.has_value()) << c.in << ": " << got.error().ToString();
    EXPECT_EQ(core::FormatUtc(*got), core::FormatUtc(c.want)) << c.in;
  }
  const char* bad[] = {
      "",
      "2026-11-24",
      "2026-11-24T13:00:00",       // no offset
      "2026-11-24 13:00:00Z",      // space for T
      "2026-11-24T13:00Z",         // no seconds
      "2026-11-24T13:00:00.Z",     // empty fraction
      "2026-11-24T13:00:00,5Z",    // comma fraction
      "2026-11-24T13:00:00+0100",  // offset without colon
      "2026-11-24T13:00:00+01",    // offset without minutes
      "2026-11-24T13:00:00+01:00:00",
      "2026-11-24T13:00:00+24:00",  // offset hour out of range
      "2026-11-24T13:00:00+01:60",  // offset minute out of range
      "2026-11-24T13:00:00ZZ",      // trailing bytes
      "2026-11-24T13:00:00Z ",
      "2026-11-24T13:00:00Z\n",
      " 2026-11-24T13:00:00Z",
      "2026-02-30T00:00:00Z",  // no such day
      "2026-13-01T00:00:00Z",  // no such month
      "2026-00-10T00:00:00Z",
      "2026-11-24T24:00:00Z",  // hour 24
      "2026-11-24T13:60:00Z",
      "2026-12-31T23:59:60Z",  // leap second
      "2026-1-24T13:00:00Z",   // one-digit month
      "+2026-11-24T13:00:00Z",
      "2026-11-24T1a:00:00Z",
      "2026-11-24T13:00:00UTC",
      "2026-11-24T13:00:00+01:0a",
      "2026-11-24T13:00:00\xef\xbc\x90Z",  // a full-width digit
  };
  for (const char* in : bad) {
    auto got = ParseRfc3339(in);
    ASSERT_FALSE(got.has_value()) << in;
    EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << in;
    EXPECT_EQ(got.error().message.find('\n'), std::string::npos)
        << "message is printable: " << got.error().message;
  }
}

}  // namespace
}  // namespace inboxd::responder
