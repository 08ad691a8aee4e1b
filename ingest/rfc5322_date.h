// rfc5322_date.h: parses the Date header (RFC 5322 section 3.3, including the
// obsolete syntax of section 4.3: two-digit years, named zones, military
// zones, comments, missing day-of-week or seconds).
//
// Does not: guess ambiguous numeric formats ("03/04/2024"), read the local
// time zone. A date that cannot be read is nullopt; the caller warns.
#pragma once

#include <optional>
#include <string_view>

#include "core/clock.h"

namespace inboxd::ingest {

// Returns the instant in UTC, or nullopt when `raw` is not a date we can
// read (bad day/month/time, unknown zone word is read as +0000).
std::optional<core::TimePoint> ParseRfc5322Date(std::string_view raw);

}  // namespace inboxd::ingest
