// PvControlRequests: shutdown and reboot requests handed to libxl without
// waiting for the guest.
//
// libxl_domain_shutdown / libxl_domain_reboot write the request into the
// guest's xenstore control node and then wait up to 60 s for the guest's PV
// drivers to acknowledge it. The Hypervisor interface asks for the request
// only, so they run as asynchronous libxl operations: Send returns once the
// request is written, and the acknowledgement (or its absence: the request
// stays in xenstore for when the guest's drivers come up) is logged when
// libxl completes the operation, on the event thread.
//
// An outstanding operation keeps libxl_ctx_free from working (it asserts),
// so the backend aborts them all before it closes the context.
//
// Thread-safe: any thread may Send; AbortAllAndWait runs once, at the end,
// while the event thread still runs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

class PvControlRequests {
 public:
  // `ctx` and `logger` are borrowed.
  PvControlRequests(libxl_ctx* ctx, Logger& logger);
  // Expects AbortAllAndWait to have returned true.
  ~PvControlRequests();
  PvControlRequests(const PvControlRequests&) = delete;
  PvControlRequests& operator=(const PvControlRequests&) = delete;

  // Asks domain `domid` (named `label` in logs) to power off or reboot.
  // Returns libxl's code for starting the operation: 0 once the request is
  // written, or e.g. ERROR_NOPARAVIRT for an HVM guest without PV drivers.
  int Send(uint32_t domid, const std::string& label, bool reboot, const std::string& trace_id);

  // Aborts every outstanding operation and waits up to `timeout` for libxl
  // to complete them. False if some are still outstanding.
  bool AbortAllAndWait(absl::Duration timeout);

 private:
  struct Request {
    PvControlRequests* owner = nullptr;
    libxl_asyncop_how how;
    uint32_t domid = 0;
    std::string label;
    bool reboot = false;
    std::string trace_id;
  };

  static void Done(libxl_ctx* ctx, int rc, void* for_callback);
  bool NoneOutstanding() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return outstanding_.empty(); }

  libxl_ctx* const ctx_;
  Logger& logger_;
  // Never held while calling libxl: Done may run inside any libxl call.
  absl::Mutex mu_;
  absl::flat_hash_map<const Request*, std::unique_ptr<Request>> outstanding_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia::hv
