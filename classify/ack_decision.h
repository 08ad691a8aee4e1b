// ack_decision.h: the one answer to "acknowledge this message or not?"
// (issue 8 item 4; STYLE house rule 11).
//
// What it does: a decision table over the facts each stage knows about one
// message. The classifier fills what the message says (kind, sender, thread,
// personal mail, From); the processor adds the ack window of the first sync;
// the planner adds the loop guard's verdict (rate limits, our own address)
// and whether a reply can be addressed. Each of them, and replay and explain,
// calls DecideAck with what it knows, so the same message gets the same
// answer everywhere and every refusal names the row that refused.
//
// The rows, first match wins:
//   decide.self        our own mail came back            -> automatic
//   decide.automatic   kind is not human                 -> automatic
//   decide.agent       sender is an agent or a shared    -> refused
//                      mailbox, or the copy is in Sent
//   decide.duplicate   a copy of a message on a ticket   -> followup
//   decide.followup    continues a conversation          -> followup
//   decide.personal    personal mail to an agent (D4)    -> personal
//   decide.quarantined the MIME adapter refused it       -> refused
//   decide.no_from     no address to answer              -> refused
//   decide.noreply     From matches responder.noreply_regex -> refused
//   decide.ack_window  arrived before the first sync's ack window -> refused
//   decide.loop_guard  the loop guard refused (rate, own address) -> refused
//   decide.recipient   no valid reply address            -> refused
//   decide.ack         everything else                   -> ack
// followup and personal get no acknowledgement, but their ticket's answer
// clock runs for a person (POLICY D1/D4); automatic and refused get none.
// What it does not do: find the facts (classifier.h, processor.h,
// responder/planner.h do) or write anything.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inboxd::classify {

enum class AckOutcome { kAck, kFollowup, kPersonal, kAutomatic, kRefused };

// "ack", "followup", "personal", "automatic", "refused" (replay --json
// `decision`, the decisions table, audit events).
std::string_view AckOutcomeName(AckOutcome outcome);

// What is known about one message. Unknown facts stay at their default,
// which never refuses.
struct AckFacts {
  bool self = false;       // our own Message-ID or loop header
  bool automatic = false;  // kind is not human
  std::string kind = "human";
  bool from_agent = false;   // sender is an agent or a shared mailbox
  bool in_sent = false;      // seen only in a Sent folder
  bool duplicate = false;    // same Message-ID as a message on a ticket
  bool followup = false;     // thread continues a conversation
  std::string followup_why;  // "In-Reply-To <x@shop.example> (ours)"
  bool personal = false;     // class personal (POLICY D4)
  std::string personal_why;  // "greeting names agent nina@shop.example"
  bool quarantined = false;
  std::string quarantine_reason;
  bool has_from = true;
  bool noreply = false;  // From matches responder.noreply_regex
  std::string from;      // for the reason text
  std::optional<std::string> ack_window_refusal;  // processor
  std::optional<std::string> loop_guard_refusal;  // planner
  std::optional<std::string> recipient_refusal;   // planner (composer)
  // The rule ids that made the message automatic (for decide.automatic).
  std::vector<std::string> automatic_rules;
};

struct AckDecision {
  AckOutcome outcome = AckOutcome::kAck;
  bool ack = false;  // outcome == kAck
  std::string row;   // the table row that decided: "decide.followup"
  // The row plus the classification rules behind it.
  std::vector<std::string> rules;
  // "ack: first contact from a customer" or "no ack (followup): ...".
  std::string reason;
};

// The decision for `facts` (the table above). Never fails.
AckDecision DecideAck(const AckFacts& facts);

// Decides again with `facts` (an earlier stage's facts plus what a later
// stage found) and puts the new decision's reason in place of `old`'s in
// `reasons`. Returns the new decision.
AckDecision Redecide(const AckDecision& old, const AckFacts& facts,
                     std::vector<std::string>* reasons);

}  // namespace inboxd::classify
