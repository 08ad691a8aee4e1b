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
#include <utility>
#include <vector>

#include "core/error.h"

namespace inboxd::tests {

class DovecotRig {
 public:
  struct User {
    std::string name;
    std::string password;
  };

  // Starts a server with `users` (each gets INBOX and Sent). Errors:
  // kUnavailable when dovecot cannot be installed or does not come up (the
  // message quotes the rig's log).
  static core::Result<std::unique_ptr<DovecotRig>> Start(
      const std::vector<User>& users);
  ~DovecotRig();

  int imap_port() const { return imap_port_; }
  int imaps_port() const { return imaps_port_; }
  std::string imap_url() const;   // imap://127.0.0.1:<port>
  std::string imaps_url() const;  // imaps://127.0.0.1:<port>
  const std::string& dir() const { return dir_; }
  std::string ca_file() const { return dir_ + "/cert.pem"; }

  // The Maildir directory of `folder` ("INBOX" or e.g. "Sent").
  std::string MaildirOf(const std::string& user,
                        const std::string& folder) const;
  // Writes `raw` as a new, unseen message (tmp/ then rename into new/).
  core::Status DeliverUnseen(const std::string& user, const std::string& folder,
                             const std::string& raw);
  // Runs `doveadm -c <conf> <args>`; returns stdout. kUnavailable on failure.
  core::Result<std::string> Doveadm(const std::string& args) const;
  // Drops every IMAP session of `user` (as a server fault would).
  core::Status Kick(const std::string& user) const;
  // "uid flags" lines of every message in `folder`, e.g. {"1 \Recent"}.
  core::Result<std::vector<std::string>> Flags(const std::string& user,
                                               const std::string& folder) const;
  // Deletes the folder's uidlist and indexes so Dovecot assigns a new
  // UIDVALIDITY and renumbers (kicks the user first).
  core::Status ResetUidValidity(const std::string& user,
                                const std::string& folder);
  // Stops and starts the server on the same ports.
  core::Status Restart();
  core::Status Stop();

 private:
  DovecotRig() = default;
  core::Status Launch();

  std::string dir_;
  int imap_port_ = 0;
  int imaps_port_ = 0;
  bool running_ = false;
  int seq_ = 0;
};

// Runs `cmd` through /bin/sh; returns stdout, kUnavailable with the exit
// status and output on failure.
core::Result<std::string> RunShell(const std::string& cmd);

}  // namespace inboxd::tests
