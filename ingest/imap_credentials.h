// imap_credentials.h: turns a config::Mailbox into a way to open IMAP
// connections (endpoint + secret).
//
// Does: resolve the secret with config::ResolveSecret at every connect (so
// an expiring OAuth2 token from oauth2_token_command is fresh); build an
// ImapEndpoint (tls = "required" -> imaps:// or STARTTLS; tls = "none" -> clear
// text, loopback only; tls_ca_file -> CAINFO); make an ImapConnector and an
// ImapSource factory. Secrets are never logged or put in error messages. Does
// not: validate the rest of the config (config/ does).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/error.h"
#include "ingest/imap_client.h"
#include "ingest/imap_curl_transport.h"

namespace inboxd::ingest {

// Builds the endpoint with a freshly read secret. Errors: as
// config::ResolveSecret (kInvalidArgument, kPermissionDenied), and
// kInvalidArgument for a bad tls value. `timeout` bounds the connect (TCP,
// TLS, greeting, login together) and every later send or answer
// ([limits] network_timeout).
core::Result<ImapEndpoint> EndpointFromConfig(
    const config::Mailbox& mailbox,
    std::chrono::seconds timeout = core::Limits{}.network_timeout);

// A connector that reads the secret and connects via libcurl on each call.
ImapConnector MakeImapConnector(
    const config::Mailbox& mailbox,
    std::chrono::seconds timeout = core::Limits{}.network_timeout);

// A new ImapSource for `mailbox` (connects lazily on first use), with
// limits.network_timeout for the connect and every command.
std::unique_ptr<ImapSource> MakeImapSource(const config::Mailbox& mailbox,
                                           const core::Limits& limits);

}  // namespace inboxd::ingest
