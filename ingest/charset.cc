#include "ingest/charset.h"

#include <errno.h>
#include <iconv.h>
#include <uchardet.h>

#include <array>
#include <map>
#include <memory>
#include <type_traits>
#include <utility>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Label aliases that iconv does not know or that the WHATWG Encoding Standard
// maps to a superset (DEPS-FACTS 1.3.8: a GBK-only char labelled GB2312 fails
// in iconv; ks_c_5601-1987 is unknown to iconv).
struct Alias {
  std::string_view label;
  std::string_view iconv_name;
};
constexpr std::array kAliases = {
    Alias{"utf8", "UTF-8"},
    Alias{"utf-8", "UTF-8"},
    Alias{"unicode-1-1-utf-8", "UTF-8"},
    Alias{"us-ascii", "UTF-8"},  // ASCII is a subset; 8-bit bytes then detect
    Alias{"ascii", "UTF-8"},
    Alias{"ansi_x3.4-1968", "UTF-8"},
    Alias{"gb2312", "GB18030"},
    Alias{"gbk", "GB18030"},
    Alias{"x-gbk", "GB18030"},
    Alias{"cp936", "GB18030"},
    Alias{"euc-cn", "GB18030"},
    Alias{"csgb2312", "GB18030"},
    Alias{"gb_2312-80", "GB18030"},
    Alias{"chinese", "GB18030"},
    Alias{"gb18030", "GB18030"},
    Alias{"ks_c_5601-1987", "CP949"},
    Alias{"ks_c_5601", "CP949"},
    Alias{"ksc5601", "CP949"},
    Alias{"euc-kr", "CP949"},
    Alias{"korean", "CP949"},
    Alias{"windows-949", "CP949"},
    Alias{"latin1", "WINDOWS-1252"},
    Alias{"l1", "WINDOWS-1252"},
    Alias{"iso-8859-1", "WINDOWS-1252"},
    Alias{"iso8859-1", "WINDOWS-1252"},
    Alias{"iso_8859-1", "WINDOWS-1252"},
    Alias{"iso-ir-100", "WINDOWS-1252"},
    Alias{"cp819", "WINDOWS-1252"},
    Alias{"ascii-8bit", ""},
    Alias{"unknown-8bit", ""},
    Alias{"x-unknown", ""},
    Alias{"unknown", ""},
    Alias{"x-user-defined", ""},
    Alias{"default", ""},
    Alias{"unicode-1-1-utf-7", "UTF-7"},
    Alias{"utf-7", "UTF-7"},
    Alias{"shift_jis", "WINDOWS-31J"},
    Alias{"shift-jis", "WINDOWS-31J"},
    Alias{"sjis", "WINDOWS-31J"},
    Alias{"x-sjis", "WINDOWS-31J"},
    Alias{"ms_kanji", "WINDOWS-31J"},
    Alias{"cp932", "WINDOWS-31J"},
    Alias{"big5", "BIG5-HKSCS"},
    Alias{"x-big5", "BIG5-HKSCS"},
    Alias{"iso-8859-8-i", "ISO-8859-8"},
    Alias{"iso-8859-6-i", "ISO-8859-6"},
    Alias{"tis-620", "CP874"},
    Alias{"windows-874", "CP874"},
};

bool PlausibleLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

// One iconv descriptor per (thread, target charset), reused: iconv_open costs
// more than converting a typical header.
class IconvCache {
 public:
  ~IconvCache() {
    for (auto& [name, cd] : cds_) iconv_close(cd);
  }
  // Returns a reset descriptor or (iconv_t)-1.
  iconv_t Get(const std::string& from) {
    auto it = cds_.find(from);
    if (it == cds_.end()) {
      iconv_t cd = iconv_open("UTF-8", from.c_str());
      if (cd == reinterpret_cast<iconv_t>(-1)) return cd;
      it = cds_.emplace(from, cd).first;
    }
    iconv(it->second, nullptr, nullptr, nullptr, nullptr);  // reset state
    return it->second;
  }

 private:
  std::map<std::string, iconv_t> cds_;
};

thread_local IconvCache tls_iconv;

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

std::string CanonicalCharset(std::string_view label) {
  std::string l = core::AsciiLower(core::Trim(label));
  // Quotes survive sloppy parameter parsing ("\"utf-8\"").
  while (!l.empty() && (l.front() == '"' || l.front() == '\'')) l.erase(0, 1);
  while (!l.empty() && (l.back() == '"' || l.back() == '\'')) l.pop_back();
  // RFC 2231 language suffix ("utf-8*en") is not part of the name.
  if (size_t star = l.find('*'); star != std::string::npos) l.resize(star);
  if (l.empty()) return "";
  for (const Alias& a : kAliases) {
    if (l == a.label) return std::string(a.iconv_name);
  }
  for (char c : l) {
    if (!PlausibleLabelChar(c)) return "?";  // also keeps "//TRANSLIT" out
  }
  // windows-125x, cp125x and x-cp125x all name the same tables.
  if (l.starts_with("x-cp")) l.erase(0, 2);
  if (l.starts_with("cp125") && l.size() == 6) return "WINDOWS-" + l.substr(2);
  for (char& c : l) {
    if (c >= 'a' && c <= 'z') c = char(c - 32);
  }
  return l;
}

core::Result<std::string> ToUtf8(std::string_view bytes, std::string_view label,
                                 size_t* invalid) {
  if (invalid != nullptr) *invalid = 0;
  std::string name = CanonicalCharset(label);
  if (name.empty() || name == "?") {
    return core::Fail(core::Error::InvalidArgument("unknown charset " +
                                                   core::Printable(label)));
  }
  if (name == "UTF-8") {
    if (core::IsValidUtf8(bytes)) return std::string(bytes);
    std::string out = core::SanitizeUtf8(bytes);
    if (invalid != nullptr) *invalid = 1;
    return out;
  }
  iconv_t cd = tls_iconv.Get(name);
  if (cd == reinterpret_cast<iconv_t>(-1)) {
    return core::Fail(core::Error::InvalidArgument("unknown charset " +
                                                   core::Printable(label)));
  }
  std::string out;
  out.reserve(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  std::array<char, 4096> buf;
  size_t bad = 0;
  while (true) {
    char* o = buf.data();
    size_t o_left = buf.size();
    size_t rc = iconv(cd, in_left > 0 ? &in : nullptr, &in_left, &o, &o_left);
    out.append(buf.data(), buf.size() - o_left);
    if (rc != static_cast<size_t>(-1)) {
      if (in_left == 0) {
        // Flush any shift state (ISO-2022-JP back to ASCII).
        o = buf.data();
        o_left = buf.size();
        iconv(cd, nullptr, nullptr, &o, &o_left);
        out.append(buf.data(), buf.size() - o_left);
        break;
      }
      continue;
    }
    if (errno == E2BIG) continue;
    // EILSEQ (invalid) or EINVAL (truncated at the end): replace one byte.
    ++bad;
    out += kReplacement;
    if (in_left == 0) break;
    ++in;
    --in_left;
    if (in_left == 0) break;
  }
  // glibc's UCS-4 decoder passes code points above U+10FFFF through as 5-
  // and 6-byte sequences ("=?UCS4?Q?Johe?=" is U+4A6F6865), which are not
  // UTF-8: replace what is not, and count it as invalid input.
  if (!core::IsValidUtf8(out)) {
    out = core::SanitizeUtf8(out);
    ++bad;
  }
  if (invalid != nullptr) *invalid = bad;
  return out;
}

std::string DetectCharset(std::string_view bytes) {
  if (IsAscii(bytes)) return "UTF-8";
  if (core::IsValidUtf8(bytes)) return "UTF-8";
  std::unique_ptr<std::remove_pointer_t<uchardet_t>, void (*)(uchardet_t)> ud(
      uchardet_new(), uchardet_delete);
  if (!ud) return "";
  // uchardet needs no more than a sample; cap the work on huge parts.
  constexpr size_t kDetectSampleBytes = 64 * 1024;
  std::string_view sample = bytes.substr(0, kDetectSampleBytes);
  if (uchardet_handle_data(ud.get(), sample.data(), sample.size()) != 0) {
    return "";
  }
  uchardet_data_end(ud.get());
  const char* cs = uchardet_get_charset(ud.get());
  if (cs == nullptr || *cs == '\0') return "";
  std::string name = CanonicalCharset(cs);
  if (name == "?") return "";
  return name;
}

std::string DecodeToUtf8(std::string_view bytes, std::string_view label,
                         std::string* used) {
  std::string name = CanonicalCharset(label);
  if (IsAscii(bytes) && name != "UTF-7" && !name.starts_with("ISO-2022") &&
      !name.starts_with("UTF-16") && !name.starts_with("UTF-32") &&
      !name.starts_with("UCS")) {
    if (used != nullptr) *used = name.empty() || name == "?" ? "UTF-8" : name;
    return std::string(bytes);
  }
  if (!name.empty() && name != "?") {
    size_t bad = 0;
    auto r = ToUtf8(bytes, name, &bad);
    if (r.has_value() && bad == 0) {
      if (used != nullptr) *used = name;
      return std::move(*r);
    }
    // The declared charset failed: try what the bytes look like.
    std::string guess = DetectCharset(bytes);
    if (!guess.empty() && guess != name) {
      size_t bad2 = 0;
      auto r2 = ToUtf8(bytes, guess, &bad2);
      if (r2.has_value() && (!r.has_value() || bad2 < bad)) {
        if (used != nullptr) *used = guess;
        return std::move(*r2);
      }
    }
    if (r.has_value()) {
      if (used != nullptr) *used = name;
      return std::move(*r);
    }
  }
  std::string guess = DetectCharset(bytes);
  if (guess.empty()) guess = "WINDOWS-1252";  // every byte maps somewhere
  auto r = ToUtf8(bytes, guess);
  if (r.has_value()) {
    if (used != nullptr) *used = guess;
    return std::move(*r);
  }
  if (used != nullptr) *used = "UTF-8";
  return core::SanitizeUtf8(bytes);
}

}  // namespace inboxd::ingest
