// http_server.cc: see http_server.h. This file is the adapter for
// cpp-httplib 0.11.4; what it relies on was read in that version's source:
//   - bind_to_port/bind_to_any_port report failure as false/-1 without the
//     reason, so a failed bind is repeated on a probe socket to get errno.
//   - The default socket options set SO_REUSEPORT (a second server on the
//     same port would bind and share it), so ours set only SO_REUSEADDR.
//   - stop() does nothing until the listener thread has set is_running(),
//     and there is no wait_until_ready(): Start polls is_running().
//   - The listener joins its workers on stop; a worker waits up to the
//     keep-alive timeout for a request and up to the read timeout per read,
//     so both are 1 s and each connection serves one request.
#include "health/http_server.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "config/values.h"

namespace inboxd::health {

using core::Error;
using core::Fail;

namespace {

constexpr time_t kTimeoutSeconds = 1;
constexpr size_t kWorkers = 2;

void ListenSocketOptions(int sock) {
  int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

// Why binding `hp` fails: binds a probe socket the way httplib does
// (SO_REUSEADDR, dual-stack IPv6) and returns its errno; 0 when the probe
// binds (the address became free meanwhile).
int ProbeBindErrno(const config::HostPort& hp) {
  int family = hp.ipv6 ? AF_INET6 : AF_INET;
  int sock = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return errno;
  ListenSocketOptions(sock);
  int rc;
  if (hp.ipv6) {
    int no = 0;
    setsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(hp.port));
    inet_pton(AF_INET6, hp.host.c_str(), &a.sin6_addr);
    rc = ::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(hp.port));
    inet_pton(AF_INET, hp.host.c_str(), &a.sin_addr);
    rc = ::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  // Listening is what httplib does next; a bound port can still be taken by
  // a listener (SO_REUSEADDR lets two sockets bind it, not listen on it).
  if (rc == 0) rc = ::listen(sock, 1);
  int err = rc == 0 ? 0 : errno;
  ::close(sock);
  return err;
}

Error BindError(std::string_view context, int err) {
  std::string why = err == 0 ? "cannot bind (the address was busy and is "
                               "free now; try again)"
                             : std::strerror(err);
  std::string msg = std::string(context) + why;
  switch (err) {
    case EADDRINUSE:
      return Error::Unavailable(msg +
                                " (another process listens on this port)");
    case EADDRNOTAVAIL:
      return Error::InvalidArgument(msg + " (not an address of this host)");
    case EACCES:
      return Error::PermissionDenied(msg +
                                     " (ports below 1024 need privileges)");
    default:
      return Error::Unavailable(msg);
  }
}

}  // namespace

HttpResponse HealthzResponse(const HealthReport& report) {
  HttpResponse r;
  if (report.healthy) {
    r.body = "ok\n";
    return r;
  }
  r.status = 503;
  for (const std::string& reason : report.reasons) r.body += reason + "\n";
  return r;
}

HttpResponse MetricsResponse(const Registry& registry) {
  HttpResponse r;
  r.body = registry.Render();
  r.content_type = std::string(kMetricsContentType);
  return r;
}

struct HttpServer::Impl {
  HttpHandler healthz;
  HttpHandler metrics;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;

  httplib::Server::HandlerResponse Route(const httplib::Request& req,
                                         httplib::Response& res) const {
    const HttpHandler* handler = nullptr;
    if (req.path == "/healthz") {
      handler = &healthz;
    } else if (req.path == "/metrics") {
      handler = &metrics;
    }
    if (handler == nullptr) {
      res.status = 404;
      res.set_content("not found\n", std::string(kTextContentType));
    } else if (req.method != "GET" && req.method != "HEAD") {
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      res.set_content("method not allowed\n", std::string(kTextContentType));
    } else {
      HttpResponse r = (*handler)();
      res.status = r.status;
      res.set_content(r.body, r.content_type);
    }
    return httplib::Server::HandlerResponse::Handled;
  }
};

HttpServer::HttpServer(HttpHandler healthz, HttpHandler metrics)
    : impl_(std::make_unique<Impl>()) {
  INBOXD_CHECK(healthz != nullptr && metrics != nullptr);
  impl_->healthz = std::move(healthz);
  impl_->metrics = std::move(metrics);
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

core::Result<int> HttpServer::Start(std::string_view listen) {
  const std::string context = "http listen " + std::string(listen) + ": ";
  if (impl_->server != nullptr) {
    return Fail(Error::FailedPrecondition(context + "already started"));
  }
  auto hp = config::ParseHostPort(listen);
  if (!hp) return Fail(hp.error().Wrap("http listen " + std::string(listen)));

  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server->set_socket_options(ListenSocketOptions);
  server->set_keep_alive_max_count(1);
  server->set_keep_alive_timeout(kTimeoutSeconds);
  server->set_read_timeout(kTimeoutSeconds, 0);
  server->set_write_timeout(kTimeoutSeconds, 0);
  const Impl* impl = impl_.get();
  server->set_pre_routing_handler(
      [impl](const httplib::Request& req, httplib::Response& res) {
        return impl->Route(req, res);
      });

  int port = hp->port;
  if (port == 0) {
    port = server->bind_to_any_port(hp->host);
  } else if (!server->bind_to_port(hp->host, port)) {
    port = -1;
  }
  if (port <= 0) return Fail(BindError(context, ProbeBindErrno(*hp)));

  // listen_after_bind sets is_running() first thing and clears it when it
  // returns; `ended` tells a listener that ended at once from one that has
  // not started yet.
  auto ended = std::make_shared<std::atomic<bool>>(false);
  httplib::Server* raw = server.get();
  std::thread thread([raw, ended] {
    raw->listen_after_bind();
    ended->store(true);
  });
  while (!raw->is_running() && !ended->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!raw->is_running()) {
    thread.join();
    return Fail(Error::Unavailable(context + "the listener ended at once"));
  }
  impl_->server = std::move(server);
  impl_->thread = std::move(thread);
  impl_->port = port;
  return port;
}

void HttpServer::Stop() {
  if (impl_->server == nullptr) return;
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->server.reset();
  impl_->port = 0;
}

}  // namespace inboxd::health
