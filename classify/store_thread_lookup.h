// store_thread_lookup.h: classify::ThreadLookup over store::Store.
//
// Does: answers the classifier's thread questions from stored tickets:
//   ByTag         -> Store::FindTicketByTag
//   ByMessageId   -> Store::FindTicketByMessageId (every stored Message-ID
//                    attached to a ticket, and our own outgoing ones)
//   BySubject     -> Store::FindRecentTicketBySubject
//   ByThreadIndex -> Store::FindTicketByThreadIndex (the Processor records
//                    the Thread-Index base of each ticket's customer mail)
// Store kNotFound becomes std::nullopt; every other store error is returned
// as is (kUnavailable: retry later), never turned into "no thread".
// Does not: write anything, cache, or decide what a hit means.
#pragma once

#include <optional>
#include <string_view>

#include "classify/thread.h"
#include "core/error.h"
#include "store/store.h"

namespace inboxd::classify {

// Maps a stored ticket to the classifier's reference (prefix, number, the
// mailbox it was opened in).
TicketRef ToTicketRef(const store::Ticket& ticket);

class StoreThreadLookup final : public ThreadLookup {
 public:
  // `store` is not owned and must outlive this object.
  explicit StoreThreadLookup(store::Store* store) : store_(store) {}

  // Each: the ticket, std::nullopt when the store has none, or the store's
  // error (kUnavailable, kDataLoss, kInternal).
  core::Result<std::optional<TicketRef>> ByTag(std::string_view prefix,
                                               int64_t number) const override;
  core::Result<std::optional<TicketRef>> ByMessageId(
      std::string_view message_id) const override;
  core::Result<std::optional<TicketRef>> ByThreadIndex(
      std::string_view base) const override;
  core::Result<std::optional<TicketRef>> BySubject(
      std::string_view customer, std::string_view normalized_subject,
      core::TimePoint since) const override;

 private:
  store::Store* store_;
};

}  // namespace inboxd::classify
