// SimulatorService: lets tests and demos tell a simulated guest how to behave
// (ignore shutdown requests, crash, power itself off). When xeniad runs on
// another backend every call answers FAILED_PRECONDITION.
//
// Thread-safe: gRPC calls the handlers on its own threads; the simulator
// answers without blocking.
#pragma once

#include "daemon/api/call_gate.h"
#include "daemon/domain/domain_registry.h"
#include "daemon/hypervisor/sim/sim_hypervisor.h"
#include "daemon/resource_names.h"
#include "xenia/v1/simulator.grpc.pb.h"

namespace xenia {

class SimulatorServiceImpl final : public xenia::v1::SimulatorService::CallbackService {
 public:
  // `sim` is null when another backend runs. Everything is borrowed.
  SimulatorServiceImpl(const CallGate& gate, hv::SimHypervisor* sim, const DomainRegistry& registry,
                       const ResourceNames& names);

  grpc::ServerUnaryReactor* SetGuestBehavior(
      grpc::CallbackServerContext* ctx, const xenia::v1::SetGuestBehaviorRequest* request,
      xenia::v1::SetGuestBehaviorResponse* response) override;

 private:
  const CallGate& gate_;
  hv::SimHypervisor* sim_;
  const DomainRegistry& registry_;
  const ResourceNames& names_;
};

}  // namespace xenia
