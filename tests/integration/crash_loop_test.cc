// The crash test: clients run a mixed lifecycle workload against the real
// xeniad while it is killed with SIGKILL at random moments and restarted.
// After every restart the clients are paused and everything is checked:
//   - SQLite's integrity_check passes on the daemon's own file;
//   - every operation the daemon accepted is still known, and ended (done,
//     or failed/cancelled with a reason);
//   - repeating an accepted request with its request_id returns the original
//     operation;
//   - the store agrees with the simulated hypervisor's own table, and with
//     what the clients know they did: no defined domain was lost;
//   - the event sequence is gap-free and repeats nothing across restarts.
//
// Short mode (CI): 20 kills. Long mode: XENIA_CRASH_KILLS=200 (any number),
// e.g. `XENIA_CRASH_KILLS=200 build/release/bin/integration_tests
// --gtest_filter='CrashLoop*'`. The test prints what it did.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "tests/integration/workload.h"

namespace xenia::testing {
namespace {

constexpr int kClients = 4;
constexpr int kDomainsPerClient = 3;

int KillsWanted() {
  const char* env = std::getenv("XENIA_CRASH_KILLS");
  int kills = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &kills) && kills > 0) return kills;
  return 20;
}

using CrashLoopTest = WorkloadFixture;

TEST_F(CrashLoopTest, KilledAtRandomTheDaemonLosesNothing) {
  const int kills = KillsWanted();
  std::mt19937 rng(static_cast<uint32_t>(absl::ToUnixNanos(absl::Now())));
  StartClients(kClients, kDomainsPerClient);
  int64_t lost_in_flight = 0;
  int64_t rewaited = 0;
  for (int kill = 0; kill < kills && !HasFailure(); ++kill) {
    gate_.Resume();
    // The kill lands at a random moment of the workload.
    absl::SleepFor(absl::Milliseconds(std::uniform_int_distribution<int>(20, 250)(rng)));
    KillAndRestartDaemon();
    gate_.Pause();
    gate_.AwaitIdle(kClients);
    ReportProblems();
    CheckIntegrity();
    CheckOperations();
    CheckAgreement();
    CheckEvents();
  }
  StopClients();
  int64_t requests = 0;
  int64_t accepted = 0;
  for (auto& client : clients_) {
    requests += client->requests;
    accepted += static_cast<int64_t>(client->accepted.size());
    lost_in_flight += client->resent;
    rewaited += client->rewaited;
  }
  std::cout << "crash test: " << kills << " kills, " << requests << " requests, " << accepted
            << " operations accepted, " << lost_in_flight << " requests re-sent after a kill, "
            << rewaited << " operations waited for across a kill, " << checks_ << " checks\n";
  EXPECT_GT(accepted, kills);
}

}  // namespace
}  // namespace xenia::testing
