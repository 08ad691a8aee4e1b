// http_server.h: the monitoring HTTP endpoint, /healthz and /metrics.
//
// What it does: HttpServer runs a cpp-httplib server (Debian 0.11.4, linked
// as PkgConfig::HTTPLIB, DEPS-FACTS 1.3.10) on its own threads (one
// listener, two workers) and answers
//   GET|HEAD /healthz  with the `healthz` callback's response
//   GET|HEAD /metrics  with the `metrics` callback's response
//   other methods on those two paths: 405, "Allow: GET, HEAD"
//   any other path: 404
// Query strings are ignored. Each connection serves one request and is
// closed, so nothing lingers; reads and writes time out after 1 s. Start
// binds before it returns, so a client can connect as soon as it has
// returned. HealthzResponse and MetricsResponse build the two standard
// responses.
//
// What it does not do: TLS, authentication, or any other route. The
// callbacks run on the server's worker threads (two may run at once) and must
// be thread-safe; they should be quick (a scrape waits for them).
//
// Side effect: constructing the underlying httplib::Server sets SIGPIPE to
// SIG_IGN for the whole process (httplib 0.11.4 sends without MSG_NOSIGNAL).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"
#include "health/health.h"
#include "health/metrics.h"

namespace inboxd::health {

// The content type of the Prometheus text format 0.0.4.
inline constexpr std::string_view kMetricsContentType =
    "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kTextContentType =
    "text/plain; charset=utf-8";

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = std::string(kTextContentType);
};

// Computes the response of one route, per request.
using HttpHandler = std::function<HttpResponse()>;

// 200 "ok\n" when healthy, else 503 and the reasons, one per line (each
// ending in "\n").
HttpResponse HealthzResponse(const HealthReport& report);
// 200, registry.Render(), kMetricsContentType.
HttpResponse MetricsResponse(const Registry& registry);

class HttpServer {
 public:
  // REQUIRES: both handlers non-null. Nothing listens until Start.
  HttpServer(HttpHandler healthz, HttpHandler metrics);
  // Stops the server if it runs.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` ("127.0.0.1:9187", "[::1]:9187"; config::ParseHostPort)
  // and starts serving. Returns the bound port (the chosen one for port 0).
  // The socket is not shared (no SO_REUSEPORT), so a port another process or
  // HttpServer listens on is refused. Failure:
  //   kInvalidArgument   malformed `listen`, or an address this host does
  //                      not have (EADDRNOTAVAIL)
  //   kUnavailable       the address is in use (EADDRINUSE), other bind
  //                      errors
  //   kPermissionDenied  a privileged port (EACCES)
  //   kFailedPrecondition already started
  // Each message starts with "http listen <listen>: ".
  core::Result<int> Start(std::string_view listen);

  // Stops listening and waits for the server's threads: about a second at
  // most (a request in progress ends at its 1 s read/write timeout). No-op
  // when not started. Start may be called again afterwards.
  void Stop();

  // The bound port while started, else 0.
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace inboxd::health
