#include "core/error.h"

#include <cstdio>
#include <cstdlib>

namespace inboxd::core {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kUnavailable:
      return "unavailable";
    case Code::kDataLoss:
      return "data_loss";
    case Code::kFailedPrecondition:
      return "failed_precondition";
    case Code::kNotFound:
      return "not_found";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kPermissionDenied:
      return "permission_denied";
    case Code::kAborted:
      return "aborted";
    case Code::kInternal:
      return "internal";
  }
  return "unknown";
}

Error Error::Wrap(std::string_view context) const {
  Error e = *this;
  e.message = std::string(context) + ": " + message;
  return e;
}

std::string Error::ToString() const {
  return std::string(CodeName(code)) + ": " + message;
}

void CheckFailed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "inboxd: %s:%d: check failed: %s\n", file, line, expr);
  std::abort();
}

}  // namespace inboxd::core
