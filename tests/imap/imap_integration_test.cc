// Integration tests of IMAP ingest against real servers (tests/rig): each
// test runs against a private Dovecot and a private Cyrus IMAP, except where
// a test says why it is Dovecot's alone.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include "config/config.h"
#include "ingest/imap_credentials.h"
#include "ingest/imap_parser.h"
#include "ingest/imap_reader.h"
#include "ingest/sync_daemon.h"
#include "ingest/sync_engine.h"
#include "ingest/sync_memory_sink.h"
#include "tests/ci_env.h"
#include "tests/rig/cyrus_rig.h"
#include "tests/rig/dovecot_rig.h"
#include "tests/rig/mail_server_rig.h"

namespace inboxd::ingest {
namespace {

using std::chrono::hours;
using tests::CyrusRig;
using tests::DovecotRig;
using tests::MailServerRig;

enum class Server { kDovecot, kCyrus };

std::string ServerName(const ::testing::TestParamInfo<Server>& info) {
  return info.param == Server::kDovecot ? "Dovecot" : "Cyrus";
}

// For gtest's and ctest's test names ("# GetParam() = Cyrus").
void PrintTo(Server server, std::ostream* os) {
  *os << ServerName({server, 0});
}

core::Result<std::unique_ptr<MailServerRig>> StartRig(Server server) {
  const std::vector<MailServerRig::User> users = {{"support", "s3cret"},
                                                  {"sales", "s4les"}};
  if (server == Server::kDovecot) {
    auto r = DovecotRig::Start(users);
    if (!r) return core::Fail(r.error());
    return std::unique_ptr<MailServerRig>(std::move(*r));
  }
  auto r = CyrusRig::Start(users);
  if (!r) return core::Fail(r.error());
  return std::unique_ptr<MailServerRig>(std::move(*r));
}

std::string Mail(int i, std::string_view extra = "",
                 std::string_view body = "") {
  return "From: Customer <c" + std::to_string(i) +
         "@example.com>\r\nTo: support@shop.example\r\nMessage-ID: <it" +
         std::to_string(i) + "@example.com>\r\nSubject: test " +
         std::to_string(i) + "\r\n" + std::string(extra) + "\r\n" +
         (body.empty() ? "Hello " + std::to_string(i) + "\r\n"
                       : std::string(body));
}

// One plain IMAP session of an agent's mail client (Outlook, Thunderbird):
// the test changes flags through it; inboxd code never does. Sends each
// command and reads up to its tagged reply, which must be OK.
core::Status AgentSession(const config::Mailbox& mb,
                          const std::vector<std::string>& commands) {
  auto endpoint = EndpointFromConfig(mb);
  if (!endpoint) return core::Fail(endpoint.error());
  auto t = CurlImapTransport::Connect(*endpoint);
  if (!t) return core::Fail(t.error());
  ImapReader reader(t->get(), {});
  for (size_t i = 0; i < commands.size(); ++i) {
    const std::string tag = "agent" + std::to_string(i);
    if (auto st = (*t)->Send(tag + " " + commands[i] + "\r\n"); !st) return st;
    while (true) {
      auto raw = reader.Read(std::chrono::seconds(10));
      if (!raw) return core::Fail(raw.error());
      if (!raw->has_value()) {
        return core::Fail(core::Error::Unavailable("agent: no reply"));
      }
      auto r = ParseImapResponse(**raw);
      if (!r) return core::Fail(r.error());
      if (r->type != ImapResponse::Type::kTagged) continue;
      if (r->tag != tag || r->status != "OK") {
        return core::Fail(core::Error::Unavailable(
            "agent: " + commands[i] + ": " + r->status + " " + r->text));
      }
      break;
    }
  }
  return core::Ok();
}

// A server's rig, started at most once per suite.
struct RigSlot {
  bool tried = false;
  std::unique_ptr<MailServerRig> rig;
  std::string error;
};

class ImapIntegrationTest : public ::testing::TestWithParam<Server> {
 protected:
  // One rig per server for the whole suite, started by the first test that
  // needs it (SetUpTestSuite does not know the parameter). A rig that does
  // not start is reported by each test from SetUp(): gtest would turn a
  // failure in SetUpTestSuite into skips, which CI must not see.
  static void TearDownTestSuite() {
    for (auto& slot : slots_) slot = RigSlot{};
  }
  void SetUp() override {
    RigSlot& slot = slots_[static_cast<int>(GetParam())];
    if (!slot.tried) {
      slot.tried = true;
      auto r = StartRig(GetParam());
      if (r) {
        slot.rig = std::move(*r);
      } else {
        slot.error = r.error().ToString();
      }
    }
    if (slot.rig == nullptr) {
      INBOXD_SKIP_OR_FAIL() << "the " << ServerName({GetParam(), 0})
                            << " rig did not start: " << slot.error;
    }
    rig_ = slot.rig.get();
  }

  config::Mailbox Box(const std::string& user, const std::string& password,
                      bool imaps = false) {
    config::Mailbox mb;
    mb.name = user;
    mb.username = user;
    mb.imap_url = imaps ? rig_->imaps_url() : rig_->imap_url();
    mb.tls = imaps ? "required" : "none";
    mb.tls_ca_file = imaps ? rig_->ca_file() : "";
    std::string pw = rig_->dir() + "/pw-" + user + "-" + password;
    std::ofstream(pw) << password << "\n";
    mb.password_file = pw;
    return mb;
  }

  core::Result<SyncReport> SyncInbox(const config::Mailbox& mb,
                                     MemorySyncSink* sink) {
    auto src = MakeImapSource(mb, limits_);
    return SyncEngine(src.get(), sink, &clock_, limits_)
        .SyncFolder({mb.name, "INBOX", FolderRole::kIncoming, hours(2)});
  }

  static inline RigSlot slots_[2];  // by Server

  MailServerRig* rig_ = nullptr;  // this test's server
  core::Limits limits_;
  core::FakeClock clock_{core::SystemClock::Default()->Now()};
};

// Tests of what only Dovecot offers (each says what Cyrus lacks).
class ImapIntegrationDovecotTest : public ImapIntegrationTest {};

INSTANTIATE_TEST_SUITE_P(Servers, ImapIntegrationTest,
                         ::testing::Values(Server::kDovecot, Server::kCyrus),
                         ServerName);
INSTANTIATE_TEST_SUITE_P(Servers, ImapIntegrationDovecotTest,
                         ::testing::Values(Server::kDovecot), ServerName);

// Each case is self-contained: ctest runs every case in its own process (and
// rig); run together, they share one server like a mailbox over time.
TEST_P(ImapIntegrationTest, A_FetchKeepsFlagsAndExactBytesThenResumes) {
  // 8-bit bytes, a line that looks like a tagged OK, a fake FETCH, NUL.
  std::string eight_bit =
      Mail(1, "Content-Type: text/plain; charset=iso-8859-1\r\n",
           "Gr\xfc\xdf"
           "e\r\nA004 OK injected\r\n* 9 FETCH "
           "(FLAGS (\\Deleted))\r\n");
  const std::vector<std::string> mails = {eight_bit, Mail(2), Mail(3)};
  for (const auto& m : mails) {
    ASSERT_TRUE(rig_->DeliverUnseen("support", "INBOX", m).has_value());
  }
  MemorySyncSink sink;
  auto mb = Box("support", "s3cret");
  auto r = SyncInbox(mb, &sink);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->fetched, 3u);
  EXPECT_EQ(r->stored_new, 3u);
  auto msgs = sink.Messages();
  ASSERT_EQ(msgs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(msgs[i].first.raw, mails[i]) << i;
  EXPECT_EQ(msgs[0].first.message_id, "it1@example.com");

  // \Seen untouched: agents still see the mail as unread.
  auto flags = rig_->Flags("support", "INBOX");
  ASSERT_TRUE(flags.has_value()) << flags.error().ToString();
  ASSERT_EQ(flags->size(), 3u);
  for (const auto& f : *flags)
    EXPECT_EQ(f.find("\\Seen"), std::string::npos) << f;

  // Restart (a new connection and engine): nothing is refetched.
  auto again = SyncInbox(mb, &sink);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->fetched, 0u);
  ASSERT_TRUE(rig_->DeliverUnseen("support", "INBOX", Mail(4)).has_value());
  auto third = SyncInbox(mb, &sink);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third->fetched, 1u);
  EXPECT_EQ(third->last_uid, 4u);
  EXPECT_EQ(sink.puts(), 4);

  // UIDVALIDITY change: a rescan, deduplicated to nothing new.
  ASSERT_TRUE(rig_->ResetUidValidity("support", "INBOX").has_value());
  auto rescan = SyncInbox(mb, &sink);
  ASSERT_TRUE(rescan.has_value()) << rescan.error().ToString();
  EXPECT_TRUE(rescan->uid_validity_changed);
  EXPECT_EQ(rescan->fetched, 4u);
  EXPECT_EQ(rescan->duplicates, 4u);
  EXPECT_EQ(rescan->stored_new, 0u);
  EXPECT_EQ(sink.Messages().size(), 4u);
}

TEST_P(ImapIntegrationTest, B_WrongPasswordIsPermissionDeniedNamingMailbox) {
  MemorySyncSink sink;
  auto r = SyncInbox(Box("support", "Xq9-not-it"), &sink);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kPermissionDenied)
      << r.error().ToString();
  EXPECT_NE(r.error().message.find("support"), std::string::npos);
  EXPECT_EQ(r.error().message.find("Xq9-not-it"), std::string::npos)
      << "the password leaked into: " << r.error().message;
}

TEST_P(ImapIntegrationTest, C_TlsWithRigCaOnImapsAndStartTls) {
  ASSERT_TRUE(rig_->DeliverUnseen("support", "INBOX", Mail(50)).has_value());
  MemorySyncSink sink;
  auto imaps = SyncInbox(Box("support", "s3cret", /*imaps=*/true), &sink);
  ASSERT_TRUE(imaps.has_value()) << imaps.error().ToString();
  EXPECT_GT(imaps->fetched, 0u);

  auto starttls = Box("support", "s3cret");
  starttls.tls = "required";  // imap:// + STARTTLS
  starttls.tls_ca_file = rig_->ca_file();
  MemorySyncSink sink2;
  auto r2 = SyncInbox(starttls, &sink2);
  ASSERT_TRUE(r2.has_value()) << r2.error().ToString();

  auto untrusted = Box("support", "s3cret", true);
  untrusted.tls_ca_file = "";  // system CAs do not know the rig's cert
  MemorySyncSink sink3;
  auto r3 = SyncInbox(untrusted, &sink3);
  ASSERT_FALSE(r3.has_value());
  EXPECT_EQ(r3.error().code, core::Code::kUnavailable);
  EXPECT_NE(r3.error().message.find("tls"), std::string::npos)
      << r3.error().message;
}

TEST_P(ImapIntegrationTest, D_TwentyMegabyteMessageAndQuarantine) {
  std::string big_body;
  big_body.reserve(20u << 20);
  while (big_body.size() < (20u << 20)) {
    big_body += "line of a big attachment \xe4\xf6\xfc 0123456789abcdef\r\n";
  }
  std::string big = Mail(100, "", big_body);
  ASSERT_TRUE(rig_->DeliverUnseen("sales", "INBOX", big).has_value());
  auto mb = Box("sales", "s4les");
  MemorySyncSink sink;
  auto r = SyncInbox(mb, &sink);
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(sink.Messages().size(), 1u);
  EXPECT_EQ(sink.Messages()[0].first.raw.size(), big.size());
  EXPECT_TRUE(sink.Messages()[0].first.raw == big);

  // With a 1 MB limit the same message becomes a quarantine record.
  core::Limits small;
  small.max_message_bytes = 1u << 20;
  MemorySyncSink sink2;
  auto src = MakeImapSource(mb, small);
  auto q = SyncEngine(src.get(), &sink2, &clock_, small)
               .SyncFolder({"sales", "INBOX", FolderRole::kIncoming, hours(2)});
  ASSERT_TRUE(q.has_value()) << q.error().ToString();
  EXPECT_EQ(q->quarantined, 1u);
  ASSERT_EQ(sink2.Messages().size(), 1u);
  EXPECT_TRUE(sink2.Messages()[0].first.truncated);
  EXPECT_LT(sink2.Messages()[0].first.raw.size(), 1000u);
  EXPECT_EQ(sink2.Events().size(), 1u);
}

// A sink that runs `hook` (on the syncing thread) before storing the nth
// message, so a server-side event lands at a known point of the sync.
class HookedSink final : public SyncSink {
 public:
  HookedSink(MemorySyncSink* sink, std::map<int, std::function<void()>> hooks)
      : sink_(sink), hooks_(std::move(hooks)) {}
  core::Result<std::optional<FolderCheckpoint>> GetCheckpoint(
      const std::string& mailbox, const std::string& folder) override {
    return sink_->GetCheckpoint(mailbox, folder);
  }
  core::Status AdvanceCheckpoint(const std::string& mailbox,
                                 const std::string& folder, FolderCheckpoint cp,
                                 core::TimePoint now) override {
    return sink_->AdvanceCheckpoint(mailbox, folder, cp, now);
  }
  core::Result<core::TimePoint> FirstSeenAt(const std::string& mailbox,
                                            core::TimePoint now) override {
    return sink_->FirstSeenAt(mailbox, now);
  }
  core::Result<PutOutcome> PutRawMessage(const SyncedMessage& m) override {
    auto it = hooks_.find(++puts_);
    if (it != hooks_.end()) it->second();
    return sink_->PutRawMessage(m);
  }
  core::Status Audit(const std::string& type, const std::string& mailbox,
                     const std::string& data_json) override {
    return sink_->Audit(type, mailbox, data_json);
  }

 private:
  MemorySyncSink* sink_;
  std::map<int, std::function<void()>> hooks_;
  int puts_ = 0;
};

TEST_P(ImapIntegrationTest, E_KickMidSyncReconnectsAndLosesNothing) {
  // 300 x 20 KB: two fetch groups (kFetchGroupBytes). The server drops the
  // connection while the first group is being stored (and again in the
  // second), so the next command finds it gone and the sync goes on over a
  // new one. (Kicking after a fixed delay let the whole sync finish first.)
  const int kCount = 300;
  std::vector<std::string> mails;
  for (int i = 0; i < kCount; ++i) {
    mails.push_back(Mail(1000 + i, "", std::string(20000, 'k') + "\r\n"));
  }
  auto delivered =
      rig_->DeliverManyUnseen("support", rig_->SentFolder(), mails);
  ASSERT_TRUE(delivered.has_value()) << delivered.error().ToString();
  MemorySyncSink sink;
  int kicks = 0;
  auto kick = [&] {
    (void)rig_->Kick("support");
    ++kicks;
    // Let the server close its end before the sync's next command.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  };
  HookedSink hooked(&sink, {{10, kick}, {250, kick}});
  auto mb = Box("support", "s3cret");
  auto src = MakeImapSource(mb, limits_);
  SyncEngine engine(src.get(), &hooked, &clock_, limits_);
  SyncTarget sent{"support", rig_->SentFolder(), FolderRole::kSent, hours(2)};
  core::Result<SyncReport> r = engine.SyncFolder(sent);
  int attempts = 1;
  while (!r.has_value() && attempts < 10) {  // the daemon's retry, inline
    EXPECT_EQ(r.error().code, core::Code::kUnavailable) << r.error().ToString();
    r = engine.SyncFolder(sent);
    ++attempts;
  }
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto* imap = static_cast<ImapSource*>(src.get());
  std::printf(
      "[ info ] %d kick(s), %d sync attempt(s), %d connection(s) for %d "
      "messages\n",
      kicks, attempts, imap->connects(), kCount);
  EXPECT_GE(kicks, 1);
  EXPECT_GE(imap->connects(), 2) << "the sync never noticed the kick";
  EXPECT_EQ(sink.Messages().size(), static_cast<size_t>(kCount));
  EXPECT_EQ(sink.puts(), kCount) << "a message was stored twice";
  for (const auto& m : sink.Messages()) {
    EXPECT_EQ(m.first.role, FolderRole::kSent);
    EXPECT_FALSE(m.first.ack_eligible);
  }
}

TEST_P(ImapIntegrationTest, F_SentAutodetectAppendAndCrossMailboxDedupe) {
  auto sales = Box("sales", "s4les");
  auto src = MakeImapSource(sales, limits_);
  auto folders = src->ListFolders();
  ASSERT_TRUE(folders.has_value()) << folders.error().ToString();
  bool found = false;
  for (const auto& f : *folders) {
    found |= f.is_sent && f.name == rig_->SentFolder();
  }
  EXPECT_TRUE(found) << "no \\Sent folder in LIST";

  // The responder's Sent copy (C1): APPEND, then the engine sees it as an
  // agent reply in the autodetected Sent folder.
  std::vector<std::string> seen = {"\\Seen"};
  ASSERT_TRUE(src->Append(rig_->SentFolder(), Mail(500), seen, clock_.Now())
                  .has_value());
  // The same customer mail delivered to both mailboxes.
  std::string both = Mail(600);
  ASSERT_TRUE(rig_->DeliverUnseen("sales", "INBOX",
                                  "Delivered-To: sales@shop.example\r\n" + both)
                  .has_value());
  ASSERT_TRUE(
      rig_->DeliverUnseen("support", "INBOX",
                          "Delivered-To: support@shop.example\r\n" + both)
          .has_value());

  MemorySyncSink sink;
  std::vector<DaemonMailbox> boxes;
  auto support = Box("support", "s3cret");
  for (const config::Mailbox& mb : {sales, support}) {
    DaemonMailbox d;
    d.name = mb.name;
    d.open = [mb, this]() -> core::Result<std::unique_ptr<MailSource>> {
      return std::unique_ptr<MailSource>(MakeImapSource(mb, limits_));
    };
    boxes.push_back(d);
  }
  auto once = SyncOnce(boxes, &sink, &clock_, limits_);
  for (const auto& e : once.errors) ADD_FAILURE() << e.ToString();
  bool sent_seen = false;
  for (const auto& rep : once.reports) {
    if (rep.role == FolderRole::kSent && rep.mailbox == "sales") {
      sent_seen = true;
      EXPECT_EQ(rep.folder, rig_->SentFolder());
      EXPECT_EQ(rep.stored_new, 1u);
    }
  }
  EXPECT_TRUE(sent_seen);
  int with_both = 0;
  for (const auto& m : sink.Messages()) {
    if (m.first.message_id == "it600@example.com") {
      ++with_both;
      EXPECT_EQ(m.mailboxes, (std::set<std::string>{"sales", "support"}));
    }
    if (m.first.message_id == "it500@example.com") {
      EXPECT_EQ(m.first.role, FolderRole::kSent);
      EXPECT_FALSE(m.first.ack_eligible);
    }
  }
  EXPECT_EQ(with_both, 1);
}

TEST_P(ImapIntegrationTest, G_IdlePicksUpNewMailWithinTwoSeconds) {
  MemorySyncSink sink;
  auto mb = Box("sales", "s4les");
  DaemonMailbox d;
  d.name = "sales";
  d.sent_folder = rig_->SentFolder();
  std::atomic<int> opens{0};
  d.open = [mb, this, &opens]() -> core::Result<std::unique_ptr<MailSource>> {
    ++opens;
    return std::unique_ptr<MailSource>(MakeImapSource(mb, limits_));
  };
  DaemonOptions options;
  options.notify = true;  // --notify: one connection where NOTIFY is offered
  SyncDaemon daemon({d}, &sink, &clock_, limits_, options);
  std::atomic<int> inbox_syncs{0};
  daemon.on_synced = [&](const SyncReport& r) {
    if (r.folder == "INBOX") ++inbox_syncs;
  };
  std::stop_source stop;
  std::thread t([&] { daemon.Run(stop.get_token()); });
  auto wait = [&](auto pred, std::chrono::milliseconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!pred() && std::chrono::steady_clock::now() < end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
  };
  ASSERT_TRUE(wait([&] { return inbox_syncs > 0; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // in IDLE now
  const size_t before = sink.Messages().size();

  // New mail arrives through another session (as the MTA's LMTP would).
  auto writer = MakeImapSource(mb, limits_);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(writer->Append("INBOX", Mail(700), {}, {}).has_value());
  bool got = wait([&] { return sink.Messages().size() > before; },
                  std::chrono::seconds(10));
  auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - t0);
  std::printf("[ info ] IDLE pickup latency: %lld ms\n",
              static_cast<long long>(latency.count()));
  // An agent's reply saved to Sent: a server with NOTIFY (Dovecot) has
  // INBOX and Sent watched on one connection and reports the reply by a
  // STATUS during the IDLE on INBOX; without it (Cyrus 3.6) Sent has an
  // IDLE connection of its own.
  const size_t with_inbox = sink.Messages().size();
  t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      writer->Append(rig_->SentFolder(), Mail(701), {}, {}).has_value());
  bool got_sent = wait([&] { return sink.Messages().size() > with_inbox; },
                       std::chrono::seconds(10));
  std::printf("[ info ] Sent pickup latency: %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count()));
  stop.request_stop();
  t.join();
  auto caps = rig_->Capabilities("sales");
  ASSERT_TRUE(caps.has_value()) << caps.error().ToString();
  std::string offered;
  for (const char* c : {"IDLE", "NOTIFY", "CONDSTORE", "ESEARCH", "LITERAL+",
                        "SPECIAL-USE", "MOVE", "NAMESPACE"}) {
    offered += std::string(" ") + c + (caps->contains(c) ? "=yes" : "=no");
  }
  std::printf("[ info ] %s after login:%s\n",
              std::string(rig_->server()).c_str(), offered.c_str());
  ASSERT_TRUE(got);
  EXPECT_LT(latency.count(), 2000);
  EXPECT_TRUE(got_sent);
  // With NOTIFY one connection for INBOX and Sent, else one per folder.
  EXPECT_EQ(opens.load(), caps->contains("NOTIFY") ? 1 : 2);
  for (const auto& s : daemon.States()) {
    EXPECT_TRUE(s.last_sync.has_value()) << s.mailbox << "/" << s.folder;
  }
}

TEST_P(ImapIntegrationTest, H_ServerRestartThenReconnect) {
  MemorySyncSink sink;
  auto mb = Box("support", "s3cret");
  auto src = MakeImapSource(mb, limits_);
  SyncEngine engine(src.get(), &sink, &clock_, limits_);
  SyncTarget inbox{"support", "INBOX", FolderRole::kIncoming, hours(2)};
  ASSERT_TRUE(engine.SyncFolder(inbox).has_value());
  const size_t before = sink.Messages().size();
  ASSERT_TRUE(rig_->Restart().has_value());
  ASSERT_TRUE(rig_->DeliverUnseen("support", "INBOX", Mail(800)).has_value());
  auto r = engine.SyncFolder(inbox);  // same source: stale connection
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->stored_new, 1u);
  EXPECT_EQ(sink.Messages().size(), before + 1);
}

TEST_P(ImapIntegrationTest, I_ContainsMessageIdFindsOurAckInSent) {
  auto mb = Box("support", "s3cret");
  auto src = MakeImapSource(mb, limits_);
  auto ack = [](std::string_view id) {
    return "From: support@shop.example\r\nTo: c@example.com\r\n"
           "Message-ID: <" +
           std::string(id) + ">\r\nSubject: ack\r\n\r\nThanks\r\n";
  };
  // A decoy whose id contains ours (SEARCH HEADER is a substring match,
  // RFC 3501 6.4.4), then our acknowledgement, both unread.
  const std::string sent = rig_->SentFolder();
  ASSERT_TRUE(
      src->Append(sent, ack("xack-900@inboxd.example"), {}, {}).has_value());
  ASSERT_TRUE(
      src->Append(sent, ack("ack-900@inboxd.example"), {}, {}).has_value());
  struct Case {
    std::string id;
    bool want;
  } cases[] = {
      {"ack-900@inboxd.example", true}, {"xack-900@inboxd.example", true},
      {"ack-900@inboxd.exam", false},  // a substring hit only
      {"ck-900@inboxd.example", false}, {"ack-901@inboxd.example", false},
  };
  for (const auto& c : cases) {
    auto got = src->ContainsMessageId(sent, c.id);
    ASSERT_TRUE(got.has_value()) << c.id << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.want) << c.id;
  }
  auto missing = src->ContainsMessageId("NoSuchFolder", "ack-900@x");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound)
      << missing.error().ToString();
  auto bad = src->ContainsMessageId(sent, "a\"b");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, core::Code::kInvalidArgument);

  // Read-only: the searched and fetched messages are still unread.
  auto flags = rig_->Flags("support", sent);
  ASSERT_TRUE(flags.has_value()) << flags.error().ToString();
  ASSERT_FALSE(flags->empty());
  for (const auto& f : *flags) {
    EXPECT_EQ(f.find("\\Seen"), std::string::npos) << f;
  }
}

// Dovecot only: Debian's Cyrus SASL has no XOAUTH2/OAUTHBEARER server
// mechanism to check a bearer token with.
TEST_P(ImapIntegrationDovecotTest, J_Xoauth2TokenCommandAgainstDovecot) {
  // Dovecot's passwd-file passdb checks the bearer token as the password
  // (DEPS-FACTS 2.5), so `echo <password>` stands in for a token helper.
  struct Case {
    std::string token;
    bool ok;
  } cases[] = {{"s3cret", true}, {"Zt7-wrong-token", false}};
  for (const auto& c : cases) {
    config::Mailbox mb = Box("support", "s3cret");
    mb.password_file.clear();
    mb.oauth2_token_command = "echo " + c.token;
    auto src = MakeImapSource(mb, limits_);
    auto st = src->Examine("INBOX");
    if (c.ok) {
      ASSERT_TRUE(st.has_value()) << st.error().ToString();
      EXPECT_GT(st->uid_validity, 0u);
      continue;
    }
    ASSERT_FALSE(st.has_value()) << c.token;
    EXPECT_EQ(st.error().code, core::Code::kPermissionDenied)
        << st.error().ToString();
    EXPECT_NE(st.error().message.find("support"), std::string::npos)
        << st.error().message;
    EXPECT_EQ(st.error().message.find(c.token), std::string::npos)
        << "the token leaked into: " << st.error().message;
  }
}

TEST_P(ImapIntegrationTest, K_FetchFlagsSeesAgentKeywordsAndChangedSince) {
  auto mb = Box("support", "s3cret");
  auto src = MakeImapSource(mb, limits_);
  auto state = src->Examine("INBOX");
  ASSERT_TRUE(state.has_value()) << state.error().ToString();
  ASSERT_TRUE(src->Append("INBOX", Mail(900), {}, {}).has_value());
  ASSERT_TRUE(src->Append("INBOX", Mail(901), {}, {}).has_value());
  auto uids = src->ListUidsFrom("INBOX", state->uid_next);
  ASSERT_TRUE(uids.has_value()) << uids.error().ToString();
  ASSERT_EQ(uids->size(), 2u);
  const uint32_t done_uid = (*uids)[0];
  const uint32_t other_uid = (*uids)[1];

  auto before = src->FetchFlags("INBOX", *uids, 0);
  ASSERT_TRUE(before.has_value()) << before.error().ToString();
  EXPECT_TRUE(before->condstore) << "Dovecot 2.3 and Cyrus 3.6 offer CONDSTORE";
  EXPECT_EQ(before->uid_validity, state->uid_validity);
  EXPECT_GT(before->highest_modseq, 0u);
  ASSERT_EQ(before->messages.size(), 2u);
  for (const auto& m : before->messages) {
    EXPECT_TRUE(m.flags.empty()) << m.uid << ": " << m.flags.front();
    EXPECT_GT(m.modseq, 0u);
    EXPECT_LE(m.modseq, before->highest_modseq);
  }

  // An agent marks the first message done from their mail client.
  ASSERT_TRUE(AgentSession(
                  mb, {"SELECT INBOX", "UID STORE " + std::to_string(done_uid) +
                                           " +FLAGS ($Done)"})
                  .has_value());

  auto after = src->FetchFlags("INBOX", *uids, 0);  // same session
  ASSERT_TRUE(after.has_value()) << after.error().ToString();
  EXPECT_GT(after->highest_modseq, before->highest_modseq);
  ASSERT_EQ(after->messages.size(), 2u);
  EXPECT_EQ(after->messages[0].uid, done_uid);
  EXPECT_EQ(after->messages[0].flags, std::vector<std::string>{"$Done"});
  EXPECT_GT(after->messages[0].modseq, before->highest_modseq);
  EXPECT_EQ(after->messages[1].uid, other_uid);
  EXPECT_TRUE(after->messages[1].flags.empty());
  EXPECT_EQ(after->messages[1].modseq, before->messages[1].modseq);

  // Only what changed since the mark: by UID list and for the whole folder.
  for (bool whole : {false, true}) {
    std::vector<uint32_t> asked = whole ? std::vector<uint32_t>{} : *uids;
    auto changed = src->FetchFlags("INBOX", asked, before->highest_modseq);
    ASSERT_TRUE(changed.has_value()) << changed.error().ToString();
    ASSERT_EQ(changed->messages.size(), 1u) << "whole folder: " << whole;
    EXPECT_EQ(changed->messages[0].uid, done_uid);
    EXPECT_EQ(changed->messages[0].flags, std::vector<std::string>{"$Done"});
    EXPECT_EQ(changed->messages[0].modseq, after->messages[0].modseq);
  }
  auto nothing = src->FetchFlags("INBOX", {}, after->highest_modseq);
  ASSERT_TRUE(nothing.has_value()) << nothing.error().ToString();
  EXPECT_TRUE(nothing->messages.empty());

  // The agent switches it to $Waiting: a new, greater MODSEQ.
  ASSERT_TRUE(AgentSession(
                  mb, {"SELECT INBOX", "UID STORE " + std::to_string(done_uid) +
                                           " FLAGS ($Waiting)"})
                  .has_value());
  auto waiting = src->FetchFlags("INBOX", {}, after->highest_modseq);
  ASSERT_TRUE(waiting.has_value()) << waiting.error().ToString();
  ASSERT_EQ(waiting->messages.size(), 1u);
  EXPECT_EQ(waiting->messages[0].flags, std::vector<std::string>{"$Waiting"});
  EXPECT_GT(waiting->messages[0].modseq, after->messages[0].modseq);

  // inboxd read flags only: neither message became \Seen.
  auto flags = rig_->Flags("support", "INBOX");
  ASSERT_TRUE(flags.has_value()) << flags.error().ToString();
  int found = 0;
  for (const auto& line : *flags) {
    for (uint32_t uid : *uids) {
      if (!line.starts_with("uid=" + std::to_string(uid) + " ") &&
          !line.starts_with(std::to_string(uid) + " ")) {
        continue;
      }
      ++found;
      EXPECT_EQ(line.find("\\Seen"), std::string::npos) << line;
    }
  }
  EXPECT_EQ(found, 2) << "the rig's flag lines did not name the UIDs";

  // The folder is rebuilt: the UIDs held are void, and FetchFlags says so.
  ASSERT_TRUE(rig_->ResetUidValidity("support", "INBOX").has_value());
  auto rebuilt = src->FetchFlags("INBOX", *uids, 0);
  ASSERT_FALSE(rebuilt.has_value());
  EXPECT_EQ(rebuilt.error().code, core::Code::kFailedPrecondition)
      << rebuilt.error().ToString();
}

// Issue 14: the configured name "Sent" is the server's Sent folder
// ("INBOX.Sent" on Cyrus), and `inboxd check-config --connect` says so,
// with the capabilities the server lacks. The rig has no SMTP server, so
// the check ends with one FAIL line, for SMTP, and exit status 1.
TEST_P(ImapIntegrationTest, L_ConfiguredSentResolvesAndCheckConfigConnect) {
  auto mb = Box("support", "s3cret");
  auto src = MakeImapSource(mb, limits_);
  MemorySyncSink sink;
  SyncEngine engine(src.get(), &sink, &clock_, limits_);
  auto targets = engine.Targets("support", {"INBOX"}, "Sent", hours(2));
  ASSERT_TRUE(targets.has_value()) << targets.error().ToString();
  ASSERT_EQ(targets->size(), 2u);
  EXPECT_EQ(targets->back().folder, rig_->SentFolder());
  auto autodetect = engine.Targets("support", {"INBOX"}, "", hours(2));
  ASSERT_TRUE(autodetect.has_value());
  EXPECT_EQ(autodetect->back().folder, rig_->SentFolder());

  const std::string cfg = rig_->dir() + "/check-" +
                          (GetParam() == Server::kCyrus ? "cyrus" : "dovecot") +
                          ".toml";
  std::ofstream(cfg) << "[state]\ndir = \"" << rig_->dir()
                     << "/check-state\"\n\n[[mailbox]]\nname = \"support\"\n"
                     << "address = \"support@shop.example\"\nimap_url = \""
                     << rig_->imap_url()
                     << "\"\nsmtp_url = \"smtp://127.0.0.1:1\"\n"
                     << "tls = \"none\"\nusername = \"support\"\n"
                     << "password_file = \"" << mb.password_file << "\"\n"
                     << "folders = [\"INBOX\"]\nsent_folder = \"Sent\"\n";
  auto out =
      tests::RunShell(std::string(INBOXD_BIN) + " check-config --connect " +
                      cfg + " 2>&1; echo \"exit=$?\"");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  std::printf("%s", out->c_str());
  EXPECT_NE(out->find("logged in as \"support\""), std::string::npos);
  const std::string sent_line =
      "sent_folder \"Sent\": \"" + rig_->SentFolder() + "\"";
  EXPECT_NE(out->find(sent_line), std::string::npos) << sent_line;
  const bool notify = rig_->Capabilities("support")
                          .value_or(std::set<std::string>{})
                          .contains("NOTIFY");
  EXPECT_EQ(out->find("without NOTIFY: one connection per watched folder") !=
                std::string::npos,
            !notify);
  EXPECT_NE(out->find("FAIL smtp smtp://127.0.0.1:1"), std::string::npos);
  size_t fails = 0;
  for (size_t at = 0; (at = out->find("  FAIL ", at)) != std::string::npos;
       ++at) {
    ++fails;
  }
  EXPECT_EQ(fails, 1u);
  EXPECT_NE(out->find("exit=1"), std::string::npos);
}

}  // namespace
}  // namespace inboxd::ingest
