// DomainService's verbs on a running guest's resources: SetDomainMemory (xl
// mem-set), SetDomainMaxMemory (xl mem-max), SetDomainVcpus (xl vcpu-set).
// Each is an operation on the domain's queue (operations/resource_tasks.h).
#include "absl/strings/str_cat.h"
#include "daemon/api/domain_service.h"
#include "daemon/domain/spec_validation.h"
#include "daemon/operations/resource_tasks.h"

namespace xenia {
namespace {

using xenia::v1::Operation;

absl::Status CheckMib(absl::string_view field, int64_t mib) {
  if (mib <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required, in MiB and greater than 0, got ", mib));
  }
  if (mib > kMaxMemoryMib) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", kMaxMemoryMib, " MiB, got ", mib));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* DomainServiceImpl::SetDomainMemory(
    grpc::CallbackServerContext* ctx, const xenia::v1::SetDomainMemoryRequest* request,
    Operation* response) {
  const int64_t mib = request->memory_mib();
  return SubmitVerb(ctx, "SetDomainMemory", *request, request->name(), request->request_id(),
                    response, [mib]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (absl::Status s = CheckMib("memory_mib", mib); !s.ok()) return s;
                      return MakeSetMemoryTask(mib);
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::SetDomainMaxMemory(
    grpc::CallbackServerContext* ctx, const xenia::v1::SetDomainMaxMemoryRequest* request,
    Operation* response) {
  const int64_t mib = request->max_memory_mib();
  return SubmitVerb(ctx, "SetDomainMaxMemory", *request, request->name(), request->request_id(),
                    response, [mib]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (absl::Status s = CheckMib("max_memory_mib", mib); !s.ok()) return s;
                      return MakeSetMaxMemoryTask(mib);
                    });
}

grpc::ServerUnaryReactor* DomainServiceImpl::SetDomainVcpus(
    grpc::CallbackServerContext* ctx, const xenia::v1::SetDomainVcpusRequest* request,
    Operation* response) {
  const int32_t vcpus = request->vcpus();
  return SubmitVerb(ctx, "SetDomainVcpus", *request, request->name(), request->request_id(),
                    response, [vcpus]() -> absl::StatusOr<std::unique_ptr<OperationTask>> {
                      if (vcpus < 1 || vcpus > kMaxVcpus) {
                        return absl::InvalidArgumentError(
                            absl::StrCat("vcpus: 1 to ", kMaxVcpus, ", got ", vcpus));
                      }
                      return MakeSetVcpusTask(vcpus);
                    });
}

}  // namespace xenia
