#include "ingest/sync_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <optional>
#include <stop_token>
#include <thread>

#include "ingest/sync_daemon.h"
#include "ingest/sync_fake_source.h"
#include "ingest/sync_memory_sink.h"

namespace inboxd::ingest {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const core::TimePoint kNow{seconds(1795455955)};

std::string Mail(int i, std::string_view extra = "") {
  return "Message-ID: <m" + std::to_string(i) +
         "@example.com>\r\nSubject: " + std::to_string(i) + "\r\n" +
         std::string(extra) + "\r\nbody " + std::to_string(i) + "\r\n";
}

struct Rig {
  FakeMailSource source;
  MemorySyncSink sink;
  core::FakeClock clock{kNow};
  core::Limits limits;
  SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};

  Rig() { limits.max_message_bytes = 1000; }
  core::Result<SyncReport> Sync(const SyncTarget& t) {
    return SyncEngine(&source, &sink, &clock, limits).SyncFolder(t);
  }
  core::Result<SyncReport> Sync() { return Sync(inbox); }
  size_t Locations() {
    size_t n = 0;
    for (const auto& m : sink.Messages()) n += m.locations.size();
    return n;
  }
};

TEST(SyncEngineTest, FirstSyncStoresAllAndRestartFetchesNothing) {
  Rig rig;
  for (int i = 1; i <= 5; ++i) rig.source.Deliver("INBOX", Mail(i), kNow);
  auto r = rig.Sync();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->fetched, 5u);
  EXPECT_EQ(r->stored_new, 5u);
  EXPECT_EQ(r->last_uid, 5u);
  auto cp = rig.sink.GetCheckpoint("support", "INBOX").value();
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->last_uid, 5u);
  EXPECT_EQ(rig.sink.Messages()[0].first.message_id, "m1@example.com");
  EXPECT_EQ(rig.sink.Messages()[0].first.raw, Mail(1));

  // A restart with no new mail: UIDNEXT proves it; no search, no fetch.
  auto before = rig.source.Calls();
  auto again = rig.Sync();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->fetched, 0u);
  auto after = rig.source.Calls();
  EXPECT_EQ(after["Fetch"], before["Fetch"]);
  EXPECT_EQ(after["ListUidsFrom"], before["ListUidsFrom"]);

  // New mail: only it is fetched.
  rig.source.Deliver("INBOX", Mail(6), kNow);
  auto third = rig.Sync();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->fetched, 1u);
  EXPECT_EQ(third->stored_new, 1u);
  EXPECT_EQ(rig.source.Calls()["Fetch"], 6);
  EXPECT_EQ(rig.sink.puts(), 6);
}

// A requested stop (a config reload) ends a sync between two messages: the
// next sync resumes where it stopped and nothing is stored twice.
TEST(SyncEngineTest, StopEndsTheSyncBetweenMessagesAndTheNextResumes) {
  Rig rig;
  for (int i = 1; i <= 5; ++i) rig.source.Deliver("INBOX", Mail(i), kNow);
  std::stop_source stop;
  stop.request_stop();
  SyncEngine stopped(&rig.source, &rig.sink, &rig.clock, rig.limits);
  stopped.SetStop(stop.get_token());
  auto r = stopped.SyncFolder(rig.inbox);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kUnavailable);
  EXPECT_NE(r.error().message.find("support/INBOX: interrupted"),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(rig.sink.puts(), 0);
  auto resumed = rig.Sync();
  ASSERT_TRUE(resumed.has_value()) << resumed.error().ToString();
  EXPECT_EQ(resumed->stored_new, 5u);
  EXPECT_EQ(rig.sink.Messages().size(), 5u);
}

TEST(SyncEngineTest, ProgressBarOnlyWhenAskedAndForLongSyncs) {
  struct {
    bool bar;
    int messages;
    bool want_bar;
  } cases[] = {{true, static_cast<int>(kBarMinMessages), true},
               {true, 3, false},
               {false, static_cast<int>(kBarMinMessages), false}};
  for (const auto& c : cases) {
    Rig rig;
    for (int i = 1; i <= c.messages; ++i) {
      rig.source.Deliver("INBOX", Mail(i), kNow);
    }
    SyncEngine::SetProgressBar(c.bar);
    testing::internal::CaptureStderr();
    auto r = rig.Sync();
    std::string err = testing::internal::GetCapturedStderr();
    SyncEngine::SetProgressBar(false);
    ASSERT_TRUE(r.has_value());
    std::string full = "[" + std::string(30, '#') + "] " +
                       std::to_string(c.messages) + "/" +
                       std::to_string(c.messages) + "\n";
    EXPECT_EQ(err.find(full) != std::string::npos, c.want_bar)
        << c.messages << " bar=" << c.bar << ": " << err;
  }
}

// A FakeMailSource that records FetchMany's groups and can fail them.
class GroupSource final : public FakeMailSource {
 public:
  core::Result<std::vector<FetchedMessage>> FetchMany(
      const std::string& folder, std::span<const uint32_t> uids) override {
    groups.emplace_back(uids.begin(), uids.end());
    if (fail) {
      return core::Fail(core::Error{*fail, "injected FetchMany failure"});
    }
    return FakeMailSource::FetchMany(folder, uids);
  }
  std::vector<std::vector<uint32_t>> groups;
  std::optional<core::Code> fail;
};

// Consecutive messages come in one FetchMany round trip; an oversized one
// stays out of the group (its header is fetched alone), and a single
// message is fetched alone.
TEST(SyncEngineTest, MessagesAreFetchedInGroups) {
  GroupSource source;
  MemorySyncSink sink;
  core::FakeClock clock(kNow);
  core::Limits limits;
  limits.max_message_bytes = 1000;
  for (int i = 1; i <= 7; ++i) {
    source.Deliver(
        "INBOX",
        Mail(i, i == 4 ? "X-Big: " + std::string(2000, 'x') + "\r\n" : ""),
        kNow);
  }
  SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};
  auto r = SyncEngine(&source, &sink, &clock, limits).SyncFolder(inbox);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->stored_new, 6u);
  EXPECT_EQ(r->quarantined, 1u);
  ASSERT_EQ(source.groups.size(), 1u);
  EXPECT_EQ(source.groups[0], (std::vector<uint32_t>{1, 2, 3, 5, 6, 7}));
  EXPECT_EQ(source.Calls()["FetchHeader"], 1);
  EXPECT_EQ(sink.Messages().size(), 7u);
  // One new message: no group.
  source.Deliver("INBOX", Mail(8), kNow);
  auto again = SyncEngine(&source, &sink, &clock, limits).SyncFolder(inbox);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->stored_new, 1u);
  EXPECT_EQ(source.groups.size(), 1u);
}

// A group refused for its size (a literal over the limit: the server
// understated RFC822.SIZE) is fetched one by one; any other failure of a
// group fails the sync, and the next sync stores everything once.
TEST(SyncEngineTest, FailedGroupFetch) {
  {
    GroupSource source;
    MemorySyncSink sink;
    core::FakeClock clock(kNow);
    for (int i = 1; i <= 5; ++i) source.Deliver("INBOX", Mail(i), kNow);
    source.fail = core::Code::kDataLoss;
    SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};
    auto r =
        SyncEngine(&source, &sink, &clock, core::Limits{}).SyncFolder(inbox);
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    EXPECT_EQ(r->stored_new, 5u);
    EXPECT_EQ(source.Calls()["Fetch"], 5);
  }
  {
    GroupSource source;
    MemorySyncSink sink;
    core::FakeClock clock(kNow);
    for (int i = 1; i <= 5; ++i) source.Deliver("INBOX", Mail(i), kNow);
    source.fail = core::Code::kUnavailable;
    SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};
    auto r =
        SyncEngine(&source, &sink, &clock, core::Limits{}).SyncFolder(inbox);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, core::Code::kUnavailable);
    EXPECT_TRUE(sink.Messages().empty());
    source.fail.reset();
    auto again =
        SyncEngine(&source, &sink, &clock, core::Limits{}).SyncFolder(inbox);
    ASSERT_TRUE(again.has_value()) << again.error().ToString();
    EXPECT_EQ(again->stored_new, 5u);
    EXPECT_EQ(sink.Messages().size(), 5u);
  }
}

TEST(SyncEngineTest, FaultOnEachCallLosesNothingAndStoresNoDuplicate) {
  // Fail the Nth source call, the Nth store put and the Nth checkpoint write
  // in turn; after the failure a second run must leave exactly the 6
  // messages stored once each (LevelDB SpecialEnv / mbsync run-tests style).
  for (int kind = 0; kind < 3; ++kind) {
    for (int n = 1; n <= 14; ++n) {
      Rig rig;
      for (int i = 1; i <= 6; ++i) rig.source.Deliver("INBOX", Mail(i), kNow);
      if (kind == 0) rig.source.FailCallAt(n);
      if (kind == 1) rig.sink.FailPutAt(n);
      if (kind == 2) rig.sink.FailCheckpointAt(n);
      auto first = rig.Sync();
      rig.source.FailCallAt(0);
      rig.sink.FailPutAt(0);
      rig.sink.FailCheckpointAt(0);
      auto second = rig.Sync();
      ASSERT_TRUE(second.has_value())
          << "kind " << kind << " n " << n << ": " << second.error().ToString();
      auto msgs = rig.sink.Messages();
      ASSERT_EQ(msgs.size(), 6u) << "kind " << kind << " n " << n;
      EXPECT_EQ(rig.Locations(), 6u) << "kind " << kind << " n " << n;
      EXPECT_EQ(rig.sink.GetCheckpoint("support", "INBOX").value()->last_uid,
                6u);
      if (!first) {
        EXPECT_EQ(first.error().code, core::Code::kUnavailable);
      }
    }
  }
}

TEST(SyncEngineTest, UidValidityChangeRescansWithoutDuplicates) {
  Rig rig;
  for (int i = 1; i <= 3; ++i) rig.source.Deliver("INBOX", Mail(i), kNow);
  ASSERT_TRUE(rig.Sync().has_value());
  rig.source.Expunge("INBOX", 1);
  rig.source.ResetUidValidity("INBOX", 99);  // 2,3 become 1,2
  rig.source.Deliver("INBOX", Mail(4), kNow);
  auto r = rig.Sync();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_TRUE(r->uid_validity_changed);
  EXPECT_EQ(r->uid_validity, 99u);
  EXPECT_EQ(r->fetched, 3u);
  EXPECT_EQ(r->duplicates, 2u);
  EXPECT_EQ(r->stored_new, 1u);
  EXPECT_EQ(rig.sink.Messages().size(), 4u);
  auto events = rig.sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "ingest.uidvalidity_changed");
  EXPECT_NE(events[0].data.find("\"old\":1"), std::string::npos)
      << events[0].data;
  EXPECT_NE(events[0].data.find("\"new\":99"), std::string::npos);
  // The next sync is quiet again.
  auto quiet = rig.Sync();
  ASSERT_TRUE(quiet.has_value());
  EXPECT_FALSE(quiet->uid_validity_changed);
  EXPECT_EQ(quiet->fetched, 0u);
}

TEST(SyncEngineTest, OversizedMessageIsQuarantinedWithHeaders) {
  Rig rig;
  rig.source.Deliver("INBOX",
                     Mail(1, "X-Big: yes\r\n") + std::string(2000, 'x'), kNow);
  rig.source.Deliver("INBOX", Mail(2), kNow);
  auto r = rig.Sync();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->quarantined, 1u);
  EXPECT_EQ(r->stored_new, 1u);
  auto msgs = rig.sink.Messages();
  ASSERT_EQ(msgs.size(), 2u);
  const auto& q = msgs[0].first;
  EXPECT_TRUE(q.truncated);
  EXPECT_EQ(q.raw,
            "Message-ID: <m1@example.com>\r\nSubject: 1\r\nX-Big: yes\r\n\r\n");
  EXPECT_GT(q.size, 2000u);
  EXPECT_NE(q.quarantine_reason.find("over limit 1000"), std::string::npos);
  EXPECT_EQ(q.message_id, "m1@example.com");
  EXPECT_FALSE(msgs[1].first.truncated);
  EXPECT_EQ(rig.source.Calls()["FetchHeader"], 1);
  auto events = rig.sink.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "ingest.quarantined");
}

TEST(SyncEngineTest, AckWindowUsesInternalDateAndFirstSync) {
  Rig rig;
  struct Case {
    core::TimePoint arrived;
    bool eligible;
  } cases[] = {
      {kNow - hours(24 * 365), false},  // years-old history
      {kNow - hours(3), false},         // just outside the 2 h window
      {kNow - hours(2), true},          // at the edge
      {kNow - hours(1), true},         {kNow, true},
  };
  // The Date header lies (says 1999); only INTERNALDATE counts.
  for (const auto& c : cases) {
    rig.source.Deliver(
        "INBOX",
        Mail(static_cast<int>(rig.sink.puts() + 100 + &c - cases),
             "Date: Fri, 1 Jan 1999 00:00:00 +0000\r\n"),
        c.arrived);
  }
  ASSERT_TRUE(rig.Sync().has_value());
  auto msgs = rig.sink.Messages();
  ASSERT_EQ(msgs.size(), std::size(cases));
  for (size_t i = 0; i < msgs.size(); ++i) {
    EXPECT_EQ(msgs[i].first.ack_eligible, cases[i].eligible) << i;
    EXPECT_EQ(msgs[i].first.arrived_at, cases[i].arrived) << i;
  }
  // A day later, mail that arrived overnight while inboxd was down is still
  // eligible: first_seen stays at the first sync.
  rig.clock.Advance(hours(24));
  rig.source.Deliver("INBOX", Mail(7), kNow + hours(10));
  ASSERT_TRUE(rig.Sync().has_value());
  EXPECT_TRUE(rig.sink.Messages().back().first.ack_eligible);
}

TEST(SyncEngineTest, SentFolderIsAutodetectedAndNeverAckEligible) {
  Rig rig;
  rig.source.Deliver("INBOX", Mail(1), kNow);
  rig.source.Deliver("Sent Items", Mail(2), kNow);
  rig.source.MarkSent("Sent Items");
  SyncEngine engine(&rig.source, &rig.sink, &rig.clock, rig.limits);
  auto targets = engine.Targets("support", {"INBOX"}, "", hours(2));
  ASSERT_TRUE(targets.has_value());
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ((*targets)[1].folder, "Sent Items");
  EXPECT_EQ((*targets)[1].role, FolderRole::kSent);
  auto reports = engine.SyncAll(*targets);
  ASSERT_TRUE(reports.has_value());
  auto msgs = rig.sink.Messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].first.ack_eligible);
  EXPECT_EQ(msgs[1].first.role, FolderRole::kSent);
  EXPECT_FALSE(msgs[1].first.ack_eligible);

  // A configured sent_folder that exists wins over the \Sent one; one that
  // does not exist is the \Sent folder (issue 14: "Sent" on Exchange).
  rig.source.Deliver("Sent", Mail(3), kNow);
  auto configured = engine.Targets("support", {"INBOX"}, "Sent", hours(2));
  ASSERT_TRUE(configured.has_value());
  EXPECT_EQ(configured->back().folder, "Sent");
  auto other = engine.Targets("support", {"INBOX"}, "Outbox", hours(2));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->back().folder, "Sent Items");
  // A watched folder that does not exist is kept as configured (its syncs
  // fail and retry) and does not stop the others.
  auto missing = engine.Targets("support", {"INBOX", "Nope"}, "", hours(2));
  ASSERT_TRUE(missing.has_value());
  ASSERT_EQ(missing->size(), 3u);
  EXPECT_EQ((*missing)[1].folder, "Nope");
}

// Gmail labels: one message shows in several folders of one mailbox (INBOX
// and a label folder); it is stored once.
TEST(SyncEngineTest, SameMessageInTwoFoldersOfAMailboxIsOneMessage) {
  Rig rig;
  rig.source.Deliver("INBOX", Mail(1), kNow);
  rig.source.Deliver("Orders", Mail(1), kNow);
  ASSERT_TRUE(rig.Sync().has_value());
  SyncEngine e(&rig.source, &rig.sink, &rig.clock, rig.limits);
  auto r = e.SyncFolder({"support", "Orders", FolderRole::kIncoming, hours(2)});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->duplicates, 1u);
  EXPECT_EQ(rig.sink.Messages().size(), 1u);
}

TEST(SyncEngineTest, SameMessageInTwoMailboxesIsOneMessage) {
  Rig rig;
  FakeMailSource sales;
  sales.Deliver("INBOX", "Received: by sales\r\n" + Mail(1), kNow);
  rig.source.Deliver("INBOX", "Received: by support\r\n" + Mail(1), kNow);
  ASSERT_TRUE(rig.Sync().has_value());
  SyncEngine e(&sales, &rig.sink, &rig.clock, rig.limits);
  auto r = e.SyncFolder({"sales", "INBOX", FolderRole::kIncoming, hours(2)});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->duplicates, 1u);
  auto msgs = rig.sink.Messages();
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].mailboxes, (std::set<std::string>{"sales", "support"}));
}

TEST(SyncEngineTest, ExpungedMeanwhileIsSkippedAndErrorsNameTheFolder) {
  Rig rig;
  rig.source.Deliver("INBOX", Mail(1), kNow);
  auto missing = rig.Sync({"support", "Nope", FolderRole::kIncoming, hours(2)});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
  rig.source.FailCallAt(4, core::Code::kNotFound);  // the Fetch of uid 1
  auto r = rig.Sync();
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->errors, 1u);
  EXPECT_EQ(r->last_uid, 1u);
}

// Polls `pred` every 10 ms, `tries` times at most; returns its last value.
template <typename Pred>
bool WaitFor(Pred pred, int tries = 500) {
  for (int i = 0; i < tries && !pred(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(SyncDaemonTest, PicksUpNewMailAndRetriesAfterFailures) {
  FakeMailSource source;
  MemorySyncSink sink;
  source.Deliver("INBOX", Mail(1), kNow);
  int opens = 0;
  DaemonMailbox mb;
  mb.name = "support";
  mb.sent_folder = "INBOX";  // no LIST needed; one folder twice is fine
  mb.folders = {};
  mb.open = [&]() -> core::Result<std::unique_ptr<MailSource>> {
    ++opens;
    if (opens == 1) {
      return core::Fail(core::Error::PermissionDenied("login refused"));
    }
    return source.Connect();
  };
  core::FakeClock clock(kNow);
  DaemonOptions opt;
  opt.backoff_initial = seconds(0);
  opt.idle_max = seconds(1);
  SyncDaemon daemon({mb}, &sink, &clock, {}, opt);
  std::atomic<int> syncs{0};
  daemon.on_synced = [&](const SyncReport&) { ++syncs; };
  std::stop_source stop;
  std::thread t([&] { daemon.Run(stop.get_token()); });
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 1; }));
  source.Deliver("INBOX", Mail(2), kNow);
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 2; }));
  source.FailCallAt(1);  // the next call fails; the daemon reconnects
  source.Deliver("INBOX", Mail(3), kNow);
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 3; }));
  auto states = daemon.States();
  stop.request_stop();
  t.join();
  EXPECT_GE(opens, 3);
  EXPECT_EQ(sink.puts(), 3);
  ASSERT_FALSE(states.empty());
}

// Threads of this process (Linux: /proc/self/status).
int ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Threads:")) return std::stoi(line.substr(8));
  }
  return -1;
}

// 60 mailboxes, INBOX and Sent each: 120 folders in IDLE, watched by the
// calling thread plus `workers` threads; with NOTIFY on one connection per
// mailbox, else one per folder.
void RunManyFolders(bool notify) {
  constexpr int kBoxes = 60;
  std::vector<std::unique_ptr<FakeMailSource>> sources;
  std::vector<DaemonMailbox> boxes;
  std::atomic<int> opens{0};
  for (int i = 0; i < kBoxes; ++i) {
    auto src = std::make_unique<FakeMailSource>();
    src->SetNotify(notify);
    src->Deliver("INBOX", Mail(i), kNow);
    src->Deliver("Sent", Mail(1000 + i), kNow);
    src->MarkSent("Sent");
    FakeMailSource* raw = src.get();
    DaemonMailbox mb;
    mb.name = "box" + std::to_string(i);
    mb.open = [raw, &opens]() -> core::Result<std::unique_ptr<MailSource>> {
      ++opens;
      return raw->Connect();
    };
    boxes.push_back(std::move(mb));
    sources.push_back(std::move(src));
  }
  MemorySyncSink sink;
  core::FakeClock clock(kNow);
  DaemonOptions opt;
  opt.workers = 3;
  opt.notify = notify;
  SyncDaemon daemon(std::move(boxes), &sink, &clock, {}, opt);
  std::atomic<int> syncs{0};
  daemon.on_synced = [&](const SyncReport&) { ++syncs; };
  const int before = ThreadCount();
  std::stop_source stop;
  std::thread t([&] { daemon.Run(stop.get_token()); });
  EXPECT_TRUE(WaitFor([&] { return syncs.load() >= 2 * kBoxes; }, 1000));
  EXPECT_EQ(sink.Messages().size(), 2u * kBoxes);
  const int idles_wanted = notify ? kBoxes : 2 * kBoxes;
  EXPECT_TRUE(WaitFor(
      [&] {
        int idling = 0;
        for (auto& s : sources) idling += s->Calls()["StartIdle"];
        return idling >= idles_wanted;
      },
      1000));
  EXPECT_EQ(opens.load(), idles_wanted);  // connections
  EXPECT_LE(ThreadCount(), before + 1 + opt.workers);
  // New mail in INBOX of every fifth mailbox and, one further, an agent's
  // reply in Sent: each picked up from an IDLE.
  for (int i = 0; i < kBoxes; i += 5) {
    sources[i]->Deliver("INBOX", Mail(5000 + i), kNow);
    sources[(i + 1) % kBoxes]->Deliver("Sent", Mail(7000 + i), kNow);
  }
  EXPECT_TRUE(WaitFor(
      [&] { return sink.Messages().size() == 2u * kBoxes + 2 * (kBoxes / 5); },
      1000));
  EXPECT_LE(ThreadCount(), before + 1 + opt.workers);
  EXPECT_EQ(opens.load(), idles_wanted);  // no reconnects
  auto states = daemon.States();
  stop.request_stop();
  t.join();
  EXPECT_EQ(states.size(), 2u * kBoxes);
  for (const auto& st : states) {
    EXPECT_TRUE(st.connected) << st.mailbox << "/" << st.folder;
  }
  for (const auto& st : daemon.States()) EXPECT_FALSE(st.connected);
}

TEST(SyncDaemonTest, ManyFoldersOnAFixedNumberOfThreads) {
  RunManyFolders(/*notify=*/false);
}

TEST(SyncDaemonTest, ManyFoldersWithNotifyOneConnectionPerMailbox) {
  RunManyFolders(/*notify=*/true);
}

TEST(SyncDaemonTest, AHangingServerDoesNotHoldUpAnotherMailbox) {
  // sales' server takes its time to answer the connect (as one that
  // accepts and never greets, up to [limits] network_timeout); support's
  // mail is picked up meanwhile.
  FakeMailSource sales, support;
  sales.Deliver("INBOX", Mail(1), kNow);
  support.Deliver("INBOX", Mail(2), kNow);
  std::atomic<bool> release{false};
  auto box = [](std::string name, auto open) {
    DaemonMailbox mb;
    mb.name = std::move(name);
    mb.sent_folder = "INBOX";
    mb.folders = {};
    mb.open = open;
    return mb;
  };
  std::vector<DaemonMailbox> boxes = {
      box("sales",
          [&]() -> core::Result<std::unique_ptr<MailSource>> {
            while (!release) {
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            return sales.Connect();
          }),
      box("support", [&]() -> core::Result<std::unique_ptr<MailSource>> {
        return support.Connect();
      })};
  MemorySyncSink sink;
  core::FakeClock clock(kNow);
  DaemonOptions opt;
  opt.workers = 2;
  SyncDaemon daemon(std::move(boxes), &sink, &clock, {}, opt);
  std::stop_source stop;
  std::thread t([&] { daemon.Run(stop.get_token()); });
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 1; }));
  support.Deliver("INBOX", Mail(3), kNow);
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 2; }));
  EXPECT_FALSE(release.load());  // all while sales was still connecting
  release = true;
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 3; }));
  stop.request_stop();
  t.join();
}

TEST(SyncDaemonTest, WithoutIdleItPollsEveryInterval) {
  FakeMailSource source;
  source.SetPush(false);
  source.Deliver("INBOX", Mail(6), kNow);
  MemorySyncSink sink;
  DaemonMailbox mb;
  mb.name = "support";
  mb.sent_folder = "INBOX";
  mb.folders = {};
  mb.open = [&]() -> core::Result<std::unique_ptr<MailSource>> {
    return source.Connect();
  };
  core::FakeClock clock(kNow);
  DaemonOptions opt;
  opt.poll_interval = seconds(1);
  SyncDaemon daemon({mb}, &sink, &clock, {}, opt);
  std::atomic<int> syncs{0};
  daemon.on_synced = [&](const SyncReport&) { ++syncs; };
  std::stop_source stop;
  std::thread t([&] { daemon.Run(stop.get_token()); });
  EXPECT_TRUE(WaitFor([&] { return syncs.load() >= 1; }));
  source.Deliver("INBOX", Mail(7), kNow);
  EXPECT_TRUE(WaitFor([&] { return sink.Messages().size() == 2; }));
  EXPECT_TRUE(WaitFor([&] { return syncs.load() >= 3; }));  // keeps polling
  stop.request_stop();
  t.join();
  EXPECT_EQ(source.Calls()["ReadIdle"], 0);
}

// As an IMAP session: mail that came after the sync's last look and before
// the IDLE is news at once (a server reports it with the IDLE's "+"), so
// the daemon never idles on a message it has not fetched. (In the clean-
// clone CI at 0c2fb6e, under ASan, the fake lost such a delivery and
// SyncDaemonTest.AHangingServerDoesNotHoldUpAnotherMailbox timed out.)
TEST(FakeMailSourceTest, ADeliveryBetweenASyncAndItsIdleIsNews) {
  FakeMailSource source;
  source.Deliver("INBOX", Mail(1), kNow);
  std::unique_ptr<MailSource> conn = source.Connect();
  ASSERT_TRUE(conn->Examine("INBOX").has_value());
  ASSERT_TRUE(conn->ListUidsFrom("INBOX", 1).has_value());
  auto quiet = conn->StartIdle("INBOX");
  ASSERT_TRUE(quiet.has_value());
  EXPECT_FALSE(quiet->changed);  // nothing since the look
  ASSERT_EQ(conn->StopIdle(), false);

  ASSERT_TRUE(conn->ListUidsFrom("INBOX", 1).has_value());
  source.Deliver("INBOX", Mail(2), kNow);  // between the sync and the IDLE
  auto w = conn->StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(w->changed);
  EXPECT_EQ(conn->ReadIdle(), true);
  EXPECT_EQ(conn->StopIdle(), true);

  // Another connection that has not looked waits for news after its IDLE.
  std::unique_ptr<MailSource> other = source.Connect();
  auto fresh = other->StartIdle("INBOX");
  ASSERT_TRUE(fresh.has_value());
  EXPECT_FALSE(fresh->changed);
  source.Deliver("INBOX", Mail(3), kNow);
  EXPECT_EQ(other->ReadIdle(), true);
  EXPECT_EQ(other->StopIdle(), true);
}

TEST(FakeMailSourceTest, FetchFlagsHonoursChangedSince) {
  FakeMailSource source;
  const uint32_t a = source.Deliver("INBOX", Mail(1), kNow);
  const uint32_t b = source.Deliver("INBOX", Mail(2), kNow);
  const uint32_t c = source.Deliver("INBOX", Mail(3), kNow);
  auto before = source.FetchFlags("INBOX", {}, 0);
  ASSERT_TRUE(before.has_value());
  EXPECT_TRUE(before->condstore);
  EXPECT_TRUE(before->messages.empty());  // no uids, no mark: state only
  const uint64_t mark = before->highest_modseq;
  EXPECT_EQ(mark, 3u);

  // An agent marks b done and a read; c is expunged.
  EXPECT_EQ(source.SetFlags("INBOX", b, {"$Done"}), mark + 1);
  EXPECT_EQ(source.SetFlags("INBOX", a, {"\\Seen"}, 40), 40u);
  source.Expunge("INBOX", c);
  EXPECT_EQ(source.SetFlags("INBOX", c, {"$Done"}), 0u);  // no such message
  const std::vector<uint32_t> all = {c, b, a};
  using Flags = std::vector<std::string>;
  struct Case {
    std::string name;
    std::vector<uint32_t> uids;
    uint64_t changed_since;
    std::vector<uint32_t> want;
  } cases[] = {
      {"all asked", all, 0, {a, b}},
      {"since the mark", all, mark, {a, b}},
      {"whole folder since the mark", {}, mark, {a, b}},
      {"whole folder since b", {}, mark + 1, {a}},
      {"nothing new", {}, 41, {}},
      {"mark from the future", {b}, 500, {b}},
  };
  for (const auto& k : cases) {
    auto got = source.FetchFlags("INBOX", k.uids, k.changed_since);
    ASSERT_TRUE(got.has_value()) << k.name;
    EXPECT_EQ(got->highest_modseq, 41u) << k.name;  // 40, then the expunge
    std::vector<uint32_t> uids;
    for (const auto& m : got->messages) uids.push_back(m.uid);
    EXPECT_EQ(uids, k.want) << k.name;
  }
  auto got = source.FetchFlags("INBOX", all, 0).value();
  EXPECT_EQ(got.messages[0].flags, Flags{"\\Seen"});
  EXPECT_EQ(got.messages[0].modseq, 40u);
  EXPECT_EQ(got.messages[1].flags, Flags{"$Done"});
  EXPECT_EQ(got.messages[1].modseq, mark + 1);

  // Without CONDSTORE: no MODSEQs, the mark is ignored.
  source.SetCondstore(false);
  auto plain = source.FetchFlags("INBOX", all, mark + 1).value();
  EXPECT_FALSE(plain.condstore);
  EXPECT_EQ(plain.highest_modseq, 0u);
  ASSERT_EQ(plain.messages.size(), 2u);
  EXPECT_EQ(plain.messages[1].modseq, 0u);

  std::vector<std::string> seen = {"\\Seen"};
  ASSERT_TRUE(source.Append("INBOX", Mail(4), seen, kNow).has_value());
  auto appended = source.FetchFlags("INBOX", {}, 1).value();
  ASSERT_EQ(appended.messages.size(), 3u);
  EXPECT_EQ(appended.messages[2].flags, seen);
  EXPECT_EQ(source.FetchFlags("Nope", all, 0).error().code,
            core::Code::kNotFound);
  EXPECT_EQ(source.Calls()["FetchFlags"], 11);
}

TEST(FakeMailSourceTest, ContainsMessageIdMatchesNormalisedIdExactly) {
  FakeMailSource source;
  source.Deliver("Sent", "Subject: a\r\nMessage-ID:\r\n <ack-1@x>\r\n\r\nb",
                 kNow);
  source.Deliver("Sent", "Message-ID: <xack-2@x>\r\n\r\nb", kNow);
  struct Case {
    std::string folder, id;
    core::Result<bool> want;
  } cases[] = {
      {"Sent", "ack-1@x", true},
      {"Sent", "xack-2@x", true},
      {"Sent", "ack-2@x", false},
      {"Sent", "ACK-1@x", false},
      {"Nope", "ack-1@x", core::Fail(core::Error::NotFound(""))},
      {"Sent", "", core::Fail(core::Error::InvalidArgument(""))},
      {"Sent", "a\"b", core::Fail(core::Error::InvalidArgument(""))},
      {"Sent", "a\r\nb", core::Fail(core::Error::InvalidArgument(""))},
  };
  for (const auto& c : cases) {
    auto got = source.ContainsMessageId(c.folder, c.id);
    ASSERT_EQ(got.has_value(), c.want.has_value()) << c.id;
    if (got) {
      EXPECT_EQ(*got, *c.want) << c.id;
    } else {
      EXPECT_EQ(got.error().code, c.want.error().code) << c.id;
    }
  }
}

}  // namespace
}  // namespace inboxd::ingest
