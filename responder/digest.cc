// digest.cc: see digest.h.
#include "responder/digest.h"

#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "core/hash.h"
#include "core/text.h"
#include "responder/business_calendar.h"
#include "responder/lifecycle.h"
#include "responder/routing.h"

namespace inboxd::responder {
namespace {

using core::Fail;
using core::Result;

const date::time_zone* Zone(std::string_view name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string LocalDay(const date::time_zone* tz, core::TimePoint t) {
  const date::year_month_day ymd{date::floor<date::days>(tz->to_local(t))};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()));
  return buf;
}

// One open ticket as the digest shows it.
struct Row {
  int group = 3;          // 0 overdue, 1 at risk, 2 has a deadline, 3 none
  core::TimePoint due;    // the deadline it is sorted by
  std::string milestone;  // "D2 (quote)"
  const store::Ticket* ticket = nullptr;
};

Row RowOf(const store::Ticket& t, const std::vector<store::Milestone>& ms,
          core::TimePoint now) {
  Row row;
  row.ticket = &t;
  for (const store::Milestone& m : ms) {
    int group = 3;
    if (m.state == store::MilestoneState::kMissed) {
      // Answered late: missed on the record, but nothing left to do.
      if (!m.evidence.by.empty()) continue;
      group = 0;
    } else if (m.state == store::MilestoneState::kOpen && !m.paused_at) {
      group = m.due_at <= now ? 0 : (m.warn_at && *m.warn_at <= now ? 1 : 2);
    } else {
      continue;
    }
    if (group < row.group || (group == row.group && m.due_at < row.due)) {
      row.group = group;
      row.due = m.due_at;
      row.milestone = m.milestone_id + " (" + m.name + ")";
    }
  }
  return row;
}

// Who a ticket's owner is, for the team view.
std::string OwnerLabel(const config::Config& config, const std::string& owner) {
  if (owner.empty()) return "-";
  for (const config::Agent& a : config.agents) {
    if (core::IEquals(a.address, owner)) return a.name;
  }
  return owner;
}

struct Recipient {
  Target target;
  bool team_view = false;
  std::string team;  // the agent's team ("" = none)
};

}  // namespace

std::optional<DigestSlot> DigestDue(const config::Config& config,
                                    core::TimePoint now) {
  if (config.routing.digest_minute < 0) return std::nullopt;
  const date::time_zone* tz = Zone(AgentZone(config));
  if (tz == nullptr) return std::nullopt;
  const auto day = date::floor<date::days>(tz->to_local(now));
  const auto local = day + std::chrono::minutes(config.routing.digest_minute);
  DigestSlot slot;
  slot.day = LocalDay(tz, now);
  // A time in a DST gap is the end of the gap.
  slot.at = date::floor<std::chrono::seconds>(
      tz->to_sys(local, date::choose::earliest));
  return slot;
}

std::optional<DigestSlot> NextDigestSlot(const config::Config& config,
                                         core::TimePoint now) {
  std::optional<DigestSlot> today = DigestDue(config, now);
  if (!today || today->at > now) return today;
  // Tomorrow by the local calendar (a DST day has 23 or 25 hours): a time
  // past the next local midnight.
  const date::time_zone* tz = Zone(AgentZone(config));
  if (tz == nullptr) return std::nullopt;
  const auto tomorrow =
      date::floor<date::days>(tz->to_local(now)) + date::days(1);
  const core::TimePoint midnight = date::floor<std::chrono::seconds>(
      tz->to_sys(tomorrow, date::choose::latest));
  return DigestDue(config, midnight + std::chrono::hours(1));
}

Result<DigestReport> QueueDigests(store::Store& store,
                                  const config::Config& config,
                                  const TemplateSet& templates,
                                  MailboxPartsMap& parts,
                                  const DigestSlot& slot, core::TimePoint now) {
  DigestReport report;
  if (config.mailboxes.empty()) return report;
  auto it = parts.find(config.mailboxes.front().name);
  if (it == parts.end()) return report;
  MailboxParts& mb = *it->second;
  const config::Mailbox& mailbox = *mb.mailbox;
  const date::time_zone* tz = Zone(mailbox.time_zone);
  if (tz == nullptr) return report;
  // A working day: its own close of business is on the same local date.
  auto close = mb.calendar.AddWorkingDays(slot.at, 0);
  if (!close) return Fail(close.error());
  if (LocalDay(tz, *close - std::chrono::seconds(1)) != slot.day) {  // 24:00
    report.working_day = false;
    return report;
  }

  // Recipients: the escalation addresses (team view), then each agent
  // present today who is not one of them.
  std::vector<Recipient> recipients;
  std::set<std::string> seen;
  for (Target& t : AllEscalationTargets(config)) {
    seen.insert(core::AsciiLower(t.address));
    recipients.push_back({std::move(t), true, ""});
  }
  auto absences = store.ListAbsences(now);
  if (!absences) return Fail(absences.error());
  for (const config::Agent& a : config.agents) {
    if (!seen.insert(core::AsciiLower(a.address)).second) continue;
    const bool away = std::any_of(
        absences->begin(), absences->end(), [&](const store::Absence& x) {
          return core::IEquals(x.agent, a.address) && x.Covers(now);
        });
    if (away) continue;
    recipients.push_back({{a.address, a.name, a.language}, false, a.team});
  }
  if (recipients.empty()) return report;

  // Which recipients still need today's digest (one indexed query each).
  auto reason_for = [&](const Recipient& r) {
    return "digest " + slot.day + " for " + core::AsciiLower(r.target.address);
  };
  std::vector<const Recipient*> pending;
  for (const Recipient& r : recipients) {
    auto n = store.CountOutgoingTo(r.target.address, "digest", reason_for(r));
    if (!n) return Fail(n.error());
    if (*n == 0) pending.push_back(&r);
  }
  if (pending.empty()) return report;

  // Every ticket that is not closed, with its most urgent milestone.
  std::vector<store::Ticket> tickets;
  for (store::TicketState state :
       {store::TicketState::kOpen, store::TicketState::kWaiting}) {
    int64_t after = 0;
    while (true) {
      auto page = store.ListTickets(state, after, 1000);
      if (!page) return Fail(page.error());
      if (page->empty()) break;
      after = page->back().id;
      for (store::Ticket& t : *page) tickets.push_back(std::move(t));
    }
  }
  std::vector<Row> rows;
  rows.reserve(tickets.size());
  for (const store::Ticket& t : tickets) {
    auto ms = store.ListMilestones(t.id);
    if (!ms) return Fail(ms.error());
    rows.push_back(RowOf(t, *ms, now));
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.due != b.due) return a.due < b.due;
    return a.ticket->id < b.ticket->id;
  });

  for (const Recipient* r : pending) {
    const std::string lang =
        ReplyLanguage(templates, r->target.language, mailbox.language);
    std::string lists[3];
    int count = 0, shown = 0;
    for (const Row& row : rows) {
      const store::Ticket& t = *row.ticket;
      if (!r->team_view && !core::IEquals(t.owner, r->target.address) &&
          (r->team.empty() || t.owner != r->team)) {
        continue;
      }
      ++count;
      if (shown >= kDigestLines) continue;
      ++shown;
      std::string line =
          "  " + FormatTicketTag(config.classify.ticket_tag_format, t.prefix,
                                 t.number);
      if (r->team_view) line += "  " + OwnerLabel(config, t.owner);
      if (row.group < 3) {
        auto due = FormatLocalTime(row.due, mailbox.time_zone, lang);
        line += "  " + row.milestone + " " + (due ? *due : "");
      }
      line += "  " + t.customer;
      if (!t.subject.empty()) {
        line += "  " + core::StripCrLf(t.subject).substr(0, 120);
      }
      std::string& list = lists[std::min(row.group, 2)];
      if (!list.empty()) list += "\n";
      list += line;
    }
    if (count == 0) continue;  // nobody gets an empty digest
    auto date_text = FormatLocalDay(now, mailbox.time_zone, lang);
    if (!date_text) return Fail(date_text.error());
    TemplateVars vars;
    vars["recipient_name"] = r->target.name;
    vars["digest_date"] = *date_text;
    vars["ticket_count"] = LocalDigits(std::to_string(count), lang);
    vars["team_view"] = r->team_view ? "yes" : "";
    vars["overdue_list"] = lists[0];
    vars["at_risk_list"] = lists[1];
    vars["other_list"] = lists[2];
    vars["more_count"] =
        count > shown ? LocalDigits(std::to_string(count - shown), lang) : "";
    auto rendered = templates.Render("digest", lang, mailbox.language,
                                     mailbox.name, "", vars);
    if (!rendered) return Fail(rendered.error());
    ReplySpec spec;
    spec.ticket_id = "digest";
    std::string day = slot.day;
    day.erase(std::remove(day.begin(), day.end(), '-'), day.end());
    spec.kind =
        day + "-" +
        core::Sha256Hex(core::AsciiLower(r->target.address)).substr(0, 12);
    auto mail =
        mb.composer.ComposeNotice(r->target.address, spec, *rendered, now);
    if (!mail) {
      if (mail.error().code == core::Code::kFailedPrecondition ||
          mail.error().code == core::Code::kInvalidArgument) {
        continue;  // an address the composer refuses
      }
      return Fail(mail.error());
    }
    auto queued = EnqueueMail(store, 0, mailbox, "digest", std::move(*mail),
                              reason_for(*r));
    if (!queued) return Fail(queued.error());
    if (*queued) ++report.queued;
  }
  return report;
}

}  // namespace inboxd::responder
