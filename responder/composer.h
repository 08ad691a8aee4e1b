// composer.h: builds the outgoing acknowledgement (issue 5 §2) as raw RFC 5322
// bytes, ready for SMTP DATA and for APPEND to the Sent folder.
//
// What it produces:
//   From: "<display name>" <shared mailbox>
//   To: Reply-To of the original, else its From (never a no-reply address,
//       never one of our own addresses: refused with kFailedPrecondition)
//   Subject: Re: <original subject> [#S-1042] (RFC 2047 when not ASCII,
//       folded at 78 where possible; no line ever over 998 octets)
//   Date, Message-ID <inboxd.{ticket}.{kind}.{token}@{domain}> where token is
//       HMAC-SHA-256(key, "ticket|kind") truncated to 20 hex digits, so a
//       resend of the same ticket+kind has the same ID and IsOurMessageId()
//       recognises our mail when it comes back
//   In-Reply-To, References (the original's, trimmed to kMaxReferences, plus
//       its Message-ID), Thread-Topic and Thread-Index (Outlook; derived from
//       the original's Thread-Index when present, MS-OXOMSG 2.2.1.3)
//   Auto-Submitted: auto-replied (RFC 3834), X-Auto-Response-Suppress: All
//       (Exchange), X-Inboxd-Loop: <mailbox address>
//   text/plain; charset=utf-8 (quoted-printable, or base64 when most of the
//       text is not ASCII, e.g. zh/fa), plus a text/html alternative when
//       enabled; CRLF line ends throughout.
// Precedence: deliberately NOT set. RFC 3834 §3.1.8 says not to use it, and
// "Precedence: bulk" makes some filters treat a customer's acknowledgement as
// bulk mail. Old responders that only look at Precedence are bounded by the
// loop guard (one acknowledgement per ticket, N per sender per hour).
//
// No CR or LF from any input reaches a header: names and subjects go through
// core::StripCrLf, addresses and message ids are validated and refused when
// they contain anything but their grammar allows.
//
// Not here: deciding whether to reply (loop_guard.h), rendering text
// (templates.h), sending (mailer.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/message.h"
#include "responder/templates.h"

namespace re2 {
class RE2;
}

namespace inboxd::responder {

// Most message ids kept in References (the first and the latest ones).
inline constexpr size_t kMaxReferences = 20;
// Longest message id we copy into References/In-Reply-To.
inline constexpr size_t kMaxMessageIdLength = 250;
// Longest original subject we quote (bytes, cut at a UTF-8 boundary).
inline constexpr size_t kMaxQuotedSubjectBytes = 200;
// Hex digits of the HMAC in our Message-IDs (80 bits).
inline constexpr size_t kMessageIdTokenHex = 20;
// The largest original an assignment mail carries as an attachment.
inline constexpr size_t kMaxAttachedOriginal = 10u << 20;

struct ComposerOptions {
  std::string mailbox_address;  // From; "support@shop.example"
  std::string display_name;     // From display name ("" = none)
  // From display name of mail in one language (RenderedTemplate::language).
  std::map<std::string, std::string, std::less<>> display_names;
  std::string message_id_domain;  // "" = domain of mailbox_address
  std::string hmac_key;           // secret for Message-ID tokens (required)
  std::string envelope_sender;    // "" = mailbox_address; "<>" = null sender
  std::string noreply_regex;      // RE2; recipients matching are refused
  std::vector<std::string> own_addresses;  // mailbox + aliases + others
  bool include_html = true;                // add the text/html alternative
};

// What the composer hands to the outbox and the Mailer.
struct OutgoingMail {
  std::string message_id;     // without angle brackets
  std::string envelope_from;  // MAIL FROM; "" means the null sender <>
  std::vector<std::string> recipients;  // RCPT TO
  std::string raw;                      // CRLF, every line <= 998 octets
};

// Which reply this is.
struct ReplySpec {
  std::string ticket_id;   // "S-1042": [A-Za-z0-9_-]+
  std::string ticket_tag;  // "[#S-1042]" as it goes into the subject
  std::string kind;        // "ack", "csat", "delay_notice-2": [A-Za-z0-9_-]+
};

class Composer {
 public:
  // Validates the options (addresses, key, regex). kInvalidArgument on error.
  static core::Result<Composer> Create(ComposerOptions options);
  Composer(Composer&&) noexcept;
  Composer& operator=(Composer&&) noexcept;
  ~Composer();

  // The address a reply to `original` goes to: the first Reply-To, else
  // From. Fails with kFailedPrecondition when there is none, when it is not a
  // plain ASCII addr-spec, matches the no-reply regex, or is our own.
  core::Result<core::Address> ReplyRecipient(
      const core::Message& original) const;

  // Builds the reply to `original` with the rendered `body`. Fails with
  // kFailedPrecondition as ReplyRecipient, kInvalidArgument on a bad
  // ReplySpec, kInternal if an invariant (998 octets) would break.
  core::Result<OutgoingMail> ComposeReply(const core::Message& original,
                                          const ReplySpec& spec,
                                          const RenderedTemplate& body,
                                          core::TimePoint now) const;

  // Builds an internal notice (agent_alert, escalation) to `to`, with the
  // template's subject, Auto-Submitted: auto-generated, no threading headers.
  // Fails as ComposeReply (an own address is allowed here).
  core::Result<OutgoingMail> ComposeNotice(std::string_view to,
                                           const ReplySpec& spec,
                                           const RenderedTemplate& body,
                                           core::TimePoint now) const;

  // Builds the assignment of a ticket to an agent (issue 10 item 1): To
  // `to`; Reply-To the customer and the shared mailbox, so that Reply in
  // the agent's own client answers the customer and its copy reaches the
  // shared mailbox (POLICY C1), where inboxd sees it; Subject the
  // original's with the ticket tag (no "Re:", so the agent's answer reads
  // "Re: <original> [#tag]" for the customer); References and In-Reply-To
  // the original's, so that answer threads with the customer's message. No
  // Auto-Submitted or X-Auto-Response-Suppress: the agent's out-of-office
  // reply (Exchange, Sieve vacation) should answer it, which is how inboxd
  // learns of the absence (it never answers an auto-reply). X-Inboxd-Loop
  // is set as on every mail of ours. The body is `body` (the template quotes
  // the customer's text) followed by the original message attached
  // (message/rfc822 when it is 7-bit with short lines, else
  // application/octet-stream "original.eml" in base64; left out above
  // kMaxAttachedOriginal bytes). Fails with kFailedPrecondition when `to`
  // or `customer` is not a plain address, kInvalidArgument on a bad spec.
  core::Result<OutgoingMail> ComposeAssignment(std::string_view to,
                                               const core::Message& original,
                                               std::string_view original_raw,
                                               const core::Address& customer,
                                               const ReplySpec& spec,
                                               const RenderedTemplate& body,
                                               core::TimePoint now) const;

  // An internal notice as ComposeNotice, with one file attached in base64
  // (the weekly SLA report): `file_name` ([A-Za-z0-9._-]+), `content_type`
  // ("text/html; charset=utf-8"). Fails as ComposeNotice; kInvalidArgument
  // for a bad file name or type.
  core::Result<OutgoingMail> ComposeNoticeWithFile(
      std::string_view to, const ReplySpec& spec, const RenderedTemplate& body,
      std::string_view file_name, std::string_view content_type,
      std::string_view bytes, core::TimePoint now) const;

  const ComposerOptions& options() const { return options_; }

 private:
  // What an assignment (reply_to, original_raw) or a notice with a file
  // (file_*) adds to Build.
  struct Assignment {
    std::vector<core::Address> reply_to;
    std::string_view original_raw;
    std::string_view file_name;
    std::string_view file_type;
    std::string_view file_bytes;
  };

  Composer() = default;
  core::Result<OutgoingMail> Build(
      const core::Address& to, const core::Message* original,
      const ReplySpec& spec, const RenderedTemplate& body, core::TimePoint now,
      const Assignment* assignment = nullptr) const;
  bool IsOwn(std::string_view addr) const;
  // The From display name of mail in `language`.
  const std::string& FromName(std::string_view language) const;

  ComposerOptions options_;
  std::string domain_;
  std::unique_ptr<re2::RE2> noreply_;
};

// "inboxd.S-1042.ack.<token>@domain" (no brackets). kInvalidArgument when
// ticket or kind has characters outside [A-Za-z0-9_-] or the key is empty.
core::Result<std::string> MakeMessageId(std::string_view key,
                                        std::string_view domain,
                                        std::string_view ticket_id,
                                        std::string_view kind);

// True when `id` (with or without <>) is one MakeMessageId would make under
// `key` for `domain` (domain compared case-insensitively, token in constant
// time).
bool IsOurMessageId(std::string_view id, std::string_view key,
                    std::string_view domain);

// True for a plain ASCII addr-spec (local@domain, no spaces, quotes, angle
// brackets, CR/LF or controls; at most 254 octets).
bool IsValidAddress(std::string_view addr);

// RFC 5322 date-time in UTC: "Tue, 24 Nov 2026 13:00:00 +0000".
std::string FormatRfc5322Date(core::TimePoint t);

// The Outlook Thread-Index for a reply: the original's value with a 5-byte
// child block appended when `original_index` is a valid one, else a new
// 22-byte header block (time `thread_start`, GUID from `seed`) plus a child
// block. Base64, no line breaks.
std::string ReplyThreadIndex(std::string_view original_index,
                             core::TimePoint thread_start, core::TimePoint now,
                             std::string_view seed);

}  // namespace inboxd::responder
