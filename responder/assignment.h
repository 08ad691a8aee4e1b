// assignment.h: the mail that hands a ticket to its owner (issue 10 item 1;
// POLICY R1, R3, C1).
//
// The owner (each present agent of it: an agent's address, or every agent
// of a team) gets one mail per ticket and step, in their [[agent]]
// language, carrying the customer's message (the latest on the ticket, or
// the follow-up that just came in): the note (who, why, the next
// deadline), the customer's text and the original attached. Reply-To is the
// customer and the shared mailbox, so Reply in the agent's own client answers
// the customer and its copy reaches the shared mailbox, where the classifier
// records it as the agent's answer (classify/agent_reply.h).
// Composer::ComposeAssignment builds the mail.
//
// Nobody is sent a copy of what they already have or cannot use: no mail
// when [routing] assignment_mail is off, none to a shared mailbox's own
// address (the ticket is already there), none to an agent the customer
// wrote to directly (To/Cc), none to an agent who is absent at `now`.
// Exactly once: the Message-ID is per ticket, step and recipient, so a
// repeat after a crash is "already queued".
//
// Not here: choosing the owner (routing.h), sending (outbox_drain.h).
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/lifecycle.h"
#include "responder/loop_guard.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// Longest customer text quoted in the note (bytes, cut at a UTF-8
// boundary); the whole message is attached.
inline constexpr size_t kMaxAssignmentQuote = 16u << 10;

struct AssignmentRequest {
  const store::Ticket* ticket = nullptr;
  std::vector<Target> targets;  // ResolveTargets(config, owner)
  std::string step;             // "assign", "moved-12": the Message-ID kind
  std::string reason;           // why them: "R1: route primary for quote"
  // The message it carries (a messages row); 0 = the customer's latest.
  int64_t message_row = 0;
  // A follow-up: the customer wrote again on a ticket the owner has.
  bool followup = false;
};

// Everything QueueAssignment reads besides the request; not owned.
struct AssignmentContext {
  store::Store* store = nullptr;
  const config::Config* config = nullptr;
  const TemplateSet* templates = nullptr;
  const MessageParser* parser = nullptr;
  const LoopGuard* guard = nullptr;
};

// Queues the assignment mail of `req.ticket` (from `parts`' mailbox) to each
// target as described at the top of this file; returns the addresses it
// was queued for (a repeat counts). Errors: the store's, a template's.
core::Result<std::vector<std::string>> QueueAssignment(
    const AssignmentContext& ctx, MailboxParts& parts,
    const AssignmentRequest& req, core::TimePoint now);

}  // namespace inboxd::responder
