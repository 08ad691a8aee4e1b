// weekly_report.h: the weekly SLA report by mail (issue 11 item 4;
// [report] weekly = "monday 08:00").
//
// At that weekday and local time (the agents' zone, routing.h AgentZone)
// every escalation address (lifecycle.h AllEscalationTargets) gets the SLA
// report of the seven days before (store/report.h: tickets opened in
// [slot - 7 days, slot)) as an HTML file attached, with the headline
// figures, the key accounts without contact (C7) and the flagged replies
// (C5) counted in the text, in their language. Once per recipient and
// week: the Message-ID is per recipient and slot, and the outbox is asked
// first. A slot missed by more than a day (the daemon was down) is skipped:
// next week's report covers its own week.
//
// Not here: computing or rendering the report (store/report.h), when the
// watcher runs (watcher.h), sending (outbox_drain.h).
#pragma once

#include <optional>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// A weekly slot: its local date ("2026-12-07") and instant.
struct WeeklySlot {
  std::string day;
  core::TimePoint at;
};

// The latest slot at or before `now` (nullopt: off or unknown zone).
std::optional<WeeklySlot> LatestWeeklySlot(const config::Config& config,
                                           core::TimePoint now);
// The first slot after `now`.
std::optional<WeeklySlot> NextWeeklySlot(const config::Config& config,
                                         core::TimePoint now);

// Queues the report of `slot` to every escalation address that has not had
// it (from the first mailbox). Returns how many were queued. Errors: the
// store's, the report's, a template's.
core::Result<int> QueueWeeklyReport(store::Store& store,
                                    const config::Config& config,
                                    const TemplateSet& templates,
                                    MailboxPartsMap& parts,
                                    const WeeklySlot& slot,
                                    core::TimePoint now);

}  // namespace inboxd::responder
