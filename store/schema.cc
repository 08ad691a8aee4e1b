#include "store/schema.h"

namespace inboxd::store {

namespace {

// v1 (issue 2): raw messages and where they were seen, decisions, tickets
// with mailboxes, messages and deadlines, IMAP checkpoints, the audit chain.
constexpr char kV1[] = R"sql(
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  message_id TEXT NOT NULL,               -- without <>; '' when absent
  sha256 TEXT NOT NULL,                   -- of the full message
  size INTEGER NOT NULL,                  -- of the full message
  truncated INTEGER NOT NULL DEFAULT 0,   -- raw holds only the headers
  raw BLOB NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('incoming', 'sent')),
  arrived_at INTEGER NOT NULL,
  stored_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'stored'
    CHECK (state IN ('stored', 'processed', 'quarantined')),
  parse_attempts INTEGER NOT NULL DEFAULT 0,
  quarantine_reason TEXT NOT NULL DEFAULT '',
  UNIQUE (message_id, sha256)
);
CREATE INDEX messages_sha256 ON messages (sha256);
CREATE INDEX messages_state ON messages (state, id);

CREATE TABLE message_locations (
  id INTEGER PRIMARY KEY,
  message_row INTEGER NOT NULL REFERENCES messages (id),
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('incoming', 'sent')),
  arrived_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL
);
-- IMAP: one message per (mailbox, folder, uid_validity, uid).
CREATE UNIQUE INDEX message_locations_imap
  ON message_locations (mailbox, folder, uid_validity, uid) WHERE uid > 0;
-- Files (uid 0): one row per message and file.
CREATE UNIQUE INDEX message_locations_file
  ON message_locations (mailbox, folder, message_row) WHERE uid = 0;
CREATE INDEX message_locations_message ON message_locations (message_row);

CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  prefix TEXT NOT NULL,
  number INTEGER NOT NULL,
  mailbox TEXT NOT NULL,
  customer TEXT NOT NULL,
  subject TEXT NOT NULL,
  normalized_subject TEXT NOT NULL,
  cls TEXT NOT NULL,
  language TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open'
    CHECK (status IN ('open', 'answered', 'closed')),
  opened_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (prefix, number)
);
CREATE INDEX tickets_subject
  ON tickets (customer, normalized_subject, updated_at);

CREATE TABLE ticket_counters (
  prefix TEXT PRIMARY KEY,
  next_number INTEGER NOT NULL
);

CREATE TABLE ticket_mailboxes (
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  mailbox TEXT NOT NULL,
  added_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, mailbox)
);

CREATE TABLE ticket_messages (
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  message_row INTEGER NOT NULL REFERENCES messages (id),
  attached_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, message_row)
);
CREATE INDEX ticket_messages_message ON ticket_messages (message_row);

CREATE TABLE deadlines (
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  deadline_id TEXT NOT NULL,
  name TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  met_at INTEGER,
  state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'met', 'missed', 'notified')),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, deadline_id)
);
CREATE INDEX deadlines_due ON deadlines (state, due_at);

CREATE TABLE decisions (
  message_row INTEGER PRIMARY KEY REFERENCES messages (id),
  kind TEXT NOT NULL,
  cls TEXT NOT NULL,
  thread TEXT NOT NULL,
  language TEXT NOT NULL,
  ack INTEGER NOT NULL,
  reasons TEXT NOT NULL,                  -- JSON array of strings
  ticket_id INTEGER REFERENCES tickets (id),
  decided_at INTEGER NOT NULL
);

CREATE TABLE checkpoints (
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uid_validity INTEGER NOT NULL,
  last_uid INTEGER NOT NULL,
  first_seen_at INTEGER NOT NULL,
  last_sync_at INTEGER NOT NULL,
  PRIMARY KEY (mailbox, folder)
);
CREATE INDEX message_locations_folder
  ON message_locations (mailbox, folder, uid_validity);

-- The audit log (POLICY A1): append-only and hash-chained;
-- hash = SHA-256(prev_hash || canonical row text), see audit.cc.
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  mailbox TEXT NOT NULL DEFAULT '',
  ticket_id INTEGER,
  message_row INTEGER,
  actor TEXT NOT NULL,
  data TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX events_at ON events (at);
CREATE INDEX events_ticket ON events (ticket_id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
  SELECT RAISE(ABORT, 'events are append-only');
END;
)sql";

// v2 (issue 5): the transactional outbox. At most one "ack" per ticket and
// one row per Message-ID, enforced by the schema.
constexpr char kV2[] = R"sql(
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER REFERENCES tickets (id),
  kind TEXT NOT NULL,
  mailbox TEXT NOT NULL,
  message_id TEXT NOT NULL UNIQUE,
  from_addr TEXT NOT NULL,
  envelope_from TEXT NOT NULL,
  raw BLOB NOT NULL,
  reason TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'sending', 'sent', 'deferred', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  sent_at INTEGER,
  appended_to_sent_at INTEGER
);
CREATE UNIQUE INDEX outbox_one_ack_per_ticket ON outbox (ticket_id)
  WHERE kind = 'ack';
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE outbox_recipients (
  outbox_id INTEGER NOT NULL REFERENCES outbox (id),
  position INTEGER NOT NULL,
  address TEXT NOT NULL,                 -- as given
  address_lower TEXT NOT NULL,           -- for rate limits
  PRIMARY KEY (outbox_id, position)
);
CREATE INDEX outbox_recipients_address ON outbox_recipients (address_lower);
)sql";

// v3: Outlook conversations (Thread-Index). `base` is the lower-case hex of
// the conversation header (classify::ThreadIndexBase); the first ticket that
// records a conversation keeps it (UNIQUE base).
constexpr char kV3[] = R"sql(
CREATE TABLE ticket_thread_indexes (
  base TEXT PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  added_at INTEGER NOT NULL
);
CREATE INDEX ticket_thread_indexes_ticket ON ticket_thread_indexes (ticket_id);
)sql";

// v4 (issue 8): the acknowledgement decision of a message (classify::
// AckOutcomeName: ack, followup, personal, automatic, refused; '' for rows
// decided before v4) and the owner of a ticket (the agent whose clock runs,
// e.g. for personal mail, POLICY D4; '' = the shared mailbox).
constexpr char kV4[] = R"sql(
ALTER TABLE decisions ADD COLUMN decision TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN owner TEXT NOT NULL DEFAULT '';
)sql";

// v5 (issue 9): ticket lifecycle and milestones as state.
//  * tickets.state (open | waiting | closed) replaces tickets.status, which
//    stays as an unused v1 column ('answered' is now the fact answered_at);
//    customer_at / answered_at say whether a person answered the customer's
//    latest message; flags holds classification flags (',a,b,' form, for
//    LIKE); board_at / csat_at record the R6 and C4 mail.
//  * milestones replaces deadlines: the clock (start, window, pause), the
//    watcher's times (warn_at, notice_at; warned, notified, missed,
//    escalation level) and the evidence of the message that met it.
//    next_action_at is the earliest time the watcher has something to do
//    (NULL: nothing), kept by the store on every change, so pending work is
//    one indexed query.
//  * decisions.party: who wrote the message on its ticket ("customer",
//    "agent", "" for automatic mail and copies), for the ticket's clocks.
//  * decisions.planned_at: NULL while the planner has not handled the
//    decision (replaces the planner's scan of audit events).
constexpr char kV5[] = R"sql(
ALTER TABLE tickets ADD COLUMN state TEXT NOT NULL DEFAULT 'open'
  CHECK (state IN ('open', 'waiting', 'closed'));
ALTER TABLE tickets ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE tickets ADD COLUMN customer_at INTEGER;
ALTER TABLE tickets ADD COLUMN answered_at INTEGER;
ALTER TABLE tickets ADD COLUMN waiting_since INTEGER;
ALTER TABLE tickets ADD COLUMN closed_at INTEGER;
ALTER TABLE tickets ADD COLUMN board_at INTEGER;
ALTER TABLE tickets ADD COLUMN csat_at INTEGER;
UPDATE tickets SET
  state = CASE status WHEN 'closed' THEN 'closed' ELSE 'open' END,
  closed_at = CASE status WHEN 'closed' THEN updated_at END,
  customer_at = opened_at,
  answered_at = CASE status WHEN 'answered' THEN updated_at END,
  csat_at = CASE status WHEN 'closed' THEN updated_at END;
CREATE INDEX tickets_state ON tickets (state, id);
CREATE INDEX tickets_csat ON tickets (closed_at)
  WHERE state = 'closed' AND csat_at IS NULL;
CREATE INDEX tickets_board ON tickets (id)
  WHERE flags != '' AND board_at IS NULL;

CREATE TABLE milestones (
  ticket_id INTEGER NOT NULL REFERENCES tickets (id),
  milestone_id TEXT NOT NULL,
  name TEXT NOT NULL,
  clock TEXT NOT NULL DEFAULT 'calendar',
  within INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'open'
    CHECK (state IN ('open', 'met', 'missed')),
  started_at INTEGER NOT NULL,
  original_due_at INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  warn_at INTEGER,
  notice_at INTEGER,
  paused_at INTEGER,
  warned_at INTEGER,
  notified_at INTEGER,
  missed_at INTEGER,
  escalation_level INTEGER NOT NULL DEFAULT 0,
  escalated_at INTEGER,
  next_escalation_at INTEGER,
  next_action_at INTEGER,
  met_at INTEGER,
  met_by TEXT NOT NULL DEFAULT '',
  met_message_row INTEGER,
  met_outbox_id INTEGER,
  met_message_id TEXT NOT NULL DEFAULT '',
  met_mailbox TEXT NOT NULL DEFAULT '',
  met_folder TEXT NOT NULL DEFAULT '',
  met_actor TEXT NOT NULL DEFAULT '',
  evidence_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (ticket_id, milestone_id)
);
CREATE INDEX milestones_next ON milestones (next_action_at)
  WHERE next_action_at IS NOT NULL;
INSERT INTO milestones (ticket_id, milestone_id, name, state, started_at,
  original_due_at, due_at, notified_at, met_at, next_action_at, updated_at)
SELECT ticket_id, deadline_id, name,
  CASE state WHEN 'notified' THEN 'open' ELSE state END,
  (SELECT opened_at FROM tickets t WHERE t.id = d.ticket_id),
  due_at, due_at, CASE state WHEN 'notified' THEN updated_at END, met_at,
  CASE WHEN state IN ('open', 'notified') THEN due_at END, updated_at
FROM deadlines d;
DROP TABLE deadlines;

ALTER TABLE decisions ADD COLUMN planned_at INTEGER;
ALTER TABLE decisions ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN party TEXT NOT NULL DEFAULT '';
UPDATE decisions SET planned_at = decided_at
  WHERE ack = 0 OR ticket_id IS NULL OR EXISTS (
    SELECT 1 FROM outbox o WHERE o.ticket_id = decisions.ticket_id
    AND o.kind = 'ack');
CREATE INDEX decisions_unplanned ON decisions (message_row)
  WHERE planned_at IS NULL;
)sql";

// v6 (issue 9 item 6): ticket state from the agents' mail client. One row
// per message and mark ("$Done", "folder:Done") inboxd has acted on, so a
// mark acts once: a keyword still on an old message does not close the
// ticket again after the customer reopened it; a mark removed in the client
// is deleted here, so setting it again acts again.
constexpr char kV6[] = R"sql(
CREATE TABLE client_marks (
  message_row INTEGER NOT NULL REFERENCES messages (id),
  mark TEXT NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (message_row, mark)
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id);
)sql";

// v7 (issue 10): absences of agents from config, the `absence` command and
// detected out-of-office replies; why a ticket has its owner; lookups of a
// customer's last owner (R4) and an agent's open tickets (R3).
constexpr char kV7[] = R"sql(
CREATE TABLE absences (
  id INTEGER PRIMARY KEY,
  agent TEXT NOT NULL,
  from_at INTEGER NOT NULL,
  until_at INTEGER NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('config', 'command', 'detected')),
  detail TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  cleared_at INTEGER,
  applied_at INTEGER
);
CREATE INDEX absences_agent ON absences (agent, until_at);
CREATE INDEX absences_unapplied ON absences (from_at)
  WHERE applied_at IS NULL AND cleared_at IS NULL;
ALTER TABLE tickets ADD COLUMN owner_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX tickets_owner ON tickets (owner, state);
CREATE INDEX tickets_customer ON tickets (customer, id);
)sql";

// v8 (issue 11 item 5): personal data of an event lives outside the hashed
// text. `personal` is a JSON object of the fields the store moved out of
// `data` (addresses, names, subjects, reasons that quote the customer);
// the chain hashes `personal_digest` (SHA-256 of `personal` as written), so
// an erasure sets `personal` to NULL and the chain still verifies. Only
// that one change is allowed: every other UPDATE, and every DELETE, is
// refused. Events by message (AppendEventOnce, erasure).
constexpr char kV8[] = R"sql(
ALTER TABLE events ADD COLUMN personal TEXT;
ALTER TABLE events ADD COLUMN personal_digest TEXT NOT NULL DEFAULT '';
DROP TRIGGER events_no_update;
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.type IS NOT OLD.type
  OR NEW.mailbox IS NOT OLD.mailbox OR NEW.ticket_id IS NOT OLD.ticket_id
  OR NEW.message_row IS NOT OLD.message_row OR NEW.actor IS NOT OLD.actor
  OR NEW.data IS NOT OLD.data OR NEW.prev_hash IS NOT OLD.prev_hash
  OR NEW.hash IS NOT OLD.hash OR NEW.personal_digest IS NOT OLD.personal_digest
  OR NEW.personal IS NOT NULL
BEGIN
  SELECT RAISE(ABORT, 'events are append-only (only their personal data can be erased)');
END;
CREATE INDEX events_message ON events (message_row);
)sql";

// v9 (issue 11 item 5): erasure (`inboxd forget`, [state] retention). A
// message or outbox row whose raw bytes were blanked keeps its row, ids and
// sha256 (nothing references a missing row) and records when in erased_at;
// a ticket whose customer and subject were replaced by a token records it
// too. Messages by arrival for the retention purge.
constexpr char kV9[] = R"sql(
ALTER TABLE messages ADD COLUMN erased_at INTEGER;
ALTER TABLE outbox ADD COLUMN erased_at INTEGER;
ALTER TABLE tickets ADD COLUMN erased_at INTEGER;
CREATE INDEX messages_arrived ON messages (arrived_at)
  WHERE erased_at IS NULL;
)sql";

// v10 (issue 13): the outbox drain looks for sent replies whose copy is not
// in the Sent folder yet on every run; the index on state alone made that
// a walk over every reply ever sent.
constexpr char kV10[] = R"sql(
CREATE INDEX outbox_unappended ON outbox (id)
  WHERE state = 'sent' AND appended_to_sent_at IS NULL;
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "messages, tickets, checkpoints, audit events", kV1},
      {2, "outbox", kV2},
      {3, "ticket Thread-Index conversations", kV3},
      {4, "decision outcome, ticket owner", kV4},
      {5, "ticket lifecycle, milestones, planned decisions", kV5},
      {6, "marks from the mail client", kV6},
      {7, "absences, owner reasons", kV7},
      {8, "personal data of events outside the hash chain", kV8},
      {9, "erased messages, outbox rows and tickets", kV9},
      {10, "index of sent replies without their Sent copy", kV10},
  };
  return kMigrations;
}

}  // namespace inboxd::store
