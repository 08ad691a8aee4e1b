// logging.h: how the inboxd binary logs (issue 12 item 3).
//
// Everything goes to stderr, one line per record. Under systemd (stderr is
// the journal: JOURNAL_STREAM is set) a line is "<N>text": the syslog
// priority journald files it under, and no timestamp (journald adds its
// own). Elsewhere a line is "2026-12-06T12:00:00.123Z warn text".
//
// What the daemon decides is in the audit trail; EventLog follows that trail
// and writes each committed event as one line that names its mailbox and
// ticket first:
//   mailbox=support ticket=S-1042 outbox.sent #812 {"kind":"ack",...}
// The data printed is the hashed part only (store::SplitPersonal keeps
// addresses, names and subjects apart), and secrets are never in events, so
// the log holds no secret and no personal data beyond what the audit export
// shows with --redact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.h"

namespace inboxd::app {

// Sets the format (journald or terminal) and the level: config `log_level`
// (trace, debug, info, warn, error, off; the loader validated it).
void ConfigureLogging(std::string_view level);

// Writes TEXT (one or more lines) to stderr as an error that comes before
// logging is configured, e.g. a config that does not load: as it is on a
// terminal, each line with "<3>" under journald (priority err, not the
// journal's default info).
void PrintError(std::string_view text);

// Follows the audit trail from the event that is newest at Start.
class EventLog {
 public:
  // Remembers the newest event id: only events after it are logged.
  core::Status Start(store::Store& store);
  // Logs every event committed since the last call (oldest first).
  core::Status LogNew(store::Store& store);

 private:
  std::string TicketTag(store::Store& store, int64_t ticket_id);

  int64_t last_id_ = 0;
  std::unordered_map<int64_t, std::string> tags_;
};

}  // namespace inboxd::app
