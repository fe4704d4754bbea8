// Helpers shared by DomainService's source files (domain_service.cc,
// domain_save_restore.cc, domain_save_restore_stream.cc). Not for use
// elsewhere. Any thread.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/operations/operation_engine.h"
#include "daemon/resource_names.h"
#include "grpcpp/support/server_callback.h"
#include "xenia/v1/operation.pb.h"

namespace xenia::domain_service_internal {

// "/xenia.v1.DomainService/<method>".
std::string FullMethod(const char* method);

// The domain named by a request's `name`: a resource name whose last segment
// could be a Xen domain name at all (otherwise INVALID_ARGUMENT, not
// NOT_FOUND: no such domain can ever exist).
absl::StatusOr<std::string> ParseDomainName(const ResourceNames& names, const std::string& name);

// FAILED_PRECONDITION: the domain runs beside xeniad, unmanaged.
absl::Status NotManaged(const std::string& name);

// Finishes `reactor` with `status`.
grpc::ServerUnaryReactor* Fail(grpc::ServerUnaryReactor* reactor, const absl::Status& status);

// The callback that answers an RPC with the operation the engine admitted.
OperationEngine::OperationCallback Reply(grpc::ServerUnaryReactor* reactor,
                                         xenia::v1::Operation* response);

}  // namespace xenia::domain_service_internal
