// export_test.cc: CSV / JSON Lines export of events and tickets: RFC 4180
// round trips through Python's csv module with hostile values, formula
// neutralisation, redaction, filters, erased events, write failures.
#include "store/export.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "core/hash.h"
#include "store/store.h"
#include "store/test_util.h"

namespace inboxd::store {
namespace {

using testing::StoreTest;
using testing::T;

// Values that break naive CSV writers or spreadsheets.
const std::vector<std::string> kHostile = {
    "plain",
    "a \"quoted\", value",
    "line1\r\nline2",
    "lone\nLF and lone\rCR",
    "=HYPERLINK(\"http://x\",\"y\")",
    "@SUM(1+1)",
    "+1",
    "-2",
    "\tTab-led",
    "\rCR-led",
    "سلام دنیا، Persian",
    "שלום עולם",
    "emoji \xF0\x9F\x98\x80 \xF0\x9F\xA7\xBE non-BMP",
    "trailing comma,",
    "",
};

// What a spreadsheet must read back: the value, with "'" in front of a
// formula trigger.
std::string Neutralised(const std::string& v) {
  if (!v.empty() && std::string("=+-@\t\r").find(v[0]) != std::string::npos) {
    return "'" + v;
  }
  return v;
}

std::string TempPath(const std::string& name) {
  static int counter = 0;
  return ::testing::TempDir() + "inboxd_export_" + std::to_string(getpid()) +
         "_" + std::to_string(counter++) + "_" + name;
}

// Parses `csv_text` with Python's standard csv module (the reader a
// manager's script would use) and returns its rows.
std::vector<std::vector<std::string>> PythonCsv(const std::string& csv_text) {
  const std::string path = TempPath("py.csv");
  std::ofstream(path, std::ios::binary) << csv_text;
  const std::string cmd =
      "/usr/bin/python3 -c 'import csv, json, sys\n"
      "with open(sys.argv[1], newline=\"\", encoding=\"utf-8-sig\") as f:\n"
      "    print(json.dumps(list(csv.reader(f, strict=True))))' " +
      path;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  if (p != nullptr) {
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    EXPECT_EQ(::pclose(p), 0) << out;
  }
  std::filesystem::remove(path);
  auto j = nlohmann::json::parse(out, nullptr, false);
  EXPECT_TRUE(j.is_array()) << out;
  std::vector<std::vector<std::string>> rows;
  if (!j.is_array()) return rows;
  for (const auto& r : j) rows.push_back(r.get<std::vector<std::string>>());
  return rows;
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(j.is_object()) << line;
    out.push_back(std::move(j));
  }
  return out;
}

TEST(CsvWriterTest, CellQuotesAndNeutralises) {
  const struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"plain", "plain"},
      {"", ""},
      {"a,b", "\"a,b\""},
      {"say \"hi\"", "\"say \"\"hi\"\"\""},
      {"l1\r\nl2", "\"l1\r\nl2\""},
      {"l1\nl2", "\"l1\nl2\""},
      {"=1+1", "'=1+1"},
      {"+1", "'+1"},
      {"-2", "'-2"},
      {"@SUM(1+1)", "'@SUM(1+1)"},
      {"\tx", "'\tx"},
      {"\rx", "\"'\rx\""},
      {"=HYPERLINK(\"http://x\",\"y\")",
       "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
      {"a=b", "a=b"},  // only the first character matters
      {" =1", " =1"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(CsvWriter::Cell(c.in), c.want) << c.in;
  }
  std::ostringstream out;
  CsvWriter w(out);
  w.WriteBom();
  w.Field("a");
  w.Field("b,c");
  w.EndRow();
  w.Field("-x");
  w.EndRow();
  EXPECT_EQ(out.str(),
            "\xEF\xBB\xBF"
            "a,\"b,c\"\r\n'-x\r\n");
}

TEST(RedactorTest, TokensAreKeyedStableAndCaseFree) {
  Redactor r("k1");
  const std::string want =
      "addr:" + core::HmacSha256Hex("k1", "anna@shop.example").substr(0, 16);
  EXPECT_EQ(r.Token("Anna@Shop.Example"), want);
  EXPECT_EQ(r.Token("anna@shop.example"), want);
  EXPECT_NE(Redactor("k2").Token("anna@shop.example"), want);
  EXPECT_NE(r.Token("bob@shop.example"), want);

  const struct {
    const char* in;
    std::string want;
  } cases[] = {
      {"no address", "no address"},
      {"Anna <anna@shop.example>", "Anna <" + want + ">"},
      {"mailto:anna@shop.example.", "mailto:" + want + "."},
      {"(anna@shop.example), x", "(" + want + "), x"},
      {"\"anna@shop.example\"", "\"" + want + "\""},
  };
  for (const auto& c : cases) EXPECT_EQ(r.Text(c.in), c.want) << c.in;
  // Anything with an '@' goes, so no '@' is left.
  EXPECT_EQ(r.Text("@SUM(1+1) x@ @y a@@b").find('@'), std::string::npos);
  EXPECT_EQ(r.AddressesOnly("550 user Bob Smith <anna@shop.example> unknown"),
            want);
  EXPECT_EQ(r.AddressesOnly("nothing here"), "");
}

TEST(RedactorTest, DataDropsPersonalTextAndKeepsOnlyAddresses) {
  Redactor r("k");
  const std::string a = r.Token("a@x.example");
  auto got = nlohmann::json::parse(r.Data(R"({
      "kind": "ack", "count": 3, "subject": "secret subject",
      "original_subject": "s", "text": "t", "body": "b", "reasons": ["r"],
      "customer_name": "C", "name": "N", "detail": "D",
      "customer": "A@x.example",
      "error": "550 Bob Smith <a@x.example> unknown",
      "to": ["a@x.example", "no address"],
      "nested": {"subject": "deep", "from": "Bob <a@x.example>"}})"));
  const nlohmann::json want = {
      {"kind", "ack"},           {"count", 3},
      {"customer", a},           {"error", a},
      {"to", {a, "no address"}}, {"nested", {{"from", a}}}};
  EXPECT_EQ(got, want) << got.dump();
  EXPECT_EQ(r.Data("not json"), "{}");
}

// A store with hostile events and tickets.
class ExportTest : public StoreTest {
 protected:
  int64_t Append(const std::string& type, const std::string& mailbox,
                 int64_t ticket_id, const std::string& actor,
                 const nlohmann::json& data, int64_t at) {
    clock_.Set(T(at));
    auto id = store_->AppendEvent({.type = type,
                                   .mailbox = mailbox,
                                   .ticket_id = ticket_id,
                                   .actor = actor,
                                   .data = data.dump()});
    EXPECT_TRUE(id.has_value()) << id.error().ToString();
    return id.value_or(0);
  }

  TicketRef NewTicket(const std::string& prefix, const std::string& mailbox,
                      const std::string& customer, const std::string& subject,
                      int64_t opened) {
    auto t = store_->CreateTicket({.mailbox = mailbox,
                                   .prefix = prefix,
                                   .customer = customer,
                                   .subject = subject,
                                   .normalized_subject = subject,
                                   .cls = "support",
                                   .language = "en",
                                   .opened_at = T(opened)});
    EXPECT_TRUE(t.has_value()) << t.error().ToString();
    return t.value_or(TicketRef{});
  }

  std::string Export(const ExportOptions& o, bool tickets = false) {
    std::ostringstream out;
    auto rows = tickets ? ExportTickets(*store_, o, out)
                        : ExportEvents(*store_, o, out);
    EXPECT_TRUE(rows.has_value()) << rows.error().ToString();
    last_rows_ = rows.value_or(-1);
    return out.str();
  }

  std::vector<Event> AllEvents() {
    return store_->ListEvents({.limit = 0}).value();
  }

  int64_t last_rows_ = -1;
};

TEST_F(ExportTest, AuditCsvRoundTripsHostileValuesThroughPythonCsv) {
  // Hostile values in raw columns (actor, mailbox) and inside the data.
  for (size_t i = 0; i < kHostile.size(); ++i) {
    const std::string actor = kHostile[i].empty() ? "x" : kHostile[i];
    Append("test.hostile", kHostile[i], 0, actor,
           {{"value", kHostile[i]}, {"subject", kHostile[i]}}, 1'800'000'000);
  }
  const std::string csv = Export({.format = ExportFormat::kCsv, .bom = true});
  ASSERT_EQ(csv.rfind("\xEF\xBB\xBF", 0), 0u);
  EXPECT_EQ(csv.substr(3, csv.find('\n') - 2),
            "id,at,type,mailbox,ticket,message_row,actor,data,personal_erased,"
            "hash,prev_hash\r\n");
  EXPECT_EQ(csv.substr(csv.size() - 2), "\r\n");

  const std::vector<Event> events = AllEvents();
  auto rows = PythonCsv(csv);
  ASSERT_EQ(rows.size(), events.size() + 1);
  EXPECT_EQ(last_rows_, static_cast<int64_t>(events.size()));
  size_t hostile_seen = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    ASSERT_EQ(rows[i + 1].size(), 11u) << "event " << e.id;
    const std::vector<std::string> want = {std::to_string(e.id),
                                           core::FormatUtc(e.at),
                                           e.type,
                                           Neutralised(e.mailbox),
                                           "",
                                           "",
                                           Neutralised(e.actor),
                                           rows[i + 1].at(7),
                                           "false",
                                           e.hash,
                                           e.prev_hash};
    EXPECT_EQ(rows[i + 1], want) << "event " << e.id;
    // The data cell is the event's data with its personal fields.
    EXPECT_EQ(nlohmann::json::parse(rows[i + 1][7]),
              nlohmann::json::parse(e.FullData()))
        << rows[i + 1][7];
    if (e.type == "test.hostile") {
      // The data cell parses back to what was appended.
      auto data = nlohmann::json::parse(rows[i + 1][7]);
      EXPECT_EQ(data["value"], kHostile[hostile_seen]);
      EXPECT_EQ(data["subject"], kHostile[hostile_seen]);
      ++hostile_seen;
    }
  }
  EXPECT_EQ(hostile_seen, kHostile.size());
  // Every formula trigger was read back as text.
  for (const auto& r : rows) {
    for (const std::string& cell : r) {
      if (cell.empty()) continue;
      EXPECT_EQ(std::string("=+-@\t\r").find(cell[0]), std::string::npos)
          << cell;
    }
  }
}

TEST_F(ExportTest, TicketsCsvRoundTripsHostileValuesThroughPythonCsv) {
  for (size_t i = 0; i < kHostile.size(); ++i) {
    NewTicket("S", "support", "c" + std::to_string(i) + "@x.example",
              kHostile[i], 1'800'000'000 + static_cast<int64_t>(i));
  }
  auto rows = PythonCsv(Export({.format = ExportFormat::kCsv}, true));
  ASSERT_EQ(rows.size(), kHostile.size() + 1);
  EXPECT_EQ(rows[0][0], "ticket");
  EXPECT_EQ(rows[0][8], "subject");
  for (size_t i = 0; i < kHostile.size(); ++i) {
    const auto& r = rows[i + 1];
    ASSERT_EQ(r.size(), rows[0].size());
    EXPECT_EQ(r[0], "S-" + std::to_string(1000 + i));
    EXPECT_EQ(r[1], "support");
    EXPECT_EQ(r[7], "c" + std::to_string(i) + "@x.example");
    EXPECT_EQ(r[8], Neutralised(kHostile[i])) << i;
    EXPECT_EQ(r[9], core::FormatUtc(T(1'800'000'000 + i)));
    // No milestones: the milestone columns are empty.
    for (size_t c = 15; c < r.size(); ++c) EXPECT_EQ(r[c], "") << c;
  }
}

TEST_F(ExportTest, TicketsHaveOneRowPerMilestoneWithEvidence) {
  const TicketRef t = NewTicket("Q", "sales", "a@x.example", "quote", 100);
  NewTicket("S", "support", "b@x.example", "other", 200);
  MilestoneIn d1{.milestone_id = "D1", .name = "ack", .clock = "calendar"};
  d1.timing.started_at = T(100);
  d1.timing.due_at = T(1000);
  MilestoneIn d2 = d1;
  d2.milestone_id = "D2";
  d2.name = "answer";
  d2.timing.due_at = T(5000);
  ASSERT_TRUE(store_->AddMilestone(t.id, d1).has_value());
  ASSERT_TRUE(store_->AddMilestone(t.id, d2).has_value());
  ASSERT_EQ(store_
                ->MeetMilestone(t.id, "D1",
                                {.by = "sent_folder",
                                 .message_id = "r1@shop.example",
                                 .mailbox = "sales",
                                 .folder = "Sent",
                                 .at = T(500),
                                 .actor = "bob@shop.example"})
                .value(),
            MilestoneState::kMet);

  auto rows = PythonCsv(Export({}, true));
  ASSERT_EQ(rows.size(), 4u);  // header, Q-1000 x 2, S-1000
  EXPECT_EQ(last_rows_, 3);
  const auto& h = rows[0];
  auto col = [&](const std::vector<std::string>& r, const std::string& name) {
    auto it = std::find(h.begin(), h.end(), name);
    EXPECT_NE(it, h.end()) << name;
    return it == h.end() ? std::string() : r[it - h.begin()];
  };
  EXPECT_EQ(col(rows[1], "ticket"), "Q-1000");
  EXPECT_EQ(col(rows[1], "milestone"), "D1");
  EXPECT_EQ(col(rows[1], "milestone_state"), "met");
  EXPECT_EQ(col(rows[1], "evidence_by"), "sent_folder");
  EXPECT_EQ(col(rows[1], "evidence_message_id"), "r1@shop.example");
  EXPECT_EQ(col(rows[1], "evidence_folder"), "Sent");
  EXPECT_EQ(col(rows[1], "evidence_actor"), "bob@shop.example");
  EXPECT_EQ(col(rows[1], "evidence_at"), core::FormatUtc(T(500)));
  EXPECT_EQ(col(rows[1], "met_at"), core::FormatUtc(T(500)));
  EXPECT_EQ(col(rows[2], "ticket"), "Q-1000");
  EXPECT_EQ(col(rows[2], "milestone"), "D2");
  EXPECT_EQ(col(rows[2], "milestone_state"), "open");
  EXPECT_EQ(col(rows[2], "due"), core::FormatUtc(T(5000)));
  EXPECT_EQ(col(rows[2], "evidence_by"), "");
  EXPECT_EQ(col(rows[3], "ticket"), "S-1000");
  EXPECT_EQ(col(rows[3], "milestone"), "");

  // JSON Lines: one ticket per line with its milestones.
  auto lines = JsonLines(Export({.format = ExportFormat::kJsonl}, true));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(last_rows_, 2);
  EXPECT_EQ(lines[0]["ticket"], "Q-1000");
  EXPECT_EQ(lines[0]["subject"], "quote");
  ASSERT_EQ(lines[0]["milestones"].size(), 2u);
  EXPECT_EQ(lines[0]["milestones"][0]["evidence"]["message_id"],
            "r1@shop.example");
  EXPECT_TRUE(lines[0]["milestones"][1]["evidence"].is_null());
  EXPECT_EQ(lines[1]["milestones"].size(), 0u);

  // Filters: mailbox, ticket, opened range.
  const struct {
    const char* name;
    ExportOptions o;
    std::vector<std::string> want;
  } cases[] = {
      {"all", {.format = ExportFormat::kJsonl}, {"Q-1000", "S-1000"}},
      {"mailbox",
       {.format = ExportFormat::kJsonl, .mailbox = "support"},
       {"S-1000"}},
      {"unknown mailbox", {.format = ExportFormat::kJsonl, .mailbox = "x"}, {}},
      {"ticket",
       {.format = ExportFormat::kJsonl, .ticket_id = t.id},
       {"Q-1000"}},
      {"since", {.format = ExportFormat::kJsonl, .since = T(150)}, {"S-1000"}},
      {"until", {.format = ExportFormat::kJsonl, .until = T(200)}, {"Q-1000"}},
      {"ticket outside range",
       {.format = ExportFormat::kJsonl, .since = T(150), .ticket_id = t.id},
       {}},
  };
  for (const auto& c : cases) {
    std::vector<std::string> got;
    for (const auto& j : JsonLines(Export(c.o, true)))
      got.push_back(j["ticket"]);
    EXPECT_EQ(got, c.want) << c.name;
  }
}

TEST_F(ExportTest, FiltersSelectEventsAndJsonlParses) {
  const TicketRef q = NewTicket("Q", "sales", "a@x.example", "s", 100);
  const int64_t a = Append("t.a", "sales", q.id, "inboxd", {{"n", 1}}, 1000);
  const int64_t b = Append("t.b", "support", 0, "inboxd", {{"n", 2}}, 2000);
  const int64_t c = Append("t.c", "sales", q.id, "inboxd", {{"n", 3}}, 3000);
  const int64_t d = Append("t.d", "support", 0, "inboxd", {{"n", 4}}, 4000);
  const struct {
    const char* name;
    ExportOptions o;
    std::vector<int64_t> want;  // among a..d
  } cases[] = {
      {"from", {.since = T(2000)}, {b, c, d}},
      {"to", {.until = T(3000)}, {a, b}},
      {"from to", {.since = T(2000), .until = T(4000)}, {b, c}},
      {"mailbox", {.mailbox = "support"}, {b, d}},
      {"ticket", {.ticket_id = q.id}, {a, c}},
      {"all", {}, {a, b, c, d}},
      {"ticket and range", {.since = T(2500), .ticket_id = q.id}, {c}},
  };
  for (const auto& c : cases) {
    ExportOptions o = c.o;
    o.format = ExportFormat::kJsonl;
    std::vector<int64_t> got;
    for (const auto& j : JsonLines(Export(o))) {
      ASSERT_TRUE(j["data"].is_object()) << j.dump();
      if (j["type"].get<std::string>().rfind("t.", 0) != 0) continue;
      got.push_back(j["id"]);
      EXPECT_EQ(j["ticket"], j["mailbox"] == "sales" ? "Q-1000" : "");
      EXPECT_EQ(j["data"]["n"], j["id"].get<int64_t>() - a + 1);
    }
    EXPECT_EQ(got, c.want) << c.name;
  }
  // Every line has the columns of the CSV, in the same order.
  auto lines = JsonLines(Export({.format = ExportFormat::kJsonl}));
  ASSERT_FALSE(lines.empty());
  std::vector<std::string> keys;
  for (auto it = lines.back().begin(); it != lines.back().end(); ++it) {
    keys.push_back(it.key());
  }
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> want = {
      "actor",     "at",      "data",        "hash",
      "id",        "mailbox", "message_row", "personal_erased",
      "prev_hash", "ticket",  "type"};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(keys, want);
  EXPECT_EQ(lines.back()["at"], core::FormatUtc(T(4000)));
  EXPECT_TRUE(lines.back()["message_row"].is_null());
  EXPECT_EQ(lines.back()["personal_erased"], false);
}

TEST_F(ExportTest, ResolveTicketTakesTagsAndIds) {
  NewTicket("S", "support", "a@x.example", "s", 100);
  const TicketRef q = NewTicket("Q", "sales", "a@x.example", "s", 100);
  for (const char* text : {"Q-1000", "q-1000", "[#Q-1000]", " Q-1000 "}) {
    auto id = ResolveTicket(*store_, text);
    ASSERT_TRUE(id.has_value()) << text << ": " << id.error().ToString();
    EXPECT_EQ(*id, q.id) << text;
  }
  EXPECT_EQ(ResolveTicket(*store_, std::to_string(q.id)).value(), q.id);
  const struct {
    const char* text;
    core::Code want;
  } bad[] = {{"Q-9999", core::Code::kNotFound},
             {"999", core::Code::kNotFound},
             {"bogus", core::Code::kInvalidArgument},
             {"Q-", core::Code::kInvalidArgument},
             {"", core::Code::kInvalidArgument}};
  for (const auto& c : bad) {
    auto id = ResolveTicket(*store_, c.text);
    ASSERT_FALSE(id.has_value()) << c.text;
    EXPECT_EQ(id.error().code, c.want) << c.text;
  }
}

// The address pattern of the brief: anything@anything.
const std::regex kAddress(R"([^\s@]+@[^\s@]+)");

TEST_F(ExportTest, RedactedExportsHoldNoAddressNoSubjectAndStableTokens) {
  const TicketRef t =
      NewTicket("S", "support", "anna@shop.example", "Secret subject 42", 100);
  ASSERT_TRUE(store_
                  ->SetTicketOwner(t.id, "bob@shop.example",
                                   "R4: last owner bob@shop.example", "inboxd")
                  .has_value());
  // A second ticket of the same customer, written in other case.
  NewTicket("S", "support", "Anna@Shop.Example", "Secret subject 43", 150);
  Append("outbox.failed", "support", t.id, "bob@shop.example",
         {{"to", {"Anna@Shop.example", "x@y.example"}},
          {"error", "550 Anna Smith <anna@shop.example> unknown"},
          {"subject", "Secret subject 42"},
          {"text", "Body text"},
          {"body", "Body text"},
          {"name", "Anna Smith"},
          {"message_id", "m1@shop.example"},
          {"kind", "ack"}},
         200);
  Append("operator.note", "support", 0, "unix:root",
         {{"customer", "ANNA@shop.example"}, {"detail", "Anna Smith"}}, 300);
  MilestoneIn d1{.milestone_id = "D1", .name = "ack", .clock = "calendar"};
  d1.timing.started_at = T(100);
  d1.timing.due_at = T(1000);
  ASSERT_TRUE(store_->AddMilestone(t.id, d1).has_value());
  ASSERT_TRUE(store_
                  ->MeetMilestone(t.id, "D1",
                                  {.by = "sent_folder",
                                   .message_id = "r1@shop.example",
                                   .mailbox = "support",
                                   .folder = "Sent",
                                   .at = T(500),
                                   .actor = "bob@shop.example"})
                  .has_value());

  const Redactor r("installation key");
  const std::string anna = r.Token("anna@shop.example");
  const std::string bob = r.Token("bob@shop.example");
  ASSERT_EQ(anna, "addr:" + core::HmacSha256Hex("installation key",
                                                "anna@shop.example")
                                .substr(0, 16));
  // Without --redact the addresses and the subject are there.
  const std::string plain = Export({});
  EXPECT_TRUE(std::regex_search(plain, kAddress));
  EXPECT_NE(plain.find("Secret subject 42"), std::string::npos);

  for (ExportFormat f : {ExportFormat::kCsv, ExportFormat::kJsonl}) {
    for (bool tickets : {false, true}) {
      SCOPED_TRACE(std::string(f == ExportFormat::kCsv ? "csv" : "jsonl") +
                   (tickets ? " tickets" : " audit"));
      const std::string out = Export({.format = f, .redactor = &r}, tickets);
      std::smatch m;
      EXPECT_FALSE(std::regex_search(out, m, kAddress)) << m.str();
      EXPECT_EQ(out.find('@'), std::string::npos);
      EXPECT_EQ(out.find("Secret subject"), std::string::npos);
      EXPECT_EQ(out.find("Anna Smith"), std::string::npos);
      EXPECT_EQ(out.find("Body text"), std::string::npos);
      // The same address gives the same token, wherever and however cased.
      size_t count = 0;
      for (size_t p = out.find(anna); p != std::string::npos;
           p = out.find(anna, p + 1)) {
        ++count;
      }
      EXPECT_GE(count, 2u) << out;
      EXPECT_NE(out.find(bob), std::string::npos);
    }
  }
  // Non-personal data stays.
  auto lines = JsonLines(Export(
      {.format = ExportFormat::kJsonl, .ticket_id = t.id, .redactor = &r}));
  bool found = false;
  for (const auto& j : lines) {
    if (j["type"] != "outbox.failed") continue;
    found = true;
    EXPECT_EQ(j["actor"], bob);
    EXPECT_EQ(j["data"]["kind"], "ack");
    EXPECT_EQ(j["data"]["to"][0], anna);
    EXPECT_EQ(j["data"]["error"], anna);
    EXPECT_FALSE(j["data"].contains("subject"));
    EXPECT_FALSE(j["data"].contains("name"));
  }
  EXPECT_TRUE(found);
  auto tl =
      JsonLines(Export({.format = ExportFormat::kJsonl, .redactor = &r}, true));
  ASSERT_EQ(tl.size(), 2u);
  EXPECT_EQ(tl[1]["customer"], anna);
  EXPECT_EQ(tl[0]["customer"], anna);
  EXPECT_EQ(tl[0]["owner"], bob);
  EXPECT_EQ(tl[0]["owner_reason"], "R4: last owner " + bob);
  EXPECT_FALSE(tl[0].contains("subject"));
  EXPECT_EQ(tl[0]["milestones"][0]["evidence"]["actor"], bob);
}

TEST_F(ExportTest, ErasedEventsAreMarkedAndCarryNoPersonalData) {
  const int64_t kept = Append("t.kept", "support", 0, "inboxd",
                              {{"customer", "a@x.example"}, {"n", 1}}, 100);
  const int64_t erased = Append(
      "t.erased", "support", 0, "inboxd",
      {{"customer", "a@x.example"}, {"subject", "Private"}, {"n", 2}}, 200);
  {
    SQLite::Database db(db_.path(), SQLite::OPEN_READWRITE);
    db.exec("UPDATE events SET personal = NULL WHERE id = " +
            std::to_string(erased));
  }
  for (ExportFormat f : {ExportFormat::kJsonl, ExportFormat::kCsv}) {
    nlohmann::json got_kept, got_erased;
    std::string erased_flag, kept_flag;
    const std::string out =
        Export({.format = f, .since = T(100), .until = T(1000)});
    if (f == ExportFormat::kJsonl) {
      auto lines = JsonLines(out);
      ASSERT_EQ(lines.size(), 2u);
      got_kept = lines[0]["data"];
      got_erased = lines[1]["data"];
      kept_flag = lines[0]["personal_erased"].dump();
      erased_flag = lines[1]["personal_erased"].dump();
      EXPECT_EQ(lines[1]["id"], erased);
    } else {
      auto rows = PythonCsv(out);
      ASSERT_EQ(rows.size(), 3u);
      EXPECT_EQ(rows[0][8], "personal_erased");
      got_kept = nlohmann::json::parse(rows[1][7]);
      got_erased = nlohmann::json::parse(rows[2][7]);
      kept_flag = rows[1][8];
      erased_flag = rows[2][8];
      EXPECT_EQ(rows[1][0], std::to_string(kept));
    }
    EXPECT_EQ(kept_flag, "false");
    EXPECT_EQ(erased_flag, "true");
    EXPECT_EQ(got_kept,
              nlohmann::json({{"customer", "a@x.example"}, {"n", 1}}));
    EXPECT_EQ(got_erased, nlohmann::json({{"n", 2}}));
    EXPECT_EQ(out.find("Private"), std::string::npos);
  }
}

TEST_F(ExportTest, WriteFailureIsUnavailable) {
  Append("t.a", "support", 0, "inboxd", {{"n", 1}}, 100);
  NewTicket("S", "support", "a@x.example", "s", 100);
  for (bool tickets : {false, true}) {
    std::ostringstream out;
    out.setstate(std::ios::badbit);
    auto rows = tickets ? ExportTickets(*store_, {}, out)
                        : ExportEvents(*store_, {}, out);
    ASSERT_FALSE(rows.has_value());
    EXPECT_EQ(rows.error().code, core::Code::kUnavailable);
  }
}

}  // namespace
}  // namespace inboxd::store
