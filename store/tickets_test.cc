// tickets_test.cc: tags, lookups, mailboxes, status and deadlines.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::Raw;
using testing::StoreTest;
using testing::T;

TicketIn NewTicket(std::string prefix, std::string customer = "a@x",
                   std::string subject = "printer broken") {
  return {.mailbox = "support",
          .prefix = std::move(prefix),
          .customer = std::move(customer),
          .subject = subject,
          .normalized_subject = subject,
          .cls = "support",
          .language = "en",
          .opened_at = T(1'800'000'000)};
}

TEST_F(StoreTest, TagNumbersArePerPrefixFrom1000) {
  const struct {
    const char* prefix;
    const char* want;
  } cases[] = {{"S", "S-1000"},
               {"S", "S-1001"},
               {"Q", "Q-1000"},
               {"S", "S-1002"},
               {"Q", "Q-1001"}};
  for (const auto& c : cases) {
    auto t = store_->CreateTicket(NewTicket(c.prefix));
    ASSERT_TRUE(t.has_value()) << t.error().ToString();
    EXPECT_EQ(t->Tag(), c.want);
    EXPECT_EQ(store_->FindTicketByTag(c.prefix, t->number).value().id, t->id);
  }
  EXPECT_EQ(store_->FindTicketByTag("S", 999).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->FindTicketByTag("X", 1000).error().code,
            core::Code::kNotFound);
}

TEST_F(StoreTest, CreateTicketRejects) {
  const struct {
    const char* name;
    TicketIn in;
    core::Code want;
  } cases[] = {
      {"empty prefix", NewTicket(""), core::Code::kInvalidArgument},
      {"prefix with dash", NewTicket("S-1"), core::Code::kInvalidArgument},
      {"prefix with space", NewTicket("S "), core::Code::kInvalidArgument},
      {"unknown first message",
       [] {
         TicketIn in = NewTicket("S");
         in.first_message = 77;
         return in;
       }(),
       core::Code::kFailedPrecondition},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = store_->CreateTicket(c.in);
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, c.want);
  }
  // None of the refused tickets used up a number.
  EXPECT_EQ(store_->CreateTicket(NewTicket("S")).value().Tag(), "S-1000");
}

TEST_F(StoreTest, TicketContentAndFirstMessage) {
  auto m =
      store_->PutRawMessage(Raw("first@x", "hi", "support", "INBOX", 7, 3));
  ASSERT_TRUE(m.has_value());
  TicketIn in = NewTicket("S", "Alice@Customer.Example", "Re: Printer");
  in.normalized_subject = "printer";
  in.first_message = m->id;
  auto ref = store_->CreateTicket(in);
  ASSERT_TRUE(ref.has_value());
  Ticket t = store_->GetTicket(ref->id).value();
  EXPECT_EQ(t.customer, "alice@customer.example");
  EXPECT_EQ(t.subject, "Re: Printer");
  EXPECT_EQ(t.status, TicketStatus::kOpen);
  EXPECT_EQ(t.opened_at, T(1'800'000'000));
  EXPECT_EQ(t.mailboxes, std::vector<std::string>{"support"});
  EXPECT_EQ(store_->FindTicketByMessageId("first@x").value().id, ref->id);
  // Attaching again changes nothing.
  EXPECT_FALSE(store_->AttachMessageToTicket(ref->id, m->id).value());
  EXPECT_EQ(store_->AttachMessageToTicket(ref->id, 999).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->AttachMessageToTicket(999, m->id).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->GetTicket(999).error().code, core::Code::kNotFound);
}

TEST_F(StoreTest, FindTicketByMessageIdIncludesOurOutgoingMail) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  ASSERT_TRUE(store_->EnqueueOutgoing({.ticket_id = ref.id,
                                       .kind = "ack",
                                       .mailbox = "support",
                                       .message_id = "ours.S-1000@inboxd",
                                       .from = "support@shop.example",
                                       .recipients = {"a@x"},
                                       .raw = "x"}));
  EXPECT_EQ(store_->FindTicketByMessageId("ours.S-1000@inboxd").value().id,
            ref.id);
  EXPECT_EQ(store_->FindTicketByMessageId("nobody@x").error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->FindTicketByMessageId("").error().code,
            core::Code::kNotFound);
  // A stored message that is on no ticket does not match either.
  ASSERT_TRUE(store_->PutRawMessage(Raw("loose@x", "x")));
  EXPECT_EQ(store_->FindTicketByMessageId("loose@x").error().code,
            core::Code::kNotFound);
}

TEST_F(StoreTest, FindRecentTicketBySubject) {
  auto old_ticket =
      store_->CreateTicket(NewTicket("S", "a@x", "invoice")).value();
  clock_.Advance(std::chrono::hours(24 * 10));
  auto new_ticket =
      store_->CreateTicket(NewTicket("S", "a@x", "invoice")).value();
  const core::TimePoint week_ago = clock_.Now() - std::chrono::hours(24 * 7);
  const struct {
    const char* name;
    const char* customer;
    const char* subject;
    core::TimePoint since;
    int64_t want;  // 0 = not found
  } cases[] = {
      {"newest wins", "a@x", "invoice", T(0), new_ticket.id},
      {"customer any case", "A@X", "invoice", week_ago, new_ticket.id},
      {"other subject", "a@x", "invoices", T(0), 0},
      {"other customer", "b@x", "invoice", T(0), 0},
      {"too old", "a@x", "invoice", clock_.Now() + std::chrono::seconds(1), 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = store_->FindRecentTicketBySubject(c.customer, c.subject, c.since);
    if (c.want == 0) {
      ASSERT_FALSE(t.has_value());
      EXPECT_EQ(t.error().code, core::Code::kNotFound);
    } else {
      ASSERT_TRUE(t.has_value());
      EXPECT_EQ(t->id, c.want);
    }
  }
  // Activity on the old ticket makes it the recent one.
  clock_.Advance(std::chrono::seconds(1));
  auto m = store_->PutRawMessage(Raw("reply@x", "more"));
  ASSERT_TRUE(store_->AttachMessageToTicket(old_ticket.id, m->id).value());
  EXPECT_EQ(store_->FindRecentTicketBySubject("a@x", "invoice", T(0))->id,
            old_ticket.id);
}

// Outlook Thread-Index bases: 44 lower-case hex characters (22 bytes).
const std::string kBaseA(44, 'a');
const std::string kBaseB = "01d34d4fee835cae317d961a473bb251b68869c10d80";

TEST_F(StoreTest, ThreadIndexFirstTicketWinsAndSecondAddIsANoOp) {
  auto first = store_->CreateTicket(NewTicket("S")).value();
  auto second = store_->CreateTicket(NewTicket("S")).value();
  ASSERT_TRUE(store_->AddTicketThreadIndex(first.id, kBaseA));
  EventFilter added;
  added.type = "ticket.thread_index_added";
  ASSERT_EQ(store_->ListEvents(added).value().size(), 1u);
  // Again for the same ticket, and for another one: nothing changes.
  EXPECT_TRUE(store_->AddTicketThreadIndex(first.id, kBaseA));
  EXPECT_TRUE(store_->AddTicketThreadIndex(second.id, kBaseA));
  EXPECT_EQ(store_->ListEvents(added).value().size(), 1u);
  ASSERT_TRUE(store_->AddTicketThreadIndex(second.id, kBaseB));
  EXPECT_EQ(store_->ListEvents(added).value().size(), 2u);

  const struct {
    const char* name;
    std::string base;
    int64_t want;  // 0 = not found
  } cases[] = {
      {"first ticket keeps its conversation", kBaseA, first.id},
      {"another conversation", kBaseB, second.id},
      {"unknown base", std::string(44, 'b'), 0},
      {"exact match only: upper case", std::string(44, 'A'), 0},
      {"exact match only: a prefix", kBaseA.substr(0, 42), 0},
      {"exact match only: longer (a reply's full index)", kBaseA + "0011223344",
       0},
      {"empty", "", 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto t = store_->FindTicketByThreadIndex(c.base);
    if (c.want == 0) {
      ASSERT_FALSE(t.has_value());
      EXPECT_EQ(t.error().code, core::Code::kNotFound);
    } else {
      ASSERT_TRUE(t.has_value()) << t.error().ToString();
      EXPECT_EQ(t->id, c.want);
    }
  }
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());
}

TEST_F(StoreTest, AddTicketThreadIndexRejects) {
  auto ticket = store_->CreateTicket(NewTicket("S")).value();
  const struct {
    const char* name;
    int64_t ticket_id;
    std::string base;
    core::Code want;
  } cases[] = {
      {"unknown ticket", 999, kBaseA, core::Code::kNotFound},
      {"empty base", ticket.id, "", core::Code::kInvalidArgument},
      {"upper-case hex", ticket.id, std::string(44, 'A'),
       core::Code::kInvalidArgument},
      {"not hex", ticket.id, std::string(44, 'g'),
       core::Code::kInvalidArgument},
      {"odd length", ticket.id, std::string(43, 'a'),
       core::Code::kInvalidArgument},
      {"too long", ticket.id, std::string(kMaxThreadIndexBaseChars + 2, 'a'),
       core::Code::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto st = store_->AddTicketThreadIndex(c.ticket_id, c.base);
    ASSERT_FALSE(st.has_value());
    EXPECT_EQ(st.error().code, c.want);
  }
  // Nothing was recorded: the valid base is still free.
  EXPECT_EQ(store_->FindTicketByThreadIndex(kBaseA).error().code,
            core::Code::kNotFound);
  // The longest accepted base passes.
  EXPECT_TRUE(store_->AddTicketThreadIndex(
      ticket.id, std::string(kMaxThreadIndexBaseChars, 'a')));
}

TEST_F(StoreTest, CreateTicketRecordsItsThreadIndex) {
  TicketIn in = NewTicket("S");
  in.thread_index_base = kBaseA;
  auto first = store_->CreateTicket(in).value();
  EXPECT_EQ(store_->FindTicketByThreadIndex(kBaseA).value().id, first.id);
  // A second ticket of the same conversation is created; the conversation
  // stays with the first.
  auto second = store_->CreateTicket(in).value();
  EXPECT_NE(second.id, first.id);
  EXPECT_EQ(store_->FindTicketByThreadIndex(kBaseA).value().id, first.id);
  // A malformed base refuses the ticket and uses no number.
  in.thread_index_base = "XYZ";
  auto bad = store_->CreateTicket(in);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, core::Code::kInvalidArgument);
  EXPECT_EQ(store_->CreateTicket(NewTicket("S")).value().Tag(), "S-1002");
}

TEST_F(StoreTest, MailboxesAndStatus) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  EXPECT_TRUE(store_->AddTicketMailbox(ref.id, "sales").value());
  EXPECT_FALSE(store_->AddTicketMailbox(ref.id, "sales").value());
  EXPECT_EQ(store_->AddTicketMailbox(999, "sales").error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->GetTicket(ref.id)->mailboxes,
            (std::vector<std::string>{"sales", "support"}));

  ASSERT_TRUE(store_->SetTicketStatus(ref.id, TicketStatus::kAnswered,
                                      "bob@shop.example"));
  EXPECT_EQ(store_->GetTicket(ref.id)->status, TicketStatus::kAnswered);
  EXPECT_EQ(
      store_->SetTicketStatus(999, TicketStatus::kClosed, "").error().code,
      core::Code::kNotFound);
  EventFilter f;
  f.type = "ticket.status";
  auto events = store_->ListEvents(f).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "bob@shop.example");
  EXPECT_EQ(events[0].ticket_id, ref.id);
  EXPECT_EQ(events[0].data, R"({"from":"open","to":"answered"})");
}

TEST_F(StoreTest, Deadlines) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  ASSERT_TRUE(store_->SetDeadline(ref.id, {"D1", "ack", T(100)}));
  ASSERT_TRUE(store_->SetDeadline(ref.id, {"D3", "fix", T(500)}));
  EXPECT_EQ(store_->SetDeadline(999, {"D1", "ack", T(1)}).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->SetDeadline(ref.id, {"", "ack", T(1)}).error().code,
            core::Code::kInvalidArgument);

  ASSERT_TRUE(
      store_->SetDeadlineState(ref.id, "D1", DeadlineState::kMet, T(90)));
  EXPECT_EQ(store_->SetDeadlineState(ref.id, "D9", DeadlineState::kMet, T(1))
                .error()
                .code,
            core::Code::kNotFound);
  auto all = store_->ListDeadlines(ref.id).value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].deadline_id, "D1");
  EXPECT_EQ(all[0].state, DeadlineState::kMet);
  EXPECT_EQ(all[0].met_at, T(90));
  EXPECT_EQ(all[1].state, DeadlineState::kOpen);
  EXPECT_FALSE(all[1].met_at.has_value());

  // Only open or notified deadlines before the time are due.
  EXPECT_EQ(store_->ListDeadlinesDueBefore(T(1000))->size(), 1u);
  EXPECT_TRUE(store_->ListDeadlinesDueBefore(T(500))->empty());
  ASSERT_TRUE(
      store_->SetDeadlineState(ref.id, "D3", DeadlineState::kNotified, T(400)));
  EXPECT_EQ(store_->ListDeadlinesDueBefore(T(1000))->size(), 1u);

  // Moving a deadline (D6: the clock restarts) reopens it; setting the same
  // value again is no change and no event.
  ASSERT_TRUE(store_->SetDeadline(ref.id, {"D1", "ack", T(700)}));
  ASSERT_TRUE(store_->SetDeadline(ref.id, {"D1", "ack", T(700)}));
  auto d1 = store_->ListDeadlines(ref.id).value();
  EXPECT_EQ(d1[1].deadline_id, "D1");
  EXPECT_EQ(d1[1].state, DeadlineState::kOpen);
  EXPECT_FALSE(d1[1].met_at.has_value());
  EventFilter f;
  f.type = "deadline.set";
  auto events = store_->ListEvents(f).value();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_NE(events[2].data.find("\"old_due_at\""), std::string::npos);
}

}  // namespace
}  // namespace inboxd::store
