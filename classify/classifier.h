// classifier.h: decides what a message is (issues 4 and 8): kind, class,
// thread, sender role, language and whether inboxd acknowledges it, with the
// reasons.
//
// What it does: runs the compiled rules (rule_engine.h) over the message and
// weighs the hits as evidence (issue 8 item 1):
//   - structural signals (headers, MIME structure, envelope; defined by an
//     RFC or a vendor's documented format) decide a kind alone;
//   - weak structural signals (weak = true: Precedence: bulk, which
//     forwarders stamp on human mail) count only with a strong structural
//     signal or with content that corroborates them;
//   - content signals (subject and body words, a vendor's auto-reply subject
//     prefix) never make a message automatic alone: they count only when a
//     structural signal is there, and then may refine its kind (a bounce that
//     carries Auto-Submitted: auto-replied);
//   - an explicit human signal (rule kind "human": Auto-Submitted: no) makes
//     weak and content signals count for nothing.
// Of what counts, kind precedence is bounce > auto_reply > list_bulk > spam.
// It adds the signals that need config (our own Message-IDs, agents, shared
// mailbox addresses, parsed DSN data), resolves the thread (thread.h),
// detects the language (language.h), finds the agent a message is addressed
// to (personal.h) and decides the acknowledgement with DecideAck
// (ack_decision.h). Every refusal is stated as a reason.
// What it does not do: store anything, send anything, or compute deadlines.
//
// Class choice for human mail: complaint > quote > support from the class
// rules; personal when the message is addressed to an agent (To/Cc or a
// greeting naming one) and no class rule found a request (POLICY D4); then
// the mailbox's default_class, then "other".
//
// Flags (POLICY R6: a complaint about a material defect goes to the board
// at once): human mail gets the flags of every rule that fired, content
// rules included (a flag never makes mail automatic). A flag-only rule has
// neither kind nor class and so never changes the kind or the class.
// Automatic mail gets no flags.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "classify/ack_decision.h"
#include "classify/rule_engine.h"
#include "classify/thread.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/message.h"

namespace re2 {
class RE2;
}

namespace inboxd::classify {

enum class Kind { kHuman, kAutoReply, kBounce, kListBulk, kSpam };
enum class FolderRole { kIncoming, kSent };
enum class SenderRole { kCustomer, kAgent, kSelf };

// "human", "auto_reply", "bounce", "list_bulk", "spam".
std::string_view KindName(Kind kind);
// "customer", "agent", "self".
std::string_view SenderRoleName(SenderRole role);
// True for every kind but kHuman.
inline bool IsAutomatic(Kind kind) { return kind != Kind::kHuman; }

struct Context {
  const config::Mailbox* mailbox = nullptr;  // null: no mailbox (replay)
  FolderRole folder = FolderRole::kIncoming;
  const ThreadLookup* threads = nullptr;  // required
  core::TimePoint now{};                  // used when the message has no Date
};

struct Decision {
  Kind kind = Kind::kHuman;
  std::string cls;  // quote|complaint|support|personal|other; "" unless human
  bool followup = false;            // thread: new or followup
  std::optional<TicketRef> ticket;  // when the thread's ticket is known
  SenderRole sender_role = SenderRole::kCustomer;
  std::string language;         // "de"
  std::string language_source;  // "cld2", "charset", ...
  bool ack = false;             // decision.ack
  AckDecision decision;         // DecideAck over what the message says
  AckFacts facts;               // what DecideAck was given (later stages
                                // add their facts and decide again)
  std::vector<std::string> kind_rules;  // rule ids that made it automatic
  std::string personal_agent;           // agent address when class is personal
  // For bounces: the Message-ID of the message that bounced (RFC 3464
  // Original-Message-ID or the enclosed headers), "" when unknown.
  std::string bounced_message_id;
  // Human mail only: the flags of every rule that fired, sorted, each once
  // ("material_defect"); empty for automatic mail.
  std::vector<std::string> flags;
  std::vector<Reason> hits;          // every rule that fired
  std::vector<std::string> reasons;  // human-readable, one per decision step
};

class Classifier {
 public:
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // Compiles the shipped default rules plus `config.rules` (overrides by
  // id) and responder.noreply_regex. Keeps a copy of `config`.
  // Failure: kInvalidArgument naming the rule id and file:line, or the
  // noreply regex; kInternal when the shipped rules do not parse.
  static core::Result<std::unique_ptr<Classifier>> Create(
      const config::Config& config);
  // Same, with `defaults` instead of the shipped rules (tests).
  static core::Result<std::unique_ptr<Classifier>> CreateWithRules(
      const config::Config& config, const std::vector<config::Rule>& defaults);

  // Classifies `msg`. Failure: only the thread lookup's error (kUnavailable
  // from a store: retry later); kInvalidArgument when ctx.threads is null.
  core::Result<Decision> Classify(const core::Message& msg,
                                  const Context& ctx) const;

  const RuleEngine& engine() const { return *engine_; }
  const config::Config& config() const { return config_; }

 private:
  Classifier() = default;
  config::Config config_;
  std::unique_ptr<RuleEngine> engine_;
  std::unique_ptr<re2::RE2> noreply_;
  std::vector<std::string> our_domains_;
};

}  // namespace inboxd::classify
