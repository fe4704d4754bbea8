// ReconcileTask: the internal operation that brings a domain's record in line
// with what the hypervisor says, and carries out the domain's lifecycle policy
// (on_poweroff, on_reboot, on_crash, on_watchdog) when its guest went down on
// its own. Queued by the engine on hypervisor events, by the facts poller on
// discrepancies, and at start-up.
//
// Thread-safety: see OperationTask.
#pragma once

#include <optional>
#include <string>

#include "daemon/operations/operation_task.h"
#include "xenia/v1/domain.pb.h"

namespace xenia {

class ReconcileTask final : public OperationTask {
 public:
  // The Operation.method of reconciliations.
  static constexpr const char* kMethod = "ReconcileDomain";

  // `action`, when set, replaces the domain's policy for a guest that shut
  // down or rebooted (not for one that crashed): used at start-up when the
  // guest went down at a user's request while xeniad was stopped.
  explicit ReconcileTask(std::string reason,
                         std::optional<xenia::v1::LifecycleAction> action = std::nullopt)
      : reason_(std::move(reason)), action_(action) {}

  absl::Status Admit(TaskContext&, bool) override { return absl::OkStatus(); }
  StepResult Step(TaskContext& ctx) override;

 private:
  std::string reason_;
  std::optional<xenia::v1::LifecycleAction> action_;
};

}  // namespace xenia
