// imap_parser.h: parses one complete IMAP server response (RFC 3501 section
// 7 and 9) into tags, status, response codes and a token tree, plus the small
// formats IMAP uses (sequence sets, INTERNALDATE, quoted strings).
//
// Does: literal-aware tokenizing ({n} and ~{n} literals are taken by length,
// so a message body that contains "A004 OK" or "* 9 FETCH" is just bytes),
// quoted strings with escapes, NIL, nested lists, BODY[...]<n> atoms, ESEARCH
// sequence sets. Does not: read from the network (ImapReader assembles a
// complete response first), interpret FETCH semantics (ImapSource does), or
// decode modified UTF-7.
//
// Every function is pure and never throws; malformed input returns
// kUnavailable ("imap protocol error: ..."), because a server we cannot
// understand is treated like a broken connection (reconnect, retry later).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace inboxd::ingest {

// Deepest parenthesis nesting accepted (BODYSTRUCTURE of hostile mail is the
// deepest thing a server sends; we never request it).
inline constexpr int kImapMaxListDepth = 64;
// Most UIDs a sequence set may expand to (10 million UIDs = 40 MB).
inline constexpr size_t kImapMaxSequenceSetItems = 10'000'000;

struct ImapValue {
  enum class Kind { kAtom, kString, kNil, kList };
  Kind kind = Kind::kAtom;
  std::string text;             // atom text, or string/literal content
  std::vector<ImapValue> list;  // kList only

  // True for an atom equal to `atom`, ignoring ASCII case.
  bool IsAtom(std::string_view atom) const;
  // The value of an atom made of digits that fits 32 bits, else nullopt.
  std::optional<uint32_t> AsNumber() const;
  // As AsNumber, for 64 bits (a mod-sequence, RFC 7162 section 7: a
  // "mod-sequence-value" is 1*DIGIT up to 2^63-1).
  std::optional<uint64_t> AsNumber64() const;
};

struct ImapResponse {
  enum class Type { kUntagged, kTagged, kContinuation };
  Type type = Type::kUntagged;
  std::string tag;  // kTagged only

  // Status responses (OK, NO, BAD, BYE, PREAUTH), tagged or untagged.
  std::string status;     // upper case; "" for data responses
  std::string code;       // response code, upper case ("UIDVALIDITY"), or ""
  std::string code_args;  // raw text after the code inside [...]
  std::string text;       // human-readable text (also for continuations)

  // Untagged data responses: "* 3 EXISTS" has number 3 and name "EXISTS";
  // "* SEARCH 1 2" has no number, name "SEARCH" and values {1, 2}.
  std::optional<uint32_t> number;
  std::string name;  // upper case
  std::vector<ImapValue> values;

  bool IsStatus() const { return !status.empty(); }
};

// Parses `raw`: one complete response including its final CRLF, with literal
// bytes inline after each "{n}\r\n". Errors: kUnavailable on malformed input.
core::Result<ImapResponse> ParseImapResponse(std::string_view raw);

// Expands a sequence set of numbers ("1:3,7,9:8") into ascending, unique UIDs.
// "*" is not accepted (servers never send it). Errors: kUnavailable when
// malformed, kDataLoss when it expands past kImapMaxSequenceSetItems.
core::Result<std::vector<uint32_t>> ExpandSequenceSet(std::string_view set);

// Compresses ascending UIDs into a sequence set ("1:3,7"). `uids` must be
// ascending and non-empty.
std::string FormatSequenceSet(std::span<const uint32_t> uids);

// As FormatSequenceSet, split into sets of at most `max_chars` characters
// each (one command line per set; RFC 7162 section 4 asks clients to keep
// command lines under 8192 octets). `uids` must be ascending; empty gives
// no sets. REQUIRES: max_chars >= 21 (the longest single range,
// "4294967294:4294967295").
std::vector<std::string> FormatSequenceSets(std::span<const uint32_t> uids,
                                            size_t max_chars);

// The number of a mod-sequence response code or fetch item: the code
// arguments of "[HIGHESTMODSEQ 715194045007]" ("715194045007"), or the
// value of "MODSEQ (624140003)" (a list of one number). RFC 7162 section 7
// allows 1 to 2^63-1; anything else is refused. Errors: kUnavailable when
// malformed.
core::Result<uint64_t> ParseModSeq(std::string_view code_args);
core::Result<uint64_t> ParseModSeq(const ImapValue& fetch_value);

// Returns `s` as an IMAP quoted string ("a \"b\""). Errors: kInvalidArgument
// when `s` holds CR, LF or NUL (which a quoted string cannot carry).
core::Result<std::string> QuoteImapString(std::string_view s);

// Parses an INTERNALDATE ("17-Jul-1996 02:44:25 -0700", day may be
// space-padded) into UTC. Errors: kUnavailable when malformed.
core::Result<core::TimePoint> ParseInternalDate(std::string_view s);

// Formats `t` as an INTERNALDATE in UTC ("05-Nov-2026 18:45:55 +0000").
std::string FormatInternalDate(core::TimePoint t);

}  // namespace inboxd::ingest
