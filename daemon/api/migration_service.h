// MigrationService: the destination's side of daemon-to-daemon migration
// (api/proto/xenia/v1/migration.proto). A Begin starts a ReceiveMigration
// operation for the arriving domain; a Resolve starts a ResolveMigration
// operation on a domain that waits for its hand-over. Each call lasts as
// long as its operation and ends with its outcome. Only callers with the
// peer role (the fleet's peer token) get in.
//
// Thread-safe: gRPC calls it on its threads.
#pragma once

#include "common/logger.h"
#include "daemon/api/call_gate.h"
#include "daemon/api/incoming_migration_call.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/domain/unmanaged_domains.h"
#include "daemon/operations/operation_engine.h"
#include "daemon/resource_names.h"
#include "daemon/stream/image_reader.h"
#include "xenia/v1/migration.grpc.pb.h"

namespace xenia {

class MigrationServiceImpl final : public xenia::v1::MigrationService::CallbackService {
 public:
  // Everything is borrowed and must outlive the service.
  MigrationServiceImpl(const CallGate& gate, OperationEngine& engine,
                       const DomainRegistry& registry, const UnmanagedDomains& unmanaged,
                       const ResourceNames& names, stream::ImageFormat image_format,
                       Logger& logger);

  grpc::ServerBidiReactor<xenia::v1::MigrationMessage, xenia::v1::MigrationReply>* ReceiveMigration(
      grpc::CallbackServerContext* ctx) override;

 private:
  // The operation for a call's first message, or why there is none.
  absl::StatusOr<OperationRequest> RequestFor(const xenia::v1::MigrationMessage& first,
                                              std::shared_ptr<IncomingMigration> call) const;

  const CallGate& gate_;
  OperationEngine& engine_;
  const DomainRegistry& registry_;
  const UnmanagedDomains& unmanaged_;
  const ResourceNames& names_;
  // What this host's backend restores.
  const stream::ImageFormat image_format_;
  Logger& logger_;
};

}  // namespace xenia
