// forbidden_phrases.cc: see forbidden_phrases.h.
#include "classify/forbidden_phrases.h"

#include <algorithm>

#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {
namespace {

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Lower-cases ASCII, folds Persian yeh/kaf, drops ZWNJ, turns U+2019 into
// an apostrophe and collapses every run of white space into one space.
std::string FoldForMatch(std::string_view s) {
  std::string persian = NormalizePersian(s);
  std::string out;
  out.reserve(persian.size());
  bool space = false;
  for (size_t i = 0; i < persian.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(persian[i]);
    if (c == 0xE2 && i + 2 < persian.size() &&
        static_cast<unsigned char>(persian[i + 1]) == 0x80) {
      unsigned char d = static_cast<unsigned char>(persian[i + 2]);
      if (d == 0x8C) {  // U+200C ZERO WIDTH NON-JOINER
        i += 2;
        continue;
      }
      if (d == 0x99) {  // U+2019 RIGHT SINGLE QUOTATION MARK
        i += 2;
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back('\'');
        continue;
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
        c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(core::AsciiLower(static_cast<char>(c)));
  }
  return out;
}

bool ContainsPhrase(std::string_view text, std::string_view phrase) {
  if (phrase.empty()) return false;
  const bool word_start = IsWordByte(phrase.front());
  const bool word_end = IsWordByte(phrase.back());
  for (size_t pos = text.find(phrase); pos != std::string_view::npos;
       pos = text.find(phrase, pos + 1)) {
    if (word_start && pos > 0 && IsWordByte(text[pos - 1])) continue;
    size_t end = pos + phrase.size();
    if (word_end && end < text.size() && IsWordByte(text[end])) continue;
    return true;
  }
  return false;
}

}  // namespace

const std::vector<std::string>& BuiltinForbiddenPhrases() {
  static const std::vector<std::string> v = {
      // zh: 003 §5 (verbatim).
      "我们不管", "跟我们没关系", "没办法解决", "随便", "不清楚", "不知道",
      // en equivalents.
      "not our problem", "not our business", "nothing to do with us",
      "cannot be solved", "can't be solved", "whatever", "i don't know",
      "we don't know", "no idea", "i do not know", "we do not know",
      // "unclear" (不清楚) said of the matter itself, not the customer's
      // "if anything is unclear, ask us".
      "unclear to us", "not clear to us", "it is unclear to me",
      // de equivalents.
      "nicht unser problem", "nicht unsere sache", "nichts mit uns zu tun",
      "nicht lösbar", "kann nicht gelöst werden", "keine ahnung",
      "weiß ich nicht", "wissen wir nicht", "ist uns egal", "ist mir egal",
      "ich weiß es nicht", "wir wissen es nicht", "ist uns unklar",
      "ist mir unklar", "ist uns nicht klar", "ist mir nicht klar",
      // fa equivalents (matched after ZWNJ removal and yeh/kaf folding).
      "به ما مربوط نیست", "ربطی به ما ندارد", "قابل حل نیست",
      "راهی برای حل وجود ندارد", "هر چی", "فرقی نمی‌کند",
      "نمی‌دانم", "نمی‌دانیم", "اطلاعی ندارم",
      "اطلاعی نداریم", "برای ما روشن نیست", "برای ما مشخص نیست",
      "برای من روشن نیست",
      // fa word orders and spoken forms agents write in quick replies.
      "به ما ربطی ندارد", "به ما مربوط نمی‌شود",
      "نمی‌دونم", "نمی‌دونیم", "حل‌شدنی نیست",
      "ایده‌ای نداریم"};
  return v;
}

std::vector<std::string> AgentReplyForbiddenPhrases(
    const config::Config& config) {
  std::vector<std::string> out;
  auto add = [&out](std::string_view p) {
    std::string t(core::Trim(p));
    if (t.empty()) return;
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  for (const std::string& p : BuiltinForbiddenPhrases()) add(p);
  for (const std::string& p : config.templates.forbidden_phrases) add(p);
  return out;
}

std::vector<std::string> FindForbiddenPhrases(
    std::string_view text, const std::vector<std::string>& phrases) {
  std::string written = StripSignature(StripQuoted(text));
  std::string folded = FoldForMatch(Utf8Prefix(written, kAgentReplyScanBytes));
  std::vector<std::string> found;
  for (const std::string& p : phrases) {
    std::string fp = FoldForMatch(p);
    if (ContainsPhrase(folded, fp) &&
        std::find(found.begin(), found.end(), p) == found.end()) {
      found.push_back(p);
    }
  }
  return found;
}

}  // namespace inboxd::classify
