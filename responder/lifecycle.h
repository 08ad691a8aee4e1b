// lifecycle.h: the one answer to "which milestones does a ticket get, when
// are they due, and what does a message or a state change do to them?"
// (issue 9 items 2, 5, 6, 8; POLICY D1-D9, C3). The planner, the watcher,
// the client-state stage and the `deadlines` / `tickets` commands all call
// these functions, so every path computes the same times.
//
// Milestones of a ticket: the deadlines of its class (config.deadlines.
// by_class, "other" when the class has none). A support ticket's "answer"
// (D3) comes from the customer's contract tier ([[account]] tier ->
// [tiers.<name>] answer) when the customer has one; else the class's own
// answer deadline, if any. Deadlines with start = "close" (D7 follow-up)
// start when the ticket is closed, the others when it opens.
//
// Timing of a milestone started at S with due time D (BusinessCalendar::
// DueAt on its clock): warn_at = S + warn_at% of (D - S) (none at 0%);
// notice_at = D - delay_notice_before for the deadlines in
// delay_notice_for, when that is after S (else none).
//
// Transitions (each step a store call with its own audit event; each is
// idempotent, so a crash between steps is repaired by running it again):
//   customer message on a ticket (OnCustomerMessage):
//     closed  -> open ("the customer wrote again"); no clock changes;
//     waiting -> open; paused milestones resume with the time they had
//                left, and D6 (RestartsOnCustomerInfo) restarts its whole
//                window from the message (POLICY D6);
//     open    -> customer_at moves (a person has not answered it yet).
//   waiting (SetWaiting): open -> waiting; every open milestone pauses.
//   closing (Close): -> closed; open milestones that started on arrival are
//     met (or missed, when late) with the closing as their evidence (by
//     "closed": the agent marked the job done); the start = "close"
//     milestones (D7) start now.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/business_calendar.h"
#include "store/store.h"

namespace inboxd::responder {

// The account of `customer` (an address): an exact address match first,
// then the longest matching domain (a subdomain matches its domain);
// nullptr when none.
const config::Account* FindAccount(const config::Config& config,
                                   std::string_view customer);

// The deadlines a ticket of class `cls` gets for `customer` (see the file
// comment), in config order.
std::vector<config::Deadline> MilestonesFor(const config::Config& config,
                                            std::string_view cls,
                                            std::string_view customer);

// True for a deadline that starts when the ticket is closed (D7).
bool StartsAtClose(const config::Deadline& d);
// True when milestone `milestone_id` of `ticket` is one that starts at
// closing (its class's deadline with that id has start = "close").
bool IsCloseClock(const config::Config& config, const store::Ticket& ticket,
                  std::string_view milestone_id);
// True for the deadline a customer's information restarts (D6 "resolve").
bool RestartsOnCustomerInfo(std::string_view id, std::string_view name);
// True when `id` or `name` is listed in config.deadlines.delay_notice_for.
bool GetsDelayNotice(const config::Deadlines& deadlines, std::string_view id,
                     std::string_view name);

// True when our own mail of `kind` meets milestone `m`: the acknowledgement
// meets D1; a complaint's acknowledgement is the written receipt
// (complaint_receipt), so it meets D5 too; the satisfaction mail ("csat") is
// the follow-up contact of D7. The drain meets them; the assignment mail
// leaves them out of what it asks of the agent.
bool MetByOurMail(std::string_view kind, const store::Milestone& m);

// Someone inboxd writes to about a ticket (owner, escalation level, board).
struct Target {
  std::string address;
  std::string name;      // the agent's name, else the address
  std::string language;  // the agent's [[agent]] language ("" = unset)
};

// The route of a class in a mailbox: the row for that mailbox, else the
// class's row for every mailbox (nullptr when none is configured).
const config::Route* RouteFor(const config::Config& config,
                              std::string_view cls,
                              std::string_view mailbox = "");
// The people a route target names: an address (itself, with the agent's
// name when it is an agent's), an agent's name, or a team (every agent of
// the team, in config order). Empty for "" or an unknown name.
std::vector<Target> ResolveTargets(const config::Config& config,
                                   std::string_view target);
// The targets of each level of the ticket's route's escalate_to chain
// (levels that name nobody left out).
std::vector<std::vector<Target>> EscalationLevels(const config::Config& config,
                                                  const store::Ticket& ticket);
// Every address of every route's escalate_to chain (agents' names and
// teams resolved), each once, in config order, without the shared
// mailboxes' own addresses: who gets the team view of the digest and the
// weekly report.
std::vector<Target> AllEscalationTargets(const config::Config& config);
// Who owns a ticket: its owner (personal mail), else its class's route
// primary. Empty when neither is configured.
std::vector<Target> OwnerTargets(const config::Config& config,
                                 const store::Ticket& ticket);

// The timing of deadline `d` started at `start` (see the file comment).
// Errors: the calendar's.
core::Result<store::MilestoneTiming> TimeMilestone(
    const BusinessCalendar& calendar, const config::Deadlines& deadlines,
    const config::Deadline& d, core::TimePoint start);

// The config::Deadline a stored milestone was made from.
config::Deadline DeadlineOf(const store::Milestone& m);

// Why a delay notice would be wrong for `m` on `ticket` now ("" = send it):
// not a deadline that gets one, a person already answered the customer's
// latest message, or the ticket is not open.
std::string DelayNoticeRefusal(const config::Deadlines& deadlines,
                               const store::Ticket& ticket,
                               const store::Milestone& m);

// Sets the milestones a ticket gets on arrival (start = `start`, normally
// the ticket's opening) that it does not have yet. Returns how many were
// added. Errors: the store's, the calendar's.
core::Result<int> EnsureMilestones(store::Store& store,
                                   const config::Config& config,
                                   const BusinessCalendar& calendar,
                                   const store::Ticket& ticket,
                                   core::TimePoint start);

// What a customer's message (arrived at `at`, written by `actor`) does to
// its ticket (see the file comment). Returns a line for the reasons/log
// ("" when nothing changed).
core::Result<std::string> OnCustomerMessage(store::Store& store,
                                            const config::Config& config,
                                            const BusinessCalendar& calendar,
                                            const store::Ticket& ticket,
                                            core::TimePoint at,
                                            const std::string& actor);

// open -> waiting at `at`; pauses the open milestones. No change for a
// ticket that is not open.
core::Status SetWaiting(store::Store& store, const store::Ticket& ticket,
                        core::TimePoint at, const std::string& actor,
                        const std::string& reason);

// -> closed at `at`; meets the open arrival milestones with `evidence`
// (evidence.by "closed" when empty) and starts the start = "close"
// milestones.
core::Status Close(store::Store& store, const config::Config& config,
                   const BusinessCalendar& calendar,
                   const store::Ticket& ticket, core::TimePoint at,
                   const store::MilestoneEvidence& evidence,
                   const std::string& reason);

}  // namespace inboxd::responder
