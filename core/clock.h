// clock.h: the only way inboxd reads the time.
//
// Every deadline, backoff and "arrived at" goes through a Clock so tests can
// drive time with FakeClock (LevelDB's Env::NowMicros, absl's Clock).
#pragma once

#include <chrono>
#include <mutex>

namespace inboxd::core {

using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Returns the current UTC time, to the second.
  virtual TimePoint Now() const = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  // A process-wide instance (never destroyed).
  static SystemClock* Default();
};

// A clock that moves only when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start) {}
  TimePoint Now() const override;
  void Set(TimePoint t);
  void Advance(std::chrono::seconds d);

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

// Formats as RFC 3339 UTC ("2026-11-23T18:45:55Z").
std::string FormatUtc(TimePoint t);

}  // namespace inboxd::core
