#include "daemon/operations/device_tasks.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/operations/domain_lifecycle.h"

namespace xenia {
namespace {

using hv::DeviceKind;
using xenia::v1::DomainSpec;
using xenia::v1::PowerState;

constexpr std::initializer_list<PowerState> kLive = {xenia::v1::RUNNING, xenia::v1::PAUSED};

bool IsLive(const DomainEntry& entry) {
  return entry.status.power_state() == xenia::v1::RUNNING ||
         entry.status.power_state() == xenia::v1::PAUSED;
}

bool IsShutoff(const DomainEntry& entry) {
  return entry.status.power_state() == xenia::v1::SHUTOFF;
}

// "disk xvdb", "network interface 00:16:3e:..", "PCI device 0000:03:00.0".
std::string Label(DeviceKind kind, absl::string_view id) {
  return absl::StrCat(hv::DeviceKindName(kind), " ", id);
}

// The index of the device `id` names in the spec's list for `kind`, or -1.
// An interface's index in the list is its devid.
int FindInSpec(const DomainSpec& spec, DeviceKind kind, absl::string_view id) {
  switch (kind) {
    case DeviceKind::kDisk:
      for (int i = 0; i < spec.disks_size(); ++i) {
        if (spec.disks(i).vdev() == id) return i;
      }
      return -1;
    case DeviceKind::kNic:
      for (int i = 0; i < spec.network_interfaces_size(); ++i) {
        if (hv::NamesDevice(kind, spec.network_interfaces(i).mac(), i, id)) return i;
      }
      return -1;
    case DeviceKind::kPci:
      for (int i = 0; i < spec.pci_devices_size(); ++i) {
        if (hv::NamesDevice(kind, spec.pci_devices(i).bdf(), i, id)) return i;
      }
      return -1;
  }
  return -1;
}

void AddToSpec(DomainSpec* spec, const hv::DeviceFacts& device) {
  switch (device.kind) {
    case DeviceKind::kDisk:
      *spec->add_disks() = device.disk;
      break;
    case DeviceKind::kNic:
      *spec->add_network_interfaces() = device.nic;
      break;
    case DeviceKind::kPci:
      *spec->add_pci_devices() = device.pci;
      break;
  }
}

void RemoveFromSpec(DomainSpec* spec, DeviceKind kind, int index) {
  switch (kind) {
    case DeviceKind::kDisk:
      spec->mutable_disks()->erase(spec->mutable_disks()->begin() + index);
      break;
    case DeviceKind::kNic:
      spec->mutable_network_interfaces()->erase(spec->mutable_network_interfaces()->begin() +
                                                index);
      break;
    case DeviceKind::kPci:
      spec->mutable_pci_devices()->erase(spec->mutable_pci_devices()->begin() + index);
      break;
  }
}

// The change's device as the facts of a device not yet attached.
hv::DeviceFacts Requested(const DeviceChange& change) {
  hv::DeviceFacts facts;
  facts.kind = change.kind;
  facts.disk = change.disk;
  facts.nic = change.nic;
  facts.pci = change.pci;
  return facts;
}

// FAILED_PRECONDITION for a domain that neither runs nor, for a persistent
// change, is shut off.
absl::Status CheckState(const DomainEntry& entry, const DeviceChange& change,
                        absl::string_view verb) {
  if (IsLive(entry) || (change.persistent && IsShutoff(entry))) return absl::OkStatus();
  std::string must_be = "running or paused";
  if (IsShutoff(entry)) {
    must_be = absl::StrCat(must_be, " (or, with --persistent, shut off: to change its ",
                           "definition alone)");
  }
  return RequireState(entry, kLive, must_be, absl::StrCat("have a device ", verb));
}

void AddDeviceEvent(TaskContext& ctx, const DomainEntry& entry, xenia::v1::Event::Type type,
                    std::string message) {
  xenia::v1::Event event;
  event.set_type(type);
  event.set_resource(ctx.names().Domain(entry.name()));
  event.set_new_power_state(entry.status.power_state());
  event.set_message(std::move(message));
  ctx.AddEvent(std::move(event));
}

// The spec with `device` added must still be valid (no vdev, MAC or BDF
// twice).
absl::Status CheckAddsToSpec(const DomainEntry& entry, const hv::DeviceFacts& device) {
  if (FindInSpec(entry.spec, device.kind, device.Id()) >= 0 && !device.Id().empty()) {
    return absl::AlreadyExistsError(absl::StrCat("the definition of domain \"", entry.name(),
                                                 "\" already has ",
                                                 Label(device.kind, device.Id())));
  }
  DomainSpec changed = entry.spec;
  AddToSpec(&changed, device);
  if (absl::Status s = ValidateAndDefaultSpec(&changed); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("adding it to the definition of domain \"",
                                                   entry.name(),
                                                   "\" would make it invalid: ", s.message()));
  }
  return absl::OkStatus();
}

class AttachDeviceTask final : public OperationTask {
 public:
  explicit AttachDeviceTask(DeviceChange change) : change_(std::move(change)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    if (change_.persistent) {
      if (absl::Status s = CheckAddsToSpec(*entry, Requested(change_)); !s.ok()) return s;
    }
    if (!idle) return absl::OkStatus();
    if (absl::Status s = CheckState(*entry, change_, "attached"); !s.ok()) return s;
    if (IsShutoff(*entry)) {
      spec_only_ = true;
      return AddToDefinition(ctx, *entry, Requested(change_));
    }
    return absl::OkStatus();
  }

  bool DoneAtAdmission() const override { return spec_only_; }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = CheckState(*entry, change_, "attached"); !s.ok()) {
      return StepResult::Failed(s);
    }
    if (IsShutoff(*entry)) {
      absl::Status s = AddToDefinition(ctx, *entry, Requested(change_));
      return s.ok() ? StepResult::Done() : StepResult::Failed(s);
    }
    const hv::DeviceFacts requested = Requested(change_);
    ctx.SetProgress(10, absl::StrCat("attaching ", Label(change_.kind, requested.Id())));
    hv::AttachDeviceRequest request;
    request.kind = change_.kind;
    request.disk = &change_.disk;
    request.nic = &change_.nic;
    request.pci = &change_.pci;
    absl::StatusOr<hv::DeviceFacts> attached =
        ctx.hypervisor().AttachDevice(ctx.hv_context(), RefOf(*entry), request);
    if (!attached.ok()) {
      if (attached.status().code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(attached.status());
    }
    const std::string label = Label(attached->kind, attached->Id());
    if (absl::Status s = RefreshDevices(ctx, *entry); !s.ok()) return StepResult::Failed(s);
    if (change_.persistent) {
      // The device as attached: an interface keeps the MAC it was given.
      absl::StatusOr<DomainEntry> updated =
          ctx.UpdateDomain([&](DomainEntry& e) { AddToSpec(&e.spec, *attached); });
      if (!updated.ok()) return StepResult::Failed(updated.status());
    }
    AddDeviceEvent(
        ctx, *entry, xenia::v1::Event::DEVICE_ATTACHED,
        absl::StrCat(label, " attached to domain ", entry->name(), " (devid ", attached->devid, ")",
                     change_.persistent ? " and added to its definition" : ""));
    ctx.SetProgress(100, absl::StrCat(label, " attached (devid ", attached->devid, ")"));
    return StepResult::Done();
  }

 private:
  // Also at admission, where progress cannot be reported (the engine holds
  // its lock).
  absl::Status AddToDefinition(TaskContext& ctx, const DomainEntry& entry,
                               const hv::DeviceFacts& device) {
    if (absl::Status s = CheckAddsToSpec(entry, device); !s.ok()) return s;
    absl::StatusOr<DomainEntry> updated =
        ctx.UpdateDomain([&](DomainEntry& e) { AddToSpec(&e.spec, device); });
    if (!updated.ok()) return updated.status();
    const std::string label = Label(device.kind, device.Id());
    AddDeviceEvent(ctx, entry, xenia::v1::Event::DOMAIN_UPDATED,
                   absl::StrCat(label, " added to the definition of domain ", entry.name(),
                                "; it is attached when the domain starts"));
    return absl::OkStatus();
  }

  const DeviceChange change_;
  bool spec_only_ = false;
};

class DetachDeviceTask final : public OperationTask {
 public:
  explicit DetachDeviceTask(DeviceChange change) : change_(std::move(change)) {}

  absl::Status Admit(TaskContext& ctx, bool idle) override {
    if (!idle) return absl::OkStatus();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return entry.status();
    if (absl::Status s = CheckState(*entry, change_, "detached"); !s.ok()) return s;
    if (IsShutoff(*entry)) {
      spec_only_ = true;
      return RemoveFromDefinition(ctx, *entry);
    }
    return absl::OkStatus();
  }

  bool DoneAtAdmission() const override { return spec_only_; }

  // A detach waiting for its guest may be given up; the guest stays asked.
  absl::Status CanCancel() const override { return absl::OkStatus(); }

  StepResult Step(TaskContext& ctx) override {
    ctx.ReturnDomain();
    absl::StatusOr<DomainEntry> entry = CurrentDomain(ctx);
    if (!entry.ok()) return StepResult::Failed(entry.status());
    if (absl::Status s = CheckState(*entry, change_, "detached"); !s.ok()) {
      return StepResult::Failed(s);
    }
    if (IsShutoff(*entry)) {
      absl::Status s = RemoveFromDefinition(ctx, *entry);
      return s.ok() ? StepResult::Done() : StepResult::Failed(s);
    }
    absl::StatusOr<std::vector<hv::DeviceFacts>> devices =
        ctx.hypervisor().ListDevices(ctx.hv_context(), RefOf(*entry));
    if (!devices.ok()) {
      if (devices.status().code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(devices.status());
    }
    const hv::DeviceFacts* device = nullptr;
    std::vector<std::string> present;
    for (const hv::DeviceFacts& d : *devices) {
      if (d.kind != change_.kind) continue;
      present.push_back(d.Id());
      if (hv::NamesDevice(d.kind, d.Id(), d.devid, change_.id)) device = &d;
    }
    if (device == nullptr) {
      if (change_.persistent && FindInSpec(entry->spec, change_.kind, change_.id) >= 0) {
        absl::Status s = RemoveFromDefinition(ctx, *entry);
        return s.ok() ? StepResult::Done() : StepResult::Failed(s);
      }
      return StepResult::Failed(absl::NotFoundError(absl::StrCat(
          "domain \"", entry->name(), "\" has no ", Label(change_.kind, change_.id), " attached",
          present.empty() ? absl::StrCat(" (it has no ", hv::DeviceKindName(change_.kind), ")")
                          : absl::StrCat(" (it has ", absl::StrJoin(present, ", "), ")"))));
    }
    const std::string label = Label(device->kind, device->Id());
    ctx.SetProgress(10, change_.force ? absl::StrCat("removing ", label)
                                      : absl::StrCat("waiting for the guest to release ", label));
    hv::DetachDeviceRequest request;
    request.kind = change_.kind;
    request.id = device->Id();
    request.force = change_.force;
    const absl::Status detached =
        ctx.hypervisor().DetachDevice(ctx.hv_context(), RefOf(*entry), request);
    // Whatever happened, the status shows the devices as they now are (one
    // the guest would not release, as DETACHING).
    absl::Status refreshed = RefreshDevices(ctx, *entry);
    if (!detached.ok()) {
      if (detached.code() == absl::StatusCode::kNotFound) ctx.RequestReconcile();
      return StepResult::Failed(detached);
    }
    if (!refreshed.ok()) return StepResult::Failed(refreshed);
    if (change_.persistent) {
      absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
        const int index = FindInSpec(e.spec, change_.kind, request.id);
        if (index >= 0) RemoveFromSpec(&e.spec, change_.kind, index);
      });
      if (!updated.ok()) return StepResult::Failed(updated.status());
    }
    AddDeviceEvent(ctx, *entry, xenia::v1::Event::DEVICE_DETACHED,
                   absl::StrCat(label, " detached from domain ", entry->name(),
                                change_.force ? " (forced, without the guest's consent)" : "",
                                change_.persistent ? " and removed from its definition" : ""));
    ctx.SetProgress(100, absl::StrCat(label, " detached"));
    return StepResult::Done();
  }

 private:
  // Also at admission, where progress cannot be reported.
  absl::Status RemoveFromDefinition(TaskContext& ctx, const DomainEntry& entry) {
    const int index = FindInSpec(entry.spec, change_.kind, change_.id);
    if (index < 0) {
      return absl::NotFoundError(absl::StrCat("the definition of domain \"", entry.name(),
                                              "\" has no ", Label(change_.kind, change_.id)));
    }
    absl::StatusOr<DomainEntry> updated =
        ctx.UpdateDomain([&](DomainEntry& e) { RemoveFromSpec(&e.spec, change_.kind, index); });
    if (!updated.ok()) return updated.status();
    const std::string label = Label(change_.kind, change_.id);
    AddDeviceEvent(ctx, entry, xenia::v1::Event::DOMAIN_UPDATED,
                   absl::StrCat(label, " removed from the definition of domain ", entry.name()));
    return absl::OkStatus();
  }

  const DeviceChange change_;
  bool spec_only_ = false;
};

}  // namespace

std::unique_ptr<OperationTask> MakeAttachDeviceTask(DeviceChange change) {
  return std::make_unique<AttachDeviceTask>(std::move(change));
}

std::unique_ptr<OperationTask> MakeDetachDeviceTask(DeviceChange change) {
  return std::make_unique<DetachDeviceTask>(std::move(change));
}

absl::StatusOr<DomainSpec> RunningSpec(TaskContext& ctx, const DomainEntry& entry) {
  absl::StatusOr<std::vector<hv::DeviceFacts>> devices =
      ctx.hypervisor().ListDevices(hv::OpContext{}, RefOf(entry));
  if (!devices.ok()) return devices.status();
  DomainSpec spec = entry.spec;
  spec.clear_disks();
  spec.clear_network_interfaces();
  spec.clear_pci_devices();
  for (const hv::DeviceFacts& d : *devices) {
    hv::DeviceFacts device = d;
    // The definition's own entry, where it has one, says more than the
    // backend's record (an interface's MAC xl generated is in both).
    const int index = FindInSpec(entry.spec, d.kind, d.Id());
    if (index >= 0) {
      if (d.kind == DeviceKind::kDisk) device.disk = entry.spec.disks(index);
      if (d.kind == DeviceKind::kPci) device.pci = entry.spec.pci_devices(index);
      if (d.kind == DeviceKind::kNic && !entry.spec.network_interfaces(index).mac().empty()) {
        device.nic = entry.spec.network_interfaces(index);
      }
    }
    AddToSpec(&spec, device);
  }
  return spec;
}

absl::Status RefreshDevices(TaskContext& ctx, const DomainEntry& entry) {
  absl::StatusOr<std::vector<hv::DeviceFacts>> devices =
      ctx.hypervisor().ListDevices(hv::OpContext{}, RefOf(entry));
  if (!devices.ok()) {
    return devices.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus()
                                                                  : devices.status();
  }
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    e.status.clear_devices();
    for (const hv::DeviceFacts& d : *devices) *e.status.add_devices() = hv::DeviceStatusOf(d);
  });
  return updated.status();
}

}  // namespace xenia
