// rfc2047.h: decoding of header text: RFC 2047 encoded words and RFC 2045 /
// RFC 2231 parameters (continuations, charset'lang'%XX values).
//
// Does: B and Q encoded words (adjacent words separated only by whitespace
// are joined, even when a multibyte character is split between them),
// malformed words left as written, 8-bit header bytes decoded by detection,
// parameter lists with quoted strings and comments. Everything returned is
// valid UTF-8. Does not: address parsing (address.h), unfolding (the header
// block parser unfolds before calling these).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inboxd::ingest {

// Decodes the encoded words in an unstructured header value ("Subject").
// Text outside encoded words that is not UTF-8 is converted from the
// detected charset. Never fails; the result is valid UTF-8.
std::string DecodeHeaderText(std::string_view raw);

// A structured header value with parameters ("text/plain; charset=utf-8").
struct HeaderParams {
  std::string value;  // the part before the first ';', trimmed, as written
  // Parameter names lower case; values unquoted and decoded to UTF-8
  // (RFC 2231 continuations joined, RFC 2047 words decoded). In order of
  // first appearance; duplicates keep the first.
  std::vector<std::pair<std::string, std::string>> params;

  // Returns the value of parameter `name` (case-insensitive) or nullptr.
  const std::string* Get(std::string_view name) const;
};

// Parses "value; a=b; c*0*=utf-8''%E2%82%AC; c*1=x". Garbage parameters are
// skipped. Never fails.
HeaderParams ParseHeaderParams(std::string_view raw);

// Decodes one RFC 2231 extended value "charset'lang'%XX..." to UTF-8.
std::string DecodeRfc2231Value(std::string_view value);

}  // namespace inboxd::ingest
