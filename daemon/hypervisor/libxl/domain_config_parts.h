// The parts of the DomainSpec <-> libxl_domain_config translation
// (domain_config.h) that live in files of their own: devices
// (domain_devices.cc) and the xl.cfg keys of spec.extra (domain_extra.cc).
// Internal to the libxl backend and its tests.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/hypervisor/libxl/libxl_api.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

// INVALID_ARGUMENT "spec.<field>: <problem>", the wording of the daemon's
// own spec validation.
absl::Status SpecFieldError(absl::string_view field, absl::string_view problem);

// Disks, network interfaces, PCI devices and vTPMs, into `out`'s arrays
// (which must be empty).
absl::Status AddDevices(const xenia::v1::DomainSpec& spec, libxl_domain_config* out);
void DevicesToSpec(const libxl_domain_config& cfg, xenia::v1::DomainSpec* spec);
// A disk's format and backend type in libxl's terms; nullopt for an unknown
// value (and for an unspecified format, which depends on the disk).
std::optional<libxl_disk_format> FormatToLibxl(xenia::v1::DiskFormat format);
std::optional<libxl_disk_backend> BackendToLibxl(xenia::v1::DiskBackendType backend);
// One disk, as DevicesToSpec maps it.
void DiskToSpec(const libxl_device_disk& d, xenia::v1::Disk* out);
// One disk into `out` (initialised), as AddDevices maps spec.disks[i];
// `field` is what errors name after "spec.", e.g. "disks[i]".
absl::Status MapDisk(const xenia::v1::Disk& d, const std::string& field, libxl_device_disk* out);
// One network interface into `out` (initialised), with `devid` (-1: libxl
// gives it the next free one), as AddDevices maps spec.network_interfaces[i].
absl::Status MapNic(const xenia::v1::NetworkInterface& n, const std::string& field, int devid,
                    libxl_device_nic* out);
// One network interface, as DevicesToSpec maps it; the MAC in lower case.
void NicToSpec(const libxl_device_nic& n, xenia::v1::NetworkInterface* out);

// `text` as 1 to `max_digits` hex digits (nothing else) of a value <= `max`.
bool ParseBoundedHex(absl::string_view text, size_t max_digits, unsigned int max,
                     unsigned int* out);

// One PCI device (pci_device.cc); `field` is "pci_devices[i]".
absl::Status MapPciDevice(const xenia::v1::PciDevice& p, const std::string& field,
                          libxl_device_pci* out);
void PciDeviceToSpec(const libxl_device_pci& p, xenia::v1::PciDevice* out);

// The xl.cfg keys of spec.extra that the backend applies; any other key is
// INVALID_ARGUMENT. Must run after the build info got its type.
absl::Status ApplyExtraKeys(const xenia::v1::DomainSpec& spec, libxl_domain_config* out);
void ExtraKeysToSpec(const libxl_domain_config& cfg, xenia::v1::DomainSpec* spec);

// A network rate limit in xl syntax, "RATE[@INTERVAL]": RATE is a number with
// an optional K, M or G (powers of 1000) and B/s (bytes) or b/s (bits);
// INTERVAL is a number with s, ms or us (seconds when bare), 50ms if absent.
// Yields what libxl wants: bytes per interval and the interval.
absl::Status ParseNicRate(absl::string_view rate, absl::string_view field,
                          uint64_t* bytes_per_interval, uint32_t* interval_usecs);
// The canonical form of a rate: the largest exact unit of bytes per second,
// and the interval only when it is not 50ms ("10MB/s", "1500B/s@10ms").
std::string FormatNicRate(uint64_t bytes_per_interval, uint32_t interval_usecs);

}  // namespace xenia::hv
