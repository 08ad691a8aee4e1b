// transfer_encoding.h: Content-Transfer-Encoding decoders (RFC 2045 base64
// and quoted-printable) written for hostile input.
//
// Does: lenient decoding (bytes outside the alphabet skipped, broken "=XY"
// kept literally), size counting without decoding. Does not: charset
// conversion (charset.h). Our own rather than mimetic's codecs: Debian's
// mimetic 0.9.8 base64 decoder reads one byte out of bounds on '{'
// (DEPS-FACTS 4.2, upstream c90eb55) and its QP decoder emits bare LF.
#pragma once

#include <string>
#include <string_view>

namespace inboxd::ingest {

// Decodes base64, ignoring whitespace and any byte outside the alphabet, and
// stopping at the first '=' pad. Never fails.
std::string DecodeBase64(std::string_view in);
// Returns the size DecodeBase64(in) would have, without allocating.
size_t Base64DecodedSize(std::string_view in);

// Decodes quoted-printable: "=XY" hex escapes, soft line breaks ("=" at line
// end, trailing whitespace allowed), line ends kept as they were. A malformed
// escape is kept literally. Never fails.
std::string DecodeQuotedPrintable(std::string_view in);

// Q encoding of RFC 2047 section 4.2: like QP, but '_' is a space.
std::string DecodeQEncoding(std::string_view in);

}  // namespace inboxd::ingest
