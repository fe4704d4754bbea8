// ExportXlConfig (xl_cfg.h): a DomainSpec written as an xl.cfg that
// ImportXlConfig reads back to an equal spec. Settings the spec leaves at
// their defaults are left out; spec.extra is written as stored.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"
#include "daemon/hypervisor/libxl/xl_cfg_syntax.h"
#include "daemon/hypervisor/libxl/xlu_config.h"

namespace xenia::hv {
namespace {

using xenia::v1::DomainSpec;

class Writer {
 public:
  void String(const char* key, const std::string& value) {
    if (value.empty()) return;
    Check(key, value);
    lines_.push_back(absl::StrCat(key, " = ", XlQuote(value)));
  }
  void Number(const char* key, int64_t value) { lines_.push_back(absl::StrCat(key, " = ", value)); }
  void List(const char* key, const std::vector<std::string>& items) {
    if (items.empty()) return;
    std::vector<std::string> quoted;
    for (const std::string& item : items) {
      Check(key, item);
      quoted.push_back(XlQuote(item));
    }
    if (quoted.size() == 1) {
      lines_.push_back(absl::StrCat(key, " = [ ", quoted[0], " ]"));
    } else {
      lines_.push_back(absl::StrCat(key, " = [\n    ", absl::StrJoin(quoted, ",\n    "), ",\n]"));
    }
  }
  void Raw(const std::string& key, const std::string& value) {
    Check(key, value);
    lines_.push_back(absl::StrCat(key, " = ", value));
  }
  void Blank() { lines_.emplace_back(); }

  absl::StatusOr<std::string> Text() const {
    if (!errors_.empty()) return absl::InvalidArgumentError(absl::StrJoin(errors_, "; "));
    return absl::StrCat(absl::StrJoin(lines_, "\n"), "\n");
  }

 private:
  void Check(absl::string_view key, absl::string_view value) {
    if (!XlExpressible(value)) {
      errors_.push_back(
          absl::StrCat(key, ": holds a control character, which xl.cfg cannot express"));
    }
  }

  std::vector<std::string> lines_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<std::string> ExportXlConfig(const DomainSpec& spec) {
  Writer w;
  w.String("name", spec.name());
  w.String("uuid", spec.uuid());
  w.String("type", XlDomainTypeName(spec.type()));
  if (spec.memory_mib() > 0) w.Number("memory", spec.memory_mib());
  if (spec.max_memory_mib() > 0) w.Number("maxmem", spec.max_memory_mib());
  if (spec.vcpus() > 0) w.Number("vcpus", spec.vcpus());
  if (spec.max_vcpus() > 0) w.Number("maxvcpus", spec.max_vcpus());
  w.String("cpus", spec.cpus());
  w.String("tsc_mode", spec.tsc_mode());
  if (spec.driver_domain()) w.Number("driver_domain", 1);

  w.String("kernel", spec.kernel());
  w.String("ramdisk", spec.ramdisk());
  w.String("cmdline", spec.cmdline());
  w.String("bootloader", spec.bootloader());
  w.List("bootloader_args", {spec.bootloader_args().begin(), spec.bootloader_args().end()});

  std::vector<std::string> items;
  for (const xenia::v1::Disk& d : spec.disks()) items.push_back(FormatXlDisk(d));
  w.List("disk", items);
  items.clear();
  for (const xenia::v1::NetworkInterface& n : spec.network_interfaces()) {
    items.push_back(FormatXlVif(n));
  }
  w.List("vif", items);
  items.clear();
  for (const xenia::v1::PciDevice& p : spec.pci_devices()) items.push_back(FormatXlPci(p));
  w.List("pci", items);
  items.clear();
  for (const xenia::v1::Vtpm& v : spec.vtpms()) items.push_back(FormatXlVtpm(v));
  w.List("vtpm", items);

  const std::pair<const char*, xenia::v1::LifecycleAction> policies[] = {
      {"on_poweroff", spec.on_poweroff()},
      {"on_reboot", spec.on_reboot()},
      {"on_crash", spec.on_crash()},
      {"on_watchdog", spec.on_watchdog()}};
  for (const auto& [key, action] : policies) w.String(key, XlLifecycleActionName(action));

  if (!spec.extra().empty()) {
    w.Blank();
    // Sorted, so that the same spec always gives the same file.
    std::vector<std::pair<std::string, std::string>> extra(spec.extra().begin(),
                                                           spec.extra().end());
    std::sort(extra.begin(), extra.end());
    for (const auto& [key, value] : extra) w.Raw(key, value);
  }
  return w.Text();
}

}  // namespace xenia::hv
