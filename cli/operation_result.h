// What a mutating verb does with the Operation xeniad returns: print that it
// was accepted, or wait for it with a progress display; then print the
// outcome ("web1: started") or the failure, and pick the exit code.
//
// Thread-compatible: used from the CLI's main thread.
#pragma once

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cli/command_env.h"
#include "grpcpp/support/status.h"
#include "xenia/v1/operation.pb.h"

namespace xenia::cli {

// `status` and `op` are what the mutating call returned; `subject` names what
// it acts on in the printed line ("web1"). With `wait`, waits until the
// operation is done or `wait_limit` passes (exit code 8).
int FinishMutation(CommandEnv& env, absl::string_view subject, const grpc::Status& status,
                   const xenia::v1::Operation& op, bool wait, absl::Duration wait_limit);

// Waits for `op` (as far as it is known; its name must be set) and reports
// it; as FinishMutation after a successful call with `wait`.
int WaitAndReport(CommandEnv& env, absl::string_view subject, xenia::v1::Operation op,
                  absl::Duration wait_limit);

// Prints `op` (json/yaml), or its accepted/outcome line (table), and its
// failure on stderr. The outcome line names the domain the operation
// produced, when it produced one (a restore from an image learns its
// domain's name only then), else `subject`; a save image it produced, or a
// migration's figures, follow the line (cli/output/render_save_image.h,
// render_migration.h). Returns 0 unless the operation
// FAILED or was CANCELLED, then the exit code of its error.
int ReportOperation(CommandEnv& env, absl::string_view subject, const xenia::v1::Operation& op);

}  // namespace xenia::cli
