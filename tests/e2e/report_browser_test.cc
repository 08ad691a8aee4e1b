// report_browser_test.cc: the SLA report's HTML opened in a real browser
// (Debian's chromium, headless): it renders (a screenshot of real size),
// its DOM holds the three SVG charts and no script, and the hostile subject
// stays text. Installs chromium when missing (as root); when it cannot run,
// skips, or fails when CI is set.
//
// INBOXD_WRITE_DOCS=1 also saves the screenshot to docs/report-sla.png in
// the source tree (the picture the README and the issue link to).
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "store/report.h"
#include "store/report_sample.h"
#include "tests/ci_env.h"

namespace inboxd::store {
namespace {

namespace fs = std::filesystem;

// Runs `cmd` through the shell; returns its exit status (-1: not run).
int Shell(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

// The chromium binary, installing Debian's package when missing and root.
std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    if (Shell(std::string("command -v ") + name + " >/dev/null 2>&1") == 0) {
      return name;
    }
  }
  if (::geteuid() != 0) return "";
  Shell(
      "DEBIAN_FRONTEND=noninteractive apt-get install -y chromium "
      ">/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && "
      "DEBIAN_FRONTEND=noninteractive apt-get install -y chromium "
      ">/dev/null 2>&1)");
  if (Shell("command -v chromium >/dev/null 2>&1") == 0) return "chromium";
  return "";
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ReportBrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("inboxd_report_browser_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(ReportBrowserTest, RendersChartsInHeadlessChromium) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) {
    INBOXD_SKIP_OR_FAIL() << "chromium is not installed and cannot be "
                             "installed (apt-get install chromium)";
  }

  report_sample::Sample sample;
  sample.Populate();
  auto report = BuildSlaReport(sample.store(), sample.Options());
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  const fs::path html = dir_ / "report-sla.html";
  {
    std::ofstream out(html, std::ios::binary);
    out << RenderSlaHtml(*report);
  }
  const fs::path png = dir_ / "report-sla.png";
  const fs::path dom = dir_ / "dom.html";
  const fs::path profile = dir_ / "profile";
  // No network is needed; --no-sandbox because tests run as root.
  const std::string common =
      chromium +
      " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--no-first-run --hide-scrollbars --user-data-dir=" +
      profile.string() + " --window-size=1280,2000 ";
  const std::string url = "file://" + html.string();
  int rc = Shell("timeout 120 " + common + "--screenshot=" + png.string() +
                 " " + url + " >" + (dir_ / "shot.log").string() + " 2>&1");
  if (rc != 0 || !fs::exists(png)) {
    INBOXD_SKIP_OR_FAIL() << "chromium did not run (exit " << rc
                          << "): " << ReadAll(dir_ / "shot.log");
  }
  rc = Shell("timeout 120 " + common + "--dump-dom " + url + " >" +
             dom.string() + " 2>" + (dir_ / "dom.log").string());
  ASSERT_EQ(rc, 0) << ReadAll(dir_ / "dom.log");

  // A real picture: a 1280x2000 PNG of a page with charts and tables is
  // far larger than an empty one (a blank page is a few KiB).
  const std::string shot = ReadAll(png);
  ASSERT_GT(shot.size(), 8u);
  EXPECT_EQ(shot.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(shot.size(), 40u * 1024) << "screenshot suspiciously small";

  // The DOM the browser built: three charts with their bars, the tables,
  // no script (the hostile subject stayed text).
  const std::string d = ReadAll(dom);
  size_t svgs = 0;
  for (size_t p = d.find("<svg"); p != std::string::npos;
       p = d.find("<svg", p + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 3u) << d.substr(0, 2000);
  for (const char* id : {"id=\"chart-volume\"", "id=\"chart-latency\"",
                         "id=\"chart-milestones\"", "<rect class=\"bar\"",
                         "<rect class=\"met\"", "<rect class=\"missed\"",
                         "id=\"breaches\"", "id=\"care\"", "id=\"flagged\""}) {
    EXPECT_NE(d.find(id), std::string::npos) << id;
  }
  EXPECT_EQ(d.find("<script"), std::string::npos);
  EXPECT_NE(d.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);

  const char* docs = std::getenv("INBOXD_WRITE_DOCS");
  if (docs != nullptr && std::string(docs) == "1") {
    const fs::path out =
        fs::path(INBOXD_SOURCE_DIR) / "docs" / "report-sla.png";
    fs::create_directories(out.parent_path());
    fs::copy_file(png, out, fs::copy_options::overwrite_existing);
    std::printf("screenshot saved to %s\n", out.c_str());
  }
}

}  // namespace
}  // namespace inboxd::store
