#include "core/text.h"

#include <gtest/gtest.h>

#include "core/hash.h"

namespace inboxd::core {
namespace {

TEST(TextTest, StripCrLfRemovesEveryLineBreak) {
  struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"plain", "plain"},
      {"evil\r\nBcc: x@y", "evil  Bcc: x@y"},
      {"lf\nonly", "lf only"},
      {"cr\ronly", "cr only"},
  };
  for (const auto& c : cases) EXPECT_EQ(StripCrLf(c.in), c.want) << c.in;
}

TEST(TextTest, PrintableReplacesControlsAndBadUtf8) {
  EXPECT_EQ(Printable("a\tb\x1b[31m"), "a b [31m");
  EXPECT_EQ(Printable("gr\xFC\xDF"), "gr??");
  EXPECT_EQ(Printable("Grüße"), "Grüße");
}

TEST(TextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("报价 شکایت"));
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_EQ(SanitizeUtf8("a\xFFz"), "a\xEF\xBF\xBDz");
}

TEST(TextTest, CaseInsensitiveHelpers) {
  EXPECT_TRUE(IEquals("Auto-Submitted", "auto-submitted"));
  EXPECT_FALSE(IEquals("Auto", "Autos"));
  EXPECT_EQ(IFind("Hello WORLD", "world"), 6u);
  EXPECT_EQ(IFind("Hello", "xyz"), std::string_view::npos);
  EXPECT_EQ(Trim("  x y \r\n"), "x y");
}

TEST(HashTest, KnownVectors) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace inboxd::core
