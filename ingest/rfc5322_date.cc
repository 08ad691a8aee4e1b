#include "ingest/rfc5322_date.h"

#include <array>
#include <chrono>
#include <string>
#include <vector>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

struct Zone {
  std::string_view name;
  int minutes;
};
// RFC 5322 4.3 obs-zone; military single letters mean "-0000" (unknown).
constexpr std::array kZones = {
    Zone{"ut", 0},        Zone{"utc", 0},       Zone{"gmt", 0},
    Zone{"z", 0},         Zone{"est", -5 * 60}, Zone{"edt", -4 * 60},
    Zone{"cst", -6 * 60}, Zone{"cdt", -5 * 60}, Zone{"mst", -7 * 60},
    Zone{"mdt", -6 * 60}, Zone{"pst", -8 * 60}, Zone{"pdt", -7 * 60},
    Zone{"cet", 60},      Zone{"cest", 120},    Zone{"met", 60},
    Zone{"mest", 120},    Zone{"bst", 60},      Zone{"jst", 9 * 60},
};

constexpr std::array<std::string_view, 12> kMonths = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"};

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) {
    v = v * 10 + (c - '0');
    if (v > 100000) return -1;
  }
  return v;
}

}  // namespace

std::optional<core::TimePoint> ParseRfc5322Date(std::string_view raw) {
  // Tokenise: drop comments, split on whitespace and commas.
  std::vector<std::string> tokens;
  std::string cur;
  int depth = 0;
  for (char c : raw) {
    if (c == '(') {
      ++depth;
      continue;
    }
    if (c == ')' && depth > 0) {
      --depth;
      continue;
    }
    if (depth > 0) continue;
    if (c == ' ' || c == '\t' || c == ',' || c == '\r' || c == '\n') {
      if (!cur.empty()) tokens.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur += core::AsciiLower(c);
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  if (tokens.size() > 16) return std::nullopt;

  size_t t = 0;
  // Optional day of week ("Mon", "Monday").
  if (t < tokens.size() && !tokens[t].empty() && tokens[t][0] >= 'a' &&
      tokens[t][0] <= 'z') {
    ++t;
  }
  auto month_of = [](std::string_view s) {
    for (size_t m = 0; m < kMonths.size(); ++m) {
      if (s.starts_with(kMonths[m])) return static_cast<int>(m) + 1;
    }
    return -1;
  };
  if (t + 2 >= tokens.size()) return std::nullopt;
  int day = -1;
  int month = -1;
  int year = -1;
  size_t time_at = 0;  // index of the "hh:mm[:ss]" token
  size_t zone_at = 0;
  if (AllDigits(tokens[t]) && month_of(tokens[t + 1]) > 0 &&
      AllDigits(tokens[t + 2])) {
    // RFC 5322: day month year time zone.
    day = ToInt(tokens[t]);
    month = month_of(tokens[t + 1]);
    year = ToInt(tokens[t + 2]);
    time_at = t + 3;
    zone_at = t + 4;
  } else if (month_of(tokens[t]) > 0 && AllDigits(tokens[t + 1]) &&
             t + 3 < tokens.size()) {
    // asctime style, seen in broken mailers: "Aug 22 09:45:15 2011" or
    // "Aug 22 2011 09:45:15 +0000".
    month = month_of(tokens[t]);
    day = ToInt(tokens[t + 1]);
    if (AllDigits(tokens[t + 2])) {
      year = ToInt(tokens[t + 2]);
      time_at = t + 3;
      zone_at = t + 4;
    } else if (t + 3 < tokens.size() && AllDigits(tokens[t + 3])) {
      year = ToInt(tokens[t + 3]);
      time_at = t + 2;
      zone_at = t + 4;
    } else {
      return std::nullopt;
    }
  } else {
    return std::nullopt;
  }
  if (year < 0 || time_at >= tokens.size()) return std::nullopt;
  if (year < 50 && tokens[time_at == t + 3 ? t + 2 : t + 3].size() <= 2) {
    year += 2000;  // RFC 5322 4.3: two-digit years below 50 are 20xx
  } else if (year < 1000) {
    year += 1900;
  }
  // Time "hh:mm[:ss]".
  int hh = -1, mm = -1, ss = 0;
  {
    auto parts = core::Split(tokens[time_at], ':');
    if (parts.size() < 2 || parts.size() > 3) return std::nullopt;
    for (auto p : parts) {
      if (!AllDigits(p) || p.size() > 2) return std::nullopt;
    }
    hh = ToInt(parts[0]);
    mm = ToInt(parts[1]);
    if (parts.size() == 3) ss = ToInt(parts[2]);
  }
  size_t t_zone = zone_at;
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  if (ss == 60) ss = 59;  // leap second
  // Zone: "+hhmm", "-hhmm", a name, or missing (read as UTC).
  int offset = 0;
  if (t_zone < tokens.size()) {
    std::string_view z = tokens[t_zone];
    if ((z[0] == '+' || z[0] == '-') && z.size() == 5 &&
        AllDigits(z.substr(1))) {
      int h = ToInt(z.substr(1, 2));
      int m = ToInt(z.substr(3, 2));
      if (h > 23 || m > 59) return std::nullopt;
      offset = (h * 60 + m) * (z[0] == '-' ? -1 : 1);
    } else {
      for (const Zone& zone : kZones) {
        if (z == zone.name) offset = zone.minutes;
      }
      // Anything else (military letters, "+0000 (UTC)" leftovers) is -0000.
    }
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(year),
                     std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(day))};
  if (day < 1 || !ymd.ok()) return std::nullopt;
  sys_seconds tp =
      sys_days(ymd) + hours(hh) + minutes(mm) + seconds(ss) - minutes(offset);
  return tp;
}

}  // namespace inboxd::ingest
