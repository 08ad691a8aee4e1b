#include "classify/agent_reply.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "classify/text_norm.h"
#include "core/text.h"
#include "responder/templates.h"

namespace inboxd::classify {
namespace {

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Lower-cases ASCII, folds Persian yeh/kaf, drops ZWNJ, turns U+2019 into
// an apostrophe and collapses every run of white space into one space.
std::string FoldForMatch(std::string_view s) {
  std::string persian = NormalizePersian(s);
  std::string out;
  out.reserve(persian.size());
  bool space = false;
  for (size_t i = 0; i < persian.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(persian[i]);
    if (c == 0xE2 && i + 2 < persian.size() &&
        static_cast<unsigned char>(persian[i + 1]) == 0x80) {
      unsigned char d = static_cast<unsigned char>(persian[i + 2]);
      if (d == 0x8C) {  // U+200C ZERO WIDTH NON-JOINER
        i += 2;
        continue;
      }
      if (d == 0x99) {  // U+2019 RIGHT SINGLE QUOTATION MARK
        i += 2;
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back('\'');
        continue;
      }
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
        c == '\v') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(core::AsciiLower(static_cast<char>(c)));
  }
  return out;
}

bool ContainsPhrase(std::string_view text, std::string_view phrase) {
  if (phrase.empty()) return false;
  const bool word_start = IsWordByte(phrase.front());
  const bool word_end = IsWordByte(phrase.back());
  for (size_t pos = text.find(phrase); pos != std::string_view::npos;
       pos = text.find(phrase, pos + 1)) {
    if (word_start && pos > 0 && IsWordByte(text[pos - 1])) continue;
    size_t end = pos + phrase.size();
    if (word_end && end < text.size() && IsWordByte(text[end])) continue;
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> AgentReplyForbiddenPhrases(
    const config::Config& config) {
  std::vector<std::string> out;
  auto add = [&out](std::string_view p) {
    std::string t(core::Trim(p));
    if (t.empty()) return;
    if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  for (const std::string& p : responder::BuiltinForbiddenPhrases()) add(p);
  for (const std::string& p : config.templates.forbidden_phrases) add(p);
  return out;
}

std::vector<std::string> FindForbiddenPhrases(
    std::string_view text, const std::vector<std::string>& phrases) {
  std::string written = StripSignature(StripQuoted(text));
  std::string folded = FoldForMatch(Utf8Prefix(written, kAgentReplyScanBytes));
  std::vector<std::string> found;
  for (const std::string& p : phrases) {
    std::string fp = FoldForMatch(p);
    if (ContainsPhrase(folded, fp) &&
        std::find(found.begin(), found.end(), p) == found.end()) {
      found.push_back(p);
    }
  }
  return found;
}

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
