// monitoring.h: the daemon's /healthz and /metrics (issue 12 item 4),
// wired from the health/ library.
//
// The HTTP thread never touches the store or the IMAP threads: the main loop
// calls Refresh after each wake-up (at most every 2 s) with the folders'
// live state and the store, and the handlers read that snapshot. Counters
// are fed from the folder threads (OnSynced) and the stages (OnStages).
// Everything here outlives a config reload; only the listen address comes
// from the config at start.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "app/pipeline.h"
#include "core/clock.h"
#include "health/daemon_metrics.h"
#include "health/health.h"
#include "health/http_server.h"
#include "health/metrics.h"
#include "ingest/sync_daemon.h"
#include "store/store.h"

namespace inboxd::app {

class Monitoring {
 public:
  // `retry_budget`: config http.retry_budget.
  Monitoring(const core::Clock* clock, std::chrono::seconds retry_budget);
  ~Monitoring();

  // Serves /healthz and /metrics on `listen` ("" = off: returns 0).
  // Returns the bound port; errors as health::HttpServer::Start.
  core::Result<int> Start(const std::string& listen);
  void Stop();

  // A folder thread stored new messages (thread-safe).
  void OnSynced(const ingest::SyncReport& r);
  // A stage run finished (main thread).
  void OnStages(const StageReport& r);
  // The main loop's snapshot after each wake-up: folder states and the
  // store's writability.
  void Refresh(const std::vector<ingest::FolderLiveState>& folders,
               store::Store& store, const std::string& state_dir);
  // The store whose milestones and outbox rows each GET /metrics counts for
  // the deadline and outbox gauges (the running generation's; nullptr =
  // none). Counted at the request, not after every stage run: those
  // queries read every milestone, and the daemon's cycle must cost the same
  // however large the store is (issue 13). Call it before the store is
  // destroyed: a request under way finishes first.
  void SetGaugeStore(store::Store* store);

 private:
  health::HttpResponse Healthz();
  // Sets the deadline and outbox gauges from gauge_store_ (HTTP thread).
  void CountGauges();

  const core::Clock* clock_;
  const core::TimePoint started_at_;
  const std::chrono::seconds retry_budget_;
  std::optional<core::TimePoint> probed_at_;  // main thread only
  health::Registry registry_;
  health::DisconnectTracker tracker_;
  std::unique_ptr<health::DaemonMetrics> metrics_;

  std::mutex mu_;  // guards the snapshot below
  std::vector<health::FolderState> folders_;
  health::StoreProbe store_probe_;

  std::mutex gauge_mu_;  // held while gauge_store_ is used
  store::Store* gauge_store_ = nullptr;

  std::unique_ptr<health::HttpServer> http_;
};

}  // namespace inboxd::app
