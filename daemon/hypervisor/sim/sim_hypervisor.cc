#include "daemon/hypervisor/sim/sim_hypervisor.h"

#include <utility>

#include "daemon/hypervisor/sim/sim_host.h"
#include "daemon/hypervisor/sim/sim_state_file.h"

namespace xenia::hv {

absl::StatusOr<std::unique_ptr<SimHypervisor>> SimHypervisor::Open(const SimHostConfig& config,
                                                                   const Clock& clock,
                                                                   Logger& logger) {
  if (absl::Status s = ValidateSimHostConfig(config); !s.ok()) return s;
  absl::StatusOr<std::string> boot_id = ReadHostBootId();
  if (!boot_id.ok()) return boot_id.status();
  absl::StatusOr<std::unique_ptr<SimStateFile>> file = SimStateFile::Open(
      config.state_file, static_cast<uint32_t>(config.max_domains), *boot_id, logger);
  if (!file.ok()) return file.status();
  auto host = std::make_unique<SimHost>(config, clock, logger, *std::move(file));
  if (absl::Status s = host->Load(); !s.ok()) return s;
  if (config.event_thread) host->StartEventThread();
  return std::unique_ptr<SimHypervisor>(new SimHypervisor(std::move(host)));
}

SimHypervisor::SimHypervisor(std::unique_ptr<SimHost> host) : host_(std::move(host)) {}

SimHypervisor::~SimHypervisor() = default;

absl::StatusOr<xenia::v1::DomainSpec> SimHypervisor::SpecOfXlImage(const OpContext&,
                                                                   absl::string_view) {
  return absl::InvalidArgumentError(
      "this host runs the simulated hypervisor, which restores only Xenia domain streams; an xl "
      "save image (written by xl, or by xeniad on the libxl backend) restores on a Xen host");
}

absl::StatusOr<HostFacts> SimHypervisor::DescribeHost(const OpContext& ctx) {
  return host_->DescribeHost(ctx);
}

absl::StatusOr<std::vector<DomainFacts>> SimHypervisor::ListDomains(const OpContext& ctx) {
  return host_->ListDomains(ctx);
}

absl::StatusOr<DomainFacts> SimHypervisor::DescribeDomain(const OpContext& ctx,
                                                          const DomainRef& domain) {
  return host_->DescribeDomain(ctx, domain);
}

absl::StatusOr<DomainFacts> SimHypervisor::CreateDomain(const OpContext& ctx,
                                                        const CreateDomainRequest& req) {
  return host_->CreateDomain(ctx, req);
}

absl::Status SimHypervisor::DestroyDomain(const OpContext& ctx, const DomainRef& domain) {
  return host_->DestroyDomain(ctx, domain);
}

absl::Status SimHypervisor::ShutdownDomain(const OpContext& ctx, const ShutdownDomainRequest& req) {
  return host_->ShutdownDomain(ctx, req);
}

absl::Status SimHypervisor::SetMemoryTarget(const OpContext& ctx, const DomainRef& domain,
                                            int64_t target_kib) {
  return host_->SetMemoryTarget(ctx, domain, target_kib);
}

absl::Status SimHypervisor::SetMaxMemory(const OpContext& ctx, const DomainRef& domain,
                                         int64_t max_kib) {
  return host_->SetMaxMemory(ctx, domain, max_kib);
}

absl::StatusOr<std::vector<DeviceFacts>> SimHypervisor::ListDevices(const OpContext& ctx,
                                                                    const DomainRef& domain) {
  return host_->ListDevices(ctx, domain);
}

absl::StatusOr<DeviceFacts> SimHypervisor::AttachDevice(const OpContext& ctx,
                                                        const DomainRef& domain,
                                                        const AttachDeviceRequest& req) {
  return host_->AttachDevice(ctx, domain, req);
}

absl::Status SimHypervisor::DetachDevice(const OpContext& ctx, const DomainRef& domain,
                                         const DetachDeviceRequest& req) {
  return host_->DetachDevice(ctx, domain, req);
}

absl::StatusOr<std::vector<AssignablePci>> SimHypervisor::ListAssignablePci(const OpContext& ctx) {
  return host_->ListAssignablePci(ctx);
}

absl::Status SimHypervisor::SetOnlineVcpus(const OpContext& ctx, const DomainRef& domain,
                                           int32_t vcpus) {
  return host_->SetOnlineVcpus(ctx, domain, vcpus);
}

absl::Status SimHypervisor::PauseDomain(const OpContext& ctx, const DomainRef& domain) {
  return host_->PauseDomain(ctx, domain);
}

absl::Status SimHypervisor::UnpauseDomain(const OpContext& ctx, const DomainRef& domain) {
  return host_->UnpauseDomain(ctx, domain);
}

absl::StatusOr<xenia::v1::DomainSpec> SimHypervisor::RetrieveDomainSpec(const OpContext& ctx,
                                                                        const DomainRef& domain) {
  absl::StatusOr<DomainFacts> facts = host_->DescribeDomain(ctx, domain);
  if (!facts.ok()) return facts.status();
  xenia::v1::DomainSpec spec;
  spec.set_name(facts->name);
  spec.set_uuid(facts->uuid);
  spec.set_type(facts->type);
  spec.set_memory_mib(static_cast<int32_t>(facts->current_memory_kib / 1024));
  spec.set_max_memory_mib(static_cast<int32_t>(facts->max_memory_kib / 1024));
  spec.set_vcpus(facts->online_vcpus);
  spec.set_max_vcpus(facts->max_vcpus);
  return spec;
}

absl::StatusOr<bool> SimHypervisor::MadeByXeniad(const OpContext& ctx, const DomainRef& domain) {
  return host_->MadeByXeniad(ctx, domain);
}

absl::StatusOr<SaveDomainResult> SimHypervisor::SaveDomain(const OpContext& ctx,
                                                           const SaveDomainRequest& req) {
  return host_->SaveDomain(ctx, req);
}

absl::StatusOr<RestoredDomain> SimHypervisor::RestoreDomain(const OpContext& ctx,
                                                            const RestoreDomainRequest& req) {
  return host_->RestoreDomain(ctx, req);
}

absl::Status SimHypervisor::ResumeDomain(const OpContext& ctx, const DomainRef& domain) {
  return host_->ResumeDomain(ctx, domain);
}

void SimHypervisor::Watch(DomainEventHandler* handler) { host_->Watch(handler); }

absl::StatusOr<GuestBehavior> SimHypervisor::SetGuestBehavior(const DomainRef& domain,
                                                              const GuestBehavior& behavior) {
  return host_->SetGuestBehavior(domain, behavior);
}

void SimHypervisor::ProcessDueTransitions() { host_->ProcessDueTransitions(); }

}  // namespace xenia::hv
