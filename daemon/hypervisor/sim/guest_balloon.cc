#include "daemon/hypervisor/sim/guest_balloon.h"

#include <algorithm>

namespace xenia::hv {
namespace {

int64_t Rate(const GuestBalloon& b) {
  return b.kib_per_second > 0 ? b.kib_per_second : kDefaultBalloonKibPerSecond;
}

int64_t From(const GuestBalloon& b, int64_t built_kib) {
  return b.target_kib == 0 ? built_kib : b.from_kib;
}

}  // namespace

int64_t BalloonTargetKib(const GuestBalloon& b, int64_t built_kib) {
  return b.target_kib == 0 ? built_kib : b.target_kib;
}

int64_t BalloonRestingKib(const GuestBalloon& b, int64_t built_kib) {
  const int64_t from = From(b, built_kib);
  const int64_t target = BalloonTargetKib(b, built_kib);
  if (target >= from) return target;
  // Going down: no lower than the floor, and never up to reach it.
  return std::min(from, std::max(target, b.floor_kib));
}

int64_t BalloonMemoryKibAt(const GuestBalloon& b, int64_t built_kib, int64_t guest_ns) {
  const int64_t from = From(b, built_kib);
  const int64_t rest = BalloonRestingKib(b, built_kib);
  if (rest == from) return from;
  const int64_t elapsed_ns = std::max<int64_t>(0, guest_ns - b.set_guest_ns);
  // KiB moved so far; computed in whole milliseconds so that it cannot
  // overflow for any realistic run.
  const int64_t moved = Rate(b) * (elapsed_ns / 1'000'000) / 1000;
  if (rest > from) return std::min(rest, from + moved);
  return std::max(rest, from - moved);
}

void SetBalloonTarget(GuestBalloon& b, int64_t built_kib, int64_t target_kib, int64_t guest_ns) {
  b.from_kib = BalloonMemoryKibAt(b, built_kib, guest_ns);
  b.set_guest_ns = guest_ns;
  b.target_kib = target_kib;
}

void SetBalloonBehavior(GuestBalloon& b, int64_t built_kib, int64_t floor_kib,
                        int64_t kib_per_second, int64_t guest_ns) {
  const int64_t target = BalloonTargetKib(b, built_kib);
  b.from_kib = BalloonMemoryKibAt(b, built_kib, guest_ns);
  b.set_guest_ns = guest_ns;
  b.target_kib = target;
  b.floor_kib = floor_kib;
  b.kib_per_second = kib_per_second;
}

}  // namespace xenia::hv
