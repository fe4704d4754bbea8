// xenia create: define a domain from a spec file (YAML or JSON) and/or flags,
// and optionally start it.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"
#include "cli/spec_file.h"

namespace xenia::cli {
namespace {

int RunCreate(CommandEnv& env, const CreateOptions& o) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(o.mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  xenia::v1::DomainSpec spec;
  if (!o.file.empty()) {
    absl::StatusOr<xenia::v1::DomainSpec> from_file = ReadDomainSpecFile(o.file, env.in());
    if (!from_file.ok()) return env.LocalError(from_file.status());
    spec = *std::move(from_file);
  } else if (o.flags.name.empty() || o.flags.memory.empty()) {
    return env.UsageError("create: give a spec FILE, or at least --name and --memory");
  }
  if (absl::Status s = ApplyCreateFlags(o.flags, &spec); !s.ok()) return env.LocalError(s);

  xenia::v1::CreateDomainRequest request;
  request.set_parent(std::string(kThisHost));
  *request.mutable_spec() = std::move(spec);
  request.set_start(o.start);
  request.set_request_id(o.mutation.request_id);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Operation op;
  const grpc::Status status = env.conn().domains().CreateDomain(&ctx, request, &op);
  const std::string subject =
      request.spec().name().empty() ? std::string("domain") : request.spec().name();
  return FinishMutation(env, subject, status, op, o.mutation.wait, *limit);
}

}  // namespace

void AddCreateCommand(CLI::App& app, CreateOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "create",
      "Define a domain from a spec file (YAML or JSON DomainSpec; - reads stdin) or from flags");
  cmd->add_option("FILE", o.file, "Domain spec file; flags given too override its values");
  CreateFlags& f = o.flags;
  cmd->add_option("--name", f.name, "Domain name");
  cmd->add_option("--memory", f.memory, "Memory at boot: 512M, 2G (a bare number is MiB)");
  cmd->add_option("--max-memory", f.max_memory, "Memory ceiling (balloon), e.g. 1G");
  cmd->add_option_function<int>(
      "--vcpus", [&f](const int& v) { f.vcpus = v; }, "vCPUs online at boot");
  cmd->add_option_function<int>(
      "--max-vcpus", [&f](const int& v) { f.max_vcpus = v; }, "vCPUs the guest may bring online");
  cmd->add_option("--type", f.type, "Guest type: pv, pvh (default) or hvm")
      ->check(CLI::IsMember({"pv", "pvh", "hvm"}, CLI::ignore_case));
  cmd->add_option("--kernel", f.kernel, "Kernel for direct boot (a path in dom0)");
  cmd->add_option("--ramdisk", f.ramdisk, "Initial ramdisk (a path in dom0)");
  cmd->add_option("--cmdline", f.cmdline, "Kernel command line");
  cmd->add_flag("--start", o.start, "Start the domain once it is defined");
  AddMutationFlags(cmd, &o.mutation);
  registry.Add(cmd, "create", [&o](CommandEnv& env) { return RunCreate(env, o); });
}

}  // namespace xenia::cli
