#include "classify/text_norm.h"

#include <gtest/gtest.h>

namespace inboxd::classify {
namespace {

TEST(TextNorm, NormalizePersian) {
  // Arabic yeh and kaf (as decoded from windows-1256) become Persian letters.
  EXPECT_EQ(NormalizePersian("فارسي"), "فارسی");
  EXPECT_EQ(NormalizePersian("شكايت"), "شکایت");
  EXPECT_EQ(NormalizePersian("plain ascii"), "plain ascii");
  EXPECT_EQ(NormalizePersian("شکایت"), "شکایت");  // already Persian
}

TEST(TextNorm, StripQuoted) {
  struct Case {
    const char* name;
    const char* in;
    const char* want;
  } cases[] = {
      {"gmail",
       "Thanks!\n\nOn Tue, Apr 3, 2012 at 4:55 PM, Bob <b@x.com> wrote:\n> I "
       "am out of the office\n",
       "Thanks!\n"},
      {"gmail wrapped",
       "Ok\nOn Tue, Apr 3, 2012 at 4:55 PM, Megan One <\nxxx@gmail.com> "
       "wrote:\nold text\n",
       "Ok\n"},
      {"outlook",
       "See below\n-----Original Message-----\nFrom: a\nI am out of the "
       "office\n",
       "See below\n"},
      {"outlook header block",
       "Yes\n\nFrom: Support <s@x>\nSent: Monday\nSubject: x\n\nold\n",
       "Yes\n\n"},
      {"german", "Danke\nAm 12.03.2024 um 10:00 schrieb Max <m@x.de>:\n> alt\n",
       "Danke\n"},
      {"french", "Merci\nLe 3 avr. 2012 à 16:55, Bob a écrit :\nvieux\n",
       "Merci\n"},
      {"chinese", "好的\n在 2024年3月12日，张三 写道：\n旧\n", "好的\n"},
      {"quote lines only dropped", "a\n> b\nc\n", "a\nc\n"},
      {"no quote", "plain\ntext\n", "plain\ntext\n"},
      {"only quote keeps unquoted", "On Mon, X wrote:\nbody\n",
       "On Mon, X wrote:\nbody\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(StripQuoted(c.in), c.want) << c.name;
  }
}

TEST(TextNorm, StripSignatureAndHead) {
  EXPECT_EQ(StripSignature("hi\n-- \nBob\n"), "hi\n");
  EXPECT_EQ(StripSignature("hi\n--\nBob\n"), "hi\n--\nBob\n");  // not "-- "
  EXPECT_EQ(BodyHead("\n\n  one  \n\ntwo\nthree\nfour\nfive\nsix\n"),
            "one\ntwo\nthree\nfour\nfive");
  std::string long_line(3000, 'x');
  EXPECT_EQ(BodyHead(long_line).size(), kBodyHeadBytes);
}

TEST(TextNorm, Utf8PrefixDoesNotSplit) {
  std::string s = "ab\xE4\xB8\xAD";  // "ab中"
  EXPECT_EQ(Utf8Prefix(s, 3), "ab");
  EXPECT_EQ(Utf8Prefix(s, 5), s);
  EXPECT_EQ(Utf8Prefix(s, 2), "ab");
}

}  // namespace
}  // namespace inboxd::classify
