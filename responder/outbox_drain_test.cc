// outbox_drain_test.cc: sent exactly once across 4xx, 5xx, crashes (rows
// left in "sending") and store write faults; Sent copies (C1); backoff.
#include "responder/outbox_drain.h"

#include <gtest/gtest.h>

#include "core/shutdown.h"
#include "responder/outbox_test_rig.h"

namespace inboxd::responder {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::Incoming;
using testing::kT0;
using testing::Rig;

core::Error Smtp4xx() {
  return core::Error::Unavailable("smtp: 451 try later");
}
core::Error Smtp5xx() {
  return core::Error::FailedPrecondition("smtp: 550 no such user");
}

// One customer mail, planned: one queued ack. Returns its outbox row.
store::Outgoing QueueOneAck(Rig& rig, Incoming in = {}) {
  rig.Receive(in);
  auto r = rig.NewPlanner()->PlanPending(rig.clock.Now());
  INBOXD_CHECK(r.has_value() && r->enqueued == 1);
  return rig.Rows(store::OutboxState::kQueued).at(0);
}

TEST(OutboxDrainTest, BackoffTable) {
  const seconds m{60}, h{3600};
  struct Case {
    int attempts;
    seconds want;
  } cases[] = {{0, m}, {1, 2 * m}, {2, 4 * m}, {5, 32 * m},
               {6, h}, {7, h},     {60, h},    {1000, h}};
  for (const Case& c : cases) {
    EXPECT_EQ(BackoffDelay(c.attempts, m, h), c.want) << c.attempts;
  }
}

TEST(OutboxDrainTest, SendsAppendsToSentAndMeetsD1) {
  Rig rig;
  auto row = QueueOneAck(rig);
  auto r = rig.NewDrain()->DrainOnce(rig.clock.Now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->appended, 1);
  EXPECT_TRUE(r->errors.empty()) << r->errors.front();
  ASSERT_EQ(rig.mailer.sent().size(), 1u);
  EXPECT_EQ(rig.mailer.sent()[0].raw, row.raw);
  EXPECT_EQ(rig.mailer.sent()[0].recipients, row.recipients);
  auto got = rig.db->GetOutgoing(row.id);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->state, store::OutboxState::kSent);
  EXPECT_TRUE(got->appended_to_sent_at.has_value());
  EXPECT_EQ(rig.sent.folders["support"].size(), 1u);
  auto milestones = rig.db->ListMilestones(row.ticket_id);
  ASSERT_TRUE(milestones.has_value());
  ASSERT_FALSE(milestones->empty());
  for (const auto& m : *milestones) {
    EXPECT_EQ(m.state, m.name == "ack" ? store::MilestoneState::kMet
                                       : store::MilestoneState::kOpen)
        << m.milestone_id;
    if (m.name == "ack") {
      // The evidence: our own acknowledgement.
      EXPECT_EQ(m.evidence.by, "our_mail");
      EXPECT_EQ(m.evidence.message_id, row.message_id);
      EXPECT_EQ(m.evidence.outbox_id, row.id);
    }
  }
  // Nothing more to do.
  auto again = rig.NewDrain()->DrainOnce(rig.clock.Now() + minutes(5));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->sent, 0);
  EXPECT_EQ(rig.mailer.attempts(), 1);
}

// The Sent copies of a run come after its sends: a copy's APPEND does not
// hold up the next customer's acknowledgement.
TEST(OutboxDrainTest, SentCopiesFollowTheRunsSends) {
  class OrderSent final : public SentFolder {
   public:
    explicit OrderSent(FakeMailer* mailer) : mailer_(mailer) {}
    core::Result<bool> ContainsMessageId(std::string_view,
                                         std::string_view) override {
      return false;
    }
    core::Status Append(std::string_view, std::string_view) override {
      sends_before_append.push_back(mailer_->attempts());
      return core::Ok();
    }
    std::vector<int> sends_before_append;

   private:
    FakeMailer* mailer_;
  };
  Rig rig;
  for (int i = 0; i < 3; ++i) {
    Incoming in;
    in.from = "Customer " + std::to_string(i) + " <c" + std::to_string(i) +
              "@customer.example>";
    rig.Receive(in);
  }
  ASSERT_EQ(rig.NewPlanner()->PlanPending(rig.clock.Now())->enqueued, 3);
  OrderSent sent(&rig.mailer);
  auto d =
      OutboxDrain::Create(&rig.config, rig.db.get(),
                          {{"support", &rig.mailer}, {"sales", &rig.mailer}},
                          &sent, rig.templates.get(), "test-key", {});
  ASSERT_TRUE(d.has_value());
  auto r = (*d)->DrainOnce(rig.clock.Now());
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sent, 3);
  EXPECT_EQ(r->appended, 3);
  EXPECT_EQ(sent.sends_before_append, (std::vector<int>{3, 3, 3}));
  EXPECT_TRUE(rig.db->ListSentNotAppended()->empty());
}

TEST(OutboxDrainTest, TemporaryFailureBacksOffAndSendsAfterRestart) {
  Rig rig;
  auto row = QueueOneAck(rig);
  rig.mailer.FailAll(Smtp4xx());
  auto drain = rig.NewDrain();
  ASSERT_EQ(drain->DrainOnce(kT0)->deferred, 1);
  auto got = rig.db->GetOutgoing(row.id);
  EXPECT_EQ(got->state, store::OutboxState::kDeferred);
  EXPECT_EQ(got->next_attempt_at, kT0 + minutes(1));
  EXPECT_NE(got->last_error.find("451"), std::string::npos);
  // Not due yet: no attempt.
  ASSERT_EQ(drain->DrainOnce(kT0 + seconds(30))->deferred, 0);
  EXPECT_EQ(rig.mailer.attempts(), 1);
  // Second failure doubles the delay.
  ASSERT_EQ(drain->DrainOnce(kT0 + minutes(1))->deferred, 1);
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->next_attempt_at,
            kT0 + minutes(1) + minutes(2));
  // Restart: a new drain honours the stored next_attempt_at.
  rig.mailer.ClearFaults();
  auto restarted = rig.NewDrain();
  ASSERT_EQ(restarted->DrainOnce(kT0 + minutes(2))->sent, 0);
  auto r = restarted->DrainOnce(kT0 + minutes(3));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(rig.mailer.sent().size(), 1u);
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kSent);
}

TEST(OutboxDrainTest, TemporaryFailuresGiveUpAfterMaxAge) {
  Rig rig;
  auto row = QueueOneAck(rig);
  rig.mailer.FailAll(Smtp4xx());
  auto drain = rig.NewDrain();
  core::TimePoint now = kT0;
  for (int i = 0; i < 200; ++i) {
    auto got = rig.db->GetOutgoing(row.id);
    if (got->state == store::OutboxState::kFailed) break;
    now = std::max(now, got->next_attempt_at);
    ASSERT_TRUE(drain->DrainOnce(now).has_value());
  }
  auto got = rig.db->GetOutgoing(row.id);
  EXPECT_EQ(got->state, store::OutboxState::kFailed);
  EXPECT_GE(now - kT0, DrainOptions{}.max_age);
  EXPECT_LT(now - kT0, DrainOptions{}.max_age + std::chrono::hours(1));
  EXPECT_NE(got->last_error.find("gave up"), std::string::npos);
  EXPECT_EQ(rig.mailer.sent().size(), 0u);
}

// [responder] retry_after, retry_max, give_up_after reach the drain and
// shape its schedule.
TEST(OutboxDrainTest, RetryScheduleComesFromTheConfig) {
  config::Responder r;
  r.retry_after = seconds(30);
  r.retry_max = minutes(2);
  r.give_up_after = minutes(10);
  const DrainOptions o = DrainOptionsFrom(r);
  EXPECT_EQ(o.initial_backoff, seconds(30));
  EXPECT_EQ(o.max_backoff, minutes(2));
  EXPECT_EQ(o.max_age, minutes(10));
  const DrainOptions d = DrainOptionsFrom(config::Responder{});
  EXPECT_EQ(d.initial_backoff, DrainOptions{}.initial_backoff);
  EXPECT_EQ(d.max_backoff, DrainOptions{}.max_backoff);
  EXPECT_EQ(d.max_age, DrainOptions{}.max_age);

  Rig rig;
  auto row = QueueOneAck(rig);
  rig.mailer.FailAll(Smtp4xx());
  auto drain = rig.NewDrain(o);
  std::vector<core::TimePoint> tries;
  core::TimePoint now = kT0;
  for (int i = 0; i < 50; ++i) {
    auto got = rig.db->GetOutgoing(row.id);
    if (got->state == store::OutboxState::kFailed) break;
    now = std::max(now, got->next_attempt_at);
    tries.push_back(now);
    ASSERT_TRUE(drain->DrainOnce(now).has_value());
  }
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kFailed);
  // 30 s, 60 s, then 2 min (capped) until 10 min after queueing.
  ASSERT_GE(tries.size(), 4u);
  EXPECT_EQ(tries[1] - tries[0], seconds(30));
  EXPECT_EQ(tries[2] - tries[1], seconds(60));
  EXPECT_EQ(tries[3] - tries[2], minutes(2));
  EXPECT_GE(tries.back() - kT0, minutes(10));
  EXPECT_LT(tries.back() - kT0, minutes(12));
}

// A shutdown that cuts the SMTP dialogue before DATA: the row is queued
// again, due at once, and the cut is not an attempt (no backoff, no step
// towards give_up_after). The next run sends it.
TEST(OutboxDrainTest, ShutdownBeforeDataRequeuesWithoutCountingAnAttempt) {
  class ShutdownMailer final : public Mailer {
   public:
    core::Status Send(std::string_view, const std::vector<std::string>&,
                      std::string_view) override {
      ++calls;
      core::RequestShutdown();
      return core::Fail(
          core::Error::Unavailable("smtp: interrupted: shutting down"));
    }
    int calls = 0;
  };
  Rig rig;
  auto row = QueueOneAck(rig);
  ShutdownMailer cut;
  auto d = OutboxDrain::Create(&rig.config, rig.db.get(),
                               {{"support", &cut}, {"sales", &cut}}, &rig.sent,
                               rig.templates.get(), "test-key", {});
  ASSERT_TRUE(d.has_value());
  auto r = (*d)->DrainOnce(kT0);
  core::ResetShutdown();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(cut.calls, 1);
  EXPECT_EQ(r->deferred, 0);
  EXPECT_EQ(r->sent, 0);
  auto got = rig.db->GetOutgoing(row.id);
  EXPECT_EQ(got->state, store::OutboxState::kQueued);
  EXPECT_EQ(got->attempts, 0);
  EXPECT_EQ(got->next_attempt_at, kT0);
  store::EventFilter requeued;
  requeued.type = "outbox.requeued";
  auto events = rig.db->ListEvents(requeued);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_NE(events->at(0).data.find("shutting down"), std::string::npos)
      << events->at(0).data;
  // The next start sends it at once.
  auto next = rig.NewDrain()->DrainOnce(kT0);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->sent, 1);
  EXPECT_EQ(rig.mailer.sent().size(), 1u);
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kSent);
}

TEST(OutboxDrainTest, PermanentFailureFailsAndAlerts) {
  struct Case {
    std::string name;
    bool with_route;
    int want_alert_sends;
    int want_audited;
  } cases[] = {{"route escalates to manager", true, 1, 0},
               {"no alert address", false, 0, 1}};
  for (const Case& c : cases) {
    Rig rig;
    if (!c.with_route) rig.config.routes.clear();
    auto row = QueueOneAck(rig);
    rig.mailer.FailOn(1, Smtp5xx());
    auto r = rig.NewDrain()->DrainOnce(kT0);
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(r->failed, 1) << c.name;
    EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kFailed);
    EXPECT_EQ(rig.Events("outbox.failed").size(), 1u);
    EXPECT_EQ(r->alerts_queued, c.want_alert_sends) << c.name;
    EXPECT_EQ(r->alerts_audited, c.want_audited) << c.name;
    EXPECT_EQ(static_cast<int>(rig.Events("agent.alert").size()),
              c.want_audited);
    // The alert went out in the same run, to the manager, about the ticket.
    auto sent = rig.mailer.sent();
    ASSERT_EQ(static_cast<int>(sent.size()), c.want_alert_sends) << c.name;
    if (c.want_alert_sends == 1) {
      EXPECT_EQ(sent[0].recipients,
                std::vector<std::string>{"manager@shop.example"});
      auto alert = ingest::ParseMessage(sent[0].raw, core::Limits{});
      ASSERT_TRUE(alert.has_value());
      EXPECT_NE(alert->subject.find("S-1000"), std::string::npos);
      EXPECT_NE(alert->text.find("550"), std::string::npos);
    }
  }
}

TEST(OutboxDrainTest, CrashLeftSendingRowIsResolvedThroughSentFolder) {
  struct Case {
    std::string name;
    bool already_in_sent;
    int want_sends;
  } cases[] = {{"server took it, copy in Sent: no resend", true, 0},
               {"not in Sent: sent once", false, 1}};
  for (const Case& c : cases) {
    Rig rig;
    auto row = QueueOneAck(rig);
    // The crashed process had claimed it (and maybe sent it).
    auto claimed = rig.db->ClaimNextDue(kT0);
    ASSERT_TRUE(claimed.has_value() && claimed->has_value());
    if (c.already_in_sent) rig.sent.folders["support"].push_back(row.raw);
    auto r = rig.NewDrain()->DrainOnce(kT0 + minutes(1));
    ASSERT_TRUE(r.has_value()) << c.name;
    EXPECT_EQ(static_cast<int>(rig.mailer.sent().size()), c.want_sends)
        << c.name;
    EXPECT_EQ(r->recovered_from_sent, c.already_in_sent ? 1 : 0);
    EXPECT_EQ(r->resent_after_crash, c.already_in_sent ? 0 : 1);
    auto got = rig.db->GetOutgoing(row.id);
    EXPECT_EQ(got->state, store::OutboxState::kSent) << c.name;
    EXPECT_TRUE(got->appended_to_sent_at.has_value()) << c.name;
    EXPECT_EQ(rig.sent.folders["support"].size(), 1u) << c.name;  // one copy
  }
}

TEST(OutboxDrainTest, SendingRowIsNotResentWhileSentFolderCannotBeSearched) {
  Rig rig;
  auto row = QueueOneAck(rig);
  ASSERT_TRUE(rig.db->ClaimNextDue(kT0).has_value());
  rig.sent.fail_lookups = true;
  auto drain = rig.NewDrain();
  auto r = drain->DrainOnce(kT0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(rig.mailer.attempts(), 0);
  EXPECT_FALSE(r->errors.empty());
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kSending);
  rig.sent.fail_lookups = false;
  ASSERT_TRUE(drain->DrainOnce(kT0 + minutes(1)).has_value());
  EXPECT_EQ(rig.mailer.sent().size(), 1u);
  EXPECT_EQ(rig.db->GetOutgoing(row.id)->state, store::OutboxState::kSent);
}

TEST(OutboxDrainTest, FailedSentAppendIsRetriedNeverResent) {
  Rig rig;
  auto row = QueueOneAck(rig);
  rig.sent.fail_appends = true;
  auto r = rig.NewDrain()->DrainOnce(kT0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->appended, 0);
  EXPECT_FALSE(rig.db->GetOutgoing(row.id)->appended_to_sent_at.has_value());
  rig.sent.fail_appends = false;
  auto r2 = rig.NewDrain()->DrainOnce(kT0 + minutes(1));
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->appended, 1);
  EXPECT_EQ(r2->sent, 0);
  EXPECT_EQ(rig.mailer.attempts(), 1);
  EXPECT_TRUE(rig.db->GetOutgoing(row.id)->appended_to_sent_at.has_value());
  EXPECT_EQ(rig.sent.folders["support"].size(), 1u);
}

TEST(OutboxDrainTest, AuthRefusedDefersAndStopsTheRun) {
  Rig rig;
  QueueOneAck(rig);
  Incoming second;
  second.from = "bob@customer.example";
  rig.Receive(second);
  ASSERT_EQ(rig.NewPlanner()->PlanPending(kT0)->enqueued, 1);
  rig.mailer.FailAll(core::Error::PermissionDenied("smtp: 535 auth failed"));
  auto r = rig.NewDrain()->DrainOnce(kT0);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->deferred, 1);
  EXPECT_EQ(rig.mailer.attempts(), 1);  // the second row was not tried
  EXPECT_EQ(rig.Rows(store::OutboxState::kQueued).size(), 1u);
}

// Fault injection (house rule 10): the n-th store write of a plan + drain
// run fails; then clean runs, with the same or with new instances (a
// restart). Every acknowledgement is sent exactly once.
TEST(OutboxDrainTest, EveryStoreWriteFaultThenCleanRunSendsEachAckOnce) {
  constexpr int kMails = 3;
  for (bool restart : {false, true}) {
    bool saw_clean_run = false;
    int faulted_runs = 0;
    for (int n = 0; n < 200 && !saw_clean_run; ++n) {
      SCOPED_TRACE("restart=" + std::to_string(restart) + " fault at write " +
                   std::to_string(n));
      Rig rig;
      for (int i = 0; i < kMails; ++i) {
        Incoming in;
        in.from = "c" + std::to_string(i) + "@customer.example";
        in.subject = "Mail " + std::to_string(i);
        rig.Receive(in);
      }
      rig.mailer.FailOn(2, Smtp4xx());  // one deferral on the way
      auto planner = rig.NewPlanner();
      auto drain = rig.NewDrain();
      rig.db->FailWriteForTest(n);
      auto p = planner->PlanPending(rig.clock.Now());
      auto d = drain->DrainOnce(rig.clock.Now());
      bool faulted = !p.has_value() || !d.has_value() || p->errors > 0 ||
                     !d->errors.empty();
      rig.db->FailWriteForTest(-1);
      if (restart) {
        planner = rig.NewPlanner();
        drain = rig.NewDrain();
      }
      // Clean runs until everything settled (the deferral needs 1 min).
      for (int round = 0; round < 4; ++round) {
        rig.clock.Advance(minutes(2));
        ASSERT_TRUE(planner->PlanPending(rig.clock.Now()).has_value());
        auto dr = drain->DrainOnce(rig.clock.Now());
        ASSERT_TRUE(dr.has_value());
        EXPECT_TRUE(dr->errors.empty()) << dr->errors.front();
      }
      auto sends = rig.SendsPerMessageId();
      EXPECT_EQ(static_cast<int>(sends.size()), kMails);
      for (const auto& [id, count] : sends) EXPECT_EQ(count, 1) << id;
      EXPECT_EQ(static_cast<int>(rig.Rows(store::OutboxState::kSent).size()),
                kMails);
      for (const auto& row : rig.Rows(store::OutboxState::kSent)) {
        EXPECT_TRUE(row.appended_to_sent_at.has_value()) << row.message_id;
      }
      EXPECT_EQ(static_cast<int>(rig.sent.folders["support"].size()), kMails);
      EXPECT_TRUE(rig.db->VerifyAuditChain().has_value());
      saw_clean_run = !faulted;
      faulted_runs += faulted ? 1 : 0;
      if (HasFailure()) return;
    }
    EXPECT_TRUE(saw_clean_run) << "fault index never ran past the last write";
    // Every write of plan (deadlines, enqueue) and drain (claim, sent,
    // appended, deferred, deadline met) was hit once.
    EXPECT_GT(faulted_runs, 15);
  }
}

}  // namespace
}  // namespace inboxd::responder
