// daemon_metrics.cc: see daemon_metrics.h.
#include "health/daemon_metrics.h"

#include <cmath>
#include <limits>
#include <memory>

#include "core/error.h"
#include "health/process.h"

namespace inboxd::health {

namespace {

constexpr DecisionKind kDecisionKinds[] = {
    DecisionKind::kNewTicket, DecisionKind::kFollowup, DecisionKind::kAutomatic,
    DecisionKind::kQuarantined, DecisionKind::kAgentReply};
constexpr AckResult kAckResults[] = {AckResult::kSent, AckResult::kDeferred,
                                     AckResult::kFailed, AckResult::kRefused};

double AsDouble(uint64_t n) { return static_cast<double>(n); }

}  // namespace

std::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kNewTicket:
      return "new_ticket";
    case DecisionKind::kFollowup:
      return "followup";
    case DecisionKind::kAutomatic:
      return "automatic";
    case DecisionKind::kQuarantined:
      return "quarantined";
    case DecisionKind::kAgentReply:
      return "agent_reply";
  }
  core::CheckFailed(__FILE__, __LINE__, "unknown DecisionKind");
}

std::string_view AckResultName(AckResult result) {
  switch (result) {
    case AckResult::kSent:
      return "sent";
    case AckResult::kDeferred:
      return "deferred";
    case AckResult::kFailed:
      return "failed";
    case AckResult::kRefused:
      return "refused";
  }
  core::CheckFailed(__FILE__, __LINE__, "unknown AckResult");
}

DaemonMetrics::DaemonMetrics(Registry* registry, DaemonMetricsOptions options)
    : registry_(registry) {
  INBOXD_CHECK(registry != nullptr);
  Registry& r = *registry;

  r.AddGauge(kUp, "1 while the inboxd daemon runs.").With().Set(1);
  r.AddGauge(kBuildInfo, "Always 1; the label says which inboxd runs.",
             {"version"})
      .With({options.version})
      .Set(1);
  r.AddGaugeFunction(
      kProcessResidentMemoryBytes,
      "Resident memory of the inboxd process in bytes (/proc/self/statm).", [] {
        auto rss = ReadResidentMemoryBytes();
        return rss ? static_cast<double>(*rss)
                   : std::numeric_limits<double>::quiet_NaN();
      });

  ingested_ = &r.AddCounter(kMessagesIngestedTotal,
                            "New messages stored from IMAP, by mailbox and "
                            "folder.",
                            {"mailbox", "folder"});

  CounterFamily& decisions =
      r.AddCounter(kDecisionsTotal,
                   "Decisions on stored messages, by kind (new_ticket, "
                   "followup, automatic, quarantined, agent_reply).",
                   {"kind"});
  for (DecisionKind k : kDecisionKinds) {
    decisions_[static_cast<int>(k)] =
        &decisions.With({std::string(DecisionKindName(k))});
  }

  CounterFamily& acks =
      r.AddCounter(kAcksTotal,
                   "Acknowledgements by result (sent, deferred, failed, "
                   "refused).",
                   {"result"});
  for (AckResult a : kAckResults) {
    acks_[static_cast<int>(a)] = &acks.With({std::string(AckResultName(a))});
  }

  GaugeFamily& deadlines =
      r.AddGauge(kDeadlines,
                 "Deadline milestones by state now (met, missed, at_risk, "
                 "open).",
                 {"state"});
  deadlines_met_ = &deadlines.With({"met"});
  deadlines_missed_ = &deadlines.With({"missed"});
  deadlines_at_risk_ = &deadlines.With({"at_risk"});
  deadlines_open_ = &deadlines.With({"open"});

  outbox_depth_ =
      &r.AddGauge(kOutboxDepth,
                  "Outgoing messages queued or deferred, not yet sent.")
           .With();

  ack_latency_ = &r.AddHistogram(kAckLatencySeconds,
                                 "Seconds from a customer message's arrival "
                                 "to its acknowledgement being sent.",
                                 {}, AckLatencyBuckets())
                      .With();

  // The IMAP gauges: computed from the caller's states at each scrape.
  auto states = std::make_shared<std::function<std::vector<FolderState>()>>(
      std::move(options.folder_states));
  auto folders = [states] {
    return *states ? WithoutSupersededMailboxEntries((*states)())
                   : std::vector<FolderState>{};
  };
  r.AddGaugeCollector(
      kImapConnected, "1 when the folder's IMAP connection is up, else 0.",
      {"mailbox", "folder"}, [folders] {
        std::vector<GaugeSample> out;
        for (const FolderState& f : folders()) {
          out.push_back({{f.mailbox, f.folder}, f.connected ? 1.0 : 0.0});
        }
        return out;
      });
  r.AddGaugeCollector(
      kImapLastSyncTimestampSeconds,
      "Unix time of the folder's last successful sync (absent before the "
      "first).",
      {"mailbox", "folder"}, [folders] {
        std::vector<GaugeSample> out;
        for (const FolderState& f : folders()) {
          if (!f.last_sync) continue;
          out.push_back(
              {{f.mailbox, f.folder},
               static_cast<double>(f.last_sync->time_since_epoch().count())});
        }
        return out;
      });
}

void DaemonMetrics::AddIngested(std::string_view mailbox,
                                std::string_view folder, uint64_t n) {
  if (n == 0) return;
  ingested_->With({std::string(mailbox), std::string(folder)}).Inc(AsDouble(n));
}

void DaemonMetrics::AddDecision(DecisionKind kind, uint64_t n) {
  decisions_[static_cast<int>(kind)]->Inc(AsDouble(n));
}

void DaemonMetrics::AddDecisions(const DecisionCounts& c) {
  AddDecision(DecisionKind::kNewTicket, c.new_ticket);
  AddDecision(DecisionKind::kFollowup, c.followup);
  AddDecision(DecisionKind::kAutomatic, c.automatic);
  AddDecision(DecisionKind::kQuarantined, c.quarantined);
  AddDecision(DecisionKind::kAgentReply, c.agent_reply);
}

void DaemonMetrics::AddAck(AckResult result, uint64_t n) {
  acks_[static_cast<int>(result)]->Inc(AsDouble(n));
}

void DaemonMetrics::SetDeadlines(const DeadlineCounts& c) {
  deadlines_met_->Set(static_cast<double>(c.met));
  deadlines_missed_->Set(static_cast<double>(c.missed));
  deadlines_at_risk_->Set(static_cast<double>(c.at_risk));
  deadlines_open_->Set(static_cast<double>(c.open));
}

void DaemonMetrics::SetOutboxDepth(int64_t depth) {
  outbox_depth_->Set(static_cast<double>(depth));
}

void DaemonMetrics::ObserveAckLatency(double seconds) {
  ack_latency_->Observe(seconds);
}

}  // namespace inboxd::health
