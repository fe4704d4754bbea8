// SimDomainRecord: everything the simulator knows about one guest domain (what
// the state file persists), and the pure rules of its life: its facts at an
// instant, the legal transitions between Xen's run states, and the actions a
// guest takes on its own when their time comes.
//
// Every function takes the host instant `now` (boot-time nanoseconds) and
// reads no clock itself, so the rules are exact and testable. Thread-
// compatible: the SimHypervisor serializes access under its lock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/sim/guest_balloon.h"
#include "daemon/hypervisor/sim/guest_devices.h"
#include "daemon/hypervisor/sim/guest_memory.h"
#include "daemon/hypervisor/sim/guest_timeline.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

struct SimDomainRecord {
  uint32_t domid = 0;
  std::string uuid;
  std::string name;
  xenia::v1::DomainType type = xenia::v1::PVH;
  // kRunning, kPaused or kShutdown; the simulator tears domains down at once,
  // so a record is never kDying.
  RunState state = RunState::kRunning;
  ShutdownReason shutdown_reason = ShutdownReason::kNone;
  // The memory the domain was built with.
  int64_t memory_mib = 0;
  // At least memory_mib; the balloon's ceiling (xl mem-max changes it).
  int64_t max_memory_mib = 0;
  // Where the guest's memory is heading (xl mem-set) and how fast it gets
  // there.
  GuestBalloon balloon;
  // At least timeline.vcpus (the vCPUs online).
  int32_t max_vcpus = 0;
  GuestTimeline timeline;
  GuestSchedule schedule;
  // Created through xeniad (CreateDomainRequest.made_by_xeniad), not beside it.
  bool made_by_xeniad = false;
  // Its memory's content (seed and page_count follow from uuid and
  // memory_mib; InitMemory sets them).
  GuestMemory memory;
  // Its devices (kept in the state directory's device table, not in the
  // record's slot).
  std::vector<SimDevice> devices;
  // The guest never releases a device it is asked to give up.
  bool refuses_device_release = false;
};

// How the guest treats its devices.
GuestDeviceHabits HabitsOf(const SimDomainRecord& record);

// A MAC in Xen's OUI (00:16:3e) for the record's interface `index`, derived
// from its uuid, so that a domain built again from the same definition (a
// restore, a migration) keeps its addresses.
std::string MacFor(const std::string& uuid, int index);

// Sets the memory's seed and page count from the record's uuid and size, and
// the rest to the given defaults (a working set of 0 means all pages).
void InitMemory(SimDomainRecord& record, int64_t dirty_bytes_per_second, int64_t working_set_pages);

// `domain 7 ("web1")`: how messages name a domain.
std::string DomainLabel(uint32_t domid, absl::string_view name);
std::string DomainLabel(const SimDomainRecord& record);

// The state as a sentence fragment: "running", "paused", "shut down (crash)".
std::string StateForMessage(const SimDomainRecord& record);

// The domain's live facts at `now`.
DomainFacts FactsAt(const SimDomainRecord& record, int64_t now);

// The host instant at which the guest next acts on its own, or kNever (it does
// not run, or nothing is scheduled).
int64_t DueBootNanos(const SimDomainRecord& record);

// If the guest's next action is due by `now`, applies it as of the instant it
// fell due (the domain enters kShutdown then, and its vCPU time stops there)
// and returns the event that reports it.
std::optional<DomainEvent> ApplyDueAction(SimDomainRecord& record, int64_t now);

// The toolstack's changes to a running or paused guest's resources (xl
// mem-set, mem-max, vcpu-set). FAILED_PRECONDITION once the guest has shut
// down, or for a target above the maximum or a maximum below the target;
// INVALID_ARGUMENT for values no guest can have.
absl::Status SetMemoryTarget(SimDomainRecord& record, int64_t target_kib, int64_t now);
absl::Status SetMaxMemory(SimDomainRecord& record, int64_t max_kib);
absl::Status SetOnlineVcpus(SimDomainRecord& record, int32_t vcpus, int64_t now);

// The memory the guest holds at `now`, and the most it is heading for (what
// the host must keep for it).
int64_t MemoryKibAt(const SimDomainRecord& record, int64_t now);
int64_t PromisedMemoryKib(const SimDomainRecord& record, int64_t now);

// The transitions a caller asks for. FAILED_PRECONDITION, naming the domain
// and its state, when the domain is not in the state the step needs.
absl::Status PauseGuest(SimDomainRecord& record, int64_t now);
absl::Status UnpauseGuest(SimDomainRecord& record, int64_t now);
// Records a shutdown (kPoweroff) or reboot (kReboot) request for the guest to
// act on; INVALID_ARGUMENT for any other reason.
absl::Status RequestShutdown(SimDomainRecord& record, ShutdownReason reason, int64_t now);

// Changes how the guest behaves from `now` on (see GuestBehavior); an
// InfiniteDuration() for crash_after or poweroff_after cancels it. Returns
// the behaviour in force. FAILED_PRECONDITION once the guest has shut down;
// INVALID_ARGUMENT for negative durations.
absl::StatusOr<GuestBehavior> ChangeBehavior(SimDomainRecord& record, const GuestBehavior& behavior,
                                             int64_t now);

// The behaviour in force at `now`, every field set: durations count from
// `now`, InfiniteDuration() for what is not scheduled.
GuestBehavior BehaviorAt(const SimDomainRecord& record, int64_t now);

}  // namespace xenia::hv
