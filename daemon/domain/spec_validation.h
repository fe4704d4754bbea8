// Validation of a DomainSpec, and the defaults a valid spec gets. Nothing
// reaches the store or the hypervisor until the whole spec is valid.
//
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

// Checks every field of `spec` and fills in defaults (uuid, type, vcpus,
// max_memory_mib, max_vcpus, lifecycle actions). On failure returns
// INVALID_ARGUMENT whose message names every offending field, e.g.
// `spec.memory_mib: must be greater than 0, got -5`, and leaves `spec` in an
// unspecified state.
// The most memory (16 TiB, in MiB) and vCPUs a guest can have, in a spec or
// set on a running guest.
inline constexpr int64_t kMaxMemoryMib = int64_t{16} << 20;
inline constexpr int32_t kMaxVcpus = 512;

absl::Status ValidateAndDefaultSpec(xenia::v1::DomainSpec* spec);

// The problems of one device, each as ".field: problem" (e.g. ".vdev:
// \"xvd\" is not a virtual disk name ..."), in the order of its fields.
std::vector<std::string> DiskProblems(const xenia::v1::Disk& disk);
std::vector<std::string> NetworkInterfaceProblems(const xenia::v1::NetworkInterface& nic);
std::vector<std::string> PciDeviceProblems(const xenia::v1::PciDevice& pci);

// One device as a request gives it: INVALID_ARGUMENT naming `field` (e.g.
// "disk") and every problem.
absl::Status ValidateDisk(const xenia::v1::Disk& disk, absl::string_view field);
absl::Status ValidateNetworkInterface(const xenia::v1::NetworkInterface& nic,
                                      absl::string_view field);
absl::Status ValidatePciDevice(const xenia::v1::PciDevice& pci, absl::string_view field);

// Checks a Xen domain name alone (the rules of spec.name).
absl::Status ValidateDomainName(absl::string_view name);

}  // namespace xenia
