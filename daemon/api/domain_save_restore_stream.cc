// DomainService's SaveDomainToStream and RestoreDomainFromStream: a save
// image that travels in the call instead of living in the image directory
// (SaveStreamCall, RestoreStreamCall), run as operations like the others.
#include "absl/strings/str_cat.h"
#include "daemon/api/domain_service.h"
#include "daemon/api/domain_service_internal.h"
#include "daemon/api/operation_end.h"
#include "daemon/api/restore_stream_call.h"
#include "daemon/api/save_stream_call.h"
#include "daemon/api/status_mapping.h"
#include "daemon/operations/save_restore_tasks.h"

namespace xenia {
namespace {

using namespace domain_service_internal;  // NOLINT: DomainService's own helpers

// The image bytes of one ImageChunk the daemon sends (the CLI sends the same).
constexpr size_t kChunkBytes = size_t{1} << 20;
// Image bytes a restore holds in memory while its task catches up.
constexpr size_t kRestoreBuffer = size_t{8} << 20;
// A caller that moves no image bytes for this long is cut off (the save's
// guest stays paused while it waits).
constexpr absl::Duration kStallLimit = absl::Seconds(60);

}  // namespace

grpc::ServerWriteReactor<xenia::v1::ImageChunk>* DomainServiceImpl::SaveDomainToStream(
    grpc::CallbackServerContext* ctx, const xenia::v1::SaveDomainRequest* request) {
  auto sink = std::make_shared<SaveStreamSink>(kChunkBytes, kStallLimit);
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* reactor = StartSaveStreamCall(ctx, sink);
  auto fail = [&](const absl::Status& status) {
    sink->End(ToGrpcStatus(status));
    return reactor;
  };
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("SaveDomainToStream"));
  if (!caller.ok()) return fail(caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return fail(s);
  if (!request->request_id().empty()) {
    return fail(absl::InvalidArgumentError(
        "request_id: a save streamed to its caller cannot be repeated (its bytes go to one call "
        "only); leave it out, or save into the image directory (SaveDomain) to be able to retry"));
  }
  if (!request->path().empty()) {
    return fail(absl::InvalidArgumentError(
        "path: a streamed save keeps no file on the host; leave path out, or use SaveDomain"));
  }
  absl::StatusOr<std::string> domain = ParseDomainName(names_, request->name());
  if (!domain.ok()) return fail(domain.status());
  if (!registry_.ContainsName(*domain) && unmanaged_.Get(*domain).has_value()) {
    return fail(NotManaged(*domain));
  }
  OperationRequest op;
  op.method = "SaveDomainToStream";
  op.target = names_.Domain(*domain);
  op.domain_name = *domain;
  op.request = RequestFingerprint(*request);
  op.principal = caller->principal;
  op.task = MakeSaveToCallerTask(sink, request->checkpoint());
  engine_.Submit(std::move(op), OnOperationEnd(engine_, names_,
                                               [sink](absl::StatusOr<xenia::v1::Operation> ended) {
                                                 sink->EndWith(ended);
                                               }));
  return reactor;
}

grpc::ServerReadReactor<xenia::v1::RestoreDomainFromStreamRequest>*
DomainServiceImpl::RestoreDomainFromStream(grpc::CallbackServerContext* ctx,
                                           xenia::v1::Operation* response) {
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("RestoreDomainFromStream"));
  const std::string principal = caller.ok() ? caller->principal : "";
  auto check = [](const xenia::v1::RestoreDomainRequest& options) -> absl::Status {
    if (absl::Status s = CheckNoUnknownFields(options); !s.ok()) return s;
    if (absl::Status s = CheckRequestId(options.request_id()); !s.ok()) return s;
    if (options.source_case() != xenia::v1::RestoreDomainRequest::SOURCE_NOT_SET) {
      return absl::InvalidArgumentError(
          "options.domain, options.image: leave them out; the image is the one streamed "
          "(it names its domain itself)");
    }
    return absl::OkStatus();
  };
  auto submit = [this, principal](const xenia::v1::RestoreDomainRequest& options,
                                  stream::ImageHead head,
                                  std::shared_ptr<RestoreStreamSource> source) {
    auto end = [source](absl::StatusOr<xenia::v1::Operation> ended) { source->End(ended); };
    absl::StatusOr<OperationRequest> op = RestoreRequest(head, "the image streamed");
    if (!op.ok()) {
      end(op.status());
      return;
    }
    op->method = "RestoreDomainFromStream";
    op->request_id = options.request_id();
    // A repeat must be the same request for the same image.
    op->request = absl::StrCat(RequestFingerprint(options), "|", RequestFingerprint(head.header));
    op->principal = principal;
    op->task = MakeRestoreFromCallerTask(source, std::move(head), options.paused());
    engine_.Submit(*std::move(op), OnOperationEnd(engine_, names_, std::move(end)));
  };
  auto source = std::make_shared<RestoreStreamSource>(kRestoreBuffer, kStallLimit, std::move(check),
                                                      std::move(submit));
  // Refused callers are answered without a byte of the image being read.
  if (!caller.ok()) source->End(caller.status());
  return StartRestoreStreamCall(ctx, response, source);
}

}  // namespace xenia
