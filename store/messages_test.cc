// messages_test.cc: raw bytes, dedupe, locations, parse attempts,
// quarantine, decisions.
#include <gtest/gtest.h>

#include "core/hash.h"
#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::Raw;
using testing::StoreTest;
using testing::T;

core::Status AsStatus(const core::Result<int>& r) {
  if (!r) return core::Fail(r.error());
  return core::Ok();
}

int64_t CountEvents(Store& s, const std::string& type) {
  EventFilter f;
  f.type = type;
  return static_cast<int64_t>(s.ListEvents(f).value().size());
}

// Each case stores `first`, then `second`, and checks what the second put
// reports and how many rows exist afterwards.
TEST_F(StoreTest, DedupeTable) {
  RawMessageIn base = Raw("m1@customer.example", "hello");
  RawMessageIn other_bytes = Raw("m1@customer.example", "hello, edited");
  RawMessageIn no_id = Raw("", "no message id");
  struct Case {
    const char* name;
    RawMessageIn first;
    RawMessageIn second;
    bool want_new_message;
    bool want_new_location;
    bool want_same_row;
    bool want_same_message_id_as;
  };
  auto at = [](RawMessageIn in, std::string mailbox, std::string folder,
               uint32_t uv, uint32_t uid) {
    in.mailbox = std::move(mailbox);
    in.folder = std::move(folder);
    in.uid_validity = uv;
    in.uid = uid;
    return in;
  };
  const Case cases[] = {
      {"same bytes, same place: nothing new", base, base, false, false, true,
       false},
      {"same bytes, sales and support: one message, two places",
       at(base, "sales", "INBOX", 1, 10), at(base, "support", "INBOX", 2, 20),
       false, true, true, false},
      {"same bytes after a uidvalidity change: new place only", base,
       at(base, "support", "INBOX", 8, 1), false, true, true, false},
      {"same Message-ID, other bytes: two messages", base,
       at(other_bytes, "sales", "INBOX", 1, 11), true, true, false, true},
      {"no Message-ID, same bytes in two files: one message",
       at(no_id, "replay", "/mail/a.eml", 0, 0),
       at(no_id, "replay", "/mail/b.eml", 0, 0), false, true, true, false},
      {"same file twice: nothing new", at(no_id, "replay", "/mail/a.eml", 0, 0),
       at(no_id, "replay", "/mail/a.eml", 0, 0), false, false, true, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // A fresh database per case.
    std::unique_ptr<Store> s = Store::Open(":memory:", &clock_).value();
    auto first = s->PutRawMessage(c.first);
    ASSERT_TRUE(first.has_value()) << first.error().ToString();
    EXPECT_TRUE(first->new_message);
    EXPECT_TRUE(first->new_location);
    auto second = s->PutRawMessage(c.second);
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    EXPECT_EQ(second->new_message, c.want_new_message);
    EXPECT_EQ(second->new_location, c.want_new_location);
    EXPECT_EQ(second->id == first->id, c.want_same_row);
    EXPECT_EQ(second->same_message_id_as,
              c.want_same_message_id_as ? first->id : 0);
    auto stored = s->GetMessage(second->id);
    ASSERT_TRUE(stored.has_value());
    EXPECT_EQ(stored->raw, c.second.raw);
    EXPECT_EQ(stored->sha256, core::Sha256Hex(c.second.raw));
    EXPECT_EQ(stored->locations.size(),
              c.want_same_row ? (c.want_new_location ? 2u : 1u) : 1u);
    EXPECT_EQ(CountEvents(*s, "message.stored"), c.want_new_message ? 2 : 1);
    EXPECT_EQ(CountEvents(*s, "message.location_added"),
              !c.want_new_message && c.want_new_location ? 1 : 0);
  }
}

TEST_F(StoreTest, PutRejectsInconsistentInput) {
  struct Case {
    const char* name;
    std::function<void(RawMessageIn&)> edit;
    core::Code want;
  };
  const Case cases[] = {
      {"valid", [](RawMessageIn&) {}, core::Code::kInternal},
      {"sha256 of other bytes",
       [](RawMessageIn& in) { in.sha256 = core::Sha256Hex("x"); },
       core::Code::kInvalidArgument},
      {"sha256 not hex", [](RawMessageIn& in) { in.sha256 = "abc"; },
       core::Code::kInvalidArgument},
      {"size does not match", [](RawMessageIn& in) { in.size += 1; },
       core::Code::kInvalidArgument},
      {"uid without uid_validity",
       [](RawMessageIn& in) { in.uid_validity = 0; },
       core::Code::kInvalidArgument},
      {"empty mailbox", [](RawMessageIn& in) { in.mailbox.clear(); },
       core::Code::kInvalidArgument},
      {"truncated without reason",
       [](RawMessageIn& in) { in.truncated = true; },
       core::Code::kInvalidArgument},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RawMessageIn in = Raw("v@x", "valid");
    c.edit(in);
    auto r = store_->PutRawMessage(in);
    if (c.want == core::Code::kInternal) {
      EXPECT_TRUE(r.has_value());
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, c.want);
    }
  }
}

TEST_F(StoreTest, UidHoldingOtherContentIsRefused) {
  ASSERT_TRUE(store_->PutRawMessage(Raw("a@x", "a", "support", "INBOX", 7, 1)));
  auto r = store_->PutRawMessage(Raw("b@x", "b", "support", "INBOX", 7, 1));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kFailedPrecondition);
  // Nothing of the refused message stayed behind.
  EXPECT_TRUE(store_->FindMessagesByMessageId("b@x").value().empty());
}

TEST_F(StoreTest, OversizeMessageIsStoredQuarantinedWithHeaders) {
  RawMessageIn full = Raw("big@x", std::string(1000, 'x'));
  RawMessageIn in = full;
  in.raw = full.raw.substr(0, full.raw.find("\r\n\r\n") + 4);
  in.truncated = true;
  in.quarantine_reason = "size 1079 over limit 100";
  auto r = store_->PutRawMessage(in);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  StoredMessage m = store_->GetMessage(r->id).value();
  EXPECT_EQ(m.state, MessageState::kQuarantined);
  EXPECT_TRUE(m.truncated);
  EXPECT_EQ(m.size, full.size);
  EXPECT_EQ(m.sha256, full.sha256);
  EXPECT_EQ(m.raw, in.raw);
  EXPECT_EQ(m.quarantine_reason, in.quarantine_reason);
  EXPECT_EQ(CountEvents(*store_, "message.quarantined"), 1);
  EXPECT_TRUE(store_->ListUnprocessed().value().empty());
}

TEST_F(StoreTest, ParseAttemptsAndPoisonQuarantine) {
  auto r = store_->PutRawMessage(Raw("p@x", "poison"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(store_->BeginParse(r->id).value(), 1);
  EXPECT_EQ(store_->BeginParse(r->id).value(), 2);
  auto pending = store_->ListUnprocessed().value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, r->id);
  EXPECT_EQ(pending[0].parse_attempts, 2);

  ASSERT_TRUE(store_->MarkQuarantined(r->id, "crashed the parser twice"));
  EXPECT_TRUE(store_->ListUnprocessed().value().empty());
  StoredMessage m = store_->GetMessage(r->id).value();
  EXPECT_EQ(m.state, MessageState::kQuarantined);
  EXPECT_EQ(m.raw, Raw("p@x", "poison").raw);  // raw bytes stay

  struct Case {
    const char* name;
    core::Status got;
    core::Code want;
  };
  const Case cases[] = {
      {"quarantine twice", store_->MarkQuarantined(r->id, "again"),
       core::Code::kFailedPrecondition},
      {"quarantine unknown", store_->MarkQuarantined(999, "x"),
       core::Code::kNotFound},
      {"quarantine without reason", store_->MarkQuarantined(r->id, ""),
       core::Code::kInvalidArgument},
      {"parse a quarantined message", AsStatus(store_->BeginParse(r->id)),
       core::Code::kFailedPrecondition},
      {"parse unknown", AsStatus(store_->BeginParse(999)),
       core::Code::kNotFound},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.got.has_value());
    EXPECT_EQ(c.got.error().code, c.want);
  }
}

TEST_F(StoreTest, RecordDecision) {
  auto m = store_->PutRawMessage(Raw("q@x", "quote please"));
  ASSERT_TRUE(m.has_value());
  auto t = store_->CreateTicket({.mailbox = "sales",
                                 .prefix = "Q",
                                 .customer = "a@customer.example",
                                 .opened_at = T(1)});
  ASSERT_TRUE(t.has_value());

  // Failing cases first: each leaves the message "stored".
  struct Case {
    const char* name;
    int64_t message;
    DecisionRow row;
    core::Code want;
  };
  const Case bad[] = {
      {"unknown ticket",
       m->id,
       {.kind = "human", .ticket_id = 999},
       core::Code::kFailedPrecondition},
      {"reasons not an array",
       m->id,
       {.kind = "human", .reasons_json = "{\"a\":1}"},
       core::Code::kInvalidArgument},
      {"reasons not JSON",
       m->id,
       {.kind = "human", .reasons_json = "[x"},
       core::Code::kInvalidArgument},
      {"unknown message", 999, {.kind = "human"}, core::Code::kNotFound},
  };
  for (const Case& c : bad) {
    SCOPED_TRACE(c.name);
    auto r = store_->RecordDecision(c.message, c.row);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, c.want);
    EXPECT_EQ(store_->GetMessage(m->id).value().state, MessageState::kStored);
  }

  DecisionRow row{.kind = "human",
                  .cls = "quote",
                  .thread = "new",
                  .language = "de",
                  .ack = true,
                  .reasons_json = R"(["subject:angebot"])",
                  .ticket_id = t->id};
  ASSERT_TRUE(store_->RecordDecision(m->id, row).has_value());
  EXPECT_EQ(store_->GetMessage(m->id).value().state, MessageState::kProcessed);
  Decision d = store_->GetDecision(m->id).value();
  EXPECT_EQ(d.cls, "quote");
  EXPECT_EQ(d.language, "de");
  EXPECT_TRUE(d.ack);
  EXPECT_EQ(d.ticket_id, t->id);
  EXPECT_EQ(d.reasons_json, row.reasons_json);
  // Attached: the ticket is found by the message's Message-ID.
  EXPECT_EQ(store_->FindTicketByMessageId("q@x").value().id, t->id);
  EXPECT_TRUE(store_->ListUnprocessed().value().empty());

  auto twice = store_->RecordDecision(m->id, row);
  ASSERT_FALSE(twice.has_value());
  EXPECT_EQ(twice.error().code, core::Code::kFailedPrecondition);
  EXPECT_EQ(store_->GetDecision(12345).error().code, core::Code::kNotFound);
}

TEST_F(StoreTest, RecordDecisionWithNewTicketIsOneChange) {
  auto m = store_->PutRawMessage(Raw("new@x", "my printer"));
  ASSERT_TRUE(m.has_value());
  const TicketIn ticket{.mailbox = "support",
                        .prefix = "S",
                        .customer = "a@x",
                        .subject = "printer",
                        .normalized_subject = "printer",
                        .cls = "support",
                        .language = "en",
                        .opened_at = T(5)};
  const DecisionRow row{.kind = "human",
                        .cls = "support",
                        .thread = "new",
                        .language = "en",
                        .ack = true};

  // Refusals first: no ticket appears and no tag number is used up.
  const struct {
    const char* name;
    int64_t message;
    TicketIn ticket;
    DecisionRow row;
    core::Code want;
  } bad[] = {
      {"unknown message", 999, ticket, row, core::Code::kNotFound},
      {"bad prefix", m->id,
       [&] {
         TicketIn t = ticket;
         t.prefix = "S 1";
         return t;
       }(),
       row, core::Code::kInvalidArgument},
      {"bad reasons (fails after the ticket insert)", m->id, ticket,
       [&] {
         DecisionRow r = row;
         r.reasons_json = "nope";
         return r;
       }(),
       core::Code::kInvalidArgument},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    auto r = store_->RecordDecisionWithNewTicket(c.message, c.ticket, c.row);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, c.want);
    EXPECT_EQ(store_->Stats()->tickets_open, 0);
    EXPECT_EQ(store_->GetMessage(m->id)->state, MessageState::kStored);
  }

  auto ref = store_->RecordDecisionWithNewTicket(m->id, ticket, row);
  ASSERT_TRUE(ref.has_value()) << ref.error().ToString();
  EXPECT_EQ(ref->Tag(), "S-1000");
  EXPECT_EQ(store_->GetDecision(m->id)->ticket_id, ref->id);
  EXPECT_EQ(store_->FindTicketByMessageId("new@x")->id, ref->id);
  EXPECT_EQ(store_->GetMessage(m->id)->state, MessageState::kProcessed);
  // A second run (say, after a crash before the caller saw the answer) is
  // refused and makes no second ticket.
  auto again = store_->RecordDecisionWithNewTicket(m->id, ticket, row);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, core::Code::kFailedPrecondition);
  EXPECT_EQ(store_->Stats()->tickets_open, 1);
}

TEST_F(StoreTest, SameMessageInSecondMailboxJoinsItsTicket) {
  auto m = store_->PutRawMessage(
      Raw("both@x", "to sales and support", "sales", "INBOX", 1, 1));
  ASSERT_TRUE(m.has_value());
  auto t = store_->CreateTicket({.mailbox = "sales",
                                 .prefix = "Q",
                                 .customer = "a@customer.example",
                                 .opened_at = T(1),
                                 .first_message = m->id});
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(store_->GetTicket(t->id).value().mailboxes,
            std::vector<std::string>{"sales"});
  auto again = store_->PutRawMessage(
      Raw("both@x", "to sales and support", "support", "INBOX", 2, 1));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->new_message);
  EXPECT_EQ(store_->GetTicket(t->id).value().mailboxes,
            (std::vector<std::string>{"sales", "support"}));
  EXPECT_EQ(CountEvents(*store_, "ticket.mailbox_added"), 1);
}

}  // namespace
}  // namespace inboxd::store
