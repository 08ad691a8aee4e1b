#include "ingest/imap_curl_transport.h"

#include <curl/curl.h>
#include <poll.h>

#include <algorithm>
#include <mutex>

#include "core/shutdown.h"
#include "core/text.h"

namespace inboxd::ingest {
namespace {

using core::Error;
using core::Fail;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "imap://host:port/..." -> "host".
std::string HostOf(std::string_view url) {
  size_t p = url.find("://");
  std::string_view rest = p == std::string_view::npos ? url : url.substr(p + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest[0] == '[')
    return std::string(rest.substr(0, rest.find(']') + 1));
  return std::string(rest.substr(0, rest.find(':')));
}

// libcurl calls this at least once a second during connect, TLS and login;
// a non-zero return aborts the transfer (CURLE_ABORTED_BY_CALLBACK).
int AbortOnShutdown(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return core::ShutdownRequested() ? 1 : 0;
}

bool IsLoopback(std::string_view host) {
  return host == "127.0.0.1" || host == "localhost" || host == "[::1]" ||
         host.starts_with("127.");
}

}  // namespace

core::Result<std::unique_ptr<CurlImapTransport>> CurlImapTransport::Connect(
    const ImapEndpoint& ep) {
  GlobalInit();
  const std::string label = "imap " + ep.mailbox + " (" + ep.url + ")";
  const bool imaps = core::IStartsWith(ep.url, "imaps://");
  if (!imaps && !core::IStartsWith(ep.url, "imap://")) {
    return Fail(Error::InvalidArgument(
        label + ": url must start with imap:// or imaps://"));
  }
  if (!imaps && !ep.require_tls && !IsLoopback(HostOf(ep.url))) {
    return Fail(Error::InvalidArgument(
        label + ": tls = \"none\" is only allowed for a loopback host"));
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr)
    return Fail(Error::Internal(label + ": curl_easy_init failed"));
  std::unique_ptr<CurlImapTransport> t(
      new CurlImapTransport(curl, label, ep.io_timeout));

  static_assert(sizeof(t->errbuf_) >= CURL_ERROR_SIZE);
  char* errbuf = t->errbuf_.data();
  std::string url = ep.url;
  if (url.back() != '/') url.push_back('/');
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, AbortOnShutdown);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(ep.connect_timeout.count()));
  // Bounds the whole connect + TLS + greeting + login phase: a server that
  // accepts the connection and never greets fails after this.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT,
                   static_cast<long>(ep.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!ep.ca_file.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, ep.ca_file.c_str());
  if (!imaps) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL,
                     ep.require_tls ? static_cast<long>(CURLUSESSL_ALL)
                                    : static_cast<long>(CURLUSESSL_NONE));
  }
  curl_easy_setopt(curl, CURLOPT_USERNAME, ep.username.c_str());
  if (!ep.oauth2_token.empty()) {
    // libcurl prefers OAUTHBEARER when offered; Microsoft 365 speaks only
    // XOAUTH2, so force it (DEPS-FACTS 2.5).
    curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, "AUTH=XOAUTH2");
    curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, ep.oauth2_token.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_PASSWORD, ep.password.c_str());
  }

  CURLcode rc = curl_easy_perform(curl);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    detail = core::Printable(detail);
    switch (rc) {
      case CURLE_LOGIN_DENIED:
        return Fail(Error::PermissionDenied(
            label + ": login as \"" + core::Printable(ep.username) +
            "\" refused (wrong password or token?): " + detail));
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CONNECT_ERROR:
      case CURLE_USE_SSL_FAILED:
        return Fail(Error::Unavailable(label + ": tls failed: " + detail));
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return Fail(Error::InvalidArgument(label + ": " + detail));
      case CURLE_ABORTED_BY_CALLBACK:
        return Fail(
            Error::Unavailable(label + ": connect interrupted: shutting down"));
      case CURLE_OPERATION_TIMEDOUT:
        return Fail(Error::Unavailable(
            label + ": no connection, greeting or login within " +
            std::to_string(ep.connect_timeout.count()) +
            "s ([limits] network_timeout): " + detail));
      default:
        return Fail(Error::Unavailable(label + ": connect failed: " + detail));
    }
  }
  return t;
}

CurlImapTransport::~CurlImapTransport() {
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

int CurlImapTransport::PollFd() const {
  curl_socket_t sock = CURL_SOCKET_BAD;
  CURLcode rc = curl_easy_getinfo(static_cast<CURL*>(curl_),
                                  CURLINFO_ACTIVESOCKET, &sock);
  if (rc != CURLE_OK || sock == CURL_SOCKET_BAD) return -1;
  return static_cast<int>(sock);
}

core::Result<bool> CurlImapTransport::Wait(short events,
                                           std::chrono::milliseconds timeout) {
  const int sock = PollFd();
  if (sock < 0) return Fail(Error::Unavailable(label_ + ": connection closed"));
  // In slices, so that a shutdown ends the wait (core/shutdown.h).
  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + timeout;
  while (true) {
    if (core::ShutdownGraceOver()) {
      return Fail(Error::Unavailable(label_ + ": interrupted: shutting down"));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Steady::now());
    pollfd pfd{sock, events, 0};
    int n = ::poll(&pfd, 1,
                   static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
                       left.count(), 0, core::kShutdownPoll.count())));
    if (n < 0) {
      if (errno == EINTR) return false;
      return Fail(Error::Unavailable(label_ + ": poll failed"));
    }
    if (n > 0) return true;
    if (left <= core::kShutdownPoll) return false;
  }
}

core::Status CurlImapTransport::Send(std::string_view bytes) {
  using Steady = std::chrono::steady_clock;
  auto deadline = Steady::now() + io_timeout_;
  while (!bytes.empty()) {
    size_t sent = 0;
    CURLcode rc = curl_easy_send(static_cast<CURL*>(curl_), bytes.data(),
                                 bytes.size(), &sent);
    if (rc == CURLE_OK) {
      bytes.remove_prefix(sent);
      deadline = Steady::now() + io_timeout_;
      continue;
    }
    if (rc != CURLE_AGAIN) {
      return Fail(Error::Unavailable(
          label_ + ": send failed: " + curl_easy_strerror(rc)));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Steady::now());
    if (left.count() <= 0) {
      return Fail(Error::Unavailable(label_ + ": send timed out after " +
                                     std::to_string(io_timeout_.count()) +
                                     "s"));
    }
    auto w = Wait(POLLOUT, left);
    if (!w) return Fail(w.error());
  }
  return core::Ok();
}

core::Result<size_t> CurlImapTransport::Recv(
    char* buf, size_t cap, std::chrono::milliseconds timeout) {
  using Steady = std::chrono::steady_clock;
  const auto deadline = Steady::now() + timeout;
  while (true) {
    // Ask curl first: with TLS, OpenSSL may hold decrypted bytes that poll()
    // cannot see (DEPS-FACTS 2.6).
    size_t got = 0;
    CURLcode rc = curl_easy_recv(static_cast<CURL*>(curl_), buf, cap, &got);
    if (rc == CURLE_OK) {
      if (got == 0) {
        return Fail(
            Error::Unavailable(label_ + ": connection closed by server"));
      }
      return got;
    }
    if (rc != CURLE_AGAIN) {
      return Fail(Error::Unavailable(
          label_ + ": receive failed: " + curl_easy_strerror(rc)));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Steady::now());
    if (left.count() <= 0) return size_t{0};
    auto w = Wait(POLLIN, left);
    if (!w) return Fail(w.error());
  }
}

}  // namespace inboxd::ingest
