// sync_memory_sink.h: an in-memory SyncSink for tests and dry runs.
//
// Does: the store's contract in miniature: dedupe by SHA-256 (and by
// Message-ID + SHA-256 across mailboxes, recording every location),
// checkpoints, first-seen times, an audit list; fault injection (fail the
// Nth PutRawMessage or AdvanceCheckpoint). Thread-safe. Does not: persist.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "ingest/sync_sink.h"

namespace inboxd::ingest {

class MemorySyncSink final : public SyncSink {
 public:
  struct Stored {
    SyncedMessage first;  // the first sighting (raw bytes kept)
    std::set<std::tuple<std::string, std::string, uint32_t, uint32_t>>
        locations;  // mailbox, folder, uid_validity, uid
    std::set<std::string> mailboxes;
  };
  struct AuditEvent {
    std::string type, mailbox, data;
  };

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

  // The Nth call (1-based) from now of PutRawMessage / AdvanceCheckpoint
  // fails with kUnavailable; 0 disables.
  void FailPutAt(int n);
  void FailCheckpointAt(int n);

  // Snapshots.
  std::vector<Stored> Messages() const;  // in store order
  std::vector<AuditEvent> Events() const;
  int puts() const;  // PutRawMessage calls that succeeded

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, FolderCheckpoint> checkpoints_;
  std::map<std::string, core::TimePoint> first_seen_;
  std::vector<Stored> messages_;
  std::map<std::string, size_t> by_sha_;  // sha256 -> index
  std::vector<AuditEvent> events_;
  int fail_put_at_ = 0, fail_cp_at_ = 0;
  int puts_ = 0;
};

}  // namespace inboxd::ingest
