// The xl.cfg spellings of the spec's parts (xl.cfg(5), xl-disk-
// configuration(5), xl-network-configuration(5), xl-pci-configuration(5)):
// guest types, lifecycle actions, and the disk, vif, pci and vtpm spec
// strings, read (disks and PCI devices by libxlutil's own parsers) and
// written. Shared by ImportXlConfig and ExportXlConfig.
//
// Thread-safe: pure functions; the parsers use `cfg` only to report.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "daemon/hypervisor/libxl/xlu_config.h"
#include "xenia/v1/domain.pb.h"

namespace xenia::hv {

std::optional<xenia::v1::DomainType> XlDomainType(absl::string_view text);
std::string XlDomainTypeName(xenia::v1::DomainType type);

std::optional<xenia::v1::LifecycleAction> XlLifecycleAction(absl::string_view text);
std::string XlLifecycleActionName(xenia::v1::LifecycleAction action);
// "destroy, restart, ..." for error messages.
std::string XlLifecycleActionNames();

// One spec string each. Errors are INVALID_ARGUMENT saying what is wrong
// with the string (the caller names the key).
absl::Status ParseXlDisk(XluConfig& cfg, const std::string& text, xenia::v1::Disk* out);
std::string FormatXlDisk(const xenia::v1::Disk& disk);
absl::Status ParseXlVif(const std::string& text, xenia::v1::NetworkInterface* out);
std::string FormatXlVif(const xenia::v1::NetworkInterface& nic);
absl::Status ParseXlPci(XluConfig& cfg, const std::string& text, xenia::v1::PciDevice* out);
std::string FormatXlPci(const xenia::v1::PciDevice& pci);
absl::Status ParseXlVtpm(const std::string& text, xenia::v1::Vtpm* out);
std::string FormatXlVtpm(const xenia::v1::Vtpm& vtpm);

}  // namespace xenia::hv
