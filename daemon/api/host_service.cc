#include "daemon/api/host_service.h"

#include "absl/container/flat_hash_map.h"
#include "daemon/api/status_mapping.h"
#include "daemon/proto_time.h"
#include "daemon/version.h"

namespace xenia {

HostServiceImpl::HostServiceImpl(const CallGate& gate, hv::Hypervisor& hypervisor,
                                 const DomainRegistry& registry, const UnmanagedDomains& unmanaged,
                                 const ResourceNames& names, HostIdentity identity)
    : gate_(gate),
      hypervisor_(hypervisor),
      registry_(registry),
      unmanaged_(unmanaged),
      names_(names),
      identity_(std::move(identity)) {}

grpc::ServerUnaryReactor* HostServiceImpl::GetHost(grpc::CallbackServerContext* ctx,
                                                   const xenia::v1::GetHostRequest* request,
                                                   xenia::v1::Host* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, "/xenia.v1.HostService/GetHost");
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (absl::Status s = names_.CheckHost("name", request->name()); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  absl::StatusOr<hv::HostFacts> facts = hypervisor_.DescribeHost(hv::OpContext{});
  if (!facts.ok()) {
    reactor->Finish(ToGrpcStatus(facts.status()));
    return reactor;
  }
  response->set_name(names_.Host());
  response->set_hostname(identity_.hostname);
  response->set_backend(identity_.backend);
  response->set_backend_reason(identity_.backend_reason);
  response->set_hypervisor_version(facts->version);
  response->set_xeniad_version(kXeniaVersion);
  response->set_total_memory_mib(facts->total_memory_kib / 1024);
  response->set_free_memory_mib(facts->free_memory_kib / 1024);
  response->set_dom0_memory_mib(facts->dom0_memory_kib / 1024);
  response->set_cpus(facts->cpus);
  response->set_pv_live_migration(facts->pv_log_dirty);
  DomainRegistry::Counts counts = registry_.Count();
  response->set_defined_domains(counts.defined);
  response->set_running_domains(counts.active);
  response->set_unmanaged_domains(static_cast<int32_t>(unmanaged_.guests()));
  *response->mutable_start_time() = ToProto(identity_.start_time);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* HostServiceImpl::ListAssignablePciDevices(
    grpc::CallbackServerContext* ctx, const xenia::v1::ListAssignablePciDevicesRequest* request,
    xenia::v1::ListAssignablePciDevicesResponse* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller =
      gate_.Admit(*ctx, "/xenia.v1.HostService/ListAssignablePciDevices");
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  if (absl::Status s = names_.CheckHost("parent", request->parent()); !s.ok()) {
    reactor->Finish(ToGrpcStatus(s));
    return reactor;
  }
  absl::StatusOr<std::vector<hv::AssignablePci>> pool =
      hypervisor_.ListAssignablePci(hv::OpContext{});
  if (!pool.ok()) {
    reactor->Finish(ToGrpcStatus(pool.status()));
    return reactor;
  }
  // Holders by domid: managed domains, then those xeniad does not manage.
  absl::flat_hash_map<uint32_t, std::string> holders;
  for (const DomainEntry& entry : registry_.Snapshot()) {
    if (entry.status.has_domid()) {
      holders[static_cast<uint32_t>(entry.status.domid())] = entry.name();
    }
  }
  for (const hv::DomainFacts& facts : unmanaged_.After(""))
    holders.emplace(facts.domid, facts.name);
  for (const hv::AssignablePci& pci : *pool) {
    xenia::v1::AssignablePciDevice* out = response->add_devices();
    out->set_bdf(pci.bdf);
    if (!pci.domid.has_value()) continue;
    out->set_domid(static_cast<int32_t>(*pci.domid));
    if (auto it = holders.find(*pci.domid); it != holders.end()) {
      out->set_domain(names_.Domain(it->second));
    }
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
