// sync_fake_source.h: FakeMailSource, an in-memory MailSource for tests of
// the sync engine and daemon.
//
// Does: folders of messages with UIDs, UIDVALIDITY and INTERNALDATE, the
// "n:*" quirk of UID SEARCH, SPECIAL-USE \Sent, Append, a Message-ID
// search, flags with CONDSTORE-style MODSEQs (Deliver, Append, Expunge and
// SetFlags take the folder's next mod-sequence unless a test names one), and
// IDLE: StartIdle returns a pipe that Deliver() and Expunge() make readable.
// Connect() gives a connection of its own (own IDLE) to the same folders, for
// the daemon, which opens one per folder. Fault injection:
// FailCallAt(n, code) makes the nth method call from now fail (LevelDB
// SpecialEnv style).
// Thread-safe (a test thread may Deliver while the daemon waits). Does not:
// speak IMAP.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ingest/mail_source.h"

namespace inboxd::ingest {

class FakeMailSource : public MailSource {
 public:
  FakeMailSource() = default;
  ~FakeMailSource() override;
  FakeMailSource(const FakeMailSource&) = delete;
  FakeMailSource& operator=(const FakeMailSource&) = delete;
  struct Folder {
    uint32_t uid_validity = 1;
    uint32_t uid_next = 1;
    std::map<uint32_t, FetchedMessage> messages;
    std::map<uint32_t, MessageFlags> flags;  // one entry per message
    uint64_t highest_modseq = 0;
    bool is_sent = false;
  };

  // Adds `raw` to `folder` (created on first use) with the next UID and
  // returns that UID.
  uint32_t Deliver(const std::string& folder, std::string raw,
                   core::TimePoint internal_date);
  void Expunge(const std::string& folder, uint32_t uid);
  // Renumbers every message from UID 1 under a new UIDVALIDITY (as after a
  // server rebuild of its index).
  void ResetUidValidity(const std::string& folder, uint32_t uid_validity);
  void MarkSent(const std::string& folder);
  // Sets the flags of message `uid` (as another client's STORE would) and
  // its MODSEQ: `modseq` when > 0 (the folder's HIGHESTMODSEQ rises to it
  // when lower), else the folder's next mod-sequence. Returns the MODSEQ
  // given, or 0 when there is no such message. Does not wake an IDLE
  // (only new or expunged mail does).
  uint64_t SetFlags(const std::string& folder, uint32_t uid,
                    std::vector<std::string> flags, uint64_t modseq = 0);
  // false: FetchFlags answers like a server without CONDSTORE (no MODSEQs,
  // `changed_since` ignored). Default true.
  void SetCondstore(bool condstore);
  void SetPush(bool push);
  // true: WatchFolders succeeds (a server with NOTIFY). Default false.
  void SetNotify(bool notify);
  // The nth call (1-based, counting every MailSource method) from now fails
  // with `code`; 0 disables.
  void FailCallAt(int n, core::Code code = core::Code::kUnavailable);
  // Method calls so far, by name ("Fetch" -> 12).
  std::map<std::string, int> Calls() const;
  // A new connection: every call is forwarded here (and counted, and may
  // fail by FailCallAt) except that it has its own IDLE. Must not outlive
  // this source.
  std::unique_ptr<MailSource> Connect();

  core::Result<FolderState> Examine(const std::string& folder) override;
  core::Result<std::vector<uint32_t>> ListUidsFrom(const std::string& folder,
                                                   uint32_t first_uid) override;
  core::Result<std::vector<MessageMeta>> FetchSizes(
      const std::string& folder, std::span<const uint32_t> uids) override;
  // Same rules as ImapSource::FetchFlags: changed_since honoured only with
  // CONDSTORE, ignored when above the folder's HIGHESTMODSEQ; empty `uids`
  // with changed_since > 0 means every message.
  core::Result<FlagsResult> FetchFlags(const std::string& folder,
                                       std::span<const uint32_t> uids,
                                       uint64_t changed_since) override;
  core::Result<FetchedMessage> Fetch(const std::string& folder,
                                     uint32_t uid) override;
  core::Result<FetchedMessage> FetchHeader(const std::string& folder,
                                           uint32_t uid) override;
  core::Status Append(const std::string& folder, std::string_view raw,
                      std::span<const std::string> flags,
                      std::optional<core::TimePoint> internal_date) override;
  // Parses each stored message's header block and compares every
  // Message-ID field, normalised, with `message_id` exactly.
  core::Result<bool> ContainsMessageId(const std::string& folder,
                                       std::string_view message_id) override;
  core::Result<std::vector<FolderInfo>> ListFolders() override;
  core::Result<bool> SupportsPush() override;
  // A change is any Deliver or Expunge (of any folder) after the
  // connection's last Examine or ListUidsFrom (what an IMAP session last
  // saw: a server reports what came since with the IDLE, so a delivery
  // between a sync and its IDLE is news), else after StartIdle.
  core::Result<IdleWait> StartIdle(const std::string& folder) override;
  core::Result<bool> ReadIdle() override;
  core::Result<bool> StopIdle() override;
  core::Result<bool> WatchFolders(
      std::span<const std::string> folders) override;

  // One connection's IDLE: a pipe written by Deliver/Expunge.
  struct Idle {
    int fds[2] = {-1, -1};
    uint64_t start = 0;
    std::optional<uint64_t> seen;  // version_ at the last look
  };
  core::Result<FolderState> ExamineOn(const std::string& folder, Idle* idle);
  core::Result<std::vector<uint32_t>> ListUidsFromOn(const std::string& folder,
                                                     uint32_t first_uid,
                                                     Idle* idle);
  core::Result<IdleWait> StartIdleOn(Idle* idle);
  core::Result<bool> ReadIdleOn(Idle* idle);
  core::Result<bool> StopIdleOn(Idle* idle);
  // Ends `idle` without counting a call (a connection's destructor).
  void EndIdle(Idle* idle);

 private:
  bool ForgetIdle(Idle* idle);  // with mu_ held
  // Makes every active IDLE's pipe readable. Called with mu_ held.
  void WakeIdles();
  // Counts the call; returns the injected error when it is due.
  core::Status Enter(const char* method);
  Folder* Find(const std::string& folder);

  mutable std::mutex mu_;
  std::map<std::string, Folder> folders_;
  std::map<std::string, int> calls_;
  uint64_t version_ = 0;   // bumped by Deliver/Expunge
  std::set<Idle*> idles_;  // active IDLEs
  Idle own_idle_;
  int fail_at_ = 0;
  core::Code fail_code_ = core::Code::kUnavailable;
  bool push_ = true;
  bool notify_ = false;
  bool condstore_ = true;
};

}  // namespace inboxd::ingest
