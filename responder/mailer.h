// mailer.h: the only way inboxd hands mail to the outside (house rule 1).
//
// Mailer is the interface; SmtpMailer sends with libcurl (smtps:// or
// smtp:// + STARTTLS with verified TLS, or plain smtp:// when tls = "none",
// for loopback tests), MaildirMailer writes into a Maildir for --dry-run, and
// FakeMailer records sends and injects faults for tests.
//
// Error mapping (what the outbox does next):
//   SMTP 4xx, connect/TLS/timeout failures  -> kUnavailable (defer, back off)
//   SMTP 5xx                                -> kFailedPrecondition (failed:
//                                              audit + agent alert)
//   AUTH refused (535, CURLE_LOGIN_DENIED)  -> kPermissionDenied
//   cut by a shutdown before DATA           -> kUnavailable (not sent)
//   cut by a shutdown during DATA           -> kAborted (outcome unknown:
//                                              the outbox's crash recovery)
// A shutdown (core/shutdown.h) lets the dialogue under way run for
// core::kShutdownGrace before it is cut.
// The SMTP reply code is read with CURLINFO_RESPONSE_CODE, never guessed from
// the curl return code (an RCPT 550 is CURLE_SEND_ERROR, like a 450).
//
// Not here: composing (composer.h) or retry policy (outbox_drain.h).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace inboxd::responder {

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends `raw` (CRLF line ends, lines <= 998 octets: the composer's output)
  // from `envelope_from` ("" = the null sender <>) to every address in
  // `recipients`. Success means the server accepted the message for all of
  // them (250 after DATA). Failure codes as in the file comment.
  virtual core::Status Send(std::string_view envelope_from,
                            const std::vector<std::string>& recipients,
                            std::string_view raw) = 0;
};

struct SmtpOptions {
  std::string url;               // smtp://host:port or smtps://host:port
  std::string tls = "required";  // "required" | "none" (loopback tests only)
  std::string tls_ca_file;       // extra CA bundle ("" = system store)
  std::string helo_name;         // EHLO name ("" = "localhost")
  std::string username;          // "" = no AUTH
  std::string password;          // AUTH PLAIN/LOGIN
  std::string oauth2_token;      // when set: AUTH XOAUTH2 (with SASL-IR)
  long timeout_seconds = 60;
  long connect_timeout_seconds = 15;
};

// SMTP through libcurl. The connection of a successful Send is kept for the
// next one (a new TCP connection, TLS handshake, EHLO and AUTH for every
// acknowledgement cost tens of milliseconds each); it is dropped after any
// failure. A kept connection the server has closed meanwhile is replaced
// with a new one, also when the server's close is only noticed at MAIL FROM
// (nothing of the message was sent yet, so it cannot be sent twice).
// Sends on one instance are serialised.
class SmtpMailer final : public Mailer {
 public:
  ~SmtpMailer() override;
  // Validates the options: kInvalidArgument for a URL that is not smtp:// or
  // smtps://, tls = "none" with smtps://, tls = "none" to a host that is not
  // loopback, or an unknown tls value.
  static core::Result<std::unique_ptr<SmtpMailer>> Create(SmtpOptions options);

  core::Status Send(std::string_view envelope_from,
                    const std::vector<std::string>& recipients,
                    std::string_view raw) override;

  // Connects, says EHLO, STARTTLS (tls = "required") and AUTH, then QUIT:
  // no mail is sent (`inboxd check-config --connect`). Returns what was
  // checked, e.g. "connected over TLS, logged in as \"support\"". Errors:
  // kPermissionDenied (AUTH refused), kUnavailable (connect, TLS, timeout).
  core::Result<std::string> Probe();

 private:
  explicit SmtpMailer(SmtpOptions options) : options_(std::move(options)) {}
  // Sets URL (with the EHLO name), timeouts, TLS and login on a handle.
  void Configure(void* curl) const;
  SmtpOptions options_;
  std::mutex mu_;         // serialises Send
  void* curl_ = nullptr;  // CURL*: the kept connection's handle, or none
};

// Writes each message as a file into <dir>/tmp, fsyncs it, then renames it
// into <dir>/new (the Maildir protocol, so a reader never sees half a file).
// The file starts with "Return-Path: <envelope>" and one "Delivered-To:" per
// recipient, then the raw message.
class MaildirMailer final : public Mailer {
 public:
  // Creates dir/{tmp,new,cur} when missing. kUnavailable on I/O errors.
  static core::Result<std::unique_ptr<MaildirMailer>> Create(std::string dir);

  core::Status Send(std::string_view envelope_from,
                    const std::vector<std::string>& recipients,
                    std::string_view raw) override;
  const std::string& dir() const { return dir_; }

 private:
  explicit MaildirMailer(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  std::mutex mu_;
  unsigned long counter_ = 0;
};

// Records every Send; fails the N-th send (1-based) with a given error.
// Thread-safe.
class FakeMailer final : public Mailer {
 public:
  struct Sent {
    std::string envelope_from;
    std::vector<std::string> recipients;
    std::string raw;
  };
  core::Status Send(std::string_view envelope_from,
                    const std::vector<std::string>& recipients,
                    std::string_view raw) override;
  // Makes send number `n` (counting every attempt, from 1) fail with `error`.
  void FailOn(int n, core::Error error);
  // Makes every send fail with `error` until cleared with ClearFaults().
  void FailAll(core::Error error);
  void ClearFaults();
  std::vector<Sent> sent() const;
  int attempts() const;

 private:
  mutable std::mutex mu_;
  std::vector<Sent> sent_;
  std::vector<std::pair<int, core::Error>> faults_;
  bool fail_all_ = false;
  core::Error fail_all_error_;
  int attempts_ = 0;
};

}  // namespace inboxd::responder
