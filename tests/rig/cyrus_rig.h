// cyrus_rig.h: a private, real Cyrus IMAP 3.6 server for integration tests.
//
// Does: runs Debian's Cyrus by hand beside Dovecot (DEPS-FACTS section 7;
// the quirks are named where cyrus_rig.cc works around them): master, lmtpd and
// ctl_cyrusdb from the cyrus-common package, imapd and idled from the
// cyrus-imapd .deb that scripts/install-deps --with-servers unpacks into
// kCyrusImapdDir (the package conflicts with dovecot-imapd). Writes a
// private imapd.conf + cyrus.conf into a fresh temp dir (every cmd= with its
// own -C, since master does not pass it on; Debian's name space: INBOX and
// INBOX.Sent, separator "."; idled on, so IDLE reports news at once; a
// self-signed cert for imaps:// and STARTTLS; users in a private sasldb);
// listens on free 127.0.0.1 high ports (imap, imaps, lmtp); runs master as
// the cyrus user, stops it by its pid and removes the dir. The admin
// "cyrus" creates user.<name> and user.<name>.Sent (\Sent SPECIAL-USE) for
// each user. Helpers work through IMAP as the user (APPEND without flags,
// EXAMINE + FETCH FLAGS) and by the server's proc files (kick).
// Does not: offer XOAUTH2/OAUTHBEARER (Debian's Cyrus SASL has no such
// server mechanism), or NOTIFY (Cyrus 3.6 does not implement it).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tests/rig/mail_server_rig.h"

namespace inboxd::tests {

// Where scripts/install-deps unpacks the cyrus-imapd package.
inline constexpr std::string_view kCyrusImapdDir =
    "/opt/inboxd-test/cyrus-imapd";

class CyrusRig : public MailServerRig {
 public:
  // Starts a server with `users` (each gets INBOX and INBOX.Sent). Needs
  // root (master runs as the cyrus user). Errors: kUnavailable when Cyrus
  // cannot be installed or does not come up (the message quotes master's
  // log), or the admin cannot create the users' folders.
  static core::Result<std::unique_ptr<CyrusRig>> Start(
      const std::vector<User>& users);
  ~CyrusRig() override;

  std::string_view server() const override { return "cyrus"; }
  int imap_port() const override { return imap_port_; }
  int imaps_port() const override { return imaps_port_; }
  // LMTP on 127.0.0.1, no AUTH needed (lmtpd -a). lmtpd adds Return-Path,
  // Received, X-Cyrus-Session-Id, X-Sieve, and a Message-ID and Date when
  // missing, and "user+Sent" lands in INBOX (no "p" right on Sent): tests
  // that compare exact bytes use DeliverUnseen instead.
  int lmtp_port() const { return lmtp_port_; }
  const std::string& dir() const override { return dir_; }
  std::string SentFolder() const override { return "INBOX.Sent"; }

  // APPEND as `user`, no flags.
  core::Status DeliverUnseen(const std::string& user, const std::string& folder,
                             const std::string& raw) override;
  // One APPEND for all (MULTIAPPEND, RFC 3502, with LITERAL+ literals):
  // Cyrus takes ~15 ms per APPEND on its own, mostly fsync.
  core::Status DeliverManyUnseen(const std::string& user,
                                 const std::string& folder,
                                 const std::vector<std::string>& raws) override;
  // SIGTERM to each imapd whose proc file (run/proc/<pid>) names `user`.
  core::Status Kick(const std::string& user) const override;
  // EXAMINE + UID FETCH 1:* (FLAGS) as `user` (Cyrus keeps \Seen per user).
  core::Result<std::vector<std::string>> Flags(
      const std::string& user, const std::string& folder) const override;
  // Cyrus cannot renumber one folder in place (and RENAME INBOX crashes
  // imapd 3.6.1), so every folder of `user` is copied to a stash, the admin
  // deletes and recreates the user, and the messages are copied back: each
  // folder of the user gets a new UIDVALIDITY. kUnavailable when any step
  // fails or the UIDVALIDITY did not change.
  core::Status ResetUidValidity(const std::string& user,
                                const std::string& folder) override;
  core::Status Restart() override;
  core::Status Stop() override;

 private:
  CyrusRig() = default;
  core::Status Launch();
  core::Result<RigImapSession> Admin() const;
  core::Result<RigImapSession> As(const std::string& user) const;
  // user.<user> for "INBOX", user.<user>.<rest> for "INBOX.<rest>".
  static std::string AdminName(const std::string& user,
                               const std::string& folder);
  // Why the server may not have come up: master alive or not, which ports
  // listen, unknown config options, master's output.
  std::string Diagnosis() const;

  std::string dir_;
  std::string admin_password_;
  int imap_port_ = 0;
  int imaps_port_ = 0;
  int lmtp_port_ = 0;
  bool running_ = false;
};

}  // namespace inboxd::tests
