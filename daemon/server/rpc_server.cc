#include "daemon/server/rpc_server.h"

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "daemon/api/v1_services.h"
#include "grpc/grpc.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/server_interceptor.h"

namespace xenia {

// Counts the calls in flight, so that a shutdown waits for them and not for
// idle connections (gRPC's own shutdown deadline covers both).
struct CallCounter {
  absl::Mutex mu;
  int active ABSL_GUARDED_BY(mu) = 0;
};

namespace {

// One per call: counts it, and rewrites the empty UNIMPLEMENTED status of
// methods that are part of the contract but not built yet into a message
// that says so.
class CallInterceptor final : public grpc::experimental::Interceptor {
 public:
  CallInterceptor(grpc::experimental::ServerRpcInfo* info, CallCounter& counter)
      : method_(info->method()), counter_(counter) {
    absl::MutexLock lock(&counter_.mu);
    ++counter_.active;
  }
  ~CallInterceptor() override {
    absl::MutexLock lock(&counter_.mu);
    --counter_.active;
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty()) {
        methods->ModifySendStatus(grpc::Status(
            grpc::StatusCode::UNIMPLEMENTED,
            absl::StrCat(method_,
                         " is part of the xenia.v1 API but this version of xeniad does not "
                         "implement it yet")));
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  CallCounter& counter_;
};

class CallInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallInterceptorFactory(CallCounter& counter) : counter_(counter) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new CallInterceptor(info, counter_);
  }

 private:
  CallCounter& counter_;
};

}  // namespace

bool IsLoopbackAddress(const std::string& host_port) {
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = host_port.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  return absl::StartsWith(host, "127.");
}

absl::StatusOr<std::unique_ptr<RpcServer>> RpcServer::Start(
    const RpcServerOptions& options, const std::vector<grpc::Service*>& services, Logger& logger) {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // Two daemons must never share a TCP port (gRPC sets SO_REUSEPORT unless
  // told not to).
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  for (grpc::Service* service : services) builder.RegisterService(service);
  int tcp_port = 0;
  if (!options.tcp_address.empty()) {
    builder.AddListeningPort(options.tcp_address, grpc::InsecureServerCredentials(), &tcp_port);
  }
  auto counter = std::make_unique<CallCounter>();
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<CallInterceptorFactory>(*counter));
  builder.experimental().SetInterceptorCreators(std::move(creators));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) {
    return absl::UnavailableError("the gRPC server did not start");
  }
  if (!options.tcp_address.empty() && tcp_port == 0) {
    server->Shutdown();
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.tcp_address, " (address in use?)"));
  }
  grpc::HealthCheckServiceInterface* health = server->GetHealthCheckService();
  if (health != nullptr) {
    for (const char* name : kV1Services) health->SetServingStatus(name, true);
  }
  if (tcp_port != 0) {
    logger.Info("listening on TCP", {{"address", options.tcp_address}, {"port", tcp_port}});
  }
  return std::unique_ptr<RpcServer>(new RpcServer(std::move(server), std::move(counter), tcp_port));
}

RpcServer::RpcServer(std::unique_ptr<grpc::Server> server, std::unique_ptr<CallCounter> counter,
                     int tcp_port)
    : server_(std::move(server)), counter_(std::move(counter)), tcp_port_(tcp_port) {}

RpcServer::~RpcServer() { Shutdown(absl::Now()); }

void RpcServer::Shutdown(absl::Time deadline) {
  if (shut_down_) return;
  shut_down_ = true;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health != nullptr) health->Shutdown();
  {
    // Calls in flight get until the deadline; idle connections do not hold
    // the shutdown up.
    absl::MutexLock lock(&counter_->mu);
    counter_->mu.AwaitWithDeadline(
        absl::Condition(
            +[](int* active) { return *active == 0; }, &counter_->active),
        deadline);
  }
  server_->Shutdown(absl::ToChronoTime(absl::Now()));
  server_->Wait();
}

}  // namespace xenia
