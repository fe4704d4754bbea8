#include "daemon/operations/reconcile_task.h"

#include "absl/strings/str_cat.h"
#include "daemon/domain/domain_proto.h"
#include "daemon/operations/device_tasks.h"
#include "daemon/operations/domain_lifecycle.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

using xenia::v1::DomainStatus;
using xenia::v1::LifecycleAction;

// The policy that applies to a guest that went down for `reason`.
LifecycleAction PolicyFor(const xenia::v1::DomainSpec& spec, hv::ShutdownReason reason,
                          const char** policy_name) {
  switch (reason) {
    case hv::ShutdownReason::kReboot:
      *policy_name = "on_reboot";
      return spec.on_reboot();
    case hv::ShutdownReason::kCrash:
      *policy_name = "on_crash";
      return spec.on_crash();
    case hv::ShutdownReason::kWatchdog:
      *policy_name = "on_watchdog";
      return spec.on_watchdog();
    default:
      *policy_name = "on_poweroff";
      return spec.on_poweroff();
  }
}

}  // namespace

StepResult ReconcileTask::Step(TaskContext& ctx) {
  std::optional<DomainEntry> entry = ctx.domain();
  if (!entry.has_value()) return StepResult::Done();
  ctx.SetProgress(10, absl::StrCat("reconciling: ", reason_));
  if (!entry->status.has_domid()) return StepResult::Done();

  absl::StatusOr<hv::DomainFacts> facts =
      ctx.hypervisor().DescribeDomain(ctx.hv_context(), RefOf(*entry));
  absl::Time now = ctx.Now();
  if (!facts.ok()) {
    if (facts.status().code() != absl::StatusCode::kNotFound) {
      return StepResult::Failed(facts.status());
    }
    // Gone without xeniad's doing (e.g. `xl destroy`).
    std::string note = absl::StrCat("domain ", entry->status.domid(),
                                    " disappeared from the hypervisor (destroyed outside xeniad?)");
    ctx.logger().Warn("domain vanished from the hypervisor",
                      {{"domain", entry->name()}, {"domid", entry->status.domid()}});
    absl::Status s = DestroyInHypervisor(ctx, *entry, DomainStatus::DESTROYED, note);
    ctx.SetProgress(100, note);
    return s.ok() ? StepResult::Done() : StepResult::Failed(s);
  }

  switch (facts->state) {
    case hv::RunState::kRunning:
    case hv::RunState::kPaused: {
      bool paused = facts->state == hv::RunState::kPaused;
      absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
        xenia::v1::PowerState want = paused ? xenia::v1::PAUSED : xenia::v1::RUNNING;
        // A pending shutdown request keeps SHUTTING_DOWN only while an
        // operation waits for it; otherwise the guest is simply running.
        if (e.status.power_state() != want) {
          e.status.set_power_state(want);
          *e.status.mutable_state_change_time() = ToProto(now);
        }
        ApplyFacts(*facts, now, &e.status);
      });
      if (!updated.ok()) return StepResult::Failed(updated.status());
      if (absl::Status s = RefreshDevices(ctx, *updated); !s.ok()) return StepResult::Failed(s);
      ctx.SetProgress(100, "in step with the hypervisor");
      return StepResult::Done();
    }
    case hv::RunState::kDying: {
      (void)ctx.UpdateDomain([&](DomainEntry& e) {
        e.status.set_power_state(xenia::v1::DYING);
        *e.status.mutable_state_change_time() = ToProto(now);
      });
      return StepResult::WaitForDomain(now + absl::Seconds(1));
    }
    case hv::RunState::kShutdown:
      break;
  }

  const char* policy_name = "";
  LifecycleAction action = PolicyFor(entry->spec, facts->shutdown_reason, &policy_name);
  bool crashed = facts->shutdown_reason == hv::ShutdownReason::kCrash ||
                 facts->shutdown_reason == hv::ShutdownReason::kWatchdog;
  bool overridden = action_.has_value() && !crashed;
  if (overridden) {
    action = *action_;
    policy_name = "the user's request";
  }
  // "(on_crash=restart)", or "(as asked)" when a user's request decided.
  auto because = [&](absl::string_view verb) {
    return overridden ? std::string(" (as asked)")
                      : absl::StrCat(" (", policy_name, "=", verb, ")");
  };
  DomainStatus::ShutdownReason api_reason = ToApiReason(facts->shutdown_reason);
  std::string why = absl::StrCat("guest ", hv::ShutdownReasonName(facts->shutdown_reason));
  ctx.logger().Info("guest went down on its own; applying its policy",
                    {{"domain", entry->name()},
                     {"reason", hv::ShutdownReasonName(facts->shutdown_reason)},
                     {"policy", policy_name},
                     {"action", xenia::v1::LifecycleAction_Name(action)}});

  switch (action) {
    case xenia::v1::PRESERVE: {
      std::string note =
          absl::StrCat(why, "; kept for inspection", because("preserve"), " until destroyed");
      absl::StatusOr<DomainEntry> updated = ctx.UpdateDomain([&](DomainEntry& e) {
        e.status.set_power_state(crashed ? xenia::v1::CRASHED : xenia::v1::SHUTTING_DOWN);
        e.status.set_last_shutdown_reason(api_reason);
        *e.status.mutable_state_change_time() = ToProto(now);
        e.status.set_message(note);
        ApplyFacts(*facts, now, &e.status);
      });
      ctx.SetProgress(100, note);
      return updated.ok() ? StepResult::Done() : StepResult::Failed(updated.status());
    }
    case xenia::v1::RESTART:
    case xenia::v1::RENAME_RESTART:
    case xenia::v1::COREDUMP_RESTART:
    case xenia::v1::SOFT_RESET: {
      std::string note = absl::StrCat(why, "; restarted", because("restart"));
      if (absl::Status s = DestroyInHypervisor(ctx, *entry, api_reason, note); !s.ok()) {
        return StepResult::Failed(s);
      }
      absl::StatusOr<DomainEntry> halted = CurrentDomain(ctx);
      if (!halted.ok()) return StepResult::Failed(halted.status());
      if (absl::Status s = StartInHypervisor(ctx, *halted, false); !s.ok()) {
        (void)ctx.UpdateDomain([&](DomainEntry& e) {
          e.status.set_message(absl::StrCat(why, "; the restart failed: ", s.message()));
        });
        return StepResult::Failed(s);
      }
      (void)ctx.UpdateDomain([&](DomainEntry& e) { e.status.set_message(note); });
      ctx.SetProgress(100, note);
      return StepResult::Done();
    }
    default: {
      std::string note = absl::StrCat(why, "; destroyed", because("destroy"));
      absl::Status s = DestroyInHypervisor(ctx, *entry, api_reason, note);
      ctx.SetProgress(100, note);
      return s.ok() ? StepResult::Done() : StepResult::Failed(s);
    }
  }
}

}  // namespace xenia
