#include "ingest/imap_credentials.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/text.h"

namespace inboxd::ingest {
namespace {

using core::Error;
using core::Fail;
using core::Result;

// Longest secret read from a file or command (a JWT fits easily).
constexpr size_t kMaxSecretBytes = 64u << 10;

std::string FirstLine(std::string s) {
  size_t nl = s.find_first_of("\r\n");
  if (nl != std::string::npos) s.resize(nl);
  return std::string(core::Trim(s));
}

Result<std::string> RunCommand(const std::string& what,
                               const std::string& cmd) {
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) {
    return Fail(Error::Unavailable(what + ": cannot run command"));
  }
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0 &&
         out.size() < kMaxSecretBytes) {
    out.append(buf, n);
  }
  int status = ::pclose(p);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Fail(Error::PermissionDenied(
        what + ": command failed (exit status " +
        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")"));
  }
  return FirstLine(std::move(out));
}

}  // namespace

Result<std::string> ReadMailboxSecret(const config::Mailbox& mb) {
  const std::string what = "mailbox " + mb.name + " secret";
  int sources = !mb.password_file.empty() + !mb.password_env.empty() +
                !mb.password_command.empty() + !mb.oauth2_token_command.empty();
  if (sources != 1) {
    return Fail(Error::InvalidArgument(
        what +
        ": set exactly one of password_file, password_env, "
        "password_command, oauth2_token_command"));
  }
  std::string secret;
  if (!mb.password_file.empty()) {
    std::ifstream in(mb.password_file, std::ios::binary);
    if (!in) {
      return Fail(Error::InvalidArgument(what + ": cannot read password_file " +
                                         mb.password_file));
    }
    std::string content(kMaxSecretBytes, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    secret = FirstLine(std::move(content));
  } else if (!mb.password_env.empty()) {
    const char* v = std::getenv(mb.password_env.c_str());
    if (v == nullptr) {
      return Fail(Error::InvalidArgument(what + ": environment variable " +
                                         mb.password_env + " is not set"));
    }
    secret = v;
  } else {
    const std::string& cmd = mb.password_command.empty()
                                 ? mb.oauth2_token_command
                                 : mb.password_command;
    auto out = RunCommand(what, cmd);
    if (!out) return Fail(out.error());
    secret = std::move(*out);
  }
  if (secret.empty()) return Fail(Error::InvalidArgument(what + ": empty"));
  return secret;
}

Result<ImapEndpoint> EndpointFromConfig(const config::Mailbox& mb) {
  ImapEndpoint ep;
  ep.mailbox = mb.name;
  ep.url = mb.imap_url;
  if (mb.tls != "required" && mb.tls != "none") {
    return Fail(Error::InvalidArgument(
        "mailbox " + mb.name + ": tls must be \"required\" or \"none\""));
  }
  ep.require_tls = mb.tls == "required";
  ep.ca_file = mb.tls_ca_file;
  ep.username = mb.username;
  auto secret = ReadMailboxSecret(mb);
  if (!secret) return Fail(secret.error());
  (mb.oauth2_token_command.empty() ? ep.password : ep.oauth2_token) =
      std::move(*secret);
  return ep;
}

ImapConnector MakeImapConnector(const config::Mailbox& mb) {
  return [mb]() -> Result<std::unique_ptr<ImapTransport>> {
    auto ep = EndpointFromConfig(mb);
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
  return std::make_unique<ImapSource>(MakeImapConnector(mb), o);
}

}  // namespace inboxd::ingest
