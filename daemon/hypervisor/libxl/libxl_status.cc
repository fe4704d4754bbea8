#include "daemon/hypervisor/libxl/libxl_status.h"

#include "absl/strings/str_cat.h"
#include "daemon/hypervisor/libxl/libxl_api.h"

namespace xenia::hv {

std::string LibxlErrorName(int rc) {
  const char* name = libxl_error_to_string(static_cast<libxl_error>(rc));
  return name != nullptr ? std::string(name) : std::string("unknown");
}

absl::Status LibxlStatus(int rc, absl::string_view doing) {
  if (rc == 0) return absl::OkStatus();
  absl::StatusCode code;
  switch (rc) {
    case ERROR_DOMAIN_NOTFOUND:
    case ERROR_DOMAIN_DESTROYED:
      code = absl::StatusCode::kNotFound;
      break;
    case ERROR_INVAL:
      code = absl::StatusCode::kInvalidArgument;
      break;
    case ERROR_NOMEM:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case ERROR_NOPARAVIRT:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    case ERROR_ABORTED:
      code = absl::StatusCode::kCancelled;
      break;
    case ERROR_TIMEDOUT:
    case ERROR_GUEST_TIMEDOUT:
    case ERROR_LOCK_FAIL:
    case ERROR_NOT_READY:
      code = absl::StatusCode::kUnavailable;
      break;
    default:
      code = absl::StatusCode::kInternal;
      break;
  }
  return absl::Status(
      code, absl::StrCat(doing, ": libxl failed with error ", rc, " (", LibxlErrorName(rc),
                         "); libxl's own messages are in the daemon's log"));
}

}  // namespace xenia::hv
