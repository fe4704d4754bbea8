// Turns libxl's integer return codes (enum libxl_error) into absl::Status
// values: the one place where libxl's errors get their gRPC meaning.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace xenia::hv {

// The name of a libxl error code, e.g. "domain_notfound" for -21, or
// "unknown" for a code libxl does not name.
std::string LibxlErrorName(int rc);

// The status of a libxl call that returned `rc` while the backend was
// `doing` something ("destroying domain 5 (\"web1\")"). OK for rc == 0.
//   ERROR_DOMAIN_NOTFOUND, ERROR_DOMAIN_DESTROYED   NOT_FOUND
//   ERROR_INVAL                                     INVALID_ARGUMENT
//   ERROR_NOMEM                                     RESOURCE_EXHAUSTED
//   ERROR_NOPARAVIRT                                FAILED_PRECONDITION
//   ERROR_ABORTED                                   CANCELLED
//   ERROR_TIMEDOUT, ERROR_GUEST_TIMEDOUT,
//   ERROR_LOCK_FAIL, ERROR_NOT_READY                UNAVAILABLE
//   anything else                                   INTERNAL
// The message names what was being done, the code and its name, and points
// at the daemon's log, where libxl's own lines are.
absl::Status LibxlStatus(int rc, absl::string_view doing);

}  // namespace xenia::hv
