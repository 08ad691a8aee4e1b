// cli_test.cc: end-to-end tests of the inboxd binary's command-line contracts.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/ci_env.h"

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `args` (a shell-quoted string) with the inboxd binary; collects
// stdout and stderr separately.
RunResult RunInboxd(const std::string& args) {
  fs::path err_file =
      fs::temp_directory_path() /
      ("inboxd-cli-test-" + std::to_string(::getpid()) + ".err");
  std::string cmd =
      std::string(INBOXD_BIN) + " " + args + " 2>" + err_file.string();
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  fs::remove(err_file);
  return r;
}

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> v;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    std::string line = out.substr(start, end - start);
    if (!line.empty()) {
      v.push_back(nlohmann::json::parse(line, nullptr, false));
    }
    start = end + 1;
  }
  return v;
}

const std::string kSrc = INBOXD_SOURCE_DIR;

TEST(CliTest, VersionPrintsName) {
  RunResult r = RunInboxd("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("inboxd "), std::string::npos) << r.out;
}

TEST(CliTest, UnknownSubcommandIsUsageError) {
  EXPECT_EQ(RunInboxd("frobnicate").status, 2);
}

TEST(CliTest, ExampleConfigsAreValid) {
  for (const char* f :
       {"/config/inboxd.example.toml", "/examples/inboxd.toml"}) {
    RunResult r = RunInboxd("check-config " + kSrc + f);
    EXPECT_EQ(r.status, 0) << f << ": " << r.err;
  }
}

TEST(CliTest, BadConfigNamesFileLineAndKeyAndExits2) {
  fs::path dir =
      fs::temp_directory_path() / ("inboxd-cli-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  fs::path bad = dir / "bad.toml";
  std::ofstream(bad) << "[state]\n"
                        "dir = \"/tmp/x\"\n"
                        "[[mailbox]]\n"
                        "name = \"support\"\n"
                        "address = \"support@shop.example\"\n"
                        "imap_url = \"http://imap.shop.example\"\n"
                        "smtp_url = \"smtps://smtp.shop.example\"\n"
                        "username = \"support\"\n"
                        "password_file = \"/etc/inboxd/support.pass\"\n"
                        "time_zone = \"Europe/Berlin\"\n";
  RunResult r = RunInboxd("check-config " + bad.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.toml:6:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("imap_url"), std::string::npos) << r.err;

  std::ofstream(bad) << "[state]\ndri = \"/tmp/x\"\n";
  r = RunInboxd("check-config " + bad.string());
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.toml:2:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dri"), std::string::npos) << r.err;
  fs::remove_all(dir);
}

TEST(CliTest, ConfigShowMasksNothingSecretAndIsValidToml) {
  RunResult r =
      RunInboxd("config show " + kSrc + "/config/inboxd.example.toml");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("[[mailbox]]"), std::string::npos);
  EXPECT_NE(r.out.find("ack_window"), std::string::npos);
}

// The bundled sample mail: what inboxd must decide for each file.
TEST(CliTest, ReplayJsonDecidesSampleMail) {
  RunResult r = RunInboxd("replay --json --config " + kSrc +
                          "/examples/inboxd.toml " + kSrc + "/examples/mail");
  ASSERT_EQ(r.status, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 10u) << r.out;
  std::map<std::string, nlohmann::json> by_file;
  for (const auto& j : lines) {
    ASSERT_FALSE(j.is_discarded());
    for (const char* key :
         {"file", "message_id", "from", "subject", "language", "kind", "class",
          "thread", "ack", "decision", "decision_rules", "reasons",
          "quarantined", "error"}) {
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
    }
    by_file[fs::path(j["file"].get<std::string>()).filename().string()] = j;
  }
  struct {
    const char* file;
    const char* kind;
    const char* cls;  // nullptr: not human
    const char* thread;
    const char* language;
    bool ack;
  } want[] = {
      {"01-quote-de.eml", "human", "quote", "new", "de", true},
      {"02-support-en.eml", "human", "support", "new", "en", true},
      {"03-complaint-zh.eml", "human", "complaint", "new", "zh", true},
      {"04-quote-fa.eml", "human", "quote", "new", "fa", true},
      {"05-out-of-office.eml", "auto_reply", nullptr, nullptr, nullptr, false},
      {"06-bounce.eml", "bounce", nullptr, nullptr, nullptr, false},
      {"07-newsletter.eml", "list_bulk", nullptr, nullptr, nullptr, false},
      {"08-followup-en.eml", "human", nullptr, "followup", "en", false},
      {"09-spam-rfq.eml", "spam", nullptr, nullptr, nullptr, false},
  };
  for (const auto& w : want) {
    SCOPED_TRACE(w.file);
    ASSERT_TRUE(by_file.count(w.file));
    const auto& j = by_file[w.file];
    EXPECT_EQ(j["kind"], w.kind);
    if (w.cls != nullptr) {
      EXPECT_EQ(j["class"], w.cls);
    }
    if (w.thread != nullptr) {
      EXPECT_EQ(j["thread"], w.thread);
    }
    if (w.language != nullptr) {
      EXPECT_EQ(j["language"], w.language);
    }
    EXPECT_EQ(j["ack"], w.ack);
    EXPECT_EQ(j["quarantined"], false);
    EXPECT_TRUE(j["error"].is_null());
    EXPECT_FALSE(j["reasons"].empty());
  }
  // Decoded subjects reach the output as UTF-8.
  EXPECT_EQ(by_file["01-quote-de.eml"]["subject"],
            "Anfrage: Angebot für 50 Lizenzen");
  EXPECT_EQ(by_file["03-complaint-zh.eml"]["subject"],
            "关于设备质量问题的投诉");
  // The hostile nesting is quarantined with a reason, not lost and not a crash.
  const auto& q = by_file["10-deep-nesting.eml"];
  EXPECT_EQ(q["quarantined"], true);
  EXPECT_EQ(q["ack"], false);
  EXPECT_NE(q["error"].get<std::string>().find("depth"), std::string::npos)
      << q.dump();
  EXPECT_EQ(q["message_id"], "broken.1@customer.example");
}

// Replay asks the loop guard and the composer as the planner does
// (responder::CheckSend), so it decides as a live run would: the sixth
// acknowledgement to one sender within an hour is refused (POLICY default 5).
TEST(CliTest, ReplayAppliesTheLoopGuardLikeALiveRun) {
  fs::path dir = fs::temp_directory_path() /
                 ("inboxd-cli-loop-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (int i = 0; i < 7; ++i) {
    std::ofstream f(dir / ("m" + std::to_string(i) + ".eml"));
    f << "From: Max Kunde <max@customer.example>\r\n"
      << "To: support@shop.example\r\n"
      << "Subject: Question number " << i << "\r\n"
      << "Message-ID: <loop" << i << "@customer.example>\r\n"
      << "Date: Mon, 23 Nov 2026 10:0" << i << ":00 +0000\r\n"
      << "\r\nMy printer does not start, case " << i << ".\r\n";
  }
  RunResult r = RunInboxd("replay --json --config " + kSrc +
                          "/examples/inboxd.toml " + dir.string());
  fs::remove_all(dir);
  ASSERT_EQ(r.status, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 7u) << r.out;
  int acked = 0, refused = 0;
  for (const auto& j : lines) {
    ASSERT_TRUE(j.contains("decision")) << j.dump();
    ASSERT_TRUE(j.contains("decision_rules")) << j.dump();
    // Refused or not, a customer's ticket gets its milestones (issue 9):
    // support mail on the example config: D1 two hours after its Date (the
    // D7 follow-up starts at closing, so it has no due time yet).
    ASSERT_TRUE(j["milestones"].is_array()) << j.dump();
    bool d1 = false;
    for (const auto& m : j["milestones"]) {
      if (m["id"] == "D1") {
        d1 = true;
        EXPECT_TRUE(m["due"].get<std::string>().starts_with("2026-11-23T1"))
            << m.dump();
      }
      if (m["id"] == "D7") {
        EXPECT_TRUE(m["due"].is_null()) << m.dump();
      }
    }
    EXPECT_TRUE(d1) << j.dump();
    if (j["decision"] == "ack") {
      ++acked;
      EXPECT_EQ(j["ack"], true);
    } else {
      ++refused;
      EXPECT_EQ(j["decision"], "refused") << j.dump();
      EXPECT_EQ(j["decision_rules"][0], "decide.loop_guard") << j.dump();
      EXPECT_EQ(j["ack"], false);
    }
  }
  EXPECT_EQ(acked, 5);
  EXPECT_EQ(refused, 2);
}

TEST(CliTest, ReplayOfMissingPathFails) {
  RunResult r = RunInboxd("replay --json /nonexistent/inboxd/path");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("/nonexistent/inboxd/path"), std::string::npos) << r.err;
}

TEST(CliTest, ReplayCorpusPrintsOneObjectPerMessage) {
  std::string corpus = std::getenv("INBOXD_CORPUS")
                           ? std::getenv("INBOXD_CORPUS")
                           : kSrc + "/../shared/corpus";
  if (!fs::exists(corpus + "/labels.csv"))
    INBOXD_SKIP_OR_FAIL() << "no corpus at " << corpus;
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus)) {
    if (!e.is_regular_file()) continue;
    auto name = e.path().filename().string();
    if (name == "labels.csv" || name == "README.md" || name[0] == '.') continue;
    ++files;
  }
  RunResult r = RunInboxd("replay --json " + corpus);
  ASSERT_EQ(r.status, 0) << r.err.substr(0, 2000);
  auto lines = JsonLines(r.out);
  EXPECT_EQ(lines.size(), files);
  for (const auto& j : lines) {
    ASSERT_FALSE(j.is_discarded());
    EXPECT_TRUE(j.contains("kind"));
  }
}

}  // namespace

namespace {

// inboxd absence set|list|clear: the JSON contract, the audit actor and the
// refusal of an unknown agent.
TEST(CliTest, AbsenceSetListClear) {
  const fs::path dir = fs::path(::testing::TempDir()) /
                       ("absence_cli_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path cfg = dir / "inboxd.toml";
  std::ofstream(cfg) << "[state]\ndir = \"" << (dir / "state").string()
                     << "\"\n"
                     << R"toml(
[[mailbox]]
name = "sales"
address = "sales@shop.example"
imap_url = "imaps://127.0.0.1:1"
smtp_url = "smtps://127.0.0.1:1"
username = "sales"
password_env = "NOPE"
time_zone = "Europe/Berlin"

[[agent]]
name = "Anna Schmidt"
address = "anna@shop.example"
absent = ["2030-08-03T00:00/2030-08-14T23:59"]
)toml";
  const std::string c = " --config " + cfg.string();
  RunResult set = RunInboxd("absence set 'Anna Schmidt'" + c +
                            " --from 2030-09-01 --until 2030-09-05T18:00");
  ASSERT_EQ(set.status, 0) << set.err;
  RunResult list = RunInboxd("absence list --json" + c);
  ASSERT_EQ(list.status, 0) << list.err;
  auto j = nlohmann::json::parse(list.out, nullptr, false);
  ASSERT_TRUE(j.is_array() && j.size() == 2u) << list.out;
  EXPECT_EQ(j[0]["source"], "config");
  EXPECT_EQ(j[0]["from"], "2030-08-03T00:00:00+02:00");
  EXPECT_EQ(j[1]["source"], "command");
  EXPECT_EQ(j[1]["until"], "2030-09-05T18:00:00+02:00");
  for (const auto& a : j) {
    for (const char* key :
         {"agent", "from", "until", "source", "detail", "active"}) {
      EXPECT_TRUE(a.contains(key)) << key;
    }
    EXPECT_EQ(a["agent"], "anna@shop.example");
    EXPECT_EQ(a["active"], false);
  }
  EXPECT_EQ(RunInboxd("absence clear anna@shop.example" + c).status, 0);
  list = RunInboxd("absence list --json" + c);
  EXPECT_EQ(nlohmann::json::parse(list.out, nullptr, false).size(), 0u)
      << list.out;
  EXPECT_EQ(RunInboxd("absence set nobody" + c + " --until 2030-01-01").status,
            2);
  EXPECT_EQ(RunInboxd("absence set anna@shop.example" + c +
                      " --from 2030-01-02 --until 2030-01-01")
                .status,
            2);
  fs::remove_all(dir);
}

}  // namespace
