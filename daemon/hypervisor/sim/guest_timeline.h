// GuestTimeline and GuestSchedule: the pure time arithmetic of one simulated
// guest. A guest's own time (its "running time") advances only while it runs;
// everything it does on its own (finishing boot, acting on a shutdown
// request, crashing, powering itself off) is scheduled in that time, and is
// mapped back to the host's boot-time clock only while the guest runs.
//
// All instants are nanoseconds: host instants on the boot-time clock
// (Clock::BootNanos()), guest instants in guest running time since the
// domain was created. kNever stands for "not scheduled".
//
// Thread-compatible value types and pure functions.
#pragma once

#include <cstdint>
#include <limits>

#include "daemon/hypervisor/hypervisor.h"

namespace xenia::hv {

inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();
// cpu_load is kept as parts per million so that vCPU time is exact integer
// arithmetic.
inline constexpr int64_t kLoadPpmScale = 1'000'000;

// Where a guest's clocks stood at its last change (creation, pause, unpause,
// shutdown), and how fast they move from there.
struct GuestTimeline {
  // The guest runs from `anchor_boot_ns` on (its time advances).
  bool running = false;
  // The host instant of the last change.
  int64_t anchor_boot_ns = 0;
  // Guest running time at the anchor.
  int64_t guest_ns = 0;
  // vCPU time consumed up to the anchor.
  int64_t cpu_ns = 0;
  // vCPUs online, each busy cpu_load_ppm / kLoadPpmScale of the time.
  int32_t vcpus = 1;
  int64_t cpu_load_ppm = 0;
};

// The guest's running time at host instant `boot_ns`. Instants before the
// anchor (a clock that went back) count as the anchor.
int64_t GuestNanosAt(const GuestTimeline& timeline, int64_t boot_ns);

// vCPU time consumed by host instant `boot_ns`.
int64_t CpuNanosAt(const GuestTimeline& timeline, int64_t boot_ns);

// The host instant at which the guest's running time reaches `guest_ns`:
// kNever if the guest does not run or `guest_ns` is kNever, the anchor if
// that time is already behind it.
int64_t BootNanosAtGuestNanos(const GuestTimeline& timeline, int64_t guest_ns);

// Folds the time since the anchor into the timeline and moves the anchor to
// `boot_ns` with the guest now `running` or not.
void Reanchor(GuestTimeline& timeline, int64_t boot_ns, bool running);

// vCPU time consumed by `vcpus` vCPUs each busy `load_ppm` parts per million
// during `run_ns` of running: exact, truncated to whole nanoseconds,
// saturating at int64's maximum.
int64_t CpuNanosFor(int64_t run_ns, int32_t vcpus, int64_t load_ppm);

// cpu_load (0..1) as parts per million, rounded.
int64_t CpuLoadToPpm(double cpu_load);

// a + b, saturating at kNever (both non-negative).
int64_t SaturatingAdd(int64_t a, int64_t b);

// What the guest will do on its own, in guest running time.
struct GuestSchedule {
  // Guest time at which its OS has booted and answers control requests.
  int64_t boot_ns = 0;
  // Guest time a booted guest takes to act on a shutdown or reboot request.
  int64_t shutdown_time_ns = 0;
  // A pending shutdown (kPoweroff) or reboot (kReboot) request, or kNone.
  ShutdownReason requested = ShutdownReason::kNone;
  // Guest time at which the request was made.
  int64_t request_guest_ns = 0;
  // The guest never acts on requests (they stay pending).
  bool ignore_shutdown = false;
  // Guest times of a scheduled crash and self power-off, or kNever.
  int64_t crash_at_guest_ns = kNever;
  int64_t poweroff_at_guest_ns = kNever;
};

// One thing a guest does on its own: enter the shutdown state for `reason`
// at guest time `guest_ns`.
struct GuestAction {
  int64_t guest_ns = kNever;
  ShutdownReason reason = ShutdownReason::kNone;
};

// The guest time at which a pending request is acted on: shutdown_time after
// the request, or after boot completes if the request came earlier. kNever
// without a request or when the guest ignores requests.
int64_t RequestDueGuestNanos(const GuestSchedule& schedule);

// The guest's next action: the earliest of its scheduled crash, its scheduled
// power-off and acting on the pending request. Ties go to the crash, then the
// power-off, then the request. guest_ns is kNever when nothing is scheduled.
GuestAction NextGuestAction(const GuestSchedule& schedule);

}  // namespace xenia::hv
