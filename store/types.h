// types.h: the typed rows that go in and out of store::Store.
//
// Plain structs only: no SQL, no behaviour beyond string conversion of the
// enums. Ids are SQLite row ids (int64_t, > 0); 0 means "none" where a field
// is optional. Times are core::TimePoint (UTC seconds), stored as INTEGER unix
// seconds in columns named *_at.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace inboxd::store {

// ---------------------------------------------------------------- messages

// Where a message was seen: "incoming" (a watched folder such as INBOX) or
// "sent" (the shared mailbox's Sent folder: an agent's reply).
enum class Role { kIncoming, kSent };
// stored -> processed (a decision is recorded) | quarantined (raw kept).
enum class MessageState { kStored, kProcessed, kQuarantined };

std::string_view ToString(Role role);
std::string_view ToString(MessageState state);
// kInvalidArgument for an unknown name.
core::Result<Role> ParseRole(std::string_view s);
core::Result<MessageState> ParseMessageState(std::string_view s);

struct RawMessageIn {
  std::string mailbox;        // config mailbox name ("support")
  std::string folder;         // "INBOX", "Sent"; for files: the file path
  uint32_t uid_validity = 0;  // 0 for files
  uint32_t uid = 0;           // 0 for files
  Role role = Role::kIncoming;
  core::TimePoint arrived_at;  // server INTERNALDATE, or the file time
  std::string raw;             // the exact bytes (headers only if truncated)
  std::string sha256;          // lower-case hex SHA-256 of the full message
  std::string message_id;      // without <>; "" when absent
  size_t size = 0;             // size of the full message in bytes
  // True when `raw` holds only the header block because the message was over
  // the size limit; `sha256` and `size` then describe the full message.
  bool truncated = false;
  // Non-empty: the message is stored already quarantined with this reason (in
  // the same transaction), e.g. "size 30000000 over limit 26214400".
  std::string quarantine_reason;
};

struct MessageRef {
  int64_t id = 0;             // messages row id
  bool new_message = false;   // first time this content is stored
  bool new_location = false;  // first time seen at this place
  // Another, earlier messages row with the same non-empty Message-ID but other
  // bytes (e.g. the copy delivered to the other mailbox with its own trace
  // headers); 0 when none.
  int64_t same_message_id_as = 0;
};

struct MessageLocation {
  std::string mailbox;
  std::string folder;
  uint32_t uid_validity = 0;
  uint32_t uid = 0;
  Role role = Role::kIncoming;
  core::TimePoint arrived_at;
  core::TimePoint seen_at;  // when inboxd stored this location
};

struct StoredMessage {
  int64_t id = 0;
  std::string message_id;
  std::string sha256;
  size_t size = 0;
  bool truncated = false;
  Role role = Role::kIncoming;  // role of the first sighting
  core::TimePoint arrived_at;   // arrival of the first sighting
  core::TimePoint stored_at;
  MessageState state = MessageState::kStored;
  int parse_attempts = 0;
  std::string quarantine_reason;
  std::string raw;
  std::vector<MessageLocation> locations;  // in the order they were seen
};

// A message still waiting for a decision (state "stored").
struct UnprocessedMessage {
  int64_t id = 0;
  int parse_attempts = 0;  // parses begun so far (BeginParse)
  core::TimePoint arrived_at;
};

// What classify decided about one message.
struct DecisionRow {
  std::string kind;      // human|auto_reply|bounce|list_bulk|spam
  std::string cls;       // quote|complaint|support|personal|other ("" if n/a)
  std::string thread;    // new|followup
  std::string language;  // "en", "de", ...
  bool ack = false;      // whether an acknowledgement is due
  // ack | followup | personal | automatic | refused (classify/ack_decision.h)
  std::string decision;
  std::string reasons_json = "[]";  // JSON array of strings
  int64_t ticket_id = 0;            // 0: no ticket
  // Rule flags ("material_defect"), added to the ticket's flags.
  std::vector<std::string> flags;
  // Who wrote it, as far as its ticket is concerned: "customer" (starts or
  // moves the ticket's clocks), "agent", or "" (automatic mail, a copy).
  std::string party;
};

struct Decision : DecisionRow {
  int64_t message_row = 0;  // messages row id
  core::TimePoint decided_at;
};

// ----------------------------------------------------------------- tickets

// A ticket is open (someone owes the customer an answer), waiting (on the
// customer: its answer clocks pause, POLICY D6) or closed (the job is done:
// the follow-up clock D7 starts).
enum class TicketState { kOpen, kWaiting, kClosed };
// A milestone (one deadline of the policy on one ticket) is open until it is
// met (by the message recorded as its evidence) or missed (its due time
// passed first).
enum class MilestoneState { kOpen, kMet, kMissed };

// How many milestones are in each state (Store::CountMilestones).
struct DeadlineCounts {
  int64_t met = 0;
  int64_t missed = 0;
  int64_t open = 0;
  int64_t at_risk = 0;  // open, warning time passed
};

std::string_view ToString(TicketState state);
std::string_view ToString(MilestoneState state);
core::Result<TicketState> ParseTicketState(std::string_view s);
core::Result<MilestoneState> ParseMilestoneState(std::string_view s);

struct TicketIn {
  std::string mailbox;             // the mailbox it arrived in
  std::string prefix;              // tag prefix, "S"; [A-Za-z0-9]+
  std::string customer;            // customer address (stored lower case)
  std::string subject;             // decoded UTF-8, as received
  std::string normalized_subject;  // no Re:/AW:/tag; for subject threading
  std::string cls;
  std::string language;
  core::TimePoint opened_at;  // arrival of the first message
  // The message that opened the ticket (messages row id), attached in the
  // same transaction so a crash cannot leave a ticket without its message;
  // 0 for none.
  int64_t first_message = 0;
  // The Outlook conversation of the first message (lower-case hex, see
  // Store::AddTicketThreadIndex), recorded in the same transaction; "" for
  // none.
  std::string thread_index_base;
  // The agent (lower-case address) whose answer clock runs; "" = the shared
  // mailbox (personal mail names its agent, POLICY D4).
  std::string owner;
  // Flags set by classification rules ("material_defect": R6), sorted,
  // each once; [a-z0-9_]+.
  std::vector<std::string> flags;
};

struct TicketRef {
  int64_t id = 0;
  std::string prefix;
  int64_t number = 0;
  std::string Tag() const { return prefix + "-" + std::to_string(number); }
};

struct Ticket {
  int64_t id = 0;
  std::string prefix;
  int64_t number = 0;
  std::string mailbox;                 // where it was opened
  std::vector<std::string> mailboxes;  // every mailbox it belongs to, sorted
  std::string customer;
  std::string subject;
  std::string normalized_subject;
  std::string cls;
  std::string language;
  TicketState state = TicketState::kOpen;
  std::string owner;               // agent address; "" = the shared mailbox
  std::string owner_reason;        // why it has this owner (R1-R4)
  std::vector<std::string> flags;  // see TicketIn::flags
  core::TimePoint opened_at;
  core::TimePoint updated_at;  // last attach or state change
  // The latest message from the customer (opened_at at first) and the
  // latest reply of a person (an agent) on the ticket.
  core::TimePoint customer_at;
  std::optional<core::TimePoint> answered_at;
  std::optional<core::TimePoint> waiting_since;  // state waiting
  std::optional<core::TimePoint> closed_at;      // state closed
  // When the board was told of a material defect (R6) and when the
  // satisfaction mail (C4) was queued.
  std::optional<core::TimePoint> board_at;
  std::optional<core::TimePoint> csat_at;
  std::string Tag() const { return prefix + "-" + std::to_string(number); }
  bool HasFlag(std::string_view f) const {
    for (const std::string& x : flags) {
      if (x == f) return true;
    }
    return false;
  }
  // True when a person answered after the customer's latest message.
  bool AnsweredSinceCustomer() const {
    return answered_at && *answered_at >= customer_at;
  }
};

// ---------------------------------------------------------------- absences

// An agent's absence (POLICY R2/R3). `source`: "config" ([[agent]] absent),
// "command" (inboxd absence set), "detected" (their own out-of-office
// reply).
struct AbsenceIn {
  std::string agent;  // lower-case address
  core::TimePoint from;
  core::TimePoint until;
  std::string source;
  std::string detail;  // the config range, the command, the Message-ID
  std::string actor = "inboxd";  // the Unix user for commands
};

struct Absence {
  int64_t id = 0;
  std::string agent;
  core::TimePoint from;
  core::TimePoint until;
  std::string source;
  std::string detail;
  core::TimePoint created_at;
  std::optional<core::TimePoint> cleared_at;
  std::optional<core::TimePoint> applied_at;  // open tickets moved (R3)
  bool Covers(core::TimePoint t) const {
    return !cleared_at && from <= t && t < until;
  }
};

// Who wrote on a ticket (Store::NoteTicketMessage).
enum class TicketParty { kCustomer, kAgent };
// The mail inboxd sends once per ticket (Store::MarkTicketMail): the board's
// notice of a material defect (R6) and the satisfaction mail (C4).
enum class TicketMail { kBoard, kCsat };

// Where a message of an open (or waiting) ticket is, for reading its flags
// in the mail client (Store::ListOpenTicketLocations).
struct TicketLocation {
  int64_t ticket_id = 0;
  int64_t message_row = 0;
  std::string message_id;
  std::string folder;
  uint32_t uid_validity = 0;
  uint32_t uid = 0;
};

// When a milestone's clock runs and when the watcher acts on it.
struct MilestoneTiming {
  core::TimePoint started_at;  // arrival, restart or closing
  core::TimePoint due_at;
  // The owner's warning (deadlines.warn_at) and the customer's delay notice
  // (D9); nullopt = none for this milestone.
  std::optional<core::TimePoint> warn_at;
  std::optional<core::TimePoint> notice_at;
};

struct MilestoneIn {
  std::string milestone_id;  // "D2"
  std::string name;          // "answer"
  std::string clock;         // "calendar" | "business"
  std::chrono::seconds within{0};
  MilestoneTiming timing;
};

// The message that met a milestone (issue 9 item 4).
struct MilestoneEvidence {
  // How: "sent_folder" (an agent's reply in the shared Sent folder),
  // "cc_copy" (a CC/BCC copy that reached a watched folder), "agent_thread"
  // (mail from an agent address on the thread), "our_mail" (inboxd's own
  // acknowledgement, complaint receipt or satisfaction mail).
  std::string by;
  int64_t message_row = 0;  // 0 for our own mail (see outbox_id)
  int64_t outbox_id = 0;    // our own mail
  std::string message_id;   // without <>
  std::string mailbox;
  std::string folder;  // "" for our own mail sent by SMTP
  core::TimePoint at;  // when it was sent
  std::string actor;   // the agent, or "inboxd"
};

struct Milestone {
  int64_t ticket_id = 0;
  std::string milestone_id;
  std::string name;
  std::string clock;
  std::chrono::seconds within{0};
  MilestoneState state = MilestoneState::kOpen;
  core::TimePoint started_at;
  core::TimePoint original_due_at;  // as first set (before any delay notice)
  core::TimePoint due_at;           // now due (moved by notice, pause, restart)
  std::optional<core::TimePoint> warn_at;
  std::optional<core::TimePoint> notice_at;
  std::optional<core::TimePoint> paused_at;
  std::optional<core::TimePoint> warned_at;
  std::optional<core::TimePoint> notified_at;
  std::optional<core::TimePoint> missed_at;
  int escalation_level = 0;  // levels sent so far
  std::optional<core::TimePoint> escalated_at;
  std::optional<core::TimePoint> next_escalation_at;
  std::optional<core::TimePoint> met_at;
  MilestoneEvidence evidence;  // by == "" until met (or answered late)
  core::TimePoint updated_at;
};

// What the watcher did to a milestone (Store::MarkMilestone).
struct MilestoneMark {
  enum class Action { kWarned, kNotified, kMissed, kEscalated };
  Action action = Action::kWarned;
  core::TimePoint at;
  // kNotified: the new due time the customer was given (nullopt: the
  // notice was skipped, see data).
  std::optional<core::TimePoint> new_due_at;
  // kMissed / kEscalated: the next escalation (nullopt: the chain ended).
  std::optional<core::TimePoint> next_escalation_at;
  std::string data = "{}";  // JSON object for the audit event
};

// ------------------------------------------------------------- checkpoints

struct Checkpoint {
  std::string mailbox;
  std::string folder;
  uint32_t uid_validity = 0;
  uint32_t last_uid = 0;  // highest UID whose bytes are stored
  core::TimePoint last_sync_at;
  core::TimePoint first_seen_at;  // first time inboxd saw this folder
  // Locations stored under the current uid_validity; counted by
  // ListCheckpoints only (0 from GetCheckpoint and AdvanceCheckpoint).
  int64_t messages = 0;
};

// ------------------------------------------------------------------ outbox

// queued -> sending -> sent | deferred | failed; deferred -> sending.
enum class OutboxState { kQueued, kSending, kSent, kDeferred, kFailed };
std::string_view ToString(OutboxState state);
core::Result<OutboxState> ParseOutboxState(std::string_view s);

struct OutgoingIn {
  int64_t ticket_id = 0;   // 0: not about a ticket (e.g. an agent alert)
  std::string kind;        // "ack", "delay_notice", "csat", "agent_alert"...
  std::string mailbox;     // the shared mailbox that sends it (Sent APPEND)
  std::string message_id;  // ours, without <>; unique
  std::string from;        // header From address
  std::vector<std::string> recipients;  // envelope recipients
  std::string envelope_from;            // MAIL FROM (bounce address)
  std::string raw;                      // the complete message, CRLF
  std::string reason;                   // why it is sent (audit)
};

struct Outgoing {
  int64_t id = 0;
  int64_t ticket_id = 0;
  std::string kind;
  std::string mailbox;
  std::string message_id;
  std::string from;
  std::vector<std::string> recipients;
  std::string envelope_from;
  std::string raw;
  std::string reason;
  OutboxState state = OutboxState::kQueued;
  int attempts = 0;  // deferrals so far
  core::TimePoint next_attempt_at;
  std::string last_error;
  core::TimePoint created_at;
  core::TimePoint updated_at;
  std::optional<core::TimePoint> sent_at;
  std::optional<core::TimePoint> appended_to_sent_at;
};

// ------------------------------------------------------------------- audit

struct EventIn {
  std::string type;              // "message.stored", "outbox.sent", ...
  std::string mailbox;           // "" when not about one mailbox
  int64_t ticket_id = 0;         // 0: none
  int64_t message_row = 0;       // messages row id; 0: none
  std::string actor = "inboxd";  // "inboxd", an agent address, "unix:USER"
  // A JSON object, checked. Its personal fields (SplitPersonal) are stored
  // apart from the hashed text, so they can be erased (issue 11 item 5).
  std::string data = "{}";
};

struct Event {
  int64_t id = 0;
  core::TimePoint at;
  std::string type;
  std::string mailbox;
  int64_t ticket_id = 0;
  int64_t message_row = 0;
  std::string actor;
  std::string data;             // without the personal fields
  std::string personal;         // JSON object of them; "" when none or erased
  std::string personal_digest;  // "" when the event had none
  std::string prev_hash;
  std::string hash;
  // The event had personal fields and they were erased (forget, retention).
  bool personal_erased() const {
    return !personal_digest.empty() && personal.empty();
  }
  // data and personal merged back into one JSON object (what was appended,
  // as far as it was not erased).
  std::string FullData() const;
};

struct EventFilter {
  std::optional<core::TimePoint> since;  // at >= since
  std::optional<core::TimePoint> until;  // at < until
  int64_t ticket_id = 0;                 // 0: any
  int64_t message_row = 0;               // 0: any
  std::string type;                      // "": any
  std::string mailbox;                   // "": any
  int64_t after_id = 0;                  // id > after_id
  int limit = 1000;                      // newest events are cut; 0: all
};

// Splits an event's data (a JSON object) into what is hashed and the
// personal fields kept apart: every top-level key that names personal
// data (subject, original_subject, customer, customer_name, name, text,
// body, reasons: the classifier's reasons quote the customer's words,
// detail) or whose value holds a string with an '@' anywhere (an address,
// a Message-ID). Returns {data, personal} as JSON texts; personal
// is "" when nothing was moved. `data` must be a JSON object.
std::pair<std::string, std::string> SplitPersonal(std::string_view data);

// The verified head of the audit chain. Publishing `last_hash` elsewhere
// (a log line, a ticket) also makes truncation of the tail detectable.
struct ChainHead {
  int64_t count = 0;
  int64_t last_id = 0;
  std::string last_hash;
  int64_t erased = 0;  // events whose personal data was erased
  // VerifyAuditChain(head): the event whose hash is `head`, 0 when none.
  int64_t head_id = 0;
};

// ----------------------------------------------------------------- privacy

// What an erasure (Store::ForgetAddress) or a retention purge
// (Store::PurgeOlderThan) changed, or would change in a dry run.
struct ErasureReport {
  int64_t messages = 0;  // messages whose raw bytes were blanked
  int64_t tickets = 0;   // tickets whose customer and subject were replaced
  int64_t events = 0;    // events whose personal data was erased
  int64_t outbox = 0;    // outbox rows blanked
  // ForgetAddress: other text fields (any table but events) in which the
  // address was replaced by the token.
  int64_t fields = 0;
  // ForgetAddress: events whose actor is the address. The actor is hashed,
  // so it cannot be erased without breaking the chain: the caller warns.
  int64_t actor_events = 0;
  // ForgetAddress: SHA-256 hex of the lower-case address, and the token
  // that replaced it ("erased:" + its first 12 hex digits).
  std::string address_sha256;
  std::string token;
  int64_t tombstone_id = 0;  // the event recording it; 0 in a dry run
  bool dry_run = false;
};

// ------------------------------------------------------------------- stats

struct StoreStats {
  int64_t messages_stored = 0;  // waiting for a decision
  int64_t messages_processed = 0;
  int64_t messages_quarantined = 0;
  int64_t tickets_open = 0;
  int64_t tickets_waiting = 0;
  int64_t tickets_closed = 0;
  int64_t outbox_queued = 0;
  int64_t outbox_sending = 0;
  int64_t outbox_sent = 0;
  int64_t outbox_deferred = 0;
  int64_t outbox_failed = 0;
  int64_t events = 0;
  int schema_version = 0;
};

}  // namespace inboxd::store
