// report_queries.cc: read-only queries for the SLA report (store/report.h).
// Nothing here writes or appends an event.
#include <utility>
#include <vector>

#include "store/internal.h"

namespace inboxd::store {

core::Result<std::vector<std::pair<int64_t, core::TimePoint>>>
Store::ListAckSentTimes(int64_t first_ticket_id, int64_t last_ticket_id) {
  using Rows = std::vector<std::pair<int64_t, core::TimePoint>>;
  return Read("list ack sent times", [&]() -> core::Result<Rows> {
    // kind = 'ack' lets SQLite use the partial index
    // outbox_one_ack_per_ticket (one ack per ticket).
    SQLite::Statement st(*db_,
                         "SELECT ticket_id, sent_at FROM outbox WHERE kind = "
                         "'ack' AND state = 'sent' AND sent_at IS NOT NULL "
                         "AND ticket_id BETWEEN ? AND ? ORDER BY ticket_id");
    st.bind(1, first_ticket_id);
    st.bind(2, last_ticket_id);
    Rows out;
    while (st.executeStep()) {
      out.emplace_back(st.getColumn(0).getInt64(),
                       internal::FromUnix(st.getColumn(1).getInt64()));
    }
    return out;
  });
}

}  // namespace inboxd::store
