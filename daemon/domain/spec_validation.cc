#include "daemon/domain/spec_validation.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/uuid.h"
#include "daemon/hypervisor/devices.h"

namespace xenia {
namespace {

using xenia::v1::DomainSpec;

constexpr int kMaxNameLength = 63;

// Why `name` is not a valid domain name, or "" if it is.
std::string NameProblem(absl::string_view name) {
  if (name.empty()) return "required";
  if (name.size() > kMaxNameLength) {
    return absl::StrCat("at most ", kMaxNameLength, " characters, got ", name.size());
  }
  if (!absl::ascii_isalnum(static_cast<unsigned char>(name[0]))) {
    return absl::StrCat("\"", name, "\" must start with a letter or digit");
  }
  bool all_digits = true;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!absl::ascii_isalnum(u) && c != '-' && c != '_' && c != '.') {
      return absl::StrCat("\"", name, "\" contains '", std::string(1, c),
                          "'; use letters, digits, '.', '_' and '-'");
    }
    if (!absl::ascii_isdigit(u)) all_digits = false;
  }
  if (all_digits) return absl::StrCat("\"", name, "\" is all digits, which xl reads as a domid");
  if (absl::EqualsIgnoreCase(name, "Domain-0")) return "\"Domain-0\" is the name of dom0";
  return "";
}

// Each problem as ".field: problem", for a caller that puts the device's
// own name in front.
absl::Status JoinProblems(absl::string_view device, const std::vector<std::string>& problems) {
  if (problems.empty()) return absl::OkStatus();
  std::vector<std::string> named;
  for (const std::string& p : problems) named.push_back(absl::StrCat(device, p));
  return absl::InvalidArgumentError(absl::StrJoin(named, "; "));
}

xenia::v1::LifecycleAction OrDefault(xenia::v1::LifecycleAction action,
                                     xenia::v1::LifecycleAction fallback) {
  return action == xenia::v1::LIFECYCLE_ACTION_UNSPECIFIED ? fallback : action;
}

}  // namespace

std::vector<std::string> DiskProblems(const xenia::v1::Disk& disk) {
  std::vector<std::string> problems;
  if (disk.vdev().empty()) {
    problems.push_back(".vdev: required: the device name the guest sees, e.g. xvda");
  } else if (absl::StatusOr<int32_t> devid = hv::VdevToDevid(disk.vdev()); !devid.ok()) {
    problems.push_back(absl::StrCat(".vdev: ", devid.status().message()));
  }
  if (disk.target().empty() && !disk.cdrom()) {
    problems.push_back(".target: required unless the disk is a cdrom");
  }
  if (!xenia::v1::DiskAccess_IsValid(disk.access()) ||
      !xenia::v1::DiskFormat_IsValid(disk.format()) ||
      !xenia::v1::DiskBackendType_IsValid(disk.backend_type())) {
    problems.push_back(": unknown access, format or backend_type value");
  }
  return problems;
}

std::vector<std::string> NetworkInterfaceProblems(const xenia::v1::NetworkInterface& nic) {
  std::vector<std::string> problems;
  if (!nic.mac().empty() && !hv::IsMacAddress(nic.mac())) {
    problems.push_back(
        absl::StrCat(".mac: \"", nic.mac(), "\" is not a MAC address (xx:xx:xx:xx:xx:xx)"));
  }
  if (nic.mtu() < 0)
    problems.push_back(absl::StrCat(".mtu: must not be negative, got ", nic.mtu()));
  return problems;
}

std::vector<std::string> PciDeviceProblems(const xenia::v1::PciDevice& pci) {
  std::vector<std::string> problems;
  if (pci.bdf().empty()) {
    problems.push_back(".bdf: required: the host device as [DDDD:]BB:DD.F");
  } else if (!hv::IsPciAddress(pci.bdf())) {
    problems.push_back(
        absl::StrCat(".bdf: \"", pci.bdf(), "\" is not a PCI address ([DDDD:]BB:DD.F)"));
  }
  return problems;
}

absl::Status ValidateDisk(const xenia::v1::Disk& disk, absl::string_view field) {
  return JoinProblems(field, DiskProblems(disk));
}

absl::Status ValidateNetworkInterface(const xenia::v1::NetworkInterface& nic,
                                      absl::string_view field) {
  return JoinProblems(field, NetworkInterfaceProblems(nic));
}

absl::Status ValidatePciDevice(const xenia::v1::PciDevice& pci, absl::string_view field) {
  return JoinProblems(field, PciDeviceProblems(pci));
}

absl::Status ValidateDomainName(absl::string_view name) {
  std::string problem = NameProblem(name);
  if (problem.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("domain name: ", problem));
}

absl::Status ValidateAndDefaultSpec(DomainSpec* spec) {
  std::vector<std::string> errors;
  auto fail = [&errors](absl::string_view field, absl::string_view problem) {
    errors.push_back(absl::StrCat("spec.", field, ": ", problem));
  };
  // A device's problems come as ".field: problem".
  auto fail_device = [&errors](absl::string_view device, absl::string_view problem) {
    errors.push_back(absl::StrCat("spec.", device, problem));
  };

  if (std::string p = NameProblem(spec->name()); !p.empty()) fail("name", p);

  if (spec->uuid().empty()) {
    spec->set_uuid(NewRandomUuid());
  } else if (!IsValidUuid(spec->uuid())) {
    fail("uuid", absl::StrCat("\"", spec->uuid(), "\" is not a UUID (8-4-4-4-12 hex digits)"));
  } else {
    spec->set_uuid(NormalizeUuid(spec->uuid()));
    if (spec->uuid() == "00000000-0000-0000-0000-000000000000") {
      fail("uuid", "the nil UUID belongs to dom0");
    }
  }

  if (!xenia::v1::DomainType_IsValid(spec->type())) {
    fail("type", absl::StrCat("unknown guest type ", spec->type(), " (use PV, PVH or HVM)"));
  } else if (spec->type() == xenia::v1::DOMAIN_TYPE_UNSPECIFIED) {
    spec->set_type(xenia::v1::PVH);
  }

  if (spec->memory_mib() == 0) {
    fail("memory_mib", "required: the guest's memory in MiB, greater than 0");
  } else if (spec->memory_mib() < 0) {
    fail("memory_mib", absl::StrCat("must be greater than 0, got ", spec->memory_mib()));
  } else if (spec->memory_mib() > kMaxMemoryMib) {
    fail("memory_mib", absl::StrCat("at most ", kMaxMemoryMib, " MiB, got ", spec->memory_mib()));
  }
  if (spec->max_memory_mib() < 0) {
    fail("max_memory_mib", absl::StrCat("must not be negative, got ", spec->max_memory_mib()));
  } else if (spec->max_memory_mib() == 0) {
    spec->set_max_memory_mib(spec->memory_mib());
  } else if (spec->max_memory_mib() < spec->memory_mib()) {
    fail("max_memory_mib", absl::StrCat(spec->max_memory_mib(), " MiB is below memory_mib (",
                                        spec->memory_mib(), " MiB)"));
  } else if (spec->max_memory_mib() > kMaxMemoryMib) {
    fail("max_memory_mib",
         absl::StrCat("at most ", kMaxMemoryMib, " MiB, got ", spec->max_memory_mib()));
  }

  if (spec->vcpus() < 0) {
    fail("vcpus", absl::StrCat("must be at least 1, got ", spec->vcpus()));
  } else if (spec->vcpus() == 0) {
    spec->set_vcpus(1);
  } else if (spec->vcpus() > kMaxVcpus) {
    fail("vcpus", absl::StrCat("at most ", kMaxVcpus, ", got ", spec->vcpus()));
  }
  if (spec->max_vcpus() < 0) {
    fail("max_vcpus", absl::StrCat("must not be negative, got ", spec->max_vcpus()));
  } else if (spec->max_vcpus() == 0) {
    spec->set_max_vcpus(spec->vcpus());
  } else if (spec->max_vcpus() < spec->vcpus()) {
    fail("max_vcpus", absl::StrCat(spec->max_vcpus(), " is below vcpus (", spec->vcpus(), ")"));
  } else if (spec->max_vcpus() > kMaxVcpus) {
    fail("max_vcpus", absl::StrCat("at most ", kMaxVcpus, ", got ", spec->max_vcpus()));
  }

  std::set<int32_t> devids;
  for (int i = 0; i < spec->disks_size(); ++i) {
    const xenia::v1::Disk& disk = spec->disks(i);
    const std::string field = absl::StrCat("disks[", i, "]");
    for (const std::string& problem : DiskProblems(disk)) fail_device(field, problem);
    absl::StatusOr<int32_t> devid = hv::VdevToDevid(disk.vdev());
    if (devid.ok() && !devids.insert(*devid).second) {
      fail(absl::StrCat(field, ".vdev"),
           absl::StrCat("\"", disk.vdev(), "\" is used by another disk"));
    }
  }
  std::set<std::string> macs;
  for (int i = 0; i < spec->network_interfaces_size(); ++i) {
    const xenia::v1::NetworkInterface& nic = spec->network_interfaces(i);
    const std::string field = absl::StrCat("network_interfaces[", i, "]");
    for (const std::string& problem : NetworkInterfaceProblems(nic)) fail_device(field, problem);
    if (hv::IsMacAddress(nic.mac()) && !macs.insert(absl::AsciiStrToLower(nic.mac())).second) {
      fail(absl::StrCat(field, ".mac"),
           absl::StrCat("\"", nic.mac(), "\" is used by another interface"));
    }
  }
  std::set<std::string> bdfs;
  for (int i = 0; i < spec->pci_devices_size(); ++i) {
    const xenia::v1::PciDevice& pci = spec->pci_devices(i);
    const std::string field = absl::StrCat("pci_devices[", i, "]");
    for (const std::string& problem : PciDeviceProblems(pci)) fail_device(field, problem);
    if (hv::IsPciAddress(pci.bdf()) && !bdfs.insert(hv::NormalizePciAddress(pci.bdf())).second) {
      fail(absl::StrCat(field, ".bdf"), absl::StrCat("\"", pci.bdf(), "\" is assigned twice"));
    }
  }
  for (const auto& [key, value] : spec->labels()) {
    if (key.empty() || key.size() > 63) {
      fail("labels", absl::StrCat("key \"", key, "\" must be 1 to 63 characters"));
    }
  }

  if (!xenia::v1::LifecycleAction_IsValid(spec->on_poweroff()) ||
      !xenia::v1::LifecycleAction_IsValid(spec->on_reboot()) ||
      !xenia::v1::LifecycleAction_IsValid(spec->on_crash()) ||
      !xenia::v1::LifecycleAction_IsValid(spec->on_watchdog())) {
    fail("on_*", "unknown lifecycle action");
  }

  if (!errors.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));

  // xl's defaults.
  spec->set_on_poweroff(OrDefault(spec->on_poweroff(), xenia::v1::DESTROY));
  spec->set_on_reboot(OrDefault(spec->on_reboot(), xenia::v1::RESTART));
  spec->set_on_crash(OrDefault(spec->on_crash(), xenia::v1::DESTROY));
  spec->set_on_watchdog(OrDefault(spec->on_watchdog(), xenia::v1::DESTROY));
  return absl::OkStatus();
}

}  // namespace xenia
