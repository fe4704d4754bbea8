// The pure part of LibxlHypervisor's device methods (libxl_devices.cc): the
// DeviceFacts of the devices libxl lists, completed from the configuration
// libxl stores with the domain; how a request's id names a device; the
// host's assignable PCI devices in order. Pure functions, so that they are
// tested without Xen.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "daemon/hypervisor/devices.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

// A xenbus state as a number (libxl_diskinfo's and libxl_nicinfo's `state`,
// -1 when the node is absent); kUnknown for anything but 1..8.
XenbusState XenbusStateFromInt(int state);

// "00:16:3e:0a:0b:0c", lower case.
std::string MacToString(const libxl_mac& mac);

// "0000:03:00.0", lower case; "0000:03:00.*" for every function of a slot.
std::string PciAddressOf(const libxl_device_pci& pci);

// The facts of one device as libxl lists it (libxl_device_*_list), with
// both states kUnknown. A disk's devid is given (libxl_diskinfo's); a PCI
// device's is its index in the domain's list.
DeviceFacts DiskFacts(const libxl_device_disk& disk, int32_t devid);
DeviceFacts NicFacts(const libxl_device_nic& nic);
DeviceFacts PciFacts(const libxl_device_pci& pci, int32_t index);

// Sets the states of both ends; `closing` is whether the backend is Closing:
// the toolstack asked the guest to release the device (libxl writes Closing
// to the backend's state) and the backend has not reached Closed.
void SetStates(XenbusState backend, XenbusState frontend, DeviceFacts* device);

// libxl lists devices from its xenstore records, which lack some settings
// (a disk's format, script, discard and direct-io flags; an interface's
// model, rate and vifname); fills those that are unset in `device` from its
// entry in the domain's stored configuration (`stored`, what libxl keeps
// with the domain and updates on every hot-plug), matched by vdev (disks)
// or devid and MAC (interfaces). PCI devices are left as they are.
void CompleteFromStored(const libxl_domain_config& stored, DeviceFacts* device);

// Whether `id` names the device among the domain's devices of its kind
// (DetachDeviceRequest::id): a disk by its vdev, or by anything
// VdevToDevid maps to the same devid ("xvdb" and "51728"); an interface by
// its MAC in any case or its devid in decimal; a PCI device by its BDF, the
// PCI domain optional ("03:00.0" is "0000:03:00.0").
bool DeviceMatches(const DeviceFacts& device, DeviceKind kind, absl::string_view id);

// Whether a PCI device that a domain has (`listed`) is the device, or one of
// the functions, that `requested` would pass through.
bool PciOverlaps(const libxl_device_pci& requested, const libxl_device_pci& listed);

// Disks, then interfaces, then PCI devices; each kind in devid order.
void SortDevices(std::vector<DeviceFacts>* devices);

// The host's PCI devices bound to pciback: `free` (the BDFs
// libxl_device_pci_assignable_list gives, which leaves out those passed
// through) and `assigned` (those the domains have, with their domids).
// One entry per BDF, normalised, a passed-through one with its domid,
// sorted by BDF.
std::vector<AssignablePci> MergeAssignablePci(const std::vector<std::string>& free,
                                              const std::vector<AssignablePci>& assigned);

}  // namespace xenia::hv
