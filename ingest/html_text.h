// html_text.h: turns an HTML body into plain text for classification.
//
// Does: drops tags, comments, <script>, <style> and <head> content; block
// elements (p, div, br, li, tr, h1-h6, ...) become line breaks; decodes
// named (common subset) and numeric entities; collapses whitespace. Linear
// time, no recursion. Does not: render tables, follow CSS, keep links, fix
// charsets (input must already be UTF-8).
#pragma once

#include <string>
#include <string_view>

namespace inboxd::ingest {

// Returns the text of `html` (UTF-8 in, UTF-8 out). Never fails.
std::string HtmlToText(std::string_view html);

}  // namespace inboxd::ingest
