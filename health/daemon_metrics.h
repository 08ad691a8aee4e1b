// daemon_metrics.h: the series `inboxd run` exports on /metrics, and typed
// helpers to update them.
//
// What it does: DaemonMetrics registers every inboxd_* family in a Registry
// (health/README.md lists them with their meaning) and offers one method per
// thing the daemon counts, so the wiring in app/ is a line per event. Label
// values of closed sets (decision kinds, ack results, deadline states) are
// enums and all their series exist from the start at 0, so a rate() or an
// alert never sees a missing series. The IMAP gauges are computed at each
// scrape from the caller's folder states, so a folder that goes away (or a
// mailbox-level entry that its folders superseded) goes away from /metrics
// too.
// What it does not do: serve HTTP, decide health, or read the store: the
// caller passes what it counted.
//
// Thread safety: every method may be called from any thread (see
// metrics.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "health/health.h"
#include "health/metrics.h"

namespace inboxd::health {

// Series names (the daemon's public interface to dashboards and alerts).
inline constexpr char kMessagesIngestedTotal[] =
    "inboxd_messages_ingested_total";
inline constexpr char kDecisionsTotal[] = "inboxd_decisions_total";
inline constexpr char kAcksTotal[] = "inboxd_acks_total";
inline constexpr char kDeadlines[] = "inboxd_deadlines";
inline constexpr char kOutboxDepth[] = "inboxd_outbox_depth";
inline constexpr char kImapConnected[] = "inboxd_imap_connected";
inline constexpr char kImapLastSyncTimestampSeconds[] =
    "inboxd_imap_last_sync_timestamp_seconds";
inline constexpr char kAckLatencySeconds[] = "inboxd_ack_latency_seconds";
inline constexpr char kProcessResidentMemoryBytes[] =
    "inboxd_process_resident_memory_bytes";
inline constexpr char kUp[] = "inboxd_up";
inline constexpr char kBuildInfo[] = "inboxd_build_info";

// Buckets of inboxd_ack_latency_seconds: seconds from a customer message's
// arrival to its acknowledgement being sent; POLICY D1 allows 2 h (7200).
inline const std::vector<double>& AckLatencyBuckets() {
  static const std::vector<double> kBuckets = {1,  2,   5,   10,   30,
                                               60, 300, 900, 3600, 7200};
  return kBuckets;
}

// inboxd_decisions_total{kind}.
enum class DecisionKind {
  kNewTicket,    // "new_ticket": a customer message opened a ticket
  kFollowup,     // "followup": a customer message on an existing ticket
  kAutomatic,    // "automatic": auto-replies, bounces, lists, spam
  kQuarantined,  // "quarantined": poison or unparseable, raw bytes kept
  kAgentReply,   // "agent_reply": an agent's reply sent as the mailbox
};
std::string_view DecisionKindName(DecisionKind kind);

// One processing run's counts (classify::ProcessReport has these fields).
struct DecisionCounts {
  uint64_t new_ticket = 0;
  uint64_t followup = 0;
  uint64_t automatic = 0;
  uint64_t quarantined = 0;
  uint64_t agent_reply = 0;
};

// inboxd_acks_total{result}.
enum class AckResult {
  kSent,      // "sent": handed to the SMTP server
  kDeferred,  // "deferred": temporary failure, retried later
  kFailed,    // "failed": permanent failure, handed to a person
  kRefused,   // "refused": not sent by policy (loop guard, limits, no-reply)
};
std::string_view AckResultName(AckResult result);

// inboxd_deadlines{state}: how many deadline milestones are in each state
// now (a gauge: the caller recounts and sets all four).
struct DeadlineCounts {
  int64_t met = 0;
  int64_t missed = 0;
  int64_t at_risk = 0;  // open and past its warning point
  int64_t open = 0;     // open and not at risk
};

struct DaemonMetricsOptions {
  // The value of inboxd_build_info{version}.
  std::string version;
  // Called at each scrape for inboxd_imap_connected and
  // inboxd_imap_last_sync_timestamp_seconds (e.g. SyncDaemon::States()
  // converted). Must be thread-safe. Null = those two families stay empty.
  std::function<std::vector<FolderState>()> folder_states;
};

class DaemonMetrics {
 public:
  // Registers every family in `registry` (not owned; must outlive this).
  // REQUIRES: none of the names is registered in `registry` yet.
  DaemonMetrics(Registry* registry, DaemonMetricsOptions options);

  // inboxd_messages_ingested_total{mailbox,folder} += n (new messages
  // stored from that folder).
  void AddIngested(std::string_view mailbox, std::string_view folder,
                   uint64_t n = 1);
  // inboxd_decisions_total{kind} += n.
  void AddDecision(DecisionKind kind, uint64_t n = 1);
  // Each count of `counts` added to its kind.
  void AddDecisions(const DecisionCounts& counts);
  // inboxd_acks_total{result} += n.
  void AddAck(AckResult result, uint64_t n = 1);
  // inboxd_deadlines{state} = the counts.
  void SetDeadlines(const DeadlineCounts& counts);
  // inboxd_outbox_depth = messages queued or deferred, not yet sent.
  void SetOutboxDepth(int64_t depth);
  // inboxd_ack_latency_seconds observes `seconds` (arrival -> ack sent).
  void ObserveAckLatency(double seconds);

  Registry& registry() { return *registry_; }

 private:
  Registry* registry_;
  CounterFamily* ingested_;
  Counter* decisions_[5];
  Counter* acks_[4];
  Gauge* deadlines_met_;
  Gauge* deadlines_missed_;
  Gauge* deadlines_at_risk_;
  Gauge* deadlines_open_;
  Gauge* outbox_depth_;
  Histogram* ack_latency_;
};

}  // namespace inboxd::health
