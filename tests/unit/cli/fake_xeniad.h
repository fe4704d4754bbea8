// FakeXeniad: an in-process gRPC server on a unix socket in a temporary
// directory that serves the xenia.v1 services the CLI calls, from canned data
// the test sets, and records what it was asked. Lets the CLI tests run whole
// commands without the real daemon.
//
// Thread-safe: the server's threads and the test thread share the state under
// a mutex.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpcpp/server.h"
#include "xenia/v1/domain_service.grpc.pb.h"
#include "xenia/v1/host.grpc.pb.h"
#include "xenia/v1/operation.grpc.pb.h"
#include "xenia/v1/simulator.grpc.pb.h"

namespace xenia::cli::testing {

// What the fake serves and what it saw.
struct FakeState {
  // Served by ListDomains (page_size_override per page) and GetDomain.
  std::vector<xenia::v1::Domain> domains;
  int page_size_override = 2;
  xenia::v1::Host host;
  // Mutating domain calls return steps[0] (method and target filled in);
  // each WaitOperation returns the next step, then the last one again.
  std::vector<xenia::v1::Operation> steps;
  size_t step = 0;
  std::vector<xenia::v1::Operation> operations;  // ListOperations
  // When set, the next call of any method fails with it.
  grpc::Status fail_next = grpc::Status::OK;
  // SaveDomainToStream sends these bytes in chunks of save_chunk_bytes; when
  // save_stream_failure is set, it ends with it after save_fail_after chunks.
  std::string save_stream_bytes;
  size_t save_chunk_bytes = 64 * 1024;
  grpc::Status save_stream_failure = grpc::Status::OK;
  size_t save_fail_after = 0;

  // Recorded.
  std::vector<std::string> calls;  // method names in order
  xenia::v1::ListDomainsRequest last_list_domains;
  xenia::v1::ListOperationsRequest last_list_operations;
  std::string last_name;        // the name of the last request that had one
  std::string last_request_id;  // of the last mutating call
  xenia::v1::CreateDomainRequest last_create;
  xenia::v1::StartDomainRequest last_start;
  xenia::v1::ShutdownDomainRequest last_shutdown;
  xenia::v1::RebootDomainRequest last_reboot;
  // SaveDomain and SaveDomainToStream.
  xenia::v1::SaveDomainRequest last_save;
  // RestoreDomain, or the options of RestoreDomainFromStream.
  xenia::v1::RestoreDomainRequest last_restore;
  // What RestoreDomainFromStream received after the options, in order, and
  // the size of each chunk.
  std::string restored_bytes;
  std::vector<size_t> restored_chunk_sizes;
  xenia::v1::MigrateDomainRequest last_migrate;
  xenia::v1::WaitOperationRequest last_wait;
  xenia::v1::SetGuestBehaviorRequest last_behavior;
};

class FakeXeniad {
 public:
  FakeXeniad();
  ~FakeXeniad();

  const std::string& socket_path() const { return socket_path_; }

  // Runs `f` on the state under the lock.
  template <typename F>
  auto With(F f) {
    absl::MutexLock lock(&mu_);
    return f(state_);
  }

 private:
  class Domains;
  class Operations;
  class Hosts;
  class Simulator;

  absl::Mutex mu_;
  FakeState state_ ABSL_GUARDED_BY(mu_);
  std::string dir_;
  std::string socket_path_;
  std::unique_ptr<Domains> domains_;
  std::unique_ptr<Operations> operations_;
  std::unique_ptr<Hosts> hosts_;
  std::unique_ptr<Simulator> simulator_;
  std::unique_ptr<grpc::Server> server_;
};

// An operation in `state` at `percent`, named hosts/h1/operations/op1.
xenia::v1::Operation MakeOperation(xenia::v1::Operation::State state, int percent,
                                   const std::string& message = "");

// A domain named `name` in `state`, with a domid when running or paused.
xenia::v1::Domain MakeDomain(const std::string& name, xenia::v1::PowerState state, int domid,
                             int64_t memory_mib, int vcpus, double cpu_seconds);

}  // namespace xenia::cli::testing
