// charset.h: converts text in a declared or detected charset to UTF-8.
//
// Does: label aliasing (WHATWG-style: gb2312/gbk -> GB18030, ks_c_5601-1987 ->
// CP949, latin1 -> windows-1252, ...), conversion with glibc iconv, charset
// detection with uchardet. Invalid input bytes become U+FFFD; nothing throws.
// Does not: normalise scripts (Persian yeh/kaf is classify's job), decode
// transfer encodings or RFC 2047 words (rfc2047.h).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace inboxd::ingest {

// Returns the iconv name for a MIME charset `label` ("gb2312" -> "GB18030"),
// "" when the label asks for detection (empty, "unknown-8bit", "x-unknown"),
// or "?" when the label is not a plausible charset name (e.g. "_iso$esc").
std::string CanonicalCharset(std::string_view label);

// Converts `bytes` from charset `label` to UTF-8. Invalid or truncated
// sequences become U+FFFD; if `invalid` is not null it receives their count.
// Success: the UTF-8 text. Failure: InvalidArgument "unknown charset X" when
// the label is unknown to iconv or asks for detection.
core::Result<std::string> ToUtf8(std::string_view bytes, std::string_view label,
                                 size_t* invalid = nullptr);

// Returns uchardet's guess for `bytes` as an iconv name ("GB18030",
// "WINDOWS-1256", "UTF-8"), "UTF-8" for pure ASCII, "" when it has no guess.
std::string DetectCharset(std::string_view bytes);

// Best effort: ASCII and valid UTF-8 (when declared UTF-8/ASCII or undeclared)
// pass through; otherwise the declared charset is used, and detection when it
// is missing, unknown or produces invalid sequences. Never fails. If
// `used` is not null it receives the charset actually used (iconv name).
std::string DecodeToUtf8(std::string_view bytes, std::string_view label,
                         std::string* used = nullptr);

}  // namespace inboxd::ingest
