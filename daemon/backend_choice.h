// Which hypervisor backend to run: libxl on a Xen dom0, the simulator
// elsewhere, or what the config insists on.
//
// Thread-safe: pure function of the config and /proc/xen.
#pragma once

#include <string>

namespace xenia {

struct BackendChoice {
  // "sim" or "libxl".
  std::string backend;
  // Why, for the log and `xenia host`.
  std::string reason;
};

// `requested` is "auto", "sim" or "libxl". `capabilities_path` is normally
// /proc/xen/capabilities.
BackendChoice ChooseBackend(const std::string& requested,
                            const std::string& capabilities_path = "/proc/xen/capabilities");

}  // namespace xenia
