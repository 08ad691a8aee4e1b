#include "ingest/transfer_encoding.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

TEST(TransferEncodingTest, Base64) {
  struct Case {
    std::string_view in;
    std::string_view want;
  } cases[] = {
      {"SGVsbG8=", "Hello"},
      {"SGVs\r\nbG8=\r\n", "Hello"},
      {"SGVsbG8", "Hello"},      // missing padding
      {"S{G}V*sbG8=", "Hello"},  // '{' read out of bounds in mimetic
      {"", ""},
      {"====", ""},
      {"SGVsbG8=IGdhcmJhZ2U=", "Hello"},  // stops at the first pad
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DecodeBase64(c.in), c.want) << c.in;
    EXPECT_EQ(Base64DecodedSize(c.in), c.want.size()) << c.in;
  }
}

TEST(TransferEncodingTest, QuotedPrintable) {
  struct Case {
    std::string_view in;
    std::string_view want;
  } cases[] = {
      {"Gr=FC=DFe",
       "Gr\xFC\xDF"
       "e"},
      {"soft=\r\nbreak", "softbreak"},
      {"soft= \t\nbreak", "softbreak"},
      {"hard\r\nbreak", "hard\r\nbreak"},
      {"bad=ZZescape", "bad=ZZescape"},  // kept literally
      {"end=", "end"},
      {"lower=c3=a4", "lower\xC3\xA4"},
      {"a_b", "a_b"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DecodeQuotedPrintable(c.in), c.want) << c.in;
  }
  EXPECT_EQ(DecodeQEncoding("a_b=3F"), "a b?");
  EXPECT_EQ(DecodeQEncoding("x="), "x=");
}

}  // namespace
}  // namespace inboxd::ingest
