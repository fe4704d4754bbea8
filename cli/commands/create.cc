// xenia create: define a domain from a spec file (an xl.cfg, YAML or JSON)
// and/or flags, and optionally start it.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"
#include "cli/spec_file.h"
#include "common/spec_text/message_text.h"

namespace xenia::cli {
namespace {

// The spec an xl.cfg describes, read by xeniad (libxlutil lives there); its
// notes on the mapping go to stderr, each naming the file.
absl::StatusOr<xenia::v1::DomainSpec> ParseXlOnDaemon(CommandEnv& env, const SpecFile& file,
                                                      int* rpc_exit) {
  xenia::v1::ParseDomainConfigRequest request;
  request.set_format(xenia::v1::XL);
  request.set_text(file.text);
  request.set_source(file.source);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::ParseDomainConfigResponse response;
  const grpc::Status status = env.conn().domains().ParseDomainConfig(&ctx, request, &response);
  if (!status.ok()) {
    *rpc_exit = env.RpcError(status);
    return absl::UnknownError("reported");
  }
  for (const std::string& note : response.warnings()) {
    env.err() << "xenia: note: " << note << "\n";
  }
  return std::move(*response.mutable_spec());
}

int RunCreate(CommandEnv& env, const CreateOptions& o) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(o.mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  std::optional<xenia::v1::ConfigFormat> forced;
  if (!o.format.empty()) {
    forced = ParseConfigFormatName(o.format);
    if (!forced.has_value()) {
      return env.UsageError(
          absl::StrCat("--format: unknown format \"", o.format, "\" (one of xl, yaml, json)"));
    }
  }
  xenia::v1::DomainSpec spec;
  if (!o.file.empty()) {
    absl::StatusOr<SpecFile> file = ReadSpecFile(o.file, env.in());
    if (!file.ok()) return env.LocalError(file.status());
    const xenia::v1::ConfigFormat format = forced.value_or(DetectSpecFormat(*file));
    if (format == xenia::v1::XL) {
      int rpc_exit = 0;
      absl::StatusOr<xenia::v1::DomainSpec> from_xl = ParseXlOnDaemon(env, *file, &rpc_exit);
      if (!from_xl.ok()) return rpc_exit;
      spec = *std::move(from_xl);
    } else {
      absl::StatusOr<xenia::v1::DomainSpec> from_file = spec_text::ParseDomainSpec(
          file->text, file->source,
          format == xenia::v1::JSON ? spec_text::SpecFormat::kJson : spec_text::SpecFormat::kYaml);
      if (!from_file.ok()) return env.LocalError(from_file.status());
      spec = *std::move(from_file);
    }
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

int RunConfig(CommandEnv& env, const ConfigOptions& o) {
  const std::optional<xenia::v1::ConfigFormat> format = ParseConfigFormatName(o.format);
  if (!format.has_value()) {
    return env.UsageError(
        absl::StrCat("--format: unknown format \"", o.format, "\" (one of xl, yaml, json)"));
  }
  xenia::v1::ExportDomainConfigRequest request;
  request.set_name(DomainResourceName(o.name));
  request.set_format(*format);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::DomainConfigText text;
  const grpc::Status status = env.conn().domains().ExportDomainConfig(&ctx, request, &text);
  if (!status.ok()) return env.RpcError(status);
  env.out() << text.text();
  if (!text.text().empty() && text.text().back() != '\n') env.out() << "\n";
  return 0;
}

}  // namespace

void AddCreateCommand(CLI::App& app, CreateOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "create",
      "Define a domain from a spec file (an xl.cfg, or a YAML or JSON DomainSpec; - reads "
      "stdin) or from flags");
  cmd->add_option("FILE", o.file, "Spec file; flags given too override its values");
  cmd->add_option("--format", o.format,
                  "The file's format: xl, yaml or json (default: by its extension, .cfg and .xl "
                  "being xl.cfg, else by its first line)");
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

void AddConfigCommand(CLI::App& app, ConfigOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "config", "Print a domain's definition as an xl.cfg (default) or as a YAML or JSON spec");
  cmd->add_option("NAME", o.name, "The domain")->required();
  cmd->add_option("--format", o.format, "xl, yaml or json")->capture_default_str();
  registry.Add(cmd, "config", [&o](CommandEnv& env) { return RunConfig(env, o); });
}

}  // namespace xenia::cli
