// secret.h: resolves a mailbox's password or OAuth2 token from its secret
// source (password_file, password_env, password_command or
// oauth2_token_command; the loader guarantees exactly one is set).
//
// What it does: reads the file (one trailing newline trimmed), reads the
// environment variable, or runs the command through /bin/sh (popen) and takes
// the first line of its standard output (the command's stderr is not
// captured). Like mbsync's PassCmd.
// What it does not do: cache, log or print the secret; no error message ever
// contains it. It does not log in anywhere.
#pragma once

#include <string>

#include "config/config.h"
#include "core/error.h"

namespace inboxd::config {

// Largest secret file or command output read (a password is a few bytes).
inline constexpr size_t kMaxSecretBytes = 64u << 10;

// Returns the secret of `mailbox` (for oauth2_token_command: the token).
// Failure (messages start "mailbox NAME: "):
//   kInvalidArgument   no secret source is set;
//   kPermissionDenied  the file cannot be read or is larger than
//                      kMaxSecretBytes, the variable is unset, the command
//                      cannot be started or exits non-zero, or the secret is
//                      empty. The caller stops that mailbox and alerts.
core::Result<std::string> ResolveSecret(const Mailbox& mailbox);

}  // namespace inboxd::config
