// mail_rig.h: C++ handle on scripts/rig (a private Dovecot IMAP+LMTP+Sieve
// and an SMTP server delivering into it) for the end-to-end tests, plus
// helpers to run the inboxd binary and read the rig's Maildirs.
//
// Does: start/stop a rig in a fresh temp dir (removed unless
// INBOXD_KEEP_RIG is set), deliver over LMTP, submit over SMTP, install a
// Sieve vacation, list and parse the messages of a user's folder (headers
// unfolded, RFC 2047 and quoted-printable decoded for assertions), run
// `inboxd once`/`status`, and start/kill `inboxd run` as a child process.
// Does not: talk IMAP itself or judge what inboxd did (the tests do).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

namespace inboxd::e2e {

struct ShellResult {
  int status = -1;  // exit status; -1 when killed or not run
  std::string out;  // stdout and stderr together
};

// `s` in single quotes for /bin/sh (a ' becomes '\'').
std::string ShellQuote(const std::string& s);

// Runs `cmd` through /bin/sh -c with stderr merged into stdout.
ShellResult Shell(const std::string& cmd);

// One message read from a Maildir file.
struct Mail {
  std::string file;
  std::string raw;
  // Header name (lower case) -> values in order, unfolded, raw (encoded).
  std::multimap<std::string, std::string> headers;
  std::string body;  // raw body (after the blank line)

  // First value of `name` ("" when absent), raw / RFC 2047 decoded.
  std::string Header(const std::string& name) const;
  std::string Decoded(const std::string& name) const;
  // Every header name, lower case, in order (for "no extra header" checks).
  std::vector<std::string> HeaderNames() const;
  // The body with quoted-printable / base64 parts decoded (all parts
  // concatenated; good enough for "contains" assertions).
  std::string DecodedBody() const;
};

// The messages of `mails` whose decoded Subject / decoded body / raw To
// header contains `needle`, in order.
std::vector<Mail> WithSubject(const std::vector<Mail>& mails,
                              const std::string& needle);
std::vector<Mail> WithBody(const std::vector<Mail>& mails,
                           const std::string& needle);
std::vector<Mail> To(const std::vector<Mail>& mails, const std::string& needle);

// A plain customer mail (CRLF headers, text/plain UTF-8, Date now).
std::string CustomerMail(
    const std::string& from, const std::string& to, const std::string& subject,
    const std::string& msgid,
    const std::string& body = "Hello, my order does not arrive. Please help.");
// Our acknowledgements in `mails` (Auto-Submitted: auto-replied, from a
// shared @shop.example address).
std::vector<Mail> Acks(const std::vector<Mail>& mails);

// Seconds (fractional) from `t0` to now, for the tests' figures.
double SecondsSince(std::chrono::steady_clock::time_point t0);

// The whole file ("" when unreadable), for assertions and failure output.
std::string ReadFile(const std::string& path);
// The current time as an RFC 5322 Date value in UTC.
std::string RfcDateNow();

// Decodes RFC 2047 encoded words (B and Q; charset ignored: UTF-8 assumed).
std::string DecodeWords(const std::string& value);
std::string DecodeQuotedPrintable(const std::string& text);
std::string DecodeBase64(const std::string& text);

class MailRig {
 public:
  // Starts a rig. kUnavailable when not root, servers are missing
  // (scripts/install-deps --with-servers) or the rig does not come up.
  static core::Result<std::unique_ptr<MailRig>> Start();
  ~MailRig();

  const std::string& dir() const { return dir_; }
  std::string config() const { return dir_ + "/inboxd.toml"; }
  std::string env(const std::string& key) const;

  // LMTP delivery of `raw` into `user`'s INBOX (unseen).
  core::Status Deliver(const std::string& user, const std::string& raw);
  // SMTP submission (envelope from -> to) through the rig's SMTP server.
  core::Status Send(const std::string& from, const std::string& to,
                    const std::string& raw);
  // A Sieve vacation responder for `user` (answers each sender at most once
  // per `seconds`) with `text` ("" = the rig's default text).
  core::Status Vacation(const std::string& user, int seconds,
                        const std::string& text = "");

  // Messages in `user`'s `folder` ("INBOX" or "Sent"), new/ and cur/.
  std::vector<Mail> Messages(const std::string& user,
                             const std::string& folder = "INBOX") const;
  // Lines of deliveries.jsonl whose "user" is `user` (raw JSON text).
  std::vector<std::string> DeliveriesTo(const std::string& user) const;

  // `inboxd <args>` with --config appended when `with_config`.
  ShellResult Inboxd(const std::string& args, bool with_config = true) const;
  // Waits (up to 60 s) until `inboxd status` shows a connected folder of a
  // running `inboxd run` (daemon.json), so a delivery after it is seen
  // through IDLE. False on timeout.
  bool WaitDaemonConnected() const;

 private:
  MailRig() = default;
  std::string dir_;
  std::map<std::string, std::string> env_;
  int seq_ = 0;
};

// `inboxd run --config <config> [extra]` as a child process; output to
// `log_path`. The destructor stops it (SIGTERM, then SIGKILL after 20 s).
class Daemon {
 public:
  Daemon(std::string config, std::string log_path, std::string extra = "");
  ~Daemon();
  core::Status Start();
  // Sends `sig` and reaps the child (waits up to `wait`, then SIGKILL).
  // Returns its exit status, or -1 when it ended by a signal or had to be
  // killed.
  int Stop(int sig, std::chrono::seconds wait = std::chrono::seconds(20));
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  std::string config_;
  std::string log_path_;
  std::string extra_;
  pid_t pid_ = -1;
};

// Polls `pred` every 100 ms until it is true or `timeout` passes.
template <typename Pred>
bool WaitFor(Pred pred, std::chrono::milliseconds timeout) {
  auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    ::usleep(100 * 1000);
  }
}

}  // namespace inboxd::e2e
