// A GoogleTest fixture with a fresh xeniad (on the simulator) per test, and
// small helpers over its gRPC API.
#pragma once

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"

namespace xenia::testing {

class DaemonFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts (or restarts) the daemon on the same state directory and socket.
  void StartDaemon();

  // CreateDomain; returns the Operation (or the RPC's error in `status`).
  grpc::Status Create(const std::string& name, int64_t memory_mib, bool start,
                      xenia::v1::Operation* op, const std::string& request_id = "");
  // Waits for the operation to finish and returns it.
  xenia::v1::Operation WaitDone(const xenia::v1::Operation& op,
                                absl::Duration timeout = absl::Seconds(30));
  // Creates (and starts) a domain and waits; fails the test on error.
  xenia::v1::Domain CreateOrDie(const std::string& name, int64_t memory_mib = 256,
                                bool start = true);
  xenia::v1::Domain GetOrDie(const std::string& name);
  grpc::Status Get(const std::string& name, xenia::v1::Domain* out);
  // Polls GetDomain until `state` (guest-driven changes have no operation to
  // wait on). False on timeout.
  bool WaitForState(const std::string& name, xenia::v1::PowerState state,
                    absl::Duration timeout = absl::Seconds(30));

  // Lifecycle verbs by name: return the RPC status; `op` gets the Operation.
  grpc::Status Start(const std::string& name, xenia::v1::Operation* op);
  grpc::Status Destroy(const std::string& name, xenia::v1::Operation* op);
  grpc::Status Pause(const std::string& name, xenia::v1::Operation* op);
  grpc::Status Unpause(const std::string& name, xenia::v1::Operation* op);
  grpc::Status Delete(const std::string& name, xenia::v1::Operation* op);
  grpc::Status Shutdown(const std::string& name, absl::Duration timeout, bool force,
                        xenia::v1::Operation* op);
  grpc::Status Reboot(const std::string& name, absl::Duration timeout, bool force,
                      xenia::v1::Operation* op);

  std::string state_dir() const { return dir_.path() + "/state"; }
  std::string socket() const { return dir_.path() + "/xeniad.sock"; }

  TempDir dir_;
  DaemonOptions options_;
  std::unique_ptr<DaemonProcess> daemon_;
};

}  // namespace xenia::testing
