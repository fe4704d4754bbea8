#include "daemon/api/access_service.h"

#include "daemon/api/status_mapping.h"

namespace xenia {

grpc::ServerUnaryReactor* AccessServiceImpl::GetCaller(grpc::CallbackServerContext* ctx,
                                                       const xenia::v1::GetCallerRequest*,
                                                       xenia::v1::Caller* response) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  absl::StatusOr<Caller> caller = gate_.Admit(*ctx, "/xenia.v1.AccessService/GetCaller");
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  response->set_principal(caller->principal);
  response->set_role(caller->role);
  response->set_authentication(caller->authentication);
  response->set_source_address(caller->source_address);
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace xenia
