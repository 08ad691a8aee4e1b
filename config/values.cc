// values.cc: see values.h.
#include "config/values.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "core/text.h"

namespace inboxd::config {

using core::Error;
using core::Fail;

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads a run of decimal digits at `*i` into `*out`; false when there is none
// or it overflows `limit`.
bool ReadNumber(std::string_view s, size_t* i, int64_t limit, int64_t* out) {
  size_t start = *i;
  int64_t v = 0;
  while (*i < s.size() && IsDigit(s[*i])) {
    v = v * 10 + (s[*i] - '0');
    if (v > limit) return false;
    ++*i;
  }
  *out = v;
  return *i > start;
}

// Reads exactly `n` digits at `pos` of `s`.
bool FixedNumber(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// "HH:MM" at the start of `s` (exactly 5 characters) -> minutes; 24:00 only
// when `allow_24` is set.
bool ParseHhMm(std::string_view s, bool allow_24, int* minutes) {
  int h = 0, m = 0;
  if (s.size() != 5 || s[2] != ':' || !FixedNumber(s, 0, 2, &h) ||
      !FixedNumber(s, 3, 2, &m)) {
    return false;
  }
  if (m > 59) return false;
  if (h > 23 && !(allow_24 && h == 24 && m == 0)) return false;
  *minutes = h * 60 + m;
  return true;
}

// Optimal string alignment distance: insertions, deletions, substitutions
// and transpositions of neighbours ("qoute" -> "quote" is 1) all cost 1.
size_t EditDistance(std::string_view a, std::string_view b) {
  const size_t w = b.size() + 1;
  std::vector<size_t> d((a.size() + 1) * w);
  auto at = [&](size_t i, size_t j) -> size_t& { return d[i * w + j]; };
  for (size_t i = 0; i <= a.size(); ++i) at(i, 0) = i;
  for (size_t j = 0; j <= b.size(); ++j) at(0, j) = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      char ai = core::AsciiLower(a[i - 1]), bj = core::AsciiLower(b[j - 1]);
      size_t cost = ai == bj ? 0 : 1;
      at(i, j) = std::min(
          {at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
      if (i > 1 && j > 1 && ai == core::AsciiLower(b[j - 2]) &&
          core::AsciiLower(a[i - 2]) == bj) {
        at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
      }
    }
  }
  return at(a.size(), b.size());
}

}  // namespace

core::Result<Seconds> ParseDuration(std::string_view text) {
  static constexpr char kForm[] =
      "must be a duration like \"90s\", \"30m\", \"2h\", \"2d\" or \"1w\"";
  if (text.empty()) return Fail(Error::InvalidArgument(kForm));
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    if (!ReadNumber(text, &i, kMaxDurationSeconds, &n)) {
      return Fail(Error::InvalidArgument(
          i < text.size() && IsDigit(text[i]) ? "duration too long" : kForm));
    }
    if (i == text.size()) return Fail(Error::InvalidArgument(kForm));
    int64_t unit = 0;
    switch (text[i]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        return Fail(Error::InvalidArgument(kForm));
    }
    ++i;
    if (n > kMaxDurationSeconds / unit ||
        total + n * unit > kMaxDurationSeconds) {
      return Fail(Error::InvalidArgument("duration too long (max 3650d)"));
    }
    total += n * unit;
  }
  return Seconds{total};
}

std::string FormatDuration(Seconds d) {
  int64_t s = d.count();
  if (s == 0) return "0s";
  static constexpr struct {
    int64_t seconds;
    char unit;
  } kUnits[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}};
  for (const auto& u : kUnits) {
    if (s % u.seconds == 0) return std::to_string(s / u.seconds) + u.unit;
  }
  return std::to_string(s) + "s";
}

core::Result<int64_t> ParseByteSize(std::string_view text) {
  static constexpr char kForm[] =
      "must be a size like 65536, \"64KiB\", \"25MiB\" or \"1GiB\"";
  size_t i = 0;
  int64_t n = 0;
  if (!ReadNumber(text, &i, kMaxByteSize, &n)) {
    return Fail(Error::InvalidArgument(i < text.size() && IsDigit(text[i])
                                           ? "size too large (max 1TiB)"
                                           : kForm));
  }
  std::string_view unit = text.substr(i);
  int64_t mult = 0;
  if (unit.empty() || unit == "B") {
    mult = 1;
  } else if (unit == "KiB") {
    mult = int64_t{1} << 10;
  } else if (unit == "MiB") {
    mult = int64_t{1} << 20;
  } else if (unit == "GiB") {
    mult = int64_t{1} << 30;
  } else {
    return Fail(Error::InvalidArgument(kForm));
  }
  if (n == 0) return Fail(Error::InvalidArgument("must be greater than 0"));
  if (n > kMaxByteSize / mult) {
    return Fail(Error::InvalidArgument("size too large (max 1TiB)"));
  }
  return n * mult;
}

std::string FormatByteSize(int64_t n) {
  static constexpr struct {
    int shift;
    const char* unit;
  } kUnits[] = {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (const auto& u : kUnits) {
    int64_t m = int64_t{1} << u.shift;
    if (n > 0 && n % m == 0) return std::to_string(n / m) + u.unit;
  }
  return std::to_string(n);
}

core::Result<Interval> ParseInterval(std::string_view text) {
  Interval iv;
  if (text.size() != 11 || text[5] != '-' ||
      !ParseHhMm(text.substr(0, 5), false, &iv.start_minute) ||
      !ParseHhMm(text.substr(6, 5), true, &iv.end_minute)) {
    return Fail(Error::InvalidArgument(
        "must be an interval \"HH:MM-HH:MM\" like \"08:30-12:00\""));
  }
  if (iv.start_minute >= iv.end_minute) {
    return Fail(Error::InvalidArgument("interval ends before it starts"));
  }
  return iv;
}

std::string FormatInterval(const Interval& iv) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d:%02d-%02d:%02d", iv.start_minute / 60,
                iv.start_minute % 60, iv.end_minute / 60, iv.end_minute % 60);
  return buf;
}

core::Result<int> ParseTimeOfDay(std::string_view text) {
  int minute = 0;
  if (text.size() != 5 || !ParseHhMm(text, false, &minute)) {
    return Fail(Error::InvalidArgument(
        "must be a time of day \"HH:MM\" like \"08:00\""));
  }
  return minute;
}

std::string FormatTimeOfDay(int minute) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
  return buf;
}

core::Status CheckDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !FixedNumber(text, 0, 4, &y) || !FixedNumber(text, 5, 2, &m) ||
      !FixedNumber(text, 8, 2, &d) || m < 1 || m > 12 || d < 1 ||
      d > DaysInMonth(y, m)) {
    return Fail(Error::InvalidArgument(
        "must be a date \"YYYY-MM-DD\" like \"2024-12-25\""));
  }
  return core::Ok();
}

core::Status CheckDateTime(std::string_view text) {
  int minutes = 0;
  if (text.size() != 16 || text[10] != 'T' || !CheckDate(text.substr(0, 10)) ||
      !ParseHhMm(text.substr(11), false, &minutes)) {
    return Fail(Error::InvalidArgument(
        "must be a local time \"YYYY-MM-DDTHH:MM\" like \"2024-12-24T13:00\""));
  }
  return core::Ok();
}

core::Result<Url> ParseUrl(std::string_view text,
                           const std::vector<std::string_view>& schemes) {
  std::string allowed;
  for (std::string_view s : schemes) {
    if (!allowed.empty()) allowed += " or ";
    allowed += std::string(s) + "://";
  }
  size_t sep = text.find("://");
  Url url;
  if (sep != std::string_view::npos) {
    url.scheme = core::AsciiLower(text.substr(0, sep));
  }
  if (sep == std::string_view::npos ||
      std::find(schemes.begin(), schemes.end(), url.scheme) == schemes.end()) {
    return Fail(Error::InvalidArgument("must start with " + allowed));
  }
  std::string_view rest = text.substr(sep + 3);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    return Fail(
        Error::InvalidArgument("must be scheme://host[:port] without a path "
                               "(folders go in 'folders')"));
  }
  if (rest.find('@') != std::string_view::npos) {
    return Fail(Error::InvalidArgument(
        "must not contain a user name or password (use 'username' and a "
        "secret source)"));
  }
  std::string_view host = rest, port;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return Fail(Error::InvalidArgument("unclosed '[' in IPv6 host"));
    }
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Fail(Error::InvalidArgument("bad text after IPv6 host"));
      }
      port = after.substr(1);
      if (port.empty()) {
        return Fail(Error::InvalidArgument("port must be 1..65535"));
      }
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty()) {
      return Fail(Error::InvalidArgument("port must be 1..65535"));
    }
  }
  if (host.empty()) return Fail(Error::InvalidArgument("host is empty"));
  for (char c : host) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '[' || c == ']' || c == '\\' ||
        c == '"') {
      return Fail(Error::InvalidArgument("host contains a bad character"));
    }
  }
  url.host = std::string(host);
  if (!port.empty()) {
    int p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc() || end != port.data() + port.size() || p < 1 ||
        p > 65535) {
      return Fail(Error::InvalidArgument("port must be 1..65535"));
    }
    url.port = p;
  }
  return url;
}

bool IsLoopbackHost(std::string_view host) {
  if (core::IEquals(host, "localhost") || host == "::1") return true;
  // 127.0.0.0/8 as a dotted quad.
  std::vector<std::string_view> parts = core::Split(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (std::string_view p : parts) {
    int v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() ||
        v > 255) {
      return false;
    }
  }
  return true;
}

core::Result<HostPort> ParseHostPort(std::string_view text) {
  static constexpr char kForm[] =
      "expected HOST:PORT like \"127.0.0.1:9187\" or \"[::1]:9187\"";
  static constexpr char kHost[] =
      " (HOST must be a numeric IPv4 address or a bracketed IPv6 address like "
      "[::1]; names are not resolved)";
  HostPort hp;
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return Fail(Error::InvalidArgument(kForm));
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    hp.ipv6 = true;
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Fail(Error::InvalidArgument(kForm));
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  // inet_pton reads a C string and accepts only numeric forms (IPv4: exactly
  // a dotted quad; IPv6: no zone id).
  const std::string host_str(host);
  unsigned char addr[16];
  if (host.empty() || host.find('\0') != std::string_view::npos ||
      inet_pton(hp.ipv6 ? AF_INET6 : AF_INET, host_str.c_str(), addr) != 1) {
    return Fail(Error::InvalidArgument(std::string(kForm) + kHost));
  }
  int n = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() ||
      n < 0 || n > 65535) {
    return Fail(Error::InvalidArgument(std::string(kForm) +
                                       " (PORT must be 0..65535)"));
  }
  hp.host = host_str;
  hp.port = n;
  return hp;
}

std::string FormatHostPort(const HostPort& hp) {
  return (hp.ipv6 ? "[" + hp.host + "]" : hp.host) + ":" +
         std::to_string(hp.port);
}

core::Status CheckAddress(std::string_view text) {
  static constexpr char kForm[] = "must be an address like name@example.com";
  size_t at = text.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= text.size() ||
      text.find('@', at + 1) != std::string_view::npos) {
    return Fail(Error::InvalidArgument(kForm));
  }
  for (char c : text) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u == 0x7f || c == '<' || c == '>' || c == ',' || c == '"') {
      return Fail(Error::InvalidArgument(std::string(kForm) +
                                         " (no spaces, quotes or <>)"));
    }
  }
  for (std::string_view label : core::Split(text.substr(at + 1), '.')) {
    if (label.empty()) return Fail(Error::InvalidArgument(kForm));
  }
  return core::Ok();
}

std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string_view>& candidates) {
  std::string best;
  size_t best_distance = std::string_view::npos;
  // A typo changes at most a third of the word (and at least 1, at most 3
  // characters); anything further is a different key.
  size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
  for (std::string_view c : candidates) {
    size_t d = EditDistance(word, c);
    if (d <= limit && d < best_distance) {
      best_distance = d;
      best = std::string(c);
    }
  }
  return best;
}

namespace {
constexpr std::string_view kWeekdays[7] = {"monday",   "tuesday", "wednesday",
                                           "thursday", "friday",  "saturday",
                                           "sunday"};
}  // namespace

core::Result<WeeklySlot> ParseWeekly(std::string_view text) {
  const auto bad = [] {
    return Fail(Error::InvalidArgument(
        "must be a weekday and a time \"DAY HH:MM\" like \"monday 08:00\""));
  };
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return bad();
  const std::string day = core::AsciiLower(text.substr(0, space));
  WeeklySlot slot;
  slot.weekday = -1;
  for (int i = 0; i < 7; ++i) {
    if (kWeekdays[i] == day) slot.weekday = i;
  }
  if (slot.weekday < 0) return bad();
  auto minute = ParseTimeOfDay(text.substr(space + 1));
  if (!minute) return bad();
  slot.minute = *minute;
  return slot;
}

std::string FormatWeekly(int weekday, int minute) {
  if (weekday < 0 || weekday > 6 || minute < 0) return "";
  return std::string(kWeekdays[weekday]) + " " + FormatTimeOfDay(minute);
}

}  // namespace inboxd::config
