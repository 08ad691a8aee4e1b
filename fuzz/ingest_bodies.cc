// ingest_bodies.cc: the fuzz bodies of the mail parsers in ingest/ (MIME
// adapter, RFC 2047/2231 header text, addresses, IMAP responses). Each check
// quotes the promise it tests from the parser's header.
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "core/limits.h"
#include "core/message.h"
#include "core/text.h"
#include "fuzz/fuzz_targets.h"
#include "ingest/address.h"
#include "ingest/charset.h"
#include "ingest/imap_parser.h"
#include "ingest/mime_adapter.h"
#include "ingest/rfc2047.h"
#include "ingest/transfer_encoding.h"

namespace inboxd::fuzz {
namespace {

bool HasLineBreak(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

// "" when `s` is valid UTF-8, else "WHAT is not valid UTF-8".
std::string Utf8(std::string_view what, std::string_view s) {
  if (core::IsValidUtf8(s)) return "";
  return std::string(what) + " is not valid UTF-8: \"" + core::Printable(s) +
         "\"";
}

// --- MIME adapter ---------------------------------------------------------

// Limits small enough that fuzzed inputs reach every limit check.
constexpr core::Limits kTightLimits{.max_message_bytes = 16u << 10,
                                    .max_header_bytes = 512,
                                    .mime_max_depth = 3,
                                    .mime_max_parts = 12,
                                    .scan_bytes = 256};

std::string CheckAddresses(std::string_view what,
                           const std::vector<core::Address>& list) {
  for (const core::Address& a : list) {
    if (auto e = Utf8(std::string(what) + " name", a.name); !e.empty()) {
      return e;
    }
  }
  return "";
}

// message.h: "All text fields are UTF-8".
std::string CheckMessageText(const core::Message& m) {
  std::string e;
  if (!(e = Utf8("subject", m.subject)).empty()) return e;
  if (!(e = Utf8("text", m.text)).empty()) return e;
  if (!(e = Utf8("from name", m.from.name)).empty()) return e;
  if (!(e = Utf8("sender name", m.sender.name)).empty()) return e;
  if (!(e = CheckAddresses("to", m.to)).empty()) return e;
  if (!(e = CheckAddresses("cc", m.cc)).empty()) return e;
  if (!(e = CheckAddresses("reply-to", m.reply_to)).empty()) return e;
  for (const core::Attachment& a : m.attachments) {
    if (!(e = Utf8("attachment file name", a.filename)).empty()) return e;
    if (HasLineBreak(a.filename)) return "attachment file name has CR or LF";
  }
  // mime_adapter.cc: the subject is put through StripCrLf.
  if (HasLineBreak(m.subject)) return "subject has CR or LF";
  return "";
}

bool SameAddress(const core::Address& a, const core::Address& b) {
  return a.name == b.name && a.addr == b.addr;
}

std::string CheckParse(std::string_view input, const core::Limits& limits,
                       bool* ok) {
  // ParseHeadersBestEffort: "sha256 and raw_size are always set. Never
  // fails."
  core::Message best = ingest::ParseHeadersBestEffort(input, limits);
  if (best.raw_size != input.size() || best.sha256.size() != 64) {
    return "ParseHeadersBestEffort: raw_size or sha256 not set";
  }
  if (auto e = CheckMessageText(best); !e.empty()) {
    return "ParseHeadersBestEffort: " + e;
  }
  auto r = ingest::ParseMessage(input, limits);
  *ok = r.has_value();
  if (!r) {
    // "Failure: DataLoss with the reason".
    if (r.error().code != core::Code::kDataLoss || r.error().message.empty()) {
      return "ParseMessage failed with " + r.error().ToString() +
             ", not data_loss with a reason";
    }
    return "";
  }
  const core::Message& m = *r;
  if (m.raw_size != input.size() || m.sha256 != best.sha256) {
    return "ParseMessage: raw_size or sha256 wrong";
  }
  if (auto e = CheckMessageText(m); !e.empty()) return "ParseMessage: " + e;
  if (m.part_types.size() > limits.mime_max_parts) {
    return "ParseMessage: " + std::to_string(m.part_types.size()) +
           " parts, over the limit of " + std::to_string(limits.mime_max_parts);
  }
  if (m.content_type.find('/') == std::string::npos) {
    return "ParseMessage: content type \"" + m.content_type +
           "\" is not type/subtype";
  }
  // Both read the same header block (ParseMessage refused nothing).
  if (m.headers.size() != best.headers.size() ||
      !std::equal(m.headers.begin(), m.headers.end(), best.headers.begin(),
                  [](const core::HeaderField& a, const core::HeaderField& b) {
                    return a.name == b.name && a.value == b.value;
                  }) ||
      m.subject != best.subject || !SameAddress(m.from, best.from) ||
      m.message_id != best.message_id || m.to.size() != best.to.size()) {
    return "ParseMessage and ParseHeadersBestEffort read the header "
           "differently";
  }
  return "";
}

}  // namespace

std::string FuzzMime(std::string_view input) {
  bool tight_ok = false;
  if (auto e = CheckParse(input, kTightLimits, &tight_ok); !e.empty()) {
    return "tight limits: " + e;
  }
  bool default_ok = false;
  if (auto e = CheckParse(input, core::Limits{}, &default_ok); !e.empty()) {
    return "default limits: " + e;
  }
  // Only limits refuse a message, so larger limits never refuse more.
  if (tight_ok && !default_ok) {
    return "ParseMessage accepted the message under tight limits but "
           "refused it under the default ones";
  }
  return "";
}

// --- RFC 2047 / RFC 2231 header text ----------------------------------------

std::string FuzzRfc2047(std::string_view input) {
  // "Never fails; the result is valid UTF-8."
  if (auto e = Utf8("DecodeHeaderText", ingest::DecodeHeaderText(input));
      !e.empty()) {
    return e;
  }
  if (auto e = Utf8("DecodeRfc2231Value", ingest::DecodeRfc2231Value(input));
      !e.empty()) {
    return e;
  }
  ingest::HeaderParams hp = ingest::ParseHeaderParams(input);
  // "the part before the first ';', trimmed, as written".
  if (hp.value != core::Trim(input.substr(0, input.find(';')))) {
    return "ParseHeaderParams: value \"" + core::Printable(hp.value) +
           "\" is not the trimmed text before the first ';'";
  }
  for (size_t i = 0; i < hp.params.size(); ++i) {
    const auto& [name, value] = hp.params[i];
    // "Parameter names lower case; values ... decoded to UTF-8 ...
    // duplicates keep the first."
    if (name.empty() || name != core::AsciiLower(name)) {
      return "ParseHeaderParams: parameter name \"" + core::Printable(name) +
             "\" is empty or not lower case";
    }
    if (auto e = Utf8("parameter " + name, value); !e.empty()) return e;
    if (hp.Get(name) != &value) {
      return "ParseHeaderParams: parameter " + core::Printable(name) +
             " appears twice";
    }
  }
  // The decoders underneath: "Returns the size DecodeBase64(in) would
  // have".
  if (ingest::Base64DecodedSize(input) != ingest::DecodeBase64(input).size()) {
    return "Base64DecodedSize differs from DecodeBase64(in).size()";
  }
  // A first line that looks like a charset label declares the rest:
  // DecodeToUtf8 "Never fails" and returns UTF-8 for any label.
  size_t nl = input.find('\n');
  if (nl != std::string_view::npos && nl <= 40) {
    std::string used;
    std::string text =
        ingest::DecodeToUtf8(input.substr(nl + 1), input.substr(0, nl), &used);
    if (auto e = Utf8("DecodeToUtf8 (label \"" +
                          core::Printable(input.substr(0, nl)) + "\")",
                      text);
        !e.empty()) {
      return e;
    }
  }
  return "";
}

// --- Addresses --------------------------------------------------------------

std::string FuzzAddress(std::string_view input) {
  std::vector<core::Address> list = ingest::ParseAddressList(input);
  core::Address first = ingest::ParseMailbox(input);
  // "Returns the first address of ParseAddressList(raw), or an empty
  // Address."
  core::Address want = list.empty() ? core::Address{} : list.front();
  if (!SameAddress(first, want)) {
    return "ParseMailbox is not the first entry of ParseAddressList";
  }
  size_t without_addr = 0;
  for (const core::Address& a : list) {
    if (auto e = Utf8("display name", a.name); !e.empty()) return e;
    // Display names are decoded and their whitespace collapsed.
    if (a.name.find_first_of("\r\n\t") != std::string::npos ||
        a.name != core::Trim(a.name)) {
      return "display name \"" + core::Printable(a.name) +
             "\" has a line break, a tab or outer spaces";
    }
    if (a.addr.find_first_of(" \t\r\n<>") != std::string::npos) {
      return "address \"" + core::Printable(a.addr) +
             "\" keeps whitespace or angle brackets";
    }
    if (a.addr.empty()) ++without_addr;
  }
  // "Entries without an address are dropped, except that a value with only
  // a display name yields one entry with an empty addr."
  if (without_addr > 0 && list.size() != 1) {
    return "ParseAddressList kept an entry without address beside others";
  }
  return "";
}

// --- IMAP responses ---------------------------------------------------------

namespace {

// Checks the sequence set `set` (an atom of a response) round trips through
// FormatSequenceSet(s).
std::string CheckSequenceSet(std::string_view set) {
  // Keep the work of one input small: a set that expands to millions of
  // UIDs is legal but only costs time here.
  if (set.size() > 200 ||
      set.find_first_not_of("0123456789:,") != std::string_view::npos) {
    return "";
  }
  auto uids = ingest::ExpandSequenceSet(set);
  if (!uids || uids->size() > 100'000) return "";
  if (!std::is_sorted(uids->begin(), uids->end()) ||
      std::adjacent_find(uids->begin(), uids->end()) != uids->end()) {
    return "ExpandSequenceSet(\"" + std::string(set) +
           "\") is not ascending and unique";
  }
  std::string formatted = ingest::FormatSequenceSet(*uids);
  auto again = ingest::ExpandSequenceSet(formatted);
  if (uids->empty() ? again.has_value() : (!again || *again != *uids)) {
    return "FormatSequenceSet(ExpandSequenceSet(\"" + std::string(set) +
           "\")) does not expand back";
  }
  // "split into sets of at most `max_chars` characters each".
  size_t max_chars = 21 + set.size() % 16;
  std::vector<uint32_t> joined;
  for (const std::string& s : ingest::FormatSequenceSets(*uids, max_chars)) {
    auto part = ingest::ExpandSequenceSet(s);
    if (s.size() > max_chars || !part) {
      return "FormatSequenceSets(" + std::to_string(max_chars) + ") gave \"" +
             s + "\"";
    }
    joined.insert(joined.end(), part->begin(), part->end());
  }
  if (joined != *uids) {
    return "FormatSequenceSets(ExpandSequenceSet(\"" + std::string(set) +
           "\")) does not expand back";
  }
  return "";
}

// INTERNALDATE "17-Jul-1996 02:44:25 -0700": a parsed date formats and
// parses back to the same instant (years well inside 1900-9999, which
// ParseInternalDate accepts, so that the UTC form stays in range).
std::string CheckInternalDate(std::string_view s) {
  auto t = ingest::ParseInternalDate(s);
  if (!t) return "";
  using namespace std::chrono;
  int year = static_cast<int>(year_month_day(floor<days>(*t)).year());
  if (year <= 1900 || year >= 9999) return "";
  std::string formatted = ingest::FormatInternalDate(*t);
  auto again = ingest::ParseInternalDate(formatted);
  if (!again || *again != *t) {
    return "ParseInternalDate(FormatInternalDate(ParseInternalDate(\"" +
           core::Printable(s) + "\"))) is not the same instant";
  }
  return "";
}

// A string value quoted with QuoteImapString reads back as the same string.
std::string CheckQuoted(std::string_view s) {
  auto quoted = ingest::QuoteImapString(s);
  if (!quoted) {
    if (s.find_first_of(std::string_view("\r\n\0", 3)) ==
        std::string_view::npos) {
      return "QuoteImapString refused a string without CR, LF or NUL";
    }
    return "";
  }
  auto r = ingest::ParseImapResponse("* 1 FETCH (X " + *quoted + ")\r\n");
  if (!r || r->values.size() != 1 || r->values[0].list.size() != 2 ||
      r->values[0].list[1].kind != ingest::ImapValue::Kind::kString ||
      r->values[0].list[1].text != s) {
    return "QuoteImapString(\"" + core::Printable(s) +
           "\") does not parse back";
  }
  return "";
}

std::string CheckValue(const ingest::ImapValue& v, int depth) {
  // "Deepest parenthesis nesting accepted".
  if (depth > ingest::kImapMaxListDepth) return "list nested too deep";
  using Kind = ingest::ImapValue::Kind;
  std::string e;
  switch (v.kind) {
    case Kind::kList:
      if (!v.text.empty()) return "a list has text";
      for (const ingest::ImapValue& item : v.list) {
        if (!(e = CheckValue(item, depth + 1)).empty()) return e;
      }
      if (auto m = ingest::ParseModSeq(v);
          m && (*m == 0 || *m > uint64_t{INT64_MAX})) {
        return "ParseModSeq accepted " + std::to_string(*m);
      }
      break;
    case Kind::kNil:
      if (!v.text.empty() || !v.list.empty()) return "NIL has text";
      break;
    case Kind::kAtom: {
      if (v.text.empty()) return "empty atom";
      auto n32 = v.AsNumber();
      auto n64 = v.AsNumber64();
      if (n32 && (!n64 || *n64 != *n32)) return "AsNumber != AsNumber64";
      if (!(e = CheckSequenceSet(v.text)).empty()) return e;
      break;
    }
    case Kind::kString:
      if (!(e = CheckInternalDate(v.text)).empty()) return e;
      if (v.text.size() <= 200 && !(e = CheckQuoted(v.text)).empty()) {
        return e;
      }
      break;
  }
  return "";
}

}  // namespace

std::string FuzzImapParser(std::string_view input) {
  auto r = ingest::ParseImapResponse(input);
  if (!r) {
    // "malformed input returns kUnavailable".
    if (r.error().code != core::Code::kUnavailable) {
      return "ParseImapResponse failed with " + r.error().ToString();
    }
    return "";
  }
  using Type = ingest::ImapResponse::Type;
  if ((r->type == Type::kTagged) != !r->tag.empty()) {
    return "a tag on an untagged response, or none on a tagged one";
  }
  if (r->IsStatus() && !r->values.empty()) return "a status with values";
  if (r->status.find_first_of("abcdefghijklmnopqrstuvwxyz") !=
      std::string::npos) {
    return "status \"" + r->status + "\" is not upper case";
  }
  if (!r->code_args.empty()) {
    if (auto m = ingest::ParseModSeq(r->code_args);
        m && (*m == 0 || *m > uint64_t{INT64_MAX})) {
      return "ParseModSeq accepted " + std::to_string(*m);
    }
    if (auto e = CheckSequenceSet(core::Trim(r->code_args)); !e.empty()) {
      return e;
    }
  }
  for (const ingest::ImapValue& v : r->values) {
    if (auto e = CheckValue(v, 0); !e.empty()) return e;
  }
  return "";
}

}  // namespace inboxd::fuzz
