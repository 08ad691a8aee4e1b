#include "classify/text_norm.h"

#include <re2/re2.h>

#include <vector>

#include "core/text.h"

namespace inboxd::classify {
namespace {

// A line that starts the quoted original in a reply, per mail client.
// Multi-line forms ("On ...\n... wrote:") are joined before matching.
const re2::RE2& ReplyHeaderLine() {
  static const re2::RE2 re(
      "(?i)^\\s*(?:"
      "-{2,}\\s*original message\\s*-{2,}"  // Outlook, Lotus
      "|-{2,}\\s*(?:ursprüngliche nachricht|message d'origine|mensaje "
      "original|messaggio originale|oorspronkelijk bericht|mensagem "
      "original|原始邮件|原始郵件|исходное сообщение|پیام اصلی)\\s*-{2,}"
      "|_{10,}"                        // Outlook web separator
      "|(?:-+\\s*)?on\\s.*\\swrote:?"  // Gmail, Apple, Yahoo
      "|am\\s.*\\sschrieb.*:"          // German clients
      "|le\\s.*\\sa écrit\\s?:"        // French
      "|el\\s.*\\sescribió:"           // Spanish
      "|il\\s.*\\sha scritto:"         // Italian
      "|op\\s.*\\sschreef.*:"          // Dutch
      "|em\\s.*\\sescreveu:"           // Portuguese
      "|在.*写道[:：]?"                // Chinese (simplified)
      "|.*於.*寫道[:：]?"              // Chinese (traditional)
      "|.*\\sнаписал[а]?:"             // Russian
      "|.*\\sنوشت[:：]?"               // Persian
      ")\\s*$");
  return re;
}

// Outlook-style header block of the quoted original: "From:" followed within
// a few lines by "Sent:"/"Date:" (and translations).
const re2::RE2& OutlookFromLine() {
  static const re2::RE2 re(
      "(?i)^\\s*\\*?(from|von|de|da|van|发件人|寄件者|от|از)\\s*\\*?\\s*[:：]");
  return re;
}
const re2::RE2& OutlookSentLine() {
  static const re2::RE2 re(
      "(?i)^\\s*\\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|"
      "verzonden|发送时间|寄件日期|отправлено|تاریخ)\\s*\\*?\\s*[:：]");
  return re;
}

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) {
      if (start < text.size()) out.push_back(text.substr(start));
      break;
    }
    std::string_view line = text.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    start = nl + 1;
  }
  return out;
}

bool IsQuoteLine(std::string_view line) {
  std::string_view t = core::Trim(line);
  return !t.empty() && t.front() == '>';
}

}  // namespace

std::string_view Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max;
  // Step back over continuation bytes so no sequence is split.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

std::string NormalizePersian(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xD9 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[i + 1]);
      if (d == 0x8A || d == 0x89) {  // U+064A yeh, U+0649 alef maksura
        out += "\xDB\x8C";           // U+06CC
        ++i;
        continue;
      }
      if (d == 0x83) {      // U+0643 kaf
        out += "\xDA\xA9";  // U+06A9
        ++i;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  return out;
}

std::string StripQuoted(std::string_view text) {
  std::vector<std::string_view> lines = Lines(text);
  std::string kept;
  std::string unquoted_all;  // fallback: every non-'>' line
  bool cut = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (IsQuoteLine(line)) continue;
    if (!cut) {
      // Join up to three lines: clients wrap "On <date>, <name> <addr>\n
      // wrote:" over two or three lines.
      std::string joined(line);
      bool header = re2::RE2::FullMatch(joined, ReplyHeaderLine());
      for (size_t k = 1; !header && k <= 2 && i + k < lines.size(); ++k) {
        joined += ' ';
        joined += lines[i + k];
        if (joined.size() > 600) break;
        header = re2::RE2::FullMatch(joined, ReplyHeaderLine());
      }
      if (!header && re2::RE2::PartialMatch(line, OutlookFromLine())) {
        for (size_t k = 1; k <= 4 && i + k < lines.size(); ++k) {
          if (re2::RE2::PartialMatch(lines[i + k], OutlookSentLine())) {
            header = true;
            break;
          }
        }
      }
      if (header) cut = true;
    }
    if (!cut) {
      kept.append(line);
      kept.push_back('\n');
    }
    unquoted_all.append(line);
    unquoted_all.push_back('\n');
  }
  if (core::Trim(kept).empty()) return unquoted_all;
  return kept;
}

std::string StripSignature(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line == "-- ") return std::string(text.substr(0, pos));
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  return std::string(text);
}

std::string BodyHead(std::string_view text) {
  std::string out;
  size_t n = 0;
  for (std::string_view line : Lines(text)) {
    std::string_view t = core::Trim(line);
    if (t.empty()) continue;
    if (!out.empty()) out.push_back('\n');
    out.append(t);
    if (++n == kBodyHeadLines || out.size() >= kBodyHeadBytes) break;
  }
  return std::string(Utf8Prefix(out, kBodyHeadBytes));
}

}  // namespace inboxd::classify
