// digest.h: the daily digest (issue 10 item 6).
//
// At [routing] digest_at local time (in the agents' zone, routing.h
// AgentZone) on a working day of the first mailbox's calendar, each agent
// present that day gets their open (and waiting) tickets: the ones they own
// and the ones their team owns, in their [[agent]] language. Every address
// of the route matrix's escalate_to chains gets the team view: every open
// ticket with its owner. Order: overdue (a missed milestone nobody has
// answered yet, or a past-due one)
// first, then at risk (past the warning time), then by next deadline;
// at most kDigestLines lines, "and N more" for the rest. Nobody gets an
// empty digest. Exactly once per recipient and day: the Message-ID is per
// recipient and local date, and the outbox is asked first.
//
// Not here: when the watcher runs (watcher.h calls QueueDigests when
// DigestDue says so), sending (outbox_drain.h).
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

// Most ticket lines in one digest.
inline constexpr int kDigestLines = 100;

// Today's digest: its local date ("2026-12-07") and the instant it is due.
struct DigestSlot {
  std::string day;
  core::TimePoint at;
};

// The digest slot of the local day of `now` (nullopt: digests are off or
// the zone is unknown).
std::optional<DigestSlot> DigestDue(const config::Config& config,
                                    core::TimePoint now);

// The first digest slot after `now`: today's when it is still to come,
// else tomorrow's (the next local date, whatever the length of the day).
std::optional<DigestSlot> NextDigestSlot(const config::Config& config,
                                         core::TimePoint now);

struct DigestReport {
  int queued = 0;  // digests queued now
  bool working_day = true;
};

// Queues today's digests (see the file comment) from the first mailbox.
// Call at or after the slot's time. Errors: the store's, a template's.
core::Result<DigestReport> QueueDigests(store::Store& store,
                                        const config::Config& config,
                                        const TemplateSet& templates,
                                        MailboxPartsMap& parts,
                                        const DigestSlot& slot,
                                        core::TimePoint now);

}  // namespace inboxd::responder
