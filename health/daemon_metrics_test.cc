// daemon_metrics_test.cc: every inboxd_* series the daemon exports, as the
// text /metrics serves: names, labels, closed label sets present at 0, the
// typed helpers, the IMAP gauges computed from folder states at each scrape.
#include "health/daemon_metrics.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>

namespace inboxd::health {
namespace {

using std::chrono::seconds;

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos ||
         text.rfind(line + "\n", 0) == 0;
}

// The value of the sample line that starts with `series` + " ".
std::string ValueOf(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return "(absent)";
  at += series.size() + 2;
  return text.substr(at, text.find('\n', at) - at);
}

TEST(DaemonMetricsTest, FreshRegistryHasEveryFamilyAtZero) {
  Registry r;
  DaemonMetrics m(&r, {.version = "0.1.0", .folder_states = nullptr});
  const std::string text = r.Render();
  for (const char* line : {
           "# TYPE inboxd_up gauge",
           "inboxd_up 1",
           "# TYPE inboxd_build_info gauge",
           "inboxd_build_info{version=\"0.1.0\"} 1",
           "# TYPE inboxd_process_resident_memory_bytes gauge",
           "# TYPE inboxd_decisions_total counter",
           "inboxd_decisions_total{kind=\"agent_reply\"} 0",
           "inboxd_decisions_total{kind=\"automatic\"} 0",
           "inboxd_decisions_total{kind=\"followup\"} 0",
           "inboxd_decisions_total{kind=\"new_ticket\"} 0",
           "inboxd_decisions_total{kind=\"quarantined\"} 0",
           "# TYPE inboxd_acks_total counter",
           "inboxd_acks_total{result=\"deferred\"} 0",
           "inboxd_acks_total{result=\"failed\"} 0",
           "inboxd_acks_total{result=\"refused\"} 0",
           "inboxd_acks_total{result=\"sent\"} 0",
           "# TYPE inboxd_deadlines gauge",
           "inboxd_deadlines{state=\"at_risk\"} 0",
           "inboxd_deadlines{state=\"met\"} 0",
           "inboxd_deadlines{state=\"missed\"} 0",
           "inboxd_deadlines{state=\"open\"} 0",
           "# TYPE inboxd_outbox_depth gauge",
           "inboxd_outbox_depth 0",
           "# TYPE inboxd_ack_latency_seconds histogram",
           "inboxd_ack_latency_seconds_bucket{le=\"7200\"} 0",
           "inboxd_ack_latency_seconds_bucket{le=\"+Inf\"} 0",
           "inboxd_ack_latency_seconds_count 0",
       }) {
    EXPECT_TRUE(Has(text, line)) << line << "\n" << text;
  }
  // Nothing ingested yet, no folder states: those families are left out.
  EXPECT_EQ(text.find(kMessagesIngestedTotal), std::string::npos);
  EXPECT_EQ(text.find(kImapConnected), std::string::npos);
  EXPECT_EQ(text.find(kImapLastSyncTimestampSeconds), std::string::npos);
  // The resident memory is a positive number of bytes.
  const std::string rss = ValueOf(text, kProcessResidentMemoryBytes);
  EXPECT_GT(std::stoll(rss), 0) << rss;
}

TEST(DaemonMetricsTest, HelpersCountIntoTheirSeries) {
  Registry r;
  DaemonMetrics m(&r, {.version = "1.2.3", .folder_states = nullptr});
  m.AddIngested("support", "INBOX");
  m.AddIngested("support", "INBOX", 4);
  m.AddIngested("sales", "Anfragen", 2);
  m.AddIngested("sales", "INBOX", 0);  // nothing new: no series
  m.AddDecision(DecisionKind::kQuarantined);
  m.AddDecisions({.new_ticket = 3,
                  .followup = 2,
                  .automatic = 7,
                  .quarantined = 1,
                  .agent_reply = 4});
  m.AddAck(AckResult::kSent, 3);
  m.AddAck(AckResult::kDeferred);
  m.AddAck(AckResult::kRefused, 2);
  m.SetDeadlines({.met = 10, .missed = 1, .at_risk = 2, .open = 5});
  m.SetDeadlines({.met = 11, .missed = 1, .at_risk = 0, .open = 4});
  m.SetOutboxDepth(6);
  for (double s : {0.5, 45.0, 3600.0, 9000.0}) m.ObserveAckLatency(s);

  const std::string text = r.Render();
  const struct {
    const char* series;
    const char* want;
  } cases[] = {
      {"inboxd_messages_ingested_total{mailbox=\"support\",folder=\"INBOX\"}",
       "5"},
      {"inboxd_messages_ingested_total{mailbox=\"sales\",folder="
       "\"Anfragen\"}",
       "2"},
      {"inboxd_messages_ingested_total{mailbox=\"sales\",folder=\"INBOX\"}",
       "(absent)"},
      {"inboxd_decisions_total{kind=\"new_ticket\"}", "3"},
      {"inboxd_decisions_total{kind=\"followup\"}", "2"},
      {"inboxd_decisions_total{kind=\"automatic\"}", "7"},
      {"inboxd_decisions_total{kind=\"quarantined\"}", "2"},
      {"inboxd_decisions_total{kind=\"agent_reply\"}", "4"},
      {"inboxd_acks_total{result=\"sent\"}", "3"},
      {"inboxd_acks_total{result=\"deferred\"}", "1"},
      {"inboxd_acks_total{result=\"failed\"}", "0"},
      {"inboxd_acks_total{result=\"refused\"}", "2"},
      {"inboxd_deadlines{state=\"met\"}", "11"},
      {"inboxd_deadlines{state=\"missed\"}", "1"},
      {"inboxd_deadlines{state=\"at_risk\"}", "0"},
      {"inboxd_deadlines{state=\"open\"}", "4"},
      {"inboxd_outbox_depth", "6"},
      {"inboxd_build_info{version=\"1.2.3\"}", "1"},
      {"inboxd_ack_latency_seconds_bucket{le=\"1\"}", "1"},
      {"inboxd_ack_latency_seconds_bucket{le=\"30\"}", "1"},
      {"inboxd_ack_latency_seconds_bucket{le=\"60\"}", "2"},
      {"inboxd_ack_latency_seconds_bucket{le=\"3600\"}", "3"},
      {"inboxd_ack_latency_seconds_bucket{le=\"7200\"}", "3"},
      {"inboxd_ack_latency_seconds_bucket{le=\"+Inf\"}", "4"},
      {"inboxd_ack_latency_seconds_sum", "12645.5"},
      {"inboxd_ack_latency_seconds_count", "4"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ValueOf(text, c.series), c.want) << c.series << "\n" << text;
  }
}

TEST(DaemonMetricsTest, ImapGaugesFollowTheFolderStatesAtEachScrape) {
  std::mutex mu;
  std::vector<FolderState> states;
  auto set = [&](std::vector<FolderState> v) {
    std::lock_guard lock(mu);
    states = std::move(v);
  };
  Registry r;
  DaemonMetrics m(&r, {.version = "x", .folder_states = [&] {
                         std::lock_guard lock(mu);
                         return states;
                       }});
  FolderState mailbox;
  mailbox.mailbox = "support";
  mailbox.folder = "";
  mailbox.connected = false;
  set({mailbox});
  std::string text = r.Render();
  EXPECT_EQ(ValueOf(text,
                    "inboxd_imap_connected{mailbox=\"support\",folder="
                    "\"\"}"),
            "0")
      << text;
  EXPECT_EQ(text.find(kImapLastSyncTimestampSeconds), std::string::npos);

  // The folders are resolved: the mailbox-level entry is superseded.
  FolderState inbox;
  inbox.mailbox = "support";
  inbox.folder = "INBOX";
  inbox.connected = true;
  inbox.last_sync = core::TimePoint{seconds{1772445600}};
  FolderState sent = inbox;
  sent.folder = "Sent";
  sent.connected = false;
  sent.last_sync.reset();
  set({mailbox, inbox, sent});
  text = r.Render();
  EXPECT_EQ(text.find("folder=\"\""), std::string::npos) << text;
  EXPECT_EQ(ValueOf(text,
                    "inboxd_imap_connected{mailbox=\"support\",folder="
                    "\"INBOX\"}"),
            "1");
  EXPECT_EQ(ValueOf(text,
                    "inboxd_imap_connected{mailbox=\"support\",folder="
                    "\"Sent\"}"),
            "0");
  EXPECT_EQ(ValueOf(text,
                    "inboxd_imap_last_sync_timestamp_seconds{mailbox="
                    "\"support\",folder=\"INBOX\"}"),
            "1772445600");
  EXPECT_EQ(ValueOf(text,
                    "inboxd_imap_last_sync_timestamp_seconds{mailbox="
                    "\"support\",folder=\"Sent\"}"),
            "(absent)");
}

TEST(DaemonMetricsTest, NamesAndNamesOfEnums) {
  EXPECT_EQ(DecisionKindName(DecisionKind::kNewTicket), "new_ticket");
  EXPECT_EQ(DecisionKindName(DecisionKind::kAgentReply), "agent_reply");
  EXPECT_EQ(AckResultName(AckResult::kRefused), "refused");
  EXPECT_EQ(AckLatencyBuckets(),
            (std::vector<double>{1, 2, 5, 10, 30, 60, 300, 900, 3600, 7200}));
}

}  // namespace
}  // namespace inboxd::health
