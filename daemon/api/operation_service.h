// OperationService: reading, waiting for and cancelling operations.
//
// Thread-safe: gRPC calls the handlers on its own threads. WaitOperation
// holds no thread while it waits.
#pragma once

#include "daemon/api/call_gate.h"
#include "daemon/operations/operation_engine.h"
#include "daemon/resource_names.h"
#include "store/store.h"
#include "xenia/v1/operation.grpc.pb.h"

namespace xenia {

class OperationServiceImpl final : public xenia::v1::OperationService::CallbackService {
 public:
  // Everything is borrowed and must outlive the service.
  OperationServiceImpl(const CallGate& gate, OperationEngine& engine, store::Store& store,
                       const ResourceNames& names);

  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* ctx,
                                         const xenia::v1::GetOperationRequest* request,
                                         xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* ctx,
                                           const xenia::v1::ListOperationsRequest* request,
                                           xenia::v1::ListOperationsResponse* response) override;
  grpc::ServerUnaryReactor* WaitOperation(grpc::CallbackServerContext* ctx,
                                          const xenia::v1::WaitOperationRequest* request,
                                          xenia::v1::Operation* response) override;
  grpc::ServerUnaryReactor* CancelOperation(grpc::CallbackServerContext* ctx,
                                            const xenia::v1::CancelOperationRequest* request,
                                            xenia::v1::Operation* response) override;

 private:
  const CallGate& gate_;
  OperationEngine& engine_;
  store::Store& store_;
  const ResourceNames& names_;
};

}  // namespace xenia
