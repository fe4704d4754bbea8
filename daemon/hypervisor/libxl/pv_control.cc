#include "daemon/hypervisor/libxl/pv_control.h"

#include <cstring>
#include <vector>

#include "daemon/hypervisor/libxl/libxl_status.h"

namespace xenia::hv {

PvControlRequests::PvControlRequests(libxl_ctx* ctx, Logger& logger) : ctx_(ctx), logger_(logger) {}

PvControlRequests::~PvControlRequests() {
  absl::MutexLock lock(&mu_);
  if (!outstanding_.empty()) {
    logger_.Error("libxl still runs shutdown requests while the backend closes",
                  {{"outstanding", outstanding_.size()}});
  }
}

int PvControlRequests::Send(uint32_t domid, const std::string& label, bool reboot,
                            const std::string& trace_id) {
  auto request = std::make_unique<Request>();
  Request* raw = request.get();
  raw->owner = this;
  std::memset(&raw->how, 0, sizeof(raw->how));
  raw->how.callback = &PvControlRequests::Done;
  raw->how.u.for_callback = raw;
  raw->domid = domid;
  raw->label = label;
  raw->reboot = reboot;
  raw->trace_id = trace_id;
  {
    absl::MutexLock lock(&mu_);
    outstanding_.emplace(raw, std::move(request));
  }
  // With rc == 0, Done may already have run (and freed the request) by the
  // time the call returns; with rc != 0 libxl never calls it.
  const int rc = reboot ? libxl_domain_reboot(ctx_, domid, &raw->how)
                        : libxl_domain_shutdown(ctx_, domid, &raw->how);
  if (rc != 0) {
    absl::MutexLock lock(&mu_);
    outstanding_.erase(raw);
  }
  return rc;
}

void PvControlRequests::Done(libxl_ctx*, int rc, void* for_callback) {
  const Request* key = static_cast<const Request*>(for_callback);
  PvControlRequests* self = key->owner;
  std::unique_ptr<Request> request;
  {
    absl::MutexLock lock(&self->mu_);
    auto it = self->outstanding_.find(key);
    if (it == self->outstanding_.end()) return;  // cannot happen: Send inserts first
    request = std::move(it->second);
    self->outstanding_.erase(it);
  }
  const char* what = request->reboot ? "reboot" : "shutdown";
  if (rc == 0) {
    self->logger_.Info(
        "the guest acknowledged the request",
        {{"domain", request->label}, {"request", what}, {"trace_id", request->trace_id}});
  } else if (rc == ERROR_TIMEDOUT) {
    self->logger_.Warn(
        "the guest did not acknowledge the request within libxl's 60 s; it stays pending in "
        "xenstore for when the guest's PV drivers come up",
        {{"domain", request->label}, {"request", what}, {"trace_id", request->trace_id}});
  } else if (rc == ERROR_ABORTED) {
    self->logger_.Info("stopped waiting for the guest to acknowledge the request",
                       {{"domain", request->label}, {"request", what}});
  } else {
    self->logger_.Warn("libxl failed while waiting for the guest to acknowledge the request",
                       {{"domain", request->label},
                        {"request", what},
                        {"rc", rc},
                        {"error", LibxlErrorName(rc)},
                        {"trace_id", request->trace_id}});
  }
}

bool PvControlRequests::AbortAllAndWait(absl::Duration timeout) {
  // Copies: libxl_ao_abort finds an operation by the values in `how`, and a
  // request may complete (and be freed) while we abort the others.
  std::vector<libxl_asyncop_how> hows;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, request] : outstanding_) hows.push_back(request->how);
  }
  for (const libxl_asyncop_how& how : hows) {
    const int rc = libxl_ao_abort(ctx_, &how);
    if (rc != 0 && rc != ERROR_NOTFOUND && rc != ERROR_ABORTED) {
      logger_.Warn("cannot abort a shutdown request", {{"rc", rc}, {"error", LibxlErrorName(rc)}});
    }
  }
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(this, &PvControlRequests::NoneOutstanding), timeout);
}

}  // namespace xenia::hv
