// tickets_test.cc: tags, lookups, mailboxes, state and milestones.
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
  EXPECT_EQ(t.state, TicketState::kOpen);
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

TEST_F(StoreTest, MailboxesAndState) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  EXPECT_TRUE(store_->AddTicketMailbox(ref.id, "sales").value());
  EXPECT_FALSE(store_->AddTicketMailbox(ref.id, "sales").value());
  EXPECT_EQ(store_->AddTicketMailbox(999, "sales").error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->GetTicket(ref.id)->mailboxes,
            (std::vector<std::string>{"sales", "support"}));

  ASSERT_TRUE(store_->SetTicketState(ref.id, TicketState::kWaiting, T(50),
                                     "bob@shop.example", "keyword $Waiting"));
  auto t = store_->GetTicket(ref.id).value();
  EXPECT_EQ(t.state, TicketState::kWaiting);
  EXPECT_EQ(t.waiting_since, T(50));
  ASSERT_TRUE(store_->SetTicketState(ref.id, TicketState::kClosed, T(60),
                                     "bob@shop.example", "keyword $Done"));
  t = store_->GetTicket(ref.id).value();
  EXPECT_EQ(t.state, TicketState::kClosed);
  EXPECT_EQ(t.closed_at, T(60));
  EXPECT_FALSE(t.waiting_since.has_value());
  // The same state again: no change, no event.
  ASSERT_TRUE(store_->SetTicketState(ref.id, TicketState::kClosed, T(70),
                                     "bob@shop.example", "again"));
  EXPECT_EQ(store_->SetTicketState(999, TicketState::kClosed, T(1), "", "")
                .error()
                .code,
            core::Code::kNotFound);
  EventFilter f;
  f.type = "ticket.state";
  auto events = store_->ListEvents(f).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].actor, "bob@shop.example");
  EXPECT_EQ(events[0].ticket_id, ref.id);
  EXPECT_NE(events[0].data.find(R"("from":"open","reason":"keyword $Waiting")"),
            std::string::npos)
      << events[0].data;
  EXPECT_EQ(store_->ListTickets(TicketState::kClosed)->size(), 1u);
  EXPECT_TRUE(store_->ListTickets(TicketState::kOpen)->empty());
  EXPECT_EQ(store_->ListTickets(std::nullopt)->size(), 1u);
}

TEST_F(StoreTest, CustomerAndAnswerTimes) {
  TicketIn in = NewTicket("S");
  in.opened_at = T(100);
  auto ref = store_->CreateTicket(in).value();
  auto t = store_->GetTicket(ref.id).value();
  EXPECT_EQ(t.customer_at, T(100));
  EXPECT_FALSE(t.AnsweredSinceCustomer());
  ASSERT_TRUE(store_->NoteTicketMessage(ref.id, TicketParty::kAgent, T(150)));
  EXPECT_TRUE(store_->GetTicket(ref.id)->AnsweredSinceCustomer());
  ASSERT_TRUE(
      store_->NoteTicketMessage(ref.id, TicketParty::kCustomer, T(200)));
  EXPECT_FALSE(store_->GetTicket(ref.id)->AnsweredSinceCustomer());
  // An older time never moves a time back.
  ASSERT_TRUE(
      store_->NoteTicketMessage(ref.id, TicketParty::kCustomer, T(120)));
  EXPECT_EQ(store_->GetTicket(ref.id)->customer_at, T(200));
  EXPECT_EQ(
      store_->NoteTicketMessage(999, TicketParty::kAgent, T(1)).error().code,
      core::Code::kNotFound);
}

TEST_F(StoreTest, TicketMailOnce) {
  TicketIn in = NewTicket("S");
  in.flags = {"material_defect"};
  auto ref = store_->CreateTicket(in).value();
  EXPECT_TRUE(store_->GetTicket(ref.id)->HasFlag("material_defect"));
  auto need = store_->ListTicketsNeedingMail(T(0), "material_defect").value();
  EXPECT_EQ(need, (std::vector<int64_t>{ref.id}));
  ASSERT_TRUE(store_->MarkTicketMail(ref.id, TicketMail::kBoard, T(10)));
  ASSERT_TRUE(store_->MarkTicketMail(ref.id, TicketMail::kBoard, T(20)));
  EXPECT_EQ(store_->GetTicket(ref.id)->board_at, T(10));
  EXPECT_TRUE(
      store_->ListTicketsNeedingMail(T(1000), "material_defect")->empty());
  // Closed at 50: owes the satisfaction mail once closed_before reaches 50.
  ASSERT_TRUE(
      store_->SetTicketState(ref.id, TicketState::kClosed, T(50), "", "done"));
  EXPECT_TRUE(store_->ListTicketsNeedingMail(T(49), "x")->empty());
  EXPECT_EQ(store_->ListTicketsNeedingMail(T(50), "x")->size(), 1u);
  ASSERT_TRUE(store_->MarkTicketMail(ref.id, TicketMail::kCsat, T(60)));
  EXPECT_TRUE(store_->ListTicketsNeedingMail(T(1000), "x")->empty());
}

MilestoneIn Ms(std::string id, std::string name, int start, int due,
               std::optional<int> warn = {}, std::optional<int> notice = {}) {
  MilestoneIn in;
  in.milestone_id = std::move(id);
  in.name = std::move(name);
  in.clock = "calendar";
  in.within = std::chrono::seconds(due - start);
  in.timing.started_at = T(start);
  in.timing.due_at = T(due);
  if (warn) in.timing.warn_at = T(*warn);
  if (notice) in.timing.notice_at = T(*notice);
  return in;
}

TEST_F(StoreTest, MilestonesAndNextAction) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  ASSERT_TRUE(
      store_->AddMilestone(ref.id, Ms("D2", "answer", 0, 1000, 750, 900))
          .value());
  // A re-run moves nothing.
  EXPECT_FALSE(
      store_->AddMilestone(ref.id, Ms("D2", "answer", 0, 5000)).value());
  EXPECT_EQ(store_->AddMilestone(999, Ms("D1", "ack", 0, 1)).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(store_->AddMilestone(ref.id, Ms("", "ack", 0, 1)).error().code,
            core::Code::kInvalidArgument);
  // Next action: the warning at 750.
  EXPECT_EQ(store_->NextMilestoneAction().value(), T(750));
  EXPECT_TRUE(store_->ListMilestonesDue(T(749))->empty());
  ASSERT_EQ(store_->ListMilestonesDue(T(750))->size(), 1u);
  MilestoneMark warn{.action = MilestoneMark::Action::kWarned, .at = T(750)};
  ASSERT_TRUE(store_->MarkMilestone(ref.id, "D2", warn));
  ASSERT_TRUE(store_->MarkMilestone(ref.id, "D2", warn));  // once
  EXPECT_EQ(store_->NextMilestoneAction().value(), T(900));
  MilestoneMark notice{.action = MilestoneMark::Action::kNotified,
                       .at = T(900),
                       .new_due_at = T(2000)};
  ASSERT_TRUE(store_->MarkMilestone(ref.id, "D2", notice));
  auto m = store_->ListMilestones(ref.id).value().at(0);
  EXPECT_EQ(m.due_at, T(2000));
  EXPECT_EQ(m.original_due_at, T(1000));
  EXPECT_EQ(m.notified_at, T(900));
  EXPECT_EQ(store_->NextMilestoneAction().value(), T(2000));
  // Breach, then two escalation levels.
  MilestoneMark miss{.action = MilestoneMark::Action::kMissed,
                     .at = T(2000),
                     .next_escalation_at = T(2100)};
  ASSERT_TRUE(store_->MarkMilestone(ref.id, "D2", miss));
  EXPECT_EQ(store_->MarkMilestone(ref.id, "D2", miss).error().code,
            core::Code::kFailedPrecondition);
  EXPECT_EQ(store_->NextMilestoneAction().value(), T(2100));
  MilestoneMark esc{.action = MilestoneMark::Action::kEscalated, .at = T(2100)};
  ASSERT_TRUE(store_->MarkMilestone(ref.id, "D2", esc));
  m = store_->ListMilestones(ref.id).value().at(0);
  EXPECT_EQ(m.state, MilestoneState::kMissed);
  EXPECT_EQ(m.escalation_level, 1);
  EXPECT_FALSE(store_->NextMilestoneAction().value().has_value());
  // A late answer is recorded as evidence; the milestone stays missed.
  MilestoneEvidence ev{.by = "sent_folder",
                       .message_row = 0,
                       .message_id = "r1@shop.example",
                       .mailbox = "support",
                       .folder = "Sent",
                       .at = T(2500),
                       .actor = "bob@shop.example"};
  EXPECT_EQ(store_->MeetMilestone(ref.id, "D2", ev).value(),
            MilestoneState::kMissed);
  m = store_->ListMilestones(ref.id).value().at(0);
  EXPECT_EQ(m.evidence.message_id, "r1@shop.example");
  EXPECT_FALSE(m.met_at.has_value());
  EventFilter f;
  f.type = "milestone.answered_late";
  EXPECT_EQ(store_->ListEvents(f)->size(), 1u);
}

TEST_F(StoreTest, MilestoneMetPausedRetimed) {
  auto ref = store_->CreateTicket(NewTicket("S")).value();
  ASSERT_TRUE(store_->AddMilestone(ref.id, Ms("D1", "ack", 0, 100)).value());
  ASSERT_TRUE(
      store_->AddMilestone(ref.id, Ms("D6", "resolve", 0, 1000)).value());
  MilestoneEvidence ev{.by = "our_mail",
                       .outbox_id = 7,
                       .message_id = "inboxd.S-1.ack.x@shop.example",
                       .mailbox = "support",
                       .at = T(5),
                       .actor = "inboxd"};
  EXPECT_EQ(store_->MeetMilestone(ref.id, "D1", ev).value(),
            MilestoneState::kMet);
  // The first evidence stays.
  ev.message_id = "other";
  EXPECT_EQ(store_->MeetMilestone(ref.id, "D1", ev).value(),
            MilestoneState::kMet);
  auto all = store_->ListMilestones(ref.id).value();
  EXPECT_EQ(all[0].evidence.message_id, "inboxd.S-1.ack.x@shop.example");
  EXPECT_EQ(all[0].evidence.outbox_id, 7);
  EXPECT_EQ(all[0].met_at, T(5));
  EXPECT_EQ(store_->MeetMilestone(ref.id, "D1", {}).error().code,
            core::Code::kInvalidArgument);

  // Paused: no next action; a retime (D6 restart) runs it again.
  ASSERT_TRUE(store_->PauseMilestone(ref.id, "D6", T(200), "bob"));
  EXPECT_TRUE(store_->ListMilestones(ref.id)->at(1).paused_at.has_value());
  EXPECT_FALSE(store_->NextMilestoneAction().value().has_value());
  MilestoneTiming restart{.started_at = T(500), .due_at = T(1500)};
  ASSERT_TRUE(store_->RetimeMilestone(ref.id, "D6", restart,
                                      "milestone.restarted", "c@x.example",
                                      "the customer supplied information"));
  auto d6 = store_->ListMilestones(ref.id)->at(1);
  EXPECT_FALSE(d6.paused_at.has_value());
  EXPECT_EQ(d6.started_at, T(500));
  EXPECT_EQ(d6.due_at, T(1500));
  EXPECT_EQ(store_->NextMilestoneAction().value(), T(1500));
  EXPECT_EQ(
      store_
          ->RetimeMilestone(ref.id, "D1", restart, "milestone.resumed", "", "")
          .error()
          .code,
      core::Code::kFailedPrecondition);
}

}  // namespace
}  // namespace inboxd::store

namespace inboxd::store {
namespace {

TEST_F(StoreTest, AbsencesAndOwners) {
  AbsenceIn in{.agent = "Anna@Shop.example",
               .from = T(100),
               .until = T(200),
               .source = "config",
               .detail = "2026-08-03T00:00/2026-08-14T23:59"};
  const int64_t id = store_->AddAbsence(in).value();
  EXPECT_EQ(store_->AddAbsence(in).value(), id);  // recorded once
  AbsenceIn bad = in;
  bad.until = T(50);
  EXPECT_EQ(store_->AddAbsence(bad).error().code, core::Code::kInvalidArgument);
  bad = in;
  bad.source = "rumour";
  EXPECT_EQ(store_->AddAbsence(bad).error().code, core::Code::kInvalidArgument);
  auto list = store_->ListAbsences(T(0)).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].agent, "anna@shop.example");
  EXPECT_TRUE(list[0].Covers(T(150)));
  EXPECT_FALSE(list[0].Covers(T(200)));
  EXPECT_TRUE(store_->ListUnappliedAbsences(T(99))->empty());
  EXPECT_EQ(store_->ListUnappliedAbsences(T(150))->size(), 1u);
  ASSERT_TRUE(store_->MarkAbsenceApplied(id, T(150)));
  EXPECT_TRUE(store_->ListUnappliedAbsences(T(150))->empty());
  EXPECT_EQ(store_->ClearAbsences("anna@shop.example", T(160), "root").value(),
            1);
  EXPECT_TRUE(store_->ListAbsences(T(0))->empty());
  auto events = store_->ListEvents({.type = "absence.cleared"}).value();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "root");

  // Owners: R4 finds the customer's last owner on another ticket.
  TicketIn t = NewTicket("S");
  auto first = store_->CreateTicket(t).value();
  auto second = store_->CreateTicket(t).value();
  EXPECT_EQ(store_->FindLastOwner(t.customer, second.id).value(), "");
  ASSERT_TRUE(store_->SetTicketOwner(first.id, "Anna@Shop.example",
                                     "R1: route primary", ""));
  EXPECT_EQ(store_->GetTicket(first.id)->owner, "anna@shop.example");
  EXPECT_EQ(store_->GetTicket(first.id)->owner_reason, "R1: route primary");
  EXPECT_EQ(store_->FindLastOwner(t.customer, second.id).value(),
            "anna@shop.example");
  EXPECT_EQ(store_->ListOpenTicketsOwnedBy("anna@shop.example").value(),
            std::vector<int64_t>{first.id});
  EXPECT_EQ(store_->ListEvents({.type = "ticket.assigned"})->size(), 1u);
}

}  // namespace
}  // namespace inboxd::store
