// SpecToDomainConfig / DomainConfigToSpec: the domain as a whole (create
// and build info, the on_* actions); devices and extra keys are in their own
// files (domain_config_parts.h).
#include "daemon/hypervisor/libxl/domain_config.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/uuid.h"
#include "daemon/hypervisor/libxl/cpu_list.h"
#include "daemon/hypervisor/libxl/domain_config_parts.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_alloc.h"

namespace xenia::hv {
namespace {

using xenia::v1::DomainSpec;
using xenia::v1::LifecycleAction;

// More vCPUs than any Xen guest may have; keeps a mistyped count from
// allocating a huge bitmap.
constexpr int kMaxVcpus = 4096;

// libxl's action for a spec's; nullopt for a value the enum does not know.
std::optional<libxl_action_on_shutdown> ActionToLibxl(LifecycleAction action,
                                                      libxl_action_on_shutdown fallback) {
  switch (action) {
    case xenia::v1::LIFECYCLE_ACTION_UNSPECIFIED:
      return fallback;
    case xenia::v1::DESTROY:
      return LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
    case xenia::v1::RESTART:
      return LIBXL_ACTION_ON_SHUTDOWN_RESTART;
    case xenia::v1::PRESERVE:
      return LIBXL_ACTION_ON_SHUTDOWN_PRESERVE;
    case xenia::v1::RENAME_RESTART:
      return LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME;
    case xenia::v1::COREDUMP_DESTROY:
      return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY;
    case xenia::v1::COREDUMP_RESTART:
      return LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART;
    case xenia::v1::SOFT_RESET:
      return LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET;
    default:
      return std::nullopt;
  }
}

LifecycleAction ActionFromLibxl(libxl_action_on_shutdown action) {
  switch (action) {
    case LIBXL_ACTION_ON_SHUTDOWN_DESTROY:
      return xenia::v1::DESTROY;
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART:
      return xenia::v1::RESTART;
    case LIBXL_ACTION_ON_SHUTDOWN_RESTART_RENAME:
      return xenia::v1::RENAME_RESTART;
    case LIBXL_ACTION_ON_SHUTDOWN_PRESERVE:
      return xenia::v1::PRESERVE;
    case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_DESTROY:
      return xenia::v1::COREDUMP_DESTROY;
    case LIBXL_ACTION_ON_SHUTDOWN_COREDUMP_RESTART:
      return xenia::v1::COREDUMP_RESTART;
    case LIBXL_ACTION_ON_SHUTDOWN_SOFT_RESET:
      return xenia::v1::SOFT_RESET;
  }
  return xenia::v1::LIFECYCLE_ACTION_UNSPECIFIED;
}

// The on_* actions, with xl's defaults for unset ones (destroy, except
// on_reboot=restart). libxl only stores them; xeniad's engine acts on them.
absl::Status MapActions(const DomainSpec& spec, libxl_domain_config* out) {
  struct Entry {
    const char* field;
    LifecycleAction action;
    libxl_action_on_shutdown fallback;
    libxl_action_on_shutdown* target;
  };
  const Entry entries[] = {
      {"on_poweroff", spec.on_poweroff(), LIBXL_ACTION_ON_SHUTDOWN_DESTROY, &out->on_poweroff},
      {"on_reboot", spec.on_reboot(), LIBXL_ACTION_ON_SHUTDOWN_RESTART, &out->on_reboot},
      {"on_crash", spec.on_crash(), LIBXL_ACTION_ON_SHUTDOWN_DESTROY, &out->on_crash},
      {"on_watchdog", spec.on_watchdog(), LIBXL_ACTION_ON_SHUTDOWN_DESTROY, &out->on_watchdog},
  };
  for (const Entry& e : entries) {
    std::optional<libxl_action_on_shutdown> mapped = ActionToLibxl(e.action, e.fallback);
    if (!mapped.has_value()) {
      return SpecFieldError(e.field, absl::StrCat("unknown lifecycle action ", e.action));
    }
    *e.target = *mapped;
  }
  return absl::OkStatus();
}

absl::Status MapMemory(const DomainSpec& spec, libxl_domain_build_info* b) {
  if (spec.memory_mib() <= 0) {
    return SpecFieldError("memory_mib",
                          absl::StrCat("must be greater than 0, got ", spec.memory_mib()));
  }
  if (spec.max_memory_mib() < 0) {
    return SpecFieldError("max_memory_mib",
                          absl::StrCat("must not be negative, got ", spec.max_memory_mib()));
  }
  if (spec.max_memory_mib() != 0 && spec.max_memory_mib() < spec.memory_mib()) {
    return SpecFieldError("max_memory_mib",
                          absl::StrCat(spec.max_memory_mib(), " MiB is below memory_mib (",
                                       spec.memory_mib(), " MiB)"));
  }
  b->target_memkb = uint64_t{static_cast<uint32_t>(spec.memory_mib())} * 1024;
  b->max_memkb =
      uint64_t{static_cast<uint32_t>(std::max(spec.max_memory_mib(), spec.memory_mib()))} * 1024;
  return absl::OkStatus();
}

// vCPUs as xl maps them: max_vcpus, and avail_vcpus with the first `vcpus`
// bits set; `cpus` gives every vCPU the same hard affinity.
absl::Status MapVcpus(const DomainSpec& spec, libxl_domain_build_info* b) {
  const int vcpus = spec.vcpus() == 0 ? 1 : spec.vcpus();
  if (vcpus < 0 || vcpus > kMaxVcpus) {
    return SpecFieldError("vcpus",
                          absl::StrCat("must be between 1 and ", kMaxVcpus, ", got ", vcpus));
  }
  const int max_vcpus = spec.max_vcpus() == 0 ? vcpus : spec.max_vcpus();
  if (max_vcpus < vcpus || max_vcpus > kMaxVcpus) {
    return SpecFieldError("max_vcpus", absl::StrCat("must be between vcpus (", vcpus, ") and ",
                                                    kMaxVcpus, ", got ", spec.max_vcpus()));
  }
  b->max_vcpus = max_vcpus;
  AllocBitmap(&b->avail_vcpus, vcpus);
  for (int i = 0; i < vcpus; ++i) libxl_bitmap_set(&b->avail_vcpus, i);

  if (spec.cpus().empty() || spec.cpus() == "all") return absl::OkStatus();
  absl::StatusOr<std::vector<int>> cpus = ParseCpuList(spec.cpus(), "spec.cpus");
  if (!cpus.ok()) return cpus.status();
  b->vcpu_hard_affinity = CallocArray<libxl_bitmap>(max_vcpus);
  b->num_vcpu_hard_affinity = max_vcpus;
  for (int i = 0; i < max_vcpus; ++i) {
    libxl_bitmap_init(&b->vcpu_hard_affinity[i]);
    CpusToBitmap(*cpus, &b->vcpu_hard_affinity[i]);
  }
  return absl::OkStatus();
}

absl::Status MapBoot(const DomainSpec& spec, libxl_domain_build_info* b) {
  b->kernel = DupOrNull(spec.kernel());
  b->ramdisk = DupOrNull(spec.ramdisk());
  b->cmdline = DupOrNull(spec.cmdline());
  b->bootloader = DupOrNull(spec.bootloader());
  if (spec.bootloader_args_size() > 0) {
    if (spec.bootloader().empty()) {
      return SpecFieldError("bootloader_args", "given without spec.bootloader");
    }
    b->bootloader_args = CallocArray<char*>(spec.bootloader_args_size() + 1);
    for (int i = 0; i < spec.bootloader_args_size(); ++i) {
      b->bootloader_args[i] = Dup(spec.bootloader_args(i));
    }
  }
  if (!spec.tsc_mode().empty() &&
      libxl_tsc_mode_from_string(spec.tsc_mode().c_str(), &b->tsc_mode) != 0) {
    return SpecFieldError("tsc_mode",
                          absl::StrCat("\"", spec.tsc_mode(),
                                       "\" is not a TSC mode (default, always_emulate, native, "
                                       "native_paravirt)"));
  }
  return absl::OkStatus();
}

std::string StringOr(const char* primary, const char* fallback) {
  if (primary != nullptr) return primary;
  return fallback != nullptr ? fallback : "";
}

// The hard affinity when every vCPU has the same one; "" otherwise (a
// per-vCPU list has no spec field) or when there is none.
std::string AffinityToSpec(const libxl_domain_build_info& b) {
  if (b.num_vcpu_hard_affinity <= 0) return "";
  const libxl_bitmap& first = b.vcpu_hard_affinity[0];
  for (int i = 1; i < b.num_vcpu_hard_affinity; ++i) {
    if (!libxl_bitmap_equal(&first, &b.vcpu_hard_affinity[i], 0)) return "";
  }
  if (first.size == 0) return "";
  if (libxl_bitmap_is_full(&first)) return "all";
  return FormatCpuList(BitmapToCpus(first));
}

}  // namespace

absl::Status SpecFieldError(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("spec.", field, ": ", problem));
}

absl::Status SpecToDomainConfig(const DomainSpec& spec, libxl_domain_config* out) {
  libxl_domain_type type;
  switch (spec.type()) {
    case xenia::v1::DOMAIN_TYPE_UNSPECIFIED:
    case xenia::v1::PVH:
      type = LIBXL_DOMAIN_TYPE_PVH;
      break;
    case xenia::v1::PV:
      type = LIBXL_DOMAIN_TYPE_PV;
      break;
    case xenia::v1::HVM:
      type = LIBXL_DOMAIN_TYPE_HVM;
      break;
    default:
      return SpecFieldError(
          "type", absl::StrCat("unknown guest type ", spec.type(), " (use PV, PVH or HVM)"));
  }
  if (spec.name().empty()) return SpecFieldError("name", "required");
  if (spec.uuid().empty()) return SpecFieldError("uuid", "required");
  if (!IsValidUuid(spec.uuid()) ||
      libxl_uuid_from_string(&out->c_info.uuid, NormalizeUuid(spec.uuid()).c_str()) != 0) {
    return SpecFieldError(
        "uuid", absl::StrCat("\"", spec.uuid(), "\" is not a UUID (8-4-4-4-12 hex digits)"));
  }
  out->c_info.type = type;
  out->c_info.name = Dup(spec.name());
  if (spec.driver_domain()) libxl_defbool_set(&out->c_info.driver_domain, true);

  libxl_domain_build_info_init_type(&out->b_info, type);
  if (absl::Status s = MapMemory(spec, &out->b_info); !s.ok()) return s;
  if (absl::Status s = MapVcpus(spec, &out->b_info); !s.ok()) return s;
  if (absl::Status s = MapBoot(spec, &out->b_info); !s.ok()) return s;
  if (absl::Status s = MapActions(spec, out); !s.ok()) return s;
  if (absl::Status s = AddDevices(spec, out); !s.ok()) return s;
  return ApplyExtraKeys(spec, out);
}

absl::StatusOr<DomainSpec> DomainConfigToSpec(const libxl_domain_config& cfg) {
  const libxl_domain_create_info& c = cfg.c_info;
  const libxl_domain_build_info& b = cfg.b_info;
  if (c.name == nullptr || c.name[0] == '\0') {
    return absl::InvalidArgumentError("the libxl domain config has no name");
  }
  DomainSpec spec;
  spec.set_name(c.name);
  if (!libxl_uuid_is_nil(&c.uuid)) spec.set_uuid(UuidToString(c.uuid));
  spec.set_type(DomainTypeFromLibxl(c.type));

  if (b.target_memkb != LIBXL_MEMKB_DEFAULT) {
    spec.set_memory_mib(static_cast<int32_t>(b.target_memkb / 1024));
  }
  spec.set_max_memory_mib(b.max_memkb != LIBXL_MEMKB_DEFAULT
                              ? static_cast<int32_t>(b.max_memkb / 1024)
                              : spec.memory_mib());
  const int online = b.avail_vcpus.size > 0 ? libxl_bitmap_count_set(&b.avail_vcpus) : 0;
  spec.set_max_vcpus(b.max_vcpus);
  // libxl brings every vCPU online when avail_vcpus is not given.
  spec.set_vcpus(online > 0 ? online : b.max_vcpus);
  spec.set_cpus(AffinityToSpec(b));

  const bool pv = c.type == LIBXL_DOMAIN_TYPE_PV && b.type == LIBXL_DOMAIN_TYPE_PV;
  // Before Xen 4.10 these lived under u.pv; a config stored then has them there.
  spec.set_kernel(StringOr(b.kernel, pv ? b.u.pv.kernel : nullptr));
  spec.set_ramdisk(StringOr(b.ramdisk, pv ? b.u.pv.ramdisk : nullptr));
  spec.set_cmdline(StringOr(b.cmdline, pv ? b.u.pv.cmdline : nullptr));
  spec.set_bootloader(StringOr(b.bootloader, pv ? b.u.pv.bootloader : nullptr));
  libxl_string_list args =
      b.bootloader_args != nullptr ? b.bootloader_args : (pv ? b.u.pv.bootloader_args : nullptr);
  for (int i = 0; args != nullptr && args[i] != nullptr; ++i) spec.add_bootloader_args(args[i]);
  if (b.tsc_mode != LIBXL_TSC_MODE_DEFAULT) {
    const char* mode = libxl_tsc_mode_to_string(b.tsc_mode);
    if (mode != nullptr) spec.set_tsc_mode(mode);
  }

  spec.set_on_poweroff(ActionFromLibxl(cfg.on_poweroff));
  spec.set_on_reboot(ActionFromLibxl(cfg.on_reboot));
  spec.set_on_crash(ActionFromLibxl(cfg.on_crash));
  spec.set_on_watchdog(ActionFromLibxl(cfg.on_watchdog));
  if (!libxl_defbool_is_default(c.driver_domain) && libxl_defbool_val(c.driver_domain)) {
    spec.set_driver_domain(true);
  }
  DevicesToSpec(cfg, &spec);
  ExtraKeysToSpec(cfg, &spec);
  return spec;
}

}  // namespace xenia::hv
