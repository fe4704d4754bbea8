#include "cli/connection.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace xenia::cli {

Connection::Connection(absl::string_view socket_path)
    : target_(absl::StrCat("unix:", socket_path)),
      channel_(grpc::CreateChannel(target_, grpc::InsecureChannelCredentials())),
      domains_(xenia::v1::DomainService::NewStub(channel_)),
      operations_(xenia::v1::OperationService::NewStub(channel_)),
      hosts_(xenia::v1::HostService::NewStub(channel_)),
      simulator_(xenia::v1::SimulatorService::NewStub(channel_)),
      events_(xenia::v1::EventService::NewStub(channel_)) {}

bool Connection::Connected() const {
  return channel_->GetState(/*try_to_connect=*/false) == GRPC_CHANNEL_READY;
}

void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout) {
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
}

}  // namespace xenia::cli
