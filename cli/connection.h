// Connection: the gRPC channel to xeniad over its unix socket and a stub for
// each service the CLI calls. Creating one does no I/O; the first call
// connects.
//
// Thread-compatible: the CLI uses it from its main thread only.
#pragma once

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "xenia/v1/domain_service.grpc.pb.h"
#include "xenia/v1/event.grpc.pb.h"
#include "xenia/v1/host.grpc.pb.h"
#include "xenia/v1/operation.grpc.pb.h"
#include "xenia/v1/simulator.grpc.pb.h"

namespace xenia::cli {

// The deadline of every unary call but WaitOperation.
inline constexpr absl::Duration kUnaryDeadline = absl::Seconds(30);

class Connection {
 public:
  explicit Connection(absl::string_view socket_path);

  // "unix:/run/xenia/xeniad.sock".
  const std::string& target() const { return target_; }

  // True once the channel has connected; false after a failed attempt.
  bool Connected() const;

  xenia::v1::DomainService::StubInterface& domains() { return *domains_; }
  xenia::v1::OperationService::StubInterface& operations() { return *operations_; }
  xenia::v1::HostService::StubInterface& hosts() { return *hosts_; }
  xenia::v1::SimulatorService::StubInterface& simulator() { return *simulator_; }
  xenia::v1::EventService::StubInterface& events() { return *events_; }

 private:
  std::string target_;
  // gRPC hands channels out as shared_ptr; the stubs hold references too.
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<xenia::v1::DomainService::StubInterface> domains_;
  std::unique_ptr<xenia::v1::OperationService::StubInterface> operations_;
  std::unique_ptr<xenia::v1::HostService::StubInterface> hosts_;
  std::unique_ptr<xenia::v1::SimulatorService::StubInterface> simulator_;
  std::unique_ptr<xenia::v1::EventService::StubInterface> events_;
};

// Sets `ctx`'s deadline to now + `timeout`.
void SetDeadline(grpc::ClientContext* ctx, absl::Duration timeout);

}  // namespace xenia::cli
