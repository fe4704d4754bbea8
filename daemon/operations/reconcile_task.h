// ReconcileTask: the internal operation that brings a domain's record in line
// with what the hypervisor says, and carries out the domain's lifecycle policy
// (on_poweroff, on_reboot, on_crash, on_watchdog) when its guest went down on
// its own. Queued by the engine on hypervisor events, by the facts poller on
// discrepancies, and at start-up.
//
// Thread-safety: see OperationTask.
#pragma once

#include <string>

#include "daemon/operations/operation_task.h"

namespace xenia {

class ReconcileTask final : public OperationTask {
 public:
  // The Operation.method of reconciliations.
  static constexpr const char* kMethod = "ReconcileDomain";

  explicit ReconcileTask(std::string reason) : reason_(std::move(reason)) {}

  absl::Status Admit(TaskContext&, bool) override { return absl::OkStatus(); }
  StepResult Step(TaskContext& ctx) override;

 private:
  std::string reason_;
};

}  // namespace xenia
