// imap_transport.h: the byte pipe an IMAP session runs over.
//
// Does: send bytes, receive bytes with a timeout. Implementations:
// CurlImapTransport (ingest/imap_curl_transport.h: libcurl does connect, TLS
// and login, then hands over the raw connection) and scripted transports in
// tests. Does not: know IMAP syntax (ImapReader and ImapSource do).
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>

#include "core/error.h"

namespace inboxd::ingest {

class ImapTransport {
 public:
  virtual ~ImapTransport() = default;

  // Sends all of `bytes`. Errors: kUnavailable (closed, timeout, TLS error).
  virtual core::Status Send(std::string_view bytes) = 0;

  // Receives at most `cap` bytes into `buf`, waiting up to `timeout` for the
  // first byte. Returns the count, 0 only when the timeout passed with no
  // data. Errors: kUnavailable (closed by the peer, TLS or socket error).
  virtual core::Result<size_t> Recv(char* buf, size_t cap,
                                    std::chrono::milliseconds timeout) = 0;

  // A descriptor that polls readable (POLLIN) when Recv may return bytes
  // without waiting, for an event loop over many connections; -1 when
  // there is none. Recv may still return 0 after it polled readable (TLS
  // records, keep-alives): the caller reads until Recv returns 0.
  virtual int PollFd() const { return -1; }
};

}  // namespace inboxd::ingest
