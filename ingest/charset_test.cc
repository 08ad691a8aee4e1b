#include "ingest/charset.h"

#include <gtest/gtest.h>

namespace inboxd::ingest {
namespace {

TEST(CharsetTest, CanonicalLabels) {
  struct Case {
    std::string_view label;
    std::string_view want;
  } cases[] = {
      {"UTF-8", "UTF-8"},
      {"utf8", "UTF-8"},
      {" \"gb2312\" ", "GB18030"},
      {"GBK", "GB18030"},
      {"x-gbk", "GB18030"},
      {"ks_c_5601-1987", "CP949"},
      {"latin1", "WINDOWS-1252"},
      {"ISO-8859-1", "WINDOWS-1252"},
      {"windows-1256", "WINDOWS-1256"},
      {"cp1256", "WINDOWS-1256"},
      {"x-cp1251", "WINDOWS-1251"},
      {"iso-2022-jp", "ISO-2022-JP"},
      {"unknown-8bit", ""},
      {"x-unknown", ""},
      {"", ""},
      // Failing cases: not a charset name, or an iconv suffix injection.
      {"_iso-2022-jp$esc", "?"},
      {"utf-8//TRANSLIT", "?"},
      {"a b", "?"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CanonicalCharset(c.label), c.want) << c.label;
  }
}

TEST(CharsetTest, ToUtf8Table) {
  struct Case {
    std::string_view label;
    std::string_view bytes;
    std::string_view want;  // "" with ok=false: an error is expected
    bool ok;
    size_t invalid;
  } cases[] = {
      {"utf-8",
       "Gr\xC3\xB6\xC3\x9F"
       "e",
       "Größe", true, 0},
      {"iso-8859-1",
       "Gr\xFC\xDF"
       "e",
       "Grüße", true, 0},
      {"gb2312", "\xC4\xE3\xBA\xC3", "你好", true, 0},
      // U+9555 exists only in GBK; iconv's GB2312 rejects it (DEPS-FACTS).
      {"gb2312",
       "\xE9"
       "F",
       "镕", true, 0},
      {"ks_c_5601-1987", "\xC7\xD1\xB1\xB9\xBE\xEE", "한국어", true, 0},
      {"iso-2022-jp", "\x1B$B$3$s$K$A$O\x1B(B", "こんにちは", true, 0},
      // Persian in windows-1256 decodes to Arabic yeh (U+064A).
      {"windows-1256", "\xCF\xD1\xCE\xE6\xC7\xD3\xCA \xDE\xED\xE3\xCA",
       "درخواست قيمت", true, 0},
      // Invalid bytes are replaced, not fatal.
      {"utf-8",
       "a\xFF"
       "b",
       "a\xEF\xBF\xBD"
       "b",
       true, 1},
      {"gb2312", "\xC4\xE3\xFF", "你\xEF\xBF\xBD", true, 1},
      // Failing cases.
      {"x-no-such-charset", "abc", "", false, 0},
      {"unknown-8bit", "abc", "", false, 0},
      {"utf-8//IGNORE", "abc", "", false, 0},
  };
  for (const auto& c : cases) {
    size_t invalid = 99;
    auto got = ToUtf8(c.bytes, c.label, &invalid);
    ASSERT_EQ(got.has_value(), c.ok) << c.label << " " << c.want;
    if (!c.ok) {
      EXPECT_EQ(got.error().code, core::Code::kInvalidArgument);
      continue;
    }
    EXPECT_EQ(*got, c.want) << c.label;
    EXPECT_EQ(invalid, c.invalid) << c.label;
  }
}

TEST(CharsetTest, DetectCharset) {
  // A realistic sentence is needed; uchardet is unreliable on a few bytes.
  const std::string_view gb =
      "\xC4\xFA\xBA\xC3\xA3\xAC\xCE\xD2\xCF\xEB\xC9\xEA\xC7\xEB\xCD\xCB\xBF\xEE"
      "\xA3\xAC\xD2\xF2\xCE\xAA\xB2\xFA\xC6\xB7\xD6\xCA\xC1\xBF\xD3\xD0\xCE\xCA"
      "\xCC\xE2\xA1\xA3\xC7\xEB\xBE\xA1\xBF\xEC\xB4\xA6\xC0\xED\xCE\xD2\xB5\xC4"
      "\xC7\xEB\xC7\xF3\xA3\xAC\xD0\xBB\xD0\xBB\xA1\xA3";
  const std::string_view fa =
      "\xD3\xE1\xC7\xE3\xA1 \xE1\xD8\xDD\xC7 \xD3\xDD\xC7\xD1\xD4 \xE3\xE4 "
      "\xD1\xC7 \xC8\xD1\xD1\xD3\xED \xDF\xE4\xED\xCF. \xC8\xC7 "
      "\xCA\xD4\xDF\xD1 "
      "\xC7\xD2 \xD4\xE3\xC7. \xE3\xC7 \xE3\xE4\xCA\xD9\xD1 \x81\xC7\xD3\xCE "
      "\xD4\xE3\xC7 \xE5\xD3\xCA\xED\xE3 \xE6 \xC7\xD2 "
      "\xE5\xE3\xDF\xC7\xD1\xED "
      "\xD4\xE3\xC7 \xD3\x81\xC7\xD3\x90\xD2\xC7\xD1\xED\xE3.";
  EXPECT_EQ(DetectCharset(gb), "GB18030");
  EXPECT_EQ(DetectCharset(fa), "WINDOWS-1256");
  EXPECT_EQ(DetectCharset("plain ascii"), "UTF-8");
  EXPECT_EQ(DetectCharset("Gr\xC3\xB6\xC3\x9F"
                          "e"),
            "UTF-8");
  EXPECT_EQ(DetectCharset(""), "UTF-8");

  // Undeclared and wrongly declared text falls back to detection.
  std::string used;
  std::string text = DecodeToUtf8(gb, "", &used);
  EXPECT_EQ(used, "GB18030");
  EXPECT_TRUE(text.starts_with("您好，我想申请退款")) << text;
  text = DecodeToUtf8(gb, "x-bogus", &used);
  EXPECT_EQ(used, "GB18030");
  text = DecodeToUtf8(fa, "utf-8", &used);  // declared UTF-8, is cp1256
  EXPECT_EQ(used, "WINDOWS-1256");
  EXPECT_TRUE(text.starts_with("سلام")) << text;
  // Declared correctly: no detection.
  EXPECT_EQ(DecodeToUtf8("caf\xE9", "iso-8859-1", &used), "café");
  EXPECT_EQ(used, "WINDOWS-1252");
}

}  // namespace
}  // namespace inboxd::ingest
