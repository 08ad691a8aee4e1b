// client_state.h: ticket state from the agents' own mail client (issue 9
// item 6), so agents never leave Outlook or Thunderbird.
//
// A configured IMAP keyword on one of a ticket's messages ([tickets]
// close_keywords, default "$Done"; waiting_keywords, default "$Waiting"), or
// the message filed in a configured folder ([tickets] close_folders,
// waiting_folders), closes the ticket or sets it waiting (lifecycle.h Close,
// SetWaiting: clocks pause, D7 and the satisfaction mail start on closing).
//
// How it watches: every [tickets] poll_every per mailbox, the IMAP places
// of every message of every ticket that is not closed
// (Store::ListOpenTicketLocations) are read, per folder, with one read-only
// FLAGS fetch (FlagSource; over IMAP, ingest::MailSource::FetchFlags). With
// CONDSTORE the fetch asks only for messages changed since the last
// HIGHESTMODSEQ seen (kept in memory: a restart reads everything once);
// without it, the flags of those messages are read again each time (a
// bounded fetch: only open tickets' messages). Folders: a message of an
// open ticket seen in a state folder (ingest syncs those folders like
// incoming ones) is a mark "folder:<name>".
//
// Each mark acts once (Store::AddClientMark): a keyword left on an old
// message does not close a ticket again after the customer reopened it; a
// keyword removed in the client is forgotten, so setting it again acts
// again. Each change is a "ticket.state" audit event naming the keyword or
// folder, the message and the folder.
//
// Not here: IMAP (the app adapts ingest::MailSource), deciding what a state
// means for the clocks (lifecycle.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/error.h"
#include "responder/business_calendar.h"
#include "store/store.h"

namespace inboxd::responder {

// The flags of some messages of one folder.
struct FolderFlags {
  uint32_t uid_validity = 0;
  uint64_t highest_modseq = 0;  // 0 without CONDSTORE
  bool condstore = false;
  std::vector<std::pair<uint32_t, std::vector<std::string>>> messages;
};

// Reads flags, never changes them.
class FlagSource {
 public:
  virtual ~FlagSource() = default;
  // The flags of `uids` in `folder` of `mailbox`; with `changed_since` > 0
  // on a CONDSTORE server only those changed since. Errors: kUnavailable,
  // kNotFound (no such folder), kFailedPrecondition (UIDVALIDITY changed).
  virtual core::Result<FolderFlags> ReadFlags(const std::string& mailbox,
                                              const std::string& folder,
                                              std::span<const uint32_t> uids,
                                              uint64_t changed_since) = 0;
};

struct ClientStateReport {
  int folders_read = 0;
  int closed = 0;
  int waiting = 0;
  std::vector<std::string> errors;  // transient, retried next poll
};

class ClientStateWatcher {
 public:
  // `config`, `store` and `flags` are not owned and must outlive it.
  // kInvalidArgument on a bad mailbox zone or calendar.
  static core::Result<std::unique_ptr<ClientStateWatcher>> Create(
      const config::Config* config, store::Store* store, FlagSource* flags);
  ~ClientStateWatcher();

  // Polls every mailbox whose poll_every has passed since its last poll
  // (every mailbox on the first call, and with `force`).
  ClientStateReport Poll(core::TimePoint now, bool force = false);

 private:
  struct MailboxParts;
  ClientStateWatcher() = default;
  void PollMailbox(MailboxParts& parts, core::TimePoint now,
                   ClientStateReport& report);
  // Acts on the marks now on one message (keywords and state folders).
  core::Status Apply(MailboxParts& parts, const store::TicketLocation& loc,
                     const std::vector<std::string>& marks, bool marks_complete,
                     core::TimePoint now, ClientStateReport& report);

  const config::Config* config_ = nullptr;
  store::Store* store_ = nullptr;
  FlagSource* flags_ = nullptr;
  std::map<std::string, std::unique_ptr<MailboxParts>, std::less<>> mailboxes_;
};

}  // namespace inboxd::responder
