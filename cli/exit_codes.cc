#include "cli/exit_codes.h"

namespace xenia::cli {

int ExitCodeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kExitUsage;
    case grpc::StatusCode::NOT_FOUND:
      return kExitNotFound;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return kExitConflict;
    case grpc::StatusCode::UNAVAILABLE:
      return kExitUnavailable;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kExitNoResources;
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
      return kExitNotAllowed;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitTimedOut;
    case grpc::StatusCode::UNIMPLEMENTED:
      return kExitUnimplemented;
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::DATA_LOSS:
    default:
      return kExitInternal;
  }
}

int ExitCodeForRpcCode(int code) {
  if (code < 0 || code > static_cast<int>(grpc::StatusCode::UNAUTHENTICATED)) {
    return kExitInternal;
  }
  return ExitCodeFor(static_cast<grpc::StatusCode>(code));
}

int ExitCodeFor(absl::StatusCode code) { return ExitCodeForRpcCode(static_cast<int>(code)); }

std::string ExitCodeHelp() {
  return "Exit codes:\n"
         "  0    success\n"
         "  1    internal or unexpected error (INTERNAL, UNKNOWN, DATA_LOSS, CANCELLED)\n"
         "  2    bad request or usage error (INVALID_ARGUMENT, OUT_OF_RANGE, bad flags or spec)\n"
         "  3    not found (NOT_FOUND)\n"
         "  4    conflict with the current state (FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED)\n"
         "  5    xeniad unavailable (UNAVAILABLE, cannot connect)\n"
         "  6    not enough resources (RESOURCE_EXHAUSTED)\n"
         "  7    not allowed (PERMISSION_DENIED, UNAUTHENTICATED)\n"
         "  8    timed out (DEADLINE_EXCEEDED, or a --wait that ran out)\n"
         "  9    not implemented (UNIMPLEMENTED)\n"
         "  130  interrupted\n";
}

}  // namespace xenia::cli
