// xenia save: write a domain's state to a save image in xeniad's image
// directory (SaveDomain, one Operation), or stream the image to stdout
// (SaveDomainToStream) when FILE is "-".

#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/exit_codes.h"
#include "cli/fd_io.h"
#include "cli/operation_result.h"
#include "cli/output/cells.h"
#include "cli/resource_names.h"

namespace xenia::cli {
namespace {

// Writes the streamed image to stdout and nothing else there; messages go to
// stderr. `limit` (--wait-timeout) bounds the whole save.
int SaveToStdout(CommandEnv& env, const SaveOptions& o, const xenia::v1::SaveDomainRequest& request,
                 absl::Duration limit) {
  const BinaryStdio& stdio = env.binary();
  if (stdio.out_fd < 0) {
    return env.LocalError(absl::FailedPreconditionError("save: stdout is not available"));
  }
  if (stdio.out_is_tty) {
    return env.UsageError(
        absl::StrCat("refusing to write a binary image to a terminal; redirect it: xenia save ",
                     o.name, " - > FILE"));
  }
  grpc::ClientContext ctx;
  if (limit != absl::InfiniteDuration()) SetDeadline(&ctx, limit);
  std::unique_ptr<grpc::ClientReaderInterface<xenia::v1::ImageChunk>> reader =
      env.conn().domains().SaveDomainToStream(&ctx, request);
  xenia::v1::ImageChunk chunk;
  int64_t written = 0;
  while (reader->Read(&chunk)) {
    if (absl::Status s = WriteAll(stdio.out_fd, chunk.data()); !s.ok()) {
      ctx.TryCancel();
      (void)reader->Finish();
      return env.LocalError(absl::Status(
          s.code(), absl::StrCat("writing the image to stdout: ", s.message(), " (after ", written,
                                 " bytes; what was written is not a complete image)")));
    }
    written += static_cast<int64_t>(chunk.data().size());
  }
  const grpc::Status status = reader->Finish();
  if (!status.ok()) {
    const int rc = env.RpcError(status);
    if (written > 0) {
      env.err() << "xenia: the " << written
                << " bytes written to stdout are not a complete image\n";
      env.err().flush();
    }
    return rc;
  }
  env.err() << LastSegment(o.name) << ": saved to stdout (" << FormatBytes(written) << ")\n";
  env.err().flush();
  return kExitOk;
}

int RunSave(CommandEnv& env, const SaveOptions& o) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(o.mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  xenia::v1::SaveDomainRequest request;
  request.set_name(DomainResourceName(o.name));
  request.set_request_id(o.mutation.request_id);
  request.set_checkpoint(o.checkpoint);
  if (o.file == "-") return SaveToStdout(env, o, request, *limit);
  request.set_path(o.file);
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  xenia::v1::Operation op;
  const grpc::Status status = env.conn().domains().SaveDomain(&ctx, request, &op);
  return FinishMutation(env, LastSegment(o.name), status, op, o.mutation.wait, *limit);
}

}  // namespace

void AddSaveCommand(CLI::App& app, SaveOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "save", "Save a domain's memory and device state to an image (- writes it to stdout)");
  cmd->add_option("NAME", o.name, "The domain")->required();
  cmd->add_option("FILE", o.file,
                  "The image: a path under xeniad's image directory (default: xeniad chooses), "
                  "or - to stream it to stdout (the command then lasts as long as the save)");
  cmd->add_flag("--checkpoint", o.checkpoint,
                "Keep the domain running (a checkpoint) instead of leaving it suspended");
  AddMutationFlags(cmd, &o.mutation);
  registry.Add(cmd, "save", [&o](CommandEnv& env) { return RunSave(env, o); });
}

}  // namespace xenia::cli
