#include "ingest/rfc5322_date.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

TEST(Rfc5322DateTest, Table) {
  struct Case {
    std::string_view raw;
    std::string_view want;  // FormatUtc, or "" when invalid
  } cases[] = {
      {"Mon, 23 Nov 2026 18:45:55 +0000", "2026-11-23T18:45:55Z"},
      {"23 Nov 2026 18:45:55 +0100", "2026-11-23T17:45:55Z"},
      {"Sun, 31 Mar 2024 04:00 +0330", "2024-03-31T00:30:00Z"},
      {"Fri, 23 Aug 2002 2:32:53 -0400", "2002-08-23T06:32:53Z"},
      {"Thu, 1 Jan 70 00:00:00 GMT", "1970-01-01T00:00:00Z"},
      {"Thu, 1 Jan 04 00:00:00 EST", "2004-01-01T05:00:00Z"},
      {"Tue, 2 Mar 2010 10:00:00 PDT", "2010-03-02T17:00:00Z"},
      {"Tue, 2 Mar 2010 10:00:00 Z", "2010-03-02T10:00:00Z"},
      {"Tue, 2 Mar 2010 10:00:00 +0000 (UTC)", "2010-03-02T10:00:00Z"},
      {"Tue,2 mar 2010 10:00:00 +0000", "2010-03-02T10:00:00Z"},
      {"Tue (comment), 2 Mar 2010 10:00:00 A", "2010-03-02T10:00:00Z"},
      {"Mon Aug 22 09:45:15 2011", "2011-08-22T09:45:15Z"},
      {"Sat, 31 Dec 2016 23:59:60 +0000", "2016-12-31T23:59:59Z"},
      // Failing cases.
      {"", ""},
      {"yesterday", ""},
      {"Mon, 31 Feb 2024 10:00:00 +0000", ""},
      {"Mon, 1 Jan 2024 25:00:00 +0000", ""},
      {"Mon, 1 Foo 2024 10:00:00 +0000", ""},
      {"Mon, 1 Jan 2024 10:00:00 +9999", ""},
      {"Mon, 1 Jan 2024", ""},
      {"2024-01-01T10:00:00Z", ""},
  };
  for (const auto& c : cases) {
    auto got = ParseRfc5322Date(c.raw);
    if (c.want.empty()) {
      EXPECT_FALSE(got.has_value()) << c.raw;
    } else {
      ASSERT_TRUE(got.has_value()) << c.raw;
      EXPECT_EQ(core::FormatUtc(*got), c.want) << c.raw;
    }
  }
}

}  // namespace
}  // namespace inboxd::ingest
