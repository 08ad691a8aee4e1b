#include "classify/language.h"

// cld2's header uses FILE without including <cstdio> (DEPS-FACTS 1.3.2).
#include <cstdio>
// clang-format off
#include <cld2/public/compact_lang_det.h>
#include <cld2/internal/lang_script.h>
// clang-format on

#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {
namespace {

// "zh-Hant" -> "zh", "fa" -> "fa"; "" for unknown.
std::string ShortCode(CLD2::Language lang) {
  if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::TG_UNKNOWN_LANGUAGE) {
    return "";
  }
  std::string code = CLD2::LanguageCode(lang);
  size_t dash = code.find('-');
  if (dash != std::string::npos) code.resize(dash);
  if (code == "un" || code == "xxx") return "";
  return core::AsciiLower(code);
}

std::string FromCharset(std::string_view charset) {
  std::string c = core::AsciiLower(core::Trim(charset));
  if (c == "gb2312" || c == "gbk" || c == "gb18030" || c == "big5" ||
      c == "big5-hkscs" || c == "hz-gb-2312" || c == "euc-cn" || c == "cp936") {
    return "zh";
  }
  if (c == "iso-2022-jp" || c == "shift_jis" || c == "shift-jis" ||
      c == "sjis" || c == "euc-jp" || c == "cp932" || c == "windows-31j") {
    return "ja";
  }
  if (c == "koi8-r" || c == "koi8-u") return c == "koi8-u" ? "uk" : "ru";
  if (c == "euc-kr" || c == "ks_c_5601-1987" || c == "iso-2022-kr" ||
      c == "cp949") {
    return "ko";
  }
  if (c == "iso-8859-8" || c == "iso-8859-8-i" || c == "windows-1255") {
    return "he";
  }
  if (c == "tis-620" || c == "windows-874") return "th";
  return "";
}

// For Arabic script: Persian-only letters (پ چ ژ گ ی ک) mean fa.
std::string FromArabicScript(std::string_view text) {
  size_t arabic = 0, persian = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    unsigned char a = static_cast<unsigned char>(text[i]);
    unsigned char b = static_cast<unsigned char>(text[i + 1]);
    if (a == 0xD8 || a == 0xD9) ++arabic;
    if (a == 0xDA || a == 0xDB) {
      ++arabic;
      // U+067E پ (D9 BE) is below; U+0686 چ DA 86, U+0698 ژ DA 98,
      // U+06AF گ DA AF, U+06A9 ک DA A9, U+06CC ی DB 8C.
      if ((a == 0xDA && (b == 0x86 || b == 0x98 || b == 0xAF || b == 0xA9)) ||
          (a == 0xDB && b == 0x8C)) {
        ++persian;
      }
    }
    if (a == 0xD9 && b == 0xBE) ++persian;
  }
  if (arabic < 4) return "";
  return persian > 0 ? "fa" : "ar";
}

}  // namespace

LanguageResult DetectLanguage(std::string_view text, std::string_view subject,
                              std::string_view content_language,
                              std::string_view charset,
                              std::string_view fallback) {
  std::string sample(subject.substr(0, 400));
  sample += "\n";
  sample += Utf8Prefix(text, kLanguageMaxTextBytes);
  std::string clean = core::SanitizeUtf8(sample);

  if (core::Trim(text).size() + core::Trim(subject).size() >=
      kLanguageMinTextBytes) {
    bool reliable = false;
    CLD2::Language lang3[3];
    int percent3[3];
    int text_bytes = 0;
    CLD2::Language lang = CLD2::DetectLanguageSummary(
        clean.data(), static_cast<int>(clean.size()), /*is_plain_text=*/true,
        lang3, percent3, &text_bytes, &reliable);
    std::string code = ShortCode(lang);
    if (reliable && !code.empty()) {
      // cld2 does not tell Persian written with Arabic letters from Arabic
      // well when the text came through windows-1256: check the letters.
      if (code == "ar" || code == "fa") {
        std::string script = FromArabicScript(clean);
        if (!script.empty()) code = script;
      }
      return {code, "cld2"};
    }
  }
  if (!content_language.empty()) {
    std::string c = core::AsciiLower(core::Trim(content_language));
    size_t cut = c.find_first_of(",;- _");
    if (cut != std::string::npos) c.resize(cut);
    if (c.size() >= 2 && c.size() <= 3) return {c, "content-language"};
  }
  if (std::string c = FromCharset(charset); !c.empty()) return {c, "charset"};
  if (std::string s = FromArabicScript(clean); !s.empty()) {
    return {s, "script"};
  }
  return {fallback.empty() ? "en" : std::string(fallback), "mailbox"};
}

}  // namespace inboxd::classify
