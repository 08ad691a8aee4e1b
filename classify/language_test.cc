#include "classify/language.h"

#include <gtest/gtest.h>

namespace inboxd::classify {
namespace {

TEST(Language, Detects) {
  struct Case {
    const char* name;
    const char* text;
    const char* subject;
    const char* content_language;
    const char* charset;
    const char* fallback;
    const char* want;
    const char* source;
  } cases[] = {
      {"german",
       "Sehr geehrte Damen und Herren, bitte senden Sie mir ein Angebot für "
       "zwanzig Drucker und die passenden Kartuschen.",
       "Anfrage", "", "utf-8", "en", "de", "cld2"},
      {"chinese",
       "您好，我们公司想采购一批打印机，请尽快给我们报价，谢谢。我们需要二十台"
       "，下个月交货。",
       "询价", "", "utf-8", "en", "zh", "cld2"},
      {"persian",
       "سلام، لطفا برای بیست دستگاه چاپگر پیش فاکتور و قیمت ارسال کنید. با "
       "تشکر از همکاری شما",
       "درخواست قیمت", "", "utf-8", "en", "fa", "cld2"},
      {"persian via windows-1256 (arabic yeh)",
       "سلام، لطفا براي بيست دستگاه چاپگر پيش فاكتور و قيمت ارسال كنيد. با "
       "تشكر از همكاري شما",
       "", "", "windows-1256", "en", "fa", "cld2"},
      {"english",
       "Hello, my printer stopped working yesterday and shows an error message "
       "on start.",
       "Printer", "", "us-ascii", "de", "en", "cld2"},
      {"short text uses content-language", "Danke!", "", "de-DE", "utf-8", "en",
       "de", "content-language"},
      {"short text uses charset", "OK", "", "", "GB2312", "en", "zh",
       "charset"},
      {"iso-2022-jp charset", "test", "", "", "ISO-2022-JP", "en", "ja",
       "charset"},
      {"koi8-r charset", "ok", "", "", "koi8-r", "en", "ru", "charset"},
      {"windows-1256 alone is not a language", "ok", "", "", "windows-1256",
       "de", "de", "mailbox"},
      {"mailbox fallback", "ok", "", "", "utf-8", "fa", "fa", "mailbox"},
      {"empty fallback is en", "", "", "", "", "", "en", "mailbox"},
  };
  for (const auto& c : cases) {
    LanguageResult r = DetectLanguage(c.text, c.subject, c.content_language,
                                      c.charset, c.fallback);
    EXPECT_EQ(r.code, c.want) << c.name;
    EXPECT_EQ(r.source, c.source) << c.name;
  }
}

TEST(Language, InvalidUtf8DoesNotCrash) {
  std::string bad = "\xff\xfe\xfd text that is not valid utf-8 \xc3";
  LanguageResult r = DetectLanguage(bad + bad + bad, "", "", "", "en");
  EXPECT_FALSE(r.code.empty());
}

}  // namespace
}  // namespace inboxd::classify
