// watch_bench: the deadline watcher's cost against the size of the store
// (issue 9; issue 13 asks every daemon stage for a flat per-item cost).
// For stores of N tickets, each with a D1 and a D2 milestone not yet due,
// plus 200 tickets whose warning is due now, it prints the time of the
// pending-work query (ListMilestonesDue, NextMilestoneAction) and of one
// WatchOnce that sends the 200 warnings (render, compose, queue, mark, in
// one transaction each). A flat cost shows as the same time per warning
// whatever N is. No peer tool has a deadline watcher to compare with; the
// figure to watch is the ratio between the largest and the smallest store.
// Usage: watch_bench [N...]   (default 1000 10000 100000)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "ingest/mime_adapter.h"
#include "responder/templates.h"
#include "responder/watcher.h"
#include "store/store.h"

namespace {

using namespace inboxd;
using Clock = std::chrono::steady_clock;

constexpr int kDue = 200;
const core::TimePoint kT0{std::chrono::seconds(1'800'000'000)};

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

config::Config BenchConfig(const std::string& dir) {
  config::Config c = config::Defaults();
  config::Mailbox m;
  m.name = "sales";
  m.address = "sales@shop.example";
  m.time_zone = "Europe/Berlin";
  c.mailboxes = {m};
  config::Route r;
  r.cls = "quote";
  r.primary = "anna@shop.example";
  r.escalate_to = {"manager@shop.example"};
  c.routes = {r};
  c.state.dir = dir;
  return c;
}

void AddMilestone(store::Store& s, int64_t ticket, const char* id,
                  const char* name, core::TimePoint start, core::TimePoint due,
                  core::TimePoint warn) {
  store::MilestoneIn in;
  in.milestone_id = id;
  in.name = name;
  in.clock = "calendar";
  in.within = due - start;
  in.timing.started_at = start;
  in.timing.due_at = due;
  in.timing.warn_at = warn;
  if (!s.AddMilestone(ticket, in)) std::abort();
}

int Run(int n) {
  const std::string dir = "/tmp/inboxd-watch-bench-" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  core::FakeClock clock(kT0);
  auto st = store::Store::Open(dir + "/inboxd.db", &clock);
  if (!st) {
    std::fprintf(stderr, "store: %s\n", st.error().message.c_str());
    return 1;
  }
  store::Store& s = **st;
  const config::Config cfg = BenchConfig(dir);

  // N quiet tickets (nothing due for days), then kDue whose warning is due.
  auto fill_start = Clock::now();
  for (int i = 0; i < n + kDue; i += 1000) {
    auto batch = s.BeginBatch();
    if (!batch) std::abort();
    for (int j = i; j < std::min(i + 1000, n + kDue); ++j) {
      store::TicketIn t;
      t.mailbox = "sales";
      t.prefix = "Q";
      t.customer = "c" + std::to_string(j) + "@customer.example";
      t.subject = "Quote " + std::to_string(j);
      t.normalized_subject = t.subject;
      t.cls = "quote";
      t.language = "en";
      t.opened_at = kT0;
      auto ref = s.CreateTicket(t);
      if (!ref) std::abort();
      const bool due = j >= n;
      const core::TimePoint start = due ? kT0 - std::chrono::hours(40) : kT0;
      AddMilestone(s, ref->id, "D1", "ack", start,
                   start + std::chrono::hours(2),
                   start + std::chrono::minutes(90));
      AddMilestone(s, ref->id, "D2", "answer", start,
                   start + std::chrono::hours(48),
                   start + std::chrono::hours(36));
    }
    if (!(*batch)->Commit()) std::abort();
  }
  const double fill_ms = Ms(Clock::now() - fill_start);

  auto templates = responder::TemplateSet::Load(
      INBOXD_SOURCE_DIR "/templates", "", cfg.templates.forbidden_phrases);
  if (!templates) std::abort();
  auto watcher = responder::Watcher::Create(
      &cfg, &s, &*templates, "bench-key", [](std::string_view raw) {
        return ingest::ParseMessage(raw, core::Limits{});
      });
  if (!watcher) {
    std::fprintf(stderr, "watcher: %s\n", watcher.error().message.c_str());
    return 1;
  }

  auto q0 = Clock::now();
  auto due = s.ListMilestonesDue(kT0, 1000);
  const double query_ms = Ms(Clock::now() - q0);
  auto n0 = Clock::now();
  auto next = s.NextMilestoneAction();
  const double next_ms = Ms(Clock::now() - n0);
  if (!due || !next) std::abort();

  auto w0 = Clock::now();
  auto report = (*watcher)->WatchOnce(kT0);
  const double watch_ms = Ms(Clock::now() - w0);
  if (!report) std::abort();
  // The D1 milestones of the due tickets breached long ago: missed and
  // escalated; the D2 ones warned.
  std::printf(
      "%7d tickets: fill %8.0f ms | due query %6.2f ms (%zu due) | next "
      "action %5.3f ms | WatchOnce %7.1f ms: %d warned, %d missed, %d "
      "escalated, %d errors | %5.3f ms per step\n",
      n, fill_ms, query_ms, due->size(), next_ms, watch_ms, report->warned,
      report->missed, report->escalated, report->errors,
      watch_ms / (report->warned + report->missed));
  std::filesystem::remove_all(dir);
  return report->errors == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  if (sizes.empty()) sizes = {1000, 10000, 100000};
  int rc = 0;
  for (int n : sizes) rc |= Run(n);
  return rc;
}
