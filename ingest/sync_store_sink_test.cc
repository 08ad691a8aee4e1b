#include "ingest/sync_store_sink.h"

#include <gtest/gtest.h>

#include "core/hash.h"
#include "ingest/sync_engine.h"
#include "ingest/sync_fake_source.h"

namespace inboxd::ingest {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const core::TimePoint kNow{seconds(1795455955)};

std::string Mail(int i) {
  return "Message-ID: <s" + std::to_string(i) +
         "@example.com>\r\nSubject: x\r\n\r\nbody " + std::to_string(i) +
         "\r\n";
}

TEST(StoreSyncSinkTest, EngineOverRealStoreResumesAndDedupes) {
  core::FakeClock clock(kNow);
  auto store = store::Store::Open(":memory:", &clock);
  ASSERT_TRUE(store.has_value()) << store.error().ToString();
  StoreSyncSink sink(store->get());
  FakeMailSource source;
  for (int i = 1; i <= 4; ++i) source.Deliver("INBOX", Mail(i), kNow);
  core::Limits limits;
  SyncEngine engine(&source, &sink, &clock, limits);
  SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};

  auto first = engine.SyncFolder(inbox);
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  EXPECT_EQ(first->stored_new, 4u);
  auto cp = (*store)->GetCheckpoint("support", "INBOX");
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->last_uid, 4u);
  EXPECT_EQ(sink.FirstSeenAt("support", kNow + hours(5)).value(), kNow);

  auto again = engine.SyncFolder(inbox);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->fetched, 0u);

  source.ResetUidValidity("INBOX", 42);
  auto rescan = engine.SyncFolder(inbox);
  ASSERT_TRUE(rescan.has_value()) << rescan.error().ToString();
  EXPECT_TRUE(rescan->uid_validity_changed);
  EXPECT_EQ(rescan->duplicates, 4u);
  EXPECT_EQ(rescan->stored_new, 0u);
  auto stats = (*store)->Stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->messages_stored, 4);
}

TEST(StoreSyncSinkTest, StoreWriteFailureAtEachStepLosesNothing) {
  for (int n = 0; n < 12; ++n) {
    core::FakeClock clock(kNow);
    auto store = store::Store::Open(":memory:", &clock);
    ASSERT_TRUE(store.has_value());
    StoreSyncSink sink(store->get());
    FakeMailSource source;
    for (int i = 1; i <= 3; ++i) source.Deliver("INBOX", Mail(i), kNow);
    core::Limits limits;
    SyncEngine engine(&source, &sink, &clock, limits);
    SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};
    (*store)->FailWriteForTest(n);
    (void)engine.SyncFolder(inbox);
    (*store)->FailWriteForTest(-1);
    auto r = engine.SyncFolder(inbox);
    ASSERT_TRUE(r.has_value()) << "n " << n << ": " << r.error().ToString();
    auto stats = (*store)->Stats();
    ASSERT_TRUE(stats.has_value());
    EXPECT_EQ(stats->messages_stored, 3) << "n " << n;
    EXPECT_EQ((*store)->GetCheckpoint("support", "INBOX")->last_uid, 3u);
  }
}

// A fault anywhere (a source call or a store write, inside a checkpoint
// window or at its commit) loses nothing and duplicates nothing after a
// rerun; after the failed run every UID up to the checkpoint is stored.
TEST(StoreSyncSinkTest, FaultInAWindowLosesNothingAndDuplicatesNothing) {
  constexpr int kMessages = 230;  // windows of kCheckpointEvery: 100,100,30
  struct Case {
    const char* name;
    int source_call;  // FakeMailSource::FailCallAt, 0: none
    int store_write;  // Store::FailWriteForTest, -1: none
  };
  const Case cases[] = {
      {"no fault", 0, -1},
      {"examine", 1, -1},
      {"fetch in first window", 40, -1},
      {"fetch in second window", 150, -1},
      {"fetch in last window", 225, -1},
      {"store write in first window", 0, 25},
      {"store write in second window", 0, 500},
      {"store write in last window", 0, 640},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    core::FakeClock clock(kNow);
    auto store = store::Store::Open(":memory:", &clock);
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    store::Store& st = **store;
    StoreSyncSink sink(&st);
    FakeMailSource source;
    for (int i = 1; i <= kMessages; ++i) {
      source.Deliver("INBOX", Mail(i), kNow);
    }
    core::Limits limits;
    SyncEngine engine(&source, &sink, &clock, limits);
    SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};

    if (c.source_call > 0) source.FailCallAt(c.source_call);
    st.FailWriteForTest(c.store_write);
    auto first = engine.SyncFolder(inbox);
    source.FailCallAt(0);
    st.FailWriteForTest(-1);
    EXPECT_EQ(first.has_value(), c.source_call == 0 && c.store_write < 0);
    // Bytes before checkpoint: every UID the checkpoint covers is stored.
    auto cp = st.GetCheckpoint("support", "INBOX");
    const uint32_t covered = cp ? cp->last_uid : 0;
    for (uint32_t i = 1; i <= covered; ++i) {
      EXPECT_EQ(
          st.FindMessagesByMessageId("s" + std::to_string(i) + "@example.com")
              .value()
              .size(),
          1u)
          << "uid " << i;
    }

    auto second = engine.SyncFolder(inbox);
    ASSERT_TRUE(second.has_value()) << second.error().ToString();
    EXPECT_EQ(st.GetCheckpoint("support", "INBOX").value().last_uid,
              static_cast<uint32_t>(kMessages));
    auto stats = st.Stats().value();
    EXPECT_EQ(stats.messages_stored, kMessages);
    store::EventFilter stored;
    stored.type = "message.stored";
    EXPECT_EQ(st.ListEvents(stored).value().size(),
              static_cast<size_t>(kMessages));
    store::EventFilter moved;
    moved.type = "message.location_added";
    EXPECT_TRUE(st.ListEvents(moved).value().empty());
    for (int i = 1; i <= kMessages; ++i) {
      auto rows =
          st.FindMessagesByMessageId("s" + std::to_string(i) + "@example.com");
      ASSERT_EQ(rows.value().size(), 1u) << i;
      EXPECT_EQ(st.GetMessage(rows.value()[0]).value().locations.size(), 1u)
          << i;
    }
    EXPECT_TRUE(st.VerifyAuditChain().has_value());
    // A batch left open would make this call wait forever.
    EXPECT_TRUE(st.PutRawMessage([&] {
                    store::RawMessageIn in;
                    in.mailbox = "support";
                    in.folder = "Other";
                    in.uid_validity = 1;
                    in.uid = 1;
                    in.arrived_at = kNow;
                    in.raw = Mail(1);
                    in.sha256 = core::Sha256Hex(in.raw);
                    in.size = in.raw.size();
                    in.message_id = "s1@example.com";
                    return in;
                  }())
                    .has_value());
  }
}

}  // namespace
}  // namespace inboxd::ingest
