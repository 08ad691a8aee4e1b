// text.h: small string helpers for untrusted mail text.
//
// Nothing here allocates more than its output; nothing throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace inboxd::core {

// ASCII-only case folding and comparison (header names, tokens, addresses).
char AsciiLower(char c);
std::string AsciiLower(std::string_view s);
bool IEquals(std::string_view a, std::string_view b);
bool IStartsWith(std::string_view s, std::string_view prefix);
// Case-insensitive ASCII search; returns npos when absent.
size_t IFind(std::string_view haystack, std::string_view needle);

std::string_view Trim(std::string_view s);
std::vector<std::string_view> Split(std::string_view s, char sep);

// Returns `s` safe to log or show: control characters (CR, LF, TAB, NUL, ESC
// ...) become ' ', invalid UTF-8 bytes become '?'. Like Postfix printable().
std::string Printable(std::string_view s);

// Returns `s` safe to put into a header value: every CR and LF (and NUL) is
// replaced by a space, so no input can start a new header line.
std::string StripCrLf(std::string_view s);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// Replaces invalid UTF-8 sequences by U+FFFD.
std::string SanitizeUtf8(std::string_view s);
// HTML-escapes & < > " ' (element content and attribute values).
std::string HtmlEscape(std::string_view s);

}  // namespace inboxd::core
