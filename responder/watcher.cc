// watcher.cc: warnings, delay notices, breaches, escalations, board notices
// and satisfaction mail (watcher.h).
#include "responder/watcher.h"

#include <nlohmann/json.hpp>
#include <set>

#include "core/shutdown.h"
#include "core/text.h"
#include "responder/assignment.h"
#include "responder/digest.h"
#include "responder/lifecycle.h"
#include "responder/notice.h"
#include "responder/routing.h"
#include "responder/store_history.h"
#include "responder/weekly_report.h"

namespace inboxd::responder {

namespace {

using core::Error;
using core::Fail;
using core::Result;

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// "D2 (answer)".
std::string MilestoneLabel(const store::Milestone& m) {
  return m.milestone_id + " (" + m.name + ")";
}

// A step name for Message-IDs: [A-Za-z0-9_-] only; one per milestone,
// step and clock window (a restarted window warns, notifies and escalates
// again, with new Message-IDs).
std::string StepId(std::string_view prefix, const store::Milestone& m) {
  std::string out(prefix);
  out += "-";
  for (char c : m.milestone_id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '_' || c == '-';
    out.push_back(ok ? c : '_');
  }
  out += "-" + std::to_string(m.started_at.time_since_epoch().count());
  return out;
}

}  // namespace

std::string FormatSpan(std::chrono::seconds span) {
  if (span.count() < 0) span = std::chrono::seconds(0);
  const int64_t minutes = span.count() / 60;
  const int64_t days = minutes / (24 * 60);
  const int64_t hours = (minutes / 60) % 24;
  const int64_t mins = minutes % 60;
  std::string out;
  if (days > 0) out += std::to_string(days) + " d";
  if (hours > 0) out += (out.empty() ? "" : " ") + std::to_string(hours) + " h";
  if (days == 0 && (mins > 0 || out.empty())) {
    out += (out.empty() ? "" : " ") + std::to_string(mins) + " min";
  }
  return out;
}

Watcher::~Watcher() = default;

Result<std::unique_ptr<Watcher>> Watcher::Create(const config::Config* config,
                                                 store::Store* store,
                                                 const TemplateSet* templates,
                                                 std::string hmac_key,
                                                 MessageParser parser) {
  if (config == nullptr || store == nullptr || templates == nullptr) {
    return Fail(
        Error::InvalidArgument("watcher: missing config/store/templates"));
  }
  if (hmac_key.empty()) {
    return Fail(Error::InvalidArgument("watcher: empty hmac key"));
  }
  if (!parser) return Fail(Error::InvalidArgument("watcher: no parser"));
  std::unique_ptr<Watcher> w(new Watcher());
  w->config_ = config;
  w->store_ = store;
  w->templates_ = templates;
  w->hmac_key_ = std::move(hmac_key);
  w->parser_ = std::move(parser);
  auto parts = MakeMailboxParts(*config, w->hmac_key_);
  if (!parts) return Fail(parts.error());
  w->mailboxes_ = std::move(*parts);
  auto guard = LoopGuard::Create(config->responder, config->mailboxes);
  if (!guard) return Fail(guard.error());
  w->guard_ = std::make_unique<LoopGuard>(std::move(*guard));
  return w;
}

Result<std::optional<core::TimePoint>> Watcher::NextWakeup(
    core::TimePoint now) {
  auto next = store_->NextMilestoneAction();
  if (!next) return Fail(next.error());
  // The next digest slot after now (today's is done or passed), and the
  // next weekly report.
  std::optional<DigestSlot> slot = NextDigestSlot(*config_, now);
  if (slot && (!*next || slot->at < **next)) {
    *next = slot->at;
  }
  std::optional<WeeklySlot> weekly = NextWeeklySlot(*config_, now);
  if (weekly && (!*next || weekly->at < **next)) {
    *next = weekly->at;
  }
  return next;
}

Result<WatchReport> Watcher::WatchOnce(core::TimePoint now) {
  WatchReport report;
  auto absences = store_->ListUnappliedAbsences(now);
  if (!absences) return Fail(absences.error().Wrap("watch: list absences"));
  for (const store::Absence& a : *absences) {
    if (auto st = ApplyAbsence(a, now, report); !st) {
      ++report.errors;
      report.error_messages.push_back(st.error().ToString());
    }
  }
  std::set<std::pair<int64_t, std::string>> failed;
  // A step may leave more to do for the same milestone (a breach found
  // with its warning never sent): query again until nothing new is due.
  for (int round = 0; round < 8 && !core::ShutdownRequested(); ++round) {
    auto due = store_->ListMilestonesDue(now, kWatchBatch);
    if (!due) return Fail(due.error().Wrap("watch: list milestones"));
    int fresh = 0;
    for (const store::Milestone& m : *due) {
      if (core::ShutdownRequested()) break;  // the rest on the next start
      if (failed.contains({m.ticket_id, m.milestone_id})) continue;
      ++fresh;
      if (auto st = Step(m, now, report); !st) {
        ++report.errors;
        report.error_messages.push_back(st.error().ToString());
        failed.insert({m.ticket_id, m.milestone_id});
      }
    }
    if (fresh == 0) break;
  }
  auto tickets = store_->ListTicketsNeedingMail(
      now - config_->deadlines.csat_after, std::string(kMaterialDefectFlag));
  if (!tickets) return Fail(tickets.error().Wrap("watch: list tickets"));
  for (int64_t id : *tickets) {
    if (auto st = TicketMail(id, now, report); !st) {
      ++report.errors;
      report.error_messages.push_back(st.error().ToString());
    }
  }
  // The weekly SLA report (issue 11 item 4), once per slot.
  if (auto slot = LatestWeeklySlot(*config_, now);
      slot && weekly_day_ != slot->day) {
    auto sent = QueueWeeklyReport(*store_, *config_, *templates_, mailboxes_,
                                  *slot, now);
    if (sent) {
      report.weekly_reports += *sent;
      weekly_day_ = slot->day;
    } else {
      ++report.errors;
      report.error_messages.push_back(
          sent.error().Wrap("watch: weekly report").ToString());
    }
  }
  // The daily digest (issue 10 item 6), once its time has come today.
  if (auto slot = DigestDue(*config_, now);
      slot && now >= slot->at && digest_day_ != slot->day) {
    auto digests =
        QueueDigests(*store_, *config_, *templates_, mailboxes_, *slot, now);
    if (digests) {
      report.digests += digests->queued;
      digest_day_ = slot->day;
    } else {
      ++report.errors;
      report.error_messages.push_back(
          digests.error().Wrap("watch: digest").ToString());
    }
  }
  return report;
}

core::Status Watcher::Step(const store::Milestone& m, core::TimePoint now,
                           WatchReport& report) {
  const std::string what = "watch " + MilestoneLabel(m) + " of ticket " +
                           std::to_string(m.ticket_id);
  auto ticket = store_->GetTicket(m.ticket_id);
  if (!ticket) return Fail(ticket.error().Wrap(what));
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) {
    return Fail(Error::FailedPrecondition(
        what + ": mailbox '" + ticket->mailbox + "' is not configured"));
  }
  MailboxParts& parts = *mb->second;
  const bool closed = ticket->state == store::TicketState::kClosed;
  // The follow-up clock (D7) runs on a closed ticket; its escalation goes
  // to managers.
  const bool follow_up_clock = IsCloseClock(*config_, *ticket, m.milestone_id);

  auto batch = store_->BeginBatch();
  if (!batch) return Fail(batch.error().Wrap(what));

  if (m.state == store::MilestoneState::kMissed) {
    if (m.next_escalation_at && *m.next_escalation_at <= now) {
      auto st = Escalate(*ticket, parts, m, m.escalation_level + 1,
                         /*breach=*/false, now, report);
      if (!st) return Fail(st.error().Wrap(what));
    }
    return (*batch)->Commit();
  }
  if (m.state != store::MilestoneState::kOpen || m.paused_at) {
    return (*batch)->Commit();  // nothing to do (a stale read)
  }

  // Breach.
  if (now >= m.due_at) {
    const auto levels = EscalationLevels(*config_, *ticket);
    const bool mail = !closed || follow_up_clock;
    store::MilestoneMark mark;
    mark.action = store::MilestoneMark::Action::kMissed;
    mark.at = m.due_at;
    if (mail && levels.size() > 1) {
      mark.next_escalation_at = now + config_->deadlines.escalate_every;
    }
    nlohmann::json data = {{"ticket", ticket->Tag()}};
    if (!mail) data["no_mail"] = "ticket is closed";
    mark.data = Dump(data);
    if (auto st = store_->MarkMilestone(m.ticket_id, m.milestone_id, mark);
        !st) {
      return Fail(st.error().Wrap(what));
    }
    ++report.missed;
    if (mail) {
      store::Milestone missed = m;
      missed.state = store::MilestoneState::kMissed;
      auto st =
          Escalate(*ticket, parts, missed, 1, /*breach=*/true, now, report);
      if (!st) return Fail(st.error().Wrap(what));
    }
    return (*batch)->Commit();
  }

  // Delay notice (D9).
  if (m.notice_at && !m.notified_at && now >= *m.notice_at) {
    std::string refusal =
        closed ? "ticket is closed"
               : DelayNoticeRefusal(config_->deadlines, *ticket, m);
    std::optional<core::TimePoint> new_due;
    if (refusal.empty()) {
      config::Deadline ext = DeadlineOf(m);
      ext.within = config_->deadlines.delay_extension;
      auto later = parts.calendar.DueAt(m.due_at, ext);
      if (!later) return Fail(later.error().Wrap(what));
      const std::string lang =
          ReplyLanguage(*templates_, ticket->language, parts.mailbox->language);
      auto old_text = FormatLocalTime(m.due_at, parts.mailbox->time_zone, lang);
      auto new_text = FormatLocalTime(*later, parts.mailbox->time_zone, lang);
      if (!old_text || !new_text) {
        return Fail(Error::InvalidArgument(what + ": cannot format due time"));
      }
      TemplateVars vars;
      vars["previous_due_at"] = *old_text;
      vars["due_at"] = *new_text;
      auto r = QueueCustomerMail(*ticket, parts, "delay_notice",
                                 StepId("delay", m), std::move(vars), now);
      if (!r) return Fail(r.error().Wrap(what));
      refusal = *r;
      if (refusal.empty()) new_due = *later;
    }
    store::MilestoneMark mark;
    mark.action = store::MilestoneMark::Action::kNotified;
    mark.at = now;
    mark.new_due_at = new_due;
    nlohmann::json data = {{"ticket", ticket->Tag()},
                           {"customer", ticket->customer}};
    if (!refusal.empty()) data["skipped"] = refusal;
    mark.data = Dump(data);
    if (auto st = store_->MarkMilestone(m.ticket_id, m.milestone_id, mark);
        !st) {
      return Fail(st.error().Wrap(what));
    }
    ++(new_due ? report.notified : report.notices_skipped);
    return (*batch)->Commit();
  }

  // Warning (warn_at).
  if (m.warn_at && !m.warned_at && now >= *m.warn_at) {
    std::vector<std::string> sent;
    std::string why;
    if (closed && !follow_up_clock) {
      why = "ticket is closed";
    } else {
      TemplateVars vars;
      vars["reason"] = MilestoneLabel(m) + " for " + ticket->customer +
                       " is due in " + FormatSpan(m.due_at - now);
      auto r = QueueNotice(*ticket, parts, "agent_alert", StepId("warn", m),
                           OwnerTargets(*config_, *ticket), std::move(vars),
                           now, m.due_at);
      if (!r) return Fail(r.error().Wrap(what));
      sent = *r;
      if (sent.empty()) {
        why = "no owner address: set the ticket's route primary ([[route]])";
      }
    }
    store::MilestoneMark mark;
    mark.action = store::MilestoneMark::Action::kWarned;
    mark.at = now;
    nlohmann::json data = {{"ticket", ticket->Tag()},
                           {"to", sent},
                           {"left", FormatSpan(m.due_at - now)}};
    if (!why.empty()) data["not_sent"] = why;
    mark.data = Dump(data);
    if (auto st = store_->MarkMilestone(m.ticket_id, m.milestone_id, mark);
        !st) {
      return Fail(st.error().Wrap(what));
    }
    ++report.warned;
    return (*batch)->Commit();
  }
  return (*batch)->Commit();
}

core::Status Watcher::ApplyAbsence(const store::Absence& absence,
                                   core::TimePoint now, WatchReport& report) {
  const std::string what = "absence " + std::to_string(absence.id);
  if (absence.until - now <= config_->routing.absence_threshold) {
    // Short (R2: "more than 8 hours"): tickets stay.
    return store_->MarkAbsenceApplied(absence.id, now);
  }
  auto all = store_->ListAbsences(now);
  if (!all) return Fail(all.error().Wrap(what));
  auto tickets = store_->ListOpenTicketsOwnedBy(absence.agent);
  if (!tickets) return Fail(tickets.error().Wrap(what));
  const std::string away =
      absence.agent + " is away until " + core::FormatUtc(absence.until);
  for (int64_t id : *tickets) {
    auto ticket = store_->GetTicket(id);
    if (!ticket) return Fail(ticket.error().Wrap(what));
    auto mb = mailboxes_.find(ticket->mailbox);
    if (mb == mailboxes_.end()) continue;  // mailbox gone from the config
    AssignInput in;
    in.cls = ticket->cls.empty() ? "other" : ticket->cls;
    in.mailbox = ticket->mailbox;
    in.except = absence.agent;
    in.at = now;
    const Assignment next = AssignOwner(*config_, *all, in);
    auto batch = store_->BeginBatch();
    if (!batch) return Fail(batch.error().Wrap(what));
    const std::string reason = "R3: " + away + "; " + next.reason;
    if (auto st = store_->SetTicketOwner(id, next.owner, reason, "inboxd");
        !st) {
      return Fail(st.error().Wrap(what));
    }
    if (!next.owner.empty() && config_->routing.assignment_mail) {
      // The new owner gets the customer's message to answer (item 1).
      auto moved = store_->GetTicket(id);
      if (!moved) return Fail(moved.error().Wrap(what));
      AssignmentRequest req;
      req.ticket = &*moved;
      req.targets = ResolveTargets(*config_, next.owner);
      req.step = "moved-" + std::to_string(absence.id);
      req.reason = reason;
      AssignmentContext ctx{store_, config_, templates_, &parser_,
                            guard_.get()};
      auto sent = QueueAssignment(ctx, *mb->second, req, now);
      if (!sent) return Fail(sent.error().Wrap(what));
    } else if (!next.owner.empty()) {
      TemplateVars vars;
      vars["reason"] = "ticket " + ticket->Tag() + " from " + ticket->customer +
                       " is now yours: " + away;
      vars["due_at"] = "";
      auto sent = QueueNotice(*ticket, *mb->second, "agent_alert",
                              "moved-" + std::to_string(absence.id),
                              ResolveTargets(*config_, next.owner),
                              std::move(vars), now);
      if (!sent) return Fail(sent.error().Wrap(what));
    }
    if (auto st = (*batch)->Commit(); !st) return st;
    ++report.reassigned;
  }
  return store_->MarkAbsenceApplied(absence.id, now);
}

core::Status Watcher::Escalate(const store::Ticket& ticket, MailboxParts& parts,
                               const store::Milestone& m, int level,
                               bool breach, core::TimePoint now,
                               WatchReport& report) {
  const auto levels = EscalationLevels(*config_, ticket);
  std::vector<std::string> sent;
  std::string why;
  if (level > static_cast<int>(levels.size())) {
    why = levels.empty()
              ? "no escalate_to configured for class " + ticket.cls
              : "the escalation chain has no level " + std::to_string(level);
  } else {
    TemplateVars vars;
    // The due time itself is the template's due_at, in the reader's
    // language and the mailbox's zone.
    vars["reason"] = MilestoneLabel(m) + " for " + ticket.customer +
                     " is overdue (escalation level " + std::to_string(level) +
                     ")";
    std::vector<Target> owners = OwnerTargets(*config_, ticket);
    vars["agent_name"] = owners.empty() ? "" : owners.front().name;
    auto r = QueueNotice(ticket, parts, "escalation",
                         StepId("esc" + std::to_string(level), m),
                         levels[level - 1], std::move(vars), now, m.due_at);
    if (!r) return Fail(r.error());
    sent = *r;
  }
  store::MilestoneMark mark;
  mark.action = store::MilestoneMark::Action::kEscalated;
  mark.at = now;
  if (level < static_cast<int>(levels.size())) {
    mark.next_escalation_at = now + config_->deadlines.escalate_every;
  }
  nlohmann::json data = {
      {"ticket", ticket.Tag()}, {"to", sent}, {"breach", breach}};
  if (!why.empty()) data["not_sent"] = why;
  mark.data = Dump(data);
  if (auto st = store_->MarkMilestone(ticket.id, m.milestone_id, mark); !st) {
    return st;
  }
  ++report.escalated;
  return core::Ok();
}

Result<std::vector<std::string>> Watcher::QueueNotice(
    const store::Ticket& ticket, MailboxParts& parts,
    std::string_view template_name, const std::string& step,
    const std::vector<Target>& targets, TemplateVars vars, core::TimePoint now,
    std::optional<core::TimePoint> due) {
  const NoticeContext ctx{store_, config_, templates_, guard_.get()};
  return responder::QueueNotice(ctx, ticket, parts, template_name, step,
                                targets, std::move(vars), now, due);
}

Result<std::string> Watcher::QueueCustomerMail(const store::Ticket& ticket,
                                               MailboxParts& parts,
                                               std::string_view template_name,
                                               const std::string& kind,
                                               TemplateVars vars,
                                               core::TimePoint now) {
  auto rows = store_->ListTicketMessages(ticket.id);
  if (!rows) return Fail(rows.error());
  if (rows->empty()) return std::string("the ticket has no message to answer");
  auto stored = store_->GetMessage(rows->front());
  if (!stored) return Fail(stored.error());
  auto original = parser_(stored->raw);
  if (!original) {
    return "the customer's message cannot be parsed: " +
           original.error().message;
  }
  StoreHistory history(store_);
  LoopCheck check;
  check.message_kind = "human";
  check.ticket_id = std::to_string(ticket.id);
  // The per-ticket cap (responder.per_ticket_max) is for acknowledgements;
  // each delay notice and satisfaction mail has its own step id (and
  // Message-ID), so the cap counts none of them, while the per-recipient
  // hourly brake applies as to every automatic reply.
  check.reply_kind = kind;
  auto send =
      CheckSend(*guard_, parts.composer, history, *original, check, now);
  if (!send) return Fail(send.error());
  if (send->facts.loop_guard_refusal) return *send->facts.loop_guard_refusal;
  if (send->facts.recipient_refusal) return *send->facts.recipient_refusal;

  const config::Mailbox& mailbox = *parts.mailbox;
  const std::string lang =
      ReplyLanguage(*templates_, ticket.language, mailbox.language);
  TemplateVars v = CommonTemplateVars(*config_, mailbox, ticket);
  for (auto& [k, val] : vars) v[k] = val;
  v["customer_address"] = send->recipient.addr;
  v["customer_name"] = SalutationName(send->recipient, original->from);
  v["original_subject"] = core::StripCrLf(original->subject);
  auto rendered = templates_->Render(template_name, lang, mailbox.language,
                                     mailbox.name, ticket.cls, v);
  if (!rendered) return Fail(rendered.error());
  ReplySpec spec;
  spec.ticket_id = ticket.Tag();
  spec.ticket_tag = v["ticket_tag"];
  spec.kind = kind;
  auto mail = parts.composer.ComposeReply(*original, spec, *rendered, now);
  if (!mail) {
    if (mail.error().code == core::Code::kFailedPrecondition) {
      return mail.error().message;
    }
    return Fail(mail.error());
  }
  auto queued = EnqueueMail(*store_, ticket.id, mailbox, template_name,
                            std::move(*mail), kind + " of " + ticket.Tag());
  if (!queued) return Fail(queued.error());
  return std::string();
}

core::Status Watcher::TicketMail(int64_t ticket_id, core::TimePoint now,
                                 WatchReport& report) {
  const std::string what = "watch ticket " + std::to_string(ticket_id);
  auto ticket = store_->GetTicket(ticket_id);
  if (!ticket) return Fail(ticket.error().Wrap(what));
  auto mb = mailboxes_.find(ticket->mailbox);
  if (mb == mailboxes_.end()) {
    return Fail(Error::FailedPrecondition(
        what + ": mailbox '" + ticket->mailbox + "' is not configured"));
  }
  MailboxParts& parts = *mb->second;
  auto batch = store_->BeginBatch();
  if (!batch) return Fail(batch.error().Wrap(what));

  // R6: a material defect goes to the board at once.
  if (ticket->HasFlag(kMaterialDefectFlag) && !ticket->board_at) {
    std::vector<Target> board;
    if (const config::Route* r =
            RouteFor(*config_, ticket->cls, ticket->mailbox)) {
      board = ResolveTargets(
          *config_, !r->board.empty()
                        ? std::string_view(r->board)
                        : (r->escalate_to.empty()
                               ? std::string_view()
                               : std::string_view(r->escalate_to.back())));
    }
    TemplateVars vars;
    vars["reason"] = "complaint about a material defect from " +
                     ticket->customer + " (POLICY R6)";
    vars["due_at"] = "";
    std::vector<Target> owners = OwnerTargets(*config_, *ticket);
    vars["agent_name"] = owners.empty() ? "" : owners.front().name;
    auto sent = QueueNotice(*ticket, parts, "escalation", "board", board,
                            std::move(vars), now);
    if (!sent) return Fail(sent.error().Wrap(what));
    nlohmann::json data = {{"to", *sent}, {"policy", "R6"}};
    if (sent->empty()) data["not_sent"] = "no board address configured";
    if (auto st = store_->AppendEvent({.type = "ticket.board_notified",
                                       .mailbox = ticket->mailbox,
                                       .ticket_id = ticket->id,
                                       .data = Dump(data)});
        !st) {
      return Fail(st.error().Wrap(what));
    }
    if (auto st =
            store_->MarkTicketMail(ticket->id, store::TicketMail::kBoard, now);
        !st) {
      return Fail(st.error().Wrap(what));
    }
    ++report.board;
  }

  // C4: the satisfaction mail, csat_after the closing.
  if (ticket->state == store::TicketState::kClosed && !ticket->csat_at &&
      ticket->closed_at &&
      *ticket->closed_at + config_->deadlines.csat_after <= now) {
    auto refusal = QueueCustomerMail(
        *ticket, parts, "csat",
        "csat-" + std::to_string(ticket->closed_at->time_since_epoch().count()),
        TemplateVars{}, now);
    if (!refusal) return Fail(refusal.error().Wrap(what));
    nlohmann::json data = {{"customer", ticket->customer}, {"policy", "C4"}};
    if (!refusal->empty()) data["not_sent"] = *refusal;
    if (auto st = store_->AppendEvent({.type = "ticket.csat",
                                       .mailbox = ticket->mailbox,
                                       .ticket_id = ticket->id,
                                       .data = Dump(data)});
        !st) {
      return Fail(st.error().Wrap(what));
    }
    if (auto st =
            store_->MarkTicketMail(ticket->id, store::TicketMail::kCsat, now);
        !st) {
      return Fail(st.error().Wrap(what));
    }
    ++report.csat;
  }
  return (*batch)->Commit();
}

}  // namespace inboxd::responder
