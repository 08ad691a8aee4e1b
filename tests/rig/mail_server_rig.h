// mail_server_rig.h: what the integration tests ask of a private, real IMAP
// server, whichever it is (DovecotRig, CyrusRig).
//
// Does: name the helpers a test needs besides the IMAP port itself (drop an
// unseen message into a folder, read flags as the owner sees them, kick a
// user's sessions, renumber a folder, restart) and the folder names that
// differ between servers (SentFolder()); RigImapSession is the rig's own
// small plain-text IMAP client on 127.0.0.1 (LOGIN, one command at a time,
// literals), so that a helper does not use the code under test. Shared
// process helpers (free port, shell, file tail) for the rig files.
// Does not: run as a shared service (one rig per test suite), or talk to
// anything but 127.0.0.1.
#pragma once

#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace inboxd::tests {

class MailServerRig {
 public:
  struct User {
    std::string name;
    std::string password;
  };

  virtual ~MailServerRig() = default;

  // "dovecot" or "cyrus", for messages and test names.
  virtual std::string_view server() const = 0;
  virtual int imap_port() const = 0;   // plain, with STARTTLS
  virtual int imaps_port() const = 0;  // TLS from the start
  std::string imap_url() const;        // imap://127.0.0.1:<port>
  std::string imaps_url() const;       // imaps://127.0.0.1:<port>
  // The rig's private directory (config, log, the CA file below).
  virtual const std::string& dir() const = 0;
  // The self-signed certificate both TLS ports present (CN=localhost, SAN
  // 127.0.0.1), to trust as a CA.
  std::string ca_file() const { return dir() + "/cert.pem"; }

  // The wire name of every user's Sent folder, which carries the \Sent
  // SPECIAL-USE attribute: "Sent" on Dovecot, "INBOX.Sent" on Cyrus.
  virtual std::string SentFolder() const = 0;

  // Adds `raw` (exact bytes) to `folder` (a wire name as the user sees it:
  // "INBOX" or SentFolder()) as a new message without \Seen. kUnavailable
  // on failure.
  virtual core::Status DeliverUnseen(const std::string& user,
                                     const std::string& folder,
                                     const std::string& raw) = 0;
  // As DeliverUnseen for each of `raws`, in order. This default delivers
  // one at a time; a server may take them all in one command.
  virtual core::Status DeliverManyUnseen(const std::string& user,
                                         const std::string& folder,
                                         const std::vector<std::string>& raws);
  // Drops every IMAP session of `user` (as a server fault would). Not an
  // error when none is open.
  virtual core::Status Kick(const std::string& user) const = 0;
  // One line per message of `folder` as its owner sees it, ascending by UID:
  // "uid=<uid> flags=<flags separated by spaces>" (e.g. "uid=1
  // flags=\Recent").
  virtual core::Result<std::vector<std::string>> Flags(
      const std::string& user, const std::string& folder) const = 0;
  // Gives `folder` a new UIDVALIDITY and renumbers its messages (same bytes,
  // same flags), as a restore or index rebuild does; kicks the user first.
  // A server may renumber the user's other folders too (Cyrus does).
  virtual core::Status ResetUidValidity(const std::string& user,
                                        const std::string& folder) = 0;
  // Stops and starts the server on the same ports, keeping the mail.
  virtual core::Status Restart() = 0;
  virtual core::Status Stop() = 0;

  // The CAPABILITY list after LOGIN as `user` (a user given to Start), in
  // upper case: what a client sees once authenticated.
  core::Result<std::set<std::string>> Capabilities(
      const std::string& user) const;

 protected:
  // The password `user` was started with; "" when unknown.
  std::string PasswordOf(const std::string& user) const;

  std::vector<User> users_;
};

// One plain-text IMAP session on 127.0.0.1:<port>, logged in, for rig
// helpers. Each Run sends one command and reads to its tagged reply.
class RigImapSession {
 public:
  // Connects and logs in. kUnavailable when the server cannot be reached or
  // refuses the login (the message quotes its reply).
  static core::Result<RigImapSession> Login(int port, const std::string& user,
                                            const std::string& password);
  RigImapSession(RigImapSession&& other) noexcept;
  RigImapSession& operator=(RigImapSession&&) = delete;
  ~RigImapSession();  // LOGOUT, close

  // Sends `command` and returns its untagged responses (without "* "; a
  // literal's bytes inline). With `literal`, `command` must end in "{n}"
  // for its size; the bytes follow the server's "+". `command` may also
  // carry LITERAL+ literals itself ("{n+}\r\n" and the bytes; RFC 7888).
  // kUnavailable on NO, BAD, BYE or a broken connection, quoting the
  // command's first line (a LOGIN without its password) and the reply.
  core::Result<std::vector<std::string>> Run(
      const std::string& command,
      std::optional<std::string_view> literal = std::nullopt);

 private:
  explicit RigImapSession(int fd) : fd_(fd) {}
  core::Result<std::string> ReadLine();  // one response line, with literals
  core::Status SendAll(std::string_view bytes);

  int fd_ = -1;
  int next_tag_ = 1;
  std::string buffer_;
};

// `s` as an IMAP quoted string ("a\"b" for a"b).
std::string ImapQuote(std::string_view s);

// Runs `cmd` through /bin/sh; returns stdout, kUnavailable with the exit
// status and output on failure.
core::Result<std::string> RunShell(const std::string& cmd);

namespace rig_internal {

// A TCP port on 127.0.0.1 that was free a moment ago; 0 on failure.
int FreePort();
// True when something accepts connections on 127.0.0.1:<port>.
bool CanConnect(int port);
std::string ReadFile(const std::string& path);
// The last `n` bytes of `s`, for quoting logs in errors.
std::string Tail(const std::string& s, size_t n = 2000);
// True once `pid` has exited (gone, or a zombie nobody reaped yet).
bool ProcessGone(int pid);
// Waits (up to 5 s) until nothing accepts on any of `ports`, so a restart
// can bind them again.
void WaitPortsFree(std::initializer_list<int> ports);
// Removes a rig's directory unless INBOXD_KEEP_RIG is set.
void RemoveRigDir(const std::string& dir);
// The pids whose parent is `pid` (from /proc).
std::vector<int> ChildrenOf(int pid);

}  // namespace rig_internal
}  // namespace inboxd::tests
