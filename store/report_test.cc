// report_test.cc: the SLA report over known data (store/report_sample.h):
// volumes, latency statistics, milestone counts, breaches, the key-account
// care list, flagged replies; the HTML's safety and self-containment; the
// CSV's quoting and formula neutralisation.
#include "store/report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/report_sample.h"

namespace inboxd::store {
namespace {

using report_sample::kDay;
using report_sample::kT0;
using report_sample::Sample;
using std::chrono::seconds;

TEST(ComputeLatencyTest, MedianP95Max) {
  std::vector<int64_t> one_to_20, one_to_100;
  for (int i = 1; i <= 20; ++i) one_to_20.push_back(i);
  for (int i = 100; i >= 1; --i) one_to_100.push_back(i);  // any order
  const struct {
    const char* name;
    std::vector<int64_t> samples;
    int64_t count, median, p95, max;
  } cases[] = {
      {"none", {}, 0, 0, 0, 0},
      {"one", {42}, 1, 42, 42, 42},
      {"odd", {600, 60, 120}, 3, 120, 600, 600},
      {"even: mean of the middle two",
       {3600, 60, 600, 120},
       4,
       360,
       3600,
       3600},
      {"20: p95 is the 19th", one_to_20, 20, 10, 19, 20},
      {"100: p95 is the 95th", one_to_100, 100, 50, 95, 100},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const LatencyStats s = ComputeLatency(c.samples);
    EXPECT_EQ(s.count, c.count);
    EXPECT_EQ(s.median.count(), c.median);
    EXPECT_EQ(s.p95.count(), c.p95);
    EXPECT_EQ(s.max.count(), c.max);
  }
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sample_.Populate();
    auto r = BuildSlaReport(sample_.store(), sample_.Options());
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    report_ = std::move(*r);
  }
  const GroupLine* Group(const std::string& mailbox, const std::string& owner) {
    for (const GroupLine& g : report_.groups) {
      if (g.mailbox == mailbox && g.owner == owner) return &g;
    }
    return nullptr;
  }
  const MilestoneLine* Total(const std::string& id) {
    for (const MilestoneLine& m : report_.milestones) {
      if (m.id == id) return &m;
    }
    return nullptr;
  }
  Sample sample_;
  SlaReport report_;
};

TEST_F(ReportTest, VolumePerDayCountsOnlyThePeriod) {
  EXPECT_EQ(report_.volume, 5);  // not the tickets before or after
  const int64_t want[] = {0, 2, 1, 1, 1, 0, 0};
  ASSERT_EQ(report_.per_day.size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(report_.per_day[i].tickets, want[i]) << report_.per_day[i].date;
  }
  EXPECT_EQ(report_.per_day[0].date, "2026-11-02");
  EXPECT_EQ(report_.per_day[6].date, "2026-11-08");
}

TEST_F(ReportTest, GroupsWithLatency) {
  ASSERT_EQ(report_.groups.size(), 3u);
  const GroupLine* nina = Group("support", "nina@shop.example");
  ASSERT_NE(nina, nullptr);
  EXPECT_EQ(nina->cls, "support");
  EXPECT_EQ(nina->volume, 3);
  EXPECT_EQ(nina->latency.count, 3);
  EXPECT_EQ(nina->latency.median, seconds(120));
  EXPECT_EQ(nina->latency.p95, seconds(600));
  EXPECT_EQ(nina->latency.max, seconds(600));
  EXPECT_EQ(nina->totals.met, 3);
  EXPECT_EQ(nina->totals.missed, 2);
  EXPECT_EQ(nina->totals.open, 1);
  EXPECT_EQ(nina->totals.at_risk, 1);

  const GroupLine* shared = Group("support", "");
  ASSERT_NE(shared, nullptr);
  EXPECT_EQ(shared->volume, 1);
  EXPECT_EQ(shared->latency.median, seconds(3600));
  EXPECT_EQ(shared->totals.open, 1);
  EXPECT_EQ(shared->totals.at_risk, 0);  // warn_at still ahead

  const GroupLine* reza = Group("sales", "reza@shop.example");
  ASSERT_NE(reza, nullptr);
  EXPECT_EQ(reza->cls, "quote");
  EXPECT_EQ(reza->latency.count, 0);  // no ack sent: no sample

  EXPECT_EQ(report_.latency.count, 4);
  EXPECT_EQ(report_.latency.median, seconds(360));
  EXPECT_EQ(report_.latency.p95, seconds(3600));
  EXPECT_EQ(report_.latency.max, seconds(3600));
}

TEST_F(ReportTest, LatencyHistogram) {
  std::map<std::string, int64_t> got;
  int64_t total = 0;
  for (const LatencyBucket& b : report_.latency_histogram) {
    got[b.label] = b.count;
    total += b.count;
  }
  EXPECT_EQ(total, 4);
  EXPECT_EQ(got["1-5m"], 2);   // 60 s, 120 s
  EXPECT_EQ(got["5-15m"], 1);  // 600 s
  EXPECT_EQ(got["1-2h"], 1);   // 3600 s
  EXPECT_EQ(got["<1m"], 0);
}

TEST_F(ReportTest, MilestoneCounts) {
  ASSERT_EQ(report_.milestones.size(), 3u);
  EXPECT_EQ(report_.milestones[0].id, "D1");
  EXPECT_EQ(report_.milestones[1].id, "D2");
  EXPECT_EQ(report_.milestones[2].id, "D3");
  const struct {
    const char* id;
    const char* name;
    int64_t met, missed, open, at_risk;
  } want[] = {{"D1", "ack", 3, 0, 0, 0},
              {"D2", "quote", 0, 0, 1, 0},
              {"D3", "answer", 0, 2, 2, 1}};
  for (const auto& w : want) {
    SCOPED_TRACE(w.id);
    const MilestoneLine* m = Total(w.id);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->name, w.name);
    EXPECT_EQ(m->counts.met, w.met);
    EXPECT_EQ(m->counts.missed, w.missed);
    EXPECT_EQ(m->counts.open, w.open);
    EXPECT_EQ(m->counts.at_risk, w.at_risk);
  }
}

TEST_F(ReportTest, BreachesWithEvidence) {
  ASSERT_EQ(report_.breaches.size(), 2u);
  const Breach& a = report_.breaches[0];
  EXPECT_EQ(a.ticket, "S-1000");
  EXPECT_EQ(a.milestone_id, "D3");
  EXPECT_EQ(a.milestone_name, "answer");
  EXPECT_EQ(a.due_at, kT0 + seconds(2 * kDay + 9 * 3600));
  EXPECT_FALSE(a.late_answer.has_value());  // not answered
  const Breach& b = report_.breaches[1];
  EXPECT_EQ(b.ticket, "S-1001");
  ASSERT_TRUE(b.late_answer.has_value());
  EXPECT_EQ(b.late_answer->by, "sent_folder");
  EXPECT_EQ(b.late_answer->actor, "nina@shop.example");
  EXPECT_EQ(b.late_answer->at, kT0 + seconds(2 * kDay + 15 * 3600));
}

TEST_F(ReportTest, KeyAccountCare) {
  ASSERT_EQ(report_.care.size(), 3u);
  // Never contacted first (by name), then the longest silence. Umbrella
  // (in contact) and Small (not a key account) are not listed.
  EXPECT_EQ(report_.care[0].account, "Initech <b>");
  EXPECT_FALSE(report_.care[0].last_contact.has_value());
  EXPECT_EQ(report_.care[1].account, "شرکت پارس");
  EXPECT_EQ(report_.care[2].account, "Globex");
  ASSERT_TRUE(report_.care[2].last_contact.has_value());
  EXPECT_EQ(*report_.care[2].last_contact, kT0 - seconds(60 * kDay));
  EXPECT_EQ(report_.care[2].days_since, 68);

  auto only = BuildCareList(sample_.store(), sample_.Options());
  ASSERT_TRUE(only.has_value()) << only.error().ToString();
  ASSERT_EQ(only->size(), 3u);
  EXPECT_EQ((*only)[2].account, "Globex");

  // A longer care_after forgives Globex's 68 days.
  ReportOptions o = sample_.Options();
  o.care_after = seconds(90 * kDay);
  auto longer = BuildCareList(sample_.store(), o);
  ASSERT_TRUE(longer.has_value());
  EXPECT_EQ(longer->size(), 2u);
}

TEST_F(ReportTest, FlaggedRepliesOfThePeriod) {
  ASSERT_EQ(report_.flagged.size(), 1u);  // the one before `from` is left out
  EXPECT_EQ(report_.flagged[0].ticket, "S-1002");
  EXPECT_EQ(report_.flagged[0].agent, "nina@shop.example");
  EXPECT_EQ(report_.flagged[0].mailbox, "support");
  EXPECT_EQ(report_.flagged[0].phrases, std::vector<std::string>{"不知道"});
}

TEST(ReportErrorsTest, RejectsBadOptions) {
  Sample sample;
  const struct {
    const char* name;
    std::function<void(ReportOptions*)> edit;
  } cases[] = {
      {"unknown zone", [](ReportOptions* o) { o->time_zone = "Mars/Olympus"; }},
      {"to before from", [](ReportOptions* o) { o->to = o->from; }},
      {"too long",
       [](ReportOptions* o) { o->to = o->from + seconds(500 * kDay); }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ReportOptions o = sample.Options();
    c.edit(&o);
    auto r = BuildSlaReport(sample.store(), o);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, core::Code::kInvalidArgument);
  }
  auto f = RenderSlaReportForPeriod(sample.store(), sample.Options(), "pdf");
  ASSERT_FALSE(f.has_value());
  EXPECT_EQ(f.error().code, core::Code::kInvalidArgument);
}

TEST_F(ReportTest, HtmlIsSafeAndSelfContained) {
  const std::string html = RenderSlaHtml(report_);
  // Hostile text is escaped: no tag from the data survives.
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"),
            std::string::npos);
  EXPECT_NE(html.find("Initech &lt;b&gt;"), std::string::npos);
  EXPECT_NE(html.find("&quot;quoted&quot; &amp; more"), std::string::npos);
  // Three inline SVG charts.
  size_t svgs = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos;
       p = html.find("<svg", p + 1)) {
    ++svgs;
  }
  EXPECT_EQ(svgs, 3u);
  for (const char* id : {"chart-volume", "chart-latency", "chart-milestones"}) {
    EXPECT_NE(html.find(std::string("id=\"") + id + "\""), std::string::npos)
        << id;
  }
  // Nothing is fetched: no URL, no resource reference, no script.
  for (const char* banned :
       {"http", "src=", "href=", "@import", "url(", "<link", "<img", "<iframe",
        "<object", "<script"}) {
    EXPECT_EQ(html.find(banned), std::string::npos) << banned;
  }
  EXPECT_NE(html.find("prefers-color-scheme: dark"), std::string::npos);
  EXPECT_NE(html.find("@media print"), std::string::npos);
  EXPECT_NE(html.find("break-inside: avoid"), std::string::npos);
  EXPECT_NE(html.find("var(--"), std::string::npos);
  // Right-to-left text is isolated.
  EXPECT_NE(html.find("<bdi>&lt;script&gt;alert(1)&lt;/script&gt; درخواست "
                      "قیمت"),
            std::string::npos);
  EXPECT_NE(html.find("<td dir=\"auto\"><bdi>شرکت پارس</bdi></td>"),
            std::string::npos);
  // The lists.
  EXPECT_NE(html.find("S-1000"), std::string::npos);
  EXPECT_NE(html.find("not answered"), std::string::npos);
  EXPECT_NE(html.find("answered late 2026-11-04 15:00 by "
                      "<bdi>nina@shop.example</bdi> (sent_folder, "
                      "<bdi>Sent</bdi>)"),
            std::string::npos);
  EXPECT_NE(html.find("&ldquo;<bdi>不知道</bdi>&rdquo;"), std::string::npos);
  EXPECT_NE(html.find("without contact for 30 days"), std::string::npos);
}

// A small RFC 4180 reader: the rows and fields of `csv`.
std::vector<std::vector<std::string>> ReadCsv(const std::string& csv) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < csv.size(); ++i) {
    const char c = csv[i];
    if (quoted) {
      if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "unterminated last row";
  return rows;
}

TEST(CsvFieldTest, QuotesAndNeutralises) {
  const struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"=1+1", "'=1+1"},
      {"+31 20 1234", "'+31 20 1234"},
      {"-5", "'-5"},
      {"@SUM(A1:A9)", "'@SUM(A1:A9)"},
      {"\tx", "'\tx"},
      {"\rx", "\"'\rx\""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"line\nbreak", "\"line\nbreak\""},
      {"=HYPERLINK(\"e\",\"x\")", "\"'=HYPERLINK(\"\"e\"\",\"\"x\"\")\""},
      {"a=b", "a=b"},  // only a leading character is a formula
      {"درخواست", "درخواست"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CsvField(c.in), c.want) << c.in;
  }
}

TEST_F(ReportTest, CsvIsOneFlatTable) {
  const std::string csv = RenderSlaCsv(report_);
  auto rows = ReadCsv(csv);
  ASSERT_GT(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), kSlaCsvColumns.size());
  EXPECT_EQ(rows[0][0], "section");
  std::map<std::string, int> sections;
  const auto col = [&](std::string_view name) {
    for (size_t i = 0; i < kSlaCsvColumns.size(); ++i) {
      if (kSlaCsvColumns[i] == name) return i;
    }
    ADD_FAILURE() << name;
    return size_t{0};
  };
  bool saw_hostile = false, saw_late = false;
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), kSlaCsvColumns.size()) << "row " << i;
    ++sections[rows[i][0]];
    // No cell a spreadsheet would run.
    for (const std::string& cell : rows[i]) {
      ASSERT_FALSE(!cell.empty() && (cell[0] == '=' || cell[0] == '+' ||
                                     cell[0] == '-' || cell[0] == '@'))
          << cell;
    }
    if (rows[i][0] == "breach" && rows[i][col("ticket")] == "S-1001") {
      EXPECT_EQ(rows[i][col("subject")],
                "'=HYPERLINK(\"evil.example\",\"Invoice\")");
      EXPECT_EQ(rows[i][col("answered_at")], "2026-11-04T15:00:00+00:00");
      saw_hostile = true;
    }
    if (rows[i][0] == "breach" && rows[i][col("ticket")] == "S-1000") {
      EXPECT_EQ(rows[i][col("evidence")], "not answered");
      EXPECT_EQ(rows[i][col("due")], "2026-11-04T09:00:00+00:00");
      saw_late = true;
    }
    if (rows[i][0] == "group" && rows[i][col("agent")] == "nina@shop.example") {
      EXPECT_EQ(rows[i][col("tickets")], "3");
      EXPECT_EQ(rows[i][col("ack_median_s")], "120");
      EXPECT_EQ(rows[i][col("ack_p95_s")], "600");
      EXPECT_EQ(rows[i][col("at_risk")], "1");
    }
  }
  EXPECT_TRUE(saw_hostile);
  EXPECT_TRUE(saw_late);
  EXPECT_EQ(sections["period"], 1);
  EXPECT_EQ(sections["volume_per_day"], 7);
  EXPECT_EQ(sections["ack_latency_histogram"], 10);
  EXPECT_EQ(sections["group"], 3);
  EXPECT_EQ(sections["milestone"], 3);
  EXPECT_EQ(sections["breach"], 2);
  EXPECT_EQ(sections["key_account_care"], 3);
  EXPECT_EQ(sections["flagged_reply"], 1);
}

TEST_F(ReportTest, CareListFormats) {
  auto text = RenderCareList(report_.care, "UTC", "text");
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(text->find("Globex"), std::string::npos);
  EXPECT_NE(text->find("never"), std::string::npos);
  EXPECT_NE(text->find("68"), std::string::npos);

  auto json = RenderCareList(report_.care, "UTC", "json");
  ASSERT_TRUE(json.has_value());
  auto j = nlohmann::json::parse(*json);
  ASSERT_EQ(j.size(), 3u);
  EXPECT_EQ(j[0]["name"], "Initech <b>");
  EXPECT_TRUE(j[0]["last_contact"].is_null());
  EXPECT_TRUE(j[0]["days_since"].is_null());
  EXPECT_EQ(j[2]["name"], "Globex");
  EXPECT_EQ(j[2]["last_contact"], "2026-09-03T00:00:00+00:00");
  EXPECT_EQ(j[2]["days_since"], 68);

  auto csv = RenderCareList(report_.care, "Europe/Berlin", "csv");
  ASSERT_TRUE(csv.has_value());
  auto rows = ReadCsv(*csv);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0],
            (std::vector<std::string>{"name", "last_contact", "days_since"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{
                         "Globex", "2026-09-03T02:00:00+02:00", "68"}));

  auto bad = RenderCareList(report_.care, "UTC", "xml");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, core::Code::kInvalidArgument);
}

TEST(ReportEmptyTest, EmptyStoreRendersEmptyTables) {
  Sample sample;  // nothing populated
  auto r = BuildSlaReport(sample.store(), sample.Options());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->volume, 0);
  EXPECT_EQ(r->latency.count, 0);
  // Key accounts without any ticket were never contacted.
  EXPECT_EQ(r->care.size(), 4u);
  const std::string html = RenderSlaHtml(*r);
  EXPECT_NE(html.find("No tickets in this period."), std::string::npos);
  EXPECT_NE(html.find("No breaches in this period."), std::string::npos);
  EXPECT_EQ(html.find("\"nan\""), std::string::npos);  // no NaN geometry
}

}  // namespace
}  // namespace inboxd::store
