// A GoogleTest fixture with a fresh xeniad (on the simulator) per test, and
// small helpers over its gRPC API.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"

namespace xenia::testing {

class DaemonFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts (or restarts) the daemon on the same state directory and socket.
  // A fixture that needs other flags sets options_.args before SetUp().
  void StartDaemon();
  // Stops the daemon with SIGTERM (checking that it exits 0 with a clean
  // log) and starts it again.
  void RestartDaemon();
  // Kills the daemon with SIGKILL and starts it again.
  void KillAndRestartDaemon();

  // The real xenia CLI against this daemon, with `stdin_text` on its stdin.
  CliResult Xenia(const std::vector<std::string>& args, const std::string& stdin_text = "");
  // Writes `text` to a file `name` in the test's directory; its path.
  std::string WriteFile(const std::string& name, const std::string& text);

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

  // CreateDomain with a whole spec.
  grpc::Status CreateSpec(const xenia::v1::DomainSpec& spec, bool start, xenia::v1::Operation* op,
                          const std::string& request_id = "");
  xenia::v1::Domain CreateSpecOrDie(const xenia::v1::DomainSpec& spec, bool start = true);
  // A spec with a name and memory, everything else defaulted.
  static xenia::v1::DomainSpec Spec(const std::string& name, int64_t memory_mib = 256);

  // SimulatorService.SetGuestBehavior on a domain.
  grpc::Status SetBehavior(const std::string& name, const xenia::v1::GuestBehavior& behavior,
                           xenia::v1::SetGuestBehaviorResponse* response = nullptr);
  grpc::Status GetOperation(const std::string& name, xenia::v1::Operation* out);
  // The simulated hypervisor's domains by name, dom0 left out.
  std::map<std::string, xenia::v1::SimulatedDomain> SimulatedDomains();
  // Polls `condition` every 10ms until it holds. False on timeout.
  static bool WaitUntil(const std::function<bool()>& condition,
                        absl::Duration timeout = absl::Seconds(30));
  // Every domain (every page) matching `filter`, in the order listed; the
  // domains xeniad does not manage (dom0 first of all) are left out unless
  // asked for.
  std::vector<xenia::v1::Domain> ListAllDomains(const std::string& filter = "", int page_size = 0,
                                                bool include_unmanaged = false);
  // Every operation (every page) matching `filter`, in the order listed.
  std::vector<xenia::v1::Operation> ListAllOperations(const std::string& filter = "",
                                                      int page_size = 0);

  // Rows in a table of the daemon's real SQLite store, read with a
  // read-only connection of the test's own; -1 (and a test failure) if it
  // cannot be read.
  int64_t CountRows(const std::string& table);
  // The first column of the first row of `sql` as an integer, read the same
  // way; `fallback` if there is no row.
  int64_t QueryInt(const std::string& sql, int64_t fallback = -1);
  // Waits until the store holds the operation in `state` (e.g. RUNNING once
  // its first step is journalled). False on timeout.
  bool WaitJournalled(const xenia::v1::Operation& op, xenia::v1::Operation::State state,
                      absl::Duration timeout = absl::Seconds(30));
  std::string db_path() const { return state_dir() + "/xenia.db"; }

  std::string state_dir() const { return dir_.path() + "/state"; }
  std::string socket() const { return dir_.path() + "/xeniad.sock"; }

  TempDir dir_;
  DaemonOptions options_;
  std::unique_ptr<DaemonProcess> daemon_;
};

// A CLI run's exit code, with its output when it is not `code`.
#define EXPECT_EXIT_CODE(result, code) \
  EXPECT_EQ((result).exit_code, code) << "stdout:\n" << (result).out << "stderr:\n" << (result).err

// Whether `status` has `code` and a message that contains every one of
// `parts`; the failure message shows what it has instead.
::testing::AssertionResult IsError(const grpc::Status& status, grpc::StatusCode code,
                                   const std::vector<std::string>& parts = {});
// Whether `op` is done with `state` and (for FAILED/CANCELLED) an error of
// `code` whose message contains every one of `parts`.
::testing::AssertionResult EndedWith(const xenia::v1::Operation& op,
                                     xenia::v1::Operation::State state, int code = 0,
                                     const std::vector<std::string>& parts = {});

}  // namespace xenia::testing
