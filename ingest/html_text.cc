#include "ingest/html_text.h"

#include <array>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

struct Entity {
  std::string_view name;
  std::string_view utf8;
};
// The entities that actually occur in mail; the rest stay as written.
constexpr std::array kEntities = {
    Entity{"amp", "&"},         Entity{"lt", "<"},
    Entity{"gt", ">"},          Entity{"quot", "\""},
    Entity{"apos", "'"},        Entity{"nbsp", " "},
    Entity{"copy", "\u00A9"},   Entity{"reg", "\u00AE"},
    Entity{"trade", "\u2122"},  Entity{"euro", "\u20AC"},
    Entity{"pound", "\u00A3"},  Entity{"yen", "\u00A5"},
    Entity{"cent", "\u00A2"},   Entity{"sect", "\u00A7"},
    Entity{"deg", "\u00B0"},    Entity{"middot", "\u00B7"},
    Entity{"hellip", "\u2026"}, Entity{"mdash", "\u2014"},
    Entity{"ndash", "\u2013"},  Entity{"lsquo", "\u2018"},
    Entity{"rsquo", "\u2019"},  Entity{"ldquo", "\u201C"},
    Entity{"rdquo", "\u201D"},  Entity{"laquo", "\u00AB"},
    Entity{"raquo", "\u00BB"},  Entity{"bull", "\u2022"},
    Entity{"auml", "\u00E4"},   Entity{"ouml", "\u00F6"},
    Entity{"uuml", "\u00FC"},   Entity{"Auml", "\u00C4"},
    Entity{"Ouml", "\u00D6"},   Entity{"Uuml", "\u00DC"},
    Entity{"szlig", "\u00DF"},  Entity{"eacute", "\u00E9"},
    Entity{"egrave", "\u00E8"}, Entity{"agrave", "\u00E0"},
    Entity{"aacute", "\u00E1"}, Entity{"ccedil", "\u00E7"},
    Entity{"ntilde", "\u00F1"}, Entity{"oacute", "\u00F3"},
    Entity{"iacute", "\u00ED"}, Entity{"uacute", "\u00FA"},
    Entity{"zwnj", "\u200C"},   Entity{"zwj", "\u200D"},
    Entity{"shy", ""},
};

constexpr std::array<std::string_view, 24> kBlockTags = {
    "p",   "div", "br", "li",    "tr",      "h1",      "h2",     "h3",
    "h4",  "h5",  "h6", "ul",    "ol",      "table",   "hr",     "blockquote",
    "pre", "dt",  "dd", "title", "section", "article", "header", "footer"};

void AppendCodepoint(unsigned long cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *out += "\xEF\xBF\xBD";
  } else if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity at html[i] == '&'. Returns the bytes consumed (0 when
// it is not an entity we know; the '&' is then literal).
size_t DecodeEntity(std::string_view html, size_t i, std::string* out) {
  constexpr size_t kMaxEntity = 12;
  // A bounded look-ahead keeps many '&' without ';' linear.
  size_t semi = html.substr(i + 1, kMaxEntity).find(';');
  if (semi == std::string_view::npos) return 0;
  semi += i + 1;
  std::string_view body = html.substr(i + 1, semi - i - 1);
  if (body.size() >= 2 && body[0] == '#') {
    unsigned long cp = 0;
    bool hex = body[1] == 'x' || body[1] == 'X';
    std::string_view digits = body.substr(hex ? 2 : 1);
    if (digits.empty()) return 0;
    for (char c : digits) {
      int v;
      if (c >= '0' && c <= '9')
        v = c - '0';
      else if (hex && c >= 'a' && c <= 'f')
        v = c - 'a' + 10;
      else if (hex && c >= 'A' && c <= 'F')
        v = c - 'A' + 10;
      else
        return 0;
      cp = cp * (hex ? 16 : 10) + static_cast<unsigned long>(v);
      if (cp > 0x10FFFF) cp = 0x110000;
    }
    AppendCodepoint(cp, out);
    return semi - i + 1;
  }
  for (const Entity& e : kEntities) {
    if (body == e.name) {
      *out += e.utf8;
      return semi - i + 1;
    }
  }
  return 0;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  std::string out;
  out.reserve(html.size() / 2);
  bool pending_space = false;
  int pending_newlines = 0;
  // A block boundary is one line break however many tags meet there; only
  // repeated <br> make blank lines.
  auto emit_break = [&](bool br) {
    if (!out.empty()) {
      if (br && pending_newlines < 2) {
        ++pending_newlines;
      } else if (pending_newlines == 0) {
        pending_newlines = 1;
      }
    }
    pending_space = false;
  };
  auto before_text = [&] {
    if (pending_newlines > 0) {
      out.append(static_cast<size_t>(pending_newlines), '\n');
      pending_newlines = 0;
    } else if (pending_space && !out.empty()) {
      out += ' ';
    }
    pending_space = false;
  };
  const size_t n = html.size();
  size_t i = 0;
  while (i < n) {
    char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        size_t end = html.find("-->", i + 4);
        i = end == std::string_view::npos ? n : end + 3;
        continue;
      }
      size_t gt = html.find('>', i + 1);
      if (gt == std::string_view::npos) break;  // unterminated tag: drop rest
      std::string_view tag = html.substr(i + 1, gt - i - 1);
      bool closing = !tag.empty() && tag[0] == '/';
      if (closing) tag.remove_prefix(1);
      size_t name_end = 0;
      while (name_end < tag.size() && !IsSpace(tag[name_end]) &&
             tag[name_end] != '/' && tag[name_end] != '>') {
        ++name_end;
      }
      std::string name = core::AsciiLower(tag.substr(0, name_end));
      i = gt + 1;
      if (!closing && (name == "script" || name == "style" || name == "head")) {
        // Skip to the matching close tag (case-insensitive).
        std::string close = "</" + name;
        size_t end = core::IFind(html.substr(i), close);
        if (end == std::string_view::npos) {
          i = n;
        } else {
          size_t close_gt = html.find('>', i + end);
          i = close_gt == std::string_view::npos ? n : close_gt + 1;
        }
        continue;
      }
      for (std::string_view b : kBlockTags) {
        if (name == b) {
          emit_break(name == "br");
          break;
        }
      }
      if (name == "td" || name == "th") pending_space = true;
      continue;
    }
    if (IsSpace(c)) {
      pending_space = true;
      ++i;
      continue;
    }
    before_text();
    if (c == '&') {
      size_t used = DecodeEntity(html, i, &out);
      if (used > 0) {
        i += used;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace inboxd::ingest
