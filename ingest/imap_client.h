// imap_client.h: ImapSource, the MailSource of a real IMAP server.
//
// Why this design (issue 3): libcurl's own IMAP commands are unfit for
// ingest (DEPS-FACTS 2.4): a URL fetch sends BODY[] and so sets \Seen in the
// agents' shared mailbox; a batched UID FETCH through CURLOPT_CUSTOMREQUEST
// delivers bodies through the header callback, stops at a body line equal to
// its predictable tag ("A004 OK"), injects body lines starting with "* ", and
// dies on a 300 KB header cap; lines over 16 KB (a long UID SEARCH) are cut
// silently; a custom EXAMINE of another folder corrupts its folder cache. So
// libcurl does only what it is good at (connect, TLS with verification,
// STARTTLS, PLAIN/LOGIN/XOAUTH2 login; CURLOPT_CONNECT_ONLY), and this class
// speaks IMAP4rev1 (RFC 3501) itself over the raw connection, with a
// literal-aware reader (ingest/imap_reader.h) that takes message bytes by
// count, our own unpredictable tags, and no line-length truncation.
//
// Mailbox safety: folders are opened with EXAMINE (read-only, RFC 3501 6.3.2)
// and bodies fetched with BODY.PEEK[], so no flag ever changes because of
// inboxd (belt and braces: either alone would do). The one write is Append.
//
// Does: EXAMINE, UID SEARCH (ESEARCH when offered, RFC 4731; HEADER search
// for ContainsMessageId), UID FETCH (FLAGS with MODSEQ and CHANGEDSINCE when
// CONDSTORE is offered, RFC 7162),
// APPEND (LITERAL+ when offered), LIST with SPECIAL-USE (RFC 6154), IDLE
// (RFC 2177) with DONE. Reconnects lazily: a call that fails on a connection
// that was already open (server restart, `doveadm kick`) reconnects and
// retries once, except Append. After a reconnect, a changed UIDVALIDITY of the
// folder in use is reported as kFailedPrecondition instead of fetching
// another message under an old UID. Does not: parse MIME, decode modified
// UTF-7, keep state across processes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "ingest/imap_parser.h"
#include "ingest/imap_reader.h"
#include "ingest/imap_transport.h"
#include "ingest/mail_source.h"

namespace inboxd::ingest {

// Opens a new logged-in connection (CurlImapTransport::Connect in
// production; a scripted transport in tests).
using ImapConnector =
    std::function<core::Result<std::unique_ptr<ImapTransport>>()>;

// Longest UID set in one UID FETCH of flags (RFC 7162 section 4 asks for
// command lines under 8192 octets; RFC 2683 3.2.1.5 suggested 1000).
inline constexpr size_t kFlagsSetChars = 4000;

struct ImapSourceOptions {
  std::string mailbox;  // config name, used in every error message
  ImapReaderLimits limits;
  // A response that makes no progress for this long fails the call.
  std::chrono::seconds io_timeout{60};
  // How often a waiting IDLE checks its stop token.
  std::chrono::milliseconds stop_check{250};
};

class ImapSource final : public MailSource {
 public:
  ImapSource(ImapConnector connect, ImapSourceOptions options);
  ~ImapSource() override;

  core::Result<FolderState> Examine(const std::string& folder) override;
  core::Result<std::vector<uint32_t>> ListUidsFrom(const std::string& folder,
                                                   uint32_t first_uid) override;
  core::Result<std::vector<MessageMeta>> FetchSizes(
      const std::string& folder, std::span<const uint32_t> uids) override;
  // Always a fresh EXAMINE (with the CONDSTORE parameter when offered, so
  // HIGHESTMODSEQ is current), then UID FETCH <set> (UID FLAGS [MODSEQ])
  // [(CHANGEDSINCE n)], the UID set split so that no command line passes
  // kFlagsSetChars. UIDVALIDITY is checked as for FetchSizes. An unsolicited
  // FETCH (another session's STORE) counts when it carries the UID; the last
  // FLAGS seen for a UID wins.
  core::Result<FlagsResult> FetchFlags(const std::string& folder,
                                       std::span<const uint32_t> uids,
                                       uint64_t changed_since) override;
  core::Result<FetchedMessage> Fetch(const std::string& folder,
                                     uint32_t uid) override;
  core::Result<FetchedMessage> FetchHeader(const std::string& folder,
                                           uint32_t uid) override;
  // One UID FETCH <set> (UID INTERNALDATE RFC822.SIZE BODY.PEEK[]) per at
  // most kSizesPerCommand UIDs: the server streams the literals back to
  // back instead of one round trip per message (issue 13).
  core::Result<std::vector<FetchedMessage>> FetchMany(
      const std::string& folder, std::span<const uint32_t> uids) override;
  core::Status Append(const std::string& folder, std::string_view raw,
                      std::span<const std::string> flags,
                      std::optional<core::TimePoint> internal_date) override;
  // EXAMINE, then UID SEARCH HEADER Message-ID "<id>" (a substring match on
  // most servers), then UID FETCH BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)] of
  // the hits to compare the normalised id exactly. Does not adopt a changed
  // UIDVALIDITY (the sync engine's next call still reports it).
  core::Result<bool> ContainsMessageId(const std::string& folder,
                                       std::string_view message_id) override;
  core::Result<std::vector<FolderInfo>> ListFolders() override;
  // NAMESPACE (RFC 2342) when offered: the first personal namespace.
  core::Result<NamespaceInfo> PersonalNamespace() override;
  core::Result<bool> SupportsPush() override;
  // IDLE (RFC 2177) in three steps: StartIdle opens `folder` if needed,
  // sends IDLE, waits (io_timeout) for the "+" and returns the socket; a
  // change noted before (an EXISTS seen by an earlier command) or during the
  // handshake returns changed = true with IDLE already ended. ReadIdle
  // drains what has arrived (reader buffer, TLS buffer, socket) without
  // blocking. StopIdle sends DONE and reads up to its tagged OK. Any other
  // command while idling ends the IDLE first.
  core::Result<IdleWait> StartIdle(const std::string& folder) override;
  // With NOTIFY and IDLE offered: "NOTIFY SET (SELECTED (MessageNew
  // MessageExpunge)) (MAILBOXES (<folders>) (MessageNew MessageExpunge))",
  // set again on every reconnect (which counts every watched folder as
  // changed). A NOTIFY refused with NO/BAD returns false (logged). Then
  // StartIdle sends NOTIFY SET STATUS before each IDLE and compares each
  // folder's MESSAGES and UIDNEXT with its last EXAMINE, and an EXAMINE of a
  // watched folder that shows other counts than the last one is news.
  core::Result<bool> ReadIdle() override;
  core::Result<bool> StopIdle() override;
  core::Result<bool> WatchFolders(
      std::span<const std::string> folders) override;

  // The server's capabilities after login (upper case); connects if needed.
  core::Result<std::set<std::string>> Capabilities();

  // Sends LOGOUT (best effort; DONE first when idling) and closes the
  // connection.
  void Close();
  // Connections opened so far (for tests of reconnect behaviour).
  int connects() const { return connects_; }

 private:
  struct Reply {
    std::vector<ImapResponse> untagged;
    ImapResponse tagged;
  };

  core::Status EnsureConnected();
  // Opens `folder` with EXAMINE unless it is the open one. With `verify`, a
  // UIDVALIDITY different from the first one seen fails.
  // A failed EXAMINE is kNotFound when LIST does not show the folder as
  // selectable. With `condstore`, sends "EXAMINE folder (CONDSTORE)" (RFC
  // 7162 3.1.8; the caller checks the capability). Sets
  // open_highest_modseq_ from [HIGHESTMODSEQ n] (0 when absent or
  // [NOMODSEQ]).
  core::Result<FolderState> Open(const std::string& folder, bool verify,
                                 bool condstore = false);
  // True when LIST shows `folder` and it may be selected.
  core::Result<bool> Listed(const std::string& folder);
  // Sends "<tag> <command>\r\n" (plus `literal` after the server's go-ahead)
  // and collects the responses up to the tagged one. A tagged NO/BAD becomes
  // an error; any transport or protocol failure closes the connection.
  core::Result<Reply> Run(std::string_view command,
                          std::optional<std::string_view> literal = {});
  core::Result<ImapResponse> ReadOne(std::chrono::milliseconds timeout);
  // Notes EXISTS/EXPUNGE/BYE seen outside the command that asked for them.
  void NoteUntagged(const ImapResponse& r);
  // Handles one response read while idling: untagged ones are noted (EXISTS
  // and EXPUNGE mark the open folder changed); anything else is a protocol
  // error.
  core::Status IdleResponse(const ImapResponse& r);
  // True when `folder` or a watched folder has news.
  bool WatchedChanged(const std::string& folder) const;
  bool IsWatched(const std::string& folder) const;
  // NOTIFY SET for watched_ (RFC 5465); with `status`, the server answers
  // with every watched folder's STATUS at once (NoteUntagged compares it).
  core::Status SetNotify(bool status);
  void Drop();
  core::Result<FetchedMessage> FetchSection(const std::string& folder,
                                            uint32_t uid, bool header_only);
  // Runs `f` and, when it failed with kUnavailable on a connection that was
  // open before the call, reconnects and runs it once more.
  template <typename F>
  auto WithRetry(F f) -> decltype(f());
  std::string Context(std::string_view op, const std::string& folder) const;

  ImapConnector connect_;
  ImapSourceOptions options_;
  std::unique_ptr<ImapTransport> transport_;
  std::unique_ptr<ImapReader> reader_;
  std::set<std::string> capabilities_;  // upper case
  std::string open_folder_;             // "" = none
  uint32_t open_exists_ = 0;
  uint32_t open_uid_next_ = 0;        // from the EXAMINE; 0 = not reported
  uint64_t open_highest_modseq_ = 0;  // from the EXAMINE; 0 = none
  // Folders with news (a higher EXISTS, an EXPUNGE during IDLE, a NOTIFY
  // STATUS) since their last Examine or UID listing.
  std::set<std::string> changed_;
  std::vector<std::string> watched_;  // by NOTIFY, set again on reconnect
  struct Seen {
    uint32_t uid_next = 0;
    uint32_t exists = 0;
  };
  std::map<std::string, Seen> seen_;  // per folder, at its last EXAMINE
  std::string idle_tag_;              // the running IDLE's tag; "" = none
  std::string idle_folder_;
  std::map<std::string, uint32_t> uid_validity_;  // first seen per folder
  uint64_t next_tag_ = 1;
  std::string tag_prefix_;
  int connects_ = 0;
};

}  // namespace inboxd::ingest
