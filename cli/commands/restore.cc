// xenia restore: bring a domain back from a save image — the one a domain
// was last saved to, or an image file on the host (RestoreDomain, one
// Operation), or an image streamed from stdin (RestoreDomainFromStream).

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands/commands.h"
#include "cli/connection.h"
#include "cli/fd_io.h"
#include "cli/operation_result.h"
#include "cli/resource_names.h"
#include "cli/restore_source.h"

namespace xenia::cli {
namespace {

using xenia::v1::Operation;
using xenia::v1::RestoreDomainRequest;

// The image bytes of one stream message.
constexpr size_t kChunkBytes = size_t{1} << 20;

// Streams stdin to xeniad, `options` first, then reports the operation as
// the unary restore does.
int RestoreFromStdin(CommandEnv& env, const RestoreOptions& o, const RestoreDomainRequest& options,
                     absl::Duration limit) {
  const BinaryStdio& stdio = env.binary();
  if (stdio.in_fd < 0) {
    return env.LocalError(absl::FailedPreconditionError("restore: stdin is not available"));
  }
  if (stdio.in_is_tty) {
    return env.UsageError(
        "refusing to read a binary image from a terminal; redirect it: xenia restore - < FILE");
  }
  // No deadline: the upload takes as long as the image does.
  grpc::ClientContext ctx;
  Operation op;
  std::unique_ptr<grpc::ClientWriterInterface<xenia::v1::RestoreDomainFromStreamRequest>> writer =
      env.conn().domains().RestoreDomainFromStream(&ctx, &op);
  xenia::v1::RestoreDomainFromStreamRequest message;
  *message.mutable_options() = options;
  // False once xeniad has ended the call; Finish then says why.
  bool open = writer->Write(message);
  std::string buffer(kChunkBytes, '\0');
  while (open) {
    absl::StatusOr<size_t> n = ReadFull(stdio.in_fd, buffer.data(), buffer.size());
    if (!n.ok()) {
      ctx.TryCancel();
      (void)writer->Finish();
      return env.LocalError(absl::Status(
          n.status().code(), absl::StrCat("reading the image from stdin: ", n.status().message())));
    }
    if (*n == 0) break;
    message.mutable_chunk()->mutable_data()->assign(buffer.data(), *n);
    open = writer->Write(message);
    if (*n < buffer.size()) break;  // the end of the file
  }
  if (open) writer->WritesDone();
  const grpc::Status status = writer->Finish();
  return FinishMutation(env, "<stdin>", status, op, o.mutation.wait, limit);
}

int RunRestore(CommandEnv& env, const RestoreOptions& o) {
  absl::StatusOr<absl::Duration> limit = WaitLimit(o.mutation);
  if (!limit.ok()) return env.LocalError(limit.status());
  absl::StatusOr<RestoreSource> source = ParseRestoreSource(o.source);
  if (!source.ok()) return env.LocalError(source.status());
  RestoreDomainRequest request;
  request.set_request_id(o.mutation.request_id);
  request.set_paused(o.paused);
  std::string subject;
  switch (source->kind) {
    case RestoreSource::Kind::kStdin:
      return RestoreFromStdin(env, o, request, *limit);
    case RestoreSource::Kind::kDomain:
      request.set_domain(source->value);
      subject = std::string(LastSegment(source->value));
      break;
    case RestoreSource::Kind::kImage:
      request.set_image(source->value);
      subject = source->value;
      break;
  }
  grpc::ClientContext ctx;
  SetDeadline(&ctx, kUnaryDeadline);
  Operation op;
  const grpc::Status status = env.conn().domains().RestoreDomain(&ctx, request, &op);
  return FinishMutation(env, subject, status, op, o.mutation.wait, *limit);
}

}  // namespace

void AddRestoreCommand(CLI::App& app, RestoreOptions& o, CommandRegistry& registry) {
  CLI::App* cmd = app.add_subcommand(
      "restore", "Bring a domain back from a save image (- reads the image from stdin)");
  cmd->add_option("SOURCE", o.source,
                  "NAME: a domain, restored from the image it was last saved to; FILE: an image "
                  "under xeniad's image directory, recognised by a '/' or the .xsave suffix "
                  "(a bare word is a domain name: write an image file with a bare name as "
                  "./FILE); hosts/H/domains/D or hosts/H/saveImages/I; - reads the image from "
                  "stdin")
      ->required();
  cmd->add_flag("--paused", o.paused, "Leave the restored domain paused");
  AddMutationFlags(cmd, &o.mutation);
  registry.Add(cmd, "restore", [&o](CommandEnv& env) { return RunRestore(env, o); });
}

}  // namespace xenia::cli
