#include "ingest/rfc2047.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

TEST(Rfc2047Test, EncodedWords) {
  struct Case {
    std::string_view raw;
    std::string_view want;
  } cases[] = {
      {"=?UTF-8?B?R3LDtsOfZQ==?=", "Größe"},
      {"=?utf-8?q?Gr=C3=B6=C3=9Fe_aus_K=C3=B6ln?=", "Größe aus Köln"},
      {"=?ISO-8859-1?Q?caf=E9?= au lait", "café au lait"},
      {"=?GB2312?B?zcu/7snqx+s=?=", "退款申请"},
      // GBK-only character labelled GB2312 (U+9555).
      {"=?gb2312?B?6UY=?=", "镕"},
      {"=?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=", "こんにちは"},
      {"=?windows-1256?B?z9HO5sfTyiDe7ePK?=", "درخواست قيمت"},
      // Adjacent words separated by whitespace are joined...
      {"=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab"},
      {"=?UTF-8?Q?a?=\t =?UTF-8?Q?b?=", "ab"},
      // ...but text between them is kept.
      {"=?UTF-8?Q?a?= x =?UTF-8?Q?b?=", "a x b"},
      // A UTF-8 character split across two words.
      {"=?UTF-8?B?ww==?= =?UTF-8?B?pA==?=", "\xC3\xA4"},
      {"=?UTF-8?Q?=C3?= =?UTF-8?Q?=A4?=", "ä"},
      // Mixed with the GB2312 + UTF-8 subject from DEPS-FACTS 4.1.
      {"=?GB2312?B?zcu/7snqx+s=?= =?UTF-8?Q?und_R=C3=BCckerstattung?=",
       "退款申请und Rückerstattung"},
      // RFC 2231 language suffix in an encoded word.
      {"=?UTF-8*en?Q?hi?=", "hi"},
      // Malformed words are left as written.
      {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
      {"=?UTF-8?B?abc", "=?UTF-8?B?abc"},
      {"=??B?abc?=", "=??B?abc?="},
      {"no words here", "no words here"},
      {"", ""},
      // Unknown charset: bytes decoded by detection, never dropped.
      {"=?x-bogus?Q?abc?=", "abc"},
      // Raw ISO-2022-JP in a header, no encoded word.
      {"\x1B$B$3$s$K$A$O\x1B(B 41", "こんにちは 41"},
      // Raw 8-bit Latin-1 in a header.
      {"caf\xE9 cr\xE8me br\xFBl\xE9"
       "e",
       "café crème brûlée"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(DecodeHeaderText(c.raw), c.want) << c.raw;
  }
}

TEST(Rfc2047Test, HeaderParams) {
  struct Case {
    std::string_view raw;
    std::string_view value;
    std::string_view param;
    std::string_view want;  // "<absent>" when the parameter must be missing
  } cases[] = {
      {"text/plain; charset=utf-8", "text/plain", "charset", "utf-8"},
      {"text/plain; CHARSET=\"iso-8859-1\"", "text/plain", "charset",
       "iso-8859-1"},
      {"multipart/mixed;\tboundary=\"=_a;b\\\"c\"", "multipart/mixed",
       "boundary", "=_a;b\"c"},
      {"attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", "attachment",
       "filename", "€ rates.pdf"},
      {"attachment; filename*0*=utf-8''%C3%A4rger; filename*1=lich.txt",
       "attachment", "filename", "ärgerlich.txt"},
      // Sections out of order are sorted.
      {"attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "attachment",
       "filename", "ab.txt"},
      {"attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt", "attachment",
       "filename", "Grüße.txt"},
      // RFC 2047 inside a quoted parameter (Outlook, Gmail).
      {"attachment; filename=\"=?UTF-8?B?R3LDtsOfZS5wZGY=?=\"", "attachment",
       "filename", "Größe.pdf"},
      {"attachment; filename=\"=?GB2312?B?zcu/7snqx+s=?=.doc\"", "attachment",
       "filename", "退款申请.doc"},
      {"text/plain; (comment) charset=us-ascii", "text/plain", "charset",
       "us-ascii"},
      // Failing cases: garbage parameters are skipped.
      {"text/plain; junk; charset", "text/plain", "charset", "<absent>"},
      {"text/plain;;;", "text/plain", "charset", "<absent>"},
      {"multipart/mixed; boundary=", "multipart/mixed", "boundary", ""},
      {"x; a*zz=1", "x", "a", "<absent>"},
  };
  for (const auto& c : cases) {
    HeaderParams p = ParseHeaderParams(c.raw);
    EXPECT_EQ(p.value, c.value) << c.raw;
    const std::string* got = p.Get(c.param);
    if (c.want == "<absent>") {
      EXPECT_EQ(got, nullptr) << c.raw;
    } else {
      ASSERT_NE(got, nullptr) << c.raw;
      EXPECT_EQ(*got, c.want) << c.raw;
    }
  }
}

TEST(Rfc2047Test, Rfc2231Value) {
  EXPECT_EQ(DecodeRfc2231Value("utf-8''%E2%82%AC"), "€");
  EXPECT_EQ(DecodeRfc2231Value("us-ascii'en'plain"), "plain");
  EXPECT_EQ(DecodeRfc2231Value("no quotes %41"), "no quotes A");
  EXPECT_EQ(DecodeRfc2231Value("utf-8''bad%ZZ%4"), "bad%ZZ%4");
}

}  // namespace
}  // namespace inboxd::ingest
