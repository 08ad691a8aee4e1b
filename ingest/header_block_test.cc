#include "ingest/header_block.h"

#include <gtest/gtest.h>

#include <string>

namespace inboxd::ingest {
namespace {

std::string Names(const HeaderBlock& hb) {
  std::string out;
  for (const auto& f : hb.fields) out += f.name + ",";
  return out;
}

TEST(HeaderBlockTest, Table) {
  struct Case {
    std::string_view raw;
    std::string_view names;
    std::string_view body;
    size_t warnings;
  } cases[] = {
      {"A: 1\r\nB: 2\r\n\r\nbody", "A,B,", "body", 0},
      {"A: 1\nB: 2\n\nbody", "A,B,", "body", 0},
      {"A: 1\n folded\nB: 2\n\n", "A,B,", "", 0},
      {"Subject : spaced\n\nx", "Subject,", "x", 0},
      // Header-only message.
      {"A: 1\nB: 2", "A,B,", "", 0},
      // mbox From_ line at the top.
      {"From a@b Mon Jan 1 00:00:00 2024\nA: 1\n\nx", "A,", "x", 1},
      // A line without colon in the middle does not hide Content-Type.
      {"A: 1\nbroken line\nContent-Type: multipart/mixed\n\nx",
       "A,Content-Type,", "x", 1},
      // 8-bit byte in a header name: kept, with a warning.
      {"X-N\xE4me: v\nContent-Type: text/plain\n\nx", "X-N\xE4me,Content-Type,",
       "x", 1},
      // No blank line: the header ends at the first non-header line.
      {"A: 1\nthis is the body\nmore body\n", "A,",
       "this is the body\nmore body\n", 1},
      {"", "", "", 0},
      {"\r\nbody only", "", "body only", 0},
  };
  for (const auto& c : cases) {
    HeaderBlock hb = ParseHeaderBlock(c.raw, 1 << 20);
    EXPECT_EQ(Names(hb), c.names) << c.raw;
    EXPECT_EQ(c.raw.substr(hb.body_offset), c.body) << c.raw;
    EXPECT_EQ(hb.warnings.size(), c.warnings) << c.raw;
    EXPECT_FALSE(hb.truncated) << c.raw;
  }
}

TEST(HeaderBlockTest, UnfoldsAndTrims) {
  HeaderBlock hb = ParseHeaderBlock(
      "Subject:  =?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=  \r\nTo: x\r\n\r\n", 1 << 20);
  ASSERT_EQ(hb.fields.size(), 2u);
  EXPECT_EQ(hb.fields[0].value, "=?UTF-8?Q?a?= =?UTF-8?Q?b?=");
  EXPECT_EQ(*FindField(hb.fields, "subject"), hb.fields[0].value);
  EXPECT_EQ(FindField(hb.fields, "Cc"), nullptr);
}

TEST(HeaderBlockTest, LimitReportsFullSize) {
  std::string raw = "A: " + std::string(5000, 'x') + "\nB: 2\n\nbody";
  HeaderBlock hb = ParseHeaderBlock(raw, 1000);
  EXPECT_TRUE(hb.truncated);
  EXPECT_EQ(hb.header_bytes, raw.size() - 4);
  // Under the limit: not truncated.
  EXPECT_FALSE(ParseHeaderBlock(raw, 10000).truncated);
}

}  // namespace
}  // namespace inboxd::ingest
