// export_bench.cc: `inboxd export audit` at scale (issue 11 item 3).
//
// Fills a temporary store with N synthetic events (default 1,000,000; half
// of them with personal fields: an address, a subject), appended in store
// batches of 10,000, then exports them as CSV, JSON Lines and redacted CSV
// to /dev/null. Each export runs in a fresh child process (this binary
// re-run with --export), so its peak RSS (getrusage ru_maxrss) is its own
// and not the fill's; it prints the RSS after opening the store and after
// the export, for all events and for the first tenth, which shows that
// memory does not grow with the number of events.
//
//   export_bench [N] [--keep DIR]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "core/clock.h"
#include "store/export.h"
#include "store/store.h"

namespace {

using inboxd::core::TimePoint;
namespace fs = std::filesystem;
namespace store = inboxd::store;

constexpr int64_t kBase = 1'800'000'000;  // the first event's time
constexpr int kTickets = 5000;            // more than the tag cache holds

long PeakRssKb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

int Fill(const std::string& db, int64_t n) {
  inboxd::core::FakeClock clock{TimePoint(std::chrono::seconds(kBase))};
  auto st = store::Store::Open(db, &clock);
  if (!st) {
    std::fprintf(stderr, "open: %s\n", st.error().message.c_str());
    return 1;
  }
  store::Store& s = **st;
  const auto t0 = std::chrono::steady_clock::now();
  {
    auto batch = s.BeginBatch();
    if (!batch) return 1;
    for (int i = 0; i < kTickets; ++i) {
      auto t = s.CreateTicket(
          {.mailbox = i % 2 ? "sales" : "support",
           .prefix = i % 2 ? "Q" : "S",
           .customer = "c" + std::to_string(i) + "@customer.example",
           .subject = "Order " + std::to_string(i),
           .normalized_subject = "order",
           .cls = "support",
           .language = "en",
           .opened_at = clock.Now()});
      if (!t) {
        std::fprintf(stderr, "ticket: %s\n", t.error().message.c_str());
        return 1;
      }
    }
    if (!(*batch)->Commit()) return 1;
  }
  static const char* kTypes[] = {"message.stored", "message.processed",
                                 "outbox.sent", "milestone.met"};
  std::unique_ptr<store::Store::Batch> batch;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 10'000 == 0) {
      if (batch && !batch->Commit()) return 1;
      auto b = s.BeginBatch();
      if (!b) return 1;
      batch = std::move(*b);
    }
    clock.Set(TimePoint(std::chrono::seconds(kBase + i)));
    nlohmann::json data = {{"n", i}, {"kind", "ack"}, {"size", 2048 + i % 977}};
    if (i % 2 == 0) {
      data["customer"] =
          "c" + std::to_string(i % kTickets) + "@customer.example";
      data["subject"] = "Re: Order " + std::to_string(i) + ", \"urgent\"";
      data["message_id"] = "m" + std::to_string(i) + "@customer.example";
    }
    auto id = s.AppendEvent({.type = kTypes[i % 4],
                             .mailbox = i % 2 ? "sales" : "support",
                             .ticket_id = 1 + (i / 100) % kTickets,
                             .message_row = i % 3 ? i : 0,
                             .actor = i % 5 ? "inboxd" : "anna@shop.example",
                             .data = data.dump()});
    if (!id) {
      std::fprintf(stderr, "append: %s\n", id.error().message.c_str());
      return 1;
    }
  }
  if (batch && !batch->Commit()) return 1;
  const double secs = Seconds(t0);
  std::printf("fill: %lld events in %.1f s (%.0f events/s), db %.0f MB\n",
              static_cast<long long>(n), secs, n / secs,
              fs::file_size(db) / 1e6);
  return 0;
}

// The child: one export to /dev/null; prints one JSON line of figures.
int ExportChild(const std::string& db, const std::string& format, int64_t count,
                bool redact) {
  inboxd::core::FakeClock clock{TimePoint(std::chrono::seconds(kBase))};
  auto st = store::Store::Open(db, &clock);
  if (!st) return 1;
  const long rss_open = PeakRssKb();
  store::ExportOptions o;
  o.format = format == "jsonl" ? store::ExportFormat::kJsonl
                               : store::ExportFormat::kCsv;
  o.until = TimePoint(std::chrono::seconds(kBase + count));
  const store::Redactor redactor("bench key");
  if (redact) o.redactor = &redactor;
  std::ofstream out("/dev/null", std::ios::binary);
  const auto t0 = std::chrono::steady_clock::now();
  auto rows = store::ExportEvents(**st, o, out);
  const double secs = Seconds(t0);
  if (!rows) {
    std::fprintf(stderr, "export: %s\n", rows.error().message.c_str());
    return 1;
  }
  std::printf("%s\n", nlohmann::json({{"rows", *rows},
                                      {"seconds", secs},
                                      {"rss_open_kb", rss_open},
                                      {"rss_peak_kb", PeakRssKb()}})
                          .dump()
                          .c_str());
  return 0;
}

// Runs this binary with --export and reads its figures.
nlohmann::json RunChild(const std::string& db, const std::string& format,
                        int64_t count, bool redact) {
  const std::string cmd = "/proc/" + std::to_string(::getpid()) +
                          "/exe --export '" + db + "' " + format + " " +
                          std::to_string(count) + (redact ? " redact" : "");
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t k;
  while (p && (k = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, k);
  if (p) ::pclose(p);
  return nlohmann::json::parse(out, nullptr, false);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 5 && std::string(argv[1]) == "--export") {
    return ExportChild(argv[2], argv[3], std::atoll(argv[4]),
                       argc >= 6 && std::string(argv[5]) == "redact");
  }
  int64_t n = 1'000'000;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else {
      n = std::atoll(argv[i]);
    }
  }
  const fs::path dir =
      keep.empty() ? fs::temp_directory_path() /
                         ("inboxd_export_bench_" + std::to_string(::getpid()))
                   : fs::path(keep);
  fs::create_directories(dir);
  const std::string db = (dir / "inboxd.db").string();
  if (!fs::exists(db)) {
    if (int rc = Fill(db, n); rc != 0) return rc;
  } else {
    std::printf("reusing %s\n", db.c_str());
  }
  std::printf("%-14s %9s %8s %12s %14s %14s\n", "export", "events", "s",
              "events/s", "rss_open_kb", "rss_peak_kb");
  int rc = 0;
  for (const auto& [format, redact] :
       {std::pair<std::string, bool>{"csv", false},
        {"jsonl", false},
        {"csv", true}}) {
    for (int64_t count : {n / 10, n}) {
      nlohmann::json j = RunChild(db, format, count, redact);
      if (!j.is_object()) {
        std::printf("%s: child failed\n", format.c_str());
        rc = 1;
        continue;
      }
      const double secs = j["seconds"];
      const int64_t rows = j["rows"];
      std::printf("%-14s %9lld %8.2f %12.0f %14lld %14lld\n",
                  (format + (redact ? " redact" : "")).c_str(),
                  static_cast<long long>(rows), secs, rows / secs,
                  j["rss_open_kb"].get<long long>(),
                  j["rss_peak_kb"].get<long long>());
    }
  }
  if (keep.empty()) fs::remove_all(dir);
  return rc;
}
