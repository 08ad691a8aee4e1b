#include "ingest/imap_credentials.h"

#include "config/secret.h"

namespace inboxd::ingest {
using core::Error;
using core::Fail;
using core::Result;

Result<ImapEndpoint> EndpointFromConfig(const config::Mailbox& mb,
                                        std::chrono::seconds timeout) {
  ImapEndpoint ep;
  ep.connect_timeout = timeout;
  ep.io_timeout = timeout;
  ep.mailbox = mb.name;
  ep.url = mb.imap_url;
  if (mb.tls != "required" && mb.tls != "none") {
    return Fail(Error::InvalidArgument(
        "mailbox " + mb.name + ": tls must be \"required\" or \"none\""));
  }
  ep.require_tls = mb.tls == "required";
  ep.ca_file = mb.tls_ca_file;
  ep.username = mb.username;
  auto secret = config::ResolveSecret(mb);
  if (!secret) return Fail(secret.error());
  (mb.oauth2_token_command.empty() ? ep.password : ep.oauth2_token) =
      std::move(*secret);
  return ep;
}

ImapConnector MakeImapConnector(const config::Mailbox& mb,
                                std::chrono::seconds timeout) {
  return [mb, timeout]() -> Result<std::unique_ptr<ImapTransport>> {
    auto ep = EndpointFromConfig(mb, timeout);
    if (!ep) return Fail(ep.error());
    auto t = CurlImapTransport::Connect(*ep);
    if (!t) return Fail(t.error());
    return std::unique_ptr<ImapTransport>(std::move(*t));
  };
}

std::unique_ptr<ImapSource> MakeImapSource(const config::Mailbox& mb,
                                           const core::Limits& limits) {
  ImapSourceOptions o;
  o.mailbox = mb.name;
  o.limits.max_literal_bytes = limits.max_message_bytes + (64u << 10);
  o.io_timeout = limits.network_timeout;
  return std::make_unique<ImapSource>(
      MakeImapConnector(mb, limits.network_timeout), o);
}

}  // namespace inboxd::ingest
