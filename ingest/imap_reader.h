// imap_reader.h: assembles complete IMAP responses from a transport.
//
// Does: finds the end of each response without looking inside literals: a
// line ending in "{n}\r\n" (or "{n+}", "~{n}") is followed by exactly n bytes
// that are skipped by count, so message bytes such as "A004 OK" or "* 9 FETCH"
// never end or start a response. Enforces named limits on line and literal
// length before buffering. Keeps a partial response across a timeout, so a
// caller waiting in IDLE can call Read again. Does not: parse tokens
// (ParseImapResponse does).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "core/error.h"
#include "ingest/imap_transport.h"

namespace inboxd::ingest {

struct ImapReaderLimits {
  // Longest line outside literals (an untagged SEARCH of a large folder
  // without ESEARCH is one line: about 7 bytes per UID).
  size_t max_line_bytes = 16u << 20;
  // Largest literal accepted; set from Limits::max_message_bytes plus slack.
  size_t max_literal_bytes = (25u << 20) + (64u << 10);
};

class ImapReader {
 public:
  // `transport` is not owned and must outlive the reader.
  ImapReader(ImapTransport* transport, ImapReaderLimits limits)
      : transport_(transport), limits_(limits) {}

  // Returns the next complete response (with its CRLF and inline literals),
  // or nullopt when `timeout` passed without any byte arriving (bytes read
  // so far stay buffered; each byte that arrives starts the wait again).
  // Errors: kUnavailable (transport failure), kDataLoss (a line or literal over
  // the limits; the session is then unusable and must be closed).
  core::Result<std::optional<std::string>> Read(
      std::chrono::milliseconds timeout);

 private:
  // Advances scan_ over the buffered part of the current response. Returns
  // true when the response is complete (its length is then scan_).
  core::Result<bool> Scan();

  ImapTransport* transport_;
  ImapReaderLimits limits_;
  std::string buf_;       // received, not yet returned bytes start at start_
  size_t start_ = 0;      // offset of the current response in buf_
  size_t scan_ = 0;       // bytes of the current response already checked
  size_t line_from_ = 0;  // where the current line starts (relative)
};

}  // namespace inboxd::ingest
