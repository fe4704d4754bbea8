// Load without failure: 64 clients run the mixed lifecycle workload at once
// against the real xeniad for a bounded time (XENIA_LOAD_SECONDS, default
// 5). Every request must be accepted and every operation must end well; no
// deadlock (the clients reach the gate again); and afterwards the store, the
// simulated hypervisor and the clients agree. Prints what it did.
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

constexpr int kClients = 64;
constexpr int kDomainsPerClient = 2;

absl::Duration LoadTime() {
  const char* env = std::getenv("XENIA_LOAD_SECONDS");
  int seconds = 0;
  if (env != nullptr && absl::SimpleAtoi(env, &seconds) && seconds > 0) {
    return absl::Seconds(seconds);
  }
  return absl::Seconds(5);
}

using LoadTest = WorkloadFixture;

TEST_F(LoadTest, SixtyFourClientsAtOnceMeetNoUnexpectedError) {
  StartClients(kClients, kDomainsPerClient);
  const absl::Duration duration = LoadTime();
  const absl::Time start = absl::Now();
  absl::SleepFor(duration);  // the load runs for this long
  gate_.Pause();
  // No deadlock: every client finishes its request and reaches the gate.
  gate_.AwaitIdle(kClients);
  const absl::Duration ran = absl::Now() - start;
  ReportProblems();
  CheckIntegrity();
  CheckOperations();
  CheckAgreement();
  CheckEvents();
  StopClients();
  int64_t requests = 0;
  for (auto& client : clients_) requests += client->requests;
  std::cout << "load test: " << kClients << " clients, " << requests << " requests in "
            << absl::FormatDuration(ran) << " ("
            << static_cast<int64_t>(requests / absl::ToDoubleSeconds(ran)) << "/s), " << checks_
            << " checks\n";
  EXPECT_GT(requests, kClients);
}

}  // namespace
}  // namespace xenia::testing
