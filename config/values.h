// values.h: parsing and formatting of the scalar value forms used in
// inboxd.toml (durations, byte sizes, HH:MM intervals, dates, URLs,
// addresses), plus the "did you mean" key suggestion.
//
// What it does: pure string functions, no I/O, no TOML. Each Parse* returns
// the value or kInvalidArgument with a lower-case message that names the
// expected form (the loader prefixes FILE:LINE:COL: KEY:). Each Format* writes
// the canonical form that the matching Parse* reads back unchanged (ShowConfig
// relies on this for its round trip).
// What it does not do: it knows no config keys and no defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"

namespace inboxd::config {

// The longest duration accepted anywhere (10 years): larger values are typos.
inline constexpr int64_t kMaxDurationSeconds = int64_t{3650} * 86400;
// The largest byte size accepted in [limits] (1 TiB).
inline constexpr int64_t kMaxByteSize = int64_t{1} << 40;

// "90s", "30m", "2h", "2d", "1w", also combined ("1h30m"); units s m h d w.
// Fails with kInvalidArgument on an empty string, a missing number or unit,
// an unknown unit, or a total above kMaxDurationSeconds.
core::Result<Seconds> ParseDuration(std::string_view text);
// The largest unit up to days that divides `d` exactly: 5400 s -> "90m",
// 14 days -> "14d" (weeks are read, never written), 0 -> "0s".
std::string FormatDuration(Seconds d);

// "65536", "64KiB", "25MiB", "1GiB" (binary units; also "B"). Fails with
// kInvalidArgument on another form, zero, or a value above kMaxByteSize.
core::Result<int64_t> ParseByteSize(std::string_view text);
// The largest binary unit that divides `n` exactly: 26214400 -> "25MiB".
std::string FormatByteSize(int64_t n);

// "08:30-12:00" -> {510, 720}. Hours 00..23 (end may be "24:00"), minutes
// 00..59, start < end. Fails with kInvalidArgument otherwise.
core::Result<Interval> ParseInterval(std::string_view text);
std::string FormatInterval(const Interval& iv);
// "08:00" -> 480 (hours 00..23, minutes 00..59). kInvalidArgument otherwise.
core::Result<int> ParseTimeOfDay(std::string_view text);
// 480 -> "08:00".
std::string FormatTimeOfDay(int minute);

// "2024-12-25": a real calendar date (leap years checked). Fails with
// kInvalidArgument otherwise.
core::Status CheckDate(std::string_view text);
// "2024-12-24T13:00": a date and a local time. Fails with kInvalidArgument.
core::Status CheckDateTime(std::string_view text);

// The parts of "imaps://host:993/" (path must be empty or "/").
struct Url {
  std::string scheme;  // lower case
  std::string host;    // without brackets for IPv6 literals
  int port = 0;        // 0 = scheme default
};
// Parses `text` and checks its scheme is one of `schemes` (lower case).
// Fails with kInvalidArgument naming the allowed schemes, an empty host, a
// bad port (1..65535), a user-info part or a path/query.
core::Result<Url> ParseUrl(std::string_view text,
                           const std::vector<std::string_view>& schemes);

// True for "localhost", 127.0.0.0/8 and ::1 (the hosts tls = "none" allows).
bool IsLoopbackHost(std::string_view host);

// A listen address "127.0.0.1:9187" or "[::1]:9187" ([http] listen).
struct HostPort {
  std::string host;  // numeric, without brackets for IPv6 ("::1")
  int port = 0;      // 0..65535; 0 = any free port
  bool ipv6 = false;
};
// Parses "HOST:PORT" where HOST is a numeric IPv4 address or a numeric IPv6
// address in brackets (host names are refused: nothing is resolved) and PORT
// is a decimal 0..65535. Fails with kInvalidArgument naming the expected
// form.
core::Result<HostPort> ParseHostPort(std::string_view text);
// {"::1", 9187, true} -> "[::1]:9187"; {"127.0.0.1", 80} -> "127.0.0.1:80".
std::string FormatHostPort(const HostPort& hp);

// A plain check, not RFC 5322: one '@', non-empty local part and domain, no
// spaces, angle brackets or control characters, a domain with no empty label.
// Fails with kInvalidArgument ("must be an address like name@example.com").
core::Status CheckAddress(std::string_view text);

// The candidate closest to `word` by edit distance (case-insensitive), or ""
// when none is close enough to be a plausible typo.
std::string ClosestMatch(std::string_view word,
                         const std::vector<std::string_view>& candidates);

// A weekly slot: "monday 08:00" (an English weekday, any case, a space,
// then HH:MM) -> {weekday 0 = Monday ... 6 = Sunday, minutes after
// midnight}. kInvalidArgument otherwise.
struct WeeklySlot {
  int weekday = 0;
  int minute = 0;
};
core::Result<WeeklySlot> ParseWeekly(std::string_view text);
// {0, 480} -> "monday 08:00".
std::string FormatWeekly(int weekday, int minute);

}  // namespace inboxd::config
