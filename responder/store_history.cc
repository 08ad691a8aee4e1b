// store_history.cc: ReplyHistory over store::Store (see store_history.h).
#include "responder/store_history.h"

#include <charconv>
#include <nlohmann/json.hpp>
#include <string>

namespace inboxd::responder {

core::Result<int> StoreHistory::CountRepliesForTicket(
    std::string_view ticket_id, std::string_view kind) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(ticket_id.data(),
                                   ticket_id.data() + ticket_id.size(), id);
  if (ec != std::errc() || end != ticket_id.data() + ticket_id.size() ||
      id <= 0) {
    return core::Fail(core::Error::InvalidArgument(
        "reply history: ticket id '" + std::string(ticket_id) +
        "' is not a store ticket id"));
  }
  store::EventFilter filter;
  filter.ticket_id = id;
  filter.type = "outbox.queued";
  filter.limit = 0;  // all of them
  auto events = store_->ListEvents(filter);
  if (!events) {
    return core::Fail(
        events.error().Wrap("reply history: ticket " + std::to_string(id)));
  }
  int count = 0;
  for (const store::Event& e : *events) {
    // The store wrote this JSON itself; a row we cannot read is counted
    // (fail closed: a loop guard that over-counts only sends less).
    auto data =
        nlohmann::json::parse(e.data, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded() || !data.is_object() || !data.contains("kind") ||
        !data["kind"].is_string() || data["kind"].get<std::string>() == kind) {
      ++count;
    }
  }
  return count;
}

core::Result<int> StoreHistory::CountSentTo(std::string_view address,
                                            core::TimePoint since) {
  auto n = store_->CountSentTo(std::string(address), since);
  if (!n) return core::Fail(n.error().Wrap("reply history"));
  return static_cast<int>(*n);
}

}  // namespace inboxd::responder
