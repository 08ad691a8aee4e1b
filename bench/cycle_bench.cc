// cycle_bench: the daemon's steady-state cycle against the size of the store
// (issue 13: "a cycle with 100,000 stored messages <= 1.5 x one with 1,000").
//
// For a store of N customer messages that went through every stage (stored,
// classified into a new ticket, acknowledgement planned and sent, milestones
// set), it times `--cycles` cycles of what the daemon does for one new
// customer message: store it (PutRawMessage, as a folder sync does), then
// the stages of Pipeline::RunStages in their order: Processor::ProcessPending
// (parse, classify, ticket), Planner::PlanPending (compose and queue the
// acknowledgement), Watcher::WatchOnce (deadlines) and OutboxDrain::DrainOnce
// (send through a mailer that accepts everything, Sent copy discarded). The
// IMAP side (sync, flags of the client-state watcher) is not here: it costs
// the same whatever the store holds (UIDNEXT, CHANGEDSINCE). Prints the
// median and p90 per stage and in all for each N, then the ratio of the
// largest store's median cycle to the smallest's. A file-backed store in a
// temp dir (WAL, as the daemon). No peer tool has these stages; the figure
// to watch is the ratio.
//
// Usage: cycle_bench [--cycles K] [N...]   (default K 200; N 1000 100000)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "classify/processor.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/hash.h"
#include "ingest/mime_adapter.h"
#include "responder/mailer.h"
#include "responder/outbox_drain.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "responder/watcher.h"
#include "store/store.h"

namespace {

using namespace inboxd;
using Clock = std::chrono::steady_clock;

// Tuesday 2026-11-24 09:00:00 UTC.
const core::TimePoint kT0{std::chrono::seconds(1'795'510'800)};

double Ms(Clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Accepts every message and keeps none (a Sent folder that is always
// reachable and never searched: nothing is left in "sending").
class NullSent final : public responder::SentFolder {
 public:
  core::Result<bool> ContainsMessageId(std::string_view,
                                       std::string_view) override {
    return false;
  }
  core::Status Append(std::string_view, std::string_view) override {
    return core::Ok();
  }
};
class NullMailer final : public responder::Mailer {
 public:
  core::Status Send(std::string_view, const std::vector<std::string>&,
                    std::string_view) override {
    ++sent;
    return core::Ok();
  }
  int64_t sent = 0;
};

config::Config BenchConfig(const std::string& dir) {
  config::Config c = config::Defaults();
  config::Mailbox support;
  support.name = "support";
  support.address = "support@shop.example";
  support.display_name = "Shop Support";
  support.time_zone = "Europe/Berlin";
  support.language = "en";
  c.mailboxes = {support};
  c.classify.ticket_prefix = {{"support", "S"}};
  c.classify.own_domains = {"shop.example"};
  config::Route route;
  route.cls = "support";
  route.primary = "agent@shop.example";
  route.escalate_to = {"manager@shop.example"};
  c.routes = {route};
  c.state.dir = dir;
  return c;
}

// Customer message number i: its own sender, subject and Message-ID, so
// each opens a ticket.
store::RawMessageIn Customer(int i, core::TimePoint at) {
  store::RawMessageIn m;
  m.mailbox = "support";
  m.folder = "INBOX";
  m.uid_validity = 1;
  m.uid = static_cast<uint32_t>(i);
  m.role = store::Role::kIncoming;
  m.arrived_at = at;
  m.message_id = "c" + std::to_string(i) + "@customer.example";
  m.raw = "From: Customer " + std::to_string(i) + " <c" + std::to_string(i) +
          "@customer.example>\r\nTo: support@shop.example\r\nSubject: Order " +
          std::to_string(100000 + i) + " arrived damaged\r\nMessage-ID: <" +
          m.message_id +
          ">\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n\r\n"
          "Hello, the parcel for order " +
          std::to_string(100000 + i) +
          " arrived with a broken corner and the printer inside does not "
          "start. Could you send a replacement?\r\n\r\nThanks\r\n";
  m.sha256 = core::Sha256Hex(m.raw);
  m.size = m.raw.size();
  return m;
}

struct Stages {
  std::unique_ptr<classify::Processor> processor;
  std::unique_ptr<responder::Planner> planner;
  std::unique_ptr<responder::Watcher> watcher;
  std::unique_ptr<responder::OutboxDrain> drain;
};

struct CycleTimes {
  std::vector<double> put, process, plan, watch, drain, total;
};

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1))];
}

// Runs every stage until nothing is left (the fill).
bool Settle(Stages& s, core::TimePoint now) {
  for (;;) {
    auto p = s.processor->ProcessPending(1000);
    if (!p) {
      std::fprintf(stderr, "process: %s\n", p.error().ToString().c_str());
      return false;
    }
    auto pl = s.planner->PlanPending(now);
    if (!pl) {
      std::fprintf(stderr, "plan: %s\n", pl.error().ToString().c_str());
      return false;
    }
    int sent = 0;
    for (;;) {
      auto d = s.drain->DrainOnce(now);
      if (!d) {
        std::fprintf(stderr, "drain: %s\n", d.error().ToString().c_str());
        return false;
      }
      sent += d->sent;
      if (d->sent == 0) break;
    }
    if (p->processed == 0 && pl->enqueued == 0 && sent == 0) return true;
  }
}

int Run(int n, int cycles, double* median_out) {
  const std::string dir =
      "/tmp/inboxd-cycle-bench-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  core::FakeClock clock(kT0);
  auto st = store::Store::Open(dir + "/inboxd.db", &clock);
  if (!st) {
    std::fprintf(stderr, "store: %s\n", st.error().message.c_str());
    return 1;
  }
  store::Store& db = **st;
  const config::Config cfg = BenchConfig(dir);
  auto templates =
      responder::TemplateSet::Load(INBOXD_SOURCE_DIR "/templates", "", {});
  if (!templates) {
    std::fprintf(stderr, "templates: %s\n", templates.error().message.c_str());
    return 1;
  }
  const core::Limits limits = cfg.limits;
  auto parse = [limits](std::string_view raw) {
    return ingest::ParseMessage(raw, limits);
  };
  NullMailer mailer;
  NullSent sent;
  Stages s;
  auto processor = classify::Processor::Create(cfg, &db, &clock);
  auto planner =
      responder::Planner::Create(&cfg, &db, &*templates, "bench-key", parse);
  auto watcher =
      responder::Watcher::Create(&cfg, &db, &*templates, "bench-key", parse);
  auto drain = responder::OutboxDrain::Create(&cfg, &db, {{"support", &mailer}},
                                              &sent, &*templates, "bench-key");
  if (!processor || !planner || !watcher || !drain) {
    std::fprintf(stderr, "stages could not be created\n");
    return 1;
  }
  s.processor = std::move(*processor);
  s.planner = std::move(*planner);
  // As the daemon: the planner takes the processor's parse.
  core::ParseCache parses;
  s.processor->SetParseCache(&parses);
  s.planner->SetParseCache(&parses);
  s.watcher = std::move(*watcher);
  s.drain = std::move(*drain);

  // The fill: N messages through every stage, in batches of 1000 stored in
  // one transaction each (as a first sync's windows).
  const auto fill0 = Clock::now();
  for (int i = 1; i <= n;) {
    auto batch = db.BeginBatch();
    if (!batch) return 1;
    for (int k = 0; k < 1000 && i <= n; ++k, ++i) {
      if (!db.PutRawMessage(Customer(i, clock.Now()))) return 1;
    }
    if (!(*batch)->Commit()) return 1;
    if (!Settle(s, clock.Now())) return 1;
    clock.Advance(std::chrono::seconds(1));
  }
  const double fill_s =
      std::chrono::duration<double>(Clock::now() - fill0).count();

  CycleTimes t;
  for (int c = 1; c <= cycles; ++c) {
    clock.Advance(std::chrono::seconds(5));
    const core::TimePoint now = clock.Now();
    const auto t0 = Clock::now();
    if (!db.PutRawMessage(Customer(n + c, now))) return 1;
    const auto t1 = Clock::now();
    auto p = s.processor->ProcessPending(1000);
    const auto t2 = Clock::now();
    auto pl = s.planner->PlanPending(now);
    const auto t3 = Clock::now();
    auto w = s.watcher->WatchOnce(now);
    const auto t4 = Clock::now();
    auto d = s.drain->DrainOnce(now);
    const auto t5 = Clock::now();
    if (!p || !pl || !w || !d || p->processed != 1 || pl->enqueued < 1 ||
        d->sent < 1) {
      std::fprintf(stderr, "cycle %d did not acknowledge its message\n", c);
      return 1;
    }
    t.put.push_back(Ms(t1 - t0));
    t.process.push_back(Ms(t2 - t1));
    t.plan.push_back(Ms(t3 - t2));
    t.watch.push_back(Ms(t4 - t3));
    t.drain.push_back(Ms(t5 - t4));
    t.total.push_back(Ms(t5 - t0));
  }
  auto stats = db.Stats();
  std::printf(
      "store of %d messages (filled in %.1f s; %lld tickets, %lld events, "
      "%lld acks sent): %d cycles\n",
      n, fill_s,
      stats ? static_cast<long long>(stats->tickets_open +
                                     stats->tickets_waiting +
                                     stats->tickets_closed)
            : -1LL,
      stats ? static_cast<long long>(stats->events) : -1LL,
      static_cast<long long>(mailer.sent), cycles);
  auto row = [](const char* name, const std::vector<double>& v) {
    std::printf("  %-8s median %7.3f ms   p90 %7.3f ms\n", name,
                Quantile(v, 0.5), Quantile(v, 0.9));
  };
  row("store", t.put);
  row("process", t.process);
  row("plan", t.plan);
  row("watch", t.watch);
  row("drain", t.drain);
  row("cycle", t.total);
  std::printf("  parses taken from the processor: %lld, parsed again: %lld\n",
              static_cast<long long>(parses.hits()),
              static_cast<long long>(parses.misses()));
  std::fflush(stdout);
  *median_out = Quantile(t.total, 0.5);
  s = Stages{};
  st->reset();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int cycles = 200;
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--cycles") == 0 && i + 1 < argc) {
      cycles = std::max(1, std::atoi(argv[++i]));
    } else {
      sizes.push_back(std::atoi(argv[i]));
    }
  }
  if (sizes.empty()) sizes = {1000, 100000};
  std::vector<double> medians;
  for (int n : sizes) {
    double m = 0;
    if (int rc = Run(n, cycles, &m); rc != 0) return rc;
    medians.push_back(m);
  }
  if (medians.size() > 1 && medians.front() > 0) {
    std::printf(
        "ratio of the median cycle, %d vs %d messages: %.2fx (goal "
        "<= 1.5x)\n",
        sizes.back(), sizes.front(), medians.back() / medians.front());
  }
  return 0;
}
