// Clock: the daemon's source of time, injected so that tests can drive it.
//
// Two timelines: wall time (absl::Time) for timestamps people read, and the
// host's monotonic boot-time clock for durations and for anything that must
// keep counting across a restart of the process (the simulated hypervisor's
// guests age by it, as real guests do while xeniad is down).
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace xenia {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time now.
  virtual absl::Time Now() const = 0;
  // Nanoseconds since the host booted (CLOCK_BOOTTIME): never goes back, keeps
  // counting while processes restart, resets only when the host reboots.
  virtual int64_t BootNanos() const = 0;
};

// The host's real clocks.
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override;
  int64_t BootNanos() const override;
};

}  // namespace xenia
