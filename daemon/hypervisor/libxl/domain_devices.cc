// Devices of a DomainSpec <-> libxl_domain_config: disks, network
// interfaces and vTPMs here, PCI devices in pci_device.cc, as xl's parser
// maps their xl.cfg forms (tools/libs/util/libxlu_disk*.c, libxlu_vif.c,
// tools/xl/xl_parse.c).
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/uuid.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_alloc.h"

namespace xenia::hv {
namespace {

using xenia::v1::DomainSpec;

std::string Str(const char* s) { return s != nullptr ? s : ""; }

// ------------------------------------------------------------------ disks

xenia::v1::DiskFormat FormatFromLibxl(libxl_disk_format format) {
  switch (format) {
    case LIBXL_DISK_FORMAT_RAW:
      return xenia::v1::RAW;
    case LIBXL_DISK_FORMAT_QCOW:
      return xenia::v1::QCOW;
    case LIBXL_DISK_FORMAT_QCOW2:
      return xenia::v1::QCOW2;
    case LIBXL_DISK_FORMAT_VHD:
      return xenia::v1::VHD;
    case LIBXL_DISK_FORMAT_EMPTY:
      return xenia::v1::EMPTY;
    default:  // UNKNOWN, and QED, which the spec does not name
      return xenia::v1::DISK_FORMAT_UNSPECIFIED;
  }
}

xenia::v1::DiskBackendType BackendFromLibxl(libxl_disk_backend backend) {
  switch (backend) {
    case LIBXL_DISK_BACKEND_PHY:
      return xenia::v1::PHY;
    case LIBXL_DISK_BACKEND_TAP:
      return xenia::v1::TAP;
    case LIBXL_DISK_BACKEND_QDISK:
      return xenia::v1::QDISK;
    case LIBXL_DISK_BACKEND_STANDALONE:
      return xenia::v1::STANDALONE;
    default:
      return xenia::v1::DISK_BACKEND_TYPE_UNSPECIFIED;
  }
}

}  // namespace

// As xlu_disk_parse: read-write unless said otherwise, raw unless said
// otherwise, and a cdrom is removable, read-only, and "empty" without a
// medium.
absl::Status MapDisk(const xenia::v1::Disk& d, const std::string& field, libxl_device_disk* out) {
  if (d.vdev().empty()) {
    return SpecFieldError(absl::StrCat(field, ".vdev"),
                          "required: the device name the guest sees, e.g. xvda");
  }
  if (d.target().empty() && !d.cdrom()) {
    return SpecFieldError(absl::StrCat(field, ".target"), "required unless the disk is a cdrom");
  }
  const bool no_medium = d.cdrom() && d.target().empty();
  std::optional<libxl_disk_format> format;
  if (d.format() == xenia::v1::DISK_FORMAT_UNSPECIFIED) {
    format = no_medium ? LIBXL_DISK_FORMAT_EMPTY : LIBXL_DISK_FORMAT_RAW;
  } else {
    format = FormatToLibxl(d.format());
  }
  if (!format.has_value()) {
    return SpecFieldError(absl::StrCat(field, ".format"),
                          absl::StrCat("unknown disk format ", d.format()));
  }
  if ((*format == LIBXL_DISK_FORMAT_EMPTY) != no_medium) {
    return SpecFieldError(absl::StrCat(field, ".format"),
                          "EMPTY is the format of a cdrom drive without a medium (no target), "
                          "and only of one");
  }
  std::optional<libxl_disk_backend> backend = BackendToLibxl(d.backend_type());
  if (!backend.has_value()) {
    return SpecFieldError(absl::StrCat(field, ".backend_type"),
                          absl::StrCat("unknown disk backend type ", d.backend_type()));
  }
  if (d.access() != xenia::v1::DISK_ACCESS_UNSPECIFIED && d.access() != xenia::v1::READ_WRITE &&
      d.access() != xenia::v1::READ_ONLY) {
    return SpecFieldError(absl::StrCat(field, ".access"),
                          absl::StrCat("unknown disk access ", d.access()));
  }
  if (d.cdrom() && d.access() == xenia::v1::READ_WRITE) {
    return SpecFieldError(absl::StrCat(field, ".access"), "a cdrom is read-only");
  }
  out->pdev_path = DupOrNull(d.target());
  out->vdev = Dup(d.vdev());
  out->format = *format;
  out->backend = *backend;
  out->readwrite = d.cdrom() || d.access() == xenia::v1::READ_ONLY ? 0 : 1;
  out->is_cdrom = d.cdrom() ? 1 : 0;
  out->removable = d.cdrom() ? 1 : 0;
  out->backend_domname = DupOrNull(d.backend_domain());
  out->script = DupOrNull(d.script());
  out->direct_io_safe = d.direct_io_safe();
  if (d.discard()) libxl_defbool_set(&out->discard_enable, true);
  return absl::OkStatus();
}

// ------------------------------------------------------------------- nics

namespace {

bool ParseMac(absl::string_view text, libxl_mac* mac) {
  std::vector<absl::string_view> bytes = absl::StrSplit(text, ':');
  if (bytes.size() != 6) return false;
  for (size_t i = 0; i < 6; ++i) {
    unsigned int value = 0;
    if (bytes[i].size() != 2 || !ParseBoundedHex(bytes[i], 2, 0xff, &value)) return false;
    (*mac)[i] = static_cast<uint8_t>(value);
  }
  return true;
}

}  // namespace

absl::Status MapNic(const xenia::v1::NetworkInterface& n, const std::string& field, int devid,
                    libxl_device_nic* out) {
  out->devid = devid;
  if (!n.mac().empty() && !ParseMac(n.mac(), &out->mac)) {
    return SpecFieldError(
        absl::StrCat(field, ".mac"),
        absl::StrCat("\"", n.mac(), "\" is not a MAC address (xx:xx:xx:xx:xx:xx)"));
  }
  if (n.type() == "vif") {
    out->nictype = LIBXL_NIC_TYPE_VIF;
  } else if (n.type() == "ioemu") {
    out->nictype = LIBXL_NIC_TYPE_VIF_IOEMU;
  } else if (!n.type().empty()) {
    return SpecFieldError(absl::StrCat(field, ".type"),
                          absl::StrCat("\"", n.type(), "\" is not an interface type (vif, ioemu)"));
  }
  if (n.mtu() < 0) {
    return SpecFieldError(absl::StrCat(field, ".mtu"),
                          absl::StrCat("must not be negative, got ", n.mtu()));
  }
  if (!n.rate().empty()) {
    absl::Status s = ParseNicRate(n.rate(), absl::StrCat("spec.", field, ".rate"),
                                  &out->rate_bytes_per_interval, &out->rate_interval_usecs);
    if (!s.ok()) return s;
  }
  out->mtu = n.mtu();
  out->bridge = DupOrNull(n.bridge());
  out->ip = DupOrNull(n.ip());
  out->model = DupOrNull(n.model());
  out->script = DupOrNull(n.script());
  out->ifname = DupOrNull(n.vifname());
  out->backend_domname = DupOrNull(n.backend_domain());
  return absl::OkStatus();
}

void NicToSpec(const libxl_device_nic& n, xenia::v1::NetworkInterface* out) {
  bool has_mac = false;
  for (uint8_t byte : n.mac) has_mac = has_mac || byte != 0;
  if (has_mac) {
    out->set_mac(absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", n.mac[0], n.mac[1], n.mac[2],
                                 n.mac[3], n.mac[4], n.mac[5]));
  }
  out->set_bridge(Str(n.bridge));
  out->set_ip(Str(n.ip));
  out->set_model(Str(n.model));
  if (n.rate_bytes_per_interval > 0) {
    out->set_rate(FormatNicRate(n.rate_bytes_per_interval, n.rate_interval_usecs));
  }
  out->set_script(Str(n.script));
  out->set_vifname(Str(n.ifname));
  out->set_backend_domain(Str(n.backend_domname));
  if (n.nictype == LIBXL_NIC_TYPE_VIF) out->set_type("vif");
  if (n.nictype == LIBXL_NIC_TYPE_VIF_IOEMU) out->set_type("ioemu");
  if (n.mtu > 0) out->set_mtu(n.mtu);
}

// ------------------------------------------------------------------ vtpms

namespace {

absl::Status MapVtpm(const xenia::v1::Vtpm& v, const std::string& field, int devid,
                     libxl_device_vtpm* out) {
  out->devid = devid;
  if (!v.uuid().empty() && (!IsValidUuid(v.uuid()) ||
                            libxl_uuid_from_string(&out->uuid, NormalizeUuid(v.uuid()).c_str()))) {
    return SpecFieldError(absl::StrCat(field, ".uuid"),
                          absl::StrCat("\"", v.uuid(), "\" is not a UUID (8-4-4-4-12 hex digits)"));
  }
  out->backend_domname = DupOrNull(v.backend_domain());
  return absl::OkStatus();
}

}  // namespace

std::optional<libxl_disk_format> FormatToLibxl(xenia::v1::DiskFormat format) {
  switch (format) {
    case xenia::v1::RAW:
      return LIBXL_DISK_FORMAT_RAW;
    case xenia::v1::QCOW:
      return LIBXL_DISK_FORMAT_QCOW;
    case xenia::v1::QCOW2:
      return LIBXL_DISK_FORMAT_QCOW2;
    case xenia::v1::VHD:
      return LIBXL_DISK_FORMAT_VHD;
    case xenia::v1::EMPTY:
      return LIBXL_DISK_FORMAT_EMPTY;
    default:
      return std::nullopt;
  }
}

std::optional<libxl_disk_backend> BackendToLibxl(xenia::v1::DiskBackendType backend) {
  switch (backend) {
    case xenia::v1::DISK_BACKEND_TYPE_UNSPECIFIED:
      return LIBXL_DISK_BACKEND_UNKNOWN;  // libxl picks one
    case xenia::v1::PHY:
      return LIBXL_DISK_BACKEND_PHY;
    case xenia::v1::TAP:
      return LIBXL_DISK_BACKEND_TAP;
    case xenia::v1::QDISK:
      return LIBXL_DISK_BACKEND_QDISK;
    case xenia::v1::STANDALONE:
      return LIBXL_DISK_BACKEND_STANDALONE;
    default:
      return std::nullopt;
  }
}

void DiskToSpec(const libxl_device_disk& d, xenia::v1::Disk* out) {
  out->set_target(Str(d.pdev_path));
  out->set_vdev(Str(d.vdev));
  out->set_access(d.readwrite ? xenia::v1::READ_WRITE : xenia::v1::READ_ONLY);
  out->set_format(FormatFromLibxl(d.format));
  out->set_backend_type(BackendFromLibxl(d.backend));
  out->set_cdrom(d.is_cdrom != 0);
  out->set_backend_domain(Str(d.backend_domname));
  out->set_script(Str(d.script));
  out->set_direct_io_safe(d.direct_io_safe);
  out->set_discard(!libxl_defbool_is_default(d.discard_enable) &&
                   libxl_defbool_val(d.discard_enable));
}

bool ParseBoundedHex(absl::string_view text, size_t max_digits, unsigned int max,
                     unsigned int* out) {
  if (text.empty() || text.size() > max_digits) return false;
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleHexAtoi(text, out) && *out <= max;
}

absl::Status AddDevices(const DomainSpec& spec, libxl_domain_config* out) {
  // Every element is initialised before any is filled, so that the caller's
  // dispose is safe whatever fails.
  out->num_disks = spec.disks_size();
  out->disks = CallocArray<libxl_device_disk>(out->num_disks);
  for (int i = 0; i < out->num_disks; ++i) libxl_device_disk_init(&out->disks[i]);
  out->num_nics = spec.network_interfaces_size();
  out->nics = CallocArray<libxl_device_nic>(out->num_nics);
  for (int i = 0; i < out->num_nics; ++i) libxl_device_nic_init(&out->nics[i]);
  out->num_pcidevs = spec.pci_devices_size();
  out->pcidevs = CallocArray<libxl_device_pci>(out->num_pcidevs);
  for (int i = 0; i < out->num_pcidevs; ++i) libxl_device_pci_init(&out->pcidevs[i]);
  out->num_vtpms = spec.vtpms_size();
  out->vtpms = CallocArray<libxl_device_vtpm>(out->num_vtpms);
  for (int i = 0; i < out->num_vtpms; ++i) libxl_device_vtpm_init(&out->vtpms[i]);

  for (int i = 0; i < out->num_disks; ++i) {
    absl::Status s = MapDisk(spec.disks(i), absl::StrCat("disks[", i, "]"), &out->disks[i]);
    if (!s.ok()) return s;
  }
  for (int i = 0; i < out->num_nics; ++i) {
    absl::Status s = MapNic(spec.network_interfaces(i), absl::StrCat("network_interfaces[", i, "]"),
                            i, &out->nics[i]);
    if (!s.ok()) return s;
  }
  for (int i = 0; i < out->num_pcidevs; ++i) {
    absl::Status s =
        MapPciDevice(spec.pci_devices(i), absl::StrCat("pci_devices[", i, "]"), &out->pcidevs[i]);
    if (!s.ok()) return s;
  }
  // As xl: a PV guest with PCI devices sees the host's memory map.
  if (out->num_pcidevs > 0 && out->b_info.type == LIBXL_DOMAIN_TYPE_PV) {
    libxl_defbool_set(&out->b_info.u.pv.e820_host, true);
  }
  for (int i = 0; i < out->num_vtpms; ++i) {
    absl::Status s = MapVtpm(spec.vtpms(i), absl::StrCat("vtpms[", i, "]"), i, &out->vtpms[i]);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void DevicesToSpec(const libxl_domain_config& cfg, DomainSpec* spec) {
  for (int i = 0; i < cfg.num_disks; ++i) DiskToSpec(cfg.disks[i], spec->add_disks());
  for (int i = 0; i < cfg.num_nics; ++i) NicToSpec(cfg.nics[i], spec->add_network_interfaces());
  for (int i = 0; i < cfg.num_pcidevs; ++i)
    PciDeviceToSpec(cfg.pcidevs[i], spec->add_pci_devices());
  for (int i = 0; i < cfg.num_vtpms; ++i) {
    xenia::v1::Vtpm* vtpm = spec->add_vtpms();
    vtpm->set_backend_domain(Str(cfg.vtpms[i].backend_domname));
    if (!libxl_uuid_is_nil(&cfg.vtpms[i].uuid)) vtpm->set_uuid(UuidToString(cfg.vtpms[i].uuid));
  }
}

}  // namespace xenia::hv
