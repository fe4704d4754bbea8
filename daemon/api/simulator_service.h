// SimulatorService: lets tests and demos tell a simulated guest how to behave
// (ignore shutdown requests, crash, power itself off). When xeniad runs on
// another backend every call answers FAILED_PRECONDITION.
//
// Thread-safe: gRPC calls the handlers on its own threads; the simulator
// answers without blocking.
#pragma once

#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "daemon/api/call_gate.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/domain/unmanaged_domains.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/simulator.grpc.pb.h"

namespace xenia {

class SimulatorServiceImpl final : public xenia::v1::SimulatorService::CallbackService {
 public:
  // `sim` is null when another backend runs. Everything is borrowed.
  SimulatorServiceImpl(const CallGate& gate, hv::SimHypervisor* sim, const DomainRegistry& registry,
                       UnmanagedDomains& unmanaged, const ResourceNames& names);

  grpc::ServerUnaryReactor* SetGuestBehavior(
      grpc::CallbackServerContext* ctx, const xenia::v1::SetGuestBehaviorRequest* request,
      xenia::v1::SetGuestBehaviorResponse* response) override;
  grpc::ServerUnaryReactor* CreateUnmanagedDomain(
      grpc::CallbackServerContext* ctx, const xenia::v1::CreateUnmanagedDomainRequest* request,
      xenia::v1::CreateUnmanagedDomainResponse* response) override;
  grpc::ServerUnaryReactor* ListSimulatedDomains(
      grpc::CallbackServerContext* ctx, const xenia::v1::ListSimulatedDomainsRequest* request,
      xenia::v1::ListSimulatedDomainsResponse* response) override;

 private:
  const CallGate& gate_;
  hv::SimHypervisor* sim_;
  const DomainRegistry& registry_;
  UnmanagedDomains& unmanaged_;
  const ResourceNames& names_;

  // Answers to requests that carried a request_id, so that a retry does not
  // reschedule a crash: request_id -> (request fingerprint, response). Kept
  // while the daemon runs (this is a test and demo service), the newest
  // kMaxRemembered.
  static constexpr size_t kMaxRemembered = 1024;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::pair<std::string, xenia::v1::SetGuestBehaviorResponse>>
      answered_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> answered_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace xenia
