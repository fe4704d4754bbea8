// xenia list and xenia info: the host's domains, one domain.

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/output/render_domain.h"
#include "cli/resource_names.h"
#include "common/spec_text/enum_names.h"

namespace xenia::cli {
namespace {

int RunList(CommandEnv& env, const ListOptions& o) {
  xenia::v1::ListDomainsRequest request;
  request.set_parent(std::string(kThisHost));
  request.set_page_size(1000);
  if (!o.state.empty()) {
    const std::optional<int> state =
        spec_text::ParseEnumText(*xenia::v1::PowerState_descriptor(), o.state);
    if (!state.has_value()) {
      return env.UsageError(
          absl::StrCat("--state: unknown state \"", o.state, "\" (one of ",
                       spec_text::EnumChoices(*xenia::v1::PowerState_descriptor()), ")"));
    }
    request.set_filter(absl::StrCat("power_state = ", xenia::v1::PowerState_Name(*state)));
  }
  xenia::v1::ListDomainsResponse all;
  do {
    grpc::ClientContext ctx;
    SetDeadline(&ctx, kUnaryDeadline);
    xenia::v1::ListDomainsResponse page;
    const grpc::Status status = env.conn().domains().ListDomains(&ctx, request, &page);
    if (!status.ok()) return env.RpcError(status);
    for (auto& d : *page.mutable_domains()) *all.add_domains() = std::move(d);
    if (!page.next_page_token().empty() && page.next_page_token() == request.page_token()) {
      return env.LocalError(absl::InternalError("xeniad returned the same page token twice"));
    }
    request.set_page_token(page.next_page_token());
  } while (!request.page_token().empty());
  if (!env.table()) return env.PrintMessage(all);
  env.out() << RenderDomainTable(all);
  return kExitOk;
}

int RunInfo(CommandEnv& env, const InfoOptions& o) {
  xenia::v1::GetDomainRequest request;
  request.set_name(DomainResourceName(o.name));
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Domain domain;
  const grpc::Status status = env.conn().domains().GetDomain(&ctx, request, &domain);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(domain);
  env.out() << RenderDomainInfo(domain);
  return kExitOk;
}

}  // namespace

void AddListInfoCommands(CLI::App& app, ListOptions& list, InfoOptions& info,
                         CommandRegistry& registry) {
  CLI::App* list_cmd = app.add_subcommand("list", "List the host's domains (xl list)");
  list_cmd->add_option(
      "--state", list.state,
      "Only domains in this state: " + spec_text::EnumChoices(*xenia::v1::PowerState_descriptor()));
  registry.Add(list_cmd, "list", [&list](CommandEnv& env) { return RunList(env, list); });

  CLI::App* info_cmd = app.add_subcommand("info", "Show one domain");
  info_cmd->add_option("NAME", info.name, "The domain")->required();
  registry.Add(info_cmd, "info", [&info](CommandEnv& env) { return RunInfo(env, info); });
}

}  // namespace xenia::cli
