// audit_test.cc: the append-only, hash-chained audit log.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "store/schema.h"
#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::Raw;
using testing::StoreTest;
using testing::T;

TEST_F(StoreTest, AppendEventValidates) {
  const struct {
    const char* name;
    EventIn in;
    bool want_ok;
  } cases[] = {
      {"object data",
       {.type = "agent.note", .data = R"({"note":"called"})"},
       true},
      {"default data", {.type = "agent.note"}, true},
      {"empty type", {.type = ""}, false},
      {"empty actor", {.type = "x", .actor = ""}, false},
      {"data not JSON", {.type = "x", .data = "{oops"}, false},
      {"data an array", {.type = "x", .data = "[1]"}, false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = store_->AppendEvent(c.in);
    EXPECT_EQ(r.has_value(), c.want_ok);
    if (!r) {
      EXPECT_EQ(r.error().code, core::Code::kInvalidArgument);
    }
  }
}

TEST_F(StoreTest, ListEventsFilters) {
  auto m = store_->PutRawMessage(Raw("a@x", "a"));
  ASSERT_TRUE(m.has_value());
  clock_.Advance(std::chrono::hours(1));
  const core::TimePoint later = clock_.Now();
  auto t = store_->CreateTicket({.mailbox = "support",
                                 .prefix = "S",
                                 .opened_at = T(1),
                                 .first_message = m->id});
  ASSERT_TRUE(t.has_value());
  ASSERT_TRUE(store_->AppendEvent({.type = "agent.note",
                                   .ticket_id = t->id,
                                   .actor = "bob@shop.example",
                                   .data = R"({"text":"called back"})"}));

  auto types = [&](EventFilter f) {
    std::vector<std::string> out;
    // (Not a range-for over .value() of a temporary: that would dangle.)
    const std::vector<Event> events = store_->ListEvents(f).value();
    for (const Event& e : events) out.push_back(e.type);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(types({.ticket_id = t->id}),
            (V{"ticket.created", "ticket.message_attached", "agent.note"}));
  EXPECT_EQ(types({.message_row = m->id}),
            (V{"message.stored", "ticket.created", "ticket.message_attached"}));
  V before_later(Migrations().size(), "store.migrated");
  before_later.push_back("message.stored");
  EXPECT_EQ(types({.until = later}), before_later);
  EXPECT_EQ(types({.since = later, .type = "agent.note"}), (V{"agent.note"}));
  EXPECT_EQ(types({.since = later, .limit = 1}), (V{"ticket.created"}));
  EXPECT_TRUE(types({.type = "no.such"}).empty());

  auto note = store_->ListEvents({.type = "agent.note"}).value().at(0);
  EXPECT_EQ(note.actor, "bob@shop.example");
  EXPECT_EQ(note.at, later);
  // "text" is personal: kept apart from the hashed data.
  EXPECT_EQ(note.data, "{}");
  EXPECT_EQ(note.personal, R"({"text":"called back"})");
  EXPECT_EQ(note.FullData(), R"({"text":"called back"})");
}

// Issue 11 item 5: personal fields live outside the hashed text; erasing
// them (personal = NULL) is the one change the triggers allow, and the
// chain still verifies; an edit of them is found.
TEST_F(StoreTest, PersonalDataIsErasableWithoutBreakingTheChain) {
  auto id = store_->AppendEvent(
      {.type = "outbox.queued",
       .data = R"({"kind":"ack","recipients":["bea@customer.example"],)"
               R"("subject":"Quote for 40 chairs","count":2,)"
               R"("reason":"ack for message 7"})"});
  ASSERT_TRUE(id.has_value());
  auto e = store_->ListEvents({.type = "outbox.queued"}).value().at(0);
  EXPECT_EQ(e.data, R"({"count":2,"kind":"ack","reason":"ack for message 7"})");
  EXPECT_EQ(e.personal, R"({"recipients":["bea@customer.example"],)"
                        R"("subject":"Quote for 40 chairs"})");
  EXPECT_EQ(e.personal_digest.size(), 64u);
  EXPECT_FALSE(e.personal_erased());
  EXPECT_NE(e.FullData().find("bea@customer.example"), std::string::npos);
  auto head = store_->VerifyAuditChain(e.hash);
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->head_id, *id);
  EXPECT_EQ(head->erased, 0);
  EXPECT_EQ(store_->VerifyAuditChain("no-such-hash").value().head_id, 0);

  SQLite::Database raw(db_.path(), SQLite::OPEN_READWRITE);
  // Anything but erasing is refused.
  EXPECT_THROW(raw.exec("UPDATE events SET personal = '{}' WHERE id = " +
                        std::to_string(*id)),
               SQLite::Exception);
  EXPECT_THROW(raw.exec("UPDATE events SET personal = NULL, data = '{}' "
                        "WHERE id = " +
                        std::to_string(*id)),
               SQLite::Exception);
  raw.exec("UPDATE events SET personal = NULL WHERE id = " +
           std::to_string(*id));
  e = store_->ListEvents({.type = "outbox.queued"}).value().at(0);
  EXPECT_TRUE(e.personal_erased());
  EXPECT_EQ(e.FullData().find("bea@"), std::string::npos);
  head = store_->VerifyAuditChain();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head->erased, 1);
}

TEST(AuditTamper, EditedPersonalDataIsFound) {
  testing::TempDb db;
  core::FakeClock clock(T(1'800'000'000));
  int64_t id = 0;
  {
    auto s = Store::Open(db.path(), &clock);
    ASSERT_TRUE(s.has_value());
    id = (*s)->AppendEvent({.type = "agent.note",
                            .data = R"({"customer":"bea@customer.example"})"})
             .value();
  }
  {
    SQLite::Database raw(db.path(), SQLite::OPEN_READWRITE);
    raw.exec(
        "DROP TRIGGER events_no_update; UPDATE events SET personal = "
        "'{\"customer\":\"eve@evil.example\"}' WHERE id = " +
        std::to_string(id));
  }
  auto s = Store::Open(db.path(), &clock);
  ASSERT_TRUE(s.has_value());
  auto v = (*s)->VerifyAuditChain();
  ASSERT_FALSE(v.has_value());
  EXPECT_NE(v.error().message.find("event " + std::to_string(id) +
                                   ": its personal data"),
            std::string::npos)
      << v.error().message;
}

TEST(SplitPersonalTest, KeysAndAddresses) {
  struct {
    const char* in;
    const char* data;
    const char* personal;
  } cases[] = {
      {R"({"kind":"ack"})", R"({"kind":"ack"})", ""},
      {R"({"from":1,"to":8})", R"({"from":1,"to":8})", ""},  // versions
      {R"({"from":"","to":"anna@shop.example"})", R"({"from":""})",
       R"({"to":"anna@shop.example"})"},
      {R"({"reasons":["rule x"],"class":"quote"})", R"({"class":"quote"})",
       R"({"reasons":["rule x"]})"},
      {R"({"nested":{"a":["<m1@x.example>"]},"n":1})", R"({"n":1})",
       R"({"nested":{"a":["<m1@x.example>"]}})"},
      {R"({"subject":"Hi","original_subject":"Re: Hi"})", "{}",
       R"({"original_subject":"Re: Hi","subject":"Hi"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    auto [data, personal] = SplitPersonal(c.in);
    EXPECT_EQ(data, c.data);
    EXPECT_EQ(personal, c.personal);
  }
}

TEST_F(StoreTest, ScanEventsPagesFiltersAndStops) {
  const int n = Store::kEventScanPage * 2 + 300;
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(store_->AppendEvent(
        {.type = "agent.note", .mailbox = i % 3 == 0 ? "sales" : "support"}));
  }
  int64_t last = 0;
  int count = 0;
  ASSERT_TRUE(
      store_->ScanEvents({.mailbox = "sales", .limit = 0}, [&](const Event& e) {
        EXPECT_GT(e.id, last);
        EXPECT_EQ(e.mailbox, "sales");
        last = e.id;
        ++count;
        return true;
      }));
  EXPECT_EQ(count, (n + 2) / 3);
  count = 0;
  ASSERT_TRUE(store_->ScanEvents({.type = "agent.note", .limit = 0},
                                 [&](const Event&) { return ++count < 10; }));
  EXPECT_EQ(count, 10);
  count = 0;
  ASSERT_TRUE(store_->ScanEvents({.type = "agent.note", .limit = 2500},
                                 [&](const Event&) {
                                   ++count;
                                   return true;
                                 }));
  EXPECT_EQ(count, 2500);
}

TEST_F(StoreTest, ChainVerifiesAndTriggersRefuseEdits) {
  ASSERT_TRUE(store_->PutRawMessage(Raw("a@x", "a")));
  ASSERT_TRUE(store_->AppendEvent({.type = "agent.note"}));
  auto head = store_->VerifyAuditChain();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  // One event per migration, message.stored, agent.note.
  const int64_t want = static_cast<int64_t>(Migrations().size()) + 2;
  EXPECT_EQ(head->count, want);
  EXPECT_EQ(head->last_id, want);
  EXPECT_EQ(head->last_hash, store_->ListEvents({}).value().back().hash);

  SQLite::Database raw(db_.path(), SQLite::OPEN_READWRITE);
  EXPECT_THROW(raw.exec("UPDATE events SET data = '{}' WHERE id = 3"),
               SQLite::Exception);
  EXPECT_THROW(raw.exec("DELETE FROM events WHERE id = 3"), SQLite::Exception);
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());
}

// Tampering around the triggers is detected at the first bad event.
TEST(AuditTamper, DetectedAtTheFirstBadEvent) {
  const struct {
    const char* name;
    const char* sql;
    const char* want;
  } cases[] = {
      {"edited data",
       "DROP TRIGGER events_no_update;"
       "UPDATE events SET data = '{\"sha256\":\"forged\"}' WHERE id = 3",
       "event 3: its content"},
      {"edited time",
       "DROP TRIGGER events_no_update; UPDATE events SET at = at + 1 WHERE id "
       "= 4",
       "event 4: its content"},
      {"deleted event",
       "DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = 3",
       "event 4: prev_hash"},
      {"rehashed edit (chain breaks after it)",
       "DROP TRIGGER events_no_update;"
       "UPDATE events SET actor = 'mallory', hash = 'x' WHERE id = 3",
       "event 3: its content"},
      {"forged event inserted",
       "INSERT INTO events (id, at, type, mailbox, actor, data, prev_hash, "
       "hash) VALUES (99, 1, 'x', '', 'inboxd', '{}', 'y', 'z')",
       "event 99: prev_hash"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    testing::TempDb db;
    core::FakeClock clock(T(1'800'000'000));
    {
      auto s = Store::Open(db.path(), &clock);
      ASSERT_TRUE(s.has_value());
      ASSERT_TRUE((*s)->PutRawMessage(Raw("a@x", "a")));
      ASSERT_TRUE((*s)->AppendEvent({.type = "agent.note"}));
      ASSERT_TRUE((*s)->VerifyAuditChain().has_value());
    }
    {
      SQLite::Database raw(db.path(), SQLite::OPEN_READWRITE);
      raw.exec(c.sql);
    }
    auto s = Store::Open(db.path(), &clock);
    ASSERT_TRUE(s.has_value());
    auto v = (*s)->VerifyAuditChain();
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().code, core::Code::kDataLoss);
    EXPECT_NE(v.error().message.find(c.want), std::string::npos)
        << v.error().message;
  }
}

}  // namespace
}  // namespace inboxd::store
