// return_date.h: the return date an out-of-office auto-reply states (issue 10
// item 2, POLICY R2: an agent's own auto-reply that reaches a watched mailbox
// marks the agent absent until that date).
//
// What it does: FindReturnDate() reads the decoded text of a reply already
// known to be an out-of-office message (the caller decides that; a human
// message that merely mentions a date is not this function's concern), finds
// the sentence that says when the writer is back, in English, German, Chinese
// or Persian, and turns it into the first instant the writer is back, in the
// mailbox's IANA time zone. It is pure: no clock, and no I/O beyond date/tz
// reading the system tz database on its first use; scratch memory is bounded
// by kReturnDateScanBytes.
//
// Semantics chosen (and why):
//  * Only the first kReturnDateScanBytes bytes are read (cut back to a UTF-8
//    boundary): the statement sits at the top of every OOO template, and a
//    bounded scan keeps hostile mail cheap (house rule 6).
//  * A date counts only with a cue (a date without one, "Out of office:
//    14 August", states nothing).
//    RETURN cues name the first day back:
//      en  "back (on)", "return(ing) (on)", "available/reachable again
//          from", "resume", "return date:"
//      de  "zurück (am)", "Rückkehr am", "wieder (ab|am)", "ab/am <date>
//          ... wieder (im Büro|erreichbar|da)", "<date> zurück"
//      zh  "<date>返回/回来/回到办公室/上班/恢复", "将于<date>返回",
//          "返回日期：<date>"
//      fa  "<date> در دسترس" (not when negated: "در دسترس نیستم"),
//          "<date> برمی گردم / باز می گردم / حضور خواهم داشت",
//          "بازگشت: <date>"
//    UNTIL cues name the last day absent:
//      en  "until", "till", "through", "up to and including"
//      de  "bis", "bis zum", "bis einschließlich", "bis inkl.", "bis und mit"
//      zh  "至", "到", "直到", "截至", and "<date>后返回" (back after it)
//      fa  "تا", "الی", "لغایت"
//    Ranges name the last day absent as Y: "from X to Y", "X - Y", "X ~ Y",
//    "between X and Y", "vom X bis Y", "zwischen dem X und Y", "X至Y",
//    "از X تا Y", "3-14 August", "August 3-14", "8月3日至14日".
//    Between a prefix cue and its date only filler words may stand (on,
//    the, office, am, ab, dem, 于, تاریخ, weekday names ...). A suffix cue
//    (de, zh, fa; English has none) must stand in the date's clause: before
//    the sentence ends and before the next date's own words; "danach" or
//    "之后" between them moves it off the date ("ab dem 3.8. im Urlaub,
//    danach wieder erreichbar" states no return).
//  * `until` is local midnight in `time_zone` (date/tz, DST-safe: a
//    midnight that does not exist maps to the transition instant): the start
//    of the return day, or the start of the day after the last absent day.
//  * Several statements: an explicit RETURN statement wins over an UNTIL
//    statement ("bis einschließlich 14.08. ... ab dem 17.08. wieder
//    erreichbar" gives 17 August 00:00: the writer named the day they are
//    back, which also covers a weekend after the last absent day); among
//    statements of the same kind the first in the text wins. The chosen
//    statement decides: if its date is not plausible the result is nullopt
//    (we do not fall back to another date of the same text).
//  * Date forms: ISO 2026-08-14 (also 2026/8/14, 2026.8.14); German
//    14.08.2026, 14.8.26, 14.08., 14.8 (not "14.30 Uhr"); 14 August 2026,
//    14. August, 14th of August, August 14, 2026, Aug. 14th, Monday 14
//    August; English and German month names and abbreviations (Januar, Jan.,
//    Jänner, März, Mär., Mai, Okt., Dez. ...); Chinese 8月14日, 8月14号,
//    2026年8月14日; full-width, Persian (۰-۹) and Arabic-Indic (٠-٩) digits;
//    Persian day + month with Solar Hijri months (۲۳ مرداد ۱۴۰۵, ۲۳ مرداد
//    ماه) or Gregorian months in Persian (۱۴ آگوست/اوت ۲۰۲۶, ژانویه ...);
//    numeric dates whose year is 1300..1499 are Solar Hijri (۱۴۰۵/۰۵/۲۳).
//    Not understood: dates without a month ("Monday the 17th"), relative
//    dates ("tomorrow", "next week"), Chinese numerals (八月十七日).
//  * Numeric d/m vs m/d (14/08/2026, 8/14, 14-08-2026): a number above 12
//    decides which is the day; equal numbers are unambiguous. When both
//    numbers are at most 12 (03/04/2026) both readings are tried: if both
//    are plausible the result is nullopt (we do not guess); if only one is,
//    it is taken. Dotted dates are always day.month (German), year-first
//    dates always year-month-day.
//  * Years: a 2-digit year is 20yy. A date without a year takes the next
//    such date on or after the local date of `received` (Gregorian, or Solar
//    Hijri for Persian month names), so "back on 5 January" sent on 20
//    December is next year.
//  * Plausible: `until` is after `received` (a stated day already past, or
//    "back today", gives nullopt: the writer is not absent any more) and the
//    stated day is at most kReturnDateMaxDaysAhead days after the local date
//    of `received`.
//  * An unknown time zone gives nullopt (config/loader.cc rejects such a
//    mailbox time_zone at load time).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace inboxd::classify {

// How much of the text FindReturnDate reads.
inline constexpr size_t kReturnDateScanBytes = 4096;
// The longest ReturnDate::matched, in bytes.
inline constexpr size_t kReturnDateMatchedMax = 120;
// The latest plausible stated day, in days after the received day.
inline constexpr int kReturnDateMaxDaysAhead = 366;

struct ReturnDate {
  // The first moment the agent is back: 00:00 local of the stated return
  // day, or 00:00 local of the day after the stated last absent day.
  core::TimePoint until;
  // The text that gave the date (cue and date, from the original text),
  // Printable, at most kReturnDateMatchedMax bytes, for the audit event.
  std::string matched;
};

// Finds the return date an out-of-office text states, in en, de, zh or fa.
// `text` is the decoded body and/or subject of the auto-reply (UTF-8;
// invalid bytes are tolerated); `received` is when it arrived; `time_zone`
// is the IANA zone of the mailbox (dates are local dates there). Returns
// nullopt when no date is stated with a cue, when it is ambiguous, or when
// it is not plausible (see above).
std::optional<ReturnDate> FindReturnDate(std::string_view text,
                                         core::TimePoint received,
                                         std::string_view time_zone);

// Solar Hijri (Jalali, the civil calendar of Iran) to Gregorian, by the
// 33-year-cycle arithmetic with break years of Borkowski's algorithm (as in
// jalaali-js jalCal/j2d). Returns nullopt for an invalid date or a year
// outside 1..3177.
std::optional<std::chrono::sys_days> SolarHijriToGregorian(int year, int month,
                                                           int day);

// The Solar Hijri year that contains `day` (a day in 622..3798 CE).
int SolarHijriYearOf(std::chrono::sys_days day);

}  // namespace inboxd::classify
