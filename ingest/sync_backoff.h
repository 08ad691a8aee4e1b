// sync_backoff.h: capped exponential backoff for reconnects and retries.
//
// Does: 1s, 2s, 4s, ... up to a cap (default 5 min), reset on success.
// Deterministic (no jitter: each mailbox has its own server connection, so
// there is no herd to spread). Does not: sleep (the caller waits).
#pragma once

#include <chrono>

namespace inboxd::ingest {

class Backoff {
 public:
  explicit Backoff(std::chrono::seconds initial = std::chrono::seconds(1),
                   std::chrono::seconds max = std::chrono::minutes(5))
      : initial_(initial), max_(max) {}

  // The delay before the next attempt; doubles each call up to the cap.
  std::chrono::seconds Next();
  void Reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::chrono::seconds initial_;
  std::chrono::seconds max_;
  int failures_ = 0;
};

}  // namespace inboxd::ingest
