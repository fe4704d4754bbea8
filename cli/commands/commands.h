// The commands of the xenia CLI. Each Add* function adds a command family to
// the CLI11 tree, binding its options into a struct of options.h, and
// registers what each command does when it is the one selected; parsing thus
// never talks to xeniad.
//
// Thread-compatible: the tree is built and run on the CLI's main thread.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cli/command_env.h"
#include "cli/commands/options.h"
#include "cli/connection.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"

namespace xenia::cli {

// A command's work; returns the exit code.
using CommandAction = std::function<int(CommandEnv&)>;

// Which action belongs to which (sub)command of the tree.
class CommandRegistry {
 public:
  struct Entry {
    // "list", "ops wait".
    std::string path;
    CommandAction action;
  };

  void Add(const CLI::App* command, std::string path, CommandAction action);
  // nullptr when `command` has no action (e.g. "ops" alone).
  const Entry* Find(const CLI::App* command) const;

 private:
  std::map<const CLI::App*, Entry> entries_;
};

// Adds --wait, --wait-timeout and --request-id to a mutating verb.
void AddMutationFlags(CLI::App* command, MutationFlags* flags);

// Sends a verb's `request` on the domain NAME (name and request_id filled in
// here) through `rpc`, and reports the operation it answers with.
template <typename Request>
int SubmitDomainOperation(CommandEnv& env, const std::string& name, const MutationFlags& mutation,
                          grpc::Status (xenia::v1::DomainService::StubInterface::*rpc)(
                              grpc::ClientContext*, const Request&, xenia::v1::Operation*),
                          Request request);

// The wait limit of --wait-timeout (infinite when not given);
// INVALID_ARGUMENT for a bad duration.
absl::StatusOr<absl::Duration> WaitLimit(const MutationFlags& flags);

void AddListInfoCommands(CLI::App& app, ListOptions& list, InfoOptions& info,
                         CommandRegistry& registry);
void AddCreateCommand(CLI::App& app, CreateOptions& options, CommandRegistry& registry);
void AddResourceCommands(CLI::App& app, ResourceOptions& options, CommandRegistry& registry);
void AddDeviceCommands(CLI::App& app, DeviceOptions& options, CommandRegistry& registry);
void AddConfigCommand(CLI::App& app, ConfigOptions& options, CommandRegistry& registry);
void AddDomainVerbCommands(CLI::App& app, DomainVerbOptions& options, CommandRegistry& registry);
void AddSaveCommand(CLI::App& app, SaveOptions& options, CommandRegistry& registry);
void AddRestoreCommand(CLI::App& app, RestoreOptions& options, CommandRegistry& registry);
void AddMigrateCommand(CLI::App& app, MigrateOptions& options, CommandRegistry& registry);
void AddHostCommand(CLI::App& app, CommandRegistry& registry);
void AddOpsCommands(CLI::App& app, OpsOptions& options, CommandRegistry& registry);
void AddEventsCommand(CLI::App& app, EventsOptions& options, CommandRegistry& registry);
void AddSimCommands(CLI::App& app, SimOptions& options, CommandRegistry& registry);

template <typename Request>
int SubmitDomainOperation(CommandEnv& env, const std::string& name, const MutationFlags& mutation,
                          grpc::Status (xenia::v1::DomainService::StubInterface::*rpc)(
                              grpc::ClientContext*, const Request&, xenia::v1::Operation*),
                          Request request) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  request.set_name(DomainResourceName(name));
  request.set_request_id(mutation.request_id);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Operation op;
  const grpc::Status status = (env.conn().domains().*rpc)(&ctx, request, &op);
  return FinishMutation(env, LastSegment(name), status, op, mutation.wait, *limit);
}

}  // namespace xenia::cli
