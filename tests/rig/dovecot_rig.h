// dovecot_rig.h: a private, real Dovecot IMAP server for integration tests
// and benchmarks.
//
// Does: installs dovecot-imapd only when /usr/sbin/dovecot is missing (via
// scripts/install-deps --with-servers); writes a private config into a fresh
// temp dir (no systemd, passwd-file users, Maildir, a \Sent SPECIAL-USE
// folder "Sent", self-signed cert made with openssl for imaps:// and
// STARTTLS); listens on free 127.0.0.1 high ports; stops by the master's pid
// and removes the dir. Helpers drop unseen messages into Maildir/new, kick
// sessions, read flags with doveadm, and reset a folder's UIDVALIDITY.
// Does not: run as a shared service (one rig per test fixture).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "tests/rig/mail_server_rig.h"

namespace inboxd::tests {

class DovecotRig : public MailServerRig {
 public:
  // Starts a server with `users` (each gets INBOX and Sent). Errors:
  // kUnavailable when dovecot cannot be installed or does not come up (the
  // message quotes the rig's log).
  static core::Result<std::unique_ptr<DovecotRig>> Start(
      const std::vector<User>& users);
  ~DovecotRig() override;

  std::string_view server() const override { return "dovecot"; }
  int imap_port() const override { return imap_port_; }
  int imaps_port() const override { return imaps_port_; }
  const std::string& dir() const override { return dir_; }
  std::string SentFolder() const override { return "Sent"; }

  // The Maildir directory of `folder` ("INBOX" or e.g. "Sent").
  std::string MaildirOf(const std::string& user,
                        const std::string& folder) const;
  // Writes `raw` as a new, unseen message (tmp/ then rename into new/).
  core::Status DeliverUnseen(const std::string& user, const std::string& folder,
                             const std::string& raw) override;
  // Runs `doveadm -c <conf> <args>`; returns stdout. kUnavailable on failure.
  core::Result<std::string> Doveadm(const std::string& args) const;
  // doveadm kick.
  core::Status Kick(const std::string& user) const override;
  // doveadm fetch 'uid flags' ("uid=1 flags=\Recent").
  core::Result<std::vector<std::string>> Flags(
      const std::string& user, const std::string& folder) const override;
  // Deletes the folder's uidlist and indexes so Dovecot assigns a new
  // UIDVALIDITY and renumbers only that folder (kicks the user first).
  core::Status ResetUidValidity(const std::string& user,
                                const std::string& folder) override;
  core::Status Restart() override;
  core::Status Stop() override;

 private:
  DovecotRig() = default;
  core::Status Launch();

  std::string dir_;
  int imap_port_ = 0;
  int imaps_port_ = 0;
  bool running_ = false;
  int seq_ = 0;
};

}  // namespace inboxd::tests
