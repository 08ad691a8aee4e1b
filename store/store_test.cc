// store_test.cc: opening, migrations, durability across reopen, and
// atomicity under injected write faults.
#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "store/schema.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::DumpAll;
using testing::Raw;
using testing::StoreTest;
using testing::T;
using testing::TempDb;

TEST(StoreOpen, FreshDatabaseIsAtCurrentVersionWithPragmas) {
  TempDb db;
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(db.path(), &clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  EXPECT_EQ((*store)->SchemaVersion().value(), Store::CurrentSchemaVersion());
  EXPECT_EQ(Store::CurrentSchemaVersion(),
            static_cast<int>(Migrations().size()));
  // One "store.migrated" event per step, in one valid chain.
  EventFilter filter;
  filter.type = "store.migrated";
  EXPECT_EQ((*store)->ListEvents(filter)->size(), Migrations().size());
  EXPECT_EQ((*store)->VerifyAuditChain()->count,
            static_cast<int64_t>(Migrations().size()));

  SQLite::Database raw(db.path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(raw.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

// Two inboxd commands started at the same moment on a new state dir: while
// one holds the new file's lock (switching it to WAL, migrating), the other
// waits within its busy timeout instead of failing with "database is
// locked" (seen when `inboxd status` polled a starting daemon).
TEST(StoreOpen, WaitsForAnotherProcessCreatingTheDatabase) {
  TempDb db;
  SQLite::Database other(db.path(),
                         SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  other.exec("PRAGMA journal_mode = DELETE");
  other.exec("CREATE TABLE early (x)");
  // A reader in the middle of its transaction (a shared lock): switching
  // the file to WAL needs it gone, and SQLite says SQLITE_BUSY at once.
  other.exec("BEGIN");
  other.execAndGet("SELECT COUNT(*) FROM early");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    other.exec("COMMIT");
  });
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(db.path(), &clock, std::chrono::seconds(5));
  release.join();
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  EXPECT_EQ((*store)->SchemaVersion().value(), Store::CurrentSchemaVersion());
}

TEST(StoreOpen, MemoryDatabaseWorks) {
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(":memory:", &clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  EXPECT_TRUE((*store)->PutRawMessage(Raw("a@x", "body")).has_value());
}

TEST(StoreOpen, ForeignKeysAreEnforced) {
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(":memory:", &clock);
  ASSERT_TRUE(store.has_value());
  // Attaching to a ticket that does not exist is refused, not stored.
  auto msg = (*store)->PutRawMessage(Raw("a@x", "body"));
  ASSERT_TRUE(msg.has_value());
  auto r = (*store)->AttachMessageToTicket(42, msg->id);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kNotFound);
}

// Builds databases in the states an upgrade meets, then opens them.
TEST(StoreOpen, MigrationTable) {
  struct Case {
    const char* name;
    std::function<void(const std::string& path)> setup;
    bool want_ok;
    core::Code want_code;
    const char* want_text;
  };
  const Case cases[] = {
      {"empty file becomes current", [](const std::string&) {}, true,
       core::Code::kInternal, ""},
      {"v1 with data migrates to current",
       [](const std::string& path) {
         SQLite::Database db(path,
                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
         db.exec(Migrations()[0].sql);
         db.exec("PRAGMA user_version = 1");
         db.exec(
             "INSERT INTO messages (message_id, sha256, size, raw, role, "
             "arrived_at, stored_at) VALUES ('old@x', "
             "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
             "'"
             ", 3, 'abc', 'incoming', 1, 1)");
       },
       true, core::Code::kInternal, ""},
      {"newer than known is refused",
       [](const std::string& path) {
         SQLite::Database db(path,
                             SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
         db.exec("PRAGMA user_version = " +
                 std::to_string(Store::CurrentSchemaVersion() + 1));
       },
       false, core::Code::kFailedPrecondition, "is newer than this inboxd"},
      {"not a database",
       [](const std::string& path) {
         std::ofstream(path) << std::string(4096, 'x');
       },
       false, core::Code::kDataLoss, "file is not a database"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    TempDb db;
    c.setup(db.path());
    core::FakeClock clock(T(1'800'000'000));
    auto store = Store::Open(db.path(), &clock);
    ASSERT_EQ(store.has_value(), c.want_ok)
        << (store ? "" : store.error().ToString());
    if (!c.want_ok) {
      EXPECT_EQ(store.error().code, c.want_code);
      EXPECT_NE(store.error().message.find(c.want_text), std::string::npos)
          << store.error().message;
      EXPECT_NE(store.error().message.find(db.path()), std::string::npos);
      continue;
    }
    EXPECT_EQ((*store)->SchemaVersion().value(), Store::CurrentSchemaVersion());
    EXPECT_TRUE((*store)->VerifyAuditChain().has_value());
  }
}

TEST(StoreOpen, V1DataSurvivesMigrationAndLaterTablesWork) {
  TempDb db;
  {
    SQLite::Database raw(db.path(),
                         SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec(Migrations()[0].sql);
    raw.exec("PRAGMA user_version = 1");
  }
  core::FakeClock clock(T(1'800'000'000));
  // A v1 binary stored a message and a ticket.
  {
    SQLite::Database raw(db.path(), SQLite::OPEN_READWRITE);
    RawMessageIn in = Raw("v1@x", "stored by v1");
    SQLite::Statement st(raw,
                         "INSERT INTO messages (message_id, sha256, size, raw, "
                         "role, arrived_at, stored_at) VALUES (?, ?, ?, ?, "
                         "'incoming', 5, 5)");
    st.bind(1, in.message_id);
    st.bind(2, in.sha256);
    st.bind(3, static_cast<int64_t>(in.size));
    st.bind(4, in.raw);
    st.exec();
    raw.exec(
        "INSERT INTO tickets (prefix, number, mailbox, customer, subject, "
        "normalized_subject, cls, language, opened_at, updated_at) VALUES "
        "('S', 1000, 'support', 'a@customer.example', 's', 's', 'support', "
        "'en', 5, 5)");
    raw.exec("INSERT INTO ticket_counters VALUES ('S', 1001)");
  }
  auto store = Store::Open(db.path(), &clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  Store& s = **store;
  EXPECT_EQ(s.SchemaVersion().value(), Store::CurrentSchemaVersion());
  // The old message is there and dedupes against the same bytes.
  auto again = s.PutRawMessage(Raw("v1@x", "stored by v1"));
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->id, 1);
  EXPECT_FALSE(again->new_message);
  // The counter continues; the outbox (v2) works against the old ticket.
  auto t = s.CreateTicket({.mailbox = "support",
                           .prefix = "S",
                           .customer = "b@customer.example",
                           .opened_at = T(6)});
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_EQ(t->Tag(), "S-1001");
  auto out = s.EnqueueOutgoing({.ticket_id = 1,
                                .kind = "ack",
                                .mailbox = "support",
                                .message_id = "ack-1@inboxd",
                                .from = "support@shop.example",
                                .recipients = {"a@customer.example"},
                                .raw = "Subject: ack\r\n\r\nhi\r\n"});
  EXPECT_TRUE(out.has_value()) << out.error().ToString();
  EventFilter filter;
  filter.type = "store.migrated";
  auto migrated = s.ListEvents(filter);
  // Only the steps after 1 ran here, in order.
  ASSERT_EQ(migrated->size(), Migrations().size() - 1);
  for (size_t i = 0; i < migrated->size(); ++i) {
    const std::string from = "\"from\":" + std::to_string(i + 1) + ",";
    EXPECT_NE((*migrated)[i].data.find(from), std::string::npos)
        << (*migrated)[i].data;
  }
  // The v3 table works against the old ticket.
  const std::string base(44, 'c');
  EXPECT_TRUE(s.AddTicketThreadIndex(1, base).has_value());
  EXPECT_EQ(s.FindTicketByThreadIndex(base).value().Tag(), "S-1000");
  EXPECT_TRUE(s.VerifyAuditChain().has_value());
}

TEST(StoreOpen, V4DeadlinesAndStatusBecomeMilestonesAndState) {
  TempDb db;
  {
    SQLite::Database raw(db.path(),
                         SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int v = 0; v < 4; ++v) raw.exec(Migrations()[v].sql);
    raw.exec("PRAGMA user_version = 4");
    raw.exec(
        "INSERT INTO messages (message_id, sha256, size, raw, role, "
        "arrived_at, stored_at, state) VALUES ('m1', 'x', 1, 'x', "
        "'incoming', 5, 5, 'processed'), ('m2', 'y', 1, 'y', 'incoming', 6, "
        "6, 'processed')");
    raw.exec(
        "INSERT INTO tickets (prefix, number, mailbox, customer, subject, "
        "normalized_subject, cls, language, opened_at, updated_at, status) "
        "VALUES ('S', 1000, 'support', 'a@c.example', 's', 's', 'quote', "
        "'en', 5, 70, 'answered'), ('S', 1001, 'support', 'b@c.example', "
        "'t', 't', 'quote', 'en', 6, 80, 'closed')");
    raw.exec(
        "INSERT INTO deadlines (ticket_id, deadline_id, name, due_at, met_at, "
        "state, updated_at) VALUES (1, 'D1', 'ack', 100, 50, 'met', 50), "
        "(1, 'D2', 'answer', 900, NULL, 'notified', 60)");
    // Message 1's ack was queued; message 2's ack decision was not yet
    // planned when the old binary stopped.
    raw.exec(
        "INSERT INTO decisions (message_row, kind, cls, thread, language, "
        "ack, reasons, ticket_id, decided_at) VALUES (1, 'human', 'quote', "
        "'new', 'en', 1, '[]', 1, 5), (2, 'human', 'quote', 'new', 'en', 1, "
        "'[]', 2, 6)");
    raw.exec(
        "INSERT INTO outbox (ticket_id, kind, mailbox, message_id, from_addr, "
        "envelope_from, raw, reason, next_attempt_at, created_at, "
        "updated_at) VALUES (1, 'ack', 'support', 'a1', 's@x', 's@x', 'r', "
        "'ack for message 1', 5, 5, 5)");
  }
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(db.path(), &clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  Store& s = **store;
  auto t1 = s.GetTicket(1).value();
  EXPECT_EQ(t1.state, TicketState::kOpen);
  EXPECT_EQ(t1.answered_at, T(70));
  EXPECT_EQ(t1.customer_at, T(5));
  auto t2 = s.GetTicket(2).value();
  EXPECT_EQ(t2.state, TicketState::kClosed);
  EXPECT_EQ(t2.closed_at, T(80));
  EXPECT_TRUE(t2.csat_at.has_value());  // no satisfaction mail after upgrade
  auto ms = s.ListMilestones(1).value();
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].milestone_id, "D1");
  EXPECT_EQ(ms[0].state, MilestoneState::kMet);
  EXPECT_EQ(ms[0].met_at, T(50));
  EXPECT_EQ(ms[1].state, MilestoneState::kOpen);
  EXPECT_EQ(ms[1].notified_at, T(60));
  EXPECT_EQ(ms[1].due_at, T(900));
  EXPECT_EQ(s.NextMilestoneAction().value(), T(900));
  EXPECT_EQ(s.ListUnplannedDecisions().value(), (std::vector<int64_t>{2}));
  EXPECT_TRUE(s.VerifyAuditChain().has_value());
}

TEST(StoreOpen, ReopenedFileKeepsEverything) {
  TempDb db;
  core::FakeClock clock(T(1'800'000'000));
  int64_t message = 0;
  int64_t ticket = 0;
  std::string head;
  {
    auto s = Store::Open(db.path(), &clock);
    ASSERT_TRUE(s.has_value());
    message = (*s)->PutRawMessage(Raw("keep@x", "kept")).value().id;
    ticket = (*s)->CreateTicket({.mailbox = "support",
                                 .prefix = "S",
                                 .customer = "a@customer.example",
                                 .opened_at = T(1),
                                 .first_message = message})
                 .value()
                 .id;
    ASSERT_TRUE((*s)->AdvanceCheckpoint("support", "INBOX", 7, 1).has_value());
    ASSERT_TRUE((*s)->EnqueueOutgoing({.ticket_id = ticket,
                                       .kind = "ack",
                                       .mailbox = "support",
                                       .message_id = "ack@inboxd",
                                       .from = "support@shop.example",
                                       .recipients = {"a@customer.example"},
                                       .raw = "x"})
                    .has_value());
    // A parse that crashed and a send that was cut off before the restart.
    auto poison =
        (*s)->PutRawMessage(Raw("poison@x", "p", "support", "INBOX", 7, 2));
    ASSERT_TRUE(poison.has_value());
    ASSERT_TRUE((*s)->BeginParse(poison->id).has_value());
    ASSERT_TRUE((*s)->BeginParse(poison->id).has_value());
    ASSERT_TRUE((*s)->ClaimNextDue(clock.Now()).value().has_value());
    head = (*s)->VerifyAuditChain().value().last_hash;
  }
  auto s = Store::Open(db.path(), &clock);
  ASSERT_TRUE(s.has_value()) << s.error().ToString();
  EXPECT_EQ((*s)->GetMessage(message).value().message_id, "keep@x");
  EXPECT_EQ((*s)->FindTicketByMessageId("keep@x").value().id, ticket);
  EXPECT_EQ((*s)->GetCheckpoint("support", "INBOX").value().last_uid, 1u);
  EXPECT_EQ((*s)->ListInState(OutboxState::kSending).value().size(), 1u);
  // Both messages are undecided ("keep@x" is on a ticket but has no
  // decision); the poison one shows its two parse attempts.
  auto pending = (*s)->ListUnprocessed().value();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, message);
  EXPECT_EQ(pending[0].parse_attempts, 0);
  auto poison = (*s)->FindMessagesByMessageId("poison@x").value();
  ASSERT_EQ(poison.size(), 1u);
  EXPECT_EQ(pending[1].id, poison[0]);
  EXPECT_EQ(pending[1].parse_attempts, 2);
  auto verified = (*s)->VerifyAuditChain();
  ASSERT_TRUE(verified.has_value());
  EXPECT_EQ(verified->last_hash, head);  // reopening appended nothing
  EXPECT_EQ((*s)->Stats().value().messages_stored, 2);
}

// House rule 10: fail each write of a change in turn; a failed change leaves
// no trace (every table byte-identical), and the change then succeeds.
TEST_F(StoreTest, EveryWriteFailingInTurnLeavesNothingBehind) {
  auto seed = store_->PutRawMessage(Raw("seed@x", "seed"));
  ASSERT_TRUE(seed.has_value());
  auto seed_ticket = store_->CreateTicket({.mailbox = "support",
                                           .prefix = "S",
                                           .customer = "a@customer.example",
                                           .opened_at = T(1),
                                           .first_message = seed->id});
  ASSERT_TRUE(seed_ticket.has_value());
  ASSERT_TRUE(store_->AdvanceCheckpoint("support", "INBOX", 7, 1).has_value());
  auto seed_out = store_->EnqueueOutgoing({.ticket_id = seed_ticket->id,
                                           .kind = "ack",
                                           .mailbox = "support",
                                           .message_id = "seed-ack@inboxd",
                                           .from = "support@shop.example",
                                           .recipients = {"a@x", "b@x"},
                                           .raw = "x"});
  ASSERT_TRUE(seed_out.has_value());

  auto t_msg = store_->PutRawMessage(Raw("t@x", "t", "support", "INBOX", 7, 2));
  auto d_msg = store_->PutRawMessage(Raw("d@x", "d", "support", "INBOX", 7, 3));
  auto n_msg = store_->PutRawMessage(Raw("n@x", "n", "support", "INBOX", 7, 4));
  ASSERT_TRUE(t_msg && d_msg && n_msg);

  int64_t new_message = 0;
  struct Op {
    const char* name;
    std::function<bool()> run;  // true on success
  };
  const Op ops[] = {
      {"put quarantined message",
       [&] {
         RawMessageIn in = Raw("big@x", "big", "sales", "INBOX", 9, 4);
         in.quarantine_reason = "size over limit";
         auto r = store_->PutRawMessage(in);
         if (r) new_message = r->id;
         return r.has_value();
       }},
      {"put known message at a new place (ticket gains mailbox)",
       [&] {
         return store_
             ->PutRawMessage(Raw("seed@x", "seed", "sales", "INBOX", 9, 5))
             .has_value();
       }},
      {"create ticket with first message",
       [&] {
         return store_
             ->CreateTicket({.mailbox = "support",
                             .prefix = "S",
                             .customer = "c@x",
                             .opened_at = T(2),
                             .first_message = t_msg->id})
             .has_value();
       }},
      {"record decision with ticket",
       [&] {
         return store_
             ->RecordDecision(d_msg->id, {.kind = "human",
                                          .reasons_json = "[\"x\"]",
                                          .ticket_id = seed_ticket->id})
             .has_value();
       }},
      {"record decision with new ticket",
       [&] {
         return store_
             ->RecordDecisionWithNewTicket(
                 n_msg->id,
                 {.mailbox = "support", .prefix = "S", .opened_at = T(3)},
                 {.kind = "human", .ack = true})
             .has_value();
       }},
      {"enqueue",
       [&] {
         return store_
             ->EnqueueOutgoing({.kind = "agent_alert",
                                .mailbox = "support",
                                .message_id = "alert@inboxd",
                                .from = "support@shop.example",
                                .recipients = {"agent@shop.example"},
                                .raw = "y"})
             .has_value();
       }},
      {"claim",
       [&] { return store_->ClaimNextDue(T(1'900'000'000)).has_value(); }},
      {"defer",
       [&] {
         return store_->MarkDeferred(seed_out.value(), T(1'900'000'100), "451")
             .has_value();
       }},
      {"uidvalidity reset",
       [&] {
         return store_->AdvanceCheckpoint("support", "INBOX", 8, 0).has_value();
       }},
      {"milestone",
       [&] {
         MilestoneIn in;
         in.milestone_id = "D1";
         in.name = "ack";
         in.timing.started_at = T(1);
         in.timing.due_at = T(9);
         return store_->AddMilestone(seed_ticket->id, in).has_value();
       }},
      {"ticket state",
       [&] {
         return store_
             ->SetTicketState(seed_ticket->id, TicketState::kWaiting, T(5),
                              "agent@shop.example", "$Waiting")
             .has_value();
       }},
  };
  for (const Op& op : ops) {
    SCOPED_TRACE(op.name);
    int failures = 0;
    for (int n = 0;; ++n) {
      ASSERT_LT(n, 100) << "never succeeded";
      const std::string before = DumpAll(db_.path());
      store_->FailWriteForTest(n);
      const bool ok = op.run();
      store_->FailWriteForTest(-1);
      if (ok) break;
      ++failures;
      EXPECT_EQ(DumpAll(db_.path()), before) << "write " << n;
    }
    EXPECT_GT(failures, 0) << "the change wrote nothing";
  }
  EXPECT_GT(new_message, 0);
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());
  // The last step of the defer op deferred the claimed seed row.
  EXPECT_EQ(store_->GetOutgoing(seed_out.value()).value().state,
            OutboxState::kDeferred);
}

// Another process holding the write lock: a writer waits busy_timeout, then
// reports kUnavailable (retry later) and has changed nothing; readers go on.
TEST(StoreLocking, BusyIsUnavailableAndChangesNothing) {
  TempDb db;
  core::FakeClock clock(T(1'800'000'000));
  auto store = Store::Open(db.path(), &clock, std::chrono::milliseconds(50));
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE(
      (*store)->PutRawMessage(Raw("a@x", "a", "support", "INBOX", 7, 1)));
  {
    SQLite::Database other(db.path(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    auto r = (*store)->PutRawMessage(Raw("b@x", "b", "support", "INBOX", 7, 2));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, core::Code::kUnavailable);
    EXPECT_NE(r.error().message.find("support/INBOX uid 7:2"),
              std::string::npos)
        << r.error().message;
    EXPECT_EQ((*store)->GetMessage(1).value().message_id, "a@x");
    other.exec("ROLLBACK");
  }
  EXPECT_TRUE((*store)->FindMessagesByMessageId("b@x").value().empty());
  EXPECT_TRUE(
      (*store)->PutRawMessage(Raw("b@x", "b", "support", "INBOX", 7, 2)));
}

// Two processes (two Stores on one file) and several threads writing at
// once: every message stored once, tag numbers unique, one valid chain.
TEST(StoreLocking, ConcurrentWritersKeepOneChain) {
  TempDb db;
  core::FakeClock clock(T(1'800'000'000));
  auto a = Store::Open(db.path(), &clock);
  auto b = Store::Open(db.path(), &clock);
  ASSERT_TRUE(a.has_value() && b.has_value());
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = (t % 2 == 0) ? **a : **b;
      for (int i = 0; i < kEach; ++i) {
        const uint32_t uid = static_cast<uint32_t>(t * kEach + i + 1);
        auto m = s.PutRawMessage(Raw("m" + std::to_string(uid) + "@x", "x",
                                     "support", "INBOX", 7, uid));
        if (!m) {
          ++failures[t];
          continue;
        }
        if (!s.CreateTicket({.mailbox = "support",
                             .prefix = "S",
                             .opened_at = T(1),
                             .first_message = m->id})) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
  StoreStats stats = (*a)->Stats().value();
  EXPECT_EQ(stats.messages_stored, kThreads * kEach);
  EXPECT_EQ(stats.tickets_open, kThreads * kEach);
  EXPECT_EQ((*b)->FindTicketByTag("S", 1000 + kThreads * kEach - 1)->number,
            1000 + kThreads * kEach - 1);
  EXPECT_TRUE((*a)->VerifyAuditChain().has_value());
}

TEST_F(StoreTest, InjectedFaultIsReportedAsInternal) {
  store_->FailWriteForTest(0);
  auto r = store_->PutRawMessage(Raw("a@x", "a"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kInternal);
  EXPECT_NE(r.error().message.find("injected write fault"), std::string::npos);
  // Only once: the retry succeeds.
  EXPECT_TRUE(store_->PutRawMessage(Raw("a@x", "a")).has_value());
}

TEST_F(StoreTest, StatsCountStates) {
  auto a = store_->PutRawMessage(Raw("a@x", "a", "support", "INBOX", 7, 1));
  auto b = store_->PutRawMessage(Raw("b@x", "b", "support", "INBOX", 7, 2));
  auto c = store_->PutRawMessage(Raw("c@x", "c", "support", "INBOX", 7, 3));
  ASSERT_TRUE(a && b && c);
  ASSERT_TRUE(store_->MarkQuarantined(b->id, "bad mime").has_value());
  ASSERT_TRUE(store_->RecordDecision(c->id, {.kind = "spam"}).has_value());
  StoreStats s = store_->Stats().value();
  EXPECT_EQ(s.messages_stored, 1);
  EXPECT_EQ(s.messages_quarantined, 1);
  EXPECT_EQ(s.messages_processed, 1);
  EXPECT_EQ(s.outbox_queued, 0);
  EXPECT_EQ(s.schema_version, Store::CurrentSchemaVersion());
  EXPECT_GT(s.events, 0);
}

// ------------------------------------------------------------------ batches

int64_t CountRows(const std::string& path, const char* table) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(std::string("SELECT COUNT(*) FROM ") + table).getInt64();
}

TEST_F(StoreTest, BatchCommitsEveryCallAtOnce) {
  const int64_t events_before = CountRows(db_.path(), "events");
  auto batch = store_->BeginBatch();
  ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
  for (uint32_t uid = 1; uid <= 3; ++uid) {
    auto r = store_->PutRawMessage(Raw("b" + std::to_string(uid) + "@x", "body",
                                       "support", "INBOX", 7, uid));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_TRUE(r->new_message);
  }
  ASSERT_TRUE(store_->AdvanceCheckpoint("support", "INBOX", 7, 3).has_value());
  // Reads inside the batch see its changes; other connections do not yet.
  EXPECT_EQ(store_->GetCheckpoint("support", "INBOX").value().last_uid, 3u);
  EXPECT_EQ(CountRows(db_.path(), "messages"), 0);
  ASSERT_TRUE((*batch)->Commit().has_value());
  EXPECT_EQ(CountRows(db_.path(), "messages"), 3);
  EXPECT_EQ(CountRows(db_.path(), "message_locations"), 3);
  // 3 "message.stored" + "checkpoint.created".
  EXPECT_EQ(CountRows(db_.path(), "events"), events_before + 4);
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());
  // Ended: a second commit is refused, and plain calls commit on their own.
  EXPECT_EQ((*batch)->Commit().error().code, core::Code::kFailedPrecondition);
  ASSERT_TRUE(
      store_->PutRawMessage(Raw("after@x", "b", "support", "INBOX", 7, 4))
          .has_value());
  EXPECT_EQ(CountRows(db_.path(), "messages"), 4);
}

TEST_F(StoreTest, BatchDroppedWithoutCommitLeavesNothing) {
  ASSERT_TRUE(store_->PutRawMessage(Raw("seed@x", "seed")).has_value());
  const std::string before = DumpAll(db_.path());
  {
    auto batch = store_->BeginBatch();
    ASSERT_TRUE(batch.has_value());
    for (uint32_t uid = 2; uid <= 4; ++uid) {
      ASSERT_TRUE(store_
                      ->PutRawMessage(Raw("d" + std::to_string(uid) + "@x",
                                          "body", "support", "INBOX", 7, uid))
                      .has_value());
    }
    ASSERT_TRUE(
        store_->AdvanceCheckpoint("support", "INBOX", 7, 4).has_value());
  }
  EXPECT_EQ(DumpAll(db_.path()), before);
  EXPECT_EQ(store_->GetCheckpoint("support", "INBOX").error().code,
            core::Code::kNotFound);
  EXPECT_TRUE(store_->VerifyAuditChain().has_value());
}

TEST_F(StoreTest, SecondBatchOnOneThreadIsRefused) {
  auto batch = store_->BeginBatch();
  ASSERT_TRUE(batch.has_value());
  auto second = store_->BeginBatch();
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, core::Code::kFailedPrecondition);
  EXPECT_TRUE((*batch)->Commit().has_value());
}

// A failing call inside a batch returns the same error and leaves the same
// database as without a batch, for the fault at every write position; the
// rest of the batch commits.
TEST(StoreBatch, FailingCallUndoesOnlyItselfAtEveryFaultPosition) {
  auto run = [](bool batched, int n, const std::string& path,
                std::optional<core::Code>* code) -> bool {
    core::FakeClock clock(T(1'800'000'100));
    auto store = Store::Open(path, &clock);
    EXPECT_TRUE(store.has_value());
    Store& s = **store;
    std::unique_ptr<Store::Batch> batch;
    if (batched) batch = std::move(s.BeginBatch().value());
    EXPECT_TRUE(
        s.PutRawMessage(Raw("a@x", "a", "support", "INBOX", 7, 1)).has_value());
    // Known content at a new place, then an invalid one, then the fault.
    EXPECT_TRUE(
        s.PutRawMessage(Raw("a@x", "a", "sales", "INBOX", 7, 1)).has_value());
    auto clash = s.PutRawMessage(Raw("other@x", "o", "support", "INBOX", 7, 1));
    EXPECT_EQ(clash.error().code, core::Code::kFailedPrecondition);
    s.FailWriteForTest(n);
    auto b = s.PutRawMessage(Raw("b@x", "b", "support", "INBOX", 7, 2));
    s.FailWriteForTest(-1);
    if (!b) *code = b.error().code;
    EXPECT_TRUE(
        s.PutRawMessage(Raw("c@x", "c", "support", "INBOX", 7, 3)).has_value());
    EXPECT_TRUE(s.AdvanceCheckpoint("support", "INBOX", 7, 3).has_value());
    if (batched) {
      EXPECT_TRUE(batch->Commit().has_value());
    }
    EXPECT_TRUE(s.VerifyAuditChain().has_value());
    return b.has_value();
  };
  int failures = 0;
  for (int n = 0;; ++n) {
    ASSERT_LT(n, 100) << "never succeeded";
    SCOPED_TRACE("write " + std::to_string(n));
    TempDb plain, batched;
    std::optional<core::Code> plain_code, batched_code;
    const bool ok = run(false, n, plain.path(), &plain_code);
    EXPECT_EQ(run(true, n, batched.path(), &batched_code), ok);
    EXPECT_EQ(batched_code, plain_code);
    EXPECT_EQ(DumpAll(batched.path()), DumpAll(plain.path()));
    if (ok) break;
    ++failures;
    EXPECT_EQ(CountRows(batched.path(), "messages"), 2);  // a and c
  }
  EXPECT_GT(failures, 0);
}

TEST_F(StoreTest, OtherThreadsWaitForTheBatchAndStayOutOfIt) {
  auto batch = store_->BeginBatch();
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE(store_->PutRawMessage(Raw("in@x", "in", "support", "INBOX", 7, 1))
                  .has_value());
  std::atomic<bool> done{false};
  std::thread other([&] {
    EXPECT_TRUE(
        store_->PutRawMessage(Raw("out@x", "out", "support", "INBOX", 7, 2))
            .has_value());
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(done.load());  // waits for the batch
  batch->reset();             // rolled back: only the other thread's call
  other.join();
  EXPECT_TRUE(done.load());
  EXPECT_TRUE(store_->FindMessagesByMessageId("in@x").value().empty());
  EXPECT_EQ(store_->FindMessagesByMessageId("out@x").value().size(), 1u);
}

}  // namespace
}  // namespace inboxd::store
