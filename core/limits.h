// limits.h: named limits on untrusted input, each with its default
// (Postfix mail_params.h style). Config keys live in [limits].
#pragma once

#include <chrono>
#include <cstddef>

namespace inboxd::core {

struct Limits {
  // [limits] max_message_bytes: a larger message is quarantined (headers kept).
  size_t max_message_bytes = 25u << 20;
  // [limits] max_header_bytes: a larger header block is quarantined.
  size_t max_header_bytes = 1u << 20;
  // [limits] mime_max_depth: deeper multipart nesting is quarantined.
  size_t mime_max_depth = 20;
  // [limits] mime_max_parts: more MIME parts are quarantined.
  size_t mime_max_parts = 1000;
  // [limits] scan_bytes: how much decoded body text classification reads.
  size_t scan_bytes = 64u << 10;
  // [limits] network_timeout: the longest wait for a connect (TCP, TLS,
  // greeting and login together), for any IMAP command's answer, and for a
  // whole SMTP dialogue.
  std::chrono::seconds network_timeout{60};

  bool operator==(const Limits&) const = default;
};

}  // namespace inboxd::core
