// rule_engine.h: compiles classification rules (config::Rule) into one
// RE2::Set per message field and matches a message against them.
//
// What it does: merges the shipped default rules with the operator's rules
// (same id = override, enabled=false = disabled), validates every pattern,
// groups patterns by field, and reports every rule that fired as a Reason
// (rule id, field, matched text). `unless` patterns are checked after a Set
// hit, on the same value. Patterns match case-insensitively (RE2 UTF-8).
// A rule sets a kind, a class or neither, and may set a flag (e.g.
// "material_defect", POLICY R6); a flag-only rule sets neither kind nor
// class, so it never changes what the message is.
// What it does not do: decide anything. Kind precedence, weak signals, class
// choice and acknowledgement are in classifier.h.
//
// Evidence: every rule is structural (headers, MIME structure, envelope,
// defined by an RFC or a vendor's documented format) or content (subject and
// body words). The classifier lets content only corroborate a structural
// signal (classifier.h). `evidence` in the rule sets it; by default the
// fields subject, body, body_head and from_name are content.
//
// Fields a rule may name:
//   header:<Name>  every value of that header (raw, unfolded)
//   any_header     every "Name: value" line
//   subject        decoded subject (Persian yeh/kaf normalised)
//   body           first limits.scan_bytes of the text, quotes stripped
//   body_head      first lines of that text (out-of-office first lines)
//   from           From address (lower case)
//   from_local     local part of From (lower case)
//   from_name      From display name
//   return_path    Return-Path address ("" for the null sender <>)
//   content_type   "type/subtype" plus "; report-type=X" when present
//   part_type      every leaf MIME part type
//   attachment     every attachment file name
//   missing_header "message-id", "date", "from", "to" for each of these
//                  headers the message lacks
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/error.h"
#include "core/limits.h"
#include "core/message.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace inboxd::classify {

// RE2 memory budget per compiled Set (DEPS-FACTS 1.3.7: 1 MiB failed for 300
// alternations, 8 MiB was enough).
inline constexpr int64_t kRuleSetMaxMem = 16 << 20;
// Longest matched text kept in a Reason.
inline constexpr size_t kReasonTextMax = 80;

// One rule that fired.
struct Reason {
  std::string rule_id;      // "rfc3834.auto_submitted"
  std::string field;        // "header:Auto-Submitted"
  std::string matched;      // Printable, at most kReasonTextMax bytes
  std::string kind;         // what the rule sets ("" when it sets a class
                            // or only a flag); "human" for an explicit
                            // human signal
  std::string cls;          // class it sets ("" when it sets a kind or only
                            // a flag)
  std::string flag;         // flag it sets ("" = none), [a-z0-9_]+
  bool weak = false;        // counts only together with another signal
  bool structural = true;   // structural evidence; false: content (words)
  std::string description;  // the rule's description
  std::string source;       // RFC / vendor documentation it follows
};

// True when a rule on `field` is content evidence by default (subject,
// body, body_head, from_name: words a person may write too).
bool IsContentField(std::string_view field);

// The values of every field of one message, prepared once (quotes stripped,
// Persian normalised, body cut to scan_bytes).
struct MessageFields {
  std::vector<std::pair<std::string, std::string>> values;  // field, value
  std::string body;       // unquoted body text (for language detection too)
  std::string body_head;  // first lines of `body`

  // Builds the fields of `msg`. Never fails; absent fields are left out.
  static MessageFields From(const core::Message& msg,
                            const core::Limits& limits);
};

class RuleEngine {
 public:
  ~RuleEngine();
  RuleEngine(const RuleEngine&) = delete;
  RuleEngine& operator=(const RuleEngine&) = delete;

  // Merges `defaults` with `overrides` (an override with the same id
  // replaces the default; enabled=false removes it) and compiles them.
  // Failure: kInvalidArgument naming the rule id and file:line for an
  // unknown field, both kind and class, none of kind, class and flag, a bad
  // kind or class name, a flag that is not [a-z0-9_]+, a duplicate id
  // within one list, or a pattern RE2 rejects; kInternal when a Set cannot
  // be compiled within kRuleSetMaxMem.
  static core::Result<std::unique_ptr<RuleEngine>> Compile(
      const std::vector<config::Rule>& defaults,
      const std::vector<config::Rule>& overrides);

  // Returns every rule that fired on `fields`, in rule order. Rules with a
  // `mailbox` only fire when `mailbox_name` equals it. Never fails.
  std::vector<Reason> Match(const MessageFields& fields,
                            std::string_view mailbox_name) const;

  // The effective rules, in order (for `inboxd config show` and tests).
  const std::vector<config::Rule>& rules() const { return rules_; }

 private:
  struct FieldSet;
  RuleEngine() = default;

  std::vector<config::Rule> rules_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // per rule
  std::vector<std::unique_ptr<re2::RE2>> unless_;    // per rule, may be null
  std::vector<std::unique_ptr<FieldSet>> sets_;
  std::map<std::string, size_t> set_of_key_;  // field key -> sets_ index
};

// True for the kind names a rule may set (the automatic kinds and "human").
bool IsKnownKind(std::string_view kind);
// True for the class names a rule may set.
bool IsKnownClass(std::string_view cls);
// True for a flag name a rule may set: [a-z0-9_]+.
bool IsValidFlag(std::string_view flag);

}  // namespace inboxd::classify
