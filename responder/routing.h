// routing.h: the one answer to "who owns this ticket, and why?" (issue 10;
// POLICY R1 route matrix, R2/R3 absence and fallback, R4 one known team).
//
// AssignOwner, in order (the first that is not absent wins):
//   1. personal mail: the agent it is addressed to (D4);
//   2. R4: who served this customer last (an agent or a team);
//   3. R1: the route's primary for the ticket's class and mailbox (a row for
//      the mailbox wins over the class's row for every mailbox);
//   4. R3: the route's secondary;
//   5. the route's first escalation level (both contacts away);
//   6. nobody: the shared mailbox ("").
// "Absent" means an absence (config, command or detected) covers `at` and
// lasts longer than [routing] absence_threshold after it (R2: "absent more
// than 8 hours"); a team is absent when every agent of it is. The reason
// names the rule and, for a skipped contact, until when they are away.
// The planner (new tickets), the R3 pass when an agent becomes absent and
// `inboxd tickets` all use it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"
#include "store/types.h"

namespace inboxd::responder {

struct Assignment {
  std::string owner;   // agent address (lower case), team name, or ""
  std::string reason;  // "R1: route primary for quote", ...
};

// The end of the absence of `agent` (an address) that covers `at` and lasts
// longer than `threshold` after it; nullopt when they count as present.
std::optional<core::TimePoint> AbsentUntil(
    const std::vector<store::Absence>& absences, std::string_view agent,
    core::TimePoint at, std::chrono::seconds threshold);

// The canonical owner for a route target: an agent's name -> their address,
// an address -> lower case, a team name as is.
std::string OwnerOf(const config::Config& config, std::string_view target);

struct AssignInput {
  std::string cls;
  std::string mailbox;
  std::string personal_agent;  // addressed agent (personal mail), or ""
  std::string last_owner;      // R4: the customer's last owner, or ""
  std::string except;          // an owner never to pick (the one leaving)
  core::TimePoint at;
};

// See the file comment.
Assignment AssignOwner(const config::Config& config,
                       const std::vector<store::Absence>& absences,
                       const AssignInput& in);

// "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD" (00:00) as local time in `time_zone`
// (a time in a DST gap moves forward), or RFC 3339 with an offset.
// kInvalidArgument otherwise or for an unknown zone.
core::Result<core::TimePoint> ParseLocalOrRfc3339(std::string_view text,
                                                  std::string_view time_zone);

// The zone [[agent]] absent ranges are read in: the first mailbox's, else
// UTC.
std::string AgentZone(const config::Config& config);

// Records every [[agent]] absent range ("FROM/UNTIL", local times in
// AgentZone) as an absence with source "config" (Store::AddAbsence keeps
// each once). Errors: kInvalidArgument naming the agent and range (the
// loader validated them, so this means a zone problem), the store's.
core::Status SyncConfigAbsences(store::Store& store,
                                const config::Config& config);

}  // namespace inboxd::responder
