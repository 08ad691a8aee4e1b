#include "classify/return_date.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "core/clock.h"

namespace inboxd::classify {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

// "2026-08-10T09:00:00Z" -> TimePoint (test input only).
core::TimePoint At(const char* rfc3339) {
  int y, mo, d, h, mi, s;
  if (std::sscanf(rfc3339, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) !=
      6) {
    ADD_FAILURE() << "bad time " << rfc3339;
    return {};
  }
  sys_days day{std::chrono::year{y} / mo / d};
  return core::TimePoint{day.time_since_epoch()} + std::chrono::hours(h) +
         std::chrono::minutes(mi) + std::chrono::seconds(s);
}

sys_days Day(int y, unsigned m, unsigned d) {
  return sys_days{std::chrono::year{y} / m / d};
}

constexpr const char* kBerlin = "Europe/Berlin";
constexpr const char* kShanghai = "Asia/Shanghai";
constexpr const char* kTehran = "Asia/Tehran";
// 10 August 2026 = 19 Mordad 1405, a Monday.
constexpr const char* kAugust = "2026-08-10T09:00:00Z";

struct Case {
  const char* name;
  const char* text;
  const char* received;
  const char* zone;
  const char* want_until;    // RFC 3339 UTC, or nullptr for nullopt
  const char* want_matched;  // nullptr: not checked
};

void RunCases(const Case* begin, const Case* end) {
  for (const Case* c = begin; c != end; ++c) {
    auto got = FindReturnDate(c->text, At(c->received), c->zone);
    if (c->want_until == nullptr) {
      EXPECT_FALSE(got.has_value())
          << c->name << ": got " << core::FormatUtc(got->until) << " from '"
          << got->matched << "'";
      continue;
    }
    if (!got.has_value()) {
      ADD_FAILURE() << c->name << ": got nullopt";
      continue;
    }
    EXPECT_EQ(core::FormatUtc(got->until), c->want_until) << c->name;
    if (c->want_matched != nullptr) {
      EXPECT_EQ(got->matched, c->want_matched) << c->name;
    }
    EXPECT_LE(got->matched.size(), kReturnDateMatchedMax) << c->name;
  }
}

TEST(ReturnDate, English) {
  const Case cases[] = {
      {"outlook until (last absent day)",
       "I am out of the office until Friday, 14 August 2026 with limited "
       "access to email.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z",
       "until Friday, 14 August 2026"},
      {"outlook month first",
       "I am out of the office until Friday, August 14, 2026. For urgent "
       "matters contact support@example.com.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z",
       "until Friday, August 14, 2026"},
      {"back on weekday date",
       "Thank you for your email. I will be back on Monday 17 August and will "
       "reply then.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z", "back on Monday 17 August"},
      {"returning on the 17th of",
       "I'm on annual leave, returning on the 17th of August.", kAugust,
       kBerlin, "2026-08-16T22:00:00Z", "returning on the 17th of August"},
      {"return to the office, abbreviations",
       "I will return to the office on Mon, Aug 17th.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "return to the office on Mon, Aug 17th"},
      {"available again from d/m/y (day > 12)",
       "I will be available again from 17/08/2026.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "again from 17/08/2026"},
      {"back in the office m/d (day > 12)", "I'll be back in the office 8/17.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z", "back in the office 8/17"},
      {"iso date", "Out of office. Back 2026-08-17.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "Back 2026-08-17"},
      {"range from 3 to 14 August", "Out of office from 3 to 14 August.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", "3 to 14 August"},
      {"range with en dash", "Out of office 3–14 August 2026, no email.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", "3–14 August 2026"},
      {"range of full dates",
       "I am on leave from 3 August 2026 to 14 August 2026.", kAugust, kBerlin,
       "2026-08-14T22:00:00Z", "3 August 2026 to 14 August 2026"},
      {"range with a day-only end", "On vacation August 3 - 14, 2026.", kAugust,
       kBerlin, "2026-08-14T22:00:00Z", "August 3 - 14, 2026"},
      {"between ... and", "I am travelling between 3 and 14 August.", kAugust,
       kBerlin, "2026-08-14T22:00:00Z", "between 3 and 14 August"},
      {"through", "I am away through Aug. 14 and will answer afterwards.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", "through Aug. 14"},
      {"up to and including", "Away up to and including the 14th of August.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", nullptr},
      {"explicit return wins over until",
       "I am out of the office until 14 August. I will be back on Monday, 17 "
       "August.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z", "back on Monday, 17 August"},
      {"range, then the return day",
       "I am on leave from 3 August until 14 August, returning on 17 August.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z", "returning on 17 August"},
      {"start of absence is not a cue, the return is",
       "I will be out of the office starting Monday, August 3 and returning "
       "Friday, August 14.",
       "2026-07-30T09:00:00Z", kBerlin, "2026-08-13T22:00:00Z",
       "returning Friday, August 14"},
      {"first of two return statements",
       "Back on 17 August. (My colleague is back on 24 August.)", kAugust,
       kBerlin, "2026-08-16T22:00:00Z", "Back on 17 August"},
      {"line break inside the statement",
       "I will be back on\r\nMonday 17 August.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "back on Monday 17 August"},
      {"date without a cue", "Out of office: 14 August 2026", kAugust, kBerlin,
       nullptr, nullptr},
      {"no date", "I am out of the office with limited access to email.",
       kAugust, kBerlin, nullptr, nullptr},
      {"weekday only", "I am out of the office until Monday.", kAugust, kBerlin,
       nullptr, nullptr},
      {"day without a month", "I'll be back on Monday the 17th.", kAugust,
       kBerlin, nullptr, nullptr},
      {"a time is not a date", "Back at 10:15 tomorrow.", kAugust, kBerlin,
       nullptr, nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, German) {
  const Case cases[] = {
      {"explicit return wins over bis einschliesslich",
       "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich 14.08.2026 "
       "nicht im Büro. Ab dem 17.08. bin ich wieder erreichbar.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z",
       "Ab dem 17.08. bin ich wieder"},
      {"bis einschliesslich alone",
       "Ich bin bis einschließlich 14.08.2026 nicht im Büro.", kAugust, kBerlin,
       "2026-08-14T22:00:00Z", "bis einschließlich 14.08.2026"},
      {"bis zum, day.month.", "Ich bin bis zum 14.8. im Urlaub.", kAugust,
       kBerlin, "2026-08-14T22:00:00Z", "bis zum 14.8."},
      {"vom bis with month name", "Vom 3. bis 14. August bin ich im Urlaub.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", "3. bis 14. August"},
      {"vom bis dotted dates",
       "Ich bin vom 03.08.2026 bis 14.08.2026 abwesend.", kAugust, kBerlin,
       "2026-08-14T22:00:00Z", "03.08.2026 bis 14.08.2026"},
      {"day range with dash", "Abwesend 3.–14.8.2026", kAugust, kBerlin,
       "2026-08-14T22:00:00Z", "3.–14.8.2026"},
      {"zurück am weekday", "Ich bin zurück am Montag, 17.8.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "zurück am Montag, 17.8."},
      {"Rückkehr with abbreviated month",
       "Voraussichtliche Rückkehr: 17. Aug. 2026", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "Rückkehr: 17. Aug. 2026"},
      {"am ... wieder im Büro", "Am 17.08.2026 bin ich wieder im Büro.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z",
       "Am 17.08.2026 bin ich wieder"},
      {"wieder erreichbar ab", "Ich bin wieder erreichbar ab dem 17.08.26.",
       kAugust, kBerlin, "2026-08-16T22:00:00Z",
       "wieder erreichbar ab dem 17.08.26"},
      {"ab Montag, dem ... wieder für Sie da",
       "Ab Montag, dem 17. August, bin ich wieder für Sie da.", kAugust,
       kBerlin, "2026-08-16T22:00:00Z", nullptr},
      {"kehre ... zurück", "Ich kehre am 17.08. zurück.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", nullptr},
      {"März and bin wieder da", "Ab dem 9. März bin ich wieder da.",
       "2026-03-02T09:00:00Z", kBerlin, "2026-03-08T23:00:00Z", nullptr},
      {"Maerz spelled without umlaut, bis und mit (Swiss)",
       "Ich bin bis und mit 13. Maerz abwesend.", "2026-03-02T09:00:00Z",
       "Europe/Zurich", "2026-03-13T23:00:00Z", nullptr},
      {"Dez. and Januar across New Year",
       "Ich bin vom 21. Dez. bis 6. Januar im Urlaub.", "2026-12-18T09:00:00Z",
       kBerlin, "2027-01-06T23:00:00Z", "21. Dez. bis 6. Januar"},
      {"zwischen dem ... und", "Ich bin zwischen dem 3. und 14. August weg.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z",
       "zwischen dem 3. und 14. August"},
      {"spaced day. month. year", "Ich bin bis zum 14. 08. 2026 abwesend.",
       kAugust, kBerlin, "2026-08-14T22:00:00Z", "bis zum 14. 08. 2026"},
      {"danach moves wieder off the start date",
       "Ab dem 3.8. bin ich im Urlaub und melde mich danach wieder.",
       "2026-07-30T09:00:00Z", kBerlin, nullptr, nullptr},
      {"dann keeps wieder on the date",
       "Ab dem 17.8. bin ich dann wieder erreichbar.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", "Ab dem 17.8. bin ich dann wieder"},
      {"capitals", "ICH BIN BIS 14.08.2026 NICHT IM BÜRO.", kAugust, kBerlin,
       "2026-08-14T22:00:00Z", "BIS 14.08.2026"},
      {"ab without wieder starts the absence", "Ich bin ab dem 3.8. im Urlaub.",
       "2026-07-30T09:00:00Z", kBerlin, nullptr, nullptr},
      {"the start's clause ends at the next date",
       "Ich bin ab dem 3.8. im Urlaub und ab dem 17.8. wieder da.",
       "2026-07-30T09:00:00Z", kBerlin, "2026-08-16T22:00:00Z",
       "ab dem 17.8. wieder"},
      {"a time is not a date", "Ich bin heute bis 9.10 Uhr erreichbar.",
       kAugust, kBerlin, nullptr, nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, Chinese) {
  const Case cases[] = {
      {"return with year", "我将于2026年8月17日返回办公室。", kAugust,
       kShanghai, "2026-08-16T16:00:00Z", "我将于2026年8月17日返回"},
      {"until with weekday", "本人休假至8月14日（周五），期间邮件回复会延迟。",
       kAugust, kShanghai, "2026-08-14T16:00:00Z", "至8月14日"},
      {"range then return", "我8月3日至14日休假，8月17日回来上班。", kAugust,
       kShanghai, "2026-08-16T16:00:00Z", "8月17日回来"},
      {"day-only range end", "8月3日至14日休假，紧急事务请联系同事。", kAugust,
       kShanghai, "2026-08-14T16:00:00Z", "8月3日至14日"},
      {"full-width digits", "我将于２０２６年８月１７日返回", kAugust,
       kShanghai, "2026-08-16T16:00:00Z", "我将于２０２６年８月１７日返回"},
      {"back after the date", "我在休假，８月１４日后返回。", kAugust,
       kShanghai, "2026-08-14T16:00:00Z", nullptr},
      {"traditional", "我將於8月17日回來。", kAugust, kShanghai,
       "2026-08-16T16:00:00Z", nullptr},
      {"hao and 到", "休假到8月14号。", kAugust, kShanghai,
       "2026-08-14T16:00:00Z", "到8月14号"},
      {"return date label", "返回日期：2026年8月17日", kAugust, kShanghai,
       "2026-08-16T16:00:00Z", nullptr},
      {"range with years, then 起恢复",
       "您好！我于2026年8月3日至2026年8月14日休假，期间无法及时回复邮件。8月"
       "17日起恢复正常办公。",
       kAugust, kShanghai, "2026-08-16T16:00:00Z", "8月17日起恢复"},
      {"weekday in parentheses before the verb",
       "您好，我已休假，8月17日（星期一）回到公司。", kAugust, kShanghai,
       "2026-08-16T16:00:00Z", "8月17日（星期一）回到"},
      {"tilde range", "休假时间：8月3日~8月14日", kAugust, kShanghai,
       "2026-08-14T16:00:00Z", "8月3日~8月14日"},
      {"no date", "您好，我目前不在办公室，将尽快回复。", kAugust, kShanghai,
       nullptr, nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, Persian) {
  const Case cases[] = {
      {"until, Solar Hijri with year", "تا ۲۳ مرداد ۱۴۰۵ در مرخصی هستم.",
       kAugust, kTehran, "2026-08-14T20:30:00Z", "تا ۲۳ مرداد ۱۴۰۵"},
      {"return wins, Solar Hijri without year",
       "اینجانب تا ۲۳ مرداد در مرخصی هستم و از ۲۶ مرداد در دسترس خواهم بود.",
       kAugust, kTehran, "2026-08-16T20:30:00Z", "از ۲۶ مرداد در دسترس"},
      {"range az ... ta", "از ۱۰ تا ۲۲ مرداد در دسترس نیستم.", kAugust, kTehran,
       "2026-08-13T20:30:00Z", "۱۰ تا ۲۲ مرداد"},
      {"az ... laghayat",
       "با سلام، اینجانب از تاریخ ۱۰ مرداد لغایت ۲۲ مرداد ۱۴۰۵ در مرخصی هستم.",
       kAugust, kTehran, "2026-08-13T20:30:00Z",
       "۱۰ مرداد لغایت ۲۲ مرداد ۱۴۰۵"},
      {"until end of day, then answering from Saturday",
       "تا پایان روز ۲۳ مرداد در دسترس نیستم و از شنبه ۲۵ مرداد پاسخگو خواهم "
       "بود.",
       kAugust, kTehran, "2026-08-15T20:30:00Z",
       "از شنبه ۲۵ مرداد پاسخگو خواهم بود"},
      {"Solar Hijri month with a Gregorian year is no date",
       "تا ۲۳ مرداد ۲۰۲۶ در سفر هستم", kAugust, kTehran, nullptr, nullptr},
      {"last day of a common year", "تا ۲۹ اسفند در مرخصی هستم", kAugust,
       kTehran, "2027-03-20T20:30:00Z", nullptr},
      {"negated availability is no return", "از ۲۶ مرداد در دسترس نیستم.",
       kAugust, kTehran, nullptr, nullptr},
      {"Gregorian month in Persian", "تا ۱۴ آگوست ۲۰۲۶ در سفر هستم.", kAugust,
       kTehran, "2026-08-14T20:30:00Z", "تا ۱۴ آگوست ۲۰۲۶"},
      {"Gregorian month, French spelling", "تا ۱۴ اوت در سفر هستم.", kAugust,
       kTehran, "2026-08-14T20:30:00Z", nullptr},
      {"Arabic-Indic digits and Arabic yeh", "تا ٢٣ مرداد ١٤٠٥ در مرخصي هستم.",
       kAugust, kTehran, "2026-08-14T20:30:00Z", nullptr},
      {"numeric Solar Hijri", "تا تاریخ ۱۴۰۵/۰۵/۲۳ در مرخصی هستم.", kAugust,
       kTehran, "2026-08-14T20:30:00Z", "تا تاریخ ۱۴۰۵/۰۵/۲۳"},
      {"verb with ZWNJ",
       "روز ۲۶ مرداد به دفتر برمی‌گردم.", kAugust,
       kTehran, "2026-08-16T20:30:00Z", nullptr},
      {"mah after the month", "تا ۲۳ مرداد ماه در مرخصی هستم.", kAugust,
       kTehran, "2026-08-14T20:30:00Z", "تا ۲۳ مرداد ماه"},
      {"return label", "تاریخ بازگشت: دوشنبه ۲۶ مرداد", kAugust, kTehran,
       "2026-08-16T20:30:00Z", nullptr},
      {"next Solar Hijri year across Nowruz", "از ۵ فروردین در دسترس هستم.",
       "2027-03-10T08:00:00Z", kTehran, "2027-03-24T20:30:00Z", nullptr},
      {"no date", "در حال حاضر در دسترس نیستم.", kAugust, kTehran, nullptr,
       nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, YearsAndPlausibility) {
  const Case cases[] = {
      {"no year: next January", "I am back on 5 January.",
       "2026-12-20T10:00:00Z", kBerlin, "2027-01-04T23:00:00Z", nullptr},
      {"no year: until across New Year", "Out of office until 2 Jan.",
       "2026-12-20T10:00:00Z", kBerlin, "2027-01-02T23:00:00Z", nullptr},
      {"no year: today's date is this year", "Out of office until 10 August.",
       kAugust, kBerlin, "2026-08-10T22:00:00Z", nullptr},
      {"two-digit year", "Back on 17.08.26", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", nullptr},
      {"past date", "I am out of the office until 14 August 2025.", kAugust,
       kBerlin, nullptr, nullptr},
      {"back today is not an absence", "Back on 17 August.",
       "2026-08-17T08:00:00Z", kBerlin, nullptr, nullptr},
      {"more than 366 days ahead", "Back on 17 August 2027.", kAugust, kBerlin,
       nullptr, nullptr},
      {"stale template: the chosen statement decides",
       "I was out until 7 August 2026. Back on 3 August 2026.", kAugust,
       kBerlin, nullptr, nullptr},
      {"ambiguous d/m and m/d, both plausible", "I will be back on 03/04/2026.",
       "2026-03-01T09:00:00Z", kBerlin, nullptr, nullptr},
      {"ambiguous, only 3 April plausible", "I will be back on 03/04/2026.",
       "2026-03-20T09:00:00Z", kBerlin, "2026-04-02T22:00:00Z", nullptr},
      {"equal numbers are not ambiguous", "I will be back on 04/04/2026.",
       "2026-03-01T09:00:00Z", kBerlin, "2026-04-03T22:00:00Z", nullptr},
      {"dashes: day > 12", "Back on 17-08-2026.", kAugust, kBerlin,
       "2026-08-16T22:00:00Z", nullptr},
      {"invalid day", "Back on 31 September.", kAugust, kBerlin, nullptr,
       nullptr},
      {"unknown zone", "Back on 17 August.", kAugust, "Mars/Olympus", nullptr,
       nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, DaylightSaving) {
  const Case cases[] = {
      // Europe/Berlin springs forward at 02:00 on 29 March 2026; midnight is
      // still CET, so 00:00 local is 23:00Z the day before.
      {"return on the spring-forward Sunday",
       "Ab dem 29.03.2026 bin ich wieder im Büro.", "2026-03-20T09:00:00Z",
       kBerlin, "2026-03-28T23:00:00Z", nullptr},
      {"until the Saturday before", "Ich bin bis 28.03.2026 nicht erreichbar.",
       "2026-03-20T09:00:00Z", kBerlin, "2026-03-28T23:00:00Z", nullptr},
      {"until the Sunday: Monday is CEST", "Out of office until 29 March.",
       "2026-03-20T09:00:00Z", kBerlin, "2026-03-29T22:00:00Z", nullptr},
      // Falls back on 25 October 2026: midnight is still CEST.
      {"return on the fall-back Sunday", "Back on 25 October.",
       "2026-10-20T09:00:00Z", kBerlin, "2026-10-24T22:00:00Z", nullptr},
      {"until the fall-back Sunday", "Out of office until 25 October.",
       "2026-10-20T09:00:00Z", kBerlin, "2026-10-25T23:00:00Z", nullptr},
      // Chile springs forward at local midnight (first Sunday on or after 2
      // September): 00:00 does not exist, the day starts at 01:00 -03.
      {"midnight in a DST gap", "Back on 6 September 2026.",
       "2026-08-30T12:00:00Z", "America/Santiago", "2026-09-06T04:00:00Z",
       nullptr},
  };
  RunCases(std::begin(cases), std::end(cases));
}

TEST(ReturnDate, ScanLimitAndMatchedText) {
  std::string late(kReturnDateScanBytes, 'x');
  late += " I will be back on 17 August.";
  EXPECT_FALSE(FindReturnDate(late, At(kAugust), kBerlin).has_value());

  std::string early = "I will be back on 17 August. ";
  early += std::string(2 * kReturnDateScanBytes, 'x');
  auto got = FindReturnDate(early, At(kAugust), kBerlin);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(core::FormatUtc(got->until), "2026-08-16T22:00:00Z");

  // A cut inside a multi-byte character is harmless.
  std::string cut(kReturnDateScanBytes - 1, 'x');
  cut += "ä back on 17 August";
  EXPECT_FALSE(FindReturnDate(cut, At(kAugust), kBerlin).has_value());

  // A long clause is cut to kReturnDateMatchedMax bytes of printable text.
  std::string long_clause =
      "Ab dem Montag, dem 17. August 2026 bin ich nach einer sehr, sehr "
      "langen Dienstreise durch viele Länder\tund Städte wieder erreichbar.";
  got = FindReturnDate(long_clause, At(kAugust), kBerlin);
  ASSERT_TRUE(got.has_value());
  EXPECT_LE(got->matched.size(), kReturnDateMatchedMax);
  EXPECT_EQ(got->matched.find('\t'), std::string::npos);
  EXPECT_EQ(got->matched.rfind("Ab dem Montag, dem 17. August 2026 bin", 0), 0u)
      << got->matched;

  // Invalid UTF-8 does not stop the scan and is not copied out raw.
  got = FindReturnDate("\xff\xfe I will be back on 17 August \xc3", At(kAugust),
                       kBerlin);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(core::FormatUtc(got->until), "2026-08-16T22:00:00Z");
}

TEST(ReturnDate, SolarHijriKnownPairs) {
  struct Pair {
    int jy, jm, jd;
    sys_days want;
  } pairs[] = {
      {1403, 1, 1, Day(2024, 3, 20)},   {1404, 1, 1, Day(2025, 3, 21)},
      {1405, 1, 1, Day(2026, 3, 21)},   {1402, 12, 29, Day(2024, 3, 19)},
      {1403, 12, 30, Day(2025, 3, 20)}, {1399, 1, 1, Day(2020, 3, 20)},
      {1399, 12, 30, Day(2021, 3, 20)}, {1400, 1, 1, Day(2021, 3, 21)},
      {1405, 5, 23, Day(2026, 8, 14)},  {1405, 7, 1, Day(2026, 9, 23)},
      {1354, 1, 1, Day(1975, 3, 21)},   {1406, 1, 5, Day(2027, 3, 25)},
  };
  for (const Pair& p : pairs) {
    auto got = SolarHijriToGregorian(p.jy, p.jm, p.jd);
    ASSERT_TRUE(got.has_value()) << p.jy << "/" << p.jm << "/" << p.jd;
    EXPECT_EQ(*got, p.want) << p.jy << "/" << p.jm << "/" << p.jd;
  }
  EXPECT_FALSE(SolarHijriToGregorian(1404, 12, 30).has_value());  // not leap
  EXPECT_FALSE(SolarHijriToGregorian(1405, 7, 31).has_value());
  EXPECT_FALSE(SolarHijriToGregorian(1405, 13, 1).has_value());
  EXPECT_FALSE(SolarHijriToGregorian(1405, 1, 0).has_value());
  EXPECT_EQ(SolarHijriYearOf(Day(2026, 3, 20)), 1404);
  EXPECT_EQ(SolarHijriYearOf(Day(2026, 3, 21)), 1405);
  EXPECT_EQ(SolarHijriYearOf(Day(2026, 8, 10)), 1405);
}

// Every valid Solar Hijri day of 1300..1500 is the day after the one before
// it, and every year has 365 or 366 days.
TEST(ReturnDate, SolarHijriIsContinuous) {
  auto prev = SolarHijriToGregorian(1299, 12, 29);
  ASSERT_TRUE(prev.has_value());
  if (auto leap = SolarHijriToGregorian(1299, 12, 30)) prev = leap;
  for (int jy = 1300; jy <= 1500; ++jy) {
    int length = 0;
    for (int jm = 1; jm <= 12; ++jm) {
      for (int jd = 1; jd <= 31; ++jd) {
        auto day = SolarHijriToGregorian(jy, jm, jd);
        if (!day) break;
        ASSERT_EQ(*day, *prev + days{1}) << jy << "/" << jm << "/" << jd;
        EXPECT_EQ(SolarHijriYearOf(*day), jy);
        prev = day;
        ++length;
      }
    }
    ASSERT_TRUE(length == 365 || length == 366) << jy;
  }
}

}  // namespace
}  // namespace inboxd::classify
