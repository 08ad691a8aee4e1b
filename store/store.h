// store.h: inboxd's durable state in one SQLite database (the only SQL in
// the project).
//
// What it does: keeps raw message bytes (deduplicated by Message-ID + SHA-256,
// every place a message was seen), parse attempts and quarantine, decisions,
// tickets with their mailboxes, lifecycle state and milestones, IMAP
// checkpoints, the outbox state machine, and the append-only, hash-chained
// audit log (events). Every public method is one atomic transaction (inside a
// Batch: one savepoint of the batch's transaction, see BeginBatch); every
// method that changes business state writes its audit event in that same
// transaction (house rule 3). Two deliberate exceptions, both derivable from
// other events: the per-message checkpoint advance (only its creation and
// UIDVALIDITY resets are audited) and the parse-attempt counter (BeginParse).
//
// What it does not do: parse MIME, classify, decide, send, or normalise text
// (callers pass normalised subjects and addresses). Nothing here throws:
// SQLiteCpp exceptions are caught in store/ and mapped to core::Error:
//   SQLITE_BUSY / SQLITE_LOCKED / SQLITE_FULL -> kUnavailable (retry later)
//   constraint violations                     -> kFailedPrecondition
//   SQLITE_CORRUPT / SQLITE_NOTADB            -> kDataLoss
//   anything else                             -> kInternal
//
// Durability: WAL with synchronous=NORMAL. A commit survives a crash of
// inboxd; after a power loss the last few commits may roll back, but always
// in order and never half-applied. That is enough because every stage is
// idempotent and ordered: raw bytes are committed before the checkpoint moves
// (losing both refetches, and dedupe absorbs it), and an outbox row that falls
// back from "sent" to "sending" is resolved by the responder's Sent-folder
// check before any resend (issue 5). FULL would cost an fsync per commit.
//
// Threads: one connection guarded by a mutex; methods may be called from any
// thread. Other processes (inboxd status) may open the same file: WAL lets
// them read alongside; writers wait up to kBusyTimeout, then kUnavailable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/types.h"

namespace SQLite {
class Database;
class Statement;
}  // namespace SQLite

namespace inboxd::store {

// How long a writer waits for another process's lock before kUnavailable.
inline constexpr std::chrono::milliseconds kBusyTimeout{5000};
// The first tag number of every ticket prefix (S-1000, S-1001, ...).
inline constexpr int64_t kFirstTicketNumber = 1000;
// Longest Thread-Index base accepted (hex characters). Outlook's is 44
// (22 bytes); anything far longer is not a conversation id.
inline constexpr size_t kMaxThreadIndexBaseChars = 256;
// prev_hash of the first audit event.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

class Store {
 public:
  // Opens (creating if needed) the database at `path` (":memory:" for tests),
  // sets WAL, busy_timeout, foreign_keys and synchronous=NORMAL, and runs
  // the schema migrations (each in its own transaction with a "store.migrated"
  // event). `clock` is not owned and must outlive the Store. A writer waits
  // up to `busy_timeout` for another process's lock.
  // Errors: kFailedPrecondition when the file's schema is newer than this
  // binary knows; kDataLoss when the file is not a database or corrupt;
  // kUnavailable when locked; kInternal otherwise (e.g. cannot open).
  static core::Result<std::unique_ptr<Store>> Open(
      const std::string& path, core::Clock* clock,
      std::chrono::milliseconds busy_timeout = kBusyTimeout);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // A run of method calls committed as one transaction (one fsync-free
  // WAL commit instead of one per call). While a batch is open, each public
  // method called from the batch's thread runs in a SAVEPOINT: a method that
  // fails rolls back only its own changes and returns its error exactly as
  // without a batch, and the batch goes on. Commit() makes everything
  // visible at once; destroying an uncommitted batch (or a crash) rolls all
  // of it back. Calls from other threads wait until the batch ends, so never
  // hold a batch while waiting for another thread that uses this Store.
  // Open, use and commit a batch on one thread.
  class Batch {
   public:
    ~Batch();  // rolls back unless committed
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // Commits the batch (once; later calls return kFailedPrecondition).
    // Errors: kUnavailable when SQLite already rolled the batch back after
    // an earlier error (e.g. disk full) or the commit is refused; the
    // mapping above otherwise. After an error nothing of the batch is
    // committed.
    core::Status Commit();

   private:
    friend class Store;
    explicit Batch(Store* store) : store_(store) {}
    Store* store_;
    bool done_ = false;
  };
  // Opens a batch (BEGIN IMMEDIATE) on the calling thread, waiting for
  // another thread's batch to end first. Errors: kFailedPrecondition when
  // this thread already holds a batch; kUnavailable when the database is
  // locked by another process; kInternal otherwise.
  core::Result<std::unique_ptr<Batch>> BeginBatch();

  // The schema version this binary migrates to.
  static int CurrentSchemaVersion();
  // The schema version of the open database.
  core::Result<int> SchemaVersion();

  // ------------------------------------------------------------ messages
  // Stores the raw bytes of a message seen at (mailbox, folder, uid_validity,
  // uid) and returns its row. Dedupe: one messages row per (message_id,
  // sha256); one message_locations row per place (IMAP: UNIQUE (mailbox,
  // folder, uid_validity, uid); files, uid 0: one per (mailbox, folder,
  // message)). Storing the same thing again changes nothing and returns
  // new_message = new_location = false. Events: "message.stored" (new
  // content), "message.location_added" (known content, new place),
  // "message.quarantined" (when in.quarantine_reason is set). A new location
  // of a message already on tickets adds its mailbox to those tickets
  // ("ticket.mailbox_added"). Errors: kInvalidArgument when sha256/size do not
  // match the bytes (untruncated) or fields are missing; kFailedPrecondition
  // when that IMAP UID already holds other content.
  core::Result<MessageRef> PutRawMessage(const RawMessageIn& in);
  // Returns the message with its raw bytes and locations. kNotFound.
  core::Result<StoredMessage> GetMessage(int64_t message_row);
  // Rows of every message with this Message-ID, oldest first (maybe empty).
  core::Result<std::vector<int64_t>> FindMessagesByMessageId(
      const std::string& message_id);
  // Counts a parse attempt before parsing starts; returns the new count.
  // A message whose count is already >= 2 on restart crashed the parser
  // (poison message): quarantine it. kNotFound; kFailedPrecondition unless
  // state is "stored".
  core::Result<int> BeginParse(int64_t message_row);
  // Messages in state "stored", oldest first, at most `limit`.
  core::Result<std::vector<UnprocessedMessage>> ListUnprocessed(
      int limit = 1000);
  // stored -> quarantined, raw bytes kept; event "message.quarantined" with
  // the reason. kNotFound; kFailedPrecondition unless state is "stored".
  core::Status MarkQuarantined(int64_t message_row, const std::string& reason);
  // Records what classify decided and moves the message stored -> processed;
  // when row.ticket_id is set, also attaches the message to that ticket.
  // Event "message.processed". kNotFound; kFailedPrecondition when the message
  // is not "stored" or the ticket does not exist; kInvalidArgument when
  // reasons_json is not a JSON array.
  core::Status RecordDecision(int64_t message_row, const DecisionRow& row);
  // The decision for a message that opens a ticket, as one transaction:
  // creates the ticket (first_message = message_row, the given value is
  // ignored), then records `row` with that ticket id. A crash cannot leave a
  // ticket without its decision, so a re-run never sees its own ticket as an
  // older thread. Errors as CreateTicket and RecordDecision; on any error
  // nothing is created and no tag number is used.
  core::Result<TicketRef> RecordDecisionWithNewTicket(int64_t message_row,
                                                      const TicketIn& ticket,
                                                      const DecisionRow& row);
  // kNotFound when no decision is recorded.
  core::Result<Decision> GetDecision(int64_t message_row);
  // Decisions the planner has not handled yet (planned_at unset), oldest
  // message first, at most `limit`.
  core::Result<std::vector<int64_t>> ListUnplannedDecisions(int limit = 1000);
  // Marks a decision handled by the planner (once; a second call changes
  // nothing). No event: the planner's own events say what it did.
  // kNotFound.
  core::Status MarkDecisionPlanned(int64_t message_row);

  // ------------------------------------------------------------- tickets
  // Creates a ticket with the next tag number of `in.prefix` (starting at
  // kFirstTicketNumber), its mailbox, attaches in.first_message and records
  // in.thread_index_base (as AddTicketThreadIndex: a conversation another
  // ticket holds stays with it). Event "ticket.created". kInvalidArgument
  // for an empty or non-alphanumeric prefix, an empty mailbox or a
  // malformed thread_index_base; kFailedPrecondition when first_message is
  // unknown.
  core::Result<TicketRef> CreateTicket(const TicketIn& in);
  // Attaches a message; adds every mailbox the message was seen in to the
  // ticket. Returns false (and changes nothing) when already attached.
  // Event "ticket.message_attached". kNotFound for an unknown ticket or
  // message.
  core::Result<bool> AttachMessageToTicket(int64_t ticket_id,
                                           int64_t message_row);
  // Adds a mailbox to a ticket; false when it was already there. Event
  // "ticket.mailbox_added". kNotFound for an unknown ticket.
  core::Result<bool> AddTicketMailbox(int64_t ticket_id,
                                      const std::string& mailbox);
  // Moves a ticket to `state` at `at` (waiting_since / closed_at follow;
  // closing clears csat_at so a reopened and closed ticket asks again).
  // Event "ticket.state" {from, to, at, reason}; `actor` is "inboxd" or an
  // agent address. Nothing happens when the state is already `state`.
  // kNotFound.
  core::Status SetTicketState(int64_t ticket_id, TicketState state,
                              core::TimePoint at, const std::string& actor,
                              const std::string& reason);
  // Notes a message on the ticket: the customer's latest (customer_at) or a
  // person's latest answer (answered_at); an older time changes nothing.
  // No event (the message's own events record it). kNotFound.
  core::Status NoteTicketMessage(int64_t ticket_id, TicketParty party,
                                 core::TimePoint at);
  // Records that the board notice or the satisfaction mail was queued (once;
  // a second call changes nothing; the outbox event records it). kNotFound.
  core::Status MarkTicketMail(int64_t ticket_id, TicketMail mail,
                              core::TimePoint at);
  // Tickets owing mail: closed at or before `closed_before` without a
  // satisfaction mail, or flagged `board_flag` without a board notice.
  core::Result<std::vector<int64_t>> ListTicketsNeedingMail(
      core::TimePoint closed_before, const std::string& board_flag);
  // Tickets in `state` (nullopt: any) with id > after_id, by id, at most
  // `limit` (page with the last id).
  core::Result<std::vector<Ticket>> ListTickets(
      std::optional<TicketState> state, int64_t after_id = 0, int limit = 1000);
  // Sets a ticket's owner (an agent address or a team name, "" = the shared
  // mailbox) and why. Event "ticket.assigned" {from, to, reason}; nothing
  // happens when owner and reason are unchanged. kNotFound.
  core::Status SetTicketOwner(int64_t ticket_id, const std::string& owner,
                              const std::string& reason,
                              const std::string& actor);
  // The owner of the customer's latest ticket other than `except` that has
  // one ("" when none): R4, the customer stays with who served them.
  core::Result<std::string> FindLastOwner(const std::string& customer,
                                          int64_t except);
  // Tickets that are not closed owned by `owner`, by id.
  core::Result<std::vector<int64_t>> ListOpenTicketsOwnedBy(
      const std::string& owner);

  // ------------------------------------------------------------ absences
  // Records an absence; the same agent, times and source again returns the
  // existing row (config ranges are recorded at every start). Event
  // "absence.set" {agent, from, until, source, detail}, actor as given.
  // kInvalidArgument for an empty agent, until <= from or an unknown source.
  core::Result<int64_t> AddAbsence(const AbsenceIn& in);
  // Ends every absence of `agent` that has not ended at `at` (until_at >
  // at): cleared_at = at. Returns how many. Event "absence.cleared" per row.
  core::Result<int> ClearAbsences(const std::string& agent, core::TimePoint at,
                                  const std::string& actor);
  // Absences not cleared that end after `t`, by agent and start.
  core::Result<std::vector<Absence>> ListAbsences(core::TimePoint t);
  // Absences that cover `now` and whose tickets were not moved yet (R3).
  core::Result<std::vector<Absence>> ListUnappliedAbsences(core::TimePoint now);
  // Records that an absence's open tickets were handled (once).
  core::Status MarkAbsenceApplied(int64_t id, core::TimePoint at);

  // The IMAP places (uid > 0) in `mailbox` of the messages of every ticket
  // that is not closed, by ticket and folder.
  core::Result<std::vector<TicketLocation>> ListOpenTicketLocations(
      const std::string& mailbox);
  // The client marks ("$Done", "folder:Done") recorded for a message.
  core::Result<std::vector<std::string>> ListClientMarks(int64_t message_row);
  // Records a mark inboxd acted on; false when it was recorded already.
  core::Result<bool> AddClientMark(int64_t message_row,
                                   const std::string& mark);
  // Forgets a mark the client removed (so setting it again acts again).
  core::Status RemoveClientMark(int64_t message_row, const std::string& mark);
  // The messages attached to a ticket, oldest row first.
  core::Result<std::vector<int64_t>> ListTicketMessages(int64_t ticket_id);
  // Records that the Outlook conversation `base` (lower-case hex of the
  // Thread-Index conversation header, classify::ThreadIndexBase) belongs to
  // a ticket. The first ticket wins: when `base` is already recorded (for
  // this or another ticket) nothing changes. Event "ticket.thread_index_added"
  // when recorded. kInvalidArgument when `base` is empty, not lower-case hex
  // of even length, or longer than kMaxThreadIndexBaseChars; kNotFound for
  // an unknown ticket.
  core::Status AddTicketThreadIndex(int64_t ticket_id, const std::string& base);
  // Lookups; each returns kNotFound when nothing matches.
  core::Result<Ticket> GetTicket(int64_t ticket_id);
  core::Result<Ticket> FindTicketByTag(const std::string& prefix,
                                       int64_t number);
  // Any stored message with this Message-ID attached to a ticket, or one of
  // our own outgoing messages; the oldest ticket wins.
  core::Result<Ticket> FindTicketByMessageId(const std::string& message_id);
  // The ticket that recorded the Outlook conversation `base` (exact match;
  // callers pass lower-case hex, see AddTicketThreadIndex).
  core::Result<Ticket> FindTicketByThreadIndex(const std::string& base);
  // The most recently updated ticket of `customer` (any case) with exactly
  // this normalised subject, updated at or after `since`.
  core::Result<Ticket> FindRecentTicketBySubject(
      const std::string& customer, const std::string& normalized_subject,
      core::TimePoint since);

  // ---------------------------------------------------------- milestones
  // Sets a milestone on a ticket unless it has one with this id (returns
  // false then: a re-run moves nothing). Event "milestone.set".
  // kInvalidArgument for an empty id or name; kNotFound for the ticket.
  core::Result<bool> AddMilestone(int64_t ticket_id, const MilestoneIn& in);
  // Restarts a milestone's clock with new times (D6: the customer supplied
  // information; a resumed pause): state open, not paused, not warned, not
  // notified, no escalation. Event `event_type` ("milestone.restarted",
  // "milestone.resumed") {old_due_at, due_at, reason}. kNotFound;
  // kFailedPrecondition when it is met.
  core::Status RetimeMilestone(int64_t ticket_id,
                               const std::string& milestone_id,
                               const MilestoneTiming& timing,
                               const std::string& event_type,
                               const std::string& actor,
                               const std::string& reason);
  // Stops an open milestone's clock at `at` (the ticket waits on the
  // customer); the watcher ignores it until RetimeMilestone. Event
  // "milestone.paused". No change for a milestone not open or paused
  // already. kNotFound.
  core::Status PauseMilestone(int64_t ticket_id,
                              const std::string& milestone_id,
                              core::TimePoint at, const std::string& actor);
  // Records what the watcher did (event "milestone.<warned|notified|missed|
  // escalated>" with mark.data). Warned and notified happen once (a second
  // call changes nothing); notified moves due_at to mark.new_due_at when
  // set; missed (from open) and escalated (level + 1) set the next
  // escalation time. kNotFound; kFailedPrecondition for a mark that does not
  // fit the state (warned/notified/missed when not open, escalated when
  // met); kInvalidArgument when mark.data is not a JSON object.
  core::Status MarkMilestone(int64_t ticket_id, const std::string& milestone_id,
                             const MilestoneMark& mark);
  // Records the message that answered a milestone. Open and evidence.at <=
  // due_at (for a paused milestone: the pause's start <= due_at, its clock
  // stopped there): met (met_at = evidence.at). Later, or missed already: it
  // stays (or becomes) missed with this evidence, and escalation stops. The
  // first evidence stays; later calls return the state and change nothing.
  // Event "milestone.met" or "milestone.answered_late". kNotFound;
  // kInvalidArgument when evidence.by is empty.
  core::Result<MilestoneState> MeetMilestone(int64_t ticket_id,
                                             const std::string& milestone_id,
                                             const MilestoneEvidence& evidence);
  // A ticket's milestones, by original due time.
  core::Result<std::vector<Milestone>> ListMilestones(int64_t ticket_id);
  // Milestones whose next action (warning, delay notice, breach, next
  // escalation) is due at or before `now`, earliest first, at most `limit`.
  core::Result<std::vector<Milestone>> ListMilestonesDue(core::TimePoint now,
                                                         int limit = 1000);
  // The earliest next action of any milestone (nullopt: none).
  core::Result<std::optional<core::TimePoint>> NextMilestoneAction();
  // Milestones by state for /metrics: met, missed, open, and at risk (open
  // with its warning time passed, not yet missed) at `now`.
  core::Result<DeadlineCounts> CountMilestones(core::TimePoint now);

  // --------------------------------------------------------- checkpoints
  // kNotFound when the folder has never been synced.
  core::Result<Checkpoint> GetCheckpoint(const std::string& mailbox,
                                         const std::string& folder);
  // Records a sync of (mailbox, folder) and returns the checkpoint. Creates
  // it on first use (first_seen_at = now, event "checkpoint.created"). For
  // the same uid_validity last_uid only moves forward (a smaller value is
  // ignored); a different uid_validity resets last_uid to `last_uid` (event
  // "checkpoint.uidvalidity_changed"). last_sync_at = now. Call it only after
  // the bytes up to last_uid are committed (PutRawMessage).
  core::Result<Checkpoint> AdvanceCheckpoint(const std::string& mailbox,
                                             const std::string& folder,
                                             uint32_t uid_validity,
                                             uint32_t last_uid);
  // Every checkpoint, by mailbox and folder.
  core::Result<std::vector<Checkpoint>> ListCheckpoints();

  // -------------------------------------------------------------- outbox
  // Queues a complete outgoing message (state queued, due now). Event
  // "outbox.queued". kFailedPrecondition "already queued" for a second "ack"
  // of the same ticket or a reused message_id; kInvalidArgument for missing
  // fields or no recipients; kFailedPrecondition for an unknown ticket.
  core::Result<int64_t> EnqueueOutgoing(const OutgoingIn& in);
  // Moves the oldest-due queued or deferred row with next_attempt_at <= now
  // to "sending" and returns it; nullopt when nothing is due. Event
  // "outbox.sending".
  core::Result<std::optional<Outgoing>> ClaimNextDue(core::TimePoint now);
  // sending -> sent. Event "outbox.sent". kNotFound; kFailedPrecondition
  // from any other state.
  core::Status MarkSent(int64_t id, core::TimePoint at);
  // sending -> deferred, attempts + 1, retry at next_attempt_at. Event
  // "outbox.deferred". kNotFound; kFailedPrecondition from another state.
  core::Status MarkDeferred(int64_t id, core::TimePoint next_attempt_at,
                            const std::string& error);
  // sending -> queued, due at `due_at`, attempts unchanged: an attempt cut
  // by a shutdown before the server took the message is not a failed
  // attempt (no backoff, no step towards give_up_after). Event
  // "outbox.requeued". kNotFound; kFailedPrecondition from another state.
  core::Status Requeue(int64_t id, core::TimePoint due_at,
                       const std::string& reason);
  // queued | sending | deferred -> failed (final). Event "outbox.failed".
  // kNotFound; kFailedPrecondition from sent or failed.
  core::Status MarkFailed(int64_t id, const std::string& error);
  // Records that a sent row was APPENDed to the shared Sent folder (C1).
  // Idempotent: a second call changes nothing. Event "outbox.appended".
  // kNotFound; kFailedPrecondition unless state is "sent".
  core::Status MarkAppendedToSent(int64_t id);
  core::Result<Outgoing> GetOutgoing(int64_t id);
  // Rows in `state`, oldest first.
  core::Result<std::vector<Outgoing>> ListInState(OutboxState state);
  // Sent rows not yet appended to the Sent folder, oldest first.
  core::Result<std::vector<Outgoing>> ListSentNotAppended();
  // Rows still to send (queued, deferred, sending): the outbox depth.
  core::Result<int64_t> CountPending();
  // Messages addressed to `recipient` (any case) created at or after `since`
  // and not failed: queued ones count, so a burst cannot pass a rate limit.
  core::Result<int64_t> CountSentTo(const std::string& recipient,
                                    core::TimePoint since);
  // Messages of `kind` with exactly this `reason` addressed to `recipient`
  // (any case), in any state (e.g. one absence notice per customer and
  // absence).
  core::Result<int64_t> CountOutgoingTo(const std::string& recipient,
                                        const std::string& kind,
                                        const std::string& reason);

  // --------------------------------------------------------------- audit
  // Events read per transaction by ScanEvents.
  static constexpr int kEventScanPage = 2000;
  // Appends one event (at = clock now) to the chain; returns its id.
  // kInvalidArgument for an empty type or data that is not a JSON object.
  core::Result<int64_t> AppendEvent(const EventIn& in);
  // Events matching `filter`, oldest first.
  core::Result<std::vector<Event>> ListEvents(const EventFilter& filter);
  // Calls `fn` for every event matching `filter` (limit 0 = all), oldest
  // first, reading kEventScanPage rows per read transaction, so memory is
  // constant and the daemon's writes are not held up. `fn` returns false
  // to stop. Errors: the store's.
  core::Status ScanEvents(const EventFilter& filter,
                          const std::function<bool(const Event&)>& fn);
  // Recomputes every hash, streaming (constant memory). Returns the
  // verified head (with head_id: the event whose hash is `head`, when
  // given), or kDataLoss naming the first event id whose prev_hash, hash or
  // personal digest does not match.
  core::Result<ChainHead> VerifyAuditChain(std::string_view head = {});
  // An empty write transaction (BEGIN IMMEDIATE, COMMIT): fails when the
  // database is read-only, locked past the busy timeout or unreachable
  // (/healthz). Errors: the store's.
  core::Status ProbeWrite();
  // The id of the newest event (0 when there is none): where a reader that
  // follows the trail (the daemon's log, app/logging.h) starts.
  core::Result<int64_t> LastEventId();

  // ------------------------------------------------------------- privacy
  // (privacy.cc, issue 11 item 5, POLICY A3.)
  // An erasure request: removes `address`'s personal data everywhere, in one
  // transaction, while the audit chain still verifies. Its tickets
  // (customer, any case) get a token ("erased:" + 12 hex of the SHA-256 of
  // the lower-case address) as customer and subject; the raw bytes of every
  // message on those tickets or holding the address (any case) are blanked
  // (rows, sha256 and ids stay; erased_at is set; a message still waiting
  // for a decision is quarantined as "erased"), with their decisions'
  // reasons; outbox rows to the address or about those tickets lose their
  // raw bytes and the address (unsent ones fail); milestone evidence from
  // the address or those messages loses its actor and Message-ID; other
  // text columns holding the address have it replaced by the token; the
  // personal data of every event that mentions the address or is about
  // those tickets or messages is erased. Appends the tombstone
  // "privacy.forgotten" (actor `actor`) with the address's SHA-256 and the
  // counts, never the address. `dry_run`: counts only, changes nothing.
  // Events' hashed columns (actor, mailbox) are never changed. Afterwards
  // the WAL is checkpointed (best effort) so old pages leave the WAL.
  // Errors: kInvalidArgument for an address without '@' or an empty actor;
  // the store's otherwise (nothing changed then).
  core::Result<ErasureReport> ForgetAddress(const std::string& address,
                                            const std::string& actor,
                                            bool dry_run = false);
  // Retention ([state] retention): blanks the raw bytes of messages that
  // arrived before `cutoff` and are decided (not "stored"), unless a ticket
  // that is not closed holds them (as a message or as milestone evidence);
  // blanks sent or failed outbox rows created before `cutoff` unless their
  // ticket is not closed; erases the personal data of their events. One
  // tombstone "privacy.retention" {cutoff, messages, events, outbox} when
  // anything changed (none otherwise). `dry_run`: counts only. Errors: the
  // store's (nothing changed then).
  core::Result<ErasureReport> PurgeOlderThan(core::TimePoint cutoff,
                                             const std::string& actor,
                                             bool dry_run = false);

  // ------------------------------------------------------------- reports
  // (store/report_queries.cc, for store/report.h; read-only.)
  // The sent time of the acknowledgement ("ack" outbox row, state sent) of
  // every ticket with first_ticket_id <= id <= last_ticket_id, by ticket id;
  // tickets whose ack was not sent (or none was queued) are left out.
  // Errors: the store's.
  core::Result<std::vector<std::pair<int64_t, core::TimePoint>>>
  ListAckSentTimes(int64_t first_ticket_id, int64_t last_ticket_id);

  // Counts per state for `inboxd status`.
  core::Result<StoreStats> Stats();

  // Fault injection (tests only): the n-th write statement from now (0 =
  // the next one) fails as an I/O error, once; -1 disables.
  void FailWriteForTest(int n);

 private:
  Store(std::unique_ptr<SQLite::Database> db, core::Clock* clock,
        std::string path);

  core::Status Migrate();
  // Runs `body` in one BEGIN IMMEDIATE transaction under mu_; commits when it
  // returns a value, rolls back on an error or exception; maps exceptions.
  template <typename F>
  auto Write(const char* what, F&& body) -> decltype(body());
  // The same for reads (a deferred transaction: one consistent snapshot).
  template <typename F>
  auto Read(const char* what, F&& body) -> decltype(body());
  // Inside a batch: runs `body` in a savepoint, released on a value, rolled
  // back on an error or exception (rethrown). Needs mu_ held.
  template <typename F>
  auto InSavepoint(const char* what, F& body) -> decltype(body());
  // Rolls back the current savepoint; marks the batch broken when SQLite has
  // already rolled back the whole transaction. Never throws.
  void RollbackSavepointLocked();
  // Waits (releasing mu_) while another thread holds a batch.
  void WaitForBatchLocked(std::unique_lock<std::mutex>& lock);
  // Ends the batch: rolls back unless `commit`; releases waiting threads.
  core::Status EndBatch(bool commit);

  // Executes a write statement (honours FailWriteForTest); returns changes.
  int Exec(SQLite::Statement& st);
  int Exec(const char* sql);
  // Throws the injected fault when FailWriteForTest's countdown reaches it.
  void MaybeInjectFault();
  // Appends an event inside the current transaction.
  int64_t AppendEventLocked(const EventIn& in);
  core::Result<Ticket> LoadTicket(int64_t ticket_id);
  core::Result<Milestone> LoadMilestone(int64_t ticket_id,
                                        const std::string& milestone_id);
  // Recomputes a milestone's next_action_at (milestones.cc).
  void UpdateNextActionLocked(int64_t ticket_id,
                              const std::string& milestone_id);
  // The bodies of CreateTicket and RecordDecision, inside a transaction.
  core::Result<TicketRef> CreateTicketLocked(const TicketIn& in);
  core::Status RecordDecisionLocked(int64_t message_row,
                                    const DecisionRow& row);
  core::Result<Outgoing> LoadOutgoing(int64_t id);
  core::Status OutboxTransition(int64_t id, const char* what,
                                std::initializer_list<OutboxState> from,
                                OutboxState to, const std::string& error,
                                std::optional<core::TimePoint> at,
                                const char* event = nullptr);
  bool TicketExists(int64_t ticket_id);
  // Adds a mailbox to a ticket (event "ticket.mailbox_added"); returns false
  // when it was already there.
  bool AddMailboxLocked(int64_t ticket_id, const std::string& mailbox);
  // Attaches a message and its mailboxes to a ticket (event
  // "ticket.message_attached"); returns false when already attached.
  bool AttachLocked(int64_t ticket_id, int64_t message_row);
  // Adds a flag to a ticket (event "ticket.flagged"); false when it had it.
  bool AddTicketFlagLocked(int64_t ticket_id, const std::string& flag);
  // Records a (validated) Thread-Index base for a ticket (event
  // "ticket.thread_index_added"); returns false when the base was recorded
  // already.
  bool AddThreadIndexLocked(int64_t ticket_id, const std::string& base);
  // kNotFound, or the message's state.
  core::Result<MessageState> MessageStateLocked(int64_t message_row);
  // PRAGMA wal_checkpoint(TRUNCATE) outside any batch, ignoring a busy WAL
  // (privacy.cc: erased pages leave the WAL).
  void CheckpointWalBestEffort();

  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;
  core::Clock* clock_;
  std::string path_;
  int fail_write_in_ = -1;
  // The thread holding the open batch, if any (guarded by mu_).
  std::optional<std::thread::id> batch_owner_;
  // SQLite rolled the batch's transaction back after an error.
  bool batch_broken_ = false;
  std::condition_variable batch_cv_;
};

}  // namespace inboxd::store
