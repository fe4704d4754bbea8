// The tasks that attach devices to and detach them from a domain (xl
// block-attach/-detach, network-attach/-detach, pci-attach/-detach).
//
// On a running or paused domain the device is hot-plugged or removed in the
// hypervisor, the domain's status lists its devices as the hypervisor then
// reports them, and an event (DEVICE_ATTACHED / DEVICE_DETACHED) says what
// changed. With `persistent` the definition changes too, so the next start
// builds the domain with (or without) it; on a shut-off domain only a
// persistent change is allowed, and it changes the definition alone.
//
// Thread-safety: as every OperationTask (operation_task.h).
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "daemon/hypervisor/devices.h"
#include "daemon/operations/operation_task.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

struct DeviceChange {
  hv::DeviceKind kind = hv::DeviceKind::kDisk;
  // Attach: the device, in the member for `kind` (validated by the caller).
  xenia::v1::Disk disk;
  xenia::v1::NetworkInterface nic;
  xenia::v1::PciDevice pci;
  // Detach: what names the device (a vdev, a MAC or interface index, a
  // BDF).
  std::string id;
  bool persistent = false;
  // Detach without the guest's consent.
  bool force = false;
};

std::unique_ptr<OperationTask> MakeAttachDeviceTask(DeviceChange change);
std::unique_ptr<OperationTask> MakeDetachDeviceTask(DeviceChange change);

// The definition with its devices as the hypervisor now has them (hot-plugged
// ones in, detached ones out): what a save image or a migration carries, so
// that a guest rebuilt from it finds the devices it had. A device's
// definition is kept where it has one (an interface keeps its MAC).
absl::StatusOr<xenia::v1::DomainSpec> RunningSpec(TaskContext& ctx, const DomainEntry& entry);

// Reads the domain's devices from the hypervisor into its status. A domain
// the hypervisor no longer has keeps what its status said (the caller
// reconciles).
absl::Status RefreshDevices(TaskContext& ctx, const DomainEntry& entry);

}  // namespace xenia
