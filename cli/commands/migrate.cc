// xenia migrate: move a running domain to another host's xeniad
// (MigrateDomain, one Operation), live by default; with --wait, the
// pre-copy rounds show as progress and the migration's figures follow the
// outcome line (cli/output/render_migration.h).

#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/migrate_flags.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

int RunMigrate(CommandEnv& env, const MigrateOptions& o) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(o.mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  xenia::v1::MigrateDomainRequest request;
  if (absl::Status s = ApplyMigrateFlags(o.flags, &request); !s.ok()) return env.LocalError(s);
  request.set_name(DomainResourceName(o.name));
  request.set_request_id(o.mutation.request_id);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Operation op;
  const grpc::Status status = env.conn().domains().MigrateDomain(&ctx, request, &op);
  return FinishMutation(env, LastSegment(o.name), status, op, o.mutation.wait, *limit);
}

}  // namespace

void AddMigrateCommand(CLI::App& app, MigrateOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "migrate", "Move a running domain to another host's xeniad (live unless --no-live)");
  cmd->add_option("NAME", o.name, "The domain")->required();
  // CLI11 allows no ':' in an argument's name; the type shows the form.
  cmd->add_option("DESTINATION", o.flags.destination,
                  "The destination xeniad, e.g. host2:7000 or [::1]:7000")
      ->type_name("HOST:PORT")
      ->required();
  cmd->add_flag("--live,!--no-live", o.flags.live,
                "Copy memory while the guest runs (the default); --no-live pauses it for the "
                "whole move");
  cmd->add_option("--bandwidth", o.flags.bandwidth,
                  "Limit the stream to this rate in MiB/s: 100, 100M, 100MiB, 1G, 1GiB "
                  "(default: no limit)");
  cmd->add_option_function<int>(
      "--max-rounds", [&o](const int& v) { o.flags.max_rounds = v; },
      "Pre-copy rounds at most, the first whole-memory round included, before the guest is "
      "paused for the last copy (default: xeniad's, 30)");
  cmd->add_option("--downtime", o.flags.downtime,
                  "Pause the guest for the last copy once the memory left can move within "
                  "this, e.g. 50ms, 1s (default: xeniad's, 300ms)");
  AddMutationFlags(cmd, &o.mutation);
  registry.Add(cmd, "migrate", [&o](CommandEnv& env) { return RunMigrate(env, o); });
}

}  // namespace xenia::cli
