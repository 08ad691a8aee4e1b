// cmd_sync.cc: `inboxd once`, `inboxd run` and `inboxd status`.
//
// once:   one sync of every mailbox and folder, then process, plan and send
//         (or write to a Maildir with --dry-run); exit 0 when every mailbox
//         synced, 1 otherwise.
// run:    the daemon: IDLE on every watched folder (SyncDaemon); after new
//         mail, and at least every --tick seconds (retries, deadlines), the
//         stages run. SIGINT/SIGTERM: the message under way is finished
//         and committed, every network wait gives up (core/shutdown.h), exit
//         0 within seconds. SIGHUP: the config is reloaded (validated
//         first; on error the running one stays, logged and audited as
//         config.reload_failed). One run per state dir (store/state_lock.h).
//         While running it keeps <state.dir>/daemon.json (pid + live folder
//         state) for `status`.
// status: per mailbox and folder: uidvalidity, last_uid, messages, last_sync,
//         connected (from daemon.json when that daemon is alive).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>

#include "app/commands.h"
#include "app/logging.h"
#include "app/monitoring.h"
#include "app/pipeline.h"
#include "config/loader.h"
#include "core/clock.h"
#include "core/shutdown.h"
#include "store/state_lock.h"

namespace inboxd::app {

namespace {

namespace fs = std::filesystem;

struct SyncOptions {
  std::string config_path;
  bool dry_run = false;
  std::string dry_run_maildir;
  bool json = false;
  int tick_seconds = 30;
  int poll_seconds = 60;
  int sync_workers = ingest::DaemonOptions{}.workers;
  bool notify = false;
};

void LogStages(const StageReport& r) {
  const auto& p = r.processed;
  const auto& pl = r.planned;
  const auto& d = r.drained;
  const auto& w = r.watched;
  if (r.client.closed + r.client.waiting > 0) {
    spdlog::info("mail client: {} ticket(s) closed, {} set waiting",
                 r.client.closed, r.client.waiting);
  }
  if (w.reassigned > 0) {
    spdlog::info("routing: {} ticket(s) moved off absent agents (R3)",
                 w.reassigned);
  }
  if (w.digests > 0) {
    spdlog::info("digest: {} daily digest(s) queued", w.digests);
  }
  if (w.weekly_reports > 0) {
    spdlog::info("report: {} weekly SLA report(s) queued", w.weekly_reports);
  }
  if (w.warned + w.notified + w.notices_skipped + w.missed + w.escalated +
          w.board + w.csat >
      0) {
    spdlog::info(
        "watcher: {} warning(s), {} delay notice(s) ({} skipped), {} "
        "missed, {} escalation(s), {} board notice(s), {} satisfaction "
        "mail(s)",
        w.warned, w.notified, w.notices_skipped, w.missed, w.escalated, w.board,
        w.csat);
  }
  for (const auto& e : r.errors) spdlog::warn("stages: {}", e);
  if (p.processed + pl.enqueued + pl.refused + d.sent + d.deferred + d.failed +
          d.appended + d.recovered_from_sent + d.resent_after_crash ==
      0) {
    return;
  }
  spdlog::info(
      "stages: processed {} (tickets {}, follow-ups {}, automatic {}, "
      "quarantined {}, agent replies {}); acks queued {}, refused {}; sent {}, "
      "deferred {}, failed {}, copied to Sent {}",
      p.processed, p.new_tickets, p.followups, p.automatic, p.quarantined,
      p.agent_replies, pl.enqueued, pl.refused, d.sent, d.deferred, d.failed,
      d.appended);
  // Crash recovery of rows left in "sending" (outbox_drain.h): a resend is
  // the documented duplicate window; each one is also an audit event
  // (outbox.resending, written before the resend, logged as a warning).
  if (d.recovered_from_sent > 0) {
    spdlog::info(
        "outbox: {} message(s) left in 'sending' by a crash were "
        "found in Sent: not resent",
        d.recovered_from_sent);
  }
  if (d.resent_after_crash > 0) {
    spdlog::warn(
        "outbox: {} message(s) left in 'sending' by a crash were "
        "not in Sent: resent after a crash (the recipient may get "
        "it twice)",
        d.resent_after_crash);
  }
}

fs::path DaemonFile(const config::Config& cfg) {
  return fs::path(cfg.state.dir) / "daemon.json";
}

// Writes daemon.json atomically (tmp + rename).
void WriteDaemonFile(const config::Config& cfg,
                     const std::vector<ingest::FolderLiveState>& states) {
  nlohmann::json j;
  j["pid"] = ::getpid();
  j["updated_at"] = core::FormatUtc(core::SystemClock::Default()->Now());
  j["folders"] = nlohmann::json::array();
  for (const auto& s : states) {
    j["folders"].push_back({{"mailbox", s.mailbox},
                            {"folder", s.folder},
                            {"connected", s.connected},
                            {"last_error", s.last_error}});
  }
  fs::path path = DaemonFile(cfg);
  fs::path tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
    out.close();
    // A full disk must not replace the last good file with an empty one.
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return;
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
}

int RunOnce(const SyncOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  auto lock = store::StateLock::Acquire(cfg.state.dir);
  if (!lock) {
    std::fprintf(stderr, "inboxd once: %s\n", lock.error().message.c_str());
    return kExitFailure;
  }
  PipelineOptions popt{opt.dry_run, opt.dry_run_maildir};
  auto pipeline = Pipeline::Open(cfg, popt, core::SystemClock::Default());
  if (!pipeline) {
    std::fprintf(stderr, "inboxd: %s\n", pipeline.error().message.c_str());
    return pipeline.error().code == core::Code::kInvalidArgument ? kExitConfig
                                                                 : kExitFailure;
  }
  Pipeline& p = **pipeline;
  // A person watching a terminal gets a progress bar for long first syncs.
  ingest::SyncEngine::SetProgressBar(::isatty(STDERR_FILENO) == 1);
  // Sequential: the unlocked sink, which batches each checkpoint window.
  auto once = ingest::SyncOnce(p.DaemonMailboxes(), p.sequential_sink(),
                               core::SystemClock::Default(), cfg.limits);
  for (const auto& r : once.reports) {
    std::printf(
        "%s/%s: uidvalidity %u, last uid %u, fetched %zu, new %zu, "
        "duplicates %zu, quarantined %zu\n",
        r.mailbox.c_str(), r.folder.c_str(), r.uid_validity, r.last_uid,
        r.fetched, r.stored_new, r.duplicates, r.quarantined);
  }
  for (const auto& e : once.errors) {
    std::fprintf(stderr, "inboxd once: %s\n", e.message.c_str());
  }
  StageReport s = p.RunStages();
  std::printf(
      "processed %zu: %zu new ticket(s), %zu follow-up(s), %zu automatic, "
      "%zu quarantined, %zu agent repl%s\n",
      s.processed.processed, s.processed.new_tickets, s.processed.followups,
      s.processed.automatic, s.processed.quarantined, s.processed.agent_replies,
      s.processed.agent_replies == 1 ? "y" : "ies");
  std::printf(
      "acknowledgements: %d queued, %d refused by the loop guard; %d sent%s, "
      "%d deferred, %d failed, %d copied to Sent\n",
      s.planned.enqueued, s.planned.refused, s.drained.sent,
      opt.dry_run ? " (dry run: written to the Maildir)" : "",
      s.drained.deferred, s.drained.failed, s.drained.appended);
  const auto& w = s.watched;
  std::printf("mail client: %d ticket(s) closed, %d set waiting\n",
              s.client.closed, s.client.waiting);
  std::printf(
      "deadlines: %d warning(s), %d delay notice(s) (%d skipped), %d missed, "
      "%d escalation(s), %d board notice(s), %d satisfaction mail(s)\n",
      w.warned, w.notified, w.notices_skipped, w.missed, w.escalated, w.board,
      w.csat);
  for (const auto& e : s.errors)
    std::fprintf(stderr, "inboxd once: %s\n", e.c_str());
  return once.errors.empty() ? kExitOk : kExitFailure;
}

// One configuration's worth of daemon: the pipeline and its IMAP threads.
// A reload builds the next one before the current one stops, so a config
// that cannot start leaves the running one alone.
struct Generation {
  config::Config cfg;
  std::unique_ptr<Pipeline> pipeline;
  std::unique_ptr<ingest::SyncDaemon> daemon;
  std::stop_source stop;
  std::jthread ingest;

  void Start() {
    ingest = std::jthread([this] { daemon->Run(stop.get_token()); });
  }
  // Ends the IMAP threads (an IDLE ends within its stop check; a sync stops
  // between two messages once core::RequestShutdown was called).
  void Stop() {
    stop.request_stop();
    if (ingest.joinable()) ingest.join();
  }
};

// What the signal thread tells the main loop.
struct Wakeup {
  std::mutex mu;
  std::condition_variable cv;
  bool work = true;  // run the stages once at start (restart recovery)
  bool reload = false;
  bool stop = false;
};

core::Result<std::unique_ptr<Generation>> OpenGeneration(
    config::Config cfg, const SyncOptions& opt, Wakeup* wakeup,
    Monitoring* monitoring) {
  auto g = std::make_unique<Generation>();
  g->cfg = std::move(cfg);
  PipelineOptions popt{opt.dry_run, opt.dry_run_maildir};
  auto pipeline = Pipeline::Open(g->cfg, popt, core::SystemClock::Default());
  if (!pipeline) return core::Fail(pipeline.error());
  g->pipeline = std::move(*pipeline);
  ingest::DaemonOptions dopt;
  dopt.poll_interval = std::chrono::seconds(opt.poll_seconds);
  dopt.workers = opt.sync_workers;
  dopt.notify = opt.notify;
  g->daemon = std::make_unique<ingest::SyncDaemon>(
      g->pipeline->DaemonMailboxes(), g->pipeline->sink(),
      core::SystemClock::Default(), g->cfg.limits, dopt);
  g->daemon->on_synced = [wakeup, monitoring](const ingest::SyncReport& r) {
    monitoring->OnSynced(r);
    if (r.stored_new == 0 && r.duplicates == 0) return;
    std::lock_guard<std::mutex> lock(wakeup->mu);
    wakeup->work = true;
    wakeup->cv.notify_one();
  };
  return g;
}

// Audits a reload that was refused (the running config stays).
void AuditReloadFailure(Generation& g, const std::string& path,
                        const std::string& error) {
  spdlog::error("reload of {} refused, the running config stays: {}", path,
                error);
  store::EventIn ev;
  ev.type = "config.reload_failed";
  ev.data = nlohmann::json({{"path", path}, {"error", error}})
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (auto id = g.pipeline->store()->AppendEvent(ev); !id) {
    spdlog::error("audit config.reload_failed: {}", id.error().ToString());
  }
}

// SIGHUP: the config is read and validated and a new generation opened
// before the running one stops; any failure keeps the running one.
void Reload(std::unique_ptr<Generation>& gen, const SyncOptions& opt,
            Wakeup* wakeup, Monitoring* monitoring) {
  spdlog::info("SIGHUP: reloading {}", opt.config_path);
  auto cfg = config::LoadConfig(opt.config_path);
  if (!cfg) {
    AuditReloadFailure(*gen, opt.config_path, cfg.error().message);
    return;
  }
  if (cfg->state.dir != gen->cfg.state.dir) {
    AuditReloadFailure(*gen, opt.config_path,
                       "state.dir changed from " + gen->cfg.state.dir + " to " +
                           cfg->state.dir +
                           ": that needs a restart, not a reload");
    return;
  }
  if (cfg->http.listen != gen->cfg.http.listen) {
    spdlog::warn(
        "reload: http.listen changed from \"{}\" to \"{}\"; the endpoint "
        "moves at the next restart",
        gen->cfg.http.listen, cfg->http.listen);
  }
  auto next = OpenGeneration(std::move(*cfg), opt, wakeup, monitoring);
  if (!next) {
    AuditReloadFailure(*gen, opt.config_path, next.error().ToString());
    return;
  }
  monitoring->SetGaugeStore((*next)->pipeline->store());
  gen->Stop();
  gen = std::move(*next);
  ConfigureLogging(gen->cfg.log_level);
  gen->Start();
  spdlog::info("reloaded {}: {} mailbox(es)", opt.config_path,
               gen->cfg.mailboxes.size());
}

// Each watched folder holds an IMAP connection, which costs three
// descriptors under libcurl (the socket and a wake-up socket pair): 340
// folders would pass the usual soft limit of 1024. The soft limit is raised
// to the hard one (systemd's default hard limit is 524288), and a hard limit
// too low for the configured folders is reported.
void RaiseOpenFileLimit(const config::Config& cfg) {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  const rlim_t want = std::min<rlim_t>(lim.rlim_max, 65536);
  if (lim.rlim_cur < want) {
    lim.rlim_cur = want;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  }
  size_t folders = 0;
  for (const auto& mb : cfg.mailboxes) folders += mb.folders.size() + 1;
  const rlim_t need = 3 * folders + 64;
  if (lim.rlim_cur < need) {
    spdlog::warn(
        "open files: {} folders need about {} descriptors, the limit is {} "
        "(raise LimitNOFILE)",
        folders, need, lim.rlim_cur);
  }
}

int RunDaemon(const SyncOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  RaiseOpenFileLimit(cfg);
  // Signals are taken by one thread with sigwait, never by handlers; every
  // thread started from here inherits the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  auto lock = store::StateLock::Acquire(cfg.state.dir);
  if (!lock) {
    std::fprintf(stderr, "inboxd run: %s\n", lock.error().message.c_str());
    return kExitFailure;
  }
  Wakeup wakeup;
  Monitoring monitoring(core::SystemClock::Default(), cfg.http.retry_budget);
  if (auto port = monitoring.Start(cfg.http.listen); !port) {
    std::fprintf(stderr, "inboxd run: %s\n", port.error().message.c_str());
    return port.error().code == core::Code::kInvalidArgument ? kExitConfig
                                                             : kExitFailure;
  } else if (*port > 0) {
    spdlog::info("http: /healthz and /metrics on {} (port {})", cfg.http.listen,
                 *port);
  }
  auto opened = OpenGeneration(cfg, opt, &wakeup, &monitoring);
  if (!opened) {
    std::fprintf(stderr, "inboxd: %s\n", opened.error().message.c_str());
    return opened.error().code == core::Code::kInvalidArgument ? kExitConfig
                                                               : kExitFailure;
  }
  std::unique_ptr<Generation> gen = std::move(*opened);
  monitoring.SetGaugeStore(gen->pipeline->store());
  EventLog events;
  if (auto st = events.Start(*gen->pipeline->store()); !st) {
    spdlog::warn("event log: {}", st.error().ToString());
  }

  std::atomic<bool> signals_done{false};
  std::jthread signals([&] {
    while (true) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) continue;
      std::lock_guard<std::mutex> guard(wakeup.mu);
      if (sig == SIGHUP) {
        wakeup.reload = true;
        wakeup.cv.notify_one();
        continue;
      }
      // Every network wait and stage loop sees this (core/shutdown.h).
      core::RequestShutdown();
      wakeup.stop = true;
      wakeup.cv.notify_one();
      break;
    }
    signals_done = true;
  });
  gen->Start();
  spdlog::info("inboxd {} running: {} mailbox(es), state in {}",
               INBOXD_VERSION_STRING, gen->cfg.mailboxes.size(),
               gen->cfg.state.dir);

  auto tick = std::chrono::seconds(opt.tick_seconds);
  auto next_tick = std::chrono::steady_clock::now();
  while (true) {
    bool run_stages = false;
    bool reload = false;
    {
      std::unique_lock<std::mutex> guard(wakeup.mu);
      wakeup.cv.wait_until(
          guard,
          std::min(next_tick,
                   std::chrono::steady_clock::now() + std::chrono::seconds(2)),
          [&] { return wakeup.work || wakeup.reload || wakeup.stop; });
      if (wakeup.stop) break;
      reload = std::exchange(wakeup.reload, false);
      // The stages run on their tick, and as soon as a milestone needs the
      // watcher (a warning, notice or breach due now).
      const auto watch = gen->pipeline->NextWatch();
      run_stages = wakeup.work ||
                   std::chrono::steady_clock::now() >= next_tick ||
                   (watch && *watch <= core::SystemClock::Default()->Now());
      wakeup.work = false;
    }
    if (reload) {
      Reload(gen, opt, &wakeup, &monitoring);
      run_stages = true;
    }
    if (run_stages) {
      StageReport report = gen->pipeline->RunStages();
      monitoring.OnStages(report);
      LogStages(report);
      next_tick = std::chrono::steady_clock::now() + tick;
    }
    if (auto st = events.LogNew(*gen->pipeline->store()); !st) {
      spdlog::warn("event log: {}", st.error().ToString());
    }
    const auto states = gen->daemon->States();
    monitoring.Refresh(states, *gen->pipeline->store(), gen->cfg.state.dir);
    WriteDaemonFile(gen->cfg, states);
  }
  spdlog::info("stopping: finishing the current message");
  monitoring.Stop();
  monitoring.SetGaugeStore(nullptr);
  gen->Stop();
  (void)events.LogNew(*gen->pipeline->store());
  if (!signals_done) {
    // The signal thread is blocked in sigwait; wake it so it can end.
    pthread_kill(signals.native_handle(), SIGTERM);
  }
  signals.join();
  std::error_code ec;
  fs::remove(DaemonFile(gen->cfg), ec);
  spdlog::info("stopped");
  return kExitOk;
}

int RunStatus(const SyncOptions& opt) {
  config::Config cfg;
  if (!LoadConfigOrReport(opt.config_path, &cfg)) return kExitConfig;
  // Live state from a running daemon, if there is one.
  std::map<std::pair<std::string, std::string>, bool> connected;
  bool daemon_alive = false;
  {
    std::ifstream in(DaemonFile(cfg));
    if (in) {
      auto j = nlohmann::json::parse(in, nullptr, false);
      if (!j.is_discarded() && j.contains("pid") &&
          ::kill(j["pid"].get<int>(), 0) == 0) {
        daemon_alive = true;
        for (const auto& f : j["folders"]) {
          connected[{f.value("mailbox", ""), f.value("folder", "")}] =
              f.value("connected", false);
        }
      }
    }
  }
  nlohmann::json out;
  out["daemon_running"] = daemon_alive;
  out["mailboxes"] = nlohmann::json::array();
  std::vector<store::Checkpoint> checkpoints;
  if (fs::exists(StorePath(cfg))) {
    auto st = store::Store::Open(StorePath(cfg), core::SystemClock::Default());
    if (!st) {
      std::fprintf(stderr, "inboxd status: %s\n", st.error().message.c_str());
      return kExitFailure;
    }
    auto cps = (*st)->ListCheckpoints();
    if (!cps) {
      std::fprintf(stderr, "inboxd status: %s\n", cps.error().message.c_str());
      return kExitFailure;
    }
    checkpoints = std::move(*cps);
  }
  for (const auto& mb : cfg.mailboxes) {
    nlohmann::json jm;
    jm["name"] = mb.name;
    jm["address"] = mb.address;
    jm["folders"] = nlohmann::json::array();
    for (const auto& cp : checkpoints) {
      if (cp.mailbox != mb.name) continue;
      auto it = connected.find({cp.mailbox, cp.folder});
      jm["folders"].push_back(
          {{"folder", cp.folder},
           {"uidvalidity", cp.uid_validity},
           {"last_uid", cp.last_uid},
           {"messages", cp.messages},
           {"last_sync", core::FormatUtc(cp.last_sync_at)},
           {"connected", it != connected.end() && it->second}});
    }
    out["mailboxes"].push_back(std::move(jm));
  }
  if (opt.json) {
    std::printf("%s\n", out.dump(2).c_str());
    return kExitOk;
  }
  std::printf("daemon: %s\n", daemon_alive ? "running" : "not running");
  for (const auto& jm : out["mailboxes"]) {
    std::printf("%s <%s>\n", jm["name"].get<std::string>().c_str(),
                jm["address"].get<std::string>().c_str());
    if (jm["folders"].empty()) std::printf("  (never synced)\n");
    for (const auto& f : jm["folders"]) {
      std::printf(
          "  %-12s uidvalidity %-10u last uid %-7u messages %-7lld last sync "
          "%s%s\n",
          f["folder"].get<std::string>().c_str(),
          f["uidvalidity"].get<uint32_t>(), f["last_uid"].get<uint32_t>(),
          static_cast<long long>(f["messages"].get<int64_t>()),
          f["last_sync"].get<std::string>().c_str(),
          f["connected"].get<bool>() ? ", connected" : "");
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterSyncCommands(CLI::App& app, int* exit_code) {
  auto opt = std::make_shared<SyncOptions>();
  auto* once = app.add_subcommand(
      "once", "sync every mailbox once, then decide, acknowledge and exit");
  once->add_option("--config", opt->config_path, "config file")->required();
  once->add_flag("--dry-run", opt->dry_run,
                 "write outgoing mail to a Maildir instead of sending it");
  once->add_option("--dry-run-maildir", opt->dry_run_maildir,
                   "Maildir for --dry-run (default responder.dry_run_maildir, "
                   "else <state.dir>/dry-run)");
  once->callback([opt, exit_code] { *exit_code = RunOnce(*opt); });

  auto* run = app.add_subcommand(
      "run", "the daemon: IMAP IDLE on every folder, acknowledge in seconds");
  run->add_option("--config", opt->config_path, "config file")->required();
  run->add_flag("--dry-run", opt->dry_run,
                "write outgoing mail to a Maildir instead of sending it");
  run->add_option("--dry-run-maildir", opt->dry_run_maildir,
                  "Maildir for --dry-run");
  run->add_option(
         "--tick", opt->tick_seconds,
         "seconds between stage runs without new mail (retries, deadlines)")
      ->check(CLI::Range(1, 3600));
  run->add_option("--poll", opt->poll_seconds,
                  "poll interval for servers without IDLE, seconds")
      ->check(CLI::Range(5, 3600));
  run->add_option("--sync-workers", opt->sync_workers,
                  "threads that connect and sync folders (one more thread "
                  "waits on every folder's IDLE)")
      ->check(CLI::Range(1, 64));
  run->add_flag("--notify", opt->notify,
                "watch each mailbox's folders on one IMAP connection with "
                "NOTIFY where the server offers it (half the connections; "
                "news of the other folders can come late on Dovecot 2.3)");
  run->callback([opt, exit_code] { *exit_code = RunDaemon(*opt); });

  auto* status = app.add_subcommand(
      "status",
      "per mailbox and folder: uidvalidity, last uid, messages, last sync");
  status->add_option("--config", opt->config_path, "config file")->required();
  status->add_flag("--json", opt->json, "JSON output");
  status->callback([opt, exit_code] { *exit_code = RunStatus(*opt); });
}

}  // namespace inboxd::app
