// RpcServer: xeniad's gRPC server — every xenia.v1 service (implemented or
// not yet), the standard health service, server reflection, the optional
// loopback TCP port, and an interceptor that turns gRPC's bare UNIMPLEMENTED
// into a sentence.
//
// Thread-safe: Start and Shutdown from the owner's thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "grpcpp/impl/codegen/service_type.h"
#include "grpcpp/server.h"

namespace xenia {

struct CallCounter;

struct RpcServerOptions {
  // "HOST:PORT" to listen on over TCP, or empty. The caller has checked
  // that it is a loopback address.
  std::string tcp_address;
};

class RpcServer {
 public:
  // Builds and starts the server with `services` (borrowed; they must outlive
  // the server).
  static absl::StatusOr<std::unique_ptr<RpcServer>> Start(
      const RpcServerOptions& options, const std::vector<grpc::Service*>& services, Logger& logger);
  ~RpcServer();

  grpc::Server* server() { return server_.get(); }
  // The TCP port actually bound (useful with port 0), or 0.
  int tcp_port() const { return tcp_port_; }
  // Marks every service NOT_SERVING, then stops, giving calls in flight until
  // `deadline` to finish (idle connections are simply closed).
  void Shutdown(absl::Time deadline);

 private:
  RpcServer(std::unique_ptr<grpc::Server> server, std::unique_ptr<CallCounter> counter,
            int tcp_port);
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<CallCounter> counter_;
  int tcp_port_;
  bool shut_down_ = false;
};

// Whether "HOST:PORT" names a loopback address (127.0.0.0/8, ::1, localhost).
bool IsLoopbackAddress(const std::string& host_port);

}  // namespace xenia
