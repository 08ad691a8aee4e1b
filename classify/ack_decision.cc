#include "classify/ack_decision.h"

#include <string>
#include <vector>

namespace inboxd::classify {

std::string_view AckOutcomeName(AckOutcome outcome) {
  switch (outcome) {
    case AckOutcome::kAck:
      return "ack";
    case AckOutcome::kFollowup:
      return "followup";
    case AckOutcome::kPersonal:
      return "personal";
    case AckOutcome::kAutomatic:
      return "automatic";
    case AckOutcome::kRefused:
      return "refused";
  }
  return "refused";
}

namespace {

AckDecision Make(AckOutcome outcome, std::string row, std::string why) {
  AckDecision d;
  d.outcome = outcome;
  d.ack = outcome == AckOutcome::kAck;
  d.rules.push_back(row);
  if (d.ack) {
    d.reason = "ack: " + why;
  } else {
    d.reason = "no ack (" + std::string(AckOutcomeName(outcome)) + ", " + row +
               "): " + why;
  }
  d.row = std::move(row);
  return d;
}

}  // namespace

AckDecision DecideAck(const AckFacts& f) {
  using O = AckOutcome;
  if (f.self) {
    return Make(O::kAutomatic, "decide.self",
                "our own message (Message-ID or loop header) came back");
  }
  if (f.automatic) {
    AckDecision d =
        Make(O::kAutomatic, "decide.automatic", "kind is " + f.kind);
    d.rules.insert(d.rules.end(), f.automatic_rules.begin(),
                   f.automatic_rules.end());
    return d;
  }
  if (f.in_sent) {
    return Make(O::kRefused, "decide.agent",
                "in a Sent folder: an agent's message, not a customer's");
  }
  if (f.from_agent) {
    return Make(O::kRefused, "decide.agent",
                "sender is an agent or a shared mailbox");
  }
  if (f.duplicate) {
    return Make(O::kFollowup, "decide.duplicate",
                "a copy of a message already on a ticket");
  }
  if (f.followup) {
    return Make(
        O::kFollowup, "decide.followup",
        "continues a conversation" +
            (f.followup_why.empty() ? "" : " (" + f.followup_why + ")") +
            "; the answer clock runs for a person");
  }
  if (f.personal) {
    return Make(
        O::kPersonal, "decide.personal",
        "personal mail to an agent" +
            (f.personal_why.empty() ? "" : " (" + f.personal_why + ")") +
            "; the agent's answer clock (D4) runs");
  }
  if (f.quarantined) {
    return Make(
        O::kRefused, "decide.quarantined",
        "quarantined (" + f.quarantine_reason + "); a person must look at it");
  }
  if (!f.has_from) {
    return Make(O::kRefused, "decide.no_from", "no From address to answer");
  }
  if (f.noreply) {
    return Make(O::kRefused, "decide.noreply",
                "From " + f.from + " matches responder.noreply_regex");
  }
  if (f.ack_window_refusal) {
    return Make(O::kRefused, "decide.ack_window", *f.ack_window_refusal);
  }
  if (f.loop_guard_refusal) {
    return Make(O::kRefused, "decide.loop_guard", *f.loop_guard_refusal);
  }
  if (f.recipient_refusal) {
    return Make(O::kRefused, "decide.recipient", *f.recipient_refusal);
  }
  return Make(O::kAck, "decide.ack", "first contact from a customer");
}

AckDecision Redecide(const AckDecision& old, const AckFacts& facts,
                     std::vector<std::string>* reasons) {
  AckDecision again = DecideAck(facts);
  std::erase(*reasons, old.reason);
  reasons->push_back(again.reason);
  return again;
}

}  // namespace inboxd::classify
