#include "ingest/imap_reader.h"

#include <algorithm>
#include <charconv>

namespace inboxd::ingest {
namespace {

using core::Error;
using core::Fail;

// Returns n when `line` (with its CRLF) ends in "{n}", "{n+}" or "~{n}".
std::optional<size_t> LiteralSize(std::string_view line) {
  if (line.size() < 5 || line[line.size() - 3] != '}') return std::nullopt;
  size_t close = line.size() - 3;
  size_t open = line.rfind('{', close);
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, close - open - 1);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  size_t n = 0;
  auto [p, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

core::Result<bool> ImapReader::Scan() {
  while (true) {
    size_t avail = buf_.size() - start_;
    if (scan_ > avail) return false;  // inside a literal
    size_t crlf = buf_.find("\r\n", start_ + scan_);
    if (crlf == std::string::npos) {
      if (avail - line_from_ > limits_.max_line_bytes) {
        return Fail(Error::DataLoss("imap response line over " +
                                    std::to_string(limits_.max_line_bytes) +
                                    " bytes"));
      }
      // Keep a trailing '\r' in view for the next search.
      scan_ = std::max(line_from_, avail > 0 ? avail - 1 : 0);
      return false;
    }
    size_t line_end = crlf - start_ + 2;
    if (line_end - line_from_ - 2 > limits_.max_line_bytes) {
      return Fail(Error::DataLoss("imap response line over " +
                                  std::to_string(limits_.max_line_bytes) +
                                  " bytes"));
    }
    std::string_view line(buf_.data() + start_ + line_from_,
                          line_end - line_from_);
    if (auto n = LiteralSize(line)) {
      if (*n > limits_.max_literal_bytes) {
        return Fail(Error::DataLoss("imap literal of " + std::to_string(*n) +
                                    " bytes over limit " +
                                    std::to_string(limits_.max_literal_bytes)));
      }
      line_from_ = scan_ = line_end + *n;
      continue;
    }
    scan_ = line_end;
    return true;
  }
}

core::Result<std::optional<std::string>> ImapReader::Read(
    std::chrono::milliseconds timeout) {
  using Steady = std::chrono::steady_clock;
  auto deadline = Steady::now() + timeout;
  while (true) {
    auto complete = Scan();
    if (!complete) return Fail(complete.error());
    if (*complete) {
      std::string out = buf_.substr(start_, scan_);
      start_ += scan_;
      scan_ = line_from_ = 0;
      if (start_ == buf_.size()) {
        buf_.clear();
        start_ = 0;
      } else if (start_ > (1u << 20)) {
        buf_.erase(0, start_);
        start_ = 0;
      }
      return std::optional<std::string>(std::move(out));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Steady::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    // Read what the current literal still needs (at least 64 KiB, at most
    // 4 MiB at a time), so a 20 MB message costs few reallocations.
    size_t avail = buf_.size() - start_;
    size_t want = 64u << 10;
    if (scan_ > avail) {
      want = std::clamp(scan_ - avail, want, size_t{4u << 20});
      if (buf_.capacity() < start_ + scan_) buf_.reserve(start_ + scan_);
    }
    size_t old = buf_.size();
    buf_.resize(old + want);
    auto n = transport_->Recv(buf_.data() + old, want, left);
    buf_.resize(old + (n ? *n : 0));
    if (!n) return Fail(n.error());
    if (*n == 0) return std::optional<std::string>();
    deadline = Steady::now() + timeout;  // progress: a 25 MB literal on a
                                         // slow link is not a stalled server
  }
}

}  // namespace inboxd::ingest
