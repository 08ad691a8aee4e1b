#include "ingest/sync_daemon.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <thread>

#include "core/text.h"
#include "ingest/sync_backoff.h"

namespace inboxd::ingest {

using core::Result;

// ----------------------------------------------------------- LockedSyncSink

Result<std::optional<FolderCheckpoint>> LockedSyncSink::GetCheckpoint(
    const std::string& mailbox, const std::string& folder) {
  std::lock_guard lock(mu_);
  return inner_->GetCheckpoint(mailbox, folder);
}
core::Status LockedSyncSink::AdvanceCheckpoint(const std::string& mailbox,
                                               const std::string& folder,
                                               FolderCheckpoint cp,
                                               core::TimePoint now) {
  std::lock_guard lock(mu_);
  return inner_->AdvanceCheckpoint(mailbox, folder, cp, now);
}
Result<core::TimePoint> LockedSyncSink::FirstSeenAt(const std::string& mailbox,
                                                    core::TimePoint now) {
  std::lock_guard lock(mu_);
  return inner_->FirstSeenAt(mailbox, now);
}
Result<PutOutcome> LockedSyncSink::PutRawMessage(const SyncedMessage& m) {
  std::lock_guard lock(mu_);
  return inner_->PutRawMessage(m);
}
core::Status LockedSyncSink::Audit(const std::string& type,
                                   const std::string& mailbox,
                                   const std::string& data_json) {
  std::lock_guard lock(mu_);
  return inner_->Audit(type, mailbox, data_json);
}

// ------------------------------------------------------------------ SyncOnce

OnceResult SyncOnce(const std::vector<DaemonMailbox>& mailboxes, SyncSink* sink,
                    const core::Clock* clock, const core::Limits& limits) {
  OnceResult out;
  for (const auto& mb : mailboxes) {
    auto src = mb.open();
    if (!src) {
      out.errors.push_back(src.error().Wrap("mailbox " + mb.name));
      continue;
    }
    SyncEngine engine(src->get(), sink, clock, limits);
    auto targets =
        engine.Targets(mb.name, mb.folders, mb.sent_folder, mb.ack_window);
    if (!targets) {
      out.errors.push_back(targets.error().Wrap("mailbox " + mb.name));
      continue;
    }
    for (const auto& t : *targets) {
      auto r = engine.SyncFolder(t);
      if (!r) {
        out.errors.push_back(r.error().Wrap("sync " + mb.name + "/" +
                                            core::Printable(t.folder)));
        // A broken connection fails the rest of this mailbox too; a missing
        // folder does not.
        if (r.error().code != core::Code::kNotFound) break;
        continue;
      }
      out.reports.push_back(std::move(*r));
    }
  }
  return out;
}

// ---------------------------------------------------------------- SyncDaemon

SyncDaemon::SyncDaemon(std::vector<DaemonMailbox> mailboxes, SyncSink* sink,
                       const core::Clock* clock, core::Limits limits,
                       DaemonOptions options)
    : mailboxes_(std::move(mailboxes)),
      sink_(sink),
      clock_(clock),
      limits_(limits),
      options_(options) {}

void SyncDaemon::Sleep(std::chrono::seconds d, std::stop_token stop) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  cv.wait_for(lock, stop, d, [] { return false; });
}

void SyncDaemon::Update(const std::string& mailbox, const std::string& folder,
                        const std::function<void(FolderLiveState&)>& f) {
  std::lock_guard lock(mu_);
  for (auto& s : states_) {
    if (s.mailbox == mailbox && s.folder == folder) {
      f(s);
      return;
    }
  }
  FolderLiveState s;
  s.mailbox = mailbox;
  s.folder = folder;
  f(s);
  states_.push_back(std::move(s));
}

std::vector<FolderLiveState> SyncDaemon::States() const {
  std::lock_guard lock(mu_);
  return states_;
}

void SyncDaemon::Run(std::stop_token stop) {
  std::vector<std::jthread> threads;
  for (const auto& mb : mailboxes_) {
    threads.emplace_back([this, &mb, stop] { RunMailbox(mb, stop); });
  }
  for (auto& t : threads) t.join();
}

void SyncDaemon::RunMailbox(const DaemonMailbox& mb, std::stop_token stop) {
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  std::vector<SyncTarget> targets;
  while (!stop.stop_requested()) {
    auto src = mb.open();
    Result<std::vector<SyncTarget>> t =
        src ? SyncEngine(src->get(), &sink_, clock_, limits_)
                  .Targets(mb.name, mb.folders, mb.sent_folder, mb.ack_window)
            : core::Fail(src.error());
    if (t) {
      targets = std::move(*t);
      break;
    }
    auto delay = backoff.Next();
    Update(mb.name, "", [&](FolderLiveState& s) {
      s.connected = false;
      s.last_error = t.error().ToString();
    });
    spdlog::error("mailbox {}: {}; retrying in {}s", mb.name,
                  t.error().ToString(), delay.count());
    Sleep(delay, stop);
  }
  std::vector<std::jthread> threads;
  for (const auto& target : targets) {
    Update(mb.name, target.folder,
           [&](FolderLiveState& s) { s.role = target.role; });
    threads.emplace_back(
        [this, &mb, target, stop] { RunFolder(mb, target, stop); });
  }
  for (auto& th : threads) th.join();
}

void SyncDaemon::RunFolder(const DaemonMailbox& mb, const SyncTarget& target,
                           std::stop_token stop) {
  const std::string where = mb.name + "/" + core::Printable(target.folder);
  Backoff backoff(options_.backoff_initial, options_.backoff_max);
  std::unique_ptr<MailSource> src;
  auto fail = [&](const core::Error& e) {
    src.reset();
    auto delay = backoff.Next();
    Update(mb.name, target.folder, [&](FolderLiveState& s) {
      s.connected = false;
      s.last_error = e.ToString();
    });
    if (e.code == core::Code::kPermissionDenied) {
      spdlog::error("{}: {} (check the credentials); retrying in {}s", where,
                    e.ToString(), delay.count());
    } else {
      spdlog::warn("{}: {}; retrying in {}s", where, e.ToString(),
                   delay.count());
    }
    Sleep(delay, stop);
  };
  while (!stop.stop_requested()) {
    if (src == nullptr) {
      auto opened = mb.open();
      if (!opened) {
        fail(opened.error());
        continue;
      }
      src = std::move(*opened);
    }
    SyncEngine engine(src.get(), &sink_, clock_, limits_);
    engine.SetStop(stop);
    auto report = engine.SyncFolder(target);
    if (!report) {
      fail(report.error());
      continue;
    }
    backoff.Reset();
    const core::TimePoint now = clock_->Now();
    Update(mb.name, target.folder, [&](FolderLiveState& s) {
      s.connected = true;
      s.last_sync = now;
      s.uid_validity = report->uid_validity;
      s.last_uid = report->last_uid;
      s.stored_new += report->stored_new;
      s.last_error.clear();
    });
    if (on_synced) on_synced(*report);

    auto push = src->SupportsPush();
    if (!push) {
      fail(push.error());
      continue;
    }
    if (*push) {
      // RFC 2177: re-issue IDLE at least every 29 minutes.
      auto changed = src->WaitForChange(target.folder, options_.idle_max, stop);
      if (!changed) {
        fail(changed.error());
        continue;
      }
    } else {
      Sleep(options_.poll_interval, stop);
    }
  }
  src.reset();
  Update(mb.name, target.folder,
         [](FolderLiveState& s) { s.connected = false; });
}

}  // namespace inboxd::ingest
