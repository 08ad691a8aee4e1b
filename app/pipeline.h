// pipeline.h: wires the stages behind `inboxd once` and `inboxd run`.
//
// Stages talk through the store (STYLE house rule 2): ingest writes raw
// messages (SyncOnce / SyncDaemon through `sink()`), the Processor turns them
// into decisions and tickets, the Planner sets milestones and turns ack
// decisions into queued acknowledgements, the ClientStateWatcher reads the
// agents' keywords and folders (close, waiting), the Watcher acts on milestones
// (warnings, delay notices, breaches, escalations, satisfaction mail), the
// OutboxDrain sends (SMTP, or a Maildir with --dry-run) and files a copy in
// the shared Sent folder (C1). RunStages runs the last four in order; it is
// safe to call as often as wanted.
//
// Two Store connections are opened on the same file: one for the ingest
// threads (serialised by LockedSyncSink) and one for the stages, so a long
// IMAP sync never holds the stages' transactions (SQLite WAL lets both work).
// Wiring only: no policy lives here.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classify/processor.h"
#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/parse_cache.h"
#include "ingest/sync_daemon.h"
#include "ingest/sync_store_sink.h"
#include "responder/client_state.h"
#include "responder/mailer.h"
#include "responder/outbox_drain.h"
#include "responder/planner.h"
#include "responder/templates.h"
#include "responder/watcher.h"
#include "store/store.h"

namespace inboxd::app {

// The SMTP options of `mb` with its secret read now (the daemon's mailers and
// `check-config --connect` use the same).
core::Result<responder::SmtpOptions> SmtpOptionsFor(const config::Config& cfg,
                                                    const config::Mailbox& mb);

struct PipelineOptions {
  // Write outgoing mail to `dry_run_maildir` (or responder.dry_run_maildir,
  // else <state.dir>/dry-run) instead of SMTP; nothing is APPENDed to Sent.
  bool dry_run = false;
  std::string dry_run_maildir;
};

struct StageReport {
  classify::ProcessReport processed;
  responder::PlanReport planned;
  responder::WatchReport watched;
  responder::ClientStateReport client;
  responder::DrainReport drained;
  std::vector<std::string> errors;  // stage-level failures (retried later)
};

// The file the store lives in: <state.dir>/inboxd.db.
std::string StorePath(const config::Config& config);

class Pipeline {
 public:
  // Creates state.dir (0700) when missing, opens the store twice, loads and
  // validates the templates, the HMAC key and every mailbox's mailer.
  // Errors: kInvalidArgument (templates, rules, addresses: refuse to start),
  // kPermissionDenied (a mailbox secret for SMTP), kUnavailable / kDataLoss
  // from the store.
  static core::Result<std::unique_ptr<Pipeline>> Open(
      const config::Config& config, PipelineOptions options,
      core::Clock* clock);
  ~Pipeline();

  // The sink the ingest threads write to (thread-safe).
  ingest::SyncSink* sink() { return locked_sink_.get(); }
  // The same sink unlocked, batching a checkpoint window per transaction:
  // for one thread at a time only (SyncOnce in `inboxd once`), never while
  // a SyncDaemon runs.
  ingest::SyncSink* sequential_sink() { return store_sink_.get(); }
  // One DaemonMailbox per configured mailbox (IMAP sources from config).
  std::vector<ingest::DaemonMailbox> DaemonMailboxes() const;
  store::Store* store() { return stage_store_.get(); }
  const config::Config& config() const { return config_; }

  // Process, plan, watch, drain, in that order; a failing stage is reported
  // and the later ones still run on what is already stored.
  StageReport RunStages();
  // The earliest time the watcher has work (nullopt: none, or unknown).
  std::optional<core::TimePoint> NextWatch();

 private:
  class ImapSentFolder;
  class DiscardSentFolder;
  class ImapFlagSource;
  Pipeline() = default;

  config::Config config_;
  PipelineOptions options_;
  core::Clock* clock_ = nullptr;
  std::unique_ptr<store::Store> ingest_store_;
  std::unique_ptr<store::Store> stage_store_;
  std::unique_ptr<ingest::StoreSyncSink> store_sink_;
  std::unique_ptr<ingest::LockedSyncSink> locked_sink_;
  std::unique_ptr<responder::TemplateSet> templates_;
  std::string hmac_key_;
  std::vector<std::unique_ptr<responder::Mailer>> mailers_;
  std::unique_ptr<responder::SentFolder> sent_folder_;
  // The processor's parses, read by the planner in the same cycle (one
  // parse per message); declared before both, so it outlives them.
  core::ParseCache parse_cache_;
  std::unique_ptr<classify::Processor> processor_;
  std::unique_ptr<responder::Planner> planner_;
  std::unique_ptr<responder::Watcher> watcher_;
  std::unique_ptr<responder::FlagSource> flag_source_;
  std::unique_ptr<responder::ClientStateWatcher> client_state_;
  std::unique_ptr<responder::OutboxDrain> drain_;
  // When RunStages last ran the [state] retention purge (at most once per
  // 24 h per process; nullopt: not yet).
  std::optional<core::TimePoint> retention_ran_at_;
};

}  // namespace inboxd::app
