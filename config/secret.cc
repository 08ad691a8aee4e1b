// secret.cc: see secret.h. The only place that reads secret files, the
// environment or runs secret commands.
#include "config/secret.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace inboxd::config {

using core::Error;
using core::Fail;

namespace {

std::unexpected<Error> Denied(const Mailbox& mb, const std::string& what) {
  return Fail(Error::PermissionDenied("mailbox " + mb.name + ": " + what));
}

// Trims trailing CR and LF characters.
void TrimNewlines(std::string* s) {
  while (!s->empty() && (s->back() == '\n' || s->back() == '\r')) {
    s->pop_back();
  }
}

core::Result<std::string> FromFile(const Mailbox& mb) {
  const std::string what = "password_file " + mb.password_file;
  std::ifstream in(mb.password_file, std::ios::binary);
  if (!in) return Denied(mb, what + ": cannot read: " + std::strerror(errno));
  std::string secret;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    secret.append(buf, static_cast<size_t>(in.gcount()));
    if (secret.size() > kMaxSecretBytes) {
      return Denied(mb, what + ": larger than " +
                            std::to_string(kMaxSecretBytes) + " bytes");
    }
  }
  if (in.bad()) {
    return Denied(mb, what + ": cannot read: " + std::strerror(errno));
  }
  TrimNewlines(&secret);
  if (secret.empty()) return Denied(mb, what + ": file is empty");
  return secret;
}

core::Result<std::string> FromEnv(const Mailbox& mb) {
  const std::string what = "password_env " + mb.password_env;
  const char* value = std::getenv(mb.password_env.c_str());
  if (value == nullptr) return Denied(mb, what + ": variable is not set");
  if (*value == '\0') return Denied(mb, what + ": variable is empty");
  return std::string(value);
}

core::Result<std::string> FromCommand(const Mailbox& mb, const char* key,
                                      const std::string& command) {
  std::fflush(nullptr);  // do not duplicate our buffered output in the child
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return Denied(mb,
                  std::string(key) + ": cannot run: " + std::strerror(errno));
  }
  std::string out;
  char buf[4096];
  size_t n = 0;
  bool too_long = false;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxSecretBytes) {
      too_long = true;
      break;
    }
  }
  int status = ::pclose(pipe);
  if (too_long) {
    return Denied(mb, std::string(key) + ": output larger than " +
                          std::to_string(kMaxSecretBytes) + " bytes");
  }
  if (status == -1) {
    return Denied(mb, std::string(key) + ": cannot wait for the command: " +
                          std::strerror(errno));
  }
  if (WIFSIGNALED(status)) {
    return Denied(mb, std::string(key) + ": command killed by signal " +
                          std::to_string(WTERMSIG(status)));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Denied(mb, std::string(key) + ": command exited with status " +
                          std::to_string(WEXITSTATUS(status)));
  }
  std::string line = out.substr(0, out.find('\n'));
  TrimNewlines(&line);
  if (line.empty()) {
    return Denied(mb, std::string(key) + ": command printed nothing");
  }
  return line;
}

}  // namespace

core::Result<std::string> ResolveSecret(const Mailbox& mailbox) {
  if (!mailbox.password_file.empty()) return FromFile(mailbox);
  if (!mailbox.password_env.empty()) return FromEnv(mailbox);
  if (!mailbox.password_command.empty()) {
    return FromCommand(mailbox, "password_command", mailbox.password_command);
  }
  if (!mailbox.oauth2_token_command.empty()) {
    return FromCommand(mailbox, "oauth2_token_command",
                       mailbox.oauth2_token_command);
  }
  return Fail(Error::InvalidArgument(
      "mailbox " + mailbox.name +
      ": no secret source (password_file, password_env, password_command or "
      "oauth2_token_command)"));
}

}  // namespace inboxd::config
