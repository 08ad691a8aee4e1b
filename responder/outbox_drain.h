// outbox_drain.h: sends the queued outgoing mail exactly once (issue 5 items
// 4, 5 and 7; POLICY C1), over the store's outbox state machine
//   queued -> sending -> sent | deferred | failed;  deferred -> sending.
//
// DrainOnce(now), in order:
//  1. Retries bookkeeping this process still owes: rows whose send
//     succeeded but whose MarkSent failed (a store error) are marked sent,
//     never resent.
//  2. Recovery: every row in "sending" at the start of a run was left there
//     by a crash (or by a store error after a claim; one drain per store,
//     runs are sequential, so no row is in flight then) and is looked up by
//     Message-ID in its mailbox's Sent folder (SentFolder::ContainsMessageId).
//     Found -> MarkSent and MarkAppendedToSent, no resend. Not found -> sent
//     again, as in 3. When the lookup fails the row stays in "sending" and is
//     looked up again on the next run: a row is never resent without a negative
//     answer.
//  3. Claims due rows (ClaimNextDue) and sends each with the mailbox's
//     Mailer:
//       ok                  -> MarkSent; once every due row of the run is
//                              sent (a copy does not hold up the next
//                              customer's acknowledgement), APPEND the raw
//                              copy to the Sent folder (C1) ->
//                              MarkAppendedToSent; the
//                              milestones our own mail meets get it as
//                              their evidence (by "our_mail"): an "ack"
//                              meets D1 "ack" and D5 "receipt", a "csat"
//                              meets D7 "followup".
//                              When MarkSent fails the copy is APPENDed
//                              anyway (so a restart finds it in Sent) and
//                              MarkSent is retried in step 1.
//       kUnavailable (4xx)  -> MarkDeferred, next_attempt_at = now +
//                              min(initial_backoff * 2^attempts, max_backoff)
//                              (1m, 2m, 4m, ... 1h; stored, so it survives a
//                              restart); once the row is older than max_age
//                              -> failed, as 5xx. The three durations are
//                              [responder] retry_after, retry_max and
//                              give_up_after (DrainOptionsFrom).
//                              Cut by a shutdown before DATA -> Requeue: due
//                              again at once, not counted as an attempt.
//       kAborted (shutdown  -> left "sending", as after a crash (step 1).
//       during DATA)
//       kFailedPrecondition -> failed (MarkFailed writes "outbox.failed" with
//       (5xx)                  the server's reply); then an agent_alert
//                              notice is queued to the alert address of the
//                              ticket's route (escalate_to's first level, else
//                              primary when it is an address, else the primary
//                              team's first agent), or, with no address, the
//                              audit event "agent.alert". No alert about an
//                              alert.
//       kPermissionDenied   -> deferred with backoff, and the run stops (the
//       (AUTH refused)         login is wrong for every row; reported).
//       anything else       -> deferred with backoff.
//  4. APPENDs the copies still missing from Sent (ListSentNotAppended):
//     looked up first, APPENDed only when absent, then MarkAppendedToSent.
//     A failed APPEND is retried on the next run; it never causes a resend.
//
// The window that remains (documented, not closed): the send is "done" at
// the server's 250 after DATA and "recorded" at the MarkSent commit, a local
// SQLite commit a few milliseconds later. If the process dies in between,
// the row is still "sending" and our copy is not yet in Sent (it is
// APPENDed after MarkSent), so recovery resends it: one duplicate. The
// recovery lookup catches this window only when the SMTP server files a
// copy of submitted mail in Sent itself (Exchange Online, Gmail). The
// lookup does close the larger windows: a crash after the APPEND (row in
// "sending" after a failed MarkSent), and a power loss that rolls the
// WAL back from "sent" to "sending" after the APPEND (store.h,
// synchronous=NORMAL). A power loss after MarkSent but before the APPEND
// lands can also resend once.
//
// --dry-run is a MaildirMailer passed in by the caller; nothing here differs.
// Not here: composing acknowledgements (planner.h), IMAP (the lead adapts
// SentFolder over ingest's IMAP source).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/composer.h"
#include "responder/mailer.h"
#include "responder/templates.h"
#include "store/store.h"

namespace inboxd::responder {

// The shared mailbox's Sent folder: the one IMAP operation the drain needs
// besides APPEND (ingest::MailSource has no search; the lead adapts this
// over the IMAP source with UID SEARCH HEADER Message-ID).
class SentFolder {
 public:
  virtual ~SentFolder() = default;
  // True when the Sent folder of `mailbox` holds a message whose Message-ID
  // is `message_id` (no angle brackets). kUnavailable on network errors;
  // kNotFound when the mailbox has no Sent folder.
  virtual core::Result<bool> ContainsMessageId(std::string_view mailbox,
                                               std::string_view message_id) = 0;
  // APPENDs `raw` to the Sent folder of `mailbox` with \Seen. Errors as
  // ContainsMessageId.
  virtual core::Status Append(std::string_view mailbox,
                              std::string_view raw) = 0;
  // True when Append writes nothing (a dry run): the copy is then marked
  // done but not counted in DrainReport::appended.
  virtual bool Discards() const { return false; }
};

struct DrainOptions {
  std::chrono::seconds initial_backoff{60};
  std::chrono::seconds max_backoff{3600};
  // A row deferred for longer than this (since it was queued) fails.
  std::chrono::seconds max_age{2 * 24 * 3600};
  int max_per_run = 100;  // rows sent per DrainOnce
};

// [responder] retry_after, retry_max and give_up_after.
DrainOptions DrainOptionsFrom(const config::Responder& r);

struct DrainReport {
  int recovered_from_sent = 0;  // "sending" rows found in Sent: not resent
  int resent_after_crash = 0;   // "sending" rows not in Sent: sent again
  int sent = 0;                 // accepted by the server (incl. resends)
  int deferred = 0;
  int failed = 0;
  int appended = 0;        // copies APPENDed to Sent (or found there)
  int alerts_queued = 0;   // agent_alert notices queued
  int alerts_audited = 0;  // "agent.alert" events (no alert address)
  // For each acknowledgement accepted by the server: seconds from the
  // customer message's arrival (its ticket's opened_at) to now (/metrics).
  std::vector<double> ack_latency_seconds;
  std::vector<std::string> errors;  // transient problems, retried next run
};

// The delay before attempt `attempts + 1` of a row deferred `attempts`
// times: initial * 2^attempts, capped at max.
std::chrono::seconds BackoffDelay(int attempts, std::chrono::seconds initial,
                                  std::chrono::seconds max);

class OutboxDrain {
 public:
  // `mailers` maps a mailbox name to its Mailer (SMTP, or a MaildirMailer
  // for --dry-run). None of the pointers is owned; all must outlive the
  // drain. kInvalidArgument for a null pointer, an empty key, or a mailbox
  // whose Composer cannot be built.
  static core::Result<std::unique_ptr<OutboxDrain>> Create(
      const config::Config* config, store::Store* store,
      std::map<std::string, Mailer*, std::less<>> mailers,
      SentFolder* sent_folder, const TemplateSet* templates,
      std::string hmac_key, DrainOptions options = {});

  // One pass as described in the file comment. Per-row problems are in the
  // report and retried later; the call fails only when claiming from the
  // store fails (kUnavailable, kInternal), with the work done so far lost
  // from the report but not from the store.
  core::Result<DrainReport> DrainOnce(core::TimePoint now);

 private:
  OutboxDrain() = default;
  // Step 1 and 2.
  void FinishUnrecorded(DrainReport& report);
  void Recover(core::TimePoint now, DrainReport& report);
  // Sends a row that is in "sending" and records the outcome. Returns false
  // when the run must stop (AUTH refused).
  bool SendRow(const store::Outgoing& row, core::TimePoint now,
               DrainReport& report);
  // After a 250: MarkSent, APPEND, MarkAppendedToSent, deadlines met.
  void RecordSent(const store::Outgoing& row, core::TimePoint now,
                  DrainReport& report);
  void AppendToSent(const store::Outgoing& row, bool look_first,
                    DrainReport& report);
  // Records a sent row as the evidence of the ticket's milestones it meets
  // (MetByOurMail in outbox_drain.cc).
  void MeetByOurMail(const store::Outgoing& row, core::TimePoint now,
                     DrainReport& report);
  void Defer(const store::Outgoing& row, core::TimePoint now,
             const core::Error& error, DrainReport& report);
  void FailRow(const store::Outgoing& row, const std::string& error,
               core::TimePoint now, DrainReport& report);
  // The agent_alert for a failed row (queued, or audited without address).
  core::Status Alert(const store::Outgoing& row, const std::string& error,
                     core::TimePoint now, DrainReport& report);
  // The alert address for a ticket of class `cls` and its agent's name.
  std::pair<std::string, std::string> AlertAddress(std::string_view cls) const;

  const config::Config* config_ = nullptr;
  store::Store* store_ = nullptr;
  std::map<std::string, Mailer*, std::less<>> mailers_;
  SentFolder* sent_ = nullptr;
  const TemplateSet* templates_ = nullptr;
  std::map<std::string, Composer, std::less<>> composers_;
  DrainOptions options_;
  // Rows the server accepted whose MarkSent failed: id -> when.
  std::map<int64_t, core::TimePoint> unrecorded_;
  // Rows sent (and marked) in the current run whose Sent copy is appended
  // after the run's sends.
  std::vector<store::Outgoing> copies_due_;
};

}  // namespace inboxd::responder
