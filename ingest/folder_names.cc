#include "ingest/folder_names.h"

#include <array>
#include <cstdint>

#include "core/text.h"

namespace inboxd::ingest {

namespace {

// RFC 3501 5.1.3: base64 with ',' for '/', no padding.
constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int B64Value(char c) {
  size_t at = kB64.find(c);
  return at == std::string_view::npos ? -1 : static_cast<int>(at);
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 code point at `s[*i]`, advancing *i; nullopt if bad.
std::optional<uint32_t> NextCodePoint(std::string_view s, size_t* i) {
  const auto b = static_cast<unsigned char>(s[*i]);
  int len = b < 0x80         ? 1
            : (b >> 5) == 6  ? 2
            : (b >> 4) == 14 ? 3
            : (b >> 3) == 30 ? 4
                             : 0;
  if (len == 0 || *i + len > s.size()) return std::nullopt;
  uint32_t cp = len == 1 ? b : b & (0x7F >> len);
  for (int k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[*i + k]);
    if ((c & 0xC0) != 0x80) return std::nullopt;
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr std::array<uint32_t, 5> kMin = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return std::nullopt;
  }
  *i += len;
  return cp;
}

bool Printable(unsigned char c) { return c >= 0x20 && c <= 0x7E; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Sent folders by the names mail clients and servers give them.
constexpr std::array<std::string_view, 12> kSentNames = {
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "Gesendete Elemente",
    "Gesendete Objekte",
    "Gesendet",
    "已发送",
    "已发送邮件",
    "ارسال شده",
};

}  // namespace

std::optional<std::string> EncodeModifiedUtf7(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> run;  // UTF-16 units of the pending non-ASCII run
  auto flush = [&] {
    if (run.empty()) return;
    out.push_back('&');
    uint32_t acc = 0;
    int bits = 0;
    for (uint16_t u : run) {
      acc = (acc << 16) | u;
      bits += 16;
      while (bits >= 6) {
        bits -= 6;
        out.push_back(kB64[(acc >> bits) & 0x3F]);
      }
    }
    if (bits > 0) out.push_back(kB64[(acc << (6 - bits)) & 0x3F]);
    out.push_back('-');
    run.clear();
  };
  for (size_t i = 0; i < utf8.size();) {
    auto cp = NextCodePoint(utf8, &i);
    if (!cp) return std::nullopt;
    if (*cp < 0x80 && Printable(static_cast<unsigned char>(*cp))) {
      flush();
      out.push_back(static_cast<char>(*cp));
      if (*cp == '&') out.push_back('-');
      continue;
    }
    if (*cp >= 0x10000) {
      uint32_t v = *cp - 0x10000;
      run.push_back(static_cast<uint16_t>(0xD800 | (v >> 10)));
      run.push_back(static_cast<uint16_t>(0xDC00 | (v & 0x3FF)));
    } else {
      run.push_back(static_cast<uint16_t>(*cp));
    }
  }
  flush();
  return out;
}

std::string DecodeModifiedUtf7(std::string_view wire) {
  std::string out;
  for (size_t i = 0; i < wire.size(); ++i) {
    const char c = wire[i];
    if (!Printable(static_cast<unsigned char>(c))) return std::string(wire);
    if (c != '&') {
      out.push_back(c);
      continue;
    }
    size_t end = wire.find('-', i + 1);
    if (end == std::string_view::npos) return std::string(wire);
    if (end == i + 1) {  // "&-" is '&'
      out.push_back('&');
      i = end;
      continue;
    }
    uint32_t acc = 0;
    int bits = 0;
    std::vector<uint16_t> units;
    for (size_t k = i + 1; k < end; ++k) {
      int v = B64Value(wire[k]);
      if (v < 0) return std::string(wire);
      acc = (acc << 6) | static_cast<uint32_t>(v);
      bits += 6;
      if (bits >= 16) {
        bits -= 16;
        units.push_back(static_cast<uint16_t>((acc >> bits) & 0xFFFF));
      }
    }
    for (size_t k = 0; k < units.size(); ++k) {
      uint32_t u = units[k];
      if (u >= 0xD800 && u <= 0xDBFF && k + 1 < units.size() &&
          units[k + 1] >= 0xDC00 && units[k + 1] <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (units[k + 1] - 0xDC00);
        ++k;
      } else if (u >= 0xD800 && u <= 0xDFFF) {
        return std::string(wire);
      }
      AppendUtf8(u, &out);
    }
    i = end;
  }
  return out;
}

core::Result<FolderChoice> ResolveFolder(std::string_view configured,
                                         FolderRole role,
                                         const std::vector<FolderInfo>& list,
                                         const NamespaceInfo& personal) {
  auto selectable = [&](std::string_view wire) -> const FolderInfo* {
    for (const auto& f : list) {
      if (f.name == wire && !f.no_select) return &f;
    }
    return nullptr;
  };
  const bool sent = role == FolderRole::kSent;
  if (Lower(configured) == "inbox") return FolderChoice{"INBOX", "INBOX"};
  std::optional<std::string> wire;
  if (!configured.empty()) {
    wire = EncodeModifiedUtf7(configured);
    if (!wire) {
      return core::Fail(core::Error::InvalidArgument(
          "folder name \"" + core::Printable(configured) +
          "\" is not valid UTF-8"));
    }
    if (selectable(*wire)) return FolderChoice{*wire, "as configured"};
    if (!personal.prefix.empty() && !wire->starts_with(personal.prefix)) {
      std::string under = personal.prefix + *wire;
      if (personal.delimiter != '/') {
        for (size_t k = personal.prefix.size(); k < under.size(); ++k) {
          if (under[k] == '/') under[k] = personal.delimiter;
        }
      }
      if (selectable(under)) {
        return FolderChoice{
            under, "in the personal namespace \"" + personal.prefix + "\""};
      }
    }
  }
  if (sent) {
    for (const auto& f : list) {
      if (f.is_sent && !f.no_select) {
        return FolderChoice{f.name, "the \\Sent SPECIAL-USE folder"};
      }
    }
    for (std::string_view known : kSentNames) {
      for (const auto& f : list) {
        if (f.no_select) continue;
        std::string shown = DecodeModifiedUtf7(f.name);
        std::string bare =
            !personal.prefix.empty() && shown.starts_with(personal.prefix)
                ? shown.substr(personal.prefix.size())
                : shown;
        if (Lower(bare) == Lower(known)) {
          return FolderChoice{f.name, "a usual name of the Sent folder"};
        }
      }
    }
  }
  if (!configured.empty()) {
    const FolderInfo* hit = nullptr;
    int hits = 0;
    for (const auto& f : list) {
      if (f.no_select) continue;
      if (Lower(DecodeModifiedUtf7(f.name)) == Lower(configured)) {
        hit = &f;
        ++hits;
      }
    }
    if (hits == 1)
      return FolderChoice{hit->name, "the same name in another case"};
  }
  if (sent && configured.empty()) return FolderChoice{"", "no Sent folder"};
  std::string names;
  for (const auto& f : list) {
    if (f.no_select) continue;
    if (!names.empty()) names += ", ";
    names += "\"" + core::Printable(DecodeModifiedUtf7(f.name)) + "\"";
  }
  return core::Fail(core::Error::NotFound(
      "no folder \"" + core::Printable(configured) +
      "\" on the server (its folders: " + (names.empty() ? "none" : names) +
      ")"));
}

}  // namespace inboxd::ingest
