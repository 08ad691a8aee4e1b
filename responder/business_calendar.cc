// business_calendar.cc: see business_calendar.h. date/tz is the adapter here:
// locate_zone throws on an unknown zone, which is caught in this file.
#include "responder/business_calendar.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>

#include "classify/return_date.h"
#include "core/text.h"

namespace inboxd::responder {
namespace {

using core::Error;
using core::Fail;
using core::Result;
using core::TimePoint;

Result<const date::time_zone*> LocateZone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception& e) {
    return Fail(Error::InvalidArgument("time zone '" + std::string(name) +
                                       "': " + e.what()));
  }
}

// Parses "YYYY-MM-DD" strictly.
Result<std::chrono::sys_days> ParseDate(std::string_view s) {
  auto bad = [&] {
    return Fail(Error::InvalidArgument("'" + core::Printable(s) +
                                       "': expected YYYY-MM-DD"));
  };
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad();
  int v[3] = {0, 0, 0};
  const int pos[3][2] = {{0, 4}, {5, 2}, {8, 2}};
  for (int i = 0; i < 3; ++i) {
    for (int k = 0; k < pos[i][1]; ++k) {
      char c = s[pos[i][0] + k];
      if (c < '0' || c > '9') return bad();
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  date::year_month_day ymd{date::year{v[0]}, date::month(unsigned(v[1])),
                           date::day(unsigned(v[2]))};
  if (!ymd.ok()) return bad();
  return std::chrono::sys_days{date::sys_days(ymd).time_since_epoch()};
}

int WeekdayIndex(std::chrono::sys_days day) {
  // ISO: Monday = 1 ... Sunday = 7.
  return static_cast<int>(date::weekday(date::sys_days{day.time_since_epoch()})
                              .iso_encoding()) -
         1;
}

std::string TwoDigits(int v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

// "UTC+03:30".
std::string OffsetName(std::chrono::seconds offset) {
  long s = offset.count();
  char sign = s < 0 ? '-' : '+';
  if (s < 0) s = -s;
  return std::string("UTC") + sign + TwoDigits(int(s / 3600)) + ":" +
         TwoDigits(int((s % 3600) / 60));
}

std::string PersianDigits(std::string_view ascii) {
  static const char* const kDigits[10] = {"۰", "۱", "۲", "۳", "۴",
                                          "۵", "۶", "۷", "۸", "۹"};
  std::string out;
  for (char c : ascii) {
    if (c >= '0' && c <= '9') {
      out += kDigits[c - '0'];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<BusinessCalendar> BusinessCalendar::Create(
    const config::BusinessHours& hours, std::string_view time_zone) {
  auto zone = LocateZone(time_zone);
  if (!zone) return Fail(zone.error());
  BusinessCalendar cal;
  cal.zone_ = *zone;
  cal.zone_name_ = std::string(time_zone);
  static const char* const kDayNames[7] = {"monday",   "tuesday", "wednesday",
                                           "thursday", "friday",  "saturday",
                                           "sunday"};
  bool any = false;
  for (int d = 0; d < 7; ++d) {
    int prev_end = -1;
    for (const config::Interval& iv : hours.days[d]) {
      if (iv.start_minute < 0 || iv.end_minute > 24 * 60 ||
          iv.start_minute >= iv.end_minute) {
        return Fail(Error::InvalidArgument(
            std::string("business_hours.") + kDayNames[d] + ": interval " +
            std::to_string(iv.start_minute) + "-" +
            std::to_string(iv.end_minute) +
            " minutes is empty or outside 0..1440"));
      }
      if (iv.start_minute < prev_end) {
        return Fail(Error::InvalidArgument(
            std::string("business_hours.") + kDayNames[d] +
            ": intervals overlap or are not in order"));
      }
      prev_end = iv.end_minute;
      any = true;
    }
    cal.days_[d] = hours.days[d];
  }
  if (!any) {
    return Fail(Error::InvalidArgument(
        "business_hours: no business interval on any day of the week"));
  }
  for (const std::string& h : hours.holidays) {
    auto day = ParseDate(h);
    if (!day) return Fail(day.error().Wrap("business_hours.holidays"));
    cal.holidays_.insert(*day);
  }
  return cal;
}

std::chrono::sys_days BusinessCalendar::LocalDay(TimePoint t) const {
  auto local = zone_->to_local(t);
  auto day = date::floor<date::days>(local);
  return std::chrono::sys_days{day.time_since_epoch()};
}

TimePoint BusinessCalendar::LocalToSys(std::chrono::sys_days day, int minute,
                                       bool earliest) const {
  date::local_seconds local{day.time_since_epoch() +
                            std::chrono::minutes(minute)};
  // A boundary in a DST gap maps to the transition instant (both choices are
  // equal there); in a repeated hour, a start takes the first occurrence and
  // an end the second, so the interval covers the whole local span.
  return std::chrono::time_point_cast<std::chrono::seconds>(zone_->to_sys(
      local, earliest ? date::choose::earliest : date::choose::latest));
}

bool BusinessCalendar::IsWorkingDay(std::chrono::sys_days day) const {
  return !days_[WeekdayIndex(day)].empty() && !holidays_.contains(day);
}

bool BusinessCalendar::IsBusinessTime(TimePoint t) const {
  auto day = LocalDay(t);
  if (!IsWorkingDay(day)) return false;
  for (const config::Interval& iv : days_[WeekdayIndex(day)]) {
    if (t >= LocalToSys(day, iv.start_minute, true) &&
        t < LocalToSys(day, iv.end_minute, false)) {
      return true;
    }
  }
  return false;
}

Result<TimePoint> BusinessCalendar::AddBusinessTime(
    TimePoint start, std::chrono::seconds duration) const {
  if (duration.count() < 0) {
    return Fail(Error::InvalidArgument("negative business duration"));
  }
  if (duration.count() == 0) return start;
  std::chrono::seconds remaining = duration;
  auto day = LocalDay(start);
  for (int i = 0; i <= kMaxCalendarSearchDays; ++i, day += date::days{1}) {
    if (!IsWorkingDay(day)) continue;
    for (const config::Interval& iv : days_[WeekdayIndex(day)]) {
      TimePoint s = LocalToSys(day, iv.start_minute, true);
      TimePoint e = LocalToSys(day, iv.end_minute, false);
      if (e <= start) continue;
      TimePoint from = std::max(s, start);
      std::chrono::seconds avail = e - from;
      if (remaining <= avail) return from + remaining;
      remaining -= avail;
    }
  }
  return Fail(Error::FailedPrecondition("no business time left within " +
                                        std::to_string(kMaxCalendarSearchDays) +
                                        " days of " + core::FormatUtc(start)));
}

Result<TimePoint> BusinessCalendar::AddWorkingDays(TimePoint start,
                                                   int days) const {
  if (days < 0) return Fail(Error::InvalidArgument("negative working days"));
  auto day = LocalDay(start);
  int counted = 0;
  for (int i = 0; i <= kMaxCalendarSearchDays; ++i) {
    bool working = IsWorkingDay(day);
    if (working && (i > 0 || days == 0)) ++counted;
    if (working && counted >= std::max(days, 1)) {
      const auto& ivs = days_[WeekdayIndex(day)];
      return LocalToSys(day, ivs.back().end_minute, false);
    }
    day += date::days{1};
  }
  return Fail(Error::FailedPrecondition("no working day left within " +
                                        std::to_string(kMaxCalendarSearchDays) +
                                        " days of " + core::FormatUtc(start)));
}

TimePoint BusinessCalendar::AddCalendarDays(TimePoint start, long days) const {
  date::local_seconds local =
      zone_->to_local(start) + std::chrono::seconds{days * 24 * 3600};
  // In a gap, first is the period before it: reading the local time with the
  // old offset lands the gap's length later on the new clock (02:30 CET is
  // 03:30 CEST). In a repeated hour, first is the earlier period, so this is
  // the earlier instant. A unique local time has only first.
  date::local_info info = zone_->get_info(local);
  return TimePoint{local.time_since_epoch() - info.first.offset};
}

Result<TimePoint> BusinessCalendar::DueAt(
    TimePoint arrived_at, const config::Deadline& deadline) const {
  if (deadline.within.count() < 0) {
    return Fail(Error::InvalidArgument("deadline " + deadline.id +
                                       ": negative 'within'"));
  }
  constexpr long kDay = 24 * 3600;
  const bool whole_days =
      deadline.within.count() > 0 && deadline.within.count() % kDay == 0;
  if (deadline.clock == "calendar") {
    if (whole_days) {
      return AddCalendarDays(arrived_at, deadline.within.count() / kDay);
    }
    return arrived_at + deadline.within;
  }
  if (deadline.clock == "business") {
    if (whole_days) {
      return AddWorkingDays(arrived_at,
                            static_cast<int>(deadline.within.count() / kDay));
    }
    return AddBusinessTime(arrived_at, deadline.within);
  }
  return Fail(Error::InvalidArgument("deadline " + deadline.id +
                                     ": unknown clock '" + deadline.clock +
                                     "' (calendar|business)"));
}

SolarHijriDate ToSolarHijri(std::chrono::year_month_day gregorian) {
  // The calendar arithmetic is classify's (it reads Persian return dates).
  const std::chrono::sys_days day{gregorian};
  const int jy = classify::SolarHijriYearOf(day);
  const auto first = classify::SolarHijriToGregorian(jy, 1, 1);
  int k = first ? int((day - *first).count()) : 0;
  if (k < 186) {  // Farvardin .. Shahrivar: 31 days each
    return {jy, unsigned(1 + k / 31), unsigned(k % 31 + 1)};
  }
  k -= 186;  // Mehr .. Esfand: 30 days each (Esfand 29 or 30)
  return {jy, unsigned(7 + k / 30), unsigned(k % 30 + 1)};
}

std::string_view ZoneLocalName(std::string_view time_zone,
                               std::string_view language) {
  struct Name {
    std::string_view zone, lang, name;
  };
  static constexpr Name kNames[] = {
      {"Asia/Shanghai", "zh", "北京时间"},
      {"Asia/Chongqing", "zh", "北京时间"},
      {"Asia/Harbin", "zh", "北京时间"},
      {"Asia/Urumqi", "zh", "乌鲁木齐时间"},
      {"Asia/Hong_Kong", "zh", "香港时间"},
      {"Asia/Macau", "zh", "澳门时间"},
      {"Asia/Taipei", "zh", "台北时间"},
      {"Asia/Singapore", "zh", "新加坡时间"},
      {"Asia/Tokyo", "zh", "东京时间"},
      {"Europe/Berlin", "zh", "德国时间"},
      {"Europe/London", "zh", "伦敦时间"},
      {"America/New_York", "zh", "纽约时间"},
      {"Asia/Tehran", "fa", "به وقت تهران"},
      {"Asia/Dubai", "fa", "به وقت دبی"},
      {"Asia/Kabul", "fa", "به وقت کابل"},
      {"Europe/Istanbul", "fa", "به وقت استانبول"},
      {"Europe/Berlin", "fa", "به وقت آلمان"},
      {"Europe/London", "fa", "به وقت لندن"},
  };
  for (const Name& n : kNames) {
    if (n.zone == time_zone && n.lang == language) return n.name;
  }
  return "";
}

namespace {

// A calendar date in `language`, without the weekday: "24 November 2026",
// "24. November 2026", "2026年11月24日", "۳ آذر ۱۴۰۵ (۲۴ نوامبر ۲۰۲۶)".
std::string DateText(const date::year_month_day& ymd,
                     std::string_view language) {
  const int year = int(ymd.year());
  const unsigned month = unsigned(ymd.month());
  const unsigned mday = unsigned(ymd.day());
  if (language == "de") {
    static const std::array<const char*, 12> kMonths = {
        "Januar", "Februar", "März",      "April",   "Mai",      "Juni",
        "Juli",   "August",  "September", "Oktober", "November", "Dezember"};
    return std::to_string(mday) + ". " + kMonths[month - 1] + " " +
           std::to_string(year);
  }
  if (language == "zh") {
    return std::to_string(year) + "年" + std::to_string(month) + "月" +
           std::to_string(mday) + "日";
  }
  if (language == "fa") {
    static const std::array<const char*, 12> kMonths = {
        "ژانویه", "فوریه", "مارس",    "آوریل", "مه",     "ژوئن",
        "ژوئیه",  "اوت",   "سپتامبر", "اکتبر", "نوامبر", "دسامبر"};
    static const std::array<const char*, 12> kHijriMonths = {
        "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
        "مهر",     "آبان",     "آذر",   "دی",  "بهمن",  "اسفند"};
    const SolarHijriDate sh = ToSolarHijri(std::chrono::year_month_day{
        std::chrono::year{year}, std::chrono::month{month},
        std::chrono::day{mday}});
    return PersianDigits(std::to_string(sh.day)) + " " +
           kHijriMonths[sh.month - 1] + " " +
           PersianDigits(std::to_string(sh.year)) + " (" +
           PersianDigits(std::to_string(mday)) + " " + kMonths[month - 1] +
           " " + PersianDigits(std::to_string(year)) + ")";
  }
  static const std::array<const char*, 12> kMonths = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  return std::to_string(mday) + " " + kMonths[month - 1] + " " +
         std::to_string(year);
}

}  // namespace

namespace {

// The weekday (0 = Monday) in `language`.
std::string WeekdayName(unsigned wd, std::string_view language) {
  static const std::array<const char*, 7> kDe = {
      "Montag",  "Dienstag", "Mittwoch", "Donnerstag",
      "Freitag", "Samstag",  "Sonntag"};
  static const std::array<const char*, 7> kZh = {
      "星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"};
  static const std::array<const char*, 7> kFa = {
      "دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه",
      "شنبه",   "یکشنبه"};
  static const std::array<const char*, 7> kEn = {
      "Monday", "Tuesday",  "Wednesday", "Thursday",
      "Friday", "Saturday", "Sunday"};
  if (language == "de") return kDe[wd];
  if (language == "zh") return kZh[wd];
  if (language == "fa") return kFa[wd];
  return kEn[wd];
}

// The day with its weekday: "Tuesday, 24 November 2026", "Dienstag, 24.
// November 2026", "2026年11月24日 星期二", "سه‌شنبه ۳ آذر
// ۱۴۰۵
// (...)".
std::string DayText(const date::local_days& day, std::string_view language) {
  const unsigned wd = date::weekday(day).iso_encoding() - 1;
  const std::string name = WeekdayName(wd, language);
  const std::string date_text = DateText(date::year_month_day{day}, language);
  if (language == "zh") return date_text + " " + name;
  if (language == "fa") return name + " " + date_text;
  return name + ", " + date_text;
}

}  // namespace

Result<std::string> FormatLocalTime(TimePoint t, std::string_view time_zone,
                                    std::string_view language) {
  auto zone = LocateZone(time_zone);
  if (!zone) return Fail(zone.error());
  date::sys_info info = (*zone)->get_info(t);
  auto local = (*zone)->to_local(t);
  auto day = date::floor<date::days>(local);
  date::hh_mm_ss<std::chrono::seconds> hms{local - day};
  std::string hhmm = TwoDigits(int(hms.hours().count())) + ":" +
                     TwoDigits(int(hms.minutes().count()));
  bool letter_abbrev = !info.abbrev.empty() &&
                       std::all_of(info.abbrev.begin(), info.abbrev.end(),
                                   [](char c) { return c >= 'A' && c <= 'Z'; });
  std::string offset = OffsetName(info.offset);
  const std::string day_text = DayText(day, language);

  if (language == "de") {
    std::string zone_label = offset;
    if (info.abbrev == "CET") {
      zone_label = "MEZ";
    } else if (info.abbrev == "CEST") {
      zone_label = "MESZ";
    } else if (letter_abbrev) {
      zone_label = info.abbrev;
    }
    return day_text + ", " + hhmm + " Uhr (" + zone_label + ")";
  }
  if (language == "zh") {
    std::string_view name = ZoneLocalName(time_zone, language);
    return day_text + " " + hhmm + "（" +
           (name.empty() ? offset : std::string(name)) + "）";
  }
  if (language == "fa") {
    std::string_view name = ZoneLocalName(time_zone, language);
    return day_text + "، ساعت " + PersianDigits(hhmm) + " " +
           (name.empty() ? "(" + PersianDigits(offset) + ")"
                         : std::string(name));
  }
  return day_text + ", " + hhmm + " " + (letter_abbrev ? info.abbrev : offset);
}

Result<std::string> FormatLocalDay(TimePoint t, std::string_view time_zone,
                                   std::string_view language) {
  auto zone = LocateZone(time_zone);
  if (!zone) return Fail(zone.error());
  return DayText(date::floor<date::days>((*zone)->to_local(t)), language);
}

std::string LocalDigits(std::string_view ascii, std::string_view language) {
  return language == "fa" ? PersianDigits(ascii) : std::string(ascii);
}

std::string FormatElapsed(std::chrono::seconds elapsed,
                          std::string_view language) {
  int64_t v = elapsed.count();
  const bool negative = v < 0;
  if (negative) v = -v;
  // Two units, the larger first: s; min s; h min; d h.
  int64_t big = v, small = -1;
  int unit = 0;  // 0 s, 1 min, 2 h, 3 d
  if (v >= 86400) {
    big = v / 86400, small = v % 86400 / 3600, unit = 3;
  } else if (v >= 3600) {
    big = v / 3600, small = v % 3600 / 60, unit = 2;
  } else if (v >= 60) {
    big = v / 60, small = v % 60, unit = 1;
  }
  struct Units {
    const char* names[4];
    const char* join;  // between the two parts
    bool pad;          // the smaller part with two digits
  };
  static const Units kEn = {{"s", "m", "h", "d"}, " ", true};
  static const Units kDe = {{" s", " min", " h", " d"}, " ", true};
  static const Units kZh = {{"秒", "分钟", "小时", "天"}, "", false};
  static const Units kFa = {
      {" ثانیه", " دقیقه", " ساعت", " روز"}, " و ", false};
  const Units& u = language == "de"   ? kDe
                   : language == "zh" ? kZh
                   : language == "fa" ? kFa
                                      : kEn;
  auto number = [&](int64_t n, bool pad) {
    std::string text = std::to_string(n);
    if (pad && text.size() < 2) text = "0" + text;
    return LocalDigits(text, language);
  };
  std::string out = (negative ? "-" : "") + number(big, false) + u.names[unit];
  // The smaller unit is left out when it is 0 in zh and fa ("4分钟", "۴
  // دقیقه"), kept in en and de as before ("4m 00s").
  if (small >= 0 && (u.pad || small > 0)) {
    out += u.join + number(small, u.pad) + u.names[unit - 1];
  }
  return out;
}

Result<std::string> FormatLocalDate(std::string_view iso_date,
                                    std::string_view language) {
  auto day = ParseDate(iso_date);
  if (!day) return Fail(day.error());
  const date::year_month_day ymd{date::sys_days(day->time_since_epoch())};
  if (ymd.year() < date::year{622} || ymd.year() > date::year{3798}) {
    return Fail(Error::InvalidArgument("'" + std::string(iso_date) +
                                       "': outside the years 622..3798"));
  }
  return DateText(ymd, language);
}

Result<std::string> FormatRfc3339Local(TimePoint t,
                                       std::string_view time_zone) {
  auto zone = LocateZone(time_zone);
  if (!zone) return Fail(zone.error());
  // RFC 3339 offsets are whole minutes; cut an LMT offset's seconds and show
  // the local time that goes with the cut offset, so the string is still `t`.
  auto offset = std::chrono::duration_cast<std::chrono::minutes>(
      (*zone)->get_info(t).offset);
  date::local_seconds local{t.time_since_epoch() + offset};
  auto day = date::floor<date::days>(local);
  date::year_month_day ymd{day};
  int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    return Fail(Error::InvalidArgument("rfc 3339 time " + core::FormatUtc(t) +
                                       " in " + std::string(time_zone) +
                                       ": year outside 0000..9999"));
  }
  date::hh_mm_ss<std::chrono::seconds> hms{local - day};
  long off = offset.count();
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d%c%02ld:%02ld",
                year, unsigned(ymd.month()), unsigned(ymd.day()),
                int(hms.hours().count()), int(hms.minutes().count()),
                int(hms.seconds().count()), sign, off / 60, off % 60);
  return std::string(buf);
}

Result<TimePoint> ParseRfc3339(std::string_view s) {
  auto bad = [&](std::string_view why) {
    return Fail(Error::InvalidArgument(
        "rfc 3339 time '" + core::Printable(s.substr(0, 64)) +
        (s.size() > 64 ? "...': " : "': ") + std::string(why)));
  };
  // Reads `n` ASCII digits at `pos`; -1 when one is not a digit.
  auto digits = [&](size_t pos, size_t n) {
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = s[pos + i];
      if (c < '0' || c > '9') return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  };
  constexpr std::string_view kShape =
      "expected YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm)";
  // The fixed part: "YYYY-MM-DDTHH:MM:SS" is 19 bytes.
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return bad(kShape);
  }
  int year = digits(0, 4), month = digits(5, 2), mday = digits(8, 2);
  int hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (year < 0 || month < 0 || mday < 0 || hour < 0 || minute < 0 ||
      second < 0) {
    return bad(kShape);
  }
  date::year_month_day ymd{date::year{year}, date::month(unsigned(month)),
                           date::day(unsigned(mday))};
  if (!ymd.ok()) return bad("no such date");
  if (hour > 23 || minute > 59 || second > 59) {
    return bad("time of day out of range (leap seconds are not accepted)");
  }
  size_t pos = 19;
  // Fractional seconds: at least one digit, dropped.
  if (s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return bad(kShape);
  }
  if (pos >= s.size()) return bad(kShape);
  std::chrono::seconds offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    if (s.size() - pos != 6 || s[pos + 3] != ':') return bad(kShape);
    int oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (oh < 0 || om < 0) return bad(kShape);
    if (oh > 23 || om > 59) return bad("offset out of range");
    offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return bad(kShape);
  }
  if (pos != s.size()) return bad(kShape);
  // Local time minus its offset is UTC.
  date::sys_seconds local = date::sys_days{ymd} + std::chrono::hours(hour) +
                            std::chrono::minutes(minute) +
                            std::chrono::seconds(second);
  return TimePoint{local.time_since_epoch() - offset};
}

}  // namespace inboxd::responder
