// Table output for operations: the `xenia ops list` table, the `xenia ops get`
// key: value list, and the one-line summaries the mutating verbs print.
//
// Thread-safe: pure functions.
#pragma once

#include <string>

#include "absl/strings/string_view.h"
#include "xenia/v1/operation.pb.h"

namespace xenia::cli {

// ID  METHOD  TARGET  STATE  PROGRESS  CREATED (ID is the last path segment).
std::string RenderOperationTable(const xenia::v1::ListOperationsResponse& list);

// name, method, ..., ended; then a running migration's progress or a done
// one's figures (cli/output/render_migration.h); then the error, if any.
std::string RenderOperationInfo(const xenia::v1::Operation& op);

// "pending", "running", "done", "failed", "cancelled".
std::string OperationStateText(xenia::v1::Operation::State state);

// "web1: StartDomain accepted (operation hosts/h1/operations/0c9f)".
std::string AcceptedLine(absl::string_view subject, const xenia::v1::Operation& op);

// For a DONE operation: "web1: started", "web1: shut down", ...
std::string OutcomeLine(absl::string_view subject, const xenia::v1::Operation& op);

// For a FAILED or CANCELLED one:
// "xenia: StartDomain on hosts/h1/domains/web1 failed: <message>".
std::string FailureLine(const xenia::v1::Operation& op);

// "running, 40%: waiting for the guest".
std::string OperationSummary(const xenia::v1::Operation& op);

}  // namespace xenia::cli
