// text_norm.h: text preparation for classification rules and language
// detection: Persian letter normalisation, quote and signature stripping.
//
// Pure functions on UTF-8 strings; nothing here fails or allocates more than
// its output. Does not decode MIME or charsets (ingest/ does).
#pragma once

#include <string>
#include <string_view>

namespace inboxd::classify {

// How many non-empty lines body_head keeps, and at most how many bytes.
inline constexpr size_t kBodyHeadLines = 5;
inline constexpr size_t kBodyHeadBytes = 1024;

// Replaces Arabic yeh (U+064A) and alef maksura (U+0649) by Persian yeh
// (U+06CC), and Arabic kaf (U+0643) by Persian keheh (U+06A9), so one
// Persian pattern matches text decoded from windows-1256 (DEPS-FACTS 1.3.8).
std::string NormalizePersian(std::string_view s);

// Returns the part of a reply the sender wrote: drops lines starting with
// '>' and everything from the first reply header on ("On ... wrote:",
// "-----Original Message-----", "Am ... schrieb", "Le ... a écrit",
// "在 ... 写道", Outlook "From: ... Sent:" blocks, ...). When nothing would
// be left (a pure quote), returns the text with only '>' lines dropped.
std::string StripQuoted(std::string_view text);

// Cuts a trailing signature: everything from a line that is exactly "-- ".
std::string StripSignature(std::string_view text);

// The first kBodyHeadLines non-empty lines of `text`, trimmed, joined by
// '\n', at most kBodyHeadBytes (cut on a UTF-8 boundary).
std::string BodyHead(std::string_view text);

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view Utf8Prefix(std::string_view s, size_t max);

}  // namespace inboxd::classify
