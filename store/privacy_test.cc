// privacy_test.cc: erasure requests (ForgetAddress) and retention
// (PurgeOlderThan) remove personal data while the audit chain verifies.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/hash.h"
#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::DumpAll;
using testing::StoreTest;
using testing::T;

constexpr char kAnna[] = "anna@customer.example";
// Holds kAnna as a substring: must survive Anna's erasure.
constexpr char kJoanna[] = "joanna@customer.example";

// Whether `text` holds Anna's whole address in any case (not as the tail of
// joanna@...).
bool HoldsAnna(const std::string& text) {
  static const std::regex re("(^|[^a-z0-9._%+-])anna@customer\\.example",
                             std::regex::icase);
  return std::regex_search(text, re);
}

RawMessageIn Mail(const std::string& id, const std::string& from,
                  const std::string& to, const std::string& body, uint32_t uid,
                  core::TimePoint arrived = T(1'800'000'000),
                  const std::string& folder = "INBOX") {
  RawMessageIn in;
  in.mailbox = "support";
  in.folder = folder;
  in.uid_validity = 7;
  in.uid = uid;
  in.arrived_at = arrived;
  in.role = folder == "Sent" ? Role::kSent : Role::kIncoming;
  in.raw = "From: " + from + "\r\nTo: " + to + "\r\nMessage-ID: <" + id +
           ">\r\nSubject: order 42\r\n\r\n" + body + "\r\n";
  in.sha256 = core::Sha256Hex(in.raw);
  in.size = in.raw.size();
  in.message_id = id;
  return in;
}

class PrivacyTest : public StoreTest {
 protected:
  // A customer's message opening a ticket; returns {message, ticket}.
  std::pair<int64_t, int64_t> Open(const RawMessageIn& in,
                                   const std::string& customer,
                                   const std::string& reasons) {
    auto m = store_->PutRawMessage(in);
    EXPECT_TRUE(m.has_value()) << m.error().ToString();
    DecisionRow row{.kind = "human",
                    .cls = "support",
                    .thread = "new",
                    .language = "en",
                    .ack = true,
                    .decision = "ack",
                    .reasons_json = reasons,
                    .party = "customer"};
    auto t = store_->RecordDecisionWithNewTicket(
        m->id,
        {.mailbox = "support",
         .prefix = "S",
         .customer = customer,
         .subject = "Order 42 from " + customer,
         .normalized_subject = "order 42 from " + customer,
         .cls = "support",
         .language = "en",
         .opened_at = in.arrived_at},
        row);
    EXPECT_TRUE(t.has_value()) << t.error().ToString();
    return {m->id, t->id};
  }

  int64_t Ack(int64_t ticket, const std::string& to) {
    auto id = store_->EnqueueOutgoing(
        {.ticket_id = ticket,
         .kind = "ack",
         .mailbox = "support",
         .message_id = "ack-" + std::to_string(ticket) + "@shop.example",
         .from = "support@shop.example",
         .recipients = {to},
         .envelope_from = "bounce@shop.example",
         .raw =
             "To: " + to + "\r\nSubject: we got it\r\n\r\nDear " + to + "\r\n",
         .reason = "ack for " + to});
    EXPECT_TRUE(id.has_value()) << id.error().ToString();
    return *id;
  }

  // Anna's ticket (her message, an agent's reply that met D2, an ack, a
  // note), Joanna's ticket and ack, and a newsletter that quotes Anna.
  void Fill() {
    std::tie(anna_msg_, anna_ticket_) =
        Open(Mail("a1@customer.example", "Anna <Anna@Customer.Example>",
                  "support@shop.example", "my order, anna", 1),
             "Anna@Customer.example", R"(["from Anna@customer.example"])");
    auto reply =
        store_->PutRawMessage(Mail("r1@shop.example", "bob@shop.example", kAnna,
                                   "hi Anna", 1, T(1'800'000'050), "Sent"));
    ASSERT_TRUE(reply.has_value());
    reply_msg_ = reply->id;
    ASSERT_TRUE(
        store_->AttachMessageToTicket(anna_ticket_, reply_msg_).has_value());
    ASSERT_TRUE(store_
                    ->AddMilestone(anna_ticket_,
                                   {.milestone_id = "D2",
                                    .name = "answer",
                                    .clock = "calendar",
                                    .within = std::chrono::hours(8),
                                    .timing = {.started_at = T(1'800'000'000),
                                               .due_at = T(1'800'030'000)}})
                    .has_value());
    ASSERT_TRUE(store_
                    ->MeetMilestone(anna_ticket_, "D2",
                                    {.by = "sent_folder",
                                     .message_row = reply_msg_,
                                     .message_id = "r1@shop.example",
                                     .mailbox = "support",
                                     .folder = "Sent",
                                     .at = T(1'800'000'050),
                                     .actor = "bob@shop.example"})
                    .has_value());
    anna_ack_ = Ack(anna_ticket_, "Anna@customer.example");
    ASSERT_TRUE(store_
                    ->AppendEvent({.type = "agent.note",
                                   .actor = "unix:op",
                                   .data = R"({"note":"ANNA@customer.example )"
                                           R"(phoned","n":1})"})
                    .has_value());

    std::tie(joanna_msg_, joanna_ticket_) =
        Open(Mail("j1@customer.example", kJoanna, "support@shop.example",
                  "joanna's order", 2),
             kJoanna, R"(["from joanna@customer.example"])");
    joanna_ack_ = Ack(joanna_ticket_, kJoanna);

    auto list = store_->PutRawMessage(
        Mail("n1@list.example", "news@list.example", "support@shop.example",
             "winners: anna@customer.example and others", 3));
    ASSERT_TRUE(list.has_value());
    list_msg_ = list->id;
  }

  int64_t anna_msg_ = 0, anna_ticket_ = 0, reply_msg_ = 0, anna_ack_ = 0;
  int64_t joanna_msg_ = 0, joanna_ticket_ = 0, joanna_ack_ = 0;
  int64_t list_msg_ = 0;
};

TEST_F(PrivacyTest, ForgetRemovesTheAddressEverywhereAndKeepsTheChain) {
  Fill();
  const std::string before = DumpAll(db_.path());
  ASSERT_TRUE(HoldsAnna(before));  // the check below can fail
  {
    SQLite::Database db(db_.path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::ifstream in(db_.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_TRUE(HoldsAnna(bytes)) << "the file check below can fail";
  }
  const std::string joanna_raw = store_->GetMessage(joanna_msg_).value().raw;
  const std::string joanna_ack_raw =
      store_->GetOutgoing(joanna_ack_).value().raw;

  auto r = store_->ForgetAddress(" ANNA@customer.EXAMPLE ", "unix:op");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->tickets, 1);
  EXPECT_EQ(r->messages, 3);  // hers, the agent's reply, the newsletter
  EXPECT_EQ(r->outbox, 1);
  EXPECT_GE(r->events, 5);
  EXPECT_EQ(r->address_sha256, core::Sha256Hex(kAnna));
  EXPECT_EQ(r->token, "erased:" + core::Sha256Hex(kAnna).substr(0, 12));

  // Nowhere in any table, in any case.
  const std::string after = DumpAll(db_.path());
  EXPECT_FALSE(HoldsAnna(after)) << after;
  EXPECT_NE(after.find(r->token), std::string::npos);

  // The chain verifies, with erased events counted.
  auto head = store_->VerifyAuditChain();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->erased, r->events);
  EXPECT_EQ(head->last_id, r->tombstone_id);

  // Rows and ids stay; bytes go.
  auto anna = store_->GetMessage(anna_msg_);
  ASSERT_TRUE(anna.has_value());
  EXPECT_EQ(anna->raw, "");
  EXPECT_EQ(anna->message_id, "a1@customer.example");
  EXPECT_EQ(store_->GetMessage(list_msg_).value().raw, "");
  auto ticket = store_->GetTicket(anna_ticket_).value();
  EXPECT_EQ(ticket.customer, r->token);
  EXPECT_EQ(ticket.subject, r->token);
  EXPECT_EQ(store_->ListTicketMessages(anna_ticket_).value().size(), 2u);
  auto ack = store_->GetOutgoing(anna_ack_).value();
  EXPECT_EQ(ack.raw, "");
  EXPECT_EQ(ack.state, OutboxState::kFailed);  // never sent blank
  EXPECT_EQ(ack.recipients, std::vector<std::string>{r->token});
  auto milestones = store_->ListMilestones(anna_ticket_).value();
  ASSERT_EQ(milestones.size(), 1u);
  EXPECT_EQ(milestones[0].state, MilestoneState::kMet);
  EXPECT_EQ(milestones[0].evidence.message_id, "");
  EXPECT_EQ(milestones[0].evidence.actor, "bob@shop.example");
  EXPECT_EQ(store_->GetDecision(anna_msg_).value().reasons_json, "[]");

  // Joanna (whose address ends in Anna's) is untouched.
  EXPECT_EQ(store_->GetMessage(joanna_msg_).value().raw, joanna_raw);
  EXPECT_EQ(store_->GetTicket(joanna_ticket_).value().customer, kJoanna);
  EXPECT_EQ(store_->GetOutgoing(joanna_ack_).value().raw, joanna_ack_raw);
  EXPECT_EQ(store_->GetOutgoing(joanna_ack_).value().state,
            OutboxState::kQueued);
  EXPECT_EQ(store_->GetDecision(joanna_msg_).value().reasons_json,
            R"(["from joanna@customer.example"])");
  const std::vector<Event> joanna_events =
      store_->ListEvents({.ticket_id = joanna_ticket_}).value();
  for (const Event& e : joanna_events) {
    if (e.type == "ticket.created") {
      EXPECT_NE(e.personal.find(kJoanna), std::string::npos) << e.personal;
    }
  }

  // The tombstone: who, what, how many; never the address.
  auto tomb = store_->ListEvents({.type = "privacy.forgotten"}).value();
  ASSERT_EQ(tomb.size(), 1u);
  EXPECT_EQ(tomb[0].actor, "unix:op");
  EXPECT_EQ(tomb[0].personal, "");
  EXPECT_EQ(tomb[0].data.find('@'), std::string::npos) << tomb[0].data;
  auto data = nlohmann::json::parse(tomb[0].data);
  EXPECT_EQ(data["address_sha256"], core::Sha256Hex(kAnna));
  EXPECT_EQ(data["messages"], 3);
  EXPECT_EQ(data["tickets"], 1);
  EXPECT_EQ(data["events"], r->events);
  EXPECT_EQ(data["outbox"], 1);

  // A second request finds nothing left but still leaves its tombstone.
  auto again = store_->ForgetAddress(kAnna, "unix:op");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages, 0);
  EXPECT_EQ(again->events, 0);
  EXPECT_EQ(again->outbox, 0);
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());

  // Not in the file's bytes either, once the store is closed and vacuumed.
  store_.reset();
  {
    SQLite::Database db(db_.path(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.exec("VACUUM");
  }
  for (const char* suffix : {"", "-wal"}) {
    std::ifstream in(db_.path() + suffix, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    EXPECT_FALSE(HoldsAnna(bytes)) << "file" << suffix;
    if (*suffix == '\0') {
      EXPECT_NE(bytes.find(kJoanna), std::string::npos);
    }
  }
}

TEST_F(PrivacyTest, ForgetDryRunCountsAndChangesNothing) {
  Fill();
  const std::string before = DumpAll(db_.path());
  auto dry = store_->ForgetAddress(kAnna, "unix:op", /*dry_run=*/true);
  ASSERT_TRUE(dry.has_value()) << dry.error().ToString();
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(dry->tombstone_id, 0);
  EXPECT_EQ(DumpAll(db_.path()), before);
  auto real = store_->ForgetAddress(kAnna, "unix:op");
  ASSERT_TRUE(real.has_value());
  EXPECT_EQ(dry->messages, real->messages);
  EXPECT_EQ(dry->tickets, real->tickets);
  EXPECT_EQ(dry->events, real->events);
  EXPECT_EQ(dry->outbox, real->outbox);
  EXPECT_EQ(dry->fields, real->fields);
  EXPECT_NE(DumpAll(db_.path()), before);
}

TEST_F(PrivacyTest, ForgetRefusesWhatIsNotOneAddress) {
  for (const char* bad : {"", "anna", "a@b, c@d", "a@b\r\nX: y", "<a@b>"}) {
    SCOPED_TRACE(bad);
    auto r = store_->ForgetAddress(bad, "unix:op");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, core::Code::kInvalidArgument);
  }
  EXPECT_FALSE(store_->ForgetAddress(kAnna, "").has_value());
}

TEST_F(PrivacyTest, ForgetFailureChangesNothing) {
  Fill();
  const std::string before = DumpAll(db_.path());
  store_->FailWriteForTest(3);
  auto r = store_->ForgetAddress(kAnna, "unix:op");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(DumpAll(db_.path()), before);
}

TEST_F(PrivacyTest, PurgeKeepsOpenTicketsAndNewMail) {
  // Old: an open ticket, a closed ticket, a message without a ticket, one
  // still waiting for a decision. New: a closed ticket's message.
  const core::TimePoint old_at = T(1'700'000'000);
  const core::TimePoint new_at = T(1'800'000'000);
  auto [open_msg, open_ticket] = Open(
      Mail("o@c.example", "o@c.example", "s@shop.example", "open", 1, old_at),
      "o@c.example", "[]");
  auto [closed_msg, closed_ticket] = Open(
      Mail("c@c.example", "c@c.example", "s@shop.example", "closed", 2, old_at),
      "c@c.example", "[]");
  auto [new_msg, new_ticket] = Open(
      Mail("n@c.example", "n@c.example", "s@shop.example", "new", 3, new_at),
      "n@c.example", "[]");
  for (int64_t t : {closed_ticket, new_ticket}) {
    ASSERT_TRUE(store_
                    ->SetTicketState(t, TicketState::kClosed, new_at,
                                     "bob@shop.example", "done")
                    .has_value());
  }
  auto loose = store_->PutRawMessage(
      Mail("l@c.example", "l@c.example", "s@shop.example", "spam", 4, old_at));
  ASSERT_TRUE(loose.has_value());
  ASSERT_TRUE(store_
                  ->RecordDecision(loose->id, {.kind = "spam",
                                               .thread = "new",
                                               .language = "en",
                                               .decision = "automatic"})
                  .has_value());
  auto waiting = store_->PutRawMessage(
      Mail("w@c.example", "w@c.example", "s@shop.example", "todo", 5, old_at));
  ASSERT_TRUE(waiting.has_value());

  const core::TimePoint cutoff = T(1'750'000'000);
  const std::string before = DumpAll(db_.path());
  auto dry = store_->PurgeOlderThan(cutoff, "inboxd", /*dry_run=*/true);
  ASSERT_TRUE(dry.has_value()) << dry.error().ToString();
  EXPECT_EQ(DumpAll(db_.path()), before);

  auto r = store_->PurgeOlderThan(cutoff, "inboxd");
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->messages, 2);  // the closed ticket's and the loose one
  EXPECT_EQ(dry->messages, r->messages);
  EXPECT_EQ(dry->events, r->events);
  EXPECT_GT(r->events, 0);
  EXPECT_EQ(store_->GetMessage(closed_msg).value().raw, "");
  EXPECT_EQ(store_->GetMessage(loose->id).value().raw, "");
  EXPECT_NE(store_->GetMessage(open_msg).value().raw, "");
  EXPECT_NE(store_->GetMessage(new_msg).value().raw, "");
  EXPECT_NE(store_->GetMessage(waiting->id).value().raw, "");
  const std::vector<Event> closed_events =
      store_->ListEvents({.message_row = closed_msg}).value();
  for (const Event& e : closed_events) {
    EXPECT_EQ(e.personal, "") << e.type;
  }
  bool open_personal = false;
  const std::vector<Event> open_events =
      store_->ListEvents({.message_row = open_msg}).value();
  for (const Event& e : open_events) {
    open_personal = open_personal || !e.personal.empty();
  }
  EXPECT_TRUE(open_personal);

  auto tomb = store_->ListEvents({.type = "privacy.retention"}).value();
  ASSERT_EQ(tomb.size(), 1u);
  auto data = nlohmann::json::parse(tomb[0].data);
  EXPECT_EQ(data["messages"], 2);
  EXPECT_EQ(data["cutoff"], core::FormatUtc(cutoff));
  auto head = store_->VerifyAuditChain();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->erased, r->events);

  // Nothing left: no second tombstone.
  auto again = store_->PurgeOlderThan(cutoff, "inboxd");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages, 0);
  EXPECT_EQ(again->tombstone_id, 0);
  EXPECT_EQ(store_->ListEvents({.type = "privacy.retention"}).value().size(),
            1u);
}

}  // namespace
}  // namespace inboxd::store
