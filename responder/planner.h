// planner.h: turns classify's decisions into milestones and complete, queued
// acknowledgements (issue 5 items 3 and 4, issue 9 items 1, 2, 5, 8; POLICY
// D1-D8, C2, C3, C6).
//
// Pending work is a query: every decision whose planned_at is unset
// (Store::ListUnplannedDecisions), oldest first. For each:
//  1. A customer's message on a ticket (decision party "customer"), whatever
//     happens to its acknowledgement (refused, rate-limited, quarantined
//     history): a ticket without milestones gets its owner (routing.h:
//     personal agent, R4 last owner, route primary/secondary, absence),
//     the milestones of its class and customer (lifecycle.h
//     EnsureMilestones, from the ticket's opening in the mailbox's
//     calendar) and the owner's assignment mail with the customer's
//     message (assignment.h); a ticket that has them hears of the message
//     (lifecycle.h OnCustomerMessage: reopen, resume, restart D6).
//  2. With ack = true: picks the template (quote -> quote_ack, complaint ->
//     complaint_receipt, anything else -> ack; the decision's language when
//     templates exist for it, else the mailbox's, else "en"); asks the
//     LoopGuard (StoreHistory counts) and the Composer (no address,
//     SMTPUTF8, no-reply, our own) and lets classify::DecideAck decide; a
//     refusal is the audit event "ack.refused" {reason} and nothing is
//     queued. Else renders it (due_at = the latest open milestone of the
//     ticket, formatted by FormatLocalTime in the mailbox zone and the reply
//     language: D8; D1 when it has none; for a support request of a customer
//     with an [[account]], assurance_until or assurance_not_covered: C3),
//     composes it (deterministic Message-ID per ticket + "ack" under the
//     HMAC key) and queues it (Store::EnqueueOutgoing, with its
//     "outbox.queued" event).
//  2b. A customer who wrote to an absent agent gets an absence_fallback
//     reply (TellAbsence, POLICY R2), once per customer and absence.
//  2c. An agent's reply flagged for a POLICY C5 phrase is told to the
//     escalation address (NoticeForbiddenPhrase), once per reply.
//  3. Marks the decision planned, in the same transaction as step 2, so a
//     crash never queues or refuses twice. The store's UNIQUE (ticket,
//     "ack") index is the last line of defence (a lost race counts as done).
// A transient error (store busy, an unknown mailbox after a config change)
// leaves the decision pending for the next run.
//
// Not here: classifying (classify/), sending (outbox_drain.h), warnings,
// delay notices, escalations, the R3 moves and the digest (watcher.h).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "classify/ack_decision.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/message.h"
#include "core/parse_cache.h"
#include "responder/business_calendar.h"
#include "responder/composer.h"
#include "responder/loop_guard.h"
#include "responder/routing.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// Decisions read per query.
inline constexpr int kPlanBatch = 500;
// An ack decision still unplanned this long after it was decided (the
// planner kept failing, or a store was restored) is refused with an audit
// event instead of acknowledged late; its ticket's milestones still run.
inline constexpr std::chrono::seconds kStaleAck{7 * 24 * 3600};
// Bytes of random key generated into <state.dir>/hmac.key.
inline constexpr size_t kHmacKeyBytes = 32;

// Parses raw message bytes (the lead passes ingest::ParseMessage with the
// configured limits; kept as a function so responder/ does not link ingest/).
using MessageParser =
    std::function<core::Result<core::Message>(std::string_view raw)>;

struct PlanReport {
  int candidates = 0;       // ack decisions looked at in this run
  int enqueued = 0;         // acknowledgements queued
  int refused = 0;          // "ack.refused" events written
  int already_done = 0;     // queued or refused by an earlier run
  int clocks = 0;           // tickets whose milestones were set or moved
  int absence_notices = 0;  // absence_fallback replies queued (R2)
  int assignments = 0;      // assignment mails queued to new owners
  int errors = 0;           // transient failures, retried next run
  std::vector<std::string> error_messages;
};

// The reason stored with an ack row (and its "outbox.queued" event); names
// the message it answers.
std::string AckReason(int64_t message_row);

// The template for a class: quote -> quote_ack, complaint ->
// complaint_receipt, otherwise ack.
std::string_view AckTemplateFor(std::string_view cls);

// The milestone whose due time an acknowledgement of class `cls` promises
// as the answer: quote -> D2 (the quote), complaint -> D6 (the response),
// support -> D3 (the fix, by contract tier), personal -> D4; "" for a class
// with no answer milestone (other: only D1, the acknowledgement itself).
std::string_view AnswerMilestoneFor(std::string_view cls);

// "[#{prefix}-{number}]" -> "[#S-1042]" (config.classify.ticket_tag_format).
std::string FormatTicketTag(std::string_view format, std::string_view prefix,
                            int64_t number);

// The HMAC key for our Message-IDs: the contents of responder.hmac_key_file
// (surrounding whitespace trimmed) when set; else <state.dir>/hmac.key,
// created once with kHmacKeyBytes random bytes (hex) and mode 0600, and read
// back on later runs. Errors: kInvalidArgument when the file is unreadable,
// empty, or (generated key) group/other-readable; kUnavailable when the key
// cannot be created (no state dir, disk full).
core::Result<std::string> LoadOrCreateHmacKey(const config::Config& config);

// The Composer for one mailbox: From = mailbox.address, own addresses =
// every mailbox address and alias, the responder's envelope sender,
// Message-ID domain and no-reply regex. kInvalidArgument as Composer::Create.
core::Result<Composer> MakeComposer(const config::Config& config,
                                    const config::Mailbox& mailbox,
                                    const std::string& hmac_key);

// The variables every template shares (Common() in templates.cc) for a
// ticket of `mailbox`: ticket_tag, mailbox_address, mailbox_name,
// signature (the mailbox's display_name, else its address: the sign-off of
// customer mail; "signature/<lang>" from display_names), shared_addresses
// (every configured mailbox address once, joined by the renderer as "a or b" in
// the reply's language: POLICY C2), and for operators' own templates
// sales_address and support_address (the mailboxes named "sales" and "support",
// else this mailbox's address).
TemplateVars CommonTemplateVars(const config::Config& config,
                                const config::Mailbox& mailbox,
                                const store::Ticket& ticket);

// The name to greet a customer by: the reply recipient's display name, else
// the sender's; "" (the templates then greet without a name) when it is
// only an address ("hans@x.de", "<hans@x.de>", "'hans@x.de'").
std::string SalutationName(const core::Address& recipient,
                           const core::Address& from);

// The language a reply is rendered in: `wanted` when `templates` has it,
// else the mailbox's language when it has that, else "en".
std::string ReplyLanguage(const TemplateSet& templates, std::string_view wanted,
                          std::string_view mailbox_language);

// What the sending side knows before a reply is queued.
struct SendCheck {
  // For classify::DecideAck: loop_guard_refusal and recipient_refusal.
  classify::AckFacts facts;
  core::Address recipient;  // where the reply goes; empty when refused
};

// The loop guard's verdict on the address a reply to `original` would go to
// (`check.recipient` is filled in here), and whether `composer` can address
// the reply. The planner and replay both call it. Failure: the history's
// error, or the composer's other than kFailedPrecondition (which is a
// refusal, not an error).
core::Result<SendCheck> CheckSend(const LoopGuard& guard,
                                  const Composer& composer,
                                  ReplyHistory& history,
                                  const core::Message& original,
                                  LoopCheck check, core::TimePoint now);

// The composer (From, Message-IDs) and business calendar of one mailbox,
// built once per mailbox; the planner and the watcher share the builder.
struct MailboxParts {
  const config::Mailbox* mailbox;
  Composer composer;
  BusinessCalendar calendar;
};
using MailboxPartsMap =
    std::map<std::string, std::unique_ptr<MailboxParts>, std::less<>>;

// MailboxParts for every configured mailbox, by name. kInvalidArgument as
// MakeComposer and BusinessCalendar::Create (naming the mailbox).
core::Result<MailboxPartsMap> MakeMailboxParts(const config::Config& config,
                                               const std::string& hmac_key);

// Queues `mail`, composed about `ticket_id` from `mailbox`, as an outbox row
// of `kind` with `reason` (Store::EnqueueOutgoing). Returns false when a row
// with the same Message-ID (or a second ack of the ticket) was queued
// before: the deterministic Message-IDs make a repeat harmless. Other
// errors: the store's.
core::Result<bool> EnqueueMail(store::Store& store, int64_t ticket_id,
                               const config::Mailbox& mailbox,
                               std::string_view kind, OutgoingMail mail,
                               std::string reason);

class Planner {
 public:
  // Builds one Composer and BusinessCalendar per mailbox and the LoopGuard.
  // `config`, `store` and `templates` are not owned and must outlive the
  // planner. kInvalidArgument on a bad mailbox address, zone, calendar or
  // regex; kInvalidArgument when `hmac_key` is empty or `parser` is unset.
  static core::Result<std::unique_ptr<Planner>> Create(
      const config::Config* config, store::Store* store,
      const TemplateSet* templates, std::string hmac_key, MessageParser parser);
  ~Planner();

  // Parses the processor left behind (core/parse_cache.h): a message found
  // there is not parsed again; nullptr = always parse. Not owned.
  void SetParseCache(const core::ParseCache* cache) { parse_cache_ = cache; }
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  // Plans every pending decision (see the file comment) at `now`.
  // Per-decision failures are counted in the report and retried on the next
  // run; the call itself fails only when the query fails (the store's
  // errors: kUnavailable, kInternal).
  core::Result<PlanReport> PlanPending(core::TimePoint now);

 private:
  enum class Outcome { kEnqueued, kRefused, kAlreadyDone };

  Planner() = default;
  // Steps 1-3 of the file comment for one decision. Errors are transient
  // (retry next run).
  core::Status PlanDecision(int64_t message_row, core::TimePoint now,
                            PlanReport& report);
  // Step 1: the ticket's owner and milestones for a customer's message.
  core::Status PlanClock(const store::Decision& d, core::TimePoint now,
                         PlanReport& report);
  // Sets the owner of a new ticket (routing.h AssignOwner) at `now`.
  core::Result<Assignment> AssignNewTicket(const store::Ticket& ticket,
                                           core::TimePoint now);
  // Step 2 (inside the caller's batch).
  core::Result<Outcome> PlanOne(const store::Decision& d, core::TimePoint now);
  // Writes "ack.refused"; returns kRefused.
  core::Result<Outcome> Refuse(const store::Decision& d,
                               const std::string& mailbox,
                               const std::string& reason);
  // R2: a customer who wrote to an absent agent (To/Cc, or a follow-up on
  // a ticket they own) gets one absence_fallback reply per absence: who is
  // away until when (never why), who handles it now, the shared address.
  // Within the loop guard; true when one was queued.
  core::Result<bool> TellAbsence(const store::Decision& d, core::TimePoint now);
  // POLICY C5 (issue 11 item 7): an agent reply flagged for a forbidden
  // phrase is told to the ticket's first escalation level (else the first
  // of any route) the day it is seen, once per reply.
  core::Status NoticeForbiddenPhrase(const store::Decision& d,
                                     core::TimePoint now);
  // The due time an acknowledgement promises (D8): that of the ticket's
  // open milestone AnswerMilestoneFor(cls); nullopt when there is none (the
  // templates then promise a personal reply and no time: issue 15).
  core::Result<std::optional<core::TimePoint>> PromisedDue(
      const store::Ticket& ticket, std::string_view cls);

  const config::Config* config_ = nullptr;
  store::Store* store_ = nullptr;
  const TemplateSet* templates_ = nullptr;
  std::string hmac_key_;
  // The parse of store row `message_row` (its bytes `raw`): from the parse
  // cache, else parser_.
  core::Result<core::Message> Parse(int64_t message_row, std::string_view raw);

  MessageParser parser_;
  const core::ParseCache* parse_cache_ = nullptr;
  MailboxPartsMap mailboxes_;
  std::unique_ptr<LoopGuard> guard_;
};

}  // namespace inboxd::responder
