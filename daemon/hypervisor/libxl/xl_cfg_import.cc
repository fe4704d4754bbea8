// ImportXlConfig (xl_cfg.h): an xl.cfg, read by libxlutil, mapped to a
// DomainSpec as xl maps it to a libxl_domain_config (tools/xl/xl_parse.c):
// the same keys, defaults and spec-string syntaxes.
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "daemon/hypervisor/libxl/xl_cfg.h"
#include "daemon/hypervisor/libxl/xl_cfg_syntax.h"
#include "daemon/hypervisor/libxl/xlu_config.h"

namespace xenia::hv {
namespace {

using xenia::v1::DomainSpec;

// Every key the mapping below reads; any other key present goes to
// spec.extra.
const char* const kMappedKeys[] = {
    "name",          "uuid",     "type",        "builder",         "memory",   "maxmem",
    "vcpus",         "maxvcpus", "cpus",        "kernel",          "ramdisk",  "cmdline",
    "extra",         "root",     "bootloader",  "bootloader_args", "disk",     "vif",
    "pci",           "vtpm",     "on_poweroff", "on_reboot",       "on_crash", "on_watchdog",
    "driver_domain", "tsc_mode",
};

// Candidate keys: every identifier followed by '=' (not '=='). libxlutil
// decides which of them are settings (an identifier inside a string, such as
// "mac=" in a vif spec, is not one), so this is no second tokenizer: it only
// proposes names to ask libxlutil about, since libxlutil cannot list them.
std::vector<std::string> CandidateKeys(absl::string_view text) {
  std::vector<std::string> keys;
  std::set<std::string> seen;
  size_t i = 0;
  auto ident_char = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  };
  while (i < text.size()) {
    const char c = text[i];
    if (!(absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_') ||
        (i > 0 && ident_char(text[i - 1]))) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < text.size() && ident_char(text[end])) ++end;
    size_t eq = end;
    while (eq < text.size() && (text[eq] == ' ' || text[eq] == '\t')) ++eq;
    if (eq < text.size() && text[eq] == '=' && (eq + 1 >= text.size() || text[eq + 1] != '=')) {
      std::string key(text.substr(i, end - i));
      if (seen.insert(key).second) keys.push_back(std::move(key));
    }
    i = end;
  }
  return keys;
}

class Mapper {
 public:
  Mapper(XluConfig& cfg, absl::string_view source, XlImport* out)
      : cfg_(cfg), source_(source), out_(*out) {}

  absl::Status Run(absl::string_view text);

 private:
  void Fail(absl::string_view key, absl::string_view problem) {
    errors_.push_back(absl::StrCat(key, ": ", problem));
  }
  // A string setting; a list there is an error.
  std::optional<std::string> String(const char* key);
  // A number setting within [min, max].
  std::optional<long> Number(const char* key, long min, long max, absl::string_view what);
  // A list of strings; a single string is taken as a one-item list when
  // `string_ok`.
  std::optional<std::vector<std::string>> List(const char* key, bool string_ok);

  void MapBasics();
  void MapBoot();
  void MapDevices();
  void MapPolicies();
  void KeepExtra(absl::string_view text);

  XluConfig& cfg_;
  const absl::string_view source_;
  XlImport& out_;
  std::vector<std::string> errors_;
};

std::optional<std::string> Mapper::String(const char* key) {
  switch (cfg_.KindOf(key)) {
    case XluConfig::Kind::kAbsent:
      return std::nullopt;
    case XluConfig::Kind::kList:
      Fail(key, "expected a string, got a list");
      return std::nullopt;
    case XluConfig::Kind::kString:
      break;
  }
  return cfg_.String(key);
}

std::optional<long> Mapper::Number(const char* key, long min, long max, absl::string_view what) {
  std::optional<std::string> text = String(key);
  if (!text.has_value()) return std::nullopt;
  long value = 0;
  if (!absl::SimpleAtoi(*text, &value)) {
    Fail(key, absl::StrCat("expected ", what, ", got \"", *text, "\""));
    return std::nullopt;
  }
  if (value < min || value > max) {
    Fail(key, absl::StrCat("must be from ", min, " to ", max, ", got ", value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> Mapper::List(const char* key, bool string_ok) {
  switch (cfg_.KindOf(key)) {
    case XluConfig::Kind::kAbsent:
      return std::nullopt;
    case XluConfig::Kind::kString:
      if (string_ok) return std::vector<std::string>{*cfg_.String(key)};
      Fail(key, "expected a list [ '...', ... ], got a string");
      return std::nullopt;
    case XluConfig::Kind::kList:
      break;
  }
  bool nested = false;
  std::optional<std::vector<std::string>> items = cfg_.List(key, &nested);
  if (nested) {
    Fail(key, "expected a list of strings, got a list inside the list");
    return std::nullopt;
  }
  return items;
}

void Mapper::MapBasics() {
  DomainSpec& spec = out_.spec;
  if (std::optional<std::string> name = String("name")) {
    spec.set_name(*name);
  } else if (cfg_.KindOf("name") == XluConfig::Kind::kAbsent) {
    Fail("name", "required: the domain's name");
  }
  if (std::optional<std::string> uuid = String("uuid")) spec.set_uuid(*uuid);

  std::optional<std::string> type = String("type");
  std::optional<std::string> builder = String("builder");
  if (type.has_value()) {
    std::optional<xenia::v1::DomainType> t = XlDomainType(*type);
    if (!t.has_value()) {
      Fail("type", absl::StrCat("\"", *type, "\" is not a guest type (pv, pvh, hvm)"));
    } else {
      spec.set_type(*t);
    }
  } else if (builder.has_value()) {
    // xl's deprecated spelling.
    if (*builder == "hvm") {
      spec.set_type(xenia::v1::HVM);
    } else if (*builder == "generic") {
      spec.set_type(xenia::v1::PV);
    } else {
      Fail("builder", absl::StrCat("\"", *builder, "\" is not a builder (generic, hvm)"));
    }
    out_.notes.push_back(absl::StrCat("builder = \"", *builder, "\" is xl's old spelling of type"));
  } else {
    spec.set_type(xenia::v1::PV);
    out_.notes.push_back("no type given: PV, as xl");
  }

  constexpr long kMaxMib = long{1} << 30;
  if (std::optional<long> memory = Number("memory", 1, kMaxMib, "a number of MiB")) {
    spec.set_memory_mib(static_cast<int32_t>(*memory));
  } else if (cfg_.KindOf("memory") == XluConfig::Kind::kAbsent) {
    // xl's default.
    spec.set_memory_mib(128);
    out_.notes.push_back("no memory given: 128 MiB, as xl");
  }
  if (std::optional<long> maxmem = Number("maxmem", 1, kMaxMib, "a number of MiB")) {
    spec.set_max_memory_mib(static_cast<int32_t>(*maxmem));
  }
  if (std::optional<long> vcpus = Number("vcpus", 1, 4096, "a number of vCPUs")) {
    spec.set_vcpus(static_cast<int32_t>(*vcpus));
  }
  if (std::optional<long> max = Number("maxvcpus", 1, 4096, "a number of vCPUs")) {
    spec.set_max_vcpus(static_cast<int32_t>(*max));
  }
  if (cfg_.KindOf("cpus") == XluConfig::Kind::kList) {
    Fail("cpus",
         "the per-vCPU list form is not supported; give one set for every vCPU, e.g. \"2-5\"");
  } else if (std::optional<std::string> cpus = String("cpus")) {
    spec.set_cpus(*cpus);
  }
  if (std::optional<std::string> tsc = String("tsc_mode")) spec.set_tsc_mode(*tsc);
  if (std::optional<long> dd = Number("driver_domain", 0, 1, "0 or 1")) {
    spec.set_driver_domain(*dd == 1);
  }
}

void Mapper::MapBoot() {
  DomainSpec& spec = out_.spec;
  if (std::optional<std::string> kernel = String("kernel")) spec.set_kernel(*kernel);
  if (std::optional<std::string> ramdisk = String("ramdisk")) spec.set_ramdisk(*ramdisk);
  std::optional<std::string> cmdline = String("cmdline");
  std::optional<std::string> root = String("root");
  std::optional<std::string> extra = String("extra");
  if (cmdline.has_value()) {
    spec.set_cmdline(*cmdline);
    if (root.has_value() || extra.has_value()) {
      out_.notes.push_back("cmdline is given, so root and extra are ignored, as xl does");
    }
  } else if (root.has_value() || extra.has_value()) {
    // As xl: "root=ROOT EXTRA".
    std::vector<std::string> parts;
    if (root.has_value()) parts.push_back(absl::StrCat("root=", *root));
    if (extra.has_value()) parts.push_back(*extra);
    spec.set_cmdline(absl::StrJoin(parts, " "));
  }
  if (std::optional<std::string> bootloader = String("bootloader")) {
    spec.set_bootloader(*bootloader);
  }
  if (cfg_.KindOf("bootloader_args") == XluConfig::Kind::kString) {
    // xl's deprecated form: one string, split at spaces.
    for (absl::string_view arg :
         absl::StrSplit(*cfg_.String("bootloader_args"), ' ', absl::SkipEmpty())) {
      spec.add_bootloader_args(std::string(arg));
    }
  } else if (std::optional<std::vector<std::string>> args = List("bootloader_args", false)) {
    for (std::string& arg : *args) spec.add_bootloader_args(std::move(arg));
  }
}

void Mapper::MapDevices() {
  DomainSpec& spec = out_.spec;
  // Each item of the list `key` through `parse`; errors name "key[i]".
  auto each = [this](const char* key, auto parse) {
    std::optional<std::vector<std::string>> items = List(key, false);
    if (!items.has_value()) return;
    for (size_t i = 0; i < items->size(); ++i) {
      absl::Status s = parse((*items)[i]);
      if (!s.ok()) Fail(absl::StrCat(key, "[", i, "]"), s.message());
    }
  };
  each("disk", [&](const std::string& t) { return ParseXlDisk(cfg_, t, spec.add_disks()); });
  each("vif", [&](const std::string& t) { return ParseXlVif(t, spec.add_network_interfaces()); });
  each("pci", [&](const std::string& t) { return ParseXlPci(cfg_, t, spec.add_pci_devices()); });
  each("vtpm", [&](const std::string& t) { return ParseXlVtpm(t, spec.add_vtpms()); });
}

void Mapper::MapPolicies() {
  DomainSpec& spec = out_.spec;
  struct Policy {
    const char* key;
    void (DomainSpec::*set)(xenia::v1::LifecycleAction);
  };
  const Policy policies[] = {{"on_poweroff", &DomainSpec::set_on_poweroff},
                             {"on_reboot", &DomainSpec::set_on_reboot},
                             {"on_crash", &DomainSpec::set_on_crash},
                             {"on_watchdog", &DomainSpec::set_on_watchdog}};
  for (const Policy& p : policies) {
    std::optional<std::string> text = String(p.key);
    if (!text.has_value()) continue;
    std::optional<xenia::v1::LifecycleAction> action = XlLifecycleAction(*text);
    if (!action.has_value()) {
      Fail(p.key,
           absl::StrCat("\"", *text, "\" is not an action (", XlLifecycleActionNames(), ")"));
      continue;
    }
    (spec.*p.set)(*action);
  }
}

void Mapper::KeepExtra(absl::string_view text) {
  const std::set<std::string> mapped(std::begin(kMappedKeys), std::end(kMappedKeys));
  std::vector<std::string> kept;
  for (const std::string& key : CandidateKeys(text)) {
    if (mapped.count(key) > 0) continue;
    std::string value;
    switch (cfg_.KindOf(key)) {
      case XluConfig::Kind::kAbsent:
        continue;
      case XluConfig::Kind::kString: {
        std::string s = *cfg_.String(key);
        long number = 0;
        value = absl::SimpleAtoi(s, &number) && absl::StrCat(number) == s ? s : XlQuote(s);
        break;
      }
      case XluConfig::Kind::kList:
        value = *cfg_.ListText(key);
        break;
    }
    (*out_.spec.mutable_extra())[key] = value;
    kept.push_back(key);
  }
  if (!kept.empty()) {
    out_.notes.push_back(
        absl::StrCat("kept for the backend as written (spec.extra): ", absl::StrJoin(kept, ", ")));
  }
}

absl::Status Mapper::Run(absl::string_view text) {
  MapBasics();
  MapBoot();
  MapDevices();
  MapPolicies();
  KeepExtra(text);
  if (!errors_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", absl::StrJoin(errors_, "; ")));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<XlImport> ImportXlConfig(absl::string_view text, absl::string_view source) {
  absl::StatusOr<std::unique_ptr<XluConfig>> cfg = XluConfig::Parse(text, source);
  if (!cfg.ok()) return cfg.status();
  XlImport out;
  Mapper mapper(**cfg, source, &out);
  if (absl::Status s = mapper.Run(text); !s.ok()) return s;
  return out;
}

}  // namespace xenia::hv
