// xenia host: the host xeniad runs on.

#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/output/render_host.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

int RunHost(CommandEnv& env) {
  xenia::v1::GetHostRequest request;
  request.set_name(std::string(kThisHost));
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Host host;
  const grpc::Status status = env.conn().hosts().GetHost(&ctx, request, &host);
  if (!status.ok()) return env.RpcError(status);
  if (!env.table()) return env.PrintMessage(host);
  env.out() << RenderHostInfo(host);
  return kExitOk;
}

}  // namespace

void AddHostCommand(CLI::App& app, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand("host", "Show the host xeniad runs on (xl info)");
  registry.Add(cmd, "host", [](CommandEnv& env) { return RunHost(env); });
}

}  // namespace xenia::cli
