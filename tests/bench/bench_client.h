// BenchClient: one gRPC channel (its own connection) to xeniad's unix socket,
// and the calls the benchmark makes over it. A lifecycle "op" is the mutating
// RPC plus OperationService.WaitOperation until the returned Operation is
// done; every call's status and every Operation's final state are checked, so
// a failure comes back as an error naming the call, never as a fast sample.
//
// Thread-safety: a BenchClient is used by one thread at a time (each
// benchmark thread has its own).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"
#include "xenia/v1/domain_service.grpc.pb.h"
#include "xenia/v1/host.grpc.pb.h"
#include "xenia/v1/operation.grpc.pb.h"

namespace xenia::bench {

// The lifecycle steps, in the order the benchmark runs them.
enum class Verb { kDefine, kStart, kDestroy, kDelete };
inline constexpr Verb kLifecycle[] = {Verb::kDefine, Verb::kStart, Verb::kDestroy, Verb::kDelete};

// "define", "start", "destroy", "delete": the phase names in metric names.
absl::string_view VerbName(Verb verb);

// "hosts/-/domains/ID".
std::string DomainResource(absl::string_view id);

// How one op went, besides its total latency.
struct OpTrace {
  // Seconds the mutating RPC itself took (until the Operation came back).
  double rpc_seconds = 0;
  // WaitOperation calls needed; 0 when the Operation came back done.
  int waits = 0;
};

// The outcome of listing every domain page by page.
struct ListResult {
  int domains = 0;
  int pages = 0;
};

class BenchClient {
 public:
  // Makes a channel of its own to unix socket `socket` (a local subchannel
  // pool, so that clients never share a connection). Does not connect yet.
  explicit BenchClient(const std::string& socket);

  // Connects and makes one GetHost call, so that the first measured call
  // does not pay for the connection.
  absl::Status Connect();

  absl::StatusOr<xenia::v1::Host> GetHost();

  // Runs `verb` on domain `id` (a 64 MiB, 1 vCPU PVH domain for kDefine) and
  // waits until its Operation is done. OK only if the RPC succeeded and the
  // Operation ended DONE with the domain in the expected power state.
  absl::Status RunOp(Verb verb, const std::string& id, OpTrace* trace = nullptr);

  // GetDomain("hosts/-/domains/ID"); checks that the answer names the domain.
  absl::Status GetDomain(const std::string& id, xenia::v1::Domain* out);

  // ListDomains with `filter`, following next_page_token with `page_size`
  // until the last page. With `names`, also appends every domain's id.
  absl::StatusOr<ListResult> ListAll(const std::string& filter, int page_size,
                                     std::vector<std::string>* names = nullptr);

 private:
  grpc::Status CallMutation(Verb verb, const std::string& id, xenia::v1::Operation* op);
  absl::StatusOr<xenia::v1::Operation> WaitDone(xenia::v1::Operation op, int* waits);

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<xenia::v1::DomainService::Stub> domains_;
  std::unique_ptr<xenia::v1::OperationService::Stub> operations_;
  std::unique_ptr<xenia::v1::HostService::Stub> hosts_;
};

}  // namespace xenia::bench
