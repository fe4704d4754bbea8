#include "daemon/operations/domain_lifecycle.h"

#include "absl/strings/str_cat.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/operations/device_tasks.h"
#include "daemon/proto_time.h"

namespace xenia {

using xenia::v1::DomainStatus;
using xenia::v1::PowerState;

absl::Status Prefixed(const absl::Status& status, absl::string_view prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

hv::DomainRef RefOf(const DomainEntry& entry) {
  return hv::DomainRef{static_cast<uint32_t>(entry.status.domid()), entry.uuid()};
}

absl::Status RequireState(const DomainEntry& entry, std::initializer_list<PowerState> allowed,
                          absl::string_view must_be, absl::string_view to_verb) {
  for (PowerState state : allowed) {
    if (entry.status.power_state() == state) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat("domain \"", entry.name(), "\" is ",
                                                    PowerStateName(entry.status.power_state()),
                                                    "; it must be ", must_be, " to ", to_verb));
}

absl::StatusOr<DomainEntry> CurrentDomain(TaskContext& ctx) {
  std::optional<DomainEntry> entry = ctx.domain();
  if (!entry.has_value()) {
    return absl::NotFoundError("the domain was deleted before this operation ran");
  }
  return *std::move(entry);
}

absl::Status StartInHypervisor(TaskContext& ctx, const DomainEntry& entry, bool paused) {
  ctx.SetProgress(10, "building the domain");
  hv::CreateDomainRequest request;
  request.spec = &entry.spec;
  request.start_paused = paused;
  request.made_by_xeniad = true;
  absl::StatusOr<hv::DomainFacts> facts = ctx.hypervisor().CreateDomain(ctx.hv_context(), request);
  if (!facts.ok()) return facts.status();
  absl::Time now = ctx.Now();
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    DomainStatus& status = e.status;
    status.set_power_state(paused ? xenia::v1::PAUSED : xenia::v1::RUNNING);
    ApplyFacts(*facts, now, &status);
    *status.mutable_start_time() = ToProto(now);
    *status.mutable_state_change_time() = ToProto(now);
    status.clear_message();
  });
  if (!updated.ok()) return updated.status();
  // The devices the domain was built with, as the hypervisor reports them.
  return RefreshDevices(ctx, *updated);
}

absl::Status DestroyInHypervisor(TaskContext& ctx, const DomainEntry& entry,
                                 DomainStatus::ShutdownReason reason, absl::string_view message) {
  if (entry.status.has_domid()) {
    absl::Status destroyed = ctx.hypervisor().DestroyDomain(ctx.hv_context(), RefOf(entry));
    if (!destroyed.ok() && destroyed.code() != absl::StatusCode::kNotFound) return destroyed;
  }
  absl::Time now = ctx.Now();
  absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
    DomainStatus& status = e.status;
    status.set_power_state(xenia::v1::SHUTOFF);
    status.clear_domid();
    status.clear_devices();
    status.set_current_memory_mib(0);
    status.set_online_vcpus(0);
    status.clear_start_time();
    status.set_last_shutdown_reason(reason);
    *status.mutable_state_change_time() = ToProto(now);
    status.set_message(std::string(message));
  });
  return updated.status();
}

}  // namespace xenia
