#include "common/clock.h"

#include <time.h>

namespace xenia {

absl::Time SystemClock::Now() const { return absl::Now(); }

int64_t SystemClock::BootNanos() const {
  timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace xenia
