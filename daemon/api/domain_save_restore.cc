// DomainService's SaveDomain and RestoreDomain: the checks of the request and
// of the image path, then an operation (save_restore_tasks.h).
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/domain_service.h"
#include "daemon/api/domain_service_internal.h"
#include "daemon/api/status_mapping.h"
#include "daemon/images/image_ids.h"
#include "daemon/operations/save_restore_tasks.h"
#include "daemon/stream/image_reader.h"

namespace xenia {
namespace {

using namespace domain_service_internal;  // NOLINT: DomainService's own helpers

// The path under the image directory that RestoreDomainRequest.image names:
// a SaveImage resource name or the path itself.
absl::StatusOr<std::string> ImagePath(const ResourceNames& names, const std::string& image) {
  if (absl::StartsWith(image, "hosts/")) {
    absl::StatusOr<std::string> id = names.ParseSaveImage("image", image);
    if (!id.ok()) return id.status();
    absl::StatusOr<std::string> path = images::PathForImageId("image", *id);
    if (!path.ok()) return path.status();
    return images::ImageDirectory::CheckRelativePath("image", *path);
  }
  return images::ImageDirectory::CheckRelativePath("image", image);
}

// The head of the image at `path` (a few kilobytes read on the calling
// thread: the domain it holds decides which queue the restore joins).
absl::StatusOr<stream::ImageHead> ReadImageHead(images::ImageDirectory& images,
                                                const std::string& path) {
  absl::StatusOr<std::unique_ptr<stream::FileSource>> source = images.OpenForRead(path);
  if (!source.ok()) return source.status();
  stream::ImageReader reader(**source, absl::StrCat("image \"", path, "\""));
  if (absl::Status s = reader.ReadHead(); !s.ok()) return s;
  return reader.head();
}

}  // namespace

absl::StatusOr<OperationRequest> DomainServiceImpl::RestoreRequest(const stream::ImageHead& head,
                                                                   absl::string_view origin) const {
  if (head.format != image_format_) {
    return absl::InvalidArgumentError(absl::StrCat(
        origin, " is ", stream::ImageFormatName(head.format),
        ", which this host does not restore: ",
        head.format == stream::ImageFormat::kXl
            ? "it runs the simulated hypervisor; restore the image on a Xen host (the libxl "
              "backend) or with xl restore"
            : "it is a Xen host, which restores xl save images; restore it on a host that runs "
              "the simulated hypervisor"));
  }
  const xenia::v1::StreamHeader& header = head.header;
  std::optional<DomainEntry> same_uuid = registry_.GetByUuid(header.domain_uuid());
  std::string name = same_uuid.has_value() ? same_uuid->name() : header.domain_name();
  if (!same_uuid.has_value()) {
    if (std::optional<DomainEntry> same_name = registry_.GetByName(name); same_name.has_value()) {
      return absl::AlreadyExistsError(
          absl::StrCat(origin, " holds domain \"", name, "\" (uuid ", header.domain_uuid(),
                       ") but another domain of that name (uuid ", same_name->uuid(),
                       ") is defined; delete or rename it first"));
    }
  }
  OperationRequest op;
  op.target = names_.Domain(name);
  op.domain_uuid = header.domain_uuid();
  return op;
}

grpc::ServerUnaryReactor* DomainServiceImpl::SaveDomain(grpc::CallbackServerContext* ctx,
                                                        const xenia::v1::SaveDomainRequest* request,
                                                        xenia::v1::Operation* response) {
  return SubmitVerb(ctx, "SaveDomain", *request, request->name(), request->request_id(), response,
                    [this, request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      std::string path;
                      if (!request->path().empty()) {
                        absl::StatusOr<std::string> checked =
                            images::ImageDirectory::CheckRelativePath("path", request->path());
                        if (!checked.ok()) return checked.status();
                        path = *std::move(checked);
                      }
                      return MakeSaveDomainTask(images_, std::move(path), request->checkpoint());
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::RestoreDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::RestoreDomainRequest* request,
    xenia::v1::Operation* response) {
  const bool paused = request->paused();
  if (request->source_case() == xenia::v1::RestoreDomainRequest::kDomain) {
    return SubmitVerb(ctx, "RestoreDomain", *request, request->domain(), request->request_id(),
                      response, [this, paused]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                        return MakeRestoreSuspendedTask(images_, paused);
                      });
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, FullMethod("RestoreDomain"));
  if (!caller.ok()) return Fail(reactor, caller.status());
  if (absl::Status s = CheckNoUnknownFields(*request); !s.ok()) return Fail(reactor, s);
  if (absl::Status s = CheckRequestId(request->request_id()); !s.ok()) return Fail(reactor, s);
  if (request->source_case() != xenia::v1::RestoreDomainRequest::kImage) {
    return Fail(reactor, absl::InvalidArgumentError(
                             "domain or image: one is required (the suspended domain to restore, "
                             "or the image to restore from)"));
  }
  absl::StatusOr<std::string> path = ImagePath(names_, request->image());
  if (!path.ok()) return Fail(reactor, path.status());
  absl::StatusOr<stream::ImageHead> head = ReadImageHead(images_, *path);
  if (!head.ok()) return Fail(reactor, head.status());

  absl::StatusOr<OperationRequest> op =
      RestoreRequest(*head, absl::StrCat("image \"", *path, "\""));
  if (!op.ok()) return Fail(reactor, op.status());
  op->method = "RestoreDomain";
  op->request_id = request->request_id();
  op->request = RequestFingerprint(*request);
  op->principal = caller->principal;
  op->task = MakeRestoreImageTask(images_, *path, *std::move(head), paused);
  engine_.Submit(*std::move(op), Reply(reactor, response));
  return reactor;
}

}  // namespace xenia
