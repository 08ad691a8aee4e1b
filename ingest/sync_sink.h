// sync_sink.h: what the sync engine needs from the store, as an interface.
//
// Does: name the five calls SyncEngine makes (checkpoint read/advance, the
// mailbox's first-seen time, storing raw bytes, audit). The production
// implementation is a thin adapter over store::Store (see the lead's wiring:
// PutRawMessage -> Store::PutRawMessage with store::RawMessageIn, checkpoints
// -> store::Checkpoint); MemorySyncSink (sync_memory_sink.h) is the in-memory
// one for tests. Does not: parse or classify anything.
//
// Every call is one transaction. A sink may also group calls: between
// BeginBatch and CommitBatch each call is still atomic on its own (a failing
// call changes nothing and returns its error), but nothing is durable or
// visible until CommitBatch; RollbackBatch (or a crash) drops the whole
// batch. The engine commits a batch right after the checkpoint advance that
// covers its bytes. Ordering contract used by the engine (house
// rule 4): PutRawMessage commits the bytes first, AdvanceCheckpoint runs
// after; a crash between the two refetches the message, and PutRawMessage
// must absorb the repeat (dedupe by Message-ID + SHA-256, location by
// mailbox/folder/uid_validity/uid).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"

namespace inboxd::ingest {

// Where a message was seen: a watched folder (customer mail) or the shared
// Sent folder (an agent's reply; never acknowledged).
enum class FolderRole { kIncoming, kSent };

struct FolderCheckpoint {
  uint32_t uid_validity = 0;
  uint32_t last_uid = 0;  // highest UID whose bytes are committed
};

struct SyncedMessage {
  std::string mailbox;  // config name
  std::string folder;
  uint32_t uid_validity = 0;
  uint32_t uid = 0;
  FolderRole role = FolderRole::kIncoming;
  core::TimePoint arrived_at;  // server INTERNALDATE (never the Date header)
  std::string raw;             // exact bytes; the header block if truncated
  std::string sha256;      // of the full message (of `raw` unless truncated)
  std::string message_id;  // without <>, "" when absent
  uint64_t size = 0;       // of the full message
  bool truncated = false;  // `raw` is only the header block
  // Non-empty: store it quarantined with this reason ("size 30000000 over
  // limit 26214400"), in the same transaction.
  std::string quarantine_reason;
  // Arrived (INTERNALDATE) no earlier than ack_window before the mailbox's
  // first sync, and role is incoming: the responder may acknowledge it. Old
  // history imported on a first sync is never acknowledged.
  bool ack_eligible = false;
};

struct PutOutcome {
  bool new_message = false;   // first time these bytes are stored
  bool new_location = false;  // first time seen at mailbox/folder/uid
};

class SyncSink {
 public:
  virtual ~SyncSink() = default;

  // The folder's checkpoint, or nullopt before its first sync.
  virtual core::Result<std::optional<FolderCheckpoint>> GetCheckpoint(
      const std::string& mailbox, const std::string& folder) = 0;

  // Records that every UID <= cp.last_uid under cp.uid_validity is committed
  // and that the folder was synced at `now`.
  virtual core::Status AdvanceCheckpoint(const std::string& mailbox,
                                         const std::string& folder,
                                         FolderCheckpoint cp,
                                         core::TimePoint now) = 0;

  // When inboxd first synced `mailbox`; the first call records `now`.
  virtual core::Result<core::TimePoint> FirstSeenAt(const std::string& mailbox,
                                                    core::TimePoint now) = 0;

  // Commits the message bytes (idempotent, see above).
  virtual core::Result<PutOutcome> PutRawMessage(const SyncedMessage& m) = 0;

  // Batching (optional; the defaults do nothing, so every call commits on
  // its own). BeginBatch opens a batch on the calling thread; CommitBatch
  // commits it (on an error nothing of it is committed); RollbackBatch drops
  // an open batch and is a no-op without one. Callers pair them on one
  // thread. Errors: kFailedPrecondition for a second BeginBatch or a
  // CommitBatch without one; the store's errors otherwise.
  virtual core::Status BeginBatch() { return core::Ok(); }
  virtual core::Status CommitBatch() { return core::Ok(); }
  virtual void RollbackBatch() {}

  // Appends an audit event ("ingest.uidvalidity_changed", ...); `data_json`
  // is a JSON object.
  virtual core::Status Audit(const std::string& type,
                             const std::string& mailbox,
                             const std::string& data_json) = 0;
};

}  // namespace inboxd::ingest
