// error.h: the error vocabulary of inboxd.
//
// Anything that can fail returns Result<T> (std::expected<T, Error>). The code
// tells the caller what to do next (see ../shared/STYLE.md "Errors"):
//   kUnavailable         retry later with backoff (network, IMAP NO/BYE,
//                        SMTP 4xx)
//   kDataLoss            quarantine, keep the raw bytes (over a limit, bad
//                        MIME)
//   kFailedPrecondition  hand to a human or resync safely (SMTP 5xx,
//                        UIDVALIDITY)
//   kNotFound            skip and log at info
//   kInvalidArgument     refuse to start (bad config, rule, template)
//   kPermissionDenied    stop that mailbox and alert (login refused)
//   kInternal            a bug or an unexpected library failure
//   kAborted             the outcome is unknown (a transfer cut by a
//                        shutdown): leave the state as a crash would and let
//                        the crash recovery decide on the next start
// Messages are lower case with context first:
//   "imap fetch support/INBOX uid 42: timeout after 30s".
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace inboxd::core {

enum class Code {
  kUnavailable,
  kDataLoss,
  kFailedPrecondition,
  kNotFound,
  kInvalidArgument,
  kPermissionDenied,
  kInternal,
  kAborted,
};

// Returns the lower-case name of `code` ("unavailable", "data_loss", ...).
std::string_view CodeName(Code code);

struct Error {
  Code code = Code::kInternal;
  std::string message;

  static Error Unavailable(std::string m) {
    return {Code::kUnavailable, std::move(m)};
  }
  static Error DataLoss(std::string m) {
    return {Code::kDataLoss, std::move(m)};
  }
  static Error FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Error NotFound(std::string m) {
    return {Code::kNotFound, std::move(m)};
  }
  static Error InvalidArgument(std::string m) {
    return {Code::kInvalidArgument, std::move(m)};
  }
  static Error PermissionDenied(std::string m) {
    return {Code::kPermissionDenied, std::move(m)};
  }
  static Error Internal(std::string m) {
    return {Code::kInternal, std::move(m)};
  }
  static Error Aborted(std::string m) { return {Code::kAborted, std::move(m)}; }

  // Returns a copy with `context + ": "` put in front of the message.
  Error Wrap(std::string_view context) const;
  // "data_loss: mime depth 21 over limit 20".
  std::string ToString() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

inline Status Ok() { return {}; }

// Returns std::unexpected(error), for `return Fail(Error::NotFound("..."));`.
inline std::unexpected<Error> Fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

}  // namespace inboxd::core

// Bugs are not errors: a failed invariant aborts with file:line.
#define INBOXD_CHECK(cond)                                               \
  do {                                                                   \
    if (!(cond)) ::inboxd::core::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

namespace inboxd::core {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);
}
