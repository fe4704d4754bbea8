// LibxlContext: owns the process's libxl_ctx and the logger it writes to.
//
// Opening it also settles who reaps child processes: libxl forks helpers
// (bootloaders, hotplug scripts, device models, lock holders), and the mode
// is chosen right after the context is allocated, before any child exists:
// libxl_sigchld_owner_libxl_always_selective_reap, so libxl keeps its own
// SIGCHLD handler and reaps only its own children, and the rest of xeniad
// may still start and waitpid() children of its own. Only one libxl context
// may exist per process in this mode, which the daemon honours (one backend).
//
// Thread-safe: libxl_ctx is thread-safe, so get() may be used from any
// thread. Whoever uses the context for events or asynchronous operations
// must have stopped (every async operation completed, every event generator
// disabled) before the context is destroyed.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "common/logger.h"
#include "daemon/hypervisor/libxl/libxl_api.h"
#include "daemon/hypervisor/libxl/libxl_logger.h"

namespace xenia::hv {

class LibxlContext {
 public:
  // Allocates the context. UNAVAILABLE when this is not a Xen dom0 (no
  // /dev/xen, no xenstored): libxl_ctx_alloc's own reasons are in the log.
  // `logger` is borrowed and must outlive the context.
  static absl::StatusOr<std::unique_ptr<LibxlContext>> Open(Logger& logger);
  ~LibxlContext();
  LibxlContext(const LibxlContext&) = delete;
  LibxlContext& operator=(const LibxlContext&) = delete;

  libxl_ctx* get() const { return ctx_; }

  // Keep the context instead of freeing it on destruction: for when an
  // asynchronous operation could not be brought to an end, so that
  // libxl_ctx_free would assert. The process is exiting then anyway.
  void LeakOnDestruction() { leak_ = true; }

 private:
  explicit LibxlContext(Logger& logger);

  std::unique_ptr<LibxlLogger> xtl_;
  // libxl keeps a pointer to these hooks for the context's whole life.
  libxl_childproc_hooks child_hooks_;
  libxl_ctx* ctx_ = nullptr;
  bool leak_ = false;
};

}  // namespace xenia::hv
