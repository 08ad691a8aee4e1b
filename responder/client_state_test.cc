// client_state_test.cc: keywords and folders from the mail client close a
// ticket or set it waiting, once per mark, over a fake flag source.
#include "responder/client_state.h"

#include <gtest/gtest.h>

#include "responder/outbox_test_rig.h"

namespace inboxd::responder {
namespace {

using testing::Incoming;
using testing::kT0;
using testing::Rig;

class FakeFlags : public FlagSource {
 public:
  core::Result<FolderFlags> ReadFlags(const std::string& mailbox,
                                      const std::string& folder,
                                      std::span<const uint32_t> uids,
                                      uint64_t changed_since) override {
    ++reads;
    last_since = changed_since;
    FolderFlags out;
    out.uid_validity = 7;  // the rig's
    out.condstore = condstore;
    out.highest_modseq = modseq;
    for (uint32_t uid : uids) {
      auto it = flags.find({mailbox, folder, uid});
      if (it == flags.end()) continue;
      if (condstore && changed_since > 0 &&
          it->second.second <= changed_since) {
        continue;
      }
      out.messages.emplace_back(uid, it->second.first);
    }
    return out;
  }
  void Set(uint32_t uid, std::vector<std::string> f) {
    flags[{"support", "INBOX", uid}] = {std::move(f), ++modseq};
  }

  std::map<std::tuple<std::string, std::string, uint32_t>,
           std::pair<std::vector<std::string>, uint64_t>>
      flags;
  bool condstore = true;
  uint64_t modseq = 10;
  int reads = 0;
  uint64_t last_since = 0;
};

class ClientStateTest : public ::testing::Test {
 protected:
  ClientStateTest() {
    auto w = ClientStateWatcher::Create(&rig_.config, rig_.db.get(), &flags_);
    EXPECT_TRUE(w.has_value());
    watcher_ = std::move(*w);
  }
  // A customer message on a new support ticket with its milestones (IMAP
  // uid = the rig's message number).
  testing::Recorded Open() {
    auto rec = rig_.Receive({});
    EXPECT_TRUE(rig_.NewPlanner()->PlanPending(rig_.clock.Now()).has_value());
    return rec;
  }
  store::Ticket TicketOf(int64_t id) { return rig_.db->GetTicket(id).value(); }
  ClientStateReport Poll() {
    return watcher_->Poll(rig_.clock.Now(), /*force=*/true);
  }

  Rig rig_;
  FakeFlags flags_;
  std::unique_ptr<ClientStateWatcher> watcher_;
};

TEST_F(ClientStateTest, DoneKeywordClosesOnceAndStartsTheFollowUp) {
  auto rec = Open();
  EXPECT_EQ(Poll().closed, 0);
  rig_.clock.Advance(std::chrono::minutes(30));
  flags_.Set(1, {"\\Seen", "$done"});  // keywords compare without case
  ClientStateReport r = Poll();
  EXPECT_TRUE(r.errors.empty()) << r.errors.front();
  EXPECT_EQ(r.closed, 1);
  store::Ticket t = TicketOf(rec.ticket_id);
  EXPECT_EQ(t.state, store::TicketState::kClosed);
  EXPECT_EQ(t.closed_at, kT0 + std::chrono::minutes(30));
  auto ms = rig_.db->ListMilestones(rec.ticket_id).value();
  std::map<std::string, store::Milestone> by;
  for (const auto& m : ms) by[m.milestone_id] = m;
  // D1 met by the closing (its evidence names the message and folder); D7
  // (follow-up) starts now, 48 h.
  EXPECT_EQ(by["D1"].state, store::MilestoneState::kMet);
  EXPECT_EQ(by["D1"].evidence.by, "closed");
  EXPECT_EQ(by["D1"].evidence.folder, "INBOX");
  EXPECT_EQ(by["D1"].evidence.message_id, "m1@customer.example");
  ASSERT_TRUE(by.count("D7"));
  EXPECT_EQ(by["D7"].due_at,
            kT0 + std::chrono::minutes(30) + std::chrono::hours(48));
  auto events = rig_.Events("ticket.state");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].actor, "mail client");
  EXPECT_NE(
      events[0].FullData().find("keyword $Done on <m1@customer.example> in "
                                "support/INBOX"),
      std::string::npos)
      << events[0].FullData();
  // CONDSTORE: the read that found $Done asked only for changes since the
  // HIGHESTMODSEQ of the first read (10); a closed ticket is not read.
  EXPECT_EQ(flags_.last_since, 10u);
  const int reads = flags_.reads;
  Poll();
  EXPECT_EQ(flags_.reads, reads);

  // The customer writes again: reopened; the old $Done does not close it
  // again, even after a restart (a new watcher reads everything).
  testing::Incoming again;
  again.existing_ticket = rec.ticket_id;
  again.ack = false;
  again.decision = "followup";
  rig_.Receive(again);
  ASSERT_TRUE(rig_.NewPlanner()->PlanPending(rig_.clock.Now()).has_value());
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kOpen);
  auto w2 = ClientStateWatcher::Create(&rig_.config, rig_.db.get(), &flags_);
  ASSERT_TRUE(w2.has_value());
  EXPECT_EQ((*w2)->Poll(rig_.clock.Now(), true).closed, 0);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kOpen);
  // $Done on the customer's new message closes it again.
  flags_.Set(2, {"$Done"});
  EXPECT_EQ((*w2)->Poll(rig_.clock.Now(), true).closed, 1);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kClosed);
}

TEST_F(ClientStateTest, WaitingKeywordPausesAndRemovingItLetsItActAgain) {
  flags_.condstore = false;  // a bounded FLAGS fetch every time
  auto rec = Open();
  flags_.Set(1, {"$Waiting"});
  EXPECT_EQ(Poll().waiting, 1);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kWaiting);
  auto ms = rig_.db->ListMilestones(rec.ticket_id).value();
  ASSERT_FALSE(ms.empty());
  EXPECT_TRUE(ms[0].paused_at.has_value());
  EXPECT_FALSE(rig_.db->NextMilestoneAction().value().has_value());
  EXPECT_EQ(flags_.last_since, 0u);
  // Polled again: nothing new.
  EXPECT_EQ(Poll().waiting, 0);
  // The customer answers: open again (clocks resume); the agent removes
  // and sets $Waiting again: waiting again.
  testing::Incoming again;
  again.existing_ticket = rec.ticket_id;
  again.ack = false;
  again.decision = "followup";
  rig_.Receive(again);
  ASSERT_TRUE(rig_.NewPlanner()->PlanPending(rig_.clock.Now()).has_value());
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kOpen);
  EXPECT_EQ(Poll().waiting, 0);  // the old mark acted already
  flags_.Set(1, {});
  Poll();
  flags_.Set(1, {"$Waiting"});
  EXPECT_EQ(Poll().waiting, 1);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kWaiting);
}

TEST_F(ClientStateTest, DoneWinsOverWaitingAndPollEveryIsHonoured) {
  auto rec = Open();
  flags_.Set(1, {"$Waiting", "$Done"});
  ClientStateReport r = watcher_->Poll(rig_.clock.Now());
  EXPECT_EQ(r.closed, 1);
  EXPECT_EQ(r.waiting, 0);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kClosed);
  // Closed tickets are not read any more; within poll_every nothing is.
  const int reads = flags_.reads;
  watcher_->Poll(rig_.clock.Now() + std::chrono::seconds(10));
  EXPECT_EQ(flags_.reads, reads);
}

TEST_F(ClientStateTest, MessageFiledInADoneFolderClosesTheTicket) {
  rig_.config.tickets.close_folders = {"Erledigt"};
  auto w = ClientStateWatcher::Create(&rig_.config, rig_.db.get(), &flags_);
  ASSERT_TRUE(w.has_value());
  auto rec = Open();
  // The agent moved the message to "Erledigt": ingest saw it there.
  auto stored = rig_.db->GetMessage(rec.message_row).value();
  store::RawMessageIn in;
  in.mailbox = "support";
  in.folder = "Erledigt";
  in.uid_validity = 9;
  in.uid = 1;
  in.arrived_at = rig_.clock.Now();
  in.raw = stored.raw;
  in.sha256 = stored.sha256;
  in.message_id = stored.message_id;
  in.size = stored.size;
  ASSERT_TRUE(rig_.db->PutRawMessage(in).has_value());
  ClientStateReport r = (*w)->Poll(rig_.clock.Now(), true);
  EXPECT_EQ(r.closed, 1);
  EXPECT_EQ(TicketOf(rec.ticket_id).state, store::TicketState::kClosed);
  auto events = rig_.Events("ticket.state");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].FullData().find("filed in folder Erledigt"),
            std::string::npos)
      << events[0].FullData();
}

}  // namespace
}  // namespace inboxd::responder
