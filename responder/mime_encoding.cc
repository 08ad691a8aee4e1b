// mime_encoding.cc: see mime_encoding.h.
#include "responder/mime_encoding.h"

#include "core/text.h"

namespace inboxd::responder {
namespace {

constexpr char kB64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kMaxEncodedWord = 75;       // RFC 2047 §2
constexpr size_t kEncodedWordOverhead = 12;  // "=?UTF-8?B?" + "?="

// Length of the UTF-8 sequence starting with `c` (1 for invalid bytes).
size_t Utf8SeqLen(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) return 2;
  if ((c & 0xF0) == 0xE0) return 3;
  if ((c & 0xF8) == 0xF0) return 4;
  return 1;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string Base64Encode(std::string_view data, size_t line_len) {
  std::string out;
  out.reserve(data.size() * 4 / 3 + data.size() / 38 + 8);
  size_t col = 0;
  auto put = [&](char c) {
    out += c;
    if (line_len != 0 && ++col == line_len) {
      out += "\r\n";
      col = 0;
    }
  };
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    unsigned v = (unsigned char)data[i] << 16 |
                 (unsigned char)data[i + 1] << 8 | (unsigned char)data[i + 2];
    put(kB64[v >> 18]);
    put(kB64[(v >> 12) & 63]);
    put(kB64[(v >> 6) & 63]);
    put(kB64[v & 63]);
  }
  if (size_t rest = data.size() - i; rest > 0) {
    unsigned v = (unsigned char)data[i] << 16;
    if (rest == 2) v |= (unsigned char)data[i + 1] << 8;
    put(kB64[v >> 18]);
    put(kB64[(v >> 12) & 63]);
    put(rest == 2 ? kB64[(v >> 6) & 63] : '=');
    put('=');
  }
  if (line_len != 0 && col != 0) out += "\r\n";
  return out;
}

core::Result<std::string> Base64Decode(std::string_view text) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  size_t pad = 0;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0)
      return core::Fail(core::Error::DataLoss("base64: data after padding"));
    int d;
    if (c >= 'A' && c <= 'Z') {
      d = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      d = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      d = c - '0' + 52;
    } else if (c == '+') {
      d = 62;
    } else if (c == '/') {
      d = 63;
    } else {
      return core::Fail(core::Error::DataLoss("base64: invalid character"));
    }
    v = (v << 6) | unsigned(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xFF);
    }
  }
  if (pad > 2) return core::Fail(core::Error::DataLoss("base64: bad padding"));
  return out;
}

std::string QuotedPrintableEncode(std::string_view crlf_text) {
  static const char kHex[] = "0123456789ABCDEF";
  constexpr size_t kMaxQpLine = 76;
  std::string out;
  size_t start = 0;
  while (start <= crlf_text.size()) {
    size_t end = crlf_text.find("\r\n", start);
    bool last = end == std::string_view::npos;
    std::string_view line =
        crlf_text.substr(start, last ? std::string_view::npos : end - start);
    size_t col = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(line[i]);
      bool at_end = i + 1 == line.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') ||
          ((c == ' ' || c == '\t') && !at_end)) {
        piece = std::string(1, static_cast<char>(c));
      } else {
        piece = {'=', kHex[c >> 4], kHex[c & 15]};
      }
      // Keep room for a soft break "=" at the end of the line.
      if (col + piece.size() > kMaxQpLine - 1) {
        out += "=\r\n";
        col = 0;
      }
      out += piece;
      col += piece.size();
    }
    if (last) break;
    out += "\r\n";
    start = end + 2;
  }
  return out;
}

std::string NormalizeCrlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r') {
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out += c;
    }
  }
  if (!out.empty() && !out.ends_with("\r\n")) out += "\r\n";
  return out;
}

bool IsPrintableAscii(std::string_view s) {
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (!((c >= 32 && c < 127) || c == '\t')) return false;
  }
  return true;
}

std::vector<std::string> EncodeWords(std::string_view text, size_t first_room) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    size_t room =
        words.empty() ? std::min(first_room, kMaxEncodedWord) : kMaxEncodedWord;
    // Bytes per word: base64 of n bytes is 4*ceil(n/3) characters.
    size_t max_bytes = room > kEncodedWordOverhead + 4
                           ? (room - kEncodedWordOverhead) / 4 * 3
                           : 3;
    size_t n = 0;
    while (i + n < text.size()) {
      size_t len = Utf8SeqLen(static_cast<unsigned char>(text[i + n]));
      if (i + n + len > text.size()) len = text.size() - i - n;
      if (n + len > max_bytes && n > 0) break;
      n += len;
    }
    words.push_back("=?UTF-8?B?" + Base64Encode(text.substr(i, n), 0) + "?=");
    i += n;
  }
  return words;
}

core::Result<std::string> FoldHeader(std::string_view name,
                                     const std::vector<std::string>& tokens) {
  std::string out(name);
  out += ":";
  size_t col = out.size();
  bool first = true;
  for (const std::string& t : tokens) {
    if (t.find_first_of("\r\n") != std::string::npos) {
      return core::Fail(core::Error::Internal("header " + std::string(name) +
                                              ": CR/LF in a token"));
    }
    if (!first && col + 1 + t.size() > kFoldWidth) {
      out += "\r\n";
      col = 0;
    }
    out += ' ';
    out += t;
    col += 1 + t.size();
    if (col > kMaxLineOctets) {
      return core::Fail(core::Error::Internal("header " + std::string(name) +
                                              ": line over 998 octets"));
    }
    first = false;
  }
  out += "\r\n";
  return out;
}

core::Result<std::string> UnstructuredHeader(std::string_view name,
                                             std::string_view value) {
  std::string clean = CollapseSpaces(core::StripCrLf(value));
  std::vector<std::string> tokens;
  bool ascii = IsPrintableAscii(clean) && clean.find("=?") == std::string::npos;
  if (ascii) {
    for (std::string_view w : core::Split(clean, ' ')) {
      if (w.size() + name.size() + 2 > kMaxLineOctets) {
        ascii = false;  // an unbreakable word: encode instead
        break;
      }
      tokens.emplace_back(w);
    }
  }
  if (!ascii) {
    tokens = EncodeWords(clean, kFoldWidth - name.size() - 2);
  }
  return FoldHeader(name, tokens);
}

std::vector<std::string> DisplayNameTokens(std::string_view name) {
  std::string clean = CollapseSpaces(core::StripCrLf(name));
  if (clean.empty()) return {};
  if (IsPrintableAscii(clean) && clean.find("=?") == std::string::npos &&
      clean.size() < 200) {
    std::string q = "\"";
    for (char c : clean) {
      if (c == '"' || c == '\\') q += '\\';
      q += c;
    }
    q += '"';
    return {q};
  }
  return EncodeWords(clean, kMaxEncodedWord);
}

}  // namespace inboxd::responder
