// mime_encoding.h: the encoders the composer needs to put UTF-8 text on the
// wire within the 998-octet line limit (RFC 5322 §2.1.1): base64, quoted-
// printable (RFC 2045), RFC 2047 encoded words, header folding and CRLF
// normalisation.
//
// Not here: decoding of incoming mail (ingest/ owns that); MIME structure
// (composer.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace inboxd::responder {

// Longest header line we produce when we can choose (RFC 5322 "SHOULD 78").
inline constexpr size_t kFoldWidth = 78;
// The hard limit of any line, without CRLF (RFC 5322 "MUST 998").
inline constexpr size_t kMaxLineOctets = 998;

// Base64 with CRLF after every `line_len` output characters (0 = one line).
std::string Base64Encode(std::string_view data, size_t line_len = 76);
// Decodes base64, ignoring whitespace. kDataLoss on other bad input.
core::Result<std::string> Base64Decode(std::string_view text);

// Quoted-printable of UTF-8 text whose line ends are CRLF; lines are kept,
// long lines get soft breaks so no output line exceeds 76 characters.
std::string QuotedPrintableEncode(std::string_view crlf_text);

// Converts every LF, CR and CRLF to CRLF; the result ends with CRLF when
// non-empty.
std::string NormalizeCrlf(std::string_view text);

// True when every byte is printable ASCII or space/tab.
bool IsPrintableAscii(std::string_view s);

// RFC 2047 "B" encoded words (UTF-8) for `text`, each at most 75 characters,
// never splitting a UTF-8 sequence. `first_room` is how many characters the
// first word may use (the rest of the first line).
std::vector<std::string> EncodeWords(std::string_view text, size_t first_room);

// Formats "Name: value" as one folded header field ending in CRLF. `tokens`
// are atomic pieces joined by single spaces; a fold (CRLF SP) is put between
// tokens so lines stay within kFoldWidth where possible. Fails with
// kInternal when a token would make a line exceed kMaxLineOctets or contains
// CR/LF (a bug: callers clean their input first).
core::Result<std::string> FoldHeader(std::string_view name,
                                     const std::vector<std::string>& tokens);

// An unstructured header (Subject, Thread-Topic): printable ASCII is folded
// at spaces (whitespace runs collapse to one space); anything else becomes
// encoded words. CR/LF in `value` are treated as spaces.
core::Result<std::string> UnstructuredHeader(std::string_view name,
                                             std::string_view value);

// A display name as a header token list: a quoted-string for ASCII, encoded
// words otherwise; empty vector for an empty name.
std::vector<std::string> DisplayNameTokens(std::string_view name);

}  // namespace inboxd::responder
