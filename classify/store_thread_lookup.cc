#include "classify/store_thread_lookup.h"

#include <string>

namespace inboxd::classify {
namespace {

// kNotFound -> nullopt; a ticket -> its reference; other errors pass.
core::Result<std::optional<TicketRef>> FromStore(
    core::Result<store::Ticket> found) {
  if (found) return std::optional<TicketRef>(ToTicketRef(*found));
  if (found.error().code == core::Code::kNotFound) {
    return std::optional<TicketRef>();
  }
  return core::Fail(found.error().Wrap("thread lookup"));
}

}  // namespace

TicketRef ToTicketRef(const store::Ticket& ticket) {
  return TicketRef{ticket.prefix, ticket.number, ticket.mailbox};
}

core::Result<std::optional<TicketRef>> StoreThreadLookup::ByTag(
    std::string_view prefix, int64_t number) const {
  return FromStore(store_->FindTicketByTag(std::string(prefix), number));
}

core::Result<std::optional<TicketRef>> StoreThreadLookup::ByMessageId(
    std::string_view message_id) const {
  if (message_id.empty()) return std::optional<TicketRef>();
  return FromStore(store_->FindTicketByMessageId(std::string(message_id)));
}

core::Result<std::optional<TicketRef>> StoreThreadLookup::ByThreadIndex(
    std::string_view base) const {
  if (base.empty()) return std::optional<TicketRef>();
  return FromStore(store_->FindTicketByThreadIndex(std::string(base)));
}

core::Result<std::optional<TicketRef>> StoreThreadLookup::BySubject(
    std::string_view customer, std::string_view normalized_subject,
    core::TimePoint since) const {
  if (customer.empty() || normalized_subject.empty()) {
    return std::optional<TicketRef>();
  }
  return FromStore(store_->FindRecentTicketBySubject(
      std::string(customer), std::string(normalized_subject), since));
}

}  // namespace inboxd::classify
