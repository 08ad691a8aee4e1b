// imap_curl_transport.h: an IMAP connection opened by libcurl.
//
// Does: TCP connect, TLS (imaps:// or STARTTLS with CURLUSESSL_ALL, peer and
// host verified, extra CA from `ca_file`), and login (PLAIN/LOGIN, or XOAUTH2
// with a bearer token) through CURLOPT_CONNECT_ONLY; then exposes the logged-in
// connection as raw bytes via curl_easy_send/curl_easy_recv. Why this split is
// explained in ingest/imap_client.h. Does not: send any IMAP command after
// login.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "core/error.h"
#include "ingest/imap_transport.h"

namespace inboxd::ingest {

struct ImapEndpoint {
  std::string mailbox;  // config name, only for error messages
  std::string url;      // "imaps://host[:port]" or "imap://host[:port]"
  // true: imap:// must upgrade with STARTTLS (CURLUSESSL_ALL). false (config
  // tls = "none"): clear text, accepted only for a loopback host.
  bool require_tls = true;
  std::string ca_file;  // extra CA bundle (CURLOPT_CAINFO); "" = system
  std::string username;
  std::string password;      // PLAIN/LOGIN secret, or
  std::string oauth2_token;  // XOAUTH2 bearer token (wins when set)
  // TCP connect, TLS, greeting and login together.
  std::chrono::seconds connect_timeout{60};
  std::chrono::seconds io_timeout{60};  // a send that makes no progress
};

class CurlImapTransport final : public ImapTransport {
 public:
  // Connects and logs in. Errors: kPermissionDenied (login refused, naming
  // the mailbox and user), kUnavailable (network, TLS handshake or
  // certificate verification, server gone), kInvalidArgument (bad URL, or
  // clear text to a non-loopback host).
  static core::Result<std::unique_ptr<CurlImapTransport>> Connect(
      const ImapEndpoint& endpoint);

  ~CurlImapTransport() override;
  CurlImapTransport(const CurlImapTransport&) = delete;
  CurlImapTransport& operator=(const CurlImapTransport&) = delete;

  core::Status Send(std::string_view bytes) override;
  core::Result<size_t> Recv(char* buf, size_t cap,
                            std::chrono::milliseconds timeout) override;
  // The connection's socket (CURLINFO_ACTIVESOCKET), -1 when closed.
  int PollFd() const override;

 private:
  CurlImapTransport(void* curl, std::string label,
                    std::chrono::seconds io_timeout)
      : curl_(curl), label_(std::move(label)), io_timeout_(io_timeout) {}
  // Waits until the socket is readable (events = POLLIN) or writable.
  core::Result<bool> Wait(short events, std::chrono::milliseconds timeout);

  void* curl_;  // CURL*, owned
  // CURLOPT_ERRORBUFFER: libcurl writes into it on any later failure too, so
  // it lives as long as the handle (CURL_ERROR_SIZE, checked in the .cc).
  std::array<char, 256> errbuf_{};
  std::string label_;  // "imap support (imaps://host:993)"
  std::chrono::seconds io_timeout_;
};

}  // namespace inboxd::ingest
