#include "ingest/sync_daemon.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
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

namespace {

std::vector<std::string> FolderNames(const std::vector<SyncTarget>& targets) {
  std::vector<std::string> names;
  for (const auto& t : targets) names.push_back(t.folder);
  return names;
}

}  // namespace

struct SyncDaemon::Slot {
  const DaemonMailbox* mb = nullptr;
  // None: resolve the mailbox's folders. One: a folder on its own
  // connection. Several: all of a mailbox's folders on one connection that
  // watches them with NOTIFY, idling on the first.
  std::vector<SyncTarget> targets;
  std::string where;  // "mailbox" or "mailbox/folder" for log lines
  std::unique_ptr<MailSource> src;
  Backoff backoff;
  SlotState state = SlotState::kReady;
  bool idling = false;       // src is in IDLE: StopIdle before anything else
  int fd = -1;               // what to poll while kIdle
  Steady::time_point due{};  // kIdle: re-issue IDLE; kTimer: run again
};

SyncDaemon::SyncDaemon(std::vector<DaemonMailbox> mailboxes, SyncSink* sink,
                       const core::Clock* clock, core::Limits limits,
                       DaemonOptions options)
    : mailboxes_(std::move(mailboxes)),
      sink_(sink),
      clock_(clock),
      limits_(limits),
      options_(options),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

SyncDaemon::~SyncDaemon() {
  if (wake_fd_ >= 0) ::close(wake_fd_);
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

void SyncDaemon::Wake() {
  if (wake_fd_ < 0) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

void SyncDaemon::Schedule(Slot& slot, SlotState state, Steady::time_point due) {
  {
    std::lock_guard lock(mu_);
    slot.state = state;
    slot.due = due;
    if (state == SlotState::kReady) ready_.push_back(&slot);
  }
  if (state == SlotState::kReady) {
    ready_cv_.notify_one();
  } else if (state != SlotState::kDone) {
    Wake();
  }
}

void SyncDaemon::Run(std::stop_token stop) {
  {
    std::lock_guard lock(mu_);
    slots_.clear();
    ready_.clear();
    for (const auto& mb : mailboxes_) {
      auto slot = std::make_unique<Slot>();
      slot->mb = &mb;
      slot->where = mb.name;
      slot->backoff = Backoff(options_.backoff_initial, options_.backoff_max);
      ready_.push_back(slot.get());
      slots_.push_back(std::move(slot));
    }
  }
  std::stop_callback wake_on_stop(stop, [this] { Wake(); });
  const int n = std::max(1, options_.workers);
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < n; ++i) {
      workers.emplace_back([this, stop] { Worker(stop); });
    }
    Loop(stop);
  }  // joins the workers (each ends its current sync early)
  // Every connection is closed (DONE, LOGOUT), on n threads: each close
  // may wait for the server's answer.
  std::vector<Slot*> open;
  {
    std::lock_guard lock(mu_);
    for (auto& s : slots_) {
      if (s->src != nullptr) open.push_back(s.get());
    }
  }
  std::atomic<size_t> next{0};
  {
    std::vector<std::jthread> closers;
    for (int i = 0; i < n && static_cast<size_t>(i) < open.size(); ++i) {
      closers.emplace_back([&] {
        for (size_t k; (k = next++) < open.size();) open[k]->src.reset();
      });
    }
  }
  std::lock_guard lock(mu_);
  for (auto& s : states_) s.connected = false;
}

void SyncDaemon::Worker(std::stop_token stop) {
  while (true) {
    Slot* slot = nullptr;
    {
      std::unique_lock lock(mu_);
      if (!ready_cv_.wait(lock, stop, [&] { return !ready_.empty(); })) {
        return;
      }
      slot = ready_.front();
      ready_.pop_front();
      slot->state = SlotState::kBusy;
    }
    if (slot->targets.empty()) {
      Resolve(*slot);
    } else {
      SyncAndWait(*slot, stop);
    }
  }
}

void SyncDaemon::Resolve(Slot& slot) {
  const DaemonMailbox& mb = *slot.mb;
  auto src = mb.open();
  Result<std::vector<SyncTarget>> t =
      src ? SyncEngine(src->get(), &sink_, clock_, limits_)
                .Targets(mb.name, mb.folders, mb.sent_folder, mb.ack_window)
          : core::Fail(src.error());
  if (!t) {
    auto delay = slot.backoff.Next();
    Update(mb.name, "", [&](FolderLiveState& s) {
      s.connected = false;
      s.last_error = t.error().ToString();
    });
    spdlog::error("mailbox {}: {}; retrying in {}s", mb.name,
                  t.error().ToString(), delay.count());
    Schedule(slot, SlotState::kTimer, Steady::now() + delay);
    return;
  }
  for (const auto& target : *t) {
    Update(mb.name, target.folder,
           [&](FolderLiveState& s) { s.role = target.role; });
  }
  // One connection for all folders when the server can watch them together
  // (NOTIFY), else one per folder.
  bool together = false;
  if (options_.notify && t->size() > 1) {
    auto watch = (*src)->WatchFolders(FolderNames(*t));
    if (!watch) {
      auto delay = slot.backoff.Next();
      spdlog::error("mailbox {}: {}; retrying in {}s", mb.name,
                    watch.error().ToString(), delay.count());
      Schedule(slot, SlotState::kTimer, Steady::now() + delay);
      return;
    }
    together = *watch;
  }
  std::vector<std::unique_ptr<Slot>> slots;
  auto add = [&](std::vector<SyncTarget> targets, std::string where) {
    auto f = std::make_unique<Slot>();
    f->mb = &mb;
    f->where = std::move(where);
    f->targets = std::move(targets);
    f->backoff = Backoff(options_.backoff_initial, options_.backoff_max);
    slots.push_back(std::move(f));
  };
  if (together) {
    std::string names;
    for (const auto& target : *t) {
      names += (names.empty() ? "" : ", ") + core::Printable(target.folder);
    }
    spdlog::info("mailbox {}: watching {} on one connection (NOTIFY)", mb.name,
                 names);
    add(std::move(*t), mb.name);
  } else {
    for (auto& target : *t) {
      std::string where = mb.name + "/" + core::Printable(target.folder);
      add({std::move(target)}, std::move(where));
    }
  }
  // The connection that listed the folders serves the first slot.
  if (!slots.empty()) slots.front()->src = std::move(*src);
  {
    std::lock_guard lock(mu_);
    slot.state = SlotState::kDone;
    for (auto& f : slots) {
      ready_.push_back(f.get());
      slots_.push_back(std::move(f));
    }
  }
  ready_cv_.notify_all();
}

void SyncDaemon::Fail(Slot& slot, const core::Error& e) {
  slot.src.reset();
  slot.idling = false;
  auto delay = slot.backoff.Next();
  for (const auto& target : slot.targets) {
    Update(slot.mb->name, target.folder, [&](FolderLiveState& s) {
      s.connected = false;
      s.last_error = e.ToString();
    });
  }
  if (e.code == core::Code::kPermissionDenied) {
    spdlog::error("{}: {} (check the credentials); retrying in {}s", slot.where,
                  e.ToString(), delay.count());
  } else {
    spdlog::warn("{}: {}; retrying in {}s", slot.where, e.ToString(),
                 delay.count());
  }
  Schedule(slot, SlotState::kTimer, Steady::now() + delay);
}

void SyncDaemon::SyncAndWait(Slot& slot, std::stop_token stop) {
  const DaemonMailbox& mb = *slot.mb;
  if (slot.idling) {
    slot.idling = false;
    if (auto st = slot.src->StopIdle(); !st) return Fail(slot, st.error());
  }
  if (slot.src == nullptr) {
    auto opened = mb.open();
    if (!opened) return Fail(slot, opened.error());
    slot.src = std::move(*opened);
    if (slot.targets.size() > 1) {
      auto watch = slot.src->WatchFolders(FolderNames(slot.targets));
      if (!watch) return Fail(slot, watch.error());
      if (!*watch) {
        // The server no longer watches several folders at once: resolve
        // the mailbox again, which gives each folder its own connection.
        spdlog::warn(
            "{}: NOTIFY no longer available; one connection per "
            "folder from now on",
            slot.where);
        slot.targets.clear();
        slot.src.reset();
        return Schedule(slot, SlotState::kReady);
      }
    }
  }
  SyncEngine engine(slot.src.get(), &sink_, clock_, limits_);
  engine.SetStop(stop);
  for (const auto& target : slot.targets) {
    auto report = engine.SyncFolder(target);
    if (!report) return Fail(slot, report.error());
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
    if (stop.stop_requested()) return Schedule(slot, SlotState::kDone);
  }
  slot.backoff.Reset();

  auto wait = slot.src->StartIdle(slot.targets.front().folder);
  if (!wait) return Fail(slot, wait.error());
  if (wait->changed) return Schedule(slot, SlotState::kReady);
  if (wait->fd < 0) {  // no IDLE: poll
    return Schedule(slot, SlotState::kTimer,
                    Steady::now() + options_.poll_interval);
  }
  slot.idling = true;
  slot.fd = wait->fd;
  // RFC 2177: re-issue IDLE at least every 29 minutes.
  Schedule(slot, SlotState::kIdle, Steady::now() + options_.idle_max);
}

void SyncDaemon::Loop(std::stop_token stop) {
  std::vector<pollfd> fds;
  std::vector<Slot*> polled;
  std::vector<Slot*> due;
  while (!stop.stop_requested()) {
    fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
    polled.clear();
    due.clear();
    const auto now = Steady::now();
    // Without the eventfd (never seen) new slots are noticed within 1 s.
    auto next = now + (wake_fd_ >= 0 ? std::chrono::seconds(60)
                                     : std::chrono::seconds(1));
    {
      std::lock_guard lock(mu_);
      for (auto& s : slots_) {
        if (s->state != SlotState::kIdle && s->state != SlotState::kTimer) {
          continue;
        }
        if (s->due <= now) {
          due.push_back(s.get());
          continue;
        }
        next = std::min(next, s->due);
        if (s->state == SlotState::kIdle) {
          fds.push_back(pollfd{s->fd, POLLIN, 0});
          polled.push_back(s.get());
        }
      }
    }
    if (!due.empty()) {
      for (Slot* s : due) Schedule(*s, SlotState::kReady);
      continue;
    }
    const auto wait_ms =
        std::chrono::ceil<std::chrono::milliseconds>(next - now).count();
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(wait_ms));
    if (n < 0 && errno != EINTR) {
      spdlog::error("sync event loop: poll failed: {}", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (n <= 0) continue;
    if (fds[0].revents != 0) {
      uint64_t v;
      while (::read(wake_fd_, &v, sizeof v) > 0) {
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Slot& s = *polled[i - 1];
      // Reads what arrived; a keep-alive ("* OK Still here") is no change.
      auto changed = s.src->ReadIdle();
      if (!changed) {
        Fail(s, changed.error());
      } else if (*changed) {
        Schedule(s, SlotState::kReady);
      }
    }
  }
}

}  // namespace inboxd::ingest
