// CurlImapTransport against a real loopback socket that never greets.
#include "ingest/imap_curl_transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace inboxd::ingest {
namespace {

TEST(CurlImapTransportTest, ServerThatNeverGreetsFailsAfterTheTimeout) {
  // Accepts the TCP connection (the kernel does, from the backlog) and
  // never sends "* OK": the connect must give up after connect_timeout.
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr),
            0);
  ASSERT_EQ(::listen(listener, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len),
            0);
  ImapEndpoint ep;
  ep.mailbox = "support";
  ep.url = "imap://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  ep.require_tls = false;
  ep.username = "support";
  ep.password = "x";
  ep.connect_timeout = std::chrono::seconds(1);
  const auto t0 = std::chrono::steady_clock::now();
  auto t = CurlImapTransport::Connect(ep);
  const auto waited = std::chrono::steady_clock::now() - t0;
  ::close(listener);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code, core::Code::kUnavailable);
  EXPECT_NE(t.error().message.find("within 1s ([limits] network_timeout)"),
            std::string::npos)
      << t.error().message;
  // Not curl's default of minutes: the configured second (generously).
  EXPECT_LT(waited, std::chrono::seconds(20));
}

}  // namespace
}  // namespace inboxd::ingest
