// lifecycle.cc: milestones of a ticket and its state transitions
// (lifecycle.h).
#include "responder/lifecycle.h"

#include <algorithm>
#include <set>

#include "core/text.h"

namespace inboxd::responder {

namespace {

using core::Fail;
using core::Result;

bool Listed(const std::vector<std::string>& list, std::string_view id,
            std::string_view name) {
  for (const std::string& x : list) {
    if (core::IEquals(x, id) || core::IEquals(x, name)) return true;
  }
  return false;
}

// Business seconds between `from` and `to` (minute steps: windows are days,
// so this is at most a few ten thousand steps).
std::chrono::seconds BusinessSecondsBetween(const BusinessCalendar& calendar,
                                            core::TimePoint from,
                                            core::TimePoint to) {
  std::chrono::seconds n{0};
  for (core::TimePoint t = from; t < to; t += std::chrono::minutes(1)) {
    if (calendar.IsBusinessTime(t)) {
      n += std::min<std::chrono::seconds>(std::chrono::minutes(1), to - t);
    }
  }
  return n;
}

}  // namespace

const config::Account* FindAccount(const config::Config& config,
                                   std::string_view customer) {
  const std::string addr = core::AsciiLower(core::Trim(customer));
  if (addr.empty()) return nullptr;
  for (const config::Account& a : config.accounts) {
    for (const std::string& x : a.addresses) {
      if (core::IEquals(x, addr)) return &a;
    }
  }
  const size_t at = addr.rfind('@');
  if (at == std::string::npos) return nullptr;
  const std::string domain = addr.substr(at + 1);
  const config::Account* best = nullptr;
  size_t best_len = 0;
  for (const config::Account& a : config.accounts) {
    for (const std::string& d : a.domains) {
      const bool match =
          core::IEquals(domain, d) ||
          (domain.size() > d.size() &&
           domain[domain.size() - d.size() - 1] == '.' &&
           core::IEquals(domain.substr(domain.size() - d.size()), d));
      if (match && d.size() > best_len) {
        best = &a;
        best_len = d.size();
      }
    }
  }
  return best;
}

std::vector<config::Deadline> MilestonesFor(const config::Config& config,
                                            std::string_view cls,
                                            std::string_view customer) {
  const auto& by = config.deadlines.by_class;
  auto it = by.find(std::string(cls));
  if (it == by.end()) it = by.find("other");
  std::vector<config::Deadline> out;
  if (it != by.end()) out = it->second;
  if (cls == "support") {
    const config::Account* account = FindAccount(config, customer);
    if (account != nullptr && !account->tier.empty()) {
      auto tier = config.tiers.find(account->tier);
      if (tier != config.tiers.end() &&
          tier->second.answer.within.count() > 0) {
        config::Deadline answer = tier->second.answer;
        if (answer.name.empty()) answer.name = "answer";
        if (answer.id.empty()) answer.id = "D3";
        auto same = std::find_if(
            out.begin(), out.end(),
            [&](const config::Deadline& d) { return d.name == answer.name; });
        if (same != out.end()) {
          *same = answer;
        } else {
          out.push_back(answer);
        }
      }
    }
  }
  return out;
}

const config::Route* RouteFor(const config::Config& config,
                              std::string_view cls, std::string_view mailbox) {
  const config::Route* any = nullptr;
  for (const config::Route& r : config.routes) {
    if (r.cls != cls) continue;
    if (!mailbox.empty() && r.mailbox == mailbox) return &r;
    if (r.mailbox.empty()) any = &r;
  }
  return any;
}

bool MetByOurMail(std::string_view kind, const store::Milestone& m) {
  if (kind == "ack") return m.name == "ack" || m.name == "receipt";
  if (kind == "csat") return m.name == "followup";
  return false;
}

std::vector<Target> ResolveTargets(const config::Config& config,
                                   std::string_view target) {
  std::vector<Target> out;
  const std::string t(core::Trim(target));
  if (t.empty()) return out;
  if (t.find('@') != std::string::npos) {
    for (const config::Agent& a : config.agents) {
      if (core::IEquals(a.address, t)) return {{a.address, a.name, a.language}};
    }
    return {{t, t, ""}};
  }
  for (const config::Agent& a : config.agents) {
    if (a.name == t) return {{a.address, a.name, a.language}};
  }
  for (const config::Agent& a : config.agents) {
    if (a.team == t) out.push_back({a.address, a.name, a.language});
  }
  return out;
}

std::vector<std::vector<Target>> EscalationLevels(const config::Config& config,
                                                  const store::Ticket& ticket) {
  std::vector<std::vector<Target>> out;
  if (const config::Route* r = RouteFor(config, ticket.cls, ticket.mailbox)) {
    for (const std::string& level : r->escalate_to) {
      auto targets = ResolveTargets(config, level);
      if (!targets.empty()) out.push_back(std::move(targets));
    }
  }
  return out;
}

std::vector<Target> AllEscalationTargets(const config::Config& config) {
  std::vector<Target> out;
  std::set<std::string> seen;
  auto shared = [&](std::string_view addr) {
    for (const config::Mailbox& m : config.mailboxes) {
      if (core::IEquals(m.address, addr)) return true;
      for (const std::string& a : m.aliases) {
        if (core::IEquals(a, addr)) return true;
      }
    }
    return false;
  };
  for (const config::Route& r : config.routes) {
    for (const std::string& level : r.escalate_to) {
      for (Target& t : ResolveTargets(config, level)) {
        if (shared(t.address)) continue;
        if (!seen.insert(core::AsciiLower(t.address)).second) continue;
        out.push_back(std::move(t));
      }
    }
  }
  return out;
}

std::vector<Target> OwnerTargets(const config::Config& config,
                                 const store::Ticket& ticket) {
  if (!ticket.owner.empty()) return ResolveTargets(config, ticket.owner);
  if (const config::Route* r = RouteFor(config, ticket.cls, ticket.mailbox)) {
    return ResolveTargets(config, r->primary);
  }
  return {};
}

bool StartsAtClose(const config::Deadline& d) { return d.start == "close"; }

bool IsCloseClock(const config::Config& config, const store::Ticket& ticket,
                  std::string_view milestone_id) {
  for (const config::Deadline& d :
       MilestonesFor(config, ticket.cls.empty() ? "other" : ticket.cls,
                     ticket.customer)) {
    if (d.id == milestone_id) return StartsAtClose(d);
  }
  return false;
}

bool RestartsOnCustomerInfo(std::string_view id, std::string_view name) {
  return id == "D6" || name == "resolve";
}

bool GetsDelayNotice(const config::Deadlines& deadlines, std::string_view id,
                     std::string_view name) {
  return Listed(deadlines.delay_notice_for, id, name);
}

Result<store::MilestoneTiming> TimeMilestone(const BusinessCalendar& calendar,
                                             const config::Deadlines& deadlines,
                                             const config::Deadline& d,
                                             core::TimePoint start) {
  auto due = calendar.DueAt(start, d);
  if (!due) return Fail(due.error().Wrap("deadline " + d.id));
  store::MilestoneTiming t;
  t.started_at = start;
  t.due_at = *due;
  if (deadlines.warn_at_percent > 0 && *due > start) {
    t.warn_at = start + (*due - start) * deadlines.warn_at_percent / 100;
  }
  if (GetsDelayNotice(deadlines, d.id, d.name)) {
    const core::TimePoint notice = *due - deadlines.delay_notice_before;
    if (notice > start) t.notice_at = notice;
  }
  return t;
}

config::Deadline DeadlineOf(const store::Milestone& m) {
  config::Deadline d;
  d.id = m.milestone_id;
  d.name = m.name;
  d.within = m.within;
  d.clock = m.clock.empty() ? "calendar" : m.clock;
  return d;
}

std::string DelayNoticeRefusal(const config::Deadlines& deadlines,
                               const store::Ticket& ticket,
                               const store::Milestone& m) {
  if (!GetsDelayNotice(deadlines, m.milestone_id, m.name)) {
    return "no delay notice for " + m.milestone_id + " (" + m.name +
           "): not in deadlines.delay_notice_for";
  }
  if (ticket.state != store::TicketState::kOpen) {
    return "ticket is " + std::string(store::ToString(ticket.state));
  }
  if (ticket.AnsweredSinceCustomer()) {
    return "a person already answered the customer's latest message";
  }
  return "";
}

Result<int> EnsureMilestones(store::Store& store, const config::Config& config,
                             const BusinessCalendar& calendar,
                             const store::Ticket& ticket,
                             core::TimePoint start) {
  std::string cls = ticket.cls.empty() ? "other" : ticket.cls;
  int added = 0;
  for (const config::Deadline& d :
       MilestonesFor(config, cls, ticket.customer)) {
    if (StartsAtClose(d)) continue;
    auto timing = TimeMilestone(calendar, config.deadlines, d, start);
    if (!timing) return Fail(timing.error());
    store::MilestoneIn in;
    in.milestone_id = d.id;
    in.name = d.name;
    in.clock = d.clock;
    in.within = d.within;
    in.timing = *timing;
    auto r = store.AddMilestone(ticket.id, in);
    if (!r) return Fail(r.error());
    if (*r) ++added;
  }
  return added;
}

Result<std::string> OnCustomerMessage(store::Store& store,
                                      const config::Config& config,
                                      const BusinessCalendar& calendar,
                                      const store::Ticket& ticket,
                                      core::TimePoint at,
                                      const std::string& actor) {
  if (auto st =
          store.NoteTicketMessage(ticket.id, store::TicketParty::kCustomer, at);
      !st) {
    return Fail(st.error());
  }
  if (ticket.state == store::TicketState::kClosed) {
    if (auto st = store.SetTicketState(ticket.id, store::TicketState::kOpen, at,
                                       actor, "the customer wrote again");
        !st) {
      return Fail(st.error());
    }
    return "ticket " + ticket.Tag() + " reopened: the customer wrote again";
  }
  if (ticket.state != store::TicketState::kWaiting) return std::string();

  auto milestones = store.ListMilestones(ticket.id);
  if (!milestones) return Fail(milestones.error());
  std::string line =
      "ticket " + ticket.Tag() + " no longer waiting: the customer wrote";
  for (const store::Milestone& m : *milestones) {
    if (m.state != store::MilestoneState::kOpen || !m.paused_at) continue;
    const config::Deadline d = DeadlineOf(m);
    store::MilestoneTiming timing;
    std::string type;
    std::string reason;
    if (RestartsOnCustomerInfo(m.milestone_id, m.name)) {
      auto t = TimeMilestone(calendar, config.deadlines, d, at);
      if (!t) return Fail(t.error());
      timing = *t;
      type = "milestone.restarted";
      reason = "the customer supplied information (POLICY D6)";
      line += "; " + m.milestone_id + " restarted";
    } else {
      // Resume with the time that was left when the clock stopped.
      core::TimePoint due;
      if (d.clock == "business") {
        auto left = BusinessSecondsBetween(calendar, *m.paused_at, m.due_at);
        auto t = calendar.AddBusinessTime(at, left);
        if (!t) return Fail(t.error());
        due = *t;
      } else {
        due = at + std::max<std::chrono::seconds>(m.due_at - *m.paused_at,
                                                  std::chrono::seconds::zero());
      }
      // The original window's shares, moved by the pause.
      const std::chrono::seconds shift = due - m.due_at;
      timing.started_at = m.started_at + shift;
      timing.due_at = due;
      if (m.warn_at && !m.warned_at) timing.warn_at = *m.warn_at + shift;
      if (m.notice_at && !m.notified_at)
        timing.notice_at = *m.notice_at + shift;
      type = "milestone.resumed";
      reason = "the customer wrote";
      line += "; " + m.milestone_id + " resumed";
    }
    if (auto st = store.RetimeMilestone(ticket.id, m.milestone_id, timing, type,
                                        actor, reason);
        !st) {
      return Fail(st.error());
    }
  }
  if (auto st = store.SetTicketState(ticket.id, store::TicketState::kOpen, at,
                                     actor, "the customer wrote");
      !st) {
    return Fail(st.error());
  }
  return line;
}

core::Status SetWaiting(store::Store& store, const store::Ticket& ticket,
                        core::TimePoint at, const std::string& actor,
                        const std::string& reason) {
  if (ticket.state != store::TicketState::kOpen) return core::Ok();
  auto milestones = store.ListMilestones(ticket.id);
  if (!milestones) return Fail(milestones.error());
  for (const store::Milestone& m : *milestones) {
    if (m.state != store::MilestoneState::kOpen) continue;
    if (auto st = store.PauseMilestone(ticket.id, m.milestone_id, at, actor);
        !st) {
      return st;
    }
  }
  return store.SetTicketState(ticket.id, store::TicketState::kWaiting, at,
                              actor, reason);
}

core::Status Close(store::Store& store, const config::Config& config,
                   const BusinessCalendar& calendar,
                   const store::Ticket& ticket, core::TimePoint at,
                   const store::MilestoneEvidence& evidence,
                   const std::string& reason) {
  // The stored state, not the caller's snapshot, says whether it is closed.
  auto fresh = store.GetTicket(ticket.id);
  if (!fresh) return Fail(fresh.error());
  if (fresh->state == store::TicketState::kClosed) return core::Ok();
  auto milestones = store.ListMilestones(ticket.id);
  if (!milestones) return Fail(milestones.error());
  std::vector<config::Deadline> wanted = MilestonesFor(
      config, ticket.cls.empty() ? "other" : ticket.cls, ticket.customer);
  store::MilestoneEvidence ev = evidence;
  if (ev.by.empty()) ev.by = "closed";
  for (const store::Milestone& m : *milestones) {
    if (m.state == store::MilestoneState::kMet || !m.evidence.by.empty() ||
        IsCloseClock(config, ticket, m.milestone_id)) {
      continue;
    }
    auto st = store.MeetMilestone(ticket.id, m.milestone_id, ev);
    if (!st) return Fail(st.error());
  }
  // The follow-up clock starts now; a ticket closed before (and reopened)
  // restarts the one it had unless that was met.
  for (const config::Deadline& d : wanted) {
    if (!StartsAtClose(d)) continue;
    auto timing = TimeMilestone(calendar, config.deadlines, d, at);
    if (!timing) return Fail(timing.error());
    store::MilestoneIn in;
    in.milestone_id = d.id;
    in.name = d.name;
    in.clock = d.clock;
    in.within = d.within;
    in.timing = *timing;
    auto added = store.AddMilestone(ticket.id, in);
    if (!added) return Fail(added.error());
    if (*added) continue;
    for (const store::Milestone& m : *milestones) {
      if (m.milestone_id != d.id || m.state == store::MilestoneState::kMet ||
          m.started_at == at) {
        continue;
      }
      if (auto st = store.RetimeMilestone(ticket.id, d.id, *timing,
                                          "milestone.restarted", ev.actor,
                                          "the ticket was closed again");
          !st) {
        return st;
      }
    }
  }
  return store.SetTicketState(ticket.id, store::TicketState::kClosed, at,
                              ev.actor, reason);
}

}  // namespace inboxd::responder
