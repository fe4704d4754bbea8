#include "daemon/hypervisor/libxl/device_state.h"

#include <algorithm>
#include <map>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"

namespace xenia::hv {
namespace {

int KindOrder(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kDisk:
      return 0;
    case DeviceKind::kNic:
      return 1;
    case DeviceKind::kPci:
      return 2;
  }
  return 3;
}

bool AllDigits(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
}

void CompleteDisk(const libxl_domain_config& stored, xenia::v1::Disk* disk) {
  for (int i = 0; i < stored.num_disks; ++i) {
    const libxl_device_disk& d = stored.disks[i];
    if (d.vdev == nullptr || disk->vdev() != d.vdev) continue;
    xenia::v1::Disk from;
    DiskToSpec(d, &from);
    if (disk->format() == xenia::v1::DISK_FORMAT_UNSPECIFIED) disk->set_format(from.format());
    if (disk->script().empty()) disk->set_script(from.script());
    if (disk->backend_domain().empty()) disk->set_backend_domain(from.backend_domain());
    if (!disk->direct_io_safe()) disk->set_direct_io_safe(from.direct_io_safe());
    if (!disk->discard()) disk->set_discard(from.discard());
    return;
  }
}

void CompleteNic(const libxl_domain_config& stored, int32_t devid,
                 xenia::v1::NetworkInterface* nic) {
  for (int i = 0; i < stored.num_nics; ++i) {
    const libxl_device_nic& n = stored.nics[i];
    if (n.devid != devid) continue;
    xenia::v1::NetworkInterface from;
    NicToSpec(n, &from);
    // An entry of another interface that once had this devid.
    if (!from.mac().empty() && !nic->mac().empty() && from.mac() != nic->mac()) return;
    if (nic->model().empty()) nic->set_model(from.model());
    if (nic->rate().empty()) nic->set_rate(from.rate());
    if (nic->vifname().empty()) nic->set_vifname(from.vifname());
    if (nic->backend_domain().empty()) nic->set_backend_domain(from.backend_domain());
    return;
  }
}

}  // namespace

XenbusState XenbusStateFromInt(int state) {
  if (state < static_cast<int>(XenbusState::kInitialising) ||
      state > static_cast<int>(XenbusState::kReconfigured)) {
    return XenbusState::kUnknown;
  }
  return static_cast<XenbusState>(state);
}

std::string MacToString(const libxl_mac& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

std::string PciAddressOf(const libxl_device_pci& pci) {
  if (pci.vfunc_mask == LIBXL_PCI_FUNC_ALL) {
    return absl::StrFormat("%04x:%02x:%02x.*", pci.domain, pci.bus, pci.dev);
  }
  return absl::StrFormat("%04x:%02x:%02x.%x", pci.domain, pci.bus, pci.dev, pci.func);
}

DeviceFacts DiskFacts(const libxl_device_disk& disk, int32_t devid) {
  DeviceFacts facts;
  facts.kind = DeviceKind::kDisk;
  facts.devid = devid;
  DiskToSpec(disk, &facts.disk);
  return facts;
}

DeviceFacts NicFacts(const libxl_device_nic& nic) {
  DeviceFacts facts;
  facts.kind = DeviceKind::kNic;
  facts.devid = nic.devid;
  NicToSpec(nic, &facts.nic);
  return facts;
}

DeviceFacts PciFacts(const libxl_device_pci& pci, int32_t index) {
  DeviceFacts facts;
  facts.kind = DeviceKind::kPci;
  facts.devid = index;
  PciDeviceToSpec(pci, &facts.pci);
  return facts;
}

void SetStates(XenbusState backend, XenbusState frontend, DeviceFacts* device) {
  device->backend_state = backend;
  device->frontend_state = frontend;
  device->closing = backend == XenbusState::kClosing;
}

void CompleteFromStored(const libxl_domain_config& stored, DeviceFacts* device) {
  switch (device->kind) {
    case DeviceKind::kDisk:
      CompleteDisk(stored, &device->disk);
      break;
    case DeviceKind::kNic:
      CompleteNic(stored, device->devid, &device->nic);
      break;
    case DeviceKind::kPci:
      break;
  }
}

bool DeviceMatches(const DeviceFacts& device, DeviceKind kind, absl::string_view id) {
  if (device.kind != kind || id.empty()) return false;
  switch (kind) {
    case DeviceKind::kDisk: {
      if (id == device.disk.vdev()) return true;
      absl::StatusOr<int32_t> wanted = VdevToDevid(id);
      if (!wanted.ok()) return false;
      int32_t devid = device.devid;
      if (devid < 0) {
        absl::StatusOr<int32_t> own = VdevToDevid(device.disk.vdev());
        if (!own.ok()) return false;
        devid = *own;
      }
      return *wanted == devid;
    }
    case DeviceKind::kNic: {
      if (IsMacAddress(id)) {
        return absl::AsciiStrToLower(id) == absl::AsciiStrToLower(device.nic.mac());
      }
      int32_t devid = -1;
      return AllDigits(id) && absl::SimpleAtoi(id, &devid) && devid == device.devid;
    }
    case DeviceKind::kPci:
      return IsPciAddress(id) && NormalizePciAddress(id) == device.Id();
  }
  return false;
}

bool PciOverlaps(const libxl_device_pci& requested, const libxl_device_pci& listed) {
  return requested.domain == listed.domain && requested.bus == listed.bus &&
         requested.dev == listed.dev &&
         (requested.vfunc_mask == LIBXL_PCI_FUNC_ALL || requested.func == listed.func);
}

void SortDevices(std::vector<DeviceFacts>* devices) {
  std::stable_sort(devices->begin(), devices->end(),
                   [](const DeviceFacts& a, const DeviceFacts& b) {
                     if (KindOrder(a.kind) != KindOrder(b.kind)) {
                       return KindOrder(a.kind) < KindOrder(b.kind);
                     }
                     return a.devid < b.devid;
                   });
}

std::vector<AssignablePci> MergeAssignablePci(const std::vector<std::string>& free,
                                              const std::vector<AssignablePci>& assigned) {
  // Normalised BDFs have a fixed width, so their text order is their
  // numeric order.
  std::map<std::string, std::optional<uint32_t>> by_bdf;
  for (const std::string& bdf : free) by_bdf.emplace(NormalizePciAddress(bdf), std::nullopt);
  for (const AssignablePci& pci : assigned) by_bdf[NormalizePciAddress(pci.bdf)] = pci.domid;
  std::vector<AssignablePci> out;
  out.reserve(by_bdf.size());
  for (const auto& [bdf, domid] : by_bdf) out.push_back(AssignablePci{bdf, domid});
  return out;
}

}  // namespace xenia::hv
