#include "cli/operation_result.h"

#include <memory>

#include "cli/exit_codes.h"
#include "cli/output/render_migration.h"
#include "cli/output/render_operation.h"
#include "cli/output/render_save_image.h"
#include "cli/resource_names.h"
#include "cli/wait.h"

namespace xenia::cli {

using xenia::v1::Operation;

namespace {

// The domain a DONE operation produced, else `subject`.
absl::string_view OutcomeSubject(absl::string_view subject, const Operation& op) {
  if (!op.has_domain()) return subject;
  if (!op.domain().name().empty()) return LastSegment(op.domain().name());
  if (!op.domain().spec().name().empty()) return op.domain().spec().name();
  return subject;
}

}  // namespace

int FinishMutation(CommandEnv& env, absl::string_view subject, const grpc::Status& status,
                   const Operation& op, bool wait, absl::Duration wait_limit) {
  if (!status.ok()) return env.RpcError(status);
  if (wait && !OperationFinished(op)) return WaitAndReport(env, subject, op, wait_limit);
  return ReportOperation(env, subject, op);
}

int WaitAndReport(CommandEnv& env, absl::string_view subject, Operation op,
                  absl::Duration wait_limit) {
  WaitOptions options;
  options.limit = wait_limit;
  std::unique_ptr<ProgressDisplay> display =
      MakeProgressDisplay(env.err(), env.err_is_tty(), env.err_is_tty() ? StderrColumns() : 80);
  const std::string name = op.name();
  const grpc::Status status =
      WaitForOperation(env.conn().operations(), name, options, display.get(), &op);
  display->Finish();
  if (status.ok()) return ReportOperation(env, subject, op);
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !env.table() &&
      !op.name().empty()) {
    env.PrintMessage(op);
  }
  return env.RpcError(status);
}

int ReportOperation(CommandEnv& env, absl::string_view subject, const Operation& op) {
  if (!env.table()) {
    if (int rc = env.PrintMessage(op); rc != kExitOk) return rc;
  } else if (!OperationFinished(op)) {
    env.out() << AcceptedLine(subject, op) << "\n";
  } else if (op.state() == Operation::DONE) {
    env.out() << OutcomeLine(OutcomeSubject(subject, op), op) << "\n";
    if (op.has_save_image()) env.out() << RenderSaveImage(op.save_image());
    if (op.has_migration()) env.out() << RenderMigrationResult(op.migration());
  }
  env.out().flush();
  if (!OperationFinished(op) || op.state() == Operation::DONE) return kExitOk;
  env.err() << FailureLine(op) << "\n";
  env.err().flush();
  const int code = ExitCodeForRpcCode(op.error().code());
  return code == kExitOk ? kExitInternal : code;
}

}  // namespace xenia::cli
