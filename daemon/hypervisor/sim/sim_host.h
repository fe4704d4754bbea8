// SimHost: the simulated host behind SimHypervisor: its domains (mirrored in
// memory from the state file, written through to it on every change), dom0,
// admission control, domid allocation, and the event thread that applies
// what guests do on their own when it falls due.
//
// Locking: one mutex guards the domains and the file. Every method first
// applies the guest actions already due, so no caller sees stale state; the
// events they produce are delivered after the mutex is released, in order
// (EventQueue).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/sim/event_queue.h"
#include "daemon/hypervisor/sim/sim_device_files.h"
#include "daemon/hypervisor/sim/sim_domain.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "daemon/hypervisor/sim/sim_state_file.h"

namespace xenia::hv {

class SimHost {
 public:
  // Takes the opened state file; `config` must be valid (see
  // ValidateSimHostConfig). Call Load() before anything else.
  SimHost(const SimHostConfig& config, const Clock& clock, Logger& logger,
          std::unique_ptr<SimStateFile> file);
  // Stops the event thread.
  ~SimHost();
  SimHost(const SimHost&) = delete;
  SimHost& operator=(const SimHost&) = delete;

  // Reads the domains from the state file and applies what fell due while no
  // one watched (no events: nobody watches yet). DATA_LOSS if the file
  // contradicts itself.
  absl::Status Load() ABSL_LOCKS_EXCLUDED(mu_);
  void StartEventThread() ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<HostFacts> DescribeHost(const OpContext& ctx) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<DomainFacts>> ListDomains(const OpContext& ctx)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<DomainFacts> DescribeDomain(const OpContext& ctx, const DomainRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<bool> MadeByXeniad(const OpContext& ctx, const DomainRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<DomainFacts> CreateDomain(const OpContext& ctx, const CreateDomainRequest& req)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status DestroyDomain(const OpContext& ctx, const DomainRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status PauseDomain(const OpContext& ctx, const DomainRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status UnpauseDomain(const OpContext& ctx, const DomainRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  // sim_host_save.cc.
  absl::StatusOr<SaveDomainResult> SaveDomain(const OpContext& ctx, const SaveDomainRequest& req)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<RestoredDomain> RestoreDomain(const OpContext& ctx,
                                               const RestoreDomainRequest& req)
      ABSL_LOCKS_EXCLUDED(mu_);
  // sim_host_live_save.cc: SaveDomain with req.live set.
  absl::StatusOr<SaveDomainResult> LiveSave(const OpContext& ctx, const SaveDomainRequest& req)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status ResumeDomain(const OpContext& ctx, const DomainRef& ref) ABSL_LOCKS_EXCLUDED(mu_);
  // xl mem-set, mem-max and vcpu-set (sim_domain.h has the rules).
  absl::Status SetMemoryTarget(const OpContext& ctx, const DomainRef& ref, int64_t target_kib)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SetMaxMemory(const OpContext& ctx, const DomainRef& ref, int64_t max_kib)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status SetOnlineVcpus(const OpContext& ctx, const DomainRef& ref, int32_t vcpus)
      ABSL_LOCKS_EXCLUDED(mu_);
  // sim_host_devices.cc.
  absl::StatusOr<std::vector<DeviceFacts>> ListDevices(const OpContext& ctx, const DomainRef& ref)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<DeviceFacts> AttachDevice(const OpContext& ctx, const DomainRef& ref,
                                           const AttachDeviceRequest& req) ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status DetachDevice(const OpContext& ctx, const DomainRef& ref,
                            const DetachDeviceRequest& req) ABSL_LOCKS_EXCLUDED(mu_);
  absl::StatusOr<std::vector<AssignablePci>> ListAssignablePci(const OpContext& ctx)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Watch(DomainEventHandler* handler);
  absl::StatusOr<GuestBehavior> SetGuestBehavior(const DomainRef& ref,
                                                 const GuestBehavior& behavior)
      ABSL_LOCKS_EXCLUDED(mu_);
  void ProcessDueTransitions() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Domain {
    uint32_t slot = 0;
    SimDomainRecord record;
  };
  // A domain being built (CreateDomain spends create_time): it holds its
  // domid, name, uuid and memory. As on Xen, where the domain exists, paused,
  // from the first hypercall of the build, it is in the file (paused) from
  // the start, so a toolstack that dies mid-build leaves it behind; this
  // process neither lists nor uses it until it is built.
  struct Reservation {
    std::string name;
    std::string uuid;
    int64_t memory_mib = 0;
    uint32_t slot = 0;
    // The PCI devices it is built with (taken from the host's pool).
    std::vector<std::string> pci;
  };
  // A change to one domain's record; returns whether to keep it.
  using Mutation = std::function<absl::Status(SimDomainRecord&, int64_t now)>;

  // Applies every guest action due by `now`, writes the records and queues
  // the events. Returns how many were applied.
  int ApplyDueLocked(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Takes note that a domain's schedule changed and wakes the event thread.
  void NoteScheduleLocked(const SimDomainRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<Domain*> ResolveLocked(const DomainRef& ref) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks that `ref` names a guest (dom0 refuses `step`) and applies `fn`.
  absl::Status MutateDomain(const OpContext* ctx, const DomainRef& ref, absl::string_view step,
                            const Mutation& fn) ABSL_LOCKS_EXCLUDED(mu_);
  DomainFacts Dom0FactsLocked(int64_t now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  HostFacts HostFactsLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Memory held by guests and by domains being built.
  int64_t UsedMemoryMibLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Checks a new domain against names, uuids, slots, memory and the PCI
  // devices it takes.
  absl::Status AdmitLocked(const SimDomainRecord& record) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  uint32_t AllocateDomidLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Admits `record` and holds its domid, name, uuid, memory and slot while it
  // is built; it is on record, paused, from now on (see Reservation).
  absl::Status ReserveLocked(SimDomainRecord& record) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The same, first applying what fell due (its events are delivered).
  absl::Status Reserve(SimDomainRecord& record) ABSL_LOCKS_EXCLUDED(mu_);
  // Ends a reservation: frees it (a failed build) or makes `record` a
  // domain, running unless `paused`. Returns its facts.
  // CommitLocked writes its devices' table first, and abandons the
  // reservation if it cannot.
  void AbandonLocked(uint32_t domid) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<DomainFacts> CommitLocked(SimDomainRecord record, bool paused)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // FAILED_PRECONDITION unless `bdf` is in the host's pool and neither a
  // domain nor a domain being built holds it.
  absl::Status CheckPciFreeLocked(const std::string& bdf, absl::string_view for_whom) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The domid holding `bdf`, if any (a domain being built counts).
  std::optional<uint32_t> PciHolderLocked(const std::string& bdf) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sleeps create_time, within the deadline and unless cancelled.
  absl::Status SpendCreateTime(const OpContext& ctx, absl::string_view label) const;
  void EventLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const SimHostConfig config_;
  const Clock& clock_;
  Logger& logger_;
  const int64_t cpu_load_ppm_;
  EventQueue events_;

  mutable absl::Mutex mu_;
  // Signalled when a schedule changes or the host stops.
  absl::CondVar wake_;
  // Signalled (to all) when any domain changes or goes: what a detach
  // waiting for its guest looks again on.
  absl::CondVar domains_changed_;
  const SimDeviceFiles device_files_;
  const std::unique_ptr<SimStateFile> file_ ABSL_PT_GUARDED_BY(mu_);
  absl::btree_map<uint32_t, Domain> domains_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> domid_by_name_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint32_t> domid_by_uuid_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint32_t, Reservation> reservations_ ABSL_GUARDED_BY(mu_);
  // Free slots of the state file, taken from the back (lowest first at start).
  std::vector<uint32_t> free_slots_ ABSL_GUARDED_BY(mu_);
  // No guest action is due before this host instant (it may be early, never
  // late: an early wake-up only rescans).
  int64_t next_due_ ABSL_GUARDED_BY(mu_) = kNever;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread event_thread_;
};

// A new domain's spec as a record, without domid and times. INVALID_ARGUMENT
// naming the field for what the simulator cannot build.
absl::StatusOr<SimDomainRecord> RecordFromSpec(const CreateDomainRequest& req);

// INVALID_ARGUMENT naming the field for an impossible configuration.
absl::Status ValidateSimHostConfig(const SimHostConfig& config);

}  // namespace xenia::hv
