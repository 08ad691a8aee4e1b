#include "core/shutdown.h"

#include <atomic>

namespace inboxd::core {
namespace {

using Steady = std::chrono::steady_clock;

std::atomic<bool> g_shutdown{false};
// steady_clock ticks of the first request.
std::atomic<Steady::rep> g_requested_at{0};
static_assert(std::atomic<bool>::is_always_lock_free);
static_assert(std::atomic<Steady::rep>::is_always_lock_free);

}  // namespace

void RequestShutdown() {
  Steady::rep expected = 0;
  g_requested_at.compare_exchange_strong(
      expected, Steady::now().time_since_epoch().count());
  g_shutdown.store(true, std::memory_order_release);
}

bool ShutdownGraceOver() {
  if (!g_shutdown.load(std::memory_order_acquire)) return false;
  Steady::time_point at{Steady::duration(g_requested_at.load())};
  return Steady::now() - at >= kShutdownGrace;
}

bool ShutdownRequested() { return g_shutdown.load(std::memory_order_relaxed); }

void ResetShutdown() {
  g_shutdown.store(false, std::memory_order_release);
  g_requested_at.store(0);
}

}  // namespace inboxd::core
