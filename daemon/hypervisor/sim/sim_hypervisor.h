// SimHypervisor: the simulated hypervisor, xeniad's embedded default when the
// host is not a Xen dom0. Not a stub: it models a host with finite memory and
// CPUs, dom0 holding its own memory, domid allocation, admission control,
// Xen's run states and only their legal transitions, guests that take time to
// boot and to act on shutdown requests (or ignore them, or crash), and vCPU
// time that accrues while a guest runs and stops while it is paused.
//
// Guests outlive xeniad, as on Xen: the host's state lives in a file mapped
// into memory (see sim_state_file.h), and a guest's progress is a function of
// the host's boot-time clock, so a daemon killed with SIGKILL and started
// again finds its domains running with the same domids and accrued CPU time.
// The file records the host's boot id; after a host reboot every guest is
// gone, as it would be.
//
// Guest time: a guest only advances while it runs. Booting, acting on a
// shutdown request, and scheduled crashes or power-offs are all measured in
// the guest's own running time, so pausing a guest freezes them.
//
// Thread-safe: all methods may be called from any thread. Every method first
// applies the guest actions already due by the clock, so no caller sees stale
// state. Events are delivered in the order the guests acted, one at a time,
// never under the simulator's lock: on the event thread, or on the thread of
// the call that found them due (ProcessDueTransitions included). The handler
// must not call back into the simulator. DestroyDomain delivers no event (the
// caller knows); kDeath is for domains that vanish on their own.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/hypervisor/hypervisor.h"

namespace xenia::hv {

class SimHost;  // The implementation (sim_host.h).

struct SimHostConfig {
  // The host state file; created (with its directory) if missing. Locked for
  // exclusive use while the SimHypervisor lives.
  std::string state_file;
  int64_t total_memory_mib = 16384;
  int32_t cpus = 8;
  int64_t dom0_memory_mib = 1024;
  // Whether the simulated Xen has shadow paging, without which (as on
  // Debian's Xen) a PV guest cannot be saved or migrated live.
  bool shadow_paging = true;
  // Domains the host can hold at once, dom0 included (sizes the state file).
  int32_t max_domains = 4096;
  // Wall time CreateDomain spends building a domain.
  absl::Duration create_time = absl::ZeroDuration();
  // Guest running time before the guest's OS has booted and its PV drivers
  // answer control requests (a request made earlier is acted on after boot).
  absl::Duration boot_time = absl::Seconds(2);
  // Guest running time a booted guest takes to act on a shutdown or reboot
  // request.
  absl::Duration shutdown_time = absl::Seconds(1);
  // Fraction of each online vCPU a running guest keeps busy (vCPU time
  // accrues at online_vcpus * cpu_load per second of running).
  double cpu_load = 0.5;
  // Memory a running guest dirties per second of its running time, and the
  // pages it writes (0: all of them); SetGuestBehavior changes them per guest.
  int64_t dirty_bytes_per_second = 1 << 20;
  int64_t working_set_pages = 0;
  // The host's PCI devices that can be passed through (bound to pciback),
  // "DDDD:BB:DD.F".
  std::vector<std::string> assignable_pci = {"0000:03:00.0", "0000:03:00.1"};
  // How long a detach waits for the guest to release the device before it
  // fails (libxl's LIBXL_DESTROY_TIMEOUT).
  absl::Duration device_release_timeout = absl::Seconds(10);
  // Run a thread that delivers events as guests act on their own. Tests that
  // drive a FakeClock turn it off and call ProcessDueTransitions().
  bool event_thread = true;
};

// How a simulated guest behaves from now on (SetGuestBehavior). Unset
// optionals keep the current value; absl::InfiniteDuration() means never.
// Guest running time stands still while the guest is paused.
struct GuestBehavior {
  // Shutdown and reboot requests stay pending (requested_shutdown) and are
  // never acted on; when this is turned off again, a pending request is acted
  // on shutdown_time later.
  std::optional<bool> ignore_shutdown;
  // Crash after this much more guest running time; zero crashes at once (a
  // paused guest, as soon as it is unpaused).
  std::optional<absl::Duration> crash_after;
  // Power off on its own after this much more guest running time.
  std::optional<absl::Duration> poweroff_after;
  // Guest running time a booted guest takes to act on a request (pending
  // requests included).
  std::optional<absl::Duration> shutdown_time;
  // Memory the guest dirties per second of its running time, and how many
  // pages it writes (0: all of them).
  std::optional<int64_t> dirty_bytes_per_second;
  std::optional<int64_t> working_set_pages;
  // The least memory the guest's balloon driver gives back to (0: any), and
  // how fast it moves (0: kDefaultBalloonKibPerSecond).
  std::optional<int64_t> balloon_floor_kib;
  std::optional<int64_t> balloon_kib_per_second;
  // The guest never releases a device it is asked to give up, so a detach
  // times out unless forced; turning it off lets a pending detach complete.
  std::optional<bool> refuse_device_release;
};

class SimHypervisor final : public Hypervisor {
 public:
  // Opens (or creates) the host state file. FAILED_PRECONDITION if another
  // process holds it; DATA_LOSS if it is corrupt beyond its redundancy;
  // INVALID_ARGUMENT for an impossible config (dom0 larger than the host...).
  // `clock` and `logger` are borrowed and must outlive the result.
  static absl::StatusOr<std::unique_ptr<SimHypervisor>> Open(const SimHostConfig& config,
                                                             const Clock& clock, Logger& logger);
  ~SimHypervisor() override;

  absl::StatusOr<HostFacts> DescribeHost(const OpContext& ctx) override;
  stream::ImageFormat image_format() const override { return stream::ImageFormat::kXenia; }
  absl::StatusOr<xenia::v1::DomainSpec> SpecOfXlImage(const OpContext& ctx,
                                                      absl::string_view config_json) override;
  absl::StatusOr<std::vector<DomainFacts>> ListDomains(const OpContext& ctx) override;
  absl::StatusOr<DomainFacts> DescribeDomain(const OpContext& ctx,
                                             const DomainRef& domain) override;
  absl::StatusOr<DomainFacts> CreateDomain(const OpContext& ctx,
                                           const CreateDomainRequest& req) override;
  absl::Status DestroyDomain(const OpContext& ctx, const DomainRef& domain) override;
  absl::Status ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req) override;
  absl::Status PauseDomain(const OpContext& ctx, const DomainRef& domain) override;
  absl::Status SetMemoryTarget(const OpContext& ctx, const DomainRef& domain,
                               int64_t target_kib) override;
  absl::Status SetMaxMemory(const OpContext& ctx, const DomainRef& domain,
                            int64_t max_kib) override;
  absl::Status SetOnlineVcpus(const OpContext& ctx, const DomainRef& domain,
                              int32_t vcpus) override;
  absl::Status UnpauseDomain(const OpContext& ctx, const DomainRef& domain) override;
  // Devices have a backend and a frontend whose xenbus states follow the
  // guest (guest_devices.h); PCI devices come from SimHostConfig's
  // assignable_pci.
  absl::StatusOr<std::vector<DeviceFacts>> ListDevices(const OpContext& ctx,
                                                       const DomainRef& domain) override;
  absl::StatusOr<DeviceFacts> AttachDevice(const OpContext& ctx, const DomainRef& domain,
                                           const AttachDeviceRequest& req) override;
  absl::Status DetachDevice(const OpContext& ctx, const DomainRef& domain,
                            const DetachDeviceRequest& req) override;
  absl::StatusOr<std::vector<AssignablePci>> ListAssignablePci(const OpContext& ctx) override;
  // The simulator keeps no more of a definition than its facts: name, uuid,
  // type, memory and vCPUs.
  absl::StatusOr<xenia::v1::DomainSpec> RetrieveDomainSpec(const OpContext& ctx,
                                                           const DomainRef& domain) override;
  // The mark is a flag of the domain's record in the state file.
  absl::StatusOr<bool> MadeByXeniad(const OpContext& ctx, const DomainRef& domain) override;
  // The stream carries every page of the guest's memory (guest_memory.h) and
  // its timeline; a restore checks every page against the content the guest
  // must have.
  absl::StatusOr<SaveDomainResult> SaveDomain(const OpContext& ctx,
                                              const SaveDomainRequest& req) override;
  absl::StatusOr<RestoredDomain> RestoreDomain(const OpContext& ctx,
                                               const RestoreDomainRequest& req) override;
  absl::Status ResumeDomain(const OpContext& ctx, const DomainRef& domain) override;
  void Watch(DomainEventHandler* handler) override;

  // Changes how a running (or paused) guest behaves. NOT_FOUND /
  // FAILED_PRECONDITION as for the other calls (a shut-down guest no longer
  // runs), INVALID_ARGUMENT for a negative duration. Returns the behaviour
  // now in force with every field set: durations count from now,
  // InfiniteDuration() for what is not scheduled.
  absl::StatusOr<GuestBehavior> SetGuestBehavior(const DomainRef& domain,
                                                 const GuestBehavior& behavior);

  // Applies every guest action that is due by the clock's now, delivering
  // their events to the watcher on this thread. The event thread calls it;
  // tests with a FakeClock call it after advancing the clock.
  void ProcessDueTransitions();

 private:
  explicit SimHypervisor(std::unique_ptr<SimHost> host);
  std::unique_ptr<SimHost> host_;
};

}  // namespace xenia::hv
