#include "ingest/rfc2047.h"

#include <algorithm>
#include <map>

#include "core/text.h"
#include "ingest/charset.h"
#include "ingest/transfer_encoding.h"

namespace inboxd::ingest {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Plain header text: UTF-8 as is, anything else converted from its detected
// charset (raw 8-bit headers, RFC 6532 or not).
void AppendPlain(std::string_view text, std::string* out) {
  // Raw ISO-2022-JP (7-bit, so "valid UTF-8") from old Japanese mailers.
  if (text.find("\x1B$B") != std::string_view::npos ||
      text.find("\x1B$@") != std::string_view::npos) {
    if (auto r = ToUtf8(text, "iso-2022-jp"); r.has_value()) {
      out->append(*r);
      return;
    }
  }
  if (core::IsValidUtf8(text)) {
    out->append(text);
  } else {
    out->append(DecodeToUtf8(text, ""));
  }
}

struct EncodedWord {
  std::string_view charset;
  char encoding = 0;  // 'B' or 'Q'
  std::string_view text;
  size_t end = 0;  // index just past "?="
};

// Parses an encoded word starting at raw[pos] == '=' and raw[pos+1] == '?'.
// `*next_close` caches the position of the next "?=" (or npos) across calls
// with increasing `pos`, so a header full of "=?" starts is scanned once.
bool ParseEncodedWord(std::string_view raw, size_t pos, size_t* next_close,
                      EncodedWord* w) {
  size_t cs_begin = pos + 2;
  constexpr size_t kMaxCharsetBytes = 64;
  size_t q1 = raw.substr(cs_begin, kMaxCharsetBytes).find('?');
  if (q1 == std::string_view::npos || q1 == 0) return false;
  q1 += cs_begin;
  if (q1 + 2 >= raw.size() || raw[q1 + 2] != '?') return false;
  char enc = raw[q1 + 1];
  if (enc == 'b') enc = 'B';
  if (enc == 'q') enc = 'Q';
  if (enc != 'B' && enc != 'Q') return false;
  size_t text_begin = q1 + 3;
  // RFC 2047 allows 75 bytes per word; real mailers exceed that, but not by
  // this much.
  constexpr size_t kMaxEncodedWordBytes = 2048;
  if (*next_close != std::string_view::npos && *next_close < text_begin) {
    *next_close = raw.find("?=", text_begin);
  }
  size_t close = *next_close;
  if (close == std::string_view::npos ||
      close - text_begin > kMaxEncodedWordBytes) {
    return false;
  }
  std::string_view charset = raw.substr(cs_begin, q1 - cs_begin);
  for (char c : charset) {
    if (IsSpace(c) || c == '=') return false;
  }
  std::string_view text = raw.substr(text_begin, close - text_begin);
  // Encoded words contain no whitespace; a space inside means we matched
  // across unrelated text. Q words with spaces do occur (broken mailers)
  // but are rare; B words never legitimately have them.
  if (enc == 'B' && std::any_of(text.begin(), text.end(), IsSpace)) {
    return false;
  }
  w->charset = charset;
  w->encoding = enc;
  w->text = text;
  w->end = close + 2;
  return true;
}

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Appends `v` with "%XX" escapes decoded (RFC 2231 extended values).
void AppendPercentDecoded(std::string_view v, std::string* out) {
  for (size_t j = 0; j < v.size(); ++j) {
    if (v[j] == '%' && j + 2 < v.size() && Hex(v[j + 1]) >= 0 &&
        Hex(v[j + 2]) >= 0) {
      *out += static_cast<char>(Hex(v[j + 1]) * 16 + Hex(v[j + 2]));
      j += 2;
    } else {
      *out += v[j];
    }
  }
}

}  // namespace

std::string DecodeHeaderText(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  // Bytes of consecutive encoded words in one charset are decoded together:
  // senders split multibyte characters across words.
  std::string pending;
  std::string pending_charset;
  auto flush = [&] {
    if (pending_charset.empty() && pending.empty()) return;
    out += DecodeToUtf8(pending, pending_charset);
    pending.clear();
    pending_charset.clear();
  };
  size_t i = 0;
  size_t plain_begin = 0;
  bool last_was_word = false;
  size_t next_close = 0;  // "< text_begin" forces the first search
  while (i < raw.size()) {
    size_t at = raw.find("=?", i);
    if (at == std::string_view::npos) break;
    EncodedWord w;
    if (!ParseEncodedWord(raw, at, &next_close, &w)) {
      i = at + 2;
      continue;
    }
    std::string_view between = raw.substr(plain_begin, at - plain_begin);
    bool only_space = std::all_of(between.begin(), between.end(), IsSpace);
    if (!(last_was_word && only_space)) {
      flush();
      AppendPlain(between, &out);
    }
    std::string bytes =
        w.encoding == 'B' ? DecodeBase64(w.text) : DecodeQEncoding(w.text);
    std::string cs = CanonicalCharset(w.charset);
    if (!pending.empty() && cs != pending_charset) flush();
    pending_charset = cs.empty() || cs == "?" ? std::string(w.charset) : cs;
    pending += bytes;
    last_was_word = true;
    i = w.end;
    plain_begin = w.end;
  }
  flush();
  AppendPlain(raw.substr(plain_begin), &out);
  return out;
}

const std::string* HeaderParams::Get(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (core::IEquals(k, name)) return &v;
  }
  return nullptr;
}

std::string DecodeRfc2231Value(std::string_view value) {
  size_t q1 = value.find('\'');
  std::string_view charset;
  std::string_view data = value;
  if (q1 != std::string_view::npos) {
    size_t q2 = value.find('\'', q1 + 1);
    if (q2 != std::string_view::npos) {
      charset = value.substr(0, q1);
      data = value.substr(q2 + 1);
    }
  }
  std::string bytes;
  AppendPercentDecoded(data, &bytes);
  return DecodeToUtf8(bytes, charset);
}

namespace {

// One parameter section before joining (RFC 2231 section 3).
struct Section {
  int index = 0;
  bool extended = false;  // "*" value: charset'lang'%XX
  std::string value;
};

// Reads a parameter value at raw[*i]: a quoted string (backslash escapes) or
// a token up to ';'. Leaves *i after it.
std::string ReadParamValue(std::string_view raw, size_t* i) {
  std::string v;
  size_t p = *i;
  while (p < raw.size() && IsSpace(raw[p])) ++p;
  if (p < raw.size() && raw[p] == '"') {
    ++p;
    while (p < raw.size() && raw[p] != '"') {
      if (raw[p] == '\\' && p + 1 < raw.size()) ++p;
      v += raw[p];
      ++p;
    }
    if (p < raw.size()) ++p;  // closing quote
    // Anything up to ';' after the quote is junk; skip it.
    while (p < raw.size() && raw[p] != ';') ++p;
  } else {
    size_t b = p;
    while (p < raw.size() && raw[p] != ';') ++p;
    v = std::string(core::Trim(raw.substr(b, p - b)));
  }
  *i = p;
  return v;
}

}  // namespace

HeaderParams ParseHeaderParams(std::string_view raw) {
  HeaderParams out;
  size_t semi = raw.find(';');
  out.value = std::string(core::Trim(raw.substr(0, semi)));
  if (semi == std::string_view::npos) return out;
  // Joined in order of first appearance of each base name.
  std::vector<std::string> order;
  std::map<std::string, std::vector<Section>> sections;
  size_t i = semi + 1;
  while (i < raw.size()) {
    while (i < raw.size() && (IsSpace(raw[i]) || raw[i] == ';')) ++i;
    // Skip RFC 5322 comments between parameters.
    if (i < raw.size() && raw[i] == '(') {
      int depth = 0;
      while (i < raw.size()) {
        if (raw[i] == '(') ++depth;
        if (raw[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
        ++i;
      }
      continue;
    }
    size_t name_begin = i;
    while (i < raw.size() && raw[i] != '=' && raw[i] != ';') ++i;
    if (i >= raw.size() || raw[i] != '=') continue;  // "; junk;" skipped
    std::string name =
        core::AsciiLower(core::Trim(raw.substr(name_begin, i - name_begin)));
    ++i;  // '='
    std::string value = ReadParamValue(raw, &i);
    if (name.empty()) continue;
    Section s;
    std::string base = name;
    if (size_t star = name.find('*'); star != std::string::npos) {
      base = name.substr(0, star);
      std::string_view rest = std::string_view(name).substr(star + 1);
      if (rest.empty()) {
        s.extended = true;  // name*=
      } else {
        bool ext = rest.back() == '*';
        if (ext) rest.remove_suffix(1);
        // At most 3 digits, checked before summing (a long section number
        // overflowed int).
        bool digits = !rest.empty() && rest.size() < 4 &&
                      std::all_of(rest.begin(), rest.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
        if (!digits) continue;
        int idx = 0;
        for (char c : rest) idx = idx * 10 + (c - '0');
        s.index = idx;
        s.extended = ext;
      }
    }
    if (base.empty()) continue;  // "*=x": a section of no parameter
    s.value = std::move(value);
    auto [it, inserted] = sections.try_emplace(base);
    if (inserted) order.push_back(base);
    // A plain "name=" after "name*=" (or a duplicate) does not override.
    bool dup =
        std::any_of(it->second.begin(), it->second.end(),
                    [&](const Section& o) { return o.index == s.index; });
    if (!dup) it->second.push_back(std::move(s));
  }
  for (const std::string& base : order) {
    auto& secs = sections[base];
    std::sort(secs.begin(), secs.end(), [](const Section& a, const Section& b) {
      return a.index < b.index;
    });
    bool any_ext = std::any_of(secs.begin(), secs.end(),
                               [](const Section& s) { return s.extended; });
    std::string value;
    if (!any_ext) {
      for (const auto& s : secs) value += s.value;
      value = DecodeHeaderText(value);
    } else {
      // RFC 2231 section 4.1: only the first section carries charset'lang';
      // percent-decode extended sections, keep the others literal, then
      // convert the whole byte string once.
      std::string charset;
      std::string bytes;
      for (size_t k = 0; k < secs.size(); ++k) {
        std::string_view v = secs[k].value;
        if (secs[k].extended) {
          if (k == 0) {
            size_t q1 = v.find('\'');
            size_t q2 =
                q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
              charset = std::string(v.substr(0, q1));
              v = v.substr(q2 + 1);
            }
          }
          AppendPercentDecoded(v, &bytes);
        } else {
          bytes += v;
        }
      }
      value = DecodeToUtf8(bytes, charset);
    }
    out.params.emplace_back(base, std::move(value));
  }
  return out;
}

}  // namespace inboxd::ingest
