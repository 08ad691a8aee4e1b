// health.h: is the daemon healthy? One pure function answers it for
// /healthz.
//
// What it does: DecideHealth looks at each mailbox folder's live state, the
// retry budget and the result of a store-writable probe, at time `now`, and
// returns healthy or not with one line per reason. The rules:
//   - A folder that is connected is fine, however old its last sync (in IMAP
//     IDLE a folder syncs only when something arrives, or every 29 minutes).
//   - A disconnected folder is "retrying" while it has been disconnected for
//     at most `retry_budget` (still healthy: the sync daemon retries with
//     backoff), and unhealthy once it has been disconnected for longer.
//     The boundary is healthy: exactly the budget is still "retrying".
//   - How long it has been disconnected is counted from
//     `disconnected_since`. When that is unknown, from `last_sync` (the last
//     time the folder was known good), else from `started_at`: an upper
//     bound, so a caller whose source records no disconnect time should fill
//     it in with DisconnectTracker, or a folder that drops after a long IDLE
//     is reported at once.
//   - An entry with folder "" stands for the mailbox as a whole (its folder
//     list could not be resolved yet). It is ignored when the same mailbox
//     also has entries for folders: those are more precise, and the
//     mailbox-level entry may be stale.
//   - The store must be writable (the caller's probe): if not, unhealthy.
// A reason reads
//   "mailbox support folder INBOX: disconnected for 3m12s (budget 2m, 7
//   failed attempts): imap login: timeout"
//   "store not writable: sqlite: database is locked"
// Texts from outside (names, errors) are made printable (one line each).
//
// What it does not do: probe anything itself, read a clock (the caller
// passes `now`), or know ingest/ (the caller converts
// ingest::FolderLiveState into FolderState).
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace inboxd::health {

// Default retry budget: twice the sync daemon's longest backoff (5 min), so
// a folder gets at least one retry at full backoff before it counts as down.
inline constexpr std::chrono::seconds kDefaultRetryBudget{10 * 60};

// The live state of one mailbox folder.
struct FolderState {
  std::string mailbox;
  std::string folder;  // "" = the mailbox as a whole (see above)
  bool connected = false;
  // The last successful sync (also the inboxd_imap_last_sync_timestamp_seconds
  // gauge); nullopt = none since the daemon started.
  std::optional<core::TimePoint> last_sync;
  // When it was first seen disconnected since it was last connected;
  // nullopt = unknown (see above). Ignored while connected.
  std::optional<core::TimePoint> disconnected_since;
  int consecutive_failures = 0;  // 0 = unknown or none; shown when > 0
  std::string last_error;        // "" = none
};

// The caller's store-writable probe (e.g. a write in a transaction that is
// rolled back).
struct StoreProbe {
  bool writable = true;
  std::string error;  // why not, when !writable
};

struct HealthInput {
  std::vector<FolderState> folders;
  std::chrono::seconds retry_budget = kDefaultRetryBudget;
  StoreProbe store;
  core::TimePoint now;
  core::TimePoint started_at;  // when the daemon started
};

struct HealthReport {
  bool healthy = true;
  // Why not healthy, one line each, in input order (store last). Empty when
  // healthy.
  std::vector<std::string> reasons;
  // Folders inside their budget, same form as a reason with "retrying,"
  // after the name. Informational (logs); not part of the decision.
  std::vector<std::string> retrying;
};

// The health decision; see the file comment. Never fails.
HealthReport DecideHealth(const HealthInput& input);

// `folders` without the mailbox-level entries (folder "") of mailboxes that
// also have folder entries (the one rule DecideHealth and the IMAP gauges of
// daemon_metrics.h share). Order kept.
std::vector<FolderState> WithoutSupersededMailboxEntries(
    std::vector<FolderState> folders);

// "0s", "45s", "3m12s", "2m", "1h5s", "2d3h": the largest units, zero units
// left out. Negative durations count as 0s.
std::string FormatElapsed(std::chrono::seconds d);

// Remembers when each (mailbox, folder) was first seen disconnected, for
// sources that record only `connected` (ingest::FolderLiveState). The time
// is as precise as the calls are frequent: call Fill wherever the states are
// read (the daemon's main loop, every /healthz request). Thread-safe.
class DisconnectTracker {
 public:
  // For each entry of *folders: connected -> forgets it; disconnected with
  // no disconnected_since -> sets it to the first `now` at which this
  // tracker saw it disconnected (this call's `now` the first time). An entry
  // that already has disconnected_since is left as it is.
  void Fill(std::vector<FolderState>* folders, core::TimePoint now);

 private:
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, core::TimePoint> since_;
};

}  // namespace inboxd::health
