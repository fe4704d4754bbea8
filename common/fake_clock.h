// FakeClock: a Clock that moves only when a test says so.
//
// Thread-safe: Advance() and the readers may run on different threads.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace xenia {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'800'000'000),
                     int64_t boot_nanos = 1'000'000'000)
      : wall_nanos_(absl::ToUnixNanos(start)), boot_nanos_(boot_nanos) {}

  absl::Time Now() const override { return absl::FromUnixNanos(wall_nanos_.load()); }
  int64_t BootNanos() const override { return boot_nanos_.load(); }

  void Advance(absl::Duration d) {
    wall_nanos_ += absl::ToInt64Nanoseconds(d);
    boot_nanos_ += absl::ToInt64Nanoseconds(d);
  }

 private:
  std::atomic<int64_t> wall_nanos_;
  std::atomic<int64_t> boot_nanos_;
};

}  // namespace xenia
