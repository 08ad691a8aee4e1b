// business_calendar.h: business hours, holidays and deadlines in one mailbox's
// time zone (POLICY D1-D9), the local formatting of a due time, and RFC 3339
// timestamps (formatting in a zone, parsing).
//
// What it does: turns config::BusinessHours (weekly intervals in local time,
// holidays as local dates) plus an IANA zone into arithmetic on UTC instants
// that is right across weekends, holidays, the lunch break and DST changes
// (every local interval boundary is converted through the zone on its own
// day, so a 23- or 25-hour day is counted as it really is).
//
// Deadline semantics (documented decision for "business" clocks):
//  * `within` that is a whole number of days (a multiple of 86400 s) on the
//    business clock means WORKING DAYS: the deadline is the close of business
//    of the N-th working day after the day of arrival (the arrival day itself
//    is not counted, whatever the hour; cf. BGB §187(1)). POLICY D5
//    "2 Arbeitstage": a complaint arriving Monday 10:00 is due Wednesday 18:00.
//  * any other `within` on the business clock is BUSINESS TIME: that many
//    seconds counted only inside business intervals (D3 "8 business hours").
//  * `within` that is a whole number of days (a multiple of 86400 s, > 0) on
//    the calendar clock means CALENDAR DAYS at the same LOCAL WALL-CLOCK TIME
//    in the calendar's zone: "2 days" from Saturday 10:00 is Monday 10:00
//    local, also across a DST change (then 47 or 49 hours elapse), because a
//    customer told "within 2 days" reads it on the calendar, not the stopwatch.
//    A result in a DST gap (a local time that does not exist) moves forward by
//    the gap's length (Europe/Berlin: 02:30 on the spring-forward day is
//    03:30 CEST); a result in a repeated hour (fall back) takes the earlier
//    of the two instants.
//    NOTE: the config parser turns "48h" and "2d" into the same 172800 s, so
//    the two cannot be told apart here: "48h" on the calendar clock ALSO
//    means 2 calendar days at the same wall-clock time. Exactly 48 elapsed
//    hours cannot be asked for on this clock; a value that is not a whole
//    number of days ("47h", "36h") stays elapsed time.
//  * any other `within` on the calendar clock ("2h", "36h") is plain elapsed
//    time: arrived_at + within.
//
// What it does not do: it does not read the clock (callers pass instants), it
// knows nothing about tickets, and it never downloads tz data (date/tz uses
// the system tzdata).
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"

namespace date {
class time_zone;
}

namespace inboxd::responder {

// How far AddBusinessTime / AddWorkingDays search before giving up (a
// calendar whose holidays cover every working day would loop forever).
inline constexpr int kMaxCalendarSearchDays = 3 * 366;

class BusinessCalendar {
 public:
  // Validates `hours` and locates `time_zone` (IANA name).
  // Fails with kInvalidArgument on an unknown zone, an interval outside
  // 0..1440 or with start >= end, overlapping or unsorted intervals of one
  // day, a holiday that is not YYYY-MM-DD, or a week without business time.
  static core::Result<BusinessCalendar> Create(
      const config::BusinessHours& hours, std::string_view time_zone);

  const std::string& zone_name() const { return zone_name_; }

  // True when `t` lies inside a business interval of a non-holiday day.
  bool IsBusinessTime(core::TimePoint t) const;

  // Returns the instant at which `duration` of business time has elapsed
  // after `start` (start outside business hours counts from the next
  // interval). Zero duration returns `start`. Fails with kInvalidArgument on a
  // negative duration, kFailedPrecondition when no business time exists
  // within kMaxCalendarSearchDays.
  core::Result<core::TimePoint> AddBusinessTime(
      core::TimePoint start, std::chrono::seconds duration) const;

  // Returns the close of business (end of the last interval) of the `days`-th
  // working day after the local day of `start` (days >= 1; days == 0 returns
  // the close of business of `start`'s own day when it is a working day, else
  // of the next one). Fails as AddBusinessTime.
  core::Result<core::TimePoint> AddWorkingDays(core::TimePoint start,
                                               int days) const;

  // The deadline of `deadline` for a message that arrived at `arrived_at`,
  // with the semantics in the file comment. Fails with kInvalidArgument on an
  // unknown clock name or a negative `within`, else as AddBusinessTime.
  core::Result<core::TimePoint> DueAt(core::TimePoint arrived_at,
                                      const config::Deadline& deadline) const;

  // True when the local date `day` (days since 1970-01-01) is a working day.
  bool IsWorkingDay(std::chrono::sys_days day) const;

 private:
  BusinessCalendar() = default;
  // `days` local calendar days after `start` at the same local wall-clock
  // time (gap: forward by the gap's length; repeated hour: the earlier one).
  core::TimePoint AddCalendarDays(core::TimePoint start, long days) const;
  // The UTC instant of local `minute` on local day `day`.
  core::TimePoint LocalToSys(std::chrono::sys_days day, int minute,
                             bool earliest) const;
  std::chrono::sys_days LocalDay(core::TimePoint t) const;

  const date::time_zone* zone_ = nullptr;
  std::string zone_name_;
  std::vector<config::Interval> days_[7];  // 0 = Monday
  std::set<std::chrono::sys_days> holidays_;
};

// A day of the Solar Hijri calendar (the official calendar of Iran): year
// 1405 began on 21 March 2026 (1 Farvardin).
struct SolarHijriDate {
  int year = 0;
  unsigned month = 0;  // 1 = Farvardin .. 12 = Esfand
  unsigned day = 0;
};
// The Solar Hijri date of a Gregorian day (622..3798 CE), from classify's
// calendar arithmetic (classify/return_date.h).
SolarHijriDate ToSolarHijri(std::chrono::year_month_day gregorian);

// The name readers of `language` give the time of `time_zone` ("北京时间"
// for Asia/Shanghai in zh, "به وقت تهران" for Asia/Tehran in fa); "" when
// the table has none (the caller shows the UTC offset).
std::string_view ZoneLocalName(std::string_view time_zone,
                               std::string_view language);

// Formats `t` in `time_zone` for a reader of `language`:
//   en  "Tuesday, 24 November 2026, 14:00 CET"
//   de  "Dienstag, 24. November 2026, 14:00 Uhr (MEZ)"
//   zh  "2026年11月24日 星期二 14:00（北京时间）" (full-width brackets;
//       the zone's Chinese name, else "（UTC+01:00）")
//   fa  the Solar Hijri date with the Gregorian in parentheses, Persian
//       digits and the zone's local name, else the UTC offset:
//       "سه‌شنبه ۳ آذر ۱۴۰۵ (۲۴ نوامبر ۲۰۲۶)، ساعت
//       ۱۴:۰۰ به وقت تهران"
// The zone abbreviation is used for en/de when tzdata has a letter one
// (CET/CEST → MEZ/MESZ in German), else "UTC+hh:mm". Unknown languages use en.
// Fails with kInvalidArgument on an unknown zone.
core::Result<std::string> FormatLocalTime(core::TimePoint t,
                                          std::string_view time_zone,
                                          std::string_view language);

// The local day of `t` in `time_zone` with its weekday, without the time:
// en "Tuesday, 24 November 2026", de "Dienstag, 24. November 2026", zh
// "2026年11月24日 星期二", fa "سه‌شنبه ۳ آذر ۱۴۰۵ (۲۴
// نوامبر ۲۰۲۶)" (a digest's day, a report's period). kInvalidArgument on an
// unknown zone.
core::Result<std::string> FormatLocalDay(core::TimePoint t,
                                         std::string_view time_zone,
                                         std::string_view language);

// `ascii` with its digits as `language` writes them in running text:
// Persian digits in fa, unchanged otherwise (counts in staff mail).
std::string LocalDigits(std::string_view ascii, std::string_view language);

// A duration as `language` abbreviates it, two units at most: en "1m 20s",
// "2h 05m" (as store::FormatSeconds); de "1 min 20 s", "1 d 03 h"; zh
// "1分钟20秒", "4分钟"; fa "۱ دقیقه و ۲۰ ثانیه", "۴ دقیقه".
std::string FormatElapsed(std::chrono::seconds elapsed,
                          std::string_view language);

// Formats a calendar date "YYYY-MM-DD" (an end of Software Assurance) for a
// reader of `language`, without weekday, time or zone: en "31 March 2027",
// de "31. März 2027", zh "2027年3月31日", fa the Solar Hijri date with the
// Gregorian in parentheses "۱۱ فروردین ۱۴۰۶ (۳۱ مارس ۲۰۲۷)". Fails with
// kInvalidArgument when it is no valid date (years 622..3798).
core::Result<std::string> FormatLocalDate(std::string_view iso_date,
                                          std::string_view language);

// Formats `t` as an RFC 3339 date-time in `time_zone`, with the zone's UTC
// offset at that instant: "2026-11-24T14:00:00+01:00". The offset is always
// numeric ("+00:00" for UTC, never "Z"). RFC 3339 offsets have no seconds, so
// a historical offset with seconds (LMT) is cut to whole minutes and the local
// time shown is shifted to match: the string always denotes exactly `t`.
// Fails with kInvalidArgument on an unknown zone or a local year outside
// 0000..9999 (RFC 3339 has four-digit years).
core::Result<std::string> FormatRfc3339Local(core::TimePoint t,
                                             std::string_view time_zone);

// Parses an RFC 3339 date-time (RFC 3339 section 5.6):
//   YYYY-MM-DD "T" HH:MM:SS [ "." 1*DIGIT ] ( "Z" | "+" hh:mm | "-" hh:mm )
// "t" and "z" are accepted in lower case; fractional seconds are dropped
// (truncated toward the earlier second); "-00:00" is read as UTC. Nothing
// else is accepted: no space for "T", no missing offset or seconds, no
// leap second (":60", which sys_seconds cannot hold).
// Fails with kInvalidArgument naming the (printable) input.
core::Result<core::TimePoint> ParseRfc3339(std::string_view s);

}  // namespace inboxd::responder
