// xenia mem-set, mem-max and vcpu-set: a running guest's memory and vCPUs,
// as xl's verbs of the same names.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"
#include "common/sizes.h"

namespace xenia::cli {
namespace {

// SIZE as whole MiB (a bare number is MiB, as in xl).
absl::StatusOr<int32_t> SizeMib(const std::string& text) {
  absl::StatusOr<int64_t> mib = ParseSizeMib(text);
  if (!mib.ok()) return absl::InvalidArgumentError(absl::StrCat("SIZE: ", mib.status().message()));
  if (*mib <= 0 || *mib > INT32_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("SIZE: \"", text, "\" is not a memory size"));
  }
  return static_cast<int32_t>(*mib);
}

CLI::App* AddResourceVerb(CLI::App& app, const std::string& verb, const std::string& help,
                          ResourceOptions& o) {
  CLI::App* cmd = app.add_subcommand(verb, help);
  cmd->add_option("NAME", o.name, "The domain")->required();
  AddMutationFlags(cmd, &o.mutation);
  return cmd;
}

}  // namespace

void AddResourceCommands(CLI::App& app, ResourceOptions& o, CommandRegistry& registry) {
  CLI::App* mem_set = AddResourceVerb(
      app, "mem-set",
      "Set a running domain's balloon target (up to its maximum); with --wait, until the guest "
      "reaches it or stops short, saying where",
      o);
  mem_set->add_option("SIZE", o.size, "Memory: 512M, 2G (a bare number is MiB)")->required();
  registry.Add(mem_set, "mem-set", [&o](CommandEnv& env) {
    absl::StatusOr<int32_t> mib = SizeMib(o.size);
    if (!mib.ok()) return env.LocalError(mib.status());
    xenia::v1::SetDomainMemoryRequest request;
    request.set_memory_mib(*mib);
    return SubmitDomainOperation(env, o.name, o.mutation,
                                 &xenia::v1::DomainService::StubInterface::SetDomainMemory,
                                 request);
  });

  CLI::App* mem_max =
      AddResourceVerb(app, "mem-max", "Set the most memory a running domain may balloon up to", o);
  mem_max->add_option("SIZE", o.size, "Memory: 1G, 4096M (a bare number is MiB)")->required();
  registry.Add(mem_max, "mem-max", [&o](CommandEnv& env) {
    absl::StatusOr<int32_t> mib = SizeMib(o.size);
    if (!mib.ok()) return env.LocalError(mib.status());
    xenia::v1::SetDomainMaxMemoryRequest request;
    request.set_max_memory_mib(*mib);
    return SubmitDomainOperation(env, o.name, o.mutation,
                                 &xenia::v1::DomainService::StubInterface::SetDomainMaxMemory,
                                 request);
  });

  CLI::App* vcpu_set = AddResourceVerb(
      app, "vcpu-set", "Set how many vCPUs a running domain has online (up to its maximum)", o);
  vcpu_set->add_option("N", o.vcpus, "vCPUs online")->required();
  registry.Add(vcpu_set, "vcpu-set", [&o](CommandEnv& env) {
    xenia::v1::SetDomainVcpusRequest request;
    request.set_vcpus(o.vcpus);
    return SubmitDomainOperation(env, o.name, o.mutation,
                                 &xenia::v1::DomainService::StubInterface::SetDomainVcpus, request);
  });
}

}  // namespace xenia::cli
