// language.h: the language of a message (issue 4 §6), as a short code
// ("en", "de", "zh", "fa", ...).
//
// Order: cld2 on the body text with quotes and signature stripped (plus the
// subject), when cld2 calls the result reliable and the text is long enough;
// then the Content-Language header; then a charset hint (gb2312/gbk/gb18030/
// big5 -> zh, iso-2022-jp/shift_jis/euc-jp -> ja, koi8-r -> ru, euc-kr/
// ks_c_5601-1987 -> ko; windows-1256 is Arabic or Persian, so it is used
// only to choose fa/ar when the Arabic-script text holds Persian letters);
// then the mailbox language. Never fails.
#pragma once

#include <string>
#include <string_view>

namespace inboxd::classify {

// Texts shorter than this many bytes are not trusted to cld2 alone
// (DEPS-FACTS 1.3.2: "Danke!" came out as unreliable English).
inline constexpr size_t kLanguageMinTextBytes = 24;
// At most this much text goes to cld2.
inline constexpr size_t kLanguageMaxTextBytes = 16 << 10;

struct LanguageResult {
  std::string code;    // "de"; never empty (falls back to the mailbox's)
  std::string source;  // "cld2", "content-language", "charset", "script",
                       // "mailbox"
};

// `text`: decoded body text already stripped of quotes and signature;
// `subject`: decoded subject; `content_language`/`charset` as in
// core::Message; `fallback`: the mailbox language ("en" when empty).
LanguageResult DetectLanguage(std::string_view text, std::string_view subject,
                              std::string_view content_language,
                              std::string_view charset,
                              std::string_view fallback);

}  // namespace inboxd::classify
