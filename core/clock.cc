#include "core/clock.h"

#include <date/date.h>

#include <string>

namespace inboxd::core {

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::seconds>(
      std::chrono::system_clock::now());
}

SystemClock* SystemClock::Default() {
  static auto* clock = new SystemClock();
  return clock;
}

TimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return now_;
}

void FakeClock::Set(TimePoint t) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ = t;
}

void FakeClock::Advance(std::chrono::seconds d) {
  std::lock_guard<std::mutex> lock(mu_);
  now_ += d;
}

std::string FormatUtc(TimePoint t) {
  return date::format("%Y-%m-%dT%H:%M:%SZ", t);
}

}  // namespace inboxd::core
