// store_history.h: the loop guard's ReplyHistory, read from store::Store.
//
// What it does: answers the two counts LoopGuard needs from the outbox and
// the audit log, so the guard's sliding windows survive restarts:
//  * CountSentTo: store::Store::CountSentTo (queued, sending, sent and
//    deferred rows count; failed ones do not), so a burst of queued
//    acknowledgements cannot pass the per-sender limit before any is sent.
//  * CountRepliesForTicket: the "outbox.queued" events of the ticket with the
//    given kind (store has no outbox query by ticket; the events are indexed
//    by ticket). Every row ever queued counts, failed ones included: for
//    "ack" the store's UNIQUE (ticket, ack) index forbids a second row
//    anyway, and counting more is the safe side of a loop guard.
//
// What it does not do: decide (loop_guard.h) or write anything.
#pragma once

#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "responder/loop_guard.h"
#include "store/store.h"

namespace inboxd::responder {

class StoreHistory final : public ReplyHistory {
 public:
  // `store` is not owned and must outlive this object.
  explicit StoreHistory(store::Store* store) : store_(store) {}

  // `ticket_id` is the store's ticket row id in decimal ("42"). Returns the
  // number of `kind` rows ever queued for it. kInvalidArgument when
  // ticket_id is not a positive decimal number; the store's errors
  // (kUnavailable, kInternal) otherwise.
  core::Result<int> CountRepliesForTicket(std::string_view ticket_id,
                                          std::string_view kind) override;

  // Rows addressed to `address` (any case) created at or after `since`, not
  // failed. Errors: the store's.
  core::Result<int> CountSentTo(std::string_view address,
                                core::TimePoint since) override;

 private:
  store::Store* store_;
};

}  // namespace inboxd::responder
