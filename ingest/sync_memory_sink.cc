#include "ingest/sync_memory_sink.h"

namespace inboxd::ingest {

core::Result<std::optional<FolderCheckpoint>> MemorySyncSink::GetCheckpoint(
    const std::string& mailbox, const std::string& folder) {
  std::lock_guard lock(mu_);
  auto it = checkpoints_.find({mailbox, folder});
  if (it == checkpoints_.end()) return std::optional<FolderCheckpoint>();
  return std::optional<FolderCheckpoint>(it->second);
}

core::Status MemorySyncSink::AdvanceCheckpoint(const std::string& mailbox,
                                               const std::string& folder,
                                               FolderCheckpoint cp,
                                               core::TimePoint) {
  std::lock_guard lock(mu_);
  if (fail_cp_at_ > 0 && --fail_cp_at_ == 0) {
    return core::Fail(core::Error::Unavailable("injected checkpoint failure"));
  }
  checkpoints_[{mailbox, folder}] = cp;
  return core::Ok();
}

core::Result<core::TimePoint> MemorySyncSink::FirstSeenAt(
    const std::string& mailbox, core::TimePoint now) {
  std::lock_guard lock(mu_);
  return first_seen_.emplace(mailbox, now).first->second;
}

core::Result<PutOutcome> MemorySyncSink::PutRawMessage(const SyncedMessage& m) {
  std::lock_guard lock(mu_);
  if (fail_put_at_ > 0 && --fail_put_at_ == 0) {
    return core::Fail(core::Error::Unavailable("injected store failure"));
  }
  ++puts_;
  PutOutcome out;
  auto loc = std::make_tuple(m.mailbox, m.folder, m.uid_validity, m.uid);
  // Same bytes, or (for cross-mailbox copies whose trace headers differ)
  // the same non-empty Message-ID: one message with several locations.
  auto it = by_sha_.find(m.sha256);
  size_t index = messages_.size();
  if (it != by_sha_.end()) {
    index = it->second;
  } else if (!m.message_id.empty()) {
    for (size_t i = 0; i < messages_.size(); ++i) {
      if (messages_[i].first.message_id == m.message_id &&
          !messages_[i].mailboxes.contains(m.mailbox)) {
        index = i;
        break;
      }
    }
  }
  if (index == messages_.size()) {
    messages_.push_back({m, {}, {}});
    by_sha_[m.sha256] = index;
    out.new_message = true;
  }
  out.new_location = messages_[index].locations.insert(loc).second;
  messages_[index].mailboxes.insert(m.mailbox);
  return out;
}

core::Status MemorySyncSink::Audit(const std::string& type,
                                   const std::string& mailbox,
                                   const std::string& data_json) {
  std::lock_guard lock(mu_);
  events_.push_back({type, mailbox, data_json});
  return core::Ok();
}

void MemorySyncSink::FailPutAt(int n) {
  std::lock_guard lock(mu_);
  fail_put_at_ = n;
}

void MemorySyncSink::FailCheckpointAt(int n) {
  std::lock_guard lock(mu_);
  fail_cp_at_ = n;
}

std::vector<MemorySyncSink::Stored> MemorySyncSink::Messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::vector<MemorySyncSink::AuditEvent> MemorySyncSink::Events() const {
  std::lock_guard lock(mu_);
  return events_;
}

int MemorySyncSink::puts() const {
  std::lock_guard lock(mu_);
  return puts_;
}

}  // namespace inboxd::ingest
