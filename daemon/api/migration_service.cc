#include "daemon/api/migration_service.h"

#include "absl/strings/str_cat.h"
#include "daemon/api/operation_end.h"
#include "daemon/api/status_mapping.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/migration/receive_task.h"
#include "daemon/stream/stream_format.h"

namespace xenia {
namespace {

using xenia::v1::MigrationMessage;

// Stream bytes the destination holds in memory while its task catches up.
constexpr size_t kReceiveBuffer = size_t{8} << 20;
// A source that moves no stream bytes for this long is cut off.
constexpr absl::Duration kStallLimit = absl::Seconds(60);

}  // namespace

MigrationServiceImpl::MigrationServiceImpl(const CallGate& gate, OperationEngine& engine,
                                           const DomainRegistry& registry,
                                           const UnmanagedDomains& unmanaged,
                                           const ResourceNames& names,
                                           stream::ImageFormat image_format, Logger& logger)
    : gate_(gate),
      engine_(engine),
      registry_(registry),
      unmanaged_(unmanaged),
      names_(names),
      image_format_(image_format),
      logger_(logger) {}

absl::StatusOr<OperationRequest> MigrationServiceImpl::RequestFor(
    const MigrationMessage& first, std::shared_ptr<IncomingMigration> call) const {
  if (absl::Status s = CheckNoUnknownFields(first); !s.ok()) return s;
  OperationRequest op;
  if (first.has_resolve()) {
    const MigrationMessage::Resolve& resolve = first.resolve();
    for (const DomainEntry& entry : registry_.Snapshot()) {
      if (!resolve.operation().empty() &&
          (entry.status.incoming_migration() == resolve.operation() ||
           entry.status.refused_migration() == resolve.operation())) {
        op.domain_uuid = entry.uuid();
        op.target = names_.Domain(entry.name());
      }
    }
    if (op.domain_uuid.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no domain here waits for the hand-over of ", resolve.operation()));
    }
    op.method = "ResolveMigration";
    op.request = resolve.SerializeAsString();
    op.task = MakeResolveMigrationTask(std::move(call), resolve);
    return op;
  }
  MigrationMessage::Begin begin = first.begin();
  const stream::ImageFormat sent = begin.format() == xenia::v1::SaveImage::XL
                                       ? stream::ImageFormat::kXl
                                       : stream::ImageFormat::kXenia;
  if (sent != image_format_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the source's backend writes ", stream::ImageFormatName(sent),
        " and this host's restores only ", stream::ImageFormatName(image_format_),
        ": domains migrate between hosts of the same backend (libxl, or the simulator)"));
  }
  if (sent == stream::ImageFormat::kXenia &&
      (begin.format_version() <= 0 ||
       begin.format_version() > static_cast<int32_t>(stream::kFormatVersion))) {
    return absl::FailedPreconditionError(
        absl::StrCat("the source writes domain stream format version ", begin.format_version(),
                     "; this xeniad reads up to version ", stream::kFormatVersion));
  }
  if (begin.operation().empty() || begin.source_host().empty()) {
    return absl::InvalidArgumentError("begin.operation and begin.source_host are required");
  }
  if (absl::Status s = ValidateAndDefaultSpec(begin.mutable_spec()); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("begin.spec: ", s.message()));
  }
  const std::string& name = begin.spec().name();
  if (std::optional<DomainEntry> same = registry_.GetByName(name); same.has_value()) {
    return absl::AlreadyExistsError(absl::StrCat(
        "a domain named \"", name, "\" is already defined on this host (uuid ", same->uuid(),
        "); the migrating domain (uuid ", begin.spec().uuid(), ") cannot arrive under that name"));
  }
  if (unmanaged_.Get(name).has_value()) {
    return absl::AlreadyExistsError(
        absl::StrCat("a domain named \"", name,
                     "\" runs on this host beside xeniad; the migrating domain "
                     "cannot arrive under that name"));
  }
  op.method = "ReceiveMigration";
  op.target = names_.Domain(name);
  op.domain_uuid = begin.spec().uuid();
  op.request = begin.SerializeAsString();
  op.task = MakeReceiveMigrationTask(std::move(call), std::move(begin));
  return op;
}

grpc::ServerBidiReactor<MigrationMessage, xenia::v1::MigrationReply>*
MigrationServiceImpl::ReceiveMigration(grpc::CallbackServerContext* ctx) {
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, "/xenia.v1.MigrationService/ReceiveMigration");
  const std::string principal = caller.ok() ? caller->principal : "";
  auto first = [this, principal](const MigrationMessage& message,
                                 std::shared_ptr<IncomingMigration> call) {
    absl::StatusOr<OperationRequest> op = RequestFor(message, call);
    if (!op.ok()) {
      call->End(op.status());
      return;
    }
    op->principal = principal;
    engine_.Submit(
        *std::move(op),
        OnOperationEnd(engine_, names_, [call](absl::StatusOr<xenia::v1::Operation> ended) {
          if (!ended.ok()) {
            call->End(ended.status());
          } else if (!ended->done()) {
            call->End(absl::UnavailableError("xeniad is stopping; the migration was not finished"));
          } else if (ended->state() != xenia::v1::Operation::DONE) {
            call->End(absl::Status(static_cast<absl::StatusCode>(ended->error().code()),
                                   ended->error().message()));
          } else {
            call->End(absl::OkStatus());
          }
        }));
  };
  auto call =
      std::make_shared<IncomingMigration>(kReceiveBuffer, kStallLimit, std::move(first), &logger_);
  if (!caller.ok()) call->End(caller.status());
  return StartIncomingMigration(ctx, call);
}

}  // namespace xenia
