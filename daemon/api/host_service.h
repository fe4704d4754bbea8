// HostService: what this host is and how full it is.
//
// Thread-safe: gRPC calls the handlers on its own threads. GetHost reads the
// hypervisor's host facts and ListAssignablePciDevices its PCI pool,
// queries every backend answers without blocking.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "daemon/api/call_gate.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/domain/unmanaged_domains.h"
#include "daemon/hypervisor/hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/host.grpc.pb.h"

namespace xenia {

// Facts about this daemon that do not change while it runs.
struct HostIdentity {
  std::string hostname;
  // "sim" or "libxl", and why it was chosen.
  std::string backend;
  std::string backend_reason;
  absl::Time start_time;
};

class HostServiceImpl final : public xenia::v1::HostService::CallbackService {
 public:
  // Everything is borrowed and must outlive the service.
  HostServiceImpl(const CallGate& gate, hv::Hypervisor& hypervisor, const DomainRegistry& registry,
                  const UnmanagedDomains& unmanaged, const ResourceNames& names,
                  HostIdentity identity);

  grpc::ServerUnaryReactor* GetHost(grpc::CallbackServerContext* ctx,
                                    const xenia::v1::GetHostRequest* request,
                                    xenia::v1::Host* response) override;
  // The hypervisor's PCI pool, each device with the domain holding it.
  grpc::ServerUnaryReactor* ListAssignablePciDevices(
      grpc::CallbackServerContext* ctx, const xenia::v1::ListAssignablePciDevicesRequest* request,
      xenia::v1::ListAssignablePciDevicesResponse* response) override;

 private:
  const CallGate& gate_;
  hv::Hypervisor& hypervisor_;
  const DomainRegistry& registry_;
  const UnmanagedDomains& unmanaged_;
  const ResourceNames& names_;
  const HostIdentity identity_;
};

}  // namespace xenia
