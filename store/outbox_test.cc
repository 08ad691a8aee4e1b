// outbox_test.cc: the outbox state machine, duplicate refusal, rate counts.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::StoreTest;
using testing::T;

class OutboxTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    ticket_ = store_
                  ->CreateTicket({.mailbox = "support",
                                  .prefix = "S",
                                  .customer = "a@x",
                                  .opened_at = T(1)})
                  .value()
                  .id;
  }
  OutgoingIn Ack(std::string message_id, int64_t ticket = -1) {
    return {.ticket_id = ticket < 0 ? ticket_ : ticket,
            .kind = "ack",
            .mailbox = "support",
            .message_id = std::move(message_id),
            .from = "support@shop.example",
            .recipients = {"A@X"},
            .envelope_from = "bounces@shop.example",
            .raw = "From: support@shop.example\r\n\r\nthanks\r\n",
            .reason = "new ticket"};
  }
  int64_t ticket_ = 0;
};

TEST_F(OutboxTest, EnqueueKeepsEverything) {
  auto id = store_->EnqueueOutgoing(Ack("ack1@inboxd"));
  ASSERT_TRUE(id.has_value()) << id.error().ToString();
  Outgoing o = store_->GetOutgoing(*id).value();
  EXPECT_EQ(o.ticket_id, ticket_);
  EXPECT_EQ(o.kind, "ack");
  EXPECT_EQ(o.message_id, "ack1@inboxd");
  EXPECT_EQ(o.recipients, std::vector<std::string>{"A@X"});
  EXPECT_EQ(o.envelope_from, "bounces@shop.example");
  EXPECT_EQ(o.raw, "From: support@shop.example\r\n\r\nthanks\r\n");
  EXPECT_EQ(o.state, OutboxState::kQueued);
  EXPECT_EQ(o.attempts, 0);
  EXPECT_EQ(o.next_attempt_at, clock_.Now());
  EXPECT_EQ(store_->GetOutgoing(999).error().code, core::Code::kNotFound);
}

TEST_F(OutboxTest, EnqueueRefusals) {
  ASSERT_TRUE(store_->EnqueueOutgoing(Ack("ack1@inboxd")));
  auto other_ticket =
      store_
          ->CreateTicket(
              {.mailbox = "support", .prefix = "S", .opened_at = T(1)})
          .value()
          .id;
  const struct {
    const char* name;
    OutgoingIn in;
    core::Code want;  // kInternal = accepted
  } cases[] = {
      {"second ack for the ticket", Ack("ack2@inboxd"),
       core::Code::kFailedPrecondition},
      {"reused message id", Ack("ack1@inboxd", other_ticket),
       core::Code::kFailedPrecondition},
      {"ack without ticket", Ack("ack3@inboxd", 0),
       core::Code::kInvalidArgument},
      {"unknown ticket", Ack("ack4@inboxd", 999),
       core::Code::kFailedPrecondition},
      {"CRLF in recipient",
       [&] {
         OutgoingIn in = Ack("ack5@inboxd", other_ticket);
         in.recipients = {"a@x\r\nRCPT TO:<victim@y>"};
         return in;
       }(),
       core::Code::kInvalidArgument},
      {"LF in message id", Ack("a\nb@inboxd", other_ticket),
       core::Code::kInvalidArgument},
      {"no recipients",
       [&] {
         OutgoingIn in = Ack("ack6@inboxd", other_ticket);
         in.recipients.clear();
         return in;
       }(),
       core::Code::kInvalidArgument},
      {"a second kind for the same ticket is fine",
       [&] {
         OutgoingIn in = Ack("delay1@inboxd");
         in.kind = "delay_notice";
         return in;
       }(),
       core::Code::kInternal},
      {"an ack for another ticket is fine", Ack("ack7@inboxd", other_ticket),
       core::Code::kInternal},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = store_->EnqueueOutgoing(c.in);
    if (c.want == core::Code::kInternal) {
      EXPECT_TRUE(r.has_value()) << r.error().ToString();
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, c.want);
    }
  }
  auto dup = store_->EnqueueOutgoing(Ack("ack9@inboxd"));
  EXPECT_NE(dup.error().message.find("already queued"), std::string::npos);
  EXPECT_EQ(store_->Stats()->outbox_queued, 3);
}

TEST_F(OutboxTest, StateMachine) {
  const int64_t id = store_->EnqueueOutgoing(Ack("ack1@inboxd")).value();
  // Transitions applied in order; each says whether it must be accepted.
  const struct {
    const char* name;
    std::function<core::Status()> run;
    bool want_ok;
    OutboxState want_state;
  } steps[] = {
      {"sent before sending", [&] { return store_->MarkSent(id, T(5)); }, false,
       OutboxState::kQueued},
      {"deferred before sending",
       [&] { return store_->MarkDeferred(id, T(5), "x"); }, false,
       OutboxState::kQueued},
      {"append before sent", [&] { return store_->MarkAppendedToSent(id); },
       false, OutboxState::kQueued},
      {"claim",
       [&]() -> core::Status {
         auto c = store_->ClaimNextDue(clock_.Now());
         if (!c) return core::Fail(c.error());
         if (!c->has_value() || (*c)->id != id) {
           return core::Fail(core::Error::Internal("claimed the wrong row"));
         }
         return core::Ok();
       },
       true, OutboxState::kSending},
      {"defer on 4xx",
       [&] {
         return store_->MarkDeferred(id, clock_.Now() + std::chrono::minutes(5),
                                     "451 try later");
       },
       true, OutboxState::kDeferred},
      {"not due yet: nothing to claim",
       [&]() -> core::Status {
         auto c = store_->ClaimNextDue(clock_.Now());
         if (!c) return core::Fail(c.error());
         if (c->has_value())
           return core::Fail(core::Error::Internal("claimed"));
         return core::Ok();
       },
       true, OutboxState::kDeferred},
      {"due again: claim",
       [&]() -> core::Status {
         auto c = store_->ClaimNextDue(clock_.Now() + std::chrono::minutes(5));
         if (!c) return core::Fail(c.error());
         if (!c->has_value()) return core::Fail(core::Error::Internal("none"));
         return core::Ok();
       },
       true, OutboxState::kSending},
      {"sent", [&] { return store_->MarkSent(id, T(1'800'000'400)); }, true,
       OutboxState::kSent},
      {"sent twice", [&] { return store_->MarkSent(id, T(6)); }, false,
       OutboxState::kSent},
      {"failed after sent", [&] { return store_->MarkFailed(id, "x"); }, false,
       OutboxState::kSent},
      {"appended", [&] { return store_->MarkAppendedToSent(id); }, true,
       OutboxState::kSent},
      {"appended again is no change",
       [&] { return store_->MarkAppendedToSent(id); }, true,
       OutboxState::kSent},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    auto r = s.run();
    EXPECT_EQ(r.has_value(), s.want_ok) << (r ? "" : r.error().ToString());
    if (!r && !s.want_ok) {
      EXPECT_EQ(r.error().code, core::Code::kFailedPrecondition);
    }
    EXPECT_EQ(store_->GetOutgoing(id)->state, s.want_state);
  }
  Outgoing o = store_->GetOutgoing(id).value();
  EXPECT_EQ(o.attempts, 1);
  EXPECT_EQ(o.last_error, "451 try later");
  EXPECT_EQ(o.sent_at, T(1'800'000'400));
  EXPECT_TRUE(o.appended_to_sent_at.has_value());
  EXPECT_TRUE(store_->ListSentNotAppended()->empty());

  // Every transition left its event, in order.
  EventFilter f;
  f.ticket_id = ticket_;
  std::vector<std::string> types;
  const std::vector<Event> events = store_->ListEvents(f).value();
  for (const Event& e : events) {
    if (e.type.starts_with("outbox.")) types.push_back(e.type);
  }
  EXPECT_EQ(types, (std::vector<std::string>{
                       "outbox.queued", "outbox.sending", "outbox.deferred",
                       "outbox.sending", "outbox.sent", "outbox.appended"}));
}

TEST_F(OutboxTest, FailedIsFinalAndClaimOrder) {
  const int64_t a = store_->EnqueueOutgoing(Ack("a@inboxd")).value();
  clock_.Advance(std::chrono::seconds(1));
  OutgoingIn alert = Ack("b@inboxd", 0);
  alert.kind = "agent_alert";
  const int64_t b = store_->EnqueueOutgoing(alert).value();
  ASSERT_TRUE(store_->MarkFailed(a, "550 no such user"));
  EXPECT_EQ(store_->MarkFailed(a, "again").error().code,
            core::Code::kFailedPrecondition);
  EXPECT_EQ(store_->MarkFailed(999, "x").error().code, core::Code::kNotFound);
  auto claimed = store_->ClaimNextDue(clock_.Now()).value();
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, b);  // the failed row is never claimed
  EXPECT_FALSE(store_->ClaimNextDue(clock_.Now()).value().has_value());
  EXPECT_EQ(store_->ListInState(OutboxState::kFailed)->size(), 1u);
  EXPECT_EQ(store_->ListInState(OutboxState::kSending)->front().id, b);
  // A crash now leaves b in "sending": the responder finds it on restart.
  ASSERT_TRUE(store_->MarkSent(b, clock_.Now()));
  EXPECT_EQ(store_->ListSentNotAppended()->size(), 1u);
}

TEST_F(OutboxTest, CountSentTo) {
  const int64_t a = store_->EnqueueOutgoing(Ack("a@inboxd")).value();  // A@X
  clock_.Advance(std::chrono::minutes(30));
  OutgoingIn second = Ack("b@inboxd", 0);
  second.kind = "agent_alert";
  second.recipients = {"a@x", "c@x"};
  const int64_t b = store_->EnqueueOutgoing(second).value();
  const core::TimePoint hour_ago = clock_.Now() - std::chrono::hours(1);
  EXPECT_EQ(store_->CountSentTo("a@x", hour_ago).value(), 2);
  EXPECT_EQ(store_->CountSentTo("A@x", clock_.Now()).value(), 1);
  EXPECT_EQ(store_->CountSentTo("c@x", hour_ago).value(), 1);
  EXPECT_EQ(store_->CountSentTo("d@x", hour_ago).value(), 0);
  ASSERT_TRUE(store_->MarkFailed(b, "550"));
  EXPECT_EQ(store_->CountSentTo("a@x", hour_ago).value(), 1);
  (void)a;
}

}  // namespace
}  // namespace inboxd::store
