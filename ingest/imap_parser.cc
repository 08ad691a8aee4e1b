#include "ingest/imap_parser.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

using core::Error;
using core::Fail;
using core::Result;

Error Malformed(std::string_view what, std::string_view raw, size_t pos) {
  std::string near(raw.substr(pos > 20 ? pos - 20 : 0, 60));
  return Error::Unavailable("imap protocol error: " + std::string(what) +
                            " at byte " + std::to_string(pos) + " near \"" +
                            core::Printable(near) + "\"");
}

std::optional<uint64_t> ParseDigits(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsAtomEnd(char c) {
  return c == ' ' || c == '(' || c == ')' || c == '\r' || c == '\n' || c == '"';
}

// Tokenizes IMAP values (RFC 3501 section 9 "astring", "nstring", lists)
// from raw[pos] up to the final CRLF.
class Tokenizer {
 public:
  Tokenizer(std::string_view raw, size_t pos) : raw_(raw), pos_(pos) {}

  Result<std::vector<ImapValue>> All() {
    std::vector<ImapValue> out;
    auto st = Values(&out, 0);
    if (!st) return Fail(st.error());
    if (raw_.substr(pos_) != "\r\n") {
      return Fail(Malformed("trailing bytes after response", raw_, pos_));
    }
    return out;
  }

 private:
  // Reads values until CRLF (depth 0) or ')' (depth > 0).
  core::Status Values(std::vector<ImapValue>* out, int depth) {
    while (true) {
      while (pos_ < raw_.size() && raw_[pos_] == ' ') ++pos_;
      if (pos_ >= raw_.size()) {
        return Fail(Malformed("response without CRLF", raw_, pos_));
      }
      char c = raw_[pos_];
      if (c == '\r') {
        if (depth > 0) return Fail(Malformed("unclosed '('", raw_, pos_));
        return core::Ok();
      }
      if (c == ')') {
        if (depth == 0) return Fail(Malformed("unbalanced ')'", raw_, pos_));
        ++pos_;
        return core::Ok();
      }
      ImapValue v;
      if (c == '(') {
        if (depth + 1 > kImapMaxListDepth) {
          return Fail(Malformed("lists nested too deep", raw_, pos_));
        }
        ++pos_;
        v.kind = ImapValue::Kind::kList;
        auto st = Values(&v.list, depth + 1);
        if (!st) return st;
      } else if (c == '"') {
        auto st = Quoted(&v);
        if (!st) return st;
      } else if (c == '{' || (c == '~' && pos_ + 1 < raw_.size() &&
                              raw_[pos_ + 1] == '{')) {
        auto st = Literal(&v);
        if (!st) return st;
      } else {
        auto st = Atom(&v);
        if (!st) return st;
      }
      out->push_back(std::move(v));
    }
  }

  core::Status Quoted(ImapValue* v) {
    v->kind = ImapValue::Kind::kString;
    size_t start = pos_++;
    while (pos_ < raw_.size()) {
      char c = raw_[pos_++];
      if (c == '"') return core::Ok();
      if (c == '\r' || c == '\n') break;
      if (c == '\\') {
        if (pos_ >= raw_.size()) break;
        c = raw_[pos_++];
      }
      v->text.push_back(c);
    }
    return Fail(Malformed("unterminated quoted string", raw_, start));
  }

  core::Status Literal(ImapValue* v) {
    v->kind = ImapValue::Kind::kString;
    size_t start = pos_;
    if (raw_[pos_] == '~') ++pos_;  // literal8 (RFC 3516)
    size_t close = raw_.find('}', pos_);
    if (close == std::string_view::npos) {
      return Fail(Malformed("unterminated literal size", raw_, start));
    }
    std::string_view digits = raw_.substr(pos_ + 1, close - pos_ - 1);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    auto n = ParseDigits(digits);
    if (!n) return Fail(Malformed("bad literal size", raw_, start));
    if (raw_.substr(close + 1, 2) != "\r\n") {
      return Fail(Malformed("literal size not followed by CRLF", raw_, start));
    }
    size_t begin = close + 3;
    if (*n > raw_.size() - std::min(begin, raw_.size())) {
      return Fail(Malformed("literal longer than response", raw_, start));
    }
    v->text.assign(raw_.substr(begin, *n));
    pos_ = begin + *n;
    return core::Ok();
  }

  core::Status Atom(ImapValue* v) {
    size_t start = pos_;
    while (pos_ < raw_.size() && !IsAtomEnd(raw_[pos_])) {
      if (raw_[pos_] == '[') {
        // BODY[HEADER.FIELDS (SUBJECT)] may hold spaces and parentheses.
        size_t close = raw_.find(']', pos_);
        size_t crlf = raw_.find("\r\n", pos_);
        if (close == std::string_view::npos || close > crlf) {
          return Fail(Malformed("unclosed '[' in atom", raw_, pos_));
        }
        pos_ = close + 1;
        continue;
      }
      if (raw_[pos_] == '<') {
        size_t close = raw_.find('>', pos_);
        if (close != std::string_view::npos &&
            close < raw_.find("\r\n", pos_)) {
          pos_ = close + 1;
          continue;
        }
      }
      ++pos_;
    }
    if (pos_ == start) return Fail(Malformed("empty atom", raw_, start));
    v->text.assign(raw_.substr(start, pos_ - start));
    v->kind = core::IEquals(v->text, "NIL") ? ImapValue::Kind::kNil
                                            : ImapValue::Kind::kAtom;
    if (v->kind == ImapValue::Kind::kNil) v->text.clear();
    return core::Ok();
  }

  std::string_view raw_;
  size_t pos_;
};

bool IsStatusWord(std::string_view w) {
  return core::IEquals(w, "OK") || core::IEquals(w, "NO") ||
         core::IEquals(w, "BAD") || core::IEquals(w, "BYE") ||
         core::IEquals(w, "PREAUTH");
}

std::string AsciiUpper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Parses "[CODE args] text\r\n" (the code is optional) starting at pos.
core::Status ParseStatusTail(std::string_view raw, size_t pos,
                             ImapResponse* r) {
  size_t crlf = raw.find("\r\n", pos);
  if (crlf == std::string_view::npos || crlf + 2 != raw.size()) {
    return Fail(Malformed("status response must be one line", raw, pos));
  }
  while (pos < crlf && raw[pos] == ' ') ++pos;
  if (pos < crlf && raw[pos] == '[') {
    size_t close = raw.find(']', pos);
    if (close == std::string_view::npos || close > crlf) {
      return Fail(Malformed("unclosed response code", raw, pos));
    }
    std::string_view inner = raw.substr(pos + 1, close - pos - 1);
    size_t sp = inner.find(' ');
    r->code = AsciiUpper(inner.substr(0, sp));
    if (sp != std::string_view::npos) r->code_args = inner.substr(sp + 1);
    pos = close + 1;
    while (pos < crlf && raw[pos] == ' ') ++pos;
  }
  r->text.assign(raw.substr(pos, crlf - pos));
  return core::Ok();
}

int MonthIndex(std::string_view m) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr",
                                                 "may", "jun", "jul", "aug",
                                                 "sep", "oct", "nov", "dec"};
  for (int i = 0; i < 12; ++i) {
    if (core::IEquals(m, kMonths[i])) return i + 1;
  }
  return 0;
}

}  // namespace

bool ImapValue::IsAtom(std::string_view atom) const {
  return kind == Kind::kAtom && core::IEquals(text, atom);
}

std::optional<uint32_t> ImapValue::AsNumber() const {
  if (kind != Kind::kAtom) return std::nullopt;
  auto n = ParseDigits(text);
  if (!n || *n > UINT32_MAX) return std::nullopt;
  return static_cast<uint32_t>(*n);
}

std::optional<uint64_t> ImapValue::AsNumber64() const {
  if (kind != Kind::kAtom) return std::nullopt;
  return ParseDigits(text);
}

Result<ImapResponse> ParseImapResponse(std::string_view raw) {
  ImapResponse r;
  if (raw.size() < 3 || raw.substr(raw.size() - 2) != "\r\n") {
    return Fail(Malformed("response without CRLF", raw, 0));
  }
  if (raw[0] == '+') {
    r.type = ImapResponse::Type::kContinuation;
    size_t pos = raw.size() > 3 && raw[1] == ' ' ? 2 : 1;
    r.text.assign(raw.substr(pos, raw.size() - 2 - pos));
    return r;
  }
  size_t sp = raw.find(' ');
  if (sp == std::string_view::npos || sp == 0) {
    return Fail(Malformed("response without tag", raw, 0));
  }
  std::string_view tag = raw.substr(0, sp);
  size_t pos = sp + 1;
  // The next word: a number, a status word or a data response name.
  size_t end = pos;
  while (end < raw.size() && raw[end] != ' ' && raw[end] != '\r') ++end;
  std::string_view word = raw.substr(pos, end - pos);
  if (word.empty()) return Fail(Malformed("empty response", raw, pos));

  if (tag != "*") {
    r.type = ImapResponse::Type::kTagged;
    r.tag.assign(tag);
    if (!IsStatusWord(word)) {
      return Fail(Malformed("tagged response without status", raw, pos));
    }
    r.status = AsciiUpper(word);
    auto st = ParseStatusTail(raw, end, &r);
    if (!st) return Fail(st.error());
    return r;
  }

  r.type = ImapResponse::Type::kUntagged;
  if (IsStatusWord(word)) {
    r.status = AsciiUpper(word);
    auto st = ParseStatusTail(raw, end, &r);
    if (!st) return Fail(st.error());
    return r;
  }
  if (auto n = ParseDigits(word)) {
    if (*n > UINT32_MAX) return Fail(Malformed("number too big", raw, pos));
    r.number = static_cast<uint32_t>(*n);
    pos = end + 1;
    end = pos;
    while (end < raw.size() && raw[end] != ' ' && raw[end] != '\r') ++end;
    word = raw.substr(pos, std::min(end, raw.size()) - pos);
    if (word.empty()) {
      return Fail(Malformed("number without response name", raw, pos));
    }
  }
  r.name = AsciiUpper(word);
  auto values = Tokenizer(raw, end).All();
  if (!values) return Fail(values.error());
  r.values = std::move(*values);
  return r;
}

Result<std::vector<uint32_t>> ExpandSequenceSet(std::string_view set) {
  std::vector<uint32_t> out;
  if (set.empty()) {
    return Fail(Error::Unavailable("imap protocol error: empty sequence set"));
  }
  for (std::string_view item : core::Split(set, ',')) {
    size_t colon = item.find(':');
    auto a = ParseDigits(item.substr(0, colon));
    auto b = colon == std::string_view::npos
                 ? a
                 : ParseDigits(item.substr(colon + 1));
    if (!a || !b || *a == 0 || *b == 0 || *a > UINT32_MAX || *b > UINT32_MAX) {
      return Fail(
          Error::Unavailable("imap protocol error: bad sequence set \"" +
                             core::Printable(set.substr(0, 80)) + "\""));
    }
    uint64_t lo = std::min(*a, *b), hi = std::max(*a, *b);
    if (out.size() + (hi - lo + 1) > kImapMaxSequenceSetItems) {
      return Fail(Error::DataLoss("imap sequence set expands past " +
                                  std::to_string(kImapMaxSequenceSetItems) +
                                  " items"));
    }
    for (uint64_t v = lo; v <= hi; ++v) out.push_back(static_cast<uint32_t>(v));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string FormatSequenceSet(std::span<const uint32_t> uids) {
  std::string out;
  size_t i = 0;
  while (i < uids.size()) {
    size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out += std::to_string(uids[i]);
    if (j > i) out += ":" + std::to_string(uids[j]);
    i = j + 1;
  }
  return out;
}

std::vector<std::string> FormatSequenceSets(std::span<const uint32_t> uids,
                                            size_t max_chars) {
  std::vector<std::string> sets;
  std::string cur;
  size_t i = 0;
  while (i < uids.size()) {
    size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    std::string item = std::to_string(uids[i]);
    if (j > i) item += ":" + std::to_string(uids[j]);
    if (!cur.empty() && cur.size() + 1 + item.size() > max_chars) {
      sets.push_back(std::move(cur));
      cur.clear();
    }
    if (!cur.empty()) cur.push_back(',');
    cur += item;
    i = j + 1;
  }
  if (!cur.empty()) sets.push_back(std::move(cur));
  return sets;
}

Result<uint64_t> ParseModSeq(std::string_view code_args) {
  auto n = ParseDigits(core::Trim(code_args));
  if (!n || *n == 0 || *n > uint64_t{INT64_MAX}) {
    return Fail(Error::Unavailable("imap protocol error: bad mod-sequence \"" +
                                   core::Printable(code_args.substr(0, 40)) +
                                   "\""));
  }
  return *n;
}

Result<uint64_t> ParseModSeq(const ImapValue& fetch_value) {
  if (fetch_value.kind != ImapValue::Kind::kList ||
      fetch_value.list.size() != 1 ||
      fetch_value.list[0].kind != ImapValue::Kind::kAtom) {
    return Fail(Error::Unavailable("imap protocol error: bad MODSEQ item"));
  }
  return ParseModSeq(fetch_value.list[0].text);
}

Result<std::string> QuoteImapString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') {
      return Fail(Error::InvalidArgument("imap string \"" + core::Printable(s) +
                                         "\" holds CR, LF or NUL"));
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

Result<core::TimePoint> ParseInternalDate(std::string_view s) {
  // date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP
  // zone DQUOTE (RFC 3501 section 9); the quotes are gone already.
  auto bad = [&] {
    return Fail(Error::Unavailable("imap protocol error: bad INTERNALDATE \"" +
                                   core::Printable(s) + "\""));
  };
  std::string_view t = core::Trim(s);
  auto parts = core::Split(t, ' ');
  if (parts.size() != 3) return bad();
  auto dmy = core::Split(parts[0], '-');
  auto hms = core::Split(parts[1], ':');
  std::string_view zone = parts[2];
  if (dmy.size() != 3 || hms.size() != 3 || zone.size() != 5 ||
      (zone[0] != '+' && zone[0] != '-')) {
    return bad();
  }
  auto day = ParseDigits(dmy[0]);
  int month = MonthIndex(dmy[1]);
  auto year = ParseDigits(dmy[2]);
  auto hh = ParseDigits(hms[0]), mm = ParseDigits(hms[1]),
       ss = ParseDigits(hms[2]);
  auto zh = ParseDigits(zone.substr(1, 2)), zm = ParseDigits(zone.substr(3, 2));
  if (!day || !month || !year || !hh || !mm || !ss || !zh || !zm || *day < 1 ||
      *day > 31 || *year < 1900 || *year > 9999 || *hh > 23 || *mm > 59 ||
      *ss > 60 || *zh > 23 || *zm > 59) {
    return bad();
  }
  using namespace std::chrono;
  year_month_day ymd{std::chrono::year(static_cast<int>(*year)),
                     std::chrono::month(static_cast<unsigned>(month)),
                     std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return bad();
  seconds offset = hours(*zh) + minutes(*zm);
  if (zone[0] == '-') offset = -offset;
  return core::TimePoint(sys_days(ymd).time_since_epoch() + hours(*hh) +
                         minutes(*mm) + seconds(*ss) - offset);
}

std::string FormatInternalDate(core::TimePoint t) {
  using namespace std::chrono;
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  sys_days day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss hms(t - day);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02u-%s-%04d %02d:%02d:%02d +0000",
                static_cast<unsigned>(ymd.day()),
                kMonths[static_cast<unsigned>(ymd.month()) - 1],
                static_cast<int>(ymd.year()),
                static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace inboxd::ingest
