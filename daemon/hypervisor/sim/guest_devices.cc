#include "daemon/hypervisor/sim/guest_devices.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace xenia::hv {
namespace {

// PCI devices of an HVM guest are QEMU's, not xenbus devices.
bool HasXenbusEnds(const SimDevice& device, const GuestDeviceHabits& habits) {
  return !(device.kind == DeviceKind::kPci && habits.type == xenia::v1::HVM);
}

}  // namespace

int64_t ConnectGuestNanos(const SimDevice& device, const GuestDeviceHabits& habits) {
  // Devices built with the domain are found by the guest as it boots; a
  // device added later is noticed a moment after it appears.
  if (device.added_guest_ns == 0) return habits.boot_ns;
  return SaturatingAdd(std::max(habits.boot_ns, device.added_guest_ns), kFrontendConnectNs);
}

int64_t ReleaseGuestNanos(const SimDevice& device, const GuestDeviceHabits& habits) {
  if (device.close_guest_ns == kNever) return kNever;
  // A frontend that never connected holds nothing.
  if (ConnectGuestNanos(device, habits) > device.close_guest_ns) return device.close_guest_ns;
  if (habits.refuses_release) return kNever;
  return SaturatingAdd(device.close_guest_ns, kFrontendReleaseNs);
}

DeviceFacts DeviceFactsAt(const SimDevice& device, const GuestDeviceHabits& habits,
                          int64_t guest_ns) {
  DeviceFacts facts;
  facts.kind = device.kind;
  facts.devid = device.devid;
  facts.disk = device.disk;
  facts.nic = device.nic;
  facts.pci = device.pci;
  const bool connected = guest_ns >= ConnectGuestNanos(device, habits);
  const bool released = guest_ns >= ReleaseGuestNanos(device, habits);
  facts.closing = device.close_guest_ns != kNever && !released;
  if (!HasXenbusEnds(device, habits)) return facts;
  if (released) {
    facts.backend_state = XenbusState::kClosed;
    facts.frontend_state = XenbusState::kClosed;
  } else if (facts.closing) {
    facts.backend_state = XenbusState::kClosing;
    facts.frontend_state = connected ? XenbusState::kConnected : XenbusState::kInitialising;
  } else if (connected) {
    facts.backend_state = XenbusState::kConnected;
    facts.frontend_state = XenbusState::kConnected;
  } else {
    facts.backend_state = XenbusState::kInitWait;
    facts.frontend_state = XenbusState::kInitialising;
  }
  return facts;
}

int32_t NextDevid(const std::vector<SimDevice>& devices, DeviceKind kind) {
  int32_t next = 0;
  for (const SimDevice& d : devices) {
    if (d.kind == kind) next = std::max(next, d.devid + 1);
  }
  return next;
}

absl::StatusOr<std::vector<SimDevice>> DevicesFromSpec(
    const xenia::v1::DomainSpec& spec, const std::function<std::string(int)>& mac_for) {
  std::vector<SimDevice> devices;
  for (int i = 0; i < spec.disks_size(); ++i) {
    SimDevice d;
    d.kind = DeviceKind::kDisk;
    d.disk = spec.disks(i);
    absl::StatusOr<int32_t> devid = VdevToDevid(d.disk.vdev());
    if (!devid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("spec.disks[", i, "].vdev: ", devid.status().message()));
    }
    d.devid = *devid;
    devices.push_back(std::move(d));
  }
  for (int i = 0; i < spec.network_interfaces_size(); ++i) {
    SimDevice d;
    d.kind = DeviceKind::kNic;
    d.nic = spec.network_interfaces(i);
    if (d.nic.mac().empty()) d.nic.set_mac(mac_for(i));
    d.devid = i;
    devices.push_back(std::move(d));
  }
  for (int i = 0; i < spec.pci_devices_size(); ++i) {
    SimDevice d;
    d.kind = DeviceKind::kPci;
    d.pci = spec.pci_devices(i);
    d.pci.set_bdf(NormalizePciAddress(d.pci.bdf()));
    d.devid = i;
    devices.push_back(std::move(d));
  }
  return devices;
}

xenia::v1::SimulatedDevice DeviceToProto(const SimDevice& device) {
  xenia::v1::SimulatedDevice proto;
  proto.set_kind(DeviceKindProto(device.kind));
  proto.set_devid(device.devid);
  switch (device.kind) {
    case DeviceKind::kDisk:
      *proto.mutable_disk() = device.disk;
      break;
    case DeviceKind::kNic:
      *proto.mutable_network_interface() = device.nic;
      break;
    case DeviceKind::kPci:
      *proto.mutable_pci_device() = device.pci;
      break;
  }
  proto.set_added_guest_ns(device.added_guest_ns);
  if (device.close_guest_ns != kNever) proto.set_close_guest_ns(device.close_guest_ns);
  return proto;
}

absl::StatusOr<SimDevice> DeviceFromProto(const xenia::v1::SimulatedDevice& proto) {
  SimDevice device;
  switch (proto.config_case()) {
    case xenia::v1::SimulatedDevice::kDisk:
      device.kind = DeviceKind::kDisk;
      device.disk = proto.disk();
      break;
    case xenia::v1::SimulatedDevice::kNetworkInterface:
      device.kind = DeviceKind::kNic;
      device.nic = proto.network_interface();
      break;
    case xenia::v1::SimulatedDevice::kPciDevice:
      device.kind = DeviceKind::kPci;
      device.pci = proto.pci_device();
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("device ", proto.devid(), " has no disk, interface or PCI device"));
  }
  if (proto.devid() < 0 || proto.added_guest_ns() < 0 ||
      (proto.has_close_guest_ns() && proto.close_guest_ns() < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("device ", proto.devid(), " has a negative devid or time"));
  }
  device.devid = proto.devid();
  device.added_guest_ns = proto.added_guest_ns();
  device.close_guest_ns = proto.has_close_guest_ns() ? proto.close_guest_ns() : kNever;
  return device;
}

}  // namespace xenia::hv
