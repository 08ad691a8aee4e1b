// sync_daemon.h: `inboxd once` and `inboxd run` as library calls.
//
// Does: SyncOnce syncs every configured mailbox and folder once. SyncDaemon
// watches every folder (watched + Sent) of every mailbox with a bounded
// number of threads, however many folders there are: the thread that calls
// Run is an event loop that poll()s the IDLE connections of all folders,
// and `workers` threads do the blocking work (connect, resolve a mailbox's
// folders, sync a folder, enter IDLE). Each folder has its own connection:
// sync, then wait in IMAP IDLE (re-issued at least every `idle_max`, 29 min
// by RFC 2177's advice) or, when the server lacks IDLE, `poll_interval`; on
// any error log it naming mailbox/folder, mark the folder disconnected, drop
// the connection and retry after capped exponential backoff (1s, 2s, 4s ..
// 5min). A wrong password is logged as an error each time and retried the
// same way, never a crash. Calls into the sink are serialized by one mutex.
// Does not: parse the command line or read the config file (app/ does).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/limits.h"
#include "ingest/mail_source.h"
#include "ingest/sync_engine.h"
#include "ingest/sync_sink.h"

namespace inboxd::ingest {

// Opens a new, independent MailSource for one mailbox.
using SourceFactory =
    std::function<core::Result<std::unique_ptr<MailSource>>()>;

struct DaemonMailbox {
  std::string name;
  std::vector<std::string> folders = {"INBOX"};
  std::string sent_folder;  // "" = autodetect \Sent
  std::chrono::seconds ack_window{2 * 3600};
  SourceFactory open;
};

struct DaemonOptions {
  std::chrono::seconds idle_max{29 * 60};
  std::chrono::seconds poll_interval{60};
  std::chrono::seconds backoff_initial{1};
  std::chrono::seconds backoff_max{5 * 60};
  // Threads that connect and sync (at least 1). A slow or unreachable
  // server holds one of them for at most its network timeouts.
  int workers = 3;
  // Watch all of a mailbox's folders on one connection with IMAP NOTIFY
  // (RFC 5465) where the server offers it. Off by default: Dovecot 2.3
  // reported an agent's reply in Sent (not the selected folder) only after
  // its 30 s fallback check in one CI run under load, while the IDLE on the
  // selected folder of a connection per folder has never been late.
  bool notify = false;
};

// Live state of one folder, for `inboxd status` (the persistent part:
// uid_validity, last_uid, last sync, comes from the checkpoint in the store).
struct FolderLiveState {
  std::string mailbox;
  std::string folder;
  FolderRole role = FolderRole::kIncoming;
  bool connected = false;
  std::optional<core::TimePoint> last_sync;
  uint32_t uid_validity = 0;
  uint32_t last_uid = 0;
  size_t stored_new = 0;   // since the daemon started
  std::string last_error;  // "" after a successful sync
};

// One sync of every mailbox and folder. A failing mailbox does not stop the
// others: its error is returned in `errors` (mailbox-named) and the reports
// of the rest in `reports`. `sink` is called from this thread only, one
// mailbox after another, so it may be an unlocked sink that batches
// (StoreSyncSink: one transaction per checkpoint window).
struct OnceResult {
  std::vector<SyncReport> reports;
  std::vector<core::Error> errors;
};
OnceResult SyncOnce(const std::vector<DaemonMailbox>& mailboxes, SyncSink* sink,
                    const core::Clock* clock, const core::Limits& limits);

// Wraps a sink so several threads can share it (one call at a time).
// Batching is deliberately not forwarded (BeginBatch/CommitBatch are the
// no-op defaults): the daemon's folder threads interleave their calls, and a
// batch would mix one folder's calls into another's transaction (and hold
// the store across network I/O). Sequential callers (SyncOnce from
// `inboxd once`) pass the unlocked sink to batch.
class LockedSyncSink final : public SyncSink {
 public:
  explicit LockedSyncSink(SyncSink* inner) : inner_(inner) {}
  core::Result<std::optional<FolderCheckpoint>> GetCheckpoint(
      const std::string& mailbox, const std::string& folder) override;
  core::Status AdvanceCheckpoint(const std::string& mailbox,
                                 const std::string& folder, FolderCheckpoint cp,
                                 core::TimePoint now) override;
  core::Result<core::TimePoint> FirstSeenAt(const std::string& mailbox,
                                            core::TimePoint now) override;
  core::Result<PutOutcome> PutRawMessage(const SyncedMessage& m) override;
  core::Status Audit(const std::string& type, const std::string& mailbox,
                     const std::string& data_json) override;

 private:
  std::mutex mu_;
  SyncSink* inner_;
};

class SyncDaemon {
 public:
  // Nothing is owned; sink and clock must outlive Run.
  SyncDaemon(std::vector<DaemonMailbox> mailboxes, SyncSink* sink,
             const core::Clock* clock, core::Limits limits,
             DaemonOptions options);
  ~SyncDaemon();

  // Runs until `stop` is requested; returns after every thread has ended
  // and every connection is closed (an IDLE in progress is ended with
  // DONE). Never fails: errors are retried with backoff and visible in
  // States(). Uses the calling thread plus options.workers threads.
  void Run(std::stop_token stop);

  // A snapshot of every folder's live state (thread-safe).
  std::vector<FolderLiveState> States() const;

  // Called after each successful folder sync (tests and progress output);
  // set before Run. Runs on a worker thread.
  std::function<void(const SyncReport&)> on_synced;

 private:
  // One unit of work: a mailbox whose folders are still to be resolved
  // (target.folder empty) or one folder. Owned by exactly one thread at a
  // time, by its state: kReady and kBusy by a worker, kIdle and kTimer by
  // the event loop.
  struct Slot;
  enum class SlotState { kReady, kBusy, kIdle, kTimer, kDone };
  using Steady = std::chrono::steady_clock;

  void Worker(std::stop_token stop);
  void Work(Slot& slot, std::stop_token stop);
  void Resolve(Slot& slot);
  void SyncAndWait(Slot& slot, std::stop_token stop);
  // Drops the connection and schedules a retry after the backoff delay.
  void Fail(Slot& slot, const core::Error& e);
  // Hands `slot` on (to a worker for kReady, to the loop for kIdle/kTimer).
  void Schedule(Slot& slot, SlotState state, Steady::time_point due = {});
  // The event loop: polls idling connections and timers until `stop`.
  void Loop(std::stop_token stop);
  void Wake();
  void Update(const std::string& mailbox, const std::string& folder,
              const std::function<void(FolderLiveState&)>& f);

  std::vector<DaemonMailbox> mailboxes_;
  LockedSyncSink sink_;
  const core::Clock* clock_;
  core::Limits limits_;
  DaemonOptions options_;
  mutable std::mutex mu_;  // guards states_, slots_, ready_, slot states
  std::vector<FolderLiveState> states_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::deque<Slot*> ready_;
  std::condition_variable_any ready_cv_;
  int wake_fd_ = -1;  // eventfd: wakes the loop for new idle/timer slots
};

}  // namespace inboxd::ingest
