#include "daemon/hypervisor/sim/guest_timeline.h"

#include <algorithm>
#include <cmath>

#include "absl/numeric/int128.h"

namespace xenia::hv {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (a >= kNever - b) return kNever;
  return a + b;
}

int64_t CpuNanosFor(int64_t run_ns, int32_t vcpus, int64_t load_ppm) {
  if (run_ns <= 0 || vcpus <= 0 || load_ppm <= 0) return 0;
  const absl::int128 product = absl::int128(run_ns) * vcpus * load_ppm / kLoadPpmScale;
  if (product >= absl::int128(kNever)) return kNever;
  return static_cast<int64_t>(product);
}

int64_t CpuLoadToPpm(double cpu_load) {
  return static_cast<int64_t>(std::llround(cpu_load * static_cast<double>(kLoadPpmScale)));
}

namespace {

// Running time since the anchor, up to `boot_ns`.
int64_t RunSinceAnchor(const GuestTimeline& timeline, int64_t boot_ns) {
  if (!timeline.running) return 0;
  return std::max<int64_t>(0, boot_ns - timeline.anchor_boot_ns);
}

}  // namespace

int64_t GuestNanosAt(const GuestTimeline& timeline, int64_t boot_ns) {
  return SaturatingAdd(timeline.guest_ns, RunSinceAnchor(timeline, boot_ns));
}

int64_t CpuNanosAt(const GuestTimeline& timeline, int64_t boot_ns) {
  return SaturatingAdd(timeline.cpu_ns, CpuNanosFor(RunSinceAnchor(timeline, boot_ns),
                                                    timeline.vcpus, timeline.cpu_load_ppm));
}

int64_t BootNanosAtGuestNanos(const GuestTimeline& timeline, int64_t guest_ns) {
  if (!timeline.running || guest_ns == kNever) return kNever;
  if (guest_ns <= timeline.guest_ns) return timeline.anchor_boot_ns;
  return SaturatingAdd(timeline.anchor_boot_ns, guest_ns - timeline.guest_ns);
}

void Reanchor(GuestTimeline& timeline, int64_t boot_ns, bool running) {
  const int64_t at = std::max(boot_ns, timeline.anchor_boot_ns);
  timeline.guest_ns = GuestNanosAt(timeline, at);
  timeline.cpu_ns = CpuNanosAt(timeline, at);
  timeline.anchor_boot_ns = at;
  timeline.running = running;
}

int64_t RequestDueGuestNanos(const GuestSchedule& schedule) {
  if (schedule.requested == ShutdownReason::kNone || schedule.ignore_shutdown) return kNever;
  // A request made while the guest still boots waits for its PV drivers.
  const int64_t noticed = std::max(schedule.request_guest_ns, schedule.boot_ns);
  return SaturatingAdd(noticed, schedule.shutdown_time_ns);
}

GuestAction NextGuestAction(const GuestSchedule& schedule) {
  GuestAction next;
  auto consider = [&next](int64_t at, ShutdownReason reason) {
    // Strictly earlier only: the earlier candidates win ties.
    if (at < next.guest_ns) next = GuestAction{at, reason};
  };
  consider(schedule.crash_at_guest_ns, ShutdownReason::kCrash);
  consider(schedule.poweroff_at_guest_ns, ShutdownReason::kPoweroff);
  consider(RequestDueGuestNanos(schedule), schedule.requested);
  return next;
}

}  // namespace xenia::hv
