#include "daemon/hypervisor/hypervisor.h"

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

}  // namespace xenia::hv
