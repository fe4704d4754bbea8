#include "daemon/domain/domain_proto.h"

#include "absl/strings/str_cat.h"
#include "daemon/proto_time.h"

namespace xenia {

xenia::v1::Domain ToDomainProto(const DomainEntry& entry, const ResourceNames& names) {
  xenia::v1::Domain domain;
  domain.set_name(names.Domain(entry.name()));
  *domain.mutable_spec() = entry.spec;
  *domain.mutable_status() = entry.status;
  domain.mutable_status()->set_managed(true);
  *domain.mutable_create_time() = ToProto(entry.create_time);
  *domain.mutable_update_time() = ToProto(entry.update_time);
  domain.set_etag(absl::StrCat(entry.generation));
  return domain;
}

void ApplyFacts(const hv::DomainFacts& facts, absl::Time now, xenia::v1::DomainStatus* status) {
  status->set_domid(static_cast<int32_t>(facts.domid));
  status->set_current_memory_mib(facts.current_memory_kib / 1024);
  status->set_max_memory_mib(facts.max_memory_kib / 1024);
  // 0: the backend did not read it (libxl's bulk listing).
  if (facts.target_memory_kib > 0) status->set_target_memory_mib(facts.target_memory_kib / 1024);
  status->set_online_vcpus(facts.online_vcpus);
  *status->mutable_cpu_time() = ToProto(absl::Nanoseconds(facts.cpu_time_ns));
  *status->mutable_observe_time() = ToProto(now);
}

xenia::v1::DomainStatus::ShutdownReason ToApiReason(hv::ShutdownReason reason) {
  switch (reason) {
    case hv::ShutdownReason::kPoweroff:
      return xenia::v1::DomainStatus::POWEROFF;
    case hv::ShutdownReason::kReboot:
      return xenia::v1::DomainStatus::REBOOT;
    case hv::ShutdownReason::kSuspend:
      return xenia::v1::DomainStatus::SUSPEND;
    case hv::ShutdownReason::kCrash:
      return xenia::v1::DomainStatus::CRASH;
    case hv::ShutdownReason::kWatchdog:
      return xenia::v1::DomainStatus::WATCHDOG;
    case hv::ShutdownReason::kSoftReset:
      return xenia::v1::DomainStatus::SOFT_RESET;
    case hv::ShutdownReason::kNone:
      break;
  }
  return xenia::v1::DomainStatus::SHUTDOWN_REASON_UNSPECIFIED;
}

const char* PowerStateName(xenia::v1::PowerState state) {
  switch (state) {
    case xenia::v1::SHUTOFF:
      return "shut off";
    case xenia::v1::RUNNING:
      return "running";
    case xenia::v1::PAUSED:
      return "paused";
    case xenia::v1::SHUTTING_DOWN:
      return "shutting down";
    case xenia::v1::CRASHED:
      return "crashed";
    case xenia::v1::DYING:
      return "dying";
    case xenia::v1::SUSPENDED:
      return "suspended";
    case xenia::v1::LOST:
      return "lost";
    default:
      return "unknown";
  }
}

xenia::v1::PowerState PowerStateOf(const hv::DomainFacts& facts) {
  switch (facts.state) {
    case hv::RunState::kRunning:
      return xenia::v1::RUNNING;
    case hv::RunState::kPaused:
      return xenia::v1::PAUSED;
    case hv::RunState::kShutdown:
      return facts.shutdown_reason == hv::ShutdownReason::kCrash ? xenia::v1::CRASHED
                                                                 : xenia::v1::SHUTTING_DOWN;
    case hv::RunState::kDying:
      return xenia::v1::DYING;
  }
  return xenia::v1::POWER_STATE_UNSPECIFIED;
}

}  // namespace xenia
