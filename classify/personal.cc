#include "classify/personal.h"

#include <vector>

#include "core/text.h"

namespace inboxd::classify {
namespace {

// Greeting words that open a letter (en, de, fr, es, zh, fa). Matched
// case-insensitively at the start of the line.
constexpr std::string_view kGreetings[] = {
    "hi",           "hello",        "hey",
    "dear",         "good morning", "good afternoon",
    "good evening", "morning",      "hallo",
    "liebe",        "lieber",       "sehr geehrte",
    "guten tag",    "guten morgen", "guten abend",
    "moin",         "servus",       "grüß",
    "bonjour",      "salut",        "hola",
    "亲爱的",       "尊敬的",       "親愛的",
    "سلام",         "درود",         "با سلام",
    "جناب",         "سرکار",        "عزیز"};

// Titles before a last name.
constexpr std::string_view kTitles[] = {"mr",  "mr.", "mrs",  "mrs.", "ms",
                                        "ms.", "dr",  "dr.",  "frau", "herr",
                                        "mme", "m.",  "آقای", "خانم", "دکتر"};

bool IsAsciiAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// True when `needle` occurs in `hay` (ASCII case-insensitive) with no ASCII
// letter or digit right before or after it (a name is a whole word; CJK and
// Persian text needs no spaces around it). Sets *pos to the first match.
bool FindWord(std::string_view hay, std::string_view needle, size_t* pos) {
  if (needle.empty()) return false;
  size_t from = 0;
  while (from <= hay.size()) {
    size_t p = core::IFind(hay.substr(from), needle);
    if (p == std::string_view::npos) return false;
    p += from;
    size_t end = p + needle.size();
    bool left_ok =
        p == 0 || !IsAsciiAlnum(static_cast<unsigned char>(hay[p - 1]));
    bool right_ok = end >= hay.size() ||
                    !IsAsciiAlnum(static_cast<unsigned char>(hay[end]));
    if (left_ok && right_ok) {
      *pos = p;
      return true;
    }
    from = p + 1;
  }
  return false;
}

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> out;
  for (std::string_view w : core::Split(core::Trim(s), ' ')) {
    w = core::Trim(w);
    if (!w.empty()) out.push_back(w);
  }
  return out;
}

bool SameAddress(std::string_view a, std::string_view b) {
  return !a.empty() && core::IEquals(core::Trim(a), core::Trim(b));
}

}  // namespace

bool GreetsName(std::string_view line, std::string_view name) {
  line = core::Trim(line);
  name = core::Trim(name);
  if (line.empty() || name.empty() || line.size() > kGreetingLineMax) {
    return false;
  }
  size_t pos = 0;
  if (!FindWord(line, name, &pos)) return false;
  if (pos == 0) return true;
  for (std::string_view g : kGreetings) {
    if (core::IStartsWith(line, g)) return true;
  }
  for (std::string_view mark : {",", ":", "!", "،", "：", "！", "，"}) {
    if (line.ends_with(mark)) return true;
  }
  return false;
}

std::optional<AddressedAgent> FindAddressedAgent(const core::Message& msg,
                                                 std::string_view body_head,
                                                 const config::Config& config) {
  for (const auto* list : {&msg.to, &msg.cc}) {
    for (const core::Address& a : *list) {
      for (const config::Agent& agent : config.agents) {
        if (SameAddress(a.addr, agent.address)) {
          return AddressedAgent{&agent, (list == &msg.to ? "To: " : "Cc: ") +
                                            core::Printable(agent.address)};
        }
      }
    }
  }
  std::string_view first = body_head.substr(0, body_head.find('\n'));
  first = core::Trim(first);
  if (first.empty() || first.size() > kGreetingLineMax) return std::nullopt;
  for (const config::Agent& agent : config.agents) {
    std::vector<std::string> names = agent.greeting_names;
    names.push_back(agent.name);
    std::vector<std::string_view> words = Words(agent.name);
    if (!words.empty()) names.emplace_back(words.front());
    if (words.size() > 1) {
      for (std::string_view t : kTitles) {
        names.push_back(std::string(t) + " " + std::string(words.back()));
      }
    }
    for (const std::string& n : names) {
      // A one-letter "name" would greet everyone.
      if (core::Trim(n).size() < 2) continue;
      if (GreetsName(first, n)) {
        return AddressedAgent{&agent, "greeting \"" +
                                          core::Printable(first.substr(0, 60)) +
                                          "\" names " + agent.address};
      }
    }
  }
  return std::nullopt;
}

}  // namespace inboxd::classify
