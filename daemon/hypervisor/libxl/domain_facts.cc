#include "daemon/hypervisor/libxl/domain_facts.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace xenia::hv {
namespace {

int64_t Clamp64(uint64_t value) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(value > kMax ? kMax : value);
}

int32_t Clamp32(uint64_t value) {
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int32_t>::max());
  return static_cast<int32_t>(value > kMax ? kMax : value);
}

}  // namespace

std::string UuidToString(const libxl_uuid& uuid) {
  const unsigned char* b = uuid.uuid;
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

ShutdownReason ShutdownReasonFromLibxl(int reason) {
  switch (reason) {
    case LIBXL_SHUTDOWN_REASON_POWEROFF:
      return ShutdownReason::kPoweroff;
    case LIBXL_SHUTDOWN_REASON_REBOOT:
      return ShutdownReason::kReboot;
    case LIBXL_SHUTDOWN_REASON_SUSPEND:
      return ShutdownReason::kSuspend;
    case LIBXL_SHUTDOWN_REASON_CRASH:
      return ShutdownReason::kCrash;
    case LIBXL_SHUTDOWN_REASON_WATCHDOG:
      return ShutdownReason::kWatchdog;
    case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
      return ShutdownReason::kSoftReset;
    default:
      return ShutdownReason::kNone;
  }
}

xenia::v1::DomainType DomainTypeFromLibxl(libxl_domain_type type) {
  switch (type) {
    case LIBXL_DOMAIN_TYPE_PV:
      return xenia::v1::PV;
    case LIBXL_DOMAIN_TYPE_PVH:
      return xenia::v1::PVH;
    case LIBXL_DOMAIN_TYPE_HVM:
      return xenia::v1::HVM;
    case LIBXL_DOMAIN_TYPE_INVALID:
      break;
  }
  return xenia::v1::DOMAIN_TYPE_UNSPECIFIED;
}

DomainFacts FactsFromDominfo(const libxl_dominfo& info, absl::string_view name) {
  DomainFacts facts;
  facts.domid = info.domid;
  facts.uuid = UuidToString(info.uuid);
  facts.name = std::string(name);
  if (info.dying) {
    facts.state = RunState::kDying;
  } else if (info.shutdown) {
    facts.state = RunState::kShutdown;
    facts.shutdown_reason = ShutdownReasonFromLibxl(info.shutdown_reason);
  } else if (info.paused) {
    facts.state = RunState::kPaused;
  } else {
    facts.state = RunState::kRunning;
  }
  facts.current_memory_kib = Clamp64(info.current_memkb);
  facts.max_memory_kib = Clamp64(info.max_memkb);
  facts.online_vcpus = Clamp32(info.vcpu_online);
  facts.max_vcpus = Clamp32(uint64_t{info.vcpu_max_id} + 1);
  facts.cpu_time_ns = Clamp64(info.cpu_time);
  facts.type = DomainTypeFromLibxl(info.domain_type);
  return facts;
}

std::optional<DomainEvent> DomainEventFromLibxl(const libxl_event& event, absl::string_view uuid) {
  DomainEvent out;
  out.domid = event.domid;
  out.uuid = std::string(uuid);
  switch (event.type) {
    case LIBXL_EVENT_TYPE_DOMAIN_SHUTDOWN:
      out.kind = DomainEvent::Kind::kShutdown;
      out.reason = ShutdownReasonFromLibxl(event.u.domain_shutdown.shutdown_reason);
      return out;
    case LIBXL_EVENT_TYPE_DOMAIN_DEATH:
      out.kind = DomainEvent::Kind::kDeath;
      return out;
    default:
      return std::nullopt;
  }
}

HostFacts HostFactsFrom(const libxl_physinfo& physinfo, const libxl_version_info& version,
                        uint64_t dom0_memkb) {
  const uint64_t page_kib =
      version.pagesize > 0 ? static_cast<uint64_t>(version.pagesize) / 1024 : uint64_t{4};
  HostFacts facts;
  facts.backend = "libxl";
  facts.version =
      absl::StrCat("Xen ", version.xen_version_major, ".", version.xen_version_minor,
                   version.xen_version_extra != nullptr ? version.xen_version_extra : "");
  facts.total_memory_kib = Clamp64(physinfo.total_pages * page_kib);
  facts.free_memory_kib = Clamp64(physinfo.free_pages * page_kib);
  facts.dom0_memory_kib = Clamp64(dom0_memkb);
  facts.cpus = Clamp32(physinfo.nr_cpus);
  facts.pv_log_dirty = physinfo.cap_shadow;
  return facts;
}

std::string DomainLabelFor(uint32_t domid, absl::string_view name) {
  return absl::StrFormat("domain %d (\"%s\")", domid, name);
}

std::string StateForMessage(const DomainFacts& facts) {
  switch (facts.state) {
    case RunState::kRunning:
      return "running";
    case RunState::kPaused:
      return "paused";
    case RunState::kShutdown:
      return absl::StrCat("shut down (", ShutdownReasonName(facts.shutdown_reason), ")");
    case RunState::kDying:
      return "dying";
  }
  return "in an unknown state";
}

}  // namespace xenia::hv
