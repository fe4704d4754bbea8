// SimDevice: one device of a simulated domain, and the pure rules of its two
// ends as Xen's split drivers have them. The backend (in dom0) is set up by
// the toolstack; the guest's frontend connects to it in the guest's own
// running time once the guest has booted, and, when the toolstack asks for
// the device back (the backend goes to Closing), releases it a moment later,
// or never if the guest holds on to it (a mounted filesystem); then both
// ends are Closed and the toolstack may remove it. A paused guest does
// neither, as its time stands still. A device whose frontend never
// connected has nothing to release and closes at once.
//
// PCI devices of HVM guests have no xenbus ends (QEMU asks the guest to
// eject them); the same release rules apply, with unknown states.
//
// Thread-compatible value type and pure functions; instants are guest
// running time in nanoseconds (guest_timeline.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/hypervisor/devices.h"
#include "daemon/hypervisor/sim/guest_timeline.h"
#include "xenia/v1/domain.pb.h"
#include "xenia/v1/simulator.pb.h"

namespace xenia::hv {

// Guest running time a booted guest's frontend takes to connect to a new
// backend, and to release a device it is asked to give up.
inline constexpr int64_t kFrontendConnectNs = 50'000'000;
inline constexpr int64_t kFrontendReleaseNs = 100'000'000;

struct SimDevice {
  DeviceKind kind = DeviceKind::kDisk;
  int32_t devid = 0;
  // The backend's configuration, by kind.
  xenia::v1::Disk disk;
  xenia::v1::NetworkInterface nic;
  xenia::v1::PciDevice pci;
  // Guest time at which the backend was set up (0: built with the domain).
  int64_t added_guest_ns = 0;
  // Guest time at which the toolstack asked for it back, or kNever.
  int64_t close_guest_ns = kNever;

  std::string Id() const { return DeviceIdOf(kind, disk, nic, pci); }
};

// How the guest treats its devices.
struct GuestDeviceHabits {
  // Guest time at which its OS has booted (GuestSchedule::boot_ns).
  int64_t boot_ns = 0;
  // It never releases a device it is asked for.
  bool refuses_release = false;
  xenia::v1::DomainType type = xenia::v1::PVH;
};

// Guest time at which the device's frontend is connected.
int64_t ConnectGuestNanos(const SimDevice& device, const GuestDeviceHabits& habits);
// Guest time at which both ends are Closed: kNever if it was not asked to
// close, or the guest holds on to it.
int64_t ReleaseGuestNanos(const SimDevice& device, const GuestDeviceHabits& habits);

// The device as the backend reports it at guest time `guest_ns`.
DeviceFacts DeviceFactsAt(const SimDevice& device, const GuestDeviceHabits& habits,
                          int64_t guest_ns);

// The devid a new device of `kind` gets among `devices`: a disk's from its
// vdev; otherwise one more than the highest of its kind (0 for the first),
// as libxl numbers them.
int32_t NextDevid(const std::vector<SimDevice>& devices, DeviceKind kind);

// The devices a domain is built with, from its spec: disks, interfaces (an
// interface without a MAC gets `mac_for(index)`), PCI devices.
// INVALID_ARGUMENT naming the field for a disk whose vdev has no devid.
absl::StatusOr<std::vector<SimDevice>> DevicesFromSpec(
    const xenia::v1::DomainSpec& spec, const std::function<std::string(int)>& mac_for);

// The device's record in the simulator's state directory, and back.
// INVALID_ARGUMENT for a record that holds no device.
xenia::v1::SimulatedDevice DeviceToProto(const SimDevice& device);
absl::StatusOr<SimDevice> DeviceFromProto(const xenia::v1::SimulatedDevice& proto);

}  // namespace xenia::hv
