// MapPciDevice / PciDeviceToSpec (declared in domain_config_parts.h): a PCI
// device passed through, as xl reads its PCI_SPEC_STRING
// (tools/libs/util/libxlu_pci.c, xl-pci-configuration(5)).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"

namespace xenia::hv {
namespace {

// "[DDDD:]BB:DD.F", F being 0-7 or "*" (every function), as xl reads it.
bool ParseBdf(absl::string_view text, libxl_device_pci* pci) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  unsigned int domain = 0;
  if (parts.size() == 3) {
    if (!ParseBoundedHex(parts[0], 4, 0xffff, &domain)) return false;
    parts.erase(parts.begin());
  }
  if (parts.size() != 2) return false;
  std::vector<absl::string_view> dev_fn = absl::StrSplit(parts[1], '.');
  unsigned int bus = 0;
  unsigned int dev = 0;
  unsigned int fn = 0;
  if (dev_fn.size() != 2 || !ParseBoundedHex(parts[0], 2, 0xff, &bus) ||
      !ParseBoundedHex(dev_fn[0], 2, 0x1f, &dev)) {
    return false;
  }
  if (dev_fn[1] == "*") {
    pci->vfunc_mask = LIBXL_PCI_FUNC_ALL;
  } else if (ParseBoundedHex(dev_fn[1], 1, 7, &fn)) {
    pci->vfunc_mask = 1;
  } else {
    return false;
  }
  pci->domain = static_cast<int>(domain);
  pci->bus = static_cast<uint8_t>(bus);
  pci->dev = static_cast<uint8_t>(dev);
  pci->func = static_cast<uint8_t>(fn);
  return true;
}

// "@SS" (a slot, as xl's vslot) or "SS.F"; empty means libxl chooses.
bool ParseVdevfn(absl::string_view text, uint32_t* vdevfn) {
  unsigned int slot = 0;
  unsigned int fn = 0;
  if (absl::ConsumePrefix(&text, "@")) {
    if (!ParseBoundedHex(text, 2, 0x1f, &slot)) return false;
  } else {
    std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
    if (parts.size() != 2 || !ParseBoundedHex(parts[0], 2, 0x1f, &slot) ||
        !ParseBoundedHex(parts[1], 1, 7, &fn)) {
      return false;
    }
  }
  *vdevfn = (slot << 3) | fn;
  return true;
}

}  // namespace

absl::Status MapPciDevice(const xenia::v1::PciDevice& p, const std::string& field,
                          libxl_device_pci* out) {
  if (!ParseBdf(p.bdf(), out)) {
    return SpecFieldError(absl::StrCat(field, ".bdf"),
                          absl::StrCat("\"", p.bdf(), "\" is not a PCI address ([DDDD:]BB:DD.F)"));
  }
  if (!p.vdevfn().empty() && !ParseVdevfn(p.vdevfn(), &out->vdevfn)) {
    return SpecFieldError(
        absl::StrCat(field, ".vdevfn"),
        absl::StrCat("\"", p.vdevfn(), "\" is not a guest slot (\"@SS\" or \"SS.F\", hex)"));
  }
  if (!p.rdm_policy().empty() &&
      libxl_rdm_reserve_policy_from_string(p.rdm_policy().c_str(), &out->rdm_policy) != 0) {
    return SpecFieldError(absl::StrCat(field, ".rdm_policy"),
                          absl::StrCat("\"", p.rdm_policy(), "\" is not strict or relaxed"));
  }
  out->permissive = p.permissive();
  out->msitranslate = p.msitranslate();
  out->seize = p.seize();
  out->power_mgmt = p.power_mgmt();
  return absl::OkStatus();
}

void PciDeviceToSpec(const libxl_device_pci& p, xenia::v1::PciDevice* out) {
  out->set_bdf(p.vfunc_mask == LIBXL_PCI_FUNC_ALL
                   ? absl::StrFormat("%04x:%02x:%02x.*", p.domain, p.bus, p.dev)
                   : absl::StrFormat("%04x:%02x:%02x.%x", p.domain, p.bus, p.dev, p.func));
  if (p.vdevfn != 0) {
    out->set_vdevfn((p.vdevfn & 7) == 0
                        ? absl::StrFormat("@%02x", p.vdevfn >> 3)
                        : absl::StrFormat("%02x.%x", (p.vdevfn >> 3) & 0x1f, p.vdevfn & 7));
  }
  out->set_permissive(p.permissive);
  out->set_msitranslate(p.msitranslate);
  out->set_seize(p.seize);
  out->set_power_mgmt(p.power_mgmt);
  if (p.rdm_policy != LIBXL_RDM_RESERVE_POLICY_INVALID) {
    const char* policy = libxl_rdm_reserve_policy_to_string(p.rdm_policy);
    if (policy != nullptr) out->set_rdm_policy(policy);
  }
}

}  // namespace xenia::hv
