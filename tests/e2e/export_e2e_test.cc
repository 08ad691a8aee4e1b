// export_e2e_test.cc: `inboxd export audit|tickets` as an operator runs it:
// flags, exit statuses, --out (atomic), date ranges, --redact, and the
// "operator.export" event recorded after the export.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};

RunResult RunInboxd(const std::string& args) {
  const fs::path err_file =
      fs::temp_directory_path() /
      ("inboxd-export-e2e-" + std::to_string(::getpid()) + ".err");
  const std::string cmd =
      std::string(INBOXD_BIN) + " " + args + " 2>" + err_file.string();
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
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

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> v;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << line;
    v.push_back(std::move(j));
  }
  return v;
}

std::string TodayUtc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

class ExportE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("export_e2e_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    cfg_ = dir_ / "inboxd.toml";
    // UTC, so "today" in the test and in inboxd is the same date.
    std::ofstream(cfg_) << "[state]\ndir = \"" << (dir_ / "state").string()
                        << "\"\n"
                        << R"toml(
[[mailbox]]
name = "sales"
address = "sales@shop.example"
imap_url = "imaps://127.0.0.1:1"
smtp_url = "smtps://127.0.0.1:1"
username = "sales"
password_env = "NOPE"
time_zone = "UTC"

[[agent]]
name = "Anna Schmidt"
address = "anna@shop.example"
)toml";
    c_ = " --config " + cfg_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Fills the store the way an operator does: two audited absence changes.
  void Populate() {
    ASSERT_EQ(RunInboxd("absence set anna@shop.example" + c_ +
                        " --from 2030-09-01 --until 2030-09-05")
                  .status,
              0);
    ASSERT_EQ(RunInboxd("absence clear anna@shop.example" + c_).status, 0);
  }

  fs::path dir_;
  fs::path cfg_;
  std::string c_;
};

TEST_F(ExportE2eTest, AuditCsvToFileThenRecordedAsOperatorExport) {
  Populate();
  const fs::path out = dir_ / "audit.csv";
  RunResult r = RunInboxd("export audit" + c_ + " --format csv --bom --out " +
                          out.string());
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");  // the rows went to the file
  EXPECT_FALSE(fs::exists(out.string() + ".tmp"));
  EXPECT_EQ(fs::status(out).permissions() & fs::perms::others_read,
            fs::perms::none);
  std::ifstream in(out, std::ios::binary);
  const std::string csv((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(csv.rfind("\xEF\xBB\xBFid,at,type,mailbox,ticket,message_row,"
                      "actor,data,personal_erased,hash,prev_hash\r\n",
                      0),
            0u)
      << csv.substr(0, 200);
  EXPECT_NE(csv.find(",absence.set,"), std::string::npos);
  EXPECT_NE(csv.find("anna@shop.example"), std::string::npos);
  size_t rows = 0;
  for (size_t p = csv.find("\r\n"); p != std::string::npos;
       p = csv.find("\r\n", p + 2)) {
    ++rows;
  }
  --rows;  // the header (no value here holds a line break)

  // The export is recorded after it, with who ran it and how many rows.
  r = RunInboxd("export audit" + c_ + " --format jsonl");
  ASSERT_EQ(r.status, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_FALSE(lines.empty());
  const nlohmann::json& last = lines.back();
  EXPECT_EQ(last["type"], "operator.export");
  EXPECT_EQ(last["actor"].get<std::string>().rfind("unix:", 0), 0u);
  EXPECT_EQ(last["data"]["what"], "audit");
  EXPECT_EQ(last["data"]["format"], "csv");
  EXPECT_EQ(last["data"]["redact"], false);
  EXPECT_EQ(last["data"]["rows"], rows);
  EXPECT_EQ(last["data"]["out"], out.string());
  EXPECT_EQ(last["id"], lines[lines.size() - 2]["id"].get<int64_t>() + 1);

  // Redacted: no address anywhere, the same token for anna each time.
  r = RunInboxd("export audit" + c_ + " --format jsonl --redact");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.find('@'), std::string::npos) << r.out;
  std::string token;
  for (const auto& j : JsonLines(r.out)) {
    if (j["type"] != "absence.set") continue;
    token = j["data"]["agent"];
  }
  EXPECT_EQ(token.rfind("addr:", 0), 0u) << token;
  EXPECT_EQ(token.size(), 5u + 16u);
  RunResult again = RunInboxd("export audit" + c_ + " --format csv --redact");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find(token), std::string::npos);
}

TEST_F(ExportE2eTest, DateOnlyToMeansTheEndOfThatDay) {
  Populate();
  const std::string today = TodayUtc();
  RunResult r = RunInboxd("export audit" + c_ + " --format jsonl --from " +
                          today + " --to " + today);
  ASSERT_EQ(r.status, 0) << r.err;
  bool seen = false;
  for (const auto& j : JsonLines(r.out))
    seen = seen || j["type"] == "absence.set";
  EXPECT_TRUE(seen) << r.out;
  // Midnight exactly (RFC 3339) is exclusive: nothing of today.
  r = RunInboxd("export audit" + c_ + " --format jsonl --to " + today +
                "T00:00:00Z");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
  r = RunInboxd("export audit" + c_ + " --format jsonl --mailbox sales");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const auto& j : JsonLines(r.out)) EXPECT_EQ(j["mailbox"], "sales");
}

TEST_F(ExportE2eTest, TicketsExportWithNoTickets) {
  Populate();
  RunResult r = RunInboxd("export tickets" + c_ + " --format csv");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ticket,mailbox,mailboxes,class,state,", 0), 0u)
      << r.out;
  EXPECT_EQ(r.out.find("\r\n"), r.out.size() - 2);  // the header only
  r = RunInboxd("export tickets" + c_ + " --format jsonl");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST_F(ExportE2eTest, UsageErrorsExit2AndStoreErrorsExit1) {
  // No store yet: nothing to export.
  EXPECT_EQ(RunInboxd("export audit" + c_ + " --format csv").status, 1);
  Populate();
  const struct {
    const char* args;
    int want;
  } cases[] = {
      {"export audit --format csv", 2},  // no --config
      {"export audit CONFIG", 2},        // no --format
      {"export audit CONFIG --format xml", 2},
      {"export audit CONFIG --format csv --from yesterday", 2},
      {"export audit CONFIG --format csv --to 2026-02-30", 2},
      {"export audit CONFIG --format csv --from 2026-12-02 --to 2026-12-01", 2},
      {"export audit CONFIG --format csv --mailbox nosuch", 2},
      {"export audit CONFIG --format csv --ticket bogus", 2},
      {"export audit CONFIG --format csv --ticket Q-9999", 2},
      {"export tickets CONFIG --format csv --ticket 12345", 2},
      {"export CONFIG", 2},  // no subcommand
      {"export audit --config /nonexistent.toml --format csv", 2},
      {"export audit CONFIG --format csv --out /nonexistent/dir/x.csv", 1},
      {"export audit CONFIG --format csv --from 2026-12-01 --to 2026-12-31", 0},
      {"export tickets CONFIG --format jsonl --from 2026-12-01T08:00", 0},
  };
  for (const auto& c : cases) {
    std::string args = c.args;
    if (auto p = args.find("CONFIG"); p != std::string::npos) {
      args.replace(p, 6, c_.substr(1));
    }
    RunResult r = RunInboxd(args);
    EXPECT_EQ(r.status, c.want) << args << "\n" << r.err;
  }
}

}  // namespace
