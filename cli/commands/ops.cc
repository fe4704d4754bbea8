// xenia ops list|get|wait|cancel: the host's long-running operations.

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/durations.h"
#include "cli/exit_codes.h"
#include "cli/operation_result.h"
#include "cli/output/render_operation.h"
#include "cli/resource_names.h"
#include "cli/wait.h"
#include "common/spec_text/enum_names.h"

namespace xenia::cli {
namespace {

using xenia::v1::Operation;

int RunList(CommandEnv& env, const OpsOptions& o) {
  std::vector<std::string> terms;
  if (!o.domain.empty()) {
    terms.push_back(absl::StrCat("target = \"", DomainResourceName(o.domain), "\""));
  }
  if (!o.state.empty()) {
    const std::optional<int> state =
        spec_text::ParseEnumText(*Operation::State_descriptor(), o.state);
    if (!state.has_value()) {
      return env.UsageError(absl::StrCat("--state: unknown state \"", o.state, "\" (one of ",
                                         spec_text::EnumChoices(*Operation::State_descriptor()),
                                         ")"));
    }
    terms.push_back(absl::StrCat("state = ", Operation::State_Name(*state)));
  }
  xenia::v1::ListOperationsRequest request;
  request.set_parent(std::string(kThisHost));
  request.set_page_size(1000);
  request.set_filter(absl::StrJoin(terms, " AND "));
  xenia::v1::ListOperationsResponse all;
  do {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kUnaryDeadline);
    xenia::v1::ListOperationsResponse page;
    const grpc::Status status = env.conn().operations().ListOperations(&ctx, request, &page);
    if (!status.ok()) return env.RpcError(status);
    for (auto& op : *page.mutable_operations()) *all.add_operations() = std::move(op);
    if (!page.next_page_token().empty() && page.next_page_token() == request.page_token()) {
      return env.LocalError(absl::InternalError("xeniad returned the same page token twice"));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  if (!env.table()) return env.PrintMessage(all);
  env.out() << RenderOperationTable(all);
  return kExitOk;
}

grpc::Status GetOperation(CommandEnv& env, const std::string& id, Operation* op) {
  xenia::v1::GetOperationRequest request;
  request.set_name(OperationResourceName(id));
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  return env.conn().operations().GetOperation(&ctx, request, op);
}

int RunGet(CommandEnv& env, const OpsOptions& o) {
  Operation op;
  const grpc::Status status = GetOperation(env, o.id, &op);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(op);
  env.out() << RenderOperationInfo(op);
  return kExitOk;
}

int RunWait(CommandEnv& env, const OpsOptions& o) {
  absl::StatusOr<absl::Duration> timeout = ParseDurationFlag(o.timeout);
  if (!timeout.ok()) {
    return env.LocalError(
        absl::InvalidArgumentError(absl::StrCat("--timeout: ", timeout.status().message())));
  }
  Operation op;
  const grpc::Status status = GetOperation(env, o.id, &op);
  if (!status.ok()) return env.RpcError(status);
  const std::string subject =
      op.target().empty() ? op.name() : std::string(LastSegment(op.target()));
  if (OperationFinished(op)) return ReportOperation(env, subject, op);
  if (op.name().empty()) op.set_name(OperationResourceName(o.id));
  const absl::Duration limit =
      *timeout == absl::ZeroDuration() ? absl::InfiniteDuration() : *timeout;
  return WaitAndReport(env, subject, std::move(op), limit);
}

int RunCancel(CommandEnv& env, const OpsOptions& o) {
  xenia::v1::CancelOperationRequest request;
  request.set_name(OperationResourceName(o.id));
  request.set_request_id(o.request_id);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  Operation op;
  const grpc::Status status = env.conn().operations().CancelOperation(&ctx, request, &op);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(op);
  const std::string name = op.name().empty() ? request.name() : op.name();
  if (OperationFinished(op)) {
    env.out() << name << ": " << OperationStateText(op.state()) << "\n";
  } else {
    env.out() << name << ": cancel requested (" << OperationSummary(op) << ")\n";
  }
  return kExitOk;
}

}  // namespace

void AddOpsCommands(CLI::App& app, OpsOptions& o, CommandRegistry& registry) {
  CLI::App* ops = app.add_subcommand("ops", "Long-running operations: list, get, wait, cancel");
  ops->require_subcommand(1);

  CLI::App* list = ops->add_subcommand("list", "List operations");
  list->add_option("--domain", o.domain, "Only those acting on this domain");
  list->add_option(
      "--state", o.state,
      "Only those in this state: " + spec_text::EnumChoices(*Operation::State_descriptor()));
  registry.Add(list, "ops list", [&o](CommandEnv& env) { return RunList(env, o); });

  CLI::App* get = ops->add_subcommand("get", "Show one operation");
  get->add_option("ID", o.id, "Operation id or full name (hosts/H/operations/ID)")->required();
  registry.Add(get, "ops get", [&o](CommandEnv& env) { return RunGet(env, o); });

  CLI::App* wait =
      ops->add_subcommand("wait", "Wait until an operation is done; exits with its outcome's code");
  wait->add_option("ID", o.id, "Operation id or full name")->required();
  wait->add_option("--timeout", o.timeout, "Give up after this long (0: no limit)")
      ->capture_default_str();
  registry.Add(wait, "ops wait", [&o](CommandEnv& env) { return RunWait(env, o); });

  CLI::App* cancel = ops->add_subcommand("cancel", "Ask a pending or running operation to stop");
  cancel->add_option("ID", o.id, "Operation id or full name")->required();
  cancel->add_option("--request-id", o.request_id, "Client-chosen id for retries");
  registry.Add(cancel, "ops cancel", [&o](CommandEnv& env) { return RunCancel(env, o); });
}

}  // namespace xenia::cli
