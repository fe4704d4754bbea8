// AccessService: who the caller is (GetCaller). Tokens and the audit log come
// with remote access; until then those methods answer UNIMPLEMENTED.
//
// Thread-safe: gRPC calls the handlers on its own threads.
#pragma once

#include "daemon/api/call_gate.h"
#include "xenia/v1/access.grpc.pb.h"

namespace xenia {

class AccessServiceImpl final : public xenia::v1::AccessService::CallbackService {
 public:
  explicit AccessServiceImpl(const CallGate& gate) : gate_(gate) {}

  grpc::ServerUnaryReactor* GetCaller(grpc::CallbackServerContext* ctx,
                                      const xenia::v1::GetCallerRequest* request,
                                      xenia::v1::Caller* response) override;

 private:
  const CallGate& gate_;
};

}  // namespace xenia
