// sync_store_sink.h: the SyncSink of production, over store::Store.
//
// Does: maps the sync engine's five calls onto the store: checkpoints
// (Store::GetCheckpoint/AdvanceCheckpoint), the mailbox's first sync (the
// earliest first_seen_at of its folders' checkpoints), raw bytes
// (Store::PutRawMessage, which dedupes by Message-ID + SHA-256 and records
// every location), audit (Store::AppendEvent), batches (Store::BeginBatch:
// one transaction for a checkpoint window). Not thread-safe (wrap it in
// LockedSyncSink for the daemon). Does not: store `ack_eligible` (the store
// has no column for it yet: the responder can recompute it as arrived_at >=
// min(first_seen_at of the mailbox) - ack_window; see the report to the lead).
#pragma once

#include <map>
#include <memory>

#include "ingest/sync_sink.h"
#include "store/store.h"

namespace inboxd::ingest {

class StoreSyncSink final : public SyncSink {
 public:
  // `store` is not owned and must outlive this sink.
  explicit StoreSyncSink(store::Store* store) : store_(store) {}

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
  core::Status BeginBatch() override;
  core::Status CommitBatch() override;
  void RollbackBatch() override;

 private:
  store::Store* store_;
  std::unique_ptr<store::Store::Batch> batch_;  // the open batch, if any
  // FirstSeenAt per mailbox once a checkpoint exists: a folder added later
  // is first seen later, so the earliest never changes (ListCheckpoints
  // counts every folder's messages: not once per sync).
  std::map<std::string, core::TimePoint> first_seen_;
};

}  // namespace inboxd::ingest
