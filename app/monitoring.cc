#include "app/monitoring.h"

#include "store/state_lock.h"

namespace inboxd::app {
namespace {

health::StoreProbe ProbeStore(store::Store& store,
                              const std::string& state_dir) {
  auto free_bytes = store::FreeBytes(state_dir);
  if (!free_bytes) return {false, free_bytes.error().message};
  if (*free_bytes < store::kMinStateDirFreeBytes) {
    return {false, "state dir " + state_dir + ": only " +
                       std::to_string(*free_bytes >> 10) + " KiB free"};
  }
  if (auto st = store.ProbeWrite(); !st) {
    return {false, st.error().ToString()};
  }
  return {};
}

}  // namespace

Monitoring::Monitoring(const core::Clock* clock,
                       std::chrono::seconds retry_budget)
    : clock_(clock), started_at_(clock->Now()), retry_budget_(retry_budget) {
  health::DaemonMetricsOptions opt;
  opt.version = INBOXD_VERSION_STRING;
  opt.folder_states = [this] {
    std::lock_guard<std::mutex> lock(mu_);
    return folders_;
  };
  metrics_ = std::make_unique<health::DaemonMetrics>(&registry_, opt);
}

Monitoring::~Monitoring() { Stop(); }

core::Result<int> Monitoring::Start(const std::string& listen) {
  if (listen.empty()) return 0;
  http_ = std::make_unique<health::HttpServer>(
      [this] { return Healthz(); },
      [this] {
        CountGauges();
        return health::MetricsResponse(registry_);
      });
  return http_->Start(listen);
}

void Monitoring::Stop() {
  if (http_) http_->Stop();
}

health::HttpResponse Monitoring::Healthz() {
  health::HealthInput in;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in.folders = folders_;
    in.store = store_probe_;
  }
  in.now = clock_->Now();
  in.started_at = started_at_;
  in.retry_budget = retry_budget_;
  tracker_.Fill(&in.folders, in.now);
  return health::HealthzResponse(health::DecideHealth(in));
}

void Monitoring::OnSynced(const ingest::SyncReport& r) {
  if (r.stored_new > 0)
    metrics_->AddIngested(r.mailbox, r.folder, r.stored_new);
}

void Monitoring::OnStages(const StageReport& r) {
  const auto& p = r.processed;
  metrics_->AddDecisions({.new_ticket = p.new_tickets,
                          .followup = p.followups,
                          .automatic = p.automatic,
                          .quarantined = p.quarantined,
                          .agent_reply = p.agent_replies});
  metrics_->AddAck(health::AckResult::kSent, r.drained.sent);
  metrics_->AddAck(health::AckResult::kDeferred, r.drained.deferred);
  metrics_->AddAck(health::AckResult::kFailed, r.drained.failed);
  metrics_->AddAck(health::AckResult::kRefused, r.planned.refused);
  for (double s : r.drained.ack_latency_seconds) {
    metrics_->ObserveAckLatency(s);
  }
}

void Monitoring::Refresh(const std::vector<ingest::FolderLiveState>& folders,
                         store::Store& store, const std::string& state_dir) {
  if (http_ == nullptr) return;  // nobody asks
  std::vector<health::FolderState> states;
  for (const ingest::FolderLiveState& s : folders) {
    health::FolderState& f = states.emplace_back();
    f.mailbox = s.mailbox;
    f.folder = s.folder;
    f.connected = s.connected;
    f.last_sync = s.last_sync;
    f.last_error = s.last_error;
  }
  const core::TimePoint now = clock_->Now();
  tracker_.Fill(&states, now);
  states = health::WithoutSupersededMailboxEntries(std::move(states));
  // The write probe waits for the ingest threads' transaction: every 10 s
  // is often enough for a health check.
  std::optional<health::StoreProbe> probe;
  if (!probed_at_ || now - *probed_at_ >= std::chrono::seconds(10)) {
    probed_at_ = now;
    probe = ProbeStore(store, state_dir);
  }
  std::lock_guard<std::mutex> lock(mu_);
  folders_ = std::move(states);
  if (probe) store_probe_ = std::move(*probe);
}

void Monitoring::SetGaugeStore(store::Store* store) {
  std::lock_guard<std::mutex> lock(gauge_mu_);
  gauge_store_ = store;
}

void Monitoring::CountGauges() {
  std::lock_guard<std::mutex> lock(gauge_mu_);
  if (gauge_store_ == nullptr) return;
  store::Store& store = *gauge_store_;
  if (auto c = store.CountMilestones(clock_->Now()); c) {
    metrics_->SetDeadlines({.met = c->met,
                            .missed = c->missed,
                            .at_risk = c->at_risk,
                            .open = c->open - c->at_risk});
  }
  if (auto d = store.CountPending(); d) metrics_->SetOutboxDepth(*d);
}

}  // namespace inboxd::app
