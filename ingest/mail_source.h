// mail_source.h: the interface through which inboxd reads (and, for the Sent
// copy of C1, appends to) a remote mail store.
//
// Does: describe the few operations the sync engine needs, keyed by folder
// name and UID. Implementations: ImapSource (ingest/imap_client.h, a real IMAP
// server) and FakeMailSource (ingest/sync_fake_source.h, in memory, with fault
// injection). Does not: parse MIME, store anything, or decide what is new (the
// sync engine compares against its checkpoint).
//
// Folder names are IMAP wire names (modified UTF-7, RFC 3501 5.1.3), exactly as
// ListFolders returns them; "INBOX" is case-insensitive.
// Contract shared by every method: no method ever changes a flag of a message
// in the mailbox (IMAP: EXAMINE + BODY.PEEK only). Errors:
//   kUnavailable        network failure, timeout, server NO/BYE; retry later
//   kPermissionDenied   login refused or token rejected (names the mailbox)
//   kNotFound           the folder or UID does not exist (expunged meanwhile)
//   kFailedPrecondition the folder's UIDVALIDITY changed since this source
//                       first examined it (the UIDs the caller holds are void)
//   kDataLoss           the server sent more than a configured limit
// An implementation is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace inboxd::ingest {

// What EXAMINE reports about a folder (RFC 3501 6.3.2).
struct FolderState {
  uint32_t uid_validity = 0;
  uint32_t uid_next = 0;  // 0 when the server did not say
  uint32_t exists = 0;
};

// Size and arrival of one message, without its bytes.
struct MessageMeta {
  uint32_t uid = 0;
  core::TimePoint internal_date;  // the server's arrival time (INTERNALDATE)
  uint64_t size = 0;              // RFC822.SIZE
};

// One fetched message: its exact bytes as the server stores them.
struct FetchedMessage {
  uint32_t uid = 0;
  core::TimePoint internal_date;
  uint64_t size = 0;  // RFC822.SIZE as the server reported it
  std::string raw;    // BODY.PEEK[] (or BODY.PEEK[HEADER] for FetchHeader)
};

// Flags of one message (FETCH FLAGS, RFC 3501 7.4.2), and its MODSEQ when the
// server has CONDSTORE (RFC 7162), else 0.
struct MessageFlags {
  uint32_t uid = 0;
  // As the server spells them ("\\Seen", "$Done" in C++), in the server's
  // order; the session flag \Recent is left out (it differs between sessions
  // and is not something a person set).
  std::vector<std::string> flags;
  uint64_t modseq = 0;
};

// What FetchFlags read from one folder.
struct FlagsResult {
  uint32_t uid_validity = 0;
  // HIGHESTMODSEQ from the EXAMINE before the fetch (CONDSTORE); 0 = none.
  // Pass it as the next call's `changed_since`: a change made after it has
  // a greater MODSEQ, so none is missed (one made between the EXAMINE and
  // the FETCH may be returned twice).
  uint64_t highest_modseq = 0;
  // The server offers CONDSTORE and keeps mod-sequences for this folder
  // (no [NOMODSEQ]); only then is `changed_since` honoured.
  bool condstore = false;
  std::vector<MessageFlags> messages;  // ascending by UID; expunged UIDs absent
};

// One folder from LIST (RFC 3501 6.3.8, RFC 6154 SPECIAL-USE).
struct FolderInfo {
  std::string name;                     // wire name (modified UTF-7)
  std::vector<std::string> attributes;  // "\HasNoChildren", "\Sent", ...
  bool no_select = false;               // \Noselect or \NonExistent
  bool is_sent = false;                 // has the \Sent attribute
  char delimiter = 0;                   // hierarchy separator; 0 = NIL
};

// The personal namespace (RFC 2342): where a user's folders live.
struct NamespaceInfo {
  std::string prefix;  // "" (Dovecot, Exchange, Gmail) or "INBOX." (Cyrus)
  char delimiter = '/';
};

class MailSource {
 public:
  virtual ~MailSource() = default;

  // Opens `folder` read-only and returns its UIDVALIDITY, UIDNEXT and size.
  // Errors: kNotFound (no such folder), kUnavailable, kPermissionDenied.
  virtual core::Result<FolderState> Examine(const std::string& folder) = 0;

  // Returns every UID >= first_uid in `folder`, ascending (the "n:*" quirk of
  // RFC 3501 6.4.8, where "*" matches the last message even when n > max, is
  // filtered out). Errors as Examine, plus kFailedPrecondition.
  virtual core::Result<std::vector<uint32_t>> ListUidsFrom(
      const std::string& folder, uint32_t first_uid) = 0;

  // Returns the size and INTERNALDATE of each UID in `uids` that still exists,
  // ascending by UID; UIDs expunged meanwhile are simply absent.
  virtual core::Result<std::vector<MessageMeta>> FetchSizes(
      const std::string& folder, std::span<const uint32_t> uids) = 0;

  // Reads the flags of `uids` in `folder` (EXAMINE, never \Seen, never STORE).
  // With `changed_since` > 0 and a CONDSTORE server, only messages whose
  // MODSEQ is greater are returned (UID FETCH ... (FLAGS) (CHANGEDSINCE n));
  // without CONDSTORE `changed_since` is ignored and all of `uids` are read.
  // An empty `uids` with changed_since > 0 means "every message of the
  // folder" (UID FETCH 1:* ... CHANGEDSINCE; every message's flags without
  // CONDSTORE); an empty `uids` with changed_since == 0 reads no message and
  // returns only the folder's state. A `changed_since` above the folder's
  // HIGHESTMODSEQ (the server's mod-sequences went backwards, as after a
  // Dovecot index rebuild) is treated as 0: everything asked for is read.
  // Errors as FetchSizes (kFailedPrecondition when UIDVALIDITY changed).
  virtual core::Result<FlagsResult> FetchFlags(const std::string& folder,
                                               std::span<const uint32_t> uids,
                                               uint64_t changed_since) = 0;

  // Returns the full bytes of message `uid`. Errors: kNotFound (expunged),
  // kDataLoss (larger than the source's literal limit), as Examine otherwise.
  virtual core::Result<FetchedMessage> Fetch(const std::string& folder,
                                             uint32_t uid) = 0;

  // The full bytes of every UID in `uids` (ascending), in as few round trips
  // as the source can (ImapSource: one UID FETCH for the whole set), sorted
  // by UID. A UID expunged meanwhile is absent from the result, not an
  // error. The caller bounds the total size (the sync engine groups by
  // RFC822.SIZE). Errors as Fetch; on any error nothing is returned and the
  // caller may fall back to Fetch one UID at a time. This default fetches
  // one at a time.
  virtual core::Result<std::vector<FetchedMessage>> FetchMany(
      const std::string& folder, std::span<const uint32_t> uids) {
    std::vector<FetchedMessage> out;
    for (uint32_t uid : uids) {
      auto m = Fetch(folder, uid);
      if (!m && m.error().code == core::Code::kNotFound) continue;
      if (!m) return core::Fail(m.error());
      out.push_back(std::move(*m));
    }
    return out;
  }

  // As Fetch, but only the header block (for quarantine records of oversized
  // messages).
  virtual core::Result<FetchedMessage> FetchHeader(const std::string& folder,
                                                   uint32_t uid) = 0;

  // Appends `raw` to `folder` with `flags` (e.g. "\Seen") and, when set,
  // `internal_date`. Not retried on a broken connection (it may have landed).
  // Errors: kNotFound (no such folder), kUnavailable, kPermissionDenied.
  virtual core::Status Append(const std::string& folder, std::string_view raw,
                              std::span<const std::string> flags,
                              std::optional<core::TimePoint> internal_date) = 0;

  // True when some message in `folder` has a Message-ID header whose
  // normalised value (ingest::NormalizeMessageId: the text inside the first
  // "<...>") equals `message_id` exactly (given without angle brackets).
  // Used to find our own acknowledgement in the shared Sent folder after a
  // crash. Errors: kInvalidArgument when `message_id` is empty or holds CR,
  // LF, NUL, '"', '\\', another control byte or a non-ASCII byte (nothing is
  // sent then); kNotFound (no such folder), kUnavailable, kPermissionDenied.
  virtual core::Result<bool> ContainsMessageId(const std::string& folder,
                                               std::string_view message_id) = 0;

  // Lists every folder, marking the one(s) with the \Sent SPECIAL-USE.
  virtual core::Result<std::vector<FolderInfo>> ListFolders() = 0;

  // The personal namespace (IMAP NAMESPACE). The default: no prefix, '/'.
  virtual core::Result<NamespaceInfo> PersonalNamespace() {
    return NamespaceInfo{};
  }

  // True when the source can push (IMAP IDLE); false means the caller
  // should poll.
  virtual core::Result<bool> SupportsPush() = 0;

  // Waiting for news in pieces, so that one thread can watch many
  // connections (SyncDaemon's event loop polls every IdleWait::fd):
  // StartIdle puts the connection into push mode on `folder` (IMAP IDLE,
  // RFC 2177) and returns the descriptor to poll for input. While it waits,
  // only ReadIdle and StopIdle may be called. ReadIdle reads what has
  // arrived without blocking and returns true once new or expunged messages
  // were announced; StopIdle leaves push mode (DONE and its tagged OK) and
  // returns the same. Errors of all three as Examine; after an error the
  // connection is closed (the next call reconnects).
  struct IdleWait {
    int fd = -1;           // -1: the source cannot push; poll by timer
    bool changed = false;  // a change is already known: not waiting, sync
  };
  // Asks the source to report news of every folder in `folders` on this
  // one connection (IMAP NOTIFY, RFC 5465): an IDLE on any of them then
  // also ends for the others, and a reconnect counts them all as changed.
  // False: each folder needs a connection of its own. The default: false.
  virtual core::Result<bool> WatchFolders(
      std::span<const std::string> folders) {
    (void)folders;
    return false;
  }
  // The default cannot push (fd -1).
  virtual core::Result<IdleWait> StartIdle(const std::string& folder) {
    (void)folder;
    return IdleWait{};
  }
  virtual core::Result<bool> ReadIdle() { return false; }
  virtual core::Result<bool> StopIdle() { return false; }
};

}  // namespace inboxd::ingest
