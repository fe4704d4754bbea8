// DomainService: the gRPC face of domain definitions and lifecycle verbs.
// Reads are served from the registry (and, for domains xeniad does not
// manage, from what the facts poller last saw); every change becomes an
// operation in the engine. Methods not built yet answer UNIMPLEMENTED (the server's
// interceptor says so in words).
//
// Thread-safe: gRPC calls the handlers on its own threads; they never call
// the hypervisor, but for ListDomainDevices's read of a domain's device
// table (a query every backend answers without blocking, as xl block-list).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "daemon/api/call_gate.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/domain/unmanaged_domains.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/images/image_directory.h"
#include "daemon/operations/operation_engine.h"
#include "daemon/resource_names.h"
#include "daemon/stream/image_reader.h"
#include "xenia/v1/domain_service.grpc.pb.h"

namespace xenia {

class DomainServiceImpl final : public xenia::v1::DomainService::CallbackService {
 public:
  // Everything is borrowed and must outlive the service.
  DomainServiceImpl(const CallGate& gate, OperationEngine& engine, hv::Hypervisor& hypervisor,
                    const DomainRegistry& registry, const UnmanagedDomains& unmanaged,
                    const ResourceNames& names, images::ImageDirectory& images,
                    std::string peer_token);

  grpc::ServerUnaryReactor* CreateDomain(grpc::CallbackServerContext* ctx,
                                         const xenia::v1::CreateDomainRequest* request,
                                         xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* GetDomain(grpc::CallbackServerContext* ctx,
                                      const xenia::v1::GetDomainRequest* request,
                                      xenia::v1::Domain* response) override;
  grpc::ServerUnaryReactor* ListDomains(grpc::CallbackServerContext* ctx,
                                        const xenia::v1::ListDomainsRequest* request,
                                        xenia::v1::ListDomainsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteDomain(grpc::CallbackServerContext* ctx,
                                         const xenia::v1::DeleteDomainRequest* request,
                                         xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* StartDomain(grpc::CallbackServerContext* ctx,
                                        const xenia::v1::StartDomainRequest* request,
                                        xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* ShutdownDomain(grpc::CallbackServerContext* ctx,
                                           const xenia::v1::ShutdownDomainRequest* request,
                                           xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* RebootDomain(grpc::CallbackServerContext* ctx,
                                         const xenia::v1::RebootDomainRequest* request,
                                         xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* DestroyDomain(grpc::CallbackServerContext* ctx,
                                          const xenia::v1::DestroyDomainRequest* request,
                                          xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* PauseDomain(grpc::CallbackServerContext* ctx,
                                        const xenia::v1::PauseDomainRequest* request,
                                        xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* UnpauseDomain(grpc::CallbackServerContext* ctx,
                                          const xenia::v1::UnpauseDomainRequest* request,
                                          xenia::v1::Operation* response) override;
  // domain_save_restore.cc.
  grpc::ServerUnaryReactor* SaveDomain(grpc::CallbackServerContext* ctx,
                                       const xenia::v1::SaveDomainRequest* request,
                                       xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* RestoreDomain(grpc::CallbackServerContext* ctx,
                                          const xenia::v1::RestoreDomainRequest* request,
                                          xenia::v1::Operation* response) override;
  // domain_save_restore_stream.cc.
  grpc::ServerWriteReactor<xenia::v1::ImageChunk>* SaveDomainToStream(
      grpc::CallbackServerContext* ctx, const xenia::v1::SaveDomainRequest* request) override;
  grpc::ServerReadReactor<xenia::v1::RestoreDomainFromStreamRequest>* RestoreDomainFromStream(
      grpc::CallbackServerContext* ctx, xenia::v1::Operation* response) override;
  // domain_migrate.cc.
  grpc::ServerUnaryReactor* MigrateDomain(grpc::CallbackServerContext* ctx,
                                          const xenia::v1::MigrateDomainRequest* request,
                                          xenia::v1::Operation* response) override;
  // domain_resources.cc.
  grpc::ServerUnaryReactor* SetDomainMemory(grpc::CallbackServerContext* ctx,
                                            const xenia::v1::SetDomainMemoryRequest* request,
                                            xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* SetDomainMaxMemory(grpc::CallbackServerContext* ctx,
                                               const xenia::v1::SetDomainMaxMemoryRequest* request,
                                               xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* SetDomainVcpus(grpc::CallbackServerContext* ctx,
                                           const xenia::v1::SetDomainVcpusRequest* request,
                                           xenia::v1::Operation* response) override;
  // domain_devices.cc.
  grpc::ServerUnaryReactor* AttachDisk(grpc::CallbackServerContext* ctx,
                                       const xenia::v1::AttachDiskRequest* request,
                                       xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* DetachDisk(grpc::CallbackServerContext* ctx,
                                       const xenia::v1::DetachDiskRequest* request,
                                       xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* AttachNetworkInterface(
      grpc::CallbackServerContext* ctx, const xenia::v1::AttachNetworkInterfaceRequest* request,
      xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* DetachNetworkInterface(
      grpc::CallbackServerContext* ctx, const xenia::v1::DetachNetworkInterfaceRequest* request,
      xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* AttachPciDevice(grpc::CallbackServerContext* ctx,
                                            const xenia::v1::AttachPciDeviceRequest* request,
                                            xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* DetachPciDevice(grpc::CallbackServerContext* ctx,
                                            const xenia::v1::DetachPciDeviceRequest* request,
                                            xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* ListDomainDevices(
      grpc::CallbackServerContext* ctx, const xenia::v1::ListDomainDevicesRequest* request,
      xenia::v1::ListDomainDevicesResponse* response) override;
  // domain_config_text.cc.
  grpc::ServerUnaryReactor* ParseDomainConfig(
      grpc::CallbackServerContext* ctx, const xenia::v1::ParseDomainConfigRequest* request,
      xenia::v1::ParseDomainConfigResponse* response) override;
  grpc::ServerUnaryReactor* ExportDomainConfig(grpc::CallbackServerContext* ctx,
                                               const xenia::v1::ExportDomainConfigRequest* request,
                                               xenia::v1::DomainConfigText* response) override;
  grpc::ServerUnaryReactor* AdoptDomain(grpc::CallbackServerContext* ctx,
                                        const xenia::v1::AdoptDomainRequest* request,
                                        xenia::v1::Operation* response) override;

 private:
  using TaskFactory = std::function<absl::StatusOr<std::unique_ptr<OperationTask>>()>;

  // The common path of every verb on an existing domain.
  grpc::ServerUnaryReactor* SubmitVerb(grpc::CallbackServerContext* ctx, const char* method,
                                       const google::protobuf::Message& request,
                                       const std::string& name, const std::string& request_id,
                                       xenia::v1::Operation* response,
                                       const TaskFactory& make_task);

  // The operation that restores the domain an image's head names, from
  // `origin` (for messages); refused when the image is not in the backend's
  // format or another domain has its name.
  absl::StatusOr<OperationRequest> RestoreRequest(const stream::ImageHead& head,
                                                  absl::string_view origin) const;

  const CallGate& gate_;
  OperationEngine& engine_;
  hv::Hypervisor& hypervisor_;
  const DomainRegistry& registry_;
  const UnmanagedDomains& unmanaged_;
  const ResourceNames& names_;
  images::ImageDirectory& images_;
  // The format the backend saves and restores (the hypervisor's).
  const stream::ImageFormat image_format_;
  // The fleet's peer token, presented to a migration's destination.
  const std::string peer_token_;
};

}  // namespace xenia
