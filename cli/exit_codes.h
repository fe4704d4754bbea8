// Exit codes of the xenia command and the one mapping from gRPC status codes
// to them, so that a script can tell "not found" from "wrong state" in $?.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace xenia::cli {

enum ExitCode : int {
  kExitOk = 0,
  // INTERNAL, UNKNOWN, DATA_LOSS, CANCELLED and anything unexpected.
  kExitInternal = 1,
  // INVALID_ARGUMENT, OUT_OF_RANGE, bad flags and bad spec files.
  kExitUsage = 2,
  kExitNotFound = 3,
  // FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED.
  kExitConflict = 4,
  // UNAVAILABLE, or xeniad cannot be reached at all.
  kExitUnavailable = 5,
  kExitNoResources = 6,
  // PERMISSION_DENIED, UNAUTHENTICATED.
  kExitNotAllowed = 7,
  // DEADLINE_EXCEEDED, or a wait that ran out.
  kExitTimedOut = 8,
  kExitUnimplemented = 9,
  kExitInterrupted = 130,
};

int ExitCodeFor(grpc::StatusCode code);
int ExitCodeFor(absl::StatusCode code);
// For a google.rpc.Code number as carried in Operation.error.code; numbers
// outside the known codes map to kExitInternal.
int ExitCodeForRpcCode(int code);

// The "Exit codes:" section of `xenia --help`.
std::string ExitCodeHelp();

}  // namespace xenia::cli
