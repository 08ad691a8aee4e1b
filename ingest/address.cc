#include "ingest/address.h"

#include <string>

#include "core/text.h"
#include "ingest/rfc2047.h"

namespace inboxd::ingest {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// What one comma-separated element gathered.
struct Element {
  std::string display;  // text outside <> and comments, quotes removed
  std::string angle;    // text inside <>
  std::string comment;  // first comment
  bool had_angle = false;
  bool display_quoted = false;
};

// "MAILER-DAEMON", "postmaster": a local part written without a domain.
bool IsBareLocalPart(std::string_view s) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
              c == '+';
    if (!ok) return false;
  }
  return true;
}

// True when `s` has a letter or digit (ASCII or not): "((" is no name.
bool HasWordChar(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9')) {
      return true;
    }
  }
  return false;
}

std::string CollapseSpace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string CleanAddr(std::string_view a) {
  std::string out;
  out.reserve(a.size());
  for (char c : a) {
    if (!IsSpace(c) && c != '<' && c != '>') out += c;
  }
  // Obsolete route "@relay1,@relay2:local@domain" (RFC 5322 4.4).
  if (!out.empty() && out[0] == '@') {
    if (size_t colon = out.find(':'); colon != std::string::npos) {
      out.erase(0, colon + 1);
    }
  }
  if (core::IStartsWith(out, "mailto:")) out.erase(0, 7);
  while (!out.empty() && (out.back() == '.' || out.back() == ',' ||
                          out.back() == ';' || out.back() == '"')) {
    out.pop_back();
  }
  while (!out.empty() && (out.front() == '"' || out.front() == '\'')) {
    out.erase(0, 1);
  }
  return out;
}

void Emit(Element& e, std::vector<core::Address>* out,
          std::vector<core::Address>* name_only) {
  core::Address a;
  std::string display = std::string(core::Trim(e.display));
  if (e.had_angle) {
    a.addr = CleanAddr(e.angle);
    a.name = display.empty() ? std::string(core::Trim(e.comment)) : display;
  } else {
    // No brackets: the word with an '@' is the address, the rest the name.
    std::string_view d = display;
    size_t at = d.find('@');
    if (at != std::string_view::npos) {
      size_t b = at;
      while (b > 0 && !IsSpace(d[b - 1])) --b;
      size_t end = at;
      while (end < d.size() && !IsSpace(d[end])) ++end;
      a.addr = CleanAddr(d.substr(b, end - b));
      std::string rest = std::string(core::Trim(d.substr(0, b))) + " " +
                         std::string(core::Trim(d.substr(end)));
      a.name = std::string(core::Trim(rest));
      if (a.name.empty()) a.name = std::string(core::Trim(e.comment));
    } else if (!d.empty() && !e.display_quoted && IsBareLocalPart(d)) {
      a.addr = CleanAddr(d);  // "MAILER-DAEMON": a bare local part
      a.name = std::string(core::Trim(e.comment));
    } else {
      a.name = display.empty() ? std::string(core::Trim(e.comment)) : display;
    }
  }
  if (!a.name.empty()) a.name = CollapseSpace(DecodeHeaderText(a.name));
  if (!a.addr.empty()) {
    out->push_back(std::move(a));
  } else if (HasWordChar(a.name) && name_only->empty()) {
    name_only->push_back(std::move(a));
  }
  e = Element{};
}

}  // namespace

std::vector<core::Address> ParseAddressList(std::string_view raw) {
  std::vector<core::Address> out;
  std::vector<core::Address> name_only;
  Element e;
  bool in_angle = false;
  size_t i = 0;
  const size_t n = raw.size();
  while (i < n) {
    char c = raw[i];
    if (c == '"') {
      // Quoted string: part of the display name (or of a local part).
      ++i;
      std::string q;
      while (i < n && raw[i] != '"') {
        if (raw[i] == '\\' && i + 1 < n) ++i;
        q += raw[i];
        ++i;
      }
      if (i < n) ++i;
      if (in_angle) {
        e.angle += '"' + q + '"';
      } else {
        e.display += q;
        e.display_quoted = true;
      }
      continue;
    }
    if (c == '(' && !in_angle) {
      int depth = 0;
      size_t b = i;
      while (i < n) {
        if (raw[i] == '\\' && i + 1 < n) {
          i += 2;
          continue;
        }
        if (raw[i] == '(') ++depth;
        if (raw[i] == ')' && --depth == 0) break;
        ++i;
      }
      std::string_view body = raw.substr(b + 1, (i < n ? i : n) - b - 1);
      if (e.comment.empty()) e.comment = std::string(body);
      if (i < n) ++i;
      e.display += ' ';
      continue;
    }
    if (in_angle) {
      if (c == '>') {
        in_angle = false;
      } else {
        e.angle += c;
      }
      ++i;
      continue;
    }
    switch (c) {
      case '<':
        in_angle = true;
        e.had_angle = true;
        e.angle.clear();  // "<a> <b>": the last bracket wins
        break;
      case ',':
        Emit(e, &out, &name_only);
        break;
      case ';':
        Emit(e, &out, &name_only);  // end of a group
        break;
      case ':':
        if (e.display.find('@') == std::string::npos) {
          e = Element{};  // group name ("undisclosed-recipients:")
        } else {
          e.display += c;
        }
        break;
      default:
        e.display += c;
    }
    ++i;
  }
  Emit(e, &out, &name_only);
  if (out.empty() && !name_only.empty()) return name_only;
  return out;
}

core::Address ParseMailbox(std::string_view raw) {
  auto list = ParseAddressList(raw);
  if (list.empty()) return {};
  return std::move(list.front());
}

}  // namespace inboxd::ingest
