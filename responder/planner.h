// planner.h: turns classify's decisions into complete, queued
// acknowledgements (issue 5 items 3 and 4; POLICY D1, D8, C2, C6).
//
// Decisions "followup" and "personal" (classify/ack_decision.h) with a ticket
// get step 1 only: no acknowledgement, but the answer clock of their class
// runs for a person (issue 8: POLICY D1 for a conversation inboxd joined
// late, D4 for personal mail).
//
// What it does, for every recorded decision with ack = true that has not been
// handled yet:
//  1. sets the deadlines of the decision's class (config.deadlines.by_class,
//     "other" when the class has none) on its ticket, computed with
//     BusinessCalendar::DueAt from the message's arrival in the mailbox's
//     time zone (store SetDeadline; D1 included). A deadline the ticket
//     already has is left alone, so a re-run moves nothing.
//  2. picks the template: quote -> quote_ack, complaint -> complaint_receipt,
//     anything else -> ack; the language is the decision's when templates
//     exist for it, else the mailbox's, else "en".
//  3. asks the LoopGuard (StoreHistory counts) and the Composer (no address,
//     SMTPUTF8, no-reply, our own) and lets classify::DecideAck decide; a
//     refusal is written as the audit event "ack.refused" {reason} with the
//     ticket and message, and nothing is queued.
//  4. renders the template (due_at = the ticket's LATEST deadline of the
//     class, formatted by FormatLocalTime in the mailbox zone and the reply
//     language: D8, the exact time by which the full answer is due; for a
//     class whose only deadline is D1 that is D1), composes the reply
//     (deterministic Message-ID per ticket + "ack" under the HMAC key) and
//     calls store EnqueueOutgoing, which commits the complete message and its
//     "outbox.queued" audit row in one transaction. The decision is already
//     committed (classify did it), so decision + full message are durable
//     before any send (outbox_drain.h sends).
//
// Which decisions are pending: the store has no "decisions needing an ack"
// query, so the planner scans the "message.processed" events (which carry
// "ack") of the last `PlannerOptions::lookback`, and remembers in memory the
// highest event id up to which everything is resolved, so a daemon's later
// runs scan only new events. A decision is resolved when its ticket has an
// "outbox.queued" event of kind "ack" whose reason names this message
// (AckReason), or an "ack.refused" event names this message. A transient
// error (store busy, an unknown mailbox after a config change) leaves the
// decision pending for the next run. Proposed store method to replace the
// scan: ListDecisionsNeedingAck(since) (a LEFT JOIN of decisions on outbox).
//
// Idempotent: running PlanPending twice queues nothing new; the store's
// UNIQUE (ticket, "ack") index is the last line of defence (a lost race is
// counted as already done).
//
// Not here: classifying (classify/), sending (outbox_drain.h), delay notices,
// absence fallback (the agent is unknown at acknowledgement time).
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
#include "responder/business_calendar.h"
#include "responder/composer.h"
#include "responder/loop_guard.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// Decisions older than this are not acknowledged any more (POLICY D1 allows
// two hours; a week-old acknowledgement helps nobody).
inline constexpr std::chrono::seconds kDefaultPlanLookback{7 * 24 * 3600};
// Bytes of random key generated into <state.dir>/hmac.key.
inline constexpr size_t kHmacKeyBytes = 32;

// Parses raw message bytes (the lead passes ingest::ParseMessage with the
// configured limits; kept as a function so responder/ does not link ingest/).
using MessageParser =
    std::function<core::Result<core::Message>(std::string_view raw)>;

struct PlannerOptions {
  std::chrono::seconds lookback = kDefaultPlanLookback;
};

struct PlanReport {
  int candidates = 0;    // ack decisions looked at in this run
  int enqueued = 0;      // acknowledgements queued
  int refused = 0;       // "ack.refused" events written
  int already_done = 0;  // queued or refused by an earlier run
  int clocks = 0;        // follow-up/personal tickets whose deadlines were set
  int errors = 0;        // transient failures, retried next run
  std::vector<std::string> error_messages;
};

// The reason stored with an ack row (and its "outbox.queued" event); names
// the message it answers so a re-run recognises the work as done.
std::string AckReason(int64_t message_row);

// The template for a class: quote -> quote_ack, complaint ->
// complaint_receipt, otherwise ack.
std::string_view AckTemplateFor(std::string_view cls);

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
// sales_address and support_address (the mailboxes named "sales" and
// "support", else this mailbox's address: C2 needs both non-empty).
TemplateVars CommonTemplateVars(const config::Config& config,
                                const config::Mailbox& mailbox,
                                const store::Ticket& ticket);

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

class Planner {
 public:
  // Builds one Composer and BusinessCalendar per mailbox and the LoopGuard.
  // `config`, `store` and `templates` are not owned and must outlive the
  // planner. kInvalidArgument on a bad mailbox address, zone, calendar or
  // regex; kInvalidArgument when `hmac_key` is empty or `parser` is unset.
  static core::Result<std::unique_ptr<Planner>> Create(
      const config::Config* config, store::Store* store,
      const TemplateSet* templates, std::string hmac_key, MessageParser parser,
      PlannerOptions options = {});
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  // Plans every pending ack decision (see the file comment) at `now`.
  // Per-decision failures are counted in the report and retried on the next
  // run; the call itself fails only when the decision scan fails (the
  // store's errors: kUnavailable, kInternal).
  core::Result<PlanReport> PlanPending(core::TimePoint now);

 private:
  enum class Outcome { kEnqueued, kRefused, kAlreadyDone };
  struct MailboxParts;

  Planner() = default;
  // Plans one decision. Errors are transient (retry next run).
  core::Result<Outcome> PlanOne(int64_t message_row, core::TimePoint now);
  core::Result<bool> AlreadyResolved(int64_t message_row, int64_t ticket_id,
                                     core::TimePoint now);
  // Sets the class deadlines of a ticket that gets no acknowledgement but a
  // person's answer (decision followup or personal). Idempotent.
  core::Status PlanClock(int64_t ticket_id);
  // Writes "ack.refused"; returns kRefused.
  core::Result<Outcome> Refuse(const store::Decision& d,
                               const std::string& mailbox,
                               const std::string& reason);
  // Sets the class deadlines not yet on the ticket; returns the latest due
  // time of the class.
  core::Result<core::TimePoint> SetDeadlines(const store::Ticket& ticket,
                                             const std::string& cls,
                                             const BusinessCalendar& calendar,
                                             core::TimePoint arrived_at);

  const config::Config* config_ = nullptr;
  store::Store* store_ = nullptr;
  const TemplateSet* templates_ = nullptr;
  std::string hmac_key_;
  MessageParser parser_;
  PlannerOptions options_;
  std::map<std::string, std::unique_ptr<MailboxParts>, std::less<>> mailboxes_;
  std::unique_ptr<LoopGuard> guard_;
  // Every "message.processed" event with an id <= this is resolved.
  int64_t resolved_through_ = 0;
  core::TimePoint resolved_at_{};  // the time of that event
};

}  // namespace inboxd::responder
