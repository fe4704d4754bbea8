// LibxlHypervisor::ShutdownDomain: ask the guest through its PV control
// node, as `xl shutdown` / `xl reboot` do; for an HVM guest without PV
// drivers, press its ACPI power button or reset it, as `xl shutdown -F` /
// `xl reboot -F` do. (QEMU turns a reset of a Xen HVM guest into a shutdown
// with reason "reboot", so the engine sees the reboot either way.)
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/domain_facts.h"
#include "daemon/hypervisor/libxl/libxl_hypervisor.h"
#include "daemon/hypervisor/libxl/libxl_status.h"
#include "daemon/hypervisor/libxl/pv_control.h"

namespace xenia::hv {

absl::Status LibxlHypervisor::ShutdownDomain(const OpContext& ctx,
                                             const ShutdownDomainRequest& req) {
  if (absl::Status s = CheckContext(ctx); !s.ok()) return s;
  if (req.reason != ShutdownReason::kPoweroff && req.reason != ShutdownReason::kReboot) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a guest can be asked to power off or reboot, not to ", ShutdownReasonName(req.reason)));
  }
  const bool reboot = req.reason == ShutdownReason::kReboot;
  const absl::string_view step = reboot ? "asked to reboot" : "asked to shut down";
  absl::StatusOr<DomainFacts> facts = Lookup(req.domain);
  if (!facts.ok()) return facts.status();
  if (absl::Status s = RequireState(*facts, RunState::kRunning, "running", step); !s.ok()) {
    return s;
  }
  const std::string label = DomainLabelFor(facts->domid, facts->name);

  const int rc = pv_control_->Send(facts->domid, label, reboot, ctx.trace_id);
  if (rc == 0) {
    logger_.Info(reboot ? "reboot requested" : "shutdown requested",
                 {{"domid", facts->domid}, {"name", facts->name}, {"trace_id", ctx.trace_id}});
    return absl::OkStatus();
  }
  if (rc != ERROR_NOPARAVIRT) {
    logger_.Error(reboot ? "libxl_domain_reboot failed" : "libxl_domain_shutdown failed",
                  {{"domain", label}, {"rc", rc}, {"trace_id", ctx.trace_id}});
    return LibxlStatus(rc, absl::StrCat("asking ", label, reboot ? " to reboot" : " to shut down"));
  }

  // Only HVM guests lack PV control (libxl answers so for no other type).
  const libxl_trigger trigger = reboot ? LIBXL_TRIGGER_RESET : LIBXL_TRIGGER_POWER;
  const char* what = reboot ? "a reset" : "the ACPI power button";
  const int trigger_rc = libxl_send_trigger(this->ctx(), facts->domid, trigger, 0, nullptr);
  if (trigger_rc != 0) {
    logger_.Error("libxl_send_trigger failed",
                  {{"domain", label}, {"trigger", what}, {"rc", trigger_rc}});
    return LibxlStatus(trigger_rc,
                       absl::StrCat(label, " has no PV drivers, and sending it ", what, " failed"));
  }
  logger_.Info("the guest has no PV drivers; sent it a trigger instead",
               {{"domid", facts->domid},
                {"name", facts->name},
                {"trigger", what},
                {"trace_id", ctx.trace_id}});
  return absl::OkStatus();
}

}  // namespace xenia::hv
