#include "ingest/imap_client.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <map>

#include "core/text.h"
#include "ingest/imap_test_transport.h"

namespace inboxd::ingest {
namespace {

using testing::ScriptedTransport;

// A tiny IMAP server over ScriptedTransport: one folder (INBOX) plus "Sent".
struct FakeServer {
  uint32_t uid_validity = 7;
  std::map<uint32_t, std::string> messages;  // uid -> bytes
  bool esearch = true;
  bool literal_plus = false;
  bool idle = true;
  bool plain_no = false;  // EXAMINE fails without a response code (Dovecot)
  // CONDSTORE (RFC 7162): per-message flags and MODSEQ; absent = "()", 1.
  bool condstore = false;
  bool nomodseq = false;      // offered, but this folder has no mod-sequences
  bool condstore_on = false;  // enabled in the current session
  uint64_t highest_modseq = 1;
  std::map<uint32_t, std::pair<std::string, uint64_t>> flags;
  std::string unsolicited;  // sent before the next flags FETCH's responses
  std::string flags_fetch_reply;  // replaces the flags FETCH's responses
  std::string idle_reply = "+ idling\r\n";
  bool notify = false;          // offers NOTIFY (RFC 5465)
  bool notify_refused = false;  // answers NOTIFY SET with NO
  uint32_t sent_count = 0;      // messages in "Sent Items"
  int close_after = -1;         // close the connection after this many commands
  int commands = 0;
  std::vector<std::string> log;  // every command, across connections
  std::vector<std::string> appended;
  ScriptedTransport* live = nullptr;

  std::string Handle(const std::string& cmd) {
    log.push_back(cmd);
    std::string r = Reply(cmd);
    if (++commands == close_after) return "<close>" + r + "* BYE kicked\r\n";
    return r;
  }

  std::string Reply(const std::string& cmd) {
    auto starts = [&](std::string_view p) { return cmd.rfind(p, 0) == 0; };
    if (cmd == "CAPABILITY") {
      std::string caps = "* CAPABILITY IMAP4rev1";
      if (esearch) caps += " ESEARCH";
      if (literal_plus) caps += " LITERAL+";
      if (idle) caps += " IDLE";
      if (condstore) caps += " CONDSTORE";
      if (notify) caps += " NOTIFY";
      return caps + "\r\n{tag} OK done\r\n";
    }
    if (starts("EXAMINE \"INBOX\"")) {
      uint32_t next = messages.empty() ? 1 : messages.rbegin()->first + 1;
      if (cmd.ends_with(" (CONDSTORE)")) {
        if (!condstore) return "{tag} BAD no CONDSTORE here\r\n";
        condstore_on = true;
      }
      std::string modseq;
      if (condstore_on) {
        modseq = nomodseq ? "* OK [NOMODSEQ] no mod-sequences\r\n"
                          : "* OK [HIGHESTMODSEQ " +
                                std::to_string(highest_modseq) + "] ok\r\n";
      }
      return "* FLAGS (\\Seen)\r\n* " + std::to_string(messages.size()) +
             " EXISTS\r\n* OK [UIDVALIDITY " + std::to_string(uid_validity) +
             "] ok\r\n* OK [UIDNEXT " + std::to_string(next) + "] ok\r\n" +
             modseq + "{tag} OK [READ-ONLY] done\r\n";
    }
    if (notify && starts("EXAMINE \"Sent Items\"")) {
      return "* " + std::to_string(sent_count) +
             " EXISTS\r\n* OK [UIDVALIDITY 5] ok\r\n* OK [UIDNEXT " +
             std::to_string(sent_count + 1) + "] ok\r\n{tag} OK done\r\n";
    }
    if (starts("NOTIFY SET")) {
      if (notify_refused) return "{tag} NO [NOTIFICATIONOVERFLOW] no\r\n";
      if (!starts("NOTIFY SET STATUS")) return "{tag} OK done\r\n";
      return "* STATUS \"Sent Items\" (MESSAGES " + std::to_string(sent_count) +
             " UIDNEXT " + std::to_string(sent_count + 1) +
             ")\r\n{tag} OK done\r\n";
    }
    if (starts("EXAMINE")) {
      return plain_no ? "{tag} NO Mailbox doesn't exist\r\n"
                      : "{tag} NO [NONEXISTENT] Mailbox doesn't exist\r\n";
    }
    if (starts("UID SEARCH HEADER Message-ID \"")) {
      // Like Dovecot: a case-insensitive substring match on the header.
      std::string needle;
      for (size_t i = cmd.find('"') + 1; i + 1 < cmd.size(); ++i) {
        if (cmd[i] == '\\') ++i;
        needle.push_back(cmd[i]);
      }
      std::string s = "* SEARCH";
      for (auto& [uid, m] : messages) {
        std::string h = m.substr(0, m.find("\r\n\r\n"));
        size_t at = core::IFind(h, "Message-ID:");
        if (at == std::string::npos) continue;
        std::string value = h.substr(at, h.find("\r\n", at) - at);
        if (core::IFind(value.substr(11), needle) != std::string::npos) {
          s += " " + std::to_string(uid);
        }
      }
      return s + "\r\n{tag} OK done\r\n";
    }
    if (starts("UID SEARCH")) {
      uint32_t from = std::stoul(cmd.substr(cmd.rfind(' ') + 1));
      std::vector<uint32_t> hits;
      for (auto& [uid, m] : messages) {
        if (uid >= from) hits.push_back(uid);
      }
      // RFC 3501: "n:*" includes the last message even when n > its UID.
      if (hits.empty() && !messages.empty())
        hits.push_back(messages.rbegin()->first);
      if (starts("UID SEARCH RETURN")) {
        std::string s = "* ESEARCH (TAG \"{tag}\") UID";
        if (!hits.empty()) s += " ALL " + FormatSequenceSet(hits);
        return s + "\r\n{tag} OK done\r\n";
      }
      std::string s = "* SEARCH";
      for (auto u : hits) s += " " + std::to_string(u);
      return s + "\r\n{tag} OK done\r\n";
    }
    if (starts("UID FETCH") && cmd.find(" FLAGS") != std::string::npos) {
      return FlagsFetch(cmd);
    }
    if (starts("UID FETCH")) {
      std::string set = cmd.substr(10, cmd.find(' ', 10) - 10);
      auto uids = ExpandSequenceSet(set).value();
      std::string out;
      uint32_t seq = 0;
      for (auto& [uid, m] : messages) {
        ++seq;
        if (std::find(uids.begin(), uids.end(), uid) == uids.end()) continue;
        out += "* " + std::to_string(seq) + " FETCH (UID " +
               std::to_string(uid) +
               " INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" RFC822.SIZE " +
               std::to_string(m.size());
        if (cmd.find("BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]") !=
            std::string::npos) {
          std::string h = m.substr(0, m.find("\r\n\r\n") + 2);
          size_t at = core::IFind(h, "Message-ID:");
          std::string f =
              at == std::string::npos
                  ? "\r\n"
                  : h.substr(at, h.find("\r\n", at) + 2 - at) + "\r\n";
          out += " BODY[HEADER.FIELDS (MESSAGE-ID)] {" +
                 std::to_string(f.size()) + "}\r\n" + f;
        } else if (cmd.find("BODY.PEEK[HEADER]") != std::string::npos) {
          std::string h = m.substr(0, m.find("\r\n\r\n") + 4);
          out += " BODY[HEADER] {" + std::to_string(h.size()) + "}\r\n" + h;
        } else if (cmd.find("BODY.PEEK[]") != std::string::npos) {
          out += " BODY[] {" + std::to_string(m.size()) + "}\r\n" + m;
        }
        out += ")\r\n";
      }
      return out + "{tag} OK done\r\n";
    }
    if (starts("APPEND")) {
      appended.push_back(cmd);
      return "{tag} OK [APPENDUID 7 99] done\r\n";
    }
    if (starts("LIST")) {
      return "* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
             "* LIST (\\HasNoChildren \\Sent) \"/\" \"Sent Items\"\r\n"
             "* LIST (\\Noselect) \"/\" Archive\r\n{tag} OK done\r\n";
    }
    if (cmd == "IDLE") return idle_reply;
    if (cmd == "DONE") return "{tag} OK idle done\r\n";
    if (cmd == "LOGOUT") return "* BYE bye\r\n{tag} OK done\r\n";
    return "{tag} BAD unknown\r\n";
  }

  // UID FETCH <set> (UID FLAGS [MODSEQ]) [(CHANGEDSINCE n)], as Dovecot.
  std::string FlagsFetch(const std::string& cmd) {
    std::string set = cmd.substr(10, cmd.find(' ', 10) - 10);
    std::vector<uint32_t> uids;
    if (set == "1:*") {
      for (auto& [uid, m] : messages) uids.push_back(uid);
    } else {
      uids = ExpandSequenceSet(set).value();
    }
    const bool want_modseq = cmd.find("MODSEQ)") != std::string::npos;
    uint64_t since = 0;
    if (size_t at = cmd.find("(CHANGEDSINCE "); at != std::string::npos) {
      if (!condstore || nomodseq) return "{tag} BAD no CHANGEDSINCE\r\n";
      since = std::stoull(cmd.substr(at + 14));
      condstore_on = true;
    }
    if ((want_modseq || since > 0) && !condstore) {
      return "{tag} BAD unknown fetch item\r\n";
    }
    std::string out = std::move(unsolicited);
    unsolicited.clear();
    if (!flags_fetch_reply.empty()) return out + flags_fetch_reply;
    uint32_t seq = 0;
    for (auto& [uid, m] : messages) {
      ++seq;
      if (std::find(uids.begin(), uids.end(), uid) == uids.end()) continue;
      auto [f, modseq] = flags.contains(uid)
                             ? flags[uid]
                             : std::pair<std::string, uint64_t>{"", 1};
      if (since > 0 && modseq <= since) continue;
      out += "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(uid) +
             " FLAGS (" + f + ")";
      if (want_modseq || since > 0) {
        out += " MODSEQ (" + std::to_string(modseq) + ")";
      }
      out += ")\r\n";
    }
    return out + "{tag} OK done\r\n";
  }

  ImapConnector Connector() {
    return [this]() -> core::Result<std::unique_ptr<ImapTransport>> {
      commands = 0;
      condstore_on = false;
      auto t = std::make_unique<ScriptedTransport>(
          [this](const std::string& c) { return Handle(c); });
      live = t.get();
      return t;
    };
  }
};

ImapSourceOptions Options() {
  ImapSourceOptions o;
  o.mailbox = "support";
  o.io_timeout = std::chrono::seconds(1);
  o.stop_check = std::chrono::milliseconds(10);
  return o;
}

TEST(ImapSourceTest, ExamineAndFetchNeverChangeFlags) {
  FakeServer server;
  std::string body =
      "Message-ID: <a@x>\r\n\r\nA004 OK injected\r\n* 9 FETCH (FLAGS ())\r\n";
  server.messages = {{3, body}, {5, "Subject: b\r\n\r\nb\r\n"}};
  ImapSource src(server.Connector(), Options());
  auto st = src.Examine("INBOX");
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(st->uid_validity, 7u);
  EXPECT_EQ(st->uid_next, 6u);
  EXPECT_EQ(st->exists, 2u);
  auto m = src.Fetch("INBOX", 3);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->raw, body);
  EXPECT_EQ(m->size, body.size());
  EXPECT_EQ(m->internal_date.time_since_epoch().count(), 837596665);
  auto h = src.FetchHeader("INBOX", 3);
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->raw, "Message-ID: <a@x>\r\n\r\n");
  EXPECT_EQ(h->size, body.size());
  for (const auto& c : server.log) {
    EXPECT_EQ(c.find("SELECT"), std::string::npos) << c;
    EXPECT_EQ(c.find("STORE"), std::string::npos) << c;
    if (c.starts_with("UID FETCH") && c.find("BODY") != std::string::npos) {
      EXPECT_NE(c.find("BODY.PEEK["), std::string::npos) << c;
    }
  }
  EXPECT_EQ(src.connects(), 1);
}

TEST(ImapSourceTest, ListUidsFromFiltersStarQuirk) {
  for (bool esearch : {true, false}) {
    FakeServer server;
    server.esearch = esearch;
    server.messages = {{2, "a\r\n\r\n"}, {4, "b\r\n\r\n"}, {9, "c\r\n\r\n"}};
    ImapSource src(server.Connector(), Options());
    struct Case {
      uint32_t from;
      std::vector<uint32_t> want;
    } cases[] = {{0, {2, 4, 9}}, {1, {2, 4, 9}}, {3, {4, 9}},
                 {9, {9}},       {10, {}},  // the server answers 9 for "10:*"
                 {1000, {}}};
    for (const auto& c : cases) {
      auto got = src.ListUidsFrom("INBOX", c.from);
      ASSERT_TRUE(got.has_value()) << got.error().ToString();
      EXPECT_EQ(*got, c.want) << "from " << c.from << " esearch " << esearch;
    }
  }
}

TEST(ImapSourceTest, FetchSizesSkipsExpunged) {
  FakeServer server;
  server.messages = {{2, "ab\r\n\r\n"}, {4, "abcd\r\n\r\n"}};
  ImapSource src(server.Connector(), Options());
  std::vector<uint32_t> uids = {4, 2, 3};
  auto got = src.FetchSizes("INBOX", uids);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].uid, 2u);
  EXPECT_EQ((*got)[0].size, 6u);
  EXPECT_EQ((*got)[1].uid, 4u);
  auto missing = src.Fetch("INBOX", 3);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
  EXPECT_NE(missing.error().message.find("support/INBOX uid 3"),
            std::string::npos)
      << missing.error().message;
}

// FetchMany: one UID FETCH for the set (BODY.PEEK), the bytes of each
// message, an expunged UID simply absent, the result in UID order.
TEST(ImapSourceTest, FetchManyFetchesASetInOneCommand) {
  FakeServer server;
  server.messages = {{2, "Subject: two\r\n\r\n2\r\n"},
                     {3, "Subject: three\r\n\r\n3\r\n"},
                     {4, "Subject: four\r\n\r\n4\r\n"},
                     {9, "Subject: nine\r\n\r\n9\r\n"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  const size_t before = server.log.size();
  std::vector<uint32_t> uids = {2, 3, 4, 7, 9};  // 7 was expunged
  auto got = src.FetchMany("INBOX", uids);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->size(), 4u);
  const uint32_t want[] = {2, 3, 4, 9};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ((*got)[i].uid, want[i]);
    EXPECT_EQ((*got)[i].raw, server.messages[want[i]]);
    EXPECT_EQ((*got)[i].size, server.messages[want[i]].size());
  }
  ASSERT_EQ(server.log.size(), before + 1);
  EXPECT_EQ(server.log.back(),
            "UID FETCH 2:4,7,9 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[])");
  // Nothing asked for: no command.
  auto none = src.FetchMany("INBOX", {});
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(server.log.size(), before + 1);
}

TEST(ImapSourceTest, ErrorsAreClassified) {
  FakeServer server;
  ImapSource src(server.Connector(), Options());
  auto nofolder = src.Examine("Nope");
  ASSERT_FALSE(nofolder.has_value());
  EXPECT_EQ(nofolder.error().code, core::Code::kNotFound);

  // A plain NO: LIST decides between a missing folder and a refusal.
  server.plain_no = true;
  struct Case {
    std::string folder;
    core::Code want;
  } cases[] = {{"Nope", core::Code::kNotFound},
               {"Archive", core::Code::kNotFound},  // \Noselect
               {"Sent Items", core::Code::kUnavailable}};
  for (const auto& c : cases) {
    auto r = src.Examine(c.folder);
    ASSERT_FALSE(r.has_value()) << c.folder;
    EXPECT_EQ(r.error().code, c.want)
        << c.folder << ": " << r.error().ToString();
    auto s = src.ContainsMessageId(c.folder, "a@x");
    ASSERT_FALSE(s.has_value()) << c.folder;
    EXPECT_EQ(s.error().code, c.want)
        << c.folder << ": " << s.error().ToString();
  }

  ImapSource refused(
      []() -> core::Result<std::unique_ptr<ImapTransport>> {
        return core::Fail(core::Error::PermissionDenied("login refused"));
      },
      Options());
  auto r = refused.Examine("INBOX");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kPermissionDenied);
}

TEST(ImapSourceTest, ReconnectsOnceAfterDroppedConnection) {
  FakeServer server;
  server.messages = {{1, "x\r\n\r\n1"}, {2, "y\r\n\r\n2"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  // The next command's reply is followed by BYE and a closed connection.
  server.close_after = server.commands + 1;
  ASSERT_TRUE(src.Fetch("INBOX", 1).has_value());
  server.close_after = -1;
  auto m = src.Fetch("INBOX", 2);
  ASSERT_TRUE(m.has_value()) << m.error().ToString();
  EXPECT_EQ(m->raw, "y\r\n\r\n2");
  EXPECT_EQ(src.connects(), 2);
}

TEST(ImapSourceTest, UidValidityChangeAfterReconnectIsReported) {
  FakeServer server;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  server.close_after = server.commands + 1;
  ASSERT_TRUE(src.Fetch("INBOX", 1).has_value());
  server.uid_validity = 8;
  auto m = src.Fetch("INBOX", 1);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, core::Code::kFailedPrecondition);
  auto again = src.Examine("INBOX");  // the caller re-examines and resyncs
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->uid_validity, 8u);
  EXPECT_TRUE(src.Fetch("INBOX", 1).has_value());
}

// Polls `fd` for input for up to `ms` milliseconds.
bool Readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, ms) == 1;
}

TEST(ImapSourceTest, IdleInThreeStepsReportsExistsAndExpunge) {
  FakeServer server;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  ASSERT_GE(w->fd, 0);
  EXPECT_FALSE(w->changed);
  EXPECT_EQ(server.log.back(), "IDLE");
  EXPECT_FALSE(Readable(w->fd, 0));
  auto quiet = src.ReadIdle();
  ASSERT_TRUE(quiet.has_value()) << quiet.error().ToString();
  EXPECT_FALSE(*quiet);

  // A keep-alive is read and is no change.
  server.live->Push("* OK Still here\r\n");
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto still = src.ReadIdle();
  ASSERT_TRUE(still.has_value());
  EXPECT_FALSE(*still);
  EXPECT_FALSE(Readable(w->fd, 0));  // drained

  server.live->Push("* 2 EXISTS\r\n* 1 RECENT\r\n");
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto changed = src.ReadIdle();
  ASSERT_TRUE(changed.has_value()) << changed.error().ToString();
  EXPECT_TRUE(*changed);
  auto stopped = src.StopIdle();
  ASSERT_TRUE(stopped.has_value()) << stopped.error().ToString();
  EXPECT_TRUE(*stopped);
  EXPECT_EQ(server.log.back(), "DONE");
  // The connection is still in sync: the next command works.
  EXPECT_TRUE(src.Fetch("INBOX", 1).has_value());
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());  // change consumed

  // An expunge is a change too; a quiet IDLE stopped reports none.
  w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(w->changed);
  auto none = src.StopIdle();
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(*none);
  w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  server.live->Push("* 1 EXPUNGE\r\n");
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto gone = src.ReadIdle();
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(*gone);
  // Any command while idling sends DONE first.
  const size_t before = server.log.size();
  EXPECT_TRUE(src.Examine("INBOX").has_value());
  ASSERT_GE(server.log.size(), before + 2);
  EXPECT_EQ(server.log[before], "DONE");
}

TEST(ImapSourceTest, IdleChangeArrivingWithTheContinuationIsNotMissed) {
  FakeServer server;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  // The server's "+" and an EXISTS arrive together: poll() would not show
  // the EXISTS, already in the reader's buffer.
  server.live->set_chunk(1 << 16);
  server.idle_reply = "+ idling\r\n* 2 EXISTS\r\n";
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_TRUE(w->changed);
  EXPECT_EQ(server.log.back(), "DONE");  // IDLE already ended
}

TEST(ImapSourceTest, IdleConnectionLostIsAnErrorAndReconnects) {
  FakeServer server;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  server.live->Push("* BYE shutting down\r\n");
  server.live->CloseWhenDrained();
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto r = src.ReadIdle();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, core::Code::kUnavailable);
  EXPECT_NE(r.error().message.find("imap idle"), std::string::npos)
      << r.error().message;
  EXPECT_TRUE(src.Examine("INBOX").has_value());
  EXPECT_EQ(src.connects(), 2);
}

TEST(ImapSourceTest, NoIdleCapabilityMeansNoDescriptor) {
  FakeServer server;
  server.idle = false;
  ImapSource src(server.Connector(), Options());
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_EQ(w->fd, -1);
  for (const auto& c : server.log) EXPECT_NE(c, "IDLE");
}

int CountCommands(const FakeServer& server, std::string_view prefix) {
  return static_cast<int>(std::count_if(
      server.log.begin(), server.log.end(),
      [&](const std::string& c) { return c.starts_with(prefix); }));
}

TEST(ImapSourceNotifyTest, OneIdleReportsNewsOfEveryWatchedFolder) {
  FakeServer server;
  server.notify = true;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  const std::vector<std::string> folders = {"INBOX", "Sent Items"};
  auto watch = src.WatchFolders(folders);
  ASSERT_TRUE(watch.has_value()) << watch.error().ToString();
  EXPECT_TRUE(*watch);
  EXPECT_EQ(server.log.back(),
            "NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (MAILBOXES "
            "(\"INBOX\" \"Sent Items\") (MessageNew MessageExpunge))");
  // A sync: INBOX, then Sent Items, then IDLE on INBOX.
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());
  ASSERT_TRUE(src.Examine("Sent Items").has_value());
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_FALSE(w->changed);
  EXPECT_EQ(CountCommands(server, "NOTIFY SET STATUS"), 1);
  EXPECT_EQ(server.log.back(), "IDLE");

  // A folder nobody watches, or a watched one that did not change: no news.
  server.live->Push("* STATUS Archive (MESSAGES 3 UIDNEXT 9)\r\n");
  server.live->Push("* STATUS \"Sent Items\" (MESSAGES 0 UIDNEXT 1)\r\n");
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto quiet = src.ReadIdle();
  ASSERT_TRUE(quiet.has_value()) << quiet.error().ToString();
  EXPECT_FALSE(*quiet);
  // An agent's reply lands in Sent Items.
  server.live->Push("* STATUS \"Sent Items\" (MESSAGES 1 UIDNEXT 2)\r\n");
  ASSERT_TRUE(Readable(w->fd, 1000));
  auto news = src.ReadIdle();
  ASSERT_TRUE(news.has_value());
  EXPECT_TRUE(*news);
  auto stopped = src.StopIdle();
  ASSERT_TRUE(stopped.has_value());
  EXPECT_TRUE(*stopped);
  // Its sync clears it.
  server.sent_count = 1;
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());
  ASSERT_TRUE(src.Examine("Sent Items").has_value());
  w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  EXPECT_FALSE(w->changed);
}

TEST(ImapSourceNotifyTest, NewsBetweenASyncAndTheIdleIsNotLost) {
  FakeServer server;
  server.notify = true;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  const std::vector<std::string> folders = {"INBOX", "Sent Items"};
  ASSERT_TRUE(src.WatchFolders(folders).value());
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());
  ASSERT_TRUE(src.Examine("Sent Items").has_value());
  // Sent Items changes after its sync, before any NOTIFY event could tell:
  // the STATUS answer of the NOTIFY SET STATUS before IDLE shows it.
  server.sent_count = 1;
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_TRUE(w->changed);
  EXPECT_NE(server.log.back(), "IDLE");
  // And INBOX changing while Sent Items was selected shows in the EXAMINE
  // that StartIdle sends to go back to INBOX.
  ASSERT_TRUE(src.Examine("Sent Items").has_value());
  server.messages[2] = "y\r\n\r\n2";
  w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value());
  EXPECT_TRUE(w->changed);
}

TEST(ImapSourceNotifyTest, ReconnectSetsNotifyAgainAndCountsAllAsChanged) {
  FakeServer server;
  server.notify = true;
  server.messages = {{1, "x\r\n\r\n1"}};
  ImapSource src(server.Connector(), Options());
  const std::vector<std::string> folders = {"INBOX", "Sent Items"};
  ASSERT_TRUE(src.WatchFolders(folders).value());
  ASSERT_TRUE(src.Examine("Sent Items").has_value());
  server.live->CloseWhenDrained();  // the server goes away
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());  // retried
  EXPECT_EQ(src.connects(), 2);
  EXPECT_EQ(CountCommands(server, "NOTIFY SET (SELECTED"), 2);
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_TRUE(w->changed);  // Sent Items may have changed meanwhile
}

TEST(ImapSourceNotifyTest, WithoutNotifyOrWhenRefusedEachFolderIsOnItsOwn) {
  const std::vector<std::string> folders = {"INBOX", "Sent Items"};
  {
    FakeServer server;
    ImapSource src(server.Connector(), Options());
    auto watch = src.WatchFolders(folders);
    ASSERT_TRUE(watch.has_value());
    EXPECT_FALSE(*watch);
    EXPECT_EQ(CountCommands(server, "NOTIFY"), 0);
  }
  {
    FakeServer server;
    server.notify = true;
    server.notify_refused = true;
    ImapSource src(server.Connector(), Options());
    auto watch = src.WatchFolders(folders);
    ASSERT_TRUE(watch.has_value()) << watch.error().ToString();
    EXPECT_FALSE(*watch);
    // Not watching: IDLE without NOTIFY SET STATUS.
    auto w = src.StartIdle("INBOX");
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(CountCommands(server, "NOTIFY SET STATUS"), 0);
  }
}

TEST(ImapSourceTest, AppendSendsLiteral) {
  for (bool plus : {false, true}) {
    FakeServer server;
    server.literal_plus = plus;
    ImapSource src(server.Connector(), Options());
    std::vector<std::string> flags = {"\\Seen"};
    core::TimePoint when{std::chrono::seconds(1795455955)};
    auto st = src.Append("Sent", "Subject: r\r\n\r\nbody", flags, when);
    ASSERT_TRUE(st.has_value()) << st.error().ToString();
    ASSERT_EQ(server.appended.size(), 1u);
    EXPECT_EQ(
        server.appended[0],
        std::string(
            "APPEND \"Sent\" (\\Seen) \"23-Nov-2026 17:45:55 +0000\" {18") +
            (plus ? "+" : "") + "}\r\nSubject: r\r\n\r\nbody");
    std::vector<std::string> bad = {"\\Seen)"};
    EXPECT_EQ(src.Append("Sent", "x", bad, {}).error().code,
              core::Code::kInvalidArgument);
  }
}

TEST(ImapSourceTest, ContainsMessageIdComparesExactlyAfterSearch) {
  FakeServer server;
  server.messages = {
      {3, "Message-ID: <xack-1@inboxd>\r\nSubject: a\r\n\r\nbody\r\n"},
      {5, "Subject: b\r\nMessage-ID:  <ack-1@inboxd> \r\n\r\nb\r\n"},
      {8, "Message-ID: <ACK-2@inboxd.other>\r\n\r\nc\r\n"},
  };
  ImapSource src(server.Connector(), Options());
  struct Case {
    std::string id;
    bool want;
    size_t fetched;  // UIDs in the UID FETCH after the search
  } cases[] = {
      {"ack-1@inboxd", true, 2},   // uid 3 is a substring hit, 5 the real one
      {"ack-2@inboxd", false, 1},  // only a substring (and case) hit
      {"ack-3@inboxd", false, 0},  // no hit: no FETCH at all
      {"ACK-2@inboxd.other", true, 1},
  };
  for (const auto& c : cases) {
    server.log.clear();
    auto got = src.ContainsMessageId("INBOX", c.id);
    ASSERT_TRUE(got.has_value()) << c.id << ": " << got.error().ToString();
    EXPECT_EQ(*got, c.want) << c.id;
    std::vector<std::string> fetches;
    for (const auto& cmd : server.log) {
      EXPECT_EQ(cmd.find("SELECT"), std::string::npos) << cmd;
      EXPECT_EQ(cmd.find("STORE"), std::string::npos) << cmd;
      if (cmd.starts_with("UID SEARCH")) {
        EXPECT_EQ(cmd, "UID SEARCH HEADER Message-ID \"" + c.id + "\"");
      }
      if (cmd.starts_with("UID FETCH")) fetches.push_back(cmd);
    }
    if (c.fetched == 0) {
      EXPECT_TRUE(fetches.empty()) << c.id;
    } else {
      ASSERT_EQ(fetches.size(), 1u) << c.id;
      EXPECT_NE(fetches[0].find("BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"),
                std::string::npos);
      size_t n = ExpandSequenceSet(
                     fetches[0].substr(10, fetches[0].find(' ', 10) - 10))
                     .value()
                     .size();
      EXPECT_EQ(n, c.fetched) << c.id;
    }
  }
  EXPECT_EQ(src.connects(), 1);

  auto missing = src.ContainsMessageId("Nope", "ack-1@inboxd");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
}

TEST(ImapSourceTest, ContainsMessageIdRefusesBadIdsWithoutSending) {
  FakeServer server;
  server.messages = {{1, "Message-ID: <a@x>\r\n\r\n"}};
  ImapSource src(server.Connector(), Options());
  const std::string bad[] = {
      "",       "a@x\r\n", "a\nb",   std::string("a\0b", 3),
      "a\"b@x", "a\\b@x",  "a\tb@x", "caf\xc3\xa9@x"};
  for (const auto& id : bad) {
    auto r = src.ContainsMessageId("INBOX", id);
    ASSERT_FALSE(r.has_value()) << core::Printable(id);
    EXPECT_EQ(r.error().code, core::Code::kInvalidArgument)
        << core::Printable(id);
  }
  EXPECT_TRUE(server.log.empty());  // not even a connection's CAPABILITY
  EXPECT_EQ(src.connects(), 0);
  auto ok = src.ContainsMessageId("INBOX", "a@x");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
  EXPECT_TRUE(*ok);
}

TEST(ImapSourceTest, ContainsMessageIdReconnectsAndKeepsUidValidity) {
  FakeServer server;
  server.messages = {{1, "Message-ID: <a@x>\r\n\r\n"}};
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  // The fetch's reply ends with BYE; the server comes back rebuilt, so the
  // search fails on the dead connection and is retried on a new one.
  server.close_after = server.commands + 1;
  ASSERT_TRUE(src.Fetch("INBOX", 1).has_value());
  server.close_after = -1;
  server.uid_validity = 9;
  auto again = src.ContainsMessageId("INBOX", "a@x");
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(*again);
  EXPECT_EQ(src.connects(), 2);
  // The search did not adopt the new UIDVALIDITY: UID work still reports it.
  auto fetch = src.Fetch("INBOX", 1);
  ASSERT_FALSE(fetch.has_value());
  EXPECT_EQ(fetch.error().code, core::Code::kFailedPrecondition);
}

TEST(ImapSourceTest, ListFoldersFindsSent) {
  FakeServer server;
  ImapSource src(server.Connector(), Options());
  auto folders = src.ListFolders();
  ASSERT_TRUE(folders.has_value()) << folders.error().ToString();
  ASSERT_EQ(folders->size(), 3u);
  EXPECT_FALSE((*folders)[0].is_sent);
  EXPECT_TRUE((*folders)[1].is_sent);
  EXPECT_EQ((*folders)[1].name, "Sent Items");
  EXPECT_TRUE((*folders)[2].no_select);
}

// Flags of agents' mail clients (issue 9): \Seen, $Done from Thunderbird or
// Outlook, a Thunderbird label; expunged UIDs absent; \Recent dropped.
FakeServer FlagsServer(bool condstore) {
  FakeServer server;
  server.condstore = condstore;
  for (uint32_t uid : {2u, 4u, 7u, 9u}) {
    server.messages[uid] = "Subject: " + std::to_string(uid) + "\r\n\r\nx\r\n";
  }
  server.flags = {{2, {"\\Seen", 3}},
                  {4, {"\\Recent $Done \\Seen", 9}},
                  {7, {"$label1 $Waiting", 5}},
                  {9, {"", 12}}};
  server.highest_modseq = 12;
  return server;
}

std::vector<std::string> FetchCommands(const FakeServer& server) {
  std::vector<std::string> out;
  for (const auto& c : server.log) {
    EXPECT_FALSE(c.starts_with("SELECT")) << c;
    EXPECT_FALSE(c.starts_with("STORE") || c.starts_with("UID STORE")) << c;
    EXPECT_EQ(c.find("BODY"), std::string::npos) << c;
    if (c.starts_with("UID FETCH")) out.push_back(c);
  }
  return out;
}

TEST(ImapSourceFlagsTest, CondstoreServer) {
  FakeServer server = FlagsServer(true);
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.SupportsPush().has_value());  // connected: CAPABILITY done
  const std::vector<uint32_t> uids = {7, 2, 4, 5, 9, 2};  // 5 is expunged
  struct Case {
    std::string name;
    std::vector<uint32_t> uids;
    uint64_t changed_since;
    std::vector<uint32_t> want_uids;
    std::vector<std::string> want_fetches;
  } cases[] = {
      {"all asked",
       uids,
       0,
       {2, 4, 7, 9},
       {"UID FETCH 2,4:5,7,9 (UID FLAGS MODSEQ)"}},
      {"changed since 5",
       uids,
       5,
       {4, 9},
       {"UID FETCH 2,4:5,7,9 (UID FLAGS MODSEQ) (CHANGEDSINCE 5)"}},
      {"whole folder since 4",
       {},
       4,
       {4, 7, 9},
       {"UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE 4)"}},
      {"nothing changed",
       {},
       12,
       {},
       {"UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE 12)"}},
      {"no uids, no mark: folder state only", {}, 0, {}, {}},
      // Above HIGHESTMODSEQ (index rebuilt): everything asked for.
      {"mark from the future",
       {},
       50,
       {2, 4, 7, 9},
       {"UID FETCH 1:* (UID FLAGS MODSEQ)"}},
  };
  for (const auto& c : cases) {
    server.log.clear();
    auto got = src.FetchFlags("INBOX", c.uids, c.changed_since);
    ASSERT_TRUE(got.has_value()) << c.name << ": " << got.error().ToString();
    EXPECT_TRUE(got->condstore) << c.name;
    EXPECT_EQ(got->uid_validity, 7u) << c.name;
    EXPECT_EQ(got->highest_modseq, 12u) << c.name;
    std::vector<uint32_t> got_uids;
    for (const auto& m : got->messages) got_uids.push_back(m.uid);
    EXPECT_EQ(got_uids, c.want_uids) << c.name;
    EXPECT_EQ(FetchCommands(server), c.want_fetches) << c.name;
    ASSERT_FALSE(server.log.empty()) << c.name;
    EXPECT_EQ(server.log.front(), "EXAMINE \"INBOX\" (CONDSTORE)") << c.name;
  }
  auto all = src.FetchFlags("INBOX", uids, 0).value();
  ASSERT_EQ(all.messages.size(), 4u);
  using Flags = std::vector<std::string>;
  EXPECT_EQ(all.messages[0].flags, Flags{"\\Seen"});
  EXPECT_EQ(all.messages[0].modseq, 3u);
  EXPECT_EQ(all.messages[1].flags, (Flags{"$Done", "\\Seen"}));
  EXPECT_EQ(all.messages[1].modseq, 9u);
  EXPECT_EQ(all.messages[2].flags, (Flags{"$label1", "$Waiting"}));
  EXPECT_TRUE(all.messages[3].flags.empty());
  EXPECT_EQ(all.messages[3].modseq, 12u);
  EXPECT_EQ(src.connects(), 1);
}

TEST(ImapSourceFlagsTest, ServerWithoutCondstoreOrModSeqs) {
  for (bool offered : {false, true}) {  // true: offered, but [NOMODSEQ]
    FakeServer server = FlagsServer(offered);
    server.nomodseq = offered;
    ImapSource src(server.Connector(), Options());
    ASSERT_TRUE(src.SupportsPush().has_value());
    const std::vector<uint32_t> uids = {9, 4, 5};
    struct Case {
      std::vector<uint32_t> uids;
      uint64_t changed_since;
      std::vector<uint32_t> want_uids;
      std::string want_fetch;
    } cases[] = {
        {uids, 0, {4, 9}, "UID FETCH 4:5,9 (UID FLAGS)"},
        {uids, 5, {4, 9}, "UID FETCH 4:5,9 (UID FLAGS)"},  // mark ignored
        {{}, 5, {2, 4, 7, 9}, "UID FETCH 1:* (UID FLAGS)"},
    };
    for (const auto& c : cases) {
      server.log.clear();
      auto got = src.FetchFlags("INBOX", c.uids, c.changed_since);
      ASSERT_TRUE(got.has_value()) << got.error().ToString();
      EXPECT_FALSE(got->condstore);
      EXPECT_EQ(got->highest_modseq, 0u);
      std::vector<uint32_t> got_uids;
      for (const auto& m : got->messages) {
        got_uids.push_back(m.uid);
        EXPECT_EQ(m.modseq, 0u);
      }
      EXPECT_EQ(got_uids, c.want_uids) << offered;
      EXPECT_EQ(FetchCommands(server), std::vector<std::string>{c.want_fetch})
          << offered;
      EXPECT_EQ(server.log.front(), offered ? "EXAMINE \"INBOX\" (CONDSTORE)"
                                            : "EXAMINE \"INBOX\"");
    }
  }
}

TEST(ImapSourceFlagsTest, UnsolicitedUpdatesOfOtherSessions) {
  FakeServer server = FlagsServer(true);
  ImapSource src(server.Connector(), Options());
  const std::vector<uint32_t> uids = {2, 7};
  // Before the answer: an update by sequence number only and one of a UID
  // not asked for, both ignored.
  server.unsolicited =
      "* 1 FETCH (FLAGS (\\Deleted) MODSEQ (13))\r\n"
      "* 2 FETCH (UID 4 FLAGS ($Junk) MODSEQ (14))\r\n";
  server.flags[7] = {"$Waiting", 5};
  auto got = src.FetchFlags("INBOX", uids, 0);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->messages.size(), 2u);
  EXPECT_EQ(got->messages[0].flags, std::vector<std::string>{"\\Seen"});
  EXPECT_EQ(got->messages[1].flags, std::vector<std::string>{"$Waiting"});

  server.flags_fetch_reply =
      "* 3 FETCH (UID 7 FLAGS ($Waiting) MODSEQ (5))\r\n"
      "* 3 FETCH (UID 7 FLAGS ($Done) MODSEQ (15))\r\n{tag} OK done\r\n";
  got = src.FetchFlags("INBOX", uids, 0);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->messages.size(), 1u);
  EXPECT_EQ(got->messages[0].flags, std::vector<std::string>{"$Done"});
  EXPECT_EQ(got->messages[0].modseq, 15u);

  // With a mark, an unsolicited report of an unchanged message is dropped.
  server.flags_fetch_reply =
      "* 1 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (3))\r\n"
      "* 3 FETCH (UID 7 FLAGS ($Done) MODSEQ (15))\r\n{tag} OK done\r\n";
  got = src.FetchFlags("INBOX", {}, 10);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->messages.size(), 1u);
  EXPECT_EQ(got->messages[0].uid, 7u);
}

TEST(ImapSourceFlagsTest, MalformedAnswersAreUnavailable) {
  const std::string bad[] = {
      "* 1 FETCH (UID 2 MODSEQ (3))\r\n",                 // no FLAGS
      "* 1 FETCH (UID 2 FLAGS (\\Seen) MODSEQ (x))\r\n",  // bad MODSEQ
      "* 1 FETCH (UID 2 FLAGS (\\Seen) MODSEQ 3)\r\n",    // not a list
      "* 1 FETCH (UID 2 FLAGS \\Seen)\r\n",               // FLAGS not a list
      "* 1 FETCH (UID 2 FLAGS (\"$Done\"))\r\n",          // a string flag
      "* 1 FETCH (UID 2 FLAGS)\r\n",                      // odd item count
  };
  for (const auto& b : bad) {
    FakeServer server = FlagsServer(true);
    server.flags_fetch_reply = b + "{tag} OK done\r\n";
    ImapSource src(server.Connector(), Options());
    std::vector<uint32_t> uids = {2};
    auto got = src.FetchFlags("INBOX", uids, 0);
    ASSERT_FALSE(got.has_value()) << b;
    EXPECT_EQ(got.error().code, core::Code::kUnavailable) << b;
    EXPECT_NE(got.error().message.find("imap fetch flags support/INBOX"),
              std::string::npos)
        << got.error().message;
  }
}

TEST(ImapSourceFlagsTest, ManyUidsAreSplitIntoShortCommands) {
  FakeServer server;
  server.condstore = true;
  std::vector<uint32_t> uids;
  for (uint32_t uid = 1000001; uid < 1006001; uid += 2) {  // no ranges
    uids.push_back(uid);
    server.messages[uid] = "x\r\n\r\n";
    server.flags[uid] = {"$Done", uid};
  }
  server.highest_modseq = 2000000;
  ImapSource src(server.Connector(), Options());
  auto got = src.FetchFlags("INBOX", uids, 0);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->messages.size(), uids.size());
  for (size_t i = 0; i < uids.size(); ++i) {
    EXPECT_EQ(got->messages[i].uid, uids[i]);
    EXPECT_EQ(got->messages[i].modseq, uids[i]);
  }
  auto fetches = FetchCommands(server);
  EXPECT_GT(fetches.size(), 1u);
  for (const auto& f : fetches) {
    EXPECT_LE(f.size(), kFlagsSetChars + 40) << f.substr(0, 40);
  }
}

TEST(ImapSourceFlagsTest, UidValidityAndMissingFolder) {
  FakeServer server = FlagsServer(true);
  ImapSource src(server.Connector(), Options());
  std::vector<uint32_t> uids = {2};
  ASSERT_TRUE(src.FetchFlags("INBOX", uids, 0).has_value());
  server.uid_validity = 8;  // the folder was rebuilt: UID 2 is another mail
  auto changed = src.FetchFlags("INBOX", uids, 0);
  ASSERT_FALSE(changed.has_value());
  EXPECT_EQ(changed.error().code, core::Code::kFailedPrecondition);
  EXPECT_EQ(src.connects(), 1);  // noticed without a reconnect

  auto missing = src.FetchFlags("Nope", uids, 0);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
}

TEST(ImapSourceFlagsTest, ReconnectsOnceAfterDroppedConnection) {
  FakeServer server = FlagsServer(true);
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.Examine("INBOX").has_value());
  // The next command's reply is followed by BYE and a closed connection.
  server.close_after = server.commands + 1;
  ASSERT_TRUE(src.Fetch("INBOX", 2).has_value());
  server.close_after = -1;
  std::vector<uint32_t> uids = {4};
  auto got = src.FetchFlags("INBOX", uids, 0);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  ASSERT_EQ(got->messages.size(), 1u);
  EXPECT_EQ(got->messages[0].modseq, 9u);
  EXPECT_EQ(src.connects(), 2);
}

TEST(ImapSourceFlagsTest, NewMailSeenByItsExamineStillWakesIdle) {
  FakeServer server = FlagsServer(true);
  ImapSource src(server.Connector(), Options());
  ASSERT_TRUE(src.ListUidsFrom("INBOX", 1).has_value());
  // Mail arrives unannounced (no IDLE running); FetchFlags' fresh EXAMINE is
  // the first to see it and must not swallow the change.
  server.messages[10] = "new\r\n\r\n";
  std::vector<uint32_t> uids = {2};
  ASSERT_TRUE(src.FetchFlags("INBOX", uids, 0).has_value());
  auto w = src.StartIdle("INBOX");
  ASSERT_TRUE(w.has_value()) << w.error().ToString();
  EXPECT_TRUE(w->changed);
  for (const auto& c : server.log) EXPECT_NE(c, "IDLE");
}

}  // namespace
}  // namespace inboxd::ingest
