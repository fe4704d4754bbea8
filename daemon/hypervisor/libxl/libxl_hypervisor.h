// LibxlHypervisor: the Hypervisor of a real Xen dom0, over libxl (Xen 4.17,
// LIBXL_API_VERSION 0x041400). A thin, honest translation: each method is
// one or a few libxl calls, libxl's errors become absl::Status values
// (libxl_status.h), and a DomainSpec becomes a libxl_domain_config by a pure
// function (domain_config.h).
//
// Parts: LibxlContext (the libxl_ctx, its logger, the SIGCHLD mode),
// LibxlEvents (death and shutdown watches, the event thread) and
// PvControlRequests (shutdown/reboot requests that libxl completes later).
//
// Behaviour, beyond the interface's contract:
//   CreateDomain   checks the name and uuid, then memory as xl does
//                  (libxl_domain_need_memory against libxl_get_free_memory,
//                  without ballooning dom0), builds the domain synchronously
//                  and unpauses it unless asked not to. Creates are one at a
//                  time, so that two cannot both count the same free memory.
//                  A failed create leaves nothing behind. The deadline and
//                  cancellation are honoured before the build starts; the
//                  build itself (libxl) runs to its end.
//   ShutdownDomain asks the guest through its PV control node and returns
//                  once asked; an HVM guest without PV drivers gets the ACPI
//                  power button (poweroff) or a reset (reboot) instead.
//   DestroyDomain  returns when libxl has torn the domain down; it reports
//                  no event for it.
//   ListDomains / DescribeDomain  watch every domain they see for shutdown
//                  and death (so a restarted daemon re-arms its watches).
//
// Thread-safe: any thread may call any method.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/logger.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

class LibxlContext;
class LibxlEvents;
class PvControlRequests;

class LibxlHypervisor final : public Hypervisor {
 public:
  // Opens libxl and starts the event thread. UNAVAILABLE when this is not a
  // Xen dom0 (or xeniad is not root). `clock` and `logger` are borrowed and
  // must outlive the result.
  static absl::StatusOr<std::unique_ptr<LibxlHypervisor>> Open(const Clock& clock, Logger& logger);
  ~LibxlHypervisor() override;

  absl::StatusOr<HostFacts> DescribeHost(const OpContext& ctx) override;
  absl::StatusOr<std::vector<DomainFacts>> ListDomains(const OpContext& ctx) override;
  absl::StatusOr<DomainFacts> DescribeDomain(const OpContext& ctx,
                                             const DomainRef& domain) override;
  absl::StatusOr<DomainFacts> CreateDomain(const OpContext& ctx,
                                           const CreateDomainRequest& req) override;
  absl::Status DestroyDomain(const OpContext& ctx, const DomainRef& domain) override;
  absl::Status ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req) override;
  absl::Status PauseDomain(const OpContext& ctx, const DomainRef& domain) override;
  // libxl_resources.cc.
  absl::Status SetMemoryTarget(const OpContext& ctx, const DomainRef& domain,
                               int64_t target_kib) override;
  absl::Status SetMaxMemory(const OpContext& ctx, const DomainRef& domain,
                            int64_t max_kib) override;
  absl::Status SetOnlineVcpus(const OpContext& ctx, const DomainRef& domain,
                              int32_t vcpus) override;
  absl::Status UnpauseDomain(const OpContext& ctx, const DomainRef& domain) override;
  // libxl_devices.cc. Synchronous libxl calls, as xl block-*, network-* and
  // pci-* make them. A detach without force of a disk that the guest does
  // not release within libxl's 10s fails with DEADLINE_EXCEEDED and leaves
  // it closing (libxl_device_disk_safe_remove); an interface's detach
  // without force is libxl's remove, which tears the interface down anyway
  // after those 10s (libxl 4.17 has no safe remove for interfaces). PCI
  // devices are refused for PVH guests (Xen 4.17 cannot pass them through),
  // and unless libxl lists them as assignable (bound to pciback, not in use).
  absl::StatusOr<std::vector<DeviceFacts>> ListDevices(const OpContext& ctx,
                                                       const DomainRef& domain) override;
  absl::StatusOr<DeviceFacts> AttachDevice(const OpContext& ctx, const DomainRef& domain,
                                           const AttachDeviceRequest& req) override;
  absl::Status DetachDevice(const OpContext& ctx, const DomainRef& domain,
                            const DetachDeviceRequest& req) override;
  absl::StatusOr<std::vector<AssignablePci>> ListAssignablePci(const OpContext& ctx) override;
  // libxl's stored configuration of the domain (what xl or xeniad created
  // it from), translated back. For dom0, and for a domain libxl holds no
  // configuration of, the spec has what the facts tell: name, uuid, type,
  // memory and vCPUs.
  absl::StatusOr<xenia::v1::DomainSpec> RetrieveDomainSpec(const OpContext& ctx,
                                                           const DomainRef& domain) override;
  // The mark is a key of the domain's create info (c_info.xsdata, which
  // libxl also writes to the domain's xenstore directory) in the
  // configuration libxl stores for the domain.
  absl::StatusOr<bool> MadeByXeniad(const OpContext& ctx, const DomainRef& domain) override;
  // Images in xl's save format (libxl_save.cc): `xl restore` reads what
  // SaveDomain writes, and RestoreDomain reads what `xl save` wrote.
  stream::ImageFormat image_format() const override { return stream::ImageFormat::kXl; }
  absl::StatusOr<xenia::v1::DomainSpec> SpecOfXlImage(const OpContext& ctx,
                                                      absl::string_view config_json) override;
  absl::StatusOr<SaveDomainResult> SaveDomain(const OpContext& ctx,
                                              const SaveDomainRequest& req) override;
  absl::StatusOr<RestoredDomain> RestoreDomain(const OpContext& ctx,
                                               const RestoreDomainRequest& req) override;
  absl::Status ResumeDomain(const OpContext& ctx, const DomainRef& domain) override;
  void Watch(DomainEventHandler* handler) override;

 private:
  LibxlHypervisor(const Clock& clock, Logger& logger, std::unique_ptr<LibxlContext> context);

  libxl_ctx* ctx() const;
  absl::Status CheckContext(const OpContext& ctx) const;
  // The facts of `ref` (NOT_FOUND if gone or holding another uuid), with
  // its watch armed.
  absl::StatusOr<DomainFacts> Lookup(const DomainRef& ref);
  // Facts of one dominfo: name from xenstore, PVH told from HVM.
  DomainFacts FactsOf(const libxl_dominfo& info);
  // Refines HVM to PVH for a domain libxl built as PVH (from its stored
  // config), remembering the answer per domid and uuid.
  xenia::v1::DomainType TypeOf(uint32_t domid, const std::string& uuid,
                               xenia::v1::DomainType reported);
  void RememberType(uint32_t domid, const std::string& uuid, xenia::v1::DomainType type);
  // FAILED_PRECONDITION in the simulator's words unless `facts` is in
  // `needed`; for dom0, that it is the control domain.
  static absl::Status RequireState(const DomainFacts& facts, RunState needed,
                                   absl::string_view needed_name, absl::string_view step);
  // Destroys what a failed create left behind (domain `domid` if it still
  // holds `uuid`), logging what it does.
  void DestroyLeftover(uint32_t domid, const std::string& uuid);
  // Whether Xen can track a PV guest's writes (log-dirty mode needs shadow
  // paging), which a live save of a PV guest needs.
  absl::StatusOr<bool> HostCanLogDirtyPv();
  // The spec the facts tell (dom0, or a domain without stored config).
  static xenia::v1::DomainSpec SpecFromFacts(const DomainFacts& facts);

  // libxl_devices.cc: the devices of the domain `facts` describes, states
  // included (ListDevices after its checks); the host's PCI devices bound to
  // pciback, free or passed through; one attach per kind, for a domain that
  // runs or is paused.
  std::vector<DeviceFacts> DevicesOf(const DomainFacts& facts);
  absl::StatusOr<std::vector<AssignablePci>> PcibackDevices();
  absl::StatusOr<DeviceFacts> AttachDisk(const OpContext& ctx, const DomainFacts& facts,
                                         const xenia::v1::Disk& disk);
  absl::StatusOr<DeviceFacts> AttachNic(const OpContext& ctx, const DomainFacts& facts,
                                        const xenia::v1::NetworkInterface& nic);
  absl::StatusOr<DeviceFacts> AttachPci(const OpContext& ctx, const DomainFacts& facts,
                                        const xenia::v1::PciDevice& pci);

  // CreateDomain's checks of name, uuid and memory, made while the caller
  // holds the create slot (libxl_create.cc).
  absl::Status Admit(const xenia::v1::DomainSpec& spec, libxl_domain_config* cfg);
  // The create slot: false if the deadline passed before it was free.
  bool AcquireCreateSlot(absl::Time deadline);
  void ReleaseCreateSlot();

  const Clock& clock_;
  Logger& logger_;
  std::unique_ptr<LibxlContext> context_;
  std::unique_ptr<LibxlEvents> events_;
  std::unique_ptr<PvControlRequests> pv_control_;

  // One create at a time (see the class comment).
  absl::Mutex creates_mu_;
  bool creating_ ABSL_GUARDED_BY(creates_mu_) = false;

  struct KnownType {
    std::string uuid;
    xenia::v1::DomainType type;
  };
  absl::Mutex types_mu_;
  absl::flat_hash_map<uint32_t, KnownType> types_ ABSL_GUARDED_BY(types_mu_);
};

}  // namespace xenia::hv
