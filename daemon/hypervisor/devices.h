// The devices of a running domain as the Hypervisor interface speaks of them
// (xl block-attach/-detach/-list, network-*, pci-*): their kinds, the xenbus
// states of their two ends, what a backend reports of each, and the requests
// that attach and detach them. Also the naming rules the daemon and both
// backends share: a disk's devid from its vdev (Xen's VBD interface), and
// the forms of MAC addresses and PCI addresses.
//
// Thread-safe: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

enum class DeviceKind {
  kDisk,
  kNic,
  kPci,
};

// "disk", "network interface", "PCI device".
absl::string_view DeviceKindName(DeviceKind kind);
xenia::v1::DeviceStatus::Kind DeviceKindProto(DeviceKind kind);

// The state of one end of a PV device (xen/include/public/io/xenbus.h).
enum class XenbusState : int32_t {
  kUnknown = 0,
  kInitialising = 1,
  kInitWait = 2,
  kInitialised = 3,
  kConnected = 4,
  kClosing = 5,
  kClosed = 6,
  kReconfiguring = 7,
  kReconfigured = 8,
};

// "Initialising", "Connected", ...; "" for kUnknown.
absl::string_view XenbusStateName(XenbusState state);
// The state a xenstore value names ("4" -> kConnected); kUnknown otherwise.
XenbusState XenbusStateFromNumber(absl::string_view text);

// What names a device of `kind` among a domain's devices: the disk's vdev,
// the interface's MAC (lower case) or the PCI device's BDF ("DDDD:BB:DD.F").
std::string DeviceIdOf(DeviceKind kind, const xenia::v1::Disk& disk,
                       const xenia::v1::NetworkInterface& nic, const xenia::v1::PciDevice& pci);

// One device of a domain, as the backend reports it.
struct DeviceFacts {
  DeviceKind kind = DeviceKind::kDisk;
  // Xen's device id: a disk's from its vdev, an interface's its index; for
  // PCI, the device's index in the domain's list (libxl renumbers the rest
  // when one is removed).
  int32_t devid = -1;
  // The device as attached, by kind (the others are empty).
  xenia::v1::Disk disk;
  xenia::v1::NetworkInterface nic;
  xenia::v1::PciDevice pci;
  // kUnknown where the device has no such end (PCI on an HVM guest).
  XenbusState backend_state = XenbusState::kUnknown;
  XenbusState frontend_state = XenbusState::kUnknown;
  // The toolstack has asked the guest to release it and the guest has not
  // (yet): a detach in progress, or one that timed out.
  bool closing = false;

  // What names it among the domain's devices of its kind (DeviceIdOf).
  std::string Id() const { return DeviceIdOf(kind, disk, nic, pci); }
};

// The device as the API reports it (DeviceStatus), state included.
xenia::v1::DeviceStatus DeviceStatusOf(const DeviceFacts& device);

// Hot-plugs one device into a running or paused domain. Exactly the member
// for `kind` is read; it is borrowed for the call. An interface without a
// MAC gets one in Xen's OUI (00:16:3e).
struct AttachDeviceRequest {
  DeviceKind kind = DeviceKind::kDisk;
  const xenia::v1::Disk* disk = nullptr;
  const xenia::v1::NetworkInterface* nic = nullptr;
  const xenia::v1::PciDevice* pci = nullptr;
};

// Removes one device from a running or paused domain. Without `force`, the
// guest is asked to release it (the backend goes to Closing) and the call
// waits, up to the backend's own timeout (libxl's LIBXL_DESTROY_TIMEOUT,
// 10s), for it to do so: then the device is gone. A guest that does not
// release a disk in time leaves it closing and the call fails with
// DEADLINE_EXCEEDED (as xl block-detach does). On libxl only disks have
// such a "safe" removal: an interface is removed by force after the
// timeout, and a PCI device as libxl's pci_remove decides; the simulator
// treats every kind as a disk. With `force` the device is torn down without
// the guest's consent (xl block-detach -f).
struct DetachDeviceRequest {
  DeviceKind kind = DeviceKind::kDisk;
  // As DeviceFacts::Id(); for an interface also its devid in decimal.
  std::string id;
  bool force = false;
};

// A host PCI device that can be passed through (bound to pciback).
struct AssignablePci {
  // "DDDD:BB:DD.F".
  std::string bdf;
  // The domain it is passed through to, if any.
  std::optional<uint32_t> domid;
};

// Whether `wanted` (as DetachDeviceRequest::id gives it) names the device
// of `kind` whose Id() is `id` and whose devid is `devid`: the same vdev,
// MAC (any case), or PCI address (any form); an interface also by its devid
// in decimal.
bool NamesDevice(DeviceKind kind, absl::string_view id, int32_t devid, absl::string_view wanted);

// The devid Xen's VBD interface gives a vdev (docs/misc/vbd-interface.txt):
// xvdX[N], hdX[N], sdX[N], dN[pM], or a plain number. INVALID_ARGUMENT
// naming the vdev for anything else.
absl::StatusOr<int32_t> VdevToDevid(absl::string_view vdev);

// "xx:xx:xx:xx:xx:xx" in hex digits.
bool IsMacAddress(absl::string_view mac);
// "[DDDD:]BB:DD.F" in hex digits, function 0-7.
bool IsPciAddress(absl::string_view bdf);
// The address in full lower-case form, "0000:03:00.0"; as given if it is not
// a PCI address.
std::string NormalizePciAddress(absl::string_view bdf);
// Comma-separated PCI addresses ("" for none), each normalized.
// INVALID_ARGUMENT whose message is the first item that is not one, quoted.
absl::StatusOr<std::vector<std::string>> ParsePciAddressList(absl::string_view text);

}  // namespace xenia::hv
