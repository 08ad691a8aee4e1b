#include "classify/agent_reply.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "classify/text_norm.h"
#include "core/text.h"

namespace inboxd::classify {

core::Result<bool> AppendEventOnce(store::Store& store,
                                   const store::EventIn& event) {
  INBOXD_CHECK(event.message_row > 0);
  store::EventFilter filter;
  filter.message_row = event.message_row;
  filter.type = event.type;
  filter.limit = 1;
  auto existing = store.ListEvents(filter);
  if (!existing) return core::Fail(existing.error());
  if (!existing->empty()) return false;
  auto id = store.AppendEvent(event);
  if (!id) return core::Fail(id.error());
  return true;
}

bool MetByAgentReply(const store::Milestone& milestone,
                     const config::Config& config) {
  for (const std::string& m : config.deadlines.met_by_agent_reply) {
    if (core::IEquals(m, milestone.milestone_id) ||
        core::IEquals(m, milestone.name)) {
      return true;
    }
  }
  return false;
}

core::Result<AgentReplyOutcome> RecordAgentReply(store::Store& store,
                                                 const config::Config& config,
                                                 const AgentReply& reply) {
  AgentReplyOutcome out;
  const std::string actor = reply.agent.empty() ? "inboxd" : reply.agent;

  // 1. The audit record of the reply (A1), and the C5 flag for a manager.
  nlohmann::json data = {{"agent", reply.agent},
                         {"mailbox", reply.mailbox},
                         {"ticket", reply.ticket_tag},
                         {"sent_at", core::FormatUtc(reply.at)}};
  store::EventIn ev{.type = "agent.reply",
                    .mailbox = reply.mailbox,
                    .ticket_id = reply.ticket_id,
                    .message_row = reply.message_row,
                    .actor = actor,
                    .data = data.dump()};
  if (auto r = AppendEventOnce(store, ev); !r) return core::Fail(r.error());
  if (!reply.flagged.empty()) {
    nlohmann::json flag = {{"agent", reply.agent},
                           {"ticket", reply.ticket_tag},
                           {"phrases", reply.flagged},
                           {"policy", "C5"}};
    store::EventIn fe{.type = "agent.reply.flagged",
                      .mailbox = reply.mailbox,
                      .ticket_id = reply.ticket_id,
                      .message_row = reply.message_row,
                      .actor = actor,
                      .data = flag.dump()};
    if (auto r = AppendEventOnce(store, fe); !r) return core::Fail(r.error());
  }
  if (reply.ticket_id == 0) return out;

  // 2. Milestones the reply answers. Re-running finds their evidence set.
  auto milestones = store.ListMilestones(reply.ticket_id);
  if (!milestones) return core::Fail(milestones.error());
  store::MilestoneEvidence ev_in;
  ev_in.by = reply.by;
  ev_in.message_row = reply.message_row;
  ev_in.message_id = reply.message_id;
  ev_in.mailbox = reply.mailbox;
  ev_in.folder = reply.folder;
  ev_in.at = reply.at;
  ev_in.actor = actor;
  for (const store::Milestone& m : *milestones) {
    if (m.state == store::MilestoneState::kMet || !m.evidence.by.empty()) {
      continue;
    }
    if (!MetByAgentReply(m, config)) continue;
    auto st = store.MeetMilestone(reply.ticket_id, m.milestone_id, ev_in);
    if (!st) return core::Fail(st.error());
    (*st == store::MilestoneState::kMet ? out.deadlines_met
                                        : out.deadlines_missed)
        .push_back(m.milestone_id);
  }

  // 3. A person answered (the watcher sends no delay notice then).
  auto ticket = store.GetTicket(reply.ticket_id);
  if (!ticket) return core::Fail(ticket.error());
  if (!ticket->answered_at || *ticket->answered_at < reply.at) {
    auto st = store.NoteTicketMessage(reply.ticket_id,
                                      store::TicketParty::kAgent, reply.at);
    if (!st) return core::Fail(st.error());
    out.answered = true;
  }
  return out;
}

}  // namespace inboxd::classify
