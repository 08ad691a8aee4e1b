// forbidden_phrases.h: the POLICY C5 phrases (003 §5: what staff must never
// write to a customer) and the one matcher used for agents' replies (the
// processor flags them, the planner tells the escalation address) and,
// through BuiltinForbiddenPhrases, for the shipped templates (responder/
// templates.h refuses a template that uses one).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace inboxd::classify {

// The phrases that are always forbidden (zh from 003 §5, and our
// equivalents in en, de and fa).
const std::vector<std::string>& BuiltinForbiddenPhrases();

// The decision and ticket flag of an agent reply that used a POLICY C5
// phrase.
inline constexpr std::string_view kForbiddenPhraseFlag = "forbidden_phrase";

// How much of a reply's text is scanned for forbidden phrases.
inline constexpr size_t kAgentReplyScanBytes = 64u << 10;

// The phrases agent replies are checked against: the built-in
// multilingual list (BuiltinForbiddenPhrases) plus
// config.templates.forbidden_phrases; trimmed, empty ones dropped, each once.
std::vector<std::string> AgentReplyForbiddenPhrases(
    const config::Config& config);

// Returns the phrases of `phrases` found in `text` (each at most once, in list
// order). Matching: only the part the sender wrote (classify::StripQuoted,
// then StripSignature), at most kAgentReplyScanBytes; ASCII case-insensitive;
// Persian letters folded (ي→ی, ك→ک) and ZWNJ removed on both sides; a phrase
// that begins (ends) with an ASCII letter or digit must begin (end) at a word
// boundary, so "whatever" does not match "somewhatever". Never fails.
std::vector<std::string> FindForbiddenPhrases(
    std::string_view text, const std::vector<std::string>& phrases);

}  // namespace inboxd::classify
