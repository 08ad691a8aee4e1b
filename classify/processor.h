// processor.h: the processing stage: stored message -> decision -> ticket.
//
// Does (STYLE house rule 2: ingest wrote the messages, this stage reads them
// and writes decisions and tickets; the responder reads the decisions):
//   - poison rule (house rule 5): a message whose parse was begun twice
//     already (crash, kill, or two failed runs) is quarantined without
//     parsing; otherwise Store::BeginParse, then ingest::ParseMessage. A
//     message the parser refuses (kDataLoss) is quarantined with the raw
//     bytes and the reason; when it came to an incoming folder and its
//     best-effort headers say human mail from a customer, it still gets a
//     ticket (a human must look at it; ack=false, event
//     "message.quarantine_triage" with reason "quarantined").
//   - placement: the first incoming location decides the mailbox and the
//     folder role; a message seen only in Sent folders is an agent's reply.
//     A ticket gets every mailbox the message was seen in (the store attaches
//     them), and a second copy with the same Message-ID (delivered to sales@
//     and support@ with different trace headers) joins the first copy's
//     ticket: thread "duplicate", never a second ticket or acknowledgement.
//   - classification (classify::Classifier) with StoreThreadLookup.
//   - ack window (issue 3): an acknowledgement is due only when the message
//     arrived (INTERNALDATE) no earlier than ack_window before the mailbox's
//     first sync (the earliest first_seen_at of its checkpoints); messages
//     replayed from files (uid_validity 0) are eligible.
//   - new human first contact from a customer -> a ticket and its decision
//     in one transaction (Store::RecordDecisionWithNewTicket); follow-up ->
//     event "ticket.followup", then the decision attaching it to its ticket
//     (never a ticket, never an ack). Either way the message's Outlook
//     conversation (Thread-Index base) is recorded for its ticket
//     (Store::AddTicketThreadIndex; the first ticket keeps a conversation):
//     with the new ticket in its transaction, before a follow-up's
//     decision. Automatic mail -> decision only, and a bounce of one of our
//     Message-IDs -> event "outbox.bounced" on the ticket it belongs to; an
//     agent's reply (Sent folder, or an incoming CC/BCC copy from an agent on a
//     known thread) -> agent_reply.h, then the decision. A new message from an
//     agent in an incoming folder opens no ticket (it is not a customer's
//     request).
// Every step before the decision is idempotent and the decision (which moves
// the message out of "stored") comes last, so a crash at any point is
// repaired by running ProcessPending again, with no duplicate ticket, event
// or acknowledgement.
// Does not: send, queue acknowledgements or set deadlines (the responder
// does), nor fetch mail. Not thread-safe: one Processor per store.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "classify/store_thread_lookup.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/parse_cache.h"
#include "store/store.h"

namespace inboxd::classify {

// The quarantine reason of the poison rule (house rule 5).
inline constexpr std::string_view kPoisonReason =
    "parser crashed or was interrupted twice";
// Parse attempts begun before this one at which a message is poison.
inline constexpr int kPoisonAttempts = 2;

struct ProcessReport {
  size_t processed = 0;    // messages that left "stored" (any outcome)
  size_t new_tickets = 0;  // tickets opened (incl. for quarantined mail)
  size_t followups = 0;    // customer follow-ups on a thread
  size_t duplicates = 0;   // copies of a message already on a ticket
  size_t automatic = 0;    // automatic mail (incl. our own copies in Sent)
  size_t quarantined = 0;  // poison or unparseable
  size_t acks_due = 0;     // decisions with ack = true
  size_t agent_replies = 0;
  // A message that failed with an error other than kUnavailable ("process
  // message 12: internal: ..."). It stays "stored" and the batch stops there,
  // so messages are decided in order; the next run retries it, and the
  // poison rule quarantines one that keeps failing.
  std::vector<std::string> errors;
};

class Processor {
 public:
  // Compiles the classifier from `config` (kept as a copy). `store` and
  // `clock` are not owned and must outlive the Processor.
  // Errors: the classifier's (kInvalidArgument for a bad rule or regex).
  static core::Result<std::unique_ptr<Processor>> Create(
      const config::Config& config, store::Store* store,
      const core::Clock* clock);

  // Processes up to `max` stored messages, oldest first (see the top of
  // this file). Success: the counts; a per-message failure stops the batch
  // and is in report.errors. Failure: kUnavailable (store busy or a lookup
  // failed); messages done so far stay done.
  core::Result<ProcessReport> ProcessPending(size_t max = 1000);

  // Where each successful parse is left for the next stages (the planner
  // looks there before parsing again); nullptr = nowhere. Not owned.
  void SetParseCache(core::ParseCache* cache) { parse_cache_ = cache; }

 private:
  Processor() = default;

  core::Status ProcessOne(const store::UnprocessedMessage& pending,
                          ProcessReport* report);

  config::Config config_;
  store::Store* store_ = nullptr;
  const core::Clock* clock_ = nullptr;
  std::unique_ptr<Classifier> classifier_;
  std::unique_ptr<StoreThreadLookup> threads_;
  std::vector<std::string> forbidden_phrases_;
  std::vector<std::string> our_domains_;
  core::ParseCache* parse_cache_ = nullptr;
};

}  // namespace inboxd::classify
