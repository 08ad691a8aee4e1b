// values_test.cc: the scalar value forms of inboxd.toml, passing and failing
// cases side by side, and Format* reading back through Parse*.
#include "config/values.h"

#include <gtest/gtest.h>

namespace inboxd::config {
namespace {

TEST(ParseDurationTest, Table) {
  const struct {
    const char* text;
    int64_t want;  // -1 = error
  } cases[] = {
      {"90s", 90},
      {"30m", 1800},
      {"2h", 7200},
      {"2d", 172800},
      {"1w", 604800},
      {"1h30m", 5400},
      {"0s", 0},
      {"3650d", 315360000},
      {"", -1},
      {"2", -1},
      {"h", -1},
      {"2 h", -1},
      {"2H", -1},
      {"-2h", -1},
      {"2y", -1},
      {"3651d", -1},
      {"99999999999999999999s", -1},
      {"1.5h", -1},
  };
  for (const auto& c : cases) {
    auto got = ParseDuration(c.text);
    if (c.want < 0) {
      EXPECT_FALSE(got.has_value()) << c.text;
      if (!got) {
        EXPECT_EQ(got.error().code, core::Code::kInvalidArgument) << c.text;
      }
    } else {
      ASSERT_TRUE(got.has_value()) << c.text << ": " << got.error().message;
      EXPECT_EQ(got->count(), c.want) << c.text;
    }
  }
}

TEST(FormatDurationTest, RoundTrips) {
  const struct {
    int64_t seconds;
    const char* want;
  } cases[] = {{0, "0s"},      {59, "59s"},      {5400, "90m"},
               {7200, "2h"},   {86400, "1d"},    {172800, "2d"},
               {604800, "7d"}, {1209600, "14d"}, {90061, "90061s"}};
  for (const auto& c : cases) {
    EXPECT_EQ(FormatDuration(Seconds{c.seconds}), c.want);
    auto back = ParseDuration(FormatDuration(Seconds{c.seconds}));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->count(), c.seconds);
  }
}

TEST(ParseByteSizeTest, Table) {
  const struct {
    const char* text;
    int64_t want;  // -1 = error
  } cases[] = {
      {"65536", 65536},  {"64KiB", 65536}, {"25MiB", 25 << 20},
      {"1GiB", 1 << 30}, {"10B", 10},      {"0", -1},
      {"25MB", -1},      {"MiB", -1},      {"2TiB", -1},
      {"1025GiB", -1},   {"-1", -1},       {"", -1},
  };
  for (const auto& c : cases) {
    auto got = ParseByteSize(c.text);
    if (c.want < 0) {
      EXPECT_FALSE(got.has_value()) << c.text;
    } else {
      ASSERT_TRUE(got.has_value()) << c.text << ": " << got.error().message;
      EXPECT_EQ(*got, c.want) << c.text;
    }
  }
  EXPECT_EQ(FormatByteSize(25 << 20), "25MiB");
  EXPECT_EQ(FormatByteSize(1536), "1536");
  EXPECT_EQ(FormatByteSize(2048), "2KiB");
  EXPECT_EQ(FormatByteSize(1000), "1000");
}

TEST(ParseIntervalTest, Table) {
  const struct {
    const char* text;
    int start, end;  // start < 0 = error
  } cases[] = {
      {"08:30-12:00", 510, 720},  {"00:00-24:00", 0, 1440},
      {"13:00-18:00", 780, 1080}, {"12:00-08:30", -1, 0},
      {"08:30-08:30", -1, 0},     {"8:30-12:00", -1, 0},
      {"08:60-12:00", -1, 0},     {"24:00-24:00", -1, 0},
      {"08:30-24:01", -1, 0},     {"08:30 12:00", -1, 0},
      {"08:30-12:00x", -1, 0},    {"", -1, 0},
  };
  for (const auto& c : cases) {
    auto got = ParseInterval(c.text);
    if (c.start < 0) {
      EXPECT_FALSE(got.has_value()) << c.text;
    } else {
      ASSERT_TRUE(got.has_value()) << c.text << ": " << got.error().message;
      EXPECT_EQ(got->start_minute, c.start) << c.text;
      EXPECT_EQ(got->end_minute, c.end) << c.text;
      EXPECT_EQ(FormatInterval(*got), c.text);
    }
  }
}

TEST(CheckDateTest, Table) {
  EXPECT_TRUE(CheckDate("2024-02-29"));
  EXPECT_TRUE(CheckDate("2000-02-29"));
  EXPECT_FALSE(CheckDate("1900-02-29"));
  EXPECT_FALSE(CheckDate("2023-02-29"));
  EXPECT_FALSE(CheckDate("2024-13-01"));
  EXPECT_FALSE(CheckDate("2024-04-31"));
  EXPECT_FALSE(CheckDate("2024-4-30"));
  EXPECT_FALSE(CheckDate("2024/04/30"));
  EXPECT_TRUE(CheckDateTime("2024-12-24T13:00"));
  EXPECT_FALSE(CheckDateTime("2024-12-24 13:00"));
  EXPECT_FALSE(CheckDateTime("2024-12-24T24:00"));
  EXPECT_FALSE(CheckDateTime("2024-12-24"));
}

TEST(ParseUrlTest, Table) {
  const std::vector<std::string_view> imap = {"imap", "imaps"};
  const struct {
    const char* text;
    const char* host;  // nullptr = error
    int port;
  } cases[] = {
      {"imaps://imap.shop.example", "imap.shop.example", 0},
      {"imap://127.0.0.1:11143", "127.0.0.1", 11143},
      {"IMAPS://imap.shop.example:993/", "imap.shop.example", 993},
      {"imap://[::1]:143", "::1", 143},
      {"imap://[::1]", "::1", 0},
      {"https://imap.shop.example", nullptr, 0},
      {"imap.shop.example", nullptr, 0},
      {"imaps://", nullptr, 0},
      {"imaps://host:0", nullptr, 0},
      {"imaps://host:65536", nullptr, 0},
      {"imaps://host:", nullptr, 0},
      {"imaps://host:99x", nullptr, 0},
      {"imaps://host/INBOX", nullptr, 0},
      {"imaps://user:pw@host", nullptr, 0},
      {"imaps://[::1", nullptr, 0},
      {"imaps://ho st", nullptr, 0},
  };
  for (const auto& c : cases) {
    auto got = ParseUrl(c.text, imap);
    if (c.host == nullptr) {
      EXPECT_FALSE(got.has_value()) << c.text;
    } else {
      ASSERT_TRUE(got.has_value()) << c.text << ": " << got.error().message;
      EXPECT_EQ(got->host, c.host) << c.text;
      EXPECT_EQ(got->port, c.port) << c.text;
    }
  }
  EXPECT_EQ(ParseUrl("smtp://x", imap).error().message,
            "must start with imap:// or imaps://");
}

TEST(IsLoopbackHostTest, Table) {
  for (const char* yes :
       {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"}) {
    EXPECT_TRUE(IsLoopbackHost(yes)) << yes;
  }
  for (const char* no : {"imap.shop.example", "128.0.0.1", "127.0.0",
                         "127.0.0.256", "127.0.0.1.evil.example",
                         "localhost.evil.example", "::2", "10.0.0.1", ""}) {
    EXPECT_FALSE(IsLoopbackHost(no)) << no;
  }
}

TEST(ParseHostPortTest, Table) {
  const struct {
    const char* text;
    const char* want_host;  // nullptr = error
    int want_port;
    bool want_ipv6;
    const char* want_error;  // a part of the message
  } cases[] = {
      {"127.0.0.1:9187", "127.0.0.1", 9187, false, ""},
      {"0.0.0.0:80", "0.0.0.0", 80, false, ""},
      {"127.0.0.1:0", "127.0.0.1", 0, false, ""},
      {"10.1.2.3:65535", "10.1.2.3", 65535, false, ""},
      {"[::1]:9187", "::1", 9187, true, ""},
      {"[::]:9187", "::", 9187, true, ""},
      {"[2001:db8::7]:1", "2001:db8::7", 1, true, ""},
      {"", nullptr, 0, false, "expected HOST:PORT like \"127.0.0.1:9187\""},
      {"9187", nullptr, 0, false, "expected HOST:PORT"},
      {":9187", nullptr, 0, false, "HOST must be a numeric IPv4 address"},
      {"127.0.0.1", nullptr, 0, false, "expected HOST:PORT"},
      {"127.0.0.1:", nullptr, 0, false, "PORT must be 0..65535"},
      {"127.0.0.1:65536", nullptr, 0, false, "PORT must be 0..65535"},
      {"127.0.0.1:-1", nullptr, 0, false, "PORT must be 0..65535"},
      {"127.0.0.1:+80", nullptr, 0, false, "PORT must be 0..65535"},
      {"127.0.0.1:80x", nullptr, 0, false, "PORT must be 0..65535"},
      {"127.0.0.1: 80", nullptr, 0, false, "PORT must be 0..65535"},
      {"localhost:9187", nullptr, 0, false, "names are not resolved"},
      {"metrics.shop.example:9187", nullptr, 0, false, "names are not"},
      {"127.1:9187", nullptr, 0, false, "numeric IPv4"},
      {"256.0.0.1:9187", nullptr, 0, false, "numeric IPv4"},
      {"::1:9187", nullptr, 0, false, "bracketed IPv6 address like [::1]"},
      {"[::1]9187", nullptr, 0, false, "expected HOST:PORT"},
      {"[::1]", nullptr, 0, false, "expected HOST:PORT"},
      {"[::1:9187", nullptr, 0, false, "expected HOST:PORT"},
      {"[127.0.0.1]:9187", nullptr, 0, false, "bracketed IPv6"},
      {"[fe80::1%eth0]:9187", nullptr, 0, false, "bracketed IPv6"},
      {"[]:9187", nullptr, 0, false, "bracketed IPv6"},
      {"http://127.0.0.1:9187", nullptr, 0, false, "HOST must be a numeric"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    auto got = ParseHostPort(c.text);
    if (c.want_host == nullptr) {
      ASSERT_FALSE(got.has_value()) << got->host << " " << got->port;
      EXPECT_EQ(got.error().code, core::Code::kInvalidArgument);
      EXPECT_NE(got.error().message.find(c.want_error), std::string::npos)
          << got.error().message;
      continue;
    }
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->host, c.want_host);
    EXPECT_EQ(got->port, c.want_port);
    EXPECT_EQ(got->ipv6, c.want_ipv6);
    EXPECT_EQ(FormatHostPort(*got), c.text);  // reads back unchanged
  }
  // A NUL inside the host is not cut off by inet_pton.
  EXPECT_FALSE(ParseHostPort(std::string_view("127.0.0.1\0x:80", 14)));
}

TEST(CheckAddressTest, Table) {
  for (const char* yes : {"support@shop.example", "a+b@x.y", "x@localhost"}) {
    EXPECT_TRUE(CheckAddress(yes)) << yes;
  }
  for (const char* no :
       {"support.shop.example", "@shop.example", "support@", "a@b@c", "a b@c.d",
        "<a@b.c>", "a@b..c", "a@.b", "a@b,c@d", ""}) {
    EXPECT_FALSE(CheckAddress(no)) << no;
  }
}

TEST(ClosestMatchTest, Table) {
  const std::vector<std::string_view> keys = {
      "sent_folder", "folders", "time_zone", "tls", "quote", "password_file"};
  EXPECT_EQ(ClosestMatch("sent_foldr", keys), "sent_folder");
  EXPECT_EQ(ClosestMatch("qoute", keys), "quote");  // transposition
  EXPECT_EQ(ClosestMatch("timezone", keys), "time_zone");
  EXPECT_EQ(ClosestMatch("Folders", keys), "folders");
  EXPECT_EQ(ClosestMatch("tsl", keys), "tls");
  EXPECT_EQ(ClosestMatch("passwd_file", keys), "password_file");
  EXPECT_EQ(ClosestMatch("colour", keys), "");
  EXPECT_EQ(ClosestMatch("x", keys), "");
}

}  // namespace
}  // namespace inboxd::config
