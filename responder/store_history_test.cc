// store_history_test.cc: the loop guard's counts read from a real store.
#include "responder/store_history.h"

#include <gtest/gtest.h>

#include "responder/outbox_test_rig.h"

namespace inboxd::responder {
namespace {

using testing::kT0;
using testing::Rig;

store::OutgoingIn Row(int64_t ticket, const std::string& kind,
                      const std::string& id, const std::string& to) {
  store::OutgoingIn in;
  in.ticket_id = ticket;
  in.kind = kind;
  in.mailbox = "support";
  in.message_id = id;
  in.from = "support@shop.example";
  in.recipients = {to};
  in.raw = "Subject: x\r\n\r\nx\r\n";
  return in;
}

TEST(StoreHistoryTest, CountsPerTicketKindAndPerRecipientWindow) {
  Rig rig;
  auto a = rig.Receive({});
  auto b = rig.Receive({});
  ASSERT_TRUE(rig.db->EnqueueOutgoing(
      Row(a.ticket_id, "ack", "1@x", "Anna@Customer.example")));
  ASSERT_TRUE(rig.db->EnqueueOutgoing(
      Row(a.ticket_id, "csat", "2@x", "anna@customer.example")));
  rig.clock.Advance(std::chrono::minutes(90));
  ASSERT_TRUE(rig.db->EnqueueOutgoing(
      Row(b.ticket_id, "ack", "3@x", "anna@customer.example")));
  StoreHistory h(rig.db.get());
  struct Case {
    std::string ticket, kind;
    int want;
  } cases[] = {
      {std::to_string(a.ticket_id), "ack", 1},
      {std::to_string(a.ticket_id), "csat", 1},
      {std::to_string(a.ticket_id), "delay_notice", 0},
      {std::to_string(b.ticket_id), "ack", 1},
      {"999", "ack", 0},
  };
  for (const Case& c : cases) {
    auto n = h.CountRepliesForTicket(c.ticket, c.kind);
    ASSERT_TRUE(n.has_value()) << c.ticket;
    EXPECT_EQ(*n, c.want) << c.ticket << " " << c.kind;
  }
  for (const char* bad : {"", "S-1000", "-1", "0", "12x"}) {
    EXPECT_FALSE(h.CountRepliesForTicket(bad, "ack").has_value()) << bad;
  }
  // Sliding window: all three since kT0, only the last one in the last hour.
  EXPECT_EQ(h.CountSentTo("ANNA@customer.example", kT0).value_or(-1), 3);
  EXPECT_EQ(h.CountSentTo("anna@customer.example",
                          rig.clock.Now() - std::chrono::hours(1))
                .value_or(-1),
            1);
  EXPECT_EQ(h.CountSentTo("other@customer.example", kT0).value_or(-1), 0);
}

}  // namespace
}  // namespace inboxd::responder
