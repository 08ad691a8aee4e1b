#include "app/pipeline.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <system_error>
#include <utility>

#include "config/secret.h"
#include "core/hash.h"
#include "core/shutdown.h"
#include "ingest/imap_credentials.h"
#include "ingest/mime_adapter.h"
#include "responder/routing.h"
#include "store/state_lock.h"

#ifndef INBOXD_TEMPLATES_DIR
#define INBOXD_TEMPLATES_DIR "/usr/share/inboxd/templates"
#endif

namespace inboxd::app {

namespace fs = std::filesystem;

namespace {

// The shipped templates (app/CMakeLists.txt sets the macros): the source
// tree's for the binary in the build tree, else the directory installed
// beside the binary (<bindir>/INBOXD_TEMPLATES_FROM_BIN, so any prefix,
// DESTDIR or unpacked package finds its own), else the configured install
// path INBOXD_TEMPLATES_DIR. The caller's error names the path when it is
// missing.
std::string ShippedTemplatesDir() {
#if defined(INBOXD_BUILD_BIN_DIR) && defined(INBOXD_SOURCE_TEMPLATES_DIR) && \
    defined(INBOXD_TEMPLATES_FROM_BIN)
  std::error_code ec;
  const fs::path bin = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (ec || bin.empty()) return INBOXD_TEMPLATES_DIR;
  if (fs::equivalent(bin, INBOXD_BUILD_BIN_DIR, ec)) {
    return INBOXD_SOURCE_TEMPLATES_DIR;
  }
  const fs::path beside = (bin / INBOXD_TEMPLATES_FROM_BIN).lexically_normal();
  if (fs::is_directory(beside, ec)) return beside.string();
#endif
  return INBOXD_TEMPLATES_DIR;
}

}  // namespace

// The shared Sent folder of each mailbox over IMAP: the configured
// sent_folder, else the folder with the \Sent SPECIAL-USE. One lazily opened
// connection per mailbox.
class Pipeline::ImapSentFolder final : public responder::SentFolder {
 public:
  explicit ImapSentFolder(const config::Config& config) : config_(config) {}

  core::Result<bool> ContainsMessageId(std::string_view mailbox,
                                       std::string_view message_id) override {
    auto box = Open(mailbox);
    if (!box) return core::Fail(box.error());
    return (*box)->source->ContainsMessageId((*box)->folder,
                                             std::string(message_id));
  }

  core::Status Append(std::string_view mailbox, std::string_view raw) override {
    auto box = Open(mailbox);
    if (!box) return core::Fail(box.error());
    const std::string seen[] = {"\\Seen"};
    return (*box)->source->Append((*box)->folder, raw, seen, std::nullopt);
  }

 private:
  struct Box {
    std::unique_ptr<ingest::ImapSource> source;
    std::string folder;
  };

  core::Result<Box*> Open(std::string_view name) {
    auto it = boxes_.find(name);
    if (it != boxes_.end()) return &it->second;
    const config::Mailbox* mb = nullptr;
    for (const auto& m : config_.mailboxes) {
      if (m.name == name) mb = &m;
    }
    if (mb == nullptr) {
      return core::Fail(
          core::Error::NotFound("no mailbox " + std::string(name)));
    }
    Box box;
    box.source = ingest::MakeImapSource(*mb, config_.limits);
    box.folder = mb->sent_folder;
    if (box.folder.empty()) {
      auto folders = box.source->ListFolders();
      if (!folders) return core::Fail(folders.error());
      for (const auto& f : *folders) {
        if (f.is_sent && !f.no_select) box.folder = f.name;
      }
      if (box.folder.empty()) {
        return core::Fail(core::Error::NotFound(
            "mailbox " + mb->name +
            ": no sent_folder configured and no \\Sent folder on the server"));
      }
    }
    return &boxes_.emplace(std::string(name), std::move(box)).first->second;
  }

  const config::Config& config_;
  std::map<std::string, Box, std::less<>> boxes_;
};

// The flags of ticket messages in the mail client, over IMAP: one lazily
// opened read-only connection per mailbox (EXAMINE, never STORE).
class Pipeline::ImapFlagSource final : public responder::FlagSource {
 public:
  explicit ImapFlagSource(const config::Config& config) : config_(config) {}

  core::Result<responder::FolderFlags> ReadFlags(
      const std::string& mailbox, const std::string& folder,
      std::span<const uint32_t> uids, uint64_t changed_since) override {
    auto it = sources_.find(mailbox);
    if (it == sources_.end()) {
      const config::Mailbox* mb = nullptr;
      for (const auto& m : config_.mailboxes) {
        if (m.name == mailbox) mb = &m;
      }
      if (mb == nullptr) {
        return core::Fail(core::Error::NotFound("no mailbox " + mailbox));
      }
      it =
          sources_.emplace(mailbox, ingest::MakeImapSource(*mb, config_.limits))
              .first;
    }
    auto r = it->second->FetchFlags(folder, uids, changed_since);
    if (!r) return core::Fail(r.error());
    responder::FolderFlags out;
    out.uid_validity = r->uid_validity;
    out.highest_modseq = r->highest_modseq;
    out.condstore = r->condstore;
    for (auto& m : r->messages) {
      out.messages.emplace_back(m.uid, std::move(m.flags));
    }
    return out;
  }

 private:
  const config::Config& config_;
  std::map<std::string, std::unique_ptr<ingest::ImapSource>> sources_;
};

// --dry-run: nothing goes to a real Sent folder (the copies are in the
// Maildir); a row left "sending" is simply written again there.
class Pipeline::DiscardSentFolder final : public responder::SentFolder {
 public:
  core::Result<bool> ContainsMessageId(std::string_view,
                                       std::string_view) override {
    return false;
  }
  core::Status Append(std::string_view, std::string_view) override {
    return core::Ok();
  }
  bool Discards() const override { return true; }
};

core::Result<responder::SmtpOptions> SmtpOptionsFor(const config::Config& cfg,
                                                    const config::Mailbox& mb) {
  responder::SmtpOptions so;
  so.timeout_seconds = cfg.limits.network_timeout.count();
  so.connect_timeout_seconds = cfg.limits.network_timeout.count();
  so.url = mb.smtp_url;
  so.tls = mb.tls;
  so.tls_ca_file = mb.tls_ca_file;
  so.username = mb.username;
  auto secret = config::ResolveSecret(mb);
  if (!secret) return core::Fail(secret.error());
  if (!mb.oauth2_token_command.empty()) {
    so.oauth2_token = std::move(*secret);
  } else {
    so.password = std::move(*secret);
  }
  return so;
}

std::string StorePath(const config::Config& config) {
  return (fs::path(config.state.dir) / "inboxd.db").string();
}

Pipeline::~Pipeline() = default;

core::Result<std::unique_ptr<Pipeline>> Pipeline::Open(
    const config::Config& config, PipelineOptions options, core::Clock* clock) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  p->config_ = config;
  p->options_ = std::move(options);
  p->clock_ = clock;
  const config::Config& cfg = p->config_;

  // State directory and the two store connections.
  std::error_code ec;
  fs::create_directories(cfg.state.dir, ec);
  if (ec) {
    return core::Fail(core::Error::Unavailable("state dir " + cfg.state.dir +
                                               ": " + ec.message()));
  }
  // 0700 and 0600 (issue 12 item 7), also for files an older version made.
  if (auto st = store::SecureStateDir(cfg.state.dir); !st) {
    return core::Fail(st.error());
  }
  // SQLite reports a full disk at open as "disk I/O error": say so.
  auto open_failed = [&](core::Error e) {
    e = e.Wrap("open store");
    auto free_bytes = store::FreeBytes(cfg.state.dir);
    if (free_bytes && *free_bytes < store::kMinStateDirFreeBytes) {
      e.message += " (the file system of " + cfg.state.dir + " has only " +
                   std::to_string(*free_bytes >> 10) + " KiB free)";
    }
    return core::Fail(std::move(e));
  };
  auto ingest_store = store::Store::Open(StorePath(cfg), clock);
  if (!ingest_store) return open_failed(ingest_store.error());
  p->ingest_store_ = std::move(*ingest_store);
  auto stage_store = store::Store::Open(StorePath(cfg), clock);
  if (!stage_store) return open_failed(stage_store.error());
  p->stage_store_ = std::move(*stage_store);
  // [[agent]] absent ranges are state like the others (audited once).
  if (auto st = responder::SyncConfigAbsences(*p->stage_store_, cfg); !st) {
    return core::Fail(st.error());
  }
  // Issue 11 item 1: which config this run works by (the file's SHA-256).
  if (!cfg.path.empty()) {
    std::ifstream in(cfg.path, std::ios::binary);
    const std::string text{std::istreambuf_iterator<char>(in), {}};
    nlohmann::json names = nlohmann::json::array();
    for (const auto& mb : cfg.mailboxes) names.push_back(mb.name);
    store::EventIn loaded;
    loaded.type = "config.loaded";
    loaded.data =
        nlohmann::json({{"path", cfg.path},
                        {"sha256", core::Sha256Hex(text)},
                        {"mailboxes", names}})
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    auto ev = p->stage_store_->AppendEvent(loaded);
    if (!ev) return core::Fail(ev.error().Wrap("audit config.loaded"));
  }
  p->store_sink_ =
      std::make_unique<ingest::StoreSyncSink>(p->ingest_store_.get());
  p->locked_sink_ =
      std::make_unique<ingest::LockedSyncSink>(p->store_sink_.get());

  // Templates, validated at start-up (refuse to start with file:line).
  const std::string shipped_templates = ShippedTemplatesDir();
  spdlog::info("templates: {}", shipped_templates);
  auto templates = responder::TemplateSet::Load(
      shipped_templates, cfg.templates.dir, cfg.templates.forbidden_phrases);
  if (!templates) return core::Fail(templates.error());
  p->templates_ =
      std::make_unique<responder::TemplateSet>(std::move(*templates));
  auto key = responder::LoadOrCreateHmacKey(cfg);
  if (!key) return core::Fail(key.error());
  p->hmac_key_ = std::move(*key);

  // Mailers: SMTP per mailbox, or one Maildir for a dry run.
  std::map<std::string, responder::Mailer*, std::less<>> mailers;
  for (const auto& mb : cfg.mailboxes) {
    if (mb.tls == "none") {
      // Allowed on loopback only (config/loader.cc), and still worth a
      // line: the password crosses the connection in clear text.
      spdlog::warn(
          "mailbox {}: tls = \"none\": {} without TLS (allowed on loopback "
          "only)",
          mb.name, p->options_.dry_run ? "IMAP" : "IMAP and SMTP");
    }
  }
  if (p->options_.dry_run) {
    std::string dir = p->options_.dry_run_maildir;
    if (dir.empty()) dir = cfg.responder.dry_run_maildir;
    if (dir.empty()) dir = (fs::path(cfg.state.dir) / "dry-run").string();
    auto m = responder::MaildirMailer::Create(dir);
    if (!m) return core::Fail(m.error().Wrap("dry-run maildir " + dir));
    for (const auto& mb : cfg.mailboxes) mailers[mb.name] = m->get();
    p->mailers_.push_back(std::move(*m));
    p->sent_folder_ = std::make_unique<DiscardSentFolder>();
    spdlog::info("dry run: outgoing mail goes to the Maildir {}", dir);
  } else {
    for (const auto& mb : cfg.mailboxes) {
      auto so = SmtpOptionsFor(cfg, mb);
      if (!so) return core::Fail(so.error());
      auto m = responder::SmtpMailer::Create(std::move(*so));
      if (!m)
        return core::Fail(m.error().Wrap("mailbox " + mb.name + ": smtp"));
      mailers[mb.name] = m->get();
      p->mailers_.push_back(std::move(*m));
    }
    p->sent_folder_ = std::make_unique<ImapSentFolder>(cfg);
  }

  // The stages.
  auto processor =
      classify::Processor::Create(cfg, p->stage_store_.get(), clock);
  if (!processor) return core::Fail(processor.error());
  p->processor_ = std::move(*processor);
  p->processor_->SetParseCache(&p->parse_cache_);
  core::Limits limits = cfg.limits;
  auto planner = responder::Planner::Create(
      &p->config_, p->stage_store_.get(), p->templates_.get(), p->hmac_key_,
      [limits](std::string_view raw) {
        return ingest::ParseMessage(raw, limits);
      });
  if (!planner) return core::Fail(planner.error());
  p->planner_ = std::move(*planner);
  p->planner_->SetParseCache(&p->parse_cache_);
  auto watcher = responder::Watcher::Create(
      &p->config_, p->stage_store_.get(), p->templates_.get(), p->hmac_key_,
      [limits](std::string_view raw) {
        return ingest::ParseMessage(raw, limits);
      });
  if (!watcher) return core::Fail(watcher.error());
  p->watcher_ = std::move(*watcher);
  p->flag_source_ = std::make_unique<ImapFlagSource>(p->config_);
  auto client_state = responder::ClientStateWatcher::Create(
      &p->config_, p->stage_store_.get(), p->flag_source_.get());
  if (!client_state) return core::Fail(client_state.error());
  p->client_state_ = std::move(*client_state);
  auto drain = responder::OutboxDrain::Create(
      &p->config_, p->stage_store_.get(), std::move(mailers),
      p->sent_folder_.get(), p->templates_.get(), p->hmac_key_,
      responder::DrainOptionsFrom(p->config_.responder));
  if (!drain) return core::Fail(drain.error());
  p->drain_ = std::move(*drain);
  return p;
}

std::vector<ingest::DaemonMailbox> Pipeline::DaemonMailboxes() const {
  std::vector<ingest::DaemonMailbox> out;
  for (const auto& mb : config_.mailboxes) {
    ingest::DaemonMailbox d;
    d.name = mb.name;
    d.folders = mb.folders;
    // Folders that set a ticket's state (issue 9 item 6) are synced like
    // incoming ones, so a message filed there is seen there.
    for (const auto* list :
         {&config_.tickets.close_folders, &config_.tickets.waiting_folders}) {
      for (const std::string& f : *list) {
        if (std::find(d.folders.begin(), d.folders.end(), f) ==
            d.folders.end()) {
          d.folders.push_back(f);
        }
      }
    }
    d.sent_folder = mb.sent_folder;
    d.ack_window = mb.ack_window;
    core::Limits limits = config_.limits;
    d.open = [mb,
              limits]() -> core::Result<std::unique_ptr<ingest::MailSource>> {
      return std::unique_ptr<ingest::MailSource>(
          ingest::MakeImapSource(mb, limits));
    };
    out.push_back(std::move(d));
  }
  return out;
}

StageReport Pipeline::RunStages() {
  StageReport r;
  // Process until the backlog is empty (batches keep memory bounded).
  while (true) {
    auto p = processor_->ProcessPending(1000);
    if (!p) {
      r.errors.push_back(p.error().Wrap("process").message);
      break;
    }
    r.processed.processed += p->processed;
    r.processed.new_tickets += p->new_tickets;
    r.processed.followups += p->followups;
    r.processed.duplicates += p->duplicates;
    r.processed.automatic += p->automatic;
    r.processed.quarantined += p->quarantined;
    r.processed.acks_due += p->acks_due;
    r.processed.agent_replies += p->agent_replies;
    for (auto& e : p->errors) r.errors.push_back(std::move(e));
    if (p->processed < 1000 || !p->errors.empty()) break;
  }
  // A shutdown (core/shutdown.h) ends the run between stages too.
  if (core::ShutdownRequested()) return r;
  auto plan = planner_->PlanPending(clock_->Now());
  if (plan) {
    r.planned = std::move(*plan);
    for (const auto& e : r.planned.error_messages) r.errors.push_back(e);
  } else {
    r.errors.push_back(plan.error().Wrap("plan").message);
  }
  // The mail client's keywords and folders before the watcher, so a ticket
  // closed in Outlook gets no warning.
  if (core::ShutdownRequested()) return r;
  auto client = client_state_->Poll(clock_->Now());
  r.client = client;
  for (const auto& e : client.errors) r.errors.push_back(e);
  if (core::ShutdownRequested()) return r;
  auto watched = watcher_->WatchOnce(clock_->Now());
  if (watched) {
    r.watched = std::move(*watched);
    for (const auto& e : r.watched.error_messages) r.errors.push_back(e);
  } else {
    r.errors.push_back(watched.error().Wrap("watch").message);
  }
  if (core::ShutdownRequested()) return r;
  auto drained = drain_->DrainOnce(clock_->Now());
  if (drained) {
    r.drained = std::move(*drained);
    for (const auto& e : r.drained.errors) r.errors.push_back(e);
  } else {
    r.errors.push_back(drained.error().Wrap("drain").message);
  }
  // [state] retention (POLICY A3): at most once per 24 h per process.
  const core::TimePoint now = clock_->Now();
  if (config_.state.retention.count() > 0 &&
      (!retention_ran_at_ ||
       now - *retention_ran_at_ >= std::chrono::hours(24))) {
    retention_ran_at_ = now;
    auto purged =
        stage_store_->PurgeOlderThan(now - config_.state.retention, "inboxd");
    if (!purged) {
      r.errors.push_back(purged.error().Wrap("retention").message);
    } else if (purged->tombstone_id > 0) {
      spdlog::info(
          "retention: erased {} message(s), {} outbox row(s), {} event(s) "
          "older than {}",
          purged->messages, purged->outbox, purged->events,
          core::FormatUtc(now - config_.state.retention));
    }
  }
  return r;
}

std::optional<core::TimePoint> Pipeline::NextWatch() {
  auto next = watcher_->NextWakeup(clock_->Now());
  if (!next) return std::nullopt;
  return *next;
}

}  // namespace inboxd::app
