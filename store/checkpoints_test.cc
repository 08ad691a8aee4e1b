// checkpoints_test.cc: forward-only checkpoints and UIDVALIDITY resets.
#include <gtest/gtest.h>

#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::Raw;
using testing::StoreTest;
using testing::T;

TEST_F(StoreTest, CheckpointSteps) {
  EXPECT_EQ(store_->GetCheckpoint("support", "INBOX").error().code,
            core::Code::kNotFound);
  const core::TimePoint first_seen = clock_.Now();
  // Each step is applied in order to the same folder.
  const struct {
    const char* name;
    uint32_t uid_validity;
    uint32_t last_uid;
    uint32_t want_uid_validity;
    uint32_t want_last_uid;
  } steps[] = {
      {"first sync creates", 5, 10, 5, 10},
      {"backwards is ignored", 5, 8, 5, 10},
      {"same is kept", 5, 10, 5, 10},
      {"forward moves", 5, 12, 5, 12},
      {"new uidvalidity resets", 6, 3, 6, 3},
      {"reset may go to 0", 7, 0, 7, 0},
      {"then forward again", 7, 4, 7, 4},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    clock_.Advance(std::chrono::seconds(60));
    auto c = store_->AdvanceCheckpoint("support", "INBOX", s.uid_validity,
                                       s.last_uid);
    ASSERT_TRUE(c.has_value()) << c.error().ToString();
    EXPECT_EQ(c->uid_validity, s.want_uid_validity);
    EXPECT_EQ(c->last_uid, s.want_last_uid);
    EXPECT_EQ(c->last_sync_at, clock_.Now());
    EXPECT_EQ(c->first_seen_at, first_seen + std::chrono::seconds(60));
    auto again = store_->GetCheckpoint("support", "INBOX");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->last_uid, s.want_last_uid);
  }
  EventFilter f;
  f.type = "checkpoint.uidvalidity_changed";
  EXPECT_EQ(store_->ListEvents(f)->size(), 2u);
  f.type = "checkpoint.created";
  EXPECT_EQ(store_->ListEvents(f)->size(), 1u);
}

// ListCheckpoints counts the locations under the current UIDVALIDITY (for
// `inboxd status`); the sync's GetCheckpoint and AdvanceCheckpoint do not
// count (their cost must not grow with the store).
TEST_F(StoreTest, CheckpointCountsMessagesOfCurrentUidValidity) {
  auto counted = [&](const std::string& folder) -> int64_t {
    auto all = store_->ListCheckpoints();
    for (const auto& c : all.value()) {
      if (c.mailbox == "support" && c.folder == folder) return c.messages;
    }
    return -1;
  };
  for (uint32_t uid = 1; uid <= 3; ++uid) {
    ASSERT_TRUE(store_->PutRawMessage(Raw("m" + std::to_string(uid) + "@x", "x",
                                          "support", "INBOX", 5, uid)));
  }
  ASSERT_TRUE(store_->PutRawMessage(Raw("s@x", "x", "support", "Sent", 9, 1)));
  EXPECT_EQ(store_->AdvanceCheckpoint("support", "INBOX", 5, 3)->messages, 0);
  EXPECT_EQ(store_->GetCheckpoint("support", "INBOX")->messages, 0);
  EXPECT_EQ(counted("INBOX"), 3);
  // After a UIDVALIDITY change the old locations no longer count; the rescan
  // adds new locations for the same (deduplicated) messages.
  ASSERT_TRUE(store_->AdvanceCheckpoint("support", "INBOX", 6, 0));
  EXPECT_EQ(counted("INBOX"), 0);
  auto again =
      store_->PutRawMessage(Raw("m1@x", "x", "support", "INBOX", 6, 1));
  ASSERT_TRUE(again.has_value());
  EXPECT_FALSE(again->new_message);
  EXPECT_TRUE(again->new_location);
  ASSERT_TRUE(store_->AdvanceCheckpoint("support", "INBOX", 6, 1));
  EXPECT_EQ(counted("INBOX"), 1);
  EXPECT_EQ(counted("Sent"), -1);  // never synced: no checkpoint
}

TEST_F(StoreTest, ListCheckpointsAndBadInput) {
  ASSERT_TRUE(store_->AdvanceCheckpoint("support", "INBOX", 1, 1));
  ASSERT_TRUE(store_->AdvanceCheckpoint("sales", "Sent", 2, 2));
  ASSERT_TRUE(store_->AdvanceCheckpoint("sales", "INBOX", 3, 3));
  auto all = store_->ListCheckpoints().value();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].mailbox + "/" + all[0].folder, "sales/INBOX");
  EXPECT_EQ(all[1].mailbox + "/" + all[1].folder, "sales/Sent");
  EXPECT_EQ(all[2].mailbox + "/" + all[2].folder, "support/INBOX");

  const struct {
    const char* mailbox;
    const char* folder;
    uint32_t uid_validity;
  } bad[] = {{"", "INBOX", 1}, {"support", "", 1}, {"support", "INBOX", 0}};
  for (const auto& b : bad) {
    auto r = store_->AdvanceCheckpoint(b.mailbox, b.folder, b.uid_validity, 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, core::Code::kInvalidArgument);
  }
}

}  // namespace
}  // namespace inboxd::store
