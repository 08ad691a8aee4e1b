// watcher.h: the deadline watcher (issue 9 item 3; POLICY D8, D9, R5, R6,
// C4). A stage of `inboxd run` and `inboxd once`, driven by the injected
// clock: nothing passes silently.
//
// Pending work is two queries: milestones whose next action is due
// (Store::ListMilestonesDue) and tickets owing a one-off mail
// (Store::ListTicketsNeedingMail). For each milestone, at most one step per
// run, the first that applies:
//   breach    now >= due_at of an open milestone: it is missed (at its due
//             time) and escalation level 1 goes out at once.
//   notice    now >= notice_at (due - delay_notice_before) of a milestone in
//             deadlines.delay_notice_for: the customer gets a delay_notice in
//             their language naming the new exact time, due_at moved by
//             delay_extension on the milestone's clock (D8, D9); skipped
//             (recorded, never retried) when a person already answered the
//             customer's latest message, the ticket is not open, or the loop
//             guard refuses the customer's address.
//   warning   now >= warn_at (warn_at% of the window): the owner (the
//             ticket's owner, else the route's primary; every agent of a
//             team) gets an agent_alert naming the ticket, the customer, the
//             milestone and the time left.
//   escalate  a missed milestone at next_escalation_at: level k+1 of the
//             route's escalate_to chain, escalate_every after level k (R5).
// Absences (R3): an agent's absence that begins (and lasts longer than
// [routing] absence_threshold) moves their open tickets to the next owner
// (routing.h AssignOwner without them), who gets the assignment mail with
// the customer's message and why (assignment.h; an agent_alert when
// [routing] assignment_mail is off); each absence once
// (Store::MarkAbsenceApplied).
// Digest: at [routing] digest_at on a working day, each agent's open
// tickets and the team view (digest.h), once per day. Weekly report: at
// [report] weekly, the SLA report of the week to the escalation addresses
// (weekly_report.h), once per week.
// Tickets: a ticket flagged "material_defect" tells the route's board (else
// the last escalation level) at once (R6); a closed ticket gets the
// satisfaction mail (csat, C4) csat_after its closing.
//
// Exactly once, across restarts: each step queues its mail (deterministic
// Message-ID per ticket, milestone and step: a repeat is "already queued")
// and records its mark in one store transaction (a Batch). A step whose
// mail cannot go out (no address configured, the customer's address
// refused) is still marked, with the reason in its audit event.
// Never for a closed ticket: its milestones are only marked missed (no
// mail), except the follow-up (D7) clock that closing starts, whose
// escalation goes to managers. Internal notices (alerts, escalations, board)
// are bounded per milestone and level and never rate-limited (a dropped
// escalation would be a silent miss); customer mail obeys the whole loop
// guard.
//
// Not here: setting milestones (planner.h, lifecycle.h), meeting them
// (classify/agent_reply.h, outbox_drain.h), sending (outbox_drain.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/business_calendar.h"
#include "responder/composer.h"
#include "responder/lifecycle.h"
#include "responder/loop_guard.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// The flag that sends a ticket to the board (R6).
inline constexpr std::string_view kMaterialDefectFlag = "material_defect";
// Milestones read per query.
inline constexpr int kWatchBatch = 500;

struct WatchReport {
  int warned = 0;           // agent_alert queued (or recorded as unsendable)
  int notified = 0;         // delay_notice queued
  int notices_skipped = 0;  // recorded without a notice (see file comment)
  int missed = 0;
  int escalated = 0;       // escalation levels (the breach's level 1 included)
  int board = 0;           // R6 notices
  int csat = 0;            // satisfaction mail queued or recorded as refused
  int reassigned = 0;      // tickets moved off an absent owner (R3)
  int digests = 0;         // daily digests queued
  int weekly_reports = 0;  // weekly SLA reports queued
  int errors = 0;          // transient, retried next run
  std::vector<std::string> error_messages;
};

class Watcher {
 public:
  // `config`, `store` and `templates` are not owned and must outlive the
  // watcher. kInvalidArgument as Planner::Create.
  static core::Result<std::unique_ptr<Watcher>> Create(
      const config::Config* config, store::Store* store,
      const TemplateSet* templates, std::string hmac_key, MessageParser parser);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // Does every step due at `now` (see the file comment). Per-item failures
  // are counted and retried on the next run; the call fails only when a
  // query fails.
  core::Result<WatchReport> WatchOnce(core::TimePoint now);

  // The earliest time after `now` a milestone or the daily digest needs
  // the watcher (nullopt: none), for the daemon's sleep. Ticket mail
  // (csat) is checked on every run.
  core::Result<std::optional<core::TimePoint>> NextWakeup(core::TimePoint now);

 private:
  Watcher() = default;

  core::Status Step(const store::Milestone& m, core::TimePoint now,
                    WatchReport& report);
  core::Status TicketMail(int64_t ticket_id, core::TimePoint now,
                          WatchReport& report);
  // R3: an absence that now covers its agent (longer than the threshold)
  // moves their open tickets to the next owner (routing.h), who is told.
  core::Status ApplyAbsence(const store::Absence& absence, core::TimePoint now,
                            WatchReport& report);
  // One escalation level (1-based) of `m`, queued, and the mark.
  core::Status Escalate(const store::Ticket& ticket, MailboxParts& parts,
                        const store::Milestone& m, int level, bool breach,
                        core::TimePoint now, WatchReport& report);
  // Queues an internal notice (agent_alert or escalation) to each target,
  // in the target's language (else the mailbox's), with `due` as due_at
  // in that language; returns the addresses it went to (empty: none
  // configured).
  core::Result<std::vector<std::string>> QueueNotice(
      const store::Ticket& ticket, MailboxParts& parts,
      std::string_view template_name, const std::string& step,
      const std::vector<Target>& targets, TemplateVars vars,
      core::TimePoint now, std::optional<core::TimePoint> due = std::nullopt);
  // Queues a reply to the customer (delay_notice, csat) when the loop guard
  // and the composer allow it; returns the refusal ("" when queued).
  core::Result<std::string> QueueCustomerMail(const store::Ticket& ticket,
                                              MailboxParts& parts,
                                              std::string_view template_name,
                                              const std::string& kind,
                                              TemplateVars vars,
                                              core::TimePoint now);

  const config::Config* config_ = nullptr;
  store::Store* store_ = nullptr;
  const TemplateSet* templates_ = nullptr;
  std::string hmac_key_;
  MessageParser parser_;
  MailboxPartsMap mailboxes_;
  std::unique_ptr<LoopGuard> guard_;
  std::string digest_day_;  // the local day whose digests are queued
  std::string weekly_day_;  // the weekly slot whose reports are queued
};

// "3 h 20 min", "2 d 4 h", "45 min"; "0 min" for a negative span.
std::string FormatSpan(std::chrono::seconds span);

}  // namespace inboxd::responder
