#include "daemon/hypervisor/sim/sim_domain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace xenia::hv {
namespace {

absl::Status WrongState(const SimDomainRecord& record, absl::string_view needed,
                        absl::string_view step) {
  return absl::FailedPreconditionError(absl::StrCat(DomainLabel(record), " is ",
                                                    StateForMessage(record), "; it must be ",
                                                    needed, " to be ", step));
}

// A duration from a GuestBehavior as nanoseconds of guest time: kNever for an
// infinite one.
int64_t ToGuestNanos(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return kNever;
  return absl::ToInt64Nanoseconds(d);
}

absl::Duration FromGuestNanos(int64_t ns) {
  return ns == kNever ? absl::InfiniteDuration() : absl::Nanoseconds(ns);
}

// Time left from guest time `guest_now` until guest time `at`.
absl::Duration Remaining(int64_t at, int64_t guest_now) {
  if (at == kNever) return absl::InfiniteDuration();
  return absl::Nanoseconds(std::max<int64_t>(0, at - guest_now));
}

absl::Status CheckNotNegative(const std::optional<absl::Duration>& d, absl::string_view field) {
  if (d.has_value() && *d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "guest behaviour ", field, " must not be negative, got ", absl::FormatDuration(*d)));
  }
  return absl::OkStatus();
}

// FAILED_PRECONDITION unless the guest runs or is paused.
absl::Status RequireLive(const SimDomainRecord& record, absl::string_view what) {
  if (record.state == RunState::kRunning || record.state == RunState::kPaused) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat(DomainLabel(record), " is ", StateForMessage(record), "; ", what));
}

}  // namespace

void InitMemory(SimDomainRecord& record, int64_t dirty_bytes_per_second,
                int64_t working_set_pages) {
  GuestMemory& memory = record.memory;
  memory.seed = MemorySeed(record.uuid);
  memory.page_count = record.memory_mib * kSimPagesPerMib;
  memory.working_set_pages =
      working_set_pages <= 0 ? memory.page_count : std::min(working_set_pages, memory.page_count);
  memory.dirty_bytes_per_second = std::max<int64_t>(0, dirty_bytes_per_second);
  memory.write_offset = 0;
}

std::string DomainLabel(uint32_t domid, absl::string_view name) {
  return absl::StrFormat("domain %d (\"%s\")", domid, name);
}

std::string DomainLabel(const SimDomainRecord& record) {
  return DomainLabel(record.domid, record.name);
}

std::string StateForMessage(const SimDomainRecord& record) {
  switch (record.state) {
    case RunState::kRunning:
      return "running";
    case RunState::kPaused:
      return "paused";
    case RunState::kShutdown:
      return absl::StrCat("shut down (", ShutdownReasonName(record.shutdown_reason), ")");
    case RunState::kDying:
      return "dying";
  }
  return "in an unknown state";
}

GuestDeviceHabits HabitsOf(const SimDomainRecord& record) {
  GuestDeviceHabits habits;
  habits.boot_ns = record.schedule.boot_ns;
  habits.refuses_release = record.refuses_device_release;
  habits.type = record.type;
  return habits;
}

std::string MacFor(const std::string& uuid, int index) {
  // FNV-1a over the uuid and the index: stable, and spread over 24 bits.
  uint32_t hash = 2166136261u;
  auto mix = [&hash](unsigned char c) {
    hash ^= c;
    hash *= 16777619u;
  };
  for (char c : uuid) mix(static_cast<unsigned char>(c));
  for (int shift = 0; shift < 32; shift += 8) mix(static_cast<unsigned char>(index >> shift));
  return absl::StrFormat("00:16:3e:%02x:%02x:%02x", (hash >> 16) & 0x7f, (hash >> 8) & 0xff,
                         hash & 0xff);
}

DomainFacts FactsAt(const SimDomainRecord& record, int64_t now) {
  DomainFacts facts;
  facts.domid = record.domid;
  facts.uuid = record.uuid;
  facts.name = record.name;
  facts.state = record.state;
  facts.shutdown_reason = record.shutdown_reason;
  facts.requested_shutdown = record.schedule.requested;
  facts.current_memory_kib = MemoryKibAt(record, now);
  facts.target_memory_kib = BalloonTargetKib(record.balloon, record.memory_mib * 1024);
  facts.max_memory_kib = std::max(record.max_memory_mib, record.memory_mib) * 1024;
  facts.online_vcpus = record.timeline.vcpus;
  facts.max_vcpus = std::max(record.max_vcpus, record.timeline.vcpus);
  facts.cpu_time_ns = CpuNanosAt(record.timeline, now);
  facts.type = record.type;
  return facts;
}

int64_t DueBootNanos(const SimDomainRecord& record) {
  if (record.state != RunState::kRunning) return kNever;
  return BootNanosAtGuestNanos(record.timeline, NextGuestAction(record.schedule).guest_ns);
}

std::optional<DomainEvent> ApplyDueAction(SimDomainRecord& record, int64_t now) {
  if (record.state != RunState::kRunning) return std::nullopt;
  const GuestAction action = NextGuestAction(record.schedule);
  const int64_t due = BootNanosAtGuestNanos(record.timeline, action.guest_ns);
  if (due == kNever || due > now) return std::nullopt;
  // The guest stopped at `due`, not at `now`: its time and vCPU time end there.
  Reanchor(record.timeline, due, /*running=*/false);
  record.state = RunState::kShutdown;
  record.shutdown_reason = action.reason;
  record.schedule.requested = ShutdownReason::kNone;
  record.schedule.crash_at_guest_ns = kNever;
  record.schedule.poweroff_at_guest_ns = kNever;
  DomainEvent event;
  event.kind = DomainEvent::Kind::kShutdown;
  event.domid = record.domid;
  event.uuid = record.uuid;
  event.reason = action.reason;
  return event;
}

int64_t MemoryKibAt(const SimDomainRecord& record, int64_t now) {
  return BalloonMemoryKibAt(record.balloon, record.memory_mib * 1024,
                            GuestNanosAt(record.timeline, now));
}

int64_t PromisedMemoryKib(const SimDomainRecord& record, int64_t now) {
  return std::max(MemoryKibAt(record, now),
                  BalloonTargetKib(record.balloon, record.memory_mib * 1024));
}

absl::Status SetMemoryTarget(SimDomainRecord& record, int64_t target_kib, int64_t now) {
  if (absl::Status s = RequireLive(record, "its memory target cannot be set"); !s.ok()) return s;
  if (target_kib <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("a memory target must be positive, got ", target_kib, " KiB"));
  }
  const int64_t max_kib = std::max(record.max_memory_mib, record.memory_mib) * 1024;
  if (target_kib > max_kib) {
    return absl::FailedPreconditionError(
        absl::StrCat(DomainLabel(record), " may hold at most ", max_kib / 1024,
                     " MiB (its maximum); a target of ", target_kib / 1024, " MiB is above it"));
  }
  SetBalloonTarget(record.balloon, record.memory_mib * 1024, target_kib,
                   GuestNanosAt(record.timeline, now));
  return absl::OkStatus();
}

absl::Status SetMaxMemory(SimDomainRecord& record, int64_t max_kib) {
  if (absl::Status s = RequireLive(record, "its maximum memory cannot be set"); !s.ok()) return s;
  const int64_t target_kib = BalloonTargetKib(record.balloon, record.memory_mib * 1024);
  if (max_kib < target_kib) {
    // As libxl_domain_setmaxmem: never below the memory the guest is asked
    // to hold.
    return absl::FailedPreconditionError(
        absl::StrCat("a maximum of ", max_kib / 1024, " MiB is below ", DomainLabel(record),
                     "'s memory target (", target_kib / 1024, " MiB); lower the target first"));
  }
  // The simulator keeps whole MiB, as every size of the API.
  record.max_memory_mib = max_kib / 1024;
  return absl::OkStatus();
}

absl::Status SetOnlineVcpus(SimDomainRecord& record, int32_t vcpus, int64_t now) {
  if (absl::Status s = RequireLive(record, "its vCPUs cannot be changed"); !s.ok()) return s;
  const int32_t max_vcpus = std::max(record.max_vcpus, record.timeline.vcpus);
  if (vcpus < 1 || vcpus > max_vcpus) {
    return absl::FailedPreconditionError(absl::StrCat(DomainLabel(record), " can have 1 to ",
                                                      max_vcpus, " vCPUs online, not ", vcpus));
  }
  // vCPU time so far counts the vCPUs that were online.
  Reanchor(record.timeline, now, record.timeline.running);
  record.timeline.vcpus = vcpus;
  return absl::OkStatus();
}

absl::Status PauseGuest(SimDomainRecord& record, int64_t now) {
  if (record.state != RunState::kRunning) return WrongState(record, "running", "paused");
  Reanchor(record.timeline, now, /*running=*/false);
  record.state = RunState::kPaused;
  return absl::OkStatus();
}

absl::Status UnpauseGuest(SimDomainRecord& record, int64_t now) {
  if (record.state != RunState::kPaused) return WrongState(record, "paused", "unpaused");
  Reanchor(record.timeline, now, /*running=*/true);
  record.state = RunState::kRunning;
  return absl::OkStatus();
}

absl::Status RequestShutdown(SimDomainRecord& record, ShutdownReason reason, int64_t now) {
  absl::string_view step;
  switch (reason) {
    case ShutdownReason::kPoweroff:
      step = "asked to shut down";
      break;
    case ShutdownReason::kReboot:
      step = "asked to reboot";
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "a guest can be asked to power off or reboot, not to ", ShutdownReasonName(reason)));
  }
  if (record.state != RunState::kRunning) return WrongState(record, "running", step);
  // A guest acts on the first request it sees (Xen's control/shutdown node
  // holds one request): a second request while one is pending, e.g. a reboot
  // after a power-off, is accepted and changes nothing.
  if (record.schedule.requested != ShutdownReason::kNone) return absl::OkStatus();
  record.schedule.requested = reason;
  record.schedule.request_guest_ns = GuestNanosAt(record.timeline, now);
  return absl::OkStatus();
}

absl::StatusOr<GuestBehavior> ChangeBehavior(SimDomainRecord& record, const GuestBehavior& behavior,
                                             int64_t now) {
  if (record.state != RunState::kRunning && record.state != RunState::kPaused) {
    return absl::FailedPreconditionError(
        absl::StrCat(DomainLabel(record), " is ", StateForMessage(record),
                     "; its guest no longer runs, so its behaviour cannot be changed"));
  }
  for (const absl::Status& status : {CheckNotNegative(behavior.crash_after, "crash_after"),
                                     CheckNotNegative(behavior.poweroff_after, "poweroff_after"),
                                     CheckNotNegative(behavior.shutdown_time, "shutdown_time")}) {
    if (!status.ok()) return status;
  }
  if (behavior.dirty_bytes_per_second.value_or(0) < 0) {
    return absl::InvalidArgumentError(absl::StrCat("dirty rate must not be negative, got ",
                                                   *behavior.dirty_bytes_per_second, " bytes/s"));
  }
  if (behavior.working_set_pages.has_value() &&
      (*behavior.working_set_pages < 0 || *behavior.working_set_pages > record.memory.page_count)) {
    return absl::InvalidArgumentError(absl::StrCat("working set must be 0 (all memory) to ",
                                                   record.memory.page_count, " pages, got ",
                                                   *behavior.working_set_pages));
  }
  if (behavior.balloon_floor_kib.value_or(0) < 0 ||
      behavior.balloon_kib_per_second.value_or(0) < 0) {
    return absl::InvalidArgumentError("the balloon's floor and rate must not be negative");
  }
  GuestSchedule& schedule = record.schedule;
  const int64_t guest_now = GuestNanosAt(record.timeline, now);
  if (behavior.balloon_floor_kib.has_value() || behavior.balloon_kib_per_second.has_value()) {
    SetBalloonBehavior(record.balloon, record.memory_mib * 1024,
                       behavior.balloon_floor_kib.value_or(record.balloon.floor_kib),
                       behavior.balloon_kib_per_second.value_or(record.balloon.kib_per_second),
                       guest_now);
  }
  if (behavior.refuse_device_release.has_value()) {
    // A guest that lets go again finds the devices it was asked for then.
    if (record.refuses_device_release && !*behavior.refuse_device_release) {
      for (SimDevice& device : record.devices) {
        if (device.close_guest_ns != kNever) device.close_guest_ns = guest_now;
      }
    }
    record.refuses_device_release = *behavior.refuse_device_release;
  }
  if (behavior.ignore_shutdown.has_value()) {
    // A guest that starts listening finds the pending request then, as a
    // guest whose PV drivers come up finds the control/shutdown node.
    if (schedule.ignore_shutdown && !*behavior.ignore_shutdown) {
      schedule.request_guest_ns = guest_now;
    }
    schedule.ignore_shutdown = *behavior.ignore_shutdown;
  }
  if (behavior.crash_after.has_value()) {
    schedule.crash_at_guest_ns = SaturatingAdd(guest_now, ToGuestNanos(*behavior.crash_after));
  }
  if (behavior.poweroff_after.has_value()) {
    schedule.poweroff_at_guest_ns =
        SaturatingAdd(guest_now, ToGuestNanos(*behavior.poweroff_after));
  }
  if (behavior.shutdown_time.has_value()) {
    schedule.shutdown_time_ns = ToGuestNanos(*behavior.shutdown_time);
  }
  if (behavior.working_set_pages.has_value()) {
    // The count of writes stays; the pages' versions then follow the new
    // cycle, as if the guest had always written that working set (a
    // simulator knob: set it before the domain is saved or migrated).
    const int64_t writes = WritesAt(record.memory, guest_now);
    record.memory.working_set_pages =
        *behavior.working_set_pages == 0 ? record.memory.page_count : *behavior.working_set_pages;
    SetWritesAt(record.memory, guest_now, writes);
  }
  if (behavior.dirty_bytes_per_second.has_value()) {
    RetimeWrites(record.memory, guest_now, *behavior.dirty_bytes_per_second);
  }
  return BehaviorAt(record, now);
}

GuestBehavior BehaviorAt(const SimDomainRecord& record, int64_t now) {
  const int64_t guest_now = GuestNanosAt(record.timeline, now);
  GuestBehavior behavior;
  behavior.ignore_shutdown = record.schedule.ignore_shutdown;
  behavior.refuse_device_release = record.refuses_device_release;
  behavior.crash_after = Remaining(record.schedule.crash_at_guest_ns, guest_now);
  behavior.poweroff_after = Remaining(record.schedule.poweroff_at_guest_ns, guest_now);
  behavior.shutdown_time = FromGuestNanos(record.schedule.shutdown_time_ns);
  behavior.dirty_bytes_per_second = record.memory.dirty_bytes_per_second;
  behavior.working_set_pages = record.memory.working_set_pages;
  behavior.balloon_floor_kib = record.balloon.floor_kib;
  behavior.balloon_kib_per_second = record.balloon.kib_per_second > 0
                                        ? record.balloon.kib_per_second
                                        : kDefaultBalloonKibPerSecond;
  return behavior;
}

}  // namespace xenia::hv
