// http_server_test.cc: a real HttpServer on 127.0.0.1 (port 0) asked with
// httplib::Client: /healthz 200 and 503, /metrics with its content type, 404
// and 405, HEAD; a port in use and malformed addresses refused with clear
// errors; Stop is prompt, also with an idle client connected.
#include "health/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string_view>

namespace inboxd::health {
namespace {

using std::chrono::steady_clock;

// Generous: Stop's contract is about a second; a loaded CI machine must not
// make this flaky.
constexpr auto kPromptStop = std::chrono::seconds(3);

std::unique_ptr<httplib::Client> ClientFor(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(5, 0);
  return c;
}

// A server whose health the test switches, with one counter.
class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest()
      : server_(
            [this] {
              HealthReport r;
              if (!healthy_) {
                r.healthy = false;
                r.reasons = {"mailbox support folder INBOX: disconnected",
                             "store not writable: disk full"};
              }
              return HealthzResponse(r);
            },
            [this] { return MetricsResponse(registry_); }) {
    registry_.AddCounter("test_requests_total", "Requests.").With().Inc(3);
  }

  std::atomic<bool> healthy_{true};
  Registry registry_;
  HttpServer server_;
};

TEST_F(HttpServerTest, AnswersHealthzMetricsAndNothingElse) {
  auto port = server_.Start("127.0.0.1:0");
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  ASSERT_GT(*port, 0);
  EXPECT_EQ(server_.port(), *port);
  auto client = ClientFor(*port);

  auto ok = client->Get("/healthz");
  ASSERT_TRUE(ok) << httplib::to_string(ok.error());
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->body, "ok\n");
  EXPECT_EQ(ok->get_header_value("Content-Type"), "text/plain; charset=utf-8");

  healthy_ = false;
  auto bad = client->Get("/healthz");
  ASSERT_TRUE(bad) << httplib::to_string(bad.error());
  EXPECT_EQ(bad->status, 503);
  EXPECT_EQ(bad->body,
            "mailbox support folder INBOX: disconnected\n"
            "store not writable: disk full\n");

  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics) << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"),
            "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics->body,
            "# HELP test_requests_total Requests.\n"
            "# TYPE test_requests_total counter\n"
            "test_requests_total 3\n");
  // A query string does not change the route.
  auto query = client->Get("/metrics?name[]=x");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 200);

  auto head = client->Head("/metrics");
  ASSERT_TRUE(head) << httplib::to_string(head.error());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->body, "");

  for (const char* path : {"/", "/metrics/", "/healthz2", "/favicon.ico",
                           "/../metrics", "/METRICS"}) {
    auto nf = client->Get(path);
    ASSERT_TRUE(nf) << path;
    EXPECT_EQ(nf->status, 404) << path;
  }
  auto post = client->Post("/metrics", "x=1", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD");
  auto del = client->Delete("/healthz");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  auto post_other = client->Post("/other", "", "text/plain");
  ASSERT_TRUE(post_other);
  EXPECT_EQ(post_other->status, 404);
}

TEST_F(HttpServerTest, PortInUseByAnotherServerIsRefused) {
  auto first = server_.Start("127.0.0.1:0");
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  HttpServer second([] { return HttpResponse{}; },
                    [] { return HttpResponse{}; });
  const std::string listen = "127.0.0.1:" + std::to_string(*first);
  auto got = second.Start(listen);
  ASSERT_FALSE(got.has_value()) << "two servers bound port " << *first;
  EXPECT_EQ(got.error().code, core::Code::kUnavailable);
  EXPECT_EQ(got.error().message,
            "http listen " + listen +
                ": Address already in use (another process listens on this "
                "port)");
  EXPECT_EQ(second.port(), 0);
  // The first one still answers.
  auto res = ClientFor(*first)->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST(HttpServerStartTest, PortInUseByAPlainSocketIsRefused) {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(sock, 1), 0);
  socklen_t len = sizeof a;
  ASSERT_EQ(::getsockname(sock, reinterpret_cast<sockaddr*>(&a), &len), 0);
  const int port = ntohs(a.sin_port);

  HttpServer s([] { return HttpResponse{}; }, [] { return HttpResponse{}; });
  auto got = s.Start("127.0.0.1:" + std::to_string(port));
  ::close(sock);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, core::Code::kUnavailable);
  EXPECT_NE(got.error().message.find("Address already in use"),
            std::string::npos)
      << got.error().message;
}

TEST(HttpServerStartTest, MalformedOrForeignAddressesAreRefused) {
  const struct {
    const char* listen;
    core::Code want_code;
    const char* want_start;
  } cases[] = {
      {"", core::Code::kInvalidArgument, "http listen : expected HOST:PORT"},
      {"localhost:9187", core::Code::kInvalidArgument,
       "http listen localhost:9187: expected HOST:PORT"},
      {"127.0.0.1", core::Code::kInvalidArgument,
       "http listen 127.0.0.1: expected HOST:PORT"},
      {"127.0.0.1:65536", core::Code::kInvalidArgument,
       "http listen 127.0.0.1:65536: expected HOST:PORT"},
      {"::1:9187", core::Code::kInvalidArgument,
       "http listen ::1:9187: expected HOST:PORT"},
      // TEST-NET-1 (RFC 5737): valid, but not an address of this host.
      {"192.0.2.1:9187", core::Code::kInvalidArgument,
       "http listen 192.0.2.1:9187: Cannot assign requested address"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.listen);
    HttpServer s([] { return HttpResponse{}; }, [] { return HttpResponse{}; });
    auto got = s.Start(c.listen);
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(got.error().code, c.want_code) << got.error().ToString();
    EXPECT_EQ(got.error().message.rfind(c.want_start, 0), 0u)
        << got.error().message;
  }
}

TEST_F(HttpServerTest, StartTwiceIsRefusedRestartAfterStopWorks) {
  auto port = server_.Start("127.0.0.1:0");
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  auto again = server_.Start("127.0.0.1:0");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, core::Code::kFailedPrecondition);
  server_.Stop();
  EXPECT_EQ(server_.port(), 0);
  // The port is free again: the same address binds at once (SO_REUSEADDR).
  auto restarted = server_.Start("127.0.0.1:" + std::to_string(*port));
  ASSERT_TRUE(restarted.has_value()) << restarted.error().ToString();
  EXPECT_EQ(*restarted, *port);
  auto res = ClientFor(*port)->Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(HttpServerTest, StopIsPromptAndClosesThePort) {
  auto port = server_.Start("127.0.0.1:0");
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  ASSERT_TRUE(ClientFor(*port)->Get("/healthz"));
  auto t0 = steady_clock::now();
  server_.Stop();
  EXPECT_LT(steady_clock::now() - t0, kPromptStop);
  auto after = ClientFor(*port)->Get("/healthz");
  EXPECT_FALSE(after) << "still answering after Stop";
  server_.Stop();  // a second Stop is a no-op
}

// Connects to 127.0.0.1:`port` and sends `bytes` (may be empty); returns the
// socket, left open.
int ConnectAndSend(int port, std::string_view bytes) {
  int sock = ::socket(AF_INET, SOCK_STREAM, 0);
  EXPECT_GE(sock, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  EXPECT_EQ(::connect(sock, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  if (!bytes.empty()) {
    EXPECT_EQ(::send(sock, bytes.data(), bytes.size(), 0),
              static_cast<ssize_t>(bytes.size()));
  }
  return sock;
}

TEST_F(HttpServerTest, StopIsPromptWhileAClientHoldsAWorker) {
  const struct {
    const char* label;
    const char* bytes;
  } cases[] = {
      {"connects and sends nothing", ""},
      {"sends half a request", "GET /metrics HTTP/1.1\r\nHost: x\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto port = server_.Start("127.0.0.1:0");
    ASSERT_TRUE(port.has_value()) << port.error().ToString();
    int holder = ConnectAndSend(*port, c.bytes);
    // Connections are accepted in order: once a later one is answered (by
    // the other worker), the holder has been accepted and holds a worker.
    auto res = ClientFor(*port)->Get("/healthz");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    auto t0 = steady_clock::now();
    server_.Stop();
    auto took = steady_clock::now() - t0;
    EXPECT_LT(took, kPromptStop)
        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
        << " ms";
    ::close(holder);
  }
}

TEST(HttpServerStartTest, Ipv6Loopback) {
  // Skip where the host has no IPv6 loopback (some containers).
  int probe = ::socket(AF_INET6, SOCK_STREAM, 0);
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  bool have_v6 = probe >= 0 &&
                 ::bind(probe, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (probe >= 0) ::close(probe);
  if (!have_v6) GTEST_SKIP() << "no IPv6 loopback here";

  HttpServer s(
      [] {
        return HttpResponse{200, "v6\n"};
      },
      [] { return HttpResponse{}; });
  auto port = s.Start("[::1]:0");
  ASSERT_TRUE(port.has_value()) << port.error().ToString();
  httplib::Client c("::1", *port);
  c.set_connection_timeout(5, 0);
  auto res = c.Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "v6\n");
}

TEST(HealthzResponseTest, OkOr503WithReasons) {
  HealthReport ok;
  HttpResponse r = HealthzResponse(ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  HealthReport bad;
  bad.healthy = false;
  bad.reasons = {"a", "b"};
  r = HealthzResponse(bad);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "a\nb\n");
}

}  // namespace
}  // namespace inboxd::health
