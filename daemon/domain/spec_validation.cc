#include "daemon/domain/spec_validation.h"

#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/uuid.h"

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

bool IsMac(absl::string_view mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i % 3 == 2) {
      if (mac[i] != ':') return false;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(mac[i]))) {
      return false;
    }
  }
  return true;
}

// "[DDDD:]BB:DD.F" with hex digits and a function 0-7.
bool IsBdf(absl::string_view bdf) {
  auto hex = [](absl::string_view s, size_t n) {
    if (s.size() != n) return false;
    for (char c : s) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
  };
  std::vector<absl::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= bdf.size(); ++i) {
    if (i == bdf.size() || bdf[i] == ':') {
      parts.push_back(bdf.substr(start, i - start));
      start = i + 1;
    }
  }
  if (parts.size() == 3) {
    if (!hex(parts[0], 4)) return false;
    parts.erase(parts.begin());
  }
  if (parts.size() != 2 || !hex(parts[0], 2)) return false;
  absl::string_view dev_fn = parts[1];
  return dev_fn.size() == 4 && hex(dev_fn.substr(0, 2), 2) && dev_fn[2] == '.' &&
         dev_fn[3] >= '0' && dev_fn[3] <= '7';
}

xenia::v1::LifecycleAction OrDefault(xenia::v1::LifecycleAction action,
                                     xenia::v1::LifecycleAction fallback) {
  return action == xenia::v1::LIFECYCLE_ACTION_UNSPECIFIED ? fallback : action;
}

}  // namespace

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

  std::set<std::string> vdevs;
  for (int i = 0; i < spec->disks_size(); ++i) {
    const xenia::v1::Disk& disk = spec->disks(i);
    std::string field = absl::StrCat("disks[", i, "].vdev");
    if (disk.vdev().empty()) {
      fail(field, "required: the device name the guest sees, e.g. xvda");
    } else if (!vdevs.insert(disk.vdev()).second) {
      fail(field, absl::StrCat("\"", disk.vdev(), "\" is used by another disk"));
    }
    if (disk.target().empty() && !disk.cdrom()) {
      fail(absl::StrCat("disks[", i, "].target"), "required unless the disk is a cdrom");
    }
  }
  std::set<std::string> macs;
  for (int i = 0; i < spec->network_interfaces_size(); ++i) {
    const std::string& mac = spec->network_interfaces(i).mac();
    if (mac.empty()) continue;
    std::string field = absl::StrCat("network_interfaces[", i, "].mac");
    if (!IsMac(mac)) {
      fail(field, absl::StrCat("\"", mac, "\" is not a MAC address (xx:xx:xx:xx:xx:xx)"));
    } else if (!macs.insert(absl::AsciiStrToLower(mac)).second) {
      fail(field, absl::StrCat("\"", mac, "\" is used by another interface"));
    }
  }
  std::set<std::string> bdfs;
  for (int i = 0; i < spec->pci_devices_size(); ++i) {
    const std::string& bdf = spec->pci_devices(i).bdf();
    std::string field = absl::StrCat("pci_devices[", i, "].bdf");
    if (bdf.empty()) {
      fail(field, "required: the host device as [DDDD:]BB:DD.F");
    } else if (!IsBdf(bdf)) {
      fail(field, absl::StrCat("\"", bdf, "\" is not a PCI address ([DDDD:]BB:DD.F)"));
    } else if (!bdfs.insert(absl::AsciiStrToLower(bdf)).second) {
      fail(field, absl::StrCat("\"", bdf, "\" is assigned twice"));
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
