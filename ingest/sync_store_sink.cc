#include "ingest/sync_store_sink.h"

#include <algorithm>

namespace inboxd::ingest {

core::Result<std::optional<FolderCheckpoint>> StoreSyncSink::GetCheckpoint(
    const std::string& mailbox, const std::string& folder) {
  auto cp = store_->GetCheckpoint(mailbox, folder);
  if (!cp) {
    if (cp.error().code == core::Code::kNotFound) {
      return std::optional<FolderCheckpoint>();
    }
    return core::Fail(cp.error());
  }
  return std::optional<FolderCheckpoint>(
      FolderCheckpoint{cp->uid_validity, cp->last_uid});
}

core::Status StoreSyncSink::AdvanceCheckpoint(const std::string& mailbox,
                                              const std::string& folder,
                                              FolderCheckpoint cp,
                                              core::TimePoint) {
  auto r =
      store_->AdvanceCheckpoint(mailbox, folder, cp.uid_validity, cp.last_uid);
  if (!r) return core::Fail(r.error());
  return core::Ok();
}

core::Result<core::TimePoint> StoreSyncSink::FirstSeenAt(
    const std::string& mailbox, core::TimePoint now) {
  if (auto it = first_seen_.find(mailbox); it != first_seen_.end()) {
    return std::min(it->second, now);
  }
  auto all = store_->ListCheckpoints();
  if (!all) return core::Fail(all.error());
  core::TimePoint first = now;
  bool any = false;
  for (const auto& cp : *all) {
    if (cp.mailbox != mailbox) continue;
    any = true;
    if (cp.first_seen_at < first) first = cp.first_seen_at;
  }
  if (any) first_seen_.emplace(mailbox, first);
  return first;
}

core::Result<PutOutcome> StoreSyncSink::PutRawMessage(const SyncedMessage& m) {
  store::RawMessageIn in;
  in.mailbox = m.mailbox;
  in.folder = m.folder;
  in.uid_validity = m.uid_validity;
  in.uid = m.uid;
  in.role =
      m.role == FolderRole::kSent ? store::Role::kSent : store::Role::kIncoming;
  in.arrived_at = m.arrived_at;
  in.raw = m.raw;
  in.sha256 = m.sha256;
  in.message_id = m.message_id;
  in.size = static_cast<size_t>(m.size);
  in.truncated = m.truncated;
  in.quarantine_reason = m.quarantine_reason;
  auto ref = store_->PutRawMessage(in);
  if (!ref) return core::Fail(ref.error());
  return PutOutcome{ref->new_message, ref->new_location};
}

core::Status StoreSyncSink::Audit(const std::string& type,
                                  const std::string& mailbox,
                                  const std::string& data_json) {
  store::EventIn e;
  e.type = type;
  e.mailbox = mailbox;
  e.data = data_json;
  auto r = store_->AppendEvent(e);
  if (!r) return core::Fail(r.error());
  return core::Ok();
}

core::Status StoreSyncSink::BeginBatch() {
  if (batch_) {
    return core::Fail(
        core::Error::FailedPrecondition("sync sink: a batch is already open"));
  }
  auto b = store_->BeginBatch();
  if (!b) return core::Fail(b.error());
  batch_ = std::move(*b);
  return core::Ok();
}

core::Status StoreSyncSink::CommitBatch() {
  if (!batch_) {
    return core::Fail(
        core::Error::FailedPrecondition("sync sink: no batch is open"));
  }
  std::unique_ptr<store::Store::Batch> b = std::move(batch_);
  return b->Commit();
}

void StoreSyncSink::RollbackBatch() { batch_.reset(); }

}  // namespace inboxd::ingest
