// templates.h: the acknowledgement templates (kainjow mustache), validated at
// load and rendered per language, mailbox and class.
//
// File layout (one file per template and language; <dir> is the shipped
// templates/ directory or the operator's [templates] dir, which is searched
// first):
//   <dir>/<lang>/<name>.mustache                    the template
//   <dir>/<lang>/<mailbox>/<name>.mustache          override for one mailbox
//   <dir>/<lang>/<mailbox>/<class>/<name>.mustache  override for mailbox+class
//   ... and the same paths ending in .html.mustache for an own HTML part.
// Without an .html.mustache file the HTML part is the rendered text, HTML
// escaped, in a <div> with lang= and dir= ("rtl" for fa).
//
// File format: the first line is "Subject: <subject template>", the second
// line is empty, the rest is the text/plain body template. The subject is
// used for mail that is not a reply (agent_alert, escalation) and for replies
// to mail without a subject; replies otherwise say "Re: <original> [#tag]".
//
// Validation at load (any failure refuses to start, kInvalidArgument, with
// "file:line: ..."): mustache syntax; every {{tag}} (variables and sections)
// in the template's allowed variable list (AllowedVariables); no partials or
// delimiter changes; every name a known template; every template present in
// every shipped language (kShippedLanguages); no forbidden phrase (POLICY C5:
// the built-in multilingual list plus [templates] forbidden_phrases), matched
// case-insensitively per line after Persian normalisation (ي→ی, ك→ک, ZWNJ
// removed).
//
// Rendering: text and subject with a no-op escape (text/plain), the HTML part
// with HTML escaping. A variable the template uses must be given; a required
// one must be non-empty (optional ones, such as customer_name, may be empty
// and are false in {{#section}}s).
//
// Not done here: choosing the language (classify/), building the MIME
// message (composer.h), and I/O after load.
#pragma once

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "classify/forbidden_phrases.h"
#include "core/error.h"
#include "core/text.h"

namespace inboxd::responder {

inline constexpr std::array<std::string_view, 11> kTemplateNames = {
    "ack",          "quote_ack",        "complaint_receipt",
    "delay_notice", "absence_fallback", "csat",
    "agent_alert",  "escalation",       "assignment",
    "digest",       "weekly_report"};
inline constexpr std::array<std::string_view, 4> kShippedLanguages = {
    "en", "de", "zh", "fa"};

// The POLICY C5 phrases that are always forbidden: see
// classify/forbidden_phrases.h.
using classify::BuiltinForbiddenPhrases;

struct TemplateVariable {
  std::string_view name;
  bool required;  // must be non-empty when the template uses it
};

// The variables template `name` may use; empty for an unknown name.
const std::vector<TemplateVariable>& AllowedVariables(std::string_view name);

// Variable name -> value. A value for one language only is keyed
// "<name>/<language>" ("signature/de") and wins over "<name>" when the
// template is rendered in that language (after Render's fallback).
using TemplateVars = std::map<std::string, std::string>;

// Separates the items of a list variable (shared_addresses): Render joins
// them as the language writes a list of alternatives ("a or b", "a, b or
// c"; "a oder b"; "a 或 b"; "a یا b"), isolating each for right-to-left
// text.
inline constexpr char kListSeparator = '\x1f';

// U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE (UAX #9).
inline constexpr std::string_view kFirstStrongIsolate = "\u2068";
inline constexpr std::string_view kPopDirectionalIsolate = "\u2069";

// Each non-empty line of `value` between U+2068 and U+2069: in
// right-to-left text it keeps its own direction (a ticket tag, an address).
std::string IsolateLines(std::string_view value);

// HTML with every U+2068 ... U+2069 pair as <bdi> ... </bdi>.
std::string IsolatesToBdi(std::string_view html);

// `items` (kListSeparator-separated) as alternatives in `language`.
std::string JoinAlternatives(std::string_view items, std::string_view language);

struct RenderedTemplate {
  std::string name;      // "ack"
  std::string language;  // the language actually used ("de")
  std::string source;    // the file that was rendered
  std::string subject;   // one line, no CR/LF
  std::string text;      // text/plain body, LF line ends
  std::string html;      // text/html body (always set)
  bool rtl = false;
};

class TemplateSet {
 public:
  // Loads every template under `shipped_dir` and (when not "")
  // `override_dir`, validating as described above. Fails with
  // kInvalidArgument "file:line: reason" on the first bad file, or
  // "<dir>/<lang>/<name>.mustache: missing" when a required template is
  // absent in a shipped language.
  static core::Result<TemplateSet> Load(
      const std::string& shipped_dir, const std::string& override_dir,
      const std::vector<std::string>& forbidden_phrases);

  // Renders template `name` for `language` (falling back to
  // `fallback_language`, then "en", when the language has no templates),
  // preferring the mailbox+class override, then the mailbox override, then
  // the operator's, then the shipped file. Fails with kInvalidArgument on an
  // unknown template or a missing/empty required variable, kInternal when the
  // mustache library fails.
  core::Result<RenderedTemplate> Render(std::string_view name,
                                        std::string_view language,
                                        std::string_view fallback_language,
                                        std::string_view mailbox,
                                        std::string_view cls,
                                        const TemplateVars& vars) const;

  // Languages that have templates, sorted.
  std::vector<std::string> Languages() const;
  // Number of template files loaded (text and HTML).
  size_t size() const { return entries_.size(); }

  struct Entry {
    std::string path;
    std::string subject;  // subject template
    std::string body;     // text body template
    int body_line = 3;    // file line of the first body line
    std::string html;     // own HTML template ("" = generated)
    std::string html_path;
    std::vector<std::string> used;  // variable/section names used
  };

 private:
  TemplateSet() = default;
  const Entry* Find(std::string_view lang, std::string_view mailbox,
                    std::string_view cls, std::string_view name) const;

  // Key: origin ("o" operator, "s" shipped) + "/" + lang + "/" + mailbox +
  // "/" + class + "/" + name.
  std::map<std::string, Entry> entries_;
};

// Scans a mustache template for tags; exposed for tests. Returns the names
// used, or kInvalidArgument "<path>:<line>: ..." for a tag not in `allowed`,
// a partial, a delimiter change, an unclosed tag or unbalanced sections.
// `first_line` is the file line where `source` starts.
core::Result<std::vector<std::string>> ScanTemplateTags(
    std::string_view source, std::string_view path, int first_line,
    const std::vector<TemplateVariable>& allowed);

// Returns "<path>:<line>: forbidden phrase '<p>' (POLICY C5)" as
// kInvalidArgument when `source` contains one of `phrases`.
core::Status CheckForbiddenPhrases(std::string_view source,
                                   std::string_view path, int first_line,
                                   const std::vector<std::string>& phrases);

// HTML-escapes & < > " ' (core/text.h).
using core::HtmlEscape;

}  // namespace inboxd::responder
