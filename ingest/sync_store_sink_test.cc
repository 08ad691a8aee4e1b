#include "ingest/sync_store_sink.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace inboxd::ingest
