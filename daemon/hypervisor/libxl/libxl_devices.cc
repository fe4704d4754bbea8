// LibxlHypervisor's devices of running guests, as xl block-attach,
// block-detach, block-list, network-*, pci-attach, pci-detach, pci-list and
// pci-assignable-list make them (tools/xl/xl_block.c, xl_nic.c, xl_pci.c).
//
// Every libxl call here is synchronous (ao_how NULL): the engine calls these
// methods on a worker thread, libxl runs its own event loop for the call on
// that thread, and the backend's event thread goes on serving the watches.
// The deadline and cancellation are checked before a call starts; the call
// itself runs to its end (a detach waits up to libxl's 10s).
//
// States: libxl_diskinfo's and libxl_nicinfo's `state` is the frontend's (it
// is read from the frontend's directory), and the info gives the backend's
// path but not its state, which is read from xenstore directly, with
// libxenstore (the library libxl itself uses). Without a xenstore
// connection the states are left kUnknown and the listing goes on.
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "daemon/hypervisor/libxl/device_state.h"
#include "daemon/hypervisor/libxl/domain_config.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_status.h"
#include "daemon/hypervisor/libxl/stored_config.h"

extern "C" {
#include <xenstore.h>
}

namespace xenia::hv {
namespace {

// How long libxl waits for a guest to release a device it was asked to
// release (LIBXL_DESTROY_TIMEOUT in libxl_internal.h, which is not
// installed).
constexpr int kLibxlDestroyTimeoutSeconds = 10;

bool Live(const DomainFacts& facts) {
  return facts.state == RunState::kRunning || facts.state == RunState::kPaused;
}

// Owns an array libxl returned and frees it with the list's own function.
// The count is taken by reference and read in the constructor, after the
// listing call that sets it: `LibxlList l(libxl_x_list(ctx, &n), n)` would
// otherwise read `n` before the call (the order in which arguments are
// evaluated is unspecified, and GCC evaluates them right to left).
template <typename T, void (*kFree)(T*, int)>
class LibxlList {
 public:
  LibxlList(T* items, const int& count) : items_(items), count_(items != nullptr ? count : 0) {
    if (count_ < 0) count_ = 0;
  }
  ~LibxlList() {
    if (items_ != nullptr) kFree(items_, count_);
  }
  LibxlList(const LibxlList&) = delete;
  LibxlList& operator=(const LibxlList&) = delete;

  T* begin() { return items_; }
  T* end() { return items_ + count_; }
  int size() const { return count_; }
  T& operator[](int i) { return items_[i]; }

 private:
  T* items_;
  int count_;
};

using DiskList = LibxlList<libxl_device_disk, libxl_device_disk_list_free>;
using NicList = LibxlList<libxl_device_nic, libxl_device_nic_list_free>;
using PciList = LibxlList<libxl_device_pci, libxl_device_pci_list_free>;
using AssignableList = LibxlList<libxl_device_pci, libxl_device_pci_assignable_list_free>;
using DominfoList = LibxlList<libxl_dominfo, libxl_dominfo_list_free>;

// Owns one libxl value: initialised on construction, disposed on
// destruction.
template <typename T, void (*kInit)(T*), void (*kDispose)(T*)>
class Scoped {
 public:
  Scoped() { kInit(&value_); }
  ~Scoped() { kDispose(&value_); }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;

  T* get() { return &value_; }
  T* operator->() { return &value_; }
  const T& operator*() const { return value_; }

 private:
  T value_;
};

using ScopedDisk = Scoped<libxl_device_disk, libxl_device_disk_init, libxl_device_disk_dispose>;
using ScopedNic = Scoped<libxl_device_nic, libxl_device_nic_init, libxl_device_nic_dispose>;
using ScopedPci = Scoped<libxl_device_pci, libxl_device_pci_init, libxl_device_pci_dispose>;
using ScopedDiskinfo = Scoped<libxl_diskinfo, libxl_diskinfo_init, libxl_diskinfo_dispose>;
using ScopedNicinfo = Scoped<libxl_nicinfo, libxl_nicinfo_init, libxl_nicinfo_dispose>;

// A read-only use of one xenstore connection.
class Xenstore {
 public:
  Xenstore() : xsh_(xs_open(0)) {}
  ~Xenstore() { xs_close(xsh_); }
  Xenstore(const Xenstore&) = delete;
  Xenstore& operator=(const Xenstore&) = delete;

  bool connected() const { return xsh_ != nullptr; }

  // The node's value; nullopt if it does not exist (or there is no
  // connection).
  std::optional<std::string> Read(const std::string& path) {
    if (xsh_ == nullptr || path.empty()) return std::nullopt;
    unsigned int len = 0;
    void* value = xs_read(xsh_, XBT_NULL, path.c_str(), &len);
    if (value == nullptr) return std::nullopt;
    std::string out(static_cast<const char*>(value), len);
    std::free(value);
    return out;
  }

  // The xenbus state in `node` (e.g. "<backend dir>/state").
  XenbusState State(const std::string& node) {
    std::optional<std::string> value = Read(node);
    return value.has_value() ? XenbusStateFromNumber(*value) : XenbusState::kUnknown;
  }

 private:
  struct xs_handle* xsh_;
};

const DeviceFacts* Find(const std::vector<DeviceFacts>& devices, DeviceKind kind,
                        absl::string_view id) {
  for (const DeviceFacts& device : devices) {
    if (DeviceMatches(device, kind, id)) return &device;
  }
  return nullptr;
}

// "disk xvdb", "network interface 00:16:3e:0a:0b:0c", "PCI device 0000:03:00.0".
std::string DeviceLabel(DeviceKind kind, absl::string_view id) {
  return absl::StrCat(DeviceKindName(kind), " ", id);
}

absl::Status NotFound(const std::string& label, DeviceKind kind, absl::string_view id) {
  return absl::NotFoundError(absl::StrCat(label, " has no ", DeviceLabel(kind, id)));
}

}  // namespace

// ------------------------------------------------------------------ listing

std::vector<DeviceFacts> LibxlHypervisor::DevicesOf(const DomainFacts& facts) {
  const uint32_t domid = facts.domid;
  std::vector<DeviceFacts> devices;
  Xenstore xs;
  if (!xs.connected()) {
    logger_.Warn("cannot connect to xenstore to read the states of the domain's devices",
                 {{"domid", domid}, {"errno", errno}});
  }
  // What libxl's xenstore records lack (a disk's format...) is in the
  // configuration libxl keeps with the domain, updated on every hot-plug.
  ScopedDomainConfig stored;
  absl::StatusOr<bool> has_stored = ReadStoredConfig(ctx(), domid, stored.get());
  if (!has_stored.ok()) {
    logger_.Debug("cannot read libxl's stored config to complete the domain's devices",
                  {{"domid", domid}, {"error", has_stored.status()}});
  }
  const bool complete = has_stored.ok() && *has_stored;

  int num_disks = 0;
  DiskList disks(libxl_device_disk_list(ctx(), domid, &num_disks), num_disks);
  for (libxl_device_disk& disk : disks) {
    ScopedDiskinfo info;
    int32_t devid = -1;
    XenbusState backend = XenbusState::kUnknown;
    XenbusState frontend = XenbusState::kUnknown;
    if (libxl_device_disk_getinfo(ctx(), domid, &disk, info.get()) == 0) {
      devid = (*info).devid;
      frontend = XenbusStateFromInt((*info).state);
      if ((*info).backend != nullptr) backend = xs.State(absl::StrCat((*info).backend, "/state"));
    } else {
      // libxl_device_disk_getinfo frees `backend` on some of its failures
      // without clearing it; the dispose must not free it again.
      info->backend = nullptr;
      // Being torn down as we look; name it by its vdev all the same.
      if (disk.vdev != nullptr) devid = VdevToDevid(disk.vdev).value_or(-1);
    }
    DeviceFacts device = DiskFacts(disk, devid);
    SetStates(backend, frontend, &device);
    if (complete) CompleteFromStored(*stored, &device);
    devices.push_back(std::move(device));
  }

  int num_nics = 0;
  NicList nics(libxl_device_nic_list(ctx(), domid, &num_nics), num_nics);
  for (libxl_device_nic& nic : nics) {
    ScopedNicinfo info;
    XenbusState backend = XenbusState::kUnknown;
    XenbusState frontend = XenbusState::kUnknown;
    if (libxl_device_nic_getinfo(ctx(), domid, &nic, info.get()) == 0) {
      frontend = XenbusStateFromInt((*info).state);
      if ((*info).backend != nullptr) backend = xs.State(absl::StrCat((*info).backend, "/state"));
    }
    DeviceFacts device = NicFacts(nic);
    SetStates(backend, frontend, &device);
    if (complete) CompleteFromStored(*stored, &device);
    devices.push_back(std::move(device));
  }

  // PCI devices hang off one pciback device per domain (devid 0), with
  // per-device nodes dev-N, state-N... A PV guest's pcifront connects to
  // it; an HVM guest sees its devices through the device model, so its
  // devices have no xenbus ends to report.
  int num_pcis = 0;
  PciList pcis(libxl_device_pci_list(ctx(), domid, &num_pcis), num_pcis);
  const std::string pci_frontend = absl::StrFormat("/local/domain/%u/device/pci/0", domid);
  const std::string pci_backend =
      pcis.size() > 0 && facts.type == xenia::v1::PV
          ? xs.Read(pci_frontend + "/backend")
                .value_or(absl::StrFormat("/local/domain/0/backend/pci/%u/0", domid))
          : std::string();
  for (int i = 0; i < pcis.size(); ++i) {
    DeviceFacts device = PciFacts(pcis[i], i);
    if (!pci_backend.empty()) {
      SetStates(xs.State(pci_backend + "/state"), xs.State(pci_frontend + "/state"), &device);
      // libxl marks the one device it removes Closing (state-N) while the
      // whole backend reconfigures.
      device.closing = xs.State(absl::StrCat(pci_backend, "/state-", i)) == XenbusState::kClosing;
    }
    devices.push_back(std::move(device));
  }

  SortDevices(&devices);
  return devices;
}

absl::StatusOr<std::vector<DeviceFacts>> LibxlHypervisor::ListDevices(const OpContext& ctx,
                                                                      const DomainRef& domain) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  return DevicesOf(*facts);
}

// ------------------------------------------------------------------ attach

absl::StatusOr<DeviceFacts> LibxlHypervisor::AttachDevice(const OpContext& ctx,
                                                          const DomainRef& domain,
                                                          const AttachDeviceRequest& req) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  const absl::string_view kind = DeviceKindName(req.kind);
  if (!Live(*facts) || facts->domid == 0) {
    return RequireState(*facts, RunState::kRunning, "running or paused",
                        absl::StrCat("given a ", kind));
  }
  const auto missing = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("the request to attach a ", kind, " carries no ", kind));
  };
  switch (req.kind) {
    case DeviceKind::kDisk:
      if (req.disk == nullptr) return missing();
      return AttachDisk(ctx, *facts, *req.disk);
    case DeviceKind::kNic:
      if (req.nic == nullptr) return missing();
      return AttachNic(ctx, *facts, *req.nic);
    case DeviceKind::kPci:
      if (req.pci == nullptr) return missing();
      return AttachPci(ctx, *facts, *req.pci);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device kind ", static_cast<int>(req.kind)));
}

absl::StatusOr<DeviceFacts> LibxlHypervisor::AttachDisk(const OpContext& ctx,
                                                        const DomainFacts& facts,
                                                        const xenia::v1::Disk& spec) {
  const std::string label = DomainLabelFor(facts.domid, facts.name);
  ScopedDisk disk;
  if (absl::Status s = MapDisk(spec, "disk", disk.get()); !s.ok()) return s;
  absl::StatusOr<int32_t> devid = VdevToDevid(spec.vdev());
  if (!devid.ok()) return devid.status();
  if (Find(DevicesOf(facts), DeviceKind::kDisk, spec.vdev()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat(label, " already has a disk ", spec.vdev(), " (devid ", *devid, ")"));
  }
  DeviceFacts attached = DiskFacts(*disk, *devid);  // if the listing misses it

  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  // Sets the backend up and runs its hotplug script; it does not wait for
  // the guest to connect.
  const int rc = libxl_device_disk_add(this->ctx(), facts.domid, disk.get(), nullptr);
  if (rc != 0) {
    logger_.Error("libxl_device_disk_add failed", {{"domid", facts.domid},
                                                   {"vdev", spec.vdev()},
                                                   {"target", spec.target()},
                                                   {"rc", rc},
                                                   {"trace_id", ctx.trace_id}});
    return LibxlStatus(
        rc, absl::StrCat("attaching disk ", spec.vdev(), " (",
                         spec.target().empty() ? "no medium" : spec.target(), ") to ", label));
  }
  logger_.Info("disk attached", {{"domid", facts.domid},
                                 {"vdev", spec.vdev()},
                                 {"target", spec.target()},
                                 {"trace_id", ctx.trace_id}});
  const std::vector<DeviceFacts> now = DevicesOf(facts);
  if (const DeviceFacts* listed = Find(now, DeviceKind::kDisk, spec.vdev()); listed != nullptr) {
    return *listed;
  }
  logger_.Warn("libxl does not list the disk it attached",
               {{"domid", facts.domid}, {"vdev", spec.vdev()}});
  return attached;
}

absl::StatusOr<DeviceFacts> LibxlHypervisor::AttachNic(const OpContext& ctx,
                                                       const DomainFacts& facts,
                                                       const xenia::v1::NetworkInterface& spec) {
  const std::string label = DomainLabelFor(facts.domid, facts.name);
  ScopedNic nic;
  // devid -1: libxl gives the interface the next free one.
  if (absl::Status s = MapNic(spec, "network_interface", -1, nic.get()); !s.ok()) return s;
  if (!spec.mac().empty() && Find(DevicesOf(facts), DeviceKind::kNic, spec.mac()) != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrCat(label, " already has a network interface with MAC ", spec.mac()));
  }

  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  // libxl fills in what is unset (the nic is in/out): a MAC in Xen's OUI
  // (00:16:3e) when none is given, the devid, the bridge and script.
  const int rc = libxl_device_nic_add(this->ctx(), facts.domid, nic.get(), nullptr);
  if (rc != 0) {
    logger_.Error("libxl_device_nic_add failed",
                  {{"domid", facts.domid}, {"rc", rc}, {"trace_id", ctx.trace_id}});
    return LibxlStatus(
        rc, absl::StrCat("attaching a network interface",
                         spec.mac().empty() ? "" : absl::StrCat(" with MAC ", spec.mac()), " to ",
                         label));
  }
  DeviceFacts attached = NicFacts(*nic);  // if the listing misses it
  logger_.Info("network interface attached", {{"domid", facts.domid},
                                              {"devid", attached.devid},
                                              {"mac", attached.nic.mac()},
                                              {"trace_id", ctx.trace_id}});
  const std::vector<DeviceFacts> now = DevicesOf(facts);
  const DeviceFacts* listed = nullptr;
  if (attached.devid >= 0) {
    listed = Find(now, DeviceKind::kNic, absl::StrCat(attached.devid));
  }
  if (listed == nullptr && !attached.nic.mac().empty()) {
    listed = Find(now, DeviceKind::kNic, attached.nic.mac());
  }
  if (listed != nullptr) return *listed;
  logger_.Warn("libxl does not list the network interface it attached",
               {{"domid", facts.domid}, {"devid", attached.devid}});
  return attached;
}

absl::StatusOr<DeviceFacts> LibxlHypervisor::AttachPci(const OpContext& ctx,
                                                       const DomainFacts& facts,
                                                       const xenia::v1::PciDevice& spec) {
  const std::string label = DomainLabelFor(facts.domid, facts.name);
  if (facts.type == xenia::v1::PVH) {
    return absl::FailedPreconditionError(
        absl::StrCat(label,
                     " is a PVH guest, and Xen 4.17 cannot pass PCI devices through to PVH guests "
                     "(only to PV and HVM ones)"));
  }
  ScopedPci pci;
  if (absl::Status s = MapPciDevice(spec, "pci_device", pci.get()); !s.ok()) return s;
  const std::string bdf = PciAddressOf(*pci);

  {
    int num_listed = 0;
    PciList listed(libxl_device_pci_list(this->ctx(), facts.domid, &num_listed), num_listed);
    for (libxl_device_pci& have : listed) {
      if (PciOverlaps(*pci, have)) {
        return absl::AlreadyExistsError(
            absl::StrCat(label, " already has PCI device ", PciAddressOf(have)));
      }
    }
  }
  // libxl checks the device (function 0 of a whole slot) against the same
  // list, but says only "not assignable" in its log; say why here.
  const std::string checked =
      absl::StrFormat("%04x:%02x:%02x.%x", pci->domain, pci->bus, pci->dev, pci->func);
  absl::StatusOr<std::vector<AssignablePci>> host = PcibackDevices();
  if (!host.ok()) return host.status();
  const AssignablePci* found = nullptr;
  for (const AssignablePci& candidate : *host) {
    if (candidate.bdf == checked) found = &candidate;
  }
  if (found != nullptr && found->domid.has_value()) {
    return absl::FailedPreconditionError(absl::StrCat("PCI device ", checked,
                                                      " is in use: it is passed through to domain ",
                                                      *found->domid, "; detach it there first"));
  }
  // With seize, libxl binds the device to pciback itself.
  if (found == nullptr && !pci->seize) {
    return absl::FailedPreconditionError(
        absl::StrCat("PCI device ", checked,
                     " is not assignable (not bound to pciback): xl pci-assignable-add it first"));
  }

  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  const int rc = libxl_device_pci_add(this->ctx(), facts.domid, pci.get(), nullptr);
  if (rc != 0) {
    logger_.Error("libxl_device_pci_add failed",
                  {{"domid", facts.domid}, {"bdf", bdf}, {"rc", rc}, {"trace_id", ctx.trace_id}});
    return LibxlStatus(
        rc,
        absl::StrCat("passing PCI device ", bdf, " through to ", label,
                     facts.type == xenia::v1::HVM ? " (an HVM guest needs the host's IOMMU)" : ""));
  }
  logger_.Info("PCI device attached",
               {{"domid", facts.domid}, {"bdf", bdf}, {"trace_id", ctx.trace_id}});
  const std::vector<DeviceFacts> now = DevicesOf(facts);
  if (const DeviceFacts* listed = Find(now, DeviceKind::kPci, checked); listed != nullptr) {
    return *listed;
  }
  logger_.Warn("libxl does not list the PCI device it attached",
               {{"domid", facts.domid}, {"bdf", bdf}});
  return PciFacts(*pci, -1);
}

// ------------------------------------------------------------------ detach

absl::Status LibxlHypervisor::DetachDevice(const OpContext& ctx, const DomainRef& domain,
                                           const DetachDeviceRequest& req) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  absl::StatusOr<DomainFacts> facts = Lookup(domain);
  if (!facts.ok()) return facts.status();
  const absl::string_view kind = DeviceKindName(req.kind);
  const uint32_t domid = facts->domid;
  const std::string label = DomainLabelFor(domid, facts->name);
  if (domid == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(label, " is the control domain; its devices cannot be detached"));
  }
  if (!Live(*facts)) {
    return absl::FailedPreconditionError(absl::StrCat(label, " is ", StateForMessage(*facts),
                                                      "; it must be running or paused for its ",
                                                      kind, " to be detached"));
  }
  if (req.id.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the request to detach a ", kind, " of ", label, " names none"));
  }
  const std::string device = DeviceLabel(req.kind, req.id);
  const std::string doing =
      absl::StrCat(req.force ? "tearing down " : "detaching ", device, " of ", label);
  // The guest's release (without force) times out after libxl's 10s.
  const auto timed_out = [&] {
    return absl::DeadlineExceededError(absl::StrCat(
        label, facts->state == RunState::kPaused ? " (paused)" : "", " did not release ", device,
        " within ", kLibxlDestroyTimeoutSeconds,
        "s: the device stays closing until the guest lets it go; detach with force to remove "
        "it at once (the guest may lose what it has not written)"));
  };
  const auto finish = [&](const char* call, int rc) -> absl::Status {
    if (rc == 0) {
      logger_.Info(req.force ? "device torn down" : "device detached",
                   {{"domid", domid}, {"kind", kind}, {"id", req.id}, {"trace_id", ctx.trace_id}});
      return absl::OkStatus();
    }
    logger_.Error(absl::StrCat(call, " failed"),
                  {{"domid", domid}, {"id", req.id}, {"rc", rc}, {"trace_id", ctx.trace_id}});
    if (rc == ERROR_TIMEDOUT && !req.force) return timed_out();
    // A forced removal whose backend did not reach Closed in time still
    // deletes libxl's records of the device (and reports the timeout).
    if (rc == ERROR_TIMEDOUT && Find(DevicesOf(*facts), req.kind, req.id) == nullptr) {
      logger_.Warn("the backend did not close in time, but the device is gone",
                   {{"domid", domid}, {"id", req.id}, {"trace_id", ctx.trace_id}});
      return absl::OkStatus();
    }
    return LibxlStatus(rc, doing);
  };
  if (!req.force) ctx.Progress(10, absl::StrCat("asking ", label, " to release ", device));

  switch (req.kind) {
    case DeviceKind::kDisk: {
      int n = 0;
      DiskList disks(libxl_device_disk_list(this->ctx(), domid, &n), n);
      libxl_device_disk* found = nullptr;
      for (libxl_device_disk& disk : disks) {
        const int32_t devid = disk.vdev != nullptr ? VdevToDevid(disk.vdev).value_or(-1) : -1;
        if (DeviceMatches(DiskFacts(disk, devid), DeviceKind::kDisk, req.id)) found = &disk;
      }
      if (found == nullptr) return NotFound(label, req.kind, req.id);
      if (found->specification == LIBXL_DISK_SPECIFICATION_VIRTIO) {
        return absl::FailedPreconditionError(absl::StrCat(
            device, " of ", label, " is a virtio disk, which libxl cannot hot-unplug"));
      }
      if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
      // safe_remove asks the guest (the backend goes to Closing) and fails
      // with ERROR_TIMEDOUT if the backend is not Closed within 10s,
      // leaving the device as it is; destroy removes it at once. (A qdisk
      // of a paused guest is forced by libxl after 2s either way.)
      if (req.force) {
        return finish("libxl_device_disk_destroy",
                      libxl_device_disk_destroy(this->ctx(), domid, found, nullptr));
      }
      return finish("libxl_device_disk_safe_remove",
                    libxl_device_disk_safe_remove(this->ctx(), domid, found, nullptr));
    }
    case DeviceKind::kNic: {
      int n = 0;
      NicList nics(libxl_device_nic_list(this->ctx(), domid, &n), n);
      libxl_device_nic* found = nullptr;
      for (libxl_device_nic& nic : nics) {
        if (DeviceMatches(NicFacts(nic), DeviceKind::kNic, req.id)) found = &nic;
      }
      if (found == nullptr) return NotFound(label, req.kind, req.id);
      if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
      if (req.force) {
        return finish("libxl_device_nic_destroy",
                      libxl_device_nic_destroy(this->ctx(), domid, found, nullptr));
      }
      // libxl 4.17 has no safe remove for interfaces: libxl_device_nic_remove
      // asks the guest, and when the guest has not let go within 10s it
      // tears the interface down anyway (and succeeds), so this detach
      // never leaves an interface closing.
      return finish("libxl_device_nic_remove",
                    libxl_device_nic_remove(this->ctx(), domid, found, nullptr));
    }
    case DeviceKind::kPci: {
      int n = 0;
      PciList pcis(libxl_device_pci_list(this->ctx(), domid, &n), n);
      libxl_device_pci* found = nullptr;
      for (int i = 0; i < pcis.size(); ++i) {
        if (DeviceMatches(PciFacts(pcis[i], i), DeviceKind::kPci, req.id)) found = &pcis[i];
      }
      if (found == nullptr) return NotFound(label, req.kind, req.id);
      if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
      // Without force, an HVM guest's device model is asked to unplug it
      // and a timeout fails the call; with force the device is taken away
      // whatever the guest does.
      if (req.force) {
        return finish("libxl_device_pci_destroy",
                      libxl_device_pci_destroy(this->ctx(), domid, found, nullptr));
      }
      return finish("libxl_device_pci_remove",
                    libxl_device_pci_remove(this->ctx(), domid, found, nullptr));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown device kind ", static_cast<int>(req.kind)));
}

// ------------------------------------------------------------------ PCI

absl::StatusOr<std::vector<AssignablePci>> LibxlHypervisor::PcibackDevices() {
  // The free ones: libxl reads pciback's directory in sysfs and leaves out
  // those it has passed through. Without pciback it logs an error and
  // gives none.
  int num_free = 0;
  AssignableList free_list(libxl_device_pci_assignable_list(ctx(), &num_free), num_free);
  std::vector<std::string> free;
  for (const libxl_device_pci& pci : free_list) free.push_back(PciAddressOf(pci));

  // The passed-through ones, from every domain's list.
  int num_domains = -1;
  DominfoList domains(libxl_list_domain(ctx(), &num_domains), num_domains);
  if (domains.size() == 0 && num_domains != 0) {
    return absl::UnavailableError(
        "listing the host's domains for their PCI devices: libxl_list_domain failed; libxl's "
        "own messages are in the daemon's log");
  }
  std::vector<AssignablePci> assigned;
  for (const libxl_dominfo& info : domains) {
    int n = 0;
    PciList pcis(libxl_device_pci_list(ctx(), info.domid, &n), n);
    for (const libxl_device_pci& pci : pcis) {
      assigned.push_back(AssignablePci{PciAddressOf(pci), info.domid});
    }
  }
  return MergeAssignablePci(free, assigned);
}

absl::StatusOr<std::vector<AssignablePci>> LibxlHypervisor::ListAssignablePci(
    const OpContext& ctx) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  return PcibackDevices();
}

}  // namespace xenia::hv
