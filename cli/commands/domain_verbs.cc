// start, shutdown, reboot, destroy, pause, unpause, delete, adopt: one
// domain, one DomainService call, one Operation.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/durations.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

using xenia::v1::DomainService;
using xenia::v1::Operation;

template <typename Request>
using DomainRpc = grpc::Status (DomainService::StubInterface::*)(grpc::ClientContext*,
                                                                 const Request&, Operation*);

template <typename Request>
int RunVerb(CommandEnv& env, const DomainVerbOptions& o, DomainRpc<Request> rpc, Request request) {
  return SubmitDomainOperation(env, o.name, o.mutation, rpc, std::move(request));
}

// The guest's deadline of shutdown and reboot; unset when not given.
template <typename Request>
absl::Status SetGuestTimeout(const DomainVerbOptions& o, Request* request) {
  if (o.timeout.empty()) return absl::OkStatus();
  absl::StatusOr<absl::Duration> d = ParseDurationFlag(o.timeout);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("--timeout: ", d.status().message()));
  *request->mutable_timeout() = ToProtoDuration(*d);
  return absl::OkStatus();
}

CLI::App* AddVerb(CLI::App& app, const std::string& verb, const std::string& help,
                  DomainVerbOptions& o) {
  CLI::App* cmd = app.add_subcommand(verb, help);
  cmd->add_option("NAME", o.name, "The domain")->required();
  AddMutationFlags(cmd, &o.mutation);
  return cmd;
}

void AddGuestTimeoutFlags(CLI::App* cmd, DomainVerbOptions& o, const std::string& what) {
  cmd->add_option(
      "--timeout", o.timeout,
      absl::StrCat("How long the guest has to ", what, " (e.g. 30s, 2m; default: xeniad's, 60s)"));
  cmd->add_flag("--force", o.force, "Destroy the domain if the guest has not complied in time");
}

}  // namespace

void AddDomainVerbCommands(CLI::App& app, DomainVerbOptions& o, CommandRegistry& registry) {
  CLI::App* start = AddVerb(app, "start", "Start a defined domain", o);
  start->add_flag("--paused", o.paused, "Start it paused (xl create -p)");
  registry.Add(start, "start", [&o](CommandEnv& env) {
    xenia::v1::StartDomainRequest request;
    request.set_paused(o.paused);
    return RunVerb(env, o, &DomainService::StubInterface::StartDomain, std::move(request));
  });

  CLI::App* shutdown = AddVerb(app, "shutdown", "Ask a domain's guest to power off", o);
  AddGuestTimeoutFlags(shutdown, o, "shut down");
  registry.Add(shutdown, "shutdown", [&o](CommandEnv& env) {
    xenia::v1::ShutdownDomainRequest request;
    request.set_force(o.force);
    if (absl::Status s = SetGuestTimeout(o, &request); !s.ok()) return env.LocalError(s);
    return RunVerb(env, o, &DomainService::StubInterface::ShutdownDomain, std::move(request));
  });

  CLI::App* reboot = AddVerb(app, "reboot", "Ask a domain's guest to reboot", o);
  AddGuestTimeoutFlags(reboot, o, "go down for the reboot");
  registry.Add(reboot, "reboot", [&o](CommandEnv& env) {
    xenia::v1::RebootDomainRequest request;
    request.set_force(o.force);
    if (absl::Status s = SetGuestTimeout(o, &request); !s.ok()) return env.LocalError(s);
    return RunVerb(env, o, &DomainService::StubInterface::RebootDomain, std::move(request));
  });

  CLI::App* destroy = AddVerb(app, "destroy", "Stop a domain at once, like pulling the plug", o);
  registry.Add(destroy, "destroy", [&o](CommandEnv& env) {
    return RunVerb(env, o, &DomainService::StubInterface::DestroyDomain,
                   xenia::v1::DestroyDomainRequest());
  });

  CLI::App* pause = AddVerb(app, "pause", "Pause a running domain", o);
  registry.Add(pause, "pause", [&o](CommandEnv& env) {
    return RunVerb(env, o, &DomainService::StubInterface::PauseDomain,
                   xenia::v1::PauseDomainRequest());
  });

  CLI::App* unpause = AddVerb(app, "unpause", "Resume a paused domain", o);
  registry.Add(unpause, "unpause", [&o](CommandEnv& env) {
    return RunVerb(env, o, &DomainService::StubInterface::UnpauseDomain,
                   xenia::v1::UnpauseDomainRequest());
  });

  CLI::App* del = AddVerb(app, "delete", "Remove a halted domain's definition", o);
  registry.Add(del, "delete", [&o](CommandEnv& env) {
    return RunVerb(env, o, &DomainService::StubInterface::DeleteDomain,
                   xenia::v1::DeleteDomainRequest());
  });

  CLI::App* adopt = AddVerb(
      app, "adopt", "Take a domain created beside xeniad (e.g. with xl) under management", o);
  registry.Add(adopt, "adopt", [&o](CommandEnv& env) {
    return RunVerb(env, o, &DomainService::StubInterface::AdoptDomain,
                   xenia::v1::AdoptDomainRequest());
  });
}

}  // namespace xenia::cli
