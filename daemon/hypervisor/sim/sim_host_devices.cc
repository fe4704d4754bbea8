// SimHost's devices: listing, hot-plug and removal (xl block-attach/-detach
// and their network and PCI kin), and the host's pool of PCI devices.
#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/hypervisor/disk_targets.h"
#include "daemon/hypervisor/sim/sim_host.h"

namespace xenia::hv {
namespace {

// How often a detach waiting for its guest looks at the cancellation flag.
constexpr absl::Duration kCancelPoll = absl::Milliseconds(100);

absl::Status RequireLiveForDevices(const SimDomainRecord& record, absl::string_view verb) {
  if (record.state == RunState::kRunning || record.state == RunState::kPaused) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(DomainLabel(record), " is ",
                                                    StateForMessage(record), "; devices can be ",
                                                    verb, " a running or paused domain only"));
}

// The index of the device `id` names among the record's devices of `kind`,
// or -1. An interface is also named by its devid.
int FindDevice(const SimDomainRecord& record, DeviceKind kind, absl::string_view id) {
  for (size_t i = 0; i < record.devices.size(); ++i) {
    const SimDevice& d = record.devices[i];
    if (d.kind == kind && NamesDevice(kind, d.Id(), d.devid, id)) return static_cast<int>(i);
  }
  return -1;
}

absl::Status NoSuchDevice(const SimDomainRecord& record, DeviceKind kind, absl::string_view id) {
  return absl::NotFoundError(
      absl::StrCat(DomainLabel(record), " has no ", DeviceKindName(kind), " \"", id, "\""));
}

// What the guest's type allows to be hot-plugged, as Xen and QEMU do.
absl::Status CheckHotplugFits(const SimDomainRecord& record, const SimDevice& device) {
  switch (device.kind) {
    case DeviceKind::kDisk:
      if (device.disk.cdrom()) {
        return absl::FailedPreconditionError(
            absl::StrCat("a CD-ROM drive cannot be hot-plugged into ", DomainLabel(record),
                         "; add it to the definition (--persistent) and restart the domain"));
      }
      if (record.type == xenia::v1::HVM && !absl::StartsWith(device.disk.vdev(), "xvd")) {
        return absl::FailedPreconditionError(absl::StrCat(
            "disk ", device.disk.vdev(), ": an emulated disk cannot be hot-plugged into HVM ",
            DomainLabel(record), "; attach it as a PV disk (xvdX), which its PV drivers take"));
      }
      return absl::OkStatus();
    case DeviceKind::kNic:
      if (device.nic.type() == "ioemu") {
        return absl::FailedPreconditionError(
            absl::StrCat("an emulated (ioemu) network interface cannot be hot-plugged into ",
                         DomainLabel(record), "; attach a PV interface (type vif)"));
      }
      return absl::OkStatus();
    case DeviceKind::kPci:
      if (record.type == xenia::v1::PVH) {
        return absl::FailedPreconditionError(
            absl::StrCat("Xen 4.17 cannot pass PCI devices through to PVH guests such as ",
                         DomainLabel(record)));
      }
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

// The device a request describes, before it has a devid.
absl::StatusOr<SimDevice> DeviceOf(const AttachDeviceRequest& req) {
  SimDevice device;
  device.kind = req.kind;
  switch (req.kind) {
    case DeviceKind::kDisk:
      if (req.disk == nullptr) return absl::InvalidArgumentError("no disk to attach");
      device.disk = *req.disk;
      break;
    case DeviceKind::kNic:
      if (req.nic == nullptr) return absl::InvalidArgumentError("no network interface to attach");
      device.nic = *req.nic;
      device.nic.set_mac(absl::AsciiStrToLower(device.nic.mac()));
      break;
    case DeviceKind::kPci:
      if (req.pci == nullptr) return absl::InvalidArgumentError("no PCI device to attach");
      device.pci = *req.pci;
      if (!IsPciAddress(device.pci.bdf())) {
        return absl::InvalidArgumentError(
            absl::StrCat("\"", device.pci.bdf(), "\" is not a PCI address ([DDDD:]BB:DD.F)"));
      }
      device.pci.set_bdf(NormalizePciAddress(device.pci.bdf()));
      break;
  }
  return device;
}

}  // namespace

std::optional<uint32_t> SimHost::PciHolderLocked(const std::string& bdf) const {
  for (const auto& [domid, domain] : domains_) {
    for (const SimDevice& d : domain.record.devices) {
      if (d.kind == DeviceKind::kPci && d.Id() == bdf) return domid;
    }
  }
  for (const auto& [domid, reservation] : reservations_) {
    for (const std::string& held : reservation.pci) {
      if (held == bdf) return domid;
    }
  }
  return std::nullopt;
}

absl::Status SimHost::CheckPciFreeLocked(const std::string& bdf, absl::string_view for_whom) const {
  const bool in_pool =
      std::any_of(config_.assignable_pci.begin(), config_.assignable_pci.end(),
                  [&bdf](const std::string& b) { return NormalizePciAddress(b) == bdf; });
  if (!in_pool) {
    return absl::FailedPreconditionError(
        absl::StrCat("PCI device ", bdf, " (for ", for_whom,
                     ") is not assignable: it is not bound to pciback on this host (see xenia "
                     "pci-assignable-list)"));
  }
  if (std::optional<uint32_t> holder = PciHolderLocked(bdf); holder.has_value()) {
    std::string name;
    if (auto it = domains_.find(*holder); it != domains_.end()) name = it->second.record.name;
    if (auto it = reservations_.find(*holder); it != reservations_.end()) name = it->second.name;
    return absl::FailedPreconditionError(absl::StrCat("PCI device ", bdf, " (for ", for_whom,
                                                      ") is already passed through to ",
                                                      DomainLabel(*holder, name)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<DeviceFacts>> SimHost::ListDevices(const OpContext& ctx,
                                                              const DomainRef& ref) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  absl::StatusOr<std::vector<DeviceFacts>> list;
  {
    absl::MutexLock lock(&mu_);
    const int64_t now = clock_.BootNanos();
    ApplyDueLocked(now);
    if (ref.domid == 0) {
      // dom0's devices are the host's own, not xenbus backends it serves.
      list = std::vector<DeviceFacts>();
    } else if (absl::StatusOr<Domain*> domain = ResolveLocked(ref); !domain.ok()) {
      list = domain.status();
    } else {
      const SimDomainRecord& record = (*domain)->record;
      const int64_t guest_now = GuestNanosAt(record.timeline, now);
      std::vector<DeviceFacts> facts;
      for (const SimDevice& d : record.devices) {
        facts.push_back(DeviceFactsAt(d, HabitsOf(record), guest_now));
      }
      std::stable_sort(facts.begin(), facts.end(), [](const DeviceFacts& a, const DeviceFacts& b) {
        if (a.kind != b.kind) return static_cast<int>(a.kind) < static_cast<int>(b.kind);
        return a.devid < b.devid;
      });
      list = std::move(facts);
    }
  }
  events_.Deliver();
  return list;
}

absl::StatusOr<DeviceFacts> SimHost::AttachDevice(const OpContext& ctx, const DomainRef& ref,
                                                  const AttachDeviceRequest& req) {
  absl::StatusOr<SimDevice> requested = DeviceOf(req);
  if (!requested.ok()) return requested.status();
  if (req.kind == DeviceKind::kDisk) {
    xenia::v1::DomainSpec one;
    *one.add_disks() = requested->disk;
    if (std::vector<std::string> missing = DiskTargetProblems(one); !missing.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot attach disk ", requested->disk.vdev(), ": ", absl::StrJoin(missing, "; ")));
    }
  }
  DeviceFacts attached;
  absl::Status status = MutateDomain(
      &ctx, ref, "given devices", [&](SimDomainRecord& record, int64_t now) -> absl::Status {
        if (absl::Status s = RequireLiveForDevices(record, "attached to"); !s.ok()) return s;
        SimDevice device = *requested;
        if (absl::Status s = CheckHotplugFits(record, device); !s.ok()) return s;
        if (device.kind == DeviceKind::kDisk) {
          absl::StatusOr<int32_t> devid = VdevToDevid(device.disk.vdev());
          if (!devid.ok()) return devid.status();
          device.devid = *devid;
          for (const SimDevice& d : record.devices) {
            if (d.kind == DeviceKind::kDisk && d.devid == device.devid) {
              return absl::AlreadyExistsError(absl::StrCat(
                  DomainLabel(record), " already has a disk at ", device.disk.vdev(),
                  d.disk.vdev() == device.disk.vdev() ? ""
                                                      : absl::StrCat(" (", d.disk.vdev(), ")")));
            }
          }
        } else {
          device.devid = NextDevid(record.devices, device.kind);
        }
        if (device.kind == DeviceKind::kNic && device.nic.mac().empty()) {
          device.nic.set_mac(MacFor(record.uuid, device.devid));
        }
        if (device.kind != DeviceKind::kDisk && FindDevice(record, device.kind, device.Id()) >= 0) {
          return absl::AlreadyExistsError(absl::StrCat(
              DomainLabel(record), " already has ", DeviceKindName(device.kind), " ", device.Id()));
        }
        if (device.kind == DeviceKind::kPci) {
          if (absl::Status s = CheckPciFreeLocked(device.Id(), DomainLabel(record)); !s.ok()) {
            return s;
          }
        }
        // Guest time 0 stands for "built with the domain".
        device.added_guest_ns = std::max<int64_t>(1, GuestNanosAt(record.timeline, now));
        record.devices.push_back(device);
        if (absl::Status s = device_files_.Store(record.uuid, record.devices); !s.ok()) return s;
        attached = DeviceFactsAt(device, HabitsOf(record), GuestNanosAt(record.timeline, now));
        logger_.Info("device attached to a simulated domain",
                     {{"domid", record.domid},
                      {"name", record.name},
                      {"device", absl::StrCat(DeviceKindName(device.kind), " ", device.Id())},
                      {"devid", device.devid},
                      {"trace_id", ctx.trace_id}});
        return absl::OkStatus();
      });
  if (!status.ok()) return status;
  return attached;
}

absl::Status SimHost::DetachDevice(const OpContext& ctx, const DomainRef& ref,
                                   const DetachDeviceRequest& req) {
  bool removed = false;
  std::string label;
  // Ask the guest to let go (or, forced, remove it now).
  absl::Status status = MutateDomain(
      &ctx, ref, "given devices", [&](SimDomainRecord& record, int64_t now) -> absl::Status {
        if (absl::Status s = RequireLiveForDevices(record, "detached from"); !s.ok()) return s;
        const int index = FindDevice(record, req.kind, req.id);
        if (index < 0) return NoSuchDevice(record, req.kind, req.id);
        SimDevice& device = record.devices[index];
        label = absl::StrCat(DeviceKindName(device.kind), " ", device.Id());
        const int64_t guest_now = GuestNanosAt(record.timeline, now);
        if (device.close_guest_ns == kNever) device.close_guest_ns = guest_now;
        removed = req.force || guest_now >= ReleaseGuestNanos(device, HabitsOf(record));
        if (removed) record.devices.erase(record.devices.begin() + index);
        if (absl::Status s = device_files_.Store(record.uuid, record.devices); !s.ok()) return s;
        logger_.Info(removed ? "device detached from a simulated domain"
                             : "simulated guest asked to release a device",
                     {{"domid", record.domid},
                      {"name", record.name},
                      {"device", label},
                      {"force", req.force},
                      {"trace_id", ctx.trace_id}});
        return absl::OkStatus();
      });
  if (!status.ok() || removed) return status;

  // Wait for the guest to release it, as libxl waits for the backend to
  // reach Closed.
  const int64_t timeout_at =
      SaturatingAdd(clock_.BootNanos(), absl::ToInt64Nanoseconds(config_.device_release_timeout));
  absl::Status result;
  mu_.Lock();
  while (true) {
    const int64_t now = clock_.BootNanos();
    ApplyDueLocked(now);
    absl::StatusOr<Domain*> domain = ResolveLocked(ref);
    if (!domain.ok()) {
      result = absl::NotFoundError(
          absl::StrCat("the domain went away while its ", label, " was being detached"));
      break;
    }
    SimDomainRecord& record = (*domain)->record;
    const int index = FindDevice(record, req.kind, req.id);
    if (index < 0) break;  // Removed meanwhile (a forced detach).
    const GuestDeviceHabits habits = HabitsOf(record);
    const int64_t release_at = ReleaseGuestNanos(record.devices[index], habits);
    if (GuestNanosAt(record.timeline, now) >= release_at) {
      record.devices.erase(record.devices.begin() + index);
      result = device_files_.Store(record.uuid, record.devices);
      domains_changed_.SignalAll();
      if (result.ok()) {
        logger_.Info("device detached from a simulated domain", {{"domid", record.domid},
                                                                 {"name", record.name},
                                                                 {"device", label},
                                                                 {"trace_id", ctx.trace_id}});
      }
      break;
    }
    if (ctx.Cancelled()) {
      result = absl::CancelledError(absl::StrCat(
          "cancelled while waiting for ", DomainLabel(record), " to release its ", label,
          "; the guest has been asked and the device stays closing until it does"));
      break;
    }
    if (now >= timeout_at || clock_.Now() >= ctx.deadline) {
      result = absl::DeadlineExceededError(absl::StrCat(
          DomainLabel(record), " did not release its ", label, " within ",
          absl::FormatDuration(config_.device_release_timeout),
          " (a guest holds on to a device it still uses, e.g. a mounted filesystem); the device "
          "stays closing: release it in the guest, or detach it with force to remove it "
          "regardless"));
      break;
    }
    const int64_t wake_at =
        std::min(BootNanosAtGuestNanos(record.timeline, release_at), timeout_at);
    absl::Duration wait = std::min(absl::Nanoseconds(wake_at - now), kCancelPoll);
    wait = std::min(wait, ctx.deadline - clock_.Now());
    domains_changed_.WaitWithTimeout(&mu_, std::max(wait, absl::ZeroDuration()));
  }
  mu_.Unlock();
  events_.Deliver();
  return result;
}

absl::StatusOr<std::vector<AssignablePci>> SimHost::ListAssignablePci(const OpContext& ctx) {
  if (ctx.Cancelled()) return absl::CancelledError("the operation was cancelled");
  std::vector<AssignablePci> list;
  absl::MutexLock lock(&mu_);
  for (const std::string& bdf : config_.assignable_pci) {
    AssignablePci pci;
    pci.bdf = NormalizePciAddress(bdf);
    pci.domid = PciHolderLocked(pci.bdf);
    list.push_back(std::move(pci));
  }
  std::sort(list.begin(), list.end(),
            [](const AssignablePci& a, const AssignablePci& b) { return a.bdf < b.bdf; });
  return list;
}

}  // namespace xenia::hv
