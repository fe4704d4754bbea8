// GuestBalloon: how a simulated guest's balloon driver moves its memory
// toward the target the toolstack sets (xl mem-set): steadily, in the
// guest's own running time (a paused guest does not balloon), up to the
// target, and down no lower than the floor the guest can give back to (what
// its kernel and applications hold), where it stops, as a real balloon
// driver that can find no more free pages does.
//
// Thread-compatible value type and pure functions; instants are guest
// running time in nanoseconds (guest_timeline.h).
#pragma once

#include <cstdint>

namespace xenia::hv {

// 256 MiB of memory handed back or taken per second of guest running time.
inline constexpr int64_t kDefaultBalloonKibPerSecond = int64_t{256} << 10;

struct GuestBalloon {
  // 0: never set; the target is the memory the domain was built with.
  int64_t target_kib = 0;
  // The memory when the target was set, at guest time set_guest_ns.
  int64_t from_kib = 0;
  int64_t set_guest_ns = 0;
  // The guest gives back nothing below this (0: whatever it is asked).
  int64_t floor_kib = 0;
  // 0: kDefaultBalloonKibPerSecond.
  int64_t kib_per_second = 0;
};

// The target in force for a domain built with `built_kib`.
int64_t BalloonTargetKib(const GuestBalloon& balloon, int64_t built_kib);

// Where the guest's memory stands at guest time `guest_ns`.
int64_t BalloonMemoryKibAt(const GuestBalloon& balloon, int64_t built_kib, int64_t guest_ns);

// Where the memory stops moving: the target, or the floor above it.
int64_t BalloonRestingKib(const GuestBalloon& balloon, int64_t built_kib);

// Sets a new target at guest time `guest_ns`; the memory moves on from
// where it then stands.
void SetBalloonTarget(GuestBalloon& balloon, int64_t built_kib, int64_t target_kib,
                      int64_t guest_ns);

// Changes the floor or the rate at guest time `guest_ns` without a jump in
// the memory (0 for either: the default).
void SetBalloonBehavior(GuestBalloon& balloon, int64_t built_kib, int64_t floor_kib,
                        int64_t kib_per_second, int64_t guest_ns);

}  // namespace xenia::hv
