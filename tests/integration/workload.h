// A mixed lifecycle workload for the crash and load tests: clients that
// each work their own domains one request at a time (so each knows what its
// domains should be), re-send a request with its request_id when the daemon
// died under it, and pause at a gate so that checks see a quiet daemon; and
// the checks that the daemon lost nothing.
//
// Thread-safety: each Client runs on a thread of its own; its public fields
// are read by the test only while the gate holds every client.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "tests/integration/daemon_fixture.h"

namespace xenia::testing {

// What the model calls a domain that is not defined.
inline constexpr xenia::v1::PowerState kAbsent = xenia::v1::POWER_STATE_UNSPECIFIED;

// One mutating request, as sent (and re-sent with the same request_id).
struct WorkloadRequest {
  std::string request_id;
  std::string what;  // "pause c1-d0", for messages
  std::string domain;
  xenia::v1::PowerState after_done = kAbsent;
  std::function<grpc::Status(xenia::v1::DomainService::Stub&, grpc::ClientContext*,
                             xenia::v1::Operation*)>
      send;
};

struct AcceptedRequest {
  WorkloadRequest request;
  std::string operation;
};

// Pauses the clients between requests.
class WorkloadGate {
 public:
  // Called by a client before each request: waits while paused; false once
  // stopped.
  bool Pass();
  void Pause();
  // Waits until `clients` clients wait at the gate.
  void AwaitIdle(int clients);
  void Resume();
  void Stop();

 private:
  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  int idle_ ABSL_GUARDED_BY(mu_) = 0;
};

class WorkloadClient {
 public:
  // Works domains "c<id>-d0".."c<id>-d<domains-1>" through `socket`.
  WorkloadClient(int id, int domains, const std::string& socket, uint32_t seed);

  void Run(WorkloadGate& gate);

  std::map<std::string, xenia::v1::PowerState> expected;
  std::vector<AcceptedRequest> accepted;
  // Anything the daemon did that it should not have.
  std::vector<std::string> problems;
  int64_t requests = 0;
  // Requests in flight when the daemon died, sent again.
  int64_t resent = 0;
  // Operations being waited for when the daemon died, waited for again.
  int64_t rewaited = 0;

 private:
  WorkloadRequest Choose();
  grpc::Status Send(const WorkloadRequest& r, xenia::v1::Operation* op);
  xenia::v1::Operation WaitEnded(const std::string& name);
  void Resync(const std::string& name);
  void Step();

  const int id_;
  const int domains_count_;
  std::mt19937 rng_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<xenia::v1::DomainService::Stub> domains_;
  std::unique_ptr<xenia::v1::OperationService::Stub> operations_;
  int64_t next_request_ = 0;
};

// The checks, over the fixture's daemon. Each counts into checks_.
class WorkloadFixture : public DaemonFixture {
 protected:
  // Stops the clients if the test did not (an assertion ended it early).
  void TearDown() override;

  // Starts `count` clients of `domains` domains each, each on its own
  // thread, running until StopClients.
  void StartClients(int count, int domains);
  // Stops the clients (at the gate) and joins their threads.
  void StopClients();

  int64_t checks_ = 0;
  WorkloadGate gate_;
  std::vector<std::unique_ptr<WorkloadClient>> clients_;

  void Check(bool ok, const std::string& what);
  // SQLite's integrity_check on the daemon's file.
  void CheckIntegrity();
  // Every accepted operation is known and ended well or with a reason; the
  // newest requests of each client, repeated, return the same operations.
  void CheckOperations();
  // The store, the simulated hypervisor and the clients agree on every
  // domain.
  void CheckAgreement();
  // The retained events have contiguous sequences.
  void CheckEvents();
  // Reports (as test failures) and clears the clients' problems.
  void ReportProblems();

 private:
  std::vector<std::thread> threads_;
};

}  // namespace xenia::testing
