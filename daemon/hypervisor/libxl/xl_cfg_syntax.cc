#include "daemon/hypervisor/libxl/xl_cfg_syntax.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"

namespace xenia::hv {
namespace {

// Whether libxlutil's BDF reader would misread `text`: it scans "BB:DD" (or
// "DDDD:BB:DD") with sscanf and then moves on by an offset that sscanf sets
// only if a '.' follows; without one it reads from an unset offset, and
// crashes or invents a function. Such text never reaches it.
bool BdfReaderWouldOverrun(const std::string& text) {
  int colons = 0;
  for (char c : text) {
    if (c == ':') {
      ++colons;
    } else if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      break;
    }
  }
  unsigned int domain = 0, bus = 0, dev = 0;
  int consumed = -1;
  if (colons == 1) {
    return std::sscanf(text.c_str(), "%x:%x.%n", &bus, &dev, &consumed) == 2 && consumed < 0;
  }
  if (colons == 2) {
    return std::sscanf(text.c_str(), "%x:%x:%x.%n", &domain, &bus, &dev, &consumed) == 3 &&
           consumed < 0;
  }
  return false;
}

std::string NoFunction(absl::string_view bdf) {
  return absl::StrCat("\"", bdf, "\" has no function: a PCI address is [DDDD:]BB:DD.F");
}

struct ActionName {
  xenia::v1::LifecycleAction action;
  const char* name;
};
constexpr ActionName kActions[] = {
    {xenia::v1::DESTROY, "destroy"},
    {xenia::v1::RESTART, "restart"},
    {xenia::v1::RENAME_RESTART, "rename-restart"},
    {xenia::v1::PRESERVE, "preserve"},
    {xenia::v1::COREDUMP_DESTROY, "coredump-destroy"},
    {xenia::v1::COREDUMP_RESTART, "coredump-restart"},
    {xenia::v1::SOFT_RESET, "soft-reset"},
};

// "key=value" (or a bare "key") items of a comma-separated spec string.
std::vector<std::pair<std::string, std::string>> Items(absl::string_view text) {
  std::vector<std::pair<std::string, std::string>> items;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      items.emplace_back(std::string(part), "");
    } else {
      items.emplace_back(std::string(absl::StripAsciiWhitespace(part.substr(0, eq))),
                         std::string(absl::StripAsciiWhitespace(part.substr(eq + 1))));
    }
  }
  return items;
}

absl::Status Bad(absl::string_view what) { return absl::InvalidArgumentError(what); }

// The report of a libxlutil spec-string parser, without the source's prefix
// (the caller names the key).
std::string Report(XluConfig& cfg, const std::string& text) {
  std::string report = cfg.TakeReport();
  return report.empty() ? absl::StrCat("\"", text, "\" is not valid") : report;
}

}  // namespace

std::optional<xenia::v1::DomainType> XlDomainType(absl::string_view text) {
  if (text == "pv") return xenia::v1::PV;
  if (text == "pvh") return xenia::v1::PVH;
  if (text == "hvm") return xenia::v1::HVM;
  return std::nullopt;
}

std::string XlDomainTypeName(xenia::v1::DomainType type) {
  switch (type) {
    case xenia::v1::PV:
      return "pv";
    case xenia::v1::HVM:
      return "hvm";
    default:
      return "pvh";
  }
}

std::optional<xenia::v1::LifecycleAction> XlLifecycleAction(absl::string_view text) {
  for (const ActionName& a : kActions) {
    if (text == a.name) return a.action;
  }
  return std::nullopt;
}

std::string XlLifecycleActionName(xenia::v1::LifecycleAction action) {
  for (const ActionName& a : kActions) {
    if (action == a.action) return a.name;
  }
  return "";
}

std::string XlLifecycleActionNames() {
  std::vector<std::string> names;
  for (const ActionName& a : kActions) names.emplace_back(a.name);
  return absl::StrJoin(names, ", ");
}

// ------------------------------------------------------------------ disks

absl::Status ParseXlDisk(XluConfig& cfg, const std::string& text, xenia::v1::Disk* out) {
  // libxlutil's disk scanner calls exit(2) ("flex scanner jammed") on a
  // newline after a '=' that starts an item: no control character reaches it.
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return absl::ascii_iscntrl(static_cast<unsigned char>(c)); })) {
    return Bad("a disk spec cannot hold a control character (a newline, a tab)");
  }
  libxl_device_disk disk;
  libxl_device_disk_init(&disk);
  const char* specs[] = {text.c_str()};
  const int rc = xlu_disk_parse(cfg.raw(), 1, specs, &disk);
  if (rc != 0) {
    libxl_device_disk_dispose(&disk);
    return Bad(Report(cfg, text));
  }
  if (disk.format == LIBXL_DISK_FORMAT_QED) {
    libxl_device_disk_dispose(&disk);
    return Bad("format qed is not supported (raw, qcow, qcow2, vhd, empty)");
  }
  DiskToSpec(disk, out);
  libxl_device_disk_dispose(&disk);
  return absl::OkStatus();
}

std::string FormatXlDisk(const xenia::v1::Disk& d) {
  std::vector<std::string> parts;
  // libxl's own names of formats and backends are xl.cfg's.
  if (std::optional<libxl_disk_format> format = FormatToLibxl(d.format())) {
    parts.push_back(absl::StrCat("format=", libxl_disk_format_to_string(*format)));
  }
  parts.push_back(absl::StrCat("vdev=", d.vdev()));
  if (d.access() == xenia::v1::READ_ONLY) parts.emplace_back("access=ro");
  if (d.access() == xenia::v1::READ_WRITE) parts.emplace_back("access=rw");
  if (d.cdrom()) parts.emplace_back("devtype=cdrom");
  if (std::optional<libxl_disk_backend> backend = BackendToLibxl(d.backend_type());
      backend.has_value() && *backend != LIBXL_DISK_BACKEND_UNKNOWN) {
    parts.push_back(absl::StrCat("backendtype=", libxl_disk_backend_to_string(*backend)));
  }
  if (!d.backend_domain().empty()) parts.push_back(absl::StrCat("backend=", d.backend_domain()));
  if (!d.script().empty()) parts.push_back(absl::StrCat("script=", d.script()));
  if (d.direct_io_safe()) parts.emplace_back("direct-io-safe");
  if (d.discard()) parts.emplace_back("discard");
  // Last: the target may hold commas.
  parts.push_back(absl::StrCat("target=", d.target()));
  return absl::StrJoin(parts, ", ");
}

// ------------------------------------------------------------------- vifs

absl::Status ParseXlVif(const std::string& text, xenia::v1::NetworkInterface* out) {
  for (auto& [key, value] : Items(text)) {
    if (key == "mac") {
      out->set_mac(absl::AsciiStrToLower(value));
    } else if (key == "bridge") {
      out->set_bridge(value);
    } else if (key == "ip") {
      out->set_ip(value);
    } else if (key == "model") {
      out->set_model(value);
    } else if (key == "rate") {
      uint64_t bytes = 0;
      uint32_t usecs = 0;
      if (absl::Status s = ParseNicRate(value, "rate", &bytes, &usecs); !s.ok()) return s;
      out->set_rate(value);
    } else if (key == "script") {
      out->set_script(value);
    } else if (key == "vifname") {
      out->set_vifname(value);
    } else if (key == "backend") {
      out->set_backend_domain(value);
    } else if (key == "type") {
      if (value != "vif" && value != "ioemu") {
        return Bad(absl::StrCat("type \"", value, "\" is not an interface type (vif, ioemu)"));
      }
      out->set_type(value);
    } else if (key == "mtu") {
      int mtu = 0;
      if (!absl::SimpleAtoi(value, &mtu) || mtu < 68 || mtu > 65535) {
        return Bad(absl::StrCat("mtu \"", value, "\" is not a number from 68 to 65535"));
      }
      out->set_mtu(mtu);
    } else {
      return Bad(absl::StrCat(
          "unknown key \"", key,
          "\" (known: mac, bridge, ip, model, rate, script, vifname, backend, type, mtu)"));
    }
  }
  return absl::OkStatus();
}

std::string FormatXlVif(const xenia::v1::NetworkInterface& n) {
  std::vector<std::string> parts;
  auto add = [&parts](const char* key, const std::string& value) {
    if (!value.empty()) parts.push_back(absl::StrCat(key, "=", value));
  };
  add("mac", n.mac());
  add("bridge", n.bridge());
  add("ip", n.ip());
  add("model", n.model());
  add("rate", n.rate());
  add("script", n.script());
  add("vifname", n.vifname());
  add("backend", n.backend_domain());
  add("type", n.type());
  if (n.mtu() > 0) add("mtu", absl::StrCat(n.mtu()));
  return absl::StrJoin(parts, ",");
}

// -------------------------------------------------------------------- pci

absl::Status ParseXlPci(XluConfig& cfg, const std::string& text, xenia::v1::PciDevice* out) {
  if (BdfReaderWouldOverrun(text)) return Bad(NoFunction(text));
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    const size_t eq = item.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view value = item.substr(eq + 1);
    if (absl::StripAsciiWhitespace(item.substr(0, eq)) == "bdf" &&
        BdfReaderWouldOverrun(std::string(value))) {
      return Bad(NoFunction(value));
    }
  }
  libxl_device_pci pci;
  libxl_device_pci_init(&pci);
  const int rc = xlu_pci_parse_spec_string(cfg.raw(), &pci, text.c_str());
  if (rc != 0) {
    libxl_device_pci_dispose(&pci);
    return Bad(Report(cfg, text));
  }
  PciDeviceToSpec(pci, out);
  libxl_device_pci_dispose(&pci);
  return absl::OkStatus();
}

std::string FormatXlPci(const xenia::v1::PciDevice& p) {
  std::string first = p.bdf();
  absl::string_view vdevfn = p.vdevfn();
  if (absl::ConsumePrefix(&vdevfn, "@")) {
    absl::StrAppend(&first, "@", vdevfn);
  } else if (!vdevfn.empty()) {
    // "DD.F": xl.cfg names the slot only.
    absl::StrAppend(&first, "@", vdevfn.substr(0, vdevfn.find('.')));
  }
  std::vector<std::string> parts = {first};
  if (p.permissive()) parts.emplace_back("permissive=1");
  if (p.msitranslate()) parts.emplace_back("msitranslate=1");
  if (p.seize()) parts.emplace_back("seize=1");
  if (p.power_mgmt()) parts.emplace_back("power_mgmt=1");
  if (!p.rdm_policy().empty()) parts.push_back(absl::StrCat("rdm_policy=", p.rdm_policy()));
  return absl::StrJoin(parts, ",");
}

// ------------------------------------------------------------------ vtpms

absl::Status ParseXlVtpm(const std::string& text, xenia::v1::Vtpm* out) {
  for (auto& [key, value] : Items(text)) {
    if (key == "backend") {
      out->set_backend_domain(value);
    } else if (key == "uuid") {
      out->set_uuid(value);
    } else {
      return Bad(absl::StrCat("unknown key \"", key, "\" (known: backend, uuid)"));
    }
  }
  return absl::OkStatus();
}

std::string FormatXlVtpm(const xenia::v1::Vtpm& v) {
  std::vector<std::string> parts;
  if (!v.backend_domain().empty()) parts.push_back(absl::StrCat("backend=", v.backend_domain()));
  if (!v.uuid().empty()) parts.push_back(absl::StrCat("uuid=", v.uuid()));
  return absl::StrJoin(parts, ",");
}

}  // namespace xenia::hv
