// audit_cli_test.cc: `inboxd audit verify` and `inboxd forget` as an
// operator runs them (issue 11 items 1, 2, 5): a store seeded through the
// store library, then tampered with the sqlite3 CLI (triggers dropped), as
// someone editing the file by hand would.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"
#include "core/hash.h"
#include "store/store.h"
#include "tests/ci_env.h"

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

// Runs a shell command line; stdout and stderr apart.
RunResult Shell(const std::string& cmd) {
  const fs::path err_file =
      fs::temp_directory_path() /
      ("inboxd-audit-test-" + std::to_string(::getpid()) + ".err");
  RunResult r;
  FILE* p = ::popen((cmd + " 2>" + err_file.string()).c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  fs::remove(err_file);
  return r;
}

RunResult Inboxd(const std::string& args) {
  return Shell(std::string(INBOXD_BIN) + " " + args);
}

// Debian's sqlite3 CLI, installed when missing (as root).
bool HaveSqlite3() {
  if (Shell("command -v sqlite3").status == 0) return true;
  if (::geteuid() == 0) {
    Shell("apt-get install -y sqlite3 >/dev/null");
  }
  return Shell("command -v sqlite3").status == 0;
}

constexpr char kAnna[] = "anna@customer.example";

class AuditCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!HaveSqlite3()) {
      INBOXD_SKIP_OR_FAIL() << "no sqlite3 CLI (apt-get install sqlite3)";
    }
    dir_ = fs::path(::testing::TempDir()) /
           ("audit_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "state");
    cfg_ = dir_ / "inboxd.toml";
    std::ofstream(cfg_) << "[state]\ndir = \"" << (dir_ / "state").string()
                        << "\"\n"
                        << R"toml(
[[mailbox]]
name = "support"
address = "support@shop.example"
imap_url = "imap://127.0.0.1:1"
smtp_url = "smtp://127.0.0.1:1"
tls = "none"
username = "support"
password_env = "INBOXD_AUDIT_TEST_NOPE"
)toml";
    db_ = (dir_ / "state" / "inboxd.db").string();
    Seed();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Two customers' tickets with their messages and a few events.
  void Seed() {
    inboxd::core::FakeClock clock(
        inboxd::core::TimePoint(std::chrono::seconds(1'800'000'000)));
    auto st = inboxd::store::Store::Open(db_, &clock);
    ASSERT_TRUE(st.has_value()) << st.error().message;
    inboxd::store::Store& s = **st;
    int uid = 0;
    for (const std::string who : {kAnna, "bob@other.example"}) {
      inboxd::store::RawMessageIn in;
      in.mailbox = "support";
      in.folder = "INBOX";
      in.uid_validity = 1;
      in.uid = static_cast<uint32_t>(++uid);
      in.arrived_at = clock.Now();
      in.raw = "From: " + who +
               "\r\nTo: support@shop.example\r\nMessage-ID: <" +
               std::to_string(uid) + "@customer.example>\r\nSubject: order " +
               std::to_string(uid) + "\r\n\r\nplease call " + who + "\r\n";
      in.sha256 = inboxd::core::Sha256Hex(in.raw);
      in.size = in.raw.size();
      in.message_id = std::to_string(uid) + "@customer.example";
      auto m = s.PutRawMessage(in);
      ASSERT_TRUE(m.has_value()) << m.error().message;
      inboxd::store::DecisionRow row;
      row.kind = "human";
      row.cls = "support";
      row.thread = "new";
      row.language = "en";
      row.decision = "ack";
      row.reasons_json = "[\"sender " + who + "\"]";
      row.party = "customer";
      inboxd::store::TicketIn t;
      t.mailbox = "support";
      t.prefix = "S";
      t.customer = who;
      t.subject = "order from " + who;
      t.normalized_subject = t.subject;
      t.cls = "support";
      t.language = "en";
      t.opened_at = clock.Now();
      auto ticket = s.RecordDecisionWithNewTicket(m->id, t, row);
      ASSERT_TRUE(ticket.has_value()) << ticket.error().message;
      clock.Advance(std::chrono::minutes(5));
    }
  }

  std::string Sql(const std::string& sql) {
    RunResult r = Shell("sqlite3 " + db_ + " \"" + sql + "\"");
    EXPECT_EQ(r.status, 0) << sql << ": " << r.err;
    return r.out;
  }

  std::string Config() const { return " --config " + cfg_.string(); }

  fs::path dir_;
  fs::path cfg_;
  std::string db_;
};

TEST_F(AuditCliTest, VerifyForgetTamperTruncate) {
  // A sound chain: exit 0, the count and the head.
  RunResult v = Inboxd("audit verify --json" + Config());
  ASSERT_EQ(v.status, 0) << v.err;
  auto j = nlohmann::json::parse(v.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << v.out;
  const int64_t events = j["events"].get<int64_t>();
  const std::string head1 = j["head"].get<std::string>();
  EXPECT_GT(events, 5);
  EXPECT_EQ(j["last_id"].get<int64_t>(), events);
  EXPECT_EQ(j["erased"], 0);
  EXPECT_EQ(Sql("SELECT hash FROM events ORDER BY id DESC LIMIT 1"),
            head1 + "\n");
  v = Inboxd("audit verify" + Config());
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find(std::to_string(events) + " event(s)"), std::string::npos)
      << v.out;
  EXPECT_NE(v.out.find(head1), std::string::npos) << v.out;

  // Nothing appended by verifying; a dry run changes nothing either.
  const std::string dump0 = Sql(".dump");
  RunResult dry =
      Inboxd("forget " + std::string(kAnna) + " --dry-run --json" + Config());
  ASSERT_EQ(dry.status, 0) << dry.err;
  auto dj = nlohmann::json::parse(dry.out, nullptr, false);
  EXPECT_EQ(dj["messages"], 1) << dry.out;
  EXPECT_EQ(dj["tickets"], 1) << dry.out;
  EXPECT_EQ(Sql(".dump"), dump0);

  // The erasure: counts, the backup reminder, a tombstone by the operator.
  RunResult f = Inboxd("forget ANNA@customer.example" + Config());
  ASSERT_EQ(f.status, 0) << f.err;
  EXPECT_NE(f.out.find("1 message(s) blanked"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("backups"), std::string::npos) << f.out;
  const std::string dump = Sql(".dump");
  EXPECT_EQ(dump.find(kAnna), std::string::npos);
  EXPECT_NE(dump.find("bob@other.example"), std::string::npos);
  EXPECT_EQ(Sql("SELECT count(*) FROM events WHERE type = 'privacy.forgotten' "
                "AND actor LIKE 'unix:%' AND data LIKE '%" +
                inboxd::core::Sha256Hex(kAnna) + "%'"),
            "1\n");

  // Still verifies, with the erased events counted; the old head is in it.
  v = Inboxd("audit verify --json" + Config());
  ASSERT_EQ(v.status, 0) << v.err;
  j = nlohmann::json::parse(v.out, nullptr, false);
  EXPECT_GT(j["erased"].get<int64_t>(), 0) << v.out;
  const std::string head2 = j["head"].get<std::string>();
  const int64_t last2 = j["last_id"].get<int64_t>();
  v = Inboxd("audit verify --head " + head1 + Config());
  ASSERT_EQ(v.status, 0) << v.err;
  EXPECT_NE(v.out.find("head " + head1 + " is event " + std::to_string(events) +
                       ", 1 event(s) after it"),
            std::string::npos)
      << v.out;

  // A deleted tail event: invisible alone, caught against the old head.
  Sql("DROP TRIGGER events_no_delete; DELETE FROM events WHERE id = " +
      std::to_string(last2) + ";");
  EXPECT_EQ(Inboxd("audit verify" + Config()).status, 0);
  v = Inboxd("audit verify --head " + head2 + Config());
  EXPECT_EQ(v.status, 1);
  EXPECT_NE(v.err.find("the chain does not contain head " + head2 +
                       ": events after it were cut off or it was never ours"),
            std::string::npos)
      << v.err;

  // An edited event: exit 1 naming it.
  Sql("DROP TRIGGER events_no_update; UPDATE events SET data = "
      "'{\\\"from\\\":0}' WHERE id = 3;");
  v = Inboxd("audit verify" + Config());
  EXPECT_EQ(v.status, 1);
  EXPECT_NE(v.err.find("audit chain broken at event 3:"), std::string::npos)
      << v.err;
  v = Inboxd("audit verify --json" + Config());
  EXPECT_EQ(v.status, 1);
  j = nlohmann::json::parse(v.out, nullptr, false);
  EXPECT_EQ(j["ok"], false) << v.out;
  EXPECT_EQ(j["event"], 3) << v.out;
}

TEST_F(AuditCliTest, ForgetUsage) {
  EXPECT_EQ(Inboxd("forget" + Config()).status, 2);
  EXPECT_EQ(Inboxd("forget a@b.example --older-than 30d" + Config()).status, 2);
  EXPECT_EQ(Inboxd("forget not-an-address" + Config()).status, 2);
  EXPECT_EQ(Inboxd("forget --older-than soon" + Config()).status, 2);
  RunResult r = Inboxd("forget --older-than 1d --json" + Config());
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(j["messages"], 0) << r.out;  // both tickets are open
}

// `inboxd once` records the config it runs by (issue 11 item 1), even when
// the server is unreachable.
TEST_F(AuditCliTest, OnceRecordsConfigLoaded) {
  Inboxd("once --dry-run" + Config());
  std::ifstream in(cfg_, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(Sql("SELECT count(*) FROM events WHERE type = 'config.loaded' "
                "AND data LIKE '%" +
                inboxd::core::Sha256Hex(text) + "%'"),
            "1\n");
  EXPECT_EQ(Inboxd("audit verify" + Config()).status, 0);
}

}  // namespace
