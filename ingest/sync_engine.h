// sync_engine.h: syncs one mailbox folder from a MailSource into a SyncSink.
//
// Does, per folder (SyncFolder): read the checkpoint; EXAMINE; on a changed
// UIDVALIDITY log, audit and rescan from UID 1 (the sink's dedupe by
// Message-ID + SHA-256 absorbs every message already stored); list UIDs above
// the checkpoint; fetch them in UID order (groups of up to kFetchGroupBytes
// in one round trip, MailSource::FetchMany); store each (raw bytes committed)
// THEN advance the checkpoint (at most kCheckpointEvery messages or
// kCheckpointInterval behind, at the end, and before returning an error; a
// crash refetches the gap and the store's dedupe absorbs it). The calls of
// one such window run in one sink batch (SyncSink::BeginBatch), committed
// right after the window's checkpoint advance, so bytes and checkpoint
// become durable together (a crash loses the open window whole, and the
// next run refetches it). A message over
// limits.max_message_bytes is stored as a quarantine record holding only its
// header block, with an audit event: nothing is skipped silently. Each message
// is marked ack_eligible when its INTERNALDATE is at most ack_window before the
// mailbox's first sync (and the folder is not the Sent folder). Logs progress
// every kProgressEvery messages or kProgressSeconds. Targets + SyncAll do every
// watched folder plus the Sent folder (configured, else \Sent SPECIAL-USE).
// Does not: retry (the daemon loop does, with backoff), parse MIME, classify.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/limits.h"
#include "ingest/mail_source.h"
#include "ingest/sync_sink.h"

namespace inboxd::ingest {

inline constexpr size_t kProgressEvery = 500;
inline constexpr std::chrono::seconds kProgressSeconds{5};
// The checkpoint is written after at most this many stored messages or this
// long (a window is one sink batch, one store transaction; a crash refetches
// at most these, deduplicated by the store).
inline constexpr size_t kCheckpointEvery = 100;
inline constexpr std::chrono::seconds kCheckpointInterval{2};
// UIDs whose sizes are asked for in one round trip.
inline constexpr size_t kSyncBatch = 500;
// Messages fetched in one round trip (MailSource::FetchMany): consecutive
// UIDs of a size batch up to this many bytes by RFC822.SIZE (at least one
// message), so a first sync is bound by the server and the disk rather than
// by one round trip per message, and memory stays bounded.
inline constexpr uint64_t kFetchGroupBytes = 4 << 20;
// A sync of at least this many messages shows progress.
inline constexpr size_t kBarMinMessages = 50;

struct SyncTarget {
  std::string mailbox;  // config name
  std::string folder;   // IMAP wire name
  FolderRole role = FolderRole::kIncoming;
  std::chrono::seconds ack_window{2 * 3600};
};

struct SyncReport {
  std::string mailbox;
  std::string folder;
  FolderRole role = FolderRole::kIncoming;
  uint32_t uid_validity = 0;
  uint32_t last_uid = 0;  // checkpoint after the run
  size_t fetched = 0;     // messages (or headers) downloaded
  size_t stored_new = 0;  // new bytes in the store
  size_t duplicates = 0;  // bytes already stored (dedupe)
  size_t quarantined = 0;
  size_t errors = 0;  // messages skipped as expunged meanwhile
  bool uid_validity_changed = false;
};

class SyncEngine {
 public:
  // When on, long syncs (kBarMinMessages or more) draw a progress bar on
  // stderr instead of periodic log lines. `inboxd once` turns it on when
  // stderr is a terminal; the daemon never does. Process-wide.
  static void SetProgressBar(bool on);

  // Nothing is owned; all must outlive the engine.
  SyncEngine(MailSource* source, SyncSink* sink, const core::Clock* clock,
             core::Limits limits)
      : source_(source), sink_(sink), clock_(clock), limits_(limits) {}

  // Syncs one folder. On failure the checkpoint stays at the last committed
  // message, so the next call resumes there. Errors: as MailSource
  // (kUnavailable, kPermissionDenied, kNotFound for a missing folder,
  // kFailedPrecondition when UIDVALIDITY changed during the run: call again),
  // and the sink's errors. Error messages name mailbox/folder.
  core::Result<SyncReport> SyncFolder(const SyncTarget& target);
  // SyncFolder stops between two messages (kUnavailable, what is stored
  // committed) once `stop` is requested, as it does on a process shutdown
  // (core/shutdown.h): a config reload does not wait for a long first sync.
  void SetStop(std::stop_token stop) { stop_ = std::move(stop); }

  // The folders of a mailbox to sync: every name in `folders` (incoming)
  // plus `sent_folder`, or when that is "" the folder with the \Sent
  // SPECIAL-USE attribute (none found: no Sent target, logged).
  core::Result<std::vector<SyncTarget>> Targets(
      const std::string& mailbox, const std::vector<std::string>& folders,
      const std::string& sent_folder, std::chrono::seconds ack_window);

  // SyncFolder for each target in turn; stops at the first error.
  core::Result<std::vector<SyncReport>> SyncAll(
      const std::vector<SyncTarget>& targets);

 private:
  // Stores one message: `prefetched` when FetchMany brought it, else
  // fetched here (the header only when it is over the size limit).
  core::Status StoreOne(const SyncTarget& target, uint32_t uid_validity,
                        const MessageMeta& meta, core::TimePoint first_seen,
                        FetchedMessage* prefetched, SyncReport* report);

  MailSource* source_;
  SyncSink* sink_;
  const core::Clock* clock_;
  core::Limits limits_;
  std::stop_token stop_;
};

// "<id@host>" -> "id@host": the first angle-bracketed token of a Message-ID
// header value, or the trimmed value when it has no brackets.
std::string NormalizeMessageId(std::string_view value);

// Checks that `message_id` (without angle brackets) may be searched for
// (MailSource::ContainsMessageId): non-empty, printable ASCII or space, no
// '"' or '\\'. Errors: kInvalidArgument naming the offending id.
core::Status CheckSearchableMessageId(std::string_view message_id);

}  // namespace inboxd::ingest
