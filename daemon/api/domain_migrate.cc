// DomainService's MigrateDomain: the source host's side of a migration
// (daemon/migration/migrate_task.h), run as an operation on the domain.
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "daemon/api/domain_service.h"
#include "daemon/migration/migrate_task.h"
#include "daemon/proto_time.h"

namespace xenia {
namespace {

// "HOST:PORT" (or "[v6]:PORT"); INVALID_ARGUMENT saying what is wrong.
absl::Status CheckDestination(const std::string& destination) {
  const size_t colon = destination.rfind(':');
  int port = 0;
  if (destination.empty() || colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(destination).substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "destination: \"", destination, "\" is not HOST:PORT of the destination xeniad"));
  }
  for (char c : destination) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError("destination: only printable characters, no spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* DomainServiceImpl::MigrateDomain(
    grpc::CallbackServerContext* ctx, const xenia::v1::MigrateDomainRequest* request,
    xenia::v1::Operation* response) {
  return SubmitVerb(
      ctx, "MigrateDomain", *request, request->name(), request->request_id(), response,
      [this, request]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
        if (absl::Status s = CheckDestination(request->destination()); !s.ok()) return s;
        MigrateOptions options;
        options.destination = request->destination();
        options.peer_token = peer_token_;
        options.live = request->live();
        if (request->max_bandwidth_mib_per_second() < 0) {
          return absl::InvalidArgumentError(
              "max_bandwidth_mib_per_second: must be 0 (no limit) or more");
        }
        options.max_bytes_per_second = int64_t{request->max_bandwidth_mib_per_second()} << 20;
        if (request->max_rounds() < 0) {
          return absl::InvalidArgumentError("max_rounds: must be 0 (the default, 30) or more");
        }
        if (request->has_max_downtime() &&
            FromProto(request->max_downtime()) < absl::ZeroDuration()) {
          return absl::InvalidArgumentError("max_downtime: must not be negative");
        }
        if (!request->live() && (request->max_rounds() != 0 || request->has_max_downtime())) {
          return absl::InvalidArgumentError(
              "max_rounds, max_downtime: they steer pre-copy, which only a live migration has");
        }
        if (request->max_rounds() > 0) options.max_rounds = request->max_rounds();
        if (request->has_max_downtime()) options.max_downtime = FromProto(request->max_downtime());
        return MakeMigrateDomainTask(std::move(options));
      });
}

}  // namespace xenia
