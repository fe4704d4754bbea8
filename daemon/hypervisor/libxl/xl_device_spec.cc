// ImportXlDisk, ImportXlVif and ImportXlPci (xl_cfg.h): one spec string, read
// by the same parsers as the disk, vif and pci lists of an xl.cfg.
#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"
#include "daemon/hypervisor/libxl/xl_cfg_syntax.h"

namespace xenia::hv {
namespace {

absl::Status Named(absl::string_view what, absl::string_view text, const absl::Status& error) {
  return absl::InvalidArgumentError(absl::StrCat(what, " \"", text, "\": ", error.message()));
}

absl::Status RequireText(absl::string_view what, absl::string_view text) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(what, ": required"));
  return absl::OkStatus();
}

// libxlutil's disk and PCI parsers report through an XLU_Config; an empty
// one serves.
absl::StatusOr<std::unique_ptr<XluConfig>> EmptyConfig(absl::string_view what) {
  return XluConfig::Parse("", what);
}

}  // namespace

absl::StatusOr<xenia::v1::Disk> ImportXlDisk(absl::string_view text) {
  if (absl::Status s = RequireText("disk spec", text); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<XluConfig>> cfg = EmptyConfig("disk spec");
  if (!cfg.ok()) return cfg.status();
  xenia::v1::Disk disk;
  if (absl::Status s = ParseXlDisk(**cfg, std::string(text), &disk); !s.ok()) {
    return Named("disk spec", text, s);
  }
  return disk;
}

absl::StatusOr<xenia::v1::NetworkInterface> ImportXlVif(absl::string_view text) {
  xenia::v1::NetworkInterface nic;
  if (absl::Status s = ParseXlVif(std::string(text), &nic); !s.ok()) {
    return Named("vif spec", text, s);
  }
  return nic;
}

absl::StatusOr<xenia::v1::PciDevice> ImportXlPci(absl::string_view text) {
  if (absl::Status s = RequireText("pci spec", text); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<XluConfig>> cfg = EmptyConfig("pci spec");
  if (!cfg.ok()) return cfg.status();
  xenia::v1::PciDevice pci;
  if (absl::Status s = ParseXlPci(**cfg, std::string(text), &pci); !s.ok()) {
    return Named("pci spec", text, s);
  }
  return pci;
}

}  // namespace xenia::hv
