#include "daemon/hypervisor/libxl/libxl_context.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/libxl_status.h"

namespace xenia::hv {

LibxlContext::LibxlContext(Logger& logger) : xtl_(std::make_unique<LibxlLogger>(logger)) {
  std::memset(&child_hooks_, 0, sizeof(child_hooks_));
  child_hooks_.chldowner = libxl_sigchld_owner_libxl_always_selective_reap;
}

absl::StatusOr<std::unique_ptr<LibxlContext>> LibxlContext::Open(Logger& logger) {
  std::unique_ptr<LibxlContext> context(new LibxlContext(logger));
  libxl_ctx* ctx = nullptr;
  const int rc = libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, context->xtl_->get());
  if (rc != 0 || ctx == nullptr) {
    logger.Error("libxl_ctx_alloc failed", {{"rc", rc}, {"error", LibxlErrorName(rc)}});
    return absl::UnavailableError(absl::StrCat(
        "cannot open libxl (libxl_ctx_alloc failed with error ", rc, " (", LibxlErrorName(rc),
        ")): is this a Xen dom0 with /dev/xen and xenstored, and is xeniad running as root? "
        "libxl's own reasons are in the log"));
  }
  context->ctx_ = ctx;
  // Before anything can fork: see the class comment.
  libxl_childproc_setmode(ctx, &context->child_hooks_, nullptr);
  logger.Info("libxl context opened", {{"sigchld", "libxl_always_selective_reap"}});
  return context;
}

LibxlContext::~LibxlContext() {
  if (ctx_ != nullptr && !leak_) libxl_ctx_free(ctx_);
}

}  // namespace xenia::hv
