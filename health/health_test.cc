// health_test.cc: the health decision at the retry budget's boundary, where
// "disconnected since" comes from, mailbox-level entries, the store probe,
// the reason texts, FormatElapsed and DisconnectTracker.
#include "health/health.h"

#include <gtest/gtest.h>

namespace inboxd::health {
namespace {

using std::chrono::seconds;

// 2026-03-02T10:00:00Z.
const core::TimePoint kNow{seconds{1772445600}};

FolderState Folder(std::string mailbox, std::string folder, bool connected) {
  FolderState f;
  f.mailbox = std::move(mailbox);
  f.folder = std::move(folder);
  f.connected = connected;
  return f;
}

HealthInput Input(std::vector<FolderState> folders,
                  seconds budget = seconds{120}) {
  HealthInput in;
  in.folders = std::move(folders);
  in.retry_budget = budget;
  in.now = kNow;
  in.started_at = kNow - seconds{86400};
  return in;
}

TEST(DecideHealthTest, NothingToWatchIsHealthy) {
  HealthReport r = DecideHealth(Input({}));
  EXPECT_TRUE(r.healthy);
  EXPECT_TRUE(r.reasons.empty());
  EXPECT_TRUE(r.retrying.empty());
}

TEST(DecideHealthTest, ConnectedIsHealthyHoweverOldTheLastSync) {
  FolderState f = Folder("support", "INBOX", true);
  f.last_sync = kNow - seconds{29 * 60};         // waiting in IDLE
  f.disconnected_since = kNow - seconds{86400};  // ignored while connected
  HealthReport r = DecideHealth(Input({f}));
  EXPECT_TRUE(r.healthy);
  EXPECT_TRUE(r.retrying.empty());
}

TEST(DecideHealthTest, RetryBudgetBoundary) {
  const struct {
    int64_t down_seconds;
    bool want_healthy;
    const char* want_line;  // the reason, or the retrying line
  } cases[] = {
      {0, true,
       "mailbox support folder INBOX: retrying, disconnected for 0s (budget "
       "2m): imap: connection refused"},
      {119, true,
       "mailbox support folder INBOX: retrying, disconnected for 1m59s "
       "(budget 2m): imap: connection refused"},
      // Exactly the budget is still inside it.
      {120, true,
       "mailbox support folder INBOX: retrying, disconnected for 2m (budget "
       "2m): imap: connection refused"},
      {121, false,
       "mailbox support folder INBOX: disconnected for 2m1s (budget 2m): "
       "imap: connection refused"},
      {192, false,
       "mailbox support folder INBOX: disconnected for 3m12s (budget 2m): "
       "imap: connection refused"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.down_seconds);
    FolderState f = Folder("support", "INBOX", false);
    f.disconnected_since = kNow - seconds{c.down_seconds};
    f.last_sync = kNow - seconds{3600};  // not used: disconnected_since is set
    f.last_error = "imap: connection refused";
    HealthReport r = DecideHealth(Input({f}));
    EXPECT_EQ(r.healthy, c.want_healthy);
    if (c.want_healthy) {
      EXPECT_TRUE(r.reasons.empty());
      EXPECT_EQ(r.retrying, std::vector<std::string>{c.want_line});
    } else {
      EXPECT_EQ(r.reasons, std::vector<std::string>{c.want_line});
      EXPECT_TRUE(r.retrying.empty());
    }
  }
}

TEST(DecideHealthTest, UnknownDisconnectTimeFallsBackToLastSyncThenStart) {
  // Unknown since, last sync 3 minutes ago: counted from the last sync.
  FolderState synced = Folder("support", "INBOX", false);
  synced.last_sync = kNow - seconds{180};
  // Unknown since, never synced: counted from the daemon's start.
  FolderState never = Folder("sales", "INBOX", false);
  HealthInput in = Input({synced, never});
  in.started_at = kNow - seconds{60};
  HealthReport r = DecideHealth(in);
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reasons, std::vector<std::string>{
                           "mailbox support folder INBOX: disconnected for 3m "
                           "(budget 2m)"});
  EXPECT_EQ(r.retrying,
            std::vector<std::string>{"mailbox sales folder INBOX: retrying, "
                                     "disconnected for 1m (budget 2m)"});
}

TEST(DecideHealthTest, FailedAttemptsAndPrintableError) {
  FolderState f = Folder("support", "Anfragen", false);
  f.disconnected_since = kNow - seconds{3 * 3600 + 5};
  f.consecutive_failures = 7;
  f.last_error = "permission_denied: imap login:\r\nNO [AUTHENTICATIONFAILED]";
  FolderState one = Folder("sales", "INBOX", false);
  one.disconnected_since = kNow - seconds{2 * 86400};
  one.consecutive_failures = 1;
  HealthReport r = DecideHealth(Input({f, one}, seconds{600}));
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reasons,
            (std::vector<std::string>{
                "mailbox support folder Anfragen: disconnected for 3h5s "
                "(budget 10m, 7 failed attempts): permission_denied: imap "
                "login:  NO [AUTHENTICATIONFAILED]",
                "mailbox sales folder INBOX: disconnected for 2d (budget 10m, "
                "1 failed attempt)"}));
}

TEST(DecideHealthTest, MailboxLevelEntryUntilItsFoldersAreKnown) {
  // The mailbox could not resolve its folders for 10 minutes: unhealthy.
  FolderState mailbox = Folder("support", "", false);
  mailbox.disconnected_since = kNow - seconds{600};
  mailbox.last_error = "imap list: timeout";
  HealthReport alone = DecideHealth(Input({mailbox}));
  EXPECT_FALSE(alone.healthy);
  EXPECT_EQ(alone.reasons,
            std::vector<std::string>{"mailbox support: disconnected for 10m "
                                     "(budget 2m): imap list: timeout"});
  // Its folders are known now: the stale mailbox-level entry is ignored.
  HealthReport later =
      DecideHealth(Input({mailbox, Folder("support", "INBOX", true)}));
  EXPECT_TRUE(later.healthy) << later.reasons[0];
  // Another mailbox's folders do not hide it.
  HealthReport other =
      DecideHealth(Input({mailbox, Folder("sales", "INBOX", true)}));
  EXPECT_FALSE(other.healthy);
}

TEST(DecideHealthTest, StoreNotWritable) {
  HealthInput in = Input({Folder("support", "INBOX", true)});
  in.store = {false, "sqlite: attempt to write a readonly database"};
  HealthReport r = DecideHealth(in);
  EXPECT_FALSE(r.healthy);
  EXPECT_EQ(r.reasons,
            std::vector<std::string>{
                "store not writable: sqlite: attempt to write a readonly "
                "database"});
  in.store = {false, ""};
  EXPECT_EQ(DecideHealth(in).reasons,
            std::vector<std::string>{"store not writable"});
  in.store = {true, "ignored when writable"};
  EXPECT_TRUE(DecideHealth(in).healthy);
}

TEST(DecideHealthTest, StoreReasonComesAfterFolders) {
  FolderState f = Folder("support", "INBOX", false);
  f.disconnected_since = kNow - seconds{3600};
  HealthInput in = Input({f});
  in.store = {false, "disk full"};
  HealthReport r = DecideHealth(in);
  ASSERT_EQ(r.reasons.size(), 2u);
  EXPECT_EQ(r.reasons[0].rfind("mailbox support folder INBOX:", 0), 0u);
  EXPECT_EQ(r.reasons[1], "store not writable: disk full");
}

TEST(FormatElapsedTest, Table) {
  const struct {
    int64_t s;
    const char* want;
  } cases[] = {
      {-5, "0s"},       {0, "0s"},      {1, "1s"},        {59, "59s"},
      {60, "1m"},       {192, "3m12s"}, {3600, "1h"},     {3605, "1h5s"},
      {3661, "1h1m1s"}, {86400, "1d"},  {183600, "2d3h"}, {604800, "7d"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FormatElapsed(seconds{c.s}), c.want) << c.s;
  }
}

TEST(DisconnectTrackerTest, RemembersFirstSeenUntilConnected) {
  DisconnectTracker t;
  auto at = [](int64_t s) { return kNow + seconds{s}; };
  auto fill = [&t](std::vector<FolderState> v, core::TimePoint now) {
    t.Fill(&v, now);
    return v;
  };
  FolderState down = Folder("support", "INBOX", false);
  FolderState up = Folder("support", "INBOX", true);

  EXPECT_EQ(fill({down}, at(0))[0].disconnected_since, at(0));
  EXPECT_EQ(fill({down}, at(100))[0].disconnected_since, at(0));
  // Another folder of the same mailbox is tracked on its own.
  EXPECT_EQ(
      fill({Folder("support", "Sent", false)}, at(100))[0].disconnected_since,
      at(100));
  // Connected again: forgotten; the next outage starts afresh.
  EXPECT_FALSE(fill({up}, at(200))[0].disconnected_since.has_value());
  EXPECT_EQ(fill({down}, at(300))[0].disconnected_since, at(300));
  // A time the source knew is kept.
  FolderState known = down;
  known.disconnected_since = at(250);
  EXPECT_EQ(fill({known}, at(400))[0].disconnected_since, at(250));

  // With the tracker, a folder that drops after a long IDLE is "retrying",
  // not unhealthy at once.
  FolderState idle = Folder("sales", "INBOX", false);
  idle.last_sync = at(1000 - 29 * 60);
  std::vector<FolderState> states = {idle};
  t.Fill(&states, at(1000));
  HealthInput in = Input(states);
  in.now = at(1000 + 30);
  EXPECT_TRUE(DecideHealth(in).healthy);
  in.folders[0].disconnected_since.reset();  // without it: from last_sync
  EXPECT_FALSE(DecideHealth(in).healthy);
}

}  // namespace
}  // namespace inboxd::health
