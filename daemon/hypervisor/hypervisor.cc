#include "daemon/hypervisor/hypervisor.h"

#include "absl/strings/str_cat.h"

namespace xenia::hv {

absl::string_view RunStateName(RunState state) {
  switch (state) {
    case RunState::kRunning:
      return "running";
    case RunState::kPaused:
      return "paused";
    case RunState::kShutdown:
      return "shutdown";
    case RunState::kDying:
      return "dying";
  }
  return "unknown";
}

absl::string_view ShutdownReasonName(ShutdownReason reason) {
  switch (reason) {
    case ShutdownReason::kNone:
      return "none";
    case ShutdownReason::kPoweroff:
      return "poweroff";
    case ShutdownReason::kReboot:
      return "reboot";
    case ShutdownReason::kSuspend:
      return "suspend";
    case ShutdownReason::kCrash:
      return "crash";
    case ShutdownReason::kWatchdog:
      return "watchdog";
    case ShutdownReason::kSoftReset:
      return "soft_reset";
  }
  return "unknown";
}

absl::Status PvLiveSaveUnsupported(absl::string_view label) {
  return absl::FailedPreconditionError(absl::StrCat(
      label,
      " is a PV guest, and this host's Xen has no shadow paging (built without "
      "CONFIG_SHADOW_PAGING, as Debian's is), which a live save or migration of a PV guest "
      "needs to track the memory it writes; migrate it with --no-live instead"));
}

}  // namespace xenia::hv
