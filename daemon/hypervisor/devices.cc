#include "daemon/hypervisor/devices.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace xenia::hv {
namespace {

using xenia::v1::DeviceStatus;

// The VBD interface's limits (docs/misc/vbd-interface.txt).
constexpr int32_t kXvdMajor = 202;
constexpr int32_t kScsiMajor = 8;
constexpr int32_t kIdeMajors[] = {3, 22};
constexpr int32_t kExtendedFlag = 1 << 28;
constexpr int64_t kMaxExtendedDisk = (1 << 20) - 1;

// "a" -> 0, "z" -> 25, "aa" -> 26; -1 for anything but lower-case letters.
int64_t DiskIndex(absl::string_view letters) {
  if (letters.empty() || letters.size() > 4) return -1;
  int64_t n = 0;
  for (char c : letters) {
    if (c < 'a' || c > 'z') return -1;
    n = n * 26 + (c - 'a' + 1);
  }
  return n - 1;
}

// Splits "xvdb12" after `prefix` into the letters and the partition (0 if
// none); false if the rest is not letters then digits.
bool SplitDisk(absl::string_view rest, int64_t* disk, int64_t* partition) {
  size_t letters = 0;
  while (letters < rest.size() && absl::ascii_islower(static_cast<unsigned char>(rest[letters]))) {
    ++letters;
  }
  *disk = DiskIndex(rest.substr(0, letters));
  if (*disk < 0) return false;
  absl::string_view digits = rest.substr(letters);
  *partition = 0;
  if (digits.empty()) return true;
  if (digits[0] == '0') return false;
  return absl::SimpleAtoi(digits, partition);
}

absl::StatusOr<int32_t> Extended(int64_t disk, int64_t partition, absl::string_view vdev) {
  if (disk > kMaxExtendedDisk || partition > 255) {
    return absl::InvalidArgumentError(
        absl::StrCat("vdev \"", vdev, "\": disk or partition number out of range"));
  }
  return static_cast<int32_t>(kExtendedFlag | (disk << 8) | partition);
}

absl::Status BadVdev(absl::string_view vdev) {
  return absl::InvalidArgumentError(
      absl::StrCat("vdev \"", vdev,
                   "\" is not a virtual disk name (xvdX, hdX, sdX with an optional partition "
                   "number, e.g. xvdb or xvda1; see xl-disk-configuration(5))"));
}

bool AllHex(absl::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::string_view DeviceKindName(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kDisk:
      return "disk";
    case DeviceKind::kNic:
      return "network interface";
    case DeviceKind::kPci:
      return "PCI device";
  }
  return "device";
}

DeviceStatus::Kind DeviceKindProto(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kDisk:
      return DeviceStatus::DISK;
    case DeviceKind::kNic:
      return DeviceStatus::NETWORK_INTERFACE;
    case DeviceKind::kPci:
      return DeviceStatus::PCI;
  }
  return DeviceStatus::KIND_UNSPECIFIED;
}

absl::string_view XenbusStateName(XenbusState state) {
  switch (state) {
    case XenbusState::kUnknown:
      return "";
    case XenbusState::kInitialising:
      return "Initialising";
    case XenbusState::kInitWait:
      return "InitWait";
    case XenbusState::kInitialised:
      return "Initialised";
    case XenbusState::kConnected:
      return "Connected";
    case XenbusState::kClosing:
      return "Closing";
    case XenbusState::kClosed:
      return "Closed";
    case XenbusState::kReconfiguring:
      return "Reconfiguring";
    case XenbusState::kReconfigured:
      return "Reconfigured";
  }
  return "";
}

XenbusState XenbusStateFromNumber(absl::string_view text) {
  int n = 0;
  if (!absl::SimpleAtoi(text, &n) || n < 1 || n > 8) return XenbusState::kUnknown;
  return static_cast<XenbusState>(n);
}

std::string DeviceIdOf(DeviceKind kind, const xenia::v1::Disk& disk,
                       const xenia::v1::NetworkInterface& nic, const xenia::v1::PciDevice& pci) {
  switch (kind) {
    case DeviceKind::kDisk:
      return disk.vdev();
    case DeviceKind::kNic:
      return absl::AsciiStrToLower(nic.mac());
    case DeviceKind::kPci:
      return NormalizePciAddress(pci.bdf());
  }
  return "";
}

DeviceStatus DeviceStatusOf(const DeviceFacts& device) {
  DeviceStatus status;
  status.set_kind(DeviceKindProto(device.kind));
  status.set_id(device.Id());
  status.set_devid(device.devid);
  status.set_backend_state(std::string(XenbusStateName(device.backend_state)));
  status.set_frontend_state(std::string(XenbusStateName(device.frontend_state)));
  switch (device.kind) {
    case DeviceKind::kDisk:
      *status.mutable_disk() = device.disk;
      break;
    case DeviceKind::kNic:
      *status.mutable_network_interface() = device.nic;
      break;
    case DeviceKind::kPci:
      *status.mutable_pci_device() = device.pci;
      break;
  }
  if (device.backend_state == XenbusState::kClosed) {
    status.set_state(DeviceStatus::CLOSED);
    status.set_message("released by the guest; detach again to remove it");
  } else if (device.closing) {
    status.set_state(DeviceStatus::DETACHING);
    status.set_message(
        "the guest has been asked to release it and has not; detach with force to remove it");
  } else if (device.frontend_state == XenbusState::kConnected ||
             (device.kind == DeviceKind::kPci && device.frontend_state == XenbusState::kUnknown)) {
    status.set_state(DeviceStatus::ATTACHED);
  } else {
    status.set_state(DeviceStatus::ATTACHING);
    status.set_message("the guest's frontend has not connected yet");
  }
  return status;
}

bool NamesDevice(DeviceKind kind, absl::string_view id, int32_t devid, absl::string_view wanted) {
  switch (kind) {
    case DeviceKind::kDisk:
      return id == wanted;
    case DeviceKind::kNic: {
      int32_t number = -1;
      if (absl::SimpleAtoi(wanted, &number)) return number == devid;
      return absl::EqualsIgnoreCase(id, wanted);
    }
    case DeviceKind::kPci:
      return NormalizePciAddress(id) == NormalizePciAddress(wanted);
  }
  return false;
}

absl::StatusOr<int32_t> VdevToDevid(absl::string_view vdev) {
  int64_t disk = 0;
  int64_t partition = 0;
  if (!vdev.empty() && absl::ascii_isdigit(static_cast<unsigned char>(vdev[0]))) {
    int32_t number = 0;
    if (!absl::SimpleAtoi(vdev, &number) || number <= 0) return BadVdev(vdev);
    return number;
  }
  if (absl::ConsumePrefix(&vdev, "xvd")) {
    if (!SplitDisk(vdev, &disk, &partition)) return BadVdev(absl::StrCat("xvd", vdev));
    if (disk < 16 && partition < 16) {
      return static_cast<int32_t>((kXvdMajor << 8) | (disk << 4) | partition);
    }
    return Extended(disk, partition, absl::StrCat("xvd", vdev));
  }
  if (absl::ConsumePrefix(&vdev, "sd")) {
    if (!SplitDisk(vdev, &disk, &partition)) return BadVdev(absl::StrCat("sd", vdev));
    if (disk < 16 && partition < 16) {
      return static_cast<int32_t>((kScsiMajor << 8) | (disk << 4) | partition);
    }
    return Extended(disk, partition, absl::StrCat("sd", vdev));
  }
  if (absl::ConsumePrefix(&vdev, "hd")) {
    if (!SplitDisk(vdev, &disk, &partition) || disk > 3 || partition > 63) {
      return BadVdev(absl::StrCat("hd", vdev));
    }
    return static_cast<int32_t>((kIdeMajors[disk / 2] << 8) | ((disk % 2) << 6) | partition);
  }
  if (absl::ConsumePrefix(&vdev, "d")) {
    std::vector<absl::string_view> parts = absl::StrSplit(vdev, 'p');
    if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &disk) || disk < 0) {
      return BadVdev(absl::StrCat("d", vdev));
    }
    if (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &partition) || partition < 0)) {
      return BadVdev(absl::StrCat("d", vdev));
    }
    return Extended(disk, partition, absl::StrCat("d", vdev));
  }
  return BadVdev(vdev);
}

bool IsMacAddress(absl::string_view mac) {
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

bool IsPciAddress(absl::string_view bdf) {
  std::vector<absl::string_view> parts = absl::StrSplit(bdf, ':');
  if (parts.size() == 3) {
    if (!AllHex(parts[0], 4)) return false;
    parts.erase(parts.begin());
  }
  if (parts.size() != 2 || !AllHex(parts[0], 2)) return false;
  absl::string_view dev_fn = parts[1];
  return dev_fn.size() == 4 && AllHex(dev_fn.substr(0, 2), 2) && dev_fn[2] == '.' &&
         dev_fn[3] >= '0' && dev_fn[3] <= '7';
}

std::string NormalizePciAddress(absl::string_view bdf) {
  if (!IsPciAddress(bdf)) return std::string(bdf);
  std::string lower = absl::AsciiStrToLower(bdf);
  return bdf.size() == 7 ? absl::StrCat("0000:", lower) : lower;
}

absl::StatusOr<std::vector<std::string>> ParsePciAddressList(absl::string_view text) {
  std::vector<std::string> list;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    if (!IsPciAddress(item)) return absl::InvalidArgumentError(absl::StrCat("\"", item, "\""));
    list.push_back(NormalizePciAddress(item));
  }
  return list;
}

}  // namespace xenia::hv
