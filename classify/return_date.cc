// return_date.cc: see return_date.h. date/tz is the adapter for the zone:
// locate_zone throws on an unknown zone, which is caught in this file.
//
// How it works: the text (cut to kReturnDateScanBytes) is normalised into a
// copy with a byte map back to the original (ASCII lower case, one digit
// set, one dash, one comma, whitespace runs folded, bidi marks dropped).
// Every date in it becomes a Mention; each Mention then looks for its cue:
// backwards over fillers for a prefix cue or a range separator, else
// forwards, within its clause, for a suffix cue. The cued Mentions are the
// statements; the first RETURN statement, else the first UNTIL statement,
// decides.
#include "classify/return_date.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <array>
#include <exception>
#include <span>
#include <vector>

#include "core/text.h"

namespace inboxd::classify {
namespace {

using std::chrono::sys_days;

// ------------------------------------------------------------------ UTF-8

// Decodes the code point at s[i]; *len is its length. An invalid byte
// decodes as U+FFFD of length 1.
char32_t DecodeAt(std::string_view s, size_t i, size_t* len) {
  auto b = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b < 0x80) return b;
  size_t n;
  char32_t c;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    c = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    c = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    c = b & 0x07;
  } else {
    return 0xFFFD;
  }
  if (i + n > s.size()) return 0xFFFD;
  for (size_t k = 1; k < n; ++k) {
    auto t = static_cast<unsigned char>(s[i + k]);
    if ((t & 0xC0) != 0x80) return 0xFFFD;
    c = (c << 6) | (t & 0x3F);
  }
  *len = n;
  return c;
}

// Decodes the code point that ends just before s[i] (i > 0).
char32_t DecodeBefore(std::string_view s, size_t i) {
  size_t b = i;
  for (int k = 0; k < 4 && b > 0; ++k) {
    --b;
    if ((static_cast<unsigned char>(s[b]) & 0xC0) != 0x80) break;
  }
  size_t len;
  char32_t c = DecodeAt(s, b, &len);
  return b + len == i ? c : 0xFFFD;
}

void AppendUtf8(std::string* out, char32_t c) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view CutUtf8(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

bool IsDigit(char32_t c) { return c >= '0' && c <= '9'; }

bool IsLatinLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= 0xC0 && c <= 0x24F && c != 0xD7 && c != 0xF7);
}

bool IsArabicLetter(char32_t c) {
  return c >= 0x620 && c <= 0x6FF && !(c >= 0x660 && c <= 0x66D) &&
         !(c >= 0x6F0 && c <= 0x6F9) && c != 0x6D4;
}

// --------------------------------------------------------- normalisation

// The normalised copy of the text; from[i]/to[i] give the original bytes of
// the character that produced byte i.
struct NormText {
  std::string s;
  std::vector<size_t> from;
  std::vector<size_t> to;
};

enum : char32_t { kDrop = 0, kSpace = 1, kNewline = 2 };

// Maps one code point of the original to its normalised form.
char32_t NormalizeChar(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if (c == '\n') return kNewline;
  if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
    return kSpace;
  }
  // Digits: full-width, Arabic-Indic, Persian.
  if (c >= 0xFF10 && c <= 0xFF19) return '0' + (c - 0xFF10);
  if (c >= 0x660 && c <= 0x669) return '0' + (c - 0x660);
  if (c >= 0x6F0 && c <= 0x6F9) return '0' + (c - 0x6F0);
  // Full-width Latin letters.
  if (c >= 0xFF21 && c <= 0xFF3A) return 'a' + (c - 0xFF21);
  if (c >= 0xFF41 && c <= 0xFF5A) return 'a' + (c - 0xFF41);
  switch (c) {
    // German capitals that start a sentence.
    case 0xC4:
      return 0xE4;  // Ä
    case 0xD6:
      return 0xF6;  // Ö
    case 0xDC:
      return 0xFC;  // Ü
    // Arabic letters as Persian (the same folding as NormalizePersian).
    case 0x64A:
    case 0x649:
      return 0x6CC;
    case 0x643:
      return 0x6A9;
    // Spaces. ZWNJ inside Persian words ("برمی‌گردم") becomes a
    // space.
    case 0xA0:
    case 0x1680:
    case 0x200B:
    case 0x200C:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return kSpace;
    // Invisible marks, tatweel, soft hyphen, BOM.
    case 0x200D:
    case 0x200E:
    case 0x200F:
    case 0x640:
    case 0xAD:
    case 0xFEFF:
      return kDrop;
    // Punctuation.
    case 0xFF0C:
    case 0x3001:
    case 0x60C:
      return ',';
    case 0xFF1A:
      return ':';
    case 0xFF1B:
    case 0x61B:
      return ';';
    case 0xFF08:
      return '(';
    case 0xFF09:
      return ')';
    case 0xFF5E:
    case 0x301C:
      return '~';
    case 0xFF0D:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
      return '-';
    case 0xFF0F:
      return '/';
    case 0xFF0E:
    case 0x6D4:
      return '.';
    case 0xFF01:
      return '!';
    case 0xFF1F:
    case 0x61F:
      return '?';
    case 0x2019:
    case 0x2018:
      return '\'';
    default:
      break;
  }
  if (c >= 0x2000 && c <= 0x200A) return kSpace;
  if (c >= 0x2010 && c <= 0x2015) return '-';
  if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069)) {
    return kDrop;
  }
  // Arabic diacritics (tanwin in "مجدداً", hamza above).
  if ((c >= 0x64B && c <= 0x65F) || c == 0x670) return kDrop;
  return c;
}

// A whitespace run becomes one ' ', or '\n' when it holds a blank line (a
// paragraph break, which ends a clause).
NormText Normalize(std::string_view text) {
  NormText n;
  n.s.reserve(text.size());
  n.from.reserve(text.size());
  n.to.reserve(text.size());
  size_t ws_begin = 0;
  size_t ws_end = 0;
  int ws_newlines = -1;  // -1: not in a whitespace run
  auto flush_ws = [&] {
    if (ws_newlines < 0) return;
    n.s.push_back(ws_newlines >= 2 ? '\n' : ' ');
    n.from.push_back(ws_begin);
    n.to.push_back(ws_end);
    ws_newlines = -1;
  };
  for (size_t i = 0; i < text.size();) {
    size_t len;
    char32_t c = NormalizeChar(DecodeAt(text, i, &len));
    if (c == kSpace || c == kNewline) {
      if (ws_newlines < 0) {
        ws_begin = i;
        ws_newlines = 0;
      }
      if (c == kNewline) ++ws_newlines;
      ws_end = i + len;
    } else if (c != kDrop) {
      flush_ws();
      size_t before = n.s.size();
      AppendUtf8(&n.s, c);
      for (size_t k = before; k < n.s.size(); ++k) {
        n.from.push_back(i);
        n.to.push_back(i + len);
      }
    }
    i += len;
  }
  flush_ws();
  return n;
}

// ------------------------------------------------------ words and phrases

// True when s[b, e) is not glued to letters of its own script: a Latin word
// must not touch Latin letters or digits, a Persian word Persian letters.
// CJK phrases have no boundaries.
bool WholeWord(std::string_view s, size_t b, size_t e) {
  if (b >= e) return false;
  size_t len;
  char32_t first = DecodeAt(s, b, &len);
  char32_t last = DecodeBefore(s, e);
  auto glued = [](char32_t edge, char32_t other) {
    if (IsLatinLetter(edge) || IsDigit(edge)) {
      return IsLatinLetter(other) || IsDigit(other);
    }
    if (IsArabicLetter(edge)) return IsArabicLetter(other);
    return false;
  };
  if (b > 0 && glued(first, DecodeBefore(s, b))) return false;
  if (e < s.size() && glued(last, DecodeAt(s, e, &len))) return false;
  return true;
}

using PhraseList = std::span<const std::string_view>;

// The longest phrase of `list` that ends at s[q] as a whole word; returns
// its start, or npos.
size_t MatchBack(std::string_view s, size_t q, PhraseList list) {
  size_t best = std::string_view::npos;
  size_t best_len = 0;
  for (std::string_view p : list) {
    if (p.size() > q || p.size() <= best_len) continue;
    if (s.substr(q - p.size(), p.size()) != p) continue;
    if (!WholeWord(s, q - p.size(), q)) continue;
    best = q - p.size();
    best_len = p.size();
  }
  return best;
}

// The longest phrase of `list` that starts at s[i] as a whole word; returns
// its length, or 0.
size_t MatchAt(std::string_view s, size_t i, PhraseList list) {
  size_t best = 0;
  for (std::string_view p : list) {
    if (p.size() <= best || s.substr(i, p.size()) != p) continue;
    if (!WholeWord(s, i, i + p.size())) continue;
    best = p.size();
  }
  return best;
}

// The first whole-word occurrence of any phrase of `list` in s[b, e);
// returns its position (and *len), or npos.
size_t FindPhrase(std::string_view s, size_t b, size_t e, PhraseList list,
                  size_t* len) {
  size_t best = std::string_view::npos;
  std::string_view window = s.substr(0, e);
  for (std::string_view p : list) {
    for (size_t pos = window.find(p, b);
         pos != std::string_view::npos && pos < best;
         pos = window.find(p, pos + 1)) {
      if (WholeWord(s, pos, pos + p.size())) {
        best = pos;
        *len = p.size();
        break;
      }
    }
  }
  return best;
}

size_t SkipSpaces(std::string_view s, size_t i) {
  while (i < s.size() && s[i] == ' ') ++i;
  return i;
}

size_t SkipSpacesBack(std::string_view s, size_t i) {
  while (i > 0 && s[i - 1] == ' ') --i;
  return i;
}

bool StartsWithAt(std::string_view s, size_t i, std::string_view p) {
  return s.substr(i, p.size()) == p;
}

// ---------------------------------------------------------------- tables

// Weekday names stand between a cue and its date ("until Friday, 14 August").
constexpr std::string_view kWeekdays[] = {
    "monday",   "tuesday",   "wednesday", "thursday", "friday",   "saturday",
    "sunday",   "mon",       "mon.",      "tue",      "tue.",     "tues",
    "tues.",    "wed",       "wed.",      "thu",      "thu.",     "thur",
    "thurs",    "thurs.",    "fri",       "fri.",     "sat",      "sat.",
    "sun",      "sun.",      "montag",    "dienstag", "mittwoch", "donnerstag",
    "freitag",  "samstag",   "sonnabend", "sonntag",  "mo.",      "di.",
    "mi.",      "do.",       "fr.",       "sa.",      "so.",      "شنبه",
    "یکشنبه",   "یک شنبه",   "دوشنبه",    "دو شنبه",  "سه شنبه",  "سهشنبه",
    "چهارشنبه", "چهار شنبه", "پنجشنبه",   "پنج شنبه", "جمعه",     "周一",
    "周二",     "周三",      "周四",      "周五",     "周六",     "周日",
    "星期一",   "星期二",    "星期三",    "星期四",   "星期五",   "星期六",
    "星期日",   "星期天"};

// Words that may stand between a prefix cue and the date.
constexpr std::string_view kFillers[] = {
    // en
    "on", "from", "by", "at", "in", "to", "the", "office", "work", "my", "desk",
    "of", "is", "date", "starting", "as of", "and including", "including",
    "inclusive", "vacation", "holiday", "holidays", "leave",
    // de
    "am", "ab", "dem", "den", "zum", "im", "ins", "büro", "buero", "erreichbar",
    "da", "für", "fuer", "sie", "ihnen", "einschließlich", "einschliesslich",
    "einschl.", "inkl.", "inklusive", "voraussichtlich",
    // zh
    "于", "於", "在", "将", "將", "会", "會", "从", "從", "自", "为", "為",
    "是", "我", "预计", "預計",
    // fa
    "تاریخ", "روز", "مورخ", "مورخه", "پایان", "از"};

// Cues before the date: the date is the last day absent.
constexpr std::string_view kUntilCues[] = {
    // en
    "until", "till", "til", "'til", "through", "thru", "up to and including",
    "up to",
    // de
    "bis", "bis und mit",
    // zh
    "至", "到", "直到", "直至", "截至", "截止",
    // fa
    "تا", "الی", "لغایت"};

// Cues before the date: the date is the first day back.
constexpr std::string_view kReturnCues[] = {
    // en
    "back", "return", "returning", "returns", "again", "resume", "resuming",
    "resumes",
    // de
    "zurück", "zurueck", "rückkehr", "rueckkehr", "wieder",
    // zh
    "返回", "返回日期", "返回时间", "返回時間", "回来日期", "回來日期",
    "返岗日期", "复工日期",
    // fa
    "بازگشت", "برگشت"};

// "between 3 and 14 August", "zwischen dem 3. und 14. August".
constexpr std::string_view kBetweenAnd[] = {"and", "und"};
constexpr std::string_view kBetween[] = {"between", "zwischen"};
constexpr std::string_view kBetweenFillers[] = {"the", "dem"};

// Words between a date and a suffix cue that move the cue off the date:
// "ab dem 3.8. im Urlaub, danach wieder erreichbar".
constexpr std::string_view kSuffixBlockers[] = {
    "danach", "anschließend", "anschliessend", "之后",    "之後",
    "然后",   "然後",         "بعد از آن",     "پس از آن"};

// Weak range separators: a range only when a day stands before them ("from
// 3 to 14 August", "3-14 August"); "to" is a filler otherwise.
constexpr std::string_view kRangeSeparators[] = {"-", "~", "to"};

// Cues after the date (verb-final languages): the date is the first day
// back, unless a kAfterWords word follows the date directly.
constexpr std::string_view kSuffixReturnCues[] = {
    // de
    "wieder", "zurück", "zurueck",
    // zh
    "返回", "返岗", "回来", "回來", "回到", "回公司", "回办公室", "回辦公室",
    "上班", "恢复", "恢復", "复工", "復工",
    // fa
    "در دسترس", "برمی گردم", "بر می گردم", "برمیگردم", "باز می گردم",
    "بازمی گردم", "بازمیگردم", "باز خواهم گشت", "بازخواهم گشت", "بر خواهم گشت",
    "برخواهم گشت", "حضور خواهم داشت", "حضور دارم", "حاضر خواهم بود",
    "پاسخگو خواهم بود", "پاسخگو هستم"};

// "در دسترس نیستم": not available.
constexpr std::string_view kPersianNegations[] = {"نیستم",  "نیست",  "نمی",
                                                  "نخواهم", "نباشم", "نمیباشم"};

// A time, not a date: "17.30 Uhr".
constexpr std::string_view kHourWords[] = {"uhr", "h"};

// Separators of "August 3-14" besides '-' and '~'.
constexpr std::string_view kPartialRangeSeparators[] = {
    "to", "bis", "until", "till", "through", "thru", "至", "到"};

// "8月14日后返回": back after the date, so the date is the last day absent.
constexpr std::string_view kAfterWords[] = {"后",   "後",   "之后",
                                            "之後", "以后", "以後"};

enum class Calendar { kGregorian, kSolarHijri };

struct MonthName {
  std::string_view name;
  int month;
  Calendar calendar;
  bool abbreviation;  // may be followed by '.'
};

constexpr Calendar kG = Calendar::kGregorian;
constexpr Calendar kJ = Calendar::kSolarHijri;

constexpr MonthName kMonthNames[] = {
    {"january", 1, kG, false},
    {"januar", 1, kG, false},
    {"jänner", 1, kG, false},
    {"jaenner", 1, kG, false},
    {"jan", 1, kG, true},
    {"february", 2, kG, false},
    {"februar", 2, kG, false},
    {"feber", 2, kG, false},
    {"feb", 2, kG, true},
    {"march", 3, kG, false},
    {"märz", 3, kG, false},
    {"maerz", 3, kG, false},
    {"mär", 3, kG, true},
    {"mar", 3, kG, true},
    {"april", 4, kG, false},
    {"apr", 4, kG, true},
    {"may", 5, kG, false},
    {"mai", 5, kG, false},
    {"june", 6, kG, false},
    {"juni", 6, kG, false},
    {"jun", 6, kG, true},
    {"july", 7, kG, false},
    {"juli", 7, kG, false},
    {"jul", 7, kG, true},
    {"august", 8, kG, false},
    {"aug", 8, kG, true},
    {"september", 9, kG, false},
    {"sept", 9, kG, true},
    {"sep", 9, kG, true},
    {"october", 10, kG, false},
    {"oktober", 10, kG, false},
    {"oct", 10, kG, true},
    {"okt", 10, kG, true},
    {"november", 11, kG, false},
    {"nov", 11, kG, true},
    {"december", 12, kG, false},
    {"dezember", 12, kG, false},
    {"dec", 12, kG, true},
    {"dez", 12, kG, true},
    // Gregorian months in Persian.
    {"ژانویه", 1, kG, false},
    {"ژانویهٔ", 1, kG, false},
    {"فوریه", 2, kG, false},
    {"مارس", 3, kG, false},
    {"آوریل", 4, kG, false},
    {"اوریل", 4, kG, false},
    {"مه", 5, kG, false},
    {"می", 5, kG, false},
    {"مئی", 5, kG, false},
    {"ژوئن", 6, kG, false},
    {"ژوئیه", 7, kG, false},
    {"جولای", 7, kG, false},
    {"ژوییه", 7, kG, false},
    {"اوت", 8, kG, false},
    {"آگوست", 8, kG, false},
    {"اگوست", 8, kG, false},
    {"آگست", 8, kG, false},
    {"سپتامبر", 9, kG, false},
    {"اکتبر", 10, kG, false},
    {"نوامبر", 11, kG, false},
    {"دسامبر", 12, kG, false},
    // Solar Hijri months.
    {"فروردین", 1, kJ, false},
    {"اردیبهشت", 2, kJ, false},
    {"خرداد", 3, kJ, false},
    {"تیر", 4, kJ, false},
    {"مرداد", 5, kJ, false},
    {"امرداد", 5, kJ, false},
    {"شهریور", 6, kJ, false},
    {"مهر", 7, kJ, false},
    {"آبان", 8, kJ, false},
    {"ابان", 8, kJ, false},
    {"آذر", 9, kJ, false},
    {"اذر", 9, kJ, false},
    {"دی", 10, kJ, false},
    {"بهمن", 11, kJ, false},
    {"اسفند", 12, kJ, false},
    {"اسفندماه", 12, kJ, false},
    {"فروردینماه", 1, kJ, false},
    {"مردادماه", 5, kJ, false},
    {"مهرماه", 7, kJ, false},
    {"دیماه", 10, kJ, false},
    {"تیرماه", 4, kJ, false},
    {"آبانماه", 8, kJ, false},
    {"آذرماه", 9, kJ, false},
    {"بهمنماه", 11, kJ, false},
};

// The longest month name at s[i] (whole word); returns its entry and sets
// *end past it (and past an abbreviation's '.' or Persian " ماه").
const MonthName* MonthAt(std::string_view s, size_t i, size_t* end) {
  const MonthName* best = nullptr;
  for (const MonthName& m : kMonthNames) {
    if ((best == nullptr || m.name.size() > best->name.size()) &&
        StartsWithAt(s, i, m.name) && WholeWord(s, i, i + m.name.size())) {
      best = &m;
    }
  }
  if (best == nullptr) return nullptr;
  size_t e = i + best->name.size();
  if (best->abbreviation && e < s.size() && s[e] == '.') ++e;
  if (IsArabicLetter(DecodeBefore(s, e))) {
    size_t q = SkipSpaces(s, e);
    if (q > e && StartsWithAt(s, q, "ماه") && WholeWord(s, q, q + 6)) {
      e = q + 6;  // "ماه" is 6 bytes
    }
  }
  *end = e;
  return best;
}

// --------------------------------------------------------------- dates

struct DateValue {
  int year = 0;  // 0: not written
  int month = 0;
  int day = 0;
  Calendar calendar = Calendar::kGregorian;
};

struct Mention {
  size_t begin = 0;
  size_t end = 0;
  std::vector<DateValue> readings;  // two for an ambiguous d/m
  bool range_end = false;           // the day-only end of "August 3-14"
  size_t range_begin = 0;           // then: where the range starts
};

// Reads the run of ASCII digits at s[i]; returns its length (0 when none).
// *value is set for runs of up to 4 digits.
size_t DigitRun(std::string_view s, size_t i, int* value) {
  size_t n = 0;
  int v = 0;
  while (i + n < s.size() && s[i + n] >= '0' && s[i + n] <= '9') {
    if (n < 4) v = v * 10 + (s[i + n] - '0');
    ++n;
  }
  *value = v;
  return n;
}

// A written year: 2 digits are 20yy; 4 digits are Gregorian (1900..2199) or
// Solar Hijri (1300..1499).
bool ReadYear(int value, size_t digits, int* year, Calendar* calendar) {
  if (digits == 2) {
    *year = 2000 + value;
    *calendar = Calendar::kGregorian;
    return true;
  }
  if (digits != 4) return false;
  *year = value;
  if (value >= 1900 && value <= 2199) {
    *calendar = Calendar::kGregorian;
    return true;
  }
  if (value >= 1300 && value <= 1499) {
    *calendar = Calendar::kSolarHijri;
    return true;
  }
  return false;
}

bool InRange(int v, int lo, int hi) { return v >= lo && v <= hi; }

// Reads an optional ", 2026" / " 2026" / " ۱۴۰۵" after a textual date;
// rejects a year of the other calendar. Returns false only on a mismatch.
bool OptionalYear(std::string_view s, size_t* end, DateValue* v) {
  size_t q = *end;
  if (q < s.size() && s[q] == ',') ++q;
  size_t r = SkipSpaces(s, q);
  if (r == *end) return true;  // a year needs a separator
  int value;
  size_t len = DigitRun(s, r, &value);
  if (len != 4) return true;
  int year;
  Calendar cal;
  if (!ReadYear(value, len, &year, &cal)) return true;
  if (cal != v->calendar) return false;
  v->year = year;
  *end = r + len;
  return true;
}

// The two readings of a/b (d/m or m/d) as described in return_date.h.
bool SlashReadings(int a, int b, int year, Calendar cal,
                   std::vector<DateValue>* out) {
  if (a < 1 || b < 1 || a > 31 || b > 31) return false;
  if (cal == Calendar::kSolarHijri) {  // Persian writes d/m/y or y/m/d
    if (b > 12) return false;
    out->push_back({year, b, a, cal});
    return true;
  }
  if (a > 12 && b > 12) return false;
  if (a > 12 || a == b) {
    out->push_back({year, b, a, cal});
  } else if (b > 12) {
    out->push_back({year, a, b, cal});
  } else {
    out->push_back({year, b, a, cal});  // d/m
    out->push_back({year, a, b, cal});  // m/d
  }
  return true;
}

// "st" "nd" "rd" "th" after a day number; returns its length or 0.
size_t OrdinalSuffix(std::string_view s, size_t i) {
  for (std::string_view suf : {"st", "nd", "rd", "th"}) {
    if (StartsWithAt(s, i, suf) &&
        (i + 2 >= s.size() ||
         !IsLatinLetter(static_cast<unsigned char>(s[i + 2])))) {
      return 2;
    }
  }
  return 0;
}

// The day number and month name of "14 August 2026", "14. August",
// "14th of August", "۲۳ مرداد ۱۴۰۵"; `p` is just past the day (and its
// '.' or ordinal suffix).
bool DayFirst(std::string_view s, int day, size_t p, Mention* m) {
  size_t q = SkipSpaces(s, p);
  if (StartsWithAt(s, q, "of ")) q = SkipSpaces(s, q + 3);
  size_t end;
  const MonthName* month = MonthAt(s, q, &end);
  if (month == nullptr || !InRange(day, 1, 31)) return false;
  DateValue v{0, month->month, day, month->calendar};
  if (!OptionalYear(s, &end, &v)) return false;
  m->end = end;
  m->readings = {v};
  return true;
}

// CJK "8月14日", "8月14号" after the month digits at i; `year` may be 0.
bool ChineseMonthDay(std::string_view s, size_t i, int year, Mention* m) {
  int month;
  size_t lm = DigitRun(s, i, &month);
  if (lm < 1 || lm > 2 || !InRange(month, 1, 12)) return false;
  size_t q = SkipSpaces(s, i + lm);
  if (!StartsWithAt(s, q, "月")) return false;
  q = SkipSpaces(s, q + 3);
  int day;
  size_t ld = DigitRun(s, q, &day);
  if (ld < 1 || ld > 2 || !InRange(day, 1, 31)) return false;
  q = SkipSpaces(s, q + ld);
  size_t suffix = 0;
  for (std::string_view suf : {"日", "号", "號"}) {
    if (StartsWithAt(s, q, suf)) suffix = suf.size();
  }
  if (suffix == 0) return false;
  m->end = q + suffix;
  m->readings = {{year, month, day, Calendar::kGregorian}};
  return true;
}

// A date starting with digits at s[i].
bool ParseNumericAt(std::string_view s, size_t i, Mention* m) {
  int a;
  size_t la = DigitRun(s, i, &a);
  size_t p = i + la;
  char next = p < s.size() ? s[p] : '\0';
  if (la == 4) {
    int year;
    Calendar cal;
    if (!ReadYear(a, 4, &year, &cal)) return false;
    if (next == '-' || next == '/' || next == '.') {  // 2026-08-14
      int month, day;
      size_t lm = DigitRun(s, p + 1, &month);
      if (lm < 1 || lm > 2 || p + 1 + lm >= s.size() || s[p + 1 + lm] != next) {
        return false;
      }
      size_t ld = DigitRun(s, p + 2 + lm, &day);
      if (ld < 1 || ld > 2 || !InRange(month, 1, 12) || !InRange(day, 1, 31)) {
        return false;
      }
      m->end = p + 2 + lm + ld;
      m->readings = {{year, month, day, cal}};
      return true;
    }
    size_t q = SkipSpaces(s, p);
    if (cal == Calendar::kGregorian && StartsWithAt(s, q, "年")) {
      return ChineseMonthDay(s, SkipSpaces(s, q + 3), year, m);
    }
    return false;
  }
  if (la < 1 || la > 2) return false;
  if (ChineseMonthDay(s, i, 0, m)) return true;
  if (next == '.') {
    int b;
    size_t r = p + 1;
    size_t lb = DigitRun(s, r, &b);
    // "14. 08. 2026" (spaced) needs the dot after the month.
    bool spaced = lb == 0 && SkipSpaces(s, r) > r &&
                  DigitRun(s, SkipSpaces(s, r), &b) > 0;
    if (spaced) {
      r = SkipSpaces(s, r);
      lb = DigitRun(s, r, &b);
    }
    if (lb == 0) return DayFirst(s, a, p + 1, m);  // "14. August"
    if (lb > 2 || !InRange(a, 1, 31) || !InRange(b, 1, 12)) return false;
    DateValue v{0, b, a, Calendar::kGregorian};
    size_t q = r + lb;
    if (q < s.size() && s[q] == '.') {
      int y;
      size_t yr = spaced ? SkipSpaces(s, q + 1) : q + 1;
      size_t ly = DigitRun(s, yr, &y);
      if (ly == 0) {
        m->end = q + 1;  // "14.08."
      } else if (ReadYear(y, ly, &v.year, &v.calendar)) {
        m->end = yr + ly;  // "14.08.2026"
      } else {
        return false;
      }
    } else {
      if (spaced) return false;
      // "14.08" without a final dot, but not a time ("17.30 Uhr").
      size_t r = SkipSpaces(s, q);
      if (MatchAt(s, r, kHourWords) > 0) return false;
      m->end = q;
    }
    m->readings = {v};
    return true;
  }
  if (next == '/' || next == '-') {  // 14/08/2026, 8/14, 14-08-2026
    int b;
    size_t lb = DigitRun(s, p + 1, &b);
    if (lb < 1 || lb > 2) return false;
    size_t q = p + 1 + lb;
    int year = 0;
    Calendar cal = Calendar::kGregorian;
    if (q < s.size() && s[q] == next) {
      int y;
      size_t ly = DigitRun(s, q + 1, &y);
      if (!ReadYear(y, ly, &year, &cal)) return false;
      q += 1 + ly;
    } else if (next == '-') {
      return false;  // "3-14" is a range, not a date
    }
    std::vector<DateValue> readings;
    if (!SlashReadings(a, b, year, cal, &readings)) return false;
    m->end = q;
    m->readings = std::move(readings);
    return true;
  }
  if (size_t ord = OrdinalSuffix(s, p); ord > 0) {
    return DayFirst(s, a, p + ord, m);  // "14th of August"
  }
  return DayFirst(s, a, p, m);  // "14 August", "۲۳ مرداد"
}

// A date starting with a Latin month name at s[i]: "August 14, 2026".
bool ParseMonthFirstAt(std::string_view s, size_t i, Mention* m) {
  size_t end;
  const MonthName* month = MonthAt(s, i, &end);
  if (month == nullptr || month->calendar != Calendar::kGregorian ||
      !IsLatinLetter(static_cast<unsigned char>(s[i]))) {
    return false;
  }
  size_t q = SkipSpaces(s, end);
  int day;
  size_t ld = DigitRun(s, q, &day);
  if (ld < 1 || ld > 2 || !InRange(day, 1, 31)) return false;
  size_t e = q + ld;
  if (e < s.size() && (s[e] == ':' || s[e] == '.' || s[e] == '/') &&
      e + 1 < s.size() && IsDigit(static_cast<unsigned char>(s[e + 1]))) {
    return false;  // "Aug 14:30", "May 3.5"
  }
  e += OrdinalSuffix(s, e);
  DateValue v{0, month->month, day, Calendar::kGregorian};
  if (!OptionalYear(s, &e, &v)) return false;
  m->end = e;
  m->readings = {v};
  return true;
}

// A date at s[i], if one starts there.
bool ParseAt(std::string_view s, size_t i, Mention* m) {
  m->begin = i;
  char c = s[i];
  if (c >= '0' && c <= '9') {
    if (i > 0) {
      char b = s[i - 1];
      if (b >= '0' && b <= '9') return false;
      // Not the middle of "1.2.3", "030/1234/5" or "10:15".
      if ((b == '.' || b == '/' || b == ':') && i > 1 && s[i - 2] >= '0' &&
          s[i - 2] <= '9') {
        return false;
      }
    }
    return ParseNumericAt(s, i, m);
  }
  if (IsLatinLetter(static_cast<unsigned char>(c)) &&
      (i == 0 || !IsLatinLetter(DecodeBefore(s, i)))) {
    return ParseMonthFirstAt(s, i, m);
  }
  return false;
}

// The day-only end of a range after a full date: "August 3-14",
// "8月3日至14日", "14 to 17 August"'s sibling "3 August to 14".
bool PartialRangeEnd(std::string_view s, const Mention& x, Mention* y) {
  if (x.readings.size() != 1) return false;
  size_t p = SkipSpaces(s, x.end);
  size_t sep = 0;
  if (p < s.size() && (s[p] == '-' || s[p] == '~')) {
    sep = 1;
  } else {
    sep = MatchAt(s, p, kPartialRangeSeparators);
  }
  if (sep == 0) return false;
  size_t q = SkipSpaces(s, p + sep);
  if (StartsWithAt(s, q, "the ")) q += 4;
  int day;
  size_t ld = DigitRun(s, q, &day);
  if (ld < 1 || ld > 2) return false;
  Mention full;
  if (ParseAt(s, q, &full)) return false;  // a full date, found by the scan
  size_t e = q + ld;
  for (std::string_view suf : {"日", "号", "號", "."}) {
    if (StartsWithAt(s, e, suf)) {
      e += suf.size();
      break;
    }
  }
  e += OrdinalSuffix(s, e);
  if (e < s.size() && (IsDigit(static_cast<unsigned char>(s[e])) ||
                       s[e] == ':' || s[e] == '/')) {
    return false;
  }
  DateValue v = x.readings[0];
  if (day <= v.day || day > 31) return false;
  v.day = day;
  if (!OptionalYear(s, &e, &v)) return false;
  y->begin = q;
  y->end = e;
  y->readings = {v};
  y->range_end = true;
  y->range_begin = x.begin;
  return true;
}

std::vector<Mention> FindMentions(std::string_view s) {
  std::vector<Mention> out;
  for (size_t i = 0; i < s.size();) {
    Mention m;
    if (ParseAt(s, i, &m)) {
      out.push_back(m);
      Mention y;
      if (PartialRangeEnd(s, m, &y)) {
        out.push_back(y);
        i = y.end;
      } else {
        i = m.end;
      }
      continue;
    }
    size_t len;
    DecodeAt(s, i, &len);
    i += len;
  }
  return out;
}

// --------------------------------------------------------------- cues

enum class CueKind { kNone, kReturn, kUntil };

struct Cue {
  CueKind kind = CueKind::kNone;
  size_t begin = 0;  // the statement: [begin, end) of the normalised text
  size_t end = 0;
};

// The start of the range that ends just before `p` (spaces skipped): a
// mention that ends there, or a bare day ("3", "3.", "3rd", "3日").
// Returns npos when there is none.
size_t RangeStartBefore(std::string_view s, const std::vector<Mention>& ms,
                        size_t p) {
  p = SkipSpacesBack(s, p);
  for (const Mention& m : ms) {
    if (m.end == p) return m.begin;
  }
  size_t q = p;
  for (std::string_view suf : {".", "st", "nd", "rd", "th", "日", "号", "號"}) {
    if (q >= suf.size() && s.substr(q - suf.size(), suf.size()) == suf &&
        q - suf.size() > 0 && IsDigit(s[q - suf.size() - 1])) {
      q -= suf.size();
      break;
    }
  }
  size_t digits = 0;
  while (q > 0 && IsDigit(s[q - 1]) && digits < 3) {
    --q;
    ++digits;
  }
  if (digits < 1 || digits > 2) return std::string_view::npos;
  if (q > 0 && (IsDigit(s[q - 1]) || s[q - 1] == '.' ||
                IsLatinLetter(DecodeBefore(s, q)))) {
    return std::string_view::npos;
  }
  return q;
}

bool IsSeparator(char c) {
  return c == ' ' || c == ',' || c == ';' || c == ':' || c == '(' || c == ')';
}

// Walks back from mention `m` over separators and fillers to a prefix cue
// or a range separator. *region_begin is where the walk stopped (the clause
// before it belongs to the previous mention).
Cue PrefixCue(std::string_view s, const std::vector<Mention>& ms,
              const Mention& m, size_t* region_begin) {
  constexpr int kMaxSteps = 12;
  size_t p = m.begin;
  Cue cue;
  for (int step = 0; step < kMaxSteps; ++step) {
    size_t q = p;
    while (q > 0 && IsSeparator(s[q - 1])) --q;
    if (q == 0) break;
    if (size_t b = MatchBack(s, q, kUntilCues); b != std::string_view::npos) {
      size_t x = RangeStartBefore(s, ms, b);
      cue = {CueKind::kUntil, x != std::string_view::npos ? x : b, m.end};
      p = b;
      break;
    }
    if (size_t b = MatchBack(s, q, kReturnCues); b != std::string_view::npos) {
      cue = {CueKind::kReturn, b, m.end};
      p = b;
      break;
    }
    if (size_t b = MatchBack(s, q, kBetweenAnd); b != std::string_view::npos) {
      size_t x = RangeStartBefore(s, ms, b);
      if (x == std::string_view::npos) break;
      size_t w = SkipSpacesBack(s, x);
      if (size_t f = MatchBack(s, w, kBetweenFillers);
          f != std::string_view::npos) {
        w = SkipSpacesBack(s, f);
      }
      size_t between = MatchBack(s, w, kBetween);
      if (between == std::string_view::npos) break;
      cue = {CueKind::kUntil, between, m.end};
      p = between;
      break;
    }
    if (size_t b = MatchBack(s, q, kRangeSeparators);
        b != std::string_view::npos) {
      size_t x = RangeStartBefore(s, ms, b);
      if (x != std::string_view::npos) {
        cue = {CueKind::kUntil, x, m.end};
        p = b;
        break;
      }
      // "to" is also a filler: "back to the office on".
      if (!StartsWithAt(s, b, "to")) break;
      p = b;
      continue;
    }
    size_t b = MatchBack(s, q, kFillers);
    if (b == std::string_view::npos) b = MatchBack(s, q, kWeekdays);
    if (b != std::string_view::npos) {
      p = b;
      continue;
    }
    break;
  }
  *region_begin = p;
  return cue;
}

// Looks after mention `m`, up to `limit` and the end of its clause, for a
// verb-final return cue ("ab dem 17.08. bin ich wieder erreichbar",
// "8月17日返回", "از ۲۶ مرداد در دسترس هستم").
Cue SuffixCue(std::string_view s, const Mention& m, size_t region_begin,
              size_t limit) {
  constexpr size_t kWindow = 100;
  size_t e = std::min({s.size(), limit, m.end + kWindow});
  for (size_t i = m.end; i < e; ++i) {
    char c = s[i];
    if (c == '\n' || c == '!' || c == '?' || c == ';' ||
        StartsWithAt(s, i, "。") ||
        (c == '.' && (i + 1 == s.size() || s[i + 1] == ' '))) {
      e = i;
      break;
    }
  }
  size_t len = 0;
  size_t at = FindPhrase(s, m.end, e, kSuffixReturnCues, &len);
  if (at == std::string_view::npos) return {};
  if (StartsWithAt(s, at, "در دسترس")) {
    size_t q = SkipSpaces(s, at + len);
    for (std::string_view neg : kPersianNegations) {
      if (StartsWithAt(s, q, neg)) return {};
    }
  }
  Cue cue{CueKind::kReturn, region_begin, at + len};
  // "8月14日（周五）后返回": back after that day.
  size_t q = SkipSpaces(s, m.end);
  if (q < s.size() && s[q] == '(') {
    size_t close = s.find(')', q);
    if (close != std::string_view::npos && close < at) {
      q = SkipSpaces(s, close + 1);
    }
  }
  if (MatchAt(s, q, kAfterWords) > 0) {
    cue.kind = CueKind::kUntil;
    return cue;
  }
  size_t blocker_len;
  if (FindPhrase(s, m.end, at, kSuffixBlockers, &blocker_len) !=
      std::string_view::npos) {
    return {};
  }
  return cue;
}

// ------------------------------------------------------------- resolving

// The Gregorian day of 1 Farvardin of Solar Hijri year `jy` (-61 < jy <
// 3178), by the 33-year rule between Borkowski's break years.
sys_days FarvardinFirst(int jy) {
  static constexpr std::array<int, 20> kBreaks = {
      -61,  9,    38,   199,  426,  686,  756,  818,  1111, 1181,
      1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456, 3178};
  // Leap years of the Solar Hijri calendar before jy (from AD 621).
  int leap_j = -14;
  int jp = kBreaks[0];
  int jump = 0;
  for (size_t i = 1; i < kBreaks.size(); ++i) {
    int jm = kBreaks[i];
    jump = jm - jp;
    if (jy < jm) break;
    leap_j += jump / 33 * 8 + (jump % 33) / 4;
    jp = jm;
  }
  int n = jy - jp;
  leap_j += n / 33 * 8 + (n % 33 + 3) / 4;
  if (jump % 33 == 4 && jump - n == 4) ++leap_j;
  // Gregorian leap days up to the Gregorian year in which jy starts.
  int gy = jy + 621;
  int leap_g = gy / 4 - (gy / 100 + 1) * 3 / 4 - 150;
  int march = 20 + leap_j - leap_g;
  return sys_days{std::chrono::year{gy} / std::chrono::March / 1} +
         std::chrono::days{march - 1};
}

std::optional<sys_days> ToDay(const DateValue& v) {
  if (v.calendar == Calendar::kSolarHijri) {
    return SolarHijriToGregorian(v.year, v.month, v.day);
  }
  std::chrono::year_month_day ymd{std::chrono::year{v.year},
                                  std::chrono::month(unsigned(v.month)),
                                  std::chrono::day(unsigned(v.day))};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

// The stated day: a written year as written, else the next such day on or
// after `today`.
std::optional<sys_days> Resolve(DateValue v, sys_days today) {
  if (v.year != 0) return ToDay(v);
  int first;
  if (v.calendar == Calendar::kSolarHijri) {
    first = SolarHijriYearOf(today);
  } else {
    first = int(std::chrono::year_month_day{today}.year());
  }
  for (int y = first; y <= first + 1; ++y) {
    v.year = y;
    auto day = ToDay(v);
    if (day && *day >= today) return day;
  }
  return std::nullopt;
}

core::TimePoint LocalMidnight(const date::time_zone* zone, sys_days day) {
  date::local_days local{date::days{day.time_since_epoch().count()}};
  // A midnight in a DST gap maps to the transition instant.
  return std::chrono::time_point_cast<std::chrono::seconds>(
      zone->to_sys(local, date::choose::earliest));
}

const date::time_zone* LocateZone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string Matched(std::string_view original, const NormText& n, size_t b,
                    size_t e) {
  if (b >= e || e > n.s.size()) return {};
  std::string printable =
      core::Printable(original.substr(n.from[b], n.to[e - 1] - n.from[b]));
  // One space for each run of spaces ("back on\r\nMonday").
  std::string text;
  for (char c : core::Trim(printable)) {
    if (c == ' ' && !text.empty() && text.back() == ' ') continue;
    text.push_back(c);
  }
  return std::string(CutUtf8(text, kReturnDateMatchedMax));
}

}  // namespace

std::optional<sys_days> SolarHijriToGregorian(int year, int month, int day) {
  if (year < 1 || year > 3176 || month < 1 || month > 12 || day < 1) {
    return std::nullopt;
  }
  sys_days start = FarvardinFirst(year);
  int length = month <= 6 ? 31 : 30;
  if (month == 12) {
    length = int((FarvardinFirst(year + 1) - start).count()) - 336;
  }
  if (day > length) return std::nullopt;
  int offset = month <= 7 ? (month - 1) * 31 : 186 + (month - 7) * 30;
  return start + std::chrono::days{offset + day - 1};
}

int SolarHijriYearOf(sys_days day) {
  int jy = int(std::chrono::year_month_day{day}.year()) - 621;
  return day < FarvardinFirst(jy) ? jy - 1 : jy;
}

std::optional<ReturnDate> FindReturnDate(std::string_view text,
                                         core::TimePoint received,
                                         std::string_view time_zone) {
  const date::time_zone* zone = LocateZone(time_zone);
  if (zone == nullptr) return std::nullopt;
  std::string_view original = CutUtf8(text, kReturnDateScanBytes);
  NormText n = Normalize(original);
  const std::string& s = n.s;
  std::vector<Mention> ms = FindMentions(s);

  // Prefix cues first: each mention's walk bounds the clause of the one
  // before it.
  std::vector<Cue> cues(ms.size());
  std::vector<size_t> region(ms.size());
  for (size_t k = 0; k < ms.size(); ++k) {
    if (ms[k].range_end) {
      cues[k] = {CueKind::kUntil, ms[k].range_begin, ms[k].end};
      region[k] = ms[k].range_begin;  // the range's start has no clause
      continue;
    }
    cues[k] = PrefixCue(s, ms, ms[k], &region[k]);
  }
  for (size_t k = 0; k < ms.size(); ++k) {
    if (cues[k].kind != CueKind::kNone) continue;
    size_t limit = k + 1 < ms.size() ? region[k + 1] : s.size();
    cues[k] = SuffixCue(s, ms[k], region[k], limit);
  }

  // The first RETURN statement, else the first UNTIL statement.
  size_t chosen = ms.size();
  for (CueKind kind : {CueKind::kReturn, CueKind::kUntil}) {
    for (size_t k = 0; k < ms.size() && chosen == ms.size(); ++k) {
      if (cues[k].kind == kind) chosen = k;
    }
  }
  if (chosen == ms.size()) return std::nullopt;

  // Its date, in the mailbox's zone; ambiguous readings must agree.
  auto local_now = zone->to_local(received);
  sys_days today{std::chrono::days{
      date::floor<date::days>(local_now).time_since_epoch().count()}};
  std::optional<core::TimePoint> until;
  for (const DateValue& v : ms[chosen].readings) {
    auto day = Resolve(v, today);
    if (!day || *day > today + std::chrono::days{kReturnDateMaxDaysAhead}) {
      continue;
    }
    sys_days back = cues[chosen].kind == CueKind::kUntil
                        ? *day + std::chrono::days{1}
                        : *day;
    core::TimePoint t = LocalMidnight(zone, back);
    if (t <= received) continue;
    if (until && *until != t) return std::nullopt;  // both plausible
    until = t;
  }
  if (!until) return std::nullopt;
  return ReturnDate{*until,
                    Matched(original, n, cues[chosen].begin, cues[chosen].end)};
}

}  // namespace inboxd::classify
