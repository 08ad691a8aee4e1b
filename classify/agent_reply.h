// agent_reply.h: what an agent's reply sent as a shared mailbox means for its
// ticket (POLICY C1 copies in the Sent folder or CC/BCC, C5, A1).
//
// Does: finds POLICY C5 forbidden phrases in what the agent wrote (quotes and
// signature stripped, so a quoted customer text is not held against the
// agent); records the reply on its ticket: event "agent.reply" (actor = the
// agent), event "agent.reply.flagged" for a manager when a forbidden phrase
// was used, the ticket's answer milestones (config
// deadlines.met_by_agent_reply) met with the reply as their evidence (issue
// 9 item 4), and the ticket's answered_at (a person answered). The ticket's
// state does not change: closing and waiting are the agent's choice (issue
// 9 item 6). Every step is idempotent, so a crash at any point is repaired
// by running it again.
// Does not: classify, find the ticket (the processor does), record the
// message's decision (the processor's last step), or send anything.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "classify/forbidden_phrases.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

namespace inboxd::classify {

// Appends `event` unless an event of the same type already exists for
// event.message_row (which must be > 0), so a re-run after a crash does not
// write it twice. Returns true when it appended. Errors: the store's.
core::Result<bool> AppendEventOnce(store::Store& store,
                                   const store::EventIn& event);

// True when `milestone` (by id, e.g. "D2", or by name, e.g. "answer") is
// listed in config.deadlines.met_by_agent_reply.
bool MetByAgentReply(const store::Milestone& milestone,
                     const config::Config& config);

struct AgentReply {
  int64_t message_row = 0;  // the reply (messages row id)
  int64_t ticket_id = 0;    // 0: no ticket found (events only)
  std::string ticket_tag;   // "S-1000", for the event data ("" when none)
  std::string mailbox;      // the shared mailbox it was sent as
  std::string agent;        // the From address, lower case
  core::TimePoint at;       // when it was sent (INTERNALDATE of the copy)
  std::vector<std::string> flagged;  // FindForbiddenPhrases' result
  // The evidence (store::MilestoneEvidence): how it reached us
  // ("sent_folder", "cc_copy", "agent_thread"), its Message-ID and folder.
  std::string by = "sent_folder";
  std::string message_id;
  std::string folder;
};

struct AgentReplyOutcome {
  std::vector<std::string> deadlines_met;     // ids met now
  std::vector<std::string> deadlines_missed;  // ids answered after due_at
  bool answered = false;                      // the ticket's answered_at moved
};

// Records `reply` as described at the top of this file. Milestones: each one
// without evidence that MetByAgentReply gets this reply as evidence (met
// when in time, else it stays missed, answered late: a late answer stays
// visible).
// Errors: the store's (kUnavailable: retry later; kNotFound: the ticket
// vanished). `store` is not owned.
core::Result<AgentReplyOutcome> RecordAgentReply(store::Store& store,
                                                 const config::Config& config,
                                                 const AgentReply& reply);

}  // namespace inboxd::classify
