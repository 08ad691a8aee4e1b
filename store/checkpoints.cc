// checkpoints.cc: per-folder IMAP sync checkpoints (UIDVALIDITY, last UID).
#include <string>

#include "store/internal.h"

namespace inboxd::store {

namespace {

using internal::Bytes;
using internal::Dump;
using internal::FromUnix;
using internal::ToUnix;

// Without the message count: the sync's hot path (GetCheckpoint and
// AdvanceCheckpoint, every checkpoint window) must not count the folder's
// locations, a cost that grows with the store (issue 13).
constexpr char kSelect[] =
    "SELECT c.mailbox, c.folder, c.uid_validity, c.last_uid, c.last_sync_at, "
    "c.first_seen_at, 0 FROM checkpoints c";
// With it, for ListCheckpoints (`inboxd status`).
constexpr char kSelectCounted[] =
    "SELECT c.mailbox, c.folder, c.uid_validity, c.last_uid, c.last_sync_at, "
    "c.first_seen_at, (SELECT COUNT(*) FROM message_locations l WHERE "
    "l.mailbox = c.mailbox AND l.folder = c.folder AND l.uid_validity = "
    "c.uid_validity) FROM checkpoints c";

Checkpoint ReadCheckpoint(const SQLite::Statement& st) {
  Checkpoint c;
  c.mailbox = Bytes(st.getColumn(0));
  c.folder = Bytes(st.getColumn(1));
  c.uid_validity = static_cast<uint32_t>(st.getColumn(2).getInt64());
  c.last_uid = static_cast<uint32_t>(st.getColumn(3).getInt64());
  c.last_sync_at = FromUnix(st.getColumn(4).getInt64());
  c.first_seen_at = FromUnix(st.getColumn(5).getInt64());
  c.messages = st.getColumn(6).getInt64();
  return c;
}

core::Result<Checkpoint> LoadCheckpoint(SQLite::Database& db,
                                        const std::string& mailbox,
                                        const std::string& folder) {
  SQLite::Statement st(
      db, std::string(kSelect) + " WHERE c.mailbox = ? AND c.folder = ?");
  st.bind(1, mailbox);
  st.bind(2, folder);
  if (!st.executeStep()) {
    return core::Fail(
        core::Error::NotFound("no checkpoint for " + mailbox + "/" + folder));
  }
  return ReadCheckpoint(st);
}

}  // namespace

core::Result<Checkpoint> Store::GetCheckpoint(const std::string& mailbox,
                                              const std::string& folder) {
  return Read("get checkpoint",
              [&]() { return LoadCheckpoint(*db_, mailbox, folder); });
}

core::Result<Checkpoint> Store::AdvanceCheckpoint(const std::string& mailbox,
                                                  const std::string& folder,
                                                  uint32_t uid_validity,
                                                  uint32_t last_uid) {
  const std::string what = "advance checkpoint " + mailbox + "/" + folder;
  if (mailbox.empty() || folder.empty()) {
    return core::Fail(
        core::Error::InvalidArgument(what + ": empty mailbox or folder"));
  }
  if (uid_validity == 0) {
    return core::Fail(
        core::Error::InvalidArgument(what + ": uid_validity must be > 0"));
  }
  return Write(what.c_str(), [&]() -> core::Result<Checkpoint> {
    const int64_t now = ToUnix(clock_->Now());
    auto old = LoadCheckpoint(*db_, mailbox, folder);
    if (!old && old.error().code != core::Code::kNotFound) {
      return core::Fail(old.error());
    }
    if (!old) {
      SQLite::Statement st(
          *db_,
          "INSERT INTO checkpoints (mailbox, folder, uid_validity, last_uid, "
          "first_seen_at, last_sync_at) VALUES (?, ?, ?, ?, ?, ?)");
      st.bind(1, mailbox);
      st.bind(2, folder);
      st.bind(3, static_cast<int64_t>(uid_validity));
      st.bind(4, static_cast<int64_t>(last_uid));
      st.bind(5, now);
      st.bind(6, now);
      Exec(st);
      AppendEventLocked({.type = "checkpoint.created",
                         .mailbox = mailbox,
                         .data = Dump({{"folder", folder},
                                       {"uid_validity", uid_validity},
                                       {"last_uid", last_uid}})});
    } else if (old->uid_validity == uid_validity) {
      // Forward only: a smaller last_uid (a late or repeated report) is
      // ignored, but the sync time still moves.
      SQLite::Statement st(
          *db_,
          "UPDATE checkpoints SET last_uid = MAX(last_uid, ?), last_sync_at "
          "= ? WHERE mailbox = ? AND folder = ?");
      st.bind(1, static_cast<int64_t>(last_uid));
      st.bind(2, now);
      st.bind(3, mailbox);
      st.bind(4, folder);
      Exec(st);
    } else {
      // RFC 3501 2.3.1.1: a new UIDVALIDITY invalidates every old UID; the
      // folder is rescanned and PutRawMessage's dedupe absorbs what is known.
      SQLite::Statement st(
          *db_,
          "UPDATE checkpoints SET uid_validity = ?, last_uid = ?, "
          "last_sync_at = ? WHERE mailbox = ? AND folder = ?");
      st.bind(1, static_cast<int64_t>(uid_validity));
      st.bind(2, static_cast<int64_t>(last_uid));
      st.bind(3, now);
      st.bind(4, mailbox);
      st.bind(5, folder);
      Exec(st);
      AppendEventLocked({.type = "checkpoint.uidvalidity_changed",
                         .mailbox = mailbox,
                         .data = Dump({{"folder", folder},
                                       {"old_uid_validity", old->uid_validity},
                                       {"old_last_uid", old->last_uid},
                                       {"uid_validity", uid_validity},
                                       {"last_uid", last_uid}})});
    }
    return LoadCheckpoint(*db_, mailbox, folder);
  });
}

core::Result<std::vector<Checkpoint>> Store::ListCheckpoints() {
  return Read("list checkpoints",
              [&]() -> core::Result<std::vector<Checkpoint>> {
                SQLite::Statement st(*db_, std::string(kSelectCounted) +
                                               " ORDER BY c.mailbox, c.folder");
                std::vector<Checkpoint> out;
                while (st.executeStep()) out.push_back(ReadCheckpoint(st));
                return out;
              });
}

}  // namespace inboxd::store
